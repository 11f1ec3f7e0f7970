package ui

import (
	"bytes"
	"context"
	"io"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"entraide/internal/alerting"
	"entraide/internal/casework"
	"entraide/internal/convention"
	"entraide/internal/evidence"
	"entraide/internal/funds"
	"entraide/internal/funds/records"
	"entraide/internal/identity"
	"entraide/internal/node"
	"entraide/internal/signin"
	"entraide/internal/store"
	"entraide/internal/store/storetest"
)

// How another State's officials may reach a page.
type reach int

const (
	// public pages need no session.
	public reach = iota
	// shared pages hold no State's data, or only the viewer's own.
	shared
	// listing pages list the viewer's State's data: nothing of another's.
	listing
	// byPath pages name a State's data in their path: another State's
	// officials get the same 404 as for data that does not exist.
	byPath
	// byBody forms name a State's data in their body: refused as if the
	// data did not exist.
	byBody
)

// victim is what a State holds that no other State's official may see.
type victim struct {
	state, sent, draft, incoming, alert, passkey, item string
	// gave is a request ZAF sent the State, answered with an item.
	gave string
	// official has an API token; rostered is on the roster, on line
	// roster.
	official, token, rostered, roster string
	// findings are those of the State's screening of incoming; flagged is
	// a State it flagged for screening, for flagWhy.
	findings, flagged, flagWhy string
	// consent is a consent request ZAF asked of the State.
	consent string
	// fundsCase is a fund-tracing case of the State's, with a trace of
	// its victim's payment and an asset it found.
	fundsCase, fundsTrace, asset, assetWhat string
}

func (v victim) markers() []string {
	return []string{v.sent, v.draft, v.incoming, v.alert, v.passkey, v.item, v.official, v.token, v.rostered, v.roster, v.findings, v.flagWhy, v.gave, v.consent,
		v.fundsCase, v.fundsTrace, v.asset, v.assetWhat}
}

const missingID = "0190a1b2-0000-7000-8000-00000000dead"

// uiCall is one call of a page: its path and, for a form, its fields.
type uiCall struct {
	path string
	form url.Values
}

type uiCase struct {
	reach           reach
	status          int // the status of an allowed call, for public and shared pages
	victims, absent func(v victim) uiCall
}

func same(path string, form url.Values, r reach, status int) uiCase {
	c := func(victim) uiCall { return uiCall{path: path, form: form} }
	return uiCase{reach: r, status: status, victims: c, absent: c}
}

func byID(path func(id string) string, form url.Values, id func(v victim) string) uiCase {
	return uiCase{reach: byPath,
		victims: func(v victim) uiCall { return uiCall{path: path(id(v)), form: form} },
		absent:  func(victim) uiCall { return uiCall{path: path(missingID), form: form} }}
}

