package node

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"entraide/internal/casework"
	"entraide/internal/convention"
	"entraide/internal/evidence"
	"entraide/internal/identity"
	"entraide/internal/store"
)

// SetVault gives the node the vault that keeps its evidence's bytes. A
// node without one refuses uploads and downloads, with an error that
// says so.
func (n *Node) SetVault(v *evidence.Vault) { n.vault = v }

// custodyRef is the provision evidence's custody rests on: the
// Convention's rules on the use and protection of what is transmitted.
var custodyRef = convention.Art(40)

func evidenceErr(kind error, field, format string, args ...any) error {
	return &casework.Error{Kind: kind, Problems: convention.Problems{{Field: field, Ref: custodyRef, Message: fmt.Sprintf(format, args...)}}}
}

// HasVault reports whether the node has an evidence store: without one,
// no item is uploaded or read.
func (n *Node) HasVault() bool { return n.vault != nil }

// PingVault reports an error if the node's evidence store does not
// answer; a node without one has nothing to ping.
func (n *Node) PingVault(ctx context.Context) error {
	if n.vault == nil {
		return nil
	}
	return n.vault.Ping(ctx)
}

func (n *Node) needVault() error {
	if n.vault == nil {
		return evidenceErr(casework.ErrConflict, "evidence", "this node has no evidence store: its administrator starts it with --blob URL, or the default, a directory in the data directory")
	}
	return nil
}

// evidenceRequest returns request id of by's view if by may read it;
// casework.ErrNotFound otherwise, whether it exists or not.
func (n *Node) evidenceRequest(ctx context.Context, by casework.Actor, id string) (*casework.Request, error) {
	r, err := n.db.Request(ctx, by.State, id)
	if err != nil {
		return nil, err
	}
	if !casework.CanRead(r, by) {
		return nil, casework.ErrNotFound
	}
	return r, nil
}

// evidenceItem returns item id of request requestID in by's view, or
// casework.ErrNotFound.
func (n *Node) evidenceItem(ctx context.Context, by casework.Actor, requestID, id string) (evidence.Item, error) {
	if _, err := n.evidenceRequest(ctx, by, requestID); err != nil {
		return evidence.Item{}, err
	}
	it, err := n.db.Evidence(ctx, by.State, id)
	if errors.Is(err, store.ErrNotFound) || err == nil && it.RequestID != requestID {
		return evidence.Item{}, casework.ErrNotFound
	}
	if err != nil {
		return it, err
	}
	// Every use of the item records the conditions that bind it.
	it.Conditions, err = n.db.ItemConditions(ctx, it.State, it.ID)
	return it, err
}

func evidenceDetail(it evidence.Item, extra map[string]any) map[string]any {
	d := map[string]any{"request": it.RequestID, "item": it.ID, "name": it.Name, "size": it.Size}
	if it.SHA256 != "" {
		d["sha256"] = it.SHA256
	}
	if len(it.Conditions) > 0 {
		// A use of a conditioned item says which conditions applied.
		d["conditions_applied"] = it.Conditions.Kinds()
	}
	for k, v := range extra {
		d[k] = v
	}
	return d
}

// StartEvidence begins the upload of an item of size bytes to request
// requestID, as spec declares it: a new item, uploading, with a key of
// its own whose private part only the node's key keeper unwraps.
func (n *Node) StartEvidence(ctx context.Context, by casework.Actor, requestID string, spec evidence.Spec, size int64) (evidence.Item, error) {
	if !by.Role.Can(identity.AddEvidence) {
		return evidence.Item{}, forbidden("role", "the %s role may not add evidence", by.Role)
	}
	if err := n.needVault(); err != nil {
		return evidence.Item{}, err
	}
	if _, err := n.evidenceRequest(ctx, by, requestID); err != nil {
		return evidence.Item{}, err
	}
	if size < 0 || size > evidence.MaxSize {
		return evidence.Item{}, convention.Problems{{Field: "Upload-Length", Ref: custodyRef, Message: fmt.Sprintf("%d bytes: give from 0 to %d", size, evidence.MaxSize)}}
	}
	ident, recipient, err := evidence.NewKey()
	if err != nil {
		return evidence.Item{}, err
	}
	wrapped, err := n.keeper.Encrypt(ctx, []byte(ident))
	if err != nil {
		return evidence.Item{}, fmt.Errorf("wrap the item's key with the key keeper: %w", err)
	}
	now := n.now()
	it := evidence.Item{ID: newID(), RequestID: requestID, State: by.State, Name: spec.Name, MediaType: spec.MediaType, Size: size,
		Collection: spec.Collection, Status: evidence.Uploading, RetainUntil: spec.RetainUntil, PersonalData: spec.PersonalData, CreatedAt: now, CreatedBy: by.ID,
		Recipient: recipient, WrappedIdentity: wrapped, HashState: evidence.NewHashState()}
	err = n.db.Tx(ctx, func(tx *store.Tx) error {
		if err := insertEvidence(ctx, tx, &it); err != nil {
			return err
		}
		return audit(ctx, tx, n.home, it.State, by, now, evidence.ActionUpload, evidence.Subject(it.ID),
			evidenceDetail(it, map[string]any{"media_type": it.MediaType, "retain_until": it.RetainUntil, "personal_data": it.PersonalData, "policy_until": it.PolicyUntil}))
	})
	return it, err
}

