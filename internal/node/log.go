package node

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"time"

	"entraide/internal/store"
	"entraide/internal/tlog"
)

// LogInterval is how often the node integrates new audit records into
// its Merkle log and signs a checkpoint: a checkpoint is at most this
// much, and the time to integrate and sign a batch, behind the newest
// record.
const LogInterval = 250 * time.Millisecond

// witnessRetry is how often the node submits its checkpoint to witnesses
// that have not cosigned it, when the log does not grow.
const witnessRetry = 30 * time.Second

// logBatch bounds the records one transaction integrates.
const logBatch = 10000

// RunLog integrates committed audit records into the node's Merkle log
// and signs its checkpoints until ctx ends, every LogInterval. Any number
// may run, in one process or several: they take turns on the log's head.
func (n *Node) RunLog(ctx context.Context) error {
	t := time.NewTicker(LogInterval)
	defer t.Stop()
	var submitted tlog.Hash
	var lastTry int64
	submitting := make(chan struct{}, 1)
	for {
		head, err := n.IntegrateLog(ctx)
		if err != nil && ctx.Err() == nil && n.fed.Log != nil {
			n.fed.Log.ErrorContext(ctx, "integrating the audit log; tried again", "err", err)
		}
		// The new checkpoint goes to the peers' witnesses, one round at a
		// time, beside the integration, which a slow peer must not hold up;
		// a round that failed is tried again with the next checkpoint, or
		// after witnessRetry.
		now := time.Now().Unix()
		if err == nil && (head.Root != submitted || now-lastTry >= int64(witnessRetry/time.Second)) {
			select {
			case submitting <- struct{}{}:
				root := head.Root
				lastTry = now
				go func() {
					defer func() { <-submitting }()
					if err := n.SubmitCheckpoint(ctx); err != nil && ctx.Err() == nil && n.fed.Log != nil {
						n.fed.Log.WarnContext(ctx, "a witness did not cosign the log's checkpoint; tried again", "err", err)
					}
				}()
				submitted = root
			default:
			}
		}
		select {
		case <-ctx.Done():
			submitting <- struct{}{} // the round under way ends first
			return ctx.Err()
		case <-t.C:
		}
	}
}

// IntegrateLog integrates every committed audit record not yet in the log
// and signs the new checkpoint: one pass of RunLog. It returns the log's
// head after it.
func (n *Node) IntegrateLog(ctx context.Context) (store.LogHead, error) {
	kr, err := n.keys(ctx)
	if err != nil {
		return store.LogHead{}, err
	}
	key := kr.signing.Private
	origin := tlog.Origin(n.home, key.Public().(ed25519.PublicKey))
	sign := func(cp tlog.Checkpoint) ([]byte, error) {
		s, err := tlog.NewSigner(cp.Origin, key)
		if err != nil {
			return nil, err
		}
		return s.SignCheckpoint(cp)
	}
	for {
		head, count, err := n.db.IntegrateLog(ctx, logBatch, origin, sign)
		if err != nil || count < logBatch {
			return head, err
		}
	}
}

// LogKey is what a court or a witness is given to check the node's
// checkpoints: the log's origin and the signed-note verifier key of the
// node's current signing key.
type LogKey struct {
	Origin      string `json:"origin"`
	VerifierKey string `json:"verifier_key"`
	// Witness and WitnessKey name the node's witness, which cosigns its
	// peers' checkpoints, and its cosignature/v1 verifier key.
	Witness    string `json:"witness"`
	WitnessKey string `json:"witness_key"`
}

// LogKey returns the log's origin and verifier key. Before the log's
// first checkpoint, the origin is the one it will take.
func (n *Node) LogKey(ctx context.Context) (LogKey, error) {
	kr, err := n.keys(ctx)
	if err != nil {
		return LogKey{}, err
	}
	head, err := n.db.LogHead(ctx)
	if err != nil {
		return LogKey{}, err
	}
	pub := kr.signing.Private.Public().(ed25519.PublicKey)
	origin := head.Origin
	if origin == "" {
		origin = tlog.Origin(n.home, pub)
	}
	vkey, err := tlog.VerifierKey(origin, pub)
	if err != nil {
		return LogKey{}, err
	}
	w, err := tlog.NewWitness(tlog.WitnessName(n.home, pub), kr.signing.Private)
	if err != nil {
		return LogKey{}, err
	}
	return LogKey{Origin: origin, VerifierKey: vkey, Witness: tlog.WitnessName(n.home, pub), WitnessKey: w.VerifierKey()}, nil
}

// ErrNoCheckpoint is returned before the log's first checkpoint.
var ErrNoCheckpoint = errors.New("the log has no checkpoint yet: the node signs one within a second of starting (entraide serve)")

