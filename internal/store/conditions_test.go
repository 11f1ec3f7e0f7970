package store_test

import (
	"errors"
	"testing"
	"time"

	"entraide/internal/convention"
	"entraide/internal/evidence"
	"entraide/internal/store"
)

func testConditions(t *testing.T, db *store.DB) {
	ctx := t.Context()
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	offer := convention.Conditions{{Kind: convention.NoOnwardTransfer}}
	answer := convention.Conditions{{Kind: convention.NoOnwardTransfer}, {Kind: convention.RetainUntil, Until: "2030-01-01"}}
	err := db.Tx(ctx, func(tx *store.Tx) error {
		if err := tx.AddItemConditions(ctx, "FRA", "item-1", "offer", offer, now); err != nil {
			return err
		}
		return tx.AddItemConditions(ctx, "FRA", "item-1", "answer", answer, now.Add(time.Hour))
	})
	if err != nil {
		t.Fatal(err)
	}
	got, err := db.ItemConditions(ctx, "FRA", "item-1")
	if err != nil || len(got) != 2 || got[1].Kind != convention.RetainUntil {
		t.Errorf("ItemConditions = %v, %v, want the offer's and the answer's, each once", got, err)
	}
	if got, _ := db.ItemConditions(ctx, "VNM", "item-1"); len(got) != 0 {
		t.Errorf("another State reads the item's conditions: %v", got)
	}
	c := evidence.Consent{ID: "c-1", State: "FRA", RequestID: "req-1", AskingState: "FRA", GivingState: "VNM", Items: []string{"item-1"},
		OriginItems: []string{"item-9"}, Use: convention.Use{ToState: "ZAF"}, Reasons: "joint team", Status: evidence.ConsentAsked, AskedBy: "fra-ca", AskedAt: now}
	if err := db.Tx(ctx, func(tx *store.Tx) error { return tx.InsertConsent(ctx, c) }); err != nil {
		t.Fatal(err)
	}
	if err := db.Tx(ctx, func(tx *store.Tx) error { return tx.InsertConsent(ctx, c) }); !errors.Is(err, store.ErrExists) {
		t.Errorf("the same consent twice: %v, want ErrExists", err)
	}
	if _, err := db.Consent(ctx, "VNM", "c-1"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("another State reads the consent: %v", err)
	}
	answer2 := convention.Conditions{{Kind: convention.Confidential}}
	if err := db.Tx(ctx, func(tx *store.Tx) error {
		return tx.AnswerConsent(ctx, "FRA", "c-1", evidence.ConsentGranted, "vnm-ca", now.Add(2*time.Hour), "for the trial", answer2)
	}); err != nil {
		t.Fatal(err)
	}
	if err := db.Tx(ctx, func(tx *store.Tx) error {
		return tx.AnswerConsent(ctx, "FRA", "c-1", evidence.ConsentRefused, "vnm-ca", now, "", nil)
	}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a consent answered twice: %v, want ErrNotFound", err)
	}
	list, err := db.Consents(ctx, "FRA", "req-1")
	if err != nil || len(list) != 1 || list[0].Status != evidence.ConsentGranted || list[0].Conditions[0] != answer2[0] || list[0].AnsweredAt == nil ||
		!list[0].Allows("item-1", convention.Use{ToState: "ZAF"}) || list[0].Allows("item-1", convention.Use{ToState: "USA"}) {
		t.Errorf("Consents = %+v, %v", list, err)
	}
}
