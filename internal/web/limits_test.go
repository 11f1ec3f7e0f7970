package web

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/time/rate"

	"entraide/internal/federation"
	"entraide/internal/identity"
	"entraide/internal/store/storetest"
)

// auditCount returns how many records tn's audit log holds, for all
// the States it hosts.
func auditCount(t *testing.T, tn *testNode) int {
	t.Helper()
	if _, err := tn.Node.IntegrateLog(t.Context()); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, state := range testStates {
		es, err := tn.Node.DB().AuditLog(t.Context(), state, 0, 1_000_000)
		if err != nil {
			t.Fatalf("AuditLog(%s): %v", state, err)
		}
		n += len(es)
	}
	return n
}

// wantRateLimited checks that r is a 429 naming limit, with a Retry-After
// of at least a second that the problem repeats.
func wantRateLimited(t *testing.T, r response, limit string) {
	t.Helper()
	if r.Status != http.StatusTooManyRequests {
		t.Fatalf("status %d, want 429; body %s", r.Status, r.Body)
	}
	p := r.problem(t)
	retry, err := strconv.Atoi(r.Header.Get("Retry-After"))
	if err != nil || retry < 1 || p.RetryAfter != retry {
		t.Errorf("Retry-After %q, problem retry_after %d; want the same number of seconds, 1 or more", r.Header.Get("Retry-After"), p.RetryAfter)
	}
	if p.Type != typeRateLimited || p.Limit != limit || len(p.Errors) == 0 {
		t.Errorf("problem %+v, want type %s naming the limit %s and the field", p, typeRateLimited, limit)
	}
}

// metricsText returns tn's metrics, read from another address than the
// tests' calls, whose budget they may have spent.
func metricsText(t *testing.T, tn *testNode) string {
	t.Helper()
	req := httptest.NewRequest("GET", "/metrics", nil)
	req.RemoteAddr = "192.0.2.200:4000"
	req.Header.Set("Authorization", "Bearer "+tn.token(t, "FRA", identity.Auditor))
	rec := httptest.NewRecorder()
	tn.Handler.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		t.Fatalf("GET /metrics: %d %s", rec.Code, rec.Body)
	}
	return rec.Body.String()
}

// wantMetric checks that text holds the series line with value.
func wantMetric(t *testing.T, text, series string, value int) {
	t.Helper()
	line := fmt.Sprintf("%s %d\n", series, value)
	if !strings.Contains(text, line) {
		var got []string
		name, _, _ := strings.Cut(series, "{")
		for l := range strings.Lines(text) {
			if strings.HasPrefix(l, name) {
				got = append(got, strings.TrimSpace(l))
			}
		}
		t.Errorf("metrics: want %q; have %q", strings.TrimSpace(line), got)
	}
}

