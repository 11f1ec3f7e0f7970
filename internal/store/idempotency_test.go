package store_test

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"testing"
	"time"

	"entraide/internal/store"
	"entraide/internal/store/storetest"
)

const (
	keyTTL   = 24 * time.Hour
	keyLease = 2 * time.Minute
)

// claimAt claims k at now with the web layer's windows.
func claimAt(t *testing.T, db *store.DB, k store.IdempotencyKey, body string, now time.Time) (string, *store.IdempotentCall) {
	t.Helper()
	h := sha256.Sum256([]byte(body))
	claim, live, err := db.ClaimIdempotencyKey(t.Context(), k, h[:], now, now.Add(-keyTTL), now.Add(-keyLease))
	if err != nil {
		t.Fatalf("ClaimIdempotencyKey(%+v): %v", k, err)
	}
	if (claim == "") == (live == nil) {
		t.Fatalf("ClaimIdempotencyKey(%+v) = %q, %+v: want a claim or a live call, not both or neither", k, claim, live)
	}
	return claim, live
}

func TestIdempotencyKeys(t *testing.T) {
	for _, backend := range storetest.Backends {
		t.Run(backend, func(t *testing.T) {
			t.Parallel()
			db := storetest.Open(t, backend)
			ctx := t.Context()
			k := store.IdempotencyKey{State: "FRA", User: "fra-ca", Method: "POST", Path: "/api/v1/requests", Key: "k-1"}

			first, live := claimAt(t, db, k, "body", base)
			if live != nil {
				t.Fatalf("first claim: live call %+v, want none", live)
			}
			// In flight: a second call sees it, whatever its body.
			if _, live := claimAt(t, db, k, "body", base.Add(time.Second)); live == nil || live.Status != 0 {
				t.Fatalf("claim while in flight = %+v, want the call in flight (status 0)", live)
			}
			_, live = claimAt(t, db, k, "other body", base.Add(time.Second))
			if h := sha256.Sum256([]byte("body")); live == nil || !bytes.Equal(live.BodyHash, h[:]) {
				t.Fatalf("claim with another body = %+v, want the first call with the first body's hash", live)
			}
			// The same key of another official, path or method is another key.
			for _, other := range []store.IdempotencyKey{
				{State: "VNM", User: "fra-ca", Method: k.Method, Path: k.Path, Key: k.Key},
				{State: k.State, User: "fra-24_7", Method: k.Method, Path: k.Path, Key: k.Key},
				{State: k.State, User: k.User, Method: "PUT", Path: k.Path, Key: k.Key},
				{State: k.State, User: k.User, Method: k.Method, Path: "/api/v1/roster", Key: k.Key},
				{State: k.State, User: k.User, Method: k.Method, Path: k.Path, Key: "K-1"},
			} {
				if _, live := claimAt(t, db, other, "body", base.Add(time.Second)); live != nil {
					t.Errorf("claim of %+v = live %+v, want a key of its own", other, live)
				}
			}

			response := []byte("\x00sealed\xff answer")
			if err := db.CompleteIdempotentCall(ctx, k, "not-the-claim", 201, response); !errors.Is(err, store.ErrClaimLost) {
				t.Errorf("CompleteIdempotentCall with another claim = %v, want ErrClaimLost", err)
			}
			if err := db.CompleteIdempotentCall(ctx, k, first, 201, response); err != nil {
				t.Fatalf("CompleteIdempotentCall: %v", err)
			}
			_, live = claimAt(t, db, k, "body", base.Add(23*time.Hour))
			if live == nil || live.Status != 201 || !bytes.Equal(live.Response, response) || !live.CreatedAt.Equal(base) {
				t.Fatalf("claim after completion = %+v, want status 201, the stored answer, made at %v", live, base)
			}
			// A day later the key is free again, and the old call is gone.
			again, live := claimAt(t, db, k, "another day", base.Add(keyTTL+time.Second))
			if live != nil {
				t.Fatalf("claim a day later = live %+v, want a new claim", live)
			}
			if err := db.ReleaseIdempotencyKey(ctx, k, first); !errors.Is(err, store.ErrClaimLost) {
				t.Errorf("ReleaseIdempotencyKey with the expired claim = %v, want ErrClaimLost", err)
			}
			if err := db.ReleaseIdempotencyKey(ctx, k, again); err != nil {
				t.Fatalf("ReleaseIdempotencyKey: %v", err)
			}
			if _, live := claimAt(t, db, k, "another day", base.Add(keyTTL+2*time.Second)); live != nil {
				t.Errorf("claim after release = live %+v, want a new claim", live)
			}
			// Writing prunes the calls older than a day: only k's is left.
			rows, err := db.Int64s(ctx, `SELECT COUNT(*) FROM idempotency_keys`)
			if err != nil || len(rows) != 1 || rows[0] != 1 {
				t.Errorf("rows left after a day = %v, %v; want 1", rows, err)
			}
		})
	}
}

