package ui

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"net/http"
	"path"
	"strconv"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/BurntSushi/toml"
	"github.com/nicksnyder/go-i18n/v2/i18n"
	"github.com/nicksnyder/go-i18n/v2/i18n/template"
	"golang.org/x/text/language"

	"entraide/internal/casework"
	"entraide/internal/convention"
	"entraide/internal/directory"
)

// The UI's strings live in one message file per language, locales/<tag>.toml.
// English is the reference: every key the templates and the Go code use is
// there, and every other language has every key of it (a test checks); a
// key missing all the same is shown in English.
//
//go:embed locales/*.toml
var localeFiles embed.FS

// locale is one language the UI speaks.
type locale struct {
	Tag  language.Tag
	Code string // the BCP 47 tag, for lang= and the cookie
	Name string // the language's name in itself, for the selector
	Dir  string // "rtl" or "ltr", for dir=
	loc  *i18n.Localizer
}

// The six official languages of the United Nations, English first: it is
// the default when the browser asks for none of them.
var localeSpecs = []locale{
	{Tag: language.English, Name: "English", Dir: "ltr"},
	{Tag: language.French, Name: "Français", Dir: "ltr"},
	{Tag: language.Spanish, Name: "Español", Dir: "ltr"},
	{Tag: language.Russian, Name: "Русский", Dir: "ltr"},
	{Tag: language.Chinese, Name: "中文", Dir: "ltr"},
	{Tag: language.Arabic, Name: "العربية", Dir: "rtl"},
}

// catalogue is every language's messages, loaded once from the embedded
// files; a broken file is a fault of the build, caught by the tests.
type catalogue struct {
	bundle  *i18n.Bundle
	locales []*locale
	byCode  map[string]*locale
	matcher language.Matcher
}

var loadCatalogue = sync.OnceValues(func() (*catalogue, error) {
	b := i18n.NewBundle(language.English)
	b.RegisterUnmarshalFunc("toml", toml.Unmarshal)
	names, err := fs.Glob(localeFiles, "locales/*.toml")
	if err != nil {
		return nil, err
	}
	for _, name := range names {
		if _, err := b.LoadMessageFileFS(localeFiles, name); err != nil {
			return nil, fmt.Errorf("message file %s: %w", path.Base(name), err)
		}
	}
	c := &catalogue{bundle: b, byCode: map[string]*locale{}}
	var tags []language.Tag
	for _, spec := range localeSpecs {
		l := spec
		l.Code = l.Tag.String()
		l.loc = i18n.NewLocalizer(b, l.Code)
		c.locales = append(c.locales, &l)
		c.byCode[l.Code] = &l
		tags = append(tags, l.Tag)
	}
	c.matcher = language.NewMatcher(tags)
	return c, nil
})

func mustCatalogue() *catalogue {
	c, err := loadCatalogue()
	if err != nil {
		panic(err)
	}
	return c
}

// langCookie remembers the language an official picked, on this browser.
const langCookie = "entraide_lang"

// pick returns the language of r: the one picked with the selector, else
// the best match of the browser's Accept-Language, else English.
func (c *catalogue) pick(r *http.Request) *locale {
	if ck, err := r.Cookie(langCookie); err == nil {
		if l, ok := c.byCode[ck.Value]; ok {
			return l
		}
	}
	_, i, conf := c.matcher.Match(parseAccept(r.Header.Get("Accept-Language"))...)
	if conf == language.No {
		return c.locales[0]
	}
	return c.locales[i]
}

// parseAccept reads an Accept-Language header; a malformed one counts as
// none, so that the page shows in English rather than failing.
func parseAccept(h string) []language.Tag {
	if len(h) > 1024 {
		h = h[:1024]
	}
	tags, _, err := language.ParseAcceptLanguage(h)
	if err != nil {
		return nil
	}
	return tags
}

type langKey struct{}

