package casework_test

import (
	"strings"
	"testing"
	"time"

	"entraide/internal/casework"
	"entraide/internal/convention"
)

const digest = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"

func TestContentsValidate(t *testing.T) {
	tests := []struct {
		name   string
		change func(d *casework.Contents)
		want   []want
	}{
		{"a complete draft", func(d *casework.Contents) {}, nil},
		{"art 40(14): an urgent draft with attachments", func(d *casework.Contents) {
			d.Urgency = casework.Urgent
			d.Attachments = []casework.Attachment{{Name: "log.txt", MediaType: "text/plain", Size: 0, SHA256: digest}}
		}, nil},
		{"art 35: the legal basis is required", func(d *casework.Contents) { d.LegalBasis = nil },
			[]want{{"legal_basis", convention.Art(35), "required: name the legal basis"}}},
		{"art 35: the legal basis has a type", func(d *casework.Contents) { d.LegalBasis = &casework.LegalBasis{} },
			[]want{{"legal_basis", convention.Art(35), "reciprocity"}}},
		{"art 35: an unknown legal basis lists the three", func(d *casework.Contents) { d.LegalBasis = &casework.LegalBasis{Type: "custom"} },
			[]want{{"legal_basis.type", convention.Art(35), `"custom" is not a legal basis`}}},
		{"art 37(5): an extradition names its legal basis", func(d *casework.Contents) {
			*d = contents(t, convention.Extradition)
			d.Offences = []convention.Charge{{Article: 7, MaxPenaltyYears: 3, RequestedStateMaxPenaltyYears: 2}}
			d.LegalBasis = nil
		}, []want{{"legal_basis", convention.ExtraditionLegalBasis, "required"}}},
		{"art 40(1): the Convention is a legal basis at drafting", func(d *casework.Contents) {
			d.LegalBasis = &casework.LegalBasis{Type: casework.BasisConvention}
		}, nil},
		{"art 40(7): another treaty, by name", func(d *casework.Contents) {
			d.LegalBasis = &casework.LegalBasis{Type: casework.BasisTreaty, Treaty: "Treaty on mutual legal assistance in criminal matters"}
		}, nil},
		{"art 40(7): another treaty needs its name", func(d *casework.Contents) {
			d.LegalBasis = &casework.LegalBasis{Type: casework.BasisTreaty, Treaty: " "}
		}, []want{{"legal_basis.treaty", convention.Art(40).Para(7).Unchecked(), "its name"}}},
		{"art 40(1), art 65: this Convention named as another treaty is refused", func(d *casework.Contents) {
			d.LegalBasis = &casework.LegalBasis{Type: casework.BasisTreaty, Treaty: "UN Convention against Cybercrime"}
		}, []want{{"legal_basis.treaty", convention.Art(40).Para(1), "is this Convention, not another treaty"}}},
		{"art 40(1), art 65: the Hanoi Convention named as another treaty is refused", func(d *casework.Contents) {
			d.LegalBasis = &casework.LegalBasis{Type: casework.BasisTreaty, Treaty: "Hanoi Convention"}
		}, []want{{"legal_basis.treaty", convention.Art(40).Para(1), `type "convention"`}}},
		{"art 40(7): a treaty is named only with type treaty", func(d *casework.Contents) {
			d.LegalBasis = &casework.LegalBasis{Type: casework.BasisReciprocity, Treaty: "Some treaty"}
		}, []want{{"legal_basis.treaty", convention.Art(40).Para(7).Unchecked(), "only when"}}},
		{"an alpha-2 code names the requested State", func(d *casework.Contents) { d.RequestedState = "vn" }, nil},
		{"art 40: the requested State is required", func(d *casework.Contents) { d.RequestedState = " " },
			[]want{{"requested_state", convention.Art(40), "required"}}},
		{"art 64: the requested State must be a participant", func(d *casework.Contents) { d.RequestedState = "XXX" },
			[]want{{"requested_state", convention.Art(64), "not a State or organisation that may be party to the Convention; give its ISO 3166-1 alpha-3 code"}}},
		{"art 64: a misspelt code gets the codes meant, and where to find every code", func(d *casework.Contents) { d.RequestedState = "VMN" },
			[]want{{"requested_state", convention.Art(64), "did you mean VNM (Viet Nam)"}}},
		{"art 64: a name instead of a code gets its code", func(d *casework.Contents) { d.RequestedState = "Allemagne" },
			[]want{{"requested_state", convention.Art(64), "did you mean DEU (Germany)? entraide states lists every code"}}},
		{"art 40: a State does not request itself", func(d *casework.Contents) { d.RequestedState = "FRA" },
			[]want{{"requested_state", convention.Art(40), "itself"}}},
		{"art 40: a State does not request itself by its alpha-2 code", func(d *casework.Contents) { d.RequestedState = "fr" },
			[]want{{"requested_state", convention.Art(40), "itself"}}},
		{"art 40(14): an urgency that is neither normal nor urgent", func(d *casework.Contents) { d.Urgency = "asap" },
			[]want{{"urgency", convention.Art(40).Para(14), "asap"}}},
		{"art 40(19): a use limitation is bounded", func(d *casework.Contents) { d.UseLimitation = strings.Repeat("é", casework.MaxTextLength+1) },
			[]want{{"use_limitation", convention.Art(40).Para(19), "too long"}}},
		{"art 40(14): an attachment's digest is lower-case hex", func(d *casework.Contents) {
			d.Attachments = []casework.Attachment{{Name: "a.pdf", SHA256: strings.ToUpper(digest)}}
		}, []want{{"attachments[0].sha256", convention.Art(40).Para(14), "SHA-256"}}},
		{"art 40(14): an attachment's digest has 64 digits", func(d *casework.Contents) {
			d.Attachments = []casework.Attachment{{Name: "a.pdf", SHA256: digest[:63]}}
		}, []want{{"attachments[0].sha256", convention.Art(40).Para(14), "SHA-256"}}},
		{"art 40(14): an attachment needs a name", func(d *casework.Contents) {
			d.Attachments = []casework.Attachment{{Name: "ok.txt", SHA256: digest}, {Name: "  ", SHA256: digest}}
		}, []want{{"attachments[1].name", convention.Art(40).Para(14), "file name"}}},
		{"art 40(14): an attachment's name is not a path", func(d *casework.Contents) {
			d.Attachments = []casework.Attachment{{Name: "../etc/passwd", SHA256: digest}}
		}, []want{{"attachments[0].name", convention.Art(40).Para(14), "file name"}}},
		{"art 40(14): an attachment's name is at most 255 bytes", func(d *casework.Contents) {
			d.Attachments = []casework.Attachment{{Name: strings.Repeat("a", 256), SHA256: digest}}
		}, []want{{"attachments[0].name", convention.Art(40).Para(14), "file name"}}},
		{"art 40(14): an attachment's size is not negative", func(d *casework.Contents) {
			d.Attachments = []casework.Attachment{{Name: "a", Size: -1, SHA256: digest}}
		}, []want{{"attachments[0].size", convention.Art(40).Para(14), "negative"}}},
		{"art 40(14): at most 100 attachments", func(d *casework.Contents) {
			d.Attachments = make([]casework.Attachment, casework.MaxAttachments+1)
			for i := range d.Attachments {
				d.Attachments[i] = casework.Attachment{Name: "a", SHA256: digest}
			}
		}, []want{{"attachments", convention.Art(40).Para(14), "at most 100"}}},
		{"art 35: at most 20 offences", func(d *casework.Contents) {
			d.Offences = make([]convention.Charge, casework.MaxOffences+1)
			for i := range d.Offences {
				d.Offences[i] = convention.Charge{Article: 8}
			}
		}, []want{{"offences", convention.Art(35), "at most 20"}}},
		{"art 42: mutual legal assistance may follow up a preservation", func(d *casework.Contents) { d.FollowUpOf = "0193-p" }, nil},
		{"every problem at once", func(d *casework.Contents) {
			d.RequestedState = "FRA"
			d.Urgency = "later"
			d.Offences = nil
			d.Attachments = []casework.Attachment{{Name: "a/b", Size: -5, SHA256: "zz"}}
		}, []want{
			{"offences", convention.Art(35).Para(1), "offence"},
			{"requested_state", convention.Art(40), "itself"},
			{"urgency", convention.Art(40).Para(14), "later"},
			{"attachments[0].name", convention.Art(40).Para(14), "file name"},
			{"attachments[0].size", convention.Art(40).Para(14), "negative"},
			{"attachments[0].sha256", convention.Art(40).Para(14), "SHA-256"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := contents(t, convention.MutualAssistance)
			tt.change(&d)
			assertProblems(t, "Validate", d.Validate(requesting), tt.want...)
		})
	}
}

func TestContentsValidateFollowUp(t *testing.T) {
	tests := []struct {
		name string
		kind convention.Kind
		ok   bool
	}{
		{"art 42: access to stored data follows up a preservation", convention.StoredDataAccess, true},
		{"art 42: mutual legal assistance follows up a preservation", convention.MutualAssistance, true},
		{"art 42: a preservation does not follow up a preservation", convention.Preservation, false},
		{"art 42: an extradition does not follow up a preservation", convention.Extradition, false},
		{"art 42: an emergency disclosure does not follow up a preservation", convention.EmergencyDisclosure, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := contents(t, tt.kind)
			d.FollowUpOf = "0193-p"
			var ws []want
			if !tt.ok {
				ws = []want{{"follow_up_of", convention.Art(42), "cannot follow up"}}
			}
			assertProblems(t, "Validate", d.Validate(requesting), ws...)
		})
	}
}

