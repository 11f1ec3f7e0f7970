package ui

import (
	"bytes"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"entraide/internal/casework"
	"entraide/internal/convention"
	"entraide/internal/directory"
	"entraide/internal/funds"
	"entraide/internal/funds/flow"
	"entraide/internal/funds/records"
	"entraide/internal/funds/report"
	"entraide/internal/identity"
	"entraide/internal/node"
	"entraide/internal/store"
	"entraide/internal/typeset"
)

// The fund-tracing pages: a State's cases, a case's records, accounts
// and traces, and a trace drawn as a picture with its tables (arts. 31,
// 40(3), 49-52). The node scopes every read and write to the official's
// State; another State's case is not found.

// money writes millionths of currency with two decimals, as the report
// does.
func money(micros int64, currency string) string {
	return flow.FormatAmount(micros) + " " + currency
}

// allStates lists every participant by its name in l: the choices of an
// account's jurisdiction, the official's own State among them.
func allStates(l *locale) []stateChoice {
	var out []stateChoice
	for _, p := range directory.Participants() {
		out = append(out, stateChoice{Code: p.Code, Name: l.stateName(p.Code)})
	}
	slices.SortFunc(out, func(a, b stateChoice) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// formProblems renders page again with the form as sent and its
// problems, each beside its field, when err carries problems; anything
// else (a case not found, a refusal) is failed as failErr does.
func (u *UI) formProblems(w http.ResponseWriter, r *http.Request, err error, page, section string, data func() (map[string]any, error)) {
	ps := localeOf(r.Context()).requiredProblems(problemsOf(err))
	if ps == nil || errors.Is(err, store.ErrNotFound) || errors.Is(err, casework.ErrNotFound) || errors.Is(err, casework.ErrForbidden) {
		u.failErr(w, r, err)
		return
	}
	d, derr := data()
	if derr != nil {
		u.failErr(w, r, derr)
		return
	}
	d["Form"], d["Problems"], d["FieldProblems"], d["Section"] = r.PostForm, ps, byField(ps), section
	u.render(w, r, http.StatusUnprocessableEntity, page, d)
}

// fundsCasesData is what the list of cases shows.
func (u *UI) fundsCasesData(r *http.Request) (map[string]any, error) {
	cases, err := u.node.FundsCases(r.Context(), actorFrom(r.Context()))
	if err != nil {
		return nil, err
	}
	return map[string]any{"Title": t(r, "funds.title"), "Cases": cases, "Form": url.Values{}, "FieldProblems": map[string]string{}}, nil
}

func (u *UI) fundsPage() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		data, err := u.fundsCasesData(r)
		if err != nil {
			u.failErr(w, r, err)
			return
		}
		u.render(w, r, http.StatusOK, "funds", data)
	})
}

// createFundsCase opens a case of the official's State and shows it.
func (u *UI) createFundsCase() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !u.readForm(w, r) {
			return
		}
		f := r.PostForm
		c, err := u.node.CreateFundsCase(r.Context(), actorFrom(r.Context()), f.Get("title"), f.Get("reference"))
		if err != nil {
			u.formProblems(w, r, err, "funds", "create", func() (map[string]any, error) { return u.fundsCasesData(r) })
			return
		}
		http.Redirect(w, r, Prefix+"funds/"+url.PathEscape(c.ID)+"?m=created", http.StatusSeeOther)
	})
}

// itemChoice is an evidence item the import form offers: one of the
// State's requests', complete.
type itemChoice struct {
	Value, Label string
}

// accountView is an account of a case as its table shows it.
type accountView struct {
	store.FundsAccount
	Name      string
	Sink      bool // cash or bank charges: its name says what it is
	StateName string
	Totals    string
}

// locatorText is the place of a record in its file in r's language: a
// CSV's "line 12" is said in it; an XML path or a JSON index is the
// file's own.
func locatorText(r *http.Request, loc string) string {
	if n, ok := strings.CutPrefix(loc, "line "); ok && n != "" && strings.Trim(n, "0123456789") == "" {
		return tf(r, "funds.locator.line", n)
	}
	return loc
}

func isSink(a funds.Account) bool {
	_, _, ok := a.Sink()
	return ok
}

