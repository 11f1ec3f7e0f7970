// Package web serves a node over HTTP: the JSON API under /api/v1, its
// OpenAPI document, and the health check. routes.go lists every route.
package web

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	tusd "github.com/tus/tusd/v2/pkg/handler"
	"golang.org/x/time/rate"

	"entraide/internal/casework"
	"entraide/internal/convention"
	"entraide/internal/identity"
	"entraide/internal/node"
	"entraide/internal/requestid"
	"entraide/internal/store"
	"entraide/internal/ui"
)

// Server serves one node.
type Server struct {
	node    *node.Node
	log     *slog.Logger
	mux     *http.ServeMux
	limits  Limits
	metrics *metrics
	// authFailures counts failed authentications by client address,
	// inboxFailures envelopes that proved nothing, apiCalls calls by
	// token, publicReports calls of the public transparency report by
	// address.
	authFailures, inboxFailures, apiCalls, publicReports *limiterSet
	// peerAddresses are the addresses real peers delivered from lately:
	// their posts are read even when strangers at the same address have
	// spent its budget.
	peerAddresses *recentSet
	inbox         *inboxLimits
	streams       *keyCounter
	// reads counts the bodies being read from each address.
	reads *keyCounter
	// tus speaks the tus protocol of evidence uploads.
	tus *tusd.UnroutedHandler
	// pages is the web UI, whose sessions authorise the routes marked
	// Session; sameOrigin refuses their calls from another origin.
	pages      *ui.UI
	sameOrigin *http.CrossOriginProtection
	// behindTLSProxy: clients reach the node over HTTPS through a proxy
	// that ends TLS.
	behindTLSProxy bool
	// readyLogLag is the most records that may wait for the Merkle log
	// while the node says it is ready.
	readyLogLag int64
	handler     http.Handler
}

// Config is what a server needs besides its node.
type Config struct {
	Limits Limits
	// Demo makes the UI's sign-in page list the node's officials: for
	// the sandbox only, whose officials are made up.
	Demo bool
	// BehindTLSProxy says that clients reach the node over HTTPS through
	// a proxy that ends TLS: the node sends HSTS and marks the UI's
	// cookies Secure though it serves plain HTTP itself.
	BehindTLSProxy bool
	// OIDC, when set, lets officials sign in to the UI with their
	// government's identity provider.
	OIDC *ui.OIDC
	// ReadyLogLag is the most audit records that may wait to be put into
	// the Merkle log while /readyz answers 200 (DefaultReadyLogLag if 0).
	ReadyLogLag int64
}

// DefaultReadyLogLag is the log lag /readyz tolerates by default: the
// integrator takes a batch about every second, so a thousand records
// waiting means it has stopped or cannot keep up.
const DefaultReadyLogLag = 1000

// NewServer returns the HTTP handler of n, with the limits of cfg. It logs
// to log, never with a token or a request body in the record. Its metrics,
// served at /metrics, are in a registry of its own, and count n's
// deliveries and alerts too.
func NewServer(n *node.Node, log *slog.Logger, cfg Config) http.Handler {
	return newServer(n, log, cfg).handler
}

