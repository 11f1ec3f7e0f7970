package store_test

import (
	"context"
	"fmt"
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

// The outbox hands out the messages due in the order they must go:
// pressing ones first, a request's messages to a peer one after the
// other; a leased message to no one else; and a peer's wake-up makes its
// queue due at once, except what is being delivered.
func TestOutboxOrderLeaseAndWakeUp(t *testing.T) {
	for _, backend := range storetest.Backends {
		t.Run(backend, func(t *testing.T) {
			ctx := context.Background()
			db := storetest.Open(t, backend)
			t0 := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
			msgs := []store.OutboxEntry{
				{ID: "00000000-0000-4000-8000-000000000001", Recipient: "VNM", RequestID: "r1", CreatedAt: t0},
				{ID: "00000000-0000-4000-8000-000000000002", Recipient: "VNM", RequestID: "r1", CreatedAt: t0.Add(time.Second)},
				{ID: "00000000-0000-4000-8000-000000000003", Recipient: "VNM", RequestID: "r2", CreatedAt: t0.Add(2 * time.Second)},
				{ID: "00000000-0000-4000-8000-000000000004", Recipient: "VNM", RequestID: "r3", CreatedAt: t0.Add(3 * time.Second), Priority: 1},
				{ID: "00000000-0000-4000-8000-000000000005", Recipient: "ZAF", RequestID: "r4", CreatedAt: t0.Add(4 * time.Second)},
			}
			for _, m := range msgs {
				m.Type, m.Envelope = "request.event", []byte("{}")
				if err := db.Tx(ctx, func(tx *store.Tx) error { return tx.Enqueue(ctx, m) }); err != nil {
					t.Fatal(err)
				}
			}
			ids := func(due []store.OutboxEntry) []string {
				var out []string
				for _, m := range due {
					out = append(out, m.ID[len(m.ID)-1:])
				}
				return out
			}
			due, err := db.DueMessages(ctx, t0.Add(time.Minute), 10)
			if got := strings.Join(ids(due), ","); err != nil || got != "4,1,3,5" {
				t.Fatalf("due = %s, %v; want 4 (pressing), then 1 before 3 and 5 by age, and 2 only after 1", got, err)
			}

			if first, err := db.FirstQueued(ctx, "VNM"); err != nil || first != msgs[0].ID {
				t.Errorf("FirstQueued(VNM) = %q, %v; want %s, the oldest", first, err, msgs[0].ID)
			}
			if first, err := db.FirstQueued(ctx, "DEU"); err != nil || first != "" {
				t.Errorf("FirstQueued(DEU) = %q, %v; want none", first, err)
			}

			// A message claimed is leased: no one else takes it, and its
			// request's next waits.
			now := t0.Add(time.Minute)
			ok, err := db.ClaimMessage(ctx, due[1], now.Add(30*time.Second), now.Add(30*time.Second))
			if !ok || err != nil {
				t.Fatalf("ClaimMessage(1) = %v, %v", ok, err)
			}
			if ok, err := db.ClaimMessage(ctx, due[1], now.Add(30*time.Second), now.Add(30*time.Second)); ok || err != nil {
				t.Errorf("ClaimMessage(1) again = %v, %v; want false: it is taken", ok, err)
			}
			if m, _ := db.OutboxMessage(ctx, due[1].ID); m.Attempts != 1 || !m.NextAttempt.Equal(now.Add(30*time.Second)) {
				t.Errorf("claimed message: %d attempts, next %v; want the attempt counted and due again after the lease", m.Attempts, m.NextAttempt)
			}
			// 3 fails and waits a long backoff; so does 5, to another peer.
			for _, id := range []string{msgs[2].ID, msgs[4].ID} {
				if err := db.RetryLater(ctx, id, 5, now.Add(time.Hour), "connection refused"); err != nil {
					t.Fatal(err)
				}
			}
			due, _ = db.DueMessages(ctx, now, 10)
			if got := strings.Join(ids(due), ","); got != "4" {
				t.Errorf("due while 1 is leased and 3 and 5 back off = %s, want 4", got)
			}

			// VNM answers again: its queue is due now, but for the leased 1.
			var woken int64
			if err := db.Tx(ctx, func(tx *store.Tx) error { woken, err = tx.WakePeer(ctx, "VNM", now); return err }); err != nil || woken != 1 {
				t.Fatalf("WakePeer(VNM) woke %d, %v; want 1 (message 3)", woken, err)
			}
			due, _ = db.DueMessages(ctx, now, 10)
			if got := strings.Join(ids(due), ","); got != "4,3" {
				t.Errorf("due after VNM's wake-up = %s, want 4,3: ZAF's 5 still backs off, 1 is leased, 2 waits for 1", got)
			}
			// Once 1 has its receipt, 2 follows.
			if err := db.Tx(ctx, func(tx *store.Tx) error { return tx.MarkDelivered(ctx, msgs[0].ID, now, []byte("{}"), 1) }); err != nil {
				t.Fatal(err)
			}
			due, _ = db.DueMessages(ctx, now, 10)
			if got := strings.Join(ids(due), ","); got != "4,2,3" {
				t.Errorf("due after 1 is delivered = %s, want 4,2,3: 2 is due since it was queued", got)
			}
		})
	}
}

// A security event whose time cannot be read is listed, marked, among the
// others: entraide security events used to fail whole.
func TestUnreadableSecurityEvent(t *testing.T) {
	for _, backend := range storetest.Backends {
		t.Run(backend, func(t *testing.T) {
			ctx := context.Background()
			db := storetest.Open(t, backend)
			at := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
			for _, reason := range []string{"unknown_token", "bad_signature"} {
				if err := db.RecordSecurityEvent(ctx, store.SecurityEvent{At: at, Kind: "token", Reason: reason, Source: "192.0.2.1"}, 100); err != nil {
					t.Fatal(err)
				}
			}
			storetest.ExecSQL(t, db, `UPDATE security_events SET at = 'then' WHERE reason = 'bad_signature'`)
			events, err := db.SecurityEvents(ctx, 10)
			bad, ok := store.IsPartial(err)
			if !ok || len(bad) != 1 || len(events) != 2 {
				t.Fatalf("SecurityEvents: %d events, %v; want both, one named in a Partial", len(events), err)
			}
			for _, e := range events {
				if (e.Reason == "bad_signature") != (e.Unreadable != "") || !e.At.Equal(at) && e.Unreadable == "" {
					t.Errorf("event %d (%s): unreadable %q, at %v; want only the changed one marked", e.ID, e.Reason, e.Unreadable, e.At)
				}
				if e.Unreadable != "" && !strings.Contains(e.Unreadable, fmt.Sprint(e.ID)) {
					t.Errorf("event %d: unreadable %q, want it named", e.ID, e.Unreadable)
				}
			}
		})
	}
}
