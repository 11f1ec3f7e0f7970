package store_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"entraide/internal/auditlog"
	"entraide/internal/casework"
	"entraide/internal/convention"
	"entraide/internal/directory"
	"entraide/internal/identity"
	"entraide/internal/store"
	"entraide/internal/store/storetest"
)

// suite is the store's contract. TestStore runs every case against every
// backend, as River runs one suite over every driver.
var suite = []struct {
	name string
	run  func(t *testing.T, db *store.DB)
}{
	{"requests/insert, read and update at a version", testRequestVersions},
	{"requests/listing newest first with filters and pages", testRequestListing},
	{"requests/a bad cursor", testBadCursor},
	{"requests/events in order with a sequence per view", testEvents},
	{"identity/users and token digests", testUsersAndTokens},
	{"identity/node init", testInitNode},
	{"directory/treaty records", testTreatyRecords},
	{"directory/declarations", testDeclarations},
	{"directory/profiles", testProfiles},
	{"audit/sequence, leaf hashes and canonical bytes", testAuditLog},
	{"audit/the table is append-only", testAuditAppendOnly},
	{"audit/a page after a seq misses no record committed late", testAuditPagingLateCommit},
	{"log/integrated in batches, with proofs and tiles", testLogIntegrate},
	{"log/a changed record is found", testLogTampered},
	{"log/concurrent writers and integrators", testLogConcurrent},
	{"log/what the witness saw, and the cosignatures", testWitnessState},
	{"tx/a failed transaction writes nothing", testFailedTx},
	{"tx/concurrent transitions of one request", testConcurrentTransitions},
	{"requests/a corrupt row is an error, not a zero request", testCorruptRequest},
	{"security/events are capped and cut to fit", testSecurityEventsCapped},
	{"evidence/items by State, pieces at their offset, tombstones", testEvidence},
	{"evidence/retention policy for personal data, art 36", testRetentionPolicy},
	{"evidence/use reports asked, answered once, by State", testUseReports},
	{"evidence/conditions and consents by State", testConditions},
	{"lease/taken, renewed, refused while held, taken over once expired", testLease},
}

// TestReopen checks that a database keeps its data when opened again, and
// that the migrations it already ran are not run twice.
func TestReopen(t *testing.T) {
	for _, backend := range storetest.Backends {
		t.Run(backend, func(t *testing.T) {
			t.Parallel()
			dsn := storetest.DSN(t, backend)
			for i := range 3 {
				db, err := store.Open(t.Context(), dsn)
				if err != nil {
					t.Fatalf("Open #%d = %v", i+1, err)
				}
				if i == 0 {
					insert(t, db, request("r1", "FRA", "FRA", "VNM", base))
					appendAudit(t, db, auditRecord(1))
				}
				if _, err := db.Request(t.Context(), "FRA", "r1"); err != nil {
					t.Errorf("Open #%d: Request(r1) = %v", i+1, err)
				}
				if versions, err := db.Int64s(t.Context(), `SELECT version FROM schema_migrations ORDER BY version`); err != nil || !slices.Equal(versions, migrationVersions(t, backend)) {
					t.Errorf("Open #%d: schema_migrations = %v, %v; want %v", i+1, versions, err, migrationVersions(t, backend))
				}
				if seqs := appendAudit(t, db, auditRecord(i+2)); len(seqs) != 1 || seqs[0] != int64(i+2) {
					t.Errorf("Open #%d: next audit seq %v, want %d", i+1, seqs, i+2)
				}
				db.Close()
			}
		})
	}
}

func TestStore(t *testing.T) {
	for _, backend := range storetest.Backends {
		t.Run(backend, func(t *testing.T) {
			t.Parallel()
			for _, c := range suite {
				t.Run(c.name, func(t *testing.T) {
					t.Parallel()
					c.run(t, storetest.Open(t, backend))
				})
			}
		})
	}
}

// migrationVersions lists the numbers of backend's migration files, in
// order: each must have run exactly once.
func migrationVersions(t *testing.T, backend string) []int64 {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join("migrations", backend))
	if err != nil {
		t.Fatal(err)
	}
	var out []int64
	for _, e := range entries {
		n, err := strconv.ParseInt(strings.SplitN(e.Name(), "_", 2)[0], 10, 64)
		if err != nil {
			t.Fatalf("migration %s: %v", e.Name(), err)
		}
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}

var base = time.Date(2026, 2, 1, 10, 0, 0, 0, time.UTC)

