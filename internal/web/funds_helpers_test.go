package web

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"entraide/internal/evidence"
	"entraide/internal/funds"
	"entraide/internal/funds/records"
	"entraide/internal/identity"
	"entraide/internal/node"
)

// victimPayment is the reference of the victim's payment in
// camt053_v08.xml: 50,000 EUR from an Italian account to a French one.
const victimPayment = "INV-2024-0042"

func camtStatement(tb testing.TB) []byte {
	tb.Helper()
	b, err := os.ReadFile("../funds/records/testdata/camt053_v08.xml")
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// testMapping reads a CSV export of one account: date, amount,
// currency, counterparty.
var testMapping = records.Mapping{HasHeader: true, Date: "date", DateLayout: "2006-01-02", Amount: "amount", DecimalSeparator: ".",
	Currency: "currency", CounterpartyAccount: "counterparty", CounterpartyName: "name", Reference: "reference",
	AccountID: "CH9300762011623852957", AccountBank: "UBSWCHZH80A", AccountHolder: "Zeta Services AG"}

// fundsCase is a case of state's with the camt.053 statement imported
// from an item of a draft of state's: it returns the case, the item's
// request and the item.
func (tn *testNode) fundsCase(tb testing.TB, state string) (caseID, request, item string) {
	tb.Helper()
	by := actor(state, identity.Investigator)
	c, err := tn.Node.CreateFundsCase(tb.Context(), by, "Romance scam of "+state, "REF-"+state)
	if err != nil {
		tb.Fatalf("CreateFundsCase: %v", err)
	}
	request, item = tn.addItem(tb, state, camtStatement(tb))
	if _, err := tn.Node.ImportFundsRecords(tb.Context(), by, c.ID, node.FundsImport{RequestID: request, ItemID: item, Format: records.Camt053}); err != nil {
		tb.Fatalf("ImportFundsRecords: %v", err)
	}
	return c.ID, request, item
}

// fundsTrace is a trace of the victim's payment in a new case of
// state's.
func (tn *testNode) fundsTrace(tb testing.TB, state string) (caseID, trace string) {
	tb.Helper()
	caseID, _, _ = tn.fundsCase(tb, state)
	tv, err := tn.Node.TraceFunds(tb.Context(), actor(state, identity.Investigator), caseID,
		node.TraceInput{References: []string{victimPayment}, Options: funds.Options{Rule: funds.FIFO, Currency: "EUR"}})
	if err != nil {
		tb.Fatalf("TraceFunds: %v", err)
	}
	return caseID, tv.ID
}

// victimFunds gives state a case with a trace, its first account and a
// saved mapping, whose title and name only state's officials may read.
func (tn *testNode) victimFunds(t testing.TB, v *victimData) {
	t.Helper()
	v.tracedCase, v.fundsTrace = tn.fundsTrace(t, v.state)
	accounts, err := tn.Node.FundsAccounts(t.Context(), actor(v.state, identity.Investigator), v.tracedCase, 0, 1)
	if err != nil || len(accounts) == 0 {
		t.Fatalf("FundsAccounts = %v, %v", accounts, err)
	}
	v.fundsAccount = strconv.FormatInt(int64(accounts[0].ID), 10)
	v.mapping = "mapping-only-" + v.state + "-knows"
	if _, err := tn.Node.SaveFundsMapping(t.Context(), actor(v.state, identity.Investigator), v.mapping, testMapping); err != nil {
		t.Fatalf("SaveFundsMapping: %v", err)
	}
}

// addItemTo stores data as an item of state's request r.
func (tn *testNode) addItemTo(tb testing.TB, state, r string, data []byte) (request, item string) {
	tb.Helper()
	by := actor(state, identity.CentralAuthority)
	it, err := tn.Node.StartEvidence(tb.Context(), by, r, evidence.Spec{Name: "statement.xml", MediaType: "application/xml"}, int64(len(data)))
	if err != nil {
		tb.Fatalf("StartEvidence: %v", err)
	}
	if _, err := tn.Node.AppendEvidence(tb.Context(), by, it.ID, 0, bytes.NewReader(data)); err != nil {
		tb.Fatalf("AppendEvidence: %v", err)
	}
	if _, err := tn.Node.CompleteEvidence(tb.Context(), by, it.ID); err != nil {
		tb.Fatalf("CompleteEvidence: %v", err)
	}
	return r, it.ID
}

var mappingNames atomic.Int64

// freshMapping is a mapping name no call used before.
func freshMapping() string { return fmt.Sprintf("bank-%d", mappingNames.Add(1)) }

var traceRates = ratesInput{Currency: "USD", Rates: []funds.Rate{{Day: time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC), Currency: "EUR", PerUnit: "1.08"}}}

