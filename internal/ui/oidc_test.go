package ui

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/zitadel/oidc/v3/example/server/exampleop"
	"github.com/zitadel/oidc/v3/example/server/storage"
)

// identityProvider starts a real OpenID Connect provider in the test, the
// example provider of zitadel/oidc (discovery, authorization code flow
// with PKCE, signed ID tokens, userinfo), knowing the people of users
// (login → ID at the provider) and the node's client, which redirects to
// redirect. It returns the provider's issuer URL.
func identityProvider(t *testing.T, redirect string, users map[string]string) string {
	t.Helper()
	people := map[string]*storage.User{}
	for login, id := range users {
		people[id] = &storage.User{ID: id, Username: login, Password: "idp password", FirstName: "Test", LastName: login, Email: login + "@gov.example", EmailVerified: true}
	}
	file := filepath.Join(t.TempDir(), "users.json")
	data, err := json.Marshal(people)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, data, 0o600); err != nil {
		t.Fatal(err)
	}
	us, err := storage.StoreFromFile(file)
	if err != nil {
		t.Fatal(err)
	}
	st := storage.NewStorageWithClients(us, map[string]*storage.Client{"entraide": storage.WebClient("entraide", "client secret", redirect)})
	idp := httptest.NewUnstartedServer(nil)
	issuer := "https://" + idp.Listener.Addr().String()
	// The example logs each request through the default logger: quiet.
	idp.Config.Handler = exampleop.SetupServer(issuer, st, slog.New(slog.DiscardHandler), false)
	idp.StartTLS()
	t.Cleanup(idp.Close)
	return issuer
}

// oidcNode is the test node's UI with sign-in at the provider issuer,
// behind an HTTPS server that is the node's public address.
func oidcNode(t *testing.T, tn *testNode) (base string, start func(issuer string)) {
	t.Helper()
	srv := httptest.NewUnstartedServer(nil)
	base = "https://" + srv.Listener.Addr().String()
	if err := tn.Node.SetBaseURL(t.Context(), tn.Node.Admin(), base); err != nil {
		t.Fatal(err)
	}
	start = func(issuer string) {
		u, err := New(tn.Node, Config{Log: slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelError})),
			OIDC: &OIDC{Issuer: issuer, ClientID: "entraide", ClientSecret: "client secret", Client: tn.srv.Client()}})
		if err != nil {
			t.Fatal(err)
		}
		srv.Config.Handler = u.Handler()
		srv.StartTLS()
		t.Cleanup(srv.Close)
	}
	return base, start
}

// idpBrowser follows redirects across the node and the provider, as a
// browser does, noting the callback it was sent to.
type idpBrowser struct {
	c        *http.Client
	callback string
}

func newIDPBrowser(tn *testNode) *idpBrowser {
	b := &idpBrowser{}
	jar, _ := cookiejar.New(nil)
	c := *tn.srv.Client()
	c.Jar = jar
	c.CheckRedirect = func(r *http.Request, _ []*http.Request) error {
		if strings.HasSuffix(r.URL.Path, "/ui/oidc/callback") {
			b.callback = r.URL.String()
		}
		return nil
	}
	b.c = &c
	return b
}

func (b *idpBrowser) get(t *testing.T, u string) page {
	t.Helper()
	res, err := b.c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	data, _ := io.ReadAll(res.Body)
	return page{Status: res.StatusCode, Location: res.Request.URL.String(), Body: string(data)}
}

var idpRequestID = regexp.MustCompile(`name="id" value="([^"]+)"`)

// signInAt starts a sign-in at the node, signs in at the provider as
// login, and returns the page the node answers the callback with.
func (b *idpBrowser) signInAt(t *testing.T, node, issuer, login string) page {
	t.Helper()
	p := b.get(t, node+"/ui/oidc/start?next=/ui/console")
	m := idpRequestID.FindStringSubmatch(p.Body)
	if p.Status != 200 || m == nil || !strings.HasPrefix(p.Location, issuer) {
		t.Fatalf("GET /ui/oidc/start: %d at %s, want the provider's sign-in form\n%s", p.Status, p.Location, p.Body)
	}
	res, err := b.c.PostForm(issuer+"/login/username", url.Values{"id": {m[1]}, "username": {login}, "password": {"idp password"}})
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	data, _ := io.ReadAll(res.Body)
	return page{Status: res.StatusCode, Location: res.Request.URL.String(), Body: string(data)}
}

