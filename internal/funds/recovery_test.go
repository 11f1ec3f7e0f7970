package funds_test

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"entraide/internal/convention"
	"entraide/internal/funds"
)

const eur = 1_000_000 // one euro in millionths

// asset returns an asset of 10,000 EUR traced, in status s, with the
// amounts of the steps before s.
func asset(s funds.AssetStatus) funds.Asset {
	a := funds.Asset{ID: "a1", CaseID: "c1", State: "FRA", Jurisdiction: "VNM", Currency: "EUR", Traced: 10_000 * eur, Status: s}
	switch s {
	case funds.AssetReturned:
		a.Returned = 7_000 * eur
		fallthrough
	case funds.AssetConfiscated:
		a.Confiscated = 8_000 * eur
		fallthrough
	case funds.AssetConfiscationRequested, funds.AssetFrozen:
		a.Frozen = 9_000 * eur
	}
	return a
}

// TestAssetApply: each step of recovery follows the statuses it may
// follow and needs the amounts its article asks, checked exactly.
func TestAssetApply(t *testing.T) {
	at := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	type want struct {
		field string
		ref   convention.Ref
	}
	tests := []struct {
		name     string
		from     funds.AssetStatus
		step     funds.AssetStep
		problems []want
		warn     string
		check    func(funds.Asset) bool
	}{
		{name: "art 50(3)(c): freezing requested of a traced asset", from: funds.AssetTraced,
			step:  funds.AssetStep{Status: funds.AssetFreezingRequested, Request: "r1"},
			check: func(a funds.Asset) bool { return a.FreezingRequest == "r1" }},
		{name: "art 31: own State freezes a traced asset without a request", from: funds.AssetTraced,
			step:  funds.AssetStep{Status: funds.AssetFrozen, Amount: 10_000 * eur},
			check: func(a funds.Asset) bool { return a.Frozen == 10_000*eur }},
		{name: "art 31: frozen needs its amount", from: funds.AssetFreezingRequested,
			step: funds.AssetStep{Status: funds.AssetFrozen}, problems: []want{{"amount", funds.RefFreezing}}},
		{name: "art 50(8): frozen beyond the traced amount is allowed, with a warning", from: funds.AssetFreezingRequested,
			step: funds.AssetStep{Status: funds.AssetFrozen, Amount: 12_000*eur + 1}, warn: "exceeds the amount traced, 10000 EUR, by 2000.000001",
			check: func(a funds.Asset) bool { return a.Frozen == 12_000*eur+1 }},
		{name: "art 31: a frozen amount changes when the bank finds more", from: funds.AssetFrozen,
			step:  funds.AssetStep{Status: funds.AssetFrozen, Amount: 9_500 * eur},
			check: func(a funds.Asset) bool { return a.Frozen == 9_500*eur }},
		{name: "art 49: confiscation only of what was frozen", from: funds.AssetTraced,
			step: funds.AssetStep{Status: funds.AssetConfiscated, Amount: eur}, problems: []want{{"status", funds.RefConfiscation}, {"amount", funds.RefConfiscation}}},
		{name: "art 50(3)(a): confiscation requested takes no amount", from: funds.AssetFrozen,
			step: funds.AssetStep{Status: funds.AssetConfiscationRequested, Amount: eur}, problems: []want{{"amount", funds.RefConfiscationRequest}}},
		{name: "art 49: confiscated exactly the amount frozen", from: funds.AssetConfiscationRequested,
			step:  funds.AssetStep{Status: funds.AssetConfiscated, Amount: 9_000 * eur, Request: "r2"},
			check: func(a funds.Asset) bool { return a.Confiscated == 9_000*eur && a.ConfiscationRequest == "r2" }},
		{name: "art 49: confiscated one millionth more than frozen", from: funds.AssetConfiscationRequested,
			step: funds.AssetStep{Status: funds.AssetConfiscated, Amount: 9_000*eur + 1}, problems: []want{{"amount", funds.RefConfiscation}}},
		{name: "art 52: returned with expenses deducted and victims compensated", from: funds.AssetConfiscated,
			// 8,000 confiscated = 7,500 returned + 500 expenses; the victims
			// get 5,000 + 2,500 = 7,500, all of it.
			step: funds.AssetStep{Status: funds.AssetReturned, Amount: 7_500 * eur, Expenses: 500 * eur,
				Victims: []funds.Victim{{"V-1", 5_000 * eur}, {"V-2", 2_500 * eur}}},
			check: func(a funds.Asset) bool {
				return a.Returned == 7_500*eur && a.Expenses == 500*eur && a.Compensated == 7_500*eur
			}},
		{name: "art 52(3): returned plus expenses beyond the confiscated amount", from: funds.AssetConfiscated,
			step: funds.AssetStep{Status: funds.AssetReturned, Amount: 7_500*eur + 1, Expenses: 500 * eur}, problems: []want{{"amount", funds.RefExpenses}}},
		{name: "art 52(2): victims paid more than returned", from: funds.AssetConfiscated,
			step: funds.AssetStep{Status: funds.AssetReturned, Amount: 7_000 * eur,
				Victims: []funds.Victim{{"V-1", 5_000 * eur}, {"V-2", 2_000*eur + 1}}},
			problems: []want{{"victims", funds.RefVictims}}},
		{name: "art 52(2): a victim line without reference or amount, and a victim twice", from: funds.AssetConfiscated,
			step: funds.AssetStep{Status: funds.AssetReturned, Amount: 7_000 * eur,
				Victims: []funds.Victim{{" ", eur}, {"V-1", 0}, {"V-2", eur}, {"V-2", eur}}},
			problems: []want{{"victims[0].reference", funds.RefVictims}, {"victims[1].amount", funds.RefVictims}, {"victims[3].reference", funds.RefVictims}}},
		{name: "art 52(2): victims' lines that overflow int64", from: funds.AssetConfiscated,
			step: funds.AssetStep{Status: funds.AssetReturned, Amount: 7_000 * eur,
				Victims: []funds.Victim{{"V-1", 1 << 62}, {"V-2", 1 << 62}, {"V-3", 1 << 62}}},
			problems: []want{{"victims", funds.RefVictims}}},
		{name: "art 52(3): expenses only at the return", from: funds.AssetFrozen,
			step:     funds.AssetStep{Status: funds.AssetConfiscated, Amount: eur, Expenses: eur, Victims: []funds.Victim{{"V-1", eur}}},
			problems: []want{{"expenses", funds.RefConfiscation}, {"victims", funds.RefConfiscation}}},
		{name: "art 52: return only after confiscation", from: funds.AssetFrozen,
			step: funds.AssetStep{Status: funds.AssetReturned, Amount: eur}, problems: []want{{"status", funds.RefReturn}, {"amount", funds.RefExpenses}}},
		{name: "art 50(8): release needs why", from: funds.AssetFrozen,
			step: funds.AssetStep{Status: funds.AssetReleased}, problems: []want{{"note", funds.RefLifting}}},
		{name: "art 50(8): released for de minimis value", from: funds.AssetFrozen,
			step:  funds.AssetStep{Status: funds.AssetReleased, Note: "de minimis; requesting State heard on 2026-11-20"},
			check: func(a funds.Asset) bool { return a.Status == funds.AssetReleased && a.Frozen == 9_000*eur }},
		{name: "art 50(8): nothing to release of a traced asset", from: funds.AssetTraced,
			step: funds.AssetStep{Status: funds.AssetReleased, Note: "x"}, problems: []want{{"status", funds.RefLifting}}},
		{name: "art 50(8): refused needs the ground", from: funds.AssetConfiscationRequested,
			step: funds.AssetStep{Status: funds.AssetRefused}, problems: []want{{"note", funds.RefLifting}}},
		{name: "art 52: returned is final", from: funds.AssetReturned,
			step: funds.AssetStep{Status: funds.AssetReleased, Note: "x"}, problems: []want{{"status", funds.RefLifting}}},
		{name: "art 50(8): back to traced is no step", from: funds.AssetFrozen,
			step: funds.AssetStep{Status: funds.AssetTraced}, problems: []want{{"status", funds.RefLifting}}},
		{name: "art 31: negative amount", from: funds.AssetTraced,
			step: funds.AssetStep{Status: funds.AssetFrozen, Amount: -1}, problems: []want{{"amount", funds.RefFreezing}, {"amount", funds.RefFreezing}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := asset(tt.from)
			got, e, warnings, err := before.Apply(tt.step, "fra-ca", at)
			if len(tt.problems) > 0 {
				var ps convention.Problems
				if !errors.As(err, &ps) {
					t.Fatalf("Apply = %v, want problems %v", err, tt.problems)
				}
				var gotw []want
				for _, p := range ps {
					gotw = append(gotw, want{p.Field, p.Ref})
				}
				if len(gotw) != len(tt.problems) {
					t.Fatalf("Apply problems = %v, want %v", ps, tt.problems)
				}
				for i := range gotw {
					if gotw[i] != tt.problems[i] {
						t.Errorf("problem %d = %s (%s), want %s (%s): %v", i, gotw[i].field, gotw[i].ref.Cite(), tt.problems[i].field, tt.problems[i].ref.Cite(), ps)
					}
				}
				if got != before {
					t.Errorf("Apply changed the asset on error: %+v", got)
				}
				return
			}
			if err != nil {
				t.Fatalf("Apply = %v, want nil", err)
			}
			if got.Status != tt.step.Status || !got.UpdatedAt.Equal(at) || e.Status != tt.step.Status || e.By != "fra-ca" || e.Amount != tt.step.Amount {
				t.Errorf("Apply = %+v, event %+v; want status %s at %s by fra-ca", got, e, tt.step.Status, at)
			}
			if tt.check != nil && !tt.check(got) {
				t.Errorf("Apply = %+v: amounts or requests not as the step says", got)
			}
			if tt.warn == "" && len(warnings) > 0 {
				t.Errorf("warnings = %q, want none", warnings)
			}
			if tt.warn != "" && (len(warnings) != 1 || !strings.Contains(warnings[0], tt.warn)) {
				t.Errorf("warnings = %q, want one containing %q", warnings, tt.warn)
			}
		})
	}
}

