package ui

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"entraide/internal/alerting"
	"entraide/internal/auditlog"
	"entraide/internal/casework"
	"entraide/internal/convention"
	"entraide/internal/identity"
	"entraide/internal/node"
	"entraide/internal/store"
)

// The administrators' screens: the officials of their State, their API
// tokens and sign-in, and the on-call roster. The node checks each
// permission again and scopes every read and write to the
// administrator's own State; an official of another State is not found.

// officialView is an official as the administrators' list shows them.
type officialView struct {
	identity.User
	Signin store.SigninStatus
	Locked bool
}

// officialsData is what the list of officials shows.
func (u *UI) officialsData(r *http.Request) (map[string]any, error) {
	ctx, by := r.Context(), actorFrom(r.Context())
	users, err := u.node.Users(ctx, by)
	if err != nil {
		return nil, err
	}
	statuses, err := u.node.DB().SigninStatuses(ctx, by.State)
	if _, partial := store.IsPartial(err); err != nil && !partial {
		return nil, err
	}
	now := u.node.Now()
	views := make([]officialView, 0, len(users))
	for _, usr := range users {
		s := statuses[usr.ID]
		views = append(views, officialView{User: usr, Signin: s, Locked: now.Before(s.LockedUntil)})
	}
	return map[string]any{"Title": t(r, "admin.officials.title"), "Officials": views, "Roles": identity.Roles,
		"Form": url.Values{}, "FieldProblems": map[string]string{}}, nil
}

func (u *UI) officialsPage() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		data, err := u.officialsData(r)
		if err != nil {
			u.failErr(w, r, err)
			return
		}
		u.render(w, r, http.StatusOK, "officials", data)
	})
}

// readForm reads a posted form of at most maxForm bytes, or renders the
// refusal of one that cannot be read.
func (u *UI) readForm(w http.ResponseWriter, r *http.Request) bool {
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	if err := r.ParseForm(); err != nil {
		u.fail(w, r, http.StatusBadRequest, t(r, "err.badform"))
		return false
	}
	return true
}

// byField puts each problem beside the field it names.
func byField(ps convention.Problems) map[string]string {
	out := map[string]string{}
	for _, p := range ps {
		out[p.Field] += p.Message + " "
	}
	return out
}

// addOfficial adds an official of the administrator's State and issues
// their enrolment code, which the page that answers shows once: it is
// not in the address, the history or any log.
func (u *UI) addOfficial() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !u.readForm(w, r) {
			return
		}
		ctx, by, f := r.Context(), actorFrom(r.Context()), r.PostForm
		in := identity.User{ID: strings.TrimSpace(f.Get("id")), Name: strings.TrimSpace(f.Get("name")), Email: strings.TrimSpace(f.Get("email")),
			State: by.State, Role: identity.Role(f.Get("role"))}
		usr, err := u.node.AddUser(ctx, by, in)
		if errors.Is(err, store.ErrExists) {
			err = convention.Problems{{Field: "id", Message: tf(r, "admin.officials.taken", in.ID)}}
		}
		if ps := problemsOf(err); ps != nil && !errors.Is(err, casework.ErrForbidden) {
			u.formAgain(w, r, "officials", u.officialsData, f, ps)
			return
		}
		if err != nil {
			u.failErr(w, r, err)
			return
		}
		u.issueCode(w, r, usr.ID, tf(r, "admin.officials.added", usr.ID))
	})
}

// issueCode issues a new enrolment code for id and shows it, once, on the
// official's page.
func (u *UI) issueCode(w http.ResponseWriter, r *http.Request, id, notice string) {
	e, err := u.node.IssueEnrolment(r.Context(), actorFrom(r.Context()), id)
	if err != nil {
		u.failErr(w, r, err)
		return
	}
	data, err := u.officialData(r, id)
	if err != nil {
		u.failErr(w, r, err)
		return
	}
	data["Notice"], data["Enrolment"] = notice, e
	u.render(w, r, http.StatusOK, "official", data)
}

