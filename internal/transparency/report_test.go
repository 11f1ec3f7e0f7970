package transparency

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

func counts(total, executed, partial, refused, withdrawn, pending, postponed int) Counts {
	return Counts{total, executed, partial, refused, withdrawn, pending, postponed}
}

// shown returns the counts of l as the report shows them: a number, "<5"
// for a small count, "x" for a complementary one.
func shown(l Line) string {
	var parts []string
	for _, c := range l.Cells() {
		switch c.Suppressed {
		case Small:
			parts = append(parts, "<5")
		case Complementary:
			parts = append(parts, "x")
		default:
			parts = append(parts, fmt.Sprint(c.n))
		}
	}
	return l.Code + ":" + strings.Join(parts, ",")
}

func TestPublishSuppresses(t *testing.T) {
	from, to := LastYear(time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC))
	tests := []struct {
		name    string
		kinds   []Row
		states  []Row
		want    []string // the total, the kinds, then the States
		grounds []GroundCount
		wantG   string
	}{{
		name:   "nothing small: everything shown",
		kinds:  []Row{{Sent, "preservation", counts(12, 7, 0, 5, 0, 0, 0)}, {Sent, "extradition", counts(5, 5, 0, 0, 0, 0, 0)}},
		states: []Row{{Sent, "DEU", counts(17, 12, 0, 5, 0, 0, 0)}},
		want:   []string{"total:17,12,0,5,0,0,0", "extradition:5,5,0,0,0,0,0", "preservation:12,7,0,5,0,0,0", "DEU:17,12,0,5,0,0,0"},
	}, {
		// Each row holding 3 refusals hides a second count beside it,
		// the smallest, so that 20 - 10 - 7 does not give the 3 away; the
		// column of refusals already hides two.
		name: "a small count hides a second one in its row and column",
		kinds: []Row{{Sent, "mutual_assistance", counts(20, 10, 0, 3, 0, 7, 0)},
			{Sent, "preservation", counts(15, 15, 0, 0, 0, 0, 0)}},
		states: []Row{{Sent, "DEU", counts(35, 25, 0, 3, 0, 7, 0)}},
		want: []string{"total:35,25,0,<5,0,x,0", "mutual_assistance:20,10,0,<5,0,x,0", "preservation:15,15,0,0,0,0,0",
			"DEU:35,25,0,<5,0,x,0"},
	}, {
		// A row whose total is small is hidden whole, zeros too: a zero
		// beside it would tell what the rest is. Its columns then need a
		// second hidden count, the smallest, and so do the rows of those:
		// the hidden pending beside the small row's leaves 41 = x + x in
		// the total, whose split is unknown. A column of zeros needs
		// none: its total of 0 says what they are.
		name: "a small row is hidden whole, and so is the smallest other",
		kinds: []Row{{Received, "extradition", counts(2, 2, 0, 0, 0, 0, 0)},
			{Received, "preservation", counts(9, 9, 0, 0, 0, 0, 0)}, {Received, "mutual_assistance", counts(30, 20, 0, 0, 0, 10, 0)}},
		states: []Row{{Received, "DEU", counts(41, 31, 0, 0, 0, 10, 0)}},
		want: []string{"total:41,x,0,0,0,x,0", "extradition:<5,<5,<5,<5,<5,<5,<5", "mutual_assistance:30,20,0,0,0,10,0",
			"preservation:x,x,0,0,0,0,0", "DEU:41,x,0,0,0,x,0"},
	}, {
		name: "unknown codes are merged under other, last",
		kinds: []Row{{Sent, "Jean Dupont", counts(3, 3, 0, 0, 0, 0, 0)}, {Sent, "case 2025/17", counts(4, 4, 0, 0, 0, 0, 0)},
			{Sent, "preservation", counts(6, 6, 0, 0, 0, 0, 0)}},
		states: []Row{{Sent, "DEU", counts(6, 6, 0, 0, 0, 0, 0)}, {Sent, "Ministry", counts(7, 7, 0, 0, 0, 0, 0)}},
		want: []string{"total:13,13,0,0,0,0,0", "preservation:6,6,0,0,0,0,0", "other:7,7,0,0,0,0,0",
			"DEU:6,6,0,0,0,0,0", "other:7,7,0,0,0,0,0"},
		grounds: []GroundCount{{Sent, "domestic_law", 5}, {Sent, "the judge said no", 2}, {Sent, "essential_interests", 1}},
		wantG:   "domestic_law:5 essential_interests:<5 other:<5",
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := Publish(Figures{State: "FRA", From: from, To: to, ByKind: tt.kinds, ByState: tt.states, Grounds: tt.grounds})
			s := r.Sent
			if len(tt.kinds) > 0 && tt.kinds[0].Side == Received {
				s = r.Received
			}
			got := []string{shown(s.Total)}
			for _, l := range append(append([]Line{}, s.ByKind...), s.ByState...) {
				got = append(got, shown(l))
			}
			if strings.Join(got, " ") != strings.Join(tt.want, " ") {
				t.Errorf("Publish:\n got %v\nwant %v", got, tt.want)
			}
			if tt.wantG != "" {
				var g []string
				for _, l := range s.Grounds {
					v := fmt.Sprint(l.Refusals.n)
					if l.Refusals.Suppressed != "" {
						v = "<5"
					}
					g = append(g, l.Ground+":"+v)
				}
				if strings.Join(g, " ") != tt.wantG {
					t.Errorf("grounds: %v, want %s", g, tt.wantG)
				}
			}
		})
	}
}

