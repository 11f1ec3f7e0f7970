// Package federation carries messages between the nodes of different
// States: envelopes signed by the sender's Ed25519 key and encrypted to the
// recipient's X25519 key with HPKE (RFC 9180), and the signed receipts that
// acknowledge them. It performs no I/O; the node stores and delivers.
package federation

import (
	"bytes"
	"crypto/ecdh"
	"crypto/ed25519"
	"crypto/hpke"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"regexp"
	"time"

	"entraide/internal/convention"
)

// Version is the envelope format this package writes and reads.
const Version = 1

// Limits on an envelope, so that a peer cannot exhaust a node.
const (
	MaxEnvelopeBytes = 4 << 20
	MaxPayloadBytes  = 3 << 20
)

// Envelope is a message from one node to another. Everything but the
// payload is in clear, so that the recipient can check who sent it and
// whether it is fresh before it decrypts anything; the signature covers
// all of it.
type Envelope struct {
	V            int       `json:"v"`
	ID           string    `json:"id"`
	Sender       string    `json:"sender"`
	Recipient    string    `json:"recipient"`
	Created      time.Time `json:"created"`
	Type         string    `json:"type"`
	SenderKey    string    `json:"sender_key"`    // id of the signing key
	RecipientKey string    `json:"recipient_key"` // id of the encryption key
	Payload      []byte    `json:"payload"`       // HPKE ciphertext
	Signature    []byte    `json:"signature"`
}

// Reason codes for refused envelopes and receipts.
const (
	ReasonMalformed     = "malformed"
	ReasonVersion       = "unsupported_version"
	ReasonUnknownPeer   = "unknown_sender"
	ReasonUnknownKey    = "unknown_key"
	ReasonBadSignature  = "bad_signature"
	ReasonNotForUs      = "wrong_recipient"
	ReasonStale         = "stale"
	ReasonFuture        = "from_the_future"
	ReasonReplay        = "replay"
	ReasonUndecryptable = "undecryptable"
	ReasonTooLarge      = "too_large"
)

// Error is a refused envelope: a reason code a peer can act on, and a
// message for a person.
type Error struct {
	Reason string
	Msg    string
	// Field names what was refused in the sender's JSON, when it is a
	// field of a batch ("envelopes[3]", "request_ids"); "" is the
	// envelope, or the batch, as a whole.
	Field string
}

func (e *Error) Error() string { return e.Reason + ": " + e.Msg }

// undecodable refuses a body encoding/json would not decode as what
// ("a batch", "an envelope"), naming the field in the sender's terms
// rather than this node's Go types.
func undecodable(what string, err error) *Error {
	if typ, ok := errors.AsType[*json.UnmarshalTypeError](err); ok && typ.Field != "" {
		fe := refuse(ReasonMalformed, "not %s: %s: expected %s, got JSON %s", what, typ.Field, jsonKind(typ.Type.Kind()), typ.Value)
		fe.Field = typ.Field
		return fe
	}
	return refuse(ReasonMalformed, "not %s: %v", what, err)
}

// jsonKind names what JSON value a Go kind is read from.
func jsonKind(k reflect.Kind) string {
	switch k {
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Struct, reflect.Map, reflect.Pointer:
		return "an object"
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	default:
		return "a number"
	}
}

func refuse(reason, format string, args ...any) *Error {
	return &Error{Reason: reason, Msg: fmt.Sprintf(format, args...)}
}

var (
	stateCode = regexp.MustCompile(`^[A-Z]{3}$`)
	messageID = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)
	typeName  = regexp.MustCompile(`^[a-z][a-z0-9_.]{0,63}$`)
	keyID     = regexp.MustCompile(`^[0-9a-f]{16}$`)
)

// header is the part of an envelope that is signed and bound to the
// ciphertext, in a fixed order.
type header struct {
	V            int    `json:"v"`
	ID           string `json:"id"`
	Sender       string `json:"sender"`
	Recipient    string `json:"recipient"`
	Created      string `json:"created"`
	Type         string `json:"type"`
	SenderKey    string `json:"sender_key"`
	RecipientKey string `json:"recipient_key"`
}

// TimeFormat is how envelopes write times.
const TimeFormat = "2006-01-02T15:04:05.000000Z"

func (e *Envelope) header() []byte {
	b, _ := json.Marshal(header{e.V, e.ID, e.Sender, e.Recipient, e.Created.UTC().Format(TimeFormat), e.Type, e.SenderKey, e.RecipientKey})
	return b
}

// signedBytes is what the sender signs: a context string, so that a
// signature over an envelope can never be taken for another kind of
// signature, the header and the digest of the payload.
func (e *Envelope) signedBytes() []byte {
	sum := sha256.Sum256(e.Payload)
	var b bytes.Buffer
	b.WriteString("entraide envelope v1\n")
	b.Write(e.header())
	b.WriteByte('\n')
	b.Write(sum[:])
	return b.Bytes()
}

// The HPKE suite: DHKEM(X25519, HKDF-SHA256), HKDF-SHA256,
// ChaCha20-Poly1305 (RFC 9180 section 7), fixed by Version.
var (
	hpkeKDF  = hpke.HKDFSHA256()
	hpkeAEAD = hpke.ChaCha20Poly1305()
)

