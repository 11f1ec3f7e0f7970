// Package identity knows the officials of a node, their roles, what each
// role may do, and the API tokens that stand for them. Tokens and
// enrolment codes are random secrets shown once at creation; only their
// SHA-256 digest is kept.
package identity

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
)

// Role is what an official does for their State.
type Role string

// The roles of a node.
const (
	Administrator    Role = "administrator"     // runs the node: officials, tokens, treaty records
	CentralAuthority Role = "central_authority" // sends, receives and executes requests (art. 40(13))
	TwentyFourSeven  Role = "24_7"              // the 24/7 point of contact (art. 41)
	Investigator     Role = "investigator"      // drafts requests for the central authority
	Auditor          Role = "auditor"           // reads cases and the audit log, changes nothing
)

// Roles lists every role.
var Roles = []Role{Administrator, CentralAuthority, TwentyFourSeven, Investigator, Auditor}

// ParseRole returns the role named s, or an error listing the roles.
func ParseRole(s string) (Role, error) {
	r := Role(s)
	if slices.Contains(Roles, r) {
		return r, nil
	}
	names := make([]string, len(Roles))
	for i, r := range Roles {
		names[i] = string(r)
	}
	return "", fmt.Errorf("unknown role %q: one of %s", s, strings.Join(names, ", "))
}

// Permission is one thing a role may be allowed to do.
type Permission string

// The permissions a role may hold.
const (
	ReadRequests    Permission = "requests:read"
	DraftRequests   Permission = "requests:draft"   // create a draft
	ActOnRequests   Permission = "requests:act"     // send, withdraw, acknowledge, execute, refuse...
	ManageUsers     Permission = "users:manage"     // add officials, create tokens
	RecordTreaty    Permission = "treaty:record"    // record signatures, instruments, declarations; import
	ReadAuditLog    Permission = "audit:read"       // read the audit log
	ManageProfiles  Permission = "states:manage"    // authorities, 24/7 contact, languages
	ManageRoster    Permission = "roster:manage"    // the on-call roster of the 24/7 network (art. 41)
	AddEvidence     Permission = "evidence:add"     // upload evidence to a request
	DisposeEvidence Permission = "evidence:dispose" // set an item's retention, dispose of it, read what expires (art. 36)
	// ManageRetention: set the State's retention period for evidence
	// that carries personal data (art. 36), a setting of the node.
	ManageRetention Permission = "retention:manage"
	// RevealPersonalData: read, for a reason that is logged and for a
	// limited time, the personal data a role sees only the marking of.
	RevealPersonalData Permission = "personal_data:reveal"
	// ReadAlerts and AckAlerts: an administrator holds them for the
	// alerts about the node itself only; the node decides which.
	ReadAlerts Permission = "alerts:read"
	AckAlerts  Permission = "alerts:ack"
	// ReadStatistics: the figures of the State's requests, counted and
	// timed, never their contents; every role reads them, the
	// administrator who reads no case included.
	ReadStatistics Permission = "statistics:read"
	// ScreenRequests: screen a request for human rights before it is
	// executed (arts. 6, 24, 40(22)); FlagStates: choose the States whose
	// every request is screened.
	ScreenRequests Permission = "requests:screen"
	FlagStates     Permission = "screening:flag"
	// ReadFunds: read fund-tracing cases, their records and traces;
	// TraceFunds: open cases, import records, trace (arts. 31, 40(3));
	// RecordRecovery: record freezing, confiscation and return of the
	// assets a trace found (arts. 49-52).
	ReadFunds      Permission = "funds:read"
	TraceFunds     Permission = "funds:trace"
	RecordRecovery Permission = "funds:recover"
)

var grants = map[Role][]Permission{
	Administrator:    {ManageUsers, RecordTreaty, ReadAuditLog, ManageProfiles, ManageRoster, ManageRetention, ReadAlerts, AckAlerts, ReadStatistics, FlagStates},
	CentralAuthority: {ReadRequests, DraftRequests, ActOnRequests, AddEvidence, DisposeEvidence, ReadAlerts, AckAlerts, ReadStatistics, ScreenRequests, ReadFunds, TraceFunds, RecordRecovery},
	TwentyFourSeven:  {ReadRequests, DraftRequests, ActOnRequests, AddEvidence, ReadAlerts, AckAlerts, ReadStatistics, ReadFunds, TraceFunds},
	Investigator:     {ReadRequests, DraftRequests, AddEvidence, ReadAlerts, ReadStatistics, ReadFunds, TraceFunds},
	Auditor:          {ReadRequests, ReadAuditLog, ReadAlerts, ReadStatistics, RevealPersonalData, ReadFunds},
}

// Can reports whether role r holds permission p. An unknown role holds
// nothing.
func (r Role) Can(p Permission) bool { return slices.Contains(grants[r], p) }

// User is an official of a State, known to this node.
type User struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	Email     string    `json:"email,omitempty"`
	State     string    `json:"state"`
	Role      Role      `json:"role"`
	CreatedAt time.Time `json:"created_at"`
	// DisabledAt is when the official was disabled, nil while they may
	// act. A disabled official's tokens and enrolment codes do not work.
	DisabledAt *time.Time `json:"disabled_at,omitempty"`
	// Unreadable says why the stored official could not be read, if it
	// could not: such an official is listed, but may not act.
	Unreadable string `json:"unreadable,omitempty"`
}

var userIDPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{1,63}$`)

// ValidateUserID checks a login name: 2-64 lower-case letters, digits,
// dots, dashes or underscores, starting with a letter or digit.
func ValidateUserID(id string) error {
	if !userIDPattern.MatchString(id) {
		return fmt.Errorf("user id %q: use 2-64 lower-case letters, digits, '.', '-' or '_'", id)
	}
	return nil
}

// TokenPrefix starts every API token, so that a leaked token is easy to
// recognise by secret scanners.
const TokenPrefix = "ent_"

// CodePrefix starts every enrolment code, so that a code is never taken
// for a token, nor a token for a code.
const CodePrefix = "enr_"

// DefaultTokenTTL is how long a token works unless the node is configured
// otherwise: long enough not to burden officials, short enough that a
// token forgotten on a lost laptop dies on its own.
const DefaultTokenTTL = 90 * 24 * time.Hour

// MinTokenTTL and MaxTokenTTL bound the lifetime a node may give tokens.
const (
	MinTokenTTL = time.Hour
	MaxTokenTTL = 366 * 24 * time.Hour
)

// CheckTokenTTL reports whether d is a lifetime a node may give tokens,
// with an error that gives the bounds.
func CheckTokenTTL(d time.Duration) error {
	if d < MinTokenTTL || d > MaxTokenTTL {
		return fmt.Errorf("token lifetime %s: give from 1h to %dh (366 days), e.g. 2160h for 90 days", d, int(MaxTokenTTL.Hours()))
	}
	return nil
}

// EnrolmentTTL is how long an enrolment code can be redeemed.
const EnrolmentTTL = 24 * time.Hour

// NewToken returns a fresh API token and the digest to store. The token
// carries 160 random bits, so a fast hash is enough: it cannot be guessed.
func NewToken() (token, digest string) { return newSecret(TokenPrefix) }

// NewEnrolmentCode returns a fresh one-time enrolment code and the digest
// to store. Like a token it carries 160 random bits.
func NewEnrolmentCode() (code, digest string) { return newSecret(CodePrefix) }

func newSecret(prefix string) (secret, digest string) {
	b := make([]byte, 20)
	rand.Read(b) // never returns an error (crypto/rand, Go 1.24+)
	secret = prefix + strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b))
	return secret, Digest(secret)
}

// ErrMalformedToken is returned for a string that cannot be a token.
var ErrMalformedToken = errors.New("malformed API token")

// ErrMalformedCode is returned for a string that cannot be an enrolment
// code.
var ErrMalformedCode = errors.New("malformed enrolment code")

// Digest returns the stored form of a token or code: hex SHA-256.
func Digest(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// ShortID returns the public identifier of a token or code from its
// digest: its first 16 hex digits. It names the secret in lists, audit
// records and revocations, and reveals nothing of it.
func ShortID(digest string) string {
	if len(digest) < 16 {
		return digest
	}
	return digest[:16]
}

// CheckTokenForm rejects strings that cannot be tokens before any lookup.
func CheckTokenForm(token string) error {
	if !strings.HasPrefix(token, TokenPrefix) || len(token) != len(TokenPrefix)+32 {
		return ErrMalformedToken
	}
	return nil
}

// CheckCodeForm rejects strings that cannot be enrolment codes before any
// lookup.
func CheckCodeForm(code string) error {
	if !strings.HasPrefix(code, CodePrefix) || len(code) != len(CodePrefix)+32 {
		return ErrMalformedCode
	}
	return nil
}

// Token is what a node shows of an API token: never the secret.
type Token struct {
	ID        string    `json:"id"` // see ShortID
	User      string    `json:"user"`
	Label     string    `json:"label"`
	CreatedAt time.Time `json:"created_at"`
	ExpiresAt time.Time `json:"expires_at"`
	// IssuedBy is the administrator who issued the enrolment code the
	// token was made with: an official who sees a token they did not make
	// knows who to ask, and revokes it.
	IssuedBy string `json:"issued_by,omitempty"`
	// LastUsedAt is when the token last authenticated a call, to the
	// minute: a node records a use at most once a minute.
	LastUsedAt *time.Time `json:"last_used_at,omitempty"`
	RevokedAt  *time.Time `json:"revoked_at,omitempty"`
	// Unreadable says why the stored token could not be read, if it
	// could not: such a token is listed, so that it can be revoked.
	Unreadable string `json:"unreadable,omitempty"`
}

// Active reports whether t may authenticate at now: not revoked and not
// expired.
func (t Token) Active(now time.Time) bool { return t.RevokedAt == nil && now.Before(t.ExpiresAt) }

// Enrolment is a one-time code an administrator issued for an official,
// which the official redeems for a token of their own.
type Enrolment struct {
	ID        string    `json:"id"` // see ShortID
	User      string    `json:"user"`
	State     string    `json:"state"`
	Code      string    `json:"code,omitempty"` // only in the answer that issues it
	IssuedBy  string    `json:"issued_by"`
	CreatedAt time.Time `json:"created_at"`
	ExpiresAt time.Time `json:"expires_at"`
	// UsedAt is when the code was redeemed; nil until then.
	UsedAt *time.Time `json:"used_at,omitempty"`
}
