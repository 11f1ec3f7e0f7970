package node

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"entraide/internal/alerting"
	"entraide/internal/auditlog"
	"entraide/internal/casework"
	"entraide/internal/convention"
	"entraide/internal/evidence"
	"entraide/internal/federation"
	"entraide/internal/identity"
	"entraide/internal/store"
)

// Messages that carry evidence between the two States of a request. They
// queue with the request's other messages, so they arrive in order: the
// offer, then each chunk, and the receiver's result back.
const (
	MsgEvidenceOffer  = "evidence.offer"
	MsgEvidenceChunk  = "evidence.chunk"
	MsgEvidenceResult = "evidence.result"
)

// The messages of an item leave in this order: the offer, the sender's
// custody of it (MsgEvidenceCustody), then its chunks.

func isEvidenceMessage(typ string) bool { return strings.HasPrefix(typ, "evidence.") }

func malformedPayload(err error) error {
	return &federation.Error{Reason: federation.ReasonMalformed, Msg: "payload: " + err.Error()}
}

// SendEvidence sends item id of request requestID to the request's other
// State, as part of the answer: the requested State attaches what it
// gathered. The item travels in chunks through the outbox, each read from
// the vault when it is sent and encrypted to the other node's key by its
// envelope; the other node checks size and SHA-256 at the end and says
// whether it kept it. Only the two States of the request ever hold it.
//
// conds are the conditions by's State sets on the item (art. 40(19),
// (20), art. 36): the offer carries them, with those of the answer
// covering the item, signed in its envelope, so that the item is bound
// from its arrival.
func (n *Node) SendEvidence(ctx context.Context, by casework.Actor, requestID, id string, conds convention.Conditions) (evidence.Item, error) {
	if !by.Role.Can(identity.ActOnRequests) {
		return evidence.Item{}, forbidden("role", "the %s role may not send evidence", by.Role)
	}
	if ps := conds.Validate("conditions"); len(ps) > 0 {
		return evidence.Item{}, ps
	}
	it, err := n.evidenceItem(ctx, by, requestID, id)
	if err != nil {
		return it, err
	}
	r, err := n.evidenceRequest(ctx, by, requestID)
	if err != nil {
		return it, err
	}
	switch {
	case r.RequestedState != by.State:
		return it, evidenceErr(casework.ErrConflict, "item", "evidence travels with the answer, from the requested State (%s) to the requesting State: %s's own evidence stays on its node", r.RequestedState, by.State)
	case r.State != casework.InProgress && r.State != casework.Executed && r.State != casework.PartiallyExecuted:
		// Evidence is what executing the request gives (art. 40(25)):
		// before execution starts it answers nothing.
		return it, evidenceErr(casework.ErrConflict, "id", "request %s is %s: evidence is sent as the request is executed; acknowledge it and start its execution (the start action) first", r.ID, strings.ReplaceAll(string(r.State), "_", " "))
	case it.Status != evidence.Available || it.Damaged != "":
		return it, evidenceErr(casework.ErrConflict, "item", "item %s is %s%s: only an available item, whole and undamaged, is sent", id, it.Status, map[bool]string{true: ", damaged", false: ""}[it.Damaged != ""])
	case it.Origin != nil:
		return it, evidenceErr(casework.ErrConflict, "item", "item %s came from %s: it goes back to no one", id, it.Origin.State)
	}
	if at, err := n.lastTransfer(ctx, it); err != nil {
		return it, err
	} else if at != "" {
		return it, evidenceErr(casework.ErrConflict, "item", "item %s was sent on %s: its custody says whether it arrived (evidence.transferred); it is sent again only if the other State refused it", id, at)
	}
	to := r.RequestingState
	if err := n.checkCopies(ctx, by, it.SHA256, to, r.ID, "answer"); err != nil {
		return it, err
	}
	binding := conds.Merge(r.Terms())
	if slices.Contains(n.hosted, to) {
		return it, n.copyLocal(ctx, by, it, to, conds, binding)
	}
	if _, err := n.peer(ctx, to); errors.Is(err, store.ErrNotFound) {
		return it, noRoute(to)
	} else if err != nil {
		return it, err
	}
	if by.State != n.home {
		return it, forbidden("state", "%s is hosted on %s's node for trials and cannot reach other States' nodes", by.State, n.home)
	}
	offer, err := json.Marshal(evidence.Offer{Request: r.ID, Item: it.ID, Name: it.Name, MediaType: it.MediaType, Size: it.Size, SHA256: it.SHA256,
		Collection: it.Collection, RetainUntil: it.RetainUntil, PersonalData: it.PersonalData, Conditions: binding})
	if err != nil {
		return it, err
	}
	now := n.now()
	priority := 0
	if r.Pressing() {
		priority = 1
	}
	chunks := 0
	err = n.db.Tx(ctx, func(tx *store.Tx) error {
		enqueue := func(typ string, payload []byte, at time.Time) error {
			return tx.Enqueue(ctx, store.OutboxEntry{ID: newID(), Recipient: to, Type: typ, RequestID: r.ID, Envelope: payload, CreatedAt: at, Priority: priority})
		}
		if err := enqueue(MsgEvidenceOffer, offer, now); err != nil {
			return err
		}
		if err := n.bindConditions(ctx, tx, it, "item", conds, by, now); err != nil {
			return err
		}
		ref, _ := json.Marshal(evidence.CustodyRef{Request: r.ID, Item: it.ID})
		if err := enqueue(MsgEvidenceCustody, ref, now.Add(time.Microsecond)); err != nil {
			return err
		}
		chunks++
		for off := int64(0); off < it.Size; off += evidence.ChunkSize {
			ref, _ := json.Marshal(evidence.ChunkRef{Request: r.ID, Item: it.ID, Offset: off, Length: min(evidence.ChunkSize, it.Size-off)})
			// A microsecond apart: the queue delivers a request's
			// messages in the order of their times.
			chunks++
			if err := enqueue(MsgEvidenceChunk, ref, now.Add(time.Duration(chunks)*time.Microsecond)); err != nil {
				return err
			}
		}
		tx.AfterCommit(n.wake)
		return audit(ctx, tx, n.home, it.State, by, now, evidence.ActionTransfer, evidence.Subject(it.ID),
			evidenceDetail(it, map[string]any{"to": to, "chunks": chunks - 1}))
	})
	return it, err
}