// TestAssetLifecycle walks an asset from traced to returned.
func TestAssetLifecycle(t *testing.T) {
	a := asset(funds.AssetTraced)
	at := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	for _, s := range []funds.AssetStep{
		{Status: funds.AssetFreezingRequested, Request: "rf"},
		{Status: funds.AssetFrozen, Amount: 10_000 * eur},
		{Status: funds.AssetConfiscationRequested, Request: "rc"},
		{Status: funds.AssetConfiscated, Amount: 10_000 * eur},
		{Status: funds.AssetReturned, Amount: 9_750 * eur, Expenses: 250 * eur, Victims: []funds.Victim{{"V-1", 9_750 * eur}}, Request: "rr"},
	} {
		var err error
		if a, _, _, err = a.Apply(s, "fra-ca", at); err != nil {
			t.Fatalf("Apply(%s) = %v", s.Status, err)
		}
	}
	want := funds.Asset{ID: "a1", CaseID: "c1", State: "FRA", Jurisdiction: "VNM", Currency: "EUR", Traced: 10_000 * eur, Frozen: 10_000 * eur,
		Confiscated: 10_000 * eur, Returned: 9_750 * eur, Expenses: 250 * eur, Compensated: 9_750 * eur, Status: funds.AssetReturned,
		FreezingRequest: "rf", ConfiscationRequest: "rc", ReturnRequest: "rr", UpdatedAt: at}
	if a != want {
		t.Errorf("after the lifecycle: %+v\nwant %+v", a, want)
	}
	if !a.Status.Final() {
		t.Errorf("returned is not final")
	}
}