// uiCases says, for every route of the UI, how another State's officials
// may try to reach a State's data through it. A route without a case
// fails TestOtherStatesReachNothingInTheUI: whoever adds a page says how
// it is scoped.
var uiCases = map[string]uiCase{
	"GET /ui/static/":         same("/ui/static/app.css", nil, public, 200),
	"GET /ui/signin":          same("/ui/signin", nil, public, 200),
	"POST /ui/signin":         same("/ui/signin", url.Values{"login": {"nobody"}, "password": {"x"}, "code": {"000000"}}, public, 401),
	"GET /ui/enrol":           same("/ui/enrol", nil, public, 200),
	"POST /ui/enrol":          same("/ui/enrol", url.Values{"code": {"enr_nothing"}}, public, 401),
	"POST /ui/lang":           same("/ui/lang", url.Values{"lang": {"fr"}, "next": {"/ui/inbox"}}, public, 303),
	"POST /ui/enrol/finish":   same("/ui/enrol/finish", url.Values{"code": {"enr_nothing"}}, public, 401),
	"POST /ui/signin/passkey": same("/ui/signin/passkey", url.Values{}, public, 200),
	"POST /ui/enrol/passkey":  same("/ui/enrol/passkey", url.Values{"code": {"enr_nothing"}}, public, 401),
	// The test node has no identity provider: the routes say so.
	"GET /ui/oidc/start":    same("/ui/oidc/start", nil, public, 404),
	"GET /ui/oidc/callback": same("/ui/oidc/callback?state=x&code=y", nil, public, 404),
	// The transparency report is public and holds aggregates only:
	// counts, medians and codes of the home State's requests, small counts
	// suppressed. The test node does not publish it: the page says so.
	// TestTransparencyPage reads it published.
	"GET /transparency": same("/transparency", nil, public, 404),

	"POST /ui/signout":     same("/ui/signout", url.Values{}, shared, 303),
	"GET /ui/{$}":          same("/ui/", nil, shared, 303),
	"GET /ui/inbox":        same("/ui/inbox", nil, listing, 200),
	"GET /ui/outbox":       same("/ui/outbox", nil, listing, 200),
	"GET /ui/requests/new": same("/ui/requests/new?kind=stored_data_access", nil, shared, 200),
	"POST /ui/requests": {reach: byBody,
		victims: func(v victim) uiCall { return uiCall{path: "/ui/requests", form: followUpForm(v.sent)} },
		absent:  func(victim) uiCall { return uiCall{path: "/ui/requests", form: followUpForm(missingID)} }},
	"GET /ui/requests/{id}":            byID(func(id string) string { return "/ui/requests/" + id }, nil, func(v victim) string { return v.sent }),
	"GET /ui/requests/{id}/letter.pdf": byID(func(id string) string { return "/ui/requests/" + id + "/letter.pdf?lang=en" }, nil, func(v victim) string { return v.sent }),
	"POST /ui/requests/{id}/actions": byID(func(id string) string { return "/ui/requests/" + id + "/actions" },
		url.Values{"action": {string(casework.Withdraw)}}, func(v victim) string { return v.sent }),
	"POST /ui/requests/{id}/evidence/{item}/send": {reach: byPath,
		victims: func(v victim) uiCall {
			return uiCall{path: "/ui/requests/" + v.sent + "/evidence/" + v.item + "/send", form: url.Values{}}
		},
		absent: func(victim) uiCall {
			return uiCall{path: "/ui/requests/" + missingID + "/evidence/" + missingID + "/send", form: url.Values{}}
		}},
	"POST /ui/requests/{id}/use-reports": byID(func(id string) string { return "/ui/requests/" + id + "/use-reports" }, url.Values{},
		func(v victim) string { return v.gave }),
	"POST /ui/requests/{id}/evidence/{item}/retention": {reach: byPath,
		victims: func(v victim) uiCall {
			return uiCall{path: "/ui/requests/" + v.sent + "/evidence/" + v.item + "/retention", form: url.Values{"retain_until": {"2040-01-01"}}}
		},
		absent: func(victim) uiCall {
			return uiCall{path: "/ui/requests/" + missingID + "/evidence/" + missingID + "/retention", form: url.Values{"retain_until": {"2040-01-01"}}}
		}},
	"POST /ui/requests/{id}/consents": byID(func(id string) string { return "/ui/requests/" + id + "/consents" },
		url.Values{"items": {missingID}, "for_state": {"ZAF"}, "reasons": {"intrusion"}}, func(v victim) string { return v.sent }),
	"GET /ui/consents": same("/ui/consents", nil, listing, 200),
	"POST /ui/consents/{consent}/answer": byID(func(id string) string { return "/ui/consents/" + id + "/answer" },
		url.Values{"grant": {"true"}}, func(v victim) string { return v.consent }),
	"GET /ui/console":        same("/ui/console", nil, listing, 200),
	"GET /ui/console/stream": same("/ui/console/stream?after=0", nil, listing, 200),
	"POST /ui/alerts/{id}/ack": byID(func(id string) string { return "/ui/alerts/" + id + "/ack" }, url.Values{},
		func(v victim) string { return v.alert }),
	"GET /ui/directory": same("/ui/directory", nil, shared, 200),
	"GET /ui/directory/{code}": {reach: shared, status: 200,
		victims: func(v victim) uiCall { return uiCall{path: "/ui/directory/" + v.state} },
		absent:  func(v victim) uiCall { return uiCall{path: "/ui/directory/" + v.state} }},
	"GET /ui/treaty": same("/ui/treaty", nil, shared, 200),
	// An official's passkeys are their own: the page and the forms name
	// no other official, and removing another's is removing none.
	"GET /ui/passkeys":        same("/ui/passkeys", nil, shared, 200),
	"POST /ui/passkeys/begin": same("/ui/passkeys/begin", url.Values{}, shared, 200),
	"POST /ui/passkeys":       same("/ui/passkeys", url.Values{"ceremony": {"none"}, "passkey": {"{}"}}, shared, 422),
	"POST /ui/passkeys/{id}/remove": byID(func(id string) string { return "/ui/passkeys/" + id + "/remove" }, url.Values{},
		func(v victim) string { return v.passkey }),
	"GET /ui/statistics": same("/ui/statistics", nil, listing, 200),
	// Personal data: a reveal names the request, which must be the
	// viewer's; the retention page and its form are the viewer's own
	// State's, whatever they ask.
	"POST /ui/requests/{id}/reveal": byID(func(id string) string { return "/ui/requests/" + id + "/reveal" }, url.Values{"reason": {"audit"}},
		func(v victim) string { return v.sent }),
	"GET /ui/retention":  same("/ui/retention?within=3660", nil, listing, 200),
	"POST /ui/retention": same("/ui/retention", url.Values{"personal_data_days": {"400"}}, listing, 303),

	"GET /ui/admin/officials": same("/ui/admin/officials", nil, listing, 200),
	// An official is added to the viewer's own State only; the form has
	// no State to name. A form without a name is refused for itself.
	"POST /ui/admin/officials":     same("/ui/admin/officials", url.Values{"id": {"new-official"}, "name": {""}, "role": {"investigator"}}, shared, 422),
	"GET /ui/admin/officials/{id}": byID(func(id string) string { return "/ui/admin/officials/" + id }, nil, func(v victim) string { return v.official }),
	"POST /ui/admin/officials/{id}/enrolment": byID(func(id string) string { return "/ui/admin/officials/" + id + "/enrolment" }, url.Values{},
		func(v victim) string { return v.official }),
	"POST /ui/admin/officials/{id}/disable": byID(func(id string) string { return "/ui/admin/officials/" + id + "/disable" }, url.Values{"confirm": {"yes"}},
		func(v victim) string { return v.official }),
	"POST /ui/admin/officials/{id}/enable": byID(func(id string) string { return "/ui/admin/officials/" + id + "/enable" }, url.Values{},
		func(v victim) string { return v.official }),
	"POST /ui/admin/officials/{id}/unlock": byID(func(id string) string { return "/ui/admin/officials/" + id + "/unlock" }, url.Values{},
		func(v victim) string { return v.official }),
	"POST /ui/admin/officials/{id}/tokens/{token}/revoke": {reach: byPath,
		victims: func(v victim) uiCall {
			return uiCall{path: "/ui/admin/officials/" + v.official + "/tokens/" + v.token + "/revoke", form: url.Values{"confirm": {"yes"}}}
		},
		absent: func(victim) uiCall {
			return uiCall{path: "/ui/admin/officials/" + missingID + "/tokens/" + missingID + "/revoke", form: url.Values{"confirm": {"yes"}}}
		}},
	"POST /ui/requests/{id}/screening": byID(func(id string) string { return "/ui/requests/" + id + "/screening" }, screeningForm(),
		func(v victim) string { return v.incoming }),
	"GET /ui/admin/screening":  same("/ui/admin/screening", nil, listing, 200),
	"POST /ui/admin/screening": same("/ui/admin/screening", url.Values{"state": {"ZAF"}, "reason": {"the caller's own reason"}}, listing, 303),
	"POST /ui/admin/screening/{state}/remove": byID(func(code string) string { return "/ui/admin/screening/" + code + "/remove" }, url.Values{"confirm": {"yes"}},
		func(v victim) string { return v.flagged }),
	// Fund tracing: a case, its trace and its assets are the State's;
	// another State's officials get the 404 of a case that does not
	// exist, whatever the form asks.
	"GET /ui/funds":        same("/ui/funds", nil, listing, 200),
	"POST /ui/funds":       same("/ui/funds", url.Values{"title": {"the caller's own case"}}, listing, 303),
	"GET /ui/funds/{case}": byID(func(id string) string { return "/ui/funds/" + id }, nil, func(v victim) string { return v.fundsCase }),
	"POST /ui/funds/{case}/imports": byID(func(id string) string { return "/ui/funds/" + id + "/imports" },
		url.Values{"item": {missingID + "/" + missingID}, "format": {"camt.053"}}, func(v victim) string { return v.fundsCase }),
	"POST /ui/funds/{case}/rates": byID(func(id string) string { return "/ui/funds/" + id + "/rates" },
		url.Values{"currency": {"EUR"}}, func(v victim) string { return v.fundsCase }),
	"POST /ui/funds/{case}/jurisdiction": byID(func(id string) string { return "/ui/funds/" + id + "/jurisdiction" },
		url.Values{"account": {"1"}, "state": {"DEU"}}, func(v victim) string { return v.fundsCase }),
	"POST /ui/funds/{case}/traces": byID(func(id string) string { return "/ui/funds/" + id + "/traces" },
		url.Values{"sources": {"1"}, "rule": {"fifo"}, "currency": {"EUR"}}, func(v victim) string { return v.fundsCase }),
	"GET /ui/funds/{case}/traces/{trace}": {reach: byPath,
		victims: func(v victim) uiCall { return uiCall{path: "/ui/funds/" + v.fundsCase + "/traces/" + v.fundsTrace} },
		absent:  func(victim) uiCall { return uiCall{path: "/ui/funds/" + missingID + "/traces/" + missingID} }},
	"GET /ui/funds/{case}/traces/{trace}/report.pdf": {reach: byPath,
		victims: func(v victim) uiCall {
			return uiCall{path: "/ui/funds/" + v.fundsCase + "/traces/" + v.fundsTrace + "/report.pdf"}
		},
		absent: func(victim) uiCall {
			return uiCall{path: "/ui/funds/" + missingID + "/traces/" + missingID + "/report.pdf"}
		}},
	"POST /ui/funds/{case}/traces/{trace}/freezing": {reach: byPath,
		victims: func(v victim) uiCall {
			return uiCall{path: "/ui/funds/" + v.fundsCase + "/traces/" + v.fundsTrace + "/freezing", form: freezingForm()}
		},
		absent: func(victim) uiCall {
			return uiCall{path: "/ui/funds/" + missingID + "/traces/" + missingID + "/freezing", form: freezingForm()}
		}},
	"GET /ui/funds/recovery": same("/ui/funds/recovery", nil, listing, 200),
	"POST /ui/funds/{case}/assets/{asset}/steps": {reach: byPath,
		victims: func(v victim) uiCall {
			return uiCall{path: "/ui/funds/" + v.fundsCase + "/assets/" + v.asset + "/steps", form: url.Values{"status": {"frozen"}, "amount": {"1"}}}
		},
		absent: func(victim) uiCall {
			return uiCall{path: "/ui/funds/" + missingID + "/assets/" + missingID + "/steps", form: url.Values{"status": {"frozen"}, "amount": {"1"}}}
		}},
	"GET /ui/admin/roster": same("/ui/admin/roster", nil, listing, 200),
	"POST /ui/admin/roster": {reach: byBody,
		victims: func(v victim) uiCall { return uiCall{path: "/ui/admin/roster", form: rosterForm(v.rostered)} },
		absent:  func(victim) uiCall { return uiCall{path: "/ui/admin/roster", form: rosterForm(missingID)} }},
	"POST /ui/admin/roster/{id}/remove": byID(func(id string) string { return "/ui/admin/roster/" + id + "/remove" }, url.Values{"confirm": {"yes"}},
		func(v victim) string { return v.roster }),
}

