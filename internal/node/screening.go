package node

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"entraide/internal/casework"
	"entraide/internal/convention"
	"entraide/internal/directory"
	"entraide/internal/identity"
	"entraide/internal/store"
)

// The screening of requests for human rights is the requested State's
// own: its flags and its findings are read and written for the acting
// official's State, and never enqueued for another node. The requesting
// State learns what follows from a screening (a consultation, a refusal
// with its grounds and reasons), not that one was made: a screening of a
// request from a flagged State would tell it that it is flagged.

// screeningOf sets on r, holder's view, whether it must be screened and
// its latest screening, as read by q.
func screeningOf(ctx context.Context, q screeningReader, r *casework.Request) error {
	if r.Holder != r.RequestedState {
		return nil
	}
	flagged, err := q.Flagged(ctx, r.Holder, r.RequestingState)
	if err != nil {
		return err
	}
	r.FromFlagged = flagged
	r.Screening, err = q.LatestScreening(ctx, r.Holder, r.ID)
	return err
}

// screeningReader is what screeningOf reads, in a transaction or not.
type screeningReader interface {
	Flagged(ctx context.Context, holder, state string) (bool, error)
	LatestScreening(ctx context.Context, holder, id string) (*casework.Screening, error)
}

// Screen records by's screening of request id, which their State was
// asked, and audits it in the same transaction. The screening and its
// findings stay on this node. A screening that does not conform is
// returned as convention.Problems; one by a role or a State that may not
// screen as a *casework.Error.
func (n *Node) Screen(ctx context.Context, by casework.Actor, id string, s convention.Screening) (casework.Screening, error) {
	var out casework.Screening
	err := n.db.Tx(ctx, func(tx *store.Tx) error {
		r, err := tx.RequestForUpdate(ctx, by.State, id)
		if err != nil {
			return err
		}
		if !casework.CanRead(r, by) {
			return casework.ErrNotFound
		}
		now := n.now()
		out, err = casework.Screen(r, s, by, newID(), now)
		if err != nil {
			return err
		}
		if err := tx.AddScreening(ctx, by.State, out); err != nil {
			return err
		}
		return audit(ctx, tx, n.home, by.State, by, now, "request.screen", "request/"+r.ID+"@"+r.Holder, out)
	})
	return out, err
}

// Screenings returns by's State's screenings of request id, oldest first.
func (n *Node) Screenings(ctx context.Context, by casework.Actor, id string) ([]casework.Screening, error) {
	r, err := n.db.Request(ctx, by.State, id)
	if err != nil {
		return nil, err
	}
	if !casework.CanRead(r, by) {
		return nil, casework.ErrNotFound
	}
	out, err := n.db.Screenings(ctx, by.State, id)
	if err != nil {
		return nil, err
	}
	s, err := n.sightOf(ctx, by, r.ID, r.PersonalData)
	if err != nil || s.Fields {
		return out, err
	}
	for i := range out {
		out[i] = *redactScreening(out[i])
	}
	return out, nil
}

// Flag flags state for by's State's screening: every request it sends is
// screened before execution. Flagging a State flagged already replaces
// the reason. An administrator flags for their own State only.
func (n *Node) Flag(ctx context.Context, by casework.Actor, state, reason string) (casework.Flag, error) {
	if !by.Role.Can(identity.FlagStates) {
		return casework.Flag{}, forbidden("role", "the %s role may not flag States for screening; the administrator does", by.Role)
	}
	code, ps := flaggedState(by, state)
	if p, bad := convention.CheckText("reason", convention.ScreeningRef, reason, casework.MaxTextLength); bad {
		ps = append(ps, p)
	} else if strings.TrimSpace(reason) == "" {
		ps = append(ps, convention.Problem{Field: "reason", Ref: convention.ScreeningRef, Message: "required: why every request from " + code + " is to be screened, for the officials who screen them"})
	}
	if len(ps) > 0 {
		return casework.Flag{}, ps
	}
	f := casework.Flag{State: code, Reason: reason, FlaggedBy: by.ID, FlaggedAt: n.now()}
	err := n.db.Tx(ctx, func(tx *store.Tx) error {
		if err := tx.PutFlag(ctx, by.State, f); err != nil {
			return err
		}
		return audit(ctx, tx, n.home, by.State, by, f.FlaggedAt, "screening.flag", "state/"+code, f)
	})
	return f, err
}

// Unflag lifts by's State's flag on state, and returns it. Requests from
// it of kinds not screened by nature may then start unscreened.
func (n *Node) Unflag(ctx context.Context, by casework.Actor, state string) (casework.Flag, error) {
	if !by.Role.Can(identity.FlagStates) {
		return casework.Flag{}, forbidden("role", "the %s role may not lift a flag for screening; the administrator does", by.Role)
	}
	code, ps := flaggedState(by, state)
	if len(ps) > 0 {
		// What is not flagged is not found, whatever it is.
		return casework.Flag{}, fmt.Errorf("%s is not flagged for screening (entraide screening list shows those that are): %w", state, store.ErrNotFound)
	}
	var f casework.Flag
	err := n.db.Tx(ctx, func(tx *store.Tx) error {
		var err error
		if f, err = tx.DeleteFlag(ctx, by.State, code); err != nil {
			if errors.Is(err, store.ErrNotFound) {
				return fmt.Errorf("%s is not flagged for screening (entraide screening list shows those that are): %w", code, store.ErrNotFound)
			}
			return err
		}
		return audit(ctx, tx, n.home, by.State, by, n.now(), "screening.unflag", "state/"+code, f)
	})
	return f, err
}

// Flags lists the States by's State flagged for screening. Every
// official of that State may read it, and nobody else: it is never sent
// to another node.
func (n *Node) Flags(ctx context.Context, by casework.Actor) ([]casework.Flag, error) {
	if by.Role == "" {
		return nil, forbidden("role", "only an official of %s reads its flags for screening", by.State)
	}
	return n.db.Flags(ctx, by.State)
}

// flaggedState is state as a participant's code, or the problem with it.
func flaggedState(by casework.Actor, state string) (string, convention.Problems) {
	p, ok := directory.LookupParticipant(state)
	switch {
	case strings.TrimSpace(state) == "":
		return "", convention.Problems{{Field: "state", Ref: convention.ScreeningRef, Message: "required: the State whose requests are to be screened (ISO 3166-1 alpha-3 code)"}}
	case !ok:
		return "", convention.Problems{{Field: "state", Ref: convention.Art(64), Message: casework.UnknownStateMessage(state)}}
	case p.Code == by.State:
		return "", convention.Problems{{Field: "state", Ref: convention.ScreeningRef, Message: "a State does not send requests to itself"}}
	}
	return p.Code, nil
}
