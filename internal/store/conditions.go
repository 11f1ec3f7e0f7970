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

// AddItemConditions records that cs, from source (item, offer, answer or
// consent), bind state's item itemID from at.
func (tx *Tx) AddItemConditions(ctx context.Context, state, itemID, source string, cs convention.Conditions, at time.Time) error {
	if len(cs) == 0 {
		return nil
	}
	raw, err := json.Marshal(cs)
	if err != nil {
		return err
	}
	var seq int64
	if err := tx.queryRow(ctx, `SELECT COALESCE(MAX(seq), 0) FROM evidence_conditions WHERE state = ? AND item_id = ?`, state, itemID).Scan(&seq); err != nil {
		return err
	}
	_, err = tx.exec(ctx, `INSERT INTO evidence_conditions (state, item_id, seq, source, conditions, added_at) VALUES (?, ?, ?, ?, ?, ?)`,
		state, itemID, seq+1, source, string(raw), formatTime(at))
	return err
}

// ItemConditions returns every condition that binds state's item itemID,
// each once, in the order they came; none for an item without.
func (db *DB) ItemConditions(ctx context.Context, state, itemID string) (convention.Conditions, error) {
	rows, err := db.read.QueryContext(ctx, db.bind(`SELECT conditions FROM evidence_conditions WHERE state = ? AND item_id = ? ORDER BY seq`), state, itemID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out convention.Conditions
	for rows.Next() {
		var raw string
		if err := rows.Scan(&raw); err != nil {
			return nil, err
		}
		var cs convention.Conditions
		if err := json.Unmarshal([]byte(raw), &cs); err != nil {
			return nil, &RowError{Table: "evidence_conditions", ID: itemID, Err: err}
		}
		out = out.Merge(cs)
	}
	return out, rows.Err()
}

const consentColumns = `id, state, request_id, asking_state, giving_state, items, origin_items, to_state, proceedings, reasons, status, asked_by, asked_at, answered_by, answered_at, answer, conditions`

// InsertConsent stores c in the view of c.State; ErrExists if that view
// holds it already.
func (tx *Tx) InsertConsent(ctx context.Context, c evidence.Consent) error {
	items, _ := json.Marshal(c.Items)
	origin, _ := json.Marshal(c.OriginItems)
	_, err := tx.exec(ctx, `INSERT INTO evidence_consents (`+consentColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '', '', '', '')`,
		c.ID, c.State, c.RequestID, c.AskingState, c.GivingState, string(items), string(origin), c.Use.ToState, c.Use.Proceedings, c.Reasons,
		string(c.Status), c.AskedBy, formatTime(c.AskedAt))
	if isUniqueViolation(err) {
		return ErrExists
	}
	return err
}

// AnswerConsent records state's view of consent id as answered: granted
// or refused by by at at, with its reasons and further conditions. It
// answers only a request still asked: ErrNotFound otherwise.
func (tx *Tx) AnswerConsent(ctx context.Context, state, id string, status evidence.ConsentStatus, by string, at time.Time, answer string, cs convention.Conditions) error {
	raw := ""
	if len(cs) > 0 {
		b, _ := json.Marshal(cs)
		raw = string(b)
	}
	res, err := tx.exec(ctx, `UPDATE evidence_consents SET status = ?, answered_by = ?, answered_at = ?, answer = ?, conditions = ? WHERE state = ? AND id = ? AND status = 'asked'`,
		string(status), by, formatTime(at), answer, raw, state, id)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return ErrNotFound
	}
	return nil
}

// ConsentForUpdate reads state's view of consent id inside tx, locking it.
func (tx *Tx) ConsentForUpdate(ctx context.Context, state, id string) (evidence.Consent, error) {
	return scanConsent(tx.queryRow(ctx, `SELECT `+consentColumns+` FROM evidence_consents WHERE state = ? AND id = ?`+tx.dialect.forUpdate, state, id))
}

// Consent reads state's view of consent id; ErrNotFound if it holds none.
func (db *DB) Consent(ctx context.Context, state, id string) (evidence.Consent, error) {
	return scanConsent(db.read.QueryRowContext(ctx, db.bind(`SELECT `+consentColumns+` FROM evidence_consents WHERE state = ? AND id = ?`), state, id))
}

// Consents lists state's consent requests, asked or to answer, newest
// first: of request requestID only, unless it is empty.
func (db *DB) Consents(ctx context.Context, state, requestID string) ([]evidence.Consent, error) {
	q, args := `SELECT `+consentColumns+` FROM evidence_consents WHERE state = ?`, []any{state}
	if requestID != "" {
		q, args = q+` AND request_id = ?`, append(args, requestID)
	}
	rows, err := db.read.QueryContext(ctx, db.bind(q+` ORDER BY asked_at DESC, id LIMIT 1000`), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []evidence.Consent{}
	for rows.Next() {
		c, err := scanConsent(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

func scanConsent(row interface{ Scan(...any) error }) (evidence.Consent, error) {
	var c evidence.Consent
	var items, origin, status, askedAt, answeredAt, conds string
	err := row.Scan(&c.ID, &c.State, &c.RequestID, &c.AskingState, &c.GivingState, &items, &origin, &c.Use.ToState, &c.Use.Proceedings, &c.Reasons,
		&status, &c.AskedBy, &askedAt, &c.AnsweredBy, &answeredAt, &c.Answer, &conds)
	if errors.Is(err, sql.ErrNoRows) {
		return c, ErrNotFound
	}
	if err != nil {
		return c, err
	}
	c.Status = evidence.ConsentStatus(status)
	bad := func(err error) (evidence.Consent, error) {
		return c, &RowError{Table: "evidence_consents", ID: c.ID, Err: err}
	}
	if err := json.Unmarshal([]byte(items), &c.Items); err != nil {
		return bad(err)
	}
	if err := json.Unmarshal([]byte(origin), &c.OriginItems); err != nil {
		return bad(err)
	}
	if c.AskedAt, err = parseTime(askedAt); err != nil {
		return bad(err)
	}
	if answeredAt != "" {
		t, err := parseTime(answeredAt)
		if err != nil {
			return bad(err)
		}
		c.AnsweredAt = &t
	}
	if conds != "" {
		if err := json.Unmarshal([]byte(conds), &c.Conditions); err != nil {
			return bad(err)
		}
	}
	if c.Status != evidence.ConsentAsked && c.Status != evidence.ConsentGranted && c.Status != evidence.ConsentRefused {
		return bad(fmt.Errorf("status %q", status))
	}
	return c, nil
}

// EvidenceWithSHA256 lists the items of state's view, of any request,
// whose bytes have SHA-256 sum (lower-case hex): what a new request's
// attachment of that hash carries.
func (db *DB) EvidenceWithSHA256(ctx context.Context, state, sum string) ([]evidence.Item, error) {
	rows, err := db.read.QueryContext(ctx, db.bind(`SELECT `+evidenceColumns+` FROM evidence_items WHERE state = ? AND sha256 = ? ORDER BY created_at, id LIMIT 100`), state, sum)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	return collect(rows, func(s scanner) (evidence.Item, error) { return scanEvidence(s) }, false)
}
