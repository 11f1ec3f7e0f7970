package ui

import (
	"net/url"
	"strings"
	"testing"

	"entraide/internal/casework"
	"entraide/internal/convention"
	"entraide/internal/identity"
	"entraide/internal/node"
)

func mlaContents(requested string) casework.Contents {
	return casework.Contents{Kind: convention.MutualAssistance, RequestedState: requested, LegalBasis: &casework.LegalBasis{Type: casework.BasisReciprocity},
		Offences: []convention.Charge{{Article: 10}}, Fields: map[string]string{
			"requesting_authority": "Ministry of Public Security",
			"subject_matter":       "Investigation of a ransomware attack on a hospital",
			"conducting_authority": "Investigating police of Hanoi",
			"facts_summary":        "Ransomware encrypted the systems of a hospital.",
			"assistance_sought":    "Production of the relay server's logs.",
			"purpose":              "Evidence for criminal proceedings.",
		}}
}

// givenUnderConditions has giver send receiver, which asked it, an item
// under a bar on onward transfer through the request page's form, and
// returns the request and the item in each view.
func givenUnderConditions(t *testing.T, tn *testNode, giver, receiver string) (request, giverItem, receiverItem string) {
	t.Helper()
	ctx := t.Context()
	asker, ca := actor(receiver, identity.CentralAuthority), actor(giver, identity.CentralAuthority)
	r, err := tn.Node.CreateRequest(ctx, asker, mlaContents(giver))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tn.Node.Transition(ctx, asker, r.ID, casework.Transition{Action: casework.Send}); err != nil {
		t.Fatal(err)
	}
	for _, a := range []casework.Action{casework.Acknowledge, casework.Start} {
		if _, err := tn.Node.Transition(ctx, ca, r.ID, casework.Transition{Action: a}); err != nil {
			t.Fatal(err)
		}
	}
	giverItem = addItem(t, tn, ca, r.ID, []byte("relay logs of "+giver))
	if _, err := tn.Node.SendEvidence(ctx, ca, r.ID, giverItem, convention.Conditions{{Kind: convention.NoOnwardTransfer}}); err != nil {
		t.Fatal(err)
	}
	items, err := tn.Node.EvidenceItems(ctx, asker, r.ID)
	if err != nil || len(items) != 1 {
		t.Fatalf("%s's items: %v %v", receiver, items, err)
	}
	return r.ID, giverItem, items[0].ID
}

