package ui

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"html/template"
	"image/png"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/pquerna/otp"

	"entraide/internal/auditlog"
	"entraide/internal/identity"
	"entraide/internal/node"
	"entraide/internal/signin"
	"entraide/internal/store"
)

// Cookie names: over HTTPS the __Host- prefix makes the browser refuse a
// cookie set by another host or path, or without Secure.
const (
	cookieTLS   = "__Host-entraide_session"
	cookiePlain = "entraide_session"
)

// maxForm bounds a form's body: the longest is a request's draft.
const maxForm = 1 << 20

var errNoSession = errors.New("no active session")

// ErrNoSession is Official's answer for a request that carries no
// active session.
var ErrNoSession = errNoSession

// Official returns the official whose UI session the request's cookie
// names, and a key of that session (its digest, never the secret): for
// the API routes a page calls from the browser, such as the uploads of
// tus-js-client. A request without an active session is ErrNoSession.
// It does not check where the request came from: the caller does, as
// the UI does for its forms.
func (u *UI) Official(r *http.Request) (identity.User, string, error) {
	v, err := u.session(r)
	return v.User, v.Session, err
}

// HasSessionCookie reports whether r carries a session cookie at all,
// active or not.
func HasSessionCookie(r *http.Request) bool {
	for _, name := range []string{cookieTLS, cookiePlain} {
		if c, err := r.Cookie(name); err == nil && c.Value != "" {
			return true
		}
	}
	return false
}

// session returns the official whose session the request's cookie names.
// A session ended, expired or unknown is errNoSession; so is one whose
// official was disabled, which ends it for good.
func (u *UI) session(r *http.Request) (viewer, error) {
	var secret string
	for _, name := range []string{cookieTLS, cookiePlain} {
		if c, err := r.Cookie(name); err == nil && c.Value != "" && len(c.Value) <= 64 {
			secret = c.Value
			break
		}
	}
	if secret == "" {
		return viewer{}, errNoSession
	}
	digest := signin.SessionDigest(secret)
	ctx, now := r.Context(), u.node.Now()
	s, usr, err := u.node.DB().Session(ctx, digest)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return viewer{}, errNoSession
	case err != nil:
		return viewer{}, err
	case !s.Active(now):
		return viewer{}, errNoSession
	case usr.DisabledAt != nil:
		if err := u.endSession(ctx, usr, digest, s.ID, "official_disabled"); err != nil {
			return viewer{}, err
		}
		return viewer{}, errNoSession
	}
	return viewer{User: usr, Session: digest}, nil
}

// endSession ends usr's session digest, with an audit record that says
// why.
func (u *UI) endSession(ctx context.Context, usr identity.User, digest, id, why string) error {
	now := u.node.Now()
	return u.node.DB().Tx(ctx, func(tx *store.Tx) error {
		ended, err := tx.EndSession(ctx, usr.State, digest, now)
		if err != nil || !ended {
			return err
		}
		return u.audit(ctx, tx, usr, now, "session.end", map[string]any{"session": id, "reason": why})
	})
}

// audit records an action of usr on their own sign-in in their State's
// audit log.
func (u *UI) audit(ctx context.Context, tx *store.Tx, usr identity.User, now time.Time, action string, detail any) error {
	_, err := tx.Audit(ctx, auditlog.Record{At: now, Node: u.node.Home(), State: usr.State, ActorState: usr.State, Actor: usr.ID,
		Action: action, Subject: "user/" + usr.ID, Detail: detail})
	return err
}

// limited reports whether the client of r has failed too often, and
// renders the sign-in page that says so.
func (u *UI) limited(w http.ResponseWriter, r *http.Request, page string, data map[string]any) bool {
	secs, blocked := u.blocked(w, r)
	if !blocked {
		return false
	}
	data["Error"] = tn(r, "signin.limited", secs)
	u.render(w, r, http.StatusTooManyRequests, page, data)
	return true
}

// blocked reports whether the client of r has failed too often, and then
// sets Retry-After to the seconds it must wait, which it returns.
func (u *UI) blocked(w http.ResponseWriter, r *http.Request) (secs int, blocked bool) {
	if u.cfg.Limiter == nil {
		return 0, false
	}
	blocked, retry := u.cfg.Limiter.Blocked(u.cfg.ClientAddress(r), time.Now())
	if !blocked {
		return 0, false
	}
	secs = int(retry.Seconds()) + 1
	w.Header().Set("Retry-After", itoa(secs))
	return secs, true
}

