package node

import (
	"context"
	"errors"
	"sync"
	"time"

	"entraide/internal/casework"
	"entraide/internal/evidence"
)

const (
	retentionBatch   = 100
	retentionWorkers = 2
)

func (n *Node) wakeRetention() {
	select {
	case n.retentionCh <- struct{}{}:
	default:
	}
}

// RunRetention disposes of evidence whose retention ended (art. 36), as
// it falls due, until ctx ends: each State's items in the name of its
// system, audited like a disposal by an official.
func (n *Node) RunRetention(ctx context.Context) error {
	if n.vault == nil {
		return nil
	}
	return dueWork[evidence.Item]{
		wake: n.retentionCh, notify: n.wakeRetention, batch: retentionBatch, workers: retentionWorkers,
		id:  func(it evidence.Item) string { return it.ID },
		due: n.dueDisposals, next: n.db.NextDisposal, do: n.disposeDue,
		now: n.now, log: n.alerts.config().Log, name: "retention",
	}.run(ctx)
}

// DisposeDue disposes of every item due now, waiting for them: one pass
// of RunRetention, for tests and tools that drive the node's clock.
func (n *Node) DisposeDue(ctx context.Context) error {
	if err := n.needVault(); err != nil {
		return err
	}
	due, err := n.dueDisposals(ctx, n.now(), retentionBatch)
	var wg sync.WaitGroup
	errs := make([]error, len(due))
	for i, it := range due {
		wg.Go(func() { errs[i] = n.disposeDue(ctx, it) })
	}
	wg.Wait()
	return errors.Join(err, errors.Join(errs...))
}

func (n *Node) dueDisposals(ctx context.Context, now time.Time, limit int) ([]evidence.Item, error) {
	due, err := n.db.DueDisposals(ctx, now, limit)
	return due, n.readable(ctx, err)
}

func (n *Node) disposeDue(ctx context.Context, it evidence.Item) error {
	if !it.Due(n.now()) {
		return nil
	}
	why := "retention ended on " + it.Expires().Format(time.DateOnly)
	if it.RetainUntil == nil || it.PolicyUntil != nil && it.PolicyUntil.Before(*it.RetainUntil) {
		why += ", by the State's retention policy for personal data"
	}
	_, err := n.dispose(ctx, casework.System(it.State), it, why+" (art. 36)")
	return err
}
