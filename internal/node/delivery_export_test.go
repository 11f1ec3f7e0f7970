package node

import (
	"context"

	"entraide/internal/store"
)

// DueMessages is what one round of the delivery loop takes.
func (n *Node) DueMessages(ctx context.Context) ([]store.OutboxEntry, error) {
	return n.dueMessages(ctx, n.now(), deliveryBatch)
}

// Deliver makes one attempt at m, as a worker of the delivery loop does.
func (n *Node) Deliver(ctx context.Context, m store.OutboxEntry) error { return n.deliver(ctx, m) }