// TestIdempotencyStaleClaim: a call left in flight by a node that stopped
// is taken over once its lease is past; the old call can no longer store
// an answer over the new one.
func TestIdempotencyStaleClaim(t *testing.T) {
	for _, backend := range storetest.Backends {
		t.Run(backend, func(t *testing.T) {
			t.Parallel()
			db := storetest.Open(t, backend)
			k := store.IdempotencyKey{State: "FRA", User: "fra-ca", Method: "POST", Path: "/api/v1/requests/x/transitions", Key: "k"}
			old, _ := claimAt(t, db, k, "body", base)
			if _, live := claimAt(t, db, k, "body", base.Add(keyLease)); live == nil {
				t.Fatalf("claim at the lease's end: a new claim, want the call still in flight")
			}
			taken, live := claimAt(t, db, k, "body", base.Add(keyLease+time.Second))
			if live != nil {
				t.Fatalf("claim after the lease = live %+v, want it taken over", live)
			}
			if err := db.CompleteIdempotentCall(t.Context(), k, old, 200, []byte("old")); !errors.Is(err, store.ErrClaimLost) {
				t.Errorf("the old call's CompleteIdempotentCall = %v, want ErrClaimLost", err)
			}
			if err := db.CompleteIdempotentCall(t.Context(), k, taken, 200, []byte("new")); err != nil {
				t.Errorf("the new call's CompleteIdempotentCall = %v", err)
			}
		})
	}
}

// FuzzIdempotencyStore stores any key, path and answer, and gives back
// exactly the answer stored for exactly that key.
func FuzzIdempotencyStore(f *testing.F) {
	db := storetest.Open(f, "sqlite")
	f.Add("k", "/api/v1/requests", []byte("body"), []byte(`{"id":"x"}`))
	f.Add("", "", []byte{}, []byte{})
	f.Add("\x00\xff", "/api/v1/requests/\u00e9/transitions", []byte{0}, []byte{0xff, 0})
	n := 0
	f.Fuzz(func(t *testing.T, key, path string, body, response []byte) {
		n++
		now := base.Add(time.Duration(n) * time.Millisecond)
		k := store.IdempotencyKey{State: "FRA", User: "fra-ca", Method: "POST", Path: path, Key: key}
		h := sha256.Sum256(body)
		claim, live, err := db.ClaimIdempotencyKey(t.Context(), k, h[:], now, now.Add(-keyTTL), now.Add(-keyLease))
		if err != nil {
			t.Fatalf("ClaimIdempotencyKey(%q, %q): %v", key, path, err)
		}
		if live != nil {
			// Seen before: the fuzzer repeats inputs. The call it stored
			// for this key is complete, with this body's hash or another's.
			if live.Status != 200 {
				t.Fatalf("replayed call status %d, want 200", live.Status)
			}
			return
		}
		if err := db.CompleteIdempotentCall(t.Context(), k, claim, 200, response); err != nil {
			t.Fatalf("CompleteIdempotentCall: %v", err)
		}
		_, live, err = db.ClaimIdempotencyKey(t.Context(), k, h[:], now, now.Add(-keyTTL), now.Add(-keyLease))
		if err != nil || live == nil || live.Status != 200 || !bytes.Equal(live.Response, response) || !bytes.Equal(live.BodyHash, h[:]) {
			t.Fatalf("after completion: %+v, %v; want status 200 and response %q", live, err, response)
		}
	})
}
