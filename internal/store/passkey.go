package store

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"

	"github.com/go-webauthn/webauthn/webauthn"

	"entraide/internal/signin"
)

// Passkeys of officials, their second factor in place of a TOTP code. A
// sign-in finds a passkey by its id, before any State is known; every
// write names the State the official belongs to.

// AddPasskey stores the passkey p of state's official p.User. It fails
// with ErrNotFound if state has no such official.
func (tx *Tx) AddPasskey(ctx context.Context, state string, p signin.Passkey) error {
	cred, err := json.Marshal(p.Credential)
	if err != nil {
		return err
	}
	res, err := tx.exec(ctx, `INSERT INTO signin_passkeys (id, user_id, state, handle, credential, created_at, last_used_at)
		SELECT ?, id, state, ?, ?, ?, '' FROM users WHERE state = ? AND id = ?`,
		p.ID, base64.RawURLEncoding.EncodeToString(p.Handle), string(cred), formatTime(p.CreatedAt), state, p.User)
	if err != nil {
		return err
	}
	return oneRow(res, "official %q of %s", p.User, state)
}

// NotePasskeyUse stores p's counter and flags after a sign-in with it,
// and when it was used.
func (tx *Tx) NotePasskeyUse(ctx context.Context, state string, p signin.Passkey) error {
	cred, err := json.Marshal(p.Credential)
	if err != nil {
		return err
	}
	res, err := tx.exec(ctx, `UPDATE signin_passkeys SET credential = ?, last_used_at = ? WHERE state = ? AND id = ?`,
		string(cred), formatTime(p.LastUsedAt), state, p.ID)
	if err != nil {
		return err
	}
	return oneRow(res, "passkey %q of %s", p.ID, state)
}

// DeletePasskeys removes every passkey of state's official userID, and
// returns how many there were: an official who enrols again starts with
// none.
func (tx *Tx) DeletePasskeys(ctx context.Context, state, userID string) (int, error) {
	res, err := tx.exec(ctx, `DELETE FROM signin_passkeys WHERE state = ? AND user_id = ?`, state, userID)
	if err != nil {
		return 0, err
	}
	n, err := res.RowsAffected()
	return int(n), err
}

// DeletePasskey removes state's official userID's passkey id, and reports
// whether there was one.
func (tx *Tx) DeletePasskey(ctx context.Context, state, userID, id string) (bool, error) {
	res, err := tx.exec(ctx, `DELETE FROM signin_passkeys WHERE state = ? AND user_id = ? AND id = ?`, state, userID, id)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

const passkeyColumns = `id, user_id, state, handle, credential, created_at, last_used_at`

// Passkey returns the passkey whose id is id, of any official; or
// ErrNotFound.
func (db *DB) Passkey(ctx context.Context, id string) (signin.Passkey, error) {
	return scanPasskey(db.read.QueryRowContext(ctx, db.bind(`SELECT `+passkeyColumns+` FROM signin_passkeys WHERE id = ?`), id))
}

// Passkeys returns the passkeys of state's official userID, oldest first.
func (db *DB) Passkeys(ctx context.Context, state, userID string) ([]signin.Passkey, error) {
	rows, err := db.read.QueryContext(ctx, db.bind(`SELECT `+passkeyColumns+` FROM signin_passkeys WHERE state = ? AND user_id = ? ORDER BY created_at, id`), state, userID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ps []signin.Passkey
	for rows.Next() {
		p, err := scanPasskey(rows)
		if err != nil {
			return nil, err
		}
		ps = append(ps, p)
	}
	return ps, rows.Err()
}

func scanPasskey(row scanner) (signin.Passkey, error) {
	var p signin.Passkey
	var handle, cred, created, used string
	err := row.Scan(&p.ID, &p.User, &p.State, &handle, &cred, &created, &used)
	if errors.Is(err, sql.ErrNoRows) {
		return p, ErrNotFound
	}
	if err != nil {
		return p, err
	}
	var c webauthn.Credential
	var errs [4]error
	p.Handle, errs[0] = base64.RawURLEncoding.DecodeString(handle)
	errs[1] = json.Unmarshal([]byte(cred), &c)
	p.Credential = c
	p.CreatedAt, errs[2] = parseTime(created)
	if used != "" {
		p.LastUsedAt, errs[3] = parseTime(used)
	}
	if err := errors.Join(errs[:]...); err != nil {
		return p, &RowError{Table: "signin_passkeys", ID: p.ID, Err: err}
	}
	return p, nil
}
