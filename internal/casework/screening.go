package casework

import (
	"slices"
	"strings"
	"time"

	"entraide/internal/convention"
	"entraide/internal/identity"
)

// Screening is one screening of a request for human rights by the
// requested State: who screened it, when, and what they found. It stays
// with the requested State: the requesting State learns of it only what
// follows from it, a consultation or a refusal with its grounds and
// reasons, which say what the requested State chooses to say.
type Screening struct {
	ID         string    `json:"id"`
	RequestID  string    `json:"request_id"`
	ScreenedBy string    `json:"screened_by"`
	ScreenedAt time.Time `json:"screened_at"`
	convention.Screening
	// RefusalGrounds are the grounds for refusal the concerns found may
	// rest on, for the official who refuses after consultation.
	RefusalGrounds []convention.Ground `json:"refusal_grounds,omitempty"`
	// Redacted names what the reader's role does not see of it (art. 36):
	// the findings, which speak of persons.
	Redacted []string `json:"redacted,omitempty"`
}

// NeedsScreening reports whether the requested State's view r must be
// screened before execution begins: every request of an intrusive kind
// (convention.ScreenedKind), and every request from a State flagged for
// screening. The requesting State's view needs none.
func NeedsScreening(r *Request) bool {
	return r.Holder == r.RequestedState && r.Holder != "" && (convention.ScreenedKind(r.Kind) || r.FromFlagged)
}

// beforeExecution lists the states of the requested State's view in
// which its screening is still to come: execution has not begun, or is
// to begin again, and nothing is decided.
var beforeExecution = []State{Received, Acknowledged, MoreInfoRequested, Consultation, ConditionsAccepted, ConditionsDeclined, Postponed}

// ScreeningPending reports whether r waits for a screening that clears
// it before execution may begin: what a list of requests shows as
// "screening needed".
func ScreeningPending(r *Request) bool {
	return NeedsScreening(r) && !cleared(r) && slices.Contains(beforeExecution, r.State)
}

// Screenable reports whether the requested State's view r may be screened
// now: received, and its execution not begun or to begin again.
func Screenable(r *Request) bool {
	return r.Holder == r.RequestedState && slices.Contains(beforeExecution, r.State)
}

func cleared(r *Request) bool {
	return r.Screening != nil && r.Screening.Outcome == convention.Cleared
}

// Screen checks that by may screen r at now with what s found, and
// returns the screening to record. A refusal is an *Error (ErrNotFound,
// ErrForbidden, ErrConflict) or convention.Problems for a screening that
// does not conform.
func Screen(r *Request, s convention.Screening, by Actor, id string, now time.Time) (Screening, error) {
	ref := convention.ScreeningRef
	switch {
	case by.State != r.Holder || r.SideOf(by.State) == "":
		return Screening{}, refuse(ErrNotFound, "id", convention.Art(40).Para(20), "no such request")
	case !by.Role.Can(identity.ScreenRequests):
		return Screening{}, refuse(ErrForbidden, "role", ref, "the %s role may not screen requests; the central authority screens them", by.Role)
	case r.SideOf(by.State) != Requested:
		return Screening{}, refuse(ErrForbidden, "id", ref, "only the requested State screens a request, before executing it")
	case !slices.Contains(beforeExecution, r.State):
		return Screening{}, refuse(ErrConflict, "id", ref, "cannot screen %s: a request is screened before its execution begins, once it is received and until it is decided", requestThatIs(r.State))
	}
	if ps := convention.ValidateScreening(r.Kind, s); len(ps) > 0 {
		return Screening{}, ps
	}
	return Screening{ID: id, RequestID: r.ID, ScreenedBy: by.ID, ScreenedAt: now, Screening: s, RefusalGrounds: convention.RefusalGroundsFor(r.Kind, s)}, nil
}

// awaitingScreening refuses to begin or resume executing r before a
// screening cleared it, naming the next step.
func awaitingScreening(r *Request, action Action) *Error {
	if !NeedsScreening(r) || cleared(r) {
		return nil
	}
	why := "it is of a kind every request of which is screened"
	if !convention.ScreenedKind(r.Kind) {
		why = "your State screens every request from " + r.RequestingState
	}
	if r.Screening == nil {
		return refuse(ErrConflict, "screening", convention.ScreeningRef,
			"cannot %s %s before it is screened for human rights (arts. 6, 24 and 40(22)): %s; screen it first (the request's screening form, or entraide request screen %s), then %s it", actionPhrase(action), requestThatIs(r.State), why, r.ID, action)
	}
	names := make([]string, len(r.Screening.ConcernsFound))
	for i, g := range r.Screening.ConcernsFound {
		names[i] = string(g)
	}
	next := "consult the requesting State on conditions that would meet them (art. 40(27)), and refuse, giving grounds and reasons, if none does"
	if len(r.Screening.RefusalGrounds) > 0 {
		gs := make([]string, len(r.Screening.RefusalGrounds))
		for i, g := range r.Screening.RefusalGrounds {
			gs[i] = string(g)
		}
		next += " (" + strings.Join(gs, ", ") + ")"
	}
	return refuse(ErrConflict, "screening", convention.ScreeningRef,
		"cannot %s %s: its screening found concerns (%s); %s; or screen it again once the concerns are met", actionPhrase(action), requestThatIs(r.State), strings.Join(names, ", "), next)
}

// Flag marks a State whose every request the flagging State screens
// before executing it, whatever its kind. Only the flagging State's
// officials see it.
type Flag struct {
	State     string    `json:"state"`
	Reason    string    `json:"reason"`
	FlaggedBy string    `json:"flagged_by"`
	FlaggedAt time.Time `json:"flagged_at"`
}