// withLocale puts the request's language in its context, for t and the
// templates.
func withLocale(next http.Handler) http.Handler {
	c := mustCatalogue()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		l := c.pick(r)
		w.Header().Set("Content-Language", l.Code)
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), langKey{}, l)))
	})
}

func localeOf(ctx context.Context) *locale {
	if l, ok := ctx.Value(langKey{}).(*locale); ok {
		return l
	}
	return mustCatalogue().locales[0]
}

// text returns the string of key in l, counted by n when n is not nil;
// a key missing from English too shows as itself, marked, so that it is
// seen and added rather than silently blank.
func (l *locale) text(key string, n any) string {
	s, tag, err := l.loc.LocalizeWithTag(&i18n.LocalizeConfig{MessageID: key, PluralCount: n, TemplateParser: template.IdentityParser{}})
	if s == "" && err != nil {
		return "[" + key + "]"
	}
	if tag != l.Tag && l.Dir == "rtl" {
		// An English fallback on a right-to-left page is isolated, so that
		// it reads left to right with its full stop at its end.
		return "\u2068" + s + "\u2069"
	}
	return s
}

// t returns the string of key.
func (l *locale) t(key string) string { return l.text(key, nil) }

// tf formats the string of key with args.
func (l *locale) tf(key string, args ...any) string { return format(l.text(key, nil), args) }

// format is Sprintf, but for a string that takes no argument: a plural
// form may say the number in words ("two seconds") where the others
// print it.
func format(s string, args []any) string {
	if !strings.Contains(s, "%") {
		return s
	}
	return fmt.Sprintf(s, args...)
}

// tn formats the string of key in the plural form n calls for, with args,
// or with n alone when there are none.
func (l *locale) tn(key string, n int, args ...any) string {
	if len(args) == 0 {
		args = []any{n}
	}
	return format(l.text(key, n), args)
}

// word names a code (a request's status, an action, a role, a legal
// basis) in l: the message group.code, else the code as words.
func (l *locale) word(group string, code any) string {
	c := fmt.Sprint(code)
	key := group + "." + c
	if s := l.text(key, nil); s != "["+key+"]" {
		return s
	}
	return strings.ReplaceAll(c, "_", " ")
}

// textOr returns the string of key in l, or fallback when no message file
// has the key.
func (l *locale) textOr(key, fallback string) string {
	if s := l.text(key, nil); s != "["+key+"]" {
		return s
	}
	return fallback
}

// The Convention's own words (the kinds of request, the contents each asks
// for, the offences and the grounds for refusal) are in English in
// internal/convention, which the API and the CLI speak; the message files
// give them in each language, and a code they lack shows in English.

// kindName names a kind of request in l.
func (l *locale) kindName(k convention.Kind) string {
	fallback := strings.ReplaceAll(string(k), "_", " ")
	if spec, ok := convention.Lookup(k); ok {
		fallback = spec.Title
	}
	return l.textOr("kind."+string(k), fallback)
}

// fieldLabel names an item of content of kind k in l: in the kind's own
// words where it has them (field.<kind>.<name>), else the item's usual
// words (field.<name>).
func (l *locale) fieldLabel(k convention.Kind, f convention.Field) string {
	if s := l.textOr("field."+string(k)+"."+f.Name, ""); s != "" {
		return s
	}
	return l.textOr("field."+f.Name, f.Label)
}

// offenceName names the offence of article in l.
func (l *locale) offenceName(article int) string {
	o, _ := convention.LookupOffence(article)
	return l.textOr("offence."+strconv.Itoa(article), o.Name)
}

// groundName describes a ground for refusal in l.
func (l *locale) groundName(g convention.Ground) string {
	fallback := strings.ReplaceAll(string(g), "_", " ")
	if spec, ok := convention.LookupGround(g); ok {
		fallback = spec.Description
	}
	return l.textOr("ground."+string(g), fallback)
}

