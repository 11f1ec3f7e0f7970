package tlog

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"fmt"

	"github.com/transparency-dev/formats/log"
	"golang.org/x/mod/sumdb/note"
)

// MaxCheckpointSize bounds a signed checkpoint read from outside: its
// three lines, and room for the signatures of many witnesses.
const MaxCheckpointSize = 16 << 10

// Checkpoint is a log's signed statement of its size and root.
type Checkpoint struct {
	Origin string
	Size   int64
	Root   Hash
}

// Signer signs checkpoints of one log with an Ed25519 key, under the
// log's origin as the key name.
type Signer struct {
	origin string
	key    ed25519.PrivateKey
	hash   uint32
}

// NewSigner returns a signer of the log origin with key. It returns an
// error if origin is not a valid key name (empty, with a space or a '+').
func NewSigner(origin string, key ed25519.PrivateKey) (*Signer, error) {
	vkey, err := VerifierKey(origin, key.Public().(ed25519.PublicKey))
	if err != nil {
		return nil, err
	}
	v, err := note.NewVerifier(vkey)
	if err != nil {
		return nil, fmt.Errorf("log key %s: %w", origin, err)
	}
	return &Signer{origin: origin, key: key, hash: v.KeyHash()}, nil
}

// Name returns the key name, the log's origin.
func (s *Signer) Name() string { return s.origin }

// KeyHash returns the signed-note key hash of the key.
func (s *Signer) KeyHash() uint32 { return s.hash }

// Sign signs msg with the key.
func (s *Signer) Sign(msg []byte) ([]byte, error) { return ed25519.Sign(s.key, msg), nil }

// VerifierKey returns the signed-note verifier key (vkey) of a log's
// checkpoints: "origin+hash+base64", which a court or a witness is given
// to check them.
func VerifierKey(origin string, key ed25519.PublicKey) (string, error) {
	vkey, err := note.NewEd25519VerifierKey(origin, key)
	if err != nil {
		return "", fmt.Errorf("log key for origin %q: %w", origin, err)
	}
	return vkey, nil
}

// Sign returns c as a signed note: the C2SP checkpoint body (origin,
// size, base64 root, each on a line) and the signer's signature line.
func (s *Signer) SignCheckpoint(c Checkpoint) ([]byte, error) {
	if c.Origin != s.origin {
		return nil, fmt.Errorf("checkpoint of %q signed by the key of %q", c.Origin, s.origin)
	}
	body := log.Checkpoint{Origin: c.Origin, Size: uint64(c.Size), Hash: c.Root[:]}.Marshal()
	return note.Sign(&note.Note{Text: string(body)}, s)
}

// ErrCheckpoint is wrapped by every error of ParseCheckpoint.
var ErrCheckpoint = errors.New("bad checkpoint")

// ParseCheckpoint reads a signed checkpoint of the log whose verifier key
// is vkey, and returns it with the note, whose Sigs include any witness
// signature by others that it could check. It refuses a note of more
// than MaxCheckpointSize bytes, one without a valid signature of vkey, a
// body that is not a checkpoint of vkey's origin, a size that does not
// fit an int64 and a root that is not 32 bytes.
func ParseCheckpoint(signed []byte, vkey string, others ...note.Verifier) (Checkpoint, *note.Note, error) {
	v, err := note.NewVerifier(vkey)
	if err != nil {
		return Checkpoint{}, nil, fmt.Errorf("%w: the log's verifier key: %v", ErrCheckpoint, err)
	}
	return OpenCheckpoint(signed, v, others...)
}

// OpenCheckpoint is ParseCheckpoint with the log's verifier already made;
// the log's origin is the verifier's name.
func OpenCheckpoint(signed []byte, v note.Verifier, others ...note.Verifier) (Checkpoint, *note.Note, error) {
	if len(signed) > MaxCheckpointSize {
		return Checkpoint{}, nil, fmt.Errorf("%w: %d bytes, more than %d", ErrCheckpoint, len(signed), MaxCheckpointSize)
	}
	cp, extra, n, err := log.ParseCheckpoint(signed, v.Name(), v, others...)
	if err != nil {
		// Both wrapped: a caller tells the note's own errors (an
		// unverified note, an invalid signature) apart.
		return Checkpoint{}, nil, fmt.Errorf("%w: %w", ErrCheckpoint, err)
	}
	if len(extra) > 0 {
		return Checkpoint{}, nil, fmt.Errorf("%w: extension lines after the root are not read by this log", ErrCheckpoint)
	}
	if cp.Size > 1<<62 {
		return Checkpoint{}, nil, fmt.Errorf("%w: size %d is too large", ErrCheckpoint, cp.Size)
	}
	if len(cp.Hash) != HashSize {
		return Checkpoint{}, nil, fmt.Errorf("%w: root of %d bytes, want %d", ErrCheckpoint, len(cp.Hash), HashSize)
	}
	var root Hash
	copy(root[:], cp.Hash)
	// The body must be exactly what this log writes, so that a note
	// accepted here is byte for byte one the log signed in this form.
	want := log.Checkpoint{Origin: cp.Origin, Size: cp.Size, Hash: cp.Hash}.Marshal()
	if !bytes.Equal([]byte(n.Text), want) {
		return Checkpoint{}, nil, fmt.Errorf("%w: the body is not in canonical form", ErrCheckpoint)
	}
	return Checkpoint{Origin: cp.Origin, Size: int64(cp.Size), Root: root}, n, nil
}

// HashSize is the size of a hash of the tree.
const HashSize = 32
