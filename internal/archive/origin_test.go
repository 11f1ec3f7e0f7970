package archive_test

import (
	"archive/tar"
	"bytes"
	"crypto/rand"
	"io"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/note"

	"entraide/internal/archive"
	"entraide/internal/archive/archivetest"
)

// TestVerifyCrossing: a package of the receiving State (FRA) verifies
// with the sending State's (VNM's) custody proven in VNM's log, and says
// per item which State collected it, who, when, and that its log proves
// it; a disposed item is a tombstone whose custody is proven.
func TestVerifyCrossing(t *testing.T) {
	f := archivetest.Crossed(t)
	for _, tc := range []struct {
		name        string
		keys        []string
		fromPackage bool
		want        []string
	}{
		{"the sender's log key given", []string{f.LogKey, f.Witness, f.SenderKey}, false,
			[]string{`signed with VNM's log key "entraide.test/log/VNM", which you gave`}},
		{"the sender's log key from the package", []string{f.LogKey, f.Witness}, true,
			[]string{"key from the package, not independently confirmed", "give it with --key"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rep, err := archive.Verify(bytes.NewReader(f.Archive), tc.keys)
			if err != nil {
				t.Fatal(err)
			}
			if !rep.OK || len(rep.Files) != 2 {
				t.Fatalf("Verify: ok %v, %d files, problems %+v", rep.OK, len(rep.Files), rep.Problems)
			}
			o := rep.Files[0].Origin
			if o == nil || o.State != "VNM" || !o.Proven || o.KeyFromPackage != tc.fromPackage || len(o.Custody) != 4 ||
				o.Collected == nil || o.Collected.Actor != "vnm-officer" || !o.Collected.InLog || o.CollectedAs == nil || o.CollectedAs.By != "VNM cyber police" {
				t.Errorf("Verify: origin %+v, want VNM's 4 records proven, the collection by vnm-officer among them", o)
			}
			if o != nil && (len(o.Checkpoint.Cosigned) != 1 || !o.Checkpoint.SignedByLog) {
				t.Errorf("Verify: VNM's checkpoint %+v, want it signed by VNM's log and cosigned by the witness", o.Checkpoint)
			}
			d := rep.Files[1].Disposed
			if d == nil || !d.Proven || d.By != "fra-clerk" || rep.Files[1].Path != "" || rep.Files[1].SHA256 == "" {
				t.Errorf("Verify: tombstone %+v, disposal %+v, want proven, by fra-clerk, with its hash and no member", rep.Files[1], d)
			}
			var text strings.Builder
			if err := rep.WriteText(&text); err != nil {
				t.Fatal(err)
			}
			// A verdict that says everything checks out against the keys
			// given says at once what was checked with no key given.
			verdict, _, _ := strings.Cut(text.String(), "\n\nPackage exported")
			if got := strings.Contains(verdict, "EXCEPT: VNM's custody of the evidence is checked with the key of VNM's log that the package itself holds"); got != tc.fromPackage {
				t.Errorf("verdict qualified %v, want %v:\n%s", got, tc.fromPackage, verdict)
			}
			for _, want := range append(tc.want, "Received from VNM, which collected it: VNM's log proves its custody there (4 records",
				"Collection in VNM recorded by vnm-officer (VNM) on 2026-11-20 09:02:00 UTC: collected by VNM cyber police at Hanoi",
				"VNM's log proves it (entry 2)", "disposed on 2026-11-20 14:00:00 UTC by fra-clerk (FRA), for this reason: retention ended; bytes gone, custody proven",
				"(VNM's log entry 1, action evidence.upload) (recorded in VNM's log, proven)") {
				if !strings.Contains(text.String(), want) {
					t.Errorf("report without %q:\n%s", want, text.String())
				}
			}
		})
	}
}

