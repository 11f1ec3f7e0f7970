package web

import (
	"context"
	"encoding/base64"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/webauthn"
	"github.com/chromedp/chromedp"

	"entraide/internal/identity"
)

// virtualAuthenticator gives tab a platform authenticator of Chromium's
// own, through the DevTools WebAuthn domain: it holds passkeys, verifies
// its user and is always touched. It returns the authenticator's id.
func virtualAuthenticator(t *testing.T, tab context.Context) webauthn.AuthenticatorID {
	t.Helper()
	var id webauthn.AuthenticatorID
	add := chromedp.Action[chromedp.Void](func(ctx context.Context, tg *chromedp.Target) (chromedp.Void, error) {
		if _, err := cdp.Call(ctx, tg, webauthn.Enable, webauthn.EnableParams{}); err != nil {
			return chromedp.Void{}, err
		}
		res, err := cdp.Call(ctx, tg, webauthn.AddVirtualAuthenticator, webauthn.AddVirtualAuthenticatorParams{Options: &webauthn.VirtualAuthenticatorOptions{
			Protocol: webauthn.AuthenticatorProtocolCtap2, Ctap2version: webauthn.Ctap2versionCtap21, Transport: webauthn.AuthenticatorTransportInternal,
			HasResidentKey: true, HasUserVerification: true, IsUserVerified: true, AutomaticPresenceSimulation: true}})
		id = res.AuthenticatorID
		return chromedp.Void{}, err
	})
	do(t, tab, "add a virtual authenticator", add)
	return id
}

// passkeysOf returns the passkeys the virtual authenticator id holds.
func passkeysOf(t *testing.T, tab context.Context, id webauthn.AuthenticatorID) []*webauthn.Credential {
	t.Helper()
	var creds []*webauthn.Credential
	do(t, tab, "read the authenticator's passkeys", func(ctx context.Context, tg *chromedp.Target) (chromedp.Void, error) {
		res, err := cdp.Call(ctx, tg, webauthn.GetCredentials, webauthn.GetCredentialsParams{AuthenticatorID: id})
		creds = res.Credentials
		return chromedp.Void{}, err
	})
	return creds
}

// TestBrowserPasskey runs a passkey's life in a real Chromium, over
// HTTPS, with the DevTools virtual authenticator in place of a security
// key: VNM's 24/7 officer enrols with a passkey in place of an
// authenticator app, signs in with password and passkey, and finds the
// passkey on their passkeys page. The node's public address names the
// relying party: localhost, for a browser offers passkeys to a domain,
// never to an IP address.
func TestBrowserPasskey(t *testing.T) {
	tn := newTestNode(t, "sqlite")
	srv := httptest.NewTLSServer(tn.Handler)
	t.Cleanup(srv.Close)
	base := strings.Replace(srv.URL, "127.0.0.1", "localhost", 1)
	if err := tn.Node.SetBaseURL(t.Context(), tn.Node.Admin(), base); err != nil {
		t.Fatal(err)
	}
	tab := browserTab(t)
	auth := virtualAuthenticator(t, tab)

	id := officialID("VNM", identity.TwentyFourSeven)
	e, err := tn.Node.IssueEnrolment(t.Context(), tn.Node.AdminOf("VNM"), id)
	if err != nil {
		t.Fatal(err)
	}
	const password = "correct horse battery staple"
	do(t, tab, "enter the enrolment code",
		chromedp.Navigate(base+"/ui/enrol"),
		chromedp.SendKeys(chromedp.CSS("#enrol-code"), e.Code),
		chromedp.Click(chromedp.CSS(`form[action="/ui/enrol"] button`)),
		chromedp.WaitVisible(chromedp.CSS("#passkey-enrol")))
	do(t, tab, "choose a password and register a passkey",
		chromedp.SendKeys(chromedp.CSS("#password"), password),
		chromedp.SendKeys(chromedp.CSS("#confirm"), password),
		chromedp.Click(chromedp.CSS("#passkey-enrol")),
		chromedp.WaitVisible(chromedp.CSS("#login")))
	screenshot(t, tab, "passkey-enrolled")
	if got := text(t, tab, ".notice"); !strings.Contains(got, "passkey") {
		t.Fatalf("after enrolling with a passkey the page says %q", got)
	}
	creds := passkeysOf(t, tab, auth)
	if len(creds) != 1 || !creds[0].IsResidentCredential {
		t.Fatalf("the authenticator holds %d passkeys after enrolment, want one discoverable", len(creds))
	}

	do(t, tab, "sign in with password and passkey",
		chromedp.SetValue(chromedp.CSS("#login"), id),
		chromedp.SendKeys(chromedp.CSS("#password"), password),
		chromedp.Click(chromedp.CSS("#passkey-signin")),
		chromedp.WaitVisible(chromedp.CSS(`form.signout`)))
	if creds := passkeysOf(t, tab, auth); len(creds) != 1 || creds[0].SignCount < 1 {
		t.Errorf("after signing in the authenticator's passkey has signed %v times, want at least once", creds)
	}

	do(t, tab, "open the passkeys page", chromedp.Navigate(base+"/ui/passkeys"), chromedp.WaitVisible(chromedp.CSS("#passkey-add")))
	if got := eval(t, tab, `String(document.querySelectorAll("#passkeys tbody tr").length)`); got != "1" {
		t.Errorf("the passkeys page lists %s passkeys, want 1", got)
	}
	want := base64.RawURLEncoding.EncodeToString(creds[0].CredentialID)[:16]
	if got := eval(t, tab, `document.querySelector("#passkeys code").textContent`); got != want {
		t.Errorf("the passkeys page names the passkey %q, want %q, the authenticator's", got, want)
	}
	screenshot(t, tab, "passkeys")
}
