package evidence

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"syscall"
	"unsafe"
)

// A stored segment is committed with its custody record, which the node
// signs into its log: the bytes must be on disk before. An object store
// promises that when a write returns; a file of the default store does
// only once synced, as must the directories that name it.
type durableFile struct {
	f       *os.File // nil: the store is not a local file system
	direct  bool     // f is written with direct I/O
	flushed int64    // bytes whose writeback has been started
	written int64
}

// directAlign is the alignment direct I/O asks of a write's buffer,
// length and file offset on the file systems a node runs on.
const directAlign = 4096

// alignedBuffer returns a buffer of size bytes whose start is aligned for
// direct I/O.
func alignedBuffer(size int) []byte {
	b := make([]byte, size+directAlign)
	off := int(uintptr(unsafe.Pointer(&b[0])) & (directAlign - 1))
	if off != 0 {
		off = directAlign - off
	}
	return b[off : off+size : off+size]
}

// writebackPiece is how many written bytes are handed to the disk at a
// time while a segment streams in, so that the sync at its end waits on
// little and dirty pages do not pile up.
const writebackPiece = 8 << 20

// capture is a blob.WriterOptions.BeforeWrite: a file-backed store
// offers its *os.File, others offer nothing.
func (d *durableFile) capture(as func(any) bool) error {
	if as(&d.f) && d.f != nil {
		d.direct = setDirect(d.f, true) == nil
	}
	return nil
}

// writeTo writes b to w, the store's writer of d's file. A piece direct
// I/O cannot take (the segment's last, of any length) is written
// buffered, as is everything on a file system that accepts the flag and
// then refuses the write.
func (d *durableFile) writeTo(w io.Writer, b []byte) (int, error) {
	if d.direct && (len(b)%directAlign != 0 || uintptr(unsafe.Pointer(unsafe.SliceData(b)))%directAlign != 0) {
		d.buffered()
	}
	n, err := w.Write(b)
	if err != nil && d.direct && n == 0 && errors.Is(err, syscall.EINVAL) {
		d.buffered()
		n, err = w.Write(b)
	}
	d.wrote(n)
	return n, err
}

func (d *durableFile) buffered() {
	d.direct = false
	setDirect(d.f, false)
	d.flushed = d.written // bytes written directly need no writeback
}

func (d *durableFile) wrote(n int) {
	if d.f == nil {
		return
	}
	d.written += int64(n)
	if d.direct {
		d.flushed = d.written
		return
	}
	if d.written-d.flushed >= writebackPiece {
		startWriteback(d.f, d.flushed, d.written-d.flushed)
		d.flushed = d.written
	}
}

// sync puts the file's bytes on disk; call it before the store renames
// the file into place.
func (d *durableFile) sync() error {
	if d.f == nil {
		return nil
	}
	return d.f.Sync()
}

// syncDirs puts the file's name on disk once renamed into place: its
// directory, and the one above that holds the item's directory.
func (d *durableFile) syncDirs() error {
	if d.f == nil {
		return nil
	}
	dir := filepath.Dir(d.f.Name())
	for _, p := range []string{dir, filepath.Dir(dir)} {
		if err := syncDir(p); err != nil {
			return err
		}
	}
	return nil
}

func syncDir(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	err = f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
