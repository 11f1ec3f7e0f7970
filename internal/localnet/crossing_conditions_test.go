package localnet_test

import (
	"testing"
	"time"

	"entraide/internal/casework"
	"entraide/internal/convention"
	"entraide/internal/identity"
)

// TestAnswerConditionsSurviveACrossing: the requested State executes,
// setting conditions on its answer, while the requesting State withdraws,
// each before hearing of the other. The requesting node notes the
// execution as crossed and does not apply it, but the items it received
// in answer are bound by the answer's conditions all the same (art.
// 40(19)): a crossing does not strip them.
func TestAnswerConditionsSurviveACrossing(t *testing.T) {
	net, officials := startNetwork(t, "FRA", "VNM")
	fra, vnm := officials["FRA"], officials["VNM"]
	var r casework.Request
	fra.do("POST", "/api/v1/requests", mla("VNM"), &r)
	fra.do("POST", "/api/v1/requests/"+r.ID+"/transitions", casework.Transition{Action: casework.Send}, nil)
	vnm.waitFor(r.ID, casework.Received)
	for _, a := range []casework.Action{casework.Acknowledge, casework.Start} {
		if code := vnm.do("POST", "/api/v1/requests/"+r.ID+"/transitions", casework.Transition{Action: a}, nil); code != 200 {
			t.Fatalf("%s: %d", a, code)
		}
	}
	fra.waitFor(r.ID, casework.InProgress)
	it := gathered(t, net, "VNM", r.ID, "logs.bin", 100)
	if code := vnm.do("POST", "/api/v1/requests/"+r.ID+"/evidence/"+it.ID+"/send", nil, nil); code != 202 {
		t.Fatalf("send: %d", code)
	}
	got := receivedItem(t, fra, r.ID, it.ID)

	net.Client.CloseIdleConnections()
	net.Nodes["FRA"].Stop()
	net.Nodes["VNM"].Stop()
	fraCA := casework.Actor{ID: "ca-fra", State: "FRA", Role: identity.CentralAuthority}
	vnmCA := casework.Actor{ID: "ca-vnm", State: "VNM", Role: identity.CentralAuthority}
	if _, err := net.Nodes["FRA"].Node.Transition(t.Context(), fraCA, r.ID, casework.Transition{Action: casework.Withdraw, Note: "The suspect was arrested."}); err != nil {
		t.Fatal(err)
	}
	execute := casework.Transition{Action: casework.Execute, AnswerConditions: convention.Conditions{{Kind: convention.NoOnwardTransfer}}}
	if _, err := net.Nodes["VNM"].Node.Transition(t.Context(), vnmCA, r.ID, execute); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"FRA", "VNM"} {
		if err := net.Nodes[s].Restart(t.Context(), net); err != nil {
			t.Fatal(err)
		}
	}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		crossed := false
		for _, e := range fra.waitFor(r.ID, casework.Withdrawn).Timeline {
			crossed = crossed || e.Action == casework.Crossed
		}
		if crossed {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no crossed note at FRA")
		}
	}
	if held := itemAt(t, fra, r.ID, got.ID); !hasKind(held.Conditions, convention.NoOnwardTransfer) {
		t.Errorf("the item FRA received is bound by %+v after the crossing, want the answer's bar on onward transfer", held.Conditions)
	}
}