// TestBadTokensFromOneAddressAreLimited: after AuthFailures bad tokens
// from one address, every call of the address with a token is a 429 until
// it may try again; other addresses are not held back. The failures are
// counted in security events and metrics, not in the audit log.
func TestBadTokensFromOneAddressAreLimited(t *testing.T) {
	const failures = 5
	tn := newLimitedNode(t, "sqlite", Limits{AuthFailures: failures})
	valid := tn.token(t, "FRA", identity.CentralAuthority)
	bad := changeLast(valid)
	audited := auditCount(t, tn)
	for i := range failures {
		if r := tn.do(t, "GET", "/api/v1/me", bad, nil); r.Status != http.StatusUnauthorized {
			t.Fatalf("bad token #%d: status %d, want 401; body %s", i+1, r.Status, r.Body)
		}
	}
	wantRateLimited(t, tn.do(t, "GET", "/api/v1/me", bad, nil), "auth_failures")
	// A right guess now would not be told apart from a wrong one.
	wantRateLimited(t, tn.do(t, "GET", "/api/v1/me", valid, nil), "auth_failures")

	req := httptest.NewRequest("GET", "/api/v1/me", nil)
	req.RemoteAddr = "198.51.100.7:5555"
	req.Header.Set("Authorization", "Bearer "+valid)
	rec := httptest.NewRecorder()
	tn.Handler.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		t.Errorf("valid token from another address: %d, want 200; body %s", rec.Code, rec.Body)
	}

	if n := auditCount(t, tn); n != audited {
		t.Errorf("audit log grew from %d to %d records with bad tokens, want no change", audited, n)
	}
	events, err := tn.Node.DB().SecurityEvents(t.Context(), 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(events) != failures {
		t.Fatalf("%d security events, want %d: one per failure within the budget", len(events), failures)
	}
	for _, e := range events {
		if e.Kind != "token" || e.Reason != "unknown_token" || e.Source != "127.0.0.1" || strings.Contains(e.Detail, bad) {
			t.Errorf("security event %+v, want an unknown token from 127.0.0.1, without the token", e)
		}
	}
	// The web UI's sign-in shares the budget, and its refusal is counted
	// with the API's.
	req = httptest.NewRequest("POST", "/ui/signin", strings.NewReader("login=ca-fra&password=x&code=000000"))
	req.RemoteAddr = "127.0.0.1:5555"
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	rec = httptest.NewRecorder()
	tn.Handler.ServeHTTP(rec, req)
	if rec.Code != http.StatusTooManyRequests {
		t.Errorf("sign-in from the blocked address: %d, want 429", rec.Code)
	}
	text := metricsText(t, tn)
	wantMetric(t, text, `entraide_refusals_total{kind="token",reason="unknown_token",verified="false"}`, failures)
	wantMetric(t, text, `entraide_rate_limited_total{limit="auth_failures"}`, 3)
}

// TestBadEnrolmentCodesAndRevokedTokensAreLimited: an enrolment code is
// a credential like a token. Wrong codes from one address spend its
// budget of failed authentications, the next call is a 429 even with the
// right code, and each refusal is a security event with its own reason,
// as is a revoked token's; none is audited.
func TestBadEnrolmentCodesAndRevokedTokensAreLimited(t *testing.T) {
	const failures = 4
	tn := newLimitedNode(t, "sqlite", Limits{AuthFailures: failures})
	e, err := tn.Node.IssueEnrolment(t.Context(), actor("FRA", identity.Administrator), "fra-investigator")
	if err != nil {
		t.Fatal(err)
	}
	revoked := tn.token(t, "FRA", identity.TwentyFourSeven)
	mine, err := tn.Node.Tokens(t.Context(), actor("FRA", identity.TwentyFourSeven), "")
	if err != nil || len(mine) != 1 {
		t.Fatalf("Tokens(fra-24_7) = %v, %v; want one token", mine, err)
	}
	if _, err := tn.Node.RevokeToken(t.Context(), actor("FRA", identity.TwentyFourSeven), "", mine[0].ID); err != nil {
		t.Fatal(err)
	}
	audited := auditCount(t, tn)

	if r := tn.do(t, "GET", "/api/v1/me", revoked, nil); r.Status != http.StatusUnauthorized {
		t.Fatalf("revoked token: status %d, want 401; body %s", r.Status, r.Body)
	}
	for i := range failures - 1 {
		r := tn.do(t, "POST", "/api/v1/enrol", "", enrolInput{Code: changeLast(e.Code)})
		if r.Status != http.StatusUnauthorized {
			t.Fatalf("wrong code #%d: status %d, want 401; body %s", i+1, r.Status, r.Body)
		}
	}
	wantRateLimited(t, tn.do(t, "POST", "/api/v1/enrol", "", enrolInput{Code: e.Code}), "auth_failures")
	wantRateLimited(t, tn.do(t, "GET", "/api/v1/me", tn.token(t, "FRA", identity.CentralAuthority), nil), "auth_failures")

	if n := auditCount(t, tn); n != audited {
		t.Errorf("audit log grew from %d to %d records with refused credentials, want no change", audited, n)
	}
	events, err := tn.Node.DB().SecurityEvents(t.Context(), 100)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int{}
	for _, ev := range events {
		got[ev.Kind+"/"+ev.Reason]++
		if strings.Contains(ev.Detail, e.Code[:len(e.Code)-1]) || strings.Contains(ev.Detail, revoked) {
			t.Errorf("security event %+v holds the credential", ev)
		}
	}
	want := map[string]int{"token/token_revoked": 1, "code/code_unknown": failures - 1}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("security events by kind and reason %v, want %v", got, want)
	}
	text := metricsText(t, tn)
	wantMetric(t, text, `entraide_refusals_total{kind="code",reason="code_unknown",verified="false"}`, failures-1)
	wantMetric(t, text, `entraide_refusals_total{kind="token",reason="token_revoked",verified="false"}`, 1)
}

