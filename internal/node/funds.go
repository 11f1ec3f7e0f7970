package node

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"entraide/internal/casework"
	"entraide/internal/convention"
	"entraide/internal/directory"
	"entraide/internal/evidence"
	"entraide/internal/funds"
	"entraide/internal/funds/records"
	"entraide/internal/identity"
	"entraide/internal/store"
)

// A fund-tracing case is its State's own investigation: every call
// reads and writes the acting official's State's cases only, and
// another State's case is not found, exactly as one that does not
// exist. Its records come from evidence items the State holds, read
// through OpenEvidence so that each import is in the item's custody.

// fundsRef is the provision fund tracing rests on: assistance in
// identifying and tracing proceeds of crime (art. 40(3)), toward their
// freezing and confiscation (arts. 31, 49-52).
var fundsRef = convention.Art(40).Para(3)

// MaxFundsFile bounds the evidence item an import reads: a statement or
// an export larger than this is split by period before import.
const MaxFundsFile = 64 << 20

// MaxFundsPage bounds a page of accounts or transfers.
const MaxFundsPage = 1000

// ErrAlreadyImported is the kind of error of an import of an item the
// case holds already: its transfers would count twice.
var ErrAlreadyImported = fmt.Errorf("%w: the evidence item is imported into the case already", casework.ErrConflict)

// ErrMappingExists is the kind of error of a column mapping saved under
// a name in use.
var ErrMappingExists = fmt.Errorf("%w: a column mapping has this name already", casework.ErrConflict)

func fundsProblem(field, format string, args ...any) convention.Problems {
	return convention.Problems{{Field: field, Ref: fundsRef, Message: fmt.Sprintf(format, args...)}}
}

func (n *Node) fundsCan(by casework.Actor, p identity.Permission, what string) error {
	if by.Role.Can(p) {
		return nil
	}
	return forbidden("role", "the %s role may not %s; the central authority, the 24/7 point of contact and investigators do", by.Role, what)
}

// caseOf returns by's State's case id, or an error matching
// store.ErrNotFound that names the next step.
func (n *Node) caseOf(ctx context.Context, by casework.Actor, id string) (store.FundsCase, error) {
	c, err := n.db.FundsCase(ctx, by.State, id)
	if errors.Is(err, store.ErrNotFound) {
		return c, fmt.Errorf("no fund-tracing case %s in %s's view (entraide funds case list shows them): %w", id, by.State, store.ErrNotFound)
	}
	return c, err
}

// CreateFundsCase opens a fund-tracing case of by's State.
func (n *Node) CreateFundsCase(ctx context.Context, by casework.Actor, title, reference string) (store.FundsCase, error) {
	if err := n.fundsCan(by, identity.TraceFunds, "open fund-tracing cases"); err != nil {
		return store.FundsCase{}, err
	}
	var ps convention.Problems
	if strings.TrimSpace(title) == "" {
		ps = append(ps, fundsProblem("title", "required: what the case is about, as the officials who read it will know it (e.g. \"Romance scam, victims in Lyon\")")...)
	} else if p, bad := convention.CheckText("title", fundsRef, title, 200); bad {
		ps = append(ps, p)
	}
	if p, bad := convention.CheckText("reference", fundsRef, reference, 200); bad {
		ps = append(ps, p)
	}
	if len(ps) > 0 {
		return store.FundsCase{}, ps
	}
	c := store.FundsCase{ID: newID(), State: by.State, Title: strings.TrimSpace(title), Reference: strings.TrimSpace(reference), CreatedBy: by.ID, CreatedAt: n.now()}
	err := n.db.Tx(ctx, func(tx *store.Tx) error {
		if err := tx.InsertFundsCase(ctx, c); err != nil {
			return err
		}
		return audit(ctx, tx, n.home, by.State, by, c.CreatedAt, "funds.case", "funds/"+c.ID, c)
	})
	return c, err
}

// FundsCases lists by's State's fund-tracing cases, newest first.
func (n *Node) FundsCases(ctx context.Context, by casework.Actor) ([]store.FundsCase, error) {
	if err := n.fundsCan(by, identity.ReadFunds, "read fund-tracing cases"); err != nil {
		return nil, err
	}
	return n.db.FundsCases(ctx, by.State)
}

