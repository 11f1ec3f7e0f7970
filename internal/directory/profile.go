package directory

import (
	"fmt"
	"net/mail"
	"slices"
	"strconv"
	"strings"
	"time"

	"entraide/internal/convention"
)

// Profile is what a State has notified the Secretary-General about how to
// cooperate with it.
type Profile struct {
	Code string `json:"code"`
	// CentralAuthority receives requests for mutual legal assistance
	// (art. 40(13)).
	CentralAuthority Authority `json:"central_authority"`
	// Contact247 is the point of contact available at any hour (art. 41).
	Contact247 Contact `json:"contact_24_7"`
	// Languages acceptable for requests, as ISO 639 codes (art. 40(14)).
	Languages []string `json:"languages"`
	// DiplomaticChannel is set when requests must go through diplomatic
	// channels (art. 40(13)).
	DiplomaticChannel bool `json:"diplomatic_channel"`
}

// Authority is a central authority.
type Authority struct {
	Name    string `json:"name"`
	Address string `json:"address,omitempty"`
	Phone   string `json:"phone,omitempty"`
	Email   string `json:"email,omitempty"`
}

// Contact is a 24/7 point of contact.
type Contact struct {
	Name     string `json:"name"`
	Phone    string `json:"phone"`
	Email    string `json:"email"`
	TimeZone string `json:"time_zone"` // IANA name, e.g. "Asia/Ho_Chi_Minh"
	Hours    string `json:"hours"`     // "24/7" unless the State says otherwise
}

// Declaration is a declaration, reservation or notification a State made
// under an article of the Convention.
type Declaration struct {
	ID      int64     `json:"id"`
	Code    string    `json:"code"`
	Article int       `json:"article"`
	MadeOn  time.Time `json:"made_on"`
	Text    string    `json:"text"`
	// Reservation names, when the declaration is one the node acts on,
	// what it reserves (convention.Reservations lists them): a refusal by
	// this State may then rely on it. Empty for the other declarations,
	// which are kept for officials to read.
	Reservation convention.Reservation `json:"reservation,omitempty"`
}

// Reservations returns the reservations among ds, each once.
func Reservations(ds []Declaration) []convention.Reservation {
	var out []convention.Reservation
	for _, d := range ds {
		if d.Reservation != "" && !slices.Contains(out, d.Reservation) {
			out = append(out, d.Reservation)
		}
	}
	return out
}

// Validate returns every problem with p at once, each naming its field.
func (p Profile) Validate() convention.Problems {
	var ps convention.Problems
	add := func(field string, ref convention.Ref, format string, args ...any) {
		ps = append(ps, convention.Problem{Field: field, Ref: ref, Message: fmt.Sprintf(format, args...)})
	}
	ca, pc := convention.Art(40).Para(13), convention.Art(41).Para(1)
	if strings.TrimSpace(p.CentralAuthority.Name) == "" {
		add("central_authority.name", ca, "required: the central authority's name")
	}
	checkEmail := func(field, v string, ref convention.Ref) {
		if v == "" {
			return
		}
		if a, err := mail.ParseAddress(v); err != nil || a.Address != v {
			add(field, ref, "%q is not an e-mail address", v)
		}
	}
	checkEmail("central_authority.email", p.CentralAuthority.Email, ca)
	checkEmail("contact_24_7.email", p.Contact247.Email, pc)
	if strings.TrimSpace(p.Contact247.Name) == "" {
		add("contact_24_7.name", pc, "required: the 24/7 point of contact's name")
	}
	if strings.TrimSpace(p.Contact247.Phone) == "" {
		add("contact_24_7.phone", pc, "required: a telephone number answered at any hour")
	}
	if p.Contact247.TimeZone != "" {
		if _, err := time.LoadLocation(p.Contact247.TimeZone); err != nil || p.Contact247.TimeZone == "Local" {
			add("contact_24_7.time_zone", pc, "%q is not an IANA time zone such as Europe/Paris", p.Contact247.TimeZone)
		}
	}
	for i, l := range p.Languages {
		if len(l) < 2 || len(l) > 3 || strings.ToLower(l) != l || strings.Trim(l, "abcdefghijklmnopqrstuvwxyz") != "" {
			add("languages["+strconv.Itoa(i)+"]", convention.Art(40).Para(14), "%q is not an ISO 639 language code such as en, fr or vi", l)
		}
	}
	for _, f := range []struct{ name, v string }{
		{"central_authority.name", p.CentralAuthority.Name}, {"central_authority.address", p.CentralAuthority.Address},
		{"central_authority.phone", p.CentralAuthority.Phone}, {"central_authority.email", p.CentralAuthority.Email},
		{"contact_24_7.name", p.Contact247.Name}, {"contact_24_7.phone", p.Contact247.Phone},
		{"contact_24_7.email", p.Contact247.Email}, {"contact_24_7.time_zone", p.Contact247.TimeZone},
		{"contact_24_7.hours", p.Contact247.Hours},
	} {
		if p, bad := convention.CheckText(f.name, ca, f.v, 500); bad {
			ps = append(ps, p)
		}
	}
	return ps
}

// ValidateDeclaration checks a declaration before it is recorded.
func ValidateDeclaration(d Declaration) convention.Problems {
	var ps convention.Problems
	if _, ok := LookupParticipant(d.Code); !ok {
		ps = append(ps, convention.Problem{Field: "code", Ref: convention.Art(64), Message: fmt.Sprintf("%q is not a participant", d.Code)})
	}
	if d.Article < 1 || d.Article > 68 {
		ps = append(ps, convention.Problem{Field: "article", Ref: convention.Art(68), Message: "the Convention has articles 1 to 68"})
	}
	if d.Reservation != "" {
		rs, ok := convention.LookupReservation(d.Reservation)
		switch {
		case !ok:
			var known []string
			for _, r := range convention.Reservations() {
				known = append(known, string(r.Reservation))
			}
			ps = append(ps, convention.Problem{Field: "reservation", Ref: convention.Art(d.Article), Message: fmt.Sprintf("%q is not a reservation the node knows; known: %s, or none for a declaration kept only to be read", d.Reservation, strings.Join(known, ", "))})
		case rs.Ref.Article != d.Article:
			ps = append(ps, convention.Problem{Field: "article", Ref: rs.Ref, Message: fmt.Sprintf("the reservation %q is made under art. %d, not art. %d", d.Reservation, rs.Ref.Article, d.Article)})
		}
	}
	if d.MadeOn.IsZero() {
		ps = append(ps, convention.Problem{Field: "made_on", Ref: convention.Art(65), Message: "required: the date of the declaration (YYYY-MM-DD)"})
	}
	if strings.TrimSpace(d.Text) == "" {
		ps = append(ps, convention.Problem{Field: "text", Ref: convention.Art(65), Message: "required: the text of the declaration"})
	} else if p, bad := convention.CheckText("text", convention.Art(65), d.Text, 20000); bad {
		ps = append(ps, p)
	}
	return ps
}
