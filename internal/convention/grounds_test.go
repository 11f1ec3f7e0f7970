package convention_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"entraide/internal/convention"
)

const reasons = "Execution would disclose a source in an ongoing national security investigation."

func TestValidateRefusal(t *testing.T) {
	G := func(gs ...convention.Ground) []convention.Ground { return gs }
	tests := []struct {
		name    string
		kind    convention.Kind
		grounds []convention.Ground
		reasons string
		want    []want
	}{
		{
			name: "art 40(21)(b): mutual assistance refused on essential interests",
			kind: convention.MutualAssistance, grounds: G(convention.EssentialInterests), reasons: reasons,
		},
		{
			name: "art 40(21): refusal without a ground",
			kind: convention.MutualAssistance, grounds: nil, reasons: reasons,
			want: []want{{"grounds", convention.Art(40).Para(21), "at least one ground"}},
		},
		{
			name: "art 40(21): refusal with an empty list of grounds",
			kind: convention.Preservation, grounds: G(), reasons: reasons,
			want: []want{{"grounds", convention.Art(40).Para(21), "at least one ground"}},
		},
		{
			name: "art 40(24): refusal without reasons",
			kind: convention.MutualAssistance, grounds: G(convention.DomesticLaw), reasons: "",
			want: []want{{"reasons", convention.Art(40).Para(24), "reasons must be given"}},
		},
		{
			name: "art 40(24): refusal with blank reasons",
			kind: convention.Preservation, grounds: G(convention.DomesticLaw), reasons: " \n\t",
			want: []want{{"reasons", convention.Art(40).Para(24), "reasons must be given"}},
		},
		{
			name: "art 40(21), 40(24): no ground and no reasons give two problems",
			kind: convention.MutualAssistance, grounds: nil, reasons: "",
			want: []want{
				{"grounds", convention.Art(40).Para(21), "at least one ground"},
				{"reasons", convention.Art(40).Para(24), "reasons must be given"},
			},
		},
		// Arts. 42 and 43: only art. 40(21)(b), (c) and 40(22).
		{
			name: "art 42, 40(21)(b): preservation refused on essential interests",
			kind: convention.Preservation, grounds: G(convention.EssentialInterests), reasons: reasons,
		},
		{
			name: "art 42, 40(21)(c): preservation refused on domestic law",
			kind: convention.Preservation, grounds: G(convention.DomesticLaw), reasons: reasons,
		},
		{
			name: "art 42, 40(22): preservation refused on discrimination",
			kind: convention.Preservation, grounds: G(convention.Discrimination), reasons: reasons,
		},
		{
			name: "art 42: preservation refused on all three allowed grounds",
			kind: convention.Preservation, grounds: G(convention.EssentialInterests, convention.DomesticLaw, convention.Discrimination), reasons: reasons,
		},
		{
			name: "art 42, 40(21)(a): preservation may not be refused for non-conformity",
			kind: convention.Preservation, grounds: G(convention.NonConformity), reasons: reasons,
			want: []want{{"grounds", convention.Art(42), `ground "non_conformity" (art. 40(21)(a)) is not allowed for Expedited preservation of stored electronic data`}},
		},
		{
			name: "art 42, 40(21)(d): preservation may not be refused on the legal system",
			kind: convention.Preservation, grounds: G(convention.LegalSystem), reasons: reasons,
			want: []want{{"grounds", convention.Art(42), `ground "legal_system" (art. 40(21)(d)) is not allowed`}},
		},
		{
			name: "art 42: preservation may not be refused for lack of dual criminality",
			kind: convention.Preservation, grounds: G(convention.NoDualCriminality), reasons: reasons,
			want: []want{{"grounds", convention.Art(42).Para(4).Unchecked(), `"no_dual_criminality" (art. 40(9)) is not allowed for Expedited preservation of stored electronic data; allowed: essential_interests, domestic_law or discrimination, or "no_dual_criminality" where the requested State has declared the reservation "preservation_dual_criminality" (art. 42(4)), which it has not`}},
		},
		{
			name: "art 43, 40(21)(b),(c), 40(22): traffic disclosure refused on its allowed grounds",
			kind: convention.TrafficDisclosure, grounds: G(convention.Discrimination, convention.DomesticLaw, convention.EssentialInterests), reasons: reasons,
		},
		{
			name: "art 43, 40(21)(a),(d): traffic disclosure may not be refused for non-conformity or legal system",
			kind: convention.TrafficDisclosure, grounds: G(convention.NonConformity, convention.LegalSystem), reasons: reasons,
			want: []want{
				{"grounds", convention.Art(43), `"non_conformity" (art. 40(21)(a)) is not allowed for Expedited disclosure of preserved traffic data`},
				{"grounds", convention.Art(43), `"legal_system" (art. 40(21)(d)) is not allowed`},
			},
		},
		{
			name: "art 40(21)(a): mutual assistance refused for non-conformity",
			kind: convention.MutualAssistance, grounds: G(convention.NonConformity), reasons: reasons,
		},
		{
			name: "art 40(21)(d): mutual assistance refused on the legal system",
			kind: convention.MutualAssistance, grounds: G(convention.LegalSystem), reasons: reasons,
		},
		{
			name: "art 40(9): mutual assistance refused for lack of dual criminality",
			kind: convention.MutualAssistance, grounds: G(convention.NoDualCriminality), reasons: reasons,
		},
		{
			name: "art 40(21)(a)-(d), 40(22): mutual assistance refused on every ground of art. 40",
			kind: convention.MutualAssistance, grounds: G(convention.NonConformity, convention.EssentialInterests, convention.DomesticLaw, convention.LegalSystem, convention.Discrimination), reasons: reasons,
		},
		// Never grounds.
		{
			name: "art 40(8): bank secrecy is never a ground",
			kind: convention.MutualAssistance, grounds: G(convention.BankSecrecy), reasons: reasons,
			want: []want{{"grounds", convention.Art(40).Para(8), "bank secrecy is never a ground for refusal"}},
		},
		{
			name: "art 40(8): bank secrecy is never a ground for freezing",
			kind: convention.Freezing, grounds: G(convention.EssentialInterests, convention.BankSecrecy), reasons: reasons,
			want: []want{{"grounds", convention.Art(40).Para(8), "never a ground"}},
		},
		{
			name: "art 40(8): bank secrecy is never a ground for preservation",
			kind: convention.Preservation, grounds: G(convention.BankSecrecy), reasons: reasons,
			want: []want{{"grounds", convention.Art(40).Para(8), "never a ground"}},
		},
		{
			name: "art 40(23): fiscal matters are never the sole ground",
			kind: convention.MutualAssistance, grounds: G(convention.FiscalMatters), reasons: reasons,
			want: []want{{"grounds", convention.Art(40).Para(23), "never the sole ground for refusal; give the ground the refusal rests on"}},
		},
		{
			name: "art 40(23): fiscal matters beside domestic law refuse stored data access",
			kind: convention.StoredDataAccess, grounds: G(convention.FiscalMatters, convention.DomesticLaw), reasons: reasons,
		},
		{
			name: "art 40(23): fiscal matters beside essential interests refuse mutual assistance, in either order",
			kind: convention.MutualAssistance, grounds: G(convention.EssentialInterests, convention.FiscalMatters), reasons: reasons,
		},
		{
			name: "art 40(23): fiscal matters beside a ground not allowed for the kind are still alone",
			kind: convention.Preservation, grounds: G(convention.FiscalMatters, convention.LegalSystem), reasons: reasons,
			want: []want{
				{"grounds", convention.Art(42), `"legal_system" (art. 40(21)(d)) is not allowed`},
				{"grounds", convention.Art(40).Para(23), "never the sole ground"},
			},
		},
		{
			name: "art 40(23): fiscal matters beside an unknown ground are still alone",
			kind: convention.MutualAssistance, grounds: G(convention.FiscalMatters, "bad_weather"), reasons: reasons,
			want: []want{
				{"grounds", convention.Art(40).Para(21), `unknown ground "bad_weather"`},
				{"grounds", convention.Art(40).Para(23), "never the sole ground"},
			},
		},
		{
			name: "art 37(16): fiscal matters are never the sole ground to refuse extradition",
			kind: convention.Extradition, grounds: G(convention.FiscalMatters), reasons: reasons,
			want: []want{{"grounds", convention.ExtraditionFiscal, "never the sole ground"}},
		},
		{
			name: "art 37(16): extradition refused on a treaty ground beside fiscal matters",
			kind: convention.Extradition, grounds: G(convention.FiscalMatters, convention.DomesticLawOrTreaty), reasons: reasons,
		},
		{
			name: "art 40(4): fiscal matters do not refuse spontaneous information either",
			kind: convention.Spontaneous, grounds: G(convention.FiscalMatters), reasons: reasons,
			want: []want{{"grounds", convention.Art(40).Para(4), `"fiscal_matters" (art. 40(23)) is not allowed for Spontaneous information`}},
		},
		{
			name: "art 37(8): extradition refused on a ground of the requested State's law or an extradition treaty",
			kind: convention.Extradition, grounds: G(convention.DomesticLawOrTreaty), reasons: reasons,
		},
		{
			name: "art 37(8): the ground of domestic law or treaty is for extradition only",
			kind: convention.MutualAssistance, grounds: G(convention.DomesticLawOrTreaty), reasons: reasons,
			want: []want{{"grounds", convention.Art(40), `"domestic_law_or_treaty" (art. 37(8)) is not allowed for Mutual legal assistance; allowed: non_conformity, essential_interests, domestic_law, legal_system, discrimination or no_dual_criminality`}},
		},
		// Other kinds' grounds.
		{
			name: "art 37: extradition refused because the person is a national",
			kind: convention.Extradition, grounds: G(convention.Nationality), reasons: reasons,
		},
		{
			name: "art 37: nationality is no ground for mutual assistance",
			kind: convention.MutualAssistance, grounds: G(convention.Nationality), reasons: reasons,
			want: []want{{"grounds", convention.Art(40), `"nationality"`}},
		},
		{
			name: "art 37: extradition not refused on essential interests",
			kind: convention.Extradition, grounds: G(convention.EssentialInterests), reasons: reasons,
			want: []want{{"grounds", convention.Art(37), `"essential_interests" (art. 40(21)(b)) is not allowed for Extradition; allowed: discrimination, no_dual_criminality, nationality, non_conformity or domestic_law_or_treaty`}},
		},
		{
			name: "art 50: freezing lifted for insufficient evidence or de minimis value",
			kind: convention.Freezing, grounds: G(convention.InsufficientEvidence, convention.DeMinimis), reasons: reasons,
		},
		{
			name: "art 50: confiscation refused for de minimis value",
			kind: convention.Confiscation, grounds: G(convention.DeMinimis), reasons: reasons,
		},
		{
			name: "art 50: de minimis is no ground for mutual assistance",
			kind: convention.MutualAssistance, grounds: G(convention.DeMinimis), reasons: reasons,
			want: []want{{"grounds", convention.Art(40), `"de_minimis"`}},
		},
		{
			name: "art 40(4): spontaneous information is not refused",
			kind: convention.Spontaneous, grounds: G(convention.EssentialInterests), reasons: reasons,
			want: []want{{"grounds", convention.Art(40).Para(4), "not allowed for Spontaneous information"}},
		},
		// Unknown and duplicate grounds, unknown kind.
		{
			name: "art 40(21): unknown ground",
			kind: convention.MutualAssistance, grounds: G("bad_weather"), reasons: reasons,
			want: []want{{"grounds", convention.Art(40).Para(21), `unknown ground "bad_weather"`}},
		},
		{
			name: "art 40(21): empty ground",
			kind: convention.MutualAssistance, grounds: G(""), reasons: reasons,
			want: []want{{"grounds", convention.Art(40).Para(21), `unknown ground ""`}},
		},
		{
			name: "art 40(21): ground names are case-sensitive",
			kind: convention.MutualAssistance, grounds: G("Essential_Interests"), reasons: reasons,
			want: []want{{"grounds", convention.Art(40).Para(21), "unknown ground"}},
		},
		{
			name: "art 40(21): duplicate ground",
			kind: convention.MutualAssistance, grounds: G(convention.EssentialInterests, convention.DomesticLaw, convention.EssentialInterests), reasons: reasons,
			want: []want{{"grounds", convention.Art(40).Para(21), `ground "essential_interests" is given twice`}},
		},
		{
			name: "art 40(8): duplicate never-ground reported once as never and once as twice",
			kind: convention.MutualAssistance, grounds: G(convention.BankSecrecy, convention.BankSecrecy), reasons: reasons,
			want: []want{
				{"grounds", convention.Art(40).Para(8), "never a ground"},
				{"grounds", convention.Art(40).Para(21), "given twice"},
			},
		},
		{
			name: "art 35: unknown kind",
			kind: "subpoena", grounds: G(convention.EssentialInterests), reasons: reasons,
			want: []want{{"kind", convention.Art(35), `unknown kind of request "subpoena"`}},
		},
		{
			name: "arts 42, 40(8), 40(21), 40(24): every problem at once, in order",
			kind: convention.Preservation,
			grounds: G(convention.BankSecrecy, convention.NonConformity, "bad_weather", convention.EssentialInterests,
				convention.NonConformity, convention.FiscalMatters),
			reasons: "",
			want: []want{
				{"grounds", convention.Art(40).Para(8), "never a ground"},
				{"grounds", convention.Art(42), `"non_conformity"`},
				{"grounds", convention.Art(40).Para(21), `unknown ground "bad_weather"`},
				{"grounds", convention.Art(40).Para(21), `"non_conformity" is given twice`},
				{"reasons", convention.Art(40).Para(24), "reasons must be given"},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := convention.ValidateRefusal(convention.Refusal{Kind: tt.kind, Grounds: tt.grounds, Reasons: tt.reasons})
			assertProblems(t, fmt.Sprintf("ValidateRefusal(%s, %v, %q)", tt.kind, tt.grounds, tt.reasons), got, tt.want)
		})
	}
}

