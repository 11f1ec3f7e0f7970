package web

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"entraide/internal/casework"
	"entraide/internal/convention"
	"entraide/internal/directory"
	"entraide/internal/identity"
	"entraide/internal/node"
	"entraide/internal/store/storetest"
)

// routeCall is one call of a route that succeeds for an official allowed
// to make it.
type routeCall struct {
	path        string
	body        any    // JSON unless a string
	contentType string // of a string body
	header      http.Header
	// prepare, if set, makes the call afresh for each request, given its
	// Authorization header: for a call that works once, such as redeeming
	// an enrolment code or revoking a token.
	prepare func(t *testing.T, authorization string) routeCall
}

var userSeq atomic.Int64

// revealing makes c after revealing request's personal data with the
// caller's credentials: an auditor reaches the letter and the bytes of
// evidence only so; for other roles the reveal is refused, and changes
// nothing.
func revealing(tn *testNode, request string, c routeCall) routeCall {
	return routeCall{prepare: func(t *testing.T, authorization string) routeCall {
		tn.request(t, "POST", "/api/v1/requests/"+request+"/reveal", authorization, "application/json", revealInput{Reason: "audit of the case's handling"})
		return c
	}}
}

// routeCases builds, for every route of the table, a call that an official
// of state holding the route's permission can make successfully. A route
// without a case fails TestAuthorizationEveryRoute.
var routeCases = map[string]func(t *testing.T, tn *testNode, state string) routeCall{
	"GET /healthz":                    func(*testing.T, *testNode, string) routeCall { return routeCall{path: "/healthz"} },
	"GET /readyz":                     func(*testing.T, *testNode, string) routeCall { return routeCall{path: "/readyz"} },
	"GET /api/v1/openapi.json":        func(*testing.T, *testNode, string) routeCall { return routeCall{path: "/api/v1/openapi.json"} },
	"GET /api/v1/me":                  func(*testing.T, *testNode, string) routeCall { return routeCall{path: "/api/v1/me"} },
	"GET /api/v1/convention/kinds":    func(*testing.T, *testNode, string) routeCall { return routeCall{path: "/api/v1/convention/kinds"} },
	"GET /api/v1/convention/offences": func(*testing.T, *testNode, string) routeCall { return routeCall{path: "/api/v1/convention/offences"} },
	"GET /api/v1/treaty":              func(*testing.T, *testNode, string) routeCall { return routeCall{path: "/api/v1/treaty"} },
	"GET /api/v1/requests":            func(*testing.T, *testNode, string) routeCall { return routeCall{path: "/api/v1/requests"} },
	"GET /api/v1/users":               func(*testing.T, *testNode, string) routeCall { return routeCall{path: "/api/v1/users"} },
	"GET /api/v1/audit":               func(*testing.T, *testNode, string) routeCall { return routeCall{path: "/api/v1/audit?after=0&limit=5"} },
	"GET /metrics":                    func(*testing.T, *testNode, string) routeCall { return routeCall{path: "/metrics"} },
	"GET /api/v1/retention/policy":    func(*testing.T, *testNode, string) routeCall { return routeCall{path: "/api/v1/retention/policy"} },
	"PUT /api/v1/retention/policy": func(*testing.T, *testNode, string) routeCall {
		return routeCall{path: "/api/v1/retention/policy", body: policyInput{PersonalDataDays: 365}}
	},
	"POST /api/v1/requests/{id}/reveal": func(t *testing.T, tn *testNode, s string) routeCall {
		r := tn.draft(t, actor(s, identity.CentralAuthority), mlaContents(otherState(s)))
		return routeCall{path: "/api/v1/requests/" + r.ID + "/reveal", body: revealInput{Reason: "audit of the handling of personal data"}}
	},
	"GET /api/v1/funds/cases/{case}/assets": func(t *testing.T, tn *testNode, s string) routeCall {
		caseID, _ := tn.assetOf(t, s, "a car")
		return routeCall{path: "/api/v1/funds/cases/" + caseID + "/assets"}
	},
	"POST /api/v1/funds/cases/{case}/assets": func(t *testing.T, tn *testNode, s string) routeCall {
		return routeCall{path: "/api/v1/funds/cases/" + tn.fundsCaseOf(t, s) + "/assets",
			body: node.AssetInput{Jurisdiction: "ZAF", Description: "a car", Currency: "EUR", Traced: 1_000_000}}
	},
	"POST /api/v1/funds/cases/{case}/assets/{asset}/steps": func(t *testing.T, tn *testNode, s string) routeCall {
		caseID, assetID := tn.assetOf(t, s, "a car")
		return routeCall{path: "/api/v1/funds/cases/" + caseID + "/assets/" + assetID + "/steps", body: frozenStep}
	},
	"POST /api/v1/funds/cases/{case}/traces/{trace}/freezing-requests": func(t *testing.T, tn *testNode, s string) routeCall {
		caseID, traceID := tn.fundsTrace(t, s)
		return routeCall{path: "/api/v1/funds/cases/" + caseID + "/traces/" + traceID + "/freezing-requests", body: freezeInput}
	},
	"GET /api/v1/funds/recovery": func(*testing.T, *testNode, string) routeCall { return routeCall{path: "/api/v1/funds/recovery"} },
	"GET /api/v1/evidence/expiring": func(*testing.T, *testNode, string) routeCall {
		return routeCall{path: "/api/v1/evidence/expiring?within=30d"}
	},
	"GET /log/checkpoint": func(t *testing.T, tn *testNode, _ string) routeCall {
		integrateLog(t, tn)
		return routeCall{path: "/log/checkpoint"}
	},
	"GET /log/tile/{path...}": func(t *testing.T, tn *testNode, _ string) routeCall {
		head := integrateLog(t, tn)
		if head.Size >= 256 {
			return routeCall{path: "/log/tile/entries/000"}
		}
		return routeCall{path: fmt.Sprintf("/log/tile/entries/000.p/%d", head.Size)}
	},
	"GET /api/v1/log/key": func(*testing.T, *testNode, string) routeCall { return routeCall{path: "/api/v1/log/key"} },
	"GET /api/v1/log/inclusion": func(t *testing.T, tn *testNode, _ string) routeCall {
		integrateLog(t, tn)
		return routeCall{path: "/api/v1/log/inclusion?index=1"}
	},
	"GET /api/v1/log/consistency": func(t *testing.T, tn *testNode, _ string) routeCall {
		integrateLog(t, tn)
		return routeCall{path: "/api/v1/log/consistency?old=1"}
	},
	// Public once the home State's administrators publish it.
	"GET /api/v1/transparency": func(t *testing.T, tn *testNode, _ string) routeCall {
		if _, err := tn.Node.SetTransparencyPublication(t.Context(), tn.Node.Admin(), true); err != nil {
			t.Fatal(err)
		}
		return routeCall{path: "/api/v1/transparency"}
	},
	"PUT /api/v1/transparency/publication": func(*testing.T, *testNode, string) routeCall {
		return routeCall{path: "/api/v1/transparency/publication", body: publicationInput{Published: true}}
	},
	"GET /api/v1/states/{code}": func(_ *testing.T, _ *testNode, s string) routeCall { return routeCall{path: "/api/v1/states/" + s} },
	"POST /api/v1/treaty/records": func(_ *testing.T, _ *testNode, s string) routeCall {
		return routeCall{path: "/api/v1/treaty/records", body: node.TreatyAction{Code: s, Signed: "2025-10-25", SignedAt: "Hanoi"}}
	},
	"POST /api/v1/treaty/import": func(_ *testing.T, _ *testNode, s string) routeCall {
		return routeCall{path: "/api/v1/treaty/import", contentType: "text/csv",
			body: directory.TreatyStatusHeader + "\n" + s + ",Test,state,2025-10-25,Hanoi,,\n"}
	},
	"PUT /api/v1/states/{code}/profile": func(_ *testing.T, _ *testNode, s string) routeCall {
		return routeCall{path: "/api/v1/states/" + s + "/profile", body: directory.Profile{
			CentralAuthority: directory.Authority{Name: "Central authority of " + s},
			Contact247:       directory.Contact{Name: "24/7 desk of " + s, Phone: "+1 555 0100", TimeZone: "UTC"},
			Languages:        []string{"en"},
		}}
	},
	"POST /api/v1/states/{code}/declarations": func(_ *testing.T, _ *testNode, s string) routeCall {
		return routeCall{path: "/api/v1/states/" + s + "/declarations",
			body: node.DeclarationInput{Article: 40, MadeOn: "2025-10-25", Text: "The central authority is the Ministry of Justice."}}
	},
	"POST /api/v1/requests": func(_ *testing.T, _ *testNode, s string) routeCall {
		return routeCall{path: "/api/v1/requests", body: preservationContents(otherState(s))}
	},
	"GET /api/v1/requests/{id}": func(t *testing.T, tn *testNode, s string) routeCall {
		r := tn.draft(t, actor(s, identity.CentralAuthority), preservationContents(otherState(s)))
		return routeCall{path: "/api/v1/requests/" + r.ID}
	},
	"GET /api/v1/requests/{id}/letter.pdf": func(t *testing.T, tn *testNode, s string) routeCall {
		r := tn.draft(t, actor(s, identity.CentralAuthority), preservationContents(otherState(s)))
		return revealing(tn, r.ID, routeCall{path: "/api/v1/requests/" + r.ID + "/letter.pdf?lang=ru"})
	},
	"POST /api/v1/requests/{id}/transitions": func(t *testing.T, tn *testNode, s string) routeCall {
		r := tn.draft(t, actor(s, identity.CentralAuthority), preservationContents(otherState(s)))
		return routeCall{path: "/api/v1/requests/" + r.ID + "/transitions", body: casework.Transition{Action: casework.Send}}
	},
	"POST /api/v1/users": func(_ *testing.T, _ *testNode, s string) routeCall {
		id := fmt.Sprintf("new-%d", userSeq.Add(1))
		return routeCall{path: "/api/v1/users", body: userInput{ID: id, Name: "New official", State: s, Role: identity.Investigator}}
	},
	"POST /api/v1/enrol": func(_ *testing.T, tn *testNode, s string) routeCall {
		return routeCall{prepare: func(t *testing.T, _ string) routeCall {
			e, err := tn.Node.IssueEnrolment(t.Context(), tn.Node.AdminOf(s), officialID(s, identity.Investigator))
			if err != nil {
				t.Fatal(err)
			}
			return routeCall{path: "/api/v1/enrol", body: enrolInput{Code: e.Code, Label: "laptop"}}
		}}
	},
	"GET /api/v1/me/tokens": func(*testing.T, *testNode, string) routeCall { return routeCall{path: "/api/v1/me/tokens"} },
	"DELETE /api/v1/me/tokens/{token}": func(_ *testing.T, tn *testNode, _ string) routeCall {
		// Another token of the caller's, so that the one in use stays.
		return routeCall{prepare: func(t *testing.T, authorization string) routeCall {
			u, err := tn.Node.Authenticate(t.Context(), strings.TrimPrefix(authorization, "Bearer "))
			if err != nil {
				return routeCall{path: "/api/v1/me/tokens/0123456789abcdef"}
			}
			return routeCall{path: "/api/v1/me/tokens/" + tn.extraToken(t, u.State, u.ID).ID}
		}}
	},
	"POST /api/v1/users/{id}/enrolments": func(_ *testing.T, _ *testNode, s string) routeCall {
		return routeCall{path: "/api/v1/users/" + officialID(s, identity.Investigator) + "/enrolments"}
	},
	"GET /api/v1/users/{id}/tokens": func(_ *testing.T, _ *testNode, s string) routeCall {
		return routeCall{path: "/api/v1/users/" + officialID(s, identity.Investigator) + "/tokens"}
	},
	"DELETE /api/v1/users/{id}/tokens/{token}": func(t *testing.T, tn *testNode, s string) routeCall {
		id := officialID(s, identity.Investigator)
		return routeCall{path: "/api/v1/users/" + id + "/tokens/" + tn.extraToken(t, s, id).ID}
	},
	"POST /api/v1/users/{id}/disable": func(t *testing.T, tn *testNode, s string) routeCall {
		return routeCall{path: "/api/v1/users/" + tn.newOfficial(t, s, false) + "/disable"}
	},
	"POST /api/v1/users/{id}/enable": func(t *testing.T, tn *testNode, s string) routeCall {
		return routeCall{path: "/api/v1/users/" + tn.newOfficial(t, s, true) + "/enable"}
	},
	"GET /api/v1/alerts": func(*testing.T, *testNode, string) routeCall { return routeCall{path: "/api/v1/alerts?open=true"} },
	"GET /api/v1/alerts/stream": func(*testing.T, *testNode, string) routeCall {
		return routeCall{path: "/api/v1/alerts/stream?after=0&follow=false"}
	},
	"POST /api/v1/alerts/{id}/ack": func(t *testing.T, tn *testNode, s string) routeCall {
		// An alert about the node: every role that acknowledges alerts,
		// administrators included, may acknowledge it.
		return routeCall{path: "/api/v1/alerts/" + tn.raiseNodeAlert(t, s).ID + "/ack"}
	},
	"POST /api/v1/requests/{id}/screenings": func(t *testing.T, tn *testNode, s string) routeCall {
		id := tn.receivedBy(t, s)
		return routeCall{path: "/api/v1/requests/" + id + "/screenings", body: clearedScreening(convention.MutualAssistance)}
	},
	"GET /api/v1/requests/{id}/screenings": func(t *testing.T, tn *testNode, s string) routeCall {
		return routeCall{path: "/api/v1/requests/" + tn.receivedBy(t, s) + "/screenings"}
	},
	"GET /api/v1/screening/flags": func(*testing.T, *testNode, string) routeCall { return routeCall{path: "/api/v1/screening/flags"} },
	"POST /api/v1/screening/flags": func(*testing.T, *testNode, string) routeCall {
		return routeCall{path: "/api/v1/screening/flags", body: flagInput{State: "DEU", Reason: "reports of reprisals"}}
	},
	"DELETE /api/v1/screening/flags/{state}": func(t *testing.T, tn *testNode, s string) routeCall {
		if _, err := tn.Node.Flag(t.Context(), actor(s, identity.Administrator), "DEU", "reports of reprisals"); err != nil {
			t.Fatal(err)
		}
		return routeCall{path: "/api/v1/screening/flags/DEU"}
	},
	"GET /api/v1/roster": func(*testing.T, *testNode, string) routeCall { return routeCall{path: "/api/v1/roster"} },
	"POST /api/v1/roster": func(_ *testing.T, _ *testNode, s string) routeCall {
		return routeCall{path: "/api/v1/roster", body: node.RosterInput{User: officialID(s, identity.TwentyFourSeven), Channel: "email", Address: "duty@example.org"}}
	},
	"DELETE /api/v1/roster/{id}": func(t *testing.T, tn *testNode, s string) routeCall {
		return routeCall{path: "/api/v1/roster/" + tn.addRoster(t, node.RosterInput{User: officialID(s, identity.CentralAuthority), Channel: "email", Address: "ca@example.org"}).ID}
	},
}

