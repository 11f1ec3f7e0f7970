package flow

import (
	"bytes"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tdewolff/canvas"

	"entraide/internal/funds"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata")

const eur = 1_000_000 // one euro in millionths

// smallTrace is two victims in France paying a mule in Germany, who
// sends most on to Spain and a wallet of unknown jurisdiction; Spain
// sends part on to the Netherlands, where a cent is left as dust.
//
//	V1 (FRA) --10 000--> A (DEU)      A holds 1 000
//	V2 (FRA) -- 5 000--> A            A --8 000--> B (ESP), B holds 5 000
//	                                  A --6 000--> W (?),   W holds 6 000
//	                                  B --3 000--> C (NLD), C holds 2 999.99, dust 0.01
//
// Traced 15 000 = 1 000 + 5 000 + 6 000 + 2 999.99 held + 0.01 dust.
func smallTrace() (*funds.Result, func(funds.AccountID) AccountInfo) {
	day := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	res := &funds.Result{
		Options: funds.Options{Rule: funds.FIFO, Currency: "EUR"},
		Sources: []funds.TransferID{1, 2},
		Traced:  15_000 * eur,
		Hops: []funds.Hop{
			{Transfer: 1, From: 1, To: 3, At: day, Depth: 1, Amount: 10_000 * eur, Traced: 10_000 * eur},
			{Transfer: 2, From: 2, To: 3, At: day, Depth: 1, Amount: 5_000 * eur, Traced: 5_000 * eur},
			{Transfer: 3, From: 3, To: 4, At: day.Add(time.Hour), Depth: 2, Amount: 8_000 * eur, Traced: 8_000 * eur},
			{Transfer: 4, From: 3, To: 6, At: day.Add(2 * time.Hour), Depth: 2, Amount: 6_000 * eur, Traced: 6_000 * eur},
			{Transfer: 5, From: 4, To: 5, At: day.Add(3 * time.Hour), Depth: 3, Amount: 3_000 * eur, Traced: 3_000 * eur},
		},
		Holdings: []funds.Holding{
			{Account: 6, Traced: 6_000 * eur},
			{Account: 4, Traced: 5_000 * eur},
			{Account: 5, Traced: 2_999*eur + 990_000},
			{Account: 3, Traced: 1_000 * eur},
		},
		Dust: 10_000,
	}
	accounts := map[funds.AccountID]AccountInfo{
		1: {"FR7630006000011234567890189", "FRA"},
		2: {"FR1420041010050500013M02606", "FRA"},
		3: {"DE89370400440532013000", "DEU"},
		4: {"ES9121000418450200051332", "ESP"},
		5: {"NL91ABNA0417164300", "NLD"},
		6: {"bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq", ""},
	}
	return res, func(a funds.AccountID) AccountInfo { return accounts[a] }
}

// randomTrace is a trace of n hops through accounts accounts, each hop
// moving part of what an account holds to another, so that every
// account's traced funds in equal those out plus what it holds or left
// as dust.
func randomTrace(seed uint64, n, accounts int) (*funds.Result, func(funds.AccountID) AccountInfo) {
	rng := rand.New(rand.NewPCG(seed, 1))
	const victims = 200
	res := &funds.Result{Options: funds.Options{Rule: funds.ProRata, Currency: "USD"}}
	balance := make([]int64, victims+accounts+1)
	var funded []funds.AccountID
	day := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	id := funds.TransferID(0)
	for v := 1; v <= victims; v++ {
		id++
		to := funds.AccountID(victims + 1 + rng.IntN(accounts))
		amt := int64(1+rng.IntN(100_000)) * eur
		res.Sources = append(res.Sources, id)
		res.Traced += amt
		res.Hops = append(res.Hops, funds.Hop{Transfer: id, From: funds.AccountID(v), To: to, At: day, Depth: 1, Amount: amt, Traced: amt})
		balance[to] += amt
		funded = append(funded, to)
	}
	for len(res.Hops) < n {
		from := funded[rng.IntN(len(funded))]
		if balance[from] < 2 {
			continue
		}
		to := funds.AccountID(victims + 1 + rng.IntN(accounts))
		amt := 1 + rng.Int64N(balance[from]-1)
		id++
		res.Hops = append(res.Hops, funds.Hop{Transfer: id, From: from, To: to, At: day.Add(time.Duration(id) * time.Second), Depth: 2, Amount: amt, Traced: amt})
		balance[from] -= amt
		balance[to] += amt
		funded = append(funded, to)
	}
	for a, b := range balance {
		switch {
		case b >= funds.DefaultDust:
			res.Holdings = append(res.Holdings, funds.Holding{Account: funds.AccountID(a), Traced: b})
		case b > 0:
			res.Dust += b
		}
	}
	states := []string{"FRA", "DEU", "ESP", "NLD", "ITA", "BEL", "PRT", "POL", "ROU", "GRC", "CZE", "SWE", "HUN", "AUT", "BGR", ""}
	return res, func(a funds.AccountID) AccountInfo {
		return AccountInfo{Label: fmt.Sprintf("account %d", a), State: states[int(a)%len(states)]}
	}
}

// checkInvariants checks what every picture keeps: every node between
// the first and last columns passes on what it receives; the first
// column gives and the last receives the whole traced amount; boxes and
// bands are as tall and wide as their values at one scale; no coordinate
// is NaN or infinite.
func checkInvariants(t *testing.T, g *Graph, l *Layout, traced int64) {
	t.Helper()
	last := 0
	for _, n := range g.Nodes {
		last = max(last, n.Column)
	}
	var given, received int64
	for i, n := range g.Nodes {
		switch n.Column {
		case 0:
			given += n.Out
		case last:
			received += n.In
			if n.Out != 0 {
				t.Errorf("node %d (%+v) in the last column gives %d, want 0", i, n, n.Out)
			}
		default:
			if n.In != n.Out {
				t.Errorf("node %d (%+v): in %d, out %d, want equal", i, n, n.In, n.Out)
			}
		}
	}
	if given != traced || received != traced {
		t.Errorf("first column gives %d and last receives %d, want both %d (the traced total)", given, received, traced)
	}
	finite := func(what string, vs ...float64) {
		for _, v := range vs {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				t.Fatalf("%s has coordinate %v", what, v)
			}
		}
	}
	finite("layout", l.Width, l.Height, l.Scale)
	const eps = 1e-6
	for _, b := range l.Boxes {
		finite("box", b.X, b.Y, b.W, b.H)
		if want := float64(b.Value()) * l.Scale; math.Abs(b.H-want) > eps {
			t.Errorf("box %q is %v tall, want %v (value %d at scale %v)", b.Label, b.H, want, b.Value(), l.Scale)
		}
		if b.Y < 0 || b.Y+b.H > l.Height || b.X < 0 || b.X+b.W > l.Width {
			t.Errorf("box %q at (%v,%v) size %vx%v is outside the picture's %vx%v", b.Label, b.X, b.Y, b.W, b.H, l.Width, l.Height)
		}
	}
	for _, b := range l.Bands {
		finite("band", b.X0, b.Y0, b.X1, b.Y1, b.Width)
		if want := float64(b.Value) * l.Scale; math.Abs(b.Width-want) > eps {
			t.Errorf("band %d->%d is %v wide, want %v", b.From, b.To, b.Width, want)
		}
	}
}

