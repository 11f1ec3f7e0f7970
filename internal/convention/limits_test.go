package convention_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"entraide/internal/convention"
)

func date(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

var preservationRef = convention.Art(42).Para(7).Unchecked()

func TestPreservationDeadline(t *testing.T) {
	tests := []struct {
		name  string
		start time.Time
		want  time.Time
	}{
		{"art 42(7): 60 days from 1 January 2026", date(2026, 1, 1), date(2026, 3, 2)},
		{"art 42(7): 60 days across a leap day", date(2028, 1, 1), date(2028, 3, 1)},
		{"art 42(7): 60 days across the year end", date(2025, 12, 1), date(2026, 1, 30)},
		{"art 42(7): the hour of the start is kept", time.Date(2026, 1, 1, 14, 30, 0, 0, time.UTC), time.Date(2026, 3, 2, 14, 30, 0, 0, time.UTC)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := convention.PreservationDeadline(tt.start); !got.Equal(tt.want) {
				t.Errorf("PreservationDeadline(%v) = %v, want %v", tt.start, got, tt.want)
			}
		})
	}
	if convention.PreservationMinimumDays != 60 {
		t.Errorf("PreservationMinimumDays = %d, want 60 (art. 42(7))", convention.PreservationMinimumDays)
	}
}

func TestValidatePreservationUntil(t *testing.T) {
	start := date(2026, 1, 1) // deadline 2026-03-02
	newYork := time.FixedZone("EST", -5*3600)
	tests := []struct {
		name                  string
		start, current, until time.Time
		want                  []want
	}{
		{
			name:  "art 42(7): preservation of exactly 60 days",
			start: start, until: date(2026, 3, 2),
		},
		{
			name:  "art 42(7): preservation of 90 days",
			start: start, until: date(2026, 4, 1),
		},
		{
			name:  "art 42(7): preservation shorter than 60 days",
			start: start, until: date(2026, 3, 1),
			want: []want{{"preserve_until", preservationRef, "at least 60 days: until 2026-03-02 or later"}},
		},
		{
			name:  "art 42(7): preservation ending before it starts",
			start: start, until: date(2025, 12, 31),
			want: []want{{"preserve_until", preservationRef, "until 2026-03-02 or later"}},
		},
		{
			name:  "art 42(7): zero end date",
			start: start, until: time.Time{},
			want: []want{{"preserve_until", preservationRef, "at least 60 days"}},
		},
		{
			name:  "art 42(7): the deadline date is accepted whatever the hour of the start",
			start: time.Date(2026, 1, 1, 14, 30, 0, 0, time.UTC), until: date(2026, 3, 2),
		},
		{
			name:  "art 42(7): the minimum date is the UTC date whatever the zone of the start",
			start: time.Date(2025, 12, 31, 23, 0, 0, 0, newYork), until: date(2026, 3, 1),
			want: []want{{"preserve_until", preservationRef, "until 2026-03-02 or later"}},
		},
		{
			name:  "art 42(7): extension after the current deadline",
			start: start, current: date(2026, 3, 2), until: date(2026, 5, 1),
		},
		{
			name:  "art 42(7): extension by one day",
			start: start, current: date(2026, 3, 2), until: date(2026, 3, 3),
		},
		{
			name:  "art 42(7): extension ending on the current deadline",
			start: start, current: date(2026, 3, 2), until: date(2026, 3, 2),
			want: []want{{"preserve_until", preservationRef, "an extension must end after the current deadline 2026-03-02"}},
		},
		{
			name:  "art 42(7): extension later the same day is no extension",
			start: start, current: date(2026, 3, 2), until: time.Date(2026, 3, 2, 18, 0, 0, 0, time.UTC),
			want: []want{{"preserve_until", preservationRef, "after the current deadline 2026-03-02"}},
		},
		{
			name:  "art 42(7): extension ending before the current deadline",
			start: start, current: date(2026, 6, 1), until: date(2026, 5, 1),
			want: []want{{"preserve_until", preservationRef, "after the current deadline 2026-06-01"}},
		},
		{
			name:  "art 42(7), 24(2): preservation set two years ahead",
			start: start, until: date(2028, 1, 1),
		},
		{
			name:  "art 42(7), 24(2): preservation set beyond two years",
			start: start, until: date(2028, 1, 2),
			want: []want{{"preserve_until", convention.Safeguards24, "until 2028-01-01 at the latest; send the follow-up request"}},
		},
		{
			name:  "art 42(7), 24(2): preservation until the year 9999",
			start: start, until: date(9999, 12, 31),
			want: []want{{"preserve_until", convention.Safeguards24, "at most 730 days"}},
		},
		{
			name:  "art 42(7), 24(2): an extension 400 days ahead is within the bound",
			start: start, current: date(2026, 3, 2), until: date(2027, 2, 5),
		},
		{
			name:  "art 42(7), 24(2): an extension beyond two years from the start",
			start: start, current: date(2027, 6, 1), until: date(2028, 6, 1),
			want: []want{{"preserve_until", convention.Safeguards24, "until 2028-01-01 at the latest"}},
		},
		{
			name:  "art 42(7): extension shorter than 60 days reports the minimum only",
			start: start, current: date(2026, 3, 2), until: date(2026, 2, 1),
			want: []want{{"preserve_until", preservationRef, "at least 60 days"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := convention.ValidatePreservationUntil(tt.start, tt.current, tt.until)
			assertProblems(t, fmt.Sprintf("ValidatePreservationUntil(%v, %v, %v)", tt.start, tt.current, tt.until), got, tt.want)
		})
	}
}

func TestPreservationEnded(t *testing.T) {
	until := date(2026, 3, 2)
	tests := []struct {
		name string
		now  time.Time
		want bool
	}{
		{"art 42(7): the day before the end, the data are kept", time.Date(2026, 3, 1, 23, 59, 0, 0, time.UTC), false},
		{"art 42(7): on the day the period ends, it has ended", date(2026, 3, 2), true},
		{"art 42(7): after the end", date(2026, 4, 1), true},
		{"art 42(7): on day 0 of 60", date(2026, 1, 1), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := convention.PreservationEnded(until, tt.now); got != tt.want {
				t.Errorf("PreservationEnded(%v, %v) = %v, want %v", until, tt.now, got, tt.want)
			}
		})
	}
}

