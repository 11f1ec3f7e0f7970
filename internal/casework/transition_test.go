package casework_test

import (
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"entraide/internal/casework"
	"entraide/internal/convention"
	"entraide/internal/identity"
)

// machine is the state machine as the Convention draws it, written out
// here independently of the rules in transition.go so that a change to
// either shows.
var machine = []struct {
	name   string
	action casework.Action
	from   []casework.State
	to     casework.State // "" when the state stays
	by     casework.Side  // "" when either side may
}{
	{"art 40(14): the requesting State sends a draft", casework.Send,
		[]casework.State{casework.Draft}, casework.Sent, casework.Requesting},
	{"art 40(25): the requested State acknowledges what it received", casework.Acknowledge,
		[]casework.State{casework.Received}, casework.Acknowledged, casework.Requested},
	{"art 40(17): execution starts once acknowledged", casework.Start,
		[]casework.State{casework.Acknowledged}, casework.InProgress, casework.Requested},
	{"art 40(16): more information is asked while the request is considered or executed", casework.RequestInfo,
		[]casework.State{casework.Acknowledged, casework.InProgress}, casework.MoreInfoRequested, casework.Requested},
	{"art 40(16): the requesting State provides the information asked", casework.ProvideInfo,
		[]casework.State{casework.MoreInfoRequested}, casework.InProgress, casework.Requesting},
	{"art 40(27): consultation before refusal or postponement, again after conditions are declined", casework.Consult,
		[]casework.State{casework.Acknowledged, casework.InProgress, casework.ConditionsDeclined}, casework.Consultation, casework.Requested},
	{"art 40(27): the requesting State accepts the conditions proposed", casework.AcceptConditions,
		[]casework.State{casework.Consultation}, casework.ConditionsAccepted, casework.Requesting},
	{"art 40(27): the requesting State declines the conditions proposed", casework.DeclineConditions,
		[]casework.State{casework.Consultation}, casework.ConditionsDeclined, casework.Requesting},
	{"art 40(27): execution resumes after consultation, accepted conditions or postponement", casework.Resume,
		[]casework.State{casework.Consultation, casework.ConditionsAccepted, casework.Postponed}, casework.InProgress, casework.Requested},
	{"art 40(24),(27): refusal only after consultation", casework.Refuse,
		[]casework.State{casework.Consultation, casework.ConditionsDeclined}, casework.Refused, casework.Requested},
	{"art 40(26),(27): postponement only after consultation", casework.Postpone,
		[]casework.State{casework.Consultation, casework.ConditionsDeclined}, casework.Postponed, casework.Requested},
	{"art 40(25): execution completes from in progress", casework.Execute,
		[]casework.State{casework.InProgress}, casework.Executed, casework.Requested},
	{"art 40(25): partial execution completes from in progress", casework.ExecutePartially,
		[]casework.State{casework.InProgress}, casework.PartiallyExecuted, casework.Requested},
	{"art 40(25): the requesting State withdraws a request not yet decided", casework.Withdraw,
		[]casework.State{casework.Draft, casework.Sent, casework.Received, casework.Acknowledged, casework.InProgress,
			casework.MoreInfoRequested, casework.Consultation, casework.ConditionsAccepted, casework.ConditionsDeclined, casework.Postponed}, casework.Withdrawn, casework.Requesting},
	{"art 40(25): either State closes a decided request", casework.Close,
		[]casework.State{casework.Executed, casework.PartiallyExecuted, casework.Refused, casework.Postponed, casework.Withdrawn},
		casework.Closed, ""},
	{"art 42(7): the requested State moves a preservation's deadline later while the data are preserved", casework.Extend,
		[]casework.State{casework.InProgress, casework.MoreInfoRequested, casework.Consultation, casework.ConditionsAccepted, casework.ConditionsDeclined, casework.Postponed}, "", casework.Requested},
	{"art 42(7): the requesting State asks for a later deadline while the data are preserved", casework.AskExtension,
		[]casework.State{casework.InProgress, casework.MoreInfoRequested, casework.Consultation, casework.ConditionsAccepted, casework.ConditionsDeclined, casework.Postponed}, "", casework.Requesting},
	{"art 43(1): the requested State discloses traffic data while executing a preservation", casework.DiscloseTraffic,
		[]casework.State{casework.InProgress, casework.MoreInfoRequested, casework.Consultation, casework.ConditionsAccepted, casework.ConditionsDeclined, casework.Postponed}, "", casework.Requested},
}

// validTransition returns a transition for action that carries everything
// the action needs, so that only the state and the actor decide.
func validTransition(action casework.Action) casework.Transition {
	t := casework.Transition{Action: action, Note: "noted"}
	switch action {
	case casework.Refuse:
		t.Grounds = []convention.Ground{convention.EssentialInterests}
		t.Reasons = "execution would prejudice essential interests"
	case casework.Postpone:
		t.Reasons = "execution would interfere with an ongoing investigation"
	case casework.Extend, casework.AskExtension:
		until := now.AddDate(0, 0, 120)
		t.PreserveUntil = &until
	}
	return t
}

func actorFor(side casework.Side) casework.Actor {
	if side == casework.Requested {
		return vnmCA
	}
	return fraCA
}

func holderFor(side casework.Side) string {
	if side == casework.Requested {
		return requested
	}
	return requesting
}

// TestDecideStates tries every action from every state, on a preservation
// whose period has ended (so that extension applies, and nothing holds
// it), by a central authority of each side the action allows: it succeeds
// from the listed states, moving to the listed state, and fails with
// ErrConflict from every other.
func TestDecideStates(t *testing.T) {
	if got, want := len(machine), len(casework.Actions()); got != want {
		t.Fatalf("the test covers %d actions, casework.Actions() lists %d", got, want)
	}
	for _, m := range machine {
		sides := []casework.Side{m.by}
		if m.by == "" {
			sides = []casework.Side{casework.Requesting, casework.Requested}
		}
		for _, side := range sides {
			for _, from := range allStates {
				name := m.name + "/" + string(side) + "/from " + string(from)
				t.Run(name, func(t *testing.T) {
					r := ended(t, from, holderFor(side))
					if m.action == casework.Postpone {
						// A preservation is never postponed: see
						// TestPreservationNotPostponed.
						r = view(t, convention.MutualAssistance, from, holderFor(side))
					}
					r.ResumeState = casework.InProgress
					if m.action == casework.AcceptConditions || m.action == casework.DeclineConditions {
						r.ProposedConditions = "use only in the proceedings named"
					}
					before := *r
					e, err := casework.Decide(r, validTransition(m.action), actorFor(side), now)
					if !reflect.DeepEqual(*r, before) {
						t.Errorf("Decide changed the request: %+v, want %+v", *r, before)
					}
					if !slices.Contains(m.from, from) {
						if !errors.Is(err, casework.ErrConflict) {
							t.Errorf("Decide(%s from %s) = %v, want ErrConflict", m.action, from, err)
						}
						return
					}
					if err != nil {
						t.Fatalf("Decide(%s from %s) = %v, want success", m.action, from, err)
					}
					if e.From != from || e.To != m.to || e.Action != m.action || e.RequestID != r.ID || !e.At.Equal(now) ||
						e.Actor != actorFor(side).ID || e.ActorState != actorFor(side).State {
						t.Errorf("Decide(%s from %s) = event %+v, want from %s to %q by %s at %v", m.action, from, e, from, m.to, actorFor(side).ID, now)
					}
					casework.ApplyEvent(r, e)
					wantState := m.to
					if wantState == "" {
						wantState = from
					}
					if r.State != wantState || r.Version != before.Version+1 || !r.UpdatedAt.Equal(now) {
						t.Errorf("after ApplyEvent: state %s, version %d, updated %v; want %s, %d, %v", r.State, r.Version, r.UpdatedAt, wantState, before.Version+1, now)
					}
				})
			}
		}
	}
}

