package casework

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"time"

	"entraide/internal/convention"
	"entraide/internal/identity"
)

// Action is something done to a request.
type Action string

// The actions on a request.
const (
	Create      Action = "create"
	Send        Action = "send"
	Deliver     Action = "deliver" // the requested State's node has it
	Acknowledge Action = "acknowledge"
	Start       Action = "start" // execution begins; for a preservation, the data are preserved from now
	RequestInfo Action = "request_info"
	ProvideInfo Action = "provide_info"
	Consult     Action = "consult" // the requested State consults, proposing conditions if it can (art. 40(27))
	// AcceptConditions and DeclineConditions answer the conditions the
	// requested State proposed in consultation (art. 40(27)).
	AcceptConditions  Action = "accept_conditions"
	DeclineConditions Action = "decline_conditions"
	Resume            Action = "resume" // consultation or postponement ends, execution goes on
	Refuse            Action = "refuse"
	Postpone          Action = "postpone"
	Execute           Action = "execute"
	ExecutePartially  Action = "execute_partially"
	Withdraw          Action = "withdraw"
	Close             Action = "close"
	Extend            Action = "extend"            // the requested State moves a preservation's deadline later
	AskExtension      Action = "ask_extension"     // the requesting State asks for a later deadline
	DiscloseTraffic   Action = "disclose_traffic"  // executing a preservation, the requested State discloses traffic data naming another State's provider (art. 43)
	Receipt           Action = "receipt"           // the other State's node acknowledged a message
	Crossed           Action = "crossed"           // the other State acted at the same time as this one; noted, not applied
	LinkFollowUp      Action = "link_follow_up"    // a preservation is followed up; it stays preserved
	FollowUpDecided   Action = "follow_up_decided" // the follow-up is decided; the preservation may end
	// FollowUpWithdrawn: the requesting State withdrew the follow-up
	// before it was decided; the preservation is held again for its
	// period, and may be followed up anew.
	FollowUpWithdrawn Action = "follow_up_withdrawn"
	// Undelivered: a message of this request will not reach the other
	// State's node: its node refused it for good, or no receipt came
	// before the delivery expiry. The node records it; nobody chooses it.
	Undelivered Action = "undelivered"
)

// preserving lists the states in which a preservation that started keeps
// its data: it has been neither executed, refused nor withdrawn.
var preserving = []State{InProgress, MoreInfoRequested, Consultation, ConditionsAccepted, ConditionsDeclined, Postponed}

// decided lists the states in which a request is decided: it no longer
// holds a preservation it follows up (art. 42(7)).
var decided = []State{Executed, PartiallyExecuted, Refused, Withdrawn, Closed}

// rule says who may take an action and in which states.
type rule struct {
	from []State
	to   State // "" when the action leaves the state alone
	by   Side  // "" when either side may
	ref  convention.Ref
}

var rules = map[Action]rule{
	Send:              {from: []State{Draft}, to: Sent, by: Requesting, ref: convention.Art(40).Para(14)},
	Deliver:           {from: []State{Sent}, to: Received, ref: convention.Art(40).Para(14)},
	Acknowledge:       {from: []State{Received}, to: Acknowledged, by: Requested, ref: convention.Art(40).Para(25)},
	Start:             {from: []State{Acknowledged}, to: InProgress, by: Requested, ref: convention.Art(40).Para(17)},
	RequestInfo:       {from: []State{Acknowledged, InProgress}, to: MoreInfoRequested, by: Requested, ref: convention.Art(40).Para(16)},
	ProvideInfo:       {from: []State{MoreInfoRequested}, by: Requesting, ref: convention.Art(40).Para(16)},
	Consult:           {from: []State{Acknowledged, InProgress, ConditionsDeclined}, to: Consultation, by: Requested, ref: convention.Art(40).Para(27)},
	AcceptConditions:  {from: []State{Consultation}, to: ConditionsAccepted, by: Requesting, ref: convention.Art(40).Para(27)},
	DeclineConditions: {from: []State{Consultation}, to: ConditionsDeclined, by: Requesting, ref: convention.Art(40).Para(27)},
	Resume:            {from: []State{Consultation, ConditionsAccepted, Postponed}, to: InProgress, by: Requested, ref: convention.Art(40).Para(27)},
	// Refusal and postponement come after consultation (art. 40(27)).
	Refuse:           {from: []State{Consultation, ConditionsDeclined}, to: Refused, by: Requested, ref: convention.Art(40).Para(24)},
	Postpone:         {from: []State{Consultation, ConditionsDeclined}, to: Postponed, by: Requested, ref: convention.Art(40).Para(26)},
	Execute:          {from: []State{InProgress}, to: Executed, by: Requested, ref: convention.Art(40).Para(25)},
	ExecutePartially: {from: []State{InProgress}, to: PartiallyExecuted, by: Requested, ref: convention.Art(40).Para(25)},
	Withdraw:         {from: []State{Draft, Sent, Received, Acknowledged, InProgress, MoreInfoRequested, Consultation, ConditionsAccepted, ConditionsDeclined, Postponed}, to: Withdrawn, by: Requesting, ref: convention.Art(40).Para(25)},
	Close:            {from: []State{Executed, PartiallyExecuted, Refused, Postponed, Withdrawn}, to: Closed, ref: convention.Art(40).Para(25)},
	// Only the requested State preserves, so only it sets how long; the
	// requesting State asks (art. 42(7)).
	Extend:            {from: preserving, by: Requested, ref: convention.PreservationRef},
	AskExtension:      {from: preserving, by: Requesting, ref: convention.PreservationRef},
	LinkFollowUp:      {from: preserving, by: Requesting, ref: convention.PreservationRef},
	FollowUpDecided:   {from: preserving, ref: convention.PreservationRef},
	FollowUpWithdrawn: {from: preserving, by: Requesting, ref: convention.PreservationRef},
	// Expedited disclosure of preserved traffic data is part of executing
	// a preservation, not a request of its own: the requested State makes
	// it as soon as preserving reveals a provider in another State.
	DiscloseTraffic: {from: preserving, by: Requested, ref: convention.Art(43).Para(1)},
}

