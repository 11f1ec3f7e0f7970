package ui

import (
	"net/http"
	"time"

	"entraide/internal/convention"
	"entraide/internal/store"
)

// The statistics page draws its charts on the server, as SVG, as the
// treaty status does: they need no script. Each chart has its table
// beside it, which a screen reader reads instead.

// Geometry of a bar chart, in SVG units: each row's label on a line of
// its own, however long, its bars below it, and each value at the end of
// its bar.
const (
	chartBarsWidth  = 480
	chartLabelLine  = 18
	chartBarHeight  = 14
	chartGap        = 10
	chartValueSpace = 80
)

// barChart is a chart of rows of bars, one bar per series in each row.
type barChart struct {
	ID     string
	Title  string
	Series []string // the name of each series, for the legend
	Rows   []barRow
	Width  int
	Height int
}

type barRow struct {
	Label  string
	LabelY int
	Bars   []bar
}

type bar struct {
	Series       int // which series: its class, for its colour
	Y, Width     int
	TextX, TextY int
	Text         string
}

// chartRow is one row of a chart before it is drawn: its label and a
// value per series, with the text each value is shown as.
type chartRow struct {
	Label  string
	Values []float64
	Texts  []string
}

// newBarChart lays out rows, scaling every bar to the longest.
func newBarChart(id, title string, series []string, rows []chartRow) barChart {
	longest := 0.0
	for _, r := range rows {
		for _, v := range r.Values {
			longest = max(longest, v)
		}
	}
	c := barChart{ID: id, Title: title, Series: series, Width: chartBarsWidth + chartValueSpace}
	y := 0
	for _, r := range rows {
		row := barRow{Label: r.Label, LabelY: y + chartLabelLine - 5}
		y += chartLabelLine
		for i, v := range r.Values {
			w := 0
			if longest > 0 {
				w = int(v / longest * chartBarsWidth)
			}
			row.Bars = append(row.Bars, bar{Series: i, Y: y, Width: w, TextX: w + 4, TextY: y + chartBarHeight - 3, Text: r.Texts[i]})
			y += chartBarHeight
		}
		c.Rows = append(c.Rows, row)
		y += chartGap
	}
	c.Height = y
	return c
}

// span shows a duration to the minute, in the viewer's words.
func span(r *http.Request, d time.Duration) string {
	switch {
	case d >= 24*time.Hour:
		return tf(r, "stats.span.dh", int(d/(24*time.Hour)), int(d%(24*time.Hour)/time.Hour))
	case d >= time.Hour:
		return tf(r, "stats.span.hm", int(d/time.Hour), int(d%time.Hour/time.Minute))
	case d >= time.Minute:
		return tf(r, "stats.span.m", int(d/time.Minute))
	}
	return tf(r, "stats.span.s", int(d/time.Second))
}

// countRows are the rows of a chart of sent and received requests.
func countRows(counts []store.Count, label func(string) string) []chartRow {
	var rows []chartRow
	for _, c := range counts {
		rows = append(rows, chartRow{Label: label(c.Key), Values: []float64{float64(c.Sent), float64(c.Received)},
			Texts: []string{itoa(c.Sent), itoa(c.Received)}})
	}
	return rows
}

// medianView is a median of the page's tables, with its duration in words.
type medianView struct {
	store.Median
	Title, AckText, AnswerText string
}

func (u *UI) statisticsPage() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		by := actorFrom(r.Context())
		s, err := u.node.DB().Statistics(r.Context(), by.State, u.node.Now())
		if err != nil {
			u.failErr(w, r, err)
			return
		}
		l := localeOf(r.Context())
		kindTitle := func(k string) string { return l.kindName(convention.Kind(k)) }
		sides := []string{sideName(r, store.SideSent), sideName(r, store.SideReceived)}
		data := map[string]any{"Title": t(r, "stats.title"), "S": s,
			"KindChart":  newBarChart("chart-kind", t(r, "stats.bykind"), sides, countRows(s.ByKind, kindTitle)),
			"StateChart": newBarChart("chart-state", t(r, "stats.bystate"), sides, countRows(s.ByState, l.stateName)),
		}
		// The medians in two charts: how fast this State answers what it
		// receives, and how fast the others answer what it sends.
		var charts []barChart
		var medians []medianView
		for _, side := range []string{store.SideReceived, store.SideSent} {
			var rows []chartRow
			for _, m := range s.Medians {
				if m.Side != side {
					continue
				}
				v := medianView{Median: m, Title: kindTitle(m.Kind), AckText: "—", AnswerText: "—"}
				if m.AckN > 0 {
					v.AckText = span(r, m.Ack)
				}
				if m.AnswerN > 0 {
					v.AnswerText = span(r, m.Answer)
				}
				medians = append(medians, v)
				rows = append(rows, chartRow{Label: v.Title, Values: []float64{m.Ack.Hours(), m.Answer.Hours()}, Texts: []string{v.AckText, v.AnswerText}})
			}
			if len(rows) > 0 {
				title := t(r, "stats.median.received")
				if side == store.SideSent {
					title = t(r, "stats.median.sent")
				}
				charts = append(charts, newBarChart("chart-median-"+side, title, []string{t(r, "stats.toack"), t(r, "stats.toanswer")}, rows))
			}
		}
		data["MedianCharts"], data["Medians"] = charts, medians
		var rows []chartRow
		for _, d := range s.Deadlines {
			rows = append(rows, chartRow{Label: sideName(r, d.Side), Values: []float64{float64(d.Met), float64(d.Missed), float64(d.Running)},
				Texts: []string{itoa(d.Met), itoa(d.Missed), itoa(d.Running)}})
		}
		data["DeadlineChart"] = newBarChart("chart-deadlines", t(r, "stats.deadlines"), []string{t(r, "stats.met"), t(r, "stats.missed"), t(r, "stats.running")}, rows)
		u.render(w, r, http.StatusOK, "statistics", data)
	})
}

// sideName names a side of the statistics in the viewer's words.
func sideName(r *http.Request, side string) string {
	if side == store.SideSent {
		return t(r, "stats.sent")
	}
	return t(r, "stats.received")
}
