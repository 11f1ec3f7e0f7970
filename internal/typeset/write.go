package typeset

import (
	"bytes"
	"cmp"
	"image/color"
	"io"

	"github.com/tdewolff/canvas"
)

// Block is one piece of a document: a paragraph of one style, a label
// beside its value (Label set), a rule, or a figure (Figure set).
type Block struct {
	Label string
	Text  string
	// Size is the type size; 0 is ValueSize for a label's value.
	Size  float64
	Bold  bool
	Fill  color.RGBA
	Space float64
	Rule  bool
	// Figure draws a figure FigureHeight millimetres tall, as Doc.Figure
	// does; doc is the document, whose Text sets the figure's words in
	// its fonts.
	Figure       func(doc *Doc, r canvas.Renderer, left, top, width float64)
	FigureHeight float64
}

// Info is what a document's PDF says of it, and its footer.
type Info struct {
	Title, Subject, Author, Lang string
	RTL                          bool
	// Footer gives the footer of page page of pages.
	Footer func(page, pages int) string
}

// Write sets blocks on pages as a PDF and writes it to w. The footer
// says how many pages there are, so the document is laid out once to
// count them, then again to write it; the PDF is made in memory, so that
// a failure writes nothing. texts are the words a figure draws, beside
// the blocks', for the choice of fonts; it returns an error wrapping
// ErrNoCJKFont when they hold Chinese and fs gives no font for it.
func Write(w io.Writer, fs Fonts, info Info, blocks []Block, texts ...string) error {
	all := append([]string{}, texts...)
	for _, b := range blocks {
		all = append(all, b.Label, b.Text)
	}
	render := func(out io.Writer, pages int) (int, error) {
		doc, err := New(out, fs, info.RTL, all...)
		if err != nil {
			return 0, err
		}
		doc.PDF().SetInfo(info.Title, info.Subject, "", info.Author, "Entraide")
		doc.PDF().SetLang(info.Lang)
		if info.Footer != nil {
			doc.Footer = func(page int) string { return info.Footer(page, pages) }
		}
		for _, b := range blocks {
			switch {
			case b.Figure != nil:
				doc.Figure(b.FigureHeight, func(r canvas.Renderer, left, top, width float64) { b.Figure(doc, r, left, top, width) })
			case b.Rule:
				doc.Rule()
			case b.Label != "":
				doc.Row(b.Label, b.Text, cmp.Or(b.Size, ValueSize))
			default:
				doc.Block(b.Text, b.Size, b.Bold, b.Fill, b.Space)
			}
		}
		if err := doc.Close(); err != nil {
			return 0, err
		}
		return doc.Page(), nil
	}
	pages, err := render(io.Discard, 0)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if _, err := render(&buf, pages); err != nil {
		return err
	}
	_, err = w.Write(buf.Bytes())
	return err
}