// Every ground a spec lists is accepted by ValidateRefusal, and GroundsFor
// returns the same grounds: one rule in one place.
func TestRefusalGroundsAgree(t *testing.T) {
	for _, s := range convention.Kinds() {
		for _, g := range s.RefusalGrounds {
			t.Run(fmt.Sprintf("%s: %s refused on %s", s.MainArticle(), s.Kind, g), func(t *testing.T) {
				if got := convention.ValidateRefusal(convention.Refusal{Kind: s.Kind, Grounds: []convention.Ground{g}, Reasons: reasons}); got != nil {
					t.Errorf("ValidateRefusal(%s, [%s], reasons) = %v, want nil", s.Kind, g, got)
				}
			})
		}
		t.Run(fmt.Sprintf("%s: GroundsFor(%s)", s.MainArticle(), s.Kind), func(t *testing.T) {
			var got []convention.Ground
			for _, gs := range convention.GroundsFor(s.Kind) {
				got = append(got, gs.Ground)
				if gs.Description == "" || gs.Ref.Article == 0 {
					t.Errorf("GroundsFor(%s) has %+v, want a description and a provision", s.Kind, gs)
				}
			}
			if !slices.Equal(got, s.RefusalGrounds) {
				t.Errorf("GroundsFor(%s) = %v, want %v", s.Kind, got, s.RefusalGrounds)
			}
			for _, never := range []convention.Ground{convention.BankSecrecy, convention.FiscalMatters} {
				if slices.Contains(got, never) {
					t.Errorf("GroundsFor(%s) = %v, want no %s (arts. 40(8), 40(23))", s.Kind, got, never)
				}
			}
		})
	}
}

