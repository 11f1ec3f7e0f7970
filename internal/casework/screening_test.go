package casework_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"entraide/internal/casework"
	"entraide/internal/convention"
	"entraide/internal/identity"
)

// allScreeningGrounds is every ground of a screening, considered.
func allScreeningGrounds(k convention.Kind) []convention.ScreeningGround {
	var out []convention.ScreeningGround
	for _, g := range convention.ScreeningGrounds(k) {
		out = append(out, g.Ground)
	}
	return out
}

func screened(t *testing.T, r *casework.Request, outcome convention.ScreeningOutcome, concerns ...convention.ScreeningGround) {
	t.Helper()
	s, err := casework.Screen(r, convention.Screening{Considered: allScreeningGrounds(r.Kind), ConcernsFound: concerns, Findings: "what was found", Outcome: outcome}, vnmCA, "scr-1", now)
	if err != nil {
		t.Fatalf("Screen(%s, %s) = %v", r.Kind, outcome, err)
	}
	r.Screening = &s
}

// TestStartWaitsForScreening: the requested State cannot begin executing
// an intrusive request, or one from a State it flagged, before a screening
// cleared it; the refusal names the next step.
func TestStartWaitsForScreening(t *testing.T) {
	tests := []struct {
		name    string
		kind    convention.Kind
		flagged bool
		screen  convention.ScreeningOutcome // "" for none
		wantErr bool
		says    []string
	}{
		{"art 24(4): interception waits for its screening", convention.Interception, false, "", true, []string{"before it is screened", "screen it first", "entraide request screen 0193-req", "then start it"}},
		{"art 24(4): real-time collection waits for its screening", convention.RealTimeTraffic, false, "", true, []string{"of a kind every request of which is screened"}},
		{"art 37: extradition waits for its screening", convention.Extradition, false, "", true, []string{"screen it first"}},
		{"art 40(22): a request from a flagged State waits for its screening", convention.MutualAssistance, true, "", true, []string{"your State screens every request from FRA"}},
		{"art 40(27): concerns found lead to consultation, not execution", convention.Interception, false, convention.Concerns, true, []string{"found concerns (discrimination)", "consult the requesting State", "art. 40(27)", "discrimination", "screen it again"}},
		{"a cleared interception starts", convention.Interception, false, convention.Cleared, false, nil},
		{"a request from a State not flagged, of a kind not screened, starts unscreened", convention.MutualAssistance, false, "", false, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := view(t, tt.kind, casework.Acknowledged, requested)
			r.FromFlagged = tt.flagged
			switch tt.screen {
			case convention.Cleared:
				screened(t, r, convention.Cleared)
			case convention.Concerns:
				screened(t, r, convention.Concerns, convention.ScreenDiscrimination)
			}
			_, err := casework.Decide(r, casework.Transition{Action: casework.Start}, vnmCA, now)
			if !tt.wantErr {
				if err != nil {
					t.Fatalf("Decide(start) = %v, want it allowed", err)
				}
				if casework.ScreeningPending(r) {
					t.Errorf("ScreeningPending = true for a request that may start")
				}
				return
			}
			ce, ok := errors.AsType[*casework.Error](err)
			if !ok || !errors.Is(err, casework.ErrConflict) {
				t.Fatalf("Decide(start) = %v, want a conflict", err)
			}
			p := ce.Problems[0]
			if p.Field != "screening" || p.Ref != convention.ScreeningRef {
				t.Errorf("problem on %s (%s), want screening (%s)", p.Field, p.Ref.Cite(), convention.ScreeningRef.Cite())
			}
			for _, piece := range tt.says {
				if !strings.Contains(p.Message, piece) {
					t.Errorf("problem %q does not say %q", p.Message, piece)
				}
			}
			if slices.Contains(casework.AllowedFor(r, vnmCA, now), casework.Start) {
				t.Errorf("AllowedFor offers start before the screening cleared the request")
			}
			if !slices.Contains(casework.AllowedFor(r, vnmCA, now), casework.Consult) {
				t.Errorf("AllowedFor does not offer consult, the way to refuse after concerns (art. 40(27))")
			}
			if !casework.ScreeningPending(r) {
				t.Errorf("ScreeningPending = false for a request that may not start")
			}
		})
	}
}

