package flow

import (
	"fmt"
	"strconv"
	"unicode/utf8"
)

// Words are what a picture says, in the reader's language. A nil
// function or empty string says it in English.
type Words struct {
	// Title names the picture; Description says what it shows, for a
	// reader who cannot see it.
	Title, Description string
	// State names a State by its code.
	State func(code string) string
	// Unknown names the accounts whose jurisdiction is unknown, Several
	// the merged nodes of more than one State, Dust the funds in shares
	// too small to follow.
	Unknown, Several, Dust string
	// Held names the node of the funds held in a State, by its name.
	Held func(state string) string
	// OtherAccounts and OtherStates name a merged node of n accounts or
	// States.
	OtherAccounts, OtherStates func(n int) string
	// Amount writes millionths of the trace's currency, with the currency.
	Amount func(micros int64) string
	// Flow says that amount went from one node to another.
	Flow func(from, to, amount string) string
	// Cut says how many accounts and States the picture merged.
	Cut func(accounts, states int) string
}

func (w Words) withDefaults(currency string) Words {
	if w.Title == "" {
		w.Title = "Where the traced funds went"
	}
	if w.State == nil {
		w.State = func(code string) string { return code }
	}
	if w.Unknown == "" {
		w.Unknown = "Jurisdiction unknown"
	}
	if w.Several == "" {
		w.Several = "Other or several States"
	}
	if w.Dust == "" {
		w.Dust = "Too small to follow"
	}
	if w.Held == nil {
		w.Held = func(s string) string { return "Held in " + s }
	}
	if w.OtherAccounts == nil {
		w.OtherAccounts = func(n int) string { return strconv.Itoa(n) + " other accounts" }
	}
	if w.OtherStates == nil {
		w.OtherStates = func(n int) string { return strconv.Itoa(n) + " other States" }
	}
	if w.Amount == nil {
		w.Amount = func(m int64) string { return FormatAmount(m) + " " + currency }
	}
	if w.Flow == nil {
		w.Flow = func(from, to, amount string) string { return from + " → " + to + ": " + amount }
	}
	if w.Cut == nil {
		w.Cut = func(a, s int) string {
			return fmt.Sprintf("For a picture of bounded size, %d smaller accounts and %d States are merged into \"other\" nodes; the tables give every figure.", a, s)
		}
	}
	return w
}

// FormatAmount writes millionths as a decimal with two places, rounded
// half away from zero, and no grouping: "1234.50".
func FormatAmount(micros int64) string {
	neg := micros < 0
	if neg {
		micros = -micros
	}
	cents := (micros + 5_000) / 10_000
	s := strconv.FormatInt(cents/100, 10) + "." + fmt.Sprintf("%02d", cents%100)
	if neg {
		s = "-" + s
	}
	return s
}

// stateName names a node's State in the words.
func (w Words) stateName(s string) string {
	switch s {
	case "":
		return w.Unknown
	case Several:
		return w.Several
	}
	return w.State(s)
}

// Label is what the picture writes beside a node.
func (w Words) label(n Node) string {
	switch n.Kind {
	case Held:
		if n.State == "" {
			return w.Unknown
		}
		return w.Held(w.stateName(n.State))
	case OtherStates:
		return w.OtherStates(n.Count)
	case OtherAccounts:
		return w.OtherAccounts(n.Count)
	case Dust:
		return w.Dust
	}
	return n.Label
}

// Label returns what a picture in words writes beside n, untruncated.
func Label(n Node, currency string, words Words) string {
	return words.withDefaults(currency).label(n)
}

// maxLabel is the most characters a label beside a node has: more would
// run over the next column.
const maxLabel = 28

// maxLastLabel is the most characters of the name of a node of the last
// column, whose labels have more room.
const maxLastLabel = 40

// short cuts s to maxLabel characters, with an ellipsis.
func short(s string) string { return cut(s, maxLabel) }

// cut cuts s to n characters, with an ellipsis.
func cut(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}
