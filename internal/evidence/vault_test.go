package evidence

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"testing"

	"gocloud.dev/blob"
	"gocloud.dev/blob/memblob"
	_ "gocloud.dev/blob/s3blob"

	"entraide/internal/s3test"
)

// eachStore runs test over the vault of each store a node keeps
// evidence in: a directory, the default, and an S3 bucket reached as
// `entraide serve --blob s3://...` reaches one, over the S3 protocol.
func eachStore(t *testing.T, test func(t *testing.T, v *Vault)) {
	t.Run("directory", func(t *testing.T) {
		v, err := OpenDir(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { v.Close() })
		test(t, v)
	})
	t.Run("s3", func(t *testing.T) {
		srv := s3test.Start(t, "evidence")
		b, err := blob.OpenBucket(t.Context(), srv.URL)
		if err != nil {
			t.Fatal(err)
		}
		v := NewVault(b)
		t.Cleanup(func() { v.Close() })
		test(t, v)
	})
}

// multipartAbove is the size from which the S3 client sends an object in
// parts (its transfer manager's default threshold).
const multipartAbove = 16 << 20

// TestSegmentsRoundTrip stores an item in pieces of odd sizes, one sent
// to S3 in parts, and reads it back whole
// and from every kind of offset, across the pieces' boundaries; its hash
// state carried between the pieces gives the SHA-256 of the whole.
func TestSegmentsRoundTrip(t *testing.T) {
	data := make([]byte, 20<<20+77)
	rand.NewChaCha8([32]byte{7}).Read(data)
	eachStore(t, func(t *testing.T, v *Vault) {
		ident, segs := writeItem(t, v, "item", data, []int64{1, 65536, 1<<20 + 3, 0, multipartAbove + 1<<20})
		r, err := v.Open(t.Context(), segs, int64(len(data)), ident)
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(r)
		if err != nil || !bytes.Equal(got, data) {
			t.Fatalf("read back %d bytes, %v", len(got), err)
		}
		end := int64(len(data))
		for _, at := range []int64{0, 1, 65536, 65537, 1<<20 + 65539, 1<<20 + 65500, 1<<20 + 65539 + multipartAbove - 50_000, 1<<20 + 65539 + multipartAbove + 1, 10<<20 + 65535, end - 1} {
			r.Seek(at, io.SeekStart)
			buf := make([]byte, 100_000)
			n, _ := io.ReadFull(r, buf)
			if !bytes.Equal(buf[:n], data[at:at+int64(n)]) || n != int(min(100_000, end-at)) {
				t.Errorf("at %d: %d bytes read, or they differ", at, n)
			}
		}
		// Backwards, as a client fetching ranges in any order does.
		r.Seek(-200, io.SeekEnd)
		if buf, err := io.ReadAll(r); err != nil || !bytes.Equal(buf, data[end-200:]) {
			t.Errorf("the last 200 bytes: %d, %v", len(buf), err)
		}
		r.Seek(3, io.SeekStart)
		if buf := make([]byte, 10); func() bool { _, err := io.ReadFull(r, buf); return err != nil }() || !bytes.Equal(buf, data[3:13]) {
			t.Errorf("bytes 3-12 after the end: %x", buf)
		}
		r.Close()
		if _, err := v.Open(t.Context(), segs[1:], int64(len(data)), ident); !errors.Is(err, ErrDamaged) {
			t.Errorf("a piece missing: %v, want ErrDamaged", err)
		}
		// Another item's key opens nothing.
		other, _, _ := NewKey()
		r2, _ := v.Open(t.Context(), segs, int64(len(data)), other)
		if _, err := io.ReadAll(r2); !errors.Is(err, ErrDamaged) {
			t.Errorf("read with another key: %v, want ErrDamaged", err)
		}
		r2.Close()
	})
}

