package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Lease says which replica of a node does a piece of work that only one
// may do at a time, and until when.
type Lease struct {
	Name      string
	Holder    string
	ExpiresAt time.Time
}

// Held reports whether l is held by someone at now.
func (l Lease) Held(now time.Time) bool { return l.Holder != "" && now.Before(l.ExpiresAt) }

// TakeLease gives the lease name to holder until until, inside tx, unless
// another holds it at now: holder takes a lease that is free or expired,
// and renews its own. It returns the lease as it stood before, and
// whether holder holds it now. Two replicas that try at once are
// serialised on the lease's row (its insertion, the first time): one
// takes it, the other is told who did.
func (tx *Tx) TakeLease(ctx context.Context, name, holder string, now, until time.Time) (before Lease, held bool, err error) {
	if holder == "" {
		return Lease{}, false, errors.New("take lease: the holder has no name")
	}
	before, err = scanLease(tx.queryRow(ctx, `SELECT name, holder, expires_at FROM leases WHERE name = ?`+tx.dialect.forUpdate, name))
	switch {
	case errors.Is(err, ErrNotFound):
		res, err := tx.exec(ctx, `INSERT INTO leases (name, holder, expires_at) VALUES (?, ?, ?) ON CONFLICT (name) DO NOTHING`, name, holder, formatTime(until))
		if err != nil {
			return Lease{}, false, fmt.Errorf("take lease %s: %w", name, err)
		}
		n, err := res.RowsAffected()
		return Lease{Name: name}, n == 1, err
	case err != nil:
		return Lease{}, false, err
	case before.Holder != holder && before.Held(now):
		return before, false, nil
	}
	res, err := tx.exec(ctx, `UPDATE leases SET holder = ?, expires_at = ? WHERE name = ? AND (holder = ? OR expires_at <= ?)`,
		holder, formatTime(until), name, holder, formatTime(now))
	if err != nil {
		return before, false, fmt.Errorf("take lease %s: %w", name, err)
	}
	n, err := res.RowsAffected()
	return before, n == 1, err
}

// ReleaseLease ends holder's lease name at now, inside tx, so that
// another replica takes it at once rather than once it expires. It
// reports whether holder held it.
func (tx *Tx) ReleaseLease(ctx context.Context, name, holder string, now time.Time) (bool, error) {
	res, err := tx.exec(ctx, `UPDATE leases SET expires_at = ? WHERE name = ? AND holder = ? AND expires_at > ?`, formatTime(now), name, holder, formatTime(now))
	if err != nil {
		return false, fmt.Errorf("release lease %s: %w", name, err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// Lease returns the lease name as it stands, or ErrNotFound if no
// replica ever took it.
func (db *DB) Lease(ctx context.Context, name string) (Lease, error) {
	return scanLease(db.read.QueryRowContext(ctx, db.bind(`SELECT name, holder, expires_at FROM leases WHERE name = ?`), name))
}

func scanLease(row scanner) (Lease, error) {
	var l Lease
	var expires string
	if err := row.Scan(&l.Name, &l.Holder, &expires); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return l, ErrNotFound
		}
		return l, err
	}
	t, err := parseTime(expires)
	if err != nil {
		return l, fmt.Errorf("lease %s: expiry %q: %w", l.Name, expires, err)
	}
	l.ExpiresAt = t
	return l, nil
}
