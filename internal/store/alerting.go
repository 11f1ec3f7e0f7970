package store

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"entraide/internal/alerting"
	"entraide/internal/identity"
)

// InsertRosterEntry adds a line to state's on-call roster, for e.User, an
// official of state. It fails with ErrExists if the id is taken, and with
// ErrNotFound if state has no such official.
func (tx *Tx) InsertRosterEntry(ctx context.Context, state string, e alerting.Entry) error {
	res, err := tx.exec(ctx, `INSERT INTO roster (id, user_id, position, channel, address, secret, from_at, until_at, created_at)
		SELECT ?, id, CAST(? AS INTEGER), ?, ?, ?, ?, ?, ? FROM users WHERE state = ? AND id = ?`,
		e.ID, e.Position, string(e.Channel), e.Address, e.Secret, optTime(e.From), optTime(e.Until), formatTime(e.CreatedAt), state, e.User)
	if isUniqueViolation(err) {
		return fmt.Errorf("roster entry %s: %w", e.ID, ErrExists)
	}
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n != 1 {
		return fmt.Errorf("official %q of %s: %w", e.User, state, ErrNotFound)
	}
	return nil
}

// DeleteRosterEntry removes a line of state's roster and returns it. It
// fails with ErrNotFound for an unknown id or another State's line.
func (tx *Tx) DeleteRosterEntry(ctx context.Context, state, id string) (alerting.Entry, error) {
	e, err := scanEntry(tx.tx.QueryRowContext(tx.context(ctx), tx.bind(rosterQuery+` WHERE u.state = ? AND r.id = ?`+tx.dialect.forUpdate), state, id))
	var bad *RowError
	if err != nil && !errors.As(err, &bad) {
		return e, err // an unreadable line can still be removed
	}
	_, err = tx.exec(ctx, `DELETE FROM roster WHERE id = ?`, e.ID)
	return e, err
}

const rosterQuery = `SELECT r.id, r.user_id, u.state, u.role, r.position, r.channel, r.address, r.secret, r.from_at, r.until_at, r.created_at
	FROM roster r JOIN users u ON u.id = r.user_id`

func scanEntry(row scanner) (alerting.Entry, error) {
	var e alerting.Entry
	var role, channel, from, until, created string
	if err := row.Scan(&e.ID, &e.User, &e.State, &role, &e.Position, &channel, &e.Address, &e.Secret, &from, &until, &created); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return e, ErrNotFound
		}
		return e, err
	}
	e.Role, e.Channel = identity.Role(role), alerting.Channel(channel)
	var errs []error
	for _, t := range []struct {
		to *time.Time
		s  string
	}{{&e.From, from}, {&e.Until, until}, {&e.CreatedAt, created}} {
		var err error
		if *t.to, err = parseOptTime(t.s); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		bad := &RowError{Table: "roster", ID: e.ID, Err: errors.Join(errs...)}
		e.Unreadable = bad.Error()
		return e, bad
	}
	return e, nil
}

func parseOptTime(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	return parseTime(s)
}

// Roster returns every line of state's roster, secrets included, by
// position, official and id. A line is its official's State's. Lines that
// cannot be read are listed too, marked Unreadable, and named in a
// Partial error beside the list.
func (db *DB) Roster(ctx context.Context, state string) ([]alerting.Entry, error) {
	rows, err := db.readRows(ctx, rosterQuery+` WHERE u.state = ? ORDER BY r.position, r.user_id, r.id`, state)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	return collect(rows, scanEntry, true) // unreadable lines are listed, marked
}

// RosterEntry returns one line of state's roster, secret included, or
// ErrNotFound.
func (db *DB) RosterEntry(ctx context.Context, state, id string) (alerting.Entry, error) {
	return scanEntry(db.read.QueryRowContext(ctx, db.bind(rosterQuery+` WHERE u.state = ? AND r.id = ?`), state, id))
}

