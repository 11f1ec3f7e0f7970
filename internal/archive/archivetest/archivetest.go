// Package archivetest builds evidence packages for tests: a small log with
// its own keys, custody records amid other records, a cosigned checkpoint
// and a sealed archive.
package archivetest

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	tlog "github.com/transparency-dev/formats/log"
	tnote "github.com/transparency-dev/formats/note"
	"github.com/transparency-dev/merkle/rfc6962"
	"github.com/transparency-dev/merkle/testonly"
	"golang.org/x/mod/sumdb/note"

	"entraide/internal/archive"
	"entraide/internal/auditlog"
)

// Origin is the origin of the test log, and the name of its key.
const Origin = "entraide.test/log/VNM"

// Fixture is a package built in a test, with the keys to verify it.
type Fixture struct {
	Archive []byte
	LogKey  string // the log's note verifier key
	Witness string // the verifier key of the witness that cosigned
	Items   map[string][]byte
	// SenderKey is, for a package of items received from another State,
	// the verifier key of that State's log.
	SenderKey string
}

// Memory serves items' contents from memory, by id.
type Memory map[string][]byte

// Open returns the content of item id.
func (m Memory) Open(_ context.Context, id string) (io.ReadCloser, error) {
	b, ok := m[id]
	if !ok {
		return nil, fmt.Errorf("no item %s", id)
	}
	return io.NopCloser(bytes.NewReader(b)), nil
}

// keys generates a log key and a witness key, returning the log's signer
// and both vkeys.
func keys(t testing.TB) (note.Signer, note.Signer, string, string) {
	t.Helper()
	return keysNamed(t, Origin)
}

// keysNamed is keys for the log of origin.
func keysNamed(t testing.TB, origin string) (note.Signer, note.Signer, string, string) {
	t.Helper()
	skey, vkey, err := note.GenerateKey(rand.Reader, origin)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := note.NewSigner(skey)
	if err != nil {
		t.Fatal(err)
	}
	wskey, wvkey, err := note.GenerateKey(rand.Reader, "witness.test/FRA")
	if err != nil {
		t.Fatal(err)
	}
	cosigner, err := tnote.NewSignerForCosignatureV1(wskey)
	if err != nil {
		t.Fatal(err)
	}
	return signer, cosigner, vkey, wvkey
}

