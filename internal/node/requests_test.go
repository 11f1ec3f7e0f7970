package node_test

import (
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"entraide/internal/casework"
	"entraide/internal/convention"
	"entraide/internal/node"
	"entraide/internal/store"
)

// step is one transition of a request's life, and the state both views
// reach.
type step struct {
	by   casework.Actor
	t    casework.Transition
	want casework.State
}

var sendStep = step{fraCA, casework.Transition{Action: casework.Send}, casework.Received}

// TestLifecycle walks requests from draft to closed along each path the
// Convention allows, and checks after every step that both States' views
// agree, that their shared timelines are equal, and that each view changed
// wrote exactly one audit record per event.
func TestLifecycle(t *testing.T) {
	paths := []struct {
		name  string
		kind  convention.Kind
		steps []step
	}{
		{"art 40(25): executed after more information and consultation", convention.MutualAssistance, []step{
			sendStep,
			{vnmCA, casework.Transition{Action: casework.Acknowledge, Note: "received"}, casework.Acknowledged},
			{vnmCA, casework.Transition{Action: casework.Start}, casework.InProgress},
			{vnmCA, casework.Transition{Action: casework.RequestInfo, Note: "which accounts?"}, casework.MoreInfoRequested},
			{fraCA, casework.Transition{Action: casework.ProvideInfo, Note: "accounts 1 and 2"}, casework.InProgress},
			{vnmCA, casework.Transition{Action: casework.Consult, Note: "dual criminality?"}, casework.Consultation},
			{vnmCA, casework.Transition{Action: casework.Resume, Conditions: "use for this case only"}, casework.InProgress},
			{vnmCA, casework.Transition{Action: casework.Execute, Note: "evidence sent"}, casework.Executed},
			{fraCA, casework.Transition{Action: casework.Close}, casework.Closed},
		}},
		{"art 40(21),(24): refused after consultation", convention.StoredDataAccess, []step{
			sendStep,
			{vnmCA, casework.Transition{Action: casework.Acknowledge}, casework.Acknowledged},
			{vnmCA, casework.Transition{Action: casework.Consult, Note: "essential interests"}, casework.Consultation},
			{vnmCA, casework.Transition{Action: casework.Refuse, Grounds: []convention.Ground{convention.EssentialInterests}, Reasons: "national security"}, casework.Refused},
			{vnmCA, casework.Transition{Action: casework.Close}, casework.Closed},
		}},
		{"art 40(26): postponed then closed", convention.MutualAssistance, []step{
			sendStep,
			{vnmCA, casework.Transition{Action: casework.Acknowledge}, casework.Acknowledged},
			{vnmCA, casework.Transition{Action: casework.Start}, casework.InProgress},
			{vnmCA, casework.Transition{Action: casework.Consult}, casework.Consultation},
			{vnmCA, casework.Transition{Action: casework.Postpone, Reasons: "ongoing trial"}, casework.Postponed},
			{fraCA, casework.Transition{Action: casework.Close}, casework.Closed},
		}},
		{"art 40(25): withdrawn while in progress", convention.MutualAssistance, []step{
			sendStep,
			{vnmCA, casework.Transition{Action: casework.Acknowledge}, casework.Acknowledged},
			{vnmCA, casework.Transition{Action: casework.Start}, casework.InProgress},
			{fraCA, casework.Transition{Action: casework.Withdraw, Note: "case dropped"}, casework.Withdrawn},
			{vnmCA, casework.Transition{Action: casework.Close}, casework.Closed},
		}},
		{"art 41, 42: a preservation handled by the 24/7 network", convention.Preservation, []step{
			{fra247, casework.Transition{Action: casework.Send}, casework.Received},
			{vnm247, casework.Transition{Action: casework.Acknowledge}, casework.Acknowledged},
			{vnm247, casework.Transition{Action: casework.Start}, casework.InProgress},
			{fra247, casework.Transition{Action: casework.AskExtension, Note: "the judge needs a month more", PreserveUntil: new(start.AddDate(0, 0, 90))}, casework.InProgress},
			{vnm247, casework.Transition{Action: casework.Extend, PreserveUntil: new(start.AddDate(0, 0, 90))}, casework.InProgress},
			{fra247, casework.Transition{Action: casework.Withdraw, Note: "no longer needed"}, casework.Withdrawn},
			{vnm247, casework.Transition{Action: casework.Close}, casework.Closed},
		}},
	}
	for _, p := range paths {
		t.Run(p.name, func(t *testing.T) {
			eachBackend(t, func(t *testing.T, backend string) {
				f := newFixture(t, backend)
				var r *casework.Request
				log := f.auditSince(t, func() { r = f.draft(t, p.kind, "VNM") })
				if got := actionsAndSubjects(log); !slices.Equal(got, []string{"request.create request/" + r.ID}) {
					t.Errorf("audit of CreateRequest = %v, want one request.create", got)
				}
				if fra, vnm, tl, _ := f.views(t, r.ID); fra == nil || fra.State != casework.Draft || vnm != nil || !slices.Equal(actionsOf(tl), []casework.Action{casework.Create}) {
					t.Fatalf("after create: FRA's view %v with %v, VNM's %v; want a draft only FRA holds", fra, actionsOf(tl), vnm)
				}
				for i, s := range p.steps {
					f.clock.Advance(time.Hour)
					log := f.auditSince(t, func() { f.move(t, s.by, r.ID, s.t) })
					fra, vnm, fraTL, vnmTL := f.views(t, r.ID)
					if fra == nil || vnm == nil {
						t.Fatalf("step %d (%s): FRA's view %v, VNM's %v; want both", i, s.t.Action, fra, vnm)
					}
					if fra.State != s.want || vnm.State != s.want {
						t.Errorf("step %d (%s): FRA's view %s, VNM's %s; want both %s", i, s.t.Action, fra.State, vnm.State, s.want)
					}
					// FRA's timeline starts with the draft's creation, which VNM
					// never saw; the rest is shared.
					if len(fraTL) != len(vnmTL)+1 || fraTL[0].Action != casework.Create || !sameEvents(t, fraTL[1:], vnmTL) {
						t.Errorf("step %d (%s): timelines differ:\nFRA %v\nVNM %v", i, s.t.Action, actionsOf(fraTL), actionsOf(vnmTL))
					}
					if last := vnmTL[len(vnmTL)-1]; last.Action != s.t.Action && s.t.Action != casework.Send {
						t.Errorf("step %d: last event %s, want %s", i, last.Action, s.t.Action)
					}
					if fra.Version != vnm.Version+1 || !fra.UpdatedAt.Equal(f.clock.Now()) || !vnm.UpdatedAt.Equal(f.clock.Now()) {
						t.Errorf("step %d (%s): versions %d/%d, updated %v/%v; want FRA one ahead (its draft), both at %v",
							i, s.t.Action, fra.Version, vnm.Version, fra.UpdatedAt, vnm.UpdatedAt, f.clock.Now())
					}
					assertSameView(t, fra, vnm)
					// One record per view an event moved.
					want := []string{"request." + string(s.t.Action) + " request/" + r.ID + "@" + s.by.State}
					other := "VNM"
					if s.by.State == "VNM" {
						other = "FRA"
					}
					switch s.t.Action {
					case casework.Send:
						want = append(want, "request.deliver request/"+r.ID+"@FRA", "request.receive request/"+r.ID+"@VNM")
					default:
						want = append(want, "request."+string(s.t.Action)+" request/"+r.ID+"@"+other)
					}
					// The alerts a step raises or resolves in the same
					// transaction are the alerting tests' business.
					got := slices.DeleteFunc(actionsAndSubjects(log), func(a string) bool { return strings.HasPrefix(a, "alert.") })
					if !slices.Equal(slices.Sorted(slices.Values(got)), slices.Sorted(slices.Values(want))) {
						t.Errorf("step %d (%s): audit records %v, want %v", i, s.t.Action, got, want)
					}
					for _, rec := range log {
						if rec.Node != "FRA" || rec.ActorState == "" || rec.Actor == "" {
							t.Errorf("step %d: audit record %+v lacks its node or actor", i, rec)
						}
					}
				}
			})
		})
	}
}

