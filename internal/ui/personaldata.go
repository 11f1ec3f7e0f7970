package ui

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"entraide/internal/casework"
	"entraide/internal/convention"
	"entraide/internal/evidence"
	"entraide/internal/identity"
	"entraide/internal/store"
)

// markingWords says in r's language what personal data a marking says
// are carried: the categories of data, and of the persons concerned.
func markingWords(r *http.Request, p *convention.PersonalData) string {
	l := localeOf(r.Context())
	switch {
	case p == nil:
		return t(r, "pd.unmarked")
	case !p.Carried:
		return t(r, "pd.none")
	}
	var cats, persons []string
	for _, c := range p.Categories {
		cats = append(cats, l.word("pd.cat", c))
	}
	for _, c := range p.Persons {
		persons = append(persons, l.word("pd.person", c))
	}
	sep := t(r, "sep.list")
	return tf(r, "pd.carried", strings.Join(cats, sep), strings.Join(persons, sep))
}

// reveal lets an auditor see a request's personal data for a while, for
// the reason they give, which the audit log keeps.
func (u *UI) reveal() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !u.readForm(w, r) {
			return
		}
		id := r.PathValue("id")
		_, err := u.node.RevealPersonalData(r.Context(), actorFrom(r.Context()), id, r.PostForm.Get("reason"))
		if err == nil {
			http.Redirect(w, r, Prefix+"requests/"+url.PathEscape(id)+"?m=revealed", http.StatusSeeOther)
			return
		}
		ps := problemsOf(err)
		if ps == nil || errors.Is(err, casework.ErrNotFound) || errors.Is(err, store.ErrNotFound) || errors.Is(err, casework.ErrForbidden) || errors.Is(err, casework.ErrConflict) {
			u.evidenceDone(w, r, id, "", err)
			return
		}
		data, derr := u.requestData(r, id)
		if derr != nil {
			u.failErr(w, r, derr)
			return
		}
		// Beside the form, in its words: the reason is the form's one
		// field.
		l := localeOf(r.Context())
		for i, p := range ps {
			if p.Field == "reason" {
				ps[i].Field = l.t("pd.reason")
				if strings.HasPrefix(p.Message, "required") {
					ps[i].Message = l.t("pd.err.reason")
				}
			}
		}
		data["RevealProblems"] = ps
		u.render(w, r, http.StatusUnprocessableEntity, "request", data)
	})
}

// retentionPage shows the State's retention policy for personal data,
// the form that sets it to its administrators, and to its central
// authority what the node disposes of within the coming days.
func (u *UI) retentionPage() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u.showRetention(w, r, http.StatusOK, nil)
	})
}

func (u *UI) showRetention(w http.ResponseWriter, r *http.Request, status int, problems convention.Problems) {
	by := actorFrom(r.Context())
	p, err := u.node.RetentionPolicy(r.Context(), by)
	if err != nil {
		u.failErr(w, r, err)
		return
	}
	data := map[string]any{"Title": t(r, "ret.title"), "Policy": p, "CanSet": by.Role.Can(identity.ManageRetention), "Problems": problems}
	if r.URL.Query().Get("m") == "set" {
		data["Notice"] = t(r, "ret.saved")
	}
	if by.Role.Can(identity.DisposeEvidence) {
		within := r.URL.Query().Get("within")
		if within == "" {
			within = "30"
		}
		d, err := evidence.ParseWithin(within)
		if err != nil {
			data["WithinProblem"] = err.Error()
			d, within = 30*24*time.Hour, "30"
		}
		rep, err := u.node.ExpiringEvidence(r.Context(), by, d)
		if err != nil {
			u.failErr(w, r, err)
			return
		}
		type row struct {
			Expires, Request, Item, Name, Marking string
			ByPolicy                              bool
		}
		var rows []row
		for _, it := range rep.Items {
			rows = append(rows, row{Expires: it.Expires.UTC().Format("2006-01-02"), Request: it.RequestID, Item: it.ID, Name: it.Name,
				Marking: markingWords(r, it.PersonalData), ByPolicy: it.ByPolicy})
		}
		data["Expiring"], data["Within"], data["Until"], data["More"] = rows, strings.TrimSuffix(within, "d"), rep.Until.UTC().Format("2006-01-02"), rep.More
		data["ShowExpiring"] = true
	}
	u.render(w, r, status, "retention", data)
}

func (u *UI) setRetentionPolicy() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !u.readForm(w, r) {
			return
		}
		days, err := strconv.Atoi(strings.TrimSpace(r.PostForm.Get("personal_data_days")))
		if err != nil {
			u.showRetention(w, r, http.StatusUnprocessableEntity, convention.Problems{{Field: "personal_data_days", Ref: convention.PersonalDataConditionsRef, Message: t(r, "ret.days.bad")}})
			return
		}
		if _, err := u.node.SetRetentionPolicy(r.Context(), actorFrom(r.Context()), days); err != nil {
			if ps := problemsOf(err); ps != nil {
				u.showRetention(w, r, http.StatusUnprocessableEntity, ps)
				return
			}
			u.failErr(w, r, err)
			return
		}
		http.Redirect(w, r, Prefix+"retention?m=set", http.StatusSeeOther)
	})
}
