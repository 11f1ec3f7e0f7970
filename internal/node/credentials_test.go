package node_test

import (
	"bytes"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"entraide/internal/alerting"
	"entraide/internal/alerting/alertingtest"
	"entraide/internal/casework"
	"entraide/internal/convention"
	"entraide/internal/identity"
	"entraide/internal/node"
	"entraide/internal/store"
	"entraide/internal/store/storetest"
)

// enrol gives the official a a token of their own, as on a real node: an
// administrator of their State issues a code, and they redeem it.
func (f *fixture) enrol(t *testing.T, a casework.Actor, label string) (string, identity.Token) {
	t.Helper()
	e, err := f.n.IssueEnrolment(t.Context(), f.n.AdminOf(a.State), a.ID)
	if err != nil {
		t.Fatalf("IssueEnrolment(%s) = %v", a.ID, err)
	}
	out, err := f.n.Enrol(t.Context(), e.Code, label)
	if err != nil {
		t.Fatalf("Enrol(code of %s) = %v", a.ID, err)
	}
	return out.Token, out.Info
}

// The finding "an administrator can act as any official": an
// administrator gets a one-time code, never a token; the official redeems
// it once, within 24 hours, for a token only they see.
func TestEnrolment(t *testing.T) {
	eachBackend(t, func(t *testing.T, backend string) {
		ctx := t.Context()
		dsn := storetest.DSN(t, backend)
		db, err := store.Open(ctx, dsn)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		f := newFixtureDB(t, db)

		var e identity.Enrolment
		log := f.auditSince(t, func() { e, err = f.n.IssueEnrolment(ctx, f.n.Admin(), "fra-ca") })
		if err != nil {
			t.Fatalf("IssueEnrolment = %v", err)
		}
		if identity.CheckCodeForm(e.Code) != nil || e.User != "fra-ca" || e.State != "FRA" || e.ExpiresAt.Sub(e.CreatedAt) != 24*time.Hour {
			t.Errorf("IssueEnrolment = %+v; want a code for fra-ca of FRA, valid 24 h", e)
		}
		if got := actionsAndSubjects(log); !slices.Equal(got, []string{"enrolment.issue user/fra-ca"}) {
			t.Errorf("IssueEnrolment audit records = %v, want one enrolment.issue", got)
		}
		// What the administrator holds is no token.
		if _, err := f.n.Authenticate(ctx, e.Code); !errors.Is(err, node.ErrUnauthenticated) {
			t.Errorf("Authenticate(an enrolment code) = %v, want ErrUnauthenticated", err)
		}

		f.clock.Advance(23 * time.Hour)
		var out node.Enrolled
		log = f.auditSince(t, func() { out, err = f.n.Enrol(ctx, e.Code, "laptop") })
		if err != nil {
			t.Fatalf("Enrol = %v", err)
		}
		if got := actionsAndSubjects(log); !slices.Equal(got, []string{"token.create user/fra-ca"}) || log[0].Actor != "fra-ca" {
			t.Errorf("Enrol audit records = %v by %s, want one token.create by fra-ca", got, log[0].Actor)
		}
		if out.User.ID != "fra-ca" || out.Info.IssuedBy != "cli" || out.Info.Label != "laptop" || !out.Info.ExpiresAt.Equal(start.Add(23*time.Hour).Add(identity.DefaultTokenTTL)) {
			t.Errorf("Enrol = %+v; want fra-ca's token, issued by cli, expiring in 90 days", out)
		}
		if u, err := f.n.Authenticate(ctx, out.Token); err != nil || u.ID != "fra-ca" || u.State != "FRA" || u.Role != identity.CentralAuthority {
			t.Errorf("Authenticate(redeemed token) = %+v, %v; want fra-ca", u, err)
		}
		// Once only.
		if _, err := f.n.Enrol(ctx, e.Code, "again"); !errors.Is(err, node.ErrCodeUsed) {
			t.Errorf("Enrol with a used code = %v, want ErrCodeUsed", err)
		}

		// Not after 24 hours.
		late, err := f.n.IssueEnrolment(ctx, f.n.Admin(), "fra-247")
		if err != nil {
			t.Fatal(err)
		}
		f.clock.Advance(24 * time.Hour)
		if _, err := f.n.Enrol(ctx, late.Code, ""); !errors.Is(err, node.ErrCodeExpired) {
			t.Errorf("Enrol 24 h after the code was issued = %v, want ErrCodeExpired", err)
		}
		// A new code replaces the one before.
		old, _ := f.n.IssueEnrolment(ctx, f.n.Admin(), "fra-247")
		fresh, _ := f.n.IssueEnrolment(ctx, f.n.Admin(), "fra-247")
		if _, err := f.n.Enrol(ctx, old.Code, ""); !errors.Is(err, node.ErrCodeExpired) {
			t.Errorf("Enrol with a replaced code = %v, want ErrCodeExpired", err)
		}
		if _, err := f.n.Enrol(ctx, fresh.Code, ""); err != nil {
			t.Errorf("Enrol with the newest code = %v", err)
		}
		// A disabled official's code does not work.
		code, _ := f.n.IssueEnrolment(ctx, f.n.Admin(), "fra-inv")
		if _, err := f.n.SetDisabled(ctx, f.n.Admin(), "fra-inv", true); err != nil {
			t.Fatal(err)
		}
		if _, err := f.n.Enrol(ctx, code.Code, ""); !errors.Is(err, node.ErrUserDisabled) {
			t.Errorf("Enrol for a disabled official = %v, want ErrUserDisabled", err)
		}
		if _, err := f.n.IssueEnrolment(ctx, f.n.Admin(), "fra-inv"); err == nil {
			t.Errorf("IssueEnrolment for a disabled official = nil, want a problem")
		}

		// Refusals.
		for _, bad := range []string{"", "enr_", e.Code + "a", strings.ToUpper(e.Code), "ent_" + e.Code[4:], identity.CodePrefix + strings.Repeat("a", 32)} {
			if _, err := f.n.Enrol(ctx, bad, ""); !errors.Is(err, node.ErrUnauthenticated) {
				t.Errorf("Enrol(%q) = %v, want ErrUnauthenticated", bad, err)
			}
		}
		if _, err := f.n.IssueEnrolment(ctx, fraCA, "fra-247"); !errors.Is(err, casework.ErrForbidden) {
			t.Errorf("IssueEnrolment by a central authority = %v, want ErrForbidden", err)
		}
		// Another State's official is not found, as one who does not
		// exist: a hosted State's administrator cannot enrol a home
		// State's official, nor the other way round.
		for _, tt := range []struct {
			by   casework.Actor
			user string
		}{{f.n.Admin(), "nobody"}, {f.n.AdminOf("VNM"), "fra-ca"}, {f.n.Admin(), "vnm-ca"}, {f.n.AdminOf("VNM"), "nobody"}} {
			before := len(f.auditLog(t))
			if e, err := f.n.IssueEnrolment(ctx, tt.by, tt.user); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("IssueEnrolment(%s) by %s's administrator = %+v, %v; want ErrNotFound", tt.user, tt.by.State, e, err)
			}
			if got := len(f.auditLog(t)); got != before {
				t.Errorf("a refused IssueEnrolment(%s) wrote %d audit records", tt.user, got-before)
			}
		}
		other, _ := f.n.IssueEnrolment(ctx, f.n.Admin(), "fra-aud")
		_, err = f.n.Enrol(ctx, other.Code, strings.Repeat("l", 201))
		assertProblemFields(t, "Enrol(long label)", err, "label")

		// Codes and tokens are kept only as their digests: no row, no
		// file, no audit record holds them.
		everything := dumpDatabase(t, backend, dsn)
		if backend == "sqlite" {
			everything = append(everything, dumpFiles(t, filepath.Dir(dsn))...)
		}
		for _, secret := range []string{e.Code, out.Token, old.Code, fresh.Code, f.token} {
			if tail := secret[4:]; bytes.Contains(everything, []byte(tail)) {
				t.Errorf("the database holds the secret part of %s...", secret[:8])
			}
			if !bytes.Contains(everything, []byte(identity.Digest(secret))) {
				t.Errorf("the database dump lacks the digest of %s...: the scan reads nothing", secret[:8])
			}
			// The audit log names a secret by its short id at most.
			for _, r := range f.auditLog(t) {
				if rec := append([]byte(r.Subject), r.Detail...); bytes.Contains(rec, []byte(secret[4:])) || bytes.Contains(rec, []byte(identity.Digest(secret)[:20])) {
					t.Errorf("audit record %d (%s) holds %s... or more than its short id", r.Seq, r.Action, secret[:8])
				}
			}
		}
	})
}

