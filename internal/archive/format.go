package archive

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/transparency-dev/merkle/rfc6962"
)

// EntryPrefix starts the log entry of every audit record.
const EntryPrefix = "entraide/audit/v1 "

// Entry returns the log entry of an audit record: EntryPrefix followed by
// the lowercase hex SHA-256 of its canonical bytes, with no newline.
func Entry(canonical []byte) []byte {
	sum := sha256.Sum256(canonical)
	return []byte(EntryPrefix + hex.EncodeToString(sum[:]))
}

// LeafHash returns the RFC 6962 leaf hash of a log entry.
func LeafHash(entry []byte) []byte {
	return rfc6962.DefaultHasher.HashLeaf(entry)
}

// ManifestDetailKey is the key, in the detail of the exporting node's export
// record, whose value is the lowercase hex SHA-256 of the package's manifest.
// That record is what ties the manifest, and through it every file, to the
// log.
const ManifestDetailKey = "manifest_sha256"

// The fixed members of a package.
const (
	ManifestPath = "manifest.jsonld"
	RequestPath  = "request.json"
	AnswerPath   = "answer.json"
	SealPath     = "seal.sig"
)

// Limits on what a reader accepts, so that a hostile package cannot
// exhaust memory: members other than files are read whole, files stream.
const (
	maxMembers        = 100_000
	maxManifestSize   = 64 << 20
	maxJSONSize       = 16 << 20 // request, answer
	maxRecordSize     = 1 << 20
	maxProofSize      = 64 << 10
	maxCheckpointSize = 64 << 10
	maxSealSize       = 16 << 10
	maxKeptBytes      = 256 << 20 // all members read whole, together
	maxProofHashes    = 64
	maxNameLength     = 200
)

// Records and proofs are named by their place in the package, not by a
// sequence number, which records written before the log places them do
// not carry; the export record has names of its own.
func recordPath(i int) string { return fmt.Sprintf("records/%03d.json", i+1) }
func proofPath(i int) string  { return fmt.Sprintf("proofs/%03d.json", i+1) }

func consistencyPath(i int) string { return fmt.Sprintf("proofs/consistency-%03d.json", i+1) }

const (
	exportRecordPath = "records/export.json"
	exportProofPath  = "proofs/export.json"
)

func checkpointPath(i int) string { return fmt.Sprintf("checkpoints/%03d.txt", i+1) }

// The sending State's custody of item i (from 0), received from it: its
// checkpoint, and record j's bytes and proof, under a folder of the item's
// own, so that two items' custodies at the sender never mix.
const originPrefix = "origin/"

func originDir(i int) string            { return fmt.Sprintf("%s%03d/", originPrefix, i+1) }
func originCheckpointPath(i int) string { return originDir(i) + "checkpoint.txt" }
func originRecordPath(i, j int) string  { return fmt.Sprintf("%srecords/%03d.json", originDir(i), j+1) }
func originProofPath(i, j int) string   { return fmt.Sprintf("%sproofs/%03d.json", originDir(i), j+1) }

// filePath names the member holding item i (from 0) after the item's own
// name, made safe to extract on any system: no directory parts, no control
// characters, no leading dot.
func filePath(i int, name string) string {
	var b strings.Builder
	for _, r := range name {
		switch {
		case r == '/' || r == '\\' || r == ':' || unicode.IsControl(r) || r == utf8.RuneError:
			b.WriteRune('_')
		case unicode.IsSpace(r):
			b.WriteRune('_')
		default:
			b.WriteRune(r)
		}
	}
	safe := strings.TrimLeft(b.String(), ".")
	if safe == "" {
		safe = "item"
	}
	for len(safe) > maxNameLength {
		_, size := utf8.DecodeLastRuneInString(safe)
		safe = safe[:len(safe)-size]
	}
	return fmt.Sprintf("files/%03d-%s", i+1, safe)
}

func decodeBase64(s string) ([]byte, error) { return base64.StdEncoding.DecodeString(s) }
