package ui

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"net/url"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"text/template/parse"
	"unicode"

	"github.com/BurntSushi/toml"
	"github.com/nicksnyder/go-i18n/v2/i18n"
	"github.com/nicksnyder/go-i18n/v2/i18n/template"
	"golang.org/x/net/html"
	"golang.org/x/text/language"

	"entraide/internal/alerting"
	"entraide/internal/casework"
	"entraide/internal/convention"
	"entraide/internal/directory"
	"entraide/internal/identity"
	"entraide/internal/store/storetest"
)

// messageFile reads locales/<code>.toml as key → message; a plural
// message is its forms.
func messageFile(t testing.TB, code string) map[string]any {
	t.Helper()
	data, err := fs.ReadFile(localeFiles, "locales/"+code+".toml")
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]any{}
	if err := toml.Unmarshal(data, &m); err != nil {
		t.Fatalf("%s.toml: %v", code, err)
	}
	return m
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// TestMessageFilesAreComplete fails when a language lacks a key of
// English, or when a file holds a key English does not (a typo would
// silently show English): the six languages are complete.
func TestMessageFilesAreComplete(t *testing.T) {
	if _, err := loadCatalogue(); err != nil {
		t.Fatal(err)
	}
	en := messageFile(t, "en")
	for _, spec := range localeSpecs {
		code := spec.Tag.String()
		m := messageFile(t, code)
		for _, k := range sortedKeys(m) {
			if _, ok := en[k]; !ok {
				t.Errorf("%s.toml has %q, which English has not: a typo, or a key to add to en.toml", code, k)
			}
		}
		for _, k := range sortedKeys(en) {
			if _, ok := m[k]; !ok {
				t.Errorf("%s.toml lacks %q: every language has every key of en.toml; add its translation to fr, es, ru, zh and ar.toml", code, k)
			}
		}
		// A message with plural forms in English has them here too.
		for _, k := range sortedKeys(m) {
			if _, plural := en[k].(map[string]any); plural {
				if forms, ok := m[k].(map[string]any); ok {
					if _, ok := forms["other"]; !ok {
						t.Errorf("%s.toml: %q has no other form", code, k)
					}
				} else {
					t.Errorf("%s.toml: %q is counted in English: give its plural forms", code, k)
				}
			}
		}
	}
}

// keysRE finds a message key in a template action or Go call.
var keyCall = regexp.MustCompile(`^[a-z0-9_]+(\.[a-z0-9_]+)*$`)

// usedKeys returns the keys the templates and the package's Go code look
// up, with where.
func usedKeys(t *testing.T) map[string]string {
	t.Helper()
	used := map[string]string{}
	names, _ := fs.Glob(assets, "templates/*.html")
	for _, name := range names {
		for _, tree := range parseTemplate(t, name) {
			walk(tree.Root, func(n parse.Node) {
				cmd, ok := n.(*parse.CommandNode)
				if !ok || len(cmd.Args) < 2 {
					return
				}
				if id, ok := cmd.Args[0].(*parse.IdentifierNode); ok && slices.Contains([]string{"t", "tf", "tn"}, id.Ident) {
					if s, ok := cmd.Args[1].(*parse.StringNode); ok {
						used[s.Text] = name
					} else {
						t.Errorf("%s: %s takes a variable key: write the key itself, so that it is checked", name, id.Ident)
					}
				}
			})
		}
	}
	fset := token.NewFileSet()
	goFiles, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range goFiles {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		file, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(file, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok || len(call.Args) < 2 {
				return true
			}
			id, ok := call.Fun.(*ast.Ident)
			if !ok || !slices.Contains([]string{"t", "tf", "tn"}, id.Name) {
				return true
			}
			if lit, ok := call.Args[1].(*ast.BasicLit); ok && lit.Kind == token.STRING {
				s, _ := strconv.Unquote(lit.Value)
				used[s] = fset.Position(lit.Pos()).String()
			}
			return true
		})
	}
	// Keys chosen by a variable in Go.
	for _, k := range []string{"list.inbox", "list.outbox"} {
		used[k] = "pages.go"
	}
	return used
}