// writeItem stores data as item in segments of sizes, then the rest in
// one, and checks the SHA-256 its hash state gives. It returns the
// item's identity and its segments.
func writeItem(t *testing.T, v *Vault, item string, data []byte, sizes []int64) (string, []Segment) {
	t.Helper()
	ident, rcpt, err := NewKey()
	if err != nil {
		t.Fatal(err)
	}
	state := NewHashState()
	var segs []Segment
	var off int64
	for i, size := range append(sizes, 1<<40) {
		seg, next, err := v.WriteSegment(t.Context(), item, i, off, rcpt, state, bytes.NewReader(data[off:]), size)
		if err != nil {
			t.Fatal(err)
		}
		if want := min(size, int64(len(data))-off); seg.Length != want {
			t.Fatalf("segment %d: %d bytes, want %d", i, seg.Length, want)
		}
		if seg.Length > 0 {
			segs = append(segs, seg)
		}
		state, off = next, off+seg.Length
	}
	sum, _ := Sum(state)
	if want := sha256.Sum256(data); sum != hex.EncodeToString(want[:]) {
		t.Fatalf("Sum = %s, want %x", sum, want)
	}
	return ident, segs
}

// TestDamagedObjects: an object changed in one byte, cut, replaced by
// another item's of the same size, or missing is found when its bytes are read, and the error
// matches ErrDamaged; the other pieces still read.
func TestDamagedObjects(t *testing.T) {
	data := make([]byte, 300_000)
	rand.NewChaCha8([32]byte{3}).Read(data)
	eachStore(t, func(t *testing.T, v *Vault) {
		ctx := t.Context()
		for _, tc := range []struct {
			name   string
			damage func(key string, stored []byte) error
		}{
			{"one byte changed", func(key string, stored []byte) error {
				b := bytes.Clone(stored)
				b[len(b)/2] ^= 1
				return v.bucket.WriteAll(ctx, key, b, nil)
			}},
			{"cut", func(key string, stored []byte) error { return v.bucket.WriteAll(ctx, key, stored[:len(stored)-1], nil) }},
			{"another item's in its place", func(key string, stored []byte) error {
				_, other := writeItem(t, v, "other", data, []int64{100_000})
				b, err := v.bucket.ReadAll(ctx, other[1].Key)
				if err != nil || len(b) != len(stored) {
					return fmt.Errorf("another item's object: %d bytes, %v", len(b), err)
				}
				return v.bucket.WriteAll(ctx, key, b, nil)
			}},
			{"missing", func(key string, _ []byte) error { return v.bucket.Delete(ctx, key) }},
		} {
			t.Run(tc.name, func(t *testing.T) {
				item := "damaged-" + tc.name
				ident, segs := writeItem(t, v, item, data, []int64{100_000})
				stored, err := v.bucket.ReadAll(ctx, segs[1].Key)
				if err != nil {
					t.Fatal(err)
				}
				if err := tc.damage(segs[1].Key, stored); err != nil {
					t.Fatal(err)
				}
				r, err := v.Open(ctx, segs, int64(len(data)), ident)
				if err != nil {
					t.Fatal(err)
				}
				defer r.Close()
				head := make([]byte, 100_000)
				if _, err := io.ReadFull(r, head); err != nil || !bytes.Equal(head, data[:100_000]) {
					t.Errorf("the first piece, intact: %v", err)
				}
				if _, err := io.ReadAll(r); !errors.Is(err, ErrDamaged) {
					t.Errorf("read past the damage: %v, want ErrDamaged", err)
				}
			})
		}
	})
}

