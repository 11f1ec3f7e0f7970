// Package signintest holds a passkey authenticator in memory for tests:
// it answers WebAuthn ceremonies as a platform authenticator does, so that
// sign-in can be tried without a browser. The browser tests use
// Chromium's own virtual authenticator.
package signintest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"testing"

	"github.com/fxamacker/cbor/v2"
)

// Key is a passkey held in memory: "none" attestation, ES256.
type Key struct {
	ID      []byte
	Handle  []byte
	Counter uint32
	key     *ecdsa.PrivateKey
}

var b64u = base64.RawURLEncoding

// IDString is the key's credential id as the node stores it.
func (k *Key) IDString() string { return b64u.EncodeToString(k.ID) }

// creationOptions is what a registration's options hold that an
// authenticator reads.
type creationOptions struct {
	PublicKey struct {
		Challenge string `json:"challenge"`
		RP        struct {
			ID string `json:"id"`
		} `json:"rp"`
		User struct {
			ID string `json:"id"`
		} `json:"user"`
	} `json:"publicKey"`
}

type requestOptions struct {
	PublicKey struct {
		Challenge string `json:"challenge"`
		RPID      string `json:"rpId"`
	} `json:"publicKey"`
}

func clientData(t testing.TB, typ, challenge, origin string) []byte {
	t.Helper()
	b, err := json.Marshal(map[string]any{"type": typ, "challenge": challenge, "origin": origin, "crossOrigin": false})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Create answers registration options, the JSON a node sends for
// navigator.credentials.create, as a browser at origin would, returning
// the new key and the answer's JSON. options may be wrapped in an object
// under "options", as the UI's begin routes send them.
func Create(t testing.TB, options []byte, origin string) (*Key, []byte) {
	t.Helper()
	var o creationOptions
	if err := json.Unmarshal(unwrap(options), &o); err != nil {
		t.Fatalf("registration options: %v", err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	handle, err := b64u.DecodeString(o.PublicKey.User.ID)
	if err != nil {
		t.Fatalf("user handle %q: %v", o.PublicKey.User.ID, err)
	}
	k := &Key{ID: make([]byte, 16), Handle: handle, key: key}
	rand.Read(k.ID)
	pub, err := key.PublicKey.Bytes() // 0x04 || x || y
	if err != nil {
		t.Fatal(err)
	}
	cose, err := cbor.Marshal(map[int]any{1: 2, 3: -7, -1: 1, -2: pub[1:33], -3: pub[33:]})
	if err != nil {
		t.Fatal(err)
	}
	rp := sha256.Sum256([]byte(o.PublicKey.RP.ID))
	auth := append(rp[:], 0x45) // user present, verified, attested credential data
	auth = binary.BigEndian.AppendUint32(auth, 0)
	auth = append(auth, make([]byte, 16)...) // AAGUID
	auth = binary.BigEndian.AppendUint16(auth, uint16(len(k.ID)))
	auth = append(auth, k.ID...)
	auth = append(auth, cose...)
	att, err := cbor.Marshal(map[string]any{"fmt": "none", "attStmt": map[string]any{}, "authData": auth})
	if err != nil {
		t.Fatal(err)
	}
	cd := clientData(t, "webauthn.create", o.PublicKey.Challenge, origin)
	answer, err := json.Marshal(map[string]any{"id": b64u.EncodeToString(k.ID), "rawId": b64u.EncodeToString(k.ID), "type": "public-key",
		"response": map[string]any{"clientDataJSON": b64u.EncodeToString(cd), "attestationObject": b64u.EncodeToString(att)}})
	if err != nil {
		t.Fatal(err)
	}
	return k, answer
}

// Get answers sign-in options, the JSON a node sends for
// navigator.credentials.get, as a browser at origin would.
func (k *Key) Get(t testing.TB, options []byte, origin string) []byte {
	t.Helper()
	var o requestOptions
	if err := json.Unmarshal(unwrap(options), &o); err != nil {
		t.Fatalf("sign-in options: %v", err)
	}
	k.Counter++
	rp := sha256.Sum256([]byte(o.PublicKey.RPID))
	auth := append(rp[:], 0x05) // user present, verified
	auth = binary.BigEndian.AppendUint32(auth, k.Counter)
	cd := clientData(t, "webauthn.get", o.PublicKey.Challenge, origin)
	sum := sha256.Sum256(cd)
	digest := sha256.Sum256(append(append([]byte{}, auth...), sum[:]...))
	sig, err := ecdsa.SignASN1(rand.Reader, k.key, digest[:])
	if err != nil {
		t.Fatal(err)
	}
	answer, err := json.Marshal(map[string]any{"id": b64u.EncodeToString(k.ID), "rawId": b64u.EncodeToString(k.ID), "type": "public-key",
		"response": map[string]any{"clientDataJSON": b64u.EncodeToString(cd), "authenticatorData": b64u.EncodeToString(auth),
			"signature": b64u.EncodeToString(sig), "userHandle": b64u.EncodeToString(k.Handle)}})
	if err != nil {
		t.Fatal(err)
	}
	return answer
}

// unwrap returns the options under "options" of a begin route's answer,
// or options as they are.
func unwrap(options []byte) []byte {
	var w struct {
		Options json.RawMessage `json:"options"`
	}
	if json.Unmarshal(options, &w) == nil && len(w.Options) > 0 {
		return w.Options
	}
	return options
}