// failed counts a failed sign-in or enrolment of r's client, and records
// it among the node's security events.
func (u *UI) failed(r *http.Request, reason string) {
	addr := u.cfg.ClientAddress(r)
	if u.cfg.Limiter != nil {
		u.cfg.Limiter.Failed(addr, time.Now())
	}
	err := u.node.RecordSecurityEvent(r.Context(), store.SecurityEvent{Kind: "signin", Reason: reason, Source: addr, Detail: r.Method + " " + r.URL.Path})
	if err != nil {
		u.log.ErrorContext(r.Context(), "security event", "err", err)
	}
}

func (u *UI) signinPage() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		data := map[string]any{"Next": localNext(r.URL.Query().Get("next"))}
		if u.cfg.Demo {
			var demo []identity.User
			for _, st := range u.node.Hosted() {
				users, err := u.node.Users(r.Context(), u.node.AdminOf(st))
				if err != nil {
					u.failErr(w, r, err)
					return
				}
				demo = append(demo, users...)
			}
			data["Demo"] = demo
		}
		switch r.URL.Query().Get("m") {
		case "out":
			data["Notice"] = t(r, "signin.signedout")
		case "enrolled":
			data["Notice"] = tf(r, "enrol.done", r.URL.Query().Get("login"))
		case "enrolled-passkey":
			data["Notice"] = tf(r, "passkey.enrolled", r.URL.Query().Get("login"))
		}
		u.render(w, r, http.StatusOK, "signin", data)
	})
}

// localNext returns next if it is a page of the UI, or the inbox: a
// sign-in never sends the browser elsewhere.
func localNext(next string) string {
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || !strings.HasPrefix(next, Prefix) || strings.HasPrefix(next, "//") || strings.ContainsAny(next, "\\\r\n") {
		return Prefix + "inbox"
	}
	return next
}

// landing is where a sign-in that was sent to next goes: the inbox, where
// no page asked for another, is for the roles that read requests; an
// administrator goes to the home page, which sends each role to the first
// page it may open, not to a refusal.
func landing(next string, role identity.Role) string {
	if next == Prefix+"inbox" && !role.Can(identity.ReadRequests) {
		return Prefix
	}
	return next
}

// dummyHash is checked against when the login is unknown, so that an
// unknown login takes as long to refuse as a wrong password.
var dummyHash = signin.HashPassword("no official has this password")

