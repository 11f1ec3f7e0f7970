package convention_test

import (
	"fmt"
	"maps"
	"strconv"
	"strings"
	"testing"

	"entraide/internal/convention"
)

// want is one expected problem: its field, its provision, and a piece of
// its message.
type want struct {
	field string
	ref   convention.Ref
	msg   string
}

func (w want) String() string {
	return fmt.Sprintf("%s (%s%s) %q", w.field, w.ref, check(w.ref), w.msg)
}

func check(r convention.Ref) string {
	if r.Check {
		return ", check"
	}
	return ""
}

// assertProblems fails t unless got holds exactly the problems of ws, in
// order, each with a message.
func assertProblems(t *testing.T, call string, got convention.Problems, ws []want) {
	t.Helper()
	match := len(got) == len(ws)
	for i := 0; match && i < len(ws); i++ {
		match = got[i].Field == ws[i].field && got[i].Ref == ws[i].ref &&
			got[i].Message != "" && strings.Contains(got[i].Message, ws[i].msg)
	}
	if match {
		return
	}
	var gs []string
	for _, p := range got {
		gs = append(gs, fmt.Sprintf("%s (%s%s) %q", p.Field, p.Ref, check(p.Ref), p.Message))
	}
	t.Errorf("%s = %d problems %v, want %d problems %v", call, len(got), gs, len(ws), ws)
}

// complete returns the fields of a complete request of kind k: every
// required field, and the optional ones too when all is set.
func complete(t *testing.T, k convention.Kind, all bool) map[string]string {
	t.Helper()
	s, ok := convention.Lookup(k)
	if !ok {
		t.Fatalf("Lookup(%q) = _, false, want true", k)
	}
	fields := map[string]string{}
	for _, f := range s.Fields {
		if f.Required || all {
			fields[f.Name] = "Text for " + f.Label
		}
	}
	return fields
}

// with returns a copy of fields with the given name/value pairs set, or
// deleted where the value is the deleted marker.
func with(fields map[string]string, kv ...string) map[string]string {
	out := maps.Clone(fields)
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == deleted {
			delete(out, kv[i])
			continue
		}
		out[kv[i]] = kv[i+1]
	}
	return out
}

const deleted = "\x00deleted"

// illegalAccess carries penalties in both States, so that it is in the scope
// of every kind, extradition too (art. 37(1)).
var illegalAccess = []convention.Charge{{Article: 7, MaxPenaltyYears: 3, RequestedStateMaxPenaltyYears: 2}}

func TestValidateCompleteRequest(t *testing.T) {
	for _, tc := range kindCases {
		for _, all := range []bool{false, true} {
			name := tc.name + ": required fields only"
			if all {
				name = tc.name + ": every field"
			}
			t.Run(name, func(t *testing.T) {
				fields := complete(t, tc.kind, all)
				var charges []convention.Charge
				if tc.offenceRequired {
					charges = illegalAccess
				}
				if got := convention.Validate(tc.kind, fields, charges); got != nil {
					t.Errorf("Validate(%s, %v, %v) = %v, want nil", tc.kind, fields, charges, got)
				}
			})
		}
	}
}

// Each required field of each kind, when missing or blank, gives exactly
// one problem that names the field and cites the provision requiring it.
func TestValidateEachRequiredField(t *testing.T) {
	for _, s := range convention.Kinds() {
		for _, f := range s.Fields {
			if !f.Required {
				continue
			}
			charges := illegalAccess
			full := complete(t, s.Kind, true)
			t.Run(f.Ref.String()+": "+string(s.Kind)+" without "+f.Name, func(t *testing.T) {
				fields := with(full, f.Name, deleted)
				got := convention.Validate(s.Kind, fields, charges)
				assertProblems(t, "Validate("+string(s.Kind)+" without "+f.Name+")", got,
					[]want{{"fields." + f.Name, f.Ref, "required"}})
			})
			t.Run(f.Ref.String()+": "+string(s.Kind)+" with blank "+f.Name, func(t *testing.T) {
				fields := with(full, f.Name, " \t\n ")
				got := convention.Validate(s.Kind, fields, charges)
				assertProblems(t, "Validate("+string(s.Kind)+" with blank "+f.Name+")", got,
					[]want{{"fields." + f.Name, f.Ref, "must not be blank"}})
			})
		}
	}
}