// EvidenceUpload returns item id being uploaded by by's State, for the
// upload to go on: casework.ErrNotFound if by may not reach it.
func (n *Node) EvidenceUpload(ctx context.Context, by casework.Actor, id string) (evidence.Item, error) {
	if !by.Role.Can(identity.AddEvidence) {
		return evidence.Item{}, forbidden("role", "the %s role may not add evidence", by.Role)
	}
	it, err := n.db.Evidence(ctx, by.State, id)
	if errors.Is(err, store.ErrNotFound) {
		return it, casework.ErrNotFound
	}
	if err != nil {
		return it, err
	}
	if _, err := n.evidenceRequest(ctx, by, it.RequestID); err != nil {
		return evidence.Item{}, err
	}
	return it, nil
}

// AppendEvidence stores src's bytes at offset of item id, in pieces of
// at most evidence.SegmentSize, each committed with its audit record
// before the next is read: what it returns as written is stored, even
// when src fails (a cut connection) and its error is returned too.
func (n *Node) AppendEvidence(ctx context.Context, by casework.Actor, id string, offset int64, src io.Reader) (int64, error) {
	if err := n.needVault(); err != nil {
		return 0, err
	}
	var written int64
	for {
		it, err := n.EvidenceUpload(ctx, by, id)
		if err != nil {
			return written, err
		}
		if it.Status != evidence.Uploading {
			return written, evidenceErr(casework.ErrConflict, "Upload-Offset", "item %s is %s: its upload is over", id, it.Status)
		}
		if it.Received != offset {
			return written, evidenceErr(casework.ErrConflict, "Upload-Offset", "item %s holds %d bytes, not %d: ask for its offset (HEAD) and send from there", id, it.Received, offset)
		}
		max := min(evidence.SegmentSize, it.Size-it.Received)
		if max == 0 {
			return written, nil
		}
		seg, state, srcErr := n.vault.WriteSegment(ctx, id, it.Segments, it.Received, it.Recipient, it.HashState, src, max)
		if seg.Length == 0 {
			return written, srcErr
		}
		// The commit outlives a cut connection: what was received is kept.
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
		now := n.now()
		err = n.db.Tx(cctx, func(tx *store.Tx) error {
			if err := tx.AppendSegment(cctx, it.State, id, it.Received, it.Segments, seg, state); err != nil {
				return err
			}
			return audit(cctx, tx, n.home, it.State, by, now, evidence.ActionSegment, evidence.Subject(id),
				evidenceDetail(it, map[string]any{"offset": seg.Offset, "length": seg.Length}))
		})
		cancel()
		if err != nil {
			n.vault.DeleteSegment(context.WithoutCancel(ctx), seg)
			if errors.Is(err, store.ErrEvidenceMoved) {
				return written, evidenceErr(casework.ErrConflict, "Upload-Offset", "item %s moved on while these bytes came (another upload of it ran): ask for its offset (HEAD) and send from there", id)
			}
			return written, err
		}
		written += seg.Length
		offset += seg.Length
		if srcErr != nil || seg.Length < max {
			return written, srcErr
		}
	}
}

