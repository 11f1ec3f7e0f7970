package main

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"entraide/internal/casework"
)

// TestRequestListDeadlines: request list shows when a preservation ends
// and when an open alert escalates, sorts by them, filters, and says how
// many of how many it shows.
func TestRequestListDeadlines(t *testing.T) {
	c := requestEnv(t)
	vnm := c.official("--id", "vnm-247", "--name", "Trần Văn Minh", "--state", "VNM", "--role", "24_7")
	created := regexp.MustCompile(`Created (\S+):`)
	pres := created.FindStringSubmatch(c.must("request", "create", writeFile(t, "pres.json", preservationJSON)))[1]
	c.must("request", "transition", pres, "--action", "send")
	other := created.FindStringSubmatch(c.must("request", "create", writeFile(t, "pres2.json", preservationJSON)))[1]
	c.must("request", "transition", other, "--action", "send")
	fraToken := c.env["ENTRAIDE_TOKEN"]
	c.env["ENTRAIDE_TOKEN"] = vnm
	c.must("request", "transition", pres, "--action", "acknowledge")
	c.must("request", "transition", pres, "--action", "start")

	line := func(out, id string) string {
		for _, l := range strings.Split(out, "\n") {
			if strings.HasPrefix(l, id+" ") {
				return l
			}
		}
		return ""
	}
	out := c.must("request", "list")
	if !strings.Contains(out, "PRESERVED UNTIL") || !strings.Contains(out, "ALERT SLA DUE") {
		t.Fatalf("request list header =\n%s\nwant PRESERVED UNTIL and ALERT SLA DUE", out)
	}
	timePattern := regexp.MustCompile(`\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\s*$`)
	tests := []struct {
		name string
		args []string
		// check the output
		check func(out string) string
	}{
		{"art 42(1): the end of a preservation is shown", []string{"request", "list"}, func(out string) string {
			until := time.Now().UTC().AddDate(0, 0, 60).Format(time.DateOnly)
			if l := line(out, pres); !strings.Contains(l, until) {
				return "preserved request's line " + l + " has no " + until
			}
			return ""
		}},
		{"art 41: an open alert's escalation is shown", []string{"request", "list"}, func(out string) string {
			if l := line(out, other); !timePattern.MatchString(l) {
				return "unacknowledged request's line " + l + " has no SLA time"
			}
			return ""
		}},
		{"art 41: a request without an open alert shows no SLA", []string{"request", "list", "--token", fraToken}, func(out string) string {
			if l := line(out, other); !strings.HasSuffix(strings.TrimSpace(l), "-") {
				return "France's line " + l + " has an SLA, but France has no alert"
			}
			return ""
		}},
		{"art 42(1): nearest deadline first", []string{"request", "list", "--sort", "deadline"}, func(out string) string {
			if lines := strings.Split(out, "\n"); len(lines) < 2 || !strings.HasPrefix(lines[1], pres+" ") {
				return "first line is not the preservation " + pres
			}
			return ""
		}},
		{"filters by counterpart", []string{"request", "list", "--counterpart", "ZAF"}, func(out string) string {
			if strings.Contains(out, pres) || strings.Contains(out, other) {
				return "requests with France listed for ZAF"
			}
			return ""
		}},
		{"filters by text", []string{"request", "list", "--text", "HOSPITAL"}, func(out string) string {
			if line(out, pres) == "" || line(out, other) == "" {
				return "requests about a hospital not listed"
			}
			return ""
		}},
		{"an empty list says so and what to do", []string{"request", "list", "--counterpart", "ZAF"}, func(out string) string {
			if !strings.Contains(out, "0 of 0 shown") || !strings.Contains(out, "entraide request create") {
				return "no '0 of 0 shown' with the next step"
			}
			return ""
		}},
		{"a page says how many of how many", []string{"request", "list", "--limit", "1"}, func(out string) string {
			if !strings.Contains(out, "1 of 2 shown. Next page: add --cursor ") {
				return "no '1 of 2 shown' with the next cursor"
			}
			return ""
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := c.must(tt.args...)
			if msg := tt.check(out); msg != "" {
				t.Errorf("entraide %s: %s\n%s", strings.Join(tt.args, " "), msg, out)
			}
		})
	}
	for _, tt := range []struct {
		name string
		args []string
		want []string
	}{
		{"an unknown urgency names the valid ones", []string{"request", "list", "--urgency", "high"}, []string{"400", "urgency", "normal", "urgent"}},
		{"an unknown sort names the valid ones", []string{"request", "list", "--sort", "colour"}, []string{"400", "arrival", "deadline"}},
		{"a counterpart that is not a State names the form", []string{"request", "list", "--counterpart", "XX"}, []string{"400", "ISO 3166-1 alpha-3"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := c.run(tt.args...)
			for _, w := range tt.want {
				if err == nil || !strings.Contains(err.Error(), w) {
					t.Errorf("entraide %s = %v, want an error containing %q", strings.Join(tt.args, " "), err, w)
				}
			}
		})
	}
}

