package archive

import (
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"entraide/internal/convention"
)

// Report is what Verify found: what the package says, what checks out, and
// every problem, each naming the part of the package it is in.
type Report struct {
	// OK is true only when every file, record, proof, checkpoint, the
	// manifest and the seal check out against the keys given.
	OK       bool            `json:"ok"`
	Package  PackageSummary  `json:"package"`
	Request  *RequestSummary `json:"request,omitempty"`
	Answer   []Field         `json:"answer,omitempty"`
	Files    []FileResult    `json:"files"`
	Custody  []CustodyEvent  `json:"custody"`
	Log      LogResult       `json:"log"`
	Seal     SealResult      `json:"seal"`
	Problems []Problem       `json:"problems"`
}

// PackageSummary is who made the package, when, and whether its manifest is
// the one the exporting node logged.
type PackageSummary struct {
	RequestID      string    `json:"request_id,omitempty"`
	ExportingState string    `json:"exporting_state,omitempty"`
	Created        time.Time `json:"created,omitzero"`
	ManifestSHA256 string    `json:"manifest_sha256,omitempty"`
	// ManifestLogged is true when an export record in the log, proven by
	// its inclusion proof, holds the manifest's SHA-256.
	ManifestLogged bool `json:"manifest_logged"`
	// ExportIndex is the export record's index in the log.
	ExportIndex uint64 `json:"export_log_index,omitempty"`
}

// RequestSummary is what was asked, as the request's JSON says.
type RequestSummary struct {
	ID              string `json:"id,omitempty"`
	Kind            string `json:"kind,omitempty"`
	RequestingState string `json:"requesting_state,omitempty"`
	RequestedState  string `json:"requested_state,omitempty"`
	State           string `json:"state,omitempty"`
	// LegalBasis is what the request rests on: the Convention, a treaty
	// (named) or reciprocity.
	LegalBasis string `json:"legal_basis,omitempty"`
	// Offences are the offences it concerns: "art. 7" for one of the
	// Convention's, a description for a serious crime outside them.
	Offences  []string  `json:"offences,omitempty"`
	CreatedBy string    `json:"created_by,omitempty"`
	CreatedAt time.Time `json:"created_at,omitzero"`
	Fields    []Field   `json:"fields,omitempty"`
}

// Field is one named value of the request or the answer.
type Field struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// FileResult is one evidence file: what the manifest says of it, and
// whether its bytes in the package match.
type FileResult struct {
	Path      string      `json:"path"`
	Name      string      `json:"name"`
	Size      int64       `json:"size"`
	MediaType string      `json:"media_type,omitempty"`
	SHA256    string      `json:"sha256"`
	Computed  string      `json:"computed_sha256,omitempty"`
	Matched   bool        `json:"matched"`
	Collected *Collection `json:"collected,omitempty"`
	// Disposed is, for an item disposed of (art. 36), its disposal: the
	// package holds its description, hash and custody, and no bytes.
	Disposed *DisposalResult `json:"disposed,omitempty"`
	// Origin is, for an item the exporting State received from the other
	// State, that State's custody of it, checked against its own log.
	Origin *OriginResult `json:"origin,omitempty"`
}

// DisposalResult is the disposal of an item, as the manifest states it and
// as its custody record in the exporting node's log proves it.
type DisposalResult struct {
	At      time.Time `json:"at"`
	By      string    `json:"by"`
	ByState string    `json:"by_state,omitempty"`
	Record  string    `json:"record,omitempty"`
	// Reason is why it was disposed of, as its proven record says.
	Reason string `json:"reason,omitempty"`
	// Proven is true when the disposal's record is in the exporting node's
	// log, proven under a checkpoint signed by its key.
	Proven bool `json:"proven"`
}

