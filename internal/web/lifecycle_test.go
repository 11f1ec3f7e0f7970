package web

import (
	"net/http"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"entraide/internal/casework"
	"entraide/internal/convention"
	"entraide/internal/identity"
	"entraide/internal/store/storetest"
)

// sharedTimelinesAgree fails unless the requested State's timeline is the
// requesting State's without the events before sending, which only the
// requesting State saw.
func sharedTimelinesAgree(t *testing.T, requesting, requested []casework.Event) {
	t.Helper()
	shared := slices.DeleteFunc(slices.Clone(requesting), func(e casework.Event) bool { return e.Action == casework.Create })
	if len(shared) == 0 || len(requested) == 0 {
		t.Fatalf("timelines %d and %d events: want both non-empty", len(requesting), len(requested))
	}
	if !reflect.DeepEqual(shared, requested) {
		t.Errorf("the views' timelines disagree:\nrequesting: %s\nrequested:  %s", actions(shared), actions(requested))
		for i := range min(len(shared), len(requested)) {
			if !reflect.DeepEqual(shared[i], requested[i]) {
				t.Errorf("first difference at %d:\nrequesting: %+v\nrequested:  %+v", i, shared[i], requested[i])
				break
			}
		}
	}
}

func actions(events []casework.Event) []casework.Action {
	var out []casework.Action
	for _, e := range events {
		out = append(out, e.Action)
	}
	return out
}

