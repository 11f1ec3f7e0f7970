package ui

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"entraide/internal/casework"
	"entraide/internal/identity"
	"entraide/internal/signin"
	"entraide/internal/store/storetest"
)

func TestSignInAndOut(t *testing.T) {
	for _, backend := range storetest.Backends {
		t.Run(backend, func(t *testing.T) {
			tn := newTestNode(t, backend)
			b := tn.browser()
			if p := b.do(t, "GET", "/ui/signin", nil); p.Status != 200 || strings.Contains(p.Body, "fra-central_authority") {
				t.Errorf("a real node's sign-in page lists its officials, or fails: %d\n%s", p.Status, p.Body)
			}
			if p := b.do(t, "GET", "/ui/inbox", nil); p.Status != http.StatusSeeOther || p.Location != "/ui/signin?next=%2Fui%2Finbox" {
				t.Fatalf("GET /ui/inbox without a session: %d to %q, want 303 to the sign-in", p.Status, p.Location)
			}
			secret := b.enrol(t, "FRA", "fra-central_authority")
			// The database holds neither the password nor the TOTP secret.
			c, _, err := tn.Node.DB().SigninCredential(t.Context(), "fra-central_authority")
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(c.PasswordHash, "$argon2id$") || !strings.HasPrefix(c.TOTPSecret, sealedPrefix) || strings.Contains(c.TOTPSecret, secret) {
				t.Errorf("stored credential: password %q, TOTP secret %q; want an argon2id hash and a sealed secret", c.PasswordHash, c.TOTPSecret)
			}
			b.signIn(t, "fra-central_authority", secret)
			p := b.do(t, "GET", "/ui/inbox", nil)
			if p.Status != 200 || !strings.Contains(p.Body, "Inbox") || !strings.Contains(p.Body, "fra-central_authority") {
				t.Fatalf("GET /ui/inbox signed in: %d\n%s", p.Status, p.Body)
			}
			if p := b.do(t, "POST", "/ui/signout", url.Values{}); p.Status != http.StatusSeeOther {
				t.Fatalf("sign-out: %d", p.Status)
			}
			if p := b.do(t, "GET", "/ui/inbox", nil); p.Status != http.StatusSeeOther {
				t.Errorf("GET /ui/inbox after signing out: %d, want 303 to the sign-in", p.Status)
			}
			// The audit log holds the enrolment, the sign-in and the
			// sign-out.
			entries, err := tn.Node.AuditLog(t.Context(), tn.Node.Admin(), 0, 1000)
			if err != nil {
				t.Fatal(err)
			}
			var all strings.Builder
			for _, e := range entries {
				all.Write(e.Record)
			}
			for _, action := range []string{`"signin.enrol"`, `"signin"`, `"session.end"`} {
				if !strings.Contains(all.String(), action) {
					t.Errorf("no %s record in FRA's audit log", action)
				}
			}
			if strings.Contains(all.String(), testPassword) {
				t.Error("the password is in the audit log")
			}
		})
	}
}

func TestLockoutAndReplay(t *testing.T) {
	tn := newTestNode(t, "sqlite")
	b := tn.browser()
	secret := b.enrol(t, "VNM", "vnm-24_7")
	// The code that enrolled is used: it does not sign in.
	code, _ := signin.TOTPCode(secret, tn.Clock.Now())
	if p := b.do(t, "POST", "/ui/signin", url.Values{"login": {"vnm-24_7"}, "password": {testPassword}, "code": {code}}); p.Status != http.StatusUnauthorized {
		t.Fatalf("sign-in with the code that enrolled: %d, want 401", p.Status)
	}
	for range signin.MaxFailures - 1 {
		p := b.do(t, "POST", "/ui/signin", url.Values{"login": {"vnm-24_7"}, "password": {"wrong password!"}, "code": {code}})
		if p.Status != http.StatusUnauthorized {
			t.Fatalf("wrong password: %d", p.Status)
		}
	}
	tn.Clock.Add(30e9)
	code, _ = signin.TOTPCode(secret, tn.Clock.Now())
	p := b.do(t, "POST", "/ui/signin", url.Values{"login": {"vnm-24_7"}, "password": {testPassword}, "code": {code}})
	if p.Status != http.StatusUnauthorized || !strings.Contains(p.Body, "locked") {
		t.Fatalf("right password after %d failures: %d, want 401 locked\n%s", signin.MaxFailures, p.Status, p.Body)
	}
	tn.Clock.Add(signin.LockoutPeriod)
	b.signIn(t, "vnm-24_7", secret)
	// Disabled, the official's session ends.
	if _, err := tn.Node.SetDisabled(t.Context(), tn.Node.AdminOf("VNM"), "vnm-24_7", true); err != nil {
		t.Fatal(err)
	}
	if p := b.do(t, "GET", "/ui/console", nil); p.Status != http.StatusSeeOther {
		t.Errorf("GET /ui/console after being disabled: %d, want 303 to the sign-in", p.Status)
	}
	if _, err := tn.Node.SetDisabled(t.Context(), tn.Node.AdminOf("VNM"), "vnm-24_7", false); err != nil {
		t.Fatal(err)
	}
	if p := b.do(t, "GET", "/ui/console", nil); p.Status != http.StatusSeeOther {
		t.Errorf("GET /ui/console after being enabled again: %d, want 303: the ended session stays ended", p.Status)
	}
}