// call makes c with token.
func (tn *testNode) call(t *testing.T, method, token string, c routeCall) response {
	t.Helper()
	return tn.callWith(t, method, "Bearer "+token, c)
}

// callWith makes c with the Authorization header authorization.
func (tn *testNode) callWith(t *testing.T, method, authorization string, c routeCall) response {
	t.Helper()
	if c.prepare != nil {
		c = c.prepare(t, authorization)
	}
	ct := c.contentType
	if ct == "" {
		ct = "application/json"
	}
	if c.header != nil {
		return tn.requestWithHeader(t, method, c.path, authorization, ct, c.body, c.header)
	}
	return tn.request(t, method, c.path, authorization, ct, c.body)
}

// signedRoutes take no token: another node's signature on what it sends is
// its credential, and their tests are about that signature.
var signedRoutes = map[string]string{
	"POST /federation/v1/messages": "federation_test.go: envelopes from unknown, forged, replayed and misaddressed senders are refused",
	"POST /federation/v1/batches":  "batch_test.go: a batch from an unknown or forged sender, or that cannot be read, is refused; each envelope gets its own receipt or refusal",
	"POST /witness/add-checkpoint": "localnet's witness_test.go: checkpoints of logs of no peer, with a forged signature, a stale size or a fork are refused",
}

