package federation

import (
	"bytes"
	"crypto/ecdh"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"testing"
	"time"
)

type testNode struct {
	state string
	sign  SigningKey
	enc   EncryptionKey
}

func newTestNode(t testing.TB, state string) testNode {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	x, err := ecdh.X25519().GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return testNode{state: state,
		sign: SigningKey{ID: KeyID(priv.Public().(ed25519.PublicKey)), Private: priv},
		enc:  EncryptionKey{ID: KeyID(x.PublicKey().Bytes()), Private: x}}
}

var t0 = time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)

const msgID = "01a212ea-c3b3-778b-b123-958935dc9534"

func verifierFor(to testNode, from ...testNode) Verifier {
	return Verifier{
		Self: to.state,
		SenderKey: func(sender, id string, _ time.Time) (ed25519.PublicKey, bool) {
			for _, f := range from {
				if f.state == sender && f.sign.ID == id {
					return f.sign.Private.Public().(ed25519.PublicKey), true
				}
			}
			return nil, false
		},
		DecryptionKey: func(id string) (*ecdh.PrivateKey, bool) {
			if id == to.enc.ID {
				return to.enc.Private, true
			}
			return nil, false
		},
		Now:  t0.Add(time.Second),
		Skew: 5 * time.Minute,
	}
}

func seal(t *testing.T, from, to testNode, payload string) *Envelope {
	t.Helper()
	e, err := Seal(from.sign, from.state, to.state, to.enc.Private.PublicKey(), msgID, "request.send", t0, []byte(payload))
	if err != nil {
		t.Fatalf("Seal: %v", err)
	}
	return e
}

func TestSealParseOpen(t *testing.T) {
	fra, vnm := newTestNode(t, "FRA"), newTestNode(t, "VNM")
	e := seal(t, fra, vnm, `{"hello":"Viet Nam"}`)
	if bytes.Contains(e.Marshal(), []byte("Viet Nam")) {
		t.Fatalf("the payload travels in clear: %s", e.Marshal())
	}
	parsed, err := Parse(bytes.NewReader(e.Marshal()))
	if err != nil {
		t.Fatalf("Parse(Marshal(e)) = %v", err)
	}
	got, err := verifierFor(vnm, fra).Open(parsed)
	if err != nil {
		t.Fatalf("Open = %v", err)
	}
	if string(got) != `{"hello":"Viet Nam"}` {
		t.Errorf("Open = %q, want the payload", got)
	}
	rc := NewReceipt(vnm.sign, parsed, t0.Add(time.Second), false)
	if err := VerifyReceipt(rc, e, vnm.sign.Private.Public().(ed25519.PublicKey)); err != nil {
		t.Errorf("VerifyReceipt = %v", err)
	}
	if err := VerifyReceipt(rc, e, fra.sign.Private.Public().(ed25519.PublicKey)); !errors.Is(err, ErrBadReceipt) {
		t.Errorf("VerifyReceipt with the wrong key = %v, want ErrBadReceipt", err)
	}
}

func TestOpenRefuses(t *testing.T) {
	fra, vnm, zaf := newTestNode(t, "FRA"), newTestNode(t, "VNM"), newTestNode(t, "ZAF")
	tests := []struct {
		name   string
		mutate func(e *Envelope, v *Verifier)
		reason string
	}{
		{"tampered payload", func(e *Envelope, v *Verifier) { e.Payload[len(e.Payload)-1] ^= 1 }, ReasonBadSignature},
		{"tampered type", func(e *Envelope, v *Verifier) { e.Type = "request.withdraw" }, ReasonBadSignature},
		{"tampered time", func(e *Envelope, v *Verifier) { e.Created = e.Created.Add(time.Second) }, ReasonBadSignature},
		{"signature by another node", func(e *Envelope, v *Verifier) {
			e.Signature = ed25519.Sign(zaf.sign.Private, e.signedBytes())
		}, ReasonBadSignature},
		{"unsigned", func(e *Envelope, v *Verifier) { e.Signature = make([]byte, ed25519.SignatureSize) }, ReasonBadSignature},
		{"unknown sender", func(e *Envelope, v *Verifier) { e.Sender = "DEU" }, ReasonUnknownPeer},
		{"wrongly addressed", func(e *Envelope, v *Verifier) { v.Self = "ZAF" }, ReasonNotForUs},
		{"stale: clock skew past the window", func(e *Envelope, v *Verifier) { v.Now = t0.Add(6 * time.Minute) }, ReasonStale},
		{"from the future: sender's clock ahead", func(e *Envelope, v *Verifier) { v.Now = t0.Add(-6 * time.Minute) }, ReasonFuture},
		{"encrypted to a key this node lacks", func(e *Envelope, v *Verifier) {
			v.DecryptionKey = func(string) (*ecdh.PrivateKey, bool) { return zaf.enc.Private, true }
		}, ReasonUndecryptable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := seal(t, fra, vnm, "payload")
			v := verifierFor(vnm, fra)
			tt.mutate(e, &v)
			_, err := v.Open(e)
			var fe *Error
			if !errors.As(err, &fe) || fe.Reason != tt.reason {
				t.Errorf("Open = %v, want reason %s", err, tt.reason)
			}
		})
	}
}

