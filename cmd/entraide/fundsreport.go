package main

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"entraide/internal/funds/report"
)

func cmdFundsTraceReport(ctx context.Context, e env, args []string) error {
	fs := newFlags(e, "funds trace report", "--case ID TRACE [-o FILE] [--lang LANG]   (writes a trace's report as a PDF)")
	addClientFlags(fs, e)
	caseID := fs.String("case", "", "the fund-tracing case the trace belongs to (entraide funds case list shows them)")
	out := fs.String("o", "", "the file to write (default: trace-TRACE-LANG.pdf in this directory)")
	lang := fs.String("lang", "en", "the language of the report's labels: "+strings.Join(report.Languages, ", "))
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), `Usage: entraide funds trace report --case ID TRACE [-o FILE] [--lang LANG]

Writes the report of a trace of stolen funds as a PDF, for the case file and
the freezing requests that follow (arts. 31, 49-52): the case, the tracing rule
and what it means, the victim payments, a picture of where the funds went, the
funds held now per State and per account, every transfer that carried them
with its evidence item, the item's SHA-256 and the place in the file, and the
payments the records do not explain. Its labels are in LANG, one of the six
official languages of the United Nations; amounts are written 1234.50 in all.

Example:
  entraide funds trace report --case CASE TRACE --lang fr -o trace.pdf

Flags:
`)
		fs.PrintDefaults()
	}
	if help, err := parse(e, fs, args); help || err != nil {
		return err
	}
	if *caseID == "" || fs.NArg() != 1 {
		return errors.New("funds trace report: give the case and the trace, e.g. entraide funds trace report --case CASE TRACE -o trace.pdf (entraide funds case show CASE lists its traces)")
	}
	trace := fs.Arg(0)
	c, err := clientFor(fs)
	if err != nil {
		return err
	}
	path := "/api/v1/funds/cases/" + url.PathEscape(*caseID) + "/traces/" + url.PathEscape(trace) + "/report.pdf?lang=" + url.QueryEscape(*lang)
	target, answered, n, err := savePDF(ctx, c, path, *out, "trace-"+trace, "funds trace report", "the report",
		"entraide funds case show "+*caseID+" lists the case's traces")
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "Wrote %s: the report of trace %s of case %s, in %s, %d bytes.\n", target, trace, *caseID, answered, n)
	return nil
}

// fundsReportCommands are the commands that print what a trace found.
func fundsReportCommands() map[string]command {
	return map[string]command{
		"funds trace report": {"write a trace's report as a PDF in one of the six UN languages: the picture, holdings per State and per account, every hop with its evidence (arts. 31, 49-52; API client)", cmdFundsTraceReport},
	}
}
