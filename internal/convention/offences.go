package convention

import "strconv"

// Offence is a criminal offence established under chapter II.
type Offence struct {
	Article int    `json:"article"`
	Name    string `json:"name"`
}

var offences = []Offence{
	{7, "Illegal access"},
	{8, "Illegal interception"},
	{9, "Interference with electronic data"},
	{10, "Interference with an information and communications technology system"},
	{11, "Misuse of devices"},
	{12, "Information and communications technology system-related forgery"},
	{13, "Information and communications technology system-related theft or fraud"},
	{14, "Offences related to online child sexual abuse or child sexual exploitation material"},
	{15, "Solicitation or grooming for the purpose of committing a sexual offence against a child"},
	{16, "Non-consensual dissemination of intimate images"},
	{17, "Laundering of proceeds of crime"},
}

// SeriousCrimeMinimumYears is the least maximum penalty, in years of
// deprivation of liberty, that makes an offence a "serious crime" (art. 2).
const SeriousCrimeMinimumYears = 4

// Offences returns the offences of arts. 7-17.
func Offences() []Offence { return offences }

// LookupOffence returns the offence established by article, if any.
func LookupOffence(article int) (Offence, bool) {
	for _, o := range offences {
		if o.Article == article {
			return o, true
		}
	}
	return Offence{}, false
}

// Charge is the offence a request concerns: either an offence of the
// Convention (Article 7-17) or, with Article 0, another offence that is a
// serious crime under the requesting State's law. Penalties are maximum
// terms of deprivation of liberty, in whole years; life imprisonment is
// given as LifeImprisonmentYears.
type Charge struct {
	Article     int    `json:"article,omitempty"`
	Description string `json:"description,omitempty"`
	// MaxPenaltyYears is the maximum under the requesting State's law.
	MaxPenaltyYears int `json:"max_penalty_years,omitempty"`
	// RequestedStateMaxPenaltyYears is the maximum the same conduct
	// carries under the requested State's law: an extradition needs it
	// (art. 37(1)).
	RequestedStateMaxPenaltyYears int `json:"requested_state_max_penalty_years,omitempty"`
}

// LifeImprisonmentYears stands for life imprisonment in a penalty, and
// bounds every penalty a request gives: no term of years is longer.
const LifeImprisonmentYears = 100

// Scope is which offences cooperation of some kind covers (art. 35(1)).
type Scope string

// The scopes of cooperation.
const (
	// Art. 35(1)(b) and (c): the offences of the Convention, and the
	// gathering of evidence in electronic form of any serious crime.
	OffencesAndSeriousCrimes Scope = "offences_and_serious_crimes"
	// Art. 35(1)(a): investigations, prosecutions and proceedings, and the
	// freezing, seizure, confiscation and return of proceeds, for the
	// offences established in accordance with the Convention only.
	ConventionOffences Scope = "convention_offences"
	// Art. 37(1): the offences of the Convention, punishable in both
	// States by a maximum of at least one year.
	ExtraditableOffences Scope = "extraditable_offences"
)

// scopeRef cites the provision that sets a scope.
func scopeRef(s Scope) Ref {
	switch s {
	case ConventionOffences:
		return Art(35).Para(1).Sub("a").Unchecked()
	case ExtraditableOffences:
		return ExtraditionScope
	}
	return Art(35).Para(1)
}

// validateCharges checks that each charge is within the scope of
// cooperation of s (art. 35): an offence of the Convention, or a serious
// crime where s's scope allows one, with penalties within bounds and, for
// an extradition, of at least one year in both States.
func validateCharges(charges []Charge, s Spec) Problems {
	var ps Problems
	scope := s.scope()
	if s.OffenceRequired && len(charges) == 0 {
		msg := "name at least one offence of arts. 7-17 or a serious crime"
		if scope != OffencesAndSeriousCrimes {
			msg = "name at least one offence of arts. 7-17"
		}
		ps = append(ps, Problem{Field: "offences", Ref: Art(35).Para(1), Message: msg})
	}
	bound := func(field string, ref Ref, years int, whose string) {
		switch {
		case years < 0:
			ps = append(ps, Problem{Field: field, Ref: ref, Message: "a penalty is a number of years, at least 1; got " + strconv.Itoa(years)})
		case years > LifeImprisonmentYears:
			ps = append(ps, Problem{Field: field, Ref: ref, Message: "at most " + strconv.Itoa(LifeImprisonmentYears) + " years, which stands for life imprisonment; got " + strconv.Itoa(years) + " (" + whose + ")"})
		}
	}
	for i, c := range charges {
		field := "offences[" + strconv.Itoa(i) + "]"
		bound(field+".max_penalty_years", Art(2), c.MaxPenaltyYears, "the requesting State's maximum")
		bound(field+".requested_state_max_penalty_years", ExtraditionScope, c.RequestedStateMaxPenaltyYears, "the requested State's maximum")
		switch {
		case c.Article != 0:
			if _, ok := LookupOffence(c.Article); !ok {
				ps = append(ps, Problem{Field: field + ".article", Ref: Art(35).Para(1), Message: "article " + strconv.Itoa(c.Article) + " establishes no offence; use 7-17, or 0 with a description for a serious crime"})
			}
		case scope != OffencesAndSeriousCrimes:
			ps = append(ps, Problem{Field: field + ".article", Ref: scopeRef(scope), Message: s.Title + " covers only the offences of the Convention: give the article (7-17) that establishes it; a serious crime outside them is not in its scope"})
			continue
		case blank(c.Description):
			ps = append(ps, Problem{Field: field + ".description", Ref: Art(2), Message: "describe the offence, or give its article (7-17)"})
		case c.MaxPenaltyYears >= 0 && c.MaxPenaltyYears < SeriousCrimeMinimumYears:
			ps = append(ps, Problem{Field: field + ".max_penalty_years", Ref: Art(2), Message: "a serious crime carries a maximum of at least " + strconv.Itoa(SeriousCrimeMinimumYears) + " years; got " + strconv.Itoa(c.MaxPenaltyYears)})
		}
		if scope == ExtraditableOffences {
			if c.MaxPenaltyYears >= 0 && c.MaxPenaltyYears < ExtraditionMinimumYears {
				ps = append(ps, Problem{Field: field + ".max_penalty_years", Ref: ExtraditionScope, Message: "extradition needs the offence punishable by a maximum of at least " + strconv.Itoa(ExtraditionMinimumYears) + " year in the requesting State: give that maximum"})
			}
			if c.RequestedStateMaxPenaltyYears >= 0 && c.RequestedStateMaxPenaltyYears < ExtraditionMinimumYears {
				ps = append(ps, Problem{Field: field + ".requested_state_max_penalty_years", Ref: ExtraditionScope, Message: "extradition needs the conduct punishable by a maximum of at least " + strconv.Itoa(ExtraditionMinimumYears) + " year in the requested State too: give that maximum"})
			}
		}
	}
	return ps
}
