package store_test

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"entraide/internal/store"
	"entraide/internal/store/storetest"
)

// logWriters is how many writers append to the log at once.
const logWriters = 50

// BenchmarkLogAppend appends audit records, one per transaction, from
// logWriters writers, while an integrator puts them into the tree and
// signs a checkpoint every 250 ms, as a served node does. It reports the
// appends per second and how far behind its commit each record's first
// checkpoint was: the 99th percentile and the maximum, in milliseconds.
func BenchmarkLogAppend(b *testing.B) {
	for _, backend := range storetest.Backends {
		b.Run(backend, func(b *testing.B) {
			db := storetest.Open(b, backend)
			ctx := b.Context()
			// commits[i] is when the i-th commit returned; on SQLite, whose
			// writers take turns, it is the record at leaf i (its first
			// records aside, which the integrator may have taken already).
			var mu sync.Mutex
			commits := make([]time.Time, 0, b.N)
			lag := make([]time.Duration, b.N)
			stop := make(chan struct{})
			var integrator sync.WaitGroup
			integrator.Go(func() {
				covered := int64(0)
				t := time.NewTicker(250 * time.Millisecond)
				defer t.Stop()
				for {
					select {
					case <-stop:
						return
					case <-t.C:
					}
					head, _, err := db.IntegrateLog(ctx, 1<<20, logOrigin, signCheckpoint)
					if err != nil {
						b.Error(err)
						return
					}
					signed := time.Now()
					mu.Lock()
					for ; covered < min(head.Size, int64(len(commits))); covered++ {
						lag[covered] = signed.Sub(commits[covered])
					}
					mu.Unlock()
				}
			})
			var next atomic.Int64
			var wg sync.WaitGroup
			b.ResetTimer()
			start := time.Now()
			for w := range logWriters {
				wg.Go(func() {
					for next.Add(1) <= int64(b.N) {
						err := db.Tx(ctx, func(tx *store.Tx) error {
							_, err := tx.Audit(ctx, auditRecord(w))
							return err
						})
						if err != nil {
							b.Error(err)
							return
						}
						mu.Lock()
						commits = append(commits, time.Now())
						mu.Unlock()
					}
				})
			}
			wg.Wait()
			elapsed := time.Since(start)
			// Wait for the last checkpoint to cover every record.
			for {
				head, err := db.LogHead(ctx)
				if err != nil {
					b.Fatal(err)
				}
				if head.Size >= int64(b.N) {
					break
				}
				time.Sleep(10 * time.Millisecond)
			}
			time.Sleep(300 * time.Millisecond) // one more tick, to record the lags
			close(stop)
			integrator.Wait()
			b.StopTimer()
			slices.Sort(lag)
			b.ReportMetric(float64(b.N)/elapsed.Seconds(), "appends/s")
			b.ReportMetric(float64(lag[len(lag)*99/100])/float64(time.Millisecond), "p99-lag-ms")
			b.ReportMetric(float64(lag[len(lag)-1])/float64(time.Millisecond), "max-lag-ms")
			b.ReportMetric(0, "ns/op")
		})
	}
}

// BenchmarkSynchronous writes one request-sized row and one audit-sized
// row per transaction to SQLite with database/sql, logWriters at a time,
// at synchronous=NORMAL (the node's setting) and at FULL (what every
// transaction would pay if the node committed them all to disk): the cost
// that committing only the signed transactions with FULL avoids.
func BenchmarkSynchronous(b *testing.B) {
	body := make([]byte, 1500)
	record := make([]byte, 400)
	for _, mode := range []string{"NORMAL", "FULL"} {
		b.Run(mode, func(b *testing.B) {
			path := filepath.Join(b.TempDir(), "sync.db")
			db, err := sql.Open("sqlite", "file:"+path+"?_pragma=journal_mode(WAL)&_pragma=synchronous("+mode+")&_pragma=busy_timeout(10000)&_txlock=immediate")
			if err != nil {
				b.Fatal(err)
			}
			defer db.Close()
			db.SetMaxOpenConns(1)
			for _, q := range []string{`CREATE TABLE r (id TEXT PRIMARY KEY, body BLOB)`, `CREATE TABLE a (seq INTEGER PRIMARY KEY, record BLOB)`} {
				if _, err := db.Exec(q); err != nil {
					b.Fatal(err)
				}
			}
			var next atomic.Int64
			var wg sync.WaitGroup
			b.ResetTimer()
			start := time.Now()
			for range logWriters {
				wg.Go(func() {
					for i := next.Add(1); i <= int64(b.N); i = next.Add(1) {
						if err := twoRows(b.Context(), db, fmt.Sprint(i), body, record); err != nil {
							b.Error(err)
							return
						}
					}
				})
			}
			wg.Wait()
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "txn/s")
			b.ReportMetric(0, "ns/op")
		})
	}
}

func twoRows(ctx context.Context, db *sql.DB, id string, body, record []byte) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `INSERT INTO r (id, body) VALUES (?, ?)`, id, body); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO a (record) VALUES (?)`, record); err != nil {
		return err
	}
	return tx.Commit()
}
