package node

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"entraide/internal/alerting"
	"entraide/internal/federation"
	"entraide/internal/store"
	"entraide/internal/tlog"
)

// The node witnesses its peers' audit logs, and its peers witness its own,
// in the C2SP tlog-witness protocol: each checkpoint is cosigned only if
// it extends the last one the witness cosigned of that log. A fork is
// refused, and both States' administrators are alerted.

// witness returns the node's witness, whose key is the node's signing key.
func (n *Node) witness(ctx context.Context) (*tlog.Witness, error) {
	kr, err := n.keys(ctx)
	if err != nil {
		return nil, err
	}
	key := kr.signing.Private
	return tlog.NewWitness(tlog.WitnessName(n.home, key.Public().(ed25519.PublicKey)), key)
}

// AddCheckpoint is the node's witness endpoint: it checks a peer's
// checkpoint and its consistency proof from the last checkpoint it
// cosigned of that log, and returns its cosignature lines. It returns a
// *tlog.WitnessError for what it refuses: 404 for a log of no peer, 403
// for a checkpoint the peer's key did not sign, 409 with its own size
// when the request starts from another, 422 (and an alert) for a fork.
func (n *Node) AddCheckpoint(ctx context.Context, body []byte) ([]byte, error) {
	a, err := tlog.ParseAddCheckpoint(body)
	if err != nil {
		return nil, &tlog.WitnessError{Status: http.StatusBadRequest, Msg: err.Error() + "; see C2SP tlog-witness for the form of the body"}
	}
	origin, _, _ := strings.Cut(string(a.Checkpoint), "\n")
	peer, err := n.peerByOrigin(ctx, origin)
	if err != nil {
		return nil, err
	}
	cp, signed, err := tlog.ParseCheckpoint(a.Checkpoint, peer.Log.VerifierKey)
	// x/mod's note package does not export its malformed-note error: its
	// text is what tells a note that is not one from one not signed.
	if err != nil && strings.Contains(err.Error(), "malformed note") {
		return nil, &tlog.WitnessError{Status: http.StatusBadRequest, Msg: err.Error() + ": the checkpoint is not a signed note (C2SP signed-note: its text, a blank line, then signature lines, each line ending in a newline)"}
	}
	if err != nil {
		return nil, &tlog.WitnessError{Status: http.StatusForbidden, Msg: err.Error() + ": the checkpoint is not signed by the key in " + peer.State + "'s descriptor; if it rotated its keys, add its new descriptor"}
	}
	w, err := n.witness(ctx)
	if err != nil {
		return nil, err
	}
	var lines []byte
	var refused *tlog.WitnessError
	err = n.db.DurableTx(ctx, func(tx *store.Tx) error {
		prev, err := tx.WitnessedLog(ctx, origin)
		if err != nil {
			return err
		}
		var last *tlog.Checkpoint
		if prev != nil {
			last = &prev.Checkpoint
		}
		if err := tlog.CheckAdd(last, a, cp); err != nil {
			if errors.As(err, &refused) && refused.Fork {
				// Refused and alerted in one transaction: the alert
				// is the record of the fork.
				return n.alertFork(ctx, tx, peer.State, fmt.Sprintf("%s's node submitted a checkpoint of size %d that its witness (this node) refused: %s", peer.State, cp.Size, refused.Msg))
			}
			return err
		}
		if lines, err = w.Cosign(signed.Text); err != nil {
			return err
		}
		return tx.PutWitnessedLog(ctx, store.Witnessed{Origin: origin, State: peer.State, Checkpoint: cp, Signed: a.Checkpoint, UpdatedAt: n.now()})
	})
	if err == nil && refused != nil {
		return nil, refused
	}
	return lines, err
}

// peerByOrigin returns the peer whose descriptor names the log origin.
func (n *Node) peerByOrigin(ctx context.Context, origin string) (*federation.Descriptor, error) {
	peers, err := n.Peers(ctx)
	if err != nil {
		return nil, err
	}
	for _, p := range peers {
		if p.Log != nil && p.Log.Origin == origin {
			return p, nil
		}
	}
	return nil, &tlog.WitnessError{Status: http.StatusNotFound, Msg: fmt.Sprintf("this node witnesses no log of origin %q: its administrator adds the log's node as a peer (entraide peer add) with a descriptor that names it", clipText(origin, 80))}
}

func clipText(s string, n int) string {
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
}

// alertFork raises a log_fork alert to the node's administrators, about
// peer's log or, when the peer's witness refused this node's checkpoint,
// about the node's own.
func (n *Node) alertFork(ctx context.Context, tx *store.Tx, peer, detail string) error {
	// One open alert per peer: a forked log is refused at each of its
	// checkpoints, and one alert that nobody acknowledged says it all.
	open, err := n.db.Alerts(ctx, n.home, store.AlertFilter{Open: true, Reason: alerting.ReasonLogFork, Limit: 500})
	if err != nil {
		if bad, _ := store.IsPartial(err); bad == nil {
			return err
		}
	}
	for _, a := range open {
		if a.From == peer {
			return nil
		}
	}
	a := &alerting.Alert{ID: newID(), State: n.home, Reason: alerting.ReasonLogFork, From: peer,
		Summary: alerting.Describe(alerting.ReasonLogFork, "", peer), Detail: store.ClipText(detail, store.MaxErrorText), CreatedAt: n.now()}
	return n.raise(ctx, tx, a)
}

