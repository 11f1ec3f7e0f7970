package node

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"entraide/internal/auditlog"
	"entraide/internal/casework"
	"entraide/internal/convention"
	"entraide/internal/evidence"
	"entraide/internal/identity"
	"entraide/internal/store"
	"entraide/internal/tlog"
)

// Messages of a use report: the State that gave evidence on a request
// asks the State that received it what was done with it, and the
// receiving node answers from its log, with no official involved. They
// queue with the request's other messages.
const (
	MsgEvidenceUseAsk    = "evidence.use_ask"
	MsgEvidenceUseReport = "evidence.use_report"
)

// useReportRef is the provision a use report serves: what is given is
// used only as the giving State allows (art. 40(19)), kept confidential
// (art. 40(20)), and protected as personal data (art. 36).
var useReportRef = convention.Art(40).Para(19)

func useErr(kind error, field, format string, args ...any) error {
	return &casework.Error{Kind: kind, Problems: convention.Problems{{Field: field, Ref: useReportRef, Message: fmt.Sprintf(format, args...)}}}
}

// UseReport is a use report as the State that asked it reads it: the
// question, and once the answer arrived, whether it verified against the
// other State's log and what it says was done with each item. The
// entries name the role of the official who acted, never the official.
type UseReport struct {
	ID             string          `json:"id"`
	Request        string          `json:"request"`
	Item           string          `json:"item,omitempty"` // your item asked about; none for every item you gave
	AskedOf        string          `json:"asked_of"`
	AskedBy        string          `json:"asked_by"`
	AskedAt        time.Time       `json:"asked_at"`
	Status         string          `json:"status"` // asked, verified, refused or unanswered
	AnsweredAt     *time.Time      `json:"answered_at,omitempty"`
	Verified       bool            `json:"verified"`
	Problem        string          `json:"problem,omitempty"`
	CheckpointSize int64           `json:"checkpoint_size,omitempty"`
	Items          []UseReportItem `json:"items,omitempty"`
}

// UseReportItem is what the other State's log says of one of your items.
type UseReportItem struct {
	Item      string           `json:"item"` // your id
	Name      string           `json:"name"`
	TheirItem string           `json:"their_item"`
	Omitted   int              `json:"omitted,omitempty"`
	Entries   []UseReportEntry `json:"entries"`
}

// UseReportEntry is one custody entry of the other State: what was done,
// when, by an official of what role (or by a node), and where it is in
// that State's log.
type UseReportEntry struct {
	At         time.Time `json:"at"`
	Action     string    `json:"action"`
	ActorState string    `json:"actor_state"`
	Role       string    `json:"role"`
	LeafIndex  int64     `json:"leaf_index"`
	// To names the State an item was passed on to, for a transfer.
	To string `json:"to,omitempty"`
}

// RoleNode is the role a use report gives an entry made by a node itself
// (on delivery, on receipt, on expiry), not by an official.
const RoleNode = "node"

