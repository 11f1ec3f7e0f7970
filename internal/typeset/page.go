// Package typeset sets documents on A4 pages as PDF in the six official
// languages of the United Nations: paragraphs, labels beside their
// values, rules and figures, each script in its font (Latin, Cyrillic and
// Arabic in the binary, Chinese from a file), Arabic joined and set right
// to left. It is what the formal letter and the report of a trace are
// printed with.
package typeset

import (
	"image/color"
	"io"
	"strings"
	"unicode"

	"github.com/tdewolff/canvas"
	"github.com/tdewolff/canvas/renderers/pdf"
)

// The page is A4, in millimetres, as canvas measures.
const (
	pageWidth  = 210.0
	pageHeight = 297.0
	margin     = 20.0
	// BodyWidth is the width of the text between the margins.
	BodyWidth = pageWidth - 2*margin
)

// Type sizes, in points.
const (
	TitleSize = 15.0
	LabelSize = 9.0
	ValueSize = 10.5
	SmallSize = 8.0
)

// Grey is the colour of labels and footers.
var Grey = color.RGBA{0x55, 0x55, 0x55, 0xff}

// Doc lays out blocks of text down A4 pages, starting a page when the
// next block does not fit. Its text is shaped by HarfBuzz (go-text's
// port, through canvas), so that Arabic is joined and set right to left
// and every script takes its own font.
type Doc struct {
	pdf   *pdf.PDF
	fonts map[string]face
	cjk   cjkFont // none when the document has no Chinese text
	rtl   bool    // the labels' language is written right to left
	y     float64 // the top of the next block, from the bottom of the page
	page  int
	// Footer is the footer of a page, by its number; nil for none.
	Footer func(page int) string
}

// New starts a document written to w, right to left if rtl. texts are
// the texts it will set: when one has Chinese characters, fs must give a
// font for them, else New returns an error wrapping ErrNoCJKFont.
func New(w io.Writer, fs Fonts, rtl bool, texts ...string) (*Doc, error) {
	embedded, err := loadEmbedded()
	if err != nil {
		return nil, err
	}
	var cjk cjkFont
	if NeedsCJK(texts...) {
		if cjk, err = fs.cjk(); err != nil {
			return nil, err
		}
	}
	return &Doc{pdf: pdf.New(w, pageWidth, pageHeight, nil), fonts: embedded, cjk: cjk, rtl: rtl, y: pageHeight - margin, page: 1}, nil
}

// PDF is the document's PDF writer, to set its information.
func (w *Doc) PDF() *pdf.PDF { return w.pdf }

// Page is the number of the page being set.
func (w *Doc) Page() int { return w.page }

// fontFor returns the font that draws r, given the one drawing the text
// before it: characters common to every script (spaces, digits,
// punctuation) stay in the font of their neighbours, so that a run is
// shaped as one.
func (w *Doc) fontFor(r rune, bold bool, prev *canvas.Font) *canvas.Font {
	pick := func(f face) *canvas.Font {
		if bold {
			return f.bold
		}
		return f.regular
	}
	switch {
	case unicode.In(r, unicode.Arabic):
		return pick(w.fonts["arabic"])
	case isCJK(r) && w.cjk.font != nil:
		return w.cjk.font
	case prev != nil && unicode.In(r, unicode.Mn, unicode.Me):
		// A combining mark (an Arabic vowel sign, an accent) belongs to
		// the letter before it, which its font places it on.
		return prev
	case prev != nil && (unicode.IsSpace(r) || unicode.IsPunct(r) || unicode.IsDigit(r)) && prev.SFNT.GlyphIndex(r) != 0:
		return prev
	}
	if latin := pick(w.fonts["latin"]); latin.SFNT.GlyphIndex(r) != 0 || w.cjk.font == nil || w.cjk.font.SFNT.GlyphIndex(r) == 0 {
		return latin
	}
	return w.cjk.font
}

// Text shapes s in runs of one font each, and breaks it into lines of at
// most width.
//
// Each word gets a face of its own, alternating between two faces of the
// same font: canvas merges the pieces of a line that share a face in
// logical order, which puts the words of a right-to-left line in the
// wrong order and its spaces in the wrong place; pieces of different
// faces are put in visual order by the bidirectional algorithm instead.
func (w *Doc) Text(s string, size float64, bold bool, fill color.RGBA, width float64) *canvas.Text {
	type key struct {
		font *canvas.Font
		odd  bool
	}
	faces := map[key]*canvas.FontFace{}
	faceOf := func(k key) *canvas.FontFace {
		if ff, ok := faces[k]; ok {
			return ff
		}
		ff := k.font.Face(size, fill)
		faces[k] = ff
		return ff
	}
	var rt *canvas.RichText
	cur := key{}
	var run strings.Builder
	flush := func() {
		if run.Len() > 0 {
			rt.WriteFace(faceOf(cur), run.String())
			run.Reset()
		}
	}
	prevSpace := false
	for _, r := range s {
		k := key{w.fontFor(r, bold, cur.font), cur.odd}
		space := unicode.IsSpace(r)
		if prevSpace && !space {
			k.odd = !k.odd
		}
		prevSpace = space
		if rt == nil {
			rt = canvas.NewRichText(faceOf(k))
		}
		if k != cur {
			flush()
			cur = k
		}
		run.WriteRune(r)
	}
	if rt == nil {
		rt = canvas.NewRichText(faceOf(key{font: w.fontFor(' ', bold, nil)}))
	}
	flush()
	align := canvas.Left
	if w.rtl {
		align = canvas.Right
	}
	return rt.ToText(width, 0, align, canvas.Top, nil)
}