// Actions lists the actions an official can ask for through Apply.
func Actions() []Action {
	return []Action{Send, Acknowledge, Start, RequestInfo, ProvideInfo, Consult, AcceptConditions, DeclineConditions, Resume, Refuse, Postpone,
		Execute, ExecutePartially, Withdraw, Close, Extend, AskExtension, DiscloseTraffic}
}

// Allowed lists, in the order of Actions, the actions the State playing
// side in r may take at now. It is the one answer to "what can be done
// next", given with every refusal of an action for r's state.
func Allowed(r *Request, side Side, now time.Time) []Action {
	var out []Action
	for _, a := range Actions() {
		ru := rules[a]
		if (ru.by == "" || ru.by == side) && allows(r, a, ru, now) == nil {
			out = append(out, a)
		}
	}
	return out
}

// AllowedFor lists the actions by may take on r at now: those its State's
// side, its role and r's state all allow. It is what an official's view
// of a request offers, so that nobody has to try an action to learn it is
// refused.
func AllowedFor(r *Request, by Actor, now time.Time) []Action {
	out := []Action{}
	for _, a := range Actions() {
		ru := rules[a]
		if mayAct(r, by, a, ru) == nil && allows(r, a, ru, now) == nil {
			out = append(out, a)
		}
	}
	return out
}

// allows checks that r's state lets action be taken at now, whoever takes
// it: the states of the rule, and what else of r decides it.
func allows(r *Request, action Action, ru rule, now time.Time) *Error {
	if !slices.Contains(ru.from, r.State) {
		return refuse(ErrConflict, "action", ru.ref, "cannot %s %s", actionPhrase(action), requestThatIs(r.State))
	}
	switch action {
	case Start, Resume:
		// Execution begins, or begins again: a request that must be
		// screened for human rights waits for a screening that cleared it
		// (arts. 6, 24(4), 40(22)).
		if e := awaitingScreening(r, action); e != nil {
			return e
		}
	case Refuse, Postpone:
		if action == Postpone && r.Kind == convention.Preservation {
			// Preservation is expeditious by nature, and art. 42 names
			// only grounds for refusal: data held back later may be gone.
			return refuse(ErrConflict, "action", convention.Art(42).Para(3).Unchecked(), "a preservation is not postponed: the data are preserved expeditiously; refuse it on the grounds art. 42 allows, after consultation, or preserve them")
		}
		// Proposing conditions and then refusing or postponing before
		// the requesting State answers them would empty the consultation
		// of its purpose.
		if r.State == Consultation && r.ProposedConditions != "" {
			return refuse(ErrConflict, "action", convention.Art(40).Para(27), "the requesting State has not yet accepted or declined the conditions proposed in consultation; wait for its answer")
		}
	case AcceptConditions, DeclineConditions:
		if r.ProposedConditions == "" {
			return refuse(ErrConflict, "action", ru.ref, "no conditions were proposed in this consultation")
		}
	case Extend, AskExtension:
		switch {
		case r.Preservation == nil:
			return refuse(ErrConflict, "action", ru.ref, "only a preservation whose data are preserved can be extended")
		case r.Preservation.FollowUp != "":
			return refuse(ErrConflict, "action", ru.ref, "the data stay preserved until the follow-up request %s is decided", r.Preservation.FollowUp)
		}
	case DiscloseTraffic:
		if r.Preservation == nil {
			return refuse(ErrConflict, "action", ru.ref, "traffic data are disclosed from a preservation whose data are preserved; start it first")
		}
	case Execute, ExecutePartially, Close:
		if action != Close && r.Screening != nil && r.Screening.Outcome == convention.Concerns {
			// A screening that found concerns after execution began (the
			// request was waiting for information meanwhile) holds it
			// back until consultation meets them and a new screening
			// clears it: the information's arrival does not undo it.
			if e := awaitingScreening(r, action); e != nil {
				return e
			}
		}
		return held(r, action, now)
	}
	return nil
}

