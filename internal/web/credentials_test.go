package web

import (
	"bytes"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"entraide/internal/identity"
	"entraide/internal/store/storetest"
)

// extraToken gives state's official id another token, and returns what
// the node shows of it.
func (tn *testNode) extraToken(t *testing.T, state, id string) identity.Token {
	t.Helper()
	e, err := tn.Node.IssueEnrolment(t.Context(), tn.Node.AdminOf(state), id)
	if err != nil {
		t.Fatalf("IssueEnrolment(%s) = %v", id, err)
	}
	out, err := tn.Node.Enrol(t.Context(), e.Code, "extra")
	if err != nil {
		t.Fatalf("Enrol(code of %s) = %v", id, err)
	}
	return out.Info
}

// newOfficial adds an investigator to state, disabled if disabled, and
// returns their id.
func (tn *testNode) newOfficial(t *testing.T, state string, disabled bool) string {
	t.Helper()
	id := fmt.Sprintf("%s-extra-%d", strings.ToLower(state), userSeq.Add(1))
	if _, err := tn.Node.AddUser(t.Context(), tn.Node.AdminOf(state), identity.User{ID: id, Name: "Extra official", State: state, Role: identity.Investigator}); err != nil {
		t.Fatalf("AddUser(%s) = %v", id, err)
	}
	if disabled {
		if _, err := tn.Node.SetDisabled(t.Context(), tn.Node.AdminOf(state), id, true); err != nil {
			t.Fatalf("SetDisabled(%s) = %v", id, err)
		}
	}
	return id
}

// testClock moves by a second on every reading, like steppingClock, and
// jumps when told to.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(time.Second)
	return c.now
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// lockedBuffer is a log destination handlers write to concurrently.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) Bytes() []byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	return bytes.Clone(b.buf.Bytes())
}

