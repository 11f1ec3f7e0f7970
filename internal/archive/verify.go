package archive

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"

	tnote "github.com/transparency-dev/formats/note"
	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"
	"golang.org/x/mod/sumdb/note"

	"entraide/internal/auditlog"
)

// Verify reads a package from r, front to back and in bounded memory
// whatever its size, and checks it offline against vkeys: the note verifier
// keys ("name+hash+base64") of the exporting node's log and of any
// witnesses. The log's key is the one named in the manifest; every other
// key is taken as a witness's. Verify returns an error only when a key
// cannot be read; everything wrong with the package is a Problem in the
// report, naming where it is.
func Verify(r io.Reader, vkeys []string) (*Report, error) {
	keys, err := parseKeys(vkeys)
	if err != nil {
		return nil, err
	}
	v := &verifier{
		keys: keys, sr: &sealReader{r: r, skel: sha256.New()},
		members: map[string]seen{}, rep: &Report{Files: []FileResult{}, Custody: []CustodyEvent{}, Problems: []Problem{}},
		small: map[string][]byte{},
	}
	v.rep.Log.Checkpoints = []CheckpointResult{}
	v.read()
	v.evaluate()
	v.rep.OK = len(v.rep.Problems) == 0
	return v.rep, nil
}

type key struct {
	vkey  string
	name  string
	plain note.Verifier // an ordinary note signature by this key
	cosig note.Verifier // a cosignature/v1 by this key, nil for keys of other kinds
}

func parseKeys(vkeys []string) ([]key, error) {
	var keys []key
	given := map[string]bool{}
	for _, vk := range vkeys {
		vk = strings.TrimSpace(vk)
		// The same key given twice (on the command line and in a file,
		// say) is one key: a verifier list holding it twice would find
		// every signature by it ambiguous.
		if given[vk] {
			continue
		}
		given[vk] = true
		plain, err := tnote.NewVerifier(vk)
		if err != nil {
			return nil, fmt.Errorf("key %q is not a note verifier key (name+hash+base64): %v", clip(vk), err)
		}
		k := key{vkey: vk, name: plain.Name(), plain: plain}
		if c, err := tnote.NewVerifierForCosignatureV1(vk); err == nil {
			k.cosig = c
		}
		keys = append(keys, k)
	}
	return keys, nil
}

// seen is what the reader saw of one member.
type seen struct {
	size   int64
	sum    [32]byte
	header string // a problem with the member's tar header, if any
	// otherTime is the header's time when it is not the manifest's.
	otherTime string
}

type verifier struct {
	keys    []key
	sr      *sealReader
	rep     *Report
	order   []string
	members map[string]seen
	small   map[string][]byte // members read whole
	kept    int64

	manifest    *manifestDoc
	manifestSum [32]byte
	created     time.Time

	damaged bool // the tar structure broke: members after it are not there to check
	// fileNodes are the manifest's files, in the order of rep.Files.
	fileNodes []node
	// exportRecord is the member holding the record that logs the manifest.
	exportRecord string
	sealed       []byte // the seal member
	skeleton     []byte // the hash of what the seal covers, as read
	sealBlock    []byte // the seal's header block
	sealHdr      *tar.Header
	// tied are the checkpoints a proof of the package is under or joins.
	tied map[string]bool
}

func (v *verifier) problem(part, format string, a ...any) {
	v.rep.Problems = append(v.rep.Problems, Problem{Part: part, Message: fmt.Sprintf(format, a...)})
}

// read walks the archive, hashing every member and keeping the small ones.
func (v *verifier) read() {
	tr := tar.NewReader(v.sr)
	last := "its start"
	buf := make([]byte, 1<<20)
	for count := 0; ; count++ {
		hdr, err := tr.Next()
		if err == io.EOF {
			v.problem("archive", "the archive ends after %s without a seal (%s): it was cut short or the seal was removed", last, SealPath)
			v.damaged = true
			return
		}
		if errors.Is(err, io.ErrUnexpectedEOF) {
			v.problem("archive", "the archive ends in the middle of a member, after %s, at byte %d: it was cut short; ask for the whole file", last, v.sr.n)
			v.damaged = true
			return
		}
		if err != nil {
			v.problem("archive", "the archive's structure is damaged after %s, at byte %d: %v; a tar header there was changed", last, v.sr.n, err)
			v.damaged = true
			return
		}
		if count >= maxMembers {
			v.problem("archive", "the archive has more than %d members, more than a package holds", maxMembers)
			return
		}
		name := hdr.Name
		if name == SealPath {
			v.readSeal(tr, hdr)
			return
		}
		if _, dup := v.members[name]; dup {
			v.problem(name, "the archive holds two members of this name; a package holds one")
			name = fmt.Sprintf("%s (second copy)", name)
		}
		if count == 0 && name != ManifestPath {
			v.problem(name, "the archive starts with %s, not with its manifest %s", name, ManifestPath)
		}
		last = name
		s := seen{header: v.checkHeader(hdr)}
		if !v.created.IsZero() && !hdr.ModTime.Equal(v.created) {
			s.otherTime = fmt.Sprintf("its tar header was changed: time %s, not the package's %s", when(hdr.ModTime), when(v.created))
		}
		limit := v.limit(name)
		v.sr.startContent()
		var content []byte
		switch {
		case hdr.Typeflag != tar.TypeReg:
			// nothing to read; the header problem says what it is
		case limit > 0 && hdr.Size <= limit && v.kept+hdr.Size <= maxKeptBytes:
			content, err = io.ReadAll(tr)
			v.kept += int64(len(content))
		default:
			if limit > 0 {
				v.problem(name, "it is %d bytes, more than a package's %s may be (%d bytes)", hdr.Size, name, limit)
			}
			err = drain(tr, buf)
		}
		s.size = v.sr.contentN
		s.sum = v.sr.endContent()
		if err != nil {
			v.problem("archive", "the archive's structure is damaged in %s, at byte %d: %v", name, v.sr.n, err)
			v.damaged = true
			return
		}
		v.order = append(v.order, name)
		v.members[name] = s
		if content != nil {
			v.small[name] = content
		}
		if name == ManifestPath && v.manifest == nil {
			v.readManifest(content, s.sum)
		}
	}
}

