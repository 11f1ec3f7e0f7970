package web

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"entraide/internal/identity"
)

// FuzzCreateRequest posts arbitrary bodies to POST /api/v1/requests and
// expects a JSON answer that is never a 5xx and never holds the token.
func FuzzCreateRequest(f *testing.F) {
	tn := newTestNode(f, "sqlite")
	token := tn.token(f, "FRA", identity.CentralAuthority)
	for _, c := range []any{preservationContents("VNM"), mlaContents("ZAF"), storedDataAccessContents("VNM", "x")} {
		b, _ := json.Marshal(c)
		f.Add(string(b))
	}
	for _, s := range []string{
		``, `{}`, `null`, `[]`, `"x"`, `{"kind":5}`, `{"kind":"preservation"}`, `{"bogus":1}`, `{} {}`, `{"kind":`,
		`{"kind":"preservation","requested_state":"VNM","fields":{"a":"\u0000"}}`,
		`{"kind":"preservation","offences":[{"article":1e999}]}`,
		`{"kind":"preservation","attachments":[{"name":"a","size":-1,"sha256":"` + strings.Repeat("0", 64) + `"}]}`,
		`{"kind":"preservation","requested_state":"vn","follow_up_of":"00000000-0000-0000-0000-000000000000"}`,
		"{\"kind\":\"\xff\"}",
		strings.Repeat("[", 1000),
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		req := httptest.NewRequestWithContext(t.Context(), "POST", "/api/v1/requests", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+token)
		rec := httptest.NewRecorder()
		tn.Handler.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("status %d for body %q: %s", rec.Code, body, rec.Body)
		}
		if rec.Code != http.StatusCreated && rec.Code < 400 {
			t.Errorf("status %d, want 201 or a 4xx", rec.Code)
		}
		if !json.Valid(rec.Body.Bytes()) {
			t.Fatalf("status %d: the body is not JSON: %q", rec.Code, rec.Body)
		}
		if ct := rec.Header().Get("Content-Type"); ct != "application/json" && ct != "application/problem+json" {
			t.Errorf("Content-Type %q", ct)
		}
		if strings.Contains(rec.Body.String(), token) {
			t.Fatalf("the response holds the caller's token")
		}
		// And everything the API promises of any response.
		tn.check(t, req, response{Status: rec.Code, Header: rec.Header(), Body: rec.Body.Bytes()})
	})
}
