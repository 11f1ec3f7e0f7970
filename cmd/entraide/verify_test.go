package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"entraide/internal/archive"
	"entraide/internal/archive/archivetest"
)

func TestVerifyCommand(t *testing.T) {
	fx := archivetest.Small(t)
	dir := t.TempDir()
	good := filepath.Join(dir, "evidence.tar")
	if err := os.WriteFile(good, fx.Archive, 0o600); err != nil {
		t.Fatal(err)
	}
	// One byte of the first evidence file changed.
	bad := filepath.Join(dir, "changed.tar")
	changed := bytes.Clone(fx.Archive)
	i := bytes.Index(changed, fx.Items["mailbox.mbox"])
	changed[i+100] ^= 1
	if err := os.WriteFile(bad, changed, 0o600); err != nil {
		t.Fatal(err)
	}
	keyFile := filepath.Join(dir, "keys.txt")
	if err := os.WriteFile(keyFile, []byte("# the exporting State's log, then a witness\n"+fx.LogKey+"\n"+fx.Witness+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c := newCLI(t)

	out := c.must("verify", good, "--key", fx.LogKey, "--key", fx.Witness)
	for _, want := range []string{"RESULT: VERIFIED", "WHAT WAS ASKED", "mailbox.mbox", "MATCHES", "Cosigned by witness"} {
		if !strings.Contains(out, want) {
			t.Errorf("entraide verify: output lacks %q:\n%s", want, out)
		}
	}
	if out2 := c.must("verify", "--key", keyFile, good); out2 != out {
		t.Errorf("entraide verify with a key file: output differs from with --key flags:\n%s", out2)
	}

	out = c.must("verify", good, "--key", fx.LogKey, "--json")
	var rep archive.Report
	if err := json.Unmarshal([]byte(out), &rep); err != nil || !rep.OK {
		t.Errorf("entraide verify --json = %v (%v), want an OK report:\n%s", rep.OK, err, out)
	}

	out, _, err := c.run("verify", bad, "--key", keyFile)
	if !errors.Is(err, errNotVerified) || exitCode(err) != 1 {
		t.Errorf("entraide verify of a changed package = %v (exit %d), want errNotVerified (exit 1)", err, exitCode(err))
	}
	for _, want := range []string{"RESULT: NOT VERIFIED", "files/001-mailbox.mbox: its SHA-256 is", "DOES NOT MATCH"} {
		if !strings.Contains(out, want) {
			t.Errorf("entraide verify of a changed package: output lacks %q:\n%s", want, out)
		}
	}

	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"no key", []string{"verify", good}, "no key given"},
		{"not a key", []string{"verify", good, "--key", "secret"}, "neither a file nor a key"},
		{"no such package", []string{"verify", filepath.Join(dir, "none.tar"), "--key", fx.LogKey}, "check the package's file name"},
		{"malformed key", []string{"verify", good, "--key", "a+b+c"}, "check the key"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, errOut, err := c.run(tc.args...)
			if err == nil || !strings.Contains(err.Error()+errOut, tc.want) {
				t.Errorf("entraide %s = %v (stderr %q), want an error saying %q", strings.Join(tc.args, " "), err, errOut, tc.want)
			}
		})
	}
}
