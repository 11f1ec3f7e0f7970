package evidence

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"entraide/internal/auditlog"
	"entraide/internal/tlog"
)

// ActionUseReportAsked is the custody action, at the State that received
// an item, of the giving State asking what was done with it: the report
// that answers is built from the log after it, so the asking shows in the
// next report.
const ActionUseReportAsked = "evidence.use_report_asked"

// The actions, at the State that gave evidence, of its use reports: their
// subject is the request.
const (
	ActionUseReportAsk        = "evidence.use_report_ask"        // an official asked the other State for a use report
	ActionUseReportVerified   = "evidence.use_report_verified"   // the answer verified against the other State's log
	ActionUseReportRefused    = "evidence.use_report_refused"    // the answer did not verify: the detail says why
	ActionUseReportUnanswered = "evidence.use_report_unanswered" // the other node refused the question, or it was not delivered
)

// Limits on a use report, so that a hostile peer cannot exhaust memory
// and an answer stays within an envelope's payload.
const (
	// MaxUseItems is how many items one report covers: more than a
	// request's answer carries in practice.
	MaxUseItems = 200
	// MaxUseEntries is how many custody entries one report carries in
	// all; past it, the oldest views and downloads of each item are left
	// out and counted (UseItem.Omitted).
	MaxUseEntries = 1000
	maxRoleBytes  = 64
)

// UseAsk is the question the State that gave evidence on a request asks
// the State that received it (art. 40(19) and (20), art. 36): what was
// done with the items it gave. Item, when set, narrows it to one item,
// by the giving State's id.
type UseAsk struct {
	ID      string `json:"id"` // the same on both nodes
	Request string `json:"request"`
	Item    string `json:"item,omitempty"`
}

// UseReport is the receiving State's answer, built by its node from its
// log with no official involved: every custody entry of each item it
// received from the asking State, each proven in that log under one
// checkpoint signed by the log's key, so that the asking State checks the
// report against the log rather than taking the receiver's word.
type UseReport struct {
	Ask     string `json:"ask"`
	Request string `json:"request"`
	// Checkpoint is the signed note every proof is under.
	Checkpoint []byte    `json:"checkpoint"`
	Items      []UseItem `json:"items"`
}

// UseItem is the custody of one item at the receiving State.
type UseItem struct {
	Item       string     `json:"item"`        // the receiving State's id
	OriginItem string     `json:"origin_item"` // the giving State's id
	Entries    []UseEntry `json:"entries"`
	// Omitted counts the entries left out to keep within MaxUseEntries:
	// the oldest after the item's arrival.
	Omitted int `json:"omitted,omitempty"`
}

// UseEntry is one custody record with its proof, and the role of the
// official who acted, which the receiving node adds from its own
// directory of officials: the record names the official's account, the
// role is the receiver's word, not proven by the log.
type UseEntry struct {
	ProvenRecord
	Role string `json:"role"`
}

// ParseUseAsk reads a use-report question strictly: known fields only,
// ids in their form.
func ParseUseAsk(data []byte) (UseAsk, error) {
	var a UseAsk
	if err := decodeStrict(data, &a); err != nil {
		return a, fmt.Errorf("not a use-report question: %w", err)
	}
	if !idPattern.MatchString(a.ID) {
		return a, fmt.Errorf("id: want a lower-case UUID")
	}
	if !idPattern.MatchString(a.Request) {
		return a, fmt.Errorf("request: want a lower-case UUID")
	}
	if a.Item != "" && !idPattern.MatchString(a.Item) {
		return a, fmt.Errorf("item: want a lower-case UUID, or none for every item")
	}
	return a, nil
}

// ParseUseReport reads a use report strictly: known fields only, ids in
// their form, at most MaxUseItems items and MaxUseEntries entries of
// bounded size, proofs of 32-byte hashes. It does not check the proofs:
// Verify does.
func ParseUseReport(data []byte) (UseReport, error) {
	var r UseReport
	if err := decodeStrict(data, &r); err != nil {
		return r, fmt.Errorf("not a use report: %w", err)
	}
	if !idPattern.MatchString(r.Ask) {
		return r, fmt.Errorf("ask: want a lower-case UUID")
	}
	if !idPattern.MatchString(r.Request) {
		return r, fmt.Errorf("request: want a lower-case UUID")
	}
	if len(r.Checkpoint) == 0 || len(r.Checkpoint) > tlog.MaxCheckpointSize {
		return r, fmt.Errorf("checkpoint: want a signed note of 1 to %d bytes", tlog.MaxCheckpointSize)
	}
	if len(r.Items) == 0 || len(r.Items) > MaxUseItems {
		return r, fmt.Errorf("items: want 1 to %d", MaxUseItems)
	}
	total := 0
	for i, it := range r.Items {
		if err := checkIDs(r.Request, it.Item); err != nil {
			return r, fmt.Errorf("item %d: %w", i+1, err)
		}
		if !idPattern.MatchString(it.OriginItem) {
			return r, fmt.Errorf("item %d: origin_item: want a lower-case UUID", i+1)
		}
		if it.Omitted < 0 || it.Omitted > 1<<30 {
			return r, fmt.Errorf("item %d: omitted out of bounds", i+1)
		}
		total += len(it.Entries)
		if len(it.Entries) == 0 || total > MaxUseEntries {
			return r, fmt.Errorf("item %d: want 1 entry or more, and at most %d in the report", i+1, MaxUseEntries)
		}
		for j, e := range it.Entries {
			if len(e.Record) == 0 || len(e.Record) > maxRecordBytes || e.Index < 0 || len(e.Proof) > maxProofHashes {
				return r, fmt.Errorf("item %d entry %d: bytes, index or proof out of bounds", i+1, j+1)
			}
			if len(e.Role) > maxRoleBytes || strings.ContainsFunc(e.Role, func(r rune) bool { return r < ' ' || r == 0x7f }) {
				return r, fmt.Errorf("item %d entry %d: role: at most %d printable bytes", i+1, j+1, maxRoleBytes)
			}
			for _, h := range e.Proof {
				if len(h) != tlog.HashSize {
					return r, fmt.Errorf("item %d entry %d: a proof hash of %d bytes, want %d", i+1, j+1, len(h), tlog.HashSize)
				}
			}
		}
	}
	return r, nil
}