// freezingForm drafts the freezing requests of a trace.
func freezingForm() url.Values {
	return url.Values{"facts": {"A romance scam."}, "requesting_authority": {"Parquet de Paris"}, "offences": {"10"}}
}

// screeningForm clears a request, every ground examined.
func screeningForm() url.Values {
	f := url.Values{"findings": {"No indication on any ground."}, "outcome": {"cleared"}}
	for _, g := range convention.ScreeningGrounds("") {
		f.Add("considered", string(g.Ground))
	}
	return f
}

// rosterForm puts user on the roster, alerted by e-mail.
func rosterForm(user string) url.Values {
	return url.Values{"user": {user}, "channel": {"email"}, "address": {"duty@example.org"}}
}

// followUpForm drafts an art. 42 follow-up of preservation id, to ZAF.
func followUpForm(id string) url.Values {
	return url.Values{"kind": {"stored_data_access"}, "requested_state": {"ZAF"}, "basis": {"reciprocity"}, "offence": {"10"}, "follow_up_of": {id},
		"field.requesting_authority": {"x"}, "field.subject_matter": {"x"}, "field.conducting_authority": {"x"}, "field.facts_summary": {"x"},
		"field.assistance_sought": {"x"}, "field.purpose": {"x"}, "field.stored_data": {"x"}, "field.safeguards": {"x"}}
}

