package node_test

import (
	"errors"
	"math"
	"reflect"
	"testing"

	"entraide/internal/casework"
	"entraide/internal/convention"
	"entraide/internal/funds"
	"entraide/internal/node"
	"entraide/internal/store"
)

const eur = 1_000_000 // one unit of a currency, in millionths

// fundsCase stores a fund-tracing case of state, as opening one does.
func (f *fixture) fundsCase(t *testing.T, id, state string) {
	t.Helper()
	err := f.db.Tx(t.Context(), func(tx *store.Tx) error {
		return tx.InsertFundsCase(t.Context(), store.FundsCase{ID: id, State: state, Title: "Phishing of 2026", Reference: "P-1", CreatedBy: "x", CreatedAt: start})
	})
	if err != nil {
		t.Fatal(err)
	}
}

func (f *fixture) asset(t *testing.T, by casework.Actor, caseID string, in node.AssetInput) funds.Asset {
	t.Helper()
	a, err := f.n.AddAsset(t.Context(), by, caseID, in)
	if err != nil {
		t.Fatalf("AddAsset(%+v): %v", in, err)
	}
	return a
}

func (f *fixture) step(t *testing.T, by casework.Actor, a funds.Asset, s funds.AssetStep) node.StepResult {
	t.Helper()
	out, err := f.n.RecordAssetStep(t.Context(), by, a.CaseID, a.ID, s)
	if err != nil {
		t.Fatalf("RecordAssetStep(%s, %s): %v", a.ID, s.Status, err)
	}
	return out
}

// TestAssetRecovery: a case's assets are recorded, moved through their
// recovery and audited; another State's officials see none of them, and
// a role that may only read records none.
func TestAssetRecovery(t *testing.T) {
	eachBackend(t, func(t *testing.T, backend string) {
		f := newFixture(t, backend)
		ctx := t.Context()
		f.fundsCase(t, "c1", "FRA")
		house := f.asset(t, fraCA, "c1", node.AssetInput{Jurisdiction: "vnm", Description: "a villa in Da Nang", Currency: "EUR", Traced: 400_000 * eur})
		if house.Jurisdiction != "VNM" || house.Status != funds.AssetTraced || house.State != "FRA" {
			t.Errorf("AddAsset = %+v; want FRA's, in VNM, traced", house)
		}
		var ps convention.Problems
		if _, err := f.n.AddAsset(ctx, fraCA, "c1", node.AssetInput{Jurisdiction: "XXX", Currency: "eur"}); !errors.As(err, &ps) || len(ps) != 4 {
			t.Errorf("AddAsset of nothing = %v; want 4 problems: jurisdiction, description, currency, traced", err)
		}
		out := f.step(t, fraCA, house, funds.AssetStep{Status: funds.AssetFrozen, Amount: 450_000 * eur, Note: "order of the Da Nang court"})
		if len(out.Warnings) != 1 || out.Asset.Frozen != 450_000*eur {
			t.Errorf("frozen above the amount traced = %+v; want it recorded, with one warning", out)
		}
		_, err := f.n.RecordAssetStep(ctx, fraCA, "c1", house.ID, funds.AssetStep{Status: funds.AssetConfiscated, Amount: 450_000*eur + 1})
		if !errors.As(err, &ps) || ps[0].Field != "amount" || ps[0].Ref != funds.RefConfiscation {
			t.Errorf("confiscating more than frozen = %v; want a problem with amount, art. 49", err)
		}
		for _, by := range []casework.Actor{vnmCA} {
			if _, err := f.n.FundsAssets(ctx, by, "c1"); !errors.Is(err, casework.ErrNotFound) {
				t.Errorf("FundsAssets by %s = %v; want not found: the case is FRA's", by.ID, err)
			}
			if _, err := f.n.RecordAssetStep(ctx, by, "c1", house.ID, funds.AssetStep{Status: funds.AssetReleased, Note: "x"}); !errors.Is(err, casework.ErrNotFound) {
				t.Errorf("RecordAssetStep by %s = %v; want not found", by.ID, err)
			}
		}
		if _, err := f.n.RecordAssetStep(ctx, fraInv, "c1", house.ID, funds.AssetStep{Status: funds.AssetReleased, Note: "x"}); !errors.Is(err, casework.ErrForbidden) {
			t.Errorf("RecordAssetStep by an investigator = %v; want forbidden", err)
		}
		if _, err := f.n.RecordAssetStep(ctx, fraCA, "c1", "nope", funds.AssetStep{Status: funds.AssetReleased, Note: "x"}); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("RecordAssetStep of no asset = %v; want not found", err)
		}
		views, err := f.n.FundsAssets(ctx, fraCA, "c1")
		if err != nil || len(views) != 1 || len(views[0].History) != 2 || views[0].History[1].Note != "order of the Da Nang court" {
			t.Fatalf("FundsAssets = %+v, %v; want the villa, traced then frozen", views, err)
		}
		// An auditor reads the steps, not the words about the property.
		views, err = f.n.FundsAssets(ctx, fraAud, "c1")
		if err != nil || len(views) != 1 || len(views[0].History) != 2 || views[0].History[1].Note != "" || views[0].Asset.Description != "" || views[0].Asset.Frozen == 0 {
			t.Fatalf("FundsAssets by an auditor = %+v, %v; want the villa's steps without its description or notes", views, err)
		}
		var steps int
		for _, e := range f.auditLog(t) {
			if e.Action == "funds.asset.step" && e.State == "FRA" && e.Actor == "fra-ca" {
				steps++
			}
		}
		if steps != 1 {
			t.Errorf("audit records of steps = %d, want 1 (the refused steps are not recorded)", steps)
		}
	})
}

