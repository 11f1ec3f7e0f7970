package tlog_test

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"fmt"
	"testing"

	"entraide/internal/tlog"
)

// testLog is a log of n leaves in memory, with its signer.
type testLog struct {
	hashes memHashes
	size   int64
	root   tlog.Hash
	signer *tlog.Signer
	origin string
}

func newTestLog(t testing.TB, seed byte) *testLog {
	t.Helper()
	key := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{seed}, ed25519.SeedSize))
	origin := tlog.Origin("FRA", key.Public().(ed25519.PublicKey))
	s, err := tlog.NewSigner(origin, key)
	if err != nil {
		t.Fatal(err)
	}
	return &testLog{hashes: memHashes{}, root: tlog.EmptyRoot, signer: s, origin: origin}
}

func (l *testLog) grow(t testing.TB, n int, salt string) []byte {
	t.Helper()
	var leaves []tlog.Hash
	for i := range n {
		leaves = append(leaves, tlog.LeafHash(tlog.Entry(fmt.Appendf(nil, "%s %d", salt, l.size+int64(i)))))
	}
	b, err := tlog.Integrate(l.size, leaves, l.hashes)
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range b.Hashes {
		l.hashes[h.Index] = h.Hash
	}
	l.size, l.root = b.Size, b.Root
	signed, err := l.signer.SignCheckpoint(l.checkpoint())
	if err != nil {
		t.Fatal(err)
	}
	return signed
}

func (l *testLog) checkpoint() tlog.Checkpoint {
	return tlog.Checkpoint{Origin: l.origin, Size: l.size, Root: l.root}
}

func TestWitness(t *testing.T) {
	log := newTestLog(t, 1)
	first := log.grow(t, 5, "a")
	cp5 := log.checkpoint()
	witnessKey := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{9}, ed25519.SeedSize))
	w, err := tlog.NewWitness(tlog.WitnessName("VNM", witnessKey.Public().(ed25519.PublicKey)), witnessKey)
	if err != nil {
		t.Fatal(err)
	}
	// The first checkpoint the witness sees extends the empty tree.
	req := tlog.AddCheckpoint{Old: 0, Proof: []tlog.Hash{}, Checkpoint: first}
	parsed, err := tlog.ParseAddCheckpoint(req.Marshal())
	if err != nil || parsed.Old != 0 || !bytes.Equal(parsed.Checkpoint, first) {
		t.Fatalf("ParseAddCheckpoint(Marshal()) = %+v, %v", parsed, err)
	}
	if err := tlog.CheckAdd(nil, parsed, cp5); err != nil {
		t.Fatalf("CheckAdd(first) = %v", err)
	}
	text, _, _ := bytes.Cut(first, []byte("\n\n"))
	lines, err := w.Cosign(string(text) + "\n")
	if err != nil {
		t.Fatal(err)
	}
	cosigned, err := tlog.VerifyCosignatures(first, lines, w.VerifierKey())
	if err != nil {
		t.Fatalf("VerifyCosignatures = %v", err)
	}
	// The cosigned checkpoint verifies with the log's key and the
	// witness's, and a third-party cosignature/v1 verifier.
	vkey, _ := tlog.VerifierKey(log.origin, ed25519.NewKeyFromSeed(bytes.Repeat([]byte{1}, ed25519.SeedSize)).Public().(ed25519.PublicKey))
	if _, n, err := tlog.ParseCheckpoint(cosigned, vkey, mustCosigVerifier(t, w.VerifierKey())); err != nil || len(n.Sigs) != 2 {
		t.Errorf("ParseCheckpoint(cosigned) = %v, %d signatures; want the log's and the witness's", err, len(n.Sigs))
	}

	// The log grows; the next request proves it from 5.
	next := log.grow(t, 7, "a")
	proof, err := tlog.ConsistencyProof(5, log.size, log.hashes)
	if err != nil {
		t.Fatal(err)
	}
	ok := tlog.AddCheckpoint{Old: 5, Proof: proof, Checkpoint: next}
	if err := tlog.CheckAdd(&cp5, ok, log.checkpoint()); err != nil {
		t.Errorf("CheckAdd(5 → 12) = %v", err)
	}
	var we *tlog.WitnessError
	if err := tlog.CheckAdd(&cp5, tlog.AddCheckpoint{Old: 3, Proof: proof}, log.checkpoint()); !errors.As(err, &we) || we.Status != 409 || we.Size != 5 {
		t.Errorf("CheckAdd(old 3, witness at 5) = %v, want 409 with size 5", err)
	}
	// A fork: another log of the same origin and key, same size 5, other leaves.
	forked := newTestLog(t, 1)
	forked.grow(t, 5, "b")
	if err := tlog.CheckAdd(&cp5, tlog.AddCheckpoint{Old: 5, Proof: []tlog.Hash{}}, forked.checkpoint()); !errors.As(err, &we) || we.Status != 422 || !we.Fork {
		t.Errorf("CheckAdd(same size, other root) = %v, want 422 fork", err)
	}
	forked.grow(t, 7, "b")
	fproof, _ := tlog.ConsistencyProof(5, forked.size, forked.hashes)
	if err := tlog.CheckAdd(&cp5, tlog.AddCheckpoint{Old: 5, Proof: fproof}, forked.checkpoint()); !errors.As(err, &we) || we.Status != 422 || !we.Fork {
		t.Errorf("CheckAdd(rewritten history) = %v, want 422 fork", err)
	}
	small := tlog.Checkpoint{Origin: log.origin, Size: 4, Root: log.root}
	if err := tlog.CheckAdd(&cp5, tlog.AddCheckpoint{Old: 5}, small); !errors.As(err, &we) || we.Status != 400 {
		t.Errorf("CheckAdd(shrunk) = %v, want 400", err)
	}
	// Another witness's lines, or a changed checkpoint, are refused.
	other, _ := tlog.NewWitness("entraide/witness/ZAF/00", ed25519.NewKeyFromSeed(bytes.Repeat([]byte{5}, ed25519.SeedSize)))
	if _, err := tlog.VerifyCosignatures(first, lines, other.VerifierKey()); !errors.Is(err, tlog.ErrCosignature) {
		t.Errorf("VerifyCosignatures(another witness's key) = %v, want ErrCosignature", err)
	}
	if _, err := tlog.VerifyCosignatures(next, lines, w.VerifierKey()); !errors.Is(err, tlog.ErrCosignature) {
		t.Errorf("VerifyCosignatures(of another checkpoint) = %v, want ErrCosignature", err)
	}
}

