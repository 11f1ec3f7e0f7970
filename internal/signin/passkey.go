package signin

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"sync"
	"time"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"
)

// Passkey is a WebAuthn credential an official signs in with, in place
// of a TOTP code, as stored: a public key and a counter, nothing secret.
type Passkey struct {
	ID    string // the credential's id, base64url, as the browser names it
	User  string
	State string
	// Handle is the official's user handle, random and the same for each
	// of their passkeys: the authenticator that holds it learns nothing of
	// the official's login.
	Handle     []byte
	Credential webauthn.Credential
	CreatedAt  time.Time
	LastUsedAt time.Time
}

// Errors of the passkey ceremonies, for callers to tell apart.
var (
	// ErrNoCeremony: no ceremony waits under the id given, because it
	// expired, was used already, or never was.
	ErrNoCeremony = errors.New("no passkey ceremony waits under this id: it expired or was used already; start again")
	// ErrUnknownPasskey: the browser answered with a passkey this node
	// does not hold, or with one under another official's handle.
	ErrUnknownPasskey = errors.New("this passkey is not registered on this node")
	// ErrPasskeyRejected: the answer does not verify (another challenge,
	// another origin, a bad signature, a cloned authenticator).
	ErrPasskeyRejected = errors.New("the passkey's answer does not verify")
)

// CeremonyTTL is how long a browser has to answer a challenge: long
// enough to find a security key, short enough that a challenge seen by
// someone else is soon worthless.
const CeremonyTTL = 5 * time.Minute

// maxCeremonies bounds the challenges waiting at once: the sign-in's is
// handed to anyone who asks, and must not fill the node's memory.
const maxCeremonies = 10000

// Ceremonies holds the challenges of passkey ceremonies begun and not
// finished. Each is taken once: a second answer to the same challenge
// finds none. It is safe for concurrent use.
type Ceremonies struct {
	mu sync.Mutex
	m  map[string]ceremony
}

type ceremony struct {
	kind    string // "register" or "signin"
	user    string // the official registering; "" for a sign-in
	data    webauthn.SessionData
	expires time.Time
}

// put keeps a ceremony and returns its id, refusing when too many wait.
func (cs *Ceremonies) put(c ceremony, now time.Time) (string, error) {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	if cs.m == nil {
		cs.m = map[string]ceremony{}
	}
	if len(cs.m) >= maxCeremonies {
		for id, old := range cs.m {
			if !now.Before(old.expires) {
				delete(cs.m, id)
			}
		}
		if len(cs.m) >= maxCeremonies {
			return "", errors.New("too many passkey ceremonies are waiting: try again in a few minutes")
		}
	}
	b := make([]byte, 16)
	rand.Read(b) // never returns an error (crypto/rand, Go 1.24+)
	id := base64.RawURLEncoding.EncodeToString(b)
	c.expires = now.Add(CeremonyTTL)
	cs.m[id] = c
	return id, nil
}

// take removes and returns the ceremony id of kind, whether the answer
// to it then verifies or not: a challenge gets one answer.
func (cs *Ceremonies) take(id, kind string, now time.Time) (ceremony, error) {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	c, ok := cs.m[id]
	if !ok || c.kind != kind {
		return ceremony{}, ErrNoCeremony
	}
	delete(cs.m, id)
	if !now.Before(c.expires) {
		return ceremony{}, ErrNoCeremony
	}
	return c, nil
}

// RelyingParty runs the WebAuthn ceremonies of a node. Its relying party
// id is the host of the node's public address, and the one origin it
// accepts answers from is that address's.
type RelyingParty struct {
	w  *webauthn.WebAuthn
	cs *Ceremonies
}

// NewRelyingParty returns the relying party of the node reached at
// publicURL, keeping its challenges in cs. A publicURL that is no https://
// address is refused: browsers offer passkeys to secure origins only.
func NewRelyingParty(publicURL string, cs *Ceremonies) (*RelyingParty, error) {
	u, err := url.Parse(publicURL)
	if err != nil || u.Scheme != "https" || u.Hostname() == "" || u.User != nil {
		return nil, fmt.Errorf("the node's public address %q is no https:// address: an administrator sets it (entraide serve --base-url) before officials use passkeys", publicURL)
	}
	w, err := webauthn.New(&webauthn.Config{
		RPID:          u.Hostname(),
		RPDisplayName: Issuer,
		RPOrigins:     []string{u.Scheme + "://" + u.Host},
		// The node trusts the password for who signs in and the passkey
		// for the second factor; which maker built the authenticator is
		// not its concern, and asking would show a prompt for nothing.
		AttestationPreference: protocol.PreferNoAttestation,
		AuthenticatorSelection: protocol.AuthenticatorSelection{
			// Discoverable: the browser offers the official's passkey
			// without the node first saying which ones the login holds,
			// which would tell anyone which logins exist.
			ResidentKey:        protocol.ResidentKeyRequirementRequired,
			RequireResidentKey: protocol.ResidentKeyRequired(),
			UserVerification:   protocol.VerificationPreferred,
		},
	})
	if err != nil {
		return nil, fmt.Errorf("passkeys for %q: %w", publicURL, err)
	}
	return &RelyingParty{w: w, cs: cs}, nil
}

