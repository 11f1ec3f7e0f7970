// Package node is one State's installation of Entraide: it ties the
// Convention's rules (convention, casework, directory) to the database
// (store), and writes an audit record in the same transaction as every
// change it makes. The API, the CLI and later the UI and the federation
// all act through it, so each rule is enforced once.
package node

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	"entraide/internal/auditlog"
	"entraide/internal/casework"
	"entraide/internal/convention"
	"entraide/internal/directory"
	"entraide/internal/evidence"
	"entraide/internal/federation"
	"entraide/internal/identity"
	"entraide/internal/store"
)

// Node is a national node.
type Node struct {
	db   *store.DB
	now  func() time.Time
	home string
	// hosted are the States whose views of requests this node holds: its
	// home State and, until nodes federate, any State hosted beside it.
	hosted []string
	fed    FederationConfig
	// wakeCh tells the delivery loop that a message was queued.
	wakeCh chan struct{}
	cache  fedCache
	// batches queues the envelopes sealed for each peer.
	batches batcher
	// sessions maps token digests to recently authenticated officials;
	// forgotten counts the times some were dropped.
	sessions  sync.Map
	forgotten atomic.Uint64
	alerts    *alerter
	// keeper wraps the private keys in the database; unwrapped holds
	// them in clear by id once unwrapped, so that a remote keeper (a KMS)
	// is asked once per key.
	keeper    Keeper
	unwrapped sync.Map
	// tokenTTL is how long the tokens the node makes work.
	tokenTTL time.Duration
	obs      atomic.Pointer[observerBox]
	// securityEventsKept caps the security_events table.
	securityEventsKept int
	// vault keeps the evidence's bytes; retentionCh wakes the loop that
	// disposes of evidence whose retention ended.
	vault       *evidence.Vault
	retentionCh chan struct{}
	// viewed holds when each official last viewed each item, so that an
	// item's custody says who looked at it, and when, not how often.
	viewed sync.Map
	// replica names this process among the node's replicas, in the
	// leases it holds.
	replica string
}

// Clock returns the current time; tests pass their own.
type Clock func() time.Time

// Open returns the node kept in db, whose private keys keeper unwraps.
// It fails if the node was never initialised, or if keeper cannot unwrap
// every key. Keys that an earlier version stored in clear are wrapped
// first, in one audited transaction.
func Open(ctx context.Context, db *store.DB, keeper Keeper, clock Clock) (*Node, error) {
	if keeper == nil {
		return nil, ErrNoKeeper
	}
	home, hosted, err := db.Node(ctx)
	if err != nil {
		return nil, err
	}
	if clock == nil {
		clock = time.Now
	}
	n := &Node{db: db, now: func() time.Time { return clock().UTC() }, home: home, hosted: hosted, wakeCh: make(chan struct{}, 1), retentionCh: make(chan struct{}, 1), alerts: newAlerter(), tokenTTL: identity.DefaultTokenTTL, keeper: keeper}
	if err := n.wrapClearKeys(ctx); err != nil {
		return nil, err
	}
	n.replica = replicaName()
	db.OnChange(n.heard)
	return n, nil
}

// heard acts on what a replica of the node committed on PostgreSQL (this
// one too, which acted on it already): it wakes the loops that have work
// and the live feeds, and drops what the caches hold.
func (n *Node) heard(topics []store.Topic) {
	for _, t := range topics {
		switch t {
		case store.TopicOutbox:
			n.wake()
		case store.TopicAlerts:
			n.alertsChanged()
		case store.TopicCredentials:
			n.forget(func(string, identity.User) bool { return true })
		case store.TopicKeys, store.TopicPeers:
			n.cache.invalidate()
		}
	}
}

// Home is the State this node serves.
func (n *Node) Home() string { return n.home }

// Hosted lists the States whose views this node holds.
func (n *Node) Hosted() []string { return slices.Clone(n.hosted) }

// Keeper returns the keeper that wraps the node's secrets at rest, for
// the packages beside node that keep secrets of their own (the UI's TOTP
// secrets).
func (n *Node) Keeper() Keeper { return n.keeper }

