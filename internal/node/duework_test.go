package node

import (
	"context"
	"errors"
	"log/slog"
	"strconv"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
)

// An item whose outcome cannot be written stays due in the database. The
// loop, woken by its worker, took it again at once, again and again; it
// now holds it back, a second and then twice as long after each failure.
func TestDueWorkHoldsBackWhatCannotBeWritten(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		var calls atomic.Int32
		wake := make(chan struct{}, 1)
		w := dueWork[string]{
			wake: wake, notify: func() {
				select {
				case wake <- struct{}{}:
				default:
				}
			},
			batch: 64, workers: 2,
			id:  func(s string) string { return s },
			due: func(context.Context, time.Time, int) ([]string, error) { return []string{"m"}, nil },
			next: func(context.Context) (time.Time, bool, error) {
				return time.Now().Add(-time.Hour), true, nil // overdue, as the database says
			},
			do: func(context.Context, string) error {
				if calls.Add(1) >= 100 {
					cancel() // a loop that spins would never let the clock move
				}
				return errors.New("the store refuses the write")
			},
			now: time.Now, log: slog.New(slog.DiscardHandler), name: "test",
		}
		done := make(chan error)
		go func() { done <- w.run(ctx) }()
		time.Sleep(time.Minute)
		cancel()
		<-done
		// Tried at 0, 1, 3, 7, 15 and 31 s; the next would be at 63 s.
		if n := calls.Load(); n < 5 || n > 7 {
			t.Errorf("an item that cannot be written was tried %d times in a minute, want about 6, each wait twice the last", n)
		}
	})
}

// A loop whose due claims what it returns asks for no more items than its
// idle workers start at once: an item claimed and left waiting for a
// worker would wait for its lease, and another replica could not take it.
// Its workers still stay busy.
func TestDueWorkClaimsOnlyForIdleWorkers(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const workers = 3
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		var claimed, done, overclaims, asked atomic.Int32
		var seq atomic.Int32
		wake := make(chan struct{}, 1)
		w := dueWork[string]{
			wake: wake, notify: func() {
				select {
				case wake <- struct{}{}:
				default:
				}
			},
			batch: 64, workers: workers, claims: true,
			id: func(s string) string { return s },
			due: func(_ context.Context, _ time.Time, limit int) ([]string, error) {
				asked.Add(1)
				if int(claimed.Load())+limit > workers || limit <= 0 {
					overclaims.Add(1)
				}
				var items []string
				for range limit {
					items = append(items, strconv.Itoa(int(seq.Add(1))))
				}
				claimed.Add(int32(len(items)))
				return items, nil
			},
			next: func(context.Context) (time.Time, bool, error) {
				return time.Now().Add(-time.Hour), true, nil // more is due
			},
			do: func(context.Context, string) error {
				time.Sleep(time.Second)
				claimed.Add(-1)
				done.Add(1)
				return nil
			},
			now: time.Now, log: slog.New(slog.DiscardHandler), name: "test",
		}
		finished := make(chan error)
		go func() { finished <- w.run(ctx) }()
		time.Sleep(10 * time.Second)
		cancel()
		<-finished
		if n := overclaims.Load(); n > 0 {
			t.Errorf("due was asked %d times (of %d) for more items than idle workers, or for none", n, asked.Load())
		}
		if n := done.Load(); n < 9*workers {
			t.Errorf("%d workers did %d one-second items in 10 s, want at least %d: claims kept them idle", workers, n, 9*workers)
		}
	})
}