// AskUseReport asks the State that received the evidence by's State gave
// on request requestID what was done with it: every item given on the
// request, or item alone (by's id). Only the requested State asks, about
// the items it sent; the question travels through the outbox, and the
// other node answers by itself.
func (n *Node) AskUseReport(ctx context.Context, by casework.Actor, requestID, item string) (UseReport, error) {
	if !by.Role.Can(identity.ActOnRequests) {
		return UseReport{}, forbidden("role", "the %s role may not ask for use reports", by.Role)
	}
	r, err := n.evidenceRequest(ctx, by, requestID)
	if err != nil {
		return UseReport{}, err
	}
	if r.RequestedState != by.State {
		return UseReport{}, useErr(casework.ErrConflict, "request", "%s gave no evidence on request %s: a use report is asked by the State that gave it (%s), of the State that received it", by.State, r.ID, r.RequestedState)
	}
	given, err := n.givenItems(ctx, by.State, r.ID)
	if err != nil {
		return UseReport{}, err
	}
	if item != "" {
		if _, ok := given[item]; !ok {
			return UseReport{}, useErr(casework.ErrConflict, "item", "item %s of request %s was not sent to %s: list the request's evidence (entraide evidence list %s) and ask about an item sent, or about them all", item, r.ID, r.RequestingState, r.ID)
		}
	} else if len(given) == 0 {
		return UseReport{}, useErr(casework.ErrConflict, "request", "no item of request %s was sent to %s: there is nothing to report on until one is (entraide evidence send)", r.ID, r.RequestingState)
	}
	to := r.RequestingState
	local := slices.Contains(n.hosted, to)
	if !local {
		if _, err := n.peer(ctx, to); errors.Is(err, store.ErrNotFound) {
			return UseReport{}, noRoute(to)
		} else if err != nil {
			return UseReport{}, err
		}
		if by.State != n.home {
			return UseReport{}, forbidden("state", "%s is hosted on %s's node for trials and cannot reach other States' nodes", by.State, n.home)
		}
	}
	ask := evidence.UseAsk{ID: newID(), Request: r.ID, Item: item}
	payload, err := json.Marshal(ask)
	if err != nil {
		return UseReport{}, err
	}
	now := n.now()
	u := store.UseReport{ID: ask.ID, State: by.State, RequestID: r.ID, ItemID: item, Peer: to, AskedBy: by.ID, AskedAt: now, Status: store.UseAsked}
	err = n.db.Tx(ctx, func(tx *store.Tx) error {
		if err := tx.InsertUseReport(ctx, u); err != nil {
			return err
		}
		if err := audit(ctx, tx, n.home, by.State, by, now, evidence.ActionUseReportAsk, "request/"+r.ID,
			map[string]any{"ask": ask.ID, "request": r.ID, "item": item, "asked_of": to}); err != nil {
			return err
		}
		if local {
			return n.markAsked(ctx, tx, to, by.State, ask, casework.Actor{ID: by.ID, State: by.State}, now)
		}
		priority := 0
		if r.Pressing() {
			priority = 1
		}
		tx.AfterCommit(n.wake)
		return tx.Enqueue(ctx, store.OutboxEntry{ID: newID(), Recipient: to, Type: MsgEvidenceUseAsk, RequestID: r.ID, Envelope: payload, CreatedAt: now, Priority: priority})
	})
	if err != nil {
		return UseReport{}, err
	}
	if local {
		// The State asked is hosted here: its answer is built and checked
		// as a peer's would be, from this node's own log.
		if err := n.answerLocally(ctx, u, ask); err != nil {
			return UseReport{}, err
		}
	}
	return n.UseReport(ctx, by, r.ID, ask.ID)
}

// answerLocally answers question ask of u, asked of a State hosted on this
// node, from the log, and records the answer as one from a peer.
func (n *Node) answerLocally(ctx context.Context, u store.UseReport, ask evidence.UseAsk) error {
	rep, err := n.buildUseReport(ctx, u.Peer, u.State, ask)
	if err != nil {
		return err
	}
	raw, err := json.Marshal(rep)
	if err != nil {
		return err
	}
	lk, err := n.LogKey(ctx)
	if err != nil {
		return err
	}
	return n.db.Tx(ctx, func(tx *store.Tx) error {
		return n.recordUseAnswer(ctx, tx, u, raw, rep, lk.VerifierKey, n.now())
	})
}

// givenItems returns the items of state's view of request requestID that
// were sent to the other State, by id: those a use report is about.
func (n *Node) givenItems(ctx context.Context, state, requestID string) (map[string]evidence.Item, error) {
	items, err := n.db.EvidenceItems(ctx, state, requestID)
	if err := n.readable(ctx, err); err != nil {
		return nil, err
	}
	given := map[string]evidence.Item{}
	for _, it := range items {
		if it.Origin != nil {
			continue
		}
		if at, err := n.lastTransfer(ctx, it); err != nil {
			return nil, err
		} else if at != "" {
			given[it.ID] = it
		}
	}
	return given, nil
}

