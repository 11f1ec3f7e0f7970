package node

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"

	"entraide/internal/casework"
	"entraide/internal/convention"
	"entraide/internal/directory"
	"entraide/internal/funds"
	"entraide/internal/identity"
	"entraide/internal/store"
)

// AssetView is an asset with its history, oldest step first: what a
// court reads of its recovery.
type AssetView struct {
	Asset   funds.Asset        `json:"asset"`
	History []funds.AssetEvent `json:"history"`
}

// AssetInput records property a case found outside a trace (a house, a
// car, funds an official located by other means), in status traced.
type AssetInput struct {
	// Jurisdiction is the State where it sits (ISO 3166-1 alpha-3).
	Jurisdiction string `json:"jurisdiction"`
	Description  string `json:"description"`
	Currency     string `json:"currency"`
	// Traced is its value, in millionths of Currency.
	Traced int64  `json:"traced"`
	Note   string `json:"note,omitempty"`
}

// StepResult is an asset after a step, the event that records it, and
// what the official should read of it without it stopping the step.
type StepResult struct {
	Asset    funds.Asset      `json:"asset"`
	Event    funds.AssetEvent `json:"event"`
	Warnings []string         `json:"warnings"`
}

var currencyCode = regexp.MustCompile(`^[A-Z0-9]{2,12}$`)

// fundsCase refuses by unless their role holds p and their State holds
// case caseID; another State's case answers as one that does not exist.
func (n *Node) fundsCase(ctx context.Context, by casework.Actor, p identity.Permission, caseID string) error {
	if !by.Role.Can(p) {
		return forbidden("role", "the %s role may not %s", by.Role, map[identity.Permission]string{
			identity.ReadFunds: "read fund-tracing cases", identity.RecordRecovery: "record the recovery of assets", identity.TraceFunds: "trace funds"}[p])
	}
	_, err := n.db.FundsCase(ctx, by.State, caseID)
	if errors.Is(err, store.ErrNotFound) {
		return casework.ErrNotFound
	}
	return err
}

// FundsAssets lists the assets of by's State's case caseID, each with
// its history, oldest first.
func (n *Node) FundsAssets(ctx context.Context, by casework.Actor, caseID string) ([]AssetView, error) {
	if err := n.fundsCase(ctx, by, identity.ReadFunds, caseID); err != nil {
		return nil, err
	}
	assets, err := n.db.Assets(ctx, by.State, caseID)
	if err := n.readable(ctx, err); err != nil {
		return nil, err
	}
	out := make([]AssetView, 0, len(assets))
	for _, a := range assets {
		events, err := n.db.AssetEvents(ctx, by.State, caseID, a.ID)
		if err := n.readable(ctx, err); err != nil {
			return nil, err
		}
		out = append(out, AssetView{Asset: a, History: events})
	}
	return out, nil
}

