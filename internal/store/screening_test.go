package store_test

import (
	"errors"
	"testing"
	"time"

	"entraide/internal/casework"
	"entraide/internal/convention"
	"entraide/internal/store"
	"entraide/internal/store/storetest"
)

// TestScreening: flags and screenings are kept per State, on both
// backends; a State's flags and screenings are not another's.
func TestScreening(t *testing.T) {
	at := time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)
	for _, backend := range storetest.Backends {
		t.Run(backend, func(t *testing.T) {
			t.Parallel()
			db := storetest.Open(t, backend)
			ctx := t.Context()
			err := db.Tx(ctx, func(tx *store.Tx) error {
				if err := tx.PutFlag(ctx, "VNM", casework.Flag{State: "FRA", Reason: "first", FlaggedBy: "vnm-admin", FlaggedAt: at}); err != nil {
					return err
				}
				return tx.PutFlag(ctx, "VNM", casework.Flag{State: "FRA", Reason: "reports of reprisals", FlaggedBy: "vnm-admin", FlaggedAt: at})
			})
			if err != nil {
				t.Fatal(err)
			}
			if got, err := db.Flags(ctx, "VNM"); err != nil || len(got) != 1 || got[0].Reason != "reports of reprisals" || !got[0].FlaggedAt.Equal(at) {
				t.Errorf("Flags(VNM) = %+v, %v; want FRA flagged once, for the last reason", got, err)
			}
			if got, err := db.Flags(ctx, "ZAF"); err != nil || len(got) != 0 {
				t.Errorf("Flags(ZAF) = %+v, %v; want none: VNM's flags are VNM's", got, err)
			}
			if ok, err := db.Flagged(ctx, "VNM", "FRA"); err != nil || !ok {
				t.Errorf("Flagged(VNM, FRA) = %v, %v", ok, err)
			}
			for i, outcome := range []convention.ScreeningOutcome{convention.Concerns, convention.Cleared} {
				s := casework.Screening{ID: "s" + string(outcome), RequestID: "r1", ScreenedBy: "vnm-ca", ScreenedAt: at.Add(time.Duration(i) * time.Hour),
					Screening: convention.Screening{Findings: "found", Outcome: outcome}}
				if err := db.Tx(ctx, func(tx *store.Tx) error { return tx.AddScreening(ctx, "VNM", s) }); err != nil {
					t.Fatal(err)
				}
			}
			if s, err := db.LatestScreening(ctx, "VNM", "r1"); err != nil || s == nil || s.Outcome != convention.Cleared {
				t.Errorf("LatestScreening(VNM, r1) = %+v, %v; want the cleared one", s, err)
			}
			if s, err := db.LatestScreening(ctx, "FRA", "r1"); err != nil || s != nil {
				t.Errorf("LatestScreening(FRA, r1) = %+v, %v; want none: the screening is VNM's", s, err)
			}
			if all, err := db.Screenings(ctx, "VNM", "r1"); err != nil || len(all) != 2 || all[0].Outcome != convention.Concerns {
				t.Errorf("Screenings(VNM, r1) = %+v, %v; want both, oldest first", all, err)
			}
			if m, err := db.LatestScreenings(ctx, "VNM", []string{"r1", "r2"}); err != nil || len(m) != 1 || m["r1"].Outcome != convention.Cleared {
				t.Errorf("LatestScreenings = %+v, %v", m, err)
			}
			var lifted casework.Flag
			if err := db.Tx(ctx, func(tx *store.Tx) (err error) { lifted, err = tx.DeleteFlag(ctx, "VNM", "FRA"); return err }); err != nil || lifted.Reason != "reports of reprisals" {
				t.Errorf("DeleteFlag = %+v, %v", lifted, err)
			}
			if err := db.Tx(ctx, func(tx *store.Tx) error { _, err := tx.DeleteFlag(ctx, "VNM", "FRA"); return err }); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("DeleteFlag of a flag lifted = %v, want ErrNotFound", err)
			}
		})
	}
}
