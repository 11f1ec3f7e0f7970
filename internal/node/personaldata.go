package node

import (
	"context"
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