func TestGroundsFor(t *testing.T) {
	narrow := []convention.Ground{convention.EssentialInterests, convention.DomesticLaw, convention.Discrimination}
	tests := []struct {
		name string
		kind convention.Kind
		want []convention.Ground
	}{
		{"art 42(5): preservation refused only on 40(21)(b),(c), 40(22)", convention.Preservation, narrow},
		{"art 43(2): traffic disclosure withheld only on 40(21)(b),(c), 40(22)", convention.TrafficDisclosure, narrow},
		{"art 40(21), 40(22), 40(9): mutual assistance", convention.MutualAssistance, []convention.Ground{
			convention.NonConformity, convention.EssentialInterests, convention.DomesticLaw, convention.LegalSystem, convention.Discrimination, convention.NoDualCriminality,
		}},
		{"art 37: extradition", convention.Extradition, []convention.Ground{
			convention.Discrimination, convention.NoDualCriminality, convention.Nationality, convention.NonConformity, convention.DomesticLawOrTreaty,
		}},
		{"art 50: freezing adds insufficient evidence and de minimis", convention.Freezing, []convention.Ground{
			convention.NonConformity, convention.EssentialInterests, convention.DomesticLaw, convention.LegalSystem, convention.Discrimination, convention.NoDualCriminality,
			convention.InsufficientEvidence, convention.DeMinimis,
		}},
		{"art 38: a sentenced person's transfer is refused under the arrangement, or without consent", convention.SentencedTransfer, []convention.Ground{
			convention.NonConformity, convention.EssentialInterests, convention.DomesticLaw, convention.Discrimination, convention.NoConsent,
		}},
		{"art 40(10)(a): a detained witness is transferred only with consent", convention.WitnessTransfer, []convention.Ground{
			convention.NonConformity, convention.EssentialInterests, convention.DomesticLaw, convention.LegalSystem, convention.Discrimination, convention.NoDualCriminality,
			convention.NoConsent,
		}},
		{"art 41(3)(a): technical advice declined under domestic law or essential interests", convention.TechnicalAdvice, []convention.Ground{convention.EssentialInterests, convention.DomesticLaw}},
		{"art 41(3)(c): legal information declined under domestic law or essential interests", convention.LegalInformation, []convention.Ground{convention.EssentialInterests, convention.DomesticLaw}},
		{"art 41(3)(d), 40(22): locating a suspect declined also on persecution", convention.LocatingSuspects, []convention.Ground{convention.EssentialInterests, convention.DomesticLaw, convention.Discrimination}},
		{"art 40(4): spontaneous information has no grounds", convention.Spontaneous, nil},
		{"art 35: unknown kind", "subpoena", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []convention.Ground
			for _, gs := range convention.GroundsFor(tt.kind) {
				got = append(got, gs.Ground)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("GroundsFor(%s) = %v, want %v", tt.kind, got, tt.want)
			}
		})
	}
}

