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
		if p, bad := CheckText("fields."+f.Name, f.Ref, v, MaxFieldLength); bad {
			ps = append(ps, p)
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
	ps = append(ps, validateCharges(charges, spec)...)
	return ps
}

func blank(s string) bool { return strings.TrimSpace(s) == "" }

// CheckText checks free text an official typed: valid UTF-8, no control
// characters but tab and line breaks, at most max characters. It reports
// the problem, naming field and ref, and whether there is one.
func CheckText(field string, ref Ref, s string, max int) (Problem, bool) {
	if !utf8.ValidString(s) {
		return Problem{Field: field, Ref: ref, Message: "not valid UTF-8 text"}, true
	}
	if n := utf8.RuneCountInString(s); n > max {
		return Problem{Field: field, Ref: ref, Message: "too long: " + strconv.Itoa(n) + " characters, at most " + strconv.Itoa(max)}, true
	}
	for _, r := range s {
		if r < 0x20 && r != '\t' && r != '\n' && r != '\r' || r == 0x7f {
			return Problem{Field: field, Ref: ref, Message: "contains a control character (" + strconv.QuoteRune(r) + ")"}, true
		}
	}
	return Problem{}, false
}

func quote(s string) string { return strconv.Quote(s) }
