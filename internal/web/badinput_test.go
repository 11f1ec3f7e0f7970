package web

import (
	"encoding/base64"
	"net/http"
	"slices"
	"sort"
	"strings"
	"testing"

	"entraide/internal/casework"
	"entraide/internal/convention"
	"entraide/internal/directory"
	"entraide/internal/identity"
	"entraide/internal/node"
	"entraide/internal/store/storetest"
)

// TestBadBodies sends bodies that cannot be read to every route that reads
// JSON, and expects a 4xx problem naming the field, never a 500.
func TestBadBodies(t *testing.T) {
	for _, backend := range storetest.Backends {
		t.Run(backend, func(t *testing.T) {
			tn := newTestNode(t, backend)
			fra := tn.token(t, "FRA", identity.CentralAuthority)
			admin := tn.token(t, "FRA", identity.Administrator)
			draft := tn.create(t, fra, mlaContents("VNM"))
			targets := []struct {
				method, path, token string
			}{
				{"POST", "/api/v1/requests", fra},
				{"POST", "/api/v1/requests/" + draft.ID + "/transitions", fra},
				{"POST", "/api/v1/users", admin},
				{"POST", "/api/v1/enrol", ""},
				{"POST", "/api/v1/treaty/records", admin},
				{"PUT", "/api/v1/states/FRA/profile", admin},
				{"POST", "/api/v1/states/FRA/declarations", admin},
				{"POST", "/api/v1/roster", admin},
			}
			huge := `{"note":"` + strings.Repeat("a", MaxBodyBytes) + `"}`
			bodies := []struct {
				name        string
				contentType string
				body        string
				status      int
				field       string
			}{
				{"invalid JSON", "application/json", `{"kind":`, 400, "body"},
				{"not JSON at all", "application/json", `kind=preservation`, 400, "body"},
				{"empty body", "application/json", ``, 400, "body"},
				{"only spaces", "application/json", "  \n", 400, "body"},
				{"unknown field", "application/json", `{"bogus_field":1}`, 400, "bogus_field"},
				{"unknown field with a quote", "application/json", `{"a\"b":1}`, 400, `a"b`},
				{"unknown field without a name", "application/json", `{"":1}`, 400, "body"},
				{"array, not object", "application/json", `[]`, 400, "body"},
				{"string, not object", "application/json", `"x"`, 400, "body"},
				{"trailing object", "application/json", `{} {}`, 400, "body"},
				{"trailing garbage", "application/json", `{}x`, 400, "body"},
				{"nested too deep", "application/json", strings.Repeat("[", 20000), 400, "body"},
				{"body over 1 MiB", "application/json", huge, 413, "body"},
				{"text/plain", "text/plain", `{}`, 415, "Content-Type"},
				{"form", "application/x-www-form-urlencoded", `a=b`, 415, "Content-Type"},
				{"unparsable Content-Type", "application/json; =", `{}`, 415, "Content-Type"},
			}
			for _, tg := range targets {
				for _, b := range bodies {
					t.Run(tg.method+" "+tg.path+"/"+b.name, func(t *testing.T) {
						r := tn.request(t, tg.method, tg.path, "Bearer "+tg.token, b.contentType, b.body)
						p := wantProblem(t, r, b.status, b.field, "")
						if p.Type != typeInvalidBody {
							t.Errorf("problem type %q, want %q", p.Type, typeInvalidBody)
						}
					})
				}
			}
			// The draft is untouched by all of this.
			if got := tn.view(t, fra, draft.ID).Request; got.Version != 1 {
				t.Errorf("draft version %d after bad bodies, want 1", got.Version)
			}
		})
	}
}

