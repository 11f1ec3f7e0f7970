package node_test

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
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

// clock is a fixed clock that tests move by hand.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock(t time.Time) *clock { return &clock{t: t} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// start is when every test node is initialised.
var start = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// The officials of a test node, which serves FRA and hosts VNM beside it.
var (
	fraCA  = casework.Actor{ID: "fra-ca", State: "FRA", Role: identity.CentralAuthority}
	fra247 = casework.Actor{ID: "fra-247", State: "FRA", Role: identity.TwentyFourSeven}
	fraInv = casework.Actor{ID: "fra-inv", State: "FRA", Role: identity.Investigator}
	fraAud = casework.Actor{ID: "fra-aud", State: "FRA", Role: identity.Auditor}
	vnmCA  = casework.Actor{ID: "vnm-ca", State: "VNM", Role: identity.CentralAuthority}
	vnm247 = casework.Actor{ID: "vnm-247", State: "VNM", Role: identity.TwentyFourSeven}
)

// fixture is a node initialised on a fresh database of one backend.
type fixture struct {
	n      *node.Node
	db     *store.DB
	clock  *clock
	keeper node.Keeper // wraps the node's private keys
	token  string      // the first administrator's
}

// eachBackend runs fn as a subtest for every backend.
func eachBackend(t *testing.T, fn func(t *testing.T, backend string)) {
	t.Helper()
	for _, backend := range storetest.Backends {
		t.Run(backend, func(t *testing.T) {
			t.Parallel()
			fn(t, backend)
		})
	}
}

// newFixture initialises a node for FRA hosting VNM, with the officials
// above.
func newFixture(t *testing.T, backend string) *fixture {
	t.Helper()
	return newFixtureDB(t, storetest.Open(t, backend))
}

func newFixtureDB(t *testing.T, db *store.DB) *fixture {
	t.Helper()
	ctx := t.Context()
	c := newClock(start)
	k := newKeeper(t)
	token, err := node.Init(ctx, db, node.InitOptions{Home: "FRA", Hosted: []string{"VNM"}, Keeper: k,
		Admin: identity.User{ID: "admin", Name: "Node Administrator"}}, c.Now)
	if err != nil {
		t.Fatalf("node.Init: %v", err)
	}
	n, err := node.Open(ctx, db, k, c.Now)
	if err != nil {
		t.Fatalf("node.Open: %v", err)
	}
	for _, a := range []casework.Actor{fraCA, fra247, fraInv, fraAud, vnmCA, vnm247} {
		if _, err := n.AddUser(ctx, n.AdminOf(a.State), identity.User{ID: a.ID, Name: "Official " + a.ID, State: a.State, Role: a.Role}); err != nil {
			t.Fatalf("AddUser(%s): %v", a.ID, err)
		}
	}
	return &fixture{n: n, db: db, clock: c, keeper: k, token: token}
}

// fieldsFor returns every required field of kind k, filled in.
func fieldsFor(t *testing.T, k convention.Kind) map[string]string {
	t.Helper()
	spec, ok := convention.Lookup(k)
	if !ok {
		t.Fatalf("convention.Lookup(%q) = _, false", k)
	}
	fields := map[string]string{}
	for _, f := range spec.Fields {
		if f.Required {
			fields[f.Name] = "the " + f.Name + " of the case"
		}
	}
	return fields
}

func contents(t *testing.T, k convention.Kind, requested string) casework.Contents {
	t.Helper()
	return casework.Contents{Kind: k, RequestedState: requested, LegalBasis: &casework.LegalBasis{Type: casework.BasisReciprocity}, Fields: fieldsFor(t, k), Offences: []convention.Charge{{Article: 7, MaxPenaltyYears: 3, RequestedStateMaxPenaltyYears: 2}}}
}

// draft creates a request of kind k from FRA to requested.
func (f *fixture) draft(t *testing.T, k convention.Kind, requested string) *casework.Request {
	t.Helper()
	r, err := f.n.CreateRequest(t.Context(), fraCA, contents(t, k, requested))
	if err != nil {
		t.Fatalf("CreateRequest(%s to %s): %v", k, requested, err)
	}
	return r
}

// move makes transition t on request id, failing the test on error.
func (f *fixture) move(t *testing.T, by casework.Actor, id string, tr casework.Transition) *casework.Request {
	t.Helper()
	r, err := f.n.Transition(t.Context(), by, id, tr)
	if err != nil {
		t.Fatalf("Transition(%s by %s): %v", tr.Action, by.ID, err)
	}
	return r
}

