package node_test

import (
	"strings"
	"testing"
	"time"

	"entraide/internal/casework"
	"entraide/internal/convention"
	"entraide/internal/directory"
	"entraide/internal/node"
)

// TestConventionBasisNeedsTreatyInForce: a request resting on the
// Convention is refused at send until the Convention binds both States on
// the day of sending, the error saying why from the treaty status; once
// it does, it is sent. A request on reciprocity goes meanwhile.
func TestConventionBasisNeedsTreatyInForce(t *testing.T) {
	eachBackend(t, func(t *testing.T, backend string) {
		f := newFixture(t, backend)
		ctx := t.Context()
		admin := f.n.Admin()
		deposit := func(code, on string) {
			t.Helper()
			if _, err := f.n.RecordTreaty(ctx, admin, node.TreatyAction{Code: code, Deposited: on, Instrument: "ratification"}); err != nil {
				t.Fatalf("RecordTreaty(%s, %s) = %v", code, on, err)
			}
		}
		onConvention := func() *casework.Request {
			t.Helper()
			c := contents(t, convention.Preservation, "VNM")
			c.LegalBasis = &casework.LegalBasis{Type: casework.BasisConvention}
			r, err := f.n.CreateRequest(ctx, fraCA, c)
			if err != nil {
				t.Fatalf("CreateRequest on the Convention: %v", err)
			}
			return r
		}
		var others []string
		for _, r := range directory.EmbeddedTreatyStatus() {
			if r.Code != "EUU" && r.Code != "FRA" && r.Code != "VNM" && !r.Signed.IsZero() {
				others = append(others, r.Code)
			}
		}
		if len(others) < 38 {
			t.Fatalf("only %d other States signed in the shipped data; the test needs 38", len(others))
		}
		first := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

		for _, step := range []struct {
			name  string
			setup func()
			sent  bool
			want  []string
		}{
			{"art 40(1), art 65: neither State has ratified", func() {}, false,
				[]string{"FRA has not ratified", "VNM has not ratified", "not yet: 0 of 40", `"treaty"`, `"reciprocity"`}},
			{"art 65(1): both ratified, 39 instruments of 40", func() {
				deposit("FRA", "2026-01-01")
				deposit("VNM", "2026-01-02")
				for i, code := range others[:37] {
					deposit(code, first.AddDate(0, 0, 2+i).Format(time.DateOnly))
				}
			}, false, []string{"it is not in force for FRA: not yet 40 instruments (39 of 40", "it is not in force for VNM", "reciprocity"}},
			{"art 65(1): the 40th instrument, before the 90th day", func() { deposit(others[37], "2026-03-01") }, false,
				[]string{"it is in force for FRA only from 2026-05-30", "it is in force for VNM only from 2026-05-30"}},
			{"art 65(1): in force for both on the 90th day", func() { f.clock.Set(time.Date(2026, 5, 30, 8, 0, 0, 0, time.UTC)) }, true, nil},
		} {
			t.Run(step.name, func(t *testing.T) {
				step.setup()
				r := onConvention()
				_, err := f.n.Transition(ctx, fraCA, r.ID, casework.Transition{Action: casework.Send})
				if step.sent {
					if err != nil {
						t.Fatalf("send on the Convention in force for both = %v, want sent", err)
					}
					if v, _ := f.view(t, vnmCA, r.ID); v.LegalBasis == nil || v.LegalBasis.Type != casework.BasisConvention {
						t.Errorf("VNM's view of the legal basis = %+v, want the Convention", v.LegalBasis)
					}
					return
				}
				assertProblemFields(t, "send on the Convention", err, "legal_basis")
				for _, w := range step.want {
					if err == nil || !strings.Contains(err.Error(), w) {
						t.Errorf("send on the Convention = %v, want it to say %q", err, w)
					}
				}
				if err != nil && !strings.Contains(err.Error(), "art. 40(1)") {
					t.Errorf("send on the Convention = %v, want it to cite art. 40(1)", err)
				}
				// Reciprocity does not wait for the Convention.
				f.move(t, fraCA, f.draft(t, convention.Preservation, "VNM").ID, casework.Transition{Action: casework.Send})
			})
		}
	})
}