// TestMetricsMethodsBounded: anyone may send any token as an HTTP
// method; each used to make a new series of the request metric, kept
// for as long as the node ran.
func TestMetricsMethodsBounded(t *testing.T) {
	tn := newTestNode(t, "sqlite")
	for i := range 20 {
		req := httptest.NewRequest(fmt.Sprintf("M%d", i), "/api/v1/requests", nil)
		tn.Handler.ServeHTTP(httptest.NewRecorder(), req)
	}
	text := metricsText(t, tn)
	if strings.Contains(text, `method="M1"`) {
		t.Errorf("metrics hold a series per method a client made up; want them counted as other")
	}
	wantMetric(t, text, `entraide_http_request_duration_seconds_count{method="other",route="other",status="405"}`, 20)
}

// TestGarbageEnvelopesAreNotAudited posts {"x":1} to the inbox, as anyone
// on the network can: no audit record is written; a bounded number of
// security events is, and past the address's budget the answer is 429.
func TestGarbageEnvelopesAreNotAudited(t *testing.T) {
	for _, backend := range storetest.Backends {
		t.Run(backend, func(t *testing.T) {
			const budget, posts = 10, 25
			tn := newLimitedNode(t, backend, Limits{InboxFailures: budget})
			audited := auditCount(t, tn)
			for i := range posts {
				r := tn.request(t, "POST", "/federation/v1/messages", "", "application/json", `{"x":1}`)
				if i < budget {
					if p := r.problem(t); r.Status != http.StatusBadRequest || p.Reason != federation.ReasonMalformed {
						t.Fatalf("post #%d: %d %s, want 400 and reason %s", i+1, r.Status, r.Body, federation.ReasonMalformed)
					}
					continue
				}
				wantRateLimited(t, r, "inbox_failures")
			}
			if n := auditCount(t, tn); n != audited {
				t.Errorf("audit log grew from %d to %d records with %d unreadable envelopes, want no change", audited, n, posts)
			}
			events, err := tn.Node.DB().SecurityEvents(t.Context(), 100)
			if err != nil {
				t.Fatal(err)
			}
			if len(events) != budget {
				t.Errorf("%d security events, want %d: the posts within the address's budget", len(events), budget)
			}
			for _, e := range events {
				if e.Kind != "envelope" || e.Reason != federation.ReasonMalformed || e.Source != "127.0.0.1" || e.ClaimedSender != "" {
					t.Errorf("security event %+v, want an unreadable envelope from 127.0.0.1 claiming no one", e)
				}
			}
			text := metricsText(t, tn)
			// Past the budget, posts are refused before they are read.
			wantMetric(t, text, `entraide_refusals_total{kind="envelope",reason="malformed",verified="false"}`, budget)
			wantMetric(t, text, `entraide_rate_limited_total{limit="inbox_failures"}`, posts-budget)
		})
	}
}

