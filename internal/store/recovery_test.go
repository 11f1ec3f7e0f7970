package store_test

import (
	"errors"
	"testing"
	"time"

	"entraide/internal/funds"
	"entraide/internal/store"
	"entraide/internal/store/storetest"
)

// TestAssets: an asset and its history are kept per State, on both
// backends; a trace's account has one asset; another State reads none.
func TestAssets(t *testing.T) {
	at := time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC)
	for _, backend := range storetest.Backends {
		t.Run(backend, func(t *testing.T) {
			t.Parallel()
			db := storetest.Open(t, backend)
			ctx := t.Context()
			if err := db.Tx(ctx, func(tx *store.Tx) error {
				return tx.InsertFundsCase(ctx, store.FundsCase{ID: "c1", State: "FRA", Title: "Phishing", Reference: "P-1", CreatedBy: "fra-ca", CreatedAt: at})
			}); err != nil {
				t.Fatal(err)
			}
			storetest.ExecSQL(t, db, `INSERT INTO funds_accounts (id, case_id, key, kind, ident, bank, holder, jurisdiction, jurisdiction_source) VALUES (7, 'c1', 'iban:VN1', 'iban', 'VN1', '', 'Mule Ltd', 'VNM', 'iban')`)
			a := funds.Asset{ID: "a1", CaseID: "c1", State: "FRA", Jurisdiction: "VNM", Account: 7, Description: "IBAN VN1 (Mule Ltd)", Currency: "EUR",
				Traced: 10_000_000_000, Status: funds.AssetTraced, FreezingRequest: "r1", TraceID: "t1", CreatedAt: at, UpdatedAt: at}
			house := funds.Asset{ID: "a2", CaseID: "c1", State: "FRA", Jurisdiction: "FRA", Description: "a house in Lyon", Currency: "EUR",
				Traced: 300_000_000_000, Status: funds.AssetTraced, CreatedAt: at.Add(time.Second), UpdatedAt: at.Add(time.Second)}
			err := db.Tx(ctx, func(tx *store.Tx) error {
				if err := tx.InsertAsset(ctx, a, funds.AssetEvent{AssetID: "a1", Status: funds.AssetTraced, Request: "r1", By: "fra-ca", At: at}); err != nil {
					return err
				}
				return tx.InsertAsset(ctx, house, funds.AssetEvent{AssetID: "a2", Status: funds.AssetTraced, By: "fra-ca", At: house.CreatedAt})
			})
			if err != nil {
				t.Fatal(err)
			}
			dup := a
			dup.ID = "a3"
			err = db.Tx(ctx, func(tx *store.Tx) error {
				return tx.InsertAsset(ctx, dup, funds.AssetEvent{AssetID: "a3", Status: funds.AssetTraced, By: "fra-ca", At: at})
			})
			if !errors.Is(err, store.ErrExists) {
				t.Errorf("InsertAsset of the same trace's account again = %v, want ErrExists", err)
			}
			err = db.Tx(ctx, func(tx *store.Tx) error {
				got, err := tx.AssetsAwaitingFreezing(ctx, "FRA", "r1")
				if err != nil || len(got) != 1 || got[0].ID != "a1" {
					t.Errorf("AssetsAwaitingFreezing(FRA, r1) = %+v, %v; want a1", got, err)
				}
				if got, err := tx.AssetsOfTrace(ctx, "FRA", "c1", "t1"); err != nil || len(got) != 1 || got[0] != a {
					t.Errorf("AssetsOfTrace(FRA, c1, t1) = %+v, %v; want %+v", got, err, a)
				}
				if got, err := tx.AssetsOfTrace(ctx, "VNM", "c1", "t1"); err != nil || len(got) != 0 {
					t.Errorf("AssetsOfTrace(VNM, ...) = %+v, %v; want none", got, err)
				}
				b, err := tx.AssetForUpdate(ctx, "FRA", "c1", "a1")
				if err != nil {
					return err
				}
				b.Status, b.Frozen, b.UpdatedAt = funds.AssetFrozen, 9_000_000_000, at.Add(time.Hour)
				return tx.UpdateAsset(ctx, b, funds.AssetEvent{AssetID: "a1", Status: funds.AssetFrozen, Amount: b.Frozen, Note: "frozen by order 12", By: "fra-ca", At: b.UpdatedAt})
			})
			if err != nil {
				t.Fatal(err)
			}
			err = db.Tx(ctx, func(tx *store.Tx) error {
				b, err := tx.AssetForUpdate(ctx, "FRA", "c1", "a1")
				if err != nil {
					return err
				}
				b.Status, b.Confiscated, b.Returned, b.Expenses, b.Compensated = funds.AssetReturned, 9_000_000_000, 8_500_000_000, 500_000_000, 8_000_000_000
				return tx.UpdateAsset(ctx, b, funds.AssetEvent{AssetID: "a1", Status: funds.AssetReturned, Amount: b.Returned, Expenses: b.Expenses,
					Victims: []funds.Victim{{Reference: "V-1", Amount: 8_000_000_000}}, By: "fra-ca", At: at.Add(2 * time.Hour)})
			})
			if err != nil {
				t.Fatal(err)
			}
			err = db.Tx(ctx, func(tx *store.Tx) error { _, err := tx.AssetForUpdate(ctx, "VNM", "c1", "a1"); return err })
			if !errors.Is(err, store.ErrNotFound) {
				t.Errorf("AssetForUpdate by VNM = %v, want ErrNotFound", err)
			}
			list, err := db.Assets(ctx, "FRA", "c1")
			if err != nil || len(list) != 2 || list[0].ID != "a1" || list[1].ID != "a2" {
				t.Fatalf("Assets(FRA, c1) = %+v, %v; want a1, a2", list, err)
			}
			if g := list[0]; g.Status != funds.AssetReturned || g.Frozen != 9_000_000_000 || g.Returned != 8_500_000_000 || g.Compensated != 8_000_000_000 || g.Account != 7 {
				t.Errorf("a1 = %+v", g)
			}
			if list[1].Account != 0 {
				t.Errorf("a2's account = %d, want none", list[1].Account)
			}
			if got, err := db.Assets(ctx, "VNM", "c1"); err != nil || len(got) != 0 {
				t.Errorf("Assets(VNM, c1) = %+v, %v; want none", got, err)
			}
			if got, err := db.StateAssets(ctx, "FRA"); err != nil || len(got) != 2 {
				t.Errorf("StateAssets(FRA) = %+v, %v", got, err)
			}
			events, err := db.AssetEvents(ctx, "FRA", "c1", "a1")
			if err != nil || len(events) != 3 {
				t.Fatalf("AssetEvents(FRA, c1, a1) = %+v, %v; want 3", events, err)
			}
			if e := events[1]; e.Seq != 2 || e.Status != funds.AssetFrozen || e.Note != "frozen by order 12" || e.Victims != nil || !e.At.Equal(at.Add(time.Hour)) {
				t.Errorf("event 2 = %+v", e)
			}
			if e := events[2]; len(e.Victims) != 1 || e.Victims[0].Reference != "V-1" || e.Expenses != 500_000_000 {
				t.Errorf("event 3 = %+v", e)
			}
			if got, err := db.AssetEvents(ctx, "VNM", "c1", "a1"); err != nil || len(got) != 0 {
				t.Errorf("AssetEvents by VNM = %+v, %v; want none", got, err)
			}
		})
	}
}
