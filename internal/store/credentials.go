package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"entraide/internal/identity"
)

// Credentials are read and written with the State of the official they
// belong to, like every State-owned row: a token or code of another
// State's official is not found.

// User returns state's official with id as tx sees them, or ErrNotFound.
func (tx *Tx) User(ctx context.Context, state, id string) (identity.User, error) {
	return scanUser(tx.queryRow(ctx, `SELECT `+userColumns+` FROM users WHERE state = ? AND id = ?`, state, id))
}

const tokenColumns = `t.id, t.user_id, t.label, t.created_at, t.expires_at, t.issued_by, t.last_used_at, t.revoked_at`

// scanToken reads a token, or fails with a *RowError, beside the token
// marked Unreadable, for one whose times cannot be read.
func scanToken(row scanner) (identity.Token, error) {
	var t identity.Token
	var created, expires, used, revoked string
	if err := row.Scan(&t.ID, &t.User, &t.Label, &created, &expires, &t.IssuedBy, &used, &revoked); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return t, ErrNotFound
		}
		return t, err
	}
	var errs [4]error
	t.CreatedAt, errs[0] = parseTime(created)
	t.ExpiresAt, errs[1] = parseTime(expires)
	t.LastUsedAt, errs[2] = parseTimePtr(used)
	t.RevokedAt, errs[3] = parseTimePtr(revoked)
	if err := errors.Join(errs[:]...); err != nil {
		bad := &RowError{Table: "tokens", ID: t.ID, Err: err}
		t.Unreadable = bad.Error()
		return t, bad
	}
	return t, nil
}

func parseTimePtr(s string) (*time.Time, error) {
	if s == "" {
		return nil, nil
	}
	t, err := parseTime(s)
	return &t, err
}

// InsertToken stores the digest of a new token for state's official
// t.User, named t.ID, valid until t.ExpiresAt. It fails with ErrNotFound
// if state has no such official.
func (tx *Tx) InsertToken(ctx context.Context, state, digest string, t identity.Token) error {
	res, err := tx.exec(ctx, `INSERT INTO tokens (digest, id, user_id, label, created_at, expires_at, issued_by)
		SELECT ?, ?, id, ?, ?, ?, ? FROM users WHERE state = ? AND id = ?`,
		digest, t.ID, t.Label, formatTime(t.CreatedAt), formatTime(t.ExpiresAt), t.IssuedBy, state, t.User)
	if err != nil {
		return err
	}
	return oneRow(res, "official %q of %s", t.User, state)
}

func oneRow(res sql.Result, format string, args ...any) error {
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n != 1 {
		return fmt.Errorf(format+": %w", append(args, ErrNotFound)...)
	}
	return nil
}

// Credential returns the token a digest is the digest of, and the
// official it belongs to, whether or not the token is still active; or
// ErrNotFound.
func (db *DB) Credential(ctx context.Context, digest string) (identity.User, identity.Token, error) {
	row := db.readRow(ctx, `SELECT `+tokenColumns+`, u.id, u.name, u.email, u.state, u.role, u.created_at, u.disabled_at
		FROM tokens t JOIN users u ON u.id = t.user_id WHERE t.digest = ?`, digest)
	var t identity.Token
	var u identity.User
	var created, expires, used, revoked, role, ucreated, disabled string
	if err := row.Scan(&t.ID, &t.User, &t.Label, &created, &expires, &t.IssuedBy, &used, &revoked,
		&u.ID, &u.Name, &u.Email, &u.State, &role, &ucreated, &disabled); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return u, t, ErrNotFound
		}
		return u, t, err
	}
	u.Role = identity.Role(role)
	var errs [6]error
	t.CreatedAt, errs[0] = parseTime(created)
	t.ExpiresAt, errs[1] = parseTime(expires)
	t.LastUsedAt, errs[2] = parseTimePtr(used)
	t.RevokedAt, errs[3] = parseTimePtr(revoked)
	u.CreatedAt, errs[4] = parseTime(ucreated)
	u.DisabledAt, errs[5] = parseTimePtr(disabled)
	return u, t, errors.Join(errs[:]...)
}

// TokenUseInterval is how often at most a token's last use is written: a
// busy official's calls must not each cost a write.
const TokenUseInterval = time.Minute

// NoteTokenUse records that the token of digest was used at, unless a use
// less than TokenUseInterval earlier is recorded already. The condition is
// in the statement, so that several replicas write no more often than one.
func (db *DB) NoteTokenUse(ctx context.Context, digest string, at time.Time) error {
	_, err := db.write.ExecContext(ctx, db.bind(`UPDATE tokens SET last_used_at = ? WHERE digest = ? AND last_used_at < ?`),
		formatTime(at), digest, formatTime(at.Add(-TokenUseInterval)))
	return err
}

