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
	// Art. 37: a ground for refusing extradition that the requested
	// State's domestic law or an applicable extradition treaty gives.
	DomesticLawOrTreaty Ground = "domestic_law_or_treaty"
	// Art. 40(10)(a) for a detained witness, art. 38 for a sentenced
	// person: the person concerned does not consent to the transfer.
	NoConsent Ground = "no_consent"
	// Arts. 49-50: provisional measures may be refused or lifted if the
	// evidence is insufficient or late, or the property de minimis.
	InsufficientEvidence Ground = "insufficient_evidence"
	DeMinimis            Ground = "de_minimis"

	// Never a ground for refusal; named so the refusal can be rejected
	// with the provision that forbids it.
	BankSecrecy Ground = "bank_secrecy" // art. 40(8)
	// Never the sole ground: a request may not be refused on the sole
	// ground that the offence also involves fiscal matters, but a refusal
	// may say so beside a ground it rests on (art. 40(23); art. 37 for
	// extradition).
	FiscalMatters Ground = "fiscal_matters"
)

// GroundSpec describes a ground for refusal and where it comes from.
type GroundSpec struct {
	Ground      Ground `json:"ground"`
	Description string `json:"description"`
	Ref         Ref    `json:"ref"`
}

// The paragraphs of art. 40 cited here and across the code (19 use
// limitation, 20 confidentiality, 21 grounds, 22 discrimination, 24
// reasons, 27 consultation) follow CONVENTION.md's numbering, which the
// search of public sources in docs/convention-check.md could not confirm
// against the authentic text (A/RES/79/243): only the articles' subjects
// were. They are left unmarked so that every message keeps its citation;
// correct them here, and in casework's rules, once the text is read.
var groundSpecs = map[Ground]GroundSpec{
	NonConformity:        {NonConformity, "The request does not conform to the provisions of art. 40", Art(40).Para(21).Sub("a")},
	EssentialInterests:   {EssentialInterests, "Execution is likely to prejudice sovereignty, security, ordre public or other essential interests", Art(40).Para(21).Sub("b")},
	DomesticLaw:          {DomesticLaw, "Domestic law would prohibit the action requested in a similar domestic case", Art(40).Para(21).Sub("c")},
	LegalSystem:          {LegalSystem, "Granting the request would be contrary to the legal system for mutual legal assistance", Art(40).Para(21).Sub("d")},
	Discrimination:       {Discrimination, "Substantial grounds to believe the request aims to prosecute or punish a person for sex, race, language, religion, nationality, ethnic origin or political opinions", Art(40).Para(22)},
	NoDualCriminality:    {NoDualCriminality, "The conduct is not a criminal offence under the law of the requested State", Art(40).Para(9)},
	Nationality:          {Nationality, "The person sought is a national of the requested State, which submits the case for prosecution", ExtraditionNationals},
	DomesticLawOrTreaty:  {DomesticLawOrTreaty, "A ground for refusal given by the requested State's domestic law or an applicable extradition treaty", ExtraditionConditions},
	NoConsent:            {NoConsent, "The person to be transferred does not freely give informed consent (art. 40(10)(a); art. 38 for a sentenced person)", Art(40).Para(10).Sub("a").Unchecked()},
	InsufficientEvidence: {InsufficientEvidence, "Sufficient and timely evidence was not received", Art(50).Para(8).Unchecked()},
	DeMinimis:            {DeMinimis, "The property is of de minimis value", Art(50).Para(8).Unchecked()},
	BankSecrecy:          {BankSecrecy, "Bank secrecy", Art(40).Para(8)},
	FiscalMatters:        {FiscalMatters, "The offence is also considered to involve fiscal matters (never the sole ground)", Art(40).Para(23)},
}

var (
	mlaGrounds = []Ground{NonConformity, EssentialInterests, DomesticLaw, LegalSystem, Discrimination, NoDualCriminality}
	// Arts. 42(5) and 43(2): preservation and expedited disclosure may be
	// refused only on art. 40(21)(b) or (c), or art. 40(22).
	narrowGrounds = []Ground{EssentialInterests, DomesticLaw, Discrimination}
	// Art. 37: the conditions of domestic law and applicable treaties
	// include their grounds for refusal.
	extraditionGrounds = []Ground{Discrimination, NoDualCriminality, Nationality, NonConformity, DomesticLawOrTreaty}
	assetGrounds       = append(append([]Ground{}, mlaGrounds...), InsufficientEvidence, DeMinimis)
	// A detained person is transferred to testify as mutual legal
	// assistance, with the person's consent (art. 40(10)(a)).
	witnessGrounds = append(append([]Ground{}, mlaGrounds...), NoConsent)
	// Art. 38 leaves the transfer of sentenced persons to agreements and
	// arrangements, with regard to the person's consent.
	sentencedGrounds = []Ground{NonConformity, EssentialInterests, DomesticLaw, Discrimination, NoConsent}
	// The 24/7 network assists "in accordance with domestic law" (art.
	// 41(3)): it may decline what its law does not allow, or what would
	// prejudice essential interests; locating a person also on art. 40(22).
	networkGrounds  = []Ground{EssentialInterests, DomesticLaw}
	locatingGrounds = []Ground{EssentialInterests, DomesticLaw, Discrimination}
)

