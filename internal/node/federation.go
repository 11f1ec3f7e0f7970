package node

import (
	"bytes"
	"context"
	"crypto/ecdh"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"entraide/internal/casework"
	"entraide/internal/convention"
	"entraide/internal/directory"
	"entraide/internal/federation"
	"entraide/internal/identity"
	"entraide/internal/store"
)

// Federation settings.
const (
	// DefaultClockSkew is how far a peer's clock may be from ours.
	DefaultClockSkew = 5 * time.Minute
	// DefaultDeliveryExpiry is how long a message is retried before an
	// administrator is told it could not be delivered.
	DefaultDeliveryExpiry = 72 * time.Hour
	// DescriptorValidity is how long a node's descriptor is valid.
	DescriptorValidity = 365 * 24 * time.Hour
)

// Message types.
const (
	MsgRequestSend  = "request.send"
	MsgRequestEvent = "request.event"
)

// message is the payload of an envelope about a request: its sequence
// among the messages about that request from its sender, the event, and
// for a request being sent, the request as the requesting State sent it.
type message struct {
	Seq     int               `json:"seq"`
	Event   casework.Event    `json:"event"`
	Request *casework.Request `json:"request,omitempty"`
}

// normalizeTimes moves every time m carries to UTC, and refuses one
// outside the years a node stores, before any is stored.
func (m *message) normalizeTimes() error {
	type field struct {
		name string
		at   *time.Time
	}
	fields := []field{{"event.at", &m.Event.At}}
	if m.Event.PreserveUntil != nil {
		fields = append(fields, field{"event.preserve_until", m.Event.PreserveUntil})
	}
	if r := m.Request; r != nil {
		fields = append(fields, field{"request.created_at", &r.CreatedAt}, field{"request.updated_at", &r.UpdatedAt})
		if p := r.Preservation; p != nil {
			fields = append(fields, field{"request.preservation.started", &p.Started}, field{"request.preservation.until", &p.Until})
		}
	}
	for _, f := range fields {
		u, err := convention.CheckTime(f.name, *f.at)
		if err != nil {
			return err
		}
		*f.at = u
	}
	return nil
}

// newKeys makes a signing and an encryption key, their private keys
// wrapped by keeper, ready to store.
func newKeys(ctx context.Context, keeper Keeper, now time.Time) (signing, encryption store.Key, err error) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return signing, encryption, err
	}
	x, err := ecdh.X25519().GenerateKey(rand.Reader)
	if err != nil {
		return signing, encryption, err
	}
	signing = store.Key{ID: federation.KeyID(pub), Purpose: "signing", Public: pub, Private: priv.Seed(), ValidFrom: now}
	encryption = store.Key{ID: federation.KeyID(x.PublicKey().Bytes()), Purpose: "encryption", Public: x.PublicKey().Bytes(), Private: x.Bytes(), ValidFrom: now}
	if signing, err = wrap(ctx, keeper, signing); err != nil {
		return signing, encryption, err
	}
	encryption, err = wrap(ctx, keeper, encryption)
	return signing, encryption, err
}

// keyring is the node's keys, loaded from its database.
type keyring struct {
	signing federation.SigningKey
	// previous is the signing key retired last, if any.
	previous   *federation.SigningKey
	encryption map[string]*ecdh.PrivateKey // by id, old ones too
	current    federation.EncryptionKey
	public     []federation.PublicKey
}

// cacheTTL is how long keys and peers read from the database are reused.
// Changes made by this process take effect at once, and so do those of
// another replica on PostgreSQL, whose announcement empties the cache;
// those of another process on SQLite (the CLI beside a running server),
// or an announcement lost with the bus's connection, within the TTL.
const cacheTTL = 2 * time.Second

// fedCache keeps the node's keys and peers between messages: reading and
// parsing them for each envelope would cost more than the cryptography.
type fedCache struct {
	mu      sync.Mutex
	keys    *keyring
	keysAt  time.Time
	peers   map[string]*federation.Descriptor
	peersAt time.Time
	// gen counts invalidations, so that what was read before one is not
	// kept after it.
	gen uint64
}

