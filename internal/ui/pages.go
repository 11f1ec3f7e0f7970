package ui

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"entraide/internal/casework"
	"entraide/internal/convention"
	"entraide/internal/directory"
	"entraide/internal/identity"
	"entraide/internal/node"
	"entraide/internal/store"

	"golang.org/x/text/collate"
	"golang.org/x/text/language"
)

// pageSize is how many requests a listing page shows.
const pageSize = 50

// list renders the inbox (requests to the viewer's State) or the outbox
// (requests from it), new arrivals first, with the filters of the API.
func (u *UI) list(inbox bool) http.Handler {
	side, title := casework.Requesting, "list.outbox"
	if inbox {
		side, title = casework.Requested, "list.inbox"
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		f := store.Filter{Side: side, Limit: pageSize, Cursor: q.Get("cursor")}
		var problems convention.Problems
		if v := casework.State(q.Get("state")); v != "" {
			if slices.Contains(casework.States(), v) {
				f.State = v
			} else {
				problems = append(problems, convention.Problem{Field: "state", Message: "unknown status " + strconv.Quote(string(v))})
			}
		}
		if v := q.Get("kind"); v != "" {
			if _, ok := convention.Lookup(convention.Kind(v)); ok {
				f.Kind = v
			} else {
				problems = append(problems, convention.Problem{Field: "kind", Message: "unknown kind " + strconv.Quote(v)})
			}
		}
		if v := q.Get("counterpart"); v != "" {
			if p, ok := directory.LookupParticipant(v); ok {
				f.Counterpart = p.Code
			} else {
				problems = append(problems, convention.Problem{Field: "counterpart", Message: casework.UnknownStateMessage(v)})
			}
		}
		if v := casework.Urgency(q.Get("urgency")); v == casework.Normal || v == casework.Urgent {
			f.Urgency = v
		}
		now := u.node.Now()
		overdue := q.Get("overdue") == "on"
		if overdue {
			f.DueBefore = now
		}
		var page store.Page
		if len(problems) == 0 {
			var err error
			page, err = u.node.Requests(r.Context(), actorFrom(r.Context()), f)
			if errors.Is(err, store.ErrBadCursor) {
				page, err = u.node.Requests(r.Context(), actorFrom(r.Context()), store.Filter{Side: side, Limit: pageSize})
			}
			if _, partial := store.IsPartial(err); err != nil && !partial {
				u.failErr(w, r, err)
				return
			}
		}
		next := ""
		if page.NextCursor != "" {
			nq := url.Values{}
			for k, v := range q {
				nq[k] = v
			}
			nq.Set("cursor", page.NextCursor)
			next = r.URL.Path + "?" + nq.Encode()
		}
		u.render(w, r, http.StatusOK, "list", map[string]any{
			"Title": t(r, title), "Inbox": inbox, "Page": page, "Now": now, "Next": next, "Problems": problems,
			"Kinds": convention.Kinds(), "States": casework.States(),
			"F":       map[string]string{"kind": f.Kind, "state": string(f.State), "counterpart": q.Get("counterpart"), "urgency": string(f.Urgency)},
			"Overdue": overdue,
		})
	})
}

// fieldView is a field of a request as its page shows it: with its label
// and the article it comes from.
type fieldView struct {
	Name, Label, Value string
	Ref                convention.Ref
	Required           bool
	Problem            string
}

// actionView is an action the viewer may take, with what its form asks.
type actionView struct {
	Action                              casework.Action
	Conditions, Grounds, Reasons, Until bool
	NoteRequired                        bool
	// Answer is true for execute and execute_partially, on which the
	// requested State sets conditions on its answer.
	Answer bool
	// Form and Errors are, for an action just refused, what the official
	// sent and the problem of each field, which its form shows again.
	Form   url.Values
	Errors map[string]string
}

