package store

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"entraide/internal/auditlog"
	"entraide/internal/casework"
)

// InsertRequest stores a new view of a request.
func (tx *Tx) InsertRequest(ctx context.Context, r *casework.Request) error {
	args, err := requestArgs(r)
	if err != nil {
		return err
	}
	_, err = tx.exec(ctx, insertRequest, args...)
	return requestExists(r, err)
}

// insertRequest stores a new view of a request. A new view arrives when
// it is last updated: drafted, or delivered.
const insertRequest = `INSERT INTO requests
		(holder, id, kind, requesting_state, requested_state, state, urgency, created_at, updated_at, version, body, arrived_at, due_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`

// requestArgs are insertRequest's arguments for r.
func requestArgs(r *casework.Request) ([]any, error) {
	body, err := json.Marshal(r)
	if err != nil {
		return nil, err
	}
	return requestRow(r, body), nil
}

// requestRow is insertRequest's arguments for r, whose JSON is body.
func requestRow(r *casework.Request, body []byte) []any {
	return []any{r.Holder, r.ID, string(r.Kind), r.RequestingState, r.RequestedState, string(r.State), string(r.Urgency),
		formatTime(r.CreatedAt), formatTime(r.UpdatedAt), r.Version, string(body), formatTime(r.UpdatedAt), dueAt(r)}
}

func requestExists(r *casework.Request, err error) error {
	if isUniqueViolation(err) {
		return fmt.Errorf("request %s held by %s: %w", r.ID, r.Holder, ErrExists)
	}
	return err
}

// RequestCreation holds the rows of a new request, its first event and
// the audit record of its creation, encoded before the transaction that
// writes them: on SQLite, whose writers take turns, the time a writer
// spends inside its transaction bounds the node's throughput.
type RequestCreation struct {
	r      *casework.Request
	body   []byte // the request's JSON
	events []any
	args   []any // the request's, the event's, the audit record's
}

// NewRequestCreation encodes the rows that creating r writes.
func NewRequestCreation(r *casework.Request, e casework.Event, rec auditlog.Record) (*RequestCreation, error) {
	body, err := json.Marshal(r)
	if err != nil {
		return nil, err
	}
	event, err := json.Marshal(e)
	if err != nil {
		return nil, err
	}
	record, err := auditArgs(rec)
	if err != nil {
		return nil, err
	}
	c := &RequestCreation{r: r, body: body, events: []any{r.Holder, e.RequestID, r.Holder, e.RequestID, formatTime(e.At), string(event)}}
	c.args = slices.Concat(requestRow(r, body), c.events, record)
	return c, nil
}

// createRequest writes a RequestCreation's three rows in one statement,
// on PostgreSQL.
const createRequest = `WITH r AS (` + insertRequest + `), e AS (` + appendEvent + `) ` + insertAudit

// createRequestPostgres is createRequest with PostgreSQL's placeholders.
var createRequestPostgres = postgresDialect.bind(createRequest)

// Body returns the request's JSON, as stored.
func (c *RequestCreation) Body() []byte { return c.body }

// CreateRequest stores a RequestCreation in a transaction of its own. On
// PostgreSQL a statement is a transaction: the three rows, and the row
// the audit record's trigger queues for the log, are committed together
// or not at all, in one round trip to the server where BEGIN and COMMIT
// would take two more, during which the rows' locks are held.
func (db *DB) CreateRequest(ctx context.Context, c *RequestCreation) error {
	if db.dialect.name == "postgres" {
		_, err := db.write.ExecContext(ctx, createRequestPostgres, c.args...)
		return requestExists(c.r, err)
	}
	return db.Tx(ctx, func(tx *Tx) error { return tx.CreateRequest(ctx, c) })
}

// CreateRequest stores a new view of a request, its first event and the
// audit record of its creation, in tx. On PostgreSQL the three rows go in
// one statement, a round trip to the server instead of three.
func (tx *Tx) CreateRequest(ctx context.Context, c *RequestCreation) error {
	if tx.dialect.name == "postgres" {
		_, err := tx.exec(ctx, createRequest, c.args...)
		return requestExists(c.r, err)
	}
	n, m := len(c.args)-len(c.events)-6, len(c.args)-6
	if _, err := tx.exec(ctx, insertRequest, c.args[:n]...); err != nil {
		return requestExists(c.r, err)
	}
	if _, err := tx.exec(ctx, appendEvent, c.args[n:m]...); err != nil {
		return err
	}
	if _, err := tx.exec(ctx, insertAudit, c.args[m:]...); err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	return nil
}