// actionPhrase is action as a verb an official reads before "a request".
func actionPhrase(a Action) string {
	switch a {
	case AcceptConditions:
		return "accept the conditions of"
	case DeclineConditions:
		return "decline the conditions of"
	case AskExtension:
		return "ask the extension of"
	case DiscloseTraffic:
		return "disclose the traffic data of"
	case RequestInfo:
		return "ask more information on"
	case ProvideInfo:
		return "provide information on"
	case ExecutePartially:
		return "partially execute"
	}
	return strings.ReplaceAll(string(a), "_", " ")
}

// requestThatIs names a request in state s: "a request whose conditions
// were accepted", not "a request that is conditions accepted".
func requestThatIs(s State) string {
	switch s {
	case ConditionsAccepted:
		return "a request whose conditions were accepted"
	case ConditionsDeclined:
		return "a request whose conditions were declined"
	case MoreInfoRequested:
		return "a request waiting for more information"
	case Consultation:
		return "a request in consultation"
	case Draft:
		return "a draft"
	}
	return "a request that is " + strings.ReplaceAll(string(s), "_", " ")
}

// withNext adds to a refusal of an action for r's state what the State
// playing side may do instead at now, so that an official is never left
// with a refusal alone.
func withNext(e *Error, r *Request, side Side, action Action, now time.Time) *Error {
	e.Allowed = Allowed(r, side, now)
	p := &e.Problems[0]
	if (action == Refuse || action == Postpone) && !slices.Contains(rules[action].from, r.State) {
		p.Message += "; a refusal or postponement comes after consulting the requesting State on whether assistance can be given under conditions (art. 40(27)): consult, proposing the conditions"
	}
	if len(e.Allowed) > 0 {
		p.Message += "; allowed now: " + joinActions(e.Allowed)
		return e
	}
	if p.Field == "screening" {
		// Its own message names the step that is the State's: screening
		// the request again. "Nothing to do" would contradict it.
		return e
	}
	other := Requesting
	if side == Requesting {
		other = Requested
	}
	p.Message += "; your State has nothing to do on it now"
	if next := Allowed(r, other, now); len(next) > 0 {
		p.Message += fmt.Sprintf(": it is for the %s State, which may %s", other, joinActions(next))
	}
	return e
}

func joinActions(as []Action) string {
	names := make([]string, len(as))
	for i, a := range as {
		names[i] = string(a)
	}
	return strings.Join(names, ", ")
}

// AllActions lists every action a timeline event can record: those of
// Actions, and those the node records itself.
func AllActions() []Action {
	return append([]Action{Create}, append(Actions(), Deliver, Receipt, Crossed, LinkFollowUp, FollowUpDecided, FollowUpWithdrawn, Undelivered)...)
}

// Transition is an official's request to move a request.
type Transition struct {
	Action  Action              `json:"action"`
	Note    string              `json:"note,omitempty"`
	Grounds []convention.Ground `json:"grounds,omitempty"`
	Reasons string              `json:"reasons,omitempty"`
	// PreserveUntil sets the end of a preservation on start, its new end
	// on extension, or the end asked for on ask_extension. Empty on start
	// means the minimum period.
	PreserveUntil *time.Time `json:"preserve_until,omitempty"`
	// Conditions accepted in consultation, on resume (art. 40(27)).
	Conditions string `json:"conditions,omitempty"`
	// FollowUp is the follow-up request's id, for link_follow_up.
	FollowUp string `json:"follow_up,omitempty"`
	// AnswerConditions are the conditions the requested State sets on its
	// answer, on execute or execute_partially: they bind the answer and
	// every item of evidence it gives, those sent before among them.
	AnswerConditions convention.Conditions `json:"answer_conditions,omitempty"`
	// Declared lists the reservations the acting State has made, which a
	// refusal may rely on (art. 42(4)). The node fills it from its
	// directory; an official does not.
	Declared []convention.Reservation `json:"-"`
}

