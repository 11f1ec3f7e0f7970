package flow

import (
	"cmp"
	"slices"
)

// Geometry of a picture, in its own units (CSS pixels in a page; the PDF
// scales them to its width).
const (
	nodeWidth   = 12.0
	columnGap   = 220.0 // from one column's nodes to the next's
	nodeGap     = 16.0  // between two nodes of a column: room for a label
	bandsHeight = 420.0 // what the column of most funds gives its values
	padTop      = 12.0
	padSide     = 8.0
	legendRow   = 22.0
	legendWidth = 210.0
	noteHeight  = 22.0
	lastLabels  = 280.0 // room for the labels after the last column
)

// Box is a node where the picture draws it.
type Box struct {
	Node
	X, Y, W, H float64
}

// Band is a link where the picture draws it: from the right edge of its
// From box at Y0 to the left edge of its To box at Y1, Width wide (Y0 and
// Y1 are the band's middle).
type Band struct {
	Link
	X0, Y0, X1, Y1, Width float64
}

// Layout is a picture laid out: its boxes and bands, in the order they
// are drawn, and its legend.
type Layout struct {
	Width, Height float64
	// Scale is the height of a millionth of the trace's currency.
	Scale float64
	Boxes []Box
	Bands []Band
	// Legend is the States of the picture's nodes, in the order of the
	// palette (Several and unknown last).
	Legend []string
	// LegendY is the top of the legend; Note is set when the picture
	// merged nodes, and NoteY is its baseline.
	LegendY float64
	NoteY   float64
	graph   *Graph
}

// Graph returns the graph the layout draws.
func (l *Layout) Graph() *Graph { return l.graph }

// Layout lays g out: columns left to right, each column's nodes top to
// bottom in an order that keeps bands from crossing where it can, every
// node as tall as the larger of what comes in and what goes out, at one
// scale for the whole picture. It computes the nodes' In and Out.
func (g *Graph) Layout() *Layout {
	g.computeTotals()
	columns := 0
	for _, n := range g.Nodes {
		columns = max(columns, n.Column+1)
	}
	byColumn := make([][]int, columns)
	for i, n := range g.Nodes {
		byColumn[n.Column] = append(byColumn[n.Column], i)
	}
	// The scale: the column that carries most (with its gaps) fills
	// bandsHeight plus its gaps.
	var most int64
	for _, idx := range byColumn {
		var s int64
		for _, i := range idx {
			s += g.Nodes[i].Value()
		}
		most = max(most, s)
	}
	l := &Layout{graph: g}
	if most > 0 {
		l.Scale = bandsHeight / float64(most)
	}
	// Order: the first column by value; each next by the mean position
	// of what flows into it, weighted by the flow (the barycentre), so
	// that bands run across rather than over each other. The last column
	// keeps Dust at the bottom.
	into := make([][]Link, len(g.Nodes))
	for _, k := range g.Links {
		into[k.To] = append(into[k.To], k)
	}
	pos := make([]float64, len(g.Nodes))
	boxes := make([]Box, len(g.Nodes))
	height := 0.0
	for c, idx := range byColumn {
		bary := make(map[int]float64, len(idx))
		for _, i := range idx {
			var w, s float64
			for _, k := range into[i] {
				if g.Nodes[k.From].Column < c {
					w += float64(k.Value)
					s += float64(k.Value) * pos[k.From]
				}
			}
			if w > 0 {
				bary[i] = s / w
			} else {
				bary[i] = -1
			}
		}
		slices.SortStableFunc(idx, func(a, b int) int {
			na, nb := g.Nodes[a], g.Nodes[b]
			return cmp.Or(cmp.Compare(rank(na), rank(nb)), cmp.Compare(bary[a], bary[b]),
				cmp.Compare(nb.Value(), na.Value()), cmp.Compare(a, b))
		})
		y := padTop
		for _, i := range idx {
			h := float64(g.Nodes[i].Value()) * l.Scale
			boxes[i] = Box{Node: g.Nodes[i], X: padSide + float64(c)*columnGap, Y: y, W: nodeWidth, H: h}
			pos[i] = y + h/2
			y += h + nodeGap
		}
		height = max(height, y)
	}
	for _, idx := range byColumn {
		for _, i := range idx {
			l.Boxes = append(l.Boxes, boxes[i])
		}
	}
	// Bands leave a box top to bottom in the order of where they go,
	// and enter one in the order of where they come from.
	order := make([]int, len(g.Links))
	for i := range order {
		order[i] = i
	}
	outY := make([]float64, len(g.Nodes))
	inY := make([]float64, len(g.Nodes))
	for i, b := range boxes {
		outY[i], inY[i] = b.Y, b.Y
	}
	bands := make([]Band, len(g.Links))
	slices.SortStableFunc(order, func(a, b int) int {
		la, lb := g.Links[a], g.Links[b]
		return cmp.Or(cmp.Compare(la.From, lb.From), cmp.Compare(boxes[la.To].Y, boxes[lb.To].Y))
	})
	for _, i := range order {
		k := g.Links[i]
		w := float64(k.Value) * l.Scale
		bands[i] = Band{Link: k, X0: boxes[k.From].X + nodeWidth, Y0: outY[k.From] + w/2, X1: boxes[k.To].X, Width: w}
		outY[k.From] += w
	}
	slices.SortStableFunc(order, func(a, b int) int {
		la, lb := g.Links[a], g.Links[b]
		return cmp.Or(cmp.Compare(la.To, lb.To), cmp.Compare(boxes[la.From].Y, boxes[lb.From].Y))
	})
	for _, i := range order {
		k := g.Links[i]
		bands[i].Y1 = inY[k.To] + bands[i].Width/2
		inY[k.To] += bands[i].Width
	}
	// The widest drawn first, so that thin ones are not hidden under them.
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(bands[b].Width, bands[a].Width) })
	for _, i := range order {
		l.Bands = append(l.Bands, bands[i])
	}

	// The last column's labels are beside it, after it, as every
	// column's are.
	l.Width = 2*padSide + float64(max(columns-1, 0))*columnGap + nodeWidth + lastLabels
	l.Legend = legend(g)
	perRow := max(int(l.Width/legendWidth), 1)
	l.LegendY = height + 8
	l.Height = l.LegendY + float64((len(l.Legend)+perRow-1)/perRow)*legendRow
	if g.MergedAccounts > 0 || g.MergedStates > 0 {
		l.NoteY = l.Height + noteHeight - 6
		l.Height += noteHeight
	}
	l.Height += padSide
	return l
}

// rank puts Dust below the States of the last column, and merged nodes
// below the nodes they were merged from.
func rank(n Node) int {
	switch n.Kind {
	case Dust:
		return 2
	case OtherAccounts, OtherStates:
		return 1
	}
	return 0
}

// LegendPos is where the i-th entry of the legend is drawn: the top left
// of its swatch.
func (l *Layout) LegendPos(i int) (x, y float64) {
	perRow := max(int(l.Width/legendWidth), 1)
	return padSide + float64(i%perRow)*legendWidth, l.LegendY + float64(i/perRow)*legendRow
}
