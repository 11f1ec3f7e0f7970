package evidence

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"sync"

	"filippo.io/age"
	"gocloud.dev/blob"
	"gocloud.dev/gcerrors"
)

// Reader reads an item's bytes in clear from its segments, decrypting as
// it reads: a Seek costs one age chunk (64 KiB), so it serves HTTP range
// requests. It holds one segment's object open at a time. A segment that
// fails age's authentication, or is missing or of another size than
// recorded, is an error matching ErrDamaged.
type Reader struct {
	ctx      context.Context
	vault    *Vault
	identity age.Identity
	segs     []Segment
	size     int64
	pos      int64
	// cur is the open segment, by index in segs.
	cur    int
	obj    *blob.Reader
	plain  io.ReaderAt
	closed bool
}

// Open returns a Reader of the item whose segments are segs, size bytes
// in all, with its identity (an age X25519 identity in clear). The
// segments must cover 0 to size without gaps, or the error matches
// ErrDamaged.
func (v *Vault) Open(ctx context.Context, segs []Segment, size int64, identity string) (*Reader, error) {
	id, err := age.ParseX25519Identity(identity)
	if err != nil {
		return nil, fmt.Errorf("the item's key: %w", err)
	}
	segs = append([]Segment(nil), segs...)
	sort.Slice(segs, func(i, j int) bool { return segs[i].Offset < segs[j].Offset })
	var at int64
	for _, s := range segs {
		if s.Offset != at {
			return nil, fmt.Errorf("%w: its stored pieces do not cover byte %d", ErrDamaged, at)
		}
		at += s.Length
	}
	if at != size {
		return nil, fmt.Errorf("%w: its stored pieces hold %d bytes, not %d", ErrDamaged, at, size)
	}
	return &Reader{ctx: ctx, vault: v, identity: id, segs: segs, size: size, cur: -1}, nil
}

// Size is the item's size in bytes.
func (r *Reader) Size() int64 { return r.size }

// Read reads the item's bytes in clear from the current position.
func (r *Reader) Read(p []byte) (int, error) {
	if r.closed {
		return 0, errors.New("read of a closed evidence reader")
	}
	if r.pos >= r.size {
		return 0, io.EOF
	}
	if len(p) == 0 {
		return 0, nil
	}
	i := sort.Search(len(r.segs), func(i int) bool { return r.segs[i].Offset+r.segs[i].Length > r.pos })
	if err := r.openSegment(i); err != nil {
		return 0, err
	}
	s := r.segs[i]
	rel := r.pos - s.Offset
	want := min(int64(len(p)), s.Length-rel)
	n, err := r.plain.ReadAt(p[:want], rel)
	r.pos += int64(n)
	if err == io.EOF && int64(n) == want {
		err = nil
	}
	if err != nil {
		return n, fmt.Errorf("%w: bytes %d-%d: %v", ErrDamaged, r.pos, s.Offset+s.Length-1, err)
	}
	return n, nil
}

// Seek sets the position of the next Read.
func (r *Reader) Seek(offset int64, whence int) (int64, error) {
	switch whence {
	case io.SeekStart:
	case io.SeekCurrent:
		offset += r.pos
	case io.SeekEnd:
		offset += r.size
	default:
		return r.pos, errors.New("seek: bad whence")
	}
	if offset < 0 {
		return r.pos, errors.New("seek before the start of the item")
	}
	r.pos = offset
	return offset, nil
}

// Close closes the object open.
func (r *Reader) Close() error {
	r.closed = true
	if r.obj != nil {
		return r.obj.Close()
	}
	return nil
}

func (r *Reader) openSegment(i int) error {
	if i == r.cur {
		return nil
	}
	if r.obj != nil {
		r.obj.Close()
		r.obj, r.plain, r.cur = nil, nil, -1
	}
	s := r.segs[i]
	obj, err := r.vault.bucket.NewReader(r.ctx, s.Key, nil)
	if gcerrors.Code(err) == gcerrors.NotFound {
		return fmt.Errorf("%w: the object of bytes %d-%d is missing", ErrDamaged, s.Offset, s.Offset+s.Length-1)
	}
	if err != nil {
		return fmt.Errorf("read the evidence store: %w", err)
	}
	if obj.Size() != s.StoredSize {
		obj.Close()
		return fmt.Errorf("%w: the object of bytes %d-%d holds %d bytes, not the %d written", ErrDamaged, s.Offset, s.Offset+s.Length-1, obj.Size(), s.StoredSize)
	}
	plain, size, err := age.DecryptReaderAt(&objectReaderAt{r: obj}, obj.Size(), r.identity)
	if err != nil {
		obj.Close()
		return fmt.Errorf("%w: bytes %d-%d do not decrypt: %v", ErrDamaged, s.Offset, s.Offset+s.Length-1, err)
	}
	if size != s.Length {
		obj.Close()
		return fmt.Errorf("%w: bytes %d-%d decrypt to %d bytes, not %d", ErrDamaged, s.Offset, s.Offset+s.Length-1, size, s.Length)
	}
	r.obj, r.plain, r.cur = obj, plain, i
	return nil
}

// objectReaderAt reads an object at offsets through one open reader:
// age asks for its chunks in order as the item is read, and the reader
// only reopens the object when it is asked for another place.
type objectReaderAt struct {
	mu sync.Mutex
	r  *blob.Reader
}

func (o *objectReaderAt) ReadAt(p []byte, off int64) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if _, err := o.r.Seek(off, io.SeekStart); err != nil {
		return 0, err
	}
	return io.ReadFull(o.r, p)
}
