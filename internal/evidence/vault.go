package evidence

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"sync"

	"filippo.io/age"
	"gocloud.dev/blob"
	"gocloud.dev/blob/fileblob"
	"gocloud.dev/gcerrors"
)

// ErrDamaged is matched by the error for stored bytes that fail their
// integrity check: an object missing, cut, or changed since it was
// written, which age's authentication finds.
var ErrDamaged = errors.New("stored evidence fails its integrity check")

// SegmentSize bounds one stored piece: an upload's bytes are committed at
// least this often, so a node killed mid-upload loses at most this much
// of what it was receiving.
const SegmentSize int64 = 64 << 20

// Vault keeps items' bytes, encrypted, in a bucket of gocloud.dev/blob:
// a directory by default, S3 or another object store by URL.
type Vault struct {
	bucket *blob.Bucket
}

// OpenDir returns the vault that keeps its objects as files under dir,
// created if missing. Each object is written to a temporary file beside
// it and renamed into place whole.
func OpenDir(dir string) (*Vault, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create the evidence store %s: %w", dir, err)
	}
	b, err := fileblob.OpenBucket(dir, &fileblob.Options{NoTempDir: true, DirFileMode: 0o700, Metadata: fileblob.MetadataDontWrite})
	if err != nil {
		return nil, fmt.Errorf("open the evidence store %s: %w", dir, err)
	}
	return NewVault(b), nil
}

// NewVault returns the vault that keeps its objects in b.
func NewVault(b *blob.Bucket) *Vault { return &Vault{bucket: b} }

// Ping reports an error if the vault's bucket cannot be reached: the
// directory is gone or the object store refuses the node's credentials.
func (v *Vault) Ping(ctx context.Context) error {
	ok, err := v.bucket.IsAccessible(ctx)
	if err != nil {
		return fmt.Errorf("the evidence store: %w", err)
	}
	if !ok {
		return errors.New("the evidence store is not accessible")
	}
	return nil
}

// Close closes the vault's bucket.
func (v *Vault) Close() error { return v.bucket.Close() }

// NewKey returns a new age X25519 identity for an item, and its
// recipient. The identity is secret: keep only its wrapped form.
func NewKey() (identity, recipient string, err error) {
	id, err := age.GenerateX25519Identity()
	if err != nil {
		return "", "", err
	}
	return id.String(), id.Recipient().String(), nil
}

// NewHashState returns the SHA-256 state of no bytes.
func NewHashState() []byte {
	s, _ := sha256.New().(encoding.BinaryMarshaler).MarshalBinary()
	return s
}

func restoreHash(state []byte) (hash.Hash, error) {
	h := sha256.New()
	if err := h.(encoding.BinaryUnmarshaler).UnmarshalBinary(state); err != nil {
		return nil, fmt.Errorf("the item's hash state cannot be read: %w", err)
	}
	return h, nil
}

