package funds

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestRateTableConvert(t *testing.T) {
	fri := time.Date(2026, 2, 27, 0, 0, 0, 0, time.UTC)
	rates, err := NewRateTable("EUR", []Rate{
		{Day: fri, Currency: "USD", PerUnit: "0.5"},
		{Day: fri.AddDate(0, 0, 3), Currency: "USD", PerUnit: "0.9182"},
		{Day: fri, Currency: "BTC", PerUnit: "60000"},
	})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name     string
		micros   int64
		currency string
		day      time.Time
		want     int64
	}{
		{"own currency 1:1", 123, "EUR", fri.AddDate(1, 0, 0), 123},
		{"the day's rate", 1_000_000, "USD", fri.AddDate(0, 0, 3).Add(15 * time.Hour), 918_200},
		{"a weekend takes Friday's rate", 1_000_000, "USD", fri.AddDate(0, 0, 2), 500_000},
		{"half rounds to even, down", 5, "USD", fri, 2},             // 2.5 → 2
		{"half rounds to even, up", 7, "USD", fri, 4},               // 3.5 → 4
		{"above half rounds up", 1, "USD", fri.AddDate(0, 0, 3), 1}, // 0.9182 → 1
		{"negative amounts round alike", -7, "USD", fri, -4},
		{"a rate 7 days old still serves", 2, "USD", fri.AddDate(0, 0, 10), 2}, // 1.8364 → 2
		{"an asset", 1_000, "BTC", fri, 60_000_000},
	}
	for _, c := range cases {
		got, err := rates.Convert(c.micros, c.currency, c.day)
		if err != nil || got != c.want {
			t.Errorf("%s: Convert(%d, %s, %s) = %d, %v; want %d", c.name, c.micros, c.currency, c.day.Format(time.DateOnly), got, err, c.want)
		}
	}

	for _, c := range []struct {
		name     string
		currency string
		day      time.Time
	}{
		{"before the first rate", "USD", fri.AddDate(0, 0, -1)},
		{"8 days after the last rate", "USD", fri.AddDate(0, 0, 11)},
		{"a currency with no rate", "GBP", fri},
	} {
		_, err := rates.Convert(100, c.currency, c.day)
		d := c.day.Format(time.DateOnly)
		if !errors.Is(err, ErrNoRate) || !strings.Contains(err.Error(), c.currency) || !strings.Contains(err.Error(), d) || !strings.Contains(err.Error(), "load") {
			t.Errorf("%s: Convert = %v, want ErrNoRate naming %s and %s and what to load", c.name, err, c.currency, d)
		}
	}
	if _, err := rates.Convert(1<<62, "BTC", fri); err == nil || errors.Is(err, ErrNoRate) {
		t.Errorf("Convert of an amount that overflows = %v, want an overflow error", err)
	}
}

func TestNewRateTableRefuses(t *testing.T) {
	day := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	cases := []struct {
		name     string
		currency string
		rates    []Rate
		want     string
	}{
		{"a bad table currency", "euro", nil, `currency "euro"`},
		{"a bad rate currency", "EUR", []Rate{{day, "usd", "1"}}, "rate 1"},
		{"the table's own currency", "EUR", []Rate{{day, "EUR", "1"}}, "1:1"},
		{"a comma", "EUR", []Rate{{day, "USD", "0,9"}}, `per_unit "0,9"`},
		{"an exponent", "EUR", []Rate{{day, "USD", "9e-1"}}, "per_unit"},
		{"a sign", "EUR", []Rate{{day, "USD", "-0.9"}}, "per_unit"},
		{"a bare point", "EUR", []Rate{{day, "USD", ".9"}}, "per_unit"},
		{"zero", "EUR", []Rate{{day, "USD", "0.000"}}, "zero"},
		{"a day twice", "EUR", []Rate{{day, "USD", "0.9"}, {day.Add(time.Hour), "USD", "0.8"}}, "two rates for USD on 2026-03-02"},
	}
	for _, c := range cases {
		_, err := NewRateTable(c.currency, c.rates)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: NewRateTable = %v, want an error containing %q", c.name, err, c.want)
		}
	}
}