// outboundPayload is what the envelope of m carries: for a chunk, its
// bytes, read from the vault now; for any other message, what the outbox
// kept.
func (n *Node) outboundPayload(ctx context.Context, m store.OutboxEntry) ([]byte, error) {
	switch m.Type {
	case MsgEvidenceCustody:
		return n.custodyPayload(ctx, m.Envelope)
	case MsgEvidenceUseReport:
		return n.useReportPayload(ctx, m.Recipient, m.Envelope)
	case MsgEvidenceChunk:
	default:
		return m.Envelope, nil
	}
	ref, err := evidence.ParseChunkRef(m.Envelope)
	if err != nil {
		return nil, err
	}
	if err := n.needVault(); err != nil {
		return nil, err
	}
	it, err := n.db.Evidence(ctx, n.home, ref.Item)
	if err != nil {
		return nil, fmt.Errorf("item %s: %w", ref.Item, err)
	}
	if it.Status != evidence.Available || it.Damaged != "" {
		return nil, &federation.Error{Reason: ReasonRejected, Msg: fmt.Sprintf("item %s is %s %s: its bytes can no longer be sent", it.ID, it.Status, it.Damaged)}
	}
	ident, err := n.keeper.Decrypt(ctx, it.WrappedIdentity)
	if err != nil {
		return nil, fmt.Errorf("the key keeper cannot unwrap the key of item %s: %w", it.ID, err)
	}
	segs, err := n.db.Segments(ctx, it.ID)
	if err != nil {
		return nil, err
	}
	rd, err := n.vault.Open(ctx, segs, it.Size, string(ident))
	if err == nil {
		defer rd.Close()
		_, err = rd.Seek(ref.Offset, io.SeekStart)
	}
	data := make([]byte, ref.Length)
	if err == nil {
		_, err = io.ReadFull(rd, data)
	}
	if errors.Is(err, evidence.ErrDamaged) {
		n.EvidenceDamaged(ctx, it, err)
		return nil, &federation.Error{Reason: ReasonRejected, Msg: fmt.Sprintf("item %s: %v", it.ID, err)}
	}
	if err != nil {
		return nil, err
	}
	return json.Marshal(evidence.Chunk{Request: ref.Request, Item: ref.Item, Offset: ref.Offset, Data: data})
}

