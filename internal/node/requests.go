package node

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"entraide/internal/auditlog"
	"entraide/internal/casework"
	"entraide/internal/convention"
	"entraide/internal/directory"
	"entraide/internal/store"
)

// ErrNoRoute is returned when a request is sent to a State whose node this
// one does not know.
var ErrNoRoute = errors.New("no route to the requested State")

// CreateRequest drafts a request from by's State. The contents must
// conform to the Convention; every problem is returned at once as
// convention.Problems.
func (n *Node) CreateRequest(ctx context.Context, by casework.Actor, d casework.Contents) (*casework.Request, error) {
	r, _, err := n.CreateRequestJSON(ctx, by, d)
	return r, err
}

// CreateRequestJSON is CreateRequest that also returns the request's
// JSON, as json.Marshal writes it and as it is stored: an answer that
// carries it need not encode it again.
func (n *Node) CreateRequestJSON(ctx context.Context, by casework.Actor, d casework.Contents) (*casework.Request, []byte, error) {
	r, rows, err := n.draftRows(by, d)
	if err != nil {
		return nil, nil, err
	}
	if r.FollowUpOf == "" {
		err = n.db.CreateRequest(ctx, rows)
	} else {
		err = n.createFollowUp(ctx, by, r, rows)
	}
	if err != nil {
		return nil, nil, err
	}
	return r, rows.Body(), nil
}

// draftRows checks a draft of by's and returns the request and the rows
// its creation writes, audit record included, for a caller that stores
// them in a transaction of its own.
func (n *Node) draftRows(by casework.Actor, d casework.Contents) (*casework.Request, *store.RequestCreation, error) {
	if err := casework.CanDraft(d.Kind, by); err != nil {
		return nil, nil, err
	}
	if ps := d.Validate(by.State); len(ps) > 0 {
		return nil, nil, ps
	}
	now := n.now()
	r := casework.New(d, newID(), by.State, by.ID, now)
	e := casework.Event{RequestID: r.ID, At: now, Actor: by.ID, ActorState: by.State, Action: casework.Create, To: casework.Draft}
	rows, err := store.NewRequestCreation(&r, e, auditlog.Record{At: now, Node: n.home, State: r.Holder, ActorState: by.State, Actor: by.ID,
		Action: "request.create", Subject: "request/" + r.ID, Detail: map[string]any{
			"kind": r.Kind, "requesting_state": r.RequestingState, "requested_state": r.RequestedState, "urgency": r.Urgency}})
	if err != nil {
		return nil, nil, err
	}
	return &r, rows, nil
}

// createFollowUp stores a follow-up r of a preservation of by's State,
// which must be one asked of the same State.
func (n *Node) createFollowUp(ctx context.Context, by casework.Actor, r *casework.Request, rows *store.RequestCreation) error {
	return n.db.Tx(ctx, func(tx *store.Tx) error {
		p, err := tx.RequestForUpdate(ctx, by.State, r.FollowUpOf)
		if errors.Is(err, casework.ErrNotFound) {
			return convention.Problems{{Field: "follow_up_of", Ref: convention.Art(42), Message: "no preservation " + r.FollowUpOf + " among your State's requests"}}
		}
		if err != nil {
			return err
		}
		if p.Kind != convention.Preservation || p.RequestedState != r.RequestedState {
			return convention.Problems{{Field: "follow_up_of", Ref: convention.Art(42), Message: "request " + p.ID + " is not a preservation asked of " + r.RequestedState}}
		}
		return tx.CreateRequest(ctx, rows)
	})
}

// Request returns by's State's view of request id and its timeline. The
// events that could not be read are left out of the timeline, and named
// in a store.Partial error returned with it.
func (n *Node) Request(ctx context.Context, by casework.Actor, id string) (*casework.Request, []casework.Event, error) {
	r, err := n.db.Request(ctx, by.State, id)
	if err != nil {
		return nil, nil, err
	}
	if !casework.CanRead(r, by) {
		// A role that may not read requests learns nothing of their
		// existence either.
		return nil, nil, casework.ErrNotFound
	}
	if err := screeningOf(ctx, n.db, r); err != nil {
		return nil, nil, err
	}
	events, err := n.db.Timeline(ctx, by.State, id)
	if err := n.readable(ctx, err); err != nil {
		return nil, nil, err
	}
	if err := n.minimiseRequest(ctx, by, r, events); err != nil {
		return nil, nil, err
	}
	return r, events, err
}