// accountName is how a page names an account: its IBAN, number or
// address, or, for the cash or the bank's charges of a statement's
// account, what they are and of which account, in r's language.
func accountName(r *http.Request, a funds.Account) string {
	if kind, of, ok := a.Sink(); ok {
		if kind == funds.SinkCash {
			return tf(r, "funds.sink.cash", of)
		}
		return tf(r, "funds.sink.charges", of)
	}
	return a.ID
}

// transferChoice is a transfer the trace form offers as a victim
// payment.
type transferChoice struct {
	ID              funds.TransferID
	At, From, To    string
	Amount, Ref     string
	Locator, ItemID string
}

// maxListed bounds the accounts and transfers a case's page lists: the
// API pages through the rest.
const maxListed = 200

// fundsCaseData is what a case's page shows: its imports, the forms to
// import an item and load rates, its accounts with the form that sets a
// jurisdiction, the trace form and the traces run.
func (u *UI) fundsCaseData(r *http.Request, caseID string) (map[string]any, error) {
	ctx, by := r.Context(), actorFrom(r.Context())
	l := localeOf(ctx)
	v, err := u.node.FundsCase(ctx, by, caseID)
	if err != nil {
		return nil, err
	}
	accounts, err := u.node.FundsAccounts(ctx, by, caseID, 0, maxListed)
	if err != nil {
		return nil, err
	}
	label := map[funds.AccountID]string{}
	var av []accountView
	for _, a := range accounts {
		label[a.ID] = accountName(r, a.Account)
		var totals []string
		for _, tot := range a.Totals {
			totals = append(totals, tf(r, "funds.acct.inout", money(tot.In, tot.Currency), money(tot.Out, tot.Currency)))
		}
		name := t(r, "funds.unknown")
		if a.Account.Jurisdiction != "" {
			name = l.stateName(a.Account.Jurisdiction)
		}
		av = append(av, accountView{FundsAccount: a, Name: accountName(r, a.Account), Sink: isSink(a.Account), StateName: name, Totals: strings.Join(totals, "; ")})
	}
	transfers, err := u.node.FundsTransfers(ctx, by, caseID, 0, 0, maxListed)
	if err != nil {
		return nil, err
	}
	var tv []transferChoice
	for _, tr := range transfers {
		tv = append(tv, transferChoice{ID: tr.ID, At: tr.At.UTC().Format("2006-01-02 15:04"), From: label[tr.From], To: label[tr.To],
			Amount: tr.Amount + " " + tr.Currency, Ref: tr.Reference, Locator: locatorText(r, tr.Locator), ItemID: tr.ItemID})
	}
	var formats []string
	for _, f := range records.Formats() {
		formats = append(formats, string(f))
	}
	mappings, err := u.node.FundsMappings(ctx, by)
	if err != nil {
		return nil, err
	}
	var rules []map[string]string
	for _, ru := range funds.Rules() {
		rules = append(rules, map[string]string{"Code": string(ru), "Name": t(r, "funds.rule."+string(ru)), "Means": t(r, "funds.rule."+string(ru)+".means")})
	}
	data := map[string]any{"Title": tf(r, "funds.case.title", v.Case.Title), "V": v, "Accounts": av, "MoreAccounts": len(accounts) == maxListed,
		"Transfers": tv, "MoreTransfers": len(transfers) == maxListed, "Formats": formats, "Mappings": mappings, "Rules": rules,
		"Items": u.importableItems(r), "States": allStates(l), "CanTrace": by.Role.Can(identity.TraceFunds),
		"Form": url.Values{"rule": {string(funds.FIFO)}}, "FieldProblems": map[string]string{}}
	if m := r.URL.Query().Get("m"); m != "" {
		data["Notice"] = t(r, "funds.done."+m)
	}
	return data, nil
}

// importableItems are the complete evidence items of the State's latest
// requests, sent and received, which an import may read; none when the
// role reads no requests.
func (u *UI) importableItems(r *http.Request) []itemChoice {
	ctx, by := r.Context(), actorFrom(r.Context())
	p, err := u.node.Requests(ctx, by, store.Filter{Limit: 50})
	if err != nil {
		return nil
	}
	var out []itemChoice
	for _, req := range p.Requests {
		items, err := u.node.EvidenceItems(ctx, by, req.ID)
		if err != nil {
			continue
		}
		for _, it := range items {
			if it.SHA256 == "" || it.DisposedAt != nil {
				continue
			}
			out = append(out, itemChoice{Value: req.ID + "/" + it.ID,
				Label: it.Name + " — " + tf(r, "funds.item.of", req.ID) + " — sha256 " + it.SHA256[:12] + "…"})
		}
	}
	return out
}

