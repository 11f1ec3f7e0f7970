package federation

import (
	"bytes"
	"crypto/ecdh"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"time"

	"golang.org/x/mod/sumdb/note"

	"entraide/internal/convention"
	"entraide/internal/directory"
	"entraide/internal/tlog"
)

// MaxDescriptorBytes bounds a node descriptor.
const MaxDescriptorBytes = 64 << 10

// MaxKeys bounds the signing keys a descriptor lists, old ones included.
const MaxKeys = 32

// PublicKey is a public signing key and the period in which messages
// created with it are accepted. Old keys stay listed after a rotation, so
// that messages signed before it still verify.
type PublicKey struct {
	ID         string    `json:"id"`
	Key        []byte    `json:"key"`
	ValidFrom  time.Time `json:"valid_from"`
	ValidUntil time.Time `json:"valid_until,omitzero"` // zero: the current key
}

// ValidAt reports whether k signed messages created at t.
func (k PublicKey) ValidAt(t time.Time) bool {
	return !t.Before(k.ValidFrom.Add(-time.Hour)) && (k.ValidUntil.IsZero() || t.Before(k.ValidUntil))
}

// Descriptor is what a node publishes about itself so that other nodes
// can reach it and check its messages: signed by every key it lists as
// current, so that a peer that knows an older key can accept the newer.
type Descriptor struct {
	V             int               `json:"v"`
	State         string            `json:"state"`
	BaseURL       string            `json:"base_url"`
	SigningKeys   []PublicKey       `json:"signing_keys"`
	EncryptionKey EncryptionPublic  `json:"encryption_key"`
	Contact247    directory.Contact `json:"contact_24_7"`
	// Log names the node's audit log and the key its checkpoints are
	// signed with, for the peers that witness it and the courts that
	// check its proofs.
	Log *LogKey `json:"log,omitempty"`
	// Witness names the node's witness, which cosigns its peers'
	// checkpoints (C2SP tlog-witness at base_url + /witness/add-checkpoint),
	// and its cosignature/v1 verifier key.
	Witness    *WitnessKey    `json:"witness,omitempty"`
	ValidFrom  time.Time      `json:"valid_from"`
	ValidUntil time.Time      `json:"valid_until"`
	Signatures []KeySignature `json:"signatures"`
}

// LogKey is a node's Merkle log: its origin, and the signed-note
// verifier key of its checkpoints, whose key name is the origin.
type LogKey struct {
	Origin      string `json:"origin"`
	VerifierKey string `json:"verifier_key"`
}

// check refuses a verifier key that is not an Ed25519 signed-note key
// of the origin, or whose key is not the descriptor's current signing
// key: the log's checkpoints are signed by the node's key.
func (l LogKey) check(current ed25519.PublicKey) error {
	v, err := note.NewVerifier(l.VerifierKey)
	if err != nil {
		return fmt.Errorf("log.verifier_key: %v", err)
	}
	if v.Name() != l.Origin {
		return fmt.Errorf("log.verifier_key: it is the key of %q, not of the log's origin %q", v.Name(), l.Origin)
	}
	if want, err := note.NewEd25519VerifierKey(l.Origin, current); err != nil || want != l.VerifierKey {
		return fmt.Errorf("log.verifier_key: it is not the descriptor's current signing key")
	}
	return nil
}

// WitnessKey is a node's witness: its name and its cosignature/v1
// verifier key.
type WitnessKey struct {
	Name        string `json:"name"`
	VerifierKey string `json:"verifier_key"`
}

func (w WitnessKey) check() error {
	v, err := tlog.CosignatureVerifier(w.VerifierKey)
	if err != nil {
		return fmt.Errorf("witness.verifier_key: %v", err)
	}
	if v.Name() != w.Name {
		return fmt.Errorf("witness.verifier_key: it is the key of %q, not of the witness %q", v.Name(), w.Name)
	}
	return nil
}

// EncryptionPublic is a node's public X25519 key.
type EncryptionPublic struct {
	ID  string `json:"id"`
	Key []byte `json:"key"`
}

// KeySignature is a signature by one of the descriptor's keys.
type KeySignature struct {
	KeyID     string `json:"key_id"`
	Signature []byte `json:"signature"`
}

func (d *Descriptor) signedBytes() []byte {
	c := *d
	c.Signatures = nil
	b, _ := json.Marshal(c)
	return append([]byte("entraide descriptor v1\n"), b...)
}

// Sign signs d with keys, replacing any earlier signatures.
func (d *Descriptor) Sign(keys ...SigningKey) {
	d.Signatures = nil
	msg := d.signedBytes()
	for _, k := range keys {
		d.Signatures = append(d.Signatures, KeySignature{KeyID: k.ID, Signature: ed25519.Sign(k.Private, msg)})
	}
}

// Key returns the signing key id.
func (d *Descriptor) Key(id string) (PublicKey, bool) {
	for _, k := range d.SigningKeys {
		if k.ID == id {
			return k, true
		}
	}
	return PublicKey{}, false
}

// SignedBy reports whether d carries a valid signature by key id, one of
// its own keys or, with trusted, a key from an earlier descriptor.
func (d *Descriptor) SignedBy(id string, pub ed25519.PublicKey) bool {
	msg := d.signedBytes()
	for _, s := range d.Signatures {
		if s.KeyID == id && ed25519.Verify(pub, msg, s.Signature) {
			return true
		}
	}
	return false
}

// EncryptionPublicKey returns the X25519 key to encrypt to.
func (d *Descriptor) EncryptionPublicKey() (*ecdh.PublicKey, error) {
	return ecdh.X25519().NewPublicKey(d.EncryptionKey.Key)
}

