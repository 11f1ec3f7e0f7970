package web

import (
	"bytes"
	"errors"
	"net/http"
	"slices"
	"strings"

	"entraide/internal/letter"
)

// requestLetter answers the formal letter of a request as a PDF (art.
// 40(14)): its labels in lang, or in the first language the requested
// State accepts, its values as the requesting official wrote them, and
// the place of its audit record in the node's log.
func (s *Server) requestLetter() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, err := pathID(r, "id")
		if err != nil {
			writeError(w, r, s.log, err)
			return
		}
		lang := strings.ToLower(r.URL.Query().Get("lang"))
		if lang != "" && !slices.Contains(letter.Languages, lang) {
			writeError(w, r, s.log, badRequest("lang", "lang is one of %s, or none for the first the requested State accepts", strings.Join(letter.Languages, ", ")))
			return
		}
		l, err := s.node.Letter(r.Context(), actorFrom(r.Context()), id, lang)
		if err != nil {
			writeError(w, r, s.log, err)
			return
		}
		l.Node = nodeURL(r)
		var pdf bytes.Buffer
		if err := letter.Write(&pdf, l, letter.Fonts{}); err != nil {
			if errors.Is(err, letter.ErrNoCJKFont) {
				writeProblem(w, Problem{Type: typeInternal, Status: http.StatusServiceUnavailable, Title: "No font for Chinese script on this node",
					Detail: err.Error() + "; or ask for the letter in another language with lang"})
				return
			}
			writeError(w, r, s.log, err)
			return
		}
		h := w.Header()
		h.Set("Content-Type", "application/pdf")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Content-Language", l.Lang)
		h.Set("Content-Disposition", contentDisposition("request-"+id+"-"+l.Lang+".pdf"))
		w.WriteHeader(http.StatusOK)
		w.Write(pdf.Bytes())
	})
}

// nodeURL is the address at which r reached the node, for a letter to
// say where its record is checked.
func nodeURL(r *http.Request) string {
	scheme := "https"
	if r.TLS == nil {
		scheme = "http"
	}
	return scheme + "://" + r.Host
}