// assertSameView fails t unless the two views differ only where views may:
// the holder and the version.
func assertSameView(t *testing.T, fra, vnm *casework.Request) {
	t.Helper()
	a, b := *fra, *vnm
	a.Holder, a.Version = "", 0
	b.Holder, b.Version = "", 0
	if ja, jb := mustJSON(t, a), mustJSON(t, b); ja != jb {
		t.Errorf("views differ:\nFRA %s\nVNM %s", ja, jb)
	}
}

func TestRefusalNeedsGrounds(t *testing.T) {
	eachBackend(t, func(t *testing.T, backend string) {
		f := newFixture(t, backend)
		r := f.draft(t, convention.Preservation, "VNM")
		for _, s := range []step{sendStep,
			{vnmCA, casework.Transition{Action: casework.Acknowledge}, casework.Acknowledged},
			{vnmCA, casework.Transition{Action: casework.Consult}, casework.Consultation}} {
			f.move(t, s.by, r.ID, s.t)
		}
		log := f.auditSince(t, func() {
			_, err := f.n.Transition(t.Context(), vnmCA, r.ID, casework.Transition{Action: casework.Refuse, Grounds: []convention.Ground{convention.NonConformity}})
			assertProblemFields(t, "Transition(refuse a preservation for non-conformity, without reasons)", err, "grounds", "reasons")
		})
		if len(log) != 0 {
			t.Errorf("a refused refusal wrote audit records %v", actionsAndSubjects(log))
		}
		if fra, vnm, _, _ := f.views(t, r.ID); fra.State != casework.Consultation || vnm.State != casework.Consultation {
			t.Errorf("after a refused refusal: %s/%s, want both in consultation", fra.State, vnm.State)
		}
	})
}

