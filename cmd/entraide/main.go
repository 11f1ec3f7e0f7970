// Command entraide runs and administers a national node of Entraide, the
// software for cooperation under the United Nations Convention against
// Cybercrime.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"syscall"

	"gocloud.dev/secrets"

	"entraide/internal/keeper"
	"entraide/internal/node"
	"entraide/internal/store"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args, os.Getenv, os.Stdin, os.Stdout, os.Stderr)
	stop()
	if err != nil {
		if !errors.Is(err, errUsage) {
			fmt.Fprintln(os.Stderr, "entraide:", err)
		}
		os.Exit(exitCode(err))
	}
}

// errUsage marks an error whose message the flag package already printed.
var errUsage = errors.New("usage")

func exitCode(err error) int {
	if errors.Is(err, errUsage) {
		return 2
	}
	return 1
}

// env is the command's environment: where it reads configuration and
// writes output.
type env struct {
	getenv func(string) string
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
}

type command struct {
	summary string
	run     func(ctx context.Context, e env, args []string) error
}

func commands() map[string]command {
	cmds := map[string]command{
		"init":               {"create a node for a State, with its first administrator", cmdInit},
		"serve":              {"serve the node's API", cmdServe},
		"sandbox":            {"start a network of national nodes, peered over HTTPS, with demo officials and requests", cmdSandbox},
		"user add":           {"add an official", cmdUserAdd},
		"user list":          {"list the officials", cmdUserList},
		"user enrol":         {"issue a one-time enrolment code for an official, who redeems it with login (shown once)", cmdUserEnrol},
		"user disable":       {"disable an official: their tokens and enrolment codes stop working", cmdUserDisable},
		"user enable":        {"enable a disabled official again", cmdUserEnable},
		"login":              {"redeem an enrolment code for an API token of your own (API client)", cmdLogin},
		"token list":         {"list your API tokens, or an official's, with expiry and last use (API client)", cmdTokenList},
		"token revoke":       {"revoke an API token, yours or an official's (API client)", cmdTokenRevoke},
		"treaty status":      {"show signatures, instruments and entry into force", cmdTreatyStatus},
		"treaty import":      {"import a treaty-status CSV file, all or nothing", cmdTreatyImport},
		"treaty record":      {"record a signature or an instrument", cmdTreatyRecord},
		"treaty declare":     {"record a State's declaration under an article", cmdTreatyDeclare},
		"descriptor":         {"print this node's signed descriptor, for its peers", cmdDescriptor},
		"openapi":            {"print the API's OpenAPI 3.1 document, for linters and client generators", cmdOpenAPI},
		"peer add":           {"trust another State's node, from its descriptor", cmdPeerAdd},
		"peer list":          {"list the peers", cmdPeerList},
		"peer remove":        {"forget a peer", cmdPeerRemove},
		"keys rotate":        {"make new keys; old ones still verify old messages", cmdKeysRotate},
		"security events":    {"list refused tokens and unverifiable envelopes, kept apart from the audit log", cmdSecurityEvents},
		"request create":     {"draft a request from a JSON file, or from flags: --kind KIND --help lists its fields (API client)", cmdRequestCreate},
		"request list":       {"list your State's requests (API client)", cmdRequestList},
		"request show":       {"show one request and its timeline (API client)", cmdRequestShow},
		"request letter":     {"write a request's formal letter as a PDF, its form in a language the requested State accepts (API client)", cmdRequestLetter},
		"request transition": {"move a request: send, acknowledge, refuse... (API client)", cmdRequestTransition},
		"request screen":     {"screen a request your State was asked for human rights before executing it: art. 40(22)'s discrimination ground, art. 24's safeguards, art. 6 (API client; central authority)", cmdRequestScreen},
		"screening flag":     {"flag a State: every request from it is screened for human rights before execution", cmdScreeningFlag},
		"screening unflag":   {"lift a State's flag for screening", cmdScreeningUnflag},
		"screening list":     {"list the States flagged for screening, with why, by whom and since when", cmdScreeningList},
		"roster add":         {"put an official on the 24/7 on-call roster, by e-mail or signed webhook", cmdRosterAdd},
		"roster list":        {"list the on-call roster", cmdRosterList},
		"roster remove":      {"take a line off the on-call roster", cmdRosterRemove},
		"alert list":         {"list your State's alerts and times to acknowledge (API client)", cmdAlertList},
		"alert ack":          {"acknowledge an alert, which stops its escalation (API client)", cmdAlertAck},
		"evidence add":       {"upload files as evidence of a request, resuming after a dropped connection (API client)", cmdEvidenceAdd},
		"evidence list":      {"list a request's items of evidence: name, size, SHA-256, status (API client)", cmdEvidenceList},
		"evidence get":       {"download an item of evidence, checking its SHA-256 (API client)", cmdEvidenceGet},
		"evidence send":      {"send an item with your answer to the State that asked (API client)", cmdEvidenceSend},
		"evidence retain":    {"set the day an item of evidence is disposed of (art. 36; API client)", cmdEvidenceRetain},
		"evidence dispose":   {"dispose of an item of evidence now: its bytes go, its hash and custody stay (art. 36; API client)", cmdEvidenceDispose},
		"evidence export":    {"write a request's evidence package for a court, and check it (API client)", cmdEvidenceExport},
		"evidence expiring":  {"list the items of evidence your node disposes of within the coming days, by their date or the policy for personal data (art. 36; API client; central authority)", cmdEvidenceExpiring},
		"retention policy":   {"show, or set (administrators), your State's retention period for evidence that carries personal data (art. 36; API client)", cmdRetentionPolicy},
		"request reveal":     {"as an auditor, see for 15 minutes a request's personal data, for a reason kept in the audit log (art. 36; API client)", cmdRequestReveal},
		"consent ask":        {"ask the State that gave items under conditions its consent to give them to a third State or use them in other proceedings (API client)", cmdConsentAsk},
		"consent list":       {"list the consent requests your State asked, and those asked of it (API client)", cmdConsentList},
		"consent grant":      {"grant a consent request asked of your State, with further conditions if any (API client)", cmdConsentGrant},
		"consent refuse":     {"refuse a consent request asked of your State, with reasons (API client)", cmdConsentRefuse},
		"audit":              {"read your State's audit log in words: time, actor, action, subject, detail (API client; auditors, administrators)", cmdAudit},
		"log key":            {"print the key that checks this node's audit-log checkpoints, to give a court or a peer", cmdLogKey},
		"log checkpoint":     {"print the audit log's latest signed checkpoint", cmdLogCheckpoint},
		"version":            {"print this build's version, commit and Go release", cmdVersion},
		"states":             {"list the States and organisations that may be party to the Convention, with their codes; give a name to search", cmdStates},
		"verify":             {"check an evidence package offline against the exporting State's public keys, and say what it holds", cmdVerify},

		// Use reports: the State that gave evidence asks what was done with it.
		"evidence use-report ask":  {"ask the State you gave evidence to what was done with it; its node answers from its log (API client)", cmdUseReportAsk},
		"evidence use-report show": {"show the use reports you asked, verified against the other State's log or not (API client)", cmdUseReportShow},
	}
	maps.Copy(cmds, transparencyCommands())
	maps.Copy(cmds, fundsCommands())
	maps.Copy(cmds, fundsReportCommands())
	maps.Copy(cmds, recoveryCommands())
	return cmds
}

