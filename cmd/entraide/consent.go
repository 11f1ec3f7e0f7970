package main

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"text/tabwriter"

	"entraide/internal/convention"
	"entraide/internal/evidence"
	"entraide/internal/node"
)

// conditionFlag gathers --condition flags, each KIND or KIND=VALUE: the
// date of retain_until, the words of personal_data and consultation.
type conditionFlag struct{ cs convention.Conditions }

func (f *conditionFlag) String() string { return "" }

func (f *conditionFlag) Set(v string) error {
	kind, value, _ := strings.Cut(v, "=")
	c := convention.Condition{Kind: convention.ConditionKind(strings.TrimSpace(kind))}
	if c.Kind == convention.RetainUntil {
		c.Until = strings.TrimSpace(value)
	} else {
		c.Text = strings.TrimSpace(value)
	}
	if ps := (convention.Conditions{c}).Validate("--condition"); len(ps) > 0 {
		return errors.New(ps[0].Message + " (" + ps[0].Ref.Cite() + ")")
	}
	f.cs = append(f.cs, c)
	return nil
}

const conditionHelp = "a condition your State sets, repeatable: use_limited (art. 40(19)), confidential (art. 40(20)), no_onward_transfer (art. 36), " +
	"retain_until=YYYY-MM-DD (art. 36), personal_data=\"TEXT\" (art. 36), consultation=\"TEXT\" (art. 40(27))"

func cmdConsentAsk(ctx context.Context, e env, args []string) error {
	fs := newFlags(e, "consent ask", "REQUEST --items ITEM,ITEM (--for-state CODE | --proceedings TEXT) --reasons TEXT\n\n"+
		"Asks the State that gave items of evidence under conditions its consent to a use they bar: giving them\n"+
		"to a third State (--for-state), or using them in proceedings other than the request's (--proceedings).\n"+
		"The request travels to that State signed; its answer comes back the same way (entraide consent list).\n"+
		"Once it is granted, exactly that use is allowed: entraide evidence export REQUEST --for-state CODE.")
	addClientFlags(fs, e)
	items := fs.String("items", "", "the items, comma-separated ids (entraide evidence list REQUEST)")
	forState := fs.String("for-state", "", "the third State the items would go to, its ISO 3166 alpha-3 code")
	proceedings := fs.String("proceedings", "", "the other proceedings the items would serve, as your State names them")
	reasons := fs.String("reasons", "", "why the items are needed for this use (required)")
	if help, err := parse(e, fs, args); help || err != nil {
		return err
	}
	if fs.NArg() != 1 || *items == "" || strings.TrimSpace(*reasons) == "" || (*forState == "") == (*proceedings == "") {
		return errors.New("consent ask: give the request's id, --items, --reasons, and either --for-state or --proceedings\nnext: entraide consent ask REQUEST --items ITEM --for-state ZAF --reasons \"a joint investigation team\"")
	}
	c, err := clientFor(fs)
	if err != nil {
		return err
	}
	// Item ids are kept as given: splitList's upper case is for State
	// codes, and no item's id is in upper case.
	var ids []string
	for v := range strings.SplitSeq(*items, ",") {
		if v = strings.TrimSpace(v); v != "" {
			ids = append(ids, v)
		}
	}
	in := node.ConsentAsk{Items: ids, Use: convention.Use{ToState: *forState, Proceedings: *proceedings}, Reasons: *reasons}
	var out evidence.Consent
	if err := c.do(ctx, "POST", "/api/v1/requests/"+url.PathEscape(fs.Arg(0))+"/consents", in, &out); err != nil {
		return withNext("consent ask", err, "entraide evidence list REQUEST gives the items and the conditions that bind them")
	}
	fmt.Fprintf(e.stdout, "Consent %s asked of %s; its answer will show in entraide consent list %s\n", out.ID, out.GivingState, out.RequestID)
	return nil
}

