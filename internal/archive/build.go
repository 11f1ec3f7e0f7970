package archive

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"time"

	"golang.org/x/mod/sumdb/note"

	"entraide/internal/auditlog"
)

// Contents opens the content of an item, by its id, for reading once.
type Contents interface {
	Open(ctx context.Context, itemID string) (io.ReadCloser, error)
}

// Proof places one audit record in the log: its leaf index, the size of the
// tree the proof is for, the RFC 6962 inclusion proof's hashes, and which of
// the package's checkpoints (from 0) has that size.
type Proof struct {
	LeafIndex  uint64
	TreeSize   uint64
	Hashes     [][]byte
	Checkpoint int
}

// Consistency proves that the log of checkpoint To (an index into the
// package's checkpoints) extends that of checkpoint From: the RFC 6962
// consistency proof's hashes. It carries a witness's cosignature of an
// older checkpoint over to the newer one the records are proven under.
type Consistency struct {
	From, To int
	Hashes   [][]byte
}

// Log is what the log vouches for, gathered after the export record was
// logged: that record's canonical bytes, the signed checkpoints, one proof
// for each custody record of the package, in order, then one for the
// export record, and any consistency proofs between the checkpoints.
type Log struct {
	Export      []byte
	Checkpoints [][]byte
	Proofs      []Proof
	Consistency []Consistency
}

// Builder writes one evidence package. NewBuilder fixes the manifest; the
// exporting node then logs an export record holding ManifestSHA256, and
// Write writes the archive with that record and the proofs.
type Builder struct {
	pkg      Package
	manifest []byte
	sum      [32]byte
}

// NewBuilder checks p and builds its manifest. It returns an error naming
// every field of p that is missing or wrong.
func NewBuilder(p Package) (*Builder, error) {
	m, err := manifest(p)
	if err != nil {
		return nil, err
	}
	p.Created = p.Created.UTC().Truncate(time.Second)
	return &Builder{pkg: p, manifest: m, sum: sha256.Sum256(m)}, nil
}

// ManifestSHA256 returns the SHA-256 of the manifest, for the export record.
func (b *Builder) ManifestSHA256() [32]byte { return b.sum }

// ExportDetail returns the detail the export record must carry (it may carry
// more), the manifest's hash under ManifestDetailKey.
func (b *Builder) ExportDetail() map[string]string {
	return map[string]string{ManifestDetailKey: hex.EncodeToString(b.sum[:]), "request": b.pkg.RequestID}
}

// consistencyDoc is the JSON of a proofs/consistency-NNN.json member.
type consistencyDoc struct {
	From     string   `json:"from"`
	FromSize uint64   `json:"from_size"`
	To       string   `json:"to"`
	ToSize   uint64   `json:"to_size"`
	Hashes   []string `json:"hashes"`
}

// proofDoc is the JSON of a proofs/NNN.json member.
type proofDoc struct {
	Record     string   `json:"record"`
	Entry      string   `json:"entry"`
	LeafIndex  uint64   `json:"leaf_index"`
	TreeSize   uint64   `json:"tree_size"`
	Checkpoint string   `json:"checkpoint"`
	Hashes     []string `json:"hashes"`
}