func (c *fedCache) invalidate() {
	c.mu.Lock()
	c.keys, c.peers = nil, nil
	c.gen++
	c.mu.Unlock()
}

func (n *Node) keys(ctx context.Context) (*keyring, error) {
	c := &n.cache
	c.mu.Lock()
	kr, fresh, gen := c.keys, time.Since(c.keysAt) < cacheTTL, c.gen
	c.mu.Unlock()
	if kr != nil && fresh {
		return kr, nil
	}
	kr, err := n.loadKeys(ctx)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if c.gen == gen {
		c.keys, c.keysAt = kr, time.Now()
	}
	c.mu.Unlock()
	return kr, nil
}

func (n *Node) loadKeys(ctx context.Context) (*keyring, error) {
	keys, err := n.db.Keys(ctx)
	if err != nil {
		return nil, err
	}
	kr := &keyring{encryption: map[string]*ecdh.PrivateKey{}}
	for _, k := range keys { // newest first
		switch k.Purpose {
		case "signing":
			kr.public = append(kr.public, federation.PublicKey{ID: k.ID, Key: k.Public, ValidFrom: k.ValidFrom, ValidUntil: k.ValidUntil})
			if !k.ValidUntil.IsZero() && kr.previous != nil {
				continue // only the last retired key signs, beside the current one
			}
			private, err := n.private(ctx, k)
			if err != nil {
				return nil, err
			}
			sk := federation.SigningKey{ID: k.ID, Private: ed25519.NewKeyFromSeed(private)}
			if k.ValidUntil.IsZero() {
				kr.signing = sk
			} else {
				kr.previous = &sk
			}
		case "encryption":
			private, err := n.private(ctx, k)
			if err != nil {
				return nil, err
			}
			x, err := ecdh.X25519().NewPrivateKey(private)
			if err != nil {
				return nil, fmt.Errorf("stored encryption key %s: %w", k.ID, err)
			}
			kr.encryption[k.ID] = x
			if k.ValidUntil.IsZero() {
				kr.current = federation.EncryptionKey{ID: k.ID, Private: x}
			}
		}
	}
	if kr.signing.Private == nil || kr.current.Private == nil {
		return nil, errors.New("the node has no current keys: run entraide keys rotate")
	}
	return kr, nil
}

// Descriptor returns the node's signed descriptor, for its peers.
func (n *Node) Descriptor(ctx context.Context) (*federation.Descriptor, error) {
	kr, err := n.keys(ctx)
	if err != nil {
		return nil, err
	}
	base, err := n.db.BaseURL(ctx)
	if err != nil {
		return nil, err
	}
	if base == "" {
		return nil, errors.New("the node has no public address: set it with entraide init --base-url or entraide serve --base-url")
	}
	if err := federation.CheckBaseURL(base); err != nil {
		return nil, fmt.Errorf("the node's address: %v; set an https:// one with entraide serve --base-url", err)
	}
	var contact directory.Contact
	if p, err := n.db.Profile(ctx, n.home); err == nil {
		contact = p.Contact247
	}
	// The current key and the latest retired ones, within what a peer
	// reads: older keys verify nothing fresh enough to be accepted.
	var public []federation.PublicKey
	for _, k := range kr.public {
		if k.ValidUntil.IsZero() {
			public = append(public, k)
		}
	}
	for _, k := range kr.public {
		if !k.ValidUntil.IsZero() && len(public) < federation.MaxKeys {
			public = append(public, k)
		}
	}
	now := n.now()
	lk, err := n.LogKey(ctx)
	if err != nil {
		return nil, err
	}
	d := &federation.Descriptor{V: federation.Version, State: n.home, BaseURL: base, SigningKeys: public,
		Log:           &federation.LogKey{Origin: lk.Origin, VerifierKey: lk.VerifierKey},
		Witness:       &federation.WitnessKey{Name: lk.Witness, VerifierKey: lk.WitnessKey},
		EncryptionKey: federation.EncryptionPublic{ID: kr.current.ID, Key: kr.current.Private.PublicKey().Bytes()},
		Contact247:    contact, ValidFrom: now.Truncate(time.Second), ValidUntil: now.Add(DescriptorValidity).Truncate(time.Second)}
	// Signed by the current key and by the one before it, so that a peer
	// that knows only the old key can follow a rotation.
	signers := []federation.SigningKey{kr.signing}
	if kr.previous != nil {
		signers = append(signers, *kr.previous)
	}
	d.Sign(signers...)
	return d, nil
}

