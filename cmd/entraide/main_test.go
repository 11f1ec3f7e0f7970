package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"entraide/internal/casework"
	"entraide/internal/convention"
	"entraide/internal/directory"
	"entraide/internal/evidence"
	"entraide/internal/identity"
	"entraide/internal/keeper"
	"entraide/internal/node"
	"entraide/internal/store"
	"entraide/internal/web"
)

// tokenPattern matches an API token as the commands print it.
var tokenPattern = regexp.MustCompile(`ent_[a-z2-7]{32}`)

// codePattern matches an enrolment code as the commands print it.
var codePattern = regexp.MustCompile(`enr_[a-z2-7]{32}`)

// cli runs the command with a fake environment: only the variables in env
// exist, whatever the process's own environment holds.
type cli struct {
	t   *testing.T
	env map[string]string
}

// newCLI returns a cli whose data directory is a fresh temporary one.
func newCLI(t *testing.T) *cli {
	t.Helper()
	return &cli{t: t, env: map[string]string{"ENTRAIDE_DATA_DIR": t.TempDir()}}
}

func (c *cli) getenv(name string) string { return c.env[name] }

// run runs entraide with args and an empty stdin.
func (c *cli) run(args ...string) (stdout, stderr string, err error) {
	c.t.Helper()
	return c.runStdin("", args...)
}

// runStdin runs entraide with args, reading stdin from in.
func (c *cli) runStdin(in string, args ...string) (stdout, stderr string, err error) {
	c.t.Helper()
	var out, errOut bytes.Buffer
	err = run(c.t.Context(), append([]string{"entraide"}, args...), c.getenv, strings.NewReader(in), &out, &errOut)
	return out.String(), errOut.String(), err
}

// must runs entraide with args and fails the test if it returns an error.
func (c *cli) must(args ...string) string {
	c.t.Helper()
	out, errOut, err := c.run(args...)
	if err != nil {
		c.t.Fatalf("entraide %s: %v\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), err, out, errOut)
	}
	return out
}

// init initialises a node for France hosting Viet Nam and returns the
// administrator's token.
func (c *cli) init() string {
	c.t.Helper()
	out := c.must("init", "--state", "FRA", "--host", "VNM", "--admin-name", "Admin Istrateur")
	return tokenPattern.FindString(out)
}

func (c *cli) dataDir() string { return c.env["ENTRAIDE_DATA_DIR"] }

// openNode opens the node the commands wrote, to check what they did.
func (c *cli) openNode() *node.Node {
	c.t.Helper()
	db, err := store.Open(c.t.Context(), filepath.Join(c.dataDir(), "entraide.db"))
	if err != nil {
		c.t.Fatalf("store.Open: %v", err)
	}
	c.t.Cleanup(func() { db.Close() })
	k, err := keeper.Open(c.t.Context(), c.dataDir(), "")
	if err != nil {
		c.t.Fatalf("keeper.Open: %v", err)
	}
	n, err := node.Open(c.t.Context(), db, k, nil)
	if err != nil {
		c.t.Fatalf("node.Open: %v", err)
	}
	return n
}

// startAPI serves the node in c's data directory over HTTP and points the
// request commands at it.
func (c *cli) startAPI() {
	c.t.Helper()
	c.startAPIWith(func(h http.Handler) http.Handler { return h })
}

// startAPIWith is startAPI with the node's handler wrapped by wrap.
func (c *cli) startAPIWith(wrap func(http.Handler) http.Handler) {
	c.t.Helper()
	n := c.openNode()
	v, err := openVault(c.t.Context(), c.dataDir(), "")
	if err != nil {
		c.t.Fatal(err)
	}
	c.t.Cleanup(func() { v.Close() })
	n.SetVault(v)
	srv := httptest.NewServer(wrap(web.NewServer(n, slog.New(slog.DiscardHandler), web.Config{})))
	c.t.Cleanup(srv.Close)
	c.env["ENTRAIDE_URL"] = srv.URL
	c.env["ENTRAIDE_UPLOAD_STATE"] = filepath.Join(c.dataDir(), "upload-state")
}

// official adds an official with user add (args are its flags), and
// redeems the enrolment code it prints with login, against the node
// startAPI serves, as the official would. It returns their token.
func (c *cli) official(args ...string) string {
	c.t.Helper()
	code := codePattern.FindString(c.must(append([]string{"user", "add"}, args...)...))
	token := tokenPattern.FindString(c.must("login", "--code", code))
	if code == "" || token == "" {
		c.t.Fatalf("user add %v and login gave code %q, token %q", args, code, token)
	}
	return token
}

// tableRows returns the lines of the table a list command prints, its
// header first, without the counts that follow it.
func tableRows(out string) []string {
	table, _, _ := strings.Cut(out, "\n\n")
	return strings.Split(strings.TrimSpace(table), "\n")
}

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestHelp(t *testing.T) {
	c := newCLI(t)
	out, _, err := c.run("help")
	if err != nil {
		t.Fatalf("entraide help = %v, want nil", err)
	}
	for name := range commands() {
		if !strings.Contains(out, "  "+name+" ") {
			t.Errorf("entraide help does not list %q:\n%s", name, out)
		}
	}
	if _, _, err := c.run(); !errors.Is(err, errUsage) {
		t.Errorf("entraide (no command) = %v, want errUsage", err)
	}
}

func TestCommandHelp(t *testing.T) {
	c := newCLI(t)
	for name := range commands() {
		for _, flag := range []string{"--help", "-h"} {
			t.Run(name+" "+flag, func(t *testing.T) {
				args := append(strings.Fields(name), flag)
				out, errOut, err := c.run(args...)
				if err != nil {
					t.Fatalf("entraide %s = %v, want nil", strings.Join(args, " "), err)
				}
				if want := "Usage: entraide " + name + " "; !strings.HasPrefix(out, want) {
					t.Errorf("entraide %s: stdout = %q, want it to start with %q", strings.Join(args, " "), out, want)
				}
				if errOut != "" {
					t.Errorf("entraide %s: stderr = %q, want nothing", strings.Join(args, " "), errOut)
				}
			})
		}
	}
	// Help never touches the data directory.
	if entries, _ := os.ReadDir(c.dataDir()); len(entries) > 0 {
		t.Errorf("--help wrote %d entries in the data directory", len(entries))
	}
}

func TestUnknownCommands(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want []string
	}{
		{"unknown command", []string{"frobnicate"}, []string{`unknown command "frobnicate"`, "entraide help"}},
		{"request without subcommand", []string{"request"}, []string{`"request" needs a subcommand`, "request create", "request list", "request show", "request transition"}},
		{"request with unknown subcommand", []string{"request", "delete", "x"}, []string{`"request" needs a subcommand`}},
		{"user without subcommand", []string{"user"}, []string{`"user" needs a subcommand`, "user add", "user list"}},
		{"treaty without subcommand", []string{"treaty"}, []string{`"treaty" needs a subcommand`, "treaty import", "treaty record", "treaty status"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := newCLI(t).run(tt.args...)
			if err == nil {
				t.Fatalf("entraide %s = nil, want an error", strings.Join(tt.args, " "))
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("entraide %s = %q, want it to contain %q", strings.Join(tt.args, " "), err, w)
				}
			}
		})
	}
}

