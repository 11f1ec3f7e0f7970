package localnet_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"entraide/internal/casework"
	"entraide/internal/convention"
	"entraide/internal/node"
	"entraide/internal/store"
)

// interception is a request to intercept content data (art. 46), asked of
// to.
func interception(to string) casework.Contents {
	return casework.Contents{Kind: convention.Interception, RequestedState: to, LegalBasis: &casework.LegalBasis{Type: casework.BasisReciprocity},
		Offences: []convention.Charge{{Article: 7}},
		Fields: map[string]string{
			"requesting_authority": "Juge d'instruction, Paris", "facts_summary": "Intrusion into a ministry's mail server.",
			"target_data": "The content of the messages of the account named.", "owner_or_location": "The account's address.",
			"justification": "The intruders coordinate through the account.", "collection_period": "30 days, the time to identify them.",
		}}
}

// TestScreeningAcrossNodes: VNM's administrator flags FRA; an interception
// FRA sends to VNM's node over HTTPS cannot start there before VNM's
// central authority screens it. The screening finds a concern: VNM
// consults, FRA declines the conditions, and VNM's refusal, with its
// grounds and reasons, reaches FRA's node. FRA's node learns nothing of
// the flag or of the screening.
func TestScreeningAcrossNodes(t *testing.T) {
	f := startFederation(t, node.FederationConfig{RetryBase: 20 * time.Millisecond}, "FRA", "VNM")
	fra, vnm, vnmAdmin := f.officials["FRA"], f.officials["VNM"], f.admins["VNM"]
	const why, findings = "reports of requests aimed at journalists", "The account is a newspaper's; the facts name its articles."

	if st := vnmAdmin.do("POST", "/api/v1/screening/flags", map[string]string{"state": "FRA", "reason": why}, nil); st != http.StatusOK {
		t.Fatalf("flag FRA: status %d", st)
	}
	var r casework.Request
	if st := fra.do("POST", "/api/v1/requests", interception("VNM"), &r); st != http.StatusCreated {
		t.Fatalf("create the interception: status %d", st)
	}
	fra.move(r.ID, casework.Transition{Action: casework.Send})
	vnm.waitAll([]string{r.ID}, casework.Received)
	vnm.move(r.ID, casework.Transition{Action: casework.Acknowledge})
	fra.waitAll([]string{r.ID}, casework.Acknowledged)

	var page store.Page
	vnm.do("GET", "/api/v1/requests", nil, &page)
	if !strings.Contains(strings.Join(page.ScreeningNeeded, " "), r.ID) {
		t.Errorf("VNM's list: screening needed %v, want %s", page.ScreeningNeeded, r.ID)
	}
	if st, err := vnm.call(t.Context(), "POST", "/api/v1/requests/"+r.ID+"/transitions", casework.Transition{Action: casework.Start}, nil); st != http.StatusConflict ||
		err == nil || !strings.Contains(err.Error(), `"field":"screening"`) || !strings.Contains(err.Error(), "screen it first") {
		t.Fatalf("start before screening: status %d, %v; want a 409 on screening that names the next step", st, err)
	}

	var all []convention.ScreeningGround
	for _, g := range convention.ScreeningGrounds(convention.Interception) {
		all = append(all, g.Ground)
	}
	var s casework.Screening
	if st := vnm.do("POST", "/api/v1/requests/"+r.ID+"/screenings", convention.Screening{Considered: all, ConcernsFound: []convention.ScreeningGround{convention.ScreenDiscrimination}, Findings: findings, Outcome: convention.Concerns}, &s); st != http.StatusCreated {
		t.Fatalf("screen: status %d", st)
	}
	if len(s.RefusalGrounds) != 1 || s.RefusalGrounds[0] != convention.Discrimination {
		t.Errorf("screening's grounds to refuse on %v, want discrimination", s.RefusalGrounds)
	}
	vnm.move(r.ID, casework.Transition{Action: casework.Consult, Conditions: "Not used against the newspaper or its sources."})
	fra.waitAll([]string{r.ID}, casework.Consultation)
	fra.move(r.ID, casework.Transition{Action: casework.DeclineConditions, Note: "The newspaper's editor is the suspect."})
	vnm.waitAll([]string{r.ID}, casework.ConditionsDeclined)
	const reasons = "There are substantial grounds to believe the request aims at the editor for the newspaper's political opinions."
	vnm.move(r.ID, casework.Transition{Action: casework.Refuse, Grounds: []convention.Ground{convention.Discrimination}, Reasons: reasons})
	doc := fra.waitFor(r.ID, casework.Refused)
	if doc.Request.Refusal == nil || doc.Request.Refusal.Reasons != reasons || len(doc.Request.Refusal.Grounds) != 1 || doc.Request.Refusal.Grounds[0] != convention.Discrimination {
		t.Errorf("FRA's view of the refusal: %+v, want the art. 40(22) ground with its reasons", doc.Request.Refusal)
	}

	// What FRA's node holds says nothing of the flag or the screening.
	seen := fra.get(r.ID)
	var raw map[string]any
	fra.do("GET", "/api/v1/requests/"+r.ID, nil, &raw)
	for _, e := range seen.Timeline {
		if strings.Contains(e.Note+e.Reasons, findings) || strings.Contains(e.Note+e.Reasons, why) {
			t.Errorf("FRA's timeline holds VNM's deliberation: %+v", e)
		}
	}
	if _, ok := raw["screening"]; ok {
		t.Errorf("FRA's view of the request carries a screening: %v", raw["screening"])
	}
	for _, rec := range f.admins["FRA"].audit(0) {
		if strings.Contains(string(rec.Detail), findings) || strings.Contains(string(rec.Detail), why) {
			t.Errorf("FRA's audit log holds VNM's deliberation: %s %s", rec.Action, rec.Detail)
		}
	}
	var flags []casework.Flag
	if st := f.admins["FRA"].do("GET", "/api/v1/screening/flags", nil, &flags); st != http.StatusOK || len(flags) != 0 {
		t.Errorf("FRA's flags: %d %+v, want none", st, flags)
	}
}
