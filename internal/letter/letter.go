// Package letter prints a request as the formal letter the Convention
// asks for: requests are made in writing, in a language acceptable to the
// requested State (art. 40(14)). The letter is a PDF whose labels are in
// one of the six official languages of the United Nations and whose
// values are as the requesting official wrote them; it carries the hash
// of the request's record in the node's audit log and its place there, so
// that a reader can check it against the log.
package letter

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/tdewolff/canvas"

	"entraide/internal/casework"
	"entraide/internal/convention"
	"entraide/internal/directory"
	"entraide/internal/tlog"
	"entraide/internal/typeset"
)

// Fonts says where the letter finds the fonts that are not in the binary
// (a font of Chinese script).
type Fonts = typeset.Fonts

// ErrNoCJKFont is returned when a letter has Chinese text and no font of
// Chinese script can be read.
var ErrNoCJKFont = typeset.ErrNoCJKFont

// CJKEnv is the environment variable that names the font file of Chinese
// script, when Fonts.CJK is not set.
const CJKEnv = typeset.CJKEnv

// Letter is what a letter prints.
type Letter struct {
	Request *casework.Request
	// Lang is the language of the form's labels, one of Languages.
	Lang string
	// Log is the request's record in the node's audit log; nil while the
	// log has not integrated it (within a second of its commit).
	Log *Record
	// Node is the address of the node, for the line that says how to
	// check the record; empty prints a placeholder.
	Node string
}

// Record is the place of a request's audit record in the node's Merkle
// log, and the signed checkpoint that holds it.
type Record struct {
	Node   string    // the State whose node keeps the log
	Origin string    // the log's origin, as its checkpoints name it
	At     time.Time // when it was committed
	// SHA256 is the hash of the record's canonical bytes, in hex: the
	// log's entry at Index is "entraide/audit/v1 " followed by it.
	SHA256 string
	Index  int64
	// Size and Root are those of the signed checkpoint that holds the
	// record (Root in base64, as the checkpoint writes it).
	Size int64
	Root string
}

// ErrLanguage is returned for a language the letter is not printed in.
var ErrLanguage = errors.New("the letter is printed in en, fr, es, ru, zh or ar")

// Language returns the language of a letter to a State that accepts
// accepted (ISO 639 codes, its profile's languages, art. 40(14)): the
// first of them the letter is printed in, or English, in which every
// State Party can be addressed through the Secretary-General's directory,
// when none is or the State has notified none.
func Language(accepted []string) string {
	for _, l := range accepted {
		if slices.Contains(Languages, strings.ToLower(l)) {
			return strings.ToLower(l)
		}
	}
	return "en"
}

// Write writes l as a PDF to w. It returns ErrLanguage for a language it
// does not print, and an error wrapping ErrNoCJKFont when the letter has
// Chinese text and fonts gives no font for it; nothing is written then.
func Write(w io.Writer, l Letter, fonts Fonts) error {
	if !slices.Contains(Languages, l.Lang) {
		return fmt.Errorf("lang %q: %w", l.Lang, ErrLanguage)
	}
	r := l.Request
	spec, ok := convention.Lookup(r.Kind)
	if !ok {
		return fmt.Errorf("request %s is of kind %q, which this build does not know", r.ID, r.Kind)
	}
	p := printer{lang: l.Lang}
	return typeset.Write(w, fonts, typeset.Info{
		Title: p.word("title") + " " + r.ID, Subject: spec.Title, Author: r.RequestingState, Lang: l.Lang, RTL: rtl[l.Lang],
		Footer: func(page, pages int) string {
			return r.ID + "  ·  " + strconv.Itoa(page) + "/" + strconv.Itoa(pages)
		},
	}, p.blocks(l, spec))
}

// printer words the letter in its language.
type printer struct{ lang string }

func (p printer) word(key string) string {
	if s, ok := words[p.lang][key]; ok {
		return s
	}
	return words["en"][key]
}

func (p printer) kindTitle(spec convention.Spec) string {
	if s, ok := kindTitles[p.lang][spec.Kind]; ok {
		return s
	}
	return spec.Title
}

func (p printer) fieldLabel(f convention.Field) string {
	if s, ok := fieldLabels[p.lang][f.Name]; ok {
		return s
	}
	return f.Label
}

// state names a State in the letter's language, with its code.
func (p printer) state(code string) string {
	if n := p.stateName(code); n != code {
		return n + " (" + code + ")"
	}
	return code
}

// stateName names a State in the letter's language, or gives its code.
func (p printer) stateName(code string) string {
	if pt, ok := directory.LookupParticipant(code); ok {
		if n := pt.Names[p.lang]; n != "" {
			return n
		}
	}
	return code
}

