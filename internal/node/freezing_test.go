package node_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"entraide/internal/casework"
	"entraide/internal/convention"
	"entraide/internal/funds"
	"entraide/internal/identity"
	"entraide/internal/node"
	"entraide/internal/store"
)

// tracedCase stores FRA's case c1, the records of where 10,000 EUR a
// victim paid went, and trace t1 of them (FIFO: the mule held nothing
// else, so every euro is traced):
//
//	victim (FR, Alice) → mule1 (VN)            10,000
//	mule1 → mule2 (VN)                           4,000
//	mule1 → shell (DE)                           3,000
//	mule1 → bob (FR, Bob)                        1,000
//	mule1 → wallet (chain, State unknown)          500
//
// so that mule1 keeps 1,500 (VNM), mule2 holds 4,000 (VNM), the shell
// 3,000 (DEU), Bob 1,000 (FRA, domestic) and the wallet 500 (unknown).
func (f *fixture) tracedCase(t *testing.T) {
	t.Helper()
	f.tracedCaseFrom(t, "r0", "item1")
}

// tracedCaseFrom is tracedCase with its records from item itemID of
// request requestID.
func (f *fixture) tracedCaseFrom(t *testing.T, requestID, itemID string) {
	t.Helper()
	ctx := t.Context()
	at := start
	iban := func(id, holder string) funds.Account { return funds.Account{Kind: funds.IBAN, ID: id, Holder: holder} }
	victim, mule1, mule2 := iban("FR7630006000011234567890189", "Alice"), iban("VN12VCB0000000001", "Mule One"), iban("VN12VCB0000000002", "")
	shell, bob := iban("DE89370400440532013000", "Shell GmbH"), iban("FR7630006000019876543210123", "Bob")
	wallet := funds.Account{Kind: funds.Wallet, ID: "bc1qmule", Bank: "bitcoin"}
	tr := func(from, to funds.Account, euros int64, h int, ref string) funds.Transfer {
		return funds.Transfer{From: from, To: to, Amount: "x", Micros: euros * eur, Currency: "EUR", At: at.Add(time.Duration(h) * time.Hour), Reference: ref, Locator: "line " + ref}
	}
	recs := funds.Records{Transfers: []funds.Transfer{
		tr(victim, mule1, 10_000, 1, "E2E-1"), tr(mule1, mule2, 4_000, 2, "2"), tr(mule1, shell, 3_000, 3, "3"), tr(mule1, bob, 1_000, 4, "4"), tr(mule1, wallet, 500, 5, "5"),
	}}
	err := f.db.Tx(ctx, func(tx *store.Tx) error {
		if err := tx.InsertFundsCase(ctx, store.FundsCase{ID: "c1", State: "FRA", Title: "Phishing", Reference: "P-1", CreatedBy: "fra-inv", CreatedAt: at}); err != nil {
			return err
		}
		_, _, err := tx.ImportFunds(ctx, "FRA", store.FundsImport{ID: "i1", CaseID: "c1", RequestID: requestID, ItemID: itemID, SHA256: "abc", Format: "csv", ImportedBy: "fra-inv", ImportedAt: at}, recs, funds.JurisdictionOf)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	src, err := f.db.FundsTransfersByReference(ctx, "FRA", "c1", "E2E-1")
	if err != nil || len(src) != 1 {
		t.Fatalf("FundsTransfersByReference = %v, %v", src, err)
	}
	ledger, err := f.db.FundsLedger(ctx, "FRA", "c1")
	if err != nil {
		t.Fatal(err)
	}
	rates, err := funds.NewRateTable("EUR", nil)
	if err != nil {
		t.Fatal(err)
	}
	opt := funds.Options{Rule: funds.FIFO, Currency: "EUR"}
	res, err := funds.Trace(ctx, ledger, rates, []funds.TransferID{src[0].ID}, opt)
	if err != nil {
		t.Fatal(err)
	}
	err = f.db.Tx(ctx, func(tx *store.Tx) error {
		return tx.InsertFundsTrace(ctx, "FRA", store.FundsTrace{ID: "t1", CaseID: "c1", Options: opt, Sources: []funds.TransferID{src[0].ID}, Result: res, CreatedBy: "fra-inv", CreatedAt: at})
	})
	if err != nil {
		t.Fatal(err)
	}
}

var freezeInput = node.FreezeInput{Facts: "Alice paid 10,000 EUR to a fake bank adviser on 2 March 2026.", RequestingAuthority: "Parquet de Paris",
	Offences: []convention.Charge{{Article: 13}}, LegalBasis: &casework.LegalBasis{Type: casework.BasisReciprocity}}

// TestFreezingRequestsFromTrace: one trace gives one draft freezing
// request to each State where its funds sit, with the accounts and
// amounts there; the official's own State and the accounts of no known
// State are listed apart; a second run drafts nothing new; another
// State's official finds no such case; sending a draft moves its assets
// to freezing_requested.
func TestFreezingRequestsFromTrace(t *testing.T) {
	eachBackend(t, func(t *testing.T, backend string) {
		f := newFixture(t, backend)
		ctx := t.Context()
		f.tracedCase(t)

		var ps convention.Problems
		if _, err := f.n.FreezingRequestsFromTrace(ctx, fraInv, "c1", "t1", freezeInput); !errors.Is(err, casework.ErrForbidden) {
			t.Errorf("an investigator drafts the freezing requests: %v; want forbidden: the central authority records the assets", err)
		}
		if _, err := f.n.FreezingRequestsFromTrace(ctx, fraCA, "c1", "t1", node.FreezeInput{}); !errors.As(err, &ps) || len(ps) != 2 || ps[0].Field != "facts" {
			t.Errorf("without facts or authority: %v; want both named", err)
		}
		drafts, err := f.n.FreezingRequestsFromTrace(ctx, fraCA, "c1", "t1", freezeInput)
		if err != nil {
			t.Fatal(err)
		}
		type line struct {
			measure, state string
			traced         int64
			accounts       []string
		}
		want := []line{
			{node.MeasureRequest, "VNM", 5_500 * eur, []string{"VN12VCB0000000002", "VN12VCB0000000001"}},
			{node.MeasureRequest, "DEU", 3_000 * eur, []string{"DE89370400440532013000"}},
			{node.MeasureDomestic, "FRA", 1_000 * eur, []string{"FR7630006000019876543210123"}},
			{node.MeasureUnknown, "", 500 * eur, []string{"bc1qmule"}},
		}
		if len(drafts) != len(want) {
			t.Fatalf("drafts = %+v; want %d lines", drafts, len(want))
		}
		for i, w := range want {
			d := drafts[i]
			var idents []string
			for _, a := range d.Accounts {
				idents = append(idents, a.Ident)
			}
			if d.Measure != w.measure || d.State != w.state || d.Traced != w.traced || d.Currency != "EUR" || strings.Join(idents, ",") != strings.Join(w.accounts, ",") || d.Next == "" {
				t.Errorf("line %d = %+v; want %+v", i, d, w)
			}
			if (d.Request != "") != (w.measure == node.MeasureRequest) || d.Existing {
				t.Errorf("line %d: request %q, existing %v", i, d.Request, d.Existing)
			}
		}
		r, _, err := f.n.Request(ctx, fraCA, drafts[0].Request)
		if err != nil {
			t.Fatal(err)
		}
		if r.Kind != convention.Freezing || r.RequestedState != "VNM" || r.State != casework.Draft || r.LegalBasis.Type != casework.BasisReciprocity ||
			r.Fields["facts_summary"] != freezeInput.Facts || r.Fields["requesting_authority"] != "Parquet de Paris" ||
			!strings.Contains(r.Fields["actions_requested"], "IBAN VN12VCB0000000002: 4000 EUR traced") ||
			!strings.Contains(r.Fields["actions_requested"], "IBAN VN12VCB0000000001, held by Mule One: 1500 EUR traced") ||
			!strings.Contains(r.Fields["actions_requested"], "5500 EUR in all") || !strings.Contains(r.Fields["actions_requested"], "trace t1") ||
			!strings.Contains(r.Fields["property"], "in VNM") {
			t.Errorf("the draft to VNM = %+v", r)
		}
		views, err := f.n.FundsAssets(ctx, fraCA, "c1")
		if err != nil || len(views) != 4 {
			t.Fatalf("FundsAssets = %+v, %v; want 4 assets: 2 in VNM, 1 in DEU, 1 in FRA", views, err)
		}
		byRequest := map[string]int{}
		for _, v := range views {
			if v.Asset.Status != funds.AssetTraced || v.Asset.TraceID != "t1" {
				t.Errorf("asset %+v; want traced, of t1", v.Asset)
			}
			byRequest[v.Asset.FreezingRequest]++
		}
		if byRequest[drafts[0].Request] != 2 || byRequest[drafts[1].Request] != 1 || byRequest[""] != 1 {
			t.Errorf("assets by freezing request = %v", byRequest)
		}

		// Again: the same drafts, none new.
		again, err := f.n.FreezingRequestsFromTrace(ctx, fraCA, "c1", "t1", freezeInput)
		if err != nil || len(again) != 4 || again[0].Request != drafts[0].Request || !again[0].Existing || again[1].Request != drafts[1].Request || again[0].Traced != 5_500*eur {
			t.Errorf("a second run = %+v, %v; want the same drafts, existing", again, err)
		}
		page, err := f.n.Requests(ctx, fraCA, store.Filter{Limit: 100})
		if err != nil || page.Total != 2 {
			t.Errorf("FRA's requests after two runs: %d, %v; want 2", page.Total, err)
		}
		// A second trace of the case, by another rule or with more
		// records, asks no State twice to freeze the same account, and
		// its funds are not counted twice.
		err = f.db.Tx(ctx, func(tx *store.Tx) error {
			tr, err := f.db.FundsTrace(ctx, "FRA", "c1", "t1")
			if err != nil {
				return err
			}
			tr.ID, tr.Options.Rule = "t1-libr", funds.LIBR
			return tx.InsertFundsTrace(ctx, "FRA", tr)
		})
		if err != nil {
			t.Fatal(err)
		}
		other, err := f.n.FreezingRequestsFromTrace(ctx, fraCA, "c1", "t1-libr", freezeInput)
		if err != nil || len(other) != 4 || other[0].Request != drafts[0].Request || !other[0].Existing || other[1].Request != drafts[1].Request || !other[1].Existing {
			t.Errorf("freezing from a second trace = %+v, %v; want the drafts of the first, existing", other, err)
		}
		if views, err := f.n.FundsAssets(ctx, fraCA, "c1"); err != nil || len(views) != 4 {
			t.Errorf("assets after a second trace: %d, %v; want the 4 of the first", len(views), err)
		}
		if _, err := f.n.FreezingRequestsFromTrace(ctx, vnmCA, "c1", "t1", freezeInput); !errors.Is(err, casework.ErrNotFound) {
			t.Errorf("VNM's official on FRA's trace: %v; want not found", err)
		}
		if _, err := f.n.FreezingRequestsFromTrace(ctx, fraCA, "c1", "t2", freezeInput); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("a trace that is not: %v; want not found", err)
		}

		// The wallet's State found: the next run drafts its request,
		// and keeps the others.
		err = f.db.Tx(ctx, func(tx *store.Tx) error {
			_, err := tx.SetFundsJurisdiction(ctx, "FRA", "c1", drafts[3].Accounts[0].Account, "KHM")
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		third, err := f.n.FreezingRequestsFromTrace(ctx, fraCA, "c1", "t1", freezeInput)
		if err != nil || len(third) != 4 || third[0].Request != drafts[0].Request || third[3].State != "KHM" || third[3].Existing || third[3].Request == "" || third[3].Traced != 500*eur {
			t.Errorf("after the wallet's State is set: %+v, %v; want the three lines as before and a new draft to KHM", third, err)
		}

		f.move(t, fraCA, drafts[0].Request, casework.Transition{Action: casework.Send})
		views, err = f.n.FundsAssets(ctx, fraCA, "c1")
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range views {
			sent := v.Asset.FreezingRequest == drafts[0].Request
			if sent != (v.Asset.Status == funds.AssetFreezingRequested) {
				t.Errorf("asset %s of request %q is %s after sending %s", v.Asset.ID, v.Asset.FreezingRequest, v.Asset.Status, drafts[0].Request)
			}
			if sent && (len(v.History) != 2 || v.History[1].By != "fra-ca" || v.History[1].Request != drafts[0].Request) {
				t.Errorf("history of %s = %+v; want the sending by fra-ca", v.Asset.ID, v.History)
			}
		}
	})
}

// Arts. 36(3), 40(19)-(20): the statement VNM gave FRA under "no onward
// transfer" led the funds to DEU; a freezing request to DEU would pass
// its accounts, holders and amounts on, so it is not drafted, nor sent,
// until VNM consents. The request to VNM itself and FRA's domestic
// measure are no onward transfer.
func TestFreezingRequestsKeepConditions(t *testing.T) {
	eachBackend(t, func(t *testing.T, backend string) {
		f := newFixture(t, backend)
		f.withVault(t)
		ctx := t.Context()
		r := f.draft(t, convention.MutualAssistance, "VNM")
		f.move(t, fraCA, r.ID, casework.Transition{Action: casework.Send})
		f.move(t, vnmCA, r.ID, casework.Transition{Action: casework.Acknowledge})
		f.move(t, vnmCA, r.ID, casework.Transition{Action: casework.Start})
		it := f.addItem(t, vnmCA, r.ID, []byte("the statement"), nil)
		if _, err := f.n.SendEvidence(ctx, vnmCA, r.ID, it.ID, nil); err != nil {
			t.Fatal(err)
		}
		items, err := f.n.EvidenceItems(ctx, fraCA, r.ID)
		if err != nil || len(items) != 1 {
			t.Fatalf("FRA's items: %d, %v", len(items), err)
		}
		item := items[0].ID
		f.tracedCaseFrom(t, r.ID, item)

		// Drafted while the item was bound by nothing.
		drafts, err := f.n.FreezingRequestsFromTrace(ctx, fraCA, "c1", "t1", freezeInput)
		if err != nil || len(drafts) != 4 || drafts[1].State != "DEU" {
			t.Fatalf("drafts = %+v, %v", drafts, err)
		}
		// VNM's answer then bars onward transfer of what it gave.
		f.move(t, vnmCA, r.ID, casework.Transition{Action: casework.Execute, AnswerConditions: convention.Conditions{{Kind: convention.NoOnwardTransfer}}})
		if _, err := f.n.Transition(ctx, fraCA, drafts[1].Request, casework.Transition{Action: casework.Send}); !errors.Is(err, node.ErrConditionBars) ||
			!strings.Contains(err.Error(), item) || !strings.Contains(err.Error(), "no onward transfer") || !strings.Contains(err.Error(), "consent ask "+r.ID) {
			t.Errorf("sending the draft to DEU: %v; want refused, naming the item, the condition and how to ask consent", err)
		}
		f.move(t, fraCA, drafts[0].Request, casework.Transition{Action: casework.Send})

		// A new trace asks DEU nothing new: its account is answered with
		// the draft already made, whose sending stays barred.
		err = f.db.Tx(ctx, func(tx *store.Tx) error {
			tr, err := f.db.FundsTrace(ctx, "FRA", "c1", "t1")
			if err != nil {
				return err
			}
			tr.ID = "t2"
			return tx.InsertFundsTrace(ctx, "FRA", tr)
		})
		if err != nil {
			t.Fatal(err)
		}
		second, err := f.n.FreezingRequestsFromTrace(ctx, fraCA, "c1", "t2", freezeInput)
		if err != nil || len(second) != 4 || second[1].Request != drafts[1].Request || !second[1].Existing {
			t.Errorf("drafting from t2: %+v, %v; want DEU answered with t1's draft", second, err)
		}
		if views, err := f.n.FundsAssets(ctx, fraCA, "c1"); err != nil || len(views) != 4 {
			t.Errorf("assets after t2: %d, %v; want the 4 of t1, none of t2", len(views), err)
		}

		c, err := f.n.AskConsent(ctx, fraCA, r.ID, node.ConsentAsk{Items: []string{item}, Use: convention.Use{ToState: "DEU"}, Reasons: "the funds sit in Germany"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.n.AnswerConsent(ctx, vnmCA, c.ID, node.ConsentAnswer{Grant: true, Reasons: "to freeze them"}); err != nil {
			t.Fatal(err)
		}
		// (This node knows no node of DEU: the send goes no further.)
		if _, err := f.n.Transition(ctx, fraCA, drafts[1].Request, casework.Transition{Action: casework.Send}); errors.Is(err, node.ErrConditionBars) {
			t.Errorf("sending the draft to DEU once VNM consents: %v", err)
		}
		if _, err := f.n.FreezingRequestsFromTrace(ctx, fraCA, "c1", "t2", freezeInput); err != nil {
			t.Errorf("drafting from t2 once VNM consents: %v", err)
		}
	})
}

// Art. 36: an account holder's name, and a payment's reference, are
// personal data an evidence item gave; an auditor, who does not read the items' bytes, does not read
// it through a case either: not in its accounts, its trace, its report,
// its assets nor the audit log of their recording.
func TestAuditorSeesNoAccountHolders(t *testing.T) {
	eachBackend(t, func(t *testing.T, backend string) {
		f := newFixture(t, backend)
		ctx := t.Context()
		f.tracedCase(t)
		if _, err := f.n.FreezingRequestsFromTrace(ctx, fraCA, "c1", "t1", freezeInput); err != nil {
			t.Fatal(err)
		}
		names := []string{"Alice", "Mule One", "Shell GmbH", "Bob", `eference":"E2E-1"`}
		read := func(by casework.Actor) string {
			t.Helper()
			var all []any
			accounts, err := f.n.FundsAccounts(ctx, by, "c1", 0, 100)
			if err != nil {
				t.Fatal(err)
			}
			transfers, err := f.n.FundsTransfers(ctx, by, "c1", 0, 0, 100)
			if err != nil {
				t.Fatal(err)
			}
			all = append(all, transfers)
			tv, err := f.n.FundsTrace(ctx, by, "c1", "t1")
			if err != nil {
				t.Fatal(err)
			}
			rep, err := f.n.FundsTraceReport(ctx, by, "c1", "t1", "en")
			if err != nil {
				t.Fatal(err)
			}
			assets, err := f.n.FundsAssets(ctx, by, "c1")
			if err != nil {
				t.Fatal(err)
			}
			all = append(all, accounts, tv, rep.Accounts, assets)
			if by.Role.Can(identity.ReadAuditLog) {
				log, err := f.n.AuditLog(ctx, by, 0, 1000)
				if err != nil {
					t.Fatal(err)
				}
				all = append(all, log)
			}
			js, err := json.Marshal(all)
			if err != nil {
				t.Fatal(err)
			}
			return string(js)
		}
		got := read(fraInv)
		for _, name := range names {
			if !strings.Contains(got, name) {
				t.Errorf("the investigator does not read %q", name)
			}
		}
		got = read(fraAud)
		for _, name := range names {
			if strings.Contains(got, name) {
				t.Errorf("an auditor reads %q", name)
			}
		}
		if !strings.Contains(got, "DE89370400440532013000") {
			t.Error("an auditor does not read the accounts the funds went to")
		}
	})
}
