package identity_test

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"
	"testing"

	"entraide/internal/identity"
)

func TestParseRole(t *testing.T) {
	for _, r := range identity.Roles {
		if got, err := identity.ParseRole(string(r)); err != nil || got != r {
			t.Errorf("ParseRole(%q) = %q, %v; want %q", r, got, err, r)
		}
	}
	for _, s := range []string{"", "Administrator", "admin", "24/7", " auditor", "root"} {
		got, err := identity.ParseRole(s)
		if err == nil || got != "" {
			t.Errorf("ParseRole(%q) = %q, %v; want an error", s, got, err)
			continue
		}
		for _, r := range identity.Roles {
			if !strings.Contains(err.Error(), string(r)) {
				t.Errorf("ParseRole(%q) error %q does not list role %q", s, err, r)
			}
		}
	}
}

func TestCan(t *testing.T) {
	all := []identity.Permission{identity.ReadRequests, identity.DraftRequests, identity.ActOnRequests, identity.ManageUsers,
		identity.RecordTreaty, identity.ReadAuditLog, identity.ManageProfiles, identity.ManageRoster, identity.ReadStatistics,
		identity.ScreenRequests, identity.FlagStates}
	grants := map[identity.Role][]identity.Permission{
		// The administrator runs the node but reads no case (art. 40(20)).
		// It reads the figures of the requests, which say nothing of a case.
		identity.Administrator: {identity.ManageUsers, identity.RecordTreaty, identity.ReadAuditLog, identity.ManageProfiles, identity.ManageRoster, identity.ReadStatistics,
			identity.FlagStates},
		// Art. 40(13): the central authority sends, receives and executes;
		// it screens the requests that must be, before executing them.
		identity.CentralAuthority: {identity.ReadRequests, identity.DraftRequests, identity.ActOnRequests, identity.ReadStatistics, identity.ScreenRequests},
		// Art. 41: the 24/7 point of contact acts too, on its kinds.
		identity.TwentyFourSeven: {identity.ReadRequests, identity.DraftRequests, identity.ActOnRequests, identity.ReadStatistics},
		identity.Investigator:    {identity.ReadRequests, identity.DraftRequests, identity.ReadStatistics},
		identity.Auditor:         {identity.ReadRequests, identity.ReadAuditLog, identity.ReadStatistics},
		"":                       nil,
		"minister":               nil,
	}
	for role, granted := range grants {
		for _, p := range all {
			want := false
			for _, g := range granted {
				want = want || g == p
			}
			if got := role.Can(p); got != want {
				t.Errorf("Role(%q).Can(%s) = %v, want %v", role, p, got, want)
			}
		}
	}
}

func TestValidateUserID(t *testing.T) {
	tests := []struct {
		id string
		ok bool
	}{
		{"ab", true},
		{"fra-ca", true},
		{"jean.dupont_2", true},
		{"0day", true},
		{strings.Repeat("a", 64), true},
		{"a", false},
		{strings.Repeat("a", 65), false},
		{"", false},
		{"Jean", false},
		{"-lead", false},
		{".lead", false},
		{"has space", false},
		{"é-accent", false},
		{"a/b", false},
		{"ab\n", false},
	}
	for _, tt := range tests {
		err := identity.ValidateUserID(tt.id)
		if (err == nil) != tt.ok {
			t.Errorf("ValidateUserID(%q) = %v, want ok %v", tt.id, err, tt.ok)
		}
		if err != nil && !strings.Contains(err.Error(), "user id") {
			t.Errorf("ValidateUserID(%q) = %q, want it to say what is wrong", tt.id, err)
		}
	}
}

func TestNewToken(t *testing.T) {
	seen := map[string]bool{}
	for range 1000 {
		token, digest := identity.NewToken()
		if err := identity.CheckTokenForm(token); err != nil {
			t.Fatalf("CheckTokenForm(NewToken() = %q) = %v", token, err)
		}
		if !strings.HasPrefix(token, identity.TokenPrefix) || strings.ToLower(token) != token {
			t.Fatalf("NewToken() = %q, want lower case after %q", token, identity.TokenPrefix)
		}
		sum := sha256.Sum256([]byte(token))
		if want := hex.EncodeToString(sum[:]); digest != want || identity.Digest(token) != want {
			t.Fatalf("NewToken() digest %s, Digest %s; want hex SHA-256 %s", digest, identity.Digest(token), want)
		}
		if strings.Contains(digest, token[len(identity.TokenPrefix):]) {
			t.Fatalf("the digest %s contains the token's secret", digest)
		}
		if seen[token] {
			t.Fatalf("NewToken() repeated %q", token)
		}
		seen[token] = true
	}
}

func TestCheckTokenForm(t *testing.T) {
	token, _ := identity.NewToken()
	for _, bad := range []string{"", "ent_", token[:len(token)-1], token + "a", "xyz_" + token[4:], " " + token[1:], strings.TrimPrefix(token, identity.TokenPrefix)} {
		if err := identity.CheckTokenForm(bad); !errors.Is(err, identity.ErrMalformedToken) {
			t.Errorf("CheckTokenForm(%q) = %v, want ErrMalformedToken", bad, err)
		}
	}
}
