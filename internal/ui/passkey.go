package ui

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	"entraide/internal/identity"
	"entraide/internal/signin"
	"entraide/internal/store"
)

// Passkeys: an official registers one at enrolment, in place of an
// authenticator app, or later on their passkeys page; they then sign in
// with their password and the passkey. The browser's side is
// static/passkey.js: it asks a begin route for the ceremony's options,
// calls the WebAuthn API, and posts the answer with the page's form, in
// the fields "ceremony" and "passkey".

// relyingParty returns the node's WebAuthn relying party, named by the
// node's public address as it stands now: an administrator may change it.
func (u *UI) relyingParty(ctx context.Context) (*signin.RelyingParty, error) {
	base, err := u.node.DB().BaseURL(ctx)
	if err != nil {
		return nil, err
	}
	return signin.NewRelyingParty(base, &u.ceremonies)
}

// ceremonyJSON answers a begin route: the ceremony's id and the options
// for the browser, or what went wrong and what to do.
func ceremonyJSON(w http.ResponseWriter, status int, id string, options []byte, problem string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	if problem != "" {
		json.NewEncoder(w).Encode(map[string]string{"error": problem})
		return
	}
	json.NewEncoder(w).Encode(map[string]any{"ceremony": id, "options": json.RawMessage(options)})
}

// passkeyUnavailable answers a begin route of a node without an https://
// public address, where browsers offer no passkeys.
func (u *UI) passkeyUnavailable(w http.ResponseWriter, r *http.Request, err error) {
	u.log.WarnContext(r.Context(), "passkeys unavailable", "err", err)
	ceremonyJSON(w, http.StatusServiceUnavailable, "", nil, t(r, "passkey.unavailable"))
}

// blockedJSON answers a begin route for a client that failed too often.
func (u *UI) blockedJSON(w http.ResponseWriter, r *http.Request) bool {
	secs, blocked := u.blocked(w, r)
	if !blocked {
		return false
	}
	ceremonyJSON(w, http.StatusTooManyRequests, "", nil, tn(r, "signin.limited", secs))
	return true
}

// signinPasskeyBegin starts a sign-in with a passkey: any of the node's,
// for the node says nothing of which logins hold one.
func (u *UI) signinPasskeyBegin() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u.blockedJSON(w, r) {
			return
		}
		rp, err := u.relyingParty(r.Context())
		if err != nil {
			u.passkeyUnavailable(w, r, err)
			return
		}
		id, options, err := rp.BeginSignin(u.node.Now())
		if err != nil {
			ceremonyJSON(w, http.StatusServiceUnavailable, "", nil, err.Error())
			return
		}
		ceremonyJSON(w, http.StatusOK, id, options, "")
	})
}

// enrolPasskeyBegin starts registering the passkey of the official whose
// enrolment code the form carries.
func (u *UI) enrolPasskeyBegin() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, maxForm)
		if err := r.ParseForm(); err != nil {
			ceremonyJSON(w, http.StatusBadRequest, "", nil, t(r, "err.badform"))
			return
		}
		if u.blockedJSON(w, r) {
			return
		}
		usr, err := u.checkCode(r.Context(), strings.TrimSpace(r.PostForm.Get("code")))
		if err != nil {
			u.failed(r, "enrol_passkey")
			ceremonyJSON(w, http.StatusUnauthorized, "", nil, t(r, "passkey.badcode"))
			return
		}
		u.beginRegistration(w, r, usr, nil)
	})
}

// beginRegistration starts registering a passkey for usr, who holds
// existing.
func (u *UI) beginRegistration(w http.ResponseWriter, r *http.Request, usr identity.User, existing []signin.Passkey) {
	rp, err := u.relyingParty(r.Context())
	if err != nil {
		u.passkeyUnavailable(w, r, err)
		return
	}
	id, options, err := rp.BeginRegistration(usr.ID, usr.Name, existing, u.node.Now())
	if err != nil {
		ceremonyJSON(w, http.StatusServiceUnavailable, "", nil, err.Error())
		return
	}
	ceremonyJSON(w, http.StatusOK, id, options, "")
}

// finishRegistration returns the passkey the form's answer registers for
// usr, or the message that says why it does not.
func (u *UI) finishRegistration(r *http.Request, usr identity.User) (signin.Passkey, string, error) {
	rp, err := u.relyingParty(r.Context())
	if err != nil {
		return signin.Passkey{}, t(r, "passkey.unavailable"), nil
	}
	p, err := rp.FinishRegistration(r.PostForm.Get("ceremony"), usr.ID, []byte(r.PostForm.Get("passkey")), u.node.Now())
	switch {
	case errors.Is(err, signin.ErrNoCeremony):
		return p, t(r, "passkey.expired"), nil
	case errors.Is(err, signin.ErrPasskeyRejected):
		u.log.InfoContext(r.Context(), "passkey registration refused", "user", usr.ID, "err", err)
		return p, t(r, "passkey.rejected"), nil
	case err != nil:
		return p, "", err
	}
	p.State = usr.State
	return p, "", nil
}

