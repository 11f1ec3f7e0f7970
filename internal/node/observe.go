package node

import (
	"context"
	"time"

	"entraide/internal/store"
)

// Observer counts what a node does, for its metrics. Its methods are
// called as things happen and must return at once.
type Observer interface {
	// Delivered is told of each attempt to deliver a message to peer: how
	// long it took, and err if it failed.
	Delivered(peer string, took time.Duration, err error)
	// Alert is told of each alert raised (event "raised", with its
	// reason), acknowledged ("acknowledged") and resolved by an action on
	// its request ("resolved").
	Alert(event, reason string)
	// Refused is told of each refused call: what was refused ("envelope"
	// or "token"), why, and whether the caller was verified.
	Refused(kind, reason string, verified bool)
}

// AckObserver is an Observer that is also told, of each alert
// acknowledged, how long it waited for its acknowledgement.
type AckObserver interface {
	Acknowledged(reason string, took time.Duration)
}

// LatencyObserver is an Observer that is also told, of each message
// whose receipt this process stored, how long it took from its queueing
// in the outbox to then: the wait for a peer that was down, the retries
// and the attempt that worked, as a sender's official sees them.
type LatencyObserver interface {
	DeliveredAfter(peer string, sinceQueued time.Duration)
}

type noObserver struct{}

func (noObserver) Delivered(string, time.Duration, error) {}
func (noObserver) Alert(string, string)                   {}
func (noObserver) Refused(string, string, bool)           {}

// observerBox holds an Observer in an atomic.Pointer.
type observerBox struct{ Observer }

// Observe makes o count what the node does, from now on.
func (n *Node) Observe(o Observer) { n.obs.Store(&observerBox{o}) }

func (n *Node) observer() Observer {
	if b := n.obs.Load(); b != nil && b.Observer != nil {
		return b.Observer
	}
	return noObserver{}
}

// DefaultSecurityEvents is how many security events a node keeps.
const DefaultSecurityEvents = 10000

// SetSecurityEventsKept sets how many security events the node keeps;
// older ones are deleted. Zero or less keeps DefaultSecurityEvents.
func (n *Node) SetSecurityEventsKept(keep int) {
	if keep <= 0 {
		keep = DefaultSecurityEvents
	}
	n.securityEventsKept = keep
}

// RecordSecurityEvent keeps e, dated now, among the node's security
// events: refusals of calls that proved nothing, kept apart from the
// audit log and capped, so that strangers cannot grow the node's
// permanent records.
func (n *Node) RecordSecurityEvent(ctx context.Context, e store.SecurityEvent) error {
	e.At = n.now()
	keep := n.securityEventsKept
	if keep <= 0 {
		keep = DefaultSecurityEvents
	}
	return n.db.RecordSecurityEvent(ctx, e, keep)
}
