package store

import (
	"context"
	"time"
)

// ExecRaw runs query, written with ? placeholders, on the write pool and
// returns how many rows it changed. Tests use it to try what the store's
// own methods never do, such as changing the audit log.
func (db *DB) ExecRaw(ctx context.Context, query string, args ...any) (int64, error) {
	res, err := db.write.ExecContext(ctx, db.bind(query), args...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// Int64s runs query, written with ? placeholders, and returns the first
// column of every row.
func (db *DB) Int64s(ctx context.Context, query string, args ...any) ([]int64, error) {
	rows, err := db.read.QueryContext(ctx, db.bind(query), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []int64{}
	for rows.Next() {
		var n int64
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, rows.Err()
}

// OpenAt opens the database at dsn with the migrations up to version
// only, as an older release left it.
func OpenAt(ctx context.Context, dsn string, version int) (*DB, error) {
	return open(ctx, dsn, version)
}

// Synchronous returns SQLite's synchronous setting inside tx: 1 NORMAL,
// 2 FULL.
func (tx *Tx) Synchronous(ctx context.Context) (int, error) {
	var n int
	err := tx.tx.QueryRowContext(ctx, `PRAGMA synchronous`).Scan(&n)
	return n, err
}

// ListenerPID returns the PostgreSQL backend of the connection the bus
// listens on, or 0 while it has none.
func (db *DB) ListenerPID() uint32 {
	db.bus.mu.Lock()
	defer db.bus.mu.Unlock()
	return db.bus.pid
}

// SetBusQuiet sets how long db's bus waits for an announcement before it
// checks its connection. Call it before OnChange.
func (db *DB) SetBusQuiet(d time.Duration) { db.bus.quiet = d }