// TestGroupHelp checks that a group of commands answers --help, and help
// GROUP, with each of its commands and what it does.
func TestGroupHelp(t *testing.T) {
	for _, args := range [][]string{{"funds", "--help"}, {"funds", "-h"}, {"help", "funds"}} {
		out, _, err := newCLI(t).run(args...)
		if err != nil {
			t.Errorf("entraide %s: %v", strings.Join(args, " "), err)
		}
		for _, w := range []string{"Usage: entraide funds SUBCOMMAND", "funds trace report", "funds freeze", "draft, from a trace, one freezing request"} {
			if !strings.Contains(out, w) {
				t.Errorf("entraide %s printed %q, want %q", strings.Join(args, " "), out, w)
			}
		}
	}
	out, _, err := newCLI(t).run("help", "funds", "trace")
	if err != nil || !strings.Contains(out, "Usage: entraide funds trace --case ID") {
		t.Errorf("entraide help funds trace = %v, printed %q, want the command's help", err, out)
	}
}

func TestBadFlag(t *testing.T) {
	_, errOut, err := newCLI(t).run("user", "list", "--no-such-flag")
	if !errors.Is(err, errUsage) {
		t.Errorf("entraide user list --no-such-flag = %v, want errUsage", err)
	}
	if exitCode(err) != 2 {
		t.Errorf("exitCode(%v) = %d, want 2", err, exitCode(err))
	}
	if !strings.Contains(errOut, "no-such-flag") {
		t.Errorf("stderr = %q, want it to name the flag", errOut)
	}
}

func TestInit(t *testing.T) {
	t.Run("missing flags", func(t *testing.T) {
		tests := []struct {
			name    string
			args    []string
			want    string
			notWant string
		}{
			{"none", nil, "missing --state and --admin-name", ""},
			{"no admin name", []string{"--state", "FRA"}, "missing --admin-name", "--state"},
			{"no state", []string{"--admin-name", "A"}, "missing --state", "--admin-name"},
			{"base URL in clear", []string{"--state", "FRA", "--admin-name", "A", "--base-url", "http://entraide.example.fr"}, `--base-url: "http://entraide.example.fr": want an https:// address`, ""},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				c := newCLI(t)
				_, _, err := c.run(append([]string{"init"}, tt.args...)...)
				if err == nil || !strings.Contains(err.Error(), tt.want) {
					t.Fatalf("init %v = %v, want an error containing %q", tt.args, err, tt.want)
				}
				if tt.notWant != "" && strings.Contains(err.Error(), tt.notWant) {
					t.Errorf("init %v = %q, should not name %s", tt.args, err, tt.notWant)
				}
				if _, err := os.Stat(filepath.Join(c.dataDir(), "entraide.db")); err == nil {
					t.Errorf("init %v created a database", tt.args)
				}
			})
		}
	})

	t.Run("unknown State", func(t *testing.T) {
		_, _, err := newCLI(t).run("init", "--state", "XXX", "--admin-name", "A")
		if err == nil || !strings.Contains(err.Error(), `"XXX" is not a State`) {
			t.Errorf("init --state XXX = %v, want an error naming XXX", err)
		}
	})

	t.Run("success and second init", func(t *testing.T) {
		c := newCLI(t)
		out := c.must("init", "--state", "fra", "--admin-id", "root", "--admin-name", "Admin Istrateur")
		tokens := tokenPattern.FindAllString(out, -1)
		if len(tokens) != 1 {
			t.Fatalf("init printed %d tokens, want 1:\n%s", len(tokens), out)
		}
		for _, w := range []string{"Node for France (FRA) created in " + filepath.Join(c.dataDir(), "entraide.db"), "Administrator: root", "shown once"} {
			if !strings.Contains(out, w) {
				t.Errorf("init stdout does not contain %q:\n%s", w, out)
			}
		}
		u, err := c.openNode().Authenticate(t.Context(), tokens[0])
		if err != nil || u.ID != "root" || u.Role != identity.Administrator || u.State != "FRA" {
			t.Errorf("Authenticate(printed token) = %+v, %v; want root, administrator of FRA", u, err)
		}

		out, _, err = c.run("init", "--state", "FRA", "--admin-name", "Someone Else")
		if err == nil || !strings.Contains(err.Error(), "already initialised") {
			t.Errorf("second init = %v, want an error saying the node is already initialised", err)
		}
		if tokenPattern.MatchString(out) {
			t.Errorf("second init printed a token:\n%s", out)
		}
	})

	t.Run("--data-dir overrides the environment", func(t *testing.T) {
		c := newCLI(t)
		dir := t.TempDir()
		c.must("init", "--data-dir", dir, "--state", "FRA", "--admin-name", "A")
		if _, err := os.Stat(filepath.Join(dir, "entraide.db")); err != nil {
			t.Errorf("init --data-dir %s: %v", dir, err)
		}
		if _, err := os.Stat(filepath.Join(c.dataDir(), "entraide.db")); err == nil {
			t.Errorf("init --data-dir also wrote in ENTRAIDE_DATA_DIR")
		}
	})
}

