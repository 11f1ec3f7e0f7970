package alerting

import (
	"cmp"
	"slices"
	"time"

	"entraide/internal/identity"
)

// Tier is whom a step of an escalation tells.
type Tier string

// The tiers of an escalation, in the order they are told.
const (
	// OnCall is one official of the 24/7 roster on duty, in the order of
	// their positions: each step tells the next.
	OnCall Tier = "on_call"
	// PointOfContact is the 24/7 e-mail the State notified (art. 41(1)),
	// told when no official of the roster is on duty.
	PointOfContact Tier = "point_of_contact"
	// Administrators are the node's administrators, told at once of the
	// node's own failures.
	Administrators Tier = "administrators"
	// CentralAuthority is the State's central authority (art. 40(13)),
	// told last: the point of contact coordinates with it (art. 41(4)).
	CentralAuthority Tier = "central_authority"
)

// Target is one address a step sends an alert to.
type Target struct {
	// User is the official reached, or "" for an address of the State's
	// profile.
	User string
	// Entry is the roster entry used, or "" for an e-mail address from a
	// profile or an official's record.
	Entry   string
	Channel Channel
	Address string
}

// Step is one step of an escalation: whom it told, and when.
type Step struct {
	Level int       `json:"level"`
	To    Tier      `json:"to"`
	Users []string  `json:"users,omitempty"`
	At    time.Time `json:"at"`
	// Targets are the addresses told; kept with the notifications, never
	// shown with the alert.
	Targets []Target `json:"-"`
}

// Person is an official the roster may lack, as escalation sees them.
type Person struct {
	ID    string
	Email string
}

// Contacts is what an escalation chooses from, for one State.
type Contacts struct {
	State string
	// Roster is the node's roster; entries of other States' officials
	// are ignored, but for administrators, who serve the whole node.
	Roster []Entry
	// Administrators are the node's administrators, told by e-mail when
	// they have no roster entry on duty.
	Administrators []Person
	// PointOfContact and CentralAuthority are the e-mail addresses of the
	// State's profile; either may be empty.
	PointOfContact   string
	CentralAuthority string
}

// Next returns the next step of the escalation of an alert for reason
// after the steps taken, at time at, and false when no step is left. A
// step that would reach no one is skipped.
//
// For a request, each official of the 24/7 roster on duty is told in turn,
// lowest position first, skipping those told before; the State's 24/7
// e-mail stands in for a roster with nobody on duty; the central authority
// comes last. For an expired delivery, every administrator is told at
// once, then the central authority.
func Next(reason Reason, taken []Step, c Contacts, at time.Time) (Step, bool) {
	told := map[string]bool{}
	tiers := map[Tier]bool{}
	for _, s := range taken {
		tiers[s.To] = true
		for _, u := range s.Users {
			told[u] = true
		}
	}
	step := func(to Tier, targets []Target) (Step, bool) {
		s := Step{Level: len(taken) + 1, To: to, At: at, Targets: targets}
		for _, t := range targets {
			if t.User != "" && !slices.Contains(s.Users, t.User) {
				s.Users = append(s.Users, t.User)
			}
		}
		return s, len(targets) > 0
	}
	if tiers[CentralAuthority] {
		return Step{}, false
	}
	onDuty := func(role identity.Role, anyState bool) []Entry {
		var out []Entry
		for _, e := range c.Roster {
			if e.Role == role && (anyState || e.State == c.State) && e.OnDuty(at) {
				out = append(out, e)
			}
		}
		return out
	}
	if reason == ReasonDeliveryExpired || reason == ReasonLogFork {
		if !tiers[Administrators] {
			var targets []Target
			covered := map[string]bool{}
			for _, e := range onDuty(identity.Administrator, true) {
				targets = append(targets, target(e))
				covered[e.User] = true
			}
			for _, p := range c.Administrators {
				if !covered[p.ID] && ValidEmail(p.Email) {
					targets = append(targets, Target{User: p.ID, Channel: Email, Address: p.Email})
				}
			}
			if s, ok := step(Administrators, targets); ok {
				return s, true
			}
		}
	} else {
		entries := onDuty(identity.TwentyFourSeven, false)
		// The officials on duty, by their lowest position, then id.
		first := map[string]int{}
		for _, e := range entries {
			if p, ok := first[e.User]; !ok || e.Position < p {
				first[e.User] = e.Position
			}
		}
		people := make([]string, 0, len(first))
		for u := range first {
			people = append(people, u)
		}
		slices.SortFunc(people, func(a, b string) int { return cmp.Or(cmp.Compare(first[a], first[b]), cmp.Compare(a, b)) })
		for _, u := range people {
			if told[u] {
				continue
			}
			var targets []Target
			for _, e := range entries {
				if e.User == u {
					targets = append(targets, target(e))
				}
			}
			return step(OnCall, targets)
		}
		if len(people) == 0 && !tiers[OnCall] && !tiers[PointOfContact] && ValidEmail(c.PointOfContact) {
			return step(PointOfContact, []Target{{Channel: Email, Address: c.PointOfContact}})
		}
	}
	var targets []Target
	if ValidEmail(c.CentralAuthority) {
		targets = append(targets, Target{Channel: Email, Address: c.CentralAuthority})
	}
	for _, e := range onDuty(identity.CentralAuthority, false) {
		targets = append(targets, target(e))
	}
	return step(CentralAuthority, targets)
}

func target(e Entry) Target {
	return Target{User: e.User, Entry: e.ID, Channel: e.Channel, Address: e.Address}
}

// Final reports whether no step can follow s: the central authority is
// the last to be told.
func Final(s Step) bool { return s.To == CentralAuthority }
