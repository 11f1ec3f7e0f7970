package store_test

import (
	"strings"
	"testing"
	"unicode/utf8"

	"entraide/internal/store"
)

// testSecurityEventsCapped records many more security events than the
// table keeps: the oldest are deleted, the newest kept, and a stranger's
// text, cut in the middle of a character, is stored valid.
func testSecurityEventsCapped(t *testing.T, db *store.DB) {
	ctx := t.Context()
	const keep, total = 100, 500
	for i := range total {
		e := store.SecurityEvent{At: base, Kind: "envelope", Reason: "bad_signature", Source: "192.0.2.1",
			ClaimedSender: "FRA", Detail: strings.Repeat("é", 400) + "\xff"}
		if i == total-1 {
			e.MessageID = "last"
		}
		if err := db.RecordSecurityEvent(ctx, e, keep); err != nil {
			t.Fatalf("RecordSecurityEvent #%d: %v", i, err)
		}
	}
	n, err := db.CountSecurityEvents(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// Pruning runs every 64 inserts, so up to 63 more than keep remain.
	if n < keep || n >= keep+64 {
		t.Errorf("CountSecurityEvents after %d events, keeping %d = %d, want %d to %d", total, keep, n, keep, keep+63)
	}
	es, err := db.SecurityEvents(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(es) != 1 || es[0].MessageID != "last" || es[0].ClaimedSender != "FRA" || !es[0].At.Equal(base) {
		t.Fatalf("SecurityEvents(1) = %+v, want the last event recorded", es)
	}
	if d := es[0].Detail; len(d) > 500 || !utf8.ValidString(d) {
		t.Errorf("detail of %d bytes, valid UTF-8 %v; want at most 500 valid bytes", len(d), utf8.ValidString(d))
	}
}
