package web

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/zitadel/oidc/v3/example/server/exampleop"
	"github.com/zitadel/oidc/v3/example/server/storage"

	"entraide/internal/identity"
	"entraide/internal/ui"
)

// TestBrowserOIDC signs an official in with a government's identity
// provider in a real Chromium: zitadel/oidc's example OpenID provider,
// in process, over HTTPS. The official is enrolled on the node first; the
// sign-in page sends them to the provider, whose form they fill in, and
// the provider sends them back signed in, to the page they asked for. The
// session's cookie is same-site strict: the node's own page sends the
// browser on, for a browser withholds such a cookie at the end of
// redirects that began at the provider.
func TestBrowserOIDC(t *testing.T) {
	tn := newTestNode(t, "sqlite")
	id := officialID("VNM", identity.TwentyFourSeven)

	node := httptest.NewUnstartedServer(nil)
	base := "https://localhost:" + strings.Split(node.Listener.Addr().String(), ":")[1]
	if err := tn.Node.SetBaseURL(t.Context(), tn.Node.Admin(), base); err != nil {
		t.Fatal(err)
	}

	users, err := json.Marshal(map[string]*storage.User{"idp-0001": {ID: "idp-0001", Username: id, Password: "idp password", FirstName: "Test", LastName: "Officer"}})
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "users.json")
	if err := os.WriteFile(file, users, 0o600); err != nil {
		t.Fatal(err)
	}
	us, err := storage.StoreFromFile(file)
	if err != nil {
		t.Fatal(err)
	}
	idp := httptest.NewUnstartedServer(nil)
	issuer := "https://" + idp.Listener.Addr().String()
	st := storage.NewStorageWithClients(us, map[string]*storage.Client{"entraide": storage.WebClient("entraide", "client secret", base+"/ui/oidc/callback")})
	idp.Config.Handler = exampleop.SetupServer(issuer, st, slog.New(slog.DiscardHandler), false)
	idp.StartTLS()
	t.Cleanup(idp.Close)

	node.Config.Handler = NewServer(tn.Node, slog.New(slog.NewTextHandler(io.Discard, nil)), Config{Limits: testLimits,
		OIDC: &ui.OIDC{Issuer: issuer, ClientID: "entraide", ClientSecret: "client secret", Client: idp.Client()}})
	node.StartTLS()
	t.Cleanup(node.Close)

	tab := browserTab(t)
	enrolAndSignIn(t, tn, tab, base, "VNM", id)
	do(t, tab, "sign out", chromedp.Click(chromedp.CSS(`form.signout button`)), chromedp.WaitVisible(chromedp.CSS("#oidc-start")))

	do(t, tab, "sign in at the identity provider",
		chromedp.Navigate(base+"/ui/console"),
		chromedp.WaitVisible(chromedp.CSS("#oidc-start")),
		chromedp.Click(chromedp.CSS("#oidc-start")),
		chromedp.WaitVisible(chromedp.CSS("#username")),
		chromedp.SendKeys(chromedp.CSS("#username"), id),
		chromedp.SendKeys(chromedp.CSS("#password"), "idp password"),
		chromedp.Click(chromedp.CSS(`button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS("#open-alerts")))
	screenshot(t, tab, "oidc-console")
	if got := text(t, tab, "form.signout"); !strings.Contains(got, id) {
		t.Errorf("after the provider's sign-in the page says %q, want %s signed in", got, id)
	}
}
