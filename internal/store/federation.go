package store

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"entraide/internal/requestid"
)

// Key is one of the node's keys.
type Key struct {
	ID      string
	Purpose string // "signing" or "encryption"
	Public  []byte
	// Private is the private key as stored: wrapped by the node's key
	// keeper if Wrapped, in clear for a key an earlier version wrote.
	Private    []byte
	Wrapped    bool
	ValidFrom  time.Time
	ValidUntil time.Time // zero for the current key
}

// InsertKey stores a new key of the node.
func (tx *Tx) InsertKey(ctx context.Context, k Key) error {
	_, err := tx.exec(ctx, `INSERT INTO node_keys (id, purpose, public, private, wrapped, valid_from, valid_until) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		k.ID, k.Purpose, k.Public, k.Private, boolInt(k.Wrapped), formatTime(k.ValidFrom), optTime(k.ValidUntil))
	tx.announce(TopicKeys)
	return err
}

// WrapKey replaces a private key kept in clear by its wrapped form. It
// reports whether it did: another process may have wrapped it first.
func (tx *Tx) WrapKey(ctx context.Context, id string, wrapped []byte) (bool, error) {
	res, err := tx.exec(ctx, `UPDATE node_keys SET private = ?, wrapped = 1 WHERE id = ? AND wrapped = 0`, wrapped, id)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// RetireKeys ends the validity of the current keys of purpose at t.
func (tx *Tx) RetireKeys(ctx context.Context, purpose string, t time.Time) error {
	_, err := tx.exec(ctx, `UPDATE node_keys SET valid_until = ? WHERE purpose = ? AND valid_until = ''`, formatTime(t), purpose)
	tx.announce(TopicKeys)
	return err
}

// Keys returns the node's keys, newest first.
func (db *DB) Keys(ctx context.Context) ([]Key, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT id, purpose, public, private, wrapped, valid_from, valid_until FROM node_keys ORDER BY valid_from DESC, id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Key
	for rows.Next() {
		var k Key
		var from, until string
		var wrapped int
		if err := rows.Scan(&k.ID, &k.Purpose, &k.Public, &k.Private, &wrapped, &from, &until); err != nil {
			return nil, err
		}
		k.Wrapped = wrapped != 0
		if k.ValidFrom, err = parseTime(from); err != nil {
			return nil, err
		}
		if until != "" {
			if k.ValidUntil, err = parseTime(until); err != nil {
				return nil, err
			}
		}
		out = append(out, k)
	}
	return out, rows.Err()
}

func optTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return formatTime(t)
}

// SetBaseURL records the address other nodes reach this one at.
func (tx *Tx) SetBaseURL(ctx context.Context, url string) error {
	_, err := tx.exec(ctx, `UPDATE node SET base_url = ? WHERE id = 1`, url)
	return err
}

// BaseURL returns the address other nodes reach this one at.
func (db *DB) BaseURL(ctx context.Context) (string, error) {
	var u string
	err := db.read.QueryRowContext(ctx, `SELECT base_url FROM node WHERE id = 1`).Scan(&u)
	return u, err
}

// Peer is another State's node.
type Peer struct {
	State      string
	Descriptor []byte // as the peer signed it
	AddedAt    time.Time
	UpdatedAt  time.Time
}

// PutPeer stores or replaces a peer's descriptor.
func (tx *Tx) PutPeer(ctx context.Context, state string, descriptor []byte, at time.Time) error {
	_, err := tx.exec(ctx, `INSERT INTO peers (state, descriptor, added_at, updated_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (state) DO UPDATE SET descriptor = excluded.descriptor, updated_at = excluded.updated_at`,
		state, string(descriptor), formatTime(at), formatTime(at))
	tx.announce(TopicPeers)
	return err
}

// DeletePeer forgets a peer. It fails with ErrNotFound for an unknown one.
func (tx *Tx) DeletePeer(ctx context.Context, state string) error {
	res, err := tx.exec(ctx, `DELETE FROM peers WHERE state = ?`, state)
	if err != nil {
		return err
	}
	tx.announce(TopicPeers)
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("peer %s: %w", state, ErrNotFound)
	}
	return nil
}

// Peers returns every peer, by State.
func (db *DB) Peers(ctx context.Context) ([]Peer, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT state, descriptor, added_at, updated_at FROM peers ORDER BY state`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Peer
	for rows.Next() {
		var p Peer
		var desc, added, updated string
		if err := rows.Scan(&p.State, &desc, &added, &updated); err != nil {
			return nil, err
		}
		p.Descriptor = []byte(desc)
		p.AddedAt, _ = parseTime(added)
		p.UpdatedAt, _ = parseTime(updated)
		out = append(out, p)
	}
	return out, rows.Err()
}

// OutboxEntry is a message waiting for, or having got, its receipt.
type OutboxEntry struct {
	ID          string
	Recipient   string
	Type        string
	RequestID   string
	Envelope    []byte
	CreatedAt   time.Time
	NextAttempt time.Time
	Attempts    int
	LastError   string
	DeliveredAt time.Time
	ExpiredAt   time.Time
	Receipt     string
	// Priority ranks due messages: higher first.
	Priority int
	// OriginRequestID is the request id (X-Request-Id) of the call that
	// caused the message, "" if none did. It is not RequestID, the
	// casework request the message is about.
	OriginRequestID string
}

// Enqueue puts a message in the outbox, due at once. Unless e names its
// origin, the message keeps the request id ctx carries, that of the call
// whose transaction queues it; an id that is not a sane token is not
// kept, as it would be sent to the peer and logged there.
func (tx *Tx) Enqueue(ctx context.Context, e OutboxEntry) error {
	if e.OriginRequestID == "" {
		e.OriginRequestID = requestid.From(ctx)
	}
	origin := sql.NullString{String: e.OriginRequestID, Valid: requestid.Valid(e.OriginRequestID)}
	// A message about no request goes as soon as it is due; one about a
	// request waits its turn, set as tx ends.
	head := 0
	if e.RequestID == "" {
		head = 1
	} else {
		tx.chainChanged(e.Recipient, e.RequestID)
	}
	_, err := tx.exec(ctx, `INSERT INTO outbox (id, recipient, type, request_id, envelope, created_at, next_attempt, priority, origin_request_id, head, queued)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, `+tx.dialect.nextQueued+`)`,
		e.ID, e.Recipient, e.Type, e.RequestID, e.Envelope, formatTime(e.CreatedAt), formatTime(e.CreatedAt), e.Priority, origin, head)
	tx.announce(TopicOutbox)
	return err
}

// chain is one request's queue of messages to one peer, which go one
// after the other.
type chain struct{ recipient, requestID string }

func (tx *Tx) chainChanged(recipient, requestID string) {
	if tx.chains == nil {
		tx.chains = map[chain]bool{}
	}
	tx.chains[chain{recipient, requestID}] = true
}

// advanceChains marks, in each queue tx queued to, delivered from or
// gave up on, its first undelivered message as the one that may go
// (head = 1), unless one already may. First is in the order of queueing
// (outbox.queued), which is that of the messages' sequence numbers: a
// message queued behind another waits for it, even if a replica's clock
// dated it earlier. It runs last in tx, so that the lock it takes on
// PostgreSQL, one per queue, is taken after every row lock of tx and in
// one order (by peer and request), and cannot close a cycle with another
// transaction's locks. The lock serialises the transactions that change
// one queue, so that when its first message is delivered as another is
// queued, the one that commits last sees the other's change and sets the
// head, and never two.
func (tx *Tx) advanceChains(ctx context.Context) error {
	if len(tx.chains) == 0 {
		return nil
	}
	keys := slices.SortedFunc(maps.Keys(tx.chains), func(a, b chain) int {
		return cmp.Or(strings.Compare(a.recipient, b.recipient), strings.Compare(a.requestID, b.requestID))
	})
	tx.chains = nil
	if tx.dialect.name == "postgres" {
		if err := tx.lockChains(ctx, keys); err != nil {
			return err
		}
		if len(keys) > maxChainLocks {
			return tx.advancePeers(ctx, keys)
		}
	}
	for _, c := range keys {
		// The head if there is one, else the first message queued, which
		// then becomes the head (outbox_chain_next).
		if _, err := tx.exec(ctx, `UPDATE outbox SET head = 1 WHERE head = 0 AND id = (
			SELECT id FROM outbox WHERE request_id = ? AND recipient = ? AND delivered_at = '' AND expired_at = ''
			ORDER BY head DESC, queued LIMIT 1)`, c.requestID, c.recipient); err != nil {
			return fmt.Errorf("outbox: next message of request %s to %s: %w", c.requestID, c.recipient, err)
		}
	}
	return nil
}

const outboxColumns = `id, recipient, type, request_id, envelope, created_at, next_attempt, attempts, last_error, delivered_at, expired_at, receipt, priority, origin_request_id`

func scanOutbox(row scanner) (OutboxEntry, error) {
	var e OutboxEntry
	var created, next, delivered, expired string
	var origin sql.NullString
	if err := row.Scan(&e.ID, &e.Recipient, &e.Type, &e.RequestID, &e.Envelope, &created, &next, &e.Attempts, &e.LastError, &delivered, &expired, &e.Receipt, &e.Priority, &origin); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return e, ErrNotFound
		}
		return e, err
	}
	e.OriginRequestID = origin.String
	var errs []error
	for _, t := range []struct {
		to  *time.Time
		s   string
		opt bool
	}{{&e.CreatedAt, created, false}, {&e.NextAttempt, next, false}, {&e.DeliveredAt, delivered, true}, {&e.ExpiredAt, expired, true}} {
		var err error
		if t.opt {
			*t.to, err = parseOptTime(t.s)
		} else {
			*t.to, err = parseTime(t.s)
		}
		if err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		return e, &RowError{Table: "outbox", ID: e.ID, Err: errors.Join(errs...)}
	}
	return e, nil
}