func TestRouteCasesMatchRouteTable(t *testing.T) {
	patterns := map[string]bool{}
	for _, rt := range routeTable() {
		pattern := rt.Method + " " + rt.Path
		patterns[pattern] = true
		if routeCases[pattern] == nil && signedRoutes[pattern] == "" {
			t.Errorf("route %s has no case in routeCases: add one, so that its authorisation is tested", pattern)
		}
	}
	for pattern := range routeCases {
		if !patterns[pattern] {
			t.Errorf("routeCases has %s, which is no route", pattern)
		}
	}
}

// TestAuthorizationEveryRoute calls every route as every role of every
// State, on that State's own data, and expects success exactly when the
// role holds the route's permission (identity's grants) and, for a route
// of the node's own settings, the official is of the home State; 403
// otherwise.
func TestAuthorizationEveryRoute(t *testing.T) {
	for _, backend := range storetest.Backends {
		t.Run(backend, func(t *testing.T) {
			tn := newTestNode(t, backend)
			for _, rt := range routeTable() {
				pattern := rt.Method + " " + rt.Path
				build := routeCases[pattern]
				if build == nil {
					continue // TestRouteCasesMatchRouteTable says so
				}
				for _, state := range testStates {
					for _, role := range identity.Roles {
						t.Run(pattern+"/"+officialID(state, role), func(t *testing.T) {
							allowed := rt.Public || (rt.Permission == "" || role.Can(rt.Permission)) && (!rt.Home || state == testStates[0])
							r := tn.call(t, rt.Method, tn.token(t, state, role), build(t, tn, state))
							switch {
							case allowed && r.Status != rt.Status:
								t.Errorf("%s as %s: status %d, want %d; body %s", pattern, role, r.Status, rt.Status, r.Body)
							case !allowed && r.Status != http.StatusForbidden:
								t.Errorf("%s as %s of %s (without %s, or not of the home State): status %d, want 403; body %s", pattern, role, state, rt.Permission, r.Status, r.Body)
							case !allowed:
								r.problem(t)
							}
						})
					}
				}
			}
		})
	}
}

