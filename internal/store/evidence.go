package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"entraide/internal/convention"
	"entraide/internal/evidence"
)

// ErrEvidenceMoved is returned by AppendSegment when the item is no
// longer where the writer read it: another writer stored a piece first,
// or the upload ended.
var ErrEvidenceMoved = errors.New("the item's upload moved on meanwhile")

const evidenceColumns = `id, state, request_id, name, media_type, size, received, segments, hash_state, sha256, collection, status,
	recipient, wrapped_identity, retain_until, created_at, created_by, available_at, disposed_at, disposed_by, damaged,
	origin_state, origin_item, expected_sha256, personal_data, policy_until`

// InsertEvidence adds an item whose upload begins.
func (tx *Tx) InsertEvidence(ctx context.Context, it evidence.Item) error {
	coll, err := json.Marshal(it.Collection)
	if err != nil {
		return err
	}
	var origin evidence.Origin
	if it.Origin != nil {
		origin = *it.Origin
	}
	pd, err := personalDataText(it.PersonalData)
	if err != nil {
		return err
	}
	_, err = tx.exec(ctx, `INSERT INTO evidence_items (`+evidenceColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		it.ID, it.State, it.RequestID, it.Name, it.MediaType, it.Size, it.Received, it.Segments, it.HashState, it.SHA256, string(coll), string(it.Status),
		it.Recipient, it.WrappedIdentity, optTimePtr(it.RetainUntil), formatTime(it.CreatedAt), it.CreatedBy, optTimePtr(it.AvailableAt), optTimePtr(it.DisposedAt), it.DisposedBy, it.Damaged,
		origin.State, origin.Item, it.ExpectedSHA256, pd, optTimePtr(it.PolicyUntil))
	if isUniqueViolation(err) {
		return ErrExists
	}
	return err
}

// personalDataText is how a marking is stored: its JSON, or ” for none.
func personalDataText(p *convention.PersonalData) (string, error) {
	if p == nil {
		return "", nil
	}
	b, err := json.Marshal(p)
	return string(b), err
}

func optTimePtr(t *time.Time) string {
	if t == nil {
		return ""
	}
	return formatTime(*t)
}

func parseOptTimePtr(s string) (*time.Time, error) {
	if s == "" {
		return nil, nil
	}
	t, err := parseTime(s)
	if err != nil {
		return nil, err
	}
	return &t, nil
}

func scanEvidence(row scanner) (evidence.Item, error) {
	var it evidence.Item
	var coll, status, retain, created, available, disposed, pd, policy string
	var origin evidence.Origin
	if err := row.Scan(&it.ID, &it.State, &it.RequestID, &it.Name, &it.MediaType, &it.Size, &it.Received, &it.Segments, &it.HashState, &it.SHA256, &coll, &status,
		&it.Recipient, &it.WrappedIdentity, &retain, &created, &it.CreatedBy, &available, &disposed, &it.DisposedBy, &it.Damaged,
		&origin.State, &origin.Item, &it.ExpectedSHA256, &pd, &policy); err != nil {
		return it, err
	}
	if origin.Item != "" {
		it.Origin = &origin
	}
	it.Status = evidence.Status(status)
	var errs []error
	if err := json.Unmarshal([]byte(coll), &it.Collection); err != nil {
		errs = append(errs, fmt.Errorf("collection: %w", err))
	}
	if pd != "" {
		it.PersonalData = &convention.PersonalData{}
		if err := json.Unmarshal([]byte(pd), it.PersonalData); err != nil {
			errs = append(errs, fmt.Errorf("personal_data: %w", err))
		}
	}
	var err error
	if it.CreatedAt, err = parseTime(created); err != nil {
		errs = append(errs, fmt.Errorf("created_at: %w", err))
	}
	for _, f := range []struct {
		name string
		s    string
		t    **time.Time
	}{{"retain_until", retain, &it.RetainUntil}, {"available_at", available, &it.AvailableAt}, {"disposed_at", disposed, &it.DisposedAt}, {"policy_until", policy, &it.PolicyUntil}} {
		if *f.t, err = parseOptTimePtr(f.s); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", f.name, err))
		}
	}
	if len(errs) > 0 {
		return it, &RowError{Table: "evidence_items", ID: it.ID, Err: errors.Join(errs...)}
	}
	return it, nil
}