// listOutbox reads rows of the outbox, leaving out those that cannot be
// read and naming them in a Partial error.
func listOutbox(rows *sql.Rows) ([]OutboxEntry, error) {
	defer rows.Close()
	return collect(rows, scanOutbox, false)
}

// OutboxHeader returns who message id is for, what type it is and what
// request it is about, which can be read even when the rest of its row
// cannot.
func (db *DB) OutboxHeader(ctx context.Context, id string) (OutboxEntry, error) {
	e := OutboxEntry{ID: id}
	err := db.read.QueryRowContext(ctx, db.bind(`SELECT recipient, type, request_id FROM outbox WHERE id = ?`), id).Scan(&e.Recipient, &e.Type, &e.RequestID)
	if errors.Is(err, sql.ErrNoRows) {
		return e, ErrNotFound
	}
	return e, err
}

// DueMessages returns up to limit undelivered, unexpired messages due by
// now: the higher priorities first, then the most overdue, then the
// oldest. Of the messages about one request to one peer, only the first
// not yet delivered is due (its head), so that they arrive in the order
// they were sent rather than be refused as out of order. Those that
// cannot be read are left out, and named in a Partial error.
//
// Only heads are read, by the index outbox_head_due, in the order they
// are returned: the cost is that of the messages returned, however long
// the queue. Finding each request's first message at read time cost the
// whole queue on every read (24 s for 5,000 messages with no planner
// statistics, and still 27 ms for 20,000 with the best plan, once for
// each message delivered).
func (db *DB) DueMessages(ctx context.Context, now time.Time, limit int) ([]OutboxEntry, error) {
	rows, err := db.readRows(ctx, `SELECT `+outboxColumns+` FROM outbox o
		WHERE head = 1 AND delivered_at = '' AND expired_at = '' AND next_attempt <= ?
		ORDER BY priority DESC, next_attempt, created_at LIMIT ?`, formatTime(now), limit)
	if err != nil {
		return nil, err
	}
	return listOutbox(rows)
}

