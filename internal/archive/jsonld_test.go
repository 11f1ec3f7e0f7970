package archive_test

import (
	"archive/tar"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"testing"

	"github.com/piprate/json-gold/ld"

	"entraide/internal/archive"
	"entraide/internal/archive/archivetest"
)

// offline refuses every fetch: the manifest must expand from what it holds.
type offline struct{}

func (offline) LoadDocument(u string) (*ld.RemoteDocument, error) {
	return nil, errors.New("no network: the manifest asked for " + u)
}

const (
	uco     = "https://ontology.unifiedcyberontology.org/uco/"
	caseInv = "https://ontology.caseontology.org/case/investigation/"
)

// TestManifestExpandsAsCASE expands the manifest with a JSON-LD processor
// and checks that its terms are CASE/UCO's: a court's own tools read the
// same graph.
func TestManifestExpandsAsCASE(t *testing.T) {
	f := archivetest.Small(t)
	raw := memberContent(t, f.Archive, archive.ManifestPath)
	var doc any
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	opts := ld.NewJsonLdOptions("")
	opts.DocumentLoader = offline{}
	expanded, err := ld.NewJsonLdProcessor().Expand(doc, opts)
	if err != nil {
		t.Fatalf("Expand(manifest): %v", err)
	}
	if len(expanded) != 1 {
		t.Fatalf("expanded manifest has %d top nodes, want the bundle", len(expanded))
	}
	bundle := expanded[0].(map[string]any)
	if got := types(bundle); !got[uco+"core/Bundle"] {
		t.Errorf("bundle @type = %v, want uco-core:Bundle", got)
	}
	count := map[string]int{}
	var hashValues, hashMethods, fileNames []string
	for _, o := range bundle[uco+"core/object"].([]any) {
		n := o.(map[string]any)
		for ty := range types(n) {
			count[ty]++
		}
		for _, fc := range list(n[uco+"core/hasFacet"]) {
			fm := fc.(map[string]any)
			for _, v := range list(fm[uco+"observable/fileName"]) {
				fileNames = append(fileNames, v.(map[string]any)["@value"].(string))
			}
			for _, h := range list(fm[uco+"observable/hash"]) {
				hm := h.(map[string]any)
				for _, v := range list(hm[uco+"types/hashValue"]) {
					vm := v.(map[string]any)
					if vm["@type"] != "http://www.w3.org/2001/XMLSchema#hexBinary" {
						t.Errorf("hash value type = %v, want xsd:hexBinary", vm["@type"])
					}
					hashValues = append(hashValues, vm["@value"].(string))
				}
				for _, v := range list(hm[uco+"types/hashMethod"]) {
					vm := v.(map[string]any)
					if vm["@type"] != uco+"vocabulary/HashNameVocab" {
						t.Errorf("hash method type = %v, want uco-vocabulary:HashNameVocab", vm["@type"])
					}
					hashMethods = append(hashMethods, vm["@value"].(string))
				}
			}
		}
	}
	for ty, want := range map[string]int{
		uco + "observable/File":         2,
		caseInv + "InvestigativeAction": 2 + 6, // two collections, six custody records
		caseInv + "ProvenanceRecord":    2,
		uco + "identity/Identity":       1,
		uco + "location/Location":       2,
		uco + "tool/Tool":               2,
	} {
		if count[ty] != want {
			t.Errorf("expanded manifest has %d nodes of type %s, want %d", count[ty], ty, want)
		}
	}
	if len(hashValues) != 2 || len(hashMethods) != 2 || hashMethods[0] != "SHA256" {
		t.Errorf("hashes = %v by %v, want two SHA256", hashValues, hashMethods)
	}
	if len(fileNames) != 2 {
		t.Errorf("file names = %v, want two", fileNames)
	}
}

func types(n map[string]any) map[string]bool {
	out := map[string]bool{}
	for _, t := range list(n["@type"]) {
		out[t.(string)] = true
	}
	return out
}

func list(v any) []any {
	switch v := v.(type) {
	case nil:
		return nil
	case []any:
		return v
	default:
		return []any{v}
	}
}

func memberContent(t testing.TB, b []byte, name string) []byte {
	t.Helper()
	tr := tar.NewReader(bytes.NewReader(b))
	for {
		h, err := tr.Next()
		if err != nil {
			t.Fatalf("member %s: %v", name, err)
		}
		if h.Name == name {
			c, err := io.ReadAll(tr)
			if err != nil {
				t.Fatal(err)
			}
			return c
		}
	}
}

// TestCrossingManifestExpands: the terms a receiving State's manifest adds
// (the sending State's log key and checkpoint, a tombstone's disposal)
// expand offline to IRIs of the package's own vocabulary.
func TestCrossingManifestExpands(t *testing.T) {
	f := archivetest.Crossed(t)
	var doc any
	if err := json.Unmarshal(memberContent(t, f.Archive, archive.ManifestPath), &doc); err != nil {
		t.Fatal(err)
	}
	opts := ld.NewJsonLdOptions("")
	opts.DocumentLoader = offline{}
	expanded, err := ld.NewJsonLdProcessor().Expand(doc, opts)
	if err != nil {
		t.Fatalf("Expand(manifest): %v", err)
	}
	found := map[string]bool{}
	for _, o := range expanded[0].(map[string]any)[uco+"core/object"].([]any) {
		for k := range o.(map[string]any) {
			found[k] = true
		}
	}
	for _, want := range []string{"originState", "originLogKey", "originCheckpoint", "disposedTime", "disposedBy"} {
		if !found["urn:entraide:evidence:"+want] {
			t.Errorf("expanded manifest has no urn:entraide:evidence:%s", want)
		}
	}
}