// newServer returns the server NewServer serves with, for the tests to
// look inside.
func newServer(n *node.Node, log *slog.Logger, cfg Config) *Server {
	l := cfg.Limits.withDefaults()
	// Every line logged with a request's context names the request.
	log = slog.New(requestid.Handler(log.Handler()))
	s := &Server{node: n, log: log, mux: http.NewServeMux(), limits: l, metrics: newMetrics(),
		authFailures:  newLimiterSet(perMinute(l.AuthFailures), l.AuthFailures),
		inboxFailures: newLimiterSet(perMinute(l.InboxFailures), l.InboxFailures),
		apiCalls:      newLimiterSet(rate.Limit(l.APIRate), l.APIBurst),
		publicReports: newLimiterSet(perMinute(l.PublicReports), l.PublicReports),
		peerAddresses: newRecentSet(peerAddressMemory),
		streams:       newKeyCounter(l.StreamsPerOfficial),
		reads:         newKeyCounter(l.InboxReadsPerAddress),
		tus:           newTus(n),
		readyLogLag:   cfg.ReadyLogLag,
	}
	if s.readyLogLag <= 0 {
		s.readyLogLag = DefaultReadyLogLag
	}
	s.inbox = newInboxLimits(l, s.metrics)
	n.Observe(s.metrics)
	s.metrics.registry.MustRegister(queueCollector{node: n, log: log})
	// The UI's pages, under /ui/, have a route table and guard of their
	// own: sessions in cookies, not tokens. Failed sign-ins count against
	// the same budget as failed tokens.
	pages, err := ui.New(n, ui.Config{Log: log, Limiter: uiLimiter{s}, ClientAddress: clientAddress, Demo: cfg.Demo, BehindTLSProxy: cfg.BehindTLSProxy, OIDC: cfg.OIDC})
	if err != nil {
		// Its templates are embedded and its OIDC settings checked by
		// whoever configures the server (ui.OIDC.Check): a fault here is
		// the build's or the caller's.
		panic(fmt.Sprintf("web: the UI: %v", err))
	}
	s.pages, s.sameOrigin, s.behindTLSProxy = pages, http.NewCrossOriginProtection(), cfg.BehindTLSProxy
	// methods lists the methods of each path, so that a path called with
	// another method is a 405 that says which are allowed, not a 404.
	methods := map[string][]string{}
	for _, rt := range s.routes() {
		if rt.Method == "POST" && idempotent(rt) {
			rt.Handler = s.idempotent(rt.Handler)
		}
		s.mux.Handle(rt.Method+" "+rt.Path, s.metrics.instrument(rt.Path, s.guard(rt)))
		methods[rt.Path] = append(methods[rt.Path], rt.Method)
	}
	s.mux.Handle(ui.Prefix, s.metrics.instrument("/ui/", pages.Handler()))
	// The transparency report's page is the UI's, public, at the node's
	// root where a reader looks for it, and limited like its JSON.
	s.mux.Handle("GET "+ui.TransparencyPath, s.metrics.instrument(ui.TransparencyPath, s.limitPublicReports(pages.Handler())))
	paths := http.NewServeMux()
	for p := range methods {
		paths.Handle(p, http.NotFoundHandler())
	}
	s.mux.Handle("/", s.metrics.instrument("other", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, p := paths.Handler(r); p != "" {
			allow := strings.Join(methods[p], ", ")
			w.Header().Set("Allow", allow)
			msg := r.Method + " is not allowed on " + r.URL.Path + "; use " + allow
			writeProblem(w, Problem{Type: typeNoMethod, Status: http.StatusMethodNotAllowed, Detail: msg, Errors: []FieldError{{Field: "method", Message: msg}}})
			return
		}
		msg := "no such endpoint: " + r.Method + " " + r.URL.Path + "; see /api/v1/openapi.json"
		writeProblem(w, Problem{Type: typeNotFound, Status: http.StatusNotFound, Detail: msg, Errors: []FieldError{{Field: "path", Message: msg}}})
	})))
	s.handler = s.withRequestID(s.recoverPanics(commonHeaders(s.mux, cfg.BehindTLSProxy)))
	return s
}

// withRequestID gives each request its id: the caller's X-Request-Id if
// it is a sane token (a peer node delivering a message sends its own, so
// that one id finds the message in both nodes' logs), else a new one. The
// id goes in the request's context, where every line logged with it
// carries it, and back in the answer's X-Request-Id. One line logs each
// request: its method, route pattern (never the path or query, which may
// hold ids or a token), status and duration.
func (s *Server) withRequestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := requestid.Of(r.Header.Get(requestid.Header))
		w.Header().Set(requestid.Header, id)
		r = r.WithContext(requestid.With(r.Context(), id))
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		defer func() {
			status := sw.status
			if status == 0 {
				status = http.StatusOK
			}
			route := r.Pattern
			if route == "" {
				route = "other"
			}
			s.log.InfoContext(r.Context(), "request", "method", methodLabel(r.Method), "route", route, "status", status,
				"duration_ms", time.Since(start).Milliseconds())
		}()
		next.ServeHTTP(sw, r)
	})
}

// commonHeaders sets the headers every answer carries: HSTS over TLS, so
// that a browser never falls back to clear text for this node, and
// Cache-Control: no-store on the API's answers, which carry case data that
// no proxy or browser cache may keep. The OpenAPI document and the
// Convention's texts hold no case data and may be cached.
func commonHeaders(next http.Handler, behindTLSProxy bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.TLS != nil || behindTLSProxy {
			w.Header().Set("Strict-Transport-Security", "max-age=31536000")
		}
		if carriesCaseData(r.URL.Path) {
			w.Header().Set("Cache-Control", "no-store")
		}
		next.ServeHTTP(w, r)
	})
}

// carriesCaseData reports whether answers on path may carry case data.
func carriesCaseData(path string) bool {
	if !strings.HasPrefix(path, "/api/v1/") {
		return false
	}
	return path != "/api/v1/openapi.json" && !strings.HasPrefix(path, "/api/v1/convention/")
}

