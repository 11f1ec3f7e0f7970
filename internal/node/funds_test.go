package node_test

import (
	"errors"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"entraide/internal/casework"
	"entraide/internal/convention"
	"entraide/internal/evidence"
	"entraide/internal/funds"
	"entraide/internal/funds/records"
	"entraide/internal/node"
	"entraide/internal/store"
)

// A bank's CSV export of the account DE89 3704 0044 0532 0130 00: what
// the mapping below reads.
const deStatement = "Buchungstag;Betrag;Währung;Gegenkonto;Auftraggeber/Empfänger;BIC;Verwendungszweck\n" +
	"11.03.2024;-9.000,00;EUR;CH93 0076 2011 6238 5295 7;Zeta Services AG;UBSWCHZH80A;INV 2024/11\n"

var deMapping = records.Mapping{Delimiter: ";", HasHeader: true, Date: "Buchungstag", DateLayout: "02.01.2006", Amount: "Betrag",
	DecimalSeparator: ",", ThousandsSeparator: ".", Currency: "Währung", CounterpartyAccount: "Gegenkonto", CounterpartyName: "Auftraggeber/Empfänger",
	CounterpartyBank: "BIC", Reference: "Verwendungszweck", AccountID: "DE89370400440532013000", AccountBank: "COBADEFFXXX", AccountHolder: "Delta Holding GmbH"}

