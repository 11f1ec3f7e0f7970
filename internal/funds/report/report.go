// Package report prints the trace of stolen funds as a PDF an
// investigator files and sends with a request for freezing (arts. 31,
// 49-52): the case, the tracing rule and what it means, the victim
// payments it started from, the picture of where the funds went, where
// they are now per State and per account, every transfer that carried
// them with the record and the evidence item it came from, and the
// payments the records do not explain. Its labels are in one of the six
// official languages of the United Nations; its values are as the
// records give them.
package report

import (
	"cmp"
	"errors"
	"fmt"
	"image/color"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tdewolff/canvas"

	"entraide/internal/directory"
	"entraide/internal/funds"
	"entraide/internal/funds/flow"
	"entraide/internal/typeset"
)

// Report is what a report prints.
type Report struct {
	Case Case
	// Trace is the trace's id; TracedBy and TracedAt say who ran it and
	// when.
	Trace    string
	TracedBy string
	TracedAt time.Time
	Result   *funds.Result
	// Accounts are the accounts the trace went through, with their
	// jurisdiction; Records the transfers it followed, with where each
	// came from.
	Accounts map[funds.AccountID]funds.Account
	Records  map[funds.TransferID]Record
	// Lang is the language of the labels, one of Languages.
	Lang string
	// Node is the State whose node made the report, and Generated when.
	Node      string
	Generated time.Time
}

// Case is the investigation a trace belongs to.
type Case struct {
	ID, Title, Reference, State string
}

// Record is a transfer as the evidence gives it: the item of which
// request it came from, the item's SHA-256 when it was read, and where
// in the file.
type Record struct {
	RequestID, ItemID, SHA256 string
	Locator, Reference        string
	Amount, Currency          string
	At                        time.Time
}

// Languages are the languages a report's labels are printed in: the six
// official languages of the United Nations, English first.
var Languages = []string{"en", "fr", "es", "ru", "zh", "ar"}

// ErrLanguage is returned for a language the report is not printed in.
var ErrLanguage = errors.New("the report is printed in en, fr, es, ru, zh or ar")

// MaxHops is the most transfers a report lists one by one; the trace's
// data (the API's) holds the others, which the report says.
const MaxHops = 2000

// Write writes r as a PDF to w. It returns ErrLanguage for a language it
// does not print, and an error wrapping typeset.ErrNoCJKFont when the
// report has Chinese text and fonts gives no font for it; nothing is
// written then.
func Write(w io.Writer, r Report, fonts typeset.Fonts) error {
	if !slices.Contains(Languages, r.Lang) {
		return fmt.Errorf("lang %q: %w", r.Lang, ErrLanguage)
	}
	if r.Result == nil {
		return errors.New("the trace has no result to report")
	}
	p := printer{lang: r.Lang}
	g := flow.FromResult(r.Result, func(a funds.AccountID) flow.AccountInfo {
		acc := r.Accounts[a]
		return flow.AccountInfo{Label: p.accountLabel(acc, a), State: acc.Jurisdiction}
	}, flow.Limits{})
	layout := g.Layout()
	words := p.flowWords(r.Result.Options.Currency)
	texts := []string{p.word("figure")}
	for _, s := range layout.Legend {
		texts = append(texts, p.stateName(s))
	}
	rtl := r.Lang == "ar"
	picture := typeset.Block{FigureHeight: layout.HeightAt(typeset.BodyWidth),
		Figure: func(doc *typeset.Doc, rd canvas.Renderer, left, top, width float64) {
			layout.Draw(rd, words, flow.DrawOptions{Left: left, Top: top, Width: width, RTL: rtl,
				Text: func(s string, size float64, fill color.RGBA, width float64) *canvas.Text {
					return doc.Text(s, size, false, fill, width)
				}})
		}}
	return typeset.Write(w, fonts, typeset.Info{
		Title: p.word("title") + " " + r.Trace, Subject: r.Case.Title, Author: r.Case.State, Lang: r.Lang, RTL: rtl,
		Footer: func(page, pages int) string {
			return r.Trace + "  ·  " + r.Generated.UTC().Format("2006-01-02 15:04 UTC") + "  ·  " + strconv.Itoa(page) + "/" + strconv.Itoa(pages)
		},
	}, p.blocks(r, picture), texts...)
}

// printer words the report in its language.
type printer struct{ lang string }

func (p printer) word(key string) string {
	if s, ok := words[p.lang][key]; ok {
		return s
	}
	return words["en"][key]
}

func (p printer) wordf(key string, args ...any) string {
	return fmt.Sprintf(p.word(key), args...)
}

// stateName names a State in the report's language, with its code; ""
// is an unknown jurisdiction.
func (p printer) stateName(code string) string {
	switch code {
	case "":
		return p.word("unknown")
	case flow.Several:
		return p.word("several")
	}
	if pt, ok := directory.LookupParticipant(code); ok {
		if n := pt.Names[p.lang]; n != "" {
			return n + " (" + code + ")"
		}
	}
	return code
}

