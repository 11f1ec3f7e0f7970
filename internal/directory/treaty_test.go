package directory

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"
)

func date(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

// parse is ParseTreatyStatus over a string, for tables.
func parse(s string) ([]TreatyRecord, error) {
	return ParseTreatyStatus(strings.NewReader(s))
}

const hdr = TreatyStatusHeader + "\n"

func TestEmbeddedTreatyStatus(t *testing.T) {
	recs := EmbeddedTreatyStatus()
	st := ComputeStatus(recs, date("2026-01-01"))
	if st.Signatories != 69 {
		t.Errorf("Signatories = %d, want 69", st.Signatories)
	}
	states, orgs := 0, 0
	for _, r := range recs {
		p, ok := LookupParticipant(r.Code)
		if !ok {
			t.Fatalf("embedded record for unknown code %q", r.Code)
		}
		if p.Status == REIO {
			orgs++
		} else {
			states++
		}
	}
	if states != 68 || orgs != 1 {
		t.Errorf("embedded signatories: %d States and %d organisations, want 68 and 1", states, orgs)
	}
	if st.Instruments != 0 || st.EntryIntoForce != nil || st.InForce {
		t.Errorf("Instruments, EntryIntoForce, InForce = %d, %v, %v; want 0, nil, false", st.Instruments, st.EntryIntoForce, st.InForce)
	}
	if want := "not yet: 0 of 40"; st.Summary != want {
		t.Errorf("Summary = %q, want %q", st.Summary, want)
	}
	if len(st.Parties) != 69 {
		t.Errorf("len(Parties) = %d, want 69", len(st.Parties))
	}
	// The copy is the caller's.
	recs[0].Code = "XXX"
	if EmbeddedTreatyStatus()[0].Code == "XXX" {
		t.Error("changing the result of EmbeddedTreatyStatus() changed the embedded data")
	}
}

func TestTreatyStatusRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		recs []TreatyRecord
	}{
		{"embedded file", EmbeddedTreatyStatus()},
		{"none", []TreatyRecord{}},
		{"every instrument", []TreatyRecord{
			{Code: "VNM", Signed: date("2025-10-25"), SignedAt: "Hanoi", Deposited: date("2026-03-01"), Instrument: Ratification},
			{Code: "FRA", Signed: date("2025-10-25"), SignedAt: "Hanoi", Deposited: date("2026-04-01"), Instrument: Approval},
			{Code: "EUU", Signed: date("2025-10-25"), SignedAt: "Hanoi", Deposited: date("2026-05-01"), Instrument: Approval},
			{Code: "JPN", Signed: date("2025-11-03"), Deposited: date("2025-11-03"), Instrument: Acceptance},
			{Code: "VAT", Deposited: date("2027-02-01"), Instrument: Accession},
			{Code: "PSE", Signed: date("2025-10-25"), SignedAt: "Hanoi"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := WriteTreatyStatus(&buf, tt.recs); err != nil {
				t.Fatalf("WriteTreatyStatus() = %v", err)
			}
			got, err := ParseTreatyStatus(&buf)
			if err != nil {
				t.Fatalf("ParseTreatyStatus(WriteTreatyStatus()) error = %v", err)
			}
			if !reflect.DeepEqual(got, tt.recs) {
				t.Errorf("round trip = %+v, want %+v", got, tt.recs)
			}
		})
	}
}

func TestWriteTreatyStatusFillsColumns(t *testing.T) {
	var buf bytes.Buffer
	recs := []TreatyRecord{
		{Code: "EUU", Signed: date("2025-10-25"), SignedAt: "Hanoi"},
		// A date that is still the 25th in UTC though not in Hanoi.
		{Code: "CIV", Signed: time.Date(2025, 10, 25, 23, 30, 0, 0, time.UTC)},
	}
	if err := WriteTreatyStatus(&buf, recs); err != nil {
		t.Fatal(err)
	}
	want := hdr +
		"EUU,European Union,organisation,2025-10-25,Hanoi,,\n" +
		"CIV,Côte d'Ivoire,state,2025-10-25,,,\n"
	if buf.String() != want {
		t.Errorf("WriteTreatyStatus() wrote\n%s\nwant\n%s", buf.String(), want)
	}
}

