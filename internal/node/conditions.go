package node

import (
	"context"
	"time"

	"entraide/internal/casework"
	"entraide/internal/convention"
	"entraide/internal/evidence"
	"entraide/internal/store"
)

// bindConditions records in tx that cs, from source, bind item it of
// its holder's view, with a custody record saying which, and shortens
// its retention to the earliest limit among them (art. 36), so that the
// disposal the node already runs enforces it.
func (n *Node) bindConditions(ctx context.Context, tx *store.Tx, it evidence.Item, source string, cs convention.Conditions, by casework.Actor, now time.Time) error {
	if len(cs) == 0 {
		return nil
	}
	if err := tx.AddItemConditions(ctx, it.State, it.ID, source, cs, now); err != nil {
		return err
	}
	if err := audit(ctx, tx, n.home, it.State, by, now, evidence.ActionConditions, evidence.Subject(it.ID),
		evidenceDetail(it, map[string]any{"source": source, "conditions": cs})); err != nil {
		return err
	}
	end, ok := cs.RetainUntilTime()
	if !ok || it.RetainUntil != nil && !end.Before(*it.RetainUntil) {
		return nil
	}
	if err := tx.SetRetention(ctx, it.State, it.ID, &end); err != nil {
		return err
	}
	tx.AfterCommit(n.wakeRetention)
	return audit(ctx, tx, n.home, it.State, by, now, evidence.ActionRetention, evidence.Subject(it.ID),
		evidenceDetail(it, map[string]any{"retain_until": end, "was": it.RetainUntil, "condition": convention.RetainUntil}))
}

// bindAnswer binds the conditions event e adds to the answer of r, in
// the requesting State's view, to every item the requested State gave
// in answer to r, those that arrived before e among them: an item is
// never held unconditioned because the conditions came later.
func (n *Node) bindAnswer(ctx context.Context, tx *store.Tx, r *casework.Request, e casework.Event) error {
	if r.Holder != r.RequestingState || r.SideOf(r.Holder) != casework.Requesting {
		return nil
	}
	var cs convention.Conditions
	switch e.Action {
	case casework.Execute, casework.ExecutePartially:
		cs = e.AnswerConditions
	case casework.AcceptConditions, casework.Resume:
		if e.Conditions != "" {
			cs = convention.Conditions{{Kind: convention.Consulted, Text: e.Conditions}}
		}
	}
	if len(cs) == 0 {
		return nil
	}
	items, err := n.db.EvidenceItems(ctx, r.Holder, r.ID)
	if err != nil {
		return err
	}
	for _, it := range items {
		if it.Origin == nil || it.Origin.State != r.RequestedState || it.Status == evidence.Refused {
			continue
		}
		if err := n.bindConditions(ctx, tx, it, "answer", cs, casework.Actor{ID: e.Actor, State: e.ActorState}, e.At); err != nil {
			return err
		}
	}
	return nil
}

// withConditions fills in the conditions that bind each of items.
func (n *Node) withConditions(ctx context.Context, items []evidence.Item) ([]evidence.Item, error) {
	for i := range items {
		cs, err := n.db.ItemConditions(ctx, items[i].State, items[i].ID)
		if err != nil {
			return nil, err
		}
		items[i].Conditions = cs
	}
	return items, nil
}
