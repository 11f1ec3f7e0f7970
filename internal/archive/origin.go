package archive

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"sort"
	"strings"
	"time"

	tnote "github.com/transparency-dev/formats/note"
	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"
	"golang.org/x/mod/sumdb/note"

	"entraide/internal/auditlog"
)

// The custody actions the report looks for; they are evidence's (see
// internal/evidence), written here so that this package, which a court's
// verifier runs, depends on nothing of the node's.
const (
	actionDisposed  = "evidence.disposed"
	actionCollected = "evidence.collected"
	subjectPrefix   = "evidence/"
)

// keyName is the name of a note verifier key, "" if it has none.
func keyName(vkey string) string {
	name, _, _ := strings.Cut(strings.TrimSpace(vkey), "+")
	return name
}

// checkOrigins checks, for each item received from another State, that
// State's custody of it: the checkpoint against that State's log key (the
// one given, or else the one in the package, said to be so), each proof
// against the checkpoint, each record against its proof, and that each
// record is about the item in that State's view. It fills the item's
// Origin in the report and adds the records to the custody.
func (v *verifier) checkOrigins(witnesses []key) {
	for i, n := range v.fileNodes {
		if n.OriginLogKey == "" {
			continue
		}
		f := &v.rep.Files[i]
		o := &OriginResult{State: n.OriginState, Item: n.OriginItem, LogKeyName: keyName(n.OriginLogKey), Custody: []CustodyEvent{}}
		f.Origin = o
		verifier := v.originKey(n, o)
		cpPath := n.OriginCheckpoint
		dir, ok := strings.CutSuffix(cpPath, "checkpoint.txt")
		if !ok || !strings.HasPrefix(dir, originPrefix) || strings.Count(dir, "/") != 2 {
			v.problem(ManifestPath, "it names %q as the checkpoint of %s's custody of %s, which is not where a package holds one: the manifest was changed", cpPath, n.OriginState, f.Name)
			continue
		}
		o.Checkpoint.Path = cpPath
		cp, ok := v.originCheckpoint(cpPath, n.OriginState, verifier, witnesses, &o.Checkpoint)
		proven := ok
		count := 0
		for _, path := range v.order {
			if !strings.HasPrefix(path, dir+"records/") {
				continue
			}
			count++
			e, ok := v.originRecord(path, dir, n, f.Name, cp)
			e.Words = custodyWords(e)
			proven = proven && ok
			o.Custody = append(o.Custody, e)
			v.rep.Custody = append(v.rep.Custody, e)
			if e.Action == actionCollected && o.Collected == nil {
				c := e
				o.Collected = &c
				o.CollectedAs = collectedAs(v.small[path])
			}
		}
		if count == 0 && !v.damaged {
			v.problem(ManifestPath, "it says %s came from %s, but the package holds none of %s's custody records of it", f.Name, n.OriginState, n.OriginState)
			proven = false
		}
		o.Proven = proven && count > 0
	}
	sort.SliceStable(v.rep.Custody, func(i, j int) bool { return v.rep.Custody[i].At.Before(v.rep.Custody[j].At) })
}

// originKey returns the verifier of the sending State's log: the key given
// of that name, or else the package's, which o then says.
func (v *verifier) originKey(n node, o *OriginResult) note.Verifier {
	name := keyName(n.OriginLogKey)
	for _, k := range v.keys {
		if k.name != name {
			continue
		}
		if k.vkey != strings.TrimSpace(n.OriginLogKey) {
			v.problem(ManifestPath, "the key it holds for %s's log is not the one you gave for %q: the package's was replaced, or %s's log changed its key; the key you gave is used", n.OriginState, name, n.OriginState)
		}
		return k.plain
	}
	o.KeyFromPackage = true
	pk, err := tnote.NewVerifier(n.OriginLogKey)
	if err != nil {
		v.problem(ManifestPath, "the key it holds for %s's log is not a note verifier key (%v): the manifest was changed", n.OriginState, err)
		return nil
	}
	return pk
}

// originCheckpoint checks the sending State's checkpoint at path against
// its log's key, and any cosignatures by the witnesses given.
func (v *verifier) originCheckpoint(path, state string, logKey note.Verifier, witnesses []key, res *CheckpointResult) (checkpoint, bool) {
	raw, ok := v.small[path]
	if !ok {
		if _, there := v.members[path]; !there && !v.damaged {
			v.problem(path, "the package does not hold %s's checkpoint, under which its custody records are proven", state)
		}
		return checkpoint{}, false
	}
	if logKey == nil {
		return checkpoint{}, false
	}
	nt, err := note.Open(raw, note.VerifierList(logKey))
	if err != nil {
		v.problem(path, "%s's checkpoint is not signed by its log's key %q (%v): the checkpoint was changed", state, logKey.Name(), err)
		return checkpoint{}, false
	}
	c, err := parseCheckpoint(nt.Text)
	if err != nil {
		v.problem(path, "%s's checkpoint is signed but not a checkpoint: %v", state, err)
		return checkpoint{}, false
	}
	if c.origin != logKey.Name() {
		v.problem(path, "%s's checkpoint is of the log %q, not of %q, whose key signed it: it was changed", state, c.origin, logKey.Name())
		return checkpoint{}, false
	}
	res.SignedByLog, res.Size, res.RootHash = true, c.size, hex.EncodeToString(c.root)
	for _, w := range witnesses {
		if w.cosig == nil {
			continue
		}
		wn, err := note.Open(raw, note.VerifierList(w.cosig))
		var unverified *note.UnverifiedNoteError
		switch {
		case errors.As(err, &unverified):
			continue
		case err != nil:
			v.problem(path, "witness %s's cosignature of %s's checkpoint does not verify (%v): the checkpoint or its cosignature line was changed", w.name, state, err)
			continue
		}
		at := time.Time{}
		if t, err := tnote.CoSigV1Timestamp(wn.Sigs[0]); err == nil {
			at = t.UTC()
		}
		res.Cosigned = append(res.Cosigned, Cosignature{Witness: w.name, At: at})
	}
	// Cosignatures whose keys were not given are listed, so that a reader
	// learns that witnesses vouched and can ask for their keys.
	known := map[string]bool{logKey.Name(): true}
	for _, k := range v.keys {
		known[k.name] = true
	}
	var unverified *note.UnverifiedNoteError
	if _, err := note.Open(raw, note.VerifierList()); errors.As(err, &unverified) {
		for _, sig := range unverified.Note.UnverifiedSigs {
			if !known[sig.Name] {
				res.UnknownSigners = append(res.UnknownSigners, sig.Name)
			}
		}
	}
	return checkpoint{size: c.size, root: c.root, ok: true}, true
}

