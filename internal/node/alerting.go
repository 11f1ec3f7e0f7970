package node

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/smtp"
	"net/textproto"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"entraide/internal/alerting"
	"entraide/internal/auditlog"
	"entraide/internal/casework"
	"entraide/internal/convention"
	"entraide/internal/egress"
	"entraide/internal/identity"
	"entraide/internal/store"
)

// Alerts of the 24/7 network (art. 41) live in the alerts table, written
// in the transaction of what raised them: the requested State's view of
// an incoming request, or the outbox giving up on a message. Each alert is
// due for its next escalation step at escalate_at; a step, taken in one
// transaction, writes its notifications, which are sent after commit and
// retried at their own due times. Like the outbox, the tables are the
// queue: a restart resumes whatever was due, and a wake-up after commit
// does the work at once, without polling.

// Alerting settings.
const (
	alertBatch        = 64
	alertWorkers      = 8
	notifyTimeout     = 30 * time.Second
	notifyLease       = 2 * notifyTimeout
	notifyRetryBase   = 5 * time.Second
	notifyMaxDelay    = 5 * time.Minute
	notifyMaxAttempts = 10
	// feedPoll is how often a live feed on SQLite looks for events that
	// another process (the CLI) committed; this process's own wake it at
	// once, and on PostgreSQL so do every replica's, announced.
	feedPoll  = 5 * time.Second
	feedBatch = 100
)

// AlertConfig is how a node tells officials of alerts.
type AlertConfig struct {
	// SMTPAddr is the host:port of the SMTP server that e-mails go
	// through, and SMTPFrom their sender's address. Without them, e-mail
	// notifications fail, and say so.
	SMTPAddr string
	SMTPFrom string
	// SMTPUsername and SMTPPassword, if set, authenticate with PLAIN,
	// which net/smtp sends only over TLS or to localhost.
	SMTPUsername string
	SMTPPassword string
	// SMTPRequireTLS refuses to send an e-mail over a connection the
	// server does not secure with STARTTLS, rather than send it in clear.
	SMTPRequireTLS bool
	// SMTPTLS is the TLS configuration of STARTTLS; nil trusts the
	// system's roots. Its ServerName is the host of SMTPAddr.
	SMTPTLS *tls.Config
	// Client posts webhooks; it follows no redirect. Its Transport, if
	// set, must be an *http.Transport, so that it can be kept to public
	// addresses.
	Client *http.Client
	// AllowPrivateWebhooks lets webhooks reach loopback, private and
	// link-local addresses, for trials and tests on one machine. Without
	// it, a roster entry naming such an address is refused, and every
	// connection a webhook makes is checked once its name is resolved.
	AllowPrivateWebhooks bool
	// SLA is how long an alert may wait at each step before it escalates.
	SLA alerting.SLA
	// Log receives what is sent and what fails; never a secret or a body.
	Log *slog.Logger
}

// alerter is a node's alerting machinery in memory: its configuration,
// the wake-up of its loop, and the signal of its live feeds.
type alerter struct {
	mu      sync.Mutex
	cfg     AlertConfig
	changed chan struct{} // closed and replaced when alert events commit
	wakeCh  chan struct{}
	stopped chan struct{} // closed when the alert loop ends
	stop    sync.Once
}

func newAlerter() *alerter {
	a := &alerter{changed: make(chan struct{}), wakeCh: make(chan struct{}, 1), stopped: make(chan struct{})}
	a.cfg, _ = withAlertDefaults(AlertConfig{}) // cannot fail: no client given
	return a
}

func withAlertDefaults(c AlertConfig) (AlertConfig, error) {
	client := &http.Client{Timeout: notifyTimeout}
	if c.Client != nil {
		copied := *c.Client
		client = &copied
	}
	// A redirect would send the alert, and its signature, elsewhere than
	// the roster says, perhaps to an address the roster could not name.
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	if !c.AllowPrivateWebhooks {
		base, ok := client.Transport.(*http.Transport)
		if client.Transport != nil && !ok {
			return c, fmt.Errorf("the webhook client's transport is a %T: only an *http.Transport can be kept to public addresses", client.Transport)
		}
		client.Transport = egress.Transport(base)
	}
	c.Client = client
	if c.Log == nil {
		c.Log = slog.New(slog.DiscardHandler)
	}
	return c, nil
}

// ConfigureAlerts sets how the node tells officials of alerts. Call it
// before RunAlerts. It fails on a sender or server address that cannot
// be used.
func (n *Node) ConfigureAlerts(c AlertConfig) error {
	if c.SMTPFrom != "" && !alerting.ValidEmail(c.SMTPFrom) {
		return fmt.Errorf("SMTP sender %q is not an e-mail address", c.SMTPFrom)
	}
	if c.SMTPAddr != "" {
		if _, _, err := net.SplitHostPort(c.SMTPAddr); err != nil {
			return fmt.Errorf("SMTP server %q: give host:port, e.g. smtp.example.org:587", c.SMTPAddr)
		}
	}
	c, err := withAlertDefaults(c)
	if err != nil {
		return err
	}
	n.alerts.mu.Lock()
	defer n.alerts.mu.Unlock()
	n.alerts.cfg = c
	return nil
}

func (a *alerter) config() AlertConfig {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.cfg
}

// changes returns a channel closed at the next commit of alert events.
func (a *alerter) changes() <-chan struct{} {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.changed
}

// alertsChanged wakes the alert loop and the live feeds after a commit
// that wrote alert events.
func (n *Node) alertsChanged() {
	a := n.alerts
	a.mu.Lock()
	close(a.changed)
	a.changed = make(chan struct{})
	a.mu.Unlock()
	a.wake()
}

