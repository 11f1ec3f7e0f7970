package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"entraide/internal/store"
	"entraide/internal/store/storetest"
)

// TestDueMessagesFromALargeQueueWithoutStatistics: thousands of messages
// queued for a peer faster than PostgreSQL gathers statistics on the
// outbox (its autovacuum is off here, as it is in effect during a burst
// or a peer's outage) are still read in a fraction of a second, the
// first of a request's messages due and the others not. With no
// statistics, the planner once joined every queued message with every
// other, which took 24 s for 5,000 and held delivery back while the queue
// grew; the deadline here is far above what a query that looks each
// message's request up by index takes, and far below that.
func TestDueMessagesFromALargeQueueWithoutStatistics(t *testing.T) {
	const queued = 20000
	for _, backend := range storetest.Backends {
		t.Run(backend, func(t *testing.T) {
			ctx := context.Background()
			db := storetest.Open(t, backend)
			if backend == "postgres" {
				storetest.ExecSQL(t, db, "ALTER TABLE outbox SET (autovacuum_enabled = false)")
			}
			t0 := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
			// Request ids as long as the node's (UUIDs): with short ones the
			// planner happened to pick the right index by its size.
			r0 := "10000000-0000-4000-8000-000000000000"
			err := db.Tx(ctx, func(tx *store.Tx) error {
				// The request r0 has three messages queued, one after the
				// other; every other request has one.
				for i := range queued {
					request := fmt.Sprintf("10000000-0000-4000-8000-%012d", max(i-2, 0))
					m := store.OutboxEntry{ID: fmt.Sprintf("00000000-0000-4000-8000-%012d", i), Recipient: "VNM", RequestID: request,
						CreatedAt: t0.Add(time.Duration(i) * time.Millisecond), Type: "request.event", Envelope: []byte("{}")}
					if err := tx.Enqueue(ctx, m); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			qctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			defer cancel()
			start := time.Now()
			due, err := db.DueMessages(qctx, t0.Add(time.Hour), queued)
			if err != nil {
				t.Fatalf("DueMessages of %d queued messages: %v after %s", queued, err, time.Since(start))
			}
			if want := queued - 2; len(due) != want {
				t.Errorf("DueMessages returned %d messages, want %d: each request's first", len(due), want)
			}
			seen := map[string]string{}
			for _, m := range due {
				if other, ok := seen[m.RequestID]; ok {
					t.Fatalf("request %s has two messages due, %s and %s; want only its first", m.RequestID, other, m.ID)
				}
				seen[m.RequestID] = m.ID
			}
			if first := "00000000-0000-4000-8000-000000000000"; seen[r0] != first {
				t.Errorf("request r0's message due is %q, want its first, %s", seen[r0], first)
			}
			if backend != "postgres" {
				return
			}
			// Replicas claim what is due in one statement, under the same
			// rule: its lookup of each request's first message must use
			// the index too. The planner once looked it up among all the
			// peer's messages (outbox_peer) and claimed nothing for minutes
			// once some 20,000 were queued.
			start = time.Now()
			claimed, err := db.ClaimDueMessages(qctx, t0.Add(time.Hour), t0.Add(2*time.Hour), 64)
			if err != nil {
				t.Fatalf("ClaimDueMessages from %d queued messages: %v after %s", queued, err, time.Since(start))
			}
			if len(claimed) != 64 || claimed[0].RequestID != r0 || claimed[0].ID != "00000000-0000-4000-8000-000000000000" {
				t.Errorf("ClaimDueMessages claimed %d messages, the first %+v; want 64, r0's first first", len(claimed), claimed[0])
			}
		})
	}
}
