package alerting

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Webhook headers. A receiver checks SignatureHeader with Verify and drops
// a DeliveryHeader it has seen: a notification retried after a lost answer
// is sent again with the same id.
const (
	SignatureHeader = "Entraide-Signature"
	DeliveryHeader  = "Entraide-Delivery"
	AlertHeader     = "Entraide-Alert"
)

// DefaultTolerance is how far from the receiver's clock a signature's time
// may be before Verify refuses it as a replay.
const DefaultTolerance = 5 * time.Minute

// maxSignatureHeader bounds the header Verify reads.
const maxSignatureHeader = 1024

// Sign returns the SignatureHeader value of body sent at t:
// "t=<unix seconds>,v1=<hex HMAC-SHA256>", the MAC keyed with secret and
// taken over the decimal time, a dot, and the body. The time is under the
// MAC so that a receiver can refuse an old message replayed.
func Sign(secret []byte, t time.Time, body []byte) string {
	return fmt.Sprintf("t=%d,v1=%x", t.Unix(), mac(secret, t.Unix(), body))
}

func mac(secret []byte, unix int64, body []byte) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(strconv.FormatInt(unix, 10)))
	m.Write([]byte{'.'})
	m.Write(body)
	return m.Sum(nil)
}

// Errors of Verify.
var (
	ErrSignatureFormat = errors.New("malformed signature header")
	ErrSignature       = errors.New("signature does not match")
	ErrSignatureTime   = errors.New("signature time outside the tolerance")
)

// ParseSignature reads a SignatureHeader value: one t, the time in unix
// seconds, and one or more v1, each a hex HMAC-SHA256 (more than one while
// a secret is being replaced). Anything else, a key repeated or missing,
// or a header over 1 KiB is ErrSignatureFormat.
func ParseSignature(header string) (t time.Time, macs [][]byte, err error) {
	if len(header) > maxSignatureHeader {
		return t, nil, fmt.Errorf("%w: longer than %d bytes", ErrSignatureFormat, maxSignatureHeader)
	}
	seenT := false
	for _, part := range strings.Split(header, ",") {
		k, v, ok := strings.Cut(part, "=")
		switch {
		case !ok:
			return t, nil, fmt.Errorf("%w: %q is not key=value", ErrSignatureFormat, part)
		case k == "t":
			if seenT {
				return t, nil, fmt.Errorf("%w: t given twice", ErrSignatureFormat)
			}
			seenT = true
			if v == "" || len(v) > 12 || strings.Trim(v, "0123456789") != "" {
				return t, nil, fmt.Errorf("%w: t=%q is not a time in unix seconds", ErrSignatureFormat, v)
			}
			n, _ := strconv.ParseInt(v, 10, 64)
			t = time.Unix(n, 0).UTC()
		case k == "v1":
			b, err := hex.DecodeString(v)
			if err != nil || len(b) != sha256.Size || strings.ToLower(v) != v {
				return t, nil, fmt.Errorf("%w: v1 is not %d lower-case hex digits", ErrSignatureFormat, 2*sha256.Size)
			}
			macs = append(macs, b)
		default:
			return t, nil, fmt.Errorf("%w: unknown key %q", ErrSignatureFormat, k)
		}
	}
	if !seenT || len(macs) == 0 {
		return t, nil, fmt.Errorf("%w: want both t and v1", ErrSignatureFormat)
	}
	return t, macs, nil
}

// Verify checks the SignatureHeader value header of body against secret,
// as received at now. It returns nil only when a v1 matches, compared in
// constant time, and the signature's time is within tolerance of now
// (DefaultTolerance if tolerance <= 0).
func Verify(secret []byte, header string, body []byte, now time.Time, tolerance time.Duration) error {
	t, macs, err := ParseSignature(header)
	if err != nil {
		return err
	}
	if tolerance <= 0 {
		tolerance = DefaultTolerance
	}
	if d := now.Sub(t); d > tolerance || d < -tolerance {
		return fmt.Errorf("%w: signed at %s, received at %s", ErrSignatureTime, t.Format(time.RFC3339), now.UTC().Format(time.RFC3339))
	}
	want := mac(secret, t.Unix(), body)
	for _, m := range macs {
		if hmac.Equal(m, want) {
			return nil
		}
	}
	return ErrSignature
}