// TestDecideNoSkipping checks that a request cannot jump over a step.
func TestDecideNoSkipping(t *testing.T) {
	tests := []struct {
		name   string
		kind   convention.Kind
		from   casework.State
		action casework.Action
		by     casework.Actor
	}{
		{"art 40(25): execute a request only received", convention.MutualAssistance, casework.Received, casework.Execute, vnmCA},
		{"art 40(25): execute a request only acknowledged", convention.MutualAssistance, casework.Acknowledged, casework.Execute, vnmCA},
		{"art 40(17): start a request not acknowledged", convention.MutualAssistance, casework.Received, casework.Start, vnmCA},
		{"art 40(25): acknowledge a request never sent", convention.MutualAssistance, casework.Draft, casework.Acknowledge, vnmCA},
		{"art 40(27): refuse without consultation", convention.MutualAssistance, casework.InProgress, casework.Refuse, vnmCA},
		{"art 40(26): postpone without consultation", convention.MutualAssistance, casework.InProgress, casework.Postpone, vnmCA},
		{"art 40(14): send twice", convention.MutualAssistance, casework.Sent, casework.Send, fraCA},
		{"art 40(25): withdraw an executed request", convention.MutualAssistance, casework.Executed, casework.Withdraw, fraCA},
		{"art 40(25): close a request in progress", convention.MutualAssistance, casework.InProgress, casework.Close, vnmCA},
		{"art 40(25): act on a closed request", convention.MutualAssistance, casework.Closed, casework.Close, fraCA},
		{"art 40(16): provide information nobody asked for", convention.MutualAssistance, casework.InProgress, casework.ProvideInfo, fraCA},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			holder := tt.by.State
			r := view(t, tt.kind, tt.from, holder)
			_, err := casework.Decide(r, validTransition(tt.action), tt.by, now)
			if !errors.Is(err, casework.ErrConflict) {
				t.Fatalf("Decide(%s from %s) = %v, want ErrConflict", tt.action, tt.from, err)
			}
			if ce, ok := errors.AsType[*casework.Error](err); !ok || len(ce.Problems) != 1 || ce.Problems[0].Field != "action" {
				t.Errorf("Decide(%s from %s) = %#v, want a *casework.Error with one problem on \"action\"", tt.action, tt.from, err)
			}
		})
	}
}

// TestDecideSide checks that each action is taken only by the side the
// Convention gives it to.
func TestDecideSide(t *testing.T) {
	for _, m := range machine {
		if m.by == "" {
			continue
		}
		other := casework.Requested
		if m.by == casework.Requested {
			other = casework.Requesting
		}
		t.Run(m.name+"/not by the "+string(other)+" State", func(t *testing.T) {
			r := preserving(t, m.from[0], holderFor(other))
			r.ResumeState = casework.InProgress
			_, err := casework.Decide(r, validTransition(m.action), actorFor(other), now)
			if !errors.Is(err, casework.ErrForbidden) {
				t.Errorf("Decide(%s by %s) = %v, want ErrForbidden", m.action, other, err)
			}
		})
	}
}

func TestDecideWhoMayAct(t *testing.T) {
	tests := []struct {
		name   string
		kind   convention.Kind
		holder string
		from   casework.State
		action casework.Action
		by     casework.Actor
		want   error // nil for success
	}{
		{"art 41(3)(b): 24/7 acknowledges a preservation", convention.Preservation, requested, casework.Received, casework.Acknowledge,
			casework.Actor{ID: "vnm-247", State: requested, Role: identity.TwentyFourSeven}, nil},
		{"art 43: 24/7 acknowledges a traffic disclosure", convention.TrafficDisclosure, requested, casework.Received, casework.Acknowledge,
			casework.Actor{ID: "vnm-247", State: requested, Role: identity.TwentyFourSeven}, nil},
		{"art 41(3)(e): 24/7 executes an emergency disclosure", convention.EmergencyDisclosure, requested, casework.InProgress, casework.Execute,
			casework.Actor{ID: "vnm-247", State: requested, Role: identity.TwentyFourSeven}, nil},
		{"art 41(3)(b): 24/7 sends a preservation", convention.Preservation, requesting, casework.Draft, casework.Send,
			casework.Actor{ID: "fra-247", State: requesting, Role: identity.TwentyFourSeven}, nil},
		{"art 41: 24/7 may not acknowledge mutual legal assistance", convention.MutualAssistance, requested, casework.Received, casework.Acknowledge,
			casework.Actor{ID: "vnm-247", State: requested, Role: identity.TwentyFourSeven}, casework.ErrForbidden},
		{"art 41: 24/7 may not send access to stored data", convention.StoredDataAccess, requesting, casework.Draft, casework.Send,
			casework.Actor{ID: "fra-247", State: requesting, Role: identity.TwentyFourSeven}, casework.ErrForbidden},
		{"art 41: 24/7 may not execute an extradition", convention.Extradition, requested, casework.InProgress, casework.Execute,
			casework.Actor{ID: "vnm-247", State: requested, Role: identity.TwentyFourSeven}, casework.ErrForbidden},
		{"art 40(13): an investigator may not send", convention.MutualAssistance, requesting, casework.Draft, casework.Send,
			casework.Actor{ID: "fra-inv", State: requesting, Role: identity.Investigator}, casework.ErrForbidden},
		{"art 40(13): an investigator may not withdraw", convention.MutualAssistance, requesting, casework.Sent, casework.Withdraw,
			casework.Actor{ID: "fra-inv", State: requesting, Role: identity.Investigator}, casework.ErrForbidden},
		{"art 40(13): an auditor may not acknowledge", convention.MutualAssistance, requested, casework.Received, casework.Acknowledge,
			casework.Actor{ID: "vnm-aud", State: requested, Role: identity.Auditor}, casework.ErrForbidden},
		{"art 40(13): an auditor may not close", convention.MutualAssistance, requesting, casework.Executed, casework.Close,
			casework.Actor{ID: "fra-aud", State: requesting, Role: identity.Auditor}, casework.ErrForbidden},
		{"art 40(13): an administrator may not send", convention.MutualAssistance, requesting, casework.Draft, casework.Send,
			casework.Actor{ID: "fra-admin", State: requesting, Role: identity.Administrator}, casework.ErrForbidden},
		{"art 40(13): an unknown role may not send", convention.MutualAssistance, requesting, casework.Draft, casework.Send,
			casework.Actor{ID: "fra-x", State: requesting, Role: "minister"}, casework.ErrForbidden},
		{"art 40(20): a third State does not see the request", convention.MutualAssistance, requesting, casework.Draft, casework.Send,
			casework.Actor{ID: "deu-ca", State: "DEU", Role: identity.CentralAuthority}, casework.ErrNotFound},
		{"art 40(20): the requested State cannot act on the requesting State's view", convention.MutualAssistance, requesting, casework.Received, casework.Acknowledge,
			vnmCA, casework.ErrNotFound},
		{"art 40(20): the requesting State cannot act on the requested State's view", convention.MutualAssistance, requested, casework.Sent, casework.Withdraw,
			fraCA, casework.ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := view(t, tt.kind, tt.from, tt.holder)
			_, err := casework.Decide(r, validTransition(tt.action), tt.by, now)
			switch {
			case tt.want == nil && err != nil:
				t.Errorf("Decide(%s by %s %s) = %v, want success", tt.action, tt.by.Role, tt.by.State, err)
			case tt.want != nil && !errors.Is(err, tt.want):
				t.Errorf("Decide(%s by %s %s) = %v, want %v", tt.action, tt.by.Role, tt.by.State, err, tt.want)
			}
		})
	}
}

