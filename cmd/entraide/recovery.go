package main

import (
	"context"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"strings"
	"text/tabwriter"

	"entraide/internal/casework"
	"entraide/internal/convention"
	"entraide/internal/funds"
	"entraide/internal/node"
)

// The recovery commands follow what a trace found to its freezing,
// confiscation and return (arts. 31, 49-52), through the node's API.

func recoveryCommands() map[string]command {
	return map[string]command{
		"funds freeze":       {"draft, from a trace, one freezing request to each State where the traced funds sit, with the accounts and amounts, for you to check and send (arts. 31, 49, 50; API client; central authority)", cmdFundsFreeze},
		"funds assets":       {"list a case's assets and the history of their recovery: traced, frozen, confiscated, returned (arts. 31, 49-52; API client)", cmdFundsAssets},
		"funds asset add":    {"record property a case found outside a trace: a house, a car, funds located otherwise (API client; central authority)", cmdFundsAssetAdd},
		"funds asset record": {"record a step of an asset's recovery: frozen, confiscation requested, confiscated, returned with expenses and victims, released or refused (arts. 31, 49-52; API client; central authority)", cmdFundsAssetRecord},
		"funds recovery":     {"your State's recovery dashboard: traced, frozen, confiscated, returned, per case and per State, in each currency (API client)", cmdFundsRecovery},
	}
}

const fundsFreezeHelp = `--case ID --trace T --facts TEXT --authority NAME --offences N,... [flags]

Drafts, from trace T of the case, one freezing request (arts. 31, 49,
50(3)(c)) to each State where the traced funds now sit, by the State of
the accounts that hold them: your facts and authority, the accounts
(IBAN and BIC, account and bank, or wallet and chain), their holders,
the amount traced to each in the trace's currency, the trace and its
rule. Nothing is sent: check each draft (entraide request show ID) and
send it (entraide request transition ID --action send).

Funds in your own State need no request: they are listed apart, to
freeze under your own law (art. 31). Accounts whose State the records do
not give are listed with the step to take first: set their State
(entraide funds account jurisdiction), then run this again. Each account
becomes an asset (entraide funds assets), traced; sending its draft
makes it freezing_requested. Running this again for the same trace
drafts nothing twice: it prints the drafts made before.`