func (a *alerter) wake() {
	select {
	case a.wakeCh <- struct{}{}:
	default:
	}
}

// alertIncoming raises the alert an incoming request calls for, if any,
// inside the transaction that creates the requested State's view of it.
func (n *Node) alertIncoming(ctx context.Context, tx *store.Tx, view *casework.Request, at time.Time) error {
	reason, ok := alerting.Trigger(view.Kind, view.Urgency == casework.Urgent)
	if !ok {
		return nil
	}
	return n.raise(ctx, tx, &alerting.Alert{ID: newID(), State: view.Holder, Reason: reason, RequestID: view.ID, Kind: view.Kind,
		From: view.RequestingState, Summary: alerting.Describe(reason, view.Kind, view.RequestingState), CreatedAt: at})
}

// resolveAlerts ends the open alerts of r's holder about r that event e
// answers, in the transaction that records e: an official of the holder's
// State acted on the request, or it was withdrawn or closed, so that
// nobody is alerted, or escalated to, about a request that was dealt with.
func (n *Node) resolveAlerts(ctx context.Context, tx *store.Tx, r *casework.Request, e casework.Event) error {
	own := e.ActorState == r.Holder && e.Actor != "system" && e.Action != casework.Crossed
	ended := e.To == casework.Withdrawn || e.To == casework.Closed
	// An alert asking the holder to answer a request for information or
	// a consultation is moot once the other State has moved the request
	// out of the state it asked about: the holder can no longer answer.
	moved := !own && e.To != "" && e.To != e.From && (e.From == casework.MoreInfoRequested || e.From == casework.Consultation)
	if !own && !ended && !moved {
		return nil
	}
	open, err := tx.OpenAlertsFor(ctx, r.Holder, r.ID)
	if err != nil || len(open) == 0 {
		return err
	}
	why := fmt.Sprintf("%s's %s of request %s", e.ActorState, strings.ReplaceAll(string(e.Action), "_", " "), r.ID)
	for _, a := range open {
		if !own && !ended && a.Reason != alerting.ReasonInfoRequested && a.Reason != alerting.ReasonConsultation {
			continue
		}
		if err := a.Resolve(e.Actor, own, why, e.At); err != nil {
			continue // acknowledged meanwhile: nothing to end
		}
		if err := tx.CancelNotifications(ctx, a.ID, e.At, "resolved by "+why+" before it was sent"); err != nil {
			return err
		}
		tx.AfterCommit(func() { n.observer().Alert("resolved", string(a.Reason)) })
		if err := n.alertEvent(ctx, tx, a, alerting.Resolved, e.At, "alert.resolve",
			map[string]any{"by": e.Actor, "by_state": e.ActorState, "request": r.ID, "action": e.Action, "level": a.Level}); err != nil {
			return err
		}
	}
	return nil
}

// alertAnswer raises the alert that the other State's event e on r calls
// for on r's holder, if any, in the transaction that applies e to the
// holder's view: the requesting State is told when it is asked for more
// information, consulted, or its request is executed or refused, and the
// requested State when its conditions are answered.
func (n *Node) alertAnswer(ctx context.Context, tx *store.Tx, r *casework.Request, e casework.Event) error {
	if e.ActorState == r.Holder || r.SideOf(e.ActorState) == "" {
		return nil
	}
	reason, ok := alerting.Answer(string(e.Action))
	if !ok {
		return nil
	}
	return n.raise(ctx, tx, &alerting.Alert{ID: newID(), State: r.Holder, Reason: reason, RequestID: r.ID, Kind: r.Kind,
		From: e.ActorState, Summary: alerting.Describe(reason, r.Kind, e.ActorState), CreatedAt: e.At})
}

// alertExpired is the default FederationConfig.OnExpired: it alerts the
// node's administrators, in the transaction that gives up on m.
func (n *Node) alertExpired(ctx context.Context, tx *store.Tx, m store.OutboxEntry, why string) error {
	a := &alerting.Alert{ID: newID(), State: n.home, Reason: alerting.ReasonDeliveryExpired, RequestID: m.RequestID, From: m.Recipient,
		Summary: alerting.Describe(alerting.ReasonDeliveryExpired, "", m.Recipient), Detail: store.ClipText(m.Type+" message "+m.ID+": "+why, store.MaxErrorText), CreatedAt: n.now()}
	if m.RequestID != "" {
		if r, err := n.db.Request(ctx, n.home, m.RequestID); err == nil {
			a.Kind = r.Kind
		}
	}
	return n.raise(ctx, tx, a)
}

// raise stores a new alert, due for its first step at once, with its
// audit record and its event, and wakes the loop once tx commits.
func (n *Node) raise(ctx context.Context, tx *store.Tx, a *alerting.Alert) error {
	a.Steps, a.EscalatesAt = []alerting.Step{}, a.CreatedAt
	_, err := tx.Audit(ctx, auditlog.Record{At: a.CreatedAt, Node: n.home, State: a.State, ActorState: a.State, Actor: "system", Action: "alert.raise", Subject: "alert/" + a.ID,
		Detail: map[string]any{"state": a.State, "reason": a.Reason, "request": a.RequestID, "from": a.From}})
	if err != nil {
		return err
	}
	if err := tx.InsertAlert(ctx, a); err != nil {
		return err
	}
	if err := tx.AppendAlertEvent(ctx, alerting.Event{Type: alerting.Raised, At: a.CreatedAt, Alert: *a}); err != nil {
		return err
	}
	tx.AfterCommit(n.alertsChanged)
	tx.AfterCommit(func() { n.observer().Alert("raised", string(a.Reason)) })
	return nil
}

