package store

import (
	"context"
	"database/sql"
	"errors"
	"time"
)

// OIDCIdentity maps an identity at an OpenID Connect provider to the
// official it signs in.
type OIDCIdentity struct {
	Issuer, Subject string
	User, State     string
	CreatedAt       time.Time
	LastUsedAt      time.Time
}

// OIDCIdentity returns the mapping of subject at issuer, or ErrNotFound.
func (tx *Tx) OIDCIdentity(ctx context.Context, issuer, subject string) (OIDCIdentity, error) {
	return scanOIDCIdentity(tx.queryRow(ctx, `SELECT issuer, subject, user_id, state, created_at, last_used_at FROM signin_oidc_identities WHERE issuer = ? AND subject = ?`, issuer, subject))
}

// OIDCIdentityOf returns the identity at issuer mapped to the official
// userID, or ErrNotFound.
func (tx *Tx) OIDCIdentityOf(ctx context.Context, issuer, userID string) (OIDCIdentity, error) {
	return scanOIDCIdentity(tx.queryRow(ctx, `SELECT issuer, subject, user_id, state, created_at, last_used_at FROM signin_oidc_identities WHERE issuer = ? AND user_id = ?`, issuer, userID))
}

// AddOIDCIdentity records the mapping id. It fails with ErrNotFound if
// id.State has no official id.User.
func (tx *Tx) AddOIDCIdentity(ctx context.Context, id OIDCIdentity) error {
	res, err := tx.exec(ctx, `INSERT INTO signin_oidc_identities (issuer, subject, user_id, state, created_at, last_used_at)
		SELECT ?, ?, id, state, ?, ? FROM users WHERE state = ? AND id = ?`,
		id.Issuer, id.Subject, formatTime(id.CreatedAt), formatTime(id.LastUsedAt), id.State, id.User)
	if err != nil {
		return err
	}
	return oneRow(res, "official %q of %s", id.User, id.State)
}

// NoteOIDCUse records that subject at issuer signed in at at.
func (tx *Tx) NoteOIDCUse(ctx context.Context, issuer, subject string, at time.Time) error {
	res, err := tx.exec(ctx, `UPDATE signin_oidc_identities SET last_used_at = ? WHERE issuer = ? AND subject = ?`, formatTime(at), issuer, subject)
	if err != nil {
		return err
	}
	return oneRow(res, "identity %q at %s", subject, issuer)
}

func scanOIDCIdentity(row scanner) (OIDCIdentity, error) {
	var id OIDCIdentity
	var created, used string
	err := row.Scan(&id.Issuer, &id.Subject, &id.User, &id.State, &created, &used)
	if errors.Is(err, sql.ErrNoRows) {
		return id, ErrNotFound
	}
	if err != nil {
		return id, err
	}
	var errs [2]error
	id.CreatedAt, errs[0] = parseTime(created)
	if used != "" {
		id.LastUsedAt, errs[1] = parseTime(used)
	}
	if err := errors.Join(errs[:]...); err != nil {
		return id, &RowError{Table: "signin_oidc_identities", ID: id.Subject, Err: err}
	}
	return id, nil
}
