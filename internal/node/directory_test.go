package node_test

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"entraide/internal/casework"
	"entraide/internal/convention"
	"entraide/internal/directory"
	"entraide/internal/node"
	"entraide/internal/store"
)

func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

// hanoi is the day most signatories signed.
var hanoi = day(2025, 10, 25)

func TestRecordTreaty(t *testing.T) {
	eachBackend(t, func(t *testing.T, backend string) {
		f := newFixture(t, backend)
		ctx := t.Context()
		admin := f.n.Admin()

		// A deposit merges onto the signature Entraide ships.
		var rec directory.TreatyRecord
		var err error
		log := f.auditSince(t, func() {
			rec, err = f.n.RecordTreaty(ctx, admin, node.TreatyAction{Code: "fra", Deposited: "2026-02-10", Instrument: "ratification"})
		})
		want := directory.TreatyRecord{Code: "FRA", Signed: hanoi, SignedAt: "Hanoi", Deposited: day(2026, 2, 10), Instrument: directory.Ratification}
		if err != nil || rec != want {
			t.Fatalf("RecordTreaty(FRA deposit) = %+v, %v; want %+v", rec, err, want)
		}
		if stored, err := f.db.TreatyRecord(ctx, "FRA"); err != nil || stored != want {
			t.Errorf("stored FRA = %+v, %v; want %+v", stored, err, want)
		}
		if got := actionsAndSubjects(log); !slices.Equal(got, []string{"treaty.record treaty/FRA"}) {
			t.Errorf("audit of RecordTreaty = %v, want one treaty.record", got)
		}

		// A State that never signed signs, then ratifies.
		if _, err := f.n.RecordTreaty(ctx, admin, node.TreatyAction{Code: "DEU", Signed: "2026-01-20", SignedAt: "New York"}); err != nil {
			t.Fatalf("RecordTreaty(DEU signature) = %v", err)
		}
		rec, err = f.n.RecordTreaty(ctx, admin, node.TreatyAction{Code: "DEU", Deposited: "2026-03-01", Instrument: "acceptance"})
		want = directory.TreatyRecord{Code: "DEU", Signed: day(2026, 1, 20), SignedAt: "New York", Deposited: day(2026, 3, 1), Instrument: directory.Acceptance}
		if err != nil || rec != want {
			t.Errorf("RecordTreaty(DEU deposit) = %+v, %v; want %+v", rec, err, want)
		}
		// One that never signed joins by accession.
		if _, err := f.n.RecordTreaty(ctx, admin, node.TreatyAction{Code: "ISL", Deposited: "2026-03-01", Instrument: "accession"}); err != nil {
			t.Errorf("RecordTreaty(ISL accession) = %v", err)
		}

		tests := []struct {
			name  string
			by    casework.Actor
			a     node.TreatyAction
			field string
			err   error
		}{
			{"art 65: a deposit before the signature", admin, node.TreatyAction{Code: "VNM", Deposited: "2025-10-01", Instrument: "ratification"}, "deposited", nil},
			{"art 65(1): not an instrument", admin, node.TreatyAction{Code: "VNM", Deposited: "2026-02-01", Instrument: "signature"}, "instrument", nil},
			{"art 65(1): a deposit without its instrument", admin, node.TreatyAction{Code: "VNM", Deposited: "2026-02-01"}, "instrument", nil},
			{"art 65(1): an instrument without its date", admin, node.TreatyAction{Code: "VNM", Instrument: "approval"}, "deposited", nil},
			{"art 65: ratification without signature", admin, node.TreatyAction{Code: "USA", Deposited: "2026-02-01", Instrument: "ratification"}, "instrument", nil},
			{"art 65: not a date", admin, node.TreatyAction{Code: "VNM", Signed: "25/10/2025"}, "signed", nil},
			{"art 65: a place with a line break", admin, node.TreatyAction{Code: "VNM", SignedAt: "Ha\nnoi"}, "signed_at", nil},
			{"art 64: not a participant", admin, node.TreatyAction{Code: "ATL", Signed: "2026-01-01"}, "code", nil},
			{"only an administrator records treaty actions", fraCA, node.TreatyAction{Code: "VNM", Deposited: "2026-02-01", Instrument: "ratification"}, "", casework.ErrForbidden},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				before, err := f.db.TreatyRecords(ctx)
				if err != nil {
					t.Fatal(err)
				}
				log := f.auditSince(t, func() { _, err = f.n.RecordTreaty(ctx, tt.by, tt.a) })
				if tt.err != nil {
					if !errors.Is(err, tt.err) {
						t.Errorf("RecordTreaty = %v, want %v", err, tt.err)
					}
				} else {
					assertProblemFields(t, "RecordTreaty", err, tt.field)
				}
				after, err := f.db.TreatyRecords(ctx)
				if err != nil || !slices.Equal(before, after) || len(log) != 0 {
					t.Errorf("a refused RecordTreaty changed the records or wrote %d audit records", len(log))
				}
			})
		}
	})
}

