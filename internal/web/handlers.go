package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"entraide/internal/casework"
	"entraide/internal/convention"
	"entraide/internal/directory"
	"entraide/internal/identity"
	"entraide/internal/node"
	"entraide/internal/store"
)

type health struct {
	Status  string `json:"status"`
	Backend string `json:"backend"`
	State   string `json:"state"`
}

func (s *Server) health() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if _, _, err := s.node.DB().Node(ctx); err != nil {
			s.log.ErrorContext(ctx, "health check failed", "err", err)
			writeProblem(w, Problem{Type: typeInternal, Status: http.StatusServiceUnavailable, Detail: "the database does not answer"})
			return
		}
		encode(w, http.StatusOK, health{Status: "ok", Backend: s.node.DB().Backend(), State: s.node.Home()})
	})
}

// readiness is /readyz's answer: whether the node should be sent
// traffic, and each check that says so.
type readiness struct {
	Status string       `json:"status"` // "ready" or "not ready"
	Checks []readyCheck `json:"checks"`
	// LogLag is how many audit records wait to be put into the Merkle
	// log and covered by a signed checkpoint; LogMaxLag the most the node
	// tolerates while ready.
	LogLag    int64 `json:"log_lag"`
	LogMaxLag int64 `json:"log_max_lag"`
}

// readyCheck is one of readiness's checks: its name ("database",
// "evidence_store", "log"), its state ("ok", "failing" or "absent" for
// an evidence store the node does not have) and why it fails.
type readyCheck struct {
	Name   string `json:"name"`
	State  string `json:"state"`
	Detail string `json:"detail,omitempty"`
}

func (s *Server) ready() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		out := readiness{Status: "ready", LogMaxLag: s.readyLogLag}
		check := func(name string, err error, detail string) {
			c := readyCheck{Name: name, State: "ok"}
			if err != nil {
				s.log.ErrorContext(ctx, "readiness check failed", "check", name, "err", err)
				c.State, c.Detail, out.Status = "failing", detail, "not ready"
			}
			out.Checks = append(out.Checks, c)
		}
		_, _, err := s.node.DB().Node(ctx)
		check("database", err, "the database does not answer")
		if s.node.HasVault() {
			check("evidence_store", s.node.PingVault(ctx), "the evidence store does not answer")
		} else {
			out.Checks = append(out.Checks, readyCheck{Name: "evidence_store", State: "absent"})
		}
		lag, err := s.node.DB().LogPending(ctx)
		out.LogLag = lag
		switch {
		case err != nil:
			check("log", err, "the Merkle log's lag cannot be read")
		case lag > s.readyLogLag:
			check("log", errors.New("log lag over its bound"), fmt.Sprintf("%d records wait for the Merkle log, more than %d: its integrator has stopped or cannot keep up", lag, s.readyLogLag))
		default:
			check("log", nil, "")
		}
		if out.Status != "ready" {
			var failing []string
			for _, c := range out.Checks {
				if c.State == "failing" {
					failing = append(failing, c.Name+": "+c.Detail)
				}
			}
			writeProblem(w, Problem{Type: typeNotReady, Status: http.StatusServiceUnavailable, Title: "The node is not ready",
				Detail: strings.Join(failing, "; "), Readiness: &out})
			return
		}
		encode(w, http.StatusOK, out)
	})
}

func (s *Server) me() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, err := s.node.Me(r.Context(), actorFrom(r.Context()))
		if err != nil {
			writeError(w, r, s.log, err)
			return
		}
		encode(w, http.StatusOK, u)
	})
}

// kindDoc is a kind of request as the API describes it.
type kindDoc struct {
	convention.Spec
	Grounds []convention.GroundSpec `json:"grounds"`
}

func (s *Server) kinds() http.Handler {
	// The Convention does not change while the node runs.
	var docs []kindDoc
	for _, spec := range convention.Kinds() {
		docs = append(docs, kindDoc{Spec: spec, Grounds: convention.GroundsFor(spec.Kind)})
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { encode(w, http.StatusOK, docs) })
}

type offencesDoc struct {
	Offences                 []convention.Offence `json:"offences"`
	SeriousCrimeMinimumYears int                  `json:"serious_crime_minimum_years"`
}

func (s *Server) offences() http.Handler {
	doc := offencesDoc{Offences: convention.Offences(), SeriousCrimeMinimumYears: convention.SeriousCrimeMinimumYears}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { encode(w, http.StatusOK, doc) })
}

func (s *Server) treaty() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		st, err := s.node.TreatyStatus(r.Context())
		if err != nil {
			writeError(w, r, s.log, err)
			return
		}
		encode(w, http.StatusOK, st)
	})
}