// checkPasskey verifies the sign-in form's passkey answer for the
// official login, and returns the passkey to store after, with its
// counter moved on. A passkey of another official is refused like an
// unknown one.
func (u *UI) checkPasskey(r *http.Request, login string) (signin.Passkey, bool, error) {
	ctx := r.Context()
	rp, err := u.relyingParty(ctx)
	if err != nil {
		return signin.Passkey{}, false, nil
	}
	lookup := func(id string) (signin.Passkey, error) {
		p, err := u.node.DB().Passkey(ctx, id)
		if errors.Is(err, store.ErrNotFound) || (err == nil && p.User != login) {
			return p, signin.ErrUnknownPasskey
		}
		return p, err
	}
	p, err := rp.FinishSignin(r.PostForm.Get("ceremony"), []byte(r.PostForm.Get("passkey")), u.node.Now(), lookup)
	switch {
	case errors.Is(err, signin.ErrNoCeremony), errors.Is(err, signin.ErrUnknownPasskey), errors.Is(err, signin.ErrPasskeyRejected):
		u.log.InfoContext(ctx, "passkey sign-in refused", "login", login, "err", err)
		return p, false, nil
	case err != nil:
		return p, false, err
	}
	return p, true, nil
}

func (u *UI) passkeysPage() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u.renderPasskeys(w, r, http.StatusOK, "")
	})
}

// renderPasskeys renders the viewer's passkeys page with problem, if any.
func (u *UI) renderPasskeys(w http.ResponseWriter, r *http.Request, status int, problem string) {
	v, _ := viewerFrom(r.Context())
	ps, err := u.node.DB().Passkeys(r.Context(), v.User.State, v.User.ID)
	if err != nil {
		u.failErr(w, r, err)
		return
	}
	data := map[string]any{"Title": t(r, "passkey.title"), "Passkeys": ps, "Error": problem}
	switch r.URL.Query().Get("m") {
	case "added":
		data["Notice"] = t(r, "passkey.added")
	case "removed":
		data["Notice"] = t(r, "passkey.removed")
	}
	u.render(w, r, status, "passkeys", data)
}

func (u *UI) passkeyBegin() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v, _ := viewerFrom(r.Context())
		ps, err := u.node.DB().Passkeys(r.Context(), v.User.State, v.User.ID)
		if err != nil {
			u.log.ErrorContext(r.Context(), "passkeys", "err", err)
			ceremonyJSON(w, http.StatusInternalServerError, "", nil, t(r, "err.internal"))
			return
		}
		u.beginRegistration(w, r, v.User, ps)
	})
}

func (u *UI) addPasskey() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !u.readForm(w, r) {
			return
		}
		v, _ := viewerFrom(r.Context())
		p, problem, err := u.finishRegistration(r, v.User)
		if err != nil {
			u.failErr(w, r, err)
			return
		}
		if problem != "" {
			u.renderPasskeys(w, r, http.StatusUnprocessableEntity, problem)
			return
		}
		ctx := r.Context()
		err = u.node.DB().Tx(ctx, func(tx *store.Tx) error {
			if err := tx.AddPasskey(ctx, v.User.State, p); err != nil {
				return err
			}
			return u.audit(ctx, tx, v.User, p.CreatedAt, "signin.passkey.add", map[string]any{"passkey": p.ID})
		})
		if err != nil {
			u.failErr(w, r, err)
			return
		}
		http.Redirect(w, r, Prefix+"passkeys?m=added", http.StatusSeeOther)
	})
}

func (u *UI) removePasskey() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v, _ := viewerFrom(r.Context())
		ctx, id, now := r.Context(), r.PathValue("id"), u.node.Now()
		// An official whose second factor is a passkey keeps at least
		// one: without it, and without an authenticator app, they could
		// not sign in again.
		c, _, err := u.node.DB().SigninCredential(ctx, v.User.ID)
		if err != nil {
			u.failErr(w, r, err)
			return
		}
		ps, err := u.node.DB().Passkeys(ctx, v.User.State, v.User.ID)
		if err != nil {
			u.failErr(w, r, err)
			return
		}
		if c.TOTPSecret == "" && len(ps) == 1 && ps[0].ID == id {
			u.renderPasskeys(w, r, http.StatusConflict, t(r, "passkey.last"))
			return
		}
		err = u.node.DB().Tx(ctx, func(tx *store.Tx) error {
			ok, err := tx.DeletePasskey(ctx, v.User.State, v.User.ID, id)
			if err != nil {
				return err
			}
			if !ok {
				return store.ErrNotFound
			}
			return u.audit(ctx, tx, v.User, now, "signin.passkey.remove", map[string]any{"passkey": id})
		})
		if err != nil {
			u.failErr(w, r, err)
			return
		}
		http.Redirect(w, r, Prefix+"passkeys?m=removed", http.StatusSeeOther)
	})
}