// TestWrongTypes checks that a value of the wrong JSON type is a 400
// naming its field.
func TestWrongTypes(t *testing.T) {
	tn := newTestNode(t, "sqlite")
	fra := tn.token(t, "FRA", identity.CentralAuthority)
	draft := tn.create(t, fra, preservationContents("VNM"))
	requests, transitions := "/api/v1/requests", "/api/v1/requests/"+draft.ID+"/transitions"
	tests := []struct {
		name, path, body, field string
	}{
		{"kind a number", requests, `{"kind":5}`, "kind"},
		{"fields an array", requests, `{"kind":"preservation","fields":["a"]}`, "fields"},
		{"field value a number", requests, `{"kind":"preservation","fields":{"facts_summary":1}}`, "fields"},
		{"confidential a string", requests, `{"kind":"preservation","confidential":"yes"}`, "confidential"},
		{"offence article a string", requests, `{"kind":"preservation","offences":[{"article":"7"}]}`, "offences.article"},
		{"offence article too large", requests, `{"kind":"preservation","offences":[{"article":1e999}]}`, "offences.article"},
		{"attachment size fractional", requests, `{"kind":"preservation","attachments":[{"size":1.5}]}`, "attachments.size"},
		{"action a list", transitions, `{"action":["send"]}`, "action"},
		{"grounds a string", transitions, `{"action":"refuse","grounds":"domestic_law"}`, "grounds"},
		{"preserve_until a number", transitions, `{"action":"start","preserve_until":5}`, "preserve_until"},
		{"preserve_until not a date", transitions, `{"action":"start","preserve_until":"in two months"}`, "preserve_until"},
		{"preserve_until a date without time", transitions, `{"action":"start","preserve_until":"2026-06-01"}`, "preserve_until"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantProblem(t, tn.do(t, "POST", tt.path, fra, tt.body), http.StatusBadRequest, tt.field, "")
		})
	}
}

// TestBadQueries checks the query parameters of the listings.
func TestBadQueries(t *testing.T) {
	tn := newTestNode(t, "sqlite")
	fra, auditor := tn.token(t, "FRA", identity.CentralAuthority), tn.token(t, "FRA", identity.Auditor)
	b64 := base64.RawURLEncoding.EncodeToString
	tests := []struct {
		name, path, token, field string
	}{
		{"limit zero", "/api/v1/requests?limit=0", fra, "limit"},
		{"limit negative", "/api/v1/requests?limit=-1", fra, "limit"},
		{"limit over the page size", "/api/v1/requests?limit=501", fra, "limit"},
		{"limit not a number", "/api/v1/requests?limit=ten", fra, "limit"},
		{"limit overflowing", "/api/v1/requests?limit=99999999999999999999", fra, "limit"},
		{"unknown state", "/api/v1/requests?state=lost", fra, "state"},
		{"unknown kind", "/api/v1/requests?kind=espionage", fra, "kind"},
		{"unknown side", "/api/v1/requests?side=both", fra, "side"},
		{"cursor not base64", "/api/v1/requests?cursor=%21%21%21", fra, "cursor"},
		{"cursor without separator", "/api/v1/requests?cursor=" + b64([]byte("abc")), fra, "cursor"},
		{"cursor with a bad time", "/api/v1/requests?cursor=" + b64([]byte("yesterday|x")), fra, "cursor"},
		{"audit after negative", "/api/v1/audit?after=-1", auditor, "after"},
		{"audit after a record not in the view", "/api/v1/audit?after=999999", auditor, "after"},
		{"audit after a record not in the view", "/api/v1/audit?after=999999", auditor, "after"},
		{"audit after not a number", "/api/v1/audit?after=x", auditor, "after"},
		{"audit limit zero", "/api/v1/audit?limit=0", auditor, "limit"},
		{"audit limit over 1000", "/api/v1/audit?limit=1001", auditor, "limit"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantProblem(t, tn.do(t, "GET", tt.path, tt.token, nil), http.StatusBadRequest, tt.field, "")
		})
	}
}

