package web

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"entraide/internal/casework"
	"entraide/internal/convention"
	"entraide/internal/identity"
	"entraide/internal/node"
	"entraide/internal/store"
	"entraide/internal/store/storetest"
)

// testStates are the States of a test node: FRA is its home, VNM and ZAF
// are hosted beside it.
var testStates = []string{"FRA", "VNM", "ZAF"}

// testEpoch is when a test node's clock starts. The clock moves one second
// each time the node reads it, so that events are ordered and reproducible.
var testEpoch = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// testNode is a node hosting FRA (home), VNM and ZAF behind a real HTTP
// server, with one official of every role for every State.
type testNode struct {
	// URL is the server's base URL, without a trailing slash.
	URL string
	// Tokens holds an API token for every official, by official id (see
	// officialID): "fra-administrator", "vnm-central_authority", ...
	Tokens map[string]string
	// Node is the node the server serves, for setting up data directly.
	Node *node.Node
	// Handler is the server's handler, for calls without the network.
	Handler http.Handler
	// Client talks to URL.
	Client *http.Client

	contract *contract // the OpenAPI document every response is checked against
	server   *Server
}

// officialID names the official of state with role on a test node, e.g.
// "fra-central_authority" or "zaf-24_7".
func officialID(state string, role identity.Role) string {
	return strings.ToLower(state) + "-" + string(role)
}

// newTestNode creates a node on a fresh database of backend ("sqlite" or
// "postgres", as storetest names them; postgres skips when no server
// answers), adds an official of every role for each of FRA, VNM and ZAF
// with an API token, and serves it with httptest. Everything is closed at
// the end of the test or benchmark. Its clock starts at testEpoch.
func newTestNode(tb testing.TB, backend string) *testNode {
	tb.Helper()
	return newTestNodeWith(tb, backend, steppingClock(testEpoch, time.Second), slog.New(slog.NewTextHandler(io.Discard, nil)))
}

// newLimitedNode is newTestNode with limits; its Server is in tn.server.
func newLimitedNode(tb testing.TB, backend string, limits Limits) *testNode {
	tb.Helper()
	return buildTestNode(tb, backend, steppingClock(testEpoch, time.Second), slog.New(slog.NewTextHandler(io.Discard, nil)), limits)
}

// newTestNodeWith is newTestNode with a clock and a logger of the test's.
func newTestNodeWith(tb testing.TB, backend string, clock node.Clock, log *slog.Logger) *testNode {
	tb.Helper()
	return buildTestNode(tb, backend, clock, log, testLimits)
}

func buildTestNode(tb testing.TB, backend string, clock node.Clock, log *slog.Logger, limits Limits) *testNode {
	tb.Helper()
	ctx := tb.Context()
	db := storetest.Open(tb, backend)
	adminID := officialID(testStates[0], identity.Administrator)
	k := newKeeper(tb)
	adminToken, err := node.Init(ctx, db, node.InitOptions{Home: testStates[0], Hosted: testStates[1:], Keeper: k,
		Admin: identity.User{ID: adminID, Name: "Administrateur du nœud"}}, clock)
	if err != nil {
		tb.Fatalf("node.Init: %v", err)
	}
	n, err := node.Open(ctx, db, k, clock)
	if err != nil {
		tb.Fatalf("node.Open: %v", err)
	}
	n.SetVault(testVault(tb))
	tokens := map[string]string{adminID: adminToken}
	for _, state := range testStates {
		for _, role := range identity.Roles {
			id := officialID(state, role)
			if id == adminID {
				continue
			}
			if _, err := n.AddUser(ctx, n.AdminOf(state), identity.User{ID: id, Name: "Official " + id, State: state, Role: role}); err != nil {
				tb.Fatalf("AddUser(%s): %v", id, err)
			}
			if tokens[id], err = enrol(ctx, n, state, id); err != nil {
				tb.Fatalf("enrol(%s): %v", id, err)
			}
		}
	}
	s := newServer(n, log, Config{Limits: limits})
	srv := httptest.NewServer(s.handler)
	tb.Cleanup(srv.Close)
	tn := &testNode{URL: srv.URL, Tokens: tokens, Node: n, Handler: s.handler, Client: srv.Client(), server: s}
	tn.contract = loadContract(tb, tn)
	return tn
}