// TestResumeWaitsForScreening: consultation after concerns ends in
// execution only once a new screening clears the request.
func TestResumeWaitsForScreening(t *testing.T) {
	r := view(t, convention.Interception, casework.ConditionsAccepted, requested)
	screened(t, r, convention.Concerns, convention.ScreenScopeDuration)
	if _, err := casework.Decide(r, casework.Transition{Action: casework.Resume}, vnmCA, now); !errors.Is(err, casework.ErrConflict) {
		t.Fatalf("Decide(resume) after concerns = %v, want a conflict", err)
	}
	screened(t, r, convention.Cleared)
	if _, err := casework.Decide(r, casework.Transition{Action: casework.Resume}, vnmCA, now); err != nil {
		t.Fatalf("Decide(resume) after a cleared screening = %v", err)
	}
}

// TestRequestingViewNeedsNoScreening: the requesting State's node checks
// the other State's start without knowing of its screening, which never
// travels.
func TestRequestingViewNeedsNoScreening(t *testing.T) {
	r := view(t, convention.Interception, casework.Acknowledged, requesting)
	if casework.NeedsScreening(r) {
		t.Fatal("NeedsScreening(requesting view) = true")
	}
	e := casework.Event{RequestID: r.ID, At: now, Actor: vnmCA.ID, ActorState: requested, Action: casework.Start, From: casework.Acknowledged, To: casework.InProgress}
	if err := casework.CheckRemote(r, e); err != nil {
		t.Fatalf("CheckRemote(start) on the requesting view = %v", err)
	}
}

// TestScreen: who may screen, when, and what a screening must say.
func TestScreen(t *testing.T) {
	all := allScreeningGrounds(convention.Interception)
	ok := convention.Screening{Considered: all, Findings: "no indication on any ground", Outcome: convention.Cleared}
	tests := []struct {
		name  string
		state casework.State
		by    casework.Actor
		s     convention.Screening
		kind  error  // for an *Error
		field string // for convention.Problems
	}{
		{"the central authority of the requested State screens", casework.Acknowledged, vnmCA, ok, nil, ""},
		{"the requesting State does not screen", casework.Acknowledged, fraCA, ok, casework.ErrForbidden, ""},
		{"an investigator does not screen", casework.Acknowledged, casework.Actor{ID: "vnm-inv", State: requested, Role: identity.Investigator}, ok, casework.ErrForbidden, ""},
		{"the 24/7 point of contact does not screen", casework.Acknowledged, casework.Actor{ID: "vnm-247", State: requested, Role: identity.TwentyFourSeven}, ok, casework.ErrForbidden, ""},
		{"an executed request is not screened", casework.Executed, vnmCA, ok, casework.ErrConflict, ""},
		{"every ground is considered", casework.Acknowledged, vnmCA, convention.Screening{Considered: all[1:], Findings: "f", Outcome: convention.Cleared}, nil, "considered"},
		{"art 40(22): concerns do not clear", casework.Acknowledged, vnmCA, convention.Screening{Considered: all, ConcernsFound: []convention.ScreeningGround{convention.ScreenDiscrimination}, Findings: "f", Outcome: convention.Cleared}, nil, "outcome"},
		{"concerns name their grounds", casework.Acknowledged, vnmCA, convention.Screening{Considered: all, Findings: "f", Outcome: convention.Concerns}, nil, "concerns_found"},
		{"findings are written", casework.Acknowledged, vnmCA, convention.Screening{Considered: all, Findings: "  ", Outcome: convention.Cleared}, nil, "findings"},
		{"an unknown outcome", casework.Acknowledged, vnmCA, convention.Screening{Considered: all, Findings: "f", Outcome: "maybe"}, nil, "outcome"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			holder := tt.by.State
			r := view(t, convention.Interception, tt.state, holder)
			got, err := casework.Screen(r, tt.s, tt.by, "scr-1", now)
			switch {
			case tt.kind != nil:
				if !errors.Is(err, tt.kind) {
					t.Fatalf("Screen = %v, want %v", err, tt.kind)
				}
			case tt.field != "":
				ps, ok := errors.AsType[convention.Problems](err)
				if !ok || !slices.ContainsFunc(ps, func(p convention.Problem) bool { return p.Field == tt.field }) {
					t.Fatalf("Screen = %v, want a problem on %s", err, tt.field)
				}
			default:
				if err != nil {
					t.Fatalf("Screen = %v", err)
				}
				if got.ScreenedBy != tt.by.ID || !got.ScreenedAt.Equal(now) || got.Outcome != convention.Cleared {
					t.Errorf("Screen = %+v, want screened by %s at %v, cleared", got, tt.by.ID, now)
				}
			}
		})
	}
}