func TestCommandsBeforeInit(t *testing.T) {
	_, _, err := newCLI(t).run("user", "list")
	if err == nil || !strings.Contains(err.Error(), "entraide init") {
		t.Errorf("user list before init = %v, want an error pointing to entraide init", err)
	}
}

func TestUsersAndTokens(t *testing.T) {
	c := newCLI(t)
	adminToken := c.init()
	c.startAPI()

	// The finding "an administrator can act as any official": user add
	// prints a one-time code, never a token.
	out := c.must("user", "add", "--id", "fra-ca", "--name", "Claire Dubois", "--role", "central_authority")
	if want := "Added fra-ca (Claire Dubois), central_authority of FRA.\nEnrolment code for fra-ca: "; !strings.HasPrefix(out, want) {
		t.Errorf("user add stdout = %q, want it to start with %q", out, want)
	}
	if tokenPattern.MatchString(out) {
		t.Errorf("user add printed a token: %q", out)
	}
	if _, _, err := c.run("user", "add", "--id", "x0", "--name", "X", "--role", "auditor", "--token"); err == nil {
		t.Errorf("user add --token = nil, want a usage error: the flag is gone")
	}
	if _, _, err := c.run("token", "create", "fra-ca"); err == nil {
		t.Errorf("token create = nil, want an error: the command is gone")
	}
	code := codePattern.FindString(out)

	// The official redeems it with login, once.
	stdout, stderr, err := c.run("login", "--code", code, "--label", "laptop")
	if err != nil {
		t.Fatalf("login = %v\n%s", err, stderr)
	}
	token := tokenPattern.FindString(stdout)
	if want := "export ENTRAIDE_URL=" + c.env["ENTRAIDE_URL"] + " ENTRAIDE_TOKEN=" + token + "\n"; token == "" || stdout != want {
		t.Errorf("login stdout = %q, want %q", stdout, want)
	}
	if !strings.Contains(stderr, "Signed in as fra-ca") || tokenPattern.MatchString(stderr) {
		t.Errorf("login stderr = %q, want who signed in and no token", stderr)
	}
	n := c.openNode()
	if u, err := n.Authenticate(t.Context(), token); err != nil || u.ID != "fra-ca" {
		t.Errorf("Authenticate(token of login) = %+v, %v; want fra-ca", u, err)
	}
	if _, _, err := c.run("login", "--code", code); err == nil || !strings.Contains(err.Error(), "used already") {
		t.Errorf("login with a used code = %v, want an error saying it was used", err)
	}
	if _, _, err := c.run("login"); err == nil || !strings.Contains(err.Error(), "--code") {
		t.Errorf("login without a code = %v, want an error asking for --code", err)
	}

	// A hosted State's official, with the code on stdin.
	out = c.must("user", "add", "--id", "vnm-247", "--name", "Trần Văn Minh", "--state", "vnm", "--role", "24_7")
	if !strings.Contains(out, "24_7 of VNM") {
		t.Fatalf("user add --state vnm stdout = %q, want 24_7 of VNM", out)
	}
	stdout, _, err = c.runStdin(codePattern.FindString(out)+"\n", "login", "--code", "-")
	if err != nil || !tokenPattern.MatchString(stdout) {
		t.Fatalf("login --code - = %q, %v; want a token", stdout, err)
	}
	if u, err := n.Authenticate(t.Context(), tokenPattern.FindString(stdout)); err != nil || u.ID != "vnm-247" {
		t.Errorf("Authenticate(token of vnm-247) = %+v, %v; want vnm-247", u, err)
	}

	for _, tt := range []struct {
		name string
		args []string
		want string
	}{
		{"unknown role", []string{"--id", "x1", "--name", "X", "--role", "judge"}, `unknown role "judge"`},
		{"State not hosted", []string{"--id", "x1", "--name", "X", "--role", "auditor", "--state", "ZAF"}, `"ZAF" is not a State this node serves`},
		{"taken id", []string{"--id", "fra-ca", "--name", "X", "--role", "auditor"}, "already exists"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := c.run(append([]string{"user", "add"}, tt.args...)...)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("user add %v = %v, want an error containing %q", tt.args, err, tt.want)
			}
		})
	}

	out = c.must("user", "list")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 4 || !strings.HasPrefix(lines[0], "ID") {
		t.Fatalf("user list = %q, want a header and 3 officials", out)
	}
	for i, want := range []string{"admin ", "fra-ca ", "vnm-247 "} {
		if !strings.HasPrefix(lines[i+1], want) {
			t.Errorf("user list line %d = %q, want it to start with %q", i+2, lines[i+1], want)
		}
	}

	// A second device: a new code, a second token.
	out = c.must("user", "enrol", "fra-ca")
	phone := tokenPattern.FindString(c.must("login", "--code", codePattern.FindString(out), "--label", "phone"))
	if _, _, err := c.run("user", "enrol", "nobody"); err == nil || !strings.Contains(err.Error(), `no official "nobody" of FRA`) {
		t.Errorf("user enrol nobody = %v, want an error naming nobody", err)
	}
	if _, _, err := c.run("user", "enrol"); err == nil || !strings.Contains(err.Error(), "exactly one official") {
		t.Errorf("user enrol (no user) = %v, want an error asking for one official", err)
	}

	// token list and revoke, as the official and as an administrator.
	c.env["ENTRAIDE_TOKEN"] = phone
	out = c.must("token", "list")
	lines = strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 || !strings.Contains(lines[1], "laptop") || !strings.Contains(lines[2], "phone") || !strings.Contains(lines[0], "LAST USED") {
		t.Fatalf("token list = %q, want a header, laptop and phone", out)
	}
	laptopID := strings.Fields(lines[1])[0]
	if out := c.must("token", "revoke", laptopID); !strings.Contains(out, "Token "+laptopID+" of fra-ca (laptop) is revoked") {
		t.Errorf("token revoke = %q", out)
	}
	c.env["ENTRAIDE_TOKEN"] = token
	if _, _, err := c.run("token", "list"); err == nil || !strings.Contains(err.Error(), "401") {
		t.Errorf("token list with the revoked laptop token = %v, want a 401", err)
	}
	c.env["ENTRAIDE_TOKEN"] = adminToken
	if out := c.must("token", "list", "fra-ca"); !strings.Contains(out, "phone") {
		t.Errorf("token list fra-ca as the administrator = %q, want the phone token", out)
	}
	phoneID := identity.ShortID(identity.Digest(phone))
	if out := c.must("token", "revoke", phoneID, "--user", "fra-ca"); !strings.Contains(out, "is revoked") {
		t.Errorf("token revoke --user fra-ca = %q", out)
	}
	c.env["ENTRAIDE_TOKEN"] = phone
	if _, _, err := c.run("token", "list"); err == nil || !strings.Contains(err.Error(), "revoked") {
		t.Errorf("token list with a revoked token = %v, want a 401 saying it was revoked", err)
	}

	// user disable and enable.
	if out := c.must("user", "disable", "vnm-247", "--state", "VNM"); !strings.Contains(out, "vnm-247 (Trần Văn Minh) is disabled") {
		t.Errorf("user disable = %q", out)
	}
	if out := c.must("user", "list", "--state", "VNM"); !strings.Contains(out, "DISABLED") || strings.Contains(strings.Split(out, "\n")[1], " - ") {
		t.Errorf("user list after disable = %q, want vnm-247 disabled", out)
	}
	if _, _, err := c.run("user", "disable", "vnm-247"); err == nil || !strings.Contains(err.Error(), "--state") {
		t.Errorf("user disable of VNM's official without --state = %v, want a hint at --state", err)
	}
	if out := c.must("user", "enable", "vnm-247", "--state", "VNM"); !strings.Contains(out, "is enabled") {
		t.Errorf("user enable = %q", out)
	}
}

