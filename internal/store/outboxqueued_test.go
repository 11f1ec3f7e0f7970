package store_test

import (
	"context"
	"testing"
	"time"

	"entraide/internal/store"
	"entraide/internal/store/storetest"
)

// TestOutboxQueued: the outbox's depth and the time its oldest message
// was queued; none and no time for an empty outbox.
func TestOutboxQueued(t *testing.T) {
	for _, backend := range storetest.Backends {
		t.Run(backend, func(t *testing.T) {
			ctx := context.Background()
			db := storetest.Open(t, backend)
			if n, oldest, err := db.OutboxQueued(ctx); err != nil || n != 0 || !oldest.IsZero() {
				t.Fatalf("empty outbox: %d, %v, %v; want 0 and no oldest", n, oldest, err)
			}
			t0 := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
			for i, id := range []string{"00000000-0000-4000-8000-000000000001", "00000000-0000-4000-8000-000000000002"} {
				m := store.OutboxEntry{ID: id, Recipient: "VNM", RequestID: "r1", CreatedAt: t0.Add(time.Duration(i) * time.Minute),
					Type: "request.event", Envelope: []byte("{}")}
				if err := db.Tx(ctx, func(tx *store.Tx) error { return tx.Enqueue(ctx, m) }); err != nil {
					t.Fatal(err)
				}
			}
			if n, oldest, err := db.OutboxQueued(ctx); err != nil || n != 2 || !oldest.Equal(t0) {
				t.Errorf("OutboxQueued = %d, %v, %v; want 2 since %v", n, oldest, err, t0)
			}
		})
	}
}
