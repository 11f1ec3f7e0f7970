// Package casework holds a request for cooperation and its life: its
// contents, the states it moves through, who may move it, its deadlines, and
// who may see it. It performs no I/O.
//
// Each node keeps only its own State's view of a request: the requesting
// State's node one view, the requested State's node another. Both views
// carry the same identifier and are moved by the same events, so their
// timelines agree.
package casework

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"entraide/internal/convention"
	"entraide/internal/directory"
)

// State is where a request stands.
type State string

// The states of a request.
const (
	Draft             State = "draft"
	Sent              State = "sent"
	Received          State = "received"
	Acknowledged      State = "acknowledged"
	InProgress        State = "in_progress"
	MoreInfoRequested State = "more_info_requested" // art. 40(16)
	Consultation      State = "consultation"        // art. 40(27)
	// ConditionsAccepted and ConditionsDeclined are the requesting
	// State's answer to the conditions proposed in consultation (art.
	// 40(27)): the requested State then executes under them, or refuses.
	ConditionsAccepted State = "conditions_accepted"
	ConditionsDeclined State = "conditions_declined"
	Executed           State = "executed"
	PartiallyExecuted  State = "partially_executed"
	Refused            State = "refused"
	Postponed          State = "postponed" // art. 40(26)
	Withdrawn          State = "withdrawn" // art. 40(25)
	Closed             State = "closed"
)

// States lists every state a request can be in, in the order of its life.
func States() []State {
	return []State{Draft, Sent, Received, Acknowledged, InProgress, MoreInfoRequested, Consultation,
		ConditionsAccepted, ConditionsDeclined, Executed, PartiallyExecuted, Refused, Postponed, Withdrawn, Closed}
}

var stateWords = map[State]string{
	Draft: "a draft", Sent: "sent", Received: "received", Acknowledged: "acknowledged",
	InProgress: "in progress", MoreInfoRequested: "waiting for more information (art. 40(16))",
	Consultation:       "in consultation (art. 40(27))",
	ConditionsAccepted: "in consultation, its conditions accepted by the requesting State (art. 40(27))",
	ConditionsDeclined: "in consultation, its conditions declined by the requesting State (art. 40(27))",
	Executed:           "executed", PartiallyExecuted: "partially executed",
	Refused: "refused", Postponed: "postponed (art. 40(26))", Withdrawn: "withdrawn", Closed: "closed",
}

// Words says where a request stands in a phrase an official reads after
// "the request is now": "in consultation", not "consultation". A state
// it does not know is given with spaces for its underscores.
func (s State) Words() string {
	if w, ok := stateWords[s]; ok {
		return w
	}
	return strings.ReplaceAll(string(s), "_", " ")
}

// Sides lists the parts a State can play in a request.
func Sides() []Side { return []Side{Requesting, Requested} }

// Side is the part a State plays in a request.
type Side string

// The sides of a request.
const (
	Requesting Side = "requesting"
	Requested  Side = "requested"
)

// Urgency says how fast the requesting State needs an answer.
type Urgency string

// The levels of urgency.
const (
	Normal Urgency = "normal"
	Urgent Urgency = "urgent"
)

// DefaultUrgency is the urgency of a request of kind k whose draft gives
// none: an emergency disclosure is urgent by definition, as it averts a
// significant and imminent risk to a person's life or safety (arts. 2,
// 41(3)(e)); any other kind is normal.
func DefaultUrgency(k convention.Kind) Urgency {
	if k == convention.EmergencyDisclosure {
		return Urgent
	}
	return Normal
}

// Attachment describes a file that belongs to a request. The file itself
// travels as evidence; the request carries only what identifies it.
type Attachment struct {
	Name      string `json:"name"`
	MediaType string `json:"media_type"`
	Size      int64  `json:"size"`
	SHA256    string `json:"sha256"`
}

