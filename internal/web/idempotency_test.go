package web

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"entraide/internal/casework"
	"entraide/internal/identity"
	"entraide/internal/store"
	"entraide/internal/store/storetest"
)

// postWithKey posts body (as JSON unless []byte) to path with token and,
// unless key is "", an Idempotency-Key.
func (tn *testNode) postWithKey(tb testing.TB, path, token, key string, body any) response {
	tb.Helper()
	data, ok := body.([]byte)
	if !ok {
		var err error
		if data, err = json.Marshal(body); err != nil {
			tb.Fatal(err)
		}
	}
	req, err := http.NewRequestWithContext(tb.Context(), "POST", tn.URL+path, bytes.NewReader(data))
	if err != nil {
		tb.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	if key != "" {
		req.Header.Set("Idempotency-Key", key)
	}
	return tn.send(tb, req)
}

// TestRetriesDoNotDuplicate is the finding "Retries duplicate": three
// POSTs with one Idempotency-Key made three drafts. They make one, and
// the retries get the first answer.
func TestRetriesDoNotDuplicate(t *testing.T) {
	for _, backend := range storetest.Backends {
		t.Run(backend, func(t *testing.T) {
			t.Parallel()
			tn := newTestNode(t, backend)
			ca := tn.token(t, "FRA", identity.CentralAuthority)
			const key = "5b0e7b2c-6f1e-4e43-9d1b-2f1a7c3e9a10"
			var first response
			for i := range 3 {
				r := tn.postWithKey(t, "/api/v1/requests", ca, key, preservationContents("VNM"))
				if r.Status != http.StatusCreated {
					t.Fatalf("POST #%d: status %d, want 201; body %s", i+1, r.Status, r.Body)
				}
				if i == 0 {
					first = r
					if r.Header.Get("Idempotent-Replayed") != "" {
						t.Errorf("POST #1: Idempotent-Replayed %q, want none on the first answer", r.Header.Get("Idempotent-Replayed"))
					}
					continue
				}
				if !bytes.Equal(r.Body, first.Body) || r.Header.Get("Location") != first.Header.Get("Location") || r.Header.Get("Content-Type") != first.Header.Get("Content-Type") {
					t.Errorf("POST #%d: %s %s\n%s\nwant the first answer: %s %s\n%s", i+1, r.Header.Get("Location"), r.Header.Get("Content-Type"), r.Body,
						first.Header.Get("Location"), first.Header.Get("Content-Type"), first.Body)
				}
				if r.Header.Get("Idempotent-Replayed") != "true" {
					t.Errorf("POST #%d: Idempotent-Replayed %q, want true", i+1, r.Header.Get("Idempotent-Replayed"))
				}
				if r.Header.Get("Cache-Control") != "no-store" {
					t.Errorf("POST #%d: Cache-Control %q, want no-store", i+1, r.Header.Get("Cache-Control"))
				}
			}
			page := decodeBody[store.Page](t, tn.do(t, "GET", "/api/v1/requests", ca, nil))
			if len(page.Requests) != 1 {
				t.Errorf("after three POSTs with one key: %d requests, want 1", len(page.Requests))
			}

			// The same key with another body is a mistake of the client.
			other := preservationContents("ZAF")
			wantProblem(t, tn.postWithKey(t, "/api/v1/requests", ca, key, other), http.StatusUnprocessableEntity, "Idempotency-Key", "")
			// Another official's key of the same name is their own.
			ca247 := tn.token(t, "FRA", identity.TwentyFourSeven)
			if r := tn.postWithKey(t, "/api/v1/requests", ca247, key, preservationContents("VNM")); r.Status != http.StatusCreated || r.Header.Get("Idempotent-Replayed") != "" {
				t.Errorf("another official, same key: status %d, replayed %q; want a new 201", r.Status, r.Header.Get("Idempotent-Replayed"))
			}
			// Without a key, every POST acts (the list is the State's: 2 so far).
			tn.postWithKey(t, "/api/v1/requests", ca, "", preservationContents("VNM"))
			tn.postWithKey(t, "/api/v1/requests", ca, "", preservationContents("VNM"))
			if page := decodeBody[store.Page](t, tn.do(t, "GET", "/api/v1/requests", ca, nil)); len(page.Requests) != 4 {
				t.Errorf("after two POSTs without a key: %d requests, want 4", len(page.Requests))
			}
		})
	}
}

// TestIdempotentTransition: a send retried with its key is sent once, and
// the retry gets the first 200, not a 409 for a request already sent.
func TestIdempotentTransition(t *testing.T) {
	tn := newTestNode(t, "sqlite")
	ca := tn.token(t, "FRA", identity.CentralAuthority)
	req := tn.create(t, ca, mlaContents("VNM"))
	path := "/api/v1/requests/" + req.ID + "/transitions"
	send := casework.Transition{Action: casework.Send}
	first := tn.postWithKey(t, path, ca, "send-1", send)
	again := tn.postWithKey(t, path, ca, "send-1", send)
	if first.Status != http.StatusOK || again.Status != http.StatusOK || !bytes.Equal(first.Body, again.Body) {
		t.Fatalf("send, then its retry: %d, %d; want 200 twice with one body\n%s\n%s", first.Status, again.Status, first.Body, again.Body)
	}
	if n := len(tn.view(t, ca, req.ID).Timeline); n != 3 {
		t.Errorf("timeline has %d events, want 3 (create, send, deliver)", n)
	}
	// A key is scoped by path: the same key on another request is new.
	other := tn.create(t, ca, mlaContents("VNM"))
	if r := tn.postWithKey(t, "/api/v1/requests/"+other.ID+"/transitions", ca, "send-1", send); r.Status != http.StatusOK || r.Header.Get("Idempotent-Replayed") != "" {
		t.Errorf("the same key on another request: status %d, replayed %q; want a new 200", r.Status, r.Header.Get("Idempotent-Replayed"))
	}
	// A refusal is an answer too, and is replayed as such.
	bad := casework.Transition{Action: casework.Execute}
	r1 := tn.postWithKey(t, path, ca, "exec-1", bad)
	r2 := tn.postWithKey(t, path, ca, "exec-1", bad)
	if r1.Status != r2.Status || r1.Status < 400 || r2.Header.Get("Idempotent-Replayed") != "true" {
		t.Errorf("a refused move and its retry: %d, %d (replayed %q); want the same 4xx replayed", r1.Status, r2.Status, r2.Header.Get("Idempotent-Replayed"))
	}
}

// TestIdempotencyKeyInFlight: a retry while the first call still runs is
// told to wait, and nothing is done twice.
func TestIdempotencyKeyInFlight(t *testing.T) {
	tn := newTestNode(t, "sqlite")
	ca := tn.token(t, "FRA", identity.CentralAuthority)
	body, _ := json.Marshal(preservationContents("VNM"))
	hash := sha256.Sum256(body)
	now := tn.Node.Now()
	k := store.IdempotencyKey{State: "FRA", User: officialID("FRA", identity.CentralAuthority), Method: "POST", Path: "/api/v1/requests", Key: "busy"}
	// The first call holds the key, as a handler does while it runs.
	if _, live, err := tn.Node.DB().ClaimIdempotencyKey(t.Context(), k, hash[:], now, now.Add(-IdempotencyTTL), now.Add(-idempotencyLease)); err != nil || live != nil {
		t.Fatalf("ClaimIdempotencyKey = %+v, %v", live, err)
	}
	r := tn.postWithKey(t, "/api/v1/requests", ca, "busy", body)
	wantProblem(t, r, http.StatusConflict, "Idempotency-Key", "")
	if r.Header.Get("Retry-After") == "" {
		t.Errorf("409 in flight: no Retry-After")
	}
	if page := decodeBody[store.Page](t, tn.do(t, "GET", "/api/v1/requests", ca, nil)); len(page.Requests) != 0 {
		t.Errorf("%d requests, want none made by the retry", len(page.Requests))
	}
}

// TestBadIdempotencyKeys: a key out of bounds is a 400 naming the header,
// and nothing is made.
func TestBadIdempotencyKeys(t *testing.T) {
	tn := newTestNode(t, "sqlite")
	ca := tn.token(t, "FRA", identity.CentralAuthority)
	for _, key := range []string{" ", strings.Repeat("k", MaxIdempotencyKeyLength+1), "a b", "ключ", "a;b", `""`, "a\tb", "%00"} {
		wantProblem(t, tn.postWithKey(t, "/api/v1/requests", ca, key, preservationContents("VNM")), http.StatusBadRequest, "Idempotency-Key", "")
	}
	req, _ := http.NewRequestWithContext(t.Context(), "POST", tn.URL+"/api/v1/requests", strings.NewReader(`{}`))
	req.Header.Set("Authorization", "Bearer "+ca)
	req.Header.Add("Idempotency-Key", "one")
	req.Header.Add("Idempotency-Key", "two")
	wantProblem(t, tn.send(t, req), http.StatusBadRequest, "Idempotency-Key", "")
	if page := decodeBody[store.Page](t, tn.do(t, "GET", "/api/v1/requests", ca, nil)); len(page.Requests) != 0 {
		t.Errorf("%d requests, want none", len(page.Requests))
	}
	// Quoted, as the IETF draft writes it, and at the longest.
	for _, key := range []string{`"8e03978e-40d5-43e8-bc93-6894a57f9324"`, strings.Repeat("k", MaxIdempotencyKeyLength), "a+b/c=:~._-"} {
		if r := tn.postWithKey(t, "/api/v1/requests", ca, key, preservationContents("VNM")); r.Status != http.StatusCreated {
			t.Errorf("key %q: status %d, want 201; body %s", key, r.Status, r.Body)
		}
	}
}

// TestIdempotentAnswersSealed: an enrolment code's answer is replayed,
// but the database holds no copy of it in clear; a retry with another
// token of the same official cannot read it. The answers live in the
// database, so a restarted server replays them.
func TestIdempotentAnswersSealed(t *testing.T) {
	tn := newTestNode(t, "sqlite")
	adminID := officialID("FRA", identity.Administrator)
	admin := tn.token(t, "FRA", identity.Administrator)
	path := "/api/v1/users/" + officialID("FRA", identity.Investigator) + "/enrolments"
	first := tn.postWithKey(t, path, admin, "code-1", []byte{})
	if first.Status != http.StatusCreated {
		t.Fatalf("POST %s: %d %s", path, first.Status, first.Body)
	}
	code := decodeBody[identity.Enrolment](t, first).Code
	if code == "" {
		t.Fatalf("POST %s: no code in %s", path, first.Body)
	}
	k := store.IdempotencyKey{State: "FRA", User: adminID, Method: "POST", Path: path, Key: "code-1"}
	now := tn.Node.Now()
	_, live, err := tn.Node.DB().ClaimIdempotencyKey(t.Context(), k, nil, now, now.Add(-IdempotencyTTL), now.Add(-idempotencyLease))
	if err != nil || live == nil || live.Status != http.StatusCreated {
		t.Fatalf("the stored call: %+v, %v; want one answered 201", live, err)
	}
	if bytes.Contains(live.Response, []byte(code)) || bytes.Contains(live.Response, first.Body) {
		t.Errorf("the database holds the answer in clear: %q", live.Response)
	}
	// A restarted server: the same database, a new handler.
	srv := httptest.NewServer(NewServer(tn.Node, slog.New(slog.DiscardHandler), Config{Limits: testLimits}))
	t.Cleanup(srv.Close)
	req, _ := http.NewRequestWithContext(t.Context(), "POST", srv.URL+path, nil)
	req.Header.Set("Authorization", "Bearer "+admin)
	req.Header.Set("Idempotency-Key", "code-1")
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated || !bytes.Equal(body, first.Body) {
		t.Errorf("retry on a restarted server: %d %s; want the first answer", resp.StatusCode, body)
	}
	// Another token of the same administrator: the answer stays sealed.
	other, err := enrol(t.Context(), tn.Node, "FRA", adminID)
	if err != nil {
		t.Fatal(err)
	}
	tn.Tokens["second"] = other
	r := tn.postWithKey(t, path, other, "code-1", []byte{})
	wantProblem(t, r, http.StatusConflict, "Idempotency-Key", "")
	if bytes.Contains(r.Body, []byte(code)) {
		t.Errorf("another token read the sealed answer")
	}
}

// FuzzIdempotencyKey posts any Idempotency-Key and body twice: a bad key
// is a 400 naming the header; otherwise the second answer is the first,
// and never a 5xx.
func FuzzIdempotencyKey(f *testing.F) {
	tn := newTestNode(f, "sqlite")
	token := tn.token(f, "FRA", identity.CentralAuthority)
	good, _ := json.Marshal(preservationContents("VNM"))
	for _, k := range []string{"k", `"q"`, "", `"`, strings.Repeat("x", 129), "é", "a b", "\x00", "8e03978e-40d5-43e8-bc93-6894a57f9324"} {
		f.Add(k, string(good))
		f.Add(k, `{"kind":"preservation"}`)
	}
	f.Fuzz(func(t *testing.T, key, body string) {
		post := func() *httptest.ResponseRecorder {
			req := httptest.NewRequestWithContext(t.Context(), "POST", "/api/v1/requests", strings.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", "Bearer "+token)
			req.Header["Idempotency-Key"] = []string{key}
			rec := httptest.NewRecorder()
			tn.Handler.ServeHTTP(rec, req)
			if rec.Code >= 500 {
				t.Fatalf("key %q body %q: status %d: %s", key, body, rec.Code, rec.Body)
			}
			return rec
		}
		first := post()
		if _, err := parseIdempotencyKey([]string{key}); err != nil {
			if first.Code != http.StatusBadRequest || !strings.Contains(first.Body.String(), `"field":"Idempotency-Key"`) {
				t.Fatalf("bad key %q: status %d %s, want a 400 naming Idempotency-Key", key, first.Code, first.Body)
			}
			return
		}
		second := post()
		if second.Code != first.Code || !bytes.Equal(second.Body.Bytes(), first.Body.Bytes()) {
			t.Fatalf("key %q: second answer %d %s, want the first: %d %s", key, second.Code, second.Body, first.Code, first.Body)
		}
	})
}

// TestIdempotentEnrolment: redeeming an enrolment code is the one public
// POST of the API, and the one a client can least afford to lose to a
// timeout: the code is spent. A retry with the same key and code gets the
// same token back.
func TestIdempotentEnrolment(t *testing.T) {
	tn := newTestNode(t, "sqlite")
	e, err := tn.Node.IssueEnrolment(t.Context(), tn.Node.AdminOf("VNM"), officialID("VNM", identity.Auditor))
	if err != nil {
		t.Fatal(err)
	}
	post := func(key string, in enrolInput) response {
		data, _ := json.Marshal(in)
		req, _ := http.NewRequestWithContext(t.Context(), "POST", tn.URL+"/api/v1/enrol", bytes.NewReader(data))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Idempotency-Key", key)
		return tn.send(t, req)
	}
	first := post("login-1", enrolInput{Code: e.Code, Label: "laptop"})
	again := post("login-1", enrolInput{Code: e.Code, Label: "laptop"})
	if first.Status != http.StatusCreated || again.Status != http.StatusCreated || !bytes.Equal(first.Body, again.Body) || again.Header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("enrol, then its retry: %d, %d (replayed %q); want the first 201 twice\n%s\n%s", first.Status, again.Status, again.Header.Get("Idempotent-Replayed"), first.Body, again.Body)
	}
	token := decodeBody[enrolResult](t, first).Token
	if r := tn.do(t, "GET", "/api/v1/me", token, nil); r.Status != http.StatusOK {
		t.Errorf("GET /api/v1/me with the token: %d", r.Status)
	}
	// Without the key, the spent code is refused.
	r := tn.do(t, "POST", "/api/v1/enrol", "", enrolInput{Code: e.Code, Label: "laptop"})
	if r.Status != http.StatusUnauthorized {
		t.Errorf("the spent code without the key: %d, want 401", r.Status)
	}
}

// TestRefusedEnrolmentKeepsNoAnswer: anyone may post a code with an
// Idempotency-Key. A refused code's answer is not kept, so strangers'
// guesses, each with a new key, add no rows to the node's database for a
// day; and past the address's budget of wrong codes a call is a 429
// before any key is claimed.
func TestRefusedEnrolmentKeepsNoAnswer(t *testing.T) {
	const failures = 3
	tn := newLimitedNode(t, "sqlite", Limits{AuthFailures: failures})
	e, err := tn.Node.IssueEnrolment(t.Context(), tn.Node.AdminOf("VNM"), officialID("VNM", identity.Auditor))
	if err != nil {
		t.Fatal(err)
	}
	post := func(key string, in enrolInput) response {
		data, _ := json.Marshal(in)
		req, _ := http.NewRequestWithContext(t.Context(), "POST", tn.URL+"/api/v1/enrol", bytes.NewReader(data))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Idempotency-Key", key)
		return tn.send(t, req)
	}
	wrong := enrolInput{Code: changeLast(e.Code)}
	for i := range failures {
		r := post("guess", wrong)
		if r.Status != http.StatusUnauthorized || r.Header.Get("Idempotent-Replayed") != "" {
			t.Fatalf("wrong code #%d with the same key: %d, replayed %q; want a 401 each time, none kept to replay", i+1, r.Status, r.Header.Get("Idempotent-Replayed"))
		}
	}
	wantRateLimited(t, post("right", enrolInput{Code: e.Code}), "auth_failures")
}

// TestIdempotencyServerErrorFreesKey: a call that fails on the node's
// side (a 5xx, or a panic) keeps no answer, so that its retry runs again.
func TestIdempotencyServerErrorFreesKey(t *testing.T) {
	tn := newTestNode(t, "sqlite")
	runs := 0
	answers := []func(w http.ResponseWriter){
		func(w http.ResponseWriter) { w.WriteHeader(http.StatusInternalServerError) },
		func(http.ResponseWriter) { panic("the node failed midway") },
		func(w http.ResponseWriter) { w.WriteHeader(http.StatusCreated); w.Write([]byte(`{"ok":true}`)) },
	}
	h := tn.server.idempotent(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		runs++
		answers[min(runs, len(answers))-1](w)
	}))
	call := func() (rec *httptest.ResponseRecorder) {
		rec = httptest.NewRecorder()
		req := httptest.NewRequestWithContext(t.Context(), "POST", "/api/v1/requests", strings.NewReader(`{}`))
		req.Header.Set("Idempotency-Key", "k")
		req.Header.Set("Authorization", "Bearer "+tn.token(t, "FRA", identity.CentralAuthority))
		req = req.WithContext(context.WithValue(req.Context(), ctxKey{}, actor("FRA", identity.CentralAuthority)))
		defer func() {
			if v := recover(); v != nil {
				rec.Code = http.StatusInternalServerError
			}
		}()
		h.ServeHTTP(rec, req)
		return rec
	}
	for i, want := range []int{500, 500, 201, 201} {
		if got := call().Code; got != want {
			t.Errorf("call #%d: %d, want %d", i+1, got, want)
		}
	}
	if runs != 3 {
		t.Errorf("the handler ran %d times, want 3: twice failing, once answering, then replayed", runs)
	}
}