// TestAuthentication checks that every route but the public ones wants a
// valid token, and says how to send one.
func TestAuthentication(t *testing.T) {
	tn := newTestNode(t, "sqlite")
	valid := tn.token(t, "FRA", identity.CentralAuthority)
	headers := []struct {
		name   string
		header string // the Authorization header; none if empty
	}{
		{"no token", ""},
		{"empty bearer", "Bearer "},
		{"not bearer", "Basic " + valid},
		{"token without scheme", valid},
		{"malformed token", "Bearer not-a-token"},
		{"unknown token", "Bearer ent_" + strings.Repeat("a", 32)},
		{"token too long", "Bearer " + valid + "a"},
		{"token with a character changed", "Bearer " + changeLast(valid)},
	}
	for _, rt := range routeTable() {
		build := routeCases[rt.Method+" "+rt.Path]
		if build == nil {
			continue
		}
		c := build(t, tn, "FRA")
		for _, h := range headers {
			t.Run(rt.Method+" "+rt.Path+"/"+h.name, func(t *testing.T) {
				r := tn.callWith(t, rt.Method, h.header, c)
				if rt.Public {
					if r.Status != rt.Status {
						t.Errorf("public route: status %d, want %d whatever the token", r.Status, rt.Status)
					}
					return
				}
				wantProblem(t, r, http.StatusUnauthorized, "", "")
				if got := r.Header.Get("WWW-Authenticate"); !strings.HasPrefix(got, "Bearer") {
					t.Errorf("WWW-Authenticate = %q, want a Bearer challenge", got)
				}
			})
		}
	}

	// The scheme is case-insensitive (RFC 9110, 11.1).
	r := tn.request(t, "GET", "/api/v1/me", "bearer "+valid, "", nil)
	if r.Status != http.StatusOK {
		t.Errorf("Authorization: bearer <token>: status %d, want 200", r.Status)
	}
	me := decodeBody[identity.User](t, r)
	if want := officialID("FRA", identity.CentralAuthority); me.ID != want || me.State != "FRA" || me.Role != identity.CentralAuthority {
		t.Errorf("GET /api/v1/me = %+v, want %s of FRA, central authority", me, want)
	}
}

