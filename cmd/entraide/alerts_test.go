package main

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"entraide/internal/alerting"
	"entraide/internal/node"
)

func TestRosterCommands(t *testing.T) {
	c := newCLI(t)
	c.init()
	c.must("user", "add", "--id", "vnm-247", "--name", "Trần Văn Minh", "--state", "VNM", "--role", "24_7")
	c.must("user", "add", "--id", "fra-inv", "--name", "Enquêteur", "--role", "investigator")

	out := c.must("roster", "add", "--state", "VNM", "--user", "vnm-247", "--email", "duty@vnm.example", "--from", "2026-03-02T08:00:00Z", "--until", "2026-03-02T20:00:00+07:00")
	m := regexp.MustCompile(`^Added (\S+): vnm-247 \(24_7 of VNM\), position 1, by email, on duty from 2026-03-02T08:00:00Z until 2026-03-02T13:00:00Z\.\n$`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("roster add stdout = %q", out)
	}
	const secret = "cli-webhook-secret-0123"
	out, _, err := c.runStdin(secret+"\n", "roster", "add", "--state", "VNM", "--user", "vnm-247", "--webhook", "https://duty.vnm.example/hook", "--secret", "-")
	if err != nil || !strings.Contains(out, "position 1, by webhook, always on duty") || strings.Contains(out, secret) {
		t.Fatalf("roster add --webhook --secret - = %q, %v", out, err)
	}

	list := c.must("roster", "list")
	if lines := strings.Split(strings.TrimSpace(list), "\n"); len(lines) != 3 || !strings.HasPrefix(lines[0], "ID") || !strings.Contains(list, "https://duty.vnm.example/hook") {
		t.Errorf("roster list =\n%s\nwant a header and 2 entries", list)
	}
	var entries []alerting.Entry
	jsonOut := c.must("roster", "list", "--json")
	if err := json.Unmarshal([]byte(jsonOut), &entries); err != nil || len(entries) != 2 {
		t.Fatalf("roster list --json = %q, %v", jsonOut, err)
	}
	if strings.Contains(list+jsonOut, secret) {
		t.Errorf("roster list shows the secret")
	}
	entries, err = c.openNode().DB().Roster(t.Context(), "VNM")
	if err != nil || len(entries) != 2 || entries[1].Secret != secret && entries[0].Secret != secret {
		t.Errorf("stored roster %+v, %v; want the secret read from stdin kept", entries, err)
	}

	for _, tt := range []struct {
		name string
		args []string
		want []string
	}{
		{"no channel", []string{"roster", "add", "--state", "VNM", "--user", "vnm-247"}, []string{"--email or --webhook"}},
		{"both channels", []string{"roster", "add", "--state", "VNM", "--user", "vnm-247", "--email", "a@b.example", "--webhook", "https://x.example/"}, []string{"--email or --webhook"}},
		{"bad time", []string{"roster", "add", "--state", "VNM", "--user", "vnm-247", "--email", "a@b.example", "--from", "tomorrow"}, []string{"--from", "RFC 3339"}},
		{"until in the year 10000 in UTC", []string{"roster", "add", "--state", "VNM", "--user", "vnm-247", "--email", "a@b.example", "--until", "9999-12-31T23:00:00-05:00"}, []string{"--until", "1970 to 9999"}},
		{"art 41: an investigator", []string{"roster", "add", "--user", "fra-inv", "--email", "a@b.example"}, []string{"user", "investigator", "art. 41"}},
		{"webhook without secret", []string{"roster", "add", "--state", "VNM", "--user", "vnm-247", "--webhook", "https://x.example/"}, []string{"secret"}},
		{"webhook in clear to this machine", []string{"roster", "add", "--state", "VNM", "--user", "vnm-247", "--webhook", "http://127.0.0.1:22/", "--secret", secret}, []string{"address", "https://"}},
		{"webhook to the metadata service", []string{"roster", "add", "--state", "VNM", "--user", "vnm-247", "--webhook", "https://169.254.169.254/", "--secret", secret}, []string{"address", "169.254.169.254 is a link-local address", "--allow-private-webhooks"}},
		{"webhook to this machine, allowed, but in clear", []string{"roster", "add", "--allow-private-webhooks", "--state", "VNM", "--user", "vnm-247", "--webhook", "http://127.0.0.1:8080/", "--secret", secret}, []string{"address", "https://"}},
		{"remove without id", []string{"roster", "remove"}, []string{"one roster entry id"}},
		{"remove unknown", []string{"roster", "remove", "nope"}, []string{"not found"}},
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

	// A line is its official's State's: FRA's roster has no such line.
	if _, _, err := c.run("roster", "remove", m[1]); err == nil || !strings.Contains(err.Error(), "not found") {
		t.Errorf("roster remove of VNM's line from FRA's roster = %v, want not found", err)
	}
	if out := c.must("roster", "remove", "--state", "VNM", m[1]); !strings.HasPrefix(out, "Removed "+m[1]+": vnm-247 by email.") {
		t.Errorf("roster remove = %q", out)
	}
	if lines := strings.Split(strings.TrimSpace(c.must("roster", "list")), "\n"); len(lines) != 2 {
		t.Errorf("roster list after remove: %d lines, want 2", len(lines))
	}
}

func TestAlertCommands(t *testing.T) {
	c := requestEnv(t)
	vnmToken := c.official("--id", "vnm-247", "--name", "Trần Văn Minh", "--state", "VNM", "--role", "24_7")

	// France sends a preservation to Viet Nam, hosted on the same node.
	id := regexp.MustCompile(`Created (\S+):`).FindStringSubmatch(c.must("request", "create", writeFile(t, "pres.json", preservationJSON)))[1]
	c.must("request", "transition", id, "--action", "send")

	fraToken := c.env["ENTRAIDE_TOKEN"]
	c.env["ENTRAIDE_TOKEN"] = vnmToken
	out := c.must("alert", "list", "--open")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) < 2 || !strings.HasPrefix(lines[0], "ID") || !strings.Contains(lines[1], "preservation") || !strings.Contains(lines[1], id) || !strings.Contains(out, "1 alert shown here; 1 open in all") {
		t.Fatalf("alert list --open =\n%s\nwant VNM's alert about %s", out, id)
	}
	alertID := strings.Fields(lines[1])[0]

	out = c.must("alert", "ack", alertID)
	if !strings.HasPrefix(out, "Alert "+alertID+" (Incoming request from FRA: Expedited preservation") || !strings.Contains(out, "acknowledged by vnm-247 after") {
		t.Errorf("alert ack = %q", out)
	}
	var list node.AlertList
	if err := json.Unmarshal([]byte(c.must("alert", "list", "--json")), &list); err != nil {
		t.Fatal(err)
	}
	if list.Open != 0 || list.TimeToAck.Count != 1 || len(list.Alerts) != 1 || list.Alerts[0].TimeToAckMS == nil {
		t.Errorf("alert list --json = %+v; want one alert, acknowledged and measured", list)
	}
	if out := c.must("alert", "list"); !strings.Contains(out, "0 open. Time to acknowledge or act, over 1 alert your officials acknowledged") {
		t.Errorf("alert list = %q, want the time to acknowledge", out)
	}

	// France's central authority sees none of Viet Nam's alerts.
	for _, tt := range []struct {
		name string
		args []string
		want string
	}{
		{"another State's alert", []string{"alert", "ack", alertID, "--token", fraToken}, "404"},
		{"no id", []string{"alert", "ack"}, "one alert id"},
		{"unknown reason", []string{"alert", "list", "--reason", "boredom"}, "reason"},
	} {
		_, _, err := c.run(tt.args...)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: entraide %s = %v, want an error containing %q", tt.name, strings.Join(tt.args, " "), err, tt.want)
		}
	}
}

func TestServeAlertFlags(t *testing.T) {
	c := newCLI(t)
	c.init()
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"serve", "--addr", "127.0.0.1:0", "--smtp-addr", "localhost:25"}, "--smtp-addr and --smtp-from"},
		{[]string{"serve", "--addr", "127.0.0.1:0", "--alert-sla", "preservation=soon"}, "--alert-sla"},
		{[]string{"serve", "--addr", "127.0.0.1:0", "--smtp-addr", "localhost", "--smtp-from", "x@example.org"}, "host:port"},
	} {
		_, _, err := c.run(tt.args...)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("entraide %s = %v, want an error containing %q", strings.Join(tt.args, " "), err, tt.want)
		}
	}
}
