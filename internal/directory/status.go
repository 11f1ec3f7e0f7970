package directory

import (
	"fmt"
	"slices"
	"time"

	"entraide/internal/convention"
)

// TreatyStatus is where the Convention stands on a given day: how many have
// signed, how many instruments count toward entry into force, and when it
// enters into force in general and for each party (art. 65).
type TreatyStatus struct {
	Signatories int `json:"signatories"`
	// Instruments counts the deposits toward entry into force: those of
	// States only, as the REIO's does not count in addition to its
	// members' (art. 65(1)).
	Instruments int `json:"instruments"`
	// Bound counts the parties the Convention binds on the day asked
	// about: in force for them, and not denounced with effect (art. 67).
	Bound          int        `json:"bound"`
	Required       int        `json:"required"`
	EntryIntoForce *time.Time `json:"entry_into_force,omitempty"`
	// InForce is set once the date of entry into force is on or before
	// the day asked about.
	InForce bool `json:"in_force"`
	// Summary says it in one line: "not yet: 12 of 40", "enters into force
	// on 2027-05-01" or "in force since 2027-05-01".
	Summary string `json:"summary"`
	// AsOf is the day the status was worked out for.
	AsOf time.Time `json:"as_of"`
	// DataUpdated is when the records behind it last changed on this
	// node; nil when the caller does not know.
	DataUpdated *time.Time `json:"data_updated,omitempty"`
	// Partial says that the records are what this node was told, not the
	// depositary's list: the UN Treaty Collection is authoritative.
	Partial bool   `json:"partial"`
	Source  string `json:"source"`
	// Parties lists every participant with a signature or an instrument,
	// sorted by code; empty, not nil, when there are none.
	Parties []PartyStatus `json:"parties"`
}

// PartyStatus is one participant's part in the Convention.
type PartyStatus struct {
	Code       string     `json:"code"`
	Name       string     `json:"name"`
	Signed     *time.Time `json:"signed,omitempty"`
	Deposited  *time.Time `json:"deposited,omitempty"`
	Instrument Instrument `json:"instrument,omitempty"`
	// InForceFrom is when the Convention binds this party (art. 65(2)),
	// known once the general date is; nil before, or without a deposit.
	InForceFrom *time.Time `json:"in_force_from,omitempty"`
	// Counts is set when its instrument counts toward entry into force:
	// a State's deposit, not the REIO's (art. 65(1)).
	Counts bool `json:"counts"`
	// Denounced is when the Secretary-General received its denunciation,
	// and InForceUntil when that takes effect (art. 67): the Convention
	// binds the party no more from that day.
	Denounced    *time.Time `json:"denounced,omitempty"`
	InForceUntil *time.Time `json:"in_force_until,omitempty"`
	// Bound is set when the Convention is in force for the party on the
	// day asked about: from InForceFrom, before InForceUntil.
	Bound bool `json:"bound"`
}

// ComputeStatus works out the Convention's status on the calendar day of
// asOf (in UTC) from records. It trusts records to have passed
// ParseTreatyStatus or WriteTreatyStatus and never fails: a record for an
// unknown code is left out, a later record for a code replaces an earlier
// one, a date of deposit counts even without its instrument, and dates are
// read as their UTC calendar day.
func ComputeStatus(records []TreatyRecord, asOf time.Time) TreatyStatus {
	t := participants()
	byCode := map[string]TreatyRecord{}
	for _, r := range records {
		if _, ok := t.exact(r.Code); ok {
			byCode[r.Code] = r
		}
	}
	codes := make([]string, 0, len(byCode))
	var deposits []time.Time
	st := TreatyStatus{Required: convention.InstrumentsForEntryIntoForce, Parties: []PartyStatus{},
		AsOf: dateOf(asOf), Partial: true, Source: TreatyStatusSource}
	today := dateOf(asOf)
	for code, r := range byCode {
		p, _ := t.exact(code)
		if !r.Signed.IsZero() {
			st.Signatories++
		}
		if counts(p, r, today) {
			deposits = append(deposits, dateOf(r.Deposited))
		}
		if !r.Signed.IsZero() || !r.Deposited.IsZero() {
			codes = append(codes, code)
		}
	}
	st.Instruments = len(deposits)
	slices.Sort(codes)

	general, known := convention.EntryIntoForce(deposits)
	switch {
	case !known:
		st.Summary = fmt.Sprintf("not yet: %d of %d", st.Instruments, st.Required)
	case dateOf(asOf).Before(general):
		st.EntryIntoForce = &general
		st.Summary = "enters into force on " + general.Format(time.DateOnly)
	default:
		st.EntryIntoForce = &general
		st.InForce = true
		st.Summary = "in force since " + general.Format(time.DateOnly)
	}

	for _, code := range codes {
		r := byCode[code]
		p, _ := t.exact(code)
		ps := PartyStatus{
			Code:       code,
			Name:       p.Name(),
			Signed:     datePtr(r.Signed),
			Deposited:  datePtr(r.Deposited),
			Instrument: r.Instrument,
			Counts:     counts(p, r, today),
		}
		// The REIO becomes a party on the same terms as a State even
		// though its instrument did not bring the Convention into force.
		// A deposit dated after today has not happened yet.
		if known && !r.Deposited.IsZero() && !dateOf(r.Deposited).After(today) {
			from := convention.EntryIntoForceFor(dateOf(r.Deposited), general)
			ps.InForceFrom = &from
			ps.Bound = !from.After(today)
		}
		// A denunciation leaves the count toward entry into force as it
		// was: the Convention entered into force on that count.
		if !r.Denounced.IsZero() && !dateOf(r.Denounced).After(today) {
			ps.Denounced = datePtr(r.Denounced)
			until := convention.DenunciationEffective(r.Denounced)
			ps.InForceUntil = &until
			if !today.Before(until) {
				ps.Bound = false
			}
		}
		if ps.Bound {
			st.Bound++
		}
		st.Parties = append(st.Parties, ps)
	}
	return st
}

// counts reports whether r's deposit counts toward the 40 (art. 65(1))
// on today: a State's, not the REIO's, and not dated in the future.
func counts(p Participant, r TreatyRecord, today time.Time) bool {
	return !r.Deposited.IsZero() && p.Status != REIO && !dateOf(r.Deposited).After(today)
}

// TreatyStatusSource names where the authoritative status is kept.
const TreatyStatusSource = "UN Treaty Collection, chapter XVIII-16 (treaties.un.org); this node's records are partial"

func datePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	d := dateOf(t)
	return &d
}