// DB is the node's database.
func (n *Node) DB() *store.DB { return n.db }

// Now reads the node's clock, in UTC.
func (n *Node) Now() time.Time { return n.now() }

// Admin is the node's administrator acting from the command line, with
// direct access to the database, for the home State.
func (n *Node) Admin() casework.Actor { return n.AdminOf(n.home) }

// AdminOf is the node's administrator acting from the command line for
// state, one of the States the node hosts: like any administrator, it
// manages that State's officials and roster only.
func (n *Node) AdminOf(state string) casework.Actor {
	return casework.Actor{ID: "cli", State: state, Role: identity.Administrator}
}

// ActorOf returns the actor a user acts as.
func ActorOf(u identity.User) casework.Actor {
	return casework.Actor{ID: u.ID, State: u.State, Role: u.Role}
}

// InitOptions says how to initialise a node.
type InitOptions struct {
	Home   string   // the State the node serves
	Hosted []string // other States hosted beside it until nodes federate
	Admin  identity.User
	// BaseURL is the https:// address other States' nodes reach it at.
	BaseURL string
	// TokenTTL is how long the first administrator's token works;
	// identity.DefaultTokenTTL if zero.
	TokenTTL time.Duration
	// Keeper wraps the node's private keys; Open needs the same one.
	Keeper Keeper
}

// Init creates a node in an empty database: its State, its first
// administrator, a token for them, and the treaty status that ships with
// Entraide. It returns the token, which is shown once and never stored.
// The first administrator gets a token rather than an enrolment code:
// there is no one before them to issue a code, and no server running yet
// to redeem it at.
func Init(ctx context.Context, db *store.DB, opt InitOptions, clock Clock) (token string, err error) {
	if clock == nil {
		clock = time.Now
	}
	now := clock().UTC()
	var ps convention.Problems
	home, ok := directory.LookupParticipant(opt.Home)
	if !ok || home.Status == directory.REIO {
		ps = append(ps, convention.Problem{Field: "state", Ref: convention.Art(40).Para(13), Message: fmt.Sprintf("%q is not a State (ISO 3166-1 alpha-3 code, e.g. FRA)", opt.Home)})
	}
	var hosted []string
	for _, code := range opt.Hosted {
		p, ok := directory.LookupParticipant(code)
		if !ok || p.Status == directory.REIO {
			ps = append(ps, convention.Problem{Field: "host", Ref: convention.Art(40).Para(13), Message: fmt.Sprintf("%q is not a State", code)})
			continue
		}
		if p.Code != home.Code && !slices.Contains(hosted, p.Code) {
			hosted = append(hosted, p.Code)
		}
	}
	if opt.BaseURL != "" {
		if err := federation.CheckBaseURL(opt.BaseURL); err != nil {
			ps = append(ps, convention.Problem{Field: "base_url", Ref: convention.Art(40).Para(13), Message: err.Error()})
		}
	}
	admin := opt.Admin
	admin.State, admin.Role, admin.CreatedAt = home.Code, identity.Administrator, now
	ps = append(ps, validateUser(admin)...)
	ttl := opt.TokenTTL
	if ttl == 0 {
		ttl = identity.DefaultTokenTTL
	}
	if err := identity.CheckTokenTTL(ttl); err != nil {
		ps = append(ps, convention.Problem{Field: "token_ttl", Ref: convention.Art(40).Para(13), Message: err.Error()})
	}
	if len(ps) > 0 {
		return "", ps
	}
	if opt.Keeper == nil {
		return "", ErrNoKeeper
	}
	signing, encryption, err := newKeys(ctx, opt.Keeper, now)
	if err != nil {
		return "", err
	}
	token, digest := identity.NewToken()
	system := casework.Actor{ID: "cli", State: home.Code, Role: identity.Administrator}
	err = db.Tx(ctx, func(tx *store.Tx) error {
		if err := tx.InitNode(ctx, home.Code, hosted, now); err != nil {
			return err
		}
		for _, k := range []store.Key{signing, encryption} {
			if err := tx.InsertKey(ctx, k); err != nil {
				return err
			}
		}
		if err := tx.SetBaseURL(ctx, opt.BaseURL); err != nil {
			return err
		}
		if err := audit(ctx, tx, home.Code, home.Code, system, now, "node.init", "node/"+home.Code, map[string]any{"home": home.Code, "hosted": hosted, "base_url": opt.BaseURL, "signing_key": signing.ID, "encryption_key": encryption.ID}); err != nil {
			return err
		}
		for _, r := range directory.EmbeddedTreatyStatus() {
			if err := tx.PutTreatyRecord(ctx, r, now); err != nil {
				return err
			}
		}
		if err := audit(ctx, tx, home.Code, home.Code, system, now, "treaty.seed", "treaty", map[string]any{"records": len(directory.EmbeddedTreatyStatus())}); err != nil {
			return err
		}
		if err := addUser(ctx, tx, home.Code, system, admin); err != nil {
			return err
		}
		t := identity.Token{ID: identity.ShortID(digest), User: admin.ID, Label: "initial administrator token", CreatedAt: now, ExpiresAt: now.Add(ttl), IssuedBy: system.ID}
		if err := tx.InsertToken(ctx, home.Code, digest, t); err != nil {
			return err
		}
		return audit(ctx, tx, home.Code, home.Code, system, now, "token.create", "user/"+admin.ID, map[string]any{"token": t.ID, "label": t.Label, "expires_at": t.ExpiresAt})
	})
	if err != nil {
		return "", err
	}
	return token, nil
}