func TestPreservationLifecycle(t *testing.T) {
	for _, backend := range storetest.Backends {
		t.Run(backend, func(t *testing.T) {
			tn := newTestNode(t, backend)
			fra247, fraCA := tn.token(t, "FRA", identity.TwentyFourSeven), tn.token(t, "FRA", identity.CentralAuthority)
			vnm247, vnmCA := tn.token(t, "VNM", identity.TwentyFourSeven), tn.token(t, "VNM", identity.CentralAuthority)

			pres := tn.create(t, fra247, preservationContents("VNM"))
			if pres.State != casework.Draft || pres.Holder != "FRA" || pres.RequestingState != "FRA" || pres.RequestedState != "VNM" || pres.Version != 1 {
				t.Fatalf("created %+v: want a draft FRA→VNM held by FRA, version 1", pres)
			}
			tn.mustMove(t, fra247, pres.ID, casework.Transition{Action: casework.Send}, casework.Received)
			if v := tn.view(t, vnm247, pres.ID).Request; v.Holder != "VNM" || v.State != casework.Received {
				t.Fatalf("VNM's view after sending: holder %s, state %s; want VNM, received", v.Holder, v.State)
			}
			tn.mustMove(t, vnm247, pres.ID, casework.Transition{Action: casework.Acknowledge}, casework.Acknowledged)

			short := []struct {
				name  string
				until time.Time
			}{
				{"art 42(7): preservation of 30 days", testEpoch.AddDate(0, 0, 30)},
				{"art 42(7): preservation of 59 days", testEpoch.AddDate(0, 0, 59)},
				{"art 42(7): preservation ending before it starts", testEpoch.AddDate(0, 0, -1)},
			}
			for _, tt := range short {
				t.Run(tt.name, func(t *testing.T) {
					r := tn.move(t, vnm247, pres.ID, casework.Transition{Action: casework.Start, PreserveUntil: &tt.until})
					wantProblem(t, r, http.StatusUnprocessableEntity, "preserve_until", "art. 42")
				})
			}

			started := tn.mustMove(t, vnm247, pres.ID, casework.Transition{Action: casework.Start}, casework.InProgress)
			p := started.Preservation
			if p == nil || !p.Started.Equal(started.UpdatedAt) {
				t.Fatalf("preservation %+v: want one started at %v", p, started.UpdatedAt)
			}
			if want := p.Started.AddDate(0, 0, convention.PreservationMinimumDays); !p.Until.Equal(want) {
				t.Errorf("art 42(7): default preservation until %v, want %v (60 days)", p.Until, want)
			}
			if got := tn.view(t, fraCA, pres.ID).Request.Preservation; got == nil || !got.Until.Equal(p.Until) {
				t.Errorf("FRA's view of the preservation: %+v, want until %v", got, p.Until)
			}

			earlier, later := p.Until.AddDate(0, 0, -1), p.Until.AddDate(0, 0, 30)
			extensions := []struct {
				name  string
				until *time.Time
				field string
			}{
				{"art 42(7): extension without a new end", nil, "preserve_until"},
				{"art 42(7): extension ending before the current end", &earlier, "preserve_until"},
				{"art 42(7): extension ending on the current end", &p.Until, "preserve_until"},
			}
			for _, tt := range extensions {
				t.Run(tt.name, func(t *testing.T) {
					r := tn.move(t, vnmCA, pres.ID, casework.Transition{Action: casework.Extend, PreserveUntil: tt.until})
					wantProblem(t, r, http.StatusUnprocessableEntity, tt.field, "art. 42")
				})
			}
			// Art. 42(7): the requested State cannot cut the period short, the
			// requesting State cannot move the other's deadline itself, and
			// no deadline runs to the year 9999.
			end := p.Until.UTC().Format(time.DateOnly)
			for _, action := range []casework.Action{casework.Execute, casework.ExecutePartially} {
				prob := wantProblem(t, tn.move(t, vnmCA, pres.ID, casework.Transition{Action: action}), http.StatusConflict, "action", "art. 42")
				if !strings.Contains(prob.Errors[0].Message, "preserved until "+end) {
					t.Errorf("art 42(7): %s on day 0 = %q, want it to name the end of the period", action, prob.Errors[0].Message)
				}
			}
			p400 := p.Started.AddDate(0, 0, 400)
			if prob := wantProblem(t, tn.move(t, fraCA, pres.ID, casework.Transition{Action: casework.Extend, PreserveUntil: &p400}), http.StatusForbidden, "action", "art. 42"); !strings.Contains(prob.Errors[0].Message, "ask_extension") {
				t.Errorf("art 42(7): extend by the requesting State = %q, want it to name ask_extension", prob.Errors[0].Message)
			}
			far := time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)
			wantProblem(t, tn.move(t, vnmCA, pres.ID, casework.Transition{Action: casework.Extend, PreserveUntil: &far}), http.StatusUnprocessableEntity, "preserve_until", "art. 24")
			asked := tn.mustMove(t, fraCA, pres.ID, casework.Transition{Action: casework.AskExtension, Note: "The judge needs a month more.", PreserveUntil: &later}, casework.InProgress)
			if asked.Preservation.ExtensionAsked == nil || !asked.Preservation.Until.Equal(p.Until) {
				t.Errorf("art 42(7): after ask_extension, FRA's preservation %+v, want the same end, extension asked", asked.Preservation)
			}
			if got := tn.view(t, vnmCA, pres.ID).Request.Preservation; got.ExtensionAsked == nil || !got.ExtensionAsked.Equal(later) {
				t.Errorf("art 42(7): VNM's view after ask_extension: %+v, want extension asked until %v", got, later)
			}
			extended := tn.mustMove(t, vnmCA, pres.ID, casework.Transition{Action: casework.Extend, PreserveUntil: &later}, casework.InProgress)
			if !extended.Preservation.Until.Equal(later) || extended.Preservation.ExtensionAsked != nil {
				t.Errorf("extended until %v (asked %v), want %v, nothing asked any more", extended.Preservation.Until, extended.Preservation.ExtensionAsked, later)
			}

			// Art. 43(1): preserving reveals a provider in another State; the
			// requested State discloses its traffic data on the preservation.
			wantProblem(t, tn.move(t, fraCA, pres.ID, casework.Transition{Action: casework.DiscloseTraffic, Note: "x"}), http.StatusForbidden, "action", "art. 43")
			tn.mustMove(t, vnmCA, pres.ID, casework.Transition{Action: casework.DiscloseTraffic, Note: "Provider ExampleNet (DEU); path 198.51.100.4 to 203.0.113.9"}, casework.InProgress)
			if tl := tn.view(t, fraCA, pres.ID).Timeline; tl[len(tl)-1].Action != casework.DiscloseTraffic || !strings.Contains(tl[len(tl)-1].Note, "ExampleNet") {
				t.Errorf("art 43(1): FRA's last event %+v, want the traffic data disclosed", tl[len(tl)-1])
			}
			wantProblem(t, tn.do(t, "POST", "/api/v1/requests", fraCA, casework.Contents{Kind: convention.TrafficDisclosure, RequestedState: "VNM"}), http.StatusUnprocessableEntity, "kind", "art. 43")

			// A follow-up must be a preservation's follow-up between the
			// same States.
			mla := tn.create(t, fraCA, mlaContents("VNM"))
			toZAF := tn.create(t, fraCA, preservationContents("ZAF"))
			badFollowUps := []struct {
				name string
				c    casework.Contents
			}{
				{"art 42: follow-up of an unknown request", storedDataAccessContents("VNM", "0190a1b2-0000-7000-8000-000000000000")},
				{"art 42: follow-up of a mutual assistance", storedDataAccessContents("VNM", mla.ID)},
				{"art 42: follow-up asked of another State", storedDataAccessContents("ZAF", pres.ID)},
				{"art 42: follow-up of a preservation asked of another State", storedDataAccessContents("VNM", toZAF.ID)},
				{"art 42: a preservation cannot follow up", func() casework.Contents {
					c := preservationContents("VNM")
					c.FollowUpOf = pres.ID
					return c
				}()},
			}
			for _, tt := range badFollowUps {
				t.Run(tt.name, func(t *testing.T) {
					r := tn.do(t, "POST", "/api/v1/requests", fraCA, tt.c)
					wantProblem(t, r, http.StatusUnprocessableEntity, "follow_up_of", "art. 42")
				})
			}

			sda := tn.create(t, fraCA, storedDataAccessContents("VNM", pres.ID))
			if sda.FollowUpOf != pres.ID {
				t.Errorf("follow_up_of = %q, want %q", sda.FollowUpOf, pres.ID)
			}
			tn.mustMove(t, fraCA, sda.ID, casework.Transition{Action: casework.Send}, casework.Received)

			for _, tok := range []string{fraCA, vnmCA} {
				r := tn.do(t, "GET", "/api/v1/requests/"+pres.ID, tok, nil)
				doc := decodeBody[requestDoc](t, r)
				p := doc.Request.Preservation
				if p == nil || p.FollowUp != sda.ID || !p.Until.IsZero() {
					t.Errorf("%s's preservation after the follow-up: %+v, want follow_up %s and no deadline (art. 42(7))", doc.Request.Holder, p, sda.ID)
				}
				raw := decodeJSON(t, r.Body)
				if pr, _ := dig(raw, "request", "preservation").(map[string]any); pr == nil || pr["until"] != nil || pr["follow_up"] != sda.ID {
					t.Errorf("%s's preservation as JSON: %v, want follow_up and no until", doc.Request.Holder, pr)
				}
				if last := doc.Timeline[len(doc.Timeline)-1]; last.Action != casework.LinkFollowUp || last.FollowUp != sda.ID {
					t.Errorf("%s's last event: %+v, want link_follow_up to %s", doc.Request.Holder, last, sda.ID)
				}
			}
			wantProblem(t, tn.move(t, vnmCA, pres.ID, casework.Transition{Action: casework.Extend, PreserveUntil: &later}), http.StatusConflict, "action", "art. 42")

			// A second follow-up of the same preservation cannot be sent.
			again := tn.create(t, fraCA, storedDataAccessContents("VNM", pres.ID))
			wantProblem(t, tn.move(t, fraCA, again.ID, casework.Transition{Action: casework.Send}), http.StatusUnprocessableEntity, "follow_up_of", "art. 42")

			for _, id := range []string{pres.ID, sda.ID} {
				sharedTimelinesAgree(t, tn.view(t, fraCA, id).Timeline, tn.view(t, vnmCA, id).Timeline)
			}
			wantActions := []casework.Action{casework.Create, casework.Send, casework.Deliver, casework.Acknowledge, casework.Start, casework.AskExtension, casework.Extend, casework.DiscloseTraffic, casework.LinkFollowUp}
			if got := actions(tn.view(t, fraCA, pres.ID).Timeline); !slices.Equal(got, wantActions) {
				t.Errorf("timeline %v, want %v", got, wantActions)
			}
		})
	}
}