func (u *UI) fundsCasePage() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		data, err := u.fundsCaseData(r, r.PathValue("case"))
		if err != nil {
			u.failErr(w, r, err)
			return
		}
		u.render(w, r, http.StatusOK, "fundscase", data)
	})
}

// caseForm handles a form of a case's page: do acts on the form and
// returns the notice to show after, or problems to show beside the
// form's fields in section.
func (u *UI) caseForm(section string, do func(r *http.Request, by casework.Actor, caseID string) (string, error)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if section != "rates" && !u.readForm(w, r) {
			return
		}
		caseID := r.PathValue("case")
		next, err := do(r, actorFrom(r.Context()), caseID)
		if err != nil {
			u.formProblems(w, r, err, "fundscase", section, func() (map[string]any, error) { return u.fundsCaseData(r, caseID) })
			return
		}
		if strings.HasPrefix(next, "/") {
			http.Redirect(w, r, next, http.StatusSeeOther)
			return
		}
		http.Redirect(w, r, Prefix+"funds/"+url.PathEscape(caseID)+"?m="+next+"#"+section, http.StatusSeeOther)
	})
}

func (u *UI) importFunds() http.Handler {
	return u.caseForm("import", func(r *http.Request, by casework.Actor, caseID string) (string, error) {
		f := r.PostForm
		requestID, itemID, _ := strings.Cut(f.Get("item"), "/")
		_, err := u.node.ImportFundsRecords(r.Context(), by, caseID, node.FundsImport{RequestID: requestID, ItemID: itemID,
			Format: records.Format(f.Get("format")), Mapping: f.Get("mapping")})
		return "imported", err
	})
}

// maxRatesFile is the largest file of rates the form takes.
const maxRatesFile = 4 << 20

func (u *UI) loadRates() http.Handler {
	return u.caseForm("rates", func(r *http.Request, by casework.Actor, caseID string) (string, error) {
		problem := func(field, key string) error {
			return convention.Problems{{Field: field, Ref: convention.Art(31), Message: t(r, key)}}
		}
		// Another State's case is not found before its form is read, as
		// for every other form of a case.
		if _, err := u.node.FundsCase(r.Context(), by, caseID); err != nil {
			r.PostForm = url.Values{}
			return "", err
		}
		r.Body = http.MaxBytesReader(nil, r.Body, maxRatesFile+maxForm)
		if err := r.ParseMultipartForm(maxRatesFile); err != nil {
			if r.PostForm == nil {
				r.PostForm = url.Values{}
			}
			return "", problem("file", "funds.rates.nofile")
		}
		file, _, err := r.FormFile("file")
		if err != nil {
			return "", problem("file", "funds.rates.nofile")
		}
		defer file.Close()
		rates, err := records.ParseRates(file)
		if err != nil {
			return "", convention.Problems{{Field: "file", Ref: convention.Art(31), Message: err.Error()}}
		}
		_, err = u.node.LoadFundsRates(r.Context(), by, caseID, strings.ToUpper(strings.TrimSpace(r.PostForm.Get("currency"))), rates)
		return "rates", err
	})
}

func (u *UI) setJurisdiction() http.Handler {
	return u.caseForm("accounts", func(r *http.Request, by casework.Actor, caseID string) (string, error) {
		id, err := strconv.ParseInt(r.PostForm.Get("account"), 10, 64)
		if err != nil {
			return "", convention.Problems{{Field: "account", Ref: convention.Art(31), Message: t(r, "funds.acct.choose")}}
		}
		_, err = u.node.SetFundsAccountJurisdiction(r.Context(), by, caseID, funds.AccountID(id), r.PostForm.Get("state"))
		// The node names the State it was given "state", which elsewhere
		// in the UI is a request's status: here it is a jurisdiction.
		var ps convention.Problems
		if errors.As(err, &ps) {
			for i := range ps {
				if ps[i].Field == "state" {
					ps[i].Field = "jurisdiction"
				}
			}
		}
		return "jurisdiction", err
	})
}