func TestMicros(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want int64
		bad  bool
	}{
		{"1234.5", 1_234_500_000, false},
		{"0.000001", 1, false},
		{"7", 7_000_000, false},
		{"9223372036854.775807", 9223372036854775807, false},
		{"9223372036854.775808", 0, true},
		{"1.0000001", 0, true},
		{"-1", 0, true},
		{"1,5", 0, true},
		{"1e3", 0, true},
		{".5", 0, true},
		{"5.", 0, true},
		{"", 0, true},
	} {
		got, err := funds.ParseMicros(tt.in)
		if (err != nil) != tt.bad || got != tt.want {
			t.Errorf("ParseMicros(%q) = %d, %v; want %d, error %v", tt.in, got, err, tt.want, tt.bad)
		}
		if !tt.bad {
			if back, _ := funds.ParseMicros(funds.FormatMicros(got)); back != got {
				t.Errorf("FormatMicros(%d) = %q does not read back", got, funds.FormatMicros(got))
			}
		}
	}
	if got := funds.FormatMicros(-1_500_000); got != "-1.5" {
		t.Errorf("FormatMicros(-1500000) = %q", got)
	}
}

// TestAssetNext checks the steps offered after each status are those the
// lifecycle accepts, and none after the last.
func TestAssetNext(t *testing.T) {
	cases := map[funds.AssetStatus][]funds.AssetStatus{
		funds.AssetTraced:                {funds.AssetFreezingRequested, funds.AssetFrozen},
		funds.AssetFreezingRequested:     {funds.AssetFrozen, funds.AssetReleased, funds.AssetRefused},
		funds.AssetFrozen:                {funds.AssetFrozen, funds.AssetConfiscationRequested, funds.AssetConfiscated, funds.AssetReleased},
		funds.AssetConfiscationRequested: {funds.AssetConfiscated, funds.AssetReleased, funds.AssetRefused},
		funds.AssetConfiscated:           {funds.AssetReturned},
		funds.AssetReturned:              nil,
		funds.AssetReleased:              nil,
		funds.AssetRefused:               nil,
	}
	for s, want := range cases {
		if got := s.Next(); !slices.Equal(got, want) {
			t.Errorf("%s: next %v, want %v", s, got, want)
		}
	}
}