func TestDecideUnknownAction(t *testing.T) {
	for _, a := range []casework.Action{"", "approve", casework.Create, casework.Deliver, casework.LinkFollowUp} {
		t.Run(string(a), func(t *testing.T) {
			_, err := casework.Decide(view(t, convention.Preservation, casework.Sent, requesting), casework.Transition{Action: a}, fraCA, now)
			ps, ok := errors.AsType[convention.Problems](err)
			if !ok || len(ps) != 1 || ps[0].Field != "action" {
				t.Errorf("Decide(%q) = %v, want one problem on \"action\"", a, err)
			}
		})
	}
}

func TestDecideRefusal(t *testing.T) {
	tests := []struct {
		name    string
		kind    convention.Kind
		grounds []convention.Ground
		reasons string
		want    []want
	}{
		{"art 40(21)(b): essential interests for mutual legal assistance", convention.MutualAssistance,
			[]convention.Ground{convention.EssentialInterests}, "security", nil},
		{"art 40(22): discrimination for a preservation", convention.Preservation,
			[]convention.Ground{convention.Discrimination}, "political opinion", nil},
		{"art 40(21): a refusal without a ground", convention.MutualAssistance, nil, "no reason at all",
			[]want{{"grounds", convention.Art(40).Para(21), "at least one ground"}}},
		{"art 40(24): a refusal without reasons", convention.MutualAssistance,
			[]convention.Ground{convention.DomesticLaw}, "  ",
			[]want{{"reasons", convention.Art(40).Para(24), "reasons"}}},
		{"art 42(5): non-conformity is no ground to refuse a preservation", convention.Preservation,
			[]convention.Ground{convention.NonConformity}, "incomplete",
			[]want{{"grounds", convention.Art(42), "not allowed"}}},
		{"art 40(8): bank secrecy is never a ground", convention.MutualAssistance,
			[]convention.Ground{convention.BankSecrecy}, "secret",
			[]want{{"grounds", convention.Art(40).Para(8), "never a ground"}}},
		{"art 40(21),(24): every problem at once", convention.MutualAssistance, nil, "",
			[]want{{"grounds", convention.Art(40).Para(21), "at least one ground"}, {"reasons", convention.Art(40).Para(24), "reasons"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := view(t, tt.kind, casework.Consultation, requested)
			e, err := casework.Decide(r, casework.Transition{Action: casework.Refuse, Grounds: tt.grounds, Reasons: tt.reasons}, vnmCA, now)
			if tt.want != nil {
				if errors.Is(err, casework.ErrConflict) || errors.Is(err, casework.ErrForbidden) {
					t.Fatalf("Decide(refuse) = %v, want problems with the refusal", err)
				}
				assertProblems(t, "Decide(refuse)", problemsOf(err), tt.want...)
				return
			}
			if err != nil {
				t.Fatalf("Decide(refuse) = %v, want success", err)
			}
			casework.ApplyEvent(r, e)
			if r.State != casework.Refused || r.Refusal == nil || !slices.Equal(r.Refusal.Grounds, tt.grounds) || r.Refusal.Reasons != tt.reasons {
				t.Errorf("after refusal: state %s, refusal %+v; want refused with %v, %q", r.State, r.Refusal, tt.grounds, tt.reasons)
			}
		})
	}
}

func TestDecideNeedsText(t *testing.T) {
	long := make([]byte, casework.MaxTextLength+1)
	for i := range long {
		long[i] = 'x'
	}
	tests := []struct {
		name string
		from casework.State
		by   casework.Actor
		t    casework.Transition
		want want
	}{
		{"art 40(16): a request for information says what is needed", casework.InProgress, vnmCA,
			casework.Transition{Action: casework.RequestInfo, Note: " "}, want{"note", convention.Art(40).Para(16), "additional information"}},
		{"art 40(16): the answer gives the information", casework.MoreInfoRequested, fraCA,
			casework.Transition{Action: casework.ProvideInfo}, want{"note", convention.Art(40).Para(16), "information"}},
		{"art 40(26): a postponement gives reasons", casework.Consultation, vnmCA,
			casework.Transition{Action: casework.Postpone}, want{"reasons", convention.Art(40).Para(26), "interfere"}},
		{"art 40(17): a note is bounded", casework.Acknowledged, vnmCA,
			casework.Transition{Action: casework.Start, Note: string(long)}, want{"note", convention.Art(40).Para(17), "too long"}},
		{"art 40(27): conditions are bounded", casework.Consultation, vnmCA,
			casework.Transition{Action: casework.Resume, Conditions: string(long)}, want{"conditions", convention.Art(40).Para(27), "too long"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := view(t, convention.MutualAssistance, tt.from, tt.by.State)
			r.ResumeState = casework.InProgress
			_, err := casework.Decide(r, tt.t, tt.by, now)
			assertProblems(t, "Decide("+string(tt.t.Action)+")", problemsOf(err), tt.want)
		})
	}
}

func TestDecideSendChecksContents(t *testing.T) {
	r := view(t, convention.MutualAssistance, casework.Draft, requesting)
	delete(r.Fields, "purpose")
	r.Offences = nil
	_, err := casework.Decide(r, casework.Transition{Action: casework.Send}, fraCA, now)
	assertProblems(t, "Decide(send) of an incomplete draft", problemsOf(err),
		want{"fields.purpose", convention.Art(40).Para(15).Sub("g"), "required"},
		want{"offences", convention.Art(35).Para(1), "offence"})
}

func TestDecideStartPreservation(t *testing.T) {
	tests := []struct {
		name  string
		kind  convention.Kind
		until *time.Time
		want  time.Time // the deadline set; zero when refused
		prob  *want
	}{
		{"art 42(7): no end given preserves exactly 60 days", convention.Preservation, nil, now.AddDate(0, 0, 60), nil},
		{"art 42(7): 60 days to the day", convention.Preservation, new(now.AddDate(0, 0, 60)), now.AddDate(0, 0, 60), nil},
		{"art 42(7): 90 days", convention.Preservation, new(now.AddDate(0, 0, 90)), now.AddDate(0, 0, 90), nil},
		{"art 42(7): preservation shorter than 60 days", convention.Preservation, new(now.AddDate(0, 0, 59)), time.Time{},
			&want{"preserve_until", convention.Art(42).Para(7).Unchecked(), "at least 60 days"}},
		{"art 42(7): preservation ending in the past", convention.Preservation, new(now.AddDate(0, 0, -1)), time.Time{},
			&want{"preserve_until", convention.Art(42).Para(7).Unchecked(), "at least 60 days"}},
		{"art 42: only a preservation has a deadline", convention.MutualAssistance, new(now.AddDate(0, 0, 90)), time.Time{},
			&want{"preserve_until", convention.Art(42), "only a preservation"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := view(t, tt.kind, casework.Acknowledged, requested)
			e, err := casework.Decide(r, casework.Transition{Action: casework.Start, PreserveUntil: tt.until}, vnmCA, now)
			if tt.prob != nil {
				assertProblems(t, "Decide(start)", problemsOf(err), *tt.prob)
				return
			}
			if err != nil {
				t.Fatalf("Decide(start) = %v, want success", err)
			}
			if e.PreserveUntil == nil || !e.PreserveUntil.Equal(tt.want) {
				t.Fatalf("Decide(start).PreserveUntil = %v, want %v", e.PreserveUntil, tt.want)
			}
			casework.ApplyEvent(r, e)
			p := r.Preservation
			if r.State != casework.InProgress || p == nil || !p.Started.Equal(now) || !p.Until.Equal(tt.want) || p.FollowUp != "" {
				t.Errorf("after start: state %s, preservation %+v; want in progress, started %v until %v", r.State, p, now, tt.want)
			}
		})
	}
	t.Run("a request that preserves nothing has no preservation", func(t *testing.T) {
		r := view(t, convention.MutualAssistance, casework.Acknowledged, requested)
		e, err := casework.Decide(r, casework.Transition{Action: casework.Start}, vnmCA, now)
		if err != nil {
			t.Fatalf("Decide(start) = %v", err)
		}
		casework.ApplyEvent(r, e)
		if e.PreserveUntil != nil || r.Preservation != nil {
			t.Errorf("start of mutual assistance: event deadline %v, preservation %+v; want none", e.PreserveUntil, r.Preservation)
		}
	})
}

func TestDecideExtend(t *testing.T) {
	started := now.Add(-24 * time.Hour)
	current := convention.PreservationDeadline(started)
	tests := []struct {
		name     string
		r        func(t *testing.T) *casework.Request
		until    *time.Time
		conflict bool
		prob     *want
	}{
		{"art 42(7): extended by a month", func(t *testing.T) *casework.Request { return preserving(t, casework.InProgress, requested) },
			new(current.AddDate(0, 1, 0)), false, nil},
		{"art 42(7): extension to the current deadline", func(t *testing.T) *casework.Request { return preserving(t, casework.InProgress, requested) },
			new(current), false, &want{"preserve_until", convention.Art(42).Para(7).Unchecked(), "after the current deadline"}},
		{"art 42(7): extension earlier than the current deadline", func(t *testing.T) *casework.Request { return preserving(t, casework.Postponed, requested) },
			new(current.AddDate(0, 0, -1)), false, &want{"preserve_until", convention.Art(42).Para(7).Unchecked(), "at least 60 days"}},
		{"art 42(7): extension without a new end", func(t *testing.T) *casework.Request { return preserving(t, casework.InProgress, requested) },
			nil, false, &want{"preserve_until", convention.Art(42).Para(7).Unchecked(), "required"}},
		{"art 42(7): no extension once a follow-up is linked", func(t *testing.T) *casework.Request {
			r := preserving(t, casework.InProgress, requested)
			r.Preservation.FollowUp, r.Preservation.Until = "0193-follow", time.Time{}
			return r
		}, new(current.AddDate(0, 1, 0)), true, nil},
		{"art 42: a request that preserves nothing cannot be extended", func(t *testing.T) *casework.Request {
			return view(t, convention.MutualAssistance, casework.InProgress, requested)
		}, new(current.AddDate(0, 1, 0)), true, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := tt.r(t)
			e, err := casework.Decide(r, casework.Transition{Action: casework.Extend, PreserveUntil: tt.until}, vnmCA, now)
			switch {
			case tt.conflict:
				if !errors.Is(err, casework.ErrConflict) {
					t.Errorf("Decide(extend) = %v, want ErrConflict", err)
				}
				return
			case tt.prob != nil:
				assertProblems(t, "Decide(extend)", problemsOf(err), *tt.prob)
				return
			case err != nil:
				t.Fatalf("Decide(extend) = %v, want success", err)
			}
			state := r.State
			casework.ApplyEvent(r, e)
			if r.State != state || !r.Preservation.Until.Equal(*tt.until) || !r.Preservation.Started.Equal(started) {
				t.Errorf("after extend: state %s, preservation %+v; want %s until %v", r.State, r.Preservation, state, *tt.until)
			}
		})
	}
}