func evidenceRow(row *sql.Row) (evidence.Item, error) {
	it, err := scanEvidence(row)
	if errors.Is(err, sql.ErrNoRows) {
		return it, ErrNotFound
	}
	return it, err
}

// Evidence returns item id of state's view, or ErrNotFound.
func (db *DB) Evidence(ctx context.Context, state, id string) (evidence.Item, error) {
	return evidenceRow(db.read.QueryRowContext(ctx, db.bind(`SELECT `+evidenceColumns+` FROM evidence_items WHERE state = ? AND id = ?`), state, id))
}

// EvidenceForUpdate returns item id of state's view inside tx, locked
// until tx ends.
func (tx *Tx) EvidenceForUpdate(ctx context.Context, state, id string) (evidence.Item, error) {
	return evidenceRow(tx.queryRow(ctx, `SELECT `+evidenceColumns+` FROM evidence_items WHERE state = ? AND id = ?`+tx.dialect.forUpdate, state, id))
}

// EvidenceItems lists the items of request in state's view, oldest
// first. Items that cannot be read are named in a Partial error, and
// listed as far as they could be read.
func (db *DB) EvidenceItems(ctx context.Context, state, request string) ([]evidence.Item, error) {
	rows, err := db.read.QueryContext(ctx, db.bind(`SELECT `+evidenceColumns+` FROM evidence_items WHERE state = ? AND request_id = ? ORDER BY created_at, id`), state, request)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	return collect(rows, func(s scanner) (evidence.Item, error) { return scanEvidence(s) }, true)
}

// AppendSegment records a stored piece of item id, with the hash state
// after it, if the item still stands where the writer found it: at
// received bytes in segments pieces, uploading. Otherwise it returns
// ErrEvidenceMoved and records nothing.
func (tx *Tx) AppendSegment(ctx context.Context, state, id string, received int64, segments int, seg evidence.Segment, hashState []byte) error {
	res, err := tx.exec(ctx, `UPDATE evidence_items SET received = received + ?, segments = segments + 1, hash_state = ?
		WHERE state = ? AND id = ? AND received = ? AND segments = ? AND status = 'uploading' AND received + ? <= size`,
		seg.Length, hashState, state, id, received, segments, seg.Length)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return errors.Join(ErrEvidenceMoved, err)
	}
	_, err = tx.exec(ctx, `INSERT INTO evidence_segments (item_id, idx, start_at, length, blob_key, stored_size) VALUES (?, ?, ?, ?, ?, ?)`,
		id, seg.Index, seg.Offset, seg.Length, seg.Key, seg.StoredSize)
	return err
}