func TestOIDCSignIn(t *testing.T) {
	tn := newTestNode(t, "sqlite")
	tn.browser().enrol(t, "VNM", "vnm-24_7")
	node, start := oidcNode(t, tn)
	issuer := identityProvider(t, node+"/ui/oidc/callback", map[string]string{"vnm-24_7": "idp-0001", "nobody-here": "idp-0002", "vnm-investigator": "idp-0003"})
	start(issuer)

	b := newIDPBrowser(tn)
	p := b.signInAt(t, node, issuer, "vnm-24_7")
	if p.Status != http.StatusOK || !strings.Contains(p.Body, `href="/ui/console"`) || !strings.Contains(p.Body, `http-equiv="refresh"`) {
		t.Fatalf("the callback: %d at %s, want the page that sends on to /ui/console\n%s", p.Status, p.Location, p.Body)
	}
	if p := b.get(t, node+"/ui/console"); p.Status != http.StatusOK || !strings.Contains(p.Body, "vnm-24_7") {
		t.Fatalf("GET /ui/console after the provider's sign-in: %d at %s", p.Status, p.Location)
	}
	audit := auditActions(t, tn, "VNM")
	if !strings.Contains(audit, "signin.oidc.link") || !strings.Contains(audit, `"factor":"oidc"`) {
		t.Errorf("VNM's audit log after the provider's sign-in lacks the mapping or the sign-in:\n%s", audit)
	}

	// The callback again, code and state as they were: refused.
	if b.callback == "" {
		t.Fatal("no callback was seen")
	}
	if p := b.get(t, b.callback); p.Status != http.StatusUnauthorized || !strings.Contains(p.Body, "expired or was already used") {
		t.Errorf("the callback replayed: %d, want 401 saying the sign-in was used\n%s", p.Status, p.Body)
	}

	// The same identity again: the mapping signs in, no new one is made.
	if p := newIDPBrowser(tn).signInAt(t, node, issuer, "vnm-24_7"); p.Status != http.StatusOK {
		t.Errorf("a second sign-in: %d\n%s", p.Status, p.Body)
	}
	if n := strings.Count(auditActions(t, tn, "VNM"), "signin.oidc.link"); n != 1 {
		t.Errorf("the identity was mapped %d times, want once", n)
	}

	// An identity that names no official of the node is refused, saying
	// so; so is one whose official is not enrolled.
	for _, login := range []string{"nobody-here", "vnm-investigator"} {
		p := newIDPBrowser(tn).signInAt(t, node, issuer, login)
		if p.Status != http.StatusUnauthorized || !strings.Contains(p.Body, "no official with that login is enrolled on this node") {
			t.Errorf("sign-in as %s: %d, want 401 naming the unknown login\n%s", login, p.Status, p.Body)
		}
	}

	// A disabled official is refused.
	if _, err := tn.Node.SetDisabled(t.Context(), tn.Node.AdminOf("VNM"), "vnm-24_7", true); err != nil {
		t.Fatal(err)
	}
	if p := newIDPBrowser(tn).signInAt(t, node, issuer, "vnm-24_7"); p.Status != http.StatusUnauthorized || !strings.Contains(p.Body, "disabled") {
		t.Errorf("sign-in of a disabled official: %d\n%s", p.Status, p.Body)
	}
}

// A callback without the state its browser was given is refused.
func TestOIDCCallbackNeedsItsState(t *testing.T) {
	tn := newTestNode(t, "sqlite")
	node, start := oidcNode(t, tn)
	start(identityProvider(t, node+"/ui/oidc/callback", nil))
	b := newIDPBrowser(tn)
	for _, q := range []string{"", "?state=forged&code=x"} {
		if p := b.get(t, node+"/ui/oidc/callback"+q); p.Status != http.StatusUnauthorized {
			t.Errorf("GET /ui/oidc/callback%s: %d, want 401", q, p.Status)
		}
	}
}
