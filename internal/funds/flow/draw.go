package flow

import (
	"image/color"

	"github.com/tdewolff/canvas"
)

// Typesetter shapes text at size points in fill, in the fonts of its
// scripts (a PDF's, whose writer knows them), broken into lines of at
// most width; a width of 0 sets one line.
type Typesetter func(s string, size float64, fill color.RGBA, width float64) *canvas.Text

// DrawOptions are how a picture is drawn on a page of a document.
type DrawOptions struct {
	// Left and Top are the top left corner of the picture on the page,
	// and Width its width, in the renderer's units (millimetres for a
	// PDF); Top is measured up from the bottom, as canvas measures.
	Left, Top, Width float64
	// RTL mirrors the picture, as SVGOptions.RTL does.
	RTL bool
	// Text shapes the labels.
	Text Typesetter
}

// HeightAt returns the height of l drawn width wide.
func (l *Layout) HeightAt(width float64) float64 {
	if l.Width == 0 {
		return 0
	}
	return l.Height * width / l.Width
}

// Draw draws l onto r as the SVG shows it, scaled to opt.Width: bands,
// boxes, labels, legend and the note of what was merged. Labels take
// between 4.5 and 8 points, whatever the scale, so that they stay
// readable on paper; they give no amounts, which the document's tables
// give.
func (l *Layout) Draw(r canvas.Renderer, words Words, opt DrawOptions) {
	g := l.graph
	words = words.withDefaults(g.Currency)
	if l.Width == 0 {
		return
	}
	s := opt.Width / l.Width
	px := func(v float64) float64 {
		if opt.RTL {
			v = l.Width - v
		}
		return opt.Left + v*s
	}
	py := func(v float64) float64 { return opt.Top - v*s }
	size := min(max(12*s*72/25.4, 4.5), 8.0)

	stroke := func(p *canvas.Path, c color.RGBA, width float64) {
		st := canvas.DefaultStyle
		st.Fill = canvas.Paint{}
		st.Stroke = canvas.Paint{Color: c}
		st.StrokeWidth = width
		r.RenderPath(p, st, canvas.Identity)
	}
	fill := func(p *canvas.Path, c color.RGBA) {
		st := canvas.DefaultStyle
		st.Fill = canvas.Paint{Color: c}
		st.Stroke = canvas.Paint{Color: color.RGBA{0x11, 0x11, 0x11, 0xff}}
		st.StrokeWidth = 0.1
		r.RenderPath(p, st, canvas.Identity)
	}
	rect := func(x0, y0, w, h float64) *canvas.Path {
		// x0, y0 are the layout's top left; the page's y runs up.
		a, b := px(x0), px(x0+w)
		p := &canvas.Path{}
		p.MoveTo(min(a, b), py(y0+h))
		p.LineTo(max(a, b), py(y0+h))
		p.LineTo(max(a, b), py(y0))
		p.LineTo(min(a, b), py(y0))
		p.Close()
		return p
	}
	// label sets s after the point (x, y) of the layout, in the picture's
	// direction, centred on y.
	label := func(str string, x, y float64, fillc color.RGBA, width float64) {
		if opt.Text == nil || str == "" {
			return
		}
		t := opt.Text(str, size, fillc, width)
		b := t.Bounds()
		// The text's own origin depends on its alignment: place its
		// start edge (its right one in a mirrored picture) at x.
		at := px(x) - b.X0
		if opt.RTL {
			at = px(x) - b.X1
		}
		r.RenderText(t, canvas.Identity.Translate(at, py(y)+b.H()/2))
	}

	for _, k := range l.Bands {
		c := l.colourOf(g.Nodes[k.From])
		c = color.RGBA{mix(c.R), mix(c.G), mix(c.B), 0xff} // the SVG's 0.45 opacity on white
		c0, c1 := control(k.X0, k.X1)
		p := &canvas.Path{}
		p.MoveTo(px(k.X0), py(k.Y0))
		p.CubeTo(px(c0), py(k.Y0), px(c1), py(k.Y1), px(k.X1), py(k.Y1))
		stroke(p, c, max(k.Width*s, 0.15))
	}
	for _, n := range l.Boxes {
		fill(rect(n.X, n.Y, n.W, max(n.H, 1)), l.colourOf(n.Node))
		// Without the amounts the SVG adds: the document's tables beside
		// the figure give them, and on paper they would not fit.
		label(short(words.label(n.Node)), n.X+n.W+4, n.Y+n.H/2, color.RGBA{0x11, 0x11, 0x11, 0xff}, 0)
	}
	for i, st := range l.Legend {
		lx, ly := l.LegendPos(i)
		fill(rect(lx, ly, 14, 14), l.Colour(st))
		label(short(words.stateName(st)), lx+20, ly+7, color.RGBA{0x11, 0x11, 0x11, 0xff}, 0)
	}
	if l.NoteY > 0 {
		label(words.Cut(g.MergedAccounts, g.MergedStates), padSide, l.NoteY-5, color.RGBA{0x33, 0x33, 0x33, 0xff}, opt.Width-2*padSide*s)
	}
}

// mix is a channel of a colour at 0.45 opacity over white.
func mix(v uint8) uint8 {
	return uint8(0.45*float64(v) + 0.55*255 + 0.5)
}