// official is an official as the webauthn package sees one.
type official struct {
	login, name string
	handle      []byte
	creds       []webauthn.Credential
}

func (o official) WebAuthnID() []byte                         { return o.handle }
func (o official) WebAuthnName() string                       { return o.login }
func (o official) WebAuthnDisplayName() string                { return o.name }
func (o official) WebAuthnCredentials() []webauthn.Credential { return o.creds }

// BeginRegistration starts registering a passkey for the official login,
// named name, who holds the passkeys existing (an authenticator that
// holds one of them is not registered twice). It returns the ceremony's
// id and the options for the browser's navigator.credentials.create, as
// JSON.
func (rp *RelyingParty) BeginRegistration(login, name string, existing []Passkey, now time.Time) (id string, options []byte, err error) {
	o := official{login: login, name: name}
	for _, p := range existing {
		o.handle = p.Handle
		o.creds = append(o.creds, p.Credential)
	}
	if o.handle == nil {
		o.handle = make([]byte, 32)
		rand.Read(o.handle) // never returns an error (crypto/rand, Go 1.24+)
	}
	creation, data, err := rp.w.BeginRegistration(o, webauthn.WithExclusions(webauthn.Credentials(o.creds).CredentialDescriptors()))
	if err != nil {
		return "", nil, err
	}
	if options, err = json.Marshal(creation); err != nil {
		return "", nil, err
	}
	id, err = rp.cs.put(ceremony{kind: "register", user: login, data: *data}, now)
	return id, options, err
}

// FinishRegistration returns the passkey that answer, the browser's
// PublicKeyCredential as JSON, registers for the official login, for the
// ceremony id begun for them. The passkey's State is left for the caller.
func (rp *RelyingParty) FinishRegistration(id, login string, answer []byte, now time.Time) (Passkey, error) {
	c, err := rp.cs.take(id, "register", now)
	if err != nil {
		return Passkey{}, err
	}
	if c.user != login {
		return Passkey{}, ErrNoCeremony
	}
	parsed, err := protocol.ParseCredentialCreationResponseBytes(answer)
	if err != nil {
		return Passkey{}, fmt.Errorf("%w: %v", ErrPasskeyRejected, err)
	}
	o := official{login: login, handle: c.data.UserID}
	cred, err := rp.w.CreateCredential(o, c.data, parsed)
	if err != nil {
		return Passkey{}, fmt.Errorf("%w: %v", ErrPasskeyRejected, err)
	}
	return Passkey{ID: base64.RawURLEncoding.EncodeToString(cred.ID), User: login, Handle: c.data.UserID, Credential: *cred, CreatedAt: now}, nil
}

// BeginSignin starts a sign-in with any passkey of this node. It returns
// the ceremony's id and the options for the browser's
// navigator.credentials.get, as JSON.
func (rp *RelyingParty) BeginSignin(now time.Time) (id string, options []byte, err error) {
	assertion, data, err := rp.w.BeginDiscoverableLogin()
	if err != nil {
		return "", nil, err
	}
	if options, err = json.Marshal(assertion); err != nil {
		return "", nil, err
	}
	id, err = rp.cs.put(ceremony{kind: "signin", data: *data}, now)
	return id, options, err
}

// FinishSignin verifies answer, the browser's PublicKeyCredential as
// JSON, against the sign-in ceremony id. lookup returns the passkey whose
// id it is given, or ErrUnknownPasskey. FinishSignin returns that passkey
// with its counter moved on and its use noted at now, to be stored.
func (rp *RelyingParty) FinishSignin(id string, answer []byte, now time.Time, lookup func(id string) (Passkey, error)) (Passkey, error) {
	c, err := rp.cs.take(id, "signin", now)
	if err != nil {
		return Passkey{}, err
	}
	parsed, err := protocol.ParseCredentialRequestResponseBytes(answer)
	if err != nil {
		return Passkey{}, fmt.Errorf("%w: %v", ErrPasskeyRejected, err)
	}
	var found Passkey
	var lookupErr error
	handler := func(rawID, handle []byte) (webauthn.User, error) {
		p, err := lookup(base64.RawURLEncoding.EncodeToString(rawID))
		if err == nil && !bytes.Equal(handle, p.Handle) {
			err = ErrUnknownPasskey
		}
		if err != nil {
			lookupErr = err
			return nil, err
		}
		found = p
		return official{login: p.User, handle: p.Handle, creds: []webauthn.Credential{p.Credential}}, nil
	}
	_, cred, err := rp.w.ValidatePasskeyLogin(handler, c.data, parsed)
	switch {
	case lookupErr != nil:
		return Passkey{}, lookupErr
	case err != nil:
		return Passkey{}, fmt.Errorf("%w: %v", ErrPasskeyRejected, err)
	case cred.Authenticator.CloneWarning:
		// The counter went back: two authenticators hold the same key.
		return Passkey{}, fmt.Errorf("%w: its signature counter went back, as a copied authenticator's does", ErrPasskeyRejected)
	}
	found.Credential = *cred
	found.LastUsedAt = now
	return found, nil
}