// views returns FRA's and VNM's views of request id and their timelines;
// a view the node does not hold is nil.
func (f *fixture) views(t *testing.T, id string) (fra, vnm *casework.Request, fraTL, vnmTL []casework.Event) {
	t.Helper()
	fra, fraTL = f.view(t, fraCA, id)
	vnm, vnmTL = f.view(t, vnmCA, id)
	return
}

func (f *fixture) view(t *testing.T, by casework.Actor, id string) (*casework.Request, []casework.Event) {
	t.Helper()
	r, tl, err := f.n.Request(t.Context(), by, id)
	if errors.Is(err, casework.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		t.Fatalf("Request(%s as %s): %v", id, by.State, err)
	}
	return r, tl
}

// audited is an audit record as the tests read it.
type audited struct {
	Seq        int64           `json:"seq"`
	Node       string          `json:"node"`
	State      string          `json:"state"`
	ActorState string          `json:"actor_state"`
	Actor      string          `json:"actor"`
	Action     string          `json:"action"`
	Subject    string          `json:"subject"`
	Detail     json.RawMessage `json:"detail"`
}

// auditLog returns every audit record the node holds: the views of every
// State it hosts, which together are the whole log, without a gap.
func (f *fixture) auditLog(t *testing.T) []audited {
	t.Helper()
	if _, err := f.n.IntegrateLog(t.Context()); err != nil {
		t.Fatalf("IntegrateLog: %v", err)
	}
	var entries []store.AuditEntry
	for _, state := range f.n.Hosted() {
		// The store's view, whole: an administrator's through the node
		// leaves out what their role does not see of requests.
		view, err := f.db.AuditLog(t.Context(), state, 0, 1000)
		if err != nil {
			t.Fatalf("AuditLog of %s: %v", state, err)
		}
		entries = append(entries, view...)
	}
	slices.SortFunc(entries, func(a, b store.AuditEntry) int { return cmp.Compare(*a.LeafIndex, *b.LeafIndex) })
	out := make([]audited, len(entries))
	for i, e := range entries {
		if err := json.Unmarshal(e.Record, &out[i]); err != nil {
			t.Fatalf("audit record %d: %v", e.Seq, err)
		}
		out[i].Seq = e.Seq
		if *e.LeafIndex != int64(i) {
			t.Fatalf("audit record %d of the log is at leaf %d, want %d: the log has no gap", i, *e.LeafIndex, i)
		}
	}
	return out
}

// auditSince returns the records written by fn.
func (f *fixture) auditSince(t *testing.T, fn func()) []audited {
	t.Helper()
	before := len(f.auditLog(t))
	fn()
	return f.auditLog(t)[before:]
}

// actionsAndSubjects lists each record as "action subject".
func actionsAndSubjects(rs []audited) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.Action + " " + r.Subject
	}
	return out
}

// assertProblemFields fails t unless err is convention.Problems (or a
// *casework.Error carrying them) on exactly fields, in any order.
func assertProblemFields(t *testing.T, call string, err error, fields ...string) {
	t.Helper()
	var ps convention.Problems
	if p, ok := errors.AsType[convention.Problems](err); ok {
		ps = p
	} else if ce, ok := errors.AsType[*casework.Error](err); ok {
		ps = ce.Problems
	} else {
		t.Errorf("%s = %v, want problems on %v", call, err, fields)
		return
	}
	var got []string
	for _, p := range ps {
		if p.Message == "" {
			t.Errorf("%s: problem on %q has no message", call, p.Field)
		}
		got = append(got, p.Field)
	}
	slices.Sort(got)
	want := slices.Sorted(slices.Values(fields))
	if !slices.Equal(got, want) {
		t.Errorf("%s = problems on %v (%v), want on %v", call, got, ps, want)
	}
}

// sameEvents reports whether a and b encode the same.
func sameEvents(t *testing.T, a, b []casework.Event) bool {
	t.Helper()
	ja, err := json.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	jb, err := json.Marshal(b)
	if err != nil {
		t.Fatal(err)
	}
	return bytes.Equal(ja, jb)
}

func actionsOf(events []casework.Event) []casework.Action {
	out := make([]casework.Action, len(events))
	for i, e := range events {
		out[i] = e.Action
	}
	return out
}

func containsAll(s string, parts ...string) bool {
	for _, p := range parts {
		if !strings.Contains(s, p) {
			return false
		}
	}
	return true
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// adminFor returns the administrator of the State whose official id is:
// an administrator manages their own State's officials only.
func (f *fixture) adminFor(t *testing.T, id string) casework.Actor {
	t.Helper()
	for _, state := range f.n.Hosted() {
		if _, err := f.db.User(t.Context(), state, id); err == nil {
			return f.n.AdminOf(state)
		}
	}
	return f.n.Admin()
}