// A requested State that declared the reservation of art. 42(4) may refuse
// a preservation for lack of dual criminality, where the offence is outside
// the Convention; the node looks up its declarations, and both views
// record the reservation relied on.
func TestRefusalReliesOnDeclaredReservation(t *testing.T) {
	eachBackend(t, func(t *testing.T, backend string) {
		f := newFixture(t, backend)
		ctx := t.Context()
		c := contents(t, convention.Preservation, "VNM")
		c.Offences = []convention.Charge{{Description: "Drug trafficking", MaxPenaltyYears: 10}}
		r, err := f.n.CreateRequest(ctx, fraCA, c)
		if err != nil {
			t.Fatalf("CreateRequest: %v", err)
		}
		for _, s := range []step{sendStep,
			{vnmCA, casework.Transition{Action: casework.Acknowledge}, casework.Acknowledged},
			{vnmCA, casework.Transition{Action: casework.Consult}, casework.Consultation}} {
			f.move(t, s.by, r.ID, s.t)
		}
		refuse := casework.Transition{Action: casework.Refuse, Grounds: []convention.Ground{convention.NoDualCriminality}, Reasons: "Not an offence under Vietnamese law."}

		t.Run("art 42(4): without the reservation, dual criminality is no ground for preservation", func(t *testing.T) {
			_, err := f.n.Transition(ctx, vnmCA, r.ID, refuse)
			assertProblemFields(t, "Transition(refuse on no_dual_criminality, no reservation)", err, "grounds")
		})
		t.Run("art 42(4): a declaration that reserves nothing changes nothing", func(t *testing.T) {
			if _, err := f.n.RecordDeclaration(ctx, f.n.Admin(), "VNM", node.DeclarationInput{Article: 42, MadeOn: "2026-01-10", Text: "Viet Nam notes article 42."}); err != nil {
				t.Fatalf("RecordDeclaration: %v", err)
			}
			_, err := f.n.Transition(ctx, vnmCA, r.ID, refuse)
			assertProblemFields(t, "Transition(refuse on no_dual_criminality, no reservation)", err, "grounds")
		})
		t.Run("art 42(4): the other State's reservation does not count", func(t *testing.T) {
			if _, err := f.n.RecordDeclaration(ctx, f.n.Admin(), "FRA", node.DeclarationInput{Article: 42, MadeOn: "2026-01-10", Text: "France reserves.", Reservation: convention.PreservationDualCriminality}); err != nil {
				t.Fatalf("RecordDeclaration: %v", err)
			}
			_, err := f.n.Transition(ctx, vnmCA, r.ID, refuse)
			assertProblemFields(t, "Transition(refuse on no_dual_criminality, FRA reserved)", err, "grounds")
		})
		t.Run("art 42(4): with the requested State's reservation, the refusal stands on both views", func(t *testing.T) {
			if _, err := f.n.RecordDeclaration(ctx, f.n.Admin(), "VNM", node.DeclarationInput{Article: 42, MadeOn: "2026-01-10", Text: "Viet Nam reserves.", Reservation: convention.PreservationDualCriminality}); err != nil {
				t.Fatalf("RecordDeclaration: %v", err)
			}
			f.move(t, vnmCA, r.ID, refuse)
			fra, vnm, fraTL, vnmTL := f.views(t, r.ID)
			if fra.State != casework.Refused || vnm.State != casework.Refused {
				t.Fatalf("after the refusal: %s/%s, want both refused", fra.State, vnm.State)
			}
			for _, tl := range [][]casework.Event{fraTL, vnmTL} {
				last := tl[len(tl)-1]
				if last.Action != casework.Refuse || !slices.Equal(last.Reservations, []convention.Reservation{convention.PreservationDualCriminality}) {
					t.Errorf("last event = %s relying on %v, want refuse relying on [%s]", last.Action, last.Reservations, convention.PreservationDualCriminality)
				}
			}
		})
	})
}

