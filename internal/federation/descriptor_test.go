package federation

import (
	"bytes"
	"crypto/ed25519"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"entraide/internal/directory"
)

func descriptorOf(n testNode, keys ...SigningKey) *Descriptor {
	d := &Descriptor{V: Version, State: n.state, BaseURL: "https://" + strings.ToLower(n.state) + ".example:8443",
		EncryptionKey: EncryptionPublic{ID: n.enc.ID, Key: n.enc.Private.PublicKey().Bytes()},
		Contact247:    directory.Contact{Name: "24/7 desk", Phone: "+33 1 00 00 02 47", Email: "247@example.org", TimeZone: "Europe/Paris", Hours: "24/7"},
		ValidFrom:     t0.Add(-time.Hour), ValidUntil: t0.AddDate(1, 0, 0)}
	d.SigningKeys = []PublicKey{{ID: n.sign.ID, Key: n.sign.Private.Public().(ed25519.PublicKey), ValidFrom: t0.Add(-time.Hour)}}
	d.Sign(append([]SigningKey{n.sign}, keys...)...)
	return d
}

func marshal(t testing.TB, d *Descriptor) []byte {
	b, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestDescriptorRoundTrip(t *testing.T) {
	fra := newTestNode(t, "FRA")
	d, err := ParseDescriptor(bytes.NewReader(marshal(t, descriptorOf(fra))), t0)
	if err != nil {
		t.Fatalf("ParseDescriptor = %v", err)
	}
	if d.State != "FRA" || len(d.SigningKeys) != 1 {
		t.Errorf("ParseDescriptor = %+v", d)
	}
}

func TestDescriptorRejects(t *testing.T) {
	fra, other := newTestNode(t, "FRA"), newTestNode(t, "FRA")
	tests := []struct {
		name   string
		mutate func(d *Descriptor)
		want   string
	}{
		{"tampered URL", func(d *Descriptor) { d.BaseURL = "https://attacker.example" }, "not signed"},
		{"signed by another key", func(d *Descriptor) { d.Sign(other.sign) }, "not signed"},
		{"expired", func(d *Descriptor) { d.ValidUntil = t0.Add(-time.Minute); d.Sign(fra.sign) }, "expired"},
		{"valid until the year 10000 in UTC", func(d *Descriptor) {
			d.ValidUntil = time.Date(9999, 12, 31, 23, 0, 0, 0, time.FixedZone("EST", -5*3600))
			d.Sign(fra.sign)
		}, "valid_until"},
		{"a key valid from before 1970", func(d *Descriptor) {
			d.SigningKeys[0].ValidFrom = time.Date(1969, 1, 1, 0, 0, 0, 0, time.UTC)
			d.Sign(fra.sign)
		}, "signing_keys[0].valid_from"},
		{"unknown State", func(d *Descriptor) { d.State = "XXX"; d.Sign(fra.sign) }, "not a participant"},
		{"bad URL", func(d *Descriptor) { d.BaseURL = "ftp://x"; d.Sign(fra.sign) }, "base_url"},
		{"plain http URL, signed", func(d *Descriptor) { d.BaseURL = "http://fra.example:8443"; d.Sign(fra.sign) }, "base_url: \"http://fra.example:8443\": want an https:// address"},
		{"URL with credentials", func(d *Descriptor) { d.BaseURL = "https://me:pw@fra.example"; d.Sign(fra.sign) }, "base_url"},
		{"URL with a query", func(d *Descriptor) { d.BaseURL = "https://fra.example/?x=1"; d.Sign(fra.sign) }, "base_url"},
		{"relative URL", func(d *Descriptor) { d.BaseURL = "/federation"; d.Sign(fra.sign) }, "base_url"},
		{"key id mismatch", func(d *Descriptor) { d.SigningKeys[0].ID = "0000000000000000"; d.Sign(fra.sign) }, "signing_keys[0]"},
		{"no current key", func(d *Descriptor) { d.SigningKeys[0].ValidUntil = t0; d.Sign(fra.sign) }, "exactly one current key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := descriptorOf(fra)
			tt.mutate(d)
			_, err := ParseDescriptor(bytes.NewReader(marshal(t, d)), t0)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("ParseDescriptor = %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

func TestRotationSupersedes(t *testing.T) {
	fra, next := newTestNode(t, "FRA"), newTestNode(t, "FRA")
	old := descriptorOf(fra)
	// After a rotation the old key stays listed, valid until the rotation,
	// and signs the new descriptor beside the new key.
	rotated := descriptorOf(next)
	oldKey := old.SigningKeys[0]
	oldKey.ValidUntil = t0
	rotated.SigningKeys = append(rotated.SigningKeys, oldKey)
	rotated.Sign(next.sign, fra.sign)
	parsed, err := ParseDescriptor(bytes.NewReader(marshal(t, rotated)), t0)
	if err != nil {
		t.Fatalf("ParseDescriptor(rotated) = %v", err)
	}
	if err := parsed.Supersedes(old); err != nil {
		t.Errorf("Supersedes = %v, want accepted", err)
	}
	if k, _ := parsed.Key(fra.sign.ID); !k.ValidAt(t0.Add(-time.Minute)) || k.ValidAt(t0.Add(time.Minute)) {
		t.Errorf("old key validity = %+v: want it to verify messages before the rotation only", k)
	}
	stranger := descriptorOf(newTestNode(t, "FRA"))
	if err := stranger.Supersedes(old); err == nil {
		t.Errorf("Supersedes(descriptor signed by an unknown key) = nil, want refused")
	}
}

func FuzzParseDescriptor(f *testing.F) {
	fra := newTestNode(f, "FRA")
	f.Add(marshal(f, descriptorOf(fra)))
	f.Add([]byte(`{"v":1}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := ParseDescriptor(bytes.NewReader(data), t0)
		if err != nil {
			return
		}
		if _, err := ParseDescriptor(bytes.NewReader(marshal(t, d)), t0); err != nil {
			t.Fatalf("a parsed descriptor does not parse again: %v", err)
		}
	})
}