// Tokens lists the tokens of state's official userID, oldest first,
// revoked and expired ones included. An official of another State has
// none. Tokens whose row cannot be read are listed too, marked
// Unreadable, and named in a Partial error beside the list.
func (db *DB) Tokens(ctx context.Context, state, userID string) ([]identity.Token, error) {
	rows, err := db.read.QueryContext(ctx, db.bind(`SELECT `+tokenColumns+` FROM tokens t JOIN users u ON u.id = t.user_id
		WHERE u.state = ? AND t.user_id = ? ORDER BY t.created_at, t.id`), state, userID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	return collect(rows, scanToken, true)
}

// RevokeToken revokes the token id of state's official userID at at, and
// returns it with its digest. A token revoked already keeps its first
// revocation time, and revoked says whether this call revoked it. It
// fails with ErrNotFound for a token of another official or State. A
// token whose row cannot be read is revoked too, and returned marked
// Unreadable.
func (tx *Tx) RevokeToken(ctx context.Context, state, userID, id string, at time.Time) (t identity.Token, digest string, revoked bool, err error) {
	err = tx.queryRow(ctx, `SELECT t.digest FROM tokens t JOIN users u ON u.id = t.user_id
		WHERE u.state = ? AND t.user_id = ? AND t.id = ?`, state, userID, id).Scan(&digest)
	if errors.Is(err, sql.ErrNoRows) {
		return t, "", false, fmt.Errorf("token %q of %q: %w", id, userID, ErrNotFound)
	}
	if err != nil {
		return t, "", false, err
	}
	res, err := tx.exec(ctx, `UPDATE tokens SET revoked_at = ? WHERE digest = ? AND revoked_at = ''`, formatTime(at), digest)
	if err != nil {
		return t, "", false, err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return t, "", false, err
	}
	if n == 1 {
		tx.announce(TopicCredentials)
	}
	t, err = scanToken(tx.queryRow(ctx, `SELECT `+tokenColumns+` FROM tokens t WHERE t.digest = ?`, digest))
	if bad := (*RowError)(nil); errors.As(err, &bad) {
		err = nil
	}
	return t, digest, n == 1, err
}

// SetUserDisabled disables state's official id at at, or enables them
// again if at is nil, and returns them. changed says whether they were in
// the other condition before. It fails with ErrNotFound for an official
// of another State.
func (tx *Tx) SetUserDisabled(ctx context.Context, state, id string, at *time.Time) (u identity.User, changed bool, err error) {
	var res sql.Result
	if at != nil {
		res, err = tx.exec(ctx, `UPDATE users SET disabled_at = ? WHERE state = ? AND id = ? AND disabled_at = ''`, formatTime(*at), state, id)
	} else {
		res, err = tx.exec(ctx, `UPDATE users SET disabled_at = '' WHERE state = ? AND id = ? AND disabled_at <> ''`, state, id)
	}
	if err != nil {
		return u, false, err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return u, false, err
	}
	if n == 1 {
		tx.announce(TopicCredentials)
	}
	u, err = scanUser(tx.queryRow(ctx, `SELECT `+userColumns+` FROM users WHERE state = ? AND id = ?`, state, id))
	if errors.Is(err, ErrNotFound) {
		return u, false, fmt.Errorf("official %q of %s: %w", id, state, ErrNotFound)
	}
	return u, n == 1, err
}

// InsertEnrolment stores the digest of a new enrolment code for state's
// official e.User, issued by e.IssuedBy, and makes every code issued to
// them before and not yet used expire at e.CreatedAt: only the newest
// code works. It returns how many codes it so replaced, and fails with
// ErrNotFound if state has no such official.
func (tx *Tx) InsertEnrolment(ctx context.Context, state, digest string, e identity.Enrolment) (replaced int64, err error) {
	res, err := tx.exec(ctx, `UPDATE enrolments SET expires_at = ? WHERE user_id = ? AND used_at = '' AND expires_at > ?`,
		formatTime(e.CreatedAt), e.User, formatTime(e.CreatedAt))
	if err != nil {
		return 0, err
	}
	if replaced, err = res.RowsAffected(); err != nil {
		return 0, err
	}
	res, err = tx.exec(ctx, `INSERT INTO enrolments (digest, id, user_id, created_by, created_at, expires_at)
		SELECT ?, ?, id, ?, ?, ? FROM users WHERE state = ? AND id = ?`,
		digest, e.ID, e.IssuedBy, formatTime(e.CreatedAt), formatTime(e.ExpiresAt), state, e.User)
	if err != nil {
		return 0, err
	}
	return replaced, oneRow(res, "official %q of %s", e.User, state)
}

// RedeemEnrolment marks the enrolment code of digest used at at, once:
// it returns the code as it was before (UsedAt set if it had been used
// already, in which case it marks nothing) and the official it is for, or
// ErrNotFound for an unknown code.
func (tx *Tx) RedeemEnrolment(ctx context.Context, digest string, at time.Time) (identity.Enrolment, identity.User, error) {
	var e identity.Enrolment
	var created, expires, used string
	err := tx.queryRow(ctx, `SELECT e.id, e.user_id, u.state, e.created_by, e.created_at, e.expires_at, e.used_at
		FROM enrolments e JOIN users u ON u.id = e.user_id WHERE e.digest = ?`, digest).
		Scan(&e.ID, &e.User, &e.State, &e.IssuedBy, &created, &expires, &used)
	if errors.Is(err, sql.ErrNoRows) {
		return e, identity.User{}, ErrNotFound
	}
	if err != nil {
		return e, identity.User{}, err
	}
	var errs [3]error
	e.CreatedAt, errs[0] = parseTime(created)
	e.ExpiresAt, errs[1] = parseTime(expires)
	e.UsedAt, errs[2] = parseTimePtr(used)
	if err := errors.Join(errs[:]...); err != nil {
		return e, identity.User{}, err
	}
	u, err := scanUser(tx.queryRow(ctx, `SELECT `+userColumns+` FROM users WHERE state = ? AND id = ?`, e.State, e.User))
	if err != nil || e.UsedAt != nil || !at.Before(e.ExpiresAt) {
		return e, u, err
	}
	// The condition on used_at makes two redemptions at once use the code
	// once: the second updates nothing and is told it was used.
	res, err := tx.exec(ctx, `UPDATE enrolments SET used_at = ? WHERE digest = ? AND used_at = ''`, formatTime(at), digest)
	if err != nil {
		return e, u, err
	}
	if n, err := res.RowsAffected(); err != nil {
		return e, u, err
	} else if n != 1 {
		e.UsedAt = &at
	}
	return e, u, nil
}
