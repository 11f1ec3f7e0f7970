package store_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"entraide/internal/funds"
	"entraide/internal/store"
	"entraide/internal/store/storetest"
)

var fundsDay = time.Date(2026, 4, 1, 9, 0, 0, 0, time.UTC)

func iban(id, holder string) funds.Account {
	return funds.Account{Kind: funds.IBAN, ID: id, Holder: holder}
}

func transfer(from, to funds.Account, micros int64, at time.Time, ref, locator string) funds.Transfer {
	return funds.Transfer{From: from, To: to, Amount: "x", Micros: micros, Currency: "EUR", At: at, Reference: ref, Locator: locator}
}

// ibanCountry stands for funds.JurisdictionOf: the two letters of an
// IBAN, as the store is given them.
func ibanCountry(a funds.Account) (string, string) {
	switch {
	case a.Kind != funds.IBAN:
		return "", ""
	case strings.HasPrefix(a.ID, "FR"):
		return "FRA", "iban"
	case strings.HasPrefix(a.ID, "VN"):
		return "VNM", "iban"
	}
	return "", ""
}

func importFunds(t *testing.T, db *store.DB, state string, imp store.FundsImport, recs funds.Records) (int, error) {
	t.Helper()
	var added int
	err := db.Tx(t.Context(), func(tx *store.Tx) error {
		var err error
		added, _, err = tx.ImportFunds(t.Context(), state, imp, recs, ibanCountry)
		return err
	})
	return added, err
}

