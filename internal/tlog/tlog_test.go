package tlog_test

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/transparency-dev/merkle/compact"
	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"
	"golang.org/x/mod/sumdb/note"

	"entraide/internal/tlog"
)

// memHashes is a store of hashes in memory.
type memHashes map[int64]tlog.Hash

func (m memHashes) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	for i, x := range indexes {
		h, ok := m[x]
		if !ok {
			return nil, fmt.Errorf("no stored hash %d", x)
		}
		out[i] = h
	}
	return out, nil
}

func TestEntry(t *testing.T) {
	canonical := []byte(`{"v":3}`)
	sum := sha256.Sum256(canonical)
	want := "entraide/audit/v1 " + hex.EncodeToString(sum[:])
	got := tlog.Entry(canonical)
	if string(got) != want {
		t.Fatalf("Entry() = %q, want %q", got, want)
	}
	if back, err := tlog.ParseEntry(got); err != nil || back != sum {
		t.Errorf("ParseEntry(Entry()) = %x, %v; want %x", back, err, sum)
	}
	for _, bad := range []string{"", want + "\n", strings.ToUpper(want), "entraide/audit/v2 " + hex.EncodeToString(sum[:]), want[:len(want)-1] + "g"} {
		if _, err := tlog.ParseEntry([]byte(bad)); err == nil {
			t.Errorf("ParseEntry(%q) = nil error, want one", bad)
		}
	}
}

// TestIntegrate appends leaves in batches of several sizes and checks
// every root, inclusion proof and consistency proof against
// transparency-dev/merkle, an implementation of RFC 6962 of its own.
func TestIntegrate(t *testing.T) {
	hasher := rfc6962.DefaultHasher
	rf := compact.RangeFactory{Hash: hasher.HashChildren}
	want := rf.NewEmptyRange(0)
	stored := memHashes{}
	var size int64
	var roots []tlog.Hash
	roots = append(roots, tlog.EmptyRoot)
	var leaves []tlog.Hash
	for batch, n := range []int{1, 2, 3, 5, 8, 13, 1, 0, 255, 256, 7} {
		var add []tlog.Hash
		for i := range n {
			leaf := tlog.LeafHash(tlog.Entry(fmt.Appendf(nil, "record %d.%d", batch, i)))
			if !bytes.Equal(leaf[:], hasher.HashLeaf(tlog.Entry(fmt.Appendf(nil, "record %d.%d", batch, i)))) {
				t.Fatalf("LeafHash differs from RFC 6962's")
			}
			add = append(add, leaf)
			if err := want.Append(leaf[:], nil); err != nil {
				t.Fatal(err)
			}
		}
		b, err := tlog.Integrate(size, add, stored)
		if err != nil {
			t.Fatalf("Integrate(%d, %d leaves) = %v", size, n, err)
		}
		for _, h := range b.Hashes {
			stored[h.Index] = h.Hash
		}
		wantRoot, _ := want.GetRootHash(nil)
		if size+int64(n) == 0 {
			wantRoot = hasher.EmptyRoot()
		}
		if b.Size != size+int64(n) || !bytes.Equal(b.Root[:], wantRoot) {
			t.Fatalf("Integrate: size %d root %x, want %d %x", b.Size, b.Root, size+int64(n), wantRoot)
		}
		size = b.Size
		leaves = append(leaves, add...)
		for len(roots) <= int(size) {
			roots = append(roots, tlog.Hash{})
		}
		roots[size] = b.Root
	}
	for _, idx := range []int64{0, 1, 7, 255, 256, size - 1} {
		p, err := tlog.InclusionProof(idx, size, stored)
		if err != nil {
			t.Fatalf("InclusionProof(%d, %d) = %v", idx, size, err)
		}
		if err := tlog.VerifyInclusion(p, size, roots[size], idx, leaves[idx]); err != nil {
			t.Errorf("VerifyInclusion(%d) = %v", idx, err)
		}
		if err := proof.VerifyInclusion(hasher, uint64(idx), uint64(size), leaves[idx][:], raw(p), roots[size][:]); err != nil {
			t.Errorf("transparency-dev VerifyInclusion(%d) = %v", idx, err)
		}
		if err := tlog.VerifyInclusion(p, size, roots[size], idx, leaves[(idx+1)%size]); !errors.Is(err, tlog.ErrProof) {
			t.Errorf("VerifyInclusion(another leaf at %d) = %v, want ErrProof", idx, err)
		}
	}
	for old := range roots {
		if old != 0 && roots[old] == (tlog.Hash{}) {
			continue
		}
		p, err := tlog.ConsistencyProof(int64(old), size, stored)
		if err != nil {
			t.Fatalf("ConsistencyProof(%d, %d) = %v", old, size, err)
		}
		if err := tlog.VerifyConsistency(p, size, roots[size], int64(old), roots[old]); err != nil {
			t.Errorf("VerifyConsistency(%d, %d) = %v", old, size, err)
		}
		if old > 0 && old < int(size) {
			if err := proof.VerifyConsistency(hasher, uint64(old), uint64(size), raw(p), roots[old][:], roots[size][:]); err != nil {
				t.Errorf("transparency-dev VerifyConsistency(%d, %d) = %v", old, size, err)
			}
			forked := roots[old]
			forked[0] ^= 1
			if err := tlog.VerifyConsistency(p, size, roots[size], int64(old), forked); !errors.Is(err, tlog.ErrProof) {
				t.Errorf("VerifyConsistency(another root at %d) = %v, want ErrProof", old, err)
			}
		}
	}
}

