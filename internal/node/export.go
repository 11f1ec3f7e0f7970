package node

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"time"

	tlogformat "github.com/transparency-dev/formats/log"

	"entraide/internal/archive"
	"entraide/internal/auditlog"
	"entraide/internal/casework"
	"entraide/internal/convention"
	"entraide/internal/evidence"
	"entraide/internal/store"
	"entraide/internal/tlog"
)

// Export is what ExportEvidence wrote: the package's size and SHA-256,
// its manifest's SHA-256, and how many items it holds.
type Export struct {
	Size           int64  `json:"size"`
	SHA256         string `json:"sha256"`
	ManifestSHA256 string `json:"manifest_sha256"`
	Items          int    `json:"items"`
}

// answerDoc is the answer a package shows: what the requested State did
// with the request, in its own steps.
type answerDoc struct {
	RequestID  string           `json:"request_id"`
	State      casework.State   `json:"state"`
	AnsweredBy string           `json:"answered_by"`
	Events     []casework.Event `json:"events"`
}

// ExportEvidence writes to w the evidence package of request requestID in
// by's view (see internal/archive): the request and its answer, its items
// that are available, their custody records with inclusion proofs under
// the log's latest checkpoint, and the seal of the node's log key. Its
// custody records the export: one record for the package, holding the
// manifest's SHA-256, one for each item as it is read, and once the last
// byte is written, one that the package was sealed. On an error, what was
// written to w is no package and must be discarded.
//
// use says whom the package is for and which proceedings it serves: a
// State (by's own when empty) and proceedings other than the request's
// (the request's own when empty). A package that would give an item to a
// third State, or serve other proceedings, against the conditions the
// giving State set on it is refused, and the refusal recorded in the
// item's custody, until that State consents to exactly that use.
func (n *Node) ExportEvidence(ctx context.Context, by casework.Actor, requestID string, use convention.Use, w io.Writer) (Export, error) {
	if err := n.needVault(); err != nil {
		return Export{}, err
	}
	r, events, err := n.Request(ctx, by, requestID)
	if err != nil {
		return Export{}, err
	}
	items, err := n.EvidenceItems(ctx, by, requestID)
	if err != nil {
		return Export{}, err
	}
	// Refused before a byte is written, not in the middle of the stream.
	if err := n.needBytes(ctx, by, r.ID, r.PersonalData, "the evidence package of request "+r.ID); err != nil {
		return Export{}, err
	}
	for _, it := range items {
		if err := n.needBytes(ctx, by, r.ID, it.PersonalData, "item "+it.ID); err != nil {
			return Export{}, err
		}
	}
	if use, err = normalUse(use, by); err != nil {
		return Export{}, err
	}
	if err := n.checkUse(ctx, by, r, items, use, "export"); err != nil {
		return Export{}, err
	}
	head, err := n.logHead(ctx)
	if err != nil {
		return Export{}, err
	}
	kr, err := n.keys(ctx)
	if err != nil {
		return Export{}, err
	}
	signer, err := tlog.NewSigner(head.Origin, kr.signing.Private)
	if err != nil {
		return Export{}, err
	}
	request, err := json.Marshal(r)
	if err != nil {
		return Export{}, err
	}
	ans := answerDoc{RequestID: r.ID, State: r.State, AnsweredBy: r.RequestedState, Events: []casework.Event{}}
	for _, e := range events {
		if e.ActorState == r.RequestedState {
			ans.Events = append(ans.Events, e)
		}
	}
	answer, err := json.Marshal(ans)
	if err != nil {
		return Export{}, err
	}
	p := archive.Package{RequestID: r.ID, Request: request, Answer: answer, ExportingState: n.home,
		LogOrigin: head.Origin, LogKeyName: head.Origin, Created: n.now()}
	src := &exportSource{n: n, by: by, request: r.ID, use: use}
	records := 0
	for _, it := range items {
		tombstone := it.Status == evidence.Disposed && it.DisposedAt != nil
		if (it.Status != evidence.Available || it.Damaged != "") && !tombstone {
			continue // its custody says why: uploading, damaged or refused
		}
		sum, err := hex.DecodeString(it.SHA256)
		if err != nil || len(sum) != sha256.Size {
			return Export{}, fmt.Errorf("item %s: stored SHA-256 %q is not one", it.ID, it.SHA256)
		}
		c := archive.Collection{By: it.Collection.By, Where: it.Collection.Where, Source: it.Collection.Source, Tool: it.Collection.Tool}
		if it.Collection.When != nil {
			c.At = *it.Collection.When
		}
		item := archive.Item{ID: it.ID, Name: it.Name, Size: it.Size, SHA256: [32]byte(sum), MediaType: it.MediaType, Collected: c}
		if tombstone {
			// Its bytes are gone (art. 36); its description, hash and
			// custody, the disposal among it, still prove what was held.
			item.Disposed = &archive.Disposal{At: *it.DisposedAt, By: it.DisposedBy}
		}
		if it.Origin != nil {
			o, err := n.exportOrigin(ctx, by.State, it)
			if err != nil {
				return Export{}, err
			}
			item.Origin = o
			if o != nil {
				records += len(o.Records) + 1
			}
		}
		p.Items = append(p.Items, item)
		custody, err := n.db.Custody(ctx, by.State, evidence.Subject(it.ID))
		if err != nil {
			return Export{}, fmt.Errorf("the custody of item %s: %w", it.ID, err)
		}
		for _, e := range custody {
			p.Custody = append(p.Custody, archive.CustodyRecord{Canonical: e.Record, Item: it.ID})
			src.seqs = append(src.seqs, e.Seq)
		}
	}
	if !archive.Fits(len(p.Items), len(p.Custody)+records) {
		return Export{}, &casework.Error{Kind: casework.ErrConflict, Problems: convention.Problems{{Field: "id", Ref: convention.Art(40).Para(25),
			Message: fmt.Sprintf("the request's %d items have %d custody records, more than one package holds: tell the node's administrators, who can export its items' custody from the audit log", len(p.Items), len(p.Custody))}}}
	}
	out := &countingHash{w: w, h: sha256.New()}
	if err := archive.Export(ctx, out, p, src, signer); err != nil {
		return Export{}, err
	}
	res := Export{Size: out.n, SHA256: hex.EncodeToString(out.h.Sum(nil)), ManifestSHA256: src.manifest, Items: len(p.Items)}
	err = n.db.Tx(ctx, func(tx *store.Tx) error {
		return audit(ctx, tx, n.home, by.State, by, n.now(), evidence.ActionSealed, "request/"+r.ID,
			map[string]any{archive.ManifestDetailKey: res.ManifestSHA256, "package_sha256": res.SHA256, "size": res.Size, "items": res.Items,
				"for_state": use.ToState, "proceedings": use.Proceedings})
	})
	return res, err
}

