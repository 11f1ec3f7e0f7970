package transparency

import (
	"cmp"
	"encoding/json"
	"slices"
	"time"

	"entraide/internal/convention"
	"entraide/internal/directory"
)

// Threshold is the smallest count a report shows: a count from 1 to
// Threshold-1 is shown as "fewer than Threshold", and a median over fewer
// than Threshold requests is not shown.
const Threshold = 5

// Why a cell is not shown.
const (
	// Small: the count is from 1 to Threshold-1, or is in a row whose
	// total is.
	Small = "fewer_than_5"
	// Complementary: the count is not small, but shown it would give away
	// a small one, by subtraction from a total.
	Complementary = "complementary"
)

// Cell is one count of a report, shown or suppressed.
type Cell struct {
	n          int
	Suppressed string // "", Small or Complementary
}

// Value returns the count and true, or 0 and false when it is suppressed.
func (c Cell) Value() (int, bool) {
	if c.Suppressed != "" {
		return 0, false
	}
	return c.n, true
}

// MarshalJSON writes a shown count as {"value": 7} and a suppressed one as
// {"value": null, "suppressed": true, "reason": "fewer_than_5"}: every
// cell has the same shape, so that a reader needs no special case, and
// the reason says whether the true count is small.
func (c Cell) MarshalJSON() ([]byte, error) {
	if c.Suppressed == "" {
		return json.Marshal(struct {
			Value int `json:"value"`
		}{c.n})
	}
	return json.Marshal(struct {
		Value      *int   `json:"value"`
		Suppressed bool   `json:"suppressed"`
		Reason     string `json:"reason"`
	}{nil, true, c.Suppressed})
}

// Line is the counts of one row of a report: a kind of request, another
// State, or the side's total.
type Line struct {
	Code              string `json:"code"`
	Total             Cell   `json:"total"`
	Executed          Cell   `json:"executed"`
	PartiallyExecuted Cell   `json:"partially_executed"`
	Refused           Cell   `json:"refused"`
	Withdrawn         Cell   `json:"withdrawn"`
	Pending           Cell   `json:"pending"`
	Postponed         Cell   `json:"postponed"`
}

// Columns names the columns of a Line, in the report's order.
var Columns = []string{"total", "executed", "partially_executed", "refused", "withdrawn", "pending", "postponed"}

// Cells returns the cells of l in the order of Columns.
func (l *Line) Cells() []*Cell {
	return []*Cell{&l.Total, &l.Executed, &l.PartiallyExecuted, &l.Refused, &l.Withdrawn, &l.Pending, &l.Postponed}
}

// outcomes are the cells that add up to Total.
func (l *Line) outcomes() []*Cell {
	return []*Cell{&l.Total, &l.Executed, &l.PartiallyExecuted, &l.Refused, &l.Withdrawn, &l.Pending}
}

// Duration is a median time, shown or suppressed.
type Duration struct {
	d          time.Duration
	n          int
	Suppressed string
	// Hidden says why the number of requests the median is taken over
	// is not shown while the median is: Complementary, for it would
	// give away a count the tables hide.
	Hidden string
}

// Value returns the median and the number of requests it is taken over
// (0 when Hidden says it is not shown), and true, or false when the
// median is suppressed.
func (m Duration) Value() (time.Duration, int, bool) {
	if m.Suppressed != "" {
		return 0, 0, false
	}
	if m.Hidden != "" {
		return m.d, 0, true
	}
	return m.d, m.n, true
}

// MarshalJSON writes a median as {"seconds": 3600, "requests": 7}
// ({"seconds": 3600, "requests": null} when the count is Hidden), or
// {"seconds": null, "requests": null, "suppressed": true, "reason":
// "fewer_than_5"} when it is taken over fewer than Threshold requests.
func (m Duration) MarshalJSON() ([]byte, error) {
	if m.Suppressed == "" {
		var n *int
		if m.Hidden == "" {
			n = &m.n
		}
		return json.Marshal(struct {
			Seconds  int64 `json:"seconds"`
			Requests *int  `json:"requests"`
		}{int64(m.d / time.Second), n})
	}
	return json.Marshal(struct {
		Seconds    *int64 `json:"seconds"`
		Requests   *int   `json:"requests"`
		Suppressed bool   `json:"suppressed"`
		Reason     string `json:"reason"`
	}{nil, nil, true, m.Suppressed})
}

// MedianLine is the median times of one kind of request.
type MedianLine struct {
	Kind          string   `json:"kind"`
	ToAcknowledge Duration `json:"to_acknowledge"`
	ToAnswer      Duration `json:"to_answer"`
}

// GroundLine is how many refusals cited one ground.
type GroundLine struct {
	Ground   string `json:"ground"`
	Refusals Cell   `json:"refusals"`
}

// ConditionLine is how many requests carried conditions, by measure.
type ConditionLine struct {
	Measure  string `json:"measure"`
	Requests Cell   `json:"requests"`
}

