package main

import (
	"strings"
	"testing"

	"entraide/internal/store"
)

// TestSecurityEvents lists the refusals a node kept apart from its audit
// log, newest first, with what a stranger sent shown on one line.
func TestSecurityEvents(t *testing.T) {
	c := newCLI(t)
	c.init()
	n := c.openNode()
	for _, e := range []store.SecurityEvent{
		{Kind: "token", Reason: "unknown_token", Source: "192.0.2.1", Detail: "GET /api/v1/me"},
		{Kind: "envelope", Reason: "bad_signature", Source: "192.0.2.2", ClaimedSender: "VNM", Detail: "forged\nline"},
	} {
		if err := n.RecordSecurityEvent(t.Context(), e); err != nil {
			t.Fatal(err)
		}
	}
	out := c.must("security", "events")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 || !strings.Contains(lines[1], "bad_signature") || !strings.Contains(lines[1], "VNM") ||
		!strings.Contains(lines[1], `"forged\nline"`) || !strings.Contains(lines[2], "unknown_token") {
		t.Errorf("entraide security events:\n%s\nwant a header, then the envelope claiming VNM, then the token, one line each", out)
	}
	if out := c.must("security", "events", "--limit", "1", "--json"); !strings.Contains(out, `"claimed_sender":"VNM"`) || strings.Contains(out, "unknown_token") {
		t.Errorf("entraide security events --limit 1 --json = %s, want the newest event only", out)
	}
	if _, _, err := c.run("security", "events", "--limit", "0"); err == nil || !strings.Contains(err.Error(), "--limit") {
		t.Errorf("entraide security events --limit 0 = %v, want an error naming --limit", err)
	}
}
