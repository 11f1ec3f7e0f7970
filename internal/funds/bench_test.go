//go:build unix

package funds

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sort"
	"sync"
	"syscall"
	"testing"
	"time"
)

// benchLedger is a generated graph held compactly (16 bytes a transfer,
// 4 bytes an end of one, as CSR), so that 10 million transfers fit in
// a benchmark's memory and a trace reads it as it would read a store:
// a page of an account's movements at a time.
//
// The shape: the accounts form communities of benchCommunity accounts
// that pay each other at random, each account about 10 times out and
// 10 times in over a year, one transfer every few seconds across the
// graph, so funds move forward in time. A few victims outside the
// communities pay large sums into community 0 on its first day. Funds
// spread through the community's accounts (under pro rata, every
// payment out of a touched account carries traced funds, down to the
// dust) but never out of it: a trace touches about the community's
// 100,000 transfers whether the graph holds 1 million transfers or 10.
// That is the point of the benchmark: a trace's time and memory follow
// the traced part of the graph, not the whole.
type benchLedger struct {
	ts      []benchTransfer // transfer i is id i+1, in the order of time
	offsets []int32         // account a's movements are moves[offsets[a]:offsets[a+1]]
	moves   []int32
}

// benchTransfer is a transfer in 16 bytes, one cache line's quarter, as
// a store's row would be read in one.
type benchTransfer struct {
	at       uint32 // seconds after benchStart
	from, to int32
	cents    uint32
}

const (
	benchCommunity = 10_000 // accounts; about 100,000 transfers
	benchVictims   = 3
	benchWindow    = 2000 // how far along the line an account pays
	benchJitter    = 100  // how many accounts pay at once
)

var benchStart = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

// newBenchLedger generates transfers between accounts accounts (and
// benchVictims victims after them), deterministically from seed.
func newBenchLedger(transfers, accounts int, seed uint64) *benchLedger {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	communities := accounts / benchCommunity
	n := transfers
	l := &benchLedger{ts: make([]benchTransfer, n)}
	year := uint32(365 * 24 * 3600)
	for i := range n {
		tr := &l.ts[i]
		tr.at = uint32(uint64(i) * uint64(year) / uint64(n))
		if i < benchVictims {
			// The victims pay 1,000,000.00 each into community 0.
			tr.from = int32(accounts + i)
			tr.to = int32(r.IntN(benchJitter))
			tr.cents = 100_000_000
			continue
		}
		// Account k of a community is active about k/benchCommunity
		// of the way through the year: it pays accounts a little
		// after it in line, who pay on in their turn, a few days later.
		base := r.IntN(communities) * benchCommunity
		f := int(uint64(i)*uint64(benchCommunity-benchWindow-benchJitter)/uint64(n)) + r.IntN(benchJitter)
		t := f + 1 + r.IntN(benchWindow)
		tr.from, tr.to = int32(base+f), int32(base+t)
		tr.cents = uint32(1_000 + r.IntN(1_000_000)) // 10.00 to 10,010.00
	}
	total := accounts + benchVictims
	l.offsets = make([]int32, total+1)
	for _, tr := range l.ts {
		l.offsets[tr.from+1]++
		l.offsets[tr.to+1]++
	}
	for a := range total {
		l.offsets[a+1] += l.offsets[a]
	}
	l.moves = make([]int32, 2*n)
	next := make([]int32, total)
	copy(next, l.offsets[:total])
	for i, tr := range l.ts {
		for _, a := range [2]int32{tr.from, tr.to} {
			l.moves[next[a]] = int32(i)
			next[a]++
		}
	}
	return l
}

func (l *benchLedger) movement(i int32) Movement {
	tr := l.ts[i]
	return Movement{
		ID:       TransferID(i) + 1,
		At:       benchStart.Add(time.Duration(tr.at) * time.Second),
		From:     AccountID(tr.from),
		To:       AccountID(tr.to),
		Amount:   int64(tr.cents) * 10_000,
		Currency: "EUR",
	}
}

func (l *benchLedger) Transfer(_ context.Context, id TransferID) (Movement, error) {
	if id < 1 || int(id) > len(l.ts) {
		return Movement{}, fmt.Errorf("transfer %d: %w", id, ErrUnknownTransfer)
	}
	return l.movement(int32(id - 1)), nil
}

func (l *benchLedger) Movements(_ context.Context, a AccountID, after Cursor, limit int) ([]Movement, error) {
	if a < 0 || int(a) >= len(l.offsets)-1 {
		return nil, nil
	}
	ms := l.moves[l.offsets[a]:l.offsets[a+1]]
	// Transfers are numbered in the order of time, so (At, ID) order
	// is the order of the index.
	i := sort.Search(len(ms), func(i int) bool { return compareKey(key(l.movement(ms[i])), after) > 0 })
	n := min(limit, len(ms)-i)
	out := make([]Movement, n)
	for j := range n {
		out[j] = l.movement(ms[i+j])
	}
	return out, nil
}

