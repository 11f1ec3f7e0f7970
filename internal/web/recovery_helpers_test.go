package web

import (
	"testing"

	"github.com/google/uuid"

	"entraide/internal/casework"
	"entraide/internal/convention"
	"entraide/internal/funds"
	"entraide/internal/identity"
	"entraide/internal/node"
	"entraide/internal/store"
)

// fundsCaseOf stores a new fund-tracing case of state and returns its id.
func (tn *testNode) fundsCaseOf(t *testing.T, state string) string {
	t.Helper()
	id := uuid.Must(uuid.NewV7()).String()
	err := tn.Node.DB().Tx(t.Context(), func(tx *store.Tx) error {
		return tx.InsertFundsCase(t.Context(), store.FundsCase{ID: id, State: state, Title: "Phishing", Reference: "P-1", CreatedBy: "x", CreatedAt: testEpoch})
	})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// assetOf records, in a new case of state, property of the given
// description, and returns the case's and the asset's ids.
func (tn *testNode) assetOf(t *testing.T, state, description string) (caseID, assetID string) {
	t.Helper()
	caseID = tn.fundsCaseOf(t, state)
	a, err := tn.Node.AddAsset(t.Context(), actor(state, identity.CentralAuthority), caseID, node.AssetInput{Jurisdiction: "ZAF", Description: description, Currency: "EUR", Traced: 1_000_000_000})
	if err != nil {
		t.Fatalf("AddAsset: %v", err)
	}
	return caseID, a.ID
}

var freezeInput = node.FreezeInput{Facts: "Alice paid 1,000 EUR to a fake adviser.", RequestingAuthority: "Parquet de Paris",
	Offences: []convention.Charge{{Article: 13}}, LegalBasis: &casework.LegalBasis{Type: casework.BasisReciprocity}}

var frozenStep = funds.AssetStep{Status: funds.AssetFrozen, Amount: 900_000_000, Note: "frozen"}
