package archive_test

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"testing"

	"entraide/internal/archive"
	"entraide/internal/archive/archivetest"
)

// TestVerifyNamesTheChangedPart changes one byte at a time, in every member
// and its header and padding, and checks that verification fails naming
// the member changed (or, for bytes outside every member's content, the
// seal or the archive's structure), and nothing unrelated.
func TestVerifyNamesTheChangedPart(t *testing.T) {
	f := archivetest.Small(t)
	namesTheChangedPart(t, f, []string{f.LogKey, f.Witness})
}

// TestVerifyNamesTheChangedPartOfACrossing is TestVerifyNamesTheChangedPart
// for a package of the receiving State: the sending State's records, their
// proofs and its checkpoint are named as any other member, and so is a
// tombstone's custody.
func TestVerifyNamesTheChangedPartOfACrossing(t *testing.T) {
	f := archivetest.Crossed(t)
	namesTheChangedPart(t, f, []string{f.LogKey, f.Witness, f.SenderKey})
}

func namesTheChangedPart(t *testing.T, f archivetest.Fixture, keys []string) {
	type tamper struct {
		name  string
		at    int64
		want  string
		other map[string]bool // parts that may be named besides want
	}
	var cases []tamper
	consequence := map[string]bool{archive.SealPath: true}
	for _, m := range members(t, f.Archive) {
		want := m.name
		for _, at := range []int64{m.offset, m.offset + m.size/3, m.offset + m.size/2, m.offset + m.size - 1} {
			if m.size > 0 {
				cases = append(cases, tamper{fmt.Sprintf("%s content byte %d", m.name, at-m.offset), at, want, consequence})
			}
		}
		cases = append(cases, tamper{fmt.Sprintf("%s header name", m.name), m.header + 1, "archive", map[string]bool{archive.SealPath: true}})
		if m.size%512 != 0 {
			pad := m.offset + m.size
			wantPad := archive.SealPath
			if m.name == archive.SealPath {
				wantPad = "archive"
			}
			cases = append(cases, tamper{fmt.Sprintf("%s padding", m.name), pad, wantPad, nil})
		}
	}
	cases = append(cases, tamper{"end marker", int64(len(f.Archive) - 1), "archive", nil})
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b := bytes.Clone(f.Archive)
			b[tc.at] ^= 0x01
			rep, err := archive.Verify(bytes.NewReader(b), keys)
			if err != nil {
				t.Fatal(err)
			}
			if rep.OK {
				t.Fatalf("Verify with byte %d changed: OK, want a problem naming %s", tc.at, tc.want)
			}
			if !hasPart(rep, tc.want) {
				t.Errorf("Verify with byte %d changed: problems %+v, want one naming %s", tc.at, rep.Problems, tc.want)
			}
			for _, p := range rep.Problems {
				// A problem is one line of the report, in words: a
				// library's text over several lines would not be.
				if strings.ContainsAny(p.Message, "\n\r") {
					t.Errorf("Verify with byte %d changed: problem of %s spans lines: %q", tc.at, p.Part, p.Message)
				}
				if p.Part != tc.want && !tc.other[p.Part] {
					t.Errorf("Verify with byte %d changed in %s: also names %s: %s", tc.at, tc.want, p.Part, p.Message)
				}
			}
		})
	}
	if len(cases) < 100 {
		t.Errorf("only %d positions changed", len(cases))
	}
}

