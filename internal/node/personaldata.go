package node

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"entraide/internal/casework"
	"entraide/internal/convention"
	"entraide/internal/evidence"
	"entraide/internal/identity"
	"entraide/internal/store"
)

// insertEvidence stores it, dated by its State's retention policy for
// personal data as tx sees it when it carries them.
func insertEvidence(ctx context.Context, tx *store.Tx, it *evidence.Item) error {
	if it.CarriesPersonalData() {
		p, err := tx.RetentionPolicy(ctx, it.State)
		if err != nil {
			return err
		}
		it.PolicyUntil = p.Until(it.CreatedAt, it.PersonalData)
	}
	return tx.InsertEvidence(ctx, *it)
}

// RetentionPolicy returns by's State's retention policy for evidence
// that carries personal data. Every official reads it: it is a setting
// of their State, not a case's.
func (n *Node) RetentionPolicy(ctx context.Context, by casework.Actor) (evidence.Policy, error) {
	p, err := n.db.RetentionPolicy(ctx, by.State)
	return p, n.readable(ctx, err)
}

// PolicyResult is a retention policy as set, and how many items it
// dated anew.
type PolicyResult struct {
	evidence.Policy
	ItemsDated int `json:"items_dated"`
}

// SetRetentionPolicy sets by's State's retention period for evidence
// that carries personal data, in days (0: none), and dates anew each of
// its items marked as carrying them: the day it reached the node plus
// the period. An item keeps its own earlier date. Audited in the same
// transaction; the retention loop wakes to dispose of what is now due.
func (n *Node) SetRetentionPolicy(ctx context.Context, by casework.Actor, days int) (PolicyResult, error) {
	if !by.Role.Can(identity.ManageRetention) {
		return PolicyResult{}, forbidden("role", "the %s role may not set the retention policy: ask an administrator of %s", by.Role, by.State)
	}
	if days < 0 || days > evidence.MaxPolicyDays {
		return PolicyResult{}, convention.Problems{{Field: "personal_data_days", Ref: convention.PersonalDataConditionsRef,
			Message: "give a number of days from 1 to 36525 (100 years), or 0 for no policy"}}
	}
	now := n.now()
	res := PolicyResult{Policy: evidence.Policy{PersonalDataDays: days, UpdatedAt: &now, UpdatedBy: by.ID}}
	err := n.db.Tx(ctx, func(tx *store.Tx) error {
		was, err := tx.RetentionPolicy(ctx, by.State)
		if err != nil {
			return err
		}
		if res.ItemsDated, err = tx.SetRetentionPolicy(ctx, by.State, res.Policy); err != nil {
			return err
		}
		return audit(ctx, tx, n.home, by.State, by, now, evidence.ActionPolicy, evidence.PolicySubject,
			map[string]any{"personal_data_days": days, "was": was.PersonalDataDays, "items_dated": res.ItemsDated})
	})
	if err != nil {
		return PolicyResult{}, err
	}
	n.wakeRetention()
	return res, nil
}

// MaxExpiringWithin bounds how far ahead the report of expiring
// evidence looks: ten years.
const MaxExpiringWithin = 3660 * 24 * time.Hour

// MaxExpiringItems bounds the report.
const MaxExpiringItems = 1000

// ExpiringItem is an item whose retention ends within the report's
// window: when, and whether by its own date or by the policy.
type ExpiringItem struct {
	evidence.Item
	Expires time.Time `json:"expires"`
	// ByPolicy says that the State's retention policy for personal data
	// sets the day, not a date set for the item.
	ByPolicy bool `json:"by_policy"`
}

// ExpiringReport lists what by's State disposes of within a window.
type ExpiringReport struct {
	Now    time.Time       `json:"now"`
	Until  time.Time       `json:"until"`
	Policy evidence.Policy `json:"policy"`
	Items  []ExpiringItem  `json:"items"`
	// More says that more items expire in the window than are listed.
	More bool `json:"more,omitempty"`
	// Unreadable names stored items that could not be read.
	Unreadable []string `json:"unreadable,omitempty"`
}

