package node_test

import (
	"slices"
	"testing"

	"entraide/internal/alerting"
	"entraide/internal/casework"
	"entraide/internal/convention"
	"entraide/internal/node"
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
			{"art 40(24): a refusal alerts the requesting State", []casework.Transition{consult, {Action: casework.DeclineConditions}, refuse},
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
