package store_test

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"testing"
	"time"

	"entraide/internal/store"
	"entraide/internal/store/storetest"
)

// claimQueue queues msgs in one transaction, for VNM unless they say.
func claimQueue(t *testing.T, db *store.DB, t0 time.Time, msgs ...store.OutboxEntry) {
	t.Helper()
	err := db.Tx(context.Background(), func(tx *store.Tx) error {
		for _, m := range msgs {
			if m.Recipient == "" {
				m.Recipient = "VNM"
			}
			m.Type, m.Envelope = "request.event", []byte("{}")
			if err := tx.Enqueue(context.Background(), m); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// lone is the i-th message of no request, created i ms after t0.
func lone(i int, t0 time.Time) store.OutboxEntry {
	return store.OutboxEntry{ID: fmt.Sprintf("00000000-0000-4000-8000-%012d", i), CreatedAt: t0.Add(time.Duration(i) * time.Millisecond)}
}

// TestClaimDueMessagesConcurrently: replicas claiming at once from one
// outbox each get different messages, and between them every due message
// once; none waits for another's locks.
func TestClaimDueMessagesConcurrently(t *testing.T) {
	const queued, claimers = 400, 4
	ctx := context.Background()
	db := storetest.Open(t, "postgres")
	t0 := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	var msgs []store.OutboxEntry
	for i := range queued {
		msgs = append(msgs, lone(i, t0))
	}
	claimQueue(t, db, t0, msgs...)
	now, lease := t0.Add(time.Hour), t0.Add(time.Hour+30*time.Second)
	var mu sync.Mutex
	claimedBy := map[string]int{}
	var wg sync.WaitGroup
	errs := make(chan error, claimers)
	for c := range claimers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				got, err := db.ClaimDueMessages(ctx, now, lease, 7)
				if err != nil {
					errs <- err
					return
				}
				if len(got) == 0 {
					return
				}
				mu.Lock()
				for _, m := range got {
					if other, ok := claimedBy[m.ID]; ok {
						errs <- fmt.Errorf("message %s claimed by claimers %d and %d", m.ID, other, c)
					}
					claimedBy[m.ID] = c
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if len(claimedBy) != queued {
		t.Errorf("%d messages claimed, want every one of the %d queued", len(claimedBy), queued)
	}
	for _, m := range msgs {
		cur, err := db.OutboxMessage(ctx, m.ID)
		if err != nil {
			t.Fatal(err)
		}
		if cur.Attempts != 1 || !cur.NextAttempt.Equal(lease) {
			t.Fatalf("message %s after its claim: attempts %d, next attempt %s; want 1 and the lease's end, %s", m.ID, cur.Attempts, cur.NextAttempt, lease)
		}
	}
}

// TestClaimDueMessagesSkipsLockedRows: a message another transaction
// holds locked (another replica claiming it) is passed over at once, and
// the next due ones are claimed instead, in DueMessages' order: the
// higher priority first, then the oldest.
func TestClaimDueMessagesSkipsLockedRows(t *testing.T) {
	ctx := context.Background()
	db := storetest.Open(t, "postgres")
	t0 := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	pressing := lone(3, t0)
	pressing.Priority = 1
	claimQueue(t, db, t0, lone(0, t0), lone(1, t0), lone(2, t0), pressing)
	now, lease := t0.Add(time.Hour), t0.Add(time.Hour+30*time.Second)
	var got []store.OutboxEntry
	err := db.Tx(ctx, func(tx *store.Tx) error {
		if _, err := tx.OutboxMessageForUpdate(ctx, lone(0, t0).ID); err != nil {
			return err
		}
		// Were the locked row waited for, this would wait for the
		// transaction that holds it, which waits for this call.
		cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		var err error
		got, err = db.ClaimDueMessages(cctx, now, lease, 2)
		return err
	})
	if err != nil {
		t.Fatalf("claiming while message 0 is locked: %v", err)
	}
	var ids []string
	for _, m := range got {
		ids = append(ids, m.ID)
		if m.Attempts != 0 || !m.NextAttempt.Equal(m.CreatedAt) {
			t.Errorf("claimed message %s returned with attempts %d, next attempt %s; want the row as before its claim: 0, %s", m.ID, m.Attempts, m.NextAttempt, m.CreatedAt)
		}
	}
	if want := []string{pressing.ID, lone(1, t0).ID}; fmt.Sprint(ids) != fmt.Sprint(want) {
		t.Errorf("claimed %v while message 0 was locked, want %v: the pressing one, then the oldest not locked", ids, want)
	}
	rest, err := db.ClaimDueMessages(ctx, now, lease, 10)
	if err != nil {
		t.Fatal(err)
	}
	ids = ids[:0]
	for _, m := range rest {
		ids = append(ids, m.ID)
	}
	sort.Strings(ids)
	if want := []string{lone(0, t0).ID, lone(2, t0).ID}; fmt.Sprint(ids) != fmt.Sprint(want) {
		t.Errorf("claimed %v once the lock was released, want %v", ids, want)
	}
}

// TestClaimDueMessagesOneAtATimePerRequest: a request's second message is
// not claimed while its first, claimed by another replica, is not
// delivered, even once the second is due; it is claimed once the first is
// delivered.
func TestClaimDueMessagesOneAtATimePerRequest(t *testing.T) {
	ctx := context.Background()
	db := storetest.Open(t, "postgres")
	t0 := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	first, second := lone(0, t0), lone(1, t0)
	first.RequestID, second.RequestID = "r1", "r1"
	claimQueue(t, db, t0, first, second)
	now := t0.Add(time.Hour)
	got, err := db.ClaimDueMessages(ctx, now, now.Add(30*time.Second), 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].ID != first.ID {
		t.Fatalf("claimed %d messages (%v), want the request's first alone, %s", len(got), got, first.ID)
	}
	// The first's lease is over, and the first is still not delivered.
	later := now.Add(time.Minute)
	if err := db.RetryLater(ctx, first.ID, 1, later.Add(time.Hour), "peer down"); err != nil {
		t.Fatal(err)
	}
	got, err = db.ClaimDueMessages(ctx, later, later.Add(30*time.Second), 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 0 {
		t.Fatalf("claimed %s while the request's first message is not delivered; want nothing", got[0].ID)
	}
	err = db.Tx(ctx, func(tx *store.Tx) error { return tx.MarkDelivered(ctx, first.ID, later, []byte("{}"), 1) })
	if err != nil {
		t.Fatal(err)
	}
	got, err = db.ClaimDueMessages(ctx, later, later.Add(30*time.Second), 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].ID != second.ID {
		t.Fatalf("claimed %d messages once the first was delivered, want the second alone, %s", len(got), second.ID)
	}
}