// AddAsset records property of by's State's case caseID that no trace
// found, in status traced, audited in the same transaction.
func (n *Node) AddAsset(ctx context.Context, by casework.Actor, caseID string, in AssetInput) (funds.Asset, error) {
	if err := n.fundsCase(ctx, by, identity.RecordRecovery, caseID); err != nil {
		return funds.Asset{}, err
	}
	var ps convention.Problems
	p, ok := directory.LookupParticipant(in.Jurisdiction)
	if !ok {
		ps = append(ps, convention.Problem{Field: "jurisdiction", Ref: funds.RefFreezing, Message: fmt.Sprintf("%q is not a State: the ISO 3166-1 alpha-3 code of the State where the property sits, e.g. VNM", in.Jurisdiction)})
	}
	if strings.TrimSpace(in.Description) == "" {
		ps = append(ps, convention.Problem{Field: "description", Ref: funds.RefFreezingRequest, Message: "required: what the property is and where it is, as a freezing request describes it"})
	} else if pr, bad := convention.CheckText("description", funds.RefFreezingRequest, in.Description, 2000); bad {
		ps = append(ps, pr)
	}
	if !currencyCode.MatchString(in.Currency) {
		ps = append(ps, convention.Problem{Field: "currency", Ref: funds.RefFreezingRequest, Message: fmt.Sprintf("%q: the ISO 4217 code (EUR) or the asset's symbol (BTC) its value is given in, in capitals", in.Currency)})
	}
	if in.Traced <= 0 {
		ps = append(ps, convention.Problem{Field: "traced", Ref: funds.RefFreezingRequest, Message: "required: its estimated value, more than 0"})
	}
	if pr, bad := convention.CheckText("note", funds.RefFreezing, in.Note, funds.MaxNoteLength); bad {
		ps = append(ps, pr)
	}
	if len(ps) > 0 {
		return funds.Asset{}, ps
	}
	now := n.now()
	a := funds.Asset{ID: newID(), CaseID: caseID, State: by.State, Jurisdiction: p.Code, Description: in.Description, Currency: in.Currency,
		Traced: in.Traced, Status: funds.AssetTraced, CreatedAt: now, UpdatedAt: now}
	e := funds.AssetEvent{AssetID: a.ID, Status: funds.AssetTraced, Amount: a.Traced, Note: in.Note, By: by.ID, At: now}
	err := n.db.Tx(ctx, func(tx *store.Tx) error {
		if err := tx.InsertAsset(ctx, a, e); err != nil {
			return err
		}
		return audit(ctx, tx, n.home, by.State, by, now, "funds.asset.add", "funds-case/"+caseID+"/asset/"+a.ID, a)
	})
	return a, err
}

// RecordAssetStep records a step of the recovery of asset assetID of by's
// State's case caseID, checked by funds.Asset.Apply, and audits it in the
// same transaction.
func (n *Node) RecordAssetStep(ctx context.Context, by casework.Actor, caseID, assetID string, step funds.AssetStep) (StepResult, error) {
	if err := n.fundsCase(ctx, by, identity.RecordRecovery, caseID); err != nil {
		return StepResult{}, err
	}
	var out StepResult
	err := n.db.Tx(ctx, func(tx *store.Tx) error {
		a, err := tx.AssetForUpdate(ctx, by.State, caseID, assetID)
		if err != nil {
			return err
		}
		next, e, warnings, err := a.Apply(step, by.ID, n.now())
		if err != nil {
			return err
		}
		if err := tx.UpdateAsset(ctx, next, e); err != nil {
			return err
		}
		out = StepResult{Asset: next, Event: e, Warnings: warnings}
		if out.Warnings == nil {
			out.Warnings = []string{}
		}
		return audit(ctx, tx, n.home, by.State, by, e.At, "funds.asset.step", "funds-case/"+caseID+"/asset/"+assetID, e)
	})
	return out, err
}

// freezingSent moves the assets waiting for freezing request r, which
// tx records the sending of, to freezing_requested: the step is the
// request's sending, by whoever sent it, so no official records it twice
// and no asset says "requested" of a draft.
func (n *Node) freezingSent(ctx context.Context, tx *store.Tx, r *casework.Request, sent casework.Event) error {
	if r.Kind != convention.Freezing {
		return nil
	}
	assets, err := tx.AssetsAwaitingFreezing(ctx, r.Holder, r.ID)
	if err != nil {
		return err
	}
	for _, a := range assets {
		next, e, _, err := a.Apply(funds.AssetStep{Status: funds.AssetFreezingRequested, Request: r.ID, Note: "freezing request sent to " + r.RequestedState}, sent.Actor, sent.At)
		if err != nil {
			return fmt.Errorf("asset %s of freezing request %s: %w", a.ID, r.ID, err)
		}
		if err := tx.UpdateAsset(ctx, next, e); err != nil {
			return err
		}
		by := casework.Actor{ID: sent.Actor, State: r.Holder}
		if err := audit(ctx, tx, n.home, r.Holder, by, sent.At, "funds.asset.step", "funds-case/"+a.CaseID+"/asset/"+a.ID, e); err != nil {
			return err
		}
	}
	return nil
}

