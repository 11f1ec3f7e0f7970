package store_test

import (
	"errors"
	"testing"
	"time"

	"entraide/internal/store"
)

func testLease(t *testing.T, db *store.DB) {
	ctx := t.Context()
	take := func(holder string, now time.Time) (store.Lease, bool) {
		t.Helper()
		var before store.Lease
		var held bool
		err := db.Tx(ctx, func(tx *store.Tx) error {
			var err error
			before, held, err = tx.TakeLease(ctx, "log", holder, now, now.Add(5*time.Second))
			return err
		})
		if err != nil {
			t.Fatalf("TakeLease(%s): %v", holder, err)
		}
		return before, held
	}
	if _, err := db.Lease(ctx, "log"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Lease before anyone took it = %v, want ErrNotFound", err)
	}
	if before, held := take("a", base); !held || before.Holder != "" {
		t.Fatalf("a takes a free lease: held %v, before %+v; want held, held by no one before", held, before)
	}
	if before, held := take("b", base.Add(time.Second)); held || before.Holder != "a" {
		t.Fatalf("b takes a's lease while it runs: held %v, before %+v; want refused, naming a", held, before)
	}
	if _, held := take("a", base.Add(4*time.Second)); !held {
		t.Fatal("a cannot renew its own lease")
	}
	l, err := db.Lease(ctx, "log")
	if err != nil || l.Holder != "a" || !l.ExpiresAt.Equal(base.Add(9*time.Second)) {
		t.Fatalf("Lease = %+v, %v; want a's until %v", l, err, base.Add(9*time.Second))
	}
	if _, held := take("b", base.Add(8*time.Second)); held {
		t.Fatal("b took a's renewed lease before it expired")
	}
	if before, held := take("b", base.Add(9*time.Second)); !held || before.Holder != "a" {
		t.Fatalf("b takes a's expired lease: held %v, before %+v; want held, a's before", held, before)
	}
	var released bool
	err = db.Tx(ctx, func(tx *store.Tx) (err error) {
		if released, err = tx.ReleaseLease(ctx, "log", "a", base.Add(10*time.Second)); err != nil || released {
			return err
		}
		released, err = tx.ReleaseLease(ctx, "log", "b", base.Add(10*time.Second))
		return err
	})
	if err != nil || !released {
		t.Fatalf("b releases its lease: %v, %v; want released (and a, who lost it, not)", released, err)
	}
	if _, held := take("a", base.Add(10*time.Second)); !held {
		t.Fatal("a cannot take the lease b released")
	}
}
