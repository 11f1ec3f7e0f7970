package convention_test

import (
	"encoding/json"
	"strings"
	"testing"

	"entraide/internal/convention"
)

func TestConditionsValidate(t *testing.T) {
	tests := []struct {
		name  string
		cs    convention.Conditions
		field string // of the first problem, "" for none
		art   int
	}{
		{"every kind, well formed", convention.Conditions{{Kind: convention.UseLimited}, {Kind: convention.Confidential}, {Kind: convention.NoOnwardTransfer},
			{Kind: convention.RetainUntil, Until: "2030-01-31"}, {Kind: convention.PersonalDataCondition, Text: "no profiling"}, {Kind: convention.Consulted, Text: "only the prosecutor reads it"}}, "", 0},
		{"unknown kind", convention.Conditions{{Kind: "secret"}}, "conditions[0].kind", 40},
		{"art 36: retention limit without a date", convention.Conditions{{Kind: convention.RetainUntil}}, "conditions[0].until", 36},
		{"art 36: retention limit with no date but words", convention.Conditions{{Kind: convention.RetainUntil, Until: "next year"}}, "conditions[0].until", 36},
		{"art 36: personal-data condition without text", convention.Conditions{{Kind: convention.PersonalDataCondition, Text: "  "}}, "conditions[0].text", 36},
		{"art 40(27): consultation condition without text", convention.Conditions{{Kind: convention.Consulted}}, "conditions[0].text", 40},
		{"art 40(19): date on a use limitation", convention.Conditions{{Kind: convention.UseLimited, Until: "2030-01-01"}}, "conditions[0].until", 40},
		{"the same condition twice", convention.Conditions{{Kind: convention.Confidential}, {Kind: convention.Confidential}}, "conditions[1]", 40},
		{"text with a control character", convention.Conditions{{Kind: convention.PersonalDataCondition, Text: "a\x00b"}}, "conditions[0].text", 36},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ps := tt.cs.Validate("conditions")
			if tt.field == "" {
				if len(ps) != 0 {
					t.Fatalf("Validate = %v, want none", ps)
				}
				return
			}
			if len(ps) == 0 || ps[0].Field != tt.field || ps[0].Ref.Article != tt.art {
				t.Fatalf("Validate = %v, want a problem on %s citing art. %d", ps, tt.field, tt.art)
			}
		})
	}
}

func TestConditionsForbid(t *testing.T) {
	third := convention.Use{ToState: "ZAF"}
	other := convention.Use{Proceedings: "case 2026/17"}
	own := convention.Use{ToState: "FRA"}
	tests := []struct {
		name string
		kind convention.ConditionKind
		use  convention.Use
		want bool
	}{
		{"art 36: no onward transfer bars a third State", convention.NoOnwardTransfer, third, true},
		{"art 36: no onward transfer leaves other proceedings", convention.NoOnwardTransfer, other, false},
		{"art 36: personal data bar a third State", convention.PersonalDataCondition, third, true},
		{"art 40(19): use limitation bars other proceedings", convention.UseLimited, other, true},
		{"art 40(19): use limitation bars a third State", convention.UseLimited, third, true},
		{"art 40(20): confidentiality bars other proceedings", convention.Confidential, other, true},
		{"art 40(20): confidentiality bars a third State", convention.Confidential, third, true},
		{"art 40(19): the request's own proceedings and States", convention.UseLimited, own, false},
		{"art 36: a retention limit bars no use", convention.RetainUntil, third, false},
		{"art 40(27): consultation conditions bar no use by themselves", convention.Consulted, third, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := convention.Condition{Kind: tt.kind, Until: map[bool]string{true: "2030-01-01"}[tt.kind == convention.RetainUntil], Text: "x"}
			got, ok := convention.Conditions{c}.Forbids(tt.use, "FRA", "VNM")
			if ok != tt.want || ok && got.Kind != tt.kind {
				t.Errorf("Forbids(%+v) = %v %v, want %v", tt.use, got, ok, tt.want)
			}
		})
	}
}

func FuzzParseConditions(f *testing.F) {
	f.Add(`[{"kind":"use_limited"},{"kind":"retain_until","until":"2030-01-01"}]`)
	f.Add(`[{"kind":"personal_data","text":"no profiling"}]`)
	f.Add(`[{"kind":"confidential","extra":1}]`)
	f.Add(`[] []`)
	f.Add(`null`)
	f.Add(`[{"kind":"retain_until","until":"2030-02-30"}]`)
	f.Fuzz(func(t *testing.T, s string) {
		cs, err := convention.ParseConditions([]byte(s))
		if err != nil {
			return
		}
		if ps := cs.Validate("conditions"); len(ps) != 0 {
			t.Fatalf("ParseConditions(%q) accepted conditions with problems %v", s, ps)
		}
		raw, err := json.Marshal(cs)
		if err != nil {
			t.Fatal(err)
		}
		again, err := convention.ParseConditions(raw)
		if err != nil || len(again) != len(cs) {
			t.Fatalf("ParseConditions(Marshal(%v)) = %v, %v", cs, again, err)
		}
		for _, c := range cs {
			if !strings.Contains(c.Cite(), "art. ") {
				t.Errorf("Cite(%v) = %q names no article", c, c.Cite())
			}
		}
	})
}
