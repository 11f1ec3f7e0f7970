package ui

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"entraide/internal/identity"
	"entraide/internal/signin"
	"entraide/internal/store"
)

// OIDC configures sign-in with a government's OpenID Connect provider:
// the authorization code flow, with PKCE and a nonce, whose ID token
// names an official already enrolled on the node.
type OIDC struct {
	// Issuer is the provider's issuer URL, where its discovery document
	// is (Issuer + "/.well-known/openid-configuration").
	Issuer string
	// ClientID and ClientSecret are the node's, as registered at the
	// provider, with the redirect URI <public address>/ui/oidc/callback.
	ClientID, ClientSecret string
	// Claim names the claim whose value is the official's login on this
	// node: read from the ID token, or from the userinfo when the token
	// lacks it. preferred_username when empty.
	Claim string
	// Client makes the calls to the provider; http.DefaultClient when nil.
	Client *http.Client
}

// Check returns what is wrong with c, naming the setting.
func (c OIDC) Check() error {
	u, err := url.Parse(c.Issuer)
	switch {
	case err != nil || u.Scheme != "https" || u.Host == "":
		return fmt.Errorf("--oidc-issuer %q: want the provider's https:// issuer URL, as its discovery document names it", c.Issuer)
	case c.ClientID == "":
		return errors.New("--oidc-client-id: give the node's client id at the provider")
	case c.ClientSecret == "":
		return errors.New("--oidc-client-secret-file: give the file that holds the node's client secret (or set ENTRAIDE_OIDC_CLIENT_SECRET)")
	}
	return nil
}

// oidcPendingTTL is how long an official has to sign in at the provider.
const oidcPendingTTL = 10 * time.Minute

const (
	oidcCookieTLS   = "__Host-entraide_oidc"
	oidcCookiePlain = "entraide_oidc"
)

// oidcFlow runs the node's side of the authorization code flow.
type oidcFlow struct {
	cfg OIDC
	mu  sync.Mutex
	// provider is discovered at the first sign-in, not at start: the
	// node serves whether the provider answers or not.
	provider *oidc.Provider
	pending  map[string]oidcPending // by state
}

// oidcPending is a sign-in sent to the provider and not yet back.
type oidcPending struct {
	verifier, nonce, next string
	expires               time.Time
}

func (f *oidcFlow) context(ctx context.Context) context.Context {
	if f.cfg.Client != nil {
		return oidc.ClientContext(ctx, f.cfg.Client)
	}
	return ctx
}

// discover returns the provider, reading its discovery document once.
func (f *oidcFlow) discover(ctx context.Context) (*oidc.Provider, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.provider != nil {
		return f.provider, nil
	}
	p, err := oidc.NewProvider(f.context(ctx), f.cfg.Issuer)
	if err != nil {
		return nil, err
	}
	f.provider = p
	return p, nil
}

func (f *oidcFlow) put(state string, p oidcPending, now time.Time) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.pending == nil {
		f.pending = map[string]oidcPending{}
	}
	if len(f.pending) >= maxCeremoniesPending {
		for k, old := range f.pending {
			if !now.Before(old.expires) {
				delete(f.pending, k)
			}
		}
		if len(f.pending) >= maxCeremoniesPending {
			return errors.New("too many sign-ins are waiting for the identity provider: try again in a few minutes")
		}
	}
	f.pending[state] = p
	return nil
}

// take removes and returns the sign-in sent under state: it comes back
// once.
func (f *oidcFlow) take(state string, now time.Time) (oidcPending, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	p, ok := f.pending[state]
	delete(f.pending, state)
	return p, ok && now.Before(p.expires)
}

// maxCeremoniesPending bounds the sign-ins waiting for the provider:
// anyone may start one.
const maxCeremoniesPending = 10000

func randomString() string {
	b := make([]byte, 32)
	rand.Read(b) // never returns an error (crypto/rand, Go 1.24+)
	return base64.RawURLEncoding.EncodeToString(b)
}

// oauth returns the flow's OAuth 2 configuration, redirecting to this
// node's public address.
func (u *UI) oauth(ctx context.Context, p *oidc.Provider) (*oauth2.Config, error) {
	base, err := u.node.DB().BaseURL(ctx)
	if err != nil {
		return nil, err
	}
	if !strings.HasPrefix(base, "https://") {
		return nil, errors.New("the node has no https:// public address (entraide serve --base-url) to be redirected back to")
	}
	return &oauth2.Config{ClientID: u.oidc.cfg.ClientID, ClientSecret: u.oidc.cfg.ClientSecret, Endpoint: p.Endpoint(),
		RedirectURL: strings.TrimSuffix(base, "/") + Prefix + "oidc/callback", Scopes: []string{oidc.ScopeOpenID, "profile", "email"}}, nil
}

// oidcRefused renders the sign-in page with msg, after an identity
// provider's sign-in failed for reason.
func (u *UI) oidcRefused(w http.ResponseWriter, r *http.Request, status int, reason, msg string) {
	u.failed(r, reason)
	u.render(w, r, status, "signin", map[string]any{"Next": Prefix + "inbox", "Error": msg})
}