// TestStatesSeeOnlyTheirViews checks that an official sees only the view
// their own State holds: another State's request is not found, and a
// listing holds only their State's views (art. 40(20)).
func TestStatesSeeOnlyTheirViews(t *testing.T) {
	for _, backend := range storetest.Backends {
		t.Run(backend, func(t *testing.T) {
			tn := newTestNode(t, backend)
			fra, vnm, zaf := tn.token(t, "FRA", identity.CentralAuthority), tn.token(t, "VNM", identity.CentralAuthority), tn.token(t, "ZAF", identity.CentralAuthority)
			sent := tn.create(t, fra, preservationContents("VNM"))
			tn.mustMove(t, fra, sent.ID, casework.Transition{Action: casework.Send}, casework.Received)
			draft := tn.create(t, fra, mlaContents("VNM"))
			own := tn.create(t, zaf, mlaContents("FRA"))

			tests := []struct {
				name  string
				token string
				id    string
				want  int
				state string // the holder of the view seen
			}{
				{"requesting State sees its view", fra, sent.ID, 200, "FRA"},
				{"requested State sees its view", vnm, sent.ID, 200, "VNM"},
				{"art 40(20): third State does not see it", zaf, sent.ID, 404, ""},
				{"requested State does not see a draft", vnm, draft.ID, 404, ""},
				{"third State does not see a draft", zaf, draft.ID, 404, ""},
				{"ZAF sees its own draft", zaf, own.ID, 200, "ZAF"},
				{"FRA does not see ZAF's draft to it", fra, own.ID, 404, ""},
				{"unknown id", fra, "0190a1b2-0000-7000-8000-000000000000", 404, ""},
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					r := tn.do(t, "GET", "/api/v1/requests/"+tt.id, tt.token, nil)
					if r.Status != tt.want {
						t.Fatalf("status %d, want %d; body %s", r.Status, tt.want, r.Body)
					}
					if tt.want == 404 {
						if strings.Contains(string(r.Body), "VNM") || strings.Contains(string(r.Body), "facts") {
							t.Errorf("the 404 tells of the request: %s", r.Body)
						}
						return
					}
					doc := decodeBody[requestDoc](t, r)
					if doc.Request.Holder != tt.state || doc.Request.ID != tt.id {
						t.Errorf("view of %s held by %s, want %s", doc.Request.ID, doc.Request.Holder, tt.state)
					}
				})
			}

			// A third State can neither act on nor list the request.
			wantProblem(t, tn.move(t, zaf, sent.ID, casework.Transition{Action: casework.Withdraw}), 404, "", "")
			wantProblem(t, tn.move(t, vnm, draft.ID, casework.Transition{Action: casework.Acknowledge}), 404, "", "")

			listings := []struct {
				state string
				token string
				want  []string
			}{
				{"FRA", fra, []string{draft.ID, sent.ID}},
				{"VNM", vnm, []string{sent.ID}},
				{"ZAF", zaf, []string{own.ID}},
			}
			for _, l := range listings {
				for _, role := range []identity.Role{identity.CentralAuthority, identity.TwentyFourSeven, identity.Investigator, identity.Auditor} {
					page := decodeBody[listPage](t, tn.do(t, "GET", "/api/v1/requests", tn.token(t, l.state, role), nil))
					var ids []string
					for _, r := range page.Requests {
						ids = append(ids, r.ID)
						if r.Holder != l.state {
							t.Errorf("%s lists a view held by %s: %s", officialID(l.state, role), r.Holder, r.ID)
						}
					}
					slices.Sort(ids)
					want := slices.Sorted(slices.Values(l.want))
					if !slices.Equal(ids, want) {
						t.Errorf("%s lists %v, want %v", officialID(l.state, role), ids, want)
					}
				}
			}
		})
	}
}