func TestMutualAssistanceLifecycle(t *testing.T) {
	for _, backend := range storetest.Backends {
		t.Run(backend, func(t *testing.T) {
			tn := newTestNode(t, backend)
			fra, zaf := tn.token(t, "FRA", identity.CentralAuthority), tn.token(t, "ZAF", identity.CentralAuthority)
			mla := tn.create(t, fra, mlaContents("ZAF"))
			tn.mustMove(t, fra, mla.ID, casework.Transition{Action: casework.Send}, casework.Received)
			tn.mustMove(t, zaf, mla.ID, casework.Transition{Action: casework.Acknowledge}, casework.Acknowledged)
			until := testEpoch.AddDate(1, 0, 0)
			wantProblem(t, tn.move(t, zaf, mla.ID, casework.Transition{Action: casework.Start, PreserveUntil: &until}), 422, "preserve_until", "art. 42")
			if got := tn.mustMove(t, zaf, mla.ID, casework.Transition{Action: casework.Start}, casework.InProgress); got.Preservation != nil {
				t.Errorf("a mutual assistance got a preservation period: %+v", got.Preservation)
			}

			wantProblem(t, tn.move(t, zaf, mla.ID, casework.Transition{Action: casework.RequestInfo}), 422, "note", "art. 40(16)")
			tn.mustMove(t, zaf, mla.ID, casework.Transition{Action: casework.RequestInfo, Note: "Which accounts?"}, casework.MoreInfoRequested)
			if got := tn.view(t, fra, mla.ID).Request.State; got != casework.MoreInfoRequested {
				t.Errorf("FRA's view after request_info: %s, want more_info_requested", got)
			}
			wantProblem(t, tn.move(t, zaf, mla.ID, casework.Transition{Action: casework.ProvideInfo, Note: "?"}), 403, "action", "art. 40(16)")
			wantProblem(t, tn.move(t, fra, mla.ID, casework.Transition{Action: casework.ProvideInfo}), 422, "note", "art. 40(16)")
			tn.mustMove(t, fra, mla.ID, casework.Transition{Action: casework.ProvideInfo, Note: "Accounts FR76 1234 and FR76 5678."}, casework.InProgress)

			tn.mustMove(t, zaf, mla.ID, casework.Transition{Action: casework.Consult}, casework.Consultation)
			wantProblem(t, tn.move(t, zaf, mla.ID, casework.Transition{Action: casework.Postpone}), 422, "reasons", "art. 40(26)")
			tn.mustMove(t, zaf, mla.ID, casework.Transition{Action: casework.Postpone, Reasons: "A domestic investigation of the same bank is under way."}, casework.Postponed)
			resumed := tn.mustMove(t, zaf, mla.ID, casework.Transition{Action: casework.Resume, Conditions: "Use only in the proceedings named."}, casework.InProgress)
			if resumed.Conditions != "Use only in the proceedings named." {
				t.Errorf("art 40(27): conditions %q after resuming, want them kept", resumed.Conditions)
			}
			tn.mustMove(t, zaf, mla.ID, casework.Transition{Action: casework.Execute}, casework.Executed)
			tn.mustMove(t, fra, mla.ID, casework.Transition{Action: casework.Close}, casework.Closed)

			fv, zv := tn.view(t, fra, mla.ID), tn.view(t, zaf, mla.ID)
			if fv.Request.State != casework.Closed || zv.Request.State != casework.Closed || fv.Request.Conditions != zv.Request.Conditions {
				t.Errorf("views after closing: FRA %s %q, ZAF %s %q; want both closed with the same conditions",
					fv.Request.State, fv.Request.Conditions, zv.Request.State, zv.Request.Conditions)
			}
			sharedTimelinesAgree(t, fv.Timeline, zv.Timeline)
			want := []casework.Action{casework.Create, casework.Send, casework.Deliver, casework.Acknowledge, casework.Start,
				casework.RequestInfo, casework.ProvideInfo, casework.Consult, casework.Postpone, casework.Resume, casework.Execute, casework.Close}
			if got := actions(fv.Timeline); !slices.Equal(got, want) {
				t.Errorf("timeline %v, want %v", got, want)
			}
		})
	}
}