// receiveEvidence applies an evidence message from sender, verified and
// decrypted, and records it as received in the same transaction.
func (n *Node) receiveEvidence(ctx context.Context, env *federation.Envelope, payload []byte, now time.Time) error {
	malformed := func(err error) error {
		return &federation.Error{Reason: federation.ReasonMalformed, Msg: "payload: " + err.Error()}
	}
	inbound := func(tx *store.Tx) error {
		if err := tx.RecordInbound(ctx, env.ID, env.Sender, env.Type, env.Digest(), now); err != nil {
			return err
		}
		return n.wakePeer(ctx, tx, env.Sender)
	}
	switch env.Type {
	case MsgEvidenceOffer:
		o, err := evidence.ParseOffer(payload)
		if err != nil {
			return malformed(err)
		}
		return n.receiveOffer(ctx, env.Sender, o, now, inbound)
	case MsgEvidenceChunk:
		c, err := evidence.ParseChunk(payload)
		if err != nil {
			return malformed(err)
		}
		return n.receiveChunk(ctx, env.Sender, c, now, inbound)
	case MsgEvidenceCustody:
		c, err := evidence.ParseCustody(payload)
		if err != nil {
			return malformed(err)
		}
		return n.receiveCustody(ctx, env.Sender, payload, c, now, inbound)
	case MsgEvidenceUseAsk:
		a, err := evidence.ParseUseAsk(payload)
		if err != nil {
			return malformed(err)
		}
		return n.receiveUseAsk(ctx, env.Sender, a, now, inbound)
	case MsgEvidenceUseReport:
		r, err := evidence.ParseUseReport(payload)
		if err != nil {
			return malformed(err)
		}
		return n.receiveUseReport(ctx, env.Sender, payload, r, now, inbound)
	case MsgConsentAsk, MsgConsentAnswer:
		return n.receiveConsent(ctx, env.Type, env.Sender, payload, now, inbound)
	case MsgEvidenceResult:
		r, err := evidence.ParseResult(payload)
		if err != nil {
			return malformed(err)
		}
		return n.db.Tx(ctx, func(tx *store.Tx) error {
			if err := inbound(tx); err != nil {
				return err
			}
			return n.recordResult(ctx, tx, n.home, env.Sender, r, now)
		})
	}
	return &federation.Error{Reason: federation.ReasonMalformed, Msg: "unknown message type " + env.Type}
}

// answerRequest returns the requesting State's view of request id, to
// which sender, its requested State, sends evidence.
func (n *Node) answerRequest(ctx context.Context, tx *store.Tx, sender, id string) (*casework.Request, error) {
	r, err := tx.RequestForUpdate(ctx, n.home, id)
	if errors.Is(err, casework.ErrNotFound) {
		return nil, reject("no request %s between %s and %s", id, sender, n.home)
	}
	if err != nil {
		return nil, err
	}
	if r.RequestedState != sender || r.RequestingState != n.home {
		return nil, reject("%s sends evidence only with its answer to requests %s asked of it", sender, n.home)
	}
	return r, nil
}

