package ui

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"entraide/internal/casework"
	"entraide/internal/identity"
)

// TestScreeningPages: the administrator flags a State on its page; the
// inbox marks a request from it as needing a screening; its page shows
// the screening form before the actions, with no start until a screening
// clears it; a screening that skips a ground is shown again with the
// problem beside the checklist.
func TestScreeningPages(t *testing.T) {
	tn := newTestNode(t, "sqlite")
	ctx := t.Context()
	admin := tn.signedIn(t, "VNM", identity.Administrator)
	if p := admin.do(t, "POST", "/ui/admin/screening", url.Values{"state": {"FRA"}, "reason": {"Reports of requests aimed at journalists"}}); p.Status != http.StatusSeeOther {
		t.Fatalf("flag FRA: %d\n%s", p.Status, p.Body)
	}
	if p := admin.do(t, "GET", "/ui/admin/screening", nil); !strings.Contains(p.Body, "Reports of requests aimed at journalists") || !strings.Contains(p.Body, "/ui/admin/screening/FRA/remove") {
		t.Errorf("the page of flags does not list FRA:\n%s", p.Body)
	}
	if p := admin.do(t, "POST", "/ui/admin/screening", url.Values{"state": {"FRA"}, "reason": {" "}}); p.Status != http.StatusUnprocessableEntity || !strings.Contains(p.Body, `id="fl-reason-err"`) {
		t.Errorf("flag without a reason: %d, want 422 with the problem beside the reason", p.Status)
	}

	fra := actor("FRA", identity.CentralAuthority)
	r, err := tn.Node.CreateRequest(ctx, fra, preservationContents("VNM"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tn.Node.Transition(ctx, fra, r.ID, casework.Transition{Action: casework.Send}); err != nil {
		t.Fatal(err)
	}
	if _, err := tn.Node.Transition(ctx, actor("VNM", identity.CentralAuthority), r.ID, casework.Transition{Action: casework.Acknowledge}); err != nil {
		t.Fatal(err)
	}
	ca := tn.signedIn(t, "VNM", identity.CentralAuthority)
	if p := ca.do(t, "GET", "/ui/inbox", nil); !strings.Contains(p.Body, "screening needed") {
		t.Errorf("the inbox does not mark the request as needing a screening:\n%s", p.Body)
	}
	page := ca.do(t, "GET", "/ui/requests/"+r.ID, nil)
	// The id is set left to right in its own run, so that in Arabic its
	// hyphens do not reorder it and the title.
	for _, want := range []string{`id="screening-form"`, `id="screening-needed"`, "Reports of requests aimed at journalists", "art. 40(22)", `<small dir="ltr">` + r.ID + `</small>`} {
		if !strings.Contains(page.Body, want) {
			t.Errorf("the request page does not show %q", want)
		}
	}
	if strings.Index(page.Body, `id="screening"`) > strings.Index(page.Body, `id="h-actions"`) || strings.Contains(page.Body, `id="act-start"`) {
		t.Errorf("the screening does not come before the actions, or start is offered before it")
	}

	form := screeningForm()
	form.Del("considered")
	form.Add("considered", "discrimination")
	if p := ca.do(t, "POST", "/ui/requests/"+r.ID+"/screening", form); p.Status != http.StatusUnprocessableEntity || !strings.Contains(p.Body, `id="screening-considered-err"`) {
		t.Errorf("a screening that skips grounds: %d, want 422 with the problem beside the checklist", p.Status)
	}
	// Said in the form's words and the page's language, the ticked
	// boxes kept: not the API's field and ground codes in English.
	form.Del("findings")
	p := ca.do(t, "POST", "/ui/requests/"+r.ID+"/screening", form, "Accept-Language", "fr")
	for _, want := range []string{"motifs pas encore examinés\u00a0: Proportionnalité (art. 24, par. 1", "</strong>\u00a0: Examinez", "Indiquez ce que vous avez constaté", `value="discrimination" aria-labelledby="sg-0 considered-0-l" checked`} {
		if !strings.Contains(p.Body, want) {
			t.Errorf("a screening in French that skips grounds and findings: the page does not say %q", want)
		}
	}
	for _, bad := range []string{"consider ground", "<strong>considered</strong>", "required: what was found"} {
		if strings.Contains(p.Body, bad) {
			t.Errorf("a screening in French that skips grounds and findings: the page says %q, the API's English", bad)
		}
	}
	if p := ca.do(t, "POST", "/ui/requests/"+r.ID+"/screening", screeningForm()); p.Status != http.StatusSeeOther {
		t.Fatalf("screening: %d\n%s", p.Status, p.Body)
	}
	page = ca.do(t, "GET", "/ui/requests/"+r.ID, nil)
	if !strings.Contains(page.Body, `data-outcome="cleared"`) || !strings.Contains(page.Body, `id="act-start"`) || strings.Contains(page.Body, `id="screening-needed"`) {
		t.Errorf("after a cleared screening the page does not show it, or does not offer start")
	}
	if p := tn.signedIn(t, "FRA", identity.CentralAuthority).do(t, "GET", "/ui/requests/"+r.ID, nil); strings.Contains(p.Body, `id="screening"`) || strings.Contains(p.Body, "No indication on any ground") {
		t.Errorf("the requesting State's page shows the screening")
	}
	if p := tn.signedIn(t, "VNM", identity.Investigator).do(t, "GET", "/ui/requests/"+r.ID, nil); strings.Contains(p.Body, `id="screening-form"`) {
		t.Errorf("an investigator is offered the screening form")
	}
}