// Request is one State's view of a request for cooperation.
type Request struct {
	ID              string          `json:"id"`
	Holder          string          `json:"holder"` // the State whose view this is
	Kind            convention.Kind `json:"kind"`
	RequestingState string          `json:"requesting_state"`
	RequestedState  string          `json:"requested_state"`
	State           State           `json:"state"`
	// ResumeState is where a request returns when a request for more
	// information is answered or a consultation ends without refusal.
	ResumeState State   `json:"resume_state,omitempty"`
	Urgency     Urgency `json:"urgency"`
	// Confidential asks the requested State to keep the request and its
	// substance confidential (art. 40(20)).
	Confidential bool `json:"confidential"`
	// UseLimitation restricts the use of what is obtained (art. 40(19)).
	UseLimitation string              `json:"use_limitation,omitempty"`
	Fields        map[string]string   `json:"fields"`
	Offences      []convention.Charge `json:"offences"`
	Attachments   []Attachment        `json:"attachments"`
	FollowUpOf    string              `json:"follow_up_of,omitempty"`
	LegalBasis    *LegalBasis         `json:"legal_basis,omitempty"`
	// PersonalData marks the personal data the request carries, as the
	// requesting State declared them; it travels with the request.
	PersonalData *convention.PersonalData `json:"personal_data,omitempty"`
	Preservation *PreservationPeriod      `json:"preservation,omitempty"`
	Conditions   string                   `json:"conditions,omitempty"` // accepted in consultation; they bind (art. 40(27))
	// ProposedConditions are those the requested State proposed in its
	// last consultation, for the requesting State to accept or decline.
	ProposedConditions string `json:"proposed_conditions,omitempty"`
	// AnswerConditions are those the requested State set on its answer
	// (art. 40(19), (20), art. 36): they bind every item it gives.
	AnswerConditions convention.Conditions `json:"answer_conditions,omitempty"`
	Refusal          *Refusal              `json:"refusal,omitempty"`
	// Undelivered is set while the last message of the request that the
	// node gave up on has not been followed by one that arrived: the
	// other State's view may not show what this one does.
	Undelivered *UndeliveredMessage `json:"undelivered,omitempty"`
	// Redacted names, in an official's copy, what their role does not
	// see (Redact): never stored, never sent.
	Redacted  []string  `json:"redacted,omitempty"`
	CreatedBy string    `json:"created_by"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
	Version   int       `json:"version"`

	// Screening is the requested State's latest screening of this
	// request for human rights, and FromFlagged says that the requesting
	// State is one its administrator flagged for screening. The node
	// reads both beside its own view and never stores them in it: the
	// findings are the requested State's own deliberation, so they travel
	// to no other node and into no evidence package.
	Screening   *Screening `json:"-"`
	FromFlagged bool       `json:"-"`
}

// PreservationPeriod is how long requested data stay preserved (art. 42).
type PreservationPeriod struct {
	Started time.Time `json:"started"`
	// Until is the current deadline; it is zero once a follow-up request
	// is linked, for then the data stay preserved until it is decided.
	Until    time.Time `json:"until,omitzero"`
	FollowUp string    `json:"follow_up,omitempty"`
	// HeldUntil keeps Until while a follow-up is linked: if the follow-up
	// is withdrawn undecided, the data are held until then again.
	HeldUntil time.Time `json:"held_until,omitzero"`
	// FollowUpDecided is set once the follow-up request is decided: the
	// requested State may then execute and close the preservation.
	FollowUpDecided bool `json:"follow_up_decided,omitempty"`
	// ExtensionAsked is the end the requesting State last asked for; the
	// requested State grants it, or another, by extending.
	ExtensionAsked *time.Time `json:"extension_asked,omitempty"`
}

// UndeliveredMessage is a message of a request that will not reach the
// other State's node, and why, with what to do next.
type UndeliveredMessage struct {
	At  time.Time `json:"at"`
	To  string    `json:"to"`
	Why string    `json:"why"`
}

// Refusal records the grounds and reasons given for a refusal.
type Refusal struct {
	Grounds []convention.Ground `json:"grounds"`
	Reasons string              `json:"reasons"`
}

// Pressing reports whether r must not wait behind other work: an
// emergency disclosure (art. 41(3)), or a request its State marked
// urgent (art. 40(14)). Its messages to other nodes go first.
func (r *Request) Pressing() bool {
	return r.Kind == convention.EmergencyDisclosure || r.Urgency == Urgent
}

// Terms are the conditions that bind what the requested State gives in
// answer to r: those set on the answer, and those accepted in
// consultation (art. 40(27)), one kind among the others.
func (r *Request) Terms() convention.Conditions {
	out := r.AnswerConditions
	if strings.TrimSpace(r.Conditions) != "" {
		out = out.Merge(convention.Conditions{{Kind: convention.Consulted, Text: r.Conditions}})
	}
	return out
}

// SideOf returns the side State plays in r, or "" for a third State.
func (r *Request) SideOf(state string) Side {
	switch state {
	case r.RequestingState:
		return Requesting
	case r.RequestedState:
		return Requested
	}
	return ""
}

// Contents is what an official submits to create a request: everything
// but the identity of the requesting State, which is the official's own.
type Contents struct {
	Kind           convention.Kind     `json:"kind"`
	RequestedState string              `json:"requested_state"`
	Urgency        Urgency             `json:"urgency,omitempty"`
	Confidential   bool                `json:"confidential,omitempty"`
	UseLimitation  string              `json:"use_limitation,omitempty"`
	Fields         map[string]string   `json:"fields"`
	Offences       []convention.Charge `json:"offences,omitempty"`
	Attachments    []Attachment        `json:"attachments,omitempty"`
	FollowUpOf     string              `json:"follow_up_of,omitempty"`
	// LegalBasis is what the request rests on; required.
	LegalBasis *LegalBasis `json:"legal_basis"`
	// PersonalData marks whether the request carries personal data, of
	// which categories and persons (art. 36); optional.
	PersonalData *convention.PersonalData `json:"personal_data,omitempty"`
}

// Limits on a draft's parts, so that one request cannot exhaust a node.
const (
	MaxAttachments = 100
	MaxOffences    = 20
	MaxTextLength  = 20000
)

var sha256Hex = regexp.MustCompile(`^[0-9a-f]{64}$`)

// kindsFollowingPreservation may follow up an art. 42 preservation: a
// request for search, seizure or disclosure of the preserved data.
var kindsFollowingPreservation = map[convention.Kind]bool{
	convention.StoredDataAccess: true,
	convention.MutualAssistance: true,
}

// Validate checks a draft made by an official of requesting: the kind's
// contents (through convention.Validate), the States, and the metadata of
// its attachments. It returns every problem at once.
func (d Contents) Validate(requesting string) convention.Problems {
	if spec, _ := convention.Lookup(d.Kind); spec.OnPreservation {
		// Art. 43: the requested State discloses traffic data as it
		// executes a preservation; nobody asks for it apart.
		return convention.Problems{{Field: "kind", Ref: convention.Art(43).Para(1),
			Message: "expedited disclosure of preserved traffic data is part of executing a preservation, not a request of its own: send a preservation, and the requested State discloses the traffic data on it with the disclose_traffic action"}}
	}
	ps := convention.Validate(d.Kind, d.Fields, d.Offences)
	spec, known := convention.Lookup(d.Kind)
	main := convention.Art(40)
	if known {
		main = spec.MainArticle()
	}
	switch p, ok := directory.LookupParticipant(d.RequestedState); {
	case strings.TrimSpace(d.RequestedState) == "":
		ps = append(ps, convention.Problem{Field: "requested_state", Ref: main, Message: "required: the State asked to cooperate (ISO 3166-1 alpha-3 code)"})
	case !ok:
		// Who may be party is art. 64's question, not the kind's.
		ps = append(ps, convention.Problem{Field: "requested_state", Ref: convention.Art(64), Message: UnknownStateMessage(d.RequestedState)})
	case p.Code == requesting:
		ps = append(ps, convention.Problem{Field: "requested_state", Ref: main, Message: "a State cannot request cooperation from itself"})
	}
	switch d.Urgency {
	case "", Urgent:
	case Normal:
		if d.Kind == convention.EmergencyDisclosure {
			ps = append(ps, convention.Problem{Field: "urgency", Ref: convention.Art(41).Para(3).Sub("e"),
				Message: fmt.Sprintf("an emergency disclosure is urgent by definition: leave urgency out, or use %q", Urgent)})
		}
	default:
		ps = append(ps, convention.Problem{Field: "urgency", Ref: convention.Art(40).Para(14), Message: fmt.Sprintf("%q: use %q or %q", d.Urgency, Normal, Urgent)})
	}
	if p, bad := convention.CheckText("use_limitation", convention.Art(40).Para(19), d.UseLimitation, MaxTextLength); bad {
		ps = append(ps, p)
	}
	for i, c := range d.Offences {
		if p, bad := convention.CheckText("offences["+strconv.Itoa(i)+"].description", convention.Art(2), c.Description, 1000); bad {
			ps = append(ps, p)
		}
	}
	if len(d.Offences) > MaxOffences {
		ps = append(ps, convention.Problem{Field: "offences", Ref: convention.Art(35), Message: fmt.Sprintf("at most %d offences", MaxOffences)})
	}
	if len(d.Attachments) > MaxAttachments {
		ps = append(ps, convention.Problem{Field: "attachments", Ref: convention.Art(40).Para(14), Message: fmt.Sprintf("at most %d attachments", MaxAttachments)})
	}
	for i, a := range d.Attachments {
		field := "attachments[" + strconv.Itoa(i) + "]"
		if _, bad := convention.CheckText("", convention.Ref{}, a.Name, 255); bad || strings.TrimSpace(a.Name) == "" || len(a.Name) > 255 || strings.ContainsAny(a.Name, "/\\") {
			ps = append(ps, convention.Problem{Field: field + ".name", Ref: convention.Art(40).Para(14), Message: "a file name of 1-255 bytes, without '/' or '\\'"})
		}
		if a.Size < 0 {
			ps = append(ps, convention.Problem{Field: field + ".size", Ref: convention.Art(40).Para(14), Message: "must not be negative"})
		}
		if !sha256Hex.MatchString(a.SHA256) {
			ps = append(ps, convention.Problem{Field: field + ".sha256", Ref: convention.Art(40).Para(14), Message: "the file's SHA-256 digest as 64 lower-case hexadecimal digits, so that its authenticity can be checked"})
		}
		if _, bad := convention.CheckText("", convention.Ref{}, a.MediaType, 255); bad {
			ps = append(ps, convention.Problem{Field: field + ".media_type", Ref: convention.Art(40).Para(14), Message: "too long"})
		}
	}
	ps = append(ps, d.LegalBasis.validate(d.Kind)...)
	ps = append(ps, d.PersonalData.Validate("personal_data")...)
	if d.FollowUpOf != "" && known && !kindsFollowingPreservation[d.Kind] {
		ps = append(ps, convention.Problem{Field: "follow_up_of", Ref: convention.Art(42), Message: spec.Title + " cannot follow up a preservation; use access to stored data or mutual legal assistance (the requested State discloses preserved traffic data with the disclose_traffic action on the preservation itself, art. 43)"})
	}
	return ps
}

// New makes the requesting State's view of a new request from a valid
// draft. The caller has checked d.Validate.
func New(d Contents, id, requesting, createdBy string, now time.Time) Request {
	p, _ := directory.LookupParticipant(d.RequestedState)
	urgency := d.Urgency
	if urgency == "" {
		urgency = DefaultUrgency(d.Kind)
	}
	attachments := d.Attachments
	if attachments == nil {
		attachments = []Attachment{}
	}
	offences := d.Offences
	if offences == nil {
		offences = []convention.Charge{}
	}
	return Request{
		ID:              id,
		Holder:          requesting,
		Kind:            d.Kind,
		RequestingState: requesting,
		RequestedState:  p.Code,
		State:           Draft,
		Urgency:         urgency,
		Confidential:    d.Confidential,
		UseLimitation:   d.UseLimitation,
		Fields:          d.Fields,
		Offences:        offences,
		Attachments:     attachments,
		FollowUpOf:      d.FollowUpOf,
		LegalBasis:      d.LegalBasis,
		PersonalData:    d.PersonalData,
		CreatedBy:       createdBy,
		CreatedAt:       now,
		UpdatedAt:       now,
		Version:         1,
	}
}

// CounterpartView returns the requested State's view of r as it arrives.
func CounterpartView(r Request) Request {
	v := r
	v.Holder = r.RequestedState
	v.Fields = cloneMap(r.Fields)
	return v
}

func cloneMap(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// Errors callers tell apart.
var (
	// ErrForbidden: the actor may not do this to this request.
	ErrForbidden = errors.New("forbidden")
	// ErrConflict: the request's state does not allow the action.
	ErrConflict = errors.New("conflict")
	// ErrNotFound: no such request in the actor's view.
	ErrNotFound = errors.New("not found")
)

// BasisType is what a request rests on in international law.
type BasisType string

// The legal bases a request may name.
const (
	// BasisConvention rests the request on this Convention, which must be
	// in force for both States on the day it is sent (arts. 35, 40(1), 65).
	BasisConvention BasisType = "convention"
	// BasisTreaty rests it on another treaty binding both States, named.
	BasisTreaty BasisType = "treaty"
	// BasisReciprocity rests it on the promise of reciprocity, without a
	// treaty.
	BasisReciprocity BasisType = "reciprocity"
)

// BasisTypes lists the legal bases a request may name.
func BasisTypes() []BasisType { return []BasisType{BasisConvention, BasisTreaty, BasisReciprocity} }

// LegalBasis is what a request rests on: the Convention, another treaty
// by name, or reciprocity.
type LegalBasis struct {
	Type   BasisType `json:"type"`
	Treaty string    `json:"treaty,omitempty"`
}

// Refs where the legal basis is decided. Art. 40(6)-(7) on other treaties
// is cited from memory: flagged until checked against the authentic text.
var (
	refBasisConvention = convention.Art(40).Para(1)
	refBasisTreaty     = convention.Art(40).Para(7).Unchecked()
)

// ConventionBasisRef is the article a refusal of the Convention as legal
// basis cites.
var ConventionBasisRef = refBasisConvention

// validate checks that the basis of a request of kind k is named and
// complete. Extradition cites art. 37(5), where the Convention may serve
// a State that extradites only under a treaty.
func (b *LegalBasis) validate(k convention.Kind) convention.Problems {
	required := convention.Art(35)
	if k == convention.Extradition {
		required = convention.ExtraditionLegalBasis
	}
	next := fmt.Sprintf("name the legal basis: %q (in force for both States on the day of sending), %q with the treaty's name, or %q", BasisConvention, BasisTreaty, BasisReciprocity)
	switch {
	case b == nil || b.Type == "":
		return convention.Problems{{Field: "legal_basis", Ref: required, Message: "required: " + next}}
	case b.Type == BasisConvention || b.Type == BasisReciprocity:
		if b.Treaty != "" {
			return convention.Problems{{Field: "legal_basis.treaty", Ref: refBasisTreaty, Message: fmt.Sprintf("a treaty is named only when the type is %q", BasisTreaty)}}
		}
	case b.Type == BasisTreaty:
		if strings.TrimSpace(b.Treaty) == "" {
			return convention.Problems{{Field: "legal_basis.treaty", Ref: refBasisTreaty, Message: "required when the legal basis is another treaty: its name, e.g. \"Treaty on mutual legal assistance in criminal matters between France and Viet Nam\""}}
		}
		if p, bad := convention.CheckText("legal_basis.treaty", refBasisTreaty, b.Treaty, 500); bad {
			return convention.Problems{p}
		}
		if convention.NamesThisConvention(b.Treaty) {
			// Otherwise a request could rest on the Convention while it
			// binds neither State, under another name.
			return convention.Problems{{Field: "legal_basis.treaty", Ref: refBasisConvention, Message: fmt.Sprintf(
				"%q is this Convention, not another treaty: give the legal basis as type %q (the CLI's --legal-basis convention), which is allowed only where the Convention is in force for both States on the day of sending; otherwise name another treaty binding both, or rest the request on %q", b.Treaty, BasisConvention, BasisReciprocity)}}
		}
	default:
		return convention.Problems{{Field: "legal_basis.type", Ref: required, Message: fmt.Sprintf("%q is not a legal basis: %s", b.Type, next)}}
	}
	return nil
}

// UnknownStateMessage says that code names no State or organisation that
// may be party to the Convention, suggests the codes meant where it can,
// and says where every code is listed.
func UnknownStateMessage(code string) string {
	msg := fmt.Sprintf("%q is not a State or organisation that may be party to the Convention; give its ISO 3166-1 alpha-3 code", code)
	if sug := directory.SuggestParticipants(code, 5); len(sug) > 0 {
		names := make([]string, len(sug))
		for i, p := range sug {
			names[i] = fmt.Sprintf("%s (%s)", p.Code, p.Name())
		}
		msg += ": did you mean " + strings.Join(names, ", ") + "?"
	} else {
		msg += " (FRA for France, VNM for Viet Nam, ZAF for South Africa), or EUU for the European Union."
	}
	return msg + " entraide states lists every code, and entraide states NAME finds one"
}