func validateUser(u identity.User) convention.Problems {
	var ps convention.Problems
	ref := convention.Art(40).Para(13)
	if err := identity.ValidateUserID(u.ID); err != nil {
		ps = append(ps, convention.Problem{Field: "id", Ref: ref, Message: err.Error()})
	}
	if strings.TrimSpace(u.Name) == "" {
		ps = append(ps, convention.Problem{Field: "name", Ref: ref, Message: "required: the official's full name"})
	} else if p, bad := convention.CheckText("name", ref, u.Name, 200); bad {
		ps = append(ps, p)
	}
	if _, err := identity.ParseRole(string(u.Role)); err != nil {
		ps = append(ps, convention.Problem{Field: "role", Ref: ref, Message: err.Error()})
	}
	if p, bad := convention.CheckText("email", ref, u.Email, 254); bad {
		ps = append(ps, p)
	}
	return ps
}

func addUser(ctx context.Context, tx *store.Tx, node string, by casework.Actor, u identity.User) error {
	if err := tx.InsertUser(ctx, u); err != nil {
		return err
	}
	return audit(ctx, tx, node, u.State, by, u.CreatedAt, "user.add", "user/"+u.ID, map[string]any{"id": u.ID, "name": u.Name, "state": u.State, "role": u.Role})
}

// audit writes the audit record of a change inside the transaction that
// makes it, in the view of state: the State whose data changed, whose
// auditors read it.
func audit(ctx context.Context, tx *store.Tx, node, state string, by casework.Actor, now time.Time, action, subject string, detail any) error {
	_, err := tx.Audit(ctx, auditlog.Record{At: now, Node: node, State: state, ActorState: by.State, Actor: by.ID, Action: action, Subject: subject, Detail: detail})
	return err
}

// AddUser adds an official of by's State, which the node hosts: an
// administrator adds officials of their own State only.
func (n *Node) AddUser(ctx context.Context, by casework.Actor, u identity.User) (identity.User, error) {
	if !by.Role.Can(identity.ManageUsers) {
		return u, forbidden("role", "the %s role may not add officials", by.Role)
	}
	if u.State == "" {
		u.State = by.State
	}
	if p, ok := directory.LookupParticipant(u.State); ok {
		u.State = p.Code
	}
	if u.State != by.State {
		// The same answer whether the other State is hosted here or not.
		return u, forbidden("state", "an administrator of %s adds officials of %s only", by.State, by.State)
	}
	u.CreatedAt = n.now()
	ps := validateUser(u)
	if !slices.Contains(n.hosted, u.State) {
		ps = append(ps, convention.Problem{Field: "state", Ref: convention.Art(40).Para(13), Message: fmt.Sprintf("%q is not a State this node serves (%s)", u.State, strings.Join(n.hosted, ", "))})
	}
	if len(ps) > 0 {
		return u, ps
	}
	err := n.db.Tx(ctx, func(tx *store.Tx) error { return addUser(ctx, tx, n.home, by, u) })
	return u, err
}

