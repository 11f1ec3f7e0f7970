package web

import (
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/text/unicode/norm"

	"entraide/internal/identity"
	"entraide/internal/store/storetest"
)

func init() {
	routeCases["GET /api/v1/funds/cases/{id}/traces/{trace}/report.pdf"] = func(t *testing.T, tn *testNode, s string) routeCall {
		c, tr := tn.fundsTrace(t, s)
		return routeCall{path: "/api/v1/funds/cases/" + c + "/traces/" + tr + "/report.pdf?lang=fr"}
	}
	crossCalls["GET /api/v1/funds/cases/{id}/traces/{trace}/report.pdf"] = crossCall{reach: byPath,
		victims: func(v victimData) routeCall {
			return routeCall{path: "/api/v1/funds/cases/" + v.tracedCase + "/traces/" + v.fundsTrace + "/report.pdf"}
		},
		absent: func(victimData) routeCall {
			return routeCall{path: "/api/v1/funds/cases/" + missingID + "/traces/" + missingID + "/report.pdf"}
		}}
}

// TestTraceReport: the report of a trace is a PDF in the language asked
// for, whose text gives the victim's payment, the account that holds the
// funds and the record each hop came from.
func TestTraceReport(t *testing.T) {
	for _, backend := range storetest.Backends {
		t.Run(backend, func(t *testing.T) {
			tn := newTestNode(t, backend)
			caseID, trace := tn.fundsTrace(t, "FRA")
			token := tn.token(t, "FRA", identity.Investigator)
			path := "/api/v1/funds/cases/" + caseID + "/traces/" + trace + "/report.pdf"
			res := tn.do(t, "GET", path+"?lang=ar", token, nil)
			if res.Status != http.StatusOK || res.Header.Get("Content-Type") != "application/pdf" || res.Header.Get("Content-Language") != "ar" {
				t.Fatalf("GET report.pdf?lang=ar = %d %s in %q: %.300s", res.Status, res.Header.Get("Content-Type"), res.Header.Get("Content-Language"), res.Body)
			}
			if res := tn.do(t, "GET", path+"?lang=de", token, nil); res.Status != http.StatusBadRequest || !strings.Contains(string(res.Body), `"lang"`) {
				t.Errorf("GET report.pdf?lang=de = %d %s, want 400 naming lang", res.Status, res.Body)
			}
			res = tn.do(t, "GET", path, token, nil)
			if res.Header.Get("Content-Language") != "en" {
				t.Errorf("GET report.pdf = %d in %q, want English by default", res.Status, res.Header.Get("Content-Language"))
			}
			pdftotext, err := exec.LookPath("pdftotext")
			if err != nil {
				t.Skip("pdftotext not found (poppler-utils): the report is not read back")
			}
			file := filepath.Join(t.TempDir(), "report.pdf")
			if err := os.WriteFile(file, res.Body, 0o600); err != nil {
				t.Fatal(err)
			}
			out, err := exec.Command(pdftotext, "-enc", "UTF-8", file, "-").Output()
			if err != nil {
				t.Fatal(err)
			}
			got := norm.NFKC.String(string(out))
			for _, w := range []string{"Report of a trace of funds", "Romance scam of FRA", "50000.00 EUR", "FR1420041010050500013M02606", victimPayment, "Stmt[1]/Ntry[1]"} {
				if !strings.Contains(got, w) {
					t.Errorf("the report's text lacks %q:\n%s", w, got)
				}
			}
		})
	}
}