// InsertAlert stores a new alert.
func (tx *Tx) InsertAlert(ctx context.Context, a *alerting.Alert) error {
	body, err := json.Marshal(a)
	if err != nil {
		return err
	}
	_, err = tx.exec(ctx, `INSERT INTO alerts (id, state, reason, request_id, created_at, escalate_at, acked_at, ack_ms, body)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		a.ID, a.State, string(a.Reason), a.RequestID, formatTime(a.CreatedAt), optTime(a.EscalatesAt), optTime(a.AckedAt), ackMS(a), string(body))
	if isUniqueViolation(err) {
		return fmt.Errorf("alert %s: %w", a.ID, ErrExists)
	}
	return err
}

// ackMS is the time to acknowledge stored beside an alert: -1 for one
// that its request resolved through the other State, which measures no
// official of the alert's State.
func ackMS(a *alerting.Alert) int64 {
	if a.TimeToAckMS == nil {
		if a.Acked() {
			return -1
		}
		return 0
	}
	return *a.TimeToAckMS
}

// UpdateAlert stores a changed alert of a.State.
func (tx *Tx) UpdateAlert(ctx context.Context, a *alerting.Alert) error {
	body, err := json.Marshal(a)
	if err != nil {
		return err
	}
	res, err := tx.exec(ctx, `UPDATE alerts SET escalate_at = ?, acked_at = ?, ack_ms = ?, body = ? WHERE state = ? AND id = ?`,
		optTime(a.EscalatesAt), optTime(a.AckedAt), ackMS(a), string(body), a.State, a.ID)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return fmt.Errorf("alert %s: %w", a.ID, ErrNotFound)
	}
	return nil
}

// AlertForUpdate reads state's alert id inside tx, locking it until tx
// ends, or fails with ErrNotFound, as it does for another State's alert.
func (tx *Tx) AlertForUpdate(ctx context.Context, state, id string) (*alerting.Alert, error) {
	return scanAlert(tx.queryRow(ctx, `SELECT id, body FROM alerts WHERE state = ? AND id = ?`+tx.dialect.forUpdate, state, id))
}

// OpenAlertsFor reads, inside tx and locking them until tx ends, state's
// alerts about request requestID that are not acknowledged, oldest first.
func (tx *Tx) OpenAlertsFor(ctx context.Context, state, requestID string) ([]*alerting.Alert, error) {
	rows, err := tx.query(ctx, `SELECT id, body FROM alerts WHERE state = ? AND request_id = ? AND acked_at = '' ORDER BY created_at, id`+tx.dialect.forUpdate, state, requestID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*alerting.Alert
	for rows.Next() {
		a, err := scanAlert(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// Alert reads state's alert id, or fails with ErrNotFound, as it does for
// another State's alert.
func (db *DB) Alert(ctx context.Context, state, id string) (*alerting.Alert, error) {
	return scanAlert(db.readRow(ctx, `SELECT id, body FROM alerts WHERE state = ? AND id = ?`, state, id))
}

// scanAlert reads an alert, or fails with a *RowError for one whose body
// cannot be read.
func scanAlert(row scanner) (*alerting.Alert, error) {
	var id, body string
	if err := row.Scan(&id, &body); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, ErrNotFound
		}
		return nil, err
	}
	var a alerting.Alert
	if err := json.Unmarshal([]byte(body), &a); err != nil {
		return nil, &RowError{Table: "alerts", ID: id, Err: err}
	}
	if a.ID != id {
		return nil, &RowError{Table: "alerts", ID: id, Err: fmt.Errorf("its body is alert %q", a.ID)}
	}
	return &a, nil
}

// SetAsideAlert stops escalating state's alert id, whose stored row cannot be
// read, so that the escalation loop does not take it up again and again.
func (db *DB) SetAsideAlert(ctx context.Context, state, id string) error {
	_, err := db.write.ExecContext(ctx, db.bind(`UPDATE alerts SET escalate_at = '' WHERE state = ? AND id = ?`), state, id)
	return err
}

// AlertFilter selects alerts in a listing.
type AlertFilter struct {
	Open   bool // only those not acknowledged
	Reason alerting.Reason
	Limit  int    // 50 if 0
	Cursor string // AlertCursor of the last alert of the previous page
}

// AlertCursor is the cursor of the page that follows a, in a listing
// newest first.
func AlertCursor(a *alerting.Alert) string {
	return base64.RawURLEncoding.EncodeToString([]byte(formatTime(a.CreatedAt) + "|" + a.ID))
}

// Alerts lists state's alerts, newest first. Alerts that cannot be read
// are left out, and named in a Partial error beside the list.
func (db *DB) Alerts(ctx context.Context, state string, f AlertFilter) ([]*alerting.Alert, error) {
	q := `SELECT id, body FROM alerts WHERE state = ?`
	args := []any{state}
	if f.Open {
		q += ` AND acked_at = ''`
	}
	if f.Reason != "" {
		q += ` AND reason = ?`
		args = append(args, string(f.Reason))
	}
	if f.Cursor != "" {
		raw, err := base64.RawURLEncoding.DecodeString(f.Cursor)
		created, id, ok := strings.Cut(string(raw), "|")
		if err != nil || !ok || !validID(id) {
			return nil, ErrBadCursor
		}
		if _, err := parseTime(created); err != nil {
			return nil, ErrBadCursor
		}
		q += ` AND (created_at < ? OR (created_at = ? AND id < ?))`
		args = append(args, created, created, id)
	}
	if f.Limit <= 0 {
		f.Limit = 50
	}
	q += ` ORDER BY created_at DESC, id DESC LIMIT ?`
	args = append(args, f.Limit)
	rows, err := db.read.QueryContext(ctx, db.bind(q), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	return collect(rows, scanAlert, false)
}

// TimesToAck returns, by reason, the time to acknowledge in milliseconds
// of each of state's acknowledged alerts.
func (db *DB) TimesToAck(ctx context.Context, state string) (map[alerting.Reason][]int64, error) {
	rows, err := db.read.QueryContext(ctx, db.bind(`SELECT reason, ack_ms FROM alerts WHERE state = ? AND acked_at <> '' AND ack_ms >= 0`), state)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[alerting.Reason][]int64{}
	for rows.Next() {
		var reason string
		var ms int64
		if err := rows.Scan(&reason, &ms); err != nil {
			return nil, err
		}
		out[alerting.Reason(reason)] = append(out[alerting.Reason(reason)], ms)
	}
	return out, rows.Err()
}

// OpenAlerts counts state's alerts not acknowledged.
func (db *DB) OpenAlerts(ctx context.Context, state string) (int, error) {
	var n int
	err := db.read.QueryRowContext(ctx, db.bind(`SELECT COUNT(*) FROM alerts WHERE state = ? AND acked_at = ''`), state).Scan(&n)
	return n, err
}

// AlertRef names an alert: the State whose alert it is, and its id.
type AlertRef struct{ State, ID string }

// DueAlerts returns up to limit alerts, of every State the node hosts,
// whose next escalation step is due by now, the most overdue first: the
// node's own loop takes them, for each State in turn.
func (db *DB) DueAlerts(ctx context.Context, now time.Time, limit int) ([]AlertRef, error) {
	rows, err := db.readRows(ctx, `SELECT state, id FROM alerts WHERE escalate_at <> '' AND escalate_at <= ? ORDER BY escalate_at, id LIMIT ?`,
		formatTime(now), limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []AlertRef
	for rows.Next() {
		var a AlertRef
		if err := rows.Scan(&a.State, &a.ID); err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// NextAlertWork returns when the next escalation step or notification
// attempt falls due, or false if none is pending.
func (db *DB) NextAlertWork(ctx context.Context) (time.Time, bool, error) {
	var step, send sql.NullString
	if err := db.readRow(ctx, `SELECT MIN(escalate_at) FROM alerts WHERE escalate_at <> ''`).Scan(&step); err != nil {
		return time.Time{}, false, err
	}
	if err := db.readRow(ctx, `SELECT MIN(next_attempt) FROM alert_notifications WHERE sent_at = '' AND failed_at = ''`).Scan(&send); err != nil {
		return time.Time{}, false, err
	}
	next := ""
	for _, s := range []sql.NullString{step, send} {
		if s.Valid && (next == "" || s.String < next) {
			next = s.String
		}
	}
	if next == "" {
		return time.Time{}, false, nil
	}
	t, err := parseTime(next)
	return t, err == nil, err
}

// AppendAlertEvent records an event of an alert inside tx, giving it the
// next number of the live feed in e.Seq. The feed's counter is locked
// until tx ends, by the transactions that change an alert only, so that
// the feed's order is the order of commit and a reader that follows it
// misses no event.
func (tx *Tx) AppendAlertEvent(ctx context.Context, e alerting.Event) error {
	if err := tx.queryRow(ctx, `UPDATE alert_feed_head SET seq = seq + 1 WHERE id = 1 RETURNING seq`).Scan(&e.Seq); err != nil {
		return fmt.Errorf("alert event: %w", err)
	}
	body, err := json.Marshal(e)
	if err != nil {
		return err
	}
	_, err = tx.exec(ctx, `INSERT INTO alert_events (seq, alert_id, state, type, at, body) VALUES (?, ?, ?, ?, ?, ?)`,
		e.Seq, e.Alert.ID, e.Alert.State, string(e.Type), formatTime(e.At), string(body))
	tx.announce(TopicAlerts)
	return err
}

// AlertEvents returns up to limit events of state's alerts after seq
// after, in order.
func (db *DB) AlertEvents(ctx context.Context, state string, after int64, limit int) ([]alerting.Event, error) {
	rows, err := db.read.QueryContext(ctx, db.bind(`SELECT body FROM alert_events WHERE state = ? AND seq > ? ORDER BY seq LIMIT ?`), state, after, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []alerting.Event{}
	for rows.Next() {
		var body string
		if err := rows.Scan(&body); err != nil {
			return nil, err
		}
		var e alerting.Event
		if err := json.Unmarshal([]byte(body), &e); err != nil {
			return nil, fmt.Errorf("stored alert event is corrupt: %w", err)
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// LastAlertEvent returns the sequence number of state's latest alert
// event, or 0.
func (db *DB) LastAlertEvent(ctx context.Context, state string) (int64, error) {
	var seq sql.NullInt64
	err := db.read.QueryRowContext(ctx, db.bind(`SELECT MAX(seq) FROM alert_events WHERE state = ?`), state).Scan(&seq)
	return seq.Int64, err
}

// Notification is one e-mail or webhook of an alert's escalation, and its
// delivery.
type Notification struct {
	ID      string
	AlertID string
	State   string // the State of the alert, whose roster Entry is on
	Level   int
	User    string // the official reached, or ""
	Entry   string // the roster entry used, or ""
	Channel alerting.Channel
	Address string
	Subject string // of an e-mail
	Body    []byte // an e-mail's text or a webhook's JSON
	// CreatedAt is when the step that sent it was taken.
	CreatedAt   time.Time
	NextAttempt time.Time
	Attempts    int
	LastError   string
	SentAt      time.Time
	FailedAt    time.Time
}

// EnqueueNotification queues a notification, due at once, inside the
// transaction of its escalation step.
func (tx *Tx) EnqueueNotification(ctx context.Context, n Notification) error {
	_, err := tx.exec(ctx, `INSERT INTO alert_notifications (id, alert_id, level, user_id, entry_id, channel, address, subject, body, created_at, next_attempt)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		n.ID, n.AlertID, n.Level, n.User, n.Entry, string(n.Channel), n.Address, n.Subject, n.Body, formatTime(n.CreatedAt), formatTime(n.CreatedAt))
	tx.announce(TopicAlerts)
	return err
}