func TestLookupGround(t *testing.T) {
	tests := []struct {
		name   string
		ground convention.Ground
		ref    convention.Ref
		ok     bool
	}{
		{"art 40(21)(a): non-conformity", convention.NonConformity, convention.Art(40).Para(21).Sub("a"), true},
		{"art 40(21)(b): essential interests", convention.EssentialInterests, convention.Art(40).Para(21).Sub("b"), true},
		{"art 40(21)(c): domestic law", convention.DomesticLaw, convention.Art(40).Para(21).Sub("c"), true},
		{"art 40(21)(d): legal system", convention.LegalSystem, convention.Art(40).Para(21).Sub("d"), true},
		{"art 40(22): discrimination", convention.Discrimination, convention.Art(40).Para(22), true},
		{"art 40(9): no dual criminality", convention.NoDualCriminality, convention.Art(40).Para(9), true},
		{"art 37(11): nationality", convention.Nationality, convention.Art(37).Para(11).Unchecked(), true},
		{"art 37(8): domestic law or treaty", convention.DomesticLawOrTreaty, convention.Art(37).Para(8).Unchecked(), true},
		{"art 50: insufficient evidence", convention.InsufficientEvidence, convention.Art(50).Para(8).Unchecked(), true},
		{"art 50: de minimis", convention.DeMinimis, convention.Art(50).Para(8).Unchecked(), true},
		{"art 40(8): bank secrecy", convention.BankSecrecy, convention.Art(40).Para(8), true},
		{"art 40(23): fiscal matters", convention.FiscalMatters, convention.Art(40).Para(23), true},
		{"art 40(21): unknown ground", "bad_weather", convention.Ref{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			gs, ok := convention.LookupGround(tt.ground)
			if ok != tt.ok || gs.Ref != tt.ref {
				t.Errorf("LookupGround(%q) = %+v, %v, want ref %#v, %v", tt.ground, gs, ok, tt.ref, tt.ok)
			}
			if ok && (gs.Ground != tt.ground || gs.Description == "") {
				t.Errorf("LookupGround(%q) = %+v, want ground %q with a description", tt.ground, gs, tt.ground)
			}
		})
	}
}

