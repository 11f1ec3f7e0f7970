package node_test

import (
	"bytes"
	"crypto/ecdh"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"entraide/internal/federation"
	"entraide/internal/keeper"
	"entraide/internal/node"
	"entraide/internal/store"
)

// newKeeper is a local key keeper in a directory of the test's, as
// entraide init makes one.
func newKeeper(tb testing.TB) node.Keeper {
	tb.Helper()
	dir := tb.TempDir()
	if _, err := keeper.Create(dir); err != nil {
		tb.Fatalf("keeper.Create: %v", err)
	}
	k, err := keeper.Open(tb.Context(), dir, "")
	if err != nil {
		tb.Fatalf("keeper.Open: %v", err)
	}
	return k
}

// A copy of the database alone signs nothing: what it keeps of each
// private key is wrapped by the node's keeper, which lives outside it.
func TestKeysAtRest(t *testing.T) {
	eachBackend(t, func(t *testing.T, backend string) {
		f := newFixture(t, backend)
		ctx := t.Context()
		f.clock.Advance(time.Hour)
		if err := f.n.RotateKeys(ctx, f.n.Admin()); err != nil {
			t.Fatal(err)
		}
		keys, err := f.db.Keys(ctx)
		if err != nil || len(keys) != 4 {
			t.Fatalf("Keys = %d, %v; want 4, from init and a rotation", len(keys), err)
		}
		for _, k := range keys {
			private, err := f.keeper.Decrypt(ctx, k.Private)
			if err != nil {
				t.Fatalf("the node's keeper cannot unwrap key %s: %v", k.ID, err)
			}
			if !k.Wrapped || bytes.Contains(k.Private, private) || len(k.Private) <= len(private) {
				t.Errorf("key %s is stored as %d bytes, wrapped %v; want wrapped, without the %d private bytes in it", k.ID, len(k.Private), k.Wrapped, len(private))
			}
			if k.Purpose == "signing" && !bytes.Equal(ed25519.NewKeyFromSeed(private).Public().(ed25519.PublicKey), k.Public) {
				t.Errorf("key %s unwraps to another key than its public key's", k.ID)
			}
		}

		// The thief's keeper is not the node's: the node does not open.
		if _, err := node.Open(ctx, f.db, newKeeper(t), f.clock.Now); err == nil || !strings.Contains(err.Error(), "cannot unwrap") {
			t.Errorf("Open with another keeper = %v, want an error saying the keys cannot be unwrapped", err)
		}
		if _, err := node.Open(ctx, f.db, nil, f.clock.Now); !errors.Is(err, node.ErrNoKeeper) {
			t.Errorf("Open without a keeper = %v, want ErrNoKeeper", err)
		}

		// The node itself signs with its unwrapped keys, the previous one
		// beside the current one.
		if err := f.n.SetBaseURL(ctx, f.n.Admin(), "https://entraide.example.fr"); err != nil {
			t.Fatal(err)
		}
		d, err := f.n.Descriptor(ctx)
		if err != nil {
			t.Fatal(err)
		}
		data, _ := json.Marshal(d)
		if _, err := federation.ParseDescriptor(bytes.NewReader(data), f.clock.Now()); err != nil || len(d.Signatures) != 2 {
			t.Errorf("descriptor: %d signatures, ParseDescriptor = %v; want 2 signatures that verify", len(d.Signatures), err)
		}
	})
}

// A node whose keys an earlier version stored in clear has them wrapped
// when it opens, in one audited transaction, and signs with them after.
func TestClearKeysWrappedOnOpen(t *testing.T) {
	eachBackend(t, func(t *testing.T, backend string) {
		f := newFixture(t, backend)
		ctx := t.Context()
		pub, priv, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		x, err := ecdh.X25519().GenerateKey(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		now := f.clock.Now().Add(time.Minute)
		clear := []store.Key{
			{ID: federation.KeyID(pub), Purpose: "signing", Public: pub, Private: priv.Seed(), ValidFrom: now},
			{ID: federation.KeyID(x.PublicKey().Bytes()), Purpose: "encryption", Public: x.PublicKey().Bytes(), Private: x.Bytes(), ValidFrom: now},
		}
		// As rows of an earlier version: the current keys, in clear.
		err = f.db.Tx(ctx, func(tx *store.Tx) error {
			for _, k := range clear {
				if err := tx.RetireKeys(ctx, k.Purpose, now); err != nil {
					return err
				}
				if err := tx.InsertKey(ctx, k); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		f.clock.Advance(time.Hour)
		n, err := node.Open(ctx, f.db, f.keeper, f.clock.Now)
		if err != nil {
			t.Fatalf("Open over keys in clear = %v", err)
		}
		keys, err := f.db.Keys(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range keys {
			for _, c := range clear {
				if k.ID == c.ID && (!k.Wrapped || bytes.Contains(k.Private, c.Private)) {
					t.Errorf("key %s after Open: wrapped %v, stored bytes hold the private key %v; want wrapped", k.ID, k.Wrapped, bytes.Contains(k.Private, c.Private))
				}
			}
		}
		var wraps []string
		for _, rec := range f.auditLog(t) {
			if rec.Action == "node.keys_wrap" {
				wraps = append(wraps, string(rec.Detail))
			}
		}
		if len(wraps) != 1 || !strings.Contains(wraps[0], clear[0].ID) || !strings.Contains(wraps[0], clear[1].ID) {
			t.Errorf("node.keys_wrap records %v, want one naming %s and %s", wraps, clear[0].ID, clear[1].ID)
		}
		again := f.auditSince(t, func() {
			if _, err := node.Open(ctx, f.db, f.keeper, f.clock.Now); err != nil {
				t.Fatalf("second Open = %v", err)
			}
		})
		if len(again) != 0 {
			t.Errorf("second Open wrote audit records %v, want none", actionsAndSubjects(again))
		}
		// The wrapped key is the one that signs.
		if err := n.SetBaseURL(ctx, n.Admin(), "https://entraide.example.fr"); err != nil {
			t.Fatal(err)
		}
		d, err := n.Descriptor(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if !d.SignedBy(clear[0].ID, pub) || d.EncryptionKey.ID != clear[1].ID {
			t.Errorf("descriptor signed by %v, encryption key %s; want signed by %s, encrypting to %s", d.Signatures, d.EncryptionKey.ID, clear[0].ID, clear[1].ID)
		}
	})
}