func (n *Node) receiveOffer(ctx context.Context, sender string, o evidence.Offer, now time.Time, inbound func(*store.Tx) error) error {
	if err := n.needVault(); err != nil {
		return err // not permanent: the sender retries once the node has one
	}
	ident, recipient, err := evidence.NewKey()
	if err != nil {
		return err
	}
	wrapped, err := n.keeper.Encrypt(ctx, []byte(ident))
	if err != nil {
		return fmt.Errorf("wrap the item's key with the key keeper: %w", err)
	}
	peer := casework.Actor{ID: "peer", State: sender}
	return n.db.Tx(ctx, func(tx *store.Tx) error {
		if err := inbound(tx); err != nil {
			return err
		}
		r, err := n.answerRequest(ctx, tx, sender, o.Request)
		if err != nil {
			return err
		}
		if _, err := tx.EvidenceFrom(ctx, n.home, sender, o.Item); err == nil {
			return reject("item %s of %s was offered before", o.Item, sender)
		} else if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		it := evidence.Item{ID: newID(), RequestID: r.ID, State: n.home, Name: o.Name, MediaType: o.MediaType, Size: o.Size,
			Collection: o.Collection, RetainUntil: o.RetainUntil, PersonalData: o.PersonalData, Status: evidence.Uploading, CreatedAt: now, CreatedBy: "peer", Recipient: recipient,
			WrappedIdentity: wrapped, HashState: evidence.NewHashState(), Origin: &evidence.Origin{State: sender, Item: o.Item}, ExpectedSHA256: o.SHA256}
		if err := insertEvidence(ctx, tx, &it); err != nil {
			return err
		}
		if err := audit(ctx, tx, n.home, it.State, peer, now, evidence.ActionIncoming, evidence.Subject(it.ID),
			evidenceDetail(it, map[string]any{"from": sender, "origin_item": o.Item, "sha256_announced": o.SHA256, "media_type": o.MediaType, "collection": o.Collection,
				"personal_data": o.PersonalData, "retain_until": o.RetainUntil, "policy_until": it.PolicyUntil})); err != nil {
			return err
		}
		// The item is bound from its arrival by what its offer carries,
		// and by the answer's conditions this view knows already.
		if err := n.bindConditions(ctx, tx, it, "offer", o.Conditions.Merge(r.Terms()), peer, now); err != nil {
			return err
		}
		// Even an item of no bytes waits for the sender's custody, which
		// finishes it.
		return nil
	})
}

func (n *Node) receiveChunk(ctx context.Context, sender string, c evidence.Chunk, now time.Time, inbound func(*store.Tx) error) error {
	it, done, err := n.offered(ctx, sender, c.Item, c.Request, inbound)
	if done || err != nil {
		return err
	}
	end := c.Offset + int64(len(c.Data))
	switch {
	case it.Status != evidence.Uploading || end <= it.Received:
		// Arrived before under another message id, or the item was
		// refused already: nothing to add.
		return n.db.Tx(ctx, inbound)
	case c.Offset != it.Received:
		return &federation.Error{Reason: ReasonOutOfOrder, Msg: fmt.Sprintf("bytes from %d of item %s arrived before those from %d", c.Offset, c.Item, it.Received)}
	case end > it.Size:
		return reject("bytes %d-%d of item %s go past its announced size of %d", c.Offset, end-1, c.Item, it.Size)
	}
	if end == it.Size {
		// The item is kept only with its custody at the sender, which
		// the sender queues before the bytes.
		if ok, err := n.hasOriginCustody(ctx, it.State, it.ID); err != nil {
			return err
		} else if !ok {
			return &federation.Error{Reason: ReasonOutOfOrder, Msg: fmt.Sprintf("the last bytes of item %s arrived before %s's custody of it", c.Item, sender)}
		}
	}
	seg, state, err := n.vault.WriteSegment(ctx, it.ID, it.Segments, it.Received, it.Recipient, it.HashState, bytes.NewReader(c.Data), int64(len(c.Data)))
	if err != nil {
		n.vault.DeleteSegment(context.WithoutCancel(ctx), seg)
		return err
	}
	var refused bool
	err = n.db.Tx(ctx, func(tx *store.Tx) error {
		if err := inbound(tx); err != nil {
			return err
		}
		if err := tx.AppendSegment(ctx, it.State, it.ID, it.Received, it.Segments, seg, state); err != nil {
			if errors.Is(err, store.ErrEvidenceMoved) {
				return &federation.Error{Reason: ReasonOutOfOrder, Msg: "item " + c.Item + " moved on meanwhile"}
			}
			return err
		}
		if err := audit(ctx, tx, n.home, it.State, casework.Actor{ID: "peer", State: sender}, now, evidence.ActionSegment, evidence.Subject(it.ID),
			evidenceDetail(it, map[string]any{"from": sender, "offset": seg.Offset, "length": seg.Length})); err != nil {
			return err
		}
		if end < it.Size {
			return nil
		}
		it.Received, it.HashState, it.Segments = end, state, it.Segments+1
		refused, err = n.finishIncoming(ctx, tx, it, now)
		return err
	})
	if err != nil {
		n.vault.DeleteSegment(context.WithoutCancel(ctx), seg)
		return err
	}
	if refused {
		if err := n.vault.Delete(context.WithoutCancel(ctx), it.ID); err != nil {
			n.fed.Log.ErrorContext(ctx, "delete the objects of refused evidence", "item", it.ID, "err", err)
		}
	}
	return nil
}