func actionOf(a casework.Action, req *casework.Request) actionView {
	v := actionView{Action: a}
	switch a {
	case casework.Consult:
		v.Conditions = true
	case casework.Resume:
		v.Conditions = req.State == casework.ConditionsAccepted
	case casework.Refuse:
		v.Grounds, v.Reasons = true, true
	case casework.Postpone:
		v.Reasons = true
	case casework.Start, casework.Extend, casework.AskExtension:
		v.Until = req.Preservation != nil || a == casework.Start && isPreserving(req.Kind)
	case casework.RequestInfo, casework.DiscloseTraffic:
		v.NoteRequired = true
	case casework.Execute, casework.ExecutePartially:
		v.Answer = true
	}
	if a == casework.AskExtension {
		v.NoteRequired = true
	}
	return v
}

func isPreserving(k convention.Kind) bool {
	spec, ok := convention.Lookup(k)
	return ok && spec.Preserves
}

// requestData is what the request page shows of req to by.
func (u *UI) requestData(r *http.Request, id string) (map[string]any, error) {
	by := actorFrom(r.Context())
	req, events, err := u.node.Request(r.Context(), by, id)
	bad, partial := store.IsPartial(err)
	if err != nil && !partial {
		return nil, err
	}
	spec, _ := convention.Lookup(req.Kind)
	l := localeOf(r.Context())
	var fields []fieldView
	seen := map[string]bool{}
	for _, f := range spec.Fields {
		seen[f.Name] = true
		if v := req.Fields[f.Name]; v != "" || f.Required {
			fields = append(fields, fieldView{Name: f.Name, Label: l.fieldLabel(req.Kind, f), Value: v, Ref: f.Ref, Required: f.Required})
		}
	}
	for name, v := range req.Fields {
		if !seen[name] {
			fields = append(fields, fieldView{Name: name, Label: name, Value: v})
		}
	}
	var actions []actionView
	for _, a := range casework.AllowedFor(req, by, u.node.Now()) {
		actions = append(actions, actionOf(a, req))
	}
	var unreadable []string
	for _, e := range bad {
		unreadable = append(unreadable, e.Error())
	}
	offences := []string{}
	for _, c := range req.Offences {
		if o, ok := convention.LookupOffence(c.Article); ok {
			offences = append(offences, l.tf("draft.offence", o.Article, l.offenceName(o.Article)))
		} else if c.Description != "" {
			offences = append(offences, c.Description)
		}
	}
	// The vault's items of the request, as this State holds them. A node
	// without a vault, or an item list that cannot be read, leaves the
	// section saying so rather than failing the page.
	evidence, itemsProblem := u.itemsOf(r, by, req)
	screening, err := u.screeningOf(r, by, req)
	if err != nil {
		return nil, err
	}
	useReports, canAskUse, useProblem := u.useReportsOf(r, by, req, evidence)
	// The receiving State asks consent for items another State gave it
	// under conditions.
	canAsk := false
	for _, it := range evidence {
		canAsk = canAsk || it.Received && len(it.Conditions) > 0
	}
	canAsk = canAsk && by.Role.Can(identity.ActOnRequests) && req.RequestingState == by.State
	return map[string]any{
		"UseReports": useReports, "CanAskUse": canAskUse, "UseProblem": useProblem, "Giver": req.RequestedState == by.State,
		"Screening": screening, "CanAskConsent": canAsk,
		"Title": tf(r, "req.title", shortID(req.ID)), "Req": req, "Spec": spec, "Fields": fields, "Timeline": events,
		"Actions": actions, "Grounds": convention.GroundsFor(req.Kind), "Offences": offences, "Unreadable": unreadable,
		"Side": req.SideOf(by.State), "Items": evidence, "ItemsProblem": itemsProblem,
		"CanUpload":      u.node.HasVault() && by.Role.Can(identity.AddEvidence),
		"DataCategories": convention.DataCategories(), "PersonCategories": convention.PersonCategories(),
		"Marking": markingWords(r, req.PersonalData), "CanReveal": len(req.Redacted) > 0 && by.Role.Can(identity.RevealPersonalData),
	}, nil
}

func shortID(id string) string {
	if len(id) > 8 {
		return id[len(id)-8:]
	}
	return id
}

