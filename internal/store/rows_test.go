package store_test

import (
	"context"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"entraide/internal/store"
	"entraide/internal/store/storetest"
)

func TestClipText(t *testing.T) {
	tests := []struct {
		name string
		in   string
		n    int
		want string
	}{
		{"short", "refused", 500, "refused"},
		{"cut on an ASCII byte", "abcdef", 3, "abc"},
		{"a cut in a character moves back to its start", "ab\u00e9cd", 3, "ab"},
		{"a four-byte character", "a\U0001F600", 4, "a"},
		{"exactly at the end of a character", "ab\u00e9", 4, "ab\u00e9"},
		{"invalid UTF-8 is replaced", "a\xffb", 500, "a\uFFFDb"},
		{"NUL bytes are dropped", "a\x00b", 500, "ab"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := store.ClipText(tt.in, tt.n); got != tt.want {
				t.Errorf("ClipText(%q, %d) = %q, want %q", tt.in, tt.n, got, tt.want)
			}
		})
	}
}

func FuzzClipText(f *testing.F) {
	f.Add("h\u00e9llo w\u00f6rld", 3)
	f.Add("\xff\xfe\x00", 1)
	f.Fuzz(func(t *testing.T, s string, n int) {
		if n < 0 {
			n = -n
		}
		got := store.ClipText(s, n)
		if len(got) > n || !utf8.ValidString(got) || strings.ContainsRune(got, 0) {
			t.Errorf("ClipText(%q, %d) = %q: want valid UTF-8 without NUL, at most %d bytes", s, n, got, n)
		}
	})
}

// An error text cut in the middle of a character made PostgreSQL refuse
// RetryLater (SQLSTATE 22021): the message was never rescheduled, and the
// delivery loop took it again at once. The store cuts what it keeps.
func TestErrorTextsAreStoredWhole(t *testing.T) {
	for _, backend := range storetest.Backends {
		t.Run(backend, func(t *testing.T) {
			ctx := context.Background()
			db := storetest.Open(t, backend)
			now := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
			const id = "0b7e3f52-4a59-4d7e-9a51-1f0c2d3e4f50"
			if err := db.Tx(ctx, func(tx *store.Tx) error {
				return tx.Enqueue(ctx, store.OutboxEntry{ID: id, Recipient: "VNM", Type: "request.send", Envelope: []byte("{}"), CreatedAt: now})
			}); err != nil {
				t.Fatal(err)
			}
			// As a byte-wise cut at 499 bytes of Vietnamese text would leave it.
			msg := strings.Repeat("Không kết nối được: ", 40)[:499] + "\x00"
			if err := db.RetryLater(ctx, id, 1, now.Add(time.Minute), msg); err != nil {
				t.Fatalf("RetryLater with an error text cut mid-character: %v", err)
			}
			m, err := db.OutboxMessage(ctx, id)
			if err != nil || !utf8.ValidString(m.LastError) || len(m.LastError) > store.MaxErrorText || !strings.HasPrefix(m.LastError, "Không kết nối được") || !m.NextAttempt.Equal(now.Add(time.Minute)) {
				t.Errorf("stored %q (%d bytes), next %v, %v; want valid UTF-8 of at most %d bytes, rescheduled", m.LastError, len(m.LastError), m.NextAttempt, err, store.MaxErrorText)
			}
		})
	}
}

// An outbox row that cannot be read is named for itself; the others are
// still due.
func TestUnreadableOutboxRow(t *testing.T) {
	for _, backend := range storetest.Backends {
		t.Run(backend, func(t *testing.T) {
			ctx := context.Background()
			db := storetest.Open(t, backend)
			now := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
			ids := []string{"0b7e3f52-4a59-4d7e-9a51-1f0c2d3e4f51", "0b7e3f52-4a59-4d7e-9a51-1f0c2d3e4f52"}
			for i, id := range ids {
				if err := db.Tx(ctx, func(tx *store.Tx) error {
					return tx.Enqueue(ctx, store.OutboxEntry{ID: id, Recipient: "VNM", Type: "request.send", Envelope: []byte("{}"), CreatedAt: now.Add(time.Duration(i) * time.Second)})
				}); err != nil {
					t.Fatal(err)
				}
			}
			storetest.ExecSQL(t, db, `UPDATE outbox SET created_at = '10000-01-01T00:00:00.000000Z' WHERE id = ?`, ids[0])
			due, err := db.DueMessages(ctx, now.Add(time.Hour), 10)
			bad, ok := store.IsPartial(err)
			if !ok || len(bad) != 1 || bad[0].ID != ids[0] || bad[0].Table != "outbox" {
				t.Fatalf("DueMessages error %v; want a Partial naming %s", err, ids[0])
			}
			if len(due) != 1 || due[0].ID != ids[1] {
				t.Errorf("due %+v, want %s alone", due, ids[1])
			}
			h, err := db.OutboxHeader(ctx, ids[0])
			if err != nil || h.Recipient != "VNM" || h.Type != "request.send" {
				t.Errorf("OutboxHeader(%s) = %+v, %v; want its recipient and type", ids[0], h, err)
			}
		})
	}
}
