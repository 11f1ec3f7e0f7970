package evidence

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"entraide/internal/convention"
)

// The custody actions of consent to a use the giving State's conditions
// bar (art. 40(19), art. 36(3)): recorded on each item concerned, in the
// log of both States.
const (
	ActionConditions     = "evidence.conditions"      // conditions bind the item: set by the giving State, or recorded on arrival
	ActionConsentAsked   = "evidence.consent_asked"   // the receiving State asked the giving State's consent to a use
	ActionConsentGranted = "evidence.consent_granted" // the giving State consented
	ActionConsentRefused = "evidence.consent_refused" // the giving State refused its consent
	ActionUseRefused     = "evidence.use_refused"     // a use the conditions bar was refused, without consent
)

// MaxConsentItems bounds the items of one consent request; MaxConsentText
// the length of its reasons.
const (
	MaxConsentItems = 100
	MaxConsentText  = 4000
)

// ConsentAsk asks the giving State's consent to Use of its items of
// request Request: Items are their ids on the giving State's node.
type ConsentAsk struct {
	ID      string         `json:"id"`
	Request string         `json:"request"`
	Items   []string       `json:"items"`
	Use     convention.Use `json:"use"`
	Reasons string         `json:"reasons"`
}

// ConsentAnswer is the giving State's answer to consent request ID:
// granted or refused, with its reasons and, if granted, the further
// conditions the use is under.
type ConsentAnswer struct {
	ID         string                `json:"id"`
	Request    string                `json:"request"`
	Granted    bool                  `json:"granted"`
	Reasons    string                `json:"reasons,omitempty"`
	Conditions convention.Conditions `json:"conditions,omitempty"`
}

var statePattern = regexp.MustCompile(`^[A-Z]{3}$`)

func checkText(field, s string) error {
	if !utf8.ValidString(s) || utf8.RuneCountInString(s) > MaxConsentText {
		return fmt.Errorf("%s: want UTF-8 text of at most %d characters", field, MaxConsentText)
	}
	return nil
}

// ParseConsentAsk reads a consent request strictly: ids in their form,
// 1 to MaxConsentItems items, and exactly one use: a third State's ISO
// code, or other proceedings.
func ParseConsentAsk(data []byte) (ConsentAsk, error) {
	var a ConsentAsk
	if err := decodeStrict(data, &a); err != nil {
		return a, fmt.Errorf("not a consent request: %w", err)
	}
	if err := checkIDs(a.Request, a.ID); err != nil {
		return a, err
	}
	if len(a.Items) == 0 || len(a.Items) > MaxConsentItems {
		return a, fmt.Errorf("items: want 1 to %d", MaxConsentItems)
	}
	for _, it := range a.Items {
		if !idPattern.MatchString(it) {
			return a, fmt.Errorf("items: want lower-case UUIDs")
		}
	}
	switch {
	case a.Use.ToState != "" && !statePattern.MatchString(a.Use.ToState):
		return a, fmt.Errorf("use.to_state: want an ISO 3166 alpha-3 code")
	case (a.Use.ToState == "") == (strings.TrimSpace(a.Use.Proceedings) == ""):
		return a, fmt.Errorf("use: want a third State or other proceedings, not both")
	}
	if err := checkText("use.proceedings", a.Use.Proceedings); err != nil {
		return a, err
	}
	return a, checkText("reasons", a.Reasons)
}

// ParseConsentAnswer reads an answer to a consent request strictly.
func ParseConsentAnswer(data []byte) (ConsentAnswer, error) {
	var a ConsentAnswer
	if err := decodeStrict(data, &a); err != nil {
		return a, fmt.Errorf("not a consent answer: %w", err)
	}
	if err := checkIDs(a.Request, a.ID); err != nil {
		return a, err
	}
	if err := checkText("reasons", a.Reasons); err != nil {
		return a, err
	}
	if !a.Granted && len(a.Conditions) > 0 {
		return a, fmt.Errorf("conditions: a refusal sets none")
	}
	return a, a.Conditions.Validate("conditions").Err()
}

// ConsentStatus is where a consent request stands.
type ConsentStatus string

// The statuses of a consent request.
const (
	ConsentAsked   ConsentStatus = "asked"
	ConsentGranted ConsentStatus = "granted"
	ConsentRefused ConsentStatus = "refused"
)

// Consent is one State's view of a consent request: the receiving State
// (AskingState) asks the giving State (GivingState) to allow Use of
// items it gave in answer to request RequestID. Items are the ids in the
// asking State's view, OriginItems those in the giving State's.
type Consent struct {
	ID          string                `json:"id"`
	State       string                `json:"state"` // whose view this is
	RequestID   string                `json:"request_id"`
	AskingState string                `json:"asking_state"`
	GivingState string                `json:"giving_state"`
	Items       []string              `json:"items"`
	OriginItems []string              `json:"origin_items"`
	Use         convention.Use        `json:"use"`
	Reasons     string                `json:"reasons"`
	Status      ConsentStatus         `json:"status"`
	AskedBy     string                `json:"asked_by"`
	AskedAt     time.Time             `json:"asked_at"`
	AnsweredBy  string                `json:"answered_by,omitempty"`
	AnsweredAt  *time.Time            `json:"answered_at,omitempty"`
	Answer      string                `json:"answer,omitempty"`
	Conditions  convention.Conditions `json:"conditions,omitempty"`
	// Redacted names what the reader's role does not see of it (art. 36):
	// the reasons, the answer and the words of the conditions, which
	// speak of persons.
	Redacted []string `json:"redacted,omitempty"`
}

// Allows reports whether c, granted, lets item (an id of the asking
// State's view) be put to use u: exactly the use consented to, no other.
func (c Consent) Allows(item string, u convention.Use) bool {
	if c.Status != ConsentGranted || !slices.Contains(c.Items, item) {
		return false
	}
	return c.Use.ToState == u.ToState && strings.EqualFold(strings.TrimSpace(c.Use.Proceedings), strings.TrimSpace(u.Proceedings))
}
