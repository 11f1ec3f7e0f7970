package ui

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"

	"entraide/internal/evidence"
	"entraide/internal/identity"
)

// TestRequestPageShowsEvidence: the request page lists the request's
// items of evidence with their size and SHA-256, and says how their bytes
// were checked, for the official reading it; the other State's officials
// still reach nothing (TestOtherStatesReachNothingInTheUI).
func TestRequestPageShowsEvidence(t *testing.T) {
	tn := newTestNode(t, "sqlite")
	ctx, by := t.Context(), actor("FRA", identity.CentralAuthority)
	r, err := tn.Node.CreateRequest(ctx, by, preservationContents("VNM"))
	if err != nil {
		t.Fatal(err)
	}
	data := []byte("router log of 2026-03-01, 10:00 to 11:00")
	it, err := tn.Node.StartEvidence(ctx, by, r.ID, evidence.Spec{Name: "router.log", MediaType: "text/plain", Collection: evidence.Collection{By: "Lt. Martin", Tool: "syslog"}}, int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tn.Node.AppendEvidence(ctx, by, it.ID, 0, bytes.NewReader(data)); err != nil {
		t.Fatal(err)
	}
	if _, err := tn.Node.CompleteEvidence(ctx, by, it.ID); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)

	p := tn.signedIn(t, "FRA", identity.Investigator).do(t, "GET", "/ui/requests/"+r.ID, nil)
	if p.Status != 200 {
		t.Fatalf("request page: %d", p.Status)
	}
	for _, want := range []string{`id="evidence-items"`, "router.log", hex.EncodeToString(sum[:]), "available", "the SHA-256 was computed here as the bytes were stored", "Lt. Martin; syslog"} {
		if !strings.Contains(p.Body, want) {
			t.Errorf("request page does not show %q", want)
		}
	}
}
