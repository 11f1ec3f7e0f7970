package evidence

import (
	"encoding/base64"
	"fmt"
	"mime"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"entraide/internal/convention"
)

// Limits on what an upload declares.
const (
	// MaxMetadataBytes bounds the Upload-Metadata header.
	MaxMetadataBytes = 8 << 10
	// MaxMetadataEntries bounds its entries.
	MaxMetadataEntries = 32
	// MaxValueBytes bounds one decoded value.
	MaxValueBytes = 1024
	// MaxSize bounds one item: 1 TiB.
	MaxSize int64 = 1 << 40
)

// Spec is what an official declares when an upload begins.
type Spec struct {
	Name        string
	MediaType   string
	Collection  Collection
	RetainUntil *time.Time
	// PersonalData marks the personal data the item carries (art. 36),
	// or is nil when the upload does not say.
	PersonalData *convention.PersonalData
}

// FieldError is a problem with one declared field.
type FieldError struct {
	Field   string
	Message string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Message }

func fieldErr(field, format string, args ...any) *FieldError {
	return &FieldError{Field: field, Message: fmt.Sprintf(format, args...)}
}

// The Upload-Metadata keys an upload takes: filename (or name) and
// filetype (or type) as standard tus clients send them, and the
// collection's.
var metadataKeys = map[string]string{
	"filename": "the file's name", "name": "the file's name",
	"filetype": "its media type", "type": "its media type",
	"collected_by": "who collected it", "collected_where": "where",
	"collected_at": "when, RFC 3339", "source": "from what", "tool": "with what tool",
	"retain_until":  "the day it is disposed of, YYYY-MM-DD",
	"personal_data": "yes or no", "data_categories": "comma-separated categories of personal data",
	"persons_concerned": "comma-separated categories of persons",
	// Sent by some standard clients; ignored.
	"relativePath": "", "lastModified": "",
}

// KnownKeys lists the metadata keys ParseMetadata takes, for messages.
func KnownKeys() string {
	return "filename, filetype, collected_by, collected_where, collected_at, source, tool, retain_until, personal_data, data_categories, persons_concerned"
}

// ParseMetadata reads a tus Upload-Metadata header (comma-separated
// "key base64(value)" pairs) into a Spec. It is strict: a key it does not
// know, a key given twice, a value that is not base64 or not UTF-8 text,
// or one past the limits is an error naming the key. A file name is
// required; the media type defaults to application/octet-stream.
func ParseMetadata(header string, now time.Time) (Spec, error) {
	var s Spec
	if len(header) > MaxMetadataBytes {
		return s, fieldErr("Upload-Metadata", "%d bytes: at most %d", len(header), MaxMetadataBytes)
	}
	values := map[string]string{}
	if strings.TrimSpace(header) != "" {
		entries := strings.Split(header, ",")
		if len(entries) > MaxMetadataEntries {
			return s, fieldErr("Upload-Metadata", "%d entries: at most %d", len(entries), MaxMetadataEntries)
		}
		for _, e := range entries {
			key, value, err := parseEntry(strings.TrimSpace(e))
			if err != nil {
				return s, err
			}
			if _, dup := values[key]; dup {
				return s, fieldErr(key, "given twice in Upload-Metadata")
			}
			values[key] = value
		}
	}
	pick := func(keys ...string) (string, string) {
		for _, k := range keys {
			if v, ok := values[k]; ok {
				return k, v
			}
		}
		return keys[0], ""
	}
	field, name := pick("filename", "name")
	name = strings.TrimSpace(name)
	switch {
	case name == "":
		return s, fieldErr("filename", "required: the file's name, as base64 in Upload-Metadata (the CLI sends it)")
	case strings.ContainsAny(name, "/\\"):
		return s, fieldErr(field, "%q: give the file's name without its directory", name)
	case name == "." || name == "..":
		return s, fieldErr(field, "%q is not a file's name", name)
	}
	s.Name = name
	field, mt := pick("filetype", "type")
	if mt == "" {
		mt = "application/octet-stream"
	}
	if _, _, err := mime.ParseMediaType(mt); err != nil {
		return s, fieldErr(field, "%q is not a media type (e.g. image/jpeg, application/pdf)", mt)
	}
	s.MediaType = mt
	c := Collection{By: values["collected_by"], Where: values["collected_where"], Source: values["source"], Tool: values["tool"]}
	if at := values["collected_at"]; at != "" {
		t, err := time.Parse(time.RFC3339, at)
		if err != nil {
			return s, fieldErr("collected_at", "%q: give a time in RFC 3339, e.g. 2026-03-02T08:30:00Z", at)
		}
		if t.After(now.Add(time.Hour)) {
			return s, fieldErr("collected_at", "%s is in the future", t.UTC().Format(time.RFC3339))
		}
		t = t.UTC()
		c.When = &t
	}
	s.Collection = c
	if d := values["retain_until"]; d != "" {
		t, err := ParseRetention(d, now)
		if err != nil {
			return s, err
		}
		s.RetainUntil = &t
	}
	pd, ps := convention.ParsePersonalData("personal_data", values["personal_data"], values["data_categories"], values["persons_concerned"])
	if len(ps) > 0 {
		return s, &FieldError{Field: ps[0].Field, Message: ps[0].Message + " (" + ps[0].Ref.Cite() + ")"}
	}
	s.PersonalData = pd
	return s, nil
}

