package typeset

import (
	"embed"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"unicode"

	"github.com/tdewolff/canvas"
	"github.com/tdewolff/font"
)

// The fonts of Latin, Greek, Cyrillic and Arabic script are in the binary,
// so that a document in five of the six languages of the United Nations
// needs nothing installed. Chinese needs a font of some 20 MB, which is
// read from a file instead (see Fonts.CJK).
//
//go:embed fonts/*.ttf
var embedded embed.FS

// CJKEnv is the environment variable that names the font file of Chinese
// script, when Fonts.CJK is not set.
const CJKEnv = "ENTRAIDE_CJK_FONT"

// The fonts of Chinese script a document looks for when none is
// configured, in order: Debian's fonts-droid-fallback, a TrueType font
// whose glyphs are embedded in the PDF as text; then fonts-noto-cjk,
// whose CID-keyed OpenType outlines the PDF writer cannot subset, so that
// its characters are drawn as shapes (they print the same, but cannot be
// copied or searched). The third face (index 2) of Noto Sans CJK is
// Simplified Chinese.
var debianCJK = []string{
	"/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
	"/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
}

// ErrNoCJKFont is returned when a document has Chinese text and no font
// of Chinese script can be read.
var ErrNoCJKFont = errors.New("no font for Chinese script")

// Fonts says where a document finds the fonts that are not in the binary.
type Fonts struct {
	// CJK is a TrueType or OpenType file, or a collection, of Chinese
	// script. Empty means the file named by ENTRAIDE_CJK_FONT, or else the
	// first of Debian's that is installed.
	CJK string
}

// cjkFont is a font of Chinese script; outline is set when the PDF writer
// cannot subset it, and its text is drawn as shapes.
type cjkFont struct {
	font    *canvas.Font
	outline bool
}

// face is one font in the two weights a document uses.
type face struct {
	regular, bold *canvas.Font
}

// loadEmbedded parses the fonts in the binary once.
var loadEmbedded = sync.OnceValues(func() (map[string]face, error) {
	load := func(name string) (*canvas.Font, error) {
		b, err := embedded.ReadFile("fonts/" + name)
		if err != nil {
			return nil, err
		}
		f, err := canvas.LoadFont(b, 0, canvas.FontRegular)
		if err != nil {
			return nil, fmt.Errorf("font %s: %w", name, err)
		}
		return f, nil
	}
	out := map[string]face{}
	for script, names := range map[string][2]string{
		"latin":  {"NotoSans-Regular.ttf", "NotoSans-Bold.ttf"},
		"arabic": {"NotoSansArabic-Regular.ttf", "NotoSansArabic-Bold.ttf"},
	} {
		r, err := load(names[0])
		if err != nil {
			return nil, err
		}
		b, err := load(names[1])
		if err != nil {
			return nil, err
		}
		if script == "latin" {
			// Without ligatures: a hash with "ff" or "fi" in it must copy
			// out of the PDF as the letters it is, not as "ﬀ" or "ﬁ".
			// Arabic keeps its own, which its letters need.
			r.SetFeatures("liga=0")
			b.SetFeatures("liga=0")
		}
		out[script] = face{r, b}
	}
	return out, nil
})

// cjkFonts caches the fonts read from files, by path: a collection of
// Chinese script takes a second to parse.
var cjkFonts sync.Map // path -> cjkFont

// cjk returns the font of Chinese script fs names, or an error that names
// the setting and the packages that give one.
func (fs Fonts) cjk() (cjkFont, error) {
	path, how := fs.CJK, "the node's configuration"
	if path == "" {
		path, how = os.Getenv(CJKEnv), CJKEnv
	}
	if path == "" {
		for _, p := range debianCJK {
			if _, err := os.Stat(p); err == nil {
				path, how = p, "the fonts Debian installs"
				break
			}
		}
	}
	if path == "" {
		return cjkFont{}, fmt.Errorf("%w: install Debian's fonts-droid-fallback or fonts-noto-cjk, or name a font file of Chinese script with %s", ErrNoCJKFont, CJKEnv)
	}
	if f, ok := cjkFonts.Load(path); ok {
		return f.(cjkFont), nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return cjkFont{}, fmt.Errorf("%w: %s (from %s): %w; install Debian's fonts-droid-fallback or fonts-noto-cjk, or name another font file with %s", ErrNoCJKFont, path, how, err, CJKEnv)
	}
	index := 0
	if strings.HasSuffix(path, ".ttc") && strings.Contains(path, "NotoSansCJK") {
		index = 2
	}
	f, err := canvas.LoadFont(b, index, canvas.FontRegular)
	if err != nil {
		return cjkFont{}, fmt.Errorf("%w: %s (from %s) is not a font Entraide can read: %w; name a TrueType or OpenType font with %s", ErrNoCJKFont, path, how, err, CJKEnv)
	}
	han := f.SFNT.GlyphIndex('中')
	if han == 0 {
		return cjkFont{}, fmt.Errorf("%w: %s (from %s) has no Chinese characters; install Debian's fonts-droid-fallback or fonts-noto-cjk, or name another font with %s", ErrNoCJKFont, path, how, CJKEnv)
	}
	_, err = f.SFNT.Subset([]uint16{0, han}, font.SubsetOptions{Tables: font.KeepPDFTables})
	c := cjkFont{font: f, outline: err != nil}
	cjkFonts.Store(path, c)
	return c, nil
}

// Chinese reports whether fs gives a font of Chinese script, and
// whether its characters are drawn as shapes (outlined), which print the
// same but cannot be copied or searched. The error is the one a document
// with Chinese text would return.
func (fs Fonts) Chinese() (outlined bool, err error) {
	c, err := fs.cjk()
	return c.outline, err
}

// isCJK reports whether r is written with the font of Chinese script.
func isCJK(r rune) bool {
	return unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana, unicode.Hangul, unicode.Bopomofo) ||
		(r >= 0x3000 && r <= 0x303f) || (r >= 0xff00 && r <= 0xffef)
}

// NeedsCJK reports whether any of ss has a character of Chinese script:
// a document with such text needs Fonts to give a font for it.
func NeedsCJK(ss ...string) bool {
	for _, s := range ss {
		for _, r := range s {
			if isCJK(r) {
				return true
			}
		}
	}
	return false
}
