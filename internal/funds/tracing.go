package funds

import (
	"cmp"
	"container/heap"
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"time"
)

// PageSize is how many movements a trace reads from a Ledger at once
// for one account.
const PageSize = 256

// Trace follows the funds of the victim payments sources forward
// through the transfers l holds, by opt.Rule, and says where they are
// now.
//
// Every amount is converted by rates into opt.Currency at its
// transfer's date (its opening's, for an opening balance); the trace
// computes in int64 millionths of that currency, exactly: Holdings and
// Dust add up to Traced, no millionth lost or made.
//
// A victim payment puts its whole amount, as traced funds of that
// origin, into the account it paid at its time; the victim's own
// account is not traced. The trace then takes every movement of every
// touched account in one order of time (At, then ID), a transfer once
// even when both its accounts are touched. An account is touched when
// traced funds first enter it: its history before that moment is then
// replayed as funds the trace does not follow (from its latest opening
// balance, when the Ledger gives one at or before that moment, else
// from its first movement), so that its balance is right, and from
// then on its movements are followed. What the trace holds in memory is
// the touched accounts and a page of each one's movements: bounded by
// the traced part of the graph, never the whole.
//
// When a touched account pays out, opt.Rule says which of its funds
// leave:
//
//   - FIFO: funds leave in the order they arrived; each traced lot
//     keeps its origin.
//   - ProRata: a payment carries each origin's traced funds in the
//     proportion the balance holds them, rounded down to the millionth;
//     the untraced funds make up the rest, and only when they are too
//     few do the origins with the largest remainders give one
//     millionth more.
//   - LIBR: the holder's other funds leave first; traced funds leave
//     only when those are exhausted, shared between origins pro rata.
//     What stays traced never exceeds the lowest balance since, and a
//     later deposit does not refill it: the deposit is the holder's.
//
// A payment larger than the balance the records give is presumed to
// take funds from outside the records: the excess leaves as untraced
// funds and is recorded as a Shortfall, which tells the official a
// record is missing.
//
// A transfer's traced funds of one origin smaller than opt.Dust are not
// followed: they are counted in Result.Dust and reach the payee as
// untraced funds. Depth is counted per lot under FIFO and per origin
// in each account under ProRata and LIBR (the farther path, when an
// origin reaches an account by two): the victim payment's funds are at
// depth 1 in the account it paid, and a transfer carries funds at one
// more than the depth they had in the paying account. Funds that reach
// an account at depth opt.MaxHops are not followed further: they stay
// in its holding, and the trace counts them among the account's other
// funds from then on, so its later payments are not taken for missing
// records. Movements after opt.Until, when set, are not taken.
//
// Funds may come back to an account they left; each return is a hop. A
// transfer of an account to itself is a hop too: it leaves the balance
// as it was (under FIFO, the funds it moves count as arriving anew),
// and one larger than the balance is recorded as a shortfall but
// brings nothing in.
//
// Trace returns an *OptionError for bad options or sources (none, more
// than MaxSources, one given twice, a victim payment from an account to
// itself or out of an account the trace already follows, or one after
// opt.Until), an error wrapping ErrUnknownTransfer for a source l does
// not hold, one wrapping ErrNoRate for an amount rates cannot convert,
// ctx's error when it is cancelled, and l's errors.
func Trace(ctx context.Context, l Ledger, rates Rates, sources []TransferID, opt Options) (*Result, error) {
	return trace(ctx, l, rates, sources, opt, PageSize)
}

