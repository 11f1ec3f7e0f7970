package node

import (
	"context"
	"errors"
	"slices"
	"strings"

	"entraide/internal/casework"
	"entraide/internal/convention"
	"entraide/internal/evidence"
	"entraide/internal/funds"
	"entraide/internal/store"
)

// checkTraceUse refuses to pass to State to what trace found of
// accounts (their identity, holders and the amounts traced to them)
// when an evidence item whose records led the funds there was given by
// another State under conditions that bar it (art. 36(3), art. 40(19),
// (20)): a freezing request built from a statement carries that
// statement's contents as surely as the statement itself. The items are
// those behind every hop upstream of accounts. A disposed item binds
// still: its records live on in the case.
func (n *Node) checkTraceUse(ctx context.Context, by casework.Actor, caseID string, res *funds.Result, accounts []funds.AccountID, to, what string) error {
	if res == nil || len(accounts) == 0 {
		return nil
	}
	into := map[funds.AccountID][]int{}
	for i, h := range res.Hops {
		into[h.To] = append(into[h.To], i)
	}
	seen := map[funds.AccountID]bool{}
	queue := slices.Clone(accounts)
	var transfers []funds.TransferID
	for len(queue) > 0 {
		a := queue[len(queue)-1]
		queue = queue[:len(queue)-1]
		if seen[a] {
			continue
		}
		seen[a] = true
		for _, i := range into[a] {
			transfers = append(transfers, res.Hops[i].Transfer)
			queue = append(queue, res.Hops[i].From)
		}
	}
	slices.Sort(transfers)
	transfers = slices.Compact(transfers)
	ts, err := n.db.FundsTransfersByID(ctx, by.State, caseID, transfers)
	if err != nil {
		return err
	}
	type source struct{ request, item string }
	var sources []source
	for _, t := range ts {
		sources = append(sources, source{t.RequestID, t.ItemID})
		for _, r := range t.AlsoIn {
			sources = append(sources, source{r.RequestID, r.ItemID})
		}
	}
	slices.SortFunc(sources, func(a, b source) int {
		if a.request != b.request {
			return strings.Compare(a.request, b.request)
		}
		return strings.Compare(a.item, b.item)
	})
	sources = slices.Compact(sources)
	for _, s := range sources {
		it, err := n.db.Evidence(ctx, by.State, s.item)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return err
		}
		if it.Origin == nil {
			continue
		}
		if it.Conditions, err = n.db.ItemConditions(ctx, it.State, it.ID); err != nil {
			return err
		}
		if len(it.Conditions) == 0 {
			continue
		}
		r, err := n.db.Request(ctx, by.State, it.RequestID)
		if err != nil {
			return err
		}
		// What the item gave is bound whatever became of its bytes.
		it.Status = evidence.Available
		if err := n.checkUse(ctx, by, r, []evidence.Item{it}, convention.Use{ToState: to}, what); err != nil {
			return err
		}
	}
	return nil
}

// checkFreezingSend refuses to send freezing request r when the trace
// its assets came from rests on an item whose conditions bar passing it
// to r's requested State: the conditions may have arrived, or the
// State been changed, after the draft was made.
func (n *Node) checkFreezingSend(ctx context.Context, by casework.Actor, r *casework.Request) error {
	if r.Kind != convention.Freezing {
		return nil
	}
	assets, err := n.db.AssetsOfFreezingRequest(ctx, by.State, r.ID)
	if err != nil {
		return err
	}
	type traceOf struct{ caseID, trace string }
	accounts := map[traceOf][]funds.AccountID{}
	var order []traceOf
	for _, a := range assets {
		if a.TraceID == "" || a.Account == 0 {
			continue
		}
		k := traceOf{a.CaseID, a.TraceID}
		if _, ok := accounts[k]; !ok {
			order = append(order, k)
		}
		accounts[k] = append(accounts[k], a.Account)
	}
	for _, k := range order {
		tr, err := n.db.FundsTrace(ctx, by.State, k.caseID, k.trace)
		if err != nil {
			return err
		}
		if err := n.checkTraceUse(ctx, by, k.caseID, tr.Result, accounts[k], r.RequestedState, "freezing request"); err != nil {
			return err
		}
	}
	return nil
}