// Sum returns the hex SHA-256 of the bytes whose state is state.
func Sum(state []byte) (string, error) {
	h, err := restoreHash(state)
	if err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

func segmentKey(item string, index int) string {
	var r [6]byte
	rand.Read(r[:])
	// A random tail: two writers of the same piece (a client that
	// retried while its first attempt still ran) never write one object.
	return fmt.Sprintf("evidence/%s/%06d-%x", item, index, r)
}

// ingestBuffer is the size of the pieces an upload is read in; ingestDepth
// how many are in flight, so memory stays at ingestBuffer×ingestDepth.
const (
	ingestBuffer = 1 << 20
	ingestDepth  = 4
)

// An object store takes a segment of more than 16 MiB in parts: S3
// refuses every part but the last under 5 MiB, so ingestBuffer cannot be
// the part size. Each upload holds objectParallel+1 parts, and the 16 MiB
// its client reads before choosing to send in parts.
const (
	objectPart     = 8 << 20
	objectParallel = 2
)

// WriteSegment stores the next piece of item: at most max bytes read
// from src, encrypted to recipient as one age object, hashed into the
// item's hash state. Hashing and encryption run on goroutines of their
// own, so a piece costs the slower of the two, not their sum. It returns
// the stored segment and the hash state after it; a segment of no bytes
// is stored as nothing. When src fails, the bytes read before are still
// stored and returned with src's error. When the store fails, nothing is
// stored and the error says so.
func (v *Vault) WriteSegment(ctx context.Context, item string, index int, offset int64, recipient string, hashState []byte, src io.Reader, max int64) (Segment, []byte, error) {
	seg := Segment{Index: index, Offset: offset, Key: segmentKey(item, index)}
	rcpt, err := age.ParseX25519Recipient(recipient)
	if err != nil {
		return seg, nil, fmt.Errorf("item %s: its recipient: %w", item, err)
	}
	h, err := restoreHash(hashState)
	if err != nil {
		return seg, nil, err
	}
	// Not the caller's context alone: a cut connection ends it, and the
	// bytes received before must still be committed.
	wctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	defer cancel()
	var bw *blob.Writer
	var aw io.WriteCloser
	var fl *flusher
	counter := &countWriter{}
	var disk durableFile
	open := func() error {
		var err error
		bw, err = v.bucket.NewWriter(wctx, seg.Key, &blob.WriterOptions{ContentType: "application/age-encryption", BufferSize: objectPart, MaxConcurrency: objectParallel, BeforeWrite: disk.capture})
		if err != nil {
			return err
		}
		fl = newFlusher(bw, ingestBuffer, 2, disk.writeTo)
		counter.w = fl
		aw, err = age.Encrypt(counter, rcpt)
		return err
	}

	free := make(chan []byte, ingestDepth)
	for range ingestDepth {
		free <- make([]byte, ingestBuffer)
	}
	type piece struct {
		b    []byte
		refs *sync.WaitGroup
	}
	toHash, toSeal := make(chan piece, ingestDepth), make(chan piece, ingestDepth)
	var hashed sync.WaitGroup
	hashed.Add(1)
	go func() {
		defer hashed.Done()
		for p := range toHash {
			h.Write(p.b)
			p.refs.Done()
		}
	}()
	var sealErr error
	var sealed sync.WaitGroup
	sealed.Add(1)
	go func() {
		defer sealed.Done()
		for p := range toSeal {
			if sealErr == nil {
				if aw == nil {
					sealErr = open()
				}
				if sealErr == nil {
					_, sealErr = aw.Write(p.b)
				}
			}
			p.refs.Done()
		}
	}()
	var readErr error
	var n int64
	for n < max && readErr == nil {
		buf := <-free
		want := min(int64(len(buf)), max-n)
		k, err := io.ReadFull(src, buf[:want])
		if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
			err = io.EOF
		}
		readErr = err
		if k == 0 {
			free <- buf
			continue
		}
		n += int64(k)
		refs := &sync.WaitGroup{}
		refs.Add(2)
		go func(b []byte) { refs.Wait(); free <- b[:cap(b)] }(buf)
		toHash <- piece{buf[:k], refs}
		toSeal <- piece{buf[:k], refs}
	}
	close(toHash)
	close(toSeal)
	hashed.Wait()
	sealed.Wait()
	if errors.Is(readErr, io.EOF) {
		readErr = nil
	}
	if n == 0 {
		return Segment{Index: index, Offset: offset}, hashState, readErr
	}
	if sealErr == nil {
		sealErr = aw.Close()
	}
	if fl != nil {
		if err := fl.Close(); sealErr == nil {
			sealErr = err
		}
	}
	if sealErr == nil {
		sealErr = disk.sync()
	}
	if sealErr == nil {
		if sealErr = bw.Close(); sealErr == nil {
			if sealErr = disk.syncDirs(); sealErr != nil {
				v.bucket.Delete(wctx, seg.Key) // not named on disk for sure: not stored
			}
		}
	} else if bw != nil {
		cancel() // aborts the object: nothing half-written is left
		bw.Close()
	}
	if sealErr != nil {
		return seg, nil, fmt.Errorf("store %d bytes of item %s in the evidence store: %w", n, item, sealErr)
	}
	state, err := h.(encoding.BinaryMarshaler).MarshalBinary()
	if err != nil {
		return seg, nil, err
	}
	seg.Length, seg.StoredSize = n, counter.n
	return seg, state, readErr
}

// flusher writes to w on a goroutine of its own, in pieces of size
// bytes, so that encryption goes on while the store takes the piece
// before: at most depth+1 pieces are held. A write error is returned by
// Close.
type flusher struct {
	w          io.Writer
	write      func(w io.Writer, b []byte) (int, error) // writes each piece to w, on the writer goroutine
	buf        []byte
	full, free chan []byte
	done       chan struct{}
	err        error // the writer goroutine's, read after done
}

func newFlusher(w io.Writer, size, depth int, write func(io.Writer, []byte) (int, error)) *flusher {
	f := &flusher{w: w, write: write, full: make(chan []byte, depth), free: make(chan []byte, depth+1), done: make(chan struct{})}
	for range depth {
		f.free <- alignedBuffer(size)[:0]
	}
	f.buf = alignedBuffer(size)[:0]
	go func() {
		defer close(f.done)
		for b := range f.full {
			if f.err == nil {
				_, f.err = f.write(f.w, b)
			}
			f.free <- b[:0]
		}
	}()
	return f
}

func (f *flusher) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		k := copy(f.buf[len(f.buf):cap(f.buf)], p)
		f.buf, p = f.buf[:len(f.buf)+k], p[k:]
		if len(f.buf) == cap(f.buf) {
			f.full <- f.buf
			f.buf = <-f.free
		}
	}
	return n, nil
}

// Close writes what is left and waits for the writer goroutine.
func (f *flusher) Close() error {
	if len(f.buf) > 0 {
		f.full <- f.buf
	}
	close(f.full)
	<-f.done
	return f.err
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// Delete deletes every object of item, those of its segments and any a
// writer left behind. Deleting what is already gone is no error.
func (v *Vault) Delete(ctx context.Context, item string) error {
	it := v.bucket.List(&blob.ListOptions{Prefix: "evidence/" + item + "/"})
	for {
		obj, err := it.Next(ctx)
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("list the objects of item %s: %w", item, err)
		}
		if err := v.bucket.Delete(ctx, obj.Key); err != nil && gcerrors.Code(err) != gcerrors.NotFound {
			return fmt.Errorf("delete object of item %s: %w", item, err)
		}
	}
}

// DeleteSegment deletes one segment's object: one whose commit failed.
func (v *Vault) DeleteSegment(ctx context.Context, seg Segment) error {
	if seg.Key == "" {
		return nil
	}
	err := v.bucket.Delete(ctx, seg.Key)
	if gcerrors.Code(err) == gcerrors.NotFound {
		return nil
	}
	return err
}