// finishIncoming ends the arrival of item it, every byte stored: kept
// and received if its size and SHA-256 are those announced, refused
// otherwise, with an alert to this State's officials; the sender is told
// either way. It reports whether the item was refused, whose objects the
// caller deletes once tx commits.
func (n *Node) finishIncoming(ctx context.Context, tx *store.Tx, it evidence.Item, now time.Time) (refused bool, err error) {
	return n.finishArrival(ctx, tx, it, now, n.tellSender(ctx, tx, it, now))
}

// tellSender returns how the sender of item it is told whether it was
// kept: a result through the outbox, once tx commits.
func (n *Node) tellSender(ctx context.Context, tx *store.Tx, it evidence.Item, now time.Time) func(evidence.Result) error {
	return func(res evidence.Result) error {
		payload, err := json.Marshal(res)
		if err != nil {
			return err
		}
		tx.AfterCommit(n.wake)
		return tx.Enqueue(ctx, store.OutboxEntry{ID: newID(), Recipient: it.Origin.State, Type: MsgEvidenceResult, RequestID: it.RequestID, Envelope: payload, CreatedAt: now})
	}
}

// finishArrival is finishIncoming, telling the sender by tell.
func (n *Node) finishArrival(ctx context.Context, tx *store.Tx, it evidence.Item, now time.Time, tell func(evidence.Result) error) (refused bool, err error) {
	sum, err := evidence.Sum(it.HashState)
	if err != nil {
		return false, err
	}
	sender := it.Origin.State
	if sum != it.ExpectedSHA256 || it.Received != it.Size {
		why := fmt.Sprintf("%d bytes arrived with SHA-256 %s; %s announced %d bytes with SHA-256 %s", it.Received, sum, sender, it.Size, it.ExpectedSHA256)
		return true, n.refuseArrival(ctx, tx, it, sum, why, now, tell)
	}
	if err := tx.CompleteEvidence(ctx, it.State, it.ID, sum, now); err != nil {
		return false, err
	}
	it.SHA256 = sum
	if err := audit(ctx, tx, n.home, it.State, casework.Actor{ID: "peer", State: sender}, now, evidence.ActionReceived, evidence.Subject(it.ID),
		evidenceDetail(it, map[string]any{"from": sender, "origin_item": it.Origin.Item})); err != nil {
		return false, err
	}
	return false, tell(evidence.Result{Request: it.RequestID, Item: it.Origin.Item, Size: it.Received, SHA256: sum, OK: true})
}

// refuseArrival refuses item it, arriving from the other State, for why:
// what arrived (sum, the SHA-256 of the bytes so far, if known) is not what
// was announced, or the sender's custody of it does not verify. The item's
// pieces go, this State's officials are alerted, and the sender is told by
// tell, so that both sides know.
func (n *Node) refuseArrival(ctx context.Context, tx *store.Tx, it evidence.Item, sum, why string, now time.Time, tell func(evidence.Result) error) error {
	sender := it.Origin.State
	why = store.ClipText(why, 480)
	if err := tx.RefuseEvidence(ctx, it.State, it.ID, sum, why); err != nil {
		return err
	}
	if err := audit(ctx, tx, n.home, it.State, casework.System(it.State), now, evidence.ActionRefused, evidence.Subject(it.ID),
		evidenceDetail(it, map[string]any{"from": sender, "origin_item": it.Origin.Item, "sha256_received": sum, "sha256_announced": it.ExpectedSHA256, "reason": why})); err != nil {
		return err
	}
	if err := n.alertMismatch(ctx, tx, it.State, it.RequestID, sender, why, now); err != nil {
		return err
	}
	return tell(evidence.Result{Request: it.RequestID, Item: it.Origin.Item, Size: it.Received, SHA256: sum, Reason: why})
}

