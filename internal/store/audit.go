package store

import (
	"context"
	"fmt"

	"entraide/internal/auditlog"
)

// Audit appends r to the audit log inside tx, giving it the next sequence
// number. The row lock on audit_head, held until tx ends, makes the order
// of sequence numbers the order of commit.
func (tx *Tx) Audit(ctx context.Context, r auditlog.Record) (int64, error) {
	if err := tx.queryRow(ctx, `UPDATE audit_head SET seq = seq + 1 WHERE id = 1 RETURNING seq`).Scan(&r.Seq); err != nil {
		return 0, fmt.Errorf("audit: %w", err)
	}
	data, err := r.Canonical()
	if err != nil {
		return 0, err
	}
	leaf := auditlog.LeafHash(data)
	_, err = tx.exec(ctx, `INSERT INTO audit (seq, at, state, action, subject, record, leaf_hash) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		r.Seq, formatTime(r.At), r.State, r.Action, r.Subject, data, leaf[:])
	if err != nil {
		return 0, fmt.Errorf("audit: %w", err)
	}
	return r.Seq, nil
}

// AuditEntry is a stored audit record.
type AuditEntry struct {
	Seq      int64  `json:"seq"`
	Record   []byte `json:"record"`    // canonical bytes
	LeafHash []byte `json:"leaf_hash"` // RFC 6962 leaf hash of Record
}

// AuditLog returns up to limit of state's records after seq after, in
// order. Their sequence numbers are their places in the node's log, which
// holds every State's records: a State's view skips the others'.
func (db *DB) AuditLog(ctx context.Context, state string, after int64, limit int) ([]AuditEntry, error) {
	rows, err := db.read.QueryContext(ctx, db.bind(`SELECT seq, record, leaf_hash FROM audit WHERE state = ? AND seq > ? ORDER BY seq LIMIT ?`), state, after, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []AuditEntry{}
	for rows.Next() {
		var e AuditEntry
		if err := rows.Scan(&e.Seq, &e.Record, &e.LeafHash); err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}
