package store_test

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"slices"
	"testing"
	"time"

	"entraide/internal/casework"
	"entraide/internal/convention"
	"entraide/internal/store"
	"entraide/internal/store/storetest"
)

// TestAuditStateOfOlderRecords opens a database an older release wrote,
// whose audit records carry no State column, and checks that each record
// joins the view of the State it is about, with its bytes unchanged.
func TestAuditStateOfOlderRecords(t *testing.T) {
	for _, backend := range storetest.Backends {
		t.Run(backend, func(t *testing.T) {
			t.Parallel()
			ctx := t.Context()
			dsn := storetest.DSN(t, backend)
			old, err := store.OpenAt(ctx, dsn, 3)
			if err != nil {
				t.Fatal(err)
			}
			at := "2026-03-02T09:00:00.000000Z"
			for _, q := range []string{
				`INSERT INTO node (id, home_state, created_at) VALUES (1, 'FRA', '` + at + `')`,
				`INSERT INTO users (id, name, state, role, created_at) VALUES ('fra-ca', 'A', 'FRA', 'central_authority', '` + at + `')`,
				`INSERT INTO users (id, name, state, role, created_at) VALUES ('vnm-ca', 'B', 'VNM', 'central_authority', '` + at + `')`,
			} {
				if _, err := old.ExecRaw(ctx, q); err != nil {
					t.Fatalf("%s: %v", q, err)
				}
			}
			// Records as version 1 wrote them: the home State's
			// administrator acted for VNM, as it then could.
			records := []struct {
				actorState, action, subject, detail string
				want                                string
			}{
				{"FRA", "node.init", "node/FRA", `{"home":"FRA"}`, "FRA"},
				{"FRA", "user.add", "user/vnm-ca", `{"id":"vnm-ca","state":"VNM"}`, "VNM"},
				{"FRA", "token.create", "user/vnm-ca", `{"label":"x"}`, "VNM"},
				{"FRA", "token.create", "user/fra-ca", `{"label":"x"}`, "FRA"},
				{"FRA", "token.revoke", "user/vnm-ca", `{"token":"x"}`, "VNM"},
				{"VNM", "request.create", "request/r1", `{"kind":"mla"}`, "VNM"},
				{"VNM", "request.send", "request/r1@VNM", `{}`, "VNM"},
				{"VNM", "request.receive", "request/r1@FRA", `{}`, "FRA"},
				{"VNM", "alert.raise", "alert/a1", `{"state":"VNM"}`, "VNM"},
				{"FRA", "roster.add", "roster/x1", `{"state":"VNM","user":"vnm-ca"}`, "VNM"},
				{"FRA", "peer.add", "peer/DEU", `{}`, "FRA"},
				{"DEU", "federation.refuse", "message/m1", `{}`, "FRA"},
				{"FRA", "treaty.record", "treaty/VNM", `{}`, "FRA"},
				{"FRA", "user.add", "user/gone", `{"id":"gone"}`, "FRA"},
			}
			stored := map[int64][]byte{}
			want := map[string][]int64{}
			for i, r := range records {
				seq := int64(i + 1)
				data := fmt.Appendf(nil, `{"v":1,"seq":%d,"at":"%s","node":"FRA","actor_state":"%s","actor":"x","action":"%s","subject":"%s","detail":%s}`,
					seq, at, r.actorState, r.action, r.subject, r.detail)
				leaf := sha256.Sum256(append([]byte{0}, data...))
				if _, err := old.ExecRaw(ctx, `INSERT INTO audit (seq, at, action, subject, record, leaf_hash) VALUES (?, ?, ?, ?, ?, ?)`,
					seq, at, r.action, r.subject, data, leaf[:]); err != nil {
					t.Fatal(err)
				}
				stored[seq] = data
				want[r.want] = append(want[r.want], seq)
			}
			if _, err := old.ExecRaw(ctx, `UPDATE audit_head SET seq = ?`, len(records)); err != nil {
				t.Fatal(err)
			}
			old.Close()

			db, err := store.Open(ctx, dsn)
			if err != nil {
				t.Fatalf("Open after the older release: %v", err)
			}
			defer db.Close()
			integrate(t, db)
			for _, state := range []string{"FRA", "VNM", "ZAF"} {
				entries, err := db.AuditLog(ctx, state, 0, 100)
				if err != nil {
					t.Fatal(err)
				}
				var got []int64
				for _, e := range entries {
					got = append(got, e.Seq)
					if !bytes.Equal(e.Record, stored[e.Seq]) {
						t.Errorf("record %d changed: %s, was %s", e.Seq, e.Record, stored[e.Seq])
					}
				}
				if !slices.Equal(got, want[state]) {
					t.Errorf("AuditLog(%s) after the migration = seq %v, want %v", state, got, want[state])
				}
			}
			// The log stays append-only.
			if n, err := db.ExecRaw(ctx, `UPDATE audit SET state = 'ZAF'`); err == nil {
				t.Errorf("UPDATE audit after the migration changed %d rows, want an error", n)
			}
			// The records of version 1 go into the Merkle log in the order
			// of their sequence numbers, before any new one, and prove
			// their inclusion with their bytes as they were.
			seqs := appendAudit(t, db, auditRecord(1))
			if seqs[0] != int64(len(records)+1) {
				t.Errorf("first new record after the migration has seq %d, want %d", seqs[0], len(records)+1)
			}
			integrate(t, db)
			for seq, data := range stored {
				state := "FRA"
				if !slices.Contains(want["FRA"], seq) {
					state = "VNM"
				}
				_, idx, err := db.AuditRecord(ctx, state, seq)
				if err != nil || idx != seq-1 {
					t.Errorf("record %d of version 1 at leaf %d, %v; want %d", seq, idx, err, seq-1)
					continue
				}
				p, err := db.RecordProof(ctx, state, seq)
				if err != nil {
					t.Fatal(err)
				}
				if _, err := p.Verify(data, logVkey(t)); err != nil {
					t.Errorf("record %d of version 1: %v", seq, err)
				}
			}
			if _, idx, err := db.AuditRecord(ctx, "FRA", seqs[0]); err != nil || idx != int64(len(records)) {
				t.Errorf("first new record at leaf %d, %v; want %d", idx, err, len(records))
			}
		})
	}
}