func (u *UI) signin() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !u.readForm(w, r) {
			return
		}
		login, password, code := strings.TrimSpace(r.PostForm.Get("login")), r.PostForm.Get("password"), r.PostForm.Get("code")
		// With a passkey's answer the passkey is the second factor, and
		// the code is not read.
		viaPasskey := r.PostForm.Get("passkey") != ""
		next := localNext(r.PostForm.Get("next"))
		data := map[string]any{"Login": login, "Next": next}
		if u.limited(w, r, "signin", data) {
			return
		}
		ctx, now := r.Context(), u.node.Now()
		var secret, outcome string
		var lockedUntil time.Time
		// The password and the code or passkey are checked before any
		// write: the password's hash takes tens of milliseconds, which no
		// write transaction should wait for.
		c, usr, err := u.node.DB().SigninCredential(ctx, login)
		okPassword, okCode, step := false, false, int64(0)
		var passkey signin.Passkey
		switch {
		case errors.Is(err, store.ErrNotFound) || login == "":
			signin.VerifyPassword(dummyHash, password)
			outcome, err = "unknown_login", nil
		case err != nil:
		case usr.DisabledAt != nil:
			outcome = "official_disabled"
		case c.Locked(now):
			outcome, lockedUntil = "locked", c.LockedUntil
		default:
			okPassword, err = signin.VerifyPassword(c.PasswordHash, password)
			switch {
			case err != nil || !okPassword:
			case viaPasskey:
				passkey, okCode, err = u.checkPasskey(r, login)
			case c.TOTPSecret != "": // else the official has passkeys only
				var totpSecret string
				if totpSecret, err = u.openSecret(ctx, c.TOTPSecret); err == nil {
					step, okCode = signin.MatchTOTP(totpSecret, code, now, c.TOTPLastStep)
				}
			}
		}
		if err == nil && outcome == "" {
			err = u.node.DB().Tx(ctx, func(tx *store.Tx) error {
				secret, outcome = "", ""
				// Read again: another sign-in may have failed, locked the
				// account or used the code meanwhile.
				c, usr, err := tx.SigninCredential(ctx, login)
				if err != nil {
					return err
				}
				if c.Locked(now) {
					outcome, lockedUntil = "locked", c.LockedUntil
					return nil
				}
				if !okPassword || !okCode || (!viaPasskey && step <= c.TOTPLastStep) {
					c = c.Failed(now)
					switch {
					case !okPassword:
						outcome = "bad_password"
					case viaPasskey:
						outcome = "bad_passkey"
					default:
						outcome = "bad_code"
					}
					if err := tx.NoteSignin(ctx, usr.State, c); err != nil {
						return err
					}
					return u.audit(ctx, tx, usr, now, "signin.fail", map[string]any{"reason": outcome, "locked": c.Locked(now)})
				}
				factor := "totp"
				c.Failures, c.LockedUntil, c.UpdatedAt = 0, time.Time{}, now
				if viaPasskey {
					factor = "passkey"
					if err := tx.NotePasskeyUse(ctx, usr.State, passkey); err != nil {
						return err
					}
				} else {
					c.TOTPLastStep = step
				}
				if err := tx.NoteSignin(ctx, usr.State, c); err != nil {
					return err
				}
				var digest string
				secret, digest = signin.NewSessionSecret()
				s := signin.Session{ID: identity.ShortID(digest), User: usr.ID, State: usr.State, CreatedAt: now, ExpiresAt: now.Add(signin.SessionTTL)}
				if err := tx.InsertSession(ctx, usr.State, digest, s); err != nil {
					return err
				}
				detail := map[string]any{"session": s.ID, "expires_at": s.ExpiresAt, "factor": factor}
				if viaPasskey {
					detail["passkey"] = passkey.ID
				}
				return u.audit(ctx, tx, usr, now, "signin", detail)
			})
		}
		if err != nil {
			u.failErr(w, r, err)
			return
		}
		switch outcome {
		case "":
			http.SetCookie(w, u.sessionCookie(r, secret, signin.SessionTTL))
			http.Redirect(w, r, landing(next, usr.Role), http.StatusSeeOther)
			return
		case "official_disabled":
			data["Error"] = t(r, "signin.disabled")
		case "locked":
			data["Error"] = tf(r, "signin.locked", lockedUntil.UTC().Format("2006-01-02 15:04"))
		default:
			if viaPasskey {
				data["Error"] = tf(r, "passkey.failed", signin.MaxFailures, int(signin.LockoutPeriod.Minutes()))
				break
			}
			data["Error"] = tf(r, "signin.failed", signin.MaxFailures, int(signin.LockoutPeriod.Minutes()))
		}
		u.failed(r, outcome)
		u.render(w, r, http.StatusUnauthorized, "signin", data)
	})
}

// sessionCookie is the cookie of a session secret: HTTP-only, same-site
// strict, and over HTTPS secure and host-only.
func (u *UI) sessionCookie(r *http.Request, secret string, ttl time.Duration) *http.Cookie {
	name := cookiePlain
	if u.overHTTPS(r) {
		name = cookieTLS
	}
	return &http.Cookie{Name: name, Value: secret, Path: "/", HttpOnly: true, Secure: u.overHTTPS(r), SameSite: http.SameSiteStrictMode, MaxAge: int(ttl.Seconds())}
}

// overHTTPS reports whether the browser reached the node over HTTPS: by
// TLS to the node itself, or through a proxy that ends it.
func (u *UI) overHTTPS(r *http.Request) bool { return r.TLS != nil || u.cfg.BehindTLSProxy }

func (u *UI) signout() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v, _ := viewerFrom(r.Context())
		if err := u.endSession(r.Context(), v.User, v.Session, identity.ShortID(v.Session), "signed_out"); err != nil {
			u.failErr(w, r, err)
			return
		}
		c := u.sessionCookie(r, "", 0)
		c.MaxAge = -1
		http.SetCookie(w, c)
		http.Redirect(w, r, Prefix+"signin?m=out", http.StatusSeeOther)
	})
}

