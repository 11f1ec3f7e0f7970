package evidence

import (
	"errors"
	"strconv"
	"testing"
	"time"
)

var fuzzNow = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// FuzzParseMetadata: whatever the header, ParseMetadata answers a Spec
// with a name, or an error naming a field; it never panics.
func FuzzParseMetadata(f *testing.F) {
	for _, s := range []string{
		"", "filename YS50eHQ=", "filename YS50eHQ=,filetype dGV4dC9wbGFpbg==", "filename", "filename !!!",
		"filename YQ==,filename Yg==", "colour cmVk", "filename YQ==,collected_at MjAyNi0wMy0wMVQxMDowMDowMFo=",
		"filename YQ==,retain_until MjAzMC0wMS0wMQ==", ",,,", "filename YQ== Yg==", "filename Lg==", "filename YS9i",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, header string) {
		s, err := ParseMetadata(header, fuzzNow)
		if err != nil {
			var fe *FieldError
			if !errors.As(err, &fe) || fe.Field == "" || fe.Message == "" {
				t.Fatalf("ParseMetadata(%q) = %v, want a FieldError naming a field", header, err)
			}
			return
		}
		if s.Name == "" || s.MediaType == "" {
			t.Fatalf("ParseMetadata(%q) = %+v without a name or media type", header, s)
		}
	})
}

// FuzzParseLength: a byte count is decimal digits within MaxSize, and
// nothing else.
func FuzzParseLength(f *testing.F) {
	for _, s := range []string{"0", "5", "-1", "+5", " 5", "1e3", "0x10", "99999999999999999999", "1099511627776", "1099511627777", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		n, err := ParseLength("Upload-Offset", v)
		if err != nil {
			return
		}
		if n < 0 || n > MaxSize || strconv.FormatInt(n, 10) != trimZeros(v) {
			t.Fatalf("ParseLength(%q) = %d", v, n)
		}
	})
}

func trimZeros(s string) string {
	for len(s) > 1 && s[0] == '0' {
		s = s[1:]
	}
	return s
}
