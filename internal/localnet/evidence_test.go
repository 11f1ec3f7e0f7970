package localnet_test

import (
	"bytes"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"io"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"entraide/internal/alerting"
	"entraide/internal/auditlog"
	"entraide/internal/casework"
	"entraide/internal/evidence"
	"entraide/internal/identity"
	"entraide/internal/localnet"
	"entraide/internal/store"
)

// answeredRequest is a preservation FRA sent VNM, whose execution VNM
// started, with an item of size random bytes in VNM's view.
func answeredRequest(t *testing.T, net *localnet.Network, fra, vnm api, size int) (request, item string, data []byte) {
	t.Helper()
	var r casework.Request
	fra.do("POST", "/api/v1/requests", preservation("VNM"), &r)
	if code := fra.do("POST", "/api/v1/requests/"+r.ID+"/transitions", casework.Transition{Action: casework.Send}, nil); code != 200 {
		t.Fatalf("send: %d", code)
	}
	vnm.waitFor(r.ID, casework.Received)
	// Evidence is what executing the request gives: VNM starts it.
	for _, a := range []casework.Action{casework.Acknowledge, casework.Start} {
		if code := vnm.do("POST", "/api/v1/requests/"+r.ID+"/transitions", casework.Transition{Action: a}, nil); code != 200 {
			t.Fatalf("%s: %d", a, code)
		}
	}
	data = make([]byte, size)
	rng := rand.New(rand.NewPCG(uint64(size), 3))
	for i := range data {
		data[i] = byte(rng.Uint32())
	}
	n := net.Nodes["VNM"].Node
	by := casework.Actor{ID: "ca-vnm", State: "VNM", Role: identity.CentralAuthority}
	it, err := n.StartEvidence(t.Context(), by, r.ID, evidence.Spec{Name: "logs.tar", MediaType: "application/x-tar",
		Collection: evidence.Collection{By: "VNM cyber police", Tool: "tar 1.35"}}, int64(size))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := n.AppendEvidence(t.Context(), by, it.ID, 0, bytes.NewReader(data)); err != nil {
		t.Fatal(err)
	}
	if _, err := n.CompleteEvidence(t.Context(), by, it.ID); err != nil {
		t.Fatal(err)
	}
	return r.ID, it.ID, data
}

