package directory

import (
	"slices"
	"strings"
	"testing"
)

func TestParticipants(t *testing.T) {
	ps := Participants()
	if len(ps) != 196 {
		t.Fatalf("len(Participants()) = %d, want 196", len(ps))
	}
	byStatus := map[Status]int{}
	alpha2 := map[string]bool{}
	for i, p := range ps {
		byStatus[p.Status]++
		if i > 0 && ps[i-1].Code >= p.Code {
			t.Errorf("Participants() not sorted by code: %s before %s", ps[i-1].Code, p.Code)
		}
		if alpha2[p.Alpha2] {
			t.Errorf("alpha-2 code %s appears twice", p.Alpha2)
		}
		alpha2[p.Alpha2] = true
		for _, lang := range Languages() {
			if strings.TrimSpace(p.Names[lang]) == "" {
				t.Errorf("%s has no name in %q", p.Code, lang)
			}
		}
		if len(p.Names) != 6 {
			t.Errorf("%s has names in %d languages, want 6", p.Code, len(p.Names))
		}
	}
	want := map[Status]int{Member: 193, Observer: 2, REIO: 1}
	for s, n := range want {
		if byStatus[s] != n {
			t.Errorf("participants with status %q = %d, want %d", s, byStatus[s], n)
		}
	}
}

func TestParticipantsIsACopy(t *testing.T) {
	ps := Participants()
	ps[0].Names["en"] = "changed"
	ps[1].Code = "XXX"
	if again := Participants(); again[0].Name() == "changed" || again[1].Code == "XXX" {
		t.Errorf("changing the result of Participants() changed the directory")
	}
	p, _ := LookupParticipant("FRA")
	p.Names["fr"] = "changed"
	if again, _ := LookupParticipant("FRA"); again.Names["fr"] != "France" {
		t.Errorf("changing a looked-up participant changed the directory: %q", again.Names["fr"])
	}
}

func TestLookupParticipant(t *testing.T) {
	tests := []struct {
		name   string
		code   string
		want   string // alpha-3, "" when not found
		status Status
	}{
		{"alpha-3", "FRA", "FRA", Member},
		{"alpha-2", "FR", "FRA", Member},
		{"lower-case alpha-3", "vnm", "VNM", Member},
		{"lower-case alpha-2", "vn", "VNM", Member},
		{"mixed case", "Deu", "DEU", Member},
		{"observer State", "PSE", "PSE", Observer},
		{"Holy See by alpha-2", "va", "VAT", Observer},
		{"art 64: the EU by EUU", "EUU", "EUU", REIO},
		{"art 64: the EU by EU", "eu", "EUU", REIO},
		{"unknown", "XXX", "", ""},
		{"empty", "", "", ""},
		{"surrounding spaces", " FRA", "", ""},
		{"not a participant (Kosovo)", "XKX", "", ""},
		{"not a participant (Taiwan)", "TWN", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, ok := LookupParticipant(tt.code)
			if ok != (tt.want != "") || p.Code != tt.want {
				t.Fatalf("LookupParticipant(%q) = %q, %v; want %q, %v", tt.code, p.Code, ok, tt.want, tt.want != "")
			}
			if ok && p.Status != tt.status {
				t.Errorf("LookupParticipant(%q).Status = %q, want %q", tt.code, p.Status, tt.status)
			}
		})
	}
}

func TestParticipantNames(t *testing.T) {
	p, ok := LookupParticipant("EUU")
	if !ok {
		t.Fatal(`LookupParticipant("EUU") not found`)
	}
	want := map[string]string{"en": "European Union", "fr": "Union européenne", "es": "Unión Europea",
		"ru": "Европейский союз", "zh": "欧洲联盟", "ar": "الاتحاد الأوروبي"}
	for lang, name := range want {
		if p.Names[lang] != name {
			t.Errorf("EUU name in %q = %q, want %q", lang, p.Names[lang], name)
		}
	}
	if p.Name() != "European Union" {
		t.Errorf("Name() = %q, want %q", p.Name(), "European Union")
	}
}

func TestParseParticipantsRejects(t *testing.T) {
	const h = participantsHeader + "\n"
	tests := []struct {
		name, data, want string
	}{
		{"empty", "", "header"},
		{"wrong header", "code,alpha2\n", "header"},
		{"short row", h + "FRA,FR,member\n", "number of fields"},
		{"bad alpha-3", h + "FR,FR,member,a,b,c,d,e,f\n", "alpha-3"},
		{"bad status", h + "FRA,FR,state,a,b,c,d,e,f\n", "status"},
		{"missing name", h + "FRA,FR,member,a,b,,d,e,f\n", `"es"`},
		{"duplicate", h + "FRA,FR,member,a,b,c,d,e,f\nFRA,FX,member,a,b,c,d,e,f\n", "twice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseParticipants([]byte(tt.data))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("parseParticipants() error = %v, want one mentioning %q", err, tt.want)
			}
		})
	}
}

// TestSuggestParticipants: an unknown code or a name gets the codes an
// official may have meant (art. 64 says who may be party).
func TestSuggestParticipants(t *testing.T) {
	tests := []struct {
		in   string
		want string // a code among the suggestions, or "" for none
	}{
		{"viet", "VNM"},
		{"Viêt", "VNM"},
		{"allemagne", "DEU"},
		{"FRN", "FRA"},
		{"south africa", "ZAF"},
		{"zzzz", ""},
		{"", ""},
		{"a", ""}, // too short to search names
	}
	for _, tt := range tests {
		got := SuggestParticipants(tt.in, 5)
		if len(got) > 5 {
			t.Errorf("SuggestParticipants(%q) gave %d, want at most 5", tt.in, len(got))
		}
		found := slices.ContainsFunc(got, func(p Participant) bool { return p.Code == tt.want })
		if (tt.want == "") != (len(got) == 0) || (tt.want != "" && !found) {
			t.Errorf("SuggestParticipants(%q) = %v, want %q among them", tt.in, got, tt.want)
		}
	}
}