// cite renders a provision of the Convention the way l's lawyers cite it,
// saying so when it is not yet checked against the authentic text; ""
// for none.
func (l *locale) cite(r convention.Ref) string {
	var s string
	// Subparagraphs are lettered a, b, c in English, أ, ب, ج in Arabic,
	// 一, 二, 三 in Chinese.
	letter := l.textOr("ref.letter."+r.Letter, r.Letter)
	switch {
	case r.Article == 0:
		return ""
	case r.Paragraph > 0 && r.Letter != "":
		s = l.tf("ref.sub", r.Article, r.Paragraph, letter)
	case r.Paragraph > 0:
		s = l.tf("ref.para", r.Article, r.Paragraph)
	case r.Letter != "":
		s = l.tf("ref.letter", r.Article, letter)
	default:
		s = l.tf("ref.art", r.Article)
	}
	if r.Check {
		s = l.tf("ref.unverified", s)
	}
	return s
}

// stateName names the State of code in l, with its code, by the names the
// Convention's participants bear in the six languages; an unknown code
// shows as itself.
func (l *locale) stateName(code string) string {
	p, ok := directory.LookupParticipant(code)
	if !ok {
		return code
	}
	name := p.Names[l.Code]
	if name == "" {
		name = p.Name()
	}
	return name + " (" + code + ")"
}

// problemFields names the fields a problem is about by the labels the
// forms give them, not by the names the API gives them ("requested_state",
// "id"). The version of a request gets none: the message that it changed
// meanwhile says it all.
var problemFields = map[string]string{
	"kind":               "draft.kind",
	"requested_state":    "draft.requested",
	"urgency":            "draft.urgency",
	"legal_basis":        "draft.basis",
	"legal_basis.type":   "draft.basis",
	"legal_basis.treaty": "draft.basis.treaty",
	"offences":           "draft.offences",
	"use_limitation":     "draft.uselimit",
	"follow_up_of":       "draft.followup",
	"note":               "act.note",
	"conditions":         "act.conditions",
	"reasons":            "act.reasons",
	"grounds":            "act.grounds",
	"preserve_until":     "act.until",
	"id":                 "admin.enrol.id",
	"name":               "admin.enrol.name",
	"email":              "admin.enrol.email",
	"role":               "admin.enrol.role",
	"user":               "roster.official",
	"channel":            "roster.channel",
	"address":            "roster.address",
	"secret":             "admin.roster.secret",
	"from":               "admin.roster.fromlabel",
	"until":              "admin.roster.untillabel",
	"position":           "roster.position",
	"version":            "",
	"considered":         "screen.col.considered",
	"concerns_found":     "screen.col.concern",
	"findings":           "screen.findings",
	"outcome":            "screen.outcome",
	// Fund tracing.
	"title":                "funds.case.name",
	"reference":            "funds.case.reference",
	"request_id":           "funds.imp.item",
	"item_id":              "funds.imp.item",
	"format":               "funds.imp.format",
	"mapping":              "funds.imp.mapping",
	"file":                 "funds.imp.file",
	"rates":                "funds.rates",
	"currency":             "funds.trace.currency",
	"rule":                 "funds.trace.rule",
	"max_hops":             "funds.trace.maxhops",
	"sources":              "funds.trace.sources",
	"references":           "funds.trace.refs",
	"account":              "funds.acct.account",
	"jurisdiction":         "funds.acct.state",
	"amount":               "rec.f.amount",
	"expenses":             "rec.f.expenses",
	"victims":              "rec.f.victims",
	"request":              "rec.step.request",
	"facts":                "funds.freeze.facts",
	"requesting_authority": "funds.freeze.authority",
}

// problemField names field, the subject of a problem, in l: by its
// form's label where it has one, else as words.
func (l *locale) problemField(field string) string {
	if key, ok := problemFields[field]; ok {
		if key == "" {
			return ""
		}
		return l.t(key)
	}
	return strings.ReplaceAll(field, "_", " ")
}

