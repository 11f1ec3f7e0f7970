package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"
	"text/tabwriter"
	"time"

	"entraide/internal/evidence"
	"entraide/internal/node"
	"entraide/internal/store"
)

const useReportAskHelp = `REQUEST [--item ITEM]   (asks the State you gave evidence to on REQUEST what was done with it)

Your State must be the requested State, and have sent at least one item with
its answer (entraide evidence send). The question travels to the other
State's node, which answers by itself from its audit log, with no official
involved: every custody entry of each item (arrival, views, downloads,
exports, disposal, consents...), when, and the role of the official who
acted, never their name. Your node checks each entry's inclusion proof and
the signature of the other node's checkpoint against its log key before it
keeps the report, and says whether it verified.

Read the answer with: entraide evidence use-report show REQUEST`

func cmdUseReportAsk(ctx context.Context, e env, args []string) error {
	fs := newFlags(e, "evidence use-report ask", useReportAskHelp)
	addClientFlags(fs, e)
	item := fs.String("item", "", "ask about this item only, by your State's id (entraide evidence list REQUEST shows them); default: every item you sent")
	wait := fs.Duration("wait", 0, "wait up to this long for the answer and show it, e.g. 30s (default: do not wait)")
	if help, err := parse(e, fs, args); help || err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return errors.New("evidence use-report ask: give the request's id, e.g. entraide evidence use-report ask REQUEST (entraide request list shows them)")
	}
	c, err := clientFor(fs)
	if err != nil {
		return err
	}
	request := fs.Arg(0)
	var rep node.UseReport
	if err := c.do(ctx, "POST", "/api/v1/requests/"+url.PathEscape(request)+"/use-reports", map[string]string{"item": *item}, &rep); err != nil {
		return withNext("evidence use-report ask", err, "entraide request list gives your State's requests; entraide evidence list REQUEST, the items of one and whether each was sent")
	}
	if *wait <= 0 || rep.Status != store.UseAsked {
		if rep.Status == store.UseAsked {
			fmt.Fprintf(e.stdout, "Asked %s what was done with the evidence you gave on request %s (use report %s). Its node answers by itself: entraide evidence use-report show %s\n",
				rep.AskedOf, request, rep.ID, request)
			return nil
		}
		writeUseReport(e.stdout, rep)
		return nil
	}
	deadline := time.Now().Add(*wait)
	for rep.Status == store.UseAsked && time.Now().Before(deadline) {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
		if err := c.do(ctx, "GET", "/api/v1/requests/"+url.PathEscape(request)+"/use-reports/"+url.PathEscape(rep.ID), nil, &rep); err != nil {
			return withNext("evidence use-report ask", err, "entraide evidence use-report show "+request)
		}
	}
	if rep.Status == store.UseAsked {
		fmt.Fprintf(e.stdout, "%s has not answered use report %s yet (its node answers once the question reaches it): entraide evidence use-report show %s\n", rep.AskedOf, rep.ID, request)
		return nil
	}
	writeUseReport(e.stdout, rep)
	return nil
}

func cmdUseReportShow(ctx context.Context, e env, args []string) error {
	fs := newFlags(e, "evidence use-report show", "REQUEST [REPORT]   (shows the use reports your State asked on REQUEST, newest first, or one of them)\n\n"+
		"For each: whether the answer verified against the other State's log, and for each item you gave,\n"+
		"what was done with it there, when, and by an official of what role, with the entry's place in that log.\n"+
		"A report that did not verify says why, and shows nothing of what it claimed.")
	addClientFlags(fs, e)
	asJSON := fs.Bool("json", false, "print JSON")
	if help, err := parse(e, fs, args); help || err != nil {
		return err
	}
	if fs.NArg() < 1 || fs.NArg() > 2 {
		return errors.New("evidence use-report show: give the request's id, and a report's if you want one, e.g. entraide evidence use-report show REQUEST")
	}
	c, err := clientFor(fs)
	if err != nil {
		return err
	}
	path := "/api/v1/requests/" + url.PathEscape(fs.Arg(0)) + "/use-reports"
	var list []node.UseReport
	if fs.NArg() == 2 {
		var one node.UseReport
		err = c.do(ctx, "GET", path+"/"+url.PathEscape(fs.Arg(1)), nil, &one)
		list = []node.UseReport{one}
	} else {
		err = c.do(ctx, "GET", path, nil, &list)
	}
	if err != nil {
		return withNext("evidence use-report show", err, "entraide request list gives your State's requests; entraide evidence use-report show REQUEST, the reports of one")
	}
	if *asJSON {
		return writeJSON(e.stdout, list)
	}
	if len(list) == 0 {
		fmt.Fprintf(e.stdout, "No use report asked on request %s yet: entraide evidence use-report ask %s\n", fs.Arg(0), fs.Arg(0))
		return nil
	}
	for i, rep := range list {
		if i > 0 {
			fmt.Fprintln(e.stdout)
		}
		writeUseReport(e.stdout, rep)
	}
	return nil
}

