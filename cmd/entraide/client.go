package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"entraide/internal/casework"
	"entraide/internal/convention"
	"entraide/internal/identity"
	"entraide/internal/node"
	"entraide/internal/store"
)

// apiClient speaks to a node's JSON API on behalf of an official.
type apiClient struct {
	base  string
	token string
	http  *http.Client
}

func addClientFlags(fs *flag.FlagSet, e env) (*string, *string) {
	return addNodeFlags(fs, e), secretFlag(fs, e, "token", "ENTRAIDE_TOKEN", "your API token")
}

// addNodeFlags adds the flags that say where the node is, for commands
// that need no token.
func addNodeFlags(fs *flag.FlagSet, e env) *string {
	u := e.getenv("ENTRAIDE_URL")
	if u == "" {
		u = "http://127.0.0.1:8080"
	}
	fs.String("ca", e.getenv("ENTRAIDE_CA"), "PEM certificate authority to trust for the node's HTTPS, e.g. the sandbox's ca.pem (env ENTRAIDE_CA)")
	return fs.String("url", u, "the node's address (env ENTRAIDE_URL)")
}

// clientFor returns a client configured by the flags addClientFlags (or
// addNodeFlags, for a client without a token) added to fs.
func clientFor(fs *flag.FlagSet) (*apiClient, error) {
	var token string
	if f := fs.Lookup("token"); f != nil {
		if token = f.Value.String(); token == "" {
			return nil, errors.New("no API token: pass --token or set ENTRAIDE_TOKEN (entraide login --code gives you one)")
		}
	}
	c, err := newClient(fs.Lookup("url").Value.String(), token)
	if err != nil {
		return nil, err
	}
	if ca := fs.Lookup("ca"); ca != nil && ca.Value.String() != "" {
		pem, err := os.ReadFile(ca.Value.String())
		if err != nil {
			return nil, fmt.Errorf("--ca (or ENTRAIDE_CA): %w: give the PEM file of the node's certificate authority (for the sandbox, the ca.pem it prints)", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("--ca (or ENTRAIDE_CA) %s: no PEM certificate in it: give the PEM file of the node's certificate authority (for the sandbox, the ca.pem it prints)", ca.Value.String())
		}
		c.http.Transport = &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}
	}
	return c, nil
}

func newClient(base, token string) (*apiClient, error) {
	if !strings.Contains(base, "://") && base != "" {
		// 127.0.0.1:41055, as a sandbox's address is copied without its
		// scheme: the sandbox and most nodes speak HTTPS.
		return nil, fmt.Errorf("--url %q (or ENTRAIDE_URL) has no scheme: set it to https://%s (or http://%s for a node serving without TLS)", base, base, base)
	}
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("--url %q (or ENTRAIDE_URL): give the node's address, e.g. https://127.0.0.1:8443 or http://127.0.0.1:8080", base)
	}
	if p := strings.TrimSuffix(u.Path, "/"); strings.HasSuffix(p, "/api/v1") {
		// The commands add the API's path themselves.
		u.Path = strings.TrimSuffix(p, "/api/v1")
		return nil, fmt.Errorf("--url %q (or ENTRAIDE_URL) ends in the API's path: give the node's address alone, %s", base, u.String())
	}
	return &apiClient{base: strings.TrimSuffix(base, "/"), token: token, http: &http.Client{Timeout: 30 * time.Second}}, nil
}

// fieldError is one problem of a problem document, with the field it is
// about.
type fieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
	Article string `json:"article"`
}

// apiError is a problem document returned by the node.
type apiError struct {
	Status         int          `json:"status"`
	Title          string       `json:"title"`
	Detail         string       `json:"detail"`
	Errors         []fieldError `json:"errors"`
	AllowedActions []string     `json:"allowed_actions"`
	// flagOf names the command's flag that gives an API field, when the
	// command gave it from a flag: the official typed --until, not
	// preserve_until.
	flagOf func(field string) string
}

func (e *apiError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d %s", e.Status, e.Title)
	if len(e.Errors) == 0 && e.Detail != "" {
		b.WriteString(": " + e.Detail)
	}
	for _, fe := range e.Errors {
		name := fe.Field
		if e.flagOf != nil {
			if f := e.flagOf(fe.Field); f != "" {
				name += " (" + f + ")"
			}
		}
		fmt.Fprintf(&b, "\n  %s: %s", name, fe.Message)
		if fe.Article != "" {
			fmt.Fprintf(&b, " (%s)", fe.Article)
		}
	}
	return b.String()
}

func (c *apiClient) do(ctx context.Context, method, path string, body, out any) error {
	_, err := c.call(ctx, method, path, nil, body, out)
	return err
}

