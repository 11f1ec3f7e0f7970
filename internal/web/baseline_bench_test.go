package web_test

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/json"
	"fmt"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"entraide/internal/auditlog"
	"entraide/internal/casework"
	"entraide/internal/store"
	"entraide/internal/store/storetest"
)

// baselineRows returns the two rows request creation writes, as the
// database stores them: the request's JSON body and the audit record's
// canonical bytes and leaf hash.
func baselineRows(b *testing.B) (body, record, leaf []byte) {
	b.Helper()
	c := preservation()
	r := casework.Request{ID: uuid.NewString(), Holder: "FRA", Kind: c.Kind, RequestingState: "FRA", RequestedState: c.RequestedState,
		State: casework.Draft, Urgency: c.Urgency, Fields: c.Fields, Offences: c.Offences, LegalBasis: c.LegalBasis,
		CreatedAt: time.Now().UTC(), UpdatedAt: time.Now().UTC(), Version: 1}
	body, err := json.Marshal(r)
	if err != nil {
		b.Fatal(err)
	}
	record, err = auditlog.Record{At: time.Now(), Node: "FRA", State: "FRA", ActorState: "FRA", Actor: "fra-ca", Action: "request.create",
		Subject: "request/" + r.ID, Detail: map[string]string{"kind": "preservation", "requested_state": "VNM", "requesting_state": "FRA", "urgency": "urgent"}}.Canonical()
	if err != nil {
		b.Fatal(err)
	}
	h := sha256.Sum256(append([]byte{0}, record...))
	return body, record, h[:]
}

const (
	baselineRequests = `CREATE TABLE bench_requests (holder TEXT NOT NULL, id TEXT NOT NULL, kind TEXT NOT NULL, requesting_state TEXT NOT NULL,
		requested_state TEXT NOT NULL, state TEXT NOT NULL, urgency TEXT NOT NULL, created_at TEXT NOT NULL, updated_at TEXT NOT NULL,
		version INTEGER NOT NULL, body TEXT NOT NULL, PRIMARY KEY (holder, id))`
	baselineInsertRequest = `INSERT INTO bench_requests (holder, id, kind, requesting_state, requested_state, state, urgency, created_at, updated_at, version, body)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`
	baselineInsertAudit = `INSERT INTO bench_audit (at, state, action, subject, record, leaf_hash) VALUES ($1, $2, $3, $4, $5, $6)`
)

// BenchmarkCreateRequestBaseline writes what creating a request writes,
// one request row and one audit row per transaction, benchClients at a
// time, with nothing but the database driver: pgx's pool on PostgreSQL,
// database/sql on SQLite with the node's settings (WAL, synchronous=NORMAL,
// one writer connection). BenchmarkCreateRequest divided by this, in the
// same run, is what the node costs over the database.
func BenchmarkCreateRequestBaseline(b *testing.B) {
	body, record, leaf := baselineRows(b)
	var next atomic.Int64
	write := func(ctx context.Context, exec func(ctx context.Context, q string, args ...any) error) error {
		id := fmt.Sprintf("r%d", next.Add(1))
		now := time.Now().UTC().Format(store.TimeFormat)
		if err := exec(ctx, baselineInsertRequest, "FRA", id, "preservation", "FRA", "VNM", "draft", "urgent", now, now, 1, string(body)); err != nil {
			return err
		}
		return exec(ctx, baselineInsertAudit, now, "FRA", "request.create", "request/"+id, record, leaf)
	}
	b.Run("postgres", func(b *testing.B) {
		dsn := storetest.DSN(b, "postgres")
		cfg, err := pgxpool.ParseConfig(dsn)
		if err != nil {
			b.Fatal(err)
		}
		cfg.MaxConns = benchClients
		pool, err := pgxpool.NewWithConfig(b.Context(), cfg)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(pool.Close)
		for _, q := range []string{baselineRequests, `CREATE TABLE bench_audit (seq BIGSERIAL PRIMARY KEY, at TEXT NOT NULL, state TEXT NOT NULL,
			action TEXT NOT NULL, subject TEXT NOT NULL, record BYTEA NOT NULL, leaf_hash BYTEA NOT NULL)`} {
			if _, err := pool.Exec(b.Context(), q); err != nil {
				b.Fatal(err)
			}
		}
		runConcurrently(b, func(ctx context.Context) error {
			tx, err := pool.Begin(ctx)
			if err != nil {
				return err
			}
			defer tx.Rollback(ctx)
			err = write(ctx, func(ctx context.Context, q string, args ...any) error { _, err := tx.Exec(ctx, q, args...); return err })
			if err != nil {
				return err
			}
			return tx.Commit(ctx)
		})
	})
	b.Run("sqlite", func(b *testing.B) {
		path := filepath.Join(b.TempDir(), "baseline.db")
		db, err := sql.Open("sqlite", "file:"+path+"?_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_pragma=busy_timeout(10000)&_txlock=immediate")
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { db.Close() })
		db.SetMaxOpenConns(1)
		for _, q := range []string{baselineRequests, `CREATE TABLE bench_audit (seq INTEGER PRIMARY KEY, at TEXT NOT NULL, state TEXT NOT NULL,
			action TEXT NOT NULL, subject TEXT NOT NULL, record BLOB NOT NULL, leaf_hash BLOB NOT NULL)`} {
			if _, err := db.ExecContext(b.Context(), q); err != nil {
				b.Fatal(err)
			}
		}
		insReq, err := db.PrepareContext(b.Context(), baselineInsertRequest)
		if err != nil {
			b.Fatal(err)
		}
		insAudit, err := db.PrepareContext(b.Context(), baselineInsertAudit)
		if err != nil {
			b.Fatal(err)
		}
		stmts := map[string]*sql.Stmt{baselineInsertRequest: insReq, baselineInsertAudit: insAudit}
		runConcurrently(b, func(ctx context.Context) error {
			tx, err := db.BeginTx(ctx, nil)
			if err != nil {
				return err
			}
			defer tx.Rollback()
			err = write(ctx, func(ctx context.Context, q string, args ...any) error {
				_, err := tx.StmtContext(ctx, stmts[q]).ExecContext(ctx, args...)
				return err
			})
			if err != nil {
				return err
			}
			return tx.Commit()
		})
	})
}