// Side is the report of the requests a State sent, or of those it
// received.
type Side struct {
	Total      Line            `json:"total"`
	ByKind     []Line          `json:"by_kind"`
	ByState    []Line          `json:"by_state"`
	Grounds    []GroundLine    `json:"refusals_by_ground"`
	Medians    []MedianLine    `json:"medians"`
	Conditions []ConditionLine `json:"conditions"`
}

// Report is the transparency report of one State for one period, as it
// may be published: codes, suppressed counts and medians only.
type Report struct {
	State string `json:"state"`
	// From and To are the first and last days of the period, YYYY-MM-DD.
	From string `json:"from"`
	To   string `json:"to"`
	// Threshold is the smallest count shown.
	Threshold int  `json:"suppression_threshold"`
	Sent      Side `json:"sent"`
	Received  Side `json:"received"`
}

// Publish makes the report of f: rows under codes only, small counts
// suppressed, and enough other counts suppressed that none of them can be
// worked out from what is shown.
//
// Suppression. A count from 1 to Threshold-1 is suppressed, and so is
// every count of a row whose total is (a zero beside a small total tells
// what the others are). Then, in every set of counts that add up (a
// row's outcomes to its total; a column's rows to the side's total, by
// kind and by State, which share that total), a lone suppressed count
// could be worked out by subtraction: a second one is suppressed, the
// smallest non-zero count of the set, until no set has exactly one (but
// those that add up to zero, which hold only zeros whatever is hidden).
// Rounding the totals instead would leave every other count exact and
// the suppressed one within a few units of the truth; suppressing a
// second count leaves it unknown. The counts of refusals by ground need
// no second suppression: a refusal may cite several grounds, so that
// they add up to nothing published.
func Publish(f Figures) Report {
	r := Report{State: f.State, From: f.From.Format(time.DateOnly), To: f.To.Format(time.DateOnly), Threshold: Threshold}
	for _, side := range []string{Sent, Received} {
		s := r.side(side)
		s.ByKind = lines(f.ByKind, side, knownKind)
		s.ByState = lines(f.ByState, side, knownState)
		s.Total = Line{Code: "total"}
		for _, l := range s.ByKind {
			add(&s.Total, l)
		}
		suppress(s)
		s.Grounds = groundLines(f.Grounds, side)
		s.Medians = medianLines(f.Medians, side)
		s.Conditions = conditionLines(f.Conditions, side)
		besideTables(s)
	}
	return r
}

func (r *Report) side(side string) *Side {
	if side == Sent {
		return &r.Sent
	}
	return &r.Received
}

// knownKind returns k if the Convention names it, else Other.
func knownKind(k string) string {
	if _, ok := convention.Lookup(convention.Kind(k)); ok {
		return k
	}
	return Other
}

// knownState returns the directory's code of a participant, else Other.
func knownState(code string) string {
	if p, ok := directory.LookupParticipant(code); ok && len(code) == 3 {
		return p.Code
	}
	return Other
}

// knownGround returns g if the Convention names it, else Other.
func knownGround(g string) string {
	if _, ok := convention.LookupGround(convention.Ground(g)); ok {
		return g
	}
	return Other
}

// lines turns the rows of side into lines under known codes, merging
// rows whose codes are unknown under Other, which comes last.
func lines(rows []Row, side string, known func(string) string) []Line {
	by := map[string]*Line{}
	for _, row := range rows {
		if row.Side != side {
			continue
		}
		code := known(row.Key)
		l, ok := by[code]
		if !ok {
			l = &Line{Code: code}
			by[code] = l
		}
		c := row.Counts
		for i, v := range []int{c.Total, c.Executed, c.PartiallyExecuted, c.Refused, c.Withdrawn, c.Pending, c.Postponed} {
			l.Cells()[i].n += v
		}
	}
	out := make([]Line, 0, len(by))
	for _, l := range by {
		out = append(out, *l)
	}
	slices.SortFunc(out, func(a, b Line) int { return cmp.Or(cmpOther(a.Code, b.Code), cmp.Compare(a.Code, b.Code)) })
	return out
}

// cmpOther orders Other after every code.
func cmpOther(a, b string) int {
	switch {
	case a == b:
		return 0
	case a == Other:
		return 1
	case b == Other:
		return -1
	}
	return 0
}

func add(total *Line, l Line) {
	for i, c := range l.Cells() {
		total.Cells()[i].n += c.n
	}
}

