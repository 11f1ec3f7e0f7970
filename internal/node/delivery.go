package node

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strings"
	"time"

	"entraide/internal/casework"
	"entraide/internal/convention"
	"entraide/internal/federation"
	"entraide/internal/requestid"
	"entraide/internal/store"
)

// The outbox is the delivery queue: a message is written in the
// transaction of the change it carries, and stays due until a peer's
// signed receipt for it is stored, in the transaction that records the
// delivery. No second queue has to be kept consistent with it, and a
// wake-up after commit sends a message at once, without polling.

// Delivery settings.
const (
	DefaultRetryBase = time.Second
	MaxRetryDelay    = 10 * time.Minute
	// ProbeInterval bounds the retries of the oldest message queued for a
	// peer that does not answer: between half of it and all of it.
	ProbeInterval   = 5 * time.Second
	deliveryBatch   = 64
	deliveryWorkers = 64
	attemptTimeout  = 15 * time.Second
)

// ConfigureFederation sets how the node talks to its peers. Call it before
// RunDelivery and before serving the federation endpoint.
func (n *Node) ConfigureFederation(c FederationConfig) {
	if c.Client == nil {
		c.Client = &http.Client{Timeout: attemptTimeout}
	}
	// A peer answers where it was asked: a redirect could point this
	// node's posts at addresses inside its own network.
	client := *c.Client
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	c.Client = &client
	if c.Expiry <= 0 {
		c.Expiry = DefaultDeliveryExpiry
	}
	if c.RetryBase <= 0 {
		c.RetryBase = DefaultRetryBase
	}
	if c.Lease <= 0 {
		c.Lease = DefaultLease
	}
	if c.Log == nil {
		c.Log = slog.New(slog.DiscardHandler)
	}
	// A delivery's lines name the request id it goes under, the id the
	// peer logs its receipt under.
	c.Log = slog.New(requestid.Handler(c.Log.Handler()))
	if c.OnExpired == nil {
		c.OnExpired = n.alertExpired
	}
	n.fed = c
}

// wake tells the delivery loop that a message was committed.
func (n *Node) wake() {
	select {
	case n.wakeCh <- struct{}{}:
	default:
	}
}

// RunDelivery delivers the outbox until ctx ends: at once when a message
// is committed, and again on each retry's due time. Workers take messages
// as they come, so one slow peer does not hold back the others. Any number
// of loops may run, in one process or several: a receipt is recorded once,
// and a peer drops a duplicate by its id. On PostgreSQL each loop claims
// the messages it reads, passing over those another replica is claiming,
// so that replicas share the outbox rather than race for its first rows.
func (n *Node) RunDelivery(ctx context.Context) error {
	if n.fed.Client == nil {
		n.ConfigureFederation(FederationConfig{})
	}
	if n.db.Backend() == "sqlite" {
		// One process delivers from an SQLite file: what is leased was
		// leased by this process before it was stopped or killed, and
		// need not wait for its lease to end.
		if err := n.db.ReleaseLeases(ctx, n.now()); err != nil {
			return err
		}
	}
	n.repairQueues(ctx)
	w := dueWork[store.OutboxEntry]{
		wake: n.wakeCh, notify: n.wake, batch: deliveryBatch, workers: deliveryWorkers,
		id:  func(m store.OutboxEntry) string { return m.ID },
		due: n.dueMessages, next: n.db.NextDue, do: n.deliver,
		now: n.now, log: n.fed.Log, name: "outbox",
	}
	if n.db.Backend() == "postgres" {
		w.due, w.do, w.claims = n.claimDueMessages, n.deliverClaimed, true
		go n.keepQueues(ctx)
	}
	return w.run(ctx)
}

// queueStatisticsInterval is how often a delivery loop on PostgreSQL
// checks how much of the outbox changed since its statistics were
// gathered; queueRepairInterval how often it repairs the queues.
const (
	queueStatisticsInterval = 5 * time.Second
	queueRepairInterval     = 30 * time.Second
)