// limit returns how large member name may be to be read whole, or 0 for
// members that stream (evidence files, and names no package has).
func (v *verifier) limit(name string) int64 {
	switch {
	case name == ManifestPath:
		return maxManifestSize
	case name == RequestPath || name == AnswerPath:
		return maxJSONSize
	case strings.HasPrefix(name, "checkpoints/"):
		return maxCheckpointSize
	case strings.HasPrefix(name, "records/"):
		return maxRecordSize
	case strings.HasPrefix(name, "proofs/"):
		return maxProofSize
	case strings.HasPrefix(name, originPrefix) && strings.HasSuffix(name, "/checkpoint.txt"):
		return maxCheckpointSize
	case strings.HasPrefix(name, originPrefix) && strings.Contains(name, "/records/"):
		return maxRecordSize
	case strings.HasPrefix(name, originPrefix) && strings.Contains(name, "/proofs/"):
		return maxProofSize
	}
	return 0
}

func drain(r io.Reader, buf []byte) error {
	for {
		_, err := r.Read(buf)
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// checkHeader returns what is wrong with a member's tar header, compared
// with what a builder writes; "" when nothing is.
func (v *verifier) checkHeader(h *tar.Header) string {
	var bad []string
	if h.Typeflag != tar.TypeReg {
		bad = append(bad, fmt.Sprintf("type %q where a package has only regular files", h.Typeflag))
	}
	if h.Mode != 0o644 {
		bad = append(bad, fmt.Sprintf("mode %o, not 644", h.Mode))
	}
	if h.Uid != 0 || h.Gid != 0 || h.Uname != "" || h.Gname != "" || h.Linkname != "" {
		bad = append(bad, "owner or link fields set")
	}
	if len(bad) == 0 {
		return ""
	}
	return "its tar header was changed: " + strings.Join(bad, "; ")
}

func (v *verifier) readManifest(content []byte, sum [32]byte) {
	v.manifestSum = sum
	v.rep.Package.ManifestSHA256 = hex.EncodeToString(sum[:])
	if content == nil {
		return
	}
	dec := json.NewDecoder(bytes.NewReader(content))
	dec.DisallowUnknownFields()
	var m manifestDoc
	if err := dec.Decode(&m); err != nil {
		v.problem(ManifestPath, "it is not a manifest this build reads (%v): it was changed or damaged", err)
		return
	}
	if dec.More() {
		v.problem(ManifestPath, "it has data after the manifest: it was changed")
		return
	}
	if err := sameJSON(m.Context, contextJSON); err != nil {
		v.problem(ManifestPath, "its JSON-LD @context is not the package format's: %v", err)
		return
	}
	if m.FormatVersion < 1 || m.FormatVersion > FormatVersion {
		v.problem(ManifestPath, "it is of format version %d; this build reads versions 1 to %d: use a newer entraide", m.FormatVersion, FormatVersion)
		return
	}
	created, err := time.Parse(time.RFC3339Nano, m.Created.Value)
	if err != nil {
		v.problem(ManifestPath, "its creation time %q is not a time", m.Created.Value)
		return
	}
	v.manifest = &m
	v.created = created.UTC().Truncate(time.Second)
	v.rep.Package.RequestID = m.Request
	v.rep.Package.ExportingState = m.State
	v.rep.Package.Created = created.UTC()
	v.rep.Log.Origin = m.LogOrigin
	v.rep.Log.KeyName = m.LogKeyName
}

func sameJSON(a, b []byte) error {
	var x, y any
	if err := json.Unmarshal(a, &x); err != nil {
		return err
	}
	if err := json.Unmarshal(b, &y); err != nil {
		return err
	}
	xa, _ := json.Marshal(x)
	ya, _ := json.Marshal(y)
	if !bytes.Equal(xa, ya) {
		return errors.New("its prefixes differ")
	}
	return nil
}

func (v *verifier) readSeal(tr *tar.Reader, hdr *tar.Header) {
	v.skeleton = v.sr.skel.Sum(nil)
	v.sealBlock = append([]byte(nil), v.sr.pending...)
	v.sealHdr = hdr
	if hdr.Size > maxSealSize || hdr.Size < 0 {
		v.problem(SealPath, "the seal is %d bytes, more than a seal may be (%d)", hdr.Size, maxSealSize)
		return
	}
	sealed, err := io.ReadAll(tr)
	if err != nil {
		v.problem("archive", "the archive's structure is damaged in %s: %v", SealPath, err)
		return
	}
	v.sealed = sealed
	// What follows the seal is the tar trailer, read here byte for byte: tar
	// readers skip padding unread, and the seal cannot cover itself.
	pad := (blockSize - len(sealed)%blockSize) % blockSize
	want := pad + 2*blockSize
	rest, err := io.ReadAll(io.LimitReader(v.sr.r, int64(want+maxRecordPadding)+1))
	switch {
	case err != nil:
		v.problem("archive", "reading past the seal: %v", err)
	case len(rest) < want:
		v.problem("archive", "the archive ends %d bytes early, after the seal: it was cut short", want-len(rest))
	case !allZero(rest[:want]):
		v.problem("archive", "the padding or end marker after the seal was changed")
	case len(rest) > want && (len(rest) > want+maxRecordPadding || (len(rest)-want)%blockSize != 0 || !allZero(rest[want:])):
		v.problem("archive", "there are bytes after the end of the archive: something was added")
	}
}

// maxRecordPadding is how many zero bytes may follow the end marker: tar
// programs pad an archive to a whole record (GNU tar's is 10,240 bytes),
// and a package copied through one is the same package.
const maxRecordPadding = 64 << 10

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

const blockSize = 512

// sealReader hashes the archive as the seal covers it (see sealWriter), and
// holds back the last block read outside content, for when that block turns
// out to be the seal's header.
type sealReader struct {
	r        io.Reader
	n        int64
	skel     hash.Hash
	pending  []byte
	content  hash.Hash
	contentN int64
}

func (s *sealReader) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	s.n += int64(n)
	if s.content != nil {
		s.content.Write(p[:n])
		s.contentN += int64(n)
		return n, err
	}
	s.pending = append(s.pending, p[:n]...)
	if k := len(s.pending) - blockSize; k > 0 {
		s.skel.Write(s.pending[:k])
		s.pending = append(s.pending[:0], s.pending[k:]...)
	}
	return n, err
}

func (s *sealReader) startContent() {
	s.skel.Write(s.pending)
	s.pending = s.pending[:0]
	s.content = sha256.New()
	s.contentN = 0
}

func (s *sealReader) endContent() [32]byte {
	var sum [32]byte
	s.content.Sum(sum[:0])
	s.skel.Write(sum[:])
	s.content = nil
	return sum
}

// checkpoint is a checkpoint as verified.
type checkpoint struct {
	size uint64
	root []byte
	ok   bool // signed by the log
}

// proven is a record whose entry a proof places in the log.
type proven struct {
	entry string
	index uint64
	ok    bool
}

// evaluate checks what read gathered, in the order that puts the blame
// where it belongs: a checkpoint is checked by its signature alone, a proof
// by a checkpoint, a record by its proof, the manifest by the export record,
// and every other member by the manifest.
func (v *verifier) evaluate() {
	m := v.manifest
	logKeys, witnesses := v.classifyKeys()
	cps := v.checkCheckpoints(logKeys, witnesses)
	v.checkConsistency(cps)
	proofs := v.checkProofs(cps)
	v.checkCheckpointsTied(cps)
	records := v.checkRecords(proofs)
	v.checkManifestLogged(records)
	v.checkMembers()
	v.checkSeal(logKeys)
	v.describeRequest()
	if m == nil {
		return
	}
	v.describe(records)
	v.checkOrigins(witnesses)
}

// classifyKeys splits the keys given into the log's (named in the manifest,
// or failing that, the origin of a checkpoint) and the witnesses'.
func (v *verifier) classifyKeys() (logKeys, witnesses []key) {
	name := ""
	if v.manifest != nil {
		name = v.manifest.LogKeyName
	} else {
		for _, p := range v.order {
			if strings.HasPrefix(p, "checkpoints/") {
				name, _, _ = strings.Cut(string(v.small[p]), "\n")
				break
			}
		}
	}
	origins := map[string]bool{}
	if v.manifest != nil {
		for _, n := range v.manifest.Objects {
			if n.OriginLogKey != "" {
				origins[keyName(n.OriginLogKey)] = true
			}
		}
	}
	for _, k := range v.keys {
		switch {
		case k.name == name:
			logKeys = append(logKeys, k)
		case origins[k.name]:
			// a sending State's log key: checkOrigins uses it
		default:
			witnesses = append(witnesses, k)
		}
	}
	v.rep.Log.KeyGiven = len(logKeys) > 0
	if len(logKeys) == 0 && name != "" {
		v.problem("keys", "none of the keys given is the exporting node's log key %q: ask the exporting State for it (a line of the form %s+hash+key) and give it with --key", name, name)
	}
	return logKeys, witnesses
}

// keyWithHash returns the key given whose signatures, of either kind,
// carry the key id hash.
func keyWithHash(keys []key, hash uint32) (key, bool) {
	for _, k := range keys {
		for _, vr := range []note.Verifier{k.plain, k.cosig} {
			if vr != nil && vr.KeyHash() == hash {
				return k, true
			}
		}
	}
	return key{}, false
}

func (v *verifier) checkCheckpoints(logKeys, witnesses []key) map[string]checkpoint {
	cps := map[string]checkpoint{}
	var logVerifiers []note.Verifier
	for _, k := range logKeys {
		logVerifiers = append(logVerifiers, k.plain)
	}
	for _, path := range v.order {
		if !strings.HasPrefix(path, "checkpoints/") {
			continue
		}
		raw, ok := v.small[path]
		if !ok {
			continue
		}
		res := CheckpointResult{Path: path}
		var cp checkpoint
		if len(logVerifiers) > 0 {
			n, err := note.Open(raw, note.VerifierList(logVerifiers...))
			switch {
			case err != nil:
				v.problem(path, "the checkpoint's signature by the log does not verify (%v): the checkpoint was changed", err)

			default:
				c, err := parseCheckpoint(n.Text)
				if err != nil {
					v.problem(path, "the checkpoint is signed but not a checkpoint: %v", err)
					break
				}
				if v.manifest != nil && c.origin != v.manifest.LogOrigin {
					v.problem(ManifestPath, "it names the log %q but the checkpoints, signed by its key, are of %q: the manifest was changed", v.manifest.LogOrigin, c.origin)
				}
				cp = checkpoint{size: c.size, root: c.root, ok: true}
				res.SignedByLog, res.Size, res.RootHash = true, c.size, hex.EncodeToString(c.root)
			}
		}
		if !res.SignedByLog {
			// What it says is shown, marked as not signed by the log, so
			// that a reader sees which state of the log it claims.
			var unverified *note.UnverifiedNoteError
			if _, err := note.Open(raw, note.VerifierList()); errors.As(err, &unverified) {
				if c, perr := parseCheckpoint(unverified.Note.Text); perr == nil {
					res.Size, res.RootHash = c.size, hex.EncodeToString(c.root)
				}
			}
		}
		known := map[string]bool{}
		for _, k := range v.keys {
			known[k.name] = true
		}
		// A note that is not one is said once, not once per witness: its
		// signature lines cannot be read, whoever's they are.
		_, openErr := note.Open(raw, note.VerifierList())
		var unverifiedAll *note.UnverifiedNoteError
		checkWitnesses := witnesses
		if openErr != nil && !errors.As(openErr, &unverifiedAll) {
			if res.SignedByLog || len(logVerifiers) == 0 {
				v.problem(path, "the checkpoint is not a signed note (%v): it was changed", openErr)
			}
			checkWitnesses = nil
		}
		for _, w := range checkWitnesses {
			for _, wv := range []note.Verifier{w.cosig, w.plain} {
				if wv == nil {
					continue
				}
				n, err := note.Open(raw, note.VerifierList(wv))
				var unverified *note.UnverifiedNoteError
				switch {
				case errors.As(err, &unverified):
					continue
				case err != nil:
					// One problem a witness, whichever kind of its
					// signature was tried.
					v.problem(path, "witness %s's cosignature does not verify (%v): the checkpoint or its cosignature line was changed", w.name, err)
				}
				if err != nil {
					break
				}
				at := time.Time{}
				if wv == w.cosig && len(n.Sigs) > 0 {
					if t, err := tnote.CoSigV1Timestamp(n.Sigs[0]); err == nil {
						at = t.UTC()
					}
				}
				res.Cosigned = append(res.Cosigned, Cosignature{Witness: w.name, At: at})
				break
			}
		}
		if _, err := note.Open(raw, note.VerifierList()); err != nil {
			var unverified *note.UnverifiedNoteError
			if errors.As(err, &unverified) {
				for _, s := range unverified.Note.UnverifiedSigs {
					if known[s.Name] {
						continue
					}
					// A line under a name no key given bears, but with the
					// id of one that was, had its name changed.
					if k, ok := keyWithHash(v.keys, s.Hash); ok {
						v.problem(path, "a signature line names %q, but carries the key id of %s, whose key you gave: the line was changed", clip(s.Name), k.name)
						continue
					}
					res.UnknownSigners = append(res.UnknownSigners, s.Name)
				}
			}
		}
		cps[path] = cp
		v.rep.Log.Checkpoints = append(v.rep.Log.Checkpoints, res)
	}
	if len(cps) == 0 {
		v.problem("archive", "the package holds no checkpoint, so nothing ties it to the log")
	}
	return cps
}

type cpText struct {
	origin string
	size   uint64
	root   []byte
}

// parseCheckpoint reads the body of a C2SP checkpoint: origin, size and
// root hash lines, then any extension lines.
func parseCheckpoint(text string) (cpText, error) {
	lines := strings.SplitN(text, "\n", 4)
	if len(lines) < 4 || lines[0] == "" {
		return cpText{}, errors.New("fewer than three lines")
	}
	size, err := strconv.ParseUint(lines[1], 10, 64)
	if err != nil {
		return cpText{}, fmt.Errorf("size %q", lines[1])
	}
	root, err := decodeBase64(lines[2])
	if err != nil || len(root) != sha256.Size {
		return cpText{}, fmt.Errorf("root hash %q", lines[2])
	}
	return cpText{origin: lines[0], size: size, root: root}, nil
}

func (v *verifier) checkProofs(cps map[string]checkpoint) map[string]proven {
	out := map[string]proven{}
	for _, path := range v.order {
		if !strings.HasPrefix(path, "proofs/") || strings.HasPrefix(path, consistencyPrefix) {
			continue
		}
		raw, ok := v.small[path]
		if !ok {
			continue
		}
		var d proofDoc
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&d); err != nil {
			v.problem(path, "the proof is not readable (%v): it was changed", err)
			continue
		}
		// A proof is read only in the form a builder writes it, so that no
		// byte of it can change unnoticed.
		if canon, err := json.MarshalIndent(d, "", " "); err != nil || !bytes.Equal(append(canon, '\n'), raw) {
			v.problem(path, "the proof is not in the form a package's proofs are written in: it was changed")
			continue
		}
		v.tie(d.Checkpoint)
		if want := "records/" + strings.TrimPrefix(path, "proofs/"); d.Record != want {
			v.problem(path, "the proof is for %q, not for %s: it was changed", d.Record, want)
			continue
		}
		cp, ok := cps[d.Checkpoint]
		if !ok {
			v.problem(path, "the proof names checkpoint %q, which the package does not hold", d.Checkpoint)
			continue
		}
		if !cp.ok {
			continue // the checkpoint's problem is named already
		}
		if d.TreeSize != cp.size {
			v.problem(path, "the proof is for a log of %d records, but %s is of %d: the proof was changed", d.TreeSize, d.Checkpoint, cp.size)
			continue
		}
		if !validEntry(d.Entry) {
			v.problem(path, "its log entry %q is not of the form %q followed by a SHA-256: the proof was changed", clip(d.Entry), EntryPrefix)
			continue
		}
		hashes, err := decodeHashes(d.Hashes)
		if err != nil {
			v.problem(path, "%v: the proof was changed", err)
			continue
		}
		if err := proof.VerifyInclusion(rfc6962.DefaultHasher, d.LeafIndex, d.TreeSize, LeafHash([]byte(d.Entry)), hashes, cp.root); err != nil {
			v.problem(path, "the inclusion proof does not place entry %d (%s…) under %s (%s): the proof was changed", d.LeafIndex, d.Entry[len(EntryPrefix):len(EntryPrefix)+12], d.Checkpoint, proofFailure(err))
			continue
		}
		out[d.Record] = proven{entry: d.Entry, index: d.LeafIndex, ok: true}
	}
	return out
}

