package archive_test

import (
	"archive/tar"
	"bytes"
	"encoding/json"
	"io"
	"runtime"
	"testing"

	"entraide/internal/archive"
	"entraide/internal/archive/archivetest"
)

// FuzzVerify feeds Verify packages changed at random: it must never panic,
// always return a report that renders, and never call a damaged package OK
// unless it is byte for byte the one built.
func FuzzVerify(f *testing.F) {
	fx := archivetest.Small(f)
	// The crossing's keys are its own; with them, its package is the one
	// seed that verifies, and what the reader makes of the sending State's
	// custody and of a tombstone is fuzzed from it.
	cx := archivetest.Crossed(f)
	keys := []string{fx.LogKey, fx.Witness}
	f.Add(fx.Archive)
	f.Add(cx.Archive)
	f.Add(cx.Archive[:len(cx.Archive)*2/3])
	f.Add(fx.Archive[:len(fx.Archive)/2])
	f.Add(fx.Archive[:2048])
	f.Add([]byte{})
	f.Add(hugeMember(f, archive.ManifestPath, 1<<40))
	f.Add(hugeMember(f, "records/1.json", 1<<62))
	f.Fuzz(func(t *testing.T, b []byte) {
		rep, err := archive.Verify(bytes.NewReader(b), keys)
		if err != nil {
			t.Fatalf("Verify: %v (only keys may fail)", err)
		}
		if rep.OK && !bytes.Equal(b, fx.Archive) {
			t.Fatalf("Verify of a changed package of %d bytes: OK", len(b))
		}
		if err := rep.WriteText(io.Discard); err != nil {
			t.Fatal(err)
		}
		if _, err := json.Marshal(rep); err != nil {
			t.Fatal(err)
		}
	})
}

// hugeMember is a tar stream whose member claims size bytes and holds few.
func hugeMember(t testing.TB, name string, size int64) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: name, Size: size, Mode: 0o644}); err != nil {
		t.Fatal(err)
	}
	tw.Write([]byte("{}"))
	return buf.Bytes()
}

// TestVerifyHostileSizes checks that members claiming huge sizes are named,
// not allocated.
func TestVerifyHostileSizes(t *testing.T) {
	fx := archivetest.Small(t)
	for _, name := range []string{archive.ManifestPath, "records/1.json", "proofs/1.json", "checkpoints/001.txt", archive.RequestPath} {
		b := hugeMember(t, name, 1<<40)
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		rep, err := archive.Verify(bytes.NewReader(b), []string{fx.LogKey})
		runtime.ReadMemStats(&after)
		if err != nil {
			t.Fatal(err)
		}
		if rep.OK || !hasPart(rep, name) {
			t.Errorf("Verify of a %s claiming 1 TiB: problems %+v, want one naming it", name, rep.Problems)
		}
		if got := after.TotalAlloc - before.TotalAlloc; got > 8<<20 {
			t.Errorf("Verify of a %s claiming 1 TiB allocated %d bytes, want under 8 MiB", name, got)
		}
	}
}