func (u *UI) requestPage() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		data, err := u.requestData(r, r.PathValue("id"))
		if err != nil {
			u.failErr(w, r, err)
			return
		}
		switch r.URL.Query().Get("m") {
		case "saved":
			data["Notice"] = t(r, "draft.saved")
		case "sent":
			data["Notice"] = t(r, "draft.sent")
		case "uploaded":
			data["Notice"] = t(r, "ev.uploaded")
		case "evsent":
			data["Notice"] = t(r, "ev.sent")
		case "retained":
			data["Notice"] = t(r, "ev.retained")
		case "screened":
			data["Notice"] = t(r, "screen.done")
		case "urasked":
			data["Notice"] = t(r, "ur.notice")
		case "revealed":
			data["Notice"] = t(r, "pd.revealed")
		case "consentasked":
			data["Notice"] = t(r, "consent.asked")
		case "done":
			data["Notice"] = tf(r, "act.done", localeOf(r.Context()).word("state", data["Req"].(*casework.Request).State))
		}
		u.render(w, r, http.StatusOK, "request", data)
	})
}

// act takes the action of the request page's form. A refusal shows the
// page again, with the problems beside the form, each citing its article.
func (u *UI) act() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !u.readForm(w, r) {
			return
		}
		f, id := r.PostForm, r.PathValue("id")
		tr := casework.Transition{Action: casework.Action(f.Get("action")), Note: f.Get("note"), Reasons: f.Get("reasons"), Conditions: f.Get("conditions")}
		if tr.Action == casework.Execute || tr.Action == casework.ExecutePartially {
			tr.AnswerConditions = formConditions(f)
		}
		for _, g := range f["grounds"] {
			tr.Grounds = append(tr.Grounds, convention.Ground(g))
		}
		var problems convention.Problems
		if v := strings.TrimSpace(f.Get("preserve_until")); v != "" {
			d, err := convention.ParseTime("preserve_until", time.DateOnly, v)
			if err != nil {
				problems = append(problems, convention.Problem{Field: "preserve_until", Ref: convention.Art(42), Message: err.Error()})
			} else {
				tr.PreserveUntil = &d
			}
		}
		version, _ := strconv.Atoi(f.Get("version"))
		var err error
		if len(problems) == 0 {
			_, err = u.node.TransitionAt(r.Context(), actorFrom(r.Context()), id, version, tr)
		}
		if err == nil && len(problems) == 0 {
			http.Redirect(w, r, Prefix+"requests/"+url.PathEscape(id)+"?m=done", http.StatusSeeOther)
			return
		}
		if err != nil {
			if errors.Is(err, store.ErrNotFound) || errors.Is(err, casework.ErrNotFound) {
				u.failErr(w, r, err)
				return
			}
			problems = problemsOf(err)
			if problems == nil {
				if se := (*node.StaleError)(nil); errors.As(err, &se) || errors.Is(err, casework.ErrConflict) {
					problems = convention.Problems{{Field: "version", Message: t(r, "act.stale")}}
				} else {
					u.failErr(w, r, err)
					return
				}
			}
		}
		data, derr := u.requestData(r, id)
		if derr != nil {
			u.failErr(w, r, derr)
			return
		}
		data["Problems"], data["Failed"], data["Form"] = problems, tr.Action, f
		if acts, ok := data["Actions"].([]actionView); ok {
			for i := range acts {
				if acts[i].Action == tr.Action {
					acts[i].Form, acts[i].Errors = f, map[string]string{}
					for _, p := range problems {
						acts[i].Errors[p.Field] += p.Message
					}
				}
			}
		}
		u.render(w, r, http.StatusUnprocessableEntity, "request", data)
	})
}

// draftData is what the drafting form shows for kind.
func (u *UI) draftData(r *http.Request, kind convention.Kind) map[string]any {
	by := actorFrom(r.Context())
	var kinds []convention.Spec
	for _, s := range convention.Kinds() {
		if s.OnPreservation || casework.CanDraft(s.Kind, by) != nil {
			continue
		}
		kinds = append(kinds, s)
	}
	data := map[string]any{"Title": t(r, "draft.title"), "Kinds": kinds, "Offences": convention.Offences(),
		"DataCategories": convention.DataCategories(), "PersonCategories": convention.PersonCategories(),
		"Bases": casework.BasisTypes(), "Urgencies": []casework.Urgency{casework.Normal, casework.Urgent},
		"FieldProblems": map[string]string{}, "States": requestableStates(localeOf(r.Context()), by.State)}
	if spec, ok := convention.Lookup(kind); ok {
		data["Spec"] = spec
		data["Urgency"] = casework.DefaultUrgency(kind)
	}
	return data
}

