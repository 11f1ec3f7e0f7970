package node

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"time"

	"entraide/internal/casework"
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

// LogLease is how long the replica that integrates the log holds it
// without renewing: when it dies, another takes over within this time.
// The holder renews once a third of it has passed. It is short because
// no replica integrates the log meanwhile, and every replica's /readyz
// fails once the records waiting pass --ready-log-lag.
const LogLease = 5 * time.Second

// logLeaseName names the log's lease in the leases table.
const logLeaseName = "log"

// RunLog integrates committed audit records into the node's Merkle log,
// signs its checkpoints and submits them to witnesses until ctx ends,
// every LogInterval. Any number may run, in one process or several: the
// one that holds the log's lease does the work, and the others wait to
// take the lease over, which the holder gives up as it stops (or which
// expires, LogLease after its last renewal, if it dies). Integrations
// that overlap all the same, a holder cut off past its lease, take turns
// on the log's head.
func (n *Node) RunLog(ctx context.Context) error {
	t := time.NewTicker(LogInterval)
	defer t.Stop()
	var submitted tlog.Hash
	var lastTry int64
	var leased time.Time // when the lease this replica holds expires
	defer func() {
		if !leased.IsZero() && n.db.Announces() {
			n.releaseLog(context.WithoutCancel(ctx))
		}
	}()
	submitting := make(chan struct{}, 1)
	for {
		leased = n.holdLog(ctx, leased)
		if leased.IsZero() {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-t.C:
				continue
			}
		}
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

// holdLog takes the log's lease, or renews it once a third of it has
// passed, and returns when the lease it holds expires: zero if another
// replica holds it. A renewal the database does not answer leaves the
// lease until its expiry, as it stands in the table.
func (n *Node) holdLog(ctx context.Context, leased time.Time) time.Time {
	now := n.now()
	if !n.db.Announces() {
		// SQLite is served by one process: there is no replica to hand
		// the log to, and a lease left by a killed process would only
		// hold up its restart.
		return now.Add(LogLease)
	}
	if !leased.IsZero() && leased.Sub(now) > 2*LogLease/3 {
		return leased
	}
	until := now.Add(LogLease)
	var took bool
	err := n.db.Tx(ctx, func(tx *store.Tx) error {
		before, held, err := tx.TakeLease(ctx, logLeaseName, n.replica, now, until)
		if err != nil || !held {
			return err
		}
		took = true
		if before.Holder == n.replica {
			return nil // a renewal: nothing changed hands
		}
		return audit(ctx, tx, n.home, n.home, casework.System(n.home), now, "log.lease_take", "log/"+n.home,
			map[string]any{"holder": n.replica, "previous": before.Holder, "expires_at": until})
	})
	switch {
	case err != nil:
		if ctx.Err() == nil && n.fed.Log != nil {
			n.fed.Log.ErrorContext(ctx, "renewing the Merkle log's lease; tried again", "err", err)
		}
		if now.Before(leased) {
			return leased
		}
		return time.Time{}
	case !took:
		return time.Time{}
	}
	return until
}

// releaseLog gives up the log's lease, so that another replica takes it
// over at once rather than once it expires.
func (n *Node) releaseLog(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	now := n.now()
	err := n.db.Tx(ctx, func(tx *store.Tx) error {
		released, err := tx.ReleaseLease(ctx, logLeaseName, n.replica, now)
		if err != nil || !released {
			return err
		}
		return audit(ctx, tx, n.home, n.home, casework.System(n.home), now, "log.lease_release", "log/"+n.home, map[string]any{"holder": n.replica})
	})
	if err != nil && n.fed.Log != nil {
		n.fed.Log.WarnContext(ctx, "giving up the Merkle log's lease: another replica takes it once it expires", "err", err, "expires_in", LogLease)
	}
}

// LogLeaseHolder returns the replica that holds the log's lease, and
// whether it holds it now: one that stopped renewing it still holds it,
// until it expires.
func (n *Node) LogLeaseHolder(ctx context.Context) (holder string, held bool, err error) {
	l, err := n.db.Lease(ctx, logLeaseName)
	if errors.Is(err, store.ErrNotFound) {
		return "", false, nil
	}
	return l.Holder, l.Held(n.now()), err
}

// Replica names this replica of the node, as the log's lease names its
// holder: the host's name, the process id and a random suffix.
func (n *Node) Replica() string { return n.replica }

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
