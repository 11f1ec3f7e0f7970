package funds

import (
	"context"
	"errors"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"
)

// sh is a share of origin of units whole units.
func sh(origin TransferID, units int64) Share { return Share{Origin: origin, Amount: units * unit} }

// hold is the holding of account made of shares.
func hold(account AccountID, shares ...Share) Holding {
	h := Holding{Account: account, ByOrigin: shares}
	for _, s := range shares {
		h.Traced += s.Amount
	}
	return h
}

// hop is what a test checks of a Hop: amounts in whole units.
type hop struct {
	transfer       TransferID
	depth          int
	amount, traced int64
}

type traceCase struct {
	name       string
	transfers  []Movement
	openings   map[AccountID]Opening
	sources    []TransferID
	opt        Options
	holdings   []Holding // in the order the Result gives them
	hops       []hop
	shortfalls []Shortfall // amounts in whole units
	dust       int64       // millionths
}

func runCases(t *testing.T, rule Rule, cases []traceCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			opt := c.opt
			opt.Rule = rule
			if opt.Currency == "" {
				opt.Currency = "EUR"
			}
			res, err := Trace(t.Context(), newMemLedger(c.transfers, c.openings), oneCurrency{}, c.sources, opt)
			if err != nil {
				t.Fatalf("Trace: %v", err)
			}
			if !reflect.DeepEqual(res.Holdings, c.holdings) {
				t.Errorf("Holdings = %s\nwant %s", fmtHoldings(res.Holdings), fmtHoldings(c.holdings))
			}
			var hops []hop
			for _, h := range res.Hops {
				hops = append(hops, hop{h.Transfer, h.Depth, h.Amount / unit, h.Traced / unit})
			}
			if !reflect.DeepEqual(hops, c.hops) {
				t.Errorf("Hops = %v, want %v", hops, c.hops)
			}
			var shorts []Shortfall
			for _, s := range res.Shortfalls {
				s.Amount /= unit
				s.At = time.Time{}
				shorts = append(shorts, s)
			}
			if !reflect.DeepEqual(shorts, c.shortfalls) {
				t.Errorf("Shortfalls = %v, want %v", shorts, c.shortfalls)
			}
			if res.Dust != c.dust {
				t.Errorf("Dust = %d, want %d", res.Dust, c.dust)
			}
			checkConservation(t, res)
		})
	}
}