// Requests lists by's State's views of requests.
func (n *Node) Requests(ctx context.Context, by casework.Actor, f store.Filter) (store.Page, error) {
	if !casework.CanRead(&casework.Request{Holder: by.State}, by) {
		return store.Page{}, forbidden("role", "the %s role may not read requests", by.Role)
	}
	if f.Text != "" && !casework.SightOf(by.Role).Fields {
		// A search of the contents would tell what they hold.
		return store.Page{}, &casework.Error{Kind: casework.ErrForbidden, Problems: convention.Problems{{Field: "q", Ref: convention.PersonalDataRef,
			Message: fmt.Sprintf("the %s role does not see the contents of requests, so it cannot search them: filter by kind, State, state or dates, and reveal a request's contents with a reason", by.Role)}}}
	}
	p, err := n.db.Requests(ctx, by.State, f)
	if err != nil {
		return p, err
	}
	for _, r := range p.Requests {
		if err := n.minimiseRequest(ctx, by, r, nil); err != nil {
			return p, err
		}
	}
	return p, n.screeningsOf(ctx, by.State, &p)
}

// screeningsOf sets on each view of p whether it must be screened and its
// latest screening, and lists in p those that wait for a screening.
func (n *Node) screeningsOf(ctx context.Context, holder string, p *store.Page) error {
	flags, err := n.db.Flags(ctx, holder)
	if err != nil {
		return err
	}
	flagged := map[string]bool{}
	for _, f := range flags {
		flagged[f.State] = true
	}
	var ids []string
	for _, r := range p.Requests {
		if r.Holder == r.RequestedState {
			ids = append(ids, r.ID)
		}
	}
	latest, err := n.db.LatestScreenings(ctx, holder, ids)
	if err != nil {
		return err
	}
	for _, r := range p.Requests {
		if r.Holder != r.RequestedState {
			continue
		}
		r.FromFlagged, r.Screening = flagged[r.RequestingState], latest[r.ID]
		if casework.ScreeningPending(r) {
			p.ScreeningNeeded = append(p.ScreeningNeeded, r.ID)
		}
	}
	return nil
}

// Transition moves request id as t asks, on behalf of by. The change, its
// timeline event and its audit record are written in one transaction; the
// other State's view moves with it when this node holds it too.
func (n *Node) Transition(ctx context.Context, by casework.Actor, id string, t casework.Transition) (*casework.Request, error) {
	return n.TransitionAt(ctx, by, id, 0, t)
}

// StaleError is returned by TransitionAt when the request is no longer at
// the version its caller read: it moved meanwhile, and the caller's
// decision may not hold for what it is now.
type StaleError struct {
	Read, Current int
}

func (e *StaleError) Error() string {
	return fmt.Sprintf("the request is at version %d, not %d: it changed since it was read", e.Current, e.Read)
}

// maxReceiptsBehind bounds how many versions a caller may be behind
// and still act on what it read, when only receipts came meanwhile.
const maxReceiptsBehind = 20

// movedSince reports whether view r moved, since its version read, in a
// way its reader must see before acting on it. The other node's
// confirmations that it received a step (receipt, deliver) change
// nothing an official decides on, but each takes a version: without
// this, an official's second action in a row would nearly always be
// refused, as the first one's receipt came back while they read.
func movedSince(ctx context.Context, tx *store.Tx, r *casework.Request, read int) (bool, error) {
	behind := r.Version - read
	if read > r.Version || behind > maxReceiptsBehind {
		return true, nil
	}
	actions, err := tx.LatestActions(ctx, r.Holder, r.ID, behind)
	if err != nil {
		return false, err
	}
	if len(actions) != behind {
		return true, nil
	}
	for _, a := range actions {
		if a != casework.Receipt && a != casework.Deliver {
			return true, nil
		}
	}
	return false, nil
}

