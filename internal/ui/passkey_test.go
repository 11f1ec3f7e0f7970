package ui

import (
	"encoding/base64"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"entraide/internal/signin/signintest"
)

var secretInPage = regexp.MustCompile(`name="secret" value="([A-Z2-7]+)"`)

// begin posts form to a begin route and returns its JSON answer.
func (b *browser) begin(t *testing.T, path string, form url.Values) []byte {
	t.Helper()
	p := b.do(t, "POST", path, form)
	if p.Status != http.StatusOK {
		t.Fatalf("POST %s: %d\n%s", path, p.Status, p.Body)
	}
	return []byte(p.Body)
}

// ceremonyOf returns the ceremony id of a begin route's answer.
func ceremonyOf(t *testing.T, answer []byte) string {
	t.Helper()
	m := regexp.MustCompile(`"ceremony":"([^"]+)"`).FindSubmatch(answer)
	if m == nil {
		t.Fatalf("no ceremony in %s", answer)
	}
	return string(m[1])
}

// enrolWithPasskey enrols state's official id with a passkey in place of
// an authenticator app, and returns the key.
func (b *browser) enrolWithPasskey(t *testing.T, state, id string) *signintest.Key {
	t.Helper()
	n := b.tn.Node
	e, err := n.IssueEnrolment(t.Context(), n.AdminOf(state), id)
	if err != nil {
		t.Fatal(err)
	}
	p := b.do(t, "POST", "/ui/enrol", url.Values{"code": {e.Code}})
	m := secretInPage.FindStringSubmatch(p.Body)
	if m == nil {
		t.Fatalf("POST /ui/enrol: %d, no secret in the form\n%s", p.Status, p.Body)
	}
	options := b.begin(t, "/ui/enrol/passkey", url.Values{"code": {e.Code}})
	key, answer := signintest.Create(t, options, testBaseURL)
	p = b.do(t, "POST", "/ui/enrol/finish", url.Values{"code": {e.Code}, "secret": {m[1]}, "password": {testPassword}, "confirm": {testPassword},
		"ceremony": {ceremonyOf(t, options)}, "passkey": {string(answer)}})
	if p.Status != http.StatusSeeOther || !strings.Contains(p.Location, "m=enrolled-passkey") {
		t.Fatalf("POST /ui/enrol/finish with a passkey: %d to %q\n%s", p.Status, p.Location, p.Body)
	}
	return key
}

// signinForm returns the sign-in form of login with key's answer to a
// fresh challenge.
func (b *browser) signinForm(t *testing.T, login string, key *signintest.Key) url.Values {
	t.Helper()
	options := b.begin(t, "/ui/signin/passkey", url.Values{})
	return url.Values{"login": {login}, "password": {testPassword}, "ceremony": {ceremonyOf(t, options)}, "passkey": {string(key.Get(t, options, testBaseURL))}}
}