// The finding "nothing can be taken back": a token expires.
func TestTokenExpiry(t *testing.T) {
	eachBackend(t, func(t *testing.T, backend string) {
		ctx := t.Context()
		f := newFixture(t, backend)
		if err := f.n.SetTokenTTL(time.Minute); err == nil {
			t.Errorf("SetTokenTTL(1m) = nil, want an error: tokens live 1 h at least")
		}
		if err := f.n.SetTokenTTL(48 * time.Hour); err != nil {
			t.Fatal(err)
		}
		token, info := f.enrol(t, fraCA, "laptop")
		if !info.ExpiresAt.Equal(f.clock.Now().Add(48 * time.Hour)) {
			t.Errorf("token expires at %v, want in 48 h", info.ExpiresAt)
		}
		f.clock.Set(info.ExpiresAt.Add(-time.Second))
		if _, err := f.n.Authenticate(ctx, token); err != nil {
			t.Errorf("Authenticate a second before expiry = %v", err)
		}
		// Cached a second ago, but expired now: the cache knows expiry.
		f.clock.Set(info.ExpiresAt)
		if _, err := f.n.Authenticate(ctx, token); !errors.Is(err, node.ErrTokenExpired) {
			t.Errorf("Authenticate at expiry = %v, want ErrTokenExpired", err)
		}
		// The first administrator's token expires too, 90 days after init.
		f.clock.Set(start.Add(identity.DefaultTokenTTL))
		if _, err := f.n.Authenticate(ctx, f.token); !errors.Is(err, node.ErrTokenExpired) {
			t.Errorf("Authenticate(init token) 90 days on = %v, want ErrTokenExpired", err)
		}
	})
}