// CompleteEvidence ends the upload of item id once every byte is stored:
// its SHA-256 is fixed, and recorded with how it was collected and its
// ingestion. An item already complete is returned as it is.
func (n *Node) CompleteEvidence(ctx context.Context, by casework.Actor, id string) (evidence.Item, error) {
	it, err := n.EvidenceUpload(ctx, by, id)
	if err != nil || it.Status == evidence.Available {
		return it, err
	}
	if it.Status != evidence.Uploading || it.Received != it.Size {
		return it, evidenceErr(casework.ErrConflict, "Upload-Offset", "item %s holds %d of its %d bytes: send the rest first", id, it.Received, it.Size)
	}
	sum, err := evidence.Sum(it.HashState)
	if err != nil {
		return it, err
	}
	now := n.now()
	it.SHA256, it.Status, it.AvailableAt = sum, evidence.Available, &now
	err = n.db.Tx(ctx, func(tx *store.Tx) error {
		if err := tx.CompleteEvidence(ctx, it.State, id, sum, now); err != nil {
			if errors.Is(err, store.ErrEvidenceMoved) {
				return evidenceErr(casework.ErrConflict, "Upload-Offset", "item %s changed while its upload ended: read it again", id)
			}
			return err
		}
		if err := audit(ctx, tx, n.home, it.State, by, now, evidence.ActionCollected, evidence.Subject(id),
			evidenceDetail(it, map[string]any{"collection": it.Collection})); err != nil {
			return err
		}
		return audit(ctx, tx, n.home, it.State, by, now, evidence.ActionIngested, evidence.Subject(id),
			evidenceDetail(it, map[string]any{"media_type": it.MediaType, "segments": it.Segments}))
	})
	return it, err
}

// EvidenceItems lists the items of request requestID in by's view.
func (n *Node) EvidenceItems(ctx context.Context, by casework.Actor, requestID string) ([]evidence.Item, error) {
	if _, err := n.evidenceRequest(ctx, by, requestID); err != nil {
		return nil, err
	}
	items, err := n.db.EvidenceItems(ctx, by.State, requestID)
	if err := n.readable(ctx, err); err != nil {
		return items, err
	}
	if items, err = n.withConditions(ctx, items); err != nil {
		return nil, err
	}
	for i := range items {
		if err := n.minimiseItem(ctx, by, &items[i]); err != nil {
			return nil, err
		}
	}
	return items, nil
}

// EvidenceItem returns item id of request requestID, and records that by
// viewed it.
func (n *Node) EvidenceItem(ctx context.Context, by casework.Actor, requestID, id string) (evidence.Item, error) {
	it, err := n.evidenceItem(ctx, by, requestID, id)
	if err != nil {
		return it, err
	}
	// One view an hour per official and item is recorded: repeated
	// looks would otherwise grow the custody without bound, to the point
	// where no package could hold it.
	now, key := n.now(), by.State+"/"+by.ID+"/"+id
	if last, ok := n.viewed.Load(key); ok && now.Sub(last.(time.Time)) < ViewRecordInterval && !now.Before(last.(time.Time)) {
		return it, n.minimiseItem(ctx, by, &it)
	}
	err = n.db.Tx(ctx, func(tx *store.Tx) error {
		return audit(ctx, tx, n.home, it.State, by, now, evidence.ActionViewed, evidence.Subject(id), evidenceDetail(it, nil))
	})
	if err == nil {
		n.viewed.Store(key, now)
	}
	if err := n.minimiseItem(ctx, by, &it); err != nil {
		return it, err
	}
	return it, err
}

// ViewRecordInterval is how often a view of the same item by the same
// official is recorded in its custody: downloads are recorded each time.
const ViewRecordInterval = time.Hour