// SetBaseURL records the address other nodes reach this one at.
func (n *Node) SetBaseURL(ctx context.Context, by casework.Actor, url string) error {
	if !by.Role.Can(identity.ManageUsers) {
		return forbidden("role", "the %s role may not change the node's address", by.Role)
	}
	if err := n.runsNode(by, "change the node's address"); err != nil {
		return err
	}
	if err := federation.CheckBaseURL(url); err != nil {
		return convention.Problems{{Field: "base_url", Ref: convention.Art(40).Para(13), Message: err.Error()}}
	}
	now := n.now()
	return n.db.Tx(ctx, func(tx *store.Tx) error {
		if err := tx.SetBaseURL(ctx, url); err != nil {
			return err
		}
		return audit(ctx, tx, n.home, n.home, by, now, "node.base_url", "node/"+n.home, map[string]string{"base_url": url})
	})
}

// RotateKeys makes new signing and encryption keys. The old public keys
// stay in the descriptor, valid until now, so that messages signed before
// the rotation still verify.
func (n *Node) RotateKeys(ctx context.Context, by casework.Actor) error {
	if !by.Role.Can(identity.ManageUsers) {
		return forbidden("role", "the %s role may not rotate the node's keys", by.Role)
	}
	if err := n.runsNode(by, "rotate the node's keys"); err != nil {
		return err
	}
	now := n.now()
	signing, encryption, err := newKeys(ctx, n.keeper, now)
	if err != nil {
		return err
	}
	err = n.db.Tx(ctx, func(tx *store.Tx) error {
		for _, k := range []store.Key{signing, encryption} {
			if err := tx.RetireKeys(ctx, k.Purpose, now); err != nil {
				return err
			}
			if err := tx.InsertKey(ctx, k); err != nil {
				return err
			}
		}
		return audit(ctx, tx, n.home, n.home, by, now, "node.keys_rotate", "node/"+n.home, map[string]string{"signing": signing.ID, "encryption": encryption.ID})
	})
	n.cache.invalidate()
	return err
}

// ErrPeer is returned for a descriptor that cannot become a peer.
var ErrPeer = errors.New("cannot add peer")

// AddPeer trusts the node a descriptor describes. A descriptor for a State
// already known must be signed by a key this node knows for it.
func (n *Node) AddPeer(ctx context.Context, by casework.Actor, descriptor []byte) (*federation.Descriptor, error) {
	if !by.Role.Can(identity.ManageUsers) {
		return nil, forbidden("role", "the %s role may not add peers", by.Role)
	}
	if err := n.runsNode(by, "add peers"); err != nil {
		return nil, err
	}
	d, err := federation.ParseDescriptor(bytes.NewReader(descriptor), n.now())
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrPeer, err)
	}
	if d.State == n.home {
		return nil, fmt.Errorf("%w: the descriptor is this node's own", ErrPeer)
	}
	if old, err := n.peer(ctx, d.State); err == nil {
		if err := d.Supersedes(old); err != nil {
			return nil, fmt.Errorf("%w: %v; remove the peer first if its keys were replaced out of band", ErrPeer, err)
		}
	}
	now := n.now()
	err = n.db.Tx(ctx, func(tx *store.Tx) error {
		if err := tx.PutPeer(ctx, d.State, descriptor, now); err != nil {
			return err
		}
		return audit(ctx, tx, n.home, n.home, by, now, "peer.add", "peer/"+d.State, map[string]any{"base_url": d.BaseURL, "signing_keys": len(d.SigningKeys), "encryption_key": d.EncryptionKey.ID})
	})
	n.cache.invalidate()
	return d, err
}

