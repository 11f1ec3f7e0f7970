package node_test

import (
	"testing"
	"time"

	"entraide/internal/node"
	"entraide/internal/store"
	"entraide/internal/store/storetest"
)

// On PostgreSQL, RetryLater once failed for its error text, and nothing
// rescheduled the message: the loop took it again at once, and again. A
// message is now leased, and made due again later, before it is tried:
// when the outcome cannot be written, it backs off like a failed delivery.
func TestFailedOutboxWriteBacksOff(t *testing.T) {
	eachBackend(t, func(t *testing.T, backend string) {
		f := newFixture(t, backend)
		ctx := t.Context()
		f.n.ConfigureFederation(node.FederationConfig{})
		m := store.OutboxEntry{ID: "6f1c2d3e-4a5b-4c6d-8e9f-0a1b2c3d4e5f", Recipient: "ZAF", Type: node.MsgRequestSend, Envelope: []byte("{}"), CreatedAt: f.clock.Now()}
		if err := f.db.Tx(ctx, func(tx *store.Tx) error { return tx.Enqueue(ctx, m) }); err != nil {
			t.Fatal(err)
		}
		// The store refuses to record the failure, as PostgreSQL refused a
		// text cut in the middle of a character.
		if backend == "postgres" {
			storetest.ExecSQL(t, f.db, `CREATE FUNCTION refuse_retry() RETURNS trigger AS $$ BEGIN
				IF NEW.last_error <> '' AND NEW.expired_at = '' THEN RAISE EXCEPTION 'refused for the test'; END IF; RETURN NEW; END $$ LANGUAGE plpgsql`)
			storetest.ExecSQL(t, f.db, `CREATE TRIGGER refuse_retry BEFORE UPDATE OF last_error ON outbox FOR EACH ROW EXECUTE FUNCTION refuse_retry()`)
		} else {
			storetest.ExecSQL(t, f.db, `CREATE TRIGGER refuse_retry BEFORE UPDATE OF last_error ON outbox
				WHEN NEW.last_error <> '' AND NEW.expired_at = '' BEGIN SELECT RAISE(ABORT, 'refused for the test'); END`)
		}

		due, err := f.n.DueMessages(ctx)
		if err != nil || len(due) != 1 {
			t.Fatalf("due = %+v, %v; want the message", due, err)
		}
		if err := f.n.Deliver(ctx, due[0]); err == nil {
			t.Fatalf("Deliver with the failure not recorded = nil, want the store's error")
		}
		if again, err := f.n.DueMessages(ctx); err != nil || len(again) != 0 {
			t.Fatalf("due right after a failure that could not be recorded: %d messages, %v; want none, the message backing off", len(again), err)
		}
		stored, err := f.db.OutboxMessage(ctx, m.ID)
		if err != nil || stored.Attempts != 1 || stored.NextAttempt.Before(f.clock.Now().Add(node.DefaultLease-time.Second)) {
			t.Errorf("stored %d attempts, next %v (now %v), %v; want the attempt counted, due after the lease", stored.Attempts, stored.NextAttempt, f.clock.Now(), err)
		}
		// Not lost: due again once the lease is over.
		f.clock.Advance(node.DefaultLease + time.Second)
		if again, err := f.n.DueMessages(ctx); err != nil || len(again) != 1 {
			t.Errorf("due after the lease: %d messages, %v; want the message again", len(again), err)
		}
	})
}