// LogCheckpoint returns the log's latest signed checkpoint.
func (n *Node) LogCheckpoint(ctx context.Context) ([]byte, error) {
	head, err := n.db.LogHead(ctx)
	if err != nil {
		return nil, err
	}
	if len(head.Checkpoint) == 0 {
		return nil, ErrNoCheckpoint
	}
	return head.Checkpoint, nil
}

// LogTile returns a tile of the log as C2SP tlog-tiles serves it: hashes,
// or with t.L = -1 an entry bundle. It returns tlog.ErrNoTile for a tile
// the latest checkpoint's tree does not fill.
func (n *Node) LogTile(ctx context.Context, t tlog.Tile) ([]byte, error) {
	head, err := n.db.LogHead(ctx)
	if err != nil {
		return nil, err
	}
	if !tlog.TileIn(t, head.Size) {
		return nil, tlog.ErrNoTile
	}
	if t.L >= 0 {
		return tlog.ReadTile(t, head.Size, n.db.LogHashes(ctx))
	}
	first, _ := tlog.TileSpan(t)
	entries, err := n.db.LogEntries(ctx, first, t.W)
	if err != nil {
		return nil, err
	}
	return tlog.AppendEntryBundle(make([]byte, 0, t.W*(2+tlog.EntrySize)), entries...)
}

// Proof is an RFC 6962 proof and the tree it is against.
type Proof struct {
	Size  int64       `json:"size"` // the tree's size
	Root  tlog.Hash   `json:"root"` // its root
	Proof []tlog.Hash `json:"proof"`
}

// ProofError is a request for a proof of a tree or a leaf the log does
// not hold; it names the parameter.
type ProofError struct {
	Field, Msg string
}

func (e *ProofError) Error() string { return e.Field + ": " + e.Msg }

// checkSize checks that the log holds a tree of size; 0 means the latest
// checkpoint's.
func (n *Node) checkSize(ctx context.Context, size int64) (int64, error) {
	head, err := n.db.LogHead(ctx)
	if err != nil {
		return 0, err
	}
	switch {
	case size == 0:
		return head.Size, nil
	case size < 0 || size > head.Size:
		return 0, &ProofError{"size", fmt.Sprintf("the log's latest checkpoint has size %d: ask for a size from 1 to it, or none for it", head.Size)}
	}
	return size, nil
}

// InclusionProof returns the proof that leaf index is in the tree of
// size (0: the latest checkpoint's).
func (n *Node) InclusionProof(ctx context.Context, index, size int64) (Proof, error) {
	size, err := n.checkSize(ctx, size)
	if err != nil {
		return Proof{}, err
	}
	if index < 0 || index >= size {
		return Proof{}, &ProofError{"index", fmt.Sprintf("the tree of size %d has leaves 0 to %d", size, size-1)}
	}
	hashes := n.db.LogHashes(ctx)
	root, err := tlog.TreeHash(size, hashes)
	if err != nil {
		return Proof{}, err
	}
	p, err := tlog.InclusionProof(index, size, hashes)
	return Proof{Size: size, Root: root, Proof: p}, err
}

// ConsistencyProof returns the proof that the tree of size old is a
// prefix of the tree of size (0: the latest checkpoint's).
func (n *Node) ConsistencyProof(ctx context.Context, old, size int64) (Proof, error) {
	size, err := n.checkSize(ctx, size)
	if err != nil {
		return Proof{}, err
	}
	if old < 1 || old > size {
		return Proof{}, &ProofError{"old", fmt.Sprintf("the older tree's size is from 1 to %d", size)}
	}
	hashes := n.db.LogHashes(ctx)
	root, err := tlog.TreeHash(size, hashes)
	if err != nil {
		return Proof{}, err
	}
	p, err := tlog.ConsistencyProof(old, size, hashes)
	return Proof{Size: size, Root: root, Proof: p}, err
}

// RecordProof returns what proves, offline, that state's audit record
// seq is in the node's log: its leaf index, its entry, its inclusion
// proof and the signed checkpoint the proof is against. A record the log
// has not integrated yet is integrated first. It returns store.ErrNotFound
// if state has no record seq.
func (n *Node) RecordProof(ctx context.Context, state string, seq int64) (tlog.RecordProof, error) {
	p, err := n.db.RecordProof(ctx, state, seq)
	if errors.Is(err, store.ErrNotInLog) {
		if _, err := n.IntegrateLog(ctx); err != nil {
			return tlog.RecordProof{}, err
		}
		p, err = n.db.RecordProof(ctx, state, seq)
	}
	return p, err
}