func TestFollowUpEvent(t *testing.T) {
	followUp := func(t *testing.T) *casework.Request {
		r := view(t, convention.StoredDataAccess, casework.Sent, requesting)
		r.ID = "0193-follow"
		return r
	}
	tests := []struct {
		name string
		p    func(t *testing.T) *casework.Request
		f    func(t *testing.T) *casework.Request
		want *want // nil: the link is made
	}{
		{"art 42(7): a preservation in progress is followed up", func(t *testing.T) *casework.Request {
			return preserving(t, casework.InProgress, requesting)
		}, followUp, nil},
		{"art 42(7): a preservation postponed keeps its data and is followed up", func(t *testing.T) *casework.Request {
			return preserving(t, casework.Postponed, requesting)
		}, followUp, nil},
		{"art 42(7): a preservation executed at the end of its period holds nothing to follow up", func(t *testing.T) *casework.Request {
			return ended(t, casework.Executed, requesting)
		}, followUp, &want{"follow_up_of", convention.Art(42).Para(7).Unchecked(), "without follow_up_of"}},
		{"art 42: only a preservation is followed up", func(t *testing.T) *casework.Request {
			return view(t, convention.MutualAssistance, casework.InProgress, requesting)
		}, followUp, &want{"follow_up_of", convention.Art(42), "not a preservation"}},
		{"art 42: a follow-up goes between the same States", func(t *testing.T) *casework.Request {
			return preserving(t, casework.InProgress, requesting)
		}, func(t *testing.T) *casework.Request {
			r := followUp(t)
			r.RequestedState = "DEU"
			return r
		}, &want{"follow_up_of", convention.Art(42), "other States"}},
		{"art 42(7): a preservation not yet started preserves nothing", func(t *testing.T) *casework.Request {
			return view(t, convention.Preservation, casework.Received, requesting)
		}, followUp, &want{"follow_up_of", convention.Art(42).Para(7).Unchecked(), "not preserving"}},
		{"art 42(7): a refused preservation preserves nothing", func(t *testing.T) *casework.Request {
			return preserving(t, casework.Refused, requesting)
		}, followUp, &want{"follow_up_of", convention.Art(42).Para(7).Unchecked(), "not preserving"}},
		{"art 42(7): a preservation is followed up once", func(t *testing.T) *casework.Request {
			r := preserving(t, casework.InProgress, requesting)
			r.Preservation.FollowUp = "0193-other"
			return r
		}, followUp, &want{"follow_up_of", convention.Art(42).Para(7).Unchecked(), "already followed up"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, f := tt.p(t), tt.f(t)
			e, err := casework.FollowUpEvent(p, f, fraCA, now)
			if tt.want != nil {
				assertProblems(t, "FollowUpEvent", problemsOf(err), *tt.want)
				return
			}
			if err != nil {
				t.Fatalf("FollowUpEvent = %v, want success", err)
			}
			if e.Action != casework.LinkFollowUp || e.RequestID != p.ID || e.FollowUp != f.ID || e.From != p.State || e.To != "" || !e.At.Equal(now) {
				t.Errorf("FollowUpEvent = %+v, want link_follow_up of %s to %s from %s, state unchanged", e, p.ID, f.ID, p.State)
			}
			state, version := p.State, p.Version
			casework.ApplyEvent(p, e)
			if p.State != state || p.Version != version+1 || p.Preservation.FollowUp != f.ID || !p.Preservation.Until.IsZero() {
				t.Errorf("after link: state %s, version %d, preservation %+v; want %s, %d, followed up by %s with no deadline",
					p.State, p.Version, p.Preservation, state, version+1, f.ID)
			}
			// Once followed up, the deadline cannot move (art. 42(7)).
			until := now.AddDate(1, 0, 0)
			if _, err := casework.Decide(p, casework.Transition{Action: casework.AskExtension, Note: "longer", PreserveUntil: &until}, fraCA, now); !errors.Is(err, casework.ErrConflict) {
				t.Errorf("Decide(ask_extension) after the link = %v, want ErrConflict", err)
			}
		})
	}
}