// TestUnknownValuesListTheValid: an unknown state or ground is refused with
// the values that would have been taken, so that the official's next try
// can be the right one.
func TestUnknownValuesListTheValid(t *testing.T) {
	tn := newTestNode(t, "sqlite")
	fra := tn.token(t, "FRA", identity.CentralAuthority)
	vnm := tn.token(t, "VNM", identity.CentralAuthority)
	mla := tn.create(t, fra, mlaContents("VNM"))
	tn.mustMove(t, fra, mla.ID, casework.Transition{Action: casework.Send}, casework.Received)
	tn.mustMove(t, vnm, mla.ID, casework.Transition{Action: casework.Acknowledge}, casework.Acknowledged)
	tn.mustMove(t, vnm, mla.ID, casework.Transition{Action: casework.Consult}, casework.Consultation)
	tests := []struct {
		name, method, path, token string
		body                      any
		status                    int
		field                     string
		want                      []string
	}{
		{"unknown state lists the states", "GET", "/api/v1/requests?state=lost", fra, nil, http.StatusBadRequest, "state",
			[]string{`unknown state "lost"`, "draft", "in_progress", "consultation", "closed"}},
		{"art 40(21): unknown ground lists the kind's grounds", "POST", "/api/v1/requests/" + mla.ID + "/transitions", vnm,
			casework.Transition{Action: casework.Refuse, Grounds: []convention.Ground{"weather"}, Reasons: "Storms."}, http.StatusUnprocessableEntity, "grounds",
			[]string{`unknown ground "weather"`, string(convention.EssentialInterests), string(convention.DomesticLaw), string(convention.NoDualCriminality)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := wantProblem(t, tn.do(t, tt.method, tt.path, tt.token, tt.body), tt.status, tt.field, "")
			msgs := ""
			for _, e := range p.Errors {
				msgs += e.Message + "\n"
			}
			for _, w := range tt.want {
				if !strings.Contains(msgs, w) {
					t.Errorf("problem %q does not name %q", msgs, w)
				}
			}
		})
	}
}

// TestListingFiltersAndPages checks the listing's filters and its cursor.
func TestListingFiltersAndPages(t *testing.T) {
	for _, backend := range storetest.Backends {
		t.Run(backend, func(t *testing.T) {
			tn := newTestNode(t, backend)
			fra, vnm := tn.token(t, "FRA", identity.CentralAuthority), tn.token(t, "VNM", identity.CentralAuthority)
			var mine []string
			for range 3 {
				mine = append(mine, tn.create(t, fra, mlaContents("VNM")).ID)
			}
			pres := tn.create(t, fra, preservationContents("VNM"))
			tn.mustMove(t, fra, pres.ID, casework.Transition{Action: casework.Send}, casework.Received)
			theirs := tn.create(t, vnm, mlaContents("FRA"))
			tn.mustMove(t, vnm, theirs.ID, casework.Transition{Action: casework.Send}, casework.Received)
			mine = append(mine, pres.ID)

			ids := func(path string) []string {
				t.Helper()
				r := tn.do(t, "GET", path, fra, nil)
				if r.Status != http.StatusOK {
					t.Fatalf("GET %s: status %d; body %s", path, r.Status, r.Body)
				}
				var out []string
				for _, r := range decodeBody[listPage](t, r).Requests {
					out = append(out, r.ID)
				}
				sort.Strings(out)
				return out
			}
			sorted := func(s ...string) []string { return slices.Sorted(slices.Values(s)) }
			tests := []struct {
				query string
				want  []string
			}{
				{"", sorted(append(slices.Clone(mine), theirs.ID)...)},
				{"?side=requesting", sorted(mine...)},
				{"?side=requested", []string{theirs.ID}},
				{"?kind=preservation", []string{pres.ID}},
				{"?state=draft", sorted(mine[:3]...)},
				{"?state=received&side=requested", []string{theirs.ID}},
				{"?state=closed", nil},
			}
			for _, tt := range tests {
				if got := ids("/api/v1/requests" + tt.query); !slices.Equal(got, tt.want) {
					t.Errorf("GET /api/v1/requests%s = %v, want %v", tt.query, got, tt.want)
				}
			}

			// Pages of two, newest first, cover every view once.
			var paged []string
			path := "/api/v1/requests?limit=2"
			for pages := 0; ; pages++ {
				if pages > 5 {
					t.Fatalf("more than 5 pages of 2 for 5 requests")
				}
				page := decodeBody[listPage](t, tn.do(t, "GET", path, fra, nil))
				for _, r := range page.Requests {
					paged = append(paged, r.ID)
				}
				if page.NextCursor == "" {
					break
				}
				path = "/api/v1/requests?limit=2&cursor=" + page.NextCursor
			}
			want := []string{theirs.ID, pres.ID, mine[2], mine[1], mine[0]}
			if !slices.Equal(paged, want) {
				t.Errorf("pages give %v, want %v (newest first)", paged, want)
			}
		})
	}
}