// proofFailure says why a proof failed in one line a reader can compare
// with the checkpoint: the library's own text for a wrong root spreads two
// lists of decimal bytes over several lines.
func proofFailure(err error) string {
	var m proof.RootMismatchError
	if errors.As(err, &m) {
		return fmt.Sprintf("it leads to root hash %x, where the checkpoint's is %x", m.CalculatedRoot, m.ExpectedRoot)
	}
	return err.Error()
}

func validEntry(e string) bool {
	h, ok := strings.CutPrefix(e, EntryPrefix)
	if !ok || len(h) != 64 {
		return false
	}
	for _, c := range h {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// logged is a record read from the package, and whether the log vouches
// for its bytes.
type logged struct {
	rec   auditlog.Parsed
	index uint64 // in the log
	ok    bool
}

func (v *verifier) checkRecords(proofs map[string]proven) map[string]logged {
	out := map[string]logged{}
	for _, path := range v.order {
		if !strings.HasPrefix(path, "records/") {
			continue
		}
		raw, ok := v.small[path]
		if !ok {
			continue
		}
		rec, err := auditlog.Parse(raw)
		if err != nil {
			v.problem(path, "the record is not readable (%v): it was changed", err)
		}
		p, has := proofs[path]
		switch {
		case !has:
			if _, there := v.members["proofs/"+strings.TrimPrefix(path, "records/")]; !there && !v.damaged {
				v.problem(path, "the record has no proof that it is in the log")
			}
		case string(Entry(raw)) != p.entry:
			v.problem(path, "its bytes do not hash to the log entry its proof places in the log: the record was changed")
		case err == nil:
			out[path] = logged{rec: rec, index: p.index, ok: true}
			continue
		}
		if err == nil {
			out[path] = logged{rec: rec}
		}
	}
	return out
}

// checkManifestLogged finds the export record that holds the manifest's
// hash.
func (v *verifier) checkManifestLogged(records map[string]logged) {
	if _, ok := v.members[ManifestPath]; !ok {
		if !v.damaged {
			v.problem(ManifestPath, "the package has no manifest")
		}
		return
	}
	want := hex.EncodeToString(v.manifestSum[:])
	var other []string
	for _, path := range v.order {
		l, ok := records[path]
		if !ok || !l.ok {
			continue
		}
		var detail map[string]any
		if json.Unmarshal(l.rec.Detail, &detail) != nil {
			continue
		}
		got, ok := detail[ManifestDetailKey].(string)
		if !ok {
			continue
		}
		if got == want {
			if v.manifest != nil && l.rec.Node != v.manifest.State {
				v.problem(ManifestPath, "it says the node of %s exported the package, but the node of %s logged it: the manifest was changed", v.manifest.State, l.rec.Node)
				return
			}
			v.rep.Package.ManifestLogged = true
			v.rep.Package.ExportIndex = l.index
			v.exportRecord = path
			return
		}
		other = append(other, fmt.Sprintf("%s in %s (log entry %d)", got, path, l.index))
	}
	if len(other) > 0 {
		v.problem(ManifestPath, "its SHA-256 is %s, but the exporting node logged %s: the manifest was changed", want, strings.Join(other, ", "))
		return
	}
	for _, path := range v.order {
		if strings.HasPrefix(path, "records/") {
			if _, ok := records[path]; !ok || !records[path].ok {
				return // a record's problem is named already; it may be the export record
			}
		}
	}
	if v.damaged {
		return
	}
	v.problem(ManifestPath, "no record of the log in the package holds the manifest's SHA-256, so nothing ties the manifest to the log")
}

// checkMembers compares every member with the manifest's list.
func (v *verifier) checkMembers() {
	for _, path := range v.order {
		s := v.members[path]
		if s.header != "" {
			v.problem(path, "%s", s.header)
		}
		// The package's time is the manifest's: a manifest that is not the
		// one logged, from another package say, would put every member's
		// time in the wrong, and its own problem is named already.
		if s.otherTime != "" && v.rep.Package.ManifestLogged {
			v.problem(path, "%s", s.otherTime)
		}
	}
	m := v.manifest
	if m == nil {
		return
	}
	listed := map[string]bool{ManifestPath: true}
	for _, mem := range m.Members {
		listed[mem.Path] = true
		s, ok := v.members[mem.Path]
		if !ok && v.damaged {
			continue
		}
		if !ok {
			v.problem(mem.Path, "the manifest lists it, but the package does not hold it: it was removed")
			continue
		}
		got := hex.EncodeToString(s.sum[:])
		if !v.rep.Package.ManifestLogged && (s.size != mem.Size || got != mem.SHA256.Value) {
			// The manifest is not the one logged: what it says of a member
			// proves nothing of the member.
			v.problem(ManifestPath, "it says %s is %d bytes with SHA-256 %s; the package's is %d bytes with SHA-256 %s: the manifest or the member was changed", mem.Path, mem.Size, mem.SHA256.Value, s.size, got)
			continue
		}
		switch {
		case s.size != mem.Size:
			v.problem(mem.Path, "it is %d bytes, the manifest says %d: it was changed", s.size, mem.Size)
		case got != mem.SHA256.Value:
			v.problem(mem.Path, "its SHA-256 is %s, the manifest says %s: it was changed", got, mem.SHA256.Value)
		}
	}
	for _, path := range v.order {
		if listed[path] || strings.HasPrefix(path, "checkpoints/") || strings.HasPrefix(path, "proofs/") {
			continue
		}
		if path == v.exportRecord && path != "" {
			continue
		}
		if strings.HasPrefix(path, "records/") && !v.rep.Package.ManifestLogged {
			continue // the export record; which one cannot be told while the manifest is not tied to the log
		}
		v.problem(path, "the manifest does not list it: it was added")
	}
}

// checkSeal checks the seal's signature and what it covers.
func (v *verifier) checkSeal(logKeys []key) {
	if v.sealed == nil {
		if v.sealHdr != nil {
			v.problem(SealPath, "the seal could not be read")
		}
		return
	}
	if len(v.sealBlock) != blockSize || !bytes.Equal(v.sealBlock, sealHeaderBlock(v.sealHdr)) {
		v.problem(SealPath, "the seal's tar header was changed")
	}
	if len(logKeys) == 0 {
		return
	}
	var vs []note.Verifier
	for _, k := range logKeys {
		vs = append(vs, k.plain)
	}
	n, err := note.Open(v.sealed, note.VerifierList(vs...))
	if err != nil {
		v.problem(SealPath, "the seal's signature by the exporting node does not verify (%v): the seal was changed", err)
		return
	}
	lines := strings.Split(n.Text, "\n")
	if len(lines) != 5 || lines[0] != sealHeader || !strings.HasPrefix(lines[1], "request ") ||
		!strings.HasPrefix(lines[2], "manifest ") || !strings.HasPrefix(lines[3], "archive ") {
		v.problem(SealPath, "the seal is signed but is not a seal this build reads")
		return
	}
	v.rep.Seal.Signer = n.Sigs[0].Name
	if lines[2] != "manifest "+hex.EncodeToString(v.manifestSum[:]) {
		v.problem(SealPath, "the seal was made over another manifest: the manifest was changed")
		return
	}
	if lines[3] != "archive "+hex.EncodeToString(v.skeleton) {
		if len(v.rep.Problems) > 0 {
			v.problem(SealPath, "the archive's bytes are not those the exporting node sealed, as the problems above explain")
		} else {
			v.problem(SealPath, "the archive's bytes are not those the exporting node sealed, and no check above names the part: members were put in another order, or a tar header, the padding between members, or a signature line whose key was not given (a witness's, in a checkpoint) was changed")
		}
		return
	}
	if v.manifest != nil && lines[1] != "request "+v.manifest.Request {
		v.problem(SealPath, "the seal is for request %s, the manifest for %s", strings.TrimPrefix(lines[1], "request "), v.manifest.Request)
		return
	}
	v.rep.Seal.Verified = true
}

// sealHeaderBlock is the one tar block a builder writes for a seal with the
// header's name, size and time.
func sealHeaderBlock(h *tar.Header) []byte {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: SealPath, Size: h.Size, Mode: 0o644, ModTime: h.ModTime, Format: tar.FormatUSTAR})
	if err != nil || buf.Len() < blockSize {
		return nil
	}
	return buf.Bytes()[:blockSize]
}

