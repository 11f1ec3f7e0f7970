package node_test

import (
	"slices"
	"testing"

	"entraide/internal/alerting"
	"entraide/internal/casework"
	"entraide/internal/convention"
	"entraide/internal/node"
	"entraide/internal/store"
)

// TestAnswersAlertTheOtherState: a step of one State that waits on the
// other, or an outcome the other must know of, alerts the other State's
// officials: on the live feed, and by e-mail as its roster says.
func TestAnswersAlertTheOtherState(t *testing.T) {
	eachBackend(t, func(t *testing.T, backend string) {
		r := newAlertRig(t, newFixture(t, backend), nil)
		r.roster(t, node.RosterInput{User: fraCA.ID, Channel: alerting.Email, Address: "mla@fra.example"})
		r.roster(t, node.RosterInput{User: vnmCA.ID, Channel: alerting.Email, Address: "mla@vnm.example"})
		refuse := casework.Transition{Action: casework.Refuse, Grounds: []convention.Ground{convention.EssentialInterests}, Reasons: "would prejudice essential interests"}
		consult := casework.Transition{Action: casework.Consult, Conditions: "Use only in the proceedings named."}
		tests := []struct {
			name    string
			steps   []casework.Transition // after acknowledge and start by VNM; all by VNM but the answers to conditions
			byFRA   map[int]bool
			alerted casework.Actor // who is alerted by the last step
			reason  alerting.Reason
			mail    string
		}{
			{"art 40(16): a request for more information alerts the requesting State", []casework.Transition{{Action: casework.RequestInfo, Note: "Which accounts?"}},
				nil, fraCA, alerting.ReasonInfoRequested, "mla@fra.example"},
			{"art 40(27): a consultation alerts the requesting State", []casework.Transition{consult},
				nil, fraCA, alerting.ReasonConsultation, "mla@fra.example"},
			{"art 40(27): the answer to the conditions alerts the requested State", []casework.Transition{consult, {Action: casework.AcceptConditions}},
				map[int]bool{1: true}, vnmCA, alerting.ReasonConditionsAnswered, "mla@vnm.example"},
			{"art 40(25): execution alerts the requesting State", []casework.Transition{{Action: casework.Execute}},
				nil, fraCA, alerting.ReasonExecuted, "mla@fra.example"},
			{"art 40(24): a refusal alerts the requesting State", []casework.Transition{consult, {Action: casework.DeclineConditions, Note: "too narrow"}, refuse},
				map[int]bool{1: true}, fraCA, alerting.ReasonRefused, "mla@fra.example"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				req := r.send(t, contents(t, convention.MutualAssistance, "VNM"))
				r.move(t, vnmCA, req.ID, casework.Transition{Action: casework.Acknowledge})
				r.move(t, vnmCA, req.ID, casework.Transition{Action: casework.Start})
				r.process(t)
				r.smtp.Pending() // what earlier steps told
				for i, s := range tt.steps {
					by := vnmCA
					if tt.byFRA[i] {
						by = fraCA
					}
					r.move(t, by, req.ID, s)
				}
				a := r.alertOf(t, tt.alerted, req.ID)
				if a == nil || a.Reason != tt.reason || a.State != tt.alerted.State || a.Acked() {
					t.Fatalf("%s's alert about %s = %+v, want an open %s alert", tt.alerted.State, req.ID, a, tt.reason)
				}
				events, err := r.n.AlertEvents(t.Context(), tt.alerted, 0, 1000)
				if err != nil {
					t.Fatal(err)
				}
				if !slices.ContainsFunc(events, func(e alerting.Event) bool { return e.Alert.ID == a.ID && e.Type == alerting.Raised }) {
					t.Errorf("the live feed of %s has no raised event for alert %s", tt.alerted.State, a.ID)
				}
				r.process(t)
				var to []string
				for _, m := range r.smtp.Pending() {
					to = append(to, m.To...)
				}
				if !slices.Contains(to, tt.mail) {
					t.Errorf("mail to %v, want %s told", to, tt.mail)
				}
			})
		}
	})
}

