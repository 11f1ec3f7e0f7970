package convention

import (
	"fmt"
	"strconv"
	"time"
)

// The years a node stores. Every time it accepts from outside (a body or
// query of the API, a flag of the CLI, an imported file, an envelope, a
// descriptor) must fall in them once moved to UTC: stored times are
// fixed-width text, and a time such as 9999-12-31T23:00:00-05:00 is the
// year 10000 in UTC, which no stored form can hold.
var (
	EarliestTime = time.Date(1970, time.January, 1, 0, 0, 0, 0, time.UTC)
	LatestTime   = time.Date(9999, time.December, 31, 23, 59, 59, 999999999, time.UTC)
)

// TimeError is a time given for Field that a node does not take.
type TimeError struct {
	Field string
	Value string // as given, or as read, for the message
	Msg   string
}

func (e *TimeError) Error() string {
	return fmt.Sprintf("%s: %s %s", e.Field, strconv.Quote(e.Value), e.Msg)
}

// CheckTime is the one check of a time a node accepts from outside: it
// returns t in UTC, or a *TimeError naming field if t, in UTC, falls
// outside the years 1970 to 9999. The zero time, which stands for "not
// given" throughout the node, is returned as it is.
func CheckTime(field string, t time.Time) (time.Time, error) {
	if t.IsZero() {
		return t, nil
	}
	u := t.UTC()
	if u.Before(EarliestTime) || u.After(LatestTime) {
		return time.Time{}, &TimeError{Field: field, Value: t.Format(time.RFC3339Nano),
			Msg: "is outside the years 1970 to 9999 in UTC (" + u.Format(time.RFC3339) + "); give a time in that range, with its offset or in UTC"}
	}
	return u, nil
}

// ParseTime reads s for field in layout (time.RFC3339 or time.DateOnly,
// for instance) and checks it with CheckTime. It fails with a *TimeError
// naming field for text that is not a time in layout; "0001-01-01",
// time's zero, is out of range here rather than "not given".
func ParseTime(field, layout, s string) (time.Time, error) {
	t, err := time.Parse(layout, s)
	if err != nil {
		name, ok := layoutNames[layout]
		if !ok {
			name = "a time in the form " + layout
		}
		return time.Time{}, &TimeError{Field: field, Value: s, Msg: "is not " + name}
	}
	if t.IsZero() {
		return time.Time{}, &TimeError{Field: field, Value: s, Msg: "is outside the years 1970 to 9999 in UTC"}
	}
	return CheckTime(field, t)
}

var layoutNames = map[string]string{
	time.RFC3339:     "an RFC 3339 time such as 2026-03-02T08:00:00Z",
	time.RFC3339Nano: "an RFC 3339 time such as 2026-03-02T08:00:00Z",
	time.DateOnly:    "a date (YYYY-MM-DD)",
}

// NormalizeTime moves *t to UTC in place, for validation that returns
// every problem at once: it returns one Problem naming field and citing
// ref if CheckTime refuses *t, and none otherwise.
func NormalizeTime(field string, ref Ref, t *time.Time) Problems {
	u, err := CheckTime(field, *t)
	if err != nil {
		te := err.(*TimeError)
		return Problems{{Field: field, Ref: ref, Message: strconv.Quote(te.Value) + " " + te.Msg}}
	}
	*t = u
	return nil
}