func TestWriteTreatyStatusRejects(t *testing.T) {
	tests := []struct {
		name string
		recs []TreatyRecord
		want []at
	}{
		{"unknown code", []TreatyRecord{{Code: "XXX", Signed: date("2025-10-25")}}, []at{{2, "code"}}},
		{"alpha-2 code", []TreatyRecord{{Code: "FR", Signed: date("2025-10-25")}}, []at{{2, "code"}}},
		{"duplicate", []TreatyRecord{{Code: "FRA", Signed: date("2025-10-25")}, {Code: "FRA", Signed: date("2025-10-26")}}, []at{{3, "code"}}},
		{"nothing done", []TreatyRecord{{Code: "FRA"}}, []at{{2, ""}}},
		{"bad instrument", []TreatyRecord{{Code: "FRA", Deposited: date("2026-01-01"), Instrument: "signature"}}, []at{{2, "instrument"}}},
		{"art 65(1): date of deposit without instrument", []TreatyRecord{{Code: "FRA", Signed: date("2025-10-25"), Deposited: date("2026-01-01")}}, []at{{2, "instrument"}}},
		{"zero year", []TreatyRecord{{Code: "FRA", Signed: time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC)}}, []at{{2, "signed"}}},
		{"place with newline", []TreatyRecord{{Code: "FRA", Signed: date("2025-10-25"), SignedAt: "Ha\nnoi"}}, []at{{2, "signed_at"}}},
		{"too many", make([]TreatyRecord, MaxTreatyStatusRows+1), []at{{MaxTreatyStatusRows + 2, ""}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			err := WriteTreatyStatus(&buf, tt.recs)
			checkErrorsAt(t, err, tt.want)
			if buf.Len() != 0 {
				t.Errorf("WriteTreatyStatus() wrote %d bytes despite the error", buf.Len())
			}
		})
	}
}

