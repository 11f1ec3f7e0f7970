package node

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"entraide/internal/casework"
	"entraide/internal/convention"
	"entraide/internal/directory"
	"entraide/internal/evidence"
	"entraide/internal/identity"
	"entraide/internal/store"
)

// The messages of consent: the receiving State asks the giving State's
// consent to a use its conditions bar, and the giving State answers.
// They queue with the request's other messages, signed like them.
const (
	MsgConsentAsk    = "evidence.consent_ask"
	MsgConsentAnswer = "evidence.consent_answer"
)

// ErrConditionBars is the kind of error of a use the conditions of an
// item bar until the giving State consents.
// It is a conflict, and says which.
var ErrConditionBars = fmt.Errorf("%w: a condition of the State that gave the evidence bars this use", casework.ErrConflict)

// useField is the field of a use that a condition bars: the State it
// would go to, or the proceedings it would serve.
func useField(u convention.Use, requesting, requested string) string {
	if u.ThirdState(requesting, requested) {
		return "for_state"
	}
	return "proceedings"
}

// normalUse reads u as by's State means it: no State is its own, and
// proceedings of only spaces are the request's own.
func normalUse(u convention.Use, by casework.Actor) (convention.Use, error) {
	u.ToState = strings.ToUpper(strings.TrimSpace(u.ToState))
	u.Proceedings = strings.TrimSpace(u.Proceedings)
	if u.ToState == "" {
		u.ToState = by.State
	}
	if p, ok := directory.LookupParticipant(u.ToState); ok {
		u.ToState = p.Code
	} else {
		return u, convention.Problems{{Field: "for_state", Ref: convention.Art(36).Para(3).Unchecked(), Message: fmt.Sprintf("%q is no State the directory knows: give its ISO 3166 alpha-3 code, such as ZAF", u.ToState)}}
	}
	if p, bad := convention.CheckText("proceedings", convention.Art(40).Para(19), u.Proceedings, 500); bad {
		return u, convention.Problems{p}
	}
	return u, nil
}

// checkUse refuses use u of items, those of request r that by's State
// received, when a condition of the giving State bars it and that State
// has not consented to exactly u for the item. A refusal is recorded in
// the item's custody, naming the condition, and its error says how to
// ask consent. what names the use for the record: "export", "request".
func (n *Node) checkUse(ctx context.Context, by casework.Actor, r *casework.Request, items []evidence.Item, u convention.Use, what string) error {
	var consents []evidence.Consent
	for _, it := range items {
		if it.Origin == nil || len(it.Conditions) == 0 || it.Status != evidence.Available {
			continue
		}
		c, barred := it.Conditions.Forbids(u, r.RequestingState, r.RequestedState)
		if !barred {
			continue
		}
		if consents == nil {
			var err error
			if consents, err = n.db.Consents(ctx, by.State, r.ID); err != nil {
				return err
			}
		}
		// A consent to other proceedings names no State: the package
		// stays with the States of the request.
		asked := u
		if !u.ThirdState(r.RequestingState, r.RequestedState) {
			asked.ToState = ""
		}
		if slices.ContainsFunc(consents, func(k evidence.Consent) bool { return k.Allows(it.ID, asked) }) {
			continue
		}
		err := n.db.Tx(ctx, func(tx *store.Tx) error {
			return audit(ctx, tx, n.home, it.State, by, n.now(), evidence.ActionUseRefused, evidence.Subject(it.ID),
				evidenceDetail(it, map[string]any{"use": what, "for_state": u.ToState, "proceedings": u.Proceedings, "condition": c, "ref": c.Kind.Ref().Cite()}))
		})
		if err != nil {
			return err
		}
		target := "--for-state " + u.ToState
		if !u.ThirdState(r.RequestingState, r.RequestedState) {
			target = fmt.Sprintf("--proceedings %q", u.Proceedings)
		}
		return &casework.Error{Kind: ErrConditionBars, Problems: convention.Problems{{Field: useField(u, r.RequestingState, r.RequestedState), Ref: c.Kind.Ref(),
			Message: fmt.Sprintf("item %s (%s) of request %s was given by %s under the condition: %s; this %s needs %s's prior consent: ask it with entraide consent ask %s --items %s %s --reasons \"...\" (or the request page's consent form), and try again once it is granted",
				it.ID, it.Name, r.ID, r.RequestedState, c.Cite(), what, r.RequestedState, r.ID, it.ID, target)}}}
	}
	return nil
}