// traceFunds runs a trace from the form and shows it.
func (u *UI) traceFunds() http.Handler {
	return u.caseForm("trace", func(r *http.Request, by casework.Actor, caseID string) (string, error) {
		f := r.PostForm
		in := node.TraceInput{Options: funds.Options{Rule: funds.Rule(f.Get("rule")), Currency: strings.ToUpper(strings.TrimSpace(f.Get("currency")))}}
		var ps convention.Problems
		for _, s := range f["sources"] {
			id, err := strconv.ParseInt(s, 10, 64)
			if err != nil {
				ps = append(ps, convention.Problem{Field: "sources", Ref: convention.Art(31), Message: tf(r, "funds.trace.badsource", s)})
				continue
			}
			in.Sources = append(in.Sources, funds.TransferID(id))
		}
		for _, ref := range strings.Split(f.Get("references"), "\n") {
			if ref = strings.TrimSpace(ref); ref != "" {
				in.References = append(in.References, ref)
			}
		}
		if len(in.Sources) == 0 && len(in.References) == 0 {
			ps = append(ps, convention.Problem{Field: "sources", Ref: convention.Art(31), Message: t(r, "funds.trace.nosource")})
		}
		if v := strings.TrimSpace(f.Get("until")); v != "" {
			d, err := time.Parse(time.DateOnly, v)
			if err != nil {
				ps = append(ps, convention.Problem{Field: "until", Ref: convention.Art(31), Message: tf(r, "funds.trace.baduntil", v)})
			}
			// The whole day counts: transfers on it are followed.
			in.Options.Until = d.Add(24*time.Hour - time.Microsecond)
		}
		if v := strings.TrimSpace(f.Get("max_hops")); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 {
				ps = append(ps, convention.Problem{Field: "max_hops", Ref: convention.Art(31), Message: tf(r, "funds.trace.badhops", v)})
			}
			in.Options.MaxHops = n
		}
		if len(ps) > 0 {
			return "", ps
		}
		tv, err := u.node.TraceFunds(r.Context(), by, caseID, in)
		if err != nil {
			return "", err
		}
		return Prefix + "funds/" + url.PathEscape(caseID) + "/traces/" + url.PathEscape(tv.ID), nil
	})
}

// flowRow is a band of the picture as its table gives it.
type flowRow struct {
	From, To, Amount string
}

// holdingView is an account that holds traced funds, as the trace's
// table shows it.
type holdingView struct {
	Account, Holder, Bank, State, Amount string
}

// hopView is a transfer of the trace with its record.
type hopView struct {
	N, Depth                 int
	At, From, To             string
	Traced, Amount, Recorded string
	RequestID, ItemID        string
	SHA256, Locator, Ref     string
}

// maxHopsShown bounds the hops the trace's page lists; the report and
// the API give them all.
const maxHopsShown = 500