func TestParseTreatyStatusAccepts(t *testing.T) {
	tests := []struct {
		name  string
		input string
		want  []TreatyRecord
	}{
		{"header only", hdr, []TreatyRecord{}},
		{"header without newline", TreatyStatusHeader, []TreatyRecord{}},
		{"comments before and between rows", "# source\n" + hdr + "# more\nFRA,France,state,2025-10-25,Hanoi,,\n\n# end\n",
			[]TreatyRecord{{Code: "FRA", Signed: date("2025-10-25"), SignedAt: "Hanoi"}}},
		{"CRLF line endings", "# source\r\n" + strings.TrimSuffix(hdr, "\n") + "\r\nFRA,France,state,2025-10-25,Hanoi,,\r\n",
			[]TreatyRecord{{Code: "FRA", Signed: date("2025-10-25"), SignedAt: "Hanoi"}}},
		{"byte-order mark", "\uFEFF" + hdr + "FRA,France,state,2025-10-25,,,\n",
			[]TreatyRecord{{Code: "FRA", Signed: date("2025-10-25")}}},
		{"participant name is informational", hdr + `FRA,"République française, la",state,2025-10-25,,,` + "\n",
			[]TreatyRecord{{Code: "FRA", Signed: date("2025-10-25")}}},
		{"art 65(1): accession without signature", hdr + "VAT,Holy See,state,,,2026-06-01,accession\n",
			[]TreatyRecord{{Code: "VAT", Deposited: date("2026-06-01"), Instrument: Accession}}},
		{"deposit on the day of signature", hdr + "JPN,Japan,state,2025-11-03,New York,2025-11-03,acceptance\n",
			[]TreatyRecord{{Code: "JPN", Signed: date("2025-11-03"), SignedAt: "New York", Deposited: date("2025-11-03"), Instrument: Acceptance}}},
		{"art 64: the EU as an organisation", hdr + "EUU,European Union,organisation,2025-10-25,Hanoi,2026-09-01,approval\n",
			[]TreatyRecord{{Code: "EUU", Signed: date("2025-10-25"), SignedAt: "Hanoi", Deposited: date("2026-09-01"), Instrument: Approval}}},
		{"art 64(1): the first and last days of signature, and 2200, are in range", hdr + "FRA,France,state,2025-10-25,,2200-12-31,ratification\nDEU,Germany,state,2026-12-31,New York,,\n",
			[]TreatyRecord{{Code: "FRA", Signed: date("2025-10-25"), Deposited: date("2200-12-31"), Instrument: Ratification}, {Code: "DEU", Signed: date("2026-12-31"), SignedAt: "New York"}}},
		{"art 64(1): Hanoi on the ceremony's second day", hdr + "FRA,France,state,2025-10-26,Hanoi,,\n",
			[]TreatyRecord{{Code: "FRA", Signed: date("2025-10-26"), SignedAt: "Hanoi"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parse(tt.input)
			if err != nil {
				t.Fatalf("ParseTreatyStatus() error = %v", err)
			}
			if got == nil || !reflect.DeepEqual(got, tt.want) {
				t.Errorf("ParseTreatyStatus() = %#v, want %#v", got, tt.want)
			}
		})
	}
}

// at is where a ParseError points.
type at struct {
	line   int
	column string
}

// checkErrorsAt asserts that err is a ParseErrors pointing exactly at want,
// in order.
func checkErrorsAt(t *testing.T, err error, want []at) {
	t.Helper()
	var pes ParseErrors
	if !errors.As(err, &pes) {
		t.Fatalf("error = %v (%T), want ParseErrors", err, err)
	}
	got := make([]at, len(pes))
	for i, pe := range pes {
		got[i] = at{pe.Line, pe.Column}
		if pe.Msg == "" {
			t.Errorf("ParseError %d has no message: %#v", i, pe)
		}
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("problems at %v, want %v; error: %v", got, want, err)
	}
}

func TestParseTreatyStatusRejects(t *testing.T) {
	long := strings.Repeat("x", MaxTreatyStatusLineBytes)
	var many strings.Builder
	many.WriteString(hdr)
	for range MaxTreatyStatusRows + 1 {
		many.WriteString("FRA,France,state,2025-10-25,,,\n") // duplicates too: the limit comes last
	}
	tests := []struct {
		name  string
		input string
		want  []at
		msg   string // a part of the first problem's message
	}{
		{"empty input", "", []at{{1, ""}}, "missing header \"code,participant,kind"},
		{"comments only", "# a\n# b\n", []at{{3, ""}}, "missing header"},
		{"wrong header", "code,name,kind,signed,signed_at,ratified,instrument\n", []at{{1, ""}}, "is not the header"},
		{"header with fewer fields", "# c\ncode,participant\nFRA,France\n", []at{{2, ""}}, "is not the header"},
		{"header in upper case", strings.ToUpper(hdr), []at{{1, ""}}, "is not the header"},
		{"unknown code", hdr + "XXX,Nowhere,state,2025-10-25,,,\n", []at{{2, "code"}}, "may join the Convention"},
		{"empty code", hdr + ",France,state,2025-10-25,,,\n", []at{{2, "code"}}, "is empty"},
		{"lower-case code", hdr + "fra,France,state,2025-10-25,,,\n", []at{{2, "code"}}, `want "FRA"`},
		{"alpha-2 code", hdr + "FR,France,state,2025-10-25,,,\n", []at{{2, "code"}}, `want "FRA"`},
		{"code with space", hdr + "FRA ,France,state,2025-10-25,,,\n", []at{{2, "code"}}, "may join"},
		{"art 64: the EU is not a State", hdr + "EUU,European Union,state,2025-10-25,,,\n", []at{{2, "kind"}}, `want "organisation"`},
		{"art 64: a State is not an organisation", hdr + "FRA,France,organisation,2025-10-25,,,\n", []at{{2, "kind"}}, `want "state"`},
		{"unknown kind for unknown code", hdr + "XXX,X,country,2025-10-25,,,\n", []at{{2, "kind"}, {2, "code"}}, "is not a kind"},
		{"American spelling", hdr + "EUU,European Union,organization,2025-10-25,,,\n", []at{{2, "kind"}}, `want "organisation"`},
		{"art 64(1): a signature before the Hanoi ceremony", hdr + "FRA,France,state,2025-10-24,,,\n", []at{{2, "signed"}}, "is before the Convention opened for signature on 2025-10-25 (art. 64(1))"},
		{"art 64(1): a signature after 31 December 2026", hdr + "FRA,France,state,2027-01-01,New York,,\n", []at{{2, "signed"}}, "is after signature closed on 2026-12-31; a State that has not signed joins by accession (art. 64(1))"},
		{"art 64(1): a signature in Hanoi after the ceremony", hdr + "FRA,France,state,2025-10-27,Hanoi,,\n", []at{{2, "signed"}}, "is not a date of the Hanoi ceremony (2025-10-25 to 2025-10-26); later signatures are made in New York (art. 64(1))"},
		{"art 64(1): a signature elsewhere than Hanoi or New York", hdr + "FRA,France,state,2025-10-25,Paris,,\n", []at{{2, "signed_at"}}, "is not where the Convention lay open for signature: give Hanoi (25 and 26 October 2025) or New York (United Nations Headquarters, until 31 December 2026) (art. 64(1))"},
		{"art 64: a signatory does not accede", hdr + "FRA,France,state,2025-10-25,Hanoi,2026-02-01,accession\n", []at{{2, "instrument"}}, "is for a participant that has not signed; a signatory ratifies, accepts or approves (art. 64)"},
		{"art 64(1): a signature in New York during the Hanoi ceremony", hdr + "FRA,France,state,2025-10-26,New York,,\n", []at{{2, "signed"}}, "is a date of the Hanoi ceremony (2025-10-25 to 2025-10-26); signatures in New York run from 2025-10-27: give the place as Hanoi (art. 64(1))"},
		{"month 13", hdr + "FRA,France,state,2025-13-01,,,\n", []at{{2, "signed"}}, "is not a date (YYYY-MM-DD)"},
		{"30 February", hdr + "FRA,France,state,2026-02-30,,,\n", []at{{2, "signed"}}, "is not a date"},
		{"day first", hdr + "FRA,France,state,25/10/2025,,,\n", []at{{2, "signed"}}, "is not a date"},
		{"date with time", hdr + "FRA,France,state,2025-10-25T00:00:00Z,,,\n", []at{{2, "signed"}}, "is not a date"},
		{"bad deposit date", hdr + "FRA,France,state,2025-10-25,,2026-1-5,ratification\n", []at{{2, "ratified"}}, "is not a date"},
		{"before adoption", hdr + "FRA,France,state,2024-12-23,,,\n", []at{{2, "signed"}}, "before the Convention was adopted on 2024-12-24"},
		{"year 1, time's zero", hdr + "VAT,Holy See,state,0001-01-01,,2026-01-01,accession\n", []at{{2, "signed"}}, "before the Convention was adopted"},
		{"after 2200", hdr + "FRA,France,state,2025-10-25,,2201-01-01,ratification\n", []at{{2, "ratified"}}, "after 2200"},
		{"art 65(1): date of deposit without instrument", hdr + "FRA,France,state,2025-10-25,,2026-01-01,\n", []at{{2, "instrument"}}, "needs its instrument"},
		{"art 65(1): instrument without date of deposit", hdr + "FRA,France,state,2025-10-25,,,ratification\n", []at{{2, "ratified"}}, "needs the date of its deposit"},
		{"art 65(1): not one of the four instruments", hdr + "FRA,France,state,2025-10-25,,2026-01-01,signature\n", []at{{2, "instrument"}}, "is not an instrument"},
		{"instrument in upper case", hdr + "FRA,France,state,2025-10-25,,2026-01-01,Ratification\n", []at{{2, "instrument"}}, "is not an instrument"},
		{"art 64: ratification needs a signature", hdr + "FRA,France,state,,,2026-01-01,ratification\n", []at{{2, "instrument"}}, "joins by accession"},
		{"deposit before signature", hdr + "FRA,France,state,2025-10-25,,2025-10-24,ratification\n", []at{{2, "ratified"}}, "before the signature on 2025-10-25"},
		{"place without signature", hdr + "VAT,Holy See,state,,Hanoi,2026-01-01,accession\n", []at{{2, "signed_at"}}, "date signed is empty"},
		{"place with spaces", hdr + "FRA,France,state,2025-10-25,Hanoi ,,\n", []at{{2, "signed_at"}}, "leading or trailing"},
		{"place with control character", hdr + "FRA,France,state,2025-10-25,Ha\tnoi,,\n", []at{{2, "signed_at"}}, "control character"},
		{"place not UTF-8", hdr + "FRA,France,state,2025-10-25,Ha\xffnoi,,\n", []at{{2, "signed_at"}}, "UTF-8"},
		{"place too long", hdr + "FRA,France,state,2025-10-25," + strings.Repeat("a", MaxPlaceBytes+1) + ",,\n", []at{{2, "signed_at"}}, "longer than 200"},
		{"nothing done", hdr + "FRA,France,state,,,,\n", []at{{2, ""}}, "neither a signature nor an instrument"},
		{"duplicate code", hdr + "FRA,France,state,2025-10-25,,,\n# c\nFRA,France,state,2025-10-26,,,\n", []at{{4, "code"}}, "first on line 2"},
		{"six fields", hdr + "FRA,France,state,2025-10-25,,\n", []at{{2, ""}}, "has 6 fields; want 7"},
		{"eight fields", hdr + "FRA,France,state,2025-10-25,,,,\n", []at{{2, ""}}, "has 8 fields; want 7"},
		{"bare quote", hdr + "FRA,Fr\"ance,state,2025-10-25,,,\n", []at{{2, ""}}, "bare \""},
		{"unterminated quote", hdr + "FRA,France,state,2025-10-25,\"Hanoi,,\nDEU,Germany,state,2025-10-25,,,\n", []at{{3, ""}}, "starts on line 2"},
		{"line too long", hdr + "FRA,France,state,2025-10-25,,,\nDEU," + long + ",state,2025-10-25,,,\nXXX,X,state,2025-10-25,,,\n",
			[]at{{3, ""}, {4, "code"}}, "at most 4096"},
		{"too many rows", many.String(), []at{{MaxTreatyStatusRows + 2, ""}}, "more than 1000 data rows"},
		{"input too large", hdr + strings.Repeat("# "+strings.Repeat("c", 1000)+"\n", 5000), []at{{4183, ""}}, "longer than"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			recs, err := parse(tt.input)
			if recs != nil {
				t.Errorf("ParseTreatyStatus() returned %d records with its error", len(recs))
			}
			if tt.name == "too many rows" {
				// Every row before the limit is a duplicate: look only at the last.
				var pes ParseErrors
				if errors.As(err, &pes) {
					err = pes[len(pes)-1:]
				}
			}
			checkErrorsAt(t, err, tt.want)
			var pe ParseError
			if errors.As(err, &pe) && !strings.Contains(pe.Error(), tt.msg) {
				t.Errorf("first problem %q, want one containing %q", pe.Error(), tt.msg)
			}
		})
	}
}