// call is do with headers to send, returning the answer's headers.
func (c *apiClient) call(ctx context.Context, method, path string, header http.Header, body, out any) (http.Header, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return nil, err
	}
	for name, values := range header {
		req.Header[name] = values
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, c.unreachable(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode >= 400 {
		var p apiError
		if resp.StatusCode == http.StatusBadRequest && strings.HasPrefix(c.base, "http://") && bytes.Contains(data, []byte("HTTPS server")) {
			// Go's TLS server answers a request in clear with a bare 400.
			return nil, fmt.Errorf("the node at %s speaks HTTPS: set ENTRAIDE_URL (or --url) to %s", c.base, "https://"+strings.TrimPrefix(c.base, "http://"))
		}
		if json.Unmarshal(data, &p) != nil || p.Status == 0 {
			return nil, fmt.Errorf("%s %s: %s", method, path, resp.Status)
		}
		return nil, &p
	}
	if out == nil {
		return resp.Header, nil
	}
	return resp.Header, json.Unmarshal(data, out)
}

// fieldFlags are the flags of request create and request transition
// that give an API field, by the field's name without its index.
var fieldFlags = map[string]string{
	"kind": "--kind", "requested_state": "--to", "urgency": "--urgency", "confidential": "--confidential",
	"use_limitation": "--use-limitation", "follow_up_of": "--follow-up-of",
	"legal_basis": "--legal-basis", "legal_basis.type": "--legal-basis", "legal_basis.treaty": "--treaty",
	"offences": "--offences", "offences.article": "--offences", "offences.description": "--offence-description",
	"offences.max_penalty_years": "--max-penalty-years", "offences.requested_state_max_penalty_years": "--requested-state-max-penalty-years",
	"preserve_until": "--until", "note": "--note", "grounds": "--grounds", "reasons": "--reasons", "conditions": "--conditions",
	"answer_conditions": "--condition", "answer_conditions.kind": "--condition", "answer_conditions.until": "--condition", "answer_conditions.text": "--condition",
}

// flagOfField names the flag that gives an API field: offences[0].max_penalty_years
// is --max-penalty-years, fields.stored_data --stored-data.
func flagOfField(field string) string {
	if name, ok := strings.CutPrefix(field, "fields."); ok && name != "" {
		return "--" + strings.ReplaceAll(name, "_", "-")
	}
	if i := strings.IndexByte(field, '['); i >= 0 {
		if j := strings.IndexByte(field[i:], ']'); j >= 0 {
			field = field[:i] + field[i+j+1:]
		}
	}
	return fieldFlags[field]
}

// fromFlags marks err, if the node gave it, as the answer to fields the
// command gave as flags, so that it names them.
func fromFlags(err error) error {
	if ae, ok := errors.AsType[*apiError](err); ok {
		ae.flagOf = flagOfField
	}
	return err
}

// unreachable says why the node could not be reached, and what to do
// when the cause is the official's own setting: an unknown certificate
// authority is most often a missing --ca.
func (c *apiClient) unreachable(err error) error {
	var unknownCA x509.UnknownAuthorityError
	if errors.As(err, &unknownCA) {
		return fmt.Errorf("cannot reach the node at %s: its certificate is signed by an authority this command does not trust: "+
			"give that authority's PEM file with --ca FILE or ENTRAIDE_CA (for the sandbox, the ca.pem it prints, in its data directory)", c.base)
	}
	var notTLS tls.RecordHeaderError
	if errors.As(err, &notTLS) && strings.HasPrefix(c.base, "https://") {
		return fmt.Errorf("cannot reach the node at %s: it does not speak HTTPS: set ENTRAIDE_URL (or --url) to %s", c.base, "http://"+strings.TrimPrefix(c.base, "https://"))
	}
	if errors.Is(err, syscall.ECONNREFUSED) {
		return fmt.Errorf("cannot reach the node at %s: no node is answering at that address: check that it runs (entraide serve, or entraide sandbox) and that --url or ENTRAIDE_URL is its address", c.base)
	}
	if dns, ok := errors.AsType[*net.DNSError](err); ok {
		return fmt.Errorf("cannot reach the node at %s: the name %s is not known: check --url or ENTRAIDE_URL", c.base, dns.Name)
	}
	return fmt.Errorf("cannot reach the node at %s: %w; check that it runs and that --url or ENTRAIDE_URL is its address", c.base, err)
}

func cmdRequestCreate(ctx context.Context, e env, args []string) error {
	kind := kindArg(args)
	spec, known := convention.Lookup(convention.Kind(kind))
	// A kind kept for old records only is not offered, even by its name.
	retired := known && !spec.Draftable()
	known = known && !retired
	fs := newFlags(e, "request create", "FILE.json [flags]   or   --kind KIND --to STATE --FIELD TEXT ... [flags]\n"+
		"  (- reads the JSON from stdin; --kind KIND --help lists that kind's fields and their articles)")
	if kind == "" || !known {
		fs.Usage = createUsage(fs)
	} else {
		fs.Usage = kindUsage(fs, spec)
	}
	addClientFlags(fs, e)
	asJSON := fs.Bool("json", false, "print the created request as JSON")
	key := fs.String("idempotency-key", "", "a key of your choice: running the command again with it (after a timeout, say) makes no second draft")
	fs.String("kind", "", "the kind of request, to give its contents as flags rather than a JSON file (see entraide request create --help)")
	to := fs.String("to", "", "the requested State, e.g. VNM")
	urgency := fs.String("urgency", "", "normal or urgent (emergency disclosures are urgent)")
	confidential := fs.Bool("confidential", false, "ask the requested State to keep the request confidential (art. 40(20))")
	useLimitation := fs.String("use-limitation", "", "limits on the use of what is obtained (art. 40(19))")
	offences := fs.String("offences", "", "the offences, comma-separated articles of the Convention (7 to 17), e.g. 10,7")
	basis := fs.String("legal-basis", "", "what the request rests on: convention (in force for both States on the day of sending), treaty (with --treaty) or reciprocity")
	treaty := fs.String("treaty", "", "the name of the treaty the request rests on, with --legal-basis treaty")
	penalty := fs.Int("max-penalty-years", 0, "the maximum penalty, in years (100 for life), the offences carry in your State; extradition needs at least 1 (art. 37(1))")
	requestedPenalty := fs.Int("requested-state-max-penalty-years", 0, "the maximum penalty, in years (100 for life), the same conduct carries in the requested State; extradition needs at least 1 (art. 37(1))")
	offenceDescription := fs.String("offence-description", "", "a serious crime outside arts. 7-17, described (art. 2): with 0 among --offences, or alone, and --max-penalty-years of at least 4, e.g. --offence-description \"Fraud by a criminal group\" --max-penalty-years 10")
	followUp := fs.String("follow-up-of", "", "the preservation request this one follows up (art. 42): its data stay preserved until this one is decided")
	pd := personalDataFlags(fs, "the request")
	fields := map[string]*string{}
	if known {
		for _, f := range spec.Fields {
			need := "optional"
			if f.Required {
				need = "required"
			}
			fields[f.Name] = fs.String(strings.ReplaceAll(f.Name, "_", "-"), "", fmt.Sprintf("%s (%s, %s)", f.Label, f.Ref.Cite(), need))
		}
	}
	if help, err := parse(e, fs, args); help || err != nil {
		return err
	}
	var contents casework.Contents
	switch {
	case retired && spec.OnPreservation:
		return fmt.Errorf("request create: --kind %s is no longer drafted: expedited disclosure of preserved traffic data is a step of executing a preservation (art. 43(1))\n"+
			"next: draft a preservation (--kind preservation); the requested State then discloses the traffic data with entraide request transition ID --action disclose_traffic", kind)
	case kind != "" && !known:
		return fmt.Errorf("request create: --kind %q is not a kind of request; give one of %s", kind, kindNames())
	case kind != "" && fs.NArg() > 0:
		return errors.New("request create: give the contents either as flags (--kind) or as a JSON file, not both")
	case kind != "":
		contents = casework.Contents{Kind: spec.Kind, RequestedState: strings.ToUpper(*to), Urgency: casework.Urgency(*urgency),
			Confidential: *confidential, UseLimitation: *useLimitation, FollowUpOf: *followUp, Fields: map[string]string{}}
		marking, err := pd.marking("request create")
		if err != nil {
			return err
		}
		contents.PersonalData = marking
		switch {
		case *basis == "" && *treaty != "":
			contents.LegalBasis = &casework.LegalBasis{Type: casework.BasisTreaty, Treaty: *treaty}
		case *basis != "":
			contents.LegalBasis = &casework.LegalBasis{Type: casework.BasisType(strings.ToLower(*basis)), Treaty: *treaty}
		}
		for name, v := range fields {
			if *v != "" {
				contents.Fields[name] = *v
			}
		}
		for _, a := range splitList(*offences) {
			n, err := strconv.Atoi(a)
			if err != nil {
				return fmt.Errorf("request create: --offences %q: give articles of the Convention as numbers, e.g. 10,7", a)
			}
			c := convention.Charge{Article: n, MaxPenaltyYears: *penalty, RequestedStateMaxPenaltyYears: *requestedPenalty}
			if n == 0 {
				c.Description = *offenceDescription
			}
			contents.Offences = append(contents.Offences, c)
		}
		if *offenceDescription != "" {
			if len(contents.Offences) == 0 {
				contents.Offences = []convention.Charge{{Description: *offenceDescription, MaxPenaltyYears: *penalty, RequestedStateMaxPenaltyYears: *requestedPenalty}}
			} else if !slices.ContainsFunc(contents.Offences, func(c convention.Charge) bool { return c.Article == 0 }) {
				return errors.New("request create: --offence-description describes a serious crime outside arts. 7-17, and --offences names none\nnext: add 0 to --offences for it (e.g. --offences 10,0), or leave --offence-description out")
			}
		}
	case fs.NArg() != 1:
		return errors.New("request create: name one JSON file with the request's contents (- for stdin), or give them as flags with --kind (see entraide request create --help)")
	}
	c, err := clientFor(fs)
	if err != nil {
		return err
	}
	if kind == "" {
		in := e.stdin
		if fs.Arg(0) != "-" {
			f, err := os.Open(fs.Arg(0))
			if err != nil {
				return fmt.Errorf("request create: %w", err)
			}
			defer f.Close()
			in = f
		}
		dec := json.NewDecoder(io.LimitReader(in, 1<<20))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&contents); err != nil {
			return fmt.Errorf("request create: %s is not a request's contents: %w", fs.Arg(0), err)
		}
		// As the API does, refuse what follows the request rather than drop it.
		if _, err := dec.Token(); err != io.EOF {
			return fmt.Errorf("request create: %s holds more than one JSON value", fs.Arg(0))
		}
	}
	header := http.Header{}
	if *key != "" {
		header.Set("Idempotency-Key", *key)
	}
	var r casework.Request
	if _, err := c.call(ctx, "POST", "/api/v1/requests", header, contents, &r); err != nil {
		ae, ok := errors.AsType[*apiError](err)
		switch {
		case ok && kind != "" && (ae.Status == http.StatusUnprocessableEntity || ae.Status == http.StatusBadRequest):
			return fmt.Errorf("request create: %w\nnext: correct the flags named above and run the command again; entraide request create --kind %s --help lists them", fromFlags(err), kind)
		case ok && (ae.Status == http.StatusUnprocessableEntity || ae.Status == http.StatusBadRequest):
			return fmt.Errorf("request create: %w\nnext: correct the fields named above in %s and run the command again; entraide request create --help lists each kind's fields", err, fs.Arg(0))
		case ok && ae.Status == http.StatusForbidden && strings.Contains(strings.Join(messages(ae), " "), "central authority"):
			return fmt.Errorf("request create: %w\nnext: ask your central authority (role central_authority) to draft it with the same entraide request create", err)
		case ok && ae.Status == http.StatusForbidden:
			return fmt.Errorf("request create: %w\nnext: ask an official whose role drafts requests (%s) to draft it with the same entraide request create", err, rolesThat(identity.DraftRequests))
		}
		return fmt.Errorf("request create: %w", err)
	}
	if *asJSON {
		return writeJSON(e.stdout, r)
	}
	fmt.Fprintf(e.stdout, "Created %s: %s to %s, %s.\n", r.ID, title(r.Kind), r.RequestedState, r.State)
	fmt.Fprintf(e.stdout, "Send it with: entraide request transition %s --action send\n", r.ID)
	return nil
}

