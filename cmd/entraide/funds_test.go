package main

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// TestFundsCommands: an investigator opens a case, imports a bank
// statement and a CSV export given as files (each added as evidence
// first), traces the victim's payment by its reference and reads the
// trace again; a second import of an item is refused, naming why, and a
// file that does not read names its line.
func TestFundsCommands(t *testing.T) {
	c := requestEnv(t)
	ca := c.env["ENTRAIDE_TOKEN"]
	inv := c.official("--id", "fra-inv", "--name", "Julien Moreau", "--role", "investigator")
	id := regexp.MustCompile(`Created (\S+):`).FindStringSubmatch(c.must("request", "create", "--kind", "stored_data_access", "--to", "VNM", "--legal-basis", "reciprocity",
		"--requesting-authority", "OFAC", "--subject-matter", "Romance scam", "--conducting-authority", "Lyon prosecutor",
		"--facts-summary", "Victims paid a fake suitor", "--assistance-sought", "Bank statements", "--purpose", "Trace the funds",
		"--stored-data", "Statements of the accounts", "--offences", "10"))
	if id == nil {
		t.Fatal("no request created")
	}
	request := id[1]
	c.env["ENTRAIDE_TOKEN"] = inv

	out := c.must("funds", "case", "create", "--title", "Romance scam, Lyon", "--reference", "PNC-2026-17")
	m := regexp.MustCompile(`Opened case (\S+):`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("funds case create = %q", out)
	}
	caseID := m[1]
	if !strings.Contains(out, "next: entraide funds import --case "+caseID) {
		t.Errorf("funds case create does not name the next step:\n%s", out)
	}

	camt, err := os.ReadFile("../../internal/funds/records/testdata/camt053_v08.xml")
	if err != nil {
		t.Fatal(err)
	}
	out = c.must("funds", "import", "--case", caseID, "--request", request, "--file", writeFile(t, "camt053.xml", string(camt)), "--format", "camt.053")
	item := regexp.MustCompile(`as item (\S+) of request`).FindStringSubmatch(out)
	if item == nil || !strings.Contains(out, "Imported 6 transfers") {
		t.Fatalf("funds import --file = %q; want the item added, then 6 transfers imported", out)
	}
	_, _, err = c.run("funds", "import", "--case", caseID, "--request", request, "--item", item[1], "--format", "camt.053")
	if err == nil || !strings.Contains(err.Error(), "imported into case") {
		t.Errorf("a second import of item %s = %v; want it refused, naming the earlier import", item[1], err)
	}

	mapping := writeFile(t, "zeta.json", `{"has_header": true, "date": "date", "date_layout": "2006-01-02", "amount": "amount", "decimal_separator": ".",
		"currency": "currency", "counterparty_account": "counterparty", "counterparty_name": "name", "reference": "reference",
		"account_id": "DE89370400440532013000", "account_bank": "COBADEFFXXX", "account_holder": "Delta Holding GmbH"}`)
	c.must("funds", "mapping", "save", "delta-bank", mapping)
	if _, _, err := c.run("funds", "mapping", "save", "delta-bank", mapping); err == nil || !strings.Contains(err.Error(), "next: save it under another NAME, such as delta-bank-2") {
		t.Errorf("a mapping saved twice under one name = %v, want the next step to choose another name", err)
	}
	if list := c.must("funds", "mapping", "list"); !strings.Contains(list, "delta-bank") {
		t.Errorf("funds mapping list = %q", list)
	}
	csv := writeFile(t, "delta.csv", "date,amount,currency,counterparty,name,reference\n2024-03-11,-9000.00,EUR,CH9300762011623852957,Zeta Services AG,INV 2024/11\n")
	out = c.must("funds", "import", "--case", caseID, "--request", request, "--file", csv, "--format", "csv", "--mapping", "delta-bank")
	if !strings.Contains(out, "Imported 1 transfer") {
		t.Errorf("funds import csv = %q", out)
	}
	broken := writeFile(t, "broken.csv", "date,amount,currency,counterparty,name,reference\n2024-03-12,lots,EUR,CH9300762011623852957,Zeta,X\n")
	_, _, err = c.run("funds", "import", "--case", caseID, "--request", request, "--file", broken, "--format", "csv", "--mapping", "delta-bank")
	if err == nil || !strings.Contains(err.Error(), "line 2") || !strings.Contains(err.Error(), "next:") {
		t.Errorf("import of a broken CSV = %v; want its line named and the next step", err)
	}

	accounts := c.must("funds", "accounts", "--case", caseID)
	if n := strings.Count(accounts, "DE89370400440532013000"); n != 1 {
		t.Errorf("Delta's account is listed %d times, want once (merged):\n%s", n, accounts)
	}

	for _, tc := range []struct{ args, want []string }{
		{[]string{"--rule", "fifo"}, []string{"give --currency", "such as EUR", "funds rates load"}},
		{[]string{"--currency", "EUR"}, []string{"give --rule", "fifo", "pro_rata", "libr"}},
	} {
		_, _, err := c.run(append([]string{"funds", "trace", "--case", caseID, "--from", "INV-2024-0042"}, tc.args...)...)
		for _, w := range tc.want {
			if err == nil || !strings.Contains(err.Error(), w) {
				t.Errorf("funds trace %v = %v, want it to say %q", tc.args, err, w)
			}
		}
	}
	// The rule and currency as an official may type them.
	out = c.must("funds", "trace", "--case", caseID, "--from", "INV-2024-0042", "--rule", "FIFO", "--currency", "eur")
	for _, want := range []string{"first in, first out", "50,000.00 traced", "Where the funds are, per State:", "CHE", "Hops", "item " + item[1]} {
		if !strings.Contains(out, want) {
			t.Errorf("funds trace does not say %q:\n%s", want, out)
		}
	}
	trace := regexp.MustCompile(`Trace (\S+) of case`).FindStringSubmatch(out)
	if trace == nil {
		t.Fatalf("funds trace = %q", out)
	}
	if again := c.must("funds", "trace", "show", "--case", caseID, trace[1]); !strings.Contains(again, "Per account:") || !strings.Contains(again, "HOP  TIME (UTC)") {
		t.Errorf("funds trace show = %q", again)
	}
	if show := c.must("funds", "case", "show", caseID); !strings.Contains(show, "Traces (1)") || !strings.Contains(show, "Imports (2)") {
		t.Errorf("funds case show = %q", show)
	}
	_, _, err = c.run("funds", "trace", "--case", caseID, "--from", "INV-2024-0042", "--rule", "lifo", "--currency", "EUR")
	if err == nil || !strings.Contains(err.Error(), "rule") {
		t.Errorf("a trace by an unknown rule = %v; want the rule named", err)
	}

	// Viet Nam's official finds nothing of France's case.
	c.env["ENTRAIDE_TOKEN"] = c.official("--id", "vnm-ca", "--name", "Nguyễn Thị Lan", "--state", "VNM", "--role", "central_authority")
	if _, _, err := c.run("funds", "case", "show", caseID); err == nil || !strings.Contains(err.Error(), "next:") {
		t.Errorf("VNM shows FRA's case: %v; want not found, with the next step", err)
	}
	c.env["ENTRAIDE_TOKEN"] = ca
}