func TestFollowUpKeepsPreservation(t *testing.T) {
	eachBackend(t, func(t *testing.T, backend string) {
		f := newFixture(t, backend)
		ctx := t.Context()
		p := f.draft(t, convention.Preservation, "VNM")
		f.move(t, fraCA, p.ID, casework.Transition{Action: casework.Send})
		f.move(t, vnmCA, p.ID, casework.Transition{Action: casework.Acknowledge})
		started := f.clock.Now()
		f.move(t, vnmCA, p.ID, casework.Transition{Action: casework.Start})
		fra, vnm, _, _ := f.views(t, p.ID)
		for _, v := range []*casework.Request{fra, vnm} {
			if v.Preservation == nil || !v.Preservation.Until.Equal(started.AddDate(0, 0, 60)) {
				t.Fatalf("%s's view after start: preservation %+v, want until %v (art 42(7): 60 days)", v.Holder, v.Preservation, started.AddDate(0, 0, 60))
			}
		}

		// A follow-up must name a preservation asked of the same State.
		other := f.draft(t, convention.MutualAssistance, "VNM")
		for _, bad := range []string{other.ID, "no-such-request"} {
			d := contents(t, convention.StoredDataAccess, "VNM")
			d.FollowUpOf = bad
			_, err := f.n.CreateRequest(ctx, fraCA, d)
			assertProblemFields(t, "CreateRequest(follow_up_of "+bad+")", err, "follow_up_of")
		}

		d := contents(t, convention.StoredDataAccess, "VNM")
		d.FollowUpOf = p.ID
		fu, err := f.n.CreateRequest(ctx, fraCA, d)
		if err != nil {
			t.Fatalf("CreateRequest(follow-up) = %v", err)
		}
		f.clock.Advance(24 * time.Hour)
		log := f.auditSince(t, func() { f.move(t, fraCA, fu.ID, casework.Transition{Action: casework.Send}) })
		wantLog := []string{
			"request.send request/" + fu.ID + "@FRA", "request.deliver request/" + fu.ID + "@FRA", "request.receive request/" + fu.ID + "@VNM",
			"request.link_follow_up request/" + p.ID + "@FRA", "request.link_follow_up request/" + p.ID + "@VNM",
		}
		if got := actionsAndSubjects(log); !slices.Equal(slices.Sorted(slices.Values(got)), slices.Sorted(slices.Values(wantLog))) {
			t.Errorf("audit of sending a follow-up = %v, want %v", got, wantLog)
		}

		fra, vnm, fraTL, vnmTL := f.views(t, p.ID)
		for _, v := range []*casework.Request{fra, vnm} {
			if v.State != casework.InProgress || v.Preservation == nil || v.Preservation.FollowUp != fu.ID || !v.Preservation.Until.IsZero() {
				t.Errorf("%s's view of the preservation after the follow-up: %s, %+v; want in progress, followed up by %s, no deadline (art 42(7))",
					v.Holder, v.State, v.Preservation, fu.ID)
			}
		}
		if !sameEvents(t, fraTL[1:], vnmTL) || vnmTL[len(vnmTL)-1].Action != casework.LinkFollowUp {
			t.Errorf("preservation timelines: FRA %v, VNM %v; want equal, ending with link_follow_up", actionsOf(fraTL), actionsOf(vnmTL))
		}
		if _, vnmFU, _, _ := f.views(t, fu.ID); vnmFU == nil || vnmFU.State != casework.Received || vnmFU.FollowUpOf != p.ID {
			t.Errorf("VNM's view of the follow-up = %+v, want received, following up %s", vnmFU, p.ID)
		}

		// The deadline no longer moves, and a second follow-up is refused
		// without sending anything.
		_, err = f.n.Transition(ctx, vnmCA, p.ID, casework.Transition{Action: casework.Extend, PreserveUntil: new(started.AddDate(0, 0, 120))})
		if !errors.Is(err, casework.ErrConflict) {
			t.Errorf("extend after the follow-up = %v, want ErrConflict", err)
		}
		fu2, err := f.n.CreateRequest(ctx, fraCA, d)
		if err != nil {
			t.Fatalf("CreateRequest(second follow-up) = %v", err)
		}
		log = f.auditSince(t, func() {
			_, err = f.n.Transition(ctx, fraCA, fu2.ID, casework.Transition{Action: casework.Send})
			assertProblemFields(t, "send a second follow-up", err, "follow_up_of")
		})
		if len(log) != 0 {
			t.Errorf("a refused send wrote audit records %v", actionsAndSubjects(log))
		}
		if fra2, vnm2, _, _ := f.views(t, fu2.ID); fra2.State != casework.Draft || vnm2 != nil {
			t.Errorf("the second follow-up after a refused send: FRA %s, VNM %v; want a draft only FRA holds", fra2.State, vnm2)
		}

		// Art. 42(7): the preservation holds until the follow-up is
		// decided, however long after its 60 days.
		f.clock.Advance(90 * 24 * time.Hour)
		if _, err := f.n.Transition(ctx, vnmCA, p.ID, casework.Transition{Action: casework.Execute}); !errors.Is(err, casework.ErrConflict) {
			t.Errorf("execute the preservation before its follow-up is decided = %v, want ErrConflict", err)
		}
		f.move(t, vnmCA, fu.ID, casework.Transition{Action: casework.Acknowledge})
		f.move(t, vnmCA, fu.ID, casework.Transition{Action: casework.Start})
		log = f.auditSince(t, func() { f.move(t, vnmCA, fu.ID, casework.Transition{Action: casework.Execute, Note: "data disclosed"}) })
		wantLog = []string{
			"request.execute request/" + fu.ID + "@VNM", "request.execute request/" + fu.ID + "@FRA",
			"request.follow_up_decided request/" + p.ID + "@VNM", "request.follow_up_decided request/" + p.ID + "@FRA",
		}
		// The alert that tells the requesting State of the execution is
		// alerting_test.go's business.
		got := slices.DeleteFunc(actionsAndSubjects(log), func(a string) bool { return strings.HasPrefix(a, "alert.raise ") })
		if !slices.Equal(slices.Sorted(slices.Values(got)), slices.Sorted(slices.Values(wantLog))) {
			t.Errorf("audit of executing the follow-up = %v, want %v", got, wantLog)
		}
		fra, vnm, fraTL, vnmTL = f.views(t, p.ID)
		for _, v := range []*casework.Request{fra, vnm} {
			if v.State != casework.InProgress || !v.Preservation.FollowUpDecided {
				t.Errorf("%s's view of the preservation once the follow-up is executed: %s, %+v; want in progress, follow-up decided", v.Holder, v.State, v.Preservation)
			}
		}
		if !sameEvents(t, fraTL[1:], vnmTL) {
			t.Errorf("preservation timelines: FRA %v, VNM %v; want equal", actionsOf(fraTL), actionsOf(vnmTL))
		}
		f.move(t, vnmCA, p.ID, casework.Transition{Action: casework.Execute})
		f.move(t, vnmCA, p.ID, casework.Transition{Action: casework.Close})
	})
}