func TestParseAddCheckpoint(t *testing.T) {
	h := "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
	for _, bad := range []string{"", "old 1\n", "old x\n\ncp", "old -1\n\ncp", "old 01\n\ncp", "old 1\n" + h + "x\n\ncp", "old 1\nAAAA\n\ncp", "old 1\n\n", "new 1\n\ncp"} {
		if _, err := tlog.ParseAddCheckpoint([]byte(bad)); !errors.Is(err, tlog.ErrAddCheckpoint) {
			t.Errorf("ParseAddCheckpoint(%q) = %v, want ErrAddCheckpoint", bad, err)
		}
	}
	a, err := tlog.ParseAddCheckpoint([]byte("old 7\n" + h + "\n" + h + "\n\ncheckpoint\n"))
	if err != nil || a.Old != 7 || len(a.Proof) != 2 || string(a.Checkpoint) != "checkpoint\n" {
		t.Errorf("ParseAddCheckpoint = %+v, %v", a, err)
	}
}

func mustCosigVerifier(t testing.TB, vkey string) tlog.NoteVerifier {
	t.Helper()
	v, err := tlog.CosignatureVerifier(vkey)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func FuzzParseAddCheckpoint(f *testing.F) {
	f.Add([]byte("old 0\n\nentraide/audit/FRA/00\n1\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n\n— x AAAA\n"))
	f.Add([]byte("old 7\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n\ncp"))
	f.Fuzz(func(t *testing.T, body []byte) {
		a, err := tlog.ParseAddCheckpoint(body)
		if err != nil {
			return
		}
		if again, err := tlog.ParseAddCheckpoint(a.Marshal()); err != nil || again.Old != a.Old || len(again.Proof) != len(a.Proof) || !bytes.Equal(again.Checkpoint, a.Checkpoint) {
			t.Fatalf("ParseAddCheckpoint(Marshal(%+v)) = %+v, %v", a, again, err)
		}
	})
}

func FuzzVerifyCosignatures(f *testing.F) {
	log := newTestLog(f, 1)
	cp := log.grow(f, 3, "a")
	key := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{9}, ed25519.SeedSize))
	w, _ := tlog.NewWitness("entraide/witness/VNM/00", key)
	text, _, _ := bytes.Cut(cp, []byte("\n\n"))
	lines, _ := w.Cosign(string(text) + "\n")
	f.Add(lines)
	f.Add([]byte("— entraide/witness/VNM/00 AAAA\n"))
	f.Add([]byte(""))
	f.Fuzz(func(t *testing.T, answer []byte) {
		cosigned, err := tlog.VerifyCosignatures(cp, answer, w.VerifierKey())
		if err != nil {
			return
		}
		if !bytes.HasPrefix(cosigned, cp) {
			t.Fatalf("cosigned checkpoint does not begin with the checkpoint")
		}
	})
}
