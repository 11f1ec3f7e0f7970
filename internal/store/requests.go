package store

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"entraide/internal/casework"
)

// InsertRequest stores a new view of a request.
func (tx *Tx) InsertRequest(ctx context.Context, r *casework.Request) error {
	body, err := json.Marshal(r)
	if err != nil {
		return err
	}
	_, err = tx.exec(ctx, `INSERT INTO requests
		(holder, id, kind, requesting_state, requested_state, state, urgency, created_at, updated_at, version, body)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		r.Holder, r.ID, string(r.Kind), r.RequestingState, r.RequestedState, string(r.State), string(r.Urgency),
		formatTime(r.CreatedAt), formatTime(r.UpdatedAt), r.Version, string(body))
	if isUniqueViolation(err) {
		return fmt.Errorf("request %s held by %s: %w", r.ID, r.Holder, ErrExists)
	}
	return err
}

// UpdateRequest stores r over the version it was read at. It fails with
// casework.ErrConflict if someone else changed it meanwhile.
func (tx *Tx) UpdateRequest(ctx context.Context, r *casework.Request, readVersion int) error {
	body, err := json.Marshal(r)
	if err != nil {
		return err
	}
	res, err := tx.exec(ctx, `UPDATE requests SET state = ?, urgency = ?, updated_at = ?, version = ?, body = ?
		WHERE holder = ? AND id = ? AND version = ?`,
		string(r.State), string(r.Urgency), formatTime(r.UpdatedAt), r.Version, string(body), r.Holder, r.ID, readVersion)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return fmt.Errorf("request %s changed meanwhile: %w", r.ID, casework.ErrConflict)
	}
	return nil
}

// RequestForUpdate reads holder's view of request id inside tx, locking
// it until tx ends.
func (tx *Tx) RequestForUpdate(ctx context.Context, holder, id string) (*casework.Request, error) {
	row := tx.queryRow(ctx, `SELECT body FROM requests WHERE holder = ? AND id = ?`+tx.dialect.forUpdate, holder, id)
	return scanRequest(row)
}

// Request reads holder's view of request id.
func (db *DB) Request(ctx context.Context, holder, id string) (*casework.Request, error) {
	row := db.read.QueryRowContext(ctx, db.bind(`SELECT body FROM requests WHERE holder = ? AND id = ?`), holder, id)
	return scanRequest(row)
}

func scanRequest(row *sql.Row) (*casework.Request, error) {
	var body string
	if err := row.Scan(&body); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, casework.ErrNotFound
		}
		return nil, err
	}
	var r casework.Request
	if err := json.Unmarshal([]byte(body), &r); err != nil {
		return nil, fmt.Errorf("stored request is corrupt: %w", err)
	}
	return &r, nil
}

// Filter selects requests in a listing.
type Filter struct {
	State  casework.State
	Kind   string
	Side   casework.Side
	Limit  int
	Cursor string // from the previous page's NextCursor
}

// Page is one page of a listing, newest first.
type Page struct {
	Requests   []*casework.Request `json:"requests"`
	NextCursor string              `json:"next_cursor,omitempty"`
	// Unreadable names the stored requests of the page that could not be
	// read, left out of Requests.
	Unreadable []string `json:"unreadable,omitempty"`
}

// ErrBadCursor is returned for a cursor this package did not make.
var ErrBadCursor = errors.New("invalid cursor")

// Requests lists holder's views of requests, newest first. A view that
// cannot be read is named in the page's Unreadable, and counts toward its
// limit, so that the pages that follow are the same.
func (db *DB) Requests(ctx context.Context, holder string, f Filter) (Page, error) {
	q := `SELECT body, created_at, id FROM requests WHERE holder = ?`
	args := []any{holder}
	if f.State != "" {
		q += ` AND state = ?`
		args = append(args, string(f.State))
	}
	if f.Kind != "" {
		q += ` AND kind = ?`
		args = append(args, f.Kind)
	}
	switch f.Side {
	case casework.Requesting:
		q += ` AND requesting_state = ?`
		args = append(args, holder)
	case casework.Requested:
		q += ` AND requested_state = ?`
		args = append(args, holder)
	}
	if f.Cursor != "" {
		raw, err := base64.RawURLEncoding.DecodeString(f.Cursor)
		created, id, ok := strings.Cut(string(raw), "|")
		if err != nil || !ok {
			return Page{}, ErrBadCursor
		}
		if _, err := parseTime(created); err != nil || !validID(id) {
			return Page{}, ErrBadCursor
		}
		q += ` AND (created_at < ? OR (created_at = ? AND id < ?))`
		args = append(args, created, created, id)
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 50
	}
	q += ` ORDER BY created_at DESC, id DESC LIMIT ?`
	args = append(args, limit+1)
	rows, err := db.read.QueryContext(ctx, db.bind(q), args...)
	if err != nil {
		return Page{}, err
	}
	defer rows.Close()
	page := Page{Requests: []*casework.Request{}}
	var lastCreated, lastID string
	for rows.Next() {
		var body, created, id string
		if err := rows.Scan(&body, &created, &id); err != nil {
			return Page{}, err
		}
		if len(page.Requests)+len(page.Unreadable) == limit {
			page.NextCursor = base64.RawURLEncoding.EncodeToString([]byte(lastCreated + "|" + lastID))
			break
		}
		lastCreated, lastID = created, id
		var r casework.Request
		if err := json.Unmarshal([]byte(body), &r); err != nil {
			page.Unreadable = append(page.Unreadable, (&RowError{Table: "requests", ID: id, Err: err}).Error())
			continue
		}
		page.Requests = append(page.Requests, &r)
	}
	return page, rows.Err()
}

// AppendEvent adds e to the timeline of holder's view of its request.
func (tx *Tx) AppendEvent(ctx context.Context, holder string, e casework.Event) error {
	body, err := json.Marshal(e)
	if err != nil {
		return err
	}
	_, err = tx.exec(ctx, `INSERT INTO events (holder, request_id, seq, at, body)
		VALUES (?, ?, (SELECT COALESCE(MAX(seq), 0) + 1 FROM events WHERE holder = ? AND request_id = ?), ?, ?)`,
		holder, e.RequestID, holder, e.RequestID, formatTime(e.At), string(body))
	return err
}

// Timeline returns the events of holder's view of request id, oldest first.
func (db *DB) Timeline(ctx context.Context, holder, id string) ([]casework.Event, error) {
	rows, err := db.read.QueryContext(ctx, db.bind(`SELECT body FROM events WHERE holder = ? AND request_id = ? ORDER BY seq`), holder, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	events := []casework.Event{}
	for rows.Next() {
		var body string
		if err := rows.Scan(&body); err != nil {
			return nil, err
		}
		var e casework.Event
		if err := json.Unmarshal([]byte(body), &e); err != nil {
			return nil, fmt.Errorf("stored event of %s is corrupt: %w", id, err)
		}
		events = append(events, e)
	}
	return events, rows.Err()
}

// validID reports whether id can be a request id: short, printable ASCII.
func validID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for i := 0; i < len(id); i++ {
		if id[i] <= ' ' || id[i] > '~' {
			return false
		}
	}
	return true
}