// requiredProblems says in l that a field of a form was left empty,
// naming it by its label, as the request forms do; the other messages
// stay in English, as the API gives them.
func (l *locale) requiredProblems(ps convention.Problems) convention.Problems {
	if ps == nil {
		return nil
	}
	out := make(convention.Problems, len(ps))
	for i, p := range ps {
		out[i] = p
		key := problemFields[p.Field]
		if key == "" || !strings.HasPrefix(p.Message, "required: ") {
			continue
		}
		label := l.t(key)
		if r, size := utf8.DecodeRuneInString(label); r != utf8.RuneError {
			label = string(unicode.ToLower(r)) + label[size:]
		}
		out[i].Message = l.tf("problem.required", label)
	}
	return out
}

// problems gives ps in l, for a request of kind k: a missing or blank item
// of content is said in l and named by its label; the Convention's other
// messages stay in English, as the API gives them.
func (l *locale) problems(k convention.Kind, ps convention.Problems) convention.Problems {
	spec, _ := convention.Lookup(k)
	out := make(convention.Problems, len(ps))
	for i, p := range ps {
		out[i] = p
		if p.Field == "legal_basis" && p.Ref == casework.ConventionBasisRef && strings.HasPrefix(p.Message, "the Convention cannot be") {
			// Said to an official in the form's own words: the choices
			// as the form names them, not the API's codes.
			out[i].Message = l.tf("problem.basis.notinforce", l.t("basis.treaty"), l.t("basis.reciprocity"))
			continue
		}
		name, content := strings.CutPrefix(p.Field, "fields.")
		f, known := spec.Field(name)
		if !content || !known {
			continue
		}
		label := l.fieldLabel(k, f)
		out[i].Field = label
		lower := label
		if r, size := utf8.DecodeRuneInString(label); r != utf8.RuneError {
			lower = string(unicode.ToLower(r)) + label[size:]
		}
		switch {
		case strings.HasPrefix(p.Message, "required: "):
			out[i].Message = l.tf("problem.required", lower)
		case strings.HasPrefix(p.Message, "must not be blank: "):
			out[i].Message = l.tf("problem.blank", lower)
		}
	}
	return out
}

// t returns the string of key in the language of r.
func t(r *http.Request, key string) string { return localeOf(r.Context()).t(key) }

// tf formats the string of key in the language of r.
func tf(r *http.Request, key string, args ...any) string {
	return localeOf(r.Context()).tf(key, args...)
}

// tn formats the string of key in the language of r, counted by n.
func tn(r *http.Request, key string, n int, args ...any) string {
	return localeOf(r.Context()).tn(key, n, args...)
}

// safeNext is where to go back to after picking a language: a page of the
// UI, never another site.
func safeNext(next string) string {
	if !strings.HasPrefix(next, Prefix) || strings.HasPrefix(next, "//") || strings.ContainsAny(next, "\\\r\n") {
		return Prefix
	}
	return next
}

// setLanguage remembers the language picked with the selector, for a year,
// and goes back to the page it was picked on.
func (u *UI) setLanguage() http.Handler {
	c := mustCatalogue()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, 4<<10)
		if err := r.ParseForm(); err != nil {
			u.fail(w, r, http.StatusBadRequest, t(r, "err.badform"))
			return
		}
		l, ok := c.byCode[r.PostForm.Get("lang")]
		if !ok {
			u.fail(w, r, http.StatusBadRequest, t(r, "lang.unknown"))
			return
		}
		http.SetCookie(w, &http.Cookie{Name: langCookie, Value: l.Code, Path: Prefix, HttpOnly: true, Secure: u.overHTTPS(r),
			SameSite: http.SameSiteLaxMode, MaxAge: 365 * 24 * 3600})
		http.Redirect(w, r, safeNext(r.PostForm.Get("next")), http.StatusSeeOther)
	})
}