// useActionWords says what a custody action of the other State means, in
// words; an action this build does not know is shown as it is.
var useActionWords = map[string]string{
	evidence.ActionIncoming:       "began to arrive from your node",
	evidence.ActionReceived:       "arrived whole, its SHA-256 checked",
	evidence.ActionRefused:        "refused on arrival",
	evidence.ActionOriginCustody:  "your custody of it checked",
	evidence.ActionViewed:         "its description viewed",
	evidence.ActionDownloaded:     "downloaded",
	evidence.ActionExported:       "exported in an evidence package",
	evidence.ActionRetention:      "its retention date set",
	evidence.ActionDisposed:       "disposed of",
	evidence.ActionDamaged:        "found damaged",
	evidence.ActionTransfer:       "sent on to another State",
	evidence.ActionTransferred:    "received whole by another State",
	evidence.ActionUseReportAsked: "your State asked for a use report",
	evidence.ActionConditions:     "your conditions recorded on it",
	evidence.ActionConsentAsked:   "your consent asked to a use",
	evidence.ActionConsentGranted: "your consent recorded",
	evidence.ActionConsentRefused: "your refusal of consent recorded",
	evidence.ActionUseRefused:     "a use your conditions bar was refused",
}

func writeUseReport(w io.Writer, rep node.UseReport) {
	what := "every item you gave"
	if rep.Item != "" {
		what = "item " + rep.Item
	}
	fmt.Fprintf(w, "Use report %s: asked of %s about %s, on %s\n", rep.ID, rep.AskedOf, what, rep.AskedAt.UTC().Format("2006-01-02 15:04 UTC"))
	switch rep.Status {
	case store.UseAsked:
		fmt.Fprintf(w, "Not answered yet: %s's node answers once the question reaches it.\n", rep.AskedOf)
		return
	case store.UseUnanswered:
		fmt.Fprintf(w, "Not answered: %s\n", rep.Problem)
		return
	case store.UseRefused:
		fmt.Fprintf(w, "Verified against %s's log: NO. The answer was refused, and nothing of it is shown: %s\n", rep.AskedOf, rep.Problem)
		return
	}
	fmt.Fprintf(w, "Verified against %s's log: yes (each entry's inclusion proof, under its checkpoint of %d records signed by its log key).\n", rep.AskedOf, rep.CheckpointSize)
	for _, it := range rep.Items {
		fmt.Fprintf(w, "\n%s (your item %s; theirs %s)\n", it.Name, it.Item, it.TheirItem)
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "  WHEN\tWHAT\tWHO\tLOG INDEX")
		for _, en := range it.Entries {
			words, ok := useActionWords[en.Action]
			if !ok {
				words = strings.ReplaceAll(strings.TrimPrefix(en.Action, "evidence."), "_", " ")
			}
			who := en.Role + " of " + en.ActorState
			if en.Role == node.RoleNode {
				who = en.ActorState + "'s node"
			}
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%d\n", en.At.UTC().Format("2006-01-02 15:04:05 UTC"), words, who, en.LeafIndex)
		}
		tw.Flush()
		if it.Omitted > 0 {
			fmt.Fprintf(w, "  (%d older entries left out to keep the answer within a message's size)\n", it.Omitted)
		}
	}
}
