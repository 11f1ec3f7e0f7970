package convention_test

import (
	"errors"
	"fmt"
	"testing"

	"entraide/internal/convention"
)

func TestRefString(t *testing.T) {
	tests := []struct {
		name string
		ref  convention.Ref
		want string
	}{
		{"art 40: article alone", convention.Art(40), "art. 40"},
		{"art 40(15): article and paragraph", convention.Art(40).Para(15), "art. 40(15)"},
		{"art 40(15)(a): article, paragraph and letter", convention.Art(40).Para(15).Sub("a"), "art. 40(15)(a)"},
		{"art 41(3)(e): 24/7 emergency data", convention.Art(41).Para(3).Sub("e"), "art. 41(3)(e)"},
		{"art 42(2)(c): unchecked citation renders the same", convention.Art(42).Para(2).Sub("c").Unchecked(), "art. 42(2)(c)"},
		{"art 2: definitions", convention.Art(2), "art. 2"},
		{"art 65(1): entry into force", convention.EntryIntoForceRef, "art. 65(1)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.ref.String(); got != tt.want {
				t.Errorf("%#v.String() = %q, want %q", tt.ref, got, tt.want)
			}
		})
	}
}

func TestRefBuildersDoNotMutate(t *testing.T) {
	base := convention.Art(40)
	narrowed := base.Para(15).Sub("a").Unchecked()
	if want := (convention.Ref{Article: 40}); base != want {
		t.Errorf("Art(40) after narrowing = %#v, want %#v", base, want)
	}
	if want := (convention.Ref{Article: 40, Paragraph: 15, Letter: "a", Check: true}); narrowed != want {
		t.Errorf("Art(40).Para(15).Sub(\"a\").Unchecked() = %#v, want %#v", narrowed, want)
	}
}

func TestProblemsError(t *testing.T) {
	tests := []struct {
		name    string
		ps      convention.Problems
		wantErr bool
		want    string
	}{
		{"nil problems: conforming request", nil, false, ""},
		{"empty problems: conforming request", convention.Problems{}, false, ""},
		{
			"art 40(15)(a): one problem",
			convention.Problems{{Field: "fields.requesting_authority", Ref: convention.Art(40).Para(15).Sub("a"), Message: "required: authority"}},
			true,
			"fields.requesting_authority: required: authority (art. 40(15)(a))",
		},
		{
			"art 40(15)(a), art 35(1): problems joined with semicolons",
			convention.Problems{
				{Field: "fields.requesting_authority", Ref: convention.Art(40).Para(15).Sub("a"), Message: "required: authority"},
				{Field: "offences", Ref: convention.Art(35).Para(1), Message: "name an offence"},
			},
			true,
			"fields.requesting_authority: required: authority (art. 40(15)(a)); offences: name an offence (art. 35(1))",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.ps.Err()
			if (err != nil) != tt.wantErr {
				t.Fatalf("%v.Err() = %v, want error: %v", tt.ps, err, tt.wantErr)
			}
			if got := tt.ps.Error(); got != tt.want {
				t.Errorf("Problems.Error() = %q, want %q", got, tt.want)
			}
			if err == nil {
				return
			}
			if got := err.Error(); got != tt.want {
				t.Errorf("Problems.Err().Error() = %q, want %q", got, tt.want)
			}
			var ps convention.Problems
			if !errors.As(err, &ps) || len(ps) != len(tt.ps) {
				t.Errorf("errors.As(%v, *Problems) = %v (%d problems), want the %d problems back", err, ps, len(ps), len(tt.ps))
			}
		})
	}
}

func TestCite(t *testing.T) {
	tests := []struct {
		name string
		ref  convention.Ref
		want string
	}{
		{"art 40(21)(a): a checked citation reads as it is", convention.Art(40).Para(21).Sub("a"), "art. 40(21)(a)"},
		{"art 42(4): an unverified citation says so", convention.Art(42).Para(4).Unchecked(), "art. 42(4) (unverified)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.ref.Cite(); got != tt.want {
				t.Errorf("%#v.Cite() = %q, want %q", tt.ref, got, tt.want)
			}
		})
	}
	p := convention.Problem{Field: "grounds", Ref: convention.Art(42).Para(4).Unchecked(), Message: "m"}
	if got, want := p.String(), "grounds: m (art. 42(4) (unverified))"; got != want {
		t.Errorf("Problem.String() = %q, want %q", got, want)
	}
}

// Every citation of art. 37 comes from extradition.go, in one numbering.
func TestExtraditionCitationsAgree(t *testing.T) {
	canonical := map[int]convention.Ref{}
	for _, r := range []convention.Ref{convention.ExtraditionScope, convention.ExtraditionLegalBasis, convention.ExtraditionNotification,
		convention.ExtraditionConditions, convention.ProvisionalArrest, convention.ExtraditionNationals, convention.ExtraditionFiscal} {
		if old, dup := canonical[r.Paragraph]; dup {
			t.Errorf("art 37(%d) is cited as both %#v and %#v", r.Paragraph, old, r)
		}
		canonical[r.Paragraph] = r
	}
	wantParas := map[string]int{"scope": 1, "legal basis": 5, "notification": 6, "conditions": 8, "provisional arrest": 10, "nationals": 11, "fiscal": 16}
	for name, r := range map[string]convention.Ref{"scope": convention.ExtraditionScope, "legal basis": convention.ExtraditionLegalBasis,
		"notification": convention.ExtraditionNotification, "conditions": convention.ExtraditionConditions, "provisional arrest": convention.ProvisionalArrest,
		"nationals": convention.ExtraditionNationals, "fiscal": convention.ExtraditionFiscal} {
		t.Run(fmt.Sprintf("art 37(%d): %s", wantParas[name], name), func(t *testing.T) {
			if r.Article != 37 || r.Paragraph != wantParas[name] {
				t.Errorf("%s = %s, want art. 37(%d)", name, r, wantParas[name])
			}
		})
	}
	check := func(where string, r convention.Ref) {
		if r.Article != 37 || r.Paragraph == 0 {
			return
		}
		if c, ok := canonical[r.Paragraph]; !ok || c != r {
			t.Errorf("%s cites %#v, not one of extradition.go's paragraphs", where, r)
		}
	}
	for _, s := range convention.Kinds() {
		for _, f := range s.Fields {
			check(string(s.Kind)+"."+f.Name, f.Ref)
		}
	}
	for _, g := range convention.Grounds() {
		gs, _ := convention.LookupGround(g)
		check("ground "+string(g), gs.Ref)
	}
}
