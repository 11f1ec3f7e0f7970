package main

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"

	"entraide/internal/alerting"
	"entraide/internal/node"
)

// alertConsole is the sandbox's receiver of its officials' webhooks: the
// roster of each demo State sends them here, on this machine, and each
// alert and escalation is printed on the sandbox's console as it
// arrives, so that a newcomer sees who the 24/7 network tells, and when.
type alertConsole struct {
	srv    *httptest.Server
	secret string
	mu     sync.Mutex
	out    io.Writer
}

func newAlertConsole(out io.Writer) *alertConsole {
	c := &alertConsole{secret: rand.Text(), out: out}
	c.srv = httptest.NewTLSServer(http.HandlerFunc(c.receive))
	return c
}

// client posts the nodes' webhooks, trusting the receiver's certificate.
func (c *alertConsole) client() *http.Client { return c.srv.Client() }

func (c *alertConsole) close() { c.srv.Close() }

// url is the webhook address of official user.
func (c *alertConsole) url(user string) string { return c.srv.URL + "/alerts/" + user }

func (c *alertConsole) receive(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		http.Error(w, "cannot read the body", http.StatusBadRequest)
		return
	}
	if err := alerting.Verify([]byte(c.secret), r.Header.Get(alerting.SignatureHeader), body, time.Now(), 5*time.Minute); err != nil {
		http.Error(w, err.Error(), http.StatusUnauthorized)
		return
	}
	var p alerting.Payload
	if err := json.Unmarshal(body, &p); err != nil {
		http.Error(w, "not an alert", http.StatusBadRequest)
		return
	}
	what := "ALERT"
	if p.Step.Level > 1 {
		what = fmt.Sprintf("ESCALATED (step %d)", p.Step.Level)
	}
	user := strings.TrimPrefix(r.URL.Path, "/alerts/")
	c.mu.Lock()
	fmt.Fprintf(c.out, "%s %s %s to %s (%s): %s\n  acknowledge: entraide alert ack %s\n", time.Now().UTC().Format(time.TimeOnly), p.Alert.State, what, user,
		strings.ReplaceAll(string(p.Step.To), "_", " "), p.Alert.Summary, p.Alert.ID)
	c.mu.Unlock()
}

// fillRosters puts each demo official whom the 24/7 network alerts on
// their State's roster, with a webhook to the console.
func (sb *sandbox) fillRosters(ctx context.Context) error {
	for _, o := range sb.officials {
		if !alerting.MayBeOnRoster(o.role) {
			continue
		}
		nd := sb.net.Nodes[o.state]
		if nd == nil {
			continue
		}
		in := node.RosterInput{User: o.id, Channel: alerting.Webhook, Address: sb.console.url(o.id), Secret: sb.console.secret}
		if _, err := nd.Node.AddRosterEntry(ctx, nd.Node.AdminOf(o.state), in); err != nil {
			return fmt.Errorf("roster of %s: %w", o.state, err)
		}
	}
	return nil
}

// refillRosters points the rosters of a reopened sandbox at its new
// console: the webhooks to the console it had before lead nowhere now.
func (sb *sandbox) refillRosters(ctx context.Context, states []string) error {
	for _, s := range states {
		n := sb.net.Nodes[s].Node
		entries, err := n.Roster(ctx, n.AdminOf(s))
		if err != nil {
			return err
		}
		for _, e := range entries {
			if e.Channel == alerting.Webhook && strings.HasPrefix(e.Address, "https://127.0.0.1:") && strings.Contains(e.Address, "/alerts/") {
				if _, err := n.RemoveRosterEntry(ctx, n.AdminOf(s), e.ID); err != nil {
					return err
				}
			}
		}
	}
	return sb.fillRosters(ctx)
}