func (u *UI) reissueCode() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.PathValue("id")
		// The official is looked up first, so that another State's reads
		// as not found, not as a refusal to enrol them.
		if _, err := u.official(r, id); err != nil {
			u.failErr(w, r, err)
			return
		}
		u.issueCode(w, r, id, tf(r, "admin.official.reissued", id))
	})
}

// official returns the official id of the viewer's State, or ErrNotFound.
func (u *UI) official(r *http.Request, id string) (identity.User, error) {
	users, err := u.node.Users(r.Context(), actorFrom(r.Context()))
	if err != nil {
		return identity.User{}, err
	}
	i := slices.IndexFunc(users, func(x identity.User) bool { return x.ID == id })
	if i < 0 {
		return identity.User{}, store.ErrNotFound
	}
	return users[i], nil
}

// officialData is what an official's page shows: who they are, their
// sign-in, and their API tokens.
func (u *UI) officialData(r *http.Request, id string) (map[string]any, error) {
	ctx, by := r.Context(), actorFrom(r.Context())
	usr, err := u.official(r, id)
	if err != nil {
		return nil, err
	}
	tokens, err := u.node.Tokens(ctx, by, id)
	if err != nil {
		return nil, err
	}
	statuses, err := u.node.DB().SigninStatuses(ctx, by.State)
	if _, partial := store.IsPartial(err); err != nil && !partial {
		return nil, err
	}
	now := u.node.Now()
	s := statuses[id]
	return map[string]any{"Title": tf(r, "admin.official.title", usr.Name), "O": officialView{User: usr, Signin: s, Locked: now.Before(s.LockedUntil)},
		"Tokens": tokens, "Now": now, "Self": usr.ID == by.ID}, nil
}

func (u *UI) officialPage() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.PathValue("id")
		data, err := u.officialData(r, id)
		if err != nil {
			u.failErr(w, r, err)
			return
		}
		switch r.URL.Query().Get("m") {
		case "disabled":
			data["Notice"] = tf(r, "admin.official.disabled", id)
		case "enabled":
			data["Notice"] = tf(r, "admin.official.enabled", id)
		case "unlocked":
			data["Notice"] = tf(r, "admin.official.unlocked", id)
		case "nothing":
			data["Notice"] = tf(r, "admin.official.nothing", id)
		case "revoked":
			data["Notice"] = tf(r, "admin.token.revoked", r.URL.Query().Get("token"))
		}
		u.render(w, r, http.StatusOK, "official", data)
	})
}

// confirmed reports whether the form of a destructive action was
// confirmed; if not, it renders the page that asks, whose button posts
// the same form again with confirm=yes.
func (u *UI) confirmed(w http.ResponseWriter, r *http.Request, question, button, back string) bool {
	if r.PostForm.Get("confirm") == "yes" {
		return true
	}
	u.render(w, r, http.StatusOK, "confirm", map[string]any{"Title": t(r, "admin.confirm.title"), "Question": question,
		"Button": button, "Action": r.URL.Path, "Back": back})
	return false
}

func officialPath(id string) string { return Prefix + "admin/officials/" + url.PathEscape(id) }

// setDisabled disables an official, after confirmation, or enables them
// again.
func (u *UI) setDisabled(disabled bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !u.readForm(w, r) {
			return
		}
		id := r.PathValue("id")
		usr, err := u.official(r, id)
		if err != nil {
			u.failErr(w, r, err)
			return
		}
		if disabled && !u.confirmed(w, r, tf(r, "admin.confirm.disable", usr.Name, usr.ID), t(r, "admin.disable"), officialPath(id)) {
			return
		}
		if _, err := u.node.SetDisabled(r.Context(), actorFrom(r.Context()), id, disabled); err != nil {
			u.officialRefused(w, r, id, err)
			return
		}
		m := "enabled"
		if disabled {
			m = "disabled"
		}
		http.Redirect(w, r, officialPath(id)+"?m="+m, http.StatusSeeOther)
	})
}

