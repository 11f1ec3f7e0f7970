package node_test

import (
	"slices"
	"testing"
	"time"

	"entraide/internal/alerting"
	"entraide/internal/casework"
	"entraide/internal/convention"
	"entraide/internal/node"
	"entraide/internal/store"
)

// TestRequestActionsResolveAlerts: an alert about a request ends when the
// request is dealt with, in the transaction that deals with it, and
// escalates no more.
func TestRequestActionsResolveAlerts(t *testing.T) {
	eachBackend(t, func(t *testing.T, backend string) {
		r := newAlertRig(t, newFixture(t, backend), nil)
		r.roster(t, node.RosterInput{User: vnm247.ID, Channel: alerting.Email, Address: "first@vnm.example"})
		r.roster(t, node.RosterInput{User: vnm247b.ID, Channel: alerting.Email, Address: "second@vnm.example"})
		tests := []struct {
			name  string
			kind  convention.Kind
			steps []casework.Actor // who acts, with the actions below
			acts  []casework.Action
			// resolvedBy is the action whose transaction resolves the alert.
			resolvedBy casework.Action
			measured   bool // an official of VNM acted: time to acknowledge counts
		}{
			{"art 40(25): acknowledging an emergency disclosure resolves its alert", convention.EmergencyDisclosure,
				[]casework.Actor{vnm247}, []casework.Action{casework.Acknowledge}, casework.Acknowledge, true},
			{"art 40(25): an emergency disclosure acknowledged, executed and closed stays resolved", convention.EmergencyDisclosure,
				[]casework.Actor{vnm247, vnm247, vnm247, vnm247}, []casework.Action{casework.Acknowledge, casework.Start, casework.Execute, casework.Close}, casework.Acknowledge, true},
			{"art 40(25): the requesting State's withdrawal resolves the requested State's alert", convention.EmergencyDisclosure,
				[]casework.Actor{fraCA}, []casework.Action{casework.Withdraw}, casework.Withdraw, false},
			{"art 40(25): a withdrawn request closed resolves its alert", convention.Preservation,
				[]casework.Actor{fraCA, fraCA}, []casework.Action{casework.Withdraw, casework.Close}, casework.Withdraw, false},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				req := r.send(t, contents(t, tt.kind, "VNM"))
				a := r.alertOf(t, vnm247, req.ID)
				r.process(t)
				r.smtp.Next(t) // the first officer is told at once
				r.clock.Advance(time.Minute)
				var resolvedIn []audited
				for i, by := range tt.steps {
					records := r.auditSince(t, func() { r.move(t, by, req.ID, casework.Transition{Action: tt.acts[i], Note: "done"}) })
					if tt.acts[i] == tt.resolvedBy {
						resolvedIn = records
					}
				}
				got := r.alert(t, a.ID)
				if !got.Acked() || !got.EscalatesAt.IsZero() || got.Resolution == "" || (got.TimeToAckMS != nil) != tt.measured {
					t.Fatalf("alert after %v = %+v; want resolved, escalating no more, time to acknowledge measured %v", tt.acts, got, tt.measured)
				}
				subjects := actionsAndSubjects(resolvedIn)
				i := slices.Index(subjects, "request."+string(tt.resolvedBy)+" request/"+req.ID+"@VNM")
				j := slices.Index(subjects, "alert.resolve alert/"+a.ID)
				if i < 0 || j < i {
					t.Errorf("audit records of the %s: %v; want alert.resolve after the request's own record, in its transaction", tt.resolvedBy, subjects)
				}
				// Its SLA passes: nobody is told again.
				r.clock.Advance(2 * time.Hour)
				r.process(t)
				if ms := r.smtp.Pending(); len(ms) != 0 {
					t.Errorf("mail to %v after the request was dealt with, want none", recipients(ms))
				}
				events, err := r.n.AlertEvents(t.Context(), vnm247, 0, 1000)
				if err != nil {
					t.Fatal(err)
				}
				if !slices.ContainsFunc(events, func(e alerting.Event) bool { return e.Alert.ID == a.ID && e.Type == alerting.Resolved }) {
					t.Errorf("the live feed has no resolved event for alert %s", a.ID)
				}
			})
		}
		list, err := r.n.Alerts(t.Context(), vnmCA, store.AlertFilter{})
		if err != nil {
			t.Fatal(err)
		}
		if list.Open != 0 || list.TimeToAck.Count != 2 {
			t.Errorf("open %d, times to acknowledge counted %d; want 0 open, and only the 2 alerts an official of VNM answered measured", list.Open, list.TimeToAck.Count)
		}
	})
}

// TestAnswerAlertEndsWhenTheOtherStateMovesOn: the requesting State's
// alert asking it to answer a consultation (art. 40(27)) ends when the
// requested State moves the request out of consultation, for it can no
// longer be answered.
func TestAnswerAlertEndsWhenTheOtherStateMovesOn(t *testing.T) {
	eachBackend(t, func(t *testing.T, backend string) {
		r := newAlertRig(t, newFixture(t, backend), nil)
		for _, tt := range []struct {
			name string
			ask  casework.Transition
			then casework.Transition
		}{
			{"art 40(27): consultation, then the requested State resumes", casework.Transition{Action: casework.Consult, Conditions: "Use only in the proceedings named."}, casework.Transition{Action: casework.Resume, Note: "executing without conditions"}},
		} {
			t.Run(tt.name, func(t *testing.T) {
				req := r.send(t, contents(t, convention.MutualAssistance, "VNM"))
				r.move(t, vnmCA, req.ID, casework.Transition{Action: casework.Acknowledge})
				r.move(t, vnmCA, req.ID, tt.ask)
				asked := r.alertOf(t, fraCA, req.ID)
				if asked == nil || asked.Acked() {
					t.Fatalf("FRA's alert after VNM's %s = %+v; want one open", tt.ask.Action, asked)
				}
				r.move(t, vnmCA, req.ID, tt.then)
				if got := r.alert(t, asked.ID); !got.Acked() || got.Resolution == "" || !got.EscalatesAt.IsZero() {
					t.Errorf("FRA's %s alert after VNM's %s = %+v; want resolved, escalating no more", asked.Reason, tt.then.Action, got)
				}
			})
		}
	})
}
