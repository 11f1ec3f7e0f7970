package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"errors"
	"fmt"
	"iter"
	"strings"
	"time"

	"entraide/internal/tlog"
)

// LogHead is the state of the node's Merkle log: its origin, the size and
// root of its tree, and the latest checkpoint signed for them.
type LogHead struct {
	Origin     string
	Size       int64
	Root       tlog.Hash
	Checkpoint []byte // signed note; empty until the first is signed
	SignedAt   time.Time
}

// ErrNotInLog is returned for a record the log has not integrated yet:
// it will be, within about a second of its commit.
var ErrNotInLog = errors.New("the record is not in the log yet")

// LogHead returns the log's current head.
func (db *DB) LogHead(ctx context.Context) (LogHead, error) {
	return scanHead(db.read.QueryRowContext(ctx, `SELECT origin, size, root, checkpoint, signed_at FROM tlog_head WHERE id = 1`))
}

func scanHead(row *sql.Row) (LogHead, error) {
	var h LogHead
	var root []byte
	var checkpoint, signedAt string
	if err := row.Scan(&h.Origin, &h.Size, &root, &checkpoint, &signedAt); err != nil {
		return h, fmt.Errorf("the log's head: %w", err)
	}
	if h.Size > 0 || len(root) > 0 {
		if len(root) != tlog.HashSize {
			return h, fmt.Errorf("the log's head: root of %d bytes", len(root))
		}
		copy(h.Root[:], root)
	} else {
		h.Root = tlog.EmptyRoot
	}
	h.Checkpoint = []byte(checkpoint)
	if signedAt != "" {
		t, err := parseTime(signedAt)
		if err != nil {
			return h, fmt.Errorf("the log's head: signed at %q: %w", signedAt, err)
		}
		h.SignedAt = t
	}
	return h, nil
}

// SignFunc signs a checkpoint of the log: the node's key, under the
// log's origin.
type SignFunc func(tlog.Checkpoint) ([]byte, error)

// IntegrateLog puts up to limit committed records that are not yet in
// the log into its tree, in the order of their sequence numbers, and has
// the new checkpoint signed by sign, all in one transaction that reaches
// the disk before it returns (see DurableTx): the records a checkpoint
// covers are on disk before anyone can see the checkpoint. origin is the
// log's origin if it has none yet; a log keeps the origin it began with.
// On an empty log with no checkpoint it signs one of the empty tree. It
// returns the head after the batch and how many records it integrated.
// Several integrators may run at once: they take turns on the head's row.
func (db *DB) IntegrateLog(ctx context.Context, limit int, origin string, sign SignFunc) (LogHead, int, error) {
	var head LogHead
	var n int
	err := db.DurableTx(ctx, func(tx *Tx) error {
		var err error
		head, err = scanHead(tx.queryRow(ctx, `SELECT origin, size, root, checkpoint, signed_at FROM tlog_head WHERE id = 1`+tx.dialect.forUpdate))
		if err != nil {
			return err
		}
		if head.Origin == "" {
			head.Origin = origin
		}
		rows, err := tx.query(ctx, `SELECT p.seq, a.record FROM tlog_pending p JOIN audit a ON a.seq = p.seq ORDER BY p.seq LIMIT ?`, limit)
		if err != nil {
			return fmt.Errorf("the records to integrate: %w", err)
		}
		var seqs []int64
		var sums [][sha256.Size]byte
		for rows.Next() {
			var seq int64
			var record []byte
			if err := rows.Scan(&seq, &record); err != nil {
				rows.Close()
				return fmt.Errorf("the records to integrate: %w", err)
			}
			seqs = append(seqs, seq)
			sums = append(sums, sha256.Sum256(record))
		}
		if err := errors.Join(rows.Err(), rows.Close()); err != nil {
			return fmt.Errorf("the records to integrate: %w", err)
		}
		n = len(seqs)
		if n == 0 && len(head.Checkpoint) > 0 {
			return nil
		}
		leaves := make([]tlog.Hash, n)
		for i := range sums {
			leaves[i] = tlog.LeafHash(tlog.EntryOf(sums[i]))
		}
		batch, err := tlog.Integrate(head.Size, leaves, txHashes{ctx, tx})
		if err != nil {
			return err
		}
		if err := tx.insertLeaves(ctx, head.Size, seqs, sums); err != nil {
			return err
		}
		if err := tx.insertHashes(ctx, batch.Hashes); err != nil {
			return err
		}
		if err := tx.deletePending(ctx, seqs); err != nil {
			return err
		}
		signed, err := sign(tlog.Checkpoint{Origin: head.Origin, Size: batch.Size, Root: batch.Root})
		if err != nil {
			return fmt.Errorf("sign the log's checkpoint: %w", err)
		}
		head.Size, head.Root, head.Checkpoint, head.SignedAt = batch.Size, batch.Root, signed, time.Now().UTC()
		if _, err := tx.exec(ctx, `UPDATE tlog_head SET origin = ?, size = ?, root = ?, checkpoint = ?, signed_at = ? WHERE id = 1`,
			head.Origin, head.Size, head.Root[:], string(signed), formatTime(head.SignedAt)); err != nil {
			return fmt.Errorf("the log's head: %w", err)
		}
		return nil
	})
	return head, n, err
}