func TestValidate(t *testing.T) {
	mla := complete(t, convention.MutualAssistance, false)
	preservation := complete(t, convention.Preservation, false)
	rt := complete(t, convention.RealTimeTraffic, false)
	spontaneous := complete(t, convention.Spontaneous, false)
	longest := strings.Repeat("a", convention.MaxFieldLength)
	tooLong := longest + "a"

	tests := []struct {
		name    string
		kind    convention.Kind
		fields  map[string]string
		charges []convention.Charge
		want    []want
	}{
		{
			name: "art 40(15)(a): mutual assistance without requesting authority",
			kind: convention.MutualAssistance, fields: with(mla, "requesting_authority", deleted), charges: illegalAccess,
			want: []want{{"fields.requesting_authority", convention.Art(40).Para(15).Sub("a"), "required: authority making the request"}},
		},
		{
			name: "art 40(15)(a),(c),(g): three missing fields give three problems",
			kind: convention.MutualAssistance, fields: with(mla, "requesting_authority", deleted, "facts_summary", deleted, "purpose", deleted), charges: illegalAccess,
			want: []want{
				{"fields.requesting_authority", convention.Art(40).Para(15).Sub("a"), "required"},
				{"fields.facts_summary", convention.Art(40).Para(15).Sub("c"), "required"},
				{"fields.purpose", convention.Art(40).Para(15).Sub("g"), "required"},
			},
		},
		{
			name: "art 40(15): nil fields give one problem per required field",
			kind: convention.MutualAssistance, fields: nil, charges: illegalAccess,
			want: []want{
				{"fields.requesting_authority", convention.Art(40).Para(15).Sub("a"), "required"},
				{"fields.subject_matter", convention.Art(40).Para(15).Sub("b"), "required"},
				{"fields.conducting_authority", convention.Art(40).Para(15).Sub("b"), "required"},
				{"fields.facts_summary", convention.Art(40).Para(15).Sub("c"), "required"},
				{"fields.assistance_sought", convention.Art(40).Para(15).Sub("d"), "required"},
				{"fields.purpose", convention.Art(40).Para(15).Sub("g"), "required"},
			},
		},
		{
			name: "art 40(15)(e): blank optional field is accepted",
			kind: convention.MutualAssistance, fields: with(mla, "persons_concerned", "  "), charges: illegalAccess,
		},
		{
			name: "art 42(2)(c): preservation with blank stored data",
			kind: convention.Preservation, fields: with(preservation, "stored_data", "\t \n"), charges: illegalAccess,
			want: []want{{"fields.stored_data", convention.Art(42).Para(2).Sub("c").Unchecked(), "must not be blank"}},
		},
		{
			name: "art 42(2)(e): preservation with empty necessity",
			kind: convention.Preservation, fields: with(preservation, "necessity", ""), charges: illegalAccess,
			want: []want{{"fields.necessity", convention.Art(42).Para(2).Sub("e").Unchecked(), "must not be blank"}},
		},
		{
			name: "art 42: preservation with unknown field",
			kind: convention.Preservation, fields: with(preservation, "colour", "blue"), charges: illegalAccess,
			want: []want{{"fields.colour", convention.Art(42), "not a field of Expedited preservation of stored electronic data"}},
		},
		{
			name: "art 40: unknown fields reported in name order",
			kind: convention.MutualAssistance, fields: with(mla, "zeta", "z", "alpha", "a", "Purpose", "p"), charges: illegalAccess,
			want: []want{
				{"fields.Purpose", convention.Art(40), "not a field"},
				{"fields.alpha", convention.Art(40), "not a field"},
				{"fields.zeta", convention.Art(40), "not a field"},
			},
		},
		{
			name: "art 40: a field of another kind is unknown",
			kind: convention.MutualAssistance, fields: with(mla, "stored_data", "the mailbox"), charges: illegalAccess,
			want: []want{{"fields.stored_data", convention.Art(40), "not a field"}},
		},
		{
			name: "art 40: empty field name is unknown",
			kind: convention.MutualAssistance, fields: with(mla, "", "x"), charges: illegalAccess,
			want: []want{{"fields.", convention.Art(40), "not a field"}},
		},
		{
			name: "art 40(15)(c): field of exactly the maximum length",
			kind: convention.MutualAssistance, fields: with(mla, "facts_summary", longest), charges: illegalAccess,
		},
		{
			name: "art 40(15)(c): maximum length counts characters, not bytes",
			kind: convention.MutualAssistance, fields: with(mla, "facts_summary", strings.Repeat("é", convention.MaxFieldLength)), charges: illegalAccess,
		},
		{
			name: "art 40(15)(c): over-long field",
			kind: convention.MutualAssistance, fields: with(mla, "facts_summary", tooLong), charges: illegalAccess,
			want: []want{{"fields.facts_summary", convention.Art(40).Para(15).Sub("c"), "too long: " + strconv.Itoa(convention.MaxFieldLength+1) + " characters, at most " + strconv.Itoa(convention.MaxFieldLength)}},
		},
		{
			name: "art 40(15)(e): over-long optional field",
			kind: convention.MutualAssistance, fields: with(mla, "persons_concerned", tooLong), charges: illegalAccess,
			want: []want{{"fields.persons_concerned", convention.Art(40).Para(15).Sub("e"), "too long"}},
		},
		{
			name: "art 40(15)(d): invalid UTF-8",
			kind: convention.MutualAssistance, fields: with(mla, "assistance_sought", "records \xff\xfe of the account"), charges: illegalAccess,
			want: []want{{"fields.assistance_sought", convention.Art(40).Para(15).Sub("d"), "not valid UTF-8"}},
		},
		{
			name: "art 40(15)(f): invalid UTF-8 in optional field",
			kind: convention.MutualAssistance, fields: with(mla, "time_period", "\xc3"), charges: illegalAccess,
			want: []want{{"fields.time_period", convention.Art(40).Para(15).Sub("f").Unchecked(), "not valid UTF-8"}},
		},
		{
			name: "art 45(3)(c): over-long invalid UTF-8 is reported as not text",
			kind: convention.RealTimeTraffic, fields: with(rt, "target_data", strings.Repeat("\xff", convention.MaxFieldLength+1)), charges: illegalAccess,
			want: []want{
				{"fields.target_data", convention.Art(45).Para(3).Sub("c").Unchecked(), "not valid UTF-8"},
			},
		},
		{
			name: "art 45(3)(c): a NUL byte is refused, as no database can keep it as text",
			kind: convention.RealTimeTraffic, fields: with(rt, "target_data", "data\x00more"), charges: illegalAccess,
			want: []want{
				{"fields.target_data", convention.Art(45).Para(3).Sub("c").Unchecked(), "control character"},
			},
		},
		{
			name: "art 35: unknown kind",
			kind: "subpoena", fields: mla, charges: illegalAccess,
			want: []want{{"kind", convention.Art(35), `unknown kind of request "subpoena"`}},
		},
		{
			name: "art 35: empty kind",
			kind: "", fields: nil, charges: nil,
			want: []want{{"kind", convention.Art(35), "unknown kind"}},
		},
		{
			name: "art 35: kind names are case-sensitive",
			kind: "Mutual_Assistance", fields: mla, charges: illegalAccess,
			want: []want{{"kind", convention.Art(35), "unknown kind"}},
		},
		{
			name: "arts 45(3), 35(1), 2: every problem at once, in order",
			kind: convention.RealTimeTraffic,
			fields: with(rt,
				"requesting_authority", deleted,
				"facts_summary", " ",
				"target_data", tooLong,
				"justification", "\xff",
				"safeguards", deleted,
				"wiretap", "yes"),
			charges: []convention.Charge{{Article: 6}, {Description: "tax evasion", MaxPenaltyYears: 3}},
			want: []want{
				{"fields.requesting_authority", convention.Art(45).Para(3).Sub("a").Unchecked(), "required"},
				{"fields.facts_summary", convention.Art(45).Para(3).Sub("b").Unchecked(), "must not be blank"},
				{"fields.target_data", convention.Art(45).Para(3).Sub("c").Unchecked(), "too long"},
				{"fields.justification", convention.Art(45).Para(3).Sub("e").Unchecked(), "not valid UTF-8"},
				{"fields.wiretap", convention.Art(45), "not a field"},
				{"offences[0].article", convention.Art(35).Para(1), "article 6 establishes no offence"},
				{"offences[1].max_penalty_years", convention.Art(2), "got 3"},
			},
		},
		{
			name: "art 40(4): spontaneous information needs no offence",
			kind: convention.Spontaneous, fields: spontaneous, charges: nil,
		},
		{
			name: "art 35(1): a named offence must be in scope even where none is required",
			kind: convention.Spontaneous, fields: spontaneous, charges: []convention.Charge{{Article: 18}},
			want: []want{{"offences[0].article", convention.Art(35).Para(1), "article 18 establishes no offence"}},
		},
		{
			name: "art 35(1): mutual assistance without an offence",
			kind: convention.MutualAssistance, fields: mla, charges: nil,
			want: []want{{"offences", convention.Art(35).Para(1), "at least one offence"}},
		},
		{
			name: "art 35(1): preservation with an empty list of offences",
			kind: convention.Preservation, fields: preservation, charges: []convention.Charge{},
			want: []want{{"offences", convention.Art(35).Para(1), "at least one offence"}},
		},
		{
			name: "art 35(1): missing field and missing offence reported together",
			kind: convention.Preservation, fields: with(preservation, "follow_up_intent", deleted), charges: nil,
			want: []want{
				{"fields.follow_up_intent", convention.Art(42).Para(2).Sub("f").Unchecked(), "required"},
				{"offences", convention.Art(35).Para(1), "at least one offence"},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := convention.Validate(tt.kind, tt.fields, tt.charges)
			assertProblems(t, fmt.Sprintf("Validate(%s)", tt.name), got, tt.want)
			if len(tt.want) == 0 && got != nil {
				t.Errorf("Validate(%s) = %#v, want nil", tt.name, got)
			}
		})
	}
}