// Event is one entry of a request's timeline. The same events, in the
// same order, move both States' views of a request.
type Event struct {
	RequestID     string              `json:"request_id"`
	At            time.Time           `json:"at"`
	Actor         string              `json:"actor"`
	ActorState    string              `json:"actor_state"`
	Action        Action              `json:"action"`
	From          State               `json:"from,omitempty"`
	To            State               `json:"to"`
	Note          string              `json:"note,omitempty"`
	Grounds       []convention.Ground `json:"grounds,omitempty"`
	Reasons       string              `json:"reasons,omitempty"`
	Conditions    string              `json:"conditions,omitempty"`
	PreserveUntil *time.Time          `json:"preserve_until,omitempty"`
	FollowUp      string              `json:"follow_up,omitempty"`
	// AnswerConditions are those the requested State set on its answer
	// (see Transition); they travel signed in the event's envelope.
	AnswerConditions convention.Conditions `json:"answer_conditions,omitempty"`
	// Reservations are those of the refusing State that its refusal
	// relies on, so that the other State's node checks it the same way.
	Reservations []convention.Reservation `json:"reservations,omitempty"`
}

// Actor is who acts: an official of a State, with a role.
type Actor struct {
	ID    string
	State string
	Role  identity.Role
}

// System is the node itself, acting on delivery and receipt.
func System(state string) Actor { return Actor{ID: "system", State: state} }

// Error is a refused transition: its kind (ErrForbidden, ErrConflict) and
// the problems that explain it.
type Error struct {
	Kind     error
	Problems convention.Problems
	// Allowed are the actions the actor's State may take instead, for a
	// refusal of an action for the request's state (ErrConflict).
	Allowed []Action
}

func (e *Error) Error() string { return e.Kind.Error() + ": " + e.Problems.Error() }
func (e *Error) Unwrap() error { return e.Kind }

func refuse(kind error, field string, ref convention.Ref, format string, args ...any) *Error {
	return &Error{Kind: kind, Problems: convention.Problems{{Field: field, Ref: ref, Message: fmt.Sprintf(format, args...)}}}
}

// Decide checks that by may take transition t on r at now, and returns the
// event that records it. It changes nothing: ApplyEvent does. A refused
// transition returns an *Error wrapping ErrForbidden or ErrConflict, or
// convention.Problems for contents that do not conform.
func Decide(r *Request, t Transition, by Actor, now time.Time) (Event, error) {
	ru, ok := rules[t.Action]
	if !ok || t.Action == Deliver || t.Action == LinkFollowUp || t.Action == FollowUpDecided || t.Action == FollowUpWithdrawn {
		return Event{}, convention.Problems{{Field: "action", Ref: convention.Art(40), Message: fmt.Sprintf("unknown action %q; one of %s", t.Action, actionList())}}
	}
	if err := mayAct(r, by, t.Action, ru); err != nil {
		return Event{}, err
	}
	if t.PreserveUntil != nil {
		until := *t.PreserveUntil
		if ps := convention.NormalizeTime("preserve_until", convention.Art(42), &until); ps != nil {
			return Event{}, ps
		}
		t.PreserveUntil = &until
	}
	e, err := decide(r, t, ru, by, now)
	if ce, ok := err.(*Error); ok && errors.Is(ce.Kind, ErrConflict) {
		return e, withNext(ce, r, r.SideOf(by.State), t.Action, now)
	}
	return e, err
}