// OpenEvidence returns a reader of item id's bytes in clear, and records
// in its custody that by read them, as action (evidence.ActionDownloaded,
// or the action of whoever reads them for another purpose, such as an
// export). The reader decrypts as it reads; a stored byte changed is an
// error matching evidence.ErrDamaged, which the caller reports with
// EvidenceDamaged. The caller closes the reader.
func (n *Node) OpenEvidence(ctx context.Context, by casework.Actor, requestID, id, action string, detail map[string]any) (*evidence.Reader, evidence.Item, error) {
	if err := n.needVault(); err != nil {
		return nil, evidence.Item{}, err
	}
	it, err := n.evidenceItem(ctx, by, requestID, id)
	if err != nil {
		return nil, it, err
	}
	if err := n.needBytes(ctx, by, requestID, it.PersonalData, "item "+id); err != nil {
		return nil, it, err
	}
	switch {
	case it.Status == evidence.Disposed:
		return nil, it, evidenceErr(casework.ErrConflict, "item", "item %s was disposed of on %s: its bytes are gone; its hash and custody remain (GET its custody)", id, it.DisposedAt.Format(time.DateOnly))
	case it.Status == evidence.Refused:
		return nil, it, evidenceErr(casework.ErrConflict, "item", "item %s was refused on arrival and its bytes deleted: %s; ask %s to check it and send it again", id, it.Damaged, it.Origin.State)
	case it.Status != evidence.Available:
		return nil, it, evidenceErr(casework.ErrConflict, "item", "item %s is still uploading (%d of %d bytes): finish the upload first", id, it.Received, it.Size)
	case it.Damaged != "":
		return nil, it, evidenceErr(casework.ErrConflict, "item", "item %s failed its integrity check (%s): restore its objects from a backup of the evidence store", id, it.Damaged)
	}
	ident, err := n.keeper.Decrypt(ctx, it.WrappedIdentity)
	if err != nil {
		return nil, it, fmt.Errorf("the key keeper cannot unwrap the key of item %s: %w", id, err)
	}
	segs, err := n.db.Segments(ctx, id)
	if err != nil {
		return nil, it, err
	}
	r, err := n.vault.Open(ctx, segs, it.Size, string(ident))
	if err != nil {
		if errors.Is(err, evidence.ErrDamaged) {
			n.EvidenceDamaged(ctx, it, err)
		}
		return nil, it, err
	}
	err = n.db.Tx(ctx, func(tx *store.Tx) error {
		return audit(ctx, tx, n.home, it.State, by, n.now(), action, evidence.Subject(id), evidenceDetail(it, detail))
	})
	if err != nil {
		r.Close()
		return nil, it, err
	}
	return r, it, nil
}

// EvidenceDamaged records that item it's stored bytes failed their
// integrity check, as cause says: later reads are refused at once, and
// its custody says when this was found.
func (n *Node) EvidenceDamaged(ctx context.Context, it evidence.Item, cause error) {
	ctx = context.WithoutCancel(ctx)
	why := cause.Error()
	err := n.db.Tx(ctx, func(tx *store.Tx) error {
		if err := tx.MarkDamaged(ctx, it.State, it.ID, why); err != nil {
			return err
		}
		return audit(ctx, tx, n.home, it.State, casework.System(it.State), n.now(), evidence.ActionDamaged, evidence.Subject(it.ID),
			evidenceDetail(it, map[string]any{"cause": store.ClipText(why, store.MaxErrorText)}))
	})
	log := n.alerts.config().Log
	log.ErrorContext(ctx, "evidence fails its integrity check", "item", it.ID, "request", it.RequestID, "err", cause)
	if err != nil {
		log.ErrorContext(ctx, "record damaged evidence", "item", it.ID, "err", err)
	}
}

// EvidenceCustody returns the audit records of item id's custody, in
// order, as by's State's view of the log holds them.
func (n *Node) EvidenceCustody(ctx context.Context, by casework.Actor, requestID, id string) ([]store.AuditEntry, error) {
	it, err := n.evidenceItem(ctx, by, requestID, id)
	if err != nil {
		return nil, err
	}
	entries, err := n.db.Custody(ctx, by.State, evidence.Subject(id))
	if err := n.readable(ctx, err); err != nil {
		return entries, err
	}
	s, err := n.sightOf(ctx, by, it.RequestID, it.PersonalData)
	if err != nil {
		return nil, err
	}
	redactEntries(entries, s)
	return entries, nil
}