// TestVerifyCrossingTampered changes the sending State's record, proof and
// checkpoint, and the tombstone's disposal, one at a time: each is named,
// with what it breaks.
func TestVerifyCrossingTampered(t *testing.T) {
	f := archivetest.Crossed(t)
	keys := []string{f.LogKey, f.Witness, f.SenderKey}
	for _, tc := range []struct {
		name, member, from, to string
		want                   string // in the problem naming the member
	}{
		{"sender's record", "origin/001/records/002.json", "vnm-officer", "vnm-offic3r", "its bytes do not hash to the entry its proof places in VNM's log"},
		{"sender's proof", "origin/001/proofs/002.json", `"leaf_index": 2`, `"leaf_index": 3`, "the inclusion proof does not place entry 3"},
		{"sender's checkpoint", "origin/001/checkpoint.txt", "\n6\n", "\n7\n", "VNM's checkpoint is not signed by its log's key"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := replaceIn(t, f.Archive, tc.member, tc.from, tc.to)
			rep, err := archive.Verify(bytes.NewReader(b), keys)
			if err != nil {
				t.Fatal(err)
			}
			if rep.OK {
				t.Fatalf("Verify with %s changed: OK", tc.member)
			}
			found := false
			for _, p := range rep.Problems {
				found = found || p.Part == tc.member && strings.Contains(p.Message, tc.want)
			}
			if !found {
				t.Errorf("Verify with %s changed: problems %+v, want one naming it: %s", tc.member, rep.Problems, tc.want)
			}
			if o := rep.Files[0].Origin; o == nil || o.Proven {
				t.Errorf("Verify with %s changed: origin %+v, want it not proven", tc.member, o)
			}
		})
	}
	// Another key under the name of VNM's log: the package's key is not the
	// one given, and VNM's checkpoint does not verify with the one given.
	skey, vkey, err := note.GenerateKey(rand.Reader, archivetest.Origin)
	if err != nil || skey == "" {
		t.Fatal(err)
	}
	rep, err := archive.Verify(bytes.NewReader(f.Archive), []string{f.LogKey, f.Witness, vkey})
	if err != nil {
		t.Fatal(err)
	}
	parts := map[string]bool{}
	for _, p := range rep.Problems {
		parts[p.Part] = true
	}
	if rep.OK || !parts[archive.ManifestPath] || !parts["origin/001/checkpoint.txt"] {
		t.Errorf("Verify with another key for VNM's log: problems %+v, want the manifest's key and VNM's checkpoint named", rep.Problems)
	}
}

// replaceIn returns the archive with from replaced by to, once, in member
// name; the lengths are equal, so every other member stays in place.
func replaceIn(t *testing.T, archiveBytes []byte, name, from, to string) []byte {
	t.Helper()
	if len(from) != len(to) {
		t.Fatal("replaceIn changes bytes in place")
	}
	tr := tar.NewReader(bytes.NewReader(archiveBytes))
	var offset int64
	for {
		hdr, err := tr.Next()
		if err != nil {
			t.Fatalf("no member %s: %v", name, err)
		}
		if hdr.Name != name {
			continue
		}
		content, _ := io.ReadAll(tr)
		i := bytes.Index(content, []byte(from))
		if i < 0 {
			t.Fatalf("member %s has no %q:\n%s", name, from, content)
		}
		offset = int64(bytes.Index(archiveBytes, content))
		b := bytes.Clone(archiveBytes)
		copy(b[offset+int64(i):], to)
		return b
	}
}

// TestVerifyCrossingNamesWitnessesNotChecked: the sending State's
// checkpoint cosigned by a witness whose key was not given says so, as the
// exporting log's checkpoints do, rather than saying nothing of witnesses.
func TestVerifyCrossingNamesWitnessesNotChecked(t *testing.T) {
	f := archivetest.Crossed(t)
	rep, err := archive.Verify(bytes.NewReader(f.Archive), []string{f.LogKey, f.SenderKey})
	if err != nil {
		t.Fatal(err)
	}
	var text strings.Builder
	if err := rep.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	if o := rep.Files[0].Origin; o == nil || len(o.Checkpoint.UnknownSigners) != 1 {
		t.Fatalf("origin %+v, want the witness's cosignature among the signers not checked", o)
	}
	if want := "VNM's checkpoint is also signed by witness.test/FRA, whose keys you did not give (not checked)."; !strings.Contains(text.String(), want) {
		t.Errorf("report without %q:\n%s", want, text.String())
	}
}
