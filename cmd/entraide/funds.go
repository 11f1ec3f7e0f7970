package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"entraide/internal/funds"
	"entraide/internal/funds/records"
	"entraide/internal/node"
	"entraide/internal/store"
)

// The fund-tracing commands call the node's API, as the official's own
// token allows: a case is the official's State's, and another State's
// is not found.

func fundsCommands() map[string]command {
	return map[string]command{
		"funds case create":          {"open a fund-tracing case of your State, to load the financial records other States returned and trace stolen funds (arts. 31, 40(3); API client)", cmdFundsCaseCreate},
		"funds case list":            {"list your State's fund-tracing cases (API client)", cmdFundsCaseList},
		"funds case show":            {"show a fund-tracing case: its imports with their evidence items and hashes, its accounts and transfers counted, its traces (API client)", cmdFundsCaseShow},
		"funds import":               {"import the financial records of an evidence item, or of a file first added as evidence, into a fund-tracing case, whole or not at all (API client)", cmdFundsImport},
		"funds mapping save":         {"save a CSV column mapping under a name, for your State's officials to import every statement of that layout with (API client)", cmdFundsMappingSave},
		"funds mapping list":         {"list your State's saved CSV column mappings (API client)", cmdFundsMappingList},
		"funds rates load":           {"load exchange rates from a CSV file (day,currency,per_unit) into a case, for traces in one currency (API client)", cmdFundsRatesLoad},
		"funds accounts":             {"list a fund-tracing case's accounts, merged across the States' records, with jurisdiction and totals (API client)", cmdFundsAccounts},
		"funds transfers":            {"list a fund-tracing case's transfers, each with the evidence item and record it came from (API client)", cmdFundsTransfers},
		"funds account jurisdiction": {"set the State an account of a case is in, as you found it; no later import changes it (API client)", cmdFundsAccountJurisdiction},
		"funds trace":                {"trace the funds of victim payments forward through a case by FIFO, pro rata or lowest intermediate balance, and show where they are now (API client)", cmdFundsTrace},
		"funds trace show":           {"show a trace again: holdings per account and per State, every hop with its record, shortfalls (API client)", cmdFundsTraceShow},
	}
}

// listFlag collects a flag given several times, or comma-separated.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }

func (l *listFlag) Set(s string) error {
	for v := range strings.SplitSeq(s, ",") {
		if v = strings.TrimSpace(v); v != "" {
			*l = append(*l, v)
		}
	}
	return nil
}

func caseFlag(fs *flag.FlagSet) *string {
	return fs.String("case", "", "the fund-tracing case's id (entraide funds case list shows them)")
}

func needCase(name, id string) error {
	if id == "" {
		return fmt.Errorf("%s: give --case ID (entraide funds case list shows your State's cases; entraide funds case create opens one)", name)
	}
	return nil
}

// fundsNext is withNext for the fund-tracing commands: input the node
// refused (422), a conflict (409) or what it did not find (404) gets the
// next step too.
func fundsNext(name string, err error, next string) error {
	if ae, ok := errors.AsType[*apiError](err); ok && (ae.Status == http.StatusUnprocessableEntity || ae.Status == http.StatusConflict) {
		return fmt.Errorf("%s: %w\nnext: %s", name, err, next)
	}
	return withNext(name, err, next)
}

// accountName names an account by its IBAN, number or address; the cash
// or the bank's charges of a statement's account by what they are and
// that account's number, not by their key.
func accountName(a funds.Account) string {
	if kind, of, ok := a.Sink(); ok {
		return kind + " of " + of
	}
	return a.ID
}

func casePath(id string) string { return "/api/v1/funds/cases/" + url.PathEscape(id) }

// money prints millionths of a unit with two decimals at least and as
// many more as are not zero: 1234.5 as 1,234.50, and 0.000001 as is.
func money(micros int64) string {
	sign := ""
	if micros < 0 {
		sign, micros = "-", -micros
	}
	units, frac := micros/1_000_000, fmt.Sprintf("%06d", micros%1_000_000)
	frac = strings.TrimRight(frac, "0")
	for len(frac) < 2 {
		frac += "0"
	}
	s := strconv.FormatInt(units, 10)
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	return sign + b.String() + "." + frac
}

