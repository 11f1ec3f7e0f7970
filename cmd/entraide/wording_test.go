package main

import (
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestWording: what the commands print reads as words for an official,
// not as the codes the API speaks.
func TestWording(t *testing.T) {
	c := requestEnv(t)
	vnm := c.official("--id", "vnm-ca", "--name", "Nguyễn Thị Lan", "--state", "VNM", "--role", "central_authority")
	id := regexp.MustCompile(`Created (\S+):`).FindStringSubmatch(c.must("request", "create", writeFile(t, "pres.json", preservationJSON)))[1]
	c.must("request", "transition", id, "--action", "send")
	c.env["ENTRAIDE_TOKEN"] = vnm

	tests := []struct {
		name    string
		args    []string
		want    []string
		notWant []string
	}{
		{"art 41: no median before any alert is acknowledged", []string{"alert", "list"},
			[]string{"None acknowledged yet"}, []string{"median 0s"}},
		// Acknowledging the request resolves its alert, so this comes after.
		{"art 40(25): an acknowledged request is said so", []string{"request", "transition", id, "--action", "acknowledge"},
			[]string{id + " is now acknowledged"}, nil},
		{"art 40(27): a request in consultation is said so", []string{"request", "transition", id, "--action", "consult"},
			[]string{id + " is now in consultation (art. 40(27))."}, []string{"is now consultation"}},
		{"art 42(5): a refusal names its grounds in words", []string{"request", "transition", id, "--action", "refuse", "--grounds", "domestic_law", "--reasons", "A court order is needed."},
			[]string{"is now refused."}, nil},
		{"art 40(21)(c): request show words the grounds of a refusal", []string{"request", "show", id},
			[]string{"Refused on these grounds:", "Domestic law would prohibit the action requested in a similar domestic case (art. 40(21)(c))", "Reasons: A court order is needed."},
			[]string{"[domestic_law]"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := c.must(tt.args...)
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Errorf("entraide %s =\n%s\nwant %q in it", strings.Join(tt.args, " "), out, w)
				}
			}
			for _, w := range tt.notWant {
				if strings.Contains(out, w) {
					t.Errorf("entraide %s =\n%s\nwant no %q in it", strings.Join(tt.args, " "), out, w)
				}
			}
		})
	}
}

// TestWordingReadsAsSentences: states, records and counts read as an
// official writes them, not as codes or dashes.
func TestWordingReadsAsSentences(t *testing.T) {
	c := requestEnv(t)
	fra := c.env["ENTRAIDE_TOKEN"]
	vnm := c.official("--id", "vnm-ca", "--name", "Nguyễn Thị Lan", "--state", "VNM", "--role", "central_authority")
	as := func(token string) { c.env["ENTRAIDE_TOKEN"] = token }
	created := regexp.MustCompile(`Created (\S+):`)
	draft := func() string {
		as(fra)
		id := created.FindStringSubmatch(c.must("request", "create", writeFile(t, "pres.json", preservationJSON)))[1]
		c.must("request", "transition", id, "--action", "send")
		as(vnm)
		c.must("request", "transition", id, "--action", "acknowledge")
		return id
	}

	accepted := draft()
	c.must("request", "transition", accepted, "--action", "consult", "--conditions", "Used only in the Lyon case.")
	as(fra)
	c.must("request", "transition", accepted, "--action", "accept_conditions")
	as(vnm)
	_, _, err := c.run("request", "transition", accepted, "--action", "refuse", "--grounds", "domestic_law", "--reasons", "No.")
	if err == nil || !strings.Contains(err.Error(), "cannot refuse a request whose conditions were accepted") {
		t.Errorf("art 40(27): refuse after conditions accepted = %v, want it worded as a sentence", err)
	}

	declined := draft()
	c.must("request", "transition", declined, "--action", "consult", "--conditions", "Used only in the Lyon case.")
	as(fra)
	c.must("request", "transition", declined, "--action", "decline_conditions", "--note", "Our courts cannot accept it.")
	_, _, err = c.run("request", "transition", declined, "--action", "decline_conditions", "--note", "Again.")
	if err == nil || !strings.Contains(err.Error(), "cannot decline the conditions of a request whose conditions were declined") {
		t.Errorf("art 40(27): decline_conditions twice = %v, want it worded as a sentence", err)
	}

	started := draft()
	c.must("request", "transition", started, "--action", "start")
	as(fra)
	later := time.Now().UTC().AddDate(0, 0, 120).Format(time.DateOnly)
	out := c.must("request", "transition", started, "--action", "ask_extension", "--until", later, "--note", "The case needs more time.")
	if want := "extension of the preservation until " + later + " asked of VNM"; !strings.Contains(out, want) {
		t.Errorf("art 42(7): ask_extension = %q, want %q", out, want)
	}

	_, _, err = c.run("request", "create", "--kind", "preservation", "--to", "QQQQQ", "--legal-basis", "reciprocity")
	if err == nil || !strings.Contains(err.Error(), "European Union. entraide states lists every code") {
		t.Errorf("request create --to QQQQQ = %v, want a sentence ending before entraide states", err)
	}

	out = c.must("treaty", "record", "--code", "DEU", "--signed", "2025-10-27", "--signed-at", "New York")
	if want := "Recorded DEU: signed 2025-10-27, no instrument deposited yet."; !strings.Contains(out, want) {
		t.Errorf("treaty record = %q, want %q", out, want)
	}
	csv := writeFile(t, "status.csv", treatyHeader+"FRA,France,state,2025-10-25,Hanoi,2026-03-02,ratification\n")
	if out = c.must("treaty", "import", csv); !strings.Contains(out, "Imported 1 record.") {
		t.Errorf("treaty import of one record = %q, want Imported 1 record.", out)
	}
}