// TestFunds: a case's records are imported whole or not at all, its
// accounts merged by key across the States' records, an official's
// jurisdiction kept, and its ledger gives an account's movements in order
// of time, on both backends; another State sees none of it.
func TestFunds(t *testing.T) {
	for _, backend := range storetest.Backends {
		t.Run(backend, func(t *testing.T) {
			t.Parallel()
			db := storetest.Open(t, backend)
			ctx := t.Context()
			c := store.FundsCase{ID: "case-1", State: "FRA", Title: "Romance scam", Reference: "PNC-2026-1", CreatedBy: "fra-inv", CreatedAt: fundsDay}
			if err := db.Tx(ctx, func(tx *store.Tx) error { return tx.InsertFundsCase(ctx, c) }); err != nil {
				t.Fatal(err)
			}
			if got, err := db.FundsCase(ctx, "FRA", c.ID); err != nil || got != c {
				t.Errorf("FundsCase(FRA) = %+v, %v; want %+v", got, err, c)
			}
			if _, err := db.FundsCase(ctx, "VNM", c.ID); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("FundsCase(VNM) = %v, want ErrNotFound: the case is FRA's", err)
			}
			if cs, err := db.FundsCases(ctx, "VNM"); err != nil || len(cs) != 0 {
				t.Errorf("FundsCases(VNM) = %+v, %v; want none", cs, err)
			}

			victim, mule, wallet := iban("FR7630006000011234567890189", "Alice"), iban("VN12VCB0000000001", ""), funds.Account{Kind: funds.Wallet, ID: "bc1qxyz", Bank: "bitcoin"}
			vnm := funds.Records{
				Transfers: []funds.Transfer{
					transfer(victim, mule, 10_000_000_000, fundsDay, "E2E-1", "Stmt[1]/Ntry[1]"),
					transfer(mule, mule, 1_000_000, fundsDay.Add(time.Hour), "SELF", "Stmt[1]/Ntry[2]"),
					transfer(mule, wallet, 6_000_000_000, fundsDay.Add(2*time.Hour), "OUT-1", "Stmt[1]/Ntry[3]"),
				},
				Balances: []funds.Balance{{Account: mule, Amount: "5", Micros: 5_000_000, Currency: "EUR", At: fundsDay.Add(-24 * time.Hour), Locator: "Stmt[1]/Bal[1]"}},
			}
			imp := store.FundsImport{ID: "imp-1", CaseID: c.ID, RequestID: "req-1", ItemID: "item-vnm", SHA256: "abc", Format: "camt.053", ImportedBy: "fra-inv", ImportedAt: fundsDay}
			if _, err := importFunds(t, db, "VNM", imp, vnm); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("VNM imports into FRA's case: %v, want ErrNotFound", err)
			}
			if added, err := importFunds(t, db, "FRA", imp, vnm); err != nil || added != 3 {
				t.Fatalf("ImportFunds = %d, %v; want 3 accounts", added, err)
			}
			if _, err := importFunds(t, db, "FRA", imp, vnm); !errors.Is(err, store.ErrFundsImported) {
				t.Errorf("the same item again: %v, want ErrFundsImported", err)
			}
			ts, err := db.FundsTransfers(ctx, "FRA", c.ID, 0, 0, 10)
			if err != nil || len(ts) != 3 {
				t.Fatalf("FundsTransfers = %d, %v", len(ts), err)
			}
			if ts[0].ItemID != "item-vnm" || ts[0].RequestID != "req-1" || ts[0].Locator != "Stmt[1]/Ntry[1]" || !ts[0].At.Equal(fundsDay) || ts[0].Micros != 10_000_000_000 {
				t.Errorf("first transfer = %+v; want its item, request, locator, time and amount", ts[0])
			}
			muleID, victimID := ts[0].To, ts[0].From

			// An official says where the mule's account is; ZAF's records
			// then name it with a holder, and the victim's account again.
			if err := db.Tx(ctx, func(tx *store.Tx) error {
				_, err := tx.SetFundsJurisdiction(ctx, "FRA", c.ID, muleID, "KHM")
				return err
			}); err != nil {
				t.Fatal(err)
			}
			if err := db.Tx(ctx, func(tx *store.Tx) error {
				_, err := tx.SetFundsJurisdiction(ctx, "VNM", c.ID, muleID, "VNM")
				return err
			}); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("VNM sets a jurisdiction in FRA's case: %v, want ErrNotFound", err)
			}
			zaf := funds.Records{Transfers: []funds.Transfer{
				transfer(iban("VN12VCB0000000001", "Mule Ltd"), iban("FR7630006000011234567890189", "Alice B."), 2_000_000_000, fundsDay.Add(3*time.Hour), "BACK", "line 2"),
			}}
			if added, err := importFunds(t, db, "FRA", store.FundsImport{ID: "imp-2", CaseID: c.ID, RequestID: "req-2", ItemID: "item-zaf", Format: "csv", Mapping: "zaf-bank", ImportedBy: "fra-inv", ImportedAt: fundsDay}, zaf); err != nil || added != 0 {
				t.Fatalf("second import = %d new accounts, %v; want 0: both accounts are known", added, err)
			}
			accounts, err := db.FundsAccounts(ctx, "FRA", c.ID, 0, 10)
			if err != nil || len(accounts) != 3 {
				t.Fatalf("FundsAccounts = %+v, %v; want 3 merged accounts", accounts, err)
			}
			byID := map[funds.AccountID]store.FundsAccount{}
			for _, a := range accounts {
				byID[a.ID] = a
			}
			if m := byID[muleID]; m.Account.Holder != "Mule Ltd" || m.Account.Jurisdiction != "KHM" || m.JurisdictionSource != store.JurisdictionOfficial {
				t.Errorf("mule = %+v; want the holder filled and the official's jurisdiction kept", m)
			}
			if v := byID[victimID]; v.Account.Holder != "Alice" || v.Account.Jurisdiction != "FRA" || v.JurisdictionSource != "iban" {
				t.Errorf("victim = %+v; want the first holder kept, FRA from the IBAN", v)
			}
			if got := byID[muleID].Totals; len(got) != 1 || got[0] != (store.FundsTotal{Currency: "EUR", In: 10_001_000_000, Out: 8_001_000_000}) {
				t.Errorf("mule totals = %+v", got)
			}
			if n, m, err := db.FundsCounts(ctx, "FRA", c.ID); err != nil || n != 3 || m != 4 {
				t.Errorf("FundsCounts = %d, %d, %v; want 3, 4", n, m, err)
			}
			if _, _, err := db.FundsCounts(ctx, "VNM", c.ID); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("FundsCounts(VNM) = %v, want ErrNotFound", err)
			}
			if imps, err := db.FundsImports(ctx, "FRA", c.ID); err != nil || len(imps) != 2 || imps[0].Transfers != 3 || imps[1].Mapping != "zaf-bank" {
				t.Errorf("FundsImports = %+v, %v", imps, err)
			}
			if ts, err := db.FundsTransfers(ctx, "FRA", c.ID, victimID, 0, 10); err != nil || len(ts) != 2 {
				t.Errorf("transfers of the victim's account = %d, %v; want 2", len(ts), err)
			}
			if ts, err := db.FundsTransfers(ctx, "VNM", c.ID, 0, 0, 10); err != nil || len(ts) != 0 {
				t.Errorf("FundsTransfers(VNM) = %d, %v; want none", len(ts), err)
			}
			if ts, err := db.FundsTransfersByReference(ctx, "FRA", c.ID, "E2E-1"); err != nil || len(ts) != 1 || ts[0].Locator != "Stmt[1]/Ntry[1]" {
				t.Errorf("by reference = %+v, %v", ts, err)
			}

			// A file that fails half-way leaves nothing behind.
			bad := funds.Records{Transfers: []funds.Transfer{transfer(victim, wallet, 1, fundsDay, "", "line 2"), transfer(victim, iban(strings.Repeat("X", 5), ""), 1, fundsDay, "", "line 3")}}
			err = db.Tx(ctx, func(tx *store.Tx) error {
				if _, _, err := tx.ImportFunds(ctx, "FRA", store.FundsImport{ID: "imp-3", CaseID: c.ID, ItemID: "item-3", ImportedAt: fundsDay}, bad, ibanCountry); err != nil {
					return err
				}
				return errors.New("audit failed")
			})
			if err == nil {
				t.Fatal("the failing transaction committed")
			}
			if n, m, _ := db.FundsCounts(ctx, "FRA", c.ID); n != 3 || m != 4 {
				t.Errorf("after a failed import: %d accounts, %d transfers; want 3, 4", n, m)
			}

			ledger, err := db.FundsLedger(ctx, "FRA", c.ID)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := db.FundsLedger(ctx, "VNM", c.ID); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("FundsLedger(VNM) = %v, want ErrNotFound", err)
			}
			first, err := ledger.Transfer(ctx, ts[0].ID)
			if err != nil || first.From != victimID || first.To != muleID || first.Amount != 10_000_000_000 || !first.At.Equal(fundsDay) {
				t.Errorf("Transfer = %+v, %v", first, err)
			}
			if _, err := ledger.Transfer(ctx, 1<<40); !errors.Is(err, funds.ErrUnknownTransfer) {
				t.Errorf("Transfer(unknown) = %v, want ErrUnknownTransfer", err)
			}
			ms, err := ledger.Movements(ctx, muleID, funds.Cursor{}, 10)
			if err != nil || len(ms) != 4 {
				t.Fatalf("Movements(mule) = %+v, %v; want 4, the payment to itself once", ms, err)
			}
			for i := 1; i < len(ms); i++ {
				if ms[i].At.Before(ms[i-1].At) {
					t.Errorf("movement %d at %v before %v", i, ms[i].At, ms[i-1].At)
				}
			}
			if ms[1].From != muleID || ms[1].To != muleID {
				t.Errorf("second movement = %+v, want the payment to itself", ms[1])
			}
			page, err := ledger.Movements(ctx, muleID, funds.Cursor{At: ms[1].At, ID: ms[1].ID}, 1)
			if err != nil || len(page) != 1 || page[0].ID != ms[2].ID {
				t.Errorf("Movements after the second, limit 1 = %+v, %v; want the third", page, err)
			}
			if o, ok, err := ledger.Opening(ctx, muleID); err != nil || !ok || o.Amount != 5_000_000 || o.Currency != "EUR" {
				t.Errorf("Opening(mule) = %+v, %v, %v", o, ok, err)
			}
			if _, ok, err := ledger.Opening(ctx, victimID); err != nil || ok {
				t.Errorf("Opening(victim) = %v, %v; want none", ok, err)
			}

			// Mappings, rates and traces are kept for their State.
			m := store.FundsMapping{Name: "zaf-bank", Mapping: json.RawMessage(`{"date":"Date"}`), CreatedBy: "fra-inv", CreatedAt: fundsDay}
			for i, want := range []error{nil, store.ErrExists} {
				if err := db.Tx(ctx, func(tx *store.Tx) error { return tx.PutFundsMapping(ctx, "FRA", m) }); !errors.Is(err, want) {
					t.Errorf("PutFundsMapping #%d = %v, want %v", i+1, err, want)
				}
			}
			if got, err := db.FundsMapping(ctx, "FRA", "zaf-bank"); err != nil || string(got.Mapping) != string(m.Mapping) {
				t.Errorf("FundsMapping = %+v, %v", got, err)
			}
			if _, err := db.FundsMapping(ctx, "VNM", "zaf-bank"); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("FundsMapping(VNM) = %v, want ErrNotFound", err)
			}
			rates := []funds.Rate{{Day: fundsDay, Currency: "USD", PerUnit: "0.9"}, {Day: fundsDay, Currency: "BTC", PerUnit: "60000"}}
			for _, per := range []string{"0.8", "0.9"} {
				rates[0].PerUnit = per
				if err := db.Tx(ctx, func(tx *store.Tx) error { return tx.PutFundsRates(ctx, "FRA", c.ID, "EUR", rates) }); err != nil {
					t.Fatal(err)
				}
			}
			if got, err := db.FundsRates(ctx, "FRA", c.ID, "EUR"); err != nil || len(got["EUR"]) != 2 || got["EUR"][1].PerUnit != "0.9" || !got["EUR"][0].Day.Equal(time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)) {
				t.Errorf("FundsRates = %+v, %v; want 2, the USD rate replaced", got, err)
			}
			if err := db.Tx(ctx, func(tx *store.Tx) error { return tx.PutFundsRates(ctx, "VNM", c.ID, "EUR", rates) }); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("VNM loads rates into FRA's case: %v", err)
			}
			tr := store.FundsTrace{ID: "trace-1", CaseID: c.ID, Options: funds.Options{Rule: funds.FIFO, Currency: "EUR"}, Sources: []funds.TransferID{first.ID},
				Result: &funds.Result{Traced: 10, Holdings: []funds.Holding{{Account: muleID, Traced: 10}}}, CreatedBy: "fra-inv", CreatedAt: fundsDay}
			if err := db.Tx(ctx, func(tx *store.Tx) error { return tx.InsertFundsTrace(ctx, "FRA", tr) }); err != nil {
				t.Fatal(err)
			}
			if got, err := db.FundsTrace(ctx, "FRA", c.ID, tr.ID); err != nil || got.Result.Traced != 10 || got.Options.Rule != funds.FIFO || len(got.Sources) != 1 {
				t.Errorf("FundsTrace = %+v, %v", got, err)
			}
			if _, err := db.FundsTrace(ctx, "VNM", c.ID, tr.ID); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("FundsTrace(VNM) = %v, want ErrNotFound", err)
			}
			if got, err := db.FundsTraces(ctx, "FRA", c.ID); err != nil || len(got) != 1 || got[0].Result != nil {
				t.Errorf("FundsTraces = %+v, %v; want one, without its result", got, err)
			}
		})
	}
}

