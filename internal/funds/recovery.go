package funds

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"entraide/internal/convention"
)

// AssetStatus is where an asset stands in its recovery.
type AssetStatus string

// The statuses of an asset. The main line runs from Traced to Returned;
// Released and Refused are its side exits, and end it as Returned does.
const (
	// AssetTraced: a trace found the funds there, or an official
	// recorded the property; nothing is asked yet.
	AssetTraced AssetStatus = "traced"
	// AssetFreezingRequested: a request to freeze or seize it was sent
	// to the State where it sits (arts. 49, 50(3)(c)).
	AssetFreezingRequested AssetStatus = "freezing_requested"
	// AssetFrozen: frozen or seized, by that State on request or by the
	// official's own State under its law (art. 31).
	AssetFrozen AssetStatus = "frozen"
	// AssetConfiscationRequested: a request to confiscate it, or to
	// enforce a confiscation order, was sent (art. 50(3)(a)-(b)).
	AssetConfiscationRequested AssetStatus = "confiscation_requested"
	// AssetConfiscated: confiscated (arts. 31, 49).
	AssetConfiscated AssetStatus = "confiscated"
	// AssetReturned: the confiscated property was returned to the
	// requesting State, its victims or its owners, less reasonable
	// expenses (art. 52).
	AssetReturned AssetStatus = "returned"
	// AssetReleased: the provisional measures were lifted, for evidence
	// that was insufficient or late or for a property of de minimis value
	// (art. 50(8)).
	AssetReleased AssetStatus = "released"
	// AssetRefused: the requested State refused to freeze or confiscate.
	AssetRefused AssetStatus = "refused"
)

// AssetStatuses lists the statuses in the order of the lifecycle.
func AssetStatuses() []AssetStatus {
	return []AssetStatus{AssetTraced, AssetFreezingRequested, AssetFrozen, AssetConfiscationRequested, AssetConfiscated, AssetReturned, AssetReleased, AssetRefused}
}

// Final reports whether s ends an asset's recovery.
func (s AssetStatus) Final() bool {
	return s == AssetReturned || s == AssetReleased || s == AssetRefused
}

// Next lists the steps that may follow s, in the order of the
// lifecycle: what a form offers an official, so that none is refused
// for being out of order.
func (s AssetStatus) Next() []AssetStatus {
	var out []AssetStatus
	for _, t := range AssetStatuses() {
		if contains(from[t], s) {
			out = append(out, t)
		}
	}
	return out
}

// The provisions each step of recovery rests on. Those of art. 50 and
// the paragraphs of art. 52 are cited as convention's kinds and grounds
// cite them, unverified until read against the authentic text.
var (
	RefFreezingRequest     = convention.Art(50).Para(3).Sub("c").Unchecked()
	RefFreezing            = convention.Art(31)
	RefConfiscationRequest = convention.Art(50).Para(3).Sub("a").Unchecked()
	RefConfiscation        = convention.Art(49)
	RefReturn              = convention.Art(52).Para(1)
	RefVictims             = convention.Art(52).Para(2).Unchecked()
	RefExpenses            = convention.Art(52).Para(3).Unchecked()
	RefLifting             = convention.Art(50).Para(8).Unchecked()
)

