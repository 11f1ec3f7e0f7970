package ui

import (
	"strings"
	"testing"

	"entraide/internal/identity"
	"entraide/internal/store/storetest"
)

// TestLetter: the request page links to the request's formal letter, a
// PDF in the language the official picks or one the requested State
// accepts.
func TestLetter(t *testing.T) {
	tn := newTestNode(t, storetest.Backends[0])
	r, err := tn.Node.CreateRequest(t.Context(), actor("FRA", identity.CentralAuthority), preservationContents("VNM"))
	if err != nil {
		t.Fatal(err)
	}
	b := tn.signedIn(t, "FRA", identity.CentralAuthority)
	p := b.do(t, "GET", "/ui/requests/"+r.ID, nil)
	if link := `href="/ui/requests/` + r.ID + `/letter.pdf"`; p.Status != 200 || !strings.Contains(p.Body, link) {
		t.Fatalf("GET /ui/requests/%s = %d, want 200 with a link %s", r.ID, p.Status, link)
	}
	for _, lang := range []string{"", "ar", "ru"} {
		p := b.do(t, "GET", "/ui/requests/"+r.ID+"/letter.pdf?lang="+lang, nil)
		if p.Status != 200 || !strings.HasPrefix(p.Body, "%PDF-") {
			t.Errorf("GET letter.pdf?lang=%s = %d %.100q, want a PDF", lang, p.Status, p.Body)
		}
	}
	if p := b.do(t, "GET", "/ui/requests/"+r.ID+"/letter.pdf?lang=de", nil); p.Status != 422 || !strings.Contains(p.Body, "lang") {
		t.Errorf("GET letter.pdf?lang=de = %d, want 422 naming lang:\n%.2000s", p.Status, p.Body)
	}
}