// kindArg returns the value of --kind among args, before they are parsed:
// the flags of a kind's fields depend on it.
func kindArg(args []string) string {
	for i, a := range args {
		name, value, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if !strings.HasPrefix(a, "-") || name != "kind" {
			continue
		}
		if hasValue {
			return value
		}
		if i+1 < len(args) {
			return args[i+1]
		}
	}
	return ""
}

func kindNames() string {
	var names []string
	for _, s := range convention.DraftableKinds() {
		names = append(names, string(s.Kind))
	}
	return strings.Join(names, ", ")
}

// createUsage is request create's usage without --kind: the flags, then
// every kind with its articles and fields, from the Convention's code.
func createUsage(fs *flag.FlagSet) func() {
	return func() {
		w := fs.Output()
		fmt.Fprintf(w, "Usage: entraide request create FILE.json [flags]\n   or: entraide request create --kind KIND --to STATE --FIELD TEXT ... [flags]\n")
		fs.PrintDefaults()
		fmt.Fprintln(w, "\nKinds of request (entraide request create --kind KIND --help gives a kind's fields as flags):")
		for _, s := range convention.DraftableKinds() {
			printKindFields(w, s)
		}
	}
}

// kindUsage is request create's usage with --kind: the kind's fields
// first, as the Convention's code states them, then every flag.
func kindUsage(fs *flag.FlagSet, s convention.Spec) func() {
	return func() {
		w := fs.Output()
		fmt.Fprintf(w, "Usage: entraide request create --kind %s --to STATE --FIELD TEXT ... [flags]\n", s.Kind)
		printKindFields(w, s)
		fmt.Fprintln(w, "\nAll flags:")
		fs.PrintDefaults()
	}
}