// TestRecoveryDashboard adds up, by hand, the recovery of three assets
// of two cases of FRA in two currencies, beside one of VNM's that FRA
// never sees.
func TestRecoveryDashboard(t *testing.T) {
	eachBackend(t, func(t *testing.T, backend string) {
		f := newFixture(t, backend)
		ctx := t.Context()
		f.fundsCase(t, "c1", "FRA")
		f.fundsCase(t, "c2", "FRA")
		f.fundsCase(t, "v1", "VNM")
		// c1: a villa in VNM, 400,000 EUR traced, 450,000 frozen,
		// 400,000 confiscated, 390,000 returned, 10,000 expenses,
		// 300,000 to victim V-1.
		villa := f.asset(t, fraCA, "c1", node.AssetInput{Jurisdiction: "VNM", Description: "villa", Currency: "EUR", Traced: 400_000 * eur})
		f.step(t, fraCA, villa, funds.AssetStep{Status: funds.AssetFrozen, Amount: 450_000 * eur})
		f.step(t, fraCA, villa, funds.AssetStep{Status: funds.AssetConfiscated, Amount: 400_000 * eur})
		f.step(t, fraCA, villa, funds.AssetStep{Status: funds.AssetReturned, Amount: 390_000 * eur, Expenses: 10_000 * eur,
			Victims: []funds.Victim{{Reference: "V-1", Amount: 300_000 * eur}}})
		// c1: a wallet in VNM, 2 BTC traced, 1.5 frozen: BTC never adds
		// to EUR.
		wallet := f.asset(t, fraCA, "c1", node.AssetInput{Jurisdiction: "VNM", Description: "wallet", Currency: "BTC", Traced: 2 * eur})
		f.step(t, fraCA, wallet, funds.AssetStep{Status: funds.AssetFrozen, Amount: 1_500_000})
		// c2: an account in FRA, 50,000 EUR traced, 20,000 frozen then
		// released: frozen 0, released 20,000.
		account := f.asset(t, fraCA, "c2", node.AssetInput{Jurisdiction: "FRA", Description: "account", Currency: "EUR", Traced: 50_000 * eur})
		f.step(t, fraCA, account, funds.AssetStep{Status: funds.AssetFrozen, Amount: 20_000 * eur})
		f.step(t, fraCA, account, funds.AssetStep{Status: funds.AssetReleased, Note: "de minimis"})
		// VNM's own case, which FRA's dashboard never shows.
		f.asset(t, vnmCA, "v1", node.AssetInput{Jurisdiction: "FRA", Description: "car", Currency: "EUR", Traced: 30_000 * eur})

		d, err := f.n.RecoveryDashboard(ctx, fraInv)
		if err != nil {
			t.Fatal(err)
		}
		villaFig := node.Figures{Currency: "EUR", Assets: 1, Traced: 400_000 * eur, Frozen: 450_000 * eur, Confiscated: 400_000 * eur, Returned: 390_000 * eur, Expenses: 10_000 * eur, Compensated: 300_000 * eur}
		walletFig := node.Figures{Currency: "BTC", Assets: 1, Traced: 2 * eur, Frozen: 1_500_000}
		accountFig := node.Figures{Currency: "EUR", Assets: 1, Traced: 50_000 * eur, Released: 20_000 * eur}
		want := node.Dashboard{
			State: "FRA",
			ByCase: []node.CaseRecovery{
				{CaseID: "c1", Figures: []node.Figures{walletFig, villaFig}},
				{CaseID: "c2", Figures: []node.Figures{accountFig}},
			},
			ByState: []node.StateRecovery{
				{State: "FRA", Figures: []node.Figures{accountFig}},
				{State: "VNM", Figures: []node.Figures{walletFig, villaFig}},
			},
			Total: []node.Figures{walletFig, {Currency: "EUR", Assets: 2, Traced: 450_000 * eur, Frozen: 450_000 * eur, Released: 20_000 * eur,
				Confiscated: 400_000 * eur, Returned: 390_000 * eur, Expenses: 10_000 * eur, Compensated: 300_000 * eur}},
		}
		if !reflect.DeepEqual(d, want) {
			t.Errorf("RecoveryDashboard(FRA) =\n%+v\nwant\n%+v", d, want)
		}
		v, err := f.n.RecoveryDashboard(ctx, vnmCA)
		if err != nil || len(v.Total) != 1 || v.Total[0].Traced != 30_000*eur || len(v.ByCase) != 1 {
			t.Errorf("RecoveryDashboard(VNM) = %+v, %v; want VNM's car only", v, err)
		}

		// Two assets whose sum passes int64 are shown at the largest
		// figure, marked, not as a negative one.
		f.fundsCase(t, "v2", "VNM")
		for range 2 {
			f.asset(t, vnmCA, "v2", node.AssetInput{Jurisdiction: "VNM", Description: "shares", Currency: "USD", Traced: math.MaxInt64 - 1})
		}
		v, err = f.n.RecoveryDashboard(ctx, vnmCA)
		if err != nil || len(v.Total) != 2 || v.Total[1].Currency != "USD" || v.Total[1].Traced != math.MaxInt64 || !v.Total[1].Overflow || v.Total[0].Overflow {
			t.Errorf("RecoveryDashboard(VNM) = %+v, %v; want USD at the largest figure, marked as overflowing, EUR not", v.Total, err)
		}
	})
}