// fundsTraceData is what a trace's page shows.
func (u *UI) fundsTraceData(r *http.Request, caseID, traceID string) (map[string]any, error) {
	ctx, by := r.Context(), actorFrom(r.Context())
	l := localeOf(ctx)
	c, err := u.node.FundsCase(ctx, by, caseID)
	if err != nil {
		return nil, err
	}
	tv, err := u.node.FundsTrace(ctx, by, caseID, traceID)
	if err != nil {
		return nil, err
	}
	res, cur := &tv.Result, tv.Currency
	hashes := map[string]string{}
	for _, im := range c.Imports {
		hashes[im.ID] = im.SHA256
	}
	accountLabel := func(id funds.AccountID) string {
		if a := tv.Accounts[id].Account; a.ID != "" {
			return accountName(r, a)
		}
		return "#" + strconv.FormatInt(int64(id), 10)
	}
	stateName := func(code string) string {
		switch code {
		case "":
			return t(r, "funds.unknown")
		case flow.Several:
			return t(r, "funds.flow.several")
		}
		return l.stateName(code)
	}
	g := flow.FromResult(res, func(id funds.AccountID) flow.AccountInfo {
		return flow.AccountInfo{Label: accountLabel(id), State: tv.Accounts[id].Account.Jurisdiction}
	}, flow.Limits{})
	layout := g.Layout()
	var held int64
	for _, h := range res.Holdings {
		held += h.Traced
	}
	words := flow.Words{
		Title:         t(r, "funds.flow.title"),
		Description:   tf(r, "funds.flow.desc", money(res.Traced, cur), len(res.Sources), len(tv.ByState)),
		State:         stateName,
		Unknown:       t(r, "funds.unknown"),
		Several:       t(r, "funds.flow.several"),
		Dust:          t(r, "funds.flow.dust"),
		Held:          func(s string) string { return tf(r, "funds.flow.held", s) },
		OtherAccounts: func(n int) string { return tf(r, "funds.flow.otheraccounts", n) },
		OtherStates:   func(n int) string { return tf(r, "funds.flow.otherstates", n) },
		Amount:        func(m int64) string { return money(m, cur) },
		Flow:          func(from, to, amount string) string { return tf(r, "funds.flow.band", from, to, amount) },
		Cut:           func(a, s int) string { return tf(r, "funds.flow.cut", a, s) },
	}
	var svg bytes.Buffer
	if err := layout.SVG(&svg, words, flow.SVGOptions{ID: "flow", RTL: l.Dir == "rtl"}); err != nil {
		return nil, err
	}
	var flows []flowRow
	for _, k := range g.Links {
		flows = append(flows, flowRow{From: flow.Label(g.Nodes[k.From], cur, words), To: flow.Label(g.Nodes[k.To], cur, words), Amount: money(k.Value, cur)})
	}
	type stateRow struct{ State, Amount, Colour string }
	var byState []stateRow
	for _, s := range tv.ByState {
		c := layout.Colour(s.State)
		byState = append(byState, stateRow{State: stateName(s.State), Amount: money(s.Traced, cur), Colour: fmt.Sprintf("#%02x%02x%02x", c.R, c.G, c.B)})
	}
	var holdings []holdingView
	for _, h := range res.Holdings {
		a := tv.Accounts[h.Account].Account
		hv := holdingView{Account: accountLabel(h.Account), Holder: a.Holder, Bank: a.Bank, State: stateName(a.Jurisdiction), Amount: money(h.Traced, cur)}
		if isSink(a) {
			hv.Holder, hv.Bank = "", ""
		}
		holdings = append(holdings, hv)
	}
	var hops []hopView
	for i, h := range res.Hops {
		if i == maxHopsShown {
			break
		}
		rec := tv.Transfers[h.Transfer]
		hv := hopView{N: i + 1, Depth: h.Depth, At: h.At.UTC().Format("2006-01-02 15:04"), From: accountLabel(h.From), To: accountLabel(h.To),
			Traced: money(h.Traced, cur), Amount: money(h.Amount, cur), RequestID: rec.RequestID, ItemID: rec.ItemID,
			SHA256: hashes[rec.ImportID], Locator: locatorText(r, rec.Locator), Ref: rec.Reference}
		if rec.Currency != cur {
			hv.Recorded = rec.Amount + " " + rec.Currency
		}
		hops = append(hops, hv)
	}
	type shortView struct{ Account, At, Amount, Locator string }
	var shorts []shortView
	for _, s := range res.Shortfalls {
		shorts = append(shorts, shortView{Account: accountLabel(s.Account), At: s.At.UTC().Format("2006-01-02 15:04"), Amount: money(s.Amount, cur),
			Locator: locatorText(r, tv.Transfers[s.Transfer].Locator)})
	}
	var sources []string
	for _, s := range res.Sources {
		rec := tv.Transfers[s]
		sources = append(sources, rec.At.UTC().Format("2006-01-02")+" · "+accountLabel(rec.From)+" → "+accountLabel(rec.To)+" · "+rec.Amount+" "+rec.Currency)
	}
	rule := string(res.Options.Rule)
	until := ""
	if !res.Options.Until.IsZero() {
		until = res.Options.Until.UTC().Format("2006-01-02")
	}
	return map[string]any{"Title": tf(r, "funds.trace.title", c.Case.Title), "Case": c.Case, "T": tv,
		"RuleName": t(r, "funds.rule."+rule), "RuleMeans": t(r, "funds.rule."+rule+".means"), "Until": until,
		"MaxHops": res.Options.MaxHops, "Traced": money(res.Traced, cur), "Held": money(held, cur), "Dust": money(res.Dust, cur),
		"Sources": sources, "SVG": template.HTML(svg.String()), "Flows": flows, "ByState": byState, "Holdings": holdings,
		"Hops": hops, "MoreHops": max(len(res.Hops)-maxHopsShown, 0), "Shortfalls": shorts,
		"CanTrace": by.Role.Can(identity.TraceFunds), "CanFreeze": by.Role.Can(identity.RecordRecovery),
		"Form": url.Values{}, "FieldProblems": map[string]string{}}, nil
}

