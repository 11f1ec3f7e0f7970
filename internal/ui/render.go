package ui

import (
	"bytes"
	"entraide/internal/convention"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"slices"
	"strings"
	"time"

	"entraide/internal/alerting"
)

var funcs = template.FuncMap{
	// t, tf and tn are bound to each language in parse.
	"t":    (*locale)(nil).t,
	"tf":   (*locale)(nil).tf,
	"tn":   (*locale)(nil).tn,
	"word": (*locale)(nil).word,
	// kindName, fieldLabel, offenceName and groundName are bound to each
	// language in parse too.
	"kindName":    (*locale)(nil).kindName,
	"fieldLabel":  (*locale)(nil).fieldLabel,
	"offenceName": (*locale)(nil).offenceName,
	"groundName":  (*locale)(nil).groundName,
	"cite":        (*locale)(nil).cite,
	"stateName":   (*locale)(nil).stateName,
	// problemField is bound to each language in parse too.
	"problemField": (*locale)(nil).problemField,
	// words shows a code (an action, a state, a kind) as words.
	"words": func(v any) string { return strings.ReplaceAll(fmt.Sprint(v), "_", " ") },
	"when": func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.UTC().Format("2006-01-02 15:04")
	},
	"day": func(t *time.Time) string {
		if t == nil || t.IsZero() {
			return ""
		}
		return t.UTC().Format(time.DateOnly)
	},
	"has": func(list []string, s string) bool { return slices.Contains(list, s) },
	// ltr isolates a date, an id or an amount written left to right
	// inside a sentence, so that a right-to-left page does not reorder
	// its digits and hyphens.
	"ltr": func(s string) string { return "\u2066" + s + "\u2069" },
	"dur": func(ms int64) string {
		return (time.Duration(ms) * time.Millisecond).Round(time.Second).String()
	},
	"add": func(a, b int) int { return a + b },
	// condKinds lists the kinds of condition a form offers.
	"condKinds": func() []string {
		var out []string
		for _, k := range convention.ConditionKinds() {
			out = append(out, string(k))
		}
		return out
	},
	"condRef": func(k string) convention.Ref { return convention.ConditionKind(k).Ref() },
	// dict_alert is what the alert template takes.
	"dict_alert": func(a *alerting.Alert, canAck bool) map[string]any { return map[string]any{"A": a, "CanAck": canAck} },
	// dict_figures is what the recovery dashboard's figures take.
	"dict_figures": func(head string, rows []figuresView) map[string]any {
		return map[string]any{"Head": head, "Rows": rows}
	},
}

// parse reads every page with the layout around it, once for each
// language: a page's strings are then looked up in the language it is
// rendered in.
func (u *UI) parse() error {
	c, err := loadCatalogue()
	if err != nil {
		return err
	}
	layout, err := fs.ReadFile(assets, "templates/layout.html")
	if err != nil {
		return err
	}
	names, err := fs.Glob(assets, "templates/*.html")
	if err != nil {
		return err
	}
	u.pages = map[string]map[string]*template.Template{}
	for _, l := range c.locales {
		u.pages[l.Code] = map[string]*template.Template{}
	}
	for _, name := range names {
		base := strings.TrimSuffix(path.Base(name), ".html")
		if base == "layout" {
			continue
		}
		body, err := fs.ReadFile(assets, name)
		if err != nil {
			return err
		}
		tmpl, err := template.New("layout").Funcs(funcs).Parse(string(layout))
		if err != nil {
			return err
		}
		if _, err := tmpl.Parse(string(body)); err != nil {
			return err
		}
		for _, l := range c.locales {
			lt, err := tmpl.Clone()
			if err != nil {
				return err
			}
			u.pages[l.Code][base] = lt.Funcs(template.FuncMap{"t": l.t, "tf": l.tf, "tn": l.tn, "word": l.word,
				"kindName": l.kindName, "fieldLabel": l.fieldLabel, "offenceName": l.offenceName, "groundName": l.groundName, "cite": l.cite, "stateName": l.stateName, "problemField": l.problemField})
		}
	}
	return nil
}

// pageTitles titles the pages whose handlers set no Title, by their
// heading: a screen reader says the title first and a browser's tab shows
// it, so that no two kinds of page share the bare name of the application
// (WCAG 2.4.2).
var pageTitles = map[string]string{"signin": "signin.title", "enrol": "enrol.title", "enrol2": "enrol.step2", "error": "err.title", "continue": "oidc.signedin"}

// render writes page with data and status. The page is rendered into a
// buffer first, so that a template error is a clean 500, not half a page.
func (u *UI) render(w http.ResponseWriter, r *http.Request, status int, page string, data map[string]any) {
	if data == nil {
		data = map[string]any{}
	}
	if v, ok := viewerFrom(r.Context()); ok {
		data["Viewer"] = v.User
	}
	if _, ok := data["Title"]; !ok {
		if key, ok := pageTitles[page]; ok {
			data["Title"] = t(r, key)
		}
	}
	l := localeOf(r.Context())
	data["Path"] = r.URL.Path
	data["Here"] = r.URL.RequestURI()
	data["Lang"] = l
	data["Langs"] = mustCatalogue().locales
	data["OIDC"] = u.oidc != nil
	var buf bytes.Buffer
	tmpl := u.pages[l.Code][page]
	if tmpl == nil {
		u.log.ErrorContext(r.Context(), "no such page", "page", page)
		http.Error(w, t(r, "err.internal"), http.StatusInternalServerError)
		return
	}
	if err := tmpl.Execute(&buf, data); err != nil {
		u.log.ErrorContext(r.Context(), "render", "page", page, "err", err)
		http.Error(w, t(r, "err.internal"), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}
