package web

import (
	"bytes"
	"testing"

	"entraide/internal/casework"
	"entraide/internal/evidence"
	"entraide/internal/identity"
)

// givenItem gives state an item of a request that to, another hosted
// State, sent it, and sends it to to with the answer: what state may ask a
// use report about.
func (tn *testNode) givenItem(t testing.TB, state, to string, data []byte) (request, item string) {
	t.Helper()
	ctx := t.Context()
	r := tn.draft(t, actor(to, identity.CentralAuthority), mlaContents(state))
	if _, err := tn.Node.Transition(ctx, actor(to, identity.CentralAuthority), r.ID, casework.Transition{Action: casework.Send}); err != nil {
		t.Fatalf("send: %v", err)
	}
	ca := actor(state, identity.CentralAuthority)
	for _, a := range []casework.Action{casework.Acknowledge, casework.Start} {
		if _, err := tn.Node.Transition(ctx, ca, r.ID, casework.Transition{Action: a}); err != nil {
			t.Fatalf("%s: %v", a, err)
		}
	}
	it, err := tn.Node.StartEvidence(ctx, ca, r.ID, evidence.Spec{Name: "given.txt", MediaType: "text/plain"}, int64(len(data)))
	if err != nil {
		t.Fatalf("StartEvidence: %v", err)
	}
	if _, err := tn.Node.AppendEvidence(ctx, ca, it.ID, 0, bytes.NewReader(data)); err != nil {
		t.Fatal(err)
	}
	if _, err := tn.Node.CompleteEvidence(ctx, ca, it.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := tn.Node.SendEvidence(ctx, ca, r.ID, it.ID, nil); err != nil {
		t.Fatalf("SendEvidence: %v", err)
	}
	return r.ID, it.ID
}

// askedUseReport gives state a use report asked of to, answered: to is
// hosted on the same node, whose log answers at once.
func (tn *testNode) askedUseReport(t testing.TB, state, to string) (request, report string) {
	t.Helper()
	request, _ = tn.givenItem(t, state, to, []byte("given by "+state+" to "+to))
	rep, err := tn.Node.AskUseReport(t.Context(), actor(state, identity.CentralAuthority), request, "")
	if err != nil {
		t.Fatalf("AskUseReport: %v", err)
	}
	if !rep.Verified {
		t.Fatalf("the report of a State hosted on the same node = %+v, want verified", rep)
	}
	return request, rep.ID
}

func init() {
	routeCases["POST /api/v1/requests/{id}/use-reports"] = func(t *testing.T, tn *testNode, s string) routeCall {
		r, _ := tn.givenItem(t, s, otherState(s), []byte("given by "+s))
		return routeCall{path: "/api/v1/requests/" + r + "/use-reports", body: useReportInput{}}
	}
	routeCases["GET /api/v1/requests/{id}/use-reports"] = func(t *testing.T, tn *testNode, s string) routeCall {
		r, _ := tn.askedUseReport(t, s, otherState(s))
		return routeCall{path: "/api/v1/requests/" + r + "/use-reports"}
	}
	routeCases["GET /api/v1/requests/{id}/use-reports/{report}"] = func(t *testing.T, tn *testNode, s string) routeCall {
		r, rep := tn.askedUseReport(t, s, otherState(s))
		return routeCall{path: "/api/v1/requests/" + r + "/use-reports/" + rep}
	}

	crossCalls["POST /api/v1/requests/{id}/use-reports"] = pathCall(func(id string) string { return "/api/v1/requests/" + id + "/use-reports" }, useReportInput{},
		func(v victimData) string { return v.gave })
	crossCalls["GET /api/v1/requests/{id}/use-reports"] = pathCall(func(id string) string { return "/api/v1/requests/" + id + "/use-reports" }, nil,
		func(v victimData) string { return v.gave })
	crossCalls["GET /api/v1/requests/{id}/use-reports/{report}"] = crossCall{reach: byPath,
		victims: func(v victimData) routeCall {
			return routeCall{path: "/api/v1/requests/" + v.gave + "/use-reports/" + v.useReport}
		},
		absent: func(v victimData) routeCall {
			return routeCall{path: "/api/v1/requests/" + missingID + "/use-reports/" + missingID}
		}}
}