// ExpiringEvidence reports the items of by's State that the node will
// dispose of within the coming within, soonest first: those already due
// and not yet disposed of included.
func (n *Node) ExpiringEvidence(ctx context.Context, by casework.Actor, within time.Duration) (ExpiringReport, error) {
	if !by.Role.Can(identity.DisposeEvidence) {
		return ExpiringReport{}, forbidden("role", "the %s role does not dispose of evidence: the central authority reads what expires", by.Role)
	}
	if within <= 0 || within > MaxExpiringWithin {
		return ExpiringReport{}, convention.Problems{{Field: "within", Ref: convention.PersonalDataConditionsRef,
			Message: "give a period from 1 day to 3660 days, e.g. 30d"}}
	}
	now := n.now()
	rep := ExpiringReport{Now: now, Until: now.Add(within), Items: []ExpiringItem{}}
	var err error
	if rep.Policy, err = n.db.RetentionPolicy(ctx, by.State); err != nil {
		return rep, n.readable(ctx, err)
	}
	items, err := n.db.ExpiringEvidence(ctx, by.State, rep.Until, MaxExpiringItems+1)
	if p, ok := store.IsPartial(err); ok {
		for _, e := range p {
			rep.Unreadable = append(rep.Unreadable, e.ID)
		}
	} else if err != nil {
		return rep, err
	}
	for _, it := range items {
		if len(rep.Items) == MaxExpiringItems {
			rep.More = true
			break
		}
		e := it.Expires()
		if e == nil {
			continue
		}
		rep.Items = append(rep.Items, ExpiringItem{Item: it, Expires: *e, ByPolicy: it.PolicyUntil != nil && e.Equal(*it.PolicyUntil)})
	}
	return rep, nil
}

// Reveal is an official's reveal of the personal data of a request and
// its evidence, which their role shows only the marking of: why, when,
// and until when it lets them see.
type Reveal struct {
	Request  string    `json:"request"`
	Official string    `json:"official"`
	Reason   string    `json:"reason"`
	At       time.Time `json:"at"`
	Until    time.Time `json:"until"`
}

// RevealPersonalData lets by see, for casework.RevealWindow, the
// contents of request id and its evidence that their role does not
// show, for reason, which is recorded with the reveal in the audit log
// in the same transaction: the reveal is the record.
func (n *Node) RevealPersonalData(ctx context.Context, by casework.Actor, id, reason string) (Reveal, error) {
	if !by.Role.Can(identity.RevealPersonalData) {
		return Reveal{}, forbidden("role", "the %s role sees the contents of requests already: it has nothing to reveal", by.Role)
	}
	if p, bad := convention.CheckText("reason", convention.PersonalDataRef, reason, 2000); bad {
		return Reveal{}, convention.Problems{p}
	}
	if strings.TrimSpace(reason) == "" {
		return Reveal{}, convention.Problems{{Field: "reason", Ref: convention.PersonalDataRef,
			Message: "required: why you need to see the personal data of this request (the audit log keeps it)"}}
	}
	r, err := n.db.Request(ctx, by.State, id)
	if err != nil {
		return Reveal{}, err
	}
	if !casework.CanRead(r, by) {
		return Reveal{}, casework.ErrNotFound
	}
	now := n.now()
	rv := Reveal{Request: r.ID, Official: by.ID, Reason: reason, At: now, Until: now.Add(casework.RevealWindow)}
	err = n.db.Tx(ctx, func(tx *store.Tx) error {
		return audit(ctx, tx, n.home, r.Holder, by, now, casework.ActionReveal, casework.RevealSubject(r.ID, by.ID),
			map[string]any{"request": r.ID, "reason": reason, "until": rv.Until})
	})
	return rv, err
}

// revealedUntil returns until when by's latest reveal of request id
// lets them see, if it still does at now.
func (n *Node) revealedUntil(ctx context.Context, by casework.Actor, id string) (time.Time, bool, error) {
	at, ok, err := n.db.LatestAudit(ctx, by.State, casework.RevealSubject(id, by.ID), casework.ActionReveal)
	if err != nil || !ok {
		return time.Time{}, false, err
	}
	until := at.Add(casework.RevealWindow)
	now := n.now()
	return until, !now.Before(at) && now.Before(until), nil
}

// sightOf returns what by sees of data of request id marked pd.
func (n *Node) sightOf(ctx context.Context, by casework.Actor, id string, pd *convention.PersonalData) (casework.Sight, error) {
	if s := casework.SightFor(by.Role, pd, false); s == casework.Full {
		return s, nil
	}
	_, revealed, err := n.revealedUntil(ctx, by, id)
	return casework.SightFor(by.Role, pd, revealed), err
}

// minimiseRequest removes from r and events what by's role does not see.
func (n *Node) minimiseRequest(ctx context.Context, by casework.Actor, r *casework.Request, events []casework.Event) error {
	s, err := n.sightOf(ctx, by, r.ID, r.PersonalData)
	if err != nil {
		return err
	}
	casework.Redact(r, events, s)
	if !s.Fields && r.Screening != nil {
		r.Screening = redactScreening(*r.Screening)
	}
	return nil
}

