package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"entraide/internal/identity"
	"entraide/internal/signin"
)

// Sign-in records of the web UI. An official signs in by their id, before
// any State is known: the credential is found by the official's id, and
// every write after names the State the official belongs to.

// Enrolment returns the enrolment code whose digest is digest, and its
// official, without redeeming it; or ErrNotFound.
func (db *DB) Enrolment(ctx context.Context, digest string) (identity.Enrolment, identity.User, error) {
	var e identity.Enrolment
	var created, expires, used string
	err := db.read.QueryRowContext(ctx, db.bind(`SELECT e.id, e.user_id, u.state, e.created_by, e.created_at, e.expires_at, e.used_at
		FROM enrolments e JOIN users u ON u.id = e.user_id WHERE e.digest = ?`), digest).
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
		return e, identity.User{}, &RowError{Table: "enrolments", ID: e.ID, Err: err}
	}
	u, err := scanUser(db.read.QueryRowContext(ctx, db.bind(`SELECT `+userColumns+` FROM users WHERE state = ? AND id = ?`), e.State, e.User))
	return e, u, err
}

// PutSigninCredential stores c for state's official c.User, replacing the
// one they had: an official who enrols again chooses a new password and
// a new TOTP secret. It fails with ErrNotFound if state has no such
// official.
func (tx *Tx) PutSigninCredential(ctx context.Context, state string, c signin.Credential) error {
	res, err := tx.exec(ctx, `INSERT INTO signin_credentials (user_id, state, password, totp_secret, totp_last_step, failures, locked_until, created_at, updated_at)
		SELECT id, state, ?, ?, ?, 0, '', ?, ? FROM users WHERE state = ? AND id = ?
		ON CONFLICT (user_id) DO UPDATE SET password = excluded.password, totp_secret = excluded.totp_secret,
			totp_last_step = excluded.totp_last_step, failures = 0, locked_until = '', updated_at = excluded.updated_at`,
		c.PasswordHash, c.TOTPSecret, c.TOTPLastStep, formatTime(c.CreatedAt), formatTime(c.UpdatedAt), state, c.User)
	if err != nil {
		return err
	}
	return oneRow(res, "official %q of %s", c.User, state)
}

// SigninCredential returns the credential of the official with id userID,
// and the official; or ErrNotFound when they have none.
func (tx *Tx) SigninCredential(ctx context.Context, userID string) (signin.Credential, identity.User, error) {
	c, err := scanCredential(tx.queryRow(ctx, `SELECT `+credentialColumns+` FROM signin_credentials WHERE user_id = ?`, userID))
	if err != nil {
		return c, identity.User{}, err
	}
	u, err := tx.User(ctx, c.State, c.User)
	return c, u, err
}

// SigninCredential is Tx.SigninCredential outside a transaction: a
// sign-in checks the password, which takes tens of milliseconds, before it
// writes anything.
func (db *DB) SigninCredential(ctx context.Context, userID string) (signin.Credential, identity.User, error) {
	c, err := scanCredential(db.read.QueryRowContext(ctx, db.bind(`SELECT `+credentialColumns+` FROM signin_credentials WHERE user_id = ?`), userID))
	if err != nil {
		return c, identity.User{}, err
	}
	u, err := scanUser(db.read.QueryRowContext(ctx, db.bind(`SELECT `+userColumns+` FROM users WHERE state = ? AND id = ?`), c.State, c.User))
	return c, u, err
}

const credentialColumns = `user_id, state, password, totp_secret, totp_last_step, failures, locked_until, created_at, updated_at`

func scanCredential(row scanner) (signin.Credential, error) {
	var c signin.Credential
	var locked, created, updated string
	err := row.Scan(&c.User, &c.State, &c.PasswordHash, &c.TOTPSecret, &c.TOTPLastStep, &c.Failures, &locked, &created, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		return c, ErrNotFound
	}
	if err != nil {
		return c, err
	}
	var errs [3]error
	if locked != "" {
		c.LockedUntil, errs[0] = parseTime(locked)
	}
	c.CreatedAt, errs[1] = parseTime(created)
	c.UpdatedAt, errs[2] = parseTime(updated)
	if err := errors.Join(errs[:]...); err != nil {
		return c, &RowError{Table: "signin_credentials", ID: c.User, Err: err}
	}
	return c, nil
}

// NoteSignin stores the outcome of a sign-in for state's official
// c.User: their failures, lockout and last accepted TOTP step.
func (tx *Tx) NoteSignin(ctx context.Context, state string, c signin.Credential) error {
	locked := ""
	if !c.LockedUntil.IsZero() {
		locked = formatTime(c.LockedUntil)
	}
	res, err := tx.exec(ctx, `UPDATE signin_credentials SET failures = ?, locked_until = ?, totp_last_step = ?, updated_at = ?
		WHERE state = ? AND user_id = ?`, c.Failures, locked, c.TOTPLastStep, formatTime(c.UpdatedAt), state, c.User)
	if err != nil {
		return err
	}
	return oneRow(res, "sign-in credential of %q of %s", c.User, state)
}