func raw(p []tlog.Hash) [][]byte {
	out := make([][]byte, len(p))
	for i := range p {
		out[i] = p[i][:]
	}
	return out
}

func testKey(t testing.TB) ed25519.PrivateKey {
	t.Helper()
	return ed25519.NewKeyFromSeed(bytes.Repeat([]byte{7}, ed25519.SeedSize))
}

func TestCheckpoint(t *testing.T) {
	key := testKey(t)
	origin := tlog.Origin("FRA", key.Public().(ed25519.PublicKey))
	if !strings.HasPrefix(origin, "entraide/audit/FRA/") || len(origin) != len("entraide/audit/FRA/")+16 {
		t.Fatalf("Origin() = %q", origin)
	}
	s, err := tlog.NewSigner(origin, key)
	if err != nil {
		t.Fatal(err)
	}
	cp := tlog.Checkpoint{Origin: origin, Size: 42, Root: tlog.LeafHash([]byte("x"))}
	signed, err := s.SignCheckpoint(cp)
	if err != nil {
		t.Fatal(err)
	}
	vkey, err := tlog.VerifierKey(origin, key.Public().(ed25519.PublicKey))
	if err != nil {
		t.Fatal(err)
	}
	got, _, err := tlog.ParseCheckpoint(signed, vkey)
	if err != nil || got != cp {
		t.Fatalf("ParseCheckpoint(SignCheckpoint()) = %+v, %v; want %+v", got, err, cp)
	}
	// The note verifies with x/mod's own verifier from the vkey alone.
	v, err := note.NewVerifier(vkey)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := note.Open(signed, note.VerifierList(v)); err != nil {
		t.Errorf("note.Open(checkpoint, vkey) = %v", err)
	}
	other := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{8}, ed25519.SeedSize))
	otherKey, _ := tlog.VerifierKey(origin, other.Public().(ed25519.PublicKey))
	tampered := bytes.Replace(signed, []byte("\n42\n"), []byte("\n43\n"), 1)
	for _, tt := range []struct {
		name, vkey string
		signed     []byte
	}{
		{"another key of the same name", otherKey, signed},
		{"a changed size", vkey, tampered},
		{"no signature", vkey, []byte(origin + "\n42\n" + "AAAA\n")},
		{"too large", vkey, bytes.Repeat([]byte("a"), tlog.MaxCheckpointSize+1)},
	} {
		if _, _, err := tlog.ParseCheckpoint(tt.signed, tt.vkey); !errors.Is(err, tlog.ErrCheckpoint) {
			t.Errorf("ParseCheckpoint(%s) = %v, want ErrCheckpoint", tt.name, err)
		}
	}
	if _, err := s.SignCheckpoint(tlog.Checkpoint{Origin: "another", Size: 1}); err == nil {
		t.Errorf("SignCheckpoint(another origin) = nil error, want one")
	}
}

