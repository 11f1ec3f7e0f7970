package store_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"entraide/internal/auditlog"
	"entraide/internal/store"
	"entraide/internal/store/storetest"
)

// TestConcurrentTx runs many write transactions at once, as a busy node
// does (SQLite commits them in groups): each one that fails, returns an
// error or panics leaves nothing behind, each one that succeeds is kept,
// and a caller that gave up before its turn writes nothing.
func TestConcurrentTx(t *testing.T) {
	for _, backend := range storetest.Backends {
		t.Run(backend, func(t *testing.T) {
			db := storetest.Open(t, backend)
			ctx := t.Context()
			const writers = 60
			errRefused := errors.New("refused")
			var wg sync.WaitGroup
			results := make([]error, writers)
			panics := make([]any, writers)
			for i := range writers {
				wg.Go(func() {
					defer func() { panics[i] = recover() }()
					results[i] = db.Tx(ctx, func(tx *store.Tx) error {
						rec := auditlog.Record{At: time.Now(), Node: "FRA", State: "FRA", ActorState: "FRA", Actor: "a", Action: "test.write", Subject: fmt.Sprintf("w/%d", i)}
						if _, err := tx.Audit(ctx, rec); err != nil {
							return err
						}
						switch i % 5 {
						case 1:
							return errRefused
						case 2:
							if i == 2 {
								panic("writer 2")
							}
						}
						return nil
					})
				})
			}
			wg.Wait()
			cancelled, cancel := context.WithCancel(ctx)
			cancel()
			if err := db.Tx(cancelled, func(tx *store.Tx) error {
				_, err := tx.Audit(ctx, auditlog.Record{At: time.Now(), Node: "FRA", State: "FRA", ActorState: "FRA", Actor: "a", Action: "test.write", Subject: "w/cancelled"})
				return err
			}); err == nil {
				t.Errorf("Tx with a cancelled context succeeded")
			}
			want := map[string]bool{}
			for i := range writers {
				switch {
				case i == 2:
					if panics[i] != "writer 2" {
						t.Errorf("writer 2: panic %v, want its own", panics[i])
					}
				case i%5 == 1:
					if !errors.Is(results[i], errRefused) {
						t.Errorf("writer %d: %v, want its own error", i, results[i])
					}
				default:
					if results[i] != nil || panics[i] != nil {
						t.Errorf("writer %d: %v, %v", i, results[i], panics[i])
					}
					want[fmt.Sprintf("w/%d", i)] = true
				}
			}
			integrate(t, db)
			entries, err := db.AuditLog(ctx, "FRA", 0, 1000)
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]bool{}
			for _, e := range entries {
				r, err := auditlog.Parse(e.Record)
				if err != nil {
					t.Fatal(err)
				}
				if r.Action == "test.write" {
					got[r.Subject] = true
				}
			}
			if len(got) != len(want) {
				t.Errorf("%d records kept, want %d", len(got), len(want))
			}
			for s := range want {
				if !got[s] {
					t.Errorf("record %s of a committed transaction is missing", s)
				}
			}
		})
	}
}

// TestDurableTxInGroup commits durable transactions in the groups of the
// others: each runs with synchronous=FULL, whose commit syncs the
// write-ahead log, and the node's NORMAL setting is back once it is done.
func TestDurableTxInGroup(t *testing.T) {
	db := storetest.Open(t, "sqlite")
	ctx := t.Context()
	const writers = 40
	var wg sync.WaitGroup
	settings := make([]int, writers)
	errs := make([]error, writers)
	for i := range writers {
		wg.Go(func() {
			write := db.Tx
			if i%2 == 0 {
				write = db.DurableTx
			}
			errs[i] = write(ctx, func(tx *store.Tx) error {
				var err error
				settings[i], err = tx.Synchronous(ctx)
				if err != nil {
					return err
				}
				_, err = tx.Audit(ctx, auditlog.Record{At: time.Now(), Node: "FRA", State: "FRA", ActorState: "FRA", Actor: "a", Action: "test.write", Subject: fmt.Sprintf("w/%d", i)})
				return err
			})
		})
	}
	wg.Wait()
	for i := range writers {
		if errs[i] != nil {
			t.Fatalf("writer %d: %v", i, errs[i])
		}
		if i%2 == 0 && settings[i] != 2 {
			t.Errorf("DurableTx %d ran with synchronous=%d, want 2 (FULL)", i, settings[i])
		}
	}
	var after int
	if err := db.Tx(ctx, func(tx *store.Tx) (err error) { after, err = tx.Synchronous(ctx); return err }); err != nil {
		t.Fatal(err)
	}
	if after != 1 {
		t.Errorf("Tx alone after the durable ones ran with synchronous=%d, want 1 (NORMAL)", after)
	}
	integrate(t, db)
	entries, err := db.AuditLog(ctx, "FRA", 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) < writers {
		t.Errorf("audit log holds %d records, want at least %d", len(entries), writers)
	}
}
