package localnet_test

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"entraide/internal/alerting"
	"entraide/internal/alerting/alertingtest"
	"entraide/internal/casework"
	"entraide/internal/identity"
	"entraide/internal/localnet"
	"entraide/internal/node"
	"entraide/internal/store"
)

const alertSecret = "vnm-desk-webhook-secret"

// alertNet is a network whose nodes e-mail through a real SMTP server and
// post webhooks to a real HTTPS receiver.
type alertNet struct {
	*localnet.Network
	smtp *alertingtest.SMTPServer
	hook *alertingtest.Webhook
}

func startAlertNet(t *testing.T, fed node.FederationConfig, states ...string) *alertNet {
	t.Helper()
	smtp := alertingtest.NewSMTPServer(t)
	hook := alertingtest.NewWebhook(t, alertSecret, nil)
	net, err := localnet.Start(t.Context(), states, localnet.Options{Dir: t.TempDir(), Federation: fed,
		Alerts: node.AlertConfig{SMTPAddr: smtp.Addr, SMTPFrom: "entraide@node.example", Client: hook.Client, AllowPrivateWebhooks: true}})
	if err != nil {
		t.Fatalf("localnet.Start: %v", err)
	}
	t.Cleanup(net.Close)
	return &alertNet{Network: net, smtp: smtp, hook: hook}
}

// official adds an official to state's node and returns their client.
func (n *alertNet) official(t *testing.T, state, id string, role identity.Role) api {
	t.Helper()
	token, err := n.Official(t.Context(), state, id, "Official "+id, role)
	if err != nil {
		t.Fatal(err)
	}
	return api{t: t, net: n.Network, url: n.Nodes[state].URL, token: token}
}

func (n *alertNet) admin(t *testing.T, state string) api {
	return api{t: t, net: n.Network, url: n.Nodes[state].URL, token: n.Nodes[state].AdminToken}
}

