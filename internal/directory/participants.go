// Package directory knows who may take part in the Convention and what each
// has done so far: the States and the organisation that may sign and join it
// (art. 64), their signatures and instruments, and the treaty's status that
// follows from them (art. 65). It performs no I/O of its own: it reads the
// data it embeds and what callers hand it.
package directory

import (
	"bytes"
	_ "embed"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"sync"
)

// participantsCSV lists every participant; its comment lines give the
// sources of codes and names.
//
//go:embed data/participants.csv
var participantsCSV []byte

// Status is a participant's standing at the United Nations, which decides
// how it takes part in the Convention.
type Status string

// The standings of the participants.
const (
	// Member is a member State of the United Nations.
	Member Status = "member"
	// Observer is a non-member observer State (the Holy See, the State of
	// Palestine).
	Observer Status = "observer"
	// REIO is a regional economic integration organisation, the European
	// Union: it may join (art. 64) but its instrument does not count in
	// addition to those of its member States (art. 65(1)).
	REIO Status = "reio"
)

// Valid reports whether s is one of Member, Observer and REIO.
func (s Status) Valid() bool {
	return s == Member || s == Observer || s == REIO
}

// Participant is a State or organisation that may sign and join the
// Convention.
type Participant struct {
	Code   string            `json:"code"` // ISO 3166-1 alpha-3, "EUU" for the EU
	Alpha2 string            `json:"alpha2"`
	Status Status            `json:"status"`
	Names  map[string]string `json:"names"` // keyed by Languages
}

// Name returns p's English name, or "" for a zero Participant.
func (p Participant) Name() string { return p.Names["en"] }

// languages are the keys of Participant.Names: the six languages in which
// the Convention is equally authentic.
var languages = []string{"en", "fr", "es", "ru", "zh", "ar"}

// Languages returns the keys of Participant.Names, English first: the six
// authentic languages of the Convention.
func Languages() []string { return slices.Clone(languages) }

type participantTable struct {
	list []Participant // sorted by code
	// byCode maps each alpha-3 and alpha-2 code, upper case, to its index
	// in list.
	byCode map[string]int
	// alpha3 maps only the alpha-3 codes, the form the treaty-status file
	// requires.
	alpha3 map[string]int
}

// exact returns the participant whose alpha-3 code is code, as written.
func (t *participantTable) exact(code string) (Participant, bool) {
	i, ok := t.alpha3[code]
	if !ok {
		return Participant{}, false
	}
	return t.list[i], true
}

var participants = sync.OnceValue(func() *participantTable {
	t, err := parseParticipants(participantsCSV)
	if err != nil {
		panic("directory: embedded data/participants.csv: " + err.Error())
	}
	return t
})

// Participants returns all 196 participants, sorted by code. The caller
// owns the result and may change it. Like every function that reads the
// directory, it panics only if the embedded file is broken, which a test
// rules out.
func Participants() []Participant {
	list := participants().list
	out := make([]Participant, len(list))
	for i, p := range list {
		out[i] = p.clone()
	}
	return out
}

// LookupParticipant returns the participant whose ISO 3166-1 alpha-3 or
// alpha-2 code is code, in any case ("FRA", "fr", "EU"). It reports false
// for any other string, including one with surrounding spaces.
func LookupParticipant(code string) (Participant, bool) {
	t := participants()
	i, ok := t.byCode[strings.ToUpper(code)]
	if !ok {
		return Participant{}, false
	}
	return t.list[i].clone(), true
}

// clone copies p so that a caller changing its names cannot change the
// shared table.
func (p Participant) clone() Participant {
	p.Names = maps.Clone(p.Names)
	return p
}

const participantsHeader = "code,alpha2,status,name_en,name_fr,name_es,name_ru,name_zh,name_ar"

