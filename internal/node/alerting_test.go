package node_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"entraide/internal/alerting"
	"entraide/internal/alerting/alertingtest"
	"entraide/internal/casework"
	"entraide/internal/convention"
	"entraide/internal/identity"
	"entraide/internal/node"
	"entraide/internal/store"
	"entraide/internal/store/storetest"
)

// Alerts are tested with a real SMTP server and a real HTTPS webhook
// receiver; time moves only when a test moves the fixture's clock, and
// ProcessAlerts does, synchronously, what the alert loop does when work
// falls due.

const hookSecret = "s3cr3t-0f-the-vnm-desk"

var vnm247b = casework.Actor{ID: "vnm-247b", State: "VNM", Role: identity.TwentyFourSeven}

// alertRig is a fixture whose node e-mails through smtp and posts to hook.
type alertRig struct {
	*fixture
	smtp *alertingtest.SMTPServer
	hook *alertingtest.Webhook
}

func newAlertRig(t *testing.T, f *fixture, sla alerting.SLA) *alertRig {
	t.Helper()
	r := &alertRig{fixture: f, smtp: alertingtest.NewSMTPServer(t), hook: alertingtest.NewWebhook(t, hookSecret, f.clock.Now)}
	r.configure(t, f.n, sla)
	if _, err := f.n.AddUser(t.Context(), f.n.AdminOf("VNM"), identity.User{ID: vnm247b.ID, Name: "Second officer", State: "VNM", Role: identity.TwentyFourSeven}); err != nil {
		t.Fatal(err)
	}
	return r
}

func (r *alertRig) configure(t *testing.T, n *node.Node, sla alerting.SLA) {
	t.Helper()
	// The receivers listen on this machine, which a node in production
	// refuses to post to.
	if err := n.ConfigureAlerts(node.AlertConfig{SMTPAddr: r.smtp.Addr, SMTPFrom: "entraide@fra.example", Client: r.hook.Client, SLA: sla, AllowPrivateWebhooks: true}); err != nil {
		t.Fatalf("ConfigureAlerts: %v", err)
	}
}

func (f *fixture) roster(t *testing.T, in node.RosterInput) alerting.Entry {
	t.Helper()
	e, err := f.n.AddRosterEntry(t.Context(), f.adminFor(t, in.User), in)
	if err != nil {
		t.Fatalf("AddRosterEntry(%+v): %v", in, err)
	}
	return e
}

// send drafts a request of kind from FRA to VNM and sends it.
func (f *fixture) send(t *testing.T, c casework.Contents) *casework.Request {
	t.Helper()
	r, err := f.n.CreateRequest(t.Context(), fraCA, c)
	if err != nil {
		t.Fatalf("CreateRequest(%s): %v", c.Kind, err)
	}
	return f.move(t, fraCA, r.ID, casework.Transition{Action: casework.Send})
}

// alertOf returns the alert the request raised for by's State, or nil.
func (f *fixture) alertOf(t *testing.T, by casework.Actor, requestID string) *alerting.Alert {
	t.Helper()
	list, err := f.n.Alerts(t.Context(), by, store.AlertFilter{Limit: 500})
	if err != nil {
		t.Fatalf("Alerts as %s: %v", by.ID, err)
	}
	for _, a := range list.Alerts {
		if a.RequestID == requestID {
			return a
		}
	}
	return nil
}

func (f *fixture) process(t *testing.T) {
	t.Helper()
	if err := f.n.ProcessAlerts(t.Context()); err != nil {
		t.Fatalf("ProcessAlerts: %v", err)
	}
}

func (f *fixture) alert(t *testing.T, id string) *alerting.Alert {
	t.Helper()
	for _, state := range f.n.Hosted() {
		if a, err := f.db.Alert(t.Context(), state, id); err == nil {
			return a
		}
	}
	t.Fatalf("no alert %s on the node", id)
	return nil
}

// show describes a notification's delivery, without its body.
func show(n store.Notification) string {
	return fmt.Sprintf("{%s to %s: attempts %d, next %s, sent %s, failed %s, last error %q}", n.Channel, n.Address, n.Attempts,
		n.NextAttempt.Format(time.TimeOnly), n.SentAt.Format(time.TimeOnly), n.FailedAt.Format(time.TimeOnly), n.LastError)
}

func recipients(ms []alertingtest.Mail) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.To...)
	}
	slices.Sort(out)
	return out
}

