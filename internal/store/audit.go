package store

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"time"

	"entraide/internal/auditlog"
)

// Audit appends r to the audit log inside tx and returns the record's
// sequence number, its row in the database. No row every writer takes is
// locked: the log's integrator (IntegrateLog) gives the record its leaf
// index once tx has committed. On PostgreSQL, sequence numbers follow the
// order in which writers began, not the order of commit; the log's order
// is its leaf indexes'.
func (tx *Tx) Audit(ctx context.Context, r auditlog.Record) (int64, error) {
	args, err := auditArgs(r)
	if err != nil {
		return 0, err
	}
	var seq int64
	err = tx.queryRow(ctx, insertAudit+` RETURNING seq`, args...).Scan(&seq)
	if err != nil {
		return 0, fmt.Errorf("audit: %w", err)
	}
	return seq, nil
}

const insertAudit = `INSERT INTO audit (at, state, action, subject, record, leaf_hash) VALUES (?, ?, ?, ?, ?, ?)`

// auditArgs are insertAudit's arguments for r.
func auditArgs(r auditlog.Record) ([]any, error) {
	data, err := r.Canonical()
	if err != nil {
		return nil, err
	}
	leaf := auditlog.LeafHash(data)
	return []any{formatTime(r.At), r.State, r.Action, r.Subject, data, leaf[:]}, nil
}

// AuditEntry is a stored audit record.
type AuditEntry struct {
	Seq      int64  `json:"seq"`
	Record   []byte `json:"record"`    // canonical bytes
	LeafHash []byte `json:"leaf_hash"` // RFC 6962 leaf hash of Record
	// LeafIndex is the record's place in the node's Merkle log, once the
	// log has integrated it (within a second of its commit).
	LeafIndex *int64 `json:"leaf_index,omitempty"`
	// Unreadable says why the stored record could not be read, if it
	// could not; Record and LeafHash are then what is stored, if bytes.
	Unreadable string `json:"unreadable,omitempty"`
	// Redacted names the keys of the record's detail that the reader's
	// role does not see (art. 36) and that were taken out of Record, which
	// then no longer hashes to LeafHash: the hash is the stored record's,
	// to check against the log.
	Redacted []string `json:"redacted,omitempty"`
}

// AuditLog returns up to limit of state's records that follow record
// after (0: from the first) in the node's Merkle log, in the log's order.
// Only records the log has integrated are listed: that order is final,
// so a reader paging by the last seq it got misses nothing, whereas seq
// order is not commit order where transactions run side by side
// (PostgreSQL), and a record committed late behind a higher seq would be
// skipped. The node's log holds every State's records: a State's view
// skips the others'. Records that cannot be read keep their place,
// marked Unreadable, and are named in a Partial error beside the list.
// A record after that is not state's, or not yet in the log, is
// ErrNotFound or ErrNotInLog.
func (db *DB) AuditLog(ctx context.Context, state string, after int64, limit int) ([]AuditEntry, error) {
	from := int64(-1)
	if after > 0 {
		_, idx, err := db.AuditRecord(ctx, state, after)
		if err != nil {
			return nil, err
		}
		from = idx
	}
	return db.auditEntries(ctx, `WHERE a.state = ? AND l.idx > ? ORDER BY l.idx LIMIT ?`, state, from, limit)
}

// auditEntries reads the audit records that where (a WHERE clause and
// order over the audit table as a) selects, with their leaf indexes.
// Records that cannot be read keep their place, marked Unreadable, and
// are named in a Partial error beside the list.
func (db *DB) auditEntries(ctx context.Context, where string, args ...any) ([]AuditEntry, error) {
	rows, err := db.read.QueryContext(ctx, db.bind(`SELECT a.seq, a.record, a.leaf_hash, l.idx FROM audit a LEFT JOIN tlog_leaves l ON l.seq = a.seq `+where), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []AuditEntry{}
	var unreadable Partial
	for rows.Next() {
		// Scanned as any: a column that holds something other than bytes
		// is this record's problem, not the listing's.
		var e AuditEntry
		var record, leaf any
		var idx sql.NullInt64
		if err := rows.Scan(&e.Seq, &record, &leaf, &idx); err != nil {
			return nil, err
		}
		if idx.Valid {
			e.LeafIndex = &idx.Int64
		}
		if err := readAuditRow(&e, record, leaf); err != nil {
			bad := &RowError{Table: "audit", ID: strconv.FormatInt(e.Seq, 10), Err: err}
			unreadable = append(unreadable, bad)
			e.Unreadable = bad.Error()
		}
		out = append(out, e)
	}
	return out, orPartial(unreadable, rows.Err())
}

// readAuditRow fills e with a stored record and its leaf hash, checking
// that the hash is the record's: a record changed in the database since it
// was written is not one the log can vouch for.
func readAuditRow(e *AuditEntry, record, leaf any) error {
	var ok [2]bool
	e.Record, ok[0] = record.([]byte)
	e.LeafHash, ok[1] = leaf.([]byte)
	// Empty rather than nil, so that the answer has the form it documents.
	e.Record, e.LeafHash = append([]byte{}, e.Record...), append([]byte{}, e.LeafHash...)
	if !ok[0] {
		return fmt.Errorf("record is a %T, not bytes", record)
	}
	if !ok[1] {
		return fmt.Errorf("leaf hash is a %T, not bytes", leaf)
	}
	if want := auditlog.LeafHash(e.Record); !bytes.Equal(e.LeafHash, want[:]) {
		return errors.New("its leaf hash is not its record's")
	}
	return nil
}

// RequestRecord returns the first audit record of request id in state's
// view: the record of its creation in the requesting State's view, of its
// arrival in the requested State's. It returns ErrNotFound if state's view
// has no record of it.
func (db *DB) RequestRecord(ctx context.Context, state, id string) (AuditEntry, error) {
	es, err := db.auditEntries(ctx, `WHERE a.state = ? AND a.subject IN (?, ?) ORDER BY a.seq LIMIT 1`, state, "request/"+id, "request/"+id+"@"+state)
	if err != nil {
		return AuditEntry{}, err
	}
	if len(es) == 0 {
		return AuditEntry{}, ErrNotFound
	}
	if es[0].Unreadable != "" {
		return AuditEntry{}, errors.New(es[0].Unreadable)
	}
	return es[0], nil
}

// LatestAudit returns when the newest audit record of state's view with
// subject and action was written, if there is one.
func (db *DB) LatestAudit(ctx context.Context, state, subject, action string) (time.Time, bool, error) {
	var s sql.NullString
	err := db.read.QueryRowContext(ctx, db.bind(`SELECT MAX(at) FROM audit WHERE state = ? AND subject = ? AND action = ?`), state, subject, action).Scan(&s)
	if err != nil || !s.Valid || s.String == "" {
		return time.Time{}, false, err
	}
	t, err := parseTime(s.String)
	return t, err == nil, err
}
