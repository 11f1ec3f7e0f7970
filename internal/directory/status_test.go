package directory

import (
	"encoding/json"
	"slices"
	"testing"
	"time"

	"entraide/internal/convention"
)

// states returns the codes of the first n member States, in code order,
// skipping the ones named in skip.
func states(t *testing.T, n int, skip ...string) []string {
	t.Helper()
	var codes []string
	for _, p := range Participants() {
		if len(codes) == n {
			break
		}
		if p.Status == Member && !slices.Contains(skip, p.Code) {
			codes = append(codes, p.Code)
		}
	}
	if len(codes) < n {
		t.Fatalf("only %d member States", len(codes))
	}
	return codes
}

// deposits gives each State a signature in Hanoi and a ratification, the
// i-th on first plus i days, so the last is the latest.
func deposits(codes []string, first time.Time) []TreatyRecord {
	recs := make([]TreatyRecord, len(codes))
	for i, code := range codes {
		recs[i] = TreatyRecord{Code: code, Signed: date("2025-10-25"), SignedAt: "Hanoi",
			Deposited: first.AddDate(0, 0, i), Instrument: Ratification}
	}
	return recs
}

func ptr(t time.Time) *time.Time { return &t }

func TestComputeStatus(t *testing.T) {
	n := convention.InstrumentsForEntryIntoForce
	first := date("2026-01-01")
	fortieth := first.AddDate(0, 0, n-1) // 2026-02-09
	general := date("2026-05-10")        // the 90th day after 2026-02-09
	eu := TreatyRecord{Code: "EUU", Signed: date("2025-10-25"), SignedAt: "Hanoi"}
	euDeposit := func(d time.Time) TreatyRecord { r := eu; r.Deposited, r.Instrument = d, Approval; return r }
	later := TreatyRecord{Code: "VNM", Signed: date("2025-10-25"), SignedAt: "Hanoi", Deposited: date("2026-08-01"), Instrument: Ratification}
	justBefore := TreatyRecord{Code: "VNM", Signed: date("2025-10-25"), Deposited: date("2026-04-30"), Instrument: Ratification}
	accession := TreatyRecord{Code: "VAT", Deposited: date("2026-03-01"), Instrument: Accession}
	forty := deposits(states(t, n, "VNM"), first)
	thirtyNine := forty[:n-1]

	type party struct {
		code        string
		counts      bool
		inForceFrom *time.Time
	}
	tests := []struct {
		name        string
		recs        []TreatyRecord
		asOf        time.Time
		signatories int
		instruments int
		eif         *time.Time
		inForce     bool
		summary     string
		parties     []party // checked only for the codes listed
	}{
		{
			name: "nothing yet", recs: nil, asOf: first,
			summary: "not yet: 0 of 40",
		},
		{
			name: "art 65(1): 39 instruments are not enough", recs: thirtyNine, asOf: date("2030-01-01"),
			signatories: 39, instruments: 39, summary: "not yet: 39 of 40",
			parties: []party{{forty[0].Code, true, nil}},
		},
		{
			name: "art 65(1): 90th day after the 40th deposit, before it", recs: forty, asOf: general.AddDate(0, 0, -1),
			signatories: 40, instruments: 40, eif: &general, summary: "enters into force on 2026-05-10",
			parties: []party{{forty[0].Code, true, &general}, {forty[n-1].Code, true, &general}},
		},
		{
			name: "art 65(1): in force on the 90th day", recs: forty, asOf: general,
			signatories: 40, instruments: 40, eif: &general, inForce: true, summary: "in force since 2026-05-10",
		},
		{
			name: "art 65(1): asOf late in the day, in another zone", recs: forty,
			asOf:        time.Date(2026, 5, 9, 23, 0, 0, 0, time.FixedZone("UTC-2", -2*3600)),
			signatories: 40, instruments: 40, eif: &general, inForce: true, summary: "in force since 2026-05-10",
		},
		{
			name: "art 65(1): deposits in any order", recs: append([]TreatyRecord{forty[n-1]}, forty[:n-1]...), asOf: general,
			signatories: 40, instruments: 40, eif: &general, inForce: true, summary: "in force since 2026-05-10",
		},
		{
			name: "art 65(1): EU instrument does not count", recs: append(append([]TreatyRecord{}, thirtyNine...), euDeposit(fortieth)), asOf: date("2030-01-01"),
			signatories: 40, instruments: 39, summary: "not yet: 39 of 40",
			parties: []party{{"EUU", false, nil}},
		},
		{
			name: "art 65(1): EU deposits first, 40 States later", recs: append([]TreatyRecord{euDeposit(date("2025-12-01"))}, forty...), asOf: general,
			signatories: 41, instruments: 40, eif: &general, inForce: true, summary: "in force since 2026-05-10",
			parties: []party{{"EUU", false, &general}},
		},
		{
			name: "art 65(2): the EU joins later, 30 days after its deposit", recs: append(append([]TreatyRecord{}, forty...), euDeposit(date("2026-09-01"))), asOf: date("2026-09-15"),
			signatories: 41, instruments: 40, eif: &general, inForce: true, summary: "in force since 2026-05-10",
			parties: []party{{"EUU", false, ptr(date("2026-10-01"))}},
		},
		{
			name: "art 65(2): a later party, 30 days after its deposit", recs: append(append([]TreatyRecord{}, forty...), later), asOf: date("2026-08-15"),
			signatories: 41, instruments: 41, eif: &general, inForce: true, summary: "in force since 2026-05-10",
			parties: []party{{"VNM", true, ptr(date("2026-08-31"))}},
		},
		{
			name: "art 65(2): a deposit 10 days before entry into force", recs: append(append([]TreatyRecord{}, forty...), justBefore), asOf: general,
			signatories: 41, instruments: 41, eif: &general, inForce: true, summary: "in force since 2026-05-10",
			parties: []party{{"VNM", true, ptr(date("2026-05-30"))}},
		},
		{
			name: "art 65(1): an accession counts without a signature", recs: append(append([]TreatyRecord{}, thirtyNine...), accession), asOf: general,
			signatories: 39, instruments: 40, eif: ptr(date("2026-05-30")), summary: "enters into force on 2026-05-30",
			parties: []party{{"VAT", true, ptr(date("2026-05-30"))}},
		},
		{
			name: "signatures only", recs: []TreatyRecord{eu, {Code: "FRA", Signed: date("2025-10-25")}}, asOf: first,
			signatories: 2, summary: "not yet: 0 of 40",
			parties: []party{{"EUU", false, nil}, {"FRA", false, nil}},
		},
		{
			name: "unknown codes and empty records are left out", recs: []TreatyRecord{{Code: "XXX", Deposited: first, Instrument: Accession}, {Code: "FRA"}}, asOf: first,
			summary: "not yet: 0 of 40",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := ComputeStatus(tt.recs, tt.asOf)
			if st.Signatories != tt.signatories || st.Instruments != tt.instruments || st.Required != n {
				t.Errorf("Signatories, Instruments, Required = %d, %d, %d; want %d, %d, %d",
					st.Signatories, st.Instruments, st.Required, tt.signatories, tt.instruments, n)
			}
			if !sameDate(st.EntryIntoForce, tt.eif) || st.InForce != tt.inForce {
				t.Errorf("EntryIntoForce, InForce = %v, %v; want %v, %v", fmtDate(st.EntryIntoForce), st.InForce, fmtDate(tt.eif), tt.inForce)
			}
			if st.Summary != tt.summary {
				t.Errorf("Summary = %q, want %q", st.Summary, tt.summary)
			}
			byCode := map[string]PartyStatus{}
			for i, p := range st.Parties {
				if i > 0 && st.Parties[i-1].Code >= p.Code {
					t.Errorf("Parties not sorted by code: %s before %s", st.Parties[i-1].Code, p.Code)
				}
				byCode[p.Code] = p
			}
			for _, want := range tt.parties {
				got, ok := byCode[want.code]
				if !ok {
					t.Errorf("no party %s", want.code)
					continue
				}
				if got.Counts != want.counts || !sameDate(got.InForceFrom, want.inForceFrom) {
					t.Errorf("party %s: Counts, InForceFrom = %v, %v; want %v, %v",
						want.code, got.Counts, fmtDate(got.InForceFrom), want.counts, fmtDate(want.inForceFrom))
				}
			}
		})
	}
}