func TestImportTreaty(t *testing.T) {
	eachBackend(t, func(t *testing.T, backend string) {
		f := newFixture(t, backend)
		ctx := t.Context()
		before, err := f.db.TreatyRecords(ctx)
		if err != nil {
			t.Fatal(err)
		}

		bad := directory.TreatyStatusHeader + "\n" +
			"FRA,France,state,2025-10-25,Hanoi,2026-02-10,ratification\n" +
			"VNM,Viet Nam,state,2025-10-25,Hanoi,2026-02-11,ratification\n" +
			"DEU,Germany,state,2026-13-01,New York,,\n"
		var n int
		log := f.auditSince(t, func() { n, err = f.n.ImportTreaty(ctx, f.n.Admin(), strings.NewReader(bad)) })
		ps, ok := errors.AsType[convention.Problems](err)
		if !ok || len(ps) != 1 || !containsAll(ps[0].Field, "line 4", `column "signed"`) || !containsAll(ps[0].Message, "2026-13-01") || strings.Count(err.Error(), "line 4") != 1 {
			t.Errorf("ImportTreaty(a bad date on line 4) = %d, %v; want one problem naming line 4 and column signed", n, err)
		}
		after, err := f.db.TreatyRecords(ctx)
		if err != nil || !slices.Equal(before, after) || len(log) != 0 || n != 0 {
			t.Errorf("a refused import recorded %d rows, changed the records (%v) or wrote %d audit records; want nothing",
				n, !slices.Equal(before, after), len(log))
		}

		// Every problem of a file at once, each with its line.
		worse := directory.TreatyStatusHeader + "\n# comment\n" +
			"FRA,France,state,2025-10-25,Hanoi,2026-02-10,treaty\n" +
			"XXX,Nowhere,state,2025-10-25,,,\n"
		_, err = f.n.ImportTreaty(ctx, f.n.Admin(), strings.NewReader(worse))
		assertProblemFields(t, "ImportTreaty(two bad lines)", err, `line 3, column "instrument"`, `line 4, column "code"`)

		good := strings.Join(strings.Split(bad, "\n")[:3], "\n") + "\n"
		log = f.auditSince(t, func() { n, err = f.n.ImportTreaty(ctx, f.n.Admin(), strings.NewReader(good)) })
		if err != nil || n != 2 {
			t.Fatalf("ImportTreaty(two good rows) = %d, %v; want 2", n, err)
		}
		if got := actionsAndSubjects(log); !slices.Equal(got, []string{"treaty.import treaty"}) {
			t.Errorf("audit of ImportTreaty = %v, want one treaty.import", got)
		}
		if vnm, err := f.db.TreatyRecord(ctx, "VNM"); err != nil || !vnm.Deposited.Equal(day(2026, 2, 11)) {
			t.Errorf("VNM after import = %+v, %v; want deposited 2026-02-11", vnm, err)
		}
		// Participants absent from the file keep their records.
		if chn, err := f.db.TreatyRecord(ctx, "CHN"); err != nil || !chn.Signed.Equal(hanoi) {
			t.Errorf("CHN after an import without it = %+v, %v; want its signature kept", chn, err)
		}
		if st, err := f.n.TreatyStatus(ctx); err != nil || st.Instruments != 2 || st.Summary != "not yet: 2 of 40" {
			t.Errorf("TreatyStatus after import = %d instruments, %q, %v; want 2, \"not yet: 2 of 40\"", st.Instruments, st.Summary, err)
		}

		if _, err := f.n.ImportTreaty(ctx, fraCA, strings.NewReader(good)); !errors.Is(err, casework.ErrForbidden) {
			t.Errorf("ImportTreaty by a central authority = %v, want ErrForbidden", err)
		}
	})
}

