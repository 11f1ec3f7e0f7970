package store_test

import (
	"testing"
	"time"

	"entraide/internal/casework"
	"entraide/internal/convention"
	"entraide/internal/store"
	"entraide/internal/store/storetest"
	"entraide/internal/transparency"
)

// transparencyView is one view of the hand-built data set of the
// transparency report: its request, the grounds of its refusal, and the
// actions of its timeline at their offsets from when it was sent.
type transparencyView struct {
	id, holder, requesting, requested string
	kind                              convention.Kind
	state                             casework.State
	sent                              time.Time
	grounds                           []convention.Ground
	events                            []statsEvent
}

// TestTransparencyFigures reads the figures of FRA's report for 2025 from
// a data set whose answers were worked out by hand, on every backend.
func TestTransparencyFigures(t *testing.T) {
	day := func(m time.Month, d int) time.Time { return time.Date(2025, m, d, 9, 0, 0, 0, time.UTC) }
	h := time.Hour
	ev := func(a casework.Action, after time.Duration) statsEvent { return statsEvent{a, after} }
	ma, pres := convention.MutualAssistance, convention.Preservation
	views := []transparencyView{
		// Sent by FRA. s1: acknowledged 2h after delivery, executed 48h
		// after it.
		{"s1", "FRA", "FRA", "DEU", ma, casework.Executed, day(2, 1), nil, []statsEvent{
			ev(casework.Send, 0), ev(casework.Deliver, h), ev(casework.Acknowledge, 3*h), ev(casework.Execute, 49*h)}},
		// s2: acknowledged after 4h, postponed, refused after 24h on two
		// grounds.
		{"s2", "FRA", "FRA", "DEU", ma, casework.Refused, day(3, 1), []convention.Ground{convention.DomesticLaw, convention.EssentialInterests}, []statsEvent{
			ev(casework.Send, 0), ev(casework.Deliver, 0), ev(casework.Acknowledge, 4*h), ev(casework.Consult, 5*h),
			ev(casework.Postpone, 6*h), ev(casework.Resume, 7*h), ev(casework.Consult, 8*h), ev(casework.Refuse, 24*h)}},
		// s3: acknowledged after 6h, conditions accepted, partially
		// executed after 30h.
		{"s3", "FRA", "FRA", "VNM", ma, casework.PartiallyExecuted, day(4, 1), nil, []statsEvent{
			ev(casework.Send, 0), ev(casework.Deliver, 0), ev(casework.Acknowledge, 6*h), ev(casework.Consult, 7*h),
			ev(casework.AcceptConditions, 8*h), ev(casework.Resume, 9*h), ev(casework.ExecutePartially, 30*h)}},
		// s4: a preservation withdrawn before it was acknowledged.
		{"s4", "FRA", "FRA", "VNM", pres, casework.Withdrawn, day(5, 1), nil, []statsEvent{
			ev(casework.Send, 0), ev(casework.Deliver, 0), ev(casework.Withdraw, h)}},
		// s5: sent an hour before the year ends, acknowledged after it:
		// pending at the end, and no time to acknowledge in the year.
		{"s5", "FRA", "FRA", "DEU", ma, casework.Acknowledged, time.Date(2025, 12, 31, 23, 0, 0, 0, time.UTC), nil, []statsEvent{
			ev(casework.Send, 0), ev(casework.Deliver, 30*time.Minute), ev(casework.Acknowledge, 2*h)}},
		// s8: acknowledged after 1h, refused in 2026: pending at the end.
		{"s8", "FRA", "FRA", "VNM", ma, casework.Refused, day(11, 1), []convention.Ground{convention.DomesticLaw}, []statsEvent{
			ev(casework.Send, 0), ev(casework.Deliver, 0), ev(casework.Acknowledge, h), ev(casework.Refuse, 100*24*h)}},
		// Not in 2025: sent a minute before it began, and as the next one
		// began; a draft; another State's view on the same node.
		{"s6", "FRA", "FRA", "DEU", ma, casework.Executed, time.Date(2024, 12, 31, 23, 59, 0, 0, time.UTC), nil, []statsEvent{
			ev(casework.Send, 0), ev(casework.Deliver, 0), ev(casework.Acknowledge, h), ev(casework.Execute, 2*h)}},
		{"s7", "FRA", "FRA", "DEU", ma, casework.Sent, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), nil, []statsEvent{ev(casework.Send, 0)}},
		{"d1", "FRA", "FRA", "DEU", ma, casework.Draft, day(6, 1), nil, nil},
		{"s1", "DEU", "FRA", "DEU", ma, casework.Executed, day(2, 1), nil, []statsEvent{
			ev(casework.Send, 0), ev(casework.Deliver, h), ev(casework.Acknowledge, 3*h), ev(casework.Execute, 49*h)}},
		// Received by FRA. r1: acknowledged 30m after delivery, executed
		// 10h after it.
		{"r1", "FRA", "DEU", "FRA", pres, casework.Executed, day(6, 1), nil, []statsEvent{
			ev(casework.Send, 0), ev(casework.Deliver, 10*time.Minute), ev(casework.Acknowledge, 40*time.Minute), ev(casework.Execute, 10*h+10*time.Minute)}},
		// r2: acknowledged after 1h, refused after 5h.
		{"r2", "FRA", "DEU", "FRA", pres, casework.Refused, day(6, 2), []convention.Ground{convention.EssentialInterests}, []statsEvent{
			ev(casework.Send, 0), ev(casework.Deliver, 0), ev(casework.Acknowledge, h), ev(casework.Consult, 2*h), ev(casework.Refuse, 5*h)}},
		// r3: acknowledged after 90m, pending.
		{"r3", "FRA", "ZAF", "FRA", ma, casework.Acknowledged, day(6, 3), nil, []statsEvent{
			ev(casework.Send, 0), ev(casework.Deliver, 0), ev(casework.Acknowledge, 90*time.Minute)}},
	}
	from, to := transparency.LastYear(time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC))
	c := func(total, executed, partial, refused, withdrawn, pending, postponed int) transparency.Counts {
		return transparency.Counts{Total: total, Executed: executed, PartiallyExecuted: partial, Refused: refused, Withdrawn: withdrawn, Pending: pending, Postponed: postponed}
	}
	want := transparency.Figures{
		State: "FRA", From: from, To: to,
		ByKind: []transparency.Row{
			{Side: "received", Key: "mutual_assistance", Counts: c(1, 0, 0, 0, 0, 1, 0)},
			{Side: "received", Key: "preservation", Counts: c(2, 1, 0, 1, 0, 0, 0)},
			// s1, s2, s3, s5, s8.
			{Side: "sent", Key: "mutual_assistance", Counts: c(5, 1, 1, 1, 0, 2, 1)},
			{Side: "sent", Key: "preservation", Counts: c(1, 0, 0, 0, 1, 0, 0)},
		},
		ByState: []transparency.Row{
			{Side: "received", Key: "DEU", Counts: c(2, 1, 0, 1, 0, 0, 0)},
			{Side: "received", Key: "ZAF", Counts: c(1, 0, 0, 0, 0, 1, 0)},
			{Side: "sent", Key: "DEU", Counts: c(3, 1, 0, 1, 0, 1, 1)},
			{Side: "sent", Key: "VNM", Counts: c(3, 0, 1, 0, 1, 1, 0)},
		},
		Grounds: []transparency.GroundCount{
			{Side: "received", Ground: "essential_interests", N: 1},
			{Side: "sent", Ground: "domestic_law", N: 1},
			{Side: "sent", Ground: "essential_interests", N: 1},
		},
		Medians: []transparency.Median{
			{Side: "received", Kind: "mutual_assistance", Ack: 90 * time.Minute, AckN: 1},
			// Acknowledged after 30m and 1h; answered after 10h and 5h.
			{Side: "received", Kind: "preservation", Ack: 45 * time.Minute, AckN: 2, Answer: 7*h + 30*time.Minute, AnswerN: 2},
			// Acknowledged after 2h, 4h, 6h and 1h (median 3h, the mean of
			// the middle two); answered after 48h, 24h and 30h.
			{Side: "sent", Kind: "mutual_assistance", Ack: 3 * h, AckN: 4, Answer: 30 * h, AnswerN: 3},
		},
		Conditions: []transparency.ConditionCount{
			// r1 was answered under conditions; s3's were accepted in
			// consultation. No consent was asked.
			{Side: "received", Measure: transparency.ConditionsAccepted, N: 0},
			{Side: "received", Measure: transparency.ConditionsSet, N: 1},
			{Side: "sent", Measure: transparency.ConditionsAccepted, N: 1},
			{Side: "sent", Measure: transparency.ConditionsSet, N: 0},
		},
	}
	for _, backend := range storetest.Backends {
		t.Run(backend, func(t *testing.T) {
			t.Parallel()
			db := storetest.Open(t, backend)
			insertTransparencyViews(t, db, views)
			got, err := db.TransparencyFigures(t.Context(), "FRA", from, to)
			if err != nil {
				t.Fatalf("TransparencyFigures = %v", err)
			}
			assertSameJSON(t, "TransparencyFigures(FRA, 2025)", got, want)
		})
	}
}

func insertTransparencyViews(t *testing.T, db *store.DB, views []transparencyView) {
	t.Helper()
	err := db.Tx(t.Context(), func(tx *store.Tx) error {
		for _, v := range views {
			r := request(v.id, v.holder, v.requesting, v.requested, v.sent)
			r.Kind, r.State = v.kind, v.state
			if v.grounds != nil {
				r.Refusal = &casework.Refusal{Grounds: v.grounds, Reasons: "reasons"}
			}
			if err := tx.InsertRequest(t.Context(), r); err != nil {
				return err
			}
			for _, e := range v.events {
				ce := casework.Event{RequestID: v.id, At: v.sent.Add(e.after), Actor: "someone", ActorState: v.requested, Action: e.action}
				if v.id == "r1" && e.action == casework.Execute {
					// FRA answered r1 under conditions (art. 36).
					ce.AnswerConditions = convention.Conditions{{Kind: convention.NoOnwardTransfer}}
				}
				err := tx.AppendEvent(t.Context(), v.holder, ce)
				if err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