// suppress suppresses the small counts of s, then the complementary ones.
func suppress(s *Side) {
	all := append(append([]*Line{&s.Total}, ptrs(s.ByKind)...), ptrs(s.ByState)...)
	for _, l := range all {
		small := l.Total.n > 0 && l.Total.n < Threshold
		for _, c := range l.Cells() {
			if small || (c.n > 0 && c.n < Threshold) {
				c.Suppressed = Small
			}
		}
	}
	// The sets of counts that add up: each row's outcomes to its total,
	// and each column's rows to the side's total, by kind and by State.
	var sums [][]*Cell
	for _, l := range all {
		sums = append(sums, l.outcomes())
	}
	for i := range Columns {
		for _, table := range [][]Line{s.ByKind, s.ByState} {
			set := []*Cell{s.Total.Cells()[i]}
			for j := range table {
				set = append(set, table[j].Cells()[i])
			}
			sums = append(sums, set)
		}
	}
	for changed := true; changed; {
		changed = false
		for _, set := range sums {
			// A set whose counts add up to zero holds only zeros, which
			// its shown total of zero tells whatever is hidden.
			if countHidden(set) == 1 && sum(set) > 0 {
				if c := smallestShown(set); c != nil {
					c.Suppressed = Complementary
					changed = true
				}
			}
		}
	}
}

func ptrs(ls []Line) []*Line {
	out := make([]*Line, len(ls))
	for i := range ls {
		out[i] = &ls[i]
	}
	return out
}

func sum(set []*Cell) int {
	n := 0
	for _, c := range set {
		n += c.n
	}
	return n
}

func countHidden(set []*Cell) int {
	n := 0
	for _, c := range set {
		if c.Suppressed != "" {
			n++
		}
	}
	return n
}

// smallestShown returns the smallest shown count of set, preferring one
// that is not zero: a zero suppressed beside a small count would hide
// nothing of it. It returns nil when every count is suppressed.
func smallestShown(set []*Cell) *Cell {
	var best *Cell
	for _, c := range set {
		if c.Suppressed != "" {
			continue
		}
		if best == nil || (best.n == 0 && c.n > 0) || (c.n > 0 && c.n < best.n) {
			best = c
		}
	}
	return best
}

func small(n int) string {
	if n > 0 && n < Threshold {
		return Small
	}
	return ""
}

func groundLines(gs []GroundCount, side string) []GroundLine {
	by := map[string]int{}
	for _, g := range gs {
		if g.Side == side {
			by[knownGround(g.Ground)] += g.N
		}
	}
	var out []GroundLine
	for g, n := range by {
		out = append(out, GroundLine{Ground: g, Refusals: Cell{n: n, Suppressed: small(n)}})
	}
	slices.SortFunc(out, func(a, b GroundLine) int {
		return cmp.Or(cmpOther(a.Ground, b.Ground), cmp.Compare(a.Ground, b.Ground))
	})
	return out
}

// medianLines keeps the medians of side of known kinds: a median of
// requests of unknown kinds cannot be merged with another.
func medianLines(ms []Median, side string) []MedianLine {
	var out []MedianLine
	for _, m := range ms {
		if m.Side != side || knownKind(m.Kind) == Other {
			continue
		}
		l := MedianLine{Kind: m.Kind, ToAcknowledge: Duration{d: m.Ack, n: m.AckN}, ToAnswer: Duration{d: m.Answer, n: m.AnswerN}}
		for _, d := range []*Duration{&l.ToAcknowledge, &l.ToAnswer} {
			if d.n < Threshold {
				d.Suppressed, d.d, d.n = Small, 0, 0
			}
		}
		out = append(out, l)
	}
	slices.SortFunc(out, func(a, b MedianLine) int { return cmp.Compare(a.Kind, b.Kind) })
	return out
}

func conditionLines(cs []ConditionCount, side string) []ConditionLine {
	out := make([]ConditionLine, 0, len(ConditionMeasures))
	for _, m := range ConditionMeasures {
		n := 0
		for _, c := range cs {
			if c.Side == side && c.Measure == m {
				n += c.N
			}
		}
		out = append(out, ConditionLine{Measure: m, Requests: Cell{n: n, Suppressed: small(n)}})
	}
	return out
}

// besideTables hides what is said beside the tables of s where it would
// give away a count the tables hide. Each refusal cites a ground, so that
// a lone ground (or the largest) counts at least, and often exactly, the
// refusals: when the tables hide the side's refusals, the grounds are
// hidden too. A median's number of requests is the number acknowledged,
// or answered, of a kind: it is shown only where it is the kind's total,
// shown, and so tells nothing the tables do not.
func besideTables(s *Side) {
	if s.Total.Refused.Suppressed != "" {
		for i := range s.Grounds {
			if c := &s.Grounds[i].Refusals; c.Suppressed == "" {
				c.Suppressed = Complementary
			}
		}
	}
	totals := map[string]Cell{}
	for _, l := range s.ByKind {
		totals[l.Code] = l.Total
	}
	for i := range s.Medians {
		m := &s.Medians[i]
		for _, d := range []*Duration{&m.ToAcknowledge, &m.ToAnswer} {
			if d.Suppressed != "" {
				continue
			}
			if total, ok := totals[m.Kind].Value(); !ok || d.n != total {
				d.Hidden = Complementary
			}
		}
	}
}
