package ui

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"entraide/internal/casework"
	"entraide/internal/identity"
)

// TestTransparencyPage reads the public report of 2025, once published,
// in each language, without signing in: FRA sent six preservations to ZAF
// that year, which the page counts; it names none of them.
func TestTransparencyPage(t *testing.T) {
	tn := newTestNode(t, "sqlite")
	ctx := t.Context()
	back := 270 * 24 * time.Hour
	tn.Clock.Add(-back) // to June 2025
	ca := actor("FRA", identity.CentralAuthority)
	var ids []string
	for range 6 {
		r, err := tn.Node.CreateRequest(ctx, ca, preservationContents("ZAF"))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tn.Node.Transition(ctx, ca, r.ID, casework.Transition{Action: casework.Send}); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, r.ID)
	}
	tn.Clock.Add(back)
	anon := tn.browser()
	if got := anon.do(t, "GET", "/transparency", nil); got.Status != http.StatusNotFound {
		t.Errorf("unpublished: %d, want 404", got.Status)
	}
	if _, err := tn.Node.SetTransparencyPublication(ctx, tn.Node.Admin(), true); err != nil {
		t.Fatal(err)
	}
	titles := map[string]string{"en": "Transparency report", "fr": "Rapport de transparence", "es": "Informe de transparencia",
		"ru": "Доклад о прозрачности", "zh": "透明度报告", "ar": "تقرير الشفافية"}
	for lang, title := range titles {
		got := anon.do(t, "GET", "/transparency?year=2025&lang="+lang, nil)
		if got.Status != http.StatusOK || !strings.Contains(got.Body, title) || !strings.Contains(got.Body, `lang="`+lang+`"`) {
			t.Errorf("lang=%s: %d, want the page titled %q\n%s", lang, got.Status, title, got.Body)
			continue
		}
		// Six sent, six pending: the row of preservations and the total.
		if !strings.Contains(got.Body, "<td>6</td>") {
			t.Errorf("lang=%s: the six preservations sent are not counted\n%s", lang, got.Body)
		}
		for _, id := range ids {
			if strings.Contains(got.Body, id) {
				t.Errorf("lang=%s: the page names request %s", lang, id)
			}
		}
	}
	// The browser's language, when the link names none.
	if got := anon.do(t, "GET", "/transparency?year=2025", nil, "Accept-Language", "es"); !strings.Contains(got.Body, "Informe de transparencia") {
		t.Errorf("Accept-Language es: %d\n%s", got.Status, got.Body)
	}
}