// TestPublishLeavesNothingToSubtract publishes random figures and checks
// what the suppression promises: every count from 1 to 4 is hidden, and
// no set of counts that add up hides exactly one, which subtraction from
// the others would give away, unless they add up to zero.
func TestPublishLeavesNothingToSubtract(t *testing.T) {
	rnd := rand.New(rand.NewPCG(1, 2))
	kinds, states := []string{"preservation", "extradition", "mutual_assistance", "freezing"}, []string{"DEU", "VNM", "ZAF", "BRA", "IND"}
	for i := range 2000 {
		// Requests, each of a kind, a State and an outcome, so that the
		// tables agree as a node's do.
		byKind, byState := map[string]*Counts{}, map[string]*Counts{}
		for range rnd.IntN(60) {
			k, s, outcome := kinds[rnd.IntN(len(kinds))], states[rnd.IntN(len(states))], rnd.IntN(5)
			postponed := rnd.IntN(6) == 0
			for key, m := range map[string]map[string]*Counts{k: byKind, s: byState} {
				c := m[key]
				if c == nil {
					c = &Counts{}
					m[key] = c
				}
				c.Total++
				*[]*int{&c.Executed, &c.PartiallyExecuted, &c.Refused, &c.Withdrawn, &c.Pending}[outcome]++
				if postponed {
					c.Postponed++
				}
			}
		}
		var f Figures
		for k, c := range byKind {
			f.ByKind = append(f.ByKind, Row{Sent, k, *c})
		}
		for s, c := range byState {
			f.ByState = append(f.ByState, Row{Sent, s, *c})
		}
		s := Publish(f).Sent
		all := append(append([]*Line{&s.Total}, ptrs(s.ByKind)...), ptrs(s.ByState)...)
		var sums [][]*Cell
		for _, l := range all {
			for _, c := range l.Cells() {
				if c.n > 0 && c.n < Threshold && c.Suppressed == "" {
					t.Fatalf("case %d: %s shows a small count: %s", i, l.Code, shown(*l))
				}
			}
			sums = append(sums, l.outcomes())
		}
		for col := range Columns {
			for _, table := range [][]Line{s.ByKind, s.ByState} {
				set := []*Cell{s.Total.Cells()[col]}
				for j := range table {
					set = append(set, table[j].Cells()[col])
				}
				sums = append(sums, set)
			}
		}
		for _, set := range sums {
			// A set that adds up to zero shows a total of zero, which says
			// what every hidden count in it is: nothing to hide there.
			if countHidden(set) == 1 && sum(set) > 0 {
				var got []string
				for _, l := range all {
					got = append(got, shown(*l))
				}
				t.Fatalf("case %d: a set of counts that add up hides one alone:\n%s", i, strings.Join(got, "\n"))
			}
		}
	}
}