// checkAttachments refuses to send r, a new request of by's State, when
// one of its attachments is an item another State gave under conditions
// that bar passing it to r's requested State.
func (n *Node) checkAttachments(ctx context.Context, by casework.Actor, r *casework.Request) error {
	for _, a := range r.Attachments {
		if err := n.checkCopies(ctx, by, a.SHA256, r.RequestedState, r.ID, "request"); err != nil {
			return err
		}
	}
	return nil
}

// checkCopies refuses to pass to State to, for request except, the bytes
// of SHA-256 sum when by's State holds them as an item another State
// gave, on another request, under conditions that bar it: what a State
// was given is not passed on by adding it again as an item or an
// attachment of its own. what names the use for the record.
func (n *Node) checkCopies(ctx context.Context, by casework.Actor, sum, to, except, what string) error {
	sum = strings.ToLower(strings.TrimSpace(sum))
	if sum == "" {
		return nil
	}
	items, err := n.db.EvidenceWithSHA256(ctx, by.State, sum)
	if err != nil {
		return err
	}
	for _, it := range items {
		if it.Origin == nil || it.RequestID == except {
			continue
		}
		src, err := n.db.Request(ctx, by.State, it.RequestID)
		if err != nil {
			return err
		}
		if it.Conditions, err = n.db.ItemConditions(ctx, it.State, it.ID); err != nil {
			return err
		}
		if err := n.checkUse(ctx, by, src, []evidence.Item{it}, convention.Use{ToState: to}, what); err != nil {
			return err
		}
	}
	return nil
}

// Consents lists the consent requests of by's State, asked by it or for
// it to answer: of request requestID only, unless it is empty.
func (n *Node) Consents(ctx context.Context, by casework.Actor, requestID string) ([]evidence.Consent, error) {
	if !by.Role.Can(identity.ReadRequests) {
		return nil, forbidden("role", "the %s role may not read requests", by.Role)
	}
	if requestID != "" {
		if _, err := n.evidenceRequest(ctx, by, requestID); err != nil {
			return nil, err
		}
	}
	cs, err := n.db.Consents(ctx, by.State, requestID)
	if err != nil || casework.SightOf(by.Role).Fields {
		return cs, err
	}
	for i := range cs {
		redactConsent(&cs[i])
	}
	return cs, nil
}

// redactConsent takes out of c the words a role that does not see the
// contents of requests does not read: who asked what of whom, and when,
// stays.
func redactConsent(c *evidence.Consent) {
	if c.Reasons != "" {
		c.Reasons = ""
		c.Redacted = append(c.Redacted, "reasons")
	}
	if c.Answer != "" {
		c.Answer = ""
		c.Redacted = append(c.Redacted, "answer")
	}
	conds := make(convention.Conditions, len(c.Conditions))
	for i, k := range c.Conditions {
		if k.Text != "" {
			k.Text = ""
			c.Redacted = append(c.Redacted, fmt.Sprintf("conditions[%d].text", i))
		}
		conds[i] = k
	}
	if len(conds) > 0 {
		c.Conditions = conds
	}
}

// ConsentAsk is what an official of the receiving State asks: the items
// (ids in its view), the use, and why.
type ConsentAsk struct {
	Items   []string       `json:"items"`
	Use     convention.Use `json:"use"`
	Reasons string         `json:"reasons"`
}

func consentErr(field string, ref convention.Ref, format string, args ...any) error {
	return convention.Problems{{Field: field, Ref: ref, Message: fmt.Sprintf(format, args...)}}
}

