package store_test

import (
	"context"
	"errors"
	"net"
	"net/url"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"entraide/internal/store"
	"entraide/internal/store/storetest"
)

// openReplica opens the database at dsn again, as another replica of the
// node would, closed at the end of the test.
func openReplica(t *testing.T, dsn string) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), dsn)
	if err != nil {
		t.Fatalf("store.Open: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// heard collects the announcements a database's bus hears.
type heard chan []store.Topic

func listen(t *testing.T, db *store.DB) heard {
	t.Helper()
	h := make(heard, 64)
	stop := db.OnChange(func(topics []store.Topic) { h <- topics })
	t.Cleanup(stop)
	return h
}

// next returns the next announcement, failing the test if none comes
// within a generous bound: the bus is meant to take milliseconds.
func (h heard) next(t *testing.T) []store.Topic {
	t.Helper()
	select {
	case topics := <-h:
		return topics
	case <-time.After(10 * time.Second):
		t.Fatal("no announcement heard within 10 s")
		return nil
	}
}

func TestBusSQLiteHasNone(t *testing.T) {
	db := storetest.Open(t, "sqlite")
	if db.Announces() {
		t.Error("Announces() = true on SQLite, want false: one process per database")
	}
	db.OnChange(func([]store.Topic) { t.Error("OnChange called on SQLite") })()
}

func TestBusBetweenReplicas(t *testing.T) {
	dsn := storetest.DSN(t, "postgres")
	one, two := openReplica(t, dsn), openReplica(t, dsn)
	other := openReplica(t, storetest.DSN(t, "postgres"))
	if !two.Announces() {
		t.Fatal("Announces() = false on PostgreSQL")
	}
	h := listen(t, two)
	if got := h.next(t); !slices.Equal(got, store.AllTopics) {
		t.Fatalf("first announcement = %v, want every topic once listening: %v", got, store.AllTopics)
	}
	ctx := t.Context()
	now := time.Now()

	// What another schema of the database commits, and what rolls back,
	// is not heard: the first announcement is the commit that follows.
	if err := other.Tx(ctx, func(tx *store.Tx) error { return tx.PutPeer(ctx, "VNM", []byte(`{}`), now) }); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("boom")
	if err := one.Tx(ctx, func(tx *store.Tx) error {
		if err := tx.PutPeer(ctx, "VNM", []byte(`{}`), now); err != nil {
			return err
		}
		return boom
	}); !errors.Is(err, boom) {
		t.Fatalf("Tx = %v, want %v", err, boom)
	}
	if err := one.Tx(ctx, func(tx *store.Tx) error { return tx.RetireKeys(ctx, "signing", now) }); err != nil {
		t.Fatal(err)
	}
	if got := h.next(t); !slices.Equal(got, []store.Topic{store.TopicKeys}) {
		t.Fatalf("announcement = %v, want [keys]: another schema's or a rolled-back change was heard", got)
	}

	// A transaction announces each topic it changed once, on commit.
	if err := one.Tx(ctx, func(tx *store.Tx) error {
		if err := tx.PutPeer(ctx, "FRA", []byte(`{}`), now); err != nil {
			return err
		}
		return tx.PutPeer(ctx, "VNM", []byte(`{}`), now)
	}); err != nil {
		t.Fatal(err)
	}
	if got := h.next(t); !slices.Equal(got, []store.Topic{store.TopicPeers}) {
		t.Fatalf("announcement = %v, want [peers]", got)
	}
	select {
	case got := <-h:
		t.Errorf("a second announcement %v for one transaction", got)
	case <-time.After(200 * time.Millisecond):
	}
}

func TestBusListensAgainAfterLostConnection(t *testing.T) {
	dsn := storetest.DSN(t, "postgres")
	one, two := openReplica(t, dsn), openReplica(t, dsn)
	h := listen(t, two)
	h.next(t)
	pid := two.ListenerPID()
	if pid == 0 {
		t.Fatal("ListenerPID() = 0 while listening")
	}
	if _, err := one.ExecRaw(t.Context(), `SELECT pg_terminate_backend(?)`, int64(pid)); err != nil {
		t.Fatal(err)
	}
	// Announcements may have been lost with the connection: the bus says
	// everything changed once it listens again.
	if got := h.next(t); !slices.Equal(got, store.AllTopics) {
		t.Fatalf("announcement after the lost connection = %v, want every topic %v", got, store.AllTopics)
	}
	if again := two.ListenerPID(); again == 0 || again == pid {
		t.Fatalf("ListenerPID() = %d after reconnecting, want a new backend (was %d)", again, pid)
	}
	ctx := t.Context()
	if err := one.Tx(ctx, func(tx *store.Tx) error { return tx.PutPeer(ctx, "FRA", []byte(`{}`), time.Now()) }); err != nil {
		t.Fatal(err)
	}
	if got := h.next(t); !slices.Equal(got, []store.Topic{store.TopicPeers}) {
		t.Fatalf("announcement = %v, want [peers] on the new connection", got)
	}
}

// stallingProxy forwards TCP connections to target. stall makes the
// connections open at the time carry nothing more, without closing them,
// as a firewall that drops an idle connection without a word does; later
// connections are forwarded as before.
type stallingProxy struct {
	addr  string
	mu    sync.Mutex
	open  []*atomic.Bool // each connection's stalled flag
	conns []net.Conn
}

func newStallingProxy(t *testing.T, target string) *stallingProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &stallingProxy{addr: ln.Addr().String()}
	t.Cleanup(func() {
		ln.Close()
		p.mu.Lock()
		defer p.mu.Unlock()
		for _, c := range p.conns {
			c.Close()
		}
	})
	go func() {
		for {
			in, err := ln.Accept()
			if err != nil {
				return
			}
			out, err := net.Dial("tcp", target)
			if err != nil {
				in.Close()
				continue
			}
			stalled := new(atomic.Bool)
			p.mu.Lock()
			p.open = append(p.open, stalled)
			p.conns = append(p.conns, in, out)
			p.mu.Unlock()
			go pipe(in, out, stalled)
			go pipe(out, in, stalled)
		}
	}()
	return p
}

func pipe(from, to net.Conn, stalled *atomic.Bool) {
	buf := make([]byte, 32<<10)
	for {
		n, err := from.Read(buf)
		if err != nil {
			return
		}
		if stalled.Load() {
			continue // swallowed: the connection is dead, and no one says so
		}
		if _, err := to.Write(buf[:n]); err != nil {
			return
		}
	}
}

func (p *stallingProxy) stall() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, s := range p.open {
		s.Store(true)
	}
	p.open = nil
}

