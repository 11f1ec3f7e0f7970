package convention

import (
	"strings"
	"testing"
)

func TestPersonalDataValidate(t *testing.T) {
	cases := []struct {
		name  string
		p     *PersonalData
		field string // the field of the first problem, "" for none
	}{
		{"unmarked", nil, ""},
		{"art 36: none carried", &PersonalData{}, ""},
		{"art 36: carried, with categories and persons", &PersonalData{Carried: true, Categories: []DataCategory{TrafficData, HealthData}, Persons: []PersonCategory{Suspect, Victim}}, ""},
		{"art 36: carried without categories", &PersonalData{Carried: true, Persons: []PersonCategory{Suspect}}, "personal_data.categories"},
		{"art 36: carried without persons", &PersonalData{Carried: true, Categories: []DataCategory{Contact}}, "personal_data.persons"},
		{"art 36: categories but not carried", &PersonalData{Categories: []DataCategory{Contact}}, "personal_data.carried"},
		{"art 36: unknown category", &PersonalData{Carried: true, Categories: []DataCategory{"shoe_size"}, Persons: []PersonCategory{Suspect}}, "personal_data.categories[0]"},
		{"art 36: unknown person", &PersonalData{Carried: true, Categories: []DataCategory{Contact}, Persons: []PersonCategory{Suspect, "bystander"}}, "personal_data.persons[1]"},
		{"art 36: a category twice", &PersonalData{Carried: true, Categories: []DataCategory{Contact, Contact}, Persons: []PersonCategory{Suspect}}, "personal_data.categories[1]"},
		{"art 36: more categories than exist", &PersonalData{Carried: true, Categories: make([]DataCategory, 13), Persons: []PersonCategory{Suspect}}, "personal_data"},
	}
	for _, c := range cases {
		ps := c.p.Validate("personal_data")
		switch {
		case c.field == "" && len(ps) > 0:
			t.Errorf("%s: %v, want no problem", c.name, ps)
		case c.field != "" && (len(ps) == 0 || ps[0].Field != c.field):
			t.Errorf("%s: %v, want a problem on %s", c.name, ps, c.field)
		case c.field != "" && ps[0].Ref.Article != 36:
			t.Errorf("%s: cites %s, want art. 36", c.name, ps[0].Ref.Cite())
		}
	}
}

func TestParsePersonalData(t *testing.T) {
	if p, ps := ParsePersonalData("personal_data", "", "", ""); p != nil || ps != nil {
		t.Errorf("nothing given = %+v, %v; want no marking", p, ps)
	}
	p, ps := ParsePersonalData("personal_data", "yes", "traffic, location", "suspect,witness")
	if len(ps) > 0 || !p.Carried || len(p.Categories) != 2 || p.Persons[1] != Witness || p.Special() {
		t.Errorf("yes = %+v, %v", p, ps)
	}
	if p, ps := ParsePersonalData("personal_data", "", "health", "victim"); len(ps) > 0 || !p.Carried || !p.Special() {
		t.Errorf("categories alone = %+v, %v; want carried, special", p, ps)
	}
	if _, ps := ParsePersonalData("personal_data", "maybe", "", ""); len(ps) != 1 || !strings.Contains(ps[0].Message, "yes or no") {
		t.Errorf("maybe = %v", ps)
	}
	if _, ps := ParsePersonalData("personal_data", "no", "contact", ""); len(ps) == 0 {
		t.Errorf("no with categories passes")
	}
}

func FuzzParsePersonalData(f *testing.F) {
	f.Add("yes", "traffic,location", "suspect")
	f.Add("", "", "")
	f.Add("no", ",,,", "victim,victim")
	f.Fuzz(func(t *testing.T, carried, categories, persons string) {
		p, ps := ParsePersonalData("personal_data", carried, categories, persons)
		if len(ps) == 0 && p != nil && len(p.Validate("personal_data")) > 0 {
			t.Errorf("accepted a marking that does not validate: %+v", p)
		}
		for _, pr := range ps {
			if pr.Ref.Article != 36 || !strings.HasPrefix(pr.Field, "personal_data") {
				t.Errorf("problem %v names no field of personal_data or not art. 36", pr)
			}
		}
	})
}
