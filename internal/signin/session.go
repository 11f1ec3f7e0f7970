package signin

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"time"
)

// Lockout: after MaxFailures failed sign-ins in a row, an official's
// account refuses every sign-in for LockoutPeriod, whatever is typed.
const (
	MaxFailures   = 5
	LockoutPeriod = 15 * time.Minute
)

// SessionTTL is how long a session lasts from sign-in: a working day.
const SessionTTL = 12 * time.Hour

// Credential is what an official signs in with, as stored.
type Credential struct {
	User         string
	State        string
	PasswordHash string // PHC string
	TOTPSecret   string
	// TOTPLastStep is the last time step a code was accepted for.
	TOTPLastStep int64
	Failures     int
	LockedUntil  time.Time
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// Locked reports whether c refuses sign-ins at now.
func (c Credential) Locked(now time.Time) bool { return now.Before(c.LockedUntil) }

// Failed returns c after one more failed sign-in at now: locked for
// LockoutPeriod when the failures reach MaxFailures.
func (c Credential) Failed(now time.Time) Credential {
	c.Failures++
	if c.Failures >= MaxFailures {
		c.LockedUntil = now.Add(LockoutPeriod)
		c.Failures = 0
	}
	c.UpdatedAt = now
	return c
}

// Session is a signed-in official's session, as stored: never its secret.
type Session struct {
	ID        string // the digest's first 16 hex digits, for audit records
	User      string
	State     string
	CreatedAt time.Time
	ExpiresAt time.Time
	EndedAt   *time.Time
}

// Active reports whether s lets its official in at now.
func (s Session) Active(now time.Time) bool { return s.EndedAt == nil && now.Before(s.ExpiresAt) }

// NewSessionSecret returns a fresh session secret for the cookie (256
// random bits) and the digest to store.
func NewSessionSecret() (secret, digest string) {
	b := make([]byte, 32)
	rand.Read(b) // never returns an error (crypto/rand, Go 1.24+)
	secret = base64.RawURLEncoding.EncodeToString(b)
	return secret, SessionDigest(secret)
}

// SessionDigest is the digest stored for a session secret.
func SessionDigest(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}
