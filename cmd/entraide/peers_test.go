package main

import (
	"crypto/ecdh"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"entraide/internal/directory"
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

// TestPeerListContact: peer list shows each peer's 24/7 contact from its
// descriptor, and says how to get it where the descriptor has none.
func TestPeerListContact(t *testing.T) {
	c := newCLI(t)
	c.init()
	add := func(state string, contact directory.Contact) {
		t.Helper()
		pub, priv, _ := ed25519.GenerateKey(rand.Reader)
		x, _ := ecdh.X25519().GenerateKey(rand.Reader)
		now := time.Now().UTC().Truncate(time.Second)
		d := &federation.Descriptor{V: federation.Version, State: state, BaseURL: "https://entraide.example." + strings.ToLower(state[:2]),
			SigningKeys:   []federation.PublicKey{{ID: federation.KeyID(pub), Key: pub, ValidFrom: now}},
			EncryptionKey: federation.EncryptionPublic{ID: federation.KeyID(x.PublicKey().Bytes()), Key: x.PublicKey().Bytes()},
			Contact247:    contact, ValidFrom: now, ValidUntil: now.Add(24 * time.Hour)}
		d.Sign(federation.SigningKey{ID: federation.KeyID(pub), Private: priv})
		data, _ := json.Marshal(d)
		if _, _, err := c.runStdin(string(data), "peer", "add", "-"); err != nil {
			t.Fatalf("peer add %s: %v", state, err)
		}
	}
	add("DEU", directory.Contact{Name: "BKA 24/7", Phone: "+49 611 0000", Email: "247@example.de"})
	add("ITA", directory.Contact{})
	out := c.must("peer", "list")
	line := func(state string) string {
		for _, l := range strings.Split(out, "\n") {
			if strings.HasPrefix(l, state+" ") {
				return l
			}
		}
		return ""
	}
	for _, tt := range []struct{ name, state, want string }{
		{"art 41(1): the 24/7 contact from the descriptor", "DEU", "BKA 24/7, +49 611 0000, 247@example.de"},
		{"art 41(1): a descriptor without one says so", "ITA", "- (none in its descriptor)"},
	} {
		if l := line(tt.state); !strings.Contains(l, tt.want) {
			t.Errorf("%s: peer list line %q, want %q", tt.name, l, tt.want)
		}
	}
	if !strings.Contains(out, "ask its administrators for a new one (entraide descriptor)") {
		t.Errorf("peer list =\n%s\nwant the next step for a peer without a 24/7 contact", out)
	}
}
