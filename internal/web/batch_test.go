package web

import (
	"crypto/ecdh"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	"entraide/internal/federation"
	"entraide/internal/store/storetest"
)

// TestBatchesFromStrangers posts batches as anyone on the network can:
// one that cannot be read is refused whole, 400, like an envelope; one
// whose envelopes are signed by a State this node does not know is
// answered 200 with a refusal for each envelope, in order. Neither writes
// to the audit log; each unverified envelope is a security event and
// counts against the address's budget.
func TestBatchesFromStrangers(t *testing.T) {
	for _, backend := range storetest.Backends {
		t.Run(backend, func(t *testing.T) {
			const budget = 10
			tn := newLimitedNode(t, backend, Limits{InboxFailures: budget})
			audited := auditCount(t, tn)

			r := tn.request(t, "POST", "/federation/v1/batches", "", "application/json", `{"envelopes":[{"x":1}]}`)
			if p := r.problem(t); r.Status != http.StatusBadRequest || p.Reason != federation.ReasonMalformed || len(p.Errors) != 1 || p.Errors[0].Field != "envelopes" {
				t.Fatalf("unreadable batch: %d %s, want 400, reason %s and the field envelopes", r.Status, r.Body, federation.ReasonMalformed)
			}

			_, priv, _ := ed25519.GenerateKey(rand.Reader)
			x, _ := ecdh.X25519().GenerateKey(rand.Reader)
			stranger := federation.SigningKey{ID: federation.KeyID(priv.Public().(ed25519.PublicKey)), Private: priv}
			var envs []*federation.Envelope
			for i := range 3 {
				e, err := federation.Seal(stranger, "ZAF", tn.Node.Home(), x.PublicKey(), fmt.Sprintf("01a212ea-c3b3-778b-b123-%012x", i), "request.send", time.Now(), []byte("{}"))
				if err != nil {
					t.Fatal(err)
				}
				envs = append(envs, e)
			}
			r = tn.request(t, "POST", "/federation/v1/batches", "", "application/json", federation.MarshalBatch(envs, nil))
			if r.Status != http.StatusOK {
				t.Fatalf("batch from an unknown State: %d %s, want 200 with a refusal for each envelope", r.Status, r.Body)
			}
			var answer federation.BatchAnswer
			if err := json.Unmarshal(r.Body, &answer); err != nil {
				t.Fatal(err)
			}
			if len(answer.Results) != len(envs) {
				t.Fatalf("%d results for %d envelopes", len(answer.Results), len(envs))
			}
			for i, res := range answer.Results {
				if res.MessageID != envs[i].ID || res.Receipt != nil || res.Status != http.StatusForbidden || res.Reason != federation.ReasonUnknownPeer {
					t.Errorf("result %d: %+v, want envelope %s refused 403 %s", i, res, envs[i].ID, federation.ReasonUnknownPeer)
				}
			}
			if n := auditCount(t, tn); n != audited {
				t.Errorf("audit log grew from %d to %d records with batches from strangers, want no change", audited, n)
			}
			events, err := tn.Node.DB().SecurityEvents(t.Context(), 100)
			if err != nil {
				t.Fatal(err)
			}
			if len(events) != 1+len(envs) {
				t.Errorf("%d security events, want %d: the unreadable batch and each envelope of the other", len(events), 1+len(envs))
			}
			// The address has spent 4 of its budget of 10: 6 more
			// envelopes are refused for what they are, and the rest of a
			// batch of 8 as past the budget.
			more := append(envs, envs...)
			more = append(more, envs[:2]...)
			for i := range more {
				e := *more[i]
				e.ID = fmt.Sprintf("01a212ea-c3b3-778b-b124-%012x", i)
				more[i] = &e
			}
			r = tn.request(t, "POST", "/federation/v1/batches", "", "application/json", federation.MarshalBatch(more, nil))
			if err := json.Unmarshal(r.Body, &answer); err != nil || r.Status != http.StatusOK {
				t.Fatalf("second batch: %d %s", r.Status, r.Body)
			}
			limited := 0
			for _, res := range answer.Results {
				if res.Status == http.StatusTooManyRequests && res.Reason == "inbox_failures" {
					limited++
				}
			}
			if want := len(more) - (budget - 1 - len(envs)); limited != want {
				t.Errorf("%d envelopes of the second batch refused as past the budget, want %d", limited, want)
			}
		})
	}
}
