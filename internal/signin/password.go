// Package signin holds what an official signs in to the web UI with: a
// password kept as an argon2id PHC string, a TOTP second factor, the
// lockout after failures, and sessions. It does no I/O: store keeps its
// records and ui runs the sign-in.
package signin

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"
)

// The argon2id parameters of new hashes: OWASP's first recommendation
// (19 MiB, 2 passes, 1 lane), within RFC 9106's bounds. A node on two
// cores signs an official in within tens of milliseconds, and an attacker
// holding the hashes pays 19 MiB per guess.
const (
	argonMemory  = 19 * 1024 // KiB
	argonTime    = 2
	argonThreads = 1
	saltLen      = 16
	keyLen       = 32
)

// Limits on what a stored hash may ask for, so that a corrupt or hostile
// row cannot make a sign-in allocate gigabytes or loop for minutes.
const (
	maxMemory  = 256 * 1024 // KiB
	maxTime    = 10
	maxThreads = 16
)

// Password rules: long enough to resist guessing offline, bounded so that
// hashing one costs a known amount. NIST SP 800-63B asks for at least 8
// and lets a verifier ask for more; officials handling case data get 12.
const (
	MinPasswordLength = 12
	MaxPasswordLength = 256
)

// ErrBadHash is returned for a stored string that is no argon2id PHC
// string this package can check.
var ErrBadHash = errors.New("not an argon2id PHC string")

var b64 = base64.RawStdEncoding

// CheckPassword returns what is wrong with password as a new password,
// for the official to read, or "" when it will do.
func CheckPassword(password string) string {
	n := utf8.RuneCountInString(password)
	switch {
	case !utf8.ValidString(password):
		return "the password is not valid text"
	case n < MinPasswordLength:
		return fmt.Sprintf("the password has %d characters; choose one of at least %d (a few unrelated words make a good one)", n, MinPasswordLength)
	case n > MaxPasswordLength:
		return fmt.Sprintf("the password has %d characters; choose one of at most %d", n, MaxPasswordLength)
	}
	return ""
}

// HashPassword returns the PHC string of password with a fresh salt:
// $argon2id$v=19$m=19456,t=2,p=1$salt$hash.
func HashPassword(password string) string {
	salt := make([]byte, saltLen)
	rand.Read(salt) // never returns an error (crypto/rand, Go 1.24+)
	key := argon2.IDKey([]byte(password), salt, argonTime, argonMemory, argonThreads, keyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime, argonThreads, b64.EncodeToString(salt), b64.EncodeToString(key))
}

// phc is a parsed argon2id PHC string.
type phc struct {
	memory    uint32
	time      uint32
	threads   uint8
	salt, key []byte
}

// parsePHC reads an argon2id PHC string strictly: the version this
// package hashes with, each parameter once and in order, within the
// limits, and salt and hash of sensible sizes. Anything else is
// ErrBadHash.
func parsePHC(s string) (phc, error) {
	var p phc
	parts := strings.Split(s, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" || parts[2] != "v="+strconv.Itoa(argon2.Version) {
		return p, ErrBadHash
	}
	params := strings.Split(parts[3], ",")
	if len(params) != 3 {
		return p, ErrBadHash
	}
	var vals [3]uint64
	for i, name := range []string{"m=", "t=", "p="} {
		v, ok := strings.CutPrefix(params[i], name)
		if !ok || v == "" || (len(v) > 1 && v[0] == '0') {
			return p, ErrBadHash
		}
		n, err := strconv.ParseUint(v, 10, 32)
		if err != nil {
			return p, ErrBadHash
		}
		vals[i] = n
	}
	if vals[0] < 8 || vals[0] > maxMemory || vals[1] < 1 || vals[1] > maxTime || vals[2] < 1 || vals[2] > maxThreads || vals[0] < 8*vals[2] {
		return p, ErrBadHash
	}
	p.memory, p.time, p.threads = uint32(vals[0]), uint32(vals[1]), uint8(vals[2])
	var err error
	if p.salt, err = b64.Strict().DecodeString(parts[4]); err != nil || len(p.salt) < 8 || len(p.salt) > 64 {
		return p, ErrBadHash
	}
	if p.key, err = b64.Strict().DecodeString(parts[5]); err != nil || len(p.key) < 16 || len(p.key) > 64 {
		return p, ErrBadHash
	}
	return p, nil
}

// VerifyPassword reports whether password is the one hash was made from,
// comparing in constant time. A hash that cannot be read is ErrBadHash;
// a password longer than MaxPasswordLength never matches.
func VerifyPassword(hash, password string) (bool, error) {
	p, err := parsePHC(hash)
	if err != nil {
		return false, err
	}
	if len(password) > 4*MaxPasswordLength {
		return false, nil
	}
	key := argon2.IDKey([]byte(password), p.salt, p.time, p.memory, p.threads, uint32(len(p.key)))
	return subtle.ConstantTimeCompare(key, p.key) == 1, nil
}