func TestParseTreatyStatusReportsEveryProblem(t *testing.T) {
	input := "# source\n" + hdr +
		"FRA,France,state,2025-13-01,,,\n" +
		"DEU,Germany,state,2025-10-25,Hanoi,2025-10-01,ratification\n" +
		"EUU,European Union,state,2025-10-25,,,\n" +
		"VNM,Viet Nam,state,2025-10-25,Hanoi,,\n" +
		"XXX,Atlantis,state,2025-10-25,,,\n"
	recs, err := parse(input)
	if recs != nil {
		t.Errorf("ParseTreatyStatus() returned %d records with its error", len(recs))
	}
	checkErrorsAt(t, err, []at{{3, "signed"}, {4, "ratified"}, {5, "kind"}, {7, "code"}})
}

func TestParseTreatyStatusStopsAfterMaxErrors(t *testing.T) {
	input := hdr + strings.Repeat("XXX,X,state,2025-10-25,,,\n", MaxParseErrors+50)
	_, err := parse(input)
	var pes ParseErrors
	if !errors.As(err, &pes) {
		t.Fatalf("error = %v, want ParseErrors", err)
	}
	if len(pes) != MaxParseErrors+1 {
		t.Fatalf("%d problems, want %d", len(pes), MaxParseErrors+1)
	}
	if last := pes[len(pes)-1]; !strings.Contains(last.Msg, "not checking further") || last.Line != MaxParseErrors+2 {
		t.Errorf("last problem = %v, want one saying it stopped at line %d", last, MaxParseErrors+2)
	}
}

