package auditlog_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"testing"
	"time"

	"entraide/internal/auditlog"
)

func TestCanonical(t *testing.T) {
	paris := time.FixedZone("CET", 3600)
	r := auditlog.Record{
		Seq:        7,
		At:         time.Date(2026, 3, 2, 10, 30, 0, 123456789, paris),
		Node:       "FRA",
		State:      "VNM",
		ActorState: "VNM",
		Actor:      "vnm-ca",
		Action:     "request.acknowledge",
		Subject:    "request/0193@VNM",
		Detail:     map[string]any{"z": 1, "a": "<é>", "m": []string{"x"}},
	}
	got, err := r.Canonical()
	if err != nil {
		t.Fatalf("Canonical() = %v", err)
	}
	// Fixed field order, UTC to the microsecond, sorted map keys, no space.
	want := `{"v":3,"at":"2026-03-02T09:30:00.123456Z","node":"FRA","state":"VNM","actor_state":"VNM","actor":"vnm-ca",` +
		`"action":"request.acknowledge","subject":"request/0193@VNM","detail":{"a":"\u003cé\u003e","m":["x"],"z":1}}`
	if string(got) != want {
		t.Errorf("Canonical() =\n%s\nwant\n%s", got, want)
	}
	for range 20 {
		again, err := r.Canonical()
		if err != nil || !bytes.Equal(again, got) {
			t.Fatalf("Canonical() is not deterministic: %s then %s", got, again)
		}
	}
	// The same instant in another zone has the same bytes.
	r.At = r.At.UTC()
	if utc, _ := r.Canonical(); !bytes.Equal(utc, got) {
		t.Errorf("Canonical() of the same instant in UTC = %s, want %s", utc, got)
	}
	if !json.Valid(got) {
		t.Errorf("Canonical() is not JSON: %s", got)
	}
}

func TestCanonicalDetails(t *testing.T) {
	type detail struct {
		B string `json:"b"`
		A int    `json:"a"`
	}
	tests := []struct {
		name   string
		detail any
		want   string
	}{
		{"nil", nil, `"detail":null}`},
		{"struct fields in their order", detail{B: "x", A: 1}, `"detail":{"b":"x","a":1}}`},
		{"raw JSON", json.RawMessage(`{"k":true}`), `"detail":{"k":true}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := auditlog.Record{Action: "x", Detail: tt.detail}.Canonical()
			if err != nil || !bytes.HasSuffix(got, []byte(tt.want)) {
				t.Errorf("Canonical() = %s, %v; want it to end %s", got, err, tt.want)
			}
		})
	}
	if _, err := (auditlog.Record{Action: "bad.detail", Detail: make(chan int)}).Canonical(); err == nil {
		t.Errorf("Canonical() of a detail JSON cannot encode = nil error, want one naming the action")
	} else if !bytes.Contains([]byte(err.Error()), []byte("bad.detail")) {
		t.Errorf("Canonical() error %q does not name the action", err)
	}
}

func TestLeafHash(t *testing.T) {
	// RFC 6962 leaf hash of the empty leaf, as every Merkle log library
	// (and Certificate Transparency) computes it.
	const empty = "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"
	if got := auditlog.LeafHash(nil); hex.EncodeToString(got[:]) != empty {
		t.Errorf("LeafHash(empty) = %x, want %s", got, empty)
	}
	for _, data := range [][]byte{[]byte("a"), []byte(`{"v":1}`), bytes.Repeat([]byte{0xff}, 1000)} {
		want := sha256.Sum256(append([]byte{0x00}, data...))
		if got := auditlog.LeafHash(data); got != want {
			t.Errorf("LeafHash(%q) = %x, want SHA-256(0x00 || data) = %x", data, got, want)
		}
		if plain := sha256.Sum256(data); auditlog.LeafHash(data) == plain {
			t.Errorf("LeafHash(%q) equals the plain SHA-256: the 0x00 prefix is missing", data)
		}
	}
}

// TestParse reads records back from their canonical bytes, and refuses
// bytes that are not a record.
func TestParse(t *testing.T) {
	r := auditlog.Record{Seq: 7, At: time.Date(2026, 3, 2, 9, 30, 0, 123456000, time.UTC), Node: "FRA", State: "VNM",
		ActorState: "VNM", Actor: "vnm-ca", Action: "request.acknowledge", Subject: "request/0193", Detail: map[string]any{"note": "ok"}}
	data, err := r.Canonical()
	if err != nil {
		t.Fatal(err)
	}
	got, err := auditlog.Parse(data)
	if err != nil {
		t.Fatalf("Parse(Canonical()) = %v", err)
	}
	if got.Seq != 0 || !got.At.Equal(r.At) || got.State != "VNM" || got.ActorState != "VNM" || got.Actor != "vnm-ca" ||
		got.Action != r.Action || got.Subject != r.Subject || string(got.Detail) != `{"note":"ok"}` || got.Version != auditlog.Version {
		t.Errorf("Parse(Canonical()) = %+v, want the record back, without a sequence number", got)
	}
	v2 := `{"v":2,"seq":7,"at":"2026-03-02T09:30:00.000000Z","node":"FRA","state":"VNM","actor_state":"FRA","actor":"cli","action":"node.init","subject":"node","detail":null}`
	if got, err := auditlog.Parse([]byte(v2)); err != nil || got.Seq != 7 || got.State != "VNM" || got.Version != 2 {
		t.Errorf("Parse(version 2) = %+v, %v; want the record with its sequence number", got, err)
	}
	v1 := `{"v":1,"seq":1,"at":"2026-03-02T09:30:00.000000Z","node":"FRA","actor_state":"FRA","actor":"cli","action":"node.init","subject":"node","detail":null}`
	if got, err := auditlog.Parse([]byte(v1)); err != nil || got.Action != "node.init" || got.State != "" {
		t.Errorf("Parse(version 1) = %+v, %v; want the record without a State", got, err)
	}
	for _, tt := range []struct{ name, data string }{
		{"not JSON", `base64?`},
		{"no version", `{"seq":1}`},
		{"a version to come", `{"v":99,"seq":1,"at":"2026-03-02T09:30:00.000000Z"}`},
		{"a time in another form", `{"v":2,"seq":1,"at":"2 March 2026"}`},
	} {
		if _, err := auditlog.Parse([]byte(tt.data)); err == nil {
			t.Errorf("Parse(%s: %s) = nil error, want one", tt.name, tt.data)
		}
	}
}
