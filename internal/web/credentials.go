package web

import (
	"errors"
	"net/http"
	"time"

	"entraide/internal/node"
)

type enrolInput struct {
	Code  string `json:"code"`
	Label string `json:"label,omitempty"` // what the token is for, e.g. "laptop"
}

type enrolResult struct {
	node.Enrolled
	Note string `json:"note"`
}

// enrol redeems an enrolment code. It is public (the code is the
// credential), and a refused code is a 401 like a refused token, counted
// against the same budget of failed authentications of its address, and
// kept as a security event, not in the audit log.
func (s *Server) enrol() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// A code is a credential like a token: wrong ones share the
		// address's budget of failed authentications.
		addr, now := clientAddress(r), time.Now()
		if s.guessesBlocked(w, addr, now, "code") {
			return
		}
		in, err := decode[enrolInput](w, r)
		if err != nil {
			writeError(w, r, s.log, err)
			return
		}
		out, err := s.node.Enrol(r.Context(), in.Code, in.Label)
		if errors.Is(err, node.ErrUnauthenticated) {
			s.authFailed(r, addr, now, "code", err)
			writeAuthError(w, err, "code")
			return
		}
		if err != nil {
			writeError(w, r, s.log, err)
			return
		}
		w.Header().Set("Cache-Control", "no-store")
		encode(w, http.StatusCreated, enrolResult{Enrolled: out, Note: "shown once: the node keeps only its digest; it expires at " + out.Info.ExpiresAt.Format("2006-01-02 15:04 UTC")})
	})
}

// guessesBlocked answers 429, naming field, and reports true when addr
// has spent its budget of failed authentications.
func (s *Server) guessesBlocked(w http.ResponseWriter, addr string, now time.Time, field string) bool {
	blocked, retry := s.authFailures.blocked(addr, now)
	if blocked {
		s.writeRateLimited(w, "auth_failures", field, "too many failed authentications from "+addr, retry)
	}
	return blocked
}

// issueEnrolment issues an enrolment code for an official of the
// administrator's State.
func (s *Server) issueEnrolment() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, err := pathID(r, "id")
		if err != nil {
			writeError(w, r, s.log, err)
			return
		}
		e, err := s.node.IssueEnrolment(r.Context(), actorFrom(r.Context()), id)
		if err != nil {
			writeError(w, r, s.log, err)
			return
		}
		w.Header().Set("Cache-Control", "no-store")
		encode(w, http.StatusCreated, e)
	})
}

// officialInPath returns the official the path names, or "" for a route
// about the caller's own credentials (/me/...).
func officialInPath(r *http.Request) (string, error) {
	if r.PathValue("id") == "" {
		return "", nil
	}
	return pathID(r, "id")
}

// listTokens lists the caller's own tokens when the path names no
// official, and an official's for their administrator.
func (s *Server) listTokens() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		user, err := officialInPath(r)
		if err != nil {
			writeError(w, r, s.log, err)
			return
		}
		tokens, err := s.node.Tokens(r.Context(), actorFrom(r.Context()), user)
		if err != nil {
			writeError(w, r, s.log, err)
			return
		}
		encode(w, http.StatusOK, tokens)
	})
}

// revokeToken revokes one of the caller's own tokens when the path names
// no official, and an official's for their administrator.
func (s *Server) revokeToken() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		user, err := officialInPath(r)
		if err != nil {
			writeError(w, r, s.log, err)
			return
		}
		token, err := pathID(r, "token")
		if err != nil {
			writeError(w, r, s.log, err)
			return
		}
		t, err := s.node.RevokeToken(r.Context(), actorFrom(r.Context()), user, token)
		if err != nil {
			writeError(w, r, s.log, err)
			return
		}
		encode(w, http.StatusOK, t)
	})
}

// setDisabled disables or enables an official of the administrator's
// State.
func (s *Server) setDisabled(disabled bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, err := pathID(r, "id")
		if err != nil {
			writeError(w, r, s.log, err)
			return
		}
		u, err := s.node.SetDisabled(r.Context(), actorFrom(r.Context()), id, disabled)
		if err != nil {
			writeError(w, r, s.log, err)
			return
		}
		encode(w, http.StatusOK, u)
	})
}
