package store_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"entraide/internal/store"
	"entraide/internal/store/storetest"
)

// dueIDs is the ids DueMessages returns at now, in its order.
func dueIDs(t *testing.T, db *store.DB, now time.Time) []string {
	t.Helper()
	due, err := db.DueMessages(context.Background(), now, 1000)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, m := range due {
		ids = append(ids, m.ID)
	}
	return ids
}

// TestRequestQueueAdvances: a request's messages to a peer go one at a
// time, in the order they were queued, the next once the one before was
// delivered or given up; one queued behind others waits for them all
// even if it is dated earlier (a replica whose clock is behind), as the
// peer refuses a message ahead of its sequence number; and a transaction
// that queues to more requests than it locks one by one leaves each with
// its first message due.
func TestRequestQueueAdvances(t *testing.T) {
	for _, backend := range storetest.Backends {
		t.Run(backend, func(t *testing.T) {
			ctx := context.Background()
			db := storetest.Open(t, backend)
			t0 := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
			now := t0.Add(time.Hour)
			msg := func(id, request string, at time.Duration) store.OutboxEntry {
				return store.OutboxEntry{ID: id, RequestID: request, CreatedAt: t0.Add(at)}
			}
			claimQueue(t, db, t0, msg("a1", "A", 0), msg("a2", "A", time.Second), msg("b1", "B", 2*time.Second))
			claimQueue(t, db, t0, msg("a3", "A", 3*time.Second), store.OutboxEntry{ID: "c1", RequestID: "A", Recipient: "KEN", CreatedAt: t0.Add(4 * time.Second)})
			if got, want := fmt.Sprint(dueIDs(t, db, now)), "[a1 b1 c1]"; got != want {
				t.Fatalf("due %s, want %s: each request's first to each peer", got, want)
			}
			// Dated before them all, queued after a3 while a1 waits.
			claimQueue(t, db, t0, msg("a0", "A", -time.Second))
			if got, want := fmt.Sprint(dueIDs(t, db, now)), "[a1 b1 c1]"; got != want {
				t.Fatalf("after a message dated earlier was queued behind a1: due %s, want %s", got, want)
			}
			step := func(what string, f func(*store.Tx) error, want string) {
				t.Helper()
				if err := db.Tx(ctx, f); err != nil {
					t.Fatalf("%s: %v", what, err)
				}
				if got := fmt.Sprint(dueIDs(t, db, now)); got != want {
					t.Fatalf("after %s: due %s, want %s", what, got, want)
				}
			}
			step("a1 delivered", func(tx *store.Tx) error { return tx.MarkDelivered(ctx, "a1", now, []byte("{}"), 1) }, "[a2 b1 c1]")
			step("a0 given up behind a2", func(tx *store.Tx) error { return tx.MarkExpired(ctx, "a0", now, "refused") }, "[a2 b1 c1]")
			step("a2 delivered", func(tx *store.Tx) error { return tx.MarkDelivered(ctx, "a2", now, []byte("{}"), 1) }, "[b1 a3 c1]")
			step("a3 delivered", func(tx *store.Tx) error { return tx.MarkDelivered(ctx, "a3", now, []byte("{}"), 1) }, "[b1 c1]")
			step("a3's receipt recorded again", func(tx *store.Tx) error { return tx.MarkDelivered(ctx, "a3", now, []byte("{}"), 1) }, "[b1 c1]")

			// Many requests at once, two messages each.
			var many []store.OutboxEntry
			for i := range 100 {
				many = append(many, msg(fmt.Sprintf("m%03d-1", i), fmt.Sprintf("M%03d", i), time.Duration(10+i)*time.Second),
					msg(fmt.Sprintf("m%03d-2", i), fmt.Sprintf("M%03d", i), time.Duration(200+i)*time.Second))
			}
			claimQueue(t, db, t0, many...)
			due := dueIDs(t, db, now)
			if len(due) != 102 {
				t.Fatalf("after queueing 2 messages to each of 100 requests in one transaction: %d due, want 102", len(due))
			}
			for _, id := range due[2:] {
				if id[len(id)-1] != '1' {
					t.Fatalf("message %s is due before the one queued ahead of it", id)
				}
			}
		})
	}
}