// TestDeadlinesOfOlderViews: a preservation stored before views had a
// deadline column is found by its deadline as soon as the node is
// upgraded, not after its next change (art. 42(7)).
func TestDeadlinesOfOlderViews(t *testing.T) {
	for _, backend := range storetest.Backends {
		t.Run(backend, func(t *testing.T) {
			t.Parallel()
			ctx := t.Context()
			dsn := storetest.DSN(t, backend)
			old, err := store.OpenAt(ctx, dsn, 26)
			if err != nil {
				t.Fatal(err)
			}
			at := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
			until := at.AddDate(0, 0, 60)
			r := &casework.Request{ID: "r1", Holder: "VNM", Kind: convention.Preservation, RequestingState: "FRA", RequestedState: "VNM",
				State: casework.InProgress, Urgency: casework.Urgent, Fields: map[string]string{}, CreatedAt: at, UpdatedAt: at, Version: 3,
				Preservation: &casework.PreservationPeriod{Started: at, Until: until}}
			if err := old.Tx(ctx, func(tx *store.Tx) error { return tx.InsertRequest(ctx, r) }); err != nil {
				t.Fatal(err)
			}
			// As a release before the deadline column left it.
			if _, err := old.ExecRaw(ctx, `UPDATE requests SET due_at = ''`); err != nil {
				t.Fatal(err)
			}
			old.Close()

			db, err := store.Open(ctx, dsn)
			if err != nil {
				t.Fatalf("Open after the older release: %v", err)
			}
			defer db.Close()
			page, err := db.Requests(ctx, "VNM", store.Filter{DueBefore: until.Add(time.Hour), Sort: store.SortDeadline, Limit: 10})
			if err != nil || len(page.Requests) != 1 || page.Requests[0].ID != "r1" {
				t.Errorf("VNM's views due before %s = %+v, %v; want r1, stored before its deadline was", until, page, err)
			}
		})
	}
}