// run is the whole command: main only supplies the process's environment.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	e := env{getenv: getenv, stdin: stdin, stdout: stdout, stderr: stderr}
	cmds := commands()
	rest := args[1:]
	if len(rest) > 1 && rest[0] == "help" {
		// "entraide help funds trace" is "entraide funds trace --help".
		rest = append(slices.Clone(rest[1:]), "--help")
	}
	if len(rest) == 0 || rest[0] == "help" || rest[0] == "-h" || rest[0] == "--help" {
		usage(stdout, cmds)
		if len(rest) == 0 {
			return errUsage
		}
		return nil
	}
	// The longest command first: "transparency publish" is not
	// "transparency" given the argument "publish".
	if len(rest) > 2 {
		if c, ok := cmds[strings.Join(rest[:3], " ")]; ok {
			return c.run(ctx, e, rest[3:])
		}
	}
	if len(rest) > 1 {
		if c, ok := cmds[rest[0]+" "+rest[1]]; ok {
			return c.run(ctx, e, rest[2:])
		}
	}
	if c, ok := cmds[rest[0]]; ok {
		return c.run(ctx, e, rest[1:])
	}
	var sub []string
	for n := range cmds {
		if strings.HasPrefix(n, rest[0]+" ") {
			sub = append(sub, n)
		}
	}
	if len(sub) > 0 {
		sort.Strings(sub)
		if len(rest) > 1 && (rest[1] == "-h" || rest[1] == "--help" || rest[1] == "help") {
			fmt.Fprintf(stdout, "Usage: entraide %s SUBCOMMAND [flags]   (every subcommand has --help)\n\nSubcommands:\n", rest[0])
			for _, n := range sub {
				fmt.Fprintf(stdout, "  %-26s %s\n", n, cmds[n].summary)
			}
			return nil
		}
		return fmt.Errorf("%q needs a subcommand: %s (entraide %s --help says what each does)", rest[0], strings.Join(sub, ", "), rest[0])
	}
	return fmt.Errorf("unknown command %q; run entraide help", rest[0])
}