// exportOrigin returns the sending State's custody of item it, received
// from it, for a package: as it arrived and was checked against that
// State's log key. Nil for an item received before senders shipped it.
func (n *Node) exportOrigin(ctx context.Context, state string, it evidence.Item) (*archive.Origin, error) {
	oc, err := n.db.OriginCustody(ctx, state, it.ID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	c, err := evidence.ParseCustody(oc.Custody)
	if err != nil {
		return nil, fmt.Errorf("item %s: the custody %s sent of it: %w", it.ID, oc.OriginState, err)
	}
	o := &archive.Origin{State: oc.OriginState, Item: c.Item, LogKey: oc.LogKey, Checkpoint: c.Checkpoint}
	for _, r := range c.Records {
		o.Records = append(o.Records, archive.OriginRecord{Canonical: r.Record, LeafIndex: uint64(r.Index), Hashes: r.Proof})
	}
	return o, nil
}

// logHead returns the log's head, integrating it first when it has no
// checkpoint yet.
func (n *Node) logHead(ctx context.Context) (store.LogHead, error) {
	head, err := n.db.LogHead(ctx)
	if err == nil && len(head.Checkpoint) == 0 {
		head, err = n.IntegrateLog(ctx)
	}
	if err == nil && len(head.Checkpoint) == 0 {
		err = ErrNoCheckpoint
	}
	return head, err
}

// exportSource is the node as archive.Export reads it.
type exportSource struct {
	n        *Node
	by       casework.Actor
	request  string
	use      convention.Use
	seqs     []int64 // of the custody records, then of the export record
	manifest string
}

func (s *exportSource) Open(ctx context.Context, itemID string) (io.ReadCloser, error) {
	rd, _, err := s.n.OpenEvidence(ctx, s.by, s.request, itemID, evidence.ActionExported, map[string]any{"package_manifest_sha256": s.manifest,
		"for_state": s.use.ToState, "proceedings": s.use.Proceedings})
	if err != nil {
		return nil, err
	}
	return rd, nil
}

func (s *exportSource) LogExport(ctx context.Context, detail map[string]string) ([]byte, error) {
	s.manifest = detail[archive.ManifestDetailKey]
	var seq int64
	err := s.n.db.Tx(ctx, func(tx *store.Tx) error {
		var err error
		seq, err = tx.Audit(ctx, auditlog.Record{At: s.n.now(), Node: s.n.home, State: s.by.State, ActorState: s.by.State, Actor: s.by.ID,
			Action: evidence.ActionExported, Subject: "request/" + s.request, Detail: detail})
		return err
	})
	if err != nil {
		return nil, err
	}
	s.seqs = append(s.seqs, seq)
	record, _, err := s.n.db.AuditRecord(ctx, s.by.State, seq)
	if err != nil && !errors.Is(err, store.ErrNotInLog) {
		return nil, err
	}
	return record, nil
}

// proveWait bounds how long Prove waits for the log to hold the export
// record: one integration, which the node runs every LogInterval anyway.
const proveWait = 10 * time.Second

func (s *exportSource) Prove(ctx context.Context, records [][]byte) (archive.Log, error) {
	if len(records) != len(s.seqs) {
		return archive.Log{}, fmt.Errorf("%d records to prove, %d known", len(records), len(s.seqs))
	}
	ctx, cancel := context.WithTimeout(ctx, proveWait)
	defer cancel()
	head, err := s.n.IntegrateLog(ctx)
	if err != nil {
		return archive.Log{}, fmt.Errorf("integrating the log: %w", err)
	}
	hashes := s.n.db.LogHashes(ctx)
	lg, err := s.checkpoints(ctx, head, hashes)
	if err != nil {
		return archive.Log{}, err
	}
	latest := len(lg.Checkpoints) - 1
	for _, seq := range s.seqs {
		_, idx, err := s.n.db.AuditRecord(ctx, s.by.State, seq)
		if err == nil && idx >= head.Size {
			err = store.ErrNotInLog
		}
		if err != nil {
			return archive.Log{}, fmt.Errorf("record %d: %w", seq, err)
		}
		proof, err := tlog.InclusionProof(idx, head.Size, hashes)
		if err != nil {
			return archive.Log{}, fmt.Errorf("record %d: %w", seq, err)
		}
		p := archive.Proof{LeafIndex: uint64(idx), TreeSize: uint64(head.Size), Hashes: make([][]byte, len(proof)), Checkpoint: latest}
		for j := range proof {
			p.Hashes[j] = proof[j][:]
		}
		lg.Proofs = append(lg.Proofs, p)
	}
	return lg, nil
}

// countingHash counts and hashes what passes to w.
type countingHash struct {
	w io.Writer
	h hash.Hash
	n int64
}

func (c *countingHash) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.h.Write(p[:n])
	c.n += int64(n)
	return n, err
}