// TestProvideInfoResumes walks request_info then provide_info from each
// state that allows the question, and checks the request returns there.
func TestProvideInfoResumes(t *testing.T) {
	for _, from := range []casework.State{casework.Acknowledged, casework.InProgress} {
		t.Run("art 40(16): from "+string(from), func(t *testing.T) {
			theirs := view(t, convention.MutualAssistance, from, requested)
			ours := view(t, convention.MutualAssistance, from, requesting)
			ask, err := casework.Decide(theirs, casework.Transition{Action: casework.RequestInfo, Note: "which accounts?"}, vnmCA, now)
			if err != nil {
				t.Fatalf("Decide(request_info) = %v", err)
			}
			for _, r := range []*casework.Request{theirs, ours} {
				casework.ApplyEvent(r, ask)
				if r.State != casework.MoreInfoRequested || r.ResumeState != from {
					t.Fatalf("after request_info (%s's view): state %s, resume %q; want more_info_requested, %s", r.Holder, r.State, r.ResumeState, from)
				}
			}
			answer, err := casework.Decide(ours, casework.Transition{Action: casework.ProvideInfo, Note: "accounts 1 and 2"}, fraCA, now.Add(time.Hour))
			if err != nil {
				t.Fatalf("Decide(provide_info) = %v", err)
			}
			if answer.From != casework.MoreInfoRequested || answer.To != from {
				t.Errorf("provide_info event from %s to %s, want from more_info_requested to %s", answer.From, answer.To, from)
			}
			for _, r := range []*casework.Request{theirs, ours} {
				casework.ApplyEvent(r, answer)
				if r.State != from || r.ResumeState != "" {
					t.Errorf("after provide_info (%s's view): state %s, resume %q; want %s, none", r.Holder, r.State, r.ResumeState, from)
				}
			}
		})
	}
}

func TestResumeKeepsConditions(t *testing.T) {
	r := view(t, convention.MutualAssistance, casework.InProgress, requested)
	steps := []casework.Transition{
		{Action: casework.Consult, Note: "dual criminality doubtful"},
		{Action: casework.Resume, Conditions: "use only for the fraud case"},
	}
	for _, st := range steps {
		e, err := casework.Decide(r, st, vnmCA, now)
		if err != nil {
			t.Fatalf("Decide(%s) = %v", st.Action, err)
		}
		casework.ApplyEvent(r, e)
	}
	if r.State != casework.InProgress || r.Conditions != "use only for the fraud case" || r.ResumeState != "" {
		t.Errorf("after consult and resume: state %s, conditions %q, resume %q; want in_progress with the conditions (art 40(27))", r.State, r.Conditions, r.ResumeState)
	}
}

func TestCanDraft(t *testing.T) {
	tests := []struct {
		name string
		kind convention.Kind
		role identity.Role
		want error
	}{
		{"art 40(13): the central authority drafts mutual legal assistance", convention.MutualAssistance, identity.CentralAuthority, nil},
		{"art 40(13): an investigator drafts for the central authority", convention.Extradition, identity.Investigator, nil},
		{"art 41: 24/7 drafts a preservation", convention.Preservation, identity.TwentyFourSeven, nil},
		{"art 41: 24/7 drafts a traffic disclosure", convention.TrafficDisclosure, identity.TwentyFourSeven, nil},
		{"art 41: 24/7 drafts an emergency disclosure", convention.EmergencyDisclosure, identity.TwentyFourSeven, nil},
		{"art 41(3)(a): 24/7 drafts a request for technical advice", convention.TechnicalAdvice, identity.TwentyFourSeven, nil},
		{"art 41(3)(c): 24/7 drafts a request for legal information", convention.LegalInformation, identity.TwentyFourSeven, nil},
		{"art 41(3)(d): 24/7 drafts a request to locate a suspect", convention.LocatingSuspects, identity.TwentyFourSeven, nil},
		{"art 38: 24/7 may not draft a transfer of a sentenced person", convention.SentencedTransfer, identity.TwentyFourSeven, casework.ErrForbidden},
		{"art 40(10): 24/7 may not draft a transfer of a detained witness", convention.WitnessTransfer, identity.TwentyFourSeven, casework.ErrForbidden},
		{"art 41: 24/7 may not draft mutual legal assistance", convention.MutualAssistance, identity.TwentyFourSeven, casework.ErrForbidden},
		{"art 41: 24/7 may not draft an interception", convention.Interception, identity.TwentyFourSeven, casework.ErrForbidden},
		{"an auditor drafts nothing", convention.Preservation, identity.Auditor, casework.ErrForbidden},
		{"an administrator drafts nothing", convention.Preservation, identity.Administrator, casework.ErrForbidden},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := casework.CanDraft(tt.kind, casework.Actor{ID: "x", State: requesting, Role: tt.role})
			if (tt.want == nil) != (err == nil) || (tt.want != nil && !errors.Is(err, tt.want)) {
				t.Errorf("CanDraft(%s, %s) = %v, want %v", tt.kind, tt.role, err, tt.want)
			}
		})
	}
}

func TestCanRead(t *testing.T) {
	r := view(t, convention.MutualAssistance, casework.Sent, requesting)
	tests := []struct {
		by   casework.Actor
		want bool
	}{
		{fraCA, true},
		{casework.Actor{ID: "a", State: requesting, Role: identity.Investigator}, true},
		{casework.Actor{ID: "a", State: requesting, Role: identity.Auditor}, true},
		{casework.Actor{ID: "a", State: requesting, Role: identity.TwentyFourSeven}, true},
		{casework.Actor{ID: "a", State: requesting, Role: identity.Administrator}, false},
		{vnmCA, false}, // the other State's view, not this one
		{casework.Actor{ID: "a", State: "DEU", Role: identity.CentralAuthority}, false},
	}
	for _, tt := range tests {
		if got := casework.CanRead(r, tt.by); got != tt.want {
			t.Errorf("CanRead(%s's view, %s %s) = %v, want %v", r.Holder, tt.by.Role, tt.by.State, got, tt.want)
		}
	}
}