// RemovePeer forgets a peer; messages to it wait until it is added again.
func (n *Node) RemovePeer(ctx context.Context, by casework.Actor, state string) error {
	if !by.Role.Can(identity.ManageUsers) {
		return forbidden("role", "the %s role may not remove peers", by.Role)
	}
	if err := n.runsNode(by, "remove peers"); err != nil {
		return err
	}
	now := n.now()
	err := n.db.Tx(ctx, func(tx *store.Tx) error {
		if err := tx.DeletePeer(ctx, state); err != nil {
			return err
		}
		return audit(ctx, tx, n.home, n.home, by, now, "peer.remove", "peer/"+state, nil)
	})
	n.cache.invalidate()
	return err
}

// Peers returns the descriptors of the node's peers.
func (n *Node) Peers(ctx context.Context) ([]*federation.Descriptor, error) {
	peers, err := n.db.Peers(ctx)
	if err != nil {
		return nil, err
	}
	var out []*federation.Descriptor
	for _, p := range peers {
		var d federation.Descriptor
		if err := json.Unmarshal(p.Descriptor, &d); err != nil {
			return nil, fmt.Errorf("stored descriptor of %s: %w", p.State, err)
		}
		out = append(out, &d)
	}
	return out, nil
}

// peer returns the descriptor of state's node, or store.ErrNotFound.
func (n *Node) peer(ctx context.Context, state string) (*federation.Descriptor, error) {
	c := &n.cache
	c.mu.Lock()
	peers, fresh, gen := c.peers, time.Since(c.peersAt) < cacheTTL, c.gen
	c.mu.Unlock()
	if peers == nil || !fresh {
		// Read without the lock: a caller inside a transaction holds a
		// connection, and waiting on the lock for a reader that waits for
		// a connection could stall a PostgreSQL pool.
		list, err := n.Peers(ctx)
		if err != nil {
			return nil, err
		}
		peers = map[string]*federation.Descriptor{}
		for _, d := range list {
			peers[d.State] = d
		}
		c.mu.Lock()
		if c.gen == gen {
			c.peers, c.peersAt = peers, time.Now()
		}
		c.mu.Unlock()
	}
	if d, ok := peers[state]; ok {
		return d, nil
	}
	return nil, store.ErrNotFound
}

// enqueue seals a message about request r to a peer and puts it in the
// outbox, inside the transaction of the change it carries. A pressing
// request's messages go first.
func (n *Node) enqueue(ctx context.Context, tx *store.Tx, to string, typ string, r *casework.Request, m message) error {
	if m.Event.ActorState != n.home {
		// The node signs as its home State: a State hosted beside it for
		// trials has no keys of its own to speak to other nodes with.
		return &casework.Error{Kind: ErrNoRoute, Problems: convention.Problems{{Field: "requested_state", Ref: convention.Art(40).Para(13),
			Message: fmt.Sprintf("%s is hosted on %s's node for trials and cannot reach other States' nodes; %s needs a node of its own", m.Event.ActorState, n.home, m.Event.ActorState)}}}
	}
	_, err := n.peer(ctx, to)
	if errors.Is(err, store.ErrNotFound) {
		return noRoute(to)
	}
	if err != nil {
		return err
	}
	m.Seq, err = tx.NextSent(ctx, m.Event.RequestID, to)
	if err != nil {
		return err
	}
	payload, err := json.Marshal(m)
	if err != nil {
		return err
	}
	// The payload is kept in clear on this node, which holds the request
	// anyway; each attempt seals it afresh, with the peer's current key and
	// a fresh time, so that a message that waited out an outage is not
	// refused as stale.
	priority := 0
	if r.Pressing() {
		priority = 1
	}
	return tx.Enqueue(ctx, store.OutboxEntry{ID: newID(), Recipient: to, Type: typ, RequestID: m.Event.RequestID, Envelope: payload, CreatedAt: n.now(), Priority: priority})
}

func noRoute(state string) error {
	return &casework.Error{Kind: ErrNoRoute, Problems: convention.Problems{{Field: "requested_state", Ref: convention.Art(40).Para(13),
		Message: fmt.Sprintf("no node of %s is known to this node: add it with entraide peer add, from the descriptor %s's administrators give you", state, state)}}}
}