// RunAlerts works the alerts until ctx ends: it takes each escalation step
// when it falls due and sends the notifications, at once when an alert is
// committed, and again on each due time. Any number of loops may run, in
// one process or several: a step is taken under the alert's lock, and a
// notification is claimed before it is sent. When it returns, the node's
// live feeds end.
func (n *Node) RunAlerts(ctx context.Context) error {
	defer n.alerts.stop.Do(func() { close(n.alerts.stopped) })
	return dueWork[store.Notification]{
		wake: n.alerts.wakeCh, notify: n.alerts.wake, batch: alertBatch, workers: alertWorkers,
		id:     func(m store.Notification) string { return m.ID },
		before: func(ctx context.Context) { n.escalateDue(ctx) },
		due:    n.dueNotifications, next: n.db.NextAlertWork, do: n.notify,
		now: n.now, log: n.alerts.config().Log, name: "alerts",
	}.run(ctx)
}

// ProcessAlerts takes every escalation step due now and sends every
// notification due, waiting for them: one pass of RunAlerts, for tests
// and for tools that drive the node's clock. It returns the database
// errors it met; a notification that fails is recorded and retried.
func (n *Node) ProcessAlerts(ctx context.Context) error {
	err := n.escalateDue(ctx)
	due, dueErr := n.dueNotifications(ctx, n.now(), alertBatch)
	var wg sync.WaitGroup
	errs := make([]error, len(due))
	for i, m := range due {
		wg.Go(func() { errs[i] = n.notify(ctx, m) })
	}
	wg.Wait()
	return errors.Join(err, dueErr, errors.Join(errs...))
}

// dueNotifications returns the notifications due by now. One whose row
// cannot be read is logged and given up, so that it neither stops nor
// holds back the others.
func (n *Node) dueNotifications(ctx context.Context, now time.Time, limit int) ([]store.Notification, error) {
	due, err := n.db.DueNotifications(ctx, now, limit)
	bad, ok := store.IsPartial(err)
	if !ok {
		return due, err
	}
	log := n.alerts.config().Log
	for _, e := range bad {
		log.ErrorContext(ctx, "alert notification cannot be read; not sent", "notification", e.ID, "err", e.Err)
		if err := n.db.SetAsideNotification(ctx, e.ID, now, e.Error()); err != nil {
			log.ErrorContext(ctx, "alert notification", "notification", e.ID, "err", err)
		}
	}
	return due, nil
}

// escalateDue takes the escalation steps due now. A round reads each
// State's contacts and the node's address once, not once per alert, and
// takes its alerts' steps at once, alertWorkers at a time, so that on
// SQLite their transactions share a commit instead of each taking the
// one writer for its own; each is still a transaction of its own, under
// its alert's lock, and one that fails leaves the others.
func (n *Node) escalateDue(ctx context.Context) error {
	due, err := n.db.DueAlerts(ctx, n.now(), alertBatch)
	if err != nil {
		if ctx.Err() == nil {
			n.alerts.config().Log.ErrorContext(ctx, "alerts", "err", err)
		}
		return err
	}
	if len(due) == 0 {
		return nil
	}
	errs := make([]error, len(due))
	nodeURL, err := n.db.BaseURL(ctx)
	if err != nil {
		for i := range errs {
			errs[i] = err
		}
	} else {
		contacts := map[string]alerting.Contacts{}
		contactsErr := map[string]error{}
		for _, a := range due {
			if _, ok := contacts[a.State]; ok {
				continue
			}
			contacts[a.State], contactsErr[a.State] = n.contacts(ctx, a.State)
		}
		slots := make(chan struct{}, alertWorkers)
		var wg sync.WaitGroup
		for i, a := range due {
			if err := contactsErr[a.State]; err != nil {
				errs[i] = err
				continue
			}
			slots <- struct{}{}
			wg.Go(func() {
				defer func() { <-slots }()
				errs[i] = n.escalate(ctx, a, contacts[a.State], nodeURL)
			})
		}
		wg.Wait()
	}
	for i, a := range due {
		err := errs[i]
		if err == nil {
			continue
		}
		n.alerts.config().Log.ErrorContext(ctx, "alert escalation", "alert", a.ID, "state", a.State, "err", err)
		if errors.As(err, new(*store.RowError)) {
			// Set aside, not taken up again every second; the other
			// alerts go on.
			if err := n.db.SetAsideAlert(ctx, a.State, a.ID); err != nil {
				n.alerts.config().Log.ErrorContext(ctx, "alert escalation", "alert", a.ID, "err", err)
			}
		}
	}
	return errors.Join(errs...)
}

// contacts returns whom an alert of state may reach.
func (n *Node) contacts(ctx context.Context, state string) (alerting.Contacts, error) {
	roster, err := n.roster(ctx, state)
	if err != nil {
		return alerting.Contacts{}, err
	}
	users, err := n.db.Users(ctx, state)
	if err := n.readable(ctx, err); err != nil {
		return alerting.Contacts{}, err
	}
	// A disabled official is alerted no more: escalation goes to the
	// next on the roster. An official who cannot be read may be
	// disabled, and is passed over like one.
	disabled := map[string]bool{}
	for _, u := range users {
		disabled[u.ID] = u.DisabledAt != nil || u.Unreadable != ""
	}
	roster = slices.DeleteFunc(roster, func(e alerting.Entry) bool { return disabled[e.User] })
	c := alerting.Contacts{State: state, Roster: roster}
	for _, u := range users {
		if u.Role == identity.Administrator && !disabled[u.ID] {
			c.Administrators = append(c.Administrators, alerting.Person{ID: u.ID, Email: u.Email})
		}
	}
	p, err := n.db.Profile(ctx, state)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return c, err
	}
	c.PointOfContact, c.CentralAuthority = p.Contact247.Email, p.CentralAuthority.Email
	return c, nil
}

