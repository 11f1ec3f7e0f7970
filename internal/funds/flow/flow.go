// Package flow draws a trace of stolen funds as a Sankey diagram: the
// victim payments on the left, the accounts the funds went through in
// the columns after them, and the States where the funds are now on the
// right, each band as wide as the traced funds it carries and each
// account coloured by the State whose jurisdiction it is in (art. 31:
// the States to ask to freeze them).
//
// A trace may go through a hundred thousand transfers; the picture does
// not. Graph merges the smallest accounts of a column into one node of
// "other accounts" beyond a bound, so that the picture is drawn in
// bounded time and size, and says so on it. The exact figures are in the
// trace's tables, which every picture goes with.
package flow

import (
	"cmp"
	"slices"

	"entraide/internal/funds"
)

// Kind is what a node of the picture stands for.
type Kind uint8

// The kinds of node.
const (
	// Victim is an account a victim payment left: the first column.
	Victim Kind = iota
	// Account is an account the traced funds went through or sit in.
	Account
	// OtherAccounts is the accounts of a column merged into one node.
	OtherAccounts
	// Held is the State where traced funds sit at the end of the trace:
	// the last column, one node per State ("" for accounts whose
	// jurisdiction is unknown).
	Held
	// OtherStates is the States of the last column merged into one node.
	OtherStates
	// Dust is the traced funds in shares too small to follow.
	Dust
)

// Node is one box of the picture.
type Node struct {
	Kind Kind
	// Label names an account (Victim, Account); empty for the others,
	// which the picture words in its language.
	Label string
	// State is the State (ISO 3166-1 alpha-3) whose jurisdiction the
	// account is in, or where the funds are held; "" when unknown, and
	// Several for merged nodes of more than one State.
	State string
	// Column is the node's column, 0 the victim payments'.
	Column int
	// Count is how many accounts or States a merged node stands for; 1
	// for the others.
	Count int
	// In and Out are the traced funds its links bring in and take out,
	// in millionths of the trace's currency. They are equal for every
	// node but those of the first and last columns.
	In, Out int64
}

// Several is the State of a merged node whose accounts are in more than
// one State.
const Several = "*"

// Value is how much of the traced funds the node carries: its height.
func (n Node) Value() int64 { return max(n.In, n.Out) }

// Link is a band of the picture: the traced funds that went from one
// node to another, in millionths of the trace's currency.
type Link struct {
	From, To int // indexes into Graph.Nodes
	Value    int64
}

// Graph is what a picture draws. Build one with FromResult, or by hand
// for a test: Layout computes In and Out from the links.
type Graph struct {
	Nodes []Node
	Links []Link
	// Currency is the trace's, in which every value is.
	Currency string
	// Traced is the victim payments' total.
	Traced int64
	// MergedAccounts and MergedStates are how many accounts and States
	// the picture merged into "other" nodes; zero when it shows all.
	MergedAccounts, MergedStates int
	// Hops is how many transfers carried traced funds.
	Hops int
}

// Limits bound the size of a picture.
type Limits struct {
	// Columns is the most columns of accounts, after the victims';
	// accounts further from them are drawn in the last.
	Columns int
	// PerColumn is the most nodes in a column.
	PerColumn int
	// Links is the most links.
	Links int
}

// DefaultLimits draw a picture that a page and an A4 sheet hold.
var DefaultLimits = Limits{Columns: 12, PerColumn: 40, Links: 300}

// AccountInfo is how the picture names an account and where it is.
type AccountInfo struct {
	Label string
	State string // ISO 3166-1 alpha-3, "" when unknown
}

