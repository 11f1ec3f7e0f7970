package signin

import (
	"crypto/subtle"
	"encoding/base32"
	"net/url"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
)

// TOTP follows RFC 6238 as authenticator apps read it by default: SHA-1,
// six digits, a 30-second step. One step either side is accepted, for a
// phone's clock a little off.
var totpOpts = totp.ValidateOpts{Period: 30, Skew: 0, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1}

const totpPeriod = 30

// Issuer names the node in an authenticator app.
const Issuer = "Entraide"

// NewTOTP returns a fresh TOTP secret (160 bits, base32) for account on
// the node of issuer, and its otpauth:// URI for an authenticator app.
func NewTOTP(issuer, account string) (secret, uri string, err error) {
	k, err := totp.Generate(totp.GenerateOpts{Issuer: issuer, AccountName: account, SecretSize: 20})
	if err != nil {
		return "", "", err
	}
	return k.Secret(), TOTPURI(issuer, account, k.Secret()), nil
}

// TOTPURI returns the otpauth:// URI of secret for account, as
// authenticator apps read it (Key Uri Format).
func TOTPURI(issuer, account, secret string) string {
	v := url.Values{}
	v.Set("secret", secret)
	v.Set("issuer", issuer)
	v.Set("algorithm", "SHA1")
	v.Set("digits", "6")
	v.Set("period", "30")
	return (&url.URL{Scheme: "otpauth", Host: "totp", Path: "/" + issuer + ":" + account, RawQuery: v.Encode()}).String()
}

// CheckTOTPSecret reports whether secret is one NewTOTP could have made:
// base32 without padding, of 160 bits.
func CheckTOTPSecret(secret string) bool {
	b, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(secret)
	return err == nil && len(b) == 20
}

// MatchTOTP returns the time step code is the code of, at now or one step
// either side, and whether it is one. A step at or before after (the last
// one accepted) does not match, so that a code seen over a shoulder or
// replayed works no more.
func MatchTOTP(secret, code string, now time.Time, after int64) (int64, bool) {
	code = strings.ReplaceAll(strings.TrimSpace(code), " ", "")
	if len(code) != 6 || !CheckTOTPSecret(secret) {
		return 0, false
	}
	step := now.Unix() / totpPeriod
	for _, s := range []int64{step - 1, step, step + 1} {
		if s <= after {
			continue
		}
		want, err := totp.GenerateCodeCustom(secret, time.Unix(s*totpPeriod, 0), totpOpts)
		if err == nil && subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 {
			return s, true
		}
	}
	return 0, false
}

// TOTPCode returns the code of secret at t, as an authenticator app shows
// it.
func TOTPCode(secret string, t time.Time) (string, error) {
	return totp.GenerateCodeCustom(secret, t, totpOpts)
}