func (s *Server) recordTreaty() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		in, err := decode[node.TreatyAction](w, r)
		if err != nil {
			writeError(w, r, s.log, err)
			return
		}
		rec, err := s.node.RecordTreaty(r.Context(), actorFrom(r.Context()), in)
		if err != nil {
			writeError(w, r, s.log, err)
			return
		}
		encode(w, http.StatusOK, rec)
	})
}

type importResult struct {
	Imported int                    `json:"imported"`
	Status   directory.TreatyStatus `json:"status"`
}

func (s *Server) importTreaty() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if ct := r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(ct, "text/csv") && !strings.HasPrefix(ct, "text/plain") {
			msg := fmt.Sprintf("Content-Type %q: send the file as text/csv", ct)
			writeProblem(w, Problem{Type: typeInvalidBody, Status: http.StatusUnsupportedMediaType, Detail: msg, Errors: []FieldError{{Field: "Content-Type", Message: msg}}})
			return
		}
		body := http.MaxBytesReader(w, r.Body, directory.MaxTreatyStatusBytes+1)
		n, err := s.node.ImportTreaty(r.Context(), actorFrom(r.Context()), body)
		if err != nil {
			writeError(w, r, s.log, err)
			return
		}
		st, err := s.node.TreatyStatus(r.Context())
		if err != nil {
			writeError(w, r, s.log, err)
			return
		}
		encode(w, http.StatusOK, importResult{Imported: n, Status: st})
	})
}

func (s *Server) state() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v, err := s.node.State(r.Context(), r.PathValue("code"))
		if err != nil {
			writeError(w, r, s.log, err)
			return
		}
		encode(w, http.StatusOK, v)
	})
}

func (s *Server) putProfile() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, err := decode[directory.Profile](w, r)
		if err != nil {
			writeError(w, r, s.log, err)
			return
		}
		if p.Code != "" && !sameParticipant(p.Code, r.PathValue("code")) {
			writeError(w, r, s.log, badRequest("code", "the body's code %q differs from the path's %q", p.Code, r.PathValue("code")))
			return
		}
		p.Code = r.PathValue("code")
		p, err = s.node.PutProfile(r.Context(), actorFrom(r.Context()), p)
		if err != nil {
			writeError(w, r, s.log, err)
			return
		}
		encode(w, http.StatusOK, p)
	})
}

// sameParticipant reports whether codes a and b name the same participant,
// as "FR" and "fra" both name France.
func sameParticipant(a, b string) bool {
	pa, okA := directory.LookupParticipant(a)
	pb, okB := directory.LookupParticipant(b)
	if okA && okB {
		return pa.Code == pb.Code
	}
	return strings.EqualFold(a, b)
}

func (s *Server) addDeclaration() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		in, err := decode[node.DeclarationInput](w, r)
		if err != nil {
			writeError(w, r, s.log, err)
			return
		}
		d, err := s.node.RecordDeclaration(r.Context(), actorFrom(r.Context()), r.PathValue("code"), in)
		if err != nil {
			writeError(w, r, s.log, err)
			return
		}
		encode(w, http.StatusCreated, d)
	})
}

func (s *Server) createRequest() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := decode[casework.Contents](w, r)
		if err != nil {
			writeError(w, r, s.log, err)
			return
		}
		req, body, err := s.node.CreateRequestJSON(r.Context(), actorFrom(r.Context()), c)
		if err != nil {
			writeError(w, r, s.log, err)
			return
		}
		w.Header().Set("Location", "/api/v1/requests/"+req.ID)
		w.Header().Set("ETag", etag(req.Version))
		encodedJSON(w, http.StatusCreated, body)
	})
}

// MaxPageSize bounds a listing; MaxAuditPage a page of the audit log,
// whose records are small.
const (
	MaxPageSize  = 500
	MaxAuditPage = 1000
)

