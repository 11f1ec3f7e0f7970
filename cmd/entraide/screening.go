package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"slices"
	"strings"
	"text/tabwriter"

	"entraide/internal/casework"
	"entraide/internal/convention"
)

// printScreeningGrounds lists the grounds a screening considers, with
// their articles and the ground for refusal a concern under each rests on.
func printScreeningGrounds(w io.Writer) {
	fmt.Fprintln(w, "\nGrounds of a screening (name each in --considered; those that raise a concern in --concerns):")
	for _, g := range convention.ScreeningGrounds("") {
		fmt.Fprintf(w, "  %-20s %s (%s); a refusal on it rests on %s\n", g.Ground, g.Description, g.Ref.Cite(), g.RefusalGround)
	}
	fmt.Fprintf(w, "\nScreened before execution: %s, and every request from a State your administrator flagged (entraide screening list).\n", kindList(convention.ScreenedKinds()))
	fmt.Fprintln(w, "cleared lets execution begin (request transition ID --action start, or --action resume after a consultation); concerns lead to consultation (--action consult, art. 40(27)), then to refusal with grounds and reasons if no condition meets them, or to a new screening.")
}

func kindList(ks []convention.Kind) string {
	names := make([]string, len(ks))
	for i, k := range ks {
		names[i] = string(k)
	}
	return strings.Join(names, ", ")
}

func cmdRequestScreen(ctx context.Context, e env, args []string) error {
	fs := newFlags(e, "request screen", "ID --considered all|GROUND,... [--concerns GROUND,...] --findings TEXT --outcome cleared|concerns [flags]")
	addClientFlags(fs, e)
	usage := fs.Usage
	fs.Usage = func() {
		usage()
		printScreeningGrounds(fs.Output())
	}
	considered := fs.String("considered", "", "the grounds you examined, comma-separated: every one of them; all names them all, and says that you examined each")
	concerns := fs.String("concerns", "", "the grounds on which you found a concern, comma-separated")
	findings := fs.String("findings", "", "what you found on each ground, and on what information; - reads it from stdin")
	outcome := fs.String("outcome", "", "cleared (execution may begin) or concerns")
	asJSON := fs.Bool("json", false, "print the screening as JSON")
	if help, err := parse(e, fs, args); help || err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return errors.New("request screen: name one request id (entraide request list shows those whose screening is needed)")
	}
	s := convention.Screening{Findings: *findings, Outcome: convention.ScreeningOutcome(*outcome)}
	if *findings == "-" {
		b, err := io.ReadAll(io.LimitReader(e.stdin, 4*convention.MaxFindingsLength+1))
		if err != nil {
			return fmt.Errorf("request screen: reading the findings from stdin: %w", err)
		}
		s.Findings = string(b)
	}
	if strings.TrimSpace(*considered) == "all" {
		for _, g := range convention.ScreeningGrounds("") {
			s.Considered = append(s.Considered, g.Ground)
		}
	} else {
		s.Considered = screeningGroundsOf(*considered)
	}
	s.ConcernsFound = screeningGroundsOf(*concerns)
	c, err := clientFor(fs)
	if err != nil {
		return err
	}
	var out casework.Screening
	if err := c.do(ctx, "POST", "/api/v1/requests/"+url.PathEscape(fs.Arg(0))+"/screenings", s, &out); err != nil {
		return withNext("request screen", err, "entraide request screen --help lists the grounds; entraide request show "+fs.Arg(0)+" shows the request")
	}
	if *asJSON {
		return writeJSON(e.stdout, out)
	}
	fmt.Fprintf(e.stdout, "Screened request %s: %s, by %s at %s.\n", out.RequestID, out.Outcome, out.ScreenedBy, out.ScreenedAt.UTC().Format("2006-01-02 15:04 UTC"))
	if out.Outcome == convention.Cleared {
		// Execution begins with start, or with resume after a
		// consultation: name the one the request allows now.
		action := "start"
		var doc requestDoc
		if err := c.do(ctx, "GET", "/api/v1/requests/"+url.PathEscape(out.RequestID), nil, &doc); err == nil && slices.Contains(doc.AllowedActions, casework.Resume) {
			action = "resume"
		}
		fmt.Fprintf(e.stdout, "next: entraide request transition %s --action %s\n", out.RequestID, action)
		return nil
	}
	grounds := make([]string, len(out.RefusalGrounds))
	for i, g := range out.RefusalGrounds {
		grounds[i] = string(g)
	}
	fmt.Fprintf(e.stdout, "next: consult the requesting State on conditions that would meet the concerns (art. 40(27)): entraide request transition %s --action consult --conditions \"...\"; if none does, refuse with --grounds %s and --reasons\n", out.RequestID, strings.Join(grounds, ","))
	return nil
}

