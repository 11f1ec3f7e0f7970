package tlog

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/mod/sumdb/tlog"
)

// TileHeight is the height of the C2SP tlog-tiles tiles: 256 hashes or
// entries wide.
const TileHeight = 8

// TileWidth is the number of hashes or entries in a full tile.
const TileWidth = 1 << TileHeight

// Tile names a tile of the log: the hashes of tree level 8×L, or with L
// = -1 a bundle of entries, from index N×256, W of them (256 for a full
// tile).
type Tile = tlog.Tile

// maxTilePath bounds a tile path: the longest one a log of 2^63 leaves
// needs is well under it.
const maxTilePath = 96

// ErrTilePath is wrapped by every error of ParseTilePath.
var ErrTilePath = errors.New("bad tile path")

// ParseTilePath reads the path of a tile under a log's prefix, as C2SP
// tlog-tiles writes it: "tile/<L>/<N>[.p/<W>]" for hashes and
// "tile/entries/<N>[.p/<W>]" for an entry bundle, with N in groups of
// three digits ("x001/x234/067"). It accepts only the one canonical
// spelling of each tile, and returns an error naming the path otherwise.
func ParseTilePath(path string) (Tile, error) {
	if len(path) > maxTilePath {
		return Tile{}, fmt.Errorf("%w: %d bytes, more than %d", ErrTilePath, len(path), maxTilePath)
	}
	rest, ok := strings.CutPrefix(path, "tile/")
	if !ok {
		return Tile{}, fmt.Errorf("%w %q: it starts with tile/", ErrTilePath, path)
	}
	if e, ok := strings.CutPrefix(rest, "entries/"); ok {
		rest = "data/" + e
	}
	// x/mod's tile paths carry the height; C2SP's, always 8, do not.
	t, err := tlog.ParseTilePath("tile/8/" + rest)
	if err != nil || t.L > 7 || t.N < 0 || t.N > (1<<63-1)>>TileHeight {
		return Tile{}, fmt.Errorf("%w %q: want tile/<level>/<index> or tile/entries/<index>, the index in groups of three digits, with .p/<width> for a partial tile", ErrTilePath, path)
	}
	if TilePath(t) != path {
		return Tile{}, fmt.Errorf("%w %q: not the canonical spelling %q", ErrTilePath, path, TilePath(t))
	}
	return t, nil
}

// TilePath returns the C2SP tlog-tiles path of t, without the log's
// prefix.
func TilePath(t Tile) string {
	p := strings.TrimPrefix(t.Path(), "tile/8/")
	if d, ok := strings.CutPrefix(p, "data/"); ok {
		return "tile/entries/" + d
	}
	return "tile/" + p
}

// TileSpan returns the first leaf index a tile covers and how many
// leaves it spans; a tile exists in a tree of size n only if first+span
// <= n.
func TileSpan(t Tile) (first, span int64) {
	level := max(t.L, 0) * TileHeight
	return (t.N << TileHeight) << level, int64(t.W) << level
}

// tileIn reports whether the tree of size n fills tile t, without
// overflow for any tile ParseTilePath returns.
func tileIn(t Tile, n int64) bool {
	level := max(t.L, 0) * TileHeight
	if level+TileHeight >= 62 || t.N >= 1<<(62-TileHeight-level) {
		return false
	}
	first, span := TileSpan(t)
	return first+span <= n
}

// TileIn reports whether the tree of size n fills tile t: hashes or
// entries.
func TileIn(t Tile, n int64) bool { return tileIn(t, n) }

// ErrNoTile is returned for a tile the tree does not hold yet.
var ErrNoTile = errors.New("no such tile in the log yet")

// ReadTile returns the data of the hash tile t of a tree of size n: W
// hashes of 32 bytes. It returns ErrNoTile for a tile that the tree does
// not yet fill, and an error for an entry bundle, which the caller reads
// from its leaves.
func ReadTile(t Tile, n int64, r HashReader) ([]byte, error) {
	if t.L < 0 {
		return nil, errors.New("an entry bundle is read from the leaves, not the hashes")
	}
	if !tileIn(t, n) {
		return nil, ErrNoTile
	}
	return tlog.ReadTileData(t, r)
}

// MaxEntrySize bounds an entry in a bundle: its length is a uint16.
const MaxEntrySize = 1<<16 - 1

// AppendEntryBundle appends entries to b as a C2SP entry bundle: each
// entry preceded by its length as a big-endian uint16. It returns an
// error for an entry longer than MaxEntrySize.
func AppendEntryBundle(b []byte, entries ...[]byte) ([]byte, error) {
	for i, e := range entries {
		if len(e) > MaxEntrySize {
			return nil, fmt.Errorf("entry %d: %d bytes, more than a bundle holds (%d)", i, len(e), MaxEntrySize)
		}
		b = binary.BigEndian.AppendUint16(b, uint16(len(e)))
		b = append(b, e...)
	}
	return b, nil
}

// ParseEntryBundle reads a C2SP entry bundle. It returns an error for a
// bundle of more than TileWidth entries or that ends inside an entry.
func ParseEntryBundle(data []byte) ([][]byte, error) {
	var out [][]byte
	for len(data) > 0 {
		if len(out) == TileWidth {
			return nil, fmt.Errorf("entry bundle: more than %d entries", TileWidth)
		}
		if len(data) < 2 {
			return nil, fmt.Errorf("entry bundle: entry %d: its length is cut short", len(out))
		}
		n := int(binary.BigEndian.Uint16(data))
		if len(data)-2 < n {
			return nil, fmt.Errorf("entry bundle: entry %d: %d bytes announced, %d left", len(out), n, len(data)-2)
		}
		out = append(out, data[2:2+n])
		data = data[2+n:]
	}
	return out, nil
}