// trickle opens a connection to tn and starts posting an envelope of
// length bytes to the inbox, sending only its first byte. It returns the
// connection, closed at the end of the test.
func trickle(t *testing.T, tn *testNode, length int) net.Conn {
	t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(tn.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	fmt.Fprintf(conn, "POST /federation/v1/messages HTTP/1.1\r\nHost: node\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n{", length)
	return conn
}

// waitHeld waits until the inbox counts at least want bytes, which it
// does once the bodies are being read.
func waitHeld(t *testing.T, s *Server, want int64) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for s.inbox.held.Load() < want {
		if time.Now().After(deadline) {
			t.Fatalf("the inbox holds %d bytes, want %d: the bodies are not being read", s.inbox.held.Load(), want)
		}
		time.Sleep(time.Millisecond)
	}
}

// TestSlowBodiesTakeNoSlot opens more slow posts than the inbox has
// slots: they are read without a slot, so an envelope that arrives whole
// is still processed (here refused as unreadable: 400, not 503).
func TestSlowBodiesTakeNoSlot(t *testing.T) {
	tn := newLimitedNode(t, "sqlite", testLimits)
	const slow = DefaultInboxSlots + 6
	for range slow {
		trickle(t, tn, 1000)
	}
	waitHeld(t, tn.server, slow*inboxWeight*firstChunk)
	r := tn.request(t, "POST", "/federation/v1/messages", "", "application/json", `{"x":1}`)
	if p := r.problem(t); r.Status != http.StatusBadRequest || p.Reason != federation.ReasonMalformed {
		t.Errorf("envelope posted whole while %d others trickle: %d %s, want 400 and reason %s", slow, r.Status, r.Body, federation.ReasonMalformed)
	}
}

// TestSlowBodiesPerAddress: one address that no peer delivered from may
// send only InboxReadsPerAddress envelopes at once; the next is a 429,
// and other addresses are read still.
func TestSlowBodiesPerAddress(t *testing.T) {
	limits := testLimits
	limits.InboxReadsPerAddress = 4
	tn := newLimitedNode(t, "sqlite", limits)
	for range limits.InboxReadsPerAddress {
		trickle(t, tn, 1000)
	}
	waitHeld(t, tn.server, int64(limits.InboxReadsPerAddress)*inboxWeight*firstChunk)
	wantRateLimited(t, tn.request(t, "POST", "/federation/v1/messages", "", "application/json", `{"x":1}`), "inbox_reads")

	req := httptest.NewRequest("POST", "/federation/v1/messages", strings.NewReader(`{"x":1}`))
	req.RemoteAddr = "198.51.100.9:4444"
	rec := httptest.NewRecorder()
	tn.Handler.ServeHTTP(rec, req)
	if rec.Code != http.StatusBadRequest {
		t.Errorf("an envelope from another address: %d %s, want 400 (read, and refused as unreadable)", rec.Code, rec.Body)
	}
}

// TestSlowBodyIsCutAtTheDeadline: a body that has not arrived by the
// inbox's deadline is answered 408, and its memory is given back.
func TestSlowBodyIsCutAtTheDeadline(t *testing.T) {
	limits := testLimits
	limits.InboxBodyTimeout = 50 * time.Millisecond
	tn := newLimitedNode(t, "sqlite", limits)
	conn := trickle(t, tn, 1000)
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("no answer to a body that never arrives: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestTimeout {
		t.Errorf("status %d, want 408", resp.StatusCode)
	}
	deadline := time.Now().Add(10 * time.Second)
	for tn.server.inbox.held.Load() != 0 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if held := tn.server.inbox.held.Load(); held != 0 {
		t.Errorf("the inbox still holds %d bytes after the answer, want 0", held)
	}
}