func TestRefusal(t *testing.T) {
	for _, backend := range storetest.Backends {
		t.Run(backend, func(t *testing.T) {
			tn := newTestNode(t, backend)
			fra, zaf := tn.token(t, "FRA", identity.CentralAuthority), tn.token(t, "ZAF", identity.CentralAuthority)
			inConsultation := func(c casework.Contents) *casework.Request {
				r := tn.create(t, fra, c)
				tn.mustMove(t, fra, r.ID, casework.Transition{Action: casework.Send}, casework.Received)
				tn.mustMove(t, zaf, r.ID, casework.Transition{Action: casework.Acknowledge}, casework.Acknowledged)
				tn.mustMove(t, zaf, r.ID, casework.Transition{Action: casework.Consult}, casework.Consultation)
				return r
			}
			mla := inConsultation(mlaContents("ZAF"))
			pres := inConsultation(preservationContents("ZAF"))
			g := func(gs ...convention.Ground) []convention.Ground { return gs }
			tests := []struct {
				name    string
				id      string
				grounds []convention.Ground
				reasons string
				field   string
				article string
			}{
				{"art 40(8): bank secrecy is never a ground", mla.ID, g(convention.BankSecrecy), "Banking law.", "grounds", "art. 40(8)"},
				{"art 40(23): fiscal matters are never the sole ground", mla.ID, g(convention.FiscalMatters), "Tax.", "grounds", "art. 40(23)"},
				{"art 40(21): a refusal states a ground", mla.ID, nil, "No.", "grounds", "art. 40(21)"},
				{"art 40(21): unknown ground", mla.ID, g("weather"), "Storms.", "grounds", "art. 40(21)"},
				{"art 40(21): ground given twice", mla.ID, g(convention.DomesticLaw, convention.DomesticLaw), "Twice.", "grounds", "art. 40(21)"},
				{"art 40: nationality is not a ground for mutual assistance", mla.ID, g(convention.Nationality), "A national.", "grounds", "art. 40"},
				{"art 40(24): a refusal gives reasons", mla.ID, g(convention.EssentialInterests), " ", "reasons", "art. 40(24)"},
				{"art 42(5): no dual criminality does not refuse a preservation", pres.ID, g(convention.NoDualCriminality), "Not an offence here.", "grounds", "art. 42"},
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					r := tn.move(t, zaf, tt.id, casework.Transition{Action: casework.Refuse, Grounds: tt.grounds, Reasons: tt.reasons})
					wantProblem(t, r, http.StatusUnprocessableEntity, tt.field, tt.article)
				})
			}
			for _, c := range []struct {
				r       *casework.Request
				grounds []convention.Ground
			}{
				{mla, g(convention.EssentialInterests, convention.NoDualCriminality)},
				{pres, g(convention.DomesticLaw)},
			} {
				refused := tn.mustMove(t, zaf, c.r.ID, casework.Transition{Action: casework.Refuse, Grounds: c.grounds, Reasons: "Written reasons."}, casework.Refused)
				fv, zv := tn.view(t, fra, c.r.ID), tn.view(t, zaf, c.r.ID)
				for _, v := range []*casework.Request{refused, fv.Request, zv.Request} {
					if v.Refusal == nil || !slices.Equal(v.Refusal.Grounds, c.grounds) || v.Refusal.Reasons != "Written reasons." {
						t.Errorf("art 40(24): %s's view: refusal %+v, want grounds %v with reasons", v.Holder, v.Refusal, c.grounds)
					}
				}
				sharedTimelinesAgree(t, fv.Timeline, zv.Timeline)
			}
		})
	}
}

