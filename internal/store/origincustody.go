package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// OriginCustody is what a receiving State keeps of the sending State's
// custody of an item: the custody message as it arrived (see
// evidence.Custody) and the sender's log key it was verified with.
type OriginCustody struct {
	ItemID      string
	State       string // the receiving State, whose view holds the item
	OriginState string
	LogKey      string // the signed-note verifier key of OriginState's log
	Custody     []byte
	ReceivedAt  time.Time
}

// PutOriginCustody keeps the sending State's custody of an item of
// state's view. The first one kept stands: ErrExists for a second.
func (tx *Tx) PutOriginCustody(ctx context.Context, c OriginCustody) error {
	_, err := tx.exec(ctx, `INSERT INTO evidence_origin_custody (item_id, state, origin_state, log_key, custody, received_at) VALUES (?, ?, ?, ?, ?, ?)`,
		c.ItemID, c.State, c.OriginState, c.LogKey, c.Custody, formatTime(c.ReceivedAt))
	if isUniqueViolation(err) {
		return ErrExists
	}
	return err
}

// OriginCustody returns the sending State's custody of item itemID of
// state's view, or ErrNotFound while none has arrived.
func (db *DB) OriginCustody(ctx context.Context, state, itemID string) (OriginCustody, error) {
	c := OriginCustody{ItemID: itemID, State: state}
	var at string
	err := db.read.QueryRowContext(ctx, db.bind(`SELECT origin_state, log_key, custody, received_at FROM evidence_origin_custody WHERE state = ? AND item_id = ?`),
		state, itemID).Scan(&c.OriginState, &c.LogKey, &c.Custody, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return c, ErrNotFound
	}
	if err != nil {
		return c, fmt.Errorf("the origin custody of item %s: %w", itemID, err)
	}
	if c.ReceivedAt, err = parseTime(at); err != nil {
		return c, &RowError{Table: "evidence_origin_custody", ID: itemID, Err: err}
	}
	return c, nil
}

// RefusedFrom reports whether state refused on arrival an item the other
// State originState sent as its item originItem: what still arrives of
// that sending is dropped.
func (db *DB) RefusedFrom(ctx context.Context, state, originState, originItem string) (bool, error) {
	var n int
	err := db.read.QueryRowContext(ctx, db.bind(`SELECT COUNT(*) FROM evidence_items WHERE state = ? AND origin_state = ? AND origin_item = ? AND status = 'refused'`),
		state, originState, originItem).Scan(&n)
	return n > 0, err
}
