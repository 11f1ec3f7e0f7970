package ui

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"entraide/internal/casework"
	"entraide/internal/identity"
	"entraide/internal/signin"
	"entraide/internal/store/storetest"
)

var codeRE = regexp.MustCompile(`<code id="code">(enr_[a-z0-9]+)</code>`)

// auditActions returns every record of state's audit log, as one text.
func auditActions(t *testing.T, tn *testNode, state string) string {
	t.Helper()
	entries, err := tn.Node.AuditLog(t.Context(), tn.Node.AdminOf(state), 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	var all strings.Builder
	for _, e := range entries {
		all.Write(e.Record)
		all.WriteByte('\n')
	}
	return all.String()
}

// wantAudited fails t unless state's audit log holds a record of action
// about subject.
func wantAudited(t *testing.T, tn *testNode, state, action, subject string) {
	t.Helper()
	for _, line := range strings.Split(auditActions(t, tn, state), "\n") {
		if strings.Contains(line, `"action":"`+action+`"`) && strings.Contains(line, `"subject":"`+subject+`"`) {
			return
		}
	}
	t.Errorf("no %s record about %s in %s's audit log", action, subject, state)
}

func TestAdministratorsManageOfficials(t *testing.T) {
	for _, backend := range storetest.Backends {
		t.Run(backend, func(t *testing.T) {
			tn := newTestNode(t, backend)
			admin := tn.signedIn(t, "FRA", identity.Administrator)

			p := admin.do(t, "GET", "/ui/admin/officials", nil)
			if p.Status != 200 || !strings.Contains(p.Body, `href="/ui/admin/officials/fra-central_authority"`) || strings.Contains(p.Body, "vnm-") {
				t.Fatalf("GET /ui/admin/officials: %d; want FRA's officials and no other State's\n%s", p.Status, p.Body)
			}
			if !strings.Contains(p.Body, `href="/ui/admin/roster"`) || !strings.Contains(p.Body, `href="/ui/statistics"`) {
				t.Errorf("an administrator's navigation lacks the roster or the statistics:\n%s", p.Body)
			}
			// No link leads to a page the role may not open.
			for _, dead := range []string{`href="/ui/inbox"`, `href="/ui/outbox"`, `href="/ui/requests/new"`, `href="/ui/console"`} {
				if strings.Contains(p.Body, dead) {
					t.Errorf("an administrator's navigation links to a page they may not open, %s", dead)
				}
			}
			if p := admin.do(t, "GET", "/ui/", nil); p.Status != http.StatusSeeOther || p.Location != "/ui/directory" {
				t.Errorf("an administrator's home: %d to %q, want the directory", p.Status, p.Location)
			}

			// Bad input: every field named, nothing added.
			p = admin.do(t, "POST", "/ui/admin/officials", url.Values{"id": {"Bad Login"}, "name": {""}, "role": {"minister"}})
			if p.Status != http.StatusUnprocessableEntity {
				t.Fatalf("enrol with bad input: %d, want 422\n%s", p.Status, p.Body)
			}
			// Each problem is named by its field's label, not by the API's
			// name for it.
			for _, want := range []string{`id="o-id-err"`, `id="o-name-err"`, `id="o-role-err"`, "Nothing was changed", "<strong>Login</strong>:", "<strong>Full name</strong>:"} {
				if !strings.Contains(p.Body, want) {
					t.Errorf("enrol with bad input: the page lacks %s\n%s", want, p.Body)
				}
			}
			p = admin.do(t, "POST", "/ui/admin/officials", url.Values{"id": {"vnm-investigator"}, "name": {"Someone"}, "role": {"investigator"}})
			if p.Status != http.StatusUnprocessableEntity || !strings.Contains(p.Body, "is taken on this node: choose another") {
				t.Errorf("enrol with a login taken by another State's official: %d, want 422 saying to choose another\n%s", p.Status, p.Body)
			}

			// A new official: the code is shown once, and works.
			p = admin.do(t, "POST", "/ui/admin/officials", url.Values{"id": {"fra-ca-martin"}, "name": {"Jean Martin"}, "email": {"jm@example.org"}, "role": {"central_authority"}})
			m := codeRE.FindStringSubmatch(p.Body)
			if p.Status != 200 || m == nil {
				t.Fatalf("enrol fra-ca-martin: %d, no code on the page\n%s", p.Status, p.Body)
			}
			wantAudited(t, tn, "FRA", "user.add", "user/fra-ca-martin")
			wantAudited(t, tn, "FRA", "enrolment.issue", "user/fra-ca-martin")
			if p := admin.do(t, "GET", "/ui/admin/officials/fra-ca-martin", nil); strings.Contains(p.Body, m[1]) {
				t.Errorf("the enrolment code is shown again on the official's page")
			}
			martin := tn.browser()
			if p := martin.do(t, "POST", "/ui/enrol", url.Values{"code": {m[1]}}); p.Status != 200 {
				t.Errorf("the code shown does not enrol: %d\n%s", p.Status, p.Body)
			}

			// Disable asks first, then takes effect; enable undoes it.
			victim := tn.signedIn(t, "FRA", identity.Investigator)
			p = admin.do(t, "POST", "/ui/admin/officials/fra-investigator/disable", url.Values{})
			if p.Status != 200 || !strings.Contains(p.Body, `name="confirm" value="yes"`) || !strings.Contains(p.Body, `action="/ui/admin/officials/fra-investigator/disable"`) {
				t.Fatalf("disable without confirmation: %d, want the page that asks\n%s", p.Status, p.Body)
			}
			if p := victim.do(t, "GET", "/ui/inbox", nil); p.Status != 200 {
				t.Fatalf("the official was disabled before confirming: %d", p.Status)
			}
			p = admin.do(t, "POST", "/ui/admin/officials/fra-investigator/disable", url.Values{"confirm": {"yes"}})
			if p.Status != http.StatusSeeOther || p.Location != "/ui/admin/officials/fra-investigator?m=disabled" {
				t.Fatalf("disable confirmed: %d to %q", p.Status, p.Location)
			}
			if p := victim.do(t, "GET", "/ui/inbox", nil); p.Status != http.StatusSeeOther {
				t.Errorf("a disabled official's session still works: %d", p.Status)
			}
			wantAudited(t, tn, "FRA", "user.disable", "user/fra-investigator")
			if p := admin.do(t, "GET", "/ui/admin/officials/fra-investigator?m=disabled", nil); !strings.Contains(p.Body, "Disabled") || !strings.Contains(p.Body, "/enable") {
				t.Errorf("the disabled official's page does not say so, or offers no way back\n%s", p.Body)
			}
			if p := admin.do(t, "POST", "/ui/admin/officials/fra-investigator/enable", url.Values{}); p.Status != http.StatusSeeOther {
				t.Errorf("enable: %d", p.Status)
			}
			wantAudited(t, tn, "FRA", "user.enable", "user/fra-investigator")

			// An administrator cannot disable themselves: the page says who can.
			p = admin.do(t, "POST", "/ui/admin/officials/fra-administrator/disable", url.Values{"confirm": {"yes"}})
			if p.Status != http.StatusUnprocessableEntity || !strings.Contains(p.Body, "another administrator of your State can") {
				t.Errorf("self-disable: %d, want 422 naming who can\n%s", p.Status, p.Body)
			}
			if p := admin.do(t, "GET", "/ui/admin/officials/fra-administrator", nil); strings.Contains(p.Body, "/disable") {
				t.Errorf("an administrator is offered to disable themselves")
			}
		})
	}
}

func TestAdministratorsRevokeTokensAndClearLockouts(t *testing.T) {
	tn := newTestNode(t, "sqlite")
	ctx := t.Context()
	admin := tn.signedIn(t, "FRA", identity.Administrator)

	e, err := tn.Node.IssueEnrolment(ctx, tn.Node.AdminOf("FRA"), "fra-24_7")
	if err != nil {
		t.Fatal(err)
	}
	enrolled, err := tn.Node.Enrol(ctx, e.Code, "duty laptop")
	if err != nil {
		t.Fatal(err)
	}
	tokenID := enrolled.Info.ID
	p := admin.do(t, "GET", "/ui/admin/officials/fra-24_7", nil)
	revoke := "/ui/admin/officials/fra-24_7/tokens/" + tokenID + "/revoke"
	if p.Status != 200 || !strings.Contains(p.Body, `action="`+revoke+`"`) || !strings.Contains(p.Body, "duty laptop") {
		t.Fatalf("the official's page lacks their token and its revoke button: %d\n%s", p.Status, p.Body)
	}
	if strings.Contains(p.Body, enrolled.Token) {
		t.Fatalf("the official's page shows the token's secret")
	}
	p = admin.do(t, "POST", revoke, url.Values{})
	if p.Status != 200 || !strings.Contains(p.Body, "this cannot be undone") {
		t.Fatalf("revoke without confirmation: %d, want the page that asks\n%s", p.Status, p.Body)
	}
	if _, err := tn.Node.Authenticate(ctx, enrolled.Token); err != nil {
		t.Fatalf("the token stopped working before the revocation was confirmed: %v", err)
	}
	p = admin.do(t, "POST", revoke, url.Values{"confirm": {"yes"}})
	if p.Status != http.StatusSeeOther {
		t.Fatalf("revoke confirmed: %d\n%s", p.Status, p.Body)
	}
	if _, err := tn.Node.Authenticate(ctx, enrolled.Token); err == nil {
		t.Errorf("a revoked token still authenticates")
	}
	wantAudited(t, tn, "FRA", "token.revoke", "user/fra-24_7")
	if p := admin.do(t, "POST", "/ui/admin/officials/fra-24_7/tokens/0000000000000000/revoke", url.Values{"confirm": {"yes"}}); p.Status != http.StatusNotFound {
		t.Errorf("revoke an unknown token: %d, want 404", p.Status)
	}

	// An official locks themselves out; the administrator clears it.
	official := tn.browser()
	secret := official.enrol(t, "FRA", "fra-auditor")
	for range signin.MaxFailures {
		official.do(t, "POST", "/ui/signin", url.Values{"login": {"fra-auditor"}, "password": {"wrong password!"}, "code": {"000000"}})
	}
	p = admin.do(t, "GET", "/ui/admin/officials", nil)
	if !strings.Contains(p.Body, "Locked out until") {
		t.Errorf("the list does not show the lockout\n%s", p.Body)
	}
	if p := admin.do(t, "GET", "/ui/admin/officials/fra-auditor", nil); !strings.Contains(p.Body, `action="/ui/admin/officials/fra-auditor/unlock"`) {
		t.Errorf("the locked official's page offers no way to clear it\n%s", p.Body)
	}
	p = admin.do(t, "POST", "/ui/admin/officials/fra-auditor/unlock", url.Values{})
	if p.Status != http.StatusSeeOther || p.Location != "/ui/admin/officials/fra-auditor?m=unlocked" {
		t.Fatalf("unlock: %d to %q", p.Status, p.Location)
	}
	wantAudited(t, tn, "FRA", "signin.unlock", "user/fra-auditor")
	official.signIn(t, "fra-auditor", secret)
	p = admin.do(t, "POST", "/ui/admin/officials/fra-auditor/unlock", url.Values{})
	if p.Location != "/ui/admin/officials/fra-auditor?m=nothing" {
		t.Errorf("unlock with nothing to clear: to %q, want ?m=nothing", p.Location)
	}
	if p := admin.do(t, "GET", "/ui/admin/officials", nil); !strings.Contains(p.Body, mustCatalogue().locales[0].tf("time.utc", tn.Clock.Now().UTC().Format("2006-01-02 15:04"))) {
		t.Errorf("the list does not show the last sign-in at %s\n%s", tn.Clock.Now(), p.Body)
	}
}

func TestAdministratorsEditTheRoster(t *testing.T) {
	tn := newTestNode(t, "sqlite")
	admin := tn.signedIn(t, "FRA", identity.Administrator)
	p := admin.do(t, "POST", "/ui/admin/roster", url.Values{"user": {"fra-24_7"}, "channel": {"email"}, "address": {"duty@example.org"},
		"from": {"tomorrow"}, "position": {"first"}})
	if p.Status != http.StatusUnprocessableEntity || !strings.Contains(p.Body, `id="r-from-err"`) || !strings.Contains(p.Body, `id="r-position-err"`) ||
		!strings.Contains(p.Body, "2026-03-02T18:00") {
		t.Errorf("a bad shift and position: %d, want 422 naming both fields and the form a time takes\n%s", p.Status, p.Body)
	}
	p = admin.do(t, "POST", "/ui/admin/roster", url.Values{"user": {"fra-auditor"}, "channel": {"email"}, "address": {"not an address"}, "secret": {"s3cret-value"}})
	if p.Status != http.StatusUnprocessableEntity || !strings.Contains(p.Body, `id="r-user-err"`) || strings.Contains(p.Body, "s3cret-value") {
		t.Errorf("an auditor on the roster: %d, want 422 naming the official, and the secret not sent back\n%s", p.Status, p.Body)
	}
	p = admin.do(t, "POST", "/ui/admin/roster", url.Values{"user": {"fra-24_7"}, "channel": {"email"}, "address": {"duty@example.org"},
		"from": {"2026-03-02T08:00"}, "until": {"2026-03-02T20:00"}})
	if p.Status != http.StatusSeeOther {
		t.Fatalf("add to the roster: %d\n%s", p.Status, p.Body)
	}
	roster, err := tn.Node.Roster(t.Context(), tn.Node.AdminOf("FRA"))
	if err != nil || len(roster) != 1 || !roster[0].From.Equal(time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)) {
		t.Fatalf("roster after adding: %v, %v; want one line from 08:00 UTC", roster, err)
	}
	wantAudited(t, tn, "FRA", "roster.add", "roster/"+roster[0].ID)
	p = admin.do(t, "GET", "/ui/admin/roster", nil)
	if !strings.Contains(p.Body, "duty@example.org") || !strings.Contains(p.Body, "On duty") {
		t.Errorf("the roster page lacks the line, on duty at 09:00\n%s", p.Body)
	}
	remove := "/ui/admin/roster/" + roster[0].ID + "/remove"
	if p := admin.do(t, "POST", remove, url.Values{}); p.Status != 200 || !strings.Contains(p.Body, "Take fra-24_7 off the roster") {
		t.Fatalf("remove without confirmation: %d, want the page that asks\n%s", p.Status, p.Body)
	}
	if p := admin.do(t, "POST", remove, url.Values{"confirm": {"yes"}}); p.Status != http.StatusSeeOther {
		t.Fatalf("remove confirmed: %d", p.Status)
	}
	if roster, _ := tn.Node.Roster(t.Context(), tn.Node.AdminOf("FRA")); len(roster) != 0 {
		t.Errorf("roster after removing: %v, want none", roster)
	}
	wantAudited(t, tn, "FRA", "roster.remove", "roster/"+roster[0].ID)
}