// TestSkippingAStateConflicts checks that an action the request's state
// does not allow is a 409 that names the action and the provision, and
// changes nothing.
func TestSkippingAStateConflicts(t *testing.T) {
	for _, backend := range storetest.Backends {
		t.Run(backend, func(t *testing.T) {
			tn := newTestNode(t, backend)
			fra, vnm := tn.token(t, "FRA", identity.CentralAuthority), tn.token(t, "VNM", identity.CentralAuthority)
			received := tn.create(t, fra, mlaContents("VNM"))
			tn.mustMove(t, fra, received.ID, casework.Transition{Action: casework.Send}, casework.Received)
			acked := tn.create(t, fra, preservationContents("VNM"))
			tn.mustMove(t, fra, acked.ID, casework.Transition{Action: casework.Send}, casework.Received)
			tn.mustMove(t, vnm, acked.ID, casework.Transition{Action: casework.Acknowledge}, casework.Acknowledged)
			draft := tn.create(t, fra, mlaContents("VNM"))
			later := testEpoch.AddDate(0, 0, 90)

			tests := []struct {
				name    string
				token   string
				id      string
				t       casework.Transition
				article string
			}{
				{"art 40(17): start before acknowledging", vnm, received.ID, casework.Transition{Action: casework.Start}, "art. 40(17)"},
				{"art 40(25): execute before starting", vnm, acked.ID, casework.Transition{Action: casework.Execute}, "art. 40(25)"},
				{"art 40(25): execute what was only received", vnm, received.ID, casework.Transition{Action: casework.Execute}, "art. 40(25)"},
				{"art 40(24),(27): refuse without consultation", vnm, acked.ID, casework.Transition{Action: casework.Refuse, Grounds: []convention.Ground{convention.DomesticLaw}, Reasons: "x"}, "art. 40(24)"},
				{"art 40(26): postpone without consultation", vnm, acked.ID, casework.Transition{Action: casework.Postpone, Reasons: "x"}, "art. 40(26)"},
				{"art 40(27): resume what was not stopped", vnm, acked.ID, casework.Transition{Action: casework.Resume}, "art. 40(27)"},
				{"art 40(25): acknowledge twice", vnm, acked.ID, casework.Transition{Action: casework.Acknowledge}, "art. 40(25)"},
				{"art 40(14): send twice", fra, received.ID, casework.Transition{Action: casework.Send}, "art. 40(14)"},
				{"art 40(25): close an open request", fra, received.ID, casework.Transition{Action: casework.Close}, "art. 40(25)"},
				{"art 40(25): close a draft", fra, draft.ID, casework.Transition{Action: casework.Close}, "art. 40(25)"},
				{"art 40(16): provide information nobody asked for", fra, received.ID, casework.Transition{Action: casework.ProvideInfo, Note: "x"}, "art. 40(16)"},
				{"art 42(7): extend a preservation not started", vnm, acked.ID, casework.Transition{Action: casework.Extend, PreserveUntil: &later}, "art. 42(7) (unverified)"},
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					before := tn.view(t, tt.token, tt.id).Request
					r := tn.move(t, tt.token, tt.id, tt.t)
					p := wantProblem(t, r, http.StatusConflict, "action", tt.article)
					if p.Type != typeConflict {
						t.Errorf("problem type %q, want %q", p.Type, typeConflict)
					}
					// The 409 names what the caller's State may do instead.
					side := casework.Requesting
					if tt.token == vnm {
						side = casework.Requested
					}
					if want := casework.Allowed(before, side, before.UpdatedAt); !slices.Equal(p.AllowedActions, want) {
						t.Errorf("allowed_actions %v, want %v, the state machine's", p.AllowedActions, want)
					}
					if after := tn.view(t, tt.token, tt.id).Request; after.Version != before.Version || after.State != before.State {
						t.Errorf("a refused %s moved the request: %s v%d → %s v%d", tt.t.Action, before.State, before.Version, after.State, after.Version)
					}
				})
			}
			for _, action := range []casework.Action{"fly", casework.Deliver, casework.LinkFollowUp, casework.Create, ""} {
				t.Run("unknown action "+string(action), func(t *testing.T) {
					wantProblem(t, tn.move(t, fra, draft.ID, casework.Transition{Action: action}), http.StatusUnprocessableEntity, "action", "art. 40")
				})
			}
		})
	}
}

// TestSendToStateNotHosted checks that a request to a State whose node is
// unknown stays a draft, with a problem naming requested_state.
func TestSendToStateNotHosted(t *testing.T) {
	for _, backend := range storetest.Backends {
		t.Run(backend, func(t *testing.T) {
			tn := newTestNode(t, backend)
			fra := tn.token(t, "FRA", identity.CentralAuthority)
			r := tn.create(t, fra, mlaContents("DEU"))
			p := wantProblem(t, tn.move(t, fra, r.ID, casework.Transition{Action: casework.Send}), http.StatusConflict, "requested_state", "art. 40(13)")
			if p.Type != typeNoRoute || p.Errors[0].Field != "requested_state" {
				t.Errorf("problem %+v: want type %s and errors[0] naming requested_state", p, typeNoRoute)
			}
			if got := tn.view(t, fra, r.ID).Request; got.State != casework.Draft || got.Version != 1 {
				t.Errorf("after a failed send: %s v%d, want draft v1", got.State, got.Version)
			}
		})
	}
}