// FundsCaseView is a case with what it holds: its imports (each with
// the item's SHA-256 and the request it came on), how many accounts and
// transfers, and its traces (without their results).
type FundsCaseView struct {
	Case      store.FundsCase     `json:"case"`
	Imports   []store.FundsImport `json:"imports"`
	Accounts  int64               `json:"accounts"`
	Transfers int64               `json:"transfers"`
	Traces    []store.FundsTrace  `json:"traces"`
}

// FundsCase returns by's State's case id with what it holds.
func (n *Node) FundsCase(ctx context.Context, by casework.Actor, id string) (FundsCaseView, error) {
	var v FundsCaseView
	if err := n.fundsCan(by, identity.ReadFunds, "read fund-tracing cases"); err != nil {
		return v, err
	}
	c, err := n.caseOf(ctx, by, id)
	if err != nil {
		return v, err
	}
	v.Case = c
	if v.Imports, err = n.db.FundsImports(ctx, by.State, id); err != nil {
		return v, err
	}
	if v.Accounts, v.Transfers, err = n.db.FundsCounts(ctx, by.State, id); err != nil {
		return v, err
	}
	v.Traces, err = n.db.FundsTraces(ctx, by.State, id)
	return v, err
}

// FundsImport says which evidence item to import into a case, and how to
// read it.
type FundsImport struct {
	// RequestID and ItemID name the evidence item: one the State holds,
	// received from another State or added by its own officials.
	RequestID string         `json:"request_id"`
	ItemID    string         `json:"item_id"`
	Format    records.Format `json:"format"`
	// Mapping names a saved CSV column mapping; only for the csv format.
	Mapping string `json:"mapping,omitempty"`
}

// ImportFundsRecords reads evidence item in.ItemID, recording in its
// custody that by imported it into case caseID, parses it as in.Format
// and stores its transfers and balances in the case whole, accounts
// merged with those the case holds. A file that does not parse is
// refused as convention.Problems naming the line or element; an item
// the case holds already, with an error of kind ErrAlreadyImported.
func (n *Node) ImportFundsRecords(ctx context.Context, by casework.Actor, caseID string, in FundsImport) (store.FundsImport, error) {
	var out store.FundsImport
	if err := n.fundsCan(by, identity.TraceFunds, "import financial records"); err != nil {
		return out, err
	}
	var ps convention.Problems
	if strings.TrimSpace(in.RequestID) == "" {
		ps = append(ps, fundsProblem("request_id", "required: the request the evidence item belongs to")...)
	}
	if strings.TrimSpace(in.ItemID) == "" {
		ps = append(ps, fundsProblem("item_id", "required: the evidence item holding the records (entraide evidence list REQUEST shows them)")...)
	}
	if !slices.Contains(records.Formats(), in.Format) {
		ps = append(ps, fundsProblem("format", "%q is not a format of records: give one of %s", in.Format, formatNames())...)
	}
	var mapping *records.Mapping
	switch {
	case in.Format == records.CSV && in.Mapping == "":
		ps = append(ps, fundsProblem("mapping", "required for csv: the name of a saved column mapping (entraide funds mapping list shows them; entraide funds mapping save NAME FILE.json saves one)")...)
	case in.Format != records.CSV && in.Mapping != "":
		ps = append(ps, fundsProblem("mapping", "only csv statements take a column mapping; leave it out for %s", in.Format)...)
	case in.Mapping != "":
		m, err := n.db.FundsMapping(ctx, by.State, in.Mapping)
		if errors.Is(err, store.ErrNotFound) {
			ps = append(ps, fundsProblem("mapping", "%s has no mapping named %q: save it first (entraide funds mapping save %s FILE.json), or pick one of entraide funds mapping list", by.State, in.Mapping, in.Mapping)...)
			break
		}
		if err != nil {
			return out, err
		}
		mapping = new(records.Mapping)
		if err := json.Unmarshal(m.Mapping, mapping); err != nil {
			return out, fmt.Errorf("stored mapping %q is corrupt: %w", in.Mapping, err)
		}
	}
	if len(ps) > 0 {
		return out, ps
	}
	if _, err := n.caseOf(ctx, by, caseID); err != nil {
		return out, err
	}
	imports, err := n.db.FundsImports(ctx, by.State, caseID)
	if err != nil {
		return out, err
	}
	for _, i := range imports {
		if i.ItemID == in.ItemID {
			return out, alreadyImported(caseID, i)
		}
	}
	it, err := n.evidenceItem(ctx, by, in.RequestID, in.ItemID)
	if err != nil {
		return out, err
	}
	if it.Size > MaxFundsFile {
		return out, fundsProblem("item_id", "item %s is %d bytes, more than the %d an import reads: ask for, or split the file into, statements of shorter periods, each its own item", it.ID, it.Size, MaxFundsFile)
	}
	rd, it, err := n.OpenEvidence(ctx, by, in.RequestID, in.ItemID, evidence.ActionImported, map[string]any{"funds_case": caseID, "format": in.Format})
	if err != nil {
		return out, err
	}
	data, err := io.ReadAll(io.LimitReader(rd, MaxFundsFile+1))
	rd.Close()
	if err != nil {
		if errors.Is(err, evidence.ErrDamaged) {
			n.EvidenceDamaged(ctx, it, err)
		}
		return out, err
	}
	recs, err := records.Parse(in.Format, bytes.NewReader(data), mapping)
	if err != nil {
		var re *records.Error
		if errors.As(err, &re) {
			return out, fundsProblem("file", "item %s does not read as %s: %s", it.ID, in.Format, re.Error())
		}
		return out, fundsProblem("file", "item %s does not read as %s: %v", it.ID, in.Format, err)
	}
	now := n.now()
	out = store.FundsImport{ID: newID(), CaseID: caseID, RequestID: in.RequestID, ItemID: it.ID, SHA256: it.SHA256, Format: string(in.Format), Mapping: in.Mapping,
		Transfers: len(recs.Transfers), ImportedBy: by.ID, ImportedAt: now}
	err = n.db.Tx(ctx, func(tx *store.Tx) error {
		added, matched, err := tx.ImportFunds(ctx, by.State, out, recs, funds.JurisdictionOf)
		if err != nil {
			return err
		}
		out.Matched = matched
		return audit(ctx, tx, n.home, by.State, by, now, "funds.import", "funds/"+caseID, map[string]any{
			"import": out.ID, "request": out.RequestID, "item": out.ItemID, "sha256": out.SHA256, "format": out.Format, "mapping": out.Mapping,
			"transfers": out.Transfers, "matched": out.Matched, "balances": len(recs.Balances), "accounts_added": added})
	})
	if errors.Is(err, store.ErrFundsImported) {
		return out, &casework.Error{Kind: ErrAlreadyImported, Problems: fundsProblem("item_id", "%v: its transfers are in the case already; import another item", err)}
	}
	return out, err
}