type ctxKey struct{}

// actorFrom returns the authenticated official a handler acts for.
func actorFrom(ctx context.Context) casework.Actor {
	a, _ := ctx.Value(ctxKey{}).(casework.Actor)
	return a
}

// guard authenticates the caller of a route and checks that their role
// holds the route's permission before the handler runs; the node checks
// again, against the request itself. An address that failed to
// authenticate too often is answered 429 before its token is looked up,
// so that guessing tokens costs more than it can win; an official's token
// that calls too fast gets 429 too.
func (s *Server) guard(rt route) http.Handler {
	if rt.Public {
		return rt.Handler
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		addr, now := clientAddress(r), time.Now()
		if blocked, retry := s.authFailures.blocked(addr, now); blocked {
			s.writeRateLimited(w, "auth_failures", "Authorization", "too many failed authentications from "+addr, retry)
			return
		}
		var u identity.User
		var key string
		token, ok := bearerToken(r.Header.Get("Authorization"))
		switch {
		case !ok && rt.Session && ui.HasSessionCookie(r):
			var err error
			if u, key, err = s.sessionOfficial(w, r); err != nil {
				return
			}
		case !ok:
			writeUnauthorized(w)
			return
		default:
			var err error
			u, err = s.node.Authenticate(r.Context(), token)
			if err != nil {
				if errors.Is(err, node.ErrUnauthenticated) {
					s.authFailed(r, addr, now, "token", err)
					writeAuthError(w, err, "Authorization")
					return
				}
				writeError(w, r, s.log, err)
				return
			}
			digest := sha256.Sum256([]byte(token))
			key = string(digest[:])
		}
		if ok, retry := s.apiCalls.allow(key, now); !ok {
			s.writeRateLimited(w, "api", "Authorization", "too many calls with this token", retry)
			return
		}
		if rt.Permission != "" && !u.Role.Can(rt.Permission) {
			// The same problem as the node's own refusal (art. 40(13):
			// each State designates who acts for it).
			msg := "the " + string(u.Role) + " role may not do this (needs " + string(rt.Permission) + ")"
			writeError(w, r, s.log, &casework.Error{Kind: casework.ErrForbidden, Problems: convention.Problems{{Field: "role", Ref: convention.Art(40).Para(13), Message: msg}}})
			return
		}
		if err := knownQuery(rt, r); err != nil {
			writeError(w, r, s.log, err)
			return
		}
		if rt.Home && u.State != s.node.Home() {
			// The node refuses too; the answer is the same.
			msg := u.State + " is hosted on " + s.node.Home() + "'s node: only " + s.node.Home() + "'s officials may do this"
			writeError(w, r, s.log, &casework.Error{Kind: casework.ErrForbidden, Problems: convention.Problems{{Field: "state", Ref: convention.Art(40).Para(13), Message: msg}}})
			return
		}
		rt.Handler.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), ctxKey{}, node.ActorOf(u))))
	})
}

// sessionOfficial returns the official whose UI session authorises a
// call of a Session route from the browser, and the session's key for
// the rate limit; it answers the refusal itself, and returns an error,
// when there is none. The session cookie is HTTP-only and same-site
// strict, so that no script reads it and no other site's page sends it;
// a call that changes something must also come from this node's own
// origin, by the browser's Sec-Fetch-Site or Origin, as the UI's forms
// must.
func (s *Server) sessionOfficial(w http.ResponseWriter, r *http.Request) (identity.User, string, error) {
	if err := s.sameOrigin.Check(r); err != nil {
		msg := "a call with the UI's session must come from the UI's own pages: open the request page of this node and upload or download there, or use an API token"
		writeProblem(w, Problem{Type: typeForbidden, Status: http.StatusForbidden, Detail: msg, Errors: []FieldError{{Field: "Origin", Message: msg}}})
		return identity.User{}, "", err
	}
	u, key, err := s.pages.Official(r)
	if errors.Is(err, ui.ErrNoSession) {
		s.authFailed(r, clientAddress(r), time.Now(), "session", err)
		msg := "the UI session has ended: sign in again at " + ui.Prefix + "signin, then go on with the upload"
		writeProblem(w, Problem{Type: typeUnauthorized, Status: http.StatusUnauthorized, Detail: msg, Errors: []FieldError{{Field: "session", Message: msg}}})
		return u, "", err
	}
	if err != nil {
		writeError(w, r, s.log, err)
		return u, "", err
	}
	return u, "session/" + key, nil
}