// ErrUseReport is wrapped by every error of Verify: the report does not
// prove what it claims, and is refused.
var ErrUseReport = errors.New("the use report does not verify against the receiving State's log")

// Verify checks r as the giving State must before it believes it: it
// answers ask; its checkpoint is signed by vkey, the log key of receiver;
// each item is one giver gave on the request (given reports whether the
// giving State's id is one of its items sent on it), listed once, and
// within the ask; every entry is a record of receiver's view about the
// item it is listed under, placed by its proof under the checkpoint; and
// each item's entries include its arrival from giver as that item, which
// binds the receiver's id to the giver's. It returns the checkpoint, and
// an error wrapping ErrUseReport that names the first item and entry that
// fails.
//
// Inclusion proves that each entry is in the receiver's log; it cannot
// prove that no entry was left out. A later report whose checkpoint is
// larger shows what came since.
func (r UseReport) Verify(ask UseAsk, vkey, receiver, giver string, given func(originItem string) bool) (tlog.Checkpoint, error) {
	bad := func(format string, a ...any) (tlog.Checkpoint, error) {
		return tlog.Checkpoint{}, fmt.Errorf("%w: "+format, append([]any{ErrUseReport}, a...)...)
	}
	if r.Ask != ask.ID || r.Request != ask.Request {
		return bad("it answers question %s on request %s, not %s on %s", r.Ask, r.Request, ask.ID, ask.Request)
	}
	cp, _, err := tlog.ParseCheckpoint(r.Checkpoint, vkey)
	if err != nil {
		return bad("the checkpoint is not one %s's log signed: %v", receiver, err)
	}
	seen := map[string]bool{}
	for i, it := range r.Items {
		switch {
		case ask.Item != "" && it.OriginItem != ask.Item:
			return bad("item %d is %s's item %s, not the one asked about, %s", i+1, giver, it.OriginItem, ask.Item)
		case !given(it.OriginItem):
			return bad("item %d names %s's item %s, which %s did not send on request %s", i+1, giver, it.OriginItem, giver, r.Request)
		case seen[it.OriginItem] || seen[it.Item]:
			return bad("item %d (%s) is listed twice", i+1, it.OriginItem)
		}
		seen[it.OriginItem], seen[it.Item] = true, true
		arrived := false
		for j, e := range it.Entries {
			p, err := auditlog.Parse(e.Record)
			if err != nil {
				return bad("item %d entry %d is not an audit record: %v", i+1, j+1, err)
			}
			if p.Subject != Subject(it.Item) || p.State != receiver {
				return bad("item %d entry %d (%s) is about %s in the view of %s, not item %s of %s", i+1, j+1, p.Action, p.Subject, p.State, it.Item, receiver)
			}
			proof := make([]tlog.Hash, len(e.Proof))
			for k, h := range e.Proof {
				copy(proof[k][:], h)
			}
			if err := tlog.VerifyInclusion(proof, cp.Size, cp.Root, e.Index, tlog.LeafHash(tlog.Entry(e.Record))); err != nil {
				return bad("item %d entry %d (%s) is not at index %d of %s's log of %d records: %v", i+1, j+1, p.Action, e.Index, receiver, cp.Size, err)
			}
			if p.Action == ActionIncoming {
				var d struct {
					From       string `json:"from"`
					OriginItem string `json:"origin_item"`
					Request    string `json:"request"`
				}
				if json.Unmarshal(p.Detail, &d) == nil && d.From == giver && d.OriginItem == it.OriginItem && d.Request == r.Request {
					arrived = true
				}
			}
		}
		if !arrived {
			return bad("item %d: no entry is its arrival from %s as item %s of request %s", i+1, giver, it.OriginItem, r.Request)
		}
	}
	return cp, nil
}
