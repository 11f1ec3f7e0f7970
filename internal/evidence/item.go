// Package evidence is the vault of electronic evidence: items attached to
// a request, their bytes streamed in, hashed (SHA-256) and encrypted at
// rest with a key of their own, their custody recorded as audit records,
// and their disposal when their retention ends (art. 36). It knows
// neither HTTP nor SQL: the node stores its items through internal/store,
// and serves them through internal/web.
package evidence

import (
	"time"

	"entraide/internal/convention"
)

// Status is where an item is in its life.
type Status string

// The statuses of an item.
const (
	// Uploading: bytes are still coming; the item is not evidence yet.
	Uploading Status = "uploading"
	// Available: every byte is stored, its size and SHA-256 recorded.
	Available Status = "available"
	// Disposed: its bytes are deleted (art. 36); its row, hash and
	// custody records stay, so that what was held can still be proved.
	Disposed Status = "disposed"
)

// The custody actions: each is the action of an audit record whose
// subject is the item (Subject), with the item's SHA-256 in its detail
// once known.
const (
	ActionUpload     = "evidence.upload"     // an official began to upload the item
	ActionSegment    = "evidence.segment"    // a piece of its bytes was stored
	ActionCollected  = "evidence.collected"  // how it was collected: by whom, where, when, source, tool
	ActionIngested   = "evidence.ingested"   // every byte stored: size and SHA-256 fixed
	ActionViewed     = "evidence.viewed"     // an official read its description
	ActionDownloaded = "evidence.downloaded" // an official read its bytes
	ActionRetention  = "evidence.retention"  // its retention date was set or changed
	ActionDisposed   = "evidence.disposed"   // its bytes were deleted
	ActionDamaged    = "evidence.damaged"    // its stored bytes failed their integrity check
	ActionExported   = "evidence.exported"   // it was read into an evidence package, whose manifest's SHA-256 the detail holds
	ActionImported   = "evidence.imported"   // its records were read into a fund-tracing case, which the detail names
	ActionSealed     = "evidence.sealed"     // an evidence package was written whole and sealed (subject: the request)
)

// Subject is the audit subject of item id: its custody is the audit
// records with that subject.
func Subject(id string) string { return "evidence/" + id }

// Collection says how an item was collected, as the official who
// uploads it declares.
type Collection struct {
	By     string     `json:"by,omitempty"`     // who collected it
	Where  string     `json:"where,omitempty"`  // where
	When   *time.Time `json:"when,omitempty"`   // when, UTC
	Source string     `json:"source,omitempty"` // from what: a device, an account, a provider
	Tool   string     `json:"tool,omitempty"`   // with what tool, and its version
}

// Item is a piece of evidence attached to a request, in the view of one
// State: the State that holds it, whose officials alone reach it.
type Item struct {
	ID        string `json:"id"`
	RequestID string `json:"request_id"`
	State     string `json:"state"` // the State that holds the item
	Name      string `json:"name"`
	MediaType string `json:"media_type"`
	// Size is the item's size in bytes, as declared at upload and
	// checked at its end.
	Size int64 `json:"size"`
	// Received is how many bytes are stored: the upload's offset.
	Received int64 `json:"received"`
	// SHA256 is the hex SHA-256 of the item's bytes, once every byte is
	// stored.
	SHA256     string     `json:"sha256,omitempty"`
	Collection Collection `json:"collection"`
	Status     Status     `json:"status"`
	// RetainUntil is the day from which the item is disposed of (art.
	// 36), if one is set.
	RetainUntil *time.Time `json:"retain_until,omitempty"`
	// PolicyUntil is the day the holding State's retention policy for
	// personal data ends the item's keeping, if it carries personal
	// data and the State has a policy: the item is disposed of on the
	// earlier of it and RetainUntil.
	PolicyUntil *time.Time `json:"policy_until,omitempty"`
	// PersonalData marks the personal data the item carries (art. 36),
	// as declared at upload or by the State that sent it.
	PersonalData *convention.PersonalData `json:"personal_data,omitempty"`
	CreatedAt    time.Time                `json:"created_at"`
	CreatedBy    string                   `json:"created_by"`
	AvailableAt  *time.Time               `json:"available_at,omitempty"`
	DisposedAt   *time.Time               `json:"disposed_at,omitempty"`
	DisposedBy   string                   `json:"disposed_by,omitempty"`
	// Damaged says why the stored bytes failed their integrity check,
	// if they did: the item cannot be read until restored from a backup.
	// For an item refused on arrival, it says why.
	Damaged string `json:"damaged,omitempty"`
	// Redacted names, in an official's copy, what their role does not
	// see of the item (collection): never stored, never sent.
	Redacted []string `json:"redacted,omitempty"`
	// Origin is, for an item received from the other State of the
	// request, that State and the item's id on its node.
	Origin *Origin `json:"origin,omitempty"`
	// Conditions are those that bind the item: for an item received, set
	// by the State that gave it; for an item sent, those this State set.
	// The node fills them from its record of conditions.
	Conditions convention.Conditions `json:"conditions,omitempty"`
	// ExpectedSHA256 is, for an item arriving from the other State, the
	// SHA-256 it announced, which the bytes must have.
	ExpectedSHA256 string `json:"-"`

	// Recipient is the age X25519 recipient the item's bytes are
	// encrypted to; WrappedIdentity its private key, wrapped by the
	// node's key keeper. HashState is the SHA-256 state after the bytes
	// received so far, and Segments how many pieces hold them.
	Recipient       string `json:"-"`
	WrappedIdentity []byte `json:"-"`
	HashState       []byte `json:"-"`
	Segments        int    `json:"-"`
}

// Segment is one stored piece of an item: its bytes from Offset, Length
// long, in the object Key, encrypted as one age file of StoredSize bytes.
type Segment struct {
	Index      int
	Offset     int64
	Length     int64
	Key        string
	StoredSize int64
}

// Expires returns the day the item is disposed of: the earlier of its
// own retention date (set by an official, kept from the State that sent
// it, or shortened by a retention-limit condition bound to it, art. 36)
// and its State's policy for personal data, or nil when neither is set.
func (it Item) Expires() *time.Time {
	switch {
	case it.RetainUntil == nil:
		return it.PolicyUntil
	case it.PolicyUntil == nil || it.RetainUntil.Before(*it.PolicyUntil):
		return it.RetainUntil
	}
	return it.PolicyUntil
}

// CarriesPersonalData reports whether the item is marked as carrying
// personal data.
func (it Item) CarriesPersonalData() bool { return it.PersonalData != nil && it.PersonalData.Carried }

// Due reports whether it is time to dispose of it at now.
func (it Item) Due(now time.Time) bool {
	e := it.Expires()
	return it.Status != Disposed && e != nil && !now.Before(*e)
}