// enrol gives state's official id a token of their own, as on a real
// node: an administrator of their State issues a code, and they redeem it.
func enrol(ctx context.Context, n *node.Node, state, id string) (string, error) {
	e, err := n.IssueEnrolment(ctx, n.AdminOf(state), id)
	if err != nil {
		return "", err
	}
	out, err := n.Enrol(ctx, e.Code, "test")
	return out.Token, err
}

// testLimits let the tests that try every route with bad tokens and
// many calls run from one address; the tests of the limits set their own.
var testLimits = Limits{AuthFailures: 1 << 20, InboxFailures: 1 << 20, APIRate: 1 << 20, APIBurst: 1 << 20, InboxReadsPerAddress: 1 << 20, PublicReports: 1 << 20}

// steppingClock returns a clock that starts at start and moves by step on
// every reading; it is safe for concurrent use.
func steppingClock(start time.Time, step time.Duration) node.Clock {
	var mu sync.Mutex
	now := start
	return func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		now = now.Add(step)
		return now
	}
}

// token returns the API token of the official of state with role.
func (tn *testNode) token(tb testing.TB, state string, role identity.Role) string {
	tb.Helper()
	tok, ok := tn.Tokens[officialID(state, role)]
	if !ok {
		tb.Fatalf("no official %s", officialID(state, role))
	}
	return tok
}

// actor returns the official of state with role as the node sees them.
func actor(state string, role identity.Role) casework.Actor {
	return casework.Actor{ID: officialID(state, role), State: state, Role: role}
}

// response is what the server answered.
type response struct {
	Status int
	Header http.Header
	Body   []byte
}

// problem decodes r as a problem document, failing the test if it is not
// one.
func (r response) problem(tb testing.TB) Problem {
	tb.Helper()
	if ct := r.Header.Get("Content-Type"); ct != "application/problem+json" {
		tb.Fatalf("status %d: Content-Type %q, want application/problem+json; body %s", r.Status, ct, r.Body)
	}
	var p Problem
	if len(r.Body) == 0 && r.Header.Get("Content-Length") != "" {
		return p // the answer to a HEAD: its headers only
	}
	if err := json.Unmarshal(r.Body, &p); err != nil {
		tb.Fatalf("status %d: body is not a problem document: %v; body %s", r.Status, err, r.Body)
	}
	return p
}

// decodeBody decodes the JSON body of r into a T.
func decodeBody[T any](tb testing.TB, r response) T {
	tb.Helper()
	var v T
	if err := json.Unmarshal(r.Body, &v); err != nil {
		tb.Fatalf("status %d: cannot decode body as %T: %v; body %s", r.Status, v, err, r.Body)
	}
	return v
}

// do sends method path with token (none if empty) and body: nil for no
// body, []byte or string as is, anything else as JSON; any body goes with
// Content-Type application/json. Every response is checked by check.
func (tn *testNode) do(tb testing.TB, method, path, token string, body any) response {
	tb.Helper()
	auth := ""
	if token != "" {
		auth = "Bearer " + token
	}
	return tn.request(tb, method, path, auth, "application/json", body)
}

// request sends method path with the Authorization header authorization
// and, unless body is nil, a body of contentType (none if empty): []byte
// or string as is, anything else as JSON.
func (tn *testNode) request(tb testing.TB, method, path, authorization, contentType string, body any) response {
	tb.Helper()
	return tn.requestWithHeader(tb, method, path, authorization, contentType, body, nil)
}

// requestWithHeader is request with more headers.
func (tn *testNode) requestWithHeader(tb testing.TB, method, path, authorization, contentType string, body any, header http.Header) response {
	tb.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		rd = bytes.NewReader(b)
	case string:
		rd = strings.NewReader(b)
	default:
		data, err := json.Marshal(b)
		if err != nil {
			tb.Fatalf("marshal body: %v", err)
		}
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequestWithContext(tb.Context(), method, tn.URL+path, rd)
	if err != nil {
		tb.Fatalf("new request %s %s: %v", method, path, err)
	}
	if body != nil && contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if authorization != "" {
		req.Header.Set("Authorization", authorization)
	}
	for name, values := range header {
		req.Header[name] = values
	}
	return tn.send(tb, req)
}

