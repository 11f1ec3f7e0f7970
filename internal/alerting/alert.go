// Package alerting decides what the 24/7 network (art. 41) alerts, whom,
// when and how: the requests that alert the point of contact at once, the
// on-call roster, the time an alert may wait for an acknowledgement before
// it escalates, the order of escalation up to the central authority, the
// signature of webhooks, and the measure of time to acknowledge. It does
// no I/O: the node stores alerts and sends what this package decides.
package alerting

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"entraide/internal/convention"
)

// Reason is why an alert was raised.
type Reason string

// The reasons for an alert.
const (
	// ReasonPreservation: an incoming request for expedited preservation
	// of stored data (arts. 41(3)(b), 42).
	ReasonPreservation Reason = "preservation"
	// ReasonEmergencyDisclosure: an incoming request to provide data to
	// avert an emergency (art. 41(3)(e)).
	ReasonEmergencyDisclosure Reason = "emergency_disclosure"
	// ReasonNetworkAssistance: an incoming request for the 24/7 network's
	// immediate assistance: technical advice, legal information, locating
	// suspects (art. 41(3)(a), (c), (d)).
	ReasonNetworkAssistance Reason = "network_assistance"
	// ReasonUrgent: any other incoming request its sender marked urgent.
	ReasonUrgent Reason = "urgent"
	// ReasonDeliveryExpired: the node gave up delivering a message to a
	// peer; its administrators must act.
	ReasonDeliveryExpired Reason = "delivery_expired"
	// ReasonInfoRequested: the requested State asks the requesting State
	// for more information (art. 40(16)).
	ReasonInfoRequested Reason = "info_requested"
	// ReasonConsultation: the requested State consults the requesting
	// State, perhaps proposing conditions, before refusing or postponing
	// (art. 40(27)).
	ReasonConsultation Reason = "consultation"
	// ReasonConditionsAnswered: the requesting State accepted or declined
	// the conditions proposed in consultation (art. 40(27)).
	ReasonConditionsAnswered Reason = "conditions_answered"
	// ReasonExecuted: the requested State executed the request, in full
	// or in part (art. 40(25)).
	ReasonExecuted Reason = "executed"
	// ReasonRefused: the requested State refused the request (art. 40(24)).
	ReasonRefused Reason = "refused"
	// ReasonPostponed: the requested State postponed the request
	// (art. 40(26)).
	ReasonPostponed Reason = "postponed"
	// ReasonInfoProvided: the requesting State answered the requested
	// State's request for more information (art. 40(16)).
	ReasonInfoProvided Reason = "info_provided"
	// ReasonExtensionAsked: the requesting State asks the requested State
	// to keep the preserved data longer, which only the requested State
	// grants (art. 42).
	ReasonExtensionAsked Reason = "extension_asked"
	// ReasonTrafficDisclosed: executing a preservation, the requested
	// State disclosed traffic data that name another State's provider,
	// which the requesting State needs to go on (art. 43).
	ReasonTrafficDisclosed Reason = "traffic_disclosed"
	// ReasonEvidenceMismatch: an item of evidence sent between the two
	// States of a request arrived with another size or SHA-256 than the
	// sender announced, and was refused; both States are alerted.
	ReasonEvidenceMismatch Reason = "evidence_mismatch"
)

// ReasonLogFork: a node's audit log and what a witness saw of it
// differ (a fork, a rewritten history, a shrunk tree): the witness refused
// the checkpoint, and both nodes' administrators are told, as a log that
// forks can no longer prove what it holds.
const ReasonLogFork Reason = "log_fork"

// Reasons lists every reason.
var Reasons = []Reason{ReasonPreservation, ReasonEmergencyDisclosure, ReasonNetworkAssistance, ReasonUrgent, ReasonDeliveryExpired,
	ReasonInfoRequested, ReasonConsultation, ReasonConditionsAnswered, ReasonExecuted, ReasonRefused,
	ReasonPostponed, ReasonInfoProvided, ReasonExtensionAsked, ReasonTrafficDisclosed, ReasonEvidenceMismatch, ReasonLogFork}

// ForAdministrators reports whether alerts of reason r are about the node
// itself rather than a case, so that its administrators, who do not read
// cases, read and acknowledge them.
func (r Reason) ForAdministrators() bool {
	return r == ReasonDeliveryExpired || r == ReasonLogFork
}

// Answer reports whether the other State's action on a request, named as
// the request's timeline names it, alerts this State's officials, and
// why: each is a step that waits on this State, or an outcome it must
// know of at once.
func Answer(action string) (Reason, bool) {
	switch action {
	case "request_info":
		return ReasonInfoRequested, true
	case "consult":
		return ReasonConsultation, true
	case "accept_conditions", "decline_conditions":
		return ReasonConditionsAnswered, true
	case "execute", "execute_partially":
		return ReasonExecuted, true
	case "refuse":
		return ReasonRefused, true
	case "postpone":
		return ReasonPostponed, true
	case "provide_info":
		return ReasonInfoProvided, true
	case "ask_extension":
		return ReasonExtensionAsked, true
	case "disclose_traffic":
		return ReasonTrafficDisclosed, true
	}
	return "", false
}

