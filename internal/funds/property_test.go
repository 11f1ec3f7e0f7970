package funds

import (
	"cmp"
	"errors"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
	"time"
)

// graph is a small set of transfers and a trace to run over them.
// Accounts 1 and 2 are victims: they only pay, so no trace touches
// them; the others are 10 on.
type graph struct {
	ms       []Movement
	openings map[AccountID]Opening
	sources  []TransferID
	opt      Options
	page     int
}

// randomGraph draws a graph of up to 20 transfers between up to 8
// accounts, with ties in time, transfers to oneself, payments beyond
// the balance, openings, whole and odd amounts, dust, until and small
// pages.
func randomGraph(r *rand.Rand, rule Rule) graph {
	g := graph{openings: map[AccountID]Opening{}, page: 1 + r.IntN(4), opt: Options{Rule: rule, Currency: "EUR"}}
	victims := 1 + r.IntN(2)
	accounts := 2 + r.IntN(7)
	regular := func() AccountID { return AccountID(10 + r.IntN(accounts)) }
	n := 1 + r.IntN(20)
	var last time.Time
	for i := range n {
		m := Movement{ID: TransferID(i + 1), At: day0.Add(time.Duration(r.IntN(12)) * time.Hour), To: regular(), Currency: "EUR"}
		if i == 0 || r.IntN(4) == 0 {
			m.From = AccountID(1 + r.IntN(victims))
		} else {
			m.From = regular()
		}
		if r.IntN(2) == 0 {
			m.Amount = (1 + r.Int64N(1000)) * unit
		} else {
			m.Amount = 1 + r.Int64N(1000*unit)
		}
		if m.From <= 2 && len(g.sources) < 3 && (len(g.sources) == 0 || r.IntN(2) == 0) {
			g.sources = append(g.sources, m.ID)
			if m.At.After(last) {
				last = m.At
			}
		}
		g.ms = append(g.ms, m)
	}
	for a := range accounts {
		if r.IntN(3) == 0 {
			g.openings[AccountID(10+a)] = Opening{At: day0.Add(-time.Hour), Amount: r.Int64N(500) * unit, Currency: "EUR"}
		}
	}
	if r.IntN(3) == 0 {
		g.opt.Dust = 1 + r.Int64N(100*unit)
	}
	if r.IntN(4) == 0 {
		g.opt.Until = last.Add(time.Duration(r.IntN(6)) * time.Hour)
	}
	return g
}

// finalBalances is each account's balance at the end of the trace,
// worked out apart from the trace: the opening, plus what came in,
// less what went out, never below zero (a payment beyond the balance
// came from outside the records).
func finalBalances(g graph) map[AccountID]int64 {
	bal := map[AccountID]int64{}
	for a, o := range g.openings {
		bal[a] = o.Amount
	}
	ms := slices.SortedFunc(slices.Values(g.ms), func(a, b Movement) int { return compareKey(key(a), key(b)) })
	for _, m := range ms {
		if !g.opt.Until.IsZero() && m.At.After(g.opt.Until) {
			break
		}
		if m.From == m.To {
			continue
		}
		bal[m.From] = max(bal[m.From]-m.Amount, 0)
		bal[m.To] += m.Amount
	}
	return bal
}

// checkInvariants fails the test for a result that loses or makes
// funds, holds a negative or unsorted amount, carries more traced funds
// in a transfer than the transfer, or (when no funds stopped at
// MaxHops) leaves an account holding more than its balance.
func checkInvariants(t *testing.T, g graph, res *Result) {
	t.Helper()
	checkConservation(t, res)
	var traced int64
	for _, id := range g.sources {
		for _, m := range g.ms {
			if m.ID == id {
				traced += m.Amount
			}
		}
	}
	if res.Traced != traced {
		t.Errorf("Traced = %d, want the victim payments' %d", res.Traced, traced)
	}
	if !slices.IsSortedFunc(res.Holdings, func(a, b Holding) int {
		if c := cmp.Compare(b.Traced, a.Traced); c != 0 {
			return c
		}
		return cmp.Compare(a.Account, b.Account)
	}) {
		t.Errorf("Holdings not sorted by traced funds, then account: %s", fmtHoldings(res.Holdings))
	}
	parked := false
	for _, h := range res.Hops {
		if h.Depth >= res.Options.MaxHops {
			parked = true
		}
		if h.Depth < 1 {
			t.Errorf("hop %d: depth %d", h.Transfer, h.Depth)
		}
	}
	for _, h := range res.Holdings {
		if !slices.IsSortedFunc(h.ByOrigin, func(a, b Share) int { return cmp.Compare(a.Origin, b.Origin) }) {
			t.Errorf("holding of account %d: shares not sorted by origin", h.Account)
		}
	}
	if !parked {
		bal := finalBalances(g)
		for _, h := range res.Holdings {
			if h.Traced > bal[h.Account] {
				t.Errorf("account %d holds %d traced, more than its final balance %d", h.Account, h.Traced, bal[h.Account])
			}
		}
	}
	for _, s := range res.Shortfalls {
		if s.Amount <= 0 {
			t.Errorf("shortfall of %d at transfer %d", s.Amount, s.Transfer)
		}
	}
}

