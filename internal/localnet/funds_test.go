package localnet_test

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"entraide/internal/casework"
	"entraide/internal/evidence"
	"entraide/internal/funds"
	"entraide/internal/funds/records"
	"entraide/internal/identity"
	"entraide/internal/localnet"
	"entraide/internal/node"
	"entraide/internal/store"
)

// answerWith has to ask from, to execute its request and send data back
// as an item of evidence, over HTTPS; it returns the request and the
// item as from's node received it.
func answerWith(t *testing.T, net *localnet.Network, from, to api, toState, name string, data []byte) (request, item string) {
	t.Helper()
	var r casework.Request
	from.do("POST", "/api/v1/requests", mla(toState), &r)
	if code := from.do("POST", "/api/v1/requests/"+r.ID+"/transitions", casework.Transition{Action: casework.Send}, nil); code != 200 {
		t.Fatalf("send to %s: %d", toState, code)
	}
	to.waitFor(r.ID, casework.Received)
	for _, a := range []casework.Action{casework.Acknowledge, casework.Start} {
		if code := to.do("POST", "/api/v1/requests/"+r.ID+"/transitions", casework.Transition{Action: a}, nil); code != 200 {
			t.Fatalf("%s: %d", a, code)
		}
	}
	by := casework.Actor{ID: "ca-" + strings.ToLower(toState), State: toState, Role: identity.CentralAuthority}
	n := net.Nodes[toState].Node
	it, err := n.StartEvidence(t.Context(), by, r.ID, evidence.Spec{Name: name, MediaType: "application/octet-stream"}, int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := n.AppendEvidence(t.Context(), by, it.ID, 0, bytes.NewReader(data)); err != nil {
		t.Fatal(err)
	}
	if _, err := n.CompleteEvidence(t.Context(), by, it.ID); err != nil {
		t.Fatal(err)
	}
	if code := to.do("POST", "/api/v1/requests/"+r.ID+"/evidence/"+it.ID+"/send", nil, nil); code != http.StatusAccepted {
		t.Fatalf("%s sends the item: %d", toState, code)
	}
	return r.ID, waitItem(t, from, r.ID, evidence.Available).ID
}

// Arts. 31, 40(3): FRA asks VNM and ZAF for bank records, which come
// back over HTTPS as evidence: VNM's camt.053 statement of the account
// the victim paid, ZAF's CSV export of an account it paid on to. FRA's
// investigator imports both into a case (each read in the item's
// custody), the account both name is one, and a trace says how much of
// the victim's 50,000 EUR sits in each State; VNM's officials, whose
// node returned one of the files, get 404 on every route of FRA's case.
func TestFundsTracedAcrossStates(t *testing.T) {
	net, officials := startNetwork(t, "FRA", "VNM", "ZAF")
	fra, vnm, zaf := officials["FRA"], officials["VNM"], officials["ZAF"]
	camt, err := os.ReadFile("../funds/records/testdata/camt053_v08.xml")
	if err != nil {
		t.Fatal(err)
	}
	// Gamma Trading's account at NatWest, as ZAF's bank saw it pay a
	// South African account at FNB.
	csv := []byte("date,amount,currency,counterparty,bank,name,reference\n" +
		"2024-03-06,-25000.00,EUR,62012345678,FIRNZAJJ,Kaya Imports (Pty) Ltd,KAYA-0306\n")
	vnmRequest, vnmItem := answerWith(t, net, fra, vnm, "VNM", "statement.xml", camt)
	zafRequest, zafItem := answerWith(t, net, fra, zaf, "ZAF", "gamma.csv", csv)

	token, err := net.Official(context.Background(), "FRA", "inv-fra", "Investigator of FRA", identity.Investigator)
	if err != nil {
		t.Fatal(err)
	}
	inv := api{t: t, net: net, url: fra.url, token: token}
	var c store.FundsCase
	if code := inv.do("POST", "/api/v1/funds/cases", map[string]string{"title": "Romance scam, Lyon", "reference": "PNC-2026-17"}, &c); code != http.StatusCreated {
		t.Fatalf("create case: %d", code)
	}
	mapping := records.Mapping{HasHeader: true, Date: "date", DateLayout: "2006-01-02", Amount: "amount", DecimalSeparator: ".", Currency: "currency",
		CounterpartyAccount: "counterparty", CounterpartyBank: "bank", CounterpartyName: "name", Reference: "reference",
		AccountID: "GB29NWBK60161331926819", AccountBank: "NWBKGB2L", AccountHolder: "Gamma Trading Ltd"}
	if code := inv.do("POST", "/api/v1/funds/mappings", map[string]any{"name": "natwest", "mapping": mapping}, nil); code != http.StatusCreated {
		t.Fatalf("save mapping: %d", code)
	}
	casePath := "/api/v1/funds/cases/" + c.ID
	for _, in := range []node.FundsImport{
		{RequestID: vnmRequest, ItemID: vnmItem, Format: records.Camt053},
		{RequestID: zafRequest, ItemID: zafItem, Format: records.CSV, Mapping: "natwest"},
	} {
		if code := inv.do("POST", casePath+"/imports", in, nil); code != http.StatusCreated {
			t.Fatalf("import %s: %d", in.Format, code)
		}
	}
	if code := inv.do("POST", casePath+"/imports", node.FundsImport{RequestID: vnmRequest, ItemID: vnmItem, Format: records.Camt053}, nil); code != http.StatusConflict {
		t.Errorf("the statement imported again: %d, want 409", code)
	}
	if got := custody(t, fra, vnmRequest, vnmItem); !slices.Contains(got, evidence.ActionImported) {
		t.Errorf("FRA's custody of VNM's statement = %v, want its import", got)
	}

	var accounts []store.FundsAccount
	if code := inv.do("GET", casePath+"/accounts", nil, &accounts); code != http.StatusOK {
		t.Fatalf("accounts: %d", code)
	}
	var gamma []store.FundsAccount
	for _, a := range accounts {
		if a.Account.ID == "GB29NWBK60161331926819" {
			gamma = append(gamma, a)
		}
	}
	if len(gamma) != 1 || gamma[0].Account.Jurisdiction != "GBR" || len(gamma[0].Totals) != 1 || gamma[0].Totals[0].Out != 25_000_000_000 {
		t.Errorf("Gamma's account = %+v; want one account, in GBR, paying out ZAF's 25,000", gamma)
	}

	var tv node.TraceView
	in := node.TraceInput{References: []string{"INV-2024-0042"}, Options: funds.Options{Rule: funds.FIFO, Currency: "EUR"}}
	if code := inv.do("POST", casePath+"/traces", in, &tv); code != http.StatusCreated {
		t.Fatalf("trace: %d", code)
	}
	byState := map[string]int64{}
	for _, s := range tv.ByState {
		byState[s.State] = s.Traced
	}
	if tv.Result.Traced != 50_000_000_000 || byState["ZAF"] == 0 || byState["DEU"] == 0 {
		t.Errorf("trace = %d traced, by State %v; want 50,000 EUR, some in ZAF (through ZAF's record) and in DEU", tv.Result.Traced, byState)
	}
	for _, h := range tv.Result.Hops {
		if tr := tv.Transfers[h.Transfer]; tr.ItemID != vnmItem && tr.ItemID != zafItem {
			t.Errorf("hop %d comes from item %q, not one of the two received", h.Transfer, tr.ItemID)
		}
	}

	// VNM, whose node gave the statement, reaches nothing of FRA's case.
	account := strconv.FormatInt(int64(gamma[0].ID), 10)
	vnmInv, err := net.Official(context.Background(), "VNM", "inv-vnm", "Investigator of VNM", identity.Investigator)
	if err != nil {
		t.Fatal(err)
	}
	for _, as := range []api{vnm, {t: t, net: net, url: vnm.url, token: vnmInv}, {t: t, net: net, url: fra.url, token: vnm.token}} {
		for _, call := range []struct {
			method, path string
			body         any
		}{
			{"GET", casePath, nil},
			{"POST", casePath + "/imports", node.FundsImport{RequestID: vnmRequest, ItemID: vnmItem, Format: records.Camt053}},
			{"GET", casePath + "/accounts", nil},
			{"GET", casePath + "/transfers", nil},
			{"PUT", casePath + "/accounts/" + account + "/jurisdiction", map[string]string{"state": "VNM"}},
			{"POST", casePath + "/rates", map[string]any{"currency": "USD", "rates": []funds.Rate{{Day: time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC), Currency: "EUR", PerUnit: "1.08"}}}},
			{"GET", casePath + "/rates", nil},
			{"POST", casePath + "/traces", in},
			{"GET", casePath + "/traces", nil},
			{"GET", casePath + "/traces/" + tv.ID, nil},
		} {
			// On VNM's node the case does not exist; on FRA's, a token of
			// VNM's is no token there.
			want := http.StatusNotFound
			if as.url == fra.url {
				want = http.StatusUnauthorized
			}
			if code := as.do(call.method, call.path, call.body, nil); code != want {
				t.Errorf("VNM: %s %s at %s = %d, want %d", call.method, call.path, as.url, code, want)
			}
		}
	}
}