// TestPreservedUntilArt42Para7: once the follow-up request is decided, the
// list no longer says the data are kept until it is.
func TestPreservedUntilArt42Para7(t *testing.T) {
	pending := &casework.Request{State: casework.InProgress, Preservation: &casework.PreservationPeriod{FollowUp: "f"}}
	decided := &casework.Request{State: casework.InProgress, Preservation: &casework.PreservationPeriod{FollowUp: "f", FollowUpDecided: true}}
	closed := &casework.Request{State: casework.Closed, Preservation: &casework.PreservationPeriod{FollowUp: "f", FollowUpDecided: true}}
	if got := preservedUntil(closed); got != "ended" {
		t.Errorf("closed preservation: %q, want ended", got)
	}
	if got := preservedUntil(pending); got != "until follow-up decided" {
		t.Errorf("pending follow-up: %q", got)
	}
	if got := preservedUntil(decided); got != "follow-up decided, may end" {
		t.Errorf("decided follow-up: %q, want follow-up decided, may end", got)
	}
}

// TestListsSayWhatTheyCount: request list says "N of N shown" when one
// page holds all, its arrival dates are not named like request create's
// requested State, and alert list's footer says what its count counts.
func TestListsSayWhatTheyCount(t *testing.T) {
	c := requestEnv(t)
	vnm := c.official("--id", "vnm-ca", "--name", "Nguyễn Thị Lan", "--state", "VNM", "--role", "central_authority")
	id := regexp.MustCompile(`Created (\S+):`).FindStringSubmatch(c.must("request", "create", writeFile(t, "pres.json", preservationJSON)))[1]
	c.must("request", "transition", id, "--action", "send")

	if out := c.must("request", "list"); !strings.Contains(out, "1 of 1 shown.") {
		t.Errorf("request list of one request =\n%s\nwant 1 of 1 shown.", out)
	}
	today := time.Now().UTC().Format(time.DateOnly)
	tomorrow := time.Now().UTC().AddDate(0, 0, 1).Format(time.DateOnly)
	for _, tt := range []struct {
		name string
		args []string
		rows int
	}{
		{"arrived from today", []string{"--arrived-from", today}, 1},
		{"arrived before today", []string{"--arrived-before", today}, 0},
		{"arrived before tomorrow", []string{"--arrived-before", tomorrow}, 1},
		{"old --from still taken", []string{"--from", today}, 1},
		{"old --to still taken, on or before", []string{"--to", today}, 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			out := c.must(append([]string{"request", "list"}, tt.args...)...)
			if got := len(tableRows(out)) - 1; got != tt.rows {
				t.Errorf("request list %v = %d rows, want %d:\n%s", tt.args, got, tt.rows, out)
			}
		})
	}
	help := c.must("request", "list", "--help")
	for _, w := range []string{"--arrived-from", "--arrived-before", "old name of --arrived-from"} {
		if !strings.Contains(help, w) {
			t.Errorf("request list --help does not say %q:\n%s", w, help)
		}
	}

	c.env["ENTRAIDE_TOKEN"] = vnm
	help = c.must("alert", "list", "--help")
	for _, r := range []string{"preservation", "network_assistance", "delivery_expired", "conditions_answered", "extension_asked", "traffic_disclosed"} {
		if !strings.Contains(help, r) {
			t.Errorf("alert list --help does not list the reason %s:\n%s", r, help)
		}
	}
	out := c.must("alert", "list", "--reason", "delivery_expired")
	if !strings.Contains(out, "0 alerts shown here; 1 open in all, of every reason.") {
		t.Errorf("alert list --reason delivery_expired =\n%s\nwant its footer to say what it counts", out)
	}
	c.must("request", "transition", id, "--action", "acknowledge")
	if out := c.must("alert", "list"); !strings.Contains(out, "over 1 alert your officials acknowledged or ended by acting on the request") {
		t.Errorf("alert list after an alert ended by acknowledging its request =\n%s\nwant the time to acknowledge worded for what it counts", out)
	}
}