// AskConsent asks the State that gave items of request requestID its
// consent to use a.Use (a transfer to a third State, or other
// proceedings), for a.Reasons. The request and a custody record on each
// item are written in one transaction with the message that carries it
// to that State.
func (n *Node) AskConsent(ctx context.Context, by casework.Actor, requestID string, a ConsentAsk) (evidence.Consent, error) {
	var c evidence.Consent
	if !by.Role.Can(identity.ActOnRequests) {
		return c, forbidden("role", "the %s role may not ask consent", by.Role)
	}
	r, err := n.evidenceRequest(ctx, by, requestID)
	if err != nil {
		return c, err
	}
	ref := convention.Art(40).Para(19)
	if r.RequestingState != by.State {
		return c, evidenceErr(casework.ErrConflict, "items", "consent is asked by the State that received the items, %s, of the State that gave them", r.RequestingState)
	}
	if strings.TrimSpace(a.Reasons) == "" {
		return c, consentErr("reasons", ref, "say why the items are needed for this use, so that %s can weigh it", r.RequestedState)
	}
	if p, bad := convention.CheckText("reasons", ref, a.Reasons, evidence.MaxConsentText); bad {
		return c, convention.Problems{p}
	}
	if (strings.TrimSpace(a.Use.ToState) == "") == (strings.TrimSpace(a.Use.Proceedings) == "") {
		return c, consentErr("use", ref, "give either the third State the items would go to (for_state) or the other proceedings they would serve (proceedings), one consent request each")
	}
	u := a.Use
	if strings.TrimSpace(u.ToState) != "" {
		if u, err = normalUse(u, by); err != nil {
			return c, err
		}
		if !u.ThirdState(r.RequestingState, r.RequestedState) {
			return c, consentErr("for_state", convention.Art(36).Para(3).Unchecked(), "%s is party to request %s: giving it the items needs no consent", u.ToState, r.ID)
		}
	} else {
		u.Proceedings = strings.TrimSpace(u.Proceedings)
	}
	if len(a.Items) == 0 || len(a.Items) > evidence.MaxConsentItems {
		return c, consentErr("items", ref, "give 1 to %d items of the request (entraide evidence list %s)", evidence.MaxConsentItems, r.ID)
	}
	var items []evidence.Item
	for _, id := range a.Items {
		it, err := n.evidenceItem(ctx, by, r.ID, id)
		if errors.Is(err, casework.ErrNotFound) {
			return c, consentErr("items", ref, "request %s has no item %s: entraide evidence list %s gives its items", r.ID, id, r.ID)
		}
		if err != nil {
			return c, err
		}
		if it.Origin == nil || it.Origin.State != r.RequestedState {
			return c, consentErr("items", ref, "item %s was not given by %s: only what a State gave needs its consent", id, r.RequestedState)
		}
		if _, barred := it.Conditions.Forbids(u, r.RequestingState, r.RequestedState); !barred {
			return c, consentErr("items", ref, "no condition of item %s bars this use: it needs no consent", id)
		}
		if slices.ContainsFunc(items, func(x evidence.Item) bool { return x.ID == id }) {
			return c, consentErr("items", ref, "item %s is given twice", id)
		}
		items = append(items, it)
	}
	now := n.now()
	c = evidence.Consent{ID: newID(), State: by.State, RequestID: r.ID, AskingState: by.State, GivingState: r.RequestedState,
		Use: u, Reasons: a.Reasons, Status: evidence.ConsentAsked, AskedBy: by.ID, AskedAt: now}
	for _, it := range items {
		c.Items = append(c.Items, it.ID)
		c.OriginItems = append(c.OriginItems, it.Origin.Item)
	}
	msg := evidence.ConsentAsk{ID: c.ID, Request: r.ID, Items: c.OriginItems, Use: u, Reasons: a.Reasons}
	err = n.db.Tx(ctx, func(tx *store.Tx) error {
		if err := tx.InsertConsent(ctx, c); err != nil {
			return err
		}
		for _, it := range items {
			if err := audit(ctx, tx, n.home, it.State, by, now, evidence.ActionConsentAsked, evidence.Subject(it.ID),
				evidenceDetail(it, map[string]any{"consent": c.ID, "of": c.GivingState, "for_state": u.ToState, "proceedings": u.Proceedings, "reasons": a.Reasons})); err != nil {
				return err
			}
		}
		if slices.Contains(n.hosted, c.GivingState) {
			return n.takeConsentAsk(ctx, tx, c.GivingState, by.State, casework.Actor{ID: by.ID, State: by.State}, msg, now)
		}
		payload, err := json.Marshal(msg)
		if err != nil {
			return err
		}
		tx.AfterCommit(n.wake)
		return tx.Enqueue(ctx, store.OutboxEntry{ID: newID(), Recipient: c.GivingState, Type: MsgConsentAsk, RequestID: r.ID, Envelope: payload, CreatedAt: now})
	})
	return c, err
}

