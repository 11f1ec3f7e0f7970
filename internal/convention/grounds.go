package convention

import "slices"

// Ground is a ground on which a requested State may refuse a request.
type Ground string

// The grounds for refusal.
const (
	// Art. 40(21): assistance may be refused if
	NonConformity      Ground = "non_conformity"      // (a) the request does not conform to art. 40
	EssentialInterests Ground = "essential_interests" // (b) sovereignty, security, ordre public or other essential interests
	DomesticLaw        Ground = "domestic_law"        // (c) domestic law would forbid the action in a similar domestic case
	LegalSystem        Ground = "legal_system"        // (d) contrary to the legal system for mutual legal assistance
	// Art. 40(22): no obligation where the request aims to prosecute or
	// punish a person for sex, race, language, religion, nationality,
	// ethnic origin or political opinions.
	Discrimination Ground = "discrimination"
	// Art. 40(9): absence of dual criminality.
	NoDualCriminality Ground = "no_dual_criminality"
	// Art. 37: the person sought is a national of the requested State,
	// which must then submit the case for prosecution.
	Nationality Ground = "nationality"
	// Arts. 49-50: provisional measures may be refused or lifted if the
	// evidence is insufficient or late, or the property de minimis.
	InsufficientEvidence Ground = "insufficient_evidence"
	DeMinimis            Ground = "de_minimis"

	// Never grounds for refusal; named so the refusal can be rejected with
	// the provision that forbids it.
	BankSecrecy   Ground = "bank_secrecy"   // art. 40(8)
	FiscalMatters Ground = "fiscal_matters" // art. 40(23); art. 37 for extradition
)

// GroundSpec describes a ground for refusal and where it comes from.
type GroundSpec struct {
	Ground      Ground `json:"ground"`
	Description string `json:"description"`
	Ref         Ref    `json:"ref"`
}

var groundSpecs = map[Ground]GroundSpec{
	NonConformity:        {NonConformity, "The request does not conform to the provisions of art. 40", Art(40).Para(21).Sub("a")},
	EssentialInterests:   {EssentialInterests, "Execution is likely to prejudice sovereignty, security, ordre public or other essential interests", Art(40).Para(21).Sub("b")},
	DomesticLaw:          {DomesticLaw, "Domestic law would prohibit the action requested in a similar domestic case", Art(40).Para(21).Sub("c")},
	LegalSystem:          {LegalSystem, "Granting the request would be contrary to the legal system for mutual legal assistance", Art(40).Para(21).Sub("d")},
	Discrimination:       {Discrimination, "Substantial grounds to believe the request aims to prosecute or punish a person for sex, race, language, religion, nationality, ethnic origin or political opinions", Art(40).Para(22)},
	NoDualCriminality:    {NoDualCriminality, "The conduct is not a criminal offence under the law of the requested State", Art(40).Para(9)},
	Nationality:          {Nationality, "The person sought is a national of the requested State, which submits the case for prosecution", Art(37).Para(11).Unchecked()},
	InsufficientEvidence: {InsufficientEvidence, "Sufficient and timely evidence was not received", Art(50).Para(8).Unchecked()},
	DeMinimis:            {DeMinimis, "The property is of de minimis value", Art(50).Para(8).Unchecked()},
	BankSecrecy:          {BankSecrecy, "Bank secrecy", Art(40).Para(8)},
	FiscalMatters:        {FiscalMatters, "The offence is considered to involve fiscal matters", Art(40).Para(23)},
}

var (
	mlaGrounds = []Ground{NonConformity, EssentialInterests, DomesticLaw, LegalSystem, Discrimination, NoDualCriminality}
	// Arts. 42(5) and 43(2): preservation and expedited disclosure may be
	// refused only on art. 40(21)(b) or (c), or art. 40(22).
	narrowGrounds      = []Ground{EssentialInterests, DomesticLaw, Discrimination}
	extraditionGrounds = []Ground{Discrimination, NoDualCriminality, Nationality, NonConformity}
	assetGrounds       = append(append([]Ground{}, mlaGrounds...), InsufficientEvidence, DeMinimis)
)

// neverGrounds are reasons the Convention forbids a State to rely on, with
// what it says of them.
var neverGrounds = map[Ground]struct {
	ref     Ref
	message string
}{
	BankSecrecy:   {Art(40).Para(8), "bank secrecy is never a ground for refusal"},
	FiscalMatters: {Art(40).Para(23), "that the offence involves fiscal matters is never a ground for refusal"},
}

// Grounds lists every ground for refusal the Convention names, allowed or
// not for some kind, in alphabetical order.
func Grounds() []Ground {
	out := make([]Ground, 0, len(groundSpecs))
	for g := range groundSpecs {
		out = append(out, g)
	}
	slices.Sort(out)
	return out
}

// LookupGround returns the description of g, or false if g is unknown.
func LookupGround(g Ground) (GroundSpec, bool) {
	s, ok := groundSpecs[g]
	return s, ok
}

// GroundsFor returns the specs of the grounds on which a request of kind
// k may be refused, or nil for an unknown kind.
func GroundsFor(k Kind) []GroundSpec {
	s, ok := Lookup(k)
	if !ok {
		return nil
	}
	out := make([]GroundSpec, len(s.RefusalGrounds))
	for i, g := range s.RefusalGrounds {
		out[i] = groundSpecs[g]
	}
	return out
}

// ValidateRefusal checks a refusal of a request of kind k: at least one
// ground, each allowed for k, and written reasons (art. 40(24)). It returns
// every problem at once.
func ValidateRefusal(k Kind, grounds []Ground, reasons string) Problems {
	var ps Problems
	spec, ok := Lookup(k)
	if !ok {
		return Problems{{Field: "kind", Ref: Art(35), Message: "unknown kind of request " + quote(string(k))}}
	}
	if len(grounds) == 0 {
		ps = append(ps, Problem{Field: "grounds", Ref: Art(40).Para(21), Message: "a refusal must state at least one ground"})
	}
	seen := map[Ground]bool{}
	for _, g := range grounds {
		if seen[g] {
			ps = append(ps, Problem{Field: "grounds", Ref: Art(40).Para(21), Message: "ground " + quote(string(g)) + " is given twice"})
			continue
		}
		seen[g] = true
		if never, ok := neverGrounds[g]; ok {
			ps = append(ps, Problem{Field: "grounds", Ref: never.ref, Message: never.message})
			continue
		}
		if _, known := groundSpecs[g]; !known {
			ps = append(ps, Problem{Field: "grounds", Ref: Art(40).Para(21), Message: "unknown ground " + quote(string(g))})
			continue
		}
		if !allowed(spec.RefusalGrounds, g) {
			ps = append(ps, Problem{Field: "grounds", Ref: spec.MainArticle(), Message: "ground " + quote(string(g)) + " (" + groundSpecs[g].Ref.String() + ") is not allowed for " + spec.Title})
		}
	}
	if blank(reasons) {
		ps = append(ps, Problem{Field: "reasons", Ref: Art(40).Para(24), Message: "reasons must be given for any refusal"})
	}
	return ps
}

func allowed(gs []Ground, g Ground) bool {
	for _, x := range gs {
		if x == g {
			return true
		}
	}
	return false
}