func printKindFields(w io.Writer, s convention.Spec) {
	var arts []string
	for _, a := range s.Articles {
		arts = append(arts, a.String())
	}
	fmt.Fprintf(w, "\n  %s: %s (%s)\n", s.Kind, s.Title, strings.Join(arts, ", "))
	if s.OffenceRequired {
		fmt.Fprintf(w, "    --%-28s %s\n", "offences", "the offences, articles 7 to 17 (required)")
	}
	if s.OffenceRequired && (s.Scope == "" || s.Scope == convention.OffencesAndSeriousCrimes) {
		fmt.Fprintf(w, "    --%-28s %s\n", "offence-description", fmt.Sprintf("a serious crime outside arts. 7-17, described, with 0 among --offences (or alone) and --max-penalty-years of at least %d (art. 2)", convention.SeriousCrimeMinimumYears))
		fmt.Fprintf(w, "    --%-28s %s\n", "max-penalty-years", "that serious crime's maximum penalty in your State, in years, 100 for life (art. 2)")
	}
	if s.Scope == convention.ExtraditableOffences {
		fmt.Fprintf(w, "    --%-28s %s\n", "max-penalty-years", "the offences' maximum penalty in your State, in years, 100 for life (art. 37(1), required)")
		fmt.Fprintf(w, "    --%-28s %s\n", "requested-state-max-penalty-years", "the same conduct's maximum penalty in the requested State (art. 37(1), required)")
	}
	for _, f := range s.Fields {
		need := "optional"
		if f.Required {
			need = "required"
		}
		fmt.Fprintf(w, "    --%-28s %s (%s, %s)\n", strings.ReplaceAll(f.Name, "_", "-"), f.Label, f.Ref.Cite(), need)
	}
}

func title(k convention.Kind) string {
	if s, ok := convention.Lookup(k); ok {
		return s.Title
	}
	return string(k)
}

