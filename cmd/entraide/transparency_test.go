package main

import (
	"encoding/csv"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"entraide/internal/casework"
	"entraide/internal/convention"
	"entraide/internal/store"
)

// TestTransparencyExport writes FRA's report of 2025 as CSV and JSON: six
// preservations sent to VNM, five executed and one pending at the end of
// the year; then publishes it, and stops.
func TestTransparencyExport(t *testing.T) {
	c := newCLI(t)
	c.init()
	n := c.openNode()
	err := n.DB().Tx(t.Context(), func(tx *store.Tx) error {
		for i := range 6 {
			sent := time.Date(2025, 3, 1+i, 9, 0, 0, 0, time.UTC)
			r := &casework.Request{ID: "case-" + string(rune('a'+i)), Holder: "FRA", Kind: convention.Preservation, RequestingState: "FRA", RequestedState: "VNM",
				State: casework.Executed, Urgency: casework.Normal, Fields: map[string]string{"facts_summary": "Jean Dupont's account"},
				Offences: []convention.Charge{{Article: 10}}, Attachments: []casework.Attachment{}, CreatedBy: "fra-ca", CreatedAt: sent, UpdatedAt: sent, Version: 1}
			if err := tx.InsertRequest(t.Context(), r); err != nil {
				return err
			}
			actions := []casework.Action{casework.Send, casework.Deliver, casework.Acknowledge, casework.Start, casework.Execute}
			if i == 5 {
				actions = actions[:2]
			}
			for j, a := range actions {
				if err := tx.AppendEvent(t.Context(), "FRA", casework.Event{RequestID: r.ID, At: sent.Add(time.Duration(j) * time.Hour), Actor: "x", ActorState: "VNM", Action: a}); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	out := c.must("transparency", "--from", "2025-01-01", "--to", "2025-12-31", "--format", "csv")
	rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil {
		t.Fatalf("not CSV: %v\n%s", err, out)
	}
	want := [][]string{
		{"FRA", "2025-01-01", "2025-12-31", "sent", "by_kind", "preservation", "total", "6", ""},
		// 6 - 5 would give the one pending away: the 5 is hidden too.
		{"FRA", "2025-01-01", "2025-12-31", "sent", "by_kind", "preservation", "executed", "", "complementary"},
		{"FRA", "2025-01-01", "2025-12-31", "sent", "by_state", "VNM", "pending", "", "fewer_than_5"},
		{"FRA", "2025-01-01", "2025-12-31", "sent", "medians", "preservation", "to_acknowledge_seconds", "3600", ""},
	}
	for _, w := range want {
		if !slices.ContainsFunc(rows, func(r []string) bool { return slices.Equal(r, w) }) {
			t.Errorf("entraide transparency --format csv: no line %v\n%s", w, out)
		}
	}
	if strings.Contains(out, "case-") || strings.Contains(out, "Dupont") {
		t.Errorf("the report names a case:\n%s", out)
	}
	file := filepath.Join(t.TempDir(), "fra-2025.json")
	c.must("transparency", "--from", "2025-01-01", "--to", "2025-12-31", "--out", file)
	if data, err := os.ReadFile(file); err != nil || !strings.Contains(string(data), `"suppressed": true`) || !strings.Contains(string(data), `"state": "FRA"`) {
		t.Errorf("--out %s: %v\n%s", file, err, data)
	}
	if _, _, err := c.run("transparency", "--from", "2025-12-31", "--to", "2025-01-01"); err == nil || !strings.Contains(err.Error(), "--to") {
		t.Errorf("a period that ends before it starts: %v, want an error naming --to", err)
	}
	if _, _, err := c.run("transparency", "--format", "pdf"); err == nil || !strings.Contains(err.Error(), "--format") {
		t.Errorf("--format pdf: %v, want an error naming --format", err)
	}
	if help := c.must("transparency", "--help"); !strings.Contains(help, "Conference of the States") {
		t.Errorf("entraide transparency --help says nothing of the Conference:\n%s", help)
	}

	if out := c.must("transparency", "publish"); !strings.Contains(out, "published") {
		t.Errorf("entraide transparency publish = %s", out)
	}
	if p, err := c.openNode().TransparencyPublication(t.Context()); err != nil || !p.Published {
		t.Errorf("after publish: %+v, %v", p, err)
	}
	c.must("transparency", "publish", "--stop")
	if p, err := c.openNode().TransparencyPublication(t.Context()); err != nil || p.Published {
		t.Errorf("after publish --stop: %+v, %v", p, err)
	}
}