func TestTraceProperties(t *testing.T) {
	const graphs = 2000
	for _, rule := range Rules() {
		r := rand.New(rand.NewPCG(12, uint64(len(rule))))
		for i := range graphs {
			g := randomGraph(r, rule)
			if i%4 == 0 {
				g.opt.MaxHops = 1 + r.IntN(4)
			}
			l := newMemLedger(g.ms, g.openings)
			res, err := trace(t.Context(), l, oneCurrency{}, g.sources, g.opt, g.page)
			if err != nil {
				t.Fatalf("%s graph %d: Trace: %v", rule, i, err)
			}
			checkInvariants(t, g, res)
			// Pages of any size give the same trace.
			whole, err := Trace(t.Context(), l, oneCurrency{}, g.sources, g.opt)
			if err != nil {
				t.Fatalf("%s graph %d: Trace: %v", rule, i, err)
			}
			res.Read, whole.Read = 0, 0
			if !reflect.DeepEqual(res, whole) {
				t.Fatalf("%s graph %d: pages of %d give\n%+v\nwhole pages give\n%+v", rule, i, g.page, res, whole)
			}
			if t.Failed() {
				t.Fatalf("%s graph %d: %+v", rule, i, g)
			}
		}
	}
}

// decodeGraph reads a graph from fuzzed bytes, a byte per choice; it
// reads zeros once the bytes run out.
func decodeGraph(data []byte) graph {
	next := func() int {
		if len(data) == 0 {
			return 0
		}
		b := data[0]
		data = data[1:]
		return int(b)
	}
	g := graph{openings: map[AccountID]Opening{}}
	g.opt = Options{Rule: Rules()[next()%3], Currency: "EUR", MaxHops: next() % 8, Dust: int64(next()) * 1000}
	g.page = 1 + next()%4
	accounts := 1 + next()%8
	n := next() % 32
	var last time.Time
	for i := range n {
		m := Movement{ID: TransferID(i + 1), At: day0.Add(time.Duration(next()%12) * time.Hour), Currency: "EUR"}
		from := next() % (accounts + 1)
		if from == 0 {
			m.From = V
		} else {
			m.From = AccountID(9 + from)
		}
		if to := next(); to%10 == 9 {
			m.To = V // the victim receives too: a payment from it may then be out of a traced account
		} else {
			m.To = AccountID(10 + to%accounts)
		}
		m.Amount = int64(next()<<8 | next())
		if next()%2 == 0 {
			m.Amount *= unit
		}
		if m.From == V && len(g.sources) < 4 {
			g.sources = append(g.sources, m.ID)
			if m.At.After(last) {
				last = m.At
			}
		}
		g.ms = append(g.ms, m)
	}
	for a := range accounts {
		if o := next(); o%3 == 0 {
			g.openings[AccountID(10+a)] = Opening{At: day0.Add(-time.Hour), Amount: int64(o) * unit, Currency: "EUR"}
		}
	}
	if u := next() % 8; u > 0 {
		g.opt.Until = last.Add(time.Duration(u-1) * time.Hour)
	}
	return g
}

func FuzzTrace(f *testing.F) {
	f.Add([]byte{0, 0, 0, 3, 4, 1, 0, 1, 0, 100, 0, 2, 1, 2, 0, 50, 0, 3, 2, 3, 0, 60, 1})
	f.Add([]byte{1, 2, 1, 0, 5, 8, 0, 0, 0, 255, 255, 0, 1, 1, 1, 1, 3, 1, 1, 1, 2, 2, 0, 3, 0, 0, 4, 1, 1})
	f.Add([]byte{2, 3, 200, 2, 3, 6, 1, 0, 0, 9, 9, 0, 2, 2, 0, 1, 1, 1, 3, 3, 1, 4, 4, 0, 0, 0, 0, 0, 2})
	f.Fuzz(func(t *testing.T, data []byte) {
		g := decodeGraph(data)
		if len(g.sources) == 0 {
			return
		}
		res, err := trace(t.Context(), newMemLedger(g.ms, g.openings), oneCurrency{}, g.sources, g.opt, g.page)
		if err != nil {
			var oe *OptionError
			if errors.As(err, &oe) {
				return
			}
			t.Fatalf("Trace: %v", err)
		}
		checkInvariants(t, g, res)
	})
}