func TestKeysUsedAreInEnglish(t *testing.T) {
	en := messageFile(t, "en")
	used := usedKeys(t)
	// The codes the pages name with word.
	for _, s := range casework.States() {
		used["state."+string(s)] = "casework.States"
	}
	for _, a := range casework.Actions() {
		used["action."+string(a)] = "casework.Actions"
		used["event."+string(a)] = "casework.Actions"
	}
	for _, r := range identity.Roles {
		used["role."+string(r)] = "identity.Roles"
	}
	for _, b := range casework.BasisTypes() {
		used["basis."+string(b)] = "casework.BasisTypes"
	}
	for _, r := range alerting.Reasons {
		used["reason."+string(r)] = "alerting.Reasons"
	}
	for _, i := range []directory.Instrument{directory.Ratification, directory.Acceptance, directory.Approval, directory.Accession} {
		used["instrument."+string(i)] = "directory.Instrument"
	}
	for _, k := range convention.Kinds() {
		used["kind."+string(k.Kind)] = "convention.Kinds"
	}
	for _, o := range convention.Offences() {
		used["offence."+strconv.Itoa(o.Article)] = "convention.Offences"
	}
	for _, g := range convention.Grounds() {
		used["ground."+string(g)] = "convention.Grounds"
	}
	if len(used) < 100 {
		t.Fatalf("found only %d keys in use: the scan is broken", len(used))
	}
	for _, k := range sortedKeys(used) {
		if !keyCall.MatchString(k) {
			t.Errorf("%s: %q is not a message key", used[k], k)
		}
		if _, ok := en[k]; !ok {
			t.Errorf("%s uses %q, which en.toml lacks", used[k], k)
		}
	}
}

// TestConventionWordsMatchEnglish fails when en.toml words a kind, an
// item of content, an offence, a ground or a citation otherwise than
// internal/convention, or lacks it: the pages would show other words than
// the API and the CLI.
func TestConventionWordsMatchEnglish(t *testing.T) {
	en := mustCatalogue().byCode["en"]
	m := messageFile(t, "en")
	fix := "change en.toml to the words of internal/convention, then each language's translation"
	check := func(key, got, want string) {
		t.Helper()
		if got != want {
			t.Errorf("%s: en.toml says %q, internal/convention %q: %s", key, got, want, fix)
		}
	}
	used := map[string]bool{}
	for _, spec := range convention.Kinds() {
		check("kind."+string(spec.Kind), en.kindName(spec.Kind), spec.Title)
		for _, a := range spec.Articles {
			check("ref.* citing "+a.String(), en.cite(a), a.Cite())
		}
		for _, f := range spec.Fields {
			check("ref.* citing "+f.Ref.String(), en.cite(f.Ref), f.Ref.Cite())
			check("field "+f.Name+" of "+string(spec.Kind), en.fieldLabel(spec.Kind, f), f.Label)
			used["field."+f.Name] = true
			used["field."+string(spec.Kind)+"."+f.Name] = true
		}
	}
	for _, o := range convention.Offences() {
		check("offence."+strconv.Itoa(o.Article), en.offenceName(o.Article), o.Name)
	}
	for _, g := range convention.Grounds() {
		spec, _ := convention.LookupGround(g)
		check("ground."+string(g), en.groundName(g), spec.Description)
		check("ref.* citing "+spec.Ref.String(), en.cite(spec.Ref), spec.Ref.Cite())
	}
	for k := range m {
		if strings.HasPrefix(k, "field.") && !used[k] {
			t.Errorf("en.toml has %q, which no kind of internal/convention asks for: remove it from every message file", k)
		}
	}
}