func sameDate(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Equal(*b)
}

func fmtDate(t *time.Time) string {
	if t == nil {
		return "nil"
	}
	return t.Format(time.DateOnly)
}

func TestComputeStatusParty(t *testing.T) {
	recs := []TreatyRecord{{Code: "FRA", Signed: date("2025-10-25"), SignedAt: "Hanoi", Deposited: date("2026-02-01"), Instrument: Approval}}
	st := ComputeStatus(recs, date("2026-03-01"))
	if len(st.Parties) != 1 {
		t.Fatalf("len(Parties) = %d, want 1", len(st.Parties))
	}
	p := st.Parties[0]
	if p.Code != "FRA" || p.Name != "France" || fmtDate(p.Signed) != "2025-10-25" || fmtDate(p.Deposited) != "2026-02-01" || p.Instrument != Approval || !p.Counts || p.InForceFrom != nil {
		t.Errorf("party = %+v, want France, signed 2025-10-25, approval deposited 2026-02-01, counting, no date in force", p)
	}
}

func TestTreatyStatusJSON(t *testing.T) {
	b, err := json.Marshal(ComputeStatus(nil, date("2026-01-01")))
	if err != nil {
		t.Fatal(err)
	}
	want := `{"signatories":0,"instruments":0,"bound":0,"required":40,"in_force":false,"summary":"not yet: 0 of 40","as_of":"2026-01-01T00:00:00Z","partial":true,"source":"UN Treaty Collection, chapter XVIII-16 (treaties.un.org); this node's records are partial","parties":[]}`
	if string(b) != want {
		t.Errorf("JSON = %s, want %s", b, want)
	}
	b, err = json.Marshal(TreatyRecord{Code: "VAT", Deposited: date("2026-03-01"), Instrument: Accession})
	if err != nil {
		t.Fatal(err)
	}
	want = `{"code":"VAT","deposited":"2026-03-01T00:00:00Z","instrument":"accession"}`
	if string(b) != want {
		t.Errorf("JSON = %s, want %s", b, want)
	}
}