// The finding "nothing can be taken back": tokens are listed and revoked,
// by their official (the one in use included) or by an administrator of
// their State.
func TestRevokeToken(t *testing.T) {
	eachBackend(t, func(t *testing.T, backend string) {
		ctx := t.Context()
		f := newFixture(t, backend)
		laptop, laptopInfo := f.enrol(t, fraCA, "laptop")
		f.clock.Advance(time.Second)
		phone, phoneInfo := f.enrol(t, fraCA, "phone")
		_, vnmInfo := f.enrol(t, vnmCA, "laptop")

		// Last use: written on the first use, then at most once a minute.
		for _, d := range []time.Duration{0, 3 * time.Second, 30 * time.Second} {
			f.clock.Advance(d)
			if _, err := f.n.Authenticate(ctx, laptop); err != nil {
				t.Fatal(err)
			}
		}
		list, err := f.n.Tokens(ctx, fraCA, "")
		if err != nil || len(list) != 2 || list[0].ID != laptopInfo.ID || list[1].ID != phoneInfo.ID {
			t.Fatalf("Tokens(own) = %+v, %v; want laptop and phone", list, err)
		}
		if list[0].LastUsedAt == nil || !list[0].LastUsedAt.Equal(f.clock.Now().Add(-33*time.Second)) || list[1].LastUsedAt != nil {
			t.Errorf("last uses = %v, %v; want the first use of laptop 33 s ago, none of phone", list[0].LastUsedAt, list[1].LastUsedAt)
		}
		if got, err := f.n.Tokens(ctx, f.n.Admin(), "fra-ca"); err != nil || len(got) != 2 {
			t.Errorf("Tokens(fra-ca) by FRA's administrator = %d, %v; want 2", len(got), err)
		}
		if _, err := f.n.Tokens(ctx, f.n.AdminOf("VNM"), "fra-ca"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Tokens(fra-ca) by VNM's administrator = %v, want not found", err)
		}
		if _, err := f.n.Tokens(ctx, fra247, "fra-ca"); !errors.Is(err, casework.ErrForbidden) {
			t.Errorf("Tokens(fra-ca) by FRA's 24/7 = %v, want ErrForbidden", err)
		}

		// An official revokes the token in use: it stops at once.
		var got identity.Token
		log := f.auditSince(t, func() { got, err = f.n.RevokeToken(ctx, fraCA, "", laptopInfo.ID) })
		if err != nil || got.RevokedAt == nil {
			t.Fatalf("RevokeToken(own, laptop) = %+v, %v", got, err)
		}
		if a := actionsAndSubjects(log); !slices.Equal(a, []string{"token.revoke user/fra-ca"}) {
			t.Errorf("RevokeToken audit = %v, want one token.revoke", a)
		}
		if _, err := f.n.Authenticate(ctx, laptop); !errors.Is(err, node.ErrTokenRevoked) {
			t.Errorf("Authenticate(revoked token) = %v, want ErrTokenRevoked", err)
		}
		if log := f.auditSince(t, func() { _, err = f.n.RevokeToken(ctx, fraCA, "", laptopInfo.ID) }); err != nil || len(log) != 0 {
			t.Errorf("RevokeToken again = %v with %d audit records; want nil and none", err, len(log))
		}

		// Nobody revokes another State's token, nor an official another's.
		if _, err := f.n.RevokeToken(ctx, f.n.AdminOf("VNM"), "fra-ca", phoneInfo.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("RevokeToken by VNM's administrator = %v, want not found", err)
		}
		if _, err := f.n.RevokeToken(ctx, fraCA, "", vnmInfo.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("RevokeToken of vnm-ca's token by fra-ca = %v, want not found", err)
		}
		if _, err := f.n.RevokeToken(ctx, fra247, "fra-ca", phoneInfo.ID); !errors.Is(err, casework.ErrForbidden) {
			t.Errorf("RevokeToken of fra-ca's token by fra-247 = %v, want ErrForbidden", err)
		}
		// An administrator of the official's State does.
		if _, err := f.n.RevokeToken(ctx, f.n.Admin(), "fra-ca", phoneInfo.ID); err != nil {
			t.Errorf("RevokeToken by FRA's administrator = %v", err)
		}
		if _, err := f.n.Authenticate(ctx, phone); !errors.Is(err, node.ErrTokenRevoked) {
			t.Errorf("Authenticate(token revoked by the administrator) = %v, want ErrTokenRevoked", err)
		}
	})
}

