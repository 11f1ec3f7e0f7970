package web

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"

	"entraide/internal/casework"
	"entraide/internal/convention"
	"entraide/internal/identity"
	"entraide/internal/node"
	"entraide/internal/store"
	"entraide/internal/store/storetest"
)

// How another State's officials may reach a route.
type reach int

const (
	// shared routes hold no State's data: the Convention, the directory,
	// the caller's own identity.
	shared reach = iota
	// byPath routes name a State's data in their path: the answer to
	// another State is a 404, or a 403 where the role alone decides, and
	// the same for an id that does not exist.
	byPath
	// byBody routes name a State's data in their body: the answer to
	// another State is the refusal of data that does not exist.
	byBody
	// listing routes list the caller's own State's data: nothing of
	// another State's appears.
	listing
	// nodeWide routes change what the node shares (route.Home): a hosted
	// State's officials get 403.
	nodeWide
	// aggregates routes are public and show only counts, medians and
	// codes of the home State's requests: called without a token, their
	// answer holds nothing of any State's data.
	aggregates
)

// victimData is what one State holds on a node that hosts several, and
// that no other State's official may reach.
type victimData struct {
	state     string
	sent      string // a request the State sent to a third State, refused with reasons
	draft     string // a draft of the State's
	followUp  string // a preservation the State sent, which a follow-up may name
	alert     string // an alert of the State's
	roster    string // a line of the State's roster
	official  string // an official of the State, a 24/7 officer
	token     string // the id of a token of the official's
	reasons   string // the reasons of the refusal, which only the two States know
	item      string // an item of evidence of the sent request's
	upload    string // an item of the sent request's still uploading
	received  string // a request ZAF sent the State, which it screened
	findings  string // what its screening found, which only the State knows
	flagged   string // a State it flagged for screening
	flagWhy   string // why, which only the State knows
	gave      string // a request ZAF sent the State, which gave ZAF an item
	useReport string // the use report the State asked ZAF on it
	consent   string // a consent request asked of the State
	fundsCase string // a fund-tracing case of the State's
	asset     string // an asset of the case
	property  string // what the asset is, which only the State knows
	// tracedCase is a fund-tracing case of the State's, with a trace,
	// an account, and a CSV column mapping of the State's named mapping.
	tracedCase, fundsTrace, fundsAccount, mapping string
	officials                                     []string
}

// markers are strings that only the State's own views hold.
func (v victimData) markers() []string {
	return append([]string{v.sent, v.draft, v.followUp, v.alert, v.roster, v.token, v.reasons, v.item, v.upload, v.findings, v.flagWhy, v.useReport, v.consent, v.fundsCase, v.asset, v.property,
		v.tracedCase, v.fundsTrace, v.mapping, "Romance scam of " + v.state}, v.officials...)
}

// missingID names nothing on the node.
const missingID = "0190a1b2-0000-7000-8000-00000000dead"

// crossCall is a route's call on the victim's data, and the same call on
// data that does not exist.
type crossCall struct {
	reach           reach
	victims, absent func(v victimData) routeCall
}

func samePath(path func(id string) string, body any, id func(v victimData) string) (func(v victimData) routeCall, func(v victimData) routeCall) {
	return func(v victimData) routeCall { return routeCall{path: path(id(v)), body: body} },
		func(victimData) routeCall { return routeCall{path: path(missingID), body: body} }
}

func listCall(path string) crossCall {
	c := func(victimData) routeCall { return routeCall{path: path} }
	return crossCall{reach: listing, victims: c, absent: c}
}

func sharedCall(path string) crossCall {
	c := func(victimData) routeCall { return routeCall{path: path} }
	return crossCall{reach: shared, victims: c, absent: c}
}

func pathCall(path func(id string) string, body any, id func(v victimData) string) crossCall {
	v, a := samePath(path, body, id)
	return crossCall{reach: byPath, victims: v, absent: a}
}

