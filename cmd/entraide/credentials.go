package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"entraide/internal/casework"
	"entraide/internal/identity"
	"entraide/internal/node"
	"entraide/internal/store"
)

// addTokenTTLFlag adds --token-ttl, whose default is ENTRAIDE_TOKEN_TTL or
// 90 days; parseTokenTTL reads it.
func addTokenTTLFlag(fs *flag.FlagSet, e env, what string) *string {
	return fs.String("token-ttl", envOr(e, "ENTRAIDE_TOKEN_TTL", "90d"), what+": days (90d) or a Go duration (36h), from 1h to 366d (env ENTRAIDE_TOKEN_TTL)")
}

// parseTokenTTL reads a token lifetime given as days ("90d") or as a Go
// duration ("36h"), within identity's bounds.
func parseTokenTTL(s string) (time.Duration, error) {
	var d time.Duration
	var err error
	if days, ok := strings.CutSuffix(s, "d"); ok {
		var n int
		n, err = strconv.Atoi(days)
		d = time.Duration(n) * 24 * time.Hour
	} else {
		d, err = time.ParseDuration(s)
	}
	if err != nil {
		return 0, fmt.Errorf("--token-ttl %q: give days (90d) or a duration (36h)", s)
	}
	if err := identity.CheckTokenTTL(d); err != nil {
		return 0, fmt.Errorf("--token-ttl: %w", err)
	}
	return d, nil
}

func printEnrolment(w io.Writer, e identity.Enrolment) {
	fmt.Fprintf(w, "Enrolment code for %s: %s\n", e.User, e.Code)
	fmt.Fprintf(w, "It works once, until %s. Give it to %s only; they run:\n", e.ExpiresAt.Format("2006-01-02 15:04 UTC"), e.User)
	fmt.Fprintln(w, "  entraide login --url https://THIS-NODE --code CODE")
	fmt.Fprintln(w, "which gives them an API token of their own. The code is shown once; a new one replaces it.")
}

func whenOrDash(t *time.Time) string {
	if t == nil {
		return "-"
	}
	return t.UTC().Format("2006-01-02 15:04")
}

// userCommand runs do on one official of a State the node hosts, named
// by the command's one argument, acting as that State's administrator
// from the command line.
func userCommand(ctx context.Context, e env, name string, args []string, do func(n *node.Node, by casework.Actor, id string) error) error {
	fs := newFlags(e, name, "ID [--state CODE] [flags]")
	st := addStorageFlags(fs, e)
	state := fs.String("state", "", "the official's State (default: the node's)")
	if help, err := parse(e, fs, args); help || err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return fmt.Errorf("%s: name exactly one official, e.g. entraide %s alice", name, name)
	}
	n, db, err := st.openNode(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	by := n.AdminOf(stateOrHome(n, *state))
	err = do(n, by, fs.Arg(0))
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("%s: no official %q of %s (an official of another hosted State? name it with --state)", name, fs.Arg(0), by.State)
	}
	if err != nil {
		return fmt.Errorf("%s %s: %w", name, fs.Arg(0), err)
	}
	return nil
}

func cmdUserEnrol(ctx context.Context, e env, args []string) error {
	return userCommand(ctx, e, "user enrol", args, func(n *node.Node, by casework.Actor, id string) error {
		enr, err := n.IssueEnrolment(ctx, by, id)
		if err != nil {
			return err
		}
		printEnrolment(e.stdout, enr)
		return nil
	})
}

func cmdUserDisable(ctx context.Context, e env, args []string) error {
	return userCommand(ctx, e, "user disable", args, func(n *node.Node, by casework.Actor, id string) error {
		u, err := n.SetDisabled(ctx, by, id, true)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "%s (%s) is disabled since %s: their tokens and enrolment codes no longer work.\n", u.ID, u.Name, whenOrDash(u.DisabledAt))
		return nil
	})
}

func cmdUserEnable(ctx context.Context, e env, args []string) error {
	return userCommand(ctx, e, "user enable", args, func(n *node.Node, by casework.Actor, id string) error {
		u, err := n.SetDisabled(ctx, by, id, false)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "%s (%s) is enabled: their tokens that have not expired or been revoked work again.\n", u.ID, u.Name)
		return nil
	})
}

