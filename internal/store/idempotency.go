package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"time"
)

// IdempotencyKey names one official's call made with an Idempotency-Key:
// the same key on another path, by another official or with another
// method is another key.
type IdempotencyKey struct {
	State, User  string // the official who called
	Method, Path string
	Key          string // as the client sent it
}

// IdempotentCall is what the node keeps of the first call made with a key.
type IdempotentCall struct {
	// BodyHash is the SHA-256 digest of the first call's body: a retry
	// must send the same body.
	BodyHash []byte
	// Status is the status of the first call's answer, or 0 while that
	// call is in flight.
	Status int
	// Response is the answer as the caller of CompleteIdempotentCall
	// stored it.
	Response  []byte
	CreatedAt time.Time
}

// ClaimIdempotencyKey claims k at now for a call whose body hashes to
// bodyHash. If no live call holds k, it records this one as in flight and
// returns a claim, to pass to CompleteIdempotentCall or
// ReleaseIdempotencyKey, and a nil call. A call is live if it was made at
// or after expired and, while in flight, claimed at or after stale: an
// older one is replaced, as a call whose node stopped midway never
// completes. Otherwise it returns the live call, unchanged, and no claim.
// Calls made before expired are deleted on the way, so the table holds at
// most a day of calls.
func (db *DB) ClaimIdempotencyKey(ctx context.Context, k IdempotencyKey, bodyHash []byte, now, expired, stale time.Time) (claim string, live *IdempotentCall, err error) {
	claim = rand.Text()
	hash := hex.EncodeToString(bodyHash)
	err = db.Tx(ctx, func(tx *Tx) error {
		if _, err := tx.exec(ctx, `DELETE FROM idempotency_keys WHERE created_at < ?`, formatTime(expired)); err != nil {
			return fmt.Errorf("prune idempotency keys: %w", err)
		}
		res, err := tx.exec(ctx, `INSERT INTO idempotency_keys (state, user_id, method, path, key, body_hash, status, claim, created_at, claimed_at)
			VALUES (?, ?, ?, ?, ?, ?, 0, ?, ?, ?) ON CONFLICT DO NOTHING`,
			k.State, k.User, k.Method, k.Path, k.Key, hash, claim, formatTime(now), formatTime(now))
		if err != nil {
			return fmt.Errorf("claim idempotency key: %w", err)
		}
		if n, err := res.RowsAffected(); err != nil || n == 1 {
			return err
		}
		var c IdempotentCall
		var storedHash, created, claimed string
		err = tx.queryRow(ctx, `SELECT body_hash, status, response, created_at, claimed_at FROM idempotency_keys
			WHERE state = ? AND user_id = ? AND method = ? AND path = ? AND key = ?`+tx.dialect.forUpdate,
			k.State, k.User, k.Method, k.Path, k.Key).Scan(&storedHash, &c.Status, &c.Response, &created, &claimed)
		if err != nil {
			return fmt.Errorf("read idempotency key: %w", err)
		}
		if c.BodyHash, err = hex.DecodeString(storedHash); err != nil {
			return fmt.Errorf("idempotency key: body hash: %w", err)
		}
		if c.CreatedAt, err = parseTime(created); err != nil {
			return fmt.Errorf("idempotency key: created_at: %w", err)
		}
		claimedAt, err := parseTime(claimed)
		if err != nil {
			return fmt.Errorf("idempotency key: claimed_at: %w", err)
		}
		if !c.CreatedAt.Before(expired) && (c.Status != 0 || !claimedAt.Before(stale)) {
			live = &c
			return nil
		}
		_, err = tx.exec(ctx, `UPDATE idempotency_keys SET body_hash = ?, status = 0, response = NULL, claim = ?, created_at = ?, claimed_at = ?
			WHERE state = ? AND user_id = ? AND method = ? AND path = ? AND key = ?`,
			hash, claim, formatTime(now), formatTime(now), k.State, k.User, k.Method, k.Path, k.Key)
		return err
	})
	if err != nil || live != nil {
		return "", live, err
	}
	return claim, nil, nil
}

// ErrClaimLost is returned when a call's claim of an idempotency key was
// taken over by a later call, after it went stale.
var ErrClaimLost = errors.New("the idempotency key was claimed again")

// CompleteIdempotentCall stores the answer to the call that holds claim
// on k: later calls with k get status and response back.
func (db *DB) CompleteIdempotentCall(ctx context.Context, k IdempotencyKey, claim string, status int, response []byte) error {
	if status == 0 {
		return errors.New("complete idempotent call: status 0 means in flight")
	}
	return db.Tx(ctx, func(tx *Tx) error {
		res, err := tx.exec(ctx, `UPDATE idempotency_keys SET status = ?, response = ?
			WHERE state = ? AND user_id = ? AND method = ? AND path = ? AND key = ? AND claim = ?`,
			status, response, k.State, k.User, k.Method, k.Path, k.Key, claim)
		return claimed(res, err)
	})
}

// ReleaseIdempotencyKey drops the call that holds claim on k, for a call
// whose answer is not to be replayed (a server error): a retry runs anew.
func (db *DB) ReleaseIdempotencyKey(ctx context.Context, k IdempotencyKey, claim string) error {
	return db.Tx(ctx, func(tx *Tx) error {
		res, err := tx.exec(ctx, `DELETE FROM idempotency_keys
			WHERE state = ? AND user_id = ? AND method = ? AND path = ? AND key = ? AND claim = ?`,
			k.State, k.User, k.Method, k.Path, k.Key, claim)
		return claimed(res, err)
	})
}

func claimed(res sql.Result, err error) error {
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return ErrClaimLost
	}
	return nil
}