// decide checks t against r's state and the Convention's rules on its
// content, once the actor is known to be allowed.
func decide(r *Request, t Transition, ru rule, by Actor, now time.Time) (Event, error) {
	if err := allows(r, t.Action, ru, now); err != nil {
		return Event{}, err
	}
	e := Event{RequestID: r.ID, At: now, Actor: by.ID, ActorState: by.State, Action: t.Action, From: r.State, To: ru.to, Note: t.Note}
	var ps convention.Problems
	for _, f := range []struct{ name, text string }{{"note", t.Note}, {"reasons", t.Reasons}, {"conditions", t.Conditions}} {
		if p, bad := convention.CheckText(f.name, ru.ref, f.text, MaxTextLength); bad {
			ps = append(ps, p)
		}
	}
	switch t.Action {
	case Send:
		ps = append(ps, convention.Validate(r.Kind, r.Fields, r.Offences)...)
		ps = append(ps, r.LegalBasis.validate(r.Kind)...)
	case ProvideInfo:
		e.To = r.ResumeState
		if strings.TrimSpace(t.Note) == "" {
			ps = append(ps, convention.Problem{Field: "note", Ref: ru.ref, Message: "give the information requested"})
		}
	case RequestInfo:
		if strings.TrimSpace(t.Note) == "" {
			ps = append(ps, convention.Problem{Field: "note", Ref: ru.ref, Message: "say what additional information is needed"})
		}
	case Refuse:
		f := convention.Refusal{Kind: r.Kind, Charges: r.Offences, Grounds: t.Grounds, Reasons: t.Reasons, Declared: t.Declared}
		ps = append(ps, convention.ValidateRefusal(f)...)
		e.Grounds, e.Reasons, e.Reservations = t.Grounds, t.Reasons, f.ReliesOn()
	case Postpone:
		if strings.TrimSpace(t.Reasons) == "" {
			ps = append(ps, convention.Problem{Field: "reasons", Ref: ru.ref, Message: "say how execution would interfere with an ongoing investigation, prosecution or proceeding"})
		}
		e.Reasons = t.Reasons
	case Consult:
		// The conditions proposed, if assistance can be given under any;
		// none says that it cannot, before a refusal or postponement.
		e.Conditions = t.Conditions
	case AcceptConditions:
		if t.Conditions != "" && t.Conditions != r.ProposedConditions {
			ps = append(ps, convention.Problem{Field: "conditions", Ref: ru.ref, Message: "the conditions are accepted as proposed; leave conditions out, or decline them and say why in the note"})
		}
		e.Conditions = r.ProposedConditions
	case Resume:
		if r.State == ConditionsAccepted && t.Conditions != "" {
			ps = append(ps, convention.Problem{Field: "conditions", Ref: ru.ref, Message: "the conditions the requesting State accepted bind: resume without conditions"})
		}
		e.Conditions = t.Conditions
	case Start:
		spec, _ := convention.Lookup(r.Kind)
		if spec.Preserves {
			until := convention.PreservationDeadline(now)
			if t.PreserveUntil != nil {
				until = *t.PreserveUntil
			}
			ps = append(ps, convention.ValidatePreservationUntil(now, time.Time{}, until)...)
			e.PreserveUntil = &until
		} else if t.PreserveUntil != nil {
			ps = append(ps, convention.Problem{Field: "preserve_until", Ref: convention.Art(42), Message: "only a preservation has a preservation deadline"})
		}
	case Extend, AskExtension:
		switch {
		case t.PreserveUntil == nil:
			ps = append(ps, convention.Problem{Field: "preserve_until", Ref: ru.ref, Message: "required: the new end of preservation"})
		default:
			ps = append(ps, convention.ValidatePreservationUntil(r.Preservation.Started, r.Preservation.Until, *t.PreserveUntil)...)
			e.PreserveUntil = t.PreserveUntil
		}
		if t.Action == AskExtension && strings.TrimSpace(t.Note) == "" {
			ps = append(ps, convention.Problem{Field: "note", Ref: ru.ref, Message: "say why the data must be kept longer"})
		}
	case DeclineConditions:
		if strings.TrimSpace(t.Note) == "" {
			ps = append(ps, convention.Problem{Field: "note", Ref: ru.ref, Message: "say why the conditions are declined, so that the requested State can weigh it before deciding"})
		}
	case Execute, ExecutePartially:
		ps = append(ps, t.AnswerConditions.Validate("answer_conditions")...)
		e.AnswerConditions = t.AnswerConditions
		// The 24/7 network's advice, information and whereabouts are the
		// answer itself: executing them without it gives nothing.
		if (r.Kind == convention.TechnicalAdvice || r.Kind == convention.LegalInformation || r.Kind == convention.LocatingSuspects) && strings.TrimSpace(t.Note) == "" {
			ps = append(ps, convention.Problem{Field: "note", Ref: convention.Art(41).Para(3), Message: "give the advice, information or location asked for: it is the answer to this request"})
		}
	case DiscloseTraffic:
		if strings.TrimSpace(t.Note) == "" {
			ps = append(ps, convention.Problem{Field: "note", Ref: ru.ref, Message: "give the traffic data that identify the service provider in another State and the path of the communication"})
		}
	}
	if len(t.AnswerConditions) > 0 && t.Action != Execute && t.Action != ExecutePartially {
		ps = append(ps, convention.Problem{Field: "answer_conditions", Ref: convention.Art(40).Para(19), Message: "conditions are set on the answer, with execute or execute_partially; to set them on an item, give them when it is sent"})
	}
	if len(ps) > 0 {
		return Event{}, ps
	}
	return e, nil
}

