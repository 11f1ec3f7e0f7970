package web

import (
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"entraide/internal/casework"
	"entraide/internal/identity"
)

// TestBrowserAdministration: FRA's administrator, in a real Chromium,
// enrols a new official and reads the code shown once, disables an
// official after confirming, puts the 24/7 officer on the roster, and
// reads FRA's statistics, whose charts need no script.
func TestBrowserAdministration(t *testing.T) {
	tn := newTestNode(t, "sqlite")
	ctx, n := t.Context(), tn.Node
	// Some of FRA's requests, for the statistics: two sent to VNM and
	// acknowledged there, one received from ZAF, acknowledged and
	// preserved.
	for _, c := range []struct {
		from, to string
		preserve bool
	}{{"FRA", "VNM", false}, {"FRA", "VNM", false}, {"ZAF", "FRA", true}} {
		by := actor(c.from, identity.CentralAuthority)
		r, err := n.CreateRequest(ctx, by, preservationContents(c.to))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := n.Transition(ctx, by, r.ID, casework.Transition{Action: casework.Send}); err != nil {
			t.Fatal(err)
		}
		if _, err := n.Transition(ctx, actor(c.to, identity.TwentyFourSeven), r.ID, casework.Transition{Action: casework.Acknowledge}); err != nil {
			t.Fatal(err)
		}
		if c.preserve {
			// FRA preserves ZAF's data: a deadline running (art. 42(7)).
			until := n.Now().AddDate(0, 0, 61)
			tr := casework.Transition{Action: casework.Start, PreserveUntil: &until}
			if _, err := n.Transition(ctx, actor(c.to, identity.TwentyFourSeven), r.ID, tr); err != nil {
				t.Fatal(err)
			}
		}
	}
	srv := httptest.NewTLSServer(tn.Handler)
	t.Cleanup(srv.Close)
	tab := browserTab(t)
	axeBytes, err := os.ReadFile("testdata/axe/axe.min.js")
	if err != nil {
		t.Fatal(err)
	}
	axe := string(axeBytes)
	do(t, tab, "open the sign-in", chromedp.Navigate(srv.URL+"/ui/signin"), chromedp.WaitVisible(chromedp.CSS("#login")))
	enrolAndSignIn(t, tn, tab, srv.URL, "FRA", officialID("FRA", identity.Administrator))

	do(t, tab, "open the officials from the navigation", chromedp.Click(chromedp.CSS(`nav a[href="/ui/admin/officials"]`)),
		chromedp.WaitVisible(chromedp.CSS("#officials")))
	screenshot(t, tab, "admin-officials")
	checkAxe(t, tab, axe, "officials")
	do(t, tab, "enrol with bad input", chromedp.SendKeys(chromedp.CSS("#o-id"), "Bad Login"),
		chromedp.SendKeys(chromedp.CSS("#o-name"), "Someone"),
		chromedp.Click(chromedp.CSS(`#enrol-form button`)), chromedp.WaitVisible(chromedp.CSS("#enrol-errors")))
	if got := eval(t, tab, invalidUnexplained); got != "" {
		t.Errorf("fields marked invalid without their error beside them: %s", got)
	}
	checkAxe(t, tab, axe, "officials with errors")
	do(t, tab, "open the officials again", chromedp.Navigate(srv.URL+"/ui/admin/officials"), chromedp.WaitVisible(chromedp.CSS("#officials")))
	do(t, tab, "enrol a new official",
		chromedp.SendKeys(chromedp.CSS("#o-id"), "fra-ca-dupont"),
		chromedp.SendKeys(chromedp.CSS("#o-name"), "Claire Dupont"),
		chromedp.SetValue(chromedp.CSS("#o-role"), "central_authority"),
		chromedp.Click(chromedp.CSS(`#enrol-form button`)),
		chromedp.WaitVisible(chromedp.CSS("#code")))
	if code := text(t, tab, "#code"); !strings.HasPrefix(code, identity.CodePrefix) {
		t.Errorf("the page shows %q as the enrolment code", code)
	}
	screenshot(t, tab, "admin-enrolled")
	checkAxe(t, tab, axe, "official with the enrolment code")

	do(t, tab, "open the 24/7 officer's page", chromedp.Navigate(srv.URL+"/ui/admin/officials/fra-24_7"),
		chromedp.Click(chromedp.CSS(`form[action$="/disable"] button`)),
		chromedp.WaitVisible(chromedp.CSS("#confirm-yes")))
	screenshot(t, tab, "admin-confirm-disable")
	checkAxe(t, tab, axe, "confirmation")
	do(t, tab, "confirm", chromedp.Click(chromedp.CSS("#confirm-yes")), chromedp.WaitVisible(chromedp.CSS(".notice")))
	if got := text(t, tab, ".notice"); !strings.Contains(got, "is disabled") {
		t.Errorf("after disabling, the page says %q", got)
	}
	screenshot(t, tab, "admin-disabled")
	// The page before had a notice too: the enabled official's page is
	// the one with a disable button.
	do(t, tab, "enable again", chromedp.Click(chromedp.CSS(`form[action$="/enable"] button`)), chromedp.WaitVisible(chromedp.CSS(`form[action$="/disable"] button`)))

	do(t, tab, "open the roster", chromedp.Click(chromedp.CSS(`nav a[href="/ui/admin/roster"]`)),
		chromedp.WaitVisible(chromedp.CSS("#roster-form")),
		chromedp.SetValue(chromedp.CSS("#r-user"), "fra-24_7"),
		chromedp.SendKeys(chromedp.CSS("#r-address"), "permanence@example.org"),
		chromedp.Click(chromedp.CSS("#roster-form button")),
		chromedp.WaitVisible(chromedp.CSS("#roster")))
	if got := text(t, tab, "#roster"); !strings.Contains(got, "permanence@example.org") {
		t.Errorf("the roster reads %q", got)
	}
	screenshot(t, tab, "admin-roster")
	checkAxe(t, tab, axe, "roster")

	do(t, tab, "open the statistics", chromedp.Click(chromedp.CSS(`nav a[href="/ui/statistics"]`)),
		chromedp.WaitVisible(chromedp.CSS("#table-kind")))
	if got := text(t, tab, "#table-state"); !strings.Contains(got, "Viet Nam") || !strings.Contains(got, "South Africa") {
		t.Errorf("the statistics by State read %q, want VNM and ZAF", got)
	}
	if got := eval(t, tab, `String(document.querySelectorAll("figure.chart svg rect").length > 0)`); got != "true" {
		t.Errorf("the statistics page draws no bar")
	}
	if got := text(t, tab, "#table-deadlines"); !strings.Contains(got, "Received\t0\t0\t1") {
		t.Errorf("the deadlines read %q, want one running for a request received", got)
	}
	screenshot(t, tab, "statistics")
	checkAxe(t, tab, axe, "statistics")
	pickLanguage(t, tab, "fr")
	screenshot(t, tab, "statistics-fr")
}