func camt053(t *testing.T) []byte {
	t.Helper()
	b, err := os.ReadFile("../funds/records/testdata/camt053_v08.xml")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Arts. 31, 40(3): an investigator opens a case, imports a bank
// statement and a CSV export held as evidence (the reads are in the
// items' custody), the account both name is one, a trace says where the
// funds are per account and per State with each hop's record; another
// State finds none of it, and an auditor reads but does not trace.
func TestFundsCase(t *testing.T) {
	eachBackend(t, func(t *testing.T, backend string) {
		f := newFixture(t, backend)
		f.withVault(t)
		ctx := t.Context()
		n := f.n

		c, err := n.CreateFundsCase(ctx, fraInv, "Romance scam, Lyon", "PNC-2026-17")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := n.CreateFundsCase(ctx, fraInv, " ", ""); err == nil {
			t.Error("a case without a title was opened")
		} else {
			assertProblemFields(t, "CreateFundsCase(no title)", err, "title")
		}
		if _, err := n.CreateFundsCase(ctx, fraAud, "x", ""); !errors.Is(err, casework.ErrForbidden) {
			t.Errorf("an auditor opens a case: %v, want forbidden", err)
		}

		r := f.draft(t, convention.MutualAssistance, "VNM")
		camt := f.addItem(t, fraInv, r.ID, camt053(t), nil)
		csv := f.addItem(t, fraInv, r.ID, []byte(deStatement), nil)
		bad := f.addItem(t, fraInv, r.ID, []byte("<Document><BkToCstmrStmt><Stmt><Ntry>"), nil)

		imp, err := n.ImportFundsRecords(ctx, fraInv, c.ID, node.FundsImport{RequestID: r.ID, ItemID: camt.ID, Format: records.Camt053})
		if err != nil {
			t.Fatalf("import camt.053: %v", err)
		}
		if imp.Transfers != 6 || imp.SHA256 != camt.SHA256 || imp.RequestID != r.ID {
			t.Errorf("import = %+v; want 6 transfers, the item's hash and request", imp)
		}
		custody, err := n.EvidenceCustody(ctx, fraInv, r.ID, camt.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.ContainsFunc(custody, func(e store.AuditEntry) bool {
			return strings.Contains(string(e.Record), `"`+evidence.ActionImported+`"`) && strings.Contains(string(e.Record), c.ID)
		}) {
			t.Errorf("the item's custody does not say it was imported into case %s", c.ID)
		}
		_, err = n.ImportFundsRecords(ctx, fraInv, c.ID, node.FundsImport{RequestID: r.ID, ItemID: camt.ID, Format: records.Camt053})
		if !errors.Is(err, node.ErrAlreadyImported) {
			t.Errorf("the same item again: %v, want ErrAlreadyImported", err)
		}

		_, err = n.ImportFundsRecords(ctx, fraInv, c.ID, node.FundsImport{RequestID: r.ID, ItemID: csv.ID, Format: records.CSV, Mapping: "de-bank"})
		assertProblemFields(t, "import with an unsaved mapping", err, "mapping")
		if _, err := n.SaveFundsMapping(ctx, fraInv, "de-bank", deMapping); err != nil {
			t.Fatal(err)
		}
		if _, err := n.SaveFundsMapping(ctx, fraInv, "de-bank", deMapping); !errors.Is(err, node.ErrMappingExists) {
			t.Errorf("a mapping saved twice under one name: %v, want ErrMappingExists", err)
		}
		if _, err := n.SaveFundsMapping(ctx, fraInv, "bad name!", records.Mapping{}); err == nil {
			t.Error("a bad mapping was saved")
		} else {
			assertProblemFields(t, "SaveFundsMapping(bad)", err, "name", "mapping")
			if strings.Contains(err.Error(), "mapping: mapping:") {
				t.Errorf("SaveFundsMapping(bad) = %v: the mapping is named twice", err)
			}
		}
		if ms, err := n.FundsMappings(ctx, vnmCA); err != nil || len(ms) != 0 {
			t.Errorf("VNM's mappings = %+v, %v; want none: FRA's are FRA's", ms, err)
		}
		if _, err := n.ImportFundsRecords(ctx, fraInv, c.ID, node.FundsImport{RequestID: r.ID, ItemID: csv.ID, Format: records.CSV, Mapping: "de-bank"}); err != nil {
			t.Fatalf("import csv: %v", err)
		}
		_, err = n.ImportFundsRecords(ctx, fraInv, c.ID, node.FundsImport{RequestID: r.ID, ItemID: bad.ID, Format: records.Camt053})
		assertProblemFields(t, "import of a broken file", err, "file")
		if _, err := n.ImportFundsRecords(ctx, fraInv, c.ID, node.FundsImport{RequestID: r.ID, ItemID: bad.ID, Format: "xls"}); err == nil {
			t.Error("an unknown format was imported")
		} else {
			assertProblemFields(t, "import as xls", err, "format")
		}

		view, err := n.FundsCase(ctx, fraAud, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		// camt.053: Rossi, Ecran, Gamma, Delta, Nguyen, cash, charges; the
		// CSV adds Zeta and names Delta again.
		if len(view.Imports) != 2 || view.Transfers != 7 || view.Accounts != 8 {
			t.Errorf("case = %d imports, %d transfers, %d accounts; want 2, 7, 8 (Delta's account merged)", len(view.Imports), view.Transfers, view.Accounts)
		}
		accounts, err := n.FundsAccounts(ctx, fraInv, c.ID, 0, 100)
		if err != nil {
			t.Fatal(err)
		}
		var delta, nguyen store.FundsAccount
		for _, a := range accounts {
			switch a.Account.ID {
			case "DE89370400440532013000":
				delta = a
			case "0071001234567":
				nguyen = a
			}
		}
		if delta.Account.Jurisdiction != "DEU" || len(delta.Totals) != 1 || delta.Totals[0].In != 10_000_000_000 || delta.Totals[0].Out != 9_000_000_000 {
			t.Errorf("Delta's account = %+v; want DEU, 10,000 in and 9,000 out", delta)
		}
		if _, err := n.SetFundsAccountJurisdiction(ctx, fraInv, c.ID, nguyen.ID, "XYZ"); err == nil {
			t.Error("an unknown State was set")
		} else {
			assertProblemFields(t, "SetFundsAccountJurisdiction(XYZ)", err, "state")
		}
		if a, err := n.SetFundsAccountJurisdiction(ctx, fraInv, c.ID, nguyen.ID, "vnm"); err != nil || a.Account.Jurisdiction != "VNM" || a.JurisdictionSource != store.JurisdictionOfficial {
			t.Errorf("SetFundsAccountJurisdiction = %+v, %v", a, err)
		}

		opt := funds.Options{Rule: funds.FIFO, Currency: "USD"}
		_, err = n.TraceFunds(ctx, fraInv, c.ID, node.TraceInput{References: []string{"INV-2024-0042"}, Options: opt})
		assertProblemFields(t, "a trace in USD without rates", err, "rates")
		if _, err := n.LoadFundsRates(ctx, fraInv, c.ID, "USD", []funds.Rate{{Day: time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC), Currency: "EUR", PerUnit: "1.08"}, {Day: time.Date(2024, 3, 8, 0, 0, 0, 0, time.UTC), Currency: "EUR", PerUnit: "1.08"}, {Day: time.Date(2024, 3, 29, 0, 0, 0, 0, time.UTC), Currency: "EUR", PerUnit: "1.08"}}); err != nil {
			t.Fatal(err)
		}
		if _, err := n.LoadFundsRates(ctx, fraInv, c.ID, "USD", []funds.Rate{{Day: start, Currency: "EUR", PerUnit: "-1"}}); err == nil {
			t.Error("a negative rate was loaded")
		} else {
			assertProblemFields(t, "LoadFundsRates(-1)", err, "rates")
		}
		_, err = n.TraceFunds(ctx, fraInv, c.ID, node.TraceInput{References: []string{"NO-SUCH-REF"}, Options: opt})
		assertProblemFields(t, "a trace from an unknown reference", err, "references[0]")
		_, err = n.TraceFunds(ctx, fraInv, c.ID, node.TraceInput{Sources: []funds.TransferID{1 << 40}, Options: opt})
		assertProblemFields(t, "a trace from an unknown transfer", err, "sources[0]")
		_, err = n.TraceFunds(ctx, fraInv, c.ID, node.TraceInput{References: []string{"INV-2024-0042"}, Options: funds.Options{Rule: "lifo", Currency: "EUR"}})
		assertProblemFields(t, "a trace by an unknown rule", err, "options.rule")

		var tv node.TraceView
		audits := f.auditSince(t, func() {
			tv, err = n.TraceFunds(ctx, fraInv, c.ID, node.TraceInput{References: []string{"INV-2024-0042"}, Options: opt})
		})
		if err != nil {
			t.Fatal(err)
		}
		if got := actionsAndSubjects(audits); !slices.Equal(got, []string{"funds.trace funds/" + c.ID}) {
			t.Errorf("audit of a trace = %v", got)
		}
		// 50,000 EUR at 1.08.
		if tv.Result.Traced != 54_000_000_000 || tv.Currency != "USD" {
			t.Errorf("traced %d %s, want 54,000 USD", tv.Result.Traced, tv.Currency)
		}
		var held int64
		for _, h := range tv.Result.Holdings {
			held += h.Traced
			if _, ok := tv.Accounts[h.Account]; !ok {
				t.Errorf("holding of account %d, which the view does not give", h.Account)
			}
		}
		var byState int64
		for _, s := range tv.ByState {
			byState += s.Traced
		}
		if held+tv.Result.Dust != tv.Result.Traced || byState != held {
			t.Errorf("holdings %d + dust %d, by State %d; want %d", held, tv.Result.Dust, byState, tv.Result.Traced)
		}
		for _, h := range tv.Result.Hops {
			tr, ok := tv.Transfers[h.Transfer]
			if !ok || tr.ItemID == "" || tr.Locator == "" || tr.RequestID != r.ID {
				t.Errorf("hop %d: transfer %+v; want its item, request and record", h.Transfer, tr)
			}
		}
		if !slices.ContainsFunc(tv.ByState, func(s node.StateTotal) bool { return s.State == "CHE" }) {
			t.Errorf("by State = %+v; want funds in CHE, through Delta's account", tv.ByState)
		}
		again, err := n.FundsTrace(ctx, fraAud, c.ID, tv.ID)
		if err != nil || again.Result.Traced != tv.Result.Traced || len(again.Transfers) != len(tv.Transfers) {
			t.Errorf("FundsTrace = %+v, %v", again, err)
		}
		if ts, err := n.FundsTraces(ctx, fraInv, c.ID); err != nil || len(ts) != 1 {
			t.Errorf("FundsTraces = %d, %v", len(ts), err)
		}
		if _, err := n.TraceFunds(ctx, fraAud, c.ID, node.TraceInput{References: []string{"INV-2024-0042"}, Options: opt}); !errors.Is(err, casework.ErrForbidden) {
			t.Errorf("an auditor traces: %v, want forbidden", err)
		}

		// VNM's official finds nothing of FRA's case, as if it did not exist.
		notFound := map[string]error{}
		_, notFound["FundsCase"] = n.FundsCase(ctx, vnmCA, c.ID)
		_, notFound["ImportFundsRecords"] = n.ImportFundsRecords(ctx, vnmCA, c.ID, node.FundsImport{RequestID: r.ID, ItemID: csv.ID, Format: records.Camt053})
		_, notFound["FundsAccounts"] = n.FundsAccounts(ctx, vnmCA, c.ID, 0, 10)
		_, notFound["FundsTransfers"] = n.FundsTransfers(ctx, vnmCA, c.ID, 0, 0, 10)
		_, notFound["SetFundsAccountJurisdiction"] = n.SetFundsAccountJurisdiction(ctx, vnmCA, c.ID, nguyen.ID, "VNM")
		_, notFound["LoadFundsRates"] = n.LoadFundsRates(ctx, vnmCA, c.ID, "USD", []funds.Rate{{Day: start, Currency: "EUR", PerUnit: "1"}})
		_, notFound["FundsRates"] = n.FundsRates(ctx, vnmCA, c.ID, "")
		_, notFound["TraceFunds"] = n.TraceFunds(ctx, vnmCA, c.ID, node.TraceInput{References: []string{"INV-2024-0042"}, Options: opt})
		_, notFound["FundsTrace"] = n.FundsTrace(ctx, vnmCA, c.ID, tv.ID)
		_, notFound["FundsTraces"] = n.FundsTraces(ctx, vnmCA, c.ID)
		for call, err := range notFound {
			if !errors.Is(err, store.ErrNotFound) {
				t.Errorf("VNM: %s = %v, want not found", call, err)
			}
		}
		if cs, err := n.FundsCases(ctx, vnmCA); err != nil || len(cs) != 0 {
			t.Errorf("VNM's cases = %+v, %v; want none", cs, err)
		}

		// art 36: the statement's retention ends; the records read from
		// it leave the case with its bytes, the trace keeps its figures.
		before, err := n.FundsCase(ctx, fraInv, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := n.DisposeEvidence(ctx, fraCA, r.ID, camt.ID, "retention period ended"); err != nil {
			t.Fatal(err)
		}
		after, err := n.FundsCase(ctx, fraInv, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if after.Transfers >= before.Transfers {
			t.Errorf("transfers %d after the statement was disposed of, %d before: want fewer", after.Transfers, before.Transfers)
		}
		for _, i := range after.Imports {
			if (i.ItemID == camt.ID) != (i.DisposedAt != nil) {
				t.Errorf("import of item %s: disposed at %v", i.ItemID, i.DisposedAt)
			}
		}
		if again, err := n.FundsTrace(ctx, fraInv, c.ID, tv.ID); err != nil || again.Result.Traced != tv.Result.Traced {
			t.Errorf("the trace after the disposal = %+v, %v; want it read as it was run", again, err)
		} else {
			for _, tr := range again.Transfers {
				if tr.ItemID == camt.ID {
					t.Errorf("the trace still names a record of the disposed statement: %+v", tr)
				}
			}
		}
	})
}