func TestPasskeyEnrolAndSignIn(t *testing.T) {
	tn := newTestNode(t, "sqlite")
	b := tn.browser()
	key := b.enrolWithPasskey(t, "VNM", "vnm-24_7")
	form := b.signinForm(t, "vnm-24_7", key)
	if p := b.do(t, "POST", "/ui/signin", form); p.Status != http.StatusSeeOther || p.Location != "/ui/inbox" {
		t.Fatalf("sign-in with password and passkey: %d to %q\n%s", p.Status, p.Location, p.Body)
	}
	p := b.do(t, "GET", "/ui/passkeys", nil)
	if p.Status != 200 || !strings.Contains(p.Body, key.IDString()[:16]) {
		t.Errorf("GET /ui/passkeys: %d, want the passkey %s listed\n%s", p.Status, key.IDString(), p.Body)
	}

	// A second passkey, registered while signed in, signs in too.
	options := b.begin(t, "/ui/passkeys/begin", url.Values{})
	second, answer := signintest.Create(t, options, testBaseURL)
	if p := b.do(t, "POST", "/ui/passkeys", url.Values{"ceremony": {ceremonyOf(t, options)}, "passkey": {string(answer)}}); p.Status != http.StatusSeeOther {
		t.Fatalf("POST /ui/passkeys: %d\n%s", p.Status, p.Body)
	}
	if string(second.Handle) != string(key.Handle) {
		t.Errorf("the second passkey's user handle differs from the first's: an official has one")
	}
	other := tn.browser()
	if p := other.do(t, "POST", "/ui/signin", other.signinForm(t, "vnm-24_7", second)); p.Status != http.StatusSeeOther {
		t.Errorf("sign-in with the second passkey: %d\n%s", p.Status, p.Body)
	}
	// The first is removed; the second, now the last, is kept.
	if p := b.do(t, "POST", "/ui/passkeys/"+key.IDString()+"/remove", url.Values{}); p.Status != http.StatusSeeOther {
		t.Errorf("removing the first passkey: %d\n%s", p.Status, p.Body)
	}
	if p := b.do(t, "POST", "/ui/passkeys/"+second.IDString()+"/remove", url.Values{}); p.Status != http.StatusConflict {
		t.Errorf("removing the last passkey of an official without an app: %d, want 409\n%s", p.Status, p.Body)
	}
}

// The sign-in refuses a passkey's answer that is replayed, answers
// another challenge, is another official's, or is an official's who was
// disabled; each is a failed sign-in that counts toward the lockout.
func TestPasskeySigninRefusals(t *testing.T) {
	tn := newTestNode(t, "sqlite")
	b := tn.browser()
	vnm := b.enrolWithPasskey(t, "VNM", "vnm-24_7")
	fra := b.enrolWithPasskey(t, "FRA", "fra-central_authority")
	refused := func(t *testing.T, form url.Values, want string) {
		t.Helper()
		p := tn.browser().do(t, "POST", "/ui/signin", form)
		if p.Status != http.StatusUnauthorized || !strings.Contains(p.Body, want) {
			t.Errorf("POST /ui/signin: %d, want 401 saying %q\n%s", p.Status, want, p.Body)
		}
	}
	const wrong = "Login, password or passkey is wrong"

	t.Run("replayed", func(t *testing.T) {
		form := b.signinForm(t, "vnm-24_7", vnm)
		if p := tn.browser().do(t, "POST", "/ui/signin", form); p.Status != http.StatusSeeOther {
			t.Fatalf("first sign-in: %d\n%s", p.Status, p.Body)
		}
		refused(t, form, wrong)
	})
	t.Run("bad challenge", func(t *testing.T) {
		form := b.signinForm(t, "vnm-24_7", vnm)
		form.Set("ceremony", ceremonyOf(t, b.begin(t, "/ui/signin/passkey", url.Values{})))
		refused(t, form, wrong)
	})
	t.Run("another official's passkey", func(t *testing.T) {
		refused(t, b.signinForm(t, "vnm-24_7", fra), wrong)
	})
	t.Run("unknown credential", func(t *testing.T) {
		// A key the node never registered, though under vnm-24_7's handle.
		options := `{"publicKey":{"challenge":"AAAA","rp":{"id":"entraide.test"},"user":{"id":"` + base64.RawURLEncoding.EncodeToString(vnm.Handle) + `"}}}`
		stranger, _ := signintest.Create(t, []byte(options), testBaseURL)
		refused(t, b.signinForm(t, "vnm-24_7", stranger), wrong)
	})
	t.Run("wrong password", func(t *testing.T) {
		form := b.signinForm(t, "vnm-24_7", vnm)
		form.Set("password", "not the password at all")
		refused(t, form, wrong)
	})
	t.Run("disabled official", func(t *testing.T) {
		if _, err := tn.Node.SetDisabled(t.Context(), tn.Node.AdminOf("FRA"), "fra-central_authority", true); err != nil {
			t.Fatal(err)
		}
		refused(t, b.signinForm(t, "fra-central_authority", fra), "disabled")
	})
}
