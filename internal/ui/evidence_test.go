package ui

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"net/url"
	"strings"
	"testing"

	"entraide/internal/casework"

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

// TestEvidenceFormsOnTheRequestPage: the requested State's central
// authority sets an item's retention and sends it from the page; the
// requesting State's page then shows it verified, as the sender's does;
// a bad date is shown beside the form, naming the field; a second send
// is refused on the page, saying why. Each form shows only to the roles
// that may use it, and the upload form says it needs JavaScript.
func TestEvidenceFormsOnTheRequestPage(t *testing.T) {
	tn := newTestNode(t, "sqlite")
	ctx := t.Context()
	vnm, fra := actor("VNM", identity.CentralAuthority), actor("FRA", identity.CentralAuthority)
	r, err := tn.Node.CreateRequest(ctx, vnm, preservationContents("FRA"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tn.Node.Transition(ctx, vnm, r.ID, casework.Transition{Action: casework.Send}); err != nil {
		t.Fatal(err)
	}
	if _, err := tn.Node.Transition(ctx, fra, r.ID, casework.Transition{Action: casework.Acknowledge}); err != nil {
		t.Fatal(err)
	}
	item := addItem(t, tn, fra, r.ID, []byte("subscriber record"))
	page := "/ui/requests/" + r.ID
	base := page + "/evidence/" + item

	ca := tn.signedIn(t, "FRA", identity.CentralAuthority)
	p := ca.do(t, "GET", page, nil)
	for _, want := range []string{`id="upload-form"`, `id="upload-noscript"`, "/ui/static/upload.js", `action="` + base + `/retention"`, "once execution has started"} {
		if !strings.Contains(p.Body, want) {
			t.Errorf("the central authority's page lacks %q", want)
		}
	}
	if strings.Contains(p.Body, base+"/send") {
		t.Errorf("the item may be sent before execution starts")
	}
	if _, err := tn.Node.Transition(ctx, fra, r.ID, casework.Transition{Action: casework.Start}); err != nil {
		t.Fatal(err)
	}
	inv := tn.signedIn(t, "FRA", identity.Investigator).do(t, "GET", page, nil)
	if !strings.Contains(inv.Body, `id="upload-form"`) || strings.Contains(inv.Body, base+"/send") || strings.Contains(inv.Body, base+"/retention") {
		t.Errorf("the investigator may upload, and neither send nor set retention")
	}
	aud := tn.signedIn(t, "FRA", identity.Auditor).do(t, "GET", page, nil)
	if strings.Contains(aud.Body, `id="upload-form"`) || strings.Contains(aud.Body, "upload.js") || !strings.Contains(aud.Body, `id="item-`+item+`"`) {
		t.Errorf("the auditor reads the item and is offered no upload")
	}

	if got := ca.do(t, "POST", base+"/retention", url.Values{"retain_until": {"2020-01-01"}}); got.Status != 422 || !strings.Contains(got.Body, `id="evidence-errors"`) || !strings.Contains(got.Body, "retain until") {
		t.Errorf("a retention date in the past: %d, want 422 naming retain_until\n%s", got.Status, got.Body)
	}
	if got := ca.do(t, "POST", base+"/retention", url.Values{"retain_until": {"2031-01-01"}}); got.Status != 303 || !strings.Contains(got.Location, "m=retained") {
		t.Fatalf("retention: %d to %q", got.Status, got.Location)
	}
	if got := ca.do(t, "POST", base+"/send", url.Values{}); got.Status != 303 || !strings.Contains(got.Location, "m=evsent") {
		t.Fatalf("send: %d to %q\n%s", got.Status, got.Location, got.Body)
	}
	if got := ca.do(t, "GET", page+"?m=evsent", nil); !strings.Contains(got.Body, `data-confirmed="true"`) || !strings.Contains(got.Body, "Verified: VNM received it whole") || !strings.Contains(got.Body, "2031-01-01") {
		t.Errorf("FRA's page after sending does not show VNM's receipt\n%s", got.Body)
	}
	if got := ca.do(t, "POST", base+"/send", url.Values{}); got.Status != 409 || !strings.Contains(got.Body, `id="evidence-errors"`) {
		t.Errorf("a second send: %d, want 409 with the reason on the page", got.Status)
	}
	got := tn.signedIn(t, "VNM", identity.Investigator).do(t, "GET", page, nil)
	sum := sha256.Sum256([]byte("subscriber record"))
	if !strings.Contains(got.Body, "Verified: received from FRA") || !strings.Contains(got.Body, hex.EncodeToString(sum[:])) || !strings.Contains(got.Body, "/content\" download") {
		t.Errorf("VNM's page does not show the item verified, with its hash and a download\n%s", got.Body)
	}
}