// OriginResult is the custody of an item at the State that collected and
// sent it, as the package carries it: that State's own audit records, each
// with its inclusion proof under a checkpoint signed by that State's log.
type OriginResult struct {
	State      string `json:"state"`
	Item       string `json:"item"` // the item's id on the sending node
	LogKeyName string `json:"log_key_name"`
	// KeyFromPackage is true when no key given was the sending State's log
	// key, so the one in the package was used: nothing independent of the
	// package confirms that it is that State's.
	KeyFromPackage bool             `json:"key_from_package"`
	Checkpoint     CheckpointResult `json:"checkpoint"`
	// Proven is true when the checkpoint is signed by the key and every
	// record is in that State's log under it.
	Proven bool `json:"proven"`
	// Collected is the record of the item's collection at the sending
	// State, if the package holds it.
	Collected *CustodyEvent `json:"collected,omitempty"`
	// CollectedAs is how that record says the item was collected.
	CollectedAs *Collection    `json:"collected_as,omitempty"`
	Custody     []CustodyEvent `json:"custody"`
}

// CustodyEvent is one step in the life of an item, or of the package.
type CustodyEvent struct {
	At         time.Time `json:"at"`
	Item       string    `json:"item,omitempty"`
	Action     string    `json:"action"`
	Actor      string    `json:"actor,omitempty"`
	ActorState string    `json:"actor_state,omitempty"`
	Record     string    `json:"record,omitempty"`
	// LogIndex is the index of the event's audit record in the log, when
	// its proof holds.
	LogIndex uint64 `json:"log_index,omitempty"`
	// InLog is true when the event's audit record is proven to be in the
	// log under a checkpoint signed by the log's key.
	InLog bool `json:"in_log"`
	// Log is, for a record of the State that sent the item, that State:
	// the record is in its log, not the exporting node's.
	Log   string `json:"log,omitempty"`
	Words string `json:"words"`
}

// LogResult is the exporting node's log as the package shows it.
type LogResult struct {
	Origin      string             `json:"origin,omitempty"`
	KeyName     string             `json:"key_name,omitempty"`
	KeyGiven    bool               `json:"key_given"`
	Checkpoints []CheckpointResult `json:"checkpoints"`
}

// CheckpointResult is one signed checkpoint and who signed it.
type CheckpointResult struct {
	Path        string `json:"path"`
	Size        uint64 `json:"size"`
	RootHash    string `json:"root_hash,omitempty"`
	SignedByLog bool   `json:"signed_by_log"`
	// Extends are the checkpoints that a consistency proof in the package
	// shows this one extends: the log only grew from them to it.
	Extends  []string      `json:"extends,omitempty"`
	Cosigned []Cosignature `json:"cosigned,omitempty"`
	// UnknownSigners are names of signatures whose keys were not given.
	UnknownSigners []string `json:"unknown_signers,omitempty"`
}

// Cosignature is a witness's verified cosignature of a checkpoint.
type Cosignature struct {
	Witness string    `json:"witness"`
	At      time.Time `json:"at,omitzero"`
}

// SealResult is whether the exporting node's seal covers the archive.
type SealResult struct {
	Verified bool   `json:"verified"`
	Signer   string `json:"signer,omitempty"`
}

// Problem is one thing that does not check out, in Part: a member's path,
// SealPath, "keys", or "archive" for the tar structure itself.
type Problem struct {
	Part    string `json:"part"`
	Message string `json:"message"`
}