func TestTreatyStatus(t *testing.T) {
	c := newCLI(t)
	c.init()

	out := c.must("treaty", "status")
	// Art. 65: the status says as of when, from which records, and that
	// they are partial, naming where to update them.
	for _, w := range []string{"United Nations Convention against Cybercrime", "Entry into force:       not yet: 0 of 40", "Instruments that count: 0 of 40",
		"As of:                  20", "from records last changed on this node at 20",
		"Partial data:           the authoritative status is the UN Treaty Collection, chapter XVIII-16 (treaties.un.org); update these records with entraide treaty import or treaty record"} {
		if !strings.Contains(out, w) {
			t.Errorf("treaty status does not contain %q:\n%s", w, out)
		}
	}
	if strings.Contains(out, "FRA") {
		t.Errorf("treaty status without --all lists participants:\n%s", out)
	}

	var st directory.TreatyStatus
	if err := json.Unmarshal([]byte(c.must("treaty", "status", "--json")), &st); err != nil {
		t.Fatalf("treaty status --json: %v", err)
	}
	if st.Summary != "not yet: 0 of 40" || st.Required != 40 || st.Instruments != 0 || st.Signatories == 0 {
		t.Errorf("treaty status --json = summary %q, %d of %d, %d signatories; want not yet: 0 of 40 and some signatories",
			st.Summary, st.Instruments, st.Required, st.Signatories)
	}

	out = c.must("treaty", "status", "--all")
	if !regexp.MustCompile(`(?m)^FRA\s+France\s+2025-10-25\s+-`).MatchString(out) {
		t.Errorf("treaty status --all does not list France's signature:\n%s", out)
	}
}

const treatyHeader = "code,participant,kind,signed,signed_at,ratified,instrument\n"

func TestTreatyImport(t *testing.T) {
	c := newCLI(t)
	c.init()

	t.Run("bad file", func(t *testing.T) {
		bad := writeFile(t, "bad.csv", "# a comment\n"+treatyHeader+
			"FRA,France,state,2025-10-25,Hanoi,2026-03-02,ratification\n"+
			"VNM,Viet Nam,state,2025-10-25,Hanoi,2026-02-30,ratification\n")
		out, _, err := c.run("treaty", "import", bad)
		if err == nil {
			t.Fatalf("treaty import of a file with 2026-02-30 = nil, want an error\n%s", out)
		}
		for _, w := range []string{"nothing imported", "line 4", `column "ratified"`, `"2026-02-30" is not a date`} {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("treaty import error = %q, want it to contain %q", err, w)
			}
		}
		if exitCode(err) == 0 {
			t.Errorf("exitCode(%v) = 0, want non-zero", err)
		}
		// The good row before the bad one is not recorded either.
		if out := c.must("treaty", "status"); !strings.Contains(out, "not yet: 0 of 40") {
			t.Errorf("after a failed import, treaty status =\n%s\nwant still not yet: 0 of 40", out)
		}
	})

	t.Run("missing file", func(t *testing.T) {
		_, _, err := c.run("treaty", "import", filepath.Join(t.TempDir(), "none.csv"))
		if err == nil || !strings.Contains(err.Error(), "none.csv") {
			t.Errorf("treaty import of a missing file = %v, want an error naming it", err)
		}
	})

	t.Run("good file", func(t *testing.T) {
		good := writeFile(t, "good.csv", treatyHeader+
			"FRA,France,state,2025-10-25,Hanoi,2026-03-02,ratification\n"+
			"VNM,Viet Nam,state,2025-10-25,Hanoi,2026-01-15,ratification\n")
		out := c.must("treaty", "import", good)
		for _, w := range []string{"Imported 2 records.", "not yet: 2 of 40"} {
			if !strings.Contains(out, w) {
				t.Errorf("treaty import stdout does not contain %q:\n%s", w, out)
			}
		}
	})

	t.Run("stdin", func(t *testing.T) {
		out, _, err := c.runStdin(treatyHeader+"ZAF,South Africa,state,2025-10-25,Hanoi,2026-04-01,ratification\n", "treaty", "import", "-")
		if err != nil {
			t.Fatalf("treaty import - = %v", err)
		}
		if !strings.Contains(out, "not yet: 3 of 40") {
			t.Errorf("treaty import - stdout =\n%s\nwant not yet: 3 of 40", out)
		}
	})
}

