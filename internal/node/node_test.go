package node_test

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // to read every row of a PostgreSQL schema
	_ "modernc.org/sqlite"             // to read every row of an SQLite file

	"entraide/internal/casework"
	"entraide/internal/convention"
	"entraide/internal/directory"
	"entraide/internal/identity"
	"entraide/internal/node"
	"entraide/internal/store"
	"entraide/internal/store/storetest"
)

func TestInit(t *testing.T) {
	eachBackend(t, func(t *testing.T, backend string) {
		ctx := t.Context()
		db := storetest.Open(t, backend)
		c := newClock(start)
		k := newKeeper(t)
		if _, err := node.Open(ctx, db, k, c.Now); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("node.Open before Init = %v, want store.ErrNotFound", err)
		}
		token, err := node.Init(ctx, db, node.InitOptions{Home: "fr", Hosted: []string{"VNM", "vn", "FRA"}, Keeper: k,
			Admin: identity.User{ID: "admin", Name: "Node Administrator", Role: identity.Auditor, State: "VNM"}}, c.Now)
		if err != nil {
			t.Fatalf("Init = %v", err)
		}
		n, err := node.Open(ctx, db, k, c.Now)
		if err != nil {
			t.Fatalf("Open = %v", err)
		}
		if n.Home() != "FRA" || !slices.Equal(n.Hosted(), []string{"FRA", "VNM"}) {
			t.Errorf("Home, Hosted = %s, %v; want FRA, [FRA VNM]", n.Home(), n.Hosted())
		}

		// The first administrator is FRA's, whatever the options said,
		// and the token stands for them.
		want := identity.User{ID: "admin", Name: "Node Administrator", State: "FRA", Role: identity.Administrator, CreatedAt: start}
		u, err := n.Authenticate(ctx, token)
		if err != nil || u != want {
			t.Errorf("Authenticate(the init token) = %+v, %v; want %+v", u, err, want)
		}
		if users, err := n.Users(ctx, node.ActorOf(u)); err != nil || !slices.Equal(users, []identity.User{want}) {
			t.Errorf("Users = %+v, %v; want only the administrator", users, err)
		}

		// The treaty status that ships with Entraide is seeded.
		records, err := db.TreatyRecords(ctx)
		if err != nil || len(records) != 69 {
			t.Errorf("TreatyRecords = %d, %v; want the 69 signatories shipped", len(records), err)
		}
		st, err := n.TreatyStatus(ctx)
		if err != nil || st.Signatories != 69 || st.Instruments != 0 || st.Summary != "not yet: 0 of 40" || st.EntryIntoForce != nil {
			t.Errorf("TreatyStatus = %d signatories, %d instruments, %q, %v; want 69, 0, \"not yet: 0 of 40\"", st.Signatories, st.Instruments, st.Summary, err)
		}

		f := &fixture{n: n, db: db, clock: c, keeper: k, token: token}
		log := f.auditLog(t)
		wantLog := []string{"node.init node/FRA", "treaty.seed treaty", "user.add user/admin", "token.create user/admin"}
		if got := actionsAndSubjects(log); !slices.Equal(got, wantLog) {
			t.Errorf("audit log after Init = %v, want %v", got, wantLog)
		}

		// A second Init changes nothing.
		_, err = node.Init(ctx, db, node.InitOptions{Home: "VNM", Keeper: k, Admin: identity.User{ID: "other", Name: "Other"}}, c.Now)
		if !errors.Is(err, store.ErrExists) {
			t.Errorf("second Init = %v, want store.ErrExists", err)
		}
		if home, _, err := db.Node(ctx); err != nil || home != "FRA" {
			t.Errorf("Node() after a second Init = %s, %v; want FRA", home, err)
		}
		if _, err := db.User(ctx, "VNM", "other"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("the second Init's administrator exists: %v", err)
		}
		if got := len(f.auditLog(t)); got != len(wantLog) {
			t.Errorf("audit log after a second Init has %d records, want %d", got, len(wantLog))
		}
	})
}

func TestInitValidation(t *testing.T) {
	tests := []struct {
		name   string
		opt    node.InitOptions
		fields []string
	}{
		{"art 40(13): an unknown home State", node.InitOptions{Home: "XXX", Admin: identity.User{ID: "admin", Name: "A"}}, []string{"state"}},
		{"art 64: the EU serves no node as a State", node.InitOptions{Home: "EUU", Admin: identity.User{ID: "admin", Name: "A"}}, []string{"state"}},
		{"art 40(13): an unknown hosted State", node.InitOptions{Home: "FRA", Hosted: []string{"VNM", "ZZZ"}, Admin: identity.User{ID: "admin", Name: "A"}}, []string{"host"}},
		{"a bad administrator", node.InitOptions{Home: "FRA", Admin: identity.User{ID: "A", Name: " "}}, []string{"id", "name"}},
		{"every problem at once", node.InitOptions{Home: "", Hosted: []string{"EU"}, Admin: identity.User{ID: "", Name: ""}}, []string{"state", "host", "id", "name"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := storetest.Open(t, "sqlite")
			_, err := node.Init(t.Context(), db, tt.opt, newClock(start).Now)
			assertProblemFields(t, "Init", err, tt.fields...)
			if _, _, err := db.Node(t.Context()); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("Node() after a refused Init = %v, want ErrNotFound", err)
			}
		})
	}
}