func cmdFundsFreeze(ctx context.Context, e env, args []string) error {
	fs := newFlags(e, "funds freeze", fundsFreezeHelp)
	addClientFlags(fs, e)
	caseID := caseFlag(fs)
	trace := fs.String("trace", "", "the trace's id (entraide funds case show lists a case's traces)")
	facts := fs.String("facts", "", "the statement of the facts relied upon, which every request carries (- reads it from stdin)")
	authority := fs.String("authority", "", "the authority making the requests, e.g. \"Parquet de Paris\"")
	offences := fs.String("offences", "", "the offences of the Convention whose proceeds the funds are, comma-separated articles (7 to 17), e.g. 13")
	basis := fs.String("legal-basis", "convention", "what the requests rest on: convention (in force for both States on the day of sending), treaty (with --treaty) or reciprocity")
	treaty := fs.String("treaty", "", "the other treaty's name, with --legal-basis treaty")
	order := fs.String("order", "", "the order the requests rest on, where there is one (attach a legally admissible copy to each draft)")
	urgent := fs.Bool("urgent", false, "mark the requests urgent: the funds may move")
	asJSON := fs.Bool("json", false, "print the drafts as JSON")
	if help, err := parse(e, fs, args); help || err != nil {
		return err
	}
	if err := needCase("funds freeze", *caseID); err != nil {
		return err
	}
	if *trace == "" {
		return fmt.Errorf("funds freeze: give --trace T (entraide funds case show %s lists the case's traces)", *caseID)
	}
	in := node.FreezeInput{Facts: *facts, RequestingAuthority: *authority, Order: *order,
		LegalBasis: &casework.LegalBasis{Type: casework.BasisType(strings.ToLower(*basis)), Treaty: *treaty}}
	if *facts == "-" {
		b, err := io.ReadAll(io.LimitReader(e.stdin, casework.MaxTextLength+1))
		if err != nil {
			return fmt.Errorf("funds freeze: reading the facts from stdin: %w", err)
		}
		in.Facts = string(b)
	}
	if *urgent {
		in.Urgency = casework.Urgent
	}
	for _, a := range splitList(*offences) {
		n, err := strconv.Atoi(a)
		if err != nil {
			return fmt.Errorf("funds freeze: --offences %q: give articles of the Convention as numbers, e.g. 13", a)
		}
		in.Offences = append(in.Offences, convention.Charge{Article: n})
	}
	c, err := clientFor(fs)
	if err != nil {
		return err
	}
	var out []node.FreezingDraft
	if err := c.do(ctx, "POST", casePath(*caseID)+"/traces/"+url.PathEscape(*trace)+"/freezing-requests", in, &out); err != nil {
		return fundsNext("funds freeze", err, "give --facts, --authority and --offences; entraide funds case show "+*caseID+" lists the case's traces")
	}
	if *asJSON {
		return writeJSON(e.stdout, out)
	}
	if len(out) == 0 {
		fmt.Fprintf(e.stdout, "Trace %s found no funds held anywhere: nothing to freeze.\n", *trace)
		return nil
	}
	for i, d := range out {
		if i > 0 {
			fmt.Fprintln(e.stdout)
		}
		switch d.Measure {
		case node.MeasureRequest:
			made := "Drafted"
			if d.Existing {
				made = "Drafted before"
			}
			fmt.Fprintf(e.stdout, "%s: freezing request %s to %s, %s %s in %d account(s):\n", made, d.Request, d.State, money(d.Traced), d.Currency, len(d.Accounts))
		case node.MeasureDomestic:
			fmt.Fprintf(e.stdout, "In your own State, %s: %s %s in %d account(s), to freeze under your own law without a request (art. 31):\n", d.State, money(d.Traced), d.Currency, len(d.Accounts))
		case node.MeasureNone:
			fmt.Fprintf(e.stdout, "Left the accounts as cash or bank charges, not to freeze: %s %s:\n", money(d.Traced), d.Currency)
		default:
			fmt.Fprintf(e.stdout, "State not known: %s %s in %d account(s):\n", money(d.Traced), d.Currency, len(d.Accounts))
		}
		tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
		for _, a := range d.Accounts {
			asset := "asset " + a.AssetID
			switch {
			case d.Measure == node.MeasureNone:
				asset = "" // nothing to freeze, nothing to recover from an account
			case a.AssetID == "":
				asset = "an asset once its State is set"
			}
			holder := a.Holder
			if _, _, sink := (funds.Account{Kind: funds.AccountKind(a.Kind), Bank: a.Bank, ID: a.Ident}).Sink(); sink {
				holder = ""
			}
			fmt.Fprintf(tw, "  %d\t%s\t%s\t%s %s\t%s\n", a.Account, accountLine(a), holder, money(a.Traced), d.Currency, asset)
		}
		tw.Flush()
		fmt.Fprintf(e.stdout, "next: %s\n", d.Next)
	}
	return nil
}

// accountLine names an account as its records do.
func accountLine(a node.FrozenAccount) string {
	if kind, of, ok := (funds.Account{Kind: funds.AccountKind(a.Kind), Bank: a.Bank, ID: a.Ident}).Sink(); ok {
		return kind + " of " + of
	}
	switch funds.AccountKind(a.Kind) {
	case funds.IBAN:
		if a.Bank != "" {
			return "IBAN " + a.Ident + " (BIC " + a.Bank + ")"
		}
		return "IBAN " + a.Ident
	case funds.Wallet:
		return a.Bank + " wallet " + a.Ident
	}
	return a.Ident + " at " + a.Bank
}