func TestOpenAcceptsSkewWithinWindow(t *testing.T) {
	fra, vnm := newTestNode(t, "FRA"), newTestNode(t, "VNM")
	for _, d := range []time.Duration{-4 * time.Minute, 0, 4 * time.Minute} {
		v := verifierFor(vnm, fra)
		v.Now = t0.Add(d)
		if _, err := v.Open(seal(t, fra, vnm, "x")); err != nil {
			t.Errorf("Open with clock %v off = %v, want accepted", d, err)
		}
	}
}

func TestParseRejects(t *testing.T) {
	fra, vnm := newTestNode(t, "FRA"), newTestNode(t, "VNM")
	good := string(seal(t, fra, vnm, "x").Marshal())
	tests := []struct{ name, in, reason string }{
		{"empty", "", ReasonMalformed},
		{"not JSON", "hello", ReasonMalformed},
		{"unknown field", good[:len(good)-1] + `,"extra":1}`, ReasonMalformed},
		{"trailing data", good + "{}", ReasonMalformed},
		{"version 2", bytes.NewBuffer(nil).String() + `{"v":2}`, ReasonVersion},
		{"too large", `{"v":1,"payload":"` + string(bytes.Repeat([]byte("A"), MaxEnvelopeBytes)) + `"}`, ReasonTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(bytes.NewReader([]byte(tt.in)))
			var fe *Error
			if !errors.As(err, &fe) || fe.Reason != tt.reason {
				t.Errorf("Parse = %v, want reason %s", err, tt.reason)
			}
		})
	}
}

func FuzzParse(f *testing.F) {
	fra, vnm := newTestNode(f, "FRA"), newTestNode(f, "VNM")
	e, err := Seal(fra.sign, "FRA", "VNM", vnm.enc.Private.PublicKey(), msgID, "request.send", t0, []byte("seed"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(e.Marshal())
	f.Add([]byte(`{"v":1}`))
	f.Add([]byte(`[]`))
	v := Verifier{Self: "VNM",
		SenderKey: func(s, id string, _ time.Time) (ed25519.PublicKey, bool) {
			return fra.sign.Private.Public().(ed25519.PublicKey), s == "FRA" && id == fra.sign.ID
		},
		DecryptionKey: func(id string) (*ecdh.PrivateKey, bool) { return vnm.enc.Private, id == vnm.enc.ID },
		Now:           t0, Skew: time.Hour}
	f.Fuzz(func(t *testing.T, data []byte) {
		e, err := Parse(bytes.NewReader(data))
		if err != nil {
			var fe *Error
			if !errors.As(err, &fe) || fe.Reason == "" {
				t.Fatalf("Parse error %v has no reason code", err)
			}
			return
		}
		// A parsed envelope survives a round trip and never panics Open.
		again, err := Parse(bytes.NewReader(e.Marshal()))
		if err != nil {
			t.Fatalf("Parse(Marshal(Parse(x))) = %v", err)
		}
		if again.Digest() != e.Digest() {
			t.Fatalf("round trip changed the envelope")
		}
		if payload, err := v.Open(e); err == nil && !bytes.Equal(data, e.Marshal()) && string(payload) != "seed" {
			t.Fatalf("Open accepted a forged envelope with payload %q", payload)
		}
	})
}
