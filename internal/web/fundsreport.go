package web

import (
	"bytes"
	"errors"
	"net/http"
	"slices"
	"strings"

	"entraide/internal/funds/report"
	"entraide/internal/typeset"
)

// traceReport answers the report of a trace as a PDF (arts. 31, 49-52):
// its labels in lang (English by default), its figures as the trace gave
// them, each hop with its evidence item and record.
func (s *Server) traceReport() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		caseID, traceID := r.PathValue("id"), r.PathValue("trace")
		lang := strings.ToLower(r.URL.Query().Get("lang"))
		if lang != "" && !slices.Contains(report.Languages, lang) {
			writeError(w, r, s.log, badRequest("lang", "lang is one of %s, or none for English", strings.Join(report.Languages, ", ")))
			return
		}
		rep, err := s.node.FundsTraceReport(r.Context(), actorFrom(r.Context()), caseID, traceID, lang)
		if err != nil {
			writeError(w, r, s.log, err)
			return
		}
		var pdf bytes.Buffer
		if err := report.Write(&pdf, rep, typeset.Fonts{}); err != nil {
			if errors.Is(err, typeset.ErrNoCJKFont) {
				writeProblem(w, Problem{Type: typeInternal, Status: http.StatusServiceUnavailable, Title: "No font for Chinese script on this node",
					Detail: err.Error() + "; or ask for the report in another language with lang"})
				return
			}
			writeError(w, r, s.log, err)
			return
		}
		h := w.Header()
		h.Set("Content-Type", "application/pdf")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Content-Language", rep.Lang)
		h.Set("Content-Disposition", contentDisposition("trace-"+rep.Trace+"-"+rep.Lang+".pdf"))
		w.WriteHeader(http.StatusOK)
		w.Write(pdf.Bytes())
	})
}
