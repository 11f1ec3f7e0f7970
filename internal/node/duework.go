package node

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
)

// dueWork is work kept in the database with due times (outbox messages,
// alert notifications): rows are written in the transaction that makes
// them, a wake-up after commit takes them at once, and a due time brings
// back the ones to retry. A crash loses nothing: what was not done is
// still due.
type dueWork[T any] struct {
	wake    <-chan struct{}
	notify  func() // wakes the loop again
	batch   int
	workers int
	id      func(T) string
	// before runs on each round, ahead of the due items.
	before func(context.Context)
	due    func(ctx context.Context, now time.Time, limit int) ([]T, error)
	// claims says that due takes the items it returns: it is asked for
	// no more than the idle workers start at once, as an item it returns
	// waits for its lease to end if it is not worked on, and every item
	// it returns is worked on.
	claims bool
	next   func(ctx context.Context) (time.Time, bool, error)
	// do works one item. An error says that it could not write the
	// outcome: the item is then held back, longer after each failure, so
	// that a store that refuses writes does not make the loop spin.
	do   func(context.Context, T) error
	now  func() time.Time
	log  *slog.Logger
	name string
}

// run takes due items until ctx ends. Workers take items as they come, so
// one slow item does not hold back the others; an item being worked on
// stays due until it is done, so a worker's wake-up, not the timer, says
// when to look again.
func (w dueWork[T]) run(ctx context.Context) error {
	var inflight sync.Map
	var held holds
	var busy atomic.Int64
	work := make(chan T)
	var wg sync.WaitGroup
	for range w.workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for item := range work {
				if err := w.do(ctx, item); err != nil && ctx.Err() == nil {
					held.fail(w.id(item), w.now())
				} else {
					held.clear(w.id(item))
				}
				inflight.Delete(w.id(item))
				busy.Add(-1)
				w.notify() // its retry, or the next item, may be due
			}
		}()
	}
	defer func() { close(work); wg.Wait() }()
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-w.wake:
		case <-timer.C:
		}
		if w.before != nil {
			w.before(ctx)
		}
		limit := w.batch
		if w.claims {
			limit = min(limit, w.workers-int(busy.Load()))
		}
		var due []T
		var err error
		if limit > 0 {
			due, err = w.due(ctx, w.now(), limit)
		}
		if err != nil && ctx.Err() == nil {
			w.log.ErrorContext(ctx, w.name, "err", err)
		}
		dispatched := 0
		for _, item := range due {
			// A claimed item is worked on even if held back: its claim
			// was written, and its lease already spaces its attempts.
			if !w.claims && held.holds(w.id(item), w.now()) {
				continue
			}
			if _, working := inflight.LoadOrStore(w.id(item), true); working {
				continue
			}
			busy.Add(1)
			select {
			case work <- item:
				dispatched++
			case <-ctx.Done():
				return nil
			}
		}
		timer.Reset(w.wait(ctx, limit, len(due), dispatched))
	}
}

// wait is how long the loop may sleep after a round that asked for limit
// items, got got and dispatched dispatched of them. When it got all it
// asked for, more may be due at once; when every worker is busy, a
// worker's wake-up comes first. Only otherwise is next asked when the
// next item falls due: it may read every item waiting (NextDue), which
// a loop draining a long queue would do once for each item.
func (w dueWork[T]) wait(ctx context.Context, limit, got, dispatched int) time.Duration {
	switch {
	case limit > 0 && got == limit && dispatched > 0:
		return 0
	case limit == 0:
		return time.Second
	}
	next, ok, err := w.next(ctx)
	if err != nil || !ok {
		return time.Minute
	}
	if d := next.Sub(w.now()); d > 0 {
		return min(d, time.Minute)
	}
	// Due, but nothing more was, or nothing that is not held back or
	// being worked on: a worker's wake-up comes sooner.
	return time.Second
}

// holds are the items whose outcome could not be written, held back in
// memory until a time that doubles with each failure, from a second up
// to MaxRetryDelay.
type holds struct {
	mu sync.Mutex
	m  map[string]hold
}

type hold struct {
	until    time.Time
	failures int
}

func (h *holds) fail(id string, now time.Time) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.m == nil {
		h.m = map[string]hold{}
	}
	f := h.m[id].failures + 1
	h.m[id] = hold{until: now.Add(min(time.Second<<min(f-1, 20), MaxRetryDelay)), failures: f}
}

func (h *holds) clear(id string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.m, id)
}

func (h *holds) holds(id string, now time.Time) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return now.Before(h.m[id].until)
}
