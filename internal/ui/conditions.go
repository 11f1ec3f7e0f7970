package ui

import (
	"net/url"
	"strings"

	"entraide/internal/convention"
)

// formConditions reads the conditions an official set on a form: a box
// per kind (cond_use_limited, cond_confidential, ...), the last day for
// a retention limit (cond_retain_until_date) and the words of
// personal-data and consultation conditions (cond_personal_data_text,
// cond_consultation_text). A kind is set when its box is ticked, or its
// date or words are given.
func formConditions(f url.Values) convention.Conditions {
	var cs convention.Conditions
	for _, k := range convention.ConditionKinds() {
		name := "cond_" + string(k)
		c := convention.Condition{Kind: k}
		switch k {
		case convention.RetainUntil:
			c.Until = strings.TrimSpace(f.Get(name + "_date"))
		case convention.PersonalDataCondition, convention.Consulted:
			c.Text = strings.TrimSpace(f.Get(name + "_text"))
		}
		if f.Get(name) != "" || c.Until != "" || c.Text != "" {
			cs = append(cs, c)
		}
	}
	return cs
}