// ClaimDueMessages takes up to limit of the messages DueMessages would
// return, in its order and under its rules, for one attempt each: it
// counts the attempt and leases each until leaseUntil, when it is due
// again if the attempt's outcome was not written. The rows it returns
// are as they were before the claim (Attempts, NextAttempt).
//
// Several replicas on one PostgreSQL database each claim different
// messages in one statement: FOR UPDATE SKIP LOCKED passes over the rows
// another replica is claiming, where reading the same first due rows and
// racing to claim each left every replica but one with a wasted read and
// wasted UPDATEs. A request's next message stays out until its first is
// delivered: the first, claimed by another, is still undelivered. SQLite
// has no SKIP LOCKED, and its one process claims each message with
// ClaimMessage.
func (db *DB) ClaimDueMessages(ctx context.Context, now, leaseUntil time.Time, limit int) ([]OutboxEntry, error) {
	if db.dialect.name != "postgres" {
		return nil, fmt.Errorf("claiming due messages in one statement needs PostgreSQL, not %s: use DueMessages and ClaimMessage", db.dialect.name)
	}
	lease := formatTime(leaseUntil)
	rows, err := db.write.QueryContext(ctx, db.bind(`WITH picked AS MATERIALIZED (
			SELECT o.id, o.next_attempt, o.attempts FROM outbox o
			WHERE o.head = 1 AND o.delivered_at = '' AND o.expired_at = '' AND o.next_attempt <= ?
			ORDER BY o.priority DESC, o.next_attempt, o.created_at LIMIT ?
			FOR UPDATE OF o SKIP LOCKED),
		claimed AS (
			UPDATE outbox u SET attempts = u.attempts + 1, leased_until = ?, next_attempt = ?
			FROM picked p WHERE u.id = p.id
			RETURNING u.id, u.recipient, u.type, u.request_id, u.envelope, u.created_at, p.next_attempt, p.attempts,
				u.last_error, u.delivered_at, u.expired_at, u.receipt, u.priority, u.origin_request_id)
		SELECT `+outboxColumns+` FROM claimed ORDER BY priority DESC, next_attempt, created_at`),
		formatTime(now), limit, lease, lease)
	if err != nil {
		return nil, err
	}
	return listOutbox(rows)
}