// flowWords are the picture's words in the report's language.
func (p printer) flowWords(currency string) flow.Words {
	return flow.Words{
		Title:         p.word("figure"),
		State:         p.stateName,
		Unknown:       p.word("unknown"),
		Several:       p.word("several"),
		Dust:          p.word("dust.node"),
		Held:          func(s string) string { return p.wordf("held.node", s) },
		OtherAccounts: func(n int) string { return p.wordf("other.accounts", n) },
		OtherStates:   func(n int) string { return p.wordf("other.states", n) },
		Amount:        func(m int64) string { return amount(m, currency) },
		Cut:           func(a, s int) string { return p.wordf("cut", a, s) },
	}
}

// amount writes millionths of currency with two decimals.
func amount(micros int64, currency string) string {
	return flow.FormatAmount(micros) + " " + currency
}

// accountLabel names an account by its id, or by its number in the
// trace when the records give none.
// locator is the place of a record in its file in the report's
// language: a CSV's "line 12" is said in it; an XML path or a JSON index
// is the file's own.
func (p printer) locator(loc string) string {
	if n, ok := strings.CutPrefix(loc, "line "); ok && n != "" && strings.Trim(n, "0123456789") == "" {
		return p.wordf("line", n)
	}
	return loc
}

func (p printer) accountLabel(a funds.Account, id funds.AccountID) string {
	if kind, of, ok := a.Sink(); ok {
		if kind == funds.SinkCash {
			return p.wordf("sink.cash", of)
		}
		return p.wordf("sink.charges", of)
	}
	if a.ID != "" {
		return a.ID
	}
	return "#" + strconv.FormatInt(int64(id), 10)
}

// blocks lays out the report, top to bottom.
func (p printer) blocks(r Report, picture typeset.Block) []typeset.Block {
	res := r.Result
	cur := res.Options.Currency
	var out []typeset.Block
	pair := func(k, v string) { out = append(out, typeset.Block{Label: k, Text: v}) }
	small := func(k, v string) { out = append(out, typeset.Block{Label: k, Text: v, Size: typeset.SmallSize}) }
	heading := func(s string) {
		out = append(out, typeset.Block{Text: s, Size: typeset.ValueSize + 1, Bold: true, Fill: canvas.Black, Space: 3})
	}
	para := func(s string) {
		out = append(out, typeset.Block{Text: s, Size: typeset.SmallSize + 1, Fill: canvas.Black, Space: 2.5})
	}
	rule := func() { out = append(out, typeset.Block{Rule: true}) }
	account := func(id funds.AccountID) string {
		a := r.Accounts[id]
		s := p.accountLabel(a, id)
		if _, _, sink := a.Sink(); !sink && a.Holder != "" {
			s += " — " + a.Holder
		}
		return s
	}
	when := func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") }

	out = append(out, typeset.Block{Text: p.word("title"), Size: typeset.TitleSize, Bold: true, Fill: canvas.Black, Space: 1.5})
	out = append(out, typeset.Block{Text: p.word("basis"), Size: typeset.LabelSize, Fill: typeset.Grey, Space: 4})
	rule()
	pair(p.word("case"), r.Case.Title)
	pair(p.word("case.id"), r.Case.ID)
	if r.Case.Reference != "" {
		pair(p.word("reference"), r.Case.Reference)
	}
	pair(p.word("state"), p.stateName(r.Case.State))
	pair(p.word("trace"), r.Trace)
	pair(p.word("traced.at"), when(r.TracedAt))
	if r.TracedBy != "" {
		pair(p.word("traced.by"), r.TracedBy)
	}
	pair(p.word("rule"), p.word("rule."+string(res.Options.Rule)))
	para(p.word("rule." + string(res.Options.Rule) + ".means"))
	pair(p.word("currency"), cur)
	if !res.Options.Until.IsZero() {
		pair(p.word("until"), when(res.Options.Until))
	}
	pair(p.word("maxhops"), strconv.Itoa(cmp.Or(res.Options.MaxHops, funds.DefaultMaxHops)))
	pair(p.word("traced"), amount(res.Traced, cur))
	var held int64
	for _, h := range res.Holdings {
		held += h.Traced
	}
	pair(p.word("held"), amount(held, cur))
	pair(p.word("dust"), amount(res.Dust, cur))
	pair(p.word("hops.count"), strconv.Itoa(len(res.Hops)))

	rule()
	heading(p.word("sources"))
	sources := map[funds.TransferID]bool{}
	for _, s := range res.Sources {
		sources[s] = true
	}
	for _, h := range res.Hops {
		if sources[h.Transfer] {
			// In the hops' size: an item's hash fits the column
			// at that size only.
			small(when(h.At), p.hopText(r, h, account))
			delete(sources, h.Transfer)
		}
	}
	for _, s := range res.Sources {
		if sources[s] {
			// A victim payment that carried nothing to follow (after
			// Until, or in another currency with no rate) is still one
			// the official chose.
			rec := r.Records[s]
			small(when(rec.At), rec.Amount+" "+rec.Currency+"\n"+p.recordText(rec))
		}
	}

	rule()
	heading(p.word("figure"))
	para(p.word("figure.help"))
	out = append(out, picture)

	rule()
	heading(p.word("bystate"))
	type stateTotal struct {
		state    string
		traced   int64
		accounts int
	}
	byState := map[string]*stateTotal{}
	for _, h := range res.Holdings {
		st := r.Accounts[h.Account].Jurisdiction
		t := byState[st]
		if t == nil {
			t = &stateTotal{state: st}
			byState[st] = t
		}
		t.traced += h.Traced
		t.accounts++
	}
	var states []*stateTotal
	for _, t := range byState {
		states = append(states, t)
	}
	slices.SortFunc(states, func(a, b *stateTotal) int {
		return cmp.Or(cmp.Compare(b.traced, a.traced), cmp.Compare(a.state, b.state))
	})
	if len(states) == 0 {
		para(p.word("none"))
	}
	for _, t := range states {
		pair(p.stateName(t.state), amount(t.traced, cur)+"\n"+p.wordf("accounts.n", t.accounts))
	}

	rule()
	heading(p.word("byaccount"))
	if len(res.Holdings) == 0 {
		para(p.word("none"))
	}
	for _, h := range res.Holdings {
		// The account's id is the value, not the label: an address of
		// forty characters has no space to break at in a label's column.
		a := r.Accounts[h.Account]
		lines := []string{p.accountLabel(a, h.Account), p.stateName(a.Jurisdiction)}
		if _, _, sink := a.Sink(); sink {
			// Its label says what it is: its "bank" and "holder" are
			// the same word again, in English.
			pair(amount(h.Traced, cur), strings.Join(lines, "\n"))
			continue
		}
		if a.Bank != "" {
			lines = append(lines, p.kv("bank", a.Bank))
		}
		if a.Holder != "" {
			lines = append(lines, p.kv("holder", a.Holder))
		}
		pair(amount(h.Traced, cur), strings.Join(lines, "\n"))
	}

	rule()
	heading(p.word("hops"))
	para(p.word("hops.help"))
	for i, h := range res.Hops {
		if i == MaxHops {
			para(p.wordf("hops.more", len(res.Hops)-MaxHops))
			break
		}
		small(p.wordf("hop.n", i+1, h.Depth)+"\n"+when(h.At), p.hopText(r, h, account))
	}

	rule()
	heading(p.word("shortfalls"))
	if len(res.Shortfalls) == 0 {
		para(p.word("shortfalls.none"))
	} else {
		para(p.word("shortfalls.help"))
	}
	for _, s := range res.Shortfalls {
		rec := r.Records[s.Transfer]
		small(when(s.At), account(s.Account)+"\n"+p.kv("shortfall", amount(s.Amount, cur))+"\n"+p.recordText(rec))
	}

	rule()
	small(p.word("generated"), when(r.Generated))
	small(p.word("node"), p.stateName(r.Node))
	return out
}

