package signin

import (
	"strings"
	"testing"
	"time"
)

func TestPasswordRoundTrip(t *testing.T) {
	h := HashPassword("correct horse battery staple")
	if !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("HashPassword = %q, want an argon2id PHC string with the OWASP parameters", h)
	}
	for _, c := range []struct {
		name, password string
		want           bool
	}{{"same", "correct horse battery staple", true}, {"other", "correct horse battery stapl", false}, {"empty", "", false}} {
		got, err := VerifyPassword(h, c.password)
		if err != nil || got != c.want {
			t.Errorf("%s: VerifyPassword = %v, %v; want %v, nil", c.name, got, err, c.want)
		}
	}
	if h2 := HashPassword("correct horse battery staple"); h2 == h {
		t.Error("two hashes of one password are equal: the salt is not fresh")
	}
}

func TestParsePHCRefuses(t *testing.T) {
	good := HashPassword("correct horse battery staple")
	parts := strings.Split(good, "$")
	for _, c := range []struct{ name, hash string }{
		{"empty", ""},
		{"argon2i", strings.Replace(good, "argon2id", "argon2i", 1)},
		{"old version", strings.Replace(good, "v=19", "v=16", 1)},
		{"huge memory", "$argon2id$v=19$m=4294967295,t=2,p=1$" + parts[4] + "$" + parts[5]},
		{"many passes", "$argon2id$v=19$m=19456,t=1000,p=1$" + parts[4] + "$" + parts[5]},
		{"no threads", "$argon2id$v=19$m=19456,t=2,p=0$" + parts[4] + "$" + parts[5]},
		{"leading zero", "$argon2id$v=19$m=019456,t=2,p=1$" + parts[4] + "$" + parts[5]},
		{"swapped params", "$argon2id$v=19$t=2,m=19456,p=1$" + parts[4] + "$" + parts[5]},
		{"short salt", "$argon2id$v=19$m=19456,t=2,p=1$AAAA$" + parts[5]},
		{"padded hash", good + "=="},
		{"extra part", good + "$x"},
	} {
		if _, err := VerifyPassword(c.hash, "correct horse battery staple"); err != ErrBadHash {
			t.Errorf("%s: VerifyPassword(%q) error = %v, want ErrBadHash", c.name, c.hash, err)
		}
	}
}

func TestCheckPassword(t *testing.T) {
	if msg := CheckPassword("short"); !strings.Contains(msg, "at least 12") {
		t.Errorf("CheckPassword(short) = %q, want it to ask for at least 12 characters", msg)
	}
	if msg := CheckPassword(strings.Repeat("x", 257)); msg == "" {
		t.Error("CheckPassword(257 characters) accepted it")
	}
	if msg := CheckPassword("a long enough passphrase"); msg != "" {
		t.Errorf("CheckPassword(good) = %q", msg)
	}
}

func TestMatchTOTP(t *testing.T) {
	secret, uri, err := NewTOTP(Issuer, "fra-central_authority")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(uri, "otpauth://totp/Entraide:fra-central_authority?") || !strings.Contains(uri, "secret="+secret) {
		t.Errorf("NewTOTP uri = %q", uri)
	}
	now := time.Date(2026, 3, 2, 9, 0, 10, 0, time.UTC)
	code, err := TOTPCode(secret, now)
	if err != nil {
		t.Fatal(err)
	}
	step, ok := MatchTOTP(secret, code, now, 0)
	if !ok || step != now.Unix()/30 {
		t.Fatalf("MatchTOTP(current code) = %d, %v", step, ok)
	}
	if _, ok := MatchTOTP(secret, code, now, step); ok {
		t.Error("a code accepted once was accepted again")
	}
	if _, ok := MatchTOTP(secret, code, now.Add(30*time.Second), 0); !ok {
		t.Error("the previous step's code was refused: a phone a little behind cannot sign in")
	}
	if _, ok := MatchTOTP(secret, code, now.Add(90*time.Second), 0); ok {
		t.Error("a code three steps old was accepted")
	}
	if _, ok := MatchTOTP(secret, "12345", now, 0); ok {
		t.Error("a five-digit code was accepted")
	}
}

func TestLockout(t *testing.T) {
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	var c Credential
	for i := 1; i < MaxFailures; i++ {
		c = c.Failed(now)
		if c.Locked(now) {
			t.Fatalf("locked after %d failures, want %d", i, MaxFailures)
		}
	}
	c = c.Failed(now)
	if !c.Locked(now) || !c.Locked(now.Add(LockoutPeriod-time.Second)) || c.Locked(now.Add(LockoutPeriod)) {
		t.Errorf("after %d failures: locked until %v, want %v", MaxFailures, c.LockedUntil, now.Add(LockoutPeriod))
	}
}

// FuzzVerifyPassword: a stored hash is read from the database, which a
// corrupt row or an attacker with write access may have changed; reading
// it never crashes nor hashes with unbounded parameters.
func FuzzVerifyPassword(f *testing.F) {
	f.Add(HashPassword("correct horse battery staple"), "correct horse battery staple")
	f.Add("$argon2id$v=19$m=8,t=1,p=1$AAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAA", "x")
	f.Add("$argon2id$v=19$m=99999999,t=1,p=1$AAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAA", "x")
	f.Fuzz(func(t *testing.T, hash, password string) {
		p, err := parsePHC(hash)
		if err != nil {
			return
		}
		if p.memory > maxMemory || p.time > maxTime || p.threads > maxThreads {
			t.Fatalf("parsePHC(%q) accepted parameters beyond the limits: %+v", hash, p)
		}
	})
}