// crossCalls says, for every route of the table, how another State's
// officials may try to reach a State's data through it. A route without
// an entry fails TestOtherStatesReachNothing: whoever adds a route says
// how it is scoped.
var crossCalls = map[string]crossCall{
	"GET /api/v1/me":                  sharedCall("/api/v1/me"),
	"GET /api/v1/convention/kinds":    sharedCall("/api/v1/convention/kinds"),
	"GET /api/v1/convention/offences": sharedCall("/api/v1/convention/offences"),
	"GET /api/v1/treaty":              sharedCall("/api/v1/treaty"),
	"GET /api/v1/states/{code}": {reach: shared,
		victims: func(v victimData) routeCall { return routeCall{path: "/api/v1/states/" + v.state} },
		absent:  func(v victimData) routeCall { return routeCall{path: "/api/v1/states/" + v.state} }},

	"POST /api/v1/treaty/records": {reach: nodeWide,
		victims: func(v victimData) routeCall {
			return routeCall{path: "/api/v1/treaty/records", body: node.TreatyAction{Code: v.state, Signed: "2025-10-25", SignedAt: "Hanoi"}}
		},
		absent: func(victimData) routeCall {
			return routeCall{path: "/api/v1/treaty/records", body: node.TreatyAction{Code: "XXX", Signed: "2025-10-25", SignedAt: "Hanoi"}}
		}},
	"POST /api/v1/treaty/import": {reach: nodeWide,
		victims: func(v victimData) routeCall {
			return routeCall{path: "/api/v1/treaty/import", contentType: "text/csv", body: "code\n" + v.state + "\n"}
		},
		absent: func(victimData) routeCall {
			return routeCall{path: "/api/v1/treaty/import", contentType: "text/csv", body: "code\nXXX\n"}
		}},
	"PUT /api/v1/states/{code}/profile": pathCallReach(nodeWide, func(code string) string { return "/api/v1/states/" + code + "/profile" }, map[string]any{},
		func(v victimData) string { return v.state }, "XXX"),
	"POST /api/v1/states/{code}/declarations": pathCallReach(nodeWide, func(code string) string { return "/api/v1/states/" + code + "/declarations" },
		node.DeclarationInput{Article: 40, MadeOn: "2025-10-25", Text: "x"}, func(v victimData) string { return v.state }, "XXX"),

	// Public: the home State's transparency report, aggregates only.
	"GET /api/v1/transparency": {reach: aggregates,
		victims: func(victimData) routeCall { return routeCall{path: "/api/v1/transparency"} },
		absent:  func(victimData) routeCall { return routeCall{path: "/api/v1/transparency"} }},
	"PUT /api/v1/transparency/publication": {reach: nodeWide,
		victims: func(victimData) routeCall {
			return routeCall{path: "/api/v1/transparency/publication", body: publicationInput{Published: true}}
		},
		absent: func(victimData) routeCall {
			return routeCall{path: "/api/v1/transparency/publication", body: publicationInput{Published: true}}
		}},

	"GET /api/v1/requests": listCall("/api/v1/requests?limit=500"),
	"POST /api/v1/requests": {reach: byBody,
		victims: func(v victimData) routeCall {
			return routeCall{path: "/api/v1/requests", body: storedDataAccessContents("ZAF", v.followUp)}
		},
		absent: func(victimData) routeCall {
			return routeCall{path: "/api/v1/requests", body: storedDataAccessContents("ZAF", missingID)}
		}},
	"GET /api/v1/requests/{id}":            pathCall(func(id string) string { return "/api/v1/requests/" + id }, nil, func(v victimData) string { return v.sent }),
	"GET /api/v1/requests/{id}/letter.pdf": pathCall(func(id string) string { return "/api/v1/requests/" + id + "/letter.pdf" }, nil, func(v victimData) string { return v.sent }),
	"POST /api/v1/requests/{id}/transitions": pathCall(func(id string) string { return "/api/v1/requests/" + id + "/transitions" },
		casework.Transition{Action: casework.Withdraw}, func(v victimData) string { return v.sent }),

	"GET /api/v1/alerts":        listCall("/api/v1/alerts?limit=500"),
	"GET /api/v1/alerts/stream": listCall("/api/v1/alerts/stream?after=0&follow=false"),
	"POST /api/v1/alerts/{id}/ack": pathCall(func(id string) string { return "/api/v1/alerts/" + id + "/ack" }, nil,
		func(v victimData) string { return v.alert }),

	"POST /api/v1/requests/{id}/screenings": pathCall(func(id string) string { return "/api/v1/requests/" + id + "/screenings" }, clearedScreening(convention.Preservation),
		func(v victimData) string { return v.received }),
	"GET /api/v1/requests/{id}/screenings": pathCall(func(id string) string { return "/api/v1/requests/" + id + "/screenings" }, nil,
		func(v victimData) string { return v.received }),
	// Flags are the caller's own State's: another State's are neither
	// listed, nor lifted (the victim flagged DEU, the caller did not).
	"GET /api/v1/screening/flags": listCall("/api/v1/screening/flags"),
	"POST /api/v1/screening/flags": {reach: listing,
		victims: func(victimData) routeCall {
			return routeCall{path: "/api/v1/screening/flags", body: flagInput{State: "ZAF", Reason: "the caller's own reason"}}
		},
		absent: func(victimData) routeCall {
			return routeCall{path: "/api/v1/screening/flags", body: flagInput{State: "ZAF", Reason: "the caller's own reason"}}
		}},
	"DELETE /api/v1/screening/flags/{state}": pathCall(func(code string) string { return "/api/v1/screening/flags/" + code }, nil, func(v victimData) string { return v.flagged }),
	"GET /api/v1/roster":                     listCall("/api/v1/roster"),
	"POST /api/v1/roster": {reach: byBody,
		victims: func(v victimData) routeCall {
			return routeCall{path: "/api/v1/roster", body: node.RosterInput{User: v.official, Channel: "email", Address: "duty@example.org"}}
		},
		absent: func(victimData) routeCall {
			return routeCall{path: "/api/v1/roster", body: node.RosterInput{User: missingID, Channel: "email", Address: "duty@example.org"}}
		}},
	"DELETE /api/v1/roster/{id}": pathCall(func(id string) string { return "/api/v1/roster/" + id }, nil, func(v victimData) string { return v.roster }),

	"GET /api/v1/users": listCall("/api/v1/users"),
	"POST /api/v1/users": {reach: byBody,
		victims: func(v victimData) routeCall {
			return routeCall{path: "/api/v1/users", body: userInput{ID: "intruder", Name: "Intruder", State: v.state, Role: identity.CentralAuthority}}
		},
		absent: func(victimData) routeCall {
			return routeCall{path: "/api/v1/users", body: userInput{ID: "intruder", Name: "Intruder", State: "DEU", Role: identity.CentralAuthority}}
		}},
	"POST /api/v1/users/{id}/enrolments": pathCall(func(id string) string { return "/api/v1/users/" + id + "/enrolments" }, nil,
		func(v victimData) string { return v.official }),
	"POST /api/v1/users/{id}/disable": pathCall(func(id string) string { return "/api/v1/users/" + id + "/disable" }, nil,
		func(v victimData) string { return v.official }),
	"POST /api/v1/users/{id}/enable": pathCall(func(id string) string { return "/api/v1/users/" + id + "/enable" }, nil,
		func(v victimData) string { return v.official }),
	"GET /api/v1/users/{id}/tokens": pathCall(func(id string) string { return "/api/v1/users/" + id + "/tokens" }, nil,
		func(v victimData) string { return v.official }),
	"DELETE /api/v1/users/{id}/tokens/{token}": {reach: byPath,
		victims: func(v victimData) routeCall {
			return routeCall{path: "/api/v1/users/" + v.official + "/tokens/" + v.token}
		},
		absent: func(victimData) routeCall {
			return routeCall{path: "/api/v1/users/" + missingID + "/tokens/0123456789abcdef"}
		}},
	"GET /api/v1/me/tokens": listCall("/api/v1/me/tokens"),
	"DELETE /api/v1/me/tokens/{token}": {reach: byPath,
		victims: func(v victimData) routeCall { return routeCall{path: "/api/v1/me/tokens/" + v.token} },
		absent:  func(victimData) routeCall { return routeCall{path: "/api/v1/me/tokens/0123456789abcdef"} }},

	"GET /api/v1/audit": listCall("/api/v1/audit?limit=1000"),
	// A State's retention policy and what its node disposes of: the
	// caller's own State's, whatever it asks.
	"GET /api/v1/retention/policy": listCall("/api/v1/retention/policy"),
	"PUT /api/v1/retention/policy": {reach: listing,
		victims: func(victimData) routeCall {
			return routeCall{path: "/api/v1/retention/policy", body: policyInput{PersonalDataDays: 400}}
		},
		absent: func(victimData) routeCall {
			return routeCall{path: "/api/v1/retention/policy", body: policyInput{PersonalDataDays: 400}}
		}},
	"POST /api/v1/requests/{id}/reveal": pathCall(func(id string) string { return "/api/v1/requests/" + id + "/reveal" },
		revealInput{Reason: "audit"}, func(v victimData) string { return v.sent }),
	"GET /api/v1/evidence/expiring": listCall("/api/v1/evidence/expiring?within=3660d"),
	// A State's fund-tracing cases and their assets are its own.
	"GET /api/v1/funds/cases/{case}/assets": pathCall(func(id string) string { return "/api/v1/funds/cases/" + id + "/assets" }, nil,
		func(v victimData) string { return v.fundsCase }),
	"POST /api/v1/funds/cases/{case}/assets": pathCall(func(id string) string { return "/api/v1/funds/cases/" + id + "/assets" },
		node.AssetInput{Jurisdiction: "ZAF", Description: "the caller's own", Currency: "EUR", Traced: 1_000_000}, func(v victimData) string { return v.fundsCase }),
	"POST /api/v1/funds/cases/{case}/assets/{asset}/steps": {reach: byPath,
		victims: func(v victimData) routeCall {
			return routeCall{path: "/api/v1/funds/cases/" + v.fundsCase + "/assets/" + v.asset + "/steps", body: frozenStep}
		},
		absent: func(victimData) routeCall {
			return routeCall{path: "/api/v1/funds/cases/" + missingID + "/assets/" + missingID + "/steps", body: frozenStep}
		}},
	"GET /api/v1/funds/recovery": listCall("/api/v1/funds/recovery"),
	"POST /api/v1/funds/cases/{case}/traces/{trace}/freezing-requests": {reach: byPath,
		victims: func(v victimData) routeCall {
			return routeCall{path: "/api/v1/funds/cases/" + v.tracedCase + "/traces/" + v.fundsTrace + "/freezing-requests", body: freezeInput}
		},
		absent: func(victimData) routeCall {
			return routeCall{path: "/api/v1/funds/cases/" + missingID + "/traces/" + missingID + "/freezing-requests", body: freezeInput}
		}},
	// The metrics count the whole node, by route pattern: no State's data.
	"GET /metrics": {reach: nodeWide,
		victims: func(victimData) routeCall { return routeCall{path: "/metrics"} },
		absent:  func(victimData) routeCall { return routeCall{path: "/metrics"} }},
}

