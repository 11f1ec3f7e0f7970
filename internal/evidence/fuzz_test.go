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
		"filename YQ==,retain_until MjAzMC0wMS0wMQ==", ",,,",
		// Personal data (art. 36): yes, traffic, suspect; yes, without categories; maybe.
		"filename YQ==,personal_data eWVz,data_categories dHJhZmZpYw==,persons_concerned c3VzcGVjdA==",
		"filename YQ==,personal_data eWVz", "filename YQ==,personal_data bWF5YmU=", "filename YQ== Yg==", "filename Lg==", "filename YS9i",
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

// FuzzTransferMessages: whatever a peer's payload, the parsers of the
// evidence messages answer a message within their limits or an error.
func FuzzTransferMessages(f *testing.F) {
	id := "01a22cf5-ae6f-7dba-8d5a-83ec7939b16a"
	sum := "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
	for _, s := range []string{
		`{"request":"` + id + `","item":"` + id + `","name":"a.txt","media_type":"text/plain","size":5,"sha256":"` + sum + `","collection":{}}`,
		`{"request":"` + id + `","item":"` + id + `","name":"a.txt","media_type":"text/plain","size":5,"sha256":"` + sum + `","collection":{},"conditions":[{"kind":"no_onward_transfer"},{"kind":"retain_until","until":"2030-01-01"}]}`,
		`{"request":"` + id + `","item":"` + id + `","name":"a.txt","media_type":"text/plain","size":5,"sha256":"` + sum + `","collection":{},"conditions":[{"kind":"retain_until"}]}`,
		`{"id":"` + id + `","request":"` + id + `","items":["` + id + `"],"use":{"to_state":"ZAF"},"reasons":"a joint investigation"}`,
		`{"id":"` + id + `","request":"` + id + `","granted":true,"reasons":"for the trial","conditions":[{"kind":"confidential"}]}`,
		`{"request":"` + id + `","item":"` + id + `","offset":0,"data":"aGVsbG8="}`,
		`{"request":"` + id + `","item":"` + id + `","name":"a.txt","media_type":"text/plain","size":5,"sha256":"` + sum + `","collection":{},"personal_data":{"carried":true,"categories":["traffic"],"persons":["suspect"]}}`,
		`{"request":"` + id + `","item":"` + id + `","name":"a.txt","media_type":"text/plain","size":5,"sha256":"` + sum + `","collection":{},"personal_data":{"carried":true,"categories":["shoe_size"]}}`,
		`{"request":"` + id + `","item":"` + id + `","ok":true,"size":5,"sha256":"` + sum + `"}`,
		`{"request":"` + id + `","item":"` + id + `","offset":0,"length":5}`,
		`{}`, `[]`, `{"request":1}`, `{"request":"x","item":"y","size":-1}`, `{"data":"!!"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if o, err := ParseOffer(data); err == nil {
			if o.Size < 0 || o.Size > MaxSize || len(o.SHA256) != 64 || o.Name == "" || len(o.Conditions.Validate("conditions")) > 0 {
				t.Fatalf("ParseOffer accepted %+v", o)
			}
		}
		if a, err := ParseConsentAsk(data); err == nil {
			if len(a.Items) == 0 || len(a.Items) > MaxConsentItems || (a.Use.ToState == "") == (a.Use.Proceedings == "") {
				t.Fatalf("ParseConsentAsk accepted %+v", a)
			}
		}
		if a, err := ParseConsentAnswer(data); err == nil && len(a.Conditions.Validate("conditions")) > 0 {
			t.Fatalf("ParseConsentAnswer accepted %+v", a)
		}
		if c, err := ParseChunk(data); err == nil {
			if c.Offset < 0 || len(c.Data) == 0 || len(c.Data) > ChunkSize {
				t.Fatalf("ParseChunk accepted offset %d, %d bytes", c.Offset, len(c.Data))
			}
		}
		if r, err := ParseChunkRef(data); err == nil && (r.Length <= 0 || r.Length > ChunkSize || r.Offset < 0) {
			t.Fatalf("ParseChunkRef accepted %+v", r)
		}
		if r, err := ParseResult(data); err == nil && r.Size < 0 {
			t.Fatalf("ParseResult accepted %+v", r)
		}
	})
}

// FuzzParseCustody: whatever a peer sends as its custody of an item,
// ParseCustody answers a message within its limits or an error; it never
// panics, and what it accepts Verify judges without panicking.
func FuzzParseCustody(f *testing.F) {
	id := "01a22d6d-7ccd-75fd-b366-04a124adefde"
	for _, s := range []string{
		`{}`, `{"request":"` + id + `","item":"` + id + `","checkpoint":"YQ==","records":[{"record":"e30=","leaf_index":0,"proof":[]}]}`,
		`{"request":"` + id + `","item":"` + id + `","checkpoint":"YQ==","records":[{"record":"e30=","leaf_index":-1,"proof":["YQ=="]}]}`,
		`{"request":"x","item":"y","checkpoint":"","records":[]}`, `{"request":"` + id + `","extra":1}`, `[]`, `null`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := ParseCustody(data)
		if err != nil {
			return
		}
		if len(c.Records) == 0 || len(c.Records) > MaxCustodyRecords || len(c.Checkpoint) == 0 {
			t.Fatalf("ParseCustody(%q) accepted %d records and a checkpoint of %d bytes", data, len(c.Records), len(c.Checkpoint))
		}
		if _, err := c.Verify("example.org/log+12345678+AQgLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4v", "FRA", ""); err == nil {
			t.Fatalf("Verify of %q with an unrelated key succeeded", data)
		}
	})
}

// FuzzParseUseReport: whatever a peer answers as its use report,
// ParseUseReport returns a report within its limits or an error; it
// never panics, and what it accepts Verify judges without panicking and
// refuses under a key that signed nothing.
func FuzzParseUseReport(f *testing.F) {
	id := "01a22d6d-7ccd-75fd-b366-04a124adefde"
	entry := `{"record":"e30=","leaf_index":0,"proof":[],"role":"auditor"}`
	for _, s := range []string{
		`{}`, `[]`, `null`,
		`{"ask":"` + id + `","request":"` + id + `","checkpoint":"YQ==","items":[{"item":"` + id + `","origin_item":"` + id + `","entries":[` + entry + `]}]}`,
		`{"ask":"` + id + `","request":"` + id + `","checkpoint":"YQ==","items":[{"item":"` + id + `","origin_item":"` + id + `","entries":[],"omitted":-1}]}`,
		`{"ask":"` + id + `","request":"` + id + `","checkpoint":"YQ==","items":[{"item":"` + id + `","origin_item":"` + id + `","entries":[{"record":"e30=","leaf_index":-1,"proof":["YQ=="],"role":"a\u0000"}]}]}`,
		`{"ask":"` + id + `","request":"` + id + `","checkpoint":"","items":[],"extra":1}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := ParseUseReport(data)
		if err != nil {
			return
		}
		total := 0
		for _, it := range r.Items {
			total += len(it.Entries)
		}
		if len(r.Items) == 0 || len(r.Items) > MaxUseItems || total > MaxUseEntries || len(r.Checkpoint) == 0 {
			t.Fatalf("ParseUseReport(%q) accepted %d items, %d entries and a checkpoint of %d bytes", data, len(r.Items), total, len(r.Checkpoint))
		}
		ask := UseAsk{ID: r.Ask, Request: r.Request}
		if _, err := r.Verify(ask, "example.org/log+12345678+AQgLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4v", "FRA", "VNM", func(string) bool { return true }); err == nil {
			t.Fatalf("Verify of %q with an unrelated key succeeded", data)
		}
	})
}

