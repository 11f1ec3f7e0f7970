package web

import (
	"net/http"
)

// useReportInput is the body of a use-report question: the item asked
// about, by your id, or none for every item your State gave on the
// request.
type useReportInput struct {
	Item string `json:"item,omitempty"`
}

func (s *Server) askUseReport() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		in, err := decode[useReportInput](w, r)
		if err != nil {
			writeError(w, r, s.log, err)
			return
		}
		rep, err := s.node.AskUseReport(r.Context(), actorFrom(r.Context()), r.PathValue("id"), in.Item)
		if err != nil {
			writeError(w, r, s.log, err)
			return
		}
		encode(w, http.StatusAccepted, rep)
	})
}

func (s *Server) listUseReports() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		list, err := s.node.UseReports(r.Context(), actorFrom(r.Context()), r.PathValue("id"))
		if err != nil {
			writeError(w, r, s.log, err)
			return
		}
		encode(w, http.StatusOK, list)
	})
}

func (s *Server) getUseReport() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rep, err := s.node.UseReport(r.Context(), actorFrom(r.Context()), r.PathValue("id"), r.PathValue("report"))
		if err != nil {
			writeError(w, r, s.log, err)
			return
		}
		encode(w, http.StatusOK, rep)
	})
}