// RefreshQueueStatistics has PostgreSQL gather statistics on the outbox
// (ANALYZE) when more of it changed since it last did than autovacuum
// would wait for, and reports whether it did. A burst, or a peer's
// outage, grows the queue from a few messages to thousands within the
// minute autovacuum may take to notice, and it may be off; meanwhile the
// planner, which thinks the queue as small as it last saw it, chose
// plans that read the whole queue for each message. SQLite needs none:
// its planner does not go by gathered statistics unless told to.
func (db *DB) RefreshQueueStatistics(ctx context.Context) (bool, error) {
	if db.dialect.name != "postgres" {
		return false, nil
	}
	var changed, live int64
	var owner bool
	err := db.read.QueryRowContext(ctx, `SELECT s.n_mod_since_analyze, s.n_live_tup, pg_has_role(c.relowner, 'USAGE')
		FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid WHERE s.relid = 'outbox'::regclass`).Scan(&changed, &live, &owner)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil // the server keeps no statistics on it
	}
	// Only the table's owner may analyse it; for another role PostgreSQL
	// would skip it with a warning, every time: autovacuum does it then.
	if err != nil || !owner || changed < 500+live/10 {
		return false, err
	}
	_, err = db.write.ExecContext(ctx, `ANALYZE outbox`)
	return err == nil, err
}