// Build writes to w a package of the items of the given sizes and SHA-256
// sums, read from contents: each collected, ingested and transferred amid
// other records of the log, then exported; it returns the log's and the
// witness's verifier keys.
func Build(t testing.TB, w io.Writer, sizes map[string]int64, sums map[string][32]byte, contents archive.Contents) (string, string) {
	t.Helper()
	signer, cosigner, vkey, wvkey := keys(t)
	at := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	tree := testonly.New(rfc6962.DefaultHasher)
	seq := int64(0)
	type placed struct {
		canonical []byte
		index     uint64
	}
	logRecord := func(r auditlog.Record) placed {
		t.Helper()
		seq++
		r.Seq, r.At, r.Node, r.State = seq, at.Add(time.Duration(seq)*time.Minute), "VNM", "VNM"
		c, err := r.Canonical()
		if err != nil {
			t.Fatal(err)
		}
		tree.AppendData(archive.Entry(c))
		return placed{canonical: c, index: tree.Size() - 1}
	}
	noise := func(n int) {
		for range n {
			logRecord(auditlog.Record{ActorState: "VNM", Actor: "system", Action: "request.send", Subject: "request/other"})
		}
	}
	p := archive.Package{
		RequestID: "req-1", ExportingState: "VNM", LogOrigin: Origin, LogKeyName: Origin, Created: at.Add(48 * time.Hour),
		Request: []byte(`{"id":"req-1","kind":"stored_data_access","requesting_state":"FRA","requested_state":"VNM","state":"executed","fields":{"description":"Mailbox of the suspect","data_sought":"e-mails of March 2026"},"offences":[{"article":7},{"description":"fraud by a public official","max_penalty_years":10}],"legal_basis":{"type":"treaty","treaty":"FRA-VNM treaty of 2001"},"created_by":"fra-ca","created_at":"2026-11-19T08:00:00Z"}`),
		Answer:  []byte(`{"request_id":"req-1","state":"executed","answered_by":"VNM","events":[{"at":"2026-11-21T10:00:00Z","actor":"vnm-ca","actor_state":"VNM","action":"execute","to":"executed","note":"Two files are given, collected on 20 November 2026."}]}`),
	}
	ids := make([]string, 0, len(sizes))
	for id := range sizes {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		noise(3)
		p.Items = append(p.Items, archive.Item{ID: id, Name: id, Size: sizes[id], SHA256: sums[id], MediaType: "application/octet-stream",
			Collected: archive.Collection{By: "vnm-officer", ByState: "VNM", Where: "Hanoi, server room 2", At: at, Source: "mail server mx1", Tool: "imaging tool 4.7"}})
		for _, action := range []string{"evidence.collected", "evidence.ingested", "evidence.transferred"} {
			r := logRecord(auditlog.Record{ActorState: "VNM", Actor: "vnm-officer", Action: action, Subject: "evidence/" + id,
				Detail: map[string]string{"sha256": fmt.Sprintf("%x", sums[id])}})
			p.Custody = append(p.Custody, archive.CustodyRecord{Canonical: r.canonical, Item: id})
		}
	}
	noise(2)
	src := &source{Contents: contents, tree: tree, index: map[string]uint64{}, signer: signer, cosigner: cosigner,
		log: func(detail map[string]string) []byte {
			export := logRecord(auditlog.Record{ActorState: "VNM", Actor: "vnm-clerk", Action: "evidence.exported", Subject: "request/req-1", Detail: detail})
			noise(1)
			return export.canonical
		}}
	for i := range tree.Size() {
		src.index[string(tree.LeafHash(i))] = i
	}
	if err := archive.Export(context.Background(), w, p, src, signer); err != nil {
		t.Fatal(err)
	}
	return vkey, wvkey
}

// Small builds a package of two small files.
func Small(t testing.TB) Fixture {
	t.Helper()
	items := map[string][]byte{
		"mailbox.mbox":   bytes.Repeat([]byte("From suspect@example.org Tue Mar 3 2026\nSubject: plans\n\n"), 40),
		"photo scan.jpg": bytes.Repeat([]byte{0xff, 0xd8, 0x00, 0x42}, 300),
	}
	sizes, sums := map[string]int64{}, map[string][32]byte{}
	for id, b := range items {
		sizes[id] = int64(len(b))
		sums[id] = sha256.Sum256(b)
	}
	var out bytes.Buffer
	vkey, wvkey := Build(t, &out, sizes, sums, Memory(items))
	return Fixture{Archive: out.Bytes(), LogKey: vkey, Witness: wvkey, Items: items}
}

// source is a log in memory, and the items' contents, for Export.
type source struct {
	archive.Contents
	tree             *testonly.Tree
	index            map[string]uint64 // leaf hash to index
	signer, cosigner note.Signer
	log              func(detail map[string]string) []byte
	cosigned         uint64 // the size of the log the witness cosigned
	origin           string // of the log; Origin if empty
}

func (s *source) LogExport(_ context.Context, detail map[string]string) ([]byte, error) {
	// The witness cosigned the log as it was before the export; the
	// export record is under a newer checkpoint only the log signed yet.
	s.cosigned = s.tree.Size()
	c := s.log(detail)
	for i := range s.tree.Size() {
		s.index[string(s.tree.LeafHash(i))] = i
	}
	return c, nil
}