func TestTreatyRecord(t *testing.T) {
	c := newCLI(t)
	c.init()

	out := c.must("treaty", "record", "--code", "fra", "--deposited", "2026-03-02", "--instrument", "ratification")
	for _, w := range []string{"Recorded FRA: signed 2025-10-25, ratification deposited 2026-03-02.", "not yet: 1 of 40"} {
		if !strings.Contains(out, w) {
			t.Errorf("treaty record stdout does not contain %q:\n%s", w, out)
		}
	}

	for _, tt := range []struct {
		name string
		args []string
		want string
	}{
		{"not a date", []string{"--code", "VNM", "--deposited", "2026-13-01", "--instrument", "ratification"}, `deposited: "2026-13-01" is not a date`},
		{"unknown participant", []string{"--code", "XXX", "--signed", "2026-01-01"}, `"XXX" is not a participant`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := c.run(append([]string{"treaty", "record"}, tt.args...)...)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("treaty record %v = %v, want an error containing %q", tt.args, err, tt.want)
			}
		})
	}
	if out := c.must("treaty", "status"); !strings.Contains(out, "not yet: 1 of 40") {
		t.Errorf("after refused records, treaty status =\n%s\nwant not yet: 1 of 40", out)
	}
}

func TestTreatyDeclareReservation(t *testing.T) {
	c := newCLI(t)
	c.init()
	for _, tt := range []struct {
		name string
		args []string
		want []string
	}{
		{"art 42(4): an unknown reservation names the known ones",
			[]string{"--code", "VNM", "--article", "42", "--made-on", "2026-01-10", "--text", "x", "--reservation", "dual_criminality"},
			[]string{`reservation: "dual_criminality" is not a reservation the node knows; known: preservation_dual_criminality, or none`}},
		{"art 42(4): the reservation under another article names its own",
			[]string{"--code", "VNM", "--article", "40", "--made-on", "2026-01-10", "--text", "x", "--reservation", "preservation_dual_criminality"},
			[]string{`article: the reservation "preservation_dual_criminality" is made under art. 42, not art. 40`}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := c.run(append([]string{"treaty", "declare"}, tt.args...)...)
			for _, w := range tt.want {
				if err == nil || !strings.Contains(err.Error(), w) {
					t.Errorf("treaty declare %v = %v, want an error containing %q", tt.args, err, w)
				}
			}
		})
	}
	out := c.must("treaty", "declare", "--code", "vnm", "--article", "42", "--made-on", "2026-01-10",
		"--text", "Viet Nam reserves the right to refuse preservation for lack of dual criminality.", "--reservation", "preservation_dual_criminality")
	if want := "Refusals by VNM may now rely on the reservation preservation_dual_criminality."; !strings.Contains(out, want) {
		t.Errorf("treaty declare --reservation stdout does not contain %q:\n%s", want, out)
	}
	help, _, _ := c.run("treaty", "declare", "--help")
	if !strings.Contains(help, "preservation_dual_criminality (art. 42(4) (unverified))") {
		t.Errorf("treaty declare --help does not list the reservations:\n%s", help)
	}
}

// preservationJSON is a valid art. 42 request from France to Viet Nam.
const preservationJSON = `{
  "kind": "preservation",
  "requested_state": "VNM",
  "legal_basis": {"type": "reciprocity"},
  "urgency": "urgent",
  "offences": [{"article": 10}],
  "fields": {
    "requesting_authority": "Office anti-cybercriminalité (OFAC), Nanterre",
    "facts_summary": "A hospital in Lyon was hit by ransomware; the leak site is hosted in Viet Nam.",
    "stored_data": "Subscriber and traffic data of the hosting account, from 1 October 2026.",
    "necessity": "The provider keeps logs for 30 days.",
    "follow_up_intent": "France will request disclosure within 60 days."
  }
}`

// requestEnv initialises a node for France hosting Viet Nam, serves it,
// and gives c the token of France's central authority.
func requestEnv(t *testing.T) *cli {
	t.Helper()
	c := newCLI(t)
	c.init()
	c.startAPI()
	c.env["ENTRAIDE_TOKEN"] = c.official("--id", "fra-ca", "--name", "Claire Dubois", "--role", "central_authority")
	return c
}

func TestRequestCommands(t *testing.T) {
	c := requestEnv(t)

	out := c.must("request", "create", writeFile(t, "pres.json", preservationJSON))
	m := regexp.MustCompile(`^Created (\S+): Expedited preservation of stored electronic data to VNM, draft\.\n`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("request create stdout = %q, want Created ID: ... to VNM, draft.", out)
	}
	id := m[1]
	if want := "entraide request transition " + id + " --action send"; !strings.Contains(out, want) {
		t.Errorf("request create stdout = %q, want the hint %q", out, want)
	}

	var fromStdin casework.Request
	out, _, err := c.runStdin(preservationJSON, "request", "create", "--json", "-")
	if err != nil {
		t.Fatalf("request create --json - = %v", err)
	}
	if err := json.Unmarshal([]byte(out), &fromStdin); err != nil || fromStdin.ID == "" || fromStdin.ID == id {
		t.Errorf("request create --json - = %q, %v; want a second request as JSON", out, err)
	}

	out = c.must("request", "list")
	lines := tableRows(out)
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "ID") {
		t.Fatalf("request list = %q, want a header and 2 requests", out)
	}
	// Newest first.
	if !strings.HasPrefix(lines[1], fromStdin.ID+" ") || !strings.HasPrefix(lines[2], id+" ") {
		t.Errorf("request list =\n%s\nwant %s then %s", out, fromStdin.ID, id)
	}
	if !strings.Contains(lines[2], "preservation  FRA   VNM  draft  urgent") {
		t.Errorf("request list line = %q, want preservation FRA VNM draft urgent", lines[2])
	}

	var page store.Page
	if err := json.Unmarshal([]byte(c.must("request", "list", "--limit", "1", "--json")), &page); err != nil {
		t.Fatalf("request list --json: %v", err)
	}
	if len(page.Requests) != 1 || page.NextCursor == "" {
		t.Errorf("request list --limit 1 --json = %d requests, cursor %q; want 1 and a cursor", len(page.Requests), page.NextCursor)
	}

	out = c.must("request", "show", id)
	for _, w := range []string{id, "Expedited preservation of stored electronic data, from FRA to VNM", "State: draft", "Timeline:", "create", "FRA/fra-ca"} {
		if !strings.Contains(out, w) {
			t.Errorf("request show does not contain %q:\n%s", w, out)
		}
	}

	// Flags after the ID work as well as before it.
	for _, args := range [][]string{{"request", "show", id, "--json"}, {"request", "show", "--json", id}} {
		var doc requestDoc
		if err := json.Unmarshal([]byte(c.must(args...)), &doc); err != nil {
			t.Fatalf("%v: %v", args, err)
		}
		if doc.Request.ID != id || doc.Request.State != casework.Draft || len(doc.Timeline) != 1 {
			t.Errorf("%v = %s, %s, %d events; want %s, draft, 1 event", args, doc.Request.ID, doc.Request.State, len(doc.Timeline), id)
		}
	}

	// Viet Nam is hosted on this node, so the request is delivered as it
	// is sent: France's view moves on to received with it.
	if out := c.must("request", "transition", id, "--action", "send"); out != id+" is now received.\n" {
		t.Errorf("request transition --action send = %q, want %q", out, id+" is now received.\n")
	}
	var doc requestDoc
	if err := json.Unmarshal([]byte(c.must("request", "show", id, "--json")), &doc); err != nil {
		t.Fatal(err)
	}
	var actions []casework.Action
	for _, e := range doc.Timeline {
		actions = append(actions, e.Action)
	}
	if want := []casework.Action{casework.Create, casework.Send, casework.Deliver}; doc.Request.State != casework.Received || !slices.Equal(actions, want) {
		t.Errorf("after send, request = %s with timeline %v; want received with %v", doc.Request.State, actions, want)
	}

	_, _, err = c.run("request", "transition", id, "--action", "send")
	if err == nil || !strings.Contains(err.Error(), "409") {
		t.Errorf("second send = %v, want a 409 conflict", err)
	}
}

