package web

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"testing"

	"entraide/internal/auditlog"
	"entraide/internal/casework"
	"entraide/internal/identity"
	"entraide/internal/node"
	"entraide/internal/store"
	"entraide/internal/store/storetest"
	"entraide/internal/tlog"
)

// TestAuditLog checks FRA's view of the audit log after a request is
// created and sent: every record in order, each with its RFC 6962 leaf
// hash, none holding a token, and pages that join up.
func TestAuditLog(t *testing.T) {
	for _, backend := range storetest.Backends {
		t.Run(backend, func(t *testing.T) {
			tn := newTestNode(t, backend)
			fra := tn.token(t, "FRA", identity.CentralAuthority)
			req := tn.create(t, fra, preservationContents("VNM"))
			tn.mustMove(t, fra, req.ID, casework.Transition{Action: casework.Send}, casework.Received)
			// An enrolment code and the token made with it through the
			// API must not reach the log either.
			r := tn.do(t, "POST", "/api/v1/users/fra-investigator/enrolments", tn.token(t, "FRA", identity.Administrator), nil)
			code := decodeBody[identity.Enrolment](t, r).Code
			if r.Status != http.StatusCreated || code == "" {
				t.Fatalf("issue enrolment code: status %d, body %s", r.Status, r.Body)
			}
			r = tn.do(t, "POST", "/api/v1/enrol", "", enrolInput{Code: code, Label: "second"})
			fresh := decodeBody[enrolResult](t, r).Token
			if r.Status != http.StatusCreated || fresh == "" {
				t.Fatalf("enrol: status %d, body %s", r.Status, r.Body)
			}
			if got := r.Header.Get("Cache-Control"); got != "no-store" {
				t.Errorf("a new token is served with Cache-Control %q, want no-store", got)
			}
			if tn.request(t, "GET", "/api/v1/me", "Bearer "+fresh, "", nil).Status != http.StatusOK {
				t.Errorf("the token created through the API does not authenticate")
			}

			auditor := tn.token(t, "FRA", identity.Auditor)
			entries := decodeBody[[]store.AuditEntry](t, tn.do(t, "GET", "/api/v1/audit?limit=1000", auditor, nil))
			if len(entries) == 0 {
				t.Fatal("empty audit log")
			}
			secrets := [][]byte{[]byte(fresh), []byte(code)}
			for _, tok := range tn.Tokens {
				secrets = append(secrets, []byte(tok))
			}
			var seen []string
			for i, e := range entries {
				// FRA's view skips the records of the other States', and
				// lists its own in the order of the node's log.
				if e.LeafIndex == nil || i > 0 && *e.LeafIndex <= *entries[i-1].LeafIndex {
					t.Fatalf("entry %d (seq %d) at leaf %v: want every record at a leaf after the one before", i, e.Seq, e.LeafIndex)
				}
				sum := sha256.Sum256(append([]byte{0}, e.Record...))
				if !bytes.Equal(e.LeafHash, sum[:]) {
					t.Errorf("seq %d: leaf_hash %x, want SHA-256(0x00||record) = %x", e.Seq, e.LeafHash, sum)
				}
				for _, s := range secrets {
					if bytes.Contains(e.Record, s) {
						t.Errorf("seq %d: the record holds an API token: %s", e.Seq, e.Record)
					}
				}
				var rec struct {
					V       int    `json:"v"`
					Seq     *int64 `json:"seq"`
					Action  string `json:"action"`
					Subject string `json:"subject"`
				}
				if err := json.Unmarshal(e.Record, &rec); err != nil || rec.V != auditlog.Version || rec.Seq != nil {
					t.Errorf("seq %d: record %s: %v, want canonical JSON of version %d, without a seq", e.Seq, e.Record, err, auditlog.Version)
				}
				seen = append(seen, rec.Action+" "+rec.Subject)
			}
			for _, want := range []string{
				"request.create request/" + req.ID,
				"request.send request/" + req.ID + "@FRA",
				"request.deliver request/" + req.ID + "@FRA",
				"token.create user/fra-investigator",
			} {
				if !slices.Contains(seen, want) {
					t.Errorf("no audit record %q in %q", want, seen)
				}
			}

			// Pages after a seq continue the log exactly.
			var paged []store.AuditEntry
			for after := int64(0); ; {
				page := decodeBody[[]store.AuditEntry](t, tn.do(t, "GET", fmt.Sprintf("/api/v1/audit?after=%d&limit=7", after), auditor, nil))
				if len(page) == 0 {
					break
				}
				paged = append(paged, page...)
				after = page[len(page)-1].Seq
			}
			if len(paged) != len(entries) {
				t.Fatalf("pages of 7 give %d entries, want %d", len(paged), len(entries))
			}
			for i := range paged {
				if paged[i].Seq != entries[i].Seq || !bytes.Equal(paged[i].Record, entries[i].Record) {
					t.Errorf("page entry %d = seq %d, want seq %d", i, paged[i].Seq, entries[i].Seq)
				}
			}

			// Once the log has integrated them, each record has its leaf,
			// whose inclusion proof, from the public routes, verifies
			// against the signed checkpoint with the published key.
			if _, err := tn.Node.IntegrateLog(t.Context()); err != nil {
				t.Fatal(err)
			}
			entries = decodeBody[[]store.AuditEntry](t, tn.do(t, "GET", "/api/v1/audit?limit=1000", auditor, nil))
			key := decodeBody[node.LogKey](t, tn.do(t, "GET", "/api/v1/log/key", "", nil))
			cpResp := tn.do(t, "GET", "/log/checkpoint", "", nil)
			cp, _, err := tlog.ParseCheckpoint(cpResp.Body, key.VerifierKey)
			if err != nil {
				t.Fatalf("GET /log/checkpoint: %s; ParseCheckpoint = %v", cpResp.Body, err)
			}
			for i, e := range entries {
				if e.LeafIndex == nil || (i > 0 && *e.LeafIndex <= *entries[i-1].LeafIndex) {
					t.Fatalf("entry %d (seq %d) at leaf %v after leaf %v: want increasing leaves", i, e.Seq, e.LeafIndex, entries[max(i-1, 0)].LeafIndex)
				}
				p := decodeBody[node.Proof](t, tn.do(t, "GET", fmt.Sprintf("/api/v1/log/inclusion?index=%d&size=%d", *e.LeafIndex, cp.Size), "", nil))
				if err := tlog.VerifyInclusion(p.Proof, cp.Size, cp.Root, *e.LeafIndex, tlog.LeafHash(tlog.Entry(e.Record))); err != nil {
					t.Errorf("seq %d: %v", e.Seq, err)
				}
			}
		})
	}
}
