package web

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"entraide/internal/casework"
	"entraide/internal/convention"
	"entraide/internal/identity"
)

// axeViolation is one rule of axe-core a page breaks, with the elements
// that break it.
type axeViolation struct {
	ID      string `json:"id"`
	Impact  string `json:"impact"`
	Help    string `json:"help"`
	HelpURL string `json:"helpUrl"`
	Nodes   []struct {
		Target  string `json:"target"`
		Summary string `json:"summary"`
	} `json:"nodes"`
}

func (v axeViolation) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s (%s): %s, %s", v.ID, v.Impact, v.Help, v.HelpURL)
	for _, n := range v.Nodes {
		fmt.Fprintf(&b, "\n\t\t%s: %s", n.Target, strings.ReplaceAll(n.Summary, "\n", " "))
	}
	return b.String()
}

// axeRun runs every rule of axe-core (WCAG 2.0, 2.1 and 2.2 A and AA, and
// its best practices) on the whole document and keeps, of each
// violation, what names it and where.
const axeRun = `axe.run(document, {resultTypes: ["violations"]}).then(r => r.violations.map(v => ({
	id: v.id, impact: v.impact || "", help: v.help, helpUrl: v.helpUrl,
	nodes: v.nodes.map(n => ({target: n.target.join(" "), summary: n.failureSummary || ""}))})))`

// runAxe injects axe-core into the page tab shows and returns what it
// finds.
func runAxe(t *testing.T, tab context.Context, axe, screen string) []axeViolation {
	t.Helper()
	ctx, cancel := context.WithTimeout(tab, 60*time.Second)
	defer cancel()
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[chromedp.Void](axe)); err != nil {
		t.Fatalf("%s: injecting axe-core: %v", screen, err)
	}
	found, err := chromedp.Run(ctx, chromedp.Evaluate[[]axeViolation](axeRun, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("%s: running axe-core: %v", screen, err)
	}
	return found
}

// checkAxe fails the test on any serious or critical violation of the
// page tab shows, naming the rule, the elements and where the rule is
// explained; lesser ones are logged.
func checkAxe(t *testing.T, tab context.Context, axe, screen string) {
	t.Helper()
	for _, v := range runAxe(t, tab, axe, screen) {
		if v.Impact == "serious" || v.Impact == "critical" {
			t.Errorf("%s: %s", screen, v)
		} else {
			t.Logf("%s (not failing): %s", screen, v)
		}
	}
}

// invalidUnexplained names the fields marked invalid whose description
// is not an error shown beside them: a screen reader would say the field
// is wrong without saying why.
const invalidUnexplained = `[...document.querySelectorAll("[aria-invalid=true]")].filter(el =>
	!(el.getAttribute("aria-describedby") || "").split(/\s+/).some(id => document.getElementById(id)?.classList.contains("field-error"))
).map(el => el.id || el.name).join(", ")`

// overflowing names the outermost elements that stick out of the page's
// width, and is empty when the page does not scroll sideways.
const overflowing = `(() => {
	const root = document.documentElement, w = root.clientWidth;
	if (root.scrollWidth <= w) return "";
	const out = el => { const r = el.getBoundingClientRect(); return r.right > w + 1 || r.left < -1; };
	return [...document.body.querySelectorAll("*")].filter(el => out(el) && !out(el.parentElement))
		.map(el => el.tagName.toLowerCase() + (el.id ? "#" + el.id : "")).join(", ") || "the page (" + root.scrollWidth + " px)";
})()`

// focusShown is empty when the focused element has an outline or a shadow
// drawn around it, and otherwise says why not.
const focusShown = `(() => {
	const el = document.activeElement;
	if (!el || el === document.body) return "nothing is focused";
	const s = getComputedStyle(el);
	const outline = s.outlineStyle !== "none" && parseFloat(s.outlineWidth) > 0;
	const shadow = s.boxShadow !== "none";
	return outline || shadow ? "" : "no outline or shadow";
})()`