func (v *verifier) describeRequest() {
	if raw, ok := v.small[RequestPath]; ok {
		var m map[string]any
		if json.Unmarshal(raw, &m) == nil {
			str := func(k string) string { s, _ := m[k].(string); return s }
			q := &RequestSummary{ID: str("id"), Kind: str("kind"), RequestingState: str("requesting_state"),
				RequestedState: str("requested_state"), State: str("state")}
			if f, ok := m["fields"].(map[string]any); ok {
				sortedFields(f, "", &q.Fields, 0)
			}
			// What the request rests on and what it is about are outside
			// its fields, and a court asks for them first.
			if lb, ok := m["legal_basis"].(map[string]any); ok {
				basis, _ := lb["type"].(string)
				if treaty, _ := lb["treaty"].(string); treaty != "" {
					basis += ": " + treaty
				}
				q.LegalBasis = clip(basis)
			}
			offences, _ := m["offences"].([]any)
			for _, o := range offences {
				om, _ := o.(map[string]any)
				var words []string
				if a, ok := om["article"].(float64); ok && a > 0 {
					words = append(words, fmt.Sprintf("art. %d", int(a)))
				}
				if d, _ := om["description"].(string); d != "" {
					words = append(words, clip(d))
				}
				if y, ok := om["max_penalty_years"].(float64); ok && y > 0 {
					words = append(words, fmt.Sprintf("up to %d years", int(y)))
				}
				if len(words) > 0 && len(q.Offences) < 20 {
					q.Offences = append(q.Offences, strings.Join(words, ", "))
				}
			}
			q.CreatedBy = str("created_by")
			if t, err := time.Parse(time.RFC3339Nano, str("created_at")); err == nil {
				q.CreatedAt = t.UTC()
			}
			v.rep.Request = q
		}
	}
	if raw, ok := v.small[AnswerPath]; ok {
		var m map[string]any
		if json.Unmarshal(raw, &m) == nil {
			events, _ := m["events"].([]any)
			delete(m, "events")
			sortedFields(m, "", &v.rep.Answer, 0)
			for _, e := range events {
				if em, ok := e.(map[string]any); ok && len(v.rep.Answer) < 400 {
					v.rep.Answer = append(v.rep.Answer, eventField(em))
				}
			}
		}
	}
}