func (n *Node) alertMismatch(ctx context.Context, tx *store.Tx, state, requestID, other, why string, now time.Time) error {
	a := &alerting.Alert{ID: newID(), State: state, Reason: alerting.ReasonEvidenceMismatch, RequestID: requestID, From: other,
		Detail: store.ClipText(why, store.MaxErrorText), CreatedAt: now}
	if r, err := tx.RequestForUpdate(ctx, state, requestID); err == nil {
		a.Kind = r.Kind
	}
	a.Summary = alerting.Describe(alerting.ReasonEvidenceMismatch, a.Kind, other)
	return n.raise(ctx, tx, a)
}

// recordResult records in the custody of holder's item whether the
// other State, sender, received it whole.
func (n *Node) recordResult(ctx context.Context, tx *store.Tx, holder, sender string, res evidence.Result, now time.Time) error {
	it, err := tx.EvidenceForUpdate(ctx, holder, res.Item)
	if errors.Is(err, store.ErrNotFound) || err == nil && it.RequestID != res.Request {
		return reject("no item %s of request %s was sent to %s", res.Item, res.Request, sender)
	}
	if err != nil {
		return err
	}
	r, err := tx.RequestForUpdate(ctx, holder, it.RequestID)
	if err != nil {
		return err
	}
	if r.RequestingState != sender || r.RequestedState != holder {
		return reject("item %s was not sent to %s", res.Item, sender)
	}
	peer := casework.Actor{ID: "peer", State: sender}
	detail := evidenceDetail(it, map[string]any{"to": sender, "size_received": res.Size, "sha256_received": res.SHA256})
	if res.OK && res.SHA256 == it.SHA256 && res.Size == it.Size {
		return audit(ctx, tx, n.home, it.State, peer, now, evidence.ActionTransferred, evidence.Subject(it.ID), detail)
	}
	why := res.Reason
	if why == "" {
		why = fmt.Sprintf("%s received %d bytes with SHA-256 %s", sender, res.Size, res.SHA256)
	}
	detail["reason"] = store.ClipText(why, store.MaxErrorText)
	if err := audit(ctx, tx, n.home, it.State, peer, now, evidence.ActionTransferRefused, evidence.Subject(it.ID), detail); err != nil {
		return err
	}
	return n.alertMismatch(ctx, tx, it.State, it.RequestID, sender, sender+" refused item "+it.ID+" ("+it.Name+"): "+why+"; check the item (entraide evidence get) and send it again", now)
}

