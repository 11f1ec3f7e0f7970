package convention

import (
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

// MaxFieldLength bounds the text of one field, in characters. A request is
// a legal document, not a carrier for evidence: files travel as evidence.
const MaxFieldLength = 20000

// Validate checks the contents of a request of kind k against what the
// Convention requires of that kind: every required field present, no field
// the kind does not know, and the offence within the scope of cooperation.
// It returns every problem at once, each naming its field and provision; a
// nil result means the contents conform.
func Validate(k Kind, fields map[string]string, charges []Charge) Problems {
	spec, ok := Lookup(k)
	if !ok {
		return Problems{{Field: "kind", Ref: Art(35), Message: "unknown kind of request " + quote(string(k)) + "; see the kinds of chapter V"}}
	}
	var ps Problems
	for _, f := range spec.Fields {
		v, present := fields[f.Name]
		if f.Required && blank(v) {
			msg := "required: " + strings.ToLower(f.Label[:1]) + f.Label[1:]
			if present {
				msg = "must not be blank: " + strings.ToLower(f.Label[:1]) + f.Label[1:]
			}
			ps = append(ps, Problem{Field: "fields." + f.Name, Ref: f.Ref, Message: msg})
		}
		if n := utf8.RuneCountInString(v); n > MaxFieldLength {
			ps = append(ps, Problem{Field: "fields." + f.Name, Ref: f.Ref, Message: "too long: " + strconv.Itoa(n) + " characters, at most " + strconv.Itoa(MaxFieldLength)})
		}
		if !utf8.ValidString(v) {
			ps = append(ps, Problem{Field: "fields." + f.Name, Ref: f.Ref, Message: "not valid UTF-8 text"})
		}
	}
	var unknown []string
	for name := range fields {
		if _, ok := spec.Field(name); !ok {
			unknown = append(unknown, name)
		}
	}
	sort.Strings(unknown)
	for _, name := range unknown {
		ps = append(ps, Problem{Field: "fields." + name, Ref: spec.MainArticle(), Message: "not a field of " + spec.Title})
	}
	ps = append(ps, validateCharges(charges, spec.OffenceRequired)...)
	return ps
}

func blank(s string) bool { return strings.TrimSpace(s) == "" }

func quote(s string) string { return strconv.Quote(s) }
