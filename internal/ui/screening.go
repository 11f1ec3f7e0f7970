package ui

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"entraide/internal/casework"
	"entraide/internal/convention"
	"entraide/internal/identity"
	"entraide/internal/store"
)

// screeningGroundView is a ground of the screening form, in the page's
// language.
type screeningGroundView struct {
	Ground          convention.ScreeningGround
	Name, Ask, Cite string
	RefusalGround   convention.Ground
}

// screeningView is the screening section of the requested State's view of
// a request: whether a screening is needed, the latest one, and the form.
type screeningView struct {
	Needed    bool
	Latest    *casework.Screening
	Concerns  []string // the latest screening's concerns, named
	CanScreen bool
	Flagged   string // why the requesting State is flagged, if it is
	Grounds   []screeningGroundView
	Form      url.Values
	Errors    map[string]string
	Problems  convention.Problems
}

// screeningOf is what the request page shows of req's screening to by, or
// nil where there is none to show: the requesting State's view, and a
// request that needs none and had none.
func (u *UI) screeningOf(r *http.Request, by casework.Actor, req *casework.Request) (*screeningView, error) {
	if req.SideOf(by.State) != casework.Requested || !casework.NeedsScreening(req) && req.Screening == nil {
		return nil, nil
	}
	l := localeOf(r.Context())
	v := &screeningView{Needed: casework.ScreeningPending(req), Latest: req.Screening, Form: url.Values{}, Errors: map[string]string{},
		CanScreen: by.Role.Can(identity.ScreenRequests) && casework.Screenable(req)}
	for _, g := range convention.ScreeningGrounds(req.Kind) {
		v.Grounds = append(v.Grounds, screeningGroundView{Ground: g.Ground, Name: l.t("screen.ground." + string(g.Ground)),
			Ask: l.t("screen.ask." + string(g.Ground)), Cite: l.cite(g.Ref), RefusalGround: g.RefusalGround})
	}
	if req.Screening != nil {
		for _, g := range req.Screening.ConcernsFound {
			v.Concerns = append(v.Concerns, l.t("screen.ground."+string(g)))
		}
	}
	if req.FromFlagged {
		flags, err := u.node.Flags(r.Context(), by)
		if err != nil {
			return nil, err
		}
		if i := slices.IndexFunc(flags, func(f casework.Flag) bool { return f.State == req.RequestingState }); i >= 0 {
			v.Flagged = flags[i].Reason
		}
	}
	return v, nil
}

// screen records the screening of the request page's form. Problems show
// the page again, with the form as sent.
func (u *UI) screen() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !u.readForm(w, r) {
			return
		}
		f, id := r.PostForm, r.PathValue("id")
		s := convention.Screening{Findings: f.Get("findings"), Outcome: convention.ScreeningOutcome(f.Get("outcome"))}
		for _, g := range f["considered"] {
			s.Considered = append(s.Considered, convention.ScreeningGround(g))
		}
		for _, g := range f["concerns"] {
			s.ConcernsFound = append(s.ConcernsFound, convention.ScreeningGround(g))
		}
		_, err := u.node.Screen(r.Context(), actorFrom(r.Context()), id, s)
		if err == nil {
			http.Redirect(w, r, Prefix+"requests/"+url.PathEscape(id)+"?m=screened#screening", http.StatusSeeOther)
			return
		}
		problems := problemsOf(err)
		if problems == nil || errors.Is(err, casework.ErrNotFound) || errors.Is(err, store.ErrNotFound) || errors.Is(err, casework.ErrForbidden) {
			u.failErr(w, r, err)
			return
		}
		problems = localeOf(r.Context()).screeningProblems(problems)
		data, derr := u.requestData(r, id)
		if derr != nil {
			u.failErr(w, r, derr)
			return
		}
		if v, ok := data["Screening"].(*screeningView); ok && v != nil {
			v.Form, v.Problems, v.Errors = f, problems, byField(problems)
		}
		u.render(w, r, http.StatusUnprocessableEntity, "request", data)
	})
}

// flagsData is what the administrator's page of flags shows.
func (u *UI) flagsData(r *http.Request) (map[string]any, error) {
	by := actorFrom(r.Context())
	flags, err := u.node.Flags(r.Context(), by)
	if err != nil {
		return nil, err
	}
	var kinds []string
	for _, k := range convention.ScreenedKinds() {
		kinds = append(kinds, localeOf(r.Context()).kindName(k))
	}
	return map[string]any{"Title": t(r, "admin.screening.title"), "Flags": flags, "ScreenedKinds": strings.Join(kinds, t(r, "sep.list")),
		"States": requestableStates(localeOf(r.Context()), by.State), "Form": url.Values{}, "FieldProblems": map[string]string{}}, nil
}