func pathCallReach(r reach, path func(id string) string, body any, id func(v victimData) string, absent string) crossCall {
	return crossCall{reach: r,
		victims: func(v victimData) routeCall { return routeCall{path: path(id(v)), body: body} },
		absent:  func(victimData) routeCall { return routeCall{path: path(absent), body: body} }}
}

// setUpVictim gives state a request sent to ZAF and refused with
// reasons, a draft, a preservation, an alert, a roster line and an
// official's token.
func setUpVictim(t *testing.T, tn *testNode, state string) victimData {
	t.Helper()
	ctx := t.Context()
	ca, zaf := tn.token(t, state, identity.CentralAuthority), tn.token(t, "ZAF", identity.CentralAuthority)
	v := victimData{state: state, official: officialID(state, identity.TwentyFourSeven),
		reasons: "reasons that only " + state + " and ZAF know"}
	for _, role := range identity.Roles {
		v.officials = append(v.officials, officialID(state, role))
	}
	sent := tn.create(t, ca, mlaContents("ZAF"))
	tn.mustMove(t, ca, sent.ID, casework.Transition{Action: casework.Send}, casework.Received)
	tn.mustMove(t, zaf, sent.ID, casework.Transition{Action: casework.Acknowledge}, casework.Acknowledged)
	tn.mustMove(t, zaf, sent.ID, casework.Transition{Action: casework.Consult}, casework.Consultation)
	tn.mustMove(t, zaf, sent.ID, casework.Transition{Action: casework.Refuse, Grounds: []convention.Ground{convention.EssentialInterests}, Reasons: v.reasons}, casework.Refused)
	v.sent = sent.ID
	v.draft = tn.create(t, ca, mlaContents("ZAF")).ID
	pres := tn.create(t, ca, preservationContents("ZAF"))
	tn.mustMove(t, ca, pres.ID, casework.Transition{Action: casework.Send}, casework.Received)
	v.followUp = pres.ID
	// ZAF asks state to preserve data: the alert is state's.
	in := tn.draft(t, actor("ZAF", identity.CentralAuthority), preservationContents(state))
	if _, err := tn.Node.Transition(ctx, actor("ZAF", identity.CentralAuthority), in.ID, casework.Transition{Action: casework.Send}); err != nil {
		t.Fatal(err)
	}
	alerts, err := tn.Node.Alerts(ctx, actor(state, identity.Auditor), store.AlertFilter{Limit: 500})
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range alerts.Alerts {
		if a.RequestID == in.ID {
			v.alert = a.ID
		}
	}
	if v.alert == "" {
		t.Fatalf("no alert of %s about %s", state, in.ID)
	}
	v.received, v.findings = in.ID, "findings that only "+state+" knows"
	screening := clearedScreening(in.Kind)
	screening.Findings = v.findings
	if _, err := tn.Node.Screen(ctx, actor(state, identity.CentralAuthority), in.ID, screening); err != nil {
		t.Fatal(err)
	}
	// Each State flags its own: the other has not flagged it.
	v.flagged, v.flagWhy = map[string]string{"FRA": "DEU", "VNM": "ITA"}[state], "a reason to flag that only "+state+" knows"
	if _, err := tn.Node.Flag(ctx, actor(state, identity.Administrator), v.flagged, v.flagWhy); err != nil {
		t.Fatal(err)
	}
	admin := tn.token(t, state, identity.Administrator)
	line := tn.do(t, "POST", "/api/v1/roster", admin, node.RosterInput{User: v.official, Channel: "email", Address: "duty@" + strings.ToLower(state) + ".example"})
	if line.Status != http.StatusCreated {
		t.Fatalf("POST /api/v1/roster by %s's administrator: %d %s", state, line.Status, line.Body)
	}
	v.roster = decodeBody[struct {
		ID string `json:"id"`
	}](t, line).ID
	v.token = tn.extraToken(t, state, v.official).ID
	v.item, v.upload = tn.victimEvidence(t, state, sent.ID)
	v.gave, v.useReport = tn.askedUseReport(t, state, "ZAF")
	v.consent = tn.victimConsent(t, state)
	v.property = "property that only " + state + " knows of"
	v.fundsCase, v.asset = tn.assetOf(t, state, v.property)
	tn.victimFunds(t, &v)
	return v
}