// redactScreening is s without its findings, which speak of the persons
// the request is about: for a role that does not see a request's
// contents.
func redactScreening(s casework.Screening) *casework.Screening {
	if s.Findings != "" {
		s.Findings = ""
		s.Redacted = []string{"findings"}
	}
	return &s
}

// minimiseItem removes from it what by's role does not see.
func (n *Node) minimiseItem(ctx context.Context, by casework.Actor, it *evidence.Item) error {
	s, err := n.sightOf(ctx, by, it.RequestID, it.PersonalData)
	if err != nil {
		return err
	}
	if !s.Fields {
		// The words of a condition speak of persons as a request's
		// contents do; its kind and date are what binds.
		cs := make(convention.Conditions, len(it.Conditions))
		for i, c := range it.Conditions {
			if c.Text != "" {
				c.Text = ""
				it.Redacted = append(it.Redacted, fmt.Sprintf("conditions[%d].text", i))
			}
			cs[i] = c
		}
		if len(cs) > 0 {
			it.Conditions = cs
		}
	}
	if s.Collection {
		return nil
	}
	if it.Collection != (evidence.Collection{}) {
		it.Collection = evidence.Collection{}
		it.Redacted = append(it.Redacted, "collection")
	}
	return nil
}

// needBytes refuses by the bytes of it, or the letter of a request
// marked pd, when their role does not show them and they have not
// revealed them.
func (n *Node) needBytes(ctx context.Context, by casework.Actor, requestID string, pd *convention.PersonalData, what string) error {
	s, err := n.sightOf(ctx, by, requestID, pd)
	if err != nil || s.Bytes {
		return err
	}
	return &casework.Error{Kind: casework.ErrForbidden, Problems: convention.Problems{{Field: "reveal", Ref: convention.PersonalDataRef,
		Message: fmt.Sprintf("%s may hold personal data, which the %s role sees only the marking of: reveal them first, with your reason (POST /api/v1/requests/%s/reveal, or entraide request reveal %s --reason TEXT); a reveal lasts %d minutes and is in the audit log",
			what, by.Role, requestID, requestID, int(casework.RevealWindow.Minutes()))}}}
}

// privateDetail lists, for each part of what a role sees, the keys of an
// audit record's detail that hold it: the free text of a request's
// timeline and of its screenings, and how an item was collected.
var privateDetail = []struct {
	shown func(casework.Sight) bool
	keys  []string
}{
	{func(s casework.Sight) bool { return s.Fields }, []string{"note", "reasons", "conditions", "proposed_conditions", "findings", "description"}},
	{func(s casework.Sight) bool { return s.Collection }, []string{"collection"}},
}

// redactEntries takes out of each of entries' records the detail s does
// not show, and names it in the entry's Redacted: a role that sees only
// the marking of personal data reads who did what and when, not what
// the records say of persons.
func redactEntries(entries []store.AuditEntry, s casework.Sight) {
	var hide []string
	for _, p := range privateDetail {
		if !p.shown(s) {
			hide = append(hide, p.keys...)
		}
	}
	if len(hide) == 0 {
		return
	}
	for i := range entries {
		rec, removed, err := redactRecord(entries[i].Record, hide)
		if err != nil {
			// A record that is not JSON says nothing this reader may
			// not see only if it says nothing at all.
			entries[i].Record, entries[i].Redacted = []byte{}, []string{"record"}
			continue
		}
		if len(removed) > 0 {
			entries[i].Record, entries[i].Redacted = rec, removed
		}
	}
}

// redactRecord returns rec without the keys hide of its detail, and the
// keys it took out.
func redactRecord(rec []byte, hide []string) ([]byte, []string, error) {
	var outer map[string]json.RawMessage
	if err := json.Unmarshal(rec, &outer); err != nil {
		return nil, nil, err
	}
	raw, ok := outer["detail"]
	if !ok {
		return rec, nil, nil
	}
	var detail map[string]json.RawMessage
	if json.Unmarshal(raw, &detail) != nil {
		return rec, nil, nil // a detail that is no object holds no key
	}
	var removed []string
	for _, k := range hide {
		if v, ok := detail[k]; ok {
			delete(detail, k)
			if s := string(v); s != `""` && s != "null" && s != "{}" {
				removed = append(removed, "detail."+k)
			}
		}
	}
	if len(removed) == 0 {
		return rec, nil, nil
	}
	d, err := json.Marshal(detail)
	if err != nil {
		return nil, nil, err
	}
	outer["detail"] = d
	out, err := json.Marshal(outer)
	return out, removed, err
}
