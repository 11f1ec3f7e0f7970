package convention_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"entraide/internal/convention"
)

func TestParseTime(t *testing.T) {
	tests := []struct {
		name   string
		layout string
		in     string
		want   string // in UTC, RFC 3339; "" for an error
	}{
		{"UTC", time.RFC3339, "2026-03-01T10:00:00Z", "2026-03-01T10:00:00Z"},
		{"an offset is moved to UTC", time.RFC3339, "2026-03-01T10:00:00+02:00", "2026-03-01T08:00:00Z"},
		{"the last second of 9999 in UTC", time.RFC3339, "9999-12-31T23:59:59Z", "9999-12-31T23:59:59Z"},
		{"9999 at its offset is 10000 in UTC", time.RFC3339, "9999-12-31T23:00:00-05:00", ""},
		{"1970 at its offset is 1969 in UTC", time.RFC3339, "1970-01-01T00:30:00+01:00", ""},
		{"the first instant of 1970", time.RFC3339, "1970-01-01T00:00:00Z", "1970-01-01T00:00:00Z"},
		{"fractions of a second", time.RFC3339Nano, "2026-03-01T10:00:00.123456789-03:30", "2026-03-01T13:30:00.123456789Z"},
		{"before 1970", time.RFC3339, "1969-12-31T23:59:59Z", ""},
		{"year 1 is not 'not given'", time.RFC3339, "0001-01-01T00:00:00Z", ""},
		{"year 0", time.RFC3339, "0000-06-01T00:00:00Z", ""},
		{"not a time", time.RFC3339, "tomorrow", ""},
		{"empty", time.RFC3339, "", ""},
		{"a date", time.DateOnly, "2026-03-01", "2026-03-01T00:00:00Z"},
		{"time's zero as a date", time.DateOnly, "0001-01-01", ""},
		{"a date before 1970", time.DateOnly, "1969-12-31", ""},
		{"the last date", time.DateOnly, "9999-12-31", "9999-12-31T00:00:00Z"},
		{"a date with a time", time.DateOnly, "2026-03-01T00:00:00Z", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := convention.ParseTime("until", tt.layout, tt.in)
			if tt.want == "" {
				var te *convention.TimeError
				if !errors.As(err, &te) || te.Field != "until" {
					t.Fatalf("ParseTime(%q) = %v, %v; want a *TimeError naming until", tt.in, got, err)
				}
				if !strings.HasPrefix(err.Error(), "until: ") {
					t.Errorf("ParseTime(%q) error %q, want it to start with the field", tt.in, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseTime(%q) = %v, want %s", tt.in, err, tt.want)
			}
			if got.Location() != time.UTC || got.Format(time.RFC3339Nano) != tt.want {
				t.Errorf("ParseTime(%q) = %s (%s), want %s in UTC", tt.in, got.Format(time.RFC3339Nano), got.Location(), tt.want)
			}
		})
	}
}

func TestNormalizeTime(t *testing.T) {
	ref := convention.Art(41).Para(1)
	var zero time.Time
	if ps := convention.NormalizeTime("from", ref, &zero); ps != nil || !zero.IsZero() {
		t.Errorf("NormalizeTime(zero) = %v, %v; want no problem and the zero time, which means 'not given'", ps, zero)
	}
	east := time.FixedZone("UTC+9", 9*3600)
	at := time.Date(2026, 5, 1, 9, 0, 0, 0, east)
	if ps := convention.NormalizeTime("from", ref, &at); ps != nil || at.Location() != time.UTC || at.Hour() != 0 {
		t.Errorf("NormalizeTime(09:00+09:00) = %v, %v; want 00:00 UTC", ps, at)
	}
	far := time.Date(9999, 12, 31, 23, 0, 0, 0, time.FixedZone("EST", -5*3600))
	ps := convention.NormalizeTime("until", ref, &far)
	if len(ps) != 1 || ps[0].Field != "until" || ps[0].Ref != ref || !strings.Contains(ps[0].Message, "1970 to 9999") {
		t.Errorf("NormalizeTime(year 10000 in UTC) = %v, want one problem on until citing %s", ps, ref)
	}
}

// FuzzParseTime checks that whatever text arrives, a time is either
// refused with an error naming its field, or comes back in UTC within the
// years a node stores, and survives being written and read again.
func FuzzParseTime(f *testing.F) {
	for _, s := range []string{"2026-03-01T10:00:00Z", "9999-12-31T23:00:00-05:00", "1970-01-01T00:00:00+00:01",
		"0001-01-01T00:00:00Z", "2026-03-01T10:00:00.999999999+23:59", "2026-03-01", "9999-12-31", "\xff", ""} {
		f.Add(s, false)
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, s string, date bool) {
		layout := time.RFC3339Nano
		if date {
			layout = time.DateOnly
		}
		got, err := convention.ParseTime("at", layout, s)
		if err != nil {
			var te *convention.TimeError
			if !errors.As(err, &te) || te.Field != "at" {
				t.Fatalf("ParseTime(%q) error %v, want a *TimeError naming at", s, err)
			}
			return
		}
		if got.Location() != time.UTC || got.Before(convention.EarliestTime) || got.After(convention.LatestTime) {
			t.Fatalf("ParseTime(%q) = %s, want a UTC time in 1970-9999", s, got)
		}
		again, err := convention.ParseTime("at", time.RFC3339Nano, got.Format(time.RFC3339Nano))
		if err != nil || !again.Equal(got) {
			t.Fatalf("ParseTime(%q) = %s, which reads back as %s, %v", s, got, again, err)
		}
	})
}
