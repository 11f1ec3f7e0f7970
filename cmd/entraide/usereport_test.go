package main

import (
	"regexp"
	"strings"
	"testing"
)

// TestUseReportCommands: VNM, hosted beside FRA, answers FRA's
// preservation with an item and sends it; FRA's official downloads it.
// VNM's official asks what was done with it, and reads the answer in
// words, verified against the log, with roles and not names; FRA, which
// gave nothing, is told so with the next step.
func TestUseReportCommands(t *testing.T) {
	c := newCLI(t)
	c.init()
	c.startAPI()
	fra := c.official("--id", "fra-ca", "--name", "Claire Dubois", "--role", "central_authority")
	vnm := c.official("--id", "vnm-ca", "--name", "Nguyễn Thị Lan", "--state", "VNM", "--role", "central_authority")
	c.env["ENTRAIDE_TOKEN"] = fra
	out := c.must("request", "create", writeFile(t, "pres.json", preservationJSON))
	request := regexp.MustCompile(`^Created (\S+):`).FindStringSubmatch(out)[1]
	c.must("request", "transition", request, "--action", "send")
	c.env["ENTRAIDE_TOKEN"] = vnm
	c.must("request", "transition", request, "--action", "acknowledge")
	c.must("request", "transition", request, "--action", "start")
	out = c.must("evidence", "add", request, writeFile(t, "subscriber.csv", "account,ip\nx,192.0.2.1\n"))
	item := regexp.MustCompile(`as item (\S+):`).FindStringSubmatch(out)[1]
	if out := c.must("evidence", "use-report", "show", request); !strings.Contains(out, "No use report asked on request "+request) {
		t.Errorf("use-report show before any = %q", out)
	}
	if _, _, err := c.run("evidence", "use-report", "ask", request); err == nil || !strings.Contains(err.Error(), "nothing to report on") {
		t.Errorf("use-report ask before sending = %v, want it to say there is nothing to report on", err)
	}
	c.must("evidence", "send", request, item)

	c.env["ENTRAIDE_TOKEN"] = fra
	list := c.must("evidence", "list", request)
	theirs := regexp.MustCompile(`(?m)^(\S{36})\s+subscriber\.csv`).FindStringSubmatch(list)
	if theirs == nil {
		t.Fatalf("FRA's evidence list =\n%s\nwant the item received", list)
	}
	c.must("evidence", "get", request, theirs[1], "-o", t.TempDir()+"/copy.csv")
	if _, _, err := c.run("evidence", "use-report", "ask", request); err == nil || !strings.Contains(err.Error(), "gave no evidence") || !strings.Contains(err.Error(), "art. 40") {
		t.Errorf("FRA asks = %v, want a refusal citing art. 40", err)
	}

	c.env["ENTRAIDE_TOKEN"] = vnm
	out = c.must("evidence", "use-report", "ask", request, "--item", item, "--wait", "10s")
	for _, want := range []string{"asked of FRA about item " + item, "Verified against FRA's log: yes", "subscriber.csv (your item " + item,
		"downloaded", "central_authority of FRA", "VNM's node", "arrived whole"} {
		if !strings.Contains(out, want) {
			t.Errorf("use-report ask --wait =\n%s\nwant %q", out, want)
		}
	}
	if strings.Contains(out, "fra-ca") || strings.Contains(out, "Claire Dubois") {
		t.Errorf("use-report ask names FRA's official:\n%s", out)
	}
	if out := c.must("evidence", "use-report", "show", request); !strings.Contains(out, "Verified against FRA's log: yes") {
		t.Errorf("use-report show =\n%s", out)
	}
	if out := c.must("evidence", "use-report", "show", request, "--json"); !strings.Contains(out, `"verified": true`) {
		t.Errorf("use-report show --json =\n%s", out)
	}
}