// takeConsentAsk records, in giver's view, the consent request a that
// sender asked, after checking that its items are giver's own, given to
// sender in answer to the request: a peer asks only about what it was
// given. A request that arrived before is dropped.
func (n *Node) takeConsentAsk(ctx context.Context, tx *store.Tx, giver, sender string, by casework.Actor, a evidence.ConsentAsk, now time.Time) error {
	r, err := tx.RequestForUpdate(ctx, giver, a.Request)
	if errors.Is(err, casework.ErrNotFound) {
		return reject("no request %s between %s and %s", a.Request, sender, giver)
	}
	if err != nil {
		return err
	}
	if r.RequestedState != giver || r.RequestingState != sender {
		return reject("%s asks consent only for what %s gave it in answer to its requests", sender, giver)
	}
	var items []evidence.Item
	for _, id := range a.Items {
		it, err := n.db.Evidence(ctx, giver, id)
		if errors.Is(err, store.ErrNotFound) || err == nil && (it.RequestID != r.ID || it.Origin != nil) {
			return reject("%s gave no item %s in answer to request %s", giver, id, r.ID)
		}
		if err != nil {
			return err
		}
		items = append(items, it)
	}
	c := evidence.Consent{ID: a.ID, State: giver, RequestID: r.ID, AskingState: sender, GivingState: giver, Items: a.Items, OriginItems: a.Items,
		Use: a.Use, Reasons: a.Reasons, Status: evidence.ConsentAsked, AskedBy: by.ID, AskedAt: now}
	if err := tx.InsertConsent(ctx, c); errors.Is(err, store.ErrExists) {
		return nil
	} else if err != nil {
		return err
	}
	for _, it := range items {
		if err := audit(ctx, tx, n.home, giver, by, now, evidence.ActionConsentAsked, evidence.Subject(it.ID),
			evidenceDetail(it, map[string]any{"consent": c.ID, "by": sender, "for_state": a.Use.ToState, "proceedings": a.Use.Proceedings, "reasons": a.Reasons})); err != nil {
			return err
		}
	}
	return nil
}

// ConsentAnswer is the giving State's official's answer to a consent
// request: granted, with further conditions if any, or refused, with
// reasons.
type ConsentAnswer struct {
	Grant      bool                  `json:"grant"`
	Reasons    string                `json:"reasons"`
	Conditions convention.Conditions `json:"conditions,omitempty"`
}

// AnswerConsent grants or refuses consent request id, asked of by's
// State. The answer, a custody record on each item and the message that
// carries it back to the asking State are written in one transaction.
// Only the State that gave the items answers; an answer is final.
func (n *Node) AnswerConsent(ctx context.Context, by casework.Actor, id string, a ConsentAnswer) (evidence.Consent, error) {
	if !by.Role.Can(identity.ActOnRequests) {
		return evidence.Consent{}, forbidden("role", "the %s role may not answer consent requests", by.Role)
	}
	c, err := n.db.Consent(ctx, by.State, id)
	if errors.Is(err, store.ErrNotFound) {
		return c, casework.ErrNotFound
	}
	if err != nil {
		return c, err
	}
	ref := convention.Art(40).Para(19)
	switch {
	case c.GivingState != by.State:
		return c, evidenceErr(casework.ErrForbidden, "id", "consent %s is asked of %s, which gave the items: your State asked it and waits for the answer", c.ID, c.GivingState)
	case c.Status != evidence.ConsentAsked:
		return c, evidenceErr(casework.ErrConflict, "id", "consent %s was %s already: an answer is final; the asking State may ask again", c.ID, c.Status)
	case !a.Grant && strings.TrimSpace(a.Reasons) == "":
		return c, consentErr("reasons", ref, "give the reasons for refusing, so that %s knows why", c.AskingState)
	case !a.Grant && len(a.Conditions) > 0:
		return c, consentErr("conditions", ref, "a refusal sets no conditions: grant with conditions, or refuse")
	}
	if p, bad := convention.CheckText("reasons", ref, a.Reasons, evidence.MaxConsentText); bad {
		return c, convention.Problems{p}
	}
	if ps := a.Conditions.Validate("conditions"); len(ps) > 0 {
		return c, ps
	}
	status := evidence.ConsentRefused
	if a.Grant {
		status = evidence.ConsentGranted
	}
	now := n.now()
	msg := evidence.ConsentAnswer{ID: c.ID, Request: c.RequestID, Granted: a.Grant, Reasons: a.Reasons, Conditions: a.Conditions}
	err = n.db.Tx(ctx, func(tx *store.Tx) error {
		if err := tx.AnswerConsent(ctx, by.State, c.ID, status, by.ID, now, a.Reasons, a.Conditions); errors.Is(err, store.ErrNotFound) {
			return evidenceErr(casework.ErrConflict, "id", "consent %s was answered meanwhile: reload it", c.ID)
		} else if err != nil {
			return err
		}
		if err := n.auditConsent(ctx, tx, by.State, c.Items, by, status, c, a.Reasons, a.Conditions, now); err != nil {
			return err
		}
		if slices.Contains(n.hosted, c.AskingState) {
			return n.takeConsentAnswer(ctx, tx, c.AskingState, by.State, by, msg, now)
		}
		payload, err := json.Marshal(msg)
		if err != nil {
			return err
		}
		tx.AfterCommit(n.wake)
		return tx.Enqueue(ctx, store.OutboxEntry{ID: newID(), Recipient: c.AskingState, Type: MsgConsentAnswer, RequestID: c.RequestID, Envelope: payload, CreatedAt: now})
	})
	if err != nil {
		return c, err
	}
	return n.db.Consent(ctx, by.State, c.ID)
}

