package web

import (
	"net/http"

	"entraide/internal/casework"
	"entraide/internal/convention"
)

// flagInput flags a State for screening.
type flagInput struct {
	State  string `json:"state"`
	Reason string `json:"reason"`
}

func (s *Server) screenRequest() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, err := pathID(r, "id")
		if err != nil {
			writeError(w, r, s.log, err)
			return
		}
		in, err := decode[convention.Screening](w, r)
		if err != nil {
			writeError(w, r, s.log, err)
			return
		}
		out, err := s.node.Screen(r.Context(), actorFrom(r.Context()), id, in)
		if err != nil {
			writeError(w, r, s.log, err)
			return
		}
		encode(w, http.StatusCreated, out)
	})
}

func (s *Server) listScreenings() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, err := pathID(r, "id")
		if err != nil {
			writeError(w, r, s.log, err)
			return
		}
		out, err := s.node.Screenings(r.Context(), actorFrom(r.Context()), id)
		if err != nil {
			writeError(w, r, s.log, err)
			return
		}
		encode(w, http.StatusOK, out)
	})
}

func (s *Server) listFlags() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		out, err := s.node.Flags(r.Context(), actorFrom(r.Context()))
		if err != nil {
			writeError(w, r, s.log, err)
			return
		}
		encode(w, http.StatusOK, out)
	})
}

func (s *Server) flagState() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		in, err := decode[flagInput](w, r)
		if err != nil {
			writeError(w, r, s.log, err)
			return
		}
		out, err := s.node.Flag(r.Context(), actorFrom(r.Context()), in.State, in.Reason)
		if err != nil {
			writeError(w, r, s.log, err)
			return
		}
		encode(w, http.StatusOK, out)
	})
}

func (s *Server) unflagState() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		code, err := pathID(r, "state")
		if err != nil {
			writeError(w, r, s.log, err)
			return
		}
		out, err := s.node.Unflag(r.Context(), actorFrom(r.Context()), code)
		if err != nil {
			writeError(w, r, s.log, err)
			return
		}
		encode(w, http.StatusOK, out)
	})
}

// screeningOf is what a request's view says of its screening: only the
// requested State's view has one.
func screeningOf(req *casework.Request) (*casework.Screening, bool) {
	if req == nil {
		return nil, false
	}
	return req.Screening, casework.ScreeningPending(req)
}
