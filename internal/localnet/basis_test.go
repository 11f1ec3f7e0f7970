package localnet_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"entraide/internal/casework"
	"entraide/internal/directory"
	"entraide/internal/node"
	"entraide/internal/store"
)

// TestConventionBasisRefusedOnArrival: the requested node checks the
// legal basis by its own treaty records. France's node holds forty
// deposits, its own and Viet Nam's among them, and sends a request resting
// on the Convention; Viet Nam's node knows of no Vietnamese instrument and
// refuses it, saying why (arts. 40(1), 65), while a request on reciprocity
// arrives.
func TestConventionBasisRefusedOnArrival(t *testing.T) {
	net, officials := startNetwork(t, "FRA", "VNM")
	fra, vnm := officials["FRA"], officials["VNM"]
	ctx := t.Context()
	fraNode := net.Nodes["FRA"].Node
	codes := []string{"FRA", "VNM"}
	for _, r := range directory.EmbeddedTreatyStatus() {
		if len(codes) < 40 && r.Code != "EUU" && !slices.Contains(codes, r.Code) && !r.Signed.IsZero() {
			codes = append(codes, r.Code)
		}
	}
	first := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i, code := range codes {
		if _, err := fraNode.RecordTreaty(ctx, fraNode.Admin(), node.TreatyAction{Code: code, Deposited: first.AddDate(0, 0, i).Format(time.DateOnly), Instrument: "ratification"}); err != nil {
			t.Fatalf("RecordTreaty(%s) = %v", code, err)
		}
	}
	if st, err := fraNode.TreatyStatus(ctx); err != nil || !st.InForce {
		t.Fatalf("France's treaty status = %q, %v; want in force", st.Summary, err)
	}

	onConvention := preservation("VNM")
	onConvention.LegalBasis = &casework.LegalBasis{Type: casework.BasisConvention}
	var r casework.Request
	if code := fra.do("POST", "/api/v1/requests", onConvention, &r); code != 201 {
		t.Fatalf("create on the Convention: %d", code)
	}
	if code := fra.do("POST", "/api/v1/requests/"+r.ID+"/transitions", casework.Transition{Action: casework.Send}, nil); code != 200 {
		t.Fatalf("send on the Convention, in force for both by France's records: %d", code)
	}
	var msg store.OutboxEntry
	deadline := time.Now().Add(deliveryDeadline)
	for {
		out, err := net.Nodes["FRA"].DB.Outbox(ctx, 100)
		if err != nil {
			t.Fatal(err)
		}
		i := slices.IndexFunc(out, func(m store.OutboxEntry) bool { return m.RequestID == r.ID && m.Type == node.MsgRequestSend })
		if i < 0 {
			t.Fatalf("FRA's outbox holds no message sending %s", r.ID)
		}
		if msg = out[i]; !msg.ExpiredAt.IsZero() || !msg.DeliveredAt.IsZero() {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("message %s neither refused nor delivered: last error %q", msg.ID, msg.LastError)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if msg.ExpiredAt.IsZero() || !strings.Contains(msg.LastError, "VNM has not ratified") || !strings.Contains(msg.LastError, "reciprocity") {
		t.Errorf("art 40(1), art 65: Viet Nam's answer to a request on the Convention = delivered %v, %q; want refused, saying VNM has not ratified and naming reciprocity",
			!msg.DeliveredAt.IsZero(), msg.LastError)
	}
	if code := vnm.do("GET", "/api/v1/requests/"+r.ID, nil, nil); code != 404 {
		t.Errorf("Viet Nam's view of the refused request: %d, want 404", code)
	}
	// France's official sees it on the request, and on its timeline, with
	// what to do next; withdrawing it is allowed.
	var doc struct {
		requestDoc
		Allowed []casework.Action `json:"allowed_actions"`
	}
	if code := fra.do("GET", "/api/v1/requests/"+r.ID, nil, &doc); code != 200 {
		t.Fatalf("France's view of the refused request: %d", code)
	}
	if u := doc.Request.Undelivered; u == nil || u.To != "VNM" || !strings.Contains(u.Why, "VNM has not ratified") || !strings.Contains(u.Why, "withdraw this request") || !strings.Contains(u.Why, `"reciprocity"`) {
		t.Errorf("France's view: undelivered = %+v; want VNM's refusal, naming the withdrawal as next step", u)
	}
	if last := doc.Timeline[len(doc.Timeline)-1]; last.Action != casework.Undelivered || last.ActorState != "VNM" {
		t.Errorf("France's timeline ends with %s by %s; want undelivered, VNM", last.Action, last.ActorState)
	}
	if !slices.Contains(doc.Allowed, casework.Withdraw) {
		t.Errorf("allowed actions %v; want withdraw among them", doc.Allowed)
	}
	if code := fra.do("POST", "/api/v1/requests/"+r.ID+"/transitions", casework.Transition{Action: casework.Withdraw, Reasons: "Refused on arrival: resent on reciprocity."}, nil); code != 200 {
		t.Errorf("withdraw the refused request: %d, want 200", code)
	}

	var ok casework.Request
	if code := fra.do("POST", "/api/v1/requests", preservation("VNM"), &ok); code != 201 {
		t.Fatalf("create on reciprocity: %d", code)
	}
	if code := fra.do("POST", "/api/v1/requests/"+ok.ID+"/transitions", casework.Transition{Action: casework.Send}, nil); code != 200 {
		t.Fatalf("send on reciprocity: %d", code)
	}
	vnm.waitFor(ok.ID, casework.Received)
}