// auditConsent records the answer to consent c in the custody of each
// of state's items.
func (n *Node) auditConsent(ctx context.Context, tx *store.Tx, state string, items []string, by casework.Actor, status evidence.ConsentStatus, c evidence.Consent, reasons string, cs convention.Conditions, now time.Time) error {
	action := evidence.ActionConsentRefused
	if status == evidence.ConsentGranted {
		action = evidence.ActionConsentGranted
	}
	for _, id := range items {
		it, err := n.db.Evidence(ctx, state, id)
		if err != nil {
			return fmt.Errorf("item %s of consent %s: %w", id, c.ID, err)
		}
		if err := audit(ctx, tx, n.home, state, by, now, action, evidence.Subject(id),
			evidenceDetail(it, map[string]any{"consent": c.ID, "for_state": c.Use.ToState, "proceedings": c.Use.Proceedings, "reasons": reasons, "conditions": cs})); err != nil {
			return err
		}
	}
	return nil
}

// takeConsentAnswer records, in asker's view, the answer a that sender
// gave: only the State asked, which gave the items, answers; an answer
// that arrived before is dropped. Further conditions of a consent bind
// the items from now.
func (n *Node) takeConsentAnswer(ctx context.Context, tx *store.Tx, asker, sender string, by casework.Actor, a evidence.ConsentAnswer, now time.Time) error {
	c, err := tx.ConsentForUpdate(ctx, asker, a.ID)
	if errors.Is(err, store.ErrNotFound) {
		return reject("%s asked no consent %s", asker, a.ID)
	}
	if err != nil {
		return err
	}
	if c.GivingState != sender || c.RequestID != a.Request {
		return reject("consent %s is asked of %s: %s cannot answer it", a.ID, c.GivingState, sender)
	}
	if c.Status != evidence.ConsentAsked {
		return nil
	}
	status := evidence.ConsentRefused
	if a.Granted {
		status = evidence.ConsentGranted
	}
	if err := tx.AnswerConsent(ctx, asker, c.ID, status, by.ID, now, a.Reasons, a.Conditions); err != nil {
		return err
	}
	if err := n.auditConsent(ctx, tx, asker, c.Items, by, status, c, a.Reasons, a.Conditions, now); err != nil {
		return err
	}
	if !a.Granted {
		return nil
	}
	for _, id := range c.Items {
		it, err := n.db.Evidence(ctx, asker, id)
		if err != nil {
			return err
		}
		if err := n.bindConditions(ctx, tx, it, "consent", a.Conditions, by, now); err != nil {
			return err
		}
	}
	return nil
}

// receiveConsent applies a consent message from sender, verified and
// decrypted, and records it as received in the same transaction.
func (n *Node) receiveConsent(ctx context.Context, typ, sender string, payload []byte, now time.Time, inbound func(*store.Tx) error) error {
	peer := casework.Actor{ID: "peer", State: sender}
	switch typ {
	case MsgConsentAsk:
		a, err := evidence.ParseConsentAsk(payload)
		if err != nil {
			return malformedPayload(err)
		}
		return n.db.Tx(ctx, func(tx *store.Tx) error {
			if err := inbound(tx); err != nil {
				return err
			}
			return n.takeConsentAsk(ctx, tx, n.home, sender, peer, a, now)
		})
	default:
		a, err := evidence.ParseConsentAnswer(payload)
		if err != nil {
			return malformedPayload(err)
		}
		return n.db.Tx(ctx, func(tx *store.Tx) error {
			if err := inbound(tx); err != nil {
				return err
			}
			return n.takeConsentAnswer(ctx, tx, n.home, sender, peer, a, now)
		})
	}
}