// WriteText writes the report in plain words, for a reader who is no
// engineer: the verdict first, then what was asked and given, the files,
// their custody, the log and witnesses, and every problem.
func (r *Report) WriteText(w io.Writer) error {
	var b strings.Builder
	// Every string may come from the package: none may break a line or
	// pass for a line of the report's own.
	p := func(format string, a ...any) {
		for i, v := range a {
			if s, ok := v.(string); ok {
				a[i] = printable(s)
			}
		}
		fmt.Fprintf(&b, format+"\n", a...)
	}
	p("EVIDENCE PACKAGE VERIFICATION")
	p("")
	if r.OK {
		p("RESULT: VERIFIED. Every file, custody record, log proof and checkpoint checks out against the keys you gave,")
		p("and the archive is exactly as the exporting node sealed it.")
		// The sentence above is about the keys given; a sending State's
		// custody checked with the key the package carries is not, and a
		// reader who stops at the verdict must learn it here.
		var unconfirmed []string
		for _, f := range r.Files {
			if o := f.Origin; o != nil && o.KeyFromPackage && !slices.Contains(unconfirmed, o.State) {
				unconfirmed = append(unconfirmed, o.State)
			}
		}
		for _, st := range unconfirmed {
			p("EXCEPT: %s's custody of the evidence is checked with the key of %s's log that the package itself holds, which you", st, st)
			p("did not give: nothing independent of the package confirms it. Ask %s for its log key and give it with --key.", st)
		}
	} else {
		p("RESULT: NOT VERIFIED. %d problem(s) found; each is listed under PROBLEMS at the end, naming the part of the", len(r.Problems))
		p("package it is in. Do not rely on a part named there.")
	}
	p("")
	s := r.Package
	if s.RequestID != "" {
		p("Package exported by the node of %s on %s, for request %s.", or(s.ExportingState, "an unnamed State"), when(s.Created), s.RequestID)
	}
	if s.ManifestLogged {
		p("Its manifest (SHA-256 %s) is the one the exporting node recorded in its log (entry %d).", s.ManifestSHA256, s.ExportIndex)
	} else {
		p("Its manifest could NOT be matched to a record in the exporting node's log.")
	}
	p("")
	p("WHAT WAS ASKED")
	if q := r.Request; q != nil {
		p("  Request %s: %s, from %s to %s; its state when exported: %s.", or(q.ID, "(no id)"), or(kindWords(q.Kind), "(kind not given)"),
			or(q.RequestingState, "?"), or(q.RequestedState, "?"), or(q.State, "?"))
		if q.CreatedBy != "" {
			p("    drafted by %s on %s", who(q.CreatedBy, q.RequestingState), when(q.CreatedAt))
		}
		if q.LegalBasis != "" {
			p("    legal basis: %s", q.LegalBasis)
		}
		if len(q.Offences) > 0 {
			p("    offences: %s", strings.Join(q.Offences, "; "))
		}
		for _, f := range q.Fields {
			p("    %s: %s", fieldWords(q.Kind, f.Name), f.Value)
		}
	} else {
		p("  The package holds no readable request.")
	}
	p("")
	p("WHAT WAS GIVEN")
	if len(r.Answer) == 0 {
		p("  The package holds no answer.")
	}
	for _, f := range r.Answer {
		p("  %s: %s", f.Name, f.Value)
	}
	p("")
	p("FILES (%d)", len(r.Files))
	for i, f := range r.Files {
		verdict := "MATCHES the hash recorded when it was collected"
		if !f.Matched {
			verdict = "DOES NOT MATCH: do not rely on this file"
			switch {
			case f.Computed == "":
				verdict = "MISSING from the package"
			case f.Computed == f.SHA256:
				verdict = "matches the manifest, but the manifest is NOT the one the exporting node logged: do not rely on this file"
			}
		}
		if d := f.Disposed; d != nil {
			verdict = fmt.Sprintf("disposed on %s by %s%s; bytes gone, custody proven", when(d.At), who(d.By, d.ByState), prefixed(", for this reason: ", d.Reason))
			if !d.Proven {
				verdict = fmt.Sprintf("disposed on %s by %s, as the manifest states; its disposal is NOT proven in the log", when(d.At), who(d.By, d.ByState))
			}
			p("  %d. %s (%d bytes%s), DISPOSED OF (art. 36): the package holds its description, hash and custody, and no bytes", i+1, f.Name, f.Size, prefixed(", ", f.MediaType))
		} else {
			p("  %d. %s (%d bytes%s), in the package as %s", i+1, f.Name, f.Size, prefixed(", ", f.MediaType), f.Path)
		}
		p("     SHA-256 %s: %s", f.SHA256, verdict)
		if c := f.Collected; c != nil && *c != (Collection{}) {
			p("     Collected%s%s%s%s%s.", prefixed(" by ", who(c.By, c.ByState)), prefixed(" at ", c.Where), prefixed(" on ", when(c.At)),
				prefixed(", from ", c.Source), prefixed(", with ", c.Tool))
		}
		if o := f.Origin; o != nil {
			writeOrigin(p, o)
		}
	}
	p("")
	p("CUSTODY (who held the evidence, and when)")
	if len(r.Custody) == 0 {
		p("  No custody events.")
	}
	for i := 0; i < len(r.Custody); i++ {
		e := r.Custody[i]
		// An item's bytes are stored in pieces of 64 MiB, each with its
		// record: a run of them is one line, not one per piece.
		if run := pieceRun(r.Custody[i:]); run > 1 {
			last := r.Custody[i+run-1]
			e.Words = fmt.Sprintf("%s: %d pieces of its bytes stored, until %s, by %s (log entries %d to %d, action %s)",
				or(e.Item, "the evidence"), run, when(last.At), who(e.Actor, e.ActorState), e.LogIndex, last.LogIndex, e.Action)
			i += run - 1
		}
		proof := "recorded in the log, proven"
		if !e.InLog {
			proof = "NOT proven to be in the log"
		}
		if e.Log != "" {
			proof = fmt.Sprintf("recorded in %s's log, proven", e.Log)
			if !e.InLog {
				proof = fmt.Sprintf("NOT proven to be in %s's log", e.Log)
			}
		}
		if e.Record == "" {
			proof = "as the manifest states it"
		}
		p("  %s  %s (%s)", when(e.At), e.Words, proof)
	}
	p("")
	p("LOG AND WITNESSES")
	l := r.Log
	key := "you gave its public key"
	if !l.KeyGiven {
		key = "you did NOT give its public key, so nothing in the package could be checked against it"
	}
	p("  The exporting node's log %q, signed with key %q: %s.", l.Origin, l.KeyName, key)
	for _, c := range l.Checkpoints {
		signed := "signed by the log"
		if !c.SignedByLog {
			signed = "NOT signed by the log"
		}
		p("  Checkpoint %s: the log's first %d records, root hash %s, %s.", c.Path, c.Size, or(c.RootHash, "?"), signed)
		for _, e := range c.Extends {
			p("    It extends checkpoint %s, as its consistency proof shows: the log only grew between them, so what vouches for %s vouches for the records before it here too.", e, e)
		}
		for _, w := range c.Cosigned {
			p("    Cosigned by witness %s on %s: the witness saw this state of the log and vouches that it only grew.", w.Witness, when(w.At))
		}
		if len(c.Cosigned) == 0 {
			p("    No witness whose key you gave cosigned it.")
		}
		if len(c.UnknownSigners) > 0 {
			p("    Also signed by %s, whose keys you did not give (not checked).", strings.Join(c.UnknownSigners, ", "))
		}
	}
	p("")
	p("SEAL")
	if r.Seal.Verified {
		p("  The exporting node sealed the whole archive with key %q; the seal matches every byte before it.", r.Seal.Signer)
	} else {
		p("  The seal does NOT match the archive.")
	}
	if len(r.Problems) > 0 {
		p("")
		p("PROBLEMS (%d)", len(r.Problems))
		for _, pr := range r.Problems {
			p("  - %s: %s", pr.Part, pr.Message)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// writeOrigin says where an item received from the other State comes
// from: which State collected it, who, when, and whether that State's log
// proves it.
func writeOrigin(p func(string, ...any), o *OriginResult) {
	key := fmt.Sprintf("signed with %s's log key %q, which you gave", o.State, o.LogKeyName)
	if o.KeyFromPackage {
		key = fmt.Sprintf("signed with the key %q for %s's log that the package holds: key from the package, not independently confirmed; ask %s for its log key and give it with --key", o.LogKeyName, o.State, o.State)
	}
	if o.Proven {
		p("     Received from %s, which collected it: %s's log proves its custody there (%d records, under checkpoint %s of its first %d records, %s).",
			o.State, o.State, len(o.Custody), o.Checkpoint.Path, o.Checkpoint.Size, key)
	} else {
		p("     Received from %s: its custody there is NOT proven by %s's log (%s); see PROBLEMS.", o.State, o.State, key)
	}
	if c := o.Collected; c != nil {
		as := ""
		if k := o.CollectedAs; k != nil {
			as = fmt.Sprintf(": collected%s%s%s%s%s", prefixed(" by ", k.By), prefixed(" at ", k.Where), prefixed(" on ", when(k.At)), prefixed(", from ", k.Source), prefixed(", with ", k.Tool))
		}
		proof := fmt.Sprintf("%s's log proves it (entry %d)", o.State, c.LogIndex)
		if !c.InLog {
			proof = fmt.Sprintf("NOT proven in %s's log", o.State)
		}
		p("     Collection in %s recorded by %s on %s%s; %s.", o.State, who(c.Actor, c.ActorState), when(c.At), as, proof)
	} else {
		p("     The package holds no record of its collection in %s.", o.State)
	}
	for _, w := range o.Checkpoint.Cosigned {
		p("     %s's checkpoint is cosigned by witness %s on %s.", o.State, w.Witness, when(w.At))
	}
	if u := o.Checkpoint.UnknownSigners; len(u) > 0 {
		p("     %s's checkpoint is also signed by %s, whose keys you did not give (not checked).", o.State, strings.Join(u, ", "))
	} else if o.Checkpoint.SignedByLog && len(o.Checkpoint.Cosigned) == 0 {
		p("     No witness cosigned %s's checkpoint: only %s's own log vouches for it.", o.State, o.State)
	}
}

func or(s, alt string) string {
	if s == "" {
		return alt
	}
	return s
}

func prefixed(prefix, s string) string {
	if s == "" {
		return ""
	}
	return prefix + s
}

func who(id, state string) string {
	if id == "" {
		return ""
	}
	if state == "" {
		return id
	}
	// A node records what it does of itself as "system", and what another
	// State's node made it do as "peer" of that State: words a reader of
	// the report does not know, and "peer (VNM)" reads as one of VNM's
	// officials.
	switch id {
	case "system":
		return state + "'s node"
	case "peer":
		return "the node keeping the log, on a message from " + state + "'s node"
	}
	return id + " (" + state + ")"
}

// kindWords names a kind of request as the Convention does, for a reader
// who does not know the codes; a code the Convention does not know (a
// newer node's) is shown as it is.
func kindWords(kind string) string {
	spec, ok := convention.Lookup(convention.Kind(kind))
	if !ok {
		return kind
	}
	arts := make([]string, len(spec.Articles))
	for i, a := range spec.Articles {
		arts[i] = a.String()
	}
	return fmt.Sprintf("%s (%s; %s)", spec.Title, strings.Join(arts, ", "), kind)
}

// fieldWords names a field of a request of kind by its label and the
// article that asks for it.
func fieldWords(kind, name string) string {
	spec, _ := convention.Lookup(convention.Kind(kind))
	field, rest, _ := strings.Cut(name, ".")
	for _, f := range spec.Fields {
		if f.Name == field && rest == "" {
			return fmt.Sprintf("%s (%s)", f.Label, f.Ref)
		}
	}
	return name
}

func when(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02 15:04:05 UTC")
}

// sortedFields flattens a JSON object's values into lines, in name order,
// for the plain-language report.
func sortedFields(m map[string]any, prefix string, out *[]Field, depth int) {
	names := make([]string, 0, len(m))
	for k := range m {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		name := prefix + k
		switch v := m[k].(type) {
		case nil:
		case map[string]any:
			if depth < 2 {
				sortedFields(v, name+".", out, depth+1)
			}
		case []any:
			if len(v) > 0 {
				*out = append(*out, Field{Name: name, Value: clip(fmt.Sprint(v))})
			}
		default:
			if s := fmt.Sprint(v); s != "" {
				*out = append(*out, Field{Name: name, Value: clip(s)})
			}
		}
		if len(*out) >= 200 {
			return
		}
	}
}

func clip(s string) string {
	s = strings.ReplaceAll(s, "\n", " ")
	if r := []rune(s); len(r) > 500 {
		return string(r[:500]) + "…"
	}
	return s
}

// printable replaces control characters, and invalid UTF-8, by U+FFFD.
func printable(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == utf8.RuneError {
			return utf8.RuneError
		}
		return r
	}, strings.ToValidUTF8(s, "\uFFFD"))
}

// pieceRun counts the events at the head of es that record pieces of one
// item's bytes being stored, by one actor, proven in one log.
func pieceRun(es []CustodyEvent) int {
	first := es[0]
	if !strings.HasSuffix(first.Action, ".segment") || !first.InLog {
		return 0
	}
	n := 1
	for n < len(es) {
		e := es[n]
		if e.Action != first.Action || e.Item != first.Item || e.Log != first.Log || !e.InLog || e.Actor != first.Actor || e.ActorState != first.ActorState {
			break
		}
		n++
	}
	return n
}