// TransitionAt is Transition for a caller that read the request at
// version: nothing moves, and the error is a *StaleError, if by's view of
// it is at another. Version 0 moves it whatever its version.
func (n *Node) TransitionAt(ctx context.Context, by casework.Actor, id string, version int, t casework.Transition) (*casework.Request, error) {
	if t.Action == casework.Send {
		// A request carries its attachments to its requested State: one
		// that another State gave under conditions barring it goes only
		// with that State's consent. Checked before the transaction, so
		// that the refusal stays in the item's custody.
		if r, err := n.db.Request(ctx, by.State, id); err == nil && casework.CanRead(r, by) {
			if err := n.checkAttachments(ctx, by, r); err != nil {
				return nil, err
			}
			if err := n.checkFreezingSend(ctx, by, r); err != nil {
				return nil, err
			}
		}
	}
	var out *casework.Request
	err := n.db.Tx(ctx, func(tx *store.Tx) error {
		views, err := n.lockViews(ctx, tx, id)
		if err != nil {
			return err
		}
		r, ok := views[by.State]
		if !ok || (version != 0 && !casework.CanRead(r, by)) {
			return casework.ErrNotFound
		}
		if version != 0 && r.Version != version {
			moved, err := movedSince(ctx, tx, r, version)
			if err != nil {
				return err
			}
			if moved {
				return &StaleError{Read: version, Current: r.Version}
			}
		}
		var preservations map[string]*casework.Request
		if r.FollowUpOf != "" {
			// Sending a follow-up, or deciding it, moves the preservation
			// too: lock its views now, before any audit record, for the
			// same reason.
			if preservations, err = n.lockViews(ctx, tx, r.FollowUpOf); err != nil {
				return err
			}
		}
		if t.Action == casework.Refuse {
			// A refusal may rely on a reservation the refusing State made
			// (art. 42(4)); its declarations in this node's directory say
			// which.
			ds, err := n.db.Declarations(ctx, by.State)
			if err != nil {
				return err
			}
			t.Declared = directory.Reservations(ds)
		}
		if err := screeningOf(ctx, tx, r); err != nil {
			return err
		}
		now := n.now()
		e, err := casework.Decide(r, t, by, now)
		if err != nil {
			return err
		}
		counterpart := r.RequestedState
		if r.SideOf(by.State) == casework.Requested {
			counterpart = r.RequestingState
		}
		if t.Action == casework.Send {
			if err := n.checkBasis(ctx, r); err != nil {
				return err
			}
			draft := *r
			out, err = n.send(ctx, tx, r, e, by)
			var ce *casework.Error
			if errors.As(err, &ce) && errors.Is(ce.Kind, ErrNoRoute) {
				// The draft stays as it was: once the node knows a route,
				// sending it again is the next step, or any other step
				// the draft allows.
				ce.Allowed = casework.Allowed(&draft, casework.Requesting, now)
				ce.Problems[0].Message += "; then send the request again"
			}
			return err
		}
		if err := n.record(ctx, tx, by, r, e); err != nil {
			return err
		}
		if err := n.propagate(ctx, tx, counterpart, r, e); err != nil {
			return err
		}
		if p, ok := preservations[by.State]; ok {
			// The preservation r follows up is held until r is decided
			// (art. 42(7)); the State that decides it says so on the
			// preservation's own timeline, which the other State's node
			// applies in order with the preservation's other events.
			if end, ok := casework.FollowUpDecidedEvent(p, r, by, now); ok {
				if err := n.record(ctx, tx, by, p, end); err != nil {
					return err
				}
				if err := n.propagate(ctx, tx, counterpart, p, end); err != nil {
					return err
				}
			}
		}
		out = r
		return nil
	})
	if err == nil {
		n.wake()
	}
	return out, err
}