func (u *UI) oidcStart() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u.oidc == nil {
			u.fail(w, r, http.StatusNotFound, t(r, "oidc.off"))
			return
		}
		if u.limited(w, r, "signin", map[string]any{}) {
			return
		}
		ctx := r.Context()
		p, err := u.oidc.discover(ctx)
		if err != nil {
			u.log.ErrorContext(ctx, "oidc discovery", "issuer", u.oidc.cfg.Issuer, "err", err)
			u.render(w, r, http.StatusBadGateway, "signin", map[string]any{"Error": t(r, "oidc.unreachable")})
			return
		}
		conf, err := u.oauth(ctx, p)
		if err != nil {
			u.log.ErrorContext(ctx, "oidc", "err", err)
			u.render(w, r, http.StatusServiceUnavailable, "signin", map[string]any{"Error": t(r, "oidc.nobase")})
			return
		}
		state, nonce, verifier := randomString(), randomString(), oauth2.GenerateVerifier()
		if err := u.oidc.put(state, oidcPending{verifier: verifier, nonce: nonce, next: localNext(r.URL.Query().Get("next")), expires: u.node.Now().Add(oidcPendingTTL)}, u.node.Now()); err != nil {
			u.render(w, r, http.StatusServiceUnavailable, "signin", map[string]any{"Error": err.Error()})
			return
		}
		// The state comes back in the URL and in this cookie: a callback
		// in another browser than the one that started is refused. Lax,
		// for the provider sends the browser back with a cross-site GET.
		name := oidcCookiePlain
		if u.overHTTPS(r) {
			name = oidcCookieTLS
		}
		http.SetCookie(w, &http.Cookie{Name: name, Value: state, Path: "/", HttpOnly: true, Secure: u.overHTTPS(r), SameSite: http.SameSiteLaxMode, MaxAge: int(oidcPendingTTL.Seconds())})
		http.Redirect(w, r, conf.AuthCodeURL(state, oidc.Nonce(nonce), oauth2.S256ChallengeOption(verifier)), http.StatusSeeOther)
	})
}

// oidcIdentity is what the provider said of who signed in.
type oidcIdentity struct {
	subject, login string
}

// oidcExchange redeems the callback's code and returns the identity its
// verified ID token names, with the login the configured claim gives.
func (u *UI) oidcExchange(ctx context.Context, code string, pend oidcPending) (oidcIdentity, error) {
	ctx = u.oidc.context(ctx)
	p, err := u.oidc.discover(ctx)
	if err != nil {
		return oidcIdentity{}, err
	}
	conf, err := u.oauth(ctx, p)
	if err != nil {
		return oidcIdentity{}, err
	}
	tok, err := conf.Exchange(ctx, code, oauth2.VerifierOption(pend.verifier))
	if err != nil {
		return oidcIdentity{}, fmt.Errorf("redeem the code: %w", err)
	}
	raw, ok := tok.Extra("id_token").(string)
	if !ok {
		return oidcIdentity{}, errors.New("the provider's token answer has no id_token")
	}
	idt, err := p.Verifier(&oidc.Config{ClientID: u.oidc.cfg.ClientID}).Verify(ctx, raw)
	if err != nil {
		return oidcIdentity{}, fmt.Errorf("verify the ID token: %w", err)
	}
	if idt.Nonce != pend.nonce {
		return oidcIdentity{}, errors.New("the ID token's nonce is not the one this sign-in sent")
	}
	if idt.AccessTokenHash != "" {
		if err := idt.VerifyAccessToken(tok.AccessToken); err != nil {
			return oidcIdentity{}, fmt.Errorf("the ID token's at_hash: %w", err)
		}
	}
	claim := u.oidc.cfg.Claim
	if claim == "" {
		claim = "preferred_username"
	}
	var claims map[string]any
	if err := idt.Claims(&claims); err != nil {
		return oidcIdentity{}, err
	}
	login, _ := claims[claim].(string)
	if login == "" {
		// Many providers put profile claims in the userinfo only.
		info, err := p.UserInfo(ctx, oauth2.StaticTokenSource(tok))
		if err != nil {
			return oidcIdentity{}, fmt.Errorf("read the userinfo for the claim %s: %w", claim, err)
		}
		if info.Subject != idt.Subject {
			return oidcIdentity{}, errors.New("the userinfo names another subject than the ID token")
		}
		claims = nil
		if err := info.Claims(&claims); err != nil {
			return oidcIdentity{}, err
		}
		login, _ = claims[claim].(string)
	}
	return oidcIdentity{subject: idt.Subject, login: strings.TrimSpace(login)}, nil
}