// escalate takes the next step of alert ref, if it is due: in one
// transaction, it records the step, its audit record, its event, and the
// notifications it sends, which go out after commit. contacts, of the
// alert's State, and nodeURL were read before it: the roster needs no
// lock, and SQLite's one writer must not wait on reads.
func (n *Node) escalate(ctx context.Context, ref store.AlertRef, contacts alerting.Contacts, nodeURL string) error {
	id := ref.ID
	// The alert as it was before its step, for the log.
	var before alerting.Alert
	cfg := n.alerts.config()
	var unanswered, exhausted bool
	// An alert that reaches nobody is tried again each SLA for a week, in
	// case the roster is filled meanwhile; then it stays in the list of
	// alerts, unacknowledged, without writing more to the log.
	const maxUnanswered = 7 * 24 * time.Hour
	err := n.db.Tx(ctx, func(tx *store.Tx) error {
		a, err := tx.AlertForUpdate(ctx, ref.State, id)
		if err != nil {
			return err
		}
		before = *a
		now := n.now()
		if a.Acked() || a.EscalatesAt.IsZero() || a.EscalatesAt.After(now) {
			return nil // taken meanwhile by another loop, or acknowledged
		}
		sla := cfg.SLA.For(a.Reason)
		step, ok := alerting.Next(a.Reason, a.Steps, contacts, now)
		if !ok {
			// Nobody was told yet: try again after the SLA, in case the
			// roster is filled meanwhile. Otherwise, everyone was.
			a.EscalatesAt = time.Time{}
			if len(a.Steps) == 0 && now.Sub(a.CreatedAt) < maxUnanswered {
				a.EscalatesAt = now.Add(sla)
			}
			unanswered, exhausted = len(a.Steps) == 0, len(a.Steps) > 0
			return n.alertEvent(ctx, tx, a, alerting.Unanswered, now, "alert.unanswered",
				map[string]any{"level": a.Level, "retry_at": optTime(a.EscalatesAt)})
		}
		a.Steps, a.Level = append(a.Steps, step), step.Level
		a.EscalatesAt = time.Time{}
		if !alerting.Final(step) {
			a.EscalatesAt = now.Add(sla)
		}
		typ, action := alerting.Notified, "alert.notify"
		if step.Level > 1 {
			typ, action = alerting.Escalated, "alert.escalate"
		}
		notice := alerting.Notice{Alert: *a, Step: step, NodeURL: nodeURL}
		for _, t := range step.Targets {
			m := store.Notification{ID: newID(), AlertID: a.ID, Level: step.Level, User: t.User, Entry: t.Entry, Channel: t.Channel,
				Address: t.Address, Subject: notice.Subject(), Body: []byte(notice.Text()), CreatedAt: now}
			if t.Channel == alerting.Webhook {
				if m.Body, err = notice.JSON(m.ID); err != nil {
					return err
				}
			}
			if err := tx.EnqueueNotification(ctx, m); err != nil {
				return err
			}
		}
		return n.alertEvent(ctx, tx, a, typ, now, action,
			map[string]any{"level": step.Level, "to": step.To, "users": step.Users, "notifications": len(step.Targets), "escalates_at": optTime(a.EscalatesAt)})
	})
	switch {
	case err != nil:
	case unanswered:
		cfg.Log.WarnContext(ctx, "alert reaches no one: add officials to the roster, or the State's 24/7 and central authority e-mail to its profile",
			"alert", id, "state", before.State, "reason", before.Reason)
	case exhausted:
		cfg.Log.WarnContext(ctx, "alert unacknowledged after its last step", "alert", id, "state", before.State, "reason", before.Reason, "level", before.Level)
	}
	return err
}

// alertEvent stores a changed alert with its audit record and event, and
// wakes the loop and the feeds once tx commits. Every change of an alert
// goes through it, so that the feed misses none.
func (n *Node) alertEvent(ctx context.Context, tx *store.Tx, a *alerting.Alert, typ alerting.EventType, at time.Time, action string, detail any) error {
	by := casework.System(a.State)
	if typ == alerting.Acknowledged {
		by.ID = a.AckedBy
	}
	_, err := tx.Audit(ctx, auditlog.Record{At: at, Node: n.home, State: a.State, ActorState: by.State, Actor: by.ID, Action: action, Subject: "alert/" + a.ID, Detail: detail})
	if err != nil {
		return err
	}
	if err := tx.UpdateAlert(ctx, a); err != nil {
		return err
	}
	if err := tx.AppendAlertEvent(ctx, alerting.Event{Type: typ, At: at, Alert: *a}); err != nil {
		return err
	}
	tx.AfterCommit(n.alertsChanged)
	return nil
}

func optTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format(time.RFC3339)
}

// permanentError is a failure that retrying will not cure.
type permanentError struct{ err error }

func (e permanentError) Error() string { return e.err.Error() }
func (e permanentError) Unwrap() error { return e.err }

func permanently(format string, args ...any) error {
	return permanentError{fmt.Errorf(format, args...)}
}

