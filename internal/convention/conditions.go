package convention

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
)

// ConditionKind is a kind of condition a requested State sets on what it
// gives: the answer to a request, or an item of evidence.
type ConditionKind string

// The kinds of condition.
const (
	// UseLimited: what is given serves only the proceedings named in the
	// request; other proceedings need the giving State's prior consent
	// (art. 40(19)).
	UseLimited ConditionKind = "use_limited"
	// Confidential: what is given is kept confidential; its contents
	// leave the receiving State's node only for the request's own
	// proceedings, unless the giving State consents. Art. 40(20) gives
	// the requesting State the right to ask confidentiality of the
	// requested State; the requested State's own condition of
	// confidentiality rests on the conditions it may set (art. 40(27),
	// art. 36). The citation is the one the Convention's summary in
	// CONVENTION.md gives; check it against the authentic text.
	Confidential ConditionKind = "confidential"
	// NoOnwardTransfer: not passed to a third State or an international
	// organisation without the giving State's prior consent (art. 36).
	NoOnwardTransfer ConditionKind = "no_onward_transfer"
	// RetainUntil: kept no later than a date (art. 36).
	RetainUntil ConditionKind = "retain_until"
	// PersonalDataCondition: conditions on the personal data given, in the giving
	// State's words (art. 36). Personal data are never passed to a third
	// State without its prior authorisation.
	PersonalDataCondition ConditionKind = "personal_data"
	// Consulted: conditions agreed in consultation before a refusal or
	// postponement, which bind once accepted (art. 40(27)).
	Consulted ConditionKind = "consultation"
)

// The provisions conditions rest on. Art. 36's paragraphs are those of
// the negotiated text as remembered (A/AC.291/L.15): para 1(b), the
// transferring State may set conditions to comply with its data
// protection law; para 2, effective and appropriate safeguards at the
// receiver; para 3, onward transfer to a third country or an
// international organisation only with the original transferring State's
// prior authorisation, possibly in writing. None could be read in the
// authentic text here, so each is marked unchecked.
var (
	useLimitRef       = Art(40).Para(19)
	confidentialRef   = Art(40).Para(20)
	onwardTransferRef = Art(36).Para(3).Unchecked()
	retentionRef      = Art(36).Para(2).Unchecked()
	personalDataRef   = Art(36).Para(1).Sub("b").Unchecked()
	consultedRef      = Art(40).Para(27)
)

// ConditionKinds lists the kinds of condition, in the order forms show them.
func ConditionKinds() []ConditionKind {
	return []ConditionKind{UseLimited, Confidential, NoOnwardTransfer, RetainUntil, PersonalDataCondition, Consulted}
}

// Ref is the provision a condition of kind k rests on; the zero Ref for
// a kind that is not one.
func (k ConditionKind) Ref() Ref {
	switch k {
	case UseLimited:
		return useLimitRef
	case Confidential:
		return confidentialRef
	case NoOnwardTransfer:
		return onwardTransferRef
	case RetainUntil:
		return retentionRef
	case PersonalDataCondition:
		return personalDataRef
	case Consulted:
		return consultedRef
	}
	return Ref{}
}

// Words names k in a phrase an official reads: "no onward transfer to a
// third State without consent".
func (k ConditionKind) Words() string {
	switch k {
	case UseLimited:
		return "use limited to the proceedings named in the request"
	case Confidential:
		return "confidentiality"
	case NoOnwardTransfer:
		return "no onward transfer to a third State or organisation without prior consent"
	case RetainUntil:
		return "kept no later than a date"
	case PersonalDataCondition:
		return "conditions on personal data"
	case Consulted:
		return "conditions agreed in consultation"
	}
	return string(k)
}

// Condition is one condition the giving State sets. Until is the last day
// of a retention limit (YYYY-MM-DD); Text the words of a personal-data
// or consultation condition, or a note on any other.
type Condition struct {
	Kind  ConditionKind `json:"kind"`
	Until string        `json:"until,omitempty"`
	Text  string        `json:"text,omitempty"`
}

// Conditions are the conditions that bind one thing given.
type Conditions []Condition

// MaxConditions bounds how many conditions one answer, item or consent
// carries; MaxConditionText the length of a condition's text.
const (
	MaxConditions    = 20
	MaxConditionText = 2000
)

// Cite renders c for an official: its words, its date or text, and its
// article.
func (c Condition) Cite() string {
	s := c.Kind.Words()
	switch {
	case c.Until != "":
		s += " (" + c.Until + ")"
	case c.Text != "":
		s += ": " + c.Text
	}
	return s + " (" + c.Kind.Ref().Cite() + ")"
}

// UntilTime is the end of a retention limit: the start of the day after
// Until, UTC. ok is false when c has no valid date.
func (c Condition) UntilTime() (time.Time, bool) {
	t, err := time.Parse(time.DateOnly, c.Until)
	if err != nil {
		return time.Time{}, false
	}
	return t.AddDate(0, 0, 1), true
}