func parseTemplate(t *testing.T, name string) map[string]*parse.Tree {
	t.Helper()
	src, err := fs.ReadFile(assets, name)
	if err != nil {
		t.Fatal(err)
	}
	trees, err := parse.Parse(path.Base(name), string(src), "", "", funcs, builtinFuncs)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return trees
}

// builtinFuncs are text/template's own functions, which parse needs to
// know.
var builtinFuncs = map[string]any{"and": 0, "or": 0, "not": 0, "eq": 0, "ne": 0, "lt": 0, "le": 0, "gt": 0, "ge": 0,
	"len": 0, "index": 0, "print": 0, "printf": 0, "println": 0, "html": 0, "js": 0, "urlquery": 0, "call": 0, "slice": 0}

func walk(n parse.Node, f func(parse.Node)) {
	if n == nil {
		return
	}
	f(n)
	switch n := n.(type) {
	case *parse.ListNode:
		if n == nil {
			return
		}
		for _, c := range n.Nodes {
			walk(c, f)
		}
	case *parse.ActionNode:
		walk(n.Pipe, f)
	case *parse.PipeNode:
		if n == nil {
			return
		}
		for _, c := range n.Cmds {
			walk(c, f)
		}
	case *parse.CommandNode:
		for _, c := range n.Args {
			walk(c, f)
		}
	case *parse.IfNode:
		walk(n.Pipe, f)
		walk(n.List, f)
		walk(n.ElseList, f)
	case *parse.RangeNode:
		walk(n.Pipe, f)
		walk(n.List, f)
		walk(n.ElseList, f)
	case *parse.WithNode:
		walk(n.Pipe, f)
		walk(n.List, f)
		walk(n.ElseList, f)
	case *parse.TemplateNode:
		walk(n.Pipe, f)
	}
}

// action stands for what a template action prints.
const action = "\uE000"

// flatten writes the template's text with each action as a placeholder:
// the HTML it yields, whichever branch runs.
func flatten(n parse.Node, b *strings.Builder) {
	switch n := n.(type) {
	case *parse.ListNode:
		if n == nil {
			return
		}
		for _, c := range n.Nodes {
			flatten(c, b)
		}
	case *parse.TextNode:
		b.Write(n.Text)
	case *parse.IfNode:
		b.WriteString(action)
		flatten(n.List, b)
		flatten(n.ElseList, b)
	case *parse.RangeNode:
		b.WriteString(action)
		flatten(n.List, b)
		flatten(n.ElseList, b)
	case *parse.WithNode:
		b.WriteString(action)
		flatten(n.List, b)
		flatten(n.ElseList, b)
	default:
		b.WriteString(action)
	}
}

// shownAttrs are the attributes a browser shows or reads aloud.
var shownAttrs = []string{"alt", "title", "aria-label", "placeholder", "label", "data-live", "aria-description"}

// literal returns what in s is neither an action, whitespace, punctuation
// nor a symbol: words a template would print in one language only.
func literal(s string) string {
	s = strings.ReplaceAll(s, action, "")
	if strings.IndexFunc(s, func(r rune) bool { return !unicode.IsSpace(r) && !unicode.IsPunct(r) && !unicode.IsSymbol(r) }) < 0 {
		return ""
	}
	return strings.TrimSpace(s)
}

// TestTemplatesPrintNoLiteralText fails when a template prints words of
// its own rather than a message: each text and each shown attribute of
// the HTML may hold only actions, whitespace and punctuation.
func TestTemplatesPrintNoLiteralText(t *testing.T) {
	names, _ := fs.Glob(assets, "templates/*.html")
	for _, name := range names {
		for tname, tree := range parseTemplate(t, name) {
			var b strings.Builder
			flatten(tree.Root, &b)
			z := html.NewTokenizer(strings.NewReader(b.String()))
			for {
				tt := z.Next()
				if tt == html.ErrorToken {
					break
				}
				tok := z.Token()
				switch tt {
				case html.TextToken:
					if l := literal(tok.Data); l != "" {
						t.Errorf("%s (%s) prints %q: put it in the message files", name, tname, l)
					}
				case html.StartTagToken, html.SelfClosingTagToken:
					for _, a := range tok.Attr {
						if slices.Contains(shownAttrs, a.Key) || (a.Key == "value" && tok.Data == "input" && slices.ContainsFunc(tok.Attr, func(a html.Attribute) bool { return a.Key == "type" && (a.Val == "submit" || a.Val == "button") })) {
							if l := literal(a.Val); l != "" {
								t.Errorf("%s (%s): <%s %s=%q>: put it in the message files", name, tname, tok.Data, a.Key, l)
							}
						}
					}
				}
			}
		}
	}
}

