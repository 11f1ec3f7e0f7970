package convention

import (
	"fmt"
	"slices"
	"strings"
)

// Art. 36 is cited as CONVENTION.md remembers it: para 1, a State
// transfers personal data under its own law and may set conditions; para
// 2, the receiving State applies effective and appropriate safeguards;
// para 3, onward transfer to a third State or an international
// organisation needs the transferring State's prior authorisation. None
// of it was read against the authentic text (the stored public pages
// searched held the draft's preamble, not art. 36), so every citation is
// Unchecked. Art. 36 lists no categories of data or of persons and sets
// no retention period: the lists below are this node's closed
// vocabulary, and the period is each State's own policy (para 1: its
// domestic law).
var (
	// PersonalDataRef is the provision the marking of what a request or
	// an item carries rests on: the receiving State's safeguards need
	// to know what it holds.
	PersonalDataRef = Art(36).Para(2).Unchecked()
	// PersonalDataConditionsRef is the provision under which the
	// transferring State's law, and the conditions it sets, govern what
	// it gives: retention among them.
	PersonalDataConditionsRef = Art(36).Para(1).Unchecked()
)

// DataCategory is a category of personal data a request or an item of
// evidence carries.
type DataCategory string

// The categories of personal data, a closed list. The last five are the
// special categories whose processing most laws restrict further.
const (
	Identification   DataCategory = "identification"    // names, identity documents and numbers, subscriber identity
	Contact          DataCategory = "contact"           // postal and e-mail addresses, telephone numbers
	TrafficData      DataCategory = "traffic"           // origin, destination, route, time, size, duration of communications
	ContentData      DataCategory = "content"           // the content of communications
	LocationData     DataCategory = "location"          // where a person or device was
	FinancialData    DataCategory = "financial"         // accounts, payments, transactions
	BiometricData    DataCategory = "biometric"         // fingerprints, face, voice used to identify
	HealthData       DataCategory = "health"            // special category
	ReligiousBelief  DataCategory = "religion"          // special category
	PoliticalOpinion DataCategory = "political_opinion" // special category
	EthnicOrigin     DataCategory = "ethnic_origin"     // special category
	SexLife          DataCategory = "sex_life"          // sex life or sexual orientation; special category
)

// DataCategories lists every category, in the order forms show them.
func DataCategories() []DataCategory {
	return []DataCategory{Identification, Contact, TrafficData, ContentData, LocationData, FinancialData, BiometricData,
		HealthData, ReligiousBelief, PoliticalOpinion, EthnicOrigin, SexLife}
}

// Special reports whether c is a special category of data: health,
// religion, political opinions, ethnic origin, sex life.
func (c DataCategory) Special() bool {
	switch c {
	case HealthData, ReligiousBelief, PoliticalOpinion, EthnicOrigin, SexLife:
		return true
	}
	return false
}

// PersonCategory is a category of persons whose data a request or an
// item carries.
type PersonCategory string

// The categories of persons concerned.
const (
	Suspect      PersonCategory = "suspect"
	Accused      PersonCategory = "accused"
	Victim       PersonCategory = "victim"
	Witness      PersonCategory = "witness"
	OtherPersons PersonCategory = "other"
)

// PersonCategories lists every category of persons, in the order forms
// show them.
func PersonCategories() []PersonCategory {
	return []PersonCategory{Suspect, Accused, Victim, Witness, OtherPersons}
}

// PersonalData marks whether a request or an item of evidence carries
// personal data, of which categories, and about which persons. It
// travels with what it marks, inside the signed message, so that the
// receiving State knows what safeguards to apply (art. 36(2)).
type PersonalData struct {
	Carried    bool             `json:"carried"`
	Categories []DataCategory   `json:"categories,omitempty"`
	Persons    []PersonCategory `json:"persons,omitempty"`
}

// Special reports whether p carries a special category of data.
func (p *PersonalData) Special() bool {
	return p != nil && slices.ContainsFunc(p.Categories, DataCategory.Special)
}