func TestSmallTrace(t *testing.T) {
	res, info := smallTrace()
	g := FromResult(res, info, Limits{})
	l := g.Layout()
	checkInvariants(t, g, l, res.Traced)
	if g.MergedAccounts != 0 || g.MergedStates != 0 {
		t.Errorf("merged %d accounts and %d States, want none", g.MergedAccounts, g.MergedStates)
	}
	// Columns: the victims, the mule, Spain and the wallet, the
	// Netherlands, then where the funds are: four States (one unknown)
	// and the dust.
	want := map[int]int{0: 2, 1: 1, 2: 2, 3: 1, 4: 5}
	got := map[int]int{}
	for _, n := range g.Nodes {
		got[n.Column]++
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("nodes per column = %v, want %v", got, want)
	}
	for _, n := range g.Nodes {
		if n.Kind == Dust && n.In != 10_000 {
			t.Errorf("dust receives %d, want 10000 (the cent left in the Netherlands)", n.In)
		}
		if n.Kind == Held && n.State == "" && n.In != 6_000*eur {
			t.Errorf("funds held in accounts of unknown jurisdiction = %d, want %d (the wallet)", n.In, 6_000*eur)
		}
	}
	if got, want := l.Colour(""), unknownColour; got != want {
		t.Errorf("colour of unknown jurisdiction = %v, want grey %v", got, want)
	}
	if l.Colour("FRA") == l.Colour("DEU") {
		t.Errorf("France and Germany have the same colour %v", l.Colour("FRA"))
	}
}

