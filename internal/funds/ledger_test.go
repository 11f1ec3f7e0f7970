package funds

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"time"
)

// memLedger is a Ledger over transfers held in sorted slices: what a
// store gives, without the store.
type memLedger struct {
	all      []Movement // by (At, ID)
	byID     map[TransferID]int
	by       map[AccountID][]int // indexes into all, in order
	openings map[AccountID]Opening
	calls    int
}

func newMemLedger(ms []Movement, openings map[AccountID]Opening) *memLedger {
	l := &memLedger{all: slices.Clone(ms), byID: map[TransferID]int{}, by: map[AccountID][]int{}, openings: openings}
	slices.SortFunc(l.all, func(a, b Movement) int { return compareKey(key(a), key(b)) })
	for i, m := range l.all {
		l.byID[m.ID] = i
		l.by[m.From] = append(l.by[m.From], i)
		if m.To != m.From {
			l.by[m.To] = append(l.by[m.To], i)
		}
	}
	return l
}

func (l *memLedger) Transfer(_ context.Context, id TransferID) (Movement, error) {
	i, ok := l.byID[id]
	if !ok {
		return Movement{}, fmt.Errorf("transfer %d: %w", id, ErrUnknownTransfer)
	}
	return l.all[i], nil
}

func (l *memLedger) Movements(_ context.Context, a AccountID, after Cursor, limit int) ([]Movement, error) {
	l.calls++
	idx := l.by[a]
	i := sort.Search(len(idx), func(i int) bool { return compareKey(key(l.all[idx[i]]), after) > 0 })
	var out []Movement
	for ; i < len(idx) && len(out) < limit; i++ {
		out = append(out, l.all[idx[i]])
	}
	return out, nil
}

func (l *memLedger) Opening(_ context.Context, a AccountID) (Opening, bool, error) {
	o, ok := l.openings[a]
	return o, ok, nil
}

// oneCurrency converts nothing: every test amount is in EUR unless a
// test says otherwise.
type oneCurrency struct{}

func (oneCurrency) Convert(micros int64, currency string, day time.Time) (int64, error) {
	if currency != "EUR" {
		return 0, fmt.Errorf("%w for %s on %s", ErrNoRate, currency, day.Format(time.DateOnly))
	}
	return micros, nil
}

// The accounts of the hand-worked cases.
const (
	V  AccountID = 1 // the victim
	A  AccountID = 2
	B  AccountID = 3
	C  AccountID = 4
	X  AccountID = 5 // someone whose funds are not traced
	D  AccountID = 6
	V2 AccountID = 7 // a second victim
)

// unit is one whole unit of currency in millionths.
const unit = 1_000_000

var day0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// tx is transfer id from → to of amount whole units of EUR, hour hours
// after day0.
func tx(id TransferID, hour int, from, to AccountID, amount int64) Movement {
	return Movement{ID: id, At: day0.Add(time.Duration(hour) * time.Hour), From: from, To: to, Amount: amount * unit, Currency: "EUR"}
}