func alreadyImported(caseID string, i store.FundsImport) error {
	return &casework.Error{Kind: ErrAlreadyImported, Problems: fundsProblem("item_id",
		"item %s was imported into case %s on %s by %s (import %s): its transfers are in the case already; import another item", i.ItemID, caseID, i.ImportedAt.Format(time.DateOnly), i.ImportedBy, i.ID)}
}

func formatNames() string {
	var names []string
	for _, f := range records.Formats() {
		names = append(names, string(f))
	}
	return strings.Join(names, ", ")
}

func pageLimit(limit int) int {
	if limit <= 0 || limit > MaxFundsPage {
		return MaxFundsPage
	}
	return limit
}

// FundsAccounts returns up to limit of the accounts of by's State's
// case whose id follows after, with their totals in and out per
// currency.
func (n *Node) FundsAccounts(ctx context.Context, by casework.Actor, caseID string, after int64, limit int) ([]store.FundsAccount, error) {
	if err := n.fundsCan(by, identity.ReadFunds, "read fund-tracing cases"); err != nil {
		return nil, err
	}
	if _, err := n.caseOf(ctx, by, caseID); err != nil {
		return nil, err
	}
	accounts, err := n.db.FundsAccounts(ctx, by.State, caseID, after, pageLimit(limit))
	for i := range accounts {
		minimiseAccount(by, &accounts[i].Account)
	}
	return accounts, err
}

// minimiseAccount takes the holder's name out of a, which a record of
// an evidence item gave, for a role that does not see the items' bytes
// (an auditor, casework.SightOf): a name is personal data (art. 36),
// and the case is no way around what the item shows.
func minimiseAccount(by casework.Actor, a *funds.Account) {
	if !casework.SightOf(by.Role).Bytes {
		a.Holder = ""
	}
}

