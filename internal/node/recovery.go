package node

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math"
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
		if !casework.SightOf(by.Role).Fields {
			// A description names the property and its holder, a note
			// why a measure was lifted: words about persons (art. 36).
			a.Description = ""
			for i := range events {
				events[i].Note = ""
			}
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
	// Overflow says a figure of the line adds up to more than the node
	// counts (math.MaxInt64 millionths, some 9.2 million million units):
	// it is shown at that largest, never wrapped round to a negative one.
	Overflow bool `json:"overflow,omitempty"`
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
	plus := func(sum *int64, v int64) {
		if v > 0 && *sum > math.MaxInt64-v {
			*sum, f.Overflow = math.MaxInt64, true
			return
		}
		*sum += v
	}
	plus(&f.Traced, a.Traced)
	if a.Status == funds.AssetReleased {
		plus(&f.Released, a.Frozen)
	} else {
		plus(&f.Frozen, a.Frozen)
	}
	plus(&f.Confiscated, a.Confiscated)
	plus(&f.Returned, a.Returned)
	plus(&f.Expenses, a.Expenses)
	plus(&f.Compensated, a.Compensated)
}

// FreezeInput is what an official adds to a trace to draft its freezing
// requests: what the trace does not say.
type FreezeInput struct {
	// Facts is the statement of the facts relied upon (art. 50(3)(c)).
	Facts string `json:"facts"`
	// RequestingAuthority is the authority making the requests (art.
	// 40(15)(a)).
	RequestingAuthority string `json:"requesting_authority"`
	// Offences are the offences of the Convention whose proceeds the
	// funds are (art. 35(1)(a)).
	Offences []convention.Charge `json:"offences"`
	// LegalBasis is what the requests rest on; the Convention when
	// empty, which must be in force for both States on the day each is
	// sent.
	LegalBasis *casework.LegalBasis `json:"legal_basis,omitempty"`
	// Order describes the order the requests rest on, where there is one
	// (a legally admissible copy goes as an attachment).
	Order   string           `json:"order,omitempty"`
	Urgency casework.Urgency `json:"urgency,omitempty"`
}

// The measures FreezingRequestsFromTrace names for the States where
// traced funds sit.
const (
	// MeasureRequest: a draft freezing request to the State.
	MeasureRequest = "request"
	// MeasureDomestic: the funds sit in the official's own State, which
	// freezes them under its own law without a request (art. 31).
	MeasureDomestic = "domestic"
	// MeasureUnknown: the records do not say where the accounts are.
	MeasureUnknown = "unknown_jurisdiction"
	// MeasureNone: the funds left the accounts as cash, or as the
	// bank's own charges: no account holds them to freeze.
	MeasureNone = "not_freezable"
)

// sink reports whether a is where a statement puts the cash withdrawn
// from an account or the bank's charges on it (package records names
// them so: an account at "cash" or "bank charges", held by the same):
// funds no account holds any more.
func sink(a funds.Account) bool {
	return a.Kind == funds.BankAccount && a.Holder == a.Bank && (a.Bank == "cash" || a.Bank == "bank charges")
}

// FrozenAccount is one account a freezing request names, with the
// traced funds it holds and the asset that follows their recovery.
type FrozenAccount struct {
	Account funds.AccountID `json:"account"`
	Kind    string          `json:"kind"`
	Ident   string          `json:"ident"`
	Bank    string          `json:"bank,omitempty"`
	Holder  string          `json:"holder,omitempty"`
	Traced  int64           `json:"traced"`
	AssetID string          `json:"asset_id,omitempty"`
}

// FreezingDraft is what a trace gives one State where its funds sit: a
// draft request to freeze them (Measure request, with Request its id),
// the domestic measure of the official's own State, or, for accounts
// whose State is not known, the step to take first. Existing is set for
// a draft made by an earlier call, returned again rather than made
// twice.
type FreezingDraft struct {
	Measure  string          `json:"measure"`
	State    string          `json:"state,omitempty"`
	Request  string          `json:"request,omitempty"`
	Existing bool            `json:"existing,omitempty"`
	Currency string          `json:"currency"`
	Traced   int64           `json:"traced"`
	Accounts []FrozenAccount `json:"accounts"`
	Next     string          `json:"next"`
}

