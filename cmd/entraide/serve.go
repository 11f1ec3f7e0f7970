package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"entraide/internal/directory"
	"entraide/internal/node"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"entraide/internal/requestid"
	"entraide/internal/ui"
	"entraide/internal/web"
)

func cmdServe(ctx context.Context, e env, args []string) error {
	fs := newFlags(e, "serve", "[--addr HOST:PORT] [flags]")
	st := addStorageFlags(fs, e)
	addr := fs.String("addr", envOr(e, "ENTRAIDE_ADDR", "127.0.0.1:8080"), "address to listen on (env ENTRAIDE_ADDR)")
	certFile := fs.String("tls-cert", e.getenv("ENTRAIDE_TLS_CERT"), "PEM certificate chain: serve HTTPS (env ENTRAIDE_TLS_CERT)")
	keyFile := fs.String("tls-key", e.getenv("ENTRAIDE_TLS_KEY"), "PEM private key of --tls-cert (env ENTRAIDE_TLS_KEY)")
	peerCA := fs.String("peer-ca", e.getenv("ENTRAIDE_PEER_CA"), "PEM certificates to trust for peers' HTTPS, instead of the system's (env ENTRAIDE_PEER_CA)")
	baseURL := fs.String("base-url", "", "record this https:// address as the one peers reach this node at")
	logFormat := fs.String("log-format", envOr(e, "ENTRAIDE_LOG_FORMAT", "json"), "json (one object a line, for a log collector) or text (key=value, for a terminal); each line of a request carries its request_id (env ENTRAIDE_LOG_FORMAT)")
	readyLogLag := fs.Int64("ready-log-lag", web.DefaultReadyLogLag, "audit records that may wait for the Merkle log while /readyz still answers 200; past it the node is not ready")
	tlsProxy := fs.Bool("behind-tls-proxy", e.getenv("ENTRAIDE_BEHIND_TLS_PROXY") == "true", "a proxy in front of this node ends HTTPS and passes plain HTTP on: send HSTS and mark the web UI's cookies Secure (env ENTRAIDE_BEHIND_TLS_PROXY=true)")
	retryBase := fs.Duration("retry-base", node.DefaultRetryBase, "first delay before retrying a delivery; later ones double")
	expiry := fs.Duration("delivery-expiry", node.DefaultDeliveryExpiry, "how long undelivered messages are retried before administrators are alerted")
	alertFlags := addAlertFlags(fs, e)
	ttlFlag := addTokenTTLFlag(fs, e, "how long the API tokens officials get by enrolment work")
	limits := addLimitFlags(fs)
	oidcFlags := addOIDCFlags(fs, e)
	blobURL := secretFlag(fs, e, "blob", "ENTRAIDE_BLOB", "URL of the store that keeps evidence's bytes (encrypted), e.g. s3://bucket?region=eu-west-3; without it and its variable, the directory evidence in the data directory")
	if help, err := parse(e, fs, args); help || err != nil {
		return err
	}
	ttl, err := parseTokenTTL(*ttlFlag)
	if err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	if (*certFile == "") != (*keyFile == "") {
		return errors.New("serve: give both --tls-cert and --tls-key, or neither")
	}
	if err := limits.check(); err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	oidcConfig, err := oidcFlags.config(e)
	if err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	node.TuneGC(e.getenv)
	n, db, err := st.openNode(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := n.SetTokenTTL(ttl); err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	vault, err := openVault(ctx, *st.dataDir, *blobURL)
	if err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	defer vault.Close()
	n.SetVault(vault)
	if *baseURL != "" {
		if err := n.SetBaseURL(ctx, n.Admin(), *baseURL); err != nil {
			return err
		}
	}
	client, err := peerClient(*peerCA)
	if err != nil {
		return err
	}
	var logHandler slog.Handler
	switch *logFormat {
	case "json":
		logHandler = slog.NewJSONHandler(e.stderr, nil)
	case "text":
		logHandler = slog.NewTextHandler(e.stderr, nil)
	default:
		return fmt.Errorf("serve: --log-format %q: use json or text", *logFormat)
	}
	log := slog.New(requestid.Handler(logHandler))
	n.ConfigureFederation(node.FederationConfig{Client: client, RetryBase: *retryBase, Expiry: *expiry, Log: log})
	n.SetSecurityEventsKept(*limits.securityEvents)
	if err := alertFlags.configure(e, n, log); err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	scheme := "http"
	var tlsConfig *tls.Config
	if *certFile != "" {
		cert, err := tls.LoadX509KeyPair(*certFile, *keyFile)
		if err != nil {
			ln.Close()
			return fmt.Errorf("serve: %w", err)
		}
		tlsConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
		scheme = "https"
	}
	fmt.Fprintf(e.stdout, "Serving the node of %s on %s://%s (%s)\n", n.Home(), scheme, ln.Addr(), db.Backend())
	// The server counts the loops' deliveries and alerts: made first.
	if *tlsProxy && tlsConfig != nil {
		return fmt.Errorf("serve: --behind-tls-proxy with --tls-cert: the node serves HTTPS itself\nnext: give one of them: --tls-cert when clients reach this node directly, --behind-tls-proxy when a proxy ends TLS in front of it")
	}
	h := web.NewServer(n, log, web.Config{Limits: limits.limits(), BehindTLSProxy: *tlsProxy, OIDC: oidcConfig, ReadyLogLag: *readyLogLag})
	go n.RunDelivery(ctx)
	go n.RunAlerts(ctx)
	go n.RunRetention(ctx)
	go n.RunLog(ctx)
	return serve(ctx, ln, web.HTTPServer(h, tlsConfig, slog.NewLogLogger(log.Handler(), slog.LevelWarn)))
}

// oidcFlags configure sign-in to the UI with a government's OpenID
// Connect provider.
type oidcFlags struct {
	issuer, clientID, secretFile, claim *string
}

func addOIDCFlags(fs *flag.FlagSet, e env) oidcFlags {
	return oidcFlags{
		issuer:     fs.String("oidc-issuer", e.getenv("ENTRAIDE_OIDC_ISSUER"), "issuer URL of the government's OpenID Connect provider officials may sign in to the UI with; none without it (env ENTRAIDE_OIDC_ISSUER)"),
		clientID:   fs.String("oidc-client-id", e.getenv("ENTRAIDE_OIDC_CLIENT_ID"), "the node's client id at the provider (env ENTRAIDE_OIDC_CLIENT_ID)"),
		secretFile: fs.String("oidc-client-secret-file", e.getenv("ENTRAIDE_OIDC_CLIENT_SECRET_FILE"), "file holding the node's client secret at the provider; or set ENTRAIDE_OIDC_CLIENT_SECRET (env ENTRAIDE_OIDC_CLIENT_SECRET_FILE)"),
		claim:      fs.String("oidc-claim", envOr(e, "ENTRAIDE_OIDC_CLAIM", "preferred_username"), "the claim whose value is the official's login on this node (env ENTRAIDE_OIDC_CLAIM)"),
	}
}

// config returns the OIDC settings, or nil without --oidc-issuer. The
// secret is read from its file, or from ENTRAIDE_OIDC_CLIENT_SECRET: never
// from a flag, which any user of the machine sees in the process list.
func (f oidcFlags) config(e env) (*ui.OIDC, error) {
	if *f.issuer == "" {
		if *f.clientID != "" || *f.secretFile != "" {
			return nil, errors.New("--oidc-client-id and --oidc-client-secret-file need --oidc-issuer: give the provider's issuer URL")
		}
		return nil, nil
	}
	secret := e.getenv("ENTRAIDE_OIDC_CLIENT_SECRET")
	if *f.secretFile != "" {
		b, err := os.ReadFile(*f.secretFile)
		if err != nil {
			return nil, fmt.Errorf("--oidc-client-secret-file: %w", err)
		}
		secret = strings.TrimSpace(string(b))
	}
	c := &ui.OIDC{Issuer: *f.issuer, ClientID: *f.clientID, ClientSecret: secret, Claim: *f.claim}
	if err := c.Check(); err != nil {
		return nil, err
	}
	return c, nil
}

// limitFlags are the flags that bound what callers may cost the node.
type limitFlags struct {
	authFailures, inboxFailures, inboxReads, apiBurst, streams, inboxMemoryMiB, securityEvents *int
	apiRate                                                                                    *float64
	inboxBodyTimeout                                                                           *time.Duration
	publicReports                                                                              *int
}

func addLimitFlags(fs *flag.FlagSet) limitFlags {
	return limitFlags{
		authFailures:     fs.Int("limit-auth-failures", web.DefaultAuthFailures, "failed authentications an address may make in a row; then one a minute / this, and 429 meanwhile"),
		inboxFailures:    fs.Int("limit-inbox-failures", web.DefaultInboxFailures, "envelopes that cannot be verified an address may post in a row; then one a minute / this, and 429 meanwhile"),
		inboxReads:       fs.Int("limit-inbox-reads", web.DefaultInboxReads, "envelopes one address may be sending at once, unless a peer delivered from it in the last day; 429 past it"),
		apiRate:          fs.Float64("limit-api-rate", web.DefaultAPIRate, "API calls per second one token may make"),
		apiBurst:         fs.Int("limit-api-burst", web.DefaultAPIBurst, "API calls one token may make at once, above --limit-api-rate"),
		streams:          fs.Int("limit-alert-streams", web.DefaultStreamsPerOfficial, "live alert feeds one official may hold open"),
		inboxBodyTimeout: fs.Duration("inbox-body-timeout", web.DefaultInboxBodyTimeout, "time a peer has to send an envelope's body"),
		inboxMemoryMiB:   fs.Int("inbox-memory", web.DefaultInboxMemory>>20, "MiB of memory envelopes being read and processed may hold (at least 12)"),
		securityEvents:   fs.Int("security-events-kept", node.DefaultSecurityEvents, "security events (refused tokens and unverifiable envelopes) kept; older ones are deleted"),
		publicReports:    fs.Int("limit-public-reports", web.DefaultPublicReports, "calls of the public transparency report an address may make in a row; then one a minute / this, and 429 meanwhile"),
	}
}

// check refuses a limit that would be replaced silently: the node takes
// zero or less for its default, and less memory than one envelope needs
// for that minimum, which is not what an operator who wrote 0 meant.
func (f limitFlags) check() error {
	for _, l := range []struct {
		flag  string
		value float64
	}{
		{"--limit-auth-failures", float64(*f.authFailures)}, {"--limit-inbox-failures", float64(*f.inboxFailures)},
		{"--limit-api-rate", *f.apiRate}, {"--limit-api-burst", float64(*f.apiBurst)}, {"--limit-alert-streams", float64(*f.streams)},
		{"--inbox-body-timeout", f.inboxBodyTimeout.Seconds()}, {"--security-events-kept", float64(*f.securityEvents)},
		{"--limit-public-reports", float64(*f.publicReports)},
	} {
		if !(l.value > 0) {
			return fmt.Errorf("%s: %v is no limit: give a number above 0 (leave the flag out for the default)", l.flag, l.value)
		}
	}
	if minMiB := int((web.MinInboxMemory + 1<<20 - 1) >> 20); *f.inboxMemoryMiB < minMiB {
		return fmt.Errorf("--inbox-memory: %d MiB cannot hold one envelope of the largest size: give at least %d", *f.inboxMemoryMiB, minMiB)
	}
	return nil
}

func (f limitFlags) limits() web.Limits {
	return web.Limits{AuthFailures: *f.authFailures, InboxFailures: *f.inboxFailures, APIRate: *f.apiRate, APIBurst: *f.apiBurst,
		StreamsPerOfficial: *f.streams, InboxBodyTimeout: *f.inboxBodyTimeout, InboxMemory: int64(*f.inboxMemoryMiB) << 20, InboxReadsPerAddress: *f.inboxReads,
		PublicReports: *f.publicReports}
}

func cmdOpenAPI(ctx context.Context, e env, args []string) error {
	fs := newFlags(e, "openapi", "   (prints the OpenAPI 3.1 document GET /api/v1/openapi.json serves; needs no node)")
	if help, err := parse(e, fs, args); help || err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("openapi: takes no arguments, got %q", fs.Arg(0))
	}
	_, err := fmt.Fprintf(e.stdout, "%s\n", web.OpenAPI())
	return err
}