// officialRefused shows an official's page again with the problems that
// refused an action on them, or the error page for anything else.
func (u *UI) officialRefused(w http.ResponseWriter, r *http.Request, id string, err error) {
	ps := problemsOf(err)
	if ps == nil || errors.Is(err, casework.ErrForbidden) {
		u.failErr(w, r, err)
		return
	}
	data, derr := u.officialData(r, id)
	if derr != nil {
		u.failErr(w, r, derr)
		return
	}
	data["Problems"] = ps
	u.render(w, r, http.StatusUnprocessableEntity, "official", data)
}

// revokeToken revokes an API token of an official, after confirmation.
func (u *UI) revokeToken() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !u.readForm(w, r) {
			return
		}
		ctx, by, id, tokenID := r.Context(), actorFrom(r.Context()), r.PathValue("id"), r.PathValue("token")
		tokens, err := u.node.Tokens(ctx, by, id)
		if err == nil {
			if i := slices.IndexFunc(tokens, func(x identity.Token) bool { return x.ID == tokenID }); i < 0 {
				err = store.ErrNotFound
			} else if !u.confirmed(w, r, tf(r, "admin.confirm.revoke", tokens[i].Label, tokenID, id), t(r, "admin.token.revoke"), officialPath(id)) {
				return
			}
		}
		if err == nil {
			_, err = u.node.RevokeToken(ctx, by, id, tokenID)
		}
		if err != nil {
			u.failErr(w, r, err)
			return
		}
		http.Redirect(w, r, officialPath(id)+"?m=revoked&token="+url.QueryEscape(tokenID), http.StatusSeeOther)
	})
}

// unlock clears the failed sign-ins of an official of the viewer's
// State, and the lockout they caused: the administrator has checked, out
// of band, that the official is who tried.
func (u *UI) unlock() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !u.readForm(w, r) {
			return
		}
		ctx, by, id := r.Context(), actorFrom(r.Context()), r.PathValue("id")
		if !by.Role.Can(identity.ManageUsers) {
			u.fail(w, r, http.StatusForbidden, t(r, "err.forbidden"))
			return
		}
		if _, err := u.official(r, id); err != nil {
			u.failErr(w, r, err)
			return
		}
		now := u.node.Now()
		var cleared bool
		err := u.node.DB().Tx(ctx, func(tx *store.Tx) error {
			var err error
			if cleared, err = tx.ResetSigninFailures(ctx, by.State, id, now); err != nil || !cleared {
				return err
			}
			_, err = tx.Audit(ctx, auditlog.Record{At: now, Node: u.node.Home(), State: by.State, ActorState: by.State, Actor: by.ID,
				Action: "signin.unlock", Subject: "user/" + id, Detail: map[string]any{"id": id}})
			return err
		})
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			u.failErr(w, r, err)
			return
		}
		m := "unlocked"
		if !cleared {
			m = "nothing"
		}
		http.Redirect(w, r, officialPath(id)+"?m="+m, http.StatusSeeOther)
	})
}

// rosterData is what the roster's page shows: its lines, and the form to
// add one, offering the officials who may be alerted.
func (u *UI) rosterData(r *http.Request) (map[string]any, error) {
	ctx, by := r.Context(), actorFrom(r.Context())
	entries, err := u.node.Roster(ctx, by)
	if err != nil {
		return nil, err
	}
	var callable []identity.User
	if by.Role.Can(identity.ManageUsers) {
		users, err := u.node.Users(ctx, by)
		if err != nil {
			return nil, err
		}
		for _, usr := range users {
			if alerting.MayBeOnRoster(usr.Role) && usr.DisabledAt == nil {
				callable = append(callable, usr)
			}
		}
	}
	return map[string]any{"Title": t(r, "admin.roster.title"), "Roster": entries, "Callable": callable, "Now": u.node.Now(),
		"Channels": alerting.Channels, "Form": url.Values{}, "FieldProblems": map[string]string{}}, nil
}