// The finding "nothing can be taken back": an official is disabled, and
// their tokens stop working at once on the replica that disabled them,
// as soon as the others hear of it on PostgreSQL, and within the
// authentication cache's 2 s on SQLite, where another process (the CLI)
// is not heard.
func TestDisable(t *testing.T) {
	eachBackend(t, func(t *testing.T, backend string) {
		ctx := t.Context()
		f := newFixture(t, backend)
		token, _ := f.enrol(t, fraCA, "laptop")
		// A second replica of the node, on the same database, with its
		// own cache.
		replica, err := node.Open(ctx, f.db, f.keeper, f.clock.Now)
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range []*node.Node{f.n, replica} {
			if _, err := n.Authenticate(ctx, token); err != nil {
				t.Fatalf("Authenticate = %v", err)
			}
		}

		var u identity.User
		log := f.auditSince(t, func() { u, err = f.n.SetDisabled(ctx, f.n.Admin(), "fra-ca", true) })
		if err != nil || u.DisabledAt == nil {
			t.Fatalf("SetDisabled = %+v, %v", u, err)
		}
		if a := actionsAndSubjects(log); !slices.Equal(a, []string{"user.disable user/fra-ca"}) {
			t.Errorf("SetDisabled audit = %v, want one user.disable", a)
		}
		if _, err := f.n.Authenticate(ctx, token); !errors.Is(err, node.ErrUserDisabled) {
			t.Errorf("Authenticate on the node that disabled = %v, want ErrUserDisabled at once", err)
		}
		if backend == "postgres" {
			// The test's clock stands still: only the announcement of the
			// commit can empty the replica's cache.
			for begin := time.Now(); ; time.Sleep(5 * time.Millisecond) {
				_, err := replica.Authenticate(ctx, token)
				if errors.Is(err, node.ErrUserDisabled) {
					break
				}
				if err != nil || time.Since(begin) > 2*time.Second {
					t.Fatalf("Authenticate on the replica %v after the disabling = %v, want ErrUserDisabled within 2 s", time.Since(begin), err)
				}
			}
		} else {
			f.clock.Advance(1999 * time.Millisecond)
			if _, err := replica.Authenticate(ctx, token); err != nil {
				t.Errorf("Authenticate on the replica within the cache's 2 s = %v, want still cached", err)
			}
			f.clock.Advance(time.Millisecond)
			if _, err := replica.Authenticate(ctx, token); !errors.Is(err, node.ErrUserDisabled) {
				t.Errorf("Authenticate on the replica after 2 s = %v, want ErrUserDisabled", err)
			}
		}
		if _, err := f.n.IssueEnrolment(ctx, f.n.Admin(), "fra-ca"); err == nil {
			t.Errorf("IssueEnrolment for a disabled official = nil, want a problem")
		}

		// Enabled again, the token works again.
		log = f.auditSince(t, func() { u, err = f.n.SetDisabled(ctx, f.n.Admin(), "fra-ca", false) })
		if err != nil || u.DisabledAt != nil || len(log) != 1 || log[0].Action != "user.enable" {
			t.Errorf("enable = %+v, %v, audit %v", u, err, actionsAndSubjects(log))
		}
		if _, err := f.n.Authenticate(ctx, token); err != nil {
			t.Errorf("Authenticate after enable = %v", err)
		}

		// Refusals.
		if _, err := f.n.SetDisabled(ctx, f.n.AdminOf("VNM"), "fra-ca", true); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("SetDisabled by VNM's administrator = %v, want not found", err)
		}
		if _, err := f.n.SetDisabled(ctx, fraCA, "fra-247", true); !errors.Is(err, casework.ErrForbidden) {
			t.Errorf("SetDisabled by a central authority = %v, want ErrForbidden", err)
		}
		admin := casework.Actor{ID: "admin", State: "FRA", Role: identity.Administrator}
		_, err = f.n.SetDisabled(ctx, admin, "admin", true)
		assertProblemFields(t, "SetDisabled(self)", err, "id")
	})
}

// A disabled official on the roster is alerted no more: the alert goes to
// the next officer on duty.
func TestDisabledOfficialIsNotAlerted(t *testing.T) {
	eachBackend(t, func(t *testing.T, backend string) {
		r := newAlertRig(t, newFixture(t, backend), nil)
		r.roster(t, node.RosterInput{User: vnm247.ID, Channel: alerting.Email, Address: "first@vnm.example", Position: 1})
		r.roster(t, node.RosterInput{User: vnm247b.ID, Channel: alerting.Email, Address: "second@vnm.example", Position: 2})
		if _, err := r.n.SetDisabled(t.Context(), r.n.AdminOf("VNM"), vnm247.ID, true); err != nil {
			t.Fatal(err)
		}
		r.send(t, contents(t, convention.Preservation, "VNM"))
		r.process(t)
		if got := recipients([]alertingtest.Mail{r.smtp.Next(t)}); !slices.Equal(got, []string{"second@vnm.example"}) {
			t.Errorf("first mail to %v, want the second officer: the first is disabled", got)
		}
	})
}