func (u *UI) home() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v, _ := viewerFrom(r.Context())
		to := "inbox"
		if !v.User.Role.Can(identity.ReadRequests) {
			to = "directory"
		}
		http.Redirect(w, r, Prefix+to, http.StatusSeeOther)
	})
}

func (u *UI) enrolPage() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u.render(w, r, http.StatusOK, "enrol", nil)
	})
}

// checkCode returns the official an enrolment code is for, without
// redeeming it, or the refusal that says why it cannot be used.
func (u *UI) checkCode(ctx context.Context, code string) (identity.User, error) {
	if identity.CheckCodeForm(code) != nil {
		return identity.User{}, node.ErrCodeUnknown
	}
	e, usr, err := u.node.DB().Enrolment(ctx, identity.Digest(code))
	switch {
	case errors.Is(err, store.ErrNotFound):
		return usr, node.ErrCodeUnknown
	case err != nil:
		return usr, err
	case e.UsedAt != nil:
		return usr, node.ErrCodeUsed
	case !u.node.Now().Before(e.ExpiresAt):
		return usr, node.ErrCodeExpired
	case usr.DisabledAt != nil:
		return usr, node.ErrUserDisabled
	}
	return usr, nil
}

func (u *UI) enrolStart() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !u.readForm(w, r) {
			return
		}
		code := strings.TrimSpace(r.PostForm.Get("code"))
		data := map[string]any{}
		if u.limited(w, r, "enrol", data) {
			return
		}
		usr, err := u.checkCode(r.Context(), code)
		if err != nil {
			u.enrolRefused(w, r, err, data)
			return
		}
		secret, _, err := signin.NewTOTP(u.issuer(), usr.ID)
		if err != nil {
			u.failErr(w, r, err)
			return
		}
		u.enrolForm(w, r, http.StatusOK, usr, code, secret, "")
	})
}

// issuer names this node in an authenticator app.
func (u *UI) issuer() string { return signin.Issuer + " " + u.node.Home() }

// enrolRefused renders the refusal of an enrolment code.
func (u *UI) enrolRefused(w http.ResponseWriter, r *http.Request, err error, data map[string]any) {
	var ae *node.AuthError
	if !errors.As(err, &ae) {
		u.failErr(w, r, err)
		return
	}
	u.failed(r, ae.Reason)
	data["Error"] = ae.Msg
	u.render(w, r, http.StatusUnauthorized, "enrol", data)
}

// enrolForm renders the second step of enrolment: the TOTP secret, its
// QR code, and the password to choose.
func (u *UI) enrolForm(w http.ResponseWriter, r *http.Request, status int, usr identity.User, code, secret, problem string) {
	uri := signin.TOTPURI(u.issuer(), usr.ID, secret)
	data := map[string]any{"User": usr, "Code": code, "Secret": secret, "URI": template.URL(uri), "Error": problem}
	if key, err := otp.NewKeyFromURL(uri); err == nil {
		if img, err := key.Image(200, 200); err == nil {
			var buf bytes.Buffer
			if png.Encode(&buf, img) == nil {
				data["QR"] = template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(buf.Bytes()))
			}
		}
	}
	u.render(w, r, status, "enrol2", data)
}