// keepQueues has the outbox's statistics gathered again when
// much of it changed (store.RefreshQueueStatistics), and repairs its
// queues now and then (store.RepairQueues), until ctx ends: a replica
// of an earlier version may write beside this one during an upgrade.
func (n *Node) keepQueues(ctx context.Context) {
	t := time.NewTicker(queueStatisticsInterval)
	defer t.Stop()
	lastRepair := time.Now()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if analyzed, err := n.db.RefreshQueueStatistics(ctx); err != nil && ctx.Err() == nil {
			n.fed.Log.WarnContext(ctx, "outbox: statistics not gathered; the queue may be read slowly until they are", "err", err)
		} else if analyzed {
			n.fed.Log.DebugContext(ctx, "outbox: statistics gathered")
		}
		if time.Since(lastRepair) >= queueRepairInterval {
			n.repairQueues(ctx)
			lastRepair = time.Now()
		}
	}
}

// repairQueues lets go the messages that an earlier version of the node
// left waiting behind none (store.RepairQueues), and says so.
func (n *Node) repairQueues(ctx context.Context) {
	repaired, err := n.db.RepairQueues(ctx)
	switch {
	case err != nil && ctx.Err() == nil:
		n.fed.Log.WarnContext(ctx, "outbox: queues not repaired; tried again every 30 s on PostgreSQL, when delivery next starts on SQLite", "err", err)
	case repaired > 0:
		n.fed.Log.WarnContext(ctx, "outbox: messages waiting behind none now go (queued or delivered by an earlier version of the node)", "messages", repaired)
		n.wake()
	}
}

// claimDueMessages claims the messages due by now, up to limit, as
// dueMessages reads them: one whose row cannot be read is expired.
func (n *Node) claimDueMessages(ctx context.Context, now time.Time, limit int) ([]store.OutboxEntry, error) {
	due, err := n.db.ClaimDueMessages(ctx, now, now.Add(n.fed.Lease), limit)
	return due, n.expireUnreadable(ctx, err)
}

// dueMessages returns the messages due by now. One whose row cannot be
// read is expired, which tells the administrators, so that it neither
// stops nor holds back the others.
func (n *Node) dueMessages(ctx context.Context, now time.Time, limit int) ([]store.OutboxEntry, error) {
	due, err := n.db.DueMessages(ctx, now, limit)
	return due, n.expireUnreadable(ctx, err)
}

// expireUnreadable expires the messages whose rows err, a Partial error,
// names as unreadable, and returns any other error.
func (n *Node) expireUnreadable(ctx context.Context, err error) error {
	bad, ok := store.IsPartial(err)
	if !ok {
		return err
	}
	for _, e := range bad {
		m, err := n.db.OutboxHeader(ctx, e.ID)
		if err != nil {
			n.fed.Log.ErrorContext(ctx, "outbox", "message", e.ID, "err", err)
			continue
		}
		n.expire(ctx, m, e.Error())
	}
	return nil
}

// permanent reasons will not change however often the message is tried.
var permanent = map[string]bool{
	ReasonRejected:             true,
	federation.ReasonMalformed: true,
	federation.ReasonVersion:   true,
	federation.ReasonNotForUs:  true,
	federation.ReasonTooLarge:  true,
	federation.ReasonReplay:    true,
}

// DefaultLease is how long a worker holds a message it is delivering:
// more than an attempt and the writing of its outcome take.
const DefaultLease = 2 * attemptTimeout

// writeTimeout bounds the writing of an attempt's outcome, which goes on
// when the loop is stopping, so that a message is not left leased.
const writeTimeout = 5 * time.Second

// deliver makes one attempt at a message. It returns an error only when
// it could not write what happened, and the loop then holds the message
// back; the claim it wrote first has already made it due again later.
func (n *Node) deliver(ctx context.Context, m store.OutboxEntry) error {
	return n.deliverOnce(ctx, m, false)
}

// deliverClaimed makes one attempt at a message ClaimDueMessages claimed:
// the claim made it due again at its lease's end, should this process
// die or fail to write the outcome.
func (n *Node) deliverClaimed(ctx context.Context, m store.OutboxEntry) error {
	return n.deliverOnce(ctx, m, true)
}