// stateChoice is a State the draft form offers, named in the page's
// language.
type stateChoice struct{ Code, Name string }

// requestableStates lists the participants other than home, by their
// names in l: an official picks the requested State by its name, and
// cannot mistype its code.
func requestableStates(l *locale, home string) []stateChoice {
	var out []stateChoice
	for _, p := range directory.Participants() {
		if p.Code != home {
			out = append(out, stateChoice{Code: p.Code, Name: l.stateName(p.Code)})
		}
	}
	c := collate.New(language.Make(l.Code))
	slices.SortFunc(out, func(a, b stateChoice) int { return c.CompareString(a.Name, b.Name) })
	return out
}

func (u *UI) draftPage() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		data := u.draftData(r, convention.Kind(r.URL.Query().Get("kind")))
		data["Form"] = url.Values{}
		u.render(w, r, http.StatusOK, "draft", data)
	})
}

// createRequest saves a draft from the form, and sends it when the
// official pressed "Save and send". Problems show on the form again, each
// beside its field and citing its article.
func (u *UI) createRequest() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !u.readForm(w, r) {
			return
		}
		f := r.PostForm
		kind := convention.Kind(f.Get("kind"))
		c := casework.Contents{Kind: kind, RequestedState: strings.TrimSpace(f.Get("requested_state")), Urgency: casework.Urgency(f.Get("urgency")),
			Confidential: f.Get("confidential") == "on", UseLimitation: f.Get("use_limitation"), FollowUpOf: strings.TrimSpace(f.Get("follow_up_of")),
			Fields: map[string]string{}}
		// A marking that does not conform goes to the node as given, whose
		// validation names the field and art. 36 beside the form.
		c.PersonalData, _ = convention.ParsePersonalData("personal_data", f.Get("personal_data"), strings.Join(f["pd_category"], ","), strings.Join(f["pd_person"], ","))
		if b := casework.BasisType(f.Get("basis")); b != "" {
			c.LegalBasis = &casework.LegalBasis{Type: b, Treaty: f.Get("treaty")}
		}
		for _, a := range f["offence"] {
			n, err := strconv.Atoi(a)
			if err == nil {
				c.Offences = append(c.Offences, convention.Charge{Article: n})
			}
		}
		if spec, ok := convention.Lookup(kind); ok {
			for _, fl := range spec.Fields {
				if v := strings.TrimSpace(f.Get("field." + fl.Name)); v != "" {
					c.Fields[fl.Name] = v
				}
			}
		}
		by := actorFrom(r.Context())
		req, err := u.node.CreateRequest(r.Context(), by, c)
		if err != nil {
			ps := problemsOf(err)
			if ps == nil || errors.Is(err, casework.ErrForbidden) {
				u.failErr(w, r, err)
				return
			}
			data := u.draftData(r, kind)
			l := localeOf(r.Context())
			local := l.problems(kind, ps)
			data["Form"], data["Problems"] = f, local
			byField := map[string]string{}
			for i, p := range ps {
				byField[strings.TrimPrefix(p.Field, "fields.")] += local[i].Message + " (" + l.cite(p.Ref) + ") "
			}
			data["FieldProblems"] = byField
			u.render(w, r, http.StatusUnprocessableEntity, "draft", data)
			return
		}
		m := "saved"
		if f.Get("send") != "" {
			if _, err := u.node.TransitionAt(r.Context(), by, req.ID, req.Version, casework.Transition{Action: casework.Send}); err != nil {
				// The draft is kept: its page says why it was not sent.
				ps := problemsOf(err)
				if ps == nil {
					u.failErr(w, r, err)
					return
				}
				data, derr := u.requestData(r, req.ID)
				if derr != nil {
					u.failErr(w, r, derr)
					return
				}
				data["Notice"], data["Problems"] = t(r, "draft.notsent"), localeOf(r.Context()).problems(req.Kind, ps)
				u.render(w, r, http.StatusUnprocessableEntity, "request", data)
				return
			}
			m = "sent"
		}
		http.Redirect(w, r, Prefix+"requests/"+url.PathEscape(req.ID)+"?m="+m, http.StatusSeeOther)
	})
}