// neverGrounds are reasons the Convention forbids a State to rely on, with
// what it says of them.
var neverGrounds = map[Ground]struct {
	ref     Ref
	message string
}{
	BankSecrecy: {Art(40).Para(8), "bank secrecy is never a ground for refusal"},
}

// fiscalRef cites the rule that fiscal matters are never the sole ground
// for refusing a request of kind k.
func fiscalRef(k Kind) Ref {
	if k == Extradition {
		return ExtraditionFiscal
	}
	return Art(40).Para(23)
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

// ValidateRefusal checks a refusal: at least one ground, each allowed for
// the kind or by a reservation the requested State declared and that
// reaches the request's offences, fiscal matters never alone, and written
// reasons (art. 40(24)). It returns every problem at once.
func ValidateRefusal(f Refusal) Problems {
	var ps Problems
	k := f.Kind
	spec, ok := Lookup(k)
	if !ok {
		return Problems{{Field: "kind", Ref: Art(35), Message: "unknown kind of request " + quote(string(k))}}
	}
	if len(f.Grounds) == 0 {
		ps = append(ps, Problem{Field: "grounds", Ref: Art(40).Para(21), Message: "a refusal must state at least one ground"})
	}
	seen := map[Ground]bool{}
	// Fiscal matters may stand beside a ground the refusal rests on, never
	// alone.
	fiscal, rests := false, false
	for _, g := range f.Grounds {
		if seen[g] {
			ps = append(ps, Problem{Field: "grounds", Ref: Art(40).Para(21), Message: "ground " + quote(string(g)) + " is given twice"})
			continue
		}
		seen[g] = true
		if never, ok := neverGrounds[g]; ok {
			ps = append(ps, Problem{Field: "grounds", Ref: never.ref, Message: never.message})
			continue
		}
		if g == FiscalMatters && len(spec.RefusalGrounds) > 0 {
			fiscal = true
			continue
		}
		if _, known := groundSpecs[g]; !known {
			ps = append(ps, Problem{Field: "grounds", Ref: Art(40).Para(21), Message: "unknown ground " + quote(string(g)) + "; for " + spec.Title + " give one of " + groundList(spec.RefusalGrounds) + reservedHint(k)})
			continue
		}
		if allowed(spec.RefusalGrounds, g) {
			rests = true
			continue
		}
		msg := "ground " + quote(string(g)) + " (" + groundSpecs[g].Ref.String() + ") is not allowed for " + spec.Title + "; allowed: " + groundList(spec.RefusalGrounds)
		rs, reserved := reservationFor(k, g)
		switch {
		case !reserved:
			ps = append(ps, Problem{Field: "grounds", Ref: spec.MainArticle(), Message: msg})
		case !slices.Contains(f.Declared, rs.Reservation):
			ps = append(ps, Problem{Field: "grounds", Ref: rs.Ref, Message: msg + ", or " + quote(string(g)) + " where the requested State has declared the reservation " + quote(string(rs.Reservation)) + " (" + rs.Ref.String() + "), which it has not"})
		case !coversCharges(rs.Reservation, f.Charges):
			ps = append(ps, Problem{Field: "grounds", Ref: rs.Ref, Message: "the reservation " + quote(string(rs.Reservation)) + " (" + rs.Ref.String() + ") reaches only offences other than those of arts. 7-17, and this request concerns none"})
		default:
			rests = true
		}
	}
	if fiscal && !rests {
		ps = append(ps, Problem{Field: "grounds", Ref: fiscalRef(k), Message: "that the offence also involves fiscal matters is never the sole ground for refusal; give the ground the refusal rests on beside it (" + groundList(spec.RefusalGrounds) + ")"})
	}
	if blank(f.Reasons) {
		ps = append(ps, Problem{Field: "reasons", Ref: Art(40).Para(24), Message: "reasons must be given for any refusal"})
	}
	return ps
}

// groundList names gs for a message: "a, b or c".
func groundList(gs []Ground) string {
	var b []byte
	for i, g := range gs {
		switch {
		case i == 0:
		case i == len(gs)-1:
			b = append(b, " or "...)
		default:
			b = append(b, ", "...)
		}
		b = append(b, g...)
	}
	return string(b)
}

func allowed(gs []Ground, g Ground) bool {
	for _, x := range gs {
		if x == g {
			return true
		}
	}
	return false
}

// reservedHint names the grounds a reservation opens for kind k, for an
// official who looks for them among the grounds allowed, or "".
func reservedHint(k Kind) string {
	var hint string
	for _, g := range Grounds() {
		if rs, ok := reservationFor(k, g); ok {
			hint += "; or " + quote(string(g)) + " where the requested State has declared the reservation " + quote(string(rs.Reservation)) + " (" + rs.Ref.Cite() + ")"
		}
	}
	return hint
}
