package web

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"entraide/internal/identity"
	"entraide/internal/requestid"
)

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestRequestID: each answer carries its request's id, the caller's if
// sane, and the JSON log line of the request carries it too; the
// caller's bearer token is in no log line, even for a refused call.
func TestRequestID(t *testing.T) {
	var logs syncBuffer
	tn := newTestNodeWith(t, "sqlite", steppingClock(testEpoch, time.Second), slog.New(slog.NewJSONHandler(&logs, nil)))
	ca := tn.token(t, "FRA", identity.CentralAuthority)
	r := tn.requestWithHeader(t, "GET", "/api/v1/requests", "Bearer "+ca, "", nil, http.Header{requestid.Header: {"abc.123_x-y"}})
	if r.Status != 200 || r.Header.Get(requestid.Header) != "abc.123_x-y" {
		t.Fatalf("GET /api/v1/requests: status %d, %s %q, want 200 and the caller's id", r.Status, requestid.Header, r.Header.Get(requestid.Header))
	}
	r = tn.requestWithHeader(t, "GET", "/api/v1/requests", "Bearer "+ca+"x", "", nil, http.Header{requestid.Header: {strings.Repeat("a", 65)}})
	refused := r.Header.Get(requestid.Header)
	if r.Status != http.StatusUnauthorized || !requestid.Valid(refused) || len(refused) == 65 {
		t.Fatalf("a bad token with a 65-character id: status %d, id %q, want 401 and a new id", r.Status, refused)
	}
	if a, b := tn.do(t, "GET", "/healthz", "", nil).Header.Get(requestid.Header), tn.do(t, "GET", "/healthz", "", nil).Header.Get(requestid.Header); a == "" || a == b {
		t.Errorf("two calls without an id got %q and %q, want two new ids", a, b)
	}
	raw := logs.String()
	if strings.Contains(raw, ca) {
		t.Fatalf("the bearer token is in the logs:\n%s", raw)
	}
	found := map[string]bool{}
	for _, l := range strings.Split(strings.TrimSpace(raw), "\n") {
		var rec map[string]any
		if err := json.Unmarshal([]byte(l), &rec); err != nil {
			t.Fatalf("log line not JSON: %v: %s", err, l)
		}
		if rec["msg"] == "request" {
			id, _ := rec[requestid.Attr].(string)
			found[id] = true
			if rec["route"] == nil || rec["status"] == nil {
				t.Errorf("request line %s, want its route and status", l)
			}
		}
	}
	for _, id := range []string{"abc.123_x-y", refused} {
		if !found[id] {
			t.Errorf("no request line with request_id %q in:\n%s", id, raw)
		}
	}
}