// Figures are the amounts of a set of assets in one currency, in
// millionths of it. Frozen counts what is frozen or went on to be
// confiscated; what was frozen and then released counts in Released
// only, since it is no longer held.
type Figures struct {
	Currency    string `json:"currency"`
	Assets      int    `json:"assets"`
	Traced      int64  `json:"traced"`
	Frozen      int64  `json:"frozen"`
	Released    int64  `json:"released"`
	Confiscated int64  `json:"confiscated"`
	Returned    int64  `json:"returned"`
	Expenses    int64  `json:"expenses"`
	Compensated int64  `json:"compensated"`
}

// CaseRecovery is one case's figures, one line per currency.
type CaseRecovery struct {
	CaseID  string    `json:"case_id"`
	Figures []Figures `json:"figures"`
}

// StateRecovery is the figures of the assets that sit in one State,
// one line per currency; State is empty for the assets whose State is
// not known yet.
type StateRecovery struct {
	State   string    `json:"state"`
	Figures []Figures `json:"figures"`
}

// Dashboard is a State's recovery of the assets its cases found: per
// case, per State where they sit, and in all, each in every currency
// apart (two currencies are never added).
type Dashboard struct {
	State   string          `json:"state"`
	ByCase  []CaseRecovery  `json:"by_case"`
	ByState []StateRecovery `json:"by_state"`
	Total   []Figures       `json:"total"`
}

// RecoveryDashboard adds up the recovery of by's State's assets.
func (n *Node) RecoveryDashboard(ctx context.Context, by casework.Actor) (Dashboard, error) {
	if !by.Role.Can(identity.ReadFunds) {
		return Dashboard{}, forbidden("role", "the %s role may not read fund-tracing cases", by.Role)
	}
	assets, err := n.db.StateAssets(ctx, by.State)
	if err := n.readable(ctx, err); err != nil {
		return Dashboard{}, err
	}
	return dashboard(by.State, assets), nil
}

func dashboard(state string, assets []funds.Asset) Dashboard {
	d := Dashboard{State: state, ByCase: []CaseRecovery{}, ByState: []StateRecovery{}, Total: []Figures{}}
	byCase := map[string]*[]Figures{}
	byState := map[string]*[]Figures{}
	for _, a := range assets {
		if byCase[a.CaseID] == nil {
			byCase[a.CaseID] = &[]Figures{}
		}
		if byState[a.Jurisdiction] == nil {
			byState[a.Jurisdiction] = &[]Figures{}
		}
		for _, fs := range []*[]Figures{byCase[a.CaseID], byState[a.Jurisdiction], &d.Total} {
			count(fs, a)
		}
	}
	for _, id := range slices.Sorted(maps.Keys(byCase)) {
		d.ByCase = append(d.ByCase, CaseRecovery{CaseID: id, Figures: *byCase[id]})
	}
	for _, s := range slices.Sorted(maps.Keys(byState)) {
		d.ByState = append(d.ByState, StateRecovery{State: s, Figures: *byState[s]})
	}
	return d
}

// count adds a to the line of its currency in fs, kept in the order of
// currencies.
func count(fs *[]Figures, a funds.Asset) {
	i, found := slices.BinarySearchFunc(*fs, a.Currency, func(f Figures, c string) int { return strings.Compare(f.Currency, c) })
	if !found {
		*fs = slices.Insert(*fs, i, Figures{Currency: a.Currency})
	}
	f := &(*fs)[i]
	f.Assets++
	f.Traced += a.Traced
	if a.Status == funds.AssetReleased {
		f.Released += a.Frozen
	} else {
		f.Frozen += a.Frozen
	}
	f.Confiscated += a.Confiscated
	f.Returned += a.Returned
	f.Expenses += a.Expenses
	f.Compensated += a.Compensated
}
