package node

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	tlogformat "github.com/transparency-dev/formats/log"

	"entraide/internal/auditlog"
	"entraide/internal/casework"
	"entraide/internal/evidence"
	"entraide/internal/federation"
	"entraide/internal/store"
	"entraide/internal/tlog"
)

// MsgEvidenceCustody carries the sender's custody records of an item,
// proven in its log, between the offer and the item's bytes, so that the
// receiver checks them before it keeps the item.
const MsgEvidenceCustody = "evidence.custody"

// originCustody returns the custody of state's item itemID of request
// requestID as it leaves this node: its records in the log (but those of
// stored pieces, see evidence.Shipped), each with its inclusion proof
// under one signed checkpoint. It integrates the log first, so the
// records committed before the call, the transfer's among them, are in
// it: the message is built when the outbox sends it, not when the item
// is queued, and so waits for no integration. The checkpoint is the
// latest that witnesses cosigned when it covers every record, so that
// their cosignatures travel too, and the log's newest otherwise.
func (n *Node) originCustody(ctx context.Context, state, requestID, itemID string) (evidence.Custody, error) {
	c := evidence.Custody{Request: requestID, Item: itemID}
	head, err := n.IntegrateLog(ctx)
	if err != nil {
		return c, fmt.Errorf("integrating the log: %w", err)
	}
	if len(head.Checkpoint) == 0 {
		return c, ErrNoCheckpoint
	}
	entries, err := n.db.Custody(ctx, state, evidence.Subject(itemID))
	if err != nil {
		return c, err
	}
	var shipped []store.AuditEntry
	var last int64 = -1
	for _, e := range entries {
		if e.Unreadable != "" {
			return c, fmt.Errorf("custody record %d of item %s: %s", e.Seq, itemID, e.Unreadable)
		}
		p, err := auditlog.Parse(e.Record)
		if err != nil {
			return c, fmt.Errorf("custody record %d of item %s: %w", e.Seq, itemID, err)
		}
		// A record committed after the integration is a later step: the
		// custody travels as of the checkpoint.
		if !evidence.Shipped(p.Action) || e.LeafIndex == nil || *e.LeafIndex >= head.Size {
			continue
		}
		shipped = append(shipped, e)
		last = max(last, *e.LeafIndex)
	}
	if k := evidence.MaxCustodyRecords; len(shipped) > k {
		// The first records say how the item was collected and taken in,
		// the last that it was sent: those the receiver needs. Between
		// them are views and downloads, which a message cannot all hold.
		shipped = append(shipped[:k-1:k-1], shipped[len(shipped)-1])
	}
	hashes := n.db.LogHashes(ctx)
	size, signed := n.proofCheckpoint(ctx, head, hashes, last)
	c.Checkpoint = signed
	for _, e := range shipped {
		proof, err := tlog.InclusionProof(*e.LeafIndex, size, hashes)
		if err != nil {
			return c, fmt.Errorf("custody record %d of item %s: %w", e.Seq, itemID, err)
		}
		r := evidence.ProvenRecord{Record: e.Record, Index: *e.LeafIndex, Proof: make([][]byte, len(proof))}
		for i := range proof {
			r.Proof[i] = proof[i][:]
		}
		c.Records = append(c.Records, r)
	}
	return c, nil
}

// proofCheckpoint returns the checkpoint that proofs of records up to
// leaf index last are made against, and its size: the latest that
// witnesses cosigned when it covers them, so that their cosignatures
// travel too, and the log's newest, head, otherwise.
func (n *Node) proofCheckpoint(ctx context.Context, head store.LogHead, hashes tlog.HashReader, last int64) (int64, []byte) {
	if cosigned, err := n.CosignedCheckpoint(ctx); err == nil {
		body, _, _ := bytes.Cut(cosigned, []byte("\n\n"))
		var cp tlogformat.Checkpoint
		if _, err := cp.Unmarshal(append(body, '\n')); err == nil && cp.Origin == head.Origin && int64(cp.Size) > last && int64(cp.Size) <= head.Size {
			if root, err := tlog.TreeHash(int64(cp.Size), hashes); err == nil && bytes.Equal(root[:], cp.Hash) {
				return int64(cp.Size), cosigned
			}
		}
	}
	return head.Size, head.Checkpoint
}

// custodyPayload is the custody message the outbox entry ref stands for.
func (n *Node) custodyPayload(ctx context.Context, ref []byte) ([]byte, error) {
	r, err := evidence.ParseCustodyRef(ref)
	if err != nil {
		return nil, err
	}
	c, err := n.originCustody(ctx, n.home, r.Request, r.Item)
	if err != nil {
		return nil, err
	}
	return json.Marshal(c)
}