// TestStepsThatWaitAlertTheOtherState: a postponement alerts the
// requesting State, and the requesting State's answers (the information
// asked for, a request to keep preserved data longer) alert the requested
// State, which acts next: on the live feed, and by e-mail as its roster
// says.
func TestStepsThatWaitAlertTheOtherState(t *testing.T) {
	eachBackend(t, func(t *testing.T, backend string) {
		r := newAlertRig(t, newFixture(t, backend), nil)
		r.roster(t, node.RosterInput{User: fraCA.ID, Channel: alerting.Email, Address: "mla@fra.example"})
		r.roster(t, node.RosterInput{User: vnmCA.ID, Channel: alerting.Email, Address: "mla@vnm.example"})
		longer := r.clock.Now().AddDate(0, 0, 90)
		tests := []struct {
			name    string
			kind    convention.Kind
			steps   []casework.Transition // after acknowledge and start by VNM; all by VNM but the last when byFRA
			byFRA   bool
			alerted casework.Actor
			reason  alerting.Reason
			mail    string
		}{
			{"art 40(26): a postponement alerts the requesting State", convention.MutualAssistance,
				[]casework.Transition{{Action: casework.Consult}, {Action: casework.Postpone, Reasons: "ongoing trial"}},
				false, fraCA, alerting.ReasonPostponed, "mla@fra.example"},
			{"art 40(16): the information asked for alerts the requested State", convention.MutualAssistance,
				[]casework.Transition{{Action: casework.RequestInfo, Note: "Which accounts?"}, {Action: casework.ProvideInfo, Note: "Accounts 1 and 2"}},
				true, vnmCA, alerting.ReasonInfoProvided, "mla@vnm.example"},
			{"art 42(7): a request for a longer preservation alerts the requested State", convention.Preservation,
				[]casework.Transition{{Action: casework.AskExtension, Note: "the judge needs a month more", PreserveUntil: &longer}},
				true, vnmCA, alerting.ReasonExtensionAsked, "mla@vnm.example"},
			{"art 43(1): traffic data disclosed on a preservation alert the requesting State", convention.Preservation,
				[]casework.Transition{{Action: casework.DiscloseTraffic, Note: "The traffic passed through a provider in ZAF"}},
				false, fraCA, alerting.ReasonTrafficDisclosed, "mla@fra.example"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				req := r.send(t, contents(t, tt.kind, "VNM"))
				r.move(t, vnmCA, req.ID, casework.Transition{Action: casework.Acknowledge})
				r.move(t, vnmCA, req.ID, casework.Transition{Action: casework.Start})
				r.process(t)
				r.smtp.Pending() // what earlier steps told
				for i, s := range tt.steps {
					by := vnmCA
					if tt.byFRA && i == len(tt.steps)-1 {
						by = fraCA
					}
					r.move(t, by, req.ID, s)
				}
				list, err := r.n.Alerts(t.Context(), tt.alerted, store.AlertFilter{Limit: 500})
				if err != nil {
					t.Fatal(err)
				}
				i := slices.IndexFunc(list.Alerts, func(a *alerting.Alert) bool { return a.RequestID == req.ID && a.Reason == tt.reason })
				if i < 0 {
					t.Fatalf("%s's alerts %+v: want an open %s alert about %s", tt.alerted.State, list.Alerts, tt.reason, req.ID)
				}
				a := list.Alerts[i]
				if a.State != tt.alerted.State || a.Acked() {
					t.Fatalf("alert %+v: want an open alert of %s", a, tt.alerted.State)
				}
				events, err := r.n.AlertEvents(t.Context(), tt.alerted, 0, 1000)
				if err != nil {
					t.Fatal(err)
				}
				if !slices.ContainsFunc(events, func(e alerting.Event) bool { return e.Alert.ID == a.ID && e.Type == alerting.Raised }) {
					t.Errorf("the live feed of %s has no raised event for alert %s", tt.alerted.State, a.ID)
				}
				r.process(t)
				var to []string
				for _, m := range r.smtp.Pending() {
					to = append(to, m.To...)
				}
				if !slices.Contains(to, tt.mail) {
					t.Errorf("mail to %v, want %s told", to, tt.mail)
				}
			})
		}
	})
}
