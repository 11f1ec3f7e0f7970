package signin_test

import (
	"encoding/base64"
	"errors"
	"testing"
	"time"

	"entraide/internal/signin"
	"entraide/internal/signin/signintest"
)

var b64u = base64.RawURLEncoding

const testOrigin = "https://entraide.justice.example"

var testNow = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)

// registered returns a relying party and a passkey of official login
// registered with it, and the key that holds it.
func registered(t *testing.T, login string) (*signin.RelyingParty, signin.Passkey, *signintest.Key) {
	t.Helper()
	rp, err := signin.NewRelyingParty(testOrigin+"/", &signin.Ceremonies{})
	if err != nil {
		t.Fatal(err)
	}
	id, options, err := rp.BeginRegistration(login, "Official "+login, nil, testNow)
	if err != nil {
		t.Fatal(err)
	}
	key, answer := signintest.Create(t, options, testOrigin)
	p, err := rp.FinishRegistration(id, login, answer, testNow)
	if err != nil {
		t.Fatalf("FinishRegistration: %v", err)
	}
	if p.User != login || p.ID != b64u.EncodeToString(key.ID) {
		t.Fatalf("FinishRegistration = passkey %s of %q, want %s of %q", p.ID, p.User, b64u.EncodeToString(key.ID), login)
	}
	return rp, p, key
}

func lookupOf(ps ...signin.Passkey) func(string) (signin.Passkey, error) {
	return func(id string) (signin.Passkey, error) {
		for _, p := range ps {
			if p.ID == id {
				return p, nil
			}
		}
		return signin.Passkey{}, signin.ErrUnknownPasskey
	}
}

func TestPasskeySignin(t *testing.T) {
	rp, p, key := registered(t, "fra-ca")
	for i := range 2 {
		id, options, err := rp.BeginSignin(testNow)
		if err != nil {
			t.Fatal(err)
		}
		got, err := rp.FinishSignin(id, key.Get(t, options, testOrigin), testNow, lookupOf(p))
		if err != nil {
			t.Fatalf("sign-in %d: %v", i+1, err)
		}
		if got.User != "fra-ca" || got.Credential.Authenticator.SignCount != key.Counter || !got.LastUsedAt.Equal(testNow) {
			t.Errorf("sign-in %d: passkey of %q, counter %d, used %v; want fra-ca, %d, %v", i+1, got.User, got.Credential.Authenticator.SignCount, got.LastUsedAt, key.Counter, testNow)
		}
		p = got
	}
}

func TestPasskeySigninRefused(t *testing.T) {
	rp, p, key := registered(t, "fra-ca")
	_, other, otherKey := registered(t, "vnm-247")
	begin := func() (string, []byte) {
		id, options, err := rp.BeginSignin(testNow)
		if err != nil {
			t.Fatal(err)
		}
		return id, options
	}
	tests := []struct {
		name string
		// answer returns the ceremony's id and the browser's answer.
		answer func() (string, []byte)
		lookup func(string) (signin.Passkey, error)
		at     time.Time
		want   error
	}{
		{name: "answer to another challenge", answer: func() (string, []byte) {
			_, options := begin()
			id, _ := begin()
			return id, key.Get(t, options, testOrigin)
		}, want: signin.ErrPasskeyRejected},
		{name: "unknown ceremony", answer: func() (string, []byte) {
			_, options := begin()
			return "not-a-ceremony", key.Get(t, options, testOrigin)
		}, want: signin.ErrNoCeremony},
		{name: "expired ceremony", answer: func() (string, []byte) {
			id, options := begin()
			return id, key.Get(t, options, testOrigin)
		}, at: testNow.Add(signin.CeremonyTTL), want: signin.ErrNoCeremony},
		{name: "another origin", answer: func() (string, []byte) {
			id, options := begin()
			return id, key.Get(t, options, "https://entraide.attacker.example")
		}, want: signin.ErrPasskeyRejected},
		{name: "unknown credential", answer: func() (string, []byte) {
			id, options := begin()
			return id, key.Get(t, options, testOrigin)
		}, lookup: lookupOf(other), want: signin.ErrUnknownPasskey},
		{name: "another official's handle", answer: func() (string, []byte) {
			id, options := begin()
			k := *otherKey
			k.ID = key.ID // fra-ca's credential, answered under vnm-247's handle
			return id, k.Get(t, options, testOrigin)
		}, want: signin.ErrUnknownPasskey},
		{name: "counter gone back", answer: func() (string, []byte) {
			id, options := begin()
			return id, key.Get(t, options, testOrigin)
		}, lookup: func(string) (signin.Passkey, error) {
			q := p
			q.Credential.Authenticator.SignCount = 1 << 30
			return q, nil
		}, want: signin.ErrPasskeyRejected},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lookup := tt.lookup
			if lookup == nil {
				lookup = lookupOf(p, other)
			}
			at := tt.at
			if at.IsZero() {
				at = testNow
			}
			id, answer := tt.answer()
			if _, err := rp.FinishSignin(id, answer, at, lookup); !errors.Is(err, tt.want) {
				t.Errorf("FinishSignin = %v, want %v", err, tt.want)
			}
		})
	}
}