// ReceiveEnvelope reads an envelope from a peer and receives it. An
// envelope that cannot be read proves nothing: it is refused with an
// *UnverifiedError, and not audited.
func (n *Node) ReceiveEnvelope(ctx context.Context, r io.Reader) (*federation.Receipt, error) {
	env, err := federation.Parse(r)
	if err != nil {
		return nil, n.refuseEnvelope(ctx, nil, false, err)
	}
	return n.Receive(ctx, env)
}

// UnverifiedError refuses an envelope whose sender nothing verified: one
// that could not be read, or whose signature did not verify with a key of
// the State it names. It is not that State's act, so it is not audited;
// the caller counts it, with the address it came from.
type UnverifiedError struct {
	// ClaimedSender and MessageID are what the envelope said, if it could
	// be read.
	ClaimedSender, MessageID string
	Err                      *federation.Error
}

func (e *UnverifiedError) Error() string { return e.Err.Error() }

// Unwrap returns the refusal, for errors.As to find its reason.
func (e *UnverifiedError) Unwrap() error { return e.Err }

// Receive verifies an envelope from a peer and applies what it carries,
// once: a message id already received is acknowledged again and changes
// nothing. A refusal after the sender's signature verified is audited as
// that State's; one before is an *UnverifiedError, not audited. It returns
// the signed receipt.
//
// A receipt and a verified refusal are logged with the message's id under
// the request id of ctx, the one the sender delivers under (the call that
// caused the message): one id finds the message in both nodes' logs. An
// unverified refusal is not logged: anyone can post one, and it is kept
// as a security event, within a budget per address.
func (n *Node) Receive(ctx context.Context, env *federation.Envelope) (*federation.Receipt, error) {
	rc, err := n.receive(ctx, env)
	log := n.fed.Log
	if log == nil {
		return rc, err // federation not configured: nothing to log to
	}
	var fe *federation.Error
	switch {
	case err == nil:
		log.InfoContext(ctx, "received", "message", env.ID, "from", env.Sender, "type", env.Type, "duplicate", rc.Duplicate)
	case errors.As(err, new(*UnverifiedError)):
	case errors.As(err, &fe):
		log.WarnContext(ctx, "envelope refused", "message", env.ID, "from", env.Sender, "type", env.Type, "reason", fe.Reason, "err", fe.Msg)
	}
	return rc, err
}

func (n *Node) receive(ctx context.Context, env *federation.Envelope) (*federation.Receipt, error) {
	kr, err := n.keys(ctx)
	if err != nil {
		return nil, err
	}
	now := n.now()
	v := federation.Verifier{
		Self: n.home,
		SenderKey: func(sender, id string, t time.Time) (ed25519.PublicKey, bool) {
			d, err := n.peer(ctx, sender)
			if err != nil {
				return nil, false
			}
			k, ok := d.Key(id)
			if !ok || !k.ValidAt(t) {
				return nil, false
			}
			return ed25519.PublicKey(k.Key), true
		},
		DecryptionKey: func(id string) (*ecdh.PrivateKey, bool) { k, ok := kr.encryption[id]; return k, ok },
		Now:           now,
		Skew:          n.fed.skew(),
	}
	// A replay is answered before freshness is checked: a sender that
	// retries a delivered message after the skew window still gets its
	// receipt, and nothing is applied twice.
	// A sender seals each attempt afresh, so a retry of a message already
	// received carries the same id and sender but other bytes.
	if sender, seen, err := n.db.InboundSender(ctx, env.ID); err != nil {
		return nil, err
	} else if seen {
		if _, err := v.Open(env); err != nil && !isStale(err) {
			return nil, n.refuseEnvelope(ctx, env, federation.SignatureVerified(err), err)
		}
		if sender != env.Sender {
			return nil, n.refuseEnvelope(ctx, env, true, &federation.Error{Reason: federation.ReasonReplay, Msg: "message id " + env.ID + " was used by another sender"})
		}
		// A peer that sends again what it sent before answers too.
		if err := n.db.Tx(ctx, func(tx *store.Tx) error { return n.wakePeer(ctx, tx, env.Sender) }); err != nil {
			return nil, err
		}
		return federation.NewReceipt(kr.signing, env, now, true), nil
	}
	payload, err := v.Open(env)
	if err != nil {
		return nil, n.refuseEnvelope(ctx, env, federation.SignatureVerified(err), err)
	}
	if isEvidenceMessage(env.Type) {
		return n.answerEnvelope(ctx, env, kr, now, n.receiveEvidence(ctx, env, payload, now))
	}
	var m message
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return nil, n.refuseEnvelope(ctx, env, true, &federation.Error{Reason: federation.ReasonMalformed, Msg: "payload: " + err.Error()})
	}
	if err := m.normalizeTimes(); err != nil {
		return nil, n.refuseEnvelope(ctx, env, true, &federation.Error{Reason: federation.ReasonMalformed, Msg: "payload: " + err.Error()})
	}
	// The receipt promises the message is kept: on disk before it is signed.
	err = n.db.DurableTx(ctx, func(tx *store.Tx) error {
		if err := tx.RecordInbound(ctx, env.ID, env.Sender, env.Type, env.Digest(), now); err != nil {
			return err
		}
		if err := n.wakePeer(ctx, tx, env.Sender); err != nil {
			return err
		}
		switch env.Type {
		case MsgRequestSend:
			return n.receiveRequest(ctx, tx, env.Sender, m, now)
		case MsgRequestEvent:
			return n.receiveEvent(ctx, tx, env.Sender, m)
		}
		return &federation.Error{Reason: federation.ReasonMalformed, Msg: "unknown message type " + env.Type}
	})
	return n.answerEnvelope(ctx, env, kr, now, err)
}