// rowsPerInsert bounds the rows of one multi-row statement, well within
// both backends' limits on parameters.
const rowsPerInsert = 256

// batches splits n rows into the statements that write or read them:
// as many of rowsPerInsert as fit, then the rest by powers of two. Each
// count of rows is a statement's text of its own, which the PostgreSQL
// driver prepares and keeps on each connection (up to 512 of them): one
// text for every count up to rowsPerInsert would fill those caches on
// every connection of the log's writer; nine texts stay nine.
func batches(n int) iter.Seq2[int, int] {
	return func(yield func(lo, hi int) bool) {
		lo := 0
		for ; n-lo >= rowsPerInsert; lo += rowsPerInsert {
			if !yield(lo, lo+rowsPerInsert) {
				return
			}
		}
		for size := rowsPerInsert / 2; size > 0; size /= 2 {
			if n-lo >= size {
				if !yield(lo, lo+size) {
					return
				}
				lo += size
			}
		}
	}
}

func (tx *Tx) insertLeaves(ctx context.Context, first int64, seqs []int64, sums [][sha256.Size]byte) error {
	for lo, hi := range batches(len(seqs)) {
		args := make([]any, 0, 3*(hi-lo))
		for i := lo; i < hi; i++ {
			args = append(args, first+int64(i), seqs[i], sums[i][:])
		}
		if _, err := tx.tx.ExecContext(ctx, tx.bind(`INSERT INTO tlog_leaves (idx, seq, record_hash) VALUES `+placeholders(hi-lo, 3)), args...); err != nil {
			return fmt.Errorf("the log's leaves: %w", err)
		}
	}
	return nil
}

func (tx *Tx) insertHashes(ctx context.Context, hashes []tlog.StoredHash) error {
	for lo, hi := range batches(len(hashes)) {
		args := make([]any, 0, 2*(hi-lo))
		for _, h := range hashes[lo:hi] {
			args = append(args, h.Index, h.Hash[:])
		}
		if _, err := tx.tx.ExecContext(ctx, tx.bind(`INSERT INTO tlog_hashes (idx, hash) VALUES `+placeholders(hi-lo, 2)), args...); err != nil {
			return fmt.Errorf("the log's hashes: %w", err)
		}
	}
	return nil
}

func (tx *Tx) deletePending(ctx context.Context, seqs []int64) error {
	for lo, hi := range batches(len(seqs)) {
		args := make([]any, 0, hi-lo)
		for _, s := range seqs[lo:hi] {
			args = append(args, s)
		}
		if _, err := tx.tx.ExecContext(ctx, tx.bind(`DELETE FROM tlog_pending WHERE seq IN (`+strings.TrimSuffix(strings.Repeat("?, ", hi-lo), ", ")+`)`), args...); err != nil {
			return fmt.Errorf("the records integrated: %w", err)
		}
	}
	return nil
}

// placeholders returns "(?, ?), (?, ?)..." for rows rows of cols columns.
func placeholders(rows, cols int) string {
	row := "(" + strings.TrimSuffix(strings.Repeat("?, ", cols), ", ") + ")"
	return strings.TrimSuffix(strings.Repeat(row+", ", rows), ", ")
}

// txHashes reads the log's stored hashes inside a transaction.
type txHashes struct {
	ctx context.Context
	tx  *Tx
}

func (r txHashes) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	return readHashes(indexes, func(q string, args ...any) (*sql.Rows, error) {
		return r.tx.tx.QueryContext(r.ctx, r.tx.bind(q), args...)
	})
}

// dbHashes reads the log's stored hashes outside any transaction.
type dbHashes struct {
	ctx context.Context
	db  *DB
}

func (r dbHashes) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	return readHashes(indexes, func(q string, args ...any) (*sql.Rows, error) {
		return r.db.read.QueryContext(r.ctx, r.db.bind(q), args...)
	})
}

// LogHashes returns a reader of the log's stored hashes, for proofs and
// tiles of any tree size up to the head's: stored hashes never change.
func (db *DB) LogHashes(ctx context.Context) tlog.HashReader { return dbHashes{ctx, db} }