func (s *source) Prove(_ context.Context, records [][]byte) (archive.Log, error) {
	old, size := s.cosigned, s.tree.Size()
	origin := s.origin
	if origin == "" {
		origin = Origin
	}
	older, err := note.Sign(&note.Note{Text: string(tlog.Checkpoint{Origin: origin, Size: old, Hash: s.tree.HashAt(old)}.Marshal())}, s.signer, s.cosigner)
	if err != nil {
		return archive.Log{}, err
	}
	latest, err := note.Sign(&note.Note{Text: string(tlog.Checkpoint{Origin: origin, Size: size, Hash: s.tree.Hash()}.Marshal())}, s.signer)
	if err != nil {
		return archive.Log{}, err
	}
	consistency, err := s.tree.ConsistencyProof(old, size)
	if err != nil {
		return archive.Log{}, err
	}
	lg := archive.Log{Checkpoints: [][]byte{older, latest}, Consistency: []archive.Consistency{{From: 0, To: 1, Hashes: consistency}}}
	for _, r := range records {
		i, ok := s.index[string(archive.LeafHash(archive.Entry(r)))]
		if !ok {
			return archive.Log{}, fmt.Errorf("record not in the log")
		}
		hashes, err := s.tree.InclusionProof(i, size)
		if err != nil {
			return archive.Log{}, err
		}
		lg.Proofs = append(lg.Proofs, archive.Proof{LeafIndex: i, TreeSize: size, Hashes: hashes, Checkpoint: 1})
	}
	return lg, nil
}

// ReceiverOrigin is the origin of the log of the receiving State, FRA, in
// the package Crossed builds, and the name of its key.
const ReceiverOrigin = "entraide.test/log/FRA"

