package letter

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/unicode/norm"

	"entraide/internal/casework"
	"entraide/internal/convention"
)

// sample is a preservation request from France to Viet Nam whose
// contents mix scripts, as officials write them.
func sample() *casework.Request {
	return &casework.Request{
		ID: "0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", Kind: convention.Preservation, Holder: "FRA",
		RequestingState: "FRA", RequestedState: "VNM", Urgency: casework.Urgent, Confidential: true,
		CreatedAt: time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC),
		Offences:  []convention.Charge{{Article: 7}, {Article: 11, MaxPenaltyYears: 5}},
		Fields: map[string]string{
			"requesting_authority": "Parquet de Paris, section J3 cybercriminalité",
			"stored_data":          "Données de connexion du compte « ivan.petrov@example.ru » (Иван Петров), du 1er au 30 novembre 2026.\nAdresse IP 203.0.113.7.",
			"necessity":            "Les journaux sont effacés après 30 jours.",
			"facts_summary":        "Une intrusion dans le système de la société محمد للتجارة a été constatée.",
			"reference":            "J3-2026-0412",
		},
	}
}

func sampleRecord() *Record {
	return &Record{Node: "FRA", Origin: "entraide/audit/FRA/0123456789abcdef", At: time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC),
		SHA256: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0ff1a08", Index: 41, Size: 57,
		Root: "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="}
}

func write(t *testing.T, l Letter, fonts Fonts) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := Write(&buf, l, fonts); err != nil {
		t.Fatalf("Write(%s) = %v", l.Lang, err)
	}
	if !bytes.HasPrefix(buf.Bytes(), []byte("%PDF-")) {
		t.Fatalf("Write(%s) wrote %.20q, not a PDF", l.Lang, buf.Bytes())
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
		t.Skipf("%s not found: install poppler-utils to check the letter's rendering", tool)
	}
	return p
}

// text extracts the text of pdf with pdftotext, in its compatibility form
// (NFKC): the PDF maps Arabic glyphs back to their presentation forms,
// which NFKC folds into the letters that were written.
func text(t *testing.T, pdf []byte) string {
	t.Helper()
	return norm.NFKC.String(rawText(t, pdf))
}

// rawText extracts the text of pdf as pdftotext gives it.
func rawText(t *testing.T, pdf []byte) string {
	t.Helper()
	dir := t.TempDir()
	in := filepath.Join(dir, "letter.pdf")
	if err := os.WriteFile(in, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(poppler(t, "pdftotext"), "-enc", "UTF-8", in, "-").CombinedOutput()
	if err != nil {
		t.Fatalf("pdftotext: %v: %s", err, out)
	}
	return string(out)
}

// The labels are in the letter's language, the values as written, and
// the log reference is printed, in every language whose fonts are in the
// binary.
func TestLetterText(t *testing.T) {
	for _, tc := range []struct {
		lang string
		want []string
	}{
		{"en", []string{"Requesting State", "Requested State", "France (FRA)", "Viet Nam (VNM)", "Expedited preservation of stored electronic data", "Offence under article 11"}},
		{"fr", []string{"État requérant", "État requis", "Conservation rapide de données électroniques stockées"}},
		{"es", []string{"Estado requirente", "Estado requerido"}},
		{"ru", []string{"Запрашивающее государство", "Запрашиваемое государство", "Оперативное обеспечение", "Франция (FRA)"}},
		{"ar", []string{"الدولة الطالبة", "الدولة متلقية الطلب", "التعجيل بحفظ البيانات الإلكترونية المخزنة", "فرنسا", "السلطة مقدمة الطلب"}},
	} {
		t.Run(tc.lang, func(t *testing.T) {
			raw := rawText(t, write(t, Letter{Request: sample(), Lang: tc.lang, Log: sampleRecord(), Node: "https://fra.example"}, Fonts{}))
			got := norm.NFKC.String(raw)
			values := []string{"Parquet de Paris, section J3 cybercriminalité", "Иван Петров", "محمد للتجارة", "J3-2026-0412",
				"0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", sampleRecord().SHA256, "index=41", "https://fra.example/log/checkpoint", "entraide/audit/v1 " + sampleRecord().SHA256}
			if !strings.Contains(raw, sampleRecord().SHA256) {
				t.Errorf("the %s letter's hash does not read back letter for letter (a ligature?)", tc.lang)
			}
			for _, w := range append(tc.want, values...) {
				if !strings.Contains(got, norm.NFKC.String(w)) {
					t.Errorf("the %s letter's text lacks %q; it reads:\n%s", tc.lang, w, got)
				}
			}
		})
	}
}

// art 40(14): a State that accepts French gets its form in French; one
// that accepts no language of the letter gets English.
func TestLanguage(t *testing.T) {
	for _, tc := range []struct {
		name     string
		accepted []string
		want     string
	}{
		{"art 40(14): the first language accepted that the letter speaks", []string{"vi", "fr", "en"}, "fr"},
		{"art 40(14): none notified", nil, "en"},
		{"art 40(14): none the letter speaks", []string{"vi", "de"}, "en"},
		{"art 40(14): Arabic", []string{"ar"}, "ar"},
	} {
		if got := Language(tc.accepted); got != tc.want {
			t.Errorf("%s: Language(%v) = %q, want %q", tc.name, tc.accepted, got, tc.want)
		}
	}
}

func TestUnknownLanguage(t *testing.T) {
	err := Write(&bytes.Buffer{}, Letter{Request: sample(), Lang: "de"}, Fonts{})
	if !errors.Is(err, ErrLanguage) {
		t.Errorf("Write(de) = %v, want ErrLanguage", err)
	}
}

// A letter the log has not yet integrated says so, and when to print it
// again.
func TestNotLogged(t *testing.T) {
	got := text(t, write(t, Letter{Request: sample(), Lang: "en"}, Fonts{}))
	if !strings.Contains(got, "has not yet integrated") {
		t.Errorf("a letter without log reference does not say so:\n%s", got)
	}
}

// Every language has every label: a missing one would print in English.
func TestLabelsComplete(t *testing.T) {
	for _, lang := range Languages {
		for key := range words["en"] {
			if words[lang][key] == "" {
				t.Errorf("words[%s] lacks %q", lang, key)
			}
		}
		if lang == "en" {
			continue
		}
		for _, s := range convention.Kinds() {
			if kindTitles[lang][s.Kind] == "" {
				t.Errorf("kindTitles[%s] lacks %s", lang, s.Kind)
			}
			for _, f := range append(s.Fields, convention.CommonFields...) {
				if fieldLabels[lang][f.Name] == "" {
					t.Errorf("fieldLabels[%s] lacks %s (kind %s)", lang, f.Name, s.Kind)
				}
			}
		}
	}
}

// A Chinese letter without a font of Chinese script fails, naming the
// setting and the packages that give one.
func TestNoCJKFont(t *testing.T) {
	err := Write(&bytes.Buffer{}, Letter{Request: sample(), Lang: "zh"}, Fonts{CJK: filepath.Join(t.TempDir(), "none.ttf")})
	if !errors.Is(err, ErrNoCJKFont) {
		t.Fatalf("Write(zh) with no font = %v, want ErrNoCJKFont", err)
	}
	for _, w := range []string{CJKEnv, "fonts-noto-cjk", "none.ttf"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("Write(zh) with no font = %q, want it to name %s", err, w)
		}
	}
}

