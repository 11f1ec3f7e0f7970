package flow

import (
	"fmt"
	"html"
	"image/color"
	"io"
	"strconv"
	"strings"
)

// SVGOptions are how a picture is written for a page.
type SVGOptions struct {
	// ID prefixes the ids of the picture's title and description, which
	// must be unique in the page.
	ID string
	// RTL mirrors the picture for a page written right to left: the
	// victim payments on the right, the funds flowing leftwards, and
	// the labels set right to left.
	RTL bool
}

// SVG writes l as an SVG element for a page: drawn whole on the server,
// with no script; a title and a description name it for a screen
// reader, and each box and band has a title that gives its figure.
func (l *Layout) SVG(w io.Writer, words Words, opt SVGOptions) error {
	g := l.graph
	words = words.withDefaults(g.Currency)
	id := opt.ID
	if id == "" {
		id = "flow"
	}
	dir := "ltr"
	if opt.RTL {
		dir = "rtl"
	}
	// x mirrors a distance from the picture's start edge; anchors stay
	// "start" and "end", which the text's direction turns.
	x := func(v float64) float64 {
		if opt.RTL {
			return l.Width - v
		}
		return v
	}
	esc := html.EscapeString
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" class="flow" viewBox="0 0 %s %s" width="%s" height="%s" role="img" aria-labelledby="%s-title %s-desc" direction="%s" font-family="system-ui, sans-serif" font-size="12">`+"\n",
		num(l.Width), num(l.Height), num(l.Width), num(l.Height), esc(id), esc(id), dir)
	fmt.Fprintf(&b, "<title id=\"%s-title\">%s</title>\n", esc(id), esc(words.Title))
	desc := words.Description
	if g.MergedAccounts > 0 || g.MergedStates > 0 {
		desc = strings.TrimSpace(desc + " " + words.Cut(g.MergedAccounts, g.MergedStates))
	}
	fmt.Fprintf(&b, "<desc id=\"%s-desc\">%s</desc>\n", esc(id), esc(desc))

	b.WriteString("<g fill=\"none\" stroke-opacity=\"0.45\">\n")
	for _, k := range l.Bands {
		from, to := g.Nodes[k.From], g.Nodes[k.To]
		x0, x1 := x(k.X0), x(k.X1)
		c0, c1 := control(k.X0, k.X1)
		fmt.Fprintf(&b, `<path d="M%s %sC%s %s %s %s %s %s" stroke="%s" stroke-width="%s"><title>%s</title></path>`+"\n",
			num(x0), num(k.Y0), num(x(c0)), num(k.Y0), num(x(c1)), num(k.Y1), num(x1), num(k.Y1),
			hex(l.colourOf(from)), num(max(k.Width, 0.75)),
			esc(words.Flow(words.label(from), words.label(to), words.Amount(k.Value))))
	}
	b.WriteString("</g>\n<g>\n")
	for _, n := range l.Boxes {
		bx := n.X
		if opt.RTL {
			bx = l.Width - n.X - n.W
		}
		label := words.label(n.Node)
		full := label + " (" + words.stateName(n.State) + "): " + words.Amount(n.Value())
		if n.Kind != Victim && n.Kind != Account {
			full = label + ": " + words.Amount(n.Value())
		}
		fmt.Fprintf(&b, `<rect x="%s" y="%s" width="%s" height="%s" fill="%s" stroke="#111" stroke-width="0.5"><title>%s</title></rect>`+"\n",
			num(bx), num(n.Y), num(n.W), num(max(n.H, 1)), hex(l.colourOf(n.Node)), esc(full))
		fmt.Fprintf(&b, `<text x="%s" y="%s" text-anchor="start" dominant-baseline="middle" fill="#111" stroke="#fff" stroke-width="3" paint-order="stroke">%s</text>`+"\n",
			num(x(n.X+n.W+4)), num(n.Y+n.H/2), esc(isolate(l.text(n.Node, words), n.Kind, opt.RTL)))
	}
	b.WriteString("</g>\n<g>\n")
	for i, s := range l.Legend {
		lx, ly := l.LegendPos(i)
		sx := x(lx)
		if opt.RTL {
			sx -= 14
		}
		fmt.Fprintf(&b, `<rect x="%s" y="%s" width="14" height="14" fill="%s" stroke="#111" stroke-width="0.5"/><text x="%s" y="%s" dominant-baseline="middle" fill="#111">%s</text>`+"\n",
			num(sx), num(ly), hex(l.Colour(s)), num(x(lx+20)), num(ly+7), esc(short(words.stateName(s))))
	}
	b.WriteString("</g>\n")
	if l.NoteY > 0 {
		fmt.Fprintf(&b, "<text x=\"%s\" y=\"%s\" fill=\"#111\" font-style=\"italic\">%s</text>\n",
			num(x(padSide)), num(l.NoteY), esc(words.Cut(g.MergedAccounts, g.MergedStates)))
	}
	b.WriteString("</svg>\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// text is the label beside a box: an account's name, cut to what fits
// between two columns; a node of the last column with its amount.
func (l *Layout) text(n Node, words Words) string {
	switch n.Kind {
	case Held, OtherStates, Dust:
		// The last column's labels have the room after it, for a
		// State's name in full and the amount.
		return cut(words.label(n), maxLastLabel) + ": " + words.Amount(n.Value())
	}
	return short(words.label(n))
}

// control returns the x of a band's two control points: halfway across
// for a band that runs forward, and out beyond both ends for one that
// runs back to its own or an earlier column (funds that came back).
func control(x0, x1 float64) (float64, float64) {
	if x1 > x0 {
		m := (x0 + x1) / 2
		return m, m
	}
	d := max((x0-x1)/2, 60)
	return x0 + d, x1 - d
}

// num writes a coordinate with at most two decimals.
func num(f float64) string {
	s := strconv.FormatFloat(f, 'f', 2, 64)
	s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	if s == "-0" || s == "" {
		return "0"
	}
	return s
}

func hex(c color.RGBA) string {
	return fmt.Sprintf("#%02x%02x%02x", c.R, c.G, c.B)
}

// isolate sets an account's label, a code written left to right, apart
// from the right-to-left text around it, so that its ellipsis stays at
// its end.
func isolate(s string, k Kind, rtl bool) string {
	if rtl && (k == Victim || k == Account) {
		return "\u2066" + s + "\u2069"
	}
	return s
}