func TestIncomingRequestsRaiseAlerts(t *testing.T) {
	eachBackend(t, func(t *testing.T, backend string) {
		f := newFixture(t, backend)
		urgentMLA := contents(t, convention.MutualAssistance, "VNM")
		urgentMLA.Urgency = casework.Urgent
		tests := []struct {
			name string
			c    casework.Contents
			want alerting.Reason // "" for no alert
		}{
			{"art 42: a preservation alerts the 24/7 point of contact", contents(t, convention.Preservation, "VNM"), alerting.ReasonPreservation},
			{"art 41(3)(e): an emergency disclosure alerts", contents(t, convention.EmergencyDisclosure, "VNM"), alerting.ReasonEmergencyDisclosure},
			{"an urgent request alerts", urgentMLA, alerting.ReasonUrgent},
			{"a request in the normal course does not", contents(t, convention.MutualAssistance, "VNM"), ""},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				var r *casework.Request
				records := f.auditSince(t, func() { r = f.send(t, tt.c) })
				a := f.alertOf(t, vnmCA, r.ID)
				if tt.want == "" {
					if a != nil {
						t.Fatalf("alert %+v, want none", a)
					}
					return
				}
				if a == nil {
					t.Fatalf("no alert for VNM about %s", r.ID)
				}
				if a.State != "VNM" || a.Reason != tt.want || a.From != "FRA" || a.Kind != tt.c.Kind || a.Level != 0 || !a.CreatedAt.Equal(start) || !a.EscalatesAt.Equal(start) {
					t.Errorf("alert = %+v; want VNM's, %s, from FRA, due for its first step at once", a, tt.want)
				}
				// Written in the transaction that made VNM's view: its
				// audit record is among that transaction's.
				got := actionsAndSubjects(records)
				i := slices.Index(got, "request.receive request/"+r.ID+"@VNM")
				j := slices.Index(got, "alert.raise alert/"+a.ID)
				if i < 0 || j != i+1 {
					t.Errorf("audit records of the send: %v; want alert.raise right after request.receive", got)
				}
				if f.alertOf(t, fraCA, r.ID) != nil {
					t.Errorf("the requesting State has an alert about its own request")
				}
			})
		}
	})
}

