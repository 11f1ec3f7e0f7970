package store_test

import (
	"errors"
	"testing"
	"time"

	"entraide/internal/convention"
	"entraide/internal/evidence"
	"entraide/internal/store"
)

func testEvidence(t *testing.T, db *store.DB) {
	ctx := t.Context()
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	retain := now.Add(48 * time.Hour)
	it := evidence.Item{ID: "item-1", RequestID: "req-1", State: "FRA", Name: "a.bin", MediaType: "application/octet-stream", Size: 10,
		Status: evidence.Uploading, CreatedAt: now, CreatedBy: "fra-ca", Recipient: "age1x", WrappedIdentity: []byte("wrapped"),
		HashState: evidence.NewHashState(), RetainUntil: &retain, Collection: evidence.Collection{By: "Lt. Martin"}}
	if err := db.Tx(ctx, func(tx *store.Tx) error { return tx.InsertEvidence(ctx, it) }); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Evidence(ctx, "VNM", it.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("another State reads the item: %v", err)
	}
	if items, err := db.EvidenceItems(ctx, "VNM", "req-1"); err != nil || len(items) != 0 {
		t.Errorf("another State lists %d items, %v", len(items), err)
	}
	seg := evidence.Segment{Index: 0, Offset: 0, Length: 6, Key: "k0", StoredSize: 200}
	appendSeg := func(received int64, segments int, s evidence.Segment) error {
		return db.Tx(ctx, func(tx *store.Tx) error {
			return tx.AppendSegment(ctx, "FRA", it.ID, received, segments, s, []byte("state"))
		})
	}
	if err := appendSeg(0, 0, seg); err != nil {
		t.Fatal(err)
	}
	if err := appendSeg(0, 0, evidence.Segment{Index: 0, Length: 6, Key: "k0b"}); !errors.Is(err, store.ErrEvidenceMoved) {
		t.Errorf("a second writer at the same offset: %v, want ErrEvidenceMoved", err)
	}
	if err := appendSeg(6, 1, evidence.Segment{Index: 1, Offset: 6, Length: 5, Key: "k1"}); !errors.Is(err, store.ErrEvidenceMoved) {
		t.Errorf("a piece past the size: %v, want ErrEvidenceMoved", err)
	}
	if err := appendSeg(6, 1, evidence.Segment{Index: 1, Offset: 6, Length: 4, Key: "k1", StoredSize: 100}); err != nil {
		t.Fatal(err)
	}
	segs, err := db.Segments(ctx, it.ID)
	if err != nil || len(segs) != 2 || segs[1].Offset != 6 || segs[1].Key != "k1" {
		t.Fatalf("segments = %+v, %v", segs, err)
	}
	if err := db.Tx(ctx, func(tx *store.Tx) error { return tx.CompleteEvidence(ctx, "FRA", it.ID, "abc", now) }); err != nil {
		t.Fatal(err)
	}
	oc := store.OriginCustody{ItemID: it.ID, State: "FRA", OriginState: "VNM", LogKey: "vnm+1+key", Custody: []byte(`{"records":[]}`), ReceivedAt: now}
	if _, err := db.OriginCustody(ctx, "FRA", it.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("origin custody before it arrived: %v, want ErrNotFound", err)
	}
	for i, want := range []error{nil, store.ErrExists} {
		if err := db.Tx(ctx, func(tx *store.Tx) error { return tx.PutOriginCustody(ctx, oc) }); !errors.Is(err, want) {
			t.Errorf("PutOriginCustody #%d = %v, want %v", i+1, err, want)
		}
	}
	if c, err := db.OriginCustody(ctx, "FRA", it.ID); err != nil || c.OriginState != "VNM" || c.LogKey != oc.LogKey || string(c.Custody) != string(oc.Custody) || !c.ReceivedAt.Equal(now) {
		t.Errorf("OriginCustody = %+v, %v", c, err)
	}
	if _, err := db.OriginCustody(ctx, "VNM", it.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("another State reads the origin custody: %v", err)
	}
	got, err := db.Evidence(ctx, "FRA", it.ID)
	if err != nil || got.Status != evidence.Available || got.Received != 10 || got.SHA256 != "abc" || got.Collection.By != "Lt. Martin" || !got.RetainUntil.Equal(retain) {
		t.Fatalf("item = %+v, %v", got, err)
	}
	if due, err := db.DueDisposals(ctx, now, 10); err != nil || len(due) != 0 {
		t.Errorf("due before its day: %d, %v", len(due), err)
	}
	if next, ok, err := db.NextDisposal(ctx); err != nil || !ok || !next.Equal(retain) {
		t.Errorf("NextDisposal = %v %v %v", next, ok, err)
	}
	if due, err := db.DueDisposals(ctx, retain, 10); err != nil || len(due) != 1 {
		t.Errorf("due on its day: %d, %v", len(due), err)
	}
	if err := db.Tx(ctx, func(tx *store.Tx) error { return tx.DisposeEvidence(ctx, "FRA", it.ID, "system", retain) }); err != nil {
		t.Fatal(err)
	}
	got, _ = db.Evidence(ctx, "FRA", it.ID)
	if got.Status != evidence.Disposed || got.SHA256 != "abc" || len(got.WrappedIdentity) != 0 {
		t.Errorf("tombstone = %+v", got)
	}
	if segs, _ := db.Segments(ctx, it.ID); len(segs) != 0 {
		t.Errorf("%d segments left", len(segs))
	}
	if due, _ := db.DueDisposals(ctx, retain, 10); len(due) != 0 {
		t.Errorf("a disposed item is due again")
	}
}