// TestConditionsAndConsentInTheUI: the requested State's execute and
// send forms offer the conditions; the item shows them at the receiver,
// whose page offers to ask consent; the giving State grants or refuses
// it on the consents page, and a refusal without reasons is shown on
// the form.
func TestConditionsAndConsentInTheUI(t *testing.T) {
	tn := newTestNode(t, "sqlite")
	ctx := t.Context()
	fra, vnm := actor("FRA", identity.CentralAuthority), actor("VNM", identity.CentralAuthority)
	r, err := tn.Node.CreateRequest(ctx, vnm, mlaContents("FRA"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tn.Node.Transition(ctx, vnm, r.ID, casework.Transition{Action: casework.Send}); err != nil {
		t.Fatal(err)
	}
	for _, a := range []casework.Action{casework.Acknowledge, casework.Start} {
		if _, err := tn.Node.Transition(ctx, fra, r.ID, casework.Transition{Action: a}); err != nil {
			t.Fatal(err)
		}
	}
	item := addItem(t, tn, fra, r.ID, []byte("subscriber record"))
	page := "/ui/requests/" + r.ID
	ca := tn.signedIn(t, "FRA", identity.CentralAuthority)
	p := ca.do(t, "GET", page, nil)
	for _, want := range []string{`id="act-execute-cond-no_onward_transfer"`, `id="send-` + item + `-cond-use_limited"`, `name="cond_retain_until_date"`, "(art. 36(3) (unverified))"} {
		if !strings.Contains(p.Body, want) {
			t.Errorf("FRA's request page lacks %q", want)
		}
	}
	if got := ca.do(t, "POST", page+"/evidence/"+item+"/send", url.Values{"cond_retain_until_date": {"next year"}}); got.Status != 422 || !strings.Contains(got.Body, `id="evidence-errors"`) {
		t.Errorf("a retention limit without a date: %d, want 422 on the page", got.Status)
	}
	if got := ca.do(t, "POST", page+"/evidence/"+item+"/send", url.Values{"cond_use_limited": {"1"}, "cond_personal_data_text": {"no profiling"}}); got.Status != 303 {
		t.Fatalf("send under conditions: %d\n%s", got.Status, got.Body)
	}
	if got := ca.do(t, "POST", page+"/actions", url.Values{"action": {"execute"}, "cond_no_onward_transfer": {"1"}}); got.Status != 303 {
		t.Fatalf("execute under conditions: %d\n%s", got.Status, got.Body)
	}
	v := tn.signedIn(t, "VNM", identity.CentralAuthority)
	got := v.do(t, "GET", page, nil)
	for _, want := range []string{"Use limited to the proceedings named in the request", "no profiling", "No onward transfer to a third State or organisation without consent", `id="consent-ask"`} {
		if !strings.Contains(got.Body, want) {
			t.Errorf("VNM's page lacks %q", want)
		}
	}
	items, err := tn.Node.EvidenceItems(ctx, vnm, r.ID)
	if err != nil || len(items) != 1 {
		t.Fatal(items, err)
	}
	if got := v.do(t, "POST", page+"/consents", url.Values{"items": {items[0].ID}, "for_state": {"ZAF"}, "reasons": {"a joint team"}}); got.Status != 303 || !strings.Contains(got.Location, "m=consentasked") {
		t.Fatalf("ask consent: %d %q\n%s", got.Status, got.Location, got.Body)
	}
	cs, err := tn.Node.Consents(ctx, fra, "")
	if err != nil || len(cs) != 1 {
		t.Fatalf("FRA's consents = %v, %v", cs, err)
	}
	form := `id="answer-` + cs[0].ID + `"`
	if got := v.do(t, "GET", "/ui/consents", nil); !strings.Contains(got.Body, "Waiting for an answer") || strings.Contains(got.Body, form) {
		t.Errorf("VNM's consents page: want its request, waiting, with no answer form")
	}
	if got := ca.do(t, "GET", "/ui/consents", nil); !strings.Contains(got.Body, form) {
		t.Errorf("FRA's consents page lacks the answer form")
	}
	if got := ca.do(t, "POST", "/ui/consents/"+cs[0].ID+"/answer", url.Values{"grant": {"false"}}); got.Status != 422 || !strings.Contains(got.Body, `id="consent-errors"`) {
		t.Errorf("a refusal without reasons: %d, want 422 on the page", got.Status)
	}
	if got := v.do(t, "POST", "/ui/consents/"+cs[0].ID+"/answer", url.Values{"grant": {"true"}}); got.Status != 403 {
		t.Errorf("VNM answers its own consent request: %d, want 403", got.Status)
	}
	if got := ca.do(t, "POST", "/ui/consents/"+cs[0].ID+"/answer", url.Values{"grant": {"false"}, "reasons": {"not for ZAF"}}); got.Status != 303 {
		t.Fatalf("refuse: %d\n%s", got.Status, got.Body)
	}
	if got := v.do(t, "GET", "/ui/consents", nil); !strings.Contains(got.Body, "Refused") || !strings.Contains(got.Body, "not for ZAF") {
		t.Errorf("VNM's consents page does not show the refusal and its reasons")
	}
	fr := tn.signedIn(t, "VNM", identity.CentralAuthority)
	fr.do(t, "POST", "/ui/lang", url.Values{"lang": {"fr"}, "next": {"/ui/consents"}})
	if got := fr.do(t, "GET", "/ui/consents", nil); !strings.Contains(got.Body, "Demandes de consentement") {
		t.Errorf("the consents page in French lacks its title")
	}
	_ = node.ConsentAsk{}
}