func TestValidateDoesNotModifyFields(t *testing.T) {
	fields := with(complete(t, convention.MutualAssistance, false), "purpose", " ", "extra", "x")
	before := maps.Clone(fields)
	convention.Validate(convention.MutualAssistance, fields, nil)
	if !maps.Equal(fields, before) {
		t.Errorf("Validate changed its fields to %v, want %v", fields, before)
	}
}

func TestValidateOffences(t *testing.T) {
	type tc struct {
		name    string
		kind    convention.Kind
		charges []convention.Charge
		want    []want
	}
	var tests []tc
	for a := 7; a <= 17; a++ {
		tests = append(tests, tc{
			name:    fmt.Sprintf("art %d: offence of chapter II is in scope", a),
			kind:    convention.MutualAssistance,
			charges: []convention.Charge{{Article: a}},
		})
	}
	tests = append(tests, []tc{
		{
			name: "art 6: human rights article establishes no offence", kind: convention.MutualAssistance,
			charges: []convention.Charge{{Article: 6}},
			want:    []want{{"offences[0].article", convention.Art(35).Para(1), "article 6 establishes no offence"}},
		},
		{
			name: "art 18: liability of legal persons is no offence", kind: convention.MutualAssistance,
			charges: []convention.Charge{{Article: 18}},
			want:    []want{{"offences[0].article", convention.Art(35).Para(1), "article 18 establishes no offence"}},
		},
		{
			name: "art 35(1): negative article", kind: convention.MutualAssistance,
			charges: []convention.Charge{{Article: -7}},
			want:    []want{{"offences[0].article", convention.Art(35).Para(1), "article -7 establishes no offence"}},
		},
		{
			name: "art 2: serious crime with a maximum of 4 years", kind: convention.MutualAssistance,
			charges: []convention.Charge{{Description: "drug trafficking", MaxPenaltyYears: 4}},
		},
		{
			name: "art 2: serious crime with a maximum of 20 years", kind: convention.StoredDataAccess,
			charges: []convention.Charge{{Description: "murder", MaxPenaltyYears: 20}},
		},
		{
			name: "art 2: maximum of 3 years is no serious crime", kind: convention.MutualAssistance,
			charges: []convention.Charge{{Description: "petty theft", MaxPenaltyYears: 3}},
			want:    []want{{"offences[0].max_penalty_years", convention.Art(2), "at least 4 years; got 3"}},
		},
		{
			name: "art 2: serious crime without a penalty", kind: convention.MutualAssistance,
			charges: []convention.Charge{{Description: "fraud"}},
			want:    []want{{"offences[0].max_penalty_years", convention.Art(2), "got 0"}},
		},
		{
			name: "art 2: serious crime without a description", kind: convention.MutualAssistance,
			charges: []convention.Charge{{Description: "  ", MaxPenaltyYears: 10}},
			want:    []want{{"offences[0].description", convention.Art(2), "describe the offence"}},
		},
		{
			name: "art 2: empty charge", kind: convention.MutualAssistance,
			charges: []convention.Charge{{}},
			want:    []want{{"offences[0].description", convention.Art(2), "describe the offence"}},
		},
		{
			name: "art 13: offence of the Convention needs no penalty", kind: convention.MutualAssistance,
			charges: []convention.Charge{{Article: 13, MaxPenaltyYears: 1}},
		},
		{
			name: "arts 7, 19, 2: each charge checked, indexed by position", kind: convention.MutualAssistance,
			charges: []convention.Charge{{Article: 7}, {Article: 19}, {Description: "extortion", MaxPenaltyYears: 4}, {Description: "insult", MaxPenaltyYears: 1}},
			want: []want{
				{"offences[1].article", convention.Art(35).Para(1), "article 19"},
				{"offences[3].max_penalty_years", convention.Art(2), "got 1"},
			},
		},
		{
			name: "art 35(1): preservation needs an offence", kind: convention.Preservation,
			want: []want{{"offences", convention.Art(35).Para(1), "at least one offence"}},
		},
		{
			name: "art 35(1): extradition needs an offence", kind: convention.Extradition,
			want: []want{{"offences", convention.Art(35).Para(1), "at least one offence"}},
		},
		{name: "art 40(4): spontaneous information needs no offence", kind: convention.Spontaneous},
		{name: "art 47: law-enforcement cooperation needs no offence", kind: convention.LawEnforcement},
		{name: "art 41: emergency disclosure needs no offence", kind: convention.EmergencyDisclosure},
	}...)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fields := complete(t, tt.kind, false)
			got := convention.Validate(tt.kind, fields, tt.charges)
			assertProblems(t, fmt.Sprintf("Validate(%s, %+v)", tt.kind, tt.charges), got, tt.want)
		})
	}
}