// FreezingRequestsFromTrace drafts, from trace traceID of by's State's
// case caseID, one freezing request (arts. 31, 49, 50(3)(c)) to each
// State where traced funds sit, by the jurisdiction of the accounts that
// hold them: the facts, the actions requested (freeze these accounts, up
// to these amounts, found by this trace under this rule) and the
// property, for an official to check and send; nothing is sent. Each
// account gets an asset in status traced with its draft's id, which
// sending the draft moves to freezing_requested. Funds in by's own State
// are listed as a domestic measure, with their assets; accounts whose
// State is unknown are listed with the step to set it, without an asset,
// so that a later call drafts their request. A second call for the same
// trace drafts nothing new for the accounts it already covered: it
// returns the drafts made before.
func (n *Node) FreezingRequestsFromTrace(ctx context.Context, by casework.Actor, caseID, traceID string, in FreezeInput) ([]FreezingDraft, error) {
	// Drafting the requests records the assets they ask to freeze: the
	// central authority's, who sends them.
	if err := n.fundsCase(ctx, by, identity.RecordRecovery, caseID); err != nil {
		return nil, err
	}
	if err := casework.CanDraft(convention.Freezing, by); err != nil {
		return nil, err
	}
	trace, err := n.db.FundsTrace(ctx, by.State, caseID, traceID)
	if err != nil {
		return nil, err
	}
	var ps convention.Problems
	if strings.TrimSpace(in.Facts) == "" {
		ps = append(ps, convention.Problem{Field: "facts", Ref: funds.RefFreezingRequest, Message: "required: the statement of the facts relied upon, which each request carries"})
	}
	if strings.TrimSpace(in.RequestingAuthority) == "" {
		ps = append(ps, convention.Problem{Field: "requesting_authority", Ref: convention.Art(40).Para(15).Sub("a"), Message: "required: the authority making the requests"})
	}
	if len(ps) > 0 {
		return nil, ps
	}
	res := trace.Result
	ids := make([]funds.AccountID, 0, len(res.Holdings))
	for _, h := range res.Holdings {
		ids = append(ids, h.Account)
	}
	accounts, err := n.db.FundsAccountsByID(ctx, by.State, caseID, ids)
	if err != nil {
		return nil, err
	}
	var before []funds.Asset
	err = n.db.Tx(ctx, func(tx *store.Tx) (err error) {
		before, err = tx.AssetsOfTrace(ctx, by.State, caseID, traceID)
		return err
	})
	if err != nil {
		return nil, err
	}
	covered := map[funds.AccountID]funds.Asset{}
	for _, a := range before {
		covered[a.Account] = a
	}
	// An account an earlier trace of the case drafted a request for is
	// answered with that draft: a second trace, by another rule or with
	// more records, would otherwise ask the State twice to freeze the
	// same account, and the dashboard would count its funds twice. An
	// asset whose measures were lifted or refused may be asked again.
	all, err := n.db.Assets(ctx, by.State, caseID)
	if err != nil {
		return nil, err
	}
	for _, a := range all {
		if _, ok := covered[a.Account]; ok || a.Account == 0 || a.Status == funds.AssetReleased || a.Status == funds.AssetRefused {
			continue
		}
		covered[a.Account] = a
	}
	currency := res.Options.Currency
	// States in order of the funds they hold, as the holdings are.
	var order []string
	groups := map[string][]FrozenAccount{}
	for _, h := range res.Holdings {
		acc, ok := accounts[h.Account]
		if !ok || h.Traced <= 0 {
			continue
		}
		a := acc.Account
		fa := FrozenAccount{Account: h.Account, Kind: string(a.Kind), Ident: a.ID, Bank: a.Bank, Holder: a.Holder, Traced: h.Traced}
		state := a.Jurisdiction
		if sink(a) {
			state = sinkGroup
		}
		if _, ok := groups[state]; !ok {
			order = append(order, state)
		}
		groups[state] = append(groups[state], fa)
	}
	// A State's draft carries what the records of each item behind its
	// accounts gave: checked for every State before anything is drafted.
	for _, state := range order {
		if state == sinkGroup || state == "" || state == by.State {
			continue
		}
		var fresh []funds.AccountID
		for _, a := range groups[state] {
			if _, ok := covered[a.Account]; !ok {
				fresh = append(fresh, a.Account)
			}
		}
		if err := n.checkTraceUse(ctx, by, caseID, res, fresh, state, "freezing request"); err != nil {
			return nil, err
		}
	}
	var out []FreezingDraft
	for _, state := range order {
		accs := groups[state]
		switch state {
		case sinkGroup:
			d := FreezingDraft{Measure: MeasureNone, Currency: currency, Accounts: accs,
				Next: "cash withdrawn and the bank's charges are held by no account to freeze: follow the cash by other means (law-enforcement cooperation, art. 47), or confiscate its value from the persons who took it (art. 31)"}
			for _, a := range accs {
				d.Traced += a.Traced
			}
			out = append(out, d)
			continue
		case "":
			d := FreezingDraft{Measure: MeasureUnknown, Currency: currency, Accounts: accs,
				Next: fmt.Sprintf("set the State of each account (entraide funds account jurisdiction --case %s ACCOUNT STATE), then run this again: it drafts their requests and keeps those made", caseID)}
			for _, a := range accs {
				d.Traced += a.Traced
			}
			out = append(out, d)
			continue
		case by.State:
			d, err := n.domesticAssets(ctx, by, caseID, trace, accs, covered)
			if err != nil {
				return nil, err
			}
			out = append(out, d)
			continue
		}
		// The accounts drafted before, by request, and those to draft.
		var fresh []FrozenAccount
		existing := map[string][]FrozenAccount{}
		var requests []string
		// A draft names the State it was drafted to, which an official
		// may have corrected on the account since.
		drafted := map[string]string{}
		for _, a := range accs {
			if asset, ok := covered[a.Account]; ok {
				a.AssetID = asset.ID
				if _, seen := existing[asset.FreezingRequest]; !seen {
					requests = append(requests, asset.FreezingRequest)
					drafted[asset.FreezingRequest] = asset.Jurisdiction
				}
				existing[asset.FreezingRequest] = append(existing[asset.FreezingRequest], a)
				continue
			}
			fresh = append(fresh, a)
		}
		for _, id := range requests {
			d := FreezingDraft{Measure: MeasureRequest, State: drafted[id], Request: id, Existing: true, Currency: currency, Accounts: existing[id], Next: nextForRequest(id)}
			if id == "" {
				// Recorded as the official's own State's before an
				// official set the account's State.
				d.Measure, d.Next = MeasureDomestic, fmt.Sprintf("the assets were recorded as in %s, with no request: record their steps with entraide funds asset record --case %s", d.State, caseID)
			}
			for _, a := range d.Accounts {
				d.Traced += a.Traced
			}
			out = append(out, d)
		}
		if len(fresh) == 0 {
			continue
		}
		d, err := n.draftFreezing(ctx, by, caseID, trace, state, fresh, in)
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	if out == nil {
		out = []FreezingDraft{}
	}
	return out, nil
}

func nextForRequest(id string) string {
	return fmt.Sprintf("check the draft (entraide request show %s), complete it if need be, and send it (entraide request transition %s --action send)", id, id)
}

// sinkGroup groups the sinks apart from every State's code.
const sinkGroup = "-"

// accountWords names an account as a bank reads it.
func accountWords(a FrozenAccount) string {
	var b strings.Builder
	switch funds.AccountKind(a.Kind) {
	case funds.IBAN:
		fmt.Fprintf(&b, "IBAN %s", a.Ident)
		if a.Bank != "" {
			fmt.Fprintf(&b, " (BIC %s)", a.Bank)
		}
	case funds.Wallet:
		fmt.Fprintf(&b, "wallet %s on %s", a.Ident, a.Bank)
	default:
		fmt.Fprintf(&b, "account %s at %s", a.Ident, a.Bank)
	}
	if a.Holder != "" {
		fmt.Fprintf(&b, ", held by %s", a.Holder)
	}
	return b.String()
}

// draftFreezing drafts the freezing request to state for accs, and
// their assets, in one transaction: a draft without its assets would be
// drafted again by the next call.
func (n *Node) draftFreezing(ctx context.Context, by casework.Actor, caseID string, trace store.FundsTrace, state string, accs []FrozenAccount, in FreezeInput) (FreezingDraft, error) {
	currency := trace.Options.Currency
	d := FreezingDraft{Measure: MeasureRequest, State: state, Currency: currency, Accounts: accs}
	var list strings.Builder
	for i, a := range accs {
		d.Traced += a.Traced
		fmt.Fprintf(&list, "%d. %s: %s %s traced\n", i+1, accountWords(a), funds.FormatMicros(a.Traced), currency)
	}
	rule := trace.Options.Rule
	actions := fmt.Sprintf("Freeze or seize, under art. 50 of the Convention and your law, the funds held in the following %d account(s), up to the amounts traced to the proceeds of the offences (%s %s in all, or their equivalent in the account's currency):\n%s"+
		"The amounts come from trace %s of case %s, which followed the victims' payments through the records of the States concerned by the rule %q; the trace, with every transfer and the record it rests on, can be provided. Please tell us of the measures taken and the amounts frozen in each account.",
		len(accs), funds.FormatMicros(d.Traced), currency, list.String(), trace.ID, caseID, rule)
	property := fmt.Sprintf("Funds in %d account(s) in %s:\n%s", len(accs), state, list.String())
	basis := in.LegalBasis
	if basis == nil || basis.Type == "" {
		basis = &casework.LegalBasis{Type: casework.BasisConvention}
	}
	fields := map[string]string{
		"requesting_authority": in.RequestingAuthority,
		"facts_summary":        in.Facts,
		"actions_requested":    actions,
		"property":             property,
	}
	if strings.TrimSpace(in.Order) != "" {
		fields["order"] = in.Order
	}
	r, rows, err := n.draftRows(by, casework.Contents{Kind: convention.Freezing, RequestedState: state, Urgency: in.Urgency, Fields: fields, Offences: in.Offences, LegalBasis: basis})
	if err != nil {
		return d, err
	}
	d.Request, d.Next = r.ID, nextForRequest(r.ID)
	now := r.CreatedAt
	err = n.db.Tx(ctx, func(tx *store.Tx) error {
		if err := tx.CreateRequest(ctx, rows); err != nil {
			return err
		}
		for i, a := range accs {
			asset := funds.Asset{ID: newID(), CaseID: caseID, State: by.State, Jurisdiction: state, Account: a.Account, Description: accountWords(a),
				Currency: currency, Traced: a.Traced, Status: funds.AssetTraced, FreezingRequest: r.ID, TraceID: trace.ID, CreatedAt: now, UpdatedAt: now}
			e := funds.AssetEvent{AssetID: asset.ID, Status: funds.AssetTraced, Amount: a.Traced, Request: r.ID, Note: "found by trace " + trace.ID + "; freezing request drafted", By: by.ID, At: now}
			if err := tx.InsertAsset(ctx, asset, e); err != nil {
				return err
			}
			if err := audit(ctx, tx, n.home, by.State, by, now, "funds.asset.add", "funds-case/"+caseID+"/asset/"+asset.ID, asset); err != nil {
				return err
			}
			d.Accounts[i].AssetID = asset.ID
		}
		return nil
	})
	if errors.Is(err, store.ErrExists) {
		// Another call drafted them meanwhile: answer with its drafts.
		return d, fmt.Errorf("the freezing requests of trace %s are being drafted by another call: run it again to read them: %w", trace.ID, casework.ErrConflict)
	}
	return d, err
}

// domesticAssets records the assets of the trace that sit in by's own
// State, which needs no request to freeze them (art. 31).
func (n *Node) domesticAssets(ctx context.Context, by casework.Actor, caseID string, trace store.FundsTrace, accs []FrozenAccount, covered map[funds.AccountID]funds.Asset) (FreezingDraft, error) {
	d := FreezingDraft{Measure: MeasureDomestic, State: by.State, Currency: trace.Options.Currency, Accounts: accs,
		Next: fmt.Sprintf("freeze them under your own law, which needs no request (%s), and record it: entraide funds asset record --case %s ASSET frozen --amount AMOUNT", funds.RefFreezing.Cite(), caseID)}
	now := n.now()
	err := n.db.Tx(ctx, func(tx *store.Tx) error {
		for i, a := range accs {
			d.Traced += a.Traced
			if asset, ok := covered[a.Account]; ok {
				d.Accounts[i].AssetID, d.Existing = asset.ID, true
				continue
			}
			asset := funds.Asset{ID: newID(), CaseID: caseID, State: by.State, Jurisdiction: by.State, Account: a.Account, Description: accountWords(a),
				Currency: d.Currency, Traced: a.Traced, Status: funds.AssetTraced, TraceID: trace.ID, CreatedAt: now, UpdatedAt: now}
			e := funds.AssetEvent{AssetID: asset.ID, Status: funds.AssetTraced, Amount: a.Traced, Note: "found by trace " + trace.ID + " in " + by.State, By: by.ID, At: now}
			if err := tx.InsertAsset(ctx, asset, e); err != nil {
				return err
			}
			if err := audit(ctx, tx, n.home, by.State, by, now, "funds.asset.add", "funds-case/"+caseID+"/asset/"+asset.ID, asset); err != nil {
				return err
			}
			d.Accounts[i].AssetID = asset.ID
		}
		return nil
	})
	if errors.Is(err, store.ErrExists) {
		return d, fmt.Errorf("the assets of trace %s are being recorded by another call: run it again to read them: %w", trace.ID, casework.ErrConflict)
	}
	return d, err
}