func TestRequestErrors(t *testing.T) {
	c := requestEnv(t)
	good := writeFile(t, "good.json", preservationJSON)

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	unreachable := "http://" + ln.Addr().String()
	ln.Close()

	var incomplete map[string]any
	if err := json.Unmarshal([]byte(preservationJSON), &incomplete); err != nil {
		t.Fatal(err)
	}
	delete(incomplete["fields"].(map[string]any), "necessity")
	incompleteJSON, _ := json.Marshal(incomplete)

	tests := []struct {
		name string
		env  map[string]string // overrides c.env; "" unsets
		args []string
		want []string
	}{
		{"missing token", map[string]string{"ENTRAIDE_TOKEN": ""}, []string{"request", "list"},
			[]string{"no API token", "ENTRAIDE_TOKEN"}},
		{"wrong token", map[string]string{"ENTRAIDE_TOKEN": "ent_" + strings.Repeat("a", 32)}, []string{"request", "list"},
			[]string{"request list: 401"}},
		{"unreachable URL", map[string]string{"ENTRAIDE_URL": unreachable}, []string{"request", "list"},
			[]string{"cannot reach the node at " + unreachable}},
		{"not an http URL", nil, []string{"request", "list", "--url", "ftp://example.org"},
			[]string{`--url "ftp://example.org"`}},
		{"invalid JSON file", nil, []string{"request", "create", writeFile(t, "bad.json", `{"kind": "preservation",`)},
			[]string{"bad.json is not a request's contents"}},
		{"unknown field in file", nil, []string{"request", "create", writeFile(t, "extra.json", `{"kind": "preservation", "colour": "red"}`)},
			[]string{"extra.json is not a request's contents", `unknown field "colour"`}},
		{"two JSON values in file", nil, []string{"request", "create", writeFile(t, "two.json", preservationJSON+"\n{}")},
			[]string{"two.json holds more than one JSON value"}},
		{"missing file", nil, []string{"request", "create", filepath.Join(t.TempDir(), "none.json")},
			[]string{"none.json"}},
		{"no file", nil, []string{"request", "create"},
			[]string{"name one JSON file"}},
		{"art 42(2)(e): 422 names field and article", nil, []string{"request", "create", writeFile(t, "incomplete.json", string(incompleteJSON))},
			[]string{"request create: 422", "fields.necessity", "(art. 42(2)(e) (unverified))"}},
		{"unknown request", nil, []string{"request", "show", "no-such-id"},
			[]string{"request show: 404"}},
		{"transition without action", nil, []string{"request", "transition", "some-id"},
			[]string{"--action"}},
		{"transition with a bad date", nil, []string{"request", "transition", "some-id", "--action", "start", "--until", "soon"},
			[]string{`--until: "soon" is not a date`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := map[string]string{}
			for k, v := range c.env {
				env[k] = v
			}
			for k, v := range tt.env {
				env[k] = v
			}
			tc := &cli{t: t, env: env}
			out, _, err := tc.run(tt.args...)
			if err == nil {
				t.Fatalf("entraide %s = nil, want an error\n%s", strings.Join(tt.args, " "), out)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("entraide %s = %q, want it to contain %q", strings.Join(tt.args, " "), err, w)
				}
			}
		})
	}

	// Nothing above created a request; a good file still does.
	var page store.Page
	if err := json.Unmarshal([]byte(c.must("request", "list", "--json")), &page); err != nil {
		t.Fatal(err)
	}
	if len(page.Requests) != 0 {
		t.Errorf("after the failed commands, request list has %d requests, want 0", len(page.Requests))
	}
	c.must("request", "create", good)
}