// trace is Trace reading pages of page movements, so that tests cross
// the pages' bounds in small graphs.
func trace(ctx context.Context, l Ledger, rates Rates, sources []TransferID, opt Options, page int) (*Result, error) {
	if err := opt.Validate(); err != nil {
		return nil, err
	}
	opt = opt.withDefaults()
	switch {
	case len(sources) == 0:
		return nil, &OptionError{"sources", "no victim payment: give at least one transfer to trace from"}
	case len(sources) > MaxSources:
		return nil, &OptionError{"sources", fmt.Sprintf("%d victim payments: trace at most %d at once", len(sources), MaxSources)}
	}
	t := &tracer{
		ctx: ctx, l: l, rates: rates, opt: opt, pageSize: page,
		accounts: make(map[AccountID]*account),
		sources:  make(map[TransferID]int, len(sources)),
		parked:   make(map[AccountID][]part),
		sums:     make(map[TransferID]int64),
		res:      &Result{Options: opt, Sources: slices.Clone(sources), Hops: []Hop{}, Holdings: []Holding{}},
	}
	srcs := make([]Movement, 0, len(sources))
	for i, id := range sources {
		field := fmt.Sprintf("sources[%d]", i)
		if _, ok := t.sources[id]; ok {
			return nil, &OptionError{field, fmt.Sprintf("transfer %d is given twice: give each victim payment once", id)}
		}
		t.sources[id] = i
		m, err := l.Transfer(ctx, id)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", field, err)
		}
		t.res.Read++
		switch {
		case m.From == m.To:
			return nil, &OptionError{field, fmt.Sprintf("transfer %d is from an account to itself: a victim payment leaves the victim's account", id)}
		case m.Amount < 0:
			return nil, fmt.Errorf("%s: transfer %d has a negative amount", field, id)
		case !opt.Until.IsZero() && m.At.After(opt.Until):
			return nil, &OptionError{field, fmt.Sprintf("transfer %d is after until (%s): set until later or leave it out", id, opt.Until.UTC().Format(time.RFC3339))}
		}
		srcs = append(srcs, m)
	}
	slices.SortFunc(srcs, func(a, b Movement) int { return compareKey(key(a), key(b)) })
	if err := t.run(srcs); err != nil {
		return nil, err
	}
	t.finish()
	return t.res, nil
}

// account is a touched account: its pool and where the trace is in its
// movements.
type account struct {
	id    AccountID
	pool  pool
	page  []Movement
	pos   int
	after Cursor
	last  bool   // the ledger has no movements after page
	next  Cursor // page[pos]'s, the heap's key
	index int    // in the tracer's heap; -1 once its movements are all taken
}

type tracer struct {
	ctx      context.Context
	l        Ledger
	rates    Rates
	opt      Options
	pageSize int
	res      *Result
	accounts map[AccountID]*account
	heap     accountHeap
	sources  map[TransferID]int   // the place of each in the list given
	parked   map[AccountID][]part // funds that reached MaxHops, by account
	done     Cursor               // the last movement taken
	started  bool
	parts    []part               // scratch
	sums     map[TransferID]int64 // scratch
}

func (t *tracer) run(srcs []Movement) error {
	for steps := 0; ; steps++ {
		if steps%1024 == 0 {
			if err := t.ctx.Err(); err != nil {
				return err
			}
		}
		var m Movement
		switch {
		case len(srcs) > 0 && (len(t.heap) == 0 || compareKey(key(srcs[0]), t.heap.head()) <= 0):
			m, srcs = srcs[0], srcs[1:]
		case len(t.heap) > 0:
			a := t.heap[0]
			m = a.page[a.pos]
			a.pos++
			if err := t.fill(a); err != nil {
				return err
			}
			if a.pos < len(a.page) {
				a.next = key(a.page[a.pos])
				heap.Fix(&t.heap, 0)
			} else {
				heap.Pop(&t.heap)
			}
		default:
			return nil
		}
		if !t.opt.Until.IsZero() && m.At.After(t.opt.Until) {
			return nil
		}
		k := key(m)
		if t.started && compareKey(k, t.done) <= 0 {
			continue // the same transfer, seen from its other account
		}
		t.done, t.started = k, true
		if err := t.move(m); err != nil {
			return err
		}
	}
}

