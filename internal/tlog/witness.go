package tlog

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"

	fnote "github.com/transparency-dev/formats/note"
	"golang.org/x/mod/sumdb/note"
)

// This file speaks the C2SP tlog-witness protocol: a log submits its new
// checkpoint, with a consistency proof from the size the witness last
// saw, to the witness's add-checkpoint endpoint; the witness checks the
// proof and answers with its C2SP tlog-cosignature/v1 signature lines.

// MaxAddCheckpointSize bounds an add-checkpoint request body: the old
// size, 63 proof lines and a checkpoint.
const MaxAddCheckpointSize = 64 + 64*64 + MaxCheckpointSize

// maxProofLines is the most hashes a consistency proof of a tree of size
// below 2^63 has.
const maxProofLines = 63

// AddCheckpoint is the body of an add-checkpoint request.
type AddCheckpoint struct {
	Old        int64  // the size of the checkpoint the witness last saw of the log
	Proof      []Hash // consistency proof from Old to the checkpoint's size
	Checkpoint []byte // the signed checkpoint
}

// ErrAddCheckpoint is wrapped by every error of ParseAddCheckpoint.
var ErrAddCheckpoint = errors.New("bad add-checkpoint request")

// Marshal returns the request body: "old N", a line per proof hash in
// base64, a blank line, the checkpoint.
func (a AddCheckpoint) Marshal() []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "old %d\n", a.Old)
	for _, h := range a.Proof {
		b.WriteString(base64.StdEncoding.EncodeToString(h[:]) + "\n")
	}
	b.WriteString("\n")
	b.Write(a.Checkpoint)
	return b.Bytes()
}

// ParseAddCheckpoint reads an add-checkpoint request body strictly: the
// "old" line with a size in canonical decimal, at most 63 proof lines
// each a base64 SHA-256 hash, a blank line and the checkpoint, within
// MaxAddCheckpointSize. It does not check the checkpoint's signature.
func ParseAddCheckpoint(body []byte) (AddCheckpoint, error) {
	if len(body) > MaxAddCheckpointSize {
		return AddCheckpoint{}, fmt.Errorf("%w: %d bytes, more than %d", ErrAddCheckpoint, len(body), MaxAddCheckpointSize)
	}
	head, checkpoint, ok := bytes.Cut(body, []byte("\n\n"))
	if !ok {
		return AddCheckpoint{}, fmt.Errorf("%w: no blank line before the checkpoint", ErrAddCheckpoint)
	}
	lines := strings.Split(string(head), "\n")
	v, ok := strings.CutPrefix(lines[0], "old ")
	old, err := strconv.ParseInt(v, 10, 64)
	if !ok || err != nil || old < 0 || strconv.FormatInt(old, 10) != v {
		return AddCheckpoint{}, fmt.Errorf("%w: the first line is %q, want \"old\" and the size the witness last saw", ErrAddCheckpoint, clip(lines[0]))
	}
	if len(lines)-1 > maxProofLines {
		return AddCheckpoint{}, fmt.Errorf("%w: %d proof lines, at most %d", ErrAddCheckpoint, len(lines)-1, maxProofLines)
	}
	a := AddCheckpoint{Old: old, Proof: []Hash{}, Checkpoint: checkpoint}
	for i, l := range lines[1:] {
		h, err := base64.StdEncoding.Strict().DecodeString(l)
		if err != nil || len(h) != HashSize {
			return AddCheckpoint{}, fmt.Errorf("%w: proof line %d is not a base64 hash of %d bytes", ErrAddCheckpoint, i+1, HashSize)
		}
		a.Proof = append(a.Proof, Hash(h))
	}
	if len(checkpoint) == 0 {
		return AddCheckpoint{}, fmt.Errorf("%w: no checkpoint after the blank line", ErrAddCheckpoint)
	}
	return a, nil
}

func clip(s string) string {
	if len(s) > 40 {
		return s[:40] + "..."
	}
	return s
}

// WitnessError is a checkpoint a witness refuses, with the HTTP status
// the tlog-witness protocol gives it.
type WitnessError struct {
	Status int    // 400, 403, 404, 409 or 422
	Size   int64  // with 409: the size of the witness's latest checkpoint of the log
	Fork   bool   // the log's history differs from what the witness saw
	Msg    string // what is wrong, and what to do
}

func (e *WitnessError) Error() string { return e.Msg }

// CheckAdd decides whether a witness that last cosigned prev of a log
// (nil if none) may cosign cp, which the request says extends the tree
// of size a.Old with the consistency proof a.Proof. It returns a
// *WitnessError for a request to refuse: 409 with the witness's size when
// a.Old is not it, 400 for a checkpoint older than a.Old, and 422 with
// Fork set when the proof does not verify, when cp has prev's size but
// another root, or when the tree shrank: a fork or a rewritten history.
func CheckAdd(prev *Checkpoint, a AddCheckpoint, cp Checkpoint) error {
	var size int64
	root := EmptyRoot
	if prev != nil {
		size, root = prev.Size, prev.Root
	}
	switch {
	case a.Old != size:
		return &WitnessError{Status: 409, Size: size, Msg: fmt.Sprintf("the witness's latest checkpoint of %s has size %d, not %d: send the proof from %d", cp.Origin, size, a.Old, size)}
	case cp.Size < a.Old:
		return &WitnessError{Status: 400, Fork: prev != nil, Msg: fmt.Sprintf("checkpoint of size %d is smaller than the old size %d: a log only grows", cp.Size, a.Old)}
	}
	if err := VerifyConsistency(a.Proof, cp.Size, cp.Root, size, root); err != nil {
		return &WitnessError{Status: 422, Fork: prev != nil, Msg: fmt.Sprintf("the checkpoint of size %d is not consistent with the one of size %d the witness cosigned: %v", cp.Size, size, err)}
	}
	return nil
}