// originRecord checks record path of the sending State's custody of the
// item of node n, and its proof, under cp; it returns the record as a
// custody event, InLog only if all of it holds.
func (v *verifier) originRecord(path, dir string, n node, item string, cp checkpoint) (CustodyEvent, bool) {
	e := CustodyEvent{Item: item, Record: path, Log: n.OriginState}
	raw := v.small[path]
	rec, err := auditlog.Parse(raw)
	if err != nil {
		v.problem(path, "%s's custody record is not readable (%v): it was changed", n.OriginState, err)
		return e, false
	}
	e.At, e.Action, e.Actor, e.ActorState = rec.At, rec.Action, rec.Actor, rec.ActorState
	if rec.Subject != subjectPrefix+n.OriginItem || rec.State != n.OriginState {
		v.problem(path, "the record is about %s in the view of %s, not about item %s of %s: it was changed or put in the wrong place", rec.Subject, rec.State, n.OriginItem, n.OriginState)
		return e, false
	}
	ppath := dir + "proofs/" + strings.TrimPrefix(path, dir+"records/")
	pr, ok := v.small[ppath]
	if !ok {
		if !v.damaged {
			v.problem(path, "the record has no proof that it is in %s's log (%s is missing)", n.OriginState, ppath)
		}
		return e, false
	}
	var d proofDoc
	dec := json.NewDecoder(bytes.NewReader(pr))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&d); err != nil {
		v.problem(ppath, "the proof is not readable (%v): it was changed", err)
		return e, false
	}
	if canon, err := json.MarshalIndent(d, "", " "); err != nil || !bytes.Equal(append(canon, '\n'), pr) {
		v.problem(ppath, "the proof is not in the form a package's proofs are written in: it was changed")
		return e, false
	}
	if d.Record != path || d.Checkpoint != n.OriginCheckpoint {
		v.problem(ppath, "the proof is for %q under %q, not for %s under %s: it was changed", d.Record, d.Checkpoint, path, n.OriginCheckpoint)
		return e, false
	}
	if !cp.ok {
		return e, false // the checkpoint's problem is named already
	}
	if d.TreeSize != cp.size {
		v.problem(ppath, "the proof is for a log of %d records, but %s's checkpoint is of %d: the proof was changed", d.TreeSize, n.OriginState, cp.size)
		return e, false
	}
	if !validEntry(d.Entry) {
		v.problem(ppath, "its log entry %q is not of the form %q followed by a SHA-256: the proof was changed", clip(d.Entry), EntryPrefix)
		return e, false
	}
	hashes, err := decodeHashes(d.Hashes)
	if err != nil {
		v.problem(ppath, "%v: the proof was changed", err)
		return e, false
	}
	if err := proof.VerifyInclusion(rfc6962.DefaultHasher, d.LeafIndex, d.TreeSize, LeafHash([]byte(d.Entry)), hashes, cp.root); err != nil {
		v.problem(ppath, "the inclusion proof does not place entry %d (%s…) under %s's checkpoint (%s): the proof was changed", d.LeafIndex, d.Entry[len(EntryPrefix):len(EntryPrefix)+12], n.OriginState, proofFailure(err))
		return e, false
	}
	if string(Entry(raw)) != d.Entry {
		v.problem(path, "its bytes do not hash to the entry its proof places in %s's log (entry %d): the record was changed", n.OriginState, d.LeafIndex)
		return e, false
	}
	e.InLog, e.LogIndex = true, d.LeafIndex
	return e, true
}

// collectedAs reads how a collection record says the item was collected.
func collectedAs(raw []byte) *Collection {
	rec, err := auditlog.Parse(raw)
	if err != nil {
		return nil
	}
	var d struct {
		Collection struct {
			By     string     `json:"by"`
			Where  string     `json:"where"`
			When   *time.Time `json:"when"`
			Source string     `json:"source"`
			Tool   string     `json:"tool"`
		} `json:"collection"`
	}
	if json.Unmarshal(rec.Detail, &d) != nil {
		return nil
	}
	c := &Collection{By: d.Collection.By, Where: d.Collection.Where, Source: d.Collection.Source, Tool: d.Collection.Tool}
	if d.Collection.When != nil {
		c.At = *d.Collection.When
	}
	if *c == (Collection{}) {
		return nil
	}
	return c
}
