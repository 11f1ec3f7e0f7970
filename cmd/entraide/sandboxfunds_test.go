package main

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"entraide/internal/node"
	"entraide/internal/store"

	"entraide/internal/funds/records"
)

// The sandbox's statement reads as camt.053, with its six entries and
// its opening balance.
func TestDemoStatementTraces(t *testing.T) {
	recs, err := records.Parse(records.Camt053, strings.NewReader(demoStatement()), nil)
	if err != nil {
		t.Fatalf("the sandbox's statement does not read: %v", err)
	}
	if len(recs.Transfers) != 6 || len(recs.Balances) != 1 {
		t.Fatalf("%d transfers and %d balances, want 6 and 1", len(recs.Transfers), len(recs.Balances))
	}
	if p := recs.Transfers[0]; p.Reference != "FDR-2026-0917" || p.Micros != 480_000_000_000 || p.From.Jurisdiction != "FRA" || p.To.Jurisdiction != "VNM" {
		t.Errorf("the victim payment reads as %+v", p)
	}
}

// checkSandboxFunds checks, as France's central authority, the sandbox's
// fund-tracing case: the trace leaves EUR 281,200 of the payment in Viet
// Nam (111,196.50 in the account, 145,000 at the other bank, 25,000 in
// cash, 3.50 in charges) and EUR 198,800 in South Africa (the payment of
// 200,000 took the holder's own 1,200 first).
func checkSandboxFunds(t *testing.T, client *http.Client, base, token string) {
	t.Helper()
	get := func(path string, v any) {
		t.Helper()
		req, _ := http.NewRequestWithContext(t.Context(), "GET", base+path, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			body, _ := io.ReadAll(resp.Body)
			t.Fatalf("GET %s = %s %s", path, resp.Status, body)
		}
		if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
	}
	var cases []store.FundsCase
	get("/api/v1/funds/cases", &cases)
	if len(cases) != 1 {
		t.Fatalf("France's fund-tracing cases: %+v, want the demo's one", cases)
	}
	var traces []store.FundsTrace
	get("/api/v1/funds/cases/"+cases[0].ID+"/traces", &traces)
	if len(traces) != 1 {
		t.Fatalf("the demo case's traces: %+v, want one", traces)
	}
	var view node.TraceView
	get("/api/v1/funds/cases/"+cases[0].ID+"/traces/"+traces[0].ID, &view)
	byState := map[string]int64{}
	for _, s := range view.ByState {
		byState[s.State] = s.Traced
	}
	if byState["VNM"] != 281_200_000_000 || byState["ZAF"] != 198_800_000_000 || len(byState) != 2 {
		t.Errorf("the demo trace leaves %v (millionths of EUR) per State, want VNM 281,200 and ZAF 198,800", byState)
	}
}