func usage(w io.Writer, cmds map[string]command) {
	fmt.Fprintln(w, "entraide: a national node for cooperation under the UN Convention against Cybercrime")
	fmt.Fprintln(w, "\nUsage: entraide COMMAND [flags]   (every command has --help)")
	names := make([]string, 0, len(cmds))
	for n := range cmds {
		names = append(names, n)
	}
	sort.Strings(names)
	fmt.Fprintln(w, "\nCommands:")
	for _, n := range names {
		fmt.Fprintf(w, "  %-24s %s\n", n, cmds[n].summary)
	}
	fmt.Fprintln(w, `
Configuration (flags override the environment):
  ENTRAIDE_DATA_DIR  data directory (default ./entraide-data); SQLite lives in it
  ENTRAIDE_DATABASE  a postgres:// URL to use PostgreSQL instead of SQLite
  ENTRAIDE_KEY_KEEPER  the keeper of the node's private keys (default: keeper.key in the data directory)
  ENTRAIDE_ADDR      address serve listens on (default 127.0.0.1:8080)
  ENTRAIDE_URL       the node the request commands talk to (default http://127.0.0.1:8080)
  ENTRAIDE_TOKEN     the API token the request commands use (entraide login gives one)
  ENTRAIDE_TOKEN_TTL how long the tokens the node makes work (default 90d; serve and init)
  ENTRAIDE_SMTP_ADDR, ENTRAIDE_SMTP_FROM  the SMTP server and sender serve e-mails alerts with`)
}

// newFlags returns a flag set that prints its usage to e's stdout on
// --help and to stderr on a mistake.
func newFlags(e env, name, synopsis string) *flag.FlagSet {
	fs := flag.NewFlagSet("entraide "+name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: entraide %s %s\n", name, synopsis)
		// Say what the command is for before its flags: an official reads
		// --help to learn that first.
		if c, ok := commands()[name]; ok {
			fmt.Fprintf(fs.Output(), "\n%s%s.\n\n", strings.ToUpper(c.summary[:1]), c.summary[1:])
		}
		fs.PrintDefaults()
	}
	return fs
}

// parse parses args; --help prints usage to stdout and ends the command
// without error.
func parse(e env, fs *flag.FlagSet, args []string) (help bool, err error) {
	for _, a := range args {
		if a == "-h" || a == "-help" || a == "--help" {
			fs.SetOutput(e.stdout)
			fs.Usage()
			return true, nil
		}
	}
	// Officials write "request show ID --json" as often as "--json ID":
	// take flags wherever they stand, as most command-line tools do.
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return false, errUsage
		}
		if fs.NArg() == 0 {
			break
		}
		positional = append(positional, fs.Arg(0))
		args = fs.Args()[1:]
	}
	fs.Parse(append([]string{"--"}, positional...))
	return false, nil
}

// storageFlags are the flags of commands that open the node's database
// and the keeper of its keys.
type storageFlags struct {
	dataDir   *string
	database  *string
	keeperURL *string
	stderr    io.Writer // tells the operator of a keeper file made for them
}