// Trigger reports whether an incoming request of kind, urgent or not,
// alerts the requested State's 24/7 point of contact at once, and why.
// The kind decides before the urgency: an urgent preservation is a
// preservation.
func Trigger(kind convention.Kind, urgent bool) (Reason, bool) {
	switch {
	case kind == convention.Preservation:
		return ReasonPreservation, true
	case kind == convention.EmergencyDisclosure:
		return ReasonEmergencyDisclosure, true
	case kind == convention.TechnicalAdvice, kind == convention.LegalInformation, kind == convention.LocatingSuspects:
		return ReasonNetworkAssistance, true
	case urgent:
		return ReasonUrgent, true
	}
	return "", false
}

// Default times an alert may wait for an acknowledgement at each step
// before it escalates to the next.
const (
	DefaultSLA          = time.Hour
	DefaultEmergencySLA = 15 * time.Minute
)

// SLA gives, by reason, how long an alert may wait for an acknowledgement
// at each step of its escalation. A reason it does not name has the
// default: DefaultEmergencySLA for an emergency disclosure, DefaultSLA
// otherwise.
type SLA map[Reason]time.Duration

// For returns the time an alert for r may wait at each step.
func (s SLA) For(r Reason) time.Duration {
	if d, ok := s[r]; ok && d > 0 {
		return d
	}
	if r == ReasonEmergencyDisclosure {
		return DefaultEmergencySLA
	}
	return DefaultSLA
}

// ParseSLA reads SLAs written as "preservation=30m,emergency_disclosure=10m".
// It rejects an unknown reason, a reason given twice, and a duration that
// is not between one second and a week.
func ParseSLA(s string) (SLA, error) {
	out := SLA{}
	if strings.TrimSpace(s) == "" {
		return out, nil
	}
	for _, part := range strings.Split(s, ",") {
		name, value, ok := strings.Cut(strings.TrimSpace(part), "=")
		r := Reason(strings.TrimSpace(name))
		if !ok || !slices.Contains(Reasons, r) {
			return nil, fmt.Errorf("SLA %q: write REASON=DURATION, REASON one of %s", part, reasonList())
		}
		if _, dup := out[r]; dup {
			return nil, fmt.Errorf("SLA of %s given twice", r)
		}
		d, err := time.ParseDuration(strings.TrimSpace(value))
		if err != nil || d < time.Second || d > 7*24*time.Hour {
			return nil, fmt.Errorf("SLA of %s: %q is not a duration from 1s to 168h, such as 15m", r, value)
		}
		out[r] = d
	}
	return out, nil
}

func reasonList() string {
	names := make([]string, len(Reasons))
	for i, r := range Reasons {
		names[i] = string(r)
	}
	return strings.Join(names, ", ")
}