// CheckRemote checks an event that the other State's node made on its view
// of r before this node applies it to its own: the other side may take
// that action, from r's current state, with content the Convention allows,
// and it leads where it would here. Peers are trusted with nothing else.
func CheckRemote(r *Request, e Event) error {
	ru, ok := rules[e.Action]
	side := r.SideOf(e.ActorState)
	switch {
	case !ok || e.Action == Send || e.Action == Deliver:
		return fmt.Errorf("action %q cannot come from another node", e.Action)
	case side == "" || e.ActorState == r.Holder:
		return fmt.Errorf("%s is not the other party to request %s", e.ActorState, r.ID)
	case ru.by != "" && side != ru.by:
		return fmt.Errorf("only the %s State may %s request %s", ru.by, e.Action, r.ID)
	case e.From != r.State:
		return fmt.Errorf("the event moves request %s from %s, but it is %s here", r.ID, e.From, r.State)
	}
	if e.Action == LinkFollowUp {
		// A link leaves the state alone: ApplyEvent would otherwise move the
		// request wherever e.To says.
		if r.Kind != convention.Preservation || !slices.Contains(ru.from, r.State) || e.FollowUp == "" || e.To != "" ||
			(r.Preservation != nil && r.Preservation.FollowUp != "") {
			return fmt.Errorf("request %s cannot be followed up now", r.ID)
		}
		return nil
	}
	if e.Action == FollowUpDecided || e.Action == FollowUpWithdrawn {
		// Either State decides the follow-up (the requested State executes
		// or refuses it, the requesting State withdraws it); its own node
		// reports the end of the hold on the preservation. Its messages
		// about the follow-up travel apart, and may come later.
		if r.Kind != convention.Preservation || !slices.Contains(ru.from, r.State) || e.To != "" ||
			r.Preservation == nil || r.Preservation.FollowUp == "" || r.Preservation.FollowUp != e.FollowUp || r.Preservation.FollowUpDecided {
			return fmt.Errorf("request %s is not held for follow-up %q", r.ID, e.FollowUp)
		}
		return nil
	}
	// The refusing State is the authority on its own reservations: the
	// event names those it relies on, and they are checked as declared.
	t := Transition{Action: e.Action, Note: e.Note, Grounds: e.Grounds, Reasons: e.Reasons, PreserveUntil: e.PreserveUntil, Conditions: e.Conditions, AnswerConditions: e.AnswerConditions, Declared: e.Reservations}
	got, err := decide(r, t, ru, Actor{ID: e.Actor, State: e.ActorState}, e.At)
	if err != nil {
		return err
	}
	if got.To != e.To {
		return fmt.Errorf("the event leads request %s to %q, where the rules lead to %q", r.ID, e.To, got.To)
	}
	// The event applied must be the one the rules make: a start of a
	// preservation without its deadline, or content an action does not
	// carry, would leave this view other than the sender's.
	if !reflect.DeepEqual(got, e) {
		return fmt.Errorf("the event on request %s is not the one the rules make of its action and content", r.ID)
	}
	return nil
}

// Allows reports whether action can be taken on a request in state s.
func Allows(action Action, s State) bool {
	ru, ok := rules[action]
	return ok && slices.Contains(ru.from, s)
}

// mayAct checks the actor's State and role against the rule for action.
func mayAct(r *Request, by Actor, action Action, ru rule) error {
	side := r.SideOf(by.State)
	if side == "" || by.State != r.Holder {
		return refuse(ErrNotFound, "id", convention.Art(40).Para(20), "no such request")
	}
	if !by.Role.Can(identity.ActOnRequests) {
		return refuse(ErrForbidden, "action", ru.ref, "the %s role may not act on requests", by.Role)
	}
	if ru.by != "" && side != ru.by {
		if action == Extend {
			return refuse(ErrForbidden, "action", ru.ref, "only the requested State, which preserves the data, extends the preservation; ask it to with the %s action and the end you need in preserve_until", AskExtension)
		}
		who := "requested"
		if ru.by == Requesting {
			who = "requesting"
		}
		return refuse(ErrForbidden, "action", ru.ref, "only the %s State may %s this request", who, action)
	}
	if by.Role == identity.TwentyFourSeven {
		if spec, _ := convention.Lookup(r.Kind); !spec.TwentyFourSeven {
			return refuse(ErrForbidden, "action", convention.Art(41), "the 24/7 point of contact acts on the 24/7 network's requests (art. 41(3)); %s goes through the central authority", spec.Title)
		}
	}
	return nil
}