// SetEvidenceRetention sets the day item id is disposed of (art. 36), or
// clears it with nil.
func (n *Node) SetEvidenceRetention(ctx context.Context, by casework.Actor, requestID, id string, until *time.Time) (evidence.Item, error) {
	if !by.Role.Can(identity.DisposeEvidence) {
		return evidence.Item{}, forbidden("role", "the %s role may not set the retention of evidence", by.Role)
	}
	it, err := n.evidenceItem(ctx, by, requestID, id)
	if err != nil {
		return it, err
	}
	if it.Status == evidence.Disposed {
		return it, evidenceErr(casework.ErrConflict, "retain_until", "item %s was already disposed of", id)
	}
	if until != nil && !until.After(n.now()) {
		return it, convention.Problems{{Field: "retain_until", Ref: convention.Art(36), Message: until.Format(time.DateOnly) + " is not after today: give a later day, or dispose of the item now"}}
	}
	// The State that gave the item bounded how long it is kept: no
	// official of this one keeps it longer, nor drops the bound.
	if bound, ok := it.Conditions.RetainUntilTime(); ok && (until == nil || until.After(bound)) {
		asked := "no end"
		if until != nil {
			asked = until.Format(time.DateOnly)
		}
		return it, convention.Problems{{Field: "retain_until", Ref: convention.Art(36), Message: fmt.Sprintf("%s: the State that gave item %s set it to be kept no later than %s; give that day or an earlier one, or ask that State for its consent to keep it longer", asked, id, bound.Format(time.DateOnly))}}
	}
	err = n.db.Tx(ctx, func(tx *store.Tx) error {
		if err := tx.SetRetention(ctx, it.State, id, until); err != nil {
			return err
		}
		return audit(ctx, tx, n.home, it.State, by, n.now(), evidence.ActionRetention, evidence.Subject(id),
			evidenceDetail(it, map[string]any{"retain_until": until, "was": it.RetainUntil}))
	})
	it.RetainUntil = until
	n.wakeRetention()
	return it, err
}

// DisposeEvidence disposes of item id (art. 36): its bytes are deleted
// and its key destroyed, so that no copy of its objects (in a backup)
// can be read again; its row stays with its hash, and its custody
// records stay, so their proofs still verify. Disposing of an item
// already disposed of returns it as it is.
func (n *Node) DisposeEvidence(ctx context.Context, by casework.Actor, requestID, id, reason string) (evidence.Item, error) {
	if !by.Role.Can(identity.DisposeEvidence) {
		return evidence.Item{}, forbidden("role", "the %s role may not dispose of evidence", by.Role)
	}
	if p, bad := convention.CheckText("reason", convention.Art(36), reason, 2000); bad {
		return evidence.Item{}, convention.Problems{p}
	}
	it, err := n.evidenceItem(ctx, by, requestID, id)
	if err != nil {
		return it, err
	}
	return n.dispose(ctx, by, it, reason)
}

func (n *Node) dispose(ctx context.Context, by casework.Actor, it evidence.Item, reason string) (evidence.Item, error) {
	if it.Status == evidence.Disposed {
		return it, nil
	}
	if err := n.needVault(); err != nil {
		return it, err
	}
	now := n.now()
	err := n.db.Tx(ctx, func(tx *store.Tx) error {
		cur, err := tx.EvidenceForUpdate(ctx, it.State, it.ID)
		if err != nil {
			return err
		}
		if cur.Status == evidence.Disposed {
			it = cur
			return nil
		}
		if err := tx.DisposeEvidence(ctx, it.State, it.ID, by.ID, now); err != nil {
			return err
		}
		// The records fund-tracing cases read from the item are personal
		// data of the same retention (art. 36): they go with it.
		imports, err := tx.DisposeFundsRecords(ctx, it.State, it.ID, now)
		if err != nil {
			return err
		}
		it.Status, it.DisposedAt, it.DisposedBy, it.WrappedIdentity = evidence.Disposed, &now, by.ID, nil
		return audit(ctx, tx, n.home, it.State, by, now, evidence.ActionDisposed, evidence.Subject(it.ID),
			evidenceDetail(it, map[string]any{"reason": reason, "retain_until": it.RetainUntil, "policy_until": it.PolicyUntil, "status_before": cur.Status, "funds_imports": imports}))
	})
	if err != nil {
		return it, err
	}
	// After the commit: the key is gone already, so bytes left behind by
	// a failure here are unreadable, and the next disposal pass retries.
	if err := n.vault.Delete(context.WithoutCancel(ctx), it.ID); err != nil {
		n.alerts.config().Log.ErrorContext(ctx, "delete the objects of disposed evidence", "item", it.ID, "err", err)
	}
	return it, nil
}
