package node

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"entraide/internal/casework"
	"entraide/internal/convention"
	"entraide/internal/funds"
	"entraide/internal/funds/report"
)

// FundsTraceReport returns what the report of trace traceID of by's
// State's case caseID prints, its labels in lang (English when empty):
// the case, the trace with every account and transfer it names, and for
// each transfer the evidence item and its SHA-256 when it was imported.
// Another lang is a convention.Problems naming the field; another
// State's case or trace, the same not-found as one that does not exist.
func (n *Node) FundsTraceReport(ctx context.Context, by casework.Actor, caseID, traceID, lang string) (report.Report, error) {
	lang = strings.ToLower(lang)
	if lang == "" {
		lang = "en"
	}
	if !slices.Contains(report.Languages, lang) {
		return report.Report{}, convention.Problems{{Field: "lang", Ref: convention.Art(31),
			Message: fmt.Sprintf("%q: the report is printed in %s", lang, strings.Join(report.Languages, ", "))}}
	}
	c, err := n.FundsCase(ctx, by, caseID)
	if err != nil {
		return report.Report{}, err
	}
	tv, err := n.FundsTrace(ctx, by, caseID, traceID)
	if err != nil {
		return report.Report{}, err
	}
	hashes := map[string]string{}
	for _, im := range c.Imports {
		hashes[im.ID] = im.SHA256
	}
	r := report.Report{
		Case:  report.Case{ID: c.Case.ID, Title: c.Case.Title, Reference: c.Case.Reference, State: c.Case.State},
		Trace: tv.ID, TracedBy: tv.CreatedBy, TracedAt: tv.CreatedAt, Result: &tv.Result,
		Accounts:  make(map[funds.AccountID]funds.Account, len(tv.Accounts)),
		Records:   make(map[funds.TransferID]report.Record, len(tv.Transfers)),
		Lang:      lang,
		Node:      n.home,
		Generated: n.now(),
	}
	for id, a := range tv.Accounts {
		r.Accounts[id] = a.Account
	}
	for id, t := range tv.Transfers {
		r.Records[id] = report.Record{RequestID: t.RequestID, ItemID: t.ItemID, SHA256: hashes[t.ImportID],
			Locator: t.Locator, Reference: t.Reference, Amount: t.Amount, Currency: t.Currency, At: t.At}
	}
	return r, nil
}
