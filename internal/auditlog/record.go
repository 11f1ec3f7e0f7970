// Package auditlog defines the node's audit record: one per state change,
// written in the same transaction as the change, append-only and ordered.
// Each record has canonical bytes that never change once written, and an
// RFC 6962 leaf hash over them, so that the records can become the leaves
// of a Merkle log whose checkpoints other nodes cosign.
package auditlog

import (
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"time"
)

// Version is the version of the canonical encoding. A record keeps the
// version it was written with; a new encoding gets a new number. Version 2
// added the State whose view a record belongs to; version 3 dropped the
// sequence number, as a record's place in the log is now given when the
// log integrates it, after its transaction commits. Records of versions 1
// and 2 keep their bytes, and so their leaf hashes.
const Version = 3

// Record is one entry of the audit log.
type Record struct {
	// Seq is the record's row number in the node's database. Records of
	// versions 1 and 2 carry it in their canonical bytes; from version 3
	// a record's place is its leaf index in the Merkle log.
	Seq  int64
	At   time.Time // when the change was committed, UTC
	Node string    // the State whose node wrote the record
	// State is the State whose view the record belongs to, and whose
	// auditors alone read it: the State of the request, official, roster
	// line or alert it is about, or the node's home State for what the
	// node shares (keys, peers, treaty records, federation).
	State string
	// ActorState is the State of the official who acted.
	ActorState string
	Actor      string // the official's id, or "system" or "cli"
	Action     string // what happened, e.g. "request.send"
	Subject    string // what it happened to, e.g. "request/0193..."
	// Detail is what changed, as JSON. It must hold no secret.
	Detail any
}

// canonical fixes the order and names of the encoded fields of versions
// 1 and 2, and is what Parse reads.
type canonical struct {
	V          int             `json:"v"`
	Seq        int64           `json:"seq"`
	At         string          `json:"at"`
	Node       string          `json:"node"`
	State      string          `json:"state"`
	ActorState string          `json:"actor_state"`
	Actor      string          `json:"actor"`
	Action     string          `json:"action"`
	Subject    string          `json:"subject"`
	Detail     json.RawMessage `json:"detail"`
}

// Canonical returns the bytes that identify r: JSON with a fixed field
// order, times in UTC with microseconds, and no insignificant space. The
// detail is encoded by encoding/json, whose output for a given value is
// deterministic (struct fields in order, map keys sorted).
func (r Record) Canonical() ([]byte, error) {
	detail, err := json.Marshal(r.Detail)
	if err != nil {
		return nil, fmt.Errorf("audit detail of %s: %w", r.Action, err)
	}
	return json.Marshal(canonical3{
		V: Version, At: r.At.UTC().Format(TimeFormat), Node: r.Node, State: r.State,
		ActorState: r.ActorState, Actor: r.Actor, Action: r.Action, Subject: r.Subject, Detail: detail,
	})
}

// canonical3 is canonical without the sequence number, which a record
// written before the log integrates it cannot know.
type canonical3 struct {
	V          int             `json:"v"`
	At         string          `json:"at"`
	Node       string          `json:"node"`
	State      string          `json:"state"`
	ActorState string          `json:"actor_state"`
	Actor      string          `json:"actor"`
	Action     string          `json:"action"`
	Subject    string          `json:"subject"`
	Detail     json.RawMessage `json:"detail"`
}

// TimeFormat is how the log writes times: fixed width, so that they sort.
const TimeFormat = "2006-01-02T15:04:05.000000Z"

// LeafHash returns the RFC 6962 hash of a leaf: SHA-256(0x00 || data).
func LeafHash(data []byte) [32]byte {
	h := sha256.New()
	h.Write([]byte{0})
	h.Write(data)
	var sum [32]byte
	h.Sum(sum[:0])
	return sum
}

// Parsed is a record read back from its canonical bytes, for reading: its
// detail stays the JSON it was written as.
type Parsed struct {
	Version    int
	Seq        int64 // 0 from version 3, whose bytes hold none
	At         time.Time
	Node       string
	State      string
	ActorState string
	Actor      string
	Action     string
	Subject    string
	Detail     json.RawMessage
}

// Parse reads a record's canonical bytes, of any version so far (version 1
// has no State, version 3 no sequence number). It returns an error for bytes that are not a record.
func Parse(data []byte) (Parsed, error) {
	var c canonical
	if err := json.Unmarshal(data, &c); err != nil {
		return Parsed{}, fmt.Errorf("not an audit record: %w", err)
	}
	if c.V < 1 || c.V > Version {
		return Parsed{}, fmt.Errorf("audit record of version %d: this build reads versions 1 to %d", c.V, Version)
	}
	at, err := time.Parse(TimeFormat, c.At)
	if err != nil {
		return Parsed{}, fmt.Errorf("audit record of %s: time %q: %w", c.Action, c.At, err)
	}
	return Parsed{Version: c.V, Seq: c.Seq, At: at, Node: c.Node, State: c.State, ActorState: c.ActorState,
		Actor: c.Actor, Action: c.Action, Subject: c.Subject, Detail: c.Detail}, nil
}