// describe fills the files and custody of the report from the manifest,
// with what the checks found.
func (v *verifier) describe(records map[string]logged) {
	m := v.manifest
	byID := map[string]node{}
	for _, n := range m.Objects {
		byID[n.ID] = n
	}
	memberSum := map[string]string{}
	for _, mem := range m.Members {
		memberSum[mem.Path] = mem.SHA256.Value
	}
	names := map[string]string{}
	for _, n := range m.Objects {
		if n.Type != "uco-observable:File" {
			continue
		}
		f := FileResult{Path: n.ArchivePath, SHA256: memberSum[n.ArchivePath]}
		for _, fc := range n.Facets {
			if fc.FileName != "" {
				f.Name = fc.FileName
			}
			if fc.Size != nil {
				f.Size = *fc.Size
			}
			if fc.MimeType != "" {
				f.MediaType = fc.MimeType
			}
		}
		names[n.ID] = f.Name
		if n.DisposedTime != nil {
			f.Disposed = &DisposalResult{By: n.DisposedBy}
			f.Disposed.At, _ = time.Parse(time.RFC3339Nano, n.DisposedTime.Value)
			for _, fc := range n.Facets {
				for _, h := range fc.Hash {
					f.SHA256 = h.Value.Value
				}
			}
		}
		v.fileNodes = append(v.fileNodes, n)
		if s, ok := v.members[n.ArchivePath]; ok && n.ArchivePath != "" {
			f.Computed = hex.EncodeToString(s.sum[:])
			f.Matched = f.Computed == f.SHA256 && s.size == f.Size && v.rep.Package.ManifestLogged
		}
		v.rep.Files = append(v.rep.Files, f)
	}
	fileIndex := map[string]int{} // by the file's node id
	for i, n := range v.fileNodes {
		fileIndex[n.ID] = i
	}
	for _, n := range m.Objects {
		if n.Type != "case-investigation:InvestigativeAction" {
			continue
		}
		item, fileID := "", ""
		if len(n.Object) > 0 {
			item, fileID = names[n.Object[0].ID], n.Object[0].ID
		}
		if n.Record == "" { // the collection, as the manifest states it
			c := &Collection{Source: n.Description}
			if n.StartTime != nil {
				c.At, _ = time.Parse(time.RFC3339Nano, n.StartTime.Value)
			}
			if n.Performer != nil {
				c.By = byID[n.Performer.ID].Name
			}
			if n.Location != nil {
				c.Where = byID[n.Location.ID].Name
			}
			if n.Instrument != nil {
				c.Tool = byID[n.Instrument.ID].Name
			}
			if i, ok := fileIndex[fileID]; ok {
				v.rep.Files[i].Collected = c
			}
			continue
		}
		l, ok := records[n.Record]
		e := CustodyEvent{Item: item, Record: n.Record, Action: n.Name, InLog: ok && l.ok, Log: v.rep.Package.ExportingState}
		if ok {
			e.At, e.Action, e.Actor, e.ActorState = l.rec.At, l.rec.Action, l.rec.Actor, l.rec.ActorState
			if l.ok {
				e.LogIndex = l.index
			}
		} else if n.StartTime != nil {
			e.At, _ = time.Parse(time.RFC3339Nano, n.StartTime.Value)
		}
		e.Words = custodyWords(e)
		v.rep.Custody = append(v.rep.Custody, e)
		if i, ok := fileIndex[fileID]; ok && e.Action == actionDisposed {
			if d := v.rep.Files[i].Disposed; d != nil && e.InLog && d.By == e.Actor && d.At.Sub(e.At).Abs() < time.Second {
				d.ByState, d.Record, d.Proven = e.ActorState, e.Record, true
				var detail struct {
					Reason string `json:"reason"`
				}
				if json.Unmarshal(l.rec.Detail, &detail) == nil {
					d.Reason = clip(detail.Reason)
				}
			}
		}
	}
	// A disposal not proven is a problem of its own only when every
	// record checks out: otherwise a record's problem, named already, is
	// why.
	allProven := !v.damaged
	for _, path := range v.order {
		if l, ok := records[path]; strings.HasPrefix(path, "records/") && (!ok || !l.ok) {
			allProven = false
		}
	}
	for _, f := range v.rep.Files {
		if d := f.Disposed; d != nil && !d.Proven && allProven {
			v.problem(ManifestPath, "it says %s was disposed of on %s by %s, but no record of the package proven in the log says so: the manifest was changed, or the disposal's record is missing", f.Name, when(d.At), d.By)
		}
	}
	if path := v.exportRecord; path != "" {
		l := records[path]
		e := CustodyEvent{At: l.rec.At, Action: l.rec.Action, Actor: l.rec.Actor, ActorState: l.rec.ActorState, LogIndex: l.index, Record: path, InLog: true}
		e.Words = fmt.Sprintf("the package was exported and sealed by %s (action %s)", who(e.Actor, e.ActorState), e.Action)
		v.rep.Custody = append(v.rep.Custody, e)
	}
	sort.SliceStable(v.rep.Custody, func(i, j int) bool { return v.rep.Custody[i].At.Before(v.rep.Custody[j].At) })
}

