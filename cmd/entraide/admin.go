package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"entraide/internal/convention"
	"entraide/internal/directory"
	"entraide/internal/federation"
	"entraide/internal/identity"
	"entraide/internal/keeper"
	"entraide/internal/node"
	"entraide/internal/store"
)

func cmdInit(ctx context.Context, e env, args []string) error {
	fs := newFlags(e, "init", "--state CODE --admin-id ID --admin-name NAME [flags]")
	st := addStorageFlags(fs, e)
	state := fs.String("state", "", "the State this node serves: ISO 3166-1 alpha-3 code, e.g. FRA (required)")
	host := fs.String("host", "", "other States hosted on this node until nodes federate, comma-separated")
	adminID := fs.String("admin-id", "admin", "login of the first administrator")
	adminName := fs.String("admin-name", "", "full name of the first administrator (required)")
	adminEmail := fs.String("admin-email", "", "e-mail of the first administrator")
	baseURL := fs.String("base-url", "", "the https:// address other States' nodes reach this one at")
	ttlFlag := addTokenTTLFlag(fs, e, "how long the first administrator's API token works")
	if help, err := parse(e, fs, args); help || err != nil {
		return err
	}
	ttl, err := parseTokenTTL(*ttlFlag)
	if err != nil {
		return fmt.Errorf("init: %w", err)
	}
	var missing, examples []string
	if *state == "" {
		missing = append(missing, "--state")
		examples = append(examples, "--state FRA, your State's ISO 3166-1 alpha-3 code (entraide states lists them)")
	}
	if *adminName == "" {
		missing = append(missing, "--admin-name")
		examples = append(examples, "--admin-name \"Claire Dubois\", the first administrator's name")
	}
	if len(missing) > 0 {
		return fmt.Errorf("init: missing %s\nnext: add %s", strings.Join(missing, " and "), strings.Join(examples, ", and "))
	}
	if *baseURL != "" {
		if err := federation.CheckBaseURL(*baseURL); err != nil {
			return fmt.Errorf("init: --base-url: %w", err)
		}
	}
	created := false
	if *st.keeperURL == "" {
		if created, err = keeper.Create(*st.dataDir); err != nil {
			return fmt.Errorf("init: %w", err)
		}
	}
	k, err := st.openKeeper(ctx)
	if err != nil {
		return fmt.Errorf("init: %w", err)
	}
	db, err := st.open(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	token, err := node.Init(ctx, db, node.InitOptions{
		Home:     strings.ToUpper(*state),
		Hosted:   splitList(*host),
		Admin:    identity.User{ID: *adminID, Name: *adminName, Email: *adminEmail},
		BaseURL:  *baseURL,
		TokenTTL: ttl,
		Keeper:   k,
	}, nil)
	if err != nil {
		if created {
			// A keeper file for a node that was not made would stand
			// beside a database it cannot open.
			os.Remove(keeper.Path(*st.dataDir))
		}
		return fmt.Errorf("init: %w", err)
	}
	p, _ := directory.LookupParticipant(*state)
	fmt.Fprintf(e.stdout, "Node for %s (%s) created in %s.\n\n", p.Name(), p.Code, describeStore(st))
	if *st.keeperURL == "" {
		fmt.Fprintf(e.stdout, "Its private keys are wrapped by the key in %s.\nBack that file up, apart from the database: without it the node cannot sign or read a message.\n\n", keeper.Path(*st.dataDir))
	}
	fmt.Fprintf(e.stdout, "Administrator: %s\nAPI token:     %s\n\n", *adminID, token)
	fmt.Fprintf(e.stdout, "Keep this token now: it is shown once and cannot be recovered. It works until %s;\n", time.Now().UTC().Add(ttl).Format("2006-01-02 15:04 UTC"))
	fmt.Fprintf(e.stdout, "before then, or if it is lost, run: entraide user enrol %s, and redeem the code with entraide login.\n", *adminID)
	return nil
}

func describeStore(st storageFlags) string {
	if *st.database != "" {
		return "PostgreSQL"
	}
	return st.dsn()
}

func splitList(s string) []string {
	var out []string
	for _, v := range strings.Split(s, ",") {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, strings.ToUpper(v))
		}
	}
	return out
}