func fmtHoldings(hs []Holding) string {
	var b strings.Builder
	for _, h := range hs {
		b.WriteString(" [")
		b.WriteString(itoa(int64(h.Account)))
		b.WriteString(": ")
		b.WriteString(micros(h.Traced))
		for _, s := range h.ByOrigin {
			b.WriteString(" o" + itoa(int64(s.Origin)) + "=" + micros(s.Amount))
		}
		b.WriteString("]")
	}
	return b.String()
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func micros(n int64) string {
	if n%unit == 0 {
		return itoa(n / unit)
	}
	return itoa(n) + "µ"
}

// checkConservation fails unless the holdings and the dust add up to
// what was traced, and no holding is negative.
func checkConservation(t *testing.T, res *Result) {
	t.Helper()
	sum := res.Dust
	for _, h := range res.Holdings {
		var by int64
		for _, s := range h.ByOrigin {
			if s.Amount <= 0 {
				t.Errorf("holding of account %d: share of origin %d is %d, want > 0", h.Account, s.Origin, s.Amount)
			}
			by += s.Amount
		}
		if by != h.Traced || h.Traced <= 0 {
			t.Errorf("holding of account %d: Traced %d, shares add up to %d", h.Account, h.Traced, by)
		}
		sum += h.Traced
	}
	if sum != res.Traced {
		t.Errorf("holdings + dust = %d, want Traced = %d", sum, res.Traced)
	}
	for _, h := range res.Hops {
		if h.Traced > h.Amount || h.Traced <= 0 {
			t.Errorf("hop %d: Traced %d of Amount %d", h.Transfer, h.Traced, h.Amount)
		}
	}
}

// In every case, V pays A (the victim payment, traced); X is someone
// else, whose funds are not traced. Amounts are whole euros; "u" is
// untraced funds and "oN" traced funds of victim payment N, listed in
// the order FIFO takes them.

func TestTraceFIFO(t *testing.T) {
	runCases(t, FIFO, []traceCase{
		{
			name: "untraced deposit first, a split, a payment beyond the balance",
			transfers: []Movement{
				tx(1, 1, X, A, 300),  // A: u300
				tx(2, 2, V, A, 1000), // A: u300, o2 1000
				tx(3, 3, A, B, 500),  // oldest first: u300 + o2 200 → B: u300, o2 200; A: o2 800
				tx(4, 4, A, C, 400),  // o2 400 → C: o2 400; A: o2 400
				tx(5, 5, B, D, 600),  // B holds 500: all of it (u300, o2 200) and 100 from outside the records → D: o2 200
			},
			sources: []TransferID{2},
			// A 400 + C 400 + D 200 = 1000 traced.
			holdings:   []Holding{hold(A, sh(2, 400)), hold(C, sh(2, 400)), hold(D, sh(2, 200))},
			hops:       []hop{{2, 1, 1000, 1000}, {3, 2, 500, 200}, {4, 2, 400, 400}, {5, 3, 600, 200}},
			shortfalls: []Shortfall{{Account: B, Transfer: 5, Amount: 100}},
		},
		{
			name: "later deposit, funds return to the account",
			transfers: []Movement{
				tx(1, 1, X, A, 200), // A: u200
				tx(2, 2, V, A, 600), // A: u200, o2 600 (depth 1)
				tx(3, 3, X, A, 500), // A: u200, o2 600, u500
				tx(4, 4, A, B, 500), // u200 + o2 300 → B: u200, o2 300; A: o2 300, u500
				tx(5, 5, A, C, 400), // o2 300 + u100 → C: o2 300 (depth 2), u100; A: u400
				tx(6, 6, C, A, 300), // C's oldest: o2 300 → A: u400, o2 300 (depth 3); C: u100
				tx(7, 7, A, B, 500), // u400 + o2 100 → B: u200, o2 300, u400, o2 100 (depth 4); A: o2 200
			},
			sources: []TransferID{2},
			// B 300 + 100 = 400, A 200: 600 traced.
			holdings: []Holding{hold(B, sh(2, 400)), hold(A, sh(2, 200))},
			hops:     []hop{{2, 1, 600, 600}, {4, 2, 500, 300}, {5, 2, 400, 300}, {6, 3, 300, 300}, {7, 4, 500, 100}},
		},
		{
			name: "two victims' funds kept apart",
			transfers: []Movement{
				tx(1, 1, V, A, 100),  // A: o1 100
				tx(2, 2, V2, A, 50),  // A: o1 100, o2 50
				tx(3, 3, A, B, 120),  // o1 100 + o2 20 → B; A: o2 30
				tx(4, 4, X, B, 1000), // B: o1 100, o2 20, u1000
			},
			sources:  []TransferID{1, 2},
			holdings: []Holding{hold(B, sh(1, 100), sh(2, 20)), hold(A, sh(2, 30))},
			hops:     []hop{{1, 1, 100, 100}, {2, 1, 50, 50}, {3, 2, 120, 120}},
		},
		{
			name: "opening balance: history before it is not replayed",
			transfers: []Movement{
				tx(1, -5, X, A, 1000), // before the statement's opening: its balance says what is left
				tx(2, 1, V, A, 300),   // A: u500 (the opening), o2 300
				tx(3, 2, A, B, 600),   // u500 + o2 100 → B; A: o2 200
			},
			openings: map[AccountID]Opening{A: {At: day0, Amount: 500 * unit, Currency: "EUR"}},
			sources:  []TransferID{2},
			holdings: []Holding{hold(A, sh(2, 200)), hold(B, sh(2, 100))},
			hops:     []hop{{2, 1, 300, 300}, {3, 2, 600, 100}},
		},
	})
}

func TestTraceProRata(t *testing.T) {
	runCases(t, ProRata, []traceCase{
		{
			name: "untraced deposit, a split, a later deposit",
			transfers: []Movement{
				tx(1, 1, X, A, 400), // A: u400
				tx(2, 2, V, A, 600), // A: u400, o2 600 (1000)
				tx(3, 3, A, B, 500), // o2 600×500/1000 = 300 → B; A: u200, o2 300 (500)
				tx(4, 4, A, C, 100), // o2 300×100/500 = 60 → C; A: u160, o2 240 (400)
				tx(5, 5, X, A, 100), // A: u260, o2 240 (500)
				tx(6, 6, A, D, 250), // o2 240×250/500 = 120 → D; A: u130, o2 120
			},
			sources: []TransferID{2},
			// B 300 + A 120 + D 120 + C 60 = 600 traced.
			holdings: []Holding{hold(B, sh(2, 300)), hold(A, sh(2, 120)), hold(D, sh(2, 120)), hold(C, sh(2, 60))},
			hops:     []hop{{2, 1, 600, 600}, {3, 2, 500, 300}, {4, 2, 100, 60}, {6, 2, 250, 120}},
		},
		{
			name: "two victims, halves onward",
			transfers: []Movement{
				tx(1, 1, V, A, 300),  // A: o1 300
				tx(2, 2, V2, A, 100), // A: o1 300, o2 100
				tx(3, 3, X, A, 200),  // A: u200, o1 300, o2 100 (600)
				tx(4, 4, A, B, 300),  // half: o1 150, o2 50 (+ u100) → B; A: u100, o1 150, o2 50 (300)
				tx(5, 5, A, C, 150),  // half: o1 75, o2 25 (+ u50) → C; A: u50, o1 75, o2 25
				tx(6, 6, B, D, 150),  // half of B's 300: o1 75, o2 25 (+ u50) → D; B: u50, o1 75, o2 25
			},
			sources: []TransferID{1, 2},
			// o1: 75 × 4 = 300; o2: 25 × 4 = 100.
			holdings: []Holding{
				hold(A, sh(1, 75), sh(2, 25)), hold(B, sh(1, 75), sh(2, 25)),
				hold(C, sh(1, 75), sh(2, 25)), hold(D, sh(1, 75), sh(2, 25)),
			},
			hops: []hop{{1, 1, 300, 300}, {2, 1, 100, 100}, {4, 2, 300, 200}, {5, 2, 150, 100}, {6, 3, 150, 100}},
		},
	})
}

func TestTraceProRataRemainders(t *testing.T) {
	// Three victim payments of one millionth each; A pays two
	// millionths. Each origin's share, 1×2/3, rounds down to 0; there
	// are no untraced funds to make up the payment, so the two
	// origins with the largest remainder (all equal: 2/3) give one
	// millionth each, the lower origins first: o1 and o2 leave, o3
	// stays. Nothing is lost or made.
	ms := []Movement{
		{ID: 1, At: day0, From: V, To: A, Amount: 1, Currency: "EUR"},
		{ID: 2, At: day0.Add(time.Hour), From: V, To: A, Amount: 1, Currency: "EUR"},
		{ID: 3, At: day0.Add(2 * time.Hour), From: V, To: A, Amount: 1, Currency: "EUR"},
		{ID: 4, At: day0.Add(3 * time.Hour), From: A, To: B, Amount: 2, Currency: "EUR"},
	}
	res, err := Trace(t.Context(), newMemLedger(ms, nil), oneCurrency{}, []TransferID{1, 2, 3}, Options{Rule: ProRata, Currency: "EUR", Dust: 1})
	if err != nil {
		t.Fatal(err)
	}
	want := []Holding{
		{Account: B, Traced: 2, ByOrigin: []Share{{1, 1}, {2, 1}}},
		{Account: A, Traced: 1, ByOrigin: []Share{{3, 1}}},
	}
	if !reflect.DeepEqual(res.Holdings, want) {
		t.Errorf("Holdings = %s, want %s", fmtHoldings(res.Holdings), fmtHoldings(want))
	}
	checkConservation(t, res)
}

func TestTraceLIBR(t *testing.T) {
	runCases(t, LIBR, []traceCase{
		{
			name: "a later deposit after a dip does not refill",
			transfers: []Movement{
				tx(1, 1, X, A, 200),  // A: u200
				tx(2, 2, V, A, 1000), // A: u200, o2 1000
				tx(3, 3, A, B, 700),  // own funds first: u200, then o2 500 → B: u200, o2 500; A: o2 500
				tx(4, 4, A, C, 400),  // no own funds left: o2 400 → C; A: o2 100 (the lowest balance)
				tx(5, 5, X, A, 900),  // A: u900, o2 100: the deposit is A's own
				tx(6, 6, A, D, 600),  // u600 leaves; nothing traced → D is not followed; A: u300, o2 100
				tx(7, 7, B, D, 300),  // B's own u200, then o2 100 → D: u600 (replayed), u200, o2 100; B: o2 400
			},
			sources: []TransferID{2},
			// B 400 + C 400 + A 100 + D 100 = 1000 traced.
			holdings: []Holding{hold(B, sh(2, 400)), hold(C, sh(2, 400)), hold(A, sh(2, 100)), hold(D, sh(2, 100))},
			hops:     []hop{{2, 1, 1000, 1000}, {3, 2, 700, 500}, {4, 2, 400, 400}, {7, 3, 300, 100}},
		},
		{
			name: "two victims pro rata, a payment beyond the balance",
			transfers: []Movement{
				tx(1, 1, V, A, 600),  // A: o1 600
				tx(2, 2, V2, A, 200), // A: o1 600, o2 200
				tx(3, 3, X, A, 100),  // A: u100, o1 600, o2 200
				tx(4, 4, A, B, 500),  // u100, then 400 of the 800 traced: o1 300, o2 100 → B: u100, o1 300, o2 100; A: o1 300, o2 100
				tx(5, 5, B, C, 200),  // B's own u100, then 100 of its 400 traced: o1 75, o2 25 → C: u100, o1 75, o2 25; B: o1 225, o2 75
				tx(6, 6, X, B, 1000), // B: u1000, o1 225, o2 75
				tx(7, 7, B, D, 1100), // u1000, then 100 of the 300 traced: o1 75, o2 25 → D; B: o1 150, o2 50
				tx(8, 8, C, D, 300),  // C holds 200: all (u100, o1 75, o2 25), 100 from outside the records → D: o1 150, o2 50
			},
			sources: []TransferID{1, 2},
			// o1: A 300 + B 150 + D 150 = 600; o2: A 100 + B 50 + D 50 = 200.
			holdings:   []Holding{hold(A, sh(1, 300), sh(2, 100)), hold(B, sh(1, 150), sh(2, 50)), hold(D, sh(1, 150), sh(2, 50))},
			hops:       []hop{{1, 1, 600, 600}, {2, 1, 200, 200}, {4, 2, 500, 400}, {5, 3, 200, 100}, {7, 3, 1100, 100}, {8, 4, 300, 100}},
			shortfalls: []Shortfall{{Account: C, Transfer: 8, Amount: 100}},
		},
	})
}

func TestTraceEveryRule(t *testing.T) {
	for _, rule := range Rules() {
		runCases(t, rule, []traceCase{
			{
				name: "a cycle and a transfer to itself",
				transfers: []Movement{
					tx(1, 1, V, A, 100), // A: o1 100
					tx(2, 2, A, A, 100), // A to itself: A: o1 100 (depth 2)
					tx(3, 3, A, B, 60),  // o1 60 → B (depth 3); A: o1 40
					tx(4, 4, B, A, 60),  // back: A: o1 100 (depth 4)
				},
				sources:  []TransferID{1},
				holdings: []Holding{hold(A, sh(1, 100))},
				hops:     []hop{{1, 1, 100, 100}, {2, 2, 100, 100}, {3, 3, 60, 60}, {4, 4, 60, 60}},
			},
			{
				name: "max hops: funds stay where they reached",
				transfers: []Movement{
					tx(1, 1, V, A, 100), // A: o1 100 (depth 1)
					tx(2, 2, A, B, 100), // → B at depth 2 = MaxHops: B holds them, not followed
					tx(3, 3, B, C, 100), // not followed
				},
				sources:  []TransferID{1},
				opt:      Options{MaxHops: 2},
				holdings: []Holding{hold(B, sh(1, 100))},
				hops:     []hop{{1, 1, 100, 100}, {2, 2, 100, 100}},
			},
			{
				name: "until: later movements are not taken",
				transfers: []Movement{
					tx(1, 1, V, A, 100),
					tx(2, 5, A, B, 100), // after until
				},
				sources:  []TransferID{1},
				opt:      Options{Until: day0.Add(4 * time.Hour)},
				holdings: []Holding{hold(A, sh(1, 100))},
				hops:     []hop{{1, 1, 100, 100}},
			},
		})
	}
}

func TestTraceDust(t *testing.T) {
	// Pro rata, A holds 1 traced euro among 1000; paying 5 euros carries
	// 1×5/1000 = 0.005 traced, below the default dust of 0.01: it is
	// counted as dust, B is not followed, and A keeps 0.995.
	ms := []Movement{tx(1, 1, X, A, 999), tx(2, 2, V, A, 1), tx(3, 3, A, B, 5)}
	res, err := Trace(t.Context(), newMemLedger(ms, nil), oneCurrency{}, []TransferID{2}, Options{Rule: ProRata, Currency: "EUR"})
	if err != nil {
		t.Fatal(err)
	}
	want := []Holding{{Account: A, Traced: 995_000, ByOrigin: []Share{{2, 995_000}}}}
	if !reflect.DeepEqual(res.Holdings, want) || res.Dust != 5_000 || len(res.Hops) != 1 {
		t.Errorf("Holdings = %s, Dust = %d, %d hops; want %s, 5000, 1", fmtHoldings(res.Holdings), res.Dust, len(res.Hops), fmtHoldings(want))
	}
	if res.Options.Dust != DefaultDust || res.Options.MaxHops != DefaultMaxHops {
		t.Errorf("Options = %+v, want the defaults applied", res.Options)
	}
	checkConservation(t, res)
}

func TestTraceConvertsAtTransferDate(t *testing.T) {
	// A USD payment on Monday 2 March priced at Friday 27 February's
	// rate (0.9 EUR): 1000 USD = 900 EUR traced. A pays 500 EUR on.
	rates, err := NewRateTable("EUR", []Rate{
		{Day: time.Date(2026, 2, 27, 0, 0, 0, 0, time.UTC), Currency: "USD", PerUnit: "0.9"},
		{Day: time.Date(2026, 3, 3, 0, 0, 0, 0, time.UTC), Currency: "USD", PerUnit: "0.5"}, // later: not used
	})
	if err != nil {
		t.Fatal(err)
	}
	usd := tx(1, 1, V, A, 1000)
	usd.Currency = "USD"
	ms := []Movement{usd, tx(2, 2, A, B, 500)}
	res, err := Trace(t.Context(), newMemLedger(ms, nil), rates, []TransferID{1}, Options{Rule: FIFO, Currency: "EUR"})
	if err != nil {
		t.Fatal(err)
	}
	want := []Holding{hold(B, sh(1, 500)), hold(A, sh(1, 400))}
	if res.Traced != 900*unit || !reflect.DeepEqual(res.Holdings, want) {
		t.Errorf("Traced = %d, Holdings = %s; want 900 EUR, %s", res.Traced, fmtHoldings(res.Holdings), fmtHoldings(want))
	}

	// Three weeks later, no rate within 7 days.
	late := tx(3, 18*24, A, C, 100)
	late.Currency = "USD"
	ms = append(ms, late)
	_, err = Trace(t.Context(), newMemLedger(ms, nil), rates, []TransferID{1}, Options{Rule: FIFO, Currency: "EUR"})
	if !errors.Is(err, ErrNoRate) || !strings.Contains(err.Error(), "USD") || !strings.Contains(err.Error(), "2026-03-20") {
		t.Errorf("Trace with no rate for 20 March = %v, want ErrNoRate naming USD and 2026-03-20", err)
	}
}

func TestTraceRefusesBadOptions(t *testing.T) {
	ms := []Movement{tx(1, 1, V, A, 100), tx(2, 2, A, A, 10), tx(3, 3, A, B, 50), tx(4, 4, B, C, 10)}
	many := make([]TransferID, MaxSources+1)
	for i := range many {
		many[i] = TransferID(i + 1)
	}
	ok := Options{Rule: FIFO, Currency: "EUR"}
	with := func(f func(*Options)) Options { o := ok; f(&o); return o }
	cases := []struct {
		name    string
		sources []TransferID
		opt     Options
		field   string
	}{
		{"unknown rule", []TransferID{1}, with(func(o *Options) { o.Rule = "lifo" }), "rule"},
		{"lower-case currency", []TransferID{1}, with(func(o *Options) { o.Currency = "eur" }), "currency"},
		{"no currency", []TransferID{1}, with(func(o *Options) { o.Currency = "" }), "currency"},
		{"negative max hops", []TransferID{1}, with(func(o *Options) { o.MaxHops = -1 }), "max_hops"},
		{"negative dust", []TransferID{1}, with(func(o *Options) { o.Dust = -1 }), "dust"},
		{"no source", nil, ok, "sources"},
		{"too many sources", many, ok, "sources"},
		{"a source twice", []TransferID{1, 1}, ok, "sources[1]"},
		{"a source to itself", []TransferID{2}, ok, "sources[0]"},
		{"a source after until", []TransferID{1}, with(func(o *Options) { o.Until = day0 }), "sources[0]"},
		{"a source out of a traced account", []TransferID{1, 4}, ok, "sources[1]"},
		{"max hops too large", []TransferID{1}, with(func(o *Options) { o.MaxHops = MaxMaxHops + 1 }), "max_hops"},
	}
	for _, c := range cases {
		_, err := Trace(t.Context(), newMemLedger(ms, nil), oneCurrency{}, c.sources, c.opt)
		var oe *OptionError
		if !errors.As(err, &oe) || oe.Field != c.field {
			t.Errorf("%s: Trace = %v, want an *OptionError on %s", c.name, err, c.field)
		}
	}
	_, err := Trace(t.Context(), newMemLedger(ms, nil), oneCurrency{}, []TransferID{99}, ok)
	if !errors.Is(err, ErrUnknownTransfer) || !strings.Contains(err.Error(), "sources[0]") {
		t.Errorf("Trace from an unknown transfer = %v, want ErrUnknownTransfer on sources[0]", err)
	}
}

func TestTraceCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err := Trace(ctx, newMemLedger([]Movement{tx(1, 1, V, A, 100)}, nil), oneCurrency{}, []TransferID{1}, Options{Rule: FIFO, Currency: "EUR"})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Trace with a cancelled context = %v, want context.Canceled", err)
	}
}

func TestRules(t *testing.T) {
	for _, r := range Rules() {
		if !r.Valid() || r.Title() == "" {
			t.Errorf("rule %q: Valid %v, Title %q", r, r.Valid(), r.Title())
		}
	}
	if Rule("lifo").Valid() || Rule("lifo").Title() != "" {
		t.Error(`Rule("lifo") is valid or titled`)
	}
}