// ApplyEvent moves r as e records. Both views of a request apply the same
// events; ApplyEvent trusts e, which Decide (or the sender's node) made.
func ApplyEvent(r *Request, e Event) {
	switch e.Action {
	case RequestInfo:
		r.ResumeState = r.State
	case Consult:
		r.ResumeState = r.State
		r.ProposedConditions = e.Conditions
	case AcceptConditions:
		r.Conditions, r.ProposedConditions = e.Conditions, ""
	case DeclineConditions:
		r.ProposedConditions = "" // declined: the timeline keeps them
	case ProvideInfo:
		r.ResumeState = ""
	case Refuse:
		r.Refusal = &Refusal{Grounds: e.Grounds, Reasons: e.Reasons}
	case Execute, ExecutePartially:
		r.AnswerConditions = r.AnswerConditions.Merge(e.AnswerConditions)
	case Resume:
		if e.Conditions != "" {
			r.Conditions = e.Conditions
		}
		r.ResumeState, r.ProposedConditions = "", ""
	case Start:
		if e.PreserveUntil != nil {
			r.Preservation = &PreservationPeriod{Started: e.At, Until: *e.PreserveUntil}
		}
	case Extend:
		if r.Preservation != nil && e.PreserveUntil != nil {
			r.Preservation.Until = *e.PreserveUntil
			r.Preservation.ExtensionAsked = nil
		}
	case AskExtension:
		if r.Preservation != nil && e.PreserveUntil != nil {
			asked := *e.PreserveUntil
			r.Preservation.ExtensionAsked = &asked
		}
	case Undelivered:
		r.Undelivered = &UndeliveredMessage{At: e.At, To: e.ActorState, Why: e.Note}
	case Deliver, Receipt:
		// A later message reached the other node: the earlier failure
		// stays on the timeline, not on the request.
		r.Undelivered = nil
	case FollowUpDecided:
		if r.Preservation != nil {
			r.Preservation.FollowUpDecided = true
		}
	case FollowUpWithdrawn:
		if p := r.Preservation; p != nil {
			p.FollowUp, p.Until, p.HeldUntil = "", heldAgainUntil(p), time.Time{}
		}
	case LinkFollowUp:
		if r.Preservation != nil {
			r.Preservation.FollowUp = e.FollowUp
			r.Preservation.HeldUntil = r.Preservation.Until
			r.Preservation.Until = time.Time{}
		}
	}
	if e.To != "" {
		r.State = e.To
	}
	r.UpdatedAt = e.At
	r.Version++
}

// FollowUpEvent records that follow-up now follows up the preservation p,
// which then stays preserved until follow-up is decided (art. 42(7)). It
// returns convention.Problems if p cannot be followed up by follow-up.
func FollowUpEvent(p *Request, followUp *Request, by Actor, now time.Time) (Event, error) {
	ru := rules[LinkFollowUp]
	switch {
	case p.Kind != convention.Preservation:
		return Event{}, convention.Problems{{Field: "follow_up_of", Ref: convention.Art(42), Message: "request " + p.ID + " is not a preservation"}}
	case p.RequestedState != followUp.RequestedState || p.RequestingState != followUp.RequestingState:
		return Event{}, convention.Problems{{Field: "follow_up_of", Ref: convention.Art(42), Message: "the preservation " + p.ID + " was made between other States"}}
	case !slices.Contains(ru.from, p.State):
		return Event{}, convention.Problems{{Field: "follow_up_of", Ref: ru.ref, Message: fmt.Sprintf("the preservation %s is %s, not preserving data; draft the request again without follow_up_of, and check with the requested State that the data still exist", p.ID, strings.ReplaceAll(string(p.State), "_", " "))}}
	case p.Preservation != nil && p.Preservation.FollowUp != "":
		return Event{}, convention.Problems{{Field: "follow_up_of", Ref: ru.ref, Message: "the preservation " + p.ID + " is already followed up by " + p.Preservation.FollowUp}}
	}
	return Event{RequestID: p.ID, At: now, Actor: by.ID, ActorState: by.State, Action: LinkFollowUp, From: p.State, FollowUp: followUp.ID,
		Note: "follow-up request " + followUp.ID + " sent; the data stay preserved until it is decided"}, nil
}

