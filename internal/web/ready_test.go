package web

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// notReady calls /readyz on tn's handler itself: tn.do holds every
// answer to "no 5xx", and a node that is not ready answers 503.
func notReady(t *testing.T, tn *testNode) (response, readiness) {
	t.Helper()
	rec := httptest.NewRecorder()
	tn.Handler.ServeHTTP(rec, httptest.NewRequestWithContext(t.Context(), "GET", "/readyz", nil))
	r := response{Status: rec.Code, Header: rec.Header(), Body: rec.Body.Bytes()}
	if r.Status != http.StatusServiceUnavailable {
		t.Fatalf("GET /readyz: status %d, want 503; body %s", r.Status, r.Body)
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/problem+json" {
		t.Errorf("GET /readyz: Content-Type %q, want application/problem+json", ct)
	}
	p := decodeBody[Problem](t, r)
	if p.Type != typeNotReady || p.Detail == "" || p.Readiness == nil {
		t.Fatalf("GET /readyz: problem %+v, want %s with a detail and the checks", p, typeNotReady)
	}
	return r, *p.Readiness
}

func readyChecks(out readiness) map[string]readyCheck {
	checks := map[string]readyCheck{}
	for _, c := range out.Checks {
		checks[c.Name] = c
	}
	return checks
}

// TestReady: /readyz answers 200 while the database and the evidence
// store answer and the Merkle log keeps up, and 503 naming the failing
// check when one of them does not.
func TestReady(t *testing.T) {
	t.Run("ready", func(t *testing.T) {
		tn := newTestNode(t, "sqlite")
		if _, err := tn.Node.IntegrateLog(t.Context()); err != nil {
			t.Fatalf("IntegrateLog: %v", err)
		}
		r := tn.do(t, "GET", "/readyz", "", nil)
		if r.Status != http.StatusOK {
			t.Fatalf("GET /readyz: status %d, want 200; body %s", r.Status, r.Body)
		}
		out := decodeBody[readiness](t, r)
		if out.Status != "ready" || out.LogLag != 0 || out.LogMaxLag != DefaultReadyLogLag {
			t.Errorf("GET /readyz: %+v, want ready with no lag under the default bound", out)
		}
		for _, name := range []string{"database", "evidence_store", "log"} {
			if c := readyChecks(out)[name]; c.State != "ok" {
				t.Errorf("check %s: %+v, want ok", name, c)
			}
		}
	})
	t.Run("log behind", func(t *testing.T) {
		tn := newTestNode(t, "sqlite")
		tn.server.readyLogLag = 1 // the node's set-up left more records than that to integrate
		_, out := notReady(t, tn)
		if c := readyChecks(out)["log"]; c.State != "failing" || c.Detail == "" || out.LogLag <= 1 {
			t.Errorf("log check %+v with lag %d, want failing with a lag over 1", c, out.LogLag)
		}
		if c := readyChecks(out)["database"]; c.State != "ok" {
			t.Errorf("database check %+v, want ok", c)
		}
	})
	t.Run("evidence store closed", func(t *testing.T) {
		tn := newTestNode(t, "sqlite")
		v := testVault(t)
		tn.Node.SetVault(v)
		v.Close()
		_, out := notReady(t, tn)
		if c := readyChecks(out)["evidence_store"]; c.State != "failing" {
			t.Errorf("evidence store check %+v, want failing", c)
		}
	})
	t.Run("database closed", func(t *testing.T) {
		tn := newTestNode(t, "sqlite")
		tn.Node.DB().Close()
		_, out := notReady(t, tn)
		checks := readyChecks(out)
		if c := checks["database"]; c.State != "failing" || c.Detail == "" {
			t.Errorf("database check %+v, want failing with a detail", c)
		}
		if c := checks["log"]; c.State != "failing" {
			t.Errorf("log check %+v, want failing: its lag is read from the closed database", c)
		}
	})
}
