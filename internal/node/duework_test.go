package node

import (
	"context"
	"errors"
	"log/slog"
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