// TestAdministrationIsHiddenFromOthers: an official whose role does not
// manage officials or the roster is not shown the way there, and is
// refused if they type it.
func TestAdministrationIsHiddenFromOthers(t *testing.T) {
	tn := newTestNode(t, "sqlite")
	for _, role := range []identity.Role{identity.CentralAuthority, identity.TwentyFourSeven, identity.Investigator, identity.Auditor} {
		b := tn.signedIn(t, "FRA", role)
		p := b.do(t, "GET", "/ui/statistics", nil)
		if p.Status != 200 {
			t.Errorf("%s: statistics %d, want 200", role, p.Status)
		}
		for _, path := range []string{"/ui/admin/officials", "/ui/admin/roster"} {
			if strings.Contains(p.Body, `href="`+path+`"`) {
				t.Errorf("%s is shown the way to %s", role, path)
			}
			if got := b.do(t, "GET", path, nil); got.Status != http.StatusForbidden {
				t.Errorf("%s: GET %s %d, want 403", role, path, got.Status)
			}
		}
	}
}

// TestStatisticsPage: the page shows FRA's own figures, each chart with
// its table, and none of another State's.
func TestStatisticsPage(t *testing.T) {
	tn := newTestNode(t, "sqlite")
	ctx, n := t.Context(), tn.Node
	ca := actor("FRA", identity.CentralAuthority)
	for range 2 {
		r, err := n.CreateRequest(ctx, ca, preservationContents("VNM"))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := n.Transition(ctx, ca, r.ID, casework.Transition{Action: casework.Send}); err != nil {
			t.Fatal(err)
		}
		tn.Clock.Add(90 * time.Minute)
		if _, err := n.Transition(ctx, actor("VNM", identity.TwentyFourSeven), r.ID, casework.Transition{Action: casework.Acknowledge}); err != nil {
			t.Fatal(err)
		}
	}
	// ZAF's request to VNM is none of FRA's business.
	zaf := actor("ZAF", identity.CentralAuthority)
	r, err := n.CreateRequest(ctx, zaf, preservationContents("VNM"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := n.Transition(ctx, zaf, r.ID, casework.Transition{Action: casework.Send}); err != nil {
		t.Fatal(err)
	}
	b := tn.signedIn(t, "FRA", identity.Administrator)
	p := b.do(t, "GET", "/ui/statistics", nil)
	if p.Status != 200 {
		t.Fatalf("GET /ui/statistics: %d\n%s", p.Status, p.Body)
	}
	for _, want := range []string{
		`<svg`, `aria-labelledby="chart-kind-title"`, `id="table-kind"`, `id="table-state"`, `id="table-median"`,
		"<tr><th scope=\"row\">Viet Nam (VNM)</th><td>2</td><td>0</td></tr>",
		// Two acknowledgements, each 1h30 after delivery.
		"<td>1 h 30 min</td><td>2</td>",
	} {
		if !strings.Contains(p.Body, want) {
			t.Errorf("the statistics page lacks %s\n%s", want, p.Body)
		}
	}
	if strings.Contains(p.Body, "South Africa") {
		t.Errorf("FRA's statistics count ZAF's request\n%s", p.Body)
	}
}