// TestFollowUpWithdrawnKeepsPreservation: withdrawing a follow-up before
// it is decided decides nothing about the data (art. 42(7)): they stay
// preserved for the period set, on both States' views, and the requesting
// State may send another follow-up.
func TestFollowUpWithdrawnKeepsPreservation(t *testing.T) {
	eachBackend(t, func(t *testing.T, backend string) {
		f := newFixture(t, backend)
		ctx := t.Context()
		p := f.draft(t, convention.Preservation, "VNM")
		f.move(t, fraCA, p.ID, casework.Transition{Action: casework.Send})
		f.move(t, vnmCA, p.ID, casework.Transition{Action: casework.Acknowledge})
		started := f.clock.Now()
		f.move(t, vnmCA, p.ID, casework.Transition{Action: casework.Start})
		d := contents(t, convention.StoredDataAccess, "VNM")
		d.FollowUpOf = p.ID
		fu, err := f.n.CreateRequest(ctx, fraCA, d)
		if err != nil {
			t.Fatal(err)
		}
		f.move(t, fraCA, fu.ID, casework.Transition{Action: casework.Send})
		f.move(t, fraCA, fu.ID, casework.Transition{Action: casework.Withdraw, Reasons: "Sent with a mistake; a corrected request follows."})

		fra, vnm, fraTL, vnmTL := f.views(t, p.ID)
		for _, v := range []*casework.Request{fra, vnm} {
			if v.Preservation == nil || v.Preservation.FollowUp != "" || v.Preservation.FollowUpDecided || !v.Preservation.Until.Equal(started.AddDate(0, 0, 60)) {
				t.Errorf("%s's view after the follow-up is withdrawn: %+v; want no follow-up, preserved until %s", v.Holder, v.Preservation, started.AddDate(0, 0, 60))
			}
		}
		if !sameEvents(t, fraTL[1:], vnmTL) || vnmTL[len(vnmTL)-1].Action != casework.FollowUpWithdrawn {
			t.Errorf("preservation timelines: FRA %v, VNM %v; want equal, ending with follow_up_withdrawn", actionsOf(fraTL), actionsOf(vnmTL))
		}
		if _, err := f.n.Transition(ctx, vnmCA, p.ID, casework.Transition{Action: casework.Execute}); !errors.Is(err, casework.ErrConflict) {
			t.Errorf("execute the preservation the day its follow-up is withdrawn = %v, want ErrConflict", err)
		}
		fu2, err := f.n.CreateRequest(ctx, fraCA, d)
		if err != nil {
			t.Fatal(err)
		}
		f.move(t, fraCA, fu2.ID, casework.Transition{Action: casework.Send})
		if _, vnm, _, _ := f.views(t, p.ID); vnm.Preservation.FollowUp != fu2.ID {
			t.Errorf("VNM's view after a second follow-up: %+v, want followed up by %s", vnm.Preservation, fu2.ID)
		}
	})
}