// TestMissingRequiredFields drafts every kind with no contents, and
// expects one problem per required field, each naming the field and the
// provision that requires it.
func TestMissingRequiredFields(t *testing.T) {
	tn := newTestNode(t, "sqlite")
	fra := tn.token(t, "FRA", identity.CentralAuthority)
	for _, spec := range convention.Kinds() {
		if spec.OnPreservation {
			continue // disclosed on a preservation, never drafted (lifecycle_test.go)
		}
		t.Run(string(spec.Kind), func(t *testing.T) {
			r := tn.do(t, "POST", "/api/v1/requests", fra, map[string]any{"kind": spec.Kind, "requested_state": "VNM", "fields": map[string]string{}})
			p := wantProblem(t, r, http.StatusUnprocessableEntity, "", "")
			want := map[string]string{}
			for _, f := range spec.Fields {
				if f.Required {
					want["fields."+f.Name] = f.Ref.Cite()
				}
			}
			if spec.OffenceRequired {
				want["offences"] = "art. 35(1)"
			}
			// Every request names its legal basis (art. 35; art. 37(5) for
			// extradition).
			want["legal_basis"] = "art. 35"
			if spec.Kind == convention.Extradition {
				want["legal_basis"] = convention.ExtraditionLegalBasis.Cite()
			}
			got := map[string]string{}
			for _, e := range p.Errors {
				if _, dup := got[e.Field]; dup {
					t.Errorf("two errors for %s", e.Field)
				}
				got[e.Field] = e.Article
				if e.Ref == nil || e.Ref.Cite() != e.Article {
					t.Errorf("%s: ref %+v does not match article %q", e.Field, e.Ref, e.Article)
				}
			}
			for field, article := range want {
				if got[field] != article {
					t.Errorf("error for %s cites %q, want %q", field, got[field], article)
				}
			}
			for field := range got {
				if _, ok := want[field]; !ok {
					t.Errorf("unexpected error for %s", field)
				}
			}
		})
	}

	tests := []struct {
		name    string
		body    map[string]any
		field   string
		article string
	}{
		{"art 35: unknown kind", map[string]any{"kind": "espionage", "requested_state": "VNM"}, "kind", "art. 35"},
		{"art 35: no kind", map[string]any{"requested_state": "VNM"}, "kind", "art. 35"},
		{"art 42: no requested State", map[string]any{"kind": "preservation"}, "requested_state", "art. 42"},
		{"art 64: requested State unknown, not the kind's article", map[string]any{"kind": "preservation", "requested_state": "XXX"}, "requested_state", "art. 64"},
		{"art 42: asking oneself", map[string]any{"kind": "preservation", "requested_state": "fra"}, "requested_state", "art. 42"},
		{"art 40(14): unknown urgency", map[string]any{"kind": "preservation", "urgency": "asap"}, "urgency", "art. 40(14)"},
		{"art 42: field the kind does not know", map[string]any{"kind": "preservation", "fields": map[string]string{"weather": "x"}}, "fields.weather", "art. 42"},
		{"art 35(1): not an offence of the Convention", map[string]any{"kind": "preservation", "offences": []map[string]any{{"article": 99}}}, "offences[0].article", "art. 35(1)"},
		{"art 2: not a serious crime", map[string]any{"kind": "preservation", "offences": []map[string]any{{"description": "Littering", "max_penalty_years": 1}}}, "offences[0].max_penalty_years", "art. 2"},
		{"art 40(14): attachment without digest", map[string]any{"kind": "preservation", "attachments": []map[string]any{{"name": "a.pdf", "size": 1, "sha256": "x"}}}, "attachments[0].sha256", "art. 40(14)"},
		{"art 35: no legal basis", map[string]any{"kind": "preservation", "requested_state": "VNM"}, "legal_basis", "art. 35"},
		{"art 35: an unknown legal basis", map[string]any{"kind": "preservation", "legal_basis": map[string]any{"type": "custom"}}, "legal_basis.type", "art. 35"},
		{"art 40(7): a treaty without its name", map[string]any{"kind": "preservation", "legal_basis": map[string]any{"type": "treaty"}}, "legal_basis.treaty", "art. 40(7) (unverified)"},
		{"art 40(14): attachment with a path", map[string]any{"kind": "preservation", "attachments": []map[string]any{{"name": "../a.pdf", "size": 1, "sha256": strings.Repeat("a", 64)}}}, "attachments[0].name", "art. 40(14)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantProblem(t, tn.do(t, "POST", "/api/v1/requests", fra, tt.body), http.StatusUnprocessableEntity, tt.field, tt.article)
		})
	}
}

