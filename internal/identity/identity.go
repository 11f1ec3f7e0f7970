// Package identity knows the officials of a node, their roles, what each
// role may do, and the API tokens that stand for them. Tokens are random
// secrets shown once at creation; only their SHA-256 digest is kept.
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
	ReadRequests   Permission = "requests:read"
	DraftRequests  Permission = "requests:draft" // create a draft
	ActOnRequests  Permission = "requests:act"   // send, withdraw, acknowledge, execute, refuse...
	ManageUsers    Permission = "users:manage"   // add officials, create tokens
	RecordTreaty   Permission = "treaty:record"  // record signatures, instruments, declarations; import
	ReadAuditLog   Permission = "audit:read"     // read the audit log
	ManageProfiles Permission = "states:manage"  // authorities, 24/7 contact, languages
	ManageRoster   Permission = "roster:manage"  // the on-call roster of the 24/7 network (art. 41)
)

var grants = map[Role][]Permission{
	Administrator:    {ManageUsers, RecordTreaty, ReadAuditLog, ManageProfiles, ManageRoster},
	CentralAuthority: {ReadRequests, DraftRequests, ActOnRequests},
	TwentyFourSeven:  {ReadRequests, DraftRequests, ActOnRequests},
	Investigator:     {ReadRequests, DraftRequests},
	Auditor:          {ReadRequests, ReadAuditLog},
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

// NewToken returns a fresh API token and the digest to store. The token
// carries 160 random bits, so a fast hash is enough: it cannot be guessed.
func NewToken() (token, digest string) {
	b := make([]byte, 20)
	rand.Read(b) // never returns an error (crypto/rand, Go 1.24+)
	token = TokenPrefix + strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b))
	return token, Digest(token)
}

// ErrMalformedToken is returned for a string that cannot be a token.
var ErrMalformedToken = errors.New("malformed API token")

// Digest returns the stored form of a token: hex SHA-256.
func Digest(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// CheckTokenForm rejects strings that cannot be tokens before any lookup.
func CheckTokenForm(token string) error {
	if !strings.HasPrefix(token, TokenPrefix) || len(token) != len(TokenPrefix)+32 {
		return ErrMalformedToken
	}
	return nil
}
