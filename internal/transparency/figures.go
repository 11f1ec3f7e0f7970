// Package transparency turns the figures of a State's requests into the
// aggregate report its node publishes and the State brings to the
// Conference of the States Parties (art. 57): counts, medians and codes
// (kinds of request, States, grounds for refusal), never an id, a name or
// a word an official wrote. Small counts are suppressed, with enough
// other cells that none can be worked out from the totals, so that no
// case can be singled out. It performs no I/O but writing a report.
package transparency

import "time"

// Sides of a State's part in a request, as the report counts them.
const (
	Sent     = "sent"     // the State requested
	Received = "received" // the State was requested
)

// Other stands for a kind, a State or a ground the report does not know:
// a row is shown only under a code the Convention or the directory gives,
// so that nothing stored in those columns but a code can reach the report.
const Other = "other"

// Counts are how many requests of one row were sent or received in the
// period, and how each stood at its end. Executed, PartiallyExecuted,
// Refused, Withdrawn and Pending add up to Total: a request ends in at
// most one of the first four. Postponed (art. 40(26)) counts the requests
// postponed at some time in the period, whatever came after.
type Counts struct {
	Total, Executed, PartiallyExecuted, Refused, Withdrawn, Pending, Postponed int
}

// Row is the counts of one side under one key: a kind of request, or the
// other State.
type Row struct {
	Side, Key string
	Counts
}

// GroundCount is how many refusals of a side cited a ground (art.
// 40(21)-(22), art. 37). A refusal may cite several grounds, so that
// these do not add up to the refusals.
type GroundCount struct {
	Side, Ground string
	N            int
}

// Median is the median time from a request's delivery to the requested
// State's node to its acknowledgement, and to its answer (executed,
// partially executed or refused), over the AckN and AnswerN requests of a
// kind and side that had one by the end of the period.
type Median struct {
	Side, Kind string
	Ack        time.Duration
	AckN       int
	Answer     time.Duration
	AnswerN    int
}

// Condition measures, the codes of ConditionCount. Each counts requests.
const (
	// ConditionsAccepted: conditions the requested State proposed in
	// consultation and the requesting State accepted, which bind both
	// (art. 40(27)).
	ConditionsAccepted = "accepted_in_consultation"
	// ConditionsSet: conditions the requested State set on its answer or
	// on an item of evidence it gave (arts. 36, 40(19), (20)).
	ConditionsSet = "set_on_answer_or_evidence"
	// ConsentsAsked and ConsentsGranted count consent requests, not
	// requests: those to pass evidence on to a third State (art. 36),
	// asked in the period, and those of them granted.
	ConsentsAsked   = "onward_transfer_consents_asked"
	ConsentsGranted = "onward_transfer_consents_granted"
)

// ConditionMeasures lists, in the report's order, the measures of the
// conditions requests carried. A measure not listed is not published.
// Each has its count in store's conditionCounts and its words in the
// UI's locales, under transp.cond.<measure>.
var ConditionMeasures = []string{ConditionsAccepted, ConditionsSet, ConsentsAsked, ConsentsGranted}

// ConditionCount is how many requests of a side carried conditions, by
// measure.
type ConditionCount struct {
	Side, Measure string
	N             int
}

// Figures are what a node's database holds about one State's requests
// sent in a period, before anything is suppressed: they are never
// published as they are, only through Publish.
type Figures struct {
	State string
	// From and To are the first and the last day of the period.
	From, To   time.Time
	ByKind     []Row
	ByState    []Row
	Grounds    []GroundCount
	Medians    []Median
	Conditions []ConditionCount
}

// LastYear returns the first and last day of the last calendar year that
// ended before now: the period a report covers by default.
func LastYear(now time.Time) (from, to time.Time) {
	y := now.UTC().Year() - 1
	return time.Date(y, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(y, 12, 31, 0, 0, 0, 0, time.UTC)
}

// Day returns the UTC day t falls on, at midnight.
func Day(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}