// heldFrom returns the items of holder's view of request requestID that
// giver sent (only originItem, by giver's id, if set), kept on arrival.
func (n *Node) heldFrom(ctx context.Context, holder, giver, requestID, originItem string) ([]evidence.Item, error) {
	items, err := n.db.EvidenceItems(ctx, holder, requestID)
	if err := n.readable(ctx, err); err != nil {
		return nil, err
	}
	var held []evidence.Item
	for _, it := range items {
		if it.Origin == nil || it.Origin.State != giver || it.Status == evidence.Refused {
			continue
		}
		if originItem != "" && it.Origin.Item != originItem {
			continue
		}
		held = append(held, it)
	}
	if len(held) > evidence.MaxUseItems {
		held = held[:evidence.MaxUseItems]
	}
	return held, nil
}

// receiveUseAsk answers a question from sender about the evidence it gave
// on a request: the node records in each item's custody that it was
// asked, and queues the report, built from the log when it is sent. A
// question about anything sender did not give gets the same refusal
// whatever the reason, so that it learns nothing of what this node
// holds, and the refusal is audited as sender's.
func (n *Node) receiveUseAsk(ctx context.Context, sender string, a evidence.UseAsk, now time.Time, inbound func(*store.Tx) error) error {
	nothing := reject("%s holds no evidence that %s gave on request %s%s: a use report covers only what the asking State gave", n.home, sender, a.Request, map[bool]string{true: " as item " + a.Item, false: ""}[a.Item != ""])
	r, err := n.db.Request(ctx, n.home, a.Request)
	if errors.Is(err, casework.ErrNotFound) || err == nil && (r.RequestedState != sender || r.RequestingState != n.home) {
		return nothing
	}
	if err != nil {
		return err
	}
	held, err := n.heldFrom(ctx, n.home, sender, r.ID, a.Item)
	if err != nil {
		return err
	}
	if len(held) == 0 {
		return nothing
	}
	raw, err := json.Marshal(a)
	if err != nil {
		return err
	}
	return n.db.Tx(ctx, func(tx *store.Tx) error {
		if err := inbound(tx); err != nil {
			return err
		}
		if err := n.markAsked(ctx, tx, n.home, sender, a, casework.Actor{ID: "peer", State: sender}, now); err != nil {
			return err
		}
		priority := 0
		if r.Pressing() {
			priority = 1
		}
		tx.AfterCommit(n.wake)
		return tx.Enqueue(ctx, store.OutboxEntry{ID: newID(), Recipient: sender, Type: MsgEvidenceUseReport, RequestID: r.ID, Envelope: raw, CreatedAt: now, Priority: priority})
	})
}

// markAsked records in the custody of each of holder's items that giver
// gave, within ask, that giver asked what was done with it.
func (n *Node) markAsked(ctx context.Context, tx *store.Tx, holder, giver string, ask evidence.UseAsk, by casework.Actor, now time.Time) error {
	held, err := n.heldFrom(ctx, holder, giver, ask.Request, ask.Item)
	if err != nil {
		return err
	}
	for _, it := range held {
		if err := audit(ctx, tx, n.home, holder, by, now, evidence.ActionUseReportAsked, evidence.Subject(it.ID),
			evidenceDetail(it, map[string]any{"from": giver, "ask": ask.ID, "origin_item": it.Origin.Item})); err != nil {
			return err
		}
	}
	return nil
}

// useReportPayload is the use report the outbox entry's question asks
// for, built from the log as it is sent to recipient.
func (n *Node) useReportPayload(ctx context.Context, recipient string, ref []byte) ([]byte, error) {
	a, err := evidence.ParseUseAsk(ref)
	if err != nil {
		return nil, err
	}
	rep, err := n.buildUseReport(ctx, n.home, recipient, a)
	if err != nil {
		return nil, err
	}
	return json.Marshal(rep)
}

