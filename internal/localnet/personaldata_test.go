package localnet_test

import (
	"bytes"
	"testing"

	"entraide/internal/casework"
	"entraide/internal/convention"
	"entraide/internal/evidence"
	"entraide/internal/identity"
)

// Art. 36 across two nodes over HTTPS: the marking of a request and of
// an item travels with them, signed, and the receiving State keeps it;
// the receiving State's own retention period for personal data dates
// the item as it arrives.
func TestPersonalDataMarkingTravels(t *testing.T) {
	net, officials := startNetwork(t, "FRA", "VNM")
	fra, vnm := officials["FRA"], officials["VNM"]
	marking := &convention.PersonalData{Carried: true, Categories: []convention.DataCategory{convention.TrafficData, convention.LocationData}, Persons: []convention.PersonCategory{convention.Suspect}}
	c := preservation("VNM")
	c.PersonalData = marking
	var r casework.Request
	if code := fra.do("POST", "/api/v1/requests", c, &r); code != 201 {
		t.Fatalf("create: %d", code)
	}
	if code := fra.do("POST", "/api/v1/requests/"+r.ID+"/transitions", casework.Transition{Action: casework.Send}, nil); code != 200 {
		t.Fatalf("send: %d", code)
	}
	vnm.waitFor(r.ID, casework.Received)
	received, err := net.Nodes["VNM"].DB.Request(t.Context(), "VNM", r.ID)
	if err != nil || received.PersonalData == nil || !received.PersonalData.Carried || len(received.PersonalData.Categories) != 2 || received.PersonalData.Persons[0] != convention.Suspect {
		t.Fatalf("VNM's view of the marking: %+v, %v", received.PersonalData, err)
	}
	for _, a := range []casework.Action{casework.Acknowledge, casework.Start} {
		if code := vnm.do("POST", "/api/v1/requests/"+r.ID+"/transitions", casework.Transition{Action: a}, nil); code != 200 {
			t.Fatalf("%s: %d", a, code)
		}
	}
	// FRA keeps what carries personal data 90 days.
	if _, err := net.Nodes["FRA"].Node.SetRetentionPolicy(t.Context(), net.Nodes["FRA"].Node.AdminOf("FRA"), 90); err != nil {
		t.Fatal(err)
	}
	n := net.Nodes["VNM"].Node
	by := casework.Actor{ID: "ca-vnm", State: "VNM", Role: identity.CentralAuthority}
	data := []byte("subscriber 33612345678, cell 208-01-1234")
	it, err := n.StartEvidence(t.Context(), by, r.ID, evidence.Spec{Name: "cells.csv", MediaType: "text/csv", PersonalData: marking}, int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := n.AppendEvidence(t.Context(), by, it.ID, 0, bytes.NewReader(data)); err != nil {
		t.Fatal(err)
	}
	if _, err := n.CompleteEvidence(t.Context(), by, it.ID); err != nil {
		t.Fatal(err)
	}
	if code := vnm.do("POST", "/api/v1/requests/"+r.ID+"/evidence/"+it.ID+"/send", nil, nil); code != 202 {
		t.Fatalf("send the item: %d", code)
	}
	got := waitItem(t, fra, r.ID, evidence.Available)
	if !got.CarriesPersonalData() || len(got.PersonalData.Categories) != 2 || got.PersonalData.Categories[1] != convention.LocationData {
		t.Errorf("FRA's copy of the item's marking: %+v", got.PersonalData)
	}
	if want := got.CreatedAt.AddDate(0, 0, 90); got.PolicyUntil == nil || !got.PolicyUntil.Equal(want) {
		t.Errorf("FRA's copy is kept until %v by its policy, want %v", got.PolicyUntil, want)
	}
}