// The payer's bank and the payee's both record one payment: a case holds
// it once, with both records, so that a trace does not count it twice.
func TestFundsSameTransferInTwoRecords(t *testing.T) {
	for _, backend := range storetest.Backends {
		t.Run(backend, func(t *testing.T) {
			t.Parallel()
			db := storetest.Open(t, backend)
			ctx := t.Context()
			c := store.FundsCase{ID: "case-m", State: "FRA", Title: "BEC", Reference: "R", CreatedBy: "fra-inv", CreatedAt: fundsDay}
			if err := db.Tx(ctx, func(tx *store.Tx) error { return tx.InsertFundsCase(ctx, c) }); err != nil {
				t.Fatal(err)
			}
			victim, mule, other := iban("FR7630006000011234567890189", "Victim SA"), iban("VN12VCB0000000001", "Mule Ltd"), iban("GB29NWBK60161331926819", "")
			payer := funds.Records{Transfers: []funds.Transfer{
				transfer(victim, mule, 480_000_000_000, fundsDay, "E2E-1", "Stmt[1]/Ntry[1]"),
				// Two equal payments on one day in one file are two payments.
				transfer(victim, other, 1_000_000_000, fundsDay, "", "Stmt[1]/Ntry[2]"),
				transfer(victim, other, 1_000_000_000, fundsDay, "", "Stmt[1]/Ntry[3]"),
			}}
			if _, err := importFunds(t, db, "FRA", store.FundsImport{ID: "imp-a", CaseID: c.ID, RequestID: "req-a", ItemID: "item-a", Format: "camt.053", ImportedBy: "fra-inv", ImportedAt: fundsDay}, payer); err != nil {
				t.Fatal(err)
			}
			payee := funds.Records{Transfers: []funds.Transfer{
				// Booked two days later by the payee's bank, under its own reference.
				transfer(victim, mule, 480_000_000_000, fundsDay.Add(48*time.Hour), "VCB-77", "line 4"),
				// Only one of the two equal payments reached this statement.
				transfer(victim, other, 1_000_000_000, fundsDay.Add(time.Hour), "", "line 5"),
				// Four days later: another payment, not a record of the first.
				transfer(victim, mule, 480_000_000_000, fundsDay.Add(4*24*time.Hour), "", "line 6"),
			}}
			if _, err := importFunds(t, db, "FRA", store.FundsImport{ID: "imp-b", CaseID: c.ID, RequestID: "req-b", ItemID: "item-b", Format: "csv", ImportedBy: "fra-inv", ImportedAt: fundsDay.Add(time.Hour)}, payee); err != nil {
				t.Fatal(err)
			}
			ts, err := db.FundsTransfers(ctx, "FRA", c.ID, 0, 0, 10)
			if err != nil || len(ts) != 4 {
				t.Fatalf("FundsTransfers = %d, %v; want 4: 3 from the payer's file and the later payment", len(ts), err)
			}
			imps, err := db.FundsImports(ctx, "FRA", c.ID)
			if err != nil || len(imps) != 2 || imps[0].Matched != 0 || imps[1].Matched != 2 || imps[1].Transfers != 3 {
				t.Fatalf("imports = %+v, %v; want the second with 2 of 3 matched", imps, err)
			}
			ids := []funds.TransferID{ts[0].ID, ts[1].ID, ts[2].ID, ts[3].ID}
			byID, err := db.FundsTransfersByID(ctx, "FRA", c.ID, ids)
			if err != nil {
				t.Fatal(err)
			}
			if also := byID[ts[0].ID].AlsoIn; len(also) != 1 || also[0].ItemID != "item-b" || also[0].Locator != "line 4" || also[0].Reference != "VCB-77" || also[0].RequestID != "req-b" {
				t.Errorf("the payment's further records = %+v; want the payee's line 4", also)
			}
			if n := len(byID[ts[1].ID].AlsoIn) + len(byID[ts[2].ID].AlsoIn); n != 1 {
				t.Errorf("the two equal payments have %d further records between them, want 1", n)
			}
			if also := byID[ts[3].ID].AlsoIn; len(also) != 0 {
				t.Errorf("the later payment has further records %+v, want none", also)
			}
			if other, err := db.FundsTransfersByID(ctx, "VNM", c.ID, ids); err != nil || len(other) != 0 {
				t.Errorf("VNM reads FRA's transfers: %+v, %v", other, err)
			}
		})
	}
}