func init() {
	casePath := func(suffix string) func(t *testing.T, tn *testNode, s string) routeCall {
		return func(t *testing.T, tn *testNode, s string) routeCall {
			c, _, _ := tn.fundsCase(t, s)
			return routeCall{path: "/api/v1/funds/cases/" + c + suffix}
		}
	}
	routeCases["POST /api/v1/funds/cases"] = func(*testing.T, *testNode, string) routeCall {
		return routeCall{path: "/api/v1/funds/cases", body: fundsCaseInput{Title: "Investment fraud", Reference: "PNC-1"}}
	}
	routeCases["GET /api/v1/funds/cases"] = func(*testing.T, *testNode, string) routeCall { return routeCall{path: "/api/v1/funds/cases"} }
	routeCases["GET /api/v1/funds/cases/{id}"] = casePath("")
	routeCases["POST /api/v1/funds/cases/{id}/imports"] = func(t *testing.T, tn *testNode, s string) routeCall {
		c, r, _ := tn.fundsCase(t, s)
		_, it := tn.addItemTo(t, s, r, camtStatement(t))
		return routeCall{path: "/api/v1/funds/cases/" + c + "/imports", body: node.FundsImport{RequestID: r, ItemID: it, Format: records.Camt053}}
	}
	routeCases["GET /api/v1/funds/cases/{id}/accounts"] = casePath("/accounts")
	routeCases["GET /api/v1/funds/cases/{id}/transfers"] = casePath("/transfers")
	routeCases["PUT /api/v1/funds/cases/{id}/accounts/{account}/jurisdiction"] = func(t *testing.T, tn *testNode, s string) routeCall {
		c, _, _ := tn.fundsCase(t, s)
		accounts, err := tn.Node.FundsAccounts(t.Context(), actor(s, identity.Investigator), c, 0, 1)
		if err != nil || len(accounts) == 0 {
			t.Fatalf("FundsAccounts = %v, %v", accounts, err)
		}
		return routeCall{path: "/api/v1/funds/cases/" + c + "/accounts/" + strconv.FormatInt(int64(accounts[0].ID), 10) + "/jurisdiction", body: jurisdictionInput{State: "VNM"}}
	}
	routeCases["POST /api/v1/funds/cases/{id}/rates"] = func(t *testing.T, tn *testNode, s string) routeCall {
		c, _, _ := tn.fundsCase(t, s)
		return routeCall{path: "/api/v1/funds/cases/" + c + "/rates", body: traceRates}
	}
	routeCases["GET /api/v1/funds/cases/{id}/rates"] = casePath("/rates")
	routeCases["POST /api/v1/funds/cases/{id}/traces"] = func(t *testing.T, tn *testNode, s string) routeCall {
		c, _, _ := tn.fundsCase(t, s)
		return routeCall{path: "/api/v1/funds/cases/" + c + "/traces",
			body: node.TraceInput{References: []string{victimPayment}, Options: funds.Options{Rule: funds.LIBR, Currency: "EUR"}}}
	}
	routeCases["GET /api/v1/funds/cases/{id}/traces"] = casePath("/traces")
	routeCases["GET /api/v1/funds/cases/{id}/traces/{trace}"] = func(t *testing.T, tn *testNode, s string) routeCall {
		c, tr := tn.fundsTrace(t, s)
		return routeCall{path: "/api/v1/funds/cases/" + c + "/traces/" + tr}
	}
	routeCases["POST /api/v1/funds/mappings"] = func(*testing.T, *testNode, string) routeCall {
		return routeCall{path: "/api/v1/funds/mappings", body: mappingInput{Name: freshMapping(), Mapping: testMapping}}
	}
	routeCases["GET /api/v1/funds/mappings"] = func(*testing.T, *testNode, string) routeCall { return routeCall{path: "/api/v1/funds/mappings"} }

	inCase := func(suffix string, body any) crossCall {
		return pathCall(func(id string) string { return "/api/v1/funds/cases/" + id + suffix }, body, func(v victimData) string { return v.tracedCase })
	}
	crossCalls["POST /api/v1/funds/cases"] = crossCall{reach: listing,
		victims: func(victimData) routeCall {
			return routeCall{path: "/api/v1/funds/cases", body: fundsCaseInput{Title: "the caller's own case"}}
		},
		absent: func(victimData) routeCall {
			return routeCall{path: "/api/v1/funds/cases", body: fundsCaseInput{Title: "the caller's own case"}}
		}}
	crossCalls["GET /api/v1/funds/cases"] = listCall("/api/v1/funds/cases")
	crossCalls["GET /api/v1/funds/cases/{id}"] = inCase("", nil)
	crossCalls["POST /api/v1/funds/cases/{id}/imports"] = inCase("/imports", node.FundsImport{RequestID: missingID, ItemID: missingID, Format: records.Camt053})
	crossCalls["GET /api/v1/funds/cases/{id}/accounts"] = inCase("/accounts", nil)
	crossCalls["GET /api/v1/funds/cases/{id}/transfers"] = inCase("/transfers", nil)
	crossCalls["PUT /api/v1/funds/cases/{id}/accounts/{account}/jurisdiction"] = crossCall{reach: byPath,
		victims: func(v victimData) routeCall {
			return routeCall{path: "/api/v1/funds/cases/" + v.tracedCase + "/accounts/" + v.fundsAccount + "/jurisdiction", body: jurisdictionInput{State: "DEU"}}
		},
		absent: func(v victimData) routeCall {
			return routeCall{path: "/api/v1/funds/cases/" + missingID + "/accounts/" + v.fundsAccount + "/jurisdiction", body: jurisdictionInput{State: "DEU"}}
		}}
	crossCalls["POST /api/v1/funds/cases/{id}/rates"] = inCase("/rates", traceRates)
	crossCalls["GET /api/v1/funds/cases/{id}/rates"] = inCase("/rates", nil)
	crossCalls["POST /api/v1/funds/cases/{id}/traces"] = inCase("/traces", node.TraceInput{Sources: []funds.TransferID{1}, Options: funds.Options{Rule: funds.FIFO, Currency: "EUR"}})
	crossCalls["GET /api/v1/funds/cases/{id}/traces"] = inCase("/traces", nil)
	crossCalls["GET /api/v1/funds/cases/{id}/traces/{trace}"] = crossCall{reach: byPath,
		victims: func(v victimData) routeCall {
			return routeCall{path: "/api/v1/funds/cases/" + v.tracedCase + "/traces/" + v.fundsTrace}
		},
		absent: func(victimData) routeCall {
			return routeCall{path: "/api/v1/funds/cases/" + missingID + "/traces/" + missingID}
		}}
	crossCalls["POST /api/v1/funds/mappings"] = crossCall{reach: listing,
		victims: func(victimData) routeCall {
			return routeCall{path: "/api/v1/funds/mappings", body: mappingInput{Name: freshMapping(), Mapping: testMapping}}
		},
		absent: func(victimData) routeCall {
			return routeCall{path: "/api/v1/funds/mappings", body: mappingInput{Name: freshMapping(), Mapping: testMapping}}
		}}
	crossCalls["GET /api/v1/funds/mappings"] = listCall("/api/v1/funds/mappings")
}
