package report

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/unicode/norm"

	"entraide/internal/funds"
	"entraide/internal/typeset"
)

const eur = 1_000_000

// sample is a trace of two victim payments in France to a mule in
// Germany, who sends most on to Spain and to a wallet of unknown
// jurisdiction, with one payment the records do not explain.
func sample() Report {
	day := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	res := &funds.Result{
		Options: funds.Options{Rule: funds.LIBR, Currency: "EUR", MaxHops: 64},
		Sources: []funds.TransferID{1, 2},
		Traced:  15_000 * eur,
		Hops: []funds.Hop{
			{Transfer: 1, From: 1, To: 3, At: day, Depth: 1, Amount: 10_000 * eur, Traced: 10_000 * eur},
			{Transfer: 2, From: 2, To: 3, At: day, Depth: 1, Amount: 5_000 * eur, Traced: 5_000 * eur},
			{Transfer: 3, From: 3, To: 4, At: day.Add(time.Hour), Depth: 2, Amount: 8_000 * eur, Traced: 8_000 * eur},
			{Transfer: 4, From: 3, To: 5, At: day.Add(2 * time.Hour), Depth: 2, Amount: 6_000 * eur, Traced: 6_000 * eur},
		},
		Holdings: []funds.Holding{
			{Account: 4, Traced: 8_000 * eur},
			{Account: 5, Traced: 6_000 * eur},
			{Account: 3, Traced: 1_000 * eur},
		},
		Shortfalls: []funds.Shortfall{{Account: 4, Transfer: 3, At: day.Add(time.Hour), Amount: 250 * eur}},
	}
	sha := "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0ff1a08"
	rec := func(loc, ref, amount string) Record {
		return Record{RequestID: "0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", ItemID: "0193a1b2-aaaa-7e5f-8a9b-0c1d2e3f4a5b", SHA256: sha,
			Locator: loc, Reference: ref, Amount: amount, Currency: "EUR", At: day}
	}
	return Report{
		Case:     Case{ID: "0193c000-1111-7000-8000-000000000001", Title: "Opération Cèdre", Reference: "J3-2026-0412", State: "FRA"},
		Trace:    "0193c000-2222-7000-8000-000000000002",
		TracedBy: "j.dupont", TracedAt: day.Add(48 * time.Hour),
		Result: res,
		Accounts: map[funds.AccountID]funds.Account{
			1: {Kind: funds.IBAN, ID: "FR7630006000011234567890189", Holder: "Marie Curie", Jurisdiction: "FRA"},
			2: {Kind: funds.IBAN, ID: "FR1420041010050500013M02606", Jurisdiction: "FRA"},
			3: {Kind: funds.IBAN, ID: "DE89370400440532013000", Holder: "Mule GmbH", Jurisdiction: "DEU"},
			4: {Kind: funds.IBAN, ID: "ES9121000418450200051332", Bank: "CAIXESBBXXX", Jurisdiction: "ESP"},
			5: {Kind: funds.Wallet, ID: "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq", Bank: "bitcoin"},
		},
		Records: map[funds.TransferID]Record{
			1: rec("Stmt[1]/Ntry[1]", "E2E-0001", "10000"),
			2: rec("Stmt[1]/Ntry[2]", "E2E-0002", "5000"),
			3: rec("Stmt[1]/Ntry[3]", "E2E-0003", "8000"),
			4: rec("line 12", "", "6000"),
		},
		Lang: "en", Node: "FRA", Generated: time.Date(2026, 3, 4, 10, 30, 0, 0, time.UTC),
	}
}

func write(t *testing.T, r Report, fonts typeset.Fonts) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := Write(&buf, r, fonts); err != nil {
		t.Fatalf("Write(%s) = %v", r.Lang, err)
	}
	if !bytes.HasPrefix(buf.Bytes(), []byte("%PDF-")) {
		t.Fatalf("Write(%s) wrote %.20q, not a PDF", r.Lang, buf.Bytes())
	}
	return buf.Bytes()
}

// poppler returns the path of one of poppler-utils' tools, or skips the
// test when it is not installed and CI is not set.
func poppler(t *testing.T, tool string) string {
	t.Helper()
	p, err := exec.LookPath(tool)
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s not found: CI installs poppler-utils (.ci/run)", tool)
		}
		t.Skipf("%s not found: install poppler-utils to read the report back", tool)
	}
	return p
}