// checkpoints returns the checkpoints a package carries: the log's latest,
// head, under which every record is proven, and before it the latest one
// that peers' witnesses cosigned, with the proof that head extends it, so
// that their cosignatures vouch for the records it covers. A log no
// witness cosigned yet, or whose cosigned checkpoint is head itself, gives
// one checkpoint.
func (s *exportSource) checkpoints(ctx context.Context, head store.LogHead, hashes tlog.HashReader) (archive.Log, error) {
	only := archive.Log{Checkpoints: [][]byte{head.Checkpoint}}
	cosigned, err := s.n.CosignedCheckpoint(ctx)
	if err != nil {
		return only, nil // no witness yet: the log's own signature stands alone
	}
	body, _, _ := bytes.Cut(cosigned, []byte("\n\n"))
	var cp tlogformat.Checkpoint
	if _, err := cp.Unmarshal(append(body, '\n')); err != nil || cp.Origin != head.Origin || int64(cp.Size) > head.Size || cp.Size == 0 {
		return only, nil
	}
	if int64(cp.Size) == head.Size {
		if bytes.Equal(cp.Hash, head.Root[:]) {
			return archive.Log{Checkpoints: [][]byte{cosigned}}, nil
		}
		return archive.Log{}, fmt.Errorf("the cosigned checkpoint of size %d has another root than the log's: the log forked; its administrators are alerted", cp.Size)
	}
	proof, err := tlog.ConsistencyProof(int64(cp.Size), head.Size, hashes)
	if err != nil {
		return archive.Log{}, fmt.Errorf("the proof that the log extends its cosigned checkpoint: %w", err)
	}
	c := archive.Consistency{From: 0, To: 1, Hashes: make([][]byte, len(proof))}
	for i := range proof {
		c.Hashes[i] = proof[i][:]
	}
	return archive.Log{Checkpoints: [][]byte{cosigned, head.Checkpoint}, Consistency: []archive.Consistency{c}}, nil
}