// Crossed builds the package FRA exports of a request it asked of VNM:
// an item received from VNM, with VNM's custody of it (collected,
// ingested, sent) proven in VNM's log under a checkpoint VNM signed and
// the witness cosigned; and a tombstone, an item FRA received and then
// disposed of, whose bytes the package does not hold. LogKey is FRA's
// log key, SenderKey VNM's.
func Crossed(t testing.TB) Fixture {
	t.Helper()
	signer, cosigner, vkey, wvkey := keysNamed(t, ReceiverOrigin)
	vnmSigner, _, vnmKey, _ := keysNamed(t, Origin)
	at := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	content := bytes.Repeat([]byte("From suspect@example.org Tue Mar 3 2026\nSubject: plans\n\n"), 40)
	sum := sha256.Sum256(content)
	gone := sha256.Sum256([]byte("disposed of"))

	// VNM's log, and its custody of the item it sent.
	vnmTree := testonly.New(rfc6962.DefaultHasher)
	vnmItem := "01a22d6d-7ccd-75fd-b366-04a124adefde"
	var vnmRecords []struct {
		canonical []byte
		index     uint64
	}
	for i, r := range []auditlog.Record{
		{Action: "request.receive", Subject: "request/other", Actor: "system"},
		{Action: "evidence.upload", Subject: "evidence/" + vnmItem, Actor: "vnm-officer"},
		{Action: "evidence.collected", Subject: "evidence/" + vnmItem, Actor: "vnm-officer",
			Detail: map[string]any{"collection": map[string]any{"by": "VNM cyber police", "where": "Hanoi", "when": at, "tool": "imaging tool 4.7"}}},
		{Action: "evidence.ingested", Subject: "evidence/" + vnmItem, Actor: "vnm-officer", Detail: map[string]string{"sha256": fmt.Sprintf("%x", sum)}},
		{Action: "request.execute", Subject: "request/other", Actor: "system"},
		{Action: "evidence.transfer", Subject: "evidence/" + vnmItem, Actor: "vnm-ca", Detail: map[string]string{"to": "FRA"}},
	} {
		r.Seq, r.At, r.Node, r.State, r.ActorState = int64(i+1), at.Add(time.Duration(i)*time.Minute), "VNM", "VNM", "VNM"
		c, err := r.Canonical()
		if err != nil {
			t.Fatal(err)
		}
		vnmTree.AppendData(archive.Entry(c))
		if strings.HasPrefix(r.Subject, "evidence/") {
			vnmRecords = append(vnmRecords, struct {
				canonical []byte
				index     uint64
			}{c, vnmTree.Size() - 1})
		}
	}
	vnmCheckpoint, err := note.Sign(&note.Note{Text: string(tlog.Checkpoint{Origin: Origin, Size: vnmTree.Size(), Hash: vnmTree.Hash()}.Marshal())}, vnmSigner, cosigner)
	if err != nil {
		t.Fatal(err)
	}
	origin := &archive.Origin{State: "VNM", Item: vnmItem, LogKey: vnmKey, Checkpoint: vnmCheckpoint}
	for _, r := range vnmRecords {
		hashes, err := vnmTree.InclusionProof(r.index, vnmTree.Size())
		if err != nil {
			t.Fatal(err)
		}
		origin.Records = append(origin.Records, archive.OriginRecord{Canonical: r.canonical, LeafIndex: r.index, Hashes: hashes})
	}

	// FRA's log, its custody of both items, and the export.
	tree := testonly.New(rfc6962.DefaultHasher)
	seq := int64(0)
	logRecord := func(r auditlog.Record) []byte {
		t.Helper()
		seq++
		r.Seq, r.At, r.Node, r.State = seq, at.Add(time.Duration(seq)*time.Hour), "FRA", "FRA"
		c, err := r.Canonical()
		if err != nil {
			t.Fatal(err)
		}
		tree.AppendData(archive.Entry(c))
		return c
	}
	p := archive.Package{
		RequestID: "req-2", ExportingState: "FRA", LogOrigin: ReceiverOrigin, LogKeyName: ReceiverOrigin, Created: at.Add(30 * 24 * time.Hour),
		Request: []byte(`{"id":"req-2","kind":"stored_data_access","requesting_state":"FRA","requested_state":"VNM","state":"executed"}`),
		Answer:  []byte(`{"request_id":"req-2","state":"executed","answered_by":"VNM","events":[]}`),
		Items: []archive.Item{
			{ID: "fra-item-1", Name: "mailbox.mbox", Size: int64(len(content)), SHA256: sum, MediaType: "application/mbox",
				Collected: archive.Collection{By: "VNM cyber police", Where: "Hanoi", At: at, Tool: "imaging tool 4.7"}, Origin: origin},
			{ID: "fra-item-2", Name: "old.pdf", Size: 11, SHA256: gone, MediaType: "application/pdf"},
		},
	}
	for _, a := range []string{"evidence.incoming", "evidence.origin_custody", "evidence.received"} {
		c := logRecord(auditlog.Record{ActorState: "VNM", Actor: "peer", Action: a, Subject: "evidence/fra-item-1"})
		p.Custody = append(p.Custody, archive.CustodyRecord{Canonical: c, Item: "fra-item-1"})
	}
	c := logRecord(auditlog.Record{ActorState: "FRA", Actor: "fra-officer", Action: "evidence.ingested", Subject: "evidence/fra-item-2", Detail: map[string]string{"sha256": fmt.Sprintf("%x", gone)}})
	p.Custody = append(p.Custody, archive.CustodyRecord{Canonical: c, Item: "fra-item-2"})
	c = logRecord(auditlog.Record{ActorState: "FRA", Actor: "fra-clerk", Action: "evidence.disposed", Subject: "evidence/fra-item-2", Detail: map[string]string{"reason": "retention ended"}})
	p.Custody = append(p.Custody, archive.CustodyRecord{Canonical: c, Item: "fra-item-2"})
	p.Items[1].Disposed = &archive.Disposal{At: at.Add(time.Duration(seq) * time.Hour), By: "fra-clerk"}

	items := map[string][]byte{"fra-item-1": content}
	src := &source{Contents: Memory(items), tree: tree, index: map[string]uint64{}, signer: signer, cosigner: cosigner, origin: ReceiverOrigin,
		log: func(detail map[string]string) []byte {
			return logRecord(auditlog.Record{ActorState: "FRA", Actor: "fra-clerk", Action: "evidence.exported", Subject: "request/req-2", Detail: detail})
		}}
	for i := range tree.Size() {
		src.index[string(tree.LeafHash(i))] = i
	}
	var out bytes.Buffer
	if err := archive.Export(context.Background(), &out, p, src, signer); err != nil {
		t.Fatal(err)
	}
	return Fixture{Archive: out.Bytes(), LogKey: vkey, Witness: wvkey, Items: items, SenderKey: vnmKey}
}
