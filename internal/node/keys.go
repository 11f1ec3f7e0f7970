package node

import (
	"bytes"
	"context"
	"crypto/ecdh"
	"crypto/ed25519"
	"errors"
	"fmt"

	"entraide/internal/casework"
	"entraide/internal/store"
)

// Keeper wraps the node's private keys at rest: what the database keeps
// of a private key is its wrapped form, which only the keeper opens. A
// *secrets.Keeper of gocloud.dev/secrets is one (see internal/keeper).
type Keeper interface {
	Encrypt(ctx context.Context, plaintext []byte) ([]byte, error)
	Decrypt(ctx context.Context, ciphertext []byte) ([]byte, error)
}

// ErrNoKeeper is returned by Open and Init without a keeper.
var ErrNoKeeper = errors.New("no key keeper: the node's private keys are kept wrapped by one")

// wrap returns k with its private key wrapped by the keeper.
func wrap(ctx context.Context, keeper Keeper, k store.Key) (store.Key, error) {
	w, err := keeper.Encrypt(ctx, k.Private)
	if err != nil {
		return k, fmt.Errorf("wrap key %s with the key keeper: %w", k.ID, err)
	}
	k.Private, k.Wrapped = w, true
	return k, nil
}

// private returns the private key of k in clear. It checks that the
// private key is the one of k's public key, so that a wrapped key moved
// from one row to another is not used under the other's name.
func (n *Node) private(ctx context.Context, k store.Key) ([]byte, error) {
	if !k.Wrapped {
		return nil, fmt.Errorf("key %s is stored in clear: restart the node, which wraps it", k.ID)
	}
	if v, ok := n.unwrapped.Load(k.ID); ok {
		return v.([]byte), nil
	}
	p, err := n.keeper.Decrypt(ctx, k.Private)
	if err != nil {
		return nil, fmt.Errorf("the key keeper cannot unwrap the node's key %s: %w; is it the keeper this node was made with?", k.ID, err)
	}
	if err := matches(k, p); err != nil {
		return nil, err
	}
	n.unwrapped.Store(k.ID, p)
	return p, nil
}

func matches(k store.Key, private []byte) error {
	var public []byte
	switch k.Purpose {
	case "signing":
		if len(private) != ed25519.SeedSize {
			return fmt.Errorf("key %s: unwrapped signing key of %d bytes", k.ID, len(private))
		}
		public = ed25519.NewKeyFromSeed(private).Public().(ed25519.PublicKey)
	case "encryption":
		x, err := ecdh.X25519().NewPrivateKey(private)
		if err != nil {
			return fmt.Errorf("key %s: %w", k.ID, err)
		}
		public = x.PublicKey().Bytes()
	default:
		return fmt.Errorf("key %s: unknown purpose %q", k.ID, k.Purpose)
	}
	if !bytes.Equal(public, k.Public) {
		return fmt.Errorf("key %s: the unwrapped private key is not the one of its public key", k.ID)
	}
	return nil
}

// wrapClearKeys wraps the private keys an earlier version stored in
// clear, in one transaction, audited; then it unwraps every key once, so
// that a node whose keeper is wrong or missing does not open.
func (n *Node) wrapClearKeys(ctx context.Context) error {
	keys, err := n.db.Keys(ctx)
	if err != nil {
		return err
	}
	// Wrapped before the transaction: a KMS answers over the network,
	// and SQLite's one writer should not wait on it.
	var clear []store.Key
	for _, k := range keys {
		if k.Wrapped {
			continue
		}
		if err := matches(k, k.Private); err != nil {
			return err
		}
		w, err := wrap(ctx, n.keeper, k)
		if err != nil {
			return err
		}
		clear = append(clear, w)
	}
	if len(clear) > 0 {
		now := n.now()
		err := n.db.Tx(ctx, func(tx *store.Tx) error {
			var ids []string
			for _, k := range clear {
				done, err := tx.WrapKey(ctx, k.ID, k.Private)
				if err != nil {
					return err
				}
				if done {
					ids = append(ids, k.ID)
				}
			}
			if len(ids) == 0 {
				return nil // another process wrapped them
			}
			return audit(ctx, tx, n.home, n.home, casework.System(n.home), now, "node.keys_wrap", "node/"+n.home, map[string]any{"keys": ids})
		})
		if err != nil {
			return fmt.Errorf("wrap the keys stored in clear: %w", err)
		}
		if keys, err = n.db.Keys(ctx); err != nil {
			return err
		}
	}
	for _, k := range keys {
		if _, err := n.private(ctx, k); err != nil {
			return err
		}
	}
	return nil
}
