package ui

import (
	"net/http"
	"strings"
	"testing"

	"entraide/internal/alerting"
	"entraide/internal/identity"
	"entraide/internal/node"
)

// TestConsoleShowsWhoIsOnCall: the 24/7 console shows every officer who
// takes alerts who is on call, in the order of escalation; where each is
// reached (an e-mail address, a webhook's URL) only those who keep the
// roster see, on its own page.
func TestConsoleShowsWhoIsOnCall(t *testing.T) {
	tn := newTestNode(t, "sqlite")
	n := tn.Node
	duty := officialID("FRA", identity.TwentyFourSeven)
	if _, err := n.AddRosterEntry(t.Context(), n.AdminOf("FRA"), node.RosterInput{User: duty, Channel: alerting.Email, Address: "fra-duty@example.org"}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		role    identity.Role
		address bool
	}{
		{identity.TwentyFourSeven, false},
		{identity.CentralAuthority, false},
	} {
		p := tn.signedIn(t, "FRA", tc.role).do(t, "GET", "/ui/console", nil)
		if p.Status != http.StatusOK {
			t.Fatalf("%s: GET /ui/console: %d", tc.role, p.Status)
		}
		if !strings.Contains(p.Body, duty) || strings.Contains(p.Body, "The roster is kept by") {
			t.Errorf("%s: the console does not show %s on call:\n%s", tc.role, duty, p.Body)
		}
		if got := strings.Contains(p.Body, "fra-duty@example.org"); got != tc.address {
			t.Errorf("%s: the console shows the address: %v, want %v", tc.role, got, tc.address)
		}
	}
}