// custodyWords says an event in words: "report.pdf was received by ...".
func custodyWords(e CustodyEvent) string {
	verb := e.Action
	if i := strings.LastIndexByte(verb, '.'); i >= 0 {
		verb = verb[i+1:]
	}
	words := map[string]string{
		"collect": "collection recorded", "collected": "collection recorded", "ingest": "taken into the vault", "ingested": "taken into the vault",
		"view": "viewed", "viewed": "viewed", "download": "downloaded", "downloaded": "downloaded",
		"transfer": "queued to be sent to the other State", "transferred": "received whole by the other State",
		"transfer_refused": "refused by the other State, as what arrived did not match", "incoming": "beginning to arrive from the other State",
		"receive": "received", "received": "received whole from the other State, with the size and SHA-256 announced",
		"refused": "refused on arrival, as what arrived did not match",
		"export":  "exported in a package", "exported": "exported in a package", "seal": "sealed in a package", "sealed": "sealed in a package",
		"dispose": "disposed of", "disposed": "disposed of",
		"upload": "upload begun", "segment": "a piece of its bytes stored", "retention": "retention date set",
		"damaged": "found damaged in storage", "origin_custody": "its custody at the sending State received, proven in that State's log",
	}
	w, ok := words[verb]
	if !ok {
		w = e.Action
	}
	item := or(e.Item, "the evidence")
	if e.Actor == "" {
		return fmt.Sprintf("%s: %s", item, w)
	}
	if !e.InLog {
		return fmt.Sprintf("%s: %s by %s (action %s)", item, w, who(e.Actor, e.ActorState), e.Action)
	}
	if e.Log != "" {
		return fmt.Sprintf("%s: %s by %s (%s's log entry %d, action %s)", item, w, who(e.Actor, e.ActorState), e.Log, e.LogIndex, e.Action)
	}
	return fmt.Sprintf("%s: %s by %s (log entry %d, action %s)", item, w, who(e.Actor, e.ActorState), e.LogIndex, e.Action)
}

