package store

import (
	"os"
	"path/filepath"
	"testing"
)

// A data directory may hold characters a SQLite URI gives a meaning to:
// each such path opens its own file, not one named by its beginning.
func TestOpenPathsWithURICharacters(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"cases#2", "a?b", "100%25", "plain"} {
		path := filepath.Join(dir, name, "entraide.db")
		db, err := Open(t.Context(), path)
		if err != nil {
			t.Fatalf("open %s: %v", path, err)
		}
		db.Close()
		if _, err := os.Stat(path); err != nil {
			t.Errorf("opening %s made no file there: %v", path, err)
		}
	}
	for _, wrong := range []string{"cases", "a"} {
		if _, err := os.Stat(filepath.Join(dir, wrong)); err == nil {
			t.Errorf("a file %s was made: a path was cut at a URI character", wrong)
		}
	}
}