// screeningGroundsOf splits a comma-separated list of grounds, leaving
// their checking to the node.
func screeningGroundsOf(list string) []convention.ScreeningGround {
	var out []convention.ScreeningGround
	for g := range strings.SplitSeq(list, ",") {
		if g = strings.TrimSpace(g); g != "" {
			out = append(out, convention.ScreeningGround(g))
		}
	}
	return out
}

func cmdScreeningFlag(ctx context.Context, e env, args []string) error {
	fs := newFlags(e, "screening flag", "STATE --reason TEXT [--state CODE] [flags]")
	st := addStorageFlags(fs, e)
	reason := fs.String("reason", "", "why every request from STATE is to be screened: the officials who screen read it")
	state := fs.String("state", "", "the hosted State that flags (default: the node's)")
	if help, err := parse(e, fs, args); help || err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return errors.New("screening flag: name one State, by its code (entraide states lists them)")
	}
	n, db, err := st.openNode(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	f, err := n.Flag(ctx, n.AdminOf(stateOrHome(n, *state)), fs.Arg(0), *reason)
	if err != nil {
		return withNext("screening flag "+fs.Arg(0), err, "give the State's code (entraide states NAME finds it) and --reason")
	}
	fmt.Fprintf(e.stdout, "Flagged %s: every request from it is screened before execution (%s).\n", f.State, f.Reason)
	return nil
}

func cmdScreeningUnflag(ctx context.Context, e env, args []string) error {
	fs := newFlags(e, "screening unflag", "STATE [--state CODE] [flags]")
	st := addStorageFlags(fs, e)
	state := fs.String("state", "", "the hosted State that flagged it (default: the node's)")
	if help, err := parse(e, fs, args); help || err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return errors.New("screening unflag: name one State, by its code (entraide screening list shows those flagged)")
	}
	n, db, err := st.openNode(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	f, err := n.Unflag(ctx, n.AdminOf(stateOrHome(n, *state)), fs.Arg(0))
	if err != nil {
		return withNext("screening unflag "+fs.Arg(0), err, "entraide screening list shows the States flagged")
	}
	fmt.Fprintf(e.stdout, "Lifted the flag on %s: its requests are screened only where their kind asks it.\n", f.State)
	return nil
}

func cmdScreeningList(ctx context.Context, e env, args []string) error {
	fs := newFlags(e, "screening list", "[--state CODE] [flags]")
	st := addStorageFlags(fs, e)
	state := fs.String("state", "", "list only this hosted State's flags (default: every State the node hosts)")
	if help, err := parse(e, fs, args); help || err != nil {
		return err
	}
	n, db, err := st.openNode(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	holders := n.Hosted()
	if *state != "" {
		holders = []string{stateOrHome(n, *state)}
	}
	slices.Sort(holders)
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "FLAGGED BY\tSTATE\tSINCE\tBY\tREASON")
	count := 0
	for _, h := range holders {
		flags, err := n.Flags(ctx, n.AdminOf(h))
		if err != nil {
			return fmt.Errorf("screening list: %w", err)
		}
		for _, f := range flags {
			count++
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", h, f.State, f.FlaggedAt.UTC().Format("2006-01-02"), f.FlaggedBy, f.Reason)
		}
	}
	if count == 0 {
		fmt.Fprintln(e.stdout, "No State is flagged: only real-time collection, interception and extradition are screened (entraide screening flag STATE --reason TEXT flags one).")
		return nil
	}
	return tw.Flush()
}
