package archive

import (
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"entraide/internal/auditlog"
)

// contextJSON is the JSON-LD context of every manifest, written into the
// manifest itself, so that a JSON-LD processor expands it without fetching
// anything. A reader accepts no other context: a different one could map
// the same words to other meanings.
//
//go:embed context.jsonld
var contextJSON []byte

// FormatVersion is the version of the package format this build writes. It
// reads it and every version before it: version 2 added the sending
// State's custody of items received from it, and tombstones of items
// disposed of; a package of version 1 is one without either.
const FormatVersion = 2

// Package is what an evidence package is built from: plain data the node
// reads for one request, in the State whose officials export it.
type Package struct {
	RequestID string
	// Request is the formal request as JSON, as the node shows it.
	Request []byte
	// Answer is the answer given, as JSON; nil while there is none.
	Answer []byte
	// ExportingState is the State whose node writes the package.
	ExportingState string
	// LogOrigin is the origin line of the exporting node's log checkpoints,
	// and LogKeyName the name of the key that signs them (and the seal).
	LogOrigin  string
	LogKeyName string
	// Created is when the package is made; header times carry it too.
	Created time.Time
	Items   []Item
	// Custody are the audit records of what happened to the items, oldest
	// first.
	Custody []CustodyRecord
}

// Item is one piece of evidence, as the vault recorded it at ingest.
type Item struct {
	ID        string
	Name      string // file name as collected
	Size      int64
	SHA256    [32]byte
	MediaType string
	Collected Collection
	// Disposed is, for an item disposed of (art. 36), when and by whom:
	// the package holds its description, hash and custody, the disposal
	// among it, and none of its bytes.
	Disposed *Disposal
	// Origin is, for an item received from the other State of the
	// request, that State's custody of it, proven in its own log.
	Origin *Origin
}

// Disposal is when and by whom an item was disposed of.
type Disposal struct {
	At time.Time
	By string
}

// Origin is the custody of an item at the State that sent it, as it
// arrived with the item: that State's audit records of it, each with its
// inclusion proof under one checkpoint signed by that State's log (with
// any witnesses' cosignatures), and the log's verifier key, which the
// receiving node checked them against.
type Origin struct {
	State      string
	Item       string // the item's id on the sending node
	LogKey     string // note verifier key, name+hash+base64
	Checkpoint []byte // signed note
	Records    []OriginRecord
}

// OriginRecord is one audit record of the sending State: its canonical
// bytes, its leaf index in that State's log and the hashes of its
// inclusion proof under the origin's checkpoint.
type OriginRecord struct {
	Canonical []byte
	LeafIndex uint64
	Hashes    [][]byte
}

// Collection is how an item was obtained: by whom, where, when, from what
// source and with what tool.
type Collection struct {
	By      string    `json:"by,omitempty"`
	ByState string    `json:"by_state,omitempty"`
	Where   string    `json:"where,omitempty"`
	At      time.Time `json:"at,omitzero"`
	Source  string    `json:"source,omitempty"`
	Tool    string    `json:"tool,omitempty"`
}

// CustodyRecord is one audit record about an item: its canonical bytes, as
// the log holds them, and the id of the item it concerns.
type CustodyRecord struct {
	Canonical []byte
	Item      string
}

// The manifest's JSON-LD, compacted with contextJSON. The same types write
// and read it, so that the reader accepts exactly what the writer makes.
type manifestDoc struct {
	Context       json.RawMessage `json:"@context"`
	ID            string          `json:"@id"`
	Type          string          `json:"@type"`
	Description   string          `json:"uco-core:description"`
	FormatVersion int             `json:"entraide:formatVersion"`
	Request       string          `json:"entraide:request"`
	State         string          `json:"entraide:exportingState"`
	LogOrigin     string          `json:"entraide:logOrigin"`
	LogKeyName    string          `json:"entraide:logKeyName"`
	Created       typed           `json:"entraide:createdTime"`
	Members       []member        `json:"entraide:member"`
	Objects       []node          `json:"uco-core:object"`
}