// syncBuffer is a bytes.Buffer safe for one writer and one reader at once.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func TestSandbox(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	var stdout, stderr syncBuffer
	dir := t.TempDir()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"entraide", "sandbox", "--port", "0", "--data-dir", dir},
			func(string) string { return "" }, strings.NewReader(""), &stdout, &stderr)
	}()

	// The NODE column is what ENTRAIDE_URL takes: no /api/v1 after it.
	apiLine := regexp.MustCompile(`(?m)^FRA France\s+(https://127\.0\.0\.1:\d+)\s`)
	var base string
	for deadline := time.Now().Add(30 * time.Second); base == ""; time.Sleep(10 * time.Millisecond) {
		select {
		case err := <-done:
			t.Fatalf("sandbox returned %v before serving\nstdout:\n%s\nstderr:\n%s", err, stdout.String(), stderr.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("sandbox printed no API line within 30s\nstdout:\n%s", stdout.String())
		}
		// The whole banner is written before the server starts; wait for
		// its last line so that the token table is complete.
		if out := stdout.String(); strings.Contains(out, "Press Ctrl-C") {
			if m := apiLine.FindStringSubmatch(out); m != nil {
				base = m[1]
			}
		}
	}
	out := stdout.String()
	m := regexp.MustCompile(`(?m)^fra-ca\s+FRA\s+central_authority\s+.*(ent_[a-z2-7]{32})\s+(enr_[a-z2-7]{32})$`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("sandbox output has no token and web UI enrolment code for fra-ca:\n%s", out)
	}
	token, uiCode := m[1], m[2]
	if !strings.Contains(out, base+"/ui/") {
		t.Errorf("sandbox output does not give FRA's web UI, %s/ui/:\n%s", base, out)
	}
	// One node per State, each with its own database.
	for _, state := range []string{"vnm", "fra", "zaf"} {
		if _, err := os.Stat(filepath.Join(dir, state, "entraide.db")); err != nil {
			t.Errorf("sandbox --data-dir %s: %v", dir, err)
		}
		if _, err := os.Stat(filepath.Join(dir, state, keeper.FileName)); err != nil {
			t.Errorf("sandbox node %s has no key keeper file: %v", state, err)
		}
	}
	caPEM, err := os.ReadFile(filepath.Join(dir, "ca.pem"))
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(caPEM) {
		t.Fatalf("ca.pem holds no certificate")
	}
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	resp, err := client.Get(base + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("GET /healthz = %s, want 200", resp.Status)
	}
	// The sandbox's sign-in page lists its made-up officials.
	resp, err = client.Get(base + "/ui/signin")
	if err != nil {
		t.Fatal(err)
	}
	signinPage, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(signinPage), "<code>fra-ca</code>") {
		t.Errorf("the sandbox's sign-in page does not list fra-ca:\n%s", signinPage)
	}
	// The printed enrolment code opens the web UI's enrolment.
	resp, err = client.PostForm(base+"/ui/enrol", url.Values{"code": {uiCode}})
	if err != nil {
		t.Fatal(err)
	}
	enrolPage, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(enrolPage), `id="totp-secret"`) {
		t.Errorf("POST /ui/enrol with fra-ca's code = %s, want the page that sets a password and an authenticator:\n%s", resp.Status, enrolPage)
	}

	// France holds seven of the demo requests: its preservation and its
	// follow-up to Viet Nam, South Africa's two requests to it, its
	// request for a bank statement to Viet Nam, and the two freezing
	// requests its trace drafted (to Viet Nam and South Africa, not yet
	// sent). Viet Nam's extradition request to France is a draft France
	// never received.
	req, _ := http.NewRequestWithContext(t.Context(), "GET", base+"/api/v1/requests", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err = client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var page store.Page
	err = json.NewDecoder(resp.Body).Decode(&page)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /api/v1/requests as fra-ca = %s, %v", resp.Status, err)
	}
	kinds := map[convention.Kind]int{}
	var access, realTime string
	for _, r := range page.Requests {
		kinds[r.Kind]++
		switch r.Kind {
		case convention.StoredDataAccess:
			access = r.ID
		case convention.RealTimeTraffic:
			realTime = r.ID
		}
	}
	if len(page.Requests) != 7 || kinds[convention.Preservation] != 1 || kinds[convention.StoredDataAccess] != 1 || kinds[convention.MutualAssistance] != 2 || kinds[convention.RealTimeTraffic] != 1 || kinds[convention.Freezing] != 2 {
		t.Errorf("fra-ca lists %d requests (%v), want 7: a preservation, a stored-data access, two mutual assistance, a real-time collection and two freezing drafts", len(page.Requests), kinds)
	}
	checkSandboxFunds(t, client, base, token)
	// South Africa's real-time collection waits for France's screening.
	if !slices.Contains(page.ScreeningNeeded, realTime) {
		t.Errorf("the list does not say that request %s (real-time collection) needs screening: %v", realTime, page.ScreeningNeeded)
	}
	// Viet Nam answered France's follow-up with an item under conditions,
	// which France's node holds bound by them.
	var items []evidence.Item
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		req, _ := http.NewRequestWithContext(t.Context(), "GET", base+"/api/v1/requests/"+access+"/evidence", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		items = nil
		json.NewDecoder(resp.Body).Decode(&items)
		resp.Body.Close()
		if len(items) == 1 && items[0].Status == evidence.Available || time.Now().After(deadline) {
			break
		}
	}
	if len(items) != 1 || items[0].Status != evidence.Available || len(items[0].Conditions) != 2 {
		t.Errorf("France's view of the follow-up holds %+v, want one item received under two conditions", items)
	}

	// The sandbox lets officials try a webhook receiver on this machine.
	admin := regexp.MustCompile(`(?m)^FRA France\s+https://\S+\s+https://\S+/ui/\s+\S+\s+(ent_[a-z2-7]{32})$`).FindStringSubmatch(out)
	if admin == nil {
		t.Fatalf("sandbox output has no administrator token for FRA:\n%s", out)
	}
	req, _ = http.NewRequestWithContext(t.Context(), "POST", base+"/api/v1/roster",
		strings.NewReader(`{"user": "fra-247", "channel": "webhook", "address": "https://127.0.0.1:9/hook", "secret": "0123456789abcdef"}`))
	req.Header.Set("Authorization", "Bearer "+admin[1])
	req.Header.Set("Content-Type", "application/json")
	resp, err = client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Errorf("POST /api/v1/roster with a loopback webhook in the sandbox = %s %s, want 201", resp.Status, body)
	}
	client.CloseIdleConnections()

	vnmToken := regexp.MustCompile(`(?m)^vnm-ca\s+VNM\s+central_authority\s+.*(ent_[a-z2-7]{32})\s+enr_[a-z2-7]{32}$`).FindStringSubmatch(out)
	if vnmToken == nil {
		t.Fatalf("sandbox output has no token for vnm-ca:\n%s", out)
	}
	checkSandboxCLI(t, out, dir, base, token, vnmToken[1])

	// art. 41: the demo States' rosters reach the sandbox's console, which
	// prints each alert as its webhook arrives.
	alertLine := regexp.MustCompile(`(?m)^\d\d:\d\d:\d\d [A-Z]{3} ALERT to [a-z0-9-]+ \((on call|central authority)\): .+\n  acknowledge: entraide alert ack \S+$`)
	for deadline := time.Now().Add(30 * time.Second); !alertLine.MatchString(stdout.String()); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("art 41: the sandbox's console shows no alert within 30s:\n%s", stdout.String())
		}
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("sandbox after cancel = %v, want nil", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("sandbox did not return within 30s of cancel")
	}

	// A kept sandbox starts again from its data directory, on the same
	// addresses, with its requests, and new tokens for its officials.
	ctx, cancel = context.WithCancel(t.Context())
	defer cancel()
	var again syncBuffer
	go func() {
		done <- run(ctx, []string{"entraide", "sandbox", "--data-dir", dir},
			func(string) string { return "" }, strings.NewReader(""), &again, &stderr)
	}()
	for deadline := time.Now().Add(30 * time.Second); !strings.Contains(again.String(), "Press Ctrl-C"); time.Sleep(10 * time.Millisecond) {
		select {
		case err := <-done:
			t.Fatalf("sandbox --data-dir %s (kept) = %v, want it to start again\nstdout:\n%s", dir, err, again.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("kept sandbox did not start again within 30s\nstdout:\n%s", again.String())
		}
	}
	out = again.String()
	if m := apiLine.FindStringSubmatch(out); m == nil || m[1] != base {
		t.Errorf("kept sandbox's France node = %v, want %s again\n%s", m, base, out)
	}
	m = regexp.MustCompile(`(?m)^fra-ca\s+FRA\s+central_authority\s+.*(ent_[a-z2-7]{32})\s+enr_[a-z2-7]{32}$`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("kept sandbox's output has no token for fra-ca:\n%s", out)
	}
	c := &cli{t: t, env: map[string]string{"ENTRAIDE_URL": base, "ENTRAIDE_TOKEN": m[1], "ENTRAIDE_CA": filepath.Join(dir, "ca.pem")}}
	if lines := tableRows(c.must("request", "list")); len(lines) != 8 {
		t.Errorf("request list on the kept sandbox = %d lines, want a header and France's 7 requests", len(lines))
	}
	c.env["ENTRAIDE_TOKEN"] = token
	c.must("request", "list") // the token printed before still works
	if _, _, err := (&cli{t: t, env: map[string]string{}}).run("sandbox", "--data-dir", dir, "--port", "0"); err == nil || !strings.Contains(err.Error(), "leave out --states and --port") {
		t.Errorf("sandbox --data-dir KEPT --port 0 = %v, want an error saying to leave out --port", err)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("kept sandbox after cancel = %v, want nil", err)
	}
}

