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

	var ok casework.Request
	if code := fra.do("POST", "/api/v1/requests", preservation("VNM"), &ok); code != 201 {
		t.Fatalf("create on reciprocity: %d", code)
	}
	if code := fra.do("POST", "/api/v1/requests/"+ok.ID+"/transitions", casework.Transition{Action: casework.Send}, nil); code != 200 {
		t.Fatalf("send on reciprocity: %d", code)
	}
	vnm.waitFor(ok.ID, casework.Received)
}