func TestOffences(t *testing.T) {
	got := convention.Offences()
	if len(got) != 11 {
		t.Fatalf("len(Offences()) = %d, want 11 (arts. 7-17)", len(got))
	}
	for i, o := range got {
		if want := 7 + i; o.Article != want {
			t.Errorf("Offences()[%d].Article = %d, want %d", i, o.Article, want)
		}
		if o.Name == "" {
			t.Errorf("Offences()[%d].Name is empty, want a name", i)
		}
	}
	tests := []struct {
		name    string
		article int
		want    string
		ok      bool
	}{
		{"art 6: no offence", 6, "", false},
		{"art 7: illegal access", 7, "Illegal access", true},
		{"art 8: illegal interception", 8, "Illegal interception", true},
		{"art 11: misuse of devices", 11, "Misuse of devices", true},
		{"art 16: non-consensual dissemination of intimate images", 16, "Non-consensual dissemination of intimate images", true},
		{"art 17: laundering", 17, "Laundering of proceeds of crime", true},
		{"art 18: no offence", 18, "", false},
		{"art 0: no offence", 0, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, ok := convention.LookupOffence(tt.article)
			if ok != tt.ok || o.Name != tt.want || (ok && o.Article != tt.article) {
				t.Errorf("LookupOffence(%d) = %+v, %v, want {%d %q}, %v", tt.article, o, ok, tt.article, tt.want, tt.ok)
			}
		})
	}
	if convention.SeriousCrimeMinimumYears != 4 {
		t.Errorf("SeriousCrimeMinimumYears = %d, want 4 (art. 2)", convention.SeriousCrimeMinimumYears)
	}
}