// checkSandboxCLI checks that what the sandbox prints works as printed,
// and that the command line's errors against its nodes name the next step.
func checkSandboxCLI(t *testing.T, out, dir, base, token, otherNodeToken string) {
	t.Helper()
	ca := filepath.Join(dir, "ca.pem")
	if want := "export ENTRAIDE_DATA_DIR=" + filepath.Join(dir, "vnm"); !strings.Contains(out, want) {
		t.Errorf("sandbox output has no %q for the administrative commands:\n%s", want, out)
	}
	// The administrative commands work with that data directory while the
	// sandbox runs.
	admin := &cli{t: t, env: map[string]string{"ENTRAIDE_DATA_DIR": filepath.Join(dir, "fra")}}
	if got := admin.must("user", "list"); !strings.Contains(got, "fra-ca") {
		t.Errorf("user list with ENTRAIDE_DATA_DIR=%s/fra = %q, want France's officials", dir, got)
	}
	// art 41(1): France's node knows Viet Nam's 24/7 point of contact from
	// its descriptor.
	if got := admin.must("peer", "list"); !strings.Contains(got, "Cybersecurity and High-Tech Crime Prevention Department, 24/7 desk, +84 24 0000 0247") {
		t.Errorf("peer list on France's sandbox node =\n%s\nwant Viet Nam's 24/7 contact", got)
	}
	ok := &cli{t: t, env: map[string]string{"ENTRAIDE_URL": base, "ENTRAIDE_TOKEN": token, "ENTRAIDE_CA": ca}}
	if got := ok.must("request", "list"); len(tableRows(got)) != 8 {
		t.Errorf("request list with the printed NODE as ENTRAIDE_URL =\n%s\nwant a header and 7 requests", got)
	}
	tests := []struct {
		name string
		env  map[string]string
		want []string
	}{
		{"art 40(13): a token of another node is one this node does not know", map[string]string{"ENTRAIDE_TOKEN": otherNodeToken},
			[]string{"401", "this node does not know this token", "ENTRAIDE_URL"}},
		{"an http:// URL to an HTTPS node names https://", map[string]string{"ENTRAIDE_URL": strings.Replace(base, "https://", "http://", 1)},
			[]string{"speaks HTTPS", "ENTRAIDE_URL", base}},
		{"no CA names --ca, ENTRAIDE_CA and the sandbox's ca.pem", map[string]string{"ENTRAIDE_CA": ""},
			[]string{"--ca", "ENTRAIDE_CA", "ca.pem"}},
		{"a CA file that is not there names --ca", map[string]string{"ENTRAIDE_CA": filepath.Join(dir, "none.pem")},
			[]string{"--ca (or ENTRAIDE_CA)", "ca.pem"}},
		{"a CA file that holds no certificate names --ca", map[string]string{"ENTRAIDE_CA": filepath.Join(dir, "fra", "entraide.db")},
			[]string{"--ca (or ENTRAIDE_CA)", "no PEM certificate", "ca.pem"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := maps.Clone(ok.env)
			maps.Copy(env, tt.env)
			_, _, err := (&cli{t: t, env: env}).run("request", "list")
			if err == nil {
				t.Fatal("request list = nil error, want one")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("request list = %q, want it to contain %q", err, w)
				}
			}
		})
	}
}