// NextDue returns when the next undelivered message that may go falls
// due, or false: a request's later messages wait for its first, not for
// a time. It reads every head (outbox_head_due), which the delivery loop
// asks for only when nothing more is due.
func (db *DB) NextDue(ctx context.Context) (time.Time, bool, error) {
	var next sql.NullString
	err := db.readRow(ctx, `SELECT MIN(next_attempt) FROM outbox WHERE head = 1 AND delivered_at = '' AND expired_at = ''`).Scan(&next)
	if err != nil || !next.Valid {
		return time.Time{}, false, err
	}
	t, err := parseTime(next.String)
	return t, err == nil, err
}

// OutboxMessage returns one message of the outbox.
func (db *DB) OutboxMessage(ctx context.Context, id string) (OutboxEntry, error) {
	return scanOutbox(db.read.QueryRowContext(ctx, db.bind(`SELECT `+outboxColumns+` FROM outbox WHERE id = ?`), id))
}

// OutboxMessageForUpdate reads and locks one message inside tx.
func (tx *Tx) OutboxMessageForUpdate(ctx context.Context, id string) (OutboxEntry, error) {
	return scanOutbox(tx.queryRow(ctx, `SELECT `+outboxColumns+` FROM outbox WHERE id = ?`+tx.dialect.forUpdate, id))
}

// Outbox lists messages, newest first, for administrators.
func (db *DB) Outbox(ctx context.Context, limit int) ([]OutboxEntry, error) {
	rows, err := db.read.QueryContext(ctx, db.bind(`SELECT `+outboxColumns+` FROM outbox ORDER BY created_at DESC LIMIT ?`), limit)
	if err != nil {
		return nil, err
	}
	return listOutbox(rows)
}

// ClaimMessage takes message m for one attempt, unless another worker
// did first, and reports whether it did. It counts the attempt, leases
// the message until leaseUntil, and makes it due again at retryAt, as if
// the attempt failed: a worker that dies, or that cannot write the
// outcome, leaves the message to be tried again then, and not at once.
func (db *DB) ClaimMessage(ctx context.Context, m OutboxEntry, leaseUntil, retryAt time.Time) (bool, error) {
	n, err := db.execGrouped(ctx, `UPDATE outbox SET attempts = attempts + 1, leased_until = ?, next_attempt = ?
		WHERE id = ? AND next_attempt = ? AND delivered_at = '' AND expired_at = ''`, formatTime(leaseUntil), formatTime(retryAt), m.ID, formatTime(m.NextAttempt))
	return n == 1, err
}

// WakePeer makes every message queued for peer due at now, except those
// being delivered, inside tx: the peer answers again, and what waited out
// its outage need not wait out the rest of its backoff. It returns how
// many it woke.
func (tx *Tx) WakePeer(ctx context.Context, peer string, now time.Time) (int64, error) {
	t := formatTime(now)
	// A message waits beyond its due time without a worker on it because
	// an attempt failed (RetryLater), and keeps its error until it is
	// delivered: outbox_backoff holds those alone. Not woken: one whose
	// attempt's outcome was never written, which waits out its retry, and
	// one a replica whose clock is ahead dated later, which waits for
	// that time.
	res, err := tx.exec(ctx, `UPDATE outbox SET next_attempt = ?
		WHERE recipient = ? AND last_error <> '' AND delivered_at = '' AND expired_at = '' AND next_attempt > ? AND leased_until <= ?`, t, peer, t, t)
	if err != nil {
		return 0, err
	}
	n, err := res.RowsAffected()
	if n > 0 {
		tx.announce(TopicOutbox)
	}
	return n, err
}

// FirstQueued returns the id of the oldest message queued for peer, not
// yet delivered nor given up, or "" if there is none.
func (db *DB) FirstQueued(ctx context.Context, peer string) (string, error) {
	var id string
	err := db.read.QueryRowContext(ctx, db.bind(`SELECT id FROM outbox WHERE recipient = ? AND delivered_at = '' AND expired_at = ''
		ORDER BY created_at, id LIMIT 1`), peer).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return id, err
}

