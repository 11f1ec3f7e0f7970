package convention

import (
	"slices"
	"strconv"
	"time"
)

// PreservationMinimumDays is the least period for which stored data are
// preserved on request; once the follow-up request arrives, the data stay
// preserved until it is decided (art. 42(7), as art. 29(7) of the Budapest
// Convention).
const PreservationMinimumDays = 60

// PreservationMaximumDays bounds how far after its start a preservation
// may be set to end, by its start or any extension. Art. 42(7) sets only a
// minimum; art. 24(2) asks that a measure be limited in its duration, and
// art. 25 lets domestic orders run 90 days at a time. Two years is the
// node's bound, not the treaty's: a follow-up request, once linked, keeps
// the data preserved beyond it until it is decided.
const PreservationMaximumDays = 730

var (
	preservationPeriod = Art(42).Para(7).Unchecked()
	durationLimit      = Safeguards24
)

// PreservationRef cites the period of preservation: at least 60 days, and
// until the follow-up request is decided.
var PreservationRef = preservationPeriod

// PreservationDeadline is the earliest date on which a preservation that
// started at start may end.
func PreservationDeadline(start time.Time) time.Time {
	return start.AddDate(0, 0, PreservationMinimumDays)
}

// PreservationLatest is the latest date a preservation that started at
// start may be set to end.
func PreservationLatest(start time.Time) time.Time {
	return day(start).AddDate(0, 0, PreservationMaximumDays)
}

// ValidatePreservationUntil checks a chosen end of preservation: at least
// the minimum period after start, at most PreservationMaximumDays after
// it, and after any current deadline when it extends one. It compares
// calendar dates in UTC, as the treaty counts days: an end on the date
// PreservationDeadline falls on is accepted whatever the hour of start or
// until.
func ValidatePreservationUntil(start, current, until time.Time) Problems {
	if min := day(PreservationDeadline(start)); day(until).Before(min) {
		return Problems{{Field: "preserve_until", Ref: preservationPeriod, Message: "preservation lasts at least " + strconv.Itoa(PreservationMinimumDays) + " days: until " + min.Format(time.DateOnly) + " or later"}}
	}
	if max := PreservationLatest(start); day(until).After(max) {
		return Problems{{Field: "preserve_until", Ref: durationLimit, Message: "a preservation is set at most " + strconv.Itoa(PreservationMaximumDays) + " days ahead of its start: until " + max.Format(time.DateOnly) + " at the latest; send the follow-up request to keep the data longer"}}
	}
	if !current.IsZero() && !day(until).After(day(current)) {
		return Problems{{Field: "preserve_until", Ref: preservationPeriod, Message: "an extension must end after the current deadline " + day(current).Format(time.DateOnly)}}
	}
	return nil
}

// PreservationEnded reports whether a preservation due to end on until has
// reached its end at now: from the date until falls on, in UTC, the
// requested State may release the data if no follow-up request came.
func PreservationEnded(until, now time.Time) bool {
	return !day(now).Before(day(until))
}

// Entry into force, art. 65.
const (
	// InstrumentsForEntryIntoForce is how many instruments of
	// ratification, acceptance, approval or accession bring the Convention
	// into force (art. 65(1)).
	InstrumentsForEntryIntoForce = 40
	// EntryIntoForceDays is the delay after the deposit of the 40th
	// instrument (art. 65(1)).
	EntryIntoForceDays = 90
	// LaterPartyDays is the delay after a later instrument's deposit
	// (art. 65(2), check).
	LaterPartyDays = 30
)

// EntryIntoForceRef cites the rule.
var EntryIntoForceRef = Art(65).Para(1)

// EntryIntoForce returns the date on which the Convention enters into
// force, given the deposit dates of the instruments that count toward it:
// the 90th day after the 40th. It reports false while fewer than 40 have
// been deposited. Callers must already have left out the instrument of a
// regional economic integration organisation, which does not count in
// addition to its members' (art. 65(1)).
func EntryIntoForce(deposits []time.Time) (time.Time, bool) {
	if len(deposits) < InstrumentsForEntryIntoForce {
		return time.Time{}, false
	}
	sorted := slices.Clone(deposits)
	slices.SortFunc(sorted, func(a, b time.Time) int { return a.Compare(b) })
	return day(sorted[InstrumentsForEntryIntoForce-1]).AddDate(0, 0, EntryIntoForceDays), true
}

// EntryIntoForceFor returns when the Convention enters into force for a
// party that deposits its instrument on deposit, given the general date:
// the 30th day after its deposit, or the general date if that is later
// (art. 65(2), check).
func EntryIntoForceFor(deposit, general time.Time) time.Time {
	own := day(deposit).AddDate(0, 0, LaterPartyDays)
	if general.After(own) {
		return day(general)
	}
	return own
}

// day truncates t to its calendar date in UTC: the treaty counts days.
func day(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// Signature, art. 64(1): in Hanoi on 25 and 26 October 2025, then at
// United Nations Headquarters in New York until 31 December 2026 (as the
// UN Treaty Collection, chapter XVIII-16, reads it). A State that has not
// signed by then joins by accession.
var (
	SignatureOpens  = time.Date(2025, time.October, 25, 0, 0, 0, 0, time.UTC)
	HanoiCloses     = time.Date(2025, time.October, 26, 0, 0, 0, 0, time.UTC)
	SignatureCloses = time.Date(2026, time.December, 31, 0, 0, 0, 0, time.UTC)
	SignatureRef    = Art(64).Para(1)
)

// CheckSignature checks the date and place of a signature against art.
// 64(1): it returns what is wrong in an official's words, naming the
// window, or "" when the signature could have been made then and there.
// The message does not cite the article: the caller cites SignatureRef
// once, where it shows the message.
// place "Hanoi" holds it to the Hanoi ceremony, "New York" to the days
// after it, and any other place to the whole window.
func CheckSignature(signed time.Time, place string) string {
	d := day(signed)
	switch {
	case d.Before(SignatureOpens):
		return "is before the Convention opened for signature on " + SignatureOpens.Format(time.DateOnly)
	case d.After(SignatureCloses):
		return "is after signature closed on " + SignatureCloses.Format(time.DateOnly) + "; a State that has not signed joins by accession"
	case place == "Hanoi" && d.After(HanoiCloses):
		return "is not a date of the Hanoi ceremony (" + SignatureOpens.Format(time.DateOnly) + " to " + HanoiCloses.Format(time.DateOnly) + "); later signatures are made in New York"
	case place == "New York" && !d.After(HanoiCloses):
		// Art. 64(1) opens New York only "thereafter": during the
		// ceremony the Convention lay open for signature in Hanoi alone.
		return "is a date of the Hanoi ceremony (" + SignatureOpens.Format(time.DateOnly) + " to " + HanoiCloses.Format(time.DateOnly) + "); signatures in New York run from " + HanoiCloses.AddDate(0, 0, 1).Format(time.DateOnly) + ": give the place as Hanoi"
	}
	return ""
}

// DenunciationRef cites the rule on denunciation: by written notification
// to the Secretary-General, effective one year after its receipt.
var DenunciationRef = Art(67).Para(1).Unchecked()

// DenunciationEffective returns the day a denunciation received on
// received takes effect: one year later (art. 67, check).
func DenunciationEffective(received time.Time) time.Time {
	return day(received).AddDate(1, 0, 0)
}