// ParseDescriptor reads a descriptor strictly and checks that it is
// self-consistent and signed by each of its current keys. It does not
// decide whether to trust it: that is the operator's choice on first
// contact, and the previous descriptor's keys' afterwards (Supersedes).
func ParseDescriptor(r io.Reader, now time.Time) (*Descriptor, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxDescriptorBytes+1))
	if err != nil {
		return nil, err
	}
	if len(data) > MaxDescriptorBytes {
		return nil, fmt.Errorf("descriptor larger than %d bytes", MaxDescriptorBytes)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var d Descriptor
	if err := dec.Decode(&d); err != nil {
		return nil, fmt.Errorf("not a node descriptor: %v", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("data after the descriptor")
	}
	if err := d.checkTimes(); err != nil {
		return nil, err
	}
	switch {
	case d.V != Version:
		return nil, fmt.Errorf("descriptor version %d; this node reads %d", d.V, Version)
	case !stateCode.MatchString(d.State):
		return nil, fmt.Errorf("state: want an ISO 3166-1 alpha-3 code")
	case len(d.SigningKeys) == 0 || len(d.SigningKeys) > MaxKeys:
		return nil, fmt.Errorf("signing_keys: want 1 to %d keys", MaxKeys)
	case len(d.Signatures) == 0 || len(d.Signatures) > MaxKeys:
		return nil, fmt.Errorf("signatures: want 1 to %d", MaxKeys)
	case !d.ValidUntil.After(d.ValidFrom):
		return nil, fmt.Errorf("valid_until must be after valid_from")
	case now.After(d.ValidUntil):
		return nil, fmt.Errorf("descriptor of %s expired on %s", d.State, d.ValidUntil.Format(time.DateOnly))
	}
	if _, ok := directory.LookupParticipant(d.State); !ok {
		return nil, fmt.Errorf("state: %q is not a participant", d.State)
	}
	if err := CheckBaseURL(d.BaseURL); err != nil {
		return nil, fmt.Errorf("base_url: %v", err)
	}
	if len(d.EncryptionKey.Key) != 32 || d.EncryptionKey.ID != KeyID(d.EncryptionKey.Key) {
		return nil, fmt.Errorf("encryption_key: want a 32-byte X25519 key and its id")
	}
	if _, err := d.EncryptionPublicKey(); err != nil {
		return nil, fmt.Errorf("encryption_key: %v", err)
	}
	current := 0
	var currentKey ed25519.PublicKey
	for i, k := range d.SigningKeys {
		if len(k.Key) != ed25519.PublicKeySize || k.ID != KeyID(k.Key) {
			return nil, fmt.Errorf("signing_keys[%d]: want a 32-byte Ed25519 key and its id", i)
		}
		if k.ValidUntil.IsZero() {
			current++
			currentKey = k.Key
			if !d.SignedBy(k.ID, ed25519.PublicKey(k.Key)) {
				return nil, fmt.Errorf("descriptor is not signed by its current key %s", k.ID)
			}
		}
	}
	if current != 1 {
		return nil, fmt.Errorf("signing_keys: want exactly one current key (without valid_until), got %d", current)
	}
	if d.Log != nil {
		if err := d.Log.check(currentKey); err != nil {
			return nil, err
		}
	}
	if d.Witness != nil {
		if err := d.Witness.check(); err != nil {
			return nil, err
		}
	}
	return &d, nil
}

// checkTimes refuses a descriptor with a time outside the years a node
// stores. It leaves the times as signed: the signature covers them as
// written, offsets included.
func (d *Descriptor) checkTimes() error {
	check := func(field string, t time.Time) error {
		_, err := convention.CheckTime(field, t)
		return err
	}
	if err := check("valid_from", d.ValidFrom); err != nil {
		return err
	}
	if err := check("valid_until", d.ValidUntil); err != nil {
		return err
	}
	for i, k := range d.SigningKeys {
		if err := check(fmt.Sprintf("signing_keys[%d].valid_from", i), k.ValidFrom); err != nil {
			return err
		}
		if err := check(fmt.Sprintf("signing_keys[%d].valid_until", i), k.ValidUntil); err != nil {
			return err
		}
	}
	return nil
}

// CheckBaseURL accepts the address of a node: an absolute https:// URL
// with a host, and no credentials, query or fragment. Envelopes are
// signed and encrypted, but their headers and the receipts that answer
// them are not, and a node's address is where its officials' trust goes:
// plain http:// is refused.
func CheckBaseURL(s string) error {
	u, err := url.Parse(s)
	switch {
	case err != nil || u.Host == "" || u.Opaque != "":
		return fmt.Errorf("%q is not an absolute URL; want an https:// address such as https://entraide.justice.example", clipURL(s))
	case u.Scheme != "https":
		return fmt.Errorf("%q: want an https:// address; nodes never talk in clear", clipURL(s))
	case u.User != nil || u.RawQuery != "" || u.Fragment != "":
		return fmt.Errorf("%q: want an https:// address without credentials, query or fragment", clipURL(s))
	}
	return nil
}

func clipURL(s string) string {
	if len(s) > 100 {
		return s[:100] + "..."
	}
	return s
}

// Supersedes reports whether d may replace old: same State, and signed by
// the key old lists as current, so that only the holder of that key can
// move a peer to new ones. A retired key does not count: it may have been
// retired because it leaked, and it signed the descriptors that the
// rotation replaced, which must not be accepted back.
func (d *Descriptor) Supersedes(old *Descriptor) error {
	if d.State != old.State {
		return fmt.Errorf("descriptor is for %s, not %s", d.State, old.State)
	}
	for _, k := range old.SigningKeys {
		if k.ValidUntil.IsZero() && d.SignedBy(k.ID, ed25519.PublicKey(k.Key)) {
			return nil
		}
	}
	return fmt.Errorf("descriptor of %s is not signed by the current key this node knows for it", d.State)
}
