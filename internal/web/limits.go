package web

import (
	"fmt"
	"math"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"entraide/internal/federation"
)

// Limits bound what callers can cost a node. The zero value of a field
// takes its default.
type Limits struct {
	// AuthFailures is how many failed authentications (unknown or
	// malformed tokens) an address may make in a row; one more is allowed
	// every minute / AuthFailures. Past it, every call of the address with
	// a token is answered 429 until it may try again.
	AuthFailures int
	// InboxFailures is how many envelopes that prove nothing (unreadable,
	// unsigned, from unknown senders, with bad signatures) an address may
	// post in a row; one more is allowed every minute / InboxFailures.
	// Past it, the address's posts get 429 before their body is read,
	// unless a peer delivered from it recently, and are not recorded.
	InboxFailures int
	// APIRate is how many API calls per second a token may make, with
	// bursts of APIBurst.
	APIRate  float64
	APIBurst int
	// StreamsPerOfficial caps the live alert feeds one official may hold
	// open at once.
	StreamsPerOfficial int
	// InboxBodyTimeout is how long a peer has to send an envelope's body,
	// counted from the end of its headers.
	InboxBodyTimeout time.Duration
	// InboxMemory bounds, in bytes, the memory held by envelopes being
	// read and processed. Each byte read counts three times: the body,
	// its copy while parsing, and the decoded payload.
	InboxMemory int64
	// InboxSlots is how many envelopes are processed at once, once read.
	InboxSlots int
	// InboxReadsPerAddress is how many envelopes one address may be
	// sending at once, unless a peer delivered from it lately: enough for
	// a node's deliveries, too few for one host to hold the inbox's memory
	// with slow bodies.
	InboxReadsPerAddress int
	// PublicReports is how many calls an address may make in a row to
	// the public transparency report, page or JSON, which the node
	// computes from its database each time; one more is allowed every
	// minute / PublicReports.
	PublicReports int
}

// Default limits: generous for officials and real peers, which retry with
// backoff, and tight for strangers.
const (
	DefaultAuthFailures       = 30
	DefaultInboxFailures      = 120
	DefaultAPIRate            = 50
	DefaultAPIBurst           = 200
	DefaultStreamsPerOfficial = 4
	DefaultInboxBodyTimeout   = 10 * time.Second
	DefaultInboxMemory        = 64 << 20
	DefaultInboxSlots         = 64
	DefaultInboxReads         = 16
	DefaultPublicReports      = 60
	// inboxWeight is what each byte of an envelope counts against
	// InboxMemory.
	inboxWeight = 3
	// MinInboxMemory holds one envelope of the largest size.
	MinInboxMemory = inboxWeight * federation.MaxEnvelopeBytes
)

func (l Limits) withDefaults() Limits {
	if l.AuthFailures <= 0 {
		l.AuthFailures = DefaultAuthFailures
	}
	if l.InboxFailures <= 0 {
		l.InboxFailures = DefaultInboxFailures
	}
	if l.APIRate <= 0 {
		l.APIRate = DefaultAPIRate
	}
	if l.APIBurst <= 0 {
		l.APIBurst = DefaultAPIBurst
	}
	if l.StreamsPerOfficial <= 0 {
		l.StreamsPerOfficial = DefaultStreamsPerOfficial
	}
	if l.InboxBodyTimeout <= 0 {
		l.InboxBodyTimeout = DefaultInboxBodyTimeout
	}
	if l.InboxMemory <= 0 {
		l.InboxMemory = DefaultInboxMemory
	}
	l.InboxMemory = max(l.InboxMemory, MinInboxMemory)
	if l.InboxSlots <= 0 {
		l.InboxSlots = DefaultInboxSlots
	}
	if l.InboxReadsPerAddress <= 0 {
		l.InboxReadsPerAddress = DefaultInboxReads
	}
	if l.PublicReports <= 0 {
		l.PublicReports = DefaultPublicReports
	}
	return l
}

// perMinute is a limiter's rate for n events a minute.
func perMinute(n int) rate.Limit { return rate.Every(time.Minute / time.Duration(n)) }

// maxLimiters bounds the keys a limiterSet holds: at about 150 bytes
// each, a few megabytes whatever the number of addresses a flood comes
// from.
const maxLimiters = 20000

// limiterSet keeps a token-bucket limiter per key (an address, a token).
// golang.org/x/time/rate gives the buckets; the set forgets a key once its
// bucket is full again, as a new one would be, so that memory follows the
// callers of the last minutes, not all callers ever.
type limiterSet struct {
	limit rate.Limit
	burst int
	mu    sync.Mutex
	m     map[string]*limiterEntry
	calls int
}

type limiterEntry struct {
	lim  *rate.Limiter
	seen time.Time
}