// TestOtherStatesReachNothing tries every route of the table as every
// role of another State hosted on the same node, against a State's data:
// VNM's officials against FRA's (the home State), and FRA's against VNM's.
// Each answer is a 404, or a 403 where the role (or, for the node's shared
// settings, the State) alone decides, identical for data that exists and
// data that does not; a listing holds nothing of the other State's. It
// reproduces what a trial of a node hosting several States found: VNM's
// administrator made a token for FRA's official and added an official to
// FRA; VNM's auditor read the records of a FRA→ZAF request; FRA's
// administrator took VNM's line off the roster; GET /users listed every
// State's officials.
func TestOtherStatesReachNothing(t *testing.T) {
	for _, backend := range storetest.Backends {
		t.Run(backend, func(t *testing.T) {
			tn := newTestNode(t, backend)
			victims := map[string]victimData{"FRA": setUpVictim(t, tn, "FRA"), "VNM": setUpVictim(t, tn, "VNM")}
			for _, d := range []struct{ attacker, victim string }{{"VNM", "FRA"}, {"FRA", "VNM"}} {
				v := victims[d.victim]
				for _, rt := range routeTable() {
					pattern := rt.Method + " " + rt.Path
					if rt.Public {
						if c, ok := crossCalls[pattern]; ok {
							if c.reach != aggregates {
								t.Errorf("route %s is public: its crossCalls entry may only say it shows aggregates", pattern)
							}
							readAggregates(t, tn, c, v)
						}
						continue // no token, no State: TestAuthentication
					}
					c, ok := crossCalls[pattern]
					if !ok {
						t.Errorf("route %s has no entry in crossCalls: say how another State's officials may reach it", pattern)
						continue
					}
					if c.reach == nodeWide != rt.Home {
						t.Errorf("route %s: crossCalls says node-wide %v, the route table Home %v", pattern, c.reach == nodeWide, rt.Home)
					}
					for _, role := range identity.Roles {
						t.Run(d.attacker+"→"+d.victim+"/"+pattern+"/"+string(role), func(t *testing.T) {
							tryReach(t, tn, rt, c, v, d.attacker, role)
						})
					}
				}
			}
			// The data tried was there, and still is: each State reaches
			// its own.
			for _, v := range victims {
				if r := tn.do(t, "GET", "/api/v1/requests/"+v.sent, tn.token(t, v.state, identity.CentralAuthority), nil); r.Status != http.StatusOK || !bytes.Contains(r.Body, []byte(v.reasons)) {
					t.Errorf("%s's own request %s: %d %s", v.state, v.sent, r.Status, r.Body)
				}
				if r := tn.do(t, "POST", "/api/v1/alerts/"+v.alert+"/ack", tn.token(t, v.state, identity.TwentyFourSeven), nil); r.Status != http.StatusOK {
					t.Errorf("%s's own alert %s: %d %s", v.state, v.alert, r.Status, r.Body)
				}
				if r := tn.do(t, "DELETE", "/api/v1/roster/"+v.roster, tn.token(t, v.state, identity.Administrator), nil); r.Status != http.StatusOK {
					t.Errorf("%s's own roster line %s: %d %s", v.state, v.roster, r.Status, r.Body)
				}
				if r := tn.do(t, "GET", "/api/v1/me", tn.token(t, v.state, identity.TwentyFourSeven), nil); r.Status != http.StatusOK {
					t.Errorf("%s's own official, after the others tried to disable them: %d %s", v.state, r.Status, r.Body)
				}
				if r := tn.do(t, "DELETE", "/api/v1/users/"+v.official+"/tokens/"+v.token, tn.token(t, v.state, identity.Administrator), nil); r.Status != http.StatusOK {
					t.Errorf("%s's own token %s: %d %s", v.state, v.token, r.Status, r.Body)
				}
			}
		})
	}
}