func TestSendNoRoute(t *testing.T) {
	eachBackend(t, func(t *testing.T, backend string) {
		f := newFixture(t, backend)
		r := f.draft(t, convention.MutualAssistance, "DEU")
		var err error
		log := f.auditSince(t, func() {
			_, err = f.n.Transition(t.Context(), fraCA, r.ID, casework.Transition{Action: casework.Send})
		})
		if !errors.Is(err, node.ErrNoRoute) {
			t.Fatalf("send to DEU = %v, want node.ErrNoRoute", err)
		}
		assertProblemFields(t, "send to DEU", err, "requested_state")
		if len(log) != 0 {
			t.Errorf("a send with no route wrote audit records %v", actionsAndSubjects(log))
		}
		got, tl := f.view(t, fraCA, r.ID)
		if got.State != casework.Draft || got.Version != 1 || len(tl) != 1 {
			t.Errorf("after a send with no route: %s, version %d, %d events; want the draft unchanged", got.State, got.Version, len(tl))
		}
		if _, err := f.db.Request(t.Context(), "DEU", r.ID); !errors.Is(err, casework.ErrNotFound) {
			t.Errorf("DEU's view exists after a send with no route: %v", err)
		}
		// The draft can still be withdrawn; only FRA's view moves.
		log = f.auditSince(t, func() { f.move(t, fraCA, r.ID, casework.Transition{Action: casework.Withdraw}) })
		if got := actionsAndSubjects(log); !slices.Equal(got, []string{"request.withdraw request/" + r.ID + "@FRA"}) {
			t.Errorf("audit of withdrawing a draft = %v, want one record for FRA's view", got)
		}
	})
}

func TestTransitionRefusals(t *testing.T) {
	eachBackend(t, func(t *testing.T, backend string) {
		f := newFixture(t, backend)
		ctx := t.Context()
		r := f.draft(t, convention.MutualAssistance, "VNM")
		f.move(t, fraCA, r.ID, casework.Transition{Action: casework.Send})
		tests := []struct {
			name string
			by   casework.Actor
			id   string
			t    casework.Transition
			want error
		}{
			{"art 40(25): execute before acknowledging", vnmCA, r.ID, casework.Transition{Action: casework.Execute}, casework.ErrConflict},
			{"art 40(25): the requesting State acknowledges nothing", fraCA, r.ID, casework.Transition{Action: casework.Acknowledge}, casework.ErrForbidden},
			{"art 41: 24/7 does not act on mutual legal assistance", vnm247, r.ID, casework.Transition{Action: casework.Acknowledge}, casework.ErrForbidden},
			{"art 40(13): an investigator does not withdraw", fraInv, r.ID, casework.Transition{Action: casework.Withdraw}, casework.ErrForbidden},
			{"art 40(13): an auditor does not withdraw", fraAud, r.ID, casework.Transition{Action: casework.Withdraw}, casework.ErrForbidden},
			{"art 40(20): a third State sees nothing", casework.Actor{ID: "deu", State: "DEU", Role: "central_authority"}, r.ID, casework.Transition{Action: casework.Withdraw}, casework.ErrNotFound},
			{"no such request", vnmCA, "missing", casework.Transition{Action: casework.Acknowledge}, casework.ErrNotFound},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				before := len(f.auditLog(t))
				if _, err := f.n.Transition(ctx, tt.by, tt.id, tt.t); !errors.Is(err, tt.want) {
					t.Errorf("Transition(%s by %s) = %v, want %v", tt.t.Action, tt.by.ID, err, tt.want)
				}
				if got := len(f.auditLog(t)); got != before {
					t.Errorf("a refused transition wrote %d audit records", got-before)
				}
			})
		}
		if fra, vnm, _, _ := f.views(t, r.ID); fra.State != casework.Received || vnm.State != casework.Received {
			t.Errorf("after refused transitions: %s/%s, want both received", fra.State, vnm.State)
		}
	})
}