// TestRequestQueueAdvancesWhileQueueing: on PostgreSQL, replicas that
// deliver a request's message while others queue the request's next ones
// never leave the request with no message due, nor with two: whichever
// commits last sees what the other did.
func TestRequestQueueAdvancesWhileQueueing(t *testing.T) {
	ctx := context.Background()
	dsn := storetest.DSN(t, "postgres")
	var dbs [2]*store.DB
	for i := range dbs {
		db, err := store.Open(ctx, dsn)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		dbs[i] = db
	}
	t0 := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	now := t0.Add(time.Hour)
	const requests, rounds = 8, 30
	enqueue := func(db *store.DB, id, request string, at time.Time) error {
		return db.Tx(ctx, func(tx *store.Tx) error {
			return tx.Enqueue(ctx, store.OutboxEntry{ID: id, Recipient: "VNM", RequestID: request, Type: "request.event", Envelope: []byte("{}"), CreatedAt: at})
		})
	}
	for r := range requests {
		if err := enqueue(dbs[0], fmt.Sprintf("r%d-000", r), fmt.Sprintf("R%d", r), t0); err != nil {
			t.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	errs := make(chan error, 2*requests)
	for r := range requests {
		request := fmt.Sprintf("R%d", r)
		// One replica queues the request's next messages...
		wg.Go(func() {
			for i := 1; i <= rounds; i++ {
				if err := enqueue(dbs[0], fmt.Sprintf("r%d-%03d", r, i), request, t0.Add(time.Duration(i)*time.Millisecond)); err != nil {
					errs <- err
					return
				}
			}
		})
		// ...while the other delivers them as they become due.
		wg.Go(func() {
			for delivered := 0; delivered <= rounds; {
				due, err := dbs[1].DueMessages(ctx, now, 1000)
				if err != nil {
					errs <- err
					return
				}
				for _, m := range due {
					if m.RequestID != request {
						continue
					}
					if want := fmt.Sprintf("r%d-%03d", r, delivered); m.ID != want {
						errs <- fmt.Errorf("request %s: %s due, want %s, the first not delivered", request, m.ID, want)
						return
					}
					if err := dbs[1].Tx(ctx, func(tx *store.Tx) error { return tx.MarkDelivered(ctx, m.ID, now, []byte("{}"), 1) }); err != nil {
						errs <- err
						return
					}
					delivered++
				}
			}
		})
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("after 30 s a request still had a message queued and none due")
	}
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// TestQueueStatisticsRefreshed: once much of the outbox changed, the
// node has PostgreSQL gather its statistics again, and not before.
func TestQueueStatisticsRefreshed(t *testing.T) {
	ctx := context.Background()
	db := storetest.Open(t, "postgres")
	storetest.ExecSQL(t, db, "ALTER TABLE outbox SET (autovacuum_enabled = false)")
	if analyzed, err := db.RefreshQueueStatistics(ctx); err != nil || analyzed {
		t.Fatalf("RefreshQueueStatistics on an empty outbox = %v, %v; want false, nil", analyzed, err)
	}
	t0 := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	var msgs []store.OutboxEntry
	for i := range 2000 {
		msgs = append(msgs, lone(i, t0))
	}
	claimQueue(t, db, t0, msgs...)
	// The server counts changes a little after they commit.
	deadline := time.Now().Add(20 * time.Second)
	for {
		analyzed, err := db.RefreshQueueStatistics(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if analyzed {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("2,000 messages queued, and the outbox's statistics were not gathered within 20 s")
		}
		time.Sleep(200 * time.Millisecond)
	}
	if analyzed, err := db.RefreshQueueStatistics(ctx); err != nil || analyzed {
		t.Fatalf("RefreshQueueStatistics right after it gathered them = %v, %v; want false, nil", analyzed, err)
	}
}

// TestQueuesFromAnEarlierVersion: a database written by the version
// before the queues' heads (0058) opens with each queue's first waiting
// message, and each message about no request, due; and what a replica of
// that version queues or delivers beside this one during an upgrade,
// which sets no head, is let go by RepairQueues rather than wait for
// ever.
func TestQueuesFromAnEarlierVersion(t *testing.T) {
	for _, backend := range storetest.Backends {
		t.Run(backend, func(t *testing.T) {
			ctx := context.Background()
			dsn := storetest.DSN(t, backend)
			old, err := store.OpenAt(ctx, dsn, 58)
			if err != nil {
				t.Fatal(err)
			}
			insert := func(db *store.DB, id, recipient, request, created, delivered string) {
				t.Helper()
				if _, err := db.ExecRaw(ctx, `INSERT INTO outbox (id, recipient, type, request_id, envelope, created_at, next_attempt, delivered_at) VALUES (?, ?, 'request.event', ?, ?, ?, ?, ?)`,
					id, recipient, request, []byte("{}"), created, created, delivered); err != nil {
					t.Fatal(err)
				}
			}
			insert(old, "a0", "VNM", "A", "2026-03-01T10:00:00.000000Z", "2026-03-01T10:00:01.000000Z")
			insert(old, "a2", "VNM", "A", "2026-03-01T10:00:02.000000Z", "")
			insert(old, "a1", "VNM", "A", "2026-03-01T10:00:01.000000Z", "")
			insert(old, "a3", "VNM", "A", "2026-03-01T10:00:03.000000Z", "")
			insert(old, "k1", "KEN", "A", "2026-03-01T10:00:05.000000Z", "")
			insert(old, "n1", "VNM", "", "2026-03-01T10:00:06.000000Z", "")
			old.Close()
			db, err := store.Open(ctx, dsn)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			now := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
			if got, want := fmt.Sprint(dueIDs(t, db, now)), "[a1 k1 n1]"; got != want {
				t.Fatalf("due after the migration: %s, want %s", got, want)
			}

			// An earlier replica queues b1 and n2, and delivers a1,
			// writing the columns it knows.
			for _, m := range [][]string{{"b1", "B"}, {"n2", ""}} {
				if _, err := db.ExecRaw(ctx, `INSERT INTO outbox (id, recipient, type, request_id, envelope, created_at, next_attempt, priority, origin_request_id) VALUES (?, 'VNM', 'request.event', ?, ?, ?, ?, 0, NULL)`,
					m[0], m[1], []byte("{}"), "2026-03-01T10:00:07.000000Z", "2026-03-01T10:00:07.000000Z"); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := db.ExecRaw(ctx, `UPDATE outbox SET delivered_at = '2026-03-01T11:00:00.000000Z' WHERE id = 'a1'`); err != nil {
				t.Fatal(err)
			}
			if got, want := fmt.Sprint(dueIDs(t, db, now)), "[k1 n1]"; got != want {
				t.Fatalf("due after an earlier replica wrote: %s, want %s (its messages not yet let go)", got, want)
			}
			repaired, err := db.RepairQueues(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := fmt.Sprint(dueIDs(t, db, now)), "[a2 k1 n1 b1 n2]"; got != want || repaired != 3 {
				t.Fatalf("due after RepairQueues let %d go: %s, want 3 and %s", repaired, got, want)
			}
			if repaired, err := db.RepairQueues(ctx); err != nil || repaired != 0 {
				t.Fatalf("RepairQueues again: %d, %v; want 0, nil", repaired, err)
			}
		})
	}
}
