package ui

import (
	"errors"
	"net/http"
	"net/url"
	"strings"

	"entraide/internal/casework"
	"entraide/internal/convention"
	"entraide/internal/evidence"
	"entraide/internal/identity"
	"entraide/internal/node"
	"entraide/internal/store"
)

// formConditions reads the conditions an official set on a form: a box
// per kind (cond_use_limited, cond_confidential, ...), the last day for
// a retention limit (cond_retain_until_date) and the words of
// personal-data and consultation conditions (cond_personal_data_text,
// cond_consultation_text). A kind is set when its box is ticked, or its
// date or words are given.
func formConditions(f url.Values) convention.Conditions {
	var cs convention.Conditions
	for _, k := range convention.ConditionKinds() {
		name := "cond_" + string(k)
		c := convention.Condition{Kind: k}
		switch k {
		case convention.RetainUntil:
			c.Until = strings.TrimSpace(f.Get(name + "_date"))
		case convention.PersonalDataCondition, convention.Consulted:
			c.Text = strings.TrimSpace(f.Get(name + "_text"))
		}
		if f.Get(name) != "" || c.Until != "" || c.Text != "" {
			cs = append(cs, c)
		}
	}
	return cs
}

// conditionWords is c in the page's language, with its date or words and
// its article.
func conditionWords(r *http.Request, c convention.Condition) string {
	s := t(r, "cond."+string(c.Kind))
	switch {
	case c.Until != "":
		s += " " + c.Until
	case c.Text != "":
		s = tf(r, "cond.withtext", s, c.Text)
	}
	return s + " (" + localeOf(r.Context()).cite(c.Kind.Ref()) + ")"
}

// consentView is a consent request as a page shows it.
type consentView struct {
	evidence.Consent
	Use, Status string
	// CanAnswer is true for one asked of the viewer's State, still
	// waiting, that the viewer may answer.
	CanAnswer  bool
	Conditions []string
}

func consentViews(r *http.Request, by casework.Actor, cs []evidence.Consent) []consentView {
	out := make([]consentView, 0, len(cs))
	for _, c := range cs {
		v := consentView{Consent: c, Status: t(r, "consent.status."+string(c.Status))}
		if c.Use.ToState != "" {
			v.Use = tf(r, "consent.usestate", localeOf(r.Context()).stateName(c.Use.ToState))
		} else {
			v.Use = tf(r, "consent.useproc", c.Use.Proceedings)
		}
		v.CanAnswer = c.GivingState == by.State && c.Status == evidence.ConsentAsked && by.Role.Can(identity.ActOnRequests)
		for _, k := range c.Conditions {
			v.Conditions = append(v.Conditions, conditionWords(r, k))
		}
		out = append(out, v)
	}
	return out
}

// consentsPage lists the consent requests of the viewer's State: those it
// asked and those asked of it, with a form to grant or refuse each one
// waiting for its answer.
func (u *UI) consentsPage() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		by := actorFrom(r.Context())
		cs, err := u.node.Consents(r.Context(), by, "")
		if err != nil {
			u.failErr(w, r, err)
			return
		}
		data := map[string]any{"Title": t(r, "consent.title"), "Consents": consentViews(r, by, cs)}
		if r.URL.Query().Get("m") == "answered" {
			data["Notice"] = t(r, "consent.answered")
		}
		u.render(w, r, http.StatusOK, "consents", data)
	})
}

// askConsent asks, from the request page, the giving State's consent to
// a use the conditions of its items bar.
func (u *UI) askConsent() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !u.readForm(w, r) {
			return
		}
		f, id := r.PostForm, r.PathValue("id")
		in := node.ConsentAsk{Items: f["items"], Use: convention.Use{ToState: strings.TrimSpace(f.Get("for_state")), Proceedings: strings.TrimSpace(f.Get("proceedings"))},
			Reasons: f.Get("reasons")}
		_, err := u.node.AskConsent(r.Context(), actorFrom(r.Context()), id, in)
		u.evidenceDone(w, r, id, "consentasked", err)
	})
}

// answerConsent grants or refuses, from the consents page, a consent
// request asked of the viewer's State.
func (u *UI) answerConsent() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !u.readForm(w, r) {
			return
		}
		f := r.PostForm
		by := actorFrom(r.Context())
		in := node.ConsentAnswer{Grant: f.Get("grant") == "true", Reasons: f.Get("reasons"), Conditions: formConditions(f)}
		_, err := u.node.AnswerConsent(r.Context(), by, r.PathValue("consent"), in)
		if err == nil {
			http.Redirect(w, r, Prefix+"consents?m=answered", http.StatusSeeOther)
			return
		}
		ps := problemsOf(err)
		if ps == nil || errors.Is(err, casework.ErrNotFound) || errors.Is(err, store.ErrNotFound) || errors.Is(err, casework.ErrForbidden) {
			u.failErr(w, r, err)
			return
		}
		cs, lerr := u.node.Consents(r.Context(), by, "")
		if lerr != nil {
			u.failErr(w, r, lerr)
			return
		}
		status := http.StatusUnprocessableEntity
		if errors.Is(err, casework.ErrConflict) {
			status = http.StatusConflict
		}
		u.render(w, r, status, "consents", map[string]any{"Title": t(r, "consent.title"), "Consents": consentViews(r, by, cs), "Problems": ps})
	})
}