func TestRecordProof(t *testing.T) {
	key := testKey(t)
	origin := tlog.Origin("FRA", key.Public().(ed25519.PublicKey))
	s, _ := tlog.NewSigner(origin, key)
	vkey, _ := tlog.VerifierKey(origin, key.Public().(ed25519.PublicKey))
	stored := memHashes{}
	var records [][]byte
	var leaves []tlog.Hash
	for i := range 10 {
		records = append(records, fmt.Appendf(nil, `{"v":3,"n":%d}`, i))
		leaves = append(leaves, tlog.LeafHash(tlog.Entry(records[i])))
	}
	b, err := tlog.Integrate(0, leaves, stored)
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range b.Hashes {
		stored[h.Index] = h.Hash
	}
	signed, _ := s.SignCheckpoint(tlog.Checkpoint{Origin: origin, Size: b.Size, Root: b.Root})
	p, err := tlog.InclusionProof(3, b.Size, stored)
	if err != nil {
		t.Fatal(err)
	}
	rp := tlog.RecordProof{Index: 3, Entry: tlog.Entry(records[3]), Proof: p, Checkpoint: signed}
	if _, err := rp.Verify(records[3], vkey); err != nil {
		t.Fatalf("Verify() = %v", err)
	}
	changed := bytes.Replace(records[3], []byte("3"), []byte("4"), 1)
	if _, err := rp.Verify(changed, vkey); !errors.Is(err, tlog.ErrProof) {
		t.Errorf("Verify(a changed record) = %v, want ErrProof", err)
	}
	rp.Entry = tlog.Entry(changed)
	if _, err := rp.Verify(changed, vkey); !errors.Is(err, tlog.ErrProof) {
		t.Errorf("Verify(a changed record with its own entry) = %v, want ErrProof", err)
	}
}

func TestTilePath(t *testing.T) {
	for _, tt := range []struct {
		path string
		want tlog.Tile
	}{
		{"tile/0/000", tlog.Tile{H: 8, L: 0, N: 0, W: 256}},
		{"tile/0/x001/x234/067.p/8", tlog.Tile{H: 8, L: 0, N: 1234067, W: 8}},
		{"tile/2/001.p/255", tlog.Tile{H: 8, L: 2, N: 1, W: 255}},
		{"tile/entries/000.p/1", tlog.Tile{H: 8, L: -1, N: 0, W: 1}},
		{"tile/entries/x001/000", tlog.Tile{H: 8, L: -1, N: 1000, W: 256}},
	} {
		got, err := tlog.ParseTilePath(tt.path)
		if err != nil || got != tt.want {
			t.Errorf("ParseTilePath(%q) = %+v, %v; want %+v", tt.path, got, err, tt.want)
		}
		if p := tlog.TilePath(got); p != tt.path {
			t.Errorf("TilePath(%+v) = %q, want %q", got, p, tt.path)
		}
	}
	for _, bad := range []string{"", "tile", "tile/0", "tile/0/1", "tile/0/0001", "tile/0/000.p/256", "tile/0/000.p/0",
		"tile/8/0/000", "tile/data/000", "tile/-1/000", "tile/entries/1000", "checkpoint", "tile/0/x000/001", "tile/0/000/"} {
		if _, err := tlog.ParseTilePath(bad); !errors.Is(err, tlog.ErrTilePath) {
			t.Errorf("ParseTilePath(%q) = %v, want ErrTilePath", bad, err)
		}
	}
}

