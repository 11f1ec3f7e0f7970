package web

import (
	"net/http"
	"strconv"
	"time"
)

// The transparency report is public: counts, medians and codes of the
// home State's requests, small counts suppressed (internal/transparency),
// for calendar years that have ended, once the State's administrators
// switched publication on. The node computes it from its database at each
// call, so that each address's calls are limited.

// limitPublicReports answers 429 to an address that called the public
// report too often.
func (s *Server) limitPublicReports(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		addr := clientAddress(r)
		if ok, retry := s.publicReports.allow(addr, time.Now()); !ok {
			s.writeRateLimited(w, "public_reports", "address", "too many calls of the transparency report from "+addr, retry)
			return
		}
		next.ServeHTTP(w, r)
	})
}

func (s *Server) transparencyReport() http.Handler {
	return s.limitPublicReports(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := knownQuery(route{Method: r.Method, Path: r.URL.Path, Query: []string{"year"}}, r); err != nil {
			writeError(w, r, s.log, err)
			return
		}
		year := 0
		if v := r.URL.Query().Get("year"); v != "" {
			var err error
			if year, err = strconv.Atoi(v); err != nil {
				msg := "year is a calendar year that has ended, such as 2025: " + strconv.Quote(v) + " is not a number"
				writeError(w, r, s.log, &badInput{status: http.StatusBadRequest, msg: msg, fields: []FieldError{{Field: "year", Message: msg}}})
				return
			}
		}
		rep, err := s.node.PublishedReport(r.Context(), year)
		if err != nil {
			writeError(w, r, s.log, err)
			return
		}
		// A year that has ended no longer changes.
		w.Header().Set("Cache-Control", "public, max-age=3600")
		encode(w, http.StatusOK, rep)
	}))
}

// publicationInput switches the publication of the report on or off.
type publicationInput struct {
	Published bool `json:"published"`
}

func (s *Server) setPublication() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		in, err := decode[publicationInput](w, r)
		if err != nil {
			writeError(w, r, s.log, err)
			return
		}
		p, err := s.node.SetTransparencyPublication(r.Context(), actorFrom(r.Context()), in.Published)
		if err != nil {
			writeError(w, r, s.log, err)
			return
		}
		encode(w, http.StatusOK, p)
	})
}