func (l *benchLedger) Opening(context.Context, AccountID) (Opening, bool, error) {
	return Opening{}, false, nil
}

func cpuTime() time.Duration {
	var u syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &u); err != nil {
		return 0
	}
	return time.Duration(u.Utime.Nano() + u.Stime.Nano())
}

var benchGraphs = map[string]func() *benchLedger{
	"10M": sync.OnceValue(func() *benchLedger { return newBenchLedger(10_000_000, 1_000_000, 1) }),
	"1M":  sync.OnceValue(func() *benchLedger { return newBenchLedger(1_000_000, 100_000, 1) }),
}

// BenchmarkTrace10M traces three victim payments through a graph of 10
// million transfers between 1 million accounts, and the same through a
// graph of 1 million transfers between 100,000 accounts: the traced
// part is the same size, and so are the time and the memory.
//
// Pro rata spreads the funds widest: from the 3 victim payments it
// touches about 8,000 accounts and 91,000 distinct transfers (170,000
// movements read: a transfer between two touched accounts is read from
// both), 64,000 of them carrying traced funds. First in, first out and
// the lowest intermediate balance keep the victims' money together and
// touch far less.
//
// go test -run XXX -bench Trace10M -benchtime 3x -benchmem ./internal/funds
// on 2 virtual cores (AMD EPYC), go1.26.8, 30 November 2026, on a
// machine shared with other work (load average 12 to 14: ns/op counts
// the waits for a core, cpu-ms/op, the process's CPU time, does not):
//
//	graph=10M/rule=fifo      19.0 ms/op    4 cpu-ms/op     187 hops    4,200 read    184 touched    0.5 MB/op
//	graph=10M/rule=pro_rata 970.7 ms/op  322 cpu-ms/op  63,819 hops  169,443 read  8,063 touched   47.6 MB/op
//	graph=10M/rule=libr       0.5 ms/op  0.3 cpu-ms/op      71 hops    1,695 read     71 touched    0.2 MB/op
//	graph=1M/rule=fifo        3.6 ms/op    2 cpu-ms/op     318 hops    7,274 read    314 touched    0.9 MB/op
//	graph=1M/rule=pro_rata  567.8 ms/op  217 cpu-ms/op  64,811 hops  168,124 read  8,003 touched   47.7 MB/op
//	graph=1M/rule=libr        2.5 ms/op    1 cpu-ms/op     125 hops    3,000 read    123 touched    0.4 MB/op
//
// Pro rata, run 4 times (-count 4): over 10M transfers 0.25 to 1.42
// s/op (127 to 279 cpu-ms/op), over 1M 0.20 to 0.53 s/op (104 to 125
// cpu-ms/op). The trace allocates 47.6 MB in both graphs: its memory
// follows the traced part, not the graph's 10 times larger size, and
// so does its time in the least disturbed runs (249 ms and 199 ms).
// Generating the 10M graph takes about 3 s, once.
func BenchmarkTrace10M(b *testing.B) {
	if testing.Short() {
		b.Skip("generates 10 million transfers")
	}
	sources := make([]TransferID, benchVictims)
	for i := range sources {
		sources[i] = TransferID(i + 1)
	}
	for _, graph := range []string{"10M", "1M"} {
		for _, rule := range Rules() {
			b.Run(fmt.Sprintf("graph=%s/rule=%s", graph, rule), func(b *testing.B) {
				l := benchGraphs[graph]()
				opt := Options{Rule: rule, Currency: "EUR"}
				var res *Result
				b.ReportAllocs()
				b.ResetTimer()
				cpu := cpuTime()
				for b.Loop() {
					var err error
					if res, err = Trace(b.Context(), l, oneCurrency{}, sources, opt); err != nil {
						b.Fatal(err)
					}
				}
				// The CPU time the process spent, GC included: on a
				// shared machine, ns/op also counts the waits for a core.
				b.ReportMetric(float64((cpuTime()-cpu).Milliseconds())/float64(b.N), "cpu-ms/op")
				touched := map[AccountID]bool{}
				for _, h := range res.Hops {
					touched[h.To] = true
				}
				b.ReportMetric(float64(res.Read), "read/op")
				b.ReportMetric(float64(len(res.Hops)), "hops/op")
				b.ReportMetric(float64(len(touched)), "touched/op")
			})
		}
	}
}