// TestCredentialsTakenBack follows an official's credentials over the
// API: an administrator gets a one-time code (never a token), the official
// redeems it once, sees their tokens, revokes one, is disabled and enabled,
// and finds their token expired 90 days on. Every refusal is a 401 that
// says why and what to do. No secret reaches the server's log or the
// audit log.
func TestCredentialsTakenBack(t *testing.T) {
	for _, backend := range storetest.Backends {
		t.Run(backend, func(t *testing.T) {
			clock := &testClock{now: testEpoch}
			var logged lockedBuffer
			tn := newTestNodeWith(t, backend, clock.Now, slog.New(slog.NewJSONHandler(&logged, &slog.HandlerOptions{Level: slog.LevelDebug})))
			admin := tn.token(t, "FRA", identity.Administrator)
			var secrets []string

			// The finding "an administrator can act as any official": no
			// route gives an administrator another official's token.
			r := tn.do(t, "POST", "/api/v1/users/fra-investigator/tokens", admin, map[string]string{"label": "mine now"})
			wantProblem(t, r, http.StatusMethodNotAllowed, "method", "")

			r = tn.do(t, "POST", "/api/v1/users/fra-investigator/enrolments", admin, nil)
			if r.Status != http.StatusCreated || r.Header.Get("Cache-Control") != "no-store" {
				t.Fatalf("issue a code: status %d, Cache-Control %q; body %s", r.Status, r.Header.Get("Cache-Control"), r.Body)
			}
			code := decodeBody[identity.Enrolment](t, r)
			secrets = append(secrets, code.Code)
			if identity.CheckCodeForm(code.Code) != nil || code.User != "fra-investigator" || code.ExpiresAt.Sub(code.CreatedAt) != 24*time.Hour {
				t.Errorf("enrolment = %+v; want a code for fra-investigator valid 24 h", code)
			}
			wantProblem(t, tn.do(t, "GET", "/api/v1/me", code.Code, nil), http.StatusUnauthorized, "Authorization", "")

			// The official redeems it, once.
			r = tn.do(t, "POST", "/api/v1/enrol", "", enrolInput{Code: code.Code, Label: "laptop"})
			if r.Status != http.StatusCreated || r.Header.Get("Cache-Control") != "no-store" {
				t.Fatalf("enrol: status %d, Cache-Control %q; body %s", r.Status, r.Header.Get("Cache-Control"), r.Body)
			}
			enrolled := decodeBody[enrolResult](t, r)
			token := enrolled.Token
			secrets = append(secrets, token)
			if enrolled.User.ID != "fra-investigator" || enrolled.Info.IssuedBy != "fra-administrator" || enrolled.Info.Label != "laptop" {
				t.Errorf("enrol = %+v; want fra-investigator's token, issued by fra-administrator", enrolled)
			}
			p := wantProblem(t, tn.do(t, "POST", "/api/v1/enrol", "", enrolInput{Code: code.Code}), http.StatusUnauthorized, "code", "")
			if p.Reason != "code_used" || !strings.Contains(p.Detail, "administrator") {
				t.Errorf("second enrol: %+v; want reason code_used, and who to ask", p)
			}
			p = wantProblem(t, tn.do(t, "POST", "/api/v1/enrol", "", enrolInput{Code: "enr_" + strings.Repeat("a", 32)}), http.StatusUnauthorized, "code", "")
			if p.Reason != "code_unknown" {
				t.Errorf("enrol with an unknown code: reason %q, want code_unknown", p.Reason)
			}
			// An enrolment code is no token, and a token no code.
			wantProblem(t, tn.do(t, "POST", "/api/v1/enrol", "", enrolInput{Code: token}), http.StatusUnauthorized, "code", "")
			// And not after 24 hours.
			r = tn.do(t, "POST", "/api/v1/users/fra-auditor/enrolments", admin, nil)
			late := decodeBody[identity.Enrolment](t, r).Code
			secrets = append(secrets, late)
			clock.Advance(24 * time.Hour)
			p = wantProblem(t, tn.do(t, "POST", "/api/v1/enrol", "", enrolInput{Code: late}), http.StatusUnauthorized, "code", "")
			if p.Reason != "code_expired" || !strings.Contains(p.Detail, "24 hours") {
				t.Errorf("enrol after 24 h: %+v; want reason code_expired, saying codes last 24 hours", p)
			}

			// The official sees their tokens, with the one the
			// administrator let be made.
			if r := tn.do(t, "GET", "/api/v1/me", token, nil); r.Status != http.StatusOK {
				t.Fatalf("GET /me with the new token: %d", r.Status)
			}
			mine := decodeBody[[]identity.Token](t, tn.do(t, "GET", "/api/v1/me/tokens", token, nil))
			if len(mine) != 2 || mine[1].ID != enrolled.Info.ID || mine[1].LastUsedAt == nil {
				t.Fatalf("GET /me/tokens = %+v; want the test's token and the new one, used", mine)
			}
			theirs := decodeBody[[]identity.Token](t, tn.do(t, "GET", "/api/v1/users/fra-investigator/tokens", admin, nil))
			if len(theirs) != 2 {
				t.Errorf("GET /users/fra-investigator/tokens = %+v; want 2", theirs)
			}
			wantProblem(t, tn.do(t, "GET", "/api/v1/users/nobody/tokens", admin, nil), http.StatusNotFound, "id", "")
			wantProblem(t, tn.do(t, "GET", "/api/v1/users/fra-administrator/tokens", token, nil), http.StatusForbidden, "role", "")

			// The official revokes the token in use: 401 at once.
			r = tn.do(t, "DELETE", "/api/v1/me/tokens/"+enrolled.Info.ID, token, nil)
			if got := decodeBody[identity.Token](t, r); r.Status != http.StatusOK || got.RevokedAt == nil {
				t.Fatalf("revoke own token: status %d, %+v", r.Status, got)
			}
			p = wantProblem(t, tn.do(t, "GET", "/api/v1/me", token, nil), http.StatusUnauthorized, "Authorization", "")
			if p.Reason != "token_revoked" || !strings.Contains(p.Detail, "entraide login") {
				t.Errorf("a revoked token: %+v; want reason token_revoked, and how to get a new one", p)
			}
			wantProblem(t, tn.do(t, "DELETE", "/api/v1/me/tokens/"+enrolled.Info.ID+"x", tn.token(t, "FRA", identity.Investigator), nil), http.StatusNotFound, "token", "")

			// An administrator revokes an official's token.
			other := tn.token(t, "FRA", identity.Auditor)
			otherID := identity.ShortID(identity.Digest(other))
			if r := tn.do(t, "DELETE", "/api/v1/users/fra-auditor/tokens/"+otherID, admin, nil); r.Status != http.StatusOK {
				t.Errorf("administrator revokes a token: status %d; body %s", r.Status, r.Body)
			}
			wantProblem(t, tn.do(t, "GET", "/api/v1/me", other, nil), http.StatusUnauthorized, "Authorization", "")

			// Disabled: 401 at once on this node; enabled: back.
			ca := tn.token(t, "FRA", identity.CentralAuthority)
			if r := tn.do(t, "GET", "/api/v1/me", ca, nil); r.Status != http.StatusOK {
				t.Fatalf("GET /me as fra-central_authority: %d", r.Status)
			}
			pending := decodeBody[identity.Enrolment](t, tn.do(t, "POST", "/api/v1/users/fra-central_authority/enrolments", admin, nil)).Code
			secrets = append(secrets, pending)
			r = tn.do(t, "POST", "/api/v1/users/fra-central_authority/disable", admin, nil)
			if u := decodeBody[identity.User](t, r); r.Status != http.StatusOK || u.DisabledAt == nil {
				t.Fatalf("disable: status %d, %+v", r.Status, u)
			}
			p = wantProblem(t, tn.do(t, "GET", "/api/v1/requests", ca, nil), http.StatusUnauthorized, "Authorization", "")
			if p.Reason != "official_disabled" {
				t.Errorf("a disabled official's token: reason %q, want official_disabled", p.Reason)
			}
			p = wantProblem(t, tn.do(t, "POST", "/api/v1/enrol", "", enrolInput{Code: pending}), http.StatusUnauthorized, "code", "")
			if p.Reason != "official_disabled" {
				t.Errorf("a disabled official's enrolment code: reason %q, want official_disabled", p.Reason)
			}
			wantProblem(t, tn.do(t, "POST", "/api/v1/users/fra-central_authority/enrolments", admin, nil), http.StatusUnprocessableEntity, "id", "")
			users := decodeBody[[]identity.User](t, tn.do(t, "GET", "/api/v1/users", admin, nil))
			for _, u := range users {
				if (u.ID == "fra-central_authority") != (u.DisabledAt != nil) {
					t.Errorf("GET /users: %s disabled at %v", u.ID, u.DisabledAt)
				}
			}
			wantProblem(t, tn.do(t, "POST", "/api/v1/users/fra-administrator/disable", admin, nil), http.StatusUnprocessableEntity, "id", "")
			if r := tn.do(t, "POST", "/api/v1/users/fra-central_authority/enable", admin, nil); r.Status != http.StatusOK {
				t.Fatalf("enable: status %d; body %s", r.Status, r.Body)
			}
			if r := tn.do(t, "GET", "/api/v1/requests", ca, nil); r.Status != http.StatusOK {
				t.Errorf("GET /requests after enable: status %d", r.Status)
			}

			// Every token expires, 90 days after it was made.
			clock.Advance(identity.DefaultTokenTTL)
			p = wantProblem(t, tn.do(t, "GET", "/api/v1/me", ca, nil), http.StatusUnauthorized, "Authorization", "")
			if p.Reason != "token_expired" || !strings.Contains(p.Detail, "expired") || !strings.Contains(p.Detail, "entraide login --code") {
				t.Errorf("an expired token: %+v; want reason token_expired, and how to get a new one", p)
			}

			// No code or token in the server's log or the audit log.
			for _, tok := range tn.Tokens {
				secrets = append(secrets, tok)
			}
			entries, err := tn.Node.AuditLog(t.Context(), tn.Node.Admin(), 0, 1000)
			if err != nil {
				t.Fatal(err)
			}
			var audit []byte
			for _, e := range entries {
				audit = append(audit, e.Record...)
			}
			for _, s := range secrets {
				for what, text := range map[string][]byte{"server log": logged.Bytes(), "audit log": audit} {
					if bytes.Contains(text, []byte(s[4:])) || bytes.Contains(text, []byte(identity.Digest(s)[:20])) {
						t.Errorf("the %s holds %s... or more than its short id", what, s[:8])
					}
				}
			}
			for _, action := range []string{"enrolment.issue", "token.create", "token.revoke", "user.disable", "user.enable"} {
				if !bytes.Contains(audit, []byte(`"`+action+`"`)) {
					t.Errorf("the audit log has no %s record", action)
				}
			}
		})
	}
}