func TestErrorUnwraps(t *testing.T) {
	r := view(t, convention.MutualAssistance, casework.Received, requested)
	_, err := casework.Decide(r, casework.Transition{Action: casework.Execute}, vnmCA, now)
	ce, ok := errors.AsType[*casework.Error](err)
	if !ok {
		t.Fatalf("Decide = %T %v, want *casework.Error", err, err)
	}
	if errors.Is(err, casework.ErrForbidden) || !errors.Is(err, casework.ErrConflict) {
		t.Errorf("errors.Is(%v): want ErrConflict only", err)
	}
	if msg := ce.Error(); msg == "" || msg[:len("conflict: ")] != "conflict: " {
		t.Errorf("Error() = %q, want it to start with %q", msg, "conflict: ")
	}
}

// TestCheckRemote checks events another State's node reports before they
// are applied here: only what the rules would make of the action passes.
func TestCheckRemote(t *testing.T) {
	link := func(to casework.State) casework.Event {
		return casework.Event{RequestID: "0193-req", At: now, Actor: "fra-ca", ActorState: requesting, Action: casework.LinkFollowUp,
			From: casework.InProgress, To: to, FollowUp: "0193-follow"}
	}
	start := func(until *time.Time) casework.Event {
		return casework.Event{RequestID: "0193-req", At: now, Actor: "vnm-ca", ActorState: requested, Action: casework.Start,
			From: casework.Acknowledged, To: casework.InProgress, PreserveUntil: until}
	}
	ack := casework.Event{RequestID: "0193-req", At: now, Actor: "vnm-ca", ActorState: requested, Action: casework.Acknowledge,
		From: casework.Received, To: casework.Acknowledged}
	withGrounds := ack
	withGrounds.Grounds = []convention.Ground{"art_40_21_a"}
	tests := []struct {
		name string
		r    func(t *testing.T) *casework.Request
		e    casework.Event
		ok   bool
	}{
		{"art 42(7): the requesting State links a follow-up", func(t *testing.T) *casework.Request {
			return preserving(t, casework.InProgress, requested)
		}, link(""), true},
		{"art 42(7): a link that also moves the request to closed", func(t *testing.T) *casework.Request {
			return preserving(t, casework.InProgress, requested)
		}, link(casework.Closed), false},
		{"art 42(7): a link that moves the request to executed", func(t *testing.T) *casework.Request {
			return preserving(t, casework.InProgress, requested)
		}, link(casework.Executed), false},
		{"art 42(7): a preservation is followed up once", func(t *testing.T) *casework.Request {
			r := preserving(t, casework.InProgress, requested)
			r.Preservation.FollowUp = "0193-other"
			return r
		}, link(""), false},
		{"art 42(7): a preservation starts with its deadline", func(t *testing.T) *casework.Request {
			return view(t, convention.Preservation, casework.Acknowledged, requesting)
		}, start(new(now.AddDate(0, 0, 60))), true},
		{"art 42(7): a preservation started without a deadline", func(t *testing.T) *casework.Request {
			return view(t, convention.Preservation, casework.Acknowledged, requesting)
		}, start(nil), false},
		{"art 40(25): an acknowledgement", func(t *testing.T) *casework.Request {
			return view(t, convention.MutualAssistance, casework.Received, requesting)
		}, ack, true},
		{"art 40(21): refusal grounds smuggled into an acknowledgement", func(t *testing.T) *casework.Request {
			return view(t, convention.MutualAssistance, casework.Received, requesting)
		}, withGrounds, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := casework.CheckRemote(tt.r(t), tt.e)
			if (err == nil) != tt.ok {
				t.Errorf("CheckRemote(%s to %q) = %v, want ok %v", tt.e.Action, tt.e.To, err, tt.ok)
			}
		})
	}
}

// TestEnumerations: the lists the API documents as enumerations hold
// every action, those of officials and those the node records, and each
// state once.
func TestEnumerations(t *testing.T) {
	actions := casework.AllActions()
	for _, a := range append(casework.Actions(), casework.Create, casework.Deliver, casework.Receipt, casework.Crossed, casework.LinkFollowUp, casework.FollowUpDecided) {
		if !slices.Contains(actions, a) {
			t.Errorf("AllActions() lacks %s", a)
		}
	}
	states := casework.States()
	seen := map[casework.State]bool{}
	for _, st := range states {
		if seen[st] || st == "" {
			t.Errorf("States() = %v: %q twice or empty", states, st)
		}
		seen[st] = true
	}
	for _, st := range []casework.State{casework.Draft, casework.Closed, casework.MoreInfoRequested, casework.PartiallyExecuted} {
		if !seen[st] {
			t.Errorf("States() lacks %s", st)
		}
	}
}