// member is a member of the archive whose content the manifest vouches
// for: the request, the answer, the custody records and the files.
type member struct {
	Type   string `json:"@type"`
	Path   string `json:"entraide:archivePath"`
	Role   string `json:"entraide:role"`
	Size   int64  `json:"entraide:sizeInBytes"`
	SHA256 typed  `json:"entraide:sha256"`
}

// The roles of members.
const (
	roleRequest = "request"
	roleAnswer  = "answer"
	roleRecord  = "custody-record"
	roleFile    = "evidence-file"
	// The sending State's custody of an item received from it.
	roleOriginCheckpoint = "origin-checkpoint"
	roleOriginRecord     = "origin-record"
	roleOriginProof      = "origin-proof"
)

type typed struct {
	Type  string `json:"@type"`
	Value string `json:"@value"`
}

type ref struct {
	ID string `json:"@id"`
}

// node is any object of the manifest's graph; each kind uses some fields.
type node struct {
	ID          string  `json:"@id"`
	Type        string  `json:"@type"`
	Name        string  `json:"uco-core:name,omitempty"`
	Description string  `json:"uco-core:description,omitempty"`
	Facets      []facet `json:"uco-core:hasFacet,omitempty"`
	// uco-observable:File
	ArchivePath string `json:"entraide:archivePath,omitempty"`
	ItemID      string `json:"entraide:itemID,omitempty"`
	// An item received from the other State: that State, the item's id
	// there, its log's verifier key and the checkpoint its custody records
	// are proven under.
	OriginState      string `json:"entraide:originState,omitempty"`
	OriginItem       string `json:"entraide:originItem,omitempty"`
	OriginLogKey     string `json:"entraide:originLogKey,omitempty"`
	OriginCheckpoint string `json:"entraide:originCheckpoint,omitempty"`
	// A tombstone: the item was disposed of then, by that official.
	DisposedTime *typed `json:"entraide:disposedTime,omitempty"`
	DisposedBy   string `json:"entraide:disposedBy,omitempty"`
	// case-investigation:InvestigativeAction
	Performer  *ref   `json:"uco-action:performer,omitempty"`
	Instrument *ref   `json:"uco-action:instrument,omitempty"`
	Location   *ref   `json:"uco-action:location,omitempty"`
	Object     []ref  `json:"uco-action:object,omitempty"`
	StartTime  *typed `json:"uco-action:startTime,omitempty"`
	Record     string `json:"entraide:record,omitempty"`
	// case-investigation:ProvenanceRecord
	Exhibit    string `json:"case-investigation:exhibitNumber,omitempty"`
	CoreObject []ref  `json:"uco-core:object,omitempty"`
}

type facet struct {
	Type     string      `json:"@type"`
	FileName string      `json:"uco-observable:fileName,omitempty"`
	Size     *int64      `json:"uco-observable:sizeInBytes,omitempty"`
	MimeType string      `json:"uco-observable:mimeType,omitempty"`
	Hash     []hashValue `json:"uco-observable:hash,omitempty"`
}

type hashValue struct {
	Type   string `json:"@type"`
	Method typed  `json:"uco-types:hashMethod"`
	Value  typed  `json:"uco-types:hashValue"`
}

func sha256Typed(sum []byte) typed {
	return typed{Type: "xsd:hexBinary", Value: hex.EncodeToString(sum)}
}

func dateTime(t time.Time) *typed {
	return &typed{Type: "xsd:dateTime", Value: t.UTC().Format(time.RFC3339Nano)}
}