// held refuses to execute or close a preservation while its data must stay
// preserved (art. 42(7)): for at least the period set, so that the
// requesting State can send its follow-up request, and, once that request
// has come, until it is decided. A refused or withdrawn preservation holds
// nothing.
func held(r *Request, action Action, now time.Time) *Error {
	p := r.Preservation
	if p == nil || (action == Close && (r.State == Refused || r.State == Withdrawn)) {
		return nil
	}
	ref := convention.PreservationRef
	switch {
	case p.FollowUp != "" && !p.FollowUpDecided:
		return refuse(ErrConflict, "action", ref, "cannot %s: the data stay preserved until the follow-up request %s is decided; decide it first, or consult before refusing", action, p.FollowUp)
	case p.FollowUp == "" && !convention.PreservationEnded(p.Until, now):
		return refuse(ErrConflict, "action", ref, "cannot %s: the data stay preserved until %s, for the requesting State's follow-up request; %s it from that date if none has come, extend the period, or consult before refusing",
			action, p.Until.UTC().Format(time.DateOnly), action)
	}
	return nil
}

// FollowUpDecidedEvent returns the event that ends the hold of the
// preservation p once followUp, which follows it up, is decided, and
// whether there is one to record: none if p is not held for followUp, or
// followUp is not decided.
func FollowUpDecidedEvent(p, followUp *Request, by Actor, now time.Time) (Event, bool) {
	pp := p.Preservation
	if p.Kind != convention.Preservation || pp == nil || pp.FollowUp != followUp.ID || pp.FollowUpDecided ||
		!slices.Contains(rules[FollowUpDecided].from, p.State) || !slices.Contains(decided, followUp.State) {
		return Event{}, false
	}
	if followUp.State == Withdrawn {
		// Withdrawing the follow-up decides nothing about the data: the
		// requesting State may send another (art. 42(7)), so they stay
		// preserved for the period set.
		return Event{RequestID: p.ID, At: now, Actor: by.ID, ActorState: by.State, Action: FollowUpWithdrawn, From: p.State, FollowUp: followUp.ID,
			Note: "follow-up request " + followUp.ID + " was withdrawn before it was decided; the data stay preserved until " + heldAgainUntil(pp).UTC().Format(time.DateOnly) + ", and another follow-up may be sent"}, true
	}
	return Event{RequestID: p.ID, At: now, Actor: by.ID, ActorState: by.State, Action: FollowUpDecided, From: p.State, FollowUp: followUp.ID,
		Note: "follow-up request " + followUp.ID + " is " + strings.ReplaceAll(string(followUp.State), "_", " ") + "; the data need no longer be preserved"}, true
}

// heldAgainUntil is the end of a preservation whose follow-up was
// withdrawn: the end set before the follow-up came, and never less than
// the minimum period from the start (art. 42(7)).
func heldAgainUntil(p *PreservationPeriod) time.Time {
	return maxTime(p.HeldUntil, p.Started.AddDate(0, 0, convention.PreservationMinimumDays))
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// CanRead reports whether by may see r: an official of the State holding
// this view, whose role may read requests.
func CanRead(r *Request, by Actor) bool {
	return by.State == r.Holder && by.Role.Can(identity.ReadRequests)
}

// CanDraft reports whether by may create a request of kind k.
func CanDraft(k convention.Kind, by Actor) error {
	if !by.Role.Can(identity.DraftRequests) {
		return refuse(ErrForbidden, "kind", convention.Art(40).Para(13), "the %s role may not draft requests", by.Role)
	}
	if by.Role == identity.TwentyFourSeven {
		if spec, ok := convention.Lookup(k); ok && !spec.TwentyFourSeven {
			return refuse(ErrForbidden, "kind", convention.Art(41), "the 24/7 point of contact drafts the 24/7 network's requests (art. 41(3)): preservation (whose traffic data the requested State discloses with the disclose_traffic action, art. 43), emergency disclosure, technical advice, legal information, locating suspects; %s goes through the central authority", spec.Title)
		}
	}
	return nil
}

func actionList() string {
	names := make([]string, 0, len(rules))
	for _, a := range Actions() {
		names = append(names, string(a))
	}
	return strings.Join(names, ", ")
}
