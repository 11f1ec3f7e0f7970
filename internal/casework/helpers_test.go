package casework_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"entraide/internal/casework"
	"entraide/internal/convention"
	"entraide/internal/identity"
)

// The two States of every test request: FRA asks, VNM is asked.
const (
	requesting = "FRA"
	requested  = "VNM"
)

// now is the fixed time of every decision in these tests.
var now = time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)

var (
	fraCA = casework.Actor{ID: "fra-ca", State: requesting, Role: identity.CentralAuthority}
	vnmCA = casework.Actor{ID: "vnm-ca", State: requested, Role: identity.CentralAuthority}
)

// allStates lists every state of a request.
var allStates = []casework.State{
	casework.Draft, casework.Sent, casework.Received, casework.Acknowledged, casework.InProgress,
	casework.MoreInfoRequested, casework.Consultation, casework.ConditionsAccepted, casework.ConditionsDeclined, casework.Executed, casework.PartiallyExecuted,
	casework.Refused, casework.Postponed, casework.Withdrawn, casework.Closed,
}

// fieldsFor returns every required field of kind k, filled in.
func fieldsFor(t *testing.T, k convention.Kind) map[string]string {
	t.Helper()
	spec, ok := convention.Lookup(k)
	if !ok {
		t.Fatalf("convention.Lookup(%q) = _, false", k)
	}
	fields := map[string]string{}
	for _, f := range spec.Fields {
		if f.Required {
			fields[f.Name] = "the " + f.Name + " of the case"
		}
	}
	return fields
}

// contents returns a valid draft of kind k asked of VNM.
func contents(t *testing.T, k convention.Kind) casework.Contents {
	t.Helper()
	return casework.Contents{
		Kind:           k,
		RequestedState: requested,
		LegalBasis:     &casework.LegalBasis{Type: casework.BasisReciprocity},
		Fields:         fieldsFor(t, k),
		Offences:       []convention.Charge{{Article: 7, MaxPenaltyYears: 3, RequestedStateMaxPenaltyYears: 2}},
	}
}

// view returns holder's view of a valid request of kind k in state s.
func view(t *testing.T, k convention.Kind, s casework.State, holder string) *casework.Request {
	t.Helper()
	r := casework.New(contents(t, k), "0193-req", requesting, "fra-ca", now.Add(-time.Hour))
	if holder == requested {
		r = casework.CounterpartView(r)
	}
	r.State = s
	return &r
}

// preserving returns holder's view of a preservation in state s whose data
// are preserved until 60 days after it started.
func preserving(t *testing.T, s casework.State, holder string) *casework.Request {
	t.Helper()
	r := view(t, convention.Preservation, s, holder)
	started := now.Add(-24 * time.Hour)
	r.Preservation = &casework.PreservationPeriod{Started: started, Until: convention.PreservationDeadline(started)}
	return r
}

// ended returns holder's view of a preservation in state s whose period
// of 60 days ended the day before now, with no follow-up request.
func ended(t *testing.T, s casework.State, holder string) *casework.Request {
	t.Helper()
	r := view(t, convention.Preservation, s, holder)
	started := now.AddDate(0, 0, -61)
	r.Preservation = &casework.PreservationPeriod{Started: started, Until: convention.PreservationDeadline(started)}
	return r
}

// problemsOf returns the problems err carries: convention.Problems, or
// those of a *casework.Error.
func problemsOf(err error) convention.Problems {
	if ps, ok := errors.AsType[convention.Problems](err); ok {
		return ps
	}
	if ce, ok := errors.AsType[*casework.Error](err); ok {
		return ce.Problems
	}
	return nil
}

// want is one expected problem: its field, its provision and a piece of
// its message.
type want struct {
	field string
	ref   convention.Ref
	msg   string
}

func (w want) String() string { return fmt.Sprintf("%s (%s) %q", w.field, w.ref, w.msg) }

// assertProblems fails t unless got holds exactly the problems ws, in any
// order.
func assertProblems(t *testing.T, call string, got convention.Problems, ws ...want) {
	t.Helper()
	remaining := slices.Clone(got)
	ok := len(got) == len(ws)
	for _, w := range ws {
		i := slices.IndexFunc(remaining, func(p convention.Problem) bool {
			return p.Field == w.field && p.Ref == w.ref && strings.Contains(p.Message, w.msg)
		})
		if i < 0 {
			ok = false
			break
		}
		remaining = slices.Delete(remaining, i, i+1)
	}
	if !ok {
		t.Errorf("%s = problems %v, want %v", call, got, ws)
	}
}
