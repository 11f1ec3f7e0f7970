package web

import (
	"context"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"entraide/internal/funds"
	"entraide/internal/identity"
)

// TestBrowserFundTracing runs fund tracing in a real Chromium, in English
// and in Arabic (right to left): an investigator opens a case, imports a
// bank statement (camt.053) the State holds as evidence, traces the
// victim's payment by first in, first out and again by the lowest
// intermediate balance, and reads each trace: the Sankey picture, drawn
// on the server with its accounts coloured by State and mirrored in
// Arabic, and the table of the funds held per State.
func TestBrowserFundTracing(t *testing.T) {
	for _, lang := range []string{"en", "ar"} {
		t.Run(lang, func(t *testing.T) { fundTracing(t, lang) })
	}
}

func fundTracing(t *testing.T, lang string) {
	tn := newTestNode(t, "sqlite")
	srv := httptest.NewTLSServer(tn.Handler)
	t.Cleanup(srv.Close)
	request, item := tn.addItem(t, "FRA", camtStatement(t))
	tab := browserTab(t)
	shot := func(name string) { screenshot(t, tab, lang+"-funds-"+name) }
	do(t, tab, "open the sign-in", chromedp.Navigate(srv.URL+"/ui/signin"), chromedp.WaitVisible(chromedp.CSS("#login")))
	if lang != "en" {
		pickLanguage(t, tab, lang)
	}
	inv := officialID("FRA", identity.Investigator)
	enrolAndSignIn(t, tn, tab, srv.URL, "FRA", inv)

	do(t, tab, "open fund tracing from the menu", chromedp.Click(chromedp.CSS(`nav a[href="/ui/funds"]`)), chromedp.WaitVisible(chromedp.CSS("#create-form")))
	do(t, tab, "open a case",
		chromedp.SendKeys(chromedp.CSS("#fc-title"), "Opération Cèdre"),
		chromedp.SendKeys(chromedp.CSS("#fc-reference"), "J3-2026-0412"),
		chromedp.Click(chromedp.CSS("#create-form button")),
		chromedp.WaitVisible(chromedp.CSS("#import-form")))
	shot("case-new")
	do(t, tab, "import the statement",
		chromedp.SetValue(chromedp.CSS("#im-item"), request+"/"+item),
		chromedp.SetValue(chromedp.CSS("#im-format"), "camt.053"),
		chromedp.Click(chromedp.CSS("#import-form button")),
		chromedp.WaitVisible(chromedp.CSS("#imports")))
	if got := text(t, tab, "#imports"); !strings.Contains(got, item) {
		t.Errorf("the imports list %q, want item %s", got, item)
	}
	caseID := eval(t, tab, `location.pathname.split("/")[3]`)
	transfers, err := tn.Node.FundsTransfers(t.Context(), actor("FRA", identity.Investigator), caseID, 0, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	var victim funds.TransferID
	for _, tr := range transfers {
		if tr.Reference == victimPayment {
			victim = tr.ID
		}
	}
	if victim == 0 {
		t.Fatalf("no transfer %s among %d", victimPayment, len(transfers))
	}
	shot("case-imported")

	for _, rule := range []funds.Rule{funds.FIFO, funds.LIBR} {
		do(t, tab, "trace by "+string(rule),
			chromedp.Navigate(srv.URL+"/ui/funds/"+caseID),
			chromedp.WaitVisible(chromedp.CSS("#trace-form")),
			chromedp.Click(chromedp.CSS("#src-"+strconv.FormatInt(int64(victim), 10))),
			chromedp.Click(chromedp.CSS("#rule-"+string(rule))),
			chromedp.SetValue(chromedp.CSS("#tr-currency"), "EUR"),
			chromedp.Click(chromedp.CSS("#trace-submit")),
			chromedp.WaitVisible(chromedp.CSS("svg.flow")))
		checkTracePage(t, tab, lang, rule)
		shot("trace-" + string(rule))
	}
}

// checkTracePage checks what the trace page tab shows: the picture, with
// boxes of more than one colour and a legend, mirrored right to left in
// Arabic; the holdings per State; the report's link.
func checkTracePage(t *testing.T, tab context.Context, lang string, rule funds.Rule) {
	t.Helper()
	if got, _ := strconv.Atoi(eval(t, tab, `String(new Set([...document.querySelectorAll("svg.flow rect")].map(r => r.getAttribute("fill"))).size)`)); got < 3 {
		t.Errorf("%s: the picture's boxes have %d colours, want the States told apart", rule, got)
	}
	if got := eval(t, tab, `document.querySelector("svg.flow").getAttribute("role") + " " + String(document.querySelector("svg.flow > title").textContent.length > 0)`); got != "img true" {
		t.Errorf("%s: the picture is %q, want an image with a title", rule, got)
	}
	if got := eval(t, tab, `String(document.querySelectorAll("#bystate-table tbody tr").length)`); got == "0" {
		t.Errorf("%s: no row of funds held per State", rule)
	}
	if got := eval(t, tab, `String(document.querySelectorAll("#hops-table tbody tr").length)`); got == "0" {
		t.Errorf("%s: no hop listed", rule)
	}
	if got := eval(t, tab, `document.querySelector("#report-link").getAttribute("href")`); !strings.Contains(got, "/report.pdf") {
		t.Errorf("%s: the report's link is %q", rule, got)
	}
	dir := eval(t, tab, `document.documentElement.dir + " " + document.querySelector("svg.flow").getAttribute("direction") + " " + getComputedStyle(document.body).direction`)
	want := map[string]string{"en": "ltr ltr ltr", "ar": "rtl rtl rtl"}[lang]
	if dir != want {
		t.Errorf("%s in %s: page, picture and layout directions %q, want %q", rule, lang, dir, want)
	}
	// Mirrored in Arabic: the victims' boxes (the first drawn) are on the
	// right half of the picture, and on the left half in English.
	right := eval(t, tab, `(() => { const s = document.querySelector("svg.flow"); const r = s.querySelector("g:nth-of-type(2) rect"); return String(Number(r.getAttribute("x")) > s.viewBox.baseVal.width / 2) })()`)
	if right != map[string]string{"en": "false", "ar": "true"}[lang] {
		t.Errorf("%s in %s: the victims' box is on the right half: %s", rule, lang, right)
	}
}
