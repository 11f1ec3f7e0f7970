package localnet_test

import (
	"testing"
	"time"

	"entraide/internal/casework"
	"entraide/internal/convention"
	"entraide/internal/node"
)

// TestConsultationAcrossNodes: consultation is an exchange between two
// nodes. Each step is taken on its State's node and reaches the other's
// over federation, where its own checks apply it.
func TestConsultationAcrossNodes(t *testing.T) {
	f := startFederation(t, node.FederationConfig{RetryBase: 20 * time.Millisecond}, "FRA", "VNM")
	fra, vnm := f.officials["FRA"], f.officials["VNM"]
	const proposed = "Use only in the proceedings named in the request."
	type step struct {
		by   api
		t    casework.Transition
		want casework.State
	}
	tests := []struct {
		name       string
		steps      []step
		conditions string
	}{
		{"art 40(27): the requesting State accepts the conditions, the requested State executes under them", []step{
			{vnm, casework.Transition{Action: casework.Consult, Conditions: proposed}, casework.Consultation},
			{fra, casework.Transition{Action: casework.AcceptConditions}, casework.ConditionsAccepted},
			{vnm, casework.Transition{Action: casework.Resume}, casework.InProgress},
		}, proposed},
		{"art 40(24),(27): the requesting State declines the conditions, the requested State refuses", []step{
			{vnm, casework.Transition{Action: casework.Consult, Conditions: proposed}, casework.Consultation},
			{fra, casework.Transition{Action: casework.DeclineConditions, Note: "our courts need the data for a related case"}, casework.ConditionsDeclined},
			{vnm, casework.Transition{Action: casework.Refuse, Grounds: []convention.Ground{convention.EssentialInterests}, Reasons: "wider use would prejudice essential interests"}, casework.Refused},
		}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fra, vnm := fra.with(t), vnm.with(t)
			id, err := fra.createAndSend(t.Context(), "VNM")
			if err != nil {
				t.Fatal(err)
			}
			vnm.waitAll([]string{id}, casework.Received)
			vnm.move(id, casework.Transition{Action: casework.Acknowledge})
			fra.waitAll([]string{id}, casework.Acknowledged)
			for _, s := range tt.steps {
				s.by.with(t).move(id, s.t)
				fra.waitAll([]string{id}, s.want)
				vnm.waitAll([]string{id}, s.want)
			}
			for _, a := range []api{fra, vnm} {
				if got := a.get(id).Request.Conditions; got != tt.conditions {
					t.Errorf("%s: binding conditions %q, want %q", a.url, got, tt.conditions)
				}
			}
		})
	}
}