// A challenge is answered once: the same answer again, under the same
// ceremony or under a fresh one, is refused.
func TestPasskeySigninReplayed(t *testing.T) {
	rp, p, key := registered(t, "fra-ca")
	id, options, err := rp.BeginSignin(testNow)
	if err != nil {
		t.Fatal(err)
	}
	answer := key.Get(t, options, testOrigin)
	if _, err := rp.FinishSignin(id, answer, testNow, lookupOf(p)); err != nil {
		t.Fatalf("first answer: %v", err)
	}
	if _, err := rp.FinishSignin(id, answer, testNow, lookupOf(p)); !errors.Is(err, signin.ErrNoCeremony) {
		t.Errorf("the same answer again = %v, want %v", err, signin.ErrNoCeremony)
	}
	fresh, _, err := rp.BeginSignin(testNow)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rp.FinishSignin(fresh, answer, testNow, lookupOf(p)); !errors.Is(err, signin.ErrPasskeyRejected) {
		t.Errorf("the same answer under a fresh ceremony = %v, want %v", err, signin.ErrPasskeyRejected)
	}
}

func TestPasskeyRegistrationRefused(t *testing.T) {
	rp, err := signin.NewRelyingParty(testOrigin, &signin.Ceremonies{})
	if err != nil {
		t.Fatal(err)
	}
	signinID, signinOptions, err := rp.BeginSignin(testNow)
	if err != nil {
		t.Fatal(err)
	}
	_ = signinOptions
	tests := []struct {
		name   string
		login  string
		answer func() (string, []byte)
		want   error
	}{
		{name: "for another official", login: "vnm-247", answer: func() (string, []byte) {
			id, options, _ := rp.BeginRegistration("fra-ca", "", nil, testNow)
			_, answer := signintest.Create(t, options, testOrigin)
			return id, answer
		}, want: signin.ErrNoCeremony},
		{name: "a sign-in's ceremony", login: "fra-ca", answer: func() (string, []byte) {
			_, options, _ := rp.BeginRegistration("fra-ca", "", nil, testNow)
			_, answer := signintest.Create(t, options, testOrigin)
			return signinID, answer
		}, want: signin.ErrNoCeremony},
		{name: "answer to another challenge", login: "fra-ca", answer: func() (string, []byte) {
			_, options, _ := rp.BeginRegistration("fra-ca", "", nil, testNow)
			id, _, _ := rp.BeginRegistration("fra-ca", "", nil, testNow)
			_, answer := signintest.Create(t, options, testOrigin)
			return id, answer
		}, want: signin.ErrPasskeyRejected},
		{name: "not JSON", login: "fra-ca", answer: func() (string, []byte) {
			id, _, _ := rp.BeginRegistration("fra-ca", "", nil, testNow)
			return id, []byte("{")
		}, want: signin.ErrPasskeyRejected},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id, answer := tt.answer()
			if _, err := rp.FinishRegistration(id, tt.login, answer, testNow); !errors.Is(err, tt.want) {
				t.Errorf("FinishRegistration = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestNewRelyingPartyRefusesPlainAddress(t *testing.T) {
	for _, u := range []string{"", "http://entraide.example", "entraide.example", "https://user@entraide.example"} {
		if _, err := signin.NewRelyingParty(u, &signin.Ceremonies{}); err == nil {
			t.Errorf("signin.NewRelyingParty(%q) = nil error, want a refusal", u)
		}
	}
}
