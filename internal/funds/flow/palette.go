package flow

import (
	"cmp"
	"image/color"
	"slices"
)

// palette is Paul Tol's "muted" scheme: nine colours that readers with
// any of the common colour-vision deficiencies still tell apart, and that
// black text reads on. The States that carry most of the funds take
// them in order.
var palette = []color.RGBA{
	{0x88, 0xcc, 0xee, 0xff}, // cyan
	{0xcc, 0x66, 0x77, 0xff}, // rose
	{0xdd, 0xcc, 0x77, 0xff}, // sand
	{0x11, 0x77, 0x33, 0xff}, // green
	{0x33, 0x22, 0x88, 0xff}, // indigo
	{0xaa, 0x44, 0x99, 0xff}, // purple
	{0x44, 0xaa, 0x99, 0xff}, // teal
	{0x99, 0x99, 0x33, 0xff}, // olive
	{0x88, 0x22, 0x55, 0xff}, // wine
}

var (
	// unknownColour is the grey of accounts whose jurisdiction is unknown.
	unknownColour = color.RGBA{0xbb, 0xbb, 0xbb, 0xff}
	// severalColour is the dark grey of merged nodes of more than one
	// State, and of the States beyond the palette.
	severalColour = color.RGBA{0x55, 0x55, 0x55, 0xff}
	// dustColour is the pale grey of the dust.
	dustColour = color.RGBA{0xe4, 0xe4, 0xe4, 0xff}
)

// legend returns the States of g's nodes in the order they take the
// palette's colours (the most funds first), then Several if a merged
// node or a State beyond the palette has its colour, then "" if an
// account's jurisdiction is unknown.
func legend(g *Graph) []string {
	total := map[string]int64{}
	for _, n := range g.Nodes {
		if n.Kind != Dust {
			total[n.State] += n.Value()
		}
	}
	var states []string
	for s := range total {
		if s != "" && s != Several {
			states = append(states, s)
		}
	}
	slices.SortFunc(states, func(a, b string) int { return cmp.Or(cmp.Compare(total[b], total[a]), cmp.Compare(a, b)) })
	_, several := total[Several]
	if len(states) > len(palette) {
		states, several = states[:len(palette)], true
	}
	if several {
		states = append(states, Several)
	}
	if _, ok := total[""]; ok {
		states = append(states, "")
	}
	return states
}

// Colour returns the colour of the nodes of state in the picture.
func (l *Layout) Colour(state string) color.RGBA {
	switch state {
	case "":
		return unknownColour
	case Several:
		return severalColour
	}
	if i := slices.Index(l.Legend, state); i >= 0 && i < len(palette) {
		return palette[i]
	}
	return severalColour
}

// colourOf returns the colour a box is filled with.
func (l *Layout) colourOf(n Node) color.RGBA {
	if n.Kind == Dust {
		return dustColour
	}
	return l.Colour(n.State)
}
