package ui

import (
	"net/url"
	"strings"
	"testing"

	"entraide/internal/convention"
	"entraide/internal/evidence"
	"entraide/internal/identity"
)

// Art. 36 in the UI: the request page gives the marking; an auditor sees
// the fields hidden and a reveal form, and after revealing with a reason
// sees them; the administrator sets the retention period on the
// retention page, and the central authority reads there what expires.
func TestPersonalDataPages(t *testing.T) {
	tn := newTestNode(t, "sqlite")
	ctx, ca := t.Context(), actor("FRA", identity.CentralAuthority)
	c := preservationContents("VNM")
	c.Fields["facts_summary"] = "Jean Dupont sent the ransom note"
	c.PersonalData = &convention.PersonalData{Carried: true, Categories: []convention.DataCategory{convention.TrafficData, convention.HealthData}, Persons: []convention.PersonCategory{convention.Victim}}
	r, err := tn.Node.CreateRequest(ctx, ca, c)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tn.Node.StartEvidence(ctx, ca, r.ID, evidence.Spec{Name: "note.txt", PersonalData: c.PersonalData}, 5); err != nil {
		t.Fatal(err)
	}
	page := "/ui/requests/" + r.ID
	if p := tn.signedIn(t, "FRA", identity.CentralAuthority).do(t, "GET", page, nil); !strings.Contains(p.Body, "traffic data, health (special category), about: victims") || !strings.Contains(p.Body, "Jean Dupont") || strings.Contains(p.Body, `id="reveal-form"`) {
		t.Errorf("the central authority's page lacks the marking or the facts, or offers a reveal")
	}
	aud := tn.signedIn(t, "FRA", identity.Auditor)
	p := aud.do(t, "GET", page, nil)
	if strings.Contains(p.Body, "Jean Dupont") || !strings.Contains(p.Body, `id="reveal-form"`) || !strings.Contains(p.Body, "traffic data") {
		t.Fatalf("the auditor's page: facts shown %v, reveal form %v", strings.Contains(p.Body, "Jean Dupont"), strings.Contains(p.Body, `id="reveal-form"`))
	}
	if p := aud.do(t, "POST", page+"/reveal", url.Values{"reason": {""}}); p.Status == 303 {
		t.Errorf("a reveal without a reason is accepted")
	}
	// The problem is said beside the reveal form, in the page's language.
	if p := aud.do(t, "POST", page+"/reveal", url.Values{"reason": {" "}}, "Accept-Language", "fr"); p.Status != 422 || !strings.Contains(p.Body, `id="reveal-errors"`) ||
		!strings.Contains(p.Body, "Indiquez pourquoi vous devez voir") || strings.Contains(p.Body, "required: why") || strings.Index(p.Body, `id="reveal-errors"`) > strings.Index(p.Body, `id="reveal-reason"`) {
		t.Errorf("a reveal in French without a reason: %d; want 422 with the problem in French just above the reason", p.Status)
	}
	if p := aud.do(t, "POST", page+"/reveal", url.Values{"reason": {"complaint 2026-17"}}); p.Status != 303 {
		t.Fatalf("reveal: %d %s", p.Status, p.Body)
	}
	if p := aud.do(t, "GET", page, nil); !strings.Contains(p.Body, "Jean Dupont") {
		t.Errorf("after the reveal, the auditor does not see the facts")
	}

	admin := tn.signedIn(t, "FRA", identity.Administrator)
	if p := admin.do(t, "POST", "/ui/retention", url.Values{"personal_data_days": {"ten"}}); p.Status != 422 {
		t.Errorf("a period of ten: %d", p.Status)
	}
	if p := admin.do(t, "POST", "/ui/retention", url.Values{"personal_data_days": {"20"}}); p.Status != 303 {
		t.Fatalf("set the period: %d %s", p.Status, p.Body)
	}
	if p := admin.do(t, "GET", "/ui/retention", nil); !strings.Contains(p.Body, `data-days="20"`) || !strings.Contains(p.Body, `id="policy-form"`) || strings.Contains(p.Body, `id="expiring"`) {
		t.Errorf("the administrator's retention page: policy %v, form %v, no report %v", strings.Contains(p.Body, `data-days="20"`), strings.Contains(p.Body, `id="policy-form"`), !strings.Contains(p.Body, `id="expiring"`))
	}
	p = tn.signedIn(t, "FRA", identity.CentralAuthority).do(t, "GET", "/ui/retention?within=30", nil)
	if !strings.Contains(p.Body, `id="expiring-items"`) || !strings.Contains(p.Body, "note.txt") || strings.Contains(p.Body, `id="policy-form"`) {
		t.Errorf("the central authority's retention page lacks the item expiring, or offers the policy's form")
	}
}

// TestDraftFormMarksPersonalData: the draft form's marking reaches the
// request; a marking without categories is shown again with its problem,
// citing art. 36.
func TestDraftFormMarksPersonalData(t *testing.T) {
	tn := newTestNode(t, "sqlite")
	ca := tn.signedIn(t, "FRA", identity.CentralAuthority)
	form := followUpForm("")
	form.Del("follow_up_of")
	form.Set("personal_data", "yes")
	form.Set("pd_person", "witness")
	if p := ca.do(t, "POST", "/ui/requests", form); p.Status != 422 || !strings.Contains(p.Body, "required when personal data are carried") || !strings.Contains(p.Body, "art. 36") {
		t.Errorf("no category: %d; want 422 saying the categories are required, citing art. 36", p.Status)
	}
	form["pd_category"] = []string{"contact", "health"}
	p := ca.do(t, "POST", "/ui/requests", form)
	if p.Status != 303 {
		t.Fatalf("draft: %d %s", p.Status, p.Body)
	}
	page := ca.do(t, "GET", p.Location, nil)
	if !strings.Contains(page.Body, "contact details, health (special category), about: witnesses") {
		t.Errorf("the request page does not give the marking drafted")
	}
}