// move takes one transfer.
func (t *tracer) move(m Movement) error {
	if m.Amount < 0 {
		return fmt.Errorf("transfer %d has a negative amount", m.ID)
	}
	amount, err := t.convert(m.ID, m.Amount, m.Currency, m.At)
	if err != nil {
		return err
	}
	parts := t.parts[:0]
	if i, ok := t.sources[m.ID]; ok {
		if _, ok := t.accounts[m.From]; ok {
			return &OptionError{fmt.Sprintf("sources[%d]", i), fmt.Sprintf("transfer %d is paid out of account %d, which already holds traced funds of another victim payment: trace from the earlier payment alone", m.ID, m.From)}
		}
		if t.res.Traced > maxInt64-amount {
			return errors.New("sources: the victim payments together are too large to compute with")
		}
		t.res.Traced += amount
		parts = append(parts, part{origin: m.ID, amount: amount, depth: 1})
	} else if from, ok := t.accounts[m.From]; ok {
		var short int64
		parts, short = from.pool.take(amount, parts)
		if short > 0 {
			t.res.Shortfalls = append(t.res.Shortfalls, Shortfall{Account: m.From, Transfer: m.ID, At: m.At, Amount: short})
			if m.From == m.To {
				// A transfer to itself moves nothing in: the funds
				// from outside the records it presumes do not stay.
				parts = parts[:len(parts)-1]
			}
		}
		for i := range parts {
			if parts[i].traced() {
				parts[i].depth++
			}
		}
	} else {
		parts = append(parts, part{amount: amount})
	}
	t.parts = parts
	t.dust(parts)

	var carried int64
	var depth int32
	for _, p := range parts {
		if p.traced() {
			carried += p.amount
			depth = max(depth, p.depth)
		}
	}
	if carried > 0 {
		t.res.Hops = append(t.res.Hops, Hop{Transfer: m.ID, From: m.From, To: m.To, At: m.At, Depth: int(depth), Amount: amount, Traced: carried})
	}
	follow := false
	for i := range parts {
		if !parts[i].traced() {
			continue
		}
		if parts[i].depth >= int32(t.opt.MaxHops) {
			t.park(m.To, parts[i])
			parts[i].depth, parts[i].origin = 0, 0
		} else {
			follow = true
		}
	}
	to, ok := t.accounts[m.To]
	if !ok {
		if !follow {
			return nil
		}
		if to, err = t.touch(m.To, key(m)); err != nil {
			return err
		}
	}
	for _, p := range parts {
		if !to.pool.put(p) {
			return fmt.Errorf("account %d: its balance after transfer %d is too large to compute with", m.To, m.ID)
		}
	}
	return nil
}

// dust turns the traced funds of each origin smaller than opt.Dust into
// untraced funds, counted in Result.Dust.
func (t *tracer) dust(parts []part) {
	if t.opt.Rule == FIFO && len(parts) > 1 {
		// Under FIFO a payment may take several lots of one origin:
		// the share is their sum.
		clear(t.sums)
		for _, p := range parts {
			if p.traced() {
				t.sums[p.origin] += p.amount
			}
		}
		for i, p := range parts {
			if p.traced() && t.sums[p.origin] < t.opt.Dust {
				t.res.Dust += p.amount
				parts[i].depth, parts[i].origin = 0, 0
			}
		}
		return
	}
	for i, p := range parts {
		if p.traced() && p.amount < t.opt.Dust {
			t.res.Dust += p.amount
			parts[i].depth, parts[i].origin = 0, 0
		}
	}
}

func (t *tracer) park(id AccountID, p part) {
	ps := t.parked[id]
	for i := range ps {
		if ps[i].origin == p.origin {
			ps[i].amount += p.amount
			return
		}
	}
	t.parked[id] = append(ps, part{origin: p.origin, amount: p.amount, depth: p.depth})
}

// touch starts following account id at the movement k: it replays the
// account's history before k as untraced funds.
func (t *tracer) touch(id AccountID, k Cursor) (*account, error) {
	a := &account{id: id, index: -1, pool: pool{rule: t.opt.Rule}}
	op, ok, err := t.l.Opening(t.ctx, id)
	if err != nil {
		return nil, fmt.Errorf("account %d: opening balance: %w", id, err)
	}
	var balance int64
	if ok && !op.At.After(k.At) {
		if balance, err = t.rates.Convert(op.Amount, op.Currency, op.At); err != nil {
			return nil, fmt.Errorf("account %d: opening balance: %w", id, err)
		}
		balance = max(balance, 0)
		// Movements at the opening's time count after it: a statement's
		// opening balance is the one before its entries.
		a.after = Cursor{At: op.At.Add(-time.Nanosecond), ID: math.MaxInt64}
	}
	for {
		if err := t.fill(a); err != nil {
			return nil, err
		}
		if a.pos == len(a.page) {
			break
		}
		m := a.page[a.pos]
		if compareKey(key(m), k) >= 0 {
			break
		}
		a.pos++
		if m.From == m.To {
			continue
		}
		if m.Amount < 0 {
			return nil, fmt.Errorf("transfer %d has a negative amount", m.ID)
		}
		x, err := t.convert(m.ID, m.Amount, m.Currency, m.At)
		if err != nil {
			return nil, err
		}
		if m.To == id {
			if balance > maxInt64-x {
				return nil, fmt.Errorf("account %d: its balance after transfer %d is too large to compute with", id, m.ID)
			}
			balance += x
		} else {
			// An overdraft in history is funds outside the records,
			// as for a shortfall; none of them is traced.
			balance = max(balance-x, 0)
		}
	}
	a.pool.put(part{amount: balance})
	t.accounts[id] = a
	if a.pos < len(a.page) {
		a.next = key(a.page[a.pos])
		heap.Push(&t.heap, a)
	}
	return a, nil
}