// answerEnvelope answers env, verified, once what it carries was applied
// with err: a receipt, or a refusal audited as the sender's.
func (n *Node) answerEnvelope(ctx context.Context, env *federation.Envelope, kr *keyring, now time.Time, err error) (*federation.Receipt, error) {
	if errors.Is(err, store.ErrExists) {
		// Received meanwhile by another delivery of the same message.
		return federation.NewReceipt(kr.signing, env, now, true), nil
	}
	if err != nil {
		var fe *federation.Error
		if errors.As(err, &fe) {
			return nil, n.refuseEnvelope(ctx, env, true, err)
		}
		return nil, err
	}
	return federation.NewReceipt(kr.signing, env, now, false), nil
}

func isStale(err error) bool {
	var fe *federation.Error
	return errors.As(err, &fe) && (fe.Reason == federation.ReasonStale || fe.Reason == federation.ReasonFuture)
}

// ReasonOutOfOrder refuses a message that arrives before an earlier one
// about the same request; the sender retries it later.
const ReasonOutOfOrder = "out_of_order"

// ReasonRejected refuses a message whose content breaks the Convention's
// rules or the request's state.
const ReasonRejected = "rejected"

// refuseEnvelope returns the refusal of env (nil if it could not be read),
// audited as the sender's if its signature verified, and otherwise an
// *UnverifiedError that writes nothing: anyone on the network can post
// one, and the audit log only grows.
func (n *Node) refuseEnvelope(ctx context.Context, env *federation.Envelope, verified bool, err error) error {
	var fe *federation.Error
	if !errors.As(err, &fe) {
		fe = &federation.Error{Reason: federation.ReasonMalformed, Msg: err.Error()}
	}
	// The message may quote what anyone posted (encoding/json names an
	// unknown field in full): keep the audit log and the answer small.
	fe = &federation.Error{Reason: fe.Reason, Msg: store.ClipText(fe.Msg, store.MaxErrorText)}
	n.observer().Refused("envelope", fe.Reason, verified)
	if !verified {
		u := &UnverifiedError{Err: fe}
		if env != nil {
			u.ClaimedSender, u.MessageID = env.Sender, env.ID
		}
		return u
	}
	now := n.now()
	auditErr := n.db.Tx(ctx, func(tx *store.Tx) error {
		return audit(ctx, tx, n.home, n.home, casework.Actor{ID: "peer", State: env.Sender}, now, "federation.refuse", "message/"+env.ID,
			map[string]string{"sender": env.Sender, "type": env.Type, "reason": fe.Reason, "message": fe.Msg})
	})
	return errors.Join(fe, auditErr)
}