const consistencyPrefix = "proofs/consistency-"

// checkConsistency checks each consistency proof between two checkpoints
// the log signed, and notes on the newer one which older one it extends.
func (v *verifier) checkConsistency(cps map[string]checkpoint) {
	for _, path := range v.order {
		if !strings.HasPrefix(path, consistencyPrefix) {
			continue
		}
		raw, ok := v.small[path]
		if !ok {
			continue
		}
		var d consistencyDoc
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&d); err != nil {
			v.problem(path, "the consistency proof is not readable (%v): it was changed", err)
			continue
		}
		if canon, err := json.MarshalIndent(d, "", " "); err != nil || !bytes.Equal(append(canon, '\n'), raw) {
			v.problem(path, "the consistency proof is not in the form a package's proofs are written in: it was changed")
			continue
		}
		v.tie(d.From)
		v.tie(d.To)
		from, okFrom := cps[d.From]
		to, okTo := cps[d.To]
		if !okFrom || !okTo {
			v.problem(path, "the consistency proof joins %q and %q, which the package does not both hold: it was changed", d.From, d.To)
			continue
		}
		if !from.ok || !to.ok {
			continue // the checkpoint's problem is named already
		}
		if d.FromSize != from.size || d.ToSize != to.size {
			v.problem(path, "the consistency proof is for logs of %d and %d records, but the checkpoints are of %d and %d: it was changed", d.FromSize, d.ToSize, from.size, to.size)
			continue
		}
		hashes, err := decodeHashes(d.Hashes)
		if err != nil {
			v.problem(path, "%v: the consistency proof was changed", err)
			continue
		}
		if err := proof.VerifyConsistency(rfc6962.DefaultHasher, from.size, to.size, hashes, from.root, to.root); err != nil {
			v.problem(path, "the consistency proof does not show that %s extends %s (%s): the proof was changed, or the log was rewritten", d.To, d.From, proofFailure(err))
			continue
		}
		for i := range v.rep.Log.Checkpoints {
			if v.rep.Log.Checkpoints[i].Path == d.To {
				v.rep.Log.Checkpoints[i].Extends = append(v.rep.Log.Checkpoints[i].Extends, d.From)
			}
		}
	}
}

