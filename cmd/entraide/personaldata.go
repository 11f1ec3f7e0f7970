package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"entraide/internal/convention"
	"entraide/internal/evidence"
	"entraide/internal/node"
)

// personalData holds the flags that mark the personal data a request or
// files carry (art. 36).
type personalData struct{ carried, categories, persons *string }

func personalDataFlags(fs *flag.FlagSet, what string) personalData {
	var cats, persons []string
	for _, c := range convention.DataCategories() {
		cats = append(cats, string(c))
	}
	for _, c := range convention.PersonCategories() {
		persons = append(persons, string(c))
	}
	return personalData{
		carried: fs.String("personal-data", "", "whether "+what+" carry personal data: yes or no (art. 36; the marking travels with them to the other State)"),
		categories: fs.String("personal-data-categories", "", "the categories of personal data, comma-separated: "+strings.Join(cats, ", ")+
			" (the last five are special categories)"),
		persons: fs.String("personal-data-persons", "", "the persons the data are about, comma-separated: "+strings.Join(persons, ", ")),
	}
}

// marking returns the marking the flags give, nil for none, or an error
// naming the flag, the article and what to give.
func (p personalData) marking(cmd string) (*convention.PersonalData, error) {
	m, ps := convention.ParsePersonalData("personal_data", *p.carried, *p.categories, *p.persons)
	if len(ps) == 0 {
		return m, nil
	}
	flagOf := map[string]string{"personal_data": "--personal-data", "personal_data.carried": "--personal-data", "personal_data.categories": "--personal-data-categories", "personal_data.persons": "--personal-data-persons"}
	f := ps[0].Field
	if i := strings.Index(f, "["); i > 0 {
		f = f[:i]
	}
	return nil, fmt.Errorf("%s: %s: %s (%s)\nnext: e.g. --personal-data yes --personal-data-categories traffic,location --personal-data-persons suspect", cmd, flagOf[f], ps[0].Message, ps[0].Ref.Cite())
}

func cmdEvidenceExpiring(ctx context.Context, e env, args []string) error {
	fs := newFlags(e, "evidence expiring", "[--within 30d] [--json]   (the items of evidence your State's node disposes of within the coming days, soonest first: by their own retention date, or by the retention policy for personal data, art. 36; central authority)")
	addClientFlags(fs, e)
	within := fs.String("within", "30d", "how far ahead to look, in days: 30d, 90d... (1 to 3660)")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	if help, err := parse(e, fs, args); help || err != nil {
		return err
	}
	if _, err := evidence.ParseWithin(*within); err != nil {
		return fmt.Errorf("evidence expiring: --%s\nnext: entraide evidence expiring --within 30d", err)
	}
	c, err := clientFor(fs)
	if err != nil {
		return err
	}
	var rep node.ExpiringReport
	if err := c.do(ctx, "GET", "/api/v1/evidence/expiring?within="+url.QueryEscape(*within), nil, &rep); err != nil {
		return nextAlways("evidence expiring", err, "the report is the central authority's: run it with a central authority's token")
	}
	if *asJSON {
		return writeJSON(e.stdout, rep)
	}
	policy := "no retention policy for personal data"
	if rep.Policy.PersonalDataDays > 0 {
		policy = fmt.Sprintf("items carrying personal data are kept %d days", rep.Policy.PersonalDataDays)
	}
	items := "items"
	if len(rep.Items) == 1 {
		items = "item"
	}
	fmt.Fprintf(e.stdout, "%d %s disposed of by %s (%s).\n", len(rep.Items), items, rep.Until.Format(time.DateOnly), policy)
	if len(rep.Items) > 0 {
		tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "EXPIRES\tBY\tREQUEST\tITEM\tNAME\tPERSONAL DATA")
		for _, it := range rep.Items {
			by := "item's date"
			if it.ByPolicy {
				by = "policy"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", it.Expires.Format(time.DateOnly), by, it.RequestID, it.ID, it.Name, markingWords(it.PersonalData))
		}
		tw.Flush()
	}
	if rep.More {
		fmt.Fprintln(e.stdout, "More items expire in this period than are listed: look less far ahead with --within.")
	}
	for _, id := range rep.Unreadable {
		fmt.Fprintf(e.stderr, "item %s could not be read: its row needs repair\n", id)
	}
	return nil
}