// FromResult builds the picture of a trace. info names each account the
// trace went through; it is called once per account. The picture has
// one node per account, in the column of its fewest hops from a victim
// payment, each with a band to the State where it holds traced funds and
// one to the dust it left; a column holds at most lim.PerColumn nodes and
// the picture lim.Links links, the smallest accounts merged into one
// node per column until it does. A zero Limits field takes
// DefaultLimits'. A trace of n hops is built in O(n log n).
func FromResult(res *funds.Result, info func(funds.AccountID) AccountInfo, lim Limits) *Graph {
	lim.Columns = cmp.Or(lim.Columns, DefaultLimits.Columns)
	lim.PerColumn = max(cmp.Or(lim.PerColumn, DefaultLimits.PerColumn), 2)
	lim.Links = cmp.Or(lim.Links, DefaultLimits.Links)

	type pair struct{ from, to funds.AccountID }
	sources := map[funds.TransferID]bool{}
	for _, s := range res.Sources {
		sources[s] = true
	}
	sum := map[pair]int64{}
	in := map[funds.AccountID]int64{}
	out := map[funds.AccountID]int64{}
	victim := map[funds.AccountID]bool{}
	var order []funds.AccountID // accounts in the order hops meet them, for a stable picture
	seen := map[funds.AccountID]bool{}
	meet := func(a funds.AccountID) {
		if !seen[a] {
			seen[a] = true
			order = append(order, a)
		}
	}
	for _, h := range res.Hops {
		if h.Traced <= 0 {
			continue
		}
		if sources[h.Transfer] || h.Depth == 1 {
			victim[h.From] = true
		}
		meet(h.From)
		meet(h.To)
		if h.From == h.To {
			continue
		}
		sum[pair{h.From, h.To}] += h.Traced
		out[h.From] += h.Traced
		in[h.To] += h.Traced
	}
	held := map[funds.AccountID]int64{}
	for _, h := range res.Holdings {
		held[h.Account] += h.Traced
		meet(h.Account)
	}

	// Columns: the fewest hops from a victim's account, breadth first.
	next := map[funds.AccountID][]funds.AccountID{}
	pairs := make([]pair, 0, len(sum))
	for p := range sum {
		pairs = append(pairs, p)
	}
	slices.SortFunc(pairs, func(a, b pair) int {
		return cmp.Or(cmp.Compare(a.from, b.from), cmp.Compare(a.to, b.to))
	})
	for _, p := range pairs {
		next[p.from] = append(next[p.from], p.to)
	}
	column := map[funds.AccountID]int{}
	var queue []funds.AccountID
	for _, a := range order {
		if victim[a] {
			column[a] = 0
			queue = append(queue, a)
		}
	}
	for len(queue) > 0 {
		a := queue[0]
		queue = queue[1:]
		for _, b := range next[a] {
			if _, ok := column[b]; !ok {
				column[b] = column[a] + 1
				queue = append(queue, b)
			}
		}
	}
	last := 0
	for _, a := range order {
		c, ok := column[a]
		if !ok {
			c = 1 // met by no hop from a victim: a holding the hops do not explain
		}
		column[a] = min(c, lim.Columns)
		last = max(last, column[a])
	}
	sink := last + 1

	// The full graph: one node per account, one per State holding funds,
	// and the dust.
	g := &Graph{Currency: res.Options.Currency, Traced: res.Traced, Hops: len(res.Hops)}
	index := map[funds.AccountID]int{}
	for _, a := range order {
		i := info(a)
		k := Account
		if victim[a] {
			k = Victim
		}
		index[a] = len(g.Nodes)
		g.Nodes = append(g.Nodes, Node{Kind: k, Label: i.Label, State: i.State, Column: column[a], Count: 1})
	}
	for _, p := range pairs {
		g.Links = append(g.Links, Link{From: index[p.from], To: index[p.to], Value: sum[p]})
	}
	states := map[string]int{}
	dust := -1
	for _, a := range order {
		i := index[a]
		if v := held[a]; v > 0 {
			st := g.Nodes[i].State
			s, ok := states[st]
			if !ok {
				s = len(g.Nodes)
				states[st] = s
				g.Nodes = append(g.Nodes, Node{Kind: Held, State: st, Column: sink, Count: 1})
			}
			g.Links = append(g.Links, Link{From: i, To: s, Value: v})
		}
		// What came in and neither left nor is held was left behind in
		// shares too small to follow. A victim's account is where the
		// funds came from: what it received back is not its to leave.
		if victim[a] {
			continue
		}
		if rest := in[a] - out[a] - held[a]; rest > 0 {
			if dust < 0 {
				dust = len(g.Nodes)
				g.Nodes = append(g.Nodes, Node{Kind: Dust, Column: sink, Count: 1})
			}
			g.Links = append(g.Links, Link{From: i, To: dust, Value: rest})
		}
	}
	return bound(g, lim)
}

