package ui

import (
	"bytes"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"entraide/internal/casework"
	"entraide/internal/convention"
	"entraide/internal/directory"
	"entraide/internal/identity"
	"entraide/internal/keeper"
	"entraide/internal/node"
	"entraide/internal/store"
)

// leakInput is what the fuzzer chooses of the requests a node holds:
// everything an official or another State writes, and the codes.
type leakInput struct {
	id, name, text, note, reason, conditions string
	// kind, state and ground are stored as codes: the report shows them
	// when the Convention or the directory knows them.
	kind, state, ground string
	shape               uint16 // how many requests, their sides and outcomes
}

// FuzzTransparencyReportLeaksNothing fills a node's database with requests
// whose ids, names, free text, notes, reasons, conditions and officials'
// names are the fuzzer's, renders the published report as JSON, CSV and
// the page in the six languages, and checks that none of those strings
// reaches any of them. It renders a twin node too, holding the same
// requests with those strings replaced by others and unknown codes by
// another unknown code: the renderings must be the same, byte for byte,
// so that nothing but codes and counts can reach the report.
func FuzzTransparencyReportLeaksNothing(f *testing.F) {
	f.Add("0190a1b2-0000-7000-8000-000000000001", "Jean Dupont", "Ransomware attack on the hospital of Lyon", "sent by courier",
		"The suspect is a journalist", "Use only in the proceedings named", "preservation", "DEU", "domestic_law", uint16(0x35))
	f.Add("case-2025/17", "Нгуен Ван А", "证据在服务器上", "ملاحظة", "Reasons: <script>alert(1)</script>", "\"quoted\", with, commas\n",
		"extradition", "VNM", "discrimination", uint16(0xffff))
	f.Add("FRA-2025-0001", "O'Brien & Sons", "=HYPERLINK(\"http://x\")", "<b>note</b>", "fiscal", "conditions",
		"not a kind", "Ministry of Justice", "not a ground", uint16(7))
	f.Add("fewer_than_5", "complementary", "suppressed", "total", "other", "pending", "fewer_than_5", "XXXX", "total", uint16(0x1234))
	f.Add("", "", "", "", "", "", "", "", "", uint16(0))
	f.Add("\x00\xff\xfe", "a\u202eb", "\u00a0\u00a0\u00a0\u00a0", "\t\t\t\t", "\\u0041\\u0042", "&amp;&lt;", "interception", "fr", "nationality", uint16(0x0f0f))
	f.Fuzz(func(t *testing.T, id, name, text, note, reason, conditions, kind, state, ground string, shape uint16) {
		in := leakInput{id, name, text, note, reason, conditions, kind, state, ground, shape}
		twin := in
		twin.id, twin.name, twin.text, twin.note, twin.reason, twin.conditions = "twin-id", "Twin Name", "twin text", "twin note", "twin reason", "twin conditions"
		if _, ok := convention.Lookup(convention.Kind(in.kind)); !ok {
			twin.kind = "unknown-kind"
		}
		if _, ok := directory.LookupParticipant(in.state); !ok || len(in.state) != 3 {
			twin.state = "unknown-state"
		}
		if _, ok := convention.LookupGround(convention.Ground(in.ground)); !ok {
			twin.ground = "unknown-ground"
		}
		got, want := renderReports(t, in), renderReports(t, twin)
		secrets := []string{in.id, in.name, in.text, in.note, in.reason, in.conditions, in.kind, in.state, in.ground}
		for what, out := range got {
			for _, s := range secrets {
				// A string shorter than 4 may be in any report by chance
				// ("FRA", "<td>"); one the twin's report holds too is the
				// report's own text or a code it shows.
				if len(s) < 4 || !strings.Contains(out, s) || strings.Contains(want[what], s) {
					continue
				}
				t.Fatalf("the report as %s holds %q, which only the requests held:\n%s", what, s, out)
			}
			if out != want[what] {
				t.Fatalf("the report as %s changes with what the requests say, not only with their codes and counts:\n%s\nthe twin's:\n%s", what, out, want[what])
			}
		}
	})
}

