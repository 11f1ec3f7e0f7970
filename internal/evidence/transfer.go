package evidence

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"time"

	"entraide/internal/convention"
)

// ChunkSize is how many bytes of an item one message between nodes
// carries: well within an envelope's payload.
const ChunkSize = 1 << 20

// More custody actions, for items that travel between the two States of
// a request.
const (
	ActionTransfer        = "evidence.transfer"         // the holder queued the item for the other State
	ActionTransferred     = "evidence.transferred"      // the other State received it whole, with the same SHA-256
	ActionTransferRefused = "evidence.transfer_refused" // the other State refused it: what arrived did not match
	ActionIncoming        = "evidence.incoming"         // the other State began to send it
	ActionReceived        = "evidence.received"         // every byte arrived, with the size and SHA-256 announced
	ActionRefused         = "evidence.refused"          // what arrived did not match what was announced
)

// Refused is the status of an item received from the other State whose
// bytes did not match what it announced: they are deleted.
const Refused Status = "refused"

// Origin names, for an item received from the other State, that State
// and the item's id on its node.
type Origin struct {
	State string `json:"state"`
	Item  string `json:"item"`
}

// Offer announces an item to the other State of its request: what its
// bytes must be once they have all arrived.
type Offer struct {
	Request    string     `json:"request"`
	Item       string     `json:"item"`
	Name       string     `json:"name"`
	MediaType  string     `json:"media_type"`
	Size       int64      `json:"size"`
	SHA256     string     `json:"sha256"`
	Collection Collection `json:"collection"`
	// RetainUntil is the sender's retention date of the item, which the
	// receiver's copy keeps (art. 36): what is given is kept no longer
	// than the giving State keeps it, unless the receiver sets another.
	RetainUntil *time.Time `json:"retain_until,omitempty"`
	// PersonalData is the sender's marking of the personal data the
	// item carries (art. 36), which the receiver's copy keeps.
	PersonalData *convention.PersonalData `json:"personal_data,omitempty"`
	// Conditions bind the item at the receiver from its arrival: those the
	// sender set on it, and those of the answer covering it (art. 40(19),
	// (20), (27), art. 36). Conditions set later on the answer reach the
	// items already sent through the answer's own event.
	Conditions convention.Conditions `json:"conditions,omitempty"`
}

// Chunk carries bytes of an offered item, from Offset.
type Chunk struct {
	Request string `json:"request"`
	Item    string `json:"item"`
	Offset  int64  `json:"offset"`
	Data    []byte `json:"data"`
}

// ChunkRef is what the sender's outbox keeps of a chunk: where its bytes
// are in the vault, read when the message is sent, never copied.
type ChunkRef struct {
	Request string `json:"request"`
	Item    string `json:"item"`
	Offset  int64  `json:"offset"`
	Length  int64  `json:"length"`
}

// Result tells the sender whether its item arrived whole.
type Result struct {
	Request string `json:"request"`
	Item    string `json:"item"` // the sender's id
	OK      bool   `json:"ok"`
	Size    int64  `json:"size"`   // the bytes that arrived
	SHA256  string `json:"sha256"` // their SHA-256
	Reason  string `json:"reason,omitempty"`
}

var (
	idPattern  = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)
	sumPattern = regexp.MustCompile(`^[0-9a-f]{64}$`)
)

// decodeStrict reads exactly one JSON value of the known fields.
func decodeStrict(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return fmt.Errorf("data after the message")
	}
	return nil
}

func checkIDs(request, item string) error {
	if !idPattern.MatchString(request) {
		return fmt.Errorf("request: want a lower-case UUID")
	}
	if !idPattern.MatchString(item) {
		return fmt.Errorf("item: want a lower-case UUID")
	}
	return nil
}

// ParseOffer reads an offer strictly: known fields only, ids and hash in
// their form, a size within MaxSize, a name and media type as an upload
// takes them.
func ParseOffer(data []byte) (Offer, error) {
	var o Offer
	if err := decodeStrict(data, &o); err != nil {
		return o, fmt.Errorf("not an offer: %w", err)
	}
	if err := checkIDs(o.Request, o.Item); err != nil {
		return o, err
	}
	if !sumPattern.MatchString(o.SHA256) {
		return o, fmt.Errorf("sha256: want 64 lower-case hexadecimal digits")
	}
	if o.Size < 0 || o.Size > MaxSize {
		return o, fmt.Errorf("size %d: want 0 to %d", o.Size, MaxSize)
	}
	for _, f := range []struct{ name, v string }{{"name", o.Name}, {"media_type", o.MediaType}, {"collection.by", o.Collection.By},
		{"collection.where", o.Collection.Where}, {"collection.source", o.Collection.Source}, {"collection.tool", o.Collection.Tool}} {
		if len(f.v) > MaxValueBytes {
			return o, fmt.Errorf("%s: longer than %d bytes", f.name, MaxValueBytes)
		}
	}
	if ps := o.PersonalData.Validate("personal_data"); len(ps) > 0 {
		return o, fmt.Errorf("%s: %s", ps[0].Field, ps[0].Message)
	}
	if err := o.Conditions.Validate("conditions").Err(); err != nil {
		return o, err
	}
	if _, err := ParseMetadata("filename "+base64.StdEncoding.EncodeToString([]byte(o.Name))+",filetype "+base64.StdEncoding.EncodeToString([]byte(o.MediaType)), time.Time{}); err != nil {
		return o, err
	}
	return o, nil
}

// ParseChunk reads a chunk strictly: at most ChunkSize bytes, at an
// offset within MaxSize.
func ParseChunk(data []byte) (Chunk, error) {
	var c Chunk
	if err := decodeStrict(data, &c); err != nil {
		return c, fmt.Errorf("not a chunk: %w", err)
	}
	if err := checkIDs(c.Request, c.Item); err != nil {
		return c, err
	}
	if c.Offset < 0 || c.Offset > MaxSize || len(c.Data) == 0 || len(c.Data) > ChunkSize {
		return c, fmt.Errorf("a chunk carries 1 to %d bytes at an offset from 0 to %d", ChunkSize, MaxSize)
	}
	return c, nil
}

// ParseChunkRef reads what the sender's outbox keeps of a chunk.
func ParseChunkRef(data []byte) (ChunkRef, error) {
	var c ChunkRef
	if err := decodeStrict(data, &c); err != nil {
		return c, fmt.Errorf("not a chunk reference: %w", err)
	}
	if c.Offset < 0 || c.Length <= 0 || c.Length > ChunkSize {
		return c, fmt.Errorf("chunk reference: bytes %d+%d", c.Offset, c.Length)
	}
	return c, checkIDs(c.Request, c.Item)
}

// ParseResult reads a result strictly.
func ParseResult(data []byte) (Result, error) {
	var r Result
	if err := decodeStrict(data, &r); err != nil {
		return r, fmt.Errorf("not a result: %w", err)
	}
	if err := checkIDs(r.Request, r.Item); err != nil {
		return r, err
	}
	if r.SHA256 != "" && !sumPattern.MatchString(r.SHA256) {
		return r, fmt.Errorf("sha256: want 64 lower-case hexadecimal digits")
	}
	if r.Size < 0 || len(r.Reason) > 500 {
		return r, fmt.Errorf("size or reason out of bounds")
	}
	return r, nil
}