// ReleaseLeases makes every leased message due at now: for a node whose
// delivery loops all run in one process, as they do on SQLite, when that
// process starts again after it was killed holding them.
func (db *DB) ReleaseLeases(ctx context.Context, now time.Time) error {
	t := formatTime(now)
	_, err := db.write.ExecContext(ctx, db.bind(`UPDATE outbox SET leased_until = '', next_attempt = ?
		WHERE delivered_at = '' AND expired_at = '' AND leased_until > ?`), t, t)
	return err
}

// RetryLater records a failed attempt and when to try again.
func (db *DB) RetryLater(ctx context.Context, id string, attempts int, next time.Time, lastError string) error {
	_, err := db.execGrouped(ctx, `UPDATE outbox SET attempts = ?, next_attempt = ?, last_error = ?, leased_until = '' WHERE id = ? AND delivered_at = ''`,
		attempts, formatTime(next), ClipText(lastError, MaxErrorText), id)
	return err
}

// maxChainLocks is how many queues a transaction locks one by one; one
// that changes more locks their peers' whole outboxes instead, as
// PostgreSQL's lock table holds some thousands of locks for all sessions
// together.
const maxChainLocks = 64

// lockChains takes the locks advanceChains needs on PostgreSQL: on each
// peer's outbox, shared, then on each queue, or on each peer's outbox
// alone, exclusive, when there are more than maxChainLocks queues.
func (tx *Tx) lockChains(ctx context.Context, keys []chain) error {
	if len(keys) > maxChainLocks {
		return tx.lockQueues(ctx, peersOf(keys), true, nil)
	}
	return tx.lockQueues(ctx, peersOf(keys), false, keys)
}

// peersOf returns the peers of keys, each once.
func peersOf(keys []chain) []string {
	var peers []string
	for _, c := range keys {
		if !slices.Contains(peers, c.recipient) {
			peers = append(peers, c.recipient)
		}
	}
	return peers
}

// lockQueues locks the outboxes of peers, exclusive or shared, then the
// queues keys, in one statement, which PostgreSQL evaluates left to
// right. Every transaction takes them in one order, peers before queues
// and each by name (keys come sorted), so that none waits for another
// that waits for it.
func (tx *Tx) lockQueues(ctx context.Context, peers []string, exclusive bool, keys []chain) error {
	peers = slices.Sorted(slices.Values(peers))
	peerLock := `pg_advisory_xact_lock_shared`
	if exclusive {
		peerLock = `pg_advisory_xact_lock`
	}
	var locks []string
	var args []any
	for _, p := range peers {
		locks = append(locks, peerLock+`(hashtextextended(current_schema() || '/outbox/' || ?, 0))`)
		args = append(args, p)
	}
	for _, c := range keys {
		locks = append(locks, `pg_advisory_xact_lock(hashtextextended(current_schema() || '/outbox/' || ? || '/' || ?, 0))`)
		args = append(args, c.recipient, c.requestID)
	}
	if len(locks) == 0 {
		return nil
	}
	if _, err := tx.exec(ctx, `SELECT `+strings.Join(locks, ", "), args...); err != nil {
		return fmt.Errorf("outbox: lock the queues to %s: %w", strings.Join(peers, ", "), err)
	}
	return nil
}

