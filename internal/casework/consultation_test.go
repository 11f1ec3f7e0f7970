package casework_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"entraide/internal/casework"
	"entraide/internal/convention"
)

// TestConflictNamesNext: an action the request's state does not allow is
// refused with what the actor's State may do instead, from the state
// machine itself.
func TestConflictNamesNext(t *testing.T) {
	tests := []struct {
		name     string
		from     casework.State
		proposed string // conditions proposed in consultation
		by       casework.Actor
		action   casework.Action
		allowed  []casework.Action
		says     []string // pieces of the problem's message
	}{
		{"art 40(27): refusing a received request names consultation and acknowledging", casework.Received, "", vnmCA, casework.Refuse,
			[]casework.Action{casework.Acknowledge}, []string{"cannot refuse a request that is received", "consult", "art. 40(27)", "allowed now: acknowledge"}},
		{"art 40(27): refusing an acknowledged request names consult among the actions allowed", casework.Acknowledged, "", vnmCA, casework.Refuse,
			[]casework.Action{casework.Start, casework.RequestInfo, casework.Consult}, []string{"consult, proposing the conditions", "allowed now: start, request_info, consult"}},
		{"art 40(26),(27): postponing before consultation names consult", casework.InProgress, "", vnmCA, casework.Postpone,
			[]casework.Action{casework.RequestInfo, casework.Consult, casework.Execute, casework.ExecutePartially}, []string{"art. 40(27)", "allowed now: request_info, consult, execute, execute_partially"}},
		{"art 40(27): no refusal while the requesting State has not answered the conditions", casework.Consultation, "use only in the named case", vnmCA, casework.Refuse,
			[]casework.Action{casework.Resume}, []string{"not yet accepted or declined", "allowed now: resume"}},
		{"art 40(27): no postponement while the requesting State has not answered the conditions", casework.Consultation, "use only in the named case", vnmCA, casework.Postpone,
			[]casework.Action{casework.Resume}, []string{"not yet accepted or declined", "wait for its answer"}},
		{"art 40(27): no conditions to accept when none were proposed", casework.Consultation, "", fraCA, casework.AcceptConditions,
			[]casework.Action{casework.Withdraw}, []string{"no conditions were proposed", "allowed now: withdraw"}},
		{"art 40(25): a closed request leaves nothing to do", casework.Closed, "", fraCA, casework.Withdraw,
			nil, []string{"cannot withdraw a request that is closed", "your State has nothing to do on it now"}},
		{"art 40(16): the requesting State waiting on the requested one is told whose turn it is", casework.Received, "", fraCA, casework.ProvideInfo,
			[]casework.Action{casework.Withdraw}, []string{"allowed now: withdraw"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := view(t, convention.MutualAssistance, tt.from, tt.by.State)
			r.ProposedConditions = tt.proposed
			_, err := casework.Decide(r, casework.Transition{Action: tt.action, Note: "noted", Grounds: []convention.Ground{convention.EssentialInterests}, Reasons: "why"}, tt.by, now)
			ce, ok := errors.AsType[*casework.Error](err)
			if !ok || !errors.Is(err, casework.ErrConflict) {
				t.Fatalf("Decide(%s from %s) = %v, want a conflict", tt.action, tt.from, err)
			}
			if !slices.Equal(ce.Allowed, tt.allowed) {
				t.Errorf("Decide(%s from %s): allowed %v, want %v", tt.action, tt.from, ce.Allowed, tt.allowed)
			}
			if got := casework.Allowed(r, r.SideOf(tt.by.State), now); !slices.Equal(got, tt.allowed) {
				t.Errorf("Allowed(%s) = %v, want %v: the refusal names what Allowed answers", tt.from, got, tt.allowed)
			}
			for _, piece := range tt.says {
				if !strings.Contains(ce.Problems[0].Message, piece) {
					t.Errorf("problem %q does not say %q", ce.Problems[0].Message, piece)
				}
			}
		})
	}
}