func TestContentsValidateTrafficDisclosure(t *testing.T) {
	for _, followUp := range []string{"", "0193-p"} {
		t.Run("art 43(1): traffic data are disclosed on the preservation, not asked for apart/follow-up "+followUp, func(t *testing.T) {
			d := contents(t, convention.TrafficDisclosure)
			d.FollowUpOf = followUp
			assertProblems(t, "Validate", d.Validate(requesting), want{"kind", convention.Art(43).Para(1), "disclose_traffic"})
		})
	}
}

func TestContentsValidateUnknownKind(t *testing.T) {
	d := casework.Contents{Kind: "espionage", RequestedState: requested, FollowUpOf: "0193-p", LegalBasis: &casework.LegalBasis{Type: casework.BasisReciprocity}}
	assertProblems(t, "Validate", d.Validate(requesting), want{"kind", convention.Art(35), "unknown kind"})
}

func TestNew(t *testing.T) {
	d := contents(t, convention.Preservation)
	d.RequestedState = "vn"
	created := time.Date(2026, 1, 5, 8, 0, 0, 0, time.UTC)
	r := casework.New(d, "0193-a", requesting, "fra-ca", created)
	if r.ID != "0193-a" || r.Holder != requesting || r.RequestingState != requesting || r.RequestedState != requested ||
		r.State != casework.Draft || r.Urgency != casework.Normal || r.Version != 1 || r.CreatedBy != "fra-ca" ||
		!r.CreatedAt.Equal(created) || !r.UpdatedAt.Equal(created) || r.Attachments == nil || r.Offences == nil {
		t.Errorf("New = %+v, want a version 1 draft held by FRA, asked of VNM, normal urgency, empty lists", r)
	}
	if got := r.SideOf(requesting); got != casework.Requesting {
		t.Errorf("SideOf(FRA) = %q, want requesting", got)
	}
	if got := r.SideOf(requested); got != casework.Requested {
		t.Errorf("SideOf(VNM) = %q, want requested", got)
	}
	if got := r.SideOf("DEU"); got != "" {
		t.Errorf("SideOf(DEU) = %q, want \"\"", got)
	}

	v := casework.CounterpartView(r)
	if v.Holder != requested || v.ID != r.ID || v.RequestingState != requesting || v.State != r.State {
		t.Errorf("CounterpartView = holder %s id %s, want VNM's view of %s", v.Holder, v.ID, r.ID)
	}
	v.Fields["stored_data"] = "changed"
	if r.Fields["stored_data"] == "changed" {
		t.Errorf("changing the counterpart view's fields changed the original's")
	}
}