func TestGoldenSVG(t *testing.T) {
	res, info := smallTrace()
	l := FromResult(res, info, Limits{}).Layout()
	for _, tc := range []struct {
		name string
		opt  SVGOptions
	}{
		{"small.svg", SVGOptions{ID: "trace"}},
		{"small-rtl.svg", SVGOptions{ID: "trace", RTL: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := l.SVG(&b, Words{Description: "15000.00 EUR from 2 victim payments."}, tc.opt); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join("testdata", tc.name)
			if *update {
				if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run with -update to write it)", err)
			}
			if !bytes.Equal(b.Bytes(), want) {
				t.Errorf("SVG differs from %s (run with -update after checking it):\n%s", path, b.String())
			}
		})
	}
}

func TestBoundedForLargeTrace(t *testing.T) {
	res, info := randomTrace(7, 100_000, 30_000)
	start := time.Now()
	g := FromResult(res, info, Limits{})
	l := g.Layout()
	var b bytes.Buffer
	if err := l.SVG(&b, Words{}, SVGOptions{}); err != nil {
		t.Fatal(err)
	}
	took := time.Since(start)
	checkInvariants(t, g, l, res.Traced)
	perColumn := map[int]int{}
	for _, n := range g.Nodes {
		perColumn[n.Column]++
	}
	for c, n := range perColumn {
		if n > DefaultLimits.PerColumn {
			t.Errorf("column %d has %d nodes, want at most %d", c, n, DefaultLimits.PerColumn)
		}
	}
	if len(perColumn) > DefaultLimits.Columns+2 {
		t.Errorf("%d columns, want at most %d", len(perColumn), DefaultLimits.Columns+2)
	}
	if len(g.Links) > DefaultLimits.Links {
		t.Errorf("%d links, want at most %d", len(g.Links), DefaultLimits.Links)
	}
	if g.MergedAccounts == 0 {
		t.Errorf("merged no accounts of %d", 30_000)
	}
	if !strings.Contains(b.String(), "smaller accounts") {
		t.Errorf("the SVG does not say what it merged")
	}
	if b.Len() > 200_000 {
		t.Errorf("SVG of a 100 000-hop trace is %d bytes, want at most 200 000", b.Len())
	}
	t.Logf("100 000 hops: %d nodes, %d links, %d accounts merged, %d bytes of SVG in %v", len(g.Nodes), len(g.Links), g.MergedAccounts, b.Len(), took)
}

func TestRandomTracesConserve(t *testing.T) {
	for seed := range uint64(20) {
		res, info := randomTrace(seed, 500+int(seed)*100, 50+int(seed)*20)
		for _, lim := range []Limits{{}, {Columns: 3, PerColumn: 4, Links: 20}} {
			g := FromResult(res, info, lim)
			checkInvariants(t, g, g.Layout(), res.Traced)
		}
	}
}

func TestEmptyTrace(t *testing.T) {
	res := &funds.Result{Options: funds.Options{Currency: "EUR"}}
	l := FromResult(res, func(funds.AccountID) AccountInfo { return AccountInfo{} }, Limits{}).Layout()
	var b bytes.Buffer
	if err := l.SVG(&b, Words{}, SVGOptions{}); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(b.String(), "NaN") || strings.Contains(b.String(), "Inf") {
		t.Errorf("SVG of an empty trace has NaN or Inf:\n%s", b.String())
	}
}

func TestDraw(t *testing.T) {
	res, info := smallTrace()
	l := FromResult(res, info, Limits{}).Layout()
	for _, rtl := range []bool{false, true} {
		c := canvas.New(210, 297)
		l.Draw(c, Words{}, DrawOptions{Left: 20, Top: 277, Width: 170, RTL: rtl})
		if c.Empty() {
			t.Errorf("Draw (rtl %v) drew nothing", rtl)
		}
		if h := l.HeightAt(170); h <= 0 || h > 297 {
			t.Errorf("HeightAt(170) = %v, want within an A4 page", h)
		}
	}
}

func TestFormatAmount(t *testing.T) {
	for _, tc := range []struct {
		micros int64
		want   string
	}{
		{0, "0.00"}, {1_234_500_000, "1234.50"}, {4_999, "0.00"}, {5_000, "0.01"}, {-1_005_000, "-1.01"},
	} {
		if got := FormatAmount(tc.micros); got != tc.want {
			t.Errorf("FormatAmount(%d) = %q, want %q", tc.micros, got, tc.want)
		}
	}
}