// deposits returns n deposit dates, one a day from first, in reverse order
// so that the input is not sorted.
func deposits(first time.Time, n int) []time.Time {
	ds := make([]time.Time, n)
	for i := range n {
		ds[n-1-i] = first.AddDate(0, 0, i)
	}
	return ds
}

func TestEntryIntoForce(t *testing.T) {
	// 40 deposits from 2026-02-04: the 40th on 2026-03-15, in force on the
	// 90th day after, 2026-06-13.
	forty := deposits(date(2026, 2, 4), 40)
	// The 40th by date is in the middle of the slice, followed by later ones.
	shuffled := slices.Concat(deposits(date(2026, 5, 1), 5), forty[:20], deposits(date(2027, 1, 1), 3), forty[20:])
	// UNCAC (art. 68) came into force on 14 December 2005, 90 days after
	// its 30th instrument on 15 September 2005; same rule, 40th here.
	uncacLike := slices.Concat(deposits(date(2004, 1, 1), 39), []time.Time{date(2005, 9, 15)})
	withHours := slices.Clone(forty)
	withHours[0] = time.Date(2026, 3, 15, 23, 59, 0, 0, time.UTC) // the 40th, late in the day

	tests := []struct {
		name     string
		deposits []time.Time
		want     time.Time
		ok       bool
	}{
		{"art 65(1): no instrument deposited", nil, time.Time{}, false},
		{"art 65(1): one instrument", []time.Time{date(2025, 11, 1)}, time.Time{}, false},
		{"art 65(1): 39 instruments, not in force", forty[1:], time.Time{}, false},
		{"art 65(1): 40 instruments, 90th day after the 40th", forty, date(2026, 6, 13), true},
		{"art 65(1): 40th by date among 48 unsorted deposits", shuffled, date(2026, 6, 13), true},
		{"art 65(1): 90 days as for UNCAC", uncacLike, date(2005, 12, 14), true},
		{"art 65(1): the hour of the 40th deposit does not count", withHours, date(2026, 6, 13), true},
		{"art 65(1): 40 deposits on one day", slices.Repeat([]time.Time{date(2026, 1, 10)}, 40), date(2026, 4, 10), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := slices.Clone(tt.deposits)
			got, ok := convention.EntryIntoForce(tt.deposits)
			if ok != tt.ok || !got.Equal(tt.want) {
				t.Errorf("EntryIntoForce(%d deposits) = %v, %v, want %v, %v", len(tt.deposits), got, ok, tt.want, tt.ok)
			}
			if !slices.Equal(tt.deposits, before) {
				t.Errorf("EntryIntoForce(%d deposits) reordered its input, want it unchanged", len(tt.deposits))
			}
		})
	}
	if convention.InstrumentsForEntryIntoForce != 40 || convention.EntryIntoForceDays != 90 || convention.LaterPartyDays != 30 {
		t.Errorf("InstrumentsForEntryIntoForce, EntryIntoForceDays, LaterPartyDays = %d, %d, %d, want 40, 90, 30 (art. 65)",
			convention.InstrumentsForEntryIntoForce, convention.EntryIntoForceDays, convention.LaterPartyDays)
	}
}

func TestEntryIntoForceFor(t *testing.T) {
	general := date(2026, 6, 13)
	tests := []struct {
		name             string
		deposit, general time.Time
		want             time.Time
	}{
		{"art 65(2): deposit after entry into force, 30th day after", date(2026, 9, 1), general, date(2026, 10, 1)},
		{"art 65(2): deposit across the year end", date(2026, 12, 15), general, date(2027, 1, 14)},
		{"art 65(2): deposit shortly before the general date, 30th day after is later", date(2026, 6, 1), general, date(2026, 7, 1)},
		{"art 65(2): early deposit, the general date is later", date(2026, 3, 1), general, general},
		{"art 65(2): 30th day after deposit is the general date", date(2026, 5, 14), general, general},
		{"art 65(2): the hour of the deposit does not count", time.Date(2026, 9, 1, 22, 0, 0, 0, time.UTC), general, date(2026, 10, 1)},
		{"art 65(2): the hour of the general date does not count", date(2026, 3, 1), time.Date(2026, 6, 13, 12, 0, 0, 0, time.UTC), general},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := convention.EntryIntoForceFor(tt.deposit, tt.general); !got.Equal(tt.want) {
				t.Errorf("EntryIntoForceFor(%v, %v) = %v, want %v", tt.deposit, tt.general, got, tt.want)
			}
		})
	}
}
