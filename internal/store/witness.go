package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"entraide/internal/tlog"
)

// Witnessed is the latest checkpoint this node cosigned of a peer's log.
type Witnessed struct {
	Origin     string
	State      string // the peer whose log it is
	Checkpoint tlog.Checkpoint
	Signed     []byte // the signed note
	UpdatedAt  time.Time
}

// WitnessedLog returns, inside tx and locked until tx ends, the latest
// checkpoint this node cosigned of the log origin, or nil if none.
func (tx *Tx) WitnessedLog(ctx context.Context, origin string) (*Witnessed, error) {
	var w Witnessed
	var root []byte
	var signed, at string
	err := tx.queryRow(ctx, `SELECT origin, state, size, root, checkpoint, updated_at FROM witnessed_logs WHERE origin = ?`+tx.dialect.forUpdate, origin).
		Scan(&w.Origin, &w.State, &w.Checkpoint.Size, &root, &signed, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("witnessed log %s: %w", origin, err)
	}
	if len(root) != tlog.HashSize {
		return nil, &RowError{Table: "witnessed_logs", ID: origin, Err: fmt.Errorf("root of %d bytes", len(root))}
	}
	w.Checkpoint.Origin, w.Checkpoint.Root, w.Signed = origin, tlog.Hash(root), []byte(signed)
	if w.UpdatedAt, err = parseTime(at); err != nil {
		return nil, &RowError{Table: "witnessed_logs", ID: origin, Err: err}
	}
	return &w, nil
}

// PutWitnessedLog records w as the latest checkpoint this node cosigned
// of its log.
func (tx *Tx) PutWitnessedLog(ctx context.Context, w Witnessed) error {
	_, err := tx.exec(ctx, `INSERT INTO witnessed_logs (origin, state, size, root, checkpoint, updated_at) VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (origin) DO UPDATE SET state = excluded.state, size = excluded.size, root = excluded.root, checkpoint = excluded.checkpoint, updated_at = excluded.updated_at`,
		w.Origin, w.State, w.Checkpoint.Size, w.Checkpoint.Root[:], string(w.Signed), formatTime(w.UpdatedAt))
	if err != nil {
		return fmt.Errorf("witnessed log %s: %w", w.Origin, err)
	}
	return nil
}

// Cosignature is a witness's cosignature of one of this node's
// checkpoints.
type Cosignature struct {
	Witness    string // the peer State whose node cosigned
	Size       int64
	Checkpoint []byte // the signed checkpoint it cosigned
	Lines      []byte // its cosignature lines
	At         time.Time
}

// PutCosignature records c as the latest cosignature of witness.
func (db *DB) PutCosignature(ctx context.Context, c Cosignature) error {
	return db.Tx(ctx, func(tx *Tx) error {
		_, err := tx.exec(ctx, `INSERT INTO tlog_cosignatures (witness, size, checkpoint, cosignature, at) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (witness) DO UPDATE SET size = excluded.size, checkpoint = excluded.checkpoint, cosignature = excluded.cosignature, at = excluded.at`,
			c.Witness, c.Size, string(c.Checkpoint), string(c.Lines), formatTime(c.At))
		return err
	})
}

// Cosignatures returns the latest cosignature of each witness of this
// node's log, largest size first.
func (db *DB) Cosignatures(ctx context.Context) ([]Cosignature, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT witness, size, checkpoint, cosignature, at FROM tlog_cosignatures ORDER BY size DESC, witness`)
	if err != nil {
		return nil, fmt.Errorf("cosignatures: %w", err)
	}
	defer rows.Close()
	var out []Cosignature
	for rows.Next() {
		var c Cosignature
		var cp, lines, at string
		if err := rows.Scan(&c.Witness, &c.Size, &cp, &lines, &at); err != nil {
			return nil, fmt.Errorf("cosignatures: %w", err)
		}
		c.Checkpoint, c.Lines = []byte(cp), []byte(lines)
		if c.At, err = parseTime(at); err != nil {
			return nil, &RowError{Table: "tlog_cosignatures", ID: c.Witness, Err: err}
		}
		out = append(out, c)
	}
	return out, rows.Err()
}