// buildUseReport answers ask of giver from holder's custody of the items
// giver gave: every record but those of stored pieces, each with its
// inclusion proof under one signed checkpoint, and the role of whoever
// acted. The log is integrated first, so that every record committed
// before, the asking among them, is in it.
//
// An entry names the official's account as the record does, for the
// proof is over the record's bytes; the role is what the asking State's
// officials see: who in the receiving State did what is that State's
// business, and its officials' identities are personal data (art. 36)
// the giving State needs not to check the use of what it gave.
func (n *Node) buildUseReport(ctx context.Context, holder, giver string, ask evidence.UseAsk) (evidence.UseReport, error) {
	rep := evidence.UseReport{Ask: ask.ID, Request: ask.Request}
	head, err := n.IntegrateLog(ctx)
	if err != nil {
		return rep, fmt.Errorf("integrating the log: %w", err)
	}
	if len(head.Checkpoint) == 0 {
		return rep, ErrNoCheckpoint
	}
	held, err := n.heldFrom(ctx, holder, giver, ask.Request, ask.Item)
	if err != nil {
		return rep, err
	}
	if len(held) == 0 {
		return rep, reject("%s holds no evidence that %s gave on request %s", holder, giver, ask.Request)
	}
	budget := evidence.MaxUseEntries / len(held)
	type chosen struct {
		it      evidence.Item
		entries []store.AuditEntry
		parsed  []auditlog.Parsed
		omitted int
	}
	var all []chosen
	var last int64 = -1
	for _, it := range held {
		entries, err := n.db.Custody(ctx, holder, evidence.Subject(it.ID))
		if err := n.readable(ctx, err); err != nil {
			return rep, err
		}
		c := chosen{it: it}
		for _, e := range entries {
			if e.Unreadable != "" || e.LeafIndex == nil || *e.LeafIndex >= head.Size {
				continue // a later step, or a record the node cannot read: not in this report
			}
			p, err := auditlog.Parse(e.Record)
			if err != nil || !evidence.Shipped(p.Action) {
				continue
			}
			c.entries, c.parsed = append(c.entries, e), append(c.parsed, p)
		}
		if len(c.entries) > budget {
			// The arrival binds the item to the giver's: it stays, with
			// the newest entries after it.
			c.omitted = len(c.entries) - budget
			keep := len(c.entries) - (budget - 1)
			c.entries = append(c.entries[:1:1], c.entries[keep:]...)
			c.parsed = append(c.parsed[:1:1], c.parsed[keep:]...)
		}
		for _, e := range c.entries {
			last = max(last, *e.LeafIndex)
		}
		if len(c.entries) > 0 {
			all = append(all, c)
		}
	}
	hashes := n.db.LogHashes(ctx)
	size, signed := n.proofCheckpoint(ctx, head, hashes, last)
	rep.Checkpoint = signed
	roles := map[string]string{}
	for _, c := range all {
		ui := evidence.UseItem{Item: c.it.ID, OriginItem: c.it.Origin.Item, Omitted: c.omitted}
		for i, e := range c.entries {
			proof, err := tlog.InclusionProof(*e.LeafIndex, size, hashes)
			if err != nil {
				return rep, fmt.Errorf("custody record %d of item %s: %w", e.Seq, c.it.ID, err)
			}
			pe := evidence.UseEntry{ProvenRecord: evidence.ProvenRecord{Record: e.Record, Index: *e.LeafIndex, Proof: make([][]byte, len(proof))},
				Role: n.actorRole(ctx, holder, c.parsed[i], roles)}
			for k := range proof {
				pe.Proof[k] = proof[k][:]
			}
			ui.Entries = append(ui.Entries, pe)
		}
		rep.Items = append(rep.Items, ui)
	}
	return rep, nil
}

