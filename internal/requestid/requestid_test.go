package requestid

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
)

func TestValid(t *testing.T) {
	for id, want := range map[string]bool{
		"abc-123_X.y":           true,
		strings.Repeat("a", 64): true,
		strings.Repeat("a", 65): false,
		"":                      false,
		"a b":                   false,
		"a\nlevel=ERROR":        false,
		"é":                     false,
		`a"b`:                   false,
	} {
		if got := Valid(id); got != want {
			t.Errorf("Valid(%q) = %v, want %v", id, got, want)
		}
	}
	if id := Of("bad id"); !Valid(id) || id == "bad id" {
		t.Errorf("Of(%q) = %q, want a new valid id", "bad id", id)
	}
	if a, b := New(), New(); a == b || !Valid(a) {
		t.Errorf("New() = %q then %q, want two different valid ids", a, b)
	}
}

// TestHandler: a line logged with a request's context carries its id,
// through WithAttrs and WithGroup; one without carries none.
func TestHandler(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(Handler(slog.NewJSONHandler(&buf, nil))).With("node", "FRA")
	log.InfoContext(With(context.Background(), "req-1"), "one")
	log.InfoContext(context.Background(), "two")
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("%d lines, want 2: %s", len(lines), buf.String())
	}
	for i, want := range []string{"req-1", ""} {
		var rec map[string]any
		if err := json.Unmarshal([]byte(lines[i]), &rec); err != nil {
			t.Fatal(err)
		}
		got, _ := rec[Attr].(string)
		if got != want || rec["node"] != "FRA" {
			t.Errorf("line %d: %s, want request_id %q and node FRA", i, lines[i], want)
		}
	}
}