// blocks lays out the letter, top to bottom.
func (p printer) blocks(l Letter, spec convention.Spec) []typeset.Block {
	r := l.Request
	var out []typeset.Block
	pair := func(k, v string) { out = append(out, typeset.Block{Label: k, Text: v}) }
	heading := func(s string) {
		out = append(out, typeset.Block{Text: s, Size: typeset.ValueSize + 1, Bold: true, Fill: canvas.Black, Space: 3})
	}
	small := func(s string, space float64) {
		out = append(out, typeset.Block{Text: s, Size: typeset.SmallSize, Fill: canvas.Black, Space: space})
	}
	rule := func() { out = append(out, typeset.Block{Rule: true}) }

	out = append(out, typeset.Block{Text: p.word("title"), Size: typeset.TitleSize, Bold: true, Fill: canvas.Black, Space: 1.5})
	out = append(out, typeset.Block{Text: p.word("basis"), Size: typeset.LabelSize, Fill: typeset.Grey, Space: 4})
	rule()
	pair(p.word("requesting"), p.state(r.RequestingState))
	pair(p.word("requested"), p.state(r.RequestedState))
	var arts []string
	for _, a := range spec.Articles {
		arts = append(arts, strings.TrimPrefix(strings.TrimPrefix(a.String(), "arts. "), "art. "))
	}
	pair(p.word("kind"), p.kindTitle(spec))
	pair(p.word("articles"), strings.Join(arts, ", "))
	pair(p.word("id"), r.ID)
	pair(p.word("date"), r.CreatedAt.UTC().Format("2006-01-02"))
	pair(p.word("urgency"), p.word(string(r.Urgency)))
	if r.Confidential {
		pair(p.word("confidential"), p.word("confidential.y"))
	}
	if r.UseLimitation != "" {
		pair(p.word("use_limitation"), r.UseLimitation)
	}
	if r.FollowUpOf != "" {
		pair(p.word("follow_up_of"), r.FollowUpOf)
	}
	if len(r.Offences) > 0 {
		var lines []string
		for _, c := range r.Offences {
			var parts []string
			if c.Article != 0 {
				parts = append(parts, fmt.Sprintf(p.word("offence.art"), c.Article))
			}
			if c.Description != "" {
				parts = append(parts, c.Description)
			}
			if c.MaxPenaltyYears != 0 {
				parts = append(parts, fmt.Sprintf(p.word("offence.max"), c.MaxPenaltyYears))
			}
			lines = append(lines, strings.Join(parts, "; "))
		}
		pair(p.word("offences"), strings.Join(lines, "\n"))
	}

	rule()
	heading(p.word("contents"))
	printed := map[string]bool{}
	for _, f := range append(slices.Clone(spec.Fields), convention.CommonFields...) {
		if v := strings.TrimSpace(r.Fields[f.Name]); v != "" && !printed[f.Name] {
			printed[f.Name] = true
			pair(p.fieldLabel(f), v)
		}
	}
	// Fields the kind no longer lists still belong to the request as it
	// was written: they are printed under their own names.
	var rest []string
	for name, v := range r.Fields {
		if !printed[name] && strings.TrimSpace(v) != "" {
			rest = append(rest, name)
		}
	}
	sort.Strings(rest)
	for _, name := range rest {
		pair(name, r.Fields[name])
	}

	rule()
	heading(p.word("authenticity"))
	node := l.Node
	if node == "" {
		node = "https://NODE"
	}
	lg := l.Log
	if lg == nil {
		small(p.word("not_logged"), 1.5)
		return out
	}
	// Each hash, address and command is a paragraph of its own: set in a
	// sentence of a right-to-left language, the bidirectional algorithm
	// would move its digits about.
	small(fmt.Sprintf(p.word("record"), p.stateName(lg.Node)), 2.5)
	pair(p.word("log.origin"), lg.Origin)
	pair(p.word("log.leaf"), strconv.FormatInt(lg.Index, 10))
	pair(p.word("log.at"), lg.At.UTC().Format("2006-01-02 15:04:05 UTC"))
	out = append(out, typeset.Block{Label: p.word("record.hash"), Text: lg.SHA256, Size: typeset.SmallSize})
	pair(p.word("checkpoint.size"), strconv.FormatInt(lg.Size, 10))
	pair(p.word("checkpoint.root"), lg.Root)
	small(p.word("check"), 1.5)
	for _, line := range []string{
		tlog.EntryPrefix + lg.SHA256,
		"GET " + node + "/api/v1/log/inclusion?index=" + strconv.FormatInt(lg.Index, 10) + "&size=" + strconv.FormatInt(lg.Size, 10),
		"GET " + node + "/log/checkpoint",
		"entraide log key",
	} {
		small(line, 1)
	}
	return out
}
