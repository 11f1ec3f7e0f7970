package main

import (
	"crypto/ecdh"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"entraide/internal/federation"
)

// peer add refuses a descriptor whose node would be reached in clear,
// however well signed.
func TestPeerAddRefusesHTTP(t *testing.T) {
	c := newCLI(t)
	c.init()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	x, err := ecdh.X25519().GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC().Truncate(time.Second)
	d := &federation.Descriptor{V: federation.Version, State: "DEU", BaseURL: "http://entraide.example.de",
		SigningKeys:   []federation.PublicKey{{ID: federation.KeyID(pub), Key: pub, ValidFrom: now}},
		EncryptionKey: federation.EncryptionPublic{ID: federation.KeyID(x.PublicKey().Bytes()), Key: x.PublicKey().Bytes()},
		ValidFrom:     now, ValidUntil: now.Add(24 * time.Hour)}
	d.Sign(federation.SigningKey{ID: federation.KeyID(pub), Private: priv})
	data, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = c.runStdin(string(data), "peer", "add", "-")
	if err == nil || !strings.Contains(err.Error(), `base_url: "http://entraide.example.de": want an https:// address`) {
		t.Errorf("peer add (http:// descriptor) = %v, want refused for want of https://", err)
	}
	if out := c.must("peer", "list"); strings.Contains(out, "DEU") {
		t.Errorf("peer list after the refusal:\n%s", out)
	}
	d.BaseURL = "https://entraide.example.de"
	d.Sign(federation.SigningKey{ID: federation.KeyID(pub), Private: priv})
	data, _ = json.Marshal(d)
	if _, _, err := c.runStdin(string(data), "peer", "add", "-"); err != nil {
		t.Errorf("peer add (the same descriptor at https://) = %v", err)
	}
}
