package casework

import (
	"slices"
	"strconv"
	"time"

	"entraide/internal/convention"
	"entraide/internal/identity"
)

// Sight is what an official's role shows of a request and its evidence,
// beyond what every reader sees (kind, States, state, dates, offences,
// legal basis, the marking of personal data, items' names, sizes and
// hashes). Data minimisation (art. 36(2), unverified): a role sees the
// contents that may hold personal data only where its work needs them.
type Sight struct {
	// Fields: the values of the request's fields (but PlainFields) and
	// the free text of its timeline (notes, reasons, conditions).
	Fields bool `json:"fields"`
	// Collection: how an item of evidence was collected, by whom, where.
	Collection bool `json:"collection"`
	// Bytes: an item's bytes (download, evidence package), and the
	// request's formal letter, which holds its fields.
	Bytes bool `json:"bytes"`
}

// sights is the table of what each role sees, the one place it is
// decided; README's "Who sees personal data" copies it. The
// administrator reads no request at all (identity.ReadRequests). An
// auditor checks that the rules were kept: that personal data exist and
// were marked, who touched them and when (the audit log), not what they
// are, unless they reveal them with a reason (RevealWindow).
var sights = map[identity.Role]Sight{
	identity.CentralAuthority: {Fields: true, Collection: true, Bytes: true},
	identity.TwentyFourSeven:  {Fields: true, Collection: true, Bytes: true},
	identity.Investigator:     {Fields: true, Collection: true, Bytes: true},
	identity.Auditor:          {},
	identity.Administrator:    {},
}

// SightOf returns what role sees of requests and evidence that carry
// personal data, or may (unmarked). An unknown role sees nothing.
func SightOf(role identity.Role) Sight { return sights[role] }

// Full is the sight of contents that need no minimising: marked as
// carrying no personal data, or revealed.
var Full = Sight{Fields: true, Collection: true, Bytes: true}

// SightFor returns what role sees of data marked pd: everything when
// they are marked as carrying no personal data, or when revealed is
// true; SightOf(role) otherwise, unmarked data counting as carrying them.
func SightFor(role identity.Role, pd *convention.PersonalData, revealed bool) Sight {
	if revealed || pd != nil && !pd.Carried {
		return Full
	}
	return SightOf(role)
}

// RevealWindow is how long a reveal lets an official see what their
// role shows only the marking of: long enough to check a case, short
// enough that each look is asked for, with its reason, anew.
const RevealWindow = 15 * time.Minute

// ActionReveal is the audit action of a reveal; its subject is
// RevealSubject.
const ActionReveal = "personal_data.reveal"

// RevealSubject is the audit subject of official's reveals of request
// id: the node finds the latest one by it.
func RevealSubject(id, official string) string { return "personal_data/" + id + "/" + official }

// PlainFields are the fields of a request that name authorities and
// files, never persons: a role that does not see the fields still sees
// these, so that it can tell requests apart.
var PlainFields = []string{"requesting_authority", "reference", "case_number", "time_zone"}

// Redact removes from r what s does not show, and names in r.Redacted
// what it removed; events' free text goes too. It changes r and events
// in place: the caller passes copies it may change.
func Redact(r *Request, events []Event, s Sight) {
	if s.Fields {
		return
	}
	fields := make(map[string]string, len(r.Fields))
	var hidden []string
	for k, v := range r.Fields {
		if slices.Contains(PlainFields, k) {
			fields[k] = v
			continue
		}
		fields[k] = ""
		hidden = append(hidden, "fields."+k)
	}
	slices.Sort(hidden)
	r.Fields = fields
	for i := range r.Attachments {
		r.Attachments[i].Name = ""
		hidden = append(hidden, "attachments["+itoa(i)+"].name")
	}
	if r.Refusal != nil && r.Refusal.Reasons != "" {
		ref := *r.Refusal
		ref.Reasons = ""
		r.Refusal = &ref
		hidden = append(hidden, "refusal.reasons")
	}
	if r.Conditions != "" {
		r.Conditions = ""
		hidden = append(hidden, "conditions")
	}
	if r.ProposedConditions != "" {
		r.ProposedConditions = ""
		hidden = append(hidden, "proposed_conditions")
	}
	for i := range events {
		if events[i].Note != "" || events[i].Reasons != "" || events[i].Conditions != "" {
			events[i].Note, events[i].Reasons, events[i].Conditions = "", "", ""
			hidden = append(hidden, "timeline["+itoa(i)+"]")
		}
	}
	r.Redacted = hidden
}

func itoa(i int) string { return strconv.Itoa(i) }