// TestPreservationHeld: the requested State cannot cut a preservation
// short, and only it sets how long the data are kept.
func TestPreservationHeld(t *testing.T) {
	linked := func(decided bool) func(t *testing.T) *casework.Request {
		return func(t *testing.T) *casework.Request {
			r := ended(t, casework.InProgress, requested)
			r.Preservation.FollowUp, r.Preservation.Until, r.Preservation.FollowUpDecided = "0193-follow", time.Time{}, decided
			return r
		}
	}
	year9999 := time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		r    func(t *testing.T) *casework.Request
		by   casework.Actor
		t    casework.Transition
		kind error // ErrConflict, ErrForbidden, or nil
		prob *want // a problem with the contents
	}{
		{"art 42(7): preservation cannot be executed on day 1 of 60", func(t *testing.T) *casework.Request { return preserving(t, casework.InProgress, requested) },
			vnmCA, casework.Transition{Action: casework.Execute}, casework.ErrConflict, nil},
		{"art 42(7): preservation cannot be partially executed before 60 days", func(t *testing.T) *casework.Request { return preserving(t, casework.InProgress, requested) },
			vnmCA, casework.Transition{Action: casework.ExecutePartially}, casework.ErrConflict, nil},
		{"art 42(7): a postponed preservation cannot be closed before its period ends", func(t *testing.T) *casework.Request { return preserving(t, casework.Postponed, requested) },
			vnmCA, casework.Transition{Action: casework.Close}, casework.ErrConflict, nil},
		{"art 42(7): preservation executed once its period has ended without a follow-up", func(t *testing.T) *casework.Request { return ended(t, casework.InProgress, requested) },
			vnmCA, casework.Transition{Action: casework.Execute}, nil, nil},
		{"art 42(7): preservation cannot be executed before its follow-up is decided", linked(false),
			vnmCA, casework.Transition{Action: casework.Execute}, casework.ErrConflict, nil},
		{"art 42(7): preservation executed once its follow-up is decided", linked(true),
			vnmCA, casework.Transition{Action: casework.Execute}, nil, nil},
		{"art 42(7): a withdrawn preservation is closed at once", func(t *testing.T) *casework.Request { return preserving(t, casework.Withdrawn, requested) },
			vnmCA, casework.Transition{Action: casework.Close}, nil, nil},
		{"art 42(5), 40(24): a refused preservation is closed at once", func(t *testing.T) *casework.Request { return preserving(t, casework.Refused, requesting) },
			fraCA, casework.Transition{Action: casework.Close}, nil, nil},
		{"art 42(7): the requesting State cannot extend the other's deadline", func(t *testing.T) *casework.Request { return preserving(t, casework.InProgress, requesting) },
			fraCA, casework.Transition{Action: casework.Extend, PreserveUntil: new(now.AddDate(0, 0, 400))}, casework.ErrForbidden, nil},
		{"art 42(7): the requested State cannot ask itself for an extension", func(t *testing.T) *casework.Request { return preserving(t, casework.InProgress, requested) },
			vnmCA, casework.Transition{Action: casework.AskExtension, Note: "longer", PreserveUntil: new(now.AddDate(0, 0, 90))}, casework.ErrForbidden, nil},
		{"art 42(7): the requesting State asks for an extension", func(t *testing.T) *casework.Request { return preserving(t, casework.InProgress, requesting) },
			fraCA, casework.Transition{Action: casework.AskExtension, Note: "the judge needs two more months", PreserveUntil: new(now.AddDate(0, 0, 120))}, nil, nil},
		{"art 42(7): an extension asked without saying why", func(t *testing.T) *casework.Request { return preserving(t, casework.InProgress, requesting) },
			fraCA, casework.Transition{Action: casework.AskExtension, PreserveUntil: new(now.AddDate(0, 0, 120))}, nil, &want{"note", convention.Art(42).Para(7).Unchecked(), "why"}},
		{"art 42(7), 24(2): preservation started until the year 9999", func(t *testing.T) *casework.Request {
			return view(t, convention.Preservation, casework.Acknowledged, requested)
		}, vnmCA, casework.Transition{Action: casework.Start, PreserveUntil: &year9999}, nil, &want{"preserve_until", convention.Safeguards24, "at the latest"}},
		{"art 42(7), 24(2): preservation extended to the year 9999", func(t *testing.T) *casework.Request { return preserving(t, casework.InProgress, requested) },
			vnmCA, casework.Transition{Action: casework.Extend, PreserveUntil: &year9999}, nil, &want{"preserve_until", convention.Safeguards24, "at the latest"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := tt.r(t)
			e, err := casework.Decide(r, tt.t, tt.by, now)
			switch {
			case tt.kind != nil:
				if !errors.Is(err, tt.kind) {
					t.Fatalf("Decide(%s) = %v, want %v", tt.t.Action, err, tt.kind)
				}
				if msg := err.Error(); tt.kind == casework.ErrConflict && !strings.Contains(msg, "preserved until") ||
					tt.kind == casework.ErrForbidden && !strings.Contains(msg, "only the") {
					t.Errorf("Decide(%s) = %q, want it to say how long the data are kept or who may act", tt.t.Action, msg)
				}
				if tt.t.Action == casework.Extend && !strings.Contains(err.Error(), "ask_extension") {
					t.Errorf("Decide(extend) by the requesting State = %q, want it to name ask_extension", err)
				}
				return
			case tt.prob != nil:
				assertProblems(t, "Decide("+string(tt.t.Action)+")", problemsOf(err), *tt.prob)
				return
			case err != nil:
				t.Fatalf("Decide(%s) = %v, want success", tt.t.Action, err)
			}
			// The other State's node checks the event the same way.
			other := *r
			other.Holder = requested
			if r.Holder == requested {
				other.Holder = requesting
			}
			if err := casework.CheckRemote(&other, e); err != nil {
				t.Errorf("CheckRemote(%s) on the other view = %v, want nil", e.Action, err)
			}
			casework.ApplyEvent(r, e)
			if tt.t.Action == casework.AskExtension && (r.Preservation.ExtensionAsked == nil || !r.Preservation.ExtensionAsked.Equal(*tt.t.PreserveUntil) ||
				!r.Preservation.Until.Equal(convention.PreservationDeadline(r.Preservation.Started))) {
				t.Errorf("after ask_extension: preservation %+v; want the same deadline, extension asked until %v", r.Preservation, *tt.t.PreserveUntil)
			}
		})
	}
}

// TestDiscloseTraffic: expedited disclosure of traffic data is a step of
// executing a preservation, by the requested State, carrying the data.
func TestDiscloseTraffic(t *testing.T) {
	disclose := casework.Transition{Action: casework.DiscloseTraffic, Note: "Provider: ExampleNet (DEU); path: 198.51.100.4 -> 203.0.113.9, 2026-02-27 22:14 UTC"}
	tests := []struct {
		name string
		r    func(t *testing.T) *casework.Request
		by   casework.Actor
		t    casework.Transition
		kind error
		prob *want
	}{
		{"art 43(1): disclosed while the data are preserved", func(t *testing.T) *casework.Request { return preserving(t, casework.InProgress, requested) },
			vnmCA, disclose, nil, nil},
		{"art 43(1): disclosed while a follow-up is pending", func(t *testing.T) *casework.Request {
			r := preserving(t, casework.InProgress, requested)
			r.Preservation.FollowUp, r.Preservation.Until = "0193-follow", time.Time{}
			return r
		}, vnmCA, disclose, nil, nil},
		{"art 43(1): only the requested State discloses", func(t *testing.T) *casework.Request { return preserving(t, casework.InProgress, requesting) },
			fraCA, disclose, casework.ErrForbidden, nil},
		{"art 43(1): nothing to disclose before the preservation starts", func(t *testing.T) *casework.Request {
			return view(t, convention.Preservation, casework.Acknowledged, requested)
		}, vnmCA, disclose, casework.ErrConflict, nil},
		{"art 43(1): a request that preserves nothing discloses nothing", func(t *testing.T) *casework.Request {
			return view(t, convention.MutualAssistance, casework.InProgress, requested)
		}, vnmCA, disclose, casework.ErrConflict, nil},
		{"art 43(1): a disclosure carries the traffic data", func(t *testing.T) *casework.Request { return preserving(t, casework.InProgress, requested) },
			vnmCA, casework.Transition{Action: casework.DiscloseTraffic}, nil, &want{"note", convention.Art(43).Para(1), "traffic data"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := tt.r(t)
			e, err := casework.Decide(r, tt.t, tt.by, now)
			switch {
			case tt.kind != nil:
				if !errors.Is(err, tt.kind) {
					t.Errorf("Decide(disclose_traffic) = %v, want %v", err, tt.kind)
				}
				return
			case tt.prob != nil:
				assertProblems(t, "Decide(disclose_traffic)", problemsOf(err), *tt.prob)
				return
			case err != nil:
				t.Fatalf("Decide(disclose_traffic) = %v, want success", err)
			}
			theirs := *r
			theirs.Holder = requesting
			if err := casework.CheckRemote(&theirs, e); err != nil {
				t.Errorf("CheckRemote(disclose_traffic) = %v, want nil", err)
			}
			state := r.State
			casework.ApplyEvent(r, e)
			if r.State != state || e.Note != tt.t.Note {
				t.Errorf("after disclose_traffic: state %s, note %q; want %s, the traffic data", r.State, e.Note, state)
			}
		})
	}
}

