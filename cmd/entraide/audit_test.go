package main

import (
	"regexp"
	"runtime"
	"strings"
	"testing"
)

// TestAuditCommand: entraide audit prints the audit log as an auditor
// reads it (time, actor, action, subject, detail), not the API's base64.
func TestAuditCommand(t *testing.T) {
	c := requestEnv(t)
	fraCA := c.env["ENTRAIDE_TOKEN"]
	id := regexp.MustCompile(`Created (\S+):`).FindStringSubmatch(c.must("request", "create", writeFile(t, "pres.json", preservationJSON)))[1]
	c.must("request", "transition", id, "--action", "send", "--note", "Sent at once.")
	c.env["ENTRAIDE_TOKEN"] = c.official("--id", "fra-audit", "--name", "Sophie Laurent", "--role", "auditor")

	out := c.must("audit")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if !strings.HasPrefix(lines[0], "SEQ") || !strings.Contains(lines[0], "ACTOR") || !strings.Contains(lines[0], "DETAIL") {
		t.Fatalf("audit header = %q", lines[0])
	}
	var send string
	for _, l := range lines {
		if strings.Contains(l, "request.send") {
			send = l
		}
	}
	// An auditor reads who did what and when; the note, which may name
	// persons, is withheld and said to be (art. 36).
	for _, w := range []string{"FRA/fra-ca", "request/" + id, "withheld (personal data, art. 36): note"} {
		if !strings.Contains(send, w) {
			t.Errorf("audit line of the send = %q, want %q in it", send, w)
		}
	}
	if strings.Contains(send, "Sent at once.") {
		t.Errorf("audit line of the send = %q, gives an auditor the note", send)
	}
	if strings.Contains(out, `eyJ`) { // the base64 of `{"`
		t.Errorf("audit prints base64:\n%s", out)
	}

	out = c.must("audit", "--limit", "1")
	seq := strings.Fields(strings.Split(out, "\n")[1])[0]
	if want := "More may follow: entraide audit --after " + seq; !strings.Contains(out, want) {
		t.Errorf("audit --limit 1 =\n%s\nwant %q", out, want)
	}
	if next := c.must("audit", "--after", seq, "--limit", "1"); strings.Contains(next, "\n"+seq+" ") {
		t.Errorf("audit --after %s repeats record %s:\n%s", seq, seq, next)
	}

	auditor := c.env["ENTRAIDE_TOKEN"]
	for _, tt := range []struct {
		name  string
		token string
		args  []string
		want  []string
	}{
		{"art 40(13): a central authority is sent to an auditor", fraCA, []string{"audit"}, []string{"audit: 403", "auditors and administrators"}},
		{"a limit out of bounds names limit", auditor, []string{"audit", "--limit", "0"}, []string{"audit: 400", "limit"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c.env["ENTRAIDE_TOKEN"] = tt.token
			_, _, err := c.run(tt.args...)
			for _, w := range tt.want {
				if err == nil || !strings.Contains(err.Error(), w) {
					t.Errorf("entraide %s = %v, want an error containing %q", strings.Join(tt.args, " "), err, w)
				}
			}
		})
	}
}

func TestVersion(t *testing.T) {
	out := newCLI(t).must("version")
	if !strings.HasPrefix(out, "entraide ") || !strings.Contains(out, runtime.Version()) {
		t.Errorf("version = %q, want entraide's version and %s", out, runtime.Version())
	}
}