func TestAddUser(t *testing.T) {
	eachBackend(t, func(t *testing.T, backend string) {
		f := newFixture(t, backend)
		ctx := t.Context()
		tests := []struct {
			name   string
			by     casework.Actor
			u      identity.User
			fields []string // problems expected; nil for success
			err    error
			want   identity.User
		}{
			{"an official of the home State by default", f.n.Admin(), identity.User{ID: "lea", Name: "Léa Martin", Role: identity.Investigator},
				nil, nil, identity.User{ID: "lea", Name: "Léa Martin", State: "FRA", Role: identity.Investigator, CreatedAt: start}},
			{"an official of a hosted State, by its alpha-2 code", f.n.AdminOf("VNM"), identity.User{ID: "minh", Name: "Minh", State: "vn", Role: identity.Auditor},
				nil, nil, identity.User{ID: "minh", Name: "Minh", State: "VNM", Role: identity.Auditor, CreatedAt: start}},
			{"a hosted State's official by default", f.n.AdminOf("VNM"), identity.User{ID: "lan", Name: "Lan", Role: identity.Investigator},
				nil, nil, identity.User{ID: "lan", Name: "Lan", State: "VNM", Role: identity.Investigator, CreatedAt: start}},
			{"art 40(13): the home State's administrator adds no hosted State's official", f.n.Admin(), identity.User{ID: "minh2", Name: "Minh", State: "VNM", Role: identity.Auditor},
				nil, casework.ErrForbidden, identity.User{}},
			{"art 40(13): a hosted State's administrator adds no home State's official", f.n.AdminOf("VNM"), identity.User{ID: "lea2", Name: "Léa", State: "FRA", Role: identity.CentralAuthority},
				nil, casework.ErrForbidden, identity.User{}},
			{"art 40(13): nor one of a State the node does not host", f.n.Admin(), identity.User{ID: "hans", Name: "Hans", State: "DEU", Role: identity.CentralAuthority},
				nil, casework.ErrForbidden, identity.User{}},
			{"art 40(13): a State this node does not host", f.n.AdminOf("DEU"), identity.User{ID: "hans", Name: "Hans", State: "DEU", Role: identity.CentralAuthority},
				[]string{"state"}, nil, identity.User{}},
			{"art 40(13): no such State", f.n.AdminOf("XXX"), identity.User{ID: "x1", Name: "X", State: "XXX", Role: identity.CentralAuthority},
				[]string{"state"}, nil, identity.User{}},
			{"a bad id", f.n.Admin(), identity.User{ID: "Bad Id", Name: "B", Role: identity.CentralAuthority}, []string{"id"}, nil, identity.User{}},
			{"a bad role", f.n.Admin(), identity.User{ID: "bob", Name: "Bob", Role: "minister"}, []string{"role"}, nil, identity.User{}},
			{"no role", f.n.Admin(), identity.User{ID: "bob", Name: "Bob"}, []string{"role"}, nil, identity.User{}},
			{"every problem at once", f.n.AdminOf("DEU"), identity.User{ID: "-", Name: "", State: "DEU", Role: "x", Email: strings.Repeat("a", 255)},
				[]string{"id", "name", "role", "email", "state"}, nil, identity.User{}},
			{"an id taken", f.n.Admin(), identity.User{ID: "fra-ca", Name: "Again", Role: identity.CentralAuthority}, nil, store.ErrExists, identity.User{}},
			{"only an administrator adds officials", fraCA, identity.User{ID: "eve", Name: "Eve", Role: identity.CentralAuthority},
				nil, casework.ErrForbidden, identity.User{}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				before := len(f.auditLog(t))
				got, err := f.n.AddUser(ctx, tt.by, tt.u)
				switch {
				case tt.fields != nil:
					assertProblemFields(t, "AddUser", err, tt.fields...)
				case tt.err != nil:
					if !errors.Is(err, tt.err) {
						t.Errorf("AddUser = %v, want %v", err, tt.err)
					}
				case err != nil:
					t.Fatalf("AddUser = %v, want success", err)
				default:
					if got != tt.want {
						t.Errorf("AddUser = %+v, want %+v", got, tt.want)
					}
					if stored, err := f.db.User(ctx, tt.want.State, tt.u.ID); err != nil || stored != tt.want {
						t.Errorf("stored user = %+v, %v; want %+v", stored, err, tt.want)
					}
				}
				wantRecords := 0
				if tt.fields == nil && tt.err == nil {
					wantRecords = 1
				}
				if got := len(f.auditLog(t)) - before; got != wantRecords {
					t.Errorf("AddUser wrote %d audit records, want %d", got, wantRecords)
				}
			})
		}
	})
}