// TestLargeBodiesStayWithinTheBudget posts many envelopes of the largest
// size at once: the memory the inbox counts never exceeds its budget,
// those it has no room for are told to retry (503), none gets a 500, and
// all the memory is given back.
func TestLargeBodiesStayWithinTheBudget(t *testing.T) {
	limits := testLimits
	limits.InboxMemory = MinInboxMemory
	tn := newLimitedNode(t, "sqlite", limits)
	body := `{"v":1,"payload":"` + strings.Repeat("A", federation.MaxEnvelopeBytes-64) + `"}`
	const posts = 32
	const cutOff = 0 // no answer: the connection was closed as the post was written
	statuses := map[int]int{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range posts {
		wg.Go(func() {
			req, _ := http.NewRequestWithContext(t.Context(), "POST", tn.URL+"/federation/v1/messages", strings.NewReader(body))
			resp, err := tn.Client.Do(req)
			if errors.Is(err, syscall.EPIPE) || errors.Is(err, syscall.ECONNRESET) {
				// Refused before it was read: the node answered 503 and
				// closed the connection while the post was still being
				// written, which the client may see before the answer.
				mu.Lock()
				statuses[cutOff]++
				mu.Unlock()
				return
			}
			if err != nil {
				t.Errorf("post: %v", err)
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			mu.Lock()
			statuses[resp.StatusCode]++
			mu.Unlock()
		})
	}
	wg.Wait()
	t.Logf("answers to %d posts of %d bytes: %v; peak memory counted %d bytes, budget %d", posts, len(body), statuses, tn.server.inbox.peak.Load(), limits.InboxMemory)
	if peak := tn.server.inbox.peak.Load(); peak > limits.InboxMemory {
		t.Errorf("the inbox counted %d bytes at its peak, over its budget of %d", peak, limits.InboxMemory)
	}
	for status := range statuses {
		if status != http.StatusBadRequest && status != http.StatusServiceUnavailable && status != cutOff {
			t.Errorf("%d posts answered %d, want 400 (read, unreadable) or 503 (no memory now)", statuses[status], status)
		}
	}
	if held := tn.server.inbox.held.Load(); held != 0 {
		t.Errorf("the inbox still holds %d bytes after every answer, want 0", held)
	}
}

// TestAlertStreamsPerOfficial: an official holds at most
// StreamsPerOfficial live feeds; the next is a 429, another official is
// not held back, and a closed feed frees its place.
func TestAlertStreamsPerOfficial(t *testing.T) {
	limits := testLimits
	limits.StreamsPerOfficial = 2
	tn := newLimitedNode(t, "sqlite", limits)
	open := func(token string) (*http.Response, context.CancelFunc) {
		ctx, cancel := context.WithCancel(t.Context())
		req, _ := http.NewRequestWithContext(ctx, "GET", tn.URL+"/api/v1/alerts/stream", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := tn.Client.Do(req)
		if err != nil {
			cancel()
			t.Fatalf("GET /api/v1/alerts/stream: %v", err)
		}
		if resp.StatusCode == http.StatusOK {
			// The feed is open once its first comment arrives.
			if _, err := bufio.NewReader(resp.Body).ReadString('\n'); err != nil {
				t.Fatalf("feed: %v", err)
			}
		}
		t.Cleanup(func() { cancel(); resp.Body.Close() })
		return resp, cancel
	}
	token := tn.token(t, "FRA", identity.TwentyFourSeven)
	first, closeFirst := open(token)
	second, _ := open(token)
	if first.StatusCode != http.StatusOK || second.StatusCode != http.StatusOK {
		t.Fatalf("first two feeds: %d and %d, want 200", first.StatusCode, second.StatusCode)
	}
	third := tn.do(t, "GET", "/api/v1/alerts/stream", token, nil)
	wantRateLimited(t, third, "streams")
	if other, _ := open(tn.token(t, "FRA", identity.CentralAuthority)); other.StatusCode != http.StatusOK {
		t.Errorf("another official's feed: %d, want 200", other.StatusCode)
	}
	closeFirst()
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, _ := open(token)
		if resp.StatusCode == http.StatusOK {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after closing a feed, a new one still gets %d, want 200", resp.StatusCode)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestAPIRatePerToken: a token that calls faster than its rate gets 429;
// another token is not held back.
func TestAPIRatePerToken(t *testing.T) {
	limits := testLimits
	limits.APIRate, limits.APIBurst = 0.01, 3
	tn := newLimitedNode(t, "sqlite", limits)
	token := tn.token(t, "FRA", identity.CentralAuthority)
	for i := range 3 {
		if r := tn.do(t, "GET", "/api/v1/me", token, nil); r.Status != http.StatusOK {
			t.Fatalf("call #%d: %d, want 200", i+1, r.Status)
		}
	}
	wantRateLimited(t, tn.do(t, "GET", "/api/v1/me", token, nil), "api")
	if r := tn.do(t, "GET", "/api/v1/me", tn.token(t, "FRA", identity.Investigator), nil); r.Status != http.StatusOK {
		t.Errorf("another token: %d, want 200", r.Status)
	}
}

// TestMetricsByRoutePattern: requests are counted by route pattern,
// never by path, so that no id reaches the metrics; alerts are counted;
// each server counts in its own registry.
func TestMetricsByRoutePattern(t *testing.T) {
	tn := newTestNode(t, "sqlite")
	token := tn.token(t, "FRA", identity.CentralAuthority)
	tn.do(t, "GET", "/api/v1/me", token, nil)
	tn.do(t, "GET", "/api/v1/me", token, nil)
	const id = "0190d3e4-0000-7000-8000-00000000abcd"
	tn.do(t, "GET", "/api/v1/requests/"+id, token, nil)
	a := tn.raiseAlert(t, "FRA")
	tn.do(t, "POST", "/api/v1/alerts/"+a.ID+"/ack", tn.token(t, "FRA", identity.TwentyFourSeven), nil)

	text := metricsText(t, tn)
	wantMetric(t, text, `entraide_http_request_duration_seconds_count{method="GET",route="/api/v1/me",status="200"}`, 2)
	wantMetric(t, text, `entraide_http_request_duration_seconds_count{method="GET",route="/api/v1/requests/{id}",status="404"}`, 1)
	wantMetric(t, text, `entraide_alerts_total{event="raised",reason="`+string(a.Reason)+`"}`, 1)
	wantMetric(t, text, `entraide_alerts_total{event="acknowledged",reason="`+string(a.Reason)+`"}`, 1)
	if strings.Contains(text, id) {
		t.Errorf("metrics name the request id %s: they must name route patterns only", id)
	}
	other := metricsText(t, newTestNode(t, "sqlite"))
	if strings.Contains(other, `route="/api/v1/me"`) {
		t.Errorf("a second server's metrics count the first one's calls: registries must be per server")
	}
}

// TestLimiterSetForgetsIdleKeys: a key whose bucket has refilled is
// forgotten, and however many keys call, the set stays bounded.
func TestLimiterSetForgetsIdleKeys(t *testing.T) {
	s := newLimiterSet(rate.Every(time.Second), 2)
	start := time.Unix(1_700_000_000, 0)
	for i := range 3 * maxLimiters {
		s.allow("203.0.113."+strconv.Itoa(i), start)
		if n := s.len(); n > maxLimiters {
			t.Fatalf("after %d keys the set holds %d, over its bound %d", i+1, n, maxLimiters)
		}
	}
	// Long after, every bucket is full again: one more call forgets them.
	later := start.Add(time.Hour)
	for i := range 1024 {
		s.allow("198.51.100.1", later.Add(time.Duration(i)*time.Second))
	}
	if n := s.len(); n != 1 {
		t.Errorf("an hour later, the set holds %d keys, want 1", n)
	}
	if ok, _ := s.allow("203.0.113.1", later); !ok {
		t.Errorf("a forgotten key is not allowed afresh")
	}
}