// TestEntryIntoForce deposits 39 States' instruments and the European
// Union's, then the 40th State's, and checks the date of art. 65(1).
func TestEntryIntoForce(t *testing.T) {
	eachBackend(t, func(t *testing.T, backend string) {
		f := newFixture(t, backend)
		ctx := t.Context()
		admin := f.n.Admin()
		var states []string
		for _, r := range directory.EmbeddedTreatyStatus() {
			if r.Code != "EUU" && !r.Signed.IsZero() {
				states = append(states, r.Code)
			}
		}
		if len(states) < 40 {
			t.Fatalf("only %d States signed in the shipped data; the test needs 40", len(states))
		}
		first := day(2026, 1, 1)
		for i, code := range states[:39] {
			if _, err := f.n.RecordTreaty(ctx, admin, node.TreatyAction{Code: code, Deposited: first.AddDate(0, 0, i).Format(time.DateOnly), Instrument: "ratification"}); err != nil {
				t.Fatalf("RecordTreaty(%s) = %v", code, err)
			}
		}
		// The European Union's instrument does not count in addition to
		// its members' (art. 65(1)).
		if _, err := f.n.RecordTreaty(ctx, admin, node.TreatyAction{Code: "EUU", Deposited: "2026-01-15", Instrument: "approval"}); err != nil {
			t.Fatalf("RecordTreaty(EUU) = %v", err)
		}
		st, err := f.n.TreatyStatus(ctx)
		if err != nil || st.Instruments != 39 || st.EntryIntoForce != nil || st.Summary != "not yet: 39 of 40" {
			t.Errorf("TreatyStatus with 39 States and the EU = %d, %v, %q, %v; want 39 instruments, \"not yet: 39 of 40\"", st.Instruments, st.EntryIntoForce, st.Summary, err)
		}

		fortieth := day(2026, 3, 1)
		if _, err := f.n.RecordTreaty(ctx, admin, node.TreatyAction{Code: states[39], Deposited: fortieth.Format(time.DateOnly), Instrument: "acceptance"}); err != nil {
			t.Fatalf("RecordTreaty(40th) = %v", err)
		}
		general := fortieth.AddDate(0, 0, 90) // 2026-05-30
		st, err = f.n.TreatyStatus(ctx)
		if err != nil || st.Instruments != 40 || st.EntryIntoForce == nil || !st.EntryIntoForce.Equal(general) || st.InForce ||
			st.Summary != "enters into force on 2026-05-30" {
			t.Errorf("TreatyStatus with 40 States on %v = %d, %v, in force %v, %q, %v; want 40, %v, not yet, \"enters into force on 2026-05-30\"",
				f.clock.Now(), st.Instruments, st.EntryIntoForce, st.InForce, st.Summary, err, general)
		}
		for _, p := range st.Parties {
			switch p.Code {
			case "EUU":
				if p.Counts || p.InForceFrom == nil || !p.InForceFrom.Equal(general) {
					t.Errorf("EUU: counts %v, in force from %v; want not counted, bound from %v", p.Counts, p.InForceFrom, general)
				}
			case states[0], states[39]:
				if !p.Counts || p.InForceFrom == nil || !p.InForceFrom.Equal(general) {
					t.Errorf("%s: counts %v, in force from %v; want counted, bound from %v", p.Code, p.Counts, p.InForceFrom, general)
				}
			}
		}

		f.clock.Set(general.Add(-time.Minute))
		if st, _ := f.n.TreatyStatus(ctx); st.InForce {
			t.Errorf("TreatyStatus the day before = in force, want not yet")
		}
		f.clock.Set(general.Add(8 * time.Hour))
		if st, _ := f.n.TreatyStatus(ctx); !st.InForce || st.Summary != "in force since 2026-05-30" {
			t.Errorf("TreatyStatus on the day = %v, %q; want in force since 2026-05-30", st.InForce, st.Summary)
		}
		// A later party is bound 30 days after its deposit (art. 65(2)),
		// a deposit that counts once its day has come.
		f.clock.Set(day(2026, 6, 9))
		if _, err := f.n.RecordTreaty(ctx, admin, node.TreatyAction{Code: "DEU", Deposited: "2026-06-10", Instrument: "accession"}); err != nil {
			t.Fatalf("RecordTreaty(DEU accession) = %v", err)
		}
		// A deposit dated after today has not happened yet (art. 65).
		if v, err := f.n.State(ctx, "DEU"); err != nil || v.Treaty.InForceFrom != nil || v.Treaty.Counts {
			t.Errorf("State(DEU).Treaty before its deposit = %+v, %v; want not counted, no date in force", v.Treaty, err)
		}
		f.clock.Set(day(2026, 6, 10))
		v, err := f.n.State(ctx, "DEU")
		if err != nil || v.Treaty.InForceFrom == nil || !v.Treaty.InForceFrom.Equal(day(2026, 7, 10)) {
			t.Errorf("State(DEU).Treaty = %+v, %v; want in force from 2026-07-10", v.Treaty, err)
		}
	})
}

