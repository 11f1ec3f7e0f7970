package store_test

import (
	"context"
	"testing"
	"time"

	"entraide/internal/requestid"
	"entraide/internal/store"
	"entraide/internal/store/storetest"
)

// TestOutboxOrigin: a message keeps the request id of the call whose
// transaction queued it, or the one it names; none when no call did, and
// never an id that is not a sane token, which would reach the peer.
func TestOutboxOrigin(t *testing.T) {
	for _, backend := range storetest.Backends {
		t.Run(backend, func(t *testing.T) {
			db := storetest.Open(t, backend)
			at := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
			for _, c := range []struct {
				name, ctxID, named, want string
			}{
				{"from the call", "call-1", "", "call-1"},
				{"named", "call-1", "named-2", "named-2"},
				{"no call", "", "", ""},
				{"not sane", "", "bad id\nlevel=ERROR", ""},
			} {
				ctx := context.Background()
				if c.ctxID != "" {
					ctx = requestid.With(ctx, c.ctxID)
				}
				id := requestid.New()
				m := store.OutboxEntry{ID: id, Recipient: "VNM", Type: "request.event", Envelope: []byte("{}"), CreatedAt: at, OriginRequestID: c.named}
				if err := db.Tx(ctx, func(tx *store.Tx) error { return tx.Enqueue(ctx, m) }); err != nil {
					t.Fatalf("%s: %v", c.name, err)
				}
				got, err := db.OutboxMessage(ctx, id)
				if err != nil {
					t.Fatalf("%s: %v", c.name, err)
				}
				if got.OriginRequestID != c.want {
					t.Errorf("%s: origin %q, want %q", c.name, got.OriginRequestID, c.want)
				}
				due, err := db.DueMessages(ctx, at, 10)
				if err != nil {
					t.Fatal(err)
				}
				for _, d := range due {
					if d.ID == id && d.OriginRequestID != c.want {
						t.Errorf("%s: due with origin %q, want %q", c.name, d.OriginRequestID, c.want)
					}
				}
			}
		})
	}
}