// FundsTransfers returns up to limit of the transfers of by's State's
// case whose id follows after, only those into or out of account if it
// is not 0, each with the item and record it came from.
func (n *Node) FundsTransfers(ctx context.Context, by casework.Actor, caseID string, account funds.AccountID, after int64, limit int) ([]store.FundsTransfer, error) {
	if err := n.fundsCan(by, identity.ReadFunds, "read fund-tracing cases"); err != nil {
		return nil, err
	}
	if _, err := n.caseOf(ctx, by, caseID); err != nil {
		return nil, err
	}
	ts, err := n.db.FundsTransfers(ctx, by.State, caseID, account, after, pageLimit(limit))
	for i := range ts {
		minimiseTransfer(by, &ts[i])
	}
	return ts, err
}

// minimiseTransfer takes the record's own words (a payment's reference,
// which banks fill with names and addresses as often as with invoice
// numbers) out of t for a role that does not see the items' bytes.
func minimiseTransfer(by casework.Actor, t *store.FundsTransfer) {
	if casework.SightOf(by.Role).Bytes {
		return
	}
	t.Reference = ""
	for i := range t.AlsoIn {
		t.AlsoIn[i].Reference = ""
	}
}

// SetFundsAccountJurisdiction records that account of by's State's case
// is in state's jurisdiction, as an official found it: later imports
// keep it. state is a participant's code.
func (n *Node) SetFundsAccountJurisdiction(ctx context.Context, by casework.Actor, caseID string, account funds.AccountID, state string) (store.FundsAccount, error) {
	var a store.FundsAccount
	if err := n.fundsCan(by, identity.TraceFunds, "set an account's jurisdiction"); err != nil {
		return a, err
	}
	p, ok := directory.LookupParticipant(state)
	if !ok {
		return a, convention.Problems{{Field: "state", Ref: fundsRef, Message: casework.UnknownStateMessage(state)}}
	}
	if _, err := n.caseOf(ctx, by, caseID); err != nil {
		return a, err
	}
	err := n.db.Tx(ctx, func(tx *store.Tx) error {
		var err error
		a, err = tx.SetFundsJurisdiction(ctx, by.State, caseID, account, p.Code)
		if errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("case %s has no account %d (entraide funds accounts --case %s lists them): %w", caseID, account, caseID, store.ErrNotFound)
		}
		if err != nil {
			return err
		}
		return audit(ctx, tx, n.home, by.State, by, n.now(), "funds.jurisdiction", "funds/"+caseID, map[string]any{"account": a.ID, "key": a.Key, "jurisdiction": p.Code})
	})
	return a, err
}

// FundsMapping is a CSV column mapping saved by a State's officials.
type FundsMapping struct {
	Name      string          `json:"name"`
	Mapping   records.Mapping `json:"mapping"`
	CreatedBy string          `json:"created_by"`
	CreatedAt time.Time       `json:"created_at"`
}

func fundsMapping(m store.FundsMapping) (FundsMapping, error) {
	out := FundsMapping{Name: m.Name, CreatedBy: m.CreatedBy, CreatedAt: m.CreatedAt}
	if err := json.Unmarshal(m.Mapping, &out.Mapping); err != nil {
		return out, fmt.Errorf("stored mapping %q is corrupt: %w", m.Name, err)
	}
	return out, nil
}

var mappingName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// SaveFundsMapping saves m as by's State's CSV column mapping name, for
// its officials to import statements of the same layout with. A name in
// use is refused: the imports made with it keep meaning what they meant.
func (n *Node) SaveFundsMapping(ctx context.Context, by casework.Actor, name string, m records.Mapping) (FundsMapping, error) {
	var out FundsMapping
	if err := n.fundsCan(by, identity.TraceFunds, "save column mappings"); err != nil {
		return out, err
	}
	m.Name = name
	var ps convention.Problems
	if !mappingName.MatchString(name) {
		ps = append(ps, fundsProblem("name", "%q: give 1 to 64 letters, digits, dots, dashes or underscores, such as zaf-fnb-2026", name)...)
	}
	if err := m.Validate(); err != nil {
		msg := err.Error()
		// The problem is the mapping's already: not "mapping: mapping: ...".
		if re, ok := errors.AsType[*records.Error](err); ok && re.Locator == "mapping" && re.Field == "" {
			msg = re.Reason
		}
		ps = append(ps, fundsProblem("mapping", "%s", msg)...)
	}
	if len(ps) > 0 {
		return out, ps
	}
	body, err := json.Marshal(m)
	if err != nil {
		return out, err
	}
	out = FundsMapping{Name: name, Mapping: m, CreatedBy: by.ID, CreatedAt: n.now()}
	err = n.db.Tx(ctx, func(tx *store.Tx) error {
		if err := tx.PutFundsMapping(ctx, by.State, store.FundsMapping{Name: name, Mapping: body, CreatedBy: by.ID, CreatedAt: out.CreatedAt}); err != nil {
			if errors.Is(err, store.ErrExists) {
				return &casework.Error{Kind: ErrMappingExists, Problems: fundsProblem("name", "%s has a mapping named %q already, which earlier imports used: save this one under another name", by.State, name)}
			}
			return err
		}
		return audit(ctx, tx, n.home, by.State, by, out.CreatedAt, "funds.mapping", "funds-mapping/"+name, out)
	})
	return out, err
}