func TestEntryBundle(t *testing.T) {
	entries := [][]byte{tlog.Entry([]byte("a")), {}, tlog.Entry([]byte("b"))}
	b, err := tlog.AppendEntryBundle(nil, entries...)
	if err != nil {
		t.Fatal(err)
	}
	if b[0] != 0 || int(b[1]) != tlog.EntrySize {
		t.Errorf("bundle starts % x, want the big-endian length %d", b[:2], tlog.EntrySize)
	}
	got, err := tlog.ParseEntryBundle(b)
	if err != nil || len(got) != 3 || !bytes.Equal(got[0], entries[0]) || len(got[1]) != 0 || !bytes.Equal(got[2], entries[2]) {
		t.Errorf("ParseEntryBundle(AppendEntryBundle()) = %q, %v", got, err)
	}
	for _, bad := range [][]byte{{0}, {0, 5, 1}} {
		if _, err := tlog.ParseEntryBundle(bad); err == nil {
			t.Errorf("ParseEntryBundle(% x) = nil error, want one", bad)
		}
	}
}

func FuzzParseCheckpoint(f *testing.F) {
	key := testKey(f)
	origin := tlog.Origin("FRA", key.Public().(ed25519.PublicKey))
	s, _ := tlog.NewSigner(origin, key)
	vkey, _ := tlog.VerifierKey(origin, key.Public().(ed25519.PublicKey))
	signed, _ := s.SignCheckpoint(tlog.Checkpoint{Origin: origin, Size: 7, Root: tlog.EmptyRoot})
	f.Add(signed)
	f.Add([]byte(origin + "\n7\nAAAA\n\n— " + origin + " AAAA\n"))
	f.Add([]byte("\n\n\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		cp, _, err := tlog.ParseCheckpoint(data, vkey)
		if err != nil {
			return
		}
		// What parses is a checkpoint of this log that signs again to a
		// note that parses to the same.
		again, err := s.SignCheckpoint(cp)
		if err != nil {
			t.Fatalf("SignCheckpoint(parsed %+v) = %v", cp, err)
		}
		if back, _, err := tlog.ParseCheckpoint(again, vkey); err != nil || back != cp {
			t.Fatalf("ParseCheckpoint(signed again) = %+v, %v; want %+v", back, err, cp)
		}
	})
}

func FuzzParseTilePath(f *testing.F) {
	for _, s := range []string{"tile/0/000", "tile/0/x001/x234/067.p/8", "tile/entries/000.p/1", "tile/7/x999/999", "tile/0/000.p/"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, path string) {
		tile, err := tlog.ParseTilePath(path)
		if err != nil {
			return
		}
		if tlog.TilePath(tile) != path {
			t.Fatalf("TilePath(ParseTilePath(%q)) = %q", path, tlog.TilePath(tile))
		}
		if tile.W < 1 || tile.W > tlog.TileWidth || tile.N < 0 || tile.L < -1 {
			t.Fatalf("ParseTilePath(%q) = %+v, out of range", path, tile)
		}
		tlog.TileIn(tile, 1<<62) // must not panic or overflow
	})
}

func FuzzParseEntryBundle(f *testing.F) {
	b, _ := tlog.AppendEntryBundle(nil, tlog.Entry([]byte("a")), tlog.Entry([]byte("b")))
	f.Add(b)
	f.Add([]byte{0, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		entries, err := tlog.ParseEntryBundle(data)
		if err != nil {
			return
		}
		again, err := tlog.AppendEntryBundle(nil, entries...)
		if err != nil || !bytes.Equal(again, data) {
			t.Fatalf("AppendEntryBundle(ParseEntryBundle(% x)) = % x, %v", data, again, err)
		}
	})
}