func cmdFundsCaseCreate(ctx context.Context, e env, args []string) error {
	fs := newFlags(e, "funds case create", "--title TEXT [--reference TEXT] [flags]")
	addClientFlags(fs, e)
	title := fs.String("title", "", "what the case is about, e.g. \"Romance scam, victims in Lyon\"")
	reference := fs.String("reference", "", "your own file number for the case, e.g. the prosecutor's")
	asJSON := fs.Bool("json", false, "print the case as JSON")
	if help, err := parse(e, fs, args); help || err != nil {
		return err
	}
	c, err := clientFor(fs)
	if err != nil {
		return err
	}
	var out store.FundsCase
	if err := c.do(ctx, "POST", "/api/v1/funds/cases", map[string]string{"title": *title, "reference": *reference}, &out); err != nil {
		return fundsNext("funds case create", err, "give --title (and --reference, your file number)")
	}
	if *asJSON {
		return writeJSON(e.stdout, out)
	}
	fmt.Fprintf(e.stdout, "Opened case %s: %s\n", out.ID, out.Title)
	fmt.Fprintf(e.stdout, "next: entraide funds import --case %s --request REQUEST --item ITEM --format camt.053 (an item your State holds), or --file PATH to add a file as evidence first\n", out.ID)
	return nil
}

func cmdFundsCaseList(ctx context.Context, e env, args []string) error {
	fs := newFlags(e, "funds case list", "[flags]")
	addClientFlags(fs, e)
	asJSON := fs.Bool("json", false, "print the cases as JSON")
	if help, err := parse(e, fs, args); help || err != nil {
		return err
	}
	c, err := clientFor(fs)
	if err != nil {
		return err
	}
	var out []store.FundsCase
	if err := c.do(ctx, "GET", "/api/v1/funds/cases", nil, &out); err != nil {
		return fmt.Errorf("funds case list: %w", err)
	}
	if *asJSON {
		return writeJSON(e.stdout, out)
	}
	if len(out) == 0 {
		fmt.Fprintln(e.stdout, "No fund-tracing case yet: entraide funds case create --title TEXT opens one.")
		return nil
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tOPENED\tBY\tREFERENCE\tTITLE")
	for _, fc := range out {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", fc.ID, fc.CreatedAt.Format(time.DateOnly), fc.CreatedBy, or(fc.Reference, "-"), fc.Title)
	}
	return tw.Flush()
}

func cmdFundsCaseShow(ctx context.Context, e env, args []string) error {
	fs := newFlags(e, "funds case show", "ID [flags]")
	addClientFlags(fs, e)
	asJSON := fs.Bool("json", false, "print the case as JSON")
	if help, err := parse(e, fs, args); help || err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return errors.New("funds case show: name one case id (entraide funds case list shows them)")
	}
	c, err := clientFor(fs)
	if err != nil {
		return err
	}
	var v node.FundsCaseView
	if err := c.do(ctx, "GET", casePath(fs.Arg(0)), nil, &v); err != nil {
		return fundsNext("funds case show", err, "entraide funds case list shows your State's cases")
	}
	if *asJSON {
		return writeJSON(e.stdout, v)
	}
	w := e.stdout
	fmt.Fprintf(w, "Case %s: %s\n", v.Case.ID, v.Case.Title)
	if v.Case.Reference != "" {
		fmt.Fprintf(w, "Reference: %s\n", v.Case.Reference)
	}
	fmt.Fprintf(w, "Opened %s by %s; %s, %s.\n", v.Case.CreatedAt.Format("2006-01-02 15:04 UTC"), v.Case.CreatedBy, plural(int(v.Accounts), "account", "accounts"), plural(int(v.Transfers), "transfer", "transfers"))
	fmt.Fprintf(w, "\nImports (%d):\n", len(v.Imports))
	for _, i := range v.Imports {
		mapping := ""
		if i.Mapping != "" {
			mapping = ", mapping " + i.Mapping
		}
		fmt.Fprintf(w, "  %s  %s%s: %s from item %s of request %s (SHA-256 %s), by %s\n", i.ImportedAt.Format(time.DateOnly), i.Format, mapping,
			plural(i.Transfers, "transfer", "transfers"), i.ItemID, i.RequestID, i.SHA256, i.ImportedBy)
	}
	fmt.Fprintf(w, "\nTraces (%d):\n", len(v.Traces))
	for _, t := range v.Traces {
		fmt.Fprintf(w, "  %s  %s, %s in %s, from %s, by %s\n", t.ID, t.CreatedAt.Format("2006-01-02 15:04"), t.Options.Rule.Title(), t.Options.Currency,
			plural(len(t.Sources), "victim payment", "victim payments"), t.CreatedBy)
	}
	switch {
	case len(v.Imports) == 0:
		fmt.Fprintf(w, "\nnext: entraide funds import --case %s --request REQUEST --item ITEM --format FORMAT\n", v.Case.ID)
	case len(v.Traces) == 0:
		fmt.Fprintf(w, "\nnext: entraide funds trace --case %s --from REFERENCE --rule fifo --currency EUR\n", v.Case.ID)
	default:
		fmt.Fprintf(w, "\nnext: entraide funds trace show --case %s %s\n", v.Case.ID, v.Traces[len(v.Traces)-1].ID)
	}
	return nil
}

