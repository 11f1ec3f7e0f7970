package node

import (
	"context"

	"entraide/internal/store"
)

// AlertExpired is the OnExpired a node installs by default, for tests
// that give up on a message without waiting out the outbox's expiry.
func (n *Node) AlertExpired(ctx context.Context, tx *store.Tx, m store.OutboxEntry, why string) error {
	return n.alertExpired(ctx, tx, m, why)
}

// DeliverDue makes one attempt at every message due now, waiting for
// each: one pass of RunDelivery, for tests that drive the node's clock.
func (n *Node) DeliverDue(ctx context.Context) error {
	if n.fed.Client == nil {
		n.ConfigureFederation(FederationConfig{})
	}
	due, err := n.db.DueMessages(ctx, n.now(), deliveryBatch)
	for _, m := range due {
		n.deliver(ctx, m)
	}
	return err
}
