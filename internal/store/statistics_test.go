package store_test

import (
	"testing"
	"time"

	"entraide/internal/casework"
	"entraide/internal/convention"
	"entraide/internal/store"
	"entraide/internal/store/storetest"
)

// statsView is one view of the hand-built data set: its request and the
// actions of its timeline, each at its offset from the view's start.
type statsView struct {
	id, holder, requesting, requested string
	kind                              convention.Kind
	state                             casework.State
	until                             time.Time // the preservation's deadline; zero for none
	linked                            bool      // a follow-up request holds the data
	events                            []statsEvent
}

type statsEvent struct {
	action casework.Action
	after  time.Duration
}

// TestStatistics computes the figures of FRA on a data set whose answers
// were worked out by hand, on every backend.
func TestStatistics(t *testing.T) {
	t0 := time.Date(2026, 1, 10, 9, 0, 0, 0, time.UTC)
	now := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	past, future := time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)
	ma, pres := convention.MutualAssistance, convention.Preservation
	ev := func(a casework.Action, after time.Duration) statsEvent { return statsEvent{a, after} }
	views := []statsView{
		// Sent by FRA, mutual assistance: acknowledged after 2h, 4h and
		// 6h (median 4h over 3); answered after 48h and 24h (median 36h
		// over 2, the mean of the two middle values).
		{"r1", "FRA", "FRA", "DEU", ma, casework.Executed, time.Time{}, false, []statsEvent{
			ev(casework.Send, 0), ev(casework.Deliver, time.Hour), ev(casework.Acknowledge, 3*time.Hour), ev(casework.Execute, 49*time.Hour)}},
		{"r2", "FRA", "FRA", "DEU", ma, casework.Acknowledged, time.Time{}, false, []statsEvent{
			ev(casework.Send, 0), ev(casework.Deliver, 0), ev(casework.Acknowledge, 4*time.Hour)}},
		{"r3", "FRA", "FRA", "VNM", ma, casework.Refused, time.Time{}, false, []statsEvent{
			ev(casework.Send, 0), ev(casework.Deliver, 0), ev(casework.Acknowledge, 6*time.Hour), ev(casework.Refuse, 24*time.Hour)}},
		// Received by FRA, preservations: acknowledged after 30m, 90m and
		// 60m (median 60m over 3), one answered after 10h. Deadlines: one
		// running, one missed (as the inbox shows it overdue), one met by
		// its follow-up.
		{"r4", "FRA", "VNM", "FRA", pres, casework.InProgress, future, false, []statsEvent{
			ev(casework.Send, 0), ev(casework.Deliver, 0), ev(casework.Acknowledge, 30*time.Minute), ev(casework.Start, time.Hour)}},
		{"r5", "FRA", "DEU", "FRA", pres, casework.Executed, past, false, []statsEvent{
			ev(casework.Send, 0), ev(casework.Deliver, 0), ev(casework.Acknowledge, 90*time.Minute), ev(casework.Execute, 10*time.Hour)}},
		{"r6", "FRA", "DEU", "FRA", pres, casework.InProgress, time.Time{}, true, []statsEvent{
			ev(casework.Send, 0), ev(casework.Deliver, 0), ev(casework.Acknowledge, time.Hour), ev(casework.LinkFollowUp, 5*time.Hour)}},
		// Not counted: a draft, and another State's view on the same node.
		{"r7", "FRA", "FRA", "DEU", ma, casework.Draft, time.Time{}, false, nil},
		{"r1", "DEU", "FRA", "DEU", ma, casework.Executed, time.Time{}, false, []statsEvent{
			ev(casework.Send, 0), ev(casework.Deliver, time.Minute), ev(casework.Acknowledge, 2*time.Minute), ev(casework.Execute, 3*time.Minute)}},
		// Sent and counted, but withdrawn: its deadline no longer runs.
		{"r8", "FRA", "FRA", "VNM", pres, casework.Withdrawn, past, false, []statsEvent{ev(casework.Send, 0), ev(casework.Withdraw, time.Hour)}},
	}
	want := store.Statistics{
		ByKind:  []store.Count{{Key: "mutual_assistance", Sent: 3}, {Key: "preservation", Sent: 1, Received: 3}},
		ByState: []store.Count{{Key: "DEU", Sent: 2, Received: 2}, {Key: "VNM", Sent: 2, Received: 1}},
		Medians: []store.Median{
			{Kind: "mutual_assistance", Side: store.SideSent, Ack: 4 * time.Hour, AckN: 3, Answer: 36 * time.Hour, AnswerN: 2},
			{Kind: "preservation", Side: store.SideReceived, Ack: time.Hour, AckN: 3, Answer: 10 * time.Hour, AnswerN: 1},
		},
		Deadlines: []store.Deadlines{{Side: store.SideReceived, Met: 1, Missed: 1, Running: 1}},
	}
	for _, backend := range storetest.Backends {
		t.Run(backend, func(t *testing.T) {
			t.Parallel()
			db := storetest.Open(t, backend)
			err := db.Tx(t.Context(), func(tx *store.Tx) error {
				for i, v := range views {
					start := t0.Add(time.Duration(i) * 24 * time.Hour)
					r := request(v.id, v.holder, v.requesting, v.requested, start)
					r.Kind, r.State = v.kind, v.state
					if !v.until.IsZero() || v.linked {
						r.Preservation = &casework.PreservationPeriod{Started: start, Until: v.until}
					}
					if err := tx.InsertRequest(t.Context(), r); err != nil {
						return err
					}
					for _, e := range v.events {
						err := tx.AppendEvent(t.Context(), v.holder, casework.Event{RequestID: v.id, At: start.Add(e.after), Actor: "someone", ActorState: v.requested, Action: e.action})
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
			got, err := db.Statistics(t.Context(), "FRA", now)
			if err != nil {
				t.Fatalf("Statistics = %v", err)
			}
			assertSameJSON(t, "Statistics(FRA)", got, want)
		})
	}
}