// SigningKey is a node's Ed25519 key with its id.
type SigningKey struct {
	ID      string
	Private ed25519.PrivateKey
}

// EncryptionKey is a node's X25519 key with its id.
type EncryptionKey struct {
	ID      string
	Private *ecdh.PrivateKey
}

// KeyID names a public key: the first 8 bytes of its SHA-256, in hex.
func KeyID(public []byte) string {
	sum := sha256.Sum256(public)
	return hex.EncodeToString(sum[:8])
}

// Seal makes an envelope carrying payload from sender to recipient,
// encrypted to recipientKey and signed with key.
func Seal(key SigningKey, sender, recipient string, recipientKey *ecdh.PublicKey, id, typ string, created time.Time, payload []byte) (*Envelope, error) {
	if len(payload) > MaxPayloadBytes {
		return nil, refuse(ReasonTooLarge, "payload of %d bytes, at most %d", len(payload), MaxPayloadBytes)
	}
	e := &Envelope{V: Version, ID: id, Sender: sender, Recipient: recipient, Created: created.UTC().Truncate(time.Microsecond),
		Type: typ, SenderKey: key.ID, RecipientKey: KeyID(recipientKey.Bytes())}
	if err := e.checkForm(); err != nil {
		return nil, err
	}
	pk, err := hpke.NewDHKEMPublicKey(recipientKey)
	if err != nil {
		return nil, err
	}
	e.Payload, err = hpke.Seal(pk, hpkeKDF, hpkeAEAD, e.header(), payload)
	if err != nil {
		return nil, fmt.Errorf("seal envelope: %w", err)
	}
	e.Signature = ed25519.Sign(key.Private, e.signedBytes())
	return e, nil
}

// checkForm checks the clear fields' form, before any key is looked up.
func (e *Envelope) checkForm() error {
	switch {
	case e.V != Version:
		return refuse(ReasonVersion, "envelope version %d; this node reads %d", e.V, Version)
	case !messageID.MatchString(e.ID):
		return refuse(ReasonMalformed, "id: want a lower-case UUID")
	case !stateCode.MatchString(e.Sender):
		return refuse(ReasonMalformed, "sender: want an ISO 3166-1 alpha-3 code")
	case !stateCode.MatchString(e.Recipient):
		return refuse(ReasonMalformed, "recipient: want an ISO 3166-1 alpha-3 code")
	case e.Sender == e.Recipient:
		return refuse(ReasonMalformed, "sender and recipient are the same")
	case !typeName.MatchString(e.Type):
		return refuse(ReasonMalformed, "type: want a lower-case name")
	case !keyID.MatchString(e.SenderKey):
		return refuse(ReasonMalformed, "sender_key: want 16 hexadecimal digits")
	case !keyID.MatchString(e.RecipientKey):
		return refuse(ReasonMalformed, "recipient_key: want 16 hexadecimal digits")
	case e.Created.IsZero() || e.Created.UTC().Year() < 2024:
		return refuse(ReasonMalformed, "created: want a time")
	}
	if _, err := convention.CheckTime("created", e.Created); err != nil {
		return refuse(ReasonMalformed, "%v", err)
	}
	return nil
}