// The scope of each kind (art. 35(1)) and the rule of art. 37(1): every
// case names the provision the code enforces.
func TestValidateScope(t *testing.T) {
	drugs := convention.Charge{Description: "Drug trafficking", MaxPenaltyYears: 10, RequestedStateMaxPenaltyYears: 10}
	fraud := func(requesting, requested int) convention.Charge {
		return convention.Charge{Article: 13, MaxPenaltyYears: requesting, RequestedStateMaxPenaltyYears: requested}
	}
	art35a := convention.Art(35).Para(1).Sub("a").Unchecked()
	art371 := convention.Art(37).Para(1)
	tests := []struct {
		name    string
		kind    convention.Kind
		charges []convention.Charge
		want    []want
	}{
		{name: "art 37(1): extradition for a Convention offence punishable by at least a year in both States", kind: convention.Extradition, charges: []convention.Charge{fraud(20, 5)}},
		{name: "art 37(1): extradition at exactly one year in both States", kind: convention.Extradition, charges: []convention.Charge{fraud(1, 1)}},
		{name: "art 37(1): extradition for life imprisonment, given as 100 years", kind: convention.Extradition, charges: []convention.Charge{fraud(100, 5)}},
		{
			name: "art 37(1): extradition for drug trafficking, outside the Convention, is refused", kind: convention.Extradition,
			charges: []convention.Charge{drugs},
			want:    []want{{"offences[0].article", art371, "Extradition covers only the offences of the Convention"}},
		},
		{
			name: "art 37(1): extradition without the penalty in the requested State", kind: convention.Extradition,
			charges: []convention.Charge{fraud(5, 0)},
			want:    []want{{"offences[0].requested_state_max_penalty_years", art371, "at least 1 year in the requested State too"}},
		},
		{
			name: "art 37(1): extradition without any penalty", kind: convention.Extradition,
			charges: []convention.Charge{{Article: 7}},
			want: []want{
				{"offences[0].max_penalty_years", art371, "at least 1 year in the requesting State"},
				{"offences[0].requested_state_max_penalty_years", art371, "at least 1 year in the requested State too"},
			},
		},
		{
			name: "art 2, 37(1): a penalty of -3 years is refused", kind: convention.Extradition,
			charges: []convention.Charge{fraud(-3, 2)},
			want:    []want{{"offences[0].max_penalty_years", convention.Art(2), "at least 1; got -3"}},
		},
		{
			name: "art 2, 37(1): a penalty of 1e11 years is refused", kind: convention.Extradition,
			charges: []convention.Charge{fraud(100000000000, 2)},
			want:    []want{{"offences[0].max_penalty_years", convention.Art(2), "at most 100 years, which stands for life imprisonment; got 100000000000"}},
		},
		{
			name: "art 37(1): the requested State's penalty is bounded too", kind: convention.Extradition,
			charges: []convention.Charge{fraud(5, 101)},
			want:    []want{{"offences[0].requested_state_max_penalty_years", art371, "at most 100 years"}},
		},
		{
			name: "art 2: a serious crime of 101 years is refused for evidence gathering", kind: convention.MutualAssistance,
			charges: []convention.Charge{{Description: "Drug trafficking", MaxPenaltyYears: 101}},
			want:    []want{{"offences[0].max_penalty_years", convention.Art(2), "at most 100 years"}},
		},
		{
			name: "art 2: a negative penalty is refused for a Convention offence too", kind: convention.MutualAssistance,
			charges: []convention.Charge{{Article: 7, MaxPenaltyYears: -1}},
			want:    []want{{"offences[0].max_penalty_years", convention.Art(2), "got -1"}},
		},
		{name: "art 35(1)(c): evidence of a serious crime outside the Convention may be gathered (preservation)", kind: convention.Preservation, charges: []convention.Charge{drugs}},
		{name: "art 35(1)(c): evidence of a serious crime outside the Convention may be gathered (stored data)", kind: convention.StoredDataAccess, charges: []convention.Charge{drugs}},
		{name: "art 35(1)(c): evidence of a serious crime outside the Convention may be gathered (interception)", kind: convention.Interception, charges: []convention.Charge{drugs}},
		{name: "art 35(1)(c): evidence of a serious crime outside the Convention may be gathered (mutual assistance)", kind: convention.MutualAssistance, charges: []convention.Charge{drugs}},
		{
			name: "art 35(1)(a): freezing covers the proceeds of Convention offences only", kind: convention.Freezing,
			charges: []convention.Charge{drugs},
			want:    []want{{"offences[0].article", art35a, "Freezing or seizure of proceeds of crime covers only the offences of the Convention"}},
		},
		{
			name: "art 35(1)(a): confiscation covers the proceeds of Convention offences only", kind: convention.Confiscation,
			charges: []convention.Charge{drugs},
			want:    []want{{"offences[0].article", art35a, "covers only the offences of the Convention"}},
		},
		{
			name: "art 35(1)(a): return of proceeds covers Convention offences only", kind: convention.AssetReturn,
			charges: []convention.Charge{drugs},
			want:    []want{{"offences[0].article", art35a, "covers only the offences of the Convention"}},
		},
		{
			name: "art 35(1)(a), 48: joint investigations cover Convention offences only", kind: convention.JointInvestigation,
			charges: []convention.Charge{drugs},
			want:    []want{{"offences[0].article", art35a, "covers only the offences of the Convention"}},
		},
		{
			name: "art 35(1)(a), 39: transfer of proceedings covers Convention offences only", kind: convention.ProceedingsTransfer,
			charges: []convention.Charge{drugs},
			want:    []want{{"offences[0].article", art35a, "covers only the offences of the Convention"}},
		},
		{name: "art 35(1)(a): freezing the proceeds of fraud (art. 13)", kind: convention.Freezing, charges: []convention.Charge{{Article: 13}}},
		{
			name: "art 35(1)(a): confiscation needs a Convention offence, not a serious crime", kind: convention.Confiscation,
			want: []want{{"offences", convention.Art(35).Para(1), "name at least one offence of arts. 7-17"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spec, _ := convention.Lookup(tt.kind)
			fields := map[string]string{}
			for _, f := range spec.Fields {
				if f.Required {
					fields[f.Name] = "given"
				}
			}
			got := convention.Validate(tt.kind, fields, tt.charges)
			assertProblems(t, fmt.Sprintf("Validate(%s, %+v)", tt.kind, tt.charges), got, tt.want)
		})
	}
}

// TestCommonFields: what the text does not ask of the requesting State is
// not required of it, and the practical fields of real templates are
// accepted on every kind; anything else is still "not a field".
func TestCommonFields(t *testing.T) {
	var tests []struct {
		name   string
		kind   convention.Kind
		fields map[string]string
		want   []want
	}
	add := func(name string, k convention.Kind, fields map[string]string, ws ...want) {
		tests = append(tests, struct {
			name   string
			kind   convention.Kind
			fields map[string]string
			want   []want
		}{name, k, fields, ws})
	}
	for _, k := range []convention.Kind{convention.StoredDataAccess, convention.RealTimeTraffic, convention.Interception} {
		add("art 24(2): safeguards bind the requested State, a "+string(k)+" without them conforms", k, with(complete(t, k, false), "safeguards", deleted))
	}
	for _, tc := range kindCases {
		add("art 40(14), 40(15): "+string(tc.kind)+" carries reference, case number, contact person and time zone", tc.kind,
			with(complete(t, tc.kind, false), "reference", "OFAC/2026/0412", "case_number", "Parquet de Paris 26.123.4567",
				"contact_person", "Cne A. Martin, +33 1 00 00 00 00, ofac-247@example.fr, 08:00-19:00", "time_zone", "Europe/Paris"))
		add("art 40(15): "+string(tc.kind)+" still refuses a field of no template", tc.kind,
			with(complete(t, tc.kind, false), "colour", "blue"),
			want{"fields.colour", tc.main, "not a field"})
	}
	add("art 40(15): a common field is checked as text", convention.MutualAssistance,
		with(complete(t, convention.MutualAssistance, false), "reference", "\xff"),
		want{"fields.reference", convention.Art(40).Para(14), "not valid UTF-8"})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var charges []convention.Charge
			if s, _ := convention.Lookup(tt.kind); s.OffenceRequired {
				charges = illegalAccess
			}
			assertProblems(t, "Validate("+string(tt.kind)+")", convention.Validate(tt.kind, tt.fields, charges), tt.want)
		})
	}
	for _, s := range convention.Kinds() {
		for _, c := range convention.CommonFields {
			if f, ok := s.Field(c.Name); !ok || f.Required {
				t.Errorf("Spec(%s).Field(%s) = %+v, %v; want an optional field", s.Kind, c.Name, f, ok)
			}
		}
	}
}
