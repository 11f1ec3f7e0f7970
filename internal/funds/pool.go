package funds

import (
	"math/bits"
	"sort"
)

// part is an amount of funds of one kind: traced funds of one victim
// payment (origin) that reached an account depth transfers after it,
// or funds the trace does not follow (depth 0).
type part struct {
	origin TransferID
	amount int64
	depth  int32
}

func (p part) traced() bool { return p.depth > 0 }

// pool is what a touched account holds, as the rule sees it.
//
// Under FIFO, lots holds parts in the order they arrived from head on;
// adjacent parts of the same kind merge. Under ProRata and LIBR, lots
// holds one part per origin, sorted by origin, and untraced the rest.
type pool struct {
	rule     Rule
	balance  int64
	untraced int64
	lots     []part
	head     int
}

// take removes amount from the pool by the rule and appends what
// leaves to out, in the order it leaves. When amount exceeds the
// balance, all of it leaves, and the excess is returned as the
// shortfall and appended as untraced funds: a payment the records do
// not explain came from funds outside them.
func (p *pool) take(amount int64, out []part) ([]part, int64) {
	if amount >= p.balance {
		short := amount - p.balance
		out = p.takeAll(out)
		if short > 0 {
			out = append(out, part{amount: short})
		}
		return out, short
	}
	if amount <= 0 {
		return out, 0
	}
	p.balance -= amount
	switch p.rule {
	case FIFO:
		rest := amount
		for rest > 0 {
			l := &p.lots[p.head]
			x := min(l.amount, rest)
			out = append(out, part{origin: l.origin, amount: x, depth: l.depth})
			l.amount -= x
			rest -= x
			if l.amount == 0 {
				p.head++
			}
		}
		if p.head > 32 && p.head*2 > len(p.lots) {
			n := copy(p.lots, p.lots[p.head:])
			p.lots = p.lots[:n]
			p.head = 0
		}
		return out, 0
	case ProRata:
		// Each origin leaves in the proportion the balance holds it,
		// rounded down; the untraced funds make up the rest of the
		// payment. Only when they are too few do the origins with the
		// largest remainders give one millionth more each.
		start := len(out)
		before := p.balance + amount
		var sum int64
		for _, s := range p.lots {
			x := mulDiv(s.amount, amount, before)
			out = append(out, part{origin: s.origin, amount: x, depth: s.depth})
			sum += x
		}
		u := min(p.untraced, amount-sum)
		left := amount - sum - u
		p.untraced -= u
		p.topUp(out[start:], left, amount, before)
		p.debit(out[start:])
		if u > 0 {
			out = append(out, part{amount: u})
		}
		return out, 0
	default: // LIBR
		// The holder's own funds leave first; traced funds leave only
		// once those are gone, shared between origins pro rata.
		u := min(p.untraced, amount)
		p.untraced -= u
		if u > 0 {
			out = append(out, part{amount: u})
		}
		r := amount - u
		if r == 0 {
			return out, 0
		}
		start := len(out)
		traced := p.balance - p.untraced + r // traced funds before the payment
		var sum int64
		for _, s := range p.lots {
			x := mulDiv(s.amount, r, traced)
			out = append(out, part{origin: s.origin, amount: x, depth: s.depth})
			sum += x
		}
		p.topUp(out[start:], r-sum, r, traced)
		p.debit(out[start:])
		return out, 0
	}
}

// topUp adds left millionths to taken (parallel to p.lots), one to
// each origin in the order of the largest remainder of its share
// (s×num/den), then of origin, never beyond what the origin holds. The
// floors of the shares leave less than one millionth per origin, so
// left is at most the number of origins with a remainder.
func (p *pool) topUp(taken []part, left, num, den int64) {
	if left <= 0 {
		return
	}
	idx := make([]int, 0, len(taken))
	rem := make([]uint64, len(taken))
	for i, s := range p.lots {
		if taken[i].amount < s.amount {
			idx = append(idx, i)
			hi, lo := bits.Mul64(uint64(s.amount), uint64(num))
			_, rem[i] = bits.Div64(hi, lo, uint64(den))
		}
	}
	sort.SliceStable(idx, func(a, b int) bool { return rem[idx[a]] > rem[idx[b]] })
	for left > 0 {
		moved := false
		for _, i := range idx {
			if left == 0 {
				break
			}
			if taken[i].amount < p.lots[i].amount {
				taken[i].amount++
				left--
				moved = true
			}
		}
		if !moved {
			// Unreachable while the balance is the sum of the
			// parts; the untraced funds absorb it rather than
			// create traced funds.
			p.untraced -= left
			return
		}
	}
}

// debit removes the parts taken from the origins and drops the empty
// ones.
func (p *pool) debit(taken []part) {
	n := 0
	for i, s := range p.lots {
		s.amount -= taken[i].amount
		if s.amount > 0 {
			p.lots[n] = s
			n++
		}
	}
	p.lots = p.lots[:n]
}

func (p *pool) takeAll(out []part) []part {
	if p.rule == FIFO {
		for _, l := range p.lots[p.head:] {
			if l.amount > 0 {
				out = append(out, l)
			}
		}
	} else {
		if p.untraced > 0 {
			out = append(out, part{amount: p.untraced})
		}
		for _, l := range p.lots {
			if l.amount > 0 {
				out = append(out, l)
			}
		}
	}
	p.lots, p.head, p.untraced, p.balance = p.lots[:0], 0, 0, 0
	return out
}

// put adds a part to the pool; it reports false if the balance would
// overflow.
func (p *pool) put(x part) bool {
	if x.amount <= 0 {
		return true
	}
	if p.balance > maxInt64-x.amount {
		return false
	}
	p.balance += x.amount
	if p.rule == FIFO {
		if n := len(p.lots); n > p.head {
			last := &p.lots[n-1]
			if last.depth == x.depth && (last.origin == x.origin || !x.traced()) {
				last.amount += x.amount
				return true
			}
		}
		if !x.traced() {
			x.origin = 0
		}
		p.lots = append(p.lots, x)
		return true
	}
	if !x.traced() {
		p.untraced += x.amount
		return true
	}
	i := sort.Search(len(p.lots), func(i int) bool { return p.lots[i].origin >= x.origin })
	if i < len(p.lots) && p.lots[i].origin == x.origin {
		p.lots[i].amount += x.amount
		// An origin that reached the account by two paths counts as
		// the farther one: the trace never follows it beyond MaxHops.
		p.lots[i].depth = max(p.lots[i].depth, x.depth)
		return true
	}
	p.lots = append(p.lots, part{})
	copy(p.lots[i+1:], p.lots[i:])
	p.lots[i] = x
	return true
}

// tracedParts returns the traced funds the pool holds.
func (p *pool) tracedParts() []part {
	var out []part
	for _, l := range p.lots[p.head:] {
		if l.traced() && l.amount > 0 {
			out = append(out, l)
		}
	}
	return out
}

const maxInt64 = 1<<63 - 1

// mulDiv returns a×b/c rounded down, for 0 ≤ a, b ≤ c: exact in 128
// bits, so no share is lost to overflow.
func mulDiv(a, b, c int64) int64 {
	hi, lo := bits.Mul64(uint64(a), uint64(b))
	q, _ := bits.Div64(hi, lo, uint64(c))
	return int64(q)
}