// TestUnknownPaths checks that what is no route is a 404 or 405 problem.
func TestUnknownPaths(t *testing.T) {
	tn := newTestNode(t, "sqlite")
	fra := tn.token(t, "FRA", identity.CentralAuthority)
	tests := []struct {
		method, path string
		status       int
	}{
		{"GET", "/", 404},
		{"GET", "/api/v1/nothing", 404},
		{"GET", "/api/v2/requests", 404},
		{"GET", "/api/v1/requests/", 404},
		{"GET", "/api/v1/requests/x/timeline", 404},
		{"POST", "/api/v1/requests/x/transitions/y", 404},
		{"GET", "/api/v1/states/", 404},
		{"DELETE", "/api/v1/requests", 405},
		{"PUT", "/api/v1/me", 405},
		{"POST", "/healthz", 405},
		{"PATCH", "/api/v1/requests/x", 405},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			r := tn.do(t, tt.method, tt.path, fra, nil)
			p := wantProblem(t, r, tt.status, "", "")
			if tt.status == 405 && r.Header.Get("Allow") == "" {
				t.Errorf("405 without an Allow header")
			}
			if tt.status == 404 && p.Type != typeNotFound {
				t.Errorf("problem type %q, want %q", p.Type, typeNotFound)
			}
		})
	}
	// Unknown things under real routes.
	for _, path := range []string{"/api/v1/states/XXX", "/api/v1/states/", "/api/v1/requests/not-an-id"} {
		r := tn.do(t, "GET", path, fra, nil)
		if r.Status != http.StatusNotFound {
			t.Errorf("GET %s: status %d, want 404", path, r.Status)
		}
	}
	admin := tn.token(t, "FRA", identity.Administrator)
	wantProblem(t, tn.do(t, "PUT", "/api/v1/states/XXX/profile", admin, map[string]any{}), http.StatusNotFound, "", "")
	wantProblem(t, tn.do(t, "POST", "/api/v1/users/nobody/enrolments", admin, nil), http.StatusNotFound, "id", "")
}