// text extracts the text of pdf with pdftotext, folded to NFKC: the PDF
// maps Arabic glyphs back to their presentation forms.
func text(t *testing.T, pdf []byte) string {
	t.Helper()
	tool := poppler(t, "pdftotext")
	in := filepath.Join(t.TempDir(), "report.pdf")
	if err := os.WriteFile(in, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(tool, "-enc", "UTF-8", in, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	return norm.NFKC.String(string(out))
}

// chineseFonts returns the font of Chinese script this machine has, or
// skips.
func chineseFonts(t *testing.T) typeset.Fonts {
	t.Helper()
	fs := typeset.Fonts{CJK: os.Getenv(typeset.CJKEnv)}
	if _, err := fs.Chinese(); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%v (CI installs fonts-droid-fallback, .ci/run)", err)
		}
		t.Skipf("%v", err)
	}
	return fs
}

// The figures an investigator checks are all in the text of the PDF, in
// every language: the totals, the holdings per State and per account,
// each hop's record with the item's hash and the place in the file, and
// the shortfall.
func TestFigures(t *testing.T) {
	figures := []string{
		"15000.00 EUR", "8000.00 EUR", "6000.00 EUR", "1000.00 EUR", "250.00 EUR",
		"DE89370400440532013000", "ES9121000418450200051332", "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq",
		"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0ff1a08", "Stmt[1]/Ntry[3]", "E2E-0003",
		"0193a1b2-aaaa-7e5f-8a9b-0c1d2e3f4a5b", "0193c000-2222-7000-8000-000000000002", "2026-03-04 10:30 UTC",
		"Opération Cèdre", "J3-2026-0412",
	}
	own := map[string][]string{
		"en": {"Lowest intermediate balance", "Traced funds held, per State", "Spain (ESP)", "Jurisdiction unknown", "Payments the records do not explain"},
		"fr": {"Solde intermédiaire le plus bas", "Espagne (ESP)", "Juridiction inconnue"},
		"es": {"Saldo intermedio más bajo", "España (ESP)"},
		"ru": {"Наименьший промежуточный остаток", "Испания (ESP)"},
		"zh": {"最低中间余额", "西班牙 (ESP)"},
		"ar": {"أدنى رصيد وسيط", "تقرير تتبع الأموال"},
	}
	for _, lang := range Languages {
		t.Run(lang, func(t *testing.T) {
			fonts := typeset.Fonts{}
			if lang == "zh" {
				fonts = chineseFonts(t)
				if outlined, _ := fonts.Chinese(); outlined {
					t.Skip("the font of Chinese script is drawn as shapes, which have no text")
				}
			}
			r := sample()
			r.Lang = lang
			got := text(t, write(t, r, fonts))
			// pdftotext gives a right-to-left line's closing bracket
			// at its start: brackets are not compared in Arabic.
			if lang == "ar" {
				got = strings.NewReplacer("[", "", "]", "").Replace(got)
			}
			flat := strings.Join(strings.Fields(got), " ")
			for _, w := range append(figures, own[lang]...) {
				w = norm.NFKC.String(w)
				if lang == "ar" {
					w = strings.NewReplacer("[", "", "]", "").Replace(w)
				}
				if !strings.Contains(got, w) && !strings.Contains(flat, strings.Join(strings.Fields(w), " ")) {
					t.Errorf("the %s report's text lacks %q; it reads:\n%s", lang, w, got)
				}
			}
		})
	}
}

// TestRender renders the report in English and Arabic to PNG with
// pdftoppm: a PDF it cannot read fails. ENTRAIDE_REPORTS=DIR keeps the
// images, to look at.
func TestRender(t *testing.T) {
	tool := poppler(t, "pdftoppm")
	dir := os.Getenv("ENTRAIDE_REPORTS")
	if dir == "" {
		dir = t.TempDir()
	}
	for _, lang := range []string{"en", "ar"} {
		r := sample()
		r.Lang = lang
		in := filepath.Join(dir, "report-"+lang+".pdf")
		if err := os.WriteFile(in, write(t, r, typeset.Fonts{}), 0o600); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command(tool, "-r", "80", "-png", in, filepath.Join(dir, "report-"+lang)).CombinedOutput()
		if err != nil || len(out) > 0 {
			t.Fatalf("pdftoppm %s: %v: %s", in, err, out)
		}
	}
}

func TestLanguage(t *testing.T) {
	r := sample()
	r.Lang = "de"
	if err := Write(&bytes.Buffer{}, r, typeset.Fonts{}); !errors.Is(err, ErrLanguage) {
		t.Errorf("Write(de) = %v, want ErrLanguage", err)
	}
}

// Every language has every label English has.
func TestLabels(t *testing.T) {
	for _, lang := range Languages {
		for k := range words["en"] {
			if _, ok := words[lang][k]; !ok {
				t.Errorf("words[%s] lacks %s", lang, k)
			}
		}
	}
}

