package store_test

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"entraide/internal/identity"
	"entraide/internal/signin"
	"entraide/internal/store"
	"entraide/internal/store/storetest"
)

func TestCredentials(t *testing.T) {
	for _, backend := range storetest.Backends {
		t.Run(backend, func(t *testing.T) {
			t.Parallel()
			for _, c := range []struct {
				name string
				run  func(*testing.T, *store.DB)
			}{
				{"tokens expire, are revoked, note their last use", testTokens},
				{"officials are disabled and enabled", testDisableUser},
				{"an enrolment code is redeemed once", testEnrolments},
				{"sign-in status and a lockout cleared", testSigninStatus},
			} {
				t.Run(c.name, func(t *testing.T) {
					t.Parallel()
					db := storetest.Open(t, backend)
					insertUsers(t, db)
					c.run(t, db)
				})
			}
		})
	}
}

var (
	ana = identity.User{ID: "ana", Name: "Ana Duarte", State: "FRA", Role: identity.CentralAuthority, CreatedAt: base}
	bao = identity.User{ID: "bao", Name: "Bao Tran", State: "VNM", Role: identity.TwentyFourSeven, CreatedAt: base}
)

func insertUsers(t *testing.T, db *store.DB) {
	t.Helper()
	err := db.Tx(t.Context(), func(tx *store.Tx) error {
		for _, u := range []identity.User{ana, bao} {
			if err := tx.InsertUser(t.Context(), u); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func insertToken(t *testing.T, db *store.DB, state string, tok identity.Token) string {
	t.Helper()
	_, digest := identity.NewToken()
	tok.ID = identity.ShortID(digest)
	if err := db.Tx(t.Context(), func(tx *store.Tx) error { return tx.InsertToken(t.Context(), state, digest, tok) }); err != nil {
		t.Fatalf("InsertToken(%s of %s) = %v", tok.User, state, err)
	}
	return digest
}

func testTokens(t *testing.T, db *store.DB) {
	ctx := t.Context()
	laptop := identity.Token{User: "ana", Label: "laptop", CreatedAt: base, ExpiresAt: base.Add(90 * 24 * time.Hour), IssuedBy: "admin"}
	d1 := insertToken(t, db, "FRA", laptop)
	laptop.ID = identity.ShortID(d1)
	phone := identity.Token{User: "ana", Label: "phone", CreatedAt: base.Add(time.Hour), ExpiresAt: base.Add(2 * time.Hour)}
	d2 := insertToken(t, db, "FRA", phone)
	phone.ID = identity.ShortID(d2)

	// Another State's administrator cannot give ana a token.
	err := db.Tx(ctx, func(tx *store.Tx) error {
		return tx.InsertToken(ctx, "VNM", identity.Digest("x"), identity.Token{ID: "x", User: "ana", CreatedAt: base, ExpiresAt: base})
	})
	if !errors.Is(err, store.ErrNotFound) {
		t.Errorf("InsertToken of FRA's official as VNM = %v, want ErrNotFound", err)
	}

	u, tok, err := db.Credential(ctx, d1)
	if err != nil || u != ana || tok.ID != laptop.ID || !tok.ExpiresAt.Equal(laptop.ExpiresAt) || tok.IssuedBy != "admin" || tok.LastUsedAt != nil || tok.RevokedAt != nil {
		t.Errorf("Credential(laptop) = %+v, %+v, %v; want ana and %+v", u, tok, err, laptop)
	}

	// The last use is written at most once a minute.
	for i, at := range []time.Duration{0, 30 * time.Second, 59 * time.Second, 61 * time.Second} {
		if err := db.NoteTokenUse(ctx, d1, base.Add(at)); err != nil {
			t.Fatalf("NoteTokenUse #%d = %v", i, err)
		}
	}
	if _, tok, _ := db.Credential(ctx, d1); tok.LastUsedAt == nil || !tok.LastUsedAt.Equal(base.Add(61*time.Second)) {
		t.Errorf("last use after uses at 0, 30 s, 59 s, 61 s = %v, want base+61s (writes at 0 and 61 s only)", tok.LastUsedAt)
	}

	list, err := db.Tokens(ctx, "FRA", "ana")
	if err != nil || len(list) != 2 || list[0].ID != laptop.ID || list[1].ID != phone.ID {
		t.Errorf("Tokens(FRA, ana) = %+v, %v; want laptop then phone", list, err)
	}
	if list, err := db.Tokens(ctx, "VNM", "ana"); err != nil || len(list) != 0 {
		t.Errorf("Tokens(VNM, ana) = %+v, %v; want none: ana is FRA's", list, err)
	}

	// Revocation: once, by the official's State only.
	if _, _, _, err := revoke(t, db, "VNM", "ana", phone.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("RevokeToken as VNM = %v, want ErrNotFound", err)
	}
	if _, _, _, err := revoke(t, db, "FRA", "bao", phone.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("RevokeToken of ana's token named as bao's = %v, want ErrNotFound", err)
	}
	got, digest, revoked, err := revoke(t, db, "FRA", "ana", phone.ID)
	if err != nil || !revoked || digest != d2 || got.RevokedAt == nil || !got.RevokedAt.Equal(base.Add(3*time.Hour)) {
		t.Errorf("RevokeToken(phone) = %+v, %v, %v; want revoked at base+3h", got, revoked, err)
	}
	again, _, revoked, err := revoke(t, db, "FRA", "ana", phone.ID)
	if err != nil || revoked || !again.RevokedAt.Equal(*got.RevokedAt) {
		t.Errorf("second RevokeToken(phone) = %+v, %v, %v; want the first revocation kept", again, revoked, err)
	}
	if _, tok, _ := db.Credential(ctx, d2); tok.RevokedAt == nil {
		t.Errorf("Credential(phone) after revocation: not revoked")
	}
}

func testDisableUser(t *testing.T, db *store.DB) {
	ctx := t.Context()
	at := base.Add(time.Hour)
	set := func(state, id string, at *time.Time) (identity.User, bool, error) {
		var u identity.User
		var changed bool
		err := db.Tx(ctx, func(tx *store.Tx) error {
			var err error
			u, changed, err = tx.SetUserDisabled(ctx, state, id, at)
			return err
		})
		return u, changed, err
	}
	if _, _, err := set("VNM", "ana", &at); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("SetUserDisabled(VNM, ana) = %v, want ErrNotFound", err)
	}
	u, changed, err := set("FRA", "ana", &at)
	if err != nil || !changed || u.DisabledAt == nil || !u.DisabledAt.Equal(at) {
		t.Errorf("SetUserDisabled(FRA, ana) = %+v, %v, %v; want disabled at %v", u, changed, err, at)
	}
	later := at.Add(time.Hour)
	if u, changed, err := set("FRA", "ana", &later); err != nil || changed || !u.DisabledAt.Equal(at) {
		t.Errorf("second SetUserDisabled = %+v, %v, %v; want unchanged, disabled at %v", u, changed, err, at)
	}
	if users, err := db.Users(ctx, "FRA"); err != nil || !slices.ContainsFunc(users, func(u identity.User) bool { return u.ID == "ana" && u.DisabledAt != nil }) {
		t.Errorf("Users = %+v, %v; want ana disabled", users, err)
	}
	if u, changed, err := set("FRA", "ana", nil); err != nil || !changed || u.DisabledAt != nil {
		t.Errorf("enable = %+v, %v, %v; want enabled", u, changed, err)
	}
}

func testEnrolments(t *testing.T, db *store.DB) {
	ctx := t.Context()
	issue := func(state, user string, at time.Time) (string, int64, error) {
		_, digest := identity.NewEnrolmentCode()
		var replaced int64
		err := db.Tx(ctx, func(tx *store.Tx) error {
			var err error
			replaced, err = tx.InsertEnrolment(ctx, state, digest, identity.Enrolment{ID: identity.ShortID(digest), User: user, IssuedBy: "admin", CreatedAt: at, ExpiresAt: at.Add(24 * time.Hour)})
			return err
		})
		return digest, replaced, err
	}
	redeem := func(digest string, at time.Time) (identity.Enrolment, identity.User, error) {
		var e identity.Enrolment
		var u identity.User
		err := db.Tx(ctx, func(tx *store.Tx) error {
			var err error
			e, u, err = tx.RedeemEnrolment(ctx, digest, at)
			return err
		})
		return e, u, err
	}
	if _, _, err := issue("VNM", "ana", base); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("InsertEnrolment of FRA's official as VNM = %v, want ErrNotFound", err)
	}
	first, _, err := issue("FRA", "ana", base)
	if err != nil {
		t.Fatal(err)
	}
	second, replaced, err := issue("FRA", "ana", base.Add(time.Minute))
	if err != nil || replaced != 1 {
		t.Errorf("second InsertEnrolment = %d replaced, %v; want 1", replaced, err)
	}
	if e, _, err := redeem(first, base.Add(2*time.Minute)); err != nil || e.UsedAt != nil || base.Add(2*time.Minute).Before(e.ExpiresAt) {
		t.Errorf("redeem the replaced code = %+v, %v; want it expired", e, err)
	}
	if _, _, err := redeem(identity.Digest("enr_unknown"), base); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("redeem an unknown code = %v, want ErrNotFound", err)
	}

	// Two redemptions at once: one wins.
	var wg sync.WaitGroup
	results := make([]identity.Enrolment, 8)
	for i := range results {
		wg.Go(func() {
			e, u, err := redeem(second, base.Add(time.Hour))
			if err != nil || u.ID != "ana" || e.IssuedBy != "admin" {
				t.Errorf("redeem #%d = %+v, %+v, %v", i, e, u, err)
			}
			results[i] = e
		})
	}
	wg.Wait()
	fresh := 0
	for _, e := range results {
		if e.UsedAt == nil {
			fresh++
		}
	}
	if fresh != 1 {
		t.Errorf("%d of %d concurrent redemptions found the code unused, want 1", fresh, len(results))
	}
}

// revoke revokes a token at base+3h in a transaction of its own.
func revoke(t *testing.T, db *store.DB, state, user, id string) (tok identity.Token, digest string, revoked bool, err error) {
	t.Helper()
	err = db.Tx(t.Context(), func(tx *store.Tx) error {
		var err error
		tok, digest, revoked, err = tx.RevokeToken(t.Context(), state, user, id, base.Add(3*time.Hour))
		return err
	})
	return tok, digest, revoked, err
}

func testSigninStatus(t *testing.T, db *store.DB) {
	ctx := t.Context()
	locked := base.Add(time.Hour)
	err := db.Tx(ctx, func(tx *store.Tx) error {
		c := signin.Credential{User: "ana", State: "FRA", PasswordHash: "h", TOTPSecret: "s", CreatedAt: base, UpdatedAt: base}
		if err := tx.PutSigninCredential(ctx, "FRA", c); err != nil {
			return err
		}
		c.Failures, c.LockedUntil = signin.MaxFailures, locked
		if err := tx.NoteSignin(ctx, "FRA", c); err != nil {
			return err
		}
		for i, at := range []time.Time{base.Add(time.Minute), base.Add(2 * time.Minute)} {
			s := signin.Session{ID: fmt.Sprint("s", i), User: "ana", State: "FRA", CreatedAt: at, ExpiresAt: at.Add(time.Hour)}
			if err := tx.InsertSession(ctx, "FRA", fmt.Sprint("digest", i), s); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	got, err := db.SigninStatuses(ctx, "FRA")
	last := base.Add(2 * time.Minute)
	want := map[string]store.SigninStatus{"ana": {Enrolled: true, LastSignin: &last, Failures: signin.MaxFailures, LockedUntil: locked}}
	if err != nil {
		t.Fatalf("SigninStatuses(FRA) = %v", err)
	}
	assertSameJSON(t, "SigninStatuses(FRA)", got, want)
	if got, err := db.SigninStatuses(ctx, "VNM"); err != nil || len(got) != 0 {
		t.Errorf("SigninStatuses(VNM) = %v, %v; want none: bao never enrolled, and ana is not of VNM", got, err)
	}
	for i, wantChanged := range []bool{true, false} {
		var changed bool
		err := db.Tx(ctx, func(tx *store.Tx) (err error) {
			changed, err = tx.ResetSigninFailures(ctx, "FRA", "ana", base.Add(3*time.Minute))
			return err
		})
		if err != nil || changed != wantChanged {
			t.Errorf("ResetSigninFailures #%d = %v, %v; want %v", i+1, changed, err, wantChanged)
		}
	}
	if s, _ := db.SigninStatuses(ctx, "FRA"); s["ana"].Failures != 0 || !s["ana"].LockedUntil.IsZero() {
		t.Errorf("after the reset: %+v, want no failures and no lockout", s["ana"])
	}
	for _, c := range []struct{ state, user string }{{"VNM", "ana"}, {"VNM", "bao"}} {
		err := db.Tx(ctx, func(tx *store.Tx) error { _, err := tx.ResetSigninFailures(ctx, c.state, c.user, base); return err })
		if !errors.Is(err, store.ErrNotFound) {
			t.Errorf("ResetSigninFailures(%s, %s) = %v, want ErrNotFound", c.state, c.user, err)
		}
	}
}