func TestBusFindsSilentlyDeadConnection(t *testing.T) {
	dsn := storetest.DSN(t, "postgres")
	one := openReplica(t, dsn)
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	proxy := newStallingProxy(t, u.Host)
	u.Host = proxy.addr
	two := openReplica(t, u.String())
	// The check's timeout is the quiet period too: long enough that a
	// loaded machine's PostgreSQL answers in time, short enough for
	// several checks in a second.
	two.SetBusQuiet(250 * time.Millisecond)
	h := listen(t, two)
	h.next(t)
	// Quiet periods alone change nothing: the connection answers its
	// checks and stays.
	time.Sleep(time.Second)
	ctx := t.Context()
	if err := one.Tx(ctx, func(tx *store.Tx) error { return tx.PutPeer(ctx, "FRA", []byte(`{}`), time.Now()) }); err != nil {
		t.Fatal(err)
	}
	if got := h.next(t); !slices.Equal(got, []store.Topic{store.TopicPeers}) {
		t.Fatalf("announcement after quiet periods = %v, want [peers] on the same connection", got)
	}
	proxy.stall()
	if got := h.next(t); !slices.Equal(got, store.AllTopics) {
		t.Fatalf("announcement after the connection went silent = %v, want every topic once listening again", got)
	}
	if err := one.Tx(ctx, func(tx *store.Tx) error { return tx.PutPeer(ctx, "VNM", []byte(`{}`), time.Now()) }); err != nil {
		t.Fatal(err)
	}
	if got := h.next(t); !slices.Equal(got, []store.Topic{store.TopicPeers}) {
		t.Fatalf("announcement on the new connection = %v, want [peers]", got)
	}
}