// TestConsultationExchange plays consultation as the two States exchange
// it: the requested State proposes conditions, the requesting State
// accepts or declines them, and the requested State then executes under
// them or refuses.
func TestConsultationExchange(t *testing.T) {
	type step struct {
		by   casework.Actor
		t    casework.Transition
		want casework.State // "" for a refusal of the step
	}
	consult := casework.Transition{Action: casework.Consult, Conditions: "Use only in the proceedings named."}
	refuse := casework.Transition{Action: casework.Refuse, Grounds: []convention.Ground{convention.EssentialInterests}, Reasons: "would prejudice essential interests"}
	tests := []struct {
		name       string
		steps      []step
		conditions string // binding at the end
	}{
		{"art 40(27): accepted conditions bind, and execution resumes under them", []step{
			{vnmCA, consult, casework.Consultation},
			{fraCA, casework.Transition{Action: casework.AcceptConditions}, casework.ConditionsAccepted},
			{vnmCA, refuse, ""},
			{vnmCA, casework.Transition{Action: casework.Resume, Conditions: "other conditions"}, ""},
			{vnmCA, casework.Transition{Action: casework.Resume}, casework.InProgress},
		}, "Use only in the proceedings named."},
		{"art 40(24),(27): declined conditions open the way to refusal", []step{
			{vnmCA, consult, casework.Consultation},
			{vnmCA, refuse, ""},
			{fraCA, casework.Transition{Action: casework.DeclineConditions, Note: "our courts cannot accept this limit"}, casework.ConditionsDeclined},
			{vnmCA, refuse, casework.Refused},
		}, ""},
		{"art 40(27): declined conditions may be followed by others", []step{
			{vnmCA, consult, casework.Consultation},
			{fraCA, casework.Transition{Action: casework.DeclineConditions, Note: "too narrow for our case"}, casework.ConditionsDeclined},
			{vnmCA, casework.Transition{Action: casework.Consult, Conditions: "Use in any criminal proceeding."}, casework.Consultation},
			{fraCA, casework.Transition{Action: casework.AcceptConditions, Conditions: "Use anywhere."}, ""},
			{fraCA, casework.Transition{Action: casework.AcceptConditions}, casework.ConditionsAccepted},
			{vnmCA, casework.Transition{Action: casework.Resume}, casework.InProgress},
		}, "Use in any criminal proceeding."},
		{"art 40(27): only the requesting State answers the conditions", []step{
			{vnmCA, consult, casework.Consultation},
			{vnmCA, casework.Transition{Action: casework.AcceptConditions}, ""},
		}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Both views move by the same events, as they do between nodes.
			fra := view(t, convention.MutualAssistance, casework.InProgress, requesting)
			vnm := view(t, convention.MutualAssistance, casework.InProgress, requested)
			for i, s := range tt.steps {
				mine, theirs := fra, vnm
				if s.by.State == requested {
					mine, theirs = vnm, fra
				}
				e, err := casework.Decide(mine, s.t, s.by, now)
				if s.want == "" {
					if err == nil {
						t.Fatalf("step %d (%s by %s): allowed, want refused", i, s.t.Action, s.by.ID)
					}
					continue
				}
				if err != nil {
					t.Fatalf("step %d (%s by %s): %v", i, s.t.Action, s.by.ID, err)
				}
				if err := casework.CheckRemote(theirs, e); err != nil {
					t.Fatalf("step %d (%s): the other State's node refuses the event: %v", i, s.t.Action, err)
				}
				casework.ApplyEvent(mine, e)
				casework.ApplyEvent(theirs, e)
				if mine.State != s.want || theirs.State != s.want {
					t.Fatalf("step %d (%s): states %s/%s, want %s", i, s.t.Action, mine.State, theirs.State, s.want)
				}
			}
			if fra.Conditions != tt.conditions || vnm.Conditions != tt.conditions {
				t.Errorf("binding conditions %q/%q, want %q", fra.Conditions, vnm.Conditions, tt.conditions)
			}
		})
	}
}

// TestAnswersNeedTheirContent: art. 40(27): declining conditions says
// why; art. 41(3): executing a request for advice, information or a
// suspect's location gives it.
func TestAnswersNeedTheirContent(t *testing.T) {
	consulting := view(t, convention.MutualAssistance, casework.Consultation, requesting)
	consulting.ProposedConditions = "Use only in the proceedings named."
	if _, err := casework.Decide(consulting, casework.Transition{Action: casework.DeclineConditions}, fraCA, now); !hasProblem(err, "note") {
		t.Errorf("decline_conditions without a note = %v, want a problem on note", err)
	}
	for _, k := range []convention.Kind{convention.TechnicalAdvice, convention.LegalInformation, convention.LocatingSuspects} {
		r := view(t, k, casework.InProgress, requested)
		if _, err := casework.Decide(r, casework.Transition{Action: casework.Execute}, vnmCA, now); !hasProblem(err, "note") {
			t.Errorf("execute %s without a note = %v, want a problem on note (art. 41(3))", k, err)
		}
		if _, err := casework.Decide(r, casework.Transition{Action: casework.Execute, Note: "The server is at 10.0.0.1, hosted by X."}, vnmCA, now); err != nil {
			t.Errorf("execute %s with the answer = %v, want success", k, err)
		}
	}
}

func hasProblem(err error, field string) bool {
	ps, ok := errors.AsType[convention.Problems](err)
	return ok && slices.ContainsFunc(ps, func(p convention.Problem) bool { return p.Field == field })
}