func reject(format string, args ...any) error {
	return &federation.Error{Reason: ReasonRejected, Msg: fmt.Sprintf(format, args...)}
}

// receiveRequest stores the requested State's view of a request a peer
// sent, after checking it as if it had been drafted here.
func (n *Node) receiveRequest(ctx context.Context, tx *store.Tx, sender string, m message, now time.Time) error {
	r := m.Request
	switch {
	case r == nil || m.Seq != 1:
		return reject("a request.send carries the request and is the first message about it")
	case r.RequestingState != sender || r.Holder != sender:
		return reject("%s may only send its own requests", sender)
	case r.RequestedState != n.home:
		return reject("the request is addressed to %s", r.RequestedState)
	case m.Event.Action != casework.Send || m.Event.RequestID != r.ID || m.Event.ActorState != sender:
		return reject("a request.send carries the send event of its request")
	}
	c := casework.Contents{Kind: r.Kind, RequestedState: r.RequestedState, Urgency: r.Urgency, Confidential: r.Confidential,
		UseLimitation: r.UseLimitation, Fields: r.Fields, Offences: r.Offences, Attachments: r.Attachments, FollowUpOf: r.FollowUpOf, LegalBasis: r.LegalBasis, PersonalData: r.PersonalData}
	if ps := c.Validate(sender); len(ps) > 0 {
		return reject("the request does not conform: %v", ps)
	}
	if err := n.checkBasis(ctx, r); err != nil {
		return reject("%v", err)
	}
	if _, err := n.storeReceived(ctx, tx, r, m.Event, casework.Actor{ID: "peer", State: sender}, now); err != nil {
		if errors.Is(err, store.ErrExists) {
			return reject("request %s was already received", r.ID)
		}
		return err
	}
	if _, err := tx.Applied(ctx, r.ID, sender); err != nil {
		return err
	}
	return tx.SetApplied(ctx, r.ID, sender, 1)
}

// storeReceived stores the requested State's view of r, as sent, once it
// has arrived at: its timeline holds the send and the delivery, it is
// audited, and it alerts the 24/7 point of contact if it should. It
// returns the delivery event, which the requesting State's view applies
// too.
func (n *Node) storeReceived(ctx context.Context, tx *store.Tx, r *casework.Request, sent casework.Event, by casework.Actor, at time.Time) (casework.Event, error) {
	view := casework.CounterpartView(*r)
	// Only what the requesting State wrote travels; the requested State's
	// own progress starts here.
	view.State, view.Version, view.ResumeState, view.Preservation, view.Refusal, view.Conditions, view.ProposedConditions, view.Undelivered = casework.Sent, 1, "", nil, nil, "", "", nil
	delivered := casework.Event{RequestID: r.ID, At: at, Actor: "system", ActorState: r.RequestedState, Action: casework.Deliver, From: casework.Sent, To: casework.Received}
	casework.ApplyEvent(&view, delivered)
	if err := tx.InsertRequest(ctx, &view); err != nil {
		return delivered, err
	}
	for _, e := range []casework.Event{sent, delivered} {
		if err := tx.AppendEvent(ctx, view.Holder, e); err != nil {
			return delivered, err
		}
	}
	if err := audit(ctx, tx, n.home, view.Holder, by, at, "request.receive", "request/"+view.ID+"@"+view.Holder, delivered); err != nil {
		return delivered, err
	}
	return delivered, n.alertIncoming(ctx, tx, &view, at)
}