// notify makes one attempt at a notification, outside any transaction,
// and records the outcome.
func (n *Node) notify(ctx context.Context, m store.Notification) error {
	cfg := n.alerts.config()
	ok, err := n.db.ClaimNotification(ctx, m, n.now().Add(notifyLease))
	if err != nil || !ok {
		if err != nil && ctx.Err() == nil {
			cfg.Log.ErrorContext(ctx, "alert notification", "notification", m.ID, "err", err)
		}
		return err
	}
	attempts := m.Attempts + 1
	switch m.Channel {
	case alerting.Email:
		err = n.sendMail(ctx, cfg, m)
	case alerting.Webhook:
		err = n.postWebhook(ctx, cfg, m)
	default:
		err = permanently("unknown channel %q", m.Channel)
	}
	now := n.now()
	log := cfg.Log.With("alert", m.AlertID, "notification", m.ID, "channel", m.Channel, "user", m.User, "level", m.Level, "attempt", attempts)
	if err == nil {
		if err := n.db.NotificationSent(ctx, m.ID, now, attempts); err != nil {
			log.ErrorContext(ctx, "alert notification sent but not recorded", "err", err)
			return err
		}
		log.InfoContext(ctx, "alert notification sent")
		return nil
	}
	msg := store.ClipText(err.Error(), store.MaxErrorText)
	if errors.As(err, new(permanentError)) || attempts >= notifyMaxAttempts {
		log.ErrorContext(ctx, "alert notification failed; not retried", "err", msg)
		if err := n.db.NotificationFailed(ctx, m.ID, now, attempts, msg); err != nil {
			log.ErrorContext(ctx, "alert notification", "err", err)
			return err
		}
		return nil
	}
	next := now.Add(min(notifyRetryBase<<min(attempts-1, 20), notifyMaxDelay))
	log.WarnContext(ctx, "alert notification failed; retried later", "next", next, "err", msg)
	if err := n.db.NotificationRetry(ctx, m.ID, attempts, next, msg); err != nil {
		log.ErrorContext(ctx, "alert notification", "err", err)
		return err
	}
	return nil
}

// sendMail sends an e-mail notification through the configured SMTP
// server, with STARTTLS when the server offers it, and only then if
// SMTPRequireTLS is set.
func (n *Node) sendMail(ctx context.Context, cfg AlertConfig, m store.Notification) error {
	if cfg.SMTPAddr == "" || cfg.SMTPFrom == "" {
		return permanently("no SMTP server is configured: start the node with serve --smtp-addr and --smtp-from")
	}
	msg := alerting.Mail(cfg.SMTPFrom, m.Address, m.Subject, string(m.Body), n.now(), m.ID+"@entraide", m.AlertID)
	ctx, cancel := context.WithTimeout(ctx, notifyTimeout)
	defer cancel()
	host, _, _ := net.SplitHostPort(cfg.SMTPAddr)
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", cfg.SMTPAddr)
	if err != nil {
		return fmt.Errorf("SMTP server: %w", err)
	}
	// net/smtp takes no context: closing the connection ends a call that
	// outlives it.
	defer context.AfterFunc(ctx, func() { conn.Close() })()
	if deadline, ok := ctx.Deadline(); ok {
		conn.SetDeadline(deadline)
	}
	c, err := smtp.NewClient(conn, host)
	if err != nil {
		conn.Close()
		return smtpError("greeting", err)
	}
	quit := false
	defer func() {
		if !quit {
			c.Quit() // best effort: tell the server the session ends
		}
		c.Close()
	}()
	if ok, _ := c.Extension("STARTTLS"); ok {
		tc := &tls.Config{MinVersion: tls.VersionTLS12}
		if cfg.SMTPTLS != nil {
			tc = cfg.SMTPTLS.Clone()
		}
		tc.ServerName, tc.MinVersion = host, max(tc.MinVersion, tls.VersionTLS12)
		if err := c.StartTLS(tc); err != nil {
			return smtpError("STARTTLS", err)
		}
	} else if cfg.SMTPRequireTLS {
		// Retried: the server may offer STARTTLS again once its
		// certificate is back; nothing goes out in clear meanwhile.
		return fmt.Errorf("SMTP server %s does not offer STARTTLS, and serve --smtp-require-tls forbids sending in clear", cfg.SMTPAddr)
	}
	if cfg.SMTPUsername != "" {
		if err := c.Auth(smtp.PlainAuth("", cfg.SMTPUsername, cfg.SMTPPassword, host)); err != nil {
			return smtpError("AUTH", err)
		}
	}
	if err := c.Mail(cfg.SMTPFrom); err != nil {
		return smtpError("MAIL FROM", err)
	}
	if err := c.Rcpt(m.Address); err != nil {
		return smtpError("RCPT TO", err)
	}
	w, err := c.Data()
	if err != nil {
		return smtpError("DATA", err)
	}
	if _, err := w.Write(msg); err != nil {
		return smtpError("DATA", err)
	}
	if err := w.Close(); err != nil {
		return smtpError("DATA", err)
	}
	quit = true
	return c.Quit()
}

// smtpError marks a 5xx answer as permanent: RFC 5321 says the same
// command will fail again.
func smtpError(stage string, err error) error {
	var te *textproto.Error
	if errors.As(err, &te) && te.Code >= 500 {
		return permanently("SMTP %s: %d %s", stage, te.Code, te.Msg)
	}
	return fmt.Errorf("SMTP %s: %w", stage, err)
}

