package web

import (
	"net/http"

	"entraide/internal/evidence"
)

// policyInput sets a State's retention period for evidence that carries
// personal data.
type policyInput struct {
	// PersonalDataDays is the period in days, from 1 to 36525; 0 for
	// none.
	PersonalDataDays int `json:"personal_data_days"`
}

func (s *Server) retentionPolicy() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, err := s.node.RetentionPolicy(r.Context(), actorFrom(r.Context()))
		if err != nil {
			writeError(w, r, s.log, err)
			return
		}
		encode(w, http.StatusOK, p)
	})
}

func (s *Server) setRetentionPolicy() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		in, err := decode[policyInput](w, r)
		if err != nil {
			writeError(w, r, s.log, err)
			return
		}
		res, err := s.node.SetRetentionPolicy(r.Context(), actorFrom(r.Context()), in.PersonalDataDays)
		if err != nil {
			writeError(w, r, s.log, err)
			return
		}
		encode(w, http.StatusOK, res)
	})
}

func (s *Server) expiringEvidence() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		within := "30d"
		if v := r.URL.Query().Get("within"); v != "" {
			within = v
		}
		d, err := evidence.ParseWithin(within)
		if err != nil {
			writeError(w, r, s.log, badRequest("within", "%s", err.(*evidence.FieldError).Message))
			return
		}
		rep, err := s.node.ExpiringEvidence(r.Context(), actorFrom(r.Context()), d)
		if err != nil {
			writeError(w, r, s.log, err)
			return
		}
		encode(w, http.StatusOK, rep)
	})
}

// revealInput says why an official reveals a request's personal data.
type revealInput struct {
	Reason string `json:"reason"`
}

func (s *Server) revealPersonalData() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		in, err := decode[revealInput](w, r)
		if err != nil {
			writeError(w, r, s.log, err)
			return
		}
		rv, err := s.node.RevealPersonalData(r.Context(), actorFrom(r.Context()), r.PathValue("id"), in.Reason)
		if err != nil {
			writeError(w, r, s.log, err)
			return
		}
		encode(w, http.StatusCreated, rv)
	})
}