// TestDeleteLeavesNothing: deleting an item deletes every object of it,
// and no other item's; deleting it again, or a segment already gone, is
// no error.
func TestDeleteLeavesNothing(t *testing.T) {
	data := bytes.Repeat([]byte("evidence"), 40_000)
	eachStore(t, func(t *testing.T, v *Vault) {
		ctx := t.Context()
		ident, segs := writeItem(t, v, "gone", data, []int64{1000, 50_000})
		keepIdent, kept := writeItem(t, v, "kept", data, nil)
		if err := v.Delete(ctx, "gone"); err != nil {
			t.Fatal(err)
		}
		if keys := objects(t, v, "evidence/gone/"); len(keys) != 0 {
			t.Errorf("after Delete: %v left", keys)
		}
		r, _ := v.Open(ctx, segs, int64(len(data)), ident)
		if _, err := io.ReadAll(r); !errors.Is(err, ErrDamaged) {
			t.Errorf("read after Delete: %v, want ErrDamaged", err)
		}
		r.Close()
		if err := errors.Join(v.Delete(ctx, "gone"), v.DeleteSegment(ctx, segs[0]), v.DeleteSegment(ctx, Segment{})); err != nil {
			t.Errorf("deleting what is gone: %v", err)
		}
		r, _ = v.Open(ctx, kept, int64(len(data)), keepIdent)
		if got, err := io.ReadAll(r); err != nil || !bytes.Equal(got, data) {
			t.Errorf("the other item after Delete: %d bytes, %v", len(got), err)
		}
		r.Close()
		if err := v.DeleteSegment(ctx, kept[0]); err != nil {
			t.Fatal(err)
		}
		if keys := objects(t, v, "evidence/kept/"); len(keys) != 0 {
			t.Errorf("after DeleteSegment of its one segment: %v left", keys)
		}
	})
}

func objects(t *testing.T, v *Vault, prefix string) []string {
	t.Helper()
	var keys []string
	it := v.bucket.List(&blob.ListOptions{Prefix: prefix})
	for {
		obj, err := it.Next(t.Context())
		if errors.Is(err, io.EOF) {
			return keys
		}
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, obj.Key)
	}
}

// TestSegmentKeepsWhatCameBeforeAFailure: a source that fails after some
// bytes gives a segment of those bytes, and its error.
func TestSegmentKeepsWhatCameBeforeAFailure(t *testing.T) {
	eachStore(t, func(t *testing.T, v *Vault) {
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
		defer r.Close()
		if got, err := io.ReadAll(r); err != nil || len(got) != 3000 {
			t.Errorf("read back %d, %v", len(got), err)
		}
	})
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
	// Aligned pieces go to the disk directly where the file system
	// allows; the unaligned tail is written buffered, then synced.
	big := alignedBuffer(writebackPiece)
	for i := range big {
		big[i] = byte(i)
	}
	tail := []byte("tail")
	for _, p := range [][]byte{big, big, tail} {
		if _, err := d.writeTo(w, p); err != nil {
			t.Fatal(err)
		}
	}
	if d.f == nil || d.direct || d.written != int64(2*len(big)+len(tail)) || d.flushed != int64(2*len(big)) {
		t.Fatalf("file store: file %v, direct %v after the tail, %d written, writeback started for %d", d.f != nil, d.direct, d.written, d.flushed)
	}
	if err := errors.Join(d.sync(), w.Close(), d.syncDirs()); err != nil {
		t.Fatal(err)
	}
	stored, err := v.bucket.ReadAll(t.Context(), "evidence/x/000000-00")
	if err != nil || !bytes.Equal(stored, slices.Concat(big, big, tail)) {
		t.Fatalf("the file holds %d bytes (%v), not what was written", len(stored), err)
	}

	srv := s3test.Start(t, "evidence")
	s3, err := blob.OpenBucket(t.Context(), srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer s3.Close()
	for name, b := range map[string]*blob.Bucket{"memory": memblob.OpenBucket(nil), "s3": s3} {
		var m durableFile
		w, err = b.NewWriter(t.Context(), "k", &blob.WriterOptions{BeforeWrite: m.capture})
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte("x"))
		m.wrote(1)
		if err := errors.Join(w.Close(), m.sync(), m.syncDirs()); err != nil || m.f != nil {
			t.Fatalf("%s store: file %v, %v", name, m.f != nil, err)
		}
	}
}