// TestPreservationOverFederationAlerts sends a preservation from FRA's
// node to VNM's across HTTPS: VNM's node alerts its 24/7 officer by
// e-mail, by signed webhook and on the live feed, in the transaction that
// stores the request.
func TestPreservationOverFederationAlerts(t *testing.T) {
	n := startAlertNet(t, node.FederationConfig{}, "FRA", "VNM")
	fraCA := n.official(t, "FRA", "fra-ca", identity.CentralAuthority)
	duty := n.official(t, "VNM", "vnm-247", identity.TwentyFourSeven)
	vnmAdmin := n.admin(t, "VNM")
	for _, in := range []node.RosterInput{
		{User: "vnm-247", Channel: alerting.Email, Address: "duty@vnm.example"},
		{User: "vnm-247", Channel: alerting.Webhook, Address: n.hook.URL, Secret: alertSecret},
	} {
		if status := vnmAdmin.do("POST", "/api/v1/roster", in, nil); status != http.StatusCreated {
			t.Fatalf("POST /api/v1/roster on VNM: %d", status)
		}
	}

	// The live feed, over HTTPS, opened before the request is sent.
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", duty.url+"/api/v1/alerts/stream", nil)
	req.Header.Set("Authorization", "Bearer "+duty.token)
	resp, err := n.Client.Do(req)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /api/v1/alerts/stream: %v %v", resp, err)
	}
	feed := make(chan alerting.Event, 10)
	go func() {
		defer resp.Body.Close()
		defer close(feed)
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			if data, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
				var e alerting.Event
				if json.Unmarshal([]byte(data), &e) == nil {
					feed <- e
				}
			}
		}
	}()

	var r casework.Request
	if status := fraCA.do("POST", "/api/v1/requests", preservation("VNM"), &r); status != http.StatusCreated {
		t.Fatalf("draft: %d", status)
	}
	fraCA.do("POST", "/api/v1/requests/"+r.ID+"/transitions", casework.Transition{Action: casework.Send}, nil)
	duty.waitFor(r.ID, casework.Received)

	select {
	case e := <-feed:
		if e.Type != alerting.Raised || e.Alert.RequestID != r.ID || e.Alert.From != "FRA" || e.Alert.Reason != alerting.ReasonPreservation {
			t.Errorf("live feed: %+v; want the alert raised for %s from FRA", e, r.ID)
		}
	case <-time.After(alertingtest.Wait):
		t.Fatalf("no event on VNM's live feed within %s", alertingtest.Wait)
	}
	m := n.smtp.Next(t)
	if !slices.Equal(m.To, []string{"duty@vnm.example"}) || !strings.Contains(m.Header.Get("Subject"), "VNM") {
		t.Errorf("mail to %v, subject %q; want VNM's officer on duty", m.To, m.Header.Get("Subject"))
	}
	d := n.hook.Next(t)
	if d.Payload.Alert.RequestID != r.ID || d.Payload.Alert.State != "VNM" || !strings.HasPrefix(d.Payload.AckURL, n.Nodes["VNM"].URL+"/api/v1/alerts/") {
		t.Errorf("webhook payload %+v, want VNM's alert about %s with its node's ack URL", d.Payload, r.ID)
	}

	var list node.AlertList
	duty.do("GET", "/api/v1/alerts", nil, &list)
	if len(list.Alerts) != 1 || list.Alerts[0].RequestID != r.ID || list.Open != 1 {
		t.Fatalf("VNM's alerts: %+v; want one, open, about %s", list, r.ID)
	}
	var fraList node.AlertList
	fraCA.do("GET", "/api/v1/alerts", nil, &fraList)
	if len(fraList.Alerts) != 0 {
		t.Errorf("FRA's node raised %d alerts about its own request; want none", len(fraList.Alerts))
	}
	// Stored in the transaction that received the request.
	var entries []store.AuditEntry
	vnmAdmin.do("GET", "/api/v1/audit?limit=1000", nil, &entries)
	var actions []string
	for _, e := range entries {
		var rec struct{ Action, Subject string }
		json.Unmarshal(e.Record, &rec)
		actions = append(actions, rec.Action+" "+rec.Subject)
	}
	i := slices.Index(actions, "request.receive request/"+r.ID+"@VNM")
	if i < 0 || i+1 >= len(actions) || actions[i+1] != "alert.raise alert/"+list.Alerts[0].ID {
		t.Errorf("VNM's audit log %v: want alert.raise right after request.receive", actions)
	}

	var acked alerting.Alert
	if status := duty.do("POST", "/api/v1/alerts/"+list.Alerts[0].ID+"/ack", nil, &acked); status != http.StatusOK || acked.TimeToAckMS == nil {
		t.Errorf("ack: %d %+v", status, acked)
	}

	// A node that stops ends its live feeds instead of waiting on them.
	n.Nodes["VNM"].Stop()
	for {
		select {
		case _, ok := <-feed:
			if !ok {
				return
			}
		case <-time.After(alertingtest.Wait):
			t.Fatalf("the live feed is still open %s after its node stopped", alertingtest.Wait)
		}
	}
}

// TestExpiredDeliveryAlertsAdministrators takes a peer down for good: when
// the outbox gives up on the message, the sending node's administrators
// are alerted by e-mail.
func TestExpiredDeliveryAlertsAdministrators(t *testing.T) {
	n := startAlertNet(t, node.FederationConfig{RetryBase: 20 * time.Millisecond, Expiry: 200 * time.Millisecond}, "FRA", "VNM")
	fraCA := n.official(t, "FRA", "fra-ca", identity.CentralAuthority)
	if status := n.admin(t, "FRA").do("POST", "/api/v1/roster", node.RosterInput{User: "admin", Channel: alerting.Email, Address: "ops@fra.example"}, nil); status != http.StatusCreated {
		t.Fatalf("POST /api/v1/roster: %d", status)
	}
	n.Nodes["VNM"].Stop()
	id, err := fraCA.createAndSend(t.Context(), "VNM")
	if err != nil {
		t.Fatal(err)
	}
	m := n.smtp.Next(t)
	if !slices.Equal(m.To, []string{"ops@fra.example"}) || !strings.Contains(m.Body, "could not be delivered") || !strings.Contains(m.Body, id) {
		t.Errorf("mail to %v:\n%s\nwant FRA's administrator told that the message about %s was not delivered", m.To, m.Body, id)
	}
	var list node.AlertList
	fraCA.do("GET", "/api/v1/alerts?reason=delivery_expired", nil, &list)
	if len(list.Alerts) != 1 || list.Alerts[0].From != "VNM" || list.Alerts[0].RequestID != id || list.Alerts[0].Steps[0].To != alerting.Administrators {
		t.Errorf("FRA's delivery_expired alerts: %+v; want one about %s to VNM, told to the administrators", list.Alerts, id)
	}
}
