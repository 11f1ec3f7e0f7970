// Package tlog makes the node's audit records the leaves of an
// append-only Merkle tree with RFC 6962 hashing, signs checkpoints of it
// in the C2SP signed-note format, and reads and writes what the C2SP
// tlog-tiles protocol serves: hash tiles and entry bundles.
//
// A leaf holds no case contents: its entry is a fixed prefix and the
// SHA-256 of the record's canonical bytes (see Entry), so that a peer or
// a witness that reads the whole log learns nothing of a State's cases,
// while whoever holds a record can prove it is in the log.
//
// The hashing and the proofs are those of golang.org/x/mod/sumdb/tlog;
// checkpoints are those of github.com/transparency-dev/formats/log, signed
// with golang.org/x/mod/sumdb/note. This package holds no storage: the
// store keeps the hashes and leaves, through the HashReader it is given.
package tlog

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/mod/sumdb/tlog"
)

// EntryPrefix begins every entry: it names what the hash that follows
// is of, and the version of this form.
const EntryPrefix = "entraide/audit/v1 "

// EntrySize is the size of every entry: the prefix and 64 hex digits.
const EntrySize = len(EntryPrefix) + 2*sha256.Size

// Entry returns the log entry of an audit record: EntryPrefix followed
// by the lowercase hex SHA-256 of the record's canonical bytes, with no
// trailing newline. The leaf hash is RFC 6962's over these bytes.
func Entry(canonical []byte) []byte {
	sum := sha256.Sum256(canonical)
	return EntryOf(sum)
}

// EntryOf returns the entry of a record whose canonical bytes have the
// SHA-256 sum.
func EntryOf(sum [sha256.Size]byte) []byte {
	out := make([]byte, 0, EntrySize)
	out = append(out, EntryPrefix...)
	return hex.AppendEncode(out, sum[:])
}

// ParseEntry returns the SHA-256 an entry names, or an error if the bytes
// are not an entry of this form.
func ParseEntry(entry []byte) ([sha256.Size]byte, error) {
	var sum [sha256.Size]byte
	s := string(entry)
	if len(s) != EntrySize || !strings.HasPrefix(s, EntryPrefix) {
		return sum, fmt.Errorf("log entry of %d bytes is not %q and 64 hex digits", len(entry), EntryPrefix)
	}
	digits := s[len(EntryPrefix):]
	if strings.ToLower(digits) != digits {
		return sum, errors.New("log entry: the hash is not in lowercase hex")
	}
	if _, err := hex.Decode(sum[:], []byte(digits)); err != nil {
		return sum, fmt.Errorf("log entry: the hash is not hex: %w", err)
	}
	return sum, nil
}

// Hash is a node of the tree: a leaf hash, an interior hash or a root.
type Hash = tlog.Hash

// HashReader reads stored hashes by their index (see StoredHashIndex);
// the store implements it over its table of hashes.
type HashReader = tlog.HashReader

// LeafHash returns the RFC 6962 leaf hash of an entry:
// SHA-256(0x00 || entry).
func LeafHash(entry []byte) Hash { return tlog.RecordHash(entry) }

// EmptyRoot is the root of the empty tree: SHA-256 of nothing.
var EmptyRoot = Hash(sha256.Sum256(nil))

// Origin returns the origin line of the log of the node of home whose
// signing key was key when the log began: "entraide/audit/" + home + "/"
// + the first 8 bytes, in hex, of the key's SHA-256. It stays the same
// when the node rotates its keys, as the store keeps the origin the log
// began with; it differs between any two logs, as two nodes have two
// keys.
func Origin(home string, key ed25519.PublicKey) string {
	sum := sha256.Sum256(key)
	return "entraide/audit/" + home + "/" + hex.EncodeToString(sum[:8])
}
