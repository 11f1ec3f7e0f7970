package main

import (
	"slices"
	"strings"
	"testing"

	"entraide/internal/keeper"
)

// TestHelpShowsNoSecretFromTheEnvironment: --help of every command names
// the variable a secret default comes from, never its value; a help text
// is read over a shoulder and pasted into tickets.
func TestHelpShowsNoSecretFromTheEnvironment(t *testing.T) {
	secrets := map[string]string{
		"ENTRAIDE_TOKEN":    "ent_s3cr3t-token-value",
		"ENTRAIDE_DATABASE": "postgres://entraide:pa55word@db.example/entraide",
		keeper.Env:          "base64key://c2VjcmV0LWtlZXBlci1rZXktdmFsdWUtMzItYnl0ZXM=",
		"ENTRAIDE_BLOB":     "s3://bucket?region=eu-west-3&secret=blobs3cr3t",
	}
	c := newCLI(t)
	for k, v := range secrets {
		c.env[k] = v
	}
	var names []string
	for name := range commands() {
		names = append(names, name)
	}
	slices.Sort(names)
	runs := [][]string{{"request", "create", "--kind", "preservation", "--help"}}
	for _, name := range names {
		runs = append(runs, append(strings.Fields(name), "--help"))
	}
	for _, args := range runs {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			out, errOut, err := c.run(args...)
			text := out + errOut
			if err != nil {
				text += err.Error()
			}
			for name, v := range secrets {
				if strings.Contains(text, v) {
					t.Errorf("entraide %s shows the value of %s:\n%s", strings.Join(args, " "), name, text)
				}
			}
			if slices.Contains(args, "request") && !strings.Contains(text, "from ENTRAIDE_TOKEN") {
				t.Errorf("entraide %s does not say the token comes from ENTRAIDE_TOKEN:\n%s", strings.Join(args, " "), text)
			}
		})
	}
}

// TestTokenFromTheEnvironmentStillWorks: the token the help no longer
// shows is still the one the command sends.
func TestTokenFromTheEnvironmentStillWorks(t *testing.T) {
	c := requestEnv(t)
	c.must("request", "list")
	c.env["ENTRAIDE_TOKEN"] = ""
	if _, _, err := c.run("request", "list"); err == nil || !strings.Contains(err.Error(), "no API token") {
		t.Errorf("request list without a token = %v, want no API token", err)
	}
}