func TestVerifyRemovedAndAddedBytes(t *testing.T) {
	f := archivetest.Small(t)
	keys := []string{f.LogKey, f.Witness}
	for _, tc := range []struct {
		name string
		b    []byte
		want string
	}{
		{"empty", nil, "archive"},
		{"cut in the middle", f.Archive[:len(f.Archive)/2], "archive"},
		{"cut before the end marker", f.Archive[:len(f.Archive)-1024], "archive"},
		{"bytes appended", append(bytes.Clone(f.Archive), 0), "archive"},
		{"a zero block appended", append(bytes.Clone(f.Archive), make([]byte, 512)...), ""},
		{"padded to GNU tar's record of 10,240 bytes", append(bytes.Clone(f.Archive), make([]byte, 10240-len(f.Archive)%10240)...), ""},
		{"a block of padding that is not zero", append(bytes.Clone(f.Archive), bytes.Repeat([]byte{1}, 512)...), "archive"},
		{"too much padding", append(bytes.Clone(f.Archive), make([]byte, 128<<10)...), "archive"},
		{"not a tar file", []byte("hello, court"), "archive"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rep, err := archive.Verify(bytes.NewReader(tc.b), keys)
			if err != nil {
				t.Fatal(err)
			}
			if tc.want == "" {
				// Zero padding to a whole tar record leaves the package whole.
				if !rep.OK {
					t.Errorf("Verify: problems %+v, want none", rep.Problems)
				}
				return
			}
			if rep.OK || !hasPart(rep, tc.want) {
				t.Errorf("Verify: OK %v, problems %+v, want one naming %s", rep.OK, rep.Problems, tc.want)
			}
		})
	}
}

// TestVerifyNamesEachProblemOnce: a checkpoint whose last byte is
// changed is no longer a signed note; that is said once, not once per
// witness key and kind of signature.
func TestVerifyNamesEachProblemOnce(t *testing.T) {
	f := archivetest.Small(t)
	for _, m := range members(t, f.Archive) {
		if !strings.HasPrefix(m.name, "checkpoints/") || m.size == 0 {
			continue
		}
		b := bytes.Clone(f.Archive)
		b[m.offset+m.size-1] ^= 0x01 // the final newline
		rep, err := archive.Verify(bytes.NewReader(b), []string{f.LogKey, f.Witness})
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, p := range rep.Problems {
			if p.Part == m.name {
				n++
			}
		}
		if n != 1 {
			t.Errorf("%s with its last byte changed: %d problems name it, want 1: %+v", m.name, n, rep.Problems)
		}
	}
}

// TestVerifyCutShort: an archive cut in the middle of a member is said to
// be cut short, not to have a changed header.
func TestVerifyCutShort(t *testing.T) {
	f := archivetest.Small(t)
	for _, at := range []int{100, len(f.Archive) / 2} {
		rep, err := archive.Verify(bytes.NewReader(f.Archive[:at]), []string{f.LogKey, f.Witness})
		if err != nil {
			t.Fatal(err)
		}
		if rep.OK || !slices.ContainsFunc(rep.Problems, func(p archive.Problem) bool { return strings.Contains(p.Message, "cut short") }) {
			t.Errorf("archive cut at byte %d: problems %+v, want one saying it was cut short", at, rep.Problems)
		}
	}
}

// TestVerifyNamesARemovedMember removes one member at a time, header,
// content and padding, and checks that a problem names a part of the
// package, not only the seal: the seal says that something changed, not
// what.
func TestVerifyNamesARemovedMember(t *testing.T) {
	for _, f := range []struct {
		name string
		f    archivetest.Fixture
		keys func(archivetest.Fixture) []string
	}{
		{"small", archivetest.Small(t), func(f archivetest.Fixture) []string { return []string{f.LogKey, f.Witness} }},
		{"crossed", archivetest.Crossed(t), func(f archivetest.Fixture) []string { return []string{f.LogKey, f.Witness, f.SenderKey} }},
	} {
		for _, m := range members(t, f.f.Archive) {
			if m.name == archive.SealPath {
				continue // the archive without its seal: TestVerifyCutShort's case
			}
			t.Run(f.name+" "+m.name, func(t *testing.T) {
				end := m.offset + (m.size+511)/512*512
				b := append(bytes.Clone(f.f.Archive[:m.header]), f.f.Archive[end:]...)
				rep, err := archive.Verify(bytes.NewReader(b), f.keys(f.f))
				if err != nil {
					t.Fatal(err)
				}
				if rep.OK {
					t.Fatalf("Verify without %s: OK", m.name)
				}
				if !slices.ContainsFunc(rep.Problems, func(p archive.Problem) bool { return p.Part != archive.SealPath && p.Part != "archive" }) {
					t.Errorf("Verify without %s: only the seal or the archive is named: %+v", m.name, rep.Problems)
				}
			})
		}
	}
}