func (v *verifier) tie(checkpoint string) {
	if v.tied == nil {
		v.tied = map[string]bool{}
	}
	v.tied[checkpoint] = true
}

// checkCheckpointsTied names a checkpoint that no proof is under and no
// consistency proof joins: the exporting node writes none, so one is left
// when the consistency proof that carried its witnesses' cosignatures over
// to the newer checkpoint was removed, which no other check would name. A
// proof with a problem of its own, or a member the archive's structure
// hides, may be the one that tied it, and that problem is named already.
func (v *verifier) checkCheckpointsTied(cps map[string]checkpoint) {
	for _, p := range v.rep.Problems {
		if strings.HasPrefix(p.Part, "proofs/") || p.Part == "archive" {
			return
		}
	}
	for _, path := range v.order {
		if _, ok := cps[path]; ok && !v.tied[path] {
			v.problem(path, "no proof in the package is under this checkpoint, and no consistency proof (%sNNN.json) joins it to the checkpoint the records are proven under, so its cosignatures vouch for nothing here: a consistency proof was removed, or the checkpoint was added", consistencyPrefix)
		}
	}
}

func decodeHashes(hexes []string) ([][]byte, error) {
	if len(hexes) > maxProofHashes {
		return nil, fmt.Errorf("the proof has %d hashes, more than any log needs", len(hexes))
	}
	out := make([][]byte, len(hexes))
	for i, h := range hexes {
		b, err := hex.DecodeString(h)
		if err != nil || len(b) != sha256.Size {
			return nil, errors.New("a hash of the proof is not a SHA-256 in hex")
		}
		out[i] = b
	}
	return out, nil
}

// eventField says one step of the answer in words: when, what, by whom,
// and what it said.
func eventField(e map[string]any) Field {
	str := func(k string) string { s, _ := e[k].(string); return s }
	words := fmt.Sprintf("%s by %s", or(str("action"), "a step"), who(str("actor"), str("actor_state")))
	if to := str("to"); to != "" {
		words += ", the request then " + to
	}
	for _, k := range []string{"note", "reasons", "conditions"} {
		if s := str(k); s != "" {
			words += "; " + k + ": " + s
		}
	}
	if g, ok := e["grounds"].([]any); ok && len(g) > 0 {
		words += fmt.Sprintf("; grounds: %v", g)
	}
	at := str("at")
	if t, err := time.Parse(time.RFC3339Nano, at); err == nil {
		at = when(t)
	}
	return Field{Name: or(at, "step"), Value: clip(words)}
}