// Users lists the officials of by's State, for its administrators.
func (n *Node) Users(ctx context.Context, by casework.Actor) ([]identity.User, error) {
	if !by.Role.Can(identity.ManageUsers) {
		return nil, forbidden("role", "the %s role may not list officials", by.Role)
	}
	users, err := n.db.Users(ctx, by.State)
	return users, n.readable(ctx, err)
}

// readable logs the rows a listing could not read and returns nil for
// them: they are marked in the listing itself, which answers with the
// others. Any other error is returned as it is.
func (n *Node) readable(ctx context.Context, err error) error {
	bad, ok := store.IsPartial(err)
	if !ok {
		return err
	}
	for _, e := range bad {
		n.alerts.config().Log.ErrorContext(ctx, "stored row cannot be read", "table", e.Table, "row", e.ID, "err", e.Err)
	}
	return nil
}

// Me returns the official by is.
func (n *Node) Me(ctx context.Context, by casework.Actor) (identity.User, error) {
	return n.db.User(ctx, by.State, by.ID)
}

// AuditLog returns the audit records of by's State's view that follow
// record after in the node's log, for its auditors and administrators.
// It integrates what is committed first, so that a record is listed as
// soon as its change is visible, in its final place in the log.
func (n *Node) AuditLog(ctx context.Context, by casework.Actor, after int64, limit int) ([]store.AuditEntry, error) {
	if !by.Role.Can(identity.ReadAuditLog) {
		return nil, forbidden("role", "the %s role may not read the audit log", by.Role)
	}
	if limit <= 0 || limit > 1000 {
		limit = 1000
	}
	if _, err := n.IntegrateLog(ctx); err != nil {
		return nil, err
	}
	entries, err := n.db.AuditLog(ctx, by.State, after, limit)
	if errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrNotInLog) {
		return nil, fmt.Errorf("%w: %s has no audit record %d in the log", ErrNoSuchRecord, by.State, after)
	}
	// The log spans every request: what a role does not see of their
	// contents stays out of it, a reveal of one request included, which
	// shows that request's own view and its items' custody.
	redactEntries(entries, casework.SightOf(by.Role))
	return entries, n.readable(ctx, err)
}

// ErrNoSuchRecord is matched by AuditLog's error for a record after that
// is not in the State's log: a reader's cursor from elsewhere.
var ErrNoSuchRecord = errors.New("no such audit record")

// runsNode refuses by unless they act for the node's home State: the
// node's keys, peers and address, the treaty records and the States'
// profiles are shared by every State the node hosts, and a State hosted
// beside it for trials does not run it. The caller checks the role first.
func (n *Node) runsNode(by casework.Actor, what string) error {
	if by.State == n.home {
		return nil
	}
	return forbidden("state", "%s is hosted on %s's node: only %s's administrators may %s", by.State, n.home, n.home, what)
}

func forbidden(field, format string, args ...any) error {
	return &casework.Error{Kind: casework.ErrForbidden, Problems: convention.Problems{{Field: field, Ref: convention.Art(40).Para(13), Message: fmt.Sprintf(format, args...)}}}
}

func newID() string { return uuid.Must(uuid.NewV7()).String() }

// replicaName names a replica for an operator to find: its host and
// process, and a random suffix that tells apart two nodes opened by one
// process.
func replicaName() string {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "unknown-host"
	}
	id := newID()
	return fmt.Sprintf("%s/%d/%s", host, os.Getpid(), id[len(id)-8:])
}