const notificationColumns = `id, alert_id, (SELECT a.state FROM alerts a WHERE a.id = alert_notifications.alert_id), level, user_id, entry_id, channel, address, subject, body, created_at, next_attempt, attempts, last_error, sent_at, failed_at`

func scanNotification(row scanner) (Notification, error) {
	var n Notification
	var channel, created, next, sent, failed string
	if err := row.Scan(&n.ID, &n.AlertID, &n.State, &n.Level, &n.User, &n.Entry, &channel, &n.Address, &n.Subject, &n.Body, &created, &next, &n.Attempts, &n.LastError, &sent, &failed); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return n, ErrNotFound
		}
		return n, err
	}
	n.Channel = alerting.Channel(channel)
	var errs []error
	for _, f := range []struct {
		to *time.Time
		s  string
	}{{&n.CreatedAt, created}, {&n.NextAttempt, next}, {&n.SentAt, sent}, {&n.FailedAt, failed}} {
		var err error
		if *f.to, err = parseOptTime(f.s); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		return n, &RowError{Table: "alert_notifications", ID: n.ID, Err: errors.Join(errs...)}
	}
	return n, nil
}

func (db *DB) notifications(ctx context.Context, where string, args ...any) ([]Notification, error) {
	// where is one of a few constants, each prepared once.
	rows, err := db.readRows(ctx, `SELECT `+notificationColumns+` FROM alert_notifications `+where, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	return collect(rows, scanNotification, false)
}

// DueNotifications returns up to limit notifications neither sent nor
// failed whose next attempt is due by now, the most overdue first. Those
// that cannot be read are left out, and named in a Partial error.
func (db *DB) DueNotifications(ctx context.Context, now time.Time, limit int) ([]Notification, error) {
	return db.notifications(ctx, `WHERE sent_at = '' AND failed_at = '' AND next_attempt <= ? ORDER BY next_attempt, id LIMIT ?`, formatTime(now), limit)
}

// Notifications returns the notifications of alert id, in the order they
// were queued.
func (db *DB) Notifications(ctx context.Context, alertID string) ([]Notification, error) {
	return db.notifications(ctx, `WHERE alert_id = ? ORDER BY created_at, level, id`, alertID)
}

// ClaimNotification takes notification n for one attempt: it moves its
// next attempt from n.NextAttempt to until, unless another worker did
// first, and reports whether it did. A worker that dies with the claim
// leaves the notification due again at until.
func (db *DB) ClaimNotification(ctx context.Context, n Notification, until time.Time) (bool, error) {
	res, err := db.write.ExecContext(ctx, db.bind(`UPDATE alert_notifications SET next_attempt = ?
		WHERE id = ? AND next_attempt = ? AND sent_at = '' AND failed_at = ''`), formatTime(until), n.ID, formatTime(n.NextAttempt))
	if err != nil {
		return false, err
	}
	rows, err := res.RowsAffected()
	return rows == 1, err
}

// NotificationSent records that notification id was sent, after attempts.
func (db *DB) NotificationSent(ctx context.Context, id string, at time.Time, attempts int) error {
	_, err := db.write.ExecContext(ctx, db.bind(`UPDATE alert_notifications SET sent_at = ?, attempts = ?, last_error = '' WHERE id = ?`),
		formatTime(at), attempts, id)
	return err
}

// NotificationRetry records a failed attempt and when to try again.
func (db *DB) NotificationRetry(ctx context.Context, id string, attempts int, next time.Time, lastError string) error {
	_, err := db.write.ExecContext(ctx, db.bind(`UPDATE alert_notifications SET attempts = ?, next_attempt = ?, last_error = ? WHERE id = ? AND sent_at = ''`),
		attempts, formatTime(next), ClipText(lastError, MaxErrorText), id)
	return err
}

// SetAsideNotification gives up on notification id, whose stored row
// cannot be read, so that it is not taken up again and again.
func (db *DB) SetAsideNotification(ctx context.Context, id string, at time.Time, why string) error {
	_, err := db.write.ExecContext(ctx, db.bind(`UPDATE alert_notifications SET failed_at = ?, last_error = ? WHERE id = ? AND sent_at = ''`),
		formatTime(at), ClipText(why, MaxErrorText), id)
	return err
}

// NotificationFailed records that notification id will not be tried again.
func (db *DB) NotificationFailed(ctx context.Context, id string, at time.Time, attempts int, lastError string) error {
	_, err := db.write.ExecContext(ctx, db.bind(`UPDATE alert_notifications SET failed_at = ?, attempts = ?, last_error = ? WHERE id = ? AND sent_at = ''`),
		formatTime(at), attempts, ClipText(lastError, MaxErrorText), id)
	return err
}

// CancelNotifications gives up, inside tx, on the notifications of alert
// id not yet sent: once acknowledged, an alert needs no more telling.
func (tx *Tx) CancelNotifications(ctx context.Context, alertID string, at time.Time, why string) error {
	_, err := tx.exec(ctx, `UPDATE alert_notifications SET failed_at = ?, last_error = ? WHERE alert_id = ? AND sent_at = '' AND failed_at = ''`,
		formatTime(at), ClipText(why, MaxErrorText), alertID)
	return err
}