// Asset is traced funds, or other property, at one account or place in
// one State, followed from its trace to its return. Amounts are
// millionths of Currency, the asset's only currency: two currencies are
// two assets.
type Asset struct {
	ID     string `json:"id"`
	CaseID string `json:"case_id"`
	// State owns the case: the State whose investigation traced it.
	State string `json:"state"`
	// Jurisdiction is the State where the asset sits (ISO 3166-1
	// alpha-3); empty while unknown.
	Jurisdiction string `json:"jurisdiction"`
	// Account is the case's account holding it; 0 for property that is
	// no account (a car, a house).
	Account     AccountID `json:"account,omitempty"`
	Description string    `json:"description"`
	Currency    string    `json:"currency"`
	Traced      int64     `json:"traced"`
	Frozen      int64     `json:"frozen"`
	Confiscated int64     `json:"confiscated"`
	// Returned is what was returned, after Expenses were deducted from
	// the confiscated amount; Compensated is the part of it paid to
	// victims, by the lines of Victims in the return's event.
	Returned            int64       `json:"returned"`
	Expenses            int64       `json:"expenses"`
	Compensated         int64       `json:"compensated"`
	Status              AssetStatus `json:"status"`
	FreezingRequest     string      `json:"freezing_request,omitempty"`
	ConfiscationRequest string      `json:"confiscation_request,omitempty"`
	ReturnRequest       string      `json:"return_request,omitempty"`
	// TraceID is the trace that found it; empty for property an
	// official recorded.
	TraceID   string    `json:"trace_id,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Victim is one line of compensation at a return (art. 52(2)): the
// victim's reference in the case (never their name: the reference is
// what the case file resolves) and the amount paid to them.
type Victim struct {
	Reference string `json:"reference"`
	Amount    int64  `json:"amount"`
}

// AssetStep is what an official records of an asset: the status it
// reaches and what that status needs.
type AssetStep struct {
	Status AssetStatus `json:"status"`
	// Amount is the amount frozen at frozen, confiscated at confiscated,
	// returned (after expenses) at returned; zero at the other statuses.
	Amount int64 `json:"amount,omitempty"`
	// Expenses are the reasonable expenses deducted at returned (art.
	// 52(3)).
	Expenses int64 `json:"expenses,omitempty"`
	// Victims are the victims compensated at returned.
	Victims []Victim `json:"victims,omitempty"`
	// Request is the request that asked for the step: the freezing,
	// confiscation or return request; optional, as a request may have
	// been made outside the node.
	Request string `json:"request,omitempty"`
	// Note is what a court reads of the step: required at released and
	// refused (why), optional otherwise.
	Note string `json:"note,omitempty"`
}

// AssetEvent is one step of an asset's history, as a court reads it.
type AssetEvent struct {
	AssetID  string      `json:"asset_id"`
	Seq      int         `json:"seq"`
	Status   AssetStatus `json:"status"`
	Amount   int64       `json:"amount,omitempty"`
	Expenses int64       `json:"expenses,omitempty"`
	Victims  []Victim    `json:"victims,omitempty"`
	Request  string      `json:"request,omitempty"`
	Note     string      `json:"note,omitempty"`
	By       string      `json:"by"`
	At       time.Time   `json:"at"`
}

// Limits on a step, so that one cannot exhaust a node.
const (
	MaxVictims    = 1000
	MaxNoteLength = 4000
)

// from lists, for each status a step reaches, the statuses it may follow.
// Frozen may follow itself: a bank that finds more of the funds, or
// releases part, changes the amount frozen. Frozen may follow traced:
// the official's own State freezes under its law without a request
// (art. 31), and a request made outside the node is recorded that way.
var from = map[AssetStatus][]AssetStatus{
	AssetFreezingRequested:     {AssetTraced},
	AssetFrozen:                {AssetTraced, AssetFreezingRequested, AssetFrozen},
	AssetConfiscationRequested: {AssetFrozen},
	AssetConfiscated:           {AssetFrozen, AssetConfiscationRequested},
	AssetReturned:              {AssetConfiscated},
	AssetReleased:              {AssetFreezingRequested, AssetFrozen, AssetConfiscationRequested},
	AssetRefused:               {AssetFreezingRequested, AssetConfiscationRequested},
}

// refOf is the provision a step to s rests on.
func refOf(s AssetStatus) convention.Ref {
	switch s {
	case AssetFreezingRequested:
		return RefFreezingRequest
	case AssetFrozen:
		return RefFreezing
	case AssetConfiscationRequested:
		return RefConfiscationRequest
	case AssetConfiscated:
		return RefConfiscation
	case AssetReturned:
		return RefReturn
	default:
		return RefLifting
	}
}

// Apply returns a after step s, recorded by by at at, with the event
// that records it, and warnings an official should read but that do not
// stop the step. Every problem of s is returned at once, as
// convention.Problems naming the field and the article; a is never
// changed.
//
// Amounts are checked exactly, in millionths of the asset's currency:
// the confiscated amount is at most the amount frozen (nothing is
// confiscated that was not held), and the amount returned plus the
// expenses deducted is at most the amount confiscated, of which the
// victims' lines add up to at most the amount returned (art. 52). The
// amount frozen may exceed the amount traced: a bank freezes an
// account's balance, which may mix other funds with the traced ones; it
// is the requested State's measure to take, so Apply allows it and warns
// that the excess is not shown to be proceeds, which the holder may ask
// to have lifted (art. 50(8)).
func (a Asset) Apply(s AssetStep, by string, at time.Time) (Asset, AssetEvent, []string, error) {
	var ps convention.Problems
	ref := refOf(s.Status)
	prev, known := from[s.Status]
	switch {
	case !known:
		ps = append(ps, convention.Problem{Field: "status", Ref: RefLifting, Message: fmt.Sprintf("%q is not a step: use one of %s", s.Status, stepNames())})
	case !contains(prev, a.Status):
		ps = append(ps, convention.Problem{Field: "status", Ref: ref, Message: fmt.Sprintf("an asset %s cannot become %s: %s follows %s only", a.Status, s.Status, s.Status, joinStatuses(prev))})
	}
	need := func(field string, v int64, what string) {
		if v <= 0 {
			ps = append(ps, convention.Problem{Field: field, Ref: ref, Message: fmt.Sprintf("required at %s: %s, more than 0 %s", s.Status, what, a.Currency)})
		}
	}
	none := func(field string, given bool) {
		if given {
			ps = append(ps, convention.Problem{Field: field, Ref: ref, Message: fmt.Sprintf("not recorded at %s: leave it out", s.Status)})
		}
	}
	if s.Amount < 0 {
		ps = append(ps, convention.Problem{Field: "amount", Ref: ref, Message: "must not be negative"})
	}
	if s.Expenses < 0 {
		ps = append(ps, convention.Problem{Field: "expenses", Ref: RefExpenses, Message: "must not be negative"})
	}
	if p, bad := convention.CheckText("note", ref, s.Note, MaxNoteLength); bad {
		ps = append(ps, p)
	}
	if p, bad := convention.CheckText("request", ref, s.Request, 100); bad {
		ps = append(ps, p)
	}
	var warnings []string
	next := a
	switch s.Status {
	case AssetFreezingRequested, AssetConfiscationRequested:
		none("amount", s.Amount != 0)
	case AssetFrozen:
		need("amount", s.Amount, "the amount frozen or seized")
		if s.Amount > a.Traced && a.Traced > 0 {
			warnings = append(warnings, fmt.Sprintf("the amount frozen, %s %s, exceeds the amount traced, %s %s, by %s: the account's balance mixes other funds, which the trace does not show to be proceeds; the holder may ask the measure on them to be lifted (%s)",
				FormatMicros(s.Amount), a.Currency, FormatMicros(a.Traced), a.Currency, FormatMicros(s.Amount-a.Traced), RefLifting.Cite()))
		}
		next.Frozen = s.Amount
	case AssetConfiscated:
		need("amount", s.Amount, "the amount confiscated")
		if s.Amount > a.Frozen {
			ps = append(ps, convention.Problem{Field: "amount", Ref: ref, Message: fmt.Sprintf("%s %s confiscated exceeds the %s %s frozen: record the amount frozen first (status frozen), then the confiscation", FormatMicros(s.Amount), a.Currency, FormatMicros(a.Frozen), a.Currency)})
		}
		next.Confiscated = s.Amount
	case AssetReturned:
		need("amount", s.Amount, "the amount returned, after the expenses deducted")
		if len(s.Victims) > MaxVictims {
			ps = append(ps, convention.Problem{Field: "victims", Ref: RefVictims, Message: fmt.Sprintf("at most %d lines", MaxVictims)})
		}
		if total, ok := add(s.Amount, s.Expenses); !ok || total > a.Confiscated {
			ps = append(ps, convention.Problem{Field: "amount", Ref: RefExpenses, Message: fmt.Sprintf("the amount returned, %s %s, and the expenses deducted, %s %s, exceed the %s %s confiscated: what is returned and deducted comes out of what was confiscated", FormatMicros(s.Amount), a.Currency, FormatMicros(s.Expenses), a.Currency, FormatMicros(a.Confiscated), a.Currency)})
		}
		var sum int64
		seen := map[string]bool{}
		overflow := false
		for i, v := range s.Victims {
			field := "victims[" + strconv.Itoa(i) + "]"
			ref := strings.TrimSpace(v.Reference)
			switch {
			case ref == "":
				ps = append(ps, convention.Problem{Field: field + ".reference", Ref: RefVictims, Message: "required: the victim's reference in the case"})
			case seen[ref]:
				ps = append(ps, convention.Problem{Field: field + ".reference", Ref: RefVictims, Message: fmt.Sprintf("victim %q is on two lines: give one line per victim", ref)})
			}
			seen[ref] = true
			if p, bad := convention.CheckText(field+".reference", RefVictims, v.Reference, 200); bad {
				ps = append(ps, p)
			}
			if v.Amount <= 0 {
				ps = append(ps, convention.Problem{Field: field + ".amount", Ref: RefVictims, Message: "required: the amount paid to the victim, more than 0 " + a.Currency})
				continue
			}
			total, ok := add(sum, v.Amount)
			if !ok {
				overflow = true
				continue
			}
			sum = total
		}
		if overflow || sum > s.Amount {
			ps = append(ps, convention.Problem{Field: "victims", Ref: RefVictims, Message: fmt.Sprintf("the victims' lines add up to %s %s, more than the %s %s returned", FormatMicros(sum), a.Currency, FormatMicros(s.Amount), a.Currency)})
		}
		next.Returned, next.Expenses, next.Compensated = s.Amount, s.Expenses, sum
	case AssetReleased, AssetRefused:
		none("amount", s.Amount != 0)
		if strings.TrimSpace(s.Note) == "" {
			why := "why the provisional measures were lifted (insufficient or late evidence, de minimis value) and whether the requesting State was heard before"
			if s.Status == AssetRefused {
				why = "the ground the requested State gave for refusing"
			}
			ps = append(ps, convention.Problem{Field: "note", Ref: ref, Message: "required at " + string(s.Status) + ": " + why})
		}
	}
	if s.Status != AssetReturned {
		none("expenses", s.Expenses != 0)
		none("victims", len(s.Victims) > 0)
	}
	if len(ps) > 0 {
		return a, AssetEvent{}, nil, ps
	}
	switch s.Status {
	case AssetFreezingRequested:
		if s.Request != "" {
			next.FreezingRequest = s.Request
		}
	case AssetFrozen:
		if s.Request != "" && a.FreezingRequest == "" {
			next.FreezingRequest = s.Request
		}
	case AssetConfiscationRequested, AssetConfiscated:
		if s.Request != "" {
			next.ConfiscationRequest = s.Request
		}
	case AssetReturned:
		if s.Request != "" {
			next.ReturnRequest = s.Request
		}
	}
	next.Status = s.Status
	next.UpdatedAt = at
	e := AssetEvent{AssetID: a.ID, Status: s.Status, Amount: s.Amount, Expenses: s.Expenses, Victims: s.Victims, Request: s.Request, Note: s.Note, By: by, At: at}
	return next, e, warnings, nil
}

func stepNames() string {
	var names []string
	for _, s := range AssetStatuses() {
		if _, ok := from[s]; ok {
			names = append(names, string(s))
		}
	}
	return strings.Join(names, ", ")
}

func joinStatuses(ss []AssetStatus) string {
	names := make([]string, len(ss))
	for i, s := range ss {
		names[i] = string(s)
	}
	return strings.Join(names, " or ")
}

func contains(ss []AssetStatus, s AssetStatus) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

// add returns a+b, and false if it overflows.
func add(a, b int64) (int64, bool) {
	if b > 0 && a > math.MaxInt64-b {
		return 0, false
	}
	return a + b, true
}

// FormatMicros renders millionths of a unit as an exact decimal, without
// trailing zeros: 1234500000 is "1234.5".
func FormatMicros(m int64) string {
	neg := m < 0
	u := uint64(m)
	if neg {
		u = -u
	}
	s := strconv.FormatUint(u/1_000_000, 10)
	if frac := u % 1_000_000; frac != 0 {
		s += "." + strings.TrimRight(fmt.Sprintf("%06d", frac), "0")
	}
	if neg {
		s = "-" + s
	}
	return s
}

// ParseMicros reads an exact decimal amount ("1234.5", "0.000001") as
// millionths of a unit. It rejects signs, exponents, separators of
// thousands, more than six decimals and amounts beyond int64.
func ParseMicros(s string) (int64, error) {
	whole, frac, dot := strings.Cut(s, ".")
	if whole == "" || (dot && frac == "") || len(frac) > 6 || !digits(whole) || !digits(frac) {
		return 0, fmt.Errorf("%q is not an amount: write digits with at most six decimals after a point, e.g. 1234.56", s)
	}
	w, err := strconv.ParseInt(whole, 10, 64)
	if err != nil || w > math.MaxInt64/1_000_000 {
		return 0, fmt.Errorf("%q is too large an amount", s)
	}
	f := int64(0)
	if frac != "" {
		f, _ = strconv.ParseInt(frac+strings.Repeat("0", 6-len(frac)), 10, 64)
	}
	m, ok := add(w*1_000_000, f)
	if !ok {
		return 0, fmt.Errorf("%q is too large an amount", s)
	}
	return m, nil
}

func digits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}
