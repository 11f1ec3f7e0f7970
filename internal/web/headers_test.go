package web

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"entraide/internal/identity"
)

// TestCacheControl: every API answer that may carry case data says
// no-store, errors included; the OpenAPI document and the Convention's
// texts may be cached.
func TestCacheControl(t *testing.T) {
	tn := newTestNode(t, "sqlite")
	ca := tn.token(t, "FRA", identity.CentralAuthority)
	req := tn.create(t, ca, preservationContents("VNM"))
	for _, tc := range []struct {
		name, method, path, token string
		body                      any
		noStore                   bool
	}{
		{"a request", "GET", "/api/v1/requests/" + req.ID, ca, nil, true},
		{"the list", "GET", "/api/v1/requests", ca, nil, true},
		{"a draft", "POST", "/api/v1/requests", ca, preservationContents("ZAF"), true},
		{"a refusal", "GET", "/api/v1/requests/no-such-id", ca, nil, true},
		{"no token", "GET", "/api/v1/requests", "", nil, true},
		{"the treaty", "GET", "/api/v1/treaty", ca, nil, true},
		{"the OpenAPI document", "GET", "/api/v1/openapi.json", "", nil, false},
		{"the kinds", "GET", "/api/v1/convention/kinds", ca, nil, false},
		{"the health check", "GET", "/healthz", "", nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := tn.do(t, tc.method, tc.path, tc.token, tc.body)
			if got := r.Header.Get("Cache-Control"); (got == "no-store") != tc.noStore {
				t.Errorf("%s %s: Cache-Control %q, want no-store: %v", tc.method, tc.path, got, tc.noStore)
			}
			if got := r.Header.Get("Strict-Transport-Security"); got != "" {
				t.Errorf("%s %s over plain HTTP: Strict-Transport-Security %q, want none", tc.method, tc.path, got)
			}
		})
	}
}

// TestHSTS: an answer over TLS tells the browser to keep to HTTPS.
func TestHSTS(t *testing.T) {
	tn := newTestNode(t, "sqlite")
	srv := httptest.NewTLSServer(tn.Handler)
	t.Cleanup(srv.Close)
	for _, path := range []string{"/healthz", "/api/v1/openapi.json", "/api/v1/nowhere"} {
		resp, err := srv.Client().Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if got := resp.Header.Get("Strict-Transport-Security"); !strings.HasPrefix(got, "max-age=31536000") {
			t.Errorf("GET %s over TLS: Strict-Transport-Security %q, want max-age=31536000", path, got)
		}
	}
}

// TestUnknownQueryParameters: a parameter a route does not take is a 400
// naming it, not a filter silently dropped.
func TestUnknownQueryParameters(t *testing.T) {
	tn := newTestNode(t, "sqlite")
	ca := tn.token(t, "FRA", identity.CentralAuthority)
	admin := tn.token(t, "FRA", identity.Administrator)
	for _, tc := range []struct {
		path, token, field string
	}{
		{"/api/v1/requests?stat=draft", ca, "stat"},
		{"/api/v1/requests?state=draft&knd=preservation", ca, "knd"},
		{"/api/v1/alerts?opened=true", ca, "opened"},
		{"/api/v1/alerts/stream?follow=false&since=3", ca, "since"},
		{"/api/v1/audit?after=0&page=2", admin, "page"},
		{"/api/v1/users?role=auditor", admin, "role"},
		{"/api/v1/roster?user=x", admin, "user"},
	} {
		r := tn.do(t, "GET", tc.path, tc.token, nil)
		p := wantProblem(t, r, http.StatusBadRequest, tc.field, "")
		if !strings.Contains(p.Detail, tc.field) {
			t.Errorf("GET %s: detail %q, want it to name %q", tc.path, p.Detail, tc.field)
		}
	}
	// Known parameters still work.
	if r := tn.do(t, "GET", "/api/v1/requests?state=draft&limit=5", ca, nil); r.Status != http.StatusOK {
		t.Errorf("GET /api/v1/requests?state=draft&limit=5: status %d, want 200; body %s", r.Status, r.Body)
	}
}

// TestBehindTLSProxy: a node behind a proxy that ends TLS serves plain
// HTTP, but its browsers are on HTTPS: it sends HSTS and marks the UI's
// cookies Secure; the same node reached directly over plain HTTP does
// neither, or a browser on http://localhost could not keep its cookies.
func TestBehindTLSProxy(t *testing.T) {
	tn := newTestNode(t, "sqlite")
	for _, proxied := range []bool{true, false} {
		s := newServer(tn.Node, tn.server.log, Config{Limits: testLimits, BehindTLSProxy: proxied})
		srv := httptest.NewServer(s.handler)
		t.Cleanup(srv.Close)
		c := srv.Client()
		c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
		resp, err := c.PostForm(srv.URL+"/ui/lang", url.Values{"lang": {"fr"}, "next": {"/ui/"}})
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		hsts := resp.Header.Get("Strict-Transport-Security") != ""
		var secure, found bool
		for _, c := range resp.Cookies() {
			found, secure = true, c.Secure
		}
		if !found || hsts != proxied || secure != proxied {
			t.Errorf("behind a TLS proxy %v: HSTS %v, a cookie %v, Secure %v; want HSTS and Secure %v", proxied, hsts, found, secure, proxied)
		}
	}
}