func TestRequestVisibility(t *testing.T) {
	eachBackend(t, func(t *testing.T, backend string) {
		f := newFixture(t, backend)
		ctx := t.Context()
		d := contents(t, convention.MutualAssistance, "VNM")
		if _, err := f.n.CreateRequest(ctx, vnmCA, d); err == nil {
			t.Errorf("VNM drafting a request of itself succeeded")
		}
		if _, err := f.n.CreateRequest(ctx, fra247, d); !errors.Is(err, casework.ErrForbidden) {
			t.Errorf("24/7 drafting mutual legal assistance = %v, want ErrForbidden (art 41)", err)
		}
		if _, err := f.n.CreateRequest(ctx, f.n.Admin(), d); !errors.Is(err, casework.ErrForbidden) {
			t.Errorf("an administrator drafting = %v, want ErrForbidden", err)
		}
		bad := d
		bad.Fields = map[string]string{}
		_, err := f.n.CreateRequest(ctx, fraInv, bad)
		if ps, ok := errors.AsType[convention.Problems](err); !ok || len(ps) < 5 {
			t.Errorf("CreateRequest of an empty draft = %v, want every missing field at once", err)
		}

		r, err := f.n.CreateRequest(ctx, fraInv, d)
		if err != nil {
			t.Fatalf("CreateRequest by an investigator = %v", err)
		}
		if got, _, err := f.n.Request(ctx, fraAud, r.ID); err != nil || got.ID != r.ID {
			t.Errorf("an auditor reading FRA's draft = %v, want it", err)
		}
		for _, by := range []casework.Actor{vnmCA, f.n.Admin()} {
			if _, _, err := f.n.Request(ctx, by, r.ID); !errors.Is(err, casework.ErrNotFound) {
				t.Errorf("Request(FRA's draft) by %s %s = %v, want ErrNotFound", by.State, by.Role, err)
			}
		}
		page, err := f.n.Requests(ctx, fraCA, store.Filter{})
		if err != nil || len(page.Requests) != 1 || page.Requests[0].ID != r.ID {
			t.Errorf("Requests by FRA = %d, %v; want the draft", len(page.Requests), err)
		}
		if page, err := f.n.Requests(ctx, vnmCA, store.Filter{}); err != nil || len(page.Requests) != 0 {
			t.Errorf("Requests by VNM before sending = %d, %v; want none", len(page.Requests), err)
		}
		if _, err := f.n.Requests(ctx, f.n.Admin(), store.Filter{}); !errors.Is(err, casework.ErrForbidden) {
			t.Errorf("Requests by an administrator = %v, want ErrForbidden", err)
		}
		f.move(t, fraCA, r.ID, casework.Transition{Action: casework.Send})
		page, err = f.n.Requests(ctx, vnmCA, store.Filter{Side: casework.Requested})
		if err != nil || len(page.Requests) != 1 || page.Requests[0].Holder != "VNM" {
			t.Errorf("Requests by VNM, requested side, after sending = %d, %v; want VNM's view", len(page.Requests), err)
		}
	})
}

// TestConcurrentTransitions has 20 officials of the requested State race
// to move one request to closed through Node.Transition: each step is won
// once, the losers get a conflict, and both views and the audit log stay
// consistent.
func TestConcurrentTransitions(t *testing.T) {
	eachBackend(t, func(t *testing.T, backend string) {
		f := newFixture(t, backend)
		ctx := t.Context()
		r := f.draft(t, convention.MutualAssistance, "VNM")
		f.move(t, fraCA, r.ID, casework.Transition{Action: casework.Send})
		before := len(f.auditLog(t))

		next := map[casework.State]casework.Action{
			casework.Received: casework.Acknowledge, casework.Acknowledged: casework.Start,
			casework.InProgress: casework.Execute, casework.Executed: casework.Close,
		}
		var (
			mu   sync.Mutex
			wins = map[casework.Action]int{}
			wg   sync.WaitGroup
		)
		for w := range 20 {
			wg.Go(func() {
				for range 50 {
					cur, _, err := f.n.Request(ctx, vnmCA, r.ID)
					if err != nil {
						t.Errorf("writer %d: Request = %v", w, err)
						return
					}
					action, ok := next[cur.State]
					if !ok {
						return
					}
					_, err = f.n.Transition(ctx, vnmCA, r.ID, casework.Transition{Action: action})
					mu.Lock()
					if err == nil {
						wins[action]++
					}
					mu.Unlock()
					if err != nil && !errors.Is(err, casework.ErrConflict) {
						t.Errorf("writer %d: %s = %v, want success or ErrConflict", w, action, err)
						return
					}
				}
				t.Errorf("writer %d: the request never closed", w)
			})
		}
		wg.Wait()

		want := []casework.Action{casework.Acknowledge, casework.Start, casework.Execute, casework.Close}
		for _, a := range want {
			if wins[a] != 1 {
				t.Errorf("%s won %d times, want once", a, wins[a])
			}
		}
		fra, vnm, fraTL, vnmTL := f.views(t, r.ID)
		if fra.State != casework.Closed || vnm.State != casework.Closed || fra.Version != 3+len(want) || vnm.Version != 2+len(want) {
			t.Errorf("after the race: FRA %s v%d, VNM %s v%d; want both closed, v%d and v%d", fra.State, fra.Version, vnm.State, vnm.Version, 3+len(want), 2+len(want))
		}
		wantTL := append([]casework.Action{casework.Send, casework.Deliver}, want...)
		if !slices.Equal(actionsOf(vnmTL), wantTL) || !sameEvents(t, fraTL[1:], vnmTL) {
			t.Errorf("timelines after the race: FRA %v, VNM %v; want create then %v", actionsOf(fraTL), actionsOf(vnmTL), wantTL)
		}
		// Alert records (the execution's alert to the requesting State,
		// the acknowledgement resolving the requested State's) are the
		// alerting tests' business.
		var requestRecords int
		for _, rec := range f.auditLog(t)[before:] {
			if strings.HasPrefix(rec.Action, "request.") {
				requestRecords++
			}
		}
		if got := requestRecords; got != 2*len(want) {
			t.Errorf("the race wrote %d audit records, want %d: one per view per winning step", got, 2*len(want))
		}
	})
}

