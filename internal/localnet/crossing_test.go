package localnet_test

import (
	"testing"
	"time"

	"entraide/internal/casework"
	"entraide/internal/convention"
	"entraide/internal/identity"
)

// TestCrossingMoves: the requesting State withdraws while the requested
// State refuses after consultation, each before hearing of the other. Neither node may be
// left stuck: each notes the other's step, later messages still apply,
// and both can close the request.
func TestCrossingMoves(t *testing.T) {
	net, officials := startNetwork(t, "FRA", "VNM")
	fra, vnm := officials["FRA"], officials["VNM"]
	var r casework.Request
	fra.do("POST", "/api/v1/requests", preservation("VNM"), &r)
	fra.do("POST", "/api/v1/requests/"+r.ID+"/transitions", casework.Transition{Action: casework.Send}, nil)
	vnm.waitFor(r.ID, casework.Received)
	for _, a := range []casework.Action{casework.Acknowledge, casework.Start, casework.Consult} {
		if code := vnm.do("POST", "/api/v1/requests/"+r.ID+"/transitions", casework.Transition{Action: a}, nil); code != 200 {
			t.Fatalf("%s: %d", a, code)
		}
	}
	fra.waitFor(r.ID, casework.Consultation)

	// Both nodes go down; each State acts on its own view meanwhile.
	net.Client.CloseIdleConnections()
	net.Nodes["FRA"].Stop()
	net.Nodes["VNM"].Stop()
	fraCA := casework.Actor{ID: "ca-fra", State: "FRA", Role: identity.CentralAuthority}
	vnmCA := casework.Actor{ID: "ca-vnm", State: "VNM", Role: identity.CentralAuthority}
	if _, err := net.Nodes["FRA"].Node.Transition(t.Context(), fraCA, r.ID, casework.Transition{Action: casework.Withdraw, Note: "The suspect was arrested."}); err != nil {
		t.Fatal(err)
	}
	refusal := casework.Transition{Action: casework.Refuse, Grounds: []convention.Ground{convention.EssentialInterests}, Reasons: "The server belongs to a State agency."}
	if _, err := net.Nodes["VNM"].Node.Transition(t.Context(), vnmCA, r.ID, refusal); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"FRA", "VNM"} {
		if err := net.Nodes[s].Restart(t.Context(), net); err != nil {
			t.Fatal(err)
		}
	}
	crossed := func(a api, want casework.State) {
		t.Helper()
		for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
			doc := a.waitFor(r.ID, want)
			for _, e := range doc.Timeline {
				if e.Action == casework.Crossed {
					return
				}
			}
		}
		t.Fatalf("no crossed note at %s", a.url)
	}
	crossed(fra, casework.Withdrawn)
	crossed(vnm, casework.Refused)

	// Later messages still apply: both close, and both views end closed.
	for _, a := range []api{fra, vnm} {
		if code := a.do("POST", "/api/v1/requests/"+r.ID+"/transitions", casework.Transition{Action: casework.Close}, nil); code != 200 {
			t.Fatalf("close at %s: %d", a.url, code)
		}
	}
	fra.waitFor(r.ID, casework.Closed)
	vnm.waitFor(r.ID, casework.Closed)
	for _, s := range []string{"FRA", "VNM"} {
		out, err := net.Nodes[s].DB.Outbox(t.Context(), 100)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range out {
			if !m.ExpiredAt.IsZero() {
				t.Errorf("%s gave up on message %s (%s): %s", s, m.ID, m.Type, m.LastError)
			}
		}
	}
}