// request returns holder's view of a mutual assistance request that
// requesting asks of requested.
func request(id, holder, requesting, requested string, created time.Time) *casework.Request {
	return &casework.Request{
		ID: id, Holder: holder, Kind: convention.MutualAssistance,
		RequestingState: requesting, RequestedState: requested,
		State: casework.Draft, Urgency: casework.Normal,
		Fields:   map[string]string{"purpose": "evidence of fraud"},
		Offences: []convention.Charge{{Article: 13}}, Attachments: []casework.Attachment{},
		CreatedBy: "fra-ca", CreatedAt: created, UpdatedAt: created, Version: 1,
	}
}

func insert(t *testing.T, db *store.DB, rs ...*casework.Request) {
	t.Helper()
	err := db.Tx(t.Context(), func(tx *store.Tx) error {
		for _, r := range rs {
			if err := tx.InsertRequest(t.Context(), r); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("InsertRequest: %v", err)
	}
}

// assertSameJSON fails t unless got and want encode to the same JSON: a
// value read back from the store has the same contents, if not the same
// time.Location pointers.
func assertSameJSON(t *testing.T, what string, got, want any) {
	t.Helper()
	g, err := json.Marshal(got)
	if err != nil {
		t.Fatal(err)
	}
	w, err := json.Marshal(want)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(g, w) {
		t.Errorf("%s = %s\nwant %s", what, g, w)
	}
}

func testRequestVersions(t *testing.T, db *store.DB) {
	ctx := t.Context()
	r := request("r1", "FRA", "FRA", "VNM", base)
	insert(t, db, r)

	got, err := db.Request(ctx, "FRA", "r1")
	if err != nil {
		t.Fatalf("Request(FRA, r1) = %v", err)
	}
	assertSameJSON(t, "Request(FRA, r1)", got, r)

	if err := db.Tx(ctx, func(tx *store.Tx) error { return tx.InsertRequest(ctx, r) }); !errors.Is(err, store.ErrExists) {
		t.Errorf("InsertRequest of a view already stored = %v, want ErrExists", err)
	}
	for _, key := range [][2]string{{"VNM", "r1"}, {"FRA", "r2"}} {
		if _, err := db.Request(ctx, key[0], key[1]); !errors.Is(err, casework.ErrNotFound) {
			t.Errorf("Request(%s, %s) = %v, want casework.ErrNotFound", key[0], key[1], err)
		}
	}

	// Two officials read version 1; the first to write wins.
	first, second := *got, *got
	first.State, first.Version, first.UpdatedAt = casework.Sent, 2, base.Add(time.Minute)
	second.State, second.Version, second.UpdatedAt = casework.Withdrawn, 2, base.Add(2*time.Minute)
	if err := db.Tx(ctx, func(tx *store.Tx) error { return tx.UpdateRequest(ctx, &first, 1) }); err != nil {
		t.Fatalf("UpdateRequest at version 1 = %v", err)
	}
	if err := db.Tx(ctx, func(tx *store.Tx) error { return tx.UpdateRequest(ctx, &second, 1) }); !errors.Is(err, casework.ErrConflict) {
		t.Errorf("UpdateRequest at stale version 1 = %v, want casework.ErrConflict", err)
	}
	got, err = db.Request(ctx, "FRA", "r1")
	if err != nil {
		t.Fatal(err)
	}
	assertSameJSON(t, "Request after the stale update", got, &first)

	// RequestForUpdate reads the same view inside a transaction.
	err = db.Tx(ctx, func(tx *store.Tx) error {
		locked, err := tx.RequestForUpdate(ctx, "FRA", "r1")
		if err != nil {
			return err
		}
		assertSameJSON(t, "RequestForUpdate(FRA, r1)", locked, &first)
		_, err = tx.RequestForUpdate(ctx, "VNM", "r1")
		if !errors.Is(err, casework.ErrNotFound) {
			t.Errorf("RequestForUpdate(VNM, r1) = %v, want casework.ErrNotFound", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func testRequestListing(t *testing.T, db *store.DB) {
	ctx := t.Context()
	var all []*casework.Request
	states := []casework.State{casework.Draft, casework.Sent, casework.Received}
	for i := range 25 {
		// Three requests share each creation time, so that the id breaks
		// ties; every fourth is one VNM asks of FRA.
		r := request(fmt.Sprintf("r%02d", i), "FRA", "FRA", "VNM", base.Add(time.Duration(i/3)*time.Minute))
		if i%4 == 0 {
			r.RequestingState, r.RequestedState = "VNM", "FRA"
		}
		if i%2 == 0 {
			r.Kind = convention.Preservation
		}
		r.State = states[i%len(states)]
		all = append(all, r)
	}
	insert(t, db, all...)
	// Another State's views never show in FRA's listing.
	insert(t, db, request("r99", "VNM", "FRA", "VNM", base.Add(time.Hour)), request("r05", "VNM", "FRA", "VNM", base))

	newestFirst := slices.Clone(all)
	sort.Slice(newestFirst, func(i, j int) bool {
		a, b := newestFirst[i], newestFirst[j]
		if !a.CreatedAt.Equal(b.CreatedAt) {
			return a.CreatedAt.After(b.CreatedAt)
		}
		return a.ID > b.ID
	})

	tests := []struct {
		name  string
		f     store.Filter
		match func(r *casework.Request) bool
	}{
		{"all", store.Filter{}, func(*casework.Request) bool { return true }},
		{"state", store.Filter{State: casework.Sent}, func(r *casework.Request) bool { return r.State == casework.Sent }},
		{"kind", store.Filter{Kind: string(convention.Preservation)}, func(r *casework.Request) bool { return r.Kind == convention.Preservation }},
		{"requesting side", store.Filter{Side: casework.Requesting}, func(r *casework.Request) bool { return r.RequestingState == "FRA" }},
		{"requested side", store.Filter{Side: casework.Requested}, func(r *casework.Request) bool { return r.RequestedState == "FRA" }},
		{"state, kind and side", store.Filter{State: casework.Draft, Kind: string(convention.Preservation), Side: casework.Requesting},
			func(r *casework.Request) bool {
				return r.State == casework.Draft && r.Kind == convention.Preservation && r.RequestingState == "FRA"
			}},
		{"no match", store.Filter{State: casework.Closed}, func(*casework.Request) bool { return false }},
	}
	for _, tt := range tests {
		var want []string
		for _, r := range newestFirst {
			if tt.match(r) {
				want = append(want, r.ID)
			}
		}
		for _, limit := range []int{1, 4, 7, len(want), 0} {
			t.Run(fmt.Sprintf("%s/limit %d", tt.name, limit), func(t *testing.T) {
				f := tt.f
				f.Limit = limit
				var got []string
				pages := 0
				for {
					page, err := db.Requests(ctx, "FRA", f)
					if err != nil {
						t.Fatalf("Requests(%+v) = %v", f, err)
					}
					if pages++; pages > 30 {
						t.Fatalf("Requests: more than 30 pages for %d requests", len(want))
					}
					if limit > 0 && len(page.Requests) > limit {
						t.Fatalf("Requests(limit %d) returned %d", limit, len(page.Requests))
					}
					for _, r := range page.Requests {
						if r.Holder != "FRA" {
							t.Errorf("Requests(FRA) returned %s's view of %s", r.Holder, r.ID)
						}
						got = append(got, r.ID)
					}
					if page.NextCursor == "" {
						break
					}
					if len(page.Requests) == 0 {
						t.Fatalf("Requests returned an empty page with a next cursor")
					}
					f.Cursor = page.NextCursor
				}
				if !slices.Equal(got, want) {
					t.Errorf("pages of Requests(%+v) = %v, want %v", tt.f, got, want)
				}
				wantPages := 1
				if limit > 0 && len(want) > limit {
					wantPages = (len(want) + limit - 1) / limit
				}
				if pages != wantPages {
					t.Errorf("Requests(limit %d) took %d pages for %d requests, want %d", limit, pages, len(want), wantPages)
				}
			})
		}
	}

	// The listing carries the whole request.
	page, err := db.Requests(ctx, "FRA", store.Filter{Limit: 1})
	if err != nil {
		t.Fatal(err)
	}
	assertSameJSON(t, "first request listed", page.Requests[0], newestFirst[0])
}

func testBadCursor(t *testing.T, db *store.DB) {
	insert(t, db, request("r1", "FRA", "FRA", "VNM", base))
	enc := base64.RawURLEncoding.EncodeToString
	for _, c := range []string{
		"not base64!",
		enc([]byte("no separator")),
		enc([]byte("yesterday|r1")),
		enc([]byte("2026-02-01|r1")),
		base64.URLEncoding.EncodeToString([]byte(base.Format(store.TimeFormat) + "|r12")), // padded,
	} {
		if _, err := db.Requests(t.Context(), "FRA", store.Filter{Cursor: c}); !errors.Is(err, store.ErrBadCursor) {
			t.Errorf("Requests(cursor %q) = %v, want ErrBadCursor", c, err)
		}
	}
	good := enc([]byte(base.Add(time.Second).Format(store.TimeFormat) + "|r1"))
	if page, err := db.Requests(t.Context(), "FRA", store.Filter{Cursor: good}); err != nil || len(page.Requests) != 1 {
		t.Errorf("Requests(a cursor after r1) = %d requests, %v; want r1", len(page.Requests), err)
	}
}

func testEvents(t *testing.T, db *store.DB) {
	ctx := t.Context()
	ev := func(id string, i int, a casework.Action, to casework.State) casework.Event {
		return casework.Event{RequestID: id, At: base.Add(time.Duration(i) * time.Minute), Actor: "fra-ca", ActorState: "FRA", Action: a, To: to}
	}
	fra := []casework.Event{ev("r1", 0, casework.Create, casework.Draft), ev("r1", 1, casework.Send, casework.Sent), ev("r1", 2, casework.Deliver, casework.Received)}
	vnm := []casework.Event{ev("r1", 1, casework.Send, casework.Sent), ev("r1", 2, casework.Deliver, casework.Received)}
	other := []casework.Event{ev("r2", 0, casework.Create, casework.Draft)}
	// Interleave the appends, one transaction each.
	for _, step := range []struct {
		holder string
		e      casework.Event
	}{{"FRA", fra[0]}, {"FRA", other[0]}, {"FRA", fra[1]}, {"VNM", vnm[0]}, {"FRA", fra[2]}, {"VNM", vnm[1]}} {
		if err := db.Tx(ctx, func(tx *store.Tx) error { return tx.AppendEvent(ctx, step.holder, step.e) }); err != nil {
			t.Fatalf("AppendEvent(%s, %s) = %v", step.holder, step.e.Action, err)
		}
	}
	for _, tt := range []struct {
		holder, id string
		want       []casework.Event
	}{{"FRA", "r1", fra}, {"VNM", "r1", vnm}, {"FRA", "r2", other}, {"VNM", "r2", []casework.Event{}}} {
		got, err := db.Timeline(ctx, tt.holder, tt.id)
		if err != nil {
			t.Fatalf("Timeline(%s, %s) = %v", tt.holder, tt.id, err)
		}
		assertSameJSON(t, "Timeline("+tt.holder+", "+tt.id+")", got, tt.want)
		seqs, err := db.Int64s(ctx, `SELECT seq FROM events WHERE holder = ? AND request_id = ? ORDER BY seq`, tt.holder, tt.id)
		if err != nil {
			t.Fatal(err)
		}
		var want []int64
		for i := range tt.want {
			want = append(want, int64(i+1))
		}
		if len(seqs) != len(want) || !slices.Equal(seqs, want) {
			t.Errorf("seq of %s's events of %s = %v, want %v", tt.holder, tt.id, seqs, want)
		}
	}
}

func testUsersAndTokens(t *testing.T, db *store.DB) {
	ctx := t.Context()
	ana := identity.User{ID: "ana", Name: "Ana Duarte", Email: "ana@justice.fr", State: "FRA", Role: identity.CentralAuthority, CreatedAt: base}
	bao := identity.User{ID: "bao", Name: "Bao Tran", State: "VNM", Role: identity.TwentyFourSeven, CreatedAt: base.Add(time.Hour)}
	_, digest := identity.NewToken()
	err := db.Tx(ctx, func(tx *store.Tx) error {
		for _, u := range []identity.User{bao, ana} {
			if err := tx.InsertUser(ctx, u); err != nil {
				return err
			}
		}
		return tx.InsertToken(ctx, "FRA", digest, identity.Token{ID: identity.ShortID(digest), User: "ana", Label: "laptop", CreatedAt: base, ExpiresAt: base.Add(time.Hour)})
	})
	if err != nil {
		t.Fatalf("InsertUser, InsertToken: %v", err)
	}
	got, err := db.User(ctx, "FRA", "ana")
	if err != nil || got != ana {
		t.Errorf("User(FRA, ana) = %+v, %v; want %+v", got, err, ana)
	}
	for state, want := range map[string][]identity.User{"FRA": {ana}, "VNM": {bao}, "ZAF": {}} {
		if users, err := db.Users(ctx, state); err != nil || !slices.Equal(users, want) {
			t.Errorf("Users(%s) = %+v, %v; want %+v", state, users, err, want)
		}
	}
	// Another State's official is not found, as one who does not exist.
	for _, id := range []string{"nobody", "bao"} {
		if _, err := db.User(ctx, "FRA", id); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("User(FRA, %s) = %v, want ErrNotFound", id, err)
		}
	}
	if err := db.Tx(ctx, func(tx *store.Tx) error {
		return tx.InsertToken(ctx, "VNM", identity.Digest("y"), identity.Token{ID: "y", User: "ana", CreatedAt: base, ExpiresAt: base})
	}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("InsertToken(VNM, ana) for FRA's official = %v, want ErrNotFound", err)
	}
	dup := ana
	dup.Name = "Another Ana"
	if err := db.Tx(ctx, func(tx *store.Tx) error { return tx.InsertUser(ctx, dup) }); !errors.Is(err, store.ErrExists) {
		t.Errorf("InsertUser of a taken id = %v, want ErrExists", err)
	}
	if got, _, err := db.Credential(ctx, digest); err != nil || got != ana {
		t.Errorf("Credential = %+v, %v; want ana", got, err)
	}
	for _, d := range []string{identity.Digest("ent_unknown"), "", digest[:63]} {
		if _, _, err := db.Credential(ctx, d); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Credential(%q) = %v, want ErrNotFound", d, err)
		}
	}
	// A token belongs to a user that exists.
	err = db.Tx(ctx, func(tx *store.Tx) error {
		return tx.InsertToken(ctx, "FRA", identity.Digest("x"), identity.Token{ID: "x", User: "nobody", CreatedAt: base, ExpiresAt: base})
	})
	if !errors.Is(err, store.ErrNotFound) {
		t.Errorf("InsertToken for an unknown user = %v, want ErrNotFound", err)
	}
}

func testInitNode(t *testing.T, db *store.DB) {
	ctx := t.Context()
	if err := db.Tx(ctx, func(tx *store.Tx) error { return tx.InitNode(ctx, "FRA", []string{"VNM", "FRA", "DEU"}, base) }); err != nil {
		t.Fatalf("InitNode = %v", err)
	}
	home, hosted, err := db.Node(ctx)
	if err != nil || home != "FRA" || !slices.Equal(hosted, []string{"DEU", "FRA", "VNM"}) {
		t.Errorf("Node() = %q, %v, %v; want FRA, [DEU FRA VNM]", home, hosted, err)
	}
	if err := db.Tx(ctx, func(tx *store.Tx) error { return tx.InitNode(ctx, "VNM", nil, base) }); !errors.Is(err, store.ErrExists) {
		t.Errorf("second InitNode = %v, want ErrExists", err)
	}
}

func testTreatyRecords(t *testing.T, db *store.DB) {
	ctx := t.Context()
	day := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }
	fra := directory.TreatyRecord{Code: "FRA", Signed: day(2025, 10, 25), SignedAt: "Hanoi"}
	vnm := directory.TreatyRecord{Code: "VNM", Signed: day(2025, 10, 25), SignedAt: "Hanoi", Deposited: day(2026, 1, 15), Instrument: directory.Ratification}
	put := func(r directory.TreatyRecord) {
		t.Helper()
		if err := db.Tx(ctx, func(tx *store.Tx) error { return tx.PutTreatyRecord(ctx, r, base) }); err != nil {
			t.Fatalf("PutTreatyRecord(%s) = %v", r.Code, err)
		}
	}
	put(vnm)
	put(fra)
	if _, err := db.TreatyRecord(ctx, "DEU"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("TreatyRecord(DEU) = %v, want ErrNotFound", err)
	}
	got, err := db.TreatyRecord(ctx, "FRA")
	if err != nil || got != fra {
		t.Errorf("TreatyRecord(FRA) = %+v, %v; want %+v", got, err, fra)
	}
	// A later record replaces the earlier one.
	fra.Deposited, fra.Instrument = day(2026, 2, 1), directory.Approval
	put(fra)
	all, err := db.TreatyRecords(ctx)
	if err != nil || !slices.Equal(all, []directory.TreatyRecord{fra, vnm}) {
		t.Errorf("TreatyRecords() = %+v, %v; want %+v", all, err, []directory.TreatyRecord{fra, vnm})
	}
}

func testDeclarations(t *testing.T, db *store.DB) {
	ctx := t.Context()
	made := time.Date(2026, 1, 10, 0, 0, 0, 0, time.UTC)
	in := []directory.Declaration{
		{Code: "FRA", Article: 40, MadeOn: made, Text: "Requests in French or English."},
		{Code: "VNM", Article: 41, MadeOn: made, Text: "24/7 contact: the Ministry of Public Security."},
		{Code: "FRA", Article: 63, MadeOn: made.AddDate(0, 1, 0), Text: "Disputes: not bound by art. 63(2)."},
		{Code: "FRA", Article: 42, MadeOn: made, Text: "Preservation: dual criminality reserved.", Reservation: convention.PreservationDualCriminality},
	}
	ids := map[int64]bool{}
	for i := range in {
		err := db.Tx(ctx, func(tx *store.Tx) error {
			id, err := tx.InsertDeclaration(ctx, in[i], base)
			in[i].ID = id
			return err
		})
		if err != nil || in[i].ID == 0 || ids[in[i].ID] {
			t.Fatalf("InsertDeclaration(%d) = id %d, %v; want a new id", i, in[i].ID, err)
		}
		ids[in[i].ID] = true
	}
	got, err := db.Declarations(ctx, "FRA")
	if err != nil || !slices.Equal(got, []directory.Declaration{in[0], in[2], in[3]}) {
		t.Errorf("Declarations(FRA) = %+v, %v; want %+v", got, err, []directory.Declaration{in[0], in[2], in[3]})
	}
	if got, err := db.Declarations(ctx, "DEU"); err != nil || got == nil || len(got) != 0 {
		t.Errorf("Declarations(DEU) = %#v, %v; want an empty list", got, err)
	}
}

func testProfiles(t *testing.T, db *store.DB) {
	ctx := t.Context()
	p := directory.Profile{
		Code:             "FRA",
		CentralAuthority: directory.Authority{Name: "Bureau de l'entraide pénale internationale", Email: "beepi@justice.gouv.fr"},
		Contact247:       directory.Contact{Name: "OFAC", Phone: "+33 1 00 00 00 00", TimeZone: "Europe/Paris", Hours: "24/7"},
		Languages:        []string{"fr", "en"},
	}
	if _, err := db.Profile(ctx, "FRA"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Profile before any = %v, want ErrNotFound", err)
	}
	for _, diplomatic := range []bool{false, true} {
		p.DiplomaticChannel = diplomatic
		if err := db.Tx(ctx, func(tx *store.Tx) error { return tx.PutProfile(ctx, p, base) }); err != nil {
			t.Fatalf("PutProfile = %v", err)
		}
		got, err := db.Profile(ctx, "FRA")
		if err != nil {
			t.Fatal(err)
		}
		assertSameJSON(t, "Profile(FRA)", got, p)
	}
}

// auditRecord is the i-th test record: of VNM's view when i is a
// multiple of 4, of FRA's otherwise.
func auditRecord(i int) auditlog.Record {
	state := "FRA"
	if i%4 == 0 {
		state = "VNM"
	}
	return auditlog.Record{
		At: base.Add(time.Duration(i) * time.Second), Node: "FRA", State: state, ActorState: state, Actor: "official",
		Action: "request.send", Subject: fmt.Sprintf("request/r%d@%s", i, state),
		Detail: map[string]any{"i": i, "note": "é<>&", "z": []int{3, 1}},
	}
}

func appendAudit(t *testing.T, db *store.DB, records ...auditlog.Record) []int64 {
	t.Helper()
	var seqs []int64
	err := db.Tx(t.Context(), func(tx *store.Tx) error {
		for _, r := range records {
			seq, err := tx.Audit(t.Context(), r)
			if err != nil {
				return err
			}
			seqs = append(seqs, seq)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("Audit: %v", err)
	}
	return seqs
}

func testAuditLog(t *testing.T, db *store.DB) {
	ctx := t.Context()
	const n = 12
	var seqs []int64
	// Some transactions write one record, some several.
	for i := 1; i <= n; {
		batch := []auditlog.Record{auditRecord(i)}
		if i%3 == 0 && i+1 <= n {
			batch = append(batch, auditRecord(i+1))
		}
		seqs = append(seqs, appendAudit(t, db, batch...)...)
		i += len(batch)
	}
	for i, s := range seqs {
		if s != int64(i+1) {
			t.Fatalf("Audit returned sequence %v, want 1..%d", seqs, n)
		}
	}

	// Each State reads the records of its own view only, once in the
	// node's log, in its order.
	integrate(t, db)
	wantSeqs := map[string][]int64{"FRA": {1, 2, 3, 5, 6, 7, 9, 10, 11}, "VNM": {4, 8, 12}, "ZAF": {}}
	for state, want := range wantSeqs {
		entries, err := db.AuditLog(ctx, state, 0, 1000)
		if err != nil {
			t.Fatal(err)
		}
		var got []int64
		for _, e := range entries {
			got = append(got, e.Seq)
			r := auditRecord(int(e.Seq))
			r.Seq = e.Seq
			want, err := r.Canonical()
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(e.Record, want) {
				t.Errorf("entry %d record = %s, want %s", e.Seq, e.Record, want)
			}
			leaf := sha256.Sum256(append([]byte{0}, e.Record...))
			if !bytes.Equal(e.LeafHash, leaf[:]) {
				t.Errorf("entry %d leaf hash = %x, want SHA-256(0x00 || record) = %x", e.Seq, e.LeafHash, leaf)
			}
		}
		if !slices.Equal(got, want) && len(got)+len(want) > 0 {
			t.Errorf("AuditLog(%s, 0, 1000) = seq %v, want %v", state, got, want)
		}
	}

	// Read again, in pages: the same bytes.
	entries, err := db.AuditLog(ctx, "FRA", 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	var again []store.AuditEntry
	for after := int64(0); ; {
		page, err := db.AuditLog(ctx, "FRA", after, 4)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) == 0 {
			break
		}
		again = append(again, page...)
		after = page[len(page)-1].Seq
	}
	assertSameJSON(t, "AuditLog read in pages of 4", again, entries)
	if tail, err := db.AuditLog(ctx, "FRA", n-3, 1000); err != nil || len(tail) != 2 || tail[0].Seq != n-2 {
		t.Errorf("AuditLog(FRA, %d, 1000) = %d entries, %v; want seq %d and %d", n-3, len(tail), err, n-2, n-1)
	}
}

func testAuditAppendOnly(t *testing.T, db *store.DB) {
	ctx := t.Context()
	appendAudit(t, db, auditRecord(1), auditRecord(2))
	integrate(t, db)
	before, err := db.AuditLog(ctx, "FRA", 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`UPDATE audit SET action = 'forged' WHERE seq = 1`,
		`UPDATE audit SET record = leaf_hash`,
		`DELETE FROM audit WHERE seq = 2`,
		`DELETE FROM audit`,
	} {
		if n, err := db.ExecRaw(ctx, q); err == nil {
			t.Errorf("%s changed %d rows, want an error: the audit log is append-only", q, n)
		}
	}
	if db.Backend() == "postgres" {
		if _, err := db.ExecRaw(ctx, `TRUNCATE audit`); err == nil {
			t.Errorf("TRUNCATE audit succeeded, want an error: the audit log is append-only")
		}
	}
	after, err := db.AuditLog(ctx, "FRA", 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	assertSameJSON(t, "AuditLog after attempts to change it", after, before)
}

func testFailedTx(t *testing.T, db *store.DB) {
	ctx := t.Context()
	boom := errors.New("boom")
	r := request("r1", "FRA", "FRA", "VNM", base)
	err := db.Tx(ctx, func(tx *store.Tx) error {
		if err := tx.InsertRequest(ctx, r); err != nil {
			return err
		}
		if err := tx.AppendEvent(ctx, "FRA", casework.Event{RequestID: "r1", At: base, Action: casework.Create, To: casework.Draft}); err != nil {
			return err
		}
		if _, err := tx.Audit(ctx, auditRecord(1)); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Tx = %v, want the error fn returned", err)
	}
	// A transaction that fails in the database rolls back too.
	err = db.Tx(ctx, func(tx *store.Tx) error {
		if _, err := tx.Audit(ctx, auditRecord(2)); err != nil {
			return err
		}
		if err := tx.InsertUser(ctx, identity.User{ID: "ana", Name: "Ana", State: "FRA", Role: identity.Auditor, CreatedAt: base}); err != nil {
			return err
		}
		return tx.InsertToken(ctx, "FRA", identity.Digest("t"), identity.Token{ID: "t", User: "nobody", CreatedAt: base, ExpiresAt: base})
	})
	if err == nil {
		t.Fatalf("Tx inserting a token of an unknown user = nil, want an error")
	}

	if _, err := db.Request(ctx, "FRA", "r1"); !errors.Is(err, casework.ErrNotFound) {
		t.Errorf("Request after a rolled-back insert = %v, want ErrNotFound", err)
	}
	if events, err := db.Timeline(ctx, "FRA", "r1"); err != nil || len(events) != 0 {
		t.Errorf("Timeline after a rolled-back append = %v, %v; want none", events, err)
	}
	if _, err := db.User(ctx, "FRA", "ana"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("User after a rolled-back insert = %v, want ErrNotFound", err)
	}
	if entries, err := db.AuditLog(ctx, "FRA", 0, 10); err != nil || len(entries) != 0 {
		t.Errorf("AuditLog after rolled-back transactions = %d entries, %v; want none", len(entries), err)
	}
	// The records of the failed transactions leave no gap in the log:
	// the first committed record is its first leaf.
	seqs := appendAudit(t, db, auditRecord(3))
	integrate(t, db)
	if _, idx, err := db.AuditRecord(ctx, "FRA", seqs[0]); err != nil || idx != 0 {
		t.Errorf("first committed audit record is at leaf %d, %v; want 0", idx, err)
	}
}

// chain is the path the concurrent writers race along: the action that
// moves a request on from each state.
var chain = map[casework.State]casework.Action{
	casework.Received:     casework.Acknowledge,
	casework.Acknowledged: casework.Start,
	casework.InProgress:   casework.Execute,
	casework.Executed:     casework.Close,
}

// testConcurrentTransitions has 20 officials race to move one request
// along chain, each reading it outside the transaction and writing it
// back at the version read: for each state exactly one write wins, and
// the others fail with casework.ErrConflict.
func testConcurrentTransitions(t *testing.T, db *store.DB) {
	ctx := t.Context()
	r := request("r1", "VNM", "FRA", "VNM", base)
	r.State = casework.Received
	insert(t, db, r)
	by := casework.Actor{ID: "vnm-ca", State: "VNM", Role: identity.CentralAuthority}

	const writers = 20
	var (
		mu        sync.Mutex
		wins      = map[casework.Action]int{}
		conflicts int
		wg        sync.WaitGroup
	)
	for w := range writers {
		wg.Go(func() {
			for range 50 {
				cur, err := db.Request(ctx, "VNM", "r1")
				if err != nil {
					t.Errorf("writer %d: Request = %v", w, err)
					return
				}
				action, ok := chain[cur.State]
				if !ok {
					return // closed
				}
				at := base.Add(time.Duration(cur.Version) * time.Minute)
				e, err := casework.Decide(cur, casework.Transition{Action: action}, by, at)
				if err != nil {
					t.Errorf("writer %d: Decide(%s) on a fresh read = %v", w, action, err)
					return
				}
				read := cur.Version
				casework.ApplyEvent(cur, e)
				err = db.Tx(ctx, func(tx *store.Tx) error {
					if err := tx.UpdateRequest(ctx, cur, read); err != nil {
						return err
					}
					if err := tx.AppendEvent(ctx, "VNM", e); err != nil {
						return err
					}
					_, err := tx.Audit(ctx, auditlog.Record{At: at, Node: "VNM", State: "VNM", Actor: by.ID, ActorState: "VNM", Action: "request." + string(action), Subject: "request/r1@VNM", Detail: e})
					return err
				})
				mu.Lock()
				switch {
				case err == nil:
					wins[action]++
				case errors.Is(err, casework.ErrConflict):
					conflicts++
				default:
					t.Errorf("writer %d: %s = %v, want success or casework.ErrConflict", w, action, err)
				}
				mu.Unlock()
				if err != nil && !errors.Is(err, casework.ErrConflict) {
					return
				}
			}
			t.Errorf("writer %d: the request never closed", w)
		})
	}
	wg.Wait()

	want := []casework.Action{casework.Acknowledge, casework.Start, casework.Execute, casework.Close}
	for _, a := range want {
		if wins[a] != 1 {
			t.Errorf("%s won %d times, want exactly once", a, wins[a])
		}
	}
	t.Logf("%d writers: %d conflicts", writers, conflicts)
	final, err := db.Request(ctx, "VNM", "r1")
	if err != nil {
		t.Fatal(err)
	}
	if final.State != casework.Closed || final.Version != 1+len(want) {
		t.Errorf("final request: state %s, version %d; want closed, version %d", final.State, final.Version, 1+len(want))
	}
	events, err := db.Timeline(ctx, "VNM", "r1")
	if err != nil {
		t.Fatal(err)
	}
	var got []casework.Action
	for _, e := range events {
		got = append(got, e.Action)
	}
	if !slices.Equal(got, want) {
		t.Errorf("timeline = %v, want %v", got, want)
	}
	integrate(t, db)
	entries, err := db.AuditLog(ctx, "VNM", 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != len(want) {
		t.Errorf("audit log has %d records, want %d: one per winning transition", len(entries), len(want))
	}
	if entries, err = db.AuditLog(ctx, "VNM", 0, 100); err != nil {
		t.Fatal(err)
	}
	for i, e := range entries {
		if e.LeafIndex == nil || *e.LeafIndex != int64(i) {
			t.Errorf("audit entry %d (seq %d) is at leaf %v, want %d: the log has no gap", i, e.Seq, e.LeafIndex, i)
		}
	}
}

func testCorruptRequest(t *testing.T, db *store.DB) {
	ctx := t.Context()
	insert(t, db, request("r1", "FRA", "FRA", "VNM", base))
	if n, err := db.ExecRaw(ctx, `UPDATE requests SET body = ? WHERE id = ?`, `{"id": 1`, "r1"); err != nil || n != 1 {
		t.Fatalf("corrupting r1: %d rows, %v", n, err)
	}
	if _, err := db.Request(ctx, "FRA", "r1"); err == nil || errors.Is(err, casework.ErrNotFound) {
		t.Errorf("Request of a corrupt row = %v, want an error saying it is corrupt", err)
	}
	// The list names it, and lists no zero request in its place.
	if page, err := db.Requests(ctx, "FRA", store.Filter{}); err != nil || len(page.Requests) != 0 || len(page.Unreadable) != 1 || !strings.Contains(page.Unreadable[0], "r1") {
		t.Errorf("Requests over a corrupt row = %+v, %v; want no request and r1 named unreadable", page, err)
	}
}