func TestValidateRefusalWithReservations(t *testing.T) {
	fraud := []convention.Charge{{Article: 13}}
	drugs := []convention.Charge{{Description: "Drug trafficking", MaxPenaltyYears: 10}}
	both := append(append([]convention.Charge{}, fraud...), drugs...)
	reserved := []convention.Reservation{convention.PreservationDualCriminality}
	art424 := convention.Art(42).Para(4).Unchecked()
	tests := []struct {
		name     string
		refusal  convention.Refusal
		want     []want
		reliesOn []convention.Reservation
	}{
		{
			name:     "art 42(4): preservation refused for lack of dual criminality by a State that reserved it, for a serious crime outside the Convention",
			refusal:  convention.Refusal{Kind: convention.Preservation, Charges: drugs, Grounds: []convention.Ground{convention.NoDualCriminality}, Reasons: reasons, Declared: reserved},
			reliesOn: reserved,
		},
		{
			name:     "art 42(4): the reservation reaches a request that names one offence outside the Convention among others",
			refusal:  convention.Refusal{Kind: convention.Preservation, Charges: both, Grounds: []convention.Ground{convention.NoDualCriminality}, Reasons: reasons, Declared: reserved},
			reliesOn: reserved,
		},
		{
			name:    "art 42(4): without the reservation, dual criminality is no ground for preservation",
			refusal: convention.Refusal{Kind: convention.Preservation, Charges: drugs, Grounds: []convention.Ground{convention.NoDualCriminality}, Reasons: reasons},
			want:    []want{{"grounds", art424, "which it has not"}},
		},
		{
			name:    "art 42(4): the reservation does not reach the offences of arts. 7-17",
			refusal: convention.Refusal{Kind: convention.Preservation, Charges: fraud, Grounds: []convention.Ground{convention.NoDualCriminality}, Reasons: reasons, Declared: reserved},
			want:    []want{{"grounds", art424, "reaches only offences other than those of arts. 7-17, and this request concerns none"}},
		},
		{
			name:    "art 43: the reservation of art. 42(4) does not reach traffic disclosure",
			refusal: convention.Refusal{Kind: convention.TrafficDisclosure, Charges: drugs, Grounds: []convention.Ground{convention.NoDualCriminality}, Reasons: reasons, Declared: reserved},
			want:    []want{{"grounds", convention.Art(43), `"no_dual_criminality" (art. 40(9)) is not allowed`}},
		},
		{
			name:     "art 42(4), 40(23): fiscal matters may stand beside a ground a reservation allows",
			refusal:  convention.Refusal{Kind: convention.Preservation, Charges: drugs, Grounds: []convention.Ground{convention.FiscalMatters, convention.NoDualCriminality}, Reasons: reasons, Declared: reserved},
			reliesOn: reserved,
		},
		{
			name:    "art 42(5): a refusal on an allowed ground relies on no reservation",
			refusal: convention.Refusal{Kind: convention.Preservation, Charges: drugs, Grounds: []convention.Ground{convention.DomesticLaw}, Reasons: reasons, Declared: reserved},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assertProblems(t, fmt.Sprintf("ValidateRefusal(%+v)", tt.refusal), convention.ValidateRefusal(tt.refusal), tt.want)
			if tt.want == nil {
				if got := tt.refusal.ReliesOn(); !slices.Equal(got, tt.reliesOn) {
					t.Errorf("ReliesOn(%+v) = %v, want %v", tt.refusal, got, tt.reliesOn)
				}
			}
		})
	}
}

// TestUnknownGroundNamesReservedOnes: art. 42(4): an official who looks
// for the dual-criminality ground of a preservation is told its name and
// the reservation it needs.
func TestUnknownGroundNamesReservedOnes(t *testing.T) {
	ps := convention.ValidateRefusal(convention.Refusal{Kind: convention.Preservation, Grounds: []convention.Ground{"dual_criminality"}, Reasons: "not an offence here"})
	if len(ps) != 1 || !strings.Contains(ps[0].Message, `or "no_dual_criminality" where the requested State has declared the reservation "preservation_dual_criminality" (art. 42(4)`) {
		t.Errorf("ValidateRefusal(preservation, dual_criminality) = %v; want the reserved ground and its reservation named", ps)
	}
}