// TestHostileText sends identifiers and text that a database may refuse:
// NUL bytes, invalid UTF-8, control characters, overlong ids. The answer
// must be the same 4xx on both backends, never a 500.
func TestHostileText(t *testing.T) {
	b64 := base64.RawURLEncoding.EncodeToString
	for _, backend := range storetest.Backends {
		t.Run(backend, func(t *testing.T) {
			tn := newTestNode(t, backend)
			fra, admin := tn.token(t, "FRA", identity.CentralAuthority), tn.token(t, "FRA", identity.Administrator)
			draft := tn.create(t, fra, preservationContents("VNM"))
			withNUL := preservationContents("VNM")
			withNUL.Fields["facts_summary"] = "a\x00b"
			tests := []struct {
				name, method, path, token string
				body                      any
				want                      int    // 0: any status but a 5xx
				pgBug                     string // why PostgreSQL answers 500, until fixed
			}{
				{"request id with NUL", "GET", "/api/v1/requests/%00", fra, nil, 404, ""},
				{"request id not UTF-8", "GET", "/api/v1/requests/%FF", fra, nil, 404, ""},
				{"request id with a control character", "GET", "/api/v1/requests/a%1Bb", fra, nil, 404, ""},
				{"request id too long", "GET", "/api/v1/requests/" + strings.Repeat("a", 200), fra, nil, 404, ""},
				{"transition of an id with NUL", "POST", "/api/v1/requests/%00/transitions", fra, casework.Transition{Action: casework.Send}, 404, ""},
				{"transition of an id not UTF-8", "POST", "/api/v1/requests/%C3%28/transitions", fra, casework.Transition{Action: casework.Send}, 404, ""},
				{"enrolment for a user id with NUL", "POST", "/api/v1/users/%00/enrolments", admin, nil, 404, ""},
				{"enrolment for a user id not UTF-8", "POST", "/api/v1/users/%FF/enrolments", admin, nil, 404, ""},
				{"tokens of a user id with NUL", "GET", "/api/v1/users/%00/tokens", admin, nil, 404, ""},
				{"revoke a token id with NUL", "DELETE", "/api/v1/me/tokens/%00", admin, nil, 404, ""},
				{"revoke a token id not UTF-8", "DELETE", "/api/v1/users/fra-auditor/tokens/%FF", admin, nil, 404, ""},
				{"disable a user id with NUL", "POST", "/api/v1/users/%00/disable", admin, nil, 404, ""},
				{"enrolment code with NUL", "POST", "/api/v1/enrol", "", enrolInput{Code: "enr_\x00"}, 401, ""},
				{"state code with NUL", "GET", "/api/v1/states/FR%00", fra, nil, 404, ""},
				{"request fields with NUL", "POST", "/api/v1/requests", fra, withNUL, 422, ""},
				{"note with NUL", "POST", "/api/v1/requests/" + draft.ID + "/transitions", fra, casework.Transition{Action: casework.Withdraw, Note: "\x00"}, 422, ""},
				{"cursor whose id has NUL", "GET", "/api/v1/requests?cursor=" + b64([]byte("2026-03-02T09:00:00.000000Z|\x00")), fra, nil, 400, ""},
				{"official's name with NUL", "POST", "/api/v1/users", admin, userInput{ID: "nul-name", Name: "a\x00b", Role: identity.Auditor}, 422, ""},
				{"official's e-mail with NUL", "POST", "/api/v1/users", admin, userInput{ID: "nul-email", Name: "ab", Email: "\x00", Role: identity.Auditor}, 422, ""},
				{"token label with NUL", "POST", "/api/v1/enrol", "", enrolInput{Code: unknownCode, Label: "\x00"}, 422, ""},
				{"declaration text with NUL", "POST", "/api/v1/states/FRA/declarations", admin, node.DeclarationInput{Article: 40, MadeOn: "2025-10-25", Text: "a\x00"}, 422, ""},
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					if backend == "postgres" && tt.pgBug != "" {
						t.Skip("bug: PostgreSQL answers 500: " + tt.pgBug)
					}
					r := tn.do(t, tt.method, tt.path, tt.token, tt.body)
					if tt.want != 0 && r.Status != tt.want {
						t.Errorf("status %d, want %d; body %s", r.Status, tt.want, r.Body)
					}
				})
			}
		})
	}
}

