package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"text/tabwriter"
	"time"

	"entraide/internal/store"
)

func cmdSecurityEvents(ctx context.Context, e env, args []string) error {
	fs := newFlags(e, "security events", "[--limit N] [--json] [flags]   (refused tokens and unverifiable envelopes, newest first)")
	st := addStorageFlags(fs, e)
	limit := fs.Int("limit", 50, "how many events to show, 1 to 10000")
	asJSON := fs.Bool("json", false, "print the events as JSON")
	if help, err := parse(e, fs, args); help || err != nil {
		return err
	}
	if *limit < 1 || *limit > 10000 {
		return errors.New("security events: --limit is a number from 1 to 10000")
	}
	_, db, err := st.openNode(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	events, err := db.SecurityEvents(ctx, *limit)
	if _, ok := store.IsPartial(err); ok {
		err = nil // marked in the list
	}
	if err != nil {
		return fmt.Errorf("security events: %w", err)
	}
	if *asJSON {
		return json.NewEncoder(e.stdout).Encode(events)
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "AT\tKIND\tREASON\tSOURCE\tCLAIMED SENDER\tDETAIL")
	for _, ev := range events {
		if ev.Unreadable != "" {
			fmt.Fprintf(tw, "UNREADABLE\t%s\t%s\t%s\t%s\t%q\n", ev.Kind, ev.Reason, ev.Source, ev.ClaimedSender, ev.Unreadable)
			continue
		}
		// Detail may quote what a stranger sent: %q keeps it on one line
		// and shows its control characters.
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%q\n", ev.At.Format(time.RFC3339), ev.Kind, ev.Reason, ev.Source, ev.ClaimedSender, ev.Detail)
	}
	return tw.Flush()
}