// actorRole is the role of the official who made record p of holder's
// view, as holder's directory of officials says now; RoleNode for a node's
// own doing, whether this one's or another's.
func (n *Node) actorRole(ctx context.Context, holder string, p auditlog.Parsed, cache map[string]string) string {
	switch {
	case p.Actor == "system" || p.Actor == "peer" || p.Actor == "cli" || p.ActorState != holder:
		return RoleNode
	}
	if r, ok := cache[p.Actor]; ok {
		return r
	}
	role := "official"
	if u, err := n.db.User(ctx, holder, p.Actor); err == nil {
		role = string(u.Role)
	}
	cache[p.Actor] = role
	return role
}

// receiveUseReport checks the answer sender gave to a question this node
// asked against sender's log key, and keeps it with what the check found:
// a report that does not verify is kept as refused, naming the first item
// and entry that failed, and none of it is shown as fact. An answer to no
// question this node asked of sender is refused.
func (n *Node) receiveUseReport(ctx context.Context, sender string, raw []byte, rep evidence.UseReport, now time.Time, inbound func(*store.Tx) error) error {
	u, err := n.db.UseReportByID(ctx, n.home, rep.Ask)
	if errors.Is(err, store.ErrNotFound) || err == nil && (u.Peer != sender || u.RequestID != rep.Request) {
		return reject("%s asked %s no use report %s on request %s", n.home, sender, rep.Ask, rep.Request)
	}
	if err != nil {
		return err
	}
	if u.Status != store.UseAsked {
		return n.db.Tx(ctx, inbound) // answered before, under another message id
	}
	vkey := ""
	if peer, err := n.peer(ctx, sender); err == nil && peer.Log != nil {
		vkey = peer.Log.VerifierKey
	} else if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	return n.db.Tx(ctx, func(tx *store.Tx) error {
		if err := inbound(tx); err != nil {
			return err
		}
		return n.recordUseAnswer(ctx, tx, u, raw, rep, vkey, now)
	})
}

// recordUseAnswer checks rep, the answer to question u that arrived as
// raw, against vkey, the log key of the State asked, and keeps it,
// verified or refused, audited in tx.
func (n *Node) recordUseAnswer(ctx context.Context, tx *store.Tx, u store.UseReport, raw []byte, rep evidence.UseReport, vkey string, now time.Time) error {
	given, err := n.givenItems(ctx, u.State, u.RequestID)
	if err != nil {
		return err
	}
	ask := evidence.UseAsk{ID: u.ID, Request: u.RequestID, Item: u.ItemID}
	cp, verr := rep.Verify(ask, vkey, u.Peer, u.State, func(id string) bool { _, ok := given[id]; return ok })
	if vkey == "" {
		verr = fmt.Errorf("%w: %s's descriptor names no log key to check it with: ask %s for a descriptor that does (entraide peer add), then ask again", evidence.ErrUseReport, u.Peer, u.Peer)
	}
	entries := 0
	for _, it := range rep.Items {
		entries += len(it.Entries)
	}
	sum := sha256.Sum256(raw)
	answer := store.UseReport{Status: store.UseVerified, AnsweredAt: now, LogKey: vkey, CheckpointSize: cp.Size, Report: raw}
	action := evidence.ActionUseReportVerified
	detail := map[string]any{"ask": u.ID, "request": u.RequestID, "from": u.Peer, "items": len(rep.Items), "entries": entries,
		"checkpoint_size": cp.Size, "report_sha256": hex.EncodeToString(sum[:])}
	if verr != nil {
		answer.Status, answer.Problem, action = store.UseRefused, verr.Error(), evidence.ActionUseReportRefused
		detail["problem"] = store.ClipText(verr.Error(), store.MaxErrorText)
	}
	ok, err := tx.AnswerUseReport(ctx, u.State, u.ID, answer)
	if err != nil || !ok {
		return err
	}
	return audit(ctx, tx, n.home, u.State, casework.Actor{ID: "peer", State: u.Peer}, now, action, "request/"+u.RequestID, detail)
}

