package main

import (
	"regexp"
	"slices"
	"strings"
	"testing"
)

// nextStep is what an error must hold to tell an official what to do: a
// command to run, a flag to give, an example, or a "next:" line.
var nextStep = regexp.MustCompile(`next: |entraide [a-z]+|--[a-z]|e\.g\.|\(see |: ask `)

// TestEveryCommandErrorNamesNextStep runs every command the way an
// official new to it would first try it: bare, on a machine with no node
// and no token, then on a node with a token but without the arguments it
// needs. Whatever fails must say what to do next.
func TestEveryCommandErrorNamesNextStep(t *testing.T) {
	// sandbox and serve start servers when they succeed; their errors are
	// tested where they are started.
	skip := []string{"sandbox", "serve"}
	var names []string
	for name := range commands() {
		if !slices.Contains(skip, name) {
			names = append(names, name)
		}
	}
	slices.Sort(names)

	bare := newCLI(t)
	ready := requestEnv(t)
	failures := 0
	for _, setting := range []struct {
		name string
		c    *cli
	}{{"no node, no token", bare}, {"a node and a token", ready}} {
		for _, name := range names {
			if setting.c == ready && name == "keys rotate" {
				continue // succeeds, and would change the keys the other commands use
			}
			t.Run(setting.name+"/"+name, func(t *testing.T) {
				args := strings.Fields(name)
				tc := &cli{t: t, env: setting.c.env}
				_, stderr, err := tc.run(args...)
				if err == nil {
					return
				}
				failures++
				if msg := err.Error() + "\n" + stderr; !nextStep.MatchString(msg) {
					t.Errorf("entraide %s = %q; want it to name the next step (a command, a flag, an example)", name, msg)
				}
			})
		}
	}
	if failures < len(names)/2 {
		t.Errorf("only %d of the commands failed; the test should see most of them fail bare", failures)
	}
}

// TestHelpShowsUnverifiedCitations: a citation not yet read against the
// authentic text is shown as unverified in --help too, as in errors.
func TestHelpShowsUnverifiedCitations(t *testing.T) {
	c := newCLI(t)
	out, _, err := c.run("request", "create", "--kind", "mla", "--help")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "art. 40(15)(f) (unverified)") {
		t.Errorf("request create --kind mla --help does not flag art. 40(15)(f) as unverified:\n%s", out)
	}
}