func (u *UI) flagsPage() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		data, err := u.flagsData(r)
		if err != nil {
			u.failErr(w, r, err)
			return
		}
		switch r.URL.Query().Get("m") {
		case "flagged":
			data["Notice"] = tf(r, "admin.screening.flagged", localeOf(r.Context()).stateName(r.URL.Query().Get("state")))
		case "unflagged":
			data["Notice"] = tf(r, "admin.screening.unflagged", localeOf(r.Context()).stateName(r.URL.Query().Get("state")))
		}
		u.render(w, r, http.StatusOK, "screening", data)
	})
}

func (u *UI) flagState() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !u.readForm(w, r) {
			return
		}
		f := r.PostForm
		fl, err := u.node.Flag(r.Context(), actorFrom(r.Context()), strings.TrimSpace(f.Get("state")), f.Get("reason"))
		if ps := problemsOf(err); len(ps) > 0 && !errors.Is(err, casework.ErrForbidden) {
			u.formAgain(w, r, "screening", u.flagsData, f, ps)
			return
		}
		if err != nil {
			u.failErr(w, r, err)
			return
		}
		http.Redirect(w, r, Prefix+"admin/screening?m=flagged&state="+url.QueryEscape(fl.State), http.StatusSeeOther)
	})
}

// unflagState lifts a flag, after confirmation.
func (u *UI) unflagState() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !u.readForm(w, r) {
			return
		}
		ctx, by, code := r.Context(), actorFrom(r.Context()), r.PathValue("state")
		flags, err := u.node.Flags(ctx, by)
		if err != nil {
			u.failErr(w, r, err)
			return
		}
		if !slices.ContainsFunc(flags, func(f casework.Flag) bool { return f.State == code }) {
			u.failErr(w, r, store.ErrNotFound)
			return
		}
		name := localeOf(ctx).stateName(code)
		if !u.confirmed(w, r, tf(r, "admin.screening.confirm", name), t(r, "admin.screening.unflag"), Prefix+"admin/screening") {
			return
		}
		if _, err := u.node.Unflag(ctx, by, code); err != nil {
			u.failErr(w, r, err)
			return
		}
		http.Redirect(w, r, Prefix+"admin/screening?m=unflagged&state="+url.QueryEscape(code), http.StatusSeeOther)
	})
}

// screeningProblems says in l, in the form's words, what the official
// left out of the screening form: the grounds not yet examined (in one
// problem, each ground by the name the checklist gives it, with its
// article), the findings, the outcome, and an outcome at odds with the
// concerns ticked. The node's other problems stay as it gives them.
func (l *locale) screeningProblems(ps convention.Problems) convention.Problems {
	out := make(convention.Problems, 0, len(ps))
	var unexamined []string
	first := -1
	for _, p := range ps {
		switch {
		case p.Field == "considered" && strings.HasPrefix(p.Message, "consider ground "):
			g, err := strconv.Unquote(strings.SplitN(strings.TrimPrefix(p.Message, "consider ground "), ": ", 2)[0])
			if err != nil {
				break
			}
			name := l.t("screen.ground." + g)
			if c := l.cite(p.Ref); c != "" {
				name += " (" + c + ")"
			}
			unexamined = append(unexamined, name)
			if first < 0 {
				first = len(out)
				out = append(out, convention.Problem{Field: "considered"})
			}
			continue
		case p.Field == "findings" && strings.HasPrefix(p.Message, "required"):
			p.Message = l.t("screen.err.findings")
		case p.Field == "outcome" && strings.HasPrefix(p.Message, "required"):
			p.Message = l.t("screen.err.outcome")
		case p.Field == "outcome" && strings.HasPrefix(p.Message, "a screening that found concerns"):
			p.Message = l.t("screen.err.clearedwithconcerns")
		case p.Field == "concerns_found" && strings.HasPrefix(p.Message, "name the grounds"):
			p.Message = l.t("screen.err.noconcern")
		}
		out = append(out, p)
	}
	if first >= 0 {
		out[first].Message = l.tf("screen.err.examine", strings.Join(unexamined, l.t("sep.items")))
	}
	return out
}
