package evidence

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"math/rand/v2"
	"testing"

	"gocloud.dev/blob"
	"gocloud.dev/blob/memblob"
)

// TestSegmentsRoundTrip stores an item in pieces of odd sizes, and reads
// it back whole and from every kind of offset; its hash state carried
// between the pieces gives the SHA-256 of the whole.
func TestSegmentsRoundTrip(t *testing.T) {
	v := NewVault(memblob.OpenBucket(nil))
	ident, rcpt, err := NewKey()
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(7, 7))
	data := make([]byte, 5<<20+77)
	for i := range data {
		data[i] = byte(rng.Uint32())
	}
	state := NewHashState()
	var segs []Segment
	var off int64
	for i, size := range []int64{1, 65536, 1<<20 + 3, 0, 3 << 20} {
		seg, next, err := v.WriteSegment(t.Context(), "item", i, off, rcpt, state, bytes.NewReader(data[off:]), size)
		if err != nil {
			t.Fatal(err)
		}
		if seg.Length != size {
			t.Fatalf("segment %d: %d bytes, want %d", i, seg.Length, size)
		}
		if seg.Length > 0 {
			segs = append(segs, seg)
		}
		state, off = next, off+seg.Length
	}
	seg, next, err := v.WriteSegment(t.Context(), "item", 9, off, rcpt, state, bytes.NewReader(data[off:]), 1<<30)
	if err != nil || off+seg.Length != int64(len(data)) {
		t.Fatalf("last segment: %+v, %v", seg, err)
	}
	segs = append(segs, seg)
	sum, _ := Sum(next)
	if want := sha256.Sum256(data); sum != hex.EncodeToString(want[:]) {
		t.Fatalf("Sum = %s, want %x", sum, want)
	}
	r, err := v.Open(t.Context(), segs, int64(len(data)), ident)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(r)
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("read back %d bytes, %v", len(got), err)
	}
	for _, at := range []int64{0, 1, 65536, 65537, 1<<20 + 65539, int64(len(data)) - 1} {
		r.Seek(at, io.SeekStart)
		buf := make([]byte, 100_000)
		n, _ := io.ReadFull(r, buf)
		if !bytes.Equal(buf[:n], data[at:at+int64(n)]) || n == 0 {
			t.Errorf("at %d: %d bytes differ", at, n)
		}
	}
	if _, err := v.Open(t.Context(), segs[1:], int64(len(data)), ident); !errors.Is(err, ErrDamaged) {
		t.Errorf("a piece missing: %v, want ErrDamaged", err)
	}
	// Another item's key opens nothing.
	other, _, _ := NewKey()
	r2, _ := v.Open(t.Context(), segs, int64(len(data)), other)
	if _, err := io.ReadAll(r2); !errors.Is(err, ErrDamaged) {
		t.Errorf("read with another key: %v, want ErrDamaged", err)
	}
	if err := v.Delete(t.Context(), "item"); err != nil {
		t.Fatal(err)
	}
	r3, _ := v.Open(t.Context(), segs, int64(len(data)), ident)
	if _, err := io.ReadAll(r3); !errors.Is(err, ErrDamaged) {
		t.Errorf("read after Delete: %v, want ErrDamaged", err)
	}
}

// TestSegmentKeepsWhatCameBeforeAFailure: a source that fails after some
// bytes gives a segment of those bytes, and its error.
func TestSegmentKeepsWhatCameBeforeAFailure(t *testing.T) {
	v := NewVault(memblob.OpenBucket(nil))
	ident, rcpt, _ := NewKey()
	cut := errors.New("cut")
	src := io.MultiReader(bytes.NewReader(bytes.Repeat([]byte("x"), 3000)), iotestErr{cut})
	seg, _, err := v.WriteSegment(t.Context(), "item", 0, 0, rcpt, NewHashState(), src, 10_000)
	if !errors.Is(err, cut) || seg.Length != 3000 {
		t.Fatalf("WriteSegment = %d bytes, %v; want 3000 and the source's error", seg.Length, err)
	}
	r, err := v.Open(t.Context(), []Segment{seg}, 3000, ident)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := io.ReadAll(r); err != nil || len(got) != 3000 {
		t.Errorf("read back %d, %v", len(got), err)
	}
}

type iotestErr struct{ err error }

func (e iotestErr) Read([]byte) (int, error) { return 0, e.err }

// A segment in the default store is synced to disk before it is
// committed: the store must hand its file over for that, and an object
// store, which syncs of itself, hands nothing.
func TestSegmentFileIsSyncedInTheFileStore(t *testing.T) {
	var d durableFile
	v, err := OpenDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	w, err := v.bucket.NewWriter(t.Context(), "evidence/x/000000-00", &blob.WriterOptions{BeforeWrite: d.capture})
	if err != nil {
		t.Fatal(err)
	}
	big := bytes.Repeat([]byte{7}, writebackPiece+1)
	n, err := w.Write(big)
	d.wrote(n)
	if err != nil || d.f == nil || d.flushed != int64(len(big)) {
		t.Fatalf("file store: file %v, writeback started for %d of %d bytes (%v)", d.f != nil, d.flushed, len(big), err)
	}
	if err := errors.Join(d.sync(), w.Close(), d.syncDirs()); err != nil {
		t.Fatal(err)
	}

	var m durableFile
	w, err = NewVault(memblob.OpenBucket(nil)).bucket.NewWriter(t.Context(), "k", &blob.WriterOptions{BeforeWrite: m.capture})
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte("x"))
	if err := errors.Join(w.Close(), m.sync(), m.syncDirs()); err != nil || m.f != nil {
		t.Fatalf("object store: file %v, %v", m.f != nil, err)
	}
}