// A deposit dated after the day asked about has not happened yet: it
// neither counts toward the 40 nor binds its party (art. 65).
func TestComputeStatusFutureDeposit(t *testing.T) {
	n := convention.InstrumentsForEntryIntoForce
	first := date("2026-01-01")
	forty := deposits(states(t, n), first) // the 40th on 2026-02-09
	tests := []struct {
		name        string
		asOf        time.Time
		instruments int
		summary     string
	}{
		{"art 65(1): the 40th deposit dated tomorrow does not count today", date("2026-02-08"), n - 1, "not yet: 39 of 40"},
		{"art 65(1): the 40th deposit counts on its day", date("2026-02-09"), n, "enters into force on 2026-05-10"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := ComputeStatus(forty, tt.asOf)
			if st.Instruments != tt.instruments || st.Summary != tt.summary {
				t.Errorf("ComputeStatus(asOf %s) = %d instruments, %q; want %d, %q", tt.asOf.Format(time.DateOnly), st.Instruments, st.Summary, tt.instruments, tt.summary)
			}
			for _, p := range st.Parties {
				if p.Deposited != nil && p.Deposited.After(tt.asOf) && (p.Counts || p.InForceFrom != nil) {
					t.Errorf("party %s deposited %s after %s: counts %v, in force from %v; want neither", p.Code, p.Deposited.Format(time.DateOnly), tt.asOf.Format(time.DateOnly), p.Counts, p.InForceFrom)
				}
			}
			if !st.Partial || st.Source == "" || !st.AsOf.Equal(tt.asOf) {
				t.Errorf("ComputeStatus = partial %v, source %q, as of %v; want partial, a source, as of %v", st.Partial, st.Source, st.AsOf, tt.asOf)
			}
		})
	}
}

// A denunciation takes effect one year after the Secretary-General
// receives it (art. 67): the party stays bound until then, and the count
// toward entry into force stays as it was.
func TestComputeStatusDenunciation(t *testing.T) {
	n := convention.InstrumentsForEntryIntoForce
	forty := deposits(states(t, n), date("2026-01-01")) // in force 2026-05-10
	denounced := slices.Clone(forty)
	denounced[0].Denounced = date("2027-03-01")
	code := denounced[0].Code
	tests := []struct {
		name    string
		asOf    time.Time
		bound   bool
		until   *time.Time
		nBound  int
		inForce bool
	}{
		{"art 67: before the denunciation is received, nothing changes", date("2027-02-28"), true, nil, n, true},
		{"art 67: received, the party is bound for a year more", date("2027-03-01"), true, ptr(date("2028-03-01")), n, true},
		{"art 67: the day before it takes effect, still bound", date("2028-02-29"), true, ptr(date("2028-03-01")), n, true},
		{"art 67: one year after receipt, the party is bound no more; the Convention stays in force", date("2028-03-01"), false, ptr(date("2028-03-01")), n - 1, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := ComputeStatus(denounced, tt.asOf)
			if st.Bound != tt.nBound || st.InForce != tt.inForce || st.Instruments != n {
				t.Errorf("ComputeStatus = %d bound, in force %v, %d instruments; want %d, %v, %d", st.Bound, st.InForce, st.Instruments, tt.nBound, tt.inForce, n)
			}
			for _, p := range st.Parties {
				if p.Code != code {
					continue
				}
				if p.Bound != tt.bound || fmtDate(p.InForceUntil) != fmtDate(tt.until) {
					t.Errorf("party %s = bound %v until %s, want bound %v until %s", code, p.Bound, fmtDate(p.InForceUntil), tt.bound, fmtDate(tt.until))
				}
			}
		})
	}
}