func TestAlertEscalation(t *testing.T) {
	eachBackend(t, func(t *testing.T, backend string) {
		r := newAlertRig(t, newFixture(t, backend), nil)
		ctx := t.Context()
		p := validProfile("VNM")
		p.CentralAuthority.Email, p.Contact247.Email = "mla@vnm.example", "desk@vnm.example"
		if _, err := r.n.PutProfile(ctx, r.n.Admin(), p); err != nil {
			t.Fatal(err)
		}
		r.roster(t, node.RosterInput{User: vnm247.ID, Channel: alerting.Email, Address: "first@vnm.example", Position: 1})
		r.roster(t, node.RosterInput{User: vnm247.ID, Channel: alerting.Webhook, Address: r.hook.URL, Secret: hookSecret})
		r.roster(t, node.RosterInput{User: vnm247b.ID, Channel: alerting.Email, Address: "second@vnm.example"})
		r.roster(t, node.RosterInput{User: vnm247b.ID, Channel: alerting.Email, Address: "night@vnm.example", From: start.Add(12 * time.Hour)})
		r.roster(t, node.RosterInput{User: vnmCA.ID, Channel: alerting.Email, Address: "ca-officer@vnm.example"})
		r.roster(t, node.RosterInput{User: fra247.ID, Channel: alerting.Email, Address: "247@fra.example"})

		req := r.send(t, contents(t, convention.Preservation, "VNM"))
		a := r.alertOf(t, vnm247, req.ID)

		// At once: the first officer on duty, by e-mail and webhook.
		r.process(t)
		m := r.smtp.Next(t)
		if !slices.Equal(m.To, []string{"first@vnm.example"}) || m.From != "entraide@fra.example" {
			t.Errorf("first mail from %s to %v, want from entraide@fra.example to first@vnm.example", m.From, m.To)
		}
		if !containsAll(m.Body, a.ID, "preservation", "FRA", "entraide alert ack "+a.ID) || strings.Contains(m.Body, "facts_summary") {
			t.Errorf("first mail's body names the alert and how to acknowledge it, and no contents of the request:\n%s", m.Body)
		}
		d := r.hook.Next(t)
		if d.Payload.Alert.ID != a.ID || d.Payload.Step.Level != 1 || d.Payload.Step.To != alerting.OnCall || d.Header.Get(alerting.AlertHeader) != a.ID {
			t.Errorf("webhook payload %+v, want alert %s at step 1, on call", d.Payload, a.ID)
		}
		if got := r.alert(t, a.ID); got.Level != 1 || !got.EscalatesAt.Equal(start.Add(time.Hour)) {
			t.Errorf("after the first step: level %d, escalates at %s; want 1, %s", got.Level, got.EscalatesAt, start.Add(time.Hour))
		}

		// art. 41: unacknowledged for its SLA, the alert goes to the next
		// officer on duty, then to the central authority; not before.
		r.clock.Advance(time.Hour - time.Second)
		r.process(t)
		if ms := r.smtp.Pending(); len(ms) != 0 {
			t.Fatalf("mail %v a second before the SLA, want none", recipients(ms))
		}
		r.clock.Advance(time.Second)
		r.process(t)
		if got := recipients([]alertingtest.Mail{r.smtp.Next(t)}); !slices.Equal(got, []string{"second@vnm.example"}) {
			t.Errorf("after 1h, mail to %v, want the second officer", got)
		}
		r.clock.Advance(time.Hour)
		r.process(t)
		if got := recipients([]alertingtest.Mail{r.smtp.Next(t), r.smtp.Next(t)}); !slices.Equal(got, []string{"ca-officer@vnm.example", "mla@vnm.example"}) {
			t.Errorf("after 2h, mail to %v, want the central authority's address and its officer", got)
		}
		got := r.alert(t, a.ID)
		var tiers []alerting.Tier
		for _, s := range got.Steps {
			tiers = append(tiers, s.To)
		}
		if got.Level != 3 || !got.EscalatesAt.IsZero() || !slices.Equal(tiers, []alerting.Tier{alerting.OnCall, alerting.OnCall, alerting.CentralAuthority}) {
			t.Errorf("after 2h: level %d, steps %v, escalates at %v; want 3, on call twice then the central authority, no more", got.Level, tiers, got.EscalatesAt)
		}
		r.clock.Advance(5 * time.Hour)
		r.process(t)
		if ms := r.smtp.Pending(); len(ms) != 0 || len(r.hook.Pending()) != 0 {
			t.Errorf("mail to %v after the last step, want none", recipients(ms))
		}

		// The measure: acknowledged 7h after it was raised.
		if _, err := r.n.AckAlert(ctx, fra247, a.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("AckAlert by FRA's 24/7 = %v, want not found: VNM's alert is none of FRA's business", err)
		}
		if _, err := r.n.AckAlert(ctx, fraInv, a.ID); !errors.Is(err, casework.ErrForbidden) {
			t.Errorf("AckAlert by an investigator = %v, want forbidden", err)
		}
		acked, err := r.n.AckAlert(ctx, vnm247b, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		if acked.AckedBy != vnm247b.ID || acked.TimeToAckMS == nil || *acked.TimeToAckMS != (7*time.Hour).Milliseconds() {
			t.Errorf("acknowledged: %+v; want by %s after 7h", acked, vnm247b.ID)
		}
		again, err := r.n.AckAlert(ctx, vnm247, a.ID)
		if err != nil || again.AckedBy != vnm247b.ID || *again.TimeToAckMS != *acked.TimeToAckMS {
			t.Errorf("second AckAlert = %+v, %v; want the first acknowledgement unchanged", again, err)
		}
		list, err := r.n.Alerts(ctx, vnmCA, store.AlertFilter{})
		if err != nil {
			t.Fatal(err)
		}
		want := alerting.Stats{Count: 1, P50MS: 7 * 3600000, P99MS: 7 * 3600000, MaxMS: 7 * 3600000}
		if list.Open != 0 || list.TimeToAck != want || list.ByReason[alerting.ReasonPreservation] != want {
			t.Errorf("Alerts: open %d, time to ack %+v by reason %+v; want 0, %+v", list.Open, list.TimeToAck, list.ByReason, want)
		}
		if refused := r.hook.Refused(); len(refused) != 0 {
			t.Errorf("the webhook receiver refused %v", refused)
		}
		// Every change is in the audit log; no secret is.
		var actions []string
		for _, rec := range r.auditLog(t) {
			if strings.HasPrefix(rec.Action, "alert.") {
				actions = append(actions, rec.Action)
			}
			if strings.Contains(string(rec.Detail), hookSecret) || strings.Contains(string(rec.Detail), "/hooks/entraide") {
				t.Errorf("audit record %s holds the webhook's secret or path: %s", rec.Action, rec.Detail)
			}
		}
		if want := []string{"alert.raise", "alert.notify", "alert.escalate", "alert.escalate", "alert.ack"}; !slices.Equal(actions, want) {
			t.Errorf("alert audit records %v, want %v", actions, want)
		}
	})
}

func TestAlertSLA(t *testing.T) {
	f := newFixture(t, "sqlite")
	r := newAlertRig(t, f, alerting.SLA{alerting.ReasonUrgent: 20 * time.Minute})
	r.roster(t, node.RosterInput{User: vnm247.ID, Channel: alerting.Email, Address: "first@vnm.example"})
	r.roster(t, node.RosterInput{User: vnm247b.ID, Channel: alerting.Email, Address: "second@vnm.example"})
	urgent := contents(t, convention.MutualAssistance, "VNM")
	urgent.Urgency = casework.Urgent
	tests := []struct {
		name string
		c    casework.Contents
		sla  time.Duration
	}{
		{"a preservation waits an hour by default", contents(t, convention.Preservation, "VNM"), time.Hour},
		{"art 41(3)(e): an emergency disclosure waits 15 minutes", contents(t, convention.EmergencyDisclosure, "VNM"), 15 * time.Minute},
		{"an urgent request waits as configured", urgent, 20 * time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := r.send(t, tt.c)
			a := r.alertOf(t, vnm247, req.ID)
			r.process(t)
			r.smtp.Next(t)
			if got := r.alert(t, a.ID).EscalatesAt; !got.Equal(r.clock.Now().Add(tt.sla)) {
				t.Fatalf("escalates at %s, want %s after now", got, tt.sla)
			}
			r.clock.Advance(tt.sla - time.Second)
			r.process(t)
			if ms := r.smtp.Pending(); len(ms) != 0 {
				t.Fatalf("escalated to %v before the SLA", recipients(ms))
			}
			r.clock.Advance(time.Second)
			r.process(t)
			if got := recipients([]alertingtest.Mail{r.smtp.Next(t)}); !slices.Equal(got, []string{"second@vnm.example"}) {
				t.Errorf("at the SLA, mail to %v, want the second officer", got)
			}
			if _, err := r.n.AckAlert(t.Context(), vnm247, a.ID); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestAlertsSurviveRestart stops a node with an escalation due later and
// a webhook waiting for its retry, and opens it again on the same
// database: the alert loop of the new process sends both.
func TestAlertsSurviveRestart(t *testing.T) {
	eachBackend(t, func(t *testing.T, backend string) {
		ctx := t.Context()
		dsn := storetest.DSN(t, backend)
		db, err := store.Open(ctx, dsn)
		if err != nil {
			t.Fatal(err)
		}
		f := newFixtureDB(t, db)
		r := newAlertRig(t, f, nil)
		r.roster(t, node.RosterInput{User: vnm247.ID, Channel: alerting.Email, Address: "first@vnm.example"})
		r.roster(t, node.RosterInput{User: vnm247.ID, Channel: alerting.Webhook, Address: r.hook.URL, Secret: hookSecret})
		r.roster(t, node.RosterInput{User: vnm247b.ID, Channel: alerting.Email, Address: "second@vnm.example"})
		req := r.send(t, contents(t, convention.EmergencyDisclosure, "VNM"))
		a := r.alertOf(t, vnm247, req.ID)
		r.hook.FailNext(http.StatusServiceUnavailable)
		r.process(t)
		r.smtp.Next(t)
		ns, err := db.Notifications(ctx, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range ns {
			if n.Channel == alerting.Webhook && (n.Attempts != 1 || !n.SentAt.IsZero() || !strings.Contains(n.LastError, "503")) {
				t.Fatalf("webhook notification %s, want one failed attempt, to retry", show(n))
			}
			if strings.Contains(n.LastError, "/hooks/entraide") {
				t.Errorf("last error %q holds the webhook's path", n.LastError)
			}
		}
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}

		// Fifteen minutes later, a new process.
		r.clock.Advance(15 * time.Minute)
		db2, err := store.Open(ctx, dsn)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db2.Close() })
		n2, err := node.Open(ctx, db2, r.keeper, r.clock.Now)
		if err != nil {
			t.Fatal(err)
		}
		r.configure(t, n2, nil)
		loop, stop := context.WithCancel(ctx)
		done := make(chan error, 1)
		go func() { done <- n2.RunAlerts(loop) }()
		defer func() { stop(); <-done }()
		if got := recipients([]alertingtest.Mail{r.smtp.Next(t)}); !slices.Equal(got, []string{"second@vnm.example"}) {
			t.Errorf("after the restart, mail to %v; want the escalation to the second officer", got)
		}
		if d := r.hook.Next(t); d.Payload.Alert.ID != a.ID || d.Payload.Step.Level != 1 {
			t.Errorf("after the restart, webhook %+v; want the retry of step 1", d.Payload)
		}
		// Acknowledged through the new process, the alert escalates no more.
		if _, err := n2.AckAlert(ctx, vnm247, a.ID); err != nil {
			t.Fatal(err)
		}
		got, err := db2.Alert(ctx, a.State, a.ID)
		if err != nil || got.Level != 2 || !got.EscalatesAt.IsZero() || *got.TimeToAckMS != (15*time.Minute).Milliseconds() {
			t.Errorf("alert after the restart: %+v, %v; want level 2, acknowledged after 15m", got, err)
		}
	})
}

func TestNotificationFailures(t *testing.T) {
	eachBackend(t, func(t *testing.T, backend string) {
		r := newAlertRig(t, newFixture(t, backend), nil)
		ctx := t.Context()
		r.smtp.Reject("gone@vnm.example")
		gone := r.roster(t, node.RosterInput{User: vnm247.ID, Channel: alerting.Email, Address: "gone@vnm.example"})
		flaky := r.roster(t, node.RosterInput{User: vnm247.ID, Channel: alerting.Webhook, Address: r.hook.URL, Secret: hookSecret})
		other := alertingtest.NewWebhook(t, hookSecret, r.clock.Now)
		removed := r.roster(t, node.RosterInput{User: vnm247.ID, Channel: alerting.Webhook, Address: other.URL, Secret: hookSecret})
		r.hook.FailNext(http.StatusBadGateway, http.StatusTooManyRequests)
		other.FailNext(http.StatusServiceUnavailable)
		req := r.send(t, contents(t, convention.Preservation, "VNM"))
		a := r.alertOf(t, vnm247, req.ID)
		r.process(t) // takes the step; the webhooks fail with 502 and 503
		// Removed before the retry: the notification fails for want of
		// its secret.
		if _, err := r.n.RemoveRosterEntry(ctx, r.n.AdminOf("VNM"), removed.ID); err != nil {
			t.Fatal(err)
		}
		byEntry := func() map[string]store.Notification {
			ns, err := r.db.Notifications(ctx, a.ID)
			if err != nil {
				t.Fatal(err)
			}
			out := map[string]store.Notification{}
			for _, n := range ns {
				out[n.Entry] = n
			}
			return out
		}
		ns := byEntry()
		if n := ns[gone.ID]; n.FailedAt.IsZero() || n.Attempts != 1 || !strings.Contains(n.LastError, "550") {
			t.Errorf("mail refused with 550: %s; want failed at once, not retried", show(n))
		}
		first := ns[flaky.ID]
		if first.Attempts != 1 || !first.SentAt.IsZero() || !first.NextAttempt.Equal(r.clock.Now().Add(5*time.Second)) {
			t.Errorf("webhook answered 502: %s; want a retry in 5s", show(first))
		}
		r.clock.Advance(5 * time.Second)
		r.process(t) // 429: retried again, later
		if n := byEntry()[flaky.ID]; n.Attempts != 2 || !n.NextAttempt.Equal(r.clock.Now().Add(10*time.Second)) {
			t.Errorf("webhook answered 429: %s; want a second retry in 10s", show(n))
		}
		r.clock.Advance(10 * time.Second)
		r.process(t)
		ns = byEntry()
		if n := ns[flaky.ID]; n.SentAt.IsZero() || n.Attempts != 3 || n.LastError != "" {
			t.Errorf("webhook at the third attempt: %s; want sent", show(n))
		}
		if n := ns[removed.ID]; n.FailedAt.IsZero() || !strings.Contains(n.LastError, "removed") {
			t.Errorf("webhook of a removed entry: %s; want failed, saying so", show(n))
		}
		if d := r.hook.Next(t); d.Payload.Alert.ID != a.ID {
			t.Errorf("delivery %+v, want alert %s", d.Payload, a.ID)
		}

		// Without an SMTP server, e-mail fails and says how to configure it.
		if err := r.n.ConfigureAlerts(node.AlertConfig{}); err != nil {
			t.Fatal(err)
		}
		r.roster(t, node.RosterInput{User: vnm247b.ID, Channel: alerting.Email, Address: "second@vnm.example"})
		r.clock.Advance(time.Hour)
		r.process(t)
		for _, n := range byEntry() {
			if n.Address == "second@vnm.example" && (n.FailedAt.IsZero() || !strings.Contains(n.LastError, "--smtp-addr")) {
				t.Errorf("mail without an SMTP server: %s; want failed, naming --smtp-addr", show(n))
			}
		}
		if err := r.n.ConfigureAlerts(node.AlertConfig{SMTPAddr: "no-port", SMTPFrom: "x@example.org"}); err == nil {
			t.Errorf("ConfigureAlerts with an SMTP address without a port = nil, want an error")
		}
		if err := r.n.ConfigureAlerts(node.AlertConfig{SMTPAddr: "localhost:25", SMTPFrom: "Entraide <x@example.org>\r\nBcc: y@example.org"}); err == nil {
			t.Errorf("ConfigureAlerts with a sender that is no bare address = nil, want an error")
		}
	})
}

func TestUnansweredAlert(t *testing.T) {
	f := newFixture(t, "sqlite")
	req := f.send(t, contents(t, convention.Preservation, "VNM"))
	a := f.alertOf(t, vnmCA, req.ID)
	// Nobody on the roster, no profile: the alert waits, and is tried
	// again after its SLA, in case someone was added.
	f.process(t)
	got := f.alert(t, a.ID)
	if got.Level != 0 || !got.EscalatesAt.Equal(start.Add(time.Hour)) {
		t.Errorf("alert that reaches no one: level %d, escalates at %s; want 0, retried at %s", got.Level, got.EscalatesAt, start.Add(time.Hour))
	}
	f.roster(t, node.RosterInput{User: vnmCA.ID, Channel: alerting.Email, Address: "ca@vnm.example"})
	f.clock.Advance(time.Hour)
	f.process(t)
	if got := f.alert(t, a.ID); got.Level != 1 || got.Steps[0].To != alerting.CentralAuthority || !got.EscalatesAt.IsZero() {
		t.Errorf("after the roster was filled: %+v; want the central authority told, as last step", got)
	}
	events, err := f.n.AlertEvents(t.Context(), vnmCA, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	var types []alerting.EventType
	for _, e := range events {
		types = append(types, e.Type)
	}
	if want := []alerting.EventType{alerting.Raised, alerting.Unanswered, alerting.Notified}; !slices.Equal(types, want) {
		t.Errorf("events %v, want %v", types, want)
	}
}

func TestDeliveryExpiredAlertsAdministrators(t *testing.T) {
	eachBackend(t, func(t *testing.T, backend string) {
		r := newAlertRig(t, newFixture(t, backend), nil)
		ctx := t.Context()
		if _, err := r.n.AddUser(ctx, r.n.Admin(), identity.User{ID: "admin2", Name: "Second administrator", Email: "admin2@fra.example", Role: identity.Administrator}); err != nil {
			t.Fatal(err)
		}
		r.roster(t, node.RosterInput{User: "admin", Channel: alerting.Webhook, Address: r.hook.URL, Secret: hookSecret})
		r.roster(t, node.RosterInput{User: fra247.ID, Channel: alerting.Email, Address: "247@fra.example"})
		req := r.draft(t, convention.MutualAssistance, "VNM")
		m := store.OutboxEntry{ID: "msg-1", Recipient: "DEU", Type: node.MsgRequestSend, RequestID: req.ID, CreatedAt: start}
		// The hook a node installs by default, called as the outbox calls
		// it: in the transaction that gives up on the message.
		if err := r.db.Tx(ctx, func(tx *store.Tx) error {
			return r.n.AlertExpired(ctx, tx, m, "no receipt after 72h0m0s and 40 attempts")
		}); err != nil {
			t.Fatal(err)
		}
		list, err := r.n.Alerts(ctx, fraCA, store.AlertFilter{Reason: alerting.ReasonDeliveryExpired})
		if err != nil || len(list.Alerts) != 1 {
			t.Fatalf("FRA's delivery_expired alerts: %+v, %v; want one", list.Alerts, err)
		}
		a := list.Alerts[0]
		if a.State != "FRA" || a.From != "DEU" || a.RequestID != req.ID || a.Kind != convention.MutualAssistance || !strings.Contains(a.Detail, "40 attempts") {
			t.Errorf("alert = %+v; want FRA's, about the message to DEU and its request", a)
		}
		r.process(t)
		if got := recipients([]alertingtest.Mail{r.smtp.Next(t)}); !slices.Equal(got, []string{"admin2@fra.example"}) {
			t.Errorf("mail to %v, want the administrator without a roster entry, by their e-mail", got)
		}
		if d := r.hook.Next(t); d.Payload.Alert.Reason != alerting.ReasonDeliveryExpired || d.Payload.Step.To != alerting.Administrators {
			t.Errorf("webhook %+v, want the administrator on the roster told", d.Payload)
		}
		if ms := r.smtp.Pending(); len(ms) != 0 {
			t.Errorf("mail to %v: the 24/7 officer is not told of the node's failures", recipients(ms))
		}
		// The administrators, told of it, read it and acknowledge it, but
		// no alert about a case.
		admin := casework.Actor{ID: "admin", State: "FRA", Role: identity.Administrator}
		caseAlert := r.alertOf(t, vnm247, r.send(t, contents(t, convention.Preservation, "VNM")).ID)
		if list, err := r.n.Alerts(ctx, admin, store.AlertFilter{}); err != nil || len(list.Alerts) != 1 || list.Alerts[0].ID != a.ID || list.Open != 1 {
			t.Errorf("Alerts as FRA's administrator = %+v, %v; want the delivery_expired alert only, 1 open", list, err)
		}
		if _, err := r.n.Alerts(ctx, admin, store.AlertFilter{Reason: alerting.ReasonConsultation}); !errors.Is(err, casework.ErrForbidden) {
			t.Errorf("Alerts(consultation) as an administrator = %v, want forbidden: alerts about cases are not theirs", err)
		}
		vnmAdmin := casework.Actor{ID: "vnm-admin", State: "VNM", Role: identity.Administrator}
		if _, err := r.n.AckAlert(ctx, vnmAdmin, caseAlert.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("AckAlert(an alert about a case) by an administrator = %v, want not found", err)
		}
		if got, err := r.n.AckAlert(ctx, admin, a.ID); err != nil || !got.Acked() {
			t.Errorf("AckAlert by FRA's administrator = %+v, %v; want acknowledged", got, err)
		}
		if _, err := r.n.AckAlert(ctx, fraCA, a.ID); err != nil {
			t.Errorf("AckAlert by FRA's central authority = %v", err)
		}
	})
}

func TestSubscribeAlerts(t *testing.T) {
	f := newFixture(t, "sqlite")
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	if _, err := f.n.SubscribeAlerts(ctx, casework.Actor{ID: "admin", State: "FRA", Role: identity.Administrator}, 0); !errors.Is(err, casework.ErrForbidden) {
		t.Errorf("SubscribeAlerts by an administrator = %v, want forbidden: alerts are about cases", err)
	}
	vnm, err := f.n.SubscribeAlerts(ctx, vnm247, -1)
	if err != nil {
		t.Fatal(err)
	}
	fra, err := f.n.SubscribeAlerts(ctx, fra247, -1)
	if err != nil {
		t.Fatal(err)
	}
	next := func(ch <-chan alerting.Event) alerting.Event {
		t.Helper()
		select {
		case e := <-ch:
			return e
		case <-time.After(alertingtest.Wait):
			t.Fatalf("no alert event within %s", alertingtest.Wait)
			return alerting.Event{}
		}
	}
	req := f.send(t, contents(t, convention.Preservation, "VNM"))
	raised := next(vnm)
	if raised.Type != alerting.Raised || raised.Alert.RequestID != req.ID || raised.Alert.State != "VNM" {
		t.Errorf("VNM's first event %+v, want the alert raised for %s", raised, req.ID)
	}
	if _, err := f.n.AckAlert(ctx, vnm247, raised.Alert.ID); err != nil {
		t.Fatal(err)
	}
	if e := next(vnm); e.Type != alerting.Acknowledged || e.Seq <= raised.Seq || e.Alert.AckedBy != vnm247.ID {
		t.Errorf("VNM's second event %+v, want the acknowledgement after seq %d", e, raised.Seq)
	}
	// FRA's feed saw none of it: its first event is its own alert.
	vnmReq, err := f.n.CreateRequest(ctx, vnmCA, contents(t, convention.EmergencyDisclosure, "FRA"))
	if err != nil {
		t.Fatal(err)
	}
	f.move(t, vnmCA, vnmReq.ID, casework.Transition{Action: casework.Send})
	if e := next(fra); e.Alert.State != "FRA" || e.Alert.RequestID != vnmReq.ID {
		t.Errorf("FRA's first event %+v, want its own alert about %s", e, vnmReq.ID)
	}
	// A feed from seq 0 replays what was missed.
	replay, err := f.n.SubscribeAlerts(ctx, vnmCA, 0)
	if err != nil {
		t.Fatal(err)
	}
	if a, b := next(replay), next(replay); a.Seq != raised.Seq || b.Type != alerting.Acknowledged {
		t.Errorf("replay from 0: %s %d, %s; want raised %d, acknowledged", a.Type, a.Seq, b.Type, raised.Seq)
	}
	cancel()
	for range vnm {
	}
}

func TestRosterRules(t *testing.T) {
	eachBackend(t, func(t *testing.T, backend string) {
		f := newFixture(t, backend)
		ctx := t.Context()
		a := f.roster(t, node.RosterInput{User: vnm247.ID, Channel: alerting.Email, Address: "a@vnm.example"})
		b := f.roster(t, node.RosterInput{User: vnmCA.ID, Channel: alerting.Email, Address: "ca@vnm.example"})
		c := f.roster(t, node.RosterInput{User: vnm247.ID, Channel: alerting.Webhook, Address: "https://duty.vnm.example/hook?token=t0k3n", Secret: hookSecret})
		d := f.roster(t, node.RosterInput{User: fra247.ID, Channel: alerting.Email, Address: "a@fra.example"})
		if a.Position != 1 || b.Position != 2 || c.Position != 1 || d.Position != 1 {
			t.Errorf("default positions %d %d %d %d; want 1, 2 (next in VNM), 1 (the official's own), 1 (first in FRA)", a.Position, b.Position, c.Position, d.Position)
		}
		if a.State != "VNM" || a.Role != identity.TwentyFourSeven || c.Secret != "" {
			t.Errorf("entry %+v: want VNM's 24/7, and no secret given back", c)
		}
		tests := []struct {
			name   string
			in     node.RosterInput
			fields []string
		}{
			{"unknown official", node.RosterInput{User: "nobody", Channel: alerting.Email, Address: "x@example.org"}, []string{"user"}},
			{"art 41: an investigator is not on call", node.RosterInput{User: fraInv.ID, Channel: alerting.Email, Address: "x@example.org"}, []string{"user"}},
			{"every problem at once", node.RosterInput{User: fraAud.ID, Channel: alerting.Webhook, Address: "http://duty.example.org/", Secret: "short"}, []string{"address", "secret", "user"}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				_, err := f.n.AddRosterEntry(ctx, f.n.Admin(), tt.in)
				assertProblemFields(t, "AddRosterEntry", err, tt.fields...)
			})
		}
		if _, err := f.n.AddRosterEntry(ctx, fraCA, node.RosterInput{User: vnm247.ID, Channel: alerting.Email, Address: "x@example.org"}); !errors.Is(err, casework.ErrForbidden) {
			t.Errorf("AddRosterEntry by the central authority = %v, want forbidden", err)
		}
		if _, err := f.n.Roster(ctx, vnm247); !errors.Is(err, casework.ErrForbidden) {
			t.Errorf("Roster by a 24/7 officer = %v, want forbidden", err)
		}
		// Each State's administrators see and change their own roster only.
		if entries, err := f.n.Roster(ctx, f.n.Admin()); err != nil || len(entries) != 1 || entries[0].ID != d.ID {
			t.Errorf("Roster by FRA's administrator = %+v, %v; want FRA's line only", entries, err)
		}
		if _, err := f.n.RemoveRosterEntry(ctx, f.n.Admin(), c.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("RemoveRosterEntry of VNM's line by FRA's administrator = %v, want not found", err)
		}
		_, err := f.n.AddRosterEntry(ctx, f.n.AdminOf("VNM"), node.RosterInput{User: fra247.ID, Channel: alerting.Email, Address: "x@example.org"})
		assertProblemFields(t, "AddRosterEntry of FRA's official by VNM's administrator", err, "user")
		entries, err := f.n.Roster(ctx, f.n.AdminOf("VNM"))
		if err != nil || len(entries) != 3 {
			t.Fatalf("Roster by VNM's administrator = %d entries, %v; want 3", len(entries), err)
		}
		data, _ := json.Marshal(entries)
		for _, e := range entries {
			if e.Secret != "" {
				t.Errorf("Roster shows the secret of %s", e.ID)
			}
		}
		if strings.Contains(string(data), hookSecret) {
			t.Errorf("the roster's JSON holds a secret: %s", data)
		}
		removed, err := f.n.RemoveRosterEntry(ctx, f.n.AdminOf("VNM"), c.ID)
		if err != nil || removed.ID != c.ID || removed.Secret != "" {
			t.Errorf("RemoveRosterEntry = %+v, %v", removed, err)
		}
		if _, err := f.n.RemoveRosterEntry(ctx, f.n.AdminOf("VNM"), c.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("RemoveRosterEntry twice = %v, want not found", err)
		}
		for _, rec := range f.auditLog(t) {
			if strings.HasPrefix(rec.Action, "roster.") && (strings.Contains(string(rec.Detail), hookSecret) || strings.Contains(string(rec.Detail), "t0k3n")) {
				t.Errorf("audit %s holds the webhook's secret or token: %s", rec.Action, rec.Detail)
			}
		}
	})
}

// TestProfileAddresses checks that the State's notified addresses are
// used as escalation finds them: the 24/7 e-mail when nobody is on the
// roster, the central authority's last.
func TestProfileAddresses(t *testing.T) {
	r := newAlertRig(t, newFixture(t, "sqlite"), nil)
	p := validProfile("VNM")
	if _, err := r.n.PutProfile(t.Context(), r.n.Admin(), p); err != nil {
		t.Fatal(err)
	}
	req := r.send(t, contents(t, convention.EmergencyDisclosure, "VNM"))
	r.process(t)
	if got := recipients([]alertingtest.Mail{r.smtp.Next(t)}); !slices.Equal(got, []string{p.Contact247.Email}) {
		t.Errorf("mail to %v, want the State's 24/7 e-mail %s", got, p.Contact247.Email)
	}
	r.clock.Advance(15 * time.Minute)
	r.process(t)
	if got := recipients([]alertingtest.Mail{r.smtp.Next(t)}); !slices.Equal(got, []string{p.CentralAuthority.Email}) {
		t.Errorf("after 15 minutes, mail to %v, want the central authority %s", got, p.CentralAuthority.Email)
	}
	if a := r.alertOf(t, vnmCA, req.ID); a.Level != 2 || a.Steps[0].To != alerting.PointOfContact {
		t.Errorf("alert %+v, want the point of contact then the central authority", a)
	}
}
