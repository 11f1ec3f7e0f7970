package main

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// TestRecoveryCommands: from a trace, the central authority drafts the
// freezing requests, reads the assets, records their freezing,
// confiscation and return, and reads the dashboard; running the freeze
// again drafts nothing new. (Sending a draft is the node's test: the
// trace's funds sit in States this node has no peer for.)
func TestRecoveryCommands(t *testing.T) {
	c := requestEnv(t)
	request := regexp.MustCompile(`Created (\S+):`).FindStringSubmatch(c.must("request", "create", "--kind", "stored_data_access", "--to", "VNM", "--legal-basis", "reciprocity",
		"--requesting-authority", "OFAC", "--subject-matter", "Romance scam", "--conducting-authority", "Lyon prosecutor",
		"--facts-summary", "Victims paid a fake suitor", "--assistance-sought", "Bank statements", "--purpose", "Trace the funds",
		"--stored-data", "Statements of the accounts", "--offences", "10"))[1]
	caseID := regexp.MustCompile(`Opened case (\S+):`).FindStringSubmatch(c.must("funds", "case", "create", "--title", "Romance scam, Lyon"))[1]
	camt, err := os.ReadFile("../../internal/funds/records/testdata/camt053_v08.xml")
	if err != nil {
		t.Fatal(err)
	}
	c.must("funds", "import", "--case", caseID, "--request", request, "--file", writeFile(t, "camt053.xml", string(camt)), "--format", "camt.053")
	trace := regexp.MustCompile(`Trace (\S+) of case`).FindStringSubmatch(c.must("funds", "trace", "--case", caseID, "--from", "INV-2024-0042", "--rule", "fifo", "--currency", "EUR"))[1]

	if _, _, err := c.run("funds", "freeze", "--case", caseID, "--trace", trace, "--offences", "13"); err == nil || !strings.Contains(err.Error(), "facts") || !strings.Contains(err.Error(), "next:") {
		t.Errorf("funds freeze without facts = %v; want the facts asked, and the next step", err)
	}
	freeze := []string{"funds", "freeze", "--case", caseID, "--trace", trace, "--facts", "Victims paid a fake suitor 50,000 EUR.", "--authority", "Parquet de Lyon", "--offences", "13", "--legal-basis", "reciprocity"}
	out := c.must(freeze...)
	draft := regexp.MustCompile(`Drafted: freezing request (\S+) to (\S+), ([0-9,.]+) EUR`).FindStringSubmatch(out)
	if draft == nil || !strings.Contains(out, "next: check the draft (entraide request show "+draft[1]+")") || !strings.Contains(out, "--action send") {
		t.Fatalf("funds freeze =\n%s\nwant a draft with its State, amount and next step", out)
	}
	again := c.must(freeze...)
	if !strings.Contains(again, "Drafted before: freezing request "+draft[1]) || strings.Contains(again, "Drafted: ") {
		t.Errorf("funds freeze again =\n%s\nwant the same drafts, none new", again)
	}
	if show := c.must("request", "show", draft[1]); !strings.Contains(show, "Freezing") || !strings.Contains(show, "trace "+trace) {
		t.Errorf("request show of the draft =\n%s", show)
	}

	assets := c.must("funds", "assets", "--case", caseID)
	asset := regexp.MustCompile(`(?m)^(\S+)\s+` + draft[2] + `\s+traced\s+EUR`).FindStringSubmatch(assets)
	if asset == nil {
		t.Fatalf("funds assets =\n%s\nwant an asset in %s, traced", assets, draft[2])
	}
	if !strings.Contains(out, "In your own State, FRA: 3,987.50 EUR") || !strings.Contains(out, "not to freeze: 2,012.50 EUR") {
		t.Errorf("funds freeze =\n%s\nwant France's own funds apart, and the cash and charges said not to freeze", out)
	}
	// The cash and the charges are named for what they are and the
	// statement's account, with no asset to follow.
	if !regexp.MustCompile(`cash of \S+`).MatchString(out) || !regexp.MustCompile(`bank charges of \S+`).MatchString(out) || strings.Contains(out, "no asset yet") || strings.Contains(out, "account:") {
		t.Errorf("funds freeze =\n%s\nwant the cash and charges named by their account, without an asset", out)
	}
	// Viet Nam is hosted beside France: its draft can be sent.
	vnm := regexp.MustCompile(`freezing request (\S+) to VNM`).FindStringSubmatch(out)
	if vnm == nil {
		t.Fatalf("no draft to VNM in:\n%s", out)
	}
	c.must("request", "transition", vnm[1], "--action", "send")
	if out := c.must("funds", "assets", "--case", caseID, "--history"); !strings.Contains(out, "freezing_requested") || !strings.Contains(out, "freezing request sent to VNM") {
		t.Errorf("funds assets --history after sending =\n%s\nwant the asset in VNM freezing_requested", out)
	}
	if _, _, err := c.run("funds", "asset", "record", "--case", caseID, asset[1], "confiscated", "--amount", "10"); err == nil || !strings.Contains(err.Error(), "art. 49") {
		t.Errorf("confiscated before frozen = %v; want art. 49 cited", err)
	}
	out = c.must("funds", "asset", "record", "--case", caseID, asset[1], "frozen", "--amount", "1000", "--note", "Order 12 of the court")
	if !strings.Contains(out, "is now frozen") {
		t.Errorf("funds asset record frozen = %q", out)
	}
	c.must("funds", "asset", "record", "--case", caseID, asset[1], "confiscated", "--amount", "900")
	if _, _, err := c.run("funds", "asset", "record", "--case", caseID, asset[1], "returned", "--amount", "850", "--expenses", "50", "--victim", "V-1=851"); err == nil || !strings.Contains(err.Error(), "victims") {
		t.Errorf("victims paid more than returned = %v; want victims named", err)
	}
	out = c.must("funds", "asset", "record", "--case", caseID, asset[1], "returned", "--amount", "850", "--expenses", "50", "--victim", "V-1=600", "--victim", "V-2=250")
	if !strings.Contains(out, "returned 850.00, expenses 50.00, compensated 850.00 EUR") {
		t.Errorf("funds asset record returned = %q", out)
	}
	dash := c.must("funds", "recovery")
	if !regexp.MustCompile(`case ` + caseID + `\s+EUR\s+\d+\s+[0-9,.]+\s+1,000.00\s+0.00\s+900.00\s+850.00\s+50.00\s+850.00`).MatchString(dash) {
		t.Errorf("funds recovery =\n%s", dash)
	}
	for _, cmd := range [][]string{{"funds", "freeze"}, {"funds", "assets"}, {"funds", "asset", "add"}, {"funds", "asset", "record"}, {"funds", "recovery"}} {
		if help := c.must(append(cmd, "--help")...); !strings.Contains(help, "Usage: entraide "+strings.Join(cmd, " ")) {
			t.Errorf("%s --help = %q", strings.Join(cmd, " "), help)
		}
	}
}
