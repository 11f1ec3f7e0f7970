package signin

import (
	"crypto/sha256"
	"testing"
)

// BenchmarkVerifyPassword measures what a sign-in costs the node, beside
// BenchmarkTokenDigest, what checking an API token costs: their ratio is
// what argon2id adds to each guess of an attacker, and to each official's
// sign-in.
func BenchmarkVerifyPassword(b *testing.B) {
	h := HashPassword("correct horse battery staple")
	for b.Loop() {
		if ok, err := VerifyPassword(h, "correct horse battery staple"); !ok || err != nil {
			b.Fatal(ok, err)
		}
	}
}

func BenchmarkTokenDigest(b *testing.B) {
	for b.Loop() {
		sha256.Sum256([]byte("ent_abcdefghijklmnopqrstuvwxyz234567"))
	}
}
