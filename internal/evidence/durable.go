package evidence

import (
	"os"
	"path/filepath"
)

// A stored segment is committed with its custody record, which the node
// signs into its log: the bytes must be on disk before. An object store
// promises that when a write returns; a file of the default store does
// only once synced, as must the directories that name it.
type durableFile struct {
	f       *os.File // nil: the store is not a local file system
	flushed int64    // bytes whose writeback has been started
	written int64
}

// writebackPiece is how many written bytes are handed to the disk at a
// time while a segment streams in, so that the sync at its end waits on
// little and dirty pages do not pile up.
const writebackPiece = 8 << 20

// capture is a blob.WriterOptions.BeforeWrite: a file-backed store
// offers its *os.File, others offer nothing.
func (d *durableFile) capture(as func(any) bool) error {
	as(&d.f)
	return nil
}

func (d *durableFile) wrote(n int) {
	if d.f == nil {
		return
	}
	d.written += int64(n)
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
