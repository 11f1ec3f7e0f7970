package main

import (
	"regexp"
	"strings"
	"testing"
)

// TestConsentAskItems: an item given under no_onward_transfer is refused
// in an export for a third State, naming consent ask as the next step;
// that command, run as named, asks the consent: the items' ids reach the
// node as the official gave them.
func TestConsentAskItems(t *testing.T) {
	c := requestEnv(t)
	fra := c.env["ENTRAIDE_TOKEN"]
	vnm := c.official("--id", "vnm-ca", "--name", "Nguyễn Thị Lan", "--state", "VNM", "--role", "central_authority")
	as := func(token string) { c.env["ENTRAIDE_TOKEN"] = token }

	id := regexp.MustCompile(`Created (\S+):`).FindStringSubmatch(c.must("request", "create", "--kind", "stored_data_access", "--to", "VNM", "--legal-basis", "reciprocity",
		"--requesting-authority", "OFAC", "--subject-matter", "Ransomware investigation", "--conducting-authority", "Paris prosecutor",
		"--facts-summary", "Ransomware at a hospital", "--assistance-sought", "Disclose the mailbox", "--purpose", "Identify the authors",
		"--stored-data", "Mailbox of the suspect", "--offences", "10"))
	if id == nil {
		t.Fatal("no request created")
	}
	c.must("request", "transition", id[1], "--action", "send")
	as(vnm)
	c.must("request", "transition", id[1], "--action", "acknowledge")
	c.must("request", "transition", id[1], "--action", "start")
	file := writeFile(t, "mailbox.mbox", "From: a@example.vn\n")
	item := regexp.MustCompile(`as item (\S+):`).FindStringSubmatch(c.must("evidence", "add", id[1], file))[1]
	c.must("evidence", "send", id[1], item, "--condition", "no_onward_transfer")
	as(fra)
	_, stderr, err := c.run("evidence", "export", id[1], "--for-state", "ZAF", "-o", t.TempDir()+"/p.tar")
	ask := regexp.MustCompile(`entraide consent ask (\S+) --items (\S+) --for-state ZAF`).FindStringSubmatch(errText(err) + stderr)
	if ask == nil {
		t.Fatalf("export for ZAF of an item under no_onward_transfer = %v %s; want a refusal naming consent ask", err, stderr)
	}
	out := c.must("consent", "ask", ask[1], "--items", ask[2], "--for-state", "ZAF", "--reasons", "ZAF prosecutes the buyer.")
	if strings.Contains(strings.ToLower(out), "no item") {
		t.Errorf("consent ask as the refusal named it = %q", out)
	}
	// The State asked reads the reasons it is to decide on.
	as(vnm)
	if list := c.must("consent", "list"); !strings.Contains(list, "reasons given: ZAF prosecutes the buyer.") {
		t.Errorf("consent list of the State asked does not give the reasons:\n%s", list)
	}
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
