package web

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"entraide/internal/directory"
	"entraide/internal/identity"
	"entraide/internal/store/storetest"
)

// TestRequestLetter: the letter of a request is a PDF whose form is in
// the first language the requested State accepts (art. 40(14)), or in
// the one asked for; it carries the SHA-256 and leaf index of the
// request's record in the node's log.
func TestRequestLetter(t *testing.T) {
	for _, backend := range storetest.Backends {
		t.Run(backend, func(t *testing.T) {
			tn := newTestNode(t, backend)
			if _, err := tn.Node.PutProfile(t.Context(), tn.Node.AdminOf(tn.Node.Home()), directory.Profile{Code: "VNM",
				CentralAuthority: directory.Authority{Name: "Ministry of Public Security"},
				Contact247:       directory.Contact{Name: "A05", Phone: "+84 24 0000 0000"},
				Languages:        []string{"vi", "fr", "en"}}); err != nil {
				t.Fatalf("PutProfile(VNM): %v", err)
			}
			r := tn.draft(t, actor("FRA", identity.CentralAuthority), preservationContents("VNM"))
			token := tn.token(t, "FRA", identity.CentralAuthority)

			res := tn.do(t, "GET", "/api/v1/requests/"+r.ID+"/letter.pdf", token, nil)
			if res.Status != http.StatusOK || res.Header.Get("Content-Type") != "application/pdf" || !strings.HasPrefix(string(res.Body), "%PDF-") {
				t.Fatalf("GET letter.pdf = %d %s: %.300s", res.Status, res.Header.Get("Content-Type"), res.Body)
			}
			if got := res.Header.Get("Content-Language"); got != "fr" {
				t.Errorf("art 40(14): the letter to a State accepting vi, fr, en is in %q, want fr", got)
			}
			if res := tn.do(t, "GET", "/api/v1/requests/"+r.ID+"/letter.pdf?lang=ru", token, nil); res.Header.Get("Content-Language") != "ru" {
				t.Errorf("GET letter.pdf?lang=ru = %d in %q, want ru", res.Status, res.Header.Get("Content-Language"))
			}
			if res := tn.do(t, "GET", "/api/v1/requests/"+r.ID+"/letter.pdf?lang=de", token, nil); res.Status != http.StatusBadRequest || !strings.Contains(string(res.Body), `"lang"`) {
				t.Errorf("GET letter.pdf?lang=de = %d %s, want 400 naming lang", res.Status, res.Body)
			}

			pdftotext, err := exec.LookPath("pdftotext")
			if err != nil {
				t.Skip("pdftotext not found (poppler-utils): the letter's log reference is not read back")
			}
			e, err := tn.Node.DB().RequestRecord(t.Context(), "FRA", r.ID)
			if err != nil || e.LeafIndex == nil {
				t.Fatalf("RequestRecord = %+v, %v; want the record of the creation, in the log", e, err)
			}
			sum := sha256.Sum256(e.Record)
			file := filepath.Join(t.TempDir(), "letter.pdf")
			if err := os.WriteFile(file, res.Body, 0o600); err != nil {
				t.Fatal(err)
			}
			out, err := exec.Command(pdftotext, file, "-").Output()
			if err != nil {
				t.Fatal(err)
			}
			for _, want := range []string{"État requérant", hex.EncodeToString(sum[:]), "index=" + strconv.FormatInt(*e.LeafIndex, 10), "/log/checkpoint"} {
				if !strings.Contains(string(out), want) {
					t.Errorf("the letter lacks %q:\n%s", want, out)
				}
			}
		})
	}
}