type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, errors.New("disk on fire") }

func TestParseTreatyStatusReadError(t *testing.T) {
	recs, err := ParseTreatyStatus(failingReader{})
	if recs != nil || err == nil || !strings.Contains(err.Error(), "disk on fire") {
		t.Errorf("ParseTreatyStatus(failing reader) = %v, %v; want nil and the reader's error", recs, err)
	}
	if errors.As(err, new(ParseErrors)) {
		t.Errorf("a read error is reported as a ParseErrors: %v", err)
	}
}

func TestParseErrorString(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"column and value", ParseError{Line: 7, Column: "signed", Value: "2025-13-01", Msg: "is not a date (YYYY-MM-DD)"},
			`line 7, column "signed": "2025-13-01" is not a date (YYYY-MM-DD)`},
		{"whole line", ParseError{Line: 2, Msg: "has neither a signature nor an instrument"},
			`line 2: has neither a signature nor an instrument`},
		{"several", ParseErrors{{Line: 2, Msg: "a"}, {Line: 3, Column: "code", Msg: "b"}},
			`2 problems: line 2: a; line 3, column "code": b`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.err.Error(); got != tt.want {
				t.Errorf("Error() = %q, want %q", got, tt.want)
			}
		})
	}
	long := strings.Repeat("é", 100)
	_, err := parse(hdr + "FRA,France,state," + long + ",,,\n")
	var pe ParseError
	if !errors.As(err, &pe) || len(pe.Value) > maxValueBytes+len("…") || !strings.HasSuffix(pe.Value, "…") {
		t.Errorf("long value not shortened: %q", pe.Value)
	}
}