// TestFollowUpDecided: a preservation followed up is held until its
// follow-up is decided, and the event that ends the hold is checked by the
// other State's node.
func TestFollowUpDecided(t *testing.T) {
	linked := func(t *testing.T) *casework.Request {
		r := preserving(t, casework.InProgress, requested)
		r.Preservation.FollowUp, r.Preservation.Until = "0193-follow", time.Time{}
		return r
	}
	followUp := func(s casework.State) *casework.Request {
		r := view(t, convention.StoredDataAccess, s, requested)
		r.ID = "0193-follow"
		return r
	}
	for _, s := range allStates {
		if s == casework.Withdrawn {
			continue // below: withdrawing the follow-up decides nothing
		}
		want := slices.Contains([]casework.State{casework.Executed, casework.PartiallyExecuted, casework.Refused, casework.Closed}, s)
		t.Run("art 42(7): follow-up "+string(s), func(t *testing.T) {
			p := linked(t)
			e, ok := casework.FollowUpDecidedEvent(p, followUp(s), vnmCA, now)
			if ok != want {
				t.Fatalf("FollowUpDecidedEvent(follow-up %s) = _, %v, want %v", s, ok, want)
			}
			if !ok {
				return
			}
			if e.Action != casework.FollowUpDecided || e.FollowUp != "0193-follow" || e.To != "" || e.From != casework.InProgress {
				t.Errorf("FollowUpDecidedEvent = %+v, want follow_up_decided of 0193-follow, state unchanged", e)
			}
			theirs := linked(t)
			theirs.Holder = requesting
			if err := casework.CheckRemote(theirs, e); err != nil {
				t.Errorf("CheckRemote(follow_up_decided) = %v, want nil", err)
			}
			casework.ApplyEvent(p, e)
			if _, err := casework.Decide(p, casework.Transition{Action: casework.Execute}, vnmCA, now); err != nil {
				t.Errorf("Decide(execute) once the follow-up is %s = %v, want success", s, err)
			}
			if _, again := casework.FollowUpDecidedEvent(p, followUp(s), vnmCA, now); again {
				t.Errorf("FollowUpDecidedEvent twice: want once")
			}
		})
	}
	t.Run("art 42(7): a follow-up withdrawn undecided leaves the data preserved, and another may follow", func(t *testing.T) {
		p := preserving(t, casework.InProgress, requested)
		p.Preservation.Started = now.AddDate(0, 0, -1)
		p.Preservation.Until = now.AddDate(0, 0, 90)
		casework.ApplyEvent(p, casework.Event{Action: casework.LinkFollowUp, At: now, FollowUp: "0193-follow"})
		e, ok := casework.FollowUpDecidedEvent(p, followUp(casework.Withdrawn), fraCA, now)
		if !ok || e.Action != casework.FollowUpWithdrawn || e.To != "" {
			t.Fatalf("FollowUpDecidedEvent(follow-up withdrawn) = %+v, %v; want follow_up_withdrawn, state unchanged", e, ok)
		}
		theirs := linked(t)
		theirs.Holder = requested
		theirs.Preservation.HeldUntil = now.AddDate(0, 0, 90)
		if err := casework.CheckRemote(theirs, e); err != nil {
			t.Errorf("CheckRemote(follow_up_withdrawn) by the requesting State = %v, want nil", err)
		}
		casework.ApplyEvent(p, e)
		if got := p.Preservation.Until; !got.Equal(now.AddDate(0, 0, 90)) || p.Preservation.FollowUp != "" {
			t.Errorf("after the withdrawal: until %s, follow-up %q; want the end set before, %s, and no follow-up", got, p.Preservation.FollowUp, now.AddDate(0, 0, 90))
		}
		if _, err := casework.Decide(p, casework.Transition{Action: casework.Execute}, vnmCA, now); !errors.Is(err, casework.ErrConflict) {
			t.Errorf("Decide(execute) on the day the follow-up is withdrawn = %v, want a conflict: the data stay preserved", err)
		}
		next := view(t, convention.StoredDataAccess, casework.Draft, requesting)
		next.ID = "0193-next"
		if _, err := casework.FollowUpEvent(p, next, fraCA, now); err != nil {
			t.Errorf("FollowUpEvent(a second follow-up) = %v, want it linked", err)
		}
	})
	t.Run("art 42(7): a follow-up withdrawn late holds the data at least the minimum period", func(t *testing.T) {
		p := preserving(t, casework.InProgress, requested)
		p.Preservation.Started = now.AddDate(0, 0, -10)
		p.Preservation.Until = time.Time{}
		p.Preservation.FollowUp = "0193-follow"
		e, _ := casework.FollowUpDecidedEvent(p, followUp(casework.Withdrawn), fraCA, now)
		casework.ApplyEvent(p, e)
		if want := now.AddDate(0, 0, 50); !p.Preservation.Until.Equal(want) {
			t.Errorf("until = %s, want %s: 60 days from the start", p.Preservation.Until, want)
		}
	})
	t.Run("art 42(7): a follow-up decided for another preservation is refused", func(t *testing.T) {
		e := casework.Event{RequestID: "0193-req", At: now, Actor: "vnm-ca", ActorState: requested, Action: casework.FollowUpDecided, From: casework.InProgress, FollowUp: "0193-other"}
		theirs := linked(t)
		theirs.Holder = requesting
		if err := casework.CheckRemote(theirs, e); err == nil {
			t.Errorf("CheckRemote(follow_up_decided of another request) = nil, want an error")
		}
		unlinked := preserving(t, casework.InProgress, requesting)
		e.FollowUp = "0193-follow"
		if err := casework.CheckRemote(unlinked, e); err == nil {
			t.Errorf("CheckRemote(follow_up_decided) on a preservation not followed up = nil, want an error")
		}
	})
	t.Run("art 42(7): an official cannot record the end of the hold", func(t *testing.T) {
		_, err := casework.Decide(linked(t), casework.Transition{Action: casework.FollowUpDecided}, vnmCA, now)
		assertProblems(t, "Decide(follow_up_decided)", problemsOf(err), want{"action", convention.Art(40), "unknown action"})
	})
}

// TestAllowedForAgreesWithDecide: the actions a view of a request offers
// an official are exactly those Decide would let them take, for every
// state, both sides and each role (art. 40(13), (20)); nobody has to try
// an action to learn it is refused.
func TestAllowedForAgreesWithDecide(t *testing.T) {
	actors := []casework.Actor{fraCA, vnmCA,
		{ID: "vnm-247", State: requested, Role: identity.TwentyFourSeven},
		{ID: "fra-inv", State: requesting, Role: identity.Investigator},
		{ID: "vnm-aud", State: requested, Role: identity.Auditor}}
	offered := 0
	for _, kind := range []convention.Kind{convention.Preservation, convention.MutualAssistance} {
		for _, state := range casework.States() {
			for _, by := range actors {
				r := view(t, kind, state, by.State)
				allowed := casework.AllowedFor(r, by, now)
				offered += len(allowed)
				for _, a := range casework.Actions() {
					_, err := casework.Decide(view(t, kind, state, by.State), validTransition(a), by, now)
					if got := slices.Contains(allowed, a); got != (err == nil) {
						t.Errorf("%s %s, %s %s: AllowedFor offers %s: %v; Decide = %v", kind, state, by.State, by.Role, a, got, err)
					}
				}
			}
		}
	}
	if offered < 20 {
		t.Errorf("AllowedFor offered %d actions in all; the test sees too few cases to mean anything", offered)
	}
}

// TestPreservationNotPostponed: art. 42(3): the requested State preserves
// expeditiously; art. 42 gives grounds for refusal only, so a preservation
// is never postponed, whatever its state.
func TestPreservationNotPostponed(t *testing.T) {
	for _, from := range []casework.State{casework.Consultation, casework.ConditionsDeclined} {
		r := preserving(t, from, requested)
		_, err := casework.Decide(r, validTransition(casework.Postpone), vnmCA, now)
		if !errors.Is(err, casework.ErrConflict) || !strings.Contains(err.Error(), "a preservation is not postponed") {
			t.Errorf("postpone a preservation %s = %v, want a conflict saying it is not postponed", from, err)
		}
		if slices.Contains(casework.AllowedFor(r, vnmCA, now), casework.Postpone) {
			t.Errorf("AllowedFor(preservation %s) offers postpone", from)
		}
	}
}
