package web

import (
	"bytes"
	"testing"

	"entraide/internal/casework"
	"entraide/internal/convention"
	"entraide/internal/evidence"
	"entraide/internal/identity"
	"entraide/internal/node"
)

// givenUnder has giver answer a request of receiver's with an item sent
// under a bar on onward transfer, and returns the request and the item
// in each State's view.
func (tn *testNode) givenUnder(t testing.TB, giver, receiver string) (request, giverItem, receiverItem string) {
	t.Helper()
	ctx := t.Context()
	asker, ca := actor(receiver, identity.CentralAuthority), actor(giver, identity.CentralAuthority)
	r := tn.draft(t, asker, mlaContents(giver))
	if _, err := tn.Node.Transition(ctx, asker, r.ID, casework.Transition{Action: casework.Send}); err != nil {
		t.Fatalf("send: %v", err)
	}
	for _, a := range []casework.Action{casework.Acknowledge, casework.Start} {
		if _, err := tn.Node.Transition(ctx, ca, r.ID, casework.Transition{Action: a}); err != nil {
			t.Fatalf("%s: %v", a, err)
		}
	}
	data := []byte("given by " + giver + " under conditions")
	it, err := tn.Node.StartEvidence(ctx, ca, r.ID, evidence.Spec{Name: "answer.txt", MediaType: "text/plain"}, int64(len(data)))
	if err != nil {
		t.Fatalf("StartEvidence: %v", err)
	}
	if _, err := tn.Node.AppendEvidence(ctx, ca, it.ID, 0, bytes.NewReader(data)); err != nil {
		t.Fatal(err)
	}
	if _, err := tn.Node.CompleteEvidence(ctx, ca, it.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := tn.Node.SendEvidence(ctx, ca, r.ID, it.ID, convention.Conditions{{Kind: convention.NoOnwardTransfer}}); err != nil {
		t.Fatalf("SendEvidence: %v", err)
	}
	items, err := tn.Node.EvidenceItems(ctx, asker, r.ID)
	if err != nil || len(items) != 1 || len(items[0].Conditions) != 1 {
		t.Fatalf("%s's items of %s = %+v, %v, want one item under one condition", receiver, r.ID, items, err)
	}
	return r.ID, it.ID, items[0].ID
}

// thirdState is a test State that is neither a nor b.
func thirdState(a, b string) string {
	for _, s := range testStates {
		if s != a && s != b {
			return s
		}
	}
	panic("two test States")
}

// askedOf returns a consent request that receiver asked of giver, to
// give an item giver gave it to the third test State.
func (tn *testNode) askedOf(t testing.TB, giver, receiver string) (request, consent string) {
	t.Helper()
	request, _, item := tn.givenUnder(t, giver, receiver)
	third := thirdState(giver, receiver)
	c, err := tn.Node.AskConsent(t.Context(), actor(receiver, identity.CentralAuthority), request,
		node.ConsentAsk{Items: []string{item}, Use: convention.Use{ToState: third}, Reasons: "a joint investigation with " + third})
	if err != nil {
		t.Fatalf("AskConsent: %v", err)
	}
	return request, c.ID
}

func init() {
	routeCases["GET /api/v1/consents"] = func(*testing.T, *testNode, string) routeCall { return routeCall{path: "/api/v1/consents"} }
	routeCases["GET /api/v1/requests/{id}/consents"] = func(t *testing.T, tn *testNode, s string) routeCall {
		r := tn.draft(t, actor(s, identity.CentralAuthority), mlaContents(otherState(s)))
		return routeCall{path: "/api/v1/requests/" + r.ID + "/consents"}
	}
	routeCases["POST /api/v1/requests/{id}/consents"] = func(t *testing.T, tn *testNode, s string) routeCall {
		// s received the item: s asks.
		giver := otherState(s)
		r, _, item := tn.givenUnder(t, giver, s)
		return routeCall{path: "/api/v1/requests/" + r + "/consents",
			body: node.ConsentAsk{Items: []string{item}, Use: convention.Use{ToState: thirdState(giver, s)}, Reasons: "a joint team"}}
	}
	routeCases["POST /api/v1/consents/{consent}/answer"] = func(t *testing.T, tn *testNode, s string) routeCall {
		_, c := tn.askedOf(t, s, otherState(s))
		return routeCall{path: "/api/v1/consents/" + c + "/answer", body: node.ConsentAnswer{Grant: false, Reasons: "not for a third State"}}
	}
	crossCalls["GET /api/v1/consents"] = listCall("/api/v1/consents")
	crossCalls["GET /api/v1/requests/{id}/consents"] = pathCall(func(id string) string { return "/api/v1/requests/" + id + "/consents" }, nil,
		func(v victimData) string { return v.sent })
	crossCalls["POST /api/v1/requests/{id}/consents"] = pathCall(func(id string) string { return "/api/v1/requests/" + id + "/consents" },
		node.ConsentAsk{Items: []string{missingID}, Use: convention.Use{ToState: "ZAF"}, Reasons: "intrusion"}, func(v victimData) string { return v.sent })
	crossCalls["POST /api/v1/consents/{consent}/answer"] = pathCall(func(id string) string { return "/api/v1/consents/" + id + "/answer" },
		node.ConsentAnswer{Grant: true}, func(v victimData) string { return v.consent })
}

// victimConsent is a consent request ZAF asked of state, on a node
// that hosts both.
func (tn *testNode) victimConsent(t testing.TB, state string) string {
	t.Helper()
	_, c := tn.askedOf(t, state, "ZAF")
	return c
}
