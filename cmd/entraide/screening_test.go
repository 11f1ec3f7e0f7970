package main

import (
	"regexp"
	"strings"
	"testing"
)

// TestScreeningCommands: the administrator flags a State; the requested
// State's central authority cannot start a request from it before
// screening it with request screen, which names what comes next.
func TestScreeningCommands(t *testing.T) {
	c := requestEnv(t)
	fra := c.env["ENTRAIDE_TOKEN"]
	vnm := c.official("--id", "vnm-ca", "--name", "Nguyễn Thị Lan", "--state", "VNM", "--role", "central_authority")
	as := func(token string) { c.env["ENTRAIDE_TOKEN"] = token }

	out := c.must("screening", "flag", "FRA", "--state", "VNM", "--reason", "Reports of requests aimed at journalists")
	if !strings.Contains(out, "Flagged FRA") {
		t.Errorf("screening flag = %q", out)
	}
	if list := c.must("screening", "list"); !strings.Contains(list, "VNM") || !strings.Contains(list, "Reports of requests aimed at journalists") {
		t.Errorf("screening list =\n%s", list)
	}
	if _, stderr, err := c.run("screening", "flag", "FRA", "--state", "VNM"); err == nil || !strings.Contains(err.Error()+stderr, "reason") || !strings.Contains(err.Error()+stderr, "next:") {
		t.Errorf("screening flag without --reason = %v %s; want the reason asked, and a next step", err, stderr)
	}

	as(fra)
	id := regexp.MustCompile(`Created (\S+):`).FindStringSubmatch(c.must("request", "create", "--kind", "preservation", "--to", "VNM", "--legal-basis", "reciprocity",
		"--requesting-authority", "OFAC", "--facts-summary", "Ransomware at a hospital", "--stored-data", "Logs", "--necessity", "Logs expire",
		"--follow-up-intent", "A request follows.", "--offences", "10"))[1]
	c.must("request", "transition", id, "--action", "send")
	as(vnm)
	c.must("request", "transition", id, "--action", "acknowledge")
	if show := c.must("request", "show", id); !strings.Contains(show, "Screening for human rights needed before execution") {
		t.Errorf("request show does not say a screening is needed:\n%s", show)
	}
	if _, stderr, err := c.run("request", "transition", id, "--action", "start"); err == nil || !strings.Contains(err.Error()+stderr, "entraide request screen "+id) {
		t.Fatalf("start before screening = %v %s; want the screening named as the next step", err, stderr)
	}
	if _, stderr, err := c.run("request", "screen", id, "--considered", "discrimination", "--findings", "x", "--outcome", "cleared"); err == nil || !strings.Contains(err.Error()+stderr, "proportionality") {
		t.Errorf("request screen with one ground considered = %v %s; want the others named", err, stderr)
	}
	out = c.must("request", "screen", id, "--considered", "all", "--concerns", "discrimination", "--findings", "The person is a journalist.", "--outcome", "concerns")
	if !strings.Contains(out, "--action consult") || !strings.Contains(out, "--grounds discrimination") {
		t.Errorf("request screen with concerns = %q; want consultation and the grounds to refuse on named", out)
	}
	c.must("request", "transition", id, "--action", "consult", "--conditions", "Not to be used to identify the journalist's sources.")
	as(fra)
	c.must("request", "transition", id, "--action", "accept_conditions")
	as(vnm)
	// The concerns stand until a new screening: the step is to screen
	// again, not to wait for the other State.
	if _, stderr, err := c.run("request", "transition", id, "--action", "resume"); err == nil || !strings.Contains(err.Error()+stderr, "next: entraide request screen "+id) || strings.Contains(err.Error()+stderr, "nothing to do") {
		t.Errorf("resume after concerns = %v %s; want screening again named as the next step, and not that there is nothing to do", err, stderr)
	}
	out = c.must("request", "screen", id, "--considered", "all", "--findings", "The conditions accepted meet the concerns.", "--outcome", "cleared")
	if !strings.Contains(out, "--action resume") {
		t.Errorf("request screen cleared after a consultation = %q; want resume named", out)
	}
	if show := c.must("request", "show", id); !strings.Contains(show, "Screened by vnm-ca") || !strings.Contains(show, "cleared") {
		t.Errorf("request show does not give the latest screening:\n%s", show)
	}
	c.must("request", "transition", id, "--action", "resume")
	as(fra)
	if show := c.must("request", "show", id); strings.Contains(show, "Screen") {
		t.Errorf("the requesting State's request show mentions the screening:\n%s", show)
	}
	as(vnm)

	if out := c.must("screening", "unflag", "FRA", "--state", "VNM"); !strings.Contains(out, "Lifted the flag on FRA") {
		t.Errorf("screening unflag = %q", out)
	}
	if out := c.must("screening", "list"); !strings.Contains(out, "No State is flagged") {
		t.Errorf("screening list after unflag = %q", out)
	}
	if help := c.must("request", "screen", "--help"); !strings.Contains(help, "art. 40(22)") || !strings.Contains(help, "independent_review") {
		t.Errorf("request screen --help does not list the grounds with their articles:\n%s", help)
	}
}
