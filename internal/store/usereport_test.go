package store_test

import (
	"errors"
	"testing"
	"time"

	"entraide/internal/store"
)

func testUseReports(t *testing.T, db *store.DB) {
	ctx := t.Context()
	now := time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC)
	asked := store.UseReport{ID: "ask-1", State: "VNM", RequestID: "req-1", Peer: "FRA", AskedBy: "ca-vnm", AskedAt: now}
	for i, want := range []error{nil, store.ErrExists} {
		if err := db.Tx(ctx, func(tx *store.Tx) error { return tx.InsertUseReport(ctx, asked) }); !errors.Is(err, want) {
			t.Errorf("InsertUseReport #%d = %v, want %v", i+1, err, want)
		}
	}
	later := asked
	later.ID, later.ItemID, later.AskedAt = "ask-2", "item-1", now.Add(time.Hour)
	if err := db.Tx(ctx, func(tx *store.Tx) error { return tx.InsertUseReport(ctx, later) }); err != nil {
		t.Fatal(err)
	}
	if _, err := db.UseReportByID(ctx, "FRA", "ask-1"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("the State asked reads the asking State's report: %v, want ErrNotFound", err)
	}
	if list, err := db.UseReports(ctx, "FRA", "req-1"); err != nil || len(list) != 0 {
		t.Errorf("the State asked lists %d reports, %v", len(list), err)
	}
	answer := store.UseReport{Status: store.UseVerified, AnsweredAt: now.Add(time.Minute), LogKey: "fra+1+key", CheckpointSize: 42, Report: []byte(`{"items":[]}`)}
	for i, want := range []bool{true, false} {
		var ok bool
		err := db.Tx(ctx, func(tx *store.Tx) (err error) {
			ok, err = tx.AnswerUseReport(ctx, "VNM", "ask-1", answer)
			return err
		})
		if err != nil || ok != want {
			t.Errorf("AnswerUseReport #%d = %v, %v, want %v: an answer is kept once", i+1, ok, err, want)
		}
		answer.Status, answer.Problem = store.UseRefused, "changed"
	}
	got, err := db.UseReportByID(ctx, "VNM", "ask-1")
	if err != nil || got.Status != store.UseVerified || got.CheckpointSize != 42 || string(got.Report) != `{"items":[]}` || !got.AnsweredAt.Equal(now.Add(time.Minute)) || got.Problem != "" {
		t.Errorf("UseReportByID = %+v, %v", got, err)
	}
	list, err := db.UseReports(ctx, "VNM", "req-1")
	if err != nil || len(list) != 2 || list[0].ID != "ask-2" || list[0].ItemID != "item-1" || list[0].Status != store.UseAsked || !list[0].AnsweredAt.IsZero() {
		t.Errorf("UseReports = %+v, %v, want ask-2 (asked) first", list, err)
	}
}