// InsertSession stores the digest of a new session of state's official
// s.User.
func (tx *Tx) InsertSession(ctx context.Context, state, digest string, s signin.Session) error {
	res, err := tx.exec(ctx, `INSERT INTO signin_sessions (digest, id, user_id, state, created_at, expires_at)
		SELECT ?, ?, id, state, ?, ? FROM users WHERE state = ? AND id = ?`,
		digest, s.ID, formatTime(s.CreatedAt), formatTime(s.ExpiresAt), state, s.User)
	if err != nil {
		return err
	}
	return oneRow(res, "official %q of %s", s.User, state)
}

// Session returns the session whose digest is digest, ended or not, and
// its official; or ErrNotFound.
func (db *DB) Session(ctx context.Context, digest string) (signin.Session, identity.User, error) {
	var s signin.Session
	var created, expires, ended string
	err := db.read.QueryRowContext(ctx, db.bind(`SELECT id, user_id, state, created_at, expires_at, ended_at FROM signin_sessions WHERE digest = ?`), digest).
		Scan(&s.ID, &s.User, &s.State, &created, &expires, &ended)
	if errors.Is(err, sql.ErrNoRows) {
		return s, identity.User{}, ErrNotFound
	}
	if err != nil {
		return s, identity.User{}, err
	}
	var errs [3]error
	s.CreatedAt, errs[0] = parseTime(created)
	s.ExpiresAt, errs[1] = parseTime(expires)
	s.EndedAt, errs[2] = parseTimePtr(ended)
	if err := errors.Join(errs[:]...); err != nil {
		return s, identity.User{}, &RowError{Table: "signin_sessions", ID: s.ID, Err: err}
	}
	u, err := scanUser(db.read.QueryRowContext(ctx, db.bind(`SELECT `+userColumns+` FROM users WHERE state = ? AND id = ?`), s.State, s.User))
	return s, u, err
}

// EndSession ends state's session whose digest is digest at at, and
// reports whether it was active.
func (tx *Tx) EndSession(ctx context.Context, state, digest string, at time.Time) (bool, error) {
	res, err := tx.exec(ctx, `UPDATE signin_sessions SET ended_at = ? WHERE state = ? AND digest = ? AND ended_at = ''`, formatTime(at), state, digest)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// SigninStatus is what an administrator sees of an official's sign-in:
// whether they enrolled for the web UI, when they last signed in, and
// whether failures locked them out. Never the password or the secret.
type SigninStatus struct {
	Enrolled    bool
	LastSignin  *time.Time
	Failures    int
	LockedUntil time.Time
}

// SigninStatuses returns the sign-in status of each official of state
// who enrolled for the web UI or signed in, by login.
func (db *DB) SigninStatuses(ctx context.Context, state string) (map[string]SigninStatus, error) {
	rows, err := db.read.QueryContext(ctx, db.bind(`SELECT u.id, c.user_id IS NOT NULL, COALESCE(c.failures, 0), COALESCE(c.locked_until, ''),
		COALESCE((SELECT MAX(s.created_at) FROM signin_sessions s WHERE s.user_id = u.id AND s.state = u.state), '')
		FROM users u LEFT JOIN signin_credentials c ON c.user_id = u.id AND c.state = u.state WHERE u.state = ?`), state)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]SigninStatus{}
	var bad Partial
	for rows.Next() {
		var id, locked, last string
		var s SigninStatus
		if err := rows.Scan(&id, &s.Enrolled, &s.Failures, &locked, &last); err != nil {
			return nil, err
		}
		var errs [2]error
		if locked != "" {
			s.LockedUntil, errs[0] = parseTime(locked)
		}
		s.LastSignin, errs[1] = parseTimePtr(last)
		if err := errors.Join(errs[:]...); err != nil {
			bad = append(bad, &RowError{Table: "signin_credentials", ID: id, Err: err})
			continue
		}
		if s.Enrolled || s.LastSignin != nil {
			out[id] = s
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(bad) > 0 {
		return out, bad
	}
	return out, nil
}

// ResetSigninFailures clears the failed sign-ins of state's official
// userID, and the lockout they caused, at at. It reports whether there
// was anything to clear; ErrNotFound when the official has not enrolled
// for the web UI.
func (tx *Tx) ResetSigninFailures(ctx context.Context, state, userID string, at time.Time) (bool, error) {
	var failures int
	var locked string
	err := tx.queryRow(ctx, `SELECT failures, locked_until FROM signin_credentials WHERE state = ? AND user_id = ?`+tx.dialect.forUpdate, state, userID).Scan(&failures, &locked)
	if errors.Is(err, sql.ErrNoRows) {
		return false, ErrNotFound
	}
	if err != nil || failures == 0 && locked == "" {
		return false, err
	}
	_, err = tx.exec(ctx, `UPDATE signin_credentials SET failures = 0, locked_until = '', updated_at = ? WHERE state = ? AND user_id = ?`, formatTime(at), state, userID)
	return err == nil, err
}