// RepairQueues lets go the first waiting message of every request's
// queue to a peer that has none that may go, and every waiting message
// about no request: what a node of a version before the queues' heads
// (migration 0059) queued or delivered without doing so, if it ran on
// this database during an upgrade of its replicas, or after a rollback.
// Without it, those queues would wait for ever. It returns how many
// messages it let go. It reads the whole queue, under a lock on every
// peer's outbox that holds back their queueing and delivering meanwhile.
func (db *DB) RepairQueues(ctx context.Context) (int64, error) {
	var repaired int64
	err := db.Tx(ctx, func(tx *Tx) error {
		firsts := `SELECT DISTINCT ON (request_id, recipient) id FROM outbox
			WHERE request_id <> '' AND delivered_at = '' AND expired_at = ''
			ORDER BY request_id, recipient, head DESC, queued`
		if tx.dialect.name == "postgres" {
			rows, err := tx.query(ctx, `SELECT DISTINCT recipient FROM outbox WHERE delivered_at = '' AND expired_at = ''`)
			if err != nil {
				return err
			}
			peers, err := collect(rows, func(r scanner) (string, error) {
				var p string
				return p, r.Scan(&p)
			}, false)
			if err != nil {
				return err
			}
			if err := tx.lockQueues(ctx, peers, true, nil); err != nil {
				return err
			}
		} else {
			firsts = `SELECT (SELECT e.id FROM outbox e
				WHERE e.request_id = o.request_id AND e.recipient = o.recipient AND e.delivered_at = '' AND e.expired_at = ''
				ORDER BY e.head DESC, e.queued LIMIT 1)
			FROM outbox o WHERE o.request_id <> '' AND o.head = 0 AND o.delivered_at = '' AND o.expired_at = ''`
		}
		res, err := tx.exec(ctx, `UPDATE outbox SET head = 1
			WHERE head = 0 AND delivered_at = '' AND expired_at = '' AND (request_id = '' OR id IN (`+firsts+`))`)
		if err != nil {
			return fmt.Errorf("outbox: repair the queues: %w", err)
		}
		repaired, err = res.RowsAffected()
		if repaired > 0 {
			tx.announce(TopicOutbox)
		}
		return err
	})
	return repaired, err
}

// advancePeers sets the head of every queue to the peers of keys in one
// statement a peer, under the exclusive locks lockChains took on their
// outboxes: a transaction that queued to thousands of requests would
// otherwise look each up, by a plan chosen once for all, which without
// statistics on the outbox read the peer's whole queue each time.
func (tx *Tx) advancePeers(ctx context.Context, keys []chain) error {
	for _, p := range peersOf(keys) {
		if _, err := tx.exec(ctx, `UPDATE outbox SET head = 1 WHERE head = 0 AND id IN (
			SELECT DISTINCT ON (request_id) id FROM outbox
			WHERE recipient = ? AND request_id <> '' AND delivered_at = '' AND expired_at = ''
			ORDER BY request_id, head DESC, queued)`, p); err != nil {
			return fmt.Errorf("outbox: next messages to %s: %w", p, err)
		}
	}
	return nil
}

// MarkDelivered records a message's receipt inside tx; the next message
// of its request to the peer may then go.
func (tx *Tx) MarkDelivered(ctx context.Context, id string, at time.Time, receipt []byte, attempts int) error {
	return tx.leaveQueue(ctx, `UPDATE outbox SET delivered_at = ?, receipt = ?, attempts = ?, last_error = '' WHERE id = ?
		RETURNING recipient, request_id`, formatTime(at), string(receipt), attempts, id)
}

// MarkExpired records that a message will not be retried; the next
// message of its request to the peer may then go.
func (tx *Tx) MarkExpired(ctx context.Context, id string, at time.Time, lastError string) error {
	return tx.leaveQueue(ctx, `UPDATE outbox SET expired_at = ?, last_error = ? WHERE id = ? AND delivered_at = ''
		RETURNING recipient, request_id`, formatTime(at), ClipText(lastError, MaxErrorText), id)
}

// leaveQueue runs update, which takes a message out of the queue and
// returns its recipient and request, and has its request's queue to
// that peer advanced as tx ends.
func (tx *Tx) leaveQueue(ctx context.Context, update string, args ...any) error {
	var c chain
	err := tx.queryRow(ctx, update, args...).Scan(&c.recipient, &c.requestID)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return err
	}
	if c.requestID != "" {
		tx.chainChanged(c.recipient, c.requestID)
	}
	return nil
}

// RecordInbound records a received message inside the transaction that
// applies it. It fails with ErrExists for a message id already received.
func (tx *Tx) RecordInbound(ctx context.Context, id, sender, typ, digest string, at time.Time) error {
	_, err := tx.exec(ctx, `INSERT INTO inbox (message_id, sender, type, digest, received_at) VALUES (?, ?, ?, ?, ?)`,
		id, sender, typ, digest, formatTime(at))
	if isUniqueViolation(err) {
		return fmt.Errorf("message %s: %w", id, ErrExists)
	}
	return err
}