func TestLiteralCatchesWords(t *testing.T) {
	for s, want := range map[string]string{" " + action + ": (" + action + ") ": "", "— · …": "", "Save " + action: "Save", "Отправить": "Отправить", "حفظ": "حفظ", "保存": "保存"} {
		if got := literal(s); got != want {
			t.Errorf("literal(%q) = %q, want %q", s, got, want)
		}
	}
}

func TestPluralForms(t *testing.T) {
	c := mustCatalogue()
	for _, tc := range []struct {
		code, key string
		n         int
		want      string
	}{
		{"en", "list.total", 1, "1 request matches"},
		{"en", "list.total", 0, "0 requests match"},
		{"fr", "list.total", 0, "0 demande correspond"},
		{"fr", "list.total", 2, "2 demandes correspondent"},
		{"ru", "signin.limited", 1, "1 секунду"},
		{"ru", "signin.limited", 3, "3 секунды"},
		{"ru", "signin.limited", 5, "5 секунд"},
		{"ar", "signin.limited", 2, "ثانيتين"},
		{"ar", "signin.limited", 5, "5 ثوانٍ"},
		{"zh", "signin.limited", 5, "5 秒"},
		{"fr", "list.total", 1000000, "1000000 de demandes"},
		{"es", "list.total", 1, "1 solicitud coincide"},
		{"es", "list.total", 0, "0 solicitudes coinciden"},
		{"es", "list.total", 1000000, "1000000 de solicitudes"},
		{"ru", "list.total", 21, "Найден 21 запрос;"},
		{"ru", "list.total", 22, "Найдено 22 запроса;"},
		{"ru", "list.total", 11, "Найдено 11 запросов;"},
		{"ar", "list.total", 1, "طلب واحد مطابق"},
		{"ar", "list.total", 2, "طلبان مطابقان"},
		{"ar", "list.total", 7, "7 طلبات"},
		{"ar", "list.total", 11, "11 طلبًا"},
		{"ar", "list.total", 100, "100 طلب مطابق"},
		{"zh", "list.total", 3, "共有 3 项请求"},
	} {
		if got := c.byCode[tc.code].tn(tc.key, tc.n); !strings.Contains(got, tc.want) {
			t.Errorf("%s %s %d: %q, want it to hold %q", tc.code, tc.key, tc.n, got, tc.want)
		}
	}
}

// TestEveryCountRenders formats each counted message of each language
// with counts that fall in each CLDR plural form: a form the language's
// rules ask for and its file lacks would show the key instead, and a
// form that drops an argument without reordering would print %!(EXTRA).
func TestEveryCountRenders(t *testing.T) {
	c := mustCatalogue()
	en := messageFile(t, "en")
	for _, l := range c.locales {
		m := messageFile(t, l.Code)
		for _, k := range sortedKeys(en) {
			forms, plural := en[k].(map[string]any)
			if _, ok := m[k]; !plural || !ok {
				continue
			}
			args := sampleArgs(forms["other"].(string))
			for _, n := range []int{0, 1, 2, 3, 5, 11, 21, 22, 25, 100, 101, 1000000} {
				s, tag, err := l.loc.LocalizeWithTag(&i18n.LocalizeConfig{MessageID: k, PluralCount: n, TemplateParser: template.IdentityParser{}})
				if err != nil || tag != l.Tag {
					t.Errorf("%s %s %d: %v (in %s): give the plural form its rules ask for", l.Code, k, n, err, tag)
					continue
				}
				if got := format(s, countIn(args, n)); strings.Contains(got, "%!") {
					t.Errorf("%s %s %d: %q", l.Code, k, n, got)
				}
			}
		}
	}
}