// postWebhook posts a webhook notification, signed with its roster
// entry's secret.
func (n *Node) postWebhook(ctx context.Context, cfg AlertConfig, m store.Notification) error {
	e, err := n.db.RosterEntry(ctx, m.State, m.Entry)
	if errors.Is(err, store.ErrNotFound) {
		return permanently("roster entry %s was removed", m.Entry)
	}
	if err != nil {
		return err
	}
	// Checked again at send time: the entry may predate the rule, and the
	// node's configuration may have changed since it was made.
	if err := checkWebhookTarget(m.Address, cfg.AllowPrivateWebhooks); err != nil {
		return permanently("webhook refused: %v", err)
	}
	ctx, cancel := context.WithTimeout(ctx, notifyTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, "POST", m.Address, bytes.NewReader(m.Body))
	if err != nil {
		return permanently("webhook URL: %v", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Entraide")
	req.Header.Set(alerting.SignatureHeader, alerting.Sign([]byte(e.Secret), n.now(), m.Body))
	req.Header.Set(alerting.DeliveryHeader, m.ID)
	req.Header.Set(alerting.AlertHeader, m.AlertID)
	resp, err := cfg.Client.Do(req)
	if err != nil {
		// The URL may carry a token of the receiver's: name only its host.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		if errors.Is(err, egress.ErrForbidden) {
			return permanently("webhook to %s refused: %v (serve --allow-private-webhooks allows it, for trials)", req.URL.Host, err)
		}
		return fmt.Errorf("webhook to %s: %w", req.URL.Host, err)
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		return nil
	case resp.StatusCode == http.StatusRequestTimeout, resp.StatusCode == http.StatusTooManyRequests, resp.StatusCode >= 500:
		return fmt.Errorf("webhook to %s: %s", req.URL.Host, resp.Status)
	}
	return permanently("webhook to %s: %s", req.URL.Host, resp.Status)
}

// checkWebhookTarget is the check of a webhook's URL made before any
// connection: https:// only, and unless allowPrivate, no host that names
// this machine or a private address. A name that resolves to one is
// refused when it is dialled.
func checkWebhookTarget(address string, allowPrivate bool) error {
	if err := alerting.CheckWebhookURL(address); err != nil {
		return err
	}
	if allowPrivate {
		return nil
	}
	u, err := url.Parse(address)
	if err != nil {
		return err
	}
	if err := egress.CheckHost(u.Hostname()); err != nil {
		return fmt.Errorf("%v: webhooks go to public addresses only (serve --allow-private-webhooks allows others, for trials)", err)
	}
	return nil
}

// SubscribeAlerts returns the events of by's State's alerts after seq
// after, in order, and then each as it commits; after < 0 starts from now.
// The channel closes when ctx ends or the node's alert loop stops, so
// that a server shutting down is not held open by its feeds.
func (n *Node) SubscribeAlerts(ctx context.Context, by casework.Actor, after int64) (<-chan alerting.Event, error) {
	if !by.Role.Can(identity.ReadRequests) {
		return nil, forbidden("role", "the %s role may not follow alerts", by.Role)
	}
	if after < 0 {
		last, err := n.db.LastAlertEvent(ctx, by.State)
		if err != nil {
			return nil, err
		}
		after = last
	}
	ch := make(chan alerting.Event, 16)
	stopped := n.alerts.stopped
	go func() {
		defer close(ch)
		var poll <-chan time.Time
		if !n.db.Announces() {
			t := time.NewTicker(feedPoll)
			defer t.Stop()
			poll = t.C
		}
		for {
			changed := n.alerts.changes()
			events, err := n.db.AlertEvents(ctx, by.State, after, feedBatch)
			if err != nil && ctx.Err() == nil {
				n.alerts.config().Log.ErrorContext(ctx, "alert feed", "err", err)
			}
			for _, e := range events {
				select {
				case ch <- e:
					after = e.Seq
				case <-ctx.Done():
					return
				}
			}
			if len(events) == feedBatch {
				continue
			}
			select {
			case <-ctx.Done():
				return
			case <-stopped:
				return
			case <-changed:
			case <-poll:
			}
		}
	}()
	return ch, nil
}

// AlertEvents returns up to limit events of by's State's alerts after seq
// after, in order: what a live feed would have shown.
func (n *Node) AlertEvents(ctx context.Context, by casework.Actor, after int64, limit int) ([]alerting.Event, error) {
	if !by.Role.Can(identity.ReadRequests) {
		return nil, forbidden("role", "the %s role may not follow alerts", by.Role)
	}
	if limit <= 0 || limit > 1000 {
		limit = 1000
	}
	return n.db.AlertEvents(ctx, by.State, max(after, 0), limit)
}

// AlertList is a listing of a State's alerts with the measure of its
// times to acknowledge.
type AlertList struct {
	Alerts []*alerting.Alert `json:"alerts"`
	// NextCursor, given back as cursor, lists the page that follows.
	NextCursor string `json:"next_cursor,omitempty"`
	// Open counts the State's alerts not acknowledged, listed or not.
	Open int `json:"open"`
	// TimeToAck summarises every acknowledged alert of the State.
	TimeToAck alerting.Stats                     `json:"time_to_ack"`
	ByReason  map[alerting.Reason]alerting.Stats `json:"time_to_ack_by_reason"`
	// Unreadable names the stored alerts that could not be read, left out
	// of Alerts.
	Unreadable []string `json:"unreadable,omitempty"`
}

// Alerts lists by's State's alerts, newest first, with the measure of
// their times to acknowledge.
func (n *Node) Alerts(ctx context.Context, by casework.Actor, f store.AlertFilter) (AlertList, error) {
	if !by.Role.Can(identity.ReadAlerts) {
		return AlertList{}, forbidden("role", "the %s role may not read alerts", by.Role)
	}
	if !by.Role.Can(identity.ReadRequests) {
		return n.nodeAlerts(ctx, by, f)
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 50
	}
	// One more than the page tells whether another page follows.
	f.Limit = limit + 1
	alerts, err := n.db.Alerts(ctx, by.State, f)
	bad, _ := store.IsPartial(err)
	if err != nil && bad == nil {
		return AlertList{}, err
	}
	var next string
	if len(alerts) > limit {
		alerts = alerts[:limit]
		next = store.AlertCursor(alerts[limit-1])
	}
	open, err := n.db.OpenAlerts(ctx, by.State)
	if err != nil {
		return AlertList{}, err
	}
	times, err := n.db.TimesToAck(ctx, by.State)
	if err != nil {
		return AlertList{}, err
	}
	list := AlertList{Alerts: alerts, NextCursor: next, Open: open, ByReason: map[alerting.Reason]alerting.Stats{}}
	for _, e := range bad {
		n.alerts.config().Log.ErrorContext(ctx, "alert cannot be read", "alert", e.ID, "err", e.Err)
		list.Unreadable = append(list.Unreadable, e.Error())
	}
	var all []int64
	for r, ms := range times {
		list.ByReason[r] = alerting.Summarize(ms)
		all = append(all, ms...)
	}
	list.TimeToAck = alerting.Summarize(all)
	return list, nil
}

// Alert returns one of by's State's alerts.
func (n *Node) Alert(ctx context.Context, by casework.Actor, id string) (*alerting.Alert, error) {
	if !by.Role.Can(identity.ReadAlerts) {
		return nil, forbidden("role", "the %s role may not read alerts", by.Role)
	}
	a, err := n.db.Alert(ctx, by.State, id)
	if err == nil && !by.Role.Can(identity.ReadRequests) && !a.Reason.ForAdministrators() {
		return nil, store.ErrNotFound // about a case, which an administrator does not read
	}
	return a, err
}

// nodeAlerts lists, for an official who reads alerts but not cases (an
// administrator), their State's alerts about the node itself (undelivered messages, and the like), newest first.
func (n *Node) nodeAlerts(ctx context.Context, by casework.Actor, f store.AlertFilter) (AlertList, error) {
	if f.Reason == "" {
		f.Reason = alerting.ReasonDeliveryExpired
	}
	if !f.Reason.ForAdministrators() {
		return AlertList{}, forbidden("reason", "the %s role reads only the alerts about the node itself (reasons %s and %s); alerts of reason %s are about cases, for the officials who handle them", by.Role, alerting.ReasonDeliveryExpired, alerting.ReasonLogFork, f.Reason)
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 50
	}
	f.Limit = limit + 1
	alerts, err := n.db.Alerts(ctx, by.State, f)
	bad, _ := store.IsPartial(err)
	if err != nil && bad == nil {
		return AlertList{}, err
	}
	list := AlertList{ByReason: map[alerting.Reason]alerting.Stats{}}
	if len(alerts) > limit {
		alerts = alerts[:limit]
		list.NextCursor = store.AlertCursor(alerts[limit-1])
	}
	list.Alerts = alerts
	for _, e := range bad {
		list.Unreadable = append(list.Unreadable, e.Error())
	}
	open, err := n.db.Alerts(ctx, by.State, store.AlertFilter{Open: true, Reason: f.Reason, Limit: 1000})
	if err != nil {
		if bad, _ := store.IsPartial(err); bad == nil {
			return AlertList{}, err
		}
	}
	list.Open = len(open)
	return list, nil
}

// AckAlert records that by acknowledges one of their State's alerts: its
// escalation stops, the notifications not yet sent are dropped, and its
// time to acknowledge is measured. Acknowledging it again changes nothing
// and returns it as it is.
func (n *Node) AckAlert(ctx context.Context, by casework.Actor, id string) (*alerting.Alert, error) {
	if !by.Role.Can(identity.AckAlerts) {
		return nil, forbidden("role", "the %s role may not acknowledge alerts (art. 41)", by.Role)
	}
	var out *alerting.Alert
	err := n.db.Tx(ctx, func(tx *store.Tx) error {
		a, err := tx.AlertForUpdate(ctx, by.State, id)
		if err != nil {
			return err
		}
		if !by.Role.Can(identity.ActOnRequests) && !a.Reason.ForAdministrators() {
			return store.ErrNotFound // about a case, which an administrator does not read
		}
		out = a
		now := n.now()
		if err := a.Ack(by.ID, now); errors.Is(err, alerting.ErrAcked) {
			return nil
		}
		if err := tx.CancelNotifications(ctx, a.ID, now, "acknowledged by "+by.ID+" before it was sent"); err != nil {
			return err
		}
		tx.AfterCommit(func() {
			o := n.observer()
			o.Alert("acknowledged", string(a.Reason))
			if ao, ok := o.(AckObserver); ok {
				ao.Acknowledged(string(a.Reason), time.Duration(*a.TimeToAckMS)*time.Millisecond)
			}
		})
		return n.alertEvent(ctx, tx, a, alerting.Acknowledged, now, "alert.ack",
			map[string]any{"by": by.ID, "level": a.Level, "time_to_ack_ms": *a.TimeToAckMS})
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// RosterInput is a line to add to the roster.
type RosterInput struct {
	User    string           `json:"user"`
	Channel alerting.Channel `json:"channel"`
	// Address is the e-mail address or the webhook's URL.
	Address string `json:"address"`
	// Secret keys a webhook's signature; it is never shown again.
	Secret string    `json:"secret,omitempty"`
	From   time.Time `json:"from,omitzero"`
	Until  time.Time `json:"until,omitzero"`
	// Position orders the State's officials on call; 0 takes the
	// official's own, or the next after the last.
	Position int `json:"position,omitempty"`
}

// roster reads state's roster. A line that cannot be read is logged and
// kept, marked, in the list: it reaches no one, and an administrator sees
// it and can remove it, while the other lines go on working.
func (n *Node) roster(ctx context.Context, state string) ([]alerting.Entry, error) {
	entries, err := n.db.Roster(ctx, state)
	if bad, ok := store.IsPartial(err); ok {
		for _, e := range bad {
			n.alerts.config().Log.ErrorContext(ctx, "roster line cannot be read; it alerts no one until removed and added again", "state", state, "entry", e.ID, "err", e.Err)
		}
		err = nil
	}
	return entries, err
}

// Roster returns the on-call roster of by's State, without its secrets.
func (n *Node) Roster(ctx context.Context, by casework.Actor) ([]alerting.Entry, error) {
	if !by.Role.Can(identity.ManageRoster) {
		return nil, forbidden("role", "the %s role may not read the roster", by.Role)
	}
	entries, err := n.roster(ctx, by.State)
	for i := range entries {
		entries[i].Secret = ""
	}
	return entries, err
}

// OnCall returns by's State's roster for the officials who receive its
// alerts: who is on call, in which order of escalation, and when, but
// not where each is reached, which only those who keep the roster see.
func (n *Node) OnCall(ctx context.Context, by casework.Actor) ([]alerting.Entry, error) {
	if !by.Role.Can(identity.ReadAlerts) {
		return nil, forbidden("role", "the %s role may not read the alerts of the 24/7 network", by.Role)
	}
	entries, err := n.roster(ctx, by.State)
	for i := range entries {
		entries[i].Secret, entries[i].Address = "", ""
	}
	return entries, err
}

// AddRosterEntry puts an official of by's State on its roster. Every
// problem with the input is returned at once.
func (n *Node) AddRosterEntry(ctx context.Context, by casework.Actor, in RosterInput) (alerting.Entry, error) {
	if !by.Role.Can(identity.ManageRoster) {
		return alerting.Entry{}, forbidden("role", "the %s role may not change the roster", by.Role)
	}
	e := alerting.Entry{ID: newID(), User: in.User, Position: in.Position, Channel: in.Channel, Address: in.Address, Secret: in.Secret,
		From: in.From.UTC(), Until: in.Until.UTC(), CreatedAt: n.now()}
	ps := e.Validate()
	ref := convention.Art(41).Para(1)
	if e.Channel == alerting.Webhook && !slices.ContainsFunc(ps, func(p convention.Problem) bool { return p.Field == "address" }) {
		if err := checkWebhookTarget(e.Address, n.alerts.config().AllowPrivateWebhooks); err != nil {
			ps = append(ps, convention.Problem{Field: "address", Ref: ref, Message: err.Error()})
		}
	}
	u, err := n.db.User(ctx, by.State, in.User)
	switch {
	case errors.Is(err, store.ErrNotFound) || in.User == "":
		ps = append(ps, convention.Problem{Field: "user", Ref: ref, Message: fmt.Sprintf("no official %q of %s", clipID(in.User), by.State)})
	case err != nil:
		return e, err
	case !alerting.MayBeOnRoster(u.Role):
		ps = append(ps, convention.Problem{Field: "user", Ref: ref,
			Message: fmt.Sprintf("%s is %s: only the 24/7 point of contact, the central authority and administrators are alerted", u.ID, u.Role)})
	}
	if len(ps) > 0 {
		return e, ps
	}
	e.State, e.Role = u.State, u.Role
	if e.Position == 0 {
		roster, err := n.roster(ctx, e.State)
		if err != nil {
			return e, err
		}
		last, own := 0, 0
		for _, x := range roster {
			last = max(last, x.Position)
			if x.User == e.User && (own == 0 || x.Position < own) {
				own = x.Position
			}
		}
		e.Position = last + 1
		if own > 0 {
			e.Position = own
		}
	}
	err = n.db.Tx(ctx, func(tx *store.Tx) error {
		if err := tx.InsertRosterEntry(ctx, by.State, e); err != nil {
			return err
		}
		return audit(ctx, tx, n.home, e.State, by, e.CreatedAt, "roster.add", "roster/"+e.ID, rosterDetail(e))
	})
	e.Secret = ""
	return e, err
}

// rosterDetail is what the audit log keeps of an entry: never its secret,
// and of a webhook only its host, as its URL may carry a token.
func rosterDetail(e alerting.Entry) map[string]any {
	d := map[string]any{"id": e.ID, "user": e.User, "state": e.State, "channel": e.Channel, "position": e.Position,
		"from": optTime(e.From), "until": optTime(e.Until)}
	if e.Channel == alerting.Webhook {
		if u, err := url.Parse(e.Address); err == nil {
			d["host"] = u.Host
		}
	} else {
		d["address"] = e.Address
	}
	return d
}

// RemoveRosterEntry takes a line off the roster of by's State and returns
// it; another State's line is not found.
func (n *Node) RemoveRosterEntry(ctx context.Context, by casework.Actor, id string) (alerting.Entry, error) {
	if !by.Role.Can(identity.ManageRoster) {
		return alerting.Entry{}, forbidden("role", "the %s role may not change the roster", by.Role)
	}
	var e alerting.Entry
	err := n.db.Tx(ctx, func(tx *store.Tx) error {
		var err error
		if e, err = tx.DeleteRosterEntry(ctx, by.State, id); err != nil {
			return err
		}
		return audit(ctx, tx, n.home, e.State, by, n.now(), "roster.remove", "roster/"+e.ID, rosterDetail(e))
	})
	e.Secret = ""
	return e, err
}

func clipID(s string) string {
	if len(s) > 64 {
		return store.ClipText(s, 64) + "..."
	}
	return store.ClipText(s, 64)
}
