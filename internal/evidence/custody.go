package evidence

import (
	"encoding/json"
	"errors"
	"fmt"

	"entraide/internal/auditlog"
	"entraide/internal/tlog"
)

// ActionOriginCustody is the custody action of an item received from the
// other State when that State's custody records of it arrived, each proven
// in that State's log: who collected and held it there.
const ActionOriginCustody = "evidence.origin_custody"

// Limits on the custody a sending State ships with an item, so that a
// hostile peer cannot exhaust memory; they keep a message well within an
// envelope's payload.
const (
	MaxCustodyRecords = 1000
	maxRecordBytes    = 16 << 10
	maxProofHashes    = 64
)

// Custody carries, from the State that sends an item, the item's custody
// records from its log, each with its RFC 6962 inclusion proof under one
// checkpoint signed by that log's key (with any witnesses' cosignatures),
// so that the receiving State, and its court, need not take its word for
// who collected and held the item there.
type Custody struct {
	Request string `json:"request"`
	Item    string `json:"item"` // the sender's id
	// Checkpoint is the signed note every proof is under.
	Checkpoint []byte         `json:"checkpoint"`
	Records    []ProvenRecord `json:"records"`
}

// ProvenRecord is one custody record: its canonical bytes, its index in
// the log, and the hashes of its inclusion proof.
type ProvenRecord struct {
	Record []byte   `json:"record"`
	Index  int64    `json:"leaf_index"`
	Proof  [][]byte `json:"proof"`
}

// CustodyRef is what the sender's outbox keeps of a custody message: the
// records and proofs are read from the log when it is sent, once the log
// holds the transfer record written with it.
type CustodyRef struct {
	Request string `json:"request"`
	Item    string `json:"item"`
}

// Shipped reports whether a custody record of the sender goes with the
// item: every one but those of each stored piece of its bytes, which say
// only where the bytes lie in the sender's vault and would outgrow a
// message for a large item.
func Shipped(action string) bool { return action != ActionSegment }

// ParseCustody reads a custody message strictly: known fields only, ids in
// their form, at most MaxCustodyRecords records of bounded size, proofs of
// 32-byte hashes. It does not check the proofs: Verify does.
func ParseCustody(data []byte) (Custody, error) {
	var c Custody
	if err := decodeStrict(data, &c); err != nil {
		return c, fmt.Errorf("not a custody message: %w", err)
	}
	if err := checkIDs(c.Request, c.Item); err != nil {
		return c, err
	}
	if len(c.Checkpoint) == 0 || len(c.Checkpoint) > tlog.MaxCheckpointSize {
		return c, fmt.Errorf("checkpoint: want a signed note of 1 to %d bytes", tlog.MaxCheckpointSize)
	}
	if len(c.Records) == 0 || len(c.Records) > MaxCustodyRecords {
		return c, fmt.Errorf("records: want 1 to %d", MaxCustodyRecords)
	}
	for i, r := range c.Records {
		if len(r.Record) == 0 || len(r.Record) > maxRecordBytes || r.Index < 0 || len(r.Proof) > maxProofHashes {
			return c, fmt.Errorf("record %d: bytes, index or proof out of bounds", i+1)
		}
		for _, h := range r.Proof {
			if len(h) != tlog.HashSize {
				return c, fmt.Errorf("record %d: a proof hash of %d bytes, want %d", i+1, len(h), tlog.HashSize)
			}
		}
	}
	return c, nil
}

// ParseCustodyRef reads what the sender's outbox keeps of a custody
// message.
func ParseCustodyRef(data []byte) (CustodyRef, error) {
	var c CustodyRef
	if err := decodeStrict(data, &c); err != nil {
		return c, fmt.Errorf("not a custody reference: %w", err)
	}
	return c, checkIDs(c.Request, c.Item)
}

// ErrCustody is wrapped by every error of Verify: the custody does not
// prove what it claims, and the item is refused.
var ErrCustody = errors.New("the sending State's custody of the item does not verify")

// Verify checks c as the receiver of the item must before it keeps it: the
// checkpoint is signed by vkey, the log key of state, the sender; every
// record is about the item c names, in state's view, and its proof places
// it under the checkpoint; and one record is the item's ingestion with
// sha256, the SHA-256 announced. It returns the checkpoint, and an error
// wrapping ErrCustody that names the first record or proof that fails.
func (c Custody) Verify(vkey, state, sha256 string) (tlog.Checkpoint, error) {
	bad := func(format string, a ...any) (tlog.Checkpoint, error) {
		return tlog.Checkpoint{}, fmt.Errorf("%w: "+format, append([]any{ErrCustody}, a...)...)
	}
	cp, _, err := tlog.ParseCheckpoint(c.Checkpoint, vkey)
	if err != nil {
		return bad("the checkpoint is not one %s's log signed: %v", state, err)
	}
	ingested := false
	for i, r := range c.Records {
		p, err := auditlog.Parse(r.Record)
		if err != nil {
			return bad("record %d is not an audit record: %v", i+1, err)
		}
		if p.Subject != Subject(c.Item) || p.State != state {
			return bad("record %d is about %s in the view of %s, not item %s of %s", i+1, p.Subject, p.State, c.Item, state)
		}
		proof := make([]tlog.Hash, len(r.Proof))
		for j, h := range r.Proof {
			copy(proof[j][:], h)
		}
		if err := tlog.VerifyInclusion(proof, cp.Size, cp.Root, r.Index, tlog.LeafHash(tlog.Entry(r.Record))); err != nil {
			return bad("record %d (%s) is not at index %d of %s's log of %d records: %v", i+1, p.Action, r.Index, state, cp.Size, err)
		}
		if p.Action == ActionIngested {
			var d struct {
				SHA256 string `json:"sha256"`
			}
			if json.Unmarshal(p.Detail, &d) == nil && d.SHA256 == sha256 {
				ingested = true
			}
		}
	}
	if !ingested {
		return bad("no record is the item's ingestion with the SHA-256 announced, %s", sha256)
	}
	return cp, nil
}