// verb finds a formatting verb, with its argument index if any.
var verb = regexp.MustCompile(`%(\[(\d+)\])?([a-z])`)

// sampleArgs returns arguments for the verbs of s: "x" for each %s, 0 for
// each number.
func sampleArgs(s string) []any {
	var args []any
	for _, v := range verb.FindAllStringSubmatch(s, -1) {
		if v[3] == "s" {
			args = append(args, "x")
		} else {
			args = append(args, 0)
		}
	}
	return args
}

// countIn puts n in place of the numbers of args.
func countIn(args []any, n int) []any {
	out := slices.Clone(args)
	for i, a := range out {
		if _, ok := a.(int); ok {
			out[i] = n
		}
	}
	return out
}

// verbs returns the kinds of the verbs of s, sorted: %[2]s counts as %s.
func verbs(s string) []string {
	var out []string
	for _, v := range verb.FindAllStringSubmatch(s, -1) {
		out = append(out, v[3])
	}
	sort.Strings(out)
	return out
}

// TestPlaceholdersAreKept fails when a translation drops, adds or changes
// a %s or %d of English: the page would lose a value or print %!(EXTRA).
// Only a plural form may drop the count, where it says it in words.
func TestPlaceholdersAreKept(t *testing.T) {
	en := messageFile(t, "en")
	for _, spec := range localeSpecs {
		code := spec.Tag.String()
		for k, v := range messageFile(t, code) {
			switch v := v.(type) {
			case string:
				want, ok := en[k].(string)
				if ok && !slices.Equal(verbs(v), verbs(want)) {
					t.Errorf("%s.toml: %q has %v, English %v", code, k, verbs(v), verbs(want))
				}
			case map[string]any:
				forms, ok := en[k].(map[string]any)
				if !ok {
					continue
				}
				want := verbs(forms["other"].(string))
				for form, s := range v {
					got := verbs(s.(string))
					if form == "other" && !slices.Equal(got, want) || form != "other" && !slices.Equal(slices.DeleteFunc(slices.Clone(want), func(s string) bool { return s == "d" }), slices.DeleteFunc(slices.Clone(got), func(s string) bool { return s == "d" })) {
						t.Errorf("%s.toml: %q %s has %v, English %v", code, k, form, got, want)
					}
				}
			}
		}
	}
}

// An English fallback in a right-to-left page is isolated, so that it
// reads left to right with its full stop at its end.
func TestFallbackIsIsolatedRightToLeft(t *testing.T) {
	b := i18n.NewBundle(language.English)
	b.MustAddMessages(language.English, &i18n.Message{ID: "only.english", Other: "Not translated yet."})
	l := &locale{Tag: language.Arabic, Dir: "rtl", loc: i18n.NewLocalizer(b, "ar")}
	if got := l.t("only.english"); got != "\u2068Not translated yet.\u2069" {
		t.Errorf("got %q", got)
	}
}

var missingKey = regexp.MustCompile(`\[[a-z0-9_]+(\.[a-z0-9_]+)+\]`)