func dataCategoryCodes() string {
	var s []string
	for _, c := range DataCategories() {
		s = append(s, string(c))
	}
	return strings.Join(s, ", ")
}

func personCategoryCodes() string {
	var s []string
	for _, c := range PersonCategories() {
		s = append(s, string(c))
	}
	return strings.Join(s, ", ")
}

// Validate checks a marking given as field: data that carry personal
// data name at least one category of data and one of persons, each from
// the closed lists, once; data that carry none name neither. A nil
// marking is valid: the data are not marked.
func (p *PersonalData) Validate(field string) Problems {
	if p == nil {
		return nil
	}
	var ps Problems
	if !p.Carried {
		if len(p.Categories) > 0 || len(p.Persons) > 0 {
			ps = append(ps, Problem{Field: field + ".carried", Ref: PersonalDataRef,
				Message: "categories of data or persons are given, but carried is false: set carried to true, or leave the categories out"})
		}
		return ps
	}
	if len(p.Categories) > len(DataCategories()) || len(p.Persons) > len(PersonCategories()) {
		return Problems{{Field: field, Ref: PersonalDataRef, Message: "more categories than there are: give each once"}}
	}
	if len(p.Categories) == 0 {
		ps = append(ps, Problem{Field: field + ".categories", Ref: PersonalDataRef,
			Message: "required when personal data are carried: one or more of " + dataCategoryCodes()})
	}
	if len(p.Persons) == 0 {
		ps = append(ps, Problem{Field: field + ".persons", Ref: PersonalDataRef,
			Message: "required when personal data are carried: the persons concerned, one or more of " + personCategoryCodes()})
	}
	seen := map[DataCategory]bool{}
	for i, c := range p.Categories {
		f := fmt.Sprintf("%s.categories[%d]", field, i)
		switch {
		case !slices.Contains(DataCategories(), c):
			ps = append(ps, Problem{Field: f, Ref: PersonalDataRef, Message: fmt.Sprintf("%.40q is not a category of personal data: use %s", c, dataCategoryCodes())})
		case seen[c]:
			ps = append(ps, Problem{Field: f, Ref: PersonalDataRef, Message: fmt.Sprintf("%q is given twice", c)})
		}
		seen[c] = true
	}
	seenP := map[PersonCategory]bool{}
	for i, c := range p.Persons {
		f := fmt.Sprintf("%s.persons[%d]", field, i)
		switch {
		case !slices.Contains(PersonCategories(), c):
			ps = append(ps, Problem{Field: f, Ref: PersonalDataRef, Message: fmt.Sprintf("%.40q is not a category of persons: use %s", c, personCategoryCodes())})
		case seenP[c]:
			ps = append(ps, Problem{Field: f, Ref: PersonalDataRef, Message: fmt.Sprintf("%q is given twice", c)})
		}
		seenP[c] = true
	}
	return ps
}

// ParsePersonalData reads a marking from its text form, as the CLI and
// an upload's metadata give it: carried "yes" or "no" (or "" for no
// marking), and comma-separated codes of data and persons. It returns
// the marking and every problem, each naming field and art. 36.
func ParsePersonalData(field, carried, categories, persons string) (*PersonalData, Problems) {
	split := func(s string) []string {
		var out []string
		for part := range strings.SplitSeq(s, ",") {
			if part = strings.TrimSpace(part); part != "" {
				out = append(out, part)
			}
		}
		return out
	}
	p := &PersonalData{}
	switch strings.ToLower(strings.TrimSpace(carried)) {
	case "":
		if categories == "" && persons == "" {
			return nil, nil
		}
		p.Carried = true
	case "yes", "true":
		p.Carried = true
	case "no", "false":
	default:
		return nil, Problems{{Field: field, Ref: PersonalDataRef, Message: fmt.Sprintf("%.40q: say yes or no", carried)}}
	}
	for _, c := range split(categories) {
		p.Categories = append(p.Categories, DataCategory(c))
	}
	for _, c := range split(persons) {
		p.Persons = append(p.Persons, PersonCategory(c))
	}
	return p, p.Validate(field)
}
