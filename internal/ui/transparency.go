package ui

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"time"

	"entraide/internal/convention"
	"entraide/internal/node"
	"entraide/internal/transparency"
)

// TransparencyPath is where the public transparency report's page is: at
// the node's root, not under Prefix, as no one signs in to read it.
const TransparencyPath = "/transparency"

// The transparency page shows what GET /api/v1/transparency does, in the
// reader's language: no one signs in to read it, so that its language is
// chosen by ?lang= or the browser, not by the UI's cookie.

// cellText is a count of the report as the page shows it.
type cellText struct {
	Text   string
	Hidden bool
}

type lineText struct {
	Label string
	Cells []cellText
}

type medianText struct {
	Label                      string
	Ack, AckN, Answer, AnswerN string
}

type sideText struct {
	ID, Title  string
	Total      lineText
	ByKind     []lineText
	ByState    []lineText
	Grounds    []lineText
	Medians    []medianText
	Conditions []lineText
	Chart      barChart
}

func (u *UI) transparencyPage() http.Handler {
	c := mustCatalogue()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if l, ok := c.byCode[r.URL.Query().Get("lang")]; ok {
			w.Header().Set("Content-Language", l.Code)
			r = r.WithContext(context.WithValue(r.Context(), langKey{}, l))
		}
		year := 0
		if v := r.URL.Query().Get("year"); v != "" {
			var err error
			if year, err = strconv.Atoi(v); err != nil {
				year = -1 // refused by the node, in words
			}
		}
		rep, err := u.node.PublishedReport(r.Context(), year)
		if errors.Is(err, node.ErrNotPublished) {
			u.render(w, r, http.StatusNotFound, "transparency", map[string]any{"Title": t(r, "transp.title"), "Public": true, "Unpublished": true,
				"State": u.node.Home(), "LangLinks": langLinks(r, 0)})
			return
		}
		if err != nil {
			u.failErr(w, r, err)
			return
		}
		l := localeOf(r.Context())
		data := map[string]any{"Title": t(r, "transp.title"), "Public": true, "R": rep, "State": rep.State,
			"Columns": columnTitles(r), "LangLinks": langLinks(r, year)}
		from, _ := time.Parse(time.DateOnly, rep.From)
		var years []int
		for y := from.Year(); y > from.Year()-5 && y >= 2000; y-- {
			years = append(years, y)
		}
		data["Year"], data["Years"] = from.Year(), years
		var sides []sideText
		for _, sd := range []struct {
			id string
			s  transparency.Side
		}{{transparency.Sent, rep.Sent}, {transparency.Received, rep.Received}} {
			st := sideText{ID: sd.id, Title: t(r, "transp.side."+sd.id), Total: lineOf(r, t(r, "transp.total"), sd.s.Total)}
			for _, ln := range sd.s.ByKind {
				st.ByKind = append(st.ByKind, lineOf(r, codeName(r, ln.Code, func(c string) string { return l.kindName(convention.Kind(c)) }), ln))
			}
			for _, ln := range sd.s.ByState {
				st.ByState = append(st.ByState, lineOf(r, codeName(r, ln.Code, l.stateName), ln))
			}
			for _, g := range sd.s.Grounds {
				st.Grounds = append(st.Grounds, lineText{Label: codeName(r, g.Ground, func(c string) string { return l.groundName(convention.Ground(c)) }),
					Cells: []cellText{cellOf(r, g.Refusals)}})
			}
			for _, m := range sd.s.Medians {
				mt := medianText{Label: l.kindName(convention.Kind(m.Kind))}
				mt.Ack, mt.AckN = medianOf(r, m.ToAcknowledge)
				mt.Answer, mt.AnswerN = medianOf(r, m.ToAnswer)
				st.Medians = append(st.Medians, mt)
			}
			for _, c := range sd.s.Conditions {
				st.Conditions = append(st.Conditions, lineText{Label: t(r, "transp.cond."+c.Measure), Cells: []cellText{cellOf(r, c.Requests)}})
			}
			// The chart draws the shown totals by kind; a hidden one is a
			// bar of nothing, labelled as the table says.
			var rows []chartRow
			for i, ln := range sd.s.ByKind {
				n, _ := ln.Total.Value()
				rows = append(rows, chartRow{Label: st.ByKind[i].Label, Values: []float64{float64(n)}, Texts: []string{st.ByKind[i].Cells[0].Text}})
			}
			st.Chart = newBarChart("chart-"+sd.id, tf(r, "transp.chart", st.Title), []string{t(r, "transp.col.total")}, rows)
			sides = append(sides, st)
		}
		data["Sides"] = sides
		u.render(w, r, http.StatusOK, "transparency", data)
	})
}

// codeName names a code of the report, or says that it stands for codes
// the report does not know.
func codeName(r *http.Request, code string, name func(string) string) string {
	if code == transparency.Other {
		return t(r, "transp.other")
	}
	return name(code)
}

func columnTitles(r *http.Request) []string {
	out := make([]string, len(transparency.Columns))
	for i, c := range transparency.Columns {
		out[i] = t(r, "transp.col."+c)
	}
	return out
}

func lineOf(r *http.Request, label string, l transparency.Line) lineText {
	lt := lineText{Label: label}
	for _, c := range l.Cells() {
		lt.Cells = append(lt.Cells, cellOf(r, *c))
	}
	return lt
}

func cellOf(r *http.Request, c transparency.Cell) cellText {
	if n, ok := c.Value(); ok {
		return cellText{Text: itoa(n)}
	}
	if c.Suppressed == transparency.Small {
		return cellText{Text: t(r, "transp.small"), Hidden: true}
	}
	return cellText{Text: t(r, "transp.hidden"), Hidden: true}
}

func medianOf(r *http.Request, d transparency.Duration) (string, string) {
	if v, n, ok := d.Value(); ok {
		if d.Hidden != "" {
			return span(r, v), t(r, "transp.hidden")
		}
		return span(r, v), itoa(n)
	}
	return t(r, "transp.small"), t(r, "transp.small")
}

// langLink is a link to the page in another language.
type langLink struct {
	Code, Name, Dir, Href string
	Current               bool
}

func langLinks(r *http.Request, year int) []langLink {
	cur := localeOf(r.Context())
	var out []langLink
	for _, l := range mustCatalogue().locales {
		href := TransparencyPath + "?lang=" + l.Code
		if year > 0 {
			href += "&year=" + itoa(year)
		}
		out = append(out, langLink{Code: l.Code, Name: l.Name, Dir: l.Dir, Href: href, Current: l.Code == cur.Code})
	}
	return out
}
