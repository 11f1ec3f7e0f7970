package tlog

import (
	"bytes"
	"errors"
	"fmt"

	"golang.org/x/mod/sumdb/tlog"
)

// StoredHash is a hash the store keeps, at its index (see
// StoredHashIndex): every leaf hash, and every interior hash of a
// complete subtree, so that any root and proof can be computed from them.
type StoredHash struct {
	Index int64
	Hash  Hash
}

// StoredHashIndex returns the index at which the hash of the subtree at
// level, n-th from the left, is stored; level 0 is the leaves.
func StoredHashIndex(level int, n int64) int64 { return tlog.StoredHashIndex(level, n) }

// Batch is what integrating leaves adds to a tree.
type Batch struct {
	Size   int64        // the tree's size after the batch
	Root   Hash         // the tree's root after the batch
	Hashes []StoredHash // the hashes to store, in the order of their index
}

// Integrate appends leaves (leaf hashes, see LeafHash) to the tree of
// size whose stored hashes r reads, and returns the hashes to store and
// the new root. It reads each stored hash it needs at most once.
func Integrate(size int64, leaves []Hash, r HashReader) (Batch, error) {
	o := &overlay{known: map[int64]Hash{}, r: r}
	b := Batch{Size: size}
	for _, leaf := range leaves {
		hashes, err := tlog.StoredHashesForRecordHash(b.Size, leaf, o)
		if err != nil {
			return Batch{}, fmt.Errorf("integrate leaf %d: %w", b.Size, err)
		}
		first := tlog.StoredHashIndex(0, b.Size)
		for i, h := range hashes {
			o.known[first+int64(i)] = h
			b.Hashes = append(b.Hashes, StoredHash{Index: first + int64(i), Hash: h})
		}
		b.Size++
	}
	root, err := TreeHash(b.Size, o)
	if err != nil {
		return Batch{}, err
	}
	b.Root = root
	return b, nil
}

// overlay reads the hashes of a batch from memory, and the others once
// from the store.
type overlay struct {
	known map[int64]Hash
	r     HashReader
}

func (o *overlay) ReadHashes(indexes []int64) ([]Hash, error) {
	var missing []int64
	for _, i := range indexes {
		if _, ok := o.known[i]; !ok {
			missing = append(missing, i)
		}
	}
	if len(missing) > 0 {
		got, err := o.r.ReadHashes(missing)
		if err != nil {
			return nil, err
		}
		if len(got) != len(missing) {
			return nil, fmt.Errorf("read %d stored hashes, got %d", len(missing), len(got))
		}
		for k, i := range missing {
			o.known[i] = got[k]
		}
	}
	out := make([]Hash, len(indexes))
	for k, i := range indexes {
		out[k] = o.known[i]
	}
	return out, nil
}

// TreeHash returns the root of the tree of size n; EmptyRoot for 0.
func TreeHash(n int64, r HashReader) (Hash, error) {
	if n == 0 {
		return EmptyRoot, nil
	}
	return tlog.TreeHash(n, r)
}

// InclusionProof returns the RFC 6962 proof that leaf index is in the
// tree of size n.
func InclusionProof(index, n int64, r HashReader) ([]Hash, error) {
	if index < 0 || index >= n {
		return nil, fmt.Errorf("leaf %d is not in a tree of size %d", index, n)
	}
	return tlog.ProveRecord(n, index, r)
}

// ConsistencyProof returns the RFC 6962 proof that the tree of size old
// is a prefix of the tree of size n.
func ConsistencyProof(old, n int64, r HashReader) ([]Hash, error) {
	if old < 0 || old > n {
		return nil, fmt.Errorf("a tree of size %d is not a prefix of one of size %d", old, n)
	}
	if old == 0 || old == n {
		return []Hash{}, nil
	}
	return tlog.ProveTree(n, old, r)
}

// ErrProof is wrapped by the errors of VerifyInclusion and
// VerifyConsistency when a proof does not hold.
var ErrProof = errors.New("proof does not verify")

// VerifyInclusion checks that leaf is at index in the tree of size n
// and root.
func VerifyInclusion(proof []Hash, n int64, root Hash, index int64, leaf Hash) error {
	if index < 0 || index >= n {
		return fmt.Errorf("%w: leaf %d is not in a tree of size %d", ErrProof, index, n)
	}
	if err := tlog.CheckRecord(proof, n, root, index, leaf); err != nil {
		return fmt.Errorf("%w: leaf %d in the tree of size %d: %v", ErrProof, index, n, err)
	}
	return nil
}

// VerifyConsistency checks that the tree of size old and root oldRoot is
// a prefix of the tree of size n and root.
func VerifyConsistency(proof []Hash, n int64, root Hash, old int64, oldRoot Hash) error {
	switch {
	case old < 0 || old > n:
		return fmt.Errorf("%w: a tree of size %d is not a prefix of one of size %d", ErrProof, old, n)
	case old == 0:
		if oldRoot != EmptyRoot || len(proof) != 0 {
			return fmt.Errorf("%w: the empty tree has root %s", ErrProof, EmptyRoot)
		}
		return nil
	}
	if err := tlog.CheckTree(proof, n, root, old, oldRoot); err != nil {
		return fmt.Errorf("%w: tree of size %d in the tree of size %d: %v", ErrProof, old, n, err)
	}
	return nil
}

// RecordProof is what proves, offline, that an audit record is in a log:
// its leaf index, its entry, the inclusion proof of its leaf against the
// size of the signed checkpoint it comes with.
type RecordProof struct {
	Index      int64  `json:"leaf_index"`
	Entry      []byte `json:"entry"`
	Proof      []Hash `json:"proof"`
	Checkpoint []byte `json:"checkpoint"` // signed note
}

// Verify checks that canonical is the record p proves, and that p's
// checkpoint is signed by the log whose verifier key is vkey and holds it.
// It returns the checkpoint, and an error naming what fails.
func (p RecordProof) Verify(canonical []byte, vkey string) (Checkpoint, error) {
	if !bytes.Equal(Entry(canonical), p.Entry) {
		return Checkpoint{}, fmt.Errorf("%w: leaf %d: the record's SHA-256 is not the one its entry names", ErrProof, p.Index)
	}
	cp, _, err := ParseCheckpoint(p.Checkpoint, vkey)
	if err != nil {
		return Checkpoint{}, err
	}
	if err := VerifyInclusion(p.Proof, cp.Size, cp.Root, p.Index, LeafHash(p.Entry)); err != nil {
		return Checkpoint{}, err
	}
	return cp, nil
}
