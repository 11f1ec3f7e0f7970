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
// serious crime under the requesting State's law.
type Charge struct {
	Article         int    `json:"article,omitempty"`
	Description     string `json:"description,omitempty"`
	MaxPenaltyYears int    `json:"max_penalty_years,omitempty"`
}

// validateCharges checks that each charge is within the scope of
// cooperation (art. 35): an offence of the Convention, or a serious crime.
func validateCharges(charges []Charge, required bool) Problems {
	var ps Problems
	if required && len(charges) == 0 {
		ps = append(ps, Problem{Field: "offences", Ref: Art(35).Para(1), Message: "name at least one offence of arts. 7-17 or a serious crime"})
	}
	for i, c := range charges {
		field := "offences[" + strconv.Itoa(i) + "]"
		switch {
		case c.Article != 0:
			if _, ok := LookupOffence(c.Article); !ok {
				ps = append(ps, Problem{Field: field + ".article", Ref: Art(35).Para(1), Message: "article " + strconv.Itoa(c.Article) + " establishes no offence; use 7-17, or 0 with a description for a serious crime"})
			}
		case blank(c.Description):
			ps = append(ps, Problem{Field: field + ".description", Ref: Art(2), Message: "describe the offence, or give its article (7-17)"})
		case c.MaxPenaltyYears < SeriousCrimeMinimumYears:
			ps = append(ps, Problem{Field: field + ".max_penalty_years", Ref: Art(2), Message: "a serious crime carries a maximum of at least " + strconv.Itoa(SeriousCrimeMinimumYears) + " years; got " + strconv.Itoa(c.MaxPenaltyYears)})
		}
	}
	return ps
}