// hopText is a transfer that carried traced funds: from and to which
// account, how much of how much, and its record.
func (p printer) hopText(r Report, h funds.Hop, account func(funds.AccountID) string) string {
	cur := r.Result.Options.Currency
	lines := []string{
		p.kv("from", account(h.From)),
		p.kv("to", account(h.To)),
		p.kv("carried", amount(h.Traced, cur)),
		p.kv("whole", amount(h.Amount, cur)),
	}
	if rec, ok := r.Records[h.Transfer]; ok {
		if rec.Currency != cur && rec.Amount != "" {
			lines = append(lines, p.kv("recorded", rec.Amount+" "+rec.Currency))
		}
		lines = append(lines, p.recordText(rec))
	}
	return strings.Join(lines, "\n")
}

// recordText says where a transfer's record is: the item, its hash and
// the place in the file.
func (p printer) recordText(rec Record) string {
	var lines []string
	add := func(key, v string) {
		if v != "" {
			lines = append(lines, p.kv(key, v))
		}
	}
	add("item", rec.ItemID)
	add("request", rec.RequestID)
	if rec.SHA256 != "" {
		// On a line of its own: 64 characters that cannot break fit
		// the width of the column only alone, in every language.
		lines = append(lines, p.word("sha256")+":\n\u200e"+rec.SHA256+"\u200e")
	}
	add("locator", p.locator(rec.Locator))
	add("ref", rec.Reference)
	return strings.Join(lines, "\n")
}

// kv is a label and its value on one line, or, in a language written
// right to left, on two: set in a right-to-left line, the bidirectional
// algorithm would move the digits and hyphens of an id, a hash or an
// amount about.
func (p printer) kv(key, v string) string {
	if p.lang == "ar" {
		// A left-to-right mark at each end keeps the brackets and
		// punctuation at the ends of a locator or a name on its side.
		return p.word(key) + ":\n\u200e" + v + "\u200e"
	}
	if p.lang == "fr" {
		// French sets a no-break space before a colon.
		return p.word(key) + "\u00a0: " + v
	}
	return p.word(key) + ": " + v
}