// testRetentionPolicy: a State's policy for personal data dates the
// items marked as carrying them, and no other State's or unmarked item;
// the earlier of an item's own date and the policy's makes it due.
func testRetentionPolicy(t *testing.T, db *store.DB) {
	ctx := t.Context()
	created := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	own := created.AddDate(0, 0, 10)
	carried := &convention.PersonalData{Carried: true, Categories: []convention.DataCategory{convention.TrafficData}, Persons: []convention.PersonCategory{convention.Suspect}}
	item := func(id, state string, pd *convention.PersonalData, retain *time.Time) evidence.Item {
		return evidence.Item{ID: id, RequestID: "req-1", State: state, Name: id + ".bin", MediaType: "application/octet-stream", Size: 1,
			Status: evidence.Available, CreatedAt: created, CreatedBy: "fra-ca", Recipient: "age1x", WrappedIdentity: []byte("w"),
			HashState: evidence.NewHashState(), PersonalData: pd, RetainUntil: retain}
	}
	items := []evidence.Item{
		item("pd-long", "FRA", carried, nil),
		item("pd-own-earlier", "FRA", carried, &own),
		item("unmarked", "FRA", nil, nil),
		item("none", "FRA", &convention.PersonalData{}, nil),
		item("other-state", "VNM", carried, nil),
	}
	if err := db.Tx(ctx, func(tx *store.Tx) error {
		for _, it := range items {
			if err := tx.InsertEvidence(ctx, it); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if p, err := db.RetentionPolicy(ctx, "FRA"); err != nil || p.PersonalDataDays != 0 {
		t.Fatalf("policy before any = %+v, %v", p, err)
	}
	at := created.Add(time.Hour)
	var changed int
	if err := db.Tx(ctx, func(tx *store.Tx) (err error) {
		changed, err = tx.SetRetentionPolicy(ctx, "FRA", evidence.Policy{PersonalDataDays: 30, UpdatedAt: &at, UpdatedBy: "fra-admin"})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if changed != 2 {
		t.Errorf("the policy dated %d items, want the 2 of FRA marked as carrying personal data", changed)
	}
	if p, err := db.RetentionPolicy(ctx, "FRA"); err != nil || p.PersonalDataDays != 30 || p.UpdatedBy != "fra-admin" || !p.UpdatedAt.Equal(at) {
		t.Errorf("policy = %+v, %v", p, err)
	}
	if p, _ := db.RetentionPolicy(ctx, "VNM"); p.PersonalDataDays != 0 {
		t.Errorf("VNM has FRA's policy: %+v", p)
	}
	policy := created.AddDate(0, 0, 30)
	for _, c := range []struct {
		id      string
		expires *time.Time
	}{{"pd-long", &policy}, {"pd-own-earlier", &own}, {"unmarked", nil}, {"none", nil}} {
		got, err := db.Evidence(ctx, "FRA", c.id)
		if err != nil {
			t.Fatal(err)
		}
		if e := got.Expires(); (e == nil) != (c.expires == nil) || e != nil && !e.Equal(*c.expires) {
			t.Errorf("%s expires %v, want %v", c.id, e, c.expires)
		}
	}
	if got, _ := db.Evidence(ctx, "VNM", "other-state"); got.PolicyUntil != nil {
		t.Errorf("VNM's item got FRA's policy date %v", got.PolicyUntil)
	}
	exp, err := db.ExpiringEvidence(ctx, "FRA", created.AddDate(0, 0, 31), 10)
	if err != nil || len(exp) != 2 || exp[0].ID != "pd-own-earlier" || exp[1].ID != "pd-long" {
		t.Errorf("expiring within 31 days = %v, %v; want pd-own-earlier then pd-long", ids(exp), err)
	}
	if exp, _ := db.ExpiringEvidence(ctx, "FRA", created.AddDate(0, 0, 11), 10); len(exp) != 1 {
		t.Errorf("expiring within 11 days = %v, want pd-own-earlier", ids(exp))
	}
	if next, ok, err := db.NextDisposal(ctx); err != nil || !ok || !next.Equal(own) {
		t.Errorf("NextDisposal = %v %v %v, want %v", next, ok, err, own)
	}
	if due, err := db.DueDisposals(ctx, policy, 10); err != nil || len(due) != 2 {
		t.Errorf("due on the policy's day: %v, %v", ids(due), err)
	}
	// No policy any more: the policy's dates go, the items' own stay.
	if err := db.Tx(ctx, func(tx *store.Tx) (err error) {
		_, err = tx.SetRetentionPolicy(ctx, "FRA", evidence.Policy{UpdatedAt: &at, UpdatedBy: "fra-admin"})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if due, _ := db.DueDisposals(ctx, policy, 10); len(due) != 1 || due[0].ID != "pd-own-earlier" {
		t.Errorf("due without a policy: %v, want pd-own-earlier", ids(due))
	}
}

func ids(items []evidence.Item) []string {
	var out []string
	for _, it := range items {
		out = append(out, it.ID)
	}
	return out
}
