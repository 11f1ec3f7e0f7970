package ui

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"entraide/internal/convention"
	"entraide/internal/funds"
	"entraide/internal/identity"
	"entraide/internal/node"
)

// The recovery dashboard: what the State's cases traced, and how much of
// it was frozen, confiscated and returned (arts. 31, 49-52), per case and
// per State where it sits, with each asset and the form that records its
// next step.

// figuresView is a line of the dashboard, its amounts written out.
type figuresView struct {
	Label                                                                  string
	Currency                                                               string
	Assets                                                                 int
	Traced, Frozen, Released, Confiscated, Returned, Expenses, Compensated string
}

func figuresOf(label string, f node.Figures) figuresView {
	m := func(v int64) string { return money(v, f.Currency) }
	return figuresView{Label: label, Currency: f.Currency, Assets: f.Assets, Traced: m(f.Traced), Frozen: m(f.Frozen), Released: m(f.Released),
		Confiscated: m(f.Confiscated), Returned: m(f.Returned), Expenses: m(f.Expenses), Compensated: m(f.Compensated)}
}

// assetView is an asset as the dashboard lists it.
type assetView struct {
	funds.Asset
	StateName, Status, Amounts string
	Next                       []statusChoice
}

type statusChoice struct{ Code, Name string }

// caseAssets is a case's assets on the dashboard.
type caseAssets struct {
	ID, Title string
	Assets    []assetView
}

// recoveryData is what the dashboard shows.
func (u *UI) recoveryData(r *http.Request) (map[string]any, error) {
	ctx, by := r.Context(), actorFrom(r.Context())
	l := localeOf(ctx)
	d, err := u.node.RecoveryDashboard(ctx, by)
	if err != nil {
		return nil, err
	}
	cases, err := u.node.FundsCases(ctx, by)
	if err != nil {
		return nil, err
	}
	titles := map[string]string{}
	for _, c := range cases {
		titles[c.ID] = c.Title
	}
	stateName := func(code string) string {
		if code == "" {
			return t(r, "funds.unknown")
		}
		return l.stateName(code)
	}
	var byCase, byState, total []figuresView
	for _, c := range d.ByCase {
		for _, f := range c.Figures {
			byCase = append(byCase, figuresOf(titles[c.CaseID], f))
		}
	}
	for _, s := range d.ByState {
		for _, f := range s.Figures {
			byState = append(byState, figuresOf(stateName(s.State), f))
		}
	}
	for _, f := range d.Total {
		total = append(total, figuresOf(t(r, "rec.total"), f))
	}
	var assets []caseAssets
	for _, c := range d.ByCase {
		views, err := u.node.FundsAssets(ctx, by, c.CaseID)
		if err != nil {
			return nil, err
		}
		ca := caseAssets{ID: c.CaseID, Title: titles[c.CaseID]}
		for _, v := range views {
			a := v.Asset
			av := assetView{Asset: a, StateName: stateName(a.Jurisdiction), Status: t(r, "rec.status."+string(a.Status)),
				Amounts: tf(r, "rec.amounts", money(a.Traced, a.Currency), money(a.Frozen, a.Currency), money(a.Confiscated, a.Currency), money(a.Returned, a.Currency))}
			// Only the steps that may follow: offered "traced", or
			// a step out of order, an official would be refused.
			for _, s := range a.Status.Next() {
				av.Next = append(av.Next, statusChoice{Code: string(s), Name: t(r, "rec.status."+string(s))})
			}
			ca.Assets = append(ca.Assets, av)
		}
		assets = append(assets, ca)
	}
	return map[string]any{"Title": t(r, "rec.title"), "ByCase": byCase, "ByState": byState, "Total": total, "Cases": assets,
		"CanRecord": by.Role.Can(identity.RecordRecovery), "Form": url.Values{}, "FieldProblems": map[string]string{}}, nil
}

func (u *UI) recoveryPage() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		data, err := u.recoveryData(r)
		if err != nil {
			u.failErr(w, r, err)
			return
		}
		if m := r.URL.Query().Get("m"); m == "step" {
			data["Notice"] = t(r, "rec.done")
		}
		u.render(w, r, http.StatusOK, "recovery", data)
	})
}

// parseMicros reads a decimal amount ("1234.5") as millionths, exactly;
// empty is zero.
func parseMicros(s string) (int64, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, nil
	}
	whole, frac, _ := strings.Cut(s, ".")
	if whole == "" || len(frac) > 6 || strings.ContainsAny(whole+frac, "+-") {
		return 0, fmt.Errorf("%q", s)
	}
	w, err := strconv.ParseInt(whole, 10, 64)
	if err != nil || w > 9_000_000_000_000 {
		return 0, fmt.Errorf("%q", s)
	}
	f := int64(0)
	if frac != "" {
		if f, err = strconv.ParseInt(frac+strings.Repeat("0", 6-len(frac)), 10, 64); err != nil {
			return 0, fmt.Errorf("%q", s)
		}
	}
	return w*1_000_000 + f, nil
}

// recordStep records the next step of an asset from the dashboard's
// form.
func (u *UI) recordStep() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !u.readForm(w, r) {
			return
		}
		f := r.PostForm
		step := funds.AssetStep{Status: funds.AssetStatus(f.Get("status")), Request: strings.TrimSpace(f.Get("request")), Note: f.Get("note")}
		var ps convention.Problems
		amount := func(field string) int64 {
			v, err := parseMicros(f.Get(field))
			if err != nil {
				ps = append(ps, convention.Problem{Field: field, Ref: funds.RefReturn, Message: tf(r, "rec.badamount", f.Get(field))})
			}
			return v
		}
		step.Amount, step.Expenses = amount("amount"), amount("expenses")
		for _, line := range strings.Split(f.Get("victims"), "\n") {
			ref, amt, ok := strings.Cut(strings.TrimSpace(line), " ")
			if strings.TrimSpace(line) == "" {
				continue
			}
			v, err := parseMicros(amt)
			if !ok || err != nil {
				ps = append(ps, convention.Problem{Field: "victims", Ref: funds.RefVictims, Message: tf(r, "rec.badvictim", line)})
				continue
			}
			step.Victims = append(step.Victims, funds.Victim{Reference: ref, Amount: v})
		}
		var err error
		if len(ps) > 0 {
			err = ps
		} else {
			_, err = u.node.RecordAssetStep(r.Context(), actorFrom(r.Context()), r.PathValue("case"), r.PathValue("asset"), step)
		}
		if err != nil {
			u.formProblems(w, r, err, "recovery", "asset-"+r.PathValue("asset"), func() (map[string]any, error) { return u.recoveryData(r) })
			return
		}
		http.Redirect(w, r, Prefix+"funds/recovery?m=step#asset-"+url.PathEscape(r.PathValue("asset")), http.StatusSeeOther)
	})
}