// send sends req over the network and checks the response by check.
func (tn *testNode) send(tb testing.TB, req *http.Request) response {
	tb.Helper()
	res, err := tn.Client.Do(req)
	if err != nil {
		tb.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		tb.Fatalf("%s %s: read body: %v", req.Method, req.URL.Path, err)
	}
	r := response{Status: res.StatusCode, Header: res.Header, Body: body}
	tn.check(tb, req, r)
	return r
}

// check holds every response to what the API promises whatever the
// request: no 5xx; no token of the node's officials, and not the caller's
// own, in the headers or body; problem documents for errors, with status,
// title and a field for each error; and the statuses and schemas of the
// OpenAPI document.
func (tn *testNode) check(tb testing.TB, req *http.Request, r response) {
	tb.Helper()
	where := req.Method + " " + req.URL.RequestURI()
	if r.Status >= 500 {
		tb.Errorf("%s: status %d, want no 5xx; body %s", where, r.Status, r.Body)
	}
	secrets := []string{}
	for _, tok := range tn.Tokens {
		secrets = append(secrets, tok)
	}
	// The caller's own token, unless it is too short to be told from
	// ordinary text.
	if auth, ok := strings.CutPrefix(req.Header.Get("Authorization"), "Bearer "); ok && len(strings.TrimSpace(auth)) >= 8 {
		secrets = append(secrets, strings.TrimSpace(auth))
	}
	headers, _ := json.Marshal(r.Header)
	for _, s := range secrets {
		if bytes.Contains(r.Body, []byte(s)) || bytes.Contains(headers, []byte(s)) {
			tb.Errorf("%s: the response contains an API token (%s...)", where, s[:8])
		}
	}
	if r.Status >= 400 && req.Method != http.MethodHead {
		var p Problem
		if ct := r.Header.Get("Content-Type"); ct != "application/problem+json" {
			tb.Errorf("%s: status %d with Content-Type %q, want application/problem+json", where, r.Status, ct)
		} else if err := json.Unmarshal(r.Body, &p); err != nil {
			tb.Errorf("%s: status %d: body is not JSON: %v", where, r.Status, err)
		} else {
			if p.Status != r.Status || p.Title == "" || p.Type == "" {
				tb.Errorf("%s: problem %+v: want status %d, a title and a type", where, p, r.Status)
			}
			if r.Status < 500 && len(p.Errors) == 0 {
				tb.Errorf("%s: status %d: problem without errors; want each 4xx to name the field at fault", where, r.Status)
			}
			for i, e := range p.Errors {
				if e.Field == "" || e.Message == "" {
					tb.Errorf("%s: errors[%d] = %+v: want a field and a message", where, i, e)
				}
			}
		}
	}
	if tn.contract != nil {
		tn.contract.check(tb, req, r)
	}
}

// Valid contents of the kinds the tests use.

func preservationContents(requested string) casework.Contents {
	return casework.Contents{
		Kind: convention.Preservation, RequestedState: requested, LegalBasis: &casework.LegalBasis{Type: casework.BasisReciprocity}, Urgency: casework.Urgent,
		Offences: []convention.Charge{{Article: 10}},
		Fields: map[string]string{
			"requesting_authority": "Office anti-cybercriminalité, point de contact 24/7",
			"facts_summary":        "Ransomware encrypted the systems of a hospital; the leak site is hosted abroad.",
			"stored_data":          "Subscriber data and access logs of the hosting account behind the leak site.",
			"necessity":            "The provider deletes logs after 30 days.",
			"follow_up_intent":     "A request for disclosure of the preserved data will follow.",
		},
	}
}

func mlaFields() map[string]string {
	return map[string]string{
		"requesting_authority": "Ministère de la Justice, Bureau de l'entraide pénale internationale",
		"subject_matter":       "Investigation of a ransomware attack on a hospital",
		"conducting_authority": "Juge d'instruction, tribunal judiciaire de Paris",
		"facts_summary":        "Ransomware encrypted the systems of a hospital in Lyon.",
		"assistance_sought":    "Hearing of a witness; production of bank records.",
		"purpose":              "Evidence for criminal proceedings.",
	}
}

func mlaContents(requested string) casework.Contents {
	return casework.Contents{Kind: convention.MutualAssistance, RequestedState: requested, LegalBasis: &casework.LegalBasis{Type: casework.BasisReciprocity},
		Offences: []convention.Charge{{Article: 10}}, Fields: mlaFields()}
}