// FuzzParseUseAsk: a question from a peer is read strictly, or refused.
func FuzzParseUseAsk(f *testing.F) {
	id := "01a22d6d-7ccd-75fd-b366-04a124adefde"
	for _, s := range []string{`{}`, `{"id":"` + id + `","request":"` + id + `"}`, `{"id":"` + id + `","request":"` + id + `","item":"` + id + `"}`, `{"id":1}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		a, err := ParseUseAsk(data)
		if err == nil && (len(a.ID) != 36 || len(a.Request) != 36 || a.Item != "" && len(a.Item) != 36) {
			t.Fatalf("ParseUseAsk(%q) accepted %+v", data, a)
		}
	})
}

// FuzzParseWithin: how far ahead the report of expiring evidence looks
// is 1 to 3660 days, and nothing else.
func FuzzParseWithin(f *testing.F) {
	for _, s := range []string{"30d", "30", "0d", "3661d", "1w", "", "d", "-1", "0030d", "99999d"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseWithin(s)
		if err != nil {
			var fe *FieldError
			if !errors.As(err, &fe) || fe.Field != "within" {
				t.Fatalf("ParseWithin(%q) = %v, want a FieldError on within", s, err)
			}
			return
		}
		if days := d.Hours() / 24; days < 1 || days > 3660 || d%(24*time.Hour) != 0 {
			t.Fatalf("ParseWithin(%q) = %v: not a whole number of days from 1 to 3660", s, d)
		}
	})
}