func FuzzParseTreatyStatus(f *testing.F) {
	f.Add(string(treatyStatusCSV))
	f.Add("")
	f.Add(hdr)
	f.Add(hdr + "VAT,Holy See,state,,,2026-06-01,accession\nEUU,EU,organisation,2025-10-25,Hanoi,2026-09-01,approval\n")
	f.Add(hdr + "FRA,France,state,2025-13-01,,,\n")
	f.Add(hdr + "FRA,\"Fr\"\"ance\",state,2025-10-25,\"Ha\"\"noi\",,\n")
	f.Add(hdr + "FRA,Fr\"ance,state,2025-10-25,,,\n")
	f.Add(hdr + "FRA,France,state,2025-10-25,\"Hanoi,,\n")
	f.Add(hdr + "FRA,France,state,2025-10-25,,\n")
	f.Add("\uFEFF" + hdr + "FRA,France,state,2025-10-25,Hanoi,2025-10-24,ratification\r\n")
	f.Add(hdr + "FRA,France,state,,,,\nFRA,France,state,2025-10-25,,,\n")
	f.Add(hdr + "VAT,Holy See,state,0001-01-01,,2026-01-01,accession\n")
	f.Fuzz(func(t *testing.T, input string) {
		recs, err := parse(input)
		if err != nil {
			if recs != nil {
				t.Fatalf("ParseTreatyStatus() returned %d records and error %v", len(recs), err)
			}
			var pes ParseErrors
			if !errors.As(err, &pes) || len(pes) == 0 {
				t.Fatalf("error %v (%T) is not a non-empty ParseErrors", err, err)
			}
			for _, pe := range pes {
				if pe.Line < 1 || pe.Msg == "" {
					t.Fatalf("ParseError without line or message: %#v", pe)
				}
			}
			return
		}
		if recs == nil {
			t.Fatal("ParseTreatyStatus() returned neither records nor an error")
		}
		var buf bytes.Buffer
		if err := WriteTreatyStatus(&buf, recs); err != nil {
			t.Fatalf("WriteTreatyStatus(parsed records) = %v", err)
		}
		again, err := ParseTreatyStatus(&buf)
		if err != nil {
			t.Fatalf("reparse of written records: %v\n%s", err, buf.String())
		}
		if !reflect.DeepEqual(again, recs) {
			t.Fatalf("round trip changed records:\n got %v\nwant %v", again, recs)
		}
		_ = ComputeStatus(recs, time.Now())
	})
}

// Example shows the error an administrator sees for a bad import.
func ExampleParseTreatyStatus() {
	_, err := ParseTreatyStatus(strings.NewReader(TreatyStatusHeader + "\n" +
		"FRA,France,state,2025-13-01,Hanoi,,\n" +
		"EUU,European Union,state,2025-10-25,Hanoi,,\n"))
	fmt.Println(err)
	// Output:
	// 2 problems: line 2, column "signed": "2025-13-01" is not a date (YYYY-MM-DD); line 3, column "kind": "state" does not match EUU (European Union): want "organisation"
}