func validProfile(code string) directory.Profile {
	return directory.Profile{
		Code:             code,
		CentralAuthority: directory.Authority{Name: "Ministry of Justice", Email: "mla@justice.example"},
		Contact247:       directory.Contact{Name: "Cybercrime unit", Phone: "+84 24 0000 0000", Email: "247@police.example", TimeZone: "Asia/Ho_Chi_Minh"},
		Languages:        []string{"vi", "en"},
	}
}

func TestPutProfile(t *testing.T) {
	eachBackend(t, func(t *testing.T, backend string) {
		f := newFixture(t, backend)
		ctx := t.Context()
		admin := f.n.Admin()

		in := validProfile("vn")
		var got directory.Profile
		var err error
		log := f.auditSince(t, func() { got, err = f.n.PutProfile(ctx, admin, in) })
		want := validProfile("VNM")
		want.Contact247.Hours = "24/7"
		if err != nil {
			t.Fatalf("PutProfile = %v", err)
		}
		if mustJSON(t, got) != mustJSON(t, want) {
			t.Errorf("PutProfile = %+v, want %+v", got, want)
		}
		if stored, err := f.db.Profile(ctx, "VNM"); err != nil || mustJSON(t, stored) != mustJSON(t, want) {
			t.Errorf("stored profile = %+v, %v; want %+v", stored, err, want)
		}
		if got := actionsAndSubjects(log); !slices.Equal(got, []string{"state.profile state/VNM"}) {
			t.Errorf("audit of PutProfile = %v, want one state.profile", got)
		}
		noLanguages := validProfile("FRA")
		noLanguages.Languages = nil
		if got, err := f.n.PutProfile(ctx, admin, noLanguages); err != nil || got.Languages == nil {
			t.Errorf("PutProfile without languages = %#v, %v; want an empty list", got.Languages, err)
		}

		tests := []struct {
			name   string
			change func(p *directory.Profile)
			fields []string
		}{
			{"art 40(13): the central authority is named", func(p *directory.Profile) { p.CentralAuthority.Name = " " }, []string{"central_authority.name"}},
			{"art 41(1): the 24/7 contact is named and answers the phone", func(p *directory.Profile) { p.Contact247.Name, p.Contact247.Phone = "", "" },
				[]string{"contact_24_7.name", "contact_24_7.phone"}},
			{"art 41(1): e-mail addresses", func(p *directory.Profile) { p.CentralAuthority.Email, p.Contact247.Email = "not-mail", "a@b.example x" },
				[]string{"central_authority.email", "contact_24_7.email"}},
			{"art 41(1): an IANA time zone", func(p *directory.Profile) { p.Contact247.TimeZone = "Mars/Olympus" }, []string{"contact_24_7.time_zone"}},
			{"art 40(14): ISO 639 languages", func(p *directory.Profile) { p.Languages = []string{"vi", "EN", "english"} },
				[]string{"languages[1]", "languages[2]"}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				p := validProfile("VNM")
				tt.change(&p)
				log := f.auditSince(t, func() { _, err = f.n.PutProfile(ctx, admin, p) })
				assertProblemFields(t, "PutProfile", err, tt.fields...)
				if len(log) != 0 {
					t.Errorf("a refused PutProfile wrote %d audit records", len(log))
				}
			})
		}
		if _, err := f.n.PutProfile(ctx, admin, validProfile("ATL")); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("PutProfile(ATL) = %v, want ErrNotFound", err)
		}
		if _, err := f.n.PutProfile(ctx, vnmCA, validProfile("VNM")); !errors.Is(err, casework.ErrForbidden) {
			t.Errorf("PutProfile by a central authority = %v, want ErrForbidden", err)
		}
		if stored, err := f.db.Profile(ctx, "VNM"); err != nil || mustJSON(t, stored) != mustJSON(t, want) {
			t.Errorf("stored profile after refusals = %+v, %v; want it unchanged", stored, err)
		}
	})
}