// A case's ledger reads only the case's accounts, though its indexes do
// not hold the case: another case's account is not found.
func TestFundsLedgerKeepsToItsCase(t *testing.T) {
	for _, backend := range storetest.Backends {
		t.Run(backend, func(t *testing.T) {
			t.Parallel()
			db := storetest.Open(t, backend)
			ctx := t.Context()
			var other funds.AccountID
			for i, id := range []string{"case-x", "case-y"} {
				c := store.FundsCase{ID: id, State: "FRA", Title: id, Reference: id, CreatedBy: "fra-inv", CreatedAt: fundsDay}
				if err := db.Tx(ctx, func(tx *store.Tx) error { return tx.InsertFundsCase(ctx, c) }); err != nil {
					t.Fatal(err)
				}
				recs := funds.Records{Transfers: []funds.Transfer{transfer(iban("FR7630006000011234567890189", ""), iban("GB29NWBK60161331926819", ""), 1_000_000, fundsDay, "", "line 2")}}
				imp := store.FundsImport{ID: "imp-" + id, CaseID: id, RequestID: "r", ItemID: "item-" + id, Format: "csv", ImportedBy: "fra-inv", ImportedAt: fundsDay}
				if _, err := importFunds(t, db, "FRA", imp, recs); err != nil {
					t.Fatal(err)
				}
				if i == 1 {
					ts, err := db.FundsTransfers(ctx, "FRA", id, 0, 0, 1)
					if err != nil || len(ts) != 1 {
						t.Fatalf("FundsTransfers(%s) = %v, %v", id, ts, err)
					}
					other = ts[0].To
				}
			}
			l, err := db.FundsLedger(ctx, "FRA", "case-x")
			if err != nil {
				t.Fatal(err)
			}
			if ms, err := l.Movements(ctx, other, funds.Cursor{}, 10); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("case-x's ledger reads case-y's account: %v, %v; want ErrNotFound", ms, err)
			}
		})
	}
}