func (u *UI) rosterPage() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		data, err := u.rosterData(r)
		if err != nil {
			u.failErr(w, r, err)
			return
		}
		switch r.URL.Query().Get("m") {
		case "added":
			data["Notice"] = tf(r, "admin.roster.added", r.URL.Query().Get("user"))
		case "removed":
			data["Notice"] = tf(r, "admin.roster.removed", r.URL.Query().Get("user"))
		}
		u.render(w, r, http.StatusOK, "roster", data)
	})
}

// shiftLayout is how a datetime-local control sends a time; the roster
// counts shifts in UTC, as the page says.
const shiftLayout = "2006-01-02T15:04"

func (u *UI) addRosterEntry() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !u.readForm(w, r) {
			return
		}
		f := r.PostForm
		in := node.RosterInput{User: strings.TrimSpace(f.Get("user")), Channel: alerting.Channel(f.Get("channel")),
			Address: strings.TrimSpace(f.Get("address")), Secret: f.Get("secret")}
		var ps convention.Problems
		ref := convention.Art(41).Para(1)
		for _, name := range []string{"from", "until"} {
			v := strings.TrimSpace(f.Get(name))
			if v == "" {
				continue
			}
			at, err := time.Parse(shiftLayout, v)
			if err != nil {
				ps = append(ps, convention.Problem{Field: name, Ref: ref, Message: tf(r, "admin.roster.badtime", v)})
			}
			if name == "from" {
				in.From = at
			} else {
				in.Until = at
			}
		}
		if v := strings.TrimSpace(f.Get("position")); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 {
				ps = append(ps, convention.Problem{Field: "position", Ref: ref, Message: tf(r, "admin.roster.badposition", v)})
			}
			in.Position = n
		}
		var err error
		if len(ps) == 0 {
			_, err = u.node.AddRosterEntry(r.Context(), actorFrom(r.Context()), in)
			ps = problemsOf(err)
		}
		if len(ps) > 0 && !errors.Is(err, casework.ErrForbidden) {
			f.Del("secret") // never sent back to the browser
			u.formAgain(w, r, "roster", u.rosterData, f, ps)
			return
		}
		if err != nil {
			u.failErr(w, r, err)
			return
		}
		http.Redirect(w, r, Prefix+"admin/roster?m=added&user="+url.QueryEscape(in.User), http.StatusSeeOther)
	})
}

// removeRosterEntry takes a line off the roster, after confirmation.
func (u *UI) removeRosterEntry() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !u.readForm(w, r) {
			return
		}
		ctx, by, id := r.Context(), actorFrom(r.Context()), r.PathValue("id")
		entries, err := u.node.Roster(ctx, by)
		if err != nil {
			u.failErr(w, r, err)
			return
		}
		i := slices.IndexFunc(entries, func(e alerting.Entry) bool { return e.ID == id })
		if i < 0 {
			u.failErr(w, r, store.ErrNotFound)
			return
		}
		e := entries[i]
		if !u.confirmed(w, r, tf(r, "admin.confirm.unroster", e.User, string(e.Channel), e.Address), t(r, "admin.roster.remove"), Prefix+"admin/roster") {
			return
		}
		if _, err := u.node.RemoveRosterEntry(ctx, by, id); err != nil {
			u.failErr(w, r, err)
			return
		}
		http.Redirect(w, r, Prefix+"admin/roster?m=removed&user="+url.QueryEscape(e.User), http.StatusSeeOther)
	})
}

// formAgain renders an administrator's page again with the form as it was
// posted and its problems beside their fields, so that nothing typed is
// lost; load reads what the page shows besides the form.
func (u *UI) formAgain(w http.ResponseWriter, r *http.Request, page string, load func(*http.Request) (map[string]any, error), form url.Values, ps convention.Problems) {
	data, err := load(r)
	if err != nil {
		u.failErr(w, r, err)
		return
	}
	data["Form"], data["Problems"], data["FieldProblems"] = form, ps, byField(ps)
	u.render(w, r, http.StatusUnprocessableEntity, page, data)
}
