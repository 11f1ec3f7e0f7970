package web

import (
	"net/http"
	"strconv"
	"testing"

	"entraide/internal/identity"
)

// FuzzUploadHeaders sends uploads whatever offset and metadata headers
// through the real tus handler: each answer is a success or a problem
// naming what is wrong (the harness checks: no 5xx, problems with fields),
// and the upload's offset is only ever what was stored.
func FuzzUploadHeaders(f *testing.F) {
	for _, s := range []struct {
		offset, length, meta string
		body                 []byte
	}{
		{"0", "5", "filename YS50eHQ=", []byte("hello")},
		{"3", "5", "filename YS50eHQ=", []byte("lo")},
		{"-1", "x", "filename", nil},
		{"99999999999999999999", "5", "filename YS50eHQ=,filename YS50eHQ=", []byte("x")},
		{"0", "2", "filetype dGV4dA==", []byte("abc")},
	} {
		f.Add(s.offset, s.length, s.meta, s.body)
	}
	tn := newTestNode(f, "sqlite")
	token := tn.token(f, "FRA", identity.CentralAuthority)
	r := tn.draft(f, actor("FRA", identity.CentralAuthority), mlaContents("VNM"))
	f.Fuzz(func(t *testing.T, offset, length, meta string, body []byte) {
		if !validHeaderValue(offset) || !validHeaderValue(length) || !validHeaderValue(meta) {
			t.Skip("a value no HTTP client sends")
		}
		res := tn.requestWithHeader(t, "POST", "/api/v1/requests/"+r.ID+"/uploads", "Bearer "+token, "", nil,
			http.Header{"Tus-Resumable": {"1.0.0"}, "Upload-Length": {length}, "Upload-Metadata": {meta}})
		if res.Status != http.StatusCreated {
			return
		}
		loc := res.Header.Get("Location")
		id := loc[len(loc)-36:]
		res = tn.requestWithHeader(t, "PATCH", "/api/v1/uploads/"+id, "Bearer "+token, "application/offset+octet-stream", body,
			http.Header{"Tus-Resumable": {"1.0.0"}, "Upload-Offset": {offset}})
		it, err := tn.Node.DB().Evidence(t.Context(), "FRA", id)
		if err != nil {
			t.Fatal(err)
		}
		size, _ := strconv.ParseInt(length, 10, 64)
		if it.Received < 0 || it.Received > size || it.Received > int64(len(body)) {
			t.Fatalf("offset %d after PATCH at %q of %d bytes (size %d): %d %s", it.Received, offset, len(body), size, res.Status, res.Body)
		}
		if res.Status == http.StatusNoContent && res.Header.Get("Upload-Offset") != strconv.FormatInt(it.Received, 10) {
			t.Fatalf("Upload-Offset %q, stored %d", res.Header.Get("Upload-Offset"), it.Received)
		}
	})
}

// validHeaderValue reports whether an HTTP client may send v as a header
// value (RFC 9110: no control character but tab).
func validHeaderValue(v string) bool {
	for i := 0; i < len(v); i++ {
		if c := v[i]; c < 0x20 && c != '\t' || c == 0x7f {
			return false
		}
	}
	return true
}