// renderReports stores requests made of in on a node of FRA's of its own,
// which publishes its report, and returns the report of 2025 as JSON,
// CSV and the page in each language.
func renderReports(t *testing.T, in leakInput) map[string]string {
	t.Helper()
	ctx := t.Context()
	// Not t.TempDir: a fuzz test's is named after its seed, "seed#0",
	// and SQLite reads a path with a # as a URI whose file name ends there.
	dir, err := os.MkdirTemp("", "entraide-transparency-fuzz-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	db, err := store.Open(ctx, filepath.Join(dir, "entraide.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := keeper.Create(dir); err != nil {
		t.Fatal(err)
	}
	k, err := keeper.Open(ctx, dir, "")
	if err != nil {
		t.Fatal(err)
	}
	now := func() time.Time { return time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC) }
	if _, err := node.Init(ctx, db, node.InitOptions{Home: "FRA", Keeper: k, Admin: identity.User{ID: "fra-admin", Name: "Admin"}}, now); err != nil {
		t.Fatalf("node.Init: %v", err)
	}
	n, err := node.Open(ctx, db, k, now)
	if err != nil {
		t.Fatal(err)
	}
	// An official bearing the fuzzer's name, if the node takes it.
	_, _ = n.AddUser(ctx, n.Admin(), identity.User{ID: "fra-official", Name: in.name, State: "FRA", Role: identity.CentralAuthority})
	if _, err := n.SetTransparencyPublication(ctx, n.Admin(), true); err != nil {
		t.Fatalf("publish: %v", err)
	}
	count := 1 + int(in.shape%13)
	outcomes := []casework.Action{casework.Execute, casework.ExecutePartially, casework.Refuse, casework.Withdraw, ""}
	err = db.Tx(ctx, func(tx *store.Tx) error {
		for i := range count {
			bits := int(in.shape>>(i%16)) ^ i
			sent := time.Date(2025, time.Month(1+i%12), 1+i, 9, 0, 0, 0, time.UTC)
			requesting, requested := "FRA", in.state
			if bits&1 == 1 {
				requesting, requested = in.state, "FRA"
			}
			kind := convention.Kind(in.kind)
			if bits&2 == 2 {
				kind = convention.Preservation
			}
			r := &casework.Request{ID: fmt.Sprintf("%s#%d", in.id, i), Holder: "FRA", Kind: kind, RequestingState: requesting, RequestedState: requested,
				State: casework.Sent, Urgency: casework.Normal, UseLimitation: in.conditions,
				Fields:     map[string]string{"facts_summary": in.text, "contact_person": in.name, "reference": in.id, "purpose": in.note},
				Offences:   []convention.Charge{{Article: 0, Description: in.text, MaxPenaltyYears: 4}},
				LegalBasis: &casework.LegalBasis{Type: casework.BasisTreaty, Treaty: in.text}, Attachments: []casework.Attachment{{Name: in.name, MediaType: "text/plain"}},
				Conditions: in.conditions, ProposedConditions: in.conditions, CreatedBy: in.name, CreatedAt: sent, UpdatedAt: sent, Version: 1}
			outcome := outcomes[(bits>>2)%len(outcomes)]
			if outcome == casework.Refuse {
				r.Refusal = &casework.Refusal{Grounds: []convention.Ground{convention.Ground(in.ground), convention.DomesticLaw}, Reasons: in.reason}
			}
			if err := tx.InsertRequest(ctx, r); err != nil {
				return err
			}
			actions := []casework.Action{casework.Send, casework.Deliver, casework.Acknowledge, casework.Consult, casework.AcceptConditions}
			if bits&8 == 8 {
				actions = append(actions, casework.Postpone, casework.Resume)
			}
			if outcome != "" {
				actions = append(actions, outcome)
			}
			for j, a := range actions {
				e := casework.Event{RequestID: r.ID, At: sent.Add(time.Duration(j*(1+bits%7)) * time.Hour), Actor: in.name, ActorState: requested, Action: a, Note: in.note}
				if err := tx.AppendEvent(ctx, "FRA", e); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("storing the requests: %v", err)
	}
	out := map[string]string{}
	rep, err := n.PublishedReport(ctx, 2025)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := rep.WriteJSON(&buf); err != nil {
		t.Fatal(err)
	}
	out["JSON"] = buf.String()
	buf.Reset()
	if err := rep.WriteCSV(&buf); err != nil {
		t.Fatal(err)
	}
	out["CSV"] = buf.String()
	u, err := New(n, Config{})
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range mustCatalogue().locales {
		rec := httptest.NewRecorder()
		u.Handler().ServeHTTP(rec, httptest.NewRequest("GET", TransparencyPath+"?year=2025&lang="+l.Code, nil))
		if rec.Code != 200 {
			t.Fatalf("GET /transparency?lang=%s: %d %s", l.Code, rec.Code, rec.Body)
		}
		out["HTML/"+l.Code] = rec.Body.String()
	}
	return out
}