const fundsImportHelp = `(--item ITEM | --file PATH) --format FORMAT [--mapping NAME]

Reads the financial records of one evidence item of request REQUEST into
the case, whole or not at all: a file that does not read is refused with
the line or element at fault, and nothing of it is kept. The read is
recorded in the item's custody. With --file, the file is first added as
evidence to REQUEST (hashed, encrypted and custody-logged like any item),
then imported.

Accounts are merged across imports: the same IBAN, account number at the
same bank, or wallet address on the same chain, in the records of two
States, is one account of the case. Its jurisdiction comes from the IBAN's
country, else the BIC's, unless an official set it.

Formats: camt.053 (bank statements), pain.001 and pacs.008 (payment
messages), csv (a bank's export, read with a mapping saved by entraide
funds mapping save), chain-csv and chain-json (blockchain transfers:
chain, tx hash, from, to, amount, asset, time).`

func cmdFundsImport(ctx context.Context, e env, args []string) error {
	fs := newFlags(e, "funds import", "--case ID --request REQUEST "+fundsImportHelp)
	addClientFlags(fs, e)
	caseID := caseFlag(fs)
	request := fs.String("request", "", "the request the evidence item belongs to, or the file is added to")
	item := fs.String("item", "", "the evidence item holding the records (entraide evidence list REQUEST shows them)")
	file := fs.String("file", "", "a file to add as evidence to --request first, then import")
	format := fs.String("format", "", "the records' format: "+fundsFormats())
	mapping := fs.String("mapping", "", "for csv: the name of a saved column mapping (entraide funds mapping list)")
	if help, err := parse(e, fs, args); help || err != nil {
		return err
	}
	if err := needCase("funds import", *caseID); err != nil {
		return err
	}
	switch {
	case *request == "":
		return errors.New("funds import: give --request REQUEST, the request the evidence came on (entraide request list shows them)")
	case (*item == "") == (*file == ""):
		return errors.New("funds import: give either --item ITEM (an item your State holds: entraide evidence list REQUEST) or --file PATH (added as evidence first)")
	}
	c, err := clientFor(fs)
	if err != nil {
		return err
	}
	itemID := *item
	if *file != "" {
		meta := []string{"filename", filepath.Base(*file)}
		if mt := mime.TypeByExtension(filepath.Ext(*file)); mt != "" {
			meta = append(meta, "filetype", mt)
		}
		it, err := uploadFile(ctx, e, c, *request, *file, meta)
		if err != nil {
			return fundsNext("funds import "+*file, err, "check --request: the file is added as evidence to it first (entraide request list)")
		}
		fmt.Fprintf(e.stdout, "Added %s as item %s of request %s: %d bytes, SHA-256 %s\n", *file, it.ID, *request, it.Size, it.SHA256)
		itemID = it.ID
	}
	in := node.FundsImport{RequestID: *request, ItemID: itemID, Format: records.Format(*format), Mapping: *mapping}
	var out store.FundsImport
	if err := c.do(ctx, "POST", casePath(*caseID)+"/imports", in, &out); err != nil {
		next := "check --format (" + fundsFormats() + "); for csv, --mapping names a saved mapping (entraide funds mapping list)"
		if *file != "" {
			next += "; the file is item " + itemID + " now: run again with --item " + itemID + " rather than --file"
		}
		return fundsNext("funds import", err, next)
	}
	fmt.Fprintf(e.stdout, "Imported %s from item %s (%s) into case %s: import %s.\n", plural(out.Transfers, "transfer", "transfers"), out.ItemID, out.Format, out.CaseID, out.ID)
	if out.Matched > 0 {
		fmt.Fprintf(e.stdout, "%s of them the case held already, from another State's record of the same payment: each is kept as a further record of it, not counted twice.\n", plural(out.Matched, "transfer", "transfers"))
	}
	fmt.Fprintf(e.stdout, "next: entraide funds accounts --case %s, or entraide funds trace --case %s --from REFERENCE --rule fifo --currency EUR\n", out.CaseID, out.CaseID)
	return nil
}

