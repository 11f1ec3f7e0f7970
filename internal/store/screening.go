package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"entraide/internal/casework"
)

// PutFlag flags f.State for holder's screening, replacing the reason of a
// flag it already had.
func (tx *Tx) PutFlag(ctx context.Context, holder string, f casework.Flag) error {
	_, err := tx.exec(ctx, `INSERT INTO screening_flags (holder, state, reason, flagged_by, flagged_at) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (holder, state) DO UPDATE SET reason = excluded.reason, flagged_by = excluded.flagged_by, flagged_at = excluded.flagged_at`,
		holder, f.State, f.Reason, f.FlaggedBy, formatTime(f.FlaggedAt))
	return err
}

// DeleteFlag lifts holder's flag on state, and returns it; ErrNotFound if
// there was none.
func (tx *Tx) DeleteFlag(ctx context.Context, holder, state string) (casework.Flag, error) {
	f, err := scanFlag(tx.queryRow(ctx, `SELECT state, reason, flagged_by, flagged_at FROM screening_flags WHERE holder = ? AND state = ?`+tx.dialect.forUpdate, holder, state))
	if err != nil {
		return f, err
	}
	_, err = tx.exec(ctx, `DELETE FROM screening_flags WHERE holder = ? AND state = ?`, holder, state)
	return f, err
}

// Flags lists the States holder flagged for screening, by code.
func (db *DB) Flags(ctx context.Context, holder string) ([]casework.Flag, error) {
	rows, err := db.read.QueryContext(ctx, db.bind(`SELECT state, reason, flagged_by, flagged_at FROM screening_flags WHERE holder = ? ORDER BY state`), holder)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []casework.Flag{}
	for rows.Next() {
		var f casework.Flag
		var at string
		if err := rows.Scan(&f.State, &f.Reason, &f.FlaggedBy, &at); err != nil {
			return nil, err
		}
		if f.FlaggedAt, err = parseTime(at); err != nil {
			return nil, fmt.Errorf("stored flag of %s: %w", f.State, err)
		}
		out = append(out, f)
	}
	return out, rows.Err()
}

// Flagged reports whether holder flagged state for screening.
func (db *DB) Flagged(ctx context.Context, holder, state string) (bool, error) {
	var n int
	err := db.read.QueryRowContext(ctx, db.bind(`SELECT COUNT(*) FROM screening_flags WHERE holder = ? AND state = ?`), holder, state).Scan(&n)
	return n > 0, err
}

// Flagged reports, inside tx, whether holder flagged state for screening.
func (tx *Tx) Flagged(ctx context.Context, holder, state string) (bool, error) {
	var n int
	err := tx.queryRow(ctx, `SELECT COUNT(*) FROM screening_flags WHERE holder = ? AND state = ?`, holder, state).Scan(&n)
	return n > 0, err
}

func scanFlag(row *sql.Row) (casework.Flag, error) {
	var f casework.Flag
	var at string
	err := row.Scan(&f.State, &f.Reason, &f.FlaggedBy, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return f, ErrNotFound
	}
	if err != nil {
		return f, err
	}
	f.FlaggedAt, err = parseTime(at)
	return f, err
}

// AddScreening stores a screening holder made of one of its requests,
// after those before it. The caller holds the request's lock, so that
// two screenings of one request take turns.
func (tx *Tx) AddScreening(ctx context.Context, holder string, s casework.Screening) error {
	body, err := json.Marshal(s)
	if err != nil {
		return err
	}
	_, err = tx.exec(ctx, `INSERT INTO screenings (holder, request_id, seq, at, body)
		VALUES (?, ?, (SELECT COALESCE(MAX(seq), 0) + 1 FROM screenings WHERE holder = ? AND request_id = ?), ?, ?)`,
		holder, s.RequestID, holder, s.RequestID, formatTime(s.ScreenedAt), string(body))
	return err
}

// LatestScreening returns holder's latest screening of request id inside
// tx, or nil if it has none.
func (tx *Tx) LatestScreening(ctx context.Context, holder, id string) (*casework.Screening, error) {
	return scanScreening(tx.queryRow(ctx, `SELECT body FROM screenings WHERE holder = ? AND request_id = ? ORDER BY seq DESC LIMIT 1`, holder, id))
}

// LatestScreening returns holder's latest screening of request id, or nil
// if it has none.
func (db *DB) LatestScreening(ctx context.Context, holder, id string) (*casework.Screening, error) {
	return scanScreening(db.read.QueryRowContext(ctx, db.bind(`SELECT body FROM screenings WHERE holder = ? AND request_id = ? ORDER BY seq DESC LIMIT 1`), holder, id))
}

// Screenings returns holder's screenings of request id, oldest first.
func (db *DB) Screenings(ctx context.Context, holder, id string) ([]casework.Screening, error) {
	rows, err := db.read.QueryContext(ctx, db.bind(`SELECT body FROM screenings WHERE holder = ? AND request_id = ? ORDER BY seq`), holder, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []casework.Screening{}
	for rows.Next() {
		var body string
		if err := rows.Scan(&body); err != nil {
			return nil, err
		}
		var s casework.Screening
		if err := json.Unmarshal([]byte(body), &s); err != nil {
			return nil, fmt.Errorf("stored screening of request %s is corrupt: %w", id, err)
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// LatestScreenings returns holder's latest screening of each of the
// requests ids that has one, by request.
func (db *DB) LatestScreenings(ctx context.Context, holder string, ids []string) (map[string]*casework.Screening, error) {
	out := map[string]*casework.Screening{}
	if len(ids) == 0 {
		return out, nil
	}
	args := []any{holder}
	for _, id := range ids {
		args = append(args, id)
	}
	marks := strings.TrimSuffix(strings.Repeat("?, ", len(ids)), ", ")
	rows, err := db.read.QueryContext(ctx, db.bind(`SELECT request_id, body FROM screenings WHERE holder = ? AND request_id IN (`+marks+`) ORDER BY request_id, seq`), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var id, body string
		if err := rows.Scan(&id, &body); err != nil {
			return nil, err
		}
		var s casework.Screening
		if err := json.Unmarshal([]byte(body), &s); err != nil {
			return nil, fmt.Errorf("stored screening of request %s is corrupt: %w", id, err)
		}
		out[id] = &s // later rows are later screenings
	}
	return out, rows.Err()
}

func scanScreening(row *sql.Row) (*casework.Screening, error) {
	var body string
	err := row.Scan(&body)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var s casework.Screening
	if err := json.Unmarshal([]byte(body), &s); err != nil {
		return nil, fmt.Errorf("stored screening is corrupt: %w", err)
	}
	return &s, nil
}