// TestPagesSpeakTheBrowsersLanguage renders the sign-in page for each
// Accept-Language, then every page in each language picked with the
// selector.
func TestPagesSpeakTheBrowsersLanguage(t *testing.T) {
	tn := newTestNode(t, storetest.Backends[0])
	anon := tn.browser()
	for _, tc := range []struct{ accept, lang, dir, label string }{
		{"fr-FR,fr;q=0.9,en;q=0.5", "fr", "ltr", "Mot de passe"},
		{"ar", "ar", "rtl", "كلمة المرور"},
		{"es-419", "es", "ltr", "Contraseña"},
		{"ru", "ru", "ltr", "Пароль"},
		{"zh-CN", "zh", "ltr", "密码"},
		{"de-DE,de", "en", "ltr", "Password"},
		{"", "en", "ltr", "Password"},
		{"not a header;;q=x", "en", "ltr", "Password"},
	} {
		p := anon.do(t, "GET", "/ui/signin", nil, "Accept-Language", tc.accept)
		if p.Status != 200 || !strings.Contains(p.Body, `<html lang="`+tc.lang+`" dir="`+tc.dir+`">`) || !strings.Contains(p.Body, tc.label) {
			t.Errorf("Accept-Language %q: %d, want lang=%s dir=%s and %q\n%s", tc.accept, p.Status, tc.lang, tc.dir, tc.label, p.Body)
		}
	}
	// The selector's choice wins over the browser's, and is remembered.
	if p := anon.do(t, "POST", "/ui/lang", url.Values{"lang": {"ar"}, "next": {"/ui/signin?next=%2Fui%2Finbox"}}); p.Status != 303 || p.Location != "/ui/signin?next=%2Fui%2Finbox" {
		t.Fatalf("picking Arabic: %d to %q", p.Status, p.Location)
	}
	if p := anon.do(t, "GET", "/ui/signin", nil, "Accept-Language", "fr"); !strings.Contains(p.Body, `dir="rtl"`) {
		t.Errorf("after picking Arabic, Accept-Language fr wins:\n%s", p.Body)
	}
	for _, bad := range []url.Values{{"lang": {"xx"}}, {"lang": {"<script>"}}, {}} {
		if p := anon.do(t, "POST", "/ui/lang", bad); p.Status != 400 {
			t.Errorf("picking %v: %d, want 400", bad, p.Status)
		}
	}
	for _, next := range []string{"https://evil.example/", "//evil.example/ui/", "/api/v1/requests", "/ui/\r\nX: y"} {
		if p := anon.do(t, "POST", "/ui/lang", url.Values{"lang": {"fr"}, "next": {next}}); p.Location != "/ui/" {
			t.Errorf("next %q: sent to %q, want /ui/", next, p.Location)
		}
	}
	b := tn.signedIn(t, "FRA", identity.CentralAuthority)
	for _, l := range mustCatalogue().locales {
		if p := b.do(t, "POST", "/ui/lang", url.Values{"lang": {l.Code}, "next": {"/ui/inbox"}}); p.Status != 303 {
			t.Fatalf("picking %s: %d", l.Code, p.Status)
		}
		for _, pg := range []string{"/ui/inbox", "/ui/outbox", "/ui/requests/new", "/ui/console", "/ui/directory", "/ui/treaty", "/ui/nothing"} {
			p := b.do(t, "GET", pg, nil)
			if p.Status != 200 && pg != "/ui/nothing" || !strings.Contains(p.Body, `<html lang="`+l.Code+`" dir="`+l.Dir+`">`) {
				t.Errorf("%s in %s: %d\n%s", pg, l.Code, p.Status, p.Body)
			}
			if m := missingKey.FindString(p.Body); m != "" {
				t.Errorf("%s in %s shows the missing key %s", pg, l.Code, m)
			}
			if want := l.t("nav.inbox"); !strings.Contains(p.Body, want) {
				t.Errorf("%s in %s lacks %q", pg, l.Code, want)
			}
		}
	}
	if p := b.do(t, "GET", "/ui/requests/new?kind=preservation", nil); !strings.Contains(p.Body, "حفظ كمسودة") || !strings.Contains(p.Body, ">عاجل</option>") {
		t.Errorf("the draft form in Arabic lacks its save button:\n%s", p.Body)
	}
}

