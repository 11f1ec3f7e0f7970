// Package convention is the United Nations Convention against Cybercrime as
// code: its request kinds with their articles and required contents, its
// offences, its grounds for refusal, its time limits and its rule for entry
// into force. It performs no I/O; every other package asks it what the treaty
// says, so each rule is answered in exactly one place.
//
// Items that CONVENTION.md marks "(check)" are flagged Check in their Ref so a
// reader can find and correct them here, against the authentic text.
package convention

import (
	"fmt"
	"strings"
)

// Ref cites a provision of the Convention: an article, and where relevant a
// paragraph and a subparagraph letter.
type Ref struct {
	Article   int    `json:"article"`
	Paragraph int    `json:"paragraph,omitempty"`
	Letter    string `json:"letter,omitempty"`
	// Check marks a citation taken from the negotiated text as remembered,
	// not yet read against the authentic text.
	Check bool `json:"check,omitempty"`
}

// Art cites an article; chain Para and Sub to narrow it.
func Art(article int) Ref { return Ref{Article: article} }

// Para narrows r to a paragraph.
func (r Ref) Para(p int) Ref { r.Paragraph = p; return r }

// Sub narrows r to a subparagraph letter.
func (r Ref) Sub(letter string) Ref { r.Letter = letter; return r }

// Unchecked marks r as not yet checked against the authentic text.
func (r Ref) Unchecked() Ref { r.Check = true; return r }

// String renders r the way lawyers cite it: "art. 40(15)(a)".
func (r Ref) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "art. %d", r.Article)
	if r.Paragraph > 0 {
		fmt.Fprintf(&b, "(%d)", r.Paragraph)
	}
	if r.Letter != "" {
		fmt.Fprintf(&b, "(%s)", r.Letter)
	}
	return b.String()
}

// Cite renders r as String does, adding " (unverified)" when r is not yet
// checked against the authentic text: what officials read, in errors of
// the API and the CLI, says so.
func (r Ref) Cite() string {
	if r.Check {
		return r.String() + " (unverified)"
	}
	return r.String()
}

// Problem is one thing wrong with a request: the field it concerns, the
// provision that requires it, and a message an official can act on.
type Problem struct {
	Field   string `json:"field"`
	Ref     Ref    `json:"ref"`
	Message string `json:"message"`
}

func (p Problem) String() string {
	return fmt.Sprintf("%s: %s (%s)", p.Field, p.Message, p.Ref.Cite())
}

// Problems is every problem found in one validation. A nil or empty
// Problems means the request conforms.
type Problems []Problem

// Err returns ps as an error, or nil when there are none.
func (ps Problems) Err() error {
	if len(ps) == 0 {
		return nil
	}
	return ps
}

func (ps Problems) Error() string {
	parts := make([]string, len(ps))
	for i, p := range ps {
		parts[i] = p.String()
	}
	return strings.Join(parts, "; ")
}