// FundsMappings lists by's State's saved CSV column mappings.
func (n *Node) FundsMappings(ctx context.Context, by casework.Actor) ([]FundsMapping, error) {
	if err := n.fundsCan(by, identity.ReadFunds, "read column mappings"); err != nil {
		return nil, err
	}
	stored, err := n.db.FundsMappings(ctx, by.State)
	if err != nil {
		return nil, err
	}
	out := make([]FundsMapping, 0, len(stored))
	for _, m := range stored {
		fm, err := fundsMapping(m)
		if err != nil {
			return nil, err
		}
		out = append(out, fm)
	}
	return out, nil
}

// RateTable is the exchange rates into one currency loaded in a case.
type RateTable struct {
	Currency string       `json:"currency"`
	Rates    []funds.Rate `json:"rates"`
}

// LoadFundsRates loads rates into the table of by's State's case for
// currency: the value of one unit of each rate's currency, on its day, in
// currency. A rate for a day and currency the table holds is replaced.
// It returns the table as it now is.
func (n *Node) LoadFundsRates(ctx context.Context, by casework.Actor, caseID, currency string, rates []funds.Rate) (RateTable, error) {
	out := RateTable{Currency: currency}
	if err := n.fundsCan(by, identity.TraceFunds, "load exchange rates"); err != nil {
		return out, err
	}
	if len(rates) == 0 {
		return out, fundsProblem("rates", "no rate: give at least one (day, currency, per_unit)")
	}
	if _, err := funds.NewRateTable(currency, rates); err != nil {
		field := "rates"
		if strings.HasPrefix(err.Error(), "currency ") {
			field = "currency"
		}
		return out, fundsProblem(field, "%v", err)
	}
	if _, err := n.caseOf(ctx, by, caseID); err != nil {
		return out, err
	}
	err := n.db.Tx(ctx, func(tx *store.Tx) error {
		if err := tx.PutFundsRates(ctx, by.State, caseID, currency, rates); err != nil {
			return err
		}
		return audit(ctx, tx, n.home, by.State, by, n.now(), "funds.rates", "funds/"+caseID, map[string]any{"currency": currency, "rates": len(rates)})
	})
	if err != nil {
		return out, err
	}
	tables, err := n.db.FundsRates(ctx, by.State, caseID, currency)
	out.Rates = tables[currency]
	return out, err
}

// FundsRates returns the rate tables of by's State's case, by currency;
// only currency's if it is not empty.
func (n *Node) FundsRates(ctx context.Context, by casework.Actor, caseID, currency string) ([]RateTable, error) {
	if err := n.fundsCan(by, identity.ReadFunds, "read fund-tracing cases"); err != nil {
		return nil, err
	}
	if _, err := n.caseOf(ctx, by, caseID); err != nil {
		return nil, err
	}
	tables, err := n.db.FundsRates(ctx, by.State, caseID, currency)
	if err != nil {
		return nil, err
	}
	out := []RateTable{}
	for c, rs := range tables {
		out = append(out, RateTable{Currency: c, Rates: rs})
	}
	slices.SortFunc(out, func(a, b RateTable) int { return cmp.Compare(a.Currency, b.Currency) })
	return out, nil
}

// TraceInput is what a trace starts from: victim payments, by id or by
// their record's reference, and the options.
type TraceInput struct {
	Sources []funds.TransferID `json:"sources,omitempty"`
	// References name victim payments by the reference their record
	// gives (the end-to-end id, the transaction hash), each matching
	// exactly one transfer of the case.
	References []string      `json:"references,omitempty"`
	Options    funds.Options `json:"options"`
}

