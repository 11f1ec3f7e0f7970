package casework_test

import (
	"testing"

	"entraide/internal/casework"
	"entraide/internal/convention"
)

// TestAnswerConditions: the requested State sets conditions on its
// answer when it executes; they travel in the event, which the other
// node checks and applies the same way, and join those accepted in
// consultation as the request's terms.
func TestAnswerConditions(t *testing.T) {
	conds := convention.Conditions{{Kind: convention.NoOnwardTransfer}, {Kind: convention.RetainUntil, Until: "2030-06-30"}}
	r := view(t, convention.MutualAssistance, casework.InProgress, requested)
	r.Conditions = "read by the investigating judge only"
	e, err := casework.Decide(r, casework.Transition{Action: casework.Execute, AnswerConditions: conds}, vnmCA, now)
	if err != nil {
		t.Fatal(err)
	}
	other := view(t, convention.MutualAssistance, casework.InProgress, requesting)
	other.Conditions = r.Conditions
	if err := casework.CheckRemote(other, e); err != nil {
		t.Fatalf("CheckRemote = %v", err)
	}
	casework.ApplyEvent(other, e)
	terms := other.Terms()
	if len(terms) != 3 || terms[2].Kind != convention.Consulted || terms[0] != conds[0] {
		t.Errorf("Terms = %v, want the answer's two and the consultation's", terms)
	}
	// A peer that changes the conditions on the way is refused.
	forged := e
	forged.AnswerConditions = convention.Conditions{{Kind: "none"}}
	if err := casework.CheckRemote(view(t, convention.MutualAssistance, casework.InProgress, requesting), forged); err == nil {
		t.Error("CheckRemote accepts conditions of an unknown kind")
	}
}

func TestAnswerConditionsRefused(t *testing.T) {
	r := view(t, convention.MutualAssistance, casework.InProgress, requested)
	_, err := casework.Decide(r, casework.Transition{Action: casework.Execute, AnswerConditions: convention.Conditions{{Kind: convention.RetainUntil}}}, vnmCA, now)
	assertProblems(t, "Decide", problemsOf(err), want{"answer_conditions[0].until", convention.Art(36).Para(2).Unchecked(), ""})
	r = view(t, convention.MutualAssistance, casework.Acknowledged, requested)
	_, err = casework.Decide(r, casework.Transition{Action: casework.Start, AnswerConditions: convention.Conditions{{Kind: convention.Confidential}}}, vnmCA, now)
	assertProblems(t, "Decide", problemsOf(err), want{"answer_conditions", convention.Art(40).Para(19), ""})
}