// UpdateRequest stores r over the version it was read at. It fails with
// casework.ErrConflict if someone else changed it meanwhile.
func (tx *Tx) UpdateRequest(ctx context.Context, r *casework.Request, readVersion int) error {
	body, err := json.Marshal(r)
	if err != nil {
		return err
	}
	res, err := tx.exec(ctx, `UPDATE requests SET state = ?, urgency = ?, updated_at = ?, version = ?, body = ?, due_at = ?
		WHERE holder = ? AND id = ? AND version = ?`,
		string(r.State), string(r.Urgency), formatTime(r.UpdatedAt), r.Version, string(body), dueAt(r), r.Holder, r.ID, readVersion)
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
	row := db.readRow(ctx, `SELECT body FROM requests WHERE holder = ? AND id = ?`, holder, id)
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

// dueAt is the view's nearest deadline as stored, or "": the end of its
// preservation while no follow-up holds it (art. 42).
func dueAt(r *casework.Request) string {
	if p := r.Preservation; p != nil && !p.Until.IsZero() {
		return formatTime(p.Until)
	}
	return ""
}

// Filter selects requests in a listing. Zero fields select everything.
type Filter struct {
	State casework.State
	Kind  string
	Side  casework.Side
	// Counterpart is the other State of the request.
	Counterpart string
	Urgency     casework.Urgency
	// DueBefore keeps the views with a deadline before it.
	DueBefore time.Time
	// ArrivedFrom and ArrivedBefore bound when the view arrived.
	ArrivedFrom, ArrivedBefore time.Time
	// UpdatedSince keeps the views changed at or after it.
	UpdatedSince time.Time
	// Text is looked for, whatever its case, in the view's contents.
	Text string
	// Sort is SortArrival (the default) or SortDeadline.
	Sort   string
	Limit  int
	Cursor string // from the previous page's NextCursor
}

// The orders of a listing.
const (
	// SortArrival lists the views that arrived last first.
	SortArrival = "arrival"
	// SortDeadline lists the nearest deadlines first, then the views
	// without one.
	SortDeadline = "deadline"
)

// Page is one page of a listing.
type Page struct {
	Requests   []*casework.Request `json:"requests"`
	NextCursor string              `json:"next_cursor,omitempty"`
	// Total is how many views the filter selects, on every page.
	Total int `json:"total"`
	// Unreadable names the stored requests of the page that could not be
	// read, left out of Requests.
	Unreadable []string `json:"unreadable,omitempty"`
	// ScreeningNeeded names the requests of the page that wait for a
	// screening for human rights before execution may begin.
	ScreeningNeeded []string `json:"screening_needed,omitempty"`
}

// ErrBadCursor is returned for a cursor this package did not make, or
// made for another order.
var ErrBadCursor = errors.New("invalid cursor")

// noDeadline sorts after every deadline.
const noDeadline = "~"

// Requests lists holder's views of requests, in f's order. A view that
// cannot be read is named in the page's Unreadable, and counts toward its
// limit, so that the pages that follow are the same.
func (db *DB) Requests(ctx context.Context, holder string, f Filter) (Page, error) {
	where := ` WHERE holder = ?`
	args := []any{holder}
	add := func(cond string, a ...any) { where += ` AND ` + cond; args = append(args, a...) }
	if f.State != "" {
		add(`state = ?`, string(f.State))
	}
	if f.Kind != "" {
		add(`kind = ?`, f.Kind)
	}
	switch f.Side {
	case casework.Requesting:
		add(`requesting_state = ?`, holder)
	case casework.Requested:
		add(`requested_state = ?`, holder)
	}
	if f.Counterpart != "" {
		add(`(requesting_state = ? OR requested_state = ?) AND requesting_state <> requested_state`, f.Counterpart, f.Counterpart)
	}
	if f.Urgency != "" {
		add(`urgency = ?`, string(f.Urgency))
	}
	if !f.DueBefore.IsZero() {
		add(`due_at <> '' AND due_at < ?`, formatTime(f.DueBefore))
	}
	if !f.ArrivedFrom.IsZero() {
		add(`arrived_at >= ?`, formatTime(f.ArrivedFrom))
	}
	if !f.ArrivedBefore.IsZero() {
		add(`arrived_at < ?`, formatTime(f.ArrivedBefore))
	}
	if !f.UpdatedSince.IsZero() {
		add(`updated_at >= ?`, formatTime(f.UpdatedSince))
	}
	if f.Text != "" {
		// The body is the view's JSON: its text fields as JSON strings, so
		// the text is looked for as JSON would write it.
		quoted, _ := json.Marshal(strings.ToLower(f.Text))
		pattern := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(string(quoted[1 : len(quoted)-1]))
		add(`LOWER(body) LIKE ? ESCAPE '\'`, "%"+pattern+"%")
	}
	var page Page
	if err := db.read.QueryRowContext(ctx, db.bind(`SELECT COUNT(*) FROM requests`+where), args...).Scan(&page.Total); err != nil {
		return Page{}, err
	}
	key, order, prefix := `arrived_at`, ` ORDER BY arrived_at DESC, id DESC`, ""
	if f.Sort == SortDeadline {
		key, order, prefix = `CASE WHEN due_at = '' THEN '`+noDeadline+`' ELSE due_at END`, ` ORDER BY 1 ASC, id ASC`, "d:"
	}
	if f.Cursor != "" {
		raw, err := base64.RawURLEncoding.DecodeString(f.Cursor)
		rest, sorted := strings.CutPrefix(string(raw), "d:")
		at, id, ok := strings.Cut(rest, "|")
		if err != nil || !ok || sorted != (prefix != "") || !validID(id) {
			return Page{}, ErrBadCursor
		}
		if _, err := parseTime(at); err != nil && !(sorted && at == noDeadline) {
			return Page{}, ErrBadCursor
		}
		if sorted {
			where += ` AND (` + key + ` > ? OR (` + key + ` = ? AND id > ?))`
		} else {
			where += ` AND (arrived_at < ? OR (arrived_at = ? AND id < ?))`
		}
		args = append(args, at, at, id)
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 50
	}
	args = append(args, limit+1)
	rows, err := db.read.QueryContext(ctx, db.bind(`SELECT `+key+`, body, id FROM requests`+where+order+` LIMIT ?`), args...)
	if err != nil {
		return Page{}, err
	}
	defer rows.Close()
	page.Requests = []*casework.Request{}
	var lastKey, lastID string
	for rows.Next() {
		var k, body, id string
		if err := rows.Scan(&k, &body, &id); err != nil {
			return Page{}, err
		}
		if len(page.Requests)+len(page.Unreadable) == limit {
			page.NextCursor = base64.RawURLEncoding.EncodeToString([]byte(prefix + lastKey + "|" + lastID))
			break
		}
		lastKey, lastID = k, id
		var r casework.Request
		if err := json.Unmarshal([]byte(body), &r); err != nil {
			page.Unreadable = append(page.Unreadable, (&RowError{Table: "requests", ID: id, Err: err}).Error())
			continue
		}
		page.Requests = append(page.Requests, &r)
	}
	return page, rows.Err()
}

// LatestActions returns the actions of the n newest events of holder's
// view of request id, newest first.
func (tx *Tx) LatestActions(ctx context.Context, holder, id string, n int) ([]casework.Action, error) {
	rows, err := tx.query(ctx, `SELECT body FROM events WHERE holder = ? AND request_id = ? ORDER BY seq DESC LIMIT ?`, holder, id, n)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []casework.Action
	for rows.Next() {
		var body string
		if err := rows.Scan(&body); err != nil {
			return nil, err
		}
		var e struct{ Action casework.Action }
		if err := json.Unmarshal([]byte(body), &e); err != nil {
			return nil, fmt.Errorf("event of request %s: %w", id, err)
		}
		out = append(out, e.Action)
	}
	return out, rows.Err()
}

// AppendEvent adds e to the timeline of holder's view of its request.
func (tx *Tx) AppendEvent(ctx context.Context, holder string, e casework.Event) error {
	body, err := json.Marshal(e)
	if err != nil {
		return err
	}
	_, err = tx.exec(ctx, appendEvent, holder, e.RequestID, holder, e.RequestID, formatTime(e.At), string(body))
	return err
}

const appendEvent = `INSERT INTO events (holder, request_id, seq, at, body)
		VALUES (?, ?, (SELECT COALESCE(MAX(seq), 0) + 1 FROM events WHERE holder = ? AND request_id = ?), ?, ?)`

// Timeline returns the events of holder's view of request id, oldest
// first. Events that cannot be read are left out, and named in a Partial
// error beside the timeline.
func (db *DB) Timeline(ctx context.Context, holder, id string) ([]casework.Event, error) {
	rows, err := db.read.QueryContext(ctx, db.bind(`SELECT seq, body FROM events WHERE holder = ? AND request_id = ? ORDER BY seq`), holder, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	events := []casework.Event{}
	var unreadable Partial
	for rows.Next() {
		var seq int64
		var body string
		if err := rows.Scan(&seq, &body); err != nil {
			return nil, err
		}
		var e casework.Event
		if err := json.Unmarshal([]byte(body), &e); err != nil {
			unreadable = append(unreadable, &RowError{Table: "events", ID: fmt.Sprintf("%s/%d", id, seq), Err: err})
			continue
		}
		events = append(events, e)
	}
	return events, orPartial(unreadable, rows.Err())
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