// idempotent reports whether rt takes an Idempotency-Key: the API's
// routes do. The federation inbox drops duplicates by message id instead.
func idempotent(rt route) bool {
	// An upload resumes by the tus protocol instead: it asks for the
	// offset, and sends the rest.
	return strings.HasPrefix(rt.Path, "/api/v1/") && rt.Path != "/api/v1/requests/{id}/uploads"
}

// knownQuery refuses query parameters the route does not take, naming
// them: a misspelt filter silently ignored would show the official every
// request instead of the ones they asked for.
func knownQuery(rt route, r *http.Request) error {
	var unknown []string
	for name := range r.URL.Query() {
		if !slices.Contains(rt.Query, name) {
			unknown = append(unknown, name)
		}
	}
	if len(unknown) == 0 {
		return nil
	}
	slices.Sort(unknown)
	takes := "none"
	if len(rt.Query) > 0 {
		takes = strings.Join(rt.Query, ", ")
	}
	b := &badInput{status: http.StatusBadRequest, msg: fmt.Sprintf("unknown query parameter(s) %s; %s %s takes: %s", strings.Join(unknown, ", "), rt.Method, rt.Path, takes)}
	for _, name := range unknown {
		b.fields = append(b.fields, FieldError{Field: name, Message: fmt.Sprintf("unknown query parameter %q; this route takes: %s", name, takes)})
	}
	return b
}

// authFailed counts a credential (kind "token" or "code") that was
// refused: in the metrics always, and among the security events while the
// address is within its budget, so that a flood of guesses writes a
// bounded number of rows. The reason is the refusal's own (token_revoked,
// code_used, ...), or unknown_token for a credential the node does not
// know.
func (s *Server) authFailed(r *http.Request, addr string, now time.Time, kind string, err error) {
	reason := "unknown_token"
	if ae := (*node.AuthError)(nil); errors.As(err, &ae) {
		reason = ae.Reason
	}
	s.metrics.Refused(kind, reason, false)
	if ok, _ := s.authFailures.allow(addr, now); !ok {
		return
	}
	err = s.node.RecordSecurityEvent(r.Context(), store.SecurityEvent{Kind: kind, Reason: reason, Source: addr,
		Detail: r.Method + " " + r.URL.Path})
	if err != nil {
		s.log.ErrorContext(r.Context(), "security event", "err", err)
	}
}

// bearerToken returns the token of an Authorization header of the Bearer
// scheme, whose name is case-insensitive (RFC 9110, section 11.1).
func bearerToken(header string) (string, bool) {
	scheme, token, ok := strings.Cut(header, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	return strings.TrimSpace(token), true
}

// recoverPanics turns a panic in a handler into a 500 problem, so that one
// bad input never takes a node down.
func (s *Server) recoverPanics(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.log.ErrorContext(r.Context(), "panic", "method", r.Method, "path", r.URL.Path, "panic", v)
				writeProblem(w, Problem{Type: typeInternal, Status: http.StatusInternalServerError, Detail: "the node could not complete the request; it has been logged"})
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// route is one endpoint, with what the OpenAPI document says of it.
type route struct {
	Method, Path string
	Summary      string
	Public       bool                // no token needed
	Permission   identity.Permission // "" for any authenticated official
	// Home limits the route to officials of the node's home State: it
	// changes what the node shares with every State it hosts.
	Home bool
	// Session lets the web UI's session cookie authorise the route as
	// well as a token: the request page uploads with tus-js-client and
	// downloads through these routes, so that there is one tus endpoint
	// and one decrypting stream.
	Session  bool
	Body     any      // an example of the request body's type, or nil
	Response any      // an example of the success body's type, or its media type if not JSON
	Status   int      // the success status
	Query    []string // query parameters
	Handler  http.Handler
}

// uiLimiter lets the UI count failed sign-ins in the server's budget of
// failed authentications by address.
type uiLimiter struct{ s *Server }

// Blocked is asked once per sign-in the UI would refuse with a 429, which
// counts it among the refusals by limit, as the API's 429s are.
func (l uiLimiter) Blocked(addr string, now time.Time) (bool, time.Duration) {
	blocked, retry := l.s.authFailures.blocked(addr, now)
	if blocked {
		l.s.metrics.limited.WithLabelValues("auth_failures").Inc()
	}
	return blocked, retry
}

func (l uiLimiter) Failed(addr string, now time.Time) {
	l.s.metrics.Refused("signin", "failed", false)
	l.s.authFailures.allow(addr, now)
}