// Block writes s as one or more paragraphs across the page, starting a
// page when the next does not fit; space is the gap left after it.
func (w *Doc) Block(s string, size float64, bold bool, fill color.RGBA, space float64) {
	for _, para := range paragraphs(s) {
		t := w.Text(para, size, bold, fill, BodyWidth)
		w.fit(t.Height)
		w.draw(t, w.x(0, BodyWidth), para)
		w.y -= t.Height
	}
	w.y -= space
}

// labelWidth is the width of the column of labels in a row.
const labelWidth = 52.0

// Row writes a label and its value side by side, the label first in the
// direction of the document's language; a value longer than a page goes on
// over the next ones.
func (w *Doc) Row(label, value string, size float64) {
	const gap = 5.0
	valueWidth := BodyWidth - labelWidth - gap
	lt := w.Text(label, LabelSize, true, Grey, labelWidth)
	for i, para := range paragraphs(value) {
		vt := w.Text(para, size, false, canvas.Black, valueWidth)
		h := vt.Height
		if i == 0 {
			h = max(h, lt.Height)
		}
		w.fit(h)
		if i == 0 {
			// The label sits on the value's first baseline.
			w.draw(lt, w.x(0, labelWidth), label)
		}
		w.draw(vt, w.x(labelWidth+gap, valueWidth), para)
		w.y -= h
	}
	w.y -= 2.5
}

// paragraphs splits s at its line breaks, and cuts a paragraph too long
// for a page at spaces, so that each piece fits on one.
func paragraphs(s string) []string {
	var out []string
	for _, para := range strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n") {
		out = append(out, cut(para, 2500)...)
	}
	return out
}

// cut cuts s into pieces of at most n runes, at a space where one is.
func cut(s string, n int) []string {
	runes := []rune(s)
	var out []string
	for len(runes) > n {
		at := n
		for i := n; i > n/2; i-- {
			if unicode.IsSpace(runes[i]) {
				at = i
				break
			}
		}
		out = append(out, string(runes[:at]))
		runes = runes[at:]
	}
	return append(out, string(runes))
}

// x returns the left edge of a column that starts from at millimetres
// from the start of the body, in the direction of the document.
func (w *Doc) x(from, width float64) float64 {
	if w.rtl {
		return pageWidth - margin - from - width
	}
	return margin + from
}

// fit starts a page unless h millimetres fit above the bottom margin.
func (w *Doc) fit(h float64) {
	if w.y-h < margin+footerHeight && w.y < pageHeight-margin {
		w.newPage()
	}
}

// draw draws t, whose text is s, with its top left corner at x and the
// current height.
func (w *Doc) draw(t *canvas.Text, x float64, s string) {
	m := canvas.Identity.Translate(x, w.y)
	if w.cjk.outline && NeedsCJK(s) {
		t.RenderAsPath(w.pdf, m, canvas.DefaultResolution)
	} else {
		w.pdf.RenderText(t, m)
	}
}

// Rule draws a thin line across the page.
func (w *Doc) Rule() {
	p := &canvas.Path{}
	p.MoveTo(margin, w.y)
	p.LineTo(pageWidth-margin, w.y)
	style := canvas.DefaultStyle
	style.Fill = canvas.Paint{}
	style.Stroke = canvas.Paint{Color: Grey}
	style.StrokeWidth = 0.3
	w.pdf.RenderPath(p, style, canvas.Identity)
	w.y -= 4
}

// footerHeight is the room kept at the bottom of each page for its
// footer.
const footerHeight = 8.0

func (w *Doc) newPage() {
	w.footer()
	w.pdf.NewPage(pageWidth, pageHeight)
	w.page++
	w.y = pageHeight - margin
}

// footer writes the current page's footer, if the document has one.
func (w *Doc) footer() {
	if w.Footer == nil {
		return
	}
	s := w.Footer(w.page)
	t := w.Text(s, SmallSize, false, Grey, BodyWidth)
	w.pdf.RenderText(t, canvas.Identity.Translate(w.x(0, BodyWidth), margin))
}

// Close writes the last page's footer and ends the PDF.
func (w *Doc) Close() error {
	w.footer()
	return w.pdf.Close()
}

// Figure draws a figure height millimetres tall across the body of the
// page, starting a page unless it fits: draw is given the renderer and
// the figure's top left corner and width (the page's y runs up). Text
// the figure draws with Text is set in the document's fonts.
func (w *Doc) Figure(height float64, draw func(r canvas.Renderer, left, top, width float64)) {
	w.fit(height)
	var r canvas.Renderer = w.pdf
	if w.cjk.outline {
		r = outlined{w.pdf}
	}
	draw(r, margin, w.y, BodyWidth)
	w.y -= height + 3
}

// outlined draws text as shapes: the font of Chinese script cannot be
// subset into the PDF.
type outlined struct{ *pdf.PDF }

func (o outlined) RenderText(t *canvas.Text, m canvas.Matrix) {
	t.RenderAsPath(o.PDF, m, canvas.DefaultResolution)
}