func (u *UI) console() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		by := actorFrom(r.Context())
		// The feed starts after the last event before the page is read,
		// so that an alert raised meanwhile is in one or the other.
		after, err := u.node.DB().LastAlertEvent(r.Context(), by.State)
		if err != nil {
			u.failErr(w, r, err)
			return
		}
		open, err := u.node.Alerts(r.Context(), by, store.AlertFilter{Open: true, Limit: 100})
		if _, partial := store.IsPartial(err); err != nil && !partial {
			u.failErr(w, r, err)
			return
		}
		recent, err := u.node.Alerts(r.Context(), by, store.AlertFilter{Limit: 20})
		if _, partial := store.IsPartial(err); err != nil && !partial {
			u.failErr(w, r, err)
			return
		}
		data := map[string]any{"Title": t(r, "console.title"), "Open": open, "Recent": recent.Alerts,
			"CanAck": by.Role.Can(identity.ActOnRequests), "Now": u.node.Now(), "After": after}
		// Every officer who takes alerts sees who is on call; where each
		// is reached only those who keep the roster do.
		roster, addresses := u.node.OnCall, false
		if by.Role.Can(identity.ManageRoster) {
			roster, addresses = u.node.Roster, true
		}
		if by.Role.Can(identity.ReadAlerts) || addresses {
			roster, err := roster(r.Context(), by)
			data["RosterAddresses"] = addresses
			if err != nil {
				u.failErr(w, r, err)
				return
			}
			data["Roster"], data["RosterShown"] = roster, true
		}
		u.render(w, r, http.StatusOK, "console", data)
	})
}

func (u *UI) ackAlert() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := u.node.AckAlert(r.Context(), actorFrom(r.Context()), r.PathValue("id")); err != nil {
			u.failErr(w, r, err)
			return
		}
		http.Redirect(w, r, Prefix+"console", http.StatusSeeOther)
	})
}

// known returns the States this node knows: those it hosts and its peers.
func (u *UI) known(r *http.Request) ([]node.StateView, error) {
	codes := u.node.Hosted()
	peers, err := u.node.Peers(r.Context())
	if err != nil {
		return nil, err
	}
	for _, p := range peers {
		if !slices.Contains(codes, p.State) {
			codes = append(codes, p.State)
		}
	}
	slices.Sort(codes)
	var out []node.StateView
	for _, c := range codes {
		v, err := u.node.State(r.Context(), c)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

func (u *UI) directoryPage() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		states, err := u.known(r)
		if err != nil {
			u.failErr(w, r, err)
			return
		}
		u.render(w, r, http.StatusOK, "directory", map[string]any{"Title": t(r, "dir.title"), "States": states})
	})
}

func (u *UI) statePage() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v, err := u.node.State(r.Context(), r.PathValue("code"))
		if err != nil {
			u.failErr(w, r, err)
			return
		}
		u.render(w, r, http.StatusOK, "directory", map[string]any{"Title": localeOf(r.Context()).stateName(v.Code), "States": []node.StateView{v}, "One": true})
	})
}

func (u *UI) treatyPage() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		st, err := u.node.TreatyStatus(r.Context())
		if err != nil {
			u.failErr(w, r, err)
			return
		}
		// The chart is an SVG bar of 400 units: each instrument 10, up to
		// the 40 the Convention needs (art. 65(1)).
		required := max(st.Required, 1)
		filled := min(st.Instruments, required) * 400 / required
		u.render(w, r, http.StatusOK, "treaty", map[string]any{"Title": t(r, "treaty.title"), "S": st, "Filled": filled, "AsOf": &st.AsOf,
			"Missing": max(st.Required-st.Instruments, 0), "Ticks": ticks(required)})
	})
}

// ticks are the x positions of the chart's marks every 10 instruments.
func ticks(required int) []int {
	var out []int
	for i := 10; i < required; i += 10 {
		out = append(out, i*400/required)
	}
	return out
}