func storedDataAccessContents(requested, followUpOf string) casework.Contents {
	f := mlaFields()
	f["stored_data"] = "The data preserved under art. 42."
	f["safeguards"] = "Ordered by an investigating judge; limited to the account and to 2026."
	return casework.Contents{Kind: convention.StoredDataAccess, RequestedState: requested, LegalBasis: &casework.LegalBasis{Type: casework.BasisReciprocity}, FollowUpOf: followUpOf,
		Offences: []convention.Charge{{Article: 10}}, Fields: f}
}

// otherState returns a hosted State other than state.
func otherState(state string) string {
	for _, s := range testStates {
		if s != state {
			return s
		}
	}
	panic("one test State")
}

// draft creates a request through the node, as the central authority of
// c's requesting State (or the 24/7 contact, for kinds it handles).
func (tn *testNode) draft(tb testing.TB, by casework.Actor, c casework.Contents) *casework.Request {
	tb.Helper()
	r, err := tn.Node.CreateRequest(tb.Context(), by, c)
	if err != nil {
		tb.Fatalf("CreateRequest(%s by %s): %v", c.Kind, by.ID, err)
	}
	return r
}

// create drafts a request through the API and returns it.
func (tn *testNode) create(tb testing.TB, token string, c casework.Contents) *casework.Request {
	tb.Helper()
	r := tn.do(tb, "POST", "/api/v1/requests", token, c)
	if r.Status != http.StatusCreated {
		tb.Fatalf("POST /api/v1/requests (%s): status %d, want 201; body %s", c.Kind, r.Status, r.Body)
	}
	req := decodeBody[*casework.Request](tb, r)
	if got, want := r.Header.Get("Location"), "/api/v1/requests/"+req.ID; got != want {
		tb.Errorf("Location = %q, want %q", got, want)
	}
	return req
}

// move posts transition t of request id and returns the response.
func (tn *testNode) move(tb testing.TB, token, id string, t casework.Transition) response {
	tb.Helper()
	return tn.do(tb, "POST", "/api/v1/requests/"+id+"/transitions", token, t)
}

// mustMove posts transition t and fails unless the request moves to want.
func (tn *testNode) mustMove(tb testing.TB, token, id string, t casework.Transition, want casework.State) *casework.Request {
	tb.Helper()
	r := tn.move(tb, token, id, t)
	if r.Status != http.StatusOK {
		tb.Fatalf("%s of %s: status %d, want 200; body %s", t.Action, id, r.Status, r.Body)
	}
	req := decodeBody[*casework.Request](tb, r)
	if req.State != want {
		tb.Fatalf("%s of %s: state %q, want %q", t.Action, id, req.State, want)
	}
	return req
}

// view returns the view of request id that token's State holds, with its
// timeline.
func (tn *testNode) view(tb testing.TB, token, id string) requestDoc {
	tb.Helper()
	r := tn.do(tb, "GET", "/api/v1/requests/"+id, token, nil)
	if r.Status != http.StatusOK {
		tb.Fatalf("GET /api/v1/requests/%s: status %d, want 200; body %s", id, r.Status, r.Body)
	}
	return decodeBody[requestDoc](tb, r)
}

// wantProblem fails unless r is a problem with status whose errors name
// field (if not empty) and, if article is not empty, cite that article or
// one of its paragraphs ("art. 42" accepts "art. 42(7)").
func wantProblem(tb testing.TB, r response, status int, field, article string) Problem {
	tb.Helper()
	if r.Status != status {
		tb.Fatalf("status %d, want %d; body %s", r.Status, status, r.Body)
	}
	p := r.problem(tb)
	if field == "" {
		return p
	}
	i := slices.IndexFunc(p.Errors, func(e FieldError) bool { return e.Field == field })
	if i < 0 {
		tb.Fatalf("errors %+v: want one for field %q", p.Errors, field)
	}
	if got := p.Errors[i].Article; article != "" && got != article && !strings.HasPrefix(got, article+"(") {
		tb.Errorf("errors[%d] = %+v: want article %s", i, p.Errors[i], article)
	}
	return p
}

// integrateLog puts the node's committed audit records into its log and
// signs a checkpoint, as RunLog does within a second.
func integrateLog(tb testing.TB, tn *testNode) store.LogHead {
	tb.Helper()
	head, err := tn.Node.IntegrateLog(tb.Context())
	if err != nil {
		tb.Fatalf("IntegrateLog = %v", err)
	}
	return head
}
