package convention_test

import (
	"slices"
	"strings"
	"testing"

	"entraide/internal/convention"
)

// FuzzValidateScreening: a screening from outside (the API, the CLI, the
// UI's form) is never accepted unless every ground was considered, its
// outcome agrees with its concerns, and it has findings; nothing panics.
func FuzzValidateScreening(f *testing.F) {
	all := "discrimination,proportionality,independent_review,justification,scope_and_duration,effective_remedy,human_rights"
	f.Add("interception", all, "", "none found", "cleared")
	f.Add("extradition", all, "discrimination", "the person is a journalist", "concerns")
	f.Add("interception", all+",discrimination", "", "twice", "cleared")
	f.Add("mutual_assistance", "discrimination", "nope", "", "maybe")
	f.Add("", ",,,", ",", "\x00", "")
	f.Fuzz(func(t *testing.T, kind, considered, concerns, findings, outcome string) {
		split := func(s string) []convention.ScreeningGround {
			var out []convention.ScreeningGround
			for g := range strings.SplitSeq(s, ",") {
				out = append(out, convention.ScreeningGround(g))
			}
			return out
		}
		s := convention.Screening{Considered: split(considered), ConcernsFound: split(concerns), Findings: findings, Outcome: convention.ScreeningOutcome(outcome)}
		if concerns == "" {
			s.ConcernsFound = nil
		}
		ps := convention.ValidateScreening(convention.Kind(kind), s)
		for _, p := range ps {
			if p.Field == "" || p.Message == "" || p.Ref.Article == 0 {
				t.Errorf("problem %+v names no field, message or article", p)
			}
		}
		if len(ps) > 0 {
			return
		}
		for _, g := range convention.ScreeningGrounds(convention.Kind(kind)) {
			if !slices.Contains(s.Considered, g.Ground) {
				t.Errorf("accepted a screening that did not consider %s", g.Ground)
			}
		}
		if (s.Outcome == convention.Cleared) != (len(s.ConcernsFound) == 0) || strings.TrimSpace(s.Findings) == "" {
			t.Errorf("accepted %+v", s)
		}
	})
}
