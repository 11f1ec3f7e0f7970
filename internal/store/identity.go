package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"entraide/internal/identity"
)

// InitNode records the State the node serves and the States whose views
// it holds. It fails with ErrExists on a node already initialised.
func (tx *Tx) InitNode(ctx context.Context, home string, hosted []string, at time.Time) error {
	_, err := tx.exec(ctx, `INSERT INTO node (id, home_state, created_at) VALUES (1, ?, ?)`, home, formatTime(at))
	if isUniqueViolation(err) {
		return fmt.Errorf("node already initialised: %w", ErrExists)
	}
	if err != nil {
		return err
	}
	for _, code := range append([]string{home}, hosted...) {
		if _, err := tx.exec(ctx, `INSERT INTO hosted_states (code) VALUES (?) ON CONFLICT (code) DO NOTHING`, code); err != nil {
			return err
		}
	}
	return nil
}

// Node returns the home State and every State whose views this node holds.
// It fails with ErrNotFound before init.
func (db *DB) Node(ctx context.Context) (home string, hosted []string, err error) {
	err = db.read.QueryRowContext(ctx, `SELECT home_state FROM node WHERE id = 1`).Scan(&home)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil, fmt.Errorf("node not initialised (run entraide init): %w", ErrNotFound)
	}
	if err != nil {
		return "", nil, err
	}
	rows, err := db.read.QueryContext(ctx, `SELECT code FROM hosted_states ORDER BY code`)
	if err != nil {
		return "", nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			return "", nil, err
		}
		hosted = append(hosted, c)
	}
	return home, hosted, rows.Err()
}

// InsertUser adds an official of u.State. It fails with ErrExists if the
// id is taken: logins are unique on the node, whatever their State.
func (tx *Tx) InsertUser(ctx context.Context, u identity.User) error {
	_, err := tx.exec(ctx, `INSERT INTO users (id, name, email, state, role, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
		u.ID, u.Name, u.Email, u.State, string(u.Role), formatTime(u.CreatedAt))
	if isUniqueViolation(err) {
		return fmt.Errorf("user %q: %w", u.ID, ErrExists)
	}
	return err
}

const userColumns = `id, name, email, state, role, created_at, disabled_at`

// User returns state's official with id, or ErrNotFound: another State's
// official is not found.
func (db *DB) User(ctx context.Context, state, id string) (identity.User, error) {
	return scanUser(db.read.QueryRowContext(ctx, db.bind(`SELECT `+userColumns+` FROM users WHERE state = ? AND id = ?`), state, id))
}

// Users lists state's officials, by id. Officials whose row cannot be
// read are listed too, marked Unreadable, and named in a Partial error
// beside the list.
func (db *DB) Users(ctx context.Context, state string) ([]identity.User, error) {
	rows, err := db.readRows(ctx, `SELECT `+userColumns+` FROM users WHERE state = ? ORDER BY id`, state)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	return collect(rows, scanUser, true)
}

type scanner interface{ Scan(...any) error }

// scanUser reads an official, or fails with a *RowError, beside the
// official marked Unreadable, for one whose times cannot be read.
func scanUser(row scanner) (identity.User, error) {
	var u identity.User
	var role, created, disabled string
	if err := row.Scan(&u.ID, &u.Name, &u.Email, &u.State, &role, &created, &disabled); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return u, ErrNotFound
		}
		return u, err
	}
	u.Role = identity.Role(role)
	var errs [2]error
	u.CreatedAt, errs[0] = parseTime(created)
	u.DisabledAt, errs[1] = parseTimePtr(disabled)
	if err := errors.Join(errs[:]...); err != nil {
		bad := &RowError{Table: "users", ID: u.ID, Err: err}
		u.Unreadable = bad.Error()
		return u, bad
	}
	return u, nil
}
