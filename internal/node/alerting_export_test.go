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