func cmdFundsAssets(ctx context.Context, e env, args []string) error {
	fs := newFlags(e, "funds assets", "--case ID [--history] [flags]\n\nAmounts are in the asset's currency.")
	addClientFlags(fs, e)
	caseID := caseFlag(fs)
	history := fs.Bool("history", false, "print each asset's steps: who recorded what, when, with which amounts, request and note")
	asJSON := fs.Bool("json", false, "print the assets and their histories as JSON")
	if help, err := parse(e, fs, args); help || err != nil {
		return err
	}
	if err := needCase("funds assets", *caseID); err != nil {
		return err
	}
	c, err := clientFor(fs)
	if err != nil {
		return err
	}
	var out []node.AssetView
	if err := c.do(ctx, "GET", casePath(*caseID)+"/assets", nil, &out); err != nil {
		return fundsNext("funds assets", err, "entraide funds case list shows your State's cases")
	}
	if *asJSON {
		return writeJSON(e.stdout, out)
	}
	if len(out) == 0 {
		fmt.Fprintf(e.stdout, "Case %s has no assets yet: entraide funds freeze --case %s --trace T drafts the freezing requests of a trace and records its assets; entraide funds asset add records other property.\n", *caseID, *caseID)
		return nil
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ASSET\tSTATE\tSTATUS\tCURRENCY\tTRACED\tFROZEN\tCONFISCATED\tRETURNED\tEXPENSES\tCOMPENSATED\tDESCRIPTION")
	for _, v := range out {
		a := v.Asset
		where := a.Jurisdiction
		if where == "" {
			where = "?"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", a.ID, where, a.Status, a.Currency, money(a.Traced), money(a.Frozen), money(a.Confiscated),
			money(a.Returned), money(a.Expenses), money(a.Compensated), a.Description)
	}
	tw.Flush()
	if *history {
		for _, v := range out {
			fmt.Fprintf(e.stdout, "\n%s (%s):\n", v.Asset.ID, v.Asset.Description)
			for _, h := range v.History {
				printAssetEvent(e.stdout, h, v.Asset.Currency)
			}
		}
	}
	return nil
}

func printAssetEvent(w io.Writer, h funds.AssetEvent, currency string) {
	fmt.Fprintf(w, "  %s  %-22s by %s", h.At.UTC().Format("2006-01-02 15:04 UTC"), h.Status, h.By)
	if h.Amount != 0 {
		fmt.Fprintf(w, "  %s %s", money(h.Amount), currency)
	}
	if h.Expenses != 0 {
		fmt.Fprintf(w, "  expenses %s", money(h.Expenses))
	}
	if h.Request != "" {
		fmt.Fprintf(w, "  request %s", h.Request)
	}
	fmt.Fprintln(w)
	for _, v := range h.Victims {
		fmt.Fprintf(w, "      victim %s: %s %s\n", v.Reference, money(v.Amount), currency)
	}
	if h.Note != "" {
		fmt.Fprintf(w, "      %s\n", h.Note)
	}
}

func cmdFundsAssetAdd(ctx context.Context, e env, args []string) error {
	fs := newFlags(e, "funds asset add", "--case ID --state CODE --description TEXT --currency CODE --value AMOUNT [--note TEXT] [flags]\n\nRecords property the case found outside a trace, in status traced; record its freezing and what follows with entraide funds asset record.")
	addClientFlags(fs, e)
	caseID := caseFlag(fs)
	state := fs.String("state", "", "the State where it sits (entraide states NAME finds its code)")
	description := fs.String("description", "", "what it is and where: a freezing request describes it so")
	currency := fs.String("currency", "", "the currency of its value: an ISO 4217 code (EUR) or an asset's symbol (BTC)")
	value := fs.String("value", "", "its estimated value, e.g. 250000 or 1.25")
	note := fs.String("note", "", "how it was found")
	if help, err := parse(e, fs, args); help || err != nil {
		return err
	}
	if err := needCase("funds asset add", *caseID); err != nil {
		return err
	}
	micros, err := funds.ParseMicros(*value)
	if err != nil {
		return fmt.Errorf("funds asset add: --value: %w", err)
	}
	c, err := clientFor(fs)
	if err != nil {
		return err
	}
	var out funds.Asset
	in := node.AssetInput{Jurisdiction: *state, Description: *description, Currency: strings.ToUpper(*currency), Traced: micros, Note: *note}
	if err := c.do(ctx, "POST", casePath(*caseID)+"/assets", in, &out); err != nil {
		return fundsNext("funds asset add", err, "give --state, --description, --currency and --value (entraide funds asset add --help)")
	}
	fmt.Fprintf(e.stdout, "Recorded asset %s in %s: %s, %s %s, traced.\nnext: when it is frozen, entraide funds asset record --case %s %s frozen --amount AMOUNT\n", out.ID, out.Jurisdiction, out.Description, money(out.Traced), out.Currency, *caseID, out.ID)
	return nil
}

// victimsFlag collects --victim REF=AMOUNT, given once per victim.
type victimsFlag []funds.Victim

func (v *victimsFlag) String() string {
	parts := make([]string, len(*v))
	for i, x := range *v {
		parts[i] = x.Reference + "=" + funds.FormatMicros(x.Amount)
	}
	return strings.Join(parts, " ")
}

func (v *victimsFlag) Set(s string) error {
	ref, amount, ok := strings.Cut(s, "=")
	if !ok || strings.TrimSpace(ref) == "" {
		return fmt.Errorf("%q: give the victim's reference in the case and the amount paid to them, as REF=AMOUNT, e.g. V-1=2500", s)
	}
	m, err := funds.ParseMicros(strings.TrimSpace(amount))
	if err != nil {
		return fmt.Errorf("victim %s: %w", ref, err)
	}
	*v = append(*v, funds.Victim{Reference: strings.TrimSpace(ref), Amount: m})
	return nil
}

const fundsAssetRecordHelp = `--case ID ASSET STEP [--amount AMOUNT] [--expenses AMOUNT] [--victim REF=AMOUNT ...] [--request R] [--note TEXT] [flags]

Records a step of the recovery of ASSET (entraide funds assets lists a
case's). Amounts are decimals in the asset's currency (1234.56); they are
checked exactly.

STEP, after the statuses it may follow:
  frozen                  after traced, freezing_requested or frozen: --amount
                          frozen (more than traced is allowed, with a warning:
                          the account mixes other funds, which the holder may
                          ask to have lifted, art. 50(8)); art. 31
  confiscation_requested  after frozen; --request the confiscation request
  confiscated             after frozen or confiscation_requested: --amount
                          confiscated, at most the amount frozen; art. 49
  returned                after confiscated: --amount returned, after
                          --expenses deducted (art. 52(3)); returned plus
                          expenses at most the amount confiscated; --victim
                          REF=AMOUNT for each victim compensated, at most the
                          amount returned in all (art. 52(2))
  released                after freezing_requested, frozen or
                          confiscation_requested: the measures were lifted,
                          for insufficient or late evidence or a de minimis
                          value; --note says why, and whether your State was
                          heard before (art. 50(8))
  refused                 after freezing_requested or confiscation_requested:
                          --note gives the ground

freezing_requested is recorded when its freezing request is sent.`

func cmdFundsAssetRecord(ctx context.Context, e env, args []string) error {
	fs := newFlags(e, "funds asset record", fundsAssetRecordHelp)
	addClientFlags(fs, e)
	caseID := caseFlag(fs)
	amount := fs.String("amount", "", "the amount frozen, confiscated or returned, in the asset's currency")
	expenses := fs.String("expenses", "", "at returned: the reasonable expenses deducted (art. 52(3))")
	var victims victimsFlag
	fs.Var(&victims, "victim", "at returned: REF=AMOUNT, a victim compensated and the amount paid to them; once per victim")
	request := fs.String("request", "", "the request that asked for the step (freezing, confiscation or return)")
	note := fs.String("note", "", "what a court reads of the step: the order, the reason for a release, the ground of a refusal")
	asJSON := fs.Bool("json", false, "print the asset after the step as JSON")
	if help, err := parse(e, fs, args); help || err != nil {
		return err
	}
	if err := needCase("funds asset record", *caseID); err != nil {
		return err
	}
	if fs.NArg() != 2 {
		return fmt.Errorf("funds asset record: give the ASSET (entraide funds assets --case %s lists them) and the STEP: frozen, confiscation_requested, confiscated, returned, released or refused", *caseID)
	}
	step := funds.AssetStep{Status: funds.AssetStatus(fs.Arg(1)), Victims: victims, Request: *request, Note: *note}
	var err error
	if *amount != "" {
		if step.Amount, err = funds.ParseMicros(*amount); err != nil {
			return fmt.Errorf("funds asset record: --amount: %w", err)
		}
	}
	if *expenses != "" {
		if step.Expenses, err = funds.ParseMicros(*expenses); err != nil {
			return fmt.Errorf("funds asset record: --expenses: %w", err)
		}
	}
	c, err := clientFor(fs)
	if err != nil {
		return err
	}
	var out node.StepResult
	if err := c.do(ctx, "POST", casePath(*caseID)+"/assets/"+url.PathEscape(fs.Arg(0))+"/steps", step, &out); err != nil {
		return fundsNext("funds asset record", err, "entraide funds asset record --help says what each step needs; entraide funds assets --case "+*caseID+" --history shows where the asset stands")
	}
	if *asJSON {
		return writeJSON(e.stdout, out)
	}
	a := out.Asset
	fmt.Fprintf(e.stdout, "Asset %s is now %s: traced %s, frozen %s, confiscated %s, returned %s, expenses %s, compensated %s %s.\n", a.ID, a.Status,
		money(a.Traced), money(a.Frozen), money(a.Confiscated), money(a.Returned), money(a.Expenses), money(a.Compensated), a.Currency)
	for _, w := range out.Warnings {
		fmt.Fprintf(e.stdout, "warning: %s\n", w)
	}
	return nil
}

func cmdFundsRecovery(ctx context.Context, e env, args []string) error {
	fs := newFlags(e, "funds recovery", "[flags]\n\nAdds up the recovery of your State's assets: per case, per State where they sit, and in all, one line per currency (two currencies are never added). Frozen counts what is frozen or went on to be confiscated; released what was frozen and then lifted.")
	addClientFlags(fs, e)
	asJSON := fs.Bool("json", false, "print the dashboard as JSON")
	if help, err := parse(e, fs, args); help || err != nil {
		return err
	}
	c, err := clientFor(fs)
	if err != nil {
		return err
	}
	var d node.Dashboard
	if err := c.do(ctx, "GET", "/api/v1/funds/recovery", nil, &d); err != nil {
		return fmt.Errorf("funds recovery: %w", err)
	}
	if *asJSON {
		return writeJSON(e.stdout, d)
	}
	if len(d.Total) == 0 {
		fmt.Fprintf(e.stdout, "%s has no assets yet: entraide funds freeze drafts the freezing requests of a trace and records its assets.\n", d.State)
		return nil
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "\tCURRENCY\tASSETS\tTRACED\tFROZEN\tRELEASED\tCONFISCATED\tRETURNED\tEXPENSES\tCOMPENSATED")
	line := func(label string, f node.Figures) {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", label, f.Currency, f.Assets, money(f.Traced), money(f.Frozen), money(f.Released),
			money(f.Confiscated), money(f.Returned), money(f.Expenses), money(f.Compensated))
	}
	for _, c := range d.ByCase {
		for _, f := range c.Figures {
			line("case "+c.CaseID, f)
		}
	}
	for _, s := range d.ByState {
		where := s.State
		if where == "" {
			where = "unknown"
		}
		for _, f := range s.Figures {
			line("in "+where, f)
		}
	}
	for _, f := range d.Total {
		line(d.State+", all", f)
	}
	return tw.Flush()
}