// receiveCustody checks the sender's custody of an item it offered
// against the log key of its descriptor, and keeps it; an item whose
// custody does not verify is refused, as one whose bytes do not match,
// with an alert here and a result that tells the sender. An item whose
// bytes have all arrived (one of no bytes) is then finished.
func (n *Node) receiveCustody(ctx context.Context, sender string, raw []byte, c evidence.Custody, now time.Time, inbound func(*store.Tx) error) error {
	it, done, err := n.offered(ctx, sender, c.Item, c.Request, inbound)
	if done || err != nil {
		return err
	}
	if it.Status != evidence.Uploading {
		return n.db.Tx(ctx, inbound) // its fate is sealed already
	}
	peer, err := n.peer(ctx, sender)
	if err != nil {
		return err
	}
	vkey := ""
	if peer.Log != nil {
		vkey = peer.Log.VerifierKey
	}
	cp, verr := c.Verify(vkey, sender, it.ExpectedSHA256)
	if vkey == "" {
		verr = fmt.Errorf("%w: %s's descriptor names no log key to check it with: ask %s for a descriptor that does (entraide peer add)", evidence.ErrCustody, sender, sender)
	}
	sum := sha256.Sum256(raw)
	var refused bool
	err = n.db.Tx(ctx, func(tx *store.Tx) error {
		if err := inbound(tx); err != nil {
			return err
		}
		if verr != nil {
			refused = true
			return n.refuseArrival(ctx, tx, it, "", verr.Error(), now, n.tellSender(ctx, tx, it, now))
		}
		err := tx.PutOriginCustody(ctx, store.OriginCustody{ItemID: it.ID, State: it.State, OriginState: sender, LogKey: vkey, Custody: raw, ReceivedAt: now})
		if errors.Is(err, store.ErrExists) {
			return nil // arrived before under another message id
		}
		if err != nil {
			return err
		}
		if err := audit(ctx, tx, n.home, it.State, casework.Actor{ID: "peer", State: sender}, now, evidence.ActionOriginCustody, evidence.Subject(it.ID),
			evidenceDetail(it, map[string]any{"from": sender, "origin_item": c.Item, "records": len(c.Records), "log_origin": cp.Origin,
				"checkpoint_size": cp.Size, "custody_sha256": hex.EncodeToString(sum[:])})); err != nil {
			return err
		}
		if it.Received < it.Size {
			return nil
		}
		refused, err = n.finishIncoming(ctx, tx, it, now)
		return err
	})
	if err == nil && refused {
		if err := n.vault.Delete(context.WithoutCancel(ctx), it.ID); err != nil {
			n.fed.Log.ErrorContext(ctx, "delete the objects of refused evidence", "item", it.ID, "err", err)
		}
	}
	return err
}

// hasOriginCustody reports whether the sender's custody of state's item
// id arrived: its last bytes are kept only then.
func (n *Node) hasOriginCustody(ctx context.Context, state, id string) (bool, error) {
	_, err := n.db.OriginCustody(ctx, state, id)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}

// offered returns the arrival of sender's item that a message about
// request requestID concerns. done is true when the message is answered
// without one: dropped, or out of order (the error), as notOffered says.
func (n *Node) offered(ctx context.Context, sender, item, requestID string, inbound func(*store.Tx) error) (it evidence.Item, done bool, err error) {
	if err := n.needVault(); err != nil {
		return it, false, err
	}
	it, err = n.db.EvidenceFromRead(ctx, n.home, sender, item)
	if errors.Is(err, store.ErrNotFound) {
		return it, true, n.notOffered(ctx, sender, item, inbound)
	}
	if err != nil {
		return it, false, err
	}
	if it.RequestID != requestID {
		return it, false, reject("item %s belongs to another request", item)
	}
	return it, false, nil
}

// notOffered answers a message about an item of sender that this node
// holds no arrival of: dropped if the item was refused (its custody can
// be refused before its bytes arrive), and otherwise out of order, for
// the offer comes first.
func (n *Node) notOffered(ctx context.Context, sender, item string, inbound func(*store.Tx) error) error {
	refused, err := n.db.RefusedFrom(ctx, n.home, sender, item)
	if err != nil {
		return err
	}
	if refused {
		return n.db.Tx(ctx, inbound)
	}
	return &federation.Error{Reason: ReasonOutOfOrder, Msg: fmt.Sprintf("item %s of %s was not offered yet", item, sender)}
}