func readHashes(indexes []int64, query func(string, ...any) (*sql.Rows, error)) ([]tlog.Hash, error) {
	found := make(map[int64]tlog.Hash, len(indexes))
	for lo, hi := range batches(len(indexes)) {
		args := make([]any, 0, hi-lo)
		for _, i := range indexes[lo:hi] {
			args = append(args, i)
		}
		rows, err := query(`SELECT idx, hash FROM tlog_hashes WHERE idx IN (`+strings.TrimSuffix(strings.Repeat("?, ", hi-lo), ", ")+`)`, args...)
		if err != nil {
			return nil, fmt.Errorf("the log's hashes: %w", err)
		}
		for rows.Next() {
			var idx int64
			var h []byte
			if err := rows.Scan(&idx, &h); err != nil {
				rows.Close()
				return nil, fmt.Errorf("the log's hashes: %w", err)
			}
			if len(h) != tlog.HashSize {
				rows.Close()
				return nil, &RowError{Table: "tlog_hashes", ID: fmt.Sprint(idx), Err: fmt.Errorf("hash of %d bytes", len(h))}
			}
			found[idx] = tlog.Hash(h)
		}
		if err := errors.Join(rows.Err(), rows.Close()); err != nil {
			return nil, fmt.Errorf("the log's hashes: %w", err)
		}
	}
	out := make([]tlog.Hash, len(indexes))
	for k, i := range indexes {
		h, ok := found[i]
		if !ok {
			return nil, fmt.Errorf("the log's hashes: stored hash %d is missing", i)
		}
		out[k] = h
	}
	return out, nil
}

// LogEntries returns the entries of the leaves from first, count of them,
// for an entry bundle. It returns an error if any is missing.
func (db *DB) LogEntries(ctx context.Context, first int64, count int) ([][]byte, error) {
	rows, err := db.read.QueryContext(ctx, db.bind(`SELECT idx, record_hash FROM tlog_leaves WHERE idx >= ? AND idx < ? ORDER BY idx`), first, first+int64(count))
	if err != nil {
		return nil, fmt.Errorf("the log's leaves: %w", err)
	}
	defer rows.Close()
	out := make([][]byte, 0, count)
	for rows.Next() {
		var idx int64
		var sum []byte
		if err := rows.Scan(&idx, &sum); err != nil {
			return nil, fmt.Errorf("the log's leaves: %w", err)
		}
		if idx != first+int64(len(out)) || len(sum) != sha256.Size {
			return nil, &RowError{Table: "tlog_leaves", ID: fmt.Sprint(idx), Err: errors.New("leaf out of place or of the wrong size")}
		}
		out = append(out, tlog.EntryOf([sha256.Size]byte(sum)))
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("the log's leaves: %w", err)
	}
	if len(out) != count {
		return nil, fmt.Errorf("the log's leaves: %d of %d from %d", len(out), count, first)
	}
	return out, nil
}

// AuditRecord returns the canonical bytes of state's record seq and its
// leaf index, or ErrNotInLog with the bytes if the log has not integrated
// it yet, or ErrNotFound if state has no record seq.
func (db *DB) AuditRecord(ctx context.Context, state string, seq int64) ([]byte, int64, error) {
	var record []byte
	var idx sql.NullInt64
	err := db.read.QueryRowContext(ctx, db.bind(`SELECT a.record, l.idx FROM audit a LEFT JOIN tlog_leaves l ON l.seq = a.seq WHERE a.seq = ? AND a.state = ?`), seq, state).Scan(&record, &idx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, 0, ErrNotFound
	}
	if err != nil {
		return nil, 0, fmt.Errorf("audit record %d: %w", seq, err)
	}
	if !idx.Valid {
		return record, 0, ErrNotInLog
	}
	return record, idx.Int64, nil
}

// RecordProof returns what proves that state's audit record seq is in the
// node's log: its leaf index, its entry, and its inclusion proof against
// the latest signed checkpoint, which it holds. It returns ErrNotInLog for
// a record the log has not integrated yet, ErrNotFound if state has no
// record seq, and an error if the stored record is not the one the log
// holds at its leaf.
func (db *DB) RecordProof(ctx context.Context, state string, seq int64) (tlog.RecordProof, error) {
	head, err := db.LogHead(ctx)
	if err != nil {
		return tlog.RecordProof{}, err
	}
	record, idx, err := db.AuditRecord(ctx, state, seq)
	if err != nil {
		return tlog.RecordProof{}, err
	}
	if idx >= head.Size {
		return tlog.RecordProof{}, ErrNotInLog
	}
	entry := tlog.Entry(record)
	hashes := db.LogHashes(ctx)
	stored, err := hashes.ReadHashes([]int64{tlog.StoredHashIndex(0, idx)})
	if err != nil {
		return tlog.RecordProof{}, err
	}
	if stored[0] != tlog.LeafHash(entry) {
		return tlog.RecordProof{}, &RowError{Table: "audit", ID: fmt.Sprint(seq), Err: fmt.Errorf("the record is not the one at leaf %d of the log: it was changed after it was logged", idx)}
	}
	proof, err := tlog.InclusionProof(idx, head.Size, hashes)
	if err != nil {
		return tlog.RecordProof{}, err
	}
	return tlog.RecordProof{Index: idx, Entry: entry, Proof: proof, Checkpoint: head.Checkpoint}, nil
}

// LogPending returns how many committed records wait to be put into the
// log's tree: the integrator brings it back to zero within about a
// second, so a count that stays high says it is stuck or too slow.
func (db *DB) LogPending(ctx context.Context) (int64, error) {
	var n int64
	if err := db.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM tlog_pending`).Scan(&n); err != nil {
		return 0, fmt.Errorf("the records waiting for the log: %w", err)
	}
	return n, nil
}