func (s *Server) listRequests() http.Handler {
	states := map[casework.State]bool{}
	var names []string
	for _, st := range casework.States() {
		states[st] = true
		names = append(names, string(st))
	}
	stateList := strings.Join(names, ", ")
	// Every kind, the retired included: old requests of it are still listed.
	var kinds []string
	for _, k := range convention.Kinds() {
		kinds = append(kinds, string(k.Kind))
	}
	kindList := strings.Join(kinds, ", ")
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		f := store.Filter{State: casework.State(q.Get("state")), Kind: q.Get("kind"), Side: casework.Side(q.Get("side")), Cursor: q.Get("cursor")}
		if f.State != "" && !states[f.State] {
			writeError(w, r, s.log, badRequest("state", "unknown state %q; give one of %s", f.State, stateList))
			return
		}
		if _, ok := convention.Lookup(convention.Kind(f.Kind)); f.Kind != "" && !ok {
			writeError(w, r, s.log, badRequest("kind", "unknown kind %q; give one of %s", f.Kind, kindList))
			return
		}
		if f.Side != "" && f.Side != casework.Requesting && f.Side != casework.Requested {
			writeError(w, r, s.log, badRequest("side", "side is %q or %q", casework.Requesting, casework.Requested))
			return
		}
		if v := q.Get("limit"); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 || n > MaxPageSize {
				writeError(w, r, s.log, badRequest("limit", "limit is a number from 1 to %d", MaxPageSize))
				return
			}
			f.Limit = n
		}
		if err := listFilters(q, &f); err != nil {
			writeError(w, r, s.log, err)
			return
		}
		page, err := s.node.Requests(r.Context(), actorFrom(r.Context()), f)
		if errors.Is(err, store.ErrBadCursor) {
			err = badRequest("cursor", "use the next_cursor of a previous page")
		}
		if err != nil {
			writeError(w, r, s.log, err)
			return
		}
		encode(w, http.StatusOK, page)
	})
}

// MaxListText bounds the text a listing looks for.
const MaxListText = 200

// listFilters reads the listing's filters beyond state, kind and side,
// each refused with what it takes.
func listFilters(q url.Values, f *store.Filter) error {
	if v := q.Get("counterpart"); v != "" {
		p, ok := directory.LookupParticipant(v)
		if !ok {
			return badRequest("counterpart", "counterpart %q is not a State: give its ISO 3166-1 alpha-3 code, e.g. FRA", v)
		}
		f.Counterpart = p.Code
	}
	if v := casework.Urgency(q.Get("urgency")); v != "" {
		if v != casework.Normal && v != casework.Urgent {
			return badRequest("urgency", "urgency is %q or %q", casework.Normal, casework.Urgent)
		}
		f.Urgency = v
	}
	for _, t := range []struct {
		name string
		dst  *time.Time
	}{{"due_before", &f.DueBefore}, {"from", &f.ArrivedFrom}, {"to", &f.ArrivedBefore}, {"updated_since", &f.UpdatedSince}} {
		v := q.Get(t.name)
		if v == "" {
			continue
		}
		layout := time.RFC3339
		if len(v) == len(time.DateOnly) {
			layout = time.DateOnly
		}
		d, err := convention.ParseTime(t.name, layout, v)
		if err != nil {
			return badRequest(t.name, "%s is a date (YYYY-MM-DD) or an RFC 3339 time: %v", t.name, err)
		}
		if t.name == "to" && layout == time.DateOnly {
			d = d.AddDate(0, 0, 1) // "to" a day takes the whole day
		}
		*t.dst = d
	}
	if v := q.Get("q"); v != "" {
		if utf8.RuneCountInString(v) > MaxListText {
			return badRequest("q", "q is at most %d characters", MaxListText)
		}
		f.Text = v
	}
	switch v := q.Get("sort"); v {
	case "", store.SortArrival, store.SortDeadline:
		f.Sort = v
	default:
		return badRequest("sort", "sort is %q (new arrivals first, the default) or %q (nearest deadline first)", store.SortArrival, store.SortDeadline)
	}
	return nil
}

type requestDoc struct {
	Request  *casework.Request `json:"request"`
	Timeline []casework.Event  `json:"timeline"`
	// AllowedActions are the actions the caller may take on the request
	// now, given their State's side, their role and its state.
	AllowedActions []casework.Action `json:"allowed_actions"`
	// Unreadable names the stored events of the timeline that could not
	// be read, left out of Timeline.
	Unreadable []string `json:"unreadable,omitempty"`
	// ScreeningNeeded says that the request waits for a screening for
	// human rights before execution may begin, and Screening is its
	// latest; both only in the requested State's view.
	ScreeningNeeded bool                `json:"screening_needed,omitempty"`
	Screening       *casework.Screening `json:"screening,omitempty"`
}

// maxIDLength bounds an identifier in a path; request ids are UUIDs.
const maxIDLength = 100

// pathID returns the path parameter name, or a not-found error if it is no
// identifier a resource can have: empty, too long, not UTF-8, or holding a
// control character. Such a value never reaches the database, which may
// refuse it with an error of its own (PostgreSQL does, for NUL bytes and
// invalid UTF-8).
func pathID(r *http.Request, name string) (string, error) {
	id := r.PathValue(name)
	if id == "" || len(id) > maxIDLength || !utf8.ValidString(id) || strings.ContainsFunc(id, unicode.IsControl) {
		return "", store.ErrNotFound
	}
	return id, nil
}