// Parse reads an envelope strictly: JSON with exactly the known fields,
// at most MaxEnvelopeBytes, with every clear field well formed. It checks
// neither signature nor freshness: Open does.
func Parse(r io.Reader) (*Envelope, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxEnvelopeBytes+1))
	if err != nil {
		return nil, refuse(ReasonMalformed, "reading envelope: %v", err)
	}
	if len(data) > MaxEnvelopeBytes {
		return nil, refuse(ReasonTooLarge, "envelope larger than %d bytes", MaxEnvelopeBytes)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var e Envelope
	if err := dec.Decode(&e); err != nil {
		return nil, undecodable("an envelope", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, refuse(ReasonMalformed, "data after the envelope")
	}
	if err := e.check(); err != nil {
		return nil, err
	}
	return &e, nil
}

// check checks a decoded envelope as Parse does: its clear fields' form,
// its payload's and its signature's sizes.
func (e *Envelope) check() error {
	if err := e.checkForm(); err != nil {
		return err
	}
	if len(e.Payload) == 0 || len(e.Payload) > MaxPayloadBytes+256 {
		return refuse(ReasonMalformed, "payload: empty or too large")
	}
	if len(e.Signature) != ed25519.SignatureSize {
		return refuse(ReasonBadSignature, "signature: want %d bytes", ed25519.SignatureSize)
	}
	// Times are compared and signed at microsecond precision.
	if !e.Created.Equal(e.Created.Truncate(time.Microsecond)) {
		return refuse(ReasonMalformed, "created: at most microsecond precision")
	}
	return nil
}

// Marshal encodes e for the wire.
func (e *Envelope) Marshal() []byte {
	b, _ := json.Marshal(e)
	return b
}

// Verifier finds what Open needs to know about the sender and itself.
type Verifier struct {
	// Self is the recipient node's State.
	Self string
	// SenderKey returns the public signing key id of sender, valid at t,
	// or false if the sender or key is unknown.
	SenderKey func(sender, id string, t time.Time) (ed25519.PublicKey, bool)
	// DecryptionKey returns this node's private encryption key id.
	DecryptionKey func(id string) (*ecdh.PrivateKey, bool)
	// Now is the current time; Skew how far the envelope's creation time
	// may be from it.
	Now  time.Time
	Skew time.Duration
}

// Open verifies e and returns its payload. It checks, in order: the
// recipient, the sender's key, the signature, the freshness, and then
// decrypts. Replay is the caller's check, against the ids it has stored.
// Any failure is an *Error with a reason code.
func (v Verifier) Open(e *Envelope) ([]byte, error) {
	if e.Recipient != v.Self {
		return nil, refuse(ReasonNotForUs, "envelope for %s delivered to %s", e.Recipient, v.Self)
	}
	pub, ok := v.SenderKey(e.Sender, e.SenderKey, e.Created)
	if !ok {
		return nil, refuse(ReasonUnknownPeer, "no valid key %s known for %s", e.SenderKey, e.Sender)
	}
	if !ed25519.Verify(pub, e.signedBytes(), e.Signature) {
		return nil, refuse(ReasonBadSignature, "signature does not verify with %s's key %s", e.Sender, e.SenderKey)
	}
	if d := v.Now.Sub(e.Created); d > v.Skew {
		return nil, refuse(ReasonStale, "created %s ago, more than %s", d.Round(time.Second), v.Skew)
	} else if -d > v.Skew {
		return nil, refuse(ReasonFuture, "created %s in the future, more than %s", (-d).Round(time.Second), v.Skew)
	}
	priv, ok := v.DecryptionKey(e.RecipientKey)
	if !ok {
		return nil, refuse(ReasonUnknownKey, "no encryption key %s on this node", e.RecipientKey)
	}
	k, err := hpke.NewDHKEMPrivateKey(priv)
	if err != nil {
		return nil, err
	}
	plain, err := hpke.Open(k, hpkeKDF, hpkeAEAD, e.header(), e.Payload)
	if err != nil {
		return nil, refuse(ReasonUndecryptable, "payload does not decrypt")
	}
	return plain, nil
}

// SignatureVerified reports whether Open refused with err after the
// sender's signature had verified: the envelope then comes from the State
// it names, which answers for it. Before that, it proves nothing, and the
// sender is only a claim.
func SignatureVerified(err error) bool {
	var fe *Error
	if !errors.As(err, &fe) {
		return false
	}
	switch fe.Reason {
	case ReasonStale, ReasonFuture, ReasonUnknownKey, ReasonUndecryptable:
		return true
	}
	return false
}

// Receipt is the recipient's signed acknowledgement of an envelope.
type Receipt struct {
	MessageID string    `json:"message_id"`
	Sender    string    `json:"sender"`    // who sent the envelope
	Recipient string    `json:"recipient"` // who received it and signs this
	Received  time.Time `json:"received"`
	Digest    string    `json:"digest"` // SHA-256 of the envelope's signed bytes
	Duplicate bool      `json:"duplicate,omitempty"`
	KeyID     string    `json:"key_id"`
	Signature []byte    `json:"signature"`
}

func (r *Receipt) signedBytes() []byte {
	b, _ := json.Marshal(struct {
		MessageID, Sender, Recipient, Received, Digest string
		Duplicate                                      bool
		KeyID                                          string
	}{r.MessageID, r.Sender, r.Recipient, r.Received.UTC().Format(TimeFormat), r.Digest, r.Duplicate, r.KeyID})
	return append([]byte("entraide receipt v1\n"), b...)
}

// Digest identifies an envelope's signed content.
func (e *Envelope) Digest() string {
	sum := sha256.Sum256(e.signedBytes())
	return hex.EncodeToString(sum[:])
}

// NewReceipt signs a receipt for e.
func NewReceipt(key SigningKey, e *Envelope, received time.Time, duplicate bool) *Receipt {
	r := &Receipt{MessageID: e.ID, Sender: e.Sender, Recipient: e.Recipient, Received: received.UTC().Truncate(time.Microsecond),
		Digest: e.Digest(), Duplicate: duplicate, KeyID: key.ID}
	r.Signature = ed25519.Sign(key.Private, r.signedBytes())
	return r
}

// ErrBadReceipt is returned for a receipt that does not acknowledge the
// envelope it answers.
var ErrBadReceipt = errors.New("bad receipt")

// VerifyReceipt checks that r acknowledges e and is signed by pub.
func VerifyReceipt(r *Receipt, e *Envelope, pub ed25519.PublicKey) error {
	switch {
	case r.MessageID != e.ID || r.Sender != e.Sender || r.Recipient != e.Recipient:
		return fmt.Errorf("%w: it acknowledges another message", ErrBadReceipt)
	case r.Digest != e.Digest():
		return fmt.Errorf("%w: it acknowledges other content", ErrBadReceipt)
	case !ed25519.Verify(pub, r.signedBytes(), r.Signature):
		return fmt.Errorf("%w: signature does not verify", ErrBadReceipt)
	}
	return nil
}