// tryReach makes c as the official of attacker with role, on v's data and
// on data that does not exist, and checks the answers.
func tryReach(t *testing.T, tn *testNode, rt route, c crossCall, v victimData, attacker string, role identity.Role) {
	t.Helper()
	token := tn.token(t, attacker, role)
	allowed := rt.Permission == "" || role.Can(rt.Permission)
	home := attacker == testStates[0]
	call := c.victims(v)
	got := tn.call(t, rt.Method, token, call)
	named, _ := json.Marshal(call.body)
	named = append(named, call.path...)
	text := readable(got.Body)
	for _, m := range v.markers() {
		// An answer may repeat what the call named; nothing else.
		if bytes.Contains(text, []byte(m)) && !bytes.Contains(named, []byte(m)) {
			t.Errorf("%s of %s: the answer holds %s's %q: %d %s", role, attacker, v.state, m, got.Status, got.Body)
		}
	}
	switch c.reach {
	case shared:
		if got.Status != rt.Status {
			t.Errorf("status %d, want %d; body %s", got.Status, rt.Status, got.Body)
		}
		return
	case listing:
		want := rt.Status
		if !allowed {
			want = http.StatusForbidden
		}
		if got.Status != want {
			t.Errorf("status %d, want %d; body %s", got.Status, want, got.Body)
		}
		return
	case nodeWide:
		if home {
			return // the home State's administrators run the node: TestAuthorizationEveryRoute
		}
	}
	absent := tn.call(t, rt.Method, token, c.absent(v))
	var wants []int
	switch {
	case !allowed || c.reach == nodeWide:
		wants = []int{http.StatusForbidden}
	case c.reach == byPath:
		wants = []int{http.StatusNotFound}
	case c.reach == byBody:
		// A reference in a body that reaches nothing: refused by the
		// role, as a bad reference, or as another State's business.
		wants = []int{http.StatusForbidden, http.StatusUnprocessableEntity}
	}
	if !slices.Contains(wants, got.Status) {
		t.Errorf("on %s's data: status %d, want one of %v; body %s", v.state, got.Status, wants, got.Body)
	}
	if got.Status != absent.Status || normalise(got.Body, v) != normalise(absent.Body, v) {
		t.Errorf("the answer tells %s's data from none:\n%d %s\n%d %s", v.state, got.Status, got.Body, absent.Status, absent.Body)
	}
}

// readable returns body with, after it, the decoded text of every base64
// string in it, such as the canonical bytes of audit records.
func readable(body []byte) []byte {
	out := slices.Clone(body)
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case string:
			if b, err := base64.StdEncoding.DecodeString(v); err == nil {
				out = append(append(out, '\n'), b...)
			}
		case []any:
			for _, x := range v {
				walk(x)
			}
		case map[string]any:
			for _, x := range v {
				walk(x)
			}
		}
	}
	var v any
	if json.Unmarshal(body, &v) == nil {
		walk(v)
	}
	return out
}

// normalise replaces, in an answer, the ids and codes the calls named, so
// that the answers to two calls can be compared.
func normalise(body []byte, v victimData) string {
	s := string(body)
	for _, id := range append(v.markers(), missingID, "0123456789abcdef", v.state, "XXX", "DEU") {
		s = strings.ReplaceAll(s, id, "ID")
	}
	return s
}