// dumpDatabase returns the text of every row of every table of the
// database at dsn.
func dumpDatabase(t *testing.T, backend, dsn string) []byte {
	t.Helper()
	ctx := context.Background()
	driver, source, list := "pgx", dsn, `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()`
	if backend == "sqlite" {
		driver, source, list = "sqlite", "file:"+dsn+"?mode=ro", `SELECT name FROM sqlite_master WHERE type = 'table'`
	}
	db, err := sql.Open(driver, source)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.QueryContext(ctx, list)
	if err != nil {
		t.Fatal(err)
	}
	var tables []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			t.Fatal(err)
		}
		tables = append(tables, name)
	}
	rows.Close()
	if !slices.Contains(tables, "tokens") {
		t.Fatalf("tables %v: no tokens table", tables)
	}
	var out bytes.Buffer
	for _, table := range tables {
		rows, err := db.QueryContext(ctx, `SELECT * FROM `+table)
		if err != nil {
			t.Fatalf("dump %s: %v", table, err)
		}
		cols, _ := rows.Columns()
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatalf("dump %s: %v", table, err)
			}
			for _, v := range vals {
				if b, ok := v.([]byte); ok {
					out.Write(b)
				} else {
					fmt.Fprint(&out, v)
				}
				out.WriteByte('\t')
			}
			out.WriteByte('\n')
		}
		if err := rows.Err(); err != nil {
			t.Fatalf("dump %s: %v", table, err)
		}
		rows.Close()
	}
	return out.Bytes()
}

// dumpFiles returns the bytes of every file in dir: an SQLite database,
// its write-ahead log and shared memory.
func dumpFiles(t *testing.T, dir string) []byte {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []byte
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, b...)
	}
	return out
}

func TestPermissions(t *testing.T) {
	eachBackend(t, func(t *testing.T, backend string) {
		f := newFixture(t, backend)
		ctx := t.Context()
		for _, by := range []casework.Actor{fraCA, fraInv, fra247} {
			if _, err := f.n.Users(ctx, by); !errors.Is(err, casework.ErrForbidden) {
				t.Errorf("Users by %s = %v, want ErrForbidden", by.Role, err)
			}
			if _, err := f.n.AuditLog(ctx, by, 0, 10); !errors.Is(err, casework.ErrForbidden) {
				t.Errorf("AuditLog by %s = %v, want ErrForbidden", by.Role, err)
			}
		}
		if entries, err := f.n.AuditLog(ctx, fraAud, 0, 3); err != nil || len(entries) != 3 {
			t.Errorf("AuditLog(0, 3) by an auditor = %d entries, %v; want 3", len(entries), err)
		}
		if entries, err := f.n.AuditLog(ctx, fraAud, 2, 0); err != nil || len(entries) == 0 || entries[0].Seq != 3 {
			t.Errorf("AuditLog(2, 0) by an auditor = %d entries, %v; want from seq 3", len(entries), err)
		}
	})
}

