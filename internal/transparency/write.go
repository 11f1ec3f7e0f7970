package transparency

import (
	"encoding/csv"
	"encoding/json"
	"io"
	"strconv"
)

// WriteJSON writes r as indented JSON.
func (r Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// CSVHeader is the first line of a report as CSV.
var CSVHeader = []string{"state", "from", "to", "side", "table", "code", "measure", "value", "suppressed"}

// WriteCSV writes r as CSV, one count or median a line, so that the
// reports of several States and years can be put end to end and read by
// any spreadsheet: state, from, to, side (sent, received), table (total,
// by_kind, by_state, refusals_by_ground, medians, conditions), code (a
// kind, a State, a ground or a measure), measure (a column of the table),
// value (empty when suppressed) and suppressed (its reason, or empty).
// Medians are in seconds, with the number of requests they are taken
// over beside them where it gives away nothing the tables hide.
func (r Report) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(CSVHeader); err != nil {
		return err
	}
	line := func(side, table, code, measure, value, suppressed string) error {
		return cw.Write([]string{r.State, r.From, r.To, side, table, code, measure, value, suppressed})
	}
	cell := func(side, table, code, measure string, c Cell) error {
		if n, ok := c.Value(); ok {
			return line(side, table, code, measure, strconv.Itoa(n), "")
		}
		return line(side, table, code, measure, "", c.Suppressed)
	}
	for _, sd := range []struct {
		name string
		s    Side
	}{{Sent, r.Sent}, {Received, r.Received}} {
		tables := []struct {
			name  string
			lines []Line
		}{{"total", []Line{sd.s.Total}}, {"by_kind", sd.s.ByKind}, {"by_state", sd.s.ByState}}
		for _, t := range tables {
			for _, l := range t.lines {
				for i, c := range l.Cells() {
					if err := cell(sd.name, t.name, l.Code, Columns[i], *c); err != nil {
						return err
					}
				}
			}
		}
		for _, g := range sd.s.Grounds {
			if err := cell(sd.name, "refusals_by_ground", g.Ground, "refusals", g.Refusals); err != nil {
				return err
			}
		}
		for _, m := range sd.s.Medians {
			for _, d := range []struct {
				measure string
				d       Duration
			}{{"to_acknowledge", m.ToAcknowledge}, {"to_answer", m.ToAnswer}} {
				secs, n, ok := d.d.Value()
				var err error
				if ok {
					err = line(sd.name, "medians", m.Kind, d.measure+"_seconds", strconv.FormatInt(int64(secs.Seconds()), 10), "")
					if err == nil && d.d.Hidden != "" {
						err = line(sd.name, "medians", m.Kind, d.measure+"_requests", "", d.d.Hidden)
					} else if err == nil {
						err = line(sd.name, "medians", m.Kind, d.measure+"_requests", strconv.Itoa(n), "")
					}
				} else {
					err = line(sd.name, "medians", m.Kind, d.measure+"_seconds", "", d.d.Suppressed)
					if err == nil {
						err = line(sd.name, "medians", m.Kind, d.measure+"_requests", "", d.d.Suppressed)
					}
				}
				if err != nil {
					return err
				}
			}
		}
		for _, c := range sd.s.Conditions {
			if err := cell(sd.name, "conditions", c.Measure, "requests", c.Requests); err != nil {
				return err
			}
		}
	}
	cw.Flush()
	return cw.Error()
}