// fill reads the account's next page once the current one is taken.
func (t *tracer) fill(a *account) error {
	if a.pos < len(a.page) || a.last {
		return nil
	}
	page, err := t.l.Movements(t.ctx, a.id, a.after, t.pageSize)
	if err != nil {
		return fmt.Errorf("account %d: movements: %w", a.id, err)
	}
	t.res.Read += len(page)
	prev := a.after
	for _, m := range page {
		if compareKey(key(m), prev) <= 0 || (m.From != a.id && m.To != a.id) {
			return fmt.Errorf("account %d: the ledger gave transfer %d out of order or not of this account", a.id, m.ID)
		}
		prev = key(m)
	}
	a.page, a.pos, a.last = page, 0, len(page) < t.pageSize
	if len(page) > 0 {
		a.after = prev
	}
	return nil
}

func (t *tracer) convert(id TransferID, micros int64, currency string, at time.Time) (int64, error) {
	x, err := t.rates.Convert(micros, currency, at)
	if err != nil {
		return 0, fmt.Errorf("transfer %d: %w", id, err)
	}
	if x < 0 {
		return 0, fmt.Errorf("transfer %d: converted to a negative amount", id)
	}
	return x, nil
}

// finish gathers the holdings.
func (t *tracer) finish() {
	by := make(map[AccountID][]part)
	for id, a := range t.accounts {
		if ps := a.pool.tracedParts(); len(ps) > 0 {
			by[id] = ps
		}
	}
	for id, ps := range t.parked {
		by[id] = append(by[id], ps...)
	}
	for id, ps := range by {
		slices.SortFunc(ps, func(a, b part) int { return cmp.Compare(a.origin, b.origin) })
		h := Holding{Account: id}
		for _, p := range ps {
			h.Traced += p.amount
			if n := len(h.ByOrigin); n > 0 && h.ByOrigin[n-1].Origin == p.origin {
				h.ByOrigin[n-1].Amount += p.amount
			} else {
				h.ByOrigin = append(h.ByOrigin, Share{Origin: p.origin, Amount: p.amount})
			}
		}
		t.res.Holdings = append(t.res.Holdings, h)
	}
	slices.SortFunc(t.res.Holdings, func(a, b Holding) int {
		if c := cmp.Compare(b.Traced, a.Traced); c != 0 {
			return c
		}
		return cmp.Compare(a.Account, b.Account)
	})
}

func key(m Movement) Cursor { return Cursor{At: m.At, ID: m.ID} }

func compareKey(a, b Cursor) int {
	if c := a.At.Compare(b.At); c != 0 {
		return c
	}
	return cmp.Compare(a.ID, b.ID)
}

// accountHeap orders touched accounts by their next movement.
type accountHeap []*account

func (h accountHeap) head() Cursor { return h[0].next }
func (h accountHeap) Len() int     { return len(h) }
func (h accountHeap) Less(i, j int) bool {
	return compareKey(h[i].next, h[j].next) < 0
}
func (h accountHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index, h[j].index = i, j
}
func (h *accountHeap) Push(x any) {
	a := x.(*account)
	a.index = len(*h)
	*h = append(*h, a)
}
func (h *accountHeap) Pop() any {
	old := *h
	a := old[len(old)-1]
	old[len(old)-1] = nil
	a.index = -1
	*h = old[:len(old)-1]
	return a
}
