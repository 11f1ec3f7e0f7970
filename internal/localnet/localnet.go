// Package localnet runs a network of national nodes on one machine: each
// with its own database, keys, HTTPS port and certificate from a local
// certificate authority, all peered with each other. The sandbox, the
// tests and the benchmarks start one.
package localnet

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"entraide/internal/evidence"
	"entraide/internal/federation"
	"entraide/internal/identity"
	"entraide/internal/keeper"
	"entraide/internal/localca"
	"entraide/internal/node"
	"entraide/internal/store"
	"entraide/internal/web"
)

// adminID is the login of each node's first administrator.
const adminID = "admin"

// Node is one State's node in the network.
type Node struct {
	State string
	URL   string // https://127.0.0.1:port
	Node  *node.Node
	DB    *store.DB
	// AdminToken is the API token of the node's first administrator.
	AdminToken string
	// DataDir holds the node's SQLite database, if it has one, and the
	// key keeper file that wraps its private keys.
	DataDir string
	// Keeper is the node's key keeper, opened from DataDir.
	Keeper node.Keeper

	server   *http.Server
	listener net.Listener
	cancel   context.CancelFunc
	done     chan struct{}
	mu       sync.Mutex
}

// Network is a set of peered nodes.
type Network struct {
	CA    *localca.CA
	Nodes map[string]*Node
	// Client trusts the network's CA, for officials' API calls.
	Client *http.Client
	opts   Options
}

// Options configure a network.
type Options struct {
	// Dir holds one data directory per node; a temporary one if empty.
	Dir string
	// DSN returns the database of a State's node; SQLite in its data
	// directory if nil.
	DSN func(state string) string
	// Federation tunes delivery; its Client is set to trust the CA.
	Federation node.FederationConfig
	// Alerts says how the nodes tell officials of alerts (SMTP server,
	// webhook client, SLAs); its Log defaults to the node's.
	Alerts node.AlertConfig
	// Log receives the nodes' logs; discarded if nil.
	Log *slog.Logger
	// Clock is the nodes' clock; the real one if nil.
	Clock node.Clock
	// Addr is where a State's node listens; a free port of 127.0.0.1 if
	// nil.
	Addr func(state string) string
	// Limits bound what callers may cost each node; the defaults if zero.
	Limits web.Limits
	// Demo makes each node's sign-in page list its officials, for a
	// sandbox whose officials are made up: never on a real node.
	Demo bool
	// Front, if set, stands in front of each State's node's handler: a
	// test plays with it a node of an older version, or a network that
	// loses what it carries.
	Front func(state string, h http.Handler) http.Handler
	// Reopen opens the nodes an earlier Start made in Dir, on the
	// addresses their peers know them by, instead of making new ones;
	// they are peered already. Each node's administrator gets a new
	// token. Addr is not used.
	Reopen bool
}

// Start starts a node for each State and peers them all.
func Start(ctx context.Context, states []string, opt Options) (*Network, error) {
	if len(states) < 1 {
		return nil, errors.New("a network needs at least one State")
	}
	ca, err := localca.New("Entraide local network", 30*24*time.Hour)
	if err != nil {
		return nil, err
	}
	// The network's nodes run as nodes do (entraide serve).
	node.TuneGC(os.Getenv)
	if opt.Log == nil {
		opt.Log = slog.New(slog.DiscardHandler)
	}
	if opt.Dir == "" {
		if opt.Dir, err = os.MkdirTemp("", "entraide-net-"); err != nil {
			return nil, err
		}
	}
	transport := &http.Transport{TLSClientConfig: ca.ClientConfig(), MaxIdleConnsPerHost: 128, ForceAttemptHTTP2: true}
	net := &Network{CA: ca, Nodes: map[string]*Node{}, Client: &http.Client{Transport: transport, Timeout: 30 * time.Second}, opts: opt}
	for _, state := range states {
		n, err := net.startNode(ctx, strings.ToUpper(state))
		if err != nil {
			net.Close()
			return nil, fmt.Errorf("node of %s: %w", state, err)
		}
		net.Nodes[n.State] = n
	}
	if opt.Reopen {
		return net, nil
	}
	if err := net.peerAll(ctx); err != nil {
		net.Close()
		return nil, err
	}
	return net, nil
}

