package store

import (
	"context"
	"fmt"
	"strconv"
	"time"
)

// SecurityEvent is the refusal of a call that proved nothing: an envelope
// that could not be read or whose signature did not verify, or a token
// that is not one. It is not a State's act, so it is not audited.
type SecurityEvent struct {
	ID int64     `json:"id"`
	At time.Time `json:"at"`
	// Kind is what was refused: "envelope" or "token".
	Kind   string `json:"kind"`
	Reason string `json:"reason"`
	// Source is the client address the call came from.
	Source string `json:"source"`
	// ClaimedSender is the State an envelope said it came from, which
	// nothing verified.
	ClaimedSender string `json:"claimed_sender,omitempty"`
	MessageID     string `json:"message_id,omitempty"`
	Detail        string `json:"detail,omitempty"`
	// Unreadable says why the stored event could not be read, if it
	// could not.
	Unreadable string `json:"unreadable,omitempty"`
}

// pruneEvery is how many security events are recorded between two prunes:
// deleting on every insert would double the writes of a flood.
const pruneEvery = 64

// RecordSecurityEvent stores e and, every pruneEvery events, deletes all
// but the newest keep, so that the table stays bounded however many calls
// are refused. Texts are cut to fit.
func (db *DB) RecordSecurityEvent(ctx context.Context, e SecurityEvent, keep int) error {
	return db.Tx(ctx, func(tx *Tx) error {
		var id int64
		err := tx.queryRow(ctx, `INSERT INTO security_events (at, kind, reason, source, claimed_sender, message_id, detail) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			formatTime(e.At), ClipText(e.Kind, 32), ClipText(e.Reason, 64), ClipText(e.Source, 64), ClipText(e.ClaimedSender, 16), ClipText(e.MessageID, 64), ClipText(e.Detail, 500)).Scan(&id)
		if err != nil {
			return fmt.Errorf("security event: %w", err)
		}
		if id%pruneEvery != 0 {
			return nil
		}
		if _, err := tx.exec(ctx, `DELETE FROM security_events WHERE id <= ?`, id-int64(max(keep, 1))); err != nil {
			return fmt.Errorf("prune security events: %w", err)
		}
		return nil
	})
}

// SecurityEvents returns up to limit security events, newest first.
// Events that cannot be read are listed too, marked Unreadable, and named
// in a Partial error beside the list.
func (db *DB) SecurityEvents(ctx context.Context, limit int) ([]SecurityEvent, error) {
	rows, err := db.read.QueryContext(ctx, db.bind(`SELECT id, at, kind, reason, source, claimed_sender, message_id, detail FROM security_events ORDER BY id DESC LIMIT ?`), limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []SecurityEvent{}
	var unreadable Partial
	for rows.Next() {
		var e SecurityEvent
		var at string
		if err := rows.Scan(&e.ID, &at, &e.Kind, &e.Reason, &e.Source, &e.ClaimedSender, &e.MessageID, &e.Detail); err != nil {
			return nil, err
		}
		if e.At, err = parseTime(at); err != nil {
			bad := &RowError{Table: "security_events", ID: strconv.FormatInt(e.ID, 10), Err: fmt.Errorf("at: %w", err)}
			unreadable = append(unreadable, bad)
			e.Unreadable = bad.Error()
		}
		out = append(out, e)
	}
	return out, orPartial(unreadable, rows.Err())
}

// CountSecurityEvents returns how many security events are kept.
func (db *DB) CountSecurityEvents(ctx context.Context) (int, error) {
	var n int
	err := db.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM security_events`).Scan(&n)
	return n, err
}