func parseEntry(e string) (key, value string, err error) {
	if e == "" {
		return "", "", fieldErr("Upload-Metadata", "an empty entry: give key base64value pairs separated by commas")
	}
	key, encoded, hasValue := strings.Cut(e, " ")
	if _, ok := metadataKeys[key]; !ok {
		if !utf8.ValidString(key) || len(key) > 64 {
			key = "(unreadable key)"
		}
		return "", "", fieldErr("Upload-Metadata", "unknown key %q: this node takes %s", key, KnownKeys())
	}
	if !hasValue {
		return key, "", nil
	}
	if strings.Contains(encoded, " ") {
		return "", "", fieldErr(key, "more than one value: give key base64value")
	}
	if base64.StdEncoding.DecodedLen(len(encoded)) > MaxValueBytes+3 {
		return "", "", fieldErr(key, "longer than %d bytes", MaxValueBytes)
	}
	raw, err := base64.StdEncoding.Strict().DecodeString(encoded)
	if err != nil {
		return "", "", fieldErr(key, "not standard base64: encode the value, e.g. echo -n VALUE | base64")
	}
	if len(raw) > MaxValueBytes {
		return "", "", fieldErr(key, "longer than %d bytes", MaxValueBytes)
	}
	if !utf8.Valid(raw) {
		return "", "", fieldErr(key, "not UTF-8 text")
	}
	for _, r := range string(raw) {
		if unicode.IsControl(r) {
			return "", "", fieldErr(key, "holds a control character: give one line of text")
		}
	}
	return key, string(raw), nil
}

// ParseRetention reads a retention date, YYYY-MM-DD, which must be after
// now's day: an item is disposed of from that day on.
func ParseRetention(d string, now time.Time) (time.Time, error) {
	t, err := time.Parse(time.DateOnly, d)
	if err != nil {
		return t, fieldErr("retain_until", "%q: give a date, YYYY-MM-DD", d)
	}
	if !t.After(now) {
		return t, fieldErr("retain_until", "%s is not after today: give a later day, or dispose of the item now", d)
	}
	return t, nil
}

// ParseLength reads a byte count from a header (Upload-Length,
// Upload-Offset): decimal digits only, at most MaxSize.
func ParseLength(header, value string) (int64, error) {
	if value == "" {
		return 0, fieldErr(header, "required: the number of bytes, in decimal")
	}
	if len(value) > 19 || strings.TrimLeft(value, "0123456789") != "" {
		return 0, fieldErr(header, "%.40q: give a number of bytes, in decimal digits", value)
	}
	n, err := strconv.ParseInt(value, 10, 64)
	if err != nil || n > MaxSize {
		return 0, fieldErr(header, "%s: at most %d bytes (1 TiB)", value, MaxSize)
	}
	return n, nil
}