func newLimiterSet(limit rate.Limit, burst int) *limiterSet {
	return &limiterSet{limit: limit, burst: burst, m: map[string]*limiterEntry{}}
}

// entry returns key's limiter, adding it if new. mu is held.
func (s *limiterSet) entry(key string, now time.Time) *limiterEntry {
	s.calls++
	if s.calls%1024 == 0 || len(s.m) >= maxLimiters {
		s.evict(now)
	}
	e, ok := s.m[key]
	if !ok {
		e = &limiterEntry{lim: rate.NewLimiter(s.limit, s.burst)}
		s.m[key] = e
	}
	e.seen = now
	return e
}

// evict forgets the keys whose bucket has refilled; if the set is still
// full, it forgets others, in no order. mu is held.
func (s *limiterSet) evict(now time.Time) {
	refill := time.Duration(float64(s.burst) / float64(s.limit) * float64(time.Second))
	for k, e := range s.m {
		if now.Sub(e.seen) > refill {
			delete(s.m, k)
		}
	}
	for k := range s.m {
		if len(s.m) < maxLimiters*9/10 {
			break
		}
		delete(s.m, k)
	}
}

// allow spends one of key's budget. If none is left, it reports how long
// until there is.
func (s *limiterSet) allow(key string, now time.Time) (bool, time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.entry(key, now)
	if e.lim.AllowN(now, 1) {
		return true, 0
	}
	return false, s.wait(e, now)
}

// blocked reports whether key has no budget left, and for how long,
// without spending any.
func (s *limiterSet) blocked(key string, now time.Time) (bool, time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.m[key]
	if !ok || e.lim.TokensAt(now) >= 1 {
		return false, 0
	}
	return true, s.wait(e, now)
}

func (s *limiterSet) wait(e *limiterEntry, now time.Time) time.Duration {
	missing := 1 - e.lim.TokensAt(now)
	return time.Duration(missing / float64(s.limit) * float64(time.Second))
}

// len returns how many keys the set holds.
func (s *limiterSet) len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.m)
}

// recentSet remembers keys for a while, bounded like a limiterSet.
type recentSet struct {
	ttl   time.Duration
	mu    sync.Mutex
	m     map[string]time.Time
	calls int
}

func newRecentSet(ttl time.Duration) *recentSet {
	return &recentSet{ttl: ttl, m: map[string]time.Time{}}
}

// add remembers key as seen at now.
func (s *recentSet) add(key string, now time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls++
	if s.calls%1024 == 0 || len(s.m) >= maxLimiters {
		for k, seen := range s.m {
			if now.Sub(seen) > s.ttl || len(s.m) >= maxLimiters*9/10 {
				delete(s.m, k)
			}
		}
	}
	s.m[key] = now
}

// has reports whether key was seen within the set's time.
func (s *recentSet) has(key string, now time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	seen, ok := s.m[key]
	return ok && now.Sub(seen) <= s.ttl
}

// clientAddress is the address a call came from, as the limits count it:
// the host of the connection's remote address, and for IPv6 its /64, the
// block a single subscriber usually holds.
func clientAddress(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return host
	}
	ip = ip.Unmap()
	if ip.Is6() {
		p, _ := ip.Prefix(64)
		return p.String()
	}
	return ip.String()
}

// typeRateLimited is the problem of a call past a limit.
const typeRateLimited = "urn:entraide:problem:rate-limited"

// writeRateLimited answers 429 with Retry-After, naming the limit reached
// (field names the part of the call it counts) and when to try again.
func (s *Server) writeRateLimited(w http.ResponseWriter, limit, field, what string, retry time.Duration) {
	s.metrics.limited.WithLabelValues(limit).Inc()
	secs := int(math.Ceil(retry.Seconds()))
	secs = max(secs, 1)
	w.Header().Set("Retry-After", strconv.Itoa(secs))
	msg := fmt.Sprintf("%s; retry in %d s", what, secs)
	writeProblem(w, Problem{Type: typeRateLimited, Title: "Too many requests", Status: http.StatusTooManyRequests, Detail: msg,
		Reason: "rate_limited", Limit: limit, RetryAfter: secs, Errors: []FieldError{{Field: field, Message: msg}}})
}

// keyCounter counts what each key holds open at once: the live feeds of
// an official, the bodies being read from an address.
type keyCounter struct {
	max  int
	mu   sync.Mutex
	open map[string]int
}

func newKeyCounter(max int) *keyCounter {
	return &keyCounter{max: max, open: map[string]int{}}
}

// take counts one more for key, unless it holds max already; done gives
// it back.
func (c *keyCounter) take(key string) (done func(), ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.open[key] >= c.max {
		return nil, false
	}
	c.open[key]++
	return func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		if c.open[key]--; c.open[key] <= 0 {
			delete(c.open, key)
		}
	}, true
}
