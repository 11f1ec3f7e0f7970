package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
)

// Topic names what a committed transaction changed, for the replicas of
// a node that keep it in memory or wait for it.
type Topic string

// The topics a transaction announces on PostgreSQL.
const (
	// TopicOutbox: a message was queued, or queued messages made due.
	TopicOutbox Topic = "outbox"
	// TopicAlerts: an alert changed (its live feed has a new event) or a
	// notification of one was queued.
	TopicAlerts Topic = "alerts"
	// TopicCredentials: a token was revoked, or an official disabled or
	// enabled.
	TopicCredentials Topic = "credentials"
	// TopicKeys: the node's keys were rotated.
	TopicKeys Topic = "keys"
	// TopicPeers: a peer was added, replaced or removed.
	TopicPeers Topic = "peers"
)

// AllTopics lists every topic; a listener that may have missed
// announcements hears all of them.
var AllTopics = []Topic{TopicOutbox, TopicAlerts, TopicCredentials, TopicKeys, TopicPeers}

// busRetryMax bounds the wait between two attempts to listen again.
const busRetryMax = 5 * time.Second

// busQuiet is how long the bus waits for an announcement before it checks
// that its connection still answers: a connection cut without a word (a
// firewall's idle timeout, a host gone) would otherwise be found out by
// TCP only after minutes, all the while hearing nothing.
const busQuiet = 30 * time.Second

// announce notes that tx changes topic: on PostgreSQL, tx tells every
// replica listening on the same database and schema as it commits, and
// only if it commits. SQLite has one process per database, which wakes
// itself after commit (Tx.AfterCommit).
func (tx *Tx) announce(topic Topic) {
	if tx.db.bus == nil || slices.Contains(tx.topics, topic) {
		return
	}
	tx.topics = append(tx.topics, topic)
}

// sendAnnouncements queues tx's topics on its channel, just before its
// commit: PostgreSQL delivers them when, and if, it commits.
func (tx *Tx) sendAnnouncements(ctx context.Context) error {
	for _, t := range tx.topics {
		if _, err := tx.tx.ExecContext(ctx, `SELECT pg_notify($1, $2)`, tx.db.bus.channel, string(t)); err != nil {
			return fmt.Errorf("announce %s: %w", t, err)
		}
	}
	return nil
}

// bus hears, on one connection of its own, what the replicas of a node
// on PostgreSQL commit, and tells this process's handlers.
type bus struct {
	dsn string
	// channel is the schema's: notifications reach every session of the
	// database, and nodes may share one database, each in its schema.
	channel string

	mu       sync.Mutex
	handlers map[int]func([]Topic)
	next     int
	cancel   context.CancelFunc // nil until the first handler
	done     chan struct{}
	pid      uint32 // the listening session's backend, 0 while it has none
	quiet    time.Duration
}

// newBus returns the bus of the PostgreSQL database at dsn, whose
// current schema is schema.
func newBus(dsn, schema string) *bus {
	sum := sha256.Sum256([]byte(schema))
	return &bus{dsn: dsn, channel: "entraide_" + hex.EncodeToString(sum[:12]), handlers: map[int]func([]Topic){}, quiet: busQuiet}
}

// Announces reports whether the database tells every replica what the
// others commit (PostgreSQL). Without it (SQLite), a process learns of
// another's changes only by reading again.
func (db *DB) Announces() bool { return db.bus != nil }

// OnChange calls fn with the topics of each transaction that any replica
// commits on the database, this one included, from then until stop is
// called or the database is closed. After a lost connection, once
// listening again, it calls fn with AllTopics, since announcements may
// have been missed meanwhile; it does the same once it first listens.
// fn must return quickly: announcements wait for it. On SQLite OnChange
// does nothing.
func (db *DB) OnChange(fn func(topics []Topic)) (stop func()) {
	b := db.bus
	if b == nil {
		return func() {}
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	id := b.next
	b.next++
	b.handlers[id] = fn
	if b.cancel == nil {
		ctx, cancel := context.WithCancel(context.Background())
		b.cancel, b.done = cancel, make(chan struct{})
		go b.run(ctx)
	}
	return func() {
		b.mu.Lock()
		delete(b.handlers, id)
		b.mu.Unlock()
	}
}

// close stops listening and waits for the listener to end.
func (b *bus) close() {
	b.mu.Lock()
	cancel, done := b.cancel, b.done
	b.mu.Unlock()
	if cancel != nil {
		cancel()
		<-done
	}
}

func (b *bus) tell(topics []Topic) {
	b.mu.Lock()
	fns := make([]func([]Topic), 0, len(b.handlers))
	for _, fn := range b.handlers {
		fns = append(fns, fn)
	}
	b.mu.Unlock()
	for _, fn := range fns {
		fn(topics)
	}
}

// run listens until ctx ends, again after each lost connection, waiting
// longer after each failure in a row.
func (b *bus) run(ctx context.Context) {
	defer close(b.done)
	wait := 100 * time.Millisecond
	for {
		heard, _ := b.listen(ctx)
		if ctx.Err() != nil {
			return
		}
		if heard {
			wait = 100 * time.Millisecond
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		wait = min(2*wait, busRetryMax)
	}
}

// listen opens a connection, listens on the channel and tells the
// handlers what it hears until the connection fails or ctx ends. listening
// says whether it got as far as listening.
func (b *bus) listen(ctx context.Context) (listening bool, err error) {
	conn, err := pgx.Connect(ctx, b.dsn)
	if err != nil {
		return false, err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{b.channel}.Sanitize()); err != nil {
		return false, err
	}
	b.mu.Lock()
	b.pid = conn.PgConn().PID()
	b.mu.Unlock()
	defer func() {
		b.mu.Lock()
		b.pid = 0
		b.mu.Unlock()
	}()
	b.tell(AllTopics)
	for {
		wait, cancel := context.WithTimeout(ctx, b.quiet)
		n, err := conn.WaitForNotification(wait)
		quiet := wait.Err() != nil && ctx.Err() == nil
		cancel()
		if quiet {
			// A timeout leaves the connection usable: it is asked to
			// answer, and dropped if it does not.
			ping, cancel := context.WithTimeout(ctx, b.quiet)
			err = conn.Ping(ping)
			cancel()
			if err == nil {
				continue
			}
		}
		if err != nil {
			return true, err
		}
		if n == nil {
			return true, errors.New("listen: no notification")
		}
		b.tell([]Topic{Topic(n.Payload)})
	}
}