// TestDirectoryInput checks the inputs of the directory routes.
func TestDirectoryInput(t *testing.T) {
	tn := newTestNode(t, "sqlite")
	admin := tn.token(t, "FRA", identity.Administrator)
	profile := func(code string) map[string]any {
		return map[string]any{"code": code, "central_authority": map[string]any{"name": "Ministry"}, "contact_24_7": map[string]any{"name": "Desk", "phone": "+1"}}
	}
	csv := func(rows ...string) string {
		return directory.TreatyStatusHeader + "\n" + strings.Join(rows, "\n") + "\n"
	}
	tests := []struct {
		name, method, path, contentType string
		body                            any
		status                          int
		field                           string
	}{
		{"profile code as alpha-2", "PUT", "/api/v1/states/FRA/profile", "", profile("FR"), 200, ""},
		{"profile path in lower case", "PUT", "/api/v1/states/fra/profile", "", profile("FRA"), 200, ""},
		{"art 40(13): profile for another State's path", "PUT", "/api/v1/states/FRA/profile", "", profile("VNM"), 400, "code"},
		{"art 40(13): profile without central authority", "PUT", "/api/v1/states/FRA/profile", "", map[string]any{"contact_24_7": map[string]any{"name": "Desk", "phone": "+1"}}, 422, "central_authority.name"},
		{"art 41(1): profile without 24/7 phone", "PUT", "/api/v1/states/FRA/profile", "", map[string]any{"central_authority": map[string]any{"name": "M"}, "contact_24_7": map[string]any{"name": "Desk"}}, 422, "contact_24_7.phone"},
		{"profile of no State", "PUT", "/api/v1/states/XXX/profile", "", profile(""), 404, ""},
		{"art 68: declaration under article 99", "POST", "/api/v1/states/FRA/declarations", "", node.DeclarationInput{Article: 99, MadeOn: "2025-10-25", Text: "x"}, 422, "article"},
		{"art 65: declaration with a bad date", "POST", "/api/v1/states/FRA/declarations", "", node.DeclarationInput{Article: 40, MadeOn: "25/10/2025", Text: "x"}, 422, "made_on"},
		{"art 64: treaty record of no participant", "POST", "/api/v1/treaty/records", "", node.TreatyAction{Code: "XXX", Signed: "2025-10-25"}, 422, "code"},
		{"art 65: treaty record signed before adoption", "POST", "/api/v1/treaty/records", "", node.TreatyAction{Code: "DEU", Signed: "2020-01-01"}, 422, "signed"},
		{"treaty import", "POST", "/api/v1/treaty/import", "text/csv", csv("DEU,Germany,state,2025-10-25,Hanoi,,"), 200, ""},
		{"treaty import without Content-Type", "POST", "/api/v1/treaty/import", "", csv("DEU,Germany,state,2025-10-25,Hanoi,,"), 200, ""},
		{"treaty import as JSON", "POST", "/api/v1/treaty/import", "application/json", csv(), 415, "Content-Type"},
		{"art 65(1): treaty import with a bad row", "POST", "/api/v1/treaty/import", "text/csv", csv("DEU,Germany,organisation,2025-10-25,Hanoi,,"), 422, ""},
		{"treaty import without header", "POST", "/api/v1/treaty/import", "text/csv", "DEU,Germany,state,2025-10-25,Hanoi,,\n", 422, ""},
		{"treaty import over 4 MiB", "POST", "/api/v1/treaty/import", "text/csv", csv() + strings.Repeat("#\n", 3<<20), 422, ""},
		{"user with a bad id", "POST", "/api/v1/users", "", userInput{ID: "A B", Name: "x", Role: identity.Auditor}, 422, "id"},
		{"user with an unknown role", "POST", "/api/v1/users", "", userInput{ID: "someone", Name: "x", Role: "king"}, 422, "role"},
		{"art 40(13): user of a State not hosted", "POST", "/api/v1/users", "", userInput{ID: "someone", Name: "x", State: "DEU", Role: identity.Auditor}, 403, "state"},
		{"user whose id is taken", "POST", "/api/v1/users", "", userInput{ID: "fra-auditor", Name: "x", Role: identity.Auditor}, 409, ""},
		{"token label too long", "POST", "/api/v1/enrol", "", enrolInput{Code: unknownCode, Label: strings.Repeat("x", 201)}, 422, "label"},
		{"enrolment code missing", "POST", "/api/v1/enrol", "", enrolInput{}, 401, "code"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ct := tt.contentType
			if _, isJSON := tt.body.(string); !isJSON && ct == "" {
				ct = "application/json"
			}
			r := tn.request(t, tt.method, tt.path, "Bearer "+admin, ct, tt.body)
			if tt.status < 300 {
				if r.Status != tt.status {
					t.Errorf("status %d, want %d; body %s", r.Status, tt.status, r.Body)
				}
				return
			}
			wantProblem(t, r, tt.status, tt.field, "")
		})
	}
	// The profile recorded under an alpha-2 code is France's.
	v := decodeBody[node.StateView](t, tn.do(t, "GET", "/api/v1/states/fr", admin, nil))
	if v.Code != "FRA" || v.Profile == nil || v.Profile.Code != "FRA" || v.Profile.CentralAuthority.Name != "Ministry" {
		t.Errorf("GET /api/v1/states/fr = code %s, profile %+v; want France's profile", v.Code, v.Profile)
	}
}

// unknownCode has the form of an enrolment code, but no node issued it.
var unknownCode = identity.CodePrefix + strings.Repeat("a", 32)
