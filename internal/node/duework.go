package node

import (
	"context"
	"log/slog"
	"sync"
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
	next   func(ctx context.Context) (time.Time, bool, error)
	do     func(context.Context, T)
	now    func() time.Time
	log    *slog.Logger
	name   string
}

// run takes due items until ctx ends. Workers take items as they come, so
// one slow item does not hold back the others; an item being worked on
// stays due until it is done, so a worker's wake-up, not the timer, says
// when to look again.
func (w dueWork[T]) run(ctx context.Context) error {
	var inflight sync.Map
	work := make(chan T)
	var wg sync.WaitGroup
	for range w.workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for item := range work {
				w.do(ctx, item)
				inflight.Delete(w.id(item))
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
		due, err := w.due(ctx, w.now(), w.batch)
		if err != nil && ctx.Err() == nil {
			w.log.ErrorContext(ctx, w.name, "err", err)
		}
		for _, item := range due {
			if _, busy := inflight.LoadOrStore(w.id(item), true); busy {
				continue
			}
			select {
			case work <- item:
			case <-ctx.Done():
				return nil
			}
		}
		wait := time.Minute
		if next, ok, err := w.next(ctx); err == nil && ok {
			if d := next.Sub(w.now()); d > 0 {
				wait = min(d, time.Minute)
			} else if len(due) < w.batch {
				wait = time.Second
			} else {
				wait = 0
			}
		}
		timer.Reset(wait)
	}
}