// copyLocal gives the view of to, a State hosted on this node beside the
// sender's, a copy of item it under a key of its own, as a transfer
// between nodes would: checked against its SHA-256 at the end, and
// recorded in both items' custody.
func (n *Node) copyLocal(ctx context.Context, by casework.Actor, it evidence.Item, to string, conds, binding convention.Conditions) error {
	ident, err := n.keeper.Decrypt(ctx, it.WrappedIdentity)
	if err != nil {
		return fmt.Errorf("the key keeper cannot unwrap the key of item %s: %w", it.ID, err)
	}
	segs, err := n.db.Segments(ctx, it.ID)
	if err != nil {
		return err
	}
	rd, err := n.vault.Open(ctx, segs, it.Size, string(ident))
	if err != nil {
		return err
	}
	defer rd.Close()
	newIdent, recipient, err := evidence.NewKey()
	if err != nil {
		return err
	}
	wrapped, err := n.keeper.Encrypt(ctx, []byte(newIdent))
	if err != nil {
		return fmt.Errorf("wrap the item's key with the key keeper: %w", err)
	}
	now := n.now()
	dst := evidence.Item{ID: newID(), RequestID: it.RequestID, State: to, Name: it.Name, MediaType: it.MediaType, Size: it.Size,
		Collection: it.Collection, RetainUntil: it.RetainUntil, PersonalData: it.PersonalData, Status: evidence.Uploading, CreatedAt: now, CreatedBy: "system", Recipient: recipient,
		WrappedIdentity: wrapped, HashState: evidence.NewHashState(), Origin: &evidence.Origin{State: by.State, Item: it.ID}, ExpectedSHA256: it.SHA256}
	from := casework.Actor{ID: by.ID, State: by.State}
	err = n.db.Tx(ctx, func(tx *store.Tx) error {
		if err := insertEvidence(ctx, tx, &dst); err != nil {
			return err
		}
		if err := audit(ctx, tx, n.home, it.State, by, now, evidence.ActionTransfer, evidence.Subject(it.ID), evidenceDetail(it, map[string]any{"to": to})); err != nil {
			return err
		}
		if err := n.bindConditions(ctx, tx, it, "item", conds, by, now); err != nil {
			return err
		}
		if err := audit(ctx, tx, n.home, to, from, now, evidence.ActionIncoming, evidence.Subject(dst.ID),
			evidenceDetail(dst, map[string]any{"from": by.State, "origin_item": it.ID, "sha256_announced": it.SHA256})); err != nil {
			return err
		}
		return n.bindConditions(ctx, tx, dst, "offer", binding, from, now)
	})
	if err != nil {
		return err
	}
	for dst.Received < dst.Size {
		seg, state, err := n.vault.WriteSegment(ctx, dst.ID, dst.Segments, dst.Received, recipient, dst.HashState, rd, min(evidence.SegmentSize, dst.Size-dst.Received))
		if err == nil && seg.Length == 0 {
			err = fmt.Errorf("item %s ended at byte %d of %d", it.ID, dst.Received, dst.Size)
		}
		if err == nil {
			err = n.db.Tx(ctx, func(tx *store.Tx) error {
				return tx.AppendSegment(ctx, to, dst.ID, dst.Received, dst.Segments, seg, state)
			})
		}
		if err != nil {
			n.vault.Delete(context.WithoutCancel(ctx), dst.ID)
			if errors.Is(err, evidence.ErrDamaged) {
				n.EvidenceDamaged(ctx, it, err)
			}
			return err
		}
		dst.Received, dst.Segments, dst.HashState = dst.Received+seg.Length, dst.Segments+1, state
	}
	// The sender's custody comes from this node's own log, checked as a
	// peer's would be, so that the receiving State's packages carry it.
	oc, err := n.originCustody(ctx, it.State, it.RequestID, it.ID)
	if err != nil {
		n.vault.Delete(context.WithoutCancel(ctx), dst.ID)
		return err
	}
	lk, err := n.LogKey(ctx)
	if err == nil {
		_, err = oc.Verify(lk.VerifierKey, it.State, it.SHA256)
	}
	var raw []byte
	if err == nil {
		raw, err = json.Marshal(oc)
	}
	if err != nil {
		n.vault.Delete(context.WithoutCancel(ctx), dst.ID)
		return err
	}
	var refused bool
	err = n.db.Tx(ctx, func(tx *store.Tx) error {
		if err := tx.PutOriginCustody(ctx, store.OriginCustody{ItemID: dst.ID, State: to, OriginState: by.State, LogKey: lk.VerifierKey, Custody: raw, ReceivedAt: n.now()}); err != nil {
			return err
		}
		if err := audit(ctx, tx, n.home, to, from, n.now(), evidence.ActionOriginCustody, evidence.Subject(dst.ID),
			evidenceDetail(dst, map[string]any{"from": by.State, "origin_item": it.ID, "records": len(oc.Records)})); err != nil {
			return err
		}
		var err error
		refused, err = n.finishArrival(ctx, tx, dst, n.now(), func(res evidence.Result) error {
			return n.recordResult(ctx, tx, by.State, to, res, n.now())
		})
		return err
	})
	if refused {
		n.vault.Delete(context.WithoutCancel(ctx), dst.ID)
	}
	return err
}

// lastTransfer returns when item it was last sent, unless the other State
// refused it since: "" if it may be sent.
func (n *Node) lastTransfer(ctx context.Context, it evidence.Item) (string, error) {
	entries, err := n.db.Custody(ctx, it.State, evidence.Subject(it.ID))
	if err := n.readable(ctx, err); err != nil {
		return "", err
	}
	sent := ""
	for _, e := range entries {
		p, err := auditlog.Parse(e.Record)
		if err != nil {
			continue
		}
		switch p.Action {
		case evidence.ActionTransfer:
			sent = p.At.Format(time.RFC3339)
		case evidence.ActionTransferRefused:
			sent = ""
		}
	}
	return sent, nil
}