// TestConcurrentBothSides races the requested State moving a request on
// against the requesting State withdrawing it. Whoever wins, both views
// end in the same state with the same timeline, and every loser gets a
// conflict, never another error.
func TestConcurrentBothSides(t *testing.T) {
	eachBackend(t, func(t *testing.T, backend string) {
		f := newFixture(t, backend)
		ctx := t.Context()
		for round := range 5 {
			r := f.draft(t, convention.MutualAssistance, "VNM")
			f.move(t, fraCA, r.ID, casework.Transition{Action: casework.Send})
			var wg sync.WaitGroup
			for w := range 20 {
				by, seq := vnmCA, []casework.Action{casework.Acknowledge, casework.Start, casework.Execute}
				if w%2 == 1 {
					by, seq = fraCA, []casework.Action{casework.Withdraw}
				}
				wg.Go(func() {
					for _, a := range seq {
						if _, err := f.n.Transition(ctx, by, r.ID, casework.Transition{Action: a}); err != nil && !errors.Is(err, casework.ErrConflict) {
							t.Errorf("round %d, writer %d: %s = %v, want success or ErrConflict", round, w, a, err)
						}
					}
				})
			}
			wg.Wait()
			fra, vnm, fraTL, vnmTL := f.views(t, r.ID)
			if fra.State != vnm.State || fra.Version != vnm.Version+1 || !sameEvents(t, fraTL[1:], vnmTL) {
				t.Errorf("round %d: FRA %s v%d %v, VNM %s v%d %v; want the same state and timeline", round,
					fra.State, fra.Version, actionsOf(fraTL), vnm.State, vnm.Version, actionsOf(vnmTL))
			}
			if fra.State != casework.Withdrawn && fra.State != casework.Executed && fra.State != casework.Acknowledged && fra.State != casework.InProgress {
				t.Errorf("round %d: final state %s", round, fra.State)
			}
		}
	})
}

// TestConcurrentFollowUp races officials of the requesting State sending
// follow-ups of one preservation against officials of the requested State
// extending it: one follow-up is linked, the others are refused, and no
// writer meets an error other than a refusal.
func TestConcurrentFollowUp(t *testing.T) {
	eachBackend(t, func(t *testing.T, backend string) {
		f := newFixture(t, backend)
		ctx := t.Context()
		p := f.draft(t, convention.Preservation, "VNM")
		f.move(t, fraCA, p.ID, casework.Transition{Action: casework.Send})
		f.move(t, vnmCA, p.ID, casework.Transition{Action: casework.Acknowledge})
		f.move(t, vnmCA, p.ID, casework.Transition{Action: casework.Start})
		var followUps []string
		for range 10 {
			d := contents(t, convention.StoredDataAccess, "VNM")
			d.FollowUpOf = p.ID
			fu, err := f.n.CreateRequest(ctx, fraCA, d)
			if err != nil {
				t.Fatalf("CreateRequest(follow-up) = %v", err)
			}
			followUps = append(followUps, fu.ID)
		}
		var (
			mu   sync.Mutex
			sent []string
			wg   sync.WaitGroup
		)
		refusal := func(err error) bool {
			_, problems := errors.AsType[convention.Problems](err)
			return err == nil || errors.Is(err, casework.ErrConflict) || problems
		}
		for i, id := range followUps {
			wg.Go(func() {
				_, err := f.n.Transition(ctx, fraCA, id, casework.Transition{Action: casework.Send})
				if err == nil {
					mu.Lock()
					sent = append(sent, id)
					mu.Unlock()
				}
				if !refusal(err) {
					t.Errorf("send of follow-up %d = %v, want success or a refusal", i, err)
				}
			})
			wg.Go(func() {
				until := start.AddDate(0, 0, 61+i)
				_, err := f.n.Transition(ctx, vnmCA, p.ID, casework.Transition{Action: casework.Extend, PreserveUntil: &until})
				if !refusal(err) {
					t.Errorf("extension %d = %v, want success or a refusal", i, err)
				}
			})
		}
		wg.Wait()
		if len(sent) != 1 {
			t.Fatalf("%d follow-ups sent, want exactly one", len(sent))
		}
		fra, vnm, fraTL, vnmTL := f.views(t, p.ID)
		for _, v := range []*casework.Request{fra, vnm} {
			if v.Preservation == nil || v.Preservation.FollowUp != sent[0] || !v.Preservation.Until.IsZero() || v.State != casework.InProgress {
				t.Errorf("%s's view of the preservation: %s, %+v; want in progress, followed up by %s", v.Holder, v.State, v.Preservation, sent[0])
			}
		}
		if !sameEvents(t, fraTL[1:], vnmTL) {
			t.Errorf("preservation timelines differ: FRA %v, VNM %v", actionsOf(fraTL), actionsOf(vnmTL))
		}
	})
}