// useAskUndelivered records, in tx, that the question of outbox entry m
// will not be answered: the other node refused it, or it could not be
// delivered, for why.
func (n *Node) useAskUndelivered(ctx context.Context, tx *store.Tx, m store.OutboxEntry, why string, now time.Time) error {
	a, err := evidence.ParseUseAsk(m.Envelope)
	if err != nil {
		return nil // not a question this node wrote: nothing to record
	}
	ok, err := tx.AnswerUseReport(ctx, n.home, a.ID, store.UseReport{Status: store.UseUnanswered, AnsweredAt: now, Problem: why})
	if err != nil || !ok {
		return err
	}
	return audit(ctx, tx, n.home, n.home, casework.System(n.home), now, evidence.ActionUseReportUnanswered, "request/"+a.Request,
		map[string]any{"ask": a.ID, "request": a.Request, "asked_of": m.Recipient, "why": store.ClipText(why, store.MaxErrorText)})
}

// UseReports returns the use reports by's State asked on request
// requestID, newest first.
func (n *Node) UseReports(ctx context.Context, by casework.Actor, requestID string) ([]UseReport, error) {
	r, err := n.evidenceRequest(ctx, by, requestID)
	if err != nil {
		return nil, err
	}
	list, err := n.db.UseReports(ctx, by.State, r.ID)
	if err := n.readable(ctx, err); err != nil {
		return nil, err
	}
	out := make([]UseReport, 0, len(list))
	for _, u := range list {
		v, err := n.useReportView(ctx, u)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// UseReport returns use report id of request requestID in by's view, or
// casework.ErrNotFound.
func (n *Node) UseReport(ctx context.Context, by casework.Actor, requestID, id string) (UseReport, error) {
	r, err := n.evidenceRequest(ctx, by, requestID)
	if err != nil {
		return UseReport{}, err
	}
	u, err := n.db.UseReportByID(ctx, by.State, id)
	if errors.Is(err, store.ErrNotFound) || err == nil && u.RequestID != r.ID {
		return UseReport{}, casework.ErrNotFound
	}
	if err != nil {
		return UseReport{}, err
	}
	return n.useReportView(ctx, u)
}

// useReportView is u as an official reads it: the entries of a verified
// report, by item, each named as the asking State names it.
func (n *Node) useReportView(ctx context.Context, u store.UseReport) (UseReport, error) {
	v := UseReport{ID: u.ID, Request: u.RequestID, Item: u.ItemID, AskedOf: u.Peer, AskedBy: u.AskedBy, AskedAt: u.AskedAt,
		Status: u.Status, Verified: u.Status == store.UseVerified, Problem: u.Problem, CheckpointSize: u.CheckpointSize}
	if !u.AnsweredAt.IsZero() {
		at := u.AnsweredAt
		v.AnsweredAt = &at
	}
	if !v.Verified {
		return v, nil
	}
	rep, err := evidence.ParseUseReport(u.Report)
	if err != nil {
		return v, fmt.Errorf("stored use report %s: %w", u.ID, err)
	}
	for _, it := range rep.Items {
		ri := UseReportItem{Item: it.OriginItem, TheirItem: it.Item, Omitted: it.Omitted}
		if mine, err := n.db.Evidence(ctx, u.State, it.OriginItem); err == nil {
			ri.Name = mine.Name
		}
		for _, e := range it.Entries {
			p, err := auditlog.Parse(e.Record)
			if err != nil {
				return v, fmt.Errorf("stored use report %s: %w", u.ID, err)
			}
			ue := UseReportEntry{At: p.At, Action: p.Action, ActorState: p.ActorState, Role: e.Role, LeafIndex: e.Index}
			if p.Action == evidence.ActionTransfer || p.Action == evidence.ActionTransferred {
				var d struct {
					To string `json:"to"`
				}
				if json.Unmarshal(p.Detail, &d) == nil && len(d.To) <= 8 {
					ue.To = d.To
				}
			}
			ri.Entries = append(ri.Entries, ue)
		}
		v.Items = append(v.Items, ri)
	}
	return v, nil
}
