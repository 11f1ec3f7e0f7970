package casework

import (
	"slices"
	"testing"

	"entraide/internal/convention"
	"entraide/internal/identity"
)

// The table of what each role sees, as README states it.
func TestSightOfEachRole(t *testing.T) {
	want := map[identity.Role]Sight{
		identity.CentralAuthority: Full,
		identity.TwentyFourSeven:  Full,
		identity.Investigator:     Full,
		identity.Auditor:          {},
		identity.Administrator:    {},
	}
	for _, role := range identity.Roles {
		if got := SightOf(role); got != want[role] {
			t.Errorf("SightOf(%s) = %+v, want %+v", role, got, want[role])
		}
	}
	if got := SightOf("stranger"); got != (Sight{}) {
		t.Errorf("an unknown role sees %+v", got)
	}
	none := &convention.PersonalData{}
	carried := &convention.PersonalData{Carried: true, Categories: []convention.DataCategory{convention.ContentData}, Persons: []convention.PersonCategory{convention.Victim}}
	for _, c := range []struct {
		name     string
		pd       *convention.PersonalData
		revealed bool
		want     Sight
	}{
		{"art 36: unmarked data count as carrying personal data", nil, false, Sight{}},
		{"art 36: carried", carried, false, Sight{}},
		{"art 36: marked as carrying none", none, false, Full},
		{"art 36: revealed", carried, true, Full},
	} {
		if got := SightFor(identity.Auditor, c.pd, c.revealed); got != c.want {
			t.Errorf("%s: auditor sees %+v, want %+v", c.name, got, c.want)
		}
	}
}

func TestRedact(t *testing.T) {
	r := &Request{Fields: map[string]string{"facts_summary": "Jean Dupont, born 1980", "requesting_authority": "Parquet de Paris", "case_number": "2026/123"},
		Attachments: []Attachment{{Name: "dupont.pdf"}}, Refusal: &Refusal{Reasons: "the person is a minor"}}
	r.Conditions, r.ProposedConditions = "used only against Jean Dupont", "used only against Jean Dupont"
	events := []Event{{Action: Create}, {Action: RequestInfo, Note: "the address of Jean Dupont"}, {Action: Consult, Conditions: "used only against Jean Dupont"}}
	Redact(r, events, SightOf(identity.Auditor))
	if r.Fields["facts_summary"] != "" || r.Fields["requesting_authority"] != "Parquet de Paris" || r.Fields["case_number"] != "2026/123" {
		t.Errorf("fields = %v: want the facts hidden, the authority and case number shown", r.Fields)
	}
	if r.Attachments[0].Name != "" || r.Refusal.Reasons != "" || events[1].Note != "" {
		t.Errorf("attachment %q, reasons %q, note %q left", r.Attachments[0].Name, r.Refusal.Reasons, events[1].Note)
	}
	if r.Conditions != "" || r.ProposedConditions != "" || events[2].Conditions != "" {
		t.Errorf("conditions %q, proposed %q, in the timeline %q left", r.Conditions, r.ProposedConditions, events[2].Conditions)
	}
	for _, f := range []string{"fields.facts_summary", "attachments[0].name", "refusal.reasons", "timeline[1]", "timeline[2]", "conditions", "proposed_conditions"} {
		if !slices.Contains(r.Redacted, f) {
			t.Errorf("redacted = %v, want %s among them", r.Redacted, f)
		}
	}
	full := &Request{Fields: map[string]string{"facts_summary": "x"}}
	if Redact(full, nil, Full); full.Fields["facts_summary"] != "x" || full.Redacted != nil {
		t.Errorf("full sight redacts: %+v", full)
	}
}