func (n *Node) deliverOnce(ctx context.Context, m store.OutboxEntry, claimed bool) error {
	// A delivery goes under the request id of the call that caused the
	// message, else under the message's id: sent as X-Request-Id, it
	// finds the call, the attempts and the arrival in both nodes' logs.
	ctx = requestid.With(ctx, deliveryRequestID(m))
	attempts := m.Attempts + 1
	now := n.now()
	if now.Sub(m.CreatedAt) > n.fed.Expiry {
		return n.expire(ctx, m, fmt.Sprintf("no receipt after %s and %d attempts: %s", n.fed.Expiry, m.Attempts, m.LastError))
	}
	retry := n.backoff(attempts)
	if !claimed {
		ok, err := n.db.ClaimMessage(ctx, m, now.Add(n.fed.Lease), now.Add(max(retry, n.fed.Lease)))
		if err != nil || !ok {
			return err // taken by another worker, or not writable
		}
	}
	start := time.Now()
	receipt, err := n.attempt(ctx, m)
	n.observer().Delivered(m.Recipient, time.Since(start), err)
	// What happened is written even when the loop is stopping: a receipt
	// must not be lost, nor a message left leased.
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), writeTimeout)
	defer cancel()
	if err == nil {
		err = n.delivered(wctx, m, receipt, attempts)
		if err == nil {
			n.fed.Log.InfoContext(ctx, "delivered", "message", m.ID, "type", m.Type, "to", m.Recipient, "attempt", attempts)
			return nil
		}
	}
	var fe *federation.Error
	if errors.As(err, &fe) && permanent[fe.Reason] {
		return n.expire(wctx, m, err.Error())
	}
	// The oldest message queued for the peer is tried again often, however
	// long the peer has been down, so that the node learns within seconds
	// that it is back; its receipt then wakes the rest of the queue.
	if first, err := n.db.FirstQueued(wctx, m.Recipient); err == nil && first == m.ID {
		retry = min(retry, ProbeInterval/2+rand.N(ProbeInterval/2+1))
	}
	next := n.now().Add(retry)
	n.fed.Log.WarnContext(ctx, "delivery failed", "message", m.ID, "to", m.Recipient, "attempt", attempts, "next", next, "err", err)
	if err := n.db.RetryLater(wctx, m.ID, attempts, next, err.Error()); err != nil {
		n.fed.Log.ErrorContext(ctx, "outbox: failed attempt not recorded; retried after its lease", "message", m.ID, "err", err)
		return err
	}
	return nil
}

// deliveryRequestID is the request id m is delivered under. The id its
// row holds was checked when it was queued, and again here: it goes to
// the peer.
func deliveryRequestID(m store.OutboxEntry) string {
	if requestid.Valid(m.OriginRequestID) {
		return m.OriginRequestID
	}
	return requestid.Of(m.ID)
}

// backoff is exponential with jitter: the delay doubles with each attempt
// up to MaxRetryDelay, and each is drawn between half and all of it, so
// that the nodes that a peer's outage held back do not return together.
func (n *Node) backoff(attempts int) time.Duration {
	d := n.fed.RetryBase << min(attempts-1, 30)
	if d <= 0 || d > MaxRetryDelay {
		d = MaxRetryDelay
	}
	return d/2 + rand.N(d/2+1)
}

// attempt seals the message afresh and posts it to its recipient.
func (n *Node) attempt(ctx context.Context, m store.OutboxEntry) (*federation.Receipt, error) {
	peer, err := n.peer(ctx, m.Recipient)
	if err != nil {
		return nil, fmt.Errorf("no peer %s: %w", m.Recipient, err)
	}
	// A descriptor stored before plain http:// was refused: nothing goes
	// to it in clear, and the message waits for an https:// descriptor.
	if err := federation.CheckBaseURL(peer.BaseURL); err != nil {
		return nil, fmt.Errorf("peer %s's address: %v; add its https:// descriptor with entraide peer add", m.Recipient, err)
	}
	kr, err := n.keys(ctx)
	if err != nil {
		return nil, err
	}
	encKey, err := peer.EncryptionPublicKey()
	if err != nil {
		return nil, err
	}
	payload, err := n.outboundPayload(ctx, m)
	if err != nil {
		return nil, err
	}
	env, err := federation.Seal(kr.signing, n.home, m.Recipient, encKey, m.ID, m.Type, n.now(), payload)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, attemptTimeout)
	defer cancel()
	body := env.Marshal()
	var rc *federation.Receipt
	err = errNoBatches
	if len(body) <= batchableBytes {
		rc, err = n.postBatched(ctx, peer, env, body)
	}
	if errors.Is(err, errNoBatches) {
		rc, err = n.postOne(ctx, peer, body)
	}
	if err != nil {
		return nil, err
	}
	k, ok := peer.Key(rc.KeyID)
	if !ok || !k.ValidAt(n.now()) {
		return nil, fmt.Errorf("receipt from %s signed by a key it does not use now (%s)", m.Recipient, rc.KeyID)
	}
	if err := federation.VerifyReceipt(rc, env, ed25519.PublicKey(k.Key)); err != nil {
		return nil, err
	}
	if _, err := convention.CheckTime("received", rc.Received); err != nil {
		return nil, fmt.Errorf("receipt from %s: %w", m.Recipient, err)
	}
	return rc, nil
}