func (net *Network) startNode(ctx context.Context, state string) (*Node, error) {
	dir := filepath.Join(net.opts.Dir, strings.ToLower(state))
	dsn := filepath.Join(dir, "entraide.db")
	if net.opts.DSN != nil {
		dsn = net.opts.DSN(state)
	}
	if net.opts.Reopen {
		return net.reopenNode(ctx, state, dir, dsn)
	}
	addr := "127.0.0.1:0"
	if net.opts.Addr != nil {
		addr = net.opts.Addr(state)
	}
	ln, err := listen(addr)
	if err != nil {
		return nil, err
	}
	url := "https://" + ln.Addr().String()
	// Each node has its own keeper file, in its data directory, as
	// entraide init makes one.
	if _, err := keeper.Create(dir); err != nil {
		ln.Close()
		return nil, err
	}
	k, err := keeper.Open(ctx, dir, "")
	if err != nil {
		ln.Close()
		return nil, err
	}
	db, err := store.Open(ctx, dsn)
	if err != nil {
		ln.Close()
		return nil, err
	}
	token, err := node.Init(ctx, db, node.InitOptions{Home: state, BaseURL: url, Keeper: k,
		Admin: identity.User{ID: adminID, Name: "Administrator of " + state}}, net.opts.Clock)
	if err != nil {
		db.Close()
		ln.Close()
		return nil, err
	}
	nd := &Node{State: state, URL: url, DB: db, AdminToken: token, DataDir: dir, Keeper: k, listener: ln}
	if err := nd.start(ctx, net); err != nil {
		db.Close()
		ln.Close()
		return nil, err
	}
	return nd, nil
}

// reopenNode opens the node an earlier Start made in dir and serves it
// at the address in its descriptor, which its peers deliver to.
func (network *Network) reopenNode(ctx context.Context, state, dir, dsn string) (*Node, error) {
	if network.opts.DSN == nil {
		if _, err := os.Stat(dsn); err != nil {
			return nil, fmt.Errorf("no node of %s to reopen in %s: %w", state, dir, err)
		}
	}
	k, err := keeper.Open(ctx, dir, "")
	if err != nil {
		return nil, err
	}
	db, err := store.Open(ctx, dsn)
	if err != nil {
		return nil, err
	}
	n, err := node.Open(ctx, db, k, network.opts.Clock)
	if err == nil && n.Home() != state {
		err = fmt.Errorf("the node in %s is %s's", dir, n.Home())
	}
	var d *federation.Descriptor
	if err == nil {
		d, err = n.Descriptor(ctx)
	}
	var ln net.Listener
	if err == nil {
		ln, err = listen(strings.TrimPrefix(d.BaseURL, "https://"))
	}
	if err != nil {
		db.Close()
		return nil, err
	}
	nd := &Node{State: state, URL: d.BaseURL, DB: db, DataDir: dir, Keeper: k, listener: ln}
	if err := nd.start(ctx, network); err != nil {
		db.Close()
		ln.Close()
		return nil, err
	}
	if nd.AdminToken, err = token(ctx, nd.Node, adminID); err != nil {
		nd.Stop()
		db.Close()
		return nil, err
	}
	return nd, nil
}

func listen(addr string) (net.Listener, error) { return net.Listen("tcp", addr) }