// TestRefusalAfterScreening: a refusal on the screening's grounds carries
// reasons like every refusal (art. 40(24)), and the grounds it suggests
// are allowed for the kind.
func TestRefusalAfterScreening(t *testing.T) {
	for _, k := range convention.ScreenedKinds() {
		s := convention.Screening{Considered: allScreeningGrounds(k), ConcernsFound: allScreeningGrounds(k), Findings: "f", Outcome: convention.Concerns}
		gs := convention.RefusalGroundsFor(k, s)
		if len(gs) == 0 || !slices.Contains(gs, convention.Discrimination) {
			t.Errorf("RefusalGroundsFor(%s, every concern) = %v, want the art. 40(22) ground among them", k, gs)
		}
		r := view(t, k, casework.ConditionsDeclined, requested)
		if _, err := casework.Decide(r, casework.Transition{Action: casework.Refuse, Grounds: gs}, vnmCA, now); err == nil || !strings.Contains(err.Error(), "reasons must be given") {
			t.Errorf("%s: refusing on %v without reasons = %v, want reasons required (art. 40(24))", k, gs, err)
		}
		if _, err := casework.Decide(r, casework.Transition{Action: casework.Refuse, Grounds: gs, Reasons: "the request aims at the person's political opinions"}, vnmCA, now); err != nil {
			t.Errorf("%s: refusing on %v with reasons = %v", k, gs, err)
		}
	}
}

// TestExecuteWaitsAfterConcerns: a screening that found concerns while
// the requested State asked for more information is not undone by the
// information arriving: the request is back in progress, but it is not
// executed; consultation, then a screening that clears it, and resume,
// are the way on.
func TestExecuteWaitsAfterConcerns(t *testing.T) {
	r := view(t, convention.Interception, casework.MoreInfoRequested, requested)
	r.ResumeState = casework.InProgress
	screened(t, r, convention.Concerns, convention.ScreenDiscrimination)
	// The requesting State's information, as its node sends it.
	e := casework.Event{RequestID: r.ID, At: now, Actor: fraCA.ID, ActorState: requesting, Action: casework.ProvideInfo,
		From: casework.MoreInfoRequested, To: casework.InProgress, Note: "the warrant"}
	if err := casework.CheckRemote(r, e); err != nil {
		t.Fatalf("CheckRemote(provide_info) = %v", err)
	}
	casework.ApplyEvent(r, e)
	if r.State != casework.InProgress {
		t.Fatalf("after the information, the request is %s, want in progress", r.State)
	}
	for _, a := range []casework.Action{casework.Execute, casework.ExecutePartially} {
		if _, err := casework.Decide(r, casework.Transition{Action: a, Note: "x"}, vnmCA, now); !errors.Is(err, casework.ErrConflict) {
			t.Errorf("Decide(%s) after a screening found concerns = %v, want a conflict", a, err)
		}
	}
	if !slices.Contains(casework.AllowedFor(r, vnmCA, now), casework.Consult) {
		t.Errorf("AllowedFor does not offer consult after concerns")
	}
}
