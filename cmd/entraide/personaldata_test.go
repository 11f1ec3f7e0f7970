package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// Art. 36 on the command line: files and requests marked as carrying
// personal data, the administrator's retention period, the central
// authority's report of what expires, an auditor's reveal.
func TestPersonalDataCommands(t *testing.T) {
	c := newCLI(t)
	c.init()
	c.startAPI()
	admin := c.official("--id", "fra-admin", "--name", "Anne Admin", "--role", "administrator")
	ca := c.official("--id", "fra-ca", "--name", "Claire Dubois", "--role", "central_authority")
	auditor := c.official("--id", "fra-aud", "--name", "Paul Audit", "--role", "auditor")
	c.env["ENTRAIDE_TOKEN"] = ca
	out := c.must("request", "create", "--kind", "preservation", "--to", "VNM", "--legal-basis", "reciprocity",
		"--requesting-authority", "OCLCTIC", "--facts-summary", "Ransomware on a hospital", "--stored-data", "Logs of the account",
		"--necessity", "Logs kept 30 days", "--follow-up-intent", "A request will follow", "--offences", "10",
		"--personal-data", "yes", "--personal-data-categories", "traffic,location", "--personal-data-persons", "suspect")
	request := regexp.MustCompile(`^Created (\S+):`).FindStringSubmatch(out)[1]
	if show := c.must("request", "show", request); !strings.Contains(show, "Personal data (art. 36): traffic,location of suspect") {
		t.Errorf("request show =\n%s\nwant the marking", show)
	}
	if _, _, err := c.run("request", "create", "--kind", "preservation", "--to", "VNM", "--personal-data", "yes", "--personal-data-categories", "shoe_size"); err == nil ||
		!strings.Contains(err.Error(), "--personal-data-categories") || !strings.Contains(err.Error(), "art. 36") {
		t.Errorf("an unknown category: %v; want an error naming --data-categories and art. 36", err)
	}
	file := filepath.Join(t.TempDir(), "logs.txt")
	os.WriteFile(file, []byte("10.0.0.1 -> 10.0.0.2"), 0o600)
	c.must("evidence", "add", request, file, "--personal-data", "yes", "--personal-data-categories", "traffic", "--personal-data-persons", "suspect,witness")

	c.env["ENTRAIDE_TOKEN"] = admin
	if out := c.must("retention", "policy", "--personal-data-days", "30"); !strings.Contains(out, "30 days") || !strings.Contains(out, "1 items dated anew") {
		t.Errorf("retention policy = %q", out)
	}
	c.env["ENTRAIDE_TOKEN"] = ca
	if _, _, err := c.run("retention", "policy", "--personal-data-days", "10"); err == nil || !strings.Contains(err.Error(), "next:") {
		t.Errorf("the central authority sets the policy: %v", err)
	}
	if out := c.must("retention", "policy"); !strings.Contains(out, "30 days") {
		t.Errorf("retention policy, read = %q", out)
	}
	if out := c.must("evidence", "expiring", "--within", "31d"); !strings.Contains(out, "1 item disposed of") || !strings.Contains(out, "policy") || !strings.Contains(out, "logs.txt") {
		t.Errorf("evidence expiring =\n%s", out)
	}
	if _, _, err := c.run("evidence", "expiring", "--within", "1w"); err == nil || !strings.Contains(err.Error(), "30d") {
		t.Errorf("--within 1w: %v", err)
	}

	c.env["ENTRAIDE_TOKEN"] = auditor
	if show := c.must("request", "show", request); strings.Contains(show, "Ransomware") || !strings.Contains(show, "request reveal") {
		t.Errorf("the auditor's request show =\n%s\nwant the facts hidden and the reveal named", show)
	}
	if out := c.must("request", "reveal", request, "--reason", "complaint 2026-17"); !strings.Contains(out, "until") {
		t.Errorf("request reveal = %q", out)
	}
	if show := c.must("request", "show", request); !strings.Contains(show, "Ransomware") {
		t.Errorf("after the reveal, request show =\n%s", show)
	}
}