func TestRecordDeclaration(t *testing.T) {
	eachBackend(t, func(t *testing.T, backend string) {
		f := newFixture(t, backend)
		ctx := t.Context()
		admin := f.n.Admin()
		var d directory.Declaration
		var err error
		log := f.auditSince(t, func() {
			d, err = f.n.RecordDeclaration(ctx, admin, "vnm", node.DeclarationInput{Article: 40, MadeOn: "2026-01-10", Text: "Requests in Vietnamese or English."})
		})
		want := directory.Declaration{Code: "VNM", Article: 40, MadeOn: day(2026, 1, 10), Text: "Requests in Vietnamese or English."}
		if err != nil || d.ID == 0 {
			t.Fatalf("RecordDeclaration = %+v, %v; want it recorded with an id", d, err)
		}
		want.ID = d.ID
		if d != want {
			t.Errorf("RecordDeclaration = %+v, want %+v", d, want)
		}
		if got := actionsAndSubjects(log); !slices.Equal(got, []string{"state.declaration state/VNM"}) {
			t.Errorf("audit of RecordDeclaration = %v, want one state.declaration", got)
		}
		if stored, err := f.db.Declarations(ctx, "VNM"); err != nil || !slices.Equal(stored, []directory.Declaration{want}) {
			t.Errorf("stored declarations = %+v, %v; want %+v", stored, err, want)
		}

		tests := []struct {
			name   string
			in     node.DeclarationInput
			fields []string
		}{
			{"art 65: a date that is not one", node.DeclarationInput{Article: 40, MadeOn: "10/01/2026", Text: "x"}, []string{"made_on"}},
			{"art 65: no date", node.DeclarationInput{Article: 40, Text: "x"}, []string{"made_on"}},
			{"art 68: no article 69", node.DeclarationInput{Article: 69, MadeOn: "2026-01-10", Text: "x"}, []string{"article"}},
			{"art 65: no text", node.DeclarationInput{Article: 40, MadeOn: "2026-01-10", Text: "  "}, []string{"text"}},
			{"every problem at once", node.DeclarationInput{Article: 0, MadeOn: "tomorrow", Text: ""}, []string{"made_on", "article", "text"}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				log := f.auditSince(t, func() { _, err = f.n.RecordDeclaration(ctx, admin, "VNM", tt.in) })
				assertProblemFields(t, "RecordDeclaration", err, tt.fields...)
				if len(log) != 0 {
					t.Errorf("a refused declaration wrote %d audit records", len(log))
				}
			})
		}
		if _, err := f.n.RecordDeclaration(ctx, admin, "ATL", node.DeclarationInput{Article: 40, MadeOn: "2026-01-10", Text: "x"}); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("RecordDeclaration(ATL) = %v, want ErrNotFound", err)
		}
		if _, err := f.n.RecordDeclaration(ctx, fraAud, "VNM", node.DeclarationInput{Article: 40, MadeOn: "2026-01-10", Text: "x"}); !errors.Is(err, casework.ErrForbidden) {
			t.Errorf("RecordDeclaration by an auditor = %v, want ErrForbidden", err)
		}
	})
}