func addStorageFlags(fs *flag.FlagSet, e env) storageFlags {
	dir := e.getenv("ENTRAIDE_DATA_DIR")
	if dir == "" {
		dir = "entraide-data"
	}
	return storageFlags{
		dataDir:  fs.String("data-dir", dir, "data directory; the SQLite database is entraide.db in it (env ENTRAIDE_DATA_DIR)"),
		database: secretFlag(fs, e, "database", "ENTRAIDE_DATABASE", "postgres:// URL to use PostgreSQL instead of SQLite; several serve processes on one database are replicas of one node (README: Replicas on PostgreSQL)"),
		keeperURL: secretFlag(fs, e, "key-keeper", keeper.Env, fmt.Sprintf("URL of the keeper that wraps the node's private keys, e.g. a KMS key (schemes: %s); without it and its variable, the file %s in the data directory",
			strings.Join(keeper.Schemes(), ", "), keeper.FileName)),
		stderr: e.stderr,
	}
}

func (s storageFlags) dsn() string {
	if *s.database != "" {
		return *s.database
	}
	return filepath.Join(*s.dataDir, "entraide.db")
}

func (s storageFlags) open(ctx context.Context) (*store.DB, error) {
	return store.Open(ctx, s.dsn())
}

// openKeeper opens the keeper of the node's private keys. It lives as
// long as the process.
func (s storageFlags) openKeeper(ctx context.Context) (*secrets.Keeper, error) {
	return keeper.Open(ctx, *s.dataDir, *s.keeperURL)
}

// keeperForClearKeys makes the keeper file of a node that an earlier
// version made without one, whose private keys are all in clear: there is
// no keeper to restore, and node.Open wraps the keys with the new one.
// For any other node a missing keeper file is the error missing, since
// its wrapped keys open with no other.
func (s storageFlags) keeperForClearKeys(ctx context.Context, db *store.DB, missing error) (*secrets.Keeper, error) {
	keys, err := db.Keys(ctx)
	if err != nil {
		return nil, err
	}
	if len(keys) == 0 || slices.ContainsFunc(keys, func(k store.Key) bool { return k.Wrapped }) {
		return nil, missing
	}
	if _, err := keeper.Create(*s.dataDir); err != nil {
		return nil, err
	}
	fmt.Fprintf(s.stderr, "The node's private keys were kept in clear in the database by an earlier version: they are now wrapped by the new key keeper file %s.\n"+
		"Back that file up, apart from the database: without it the node cannot sign or read a message.\n", keeper.Path(*s.dataDir))
	return s.openKeeper(ctx)
}

// openNode opens an initialised node.
func (s storageFlags) openNode(ctx context.Context) (*node.Node, *store.DB, error) {
	if *s.database == "" {
		if _, err := os.Stat(s.dsn()); errors.Is(err, os.ErrNotExist) {
			return nil, nil, fmt.Errorf("no node in %s: run entraide init there first, or give --data-dir", *s.dataDir)
		}
	}
	db, err := s.open(ctx)
	if err != nil {
		return nil, nil, err
	}
	k, err := s.openKeeper(ctx)
	if errors.Is(err, keeper.ErrMissing) {
		k, err = s.keeperForClearKeys(ctx, db, err)
	}
	if err != nil {
		db.Close()
		return nil, nil, err
	}
	n, err := node.Open(ctx, db, k, nil)
	if err != nil {
		db.Close()
		return nil, nil, err
	}
	return n, db, nil
}

// secretFlag adds a string flag whose default is the environment
// variable envName without ever printing it: --help and the flag
// package's messages show the default a flag was registered with, and a
// token or a URL holding a password must not reach a screen, a
// terminal's scrollback or a ticket a help text is pasted in.
func secretFlag(fs *flag.FlagSet, e env, name, envName, usage string) *string {
	v := e.getenv(envName)
	if v != "" {
		usage += " (default: from " + envName + ")"
	} else {
		usage += " (env " + envName + ")"
	}
	p := fs.String(name, "", usage)
	*p = v
	return p
}