// waitItem polls a's items of request until one has status, and
// returns it.
func waitItem(t *testing.T, a api, request string, status evidence.Status) evidence.Item {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	var items []evidence.Item
	for time.Now().Before(deadline) {
		if a.do("GET", "/api/v1/requests/"+request+"/evidence", nil, &items) == 200 {
			for _, it := range items {
				if it.Status == status {
					return it
				}
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("no %s item of request %s at %s: %+v", status, request, a.url, items)
	return evidence.Item{}
}

func custody(t *testing.T, a api, request, item string) []string {
	t.Helper()
	var entries []store.AuditEntry
	if code := a.do("GET", "/api/v1/requests/"+request+"/evidence/"+item+"/custody", nil, &entries); code != 200 {
		t.Fatalf("custody: %d", code)
	}
	var actions []string
	for _, e := range entries {
		p, err := auditlog.Parse(e.Record)
		if err != nil {
			t.Fatal(err)
		}
		if p.Action != evidence.ActionSegment {
			actions = append(actions, p.Action)
		}
	}
	return actions
}

func waitCustody(t *testing.T, a api, request, item, action string) []string {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	var got []string
	for time.Now().Before(deadline) {
		got = custody(t, a, request, item)
		for _, g := range got {
			if g == action {
				return got
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("custody of %s at %s = %v, want %s", item, a.url, got, action)
	return nil
}

// TestEvidenceTravelsWithTheAnswer: VNM, requested, sends an item to FRA
// over HTTPS in chunks; FRA is taken down in the middle and brought back,
// and the transfer goes on where it stopped. FRA keeps the item under its
// own key with the same SHA-256, and both custodies record it; no third
// State holds it.
func TestEvidenceTravelsWithTheAnswer(t *testing.T) {
	net, officials := startNetwork(t, "FRA", "VNM", "ZAF")
	fra, vnm, zaf := officials["FRA"], officials["VNM"], officials["ZAF"]
	request, item, data := answeredRequest(t, net, fra, vnm, 12*evidence.ChunkSize+777)
	if code := fra.do("POST", "/api/v1/requests/"+request+"/evidence/"+item+"/send", nil, nil); code != 403 && code != 404 {
		t.Errorf("the requesting State sends the requested State's item: %d", code)
	}
	var sent evidence.Item
	if code := vnm.do("POST", "/api/v1/requests/"+request+"/evidence/"+item+"/send", nil, &sent); code != 202 {
		t.Fatalf("send: %d", code)
	}
	// Down in the middle of the transfer.
	deadline := time.Now().Add(30 * time.Second)
	var at int64
	for time.Now().Before(deadline) && at == 0 {
		var items []evidence.Item
		if fra.do("GET", "/api/v1/requests/"+request+"/evidence", nil, &items) == 200 && len(items) == 1 {
			at = items[0].Received
		}
		time.Sleep(time.Millisecond)
	}
	net.Nodes["FRA"].Stop()
	stopped, err := net.Nodes["FRA"].DB.EvidenceItems(t.Context(), "FRA", request)
	if err != nil || len(stopped) != 1 {
		t.Fatalf("FRA's items when stopped: %v %v", stopped, err)
	}
	t.Logf("FRA stopped with %d of %d bytes", stopped[0].Received, len(data))
	if stopped[0].Received == int64(len(data)) {
		t.Logf("the transfer ended before FRA was stopped: the resumption was not exercised this run")
	}
	time.Sleep(100 * time.Millisecond)
	if err := net.Nodes["FRA"].Restart(t.Context(), net); err != nil {
		t.Fatal(err)
	}
	got := waitItem(t, fra, request, evidence.Available)
	sum := sha256.Sum256(data)
	if got.SHA256 != hex.EncodeToString(sum[:]) || got.Size != int64(len(data)) || got.Origin == nil || got.Origin.State != "VNM" || got.Origin.Item != item {
		t.Fatalf("FRA's item = %+v, want %x from VNM's %s", got, sum, item)
	}
	if got.Collection.By != "VNM cyber police" {
		t.Errorf("collection = %+v", got.Collection)
	}
	var body []byte
	req := fra
	resp, err := req.send(t.Context(), "GET", "/api/v1/requests/"+request+"/evidence/"+got.ID+"/content", nil)
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if !bytes.Equal(body, data) {
		t.Errorf("FRA reads back %d bytes, not what VNM sent", len(body))
	}
	if c := waitCustody(t, vnm, request, item, evidence.ActionTransferred); !contains(c, evidence.ActionTransfer) {
		t.Errorf("VNM's custody = %v", c)
	}
	if c := custody(t, fra, request, got.ID); !contains(c, evidence.ActionIncoming) || !contains(c, evidence.ActionReceived) {
		t.Errorf("FRA's custody = %v", c)
	}
	// ZAF, not party, holds nothing.
	if code := zaf.do("GET", "/api/v1/requests/"+request+"/evidence", nil, nil); code != 404 {
		t.Errorf("ZAF lists the request's evidence: %d", code)
	}
	if items, _ := net.Nodes["ZAF"].DB.EvidenceItems(t.Context(), "ZAF", request); len(items) != 0 {
		t.Errorf("ZAF holds %d items", len(items))
	}
}

// TestEvidenceMismatchIsRefused: an item whose bytes do not have the
// SHA-256 its sender announces is refused by the receiver, which deletes
// them; both States are alerted, and both custodies say so.
func TestEvidenceMismatchIsRefused(t *testing.T) {
	net, officials := startNetwork(t, "FRA", "VNM")
	fra, vnm := officials["FRA"], officials["VNM"]
	request, item, data := answeredRequest(t, net, fra, vnm, 3*evidence.ChunkSize)
	sum := sha256.Sum256(data)
	// The sender's record of the hash no longer matches its bytes.
	raw, err := sql.Open("sqlite", "file:"+filepath.Join(net.Nodes["VNM"].DataDir, "entraide.db")+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	if _, err := raw.ExecContext(t.Context(), "UPDATE evidence_items SET sha256 = ? WHERE id = ?", hex.EncodeToString(make([]byte, 32)), item); err != nil {
		t.Fatal(err)
	}
	if code := vnm.do("POST", "/api/v1/requests/"+request+"/evidence/"+item+"/send", nil, nil); code != 202 {
		t.Fatalf("send: %d", code)
	}
	refused := waitItem(t, fra, request, evidence.Refused)
	if refused.Damaged == "" {
		t.Errorf("FRA's refused item says nothing of why: %+v", refused)
	}
	waitCustody(t, vnm, request, item, evidence.ActionTransferRefused)
	for _, s := range []string{"FRA", "VNM"} {
		n := net.Nodes[s].Node
		list, err := n.Alerts(t.Context(), casework.Actor{ID: "ca-" + s, State: s, Role: identity.CentralAuthority}, store.AlertFilter{Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, a := range list.Alerts {
			found = found || a.Reason == alerting.ReasonEvidenceMismatch && a.RequestID == request
		}
		if !found {
			t.Errorf("%s has no evidence_mismatch alert", s)
		}
	}
	if code := fra.do("GET", "/api/v1/requests/"+request+"/evidence/"+refused.ID+"/content", nil, nil); code != 409 {
		t.Errorf("content of a refused item: %d, want 409", code)
	}
	// Put right, and sent again: it arrives.
	if _, err := raw.ExecContext(t.Context(), "UPDATE evidence_items SET sha256 = ? WHERE id = ?", hex.EncodeToString(sum[:]), item); err != nil {
		t.Fatal(err)
	}
	if code := vnm.do("POST", "/api/v1/requests/"+request+"/evidence/"+item+"/send", nil, nil); code != 202 {
		t.Fatalf("send again after the refusal: %d", code)
	}
	if got := waitItem(t, fra, request, evidence.Available); got.SHA256 != hex.EncodeToString(sum[:]) {
		t.Errorf("sent again: %+v", got)
	}
	if code := vnm.do("POST", "/api/v1/requests/"+request+"/evidence/"+item+"/send", nil, nil); code != 409 {
		t.Errorf("sent a third time, once arrived: %d, want 409", code)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// TestEvidenceWhoseCustodyDoesNotVerifyIsRefused: VNM's record of how
// the item was collected is changed in its database after its log took it
// in (record and stored leaf hash together, as one who meant it would), so
// its proof no longer places it under VNM's signed checkpoint. FRA checks
// VNM's custody against VNM's log key before it keeps the item: it refuses
// it, and both States are alerted, as for bytes that do not match.
func TestEvidenceWhoseCustodyDoesNotVerifyIsRefused(t *testing.T) {
	net, officials := startNetwork(t, "FRA", "VNM")
	fra, vnm := officials["FRA"], officials["VNM"]
	request, item, _ := answeredRequest(t, net, fra, vnm, 2*evidence.ChunkSize)
	if _, err := net.Nodes["VNM"].Node.IntegrateLog(t.Context()); err != nil {
		t.Fatal(err)
	}
	raw, err := sql.Open("sqlite", "file:"+filepath.Join(net.Nodes["VNM"].DataDir, "entraide.db")+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	var seq int64
	var record []byte
	if err := raw.QueryRowContext(t.Context(), "SELECT seq, record FROM audit WHERE subject = ? AND action = ?", evidence.Subject(item), evidence.ActionCollected).Scan(&seq, &record); err != nil {
		t.Fatal(err)
	}
	changed := bytes.Replace(record, []byte("VNM cyber police"), []byte("VNM cyber pol1ce"), 1)
	if bytes.Equal(changed, record) {
		t.Fatalf("the collection record %s does not name its collector", record)
	}
	leaf := auditlog.LeafHash(changed)
	if _, err := raw.ExecContext(t.Context(), "DROP TRIGGER audit_no_update"); err != nil {
		t.Fatal(err)
	}
	if _, err := raw.ExecContext(t.Context(), "UPDATE audit SET record = ?, leaf_hash = ? WHERE seq = ?", changed, leaf[:], seq); err != nil {
		t.Fatal(err)
	}
	if code := vnm.do("POST", "/api/v1/requests/"+request+"/evidence/"+item+"/send", nil, nil); code != 202 {
		t.Fatalf("send: %d", code)
	}
	refused := waitItem(t, fra, request, evidence.Refused)
	if !strings.Contains(refused.Damaged, "custody") || !strings.Contains(refused.Damaged, evidence.ActionCollected) {
		t.Errorf("FRA's refused item says %q, want that VNM's record of the collection does not verify", refused.Damaged)
	}
	if got := custody(t, fra, request, refused.ID); contains(got, evidence.ActionOriginCustody) || contains(got, evidence.ActionReceived) {
		t.Errorf("FRA's custody of the refused item = %v, want neither the sender's custody kept nor a receipt", got)
	}
	waitCustody(t, vnm, request, item, evidence.ActionTransferRefused)
	for _, s := range []string{"FRA", "VNM"} {
		n := net.Nodes[s].Node
		list, err := n.Alerts(t.Context(), casework.Actor{ID: "ca-" + s, State: s, Role: identity.CentralAuthority}, store.AlertFilter{Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, a := range list.Alerts {
			found = found || a.Reason == alerting.ReasonEvidenceMismatch && a.RequestID == request && strings.Contains(a.Detail, "custody")
		}
		if !found {
			t.Errorf("%s has no evidence_mismatch alert naming the custody", s)
		}
	}
}
