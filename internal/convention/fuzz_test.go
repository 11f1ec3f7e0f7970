package convention_test

import (
	"reflect"
	"strings"
	"testing"

	"entraide/internal/convention"
)

func FuzzValidate(f *testing.F) {
	f.Add("mutual_assistance", "requesting_authority", "Prosecutor General", "purpose", "", 7, "", 0)
	f.Add("preservation", "stored_data", " \t", "colour", "blue", 6, "", 0)
	f.Add("spontaneous", "information", "\xff\xfe", "", "", 0, "fraud", 3)
	f.Add("extradition", "person", "Jane Doe, né à Lyon", "person", "x", 0, "", 0)
	f.Add("", "fields.", "x", "\x00", "\x00", -1, " ", -5)
	f.Add("emergency_disclosure", "emergency", "bomb threat", "data_sought", "location", 18, "murder", 20)
	f.Fuzz(func(t *testing.T, kind, name1, value1, name2, value2 string, article int, description string, years int) {
		fields := map[string]string{name1: value1, name2: value2}
		charges := []convention.Charge{{Article: article, Description: description, MaxPenaltyYears: years}}
		got := convention.Validate(convention.Kind(kind), fields, charges)
		for _, p := range got {
			if p.Field == "" || p.Ref.Article <= 0 || p.Message == "" {
				t.Errorf("Validate(%q, %q, %+v) has problem %#v, want a field, an article > 0 and a message", kind, fields, charges, p)
			}
			if !strings.HasPrefix(p.Field, "fields.") && !strings.HasPrefix(p.Field, "offences") && p.Field != "kind" {
				t.Errorf("Validate(%q, %q, %+v) has problem on field %q, want fields.<name>, offences or kind", kind, fields, charges, p.Field)
			}
		}
		if again := convention.Validate(convention.Kind(kind), fields, charges); !reflect.DeepEqual(got, again) {
			t.Errorf("Validate(%q, %q, %+v) = %v, then %v, want the same problems each time", kind, fields, charges, got, again)
		}
		if _, ok := convention.Lookup(convention.Kind(kind)); !ok && len(got) != 1 {
			t.Errorf("Validate(%q, ...) = %v, want one problem for an unknown kind", kind, got)
		}
		if err := got.Err(); (err == nil) != (len(got) == 0) {
			t.Errorf("Validate(%q, ...).Err() = %v with %d problems", kind, err, len(got))
		}
	})
}