// Witness cosigns other logs' checkpoints with an Ed25519 key, in the
// C2SP tlog-cosignature/v1 format.
type Witness struct {
	name   string
	signer *fnote.Signer
	vkey   string
}

// WitnessName returns the name of the witness of the node of home whose
// signing key is key: "entraide/witness/" + home + "/" + the first 8
// bytes, in hex, of the key's SHA-256.
func WitnessName(home string, key ed25519.PublicKey) string {
	return strings.Replace(Origin(home, key), "entraide/audit/", "entraide/witness/", 1)
}

// NewWitness returns the witness name with key.
func NewWitness(name string, key ed25519.PrivateKey) (*Witness, error) {
	skey := "PRIVATE+KEY+" + name + "+00000000+" + base64.StdEncoding.EncodeToString(append([]byte{1}, key.Seed()...))
	s, err := fnote.NewSignerForCosignatureV1(skey)
	if err != nil {
		return nil, fmt.Errorf("witness key %s: %w", name, err)
	}
	vkey, err := note.NewEd25519VerifierKey(name, key.Public().(ed25519.PublicKey))
	if err != nil {
		return nil, fmt.Errorf("witness key %s: %w", name, err)
	}
	if vkey, err = fnote.VKeyToCosignatureV1(vkey); err != nil {
		return nil, fmt.Errorf("witness key %s: %w", name, err)
	}
	return &Witness{name: name, signer: s, vkey: vkey}, nil
}

// VerifierKey returns the witness's cosignature/v1 verifier key.
func (w *Witness) VerifierKey() string { return w.vkey }

// Cosign returns the witness's signature line for the checkpoint text
// (the note's body): "— name base64(key hash, time, signature)\n".
func (w *Witness) Cosign(text string) ([]byte, error) {
	signed, err := note.Sign(&note.Note{Text: text}, w.signer)
	if err != nil {
		return nil, err
	}
	return signed[len(text)+1:], nil
}

// MaxCosignatures bounds the signature lines of a witness's answer.
const MaxCosignatures = 8

// ErrCosignature is wrapped by every error of VerifyCosignatures.
var ErrCosignature = errors.New("bad cosignature")

// VerifyCosignatures reads a witness's answer to add-checkpoint, its
// signature lines, and checks them against the signed checkpoint and
// the witness's cosignature/v1 verifier key. It returns the cosigned
// checkpoint: the checkpoint with the witness's lines appended. It
// refuses an answer of more than MaxCosignatures lines, a line that is
// not a signature line, and an answer with no valid signature of the
// witness.
func VerifyCosignatures(checkpoint, answer []byte, witnessVkey string) ([]byte, error) {
	v, err := fnote.NewVerifierForCosignatureV1(witnessVkey)
	if err != nil {
		return nil, fmt.Errorf("%w: the witness's key: %v", ErrCosignature, err)
	}
	if len(answer) > MaxCosignatures*300 {
		return nil, fmt.Errorf("%w: answer of %d bytes", ErrCosignature, len(answer))
	}
	lines := bytes.SplitAfter(answer, []byte("\n"))
	if len(lines) > 0 && len(lines[len(lines)-1]) == 0 {
		lines = lines[:len(lines)-1]
	}
	if len(lines) == 0 || len(lines) > MaxCosignatures {
		return nil, fmt.Errorf("%w: %d signature lines, want 1 to %d", ErrCosignature, len(lines), MaxCosignatures)
	}
	var mine []byte
	for i, l := range lines {
		if !bytes.HasPrefix(l, []byte("— ")) || !bytes.HasSuffix(l, []byte("\n")) {
			return nil, fmt.Errorf("%w: line %d is not a signature line", ErrCosignature, i+1)
		}
		name, _, _ := strings.Cut(string(l[len("— "):]), " ")
		if name == v.Name() {
			mine = append(mine, l...)
		}
	}
	if mine == nil {
		return nil, fmt.Errorf("%w: no line of the witness %s", ErrCosignature, v.Name())
	}
	cosigned := append(append([]byte{}, checkpoint...), mine...)
	n, err := note.Open(cosigned, note.VerifierList(v))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCosignature, err)
	}
	if len(n.Sigs) == 0 {
		return nil, fmt.Errorf("%w: the witness's signature does not verify", ErrCosignature)
	}
	return cosigned, nil
}

// NoteVerifier checks signatures of a signed note.
type NoteVerifier = note.Verifier

// CosignatureVerifier returns the verifier of a witness's cosignature/v1
// verifier key, to give ParseCheckpoint with the log's key.
func CosignatureVerifier(vkey string) (NoteVerifier, error) {
	v, err := fnote.NewVerifierForCosignatureV1(vkey)
	if err != nil {
		return nil, fmt.Errorf("witness key: %w", err)
	}
	return v, nil
}
