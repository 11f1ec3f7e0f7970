package localnet_test

import (
	"io"
	"strings"
	"testing"

	"entraide/internal/casework"
	"entraide/internal/convention"
	"entraide/internal/evidence"
	"entraide/internal/node"
)

// TestConditionedBytesAnswerNoThirdState: VNM gives FRA an item under a
// bar on onward transfer. ZAF then asks FRA for assistance, and FRA adds
// the same bytes to its answer as an item of its own: sending it to ZAF
// would pass what VNM gave to a third State, and is refused, as an export
// or a request carrying it would be, until VNM consents (art. 40(19),
// art. 36(3)); the refusal is in the custody of the item VNM gave.
func TestConditionedBytesAnswerNoThirdState(t *testing.T) {
	net, officials := startNetwork(t, "FRA", "VNM", "ZAF")
	fra, vnm, zaf := officials["FRA"], officials["VNM"], officials["ZAF"]
	var r casework.Request
	fra.do("POST", "/api/v1/requests", mla("VNM"), &r)
	fra.do("POST", "/api/v1/requests/"+r.ID+"/transitions", casework.Transition{Action: casework.Send}, nil)
	vnm.waitFor(r.ID, casework.Received)
	for _, a := range []casework.Action{casework.Acknowledge, casework.Start} {
		if code := vnm.do("POST", "/api/v1/requests/"+r.ID+"/transitions", casework.Transition{Action: a}, nil); code != 200 {
			t.Fatalf("%s: %d", a, code)
		}
	}
	given := gathered(t, net, "VNM", r.ID, "mailbox.mbox", 5_000)
	if code := vnm.do("POST", "/api/v1/requests/"+r.ID+"/evidence/"+given.ID+"/send", map[string]any{"conditions": convention.Conditions{{Kind: convention.NoOnwardTransfer}}}, nil); code != 202 {
		t.Fatalf("send: %d", code)
	}
	held := receivedItem(t, fra, r.ID, given.ID)

	var z casework.Request
	if code := zaf.do("POST", "/api/v1/requests", mla("FRA"), &z); code != 201 {
		t.Fatalf("ZAF's request: %d", code)
	}
	zaf.do("POST", "/api/v1/requests/"+z.ID+"/transitions", casework.Transition{Action: casework.Send}, nil)
	fra.waitFor(z.ID, casework.Received)
	for _, a := range []casework.Action{casework.Acknowledge, casework.Start} {
		if code := fra.do("POST", "/api/v1/requests/"+z.ID+"/transitions", casework.Transition{Action: a}, nil); code != 200 {
			t.Fatalf("%s: %d", a, code)
		}
	}
	copied := gathered(t, net, "FRA", z.ID, "mailbox.mbox", 5_000)
	if copied.SHA256 != held.SHA256 {
		t.Fatalf("the copy's SHA-256 %s is not the item's %s", copied.SHA256, held.SHA256)
	}
	resp, err := fra.send(t.Context(), "POST", "/api/v1/requests/"+z.ID+"/evidence/"+copied.ID+"/send", nil)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 409 || !strings.Contains(string(body), "entraide consent ask "+r.ID) {
		t.Fatalf("FRA sends ZAF the bytes VNM gave under a bar on onward transfer: %d %s, want 409 naming the consent to ask", resp.StatusCode, body)
	}
	if ds := custodyDetail(t, fra, r.ID, held.ID, evidence.ActionUseRefused); len(ds) != 1 {
		t.Errorf("refused uses recorded in the custody of the item VNM gave: %v, want 1", ds)
	}
}

// TestConsentToOtherProceedingsAllowsThem: VNM gives FRA an item under a
// use limitation; FRA asks consent to use it in other proceedings, VNM
// grants it, and FRA's export for those proceedings, and those alone,
// is then allowed (art. 40(19)).
func TestConsentToOtherProceedingsAllowsThem(t *testing.T) {
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
	given := gathered(t, net, "VNM", r.ID, "mailbox.mbox", 3_000)
	if code := vnm.do("POST", "/api/v1/requests/"+r.ID+"/evidence/"+given.ID+"/send", map[string]any{"conditions": convention.Conditions{{Kind: convention.UseLimited}}}, nil); code != 202 {
		t.Fatalf("send: %d", code)
	}
	held := receivedItem(t, fra, r.ID, given.ID)
	if code, _ := exportStatus(t, fra, r.ID, "?proceedings=case+2026%2F17"); code != 409 {
		t.Fatalf("export for other proceedings before consent: %d, want 409", code)
	}
	var ask evidence.Consent
	if code := fra.do("POST", "/api/v1/requests/"+r.ID+"/consents", node.ConsentAsk{Items: []string{held.ID}, Use: convention.Use{Proceedings: "case 2026/17"},
		Reasons: "the same group attacked a clinic"}, &ask); code != 201 {
		t.Fatalf("ask consent: %d", code)
	}
	waitConsent(t, vnm, r.ID, ask.ID, evidence.ConsentAsked)
	if code := vnm.do("POST", "/api/v1/consents/"+ask.ID+"/answer", node.ConsentAnswer{Grant: true}, nil); code != 200 {
		t.Fatalf("grant: %d", code)
	}
	waitConsent(t, fra, r.ID, ask.ID, evidence.ConsentGranted)
	if code, body := exportStatus(t, fra, r.ID, "?proceedings=case+2026%2F17"); code != 200 {
		t.Errorf("export for the proceedings consented to: %d %s, want 200", code, body)
	}
	if code, _ := exportStatus(t, fra, r.ID, "?proceedings=case+2026%2F18"); code != 409 {
		t.Errorf("export for other proceedings than those consented to: %d, want 409", code)
	}
}
