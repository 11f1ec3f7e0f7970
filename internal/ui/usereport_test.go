package ui

import (
	"net/url"
	"strings"
	"testing"

	"entraide/internal/casework"
	"entraide/internal/identity"
)

// givenRequest is a request from to to state, which state acknowledged,
// started, and answered with an item it sent to. It returns the request
// and state's item.
func givenRequest(t *testing.T, tn *testNode, state, to string) (request, item string) {
	t.Helper()
	ctx := t.Context()
	from, ca := actor(to, identity.CentralAuthority), actor(state, identity.CentralAuthority)
	r, err := tn.Node.CreateRequest(ctx, from, preservationContents(state))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tn.Node.Transition(ctx, from, r.ID, casework.Transition{Action: casework.Send}); err != nil {
		t.Fatal(err)
	}
	for _, a := range []casework.Action{casework.Acknowledge, casework.Start} {
		if _, err := tn.Node.Transition(ctx, ca, r.ID, casework.Transition{Action: a}); err != nil {
			t.Fatal(err)
		}
	}
	item = addItem(t, tn, ca, r.ID, []byte("subscriber record given by "+state))
	if _, err := tn.Node.SendEvidence(ctx, ca, r.ID, item, nil); err != nil {
		t.Fatal(err)
	}
	return r.ID, item
}

// TestUseReportOnTheRequestPage: on the page of a request it answered
// with evidence, the requested State's central authority asks what was
// done with it; the answer (here from a State hosted on the same node,
// checked as a peer's is) shows verified, with the other State's view and
// download in words, and its officials' roles, not their names. The
// requesting State's page offers no such question, nor does the
// auditor's, who reads the report all the same; in French too.
func TestUseReportOnTheRequestPage(t *testing.T) {
	tn := newTestNode(t, "sqlite")
	request, _ := givenRequest(t, tn, "FRA", "VNM")
	page := "/ui/requests/" + request

	// VNM reads what it received, and downloads it.
	vnm := actor("VNM", identity.CentralAuthority)
	items, err := tn.Node.EvidenceItems(t.Context(), vnm, request)
	if err != nil || len(items) != 1 {
		t.Fatalf("VNM's items: %v %v", items, err)
	}
	if _, err := tn.Node.EvidenceItem(t.Context(), vnm, request, items[0].ID); err != nil {
		t.Fatal(err)
	}
	rd, _, err := tn.Node.OpenEvidence(t.Context(), vnm, request, items[0].ID, "evidence.downloaded", nil)
	if err != nil {
		t.Fatal(err)
	}
	rd.Close()
	if p := tn.signedIn(t, "VNM", identity.CentralAuthority).do(t, "GET", page, nil); strings.Contains(p.Body, `id="use-reports"`) || strings.Contains(p.Body, "/use-reports") {
		t.Errorf("the requesting State's page offers a use report")
	}

	ca := tn.signedIn(t, "FRA", identity.CentralAuthority)
	p := ca.do(t, "GET", page, nil)
	if !strings.Contains(p.Body, `id="ask-use"`) || !strings.Contains(p.Body, "Ask for a use report") {
		t.Fatalf("FRA's page offers no use report\n%s", p.Body)
	}
	got := ca.do(t, "POST", page+"/use-reports", url.Values{})
	if got.Status != 303 || !strings.Contains(got.Location, "m=urasked") {
		t.Fatalf("ask: %d to %q\n%s", got.Status, got.Location, got.Body)
	}
	p = ca.do(t, "GET", page+"?m=urasked", nil)
	for _, want := range []string{`data-verified="true"`, "Verified against the log of Viet Nam (VNM): yes", "downloaded", "viewed",
		"central authority, Viet Nam (VNM)", "arriving from France (FRA)", "The other State&#39;s node answers by itself"} {
		if !strings.Contains(p.Body, want) {
			t.Errorf("FRA's page after asking lacks %q", want)
		}
	}
	section, _, _ := strings.Cut(p.Body[strings.Index(p.Body, `id="use-reports"`):], "</section>")
	if strings.Contains(section, officialID("VNM", identity.CentralAuthority)) {
		t.Errorf("the use report names VNM's official\n%s", section)
	}
	aud := tn.signedIn(t, "FRA", identity.Auditor).do(t, "GET", page, nil)
	if strings.Contains(aud.Body, `id="ask-use"`) || !strings.Contains(aud.Body, `data-verified="true"`) {
		t.Errorf("the auditor reads the report and is offered no question")
	}
	fr := tn.signedIn(t, "FRA", identity.CentralAuthority)
	fr.do(t, "POST", "/ui/lang", url.Values{"lang": {"fr"}, "next": {page}})
	if p := fr.do(t, "GET", page, nil); !strings.Contains(p.Body, "Vérifié contre le journal de") || !strings.Contains(p.Body, "Demander un rapport d&#39;utilisation") {
		t.Errorf("the French page does not say the report in French")
	}
}