// parseParticipants reads the participants file, rejecting anything that
// would make a lookup ambiguous or a name missing.
func parseParticipants(data []byte) (*participantTable, error) {
	r := csv.NewReader(bytes.NewReader(data))
	r.Comment = '#'
	r.FieldsPerRecord = 3 + len(languages)
	header, err := r.Read()
	if err != nil {
		return nil, fmt.Errorf("reading header: %w", err)
	}
	if got := strings.Join(header, ","); got != participantsHeader {
		return nil, fmt.Errorf("header is %q, want %q", got, participantsHeader)
	}
	t := &participantTable{byCode: map[string]int{}, alpha3: map[string]int{}}
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		line, _ := r.FieldPos(0)
		p := Participant{Code: rec[0], Alpha2: rec[1], Status: Status(rec[2]), Names: map[string]string{}}
		if !isUpperASCII(p.Code, 3) || !isUpperASCII(p.Alpha2, 2) {
			return nil, fmt.Errorf("line %d: codes %q and %q are not ISO 3166-1 alpha-3 and alpha-2", line, p.Code, p.Alpha2)
		}
		if !p.Status.Valid() {
			return nil, fmt.Errorf("line %d: unknown status %q", line, p.Status)
		}
		for i, lang := range languages {
			name := rec[3+i]
			if strings.TrimSpace(name) == "" {
				return nil, fmt.Errorf("line %d: %s has no name in %q", line, p.Code, lang)
			}
			p.Names[lang] = name
		}
		for _, code := range []string{p.Code, p.Alpha2} {
			if _, dup := t.byCode[code]; dup {
				return nil, fmt.Errorf("line %d: code %q appears twice", line, code)
			}
			t.byCode[code] = len(t.list)
		}
		t.list = append(t.list, p)
	}
	// The index above served only to find duplicates; the file need not be
	// sorted, so index again in code order.
	slices.SortFunc(t.list, func(a, b Participant) int { return strings.Compare(a.Code, b.Code) })
	for i, p := range t.list {
		t.byCode[p.Code] = i
		t.byCode[p.Alpha2] = i
		t.alpha3[p.Code] = i
	}
	return t, nil
}

func isUpperASCII(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for i := range len(s) {
		if s[i] < 'A' || s[i] > 'Z' {
			return false
		}
	}
	return true
}

// kindOf gives the treaty-status file's word for a participant: States
// sign and ratify as States, the REIO as an organisation (art. 64).
func kindOf(s Status) string {
	if s == REIO {
		return kindOrganisation
	}
	return kindState
}

const (
	kindState        = "state"
	kindOrganisation = "organisation"
)

// SuggestParticipants returns up to max participants an official who
// wrote s may have meant: those whose name in one of the six languages
// contains it, ignoring case, then those whose alpha-3 code differs from
// it by one letter or by two neighbouring letters swapped. It helps an error name the code to give instead.
func SuggestParticipants(s string, max int) []Participant {
	s = strings.TrimSpace(s)
	if s == "" || max <= 0 {
		return nil
	}
	t := participants()
	var out []Participant
	seen := map[string]bool{}
	add := func(p Participant) bool {
		if !seen[p.Code] {
			seen[p.Code] = true
			out = append(out, p.clone())
		}
		return len(out) >= max
	}
	lower := strings.ToLower(s)
	if len([]rune(lower)) >= 3 {
		for _, p := range t.list {
			for _, lang := range languages {
				if strings.Contains(strings.ToLower(p.Names[lang]), lower) {
					if add(p) {
						return out
					}
					break
				}
			}
		}
	}
	if upper := strings.ToUpper(s); len(upper) == 3 {
		// Swapped letters first: the likelier slip.
		for _, near := range []func(a, b string) bool{swapped, oneLetterApart} {
			for _, p := range t.list {
				if near(p.Code, upper) && add(p) {
					return out
				}
			}
		}
	}
	return out
}

// swapped reports whether b is a with two neighbouring letters swapped,
// the commonest slip in typing a code (VMN for VNM).
func swapped(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i+1 < len(a); i++ {
		if a[i] != b[i] {
			return a[i] == b[i+1] && a[i+1] == b[i] && a[i+2:] == b[i+2:]
		}
	}
	return false
}

// oneLetterApart reports whether two codes of equal length differ in
// exactly one position.
func oneLetterApart(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	diff := 0
	for i := range len(a) {
		if a[i] != b[i] {
			diff++
		}
	}
	return diff == 1
}
