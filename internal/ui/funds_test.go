package ui

import (
	"bytes"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"entraide/internal/funds"
	"entraide/internal/identity"
)

// fundsStatement is a bank statement of the account a victim's payment
// reached, as a State returned it.
func fundsStatement(t *testing.T) []byte {
	t.Helper()
	b, err := os.ReadFile("../funds/records/testdata/camt053_v08.xml")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// upload posts fields and one file as a browser's multipart form does.
func (b *browser) upload(t *testing.T, path string, fields map[string]string, field, name string, data []byte) page {
	t.Helper()
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	for k, v := range fields {
		w.WriteField(k, v)
	}
	fw, _ := w.CreateFormFile(field, name)
	fw.Write(data)
	w.Close()
	req, err := http.NewRequestWithContext(t.Context(), "POST", b.tn.URL+path, &body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", w.FormDataContentType())
	res, err := b.c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	out, _ := io.ReadAll(res.Body)
	return page{Status: res.StatusCode, Location: res.Header.Get("Location"), Body: string(out)}
}

var locationID = regexp.MustCompile(`^/ui/funds/([^/?#]+)(?:/traces/([^/?#]+))?`)

// tracedCase opens a case as b, imports the statement as item of
// request, and returns the case's id and its transfer of 50,000 EUR:
// the victim's payment.
func tracedCase(t *testing.T, tn *testNode, b *browser, request, item string) (string, funds.TransferID) {
	t.Helper()
	p := b.do(t, "POST", "/ui/funds", url.Values{"title": {"Opération Cèdre"}, "reference": {"J3-2026-0412"}})
	m := locationID.FindStringSubmatch(p.Location)
	if p.Status != http.StatusSeeOther || m == nil {
		t.Fatalf("POST /ui/funds: %d to %q\n%s", p.Status, p.Location, p.Body)
	}
	caseID := m[1]
	page := b.do(t, "GET", "/ui/funds/"+caseID, nil)
	if page.Status != 200 || !strings.Contains(page.Body, request+"/"+item) {
		t.Fatalf("GET the case: %d, the import form does not offer item %s/%s\n%s", page.Status, request, item, page.Body)
	}
	p = b.do(t, "POST", "/ui/funds/"+caseID+"/imports", url.Values{"item": {request + "/" + item}, "format": {"camt.053"}})
	if p.Status != http.StatusSeeOther {
		t.Fatalf("POST imports: %d\n%s", p.Status, p.Body)
	}
	ts, err := tn.Node.FundsTransfers(t.Context(), actor("FRA", identity.Investigator), caseID, 0, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	for _, tr := range ts {
		if tr.Amount == "50000" || tr.Amount == "50000.00" {
			return caseID, tr.ID
		}
	}
	t.Fatalf("no transfer of 50000 among %+v", ts)
	return "", 0
}

// An investigator opens a case, imports a statement, traces the
// victim's payment by each rule, and reads the trace: its picture with
// its table, the funds held per State and per account, every hop with
// its record, and the report as a PDF.
func TestFundTracingPages(t *testing.T) {
	tn := newTestNode(t, "sqlite")
	inv := actor("FRA", identity.Investigator)
	sent, err := tn.Node.CreateRequest(t.Context(), inv, preservationContents("VNM"))
	if err != nil {
		t.Fatal(err)
	}
	item := addItem(t, tn, inv, sent.ID, fundsStatement(t))
	b := tn.signedIn(t, "FRA", identity.Investigator)
	if p := b.do(t, "GET", "/ui/inbox", nil); !strings.Contains(p.Body, `href="/ui/funds"`) {
		t.Errorf("the menu has no link to fund tracing")
	}
	caseID, victim := tracedCase(t, tn, b, sent.ID, item)
	page := b.do(t, "GET", "/ui/funds/"+caseID, nil)
	for _, w := range []string{"Opération Cèdre", "J3-2026-0412", "FR1420041010050500013M02606", "camt.053", `name="sources" value="` + strconv.FormatInt(int64(victim), 10) + `"`} {
		if !strings.Contains(page.Body, w) {
			t.Errorf("the case's page lacks %q", w)
		}
	}
	// The statement's cash and bank charges are named for what they are
	// and the account they are of, in the page's language, not by a key.
	if strings.Contains(page.Body, "iban:FR14") || !strings.Contains(page.Body, "cash (account FR1420041010050500013M02606)") || !strings.Contains(page.Body, "bank charges (account FR1420041010050500013M02606)") {
		t.Errorf("the case's page does not name the statement's cash and charges by their account")
	}
	if p := b.do(t, "GET", "/ui/funds/"+caseID, nil, "Accept-Language", "fr"); !strings.Contains(p.Body, "espèces (compte FR1420041010050500013M02606)") || strings.Contains(p.Body, `dir="auto">cash<`) {
		t.Errorf("the French case's page does not name the statement's cash in French alone")
	}
	for _, rule := range funds.Rules() {
		t.Run(string(rule), func(t *testing.T) {
			p := b.do(t, "POST", "/ui/funds/"+caseID+"/traces", url.Values{"sources": {strconv.FormatInt(int64(victim), 10)}, "rule": {string(rule)}, "currency": {"EUR"}})
			m := locationID.FindStringSubmatch(p.Location)
			if p.Status != http.StatusSeeOther || m == nil || m[2] == "" {
				t.Fatalf("POST traces: %d to %q\n%s", p.Status, p.Location, p.Body)
			}
			page := b.do(t, "GET", p.Location, nil)
			for _, w := range []string{`<svg xmlns="http://www.w3.org/2000/svg" class="flow"`, `role="img"`, `id="flow-table"`, `id="bystate-table"`,
				`id="holdings-table"`, `id="hops-table"`, "50000.00 EUR", "report.pdf", "Stmt[1]/Ntry[1]"} {
				if !strings.Contains(page.Body, w) {
					t.Errorf("the trace's page lacks %q\n%.3000s", w, page.Body)
				}
			}
			pdf := b.do(t, "GET", p.Location+"/report.pdf?lang=ar", nil)
			if pdf.Status != 200 || !strings.HasPrefix(pdf.Body, "%PDF-") {
				t.Errorf("the report: %d %.40q", pdf.Status, pdf.Body)
			}
		})
	}
	// Rates are loaded from a CSV file, sent as a browser sends a file.
	rates, err := os.ReadFile("../funds/records/testdata/rates.csv")
	if err != nil {
		t.Fatal(err)
	}
	if p := b.upload(t, "/ui/funds/"+caseID+"/rates", map[string]string{"currency": "GBP"}, "file", "rates.csv", rates); p.Status != http.StatusSeeOther {
		t.Errorf("POST rates: %d\n%s", p.Status, p.Body)
	}
	if p := b.upload(t, "/ui/funds/"+caseID+"/rates", map[string]string{"currency": "EUR"}, "file", "rates.csv", []byte("day,currency\n")); p.Status != http.StatusUnprocessableEntity || !strings.Contains(p.Body, "File") {
		t.Errorf("POST rates of a bad file: %d, want 422 naming the file\n%s", p.Status, p.Body)
	}
	// An official sets an account's jurisdiction; the table says who
	// set it.
	accounts, err := tn.Node.FundsAccounts(t.Context(), inv, caseID, 0, 100)
	if err != nil || len(accounts) == 0 {
		t.Fatalf("FundsAccounts = %v, %v", accounts, err)
	}
	account := strconv.FormatInt(int64(accounts[len(accounts)-1].ID), 10)
	if p := b.do(t, "POST", "/ui/funds/"+caseID+"/jurisdiction", url.Values{"account": {account}, "state": {"XXX"}}, "Accept-Language", "es"); p.Status != http.StatusUnprocessableEntity || !strings.Contains(p.Body, "Jurisdicción") {
		t.Errorf("a jurisdiction XXX, in Spanish: %d, want 422 naming the field\n%s", p.Status, p.Body)
	}
	if p := b.do(t, "POST", "/ui/funds/"+caseID+"/jurisdiction", url.Values{"account": {account}, "state": {"DEU"}}); p.Status != http.StatusSeeOther {
		t.Errorf("a jurisdiction DEU: %d\n%s", p.Status, p.Body)
	}
	if p := b.do(t, "GET", "/ui/funds/"+caseID, nil); !strings.Contains(p.Body, "set by an official") {
		t.Errorf("the accounts table does not say an official set a jurisdiction")
	}
	// In Arabic, the page is right to left and so is its picture.
	p := b.do(t, "GET", "/ui/funds/"+caseID, nil, "Accept-Language", "ar")
	if !strings.Contains(p.Body, `dir="rtl"`) || !strings.Contains(p.Body, "تتبع الأموال") {
		t.Errorf("the Arabic case page is not right to left in Arabic")
	}
	// A trace without a victim payment, in a currency that is none, is
	// refused in the page's language, naming each field.
	p = b.do(t, "POST", "/ui/funds/"+caseID+"/traces", url.Values{"rule": {"fifo"}, "currency": {"EUR"}}, "Accept-Language", "fr")
	if p.Status != http.StatusUnprocessableEntity || !strings.Contains(p.Body, "Paiements des victimes") || !strings.Contains(p.Body, "cochez au moins un paiement") {
		t.Errorf("a trace without a victim payment, in French: %d\n%s", p.Status, p.Body)
	}
	p = b.do(t, "POST", "/ui/funds/"+caseID+"/traces", url.Values{"sources": {strconv.FormatInt(int64(victim), 10)}, "rule": {"fifo"}, "currency": {"euro"}})
	if p.Status != http.StatusUnprocessableEntity || !strings.Contains(p.Body, "Currency of the result") {
		t.Errorf("a trace in currency euro: %d\n%s", p.Status, p.Body)
	}
	// The central authority drafts the freezing requests of a trace:
	// each State where funds sit gets one, linked from the page.
	ca := tn.signedIn(t, "FRA", identity.CentralAuthority)
	p = b.do(t, "POST", "/ui/funds/"+caseID+"/traces", url.Values{"sources": {strconv.FormatInt(int64(victim), 10)}, "rule": {"fifo"}, "currency": {"EUR"}})
	trace := p.Location
	if p := ca.do(t, "GET", trace, nil); !strings.Contains(p.Body, `id="freeze-form"`) {
		t.Errorf("the central authority's trace page has no form to prepare freezing requests")
	}
	if p := b.do(t, "GET", trace, nil); strings.Contains(p.Body, `id="freeze-form"`) {
		t.Errorf("the investigator's trace page offers to prepare freezing requests, which the role may not")
	}
	p = ca.do(t, "POST", trace+"/freezing", url.Values{"facts": {""}, "requesting_authority": {"Parquet de Paris"}, "offences": {"10"}})
	if p.Status != http.StatusUnprocessableEntity || !strings.Contains(p.Body, "Statement of the facts") {
		t.Errorf("freezing requests without facts: %d, want 422 naming the field\n%s", p.Status, p.Body)
	}
	// In French, the field left empty is said to be required in French.
	p = ca.do(t, "POST", trace+"/freezing", url.Values{"facts": {""}, "requesting_authority": {"Parquet de Paris"}, "offences": {"10"}}, "Accept-Language", "fr")
	if !strings.Contains(p.Body, "obligatoire : exposé des faits") || strings.Contains(p.Body, "required: ") {
		t.Errorf("freezing requests without facts, in French: the problem is not said in French\n%s", p.Body)
	}
	p = ca.do(t, "POST", trace+"/freezing", url.Values{"facts": {"A romance scam."}, "requesting_authority": {"Parquet de Paris"}, "offences": {"10"}})
	if p.Status != 200 || !strings.Contains(p.Body, `id="drafts"`) || !strings.Contains(p.Body, `href="/ui/requests/`) {
		t.Errorf("freezing requests: %d, want the drafts listed with links\n%s", p.Status, p.Body)
	}
	// The recovery dashboard answers, and lists the assets the drafts
	// made.
	p = ca.do(t, "GET", "/ui/funds/recovery", nil)
	step := regexp.MustCompile(`action="(/ui/funds/[^"]+/assets/[^"]+/steps)"`).FindStringSubmatch(p.Body)
	if p.Status != 200 || !strings.Contains(p.Body, `id="rec-bycase"`) || step == nil {
		t.Fatalf("GET /ui/funds/recovery after drafting: %d\n%s", p.Status, p.Body)
	}
	// An asset just traced is offered the steps that may follow it only.
	if strings.Contains(p.Body, `<option value="traced"`) || !strings.Contains(p.Body, `<option value="frozen"`) || strings.Contains(p.Body, `<option value="returned"`) {
		t.Errorf("the step form of a traced asset offers other steps than those that follow it\n%s", p.Body)
	}
	if p := ca.do(t, "POST", step[1], url.Values{"status": {"frozen"}, "amount": {"12,5"}}); p.Status != http.StatusUnprocessableEntity || !strings.Contains(p.Body, "Amount") {
		t.Errorf("a step of amount 12,5: %d, want 422 naming the amount\n%s", p.Status, p.Body)
	}
	if p := ca.do(t, "POST", step[1], url.Values{"status": {"frozen"}, "amount": {"1000.00"}}); p.Status != http.StatusSeeOther {
		t.Errorf("a step to frozen: %d\n%s", p.Status, p.Body)
	}
	if p := ca.do(t, "GET", "/ui/funds/recovery", nil); !strings.Contains(p.Body, "1000.00 EUR") {
		t.Errorf("the dashboard does not count the 1000.00 EUR frozen\n%s", p.Body)
	}

	// art 36: once the statement is disposed of, the case says its
	// records left with it.
	if _, err := tn.Node.DisposeEvidence(t.Context(), actor("FRA", identity.CentralAuthority), sent.ID, item, "retention period ended"); err != nil {
		t.Fatal(err)
	}
	if p := b.do(t, "GET", "/ui/funds/"+caseID, nil, "Accept-Language", "fr"); p.Status != 200 || !strings.Contains(p.Body, "ses relevés ont quitté") {
		t.Errorf("the case's page does not say the statement's records left with it: %d\n%s", p.Status, p.Body)
	}
}

// TestLocatorText checks that a CSV record's line is said in the page's
// language, and an XML path as the file writes it.
func TestLocatorText(t *testing.T) {
	for _, tc := range []struct{ lang, loc, want string }{
		{"fr", "line 12", "ligne 12"},
		{"zh", "line 3", "第 3 行"},
		{"en", "Stmt[1]/Ntry[2]", "Stmt[1]/Ntry[2]"},
	} {
		var got string
		r := httptest.NewRequest("GET", "/ui/funds", nil)
		r.Header.Set("Accept-Language", tc.lang)
		withLocale(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) { got = locatorText(r, tc.loc) })).ServeHTTP(httptest.NewRecorder(), r)
		if got != tc.want {
			t.Errorf("%s: locatorText(%q) = %q, want %q", tc.lang, tc.loc, got, tc.want)
		}
	}
}