func TestHeadersAndCrossOrigin(t *testing.T) {
	tn := newTestNode(t, "sqlite")
	b := tn.signedIn(t, "FRA", identity.CentralAuthority)
	req, _ := http.NewRequest("GET", tn.URL+"/ui/inbox", nil)
	res, err := b.c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	for name, want := range map[string]string{
		"Content-Security-Policy": csp, "X-Frame-Options": "DENY", "Referrer-Policy": "same-origin",
		"X-Content-Type-Options": "nosniff", "Cache-Control": "no-store",
	} {
		if got := res.Header.Get(name); got != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
	if !strings.Contains(csp, "frame-ancestors 'none'") || strings.Contains(csp, "unsafe-inline") {
		t.Errorf("CSP %q: want frame-ancestors 'none' and nothing inline", csp)
	}
	// A form posted from another site is refused, before it acts.
	p := b.do(t, "POST", "/ui/signout", url.Values{}, "Sec-Fetch-Site", "cross-site")
	if p.Status != http.StatusForbidden {
		t.Errorf("cross-site POST /ui/signout: %d, want 403", p.Status)
	}
	if p := b.do(t, "GET", "/ui/inbox", nil); p.Status != 200 {
		t.Errorf("after the cross-site POST, the session: %d, want still signed in", p.Status)
	}
	var cookie *http.Cookie
	u, _ := url.Parse(tn.URL)
	for _, c := range b.c.Jar.Cookies(u) {
		cookie = c
	}
	if cookie == nil || cookie.Name != cookieTLS {
		t.Errorf("session cookie %+v, want %s", cookie, cookieTLS)
	}
}

func TestDraftErrorsCiteArticles(t *testing.T) {
	tn := newTestNode(t, "sqlite")
	b := tn.signedIn(t, "FRA", identity.CentralAuthority)
	// In the page's main part: the header's language selector has its own.
	if p := b.do(t, "GET", "/ui/requests/new?kind=preservation", nil); strings.Count(p.Body[strings.Index(p.Body, "<main"):], " selected>") != 2 || !strings.Contains(p.Body, `<option value="preservation" selected>`) {
		t.Errorf("the form of a preservation does not have the preservation, and its urgency alone, selected:\n%s", p.Body)
	} else if !strings.Contains(p.Body, `<label for="basis-1">another treaty binding both States</label>`) || !strings.Contains(p.Body, `<option value="VNM">Viet Nam (VNM)</option>`) || strings.Contains(p.Body, `<option value="FRA">`) {
		t.Errorf("the form of a preservation names the legal bases by their codes, not in words, or does not offer the other States by name:\n%s", p.Body)
	}
	p := b.do(t, "POST", "/ui/requests", url.Values{"kind": {"preservation"}, "requested_state": {"VNM"}, "basis": {"reciprocity"}})
	if p.Status != http.StatusUnprocessableEntity || !strings.Contains(p.Body, "art. 42") || !strings.Contains(p.Body, `id="draft-errors"`) {
		t.Fatalf("an empty preservation: %d, want 422 citing art. 42\n%s", p.Status, p.Body)
	}
	// A State given by its name is named by the form's label.
	p = b.do(t, "POST", "/ui/requests", url.Values{"kind": {"preservation"}, "requested_state": {"Viet Nam"}, "basis": {"reciprocity"}})
	if want := "<strong>Requested State</strong>:"; p.Status != http.StatusUnprocessableEntity || !strings.Contains(p.Body, want) {
		t.Errorf("a preservation to \"Viet Nam\": %d, want 422 with %s\n%s", p.Status, want, p.Body)
	}
	f := url.Values{"kind": {"preservation"}, "requested_state": {"VNM"}, "basis": {"reciprocity"}, "urgency": {"urgent"}, "offence": {"10"}, "send": {"1"}}
	for k, v := range preservationContents("VNM").Fields {
		f.Set("field."+k, v)
	}
	p = b.do(t, "POST", "/ui/requests", f)
	if p.Status != http.StatusSeeOther || !strings.HasSuffix(p.Location, "?m=sent") {
		t.Fatalf("a full preservation, sent: %d to %q\n%s", p.Status, p.Location, p.Body)
	}
	vnm := tn.signedIn(t, "VNM", identity.TwentyFourSeven)
	inbox := vnm.do(t, "GET", "/ui/inbox", nil)
	id := strings.TrimSuffix(strings.TrimPrefix(p.Location, "/ui/requests/"), "?m=sent")
	if !strings.Contains(inbox.Body, id) {
		t.Fatalf("VNM's inbox does not list %s\n%s", id, inbox.Body)
	}
	page := vnm.do(t, "GET", "/ui/requests/"+id, nil)
	if !strings.Contains(page.Body, `id="act-acknowledge"`) || strings.Contains(page.Body, `id="act-withdraw"`) {
		t.Errorf("VNM's page of the request: want acknowledge and not withdraw\n%s", page.Body)
	}
	// The node's delivery is said in words, without the message's id.
	if tl := page.Body[strings.Index(page.Body, `id="timeline"`):]; !strings.Contains(tl, "Received by the node of Viet Nam (VNM).") || strings.Contains(tl, "message") {
		t.Errorf("VNM's timeline of the request: want its node's delivery in words\n%s", tl)
	}
	// A refusal without reasons is refused, the problem citing its article.
	r, _, _ := tn.Node.Request(t.Context(), actor("VNM", identity.TwentyFourSeven), id)
	p = vnm.do(t, "POST", "/ui/requests/"+id+"/actions", url.Values{"action": {string(casework.Execute)}, "version": {itoaT(r.Version)}})
	if p.Status != http.StatusUnprocessableEntity || !strings.Contains(p.Body, `id="action-errors"`) || !strings.Contains(p.Body, "art.") {
		t.Errorf("executing a received request: %d, want 422 with the article\n%s", p.Status, p.Body)
	}
	p = vnm.do(t, "POST", "/ui/requests/"+id+"/actions", url.Values{"action": {string(casework.Acknowledge)}, "version": {itoaT(r.Version)}})
	if p.Status != http.StatusSeeOther {
		t.Fatalf("acknowledge: %d\n%s", p.Status, p.Body)
	}
	if page := vnm.do(t, "GET", "/ui/requests/"+id, nil); !strings.Contains(page.Body, `<dd id="status" data-state="acknowledged">acknowledged</dd>`) {
		t.Errorf("after acknowledging, the page says\n%s", page.Body)
	}
}

// FuzzLocalNext: the page a sign-in goes back to comes from the URL, which
// anyone can write; it is always a page of the UI, never another site.
func FuzzLocalNext(f *testing.F) {
	for _, s := range []string{"/ui/inbox", "//evil.example/ui/", "/ui/\\\\evil", "https://evil.example/ui/", "/ui/requests/x?m=1", "/ui/%0d%0aSet-Cookie:x", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, next string) {
		got := localNext(next)
		u, err := url.Parse(got)
		if err != nil || u.Scheme != "" || u.Host != "" || !strings.HasPrefix(got, Prefix) || strings.HasPrefix(got, "//") || strings.ContainsAny(got, "\\\r\n") {
			t.Fatalf("localNext(%q) = %q: not a page of the UI", next, got)
		}
	})
}

// FuzzMatchTOTP: the code of the sign-in form is typed by anyone; only the
// code of the secret at the time matches, and nothing crashes.
func FuzzMatchTOTP(f *testing.F) {
	const secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
	f.Add("123456", int64(1_700_000_000))
	f.Add(" 12 34 56 ", int64(0))
	f.Add("１２３４５６", int64(59))
	f.Fuzz(func(t *testing.T, code string, unix int64) {
		if unix < 0 || unix > 1<<40 {
			return
		}
		now := time.Unix(unix, 0)
		step, ok := signin.MatchTOTP(secret, code, now, 0)
		if !ok {
			return
		}
		want, _ := signin.TOTPCode(secret, time.Unix(step*30, 0))
		if strings.ReplaceAll(strings.TrimSpace(code), " ", "") != want || step < unix/30-1 || step > unix/30+1 {
			t.Fatalf("MatchTOTP(%q at %d) matched step %d, whose code is %s", code, unix, step, want)
		}
	})
}