func TestStateView(t *testing.T) {
	eachBackend(t, func(t *testing.T, backend string) {
		f := newFixture(t, backend)
		ctx := t.Context()
		admin := f.n.Admin()

		v, err := f.n.State(ctx, "DEU")
		if err != nil || v.Code != "DEU" || v.Name() != "Germany" || v.Treaty.Code != "DEU" || v.Treaty.Signed != nil ||
			v.Profile != nil || v.Declarations == nil || len(v.Declarations) != 0 {
			t.Errorf("State(DEU) with nothing recorded = %+v, %v; want its name, no signature, no profile, no declarations", v, err)
		}
		if _, err := f.n.State(ctx, "ATL"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("State(ATL) = %v, want ErrNotFound", err)
		}

		if _, err := f.n.RecordTreaty(ctx, admin, node.TreatyAction{Code: "VNM", Deposited: "2026-02-01", Instrument: "ratification"}); err != nil {
			t.Fatal(err)
		}
		if _, err := f.n.PutProfile(ctx, admin, validProfile("VNM")); err != nil {
			t.Fatal(err)
		}
		for _, text := range []string{"First.", "Second."} {
			if _, err := f.n.RecordDeclaration(ctx, admin, "VNM", node.DeclarationInput{Article: 41, MadeOn: "2026-02-01", Text: text}); err != nil {
				t.Fatal(err)
			}
		}
		v, err = f.n.State(ctx, "vn")
		if err != nil {
			t.Fatalf("State(vn) = %v", err)
		}
		if v.Code != "VNM" || v.Treaty.Signed == nil || !v.Treaty.Signed.Equal(hanoi) || v.Treaty.Deposited == nil ||
			!v.Treaty.Deposited.Equal(day(2026, 2, 1)) || v.Treaty.Instrument != directory.Ratification || !v.Treaty.Counts {
			t.Errorf("State(vn).Treaty = %+v, want VNM signed %v, ratified 2026-02-01, counted", v.Treaty, hanoi)
		}
		if v.Profile == nil || v.Profile.CentralAuthority.Name != "Ministry of Justice" {
			t.Errorf("State(vn).Profile = %+v, want the profile recorded", v.Profile)
		}
		if len(v.Declarations) != 2 || v.Declarations[0].Text != "First." || v.Declarations[1].Text != "Second." {
			t.Errorf("State(vn).Declarations = %+v, want First. then Second.", v.Declarations)
		}
	})
}