// Validate checks cs under field (such as "conditions"): known kinds,
// a date for a retention limit and only for it, a text for personal-data
// and consultation conditions, text within bounds. Each problem names
// the condition's field and its article.
func (cs Conditions) Validate(field string) Problems {
	var ps Problems
	if len(cs) > MaxConditions {
		return Problems{{Field: field, Ref: useLimitRef, Message: fmt.Sprintf("%d conditions: at most %d", len(cs), MaxConditions)}}
	}
	for i, c := range cs {
		f := fmt.Sprintf("%s[%d]", field, i)
		ref := c.Kind.Ref()
		if ref.Article == 0 {
			ps = append(ps, Problem{Field: f + ".kind", Ref: useLimitRef, Message: fmt.Sprintf("unknown kind %q; one of %s", c.Kind, kindList())})
			continue
		}
		if p, bad := CheckText(f+".text", ref, c.Text, MaxConditionText); bad {
			ps = append(ps, p)
		}
		switch c.Kind {
		case RetainUntil:
			if _, err := time.Parse(time.DateOnly, c.Until); err != nil {
				ps = append(ps, Problem{Field: f + ".until", Ref: ref, Message: "give the last day the data may be kept, YYYY-MM-DD"})
			}
		case PersonalDataCondition, Consulted:
			if strings.TrimSpace(c.Text) == "" {
				ps = append(ps, Problem{Field: f + ".text", Ref: ref, Message: "say what the condition is"})
			}
		}
		if c.Kind != RetainUntil && c.Until != "" {
			ps = append(ps, Problem{Field: f + ".until", Ref: ref, Message: "only a retention limit has a date"})
		}
		for _, d := range cs[:i] {
			if d == c {
				ps = append(ps, Problem{Field: f, Ref: ref, Message: "given twice"})
				break
			}
		}
	}
	return ps
}

func kindList() string {
	names := make([]string, 0, len(ConditionKinds()))
	for _, k := range ConditionKinds() {
		names = append(names, string(k))
	}
	return strings.Join(names, ", ")
}

// ParseConditions reads conditions in their outside form, a JSON array,
// strictly: known fields only, nothing after the array, and conditions
// that Validate accepts. It is how a peer's conditions are read.
func ParseConditions(data []byte) (Conditions, error) {
	var cs Conditions
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&cs); err != nil {
		return nil, fmt.Errorf("conditions: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("conditions: data after the array")
	}
	if err := cs.Validate("conditions").Err(); err != nil {
		return nil, err
	}
	return cs, nil
}

// Merge returns cs with those of more it does not hold yet, in order.
func (cs Conditions) Merge(more Conditions) Conditions {
	out := slices.Clone(cs)
	for _, c := range more {
		if !slices.Contains(out, c) {
			out = append(out, c)
		}
	}
	return out
}

// Kinds lists the kinds of cs, each once.
func (cs Conditions) Kinds() []ConditionKind {
	var out []ConditionKind
	for _, c := range cs {
		if !slices.Contains(out, c.Kind) {
			out = append(out, c.Kind)
		}
	}
	return out
}

// RetainUntilTime is the earliest end of cs's retention limits, if any.
func (cs Conditions) RetainUntilTime() (time.Time, bool) {
	var end time.Time
	for _, c := range cs {
		if t, ok := c.UntilTime(); ok && c.Kind == RetainUntil && (end.IsZero() || t.Before(end)) {
			end = t
		}
	}
	return end, !end.IsZero()
}

// Use is what the receiving State would do with what it was given:
// give it to ToState, or use it in Proceedings. A third State is one
// that is neither of the request's two; Proceedings are other than the
// request's own when not empty.
type Use struct {
	ToState     string `json:"to_state,omitempty"`
	Proceedings string `json:"proceedings,omitempty"`
}

// ThirdState reports whether u gives to a State other than the request's
// requesting and requested States.
func (u Use) ThirdState(requesting, requested string) bool {
	return u.ToState != "" && u.ToState != requesting && u.ToState != requested
}

// Forbids returns the first condition of cs that forbids u without the
// giving State's prior consent, for a request between requesting and
// requested; ok is false when none does. A transfer to a third State is
// forbidden by a bar on onward transfer, by confidentiality, by a use
// limitation (the third State would use it in its own proceedings), and
// by conditions on personal data (art. 36(3)). A use in other
// proceedings is forbidden by a use limitation and by confidentiality.
// A retention limit and conditions of consultation forbid neither: the
// first is enforced by disposal, the second are applied as agreed.
func (cs Conditions) Forbids(u Use, requesting, requested string) (Condition, bool) {
	third := u.ThirdState(requesting, requested)
	other := strings.TrimSpace(u.Proceedings) != ""
	order := []ConditionKind{NoOnwardTransfer, PersonalDataCondition, UseLimited, Confidential}
	for _, k := range order {
		for _, c := range cs {
			if c.Kind != k {
				continue
			}
			switch k {
			case NoOnwardTransfer, PersonalDataCondition:
				if third {
					return c, true
				}
			case UseLimited, Confidential:
				if third || other {
					return c, true
				}
			}
		}
	}
	return Condition{}, false
}