// draftView is a freezing request a trace drafted, or the measure it
// names instead, as the trace's page lists it.
type draftView struct {
	node.FreezingDraft
	StateName, Measure, Traced string
}

// prepareFreezing drafts the freezing requests of a trace, one to each
// State where its funds sit (arts. 31, 49, 50(3)(c)), and shows them on
// the trace's page with a link to each draft, which an official checks
// and sends as any request.
func (u *UI) prepareFreezing() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !u.readForm(w, r) {
			return
		}
		f, caseID, traceID := r.PostForm, r.PathValue("case"), r.PathValue("trace")
		data := func() (map[string]any, error) { return u.fundsTraceData(r, caseID, traceID) }
		in := node.FreezeInput{Facts: f.Get("facts"), RequestingAuthority: f.Get("requesting_authority")}
		var ps convention.Problems
		for _, a := range strings.FieldsFunc(f.Get("offences"), func(c rune) bool { return c == ',' || c == ' ' }) {
			n, err := strconv.Atoi(a)
			if err != nil {
				ps = append(ps, convention.Problem{Field: "offences", Ref: convention.Art(35).Para(1), Message: tf(r, "funds.freeze.badoffence", a)})
				continue
			}
			in.Offences = append(in.Offences, convention.Charge{Article: n})
		}
		var drafts []node.FreezingDraft
		err := error(ps)
		if len(ps) == 0 {
			drafts, err = u.node.FreezingRequestsFromTrace(r.Context(), actorFrom(r.Context()), caseID, traceID, in)
		}
		if err != nil {
			u.formProblems(w, r, err, "fundstrace", "freeze", data)
			return
		}
		d, err := data()
		if err != nil {
			u.failErr(w, r, err)
			return
		}
		l := localeOf(r.Context())
		var views []draftView
		for _, dr := range drafts {
			name := t(r, "funds.unknown")
			if dr.State != "" {
				name = l.stateName(dr.State)
			}
			views = append(views, draftView{FreezingDraft: dr, StateName: name, Measure: t(r, "funds.freeze.measure."+dr.Measure), Traced: money(dr.Traced, dr.Currency)})
		}
		d["Drafts"] = views
		d["Notice"] = t(r, "funds.freeze.done")
		u.render(w, r, http.StatusOK, "fundstrace", d)
	})
}

func (u *UI) fundsTracePage() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		data, err := u.fundsTraceData(r, r.PathValue("case"), r.PathValue("trace"))
		if err != nil {
			u.failErr(w, r, err)
			return
		}
		u.render(w, r, http.StatusOK, "fundstrace", data)
	})
}

// traceReportPDF answers a trace's report, as the API does, in the
// language the link asks for, else the page's.
func (u *UI) traceReportPDF() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		lang := r.URL.Query().Get("lang")
		if lang == "" {
			lang = localeOf(r.Context()).Code
		}
		rep, err := u.node.FundsTraceReport(r.Context(), actorFrom(r.Context()), r.PathValue("case"), r.PathValue("trace"), lang)
		if err != nil {
			u.failErr(w, r, err)
			return
		}
		var pdf bytes.Buffer
		if err := report.Write(&pdf, rep, typeset.Fonts{}); err != nil {
			if errors.Is(err, typeset.ErrNoCJKFont) {
				u.fail(w, r, http.StatusServiceUnavailable, tf(r, "letter.nofont", err.Error()))
				return
			}
			u.failErr(w, r, err)
			return
		}
		h := w.Header()
		h.Set("Content-Type", "application/pdf")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Content-Disposition", `inline; filename="trace-`+rep.Trace+`-`+rep.Lang+`.pdf"`)
		w.Write(pdf.Bytes())
	})
}
