// Package ui serves the web pages officials use every day: sign-in,
// inbox and outbox, the request page, drafting, the 24/7 console, the
// directory and treaty status. Pages are rendered on the server and read
// without JavaScript; htmx and a small script, embedded, only make them
// livelier. routes.go lists every page.
package ui

import (
	"context"
	"embed"
	"errors"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"entraide/internal/casework"
	"entraide/internal/convention"
	"entraide/internal/identity"
	"entraide/internal/node"
	"entraide/internal/signin"
	"entraide/internal/store"
)

//go:embed templates static
var assets embed.FS

// Prefix is where the UI is mounted.
const Prefix = "/ui/"

// Limiter counts failed sign-ins by client address; the API's limiter of
// failed authentications does, so that guessing a password and guessing a
// token share one budget.
type Limiter interface {
	// Blocked reports whether addr is refused now, and for how long.
	Blocked(addr string, now time.Time) (bool, time.Duration)
	// Failed counts one failure of addr.
	Failed(addr string, now time.Time)
}

// Config is what the UI needs besides its node.
type Config struct {
	Log *slog.Logger
	// Limiter counts failed sign-ins by address; none when nil.
	Limiter Limiter
	// ClientAddress names the client of r for the limiter: an address, or
	// a /64 for IPv6.
	ClientAddress func(r *http.Request) string
	// OIDC, when set, offers sign-in with a government's identity
	// provider beside the password.
	OIDC *OIDC
	// Demo lists the node's officials on the sign-in page, so that a
	// newcomer to the sandbox knows which logins to try. Never on a real
	// node: it tells anyone who may sign in.
	Demo bool
	// BehindTLSProxy says that browsers reach the node over HTTPS through
	// a proxy that ends TLS and passes plain HTTP on: cookies are then
	// marked Secure though the request the UI sees came in clear.
	BehindTLSProxy bool
}

// UI serves the pages of one node.
type UI struct {
	node    *node.Node
	log     *slog.Logger
	cfg     Config
	pages   map[string]map[string]*template.Template // by language, then page
	handler http.Handler
	// ceremonies are the passkey challenges waiting for an answer.
	ceremonies signin.Ceremonies
	// oidc runs sign-in with an identity provider; nil without one.
	oidc *oidcFlow
}

// New returns the UI of n.
func New(n *node.Node, cfg Config) (*UI, error) {
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.ClientAddress == nil {
		cfg.ClientAddress = func(r *http.Request) string { return r.RemoteAddr }
	}
	u := &UI{node: n, log: cfg.Log, cfg: cfg}
	if cfg.OIDC != nil {
		if err := cfg.OIDC.Check(); err != nil {
			return nil, err
		}
		u.oidc = &oidcFlow{cfg: *cfg.OIDC}
	}
	if err := u.parse(); err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	for _, rt := range u.routes() {
		mux.Handle(rt.Method+" "+rt.Path, u.guard(rt))
	}
	mux.Handle("/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u.fail(w, r, http.StatusNotFound, t(r, "err.notfound"))
	}))
	// Cross-origin form posts are refused by the browser's own Fetch
	// metadata (Sec-Fetch-Site) or Origin: no token to forget in a form.
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u.fail(w, r, http.StatusForbidden, t(r, "err.badform"))
	}))
	u.handler = securityHeaders(withLocale(cop.Handler(mux)))
	return u, nil
}

// Handler returns the UI's handler, for paths under Prefix.
func (u *UI) Handler() http.Handler { return u.handler }

// csp allows scripts, styles and connections to this node only, images
// from it and data: URIs (the QR code of enrolment), forms posted to it
// only, and no framing.
const csp = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
	"form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// securityHeaders sets the headers of every page: a strict Content
// Security Policy (no inline script or style), no framing, no referrer
// beyond this node (a request's id in a URL is case data), no MIME
// sniffing, and no caching of pages that carry case data.
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", csp)
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		if !strings.HasPrefix(r.URL.Path, Prefix+"static/") {
			h.Set("Cache-Control", "no-store")
		}
		next.ServeHTTP(w, r)
	})
}

type ctxKey struct{}

// viewer is the signed-in official a page is rendered for.
type viewer struct {
	User    identity.User
	Session string // the session's digest
}

func viewerFrom(ctx context.Context) (viewer, bool) {
	v, ok := ctx.Value(ctxKey{}).(viewer)
	return v, ok
}

func actorFrom(ctx context.Context) casework.Actor {
	v, _ := viewerFrom(ctx)
	return node.ActorOf(v.User)
}

// guard lets a page's route run for the official its session belongs to,
// when their role holds the route's permission. Without a session the
// browser is sent to sign in, and back to the page after.
func (u *UI) guard(rt route) http.Handler {
	if rt.Public {
		return rt.Handler
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v, err := u.session(r)
		if err != nil {
			if !errors.Is(err, errNoSession) {
				u.log.ErrorContext(r.Context(), "session", "err", err)
			}
			next := ""
			if r.Method == http.MethodGet {
				next = "?next=" + url.QueryEscape(r.URL.RequestURI())
			}
			http.Redirect(w, r, Prefix+"signin"+next, http.StatusSeeOther)
			return
		}
		if rt.Permission != "" && !v.User.Role.Can(rt.Permission) {
			u.fail(w, r.WithContext(context.WithValue(r.Context(), ctxKey{}, v)), http.StatusForbidden, t(r, "err.forbidden"))
			return
		}
		rt.Handler.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), ctxKey{}, v)))
	})
}

// fail renders an error page with status and msg.
func (u *UI) fail(w http.ResponseWriter, r *http.Request, status int, msg string) {
	u.render(w, r, status, "error", map[string]any{"Message": msg})
}

// failErr renders err: a refusal or a missing record as the node says it,
// anything else as an internal error, logged.
func (u *UI) failErr(w http.ResponseWriter, r *http.Request, err error) {
	switch {
	case errors.Is(err, store.ErrNotFound), errors.Is(err, casework.ErrNotFound):
		u.fail(w, r, http.StatusNotFound, t(r, "err.notfound"))
	case errors.Is(err, casework.ErrForbidden):
		u.render(w, r, http.StatusForbidden, "error", map[string]any{"Message": t(r, "err.forbidden"), "Problems": problemsOf(err)})
	default:
		if ps := problemsOf(err); len(ps) > 0 {
			u.render(w, r, http.StatusUnprocessableEntity, "error", map[string]any{"Message": t(r, "act.errors"), "Problems": ps})
			return
		}
		u.log.ErrorContext(r.Context(), "ui", "method", r.Method, "path", r.URL.Path, "err", err)
		u.fail(w, r, http.StatusInternalServerError, t(r, "err.internal"))
	}
}

// problemsOf returns the problems err carries, each naming its field and
// article, or none.
func problemsOf(err error) convention.Problems {
	var ce *casework.Error
	if errors.As(err, &ce) {
		return ce.Problems
	}
	var ps convention.Problems
	if errors.As(err, &ps) {
		return ps
	}
	return nil
}

// static serves the embedded assets; their names change with their
// version, so they may be cached.
func static() http.Handler {
	sub, _ := fs.Sub(assets, "static")
	files := http.StripPrefix(Prefix+"static/", http.FileServerFS(sub))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=86400")
		files.ServeHTTP(w, r)
	})
}