// peerClient posts envelopes to peers, trusting caFile's certificates if
// given, the system's otherwise.
func peerClient(caFile string) (*http.Client, error) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if caFile != "" {
		pem, err := os.ReadFile(caFile)
		if err != nil {
			return nil, fmt.Errorf("--peer-ca: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("--peer-ca %s: no PEM certificate in it", caFile)
		}
		cfg.RootCAs = pool
	}
	return &http.Client{Timeout: 15 * time.Second, Transport: &http.Transport{TLSClientConfig: cfg, MaxIdleConnsPerHost: 64, ForceAttemptHTTP2: true}}, nil
}

// serve serves srv on ln until ctx ends, then shuts down gracefully; over
// TLS if srv has a TLS configuration.
func serve(ctx context.Context, ln net.Listener, srv *http.Server) error {
	errc := make(chan error, 1)
	go func() {
		if srv.TLSConfig != nil {
			errc <- srv.ServeTLS(ln, "", "")
			return
		}
		errc <- srv.Serve(ln)
	}()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil {
		return err
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

func envOr(e env, name, def string) string {
	if v := e.getenv(name); v != "" {
		return v
	}
	return def
}

func cmdSandbox(ctx context.Context, e env, args []string) error {
	fs := newFlags(e, "sandbox", "[--states VNM,FRA,ZAF] [--port 8443] [--data-dir DIR]")
	statesFlag := fs.String("states", strings.Join(sandboxStates, ","), "the States to run a node for, comma-separated ISO 3166-1 alpha-3 codes")
	port := fs.Int("port", 8443, "port of the first node; the others take the next ones (0 picks free ports)")
	dir := fs.String("data-dir", "", "keep the sandbox's data here (default: a temporary directory, removed at exit); a directory a sandbox kept starts that sandbox again")
	if help, err := parse(e, fs, args); help || err != nil {
		return err
	}
	if *dir != "" {
		if kept := keptStates(*dir); len(kept) > 0 {
			return restartSandbox(ctx, e, fs, *dir, kept)
		}
	}
	states := splitList(*statesFlag)
	seen := map[string]bool{}
	for i, s := range states {
		p, ok := directory.LookupParticipant(s)
		if !ok || p.Status == directory.REIO {
			return fmt.Errorf("sandbox: --states: %q is not a State (ISO 3166-1 alpha-3 code, e.g. FRA)", s)
		}
		if seen[p.Code] {
			return fmt.Errorf("sandbox: --states: %s is given twice", p.Code)
		}
		seen[p.Code], states[i] = true, p.Code
	}
	if len(states) == 0 || len(states) > 20 {
		return errors.New("sandbox: --states: give 1 to 20 States")
	}
	dataDir := *dir
	if dataDir == "" {
		tmp, err := os.MkdirTemp("", "entraide-sandbox-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		dataDir = tmp
	} else if entries, err := os.ReadDir(dataDir); err == nil && len(entries) > 0 {
		return fmt.Errorf("sandbox: --data-dir %s is not empty and holds no sandbox's nodes: give an empty or new directory, or one a sandbox kept", dataDir)
	}
	var addr func(string) string
	if *port != 0 {
		addr = func(state string) string { return fmt.Sprintf("127.0.0.1:%d", *port+slices.Index(states, state)) }
	}
	sb, err := startSandbox(ctx, states, dataDir, addr, false, e.stdout)
	if err != nil {
		return fmt.Errorf("sandbox: %w (if a port is taken, choose others with --port, or --port 0)", err)
	}
	return serveSandbox(ctx, e, sb, dataDir, states)
}

// restartSandbox starts again the nodes a sandbox kept in dir: their
// databases, keys and peers are as they were; their addresses too, since
// their peers know them by those.
func restartSandbox(ctx context.Context, e env, fs *flag.FlagSet, dir string, kept []string) error {
	var given bool
	fs.Visit(func(f *flag.Flag) { given = given || f.Name == "states" || f.Name == "port" })
	if given {
		return fmt.Errorf("sandbox: --data-dir %s holds the nodes of a kept sandbox (%s), which start again as they were: leave out --states and --port, or give an empty directory for a new sandbox",
			dir, strings.Join(kept, ","))
	}
	sb, err := startSandbox(ctx, kept, dir, nil, true, e.stdout)
	if err != nil {
		return fmt.Errorf("sandbox: starting again the sandbox kept in %s: %w (its nodes listen where they did before: stop what holds those ports)", dir, err)
	}
	fmt.Fprintf(e.stdout, "Started again from %s; the tokens printed before still work, and these are new ones.\n", dir)
	return serveSandbox(ctx, e, sb, dir, kept)
}

func serveSandbox(ctx context.Context, e env, sb *sandbox, dataDir string, states []string) error {
	defer sb.console.close()
	defer sb.net.Close()
	caFile := filepath.Join(dataDir, "ca.pem")
	if err := os.WriteFile(caFile, sb.net.CA.PEM, 0o644); err != nil {
		return err
	}
	sb.print(e.stdout, caFile, states)
	<-ctx.Done()
	return nil
}