// markingWords says what a marking says, in a line.
func markingWords(p *convention.PersonalData) string {
	switch {
	case p == nil:
		return "not marked"
	case !p.Carried:
		return "none"
	}
	var cats, persons []string
	for _, c := range p.Categories {
		cats = append(cats, string(c))
	}
	for _, c := range p.Persons {
		persons = append(persons, string(c))
	}
	return strings.Join(cats, ",") + " of " + strings.Join(persons, ",")
}

func cmdRetentionPolicy(ctx context.Context, e env, args []string) error {
	fs := newFlags(e, "retention policy", "[--personal-data-days N]   (shows your State's retention period for evidence that carries personal data, or sets it: such an item is disposed of N days after it reached the node, unless an earlier day is set for it; 0 for none; art. 36; administrators set it)")
	addClientFlags(fs, e)
	days := fs.String("personal-data-days", "", "the period in days, 1 to 36525; 0 for none (administrators)")
	if help, err := parse(e, fs, args); help || err != nil {
		return err
	}
	c, err := clientFor(fs)
	if err != nil {
		return err
	}
	if *days == "" {
		var p evidence.Policy
		if err := c.do(ctx, "GET", "/api/v1/retention/policy", nil, &p); err != nil {
			return withNext("retention policy", err, "check ENTRAIDE_URL and ENTRAIDE_TOKEN")
		}
		printPolicy(e, p, -1)
		return nil
	}
	n, err := strconv.Atoi(*days)
	if err != nil {
		return errors.New("retention policy: --personal-data-days: give a number of days, e.g. 365, or 0 for none")
	}
	var res node.PolicyResult
	if err := c.do(ctx, "PUT", "/api/v1/retention/policy", map[string]int{"personal_data_days": n}, &res); err != nil {
		return nextAlways("retention policy", err, "an administrator of your State sets the policy: run it with their token")
	}
	printPolicy(e, res.Policy, res.ItemsDated)
	return nil
}

func printPolicy(e env, p evidence.Policy, dated int) {
	if p.PersonalDataDays == 0 {
		fmt.Fprintln(e.stdout, "No retention policy for personal data: items are kept until their own retention date, or until disposed of by hand.")
	} else {
		fmt.Fprintf(e.stdout, "Items of evidence that carry personal data are disposed of %d days after they reached the node, unless an earlier day is set for them (art. 36).\n", p.PersonalDataDays)
	}
	if p.UpdatedAt != nil {
		fmt.Fprintf(e.stdout, "Set by %s on %s.\n", p.UpdatedBy, p.UpdatedAt.Format(time.DateOnly))
	}
	if dated >= 0 {
		fmt.Fprintf(e.stdout, "%d items dated anew.\n", dated)
	}
}

func cmdRequestReveal(ctx context.Context, e env, args []string) error {
	fs := newFlags(e, "request reveal", "ID --reason TEXT   (lets you, an auditor, see for 15 minutes the contents of a request and its evidence that your role shows only the marking of personal data of; the reason is kept in the audit log, art. 36)")
	addClientFlags(fs, e)
	reason := fs.String("reason", "", "why you need to see the personal data (required; kept in the audit log)")
	if help, err := parse(e, fs, args); help || err != nil {
		return err
	}
	if fs.NArg() != 1 || strings.TrimSpace(*reason) == "" {
		return errors.New("request reveal: give the request's id and --reason\nnext: entraide request reveal ID --reason \"complaint 2026-17 of the data protection authority\"")
	}
	c, err := clientFor(fs)
	if err != nil {
		return err
	}
	var rv node.Reveal
	if err := c.do(ctx, "POST", "/api/v1/requests/"+url.PathEscape(fs.Arg(0))+"/reveal", map[string]string{"reason": *reason}, &rv); err != nil {
		return nextAlways("request reveal", err, "entraide request list gives your State's requests; only auditors reveal, other roles see the contents already")
	}
	fmt.Fprintf(e.stdout, "You see the personal data of request %s until %s UTC; the reveal is in the audit log.\nnext: entraide request show %s\n", rv.Request, rv.Until.Format("2006-01-02 15:04"), rv.Request)
	return nil
}

// nextAlways is withNext, which also names the next step when the node
// refused the caller's role: these commands belong to one role each.
func nextAlways(name string, err error, next string) error {
	if _, api := errors.AsType[*apiError](err); api {
		return fmt.Errorf("%s: %w\nnext: %s", name, err, next)
	}
	return withNext(name, err, next)
}
