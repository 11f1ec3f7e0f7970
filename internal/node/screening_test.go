package node_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"entraide/internal/casework"
	"entraide/internal/convention"
	"entraide/internal/store"
)

func everyGround(k convention.Kind) []convention.ScreeningGround {
	var out []convention.ScreeningGround
	for _, g := range convention.ScreeningGrounds(k) {
		out = append(out, g.Ground)
	}
	return out
}

// TestScreeningOnNode: VNM, asked by FRA, cannot start a request of a
// kind it screens, or any from FRA once flagged, before screening it; the
// screening and the flags are audited in their transaction, stay on
// VNM's side, and FRA's view and timeline learn nothing of them.
func TestScreeningOnNode(t *testing.T) {
	eachBackend(t, func(t *testing.T, backend string) {
		f := newFixture(t, backend)
		ctx := t.Context()
		vnmAdmin := f.n.AdminOf("VNM")
		received := func(k convention.Kind) string {
			r := f.draft(t, k, "VNM")
			f.move(t, fraCA, r.ID, casework.Transition{Action: casework.Send})
			f.move(t, vnmCA, r.ID, casework.Transition{Action: casework.Acknowledge})
			return r.ID
		}

		mla := received(convention.MutualAssistance)
		if page, err := f.n.Requests(ctx, vnmCA, store.Filter{}); err != nil || len(page.ScreeningNeeded) != 0 {
			t.Fatalf("Requests before any flag: screening needed %v, %v; want none", page.ScreeningNeeded, err)
		}
		recs := f.auditSince(t, func() {
			if _, err := f.n.Flag(ctx, vnmAdmin, "fra", "reports of requests aimed at journalists"); err != nil {
				t.Fatalf("Flag(FRA) = %v", err)
			}
		})
		if got := actionsAndSubjects(recs); !slices.Equal(got, []string{"screening.flag state/FRA"}) {
			t.Errorf("flagging audited %v", got)
		}
		if _, err := f.n.Flag(ctx, vnmCA, "FRA", "why"); !errors.Is(err, casework.ErrForbidden) {
			t.Errorf("Flag by the central authority = %v, want forbidden", err)
		}
		if _, err := f.n.Flag(ctx, vnmAdmin, "VNM", "why"); err == nil {
			t.Errorf("Flag of the flagging State itself = nil, want a problem")
		}
		assertProblemFields(t, "Flag without a reason", func() error { _, err := f.n.Flag(ctx, vnmAdmin, "ZAF", " "); return err }(), "reason")
		if flags, err := f.n.Flags(ctx, vnmCA); err != nil || len(flags) != 1 || flags[0].State != "FRA" {
			t.Errorf("Flags as VNM = %+v, %v", flags, err)
		}
		if flags, err := f.n.Flags(ctx, fraCA); err != nil || len(flags) != 0 {
			t.Errorf("Flags as FRA = %+v, %v; want none: VNM's flags are VNM's", flags, err)
		}

		ic := received(convention.Interception)
		page, err := f.n.Requests(ctx, vnmCA, store.Filter{})
		if err != nil || !slices.Contains(page.ScreeningNeeded, mla) || !slices.Contains(page.ScreeningNeeded, ic) {
			t.Fatalf("Requests once FRA is flagged: screening needed %v, %v; want %s and %s", page.ScreeningNeeded, err, mla, ic)
		}
		if page, _ := f.n.Requests(ctx, fraCA, store.Filter{}); len(page.ScreeningNeeded) != 0 {
			t.Errorf("FRA's list names screenings %v", page.ScreeningNeeded)
		}
		_, err = f.n.Transition(ctx, vnmCA, ic, casework.Transition{Action: casework.Start})
		if !errors.Is(err, casework.ErrConflict) || !strings.Contains(err.Error(), "screen it first") {
			t.Fatalf("Start before screening = %v, want a conflict naming the screening", err)
		}

		s := convention.Screening{Considered: everyGround(convention.Interception), Findings: "Warrant of an investigating judge, 30 days, remedy before the court.", Outcome: convention.Cleared}
		if _, err := f.n.Screen(ctx, fraCA, ic, s); !errors.Is(err, casework.ErrForbidden) {
			t.Errorf("Screen by the requesting State = %v, want forbidden", err)
		}
		if _, err := f.n.Screen(ctx, vnm247, ic, s); !errors.Is(err, casework.ErrForbidden) {
			t.Errorf("Screen by the 24/7 point of contact = %v, want forbidden", err)
		}
		recs = f.auditSince(t, func() {
			if _, err := f.n.Screen(ctx, vnmCA, ic, s); err != nil {
				t.Fatalf("Screen = %v", err)
			}
		})
		if got := actionsAndSubjects(recs); !slices.Equal(got, []string{"request.screen request/" + ic + "@VNM"}) || recs[0].State != "VNM" || !strings.Contains(string(recs[0].Detail), "Warrant of an investigating judge") {
			t.Errorf("screening audited %v (%s)", got, recs[0].Detail)
		}
		f.move(t, vnmCA, ic, casework.Transition{Action: casework.Start})

		fra, _ := f.view(t, fraCA, ic)
		_, fraTL := f.view(t, fraCA, ic)
		if fra.State != casework.InProgress || fra.Screening != nil {
			t.Errorf("FRA's view: %s, screening %v; want in progress, and no screening", fra.State, fra.Screening)
		}
		for _, e := range fraTL {
			if strings.Contains(e.Note, "Warrant") || strings.Contains(string(e.Action), "screen") {
				t.Errorf("FRA's timeline holds the screening: %+v", e)
			}
		}
		for _, r := range f.auditLog(t) {
			if r.State == "FRA" && strings.Contains(string(r.Detail), "Warrant") {
				t.Errorf("FRA's view of the audit log holds VNM's findings: %s %s", r.Action, r.Detail)
			}
		}
		if all, err := f.n.Screenings(ctx, vnmCA, ic); err != nil || len(all) != 1 || all[0].ScreenedBy != "vnm-ca" {
			t.Errorf("Screenings = %+v, %v", all, err)
		}
		if _, err := f.n.Screenings(ctx, fraCA, ic); err != nil {
			// FRA reads its own screenings of the request: none.
			t.Errorf("Screenings as FRA = %v", err)
		}

		if _, err := f.n.Unflag(ctx, vnmAdmin, "FRA"); err != nil {
			t.Fatalf("Unflag = %v", err)
		}
		if _, err := f.n.Unflag(ctx, vnmAdmin, "FRA"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Unflag again = %v, want not found", err)
		}
		f.move(t, vnmCA, mla, casework.Transition{Action: casework.Start})
	})
}