// manifest builds the manifest of p, and the path of each item's member.
func manifest(p Package) ([]byte, error) {
	if err := p.check(); err != nil {
		return nil, err
	}
	doc := manifestDoc{
		Context: contextJSON, ID: "kb:package-" + p.RequestID, Type: "uco-core:Bundle",
		Description:   fmt.Sprintf("Evidence package exported by the node of %s for request %s", p.ExportingState, p.RequestID),
		FormatVersion: FormatVersion, Request: p.RequestID, State: p.ExportingState,
		LogOrigin: p.LogOrigin, LogKeyName: p.LogKeyName, Created: *dateTime(p.Created),
	}
	add := func(path, role string, content []byte) {
		sum := sha256.Sum256(content)
		doc.Members = append(doc.Members, member{Type: "entraide:Member", Path: path, Role: role, Size: int64(len(content)), SHA256: sha256Typed(sum[:])})
	}
	add(RequestPath, roleRequest, p.Request)
	if p.Answer != nil {
		add(AnswerPath, roleAnswer, p.Answer)
	}
	people := map[string]bool{}
	person := func(id, state string) *ref {
		kb := "kb:identity-" + state + "-" + id
		if !people[kb] {
			people[kb] = true
			name := id
			if state != "" {
				name = fmt.Sprintf("%s (%s)", id, state)
			}
			doc.Objects = append(doc.Objects, node{ID: kb, Type: "uco-identity:Identity", Name: name})
		}
		return &ref{ID: kb}
	}
	fileRef := map[string]ref{}
	for i, it := range p.Items {
		path := filePath(i, it.Name)
		size := it.Size
		kb := ref{ID: fmt.Sprintf("kb:file-%d", i+1)}
		fileRef[it.ID] = kb
		file := node{ID: kb.ID, Type: "uco-observable:File", ItemID: it.ID}
		if it.Disposed == nil {
			file.ArchivePath = path
			doc.Members = append(doc.Members, member{Type: "entraide:Member", Path: path, Role: roleFile, Size: it.Size, SHA256: sha256Typed(it.SHA256[:])})
		} else {
			file.DisposedTime, file.DisposedBy = dateTime(it.Disposed.At), it.Disposed.By
		}
		if o := it.Origin; o != nil {
			file.OriginState, file.OriginItem, file.OriginLogKey, file.OriginCheckpoint = o.State, o.Item, o.LogKey, originCheckpointPath(i)
			add(originCheckpointPath(i), roleOriginCheckpoint, o.Checkpoint)
			size := checkpointSize(o.Checkpoint)
			for j, r := range o.Records {
				add(originRecordPath(i, j), roleOriginRecord, r.Canonical)
				pj, err := originProof(i, j, r, size)
				if err != nil {
					return nil, err
				}
				add(originProofPath(i, j), roleOriginProof, pj)
			}
		}
		file.Facets = []facet{
			{Type: "uco-observable:FileFacet", FileName: it.Name, Size: &size},
			{Type: "uco-observable:ContentDataFacet", MimeType: it.MediaType, Size: &size, Hash: []hashValue{{
				Type:   "uco-types:Hash",
				Method: typed{Type: "uco-vocabulary:HashNameVocab", Value: "SHA256"},
				Value:  sha256Typed(it.SHA256[:]),
			}}},
		}
		doc.Objects = append(doc.Objects, file)
		c := it.Collected
		act := node{ID: fmt.Sprintf("kb:collection-%d", i+1), Type: "case-investigation:InvestigativeAction", Name: "collected",
			Object: []ref{kb}, Description: c.Source}
		if !c.At.IsZero() {
			act.StartTime = dateTime(c.At)
		}
		if c.By != "" {
			act.Performer = person(c.By, c.ByState)
		}
		if c.Where != "" {
			loc := fmt.Sprintf("kb:location-%d", i+1)
			doc.Objects = append(doc.Objects, node{ID: loc, Type: "uco-location:Location", Name: c.Where})
			act.Location = &ref{ID: loc}
		}
		if c.Tool != "" {
			tool := fmt.Sprintf("kb:tool-%d", i+1)
			doc.Objects = append(doc.Objects, node{ID: tool, Type: "uco-tool:Tool", Name: c.Tool})
			act.Instrument = &ref{ID: tool}
		}
		doc.Objects = append(doc.Objects, act)
	}
	actions := map[string][]ref{}
	for i, c := range p.Custody {
		r, err := auditlog.Parse(c.Canonical)
		if err != nil {
			return nil, fmt.Errorf("custody record %d: %w", i+1, err)
		}
		path := recordPath(i)
		add(path, roleRecord, c.Canonical)
		kb := fmt.Sprintf("kb:custody-%d", i+1)
		act := node{ID: kb, Type: "case-investigation:InvestigativeAction", Name: r.Action, StartTime: dateTime(r.At),
			Performer: person(r.Actor, r.ActorState), Record: path}
		if f, ok := fileRef[c.Item]; ok {
			act.Object = []ref{f}
			actions[c.Item] = append(actions[c.Item], ref{ID: kb})
		}
		doc.Objects = append(doc.Objects, act)
	}
	for i, it := range p.Items {
		objs := append([]ref{fileRef[it.ID], {ID: fmt.Sprintf("kb:collection-%d", i+1)}}, actions[it.ID]...)
		doc.Objects = append(doc.Objects, node{ID: fmt.Sprintf("kb:provenance-%d", i+1), Type: "case-investigation:ProvenanceRecord",
			Exhibit: fmt.Sprint(i + 1), Description: it.Name, CoreObject: objs})
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", " ")
	if err := enc.Encode(doc); err != nil {
		return nil, fmt.Errorf("manifest: %w", err)
	}
	return buf.Bytes(), nil
}

// check returns every problem of p at once, naming each field.
func (p Package) check() error {
	var errs []error
	bad := func(format string, a ...any) { errs = append(errs, fmt.Errorf(format, a...)) }
	if p.RequestID == "" {
		bad("package: request id is empty")
	}
	if !json.Valid(p.Request) {
		bad("package: request is not JSON")
	}
	if p.Answer != nil && !json.Valid(p.Answer) {
		bad("package: answer is not JSON")
	}
	if p.ExportingState == "" {
		bad("package: exporting State is empty")
	}
	if p.LogOrigin == "" || strings.ContainsAny(p.LogOrigin, "\n") {
		bad("package: log origin %q is empty or has a newline", p.LogOrigin)
	}
	if p.LogKeyName == "" {
		bad("package: log key name is empty")
	}
	if p.Created.IsZero() {
		bad("package: creation time is zero")
	}
	records := len(p.Custody)
	for _, it := range p.Items {
		if it.Origin != nil {
			records += len(it.Origin.Records) + 1
		}
	}
	if !Fits(len(p.Items), records) {
		bad("package: %d items and %d custody records are more than a package holds (%d members)", len(p.Items), records, maxMembers)
	}
	ids := map[string]bool{}
	for i, it := range p.Items {
		if it.ID == "" || ids[it.ID] {
			bad("package: item %d: id %q is empty or repeated", i+1, it.ID)
		}
		ids[it.ID] = true
		if it.Name == "" {
			bad("package: item %s: name is empty", it.ID)
		}
		if it.Size < 0 {
			bad("package: item %s: size %d is negative", it.ID, it.Size)
		}
		if o := it.Origin; o != nil {
			if o.State == "" || o.Item == "" || o.LogKey == "" || len(o.Checkpoint) == 0 || len(o.Records) == 0 {
				bad("package: item %s: its origin needs a State, an item id, a log key, a checkpoint and records", it.ID)
			}
			for j, r := range o.Records {
				if len(r.Hashes) > maxProofHashes {
					bad("package: item %s: origin record %d has a proof of %d hashes", it.ID, j+1, len(r.Hashes))
				}
			}
		}
	}
	for i, c := range p.Custody {
		if c.Item != "" && !ids[c.Item] {
			bad("package: custody record %d is about item %q, which the package does not hold", i+1, c.Item)
		}
	}
	return errors.Join(errs...)
}

// Fits reports whether items and custody records of that number fit in
// one package.
func Fits(items, custody int) bool { return items+2*custody+16 <= maxMembers }
