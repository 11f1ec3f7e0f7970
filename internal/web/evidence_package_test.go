package web

import (
	"bytes"
	"net/http"
	"strings"
	"testing"

	"entraide/internal/archive"
	"entraide/internal/evidence"
	"entraide/internal/identity"
	"entraide/internal/store"
	"entraide/internal/store/storetest"
)

// TestEvidencePackage: the package of a request's evidence, exported
// through the API, verifies offline with nothing but the log's key; one
// byte changed in it is found; and the export is in the items' custody.
func TestEvidencePackage(t *testing.T) {
	for _, backend := range storetest.Backends {
		t.Run(backend, func(t *testing.T) {
			tn := newTestNode(t, backend)
			tn.Node.SetVault(testVault(t))
			data := bytes.Repeat([]byte("a line of the suspect's mailbox\n"), 5000)
			r, id := tn.addItem(t, "FRA", data)
			token := tn.token(t, "FRA", identity.CentralAuthority)

			res := tn.do(t, "GET", "/api/v1/requests/"+r+"/evidence-package", token, nil)
			if res.Status != http.StatusOK || res.Header.Get("Content-Type") != "application/x-tar" {
				t.Fatalf("GET evidence-package = %d %s: %.300s", res.Status, res.Header.Get("Content-Type"), res.Body)
			}
			key, err := tn.Node.LogKey(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			rep, err := archive.Verify(bytes.NewReader(res.Body), []string{key.VerifierKey})
			if err != nil {
				t.Fatal(err)
			}
			if !rep.OK {
				t.Fatalf("Verify of the exported package: problems %+v", rep.Problems)
			}
			if len(rep.Files) != 1 || rep.Files[0].Name != "log.txt" || rep.Files[0].Size != int64(len(data)) || !rep.Files[0].Matched {
				t.Errorf("Verify: files %+v, want log.txt of %d bytes, matched", rep.Files, len(data))
			}
			if rep.Request == nil || rep.Request.ID != r || !rep.Package.ManifestLogged {
				t.Errorf("Verify: request %+v, manifest logged %v; want request %s and the manifest in the log", rep.Request, rep.Package.ManifestLogged, r)
			}
			if len(rep.Custody) < 3 {
				t.Errorf("Verify: custody %+v, want the upload, ingestion and export at least", rep.Custody)
			}

			changed := bytes.Clone(res.Body)
			changed[bytes.Index(changed, data)+1000] ^= 1
			rep, err = archive.Verify(bytes.NewReader(changed), []string{key.VerifierKey})
			if err != nil {
				t.Fatal(err)
			}
			if rep.OK || !strings.HasPrefix(rep.Problems[0].Part, "files/001-log.txt") {
				t.Errorf("Verify of the package with a byte of the file changed: problems %+v, want one naming the file first", rep.Problems)
			}

			holds := func(entries []store.AuditEntry, action string) bool {
				for _, e := range entries {
					if bytes.Contains(e.Record, []byte(`"action":"`+action+`"`)) {
						return true
					}
				}
				return false
			}
			custody := decodeBody[[]store.AuditEntry](t, tn.do(t, "GET", "/api/v1/requests/"+r+"/evidence/"+id+"/custody", token, nil))
			if !holds(custody, evidence.ActionExported) {
				t.Errorf("the item's custody does not record the export")
			}
			audit, err := tn.Node.AuditLog(t.Context(), actor("FRA", identity.Auditor), 0, 1000)
			if err != nil {
				t.Fatal(err)
			}
			if !holds(audit, evidence.ActionSealed) || !holds(audit, evidence.ActionExported) {
				t.Errorf("the audit log does not record the exported and sealed package")
			}
		})
	}
}