// tabTo presses Tab from the top of the page until the element sel
// matches has the focus, checking on the way that each element the focus
// reaches shows it. It fails the test if sel is not reached in max presses.
func tabTo(t *testing.T, tab context.Context, screen, sel string, max int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(tab, 60*time.Second)
	defer cancel()
	var path []string
	for range max {
		if err := chromedp.Do(ctx, chromedp.KeyEvent(kb.Tab)); err != nil {
			t.Fatalf("%s: pressing Tab: %v", screen, err)
		}
		where, err := chromedp.Run(ctx, chromedp.Evaluate[string](`(() => { const el = document.activeElement;
			return el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") + (el.getAttribute("href") ? "[href=" + el.getAttribute("href") + "]" : "") })()`))
		if err != nil {
			t.Fatal(err)
		}
		path = append(path, where)
		why, err := chromedp.Run(ctx, chromedp.Evaluate[string](focusShown))
		if err != nil {
			t.Fatal(err)
		}
		if why != "" {
			t.Errorf("%s: the focus on %s is not visible: %s", screen, where, why)
		}
		reached, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.activeElement.matches(`+strconv.Quote(sel)+`)`))
		if err != nil {
			t.Fatal(err)
		}
		if reached {
			return
		}
	}
	t.Errorf("%s: %d presses of Tab do not reach %s; the focus went %s", screen, max, sel, strings.Join(path, " → "))
}

// TestBrowserAccessibility visits every screen of the web UI in a real
// Chromium, in English and in Arabic (right to left), signed out and
// signed in, with requests in several states, drafts of every kind one
// may draft, a draft and an action refused with their errors, and the
// 24/7 console with an open alert; axe-core checks each one for the
// basics of WCAG 2.1 AA. The keyboard alone reaches the main action of
// each kind of screen, showing where the focus is at every step.
func TestBrowserAccessibility(t *testing.T) {
	axeBytes, err := os.ReadFile("testdata/axe/axe.min.js")
	if err != nil {
		t.Fatalf("axe-core: %v (testdata/axe/README.md says where it comes from)", err)
	}
	axe := string(axeBytes)
	tn := newTestNode(t, "sqlite")
	srv := httptest.NewTLSServer(tn.Handler)
	t.Cleanup(srv.Close)
	// localhost, not 127.0.0.1: a browser offers passkeys to a domain only.
	base := strings.Replace(srv.URL, "127.0.0.1", "localhost", 1)
	if err := tn.Node.SetBaseURL(t.Context(), tn.Node.Admin(), base); err != nil {
		t.Fatal(err)
	}
	public, fra := browserTab(t), browserTab(t)
	virtualAuthenticator(t, fra)

	// A screen is a path, what shows it is loaded, and optionally steps
	// that bring the page into the state to check.
	type screen struct {
		name, path, ready string
		then              []chromedp.Action[chromedp.Void]
	}
	// Each screen is checked as it opens and, when narrow is set, again
	// at 320 CSS pixels wide, as a screen of 1280 at 400% zoom shows it.
	check := func(tab context.Context, lang string, s screen, narrow bool) {
		t.Helper()
		name := lang + "-" + s.name
		steps := []chromedp.Action[chromedp.Void]{chromedp.Navigate(base + s.path), chromedp.WaitReady(chromedp.CSS(s.ready))}
		do(t, tab, "open "+name, append(steps, s.then...)...)
		checkAxe(t, tab, axe, name)
		if title := eval(t, tab, `document.title`); title == text(t, tab, ".brand a") {
			t.Errorf("%s: the page's title is the bare name of the application, %q: it should say which page it is (WCAG 2.4.2)", name, title)
		}
		if bad := eval(t, tab, invalidUnexplained); bad != "" {
			t.Errorf("%s: fields marked invalid without their error in aria-describedby: %s", name, bad)
		}
		screenshot(t, tab, "a11y-"+name)
		if !narrow {
			return
		}
		width, height := eval(t, tab, `String(innerWidth)`), eval(t, tab, `String(innerHeight)`)
		w, _ := strconv.ParseInt(width, 10, 64)
		h, _ := strconv.ParseInt(height, 10, 64)
		do(t, tab, "narrow "+name, chromedp.EmulateViewport(320, 800))
		defer do(t, tab, "widen "+name, chromedp.EmulateViewport(w, h))
		name += "-320px"
		if over := eval(t, tab, overflowing); over != "" {
			t.Errorf("%s: the page scrolls sideways, past %s", name, over)
		}
		checkAxe(t, tab, axe, name)
		screenshot(t, tab, "a11y-"+name)
	}

	// Signed out: the sign-in, with an error, the enrolment's two steps
	// with their errors.
	e, err := tn.Node.IssueEnrolment(t.Context(), tn.Node.AdminOf("FRA"), officialID("FRA", identity.Auditor))
	if err != nil {
		t.Fatal(err)
	}
	signedOut := []screen{
		{name: "signin", path: "/ui/signin", ready: "#login"},
		{name: "signin-error", path: "/ui/signin", ready: "#login", then: []chromedp.Action[chromedp.Void]{
			chromedp.SetValue(chromedp.CSS("#login"), "fra-auditor"), chromedp.SetValue(chromedp.CSS("#password"), "not the password"),
			chromedp.SetValue(chromedp.CSS("#code"), "000000"), chromedp.Click(chromedp.CSS(`form[action="/ui/signin"] button`)),
			chromedp.WaitVisible(chromedp.CSS("#signin-error"))}},
		{name: "enrol", path: "/ui/enrol", ready: "#enrol-code"},
		{name: "enrol-error", path: "/ui/enrol", ready: "#enrol-code", then: []chromedp.Action[chromedp.Void]{
			chromedp.SetValue(chromedp.CSS("#enrol-code"), "enr_not_a_code"), chromedp.Click(chromedp.CSS(`form[action="/ui/enrol"] button`)),
			chromedp.WaitVisible(chromedp.CSS(".error"))}},
		{name: "enrol-step2-error", path: "/ui/enrol", ready: "#enrol-code", then: []chromedp.Action[chromedp.Void]{
			chromedp.SetValue(chromedp.CSS("#enrol-code"), e.Code), chromedp.Click(chromedp.CSS(`form[action="/ui/enrol"] button`)),
			chromedp.WaitVisible(chromedp.CSS("#totp-secret")),
			chromedp.SetValue(chromedp.CSS("#password"), "correct horse battery staple"), chromedp.SetValue(chromedp.CSS("#confirm"), "another horse battery staple"),
			chromedp.SetValue(chromedp.CSS("#totp"), "000000"), chromedp.Click(chromedp.CSS(`form[action="/ui/enrol/finish"] button`)),
			chromedp.WaitVisible(chromedp.CSS(".error"))}},
	}
	// axe-core runs under the pages' Content-Security-Policy and sees
	// what it should: a field without a label is a critical violation.
	do(t, public, "open the sign-in", chromedp.Navigate(base+"/ui/signin"), chromedp.WaitVisible(chromedp.CSS("#login")),
		chromedp.Evaluate[chromedp.Void](`document.querySelector("main").append(document.createElement("input"))`))
	if found := runAxe(t, public, axe, "signin with a field unlabelled"); !slices.ContainsFunc(found, func(v axeViolation) bool { return v.ID == "label" && v.Impact == "critical" }) {
		t.Fatalf("axe-core finds %v on a page with a field without a label, want the critical violation label", found)
	}
	for _, lang := range []string{"en", "ar"} {
		if lang != "en" {
			pickLanguage(t, public, lang)
		}
		for _, s := range signedOut {
			check(public, lang, s, lang == "en")
		}
	}
	do(t, public, "open the sign-in", chromedp.Navigate(base+"/ui/signin"), chromedp.WaitVisible(chromedp.CSS("#login")))
	tabTo(t, public, "signin", `form[action="/ui/signin"] button`, 10)
	screenshot(t, public, "a11y-focus-signin-button")

	// Requests in several states, seen by FRA's central authority: a
	// draft of its own with an item of evidence, one it sent, one it
	// received, one it refused, one it consults about, one executed.
	fraCA, vnmCA := actor("FRA", identity.CentralAuthority), actor("VNM", identity.CentralAuthority)
	move := func(by casework.Actor, id string, tr casework.Transition) {
		t.Helper()
		if _, err := tn.Node.Transition(t.Context(), by, id, tr); err != nil {
			t.Fatalf("%s %s: %v", tr.Action, id, err)
		}
	}
	draftWithItem, _ := tn.addItem(t, "FRA", []byte("server logs"))
	sent := tn.draft(t, fraCA, preservationContents("VNM")).ID
	move(fraCA, sent, casework.Transition{Action: casework.Send})
	incoming := func() string {
		id := tn.draft(t, vnmCA, mlaContents("FRA")).ID
		move(vnmCA, id, casework.Transition{Action: casework.Send})
		return id
	}
	received := incoming()
	// A refusal comes after consulting the requesting State (art. 40(27)).
	consulting := incoming()
	move(fraCA, consulting, casework.Transition{Action: casework.Acknowledge})
	move(fraCA, consulting, casework.Transition{Action: casework.Consult})
	refused := incoming()
	move(fraCA, refused, casework.Transition{Action: casework.Acknowledge})
	move(fraCA, refused, casework.Transition{Action: casework.Consult})
	move(fraCA, refused, casework.Transition{Action: casework.Refuse, Grounds: []convention.Ground{convention.GroundsFor(convention.MutualAssistance)[0].Ground},
		Reasons: "The request concerns a political offence."})
	consulted := incoming()
	move(fraCA, consulted, casework.Transition{Action: casework.Acknowledge})
	move(fraCA, consulted, casework.Transition{Action: casework.Consult, Conditions: "The evidence is used for this investigation only."})
	executed, _ := tn.answerItem(t, "FRA", []byte("bank records"))
	move(fraCA, executed, casework.Transition{Action: casework.Execute})
	tn.raiseAlert(t, "FRA")

	fundsCase, fundsTrace := tn.fundsTrace(t, "FRA")

	enrolAndSignIn(t, tn, fra, base, "FRA", officialID("FRA", identity.CentralAuthority))
	signedIn := []screen{
		{name: "inbox", path: "/ui/inbox", ready: "#results"},
		{name: "inbox-filtered", path: "/ui/inbox?kind=mutual_assistance&state=refused", ready: "#results"},
		{name: "inbox-filter-error", path: "/ui/inbox?counterpart=ZZZ", ready: "#results"},
		{name: "outbox", path: "/ui/outbox", ready: "#results"},
		{name: "outbox-overdue", path: "/ui/outbox?overdue=on&urgency=urgent", ready: "#results"},
		{name: "request-draft-evidence", path: "/ui/requests/" + draftWithItem, ready: "#evidence-items"},
		{name: "request-sent", path: "/ui/requests/" + sent, ready: "#status"},
		{name: "request-received", path: "/ui/requests/" + received, ready: "#act-acknowledge"},
		{name: "request-refuse-error", path: "/ui/requests/" + consulting, ready: "#act-refuse", then: []chromedp.Action[chromedp.Void]{
			chromedp.SetValue(chromedp.CSS("#refuse-reasons"), "No ground ticked."), chromedp.Click(chromedp.CSS("#act-refuse button")),
			chromedp.WaitVisible(chromedp.CSS("#action-errors")),
			chromedp.Poll[chromedp.Void](`document.getElementById("refuse-reasons").value === "No ground ticked." && document.getElementById("refuse-grounds-err") !== null`,
				chromedp.WithPollingTimeout(5*time.Second))}},
		{name: "request-refused", path: "/ui/requests/" + refused, ready: "#status"},
		{name: "request-consulted", path: "/ui/requests/" + consulted, ready: "#status"},
		{name: "request-executed", path: "/ui/requests/" + executed, ready: "#evidence-items"},
		{name: "request-unknown", path: "/ui/requests/no-such-request", ready: "main"},
		{name: "draft", path: "/ui/requests/new", ready: "#kind-choice"},
		// The draft's errors come from the node, not the browser's own
		// checks of required fields, which would stop it being sent.
		{name: "draft-error", path: "/ui/requests/new?kind=preservation", ready: "#draft", then: []chromedp.Action[chromedp.Void]{
			chromedp.Evaluate[chromedp.Void](`document.getElementById("draft").noValidate = true`),
			chromedp.SetValue(chromedp.CSS("#requested_state"), ""), chromedp.Click(chromedp.CSS("#save-send")),
			chromedp.WaitVisible(chromedp.CSS("#draft-errors"))}},
		{name: "console", path: "/ui/console", ready: "#open-alerts li.alert"},
		{name: "directory", path: "/ui/directory", ready: "main h1"},
		{name: "directory-state", path: "/ui/directory/VNM", ready: "main h1"},
		{name: "treaty", path: "/ui/treaty", ready: "main svg"},
		{name: "passkeys", path: "/ui/passkeys", ready: "#passkey-add"},
		{name: "passkeys-added", path: "/ui/passkeys", ready: "#passkey-add", then: []chromedp.Action[chromedp.Void]{
			chromedp.Click(chromedp.CSS("#passkey-add")), chromedp.WaitVisible(chromedp.CSS(`.notice, #passkey-error:not([hidden])`))}},
		{name: "statistics", path: "/ui/statistics", ready: "#table-kind"},
		{name: "funds", path: "/ui/funds", ready: "#funds-cases"},
		{name: "funds-case", path: "/ui/funds/" + fundsCase, ready: "#trace-form"},
		{name: "funds-trace", path: "/ui/funds/" + fundsCase + "/traces/" + fundsTrace, ready: "svg.flow"},
		{name: "funds-freeze-error", path: "/ui/funds/" + fundsCase + "/traces/" + fundsTrace, ready: "#freeze-form", then: []chromedp.Action[chromedp.Void]{
			chromedp.Evaluate[chromedp.Void](`document.getElementById("freeze-form").noValidate = true`),
			chromedp.Click(chromedp.CSS("#freeze-submit")), chromedp.WaitVisible(chromedp.CSS("#freeze-errors"))}},
		{name: "funds-recovery", path: "/ui/funds/recovery", ready: "main h1"},
	}
	// Every kind's form in English; in Arabic, where only the direction
	// changes, three.
	rtlKinds := []convention.Kind{convention.Preservation, convention.MutualAssistance, convention.Extradition}
	var drafts, rtlDrafts []screen
	for _, s := range convention.Kinds() {
		if s.OnPreservation || casework.CanDraft(s.Kind, fraCA) != nil {
			continue
		}
		d := screen{name: "draft-" + string(s.Kind), path: "/ui/requests/new?kind=" + string(s.Kind), ready: "#draft"}
		drafts = append(drafts, d)
		if slices.Contains(rtlKinds, s.Kind) {
			rtlDrafts = append(rtlDrafts, d)
		}
	}
	for _, s := range signedIn {
		check(fra, "en", s, true)
	}
	for _, s := range drafts {
		check(fra, "en", s, false)
	}
	pickLanguage(t, fra, "ar")
	for _, s := range append(signedIn, rtlDrafts...) {
		check(fra, "ar", s, false)
	}
	pickLanguage(t, fra, "en")

	// FRA's administrator: the officials, with the errors of an
	// enrolment, one official, the confirmation of disabling them, the
	// roster, with its errors and with an official on call.
	admin := browserTab(t)
	do(t, admin, "open the sign-in", chromedp.Navigate(base+"/ui/signin"), chromedp.WaitVisible(chromedp.CSS("#login")))
	enrolAndSignIn(t, tn, admin, base, "FRA", officialID("FRA", identity.Administrator))
	fra247 := officialID("FRA", identity.TwentyFourSeven)
	administration := []screen{
		{name: "officials", path: "/ui/admin/officials", ready: "#officials"},
		{name: "officials-error", path: "/ui/admin/officials", ready: "#enrol-form", then: []chromedp.Action[chromedp.Void]{
			chromedp.SetValue(chromedp.CSS("#o-id"), "Bad Login"), chromedp.SetValue(chromedp.CSS("#o-name"), "Someone"),
			chromedp.Click(chromedp.CSS("#enrol-form button")), chromedp.WaitVisible(chromedp.CSS("#enrol-errors"))}},
		{name: "official", path: "/ui/admin/officials/" + fra247, ready: `form[action$="/disable"]`},
		{name: "official-confirm", path: "/ui/admin/officials/" + fra247, ready: `form[action$="/disable"]`, then: []chromedp.Action[chromedp.Void]{
			chromedp.Click(chromedp.CSS(`form[action$="/disable"] button`)), chromedp.WaitVisible(chromedp.CSS("#confirm-yes"))}},
		{name: "roster-error", path: "/ui/admin/roster", ready: "#roster-form", then: []chromedp.Action[chromedp.Void]{
			chromedp.Evaluate[chromedp.Void](`document.getElementById("roster-form").noValidate = true`),
			chromedp.SetValue(chromedp.CSS("#r-address"), "not an address"),
			chromedp.Click(chromedp.CSS("#roster-form button")), chromedp.WaitVisible(chromedp.CSS("#roster-errors"))}},
		{name: "roster", path: "/ui/admin/roster", ready: "#roster-form", then: []chromedp.Action[chromedp.Void]{
			chromedp.SetValue(chromedp.CSS("#r-user"), fra247), chromedp.SetValue(chromedp.CSS("#r-address"), "permanence@example.org"),
			chromedp.Click(chromedp.CSS("#roster-form button")), chromedp.WaitVisible(chromedp.CSS(".notice"))}},
		{name: "admin-statistics", path: "/ui/statistics", ready: "#table-kind"},
	}
	for _, s := range administration {
		check(admin, "en", s, true)
	}
	pickLanguage(t, admin, "ar")
	for _, s := range administration {
		check(admin, "ar", s, false)
	}
	pickLanguage(t, admin, "en")
	do(t, admin, "open the officials", chromedp.Navigate(base+"/ui/admin/officials"), chromedp.WaitVisible(chromedp.CSS("#enrol-form")))
	tabTo(t, admin, "officials", "#enrol-form button", 80)
	screenshot(t, admin, "a11y-focus-enrol-official")

	// The keyboard alone: the skip link comes first and takes the focus
	// to the page's content; the main action of each kind of screen is
	// reached with Tab, the focus visible at every step.
	do(t, fra, "open the inbox", chromedp.Navigate(base+"/ui/inbox"), chromedp.WaitVisible(chromedp.CSS("#results")))
	tabTo(t, fra, "inbox", "a.skip", 1)
	screenshot(t, fra, "a11y-focus-skip")
	do(t, fra, "follow the skip link", chromedp.KeyEvent(kb.Enter))
	if got := eval(t, fra, `document.activeElement.id`); got != "main" {
		t.Errorf("the skip link leaves the focus on %q, want main", got)
	}
	tabTo(t, fra, "inbox after the skip link", "#f-kind", 1)
	tabTo(t, fra, "inbox", "#results tbody a", 20)
	screenshot(t, fra, "a11y-focus-inbox-result")

	// A filter changed from the keyboard updates the results in place
	// and leaves the focus where it was.
	// The count of what matches is said in a status region that stays in
	// the page, so that a screen reader announces the new one.
	do(t, fra, "open the inbox", chromedp.Navigate(base+"/ui/inbox"), chromedp.WaitVisible(chromedp.CSS("#results")),
		chromedp.Evaluate[chromedp.Void](`window.statusBefore = document.getElementById("list-status")`))
	tabTo(t, fra, "inbox", "#f-overdue", 30)
	do(t, fra, "tick overdue with the space bar", chromedp.KeyEvent(" "),
		chromedp.Poll[chromedp.Void](`location.search.includes("overdue=on") && !document.querySelector("#results table")`, chromedp.WithPollingTimeout(10*time.Second)))
	if got := eval(t, fra, `document.activeElement.id`); got != "f-overdue" {
		t.Errorf("after the filter changed, the focus is on %q, want f-overdue", got)
	}
	if got := eval(t, fra, `String(document.getElementById("list-status") === window.statusBefore && window.statusBefore.getAttribute("role"))`); got != "status" {
		t.Errorf("after the filter changed, the status region is %s, want the same element as before, with the role status", got)
	}
	if got := text(t, fra, "#list-status"); !strings.Contains(got, "No request matches") {
		t.Errorf("after the filter changed, the status region says %q, want that no request matches", got)
	}

	do(t, fra, "open a received request", chromedp.Navigate(base+"/ui/requests/"+received), chromedp.WaitVisible(chromedp.CSS("#act-acknowledge")))
	tabTo(t, fra, "request", "#act-acknowledge button", 40)
	screenshot(t, fra, "a11y-focus-acknowledge")

	do(t, fra, "open a draft with evidence", chromedp.Navigate(base+"/ui/requests/"+draftWithItem), chromedp.WaitVisible(chromedp.CSS("#up-start")))
	tabTo(t, fra, "evidence upload", "#up-start", 80)
	screenshot(t, fra, "a11y-focus-upload")

	do(t, fra, "open a draft", chromedp.Navigate(base+"/ui/requests/new?kind=preservation"), chromedp.WaitVisible(chromedp.CSS("#draft")))
	tabTo(t, fra, "draft", "#save-send", 80)
	screenshot(t, fra, "a11y-focus-send")

	do(t, fra, "open the console", chromedp.Navigate(base+"/ui/console"), chromedp.WaitVisible(chromedp.CSS("#open-alerts li.alert")))
	tabTo(t, fra, "console", `#open-alerts form[action$="/ack"] button`, 30)
	screenshot(t, fra, "a11y-focus-ack")
}