func setUpVictim(t *testing.T, tn *testNode, state string) victim {
	t.Helper()
	ctx, n := t.Context(), tn.Node
	ca := actor(state, identity.CentralAuthority)
	v := victim{state: state}
	sent, err := n.CreateRequest(ctx, ca, preservationContents("ZAF"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := n.Transition(ctx, ca, sent.ID, casework.Transition{Action: casework.Send}); err != nil {
		t.Fatal(err)
	}
	v.sent = sent.ID
	v.item = addItem(t, tn, ca, sent.ID, []byte("log of "+state))
	d, err := n.CreateRequest(ctx, ca, preservationContents("ZAF"))
	if err != nil {
		t.Fatal(err)
	}
	v.draft = d.ID
	zaf := actor("ZAF", identity.CentralAuthority)
	in, err := n.CreateRequest(ctx, zaf, preservationContents(state))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := n.Transition(ctx, zaf, in.ID, casework.Transition{Action: casework.Send}); err != nil {
		t.Fatal(err)
	}
	v.incoming = in.ID
	v.findings = "findings that only " + state + " knows"
	if _, err := n.Screen(ctx, ca, in.ID, convention.Screening{Considered: screeningGrounds(), Findings: v.findings, Outcome: convention.Cleared}); err != nil {
		t.Fatal(err)
	}
	// Each State flags its own: the other has not flagged it.
	v.flagged, v.flagWhy = map[string]string{"FRA": "DEU", "VNM": "ITA"}[state], "a reason to flag that only "+state+" knows"
	if _, err := n.Flag(ctx, n.AdminOf(state), v.flagged, v.flagWhy); err != nil {
		t.Fatal(err)
	}
	alerts, err := n.Alerts(ctx, actor(state, identity.Auditor), store.AlertFilter{Limit: 100})
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
	// A passkey of an official of state's, who is no role's the test
	// signs in as: enrolling them would remove it.
	holder := strings.ToLower(state) + "-keyholder"
	if _, err := n.AddUser(ctx, n.AdminOf(state), identity.User{ID: holder, Name: "Keyholder", State: state, Role: identity.Auditor}); err != nil {
		t.Fatal(err)
	}
	v.passkey = "pk-" + strings.ToLower(state) + "-0190a1b2"
	err = n.DB().Tx(ctx, func(tx *store.Tx) error {
		return tx.AddPasskey(ctx, state, signin.Passkey{ID: v.passkey, User: holder, Handle: []byte("h"), CreatedAt: tn.Clock.Now()})
	})
	if err != nil {
		t.Fatal(err)
	}
	admin := n.AdminOf(state)
	v.official = officialID(state, identity.Investigator)
	e, err := n.IssueEnrolment(ctx, admin, v.official)
	if err != nil {
		t.Fatal(err)
	}
	enrolled, err := n.Enrol(ctx, e.Code, "laptop")
	if err != nil {
		t.Fatal(err)
	}
	v.token = enrolled.Info.ID
	v.rostered = officialID(state, identity.TwentyFourSeven)
	line, err := n.AddRosterEntry(ctx, admin, node.RosterInput{User: v.rostered, Channel: alerting.Email, Address: strings.ToLower(state) + "-duty@example.org"})
	if err != nil {
		t.Fatal(err)
	}
	v.roster = line.ID
	v.gave, _ = givenRequest(t, tn, state, "ZAF")
	request, _, zafItem := givenUnderConditions(t, tn, state, "ZAF")
	c, err := n.AskConsent(ctx, actor("ZAF", identity.CentralAuthority), request, node.ConsentAsk{Items: []string{zafItem}, Use: convention.Use{ToState: "DEU"}, Reasons: "reasons of ZAF"})
	if err != nil {
		t.Fatal(err)
	}
	v.consent = c.ID
	v.fundsCase, v.fundsTrace, v.asset, v.assetWhat = fundsOf(t, tn, state)
	return v
}

// fundsOf opens a case of state's, imports a statement into it, traces
// its victim's payment and records an asset it found.
func fundsOf(t *testing.T, tn *testNode, state string) (caseID, trace, asset, what string) {
	t.Helper()
	ctx, n := t.Context(), tn.Node
	inv := actor(state, identity.Investigator)
	r, err := n.CreateRequest(ctx, inv, preservationContents("ZAF"))
	if err != nil {
		t.Fatal(err)
	}
	item := addItem(t, tn, inv, r.ID, fundsStatement(t))
	c, err := n.CreateFundsCase(ctx, inv, "a case that only "+state+" knows", "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := n.ImportFundsRecords(ctx, inv, c.ID, node.FundsImport{RequestID: r.ID, ItemID: item, Format: records.Camt053}); err != nil {
		t.Fatal(err)
	}
	tv, err := n.TraceFunds(ctx, inv, c.ID, node.TraceInput{References: []string{"INV-2024-0042"}, Options: funds.Options{Rule: funds.FIFO, Currency: "EUR"}})
	if err != nil {
		t.Fatal(err)
	}
	what = "a villa that only " + state + " found"
	a, err := n.AddAsset(ctx, actor(state, identity.CentralAuthority), c.ID, node.AssetInput{Jurisdiction: "ESP", Description: what, Currency: "EUR", Traced: 1_000_000})
	if err != nil {
		t.Fatal(err)
	}
	return c.ID, tv.ID, a.ID, what
}

// TestOtherStatesReachNothingInTheUI tries every route of the UI without
// a session, and as every role of another State hosted on the same node
// against a State's data: VNM's officials against FRA's, and FRA's
// against VNM's. Without a session every page but the public ones sends
// to the sign-in; a role without the page's permission gets 403; a page
// naming another State's data gets the 404 of data that does not exist;
// a listing shows nothing of the other State's.
func TestOtherStatesReachNothingInTheUI(t *testing.T) {
	for _, backend := range storetest.Backends {
		t.Run(backend, func(t *testing.T) {
			tn := newTestNode(t, backend)
			victims := map[string]victim{"FRA": setUpVictim(t, tn, "FRA"), "VNM": setUpVictim(t, tn, "VNM")}
			anon := tn.browser()
			for _, rt := range tn.UI.routes() {
				pattern := rt.Method + " " + rt.Path
				c, ok := uiCases[pattern]
				if !ok {
					t.Errorf("route %s has no entry in uiCases: say how another State's officials may reach it", pattern)
					continue
				}
				if (c.reach == public) != rt.Public {
					t.Errorf("route %s: uiCases says public %v, the route table %v", pattern, c.reach == public, rt.Public)
				}
				if rt.Public {
					if got := call(t, anon, rt.Method, c.victims(victims["FRA"])); got.Status != c.status {
						t.Errorf("%s without a session: %d, want %d", pattern, got.Status, c.status)
					}
					continue
				}
				if got := call(t, anon, rt.Method, c.victims(victims["FRA"])); got.Status != http.StatusSeeOther || !strings.HasPrefix(got.Location, "/ui/signin") {
					t.Errorf("%s without a session: %d to %q, want 303 to the sign-in", pattern, got.Status, got.Location)
				}
			}
			for _, d := range []struct{ attacker, victim string }{{"VNM", "FRA"}, {"FRA", "VNM"}} {
				for _, role := range identity.Roles {
					b := tn.signedIn(t, d.attacker, role)
					v := victims[d.victim]
					// Signing out ends the session the other pages are
					// tried with: it goes last.
					routes := tn.UI.routes()
					slices.SortStableFunc(routes, func(a, b route) int {
						return cmpBool(a.Path == Prefix+"signout", b.Path == Prefix+"signout")
					})
					for _, rt := range routes {
						c, ok := uiCases[rt.Method+" "+rt.Path]
						if !ok || rt.Public {
							continue
						}
						t.Run(d.attacker+"→"+d.victim+"/"+rt.Method+" "+rt.Path+"/"+string(role), func(t *testing.T) {
							tryReach(t, b, rt, c, v, role)
						})
					}
				}
			}
			// The data tried was there, and still is.
			for _, v := range victims {
				r, _, err := tn.Node.Request(t.Context(), actor(v.state, identity.Auditor), v.sent)
				if err != nil || r.State == casework.Withdrawn {
					t.Errorf("%s's request %s after the others tried: %v, %v", v.state, v.sent, r, err)
				}
				it, err := tn.Node.EvidenceItem(t.Context(), actor(v.state, identity.Auditor), v.sent, v.item)
				if err != nil || it.RetainUntil != nil {
					t.Errorf("%s's item %s after the others tried: retained until %v, %v", v.state, v.item, it.RetainUntil, err)
				}
				a, err := tn.Node.Alert(t.Context(), actor(v.state, identity.Auditor), v.alert)
				if err != nil || !a.AckedAt.IsZero() {
					t.Errorf("%s's alert %s after the others tried: acked %v, %v", v.state, v.alert, a, err)
				}
				admin := tn.Node.AdminOf(v.state)
				users, err := tn.Node.Users(t.Context(), admin)
				if i := slices.IndexFunc(users, func(u identity.User) bool { return u.ID == v.official }); err != nil || i < 0 || users[i].DisabledAt != nil {
					t.Errorf("%s's official %s after the others tried: %v, %v", v.state, v.official, users, err)
				}
				tokens, err := tn.Node.Tokens(t.Context(), admin, v.official)
				if i := slices.IndexFunc(tokens, func(tk identity.Token) bool { return tk.ID == v.token }); err != nil || i < 0 || tokens[i].RevokedAt != nil {
					t.Errorf("%s's token %s after the others tried: %v, %v", v.state, v.token, tokens, err)
				}
				roster, err := tn.Node.Roster(t.Context(), admin)
				if err != nil || len(roster) != 1 || roster[0].ID != v.roster {
					t.Errorf("%s's roster after the others tried: %v, %v; want line %s alone", v.state, roster, err, v.roster)
				}
			}
		})
	}
}

func tryReach(t *testing.T, b *browser, rt route, c uiCase, v victim, role identity.Role) {
	t.Helper()
	got := call(t, b, rt.Method, c.victims(v))
	for _, m := range v.markers() {
		// What the caller typed may be shown back to them.
		typed := slices.ContainsFunc(slices.Collect(maps.Values(c.victims(v).form)), func(vs []string) bool { return slices.Contains(vs, m) })
		if strings.Contains(got.Body, m) && !strings.Contains(c.victims(v).path, m) && !typed {
			t.Errorf("the page holds %s's %q: %d\n%s", v.state, m, got.Status, got.Body)
		}
	}
	if rt.Permission != "" && !role.Can(rt.Permission) {
		if got.Status != http.StatusForbidden {
			t.Errorf("role %s without %s: %d, want 403", role, rt.Permission, got.Status)
		}
		return
	}
	switch c.reach {
	case shared, listing:
		want := c.status
		if want == 0 {
			want = 200
		}
		if got.Status != want {
			t.Errorf("status %d, want %d\n%s", got.Status, want, got.Body)
		}
		return
	}
	absent := call(t, b, rt.Method, c.absent(v))
	wants := []int{http.StatusNotFound}
	if c.reach == byBody {
		wants = []int{http.StatusForbidden, http.StatusUnprocessableEntity}
	}
	if !slices.Contains(wants, got.Status) {
		t.Errorf("on %s's data: %d, want one of %v\n%s", v.state, got.Status, wants, got.Body)
	}
	norm := func(s string) string {
		// The State flagged is named in the path tried, and the page
		// repeats its path: it is the caller's own words.
		for _, m := range append(v.markers(), missingID, v.flagged) {
			s = strings.ReplaceAll(s, m, "ID")
		}
		return s
	}
	if got.Status != absent.Status || norm(got.Body) != norm(absent.Body) {
		t.Errorf("the page tells %s's data from none:\n%d %s\n%d %s", v.state, got.Status, got.Body, absent.Status, absent.Body)
	}
}

// call makes c with method; a live feed is read for a moment, then cut.
func call(t *testing.T, b *browser, method string, c uiCall) page {
	t.Helper()
	if !strings.Contains(c.path, "/stream") {
		return b.do(t, method, c.path, c.form)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, method, b.tn.URL+c.path, nil)
	res, err := b.c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	data, _ := io.ReadAll(res.Body)
	return page{Status: res.StatusCode, Location: res.Header.Get("Location"), Body: string(data)}
}

func cmpBool(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	}
	return -1
}

// addItem stores data as an item of request id, uploaded by by.
func addItem(t *testing.T, tn *testNode, by casework.Actor, id string, data []byte) string {
	t.Helper()
	ctx := t.Context()
	it, err := tn.Node.StartEvidence(ctx, by, id, evidence.Spec{Name: "log.txt", MediaType: "text/plain"}, int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tn.Node.AppendEvidence(ctx, by, it.ID, 0, bytes.NewReader(data)); err != nil {
		t.Fatal(err)
	}
	if _, err := tn.Node.CompleteEvidence(ctx, by, it.ID); err != nil {
		t.Fatal(err)
	}
	return it.ID
}

func screeningGrounds() []convention.ScreeningGround {
	var out []convention.ScreeningGround
	for _, g := range convention.ScreeningGrounds("") {
		out = append(out, g.Ground)
	}
	return out
}