// submitTimeout bounds one add-checkpoint call to a peer's witness.
const submitTimeout = 10 * time.Second

// SubmitCheckpoint sends the log's latest checkpoint to the witness of
// each peer whose descriptor names one, with the consistency proof from
// the size that witness last cosigned, and keeps each cosignature. A
// witness that refuses it as a fork raises a log_fork alert here too.
// It returns the errors of the peers it could not have cosign, joined.
func (n *Node) SubmitCheckpoint(ctx context.Context) error {
	head, err := n.db.LogHead(ctx)
	if err != nil || len(head.Checkpoint) == 0 {
		return err
	}
	peers, err := n.Peers(ctx)
	if err != nil {
		return err
	}
	cosigs, err := n.db.Cosignatures(ctx)
	if err != nil {
		return err
	}
	last := map[string]store.Cosignature{}
	for _, c := range cosigs {
		last[c.Witness] = c
	}
	var errs []error
	for _, p := range peers {
		if p.Witness == nil {
			continue
		}
		if c, ok := last[p.State]; ok && bytes.Equal(c.Checkpoint, head.Checkpoint) {
			continue // cosigned already
		}
		if err := n.submitTo(ctx, p, head, last[p.State].Size); err != nil {
			errs = append(errs, fmt.Errorf("witness of %s: %w", p.State, err))
		}
	}
	return errors.Join(errs...)
}

func (n *Node) submitTo(ctx context.Context, p *federation.Descriptor, head store.LogHead, old int64) error {
	client := n.fed.Client
	if client == nil {
		client = http.DefaultClient
	}
	for range 2 {
		if old > head.Size {
			return n.forkRefused(ctx, p.State, fmt.Sprintf("%s's witness holds a checkpoint of size %d of this node's log, which has %d: the log shrank", p.State, old, head.Size))
		}
		proof, err := tlog.ConsistencyProof(old, head.Size, n.db.LogHashes(ctx))
		if err != nil {
			return err
		}
		body := tlog.AddCheckpoint{Old: old, Proof: proof, Checkpoint: head.Checkpoint}.Marshal()
		cctx, cancel := context.WithTimeout(ctx, submitTimeout)
		req, err := http.NewRequestWithContext(cctx, "POST", strings.TrimSuffix(p.BaseURL, "/")+"/witness/add-checkpoint", bytes.NewReader(body))
		if err != nil {
			cancel()
			return err
		}
		req.Header.Set("Content-Type", "text/plain; charset=utf-8")
		resp, err := client.Do(req)
		if err != nil {
			cancel()
			return err
		}
		answer, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		resp.Body.Close()
		cancel()
		if err != nil {
			return err
		}
		switch resp.StatusCode {
		case http.StatusOK:
			cosigned, err := tlog.VerifyCosignatures(head.Checkpoint, answer, p.Witness.VerifierKey)
			if err != nil {
				return err
			}
			return n.db.PutCosignature(ctx, store.Cosignature{Witness: p.State, Size: head.Size, Checkpoint: head.Checkpoint,
				Lines: cosigned[len(head.Checkpoint):], At: n.now()})
		case http.StatusConflict:
			size, err := strconv.ParseInt(strings.TrimSpace(string(answer)), 10, 64)
			if err != nil || size < 0 {
				return fmt.Errorf("409 without a size: %q", clipText(string(answer), 80))
			}
			old = size
			continue
		case http.StatusUnprocessableEntity:
			return n.forkRefused(ctx, p.State, fmt.Sprintf("%s's witness refused this node's checkpoint of size %d as inconsistent with the one it cosigned: %s", p.State, head.Size, clipText(string(answer), 300)))
		default:
			return fmt.Errorf("%s: %s", resp.Status, clipText(string(answer), 300))
		}
	}
	return errors.New("the witness's size kept changing")
}

// forkRefused alerts the node's administrators that a peer's witness
// refused its log as forked, and returns the refusal.
func (n *Node) forkRefused(ctx context.Context, peer, detail string) error {
	err := n.db.Tx(ctx, func(tx *store.Tx) error { return n.alertFork(ctx, tx, peer, detail) })
	return errors.Join(errors.New(detail), err)
}

// CosignedCheckpoint returns the log's latest checkpoint that peers'
// witnesses cosigned: the signed checkpoint with every witness's
// cosignature lines of it, for an evidence package. It returns
// ErrNoCheckpoint if no witness has cosigned one yet.
func (n *Node) CosignedCheckpoint(ctx context.Context) ([]byte, error) {
	cosigs, err := n.db.Cosignatures(ctx)
	if err != nil {
		return nil, err
	}
	if len(cosigs) == 0 {
		return nil, fmt.Errorf("no witness has cosigned the log yet: add peers whose descriptors name a witness (entraide peer add), and serve the node (entraide serve)")
	}
	out := append([]byte{}, cosigs[0].Checkpoint...)
	for _, c := range cosigs {
		if c.Size == cosigs[0].Size && bytes.Equal(c.Checkpoint, cosigs[0].Checkpoint) {
			out = append(out, c.Lines...)
		}
	}
	return out, nil
}