// listPage is a listing as a client decodes it.
type listPage struct {
	Requests   []*casework.Request `json:"requests"`
	NextCursor string              `json:"next_cursor"`
}

// TestRoleRules checks who may do what to a request, as the Convention
// and the roles decide it.
func TestRoleRules(t *testing.T) {
	for _, backend := range storetest.Backends {
		t.Run(backend, func(t *testing.T) {
			tn := newTestNode(t, backend)
			tok := func(state string, role identity.Role) string { return tn.token(t, state, role) }
			fraCA, vnmCA := tok("FRA", identity.CentralAuthority), tok("VNM", identity.CentralAuthority)

			// An MLA FRA→VNM in progress, a preservation FRA→VNM received.
			mla := tn.create(t, fraCA, mlaContents("VNM"))
			tn.mustMove(t, fraCA, mla.ID, casework.Transition{Action: casework.Send}, casework.Received)
			tn.mustMove(t, vnmCA, mla.ID, casework.Transition{Action: casework.Acknowledge}, casework.Acknowledged)
			tn.mustMove(t, vnmCA, mla.ID, casework.Transition{Action: casework.Start}, casework.InProgress)
			pres := tn.create(t, fraCA, preservationContents("VNM"))
			tn.mustMove(t, fraCA, pres.ID, casework.Transition{Action: casework.Send}, casework.Received)
			invDraft := tn.create(t, tok("FRA", identity.Investigator), mlaContents("ZAF"))

			tests := []struct {
				name   string
				token  string
				method string
				path   string
				body   any
				want   int
			}{
				{"art 40(13): investigator drafts", tok("FRA", identity.Investigator), "POST", "/api/v1/requests", mlaContents("VNM"), 201},
				{"art 40(13): investigator may not send", tok("FRA", identity.Investigator), "POST", "/api/v1/requests/" + invDraft.ID + "/transitions", casework.Transition{Action: casework.Send}, 403},
				{"art 40(13): investigator may not withdraw", tok("FRA", identity.Investigator), "POST", "/api/v1/requests/" + mla.ID + "/transitions", casework.Transition{Action: casework.Withdraw}, 403},
				{"art 40(13): central authority sends the investigator's draft", fraCA, "POST", "/api/v1/requests/" + invDraft.ID + "/transitions", casework.Transition{Action: casework.Send}, 200},
				{"investigator reads", tok("FRA", identity.Investigator), "GET", "/api/v1/requests/" + mla.ID, nil, 200},
				{"auditor reads", tok("VNM", identity.Auditor), "GET", "/api/v1/requests/" + mla.ID, nil, 200},
				{"auditor may not act", tok("VNM", identity.Auditor), "POST", "/api/v1/requests/" + mla.ID + "/transitions", casework.Transition{Action: casework.Execute}, 403},
				{"auditor may not draft", tok("FRA", identity.Auditor), "POST", "/api/v1/requests", mlaContents("VNM"), 403},
				{"administrator may not read requests", tok("FRA", identity.Administrator), "GET", "/api/v1/requests/" + mla.ID, nil, 403},
				{"art 41: 24/7 may not draft mutual assistance", tok("FRA", identity.TwentyFourSeven), "POST", "/api/v1/requests", mlaContents("VNM"), 403},
				{"art 41: 24/7 may not act on mutual assistance", tok("VNM", identity.TwentyFourSeven), "POST", "/api/v1/requests/" + mla.ID + "/transitions", casework.Transition{Action: casework.Execute}, 403},
				{"art 41(3)(b): 24/7 drafts a preservation", tok("FRA", identity.TwentyFourSeven), "POST", "/api/v1/requests", preservationContents("ZAF"), 201},
				{"art 40(25): requesting State may not acknowledge", fraCA, "POST", "/api/v1/requests/" + pres.ID + "/transitions", casework.Transition{Action: casework.Acknowledge}, 403},
				{"art 41(3)(b): 24/7 acknowledges a preservation", tok("VNM", identity.TwentyFourSeven), "POST", "/api/v1/requests/" + pres.ID + "/transitions", casework.Transition{Action: casework.Acknowledge}, 200},
				{"art 40(25): requesting State may not execute", fraCA, "POST", "/api/v1/requests/" + mla.ID + "/transitions", casework.Transition{Action: casework.Execute}, 403},
				{"art 40(25): requested State may not withdraw", vnmCA, "POST", "/api/v1/requests/" + mla.ID + "/transitions", casework.Transition{Action: casework.Withdraw}, 403},
				{"art 40(16): requesting State may not ask for more information", fraCA, "POST", "/api/v1/requests/" + mla.ID + "/transitions", casework.Transition{Action: casework.RequestInfo, Note: "?"}, 403},
				{"art 40(25): requesting State withdraws", fraCA, "POST", "/api/v1/requests/" + mla.ID + "/transitions", casework.Transition{Action: casework.Withdraw}, 200},
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					r := tn.do(t, tt.method, tt.path, tt.token, tt.body)
					if r.Status != tt.want {
						t.Fatalf("status %d, want %d; body %s", r.Status, tt.want, r.Body)
					}
					if tt.want == 403 {
						if p := r.problem(t); p.Type != typeForbidden {
							t.Errorf("problem type %q, want %q", p.Type, typeForbidden)
						}
					}
				})
			}
			// The requested State's view moved with the withdrawal; the
			// preservation with the 24/7 acknowledgement.
			if got := tn.view(t, vnmCA, mla.ID).Request.State; got != casework.Withdrawn {
				t.Errorf("VNM's view after withdrawal: %q, want withdrawn", got)
			}
			if got := tn.view(t, fraCA, pres.ID).Request.State; got != casework.Acknowledged {
				t.Errorf("FRA's view after acknowledgement: %q, want acknowledged", got)
			}
		})
	}
}

// changeLast returns token with its last character changed, whatever it
// was.
func changeLast(token string) string {
	if strings.HasSuffix(token, "x") {
		return token[:len(token)-1] + "y"
	}
	return token[:len(token)-1] + "x"
}

// receivedBy returns the id of a request of mutual legal assistance that
// another State sent to state, which state's node holds as received.
func (tn *testNode) receivedBy(t *testing.T, state string) string {
	t.Helper()
	from := "ZAF"
	if state == from {
		from = "FRA"
	}
	r := tn.draft(t, actor(from, identity.CentralAuthority), mlaContents(state))
	if _, err := tn.Node.Transition(t.Context(), actor(from, identity.CentralAuthority), r.ID, casework.Transition{Action: casework.Send}); err != nil {
		t.Fatal(err)
	}
	return r.ID
}

// clearedScreening is a screening of a request of kind k that finds no
// concern.
func clearedScreening(k convention.Kind) convention.Screening {
	var all []convention.ScreeningGround
	for _, g := range convention.ScreeningGrounds(k) {
		all = append(all, g.Ground)
	}
	return convention.Screening{Considered: all, Findings: "No indication on any ground.", Outcome: convention.Cleared}
}