// postOne posts one envelope to peer, the form every version of a node
// takes, and returns its receipt unverified.
func (n *Node) postOne(ctx context.Context, peer *federation.Descriptor, envelope []byte) (*federation.Receipt, error) {
	req, err := http.NewRequestWithContext(ctx, "POST", strings.TrimSuffix(peer.BaseURL, "/")+"/federation/v1/messages", bytes.NewReader(envelope))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	if id := requestid.From(ctx); id != "" {
		req.Header.Set(requestid.Header, id)
	}
	resp, err := n.fed.Client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, refusalOf(peer.State, resp.Status, body)
	}
	var rc federation.Receipt
	if err := json.Unmarshal(body, &rc); err != nil {
		return nil, fmt.Errorf("receipt from %s: %w", peer.State, err)
	}
	return &rc, nil
}

// refusalOf is the error of a peer's answer other than 200: its refusal,
// with its reason code, if the body gives one.
func refusalOf(peer, status string, body []byte) error {
	var refusal struct {
		Reason string `json:"reason"`
		Detail string `json:"detail"`
	}
	if json.Unmarshal(body, &refusal) == nil && refusal.Reason != "" {
		return &federation.Error{Reason: refusal.Reason, Msg: fmt.Sprintf("%s refused it: %s", peer, refusal.Detail)}
	}
	return fmt.Errorf("%s answered %s", peer, status)
}

// delivered stores a message's receipt and its effect on the request's
// timeline, once.
func (n *Node) delivered(ctx context.Context, m store.OutboxEntry, rc *federation.Receipt, attempts int) error {
	receipt, err := json.Marshal(rc)
	if err != nil {
		return err
	}
	// The peer's clock dates the receipt, which is kept as signed; this
	// node's timeline dates the delivery between queueing and now.
	at := rc.Received
	if now := n.now(); at.After(now) || at.Before(m.CreatedAt) {
		at = now
	}
	return n.db.Tx(ctx, func(tx *store.Tx) error {
		cur, err := tx.OutboxMessageForUpdate(ctx, m.ID)
		if err != nil {
			return err
		}
		if !cur.DeliveredAt.IsZero() {
			return nil // another loop recorded it
		}
		if err := tx.MarkDelivered(ctx, m.ID, at, receipt, attempts); err != nil {
			return err
		}
		if o, ok := n.observer().(LatencyObserver); ok {
			tx.AfterCommit(func() { o.DeliveredAfter(m.Recipient, n.now().Sub(m.CreatedAt)) })
		}
		if err := n.wakePeer(ctx, tx, m.Recipient); err != nil {
			return err
		}
		peerActor := casework.Actor{ID: "system", State: m.Recipient}
		// Evidence travels in many messages: its custody records the
		// transfer, not the request's timeline each piece.
		if m.RequestID != "" && !isEvidenceMessage(m.Type) {
			r, err := tx.RequestForUpdate(ctx, n.home, m.RequestID)
			if err != nil {
				return err
			}
			e := casework.Event{RequestID: r.ID, At: at, Actor: "system", ActorState: m.Recipient, Action: casework.Receipt,
				Note: fmt.Sprintf("%s message %s delivered to %s", m.Type, m.ID, m.Recipient)}
			if m.Type == MsgRequestSend && r.State == casework.Sent {
				e.Action, e.From, e.To, e.Note = casework.Deliver, casework.Sent, casework.Received, "received by "+m.Recipient+"'s node, message "+m.ID
			}
			if err := n.record(ctx, tx, peerActor, r, e); err != nil {
				return err
			}
		}
		return audit(ctx, tx, n.home, n.home, peerActor, at, "federation.delivered", "message/"+m.ID,
			map[string]any{"recipient": m.Recipient, "type": m.Type, "attempts": attempts, "receipt_digest": rc.Digest, "duplicate": rc.Duplicate})
	})
}