// A treaty action's problems cite the article that governs the column:
// signature is art. 64's, instruments counting toward entry into force
// art. 65(1)'s.
func TestRecordTreatyCitations(t *testing.T) {
	f := newFixture(t, "sqlite")
	admin := f.n.Admin()
	tests := []struct {
		name   string
		action node.TreatyAction
		field  string
		ref    convention.Ref
	}{
		{"art 64: a signature date that is not one", node.TreatyAction{Code: "DEU", Signed: "2026-13-01"}, "signed", convention.Art(64)},
		{"art 64: a place of signature without a date", node.TreatyAction{Code: "DEU", SignedAt: "New York"}, "signed_at", convention.Art(64)},
		{"art 65(1): an instrument that is not one", node.TreatyAction{Code: "FRA", Deposited: "2026-03-01", Instrument: "signature"}, "instrument", convention.Art(65).Para(1)},
		{"art 64(1): a signature after the window", node.TreatyAction{Code: "DEU", Signed: "2027-01-04", SignedAt: "New York"}, "signed", convention.Art(64).Para(1)},
		{"art 64(1): a signature in Hanoi after the ceremony", node.TreatyAction{Code: "DEU", Signed: "2025-11-04", SignedAt: "Hanoi"}, "signed", convention.Art(64).Para(1)},
		{"art 64: a code that may not join", node.TreatyAction{Code: "XXA", Signed: "2025-10-25", SignedAt: "Hanoi"}, "code", convention.Art(64)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := f.n.RecordTreaty(t.Context(), admin, tt.action)
			var ps convention.Problems
			if !errors.As(err, &ps) || len(ps) == 0 || ps[0].Field != tt.field || ps[0].Ref != tt.ref {
				t.Errorf("RecordTreaty(%+v) = %v, want a problem on %s citing %s", tt.action, err, tt.field, tt.ref)
			}
			// The provision is cited once, by the problem, not again by
			// its message.
			for _, p := range ps {
				if strings.Count(p.String(), "art. ") != 1 {
					t.Errorf("RecordTreaty(%+v): problem %q; want its article cited once", tt.action, p)
				}
			}
		})
	}
}

// Art. 67: a declaration recorded under art. 67 is a denunciation, dated
// the day the Secretary-General received it; the treaty status counts it.
func TestDenunciationRecorded(t *testing.T) {
	f := newFixture(t, "sqlite")
	ctx := t.Context()
	admin := f.n.Admin()
	if _, err := f.n.RecordTreaty(ctx, admin, node.TreatyAction{Code: "FRA", Deposited: "2026-02-10", Instrument: "ratification"}); err != nil {
		t.Fatalf("RecordTreaty: %v", err)
	}
	f.clock.Advance(time.Hour) // the denunciation is recorded later than the instrument
	for _, bad := range []struct {
		code, on, field string
	}{{"DEU", "2026-03-01", "code"}, {"FRA", "2026-02-01", "made_on"}} {
		_, err := f.n.RecordDeclaration(ctx, admin, bad.code, node.DeclarationInput{Article: 67, MadeOn: bad.on, Text: "Denounced."})
		if ps, ok := errors.AsType[convention.Problems](err); !ok || ps[0].Field != bad.field {
			t.Errorf("art 67: denunciation by %s on %s = %v; want a problem on %s (no party, or before its instrument)", bad.code, bad.on, err, bad.field)
		}
	}
	if _, err := f.n.RecordDeclaration(ctx, admin, "FRA", node.DeclarationInput{Article: 67, MadeOn: "2026-03-01", Text: "France denounces the Convention."}); err != nil {
		t.Fatalf("RecordDeclaration(art 67): %v", err)
	}
	if _, err := f.n.RecordDeclaration(ctx, admin, "FRA", node.DeclarationInput{Article: 67, MadeOn: "2026-04-01", Text: "Again."}); err == nil {
		t.Errorf("art 67: a second denunciation by FRA was recorded; want it refused")
	}
	before := f.clock.Now()
	st, err := f.n.TreatyStatus(ctx)
	if err != nil {
		t.Fatalf("TreatyStatus: %v", err)
	}
	if st.DataUpdated == nil || st.DataUpdated.Before(before) {
		t.Errorf("status data updated %v; want the time the denunciation was recorded, %v", st.DataUpdated, before)
	}
	for _, p := range st.Parties {
		if p.Code == "FRA" && (p.Denounced == nil || p.Denounced.Format(time.DateOnly) != "2026-03-01" || p.InForceUntil == nil || p.InForceUntil.Format(time.DateOnly) != "2027-03-01") {
			t.Errorf("FRA = denounced %v, in force until %v; want 2026-03-01 and 2027-03-01", p.Denounced, p.InForceUntil)
		}
	}
}
