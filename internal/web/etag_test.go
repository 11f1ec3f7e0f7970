package web

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"testing"

	"entraide/internal/casework"
	"entraide/internal/identity"
	"entraide/internal/store"
)

// moveIfMatch posts transition t of request id with If-Match ifMatch
// (none if empty).
func (tn *testNode) moveIfMatch(tb testing.TB, token, id, ifMatch string, t casework.Transition) response {
	tb.Helper()
	data, _ := json.Marshal(t)
	req, err := http.NewRequestWithContext(tb.Context(), "POST", tn.URL+"/api/v1/requests/"+id+"/transitions", bytes.NewReader(data))
	if err != nil {
		tb.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	if ifMatch != "" {
		req.Header.Set("If-Match", ifMatch)
	}
	return tn.send(tb, req)
}

// TestStaleTransition: two officials read a request at one version and
// each decide on it. The first move goes through; the second, made on
// what is no longer the request, is a 412 naming If-Match, not a second
// move.
func TestStaleTransition(t *testing.T) {
	tn := newTestNode(t, "sqlite")
	fra := tn.token(t, "FRA", identity.CentralAuthority)
	vnm := tn.token(t, "VNM", identity.CentralAuthority)
	vnm247 := tn.token(t, "VNM", identity.TwentyFourSeven)
	req := tn.create(t, fra, preservationContents("VNM"))
	tn.mustMove(t, fra, req.ID, casework.Transition{Action: casework.Send}, casework.Received)

	r := tn.do(t, "GET", "/api/v1/requests/"+req.ID, vnm, nil)
	doc := decodeBody[requestDoc](t, r)
	tag := r.Header.Get("ETag")
	if want := `"` + strconv.Itoa(doc.Request.Version) + `"`; tag != want {
		t.Fatalf("GET: ETag %q, want %q (the view's version)", tag, want)
	}
	ack := tn.moveIfMatch(t, vnm, req.ID, tag, casework.Transition{Action: casework.Acknowledge})
	if ack.Status != http.StatusOK {
		t.Fatalf("acknowledge with the current ETag: %d %s", ack.Status, ack.Body)
	}
	moved := decodeBody[*casework.Request](t, ack)
	if got, want := ack.Header.Get("ETag"), `"`+strconv.Itoa(moved.Version)+`"`; got != want || got == tag {
		t.Errorf("after the move: ETag %q, want %q, the new version", got, want)
	}
	// The 24/7 officer read the request before the acknowledgement.
	stale := tn.moveIfMatch(t, vnm247, req.ID, tag, casework.Transition{Action: casework.Withdraw})
	p := wantProblem(t, stale, http.StatusPreconditionFailed, "If-Match", "")
	if !bytes.Contains([]byte(p.Detail), []byte("GET")) {
		t.Errorf("412 detail %q: want it to tell the client to GET the request again", p.Detail)
	}
	start := tn.moveIfMatch(t, vnm247, req.ID, tag, casework.Transition{Action: casework.Start})
	wantProblem(t, start, http.StatusPreconditionFailed, "If-Match", "")
	if v := tn.view(t, vnm, req.ID); v.Request.State != casework.Acknowledged || v.Request.Version != moved.Version {
		t.Errorf("after the stale move: %s at version %d, want acknowledged at %d: nothing moved", v.Request.State, v.Request.Version, moved.Version)
	}
	// Any version, a weak tag, a tag no version has.
	for _, tc := range []struct {
		ifMatch string
		status  int
	}{
		{`W/"` + strconv.Itoa(moved.Version) + `"`, http.StatusPreconditionFailed},
		{`"abc"`, http.StatusPreconditionFailed},
		{`"1", "2"`, http.StatusBadRequest},
		{`3`, http.StatusBadRequest},
		{`*`, http.StatusOK},
	} {
		r := tn.moveIfMatch(t, vnm, req.ID, tc.ifMatch, casework.Transition{Action: casework.Start})
		if r.Status != tc.status {
			t.Errorf("If-Match %s: status %d, want %d; body %s", tc.ifMatch, r.Status, tc.status, r.Body)
		}
		if r.Status >= 400 {
			wantProblem(t, r, tc.status, "If-Match", "")
		}
	}
	// Another State's official learns nothing of the version: 404.
	zaf := tn.token(t, "ZAF", identity.CentralAuthority)
	wantProblem(t, tn.moveIfMatch(t, zaf, req.ID, `"1"`, casework.Transition{Action: casework.Start}), http.StatusNotFound, "", "")
}

// TestActingBehindOnlyAReceipt: an official acknowledges, and while they
// read the page again the other node's receipt of the acknowledgement
// comes back and takes a version. Their next action, at the version
// they read, goes through: a receipt changes nothing they decide on. A
// decision that came meanwhile still makes it a 412.
func TestActingBehindOnlyAReceipt(t *testing.T) {
	tn := newTestNode(t, "sqlite")
	ctx := t.Context()
	fra := tn.token(t, "FRA", identity.CentralAuthority)
	vnm := tn.token(t, "VNM", identity.CentralAuthority)
	req := tn.create(t, fra, preservationContents("VNM"))
	tn.mustMove(t, fra, req.ID, casework.Transition{Action: casework.Send}, casework.Received)
	ack := tn.moveIfMatch(t, vnm, req.ID, "", casework.Transition{Action: casework.Acknowledge})
	if ack.Status != http.StatusOK {
		t.Fatalf("acknowledge: %d %s", ack.Status, ack.Body)
	}
	read := ack.Header.Get("ETag")
	receipt := func() {
		t.Helper()
		err := tn.Node.DB().Tx(ctx, func(tx *store.Tx) error {
			r, err := tx.RequestForUpdate(ctx, "VNM", req.ID)
			if err != nil {
				return err
			}
			e := casework.Event{RequestID: req.ID, At: testEpoch, Actor: "system", ActorState: "FRA", Action: casework.Receipt, Note: "received by FRA's node"}
			was := r.Version
			casework.ApplyEvent(r, e)
			if err := tx.UpdateRequest(ctx, r, was); err != nil {
				return err
			}
			return tx.AppendEvent(ctx, "VNM", e)
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	receipt()
	receipt()
	if start := tn.moveIfMatch(t, vnm, req.ID, read, casework.Transition{Action: casework.Start}); start.Status != http.StatusOK {
		t.Fatalf("start at the version read before two receipts: %d %s; want 200", start.Status, start.Body)
	}
	// Read after the start; another official decides; a receipt comes.
	before := tn.do(t, "GET", "/api/v1/requests/"+req.ID, vnm, nil).Header.Get("ETag")
	tn.mustMove(t, vnm, req.ID, casework.Transition{Action: casework.RequestInfo, Note: "which accounts?"}, casework.MoreInfoRequested)
	receipt()
	wantProblem(t, tn.moveIfMatch(t, vnm, req.ID, before, casework.Transition{Action: casework.RequestInfo, Note: "and which dates?"}), http.StatusPreconditionFailed, "If-Match", "")
}