// receiveEvent applies an event a peer made on its view of a request to
// ours, after checking that the peer's side may make it now.
func (n *Node) receiveEvent(ctx context.Context, tx *store.Tx, sender string, m message) error {
	e := m.Event
	applied, err := tx.Applied(ctx, e.RequestID, sender)
	if err != nil {
		return err
	}
	switch {
	case m.Seq <= applied:
		return nil // applied before, under another message id
	case m.Seq > applied+1:
		return &federation.Error{Reason: ReasonOutOfOrder, Msg: fmt.Sprintf("message %d about %s arrived before message %d", m.Seq, e.RequestID, applied+1)}
	}
	r, err := tx.RequestForUpdate(ctx, n.home, e.RequestID)
	if errors.Is(err, casework.ErrNotFound) {
		return reject("no request %s between %s and %s", e.RequestID, sender, n.home)
	}
	if err != nil {
		return err
	}
	if e.ActorState != sender || r.SideOf(sender) == "" || e.RequestID != r.ID {
		return reject("%s may only report its own actions on requests it is party to", sender)
	}
	// An event is dated by the sender's clock: not in the future, and not
	// before the request was sent, give or take the skew allowed. Deadlines
	// such as a preservation's are computed from it.
	if skew := n.fed.skew(); e.At.After(n.now().Add(skew)) || e.At.Before(r.CreatedAt.Add(-skew)) {
		return reject("event dated %s, outside the life of request %s", e.At.Format(time.RFC3339), r.ID)
	}
	// The requesting State's view moves from sent to received only when
	// the receipt comes back, and a receipt can be lost or late while the
	// request has arrived: either side may act before the requesting
	// State's node knows that it did.
	check := e
	switch side := r.SideOf(sender); {
	case side == casework.Requested && r.State == casework.Sent:
		// Its receipt will come with the retry of the send; until then
		// this event cannot apply, so the sender retries it too.
		return &federation.Error{Reason: ReasonOutOfOrder, Msg: fmt.Sprintf("request %s is not received here yet: %s's receipt for it has not arrived", e.RequestID, sender)}
	case side == casework.Requesting && e.Action == casework.Withdraw && casework.Allows(casework.Withdraw, r.State):
		// The requesting State may withdraw at any stage (art. 40(25)):
		// a withdrawal that crossed this State's own step still applies.
		check.From = r.State
	}
	if err := casework.CheckRemote(r, check); err != nil {
		if check.From == r.State {
			return reject("%v", err)
		}
		// Both States moved the request at the same time: the other's
		// step no longer fits this view. It is noted on the timeline, not
		// applied, and the messages after it still apply, so that neither
		// side is stuck; each State closes its view when it is done.
		crossed := casework.Event{RequestID: r.ID, At: e.At, Actor: e.Actor, ActorState: sender, Action: casework.Crossed,
			Note: fmt.Sprintf("%s's %s (from %s) crossed this State's own step; the request stays %s here", sender, e.Action, e.From, r.State)}
		if err := n.record(ctx, tx, casework.Actor{ID: e.Actor, State: sender}, r, crossed); err != nil {
			return err
		}
		// The conditions the requested State set on its answer bind what
		// it gave, whether or not its step applies here: a crossing does
		// not free the items already received of them (art. 40(19)).
		if ps := e.AnswerConditions.Validate("answer_conditions"); len(ps) > 0 {
			return reject("%v", ps)
		}
		if err := n.bindAnswer(ctx, tx, r, e); err != nil {
			return err
		}
		return tx.SetApplied(ctx, e.RequestID, sender, m.Seq)
	}
	if err := n.record(ctx, tx, casework.Actor{ID: e.Actor, State: sender}, r, e); err != nil {
		return err
	}
	return tx.SetApplied(ctx, e.RequestID, sender, m.Seq)
}

// FederationConfig is how a node talks to its peers.
type FederationConfig struct {
	// Client posts envelopes; its TLS settings decide which certificates
	// peers may present.
	Client *http.Client
	// Skew is the clock skew accepted on envelopes.
	Skew time.Duration
	// Expiry is how long a message is retried.
	Expiry time.Duration
	// RetryBase is the first retry's delay; each later one doubles it.
	RetryBase time.Duration
	// Lease is how long a delivery loop holds a message it is trying, so
	// that no other loop tries it meanwhile; DefaultLease if zero. A loop
	// that dies holding one leaves it to be tried again when it ends.
	Lease time.Duration
	// OnExpired alerts the administrators, inside the transaction that
	// gives up on a message; nil raises a delivery_expired alert.
	OnExpired func(ctx context.Context, tx *store.Tx, m store.OutboxEntry, why string) error
	// Log receives delivery failures; never a payload or a key.
	Log *slog.Logger
}

func (c FederationConfig) skew() time.Duration {
	if c.Skew <= 0 {
		return DefaultClockSkew
	}
	return c.Skew
}