func cmdRequestList(ctx context.Context, e env, args []string) error {
	fs := newFlags(e, "request list", "[--state S] [--kind K] [--side requesting|requested] [--counterpart STATE] [--urgency U] [--due-before DATE] [--arrived-from DATE] [--arrived-before DATE] [--updated-since TIME] [--text T] [--sort arrival|deadline] [flags]")
	addClientFlags(fs, e)
	filters := map[string]*string{
		"state":         fs.String("state", "", "only requests in this state: draft, sent, received, acknowledged, in_progress, consultation, refused..."),
		"kind":          fs.String("kind", "", "only requests of this kind (entraide request create --help lists them)"),
		"side":          fs.String("side", "", "requesting (yours) or requested (the others')"),
		"counterpart":   fs.String("counterpart", "", "only requests to or from this State, e.g. VNM"),
		"urgency":       fs.String("urgency", "", "normal or urgent"),
		"due_before":    fs.String("due-before", "", "only requests with a deadline (the end of a preservation) before this date, YYYY-MM-DD"),
		"from":          fs.String("arrived-from", "", "only requests that arrived on this node on or after this date, YYYY-MM-DD"),
		"updated_since": fs.String("updated-since", "", "only requests changed since this date or RFC 3339 time"),
		"q":             fs.String("text", "", "only requests whose contents hold this text, whatever its case"),
		"sort":          fs.String("sort", "", "arrival (new arrivals first, the default) or deadline (nearest deadline first)"),
		"cursor":        fs.String("cursor", "", "the next page, as the previous one printed it"),
	}
	before := fs.String("arrived-before", "", "only requests that arrived on this node before this date (not on it), YYYY-MM-DD")
	// --from and --to were the names of the arrival dates; --to is also
	// request create's requested State, so the list's dates were renamed.
	oldFrom := fs.String("from", "", "old name of --arrived-from, still taken")
	oldTo := fs.String("to", "", "old name of the arrival date's upper bound, on or before this date, still taken: use --arrived-before the day after")
	limit := fs.Int("limit", 50, "at most this many")
	asJSON := fs.Bool("json", false, "print JSON")
	if help, err := parse(e, fs, args); help || err != nil {
		return err
	}
	c, err := clientFor(fs)
	if err != nil {
		return err
	}
	q := url.Values{}
	for k, v := range filters {
		if *v != "" {
			q.Set(k, *v)
		}
	}
	if *oldFrom != "" && q.Get("from") == "" {
		q.Set("from", *oldFrom)
	}
	switch {
	case *before != "" && *oldTo != "":
		return errors.New("request list: give --arrived-before or its old form --to, not both\nnext: keep --arrived-before")
	case *before != "":
		d, err := convention.ParseTime("--arrived-before", time.DateOnly, *before)
		if err != nil {
			return fmt.Errorf("request list: %w\nnext: give --arrived-before as a date, YYYY-MM-DD", err)
		}
		// The node's bound is inclusive: before a day is on or before the
		// day before it.
		q.Set("to", d.AddDate(0, 0, -1).Format(time.DateOnly))
	case *oldTo != "":
		q.Set("to", *oldTo)
	}
	q.Set("limit", fmt.Sprint(*limit))
	var page store.Page
	if err := c.do(ctx, "GET", "/api/v1/requests?"+q.Encode(), nil, &page); err != nil {
		return fmt.Errorf("request list: %w", err)
	}
	if *asJSON {
		return writeJSON(e.stdout, page)
	}
	// The SLA of an open alert is a deadline too: when it escalates.
	sla := map[string]time.Time{}
	var alerts node.AlertList
	if err := c.do(ctx, "GET", "/api/v1/alerts?open=true&limit=500", nil, &alerts); err == nil {
		for _, a := range alerts.Alerts {
			if due, ok := sla[a.RequestID]; a.RequestID != "" && !a.EscalatesAt.IsZero() && (!ok || a.EscalatesAt.Before(due)) {
				sla[a.RequestID] = a.EscalatesAt
			}
		}
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tKIND\tFROM\tTO\tSTATE\tURGENCY\tUPDATED\tPRESERVED UNTIL\tALERT SLA DUE")
	for _, r := range page.Requests {
		due := "-"
		if t, ok := sla[r.ID]; ok {
			due = t.Format(time.DateTime)
		}
		state := string(r.State)
		if r.Undelivered != nil {
			// The other State's view does not show what this one does.
			state += " (NOT DELIVERED)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.ID, r.Kind, r.RequestingState, r.RequestedState, state, r.Urgency,
			r.UpdatedAt.Format(time.DateTime), preservedUntil(r), due)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if page.Total == 0 && len(page.Requests) == 0 {
		fmt.Fprintln(e.stdout, "\n0 of 0 shown: no request of your State matches. Widen the filters, or draft one with entraide request create.")
	}
	if page.Total > 0 || len(page.Requests) > 0 {
		fmt.Fprintf(e.stdout, "\n%d of %d shown.", len(page.Requests), max(page.Total, len(page.Requests)))
		if page.NextCursor != "" {
			fmt.Fprintf(e.stdout, " Next page: add --cursor %s", page.NextCursor)
		}
		fmt.Fprintln(e.stdout)
	}
	return reportUnreadable(e, page.Unreadable)
}

// preservedUntil says until when a request's data are preserved (art. 42).
func preservedUntil(r *casework.Request) string {
	switch p := r.Preservation; {
	case p == nil:
		return "-"
	case preservationEnded(r):
		return "ended"
	case p.FollowUp != "" && p.FollowUpDecided:
		// The follow-up is decided: the data need no longer be kept.
		return "follow-up decided, may end"
	case p.FollowUp != "":
		return "until follow-up decided"
	case p.Until.IsZero():
		return "-"
	}
	return r.Preservation.Until.Format(time.DateOnly)
}

// preservationEnded reports whether r's preservation no longer keeps
// data: r left the states in which a started preservation holds them
// (it was executed, refused, withdrawn or closed).
func preservationEnded(r *casework.Request) bool {
	switch r.State {
	case casework.InProgress, casework.MoreInfoRequested, casework.Consultation,
		casework.ConditionsAccepted, casework.ConditionsDeclined, casework.Postponed:
		return false
	}
	return true
}

// reportUnreadable tells, on stderr, of the stored rows a list left out
// because the node could not read them, so that a list that looks short
// is not taken for the whole.
func reportUnreadable(e env, unreadable []string) error {
	for _, msg := range unreadable {
		if _, err := fmt.Fprintf(e.stderr, "unreadable, left out: %s; tell the node's administrators\n", msg); err != nil {
			return err
		}
	}
	return nil
}

type requestDoc struct {
	Request        casework.Request  `json:"request"`
	Timeline       []casework.Event  `json:"timeline"`
	AllowedActions []casework.Action `json:"allowed_actions"`
	Unreadable     []string          `json:"unreadable"`
	// ScreeningNeeded and Screening: the requested State's own view only.
	ScreeningNeeded bool                `json:"screening_needed"`
	Screening       *casework.Screening `json:"screening"`
}

func cmdRequestShow(ctx context.Context, e env, args []string) error {
	fs := newFlags(e, "request show", "ID [flags]")
	addClientFlags(fs, e)
	asJSON := fs.Bool("json", false, "print JSON")
	if help, err := parse(e, fs, args); help || err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return errors.New("request show: name one request id\nnext: entraide request show ID, the ID from entraide request list")
	}
	c, err := clientFor(fs)
	if err != nil {
		return err
	}
	var doc requestDoc
	if err := c.do(ctx, "GET", "/api/v1/requests/"+url.PathEscape(fs.Arg(0)), nil, &doc); err != nil {
		return withNext("request show", err, "entraide request list gives the ids of your State's requests")
	}
	if *asJSON {
		return writeJSON(e.stdout, doc)
	}
	printRequest(e.stdout, doc)
	return nil
}

func printRequest(w io.Writer, doc requestDoc) {
	r := doc.Request
	fmt.Fprintf(w, "%s\n%s, from %s to %s\n", r.ID, title(r.Kind), r.RequestingState, r.RequestedState)
	fmt.Fprintf(w, "State: %s   Urgency: %s   Version: %d\n", r.State, r.Urgency, r.Version)
	fmt.Fprintf(w, "Legal basis: %s\n", basisWords(r.LegalBasis))
	if len(r.Offences) > 0 {
		fmt.Fprintln(w, "Offences:")
		for _, c := range r.Offences {
			fmt.Fprintf(w, "  %s\n", chargeWords(c, r.RequestingState, r.RequestedState))
		}
	}
	if r.Confidential {
		fmt.Fprintf(w, "Confidentiality: %s asks that the request and its substance be kept confidential (art. 40(20))\n", r.RequestingState)
	} else {
		fmt.Fprintln(w, "Confidentiality: not asked")
	}
	if r.UseLimitation != "" {
		fmt.Fprintf(w, "Use limitation (art. 40(19)): %s\n", r.UseLimitation)
	}
	fmt.Fprintf(w, "Personal data (art. 36): %s\n", markingWords(r.PersonalData))
	if len(r.Redacted) > 0 {
		fmt.Fprintf(w, "Hidden from your role, as they may hold personal data: %s\nnext: entraide request reveal %s --reason TEXT shows them for 15 minutes, the reason kept in the audit log\n", strings.Join(r.Redacted, ", "), r.ID)
	}
	if r.ProposedConditions != "" {
		fmt.Fprintf(w, "Conditions proposed by %s, for %s to accept or decline (art. 40(27)): %s\n", r.RequestedState, r.RequestingState, r.ProposedConditions)
	}
	if r.Conditions != "" {
		fmt.Fprintf(w, "Conditions accepted by %s, binding the execution (art. 40(27)): %s\n", r.RequestingState, r.Conditions)
	}
	if doc.ScreeningNeeded {
		fmt.Fprintf(w, "Screening for human rights needed before execution (arts. 6, 24, 40(22)): entraide request screen %s\n", r.ID)
	}
	if s := doc.Screening; s != nil {
		fmt.Fprintf(w, "Screened by %s at %s: %s; findings: %s\n", s.ScreenedBy, s.ScreenedAt.UTC().Format("2006-01-02 15:04 UTC"), s.Outcome, s.Findings)
	}
	if r.FollowUpOf != "" {
		fmt.Fprintf(w, "Follows up the preservation %s (art. 42): its data stay preserved until this request is decided\n", r.FollowUpOf)
	}
	if r.Preservation != nil {
		switch p := r.Preservation; {
		case preservationEnded(&r):
			fmt.Fprintf(w, "Preserved from %s; the preservation has ended (the request is %s)\n", p.Started.Format(time.DateOnly), r.State.Words())
			if p.FollowUp != "" {
				fmt.Fprintf(w, "Followed up by %s\n", p.FollowUp)
			}
		case p.FollowUp != "" && p.FollowUpDecided:
			fmt.Fprintf(w, "Preserved since %s; follow-up %s is decided, the preservation may be executed and closed\n", p.Started.Format(time.DateOnly), p.FollowUp)
		case p.FollowUp != "":
			fmt.Fprintf(w, "Preserved since %s until follow-up %s is decided\n", p.Started.Format(time.DateOnly), p.FollowUp)
		default:
			fmt.Fprintf(w, "Preserved since %s until %s\n", p.Started.Format(time.DateOnly), p.Until.Format(time.DateOnly))
		}
		if p := r.Preservation; p.ExtensionAsked != nil {
			fmt.Fprintf(w, "Extension asked until %s\n", p.ExtensionAsked.Format(time.DateOnly))
		}
	}
	if r.Refusal != nil {
		fmt.Fprintln(w, "Refused on these grounds:")
		for _, g := range r.Refusal.Grounds {
			fmt.Fprintf(w, "  %s\n", groundWords(g))
		}
		fmt.Fprintf(w, "Reasons: %s\n", r.Refusal.Reasons)
		for _, ev := range doc.Timeline {
			if ev.Action != casework.Refuse || len(ev.Reservations) == 0 {
				continue
			}
			fmt.Fprintf(w, "The refusal relies on %s's reservations:\n", ev.ActorState)
			for _, res := range ev.Reservations {
				if spec, ok := convention.LookupReservation(res); ok {
					fmt.Fprintf(w, "  %s (%s)\n", spec.Description, spec.Ref.Cite())
				} else {
					fmt.Fprintf(w, "  %s\n", res)
				}
			}
		}
	}
	if u := r.Undelivered; u != nil {
		fmt.Fprintf(w, "NOT DELIVERED to %s (%s): %s\n", u.To, u.At.Format(time.DateTime), u.Why)
	}
	if len(doc.AllowedActions) > 0 {
		names := make([]string, len(doc.AllowedActions))
		for i, a := range doc.AllowedActions {
			names[i] = string(a)
		}
		fmt.Fprintf(w, "You may now: %s (entraide request transition %s --action ACTION)\n", strings.Join(names, ", "), r.ID)
	} else {
		fmt.Fprintln(w, "You may now: nothing; the request waits on the other State, or your role does not act on it")
	}
	if spec, ok := convention.Lookup(r.Kind); ok {
		fmt.Fprintln(w)
		for _, f := range spec.Fields {
			if v := r.Fields[f.Name]; v != "" {
				fmt.Fprintf(w, "%s (%s):\n  %s\n", f.Label, f.Ref.Cite(), v)
			}
		}
	}
	fmt.Fprintln(w, "\nTimeline:")
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	proposed := ""
	for _, ev := range doc.Timeline {
		fmt.Fprintf(tw, "  %s\t%s\t%s/%s\t%s\t%s\n", ev.At.Format(time.DateTime), ev.Action, ev.ActorState, ev.Actor, ev.To, eventWords(ev, proposed))
		if ev.Action == casework.Consult {
			proposed = ev.Conditions
		}
	}
	tw.Flush()
	for _, msg := range doc.Unreadable {
		fmt.Fprintf(w, "  UNREADABLE: %s\n", msg)
	}
}

func cmdRequestTransition(ctx context.Context, e env, args []string) error {
	fs := newFlags(e, "request transition", "ID --action ACTION [--note TEXT] [--grounds G,G --reasons TEXT] [--until DATE] [flags]")
	addClientFlags(fs, e)
	var actions []string
	for _, a := range casework.Actions() {
		actions = append(actions, string(a))
	}
	action := fs.String("action", "", "one of "+strings.Join(actions, ", ")+" (required)")
	note := fs.String("note", "", "a note for the timeline; the information asked for or given")
	grounds := fs.String("grounds", "", "grounds for refusal, comma-separated: the codes listed below, e.g. domestic_law,essential_interests")
	reasons := fs.String("reasons", "", "reasons for a refusal or postponement (art. 40(24), (26))")
	until := fs.String("until", "", "end of preservation, YYYY-MM-DD: on start or extend (the requested State), or the end asked for on ask_extension (the requesting State) (art. 42(7))")
	conditions := fs.String("conditions", "", "on consult, the conditions under which assistance could be given, for the requesting State to accept or decline (art. 40(27))")
	var answerConds conditionFlag
	fs.Var(&answerConds, "condition", "on execute or execute_partially, "+conditionHelp+"; they bind the answer and every item it gives, those sent before")
	usage := fs.Usage
	fs.Usage = func() {
		usage()
		printGrounds(fs.Output())
	}
	asJSON := fs.Bool("json", false, "print the request as JSON")
	ifMatch := fs.String("if-match", "", "move the request only if it is still at this version (its ETag, or the Version of request show); by default, the version read just before")
	key := fs.String("idempotency-key", "", "a key of your choice: running the command again with it does not move the request twice")
	if help, err := parse(e, fs, args); help || err != nil {
		return err
	}
	if fs.NArg() != 1 || *action == "" {
		return fmt.Errorf("request transition: name one request id and an --action\nnext: entraide request transition ID --action ACTION, the ID from entraide request list; the actions: %s", strings.Join(actions, ", "))
	}
	if !slices.Contains(actions, *action) {
		return fmt.Errorf("request transition: --action %q is not an action\nnext: run it again with one of %s; entraide request show %s gives the request's state", *action, strings.Join(actions, ", "), fs.Arg(0))
	}
	t := casework.Transition{Action: casework.Action(*action), Note: *note, Reasons: *reasons, Conditions: *conditions, AnswerConditions: answerConds.cs}
	for _, g := range splitList(*grounds) {
		t.Grounds = append(t.Grounds, convention.Ground(strings.ToLower(g)))
	}
	if *until != "" {
		d, err := convention.ParseTime("--until", time.DateOnly, *until)
		if err != nil {
			return fmt.Errorf("request transition: %w\nnext: give --until as a date in UTC, YYYY-MM-DD", err)
		}
		t.PreserveUntil = &d
	}
	c, err := clientFor(fs)
	if err != nil {
		return err
	}
	path := "/api/v1/requests/" + url.PathEscape(fs.Arg(0))
	header := http.Header{}
	if *key != "" {
		header.Set("Idempotency-Key", *key)
	}
	// The move is made on the version of the request its official saw:
	// if another official moved it meanwhile, the node refuses (412)
	// rather than apply a decision taken on what it no longer is.
	tag := *ifMatch
	if tag == "" {
		got, err := c.call(ctx, "GET", path, nil, nil, nil)
		if err != nil {
			return transitionError(err, fs.Arg(0), t.Action)
		}
		tag = got.Get("ETag")
	} else if !strings.HasPrefix(tag, `"`) {
		tag = `"` + tag + `"`
	}
	if tag != "" {
		header.Set("If-Match", tag)
	}
	var r casework.Request
	if _, err := c.call(ctx, "POST", path+"/transitions", header, t, &r); err != nil {
		return transitionError(err, fs.Arg(0), t.Action)
	}
	if *asJSON {
		return writeJSON(e.stdout, r)
	}
	switch p := r.Preservation; {
	case t.Action == casework.AskExtension && p != nil && p.ExtensionAsked != nil:
		fmt.Fprintf(e.stdout, "%s: extension of the preservation until %s asked of %s; the request stays %s, its data preserved until %s unless %s extends it.\n",
			r.ID, p.ExtensionAsked.Format(time.DateOnly), r.RequestedState, r.State.Words(), p.Until.Format(time.DateOnly), r.RequestedState)
	case t.Action == casework.Extend && p != nil && !p.Until.IsZero():
		fmt.Fprintf(e.stdout, "%s: preservation extended until %s; the request is %s.\n", r.ID, p.Until.Format(time.DateOnly), r.State.Words())
	default:
		fmt.Fprintf(e.stdout, "%s is now %s.\n", r.ID, r.State.Words())
	}
	return nil
}

// transitionError is the error of request transition on request id,
// with the step to take next: the node's own answer says what went wrong,
// and this line what to run. Each step it names can be taken: a draft's
// contents are not edited, so a draft the node refuses to send is
// withdrawn and drafted again.
func transitionError(err error, id string, action casework.Action) error {
	ae, ok := errors.AsType[*apiError](fromFlags(err))
	if !ok {
		return fmt.Errorf("request transition: %w", err)
	}
	// What the node says, without the list of allowed actions it ends
	// with: an action it names in its words is the one it advises.
	said := ""
	for _, m := range append([]string{ae.Detail}, messages(ae)...) {
		m, _, _ = strings.Cut(strings.ToLower(m), "allowed now")
		said += " " + m
	}
	var next string
	switch {
	case ae.Status == http.StatusConflict && slices.ContainsFunc(ae.Errors, func(fe fieldError) bool { return fe.Field == "screening" }):
		// Waiting for a screening: the step is to screen, which no
		// action of the request's does.
		next = fmt.Sprintf("entraide request screen %s --considered all --findings TEXT --outcome cleared|concerns (entraide request screen --help lists the grounds)", id)
	case len(ae.AllowedActions) > 0:
		// The action the node's message names first (consult, when a
		// refusal must follow a consultation), else the first allowed.
		first := ae.AllowedActions[0]
		for _, a := range ae.AllowedActions {
			if strings.Contains(said, a) || strings.Contains(said, strings.ReplaceAll(a, "_", " ")) {
				first = a
				break
			}
		}
		next = fmt.Sprintf("entraide request transition %s --action %s (allowed now: %s)", id, first, strings.Join(ae.AllowedActions, ", "))
	case ae.Status == http.StatusNotFound:
		next = "entraide request list, for the ids of your State's requests"
	case ae.Status == http.StatusPreconditionFailed:
		next = fmt.Sprintf("entraide request show %s gives its Version; if your action still holds, run the command again with that --if-match, or without --if-match", id)
	case ae.Status == http.StatusForbidden && strings.Contains(said, "role may not"):
		next = fmt.Sprintf("ask an official whose role acts on requests (%s) to run entraide request transition %s --action %s", rolesThatAct(), id, action)
	case ae.Status == http.StatusForbidden && strings.Contains(said, "central authority"):
		next = fmt.Sprintf("ask your central authority (role central_authority) to run entraide request transition %s --action %s", id, action)
	case ae.Status == http.StatusForbidden:
		next = fmt.Sprintf("entraide request show %s: this step is for the other State; it lists what you may do now", id)
	case ae.Status == http.StatusConflict:
		next = fmt.Sprintf("entraide request show %s, to follow the request until the step named above is yours", id)
	case (ae.Status == http.StatusUnprocessableEntity || ae.Status == http.StatusBadRequest) && contentsRefused(ae):
		// The draft's contents, not this command's flags, are at fault:
		// a draft is not edited.
		next = fmt.Sprintf("a draft cannot be edited: withdraw it (entraide request transition %s --action withdraw) and draft it again with entraide request create, the contents corrected", id)
		if slices.ContainsFunc(ae.Errors, func(fe fieldError) bool { return strings.HasPrefix(fe.Field, "legal_basis") }) {
			next += " (for the legal basis: --legal-basis reciprocity, or --treaty NAME)"
		}
	case ae.Status == http.StatusUnprocessableEntity || ae.Status == http.StatusBadRequest:
		next = "correct the flag named above and run the command again; entraide request transition --help says what each flag takes"
	default:
		return fmt.Errorf("request transition: %w", err)
	}
	return fmt.Errorf("request transition: %w\nnext: %s", err, next)
}

func messages(ae *apiError) []string {
	out := make([]string, len(ae.Errors))
	for i, fe := range ae.Errors {
		out[i] = fe.Message
	}
	return out
}

// transitionFields are the fields a transition carries: a problem with
// any other is a problem with the request's contents.
var transitionFields = []string{"action", "note", "grounds", "reasons", "conditions", "preserve_until", "If-Match", ""}

// contentsRefused reports whether the node refused the request's own
// contents rather than the transition's flags.
func contentsRefused(ae *apiError) bool {
	for _, fe := range ae.Errors {
		if !slices.Contains(transitionFields, fe.Field) {
			return true
		}
	}
	return false
}

// rolesThatAct lists the roles that act on requests.
func rolesThatAct() string { return rolesThat(identity.ActOnRequests) }

// rolesThat lists the roles that hold p.
func rolesThat(p identity.Permission) string {
	var names []string
	for _, r := range identity.Roles {
		if r.Can(p) {
			names = append(names, string(r))
		}
	}
	return strings.Join(names, " or ")
}

// eventWords is what a timeline line says of an event beyond its action:
// its note, reasons and the conditions proposed, accepted or declined
// (proposed is the last consultation's, which a decline answers).
func eventWords(ev casework.Event, proposed string) string {
	var parts []string
	for _, p := range []string{ev.Note, ev.Reasons} {
		if p != "" {
			parts = append(parts, p)
		}
	}
	conditions := ev.Conditions
	if conditions == "" && ev.Action == casework.DeclineConditions {
		conditions = proposed
	}
	if conditions != "" {
		switch ev.Action {
		case casework.Consult:
			parts = append(parts, "conditions proposed: "+conditions)
		case casework.AcceptConditions:
			parts = append(parts, "conditions accepted: "+conditions)
		case casework.DeclineConditions:
			parts = append(parts, "conditions declined: "+conditions)
		default:
			parts = append(parts, "conditions: "+conditions)
		}
	}
	if len(ev.Grounds) > 0 {
		gs := make([]string, len(ev.Grounds))
		for i, g := range ev.Grounds {
			gs[i] = string(g)
		}
		parts = append(parts, "grounds: "+strings.Join(gs, ", "))
	}
	if ev.PreserveUntil != nil {
		parts = append(parts, "preserved until "+ev.PreserveUntil.Format(time.DateOnly))
	}
	return strings.Join(parts, "; ")
}

// chargeWords says what an offence is and the penalty it carries.
func chargeWords(c convention.Charge, requesting, requested string) string {
	var what string
	switch o, ok := convention.LookupOffence(c.Article); {
	case c.Article == 0:
		what = "a serious crime (art. 2)"
	case ok:
		what = fmt.Sprintf("art. %d, %s", c.Article, o.Name)
	default:
		what = fmt.Sprintf("art. %d", c.Article)
	}
	if c.Description != "" {
		what += ": " + c.Description
	}
	var pens []string
	if c.MaxPenaltyYears > 0 {
		pens = append(pens, penaltyWords(c.MaxPenaltyYears)+" in "+requesting)
	}
	if c.RequestedStateMaxPenaltyYears > 0 {
		pens = append(pens, penaltyWords(c.RequestedStateMaxPenaltyYears)+" in "+requested)
	}
	if len(pens) > 0 {
		what += " (maximum penalty " + strings.Join(pens, ", ") + ")"
	}
	return what
}

func penaltyWords(years int) string {
	if years >= convention.LifeImprisonmentYears {
		return "life imprisonment"
	}
	return plural(years, "year", "years")
}

// printGrounds lists the grounds for refusal --grounds takes, with the
// Convention's words and provisions, and which kinds allow each.
func printGrounds(w io.Writer) {
	fmt.Fprintln(w, "\nGrounds for refusal (--grounds), with the kinds of request each may refuse:")
	for _, g := range convention.Grounds() {
		spec, ok := convention.LookupGround(g)
		if !ok {
			continue
		}
		var kinds []string
		for _, k := range convention.DraftableKinds() {
			if slices.Contains(k.RefusalGrounds, g) {
				kinds = append(kinds, string(k.Kind))
			}
		}
		fmt.Fprintf(w, "  %-24s %s (%s)\n  %-24s for: %s\n", g, spec.Description, spec.Ref.Cite(), "", strings.Join(kinds, ", "))
	}
}

// groundWords gives a ground for refusal as the Convention words it, with
// its provision, rather than as its code.
func groundWords(g convention.Ground) string {
	if spec, ok := convention.LookupGround(g); ok {
		return fmt.Sprintf("%s (%s)", spec.Description, spec.Ref.Cite())
	}
	return string(g)
}

func dateOrDash(t *time.Time) string {
	if t == nil || t.IsZero() {
		return "-"
	}
	return t.Format(time.DateOnly)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// basisWords says what a request rests on, as an official reads it.
func basisWords(b *casework.LegalBasis) string {
	switch {
	case b == nil:
		return "not named (drafted before every request named one: draft it again with --legal-basis)"
	case b.Type == casework.BasisConvention:
		return "this Convention"
	case b.Type == casework.BasisTreaty:
		return "the treaty " + strconv.Quote(b.Treaty)
	case b.Type == casework.BasisReciprocity:
		return "reciprocity"
	}
	return string(b.Type)
}

// stream GETs path and returns the response, its body not yet read, for
// an answer too large to hold (an item's bytes, an evidence package): it
// has no time limit, and an answer other than 200 is returned as the
// node's problem.
func (c *apiClient) stream(ctx context.Context, path string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, "GET", c.base+path, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	long := *c.http
	long.Timeout = 0
	res, err := long.Do(req)
	if err != nil {
		return nil, c.unreachable(err)
	}
	if res.StatusCode != http.StatusOK {
		return nil, responseProblem(res)
	}
	return res, nil
}

// responseProblem reads, and closes, the body of an answer that is not a
// success: the node's problem document, or its status.
func responseProblem(res *http.Response) error {
	defer res.Body.Close()
	data, _ := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	var p apiError
	if json.Unmarshal(data, &p) != nil || p.Status == 0 {
		return fmt.Errorf("%s", res.Status)
	}
	return &p
}
