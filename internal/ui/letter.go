package ui

import (
	"bytes"
	"errors"
	"net/http"

	"entraide/internal/letter"
)

// letterPDF answers a request's formal letter (art. 40(14)), as the API
// does: in the language the form asks for, or the first the requested
// State accepts.
func (u *UI) letterPDF() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.PathValue("id")
		l, err := u.node.Letter(r.Context(), actorFrom(r.Context()), id, r.URL.Query().Get("lang"))
		if err != nil {
			u.failErr(w, r, err)
			return
		}
		scheme := "https"
		if r.TLS == nil {
			scheme = "http"
		}
		l.Node = scheme + "://" + r.Host
		var pdf bytes.Buffer
		if err := letter.Write(&pdf, l, letter.Fonts{}); err != nil {
			if errors.Is(err, letter.ErrNoCJKFont) {
				u.fail(w, r, http.StatusServiceUnavailable, tf(r, "letter.nofont", err.Error()))
				return
			}
			u.failErr(w, r, err)
			return
		}
		h := w.Header()
		h.Set("Content-Type", "application/pdf")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Content-Disposition", `inline; filename="request-`+l.Request.ID+`-`+l.Lang+`.pdf"`)
		w.Write(pdf.Bytes())
	})
}