func TestEmergencyIsUrgent(t *testing.T) {
	tests := []struct {
		name    string
		kind    convention.Kind
		urgency casework.Urgency
		want    casework.Urgency // "" when the draft is refused on urgency
	}{
		{"art 41(3)(e): an emergency disclosure without urgency is urgent", convention.EmergencyDisclosure, "", casework.Urgent},
		{"art 41(3)(e): an emergency disclosure marked urgent is urgent", convention.EmergencyDisclosure, casework.Urgent, casework.Urgent},
		{"art 41(3)(e): an emergency disclosure cannot be of normal urgency", convention.EmergencyDisclosure, casework.Normal, ""},
		{"art 40(14): a preservation without urgency is normal", convention.Preservation, "", casework.Normal},
		{"art 40(14): a request for mutual legal assistance may be urgent", convention.MutualAssistance, casework.Urgent, casework.Urgent},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := contents(t, tt.kind)
			d.Urgency = tt.urgency
			ps := d.Validate(requesting)
			if tt.want == "" {
				assertProblems(t, "Validate", ps, want{"urgency", convention.Art(41).Para(3).Sub("e"), "leave urgency out"})
				return
			}
			if len(ps) > 0 {
				t.Fatalf("Validate(%s, urgency %q) = %v, want no problem", tt.kind, tt.urgency, ps)
			}
			if got := casework.New(d, "0193-e", requesting, "fra-247", now).Urgency; got != tt.want {
				t.Errorf("New(%s, urgency %q).Urgency = %q, want %q", tt.kind, tt.urgency, got, tt.want)
			}
		})
	}
}

func TestPressing(t *testing.T) {
	tests := []struct {
		name    string
		kind    convention.Kind
		urgency casework.Urgency
		want    bool
	}{
		{"art 41(3): an emergency disclosure", convention.EmergencyDisclosure, casework.Normal, true},
		{"art 40(14): an urgent request", convention.MutualAssistance, casework.Urgent, true},
		{"a request of normal urgency", convention.MutualAssistance, casework.Normal, false},
		{"art 42: a preservation of normal urgency", convention.Preservation, casework.Normal, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &casework.Request{Kind: tt.kind, Urgency: tt.urgency}
			if got := r.Pressing(); got != tt.want {
				t.Errorf("Pressing(%s, %s) = %v, want %v", tt.kind, tt.urgency, got, tt.want)
			}
		})
	}
}

// TestStateWordsArt40Para27: the requesting State's answer to a
// consultation reads as a phrase after "the request is now", not as
// "conditions declined".
func TestStateWordsArt40Para27(t *testing.T) {
	for s, want := range map[casework.State]string{
		casework.ConditionsAccepted: "conditions accepted by the requesting State",
		casework.ConditionsDeclined: "conditions declined by the requesting State",
	} {
		if w := s.Words(); !strings.Contains(w, want) {
			t.Errorf("%s.Words() = %q, want it to say %q", s, w, want)
		}
	}
}