// wakePeer makes every message queued for peer due at once, inside tx:
// the peer answers again, whether with a receipt or with a message of its
// own, so what waited out its outage need not wait out the rest of its
// backoff. The order holds: a request's messages still go one after the
// other, and pressing ones first.
func (n *Node) wakePeer(ctx context.Context, tx *store.Tx, peer string) error {
	woken, err := tx.WakePeer(ctx, peer, n.now())
	if err != nil || woken == 0 {
		return err
	}
	tx.AfterCommit(func() {
		n.fed.Log.InfoContext(ctx, "peer answers again; its queued messages are due now", "peer", peer, "messages", woken)
		n.wake()
	})
	return nil
}

// expire stops retrying a message and tells the node's administrators.
func (n *Node) expire(ctx context.Context, m store.OutboxEntry, why string) error {
	now := n.now()
	err := n.db.Tx(ctx, func(tx *store.Tx) error {
		if err := tx.MarkExpired(ctx, m.ID, now, why); err != nil {
			return err
		}
		if n.fed.OnExpired != nil {
			if err := n.fed.OnExpired(ctx, tx, m, why); err != nil {
				return err
			}
		}
		switch m.Type {
		case MsgEvidenceUseAsk:
			// The question is the report's, not the request's: the report
			// says it went unanswered, and the request goes on.
			if err := n.useAskUndelivered(ctx, tx, m, why, now); err != nil {
				return err
			}
		case MsgEvidenceUseReport:
		default:
			if err := n.recordUndelivered(ctx, tx, m, why, now); err != nil {
				return err
			}
		}
		return audit(ctx, tx, n.home, n.home, casework.System(n.home), now, "federation.expired", "message/"+m.ID,
			map[string]any{"recipient": m.Recipient, "type": m.Type, "request": m.RequestID, "why": why})
	})
	if err != nil {
		n.fed.Log.ErrorContext(ctx, "outbox", "err", err)
		return err
	}
	n.fed.Log.ErrorContext(ctx, "message not delivered; administrators alerted", "message", m.ID, "to", m.Recipient, "why", why)
	return nil
}

// recordUndelivered puts on the request's timeline, and on the request,
// that one of its messages will not reach the other State's node, so that
// the official who sent it sees it where they look, with what to do: the
// other view does not have what this one shows.
func (n *Node) recordUndelivered(ctx context.Context, tx *store.Tx, m store.OutboxEntry, why string, now time.Time) error {
	if m.RequestID == "" {
		return nil
	}
	r, err := tx.RequestForUpdate(ctx, n.home, m.RequestID)
	if errors.Is(err, casework.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	next := "it will not be tried again; ask your administrators to check the peer (entraide peer list), then withdraw this request and send it again"
	// A message refused as breaking the Convention's rules (the reason
	// deliver passes on first) will be refused again, whoever checks.
	if strings.HasPrefix(why, ReasonRejected+": ") {
		next = "it will not be tried again; withdraw this request, and draft it again with what the refusal names (for a legal basis, one both States accept on the day it arrives)"
	}
	// The next step is said in full, and the other node's reason, which
	// names what to change, at up to three times an error's usual length.
	head := fmt.Sprintf("%s message %s not delivered to %s; %s. Why: ", m.Type, m.ID, m.Recipient, next)
	e := casework.Event{RequestID: r.ID, At: now, Actor: "system", ActorState: m.Recipient, Action: casework.Undelivered,
		Note: head + store.ClipText(why, 3*store.MaxErrorText)}
	return n.record(ctx, tx, casework.Actor{ID: "system", State: m.Recipient}, r, e)
}