// StateTotal is how much of a trace's funds sits in one State's
// jurisdiction; State "" is accounts whose jurisdiction is unknown.
type StateTotal struct {
	State  string `json:"state"`
	Traced int64  `json:"traced"`
}

// TraceView is a trace with what an official needs to read it: every
// account it names, every transfer it followed with the record and the
// evidence item behind it, and its holdings summed per State.
type TraceView struct {
	ID        string                                   `json:"id"`
	CaseID    string                                   `json:"case_id"`
	CreatedBy string                                   `json:"created_by"`
	CreatedAt time.Time                                `json:"created_at"`
	Currency  string                                   `json:"currency"`
	Result    funds.Result                             `json:"result"`
	Accounts  map[funds.AccountID]store.FundsAccount   `json:"accounts"`
	Transfers map[funds.TransferID]store.FundsTransfer `json:"transfers"`
	ByState   []StateTotal                             `json:"by_state"`
}

// TraceFunds traces the funds of the victim payments in.Sources and
// in.References through by's State's case by in.Options, converting at
// each transfer's date with the case's rates into in.Options.Currency,
// and stores the trace, audited. Bad options, an unknown payment or a
// missing rate come back as convention.Problems naming the field and
// what to do.
func (n *Node) TraceFunds(ctx context.Context, by casework.Actor, caseID string, in TraceInput) (TraceView, error) {
	if err := n.fundsCan(by, identity.TraceFunds, "trace funds"); err != nil {
		return TraceView{}, err
	}
	if err := in.Options.Validate(); err != nil {
		return TraceView{}, optionProblem(err)
	}
	if _, err := n.caseOf(ctx, by, caseID); err != nil {
		return TraceView{}, err
	}
	sources := slices.Clone(in.Sources)
	for i, ref := range in.References {
		ts, err := n.db.FundsTransfersByReference(ctx, by.State, caseID, ref)
		if err != nil {
			return TraceView{}, err
		}
		field := fmt.Sprintf("references[%d]", i)
		switch len(ts) {
		case 0:
			return TraceView{}, fundsProblem(field, "no transfer of case %s has the reference %q: check it against entraide funds transfers --case %s, or give the transfer's id", caseID, ref, caseID)
		case 1:
			sources = append(sources, ts[0].ID)
		default:
			ids := make([]string, len(ts))
			for j, t := range ts {
				ids[j] = strconv.FormatInt(int64(t.ID), 10)
			}
			return TraceView{}, fundsProblem(field, "%d transfers of case %s have the reference %q (%s): give the id of the victim payment instead", len(ts), caseID, ref, strings.Join(ids, ", "))
		}
	}
	ledger, err := n.db.FundsLedger(ctx, by.State, caseID)
	if err != nil {
		return TraceView{}, err
	}
	tables, err := n.db.FundsRates(ctx, by.State, caseID, in.Options.Currency)
	if err != nil {
		return TraceView{}, err
	}
	rates, err := funds.NewRateTable(in.Options.Currency, tables[in.Options.Currency])
	if err != nil {
		return TraceView{}, fundsProblem("rates", "the case's rates into %s do not make a table: %v; load them again (entraide funds rates load --case %s --currency %s FILE.csv)", in.Options.Currency, err, caseID, in.Options.Currency)
	}
	res, err := funds.Trace(ctx, ledger, rates, sources, in.Options)
	if err != nil {
		return TraceView{}, traceProblem(err, caseID, in.Options.Currency)
	}
	t := store.FundsTrace{ID: newID(), CaseID: caseID, Options: res.Options, Sources: res.Sources, Result: res, CreatedBy: by.ID, CreatedAt: n.now()}
	err = n.db.Tx(ctx, func(tx *store.Tx) error {
		if err := tx.InsertFundsTrace(ctx, by.State, t); err != nil {
			return err
		}
		return audit(ctx, tx, n.home, by.State, by, t.CreatedAt, "funds.trace", "funds/"+caseID, map[string]any{
			"trace": t.ID, "rule": res.Options.Rule, "currency": res.Options.Currency, "sources": res.Sources, "traced": res.Traced,
			"holdings": len(res.Holdings), "hops": len(res.Hops), "read": res.Read})
	})
	if err != nil {
		return TraceView{}, err
	}
	return n.traceView(ctx, by, t)
}