func (u *UI) enrolFinish() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !u.readForm(w, r) {
			return
		}
		f := r.PostForm
		code, secret := strings.TrimSpace(f.Get("code")), f.Get("secret")
		if u.limited(w, r, "enrol", map[string]any{}) {
			return
		}
		usr, err := u.checkCode(r.Context(), code)
		if err != nil {
			u.enrolRefused(w, r, err, map[string]any{})
			return
		}
		withPasskey := f.Get("passkey") != ""
		if !withPasskey && !signin.CheckTOTPSecret(secret) {
			u.render(w, r, http.StatusBadRequest, "enrol", map[string]any{"Error": t(r, "enrol.badsecret")})
			return
		}
		password := f.Get("password")
		if password != f.Get("confirm") {
			u.enrolForm(w, r, http.StatusUnprocessableEntity, usr, code, secret, t(r, "enrol.mismatch"))
			return
		}
		if msg := signin.CheckPassword(password); msg != "" {
			u.enrolForm(w, r, http.StatusUnprocessableEntity, usr, code, secret, msg)
			return
		}
		now, ctx := u.node.Now(), r.Context()
		var step int64
		var sealed string
		var passkey signin.Passkey
		if withPasskey {
			var problem string
			passkey, problem, err = u.finishRegistration(r, usr)
			if err != nil {
				u.failErr(w, r, err)
				return
			}
			if problem != "" {
				u.enrolForm(w, r, http.StatusUnprocessableEntity, usr, code, secret, problem)
				return
			}
		} else {
			var ok bool
			if step, ok = signin.MatchTOTP(secret, f.Get("totp"), now, 0); !ok {
				u.enrolForm(w, r, http.StatusUnprocessableEntity, usr, code, secret, t(r, "enrol.badcode"))
				return
			}
			if sealed, err = u.sealSecret(ctx, secret); err != nil {
				u.failErr(w, r, err)
				return
			}
		}
		hash := signin.HashPassword(password)
		err = u.node.DB().Tx(ctx, func(tx *store.Tx) error {
			e, usr, err := tx.RedeemEnrolment(ctx, identity.Digest(code), now)
			switch {
			case errors.Is(err, store.ErrNotFound):
				return node.ErrCodeUnknown
			case err != nil:
				return err
			case e.UsedAt != nil:
				return node.ErrCodeUsed
			case !now.Before(e.ExpiresAt):
				return node.ErrCodeExpired
			case usr.DisabledAt != nil:
				return node.ErrUserDisabled
			}
			c := signin.Credential{User: usr.ID, State: usr.State, PasswordHash: hash, TOTPSecret: sealed, TOTPLastStep: step, CreatedAt: now, UpdatedAt: now}
			if err := tx.PutSigninCredential(ctx, usr.State, c); err != nil {
				return err
			}
			// An official enrols again when a factor is lost: the
			// passkeys they had go with it.
			dropped, err := tx.DeletePasskeys(ctx, usr.State, usr.ID)
			if err != nil {
				return err
			}
			detail := map[string]any{"enrolment": e.ID, "issued_by": e.IssuedBy, "factor": "totp", "passkeys_removed": dropped}
			if withPasskey {
				passkey.CreatedAt = now
				if err := tx.AddPasskey(ctx, usr.State, passkey); err != nil {
					return err
				}
				detail["factor"], detail["passkey"] = "passkey", passkey.ID
			}
			// The code's short id, never the code, nor anything of the
			// password or the secret.
			return u.audit(ctx, tx, usr, now, "signin.enrol", detail)
		})
		if err != nil {
			u.enrolRefused(w, r, err, map[string]any{})
			return
		}
		m := "enrolled"
		if withPasskey {
			m = "enrolled-passkey"
		}
		http.Redirect(w, r, Prefix+"signin?m="+m+"&login="+url.QueryEscape(usr.ID), http.StatusSeeOther)
	})
}

func itoa(n int) string { return strconv.Itoa(n) }

// sealedPrefix marks a TOTP secret the node's keeper encrypted: the
// secret lets anyone who reads it make codes, so a copy of the database
// alone must not give it.
const sealedPrefix = "kw1:"

// sealSecret encrypts a TOTP secret with the node's keeper, for storing.
func (u *UI) sealSecret(ctx context.Context, secret string) (string, error) {
	ct, err := u.node.Keeper().Encrypt(ctx, []byte(secret))
	if err != nil {
		return "", fmt.Errorf("encrypt the TOTP secret with the key keeper: %w", err)
	}
	return sealedPrefix + base64.StdEncoding.EncodeToString(ct), nil
}

// openSecret returns the TOTP secret stored as stored.
func (u *UI) openSecret(ctx context.Context, stored string) (string, error) {
	b64, ok := strings.CutPrefix(stored, sealedPrefix)
	if !ok {
		return "", errors.New("the stored TOTP secret is not sealed by the key keeper: enrol the official again")
	}
	ct, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return "", fmt.Errorf("the stored TOTP secret: %w", err)
	}
	pt, err := u.node.Keeper().Decrypt(ctx, ct)
	if err != nil {
		return "", fmt.Errorf("decrypt the TOTP secret with the key keeper: %w", err)
	}
	return string(pt), nil
}
