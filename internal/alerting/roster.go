package alerting

import (
	"fmt"
	"net/mail"
	"net/url"
	"strings"
	"time"

	"entraide/internal/convention"
	"entraide/internal/identity"
)

// Channel is how an official on the roster is reached.
type Channel string

// The channels of a roster entry. The live feed of the node's API reaches
// every official of the State and needs no entry.
const (
	Email   Channel = "email"   // e-mail over SMTP
	Webhook Channel = "webhook" // an HTTPS POST signed with the entry's secret
)

// Channels lists the channels of a roster entry.
var Channels = []Channel{Email, Webhook}

// Limits on a roster entry.
const (
	MinSecretLength = 16
	MaxSecretLength = 256
	MaxAddressBytes = 2000
)

// Entry is one line of a node's on-call roster: who is alerted, when, and
// how to reach them. An official may have several entries, one for each
// channel or shift.
type Entry struct {
	ID   string `json:"id"`
	User string `json:"user"`
	// State and Role are the official's, as the node knows them.
	State string        `json:"state"`
	Role  identity.Role `json:"role"`
	// Position orders the officials of a State's roster: escalation goes
	// from the lowest to the next. An official's entries share one.
	Position int     `json:"position"`
	Channel  Channel `json:"channel"`
	// Address is an e-mail address or a webhook's URL.
	Address string `json:"address"`
	// Secret keys a webhook's signature. It is never encoded, logged or
	// shown again once recorded.
	Secret string `json:"-"`
	// From and Until bound the entry's shift; zero is unbounded.
	From      time.Time `json:"from,omitzero"`
	Until     time.Time `json:"until,omitzero"`
	CreatedAt time.Time `json:"created_at"`
	// Unreadable says why a stored line could not be read, if it could
	// not: such a line alerts no one; remove it and add it again.
	Unreadable string `json:"unreadable,omitempty"`
}

// OnDuty reports whether the entry's shift covers t: From <= t < Until.
// An unreadable line is never on duty.
func (e Entry) OnDuty(t time.Time) bool {
	return e.Unreadable == "" && (e.From.IsZero() || !t.Before(e.From)) && (e.Until.IsZero() || t.Before(e.Until))
}

// MayBeOnRoster reports whether an official of role may be on the roster:
// the 24/7 point of contact, the central authority it escalates to, and
// the administrators told of the node's own failures. Investigators and
// auditors act on no alert.
func MayBeOnRoster(r identity.Role) bool {
	return r == identity.TwentyFourSeven || r == identity.CentralAuthority || r == identity.Administrator
}

var rosterRef = convention.Art(41).Para(1)

// Validate returns every problem with e's channel, address, secret, shift
// and position at once, each naming its field. Knowing the official is
// the node's business.
func (e Entry) Validate() convention.Problems {
	var ps convention.Problems
	add := func(field, format string, args ...any) {
		ps = append(ps, convention.Problem{Field: field, Ref: rosterRef, Message: fmt.Sprintf(format, args...)})
	}
	switch e.Channel {
	case Email:
		if !ValidEmail(e.Address) {
			add("address", "%q is not an e-mail address such as duty@example.org", clip(e.Address))
		}
		if e.Secret != "" {
			add("secret", "an e-mail entry has no secret; only webhooks are signed")
		}
	case Webhook:
		if err := CheckWebhookURL(e.Address); err != nil {
			add("address", "%v", err)
		}
		switch {
		case len(e.Secret) < MinSecretLength:
			add("secret", "required for a webhook: at least %d characters, shared with the receiver only", MinSecretLength)
		case len(e.Secret) > MaxSecretLength:
			add("secret", "at most %d characters", MaxSecretLength)
		case strings.ContainsFunc(e.Secret, func(r rune) bool { return r < '!' || r > '~' }):
			add("secret", "use printable ASCII without spaces")
		}
	default:
		add("channel", "%q: use %q or %q", clip(string(e.Channel)), Email, Webhook)
	}
	for _, t := range []struct {
		field string
		at    time.Time
	}{{"from", e.From}, {"until", e.Until}} {
		ps = append(ps, convention.NormalizeTime(t.field, rosterRef, &t.at)...)
	}
	if !e.From.IsZero() && !e.Until.IsZero() && !e.Until.After(e.From) {
		add("until", "the shift ends (%s) before it starts (%s)", e.Until.Format(time.RFC3339), e.From.Format(time.RFC3339))
	}
	if e.Position < 0 || e.Position > 1000 {
		add("position", "a position from 1 to 1000; 0 or none takes the official's, or the next free one")
	}
	return ps
}

// ValidEmail reports whether s is a bare e-mail address, with nothing
// that could break out of a mail header.
func ValidEmail(s string) bool {
	if len(s) > 254 || strings.ContainsAny(s, "\r\n<>,; ") {
		return false
	}
	a, err := mail.ParseAddress(s)
	return err == nil && a.Address == s && a.Name == ""
}

// CheckWebhookURL accepts an absolute https:// URL only: an alert must
// not travel in clear, even to a receiver on the node's own machine.
// Which hosts the node may reach is decided by the node, when the entry is
// made and again when it connects.
func CheckWebhookURL(s string) error {
	if len(s) > MaxAddressBytes {
		return fmt.Errorf("the URL is longer than %d bytes", MaxAddressBytes)
	}
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || u.User != nil || u.Fragment != "" || u.Opaque != "" {
		return fmt.Errorf("%q is not an absolute URL such as https://duty.example.org/hooks/entraide", clip(s))
	}
	if u.Scheme != "https" {
		return fmt.Errorf("%q: use an https:// URL; alerts never travel in clear", clip(s))
	}
	return nil
}

// clip shortens a value quoted back in a problem.
func clip(s string) string {
	if len(s) > 80 {
		return s[:80] + "..."
	}
	return s
}
