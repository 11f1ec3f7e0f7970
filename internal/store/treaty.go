package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"entraide/internal/directory"
)

const dateFormat = time.DateOnly

func formatDate(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format(dateFormat)
}

func parseDate(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	return time.Parse(dateFormat, s)
}

// PutTreatyRecord stores a participant's signature and instrument,
// replacing what was stored for it.
func (tx *Tx) PutTreatyRecord(ctx context.Context, r directory.TreatyRecord, at time.Time) error {
	_, err := tx.exec(ctx, `INSERT INTO treaty_records (code, signed, signed_at, deposited, instrument, updated_at)
		VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (code) DO UPDATE SET signed = excluded.signed, signed_at = excluded.signed_at,
			deposited = excluded.deposited, instrument = excluded.instrument, updated_at = excluded.updated_at`,
		r.Code, formatDate(r.Signed), r.SignedAt, formatDate(r.Deposited), string(r.Instrument), formatTime(at))
	return err
}

// TreatyRecords returns every stored treaty record, by code.
func (db *DB) TreatyRecords(ctx context.Context) ([]directory.TreatyRecord, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT code, signed, signed_at, deposited, instrument FROM treaty_records ORDER BY code`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []directory.TreatyRecord{}
	for rows.Next() {
		var r directory.TreatyRecord
		var signed, deposited, instrument string
		if err := rows.Scan(&r.Code, &signed, &r.SignedAt, &deposited, &instrument); err != nil {
			return nil, err
		}
		r.Instrument = directory.Instrument(instrument)
		if r.Signed, err = parseDate(signed); err != nil {
			return nil, fmt.Errorf("stored signature of %s: %w", r.Code, err)
		}
		if r.Deposited, err = parseDate(deposited); err != nil {
			return nil, fmt.Errorf("stored deposit of %s: %w", r.Code, err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// TreatyRecord returns the record of one participant, or ErrNotFound.
func (db *DB) TreatyRecord(ctx context.Context, code string) (directory.TreatyRecord, error) {
	var r directory.TreatyRecord
	var signed, deposited, instrument string
	err := db.read.QueryRowContext(ctx, db.bind(`SELECT code, signed, signed_at, deposited, instrument FROM treaty_records WHERE code = ?`), code).
		Scan(&r.Code, &signed, &r.SignedAt, &deposited, &instrument)
	if errors.Is(err, sql.ErrNoRows) {
		return r, ErrNotFound
	}
	if err != nil {
		return r, err
	}
	r.Instrument = directory.Instrument(instrument)
	if r.Signed, err = parseDate(signed); err != nil {
		return r, err
	}
	r.Deposited, err = parseDate(deposited)
	return r, err
}

// DeclarationsUnder returns every participant's declarations under
// article, oldest first.
func (db *DB) DeclarationsUnder(ctx context.Context, article int) ([]directory.Declaration, error) {
	return db.declarations(ctx, `article = ?`, article)
}

// declarations reads the declarations that where selects, oldest first.
func (db *DB) declarations(ctx context.Context, where string, arg any) ([]directory.Declaration, error) {
	rows, err := db.read.QueryContext(ctx, db.bind(`SELECT id, code, article, made_on, text, reservation FROM declarations WHERE `+where+` ORDER BY id`), arg)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	return collect(rows, func(sc scanner) (directory.Declaration, error) {
		var d directory.Declaration
		var made string
		if err := sc.Scan(&d.ID, &d.Code, &d.Article, &made, &d.Text, &d.Reservation); err != nil {
			return d, err
		}
		d.MadeOn, err = parseDate(made)
		return d, err
	}, false)
}

// TreatyUpdated returns when a treaty record, or a denunciation, which
// the status counts too, last changed; the zero time when there are none.
func (db *DB) TreatyUpdated(ctx context.Context) (time.Time, error) {
	var latest time.Time
	for _, q := range []string{`SELECT MAX(updated_at) FROM treaty_records`, `SELECT MAX(recorded_at) FROM declarations WHERE article = 67`} {
		var last sql.NullString
		if err := db.read.QueryRowContext(ctx, q).Scan(&last); err != nil {
			return time.Time{}, err
		}
		if !last.Valid {
			continue
		}
		t, err := parseTime(last.String)
		if err != nil {
			return time.Time{}, err
		}
		if t.After(latest) {
			latest = t
		}
	}
	return latest, nil
}

// InsertDeclaration records a declaration and returns its id.
func (tx *Tx) InsertDeclaration(ctx context.Context, d directory.Declaration, at time.Time) (int64, error) {
	var id int64
	err := tx.queryRow(ctx, `INSERT INTO declarations (code, article, made_on, text, reservation, recorded_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING id`,
		d.Code, d.Article, formatDate(d.MadeOn), d.Text, string(d.Reservation), formatTime(at)).Scan(&id)
	return id, err
}

// Declarations returns the declarations of one participant, oldest first.
func (db *DB) Declarations(ctx context.Context, code string) ([]directory.Declaration, error) {
	return db.declarations(ctx, `code = ?`, code)
}

// PutProfile stores what a State has notified, replacing the old profile.
func (tx *Tx) PutProfile(ctx context.Context, p directory.Profile, at time.Time) error {
	body, err := json.Marshal(p)
	if err != nil {
		return err
	}
	_, err = tx.exec(ctx, `INSERT INTO profiles (code, body, updated_at) VALUES (?, ?, ?)
		ON CONFLICT (code) DO UPDATE SET body = excluded.body, updated_at = excluded.updated_at`, p.Code, string(body), formatTime(at))
	return err
}

// Profile returns a State's profile, or ErrNotFound if it notified none.
func (db *DB) Profile(ctx context.Context, code string) (directory.Profile, error) {
	var body string
	var p directory.Profile
	err := db.readRow(ctx, `SELECT body FROM profiles WHERE code = ?`, code).Scan(&body)
	if errors.Is(err, sql.ErrNoRows) {
		return p, ErrNotFound
	}
	if err != nil {
		return p, err
	}
	err = json.Unmarshal([]byte(body), &p)
	return p, err
}