// Write writes the package to w as it reads each item from contents, in
// memory bounded whatever the items' sizes. It checks each item's size and
// SHA-256 against what the vault recorded; on a mismatch, or any other
// error, what was written is no package and must be discarded. The seal is
// signed with signer, the key of the exporting node's log.
func (b *Builder) Write(ctx context.Context, w io.Writer, log Log, contents Contents, signer note.Signer) error {
	if err := b.checkLog(log); err != nil {
		return err
	}
	if signer.Name() != b.pkg.LogKeyName {
		return fmt.Errorf("seal key %q is not the log key %q named in the package", signer.Name(), b.pkg.LogKeyName)
	}
	sw := &sealWriter{w: w, skel: sha256.New()}
	tw := tar.NewWriter(sw)
	put := func(name string, content []byte) error {
		if err := tw.WriteHeader(b.header(name, int64(len(content)))); err != nil {
			return err
		}
		sw.startContent()
		_, err := tw.Write(content)
		sw.endContent()
		return err
	}
	if err := put(ManifestPath, b.manifest); err != nil {
		return err
	}
	if err := put(RequestPath, b.pkg.Request); err != nil {
		return err
	}
	if b.pkg.Answer != nil {
		if err := put(AnswerPath, b.pkg.Answer); err != nil {
			return err
		}
	}
	for i, c := range log.Checkpoints {
		if err := put(checkpointPath(i), c); err != nil {
			return err
		}
	}
	records := make([][]byte, 0, len(b.pkg.Custody)+1)
	for _, c := range b.pkg.Custody {
		records = append(records, c.Canonical)
	}
	records = append(records, log.Export)
	for i, rec := range records {
		rpath, ppath := recordPath(i), proofPath(i)
		if i == len(records)-1 {
			rpath, ppath = exportRecordPath, exportProofPath
		}
		p := log.Proofs[i]
		doc := proofDoc{Record: rpath, Entry: string(Entry(rec)), LeafIndex: p.LeafIndex, TreeSize: p.TreeSize,
			Checkpoint: checkpointPath(p.Checkpoint), Hashes: make([]string, len(p.Hashes))}
		for j, h := range p.Hashes {
			doc.Hashes[j] = hex.EncodeToString(h)
		}
		pj, err := json.MarshalIndent(doc, "", " ")
		if err != nil {
			return err
		}
		if err := put(rpath, rec); err != nil {
			return err
		}
		if err := put(ppath, append(pj, '\n')); err != nil {
			return err
		}
	}
	for i, c := range log.Consistency {
		doc := consistencyDoc{From: checkpointPath(c.From), To: checkpointPath(c.To), Hashes: make([]string, len(c.Hashes))}
		doc.FromSize, doc.ToSize = checkpointSize(log.Checkpoints[c.From]), checkpointSize(log.Checkpoints[c.To])
		for j, h := range c.Hashes {
			doc.Hashes[j] = hex.EncodeToString(h)
		}
		cj, err := json.MarshalIndent(doc, "", " ")
		if err != nil {
			return err
		}
		if err := put(consistencyPath(i), append(cj, '\n')); err != nil {
			return err
		}
	}
	for i, it := range b.pkg.Items {
		o := it.Origin
		if o == nil {
			continue
		}
		if err := put(originCheckpointPath(i), o.Checkpoint); err != nil {
			return err
		}
		size := checkpointSize(o.Checkpoint)
		for j, r := range o.Records {
			pj, err := originProof(i, j, r, size)
			if err != nil {
				return err
			}
			if err := put(originRecordPath(i, j), r.Canonical); err != nil {
				return err
			}
			if err := put(originProofPath(i, j), pj); err != nil {
				return err
			}
		}
	}
	for i, it := range b.pkg.Items {
		if it.Disposed != nil {
			continue // a tombstone: its bytes are gone
		}
		if err := b.writeItem(ctx, tw, sw, i, it, contents); err != nil {
			return err
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	seal, err := b.seal(sw.skel.Sum(nil), signer)
	if err != nil {
		return err
	}
	h := b.header(SealPath, int64(len(seal)))
	h.Format = tar.FormatUSTAR // one block, which the reader takes apart from what the seal covers
	if err := tw.WriteHeader(h); err != nil {
		return err
	}
	if _, err := tw.Write(seal); err != nil {
		return err
	}
	return tw.Close()
}

func (b *Builder) writeItem(ctx context.Context, tw *tar.Writer, sw *sealWriter, i int, it Item, contents Contents) error {
	rc, err := contents.Open(ctx, it.ID)
	if err != nil {
		return fmt.Errorf("item %s (%s): %w", it.ID, it.Name, err)
	}
	defer rc.Close()
	if err := tw.WriteHeader(b.header(filePath(i, it.Name), it.Size)); err != nil {
		return err
	}
	sw.startContent()
	n, err := io.Copy(tw, io.LimitReader(rc, it.Size+1))
	sum := sw.content.Sum(nil)
	sw.endContent()
	switch {
	case errors.Is(err, tar.ErrWriteTooLong) || n > it.Size:
		return fmt.Errorf("item %s (%s): its content is longer than the %d bytes the vault recorded", it.ID, it.Name, it.Size)
	case err != nil:
		return fmt.Errorf("item %s (%s): %w", it.ID, it.Name, err)
	case n < it.Size:
		return fmt.Errorf("item %s (%s): its content is %d bytes, the vault recorded %d", it.ID, it.Name, n, it.Size)
	case [32]byte(sum) != it.SHA256:
		return fmt.Errorf("item %s (%s): its content has SHA-256 %x, the vault recorded %x: the stored copy is damaged", it.ID, it.Name, sum, it.SHA256)
	}
	return ctx.Err()
}

func (b *Builder) header(name string, size int64) *tar.Header {
	return &tar.Header{Typeflag: tar.TypeReg, Name: name, Size: size, Mode: 0o644, ModTime: b.pkg.Created}
}

func (b *Builder) checkLog(log Log) error {
	if len(log.Proofs) != len(b.pkg.Custody)+1 {
		return fmt.Errorf("log: %d proofs for %d custody records and the export record", len(log.Proofs), len(b.pkg.Custody))
	}
	if len(log.Checkpoints) == 0 {
		return errors.New("log: no checkpoint")
	}
	for i, p := range log.Proofs {
		if p.Checkpoint < 0 || p.Checkpoint >= len(log.Checkpoints) {
			return fmt.Errorf("log: proof %d names checkpoint %d of %d", i+1, p.Checkpoint+1, len(log.Checkpoints))
		}
		if len(p.Hashes) > maxProofHashes {
			return fmt.Errorf("log: proof %d has %d hashes", i+1, len(p.Hashes))
		}
	}
	for i, c := range log.Consistency {
		n := len(log.Checkpoints)
		if c.From < 0 || c.From >= n || c.To < 0 || c.To >= n || c.From == c.To || len(c.Hashes) > maxProofHashes {
			return fmt.Errorf("log: consistency proof %d joins checkpoints %d and %d of %d", i+1, c.From+1, c.To+1, n)
		}
	}
	r, err := auditlog.Parse(log.Export)
	if err != nil {
		return fmt.Errorf("log: export record: %w", err)
	}
	var detail map[string]any
	if err := json.Unmarshal(r.Detail, &detail); err != nil || detail[ManifestDetailKey] != hex.EncodeToString(b.sum[:]) {
		return fmt.Errorf("log: the export record (%s) does not hold the manifest's SHA-256 under %q", r.Action, ManifestDetailKey)
	}
	return nil
}

// sealText is what the seal signs: the format, the request, the manifest's
// hash and the skeleton hash of the archive before the seal.
func (b *Builder) seal(skeleton []byte, signer note.Signer) ([]byte, error) {
	text := fmt.Sprintf("%s\nrequest %s\nmanifest %x\narchive %x\n", sealHeader, b.pkg.RequestID, b.sum, skeleton)
	return note.Sign(&note.Note{Text: text}, signer)
}

const sealHeader = "entraide evidence package seal v1"

// sealWriter hashes the archive as the seal covers it: header and padding
// bytes as they are, and each member's content as its SHA-256.
type sealWriter struct {
	w       io.Writer
	skel    hash.Hash
	content hash.Hash // non-nil while a member's content is written
}

func (s *sealWriter) Write(p []byte) (int, error) {
	n, err := s.w.Write(p)
	if s.content != nil {
		s.content.Write(p[:n])
	} else {
		s.skel.Write(p[:n])
	}
	return n, err
}

func (s *sealWriter) startContent() { s.content = sha256.New() }

func (s *sealWriter) endContent() {
	s.skel.Write(s.content.Sum(nil))
	s.content = nil
}

// originProof is the member holding the proof of record j of item i's
// origin, under the origin's checkpoint of size treeSize.
func originProof(i, j int, r OriginRecord, treeSize uint64) ([]byte, error) {
	doc := proofDoc{Record: originRecordPath(i, j), Entry: string(Entry(r.Canonical)), LeafIndex: r.LeafIndex, TreeSize: treeSize,
		Checkpoint: originCheckpointPath(i), Hashes: make([]string, len(r.Hashes))}
	for k, h := range r.Hashes {
		doc.Hashes[k] = hex.EncodeToString(h)
	}
	pj, err := json.MarshalIndent(doc, "", " ")
	if err != nil {
		return nil, err
	}
	return append(pj, '\n'), nil
}

// checkpointSize is the size a signed checkpoint states, 0 if it states
// none; the reader checks it against the signed checkpoint.
func checkpointSize(signed []byte) uint64 {
	text, _, _ := bytes.Cut(signed, []byte("\n\n"))
	cp, err := parseCheckpoint(string(text) + "\n")
	if err != nil {
		return 0
	}
	return cp.size
}