// Segments returns the stored pieces of item id, in order.
func (db *DB) Segments(ctx context.Context, id string) ([]evidence.Segment, error) {
	rows, err := db.read.QueryContext(ctx, db.bind(`SELECT idx, start_at, length, blob_key, stored_size FROM evidence_segments WHERE item_id = ? ORDER BY idx`), id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []evidence.Segment
	for rows.Next() {
		var s evidence.Segment
		if err := rows.Scan(&s.Index, &s.Offset, &s.Length, &s.Key, &s.StoredSize); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// CompleteEvidence marks item id available with its SHA-256.
func (tx *Tx) CompleteEvidence(ctx context.Context, state, id, sha256 string, at time.Time) error {
	res, err := tx.exec(ctx, `UPDATE evidence_items SET status = 'available', sha256 = ?, available_at = ? WHERE state = ? AND id = ? AND status = 'uploading' AND received = size`,
		sha256, formatTime(at), state, id)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return errors.Join(ErrEvidenceMoved, err)
	}
	return nil
}

// SetRetention sets, or with nil clears, the day item id is disposed of.
func (tx *Tx) SetRetention(ctx context.Context, state, id string, until *time.Time) error {
	_, err := tx.exec(ctx, `UPDATE evidence_items SET retain_until = ? WHERE state = ? AND id = ?`, optTimePtr(until), state, id)
	return err
}

// DisposeEvidence marks item id disposed, its pieces gone and its
// wrapped key destroyed: the row stays,
// with its hash, as the tombstone of what was held.
func (tx *Tx) DisposeEvidence(ctx context.Context, state, id, by string, at time.Time) error {
	if _, err := tx.exec(ctx, `UPDATE evidence_items SET status = 'disposed', disposed_at = ?, disposed_by = ?, hash_state = ?, wrapped_identity = ? WHERE state = ? AND id = ?`,
		formatTime(at), by, []byte{}, []byte{}, state, id); err != nil {
		return err
	}
	_, err := tx.exec(ctx, `DELETE FROM evidence_segments WHERE item_id = ?`, id)
	return err
}

// MarkDamaged records that item id's stored bytes failed their check.
func (tx *Tx) MarkDamaged(ctx context.Context, state, id, why string) error {
	_, err := tx.exec(ctx, `UPDATE evidence_items SET damaged = ? WHERE state = ? AND id = ?`, ClipText(why, MaxErrorText), state, id)
	return err
}

// DueDisposals returns up to limit items of every State whose retention
// ended by now and that are not yet disposed of.
func (db *DB) DueDisposals(ctx context.Context, now time.Time, limit int) ([]evidence.Item, error) {
	at := formatTime(now)
	rows, err := db.read.QueryContext(ctx, db.bind(`SELECT `+evidenceColumns+` FROM evidence_items
		WHERE status <> 'disposed' AND (retain_until <> '' AND retain_until <= ? OR policy_until <> '' AND policy_until <= ?) ORDER BY id LIMIT ?`), at, at, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	return collect(rows, func(s scanner) (evidence.Item, error) { return scanEvidence(s) }, false)
}

// NextDisposal returns the earliest retention end, by its own date or
// its State's policy, of an item not yet disposed of, if there is one.
func (db *DB) NextDisposal(ctx context.Context) (time.Time, bool, error) {
	var first time.Time
	var found bool
	for _, q := range []string{
		`SELECT MIN(retain_until) FROM evidence_items WHERE retain_until <> '' AND status <> 'disposed'`,
		`SELECT MIN(policy_until) FROM evidence_items WHERE policy_until <> '' AND status <> 'disposed'`,
	} {
		var s sql.NullString
		if err := db.read.QueryRowContext(ctx, q).Scan(&s); err != nil {
			return time.Time{}, false, err
		}
		if !s.Valid || s.String == "" {
			continue
		}
		t, err := parseTime(s.String)
		if err != nil {
			return time.Time{}, false, err
		}
		if !found || t.Before(first) {
			first, found = t, true
		}
	}
	return first, found, nil
}

// Custody returns the audit records of state's view whose subject is
// subject, in order, with their leaf indexes once the log has integrated
// them: the custody of an item.
func (db *DB) Custody(ctx context.Context, state, subject string) ([]AuditEntry, error) {
	return db.auditEntries(ctx, `WHERE a.state = ? AND a.subject = ? ORDER BY a.seq`, state, subject)
}

// EvidenceFrom returns the item of state's view that the other State
// origin sent as its item originItem, or ErrNotFound; one refused on
// arrival does not count, so that a sending again starts afresh.
func (tx *Tx) EvidenceFrom(ctx context.Context, state, originState, originItem string) (evidence.Item, error) {
	return evidenceRow(tx.queryRow(ctx, `SELECT `+evidenceColumns+` FROM evidence_items WHERE state = ? AND origin_state = ? AND origin_item = ? AND status <> 'refused'`+tx.dialect.forUpdate,
		state, originState, originItem))
}

// RefuseEvidence marks an item received from the other State refused,
// for why: its pieces are gone and its key destroyed; its row says what
// arrived.
func (tx *Tx) RefuseEvidence(ctx context.Context, state, id, sha256, why string) error {
	if _, err := tx.exec(ctx, `UPDATE evidence_items SET status = 'refused', sha256 = ?, damaged = ?, hash_state = ?, wrapped_identity = ? WHERE state = ? AND id = ?`,
		sha256, ClipText(why, MaxErrorText), []byte{}, []byte{}, state, id); err != nil {
		return err
	}
	_, err := tx.exec(ctx, `DELETE FROM evidence_segments WHERE item_id = ?`, id)
	return err
}

// EvidenceFromRead is EvidenceFrom outside a transaction.
func (db *DB) EvidenceFromRead(ctx context.Context, state, originState, originItem string) (evidence.Item, error) {
	return evidenceRow(db.read.QueryRowContext(ctx, db.bind(`SELECT `+evidenceColumns+` FROM evidence_items WHERE state = ? AND origin_state = ? AND origin_item = ? AND status <> 'refused'`),
		state, originState, originItem))
}

// RetentionPolicy returns state's retention policy for personal data;
// without one, a Policy of zero days.
func (db *DB) RetentionPolicy(ctx context.Context, state string) (evidence.Policy, error) {
	return scanPolicy(db.read.QueryRowContext(ctx, db.bind(policyQuery), state), state)
}

// RetentionPolicy is DB.RetentionPolicy inside tx: an item inserted in
// tx takes the policy tx sees.
func (tx *Tx) RetentionPolicy(ctx context.Context, state string) (evidence.Policy, error) {
	return scanPolicy(tx.queryRow(ctx, policyQuery, state), state)
}

const policyQuery = `SELECT personal_data_days, updated_at, updated_by FROM retention_policies WHERE state = ?`

func scanPolicy(row *sql.Row, state string) (evidence.Policy, error) {
	var p evidence.Policy
	var at string
	err := row.Scan(&p.PersonalDataDays, &at, &p.UpdatedBy)
	if errors.Is(err, sql.ErrNoRows) {
		return evidence.Policy{}, nil
	}
	if err != nil {
		return p, err
	}
	t, err := parseTime(at)
	if err != nil {
		return p, &RowError{Table: "retention_policies", ID: state, Err: err}
	}
	p.UpdatedAt = &t
	return p, nil
}

// SetRetentionPolicy records state's policy, and sets the policy date of
// each of its items that carry personal data and are not disposed of:
// their day of creation plus the period, or none when it is zero. It
// returns how many items it changed.
func (tx *Tx) SetRetentionPolicy(ctx context.Context, state string, p evidence.Policy) (int, error) {
	if _, err := tx.exec(ctx, `DELETE FROM retention_policies WHERE state = ?`, state); err != nil {
		return 0, err
	}
	if _, err := tx.exec(ctx, `INSERT INTO retention_policies (state, personal_data_days, updated_at, updated_by) VALUES (?, ?, ?, ?)`,
		state, p.PersonalDataDays, optTimePtr(p.UpdatedAt), p.UpdatedBy); err != nil {
		return 0, err
	}
	rows, err := tx.query(ctx, `SELECT `+evidenceColumns+` FROM evidence_items WHERE state = ? AND personal_data <> '' AND status NOT IN ('disposed', 'refused')`+tx.dialect.forUpdate, state)
	if err != nil {
		return 0, err
	}
	items, err := collect(rows, func(s scanner) (evidence.Item, error) { return scanEvidence(s) }, false)
	rows.Close()
	// An item that cannot be read keeps its date; the others change.
	if _, partial := IsPartial(err); err != nil && !partial {
		return 0, err
	}
	changed := 0
	for _, it := range items {
		until := p.Until(it.CreatedAt, it.PersonalData)
		if optTimePtr(until) == optTimePtr(it.PolicyUntil) {
			continue
		}
		if _, err := tx.exec(ctx, `UPDATE evidence_items SET policy_until = ? WHERE state = ? AND id = ?`, optTimePtr(until), state, it.ID); err != nil {
			return changed, err
		}
		changed++
	}
	return changed, nil
}

// ExpiringEvidence returns up to limit items of state not yet disposed
// of whose retention, by their own date or the policy's, ends before
// before, soonest first.
func (db *DB) ExpiringEvidence(ctx context.Context, state string, before time.Time, limit int) ([]evidence.Item, error) {
	at := formatTime(before)
	rows, err := db.read.QueryContext(ctx, db.bind(`SELECT `+evidenceColumns+` FROM evidence_items
		WHERE state = ? AND status NOT IN ('disposed', 'refused') AND (retain_until <> '' AND retain_until < ? OR policy_until <> '' AND policy_until < ?)
		ORDER BY CASE WHEN policy_until <> '' AND (retain_until = '' OR policy_until < retain_until) THEN policy_until ELSE retain_until END, id LIMIT ?`), state, at, at, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	return collect(rows, func(s scanner) (evidence.Item, error) { return scanEvidence(s) }, true)
}
