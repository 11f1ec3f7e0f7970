package web

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"entraide/internal/casework"
	"entraide/internal/identity"
	"entraide/internal/store/storetest"
)

// TestEvery409NamesTheNextStep checks that each conflict an official can
// meet says what to do next: the actions the request now allows, where a
// request is concerned, or the step that clears the conflict.
func TestEvery409NamesTheNextStep(t *testing.T) {
	for _, backend := range storetest.Backends {
		t.Run(backend, func(t *testing.T) {
			tn := newTestNode(t, backend)
			fra := tn.token(t, "FRA", identity.CentralAuthority)
			admin := tn.token(t, "FRA", identity.Administrator)
			tests := []struct {
				name    string
				call    func() response
				field   string
				allowed []casework.Action // the actions the problem must list
				next    string            // what its message must say
			}{
				{"art 40(13): a State the node cannot reach",
					func() response {
						r := tn.create(t, fra, mlaContents("DEU"))
						return tn.move(t, fra, r.ID, casework.Transition{Action: casework.Send})
					}, "requested_state", []casework.Action{casework.Send}, "entraide peer add"},
				{"art 40: an action the request's state does not allow",
					func() response {
						r := tn.create(t, fra, mlaContents("VNM"))
						return tn.move(t, fra, r.ID, casework.Transition{Action: casework.AcceptConditions})
					}, "action", []casework.Action{casework.Send}, "allowed now: "},
				{"an id already taken",
					func() response {
						u := userInput{ID: "fra-taken", Name: "x", Role: identity.Auditor}
						tn.do(t, "POST", "/api/v1/users", admin, u)
						return tn.do(t, "POST", "/api/v1/users", admin, u)
					}, "id", nil, "choose another id"},
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					r := tt.call()
					p := wantProblem(t, r, http.StatusConflict, tt.field, "")
					for _, a := range tt.allowed {
						if !slices.Contains(p.AllowedActions, a) {
							t.Errorf("allowed_actions %v: want %s among them", p.AllowedActions, a)
						}
					}
					i := slices.IndexFunc(p.Errors, func(e FieldError) bool { return e.Field == tt.field })
					if msg := p.Errors[i].Message; !strings.Contains(msg, tt.next) {
						t.Errorf("message %q: want it to name the next step, %q", msg, tt.next)
					}
				})
			}
		})
	}
}
