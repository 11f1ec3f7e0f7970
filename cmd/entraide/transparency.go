package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"entraide/internal/transparency"
)

func transparencyCommands() map[string]command {
	return map[string]command{
		"transparency":         {"write your State's transparency report for a period, as JSON or CSV: the export to bring to the Conference of the States Parties", cmdTransparency},
		"transparency publish": {"publish your State's transparency report at /transparency and /api/v1/transparency, or stop publishing it (--stop)", cmdTransparencyPublish},
	}
}

func cmdTransparency(ctx context.Context, e env, args []string) error {
	fs := newFlags(e, "transparency", "[--from DATE] [--to DATE] [--format json|csv] [--out FILE] [flags]")
	st := addStorageFlags(fs, e)
	from := fs.String("from", "", "first day of the period, YYYY-MM-DD (default: 1 January of last year)")
	to := fs.String("to", "", "last day of the period, YYYY-MM-DD, included (default: 31 December of last year)")
	format := fs.String("format", "json", "json, or csv (one count a line: state, from, to, side, table, code, measure, value, suppressed)")
	out := fs.String("out", "", "write the report to this file instead of the standard output")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), `Usage: entraide transparency [--from DATE] [--to DATE] [--format json|csv] [--out FILE] [flags]

Write your State's transparency report for a period: the requests sent and
received, by kind of request and by other State; how many were executed,
partially executed, refused (by ground), postponed or withdrawn, as they
stood at the end of the period; the median times to acknowledge and to
answer; how many carried conditions. A request counts in the period it was
sent in. The report holds counts, medians and codes only: a count from 1
to 4 is shown as "fewer than 5" (in JSON, null with "suppressed": true),
with a second count hidden beside it so that it cannot be worked out from
the totals. It is the export to bring to the Conference of the States
Parties (art. 57). It is written whether or not the node publishes its
report (entraide transparency publish); mind that two reports of periods
that overlap can be subtracted from each other.

`)
		fs.PrintDefaults()
	}
	if help, err := parse(e, fs, args); help || err != nil {
		return err
	}
	if *format != "json" && *format != "csv" {
		return fmt.Errorf("transparency: --format is json or csv, not %q", *format)
	}
	start, end := transparency.LastYear(time.Now())
	for _, d := range []struct {
		flag, value string
		day         *time.Time
	}{{"--from", *from, &start}, {"--to", *to, &end}} {
		if d.value == "" {
			continue
		}
		t, err := time.Parse(time.DateOnly, d.value)
		if err != nil {
			return fmt.Errorf("transparency: %s is a day, YYYY-MM-DD, such as 2025-01-01: %q is not", d.flag, d.value)
		}
		*d.day = t
	}
	n, db, err := st.openNode(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	rep, err := n.TransparencyReport(ctx, start, end)
	if err != nil {
		return withNext("transparency", err, "give a period whose --from is on or before its --to, e.g. entraide transparency --from 2025-01-01 --to 2025-12-31")
	}
	var w io.Writer = e.stdout
	if *out != "" {
		f, err := os.Create(*out)
		if err != nil {
			return fmt.Errorf("transparency: %w; give --out a file in a directory you may write to", err)
		}
		defer f.Close()
		w = f
	}
	if *format == "csv" {
		err = rep.WriteCSV(w)
	} else {
		err = rep.WriteJSON(w)
	}
	if err != nil {
		return fmt.Errorf("transparency: writing the report: %w", err)
	}
	if f, ok := w.(*os.File); ok && *out != "" {
		if err := f.Close(); err != nil {
			return fmt.Errorf("transparency: %w", err)
		}
		fmt.Fprintf(e.stderr, "Wrote %s's transparency report from %s to %s in %s.\n", rep.State, rep.From, rep.To, *out)
	}
	return nil
}

func cmdTransparencyPublish(ctx context.Context, e env, args []string) error {
	fs := newFlags(e, "transparency publish", "[--stop] [flags]")
	st := addStorageFlags(fs, e)
	stop := fs.Bool("stop", false, "stop publishing the report")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), `Usage: entraide transparency publish [--stop] [flags]

Publish your State's transparency report: anyone may then read it, without
signing in, at /transparency on the node (in the six languages) and as JSON
at /api/v1/transparency, for each calendar year that has ended. Until then
the node publishes nothing: a State may not want to publish before it
ratifies the Convention. --stop ends publication. Either is recorded in the
audit log.

`)
		fs.PrintDefaults()
	}
	if help, err := parse(e, fs, args); help || err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return errors.New("transparency publish: takes no argument but --stop; to write the report, run entraide transparency")
	}
	n, db, err := st.openNode(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	p, err := n.SetTransparencyPublication(ctx, n.Admin(), !*stop)
	if err != nil {
		return withNext("transparency publish", err, "run it as the administrator of the node's home State")
	}
	if !p.Published {
		fmt.Fprintln(e.stdout, "The transparency report is no longer published: /transparency and /api/v1/transparency answer 404.")
		return nil
	}
	fmt.Fprintf(e.stdout, "The transparency report of %s is published from now on, for each calendar year that has ended: /transparency and /api/v1/transparency.\n", n.Home())
	return nil
}