func TestCellJSON(t *testing.T) {
	r := Publish(Figures{State: "FRA", From: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), To: time.Date(2025, 12, 31, 0, 0, 0, 0, time.UTC),
		ByKind:  []Row{{Received, "preservation", counts(2, 2, 0, 0, 0, 0, 0)}, {Sent, "extradition", counts(6, 6, 0, 0, 0, 0, 0)}},
		ByState: []Row{{Received, "DEU", counts(2, 2, 0, 0, 0, 0, 0)}, {Sent, "DEU", counts(6, 6, 0, 0, 0, 0, 0)}},
		Medians: []Median{{Side: Received, Kind: "preservation", Ack: time.Hour, AckN: 2}, {Side: Sent, Kind: "extradition", Ack: time.Hour, AckN: 6, Answer: time.Hour, AnswerN: 5}}})
	var buf bytes.Buffer
	if err := r.WriteJSON(&buf); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Received struct {
			Total   map[string]json.RawMessage
			Medians []map[string]json.RawMessage
		}
		Sent struct {
			Total   map[string]json.RawMessage
			Medians []map[string]json.RawMessage
		}
	}
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ got, want string }{
		{string(doc.Received.Total["total"]), `{"value":null,"suppressed":true,"reason":"fewer_than_5"}`},
		{string(doc.Sent.Total["total"]), `{"value":6}`},
		{string(doc.Received.Medians[0]["to_acknowledge"]), `{"seconds":null,"requests":null,"suppressed":true,"reason":"fewer_than_5"}`},
		{string(doc.Sent.Medians[0]["to_acknowledge"]), `{"seconds":3600,"requests":6}`},
		{string(doc.Sent.Medians[0]["to_answer"]), `{"seconds":3600,"requests":null}`},
	} {
		var compact bytes.Buffer
		if err := json.Compact(&compact, []byte(c.got)); err != nil || compact.String() != c.want {
			t.Errorf("JSON %s, want %s", compact.String(), c.want)
		}
	}
}

// What the report says beside its tables must not give away a count its
// tables hide: 20 requests, 10 executed, 7 refused and 3 pending hide
// the 3 and, beside it, the 7; a lone ground cited by the refusals, or
// the number of requests answered that a median is taken over, would
// tell the 7, and 20 - 10 - 7 the 3.
func TestPublishHidesWhatTheTablesHide(t *testing.T) {
	from, to := LastYear(time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC))
	f := Figures{State: "FRA", From: from, To: to,
		ByKind:  []Row{{Sent, "mutual_assistance", counts(20, 10, 0, 7, 0, 3, 0)}},
		ByState: []Row{{Sent, "DEU", counts(20, 10, 0, 7, 0, 3, 0)}},
		Grounds: []GroundCount{{Sent, "sovereignty", 7}},
		Medians: []Median{{Sent, "mutual_assistance", time.Hour, 20, 2 * time.Hour, 17}}}
	r := Publish(f)
	if got := shown(r.Sent.Total); got != "total:20,10,0,x,0,<5,0" {
		t.Fatalf("total = %s, want the refusals hidden beside the pending", got)
	}
	if n, ok := r.Sent.Grounds[0].Refusals.Value(); ok {
		t.Errorf("the only ground is shown cited by %d refusals, which are hidden in the tables", n)
	}
	m := r.Sent.Medians[0]
	if _, n, ok := m.ToAnswer.Value(); ok && n != 0 {
		t.Errorf("the median time to answer is shown over %d requests answered, which the tables hide", n)
	}
	if _, n, ok := m.ToAcknowledge.Value(); !ok || n != 20 {
		t.Errorf("the median time to acknowledge, over every request of the kind (20, shown), = %d, %v", n, ok)
	}
	var buf bytes.Buffer
	if err := r.WriteCSV(&buf); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(buf.String(), ",17,") || strings.Contains(buf.String(), ",7,") {
		t.Errorf("the CSV tells 17 or 7:\n%s", buf.String())
	}
	js, _ := json.Marshal(r)
	if strings.Contains(string(js), ":17") || strings.Contains(string(js), ":7}") {
		t.Errorf("the JSON tells 17 or 7: %s", js)
	}
}