func fundsFormats() string {
	var names []string
	for _, f := range records.Formats() {
		names = append(names, string(f))
	}
	return strings.Join(names, ", ")
}

func cmdFundsMappingSave(ctx context.Context, e env, args []string) error {
	fs := newFlags(e, "funds mapping save", `NAME FILE.json [flags]

FILE.json names the columns of a bank's CSV export: {"has_header": true,
"date": "Booking date", "date_layout": "02.01.2006", "amount": "Amount"
(or "debit" and "credit"), "decimal_separator": ",", "currency": "Currency"
(or "fixed_currency": "EUR"), "counterparty_account": "IBAN",
"counterparty_name": ..., "counterparty_bank": ..., "reference": ...,
"account_id": the statement's own account, "account_bank", "account_holder"}.
A name in use is refused, so that the imports made with it keep their
meaning: save a changed layout under a new name.`)
	addClientFlags(fs, e)
	if help, err := parse(e, fs, args); help || err != nil {
		return err
	}
	if fs.NArg() != 2 {
		return errors.New("funds mapping save: give a NAME and the FILE.json of the mapping, e.g. entraide funds mapping save zaf-fnb fnb.json")
	}
	b, err := os.ReadFile(fs.Arg(1))
	if err != nil {
		return fmt.Errorf("funds mapping save: %w", err)
	}
	var m records.Mapping
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return fmt.Errorf("funds mapping save: %s is not a mapping: %v (entraide funds mapping save --help shows its fields)", fs.Arg(1), err)
	}
	c, err := clientFor(fs)
	if err != nil {
		return err
	}
	var out node.FundsMapping
	if err := c.do(ctx, "POST", "/api/v1/funds/mappings", map[string]any{"name": fs.Arg(0), "mapping": m}, &out); err != nil {
		next := "correct the field named in " + fs.Arg(1) + " (entraide funds mapping save --help shows them)"
		if ae, ok := errors.AsType[*apiError](err); ok && ae.Status == http.StatusConflict {
			next = "save it under another NAME, such as " + fs.Arg(0) + "-2 (entraide funds mapping list shows the names in use)"
		}
		return fundsNext("funds mapping save", err, next)
	}
	fmt.Fprintf(e.stdout, "Saved mapping %s.\nnext: entraide funds import --case ID --request REQUEST --item ITEM --format csv --mapping %s\n", out.Name, out.Name)
	return nil
}

