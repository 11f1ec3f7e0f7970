package web

import (
	"bufio"
	"context"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"entraide/internal/casework"
	"entraide/internal/identity"
	"entraide/internal/node"
	"entraide/internal/store/storetest"
)

// pipeListener is a net.Listener whose connections are in-memory pipes,
// so that a server runs inside a synctest bubble, on its fake clock.
type pipeListener struct {
	conns chan net.Conn
	once  sync.Once
	done  chan struct{}
}

func newPipeListener() *pipeListener {
	return &pipeListener{conns: make(chan net.Conn), done: make(chan struct{})}
}

func (l *pipeListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

func (l *pipeListener) Close() error   { l.once.Do(func() { close(l.done) }); return nil }
func (l *pipeListener) Addr() net.Addr { return pipeAddr{} }

func (l *pipeListener) dial(ctx context.Context, _, _ string) (net.Conn, error) {
	server, client := net.Pipe()
	select {
	case l.conns <- server:
		return client, nil
	case <-l.done:
		return nil, net.ErrClosed
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

type pipeAddr struct{}

func (pipeAddr) Network() string { return "pipe" }
func (pipeAddr) String() string  { return "127.0.0.1:1" }

// TestAlertStreamOutlivesTimeouts: the server's read and write timeouts
// cut off a client that trickles its request, but not the alert stream,
// which is open for hours by design. An alert raised long after both
// timeouts still reaches it. The bubble's clock makes the hours pass at
// once.
func TestAlertStreamOutlivesTimeouts(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := t.Context()
		db := storetest.Open(t, "sqlite")
		clock := time.Now
		k := newKeeper(t)
		if _, err := node.Init(ctx, db, node.InitOptions{Home: "FRA", Hosted: []string{"VNM"}, Keeper: k,
			Admin: identity.User{ID: "fra-admin", Name: "Admin"}}, clock); err != nil {
			t.Fatal(err)
		}
		n, err := node.Open(ctx, db, k, clock)
		if err != nil {
			t.Fatal(err)
		}
		for _, u := range []identity.User{{ID: "fra-ca", State: "FRA", Role: identity.CentralAuthority}, {ID: "vnm-247", State: "VNM", Role: identity.TwentyFourSeven}} {
			u.Name = u.ID
			if _, err := n.AddUser(ctx, n.AdminOf(u.State), u); err != nil {
				t.Fatal(err)
			}
		}
		token, err := enrol(ctx, n, "VNM", "vnm-247")
		if err != nil {
			t.Fatal(err)
		}
		srv := HTTPServer(NewServer(n, slog.New(slog.DiscardHandler), Config{}), nil, nil)
		ln := newPipeListener()
		go srv.Serve(ln)
		defer srv.Close()
		client := &http.Client{Transport: &http.Transport{DialContext: ln.dial}}
		defer client.CloseIdleConnections()

		reqCtx, cancel := context.WithCancel(ctx)
		defer cancel()
		req, _ := http.NewRequestWithContext(reqCtx, "GET", "http://node/api/v1/alerts/stream", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET /api/v1/alerts/stream: %s", resp.Status)
		}
		events := make(chan string, 10)
		go func() {
			defer close(events)
			sc := bufio.NewScanner(resp.Body)
			for sc.Scan() {
				if strings.HasPrefix(sc.Text(), "event: ") {
					events <- strings.TrimPrefix(sc.Text(), "event: ")
				}
			}
		}()

		time.Sleep(ReadTimeout + WriteTimeout + IdleTimeout + time.Hour)
		fra := casework.Actor{ID: "fra-ca", State: "FRA", Role: identity.CentralAuthority}
		r, err := n.CreateRequest(ctx, fra, preservationContents("VNM"))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := n.Transition(ctx, fra, r.ID, casework.Transition{Action: casework.Send}); err != nil {
			t.Fatal(err)
		}
		select {
		case e, ok := <-events:
			if !ok {
				t.Fatalf("the stream ended before the alert, after the server's timeouts")
			}
			if e != "alert.raised" {
				t.Errorf("first event %q, want alert.raised", e)
			}
		case <-time.After(time.Minute):
			t.Fatalf("no event a minute after the alert")
		}
		cancel()
	})
}