func cmdLogin(ctx context.Context, e env, args []string) error {
	fs := newFlags(e, "login", "--code CODE [--url URL] [--ca FILE] [--label TEXT]   (prints an export line: eval \"$(entraide login ...)\")")
	base := addNodeFlags(fs, e)
	code := fs.String("code", "", "the enrolment code your administrator gave you; - reads it from stdin, out of the shell's history (required)")
	host, _ := os.Hostname()
	label := fs.String("label", "entraide login on "+host, "what the token is for, shown in token list")
	if help, err := parse(e, fs, args); help || err != nil {
		return err
	}
	if *code == "-" {
		line, err := bufio.NewReader(io.LimitReader(e.stdin, 1024)).ReadString('\n')
		if err != nil && line == "" {
			return errors.New("login: --code -: no code on stdin")
		}
		*code = line
	}
	*code = strings.TrimSpace(*code)
	if *code == "" {
		return errors.New("login: missing --code: ask an administrator of your State for an enrolment code (entraide user enrol)")
	}
	c, err := clientFor(fs)
	if err != nil {
		return err
	}
	var out struct {
		User      identity.User  `json:"user"`
		Token     string         `json:"token"`
		TokenInfo identity.Token `json:"token_info"`
	}
	if err := c.do(ctx, "POST", "/api/v1/enrol", map[string]string{"code": *code, "label": *label}, &out); err != nil {
		return fmt.Errorf("login: %w", err)
	}
	// Only the export line goes to stdout, so that eval "$(entraide login
	// ...)" sets the environment the other commands read.
	fmt.Fprintf(e.stderr, "Signed in as %s (%s), %s of %s. Token %s works until %s.\n", out.User.ID, out.User.Name, out.User.Role, out.User.State,
		out.TokenInfo.ID, out.TokenInfo.ExpiresAt.UTC().Format("2006-01-02 15:04 UTC"))
	fmt.Fprintln(e.stderr, "It is shown once: keep it now, or run the export line below.")
	exports := []string{"ENTRAIDE_URL=" + shellQuote(*base), "ENTRAIDE_TOKEN=" + out.Token}
	if ca := fs.Lookup("ca").Value.String(); ca != "" {
		exports = append(exports, "ENTRAIDE_CA="+shellQuote(ca))
	}
	fmt.Fprintf(e.stdout, "export %s\n", strings.Join(exports, " "))
	return nil
}

// shellQuote quotes s for a POSIX shell when it holds anything but
// characters safe bare.
func shellQuote(s string) string {
	if s != "" && !strings.ContainsFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./:@%+=,", r))
	}) {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// tokensPath is the API path of USER's tokens, or of the caller's own.
func tokensPath(user string) string {
	if user == "" {
		return "/api/v1/me/tokens"
	}
	return "/api/v1/users/" + url.PathEscape(user) + "/tokens"
}

func cmdTokenList(ctx context.Context, e env, args []string) error {
	fs := newFlags(e, "token list", "[USER] [flags]   (your own tokens; an administrator names an official of their State)")
	addClientFlags(fs, e)
	asJSON := fs.Bool("json", false, "print JSON")
	if help, err := parse(e, fs, args); help || err != nil {
		return err
	}
	if fs.NArg() > 1 {
		return errors.New("token list: name at most one official")
	}
	c, err := clientFor(fs)
	if err != nil {
		return err
	}
	var tokens []identity.Token
	if err := c.do(ctx, "GET", tokensPath(fs.Arg(0)), nil, &tokens); err != nil {
		return fmt.Errorf("token list: %w", err)
	}
	if *asJSON {
		return writeJSON(e.stdout, tokens)
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tUSER\tLABEL\tCREATED\tEXPIRES\tLAST USED\tREVOKED\tISSUED BY")
	var unreadable []string
	for _, t := range tokens {
		if t.Unreadable != "" {
			unreadable = append(unreadable, t.Unreadable)
			fmt.Fprintf(tw, "%s\t%s\t%s\tUNREADABLE\t-\t-\t-\t%s\n", t.ID, t.User, orDash(t.Label), orDash(t.IssuedBy))
			continue
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", t.ID, t.User, orDash(t.Label), whenOrDash(&t.CreatedAt), whenOrDash(&t.ExpiresAt),
			whenOrDash(t.LastUsedAt), whenOrDash(t.RevokedAt), orDash(t.IssuedBy))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, msg := range unreadable {
		fmt.Fprintf(e.stderr, "%s; it authenticates nothing: revoke it (entraide token revoke ID)\n", msg)
	}
	return nil
}

func cmdTokenRevoke(ctx context.Context, e env, args []string) error {
	fs := newFlags(e, "token revoke", "ID [--user USER] [flags]   (ID from token list; an administrator names the official with --user)")
	addClientFlags(fs, e)
	user := fs.String("user", "", "the official whose token it is, for an administrator (default: yourself)")
	if help, err := parse(e, fs, args); help || err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return errors.New("token revoke: name exactly one token id, from entraide token list")
	}
	c, err := clientFor(fs)
	if err != nil {
		return err
	}
	var t identity.Token
	if err := c.do(ctx, "DELETE", tokensPath(*user)+"/"+url.PathEscape(fs.Arg(0)), nil, &t); err != nil {
		return fmt.Errorf("token revoke: %w", err)
	}
	fmt.Fprintf(e.stdout, "Token %s of %s (%s) is revoked since %s.\n", t.ID, t.User, orDash(t.Label), whenOrDash(t.RevokedAt))
	return nil
}