func cmdConsentList(ctx context.Context, e env, args []string) error {
	fs := newFlags(e, "consent list", "[REQUEST]   (lists your State's consent requests: those it asked, and those asked of it to grant or refuse)")
	addClientFlags(fs, e)
	asJSON := fs.Bool("json", false, "print them as JSON")
	if help, err := parse(e, fs, args); help || err != nil {
		return err
	}
	path := "/api/v1/consents"
	if fs.NArg() == 1 {
		path = "/api/v1/requests/" + url.PathEscape(fs.Arg(0)) + "/consents"
	}
	c, err := clientFor(fs)
	if err != nil {
		return err
	}
	var cs []evidence.Consent
	if err := c.do(ctx, "GET", path, nil, &cs); err != nil {
		return withNext("consent list", err, "entraide request list gives the ids of your State's requests")
	}
	if *asJSON {
		return writeJSON(e.stdout, cs)
	}
	if len(cs) == 0 {
		fmt.Fprintln(e.stdout, "No consent requests.")
		return nil
	}
	w := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "CONSENT\tREQUEST\tASKED BY\tOF\tUSE\tITEMS\tSTATUS")
	for _, k := range cs {
		use := "to " + k.Use.ToState
		if k.Use.Proceedings != "" {
			use = "proceedings " + k.Use.Proceedings
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%d\t%s\n", k.ID, k.RequestID, k.AskingState, k.GivingState, use, len(k.Items), k.Status)
	}
	if err := w.Flush(); err != nil {
		return err
	}
	// The State asked decides on the reasons given, and the State that
	// asked reads the answer's: both belong beside the list, not only in
	// its JSON.
	// An auditor's list holds neither: it prints none.
	for _, k := range cs {
		if k.Reasons == "" && k.Answer == "" {
			continue
		}
		fmt.Fprintf(e.stdout, "\n%s:\n", k.ID)
		if k.Reasons != "" {
			fmt.Fprintf(e.stdout, "  reasons given: %s\n", k.Reasons)
		}
		if k.Answer != "" {
			fmt.Fprintf(e.stdout, "  answer: %s\n", k.Answer)
		}
	}
	return nil
}

func answerConsent(ctx context.Context, e env, args []string, grant bool) error {
	name, synopsis := "consent grant", "CONSENT [--reasons TEXT] [--condition KIND[=VALUE]]...   (grants a consent request asked of your State: the asking State may then put the items to exactly the use asked, under any further conditions given)"
	if !grant {
		name, synopsis = "consent refuse", "CONSENT --reasons TEXT   (refuses a consent request asked of your State, saying why; the refusal is final)"
	}
	fs := newFlags(e, name, synopsis)
	addClientFlags(fs, e)
	reasons := fs.String("reasons", "", "why; required to refuse")
	var conds conditionFlag
	if grant {
		fs.Var(&conds, "condition", conditionHelp)
	}
	if help, err := parse(e, fs, args); help || err != nil {
		return err
	}
	if fs.NArg() != 1 || !grant && strings.TrimSpace(*reasons) == "" {
		return fmt.Errorf("%s: give the consent's id%s\nnext: entraide consent list shows the consent requests asked of your State", name, map[bool]string{true: "", false: " and --reasons"}[grant])
	}
	c, err := clientFor(fs)
	if err != nil {
		return err
	}
	var out evidence.Consent
	if err := c.do(ctx, "POST", "/api/v1/consents/"+url.PathEscape(fs.Arg(0))+"/answer", node.ConsentAnswer{Grant: grant, Reasons: *reasons, Conditions: conds.cs}, &out); err != nil {
		return withNext(name, err, "entraide consent list shows the consent requests asked of your State")
	}
	fmt.Fprintf(e.stdout, "Consent %s %s; %s is told.\n", out.ID, out.Status, out.AskingState)
	return nil
}

func cmdConsentGrant(ctx context.Context, e env, args []string) error {
	return answerConsent(ctx, e, args, true)
}

func cmdConsentRefuse(ctx context.Context, e env, args []string) error {
	return answerConsent(ctx, e, args, false)
}