func FuzzAcceptLanguage(f *testing.F) {
	for _, s := range []string{"fr-FR,fr;q=0.9", "ar", "*", "zh-Hant-TW;q=0.8, en", ";;;", "x-klingon", strings.Repeat("fr,", 500)} {
		f.Add(s)
	}
	c := mustCatalogue()
	f.Fuzz(func(t *testing.T, h string) {
		tags := parseAccept(h)
		_, i, _ := c.matcher.Match(tags...)
		if i < 0 || i >= len(c.locales) {
			t.Fatalf("%q matched %d", h, i)
		}
	})
}

// BenchmarkText looks up a page's worth of strings, against a plain map
// lookup (the UI's strings before message files) as the baseline.
func BenchmarkText(b *testing.B) {
	c := mustCatalogue()
	en := messageFile(b, "en")
	keys := sortedKeys(en)
	plain := map[string]string{}
	for _, k := range keys {
		if s, ok := en[k].(string); ok {
			plain[k] = s
		}
	}
	b.Run("map", func(b *testing.B) {
		for b.Loop() {
			for _, k := range keys[:50] {
				_ = plain[k]
			}
		}
	})
	for _, code := range []string{"en", "fr", "ar"} {
		l := c.byCode[code]
		b.Run(code, func(b *testing.B) {
			for b.Loop() {
				for _, k := range keys[:50] {
					_ = l.t(k)
				}
			}
		})
	}
}

// TestDraftProblemsInThePagesLanguage drafts an empty preservation in
// Russian: the missing contents are named by their labels and said
// missing in Russian, with their provisions cited the Russian way.
func TestDraftProblemsInThePagesLanguage(t *testing.T) {
	tn := newTestNode(t, storetest.Backends[0])
	b := tn.signedIn(t, "FRA", identity.CentralAuthority)
	if p := b.do(t, "POST", "/ui/lang", url.Values{"lang": {"ru"}, "next": {"/ui/inbox"}}); p.Status != 303 {
		t.Fatalf("picking Russian: %d", p.Status)
	}
	p := b.do(t, "POST", "/ui/requests", url.Values{"kind": {"preservation"}, "requested_state": {"VNM"}, "basis": {"reciprocity"}})
	for _, want := range []string{"обязательно: орган, запрашивающий обеспечение сохранности", "<strong>Орган, запрашивающий обеспечение сохранности</strong>", "ст. 42, п. 2(a) (не проверено)"} {
		if !strings.Contains(p.Body, want) {
			t.Errorf("an empty preservation in Russian lacks %q:\n%s", want, p.Body)
		}
	}
	if strings.Contains(p.Body, "required:") {
		t.Errorf("an empty preservation in Russian says a problem in English:\n%s", p.Body)
	}
}

// TestConventionNotInForceInTheFormsWords: a request resting on the
// Convention before it binds both States is refused at sending; the
// official reads why in the page's language, with the form's choices by
// the names the form gives them, not the API's codes.
func TestConventionNotInForceInTheFormsWords(t *testing.T) {
	ps := convention.Problems{{Field: "legal_basis", Ref: casework.ConventionBasisRef,
		Message: `the Convention cannot be the legal basis on 2026-03-02: FRA has not ratified, accepted, approved or acceded to it (treaty status: ...); name another treaty binding both States (type "treaty" with its name) or rest the request on reciprocity (type "reciprocity")`}}
	for code, want := range map[string]string{
		"en": "choose “another treaty binding both States” and name it, or “reciprocity”",
		"fr": "choisissez «\u00a0un autre traité liant les deux États\u00a0»",
		"ar": "«معاهدة أخرى ملزمة للدولتين»",
	} {
		got := mustCatalogue().byCode[code].problems(convention.Preservation, ps)
		if !strings.Contains(got[0].Message, want) || strings.Contains(got[0].Message, `"treaty"`) {
			t.Errorf("%s: %q, want it to say %q and no API code", code, got[0].Message, want)
		}
	}
}