// bound merges the smallest nodes of each column of g until every column
// holds at most lim.PerColumn nodes and g at most lim.Links links.
func bound(g *Graph, lim Limits) *Graph {
	g.computeTotals()
	keep := lim.PerColumn
	for {
		b := g.merge(keep)
		if len(b.Links) <= lim.Links || keep <= 1 {
			b.computeTotals()
			return b
		}
		keep = keep * 3 / 4
	}
}

// merge returns g with at most keep nodes in each column: the keep-1
// largest and one node for the rest. Dust is never merged.
func (g *Graph) merge(keep int) *Graph {
	byColumn := map[int][]int{}
	for i, n := range g.Nodes {
		if n.Kind != Dust {
			byColumn[n.Column] = append(byColumn[n.Column], i)
		}
	}
	target := make([]int, len(g.Nodes)) // old index -> new index
	b := &Graph{Currency: g.Currency, Traced: g.Traced, Hops: g.Hops}
	columns := make([]int, 0, len(byColumn))
	for c := range byColumn {
		columns = append(columns, c)
	}
	slices.Sort(columns)
	merged := make([]bool, len(g.Nodes))
	for _, c := range columns {
		idx := byColumn[c]
		if len(idx) <= keep {
			continue
		}
		slices.SortStableFunc(idx, func(x, y int) int {
			return cmp.Or(cmp.Compare(g.Nodes[y].Value(), g.Nodes[x].Value()), cmp.Compare(x, y))
		})
		for _, i := range idx[keep-1:] {
			merged[i] = true
		}
	}
	// Nodes keep their order; each column's merged node comes after its
	// last kept one, where its first merged node was.
	other := map[int]int{}
	for i, n := range g.Nodes {
		if !merged[i] {
			target[i] = len(b.Nodes)
			b.Nodes = append(b.Nodes, n)
			continue
		}
		o, ok := other[n.Column]
		if !ok {
			o = len(b.Nodes)
			other[n.Column] = o
			k := OtherAccounts
			if n.Kind == Held || n.Kind == OtherStates {
				k = OtherStates
			}
			b.Nodes = append(b.Nodes, Node{Kind: k, State: n.State, Column: n.Column})
		}
		m := &b.Nodes[o]
		if m.State != n.State {
			m.State = Several
		}
		m.Count += n.Count
		if m.Kind == OtherStates {
			b.MergedStates += n.Count
		} else {
			b.MergedAccounts += n.Count
		}
		target[i] = o
	}
	b.MergedAccounts += g.MergedAccounts
	b.MergedStates += g.MergedStates
	type pair struct{ from, to int }
	sum := map[pair]int64{}
	var pairs []pair
	for _, l := range g.Links {
		p := pair{target[l.From], target[l.To]}
		if p.from == p.to {
			// Funds moved between two accounts merged into one node
			// came in and went out of it: dropping both keeps it even.
			continue
		}
		if _, ok := sum[p]; !ok {
			pairs = append(pairs, p)
		}
		sum[p] += l.Value
	}
	for _, p := range pairs {
		b.Links = append(b.Links, Link{From: p.from, To: p.to, Value: sum[p]})
	}
	return b
}

// computeTotals sets each node's In and Out from the links.
func (g *Graph) computeTotals() {
	for i := range g.Nodes {
		g.Nodes[i].In, g.Nodes[i].Out = 0, 0
	}
	for _, l := range g.Links {
		g.Nodes[l.From].Out += l.Value
		g.Nodes[l.To].In += l.Value
	}
}
