package archive_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"strings"
	"testing"
	"time"

	tlog "github.com/transparency-dev/formats/log"
	"github.com/transparency-dev/merkle/rfc6962"
	"github.com/transparency-dev/merkle/testonly"
	"golang.org/x/mod/sumdb/note"

	"entraide/internal/archive"
	"entraide/internal/archive/archivetest"
	"entraide/internal/auditlog"
)

// skewed is a log whose proofs name the wrong leaf, as a node whose store
// mapped records to leaves wrongly would.
type skewed struct {
	archivetest.Memory
	tree   *testonly.Tree
	signer note.Signer
	fail   error
}

func (s *skewed) LogExport(_ context.Context, detail map[string]string) ([]byte, error) {
	r := auditlog.Record{Seq: int64(s.tree.Size()) + 1, At: time.Now(), Node: "VNM", State: "VNM", ActorState: "VNM", Actor: "clerk", Action: "evidence.exported", Subject: "request/r", Detail: detail}
	c, err := r.Canonical()
	s.tree.AppendData(archive.Entry(c))
	return c, err
}

func (s *skewed) Prove(_ context.Context, records [][]byte) (archive.Log, error) {
	if s.fail != nil {
		return archive.Log{}, s.fail
	}
	size := s.tree.Size()
	cp, err := note.Sign(&note.Note{Text: string(tlog.Checkpoint{Origin: archivetest.Origin, Size: size, Hash: s.tree.Hash()}.Marshal())}, s.signer)
	if err != nil {
		return archive.Log{}, err
	}
	var proofs []archive.Proof
	for i := range records {
		leaf := uint64(i) // one off: leaf 0 is another record
		h, err := s.tree.InclusionProof(leaf, size)
		if err != nil {
			return archive.Log{}, err
		}
		proofs = append(proofs, archive.Proof{LeafIndex: leaf, TreeSize: size, Hashes: h})
	}
	return archive.Log{Checkpoints: [][]byte{cp}, Proofs: proofs}, nil
}

func TestExportRefusesProofsThatWouldFail(t *testing.T) {
	skey, _, err := note.GenerateKey(rand.Reader, archivetest.Origin)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := note.NewSigner(skey)
	if err != nil {
		t.Fatal(err)
	}
	content := []byte("evidence")
	p := archive.Package{RequestID: "r", Request: []byte(`{}`), ExportingState: "VNM", LogOrigin: archivetest.Origin, LogKeyName: archivetest.Origin,
		Created: time.Now(), Items: []archive.Item{{ID: "a", Name: "a.txt", Size: int64(len(content)), SHA256: sha256.Sum256(content)}}}
	src := &skewed{Memory: archivetest.Memory{"a": content}, tree: testonly.New(rfc6962.DefaultHasher), signer: signer}
	src.tree.AppendData([]byte("entraide/audit/v1 other"))
	var out bytes.Buffer
	err = archive.Export(t.Context(), &out, p, src, signer)
	if err == nil || !strings.Contains(err.Error(), "is not at index") {
		t.Errorf("Export with proofs of the wrong leaves = %v, want an error naming the index", err)
	}
	if out.Len() != 0 {
		t.Errorf("Export wrote %d bytes before finding the proofs wrong", out.Len())
	}
	src.fail = errors.New("log unavailable")
	if err := archive.Export(t.Context(), &out, p, src, signer); !errors.Is(err, src.fail) {
		t.Errorf("Export when the log fails = %v, want its error", err)
	}
	p.LogKeyName = ""
	if err := archive.Export(t.Context(), &out, p, src, signer); err == nil || !strings.Contains(err.Error(), "log key name is empty") {
		t.Errorf("Export of a package without a log key = %v, want the field named", err)
	}
}