// start opens the node and serves it on its listener.
func (nd *Node) start(ctx context.Context, network *Network) error {
	n, err := node.Open(ctx, nd.DB, nd.Keeper, network.opts.Clock)
	if err != nil {
		return err
	}
	cfg := network.opts.Federation
	cfg.Client = network.Client
	if cfg.Log == nil {
		cfg.Log = network.opts.Log.With("node", nd.State)
	}
	n.ConfigureFederation(cfg)
	alerts := network.opts.Alerts
	if alerts.Log == nil {
		alerts.Log = network.opts.Log.With("node", nd.State)
	}
	if err := n.ConfigureAlerts(alerts); err != nil {
		return err
	}
	vault, err := evidence.OpenDir(filepath.Join(nd.DataDir, "evidence"))
	if err != nil {
		return err
	}
	n.SetVault(vault)
	nd.Node = n
	var handler http.Handler = web.NewServer(n, network.opts.Log.With("node", nd.State), web.Config{Limits: network.opts.Limits, Demo: network.opts.Demo})
	if network.opts.Front != nil {
		handler = network.opts.Front(nd.State, handler)
	}
	cert, err := network.CA.Issue(nd.State)
	if err != nil {
		return err
	}
	srv := web.HTTPServer(handler, &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS13}, slog.NewLogLogger(slog.DiscardHandler, slog.LevelError))
	runCtx, cancel := context.WithCancel(context.Background())
	// Ending the loops at shutdown ends the alert streams, which would
	// otherwise hold the server open.
	srv.RegisterOnShutdown(cancel)
	nd.server, nd.cancel, nd.done = srv, cancel, make(chan struct{})
	go func() {
		defer close(nd.done)
		var wg sync.WaitGroup
		wg.Add(4)
		go func() { defer wg.Done(); n.RunDelivery(runCtx) }()
		go func() { defer wg.Done(); n.RunAlerts(runCtx) }()
		go func() { defer wg.Done(); n.RunLog(runCtx) }()
		go func() { defer wg.Done(); n.RunRetention(runCtx) }()
		srv.ServeTLS(nd.listener, "", "")
		cancel()
		wg.Wait()
		vault.Close()
	}()
	return nil
}

// Stop takes the node down, as an outage would: its port refuses
// connections and its delivery stops. Its database stays.
func (nd *Node) Stop() {
	nd.mu.Lock()
	defer nd.mu.Unlock()
	if nd.server == nil {
		return
	}
	// Close, not Shutdown: an outage drops connections, and a graceful
	// HTTP/2 shutdown would wait a second for clients to go.
	nd.server.Close()
	nd.cancel()
	<-nd.done
	nd.server = nil
}

// Restart brings a stopped node back on the same address.
func (nd *Node) Restart(ctx context.Context, network *Network) error {
	nd.mu.Lock()
	defer nd.mu.Unlock()
	if nd.server != nil {
		return nil
	}
	addr := strings.TrimPrefix(nd.URL, "https://")
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	nd.listener = ln
	return nd.start(ctx, network)
}

// Repeer gives every node every other node's descriptor again: a fresh
// one, which carries what changed since, the 24/7 contact of a profile
// recorded after the nodes were peered, for instance.
func (net *Network) Repeer(ctx context.Context) error { return net.peerAll(ctx) }

// peerAll gives every node every other node's descriptor.
func (net *Network) peerAll(ctx context.Context) error {
	for _, a := range net.Nodes {
		d, err := a.Node.Descriptor(ctx)
		if err != nil {
			return err
		}
		data, err := json.Marshal(d)
		if err != nil {
			return err
		}
		for _, b := range net.Nodes {
			if a == b {
				continue
			}
			if _, err := b.Node.AddPeer(ctx, b.Node.Admin(), data); err != nil {
				return fmt.Errorf("%s adds %s: %w", b.State, a.State, err)
			}
		}
	}
	return nil
}

// Close stops every node and closes its database.
func (net *Network) Close() {
	for _, n := range net.Nodes {
		n.Stop()
		n.DB.Close()
	}
}

// Official adds an official of role to the node of state and returns
// their API token: the node's administrator issues an enrolment code, and
// the official redeems it, as on a real node.
func (net *Network) Official(ctx context.Context, state, id, name string, role identity.Role) (string, error) {
	nd := net.Nodes[state]
	if nd == nil {
		return "", fmt.Errorf("no node of %s in the network", state)
	}
	if _, err := nd.Node.AddUser(ctx, nd.Node.Admin(), identity.User{ID: id, Name: name, Role: role}); err != nil {
		return "", err
	}
	return net.Token(ctx, state, id)
}

// Token gives an official of the node of state a new API token: the
// node's administrator issues an enrolment code, and the official redeems
// it.
func (net *Network) Token(ctx context.Context, state, id string) (string, error) {
	nd := net.Nodes[state]
	if nd == nil {
		return "", fmt.Errorf("no node of %s in the network", state)
	}
	return token(ctx, nd.Node, id)
}

func token(ctx context.Context, n *node.Node, id string) (string, error) {
	e, err := n.IssueEnrolment(ctx, n.Admin(), id)
	if err != nil {
		return "", err
	}
	out, err := n.Enrol(ctx, e.Code, "local network")
	return out.Token, err
}
