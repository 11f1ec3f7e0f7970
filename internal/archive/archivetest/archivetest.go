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
	skey, vkey, err := note.GenerateKey(rand.Reader, Origin)
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
		Request: []byte(`{"id":"req-1","kind":"stored_data_access","requesting_state":"FRA","requested_state":"VNM","state":"executed","fields":{"description":"Mailbox of the suspect","data_sought":"e-mails of March 2026"}}`),
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
	older, err := note.Sign(&note.Note{Text: string(tlog.Checkpoint{Origin: Origin, Size: old, Hash: s.tree.HashAt(old)}.Marshal())}, s.signer, s.cosigner)
	if err != nil {
		return archive.Log{}, err
	}
	latest, err := note.Sign(&note.Note{Text: string(tlog.Checkpoint{Origin: Origin, Size: size, Hash: s.tree.Hash()}.Marshal())}, s.signer)
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