// art 36: an item disposed of takes out of the case the records read
// from it; a transfer another item records too stays, on that record.
func TestFundsRecordsGoWithTheirItem(t *testing.T) {
	for _, backend := range storetest.Backends {
		t.Run(backend, func(t *testing.T) {
			t.Parallel()
			db := storetest.Open(t, backend)
			ctx := t.Context()
			c := store.FundsCase{ID: "case-d", State: "FRA", Title: "BEC", Reference: "R", CreatedBy: "fra-inv", CreatedAt: fundsDay}
			if err := db.Tx(ctx, func(tx *store.Tx) error { return tx.InsertFundsCase(ctx, c) }); err != nil {
				t.Fatal(err)
			}
			victim, mule, only := iban("FR7630006000011234567890189", "Victim SA"), iban("VN12VCB0000000001", "Mule Ltd"), iban("GB29NWBK60161331926819", "Only In A")
			a := funds.Records{
				Transfers: []funds.Transfer{
					transfer(victim, mule, 480_000_000_000, fundsDay, "E2E-1", "Stmt[1]/Ntry[1]"),
					transfer(mule, only, 1_000_000_000, fundsDay.Add(time.Hour), "OUT-1", "Stmt[1]/Ntry[2]"),
				},
				Balances: []funds.Balance{{Account: mule, Amount: "5", Micros: 5_000_000, Currency: "EUR", At: fundsDay.Add(-time.Hour), Locator: "Stmt[1]/Bal[1]"}},
			}
			if _, err := importFunds(t, db, "FRA", store.FundsImport{ID: "imp-a", CaseID: c.ID, RequestID: "req-a", ItemID: "item-a", Format: "camt.053", ImportedBy: "fra-inv", ImportedAt: fundsDay}, a); err != nil {
				t.Fatal(err)
			}
			b := funds.Records{Transfers: []funds.Transfer{transfer(victim, mule, 480_000_000_000, fundsDay.Add(24*time.Hour), "VCB-77", "line 4")}}
			if _, err := importFunds(t, db, "FRA", store.FundsImport{ID: "imp-b", CaseID: c.ID, RequestID: "req-b", ItemID: "item-b", Format: "csv", ImportedBy: "fra-inv", ImportedAt: fundsDay.Add(time.Hour)}, b); err != nil {
				t.Fatal(err)
			}
			dispose := func(state, item string) int {
				t.Helper()
				var n int
				if err := db.Tx(ctx, func(tx *store.Tx) error {
					var err error
					n, err = tx.DisposeFundsRecords(ctx, state, item, fundsDay.Add(48*time.Hour))
					return err
				}); err != nil {
					t.Fatal(err)
				}
				return n
			}
			if n := dispose("VNM", "item-a"); n != 0 {
				t.Errorf("VNM's disposal of an item of that id took %d of FRA's imports", n)
			}
			if n := dispose("FRA", "item-a"); n != 1 {
				t.Fatalf("DisposeFundsRecords = %d imports, want 1", n)
			}
			ts, err := db.FundsTransfers(ctx, "FRA", c.ID, 0, 0, 10)
			if err != nil || len(ts) != 1 {
				t.Fatalf("transfers left = %+v, %v; want the victim's payment alone, which item-b records too", ts, err)
			}
			if p := ts[0]; p.ItemID != "item-b" || p.Locator != "line 4" || p.Reference != "VCB-77" || !p.At.Equal(fundsDay.Add(24*time.Hour)) {
				t.Errorf("the payment kept = %+v; want it on item-b's record", p)
			}
			accounts, err := db.FundsAccounts(ctx, "FRA", c.ID, 0, 10)
			if err != nil || len(accounts) != 2 {
				t.Errorf("accounts left = %+v, %v; want the victim's and the mule's, not the one only item-a named", accounts, err)
			}
			l, err := db.FundsLedger(ctx, "FRA", c.ID)
			if err != nil {
				t.Fatal(err)
			}
			if _, ok, err := l.Opening(ctx, ts[0].To); ok || err != nil {
				t.Errorf("the mule's opening balance from item-a is still there (%v, %v)", ok, err)
			}
			imps, err := db.FundsImports(ctx, "FRA", c.ID)
			if err != nil || len(imps) != 2 || imps[0].DisposedAt == nil || imps[1].DisposedAt != nil {
				t.Errorf("imports = %+v, %v; want item-a's marked disposed of, item-b's not", imps, err)
			}
			if n := dispose("FRA", "item-a"); n != 0 {
				t.Errorf("a second disposal took %d imports, want none", n)
			}
			if n := dispose("FRA", "item-b"); n != 1 {
				t.Fatalf("disposing of item-b took %d imports, want 1", n)
			}
			if ts, _ := db.FundsTransfers(ctx, "FRA", c.ID, 0, 0, 10); len(ts) != 0 {
				t.Errorf("transfers left after both items went: %+v", ts)
			}
		})
	}
}