func cmdUserAdd(ctx context.Context, e env, args []string) error {
	fs := newFlags(e, "user add", "--id ID --name NAME --role ROLE [--state CODE] [flags]")
	st := addStorageFlags(fs, e)
	id := fs.String("id", "", "login (required)")
	name := fs.String("name", "", "full name (required)")
	email := fs.String("email", "", "e-mail address")
	state := fs.String("state", "", "the official's State (default: the node's)")
	role := fs.String("role", "", "one of administrator, central_authority, 24_7, investigator, auditor (required)")
	if help, err := parse(e, fs, args); help || err != nil {
		return err
	}
	n, db, err := st.openNode(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	// The command line acts for the official's State, as that State's
	// administrator would.
	by := n.AdminOf(stateOrHome(n, *state))
	u, err := n.AddUser(ctx, by, identity.User{ID: *id, Name: *name, Email: *email, State: by.State, Role: identity.Role(*role)})
	if err != nil {
		return withNext("user add", err, "correct what is named and run it again, e.g. entraide user add --id fra-ca --name \"Jean Martin\" --role central_authority")
	}
	fmt.Fprintf(e.stdout, "Added %s (%s), %s of %s.\n", u.ID, u.Name, u.Role, u.State)
	enr, err := n.IssueEnrolment(ctx, by, u.ID)
	if err != nil {
		return fmt.Errorf("user add: %s was added, but no enrolment code could be issued (run entraide user enrol %s): %w", u.ID, u.ID, err)
	}
	printEnrolment(e.stdout, enr)
	return nil
}

// stateOrHome returns the State a --state flag names, or the node's home
// State if it names none.
func stateOrHome(n *node.Node, state string) string {
	if state == "" {
		return n.Home()
	}
	if p, ok := directory.LookupParticipant(state); ok {
		return p.Code
	}
	return strings.ToUpper(state)
}

func cmdUserList(ctx context.Context, e env, args []string) error {
	fs := newFlags(e, "user list", "[--state CODE] [flags]")
	st := addStorageFlags(fs, e)
	state := fs.String("state", "", "list only this hosted State's officials (default: every State the node hosts)")
	if help, err := parse(e, fs, args); help || err != nil {
		return err
	}
	n, db, err := st.openNode(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	states := n.Hosted()
	if *state != "" {
		states = []string{stateOrHome(n, *state)}
	}
	var users []identity.User
	for _, s := range states {
		of, err := n.Users(ctx, n.AdminOf(s))
		if err != nil {
			return err
		}
		users = append(users, of...)
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSTATE\tROLE\tNAME\tDISABLED")
	var unreadable []string
	for _, u := range users {
		disabled := whenOrDash(u.DisabledAt)
		if u.Unreadable != "" {
			disabled = "UNREADABLE"
			unreadable = append(unreadable, u.Unreadable)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", u.ID, u.State, u.Role, u.Name, disabled)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, msg := range unreadable {
		fmt.Fprintf(e.stderr, "%s; the official is alerted no more until it is repaired\n", msg)
	}
	return nil
}

func cmdTreatyStatus(ctx context.Context, e env, args []string) error {
	fs := newFlags(e, "treaty status", "[--json] [--all] [flags]")
	st := addStorageFlags(fs, e)
	asJSON := fs.Bool("json", false, "print JSON")
	all := fs.Bool("all", false, "list every signatory and party")
	if help, err := parse(e, fs, args); help || err != nil {
		return err
	}
	n, db, err := st.openNode(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	status, err := n.TreatyStatus(ctx)
	if err != nil {
		return err
	}
	if *asJSON {
		return writeJSON(e.stdout, status)
	}
	printTreatyStatus(e.stdout, status, *all)
	return nil
}

func printTreatyStatus(w io.Writer, s directory.TreatyStatus, all bool) {
	fmt.Fprintln(w, "United Nations Convention against Cybercrime (UN Treaty Collection XVIII-16)")
	fmt.Fprintf(w, "Signatories:            %d\n", s.Signatories)
	fmt.Fprintf(w, "Instruments that count: %d of %d (%s)\n", s.Instruments, s.Required, convention.EntryIntoForceRef)
	fmt.Fprintf(w, "Entry into force:       %s\n", s.Summary)
	fmt.Fprintf(w, "Parties bound today:    %d (a denunciation takes effect a year after its receipt, %s)\n", s.Bound, convention.DenunciationRef.Cite())
	fmt.Fprintf(w, "As of:                  %s", s.AsOf.Format(time.DateOnly))
	if s.DataUpdated != nil {
		fmt.Fprintf(w, ", from records last changed on this node at %s", s.DataUpdated.UTC().Format(time.RFC3339))
	}
	fmt.Fprintln(w)
	if s.Partial {
		fmt.Fprintf(w, "Partial data:           the authoritative status is the %s; update these records with entraide treaty import or treaty record\n", strings.TrimSuffix(s.Source, "; this node's records are partial"))
	}
	if !all {
		return
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "\nCODE\tNAME\tSIGNED\tDEPOSITED\tINSTRUMENT\tIN FORCE FROM\tDENOUNCED\tIN FORCE UNTIL")
	for _, p := range s.Parties {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", p.Code, p.Name, dateOrDash(p.Signed), dateOrDash(p.Deposited), p.Instrument, dateOrDash(p.InForceFrom), dateOrDash(p.Denounced), dateOrDash(p.InForceUntil))
	}
	tw.Flush()
}

func cmdTreatyImport(ctx context.Context, e env, args []string) error {
	fs := newFlags(e, "treaty import", "FILE [flags]   (FILE in the form of data/treaty-status.csv; - reads stdin)")
	st := addStorageFlags(fs, e)
	if help, err := parse(e, fs, args); help || err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return errors.New("treaty import: name one CSV file\nnext: entraide treaty import status.csv, a file of the form of data/treaty-status.csv (entraide treaty import --help)")
	}
	in := e.stdin
	if name := fs.Arg(0); name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return fmt.Errorf("treaty import: %w", err)
		}
		defer f.Close()
		in = f
	}
	n, db, err := st.openNode(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	count, err := n.ImportTreaty(ctx, n.Admin(), in)
	if err != nil {
		return fmt.Errorf("treaty import %s: nothing imported: %w", fs.Arg(0), err)
	}
	status, err := n.TreatyStatus(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "Imported %s.\n", plural(count, "record", "records"))
	printTreatyStatus(e.stdout, status, false)
	return nil
}

func cmdTreatyRecord(ctx context.Context, e env, args []string) error {
	fs := newFlags(e, "treaty record", "--code CODE [--signed DATE --signed-at PLACE] [--deposited DATE --instrument KIND] [flags]")
	st := addStorageFlags(fs, e)
	var a node.TreatyAction
	fs.StringVar(&a.Code, "code", "", "participant: ISO 3166-1 alpha-3 code, or EUU (required)")
	fs.StringVar(&a.Signed, "signed", "", "date of signature, YYYY-MM-DD")
	fs.StringVar(&a.SignedAt, "signed-at", "", "place of signature")
	fs.StringVar(&a.Deposited, "deposited", "", "date of deposit of the instrument, YYYY-MM-DD")
	fs.StringVar(&a.Instrument, "instrument", "", "ratification, acceptance, approval or accession")
	if help, err := parse(e, fs, args); help || err != nil {
		return err
	}
	n, db, err := st.openNode(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	a.Code = strings.ToUpper(a.Code)
	rec, err := n.RecordTreaty(ctx, n.Admin(), a)
	if err != nil {
		return withNext("treaty record", err, "correct what is named and run it again, e.g. entraide treaty record --code FRA --deposited 2026-03-01 --instrument ratification (entraide states lists the codes)")
	}
	fmt.Fprintf(e.stdout, "Recorded %s: %s.\n", rec.Code, treatyRecordWords(rec.Signed, string(rec.Instrument), rec.Deposited))
	status, err := n.TreatyStatus(ctx)
	if err != nil {
		return err
	}
	printTreatyStatus(e.stdout, status, false)
	return nil
}

func cmdTreatyDeclare(ctx context.Context, e env, args []string) error {
	fs := newFlags(e, "treaty declare", "--code CODE --article N --made-on DATE --text TEXT [flags]")
	st := addStorageFlags(fs, e)
	code := fs.String("code", "", "participant: ISO 3166-1 alpha-3 code, or EUU (required)")
	var in node.DeclarationInput
	fs.IntVar(&in.Article, "article", 0, "the article the declaration is made under, e.g. 42 (required)")
	fs.StringVar(&in.MadeOn, "made-on", "", "date of the declaration, YYYY-MM-DD (required)")
	fs.StringVar(&in.Text, "text", "", "the text of the declaration (required)")
	var reserved []string
	for _, r := range convention.Reservations() {
		reserved = append(reserved, fmt.Sprintf("%s (%s)", r.Reservation, r.Ref.Cite()))
	}
	fs.Func("reservation", "what the declaration reserves, when the node acts on it: "+strings.Join(reserved, ", ")+"; omit for a declaration kept only to be read", func(v string) error {
		in.Reservation = convention.Reservation(v)
		return nil
	})
	if help, err := parse(e, fs, args); help || err != nil {
		return err
	}
	n, db, err := st.openNode(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	d, err := n.RecordDeclaration(ctx, n.Admin(), strings.ToUpper(*code), in)
	if err != nil {
		return withNext("treaty declare", err, "correct what is named and run it again, e.g. entraide treaty declare --code FRA --article 42 --made-on 2026-03-01 --text \"...\" (entraide states lists the codes)")
	}
	fmt.Fprintf(e.stdout, "Recorded declaration %d of %s under art. %d, made on %s.\n", d.ID, d.Code, d.Article, d.MadeOn.Format("2006-01-02"))
	if d.Reservation != "" {
		fmt.Fprintf(e.stdout, "Refusals by %s may now rely on the reservation %s.\n", d.Code, d.Reservation)
	}
	return nil
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// withNext prefixes err with the command's name and, when it is about the
// input (a problem with what was given, or a State, record or id that does
// not exist, here or on the node the command called), adds the next step.
func withNext(name string, err error, next string) error {
	_, problems := errors.AsType[convention.Problems](err)
	ae, api := errors.AsType[*apiError](err)
	if problems || errors.Is(err, store.ErrNotFound) || api && ae.Status == http.StatusNotFound {
		return fmt.Errorf("%s: %w\nnext: %s", name, err, next)
	}
	return fmt.Errorf("%s: %w", name, err)
}

// treatyRecordWords says what is recorded of a participant: "signed
// 2025-10-25, ratification deposited 2026-03-02", "signed 2025-10-27, no
// instrument deposited yet", rather than dashes.
func treatyRecordWords(signed time.Time, instrument string, deposited time.Time) string {
	sig := "not signed"
	if !signed.IsZero() {
		sig = "signed " + signed.Format(time.DateOnly)
	}
	switch {
	case instrument != "" && !deposited.IsZero():
		return sig + ", " + instrument + " deposited " + deposited.Format(time.DateOnly)
	case !deposited.IsZero():
		return sig + ", instrument deposited " + deposited.Format(time.DateOnly)
	}
	return sig + ", no instrument deposited yet"
}

// plural says n things, in the singular for one.
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}