// lockViews locks every view of request id this node holds, in the order
// of their holders, and returns them by holder. Every transaction that
// moves a request takes these locks first and the audit log's last, so
// that officials of two States moving the same request at once wait for
// each other instead of each locking their own view and then waiting for
// the other's, which PostgreSQL ends as a deadlock.
func (n *Node) lockViews(ctx context.Context, tx *store.Tx, id string) (map[string]*casework.Request, error) {
	views := map[string]*casework.Request{}
	for _, holder := range slices.Sorted(slices.Values(n.hosted)) {
		v, err := tx.RequestForUpdate(ctx, holder, id)
		if errors.Is(err, casework.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		views[holder] = v
	}
	return views, nil
}

// send records the sending of r, hands it to the requested State and links
// the preservation it follows up, if any.
func (n *Node) send(ctx context.Context, tx *store.Tx, r *casework.Request, sent casework.Event, by casework.Actor) (*casework.Request, error) {
	local := slices.Contains(n.hosted, r.RequestedState)
	if err := n.record(ctx, tx, by, r, sent); err != nil {
		return nil, err
	}
	if err := n.freezingSent(ctx, tx, r, sent); err != nil {
		return nil, err
	}
	if !local {
		// The requested State's node makes its own view when the message
		// arrives; the receipt moves ours to received.
		if err := n.enqueue(ctx, tx, r.RequestedState, MsgRequestSend, r, message{Event: sent, Request: r}); err != nil {
			return nil, err
		}
		return r, n.linkFollowUp(ctx, tx, r, by, sent.At)
	}
	// The requested State's view lives beside ours on this node.
	delivered, err := n.storeReceived(ctx, tx, r, sent, casework.System(r.RequestedState), sent.At)
	if err != nil {
		return nil, err
	}
	if err := n.record(ctx, tx, casework.System(r.RequestedState), r, delivered); err != nil {
		return nil, err
	}
	return r, n.linkFollowUp(ctx, tx, r, by, sent.At)
}

// linkFollowUp keeps the preservation r follows up preserved until r is
// decided, on both States' views.
func (n *Node) linkFollowUp(ctx context.Context, tx *store.Tx, r *casework.Request, by casework.Actor, at time.Time) error {
	if r.FollowUpOf == "" {
		return nil
	}
	p, err := tx.RequestForUpdate(ctx, by.State, r.FollowUpOf)
	if err != nil {
		return fmt.Errorf("preservation %s followed up by %s: %w", r.FollowUpOf, r.ID, err)
	}
	link, err := casework.FollowUpEvent(p, r, by, at)
	if err != nil {
		return err
	}
	if err := n.record(ctx, tx, by, p, link); err != nil {
		return err
	}
	return n.propagate(ctx, tx, p.RequestedState, p, link)
}

// record applies e to r, stores both, and audits the change.
func (n *Node) record(ctx context.Context, tx *store.Tx, by casework.Actor, r *casework.Request, e casework.Event) error {
	read := r.Version
	casework.ApplyEvent(r, e)
	if err := tx.UpdateRequest(ctx, r, read); err != nil {
		return err
	}
	if err := tx.AppendEvent(ctx, r.Holder, e); err != nil {
		return err
	}
	if err := audit(ctx, tx, n.home, r.Holder, by, e.At, "request."+string(e.Action), "request/"+r.ID+"@"+r.Holder, e); err != nil {
		return err
	}
	if err := n.resolveAlerts(ctx, tx, r, e); err != nil {
		return err
	}
	if err := n.bindAnswer(ctx, tx, r, e); err != nil {
		return err
	}
	return n.alertAnswer(ctx, tx, r, e)
}

// propagate carries e, an event of r, to the other State's view: here if
// this node holds it, through the outbox otherwise. A draft has no other
// view.
func (n *Node) propagate(ctx context.Context, tx *store.Tx, holder string, r *casework.Request, e casework.Event) error {
	if e.From == casework.Draft {
		return nil
	}
	if slices.Contains(n.hosted, holder) {
		return n.mirror(ctx, tx, holder, e)
	}
	return n.enqueue(ctx, tx, holder, MsgRequestEvent, r, message{Event: e})
}

// mirror moves holder's view of e's request, if this node holds it.
func (n *Node) mirror(ctx context.Context, tx *store.Tx, holder string, e casework.Event) error {
	if !slices.Contains(n.hosted, holder) {
		return nil
	}
	v, err := tx.RequestForUpdate(ctx, holder, e.RequestID)
	if errors.Is(err, casework.ErrNotFound) {
		return nil // a draft the other State has not received
	}
	if err != nil {
		return err
	}
	return n.record(ctx, tx, casework.Actor{ID: e.Actor, State: e.ActorState}, v, e)
}