// A trace of many hops lists MaxHops of them and says where the others
// are.
func TestManyHops(t *testing.T) {
	r := sample()
	base := r.Result.Hops[3]
	for i := range MaxHops + 5 {
		h := base
		h.Transfer = funds.TransferID(100 + i)
		h.Amount, h.Traced = eur, eur
		r.Result.Hops = append(r.Result.Hops, h)
	}
	got := text(t, write(t, r, typeset.Fonts{}))
	if !strings.Contains(got, "9 further transfers") {
		t.Errorf("the report of %d hops does not say that 9 are not listed", len(r.Result.Hops))
	}
}

// TestWithinPage checks that no word of the report runs off the page, in
// each language: an evidence item's SHA-256 is 64 characters that cannot
// break, which a judge must be able to read whole.
func TestWithinPage(t *testing.T) {
	tool := poppler(t, "pdftotext")
	page := regexp.MustCompile(`<page width="([0-9.]+)"`)
	word := regexp.MustCompile(`<word xMin="([0-9.-]+)" yMin="[0-9.-]+" xMax="([0-9.-]+)" yMax="[0-9.-]+">([^<]*)</word>`)
	for _, lang := range []string{"en", "fr", "ar"} {
		r := sample()
		r.Lang = lang
		in := filepath.Join(t.TempDir(), "report.pdf")
		if err := os.WriteFile(in, write(t, r, typeset.Fonts{}), 0o600); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command(tool, "-bbox", in, "-").Output()
		if err != nil {
			t.Fatalf("pdftotext -bbox: %v", err)
		}
		m := page.FindSubmatch(out)
		if m == nil {
			t.Fatalf("%s: no page in\n%.400s", lang, out)
		}
		width, _ := strconv.ParseFloat(string(m[1]), 64)
		for _, w := range word.FindAllSubmatch(out, -1) {
			x0, _ := strconv.ParseFloat(string(w[1]), 64)
			x1, _ := strconv.ParseFloat(string(w[2]), 64)
			if x0 < 0 || x1 > width {
				t.Errorf("%s: %q runs off the page: from %.1f to %.1f of %.1f points", lang, w[3], x0, x1, width)
			}
		}
	}
}

// TestSinkLabel checks that the report names a statement's cash and bank
// charges for what they are and the account they are of, in its
// language, and any other account by its identifier.
func TestSinkLabel(t *testing.T) {
	cash := funds.Account{Kind: funds.BankAccount, Bank: funds.SinkCash, ID: "account:BFTVVNVX:0071000987654"}
	charges := funds.Account{Kind: funds.BankAccount, Bank: funds.SinkCharges, ID: "account:BFTVVNVX:0071000987654"}
	for _, tc := range []struct {
		lang string
		a    funds.Account
		want string
	}{
		{"en", cash, "cash (account 0071000987654)"},
		{"fr", charges, "frais bancaires (compte 0071000987654)"},
		{"en", funds.Account{Kind: funds.IBAN, ID: "DE89370400440532013000"}, "DE89370400440532013000"},
	} {
		if got := (printer{lang: tc.lang}).accountLabel(tc.a, 7); got != tc.want {
			t.Errorf("%s: accountLabel(%+v) = %q, want %q", tc.lang, tc.a, got, tc.want)
		}
	}
}

// TestFrenchColon checks that a French label is set before its value
// with a no-break space before the colon, as French typography does.
func TestFrenchColon(t *testing.T) {
	if got := (printer{lang: "fr"}).kv("bank", "BFTVVNVX"); got != "Banque\u00a0: BFTVVNVX" {
		t.Errorf("kv in French = %q", got)
	}
	if got := (printer{lang: "en"}).kv("bank", "BFTVVNVX"); got != "Bank: BFTVVNVX" {
		t.Errorf("kv in English = %q", got)
	}
}

// TestLocator checks that a CSV record's line is said in the report's
// language, and an XML path as the file writes it.
func TestLocator(t *testing.T) {
	for _, tc := range []struct{ lang, loc, want string }{
		{"fr", "line 12", "ligne 12"},
		{"ar", "line 3", "السطر 3"},
		{"en", "Stmt[1]/Ntry[2]", "Stmt[1]/Ntry[2]"},
		{"fr", "line of credit", "line of credit"},
	} {
		if got := (printer{lang: tc.lang}).locator(tc.loc); got != tc.want {
			t.Errorf("%s: locator(%q) = %q, want %q", tc.lang, tc.loc, got, tc.want)
		}
	}
}