// TestVerifySaysMembersWereReordered swaps two members whose checks do not
// depend on where they lie: only the seal finds it, and it must say that an
// order of members is among the causes, not only headers and padding.
func TestVerifySaysMembersWereReordered(t *testing.T) {
	f := archivetest.Small(t)
	ms := members(t, f.Archive)
	var a, b member
	for _, m := range ms {
		switch m.name {
		case "records/001.json":
			a = m
		case "proofs/001.json":
			b = m
		}
	}
	if a.name == "" || b.name == "" {
		t.Fatalf("the fixture has no records/001.json and proofs/001.json: %+v", ms)
	}
	endA, endB := a.offset+(a.size+511)/512*512, b.offset+(b.size+511)/512*512
	if endA != b.header {
		t.Fatalf("records/001.json and proofs/001.json are not adjacent")
	}
	var buf []byte
	buf = append(buf, f.Archive[:a.header]...)
	buf = append(buf, f.Archive[b.header:endB]...)
	buf = append(buf, f.Archive[a.header:endA]...)
	buf = append(buf, f.Archive[endB:]...)
	rep, err := archive.Verify(bytes.NewReader(buf), []string{f.LogKey, f.Witness})
	if err != nil {
		t.Fatal(err)
	}
	if rep.OK || !slices.ContainsFunc(rep.Problems, func(p archive.Problem) bool {
		return p.Part == archive.SealPath && strings.Contains(p.Message, "order")
	}) {
		t.Errorf("Verify with two members swapped: problems %+v, want the seal's saying members were put in another order", rep.Problems)
	}
}

// TestVerifyBlamesTheManifestForItsTime: a manifest that is not the one
// logged, with another time (from another package, say), is named; the
// members whose tar headers carry the package's true time are not.
func TestVerifyBlamesTheManifestForItsTime(t *testing.T) {
	f := archivetest.Small(t)
	var m member
	for _, mm := range members(t, f.Archive) {
		if mm.name == archive.ManifestPath {
			m = mm
		}
	}
	content := f.Archive[m.offset : m.offset+m.size]
	i := bytes.Index(content, []byte(`"entraide:createdTime"`))
	if i < 0 {
		t.Fatalf("the manifest has no entraide:createdTime")
	}
	// The last digit of the year, in the value after the name.
	j := i + bytes.Index(content[i:], []byte(`"20`)) + 4
	b := bytes.Clone(f.Archive)
	b[m.offset+int64(j)] ^= 0x01
	rep, err := archive.Verify(bytes.NewReader(b), []string{f.LogKey, f.Witness})
	if err != nil {
		t.Fatal(err)
	}
	if rep.OK || !hasPart(rep, archive.ManifestPath) {
		t.Fatalf("Verify with the manifest's time changed: problems %+v, want one naming the manifest", rep.Problems)
	}
	for _, p := range rep.Problems {
		if p.Part != archive.ManifestPath && p.Part != archive.SealPath {
			t.Errorf("Verify with the manifest's time changed also names %s: %s", p.Part, p.Message)
		}
	}
}

// TestVerifyNamesARenamedCosignature: a witness's cosignature line whose
// name was changed no longer matches the witness's key by name, but still
// carries its key id: the checkpoint is named, not only the seal.
func TestVerifyNamesARenamedCosignature(t *testing.T) {
	f := archivetest.Small(t)
	for _, m := range members(t, f.Archive) {
		if !strings.HasPrefix(m.name, "checkpoints/") {
			continue
		}
		content := f.Archive[m.offset : m.offset+m.size]
		i := bytes.Index(content, []byte("— witness.test/"))
		if i < 0 {
			continue
		}
		b := bytes.Clone(f.Archive)
		b[m.offset+int64(i+len("— witness."))] ^= 0x01
		rep, err := archive.Verify(bytes.NewReader(b), []string{f.LogKey, f.Witness})
		if err != nil {
			t.Fatal(err)
		}
		if rep.OK || !hasPart(rep, m.name) {
			t.Errorf("Verify with the witness's name changed in %s: problems %+v, want one naming it", m.name, rep.Problems)
		}
		return
	}
	t.Fatal("no checkpoint of the fixture is cosigned by witness.test/...")
}