func cmdFundsMappingList(ctx context.Context, e env, args []string) error {
	fs := newFlags(e, "funds mapping list", "[flags]")
	addClientFlags(fs, e)
	asJSON := fs.Bool("json", false, "print the mappings as JSON, each as funds mapping save reads it")
	if help, err := parse(e, fs, args); help || err != nil {
		return err
	}
	c, err := clientFor(fs)
	if err != nil {
		return err
	}
	var out []node.FundsMapping
	if err := c.do(ctx, "GET", "/api/v1/funds/mappings", nil, &out); err != nil {
		return fmt.Errorf("funds mapping list: %w", err)
	}
	if *asJSON {
		return writeJSON(e.stdout, out)
	}
	if len(out) == 0 {
		fmt.Fprintln(e.stdout, "No mapping saved: entraide funds mapping save NAME FILE.json saves one.")
		return nil
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tSAVED\tBY\tACCOUNT\tDATE COLUMN")
	for _, m := range out {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", m.Name, m.CreatedAt.Format(time.DateOnly), m.CreatedBy, or(m.Mapping.AccountID, or(m.Mapping.AccountColumn, "-")), m.Mapping.Date)
	}
	return tw.Flush()
}

func cmdFundsRatesLoad(ctx context.Context, e env, args []string) error {
	fs := newFlags(e, "funds rates load", `--case ID --currency CODE FILE.csv [flags]

FILE.csv has a header day,currency,per_unit and a line per rate: the value
of one unit of currency on day (YYYY-MM-DD), in --currency, as a decimal
(2024-03-08,USD,0.9182 for EUR). A trace converts each transfer at the
latest rate on or before its day, at most 7 days older; a rate already
loaded for the same day and currency is replaced. No network call is made.`)
	addClientFlags(fs, e)
	caseID := caseFlag(fs)
	currency := fs.String("currency", "", "the currency the rates convert into, and a trace is given in (ISO 4217, e.g. EUR)")
	if help, err := parse(e, fs, args); help || err != nil {
		return err
	}
	if err := needCase("funds rates load", *caseID); err != nil {
		return err
	}
	if fs.NArg() != 1 || *currency == "" {
		return errors.New("funds rates load: give --currency CODE and one FILE.csv (day,currency,per_unit)")
	}
	f, err := os.Open(fs.Arg(0))
	if err != nil {
		return fmt.Errorf("funds rates load: %w", err)
	}
	defer f.Close()
	rates, err := records.ParseRates(f)
	if err != nil {
		return fmt.Errorf("funds rates load: %s: %w\nnext: correct that line and run again", fs.Arg(0), err)
	}
	c, err := clientFor(fs)
	if err != nil {
		return err
	}
	var out node.RateTable
	if err := c.do(ctx, "POST", casePath(*caseID)+"/rates", map[string]any{"currency": *currency, "rates": rates}, &out); err != nil {
		return fundsNext("funds rates load", err, "correct the rate named, or --currency; a rate for "+*currency+" itself is left out (it converts 1:1)")
	}
	fmt.Fprintf(e.stdout, "Loaded %s into %s; the case's table for %s holds %s.\n", plural(len(rates), "rate", "rates"), *currency, out.Currency, plural(len(out.Rates), "rate", "rates"))
	return nil
}

func cmdFundsAccounts(ctx context.Context, e env, args []string) error {
	fs := newFlags(e, "funds accounts", "--case ID [--after N] [--limit N] [flags]")
	addClientFlags(fs, e)
	caseID := caseFlag(fs)
	after := fs.Int64("after", 0, "list the accounts after this id (the last of the previous page)")
	limit := fs.Int("limit", 200, "how many accounts at most")
	asJSON := fs.Bool("json", false, "print the accounts as JSON")
	if help, err := parse(e, fs, args); help || err != nil {
		return err
	}
	if err := needCase("funds accounts", *caseID); err != nil {
		return err
	}
	c, err := clientFor(fs)
	if err != nil {
		return err
	}
	var out []store.FundsAccount
	if err := c.do(ctx, "GET", casePath(*caseID)+"/accounts?after="+strconv.FormatInt(*after, 10)+"&limit="+strconv.Itoa(*limit), nil, &out); err != nil {
		return fundsNext("funds accounts", err, "entraide funds case list shows your State's cases")
	}
	if *asJSON {
		return writeJSON(e.stdout, out)
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "N\tACCOUNT\tBANK\tHOLDER\tSTATE\tIN\tOUT")
	for _, a := range out {
		state := or(a.Account.Jurisdiction, "?")
		if a.JurisdictionSource != "" {
			state += " (" + a.JurisdictionSource + ")"
		}
		var in, outs []string
		for _, t := range a.Totals {
			if t.In != 0 {
				in = append(in, money(t.In)+" "+t.Currency)
			}
			if t.Out != 0 {
				outs = append(outs, money(t.Out)+" "+t.Currency)
			}
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\n", a.ID, accountName(a.Account), or(a.Account.Bank, "-"), or(a.Account.Holder, "-"), state, or(strings.Join(in, ", "), "-"), or(strings.Join(outs, ", "), "-"))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(out) == *limit {
		fmt.Fprintf(e.stdout, "more: entraide funds accounts --case %s --after %d\n", *caseID, out[len(out)-1].ID)
	}
	if slices.ContainsFunc(out, func(a store.FundsAccount) bool { return a.Account.Jurisdiction == "" }) {
		fmt.Fprintf(e.stdout, "An account whose State is ? has none its records give: entraide funds account jurisdiction --case %s N STATE sets it.\n", *caseID)
	}
	return nil
}

func cmdFundsTransfers(ctx context.Context, e env, args []string) error {
	fs := newFlags(e, "funds transfers", "--case ID [--account N] [--after N] [--limit N] [flags]")
	addClientFlags(fs, e)
	caseID := caseFlag(fs)
	account := fs.Int64("account", 0, "only the transfers into or out of this account (N of entraide funds accounts)")
	after := fs.Int64("after", 0, "list the transfers after this id (the last of the previous page)")
	limit := fs.Int("limit", 200, "how many transfers at most")
	asJSON := fs.Bool("json", false, "print the transfers as JSON")
	if help, err := parse(e, fs, args); help || err != nil {
		return err
	}
	if err := needCase("funds transfers", *caseID); err != nil {
		return err
	}
	c, err := clientFor(fs)
	if err != nil {
		return err
	}
	q := url.Values{"after": {strconv.FormatInt(*after, 10)}, "limit": {strconv.Itoa(*limit)}}
	if *account != 0 {
		q.Set("account", strconv.FormatInt(*account, 10))
	}
	var out []store.FundsTransfer
	if err := c.do(ctx, "GET", casePath(*caseID)+"/transfers?"+q.Encode(), nil, &out); err != nil {
		return fundsNext("funds transfers", err, "entraide funds case list shows your State's cases; entraide funds accounts --case ID their accounts")
	}
	if *asJSON {
		return writeJSON(e.stdout, out)
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tTIME\tFROM\tTO\tAMOUNT\tREFERENCE\tRECORD")
	for _, t := range out {
		fmt.Fprintf(tw, "%d\t%s\t%d\t%d\t%s %s\t%s\titem %s, %s\n", t.ID, t.At.Format("2006-01-02 15:04"), t.From, t.To, t.Amount, t.Currency, or(t.Reference, "-"), t.ItemID, t.Locator)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(out) == *limit {
		fmt.Fprintf(e.stdout, "more: entraide funds transfers --case %s --after %d\n", *caseID, out[len(out)-1].ID)
	}
	return nil
}

func cmdFundsAccountJurisdiction(ctx context.Context, e env, args []string) error {
	fs := newFlags(e, "funds account jurisdiction", "--case ID ACCOUNT STATE [flags]\n\nACCOUNT is N of entraide funds accounts; STATE a code (entraide states NAME finds it).")
	addClientFlags(fs, e)
	caseID := caseFlag(fs)
	if help, err := parse(e, fs, args); help || err != nil {
		return err
	}
	if err := needCase("funds account jurisdiction", *caseID); err != nil {
		return err
	}
	if fs.NArg() != 2 {
		return errors.New("funds account jurisdiction: give the ACCOUNT (N of entraide funds accounts) and the STATE's code")
	}
	if _, err := strconv.ParseInt(fs.Arg(0), 10, 64); err != nil {
		return fmt.Errorf("funds account jurisdiction: %q is not an account's N: entraide funds accounts --case %s lists them", fs.Arg(0), *caseID)
	}
	c, err := clientFor(fs)
	if err != nil {
		return err
	}
	var out store.FundsAccount
	if err := c.do(ctx, "PUT", casePath(*caseID)+"/accounts/"+fs.Arg(0)+"/jurisdiction", map[string]string{"state": fs.Arg(1)}, &out); err != nil {
		return fundsNext("funds account jurisdiction", err, "entraide funds accounts --case "+*caseID+" lists the accounts; entraide states NAME finds a State's code")
	}
	fmt.Fprintf(e.stdout, "Account %d (%s) is in %s, as you set it; no import changes that.\n", out.ID, out.Account.ID, out.Account.Jurisdiction)
	return nil
}

const fundsTraceHelp = `--case ID --from TRANSFER_OR_REFERENCE... --rule fifo|pro_rata|libr --currency CODE [flags]

Follows the funds of the victim payments (--from, several times or
comma-separated: a transfer's id, or the reference its record gives, such
as an end-to-end id or a transaction hash) forward in time through the
case's transfers, and says how much of them sits where now, per account
and per State, with every hop and the record it came from.

Rules, for an account that mixes traced funds with others when it pays:
  fifo      first in, first out: a payment takes the oldest funds first
  pro_rata  each payment carries traced funds in the proportion the
            balance holds them ("haircut")
  libr      lowest intermediate balance: the holder spends their own funds
            first; what stays traced never exceeds the lowest balance
            since (the rule of common-law courts)
Every amount is converted into --currency at its transfer's date, from
the rates loaded with entraide funds rates load. A payment larger than the
records show the account held is a shortfall: a record is missing.`

func cmdFundsTrace(ctx context.Context, e env, args []string) error {
	fs := newFlags(e, "funds trace", fundsTraceHelp)
	addClientFlags(fs, e)
	caseID := caseFlag(fs)
	var from listFlag
	fs.Var(&from, "from", "a victim payment: a transfer's id, or its record's reference (repeat, or separate with commas)")
	rule := fs.String("rule", "", "fifo, pro_rata or libr")
	currency := fs.String("currency", "", "the currency of the result (ISO 4217, e.g. EUR, or an asset such as BTC)")
	until := fs.String("until", "", "follow no transfer after this day (YYYY-MM-DD) or time (RFC 3339)")
	maxHops := fs.Int("max-hops", 0, fmt.Sprintf("follow funds at most this many transfers from a victim payment (default %d)", funds.DefaultMaxHops))
	dust := fs.String("dust", "", "stop following shares smaller than this amount of --currency, e.g. 0.50 (default 0.01)")
	asJSON := fs.Bool("json", false, "print the trace as JSON")
	if help, err := parse(e, fs, args); help || err != nil {
		return err
	}
	if err := needCase("funds trace", *caseID); err != nil {
		return err
	}
	if len(from) == 0 {
		return fmt.Errorf("funds trace: give --from, a victim payment's id or reference (entraide funds transfers --case %s lists them)", *caseID)
	}
	if *rule == "" {
		return errors.New("funds trace: give --rule: fifo (first in, first out), pro_rata (pro rata) or libr (lowest intermediate balance); entraide funds trace --help says what each means")
	}
	if *currency == "" {
		return fmt.Errorf("funds trace: give --currency, the currency the result is counted in, such as EUR; other currencies are converted by the rates loaded for the case (entraide funds rates load --case %s --currency EUR FILE.csv)", *caseID)
	}
	// Written as an official would type them: "FIFO", "pro-rata", "eur".
	r := funds.Rule(strings.ReplaceAll(strings.ToLower(strings.TrimSpace(*rule)), "-", "_"))
	in := node.TraceInput{Options: funds.Options{Rule: r, Currency: strings.ToUpper(strings.TrimSpace(*currency)), MaxHops: *maxHops}}
	for _, f := range from {
		if id, err := strconv.ParseInt(f, 10, 64); err == nil && id > 0 {
			in.Sources = append(in.Sources, funds.TransferID(id))
		} else {
			in.References = append(in.References, f)
		}
	}
	if *until != "" {
		layout := time.RFC3339
		if len(*until) == len(time.DateOnly) {
			layout = time.DateOnly
		}
		t, err := time.Parse(layout, *until)
		if err != nil {
			return fmt.Errorf("funds trace: --until %q is a day (YYYY-MM-DD) or a time (RFC 3339)", *until)
		}
		if layout == time.DateOnly {
			t = t.AddDate(0, 0, 1).Add(-time.Microsecond) // the whole day
		}
		in.Options.Until = t
	}
	if *dust != "" {
		d, err := parseMicros(*dust)
		if err != nil {
			return fmt.Errorf("funds trace: --dust %q: %v", *dust, err)
		}
		in.Options.Dust = d
	}
	c, err := clientFor(fs)
	if err != nil {
		return err
	}
	var v node.TraceView
	if err := c.do(ctx, "POST", casePath(*caseID)+"/traces", in, &v); err != nil {
		return fundsNext("funds trace", err, "entraide funds trace --help explains the rules; entraide funds transfers --case "+*caseID+" lists the payments")
	}
	if *asJSON {
		return writeJSON(e.stdout, v)
	}
	printTrace(e.stdout, v)
	return nil
}

// parseMicros reads a decimal amount as millionths.
func parseMicros(s string) (int64, error) {
	whole, frac, _ := strings.Cut(s, ".")
	if whole == "" || len(frac) > 6 || strings.Trim(whole+frac, "0123456789") != "" {
		return 0, errors.New("give a positive decimal with at most 6 decimals, e.g. 0.50")
	}
	w, err := strconv.ParseInt(whole, 10, 64)
	if err != nil || w > 1<<40 {
		return 0, errors.New("too large")
	}
	f, _ := strconv.ParseInt((frac + "000000")[:6], 10, 64)
	return w*1_000_000 + f, nil
}

func cmdFundsTraceShow(ctx context.Context, e env, args []string) error {
	fs := newFlags(e, "funds trace show", "--case ID TRACE [flags]")
	addClientFlags(fs, e)
	caseID := caseFlag(fs)
	asJSON := fs.Bool("json", false, "print the trace as JSON")
	if help, err := parse(e, fs, args); help || err != nil {
		return err
	}
	if err := needCase("funds trace show", *caseID); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return fmt.Errorf("funds trace show: name one trace (entraide funds case show %s lists them)", *caseID)
	}
	c, err := clientFor(fs)
	if err != nil {
		return err
	}
	var v node.TraceView
	if err := c.do(ctx, "GET", casePath(*caseID)+"/traces/"+url.PathEscape(fs.Arg(0)), nil, &v); err != nil {
		return fundsNext("funds trace show", err, "entraide funds case show "+*caseID+" lists its traces")
	}
	if *asJSON {
		return writeJSON(e.stdout, v)
	}
	printTrace(e.stdout, v)
	return nil
}

// printTrace prints a trace for the official who checks it: where the
// funds are, per State and per account, then every hop with its record.
func printTrace(w io.Writer, v node.TraceView) {
	r := v.Result
	accountName := func(id funds.AccountID) string {
		a, ok := v.Accounts[id]
		if !ok {
			return fmt.Sprintf("account %d", id)
		}
		name := accountName(a.Account)
		if _, _, sink := a.Account.Sink(); !sink && a.Account.Holder != "" {
			name += " (" + a.Account.Holder + ")"
		}
		return fmt.Sprintf("%d %s", id, name)
	}
	fmt.Fprintf(w, "Trace %s of case %s, by %s (%s), in %s: %s traced from %s; %s read.\n", v.ID, v.CaseID, r.Options.Rule.Title(), r.Options.Rule, v.Currency,
		money(r.Traced), plural(len(r.Sources), "victim payment", "victim payments"), plural(r.Read, "movement", "movements"))
	fmt.Fprintln(w, "\nWhere the funds are, per State:")
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	for _, s := range v.ByState {
		fmt.Fprintf(tw, "  %s\t%s\t%s\t\n", or(s.State, "unknown"), money(s.Traced), v.Currency)
	}
	tw.Flush()
	fmt.Fprintln(w, "\nPer account:")
	tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, h := range r.Holdings {
		fmt.Fprintf(tw, "  %s\t%s %s\t%s\n", accountName(h.Account), money(h.Traced), v.Currency, or(v.Accounts[h.Account].Account.Jurisdiction, "unknown State"))
	}
	tw.Flush()
	if r.Dust > 0 {
		fmt.Fprintf(w, "  shares too small to follow (dust): %s %s\n", money(r.Dust), v.Currency)
	}
	fmt.Fprintf(w, "\nHops (%d), in the order of time; HOP counts the transfers from the victim payment, 1 for the payment itself:\n", len(r.Hops))
	tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprint(tw, "  HOP\tTIME (UTC)\tFROM → TO\tTRACED OF THE TRANSFER\tRECORD\n")
	for _, h := range r.Hops {
		t := v.Transfers[h.Transfer]
		fmt.Fprintf(tw, "  %d\t%s\t%s → %s\t%s of %s %s\titem %s, %s (request %s)\n", h.Depth, h.At.UTC().Format("2006-01-02 15:04"), accountName(h.From), accountName(h.To),
			money(h.Traced), money(h.Amount), v.Currency, t.ItemID, t.Locator, t.RequestID)
	}
	tw.Flush()
	if len(r.Shortfalls) > 0 {
		fmt.Fprintf(w, "\nShortfalls (%d): payments larger than the records show the account held; a record is missing:\n", len(r.Shortfalls))
		for _, s := range r.Shortfalls {
			t := v.Transfers[s.Transfer]
			fmt.Fprintf(w, "  %s paid %s %s more than it held on %s (transfer %d, item %s, %s): ask for its statement before that day\n",
				accountName(s.Account), money(s.Amount), v.Currency, s.At.Format(time.DateOnly), s.Transfer, or(t.ItemID, "?"), or(t.Locator, "?"))
		}
	}
}