// InboundSender reports whether message id was received, and from whom.
func (db *DB) InboundSender(ctx context.Context, id string) (sender string, ok bool, err error) {
	err = db.readRow(ctx, `SELECT sender FROM inbox WHERE message_id = ?`, id).Scan(&sender)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	return sender, err == nil, err
}

// NextSent returns the sequence number of the next message about request
// id to peer, and counts it.
func (tx *Tx) NextSent(ctx context.Context, requestID, peer string) (int, error) {
	if _, err := tx.exec(ctx, `INSERT INTO message_seq (request_id, peer) VALUES (?, ?) ON CONFLICT (request_id, peer) DO NOTHING`, requestID, peer); err != nil {
		return 0, err
	}
	var n int
	err := tx.queryRow(ctx, `UPDATE message_seq SET sent = sent + 1 WHERE request_id = ? AND peer = ? RETURNING sent`, requestID, peer).Scan(&n)
	return n, err
}

// Applied returns how many messages about request id from peer have been
// applied, locking the count until tx ends.
func (tx *Tx) Applied(ctx context.Context, requestID, peer string) (int, error) {
	if _, err := tx.exec(ctx, `INSERT INTO message_seq (request_id, peer) VALUES (?, ?) ON CONFLICT (request_id, peer) DO NOTHING`, requestID, peer); err != nil {
		return 0, err
	}
	var n int
	err := tx.queryRow(ctx, `SELECT applied FROM message_seq WHERE request_id = ? AND peer = ?`+tx.dialect.forUpdate, requestID, peer).Scan(&n)
	return n, err
}

// SetApplied records that n messages about request id from peer are applied.
func (tx *Tx) SetApplied(ctx context.Context, requestID, peer string, n int) error {
	_, err := tx.exec(ctx, `UPDATE message_seq SET applied = ? WHERE request_id = ? AND peer = ?`, n, requestID, peer)
	return err
}

// MessageTimes returns, by message id, when each message was queued in the
// outbox (sent) or recorded in the inbox (received), for measurements.
func (db *DB) MessageTimes(ctx context.Context, received bool) (map[string]time.Time, error) {
	q := `SELECT id, created_at FROM outbox`
	if received {
		q = `SELECT message_id, received_at FROM inbox`
	}
	rows, err := db.read.QueryContext(ctx, q)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]time.Time{}
	for rows.Next() {
		var id, at string
		if err := rows.Scan(&id, &at); err != nil {
			return nil, err
		}
		if out[id], err = parseTime(at); err != nil {
			return nil, err
		}
	}
	return out, rows.Err()
}

// Received returns how many messages the inbox has recorded: what a
// measurement waits on, at the cost of a count, not of reading them all.
func (db *DB) Received(ctx context.Context) (int, error) {
	var n int
	err := db.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM inbox`).Scan(&n)
	return n, err
}

// OutboxQueued returns how many messages wait in the outbox, not yet
// delivered nor given up, and when the oldest of them was queued (zero
// if none).
func (db *DB) OutboxQueued(ctx context.Context) (int64, time.Time, error) {
	var n int64
	var oldest sql.NullString
	if err := db.read.QueryRowContext(ctx, `SELECT COUNT(*), MIN(created_at) FROM outbox WHERE delivered_at = '' AND expired_at = ''`).Scan(&n, &oldest); err != nil {
		return 0, time.Time{}, fmt.Errorf("the outbox's queue: %w", err)
	}
	if !oldest.Valid || oldest.String == "" {
		return n, time.Time{}, nil
	}
	t, err := parseTime(oldest.String)
	if err != nil {
		return 0, time.Time{}, fmt.Errorf("the outbox's oldest message: %w", err)
	}
	return n, t, nil
}