// Alert is an alert of a State's 24/7 network: raised once, told to one
// step of the escalation after another until an official acknowledges it.
type Alert struct {
	ID string `json:"id"`
	// State is the State whose officials are alerted and may see and
	// acknowledge the alert.
	State  string `json:"state"`
	Reason Reason `json:"reason"`
	// RequestID is the request that raised the alert, or that the expired
	// message was about; Kind and From describe it.
	RequestID string          `json:"request_id,omitempty"`
	Kind      convention.Kind `json:"kind,omitempty"`
	// From is the requesting State of an incoming request, or the peer a
	// message could not be delivered to.
	From    string `json:"from,omitempty"`
	Summary string `json:"summary"`
	// Detail says more, for an alert not about an incoming request: why a
	// message could not be delivered.
	Detail    string    `json:"detail,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	// Level is how many steps of the escalation have been told.
	Level int    `json:"level"`
	Steps []Step `json:"steps"`
	// EscalatesAt is when the next step is due unless the alert is
	// acknowledged before; zero when none is.
	EscalatesAt time.Time `json:"escalates_at,omitzero"`
	AckedAt     time.Time `json:"acked_at,omitzero"`
	AckedBy     string    `json:"acked_by,omitempty"`
	// TimeToAckMS is AckedAt - CreatedAt in milliseconds, once acknowledged
	// by an official of State; nil for an alert its request resolved
	// through the other State.
	TimeToAckMS *int64 `json:"time_to_ack_ms,omitempty"`
	// Resolution says what on its request ended the alert, when an action
	// on the request did rather than an acknowledgement of the alert.
	Resolution string `json:"resolution,omitempty"`
}

// Acked reports whether the alert was acknowledged.
func (a *Alert) Acked() bool { return !a.AckedAt.IsZero() }

// ErrAcked is returned for an alert acknowledged before.
var ErrAcked = errors.New("alert already acknowledged")

// Ack records that official by acknowledged a at t, which ends its
// escalation and measures its time to acknowledge. It fails with ErrAcked
// if a was acknowledged before, and changes nothing then.
func (a *Alert) Ack(by string, t time.Time) error {
	if a.Acked() {
		return ErrAcked
	}
	ms := max(t.Sub(a.CreatedAt), 0).Milliseconds()
	a.AckedAt, a.AckedBy, a.TimeToAckMS, a.EscalatesAt = t, by, &ms, time.Time{}
	return nil
}

// Resolve records that an action on a's request ended a at t, which
// stops its escalation as an acknowledgement would: nobody is to be
// alerted about a request that was acted on or ended. by is the official
// who acted; own says whether they are an official of a's State, whose
// action measures the time to acknowledge. It fails with ErrAcked if a
// was acknowledged or resolved before, and changes nothing then.
func (a *Alert) Resolve(by string, own bool, why string, t time.Time) error {
	if a.Acked() {
		return ErrAcked
	}
	a.AckedAt, a.AckedBy, a.EscalatesAt, a.Resolution = t, by, time.Time{}, why
	if own {
		ms := max(t.Sub(a.CreatedAt), 0).Milliseconds()
		a.TimeToAckMS = &ms
	}
	return nil
}

// Describe returns the one-line summary of an alert about a request of
// kind from State from.
func Describe(r Reason, kind convention.Kind, from string) string {
	title := string(kind)
	if spec, ok := convention.Lookup(kind); ok {
		title = spec.Title
	}
	switch r {
	case ReasonDeliveryExpired:
		return "A message to " + from + "'s node could not be delivered"
	case ReasonLogFork:
		return "The audit log of " + from + "'s node and what its witness saw of it differ: a fork"
	case ReasonUrgent:
		return "Urgent request from " + from + ": " + title
	case ReasonInfoRequested:
		return from + " asks for more information on your request: " + title
	case ReasonConsultation:
		return from + " consults you before refusing or postponing your request: " + title
	case ReasonConditionsAnswered:
		return from + " answered the conditions you proposed: " + title
	case ReasonExecuted:
		return from + " executed your request: " + title
	case ReasonRefused:
		return from + " refused your request: " + title
	case ReasonPostponed:
		return from + " postponed your request: " + title
	case ReasonInfoProvided:
		return from + " sent the information you asked for: " + title
	case ReasonExtensionAsked:
		return from + " asks you to keep the preserved data longer: " + title
	case ReasonTrafficDisclosed:
		return from + " disclosed traffic data on your preservation: " + title
	case ReasonEvidenceMismatch:
		return "Evidence between " + from + " and your State did not arrive as sent, and was refused: " + title
	}
	return "Incoming request from " + from + ": " + title
}

// EventType says what happened to an alert.
type EventType string

// The events of an alert's life.
const (
	Raised       EventType = "raised"       // the alert exists; nobody is told yet
	Notified     EventType = "notified"     // the first step was told
	Escalated    EventType = "escalated"    // a later step was told
	Acknowledged EventType = "acknowledged" // an official acknowledged it
	Unanswered   EventType = "unanswered"   // no step is left to tell, or none could be told
	Resolved     EventType = "resolved"     // an action on its request ended it
)

// Event is one thing that happened to an alert, as the live feed shows
// it: the alert as it was just after.
type Event struct {
	// Seq orders the events of a node in the order of their commit; the
	// store gives it.
	Seq   int64     `json:"seq"`
	Type  EventType `json:"type"`
	At    time.Time `json:"at"`
	Alert Alert     `json:"alert"`
}

// Stats summarises times to acknowledge.
type Stats struct {
	Count int   `json:"count"`
	P50MS int64 `json:"p50_ms"`
	P99MS int64 `json:"p99_ms"`
	MaxMS int64 `json:"max_ms"`
}

// Summarize returns the count, median, 99th percentile and maximum of
// times to acknowledge in milliseconds. Percentiles are by nearest rank:
// each is a time that was measured. ms may be in any order; it is not
// changed.
func Summarize(ms []int64) Stats {
	if len(ms) == 0 {
		return Stats{}
	}
	s := slices.Sorted(slices.Values(ms))
	rank := func(p int) int64 {
		// The smallest value at or above p percent of the measures.
		i := (p*len(s) + 99) / 100
		return s[max(i, 1)-1]
	}
	return Stats{Count: len(s), P50MS: rank(50), P99MS: rank(99), MaxMS: s[len(s)-1]}
}