// chineseFonts returns the font of Chinese script this machine has, or skips.
func chineseFonts(t *testing.T) Fonts {
	t.Helper()
	fs := Fonts{CJK: os.Getenv(CJKEnv)}
	if _, err := fs.Chinese(); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%v (CI installs fonts-droid-fallback, .ci/run)", err)
		}
		t.Skipf("%v", err)
	}
	return fs
}

func TestChinese(t *testing.T) {
	fonts := chineseFonts(t)
	pdf := write(t, Letter{Request: sample(), Lang: "zh", Log: sampleRecord()}, fonts)
	if outlined, _ := fonts.Chinese(); outlined {
		t.Skip("the font of Chinese script is drawn as shapes, which have no text")
	}
	got := text(t, pdf)
	for _, w := range []string{"请求国", "被请求国", "快速保存所存储的电子数据", "法国 (FRA)", "Иван Петров"} {
		if !strings.Contains(got, norm.NFKC.String(w)) {
			t.Errorf("the zh letter's text lacks %q; it reads:\n%s", w, got)
		}
	}
}

// TestRender renders the letter in English, Arabic, Russian and Chinese
// to PNG with pdftoppm: a PDF it cannot read fails. ENTRAIDE_LETTERS=DIR
// keeps the images, to look at.
func TestRender(t *testing.T) {
	tool := poppler(t, "pdftoppm")
	dir := os.Getenv("ENTRAIDE_LETTERS")
	if dir == "" {
		dir = t.TempDir()
	}
	for _, lang := range []string{"en", "ar", "ru", "zh"} {
		t.Run(lang, func(t *testing.T) {
			fonts := Fonts{}
			if lang == "zh" {
				fonts = chineseFonts(t)
			}
			r := sample()
			if lang == "zh" {
				r.Fields["facts_summary"] = "在巴黎发现对某公司系统的入侵。"
			}
			in := filepath.Join(dir, "letter-"+lang+".pdf")
			if err := os.WriteFile(in, write(t, Letter{Request: r, Lang: lang, Log: sampleRecord(), Node: "https://fra.example"}, fonts), 0o600); err != nil {
				t.Fatal(err)
			}
			out, err := exec.Command(tool, "-r", "80", "-png", in, filepath.Join(dir, "letter-"+lang)).CombinedOutput()
			if err != nil || len(out) > 0 {
				t.Fatalf("pdftoppm %s: %v: %s", in, err, out)
			}
			if pngs, _ := filepath.Glob(filepath.Join(dir, "letter-"+lang+"-*.png")); len(pngs) == 0 {
				t.Fatalf("pdftoppm %s made no image", in)
			}
		})
	}
}