func (s *Server) getRequest() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, err := pathID(r, "id")
		if err != nil {
			writeError(w, r, s.log, err)
			return
		}
		req, events, err := s.node.Request(r.Context(), actorFrom(r.Context()), id)
		bad, partial := store.IsPartial(err)
		if err != nil && !partial {
			writeError(w, r, s.log, err)
			return
		}
		doc := requestDoc{Request: req, Timeline: events, AllowedActions: casework.AllowedFor(req, actorFrom(r.Context()), s.node.Now())}
		doc.Screening, doc.ScreeningNeeded = screeningOf(req)
		for _, e := range bad {
			doc.Unreadable = append(doc.Unreadable, e.Error())
		}
		w.Header().Set("ETag", etag(req.Version))
		encode(w, http.StatusOK, doc)
	})
}

// etag is the entity tag of a request's view at version: the version, as
// a strong tag. Every change of the view raises its version.
func etag(version int) string { return `"` + strconv.Itoa(version) + `"` }

// ifMatch returns the version an If-Match header names: 0 if there is no
// header or it is "*" (any version), and, for a tag that is no version of
// a request (a weak tag, for one, which never matches a strong one), -1,
// which no view has. A header that is not one entity tag is a 400.
func ifMatch(values []string) (int, error) {
	const field = "If-Match"
	if len(values) == 0 {
		return 0, nil
	}
	v := strings.TrimSpace(strings.Join(values, ","))
	if v == "*" {
		return 0, nil
	}
	weak := strings.HasPrefix(v, "W/")
	tag := strings.TrimPrefix(v, "W/")
	if len(tag) < 2 || tag[0] != '"' || tag[len(tag)-1] != '"' || strings.ContainsAny(tag[1:len(tag)-1], `",`) {
		return 0, badRequest(field, "If-Match takes one entity tag, the ETag of GET /api/v1/requests/{id}, as \"3\"")
	}
	n, err := strconv.Atoi(tag[1 : len(tag)-1])
	if err != nil || n < 1 || weak {
		return -1, nil
	}
	return n, nil
}

func (s *Server) transition() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, err := pathID(r, "id")
		if err != nil {
			writeError(w, r, s.log, err)
			return
		}
		version, err := ifMatch(r.Header.Values("If-Match"))
		if err != nil {
			writeError(w, r, s.log, err)
			return
		}
		t, err := decode[casework.Transition](w, r)
		if err != nil {
			writeError(w, r, s.log, err)
			return
		}
		req, err := s.node.TransitionAt(r.Context(), actorFrom(r.Context()), id, version, t)
		if err != nil {
			writeError(w, r, s.log, err)
			return
		}
		w.Header().Set("ETag", etag(req.Version))
		encode(w, http.StatusOK, req)
	})
}

func (s *Server) listUsers() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		users, err := s.node.Users(r.Context(), actorFrom(r.Context()))
		if err != nil {
			writeError(w, r, s.log, err)
			return
		}
		encode(w, http.StatusOK, users)
	})
}

type userInput struct {
	ID    string        `json:"id"`
	Name  string        `json:"name"`
	Email string        `json:"email,omitempty"`
	State string        `json:"state,omitempty"`
	Role  identity.Role `json:"role"`
}

func (s *Server) addUser() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		in, err := decode[userInput](w, r)
		if err != nil {
			writeError(w, r, s.log, err)
			return
		}
		u, err := s.node.AddUser(r.Context(), actorFrom(r.Context()), identity.User{ID: in.ID, Name: in.Name, Email: in.Email, State: in.State, Role: in.Role})
		if err != nil {
			writeError(w, r, s.log, err)
			return
		}
		encode(w, http.StatusCreated, u)
	})
}

func (s *Server) auditLog() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		var after int64
		limit := 100
		if v := q.Get("after"); v != "" {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n < 0 {
				writeError(w, r, s.log, badRequest("after", "after is a sequence number, 0 or more"))
				return
			}
			after = n
		}
		if v := q.Get("limit"); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 || n > MaxAuditPage {
				writeError(w, r, s.log, badRequest("limit", "limit is a number from 1 to %d", MaxAuditPage))
				return
			}
			limit = n
		}
		entries, err := s.node.AuditLog(r.Context(), actorFrom(r.Context()), after, limit)
		if errors.Is(err, node.ErrNoSuchRecord) {
			writeError(w, r, s.log, badRequest("after", "%s: give the seq of the last record a page returned, or 0 to start from the first", err))
			return
		}
		if err != nil {
			writeError(w, r, s.log, err)
			return
		}
		encode(w, http.StatusOK, entries)
	})
}
