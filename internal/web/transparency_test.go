package web

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"

	"entraide/internal/identity"
	"entraide/internal/store"
)

// readAggregates calls the public aggregate route c without a token, the
// report published, and checks that its answer holds nothing of v's; so
// does the report of the current year, the one holding v's requests,
// which the node only exports.
func readAggregates(t *testing.T, tn *testNode, c crossCall, v victimData) {
	t.Helper()
	if _, err := tn.Node.SetTransparencyPublication(t.Context(), tn.Node.Admin(), true); err != nil {
		t.Fatal(err)
	}
	got := tn.callWith(t, "GET", "", c.victims(v))
	if got.Status != http.StatusOK {
		t.Errorf("%s without a token: %d %s", c.victims(v).path, got.Status, got.Body)
	}
	now := tn.Node.Now()
	rep, err := tn.Node.TransparencyReport(t.Context(), now.AddDate(0, -1, 0), now)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := rep.WriteJSON(&buf); err != nil {
		t.Fatal(err)
	}
	if n, shown := rep.Sent.Total.Total.Value(); shown && n == 0 {
		t.Errorf("the report of this year does not count the requests sent: %s", buf.String())
	}
	for _, body := range [][]byte{got.Body, buf.Bytes()} {
		for _, m := range v.markers() {
			if m != "" && bytes.Contains(body, []byte(m)) {
				t.Errorf("the transparency report holds %s's %q:\n%s", v.state, m, body)
			}
		}
	}
}

// TestTransparencyReport reads the report as the public does: nothing
// before the State's administrators publish it, then the last year that
// ended, or another that has; the switch is audited, and only the home
// State's administrators may make it.
func TestTransparencyReport(t *testing.T) {
	tn := newTestNode(t, "sqlite")
	r := tn.do(t, "GET", "/api/v1/transparency", "", nil)
	if p := wantProblem(t, r, http.StatusNotFound, "transparency", "art. 57"); !strings.Contains(p.Detail, "entraide transparency publish") {
		t.Errorf("not published: %s, want the command that publishes", p.Detail)
	}
	if r := getPage(t, tn, "/transparency"); r.Status != http.StatusNotFound || !bytes.Contains(r.Body, []byte("does not publish")) {
		t.Errorf("GET /transparency unpublished: %d %s", r.Status, r.Body)
	}
	// A hosted State's administrator may not publish the home State's
	// report; the home State's may.
	wantProblem(t, tn.do(t, "PUT", "/api/v1/transparency/publication", tn.token(t, "VNM", identity.Administrator), publicationInput{Published: true}),
		http.StatusForbidden, "state", "")
	wantProblem(t, tn.do(t, "PUT", "/api/v1/transparency/publication", tn.token(t, "FRA", identity.CentralAuthority), publicationInput{Published: true}),
		http.StatusForbidden, "role", "")
	admin := tn.token(t, "FRA", identity.Administrator)
	if r := tn.do(t, "PUT", "/api/v1/transparency/publication", admin, publicationInput{Published: true}); r.Status != http.StatusOK {
		t.Fatalf("publish: %d %s", r.Status, r.Body)
	}
	integrateLog(t, tn)
	entries, err := tn.Node.DB().AuditLog(t.Context(), "FRA", 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(entries, func(e store.AuditEntry) bool { return bytes.Contains(e.Record, []byte("transparency.publish")) }) {
		t.Errorf("no audit record of the publication")
	}

	r = tn.do(t, "GET", "/api/v1/transparency", "", nil)
	if r.Status != http.StatusOK {
		t.Fatalf("published: %d %s", r.Status, r.Body)
	}
	var rep struct{ State, From, To string }
	if err := json.Unmarshal(r.Body, &rep); err != nil {
		t.Fatal(err)
	}
	// The test clock is in 2026: the last year that ended is 2025.
	if rep.State != "FRA" || rep.From != "2025-01-01" || rep.To != "2025-12-31" {
		t.Errorf("report of %+v, want FRA's of 2025", rep)
	}
	if r := tn.do(t, "GET", "/api/v1/transparency?year=2024", "", nil); r.Status != http.StatusOK || !bytes.Contains(r.Body, []byte(`"from": "2024-01-01"`)) && !bytes.Contains(r.Body, []byte(`"from":"2024-01-01"`)) {
		t.Errorf("year=2024: %d %s", r.Status, r.Body)
	}
	wantProblem(t, tn.do(t, "GET", "/api/v1/transparency?year=2026", "", nil), http.StatusUnprocessableEntity, "year", "art. 57")
	wantProblem(t, tn.do(t, "GET", "/api/v1/transparency?year=last", "", nil), http.StatusBadRequest, "year", "")
	wantProblem(t, tn.do(t, "GET", "/api/v1/transparency?from=2025-01-01", "", nil), http.StatusBadRequest, "from", "")
	page := getPage(t, tn, "/transparency?lang=fr&year=2025")
	if page.Status != http.StatusOK || !bytes.Contains(page.Body, []byte("Rapport de transparence")) || page.Header.Get("Content-Language") != "fr" {
		t.Errorf("GET /transparency?lang=fr: %d %s", page.Status, page.Body)
	}

	if r := tn.do(t, "PUT", "/api/v1/transparency/publication", admin, publicationInput{Published: false}); r.Status != http.StatusOK {
		t.Fatalf("unpublish: %d %s", r.Status, r.Body)
	}
	wantProblem(t, tn.do(t, "GET", "/api/v1/transparency", "", nil), http.StatusNotFound, "transparency", "")
}

// TestTransparencyReportLimited checks that an address calling the public
// report, page or JSON, too often is answered 429 with when to retry.
func TestTransparencyReportLimited(t *testing.T) {
	limits := testLimits
	limits.PublicReports = 3
	tn := newLimitedNode(t, "sqlite", limits)
	if _, err := tn.Node.SetTransparencyPublication(t.Context(), tn.Node.Admin(), true); err != nil {
		t.Fatal(err)
	}
	for i, path := range []string{"/api/v1/transparency", "/transparency", "/api/v1/transparency"} {
		if r := tn.do(t, "GET", path, "", nil); r.Status != http.StatusOK {
			t.Fatalf("call %d of %s: %d %s", i+1, path, r.Status, r.Body)
		}
	}
	for _, path := range []string{"/api/v1/transparency", "/transparency"} {
		r := tn.do(t, "GET", path, "", nil)
		wantProblem(t, r, http.StatusTooManyRequests, "address", "")
		if r.Header.Get("Retry-After") == "" {
			t.Errorf("%s limited without Retry-After", path)
		}
	}
}

// getPage reads a page of the UI, which answers in HTML, not in problems.
func getPage(t *testing.T, tn *testNode, path string) response {
	t.Helper()
	res, err := tn.Client.Get(tn.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{Status: res.StatusCode, Header: res.Header, Body: body}
}