// TestHostedStateRunsNothingOfTheNode checks that an administrator of a
// State hosted beside the home State manages their own State's officials
// and roster, but not the node: its keys, peers and address, the treaty
// records and the States' profiles. Each refusal writes nothing.
func TestHostedStateRunsNothingOfTheNode(t *testing.T) {
	eachBackend(t, func(t *testing.T, backend string) {
		f := newFixture(t, backend)
		ctx := t.Context()
		vnmAdmin := casework.Actor{ID: "vnm-admin", State: "VNM", Role: identity.Administrator}
		if _, err := f.n.AddUser(ctx, f.n.AdminOf("VNM"), identity.User{ID: vnmAdmin.ID, Name: "Quản trị viên", Role: identity.Administrator}); err != nil {
			t.Fatal(err)
		}
		calls := []struct {
			name string
			call func(by casework.Actor) error
		}{
			{"RecordTreaty", func(by casework.Actor) error {
				_, err := f.n.RecordTreaty(ctx, by, node.TreatyAction{Code: "VNM", Deposited: "2026-02-10", Instrument: "ratification"})
				return err
			}},
			{"ImportTreaty", func(by casework.Actor) error {
				_, err := f.n.ImportTreaty(ctx, by, strings.NewReader("code,signed\n"))
				return err
			}},
			{"PutProfile", func(by casework.Actor) error {
				_, err := f.n.PutProfile(ctx, by, directory.Profile{Code: "VNM", Languages: []string{"vi"}})
				return err
			}},
			{"RecordDeclaration", func(by casework.Actor) error {
				_, err := f.n.RecordDeclaration(ctx, by, "VNM", node.DeclarationInput{Article: 42, MadeOn: "2026-01-01", Text: "x"})
				return err
			}},
			{"SetBaseURL", func(by casework.Actor) error { return f.n.SetBaseURL(ctx, by, "https://entraide.example.vn") }},
			{"RotateKeys", func(by casework.Actor) error { return f.n.RotateKeys(ctx, by) }},
			{"AddPeer", func(by casework.Actor) error { _, err := f.n.AddPeer(ctx, by, []byte(`{}`)); return err }},
			{"RemovePeer", func(by casework.Actor) error { return f.n.RemovePeer(ctx, by, "DEU") }},
		}
		for _, c := range calls {
			before := len(f.auditLog(t))
			if err := c.call(vnmAdmin); !errors.Is(err, casework.ErrForbidden) {
				t.Errorf("%s by VNM's administrator = %v, want ErrForbidden", c.name, err)
			}
			if got := len(f.auditLog(t)); got != before {
				t.Errorf("%s by VNM's administrator wrote %d audit records", c.name, got-before)
			}
		}
		// The home State's administrator may, the refusals above were not
		// of the role.
		if err := f.n.RotateKeys(ctx, f.n.Admin()); err != nil {
			t.Errorf("RotateKeys by FRA's administrator = %v", err)
		}
		if _, err := f.n.PutProfile(ctx, f.n.Admin(), directory.Profile{Code: "VNM", Languages: []string{"vi"}}); errors.Is(err, casework.ErrForbidden) {
			t.Errorf("PutProfile(VNM) by FRA's administrator = %v, want it judged on its contents", err)
		}
	})
}

// TestAuditViews checks that every audit record belongs to the view of
// the State whose data it is about, and that a State's auditors read their
// own view only: VNM's auditors see nothing of FRA's draft, FRA's none of
// VNM's officials.
func TestAuditViews(t *testing.T) {
	eachBackend(t, func(t *testing.T, backend string) {
		f := newFixture(t, backend)
		ctx := t.Context()
		draft := f.draft(t, convention.MutualAssistance, "VNM")
		sent := f.draft(t, convention.Preservation, "VNM")
		f.move(t, fraCA, sent.ID, casework.Transition{Action: casework.Send})
		if _, err := f.n.AddUser(ctx, f.n.AdminOf("VNM"), identity.User{ID: "vnm-aud", Name: "Kiểm toán viên", Role: identity.Auditor}); err != nil {
			t.Fatal(err)
		}
		if err := f.n.RotateKeys(ctx, f.n.Admin()); err != nil {
			t.Fatal(err)
		}
		for _, r := range f.auditLog(t) {
			want := "FRA"
			switch {
			case strings.Contains(r.Subject, "@"):
				want = r.Subject[strings.Index(r.Subject, "@")+1:]
			case strings.HasPrefix(r.Subject, "alert/"), r.Subject == "user/vnm-ca", r.Subject == "user/vnm-247", r.Subject == "user/vnm-aud":
				want = "VNM"
			}
			if r.State != want {
				t.Errorf("record %d (%s %s) is in %q's view, want %q's", r.Seq, r.Action, r.Subject, r.State, want)
			}
		}
		vnmAud := casework.Actor{ID: "vnm-aud", State: "VNM", Role: identity.Auditor}
		for _, tt := range []struct {
			by      casework.Actor
			mustNot []string // what the view must not mention
			must    []string
		}{
			{vnmAud, []string{draft.ID, "@FRA", "node.keys_rotate", "user/fra-"}, []string{sent.ID + "@VNM", "user/vnm-aud"}},
			{fraAud, []string{draft.ID + "@VNM", "@VNM", "user/vnm-"}, []string{draft.ID, sent.ID + "@FRA", "node.keys_rotate"}},
		} {
			entries, err := f.n.AuditLog(ctx, tt.by, 0, 1000)
			if err != nil {
				t.Fatal(err)
			}
			var all []byte
			for _, e := range entries {
				all = append(all, e.Record...)
			}
			for _, s := range tt.mustNot {
				if bytes.Contains(all, []byte(s)) {
					t.Errorf("%s's auditor reads a record of %q", tt.by.State, s)
				}
			}
			for _, s := range tt.must {
				if !bytes.Contains(all, []byte(s)) {
					t.Errorf("%s's auditor reads no record of %q", tt.by.State, s)
				}
			}
		}
	})
}