func (u *UI) oidcCallback() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u.oidc == nil {
			u.fail(w, r, http.StatusNotFound, t(r, "oidc.off"))
			return
		}
		if u.limited(w, r, "signin", map[string]any{}) {
			return
		}
		q := r.URL.Query()
		state := q.Get("state")
		var cookie string
		for _, name := range []string{oidcCookieTLS, oidcCookiePlain} {
			if c, err := r.Cookie(name); err == nil {
				cookie = c.Value
			}
		}
		clear := &http.Cookie{Name: oidcCookiePlain, Path: "/", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteLaxMode}
		if u.overHTTPS(r) {
			clear.Name, clear.Secure = oidcCookieTLS, true
		}
		http.SetCookie(w, clear)
		now, ctx := u.node.Now(), r.Context()
		pend, ok := u.oidc.take(state, now)
		switch {
		case state == "" || cookie != state || !ok:
			u.oidcRefused(w, r, http.StatusUnauthorized, "oidc_state", t(r, "oidc.expired"))
			return
		case q.Get("error") != "":
			u.oidcRefused(w, r, http.StatusUnauthorized, "oidc_error", tf(r, "oidc.denied", q.Get("error")))
			return
		}
		who, err := u.oidcExchange(ctx, q.Get("code"), pend)
		if err != nil {
			u.log.WarnContext(ctx, "oidc sign-in", "issuer", u.oidc.cfg.Issuer, "err", err)
			u.oidcRefused(w, r, http.StatusUnauthorized, "oidc_token", t(r, "oidc.invalid"))
			return
		}
		issuer := u.oidc.cfg.Issuer
		var secret, outcome string
		var lockedUntil time.Time
		var usr identity.User
		err = u.node.DB().Tx(ctx, func(tx *store.Tx) error {
			secret, outcome = "", ""
			// A mapping made at an earlier sign-in decides; the claim
			// only makes the first.
			m, err := tx.OIDCIdentity(ctx, issuer, who.subject)
			mapped := err == nil
			login := who.login
			switch {
			case mapped:
				login = m.User
			case !errors.Is(err, store.ErrNotFound):
				return err
			case login == "":
				outcome = "oidc_no_claim"
				return nil
			}
			var c signin.Credential
			c, usr, err = tx.SigninCredential(ctx, login)
			switch {
			case errors.Is(err, store.ErrNotFound):
				outcome = "oidc_unknown"
				return nil
			case err != nil:
				return err
			case usr.DisabledAt != nil:
				outcome = "official_disabled"
				return nil
			case c.Locked(now):
				outcome, lockedUntil = "locked", c.LockedUntil
				return nil
			}
			if mapped {
				if err := tx.NoteOIDCUse(ctx, issuer, who.subject, now); err != nil {
					return err
				}
			} else {
				// One identity per official at a provider: a second one
				// claiming the same login is someone else.
				if _, err := tx.OIDCIdentityOf(ctx, issuer, usr.ID); err == nil {
					outcome = "oidc_other_identity"
					return nil
				} else if !errors.Is(err, store.ErrNotFound) {
					return err
				}
				if err := tx.AddOIDCIdentity(ctx, store.OIDCIdentity{Issuer: issuer, Subject: who.subject, User: usr.ID, State: usr.State, CreatedAt: now, LastUsedAt: now}); err != nil {
					return err
				}
				if err := u.audit(ctx, tx, usr, now, "signin.oidc.link", map[string]any{"issuer": issuer, "subject": who.subject, "claim": who.login}); err != nil {
					return err
				}
			}
			var digest string
			secret, digest = signin.NewSessionSecret()
			s := signin.Session{ID: identity.ShortID(digest), User: usr.ID, State: usr.State, CreatedAt: now, ExpiresAt: now.Add(signin.SessionTTL)}
			if err := tx.InsertSession(ctx, usr.State, digest, s); err != nil {
				return err
			}
			return u.audit(ctx, tx, usr, now, "signin", map[string]any{"session": s.ID, "expires_at": s.ExpiresAt, "factor": "oidc", "issuer": issuer, "subject": who.subject})
		})
		if err != nil {
			u.failErr(w, r, err)
			return
		}
		switch outcome {
		case "":
			http.SetCookie(w, u.sessionCookie(r, secret, signin.SessionTTL))
			// A page of this node sends the browser on: the session's
			// cookie is same-site strict, and a browser withholds it at
			// the end of redirects that began at the provider.
			next := landing(pend.next, usr.Role)
			u.render(w, r, http.StatusOK, "continue", map[string]any{"Next": next, "Refresh": next})
		case "oidc_unknown":
			u.oidcRefused(w, r, http.StatusUnauthorized, outcome, tf(r, "oidc.unknown", who.login))
		case "oidc_no_claim":
			u.oidcRefused(w, r, http.StatusUnauthorized, outcome, t(r, "oidc.noclaim"))
		case "oidc_other_identity":
			u.oidcRefused(w, r, http.StatusUnauthorized, outcome, tf(r, "oidc.other", who.login))
		case "official_disabled":
			u.oidcRefused(w, r, http.StatusUnauthorized, outcome, t(r, "signin.disabled"))
		case "locked":
			u.oidcRefused(w, r, http.StatusUnauthorized, outcome, tf(r, "signin.locked", lockedUntil.UTC().Format("2006-01-02 15:04")))
		}
	})
}