func optionProblem(err error) error {
	var oe *funds.OptionError
	if errors.As(err, &oe) {
		field := oe.Field
		if !strings.HasPrefix(field, "sources") {
			field = "options." + field
		}
		return fundsProblem(field, "%s", oe.Reason)
	}
	return err
}

func traceProblem(err error, caseID, currency string) error {
	var oe *funds.OptionError
	switch {
	case errors.As(err, &oe):
		return optionProblem(err)
	case errors.Is(err, funds.ErrUnknownTransfer):
		field, _, _ := strings.Cut(err.Error(), ":")
		if !strings.HasPrefix(field, "sources") {
			field = "sources"
		}
		return fundsProblem(field, "%v: list the case's transfers with entraide funds transfers --case %s", err, caseID)
	case errors.Is(err, funds.ErrNoRate):
		return fundsProblem("rates", "%v: load the rates into %s (entraide funds rates load --case %s --currency %s FILE.csv), then trace again", err, currency, caseID, currency)
	}
	return err
}

// FundsTrace returns trace traceID of by's State's case.
func (n *Node) FundsTrace(ctx context.Context, by casework.Actor, caseID, traceID string) (TraceView, error) {
	if err := n.fundsCan(by, identity.ReadFunds, "read fund-tracing cases"); err != nil {
		return TraceView{}, err
	}
	if _, err := n.caseOf(ctx, by, caseID); err != nil {
		return TraceView{}, err
	}
	t, err := n.db.FundsTrace(ctx, by.State, caseID, traceID)
	if errors.Is(err, store.ErrNotFound) {
		return TraceView{}, fmt.Errorf("case %s has no trace %s (entraide funds case show %s lists them): %w", caseID, traceID, caseID, store.ErrNotFound)
	}
	if err != nil {
		return TraceView{}, err
	}
	return n.traceView(ctx, by, t)
}

// FundsTraces lists the traces of by's State's case, without their
// results.
func (n *Node) FundsTraces(ctx context.Context, by casework.Actor, caseID string) ([]store.FundsTrace, error) {
	if err := n.fundsCan(by, identity.ReadFunds, "read fund-tracing cases"); err != nil {
		return nil, err
	}
	if _, err := n.caseOf(ctx, by, caseID); err != nil {
		return nil, err
	}
	return n.db.FundsTraces(ctx, by.State, caseID)
}

// traceView reads the accounts and transfers trace t names.
func (n *Node) traceView(ctx context.Context, by casework.Actor, t store.FundsTrace) (TraceView, error) {
	v := TraceView{ID: t.ID, CaseID: t.CaseID, CreatedBy: t.CreatedBy, CreatedAt: t.CreatedAt, Currency: t.Options.Currency, Result: *t.Result}
	seen := map[funds.AccountID]bool{}
	var accounts []funds.AccountID
	add := func(id funds.AccountID) {
		if !seen[id] {
			seen[id] = true
			accounts = append(accounts, id)
		}
	}
	transfers := make([]funds.TransferID, 0, len(v.Result.Hops))
	for _, h := range v.Result.Hops {
		add(h.From)
		add(h.To)
		transfers = append(transfers, h.Transfer)
	}
	for _, h := range v.Result.Holdings {
		add(h.Account)
	}
	var err error
	if v.Accounts, err = n.db.FundsAccountsByID(ctx, by.State, t.CaseID, accounts); err != nil {
		return v, err
	}
	for id, a := range v.Accounts {
		minimiseAccount(by, &a.Account)
		v.Accounts[id] = a
	}
	if v.Transfers, err = n.db.FundsTransfersByID(ctx, by.State, t.CaseID, transfers); err != nil {
		return v, err
	}
	for id, tr := range v.Transfers {
		minimiseTransfer(by, &tr)
		v.Transfers[id] = tr
	}
	byState := map[string]int64{}
	for _, h := range v.Result.Holdings {
		byState[v.Accounts[h.Account].Account.Jurisdiction] += h.Traced
	}
	for s, traced := range byState {
		v.ByState = append(v.ByState, StateTotal{State: s, Traced: traced})
	}
	slices.SortFunc(v.ByState, func(a, b StateTotal) int {
		if c := cmp.Compare(b.Traced, a.Traced); c != 0 {
			return c
		}
		return cmp.Compare(a.State, b.State)
	})
	if v.ByState == nil {
		v.ByState = []StateTotal{}
	}
	return v, nil
}
