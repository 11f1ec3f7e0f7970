package web

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"entraide/internal/auditlog"
	"entraide/internal/casework"
	"entraide/internal/evidence"
	"entraide/internal/identity"
	"entraide/internal/store"
	"entraide/internal/store/storetest"
)

// cutReader gives n bytes of r, then fails: the client drops the
// connection mid-body.
type cutReader struct {
	r io.Reader
	n int64
}

var errCut = errors.New("connection dropped")

func (c *cutReader) Read(p []byte) (int, error) {
	if c.n <= 0 {
		return 0, errCut
	}
	if int64(len(p)) > c.n {
		p = p[:c.n]
	}
	n, err := c.r.Read(p)
	c.n -= int64(n)
	return n, err
}

// tusCall makes a raw tus call, as any tus client does.
func (tn *testNode) tusCall(t *testing.T, method, url, token string, header http.Header, body io.Reader, length int64) (*http.Response, error) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	req.Header.Set("Authorization", "Bearer "+token)
	if body != nil {
		req.Header.Set("Content-Type", "application/offset+octet-stream")
		req.ContentLength = length
	}
	res, err := tn.Client.Do(req)
	if err == nil {
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
	}
	return res, err
}

// TestUploadCutAndResumed uploads a file through the tus handler over
// real HTTP, dropping the connection at random points; each time the
// client asks for the offset (HEAD) and sends the rest. The item ends
// whole, with the file's SHA-256, and reads back the same, in ranges too.
func TestUploadCutAndResumed(t *testing.T) {
	for _, backend := range storetest.Backends {
		t.Run(backend, func(t *testing.T) {
			tn := newTestNode(t, backend)
			token := tn.token(t, "FRA", identity.Investigator)
			r := tn.draft(t, actor("FRA", identity.CentralAuthority), mlaContents("VNM"))
			rng := rand.New(rand.NewPCG(1, uint64(len(backend))))
			data := make([]byte, 3<<20+12345)
			for i := range data {
				data[i] = byte(rng.Uint32())
			}
			meta := tusMeta("filename", "capture.pcap", "filetype", "application/vnd.tcpdump.pcap", "collected_by", "Lt. Martin",
				"collected_where", "Lyon", "collected_at", "2026-03-01T10:00:00Z", "source", "router of the hospital", "tool", "tcpdump 4.99")
			res, err := tn.tusCall(t, "POST", tn.URL+"/api/v1/requests/"+r.ID+"/uploads", token, creationHeader(int64(len(data)), meta), nil, 0)
			if err != nil || res.StatusCode != http.StatusCreated {
				t.Fatalf("POST uploads: %v %v", res, err)
			}
			loc := res.Header.Get("Location")
			if !strings.Contains(loc, "/api/v1/uploads/") {
				t.Fatalf("Location %q", loc)
			}
			id := loc[strings.LastIndex(loc, "/")+1:]
			cuts := 0
			for offset, tries := int64(0), 0; offset < int64(len(data)); tries++ {
				if tries > 50 {
					t.Fatalf("no progress after %d calls, at %d", tries, offset)
				}
				res, err := tn.tusCall(t, "HEAD", loc, token, http.Header{"Tus-Resumable": {"1.0.0"}}, nil, 0)
				if err != nil || res.StatusCode == http.StatusConflict || res.StatusCode == http.StatusServiceUnavailable {
					// The cut PATCH still holds the upload, or its
					// connection's end took this call with it: ask again,
					// as a tus client does, after a pause, on a new
					// connection: the cut one's may be in any state.
					tn.Client.CloseIdleConnections()
					time.Sleep(time.Duration(tries) * 5 * time.Millisecond)
					continue
				}
				if err != nil || res.StatusCode != http.StatusOK {
					t.Fatalf("HEAD: %v %v", res, err)
				}
				if offset, err = strconv.ParseInt(res.Header.Get("Upload-Offset"), 10, 64); err != nil {
					t.Fatal(err)
				}
				if offset == int64(len(data)) {
					break
				}
				rest := int64(len(data)) - offset
				var body io.Reader = bytes.NewReader(data[offset:])
				if cuts < 4 {
					body = &cutReader{r: body, n: rng.Int64N(rest)}
					cuts++
				}
				res, err = tn.tusCall(t, "PATCH", loc, token, patchHeader(offset), body, rest)
				// A 409: the cut PATCH was still storing what it had
				// received when HEAD answered; ask again, as tus says.
				if err == nil && res.StatusCode != http.StatusNoContent && res.StatusCode != http.StatusConflict {
					t.Fatalf("PATCH at %d: %d", offset, res.StatusCode)
				}
			}
			// The auditor sees an item that may hold personal data once
			// they have revealed it, with a reason.
			if _, err := tn.Node.RevealPersonalData(t.Context(), actor("FRA", identity.Auditor), r.ID, "check the upload's integrity"); err != nil {
				t.Fatal(err)
			}
			it, err := tn.Node.EvidenceItem(t.Context(), actor("FRA", identity.Auditor), r.ID, id)
			if err != nil {
				t.Fatal(err)
			}
			sum := sha256.Sum256(data)
			if it.Status != evidence.Available || it.SHA256 != hex.EncodeToString(sum[:]) || it.Size != int64(len(data)) {
				t.Fatalf("item = %s %s %d, want available %x %d", it.Status, it.SHA256, it.Size, sum, len(data))
			}
			if it.Collection.By != "Lt. Martin" || it.Collection.Tool != "tcpdump 4.99" || it.Collection.When == nil {
				t.Errorf("collection = %+v", it.Collection)
			}
			auditor := tn.token(t, "FRA", identity.Auditor)
			path := "/api/v1/requests/" + r.ID + "/evidence/" + id
			got := tn.do(t, "GET", path+"/content", auditor, nil)
			if got.Status != http.StatusOK || !bytes.Equal(got.Body, data) {
				t.Fatalf("GET content: %d, %d bytes, equal %v", got.Status, len(got.Body), bytes.Equal(got.Body, data))
			}
			if d := got.Header.Get("Repr-Digest"); !strings.HasPrefix(d, "sha-256=:") {
				t.Errorf("Repr-Digest = %q", d)
			}
			for _, rg := range [][2]int64{{0, 0}, {100, 199}, {1<<20 - 5, 2<<20 + 5}, {int64(len(data)) - 10, int64(len(data)) - 1}} {
				req, _ := http.NewRequestWithContext(t.Context(), "GET", tn.URL+path+"/content", nil)
				req.Header.Set("Authorization", "Bearer "+auditor)
				req.Header.Set("Range", fmt.Sprintf("bytes=%d-%d", rg[0], rg[1]))
				res := tn.send(t, req)
				if res.Status != http.StatusPartialContent || !bytes.Equal(res.Body, data[rg[0]:rg[1]+1]) {
					t.Errorf("Range %v: %d, %d bytes", rg, res.Status, len(res.Body))
				}
			}
			custody := decodeBody[[]store.AuditEntry](t, tn.do(t, "GET", path+"/custody", auditor, nil))
			var actions []string
			for _, e := range custody {
				p, err := auditlog.Parse(e.Record)
				if err != nil {
					t.Fatal(err)
				}
				if p.Action != evidence.ActionSegment {
					actions = append(actions, p.Action)
				}
			}
			want := []string{evidence.ActionUpload, evidence.ActionCollected, evidence.ActionIngested, evidence.ActionViewed, evidence.ActionDownloaded}
			if got := strings.Join(actions[:min(len(actions), len(want))], " "); got != strings.Join(want, " ") {
				t.Errorf("custody = %v, want %v then downloads", actions, want)
			}
		})
	}
}

// TestTamperedBlobIsFound changes one byte of an item's object on disk:
// its download is refused with a problem that says the stored evidence
// is damaged, before or during the answer, and every later one at once.
func TestTamperedBlobIsFound(t *testing.T) {
	for _, at := range []string{"start", "middle"} {
		t.Run(at, func(t *testing.T) {
			tn := newTestNode(t, "sqlite")
			v, dir := testVaultDir(t)
			tn.Node.SetVault(v)
			data := bytes.Repeat([]byte("evidence "), 200_000)
			r, id := tn.addItem(t, "FRA", data)
			var objects []string
			filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
				if err == nil && !d.IsDir() {
					objects = append(objects, p)
				}
				return nil
			})
			if len(objects) != 1 {
				t.Fatalf("objects %v, want one", objects)
			}
			b, err := os.ReadFile(objects[0])
			if err != nil {
				t.Fatal(err)
			}
			pos := 300 // in the first chunk, after age's header
			if at == "middle" {
				pos = len(b) / 2
			}
			b[pos] ^= 1
			if err := os.WriteFile(objects[0], b, 0o600); err != nil {
				t.Fatal(err)
			}
			token := tn.token(t, "FRA", identity.CentralAuthority)
			path := "/api/v1/requests/" + r + "/evidence/" + id + "/content"
			req, _ := http.NewRequestWithContext(t.Context(), "GET", tn.URL+path, nil)
			req.Header.Set("Authorization", "Bearer "+token)
			res, err := tn.Client.Do(req)
			if err == nil {
				body, readErr := io.ReadAll(res.Body)
				res.Body.Close()
				if at == "start" && (res.StatusCode != http.StatusConflict || !bytes.Contains(body, []byte("damaged"))) {
					t.Errorf("tampered at the start: %d %s", res.StatusCode, body)
				}
				if at == "middle" && readErr == nil && bytes.Equal(body, data) {
					t.Errorf("tampered in the middle: the whole item came back")
				}
			}
			again := tn.do(t, "GET", path, token, nil)
			if again.Status != http.StatusConflict || !bytes.Contains(again.Body, []byte("integrity")) {
				t.Errorf("after the damage was found: %d %s", again.Status, again.Body)
			}
			custody := decodeBody[[]store.AuditEntry](t, tn.do(t, "GET", "/api/v1/requests/"+r+"/evidence/"+id+"/custody", token, nil))
			if !bytes.Contains(custody[len(custody)-1].Record, []byte(evidence.ActionDamaged)) && !bytes.Contains(custody[len(custody)-2].Record, []byte(evidence.ActionDamaged)) {
				t.Errorf("custody does not record the damage")
			}
		})
	}
}

// TestDisposal: art. 36: an item disposed of keeps its row, hash and
// custody; its bytes and key are gone; an item whose retention ends is
// disposed of by the node.
func TestDisposal(t *testing.T) {
	for _, backend := range storetest.Backends {
		t.Run(backend, func(t *testing.T) {
			now := testEpoch
			tn := newTestNodeWith(t, backend, func() time.Time { return now }, slog.New(slog.NewTextHandler(io.Discard, nil)))
			v, dir := testVaultDir(t)
			tn.Node.SetVault(v)
			ca := tn.token(t, "FRA", identity.CentralAuthority)
			r, id := tn.addItem(t, "FRA", []byte("personal data"))
			r2, id2 := tn.addItem(t, "FRA", []byte("kept until a day"))
			path := "/api/v1/requests/" + r + "/evidence/" + id
			if got := tn.do(t, "POST", path+"/dispose", tn.token(t, "FRA", identity.Investigator), disposeInput{}); got.Status != http.StatusForbidden {
				t.Errorf("dispose by an investigator: %d", got.Status)
			}
			got := tn.do(t, "POST", path+"/dispose", ca, disposeInput{Reason: "purpose achieved"})
			it := decodeBody[evidence.Item](t, got)
			if it.Status != evidence.Disposed || it.SHA256 == "" {
				t.Fatalf("disposed item = %+v", it)
			}
			if got := tn.do(t, "GET", path+"/content", ca, nil); got.Status != http.StatusConflict {
				t.Errorf("content of a disposed item: %d", got.Status)
			}
			if n := countFiles(t, dir, id); n != 0 {
				t.Errorf("%d objects of the disposed item left", n)
			}
			stored, err := tn.Node.DB().Evidence(t.Context(), "FRA", id)
			if err != nil || len(stored.WrappedIdentity) != 0 {
				t.Errorf("the disposed item's key is kept: %d bytes, %v", len(stored.WrappedIdentity), err)
			}
			path2 := "/api/v1/requests/" + r2 + "/evidence/" + id2
			if got := tn.do(t, "PUT", path2+"/retention", ca, retentionInput{RetainUntil: "2026-03-10"}); got.Status != http.StatusOK {
				t.Fatalf("PUT retention: %d %s", got.Status, got.Body)
			}
			if err := tn.Node.DisposeDue(t.Context()); err != nil {
				t.Fatal(err)
			}
			if it, _ := tn.Node.DB().Evidence(t.Context(), "FRA", id2); it.Status != evidence.Available {
				t.Fatalf("before its day: %s", it.Status)
			}
			now = time.Date(2026, 3, 10, 0, 0, 1, 0, time.UTC)
			if err := tn.Node.DisposeDue(t.Context()); err != nil {
				t.Fatal(err)
			}
			if it, _ := tn.Node.DB().Evidence(t.Context(), "FRA", id2); it.Status != evidence.Disposed || it.DisposedBy != "system" {
				t.Fatalf("after its day: %s by %q", it.Status, it.DisposedBy)
			}
			custody := decodeBody[[]store.AuditEntry](t, tn.do(t, "GET", path2+"/custody", ca, nil))
			last, _ := auditlog.Parse(custody[len(custody)-1].Record)
			if last.Action != evidence.ActionDisposed || !bytes.Contains(last.Detail, []byte("sha256")) {
				t.Errorf("last custody record = %s %s", last.Action, last.Detail)
			}
		})
	}
}

func countFiles(t *testing.T, dir, id string) int {
	t.Helper()
	n := 0
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.Contains(p, id) {
			n++
		}
		return nil
	})
	return n
}

// TestUploadBadHeaders: each bad header of an upload is a problem that
// names it.
func TestUploadBadHeaders(t *testing.T) {
	tn := newTestNode(t, "sqlite")
	token := tn.token(t, "FRA", identity.CentralAuthority)
	r := tn.draft(t, actor("FRA", identity.CentralAuthority), mlaContents("VNM"))
	good := tusMeta("filename", "a.txt")
	tests := []struct {
		name   string
		header http.Header
		status int
		field  string
	}{
		{"no version", http.Header{"Upload-Length": {"5"}, "Upload-Metadata": {good}}, 412, "Tus-Resumable"},
		{"no length", http.Header{"Tus-Resumable": {"1.0.0"}, "Upload-Metadata": {good}}, 400, "Upload-Length"},
		{"negative length", creationHeader(-1, good), 400, "Upload-Length"},
		{"length past 1 TiB", creationHeader(1<<41, good), 400, "Upload-Length"},
		{"no file name", creationHeader(5, tusMeta("filetype", "text/plain")), 400, "filename"},
		{"unknown key", creationHeader(5, good+","+tusMeta("colour", "red")), 400, "Upload-Metadata"},
		{"bad base64", creationHeader(5, "filename !!!"), 400, "filename"},
		{"bad media type", creationHeader(5, tusMeta("filename", "a", "filetype", "not a type")), 400, "filetype"},
		{"bad time", creationHeader(5, tusMeta("filename", "a", "collected_at", "yesterday")), 400, "collected_at"},
		{"retention in the past", creationHeader(5, tusMeta("filename", "a", "retain_until", "2020-01-01")), 400, "retain_until"},
		{"deferred length", http.Header{"Tus-Resumable": {"1.0.0"}, "Upload-Defer-Length": {"1"}, "Upload-Metadata": {good}}, 400, "Upload-Defer-Length"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tn.requestWithHeader(t, "POST", "/api/v1/requests/"+r.ID+"/uploads", "Bearer "+token, "", nil, tt.header)
			wantProblem(t, got, tt.status, tt.field, "")
		})
	}
	_, id := tn.startUpload(t, "FRA", 5)
	patch := func(h http.Header, body string) response {
		return tn.requestWithHeader(t, "PATCH", "/api/v1/uploads/"+id, "Bearer "+token, "application/offset+octet-stream", body, h)
	}
	wantProblem(t, patch(patchHeader(3), "hello"), 409, "Upload-Offset", "")
	wantProblem(t, patch(http.Header{"Tus-Resumable": {"1.0.0"}, "Upload-Offset": {"x"}}, "hello"), 400, "Upload-Offset", "")
	wantProblem(t, patch(patchHeader(0), "hello, and more"), 413, "Upload-Length", "")
	if got := patch(patchHeader(0), "hel"); got.Status != 204 || got.Header.Get("Upload-Offset") != "3" {
		t.Errorf("PATCH 3 bytes: %d offset %q", got.Status, got.Header.Get("Upload-Offset"))
	}
	wantProblem(t, patch(patchHeader(0), "hello"), 409, "Upload-Offset", "")
	if got := patch(patchHeader(3), "lo"); got.Status != 204 || got.Header.Get("Upload-Offset") != "5" {
		t.Errorf("PATCH the rest: %d offset %q", got.Status, got.Header.Get("Upload-Offset"))
	}
	var it evidence.Item
	it, _ = tn.Node.DB().Evidence(t.Context(), "FRA", id)
	if sum := sha256.Sum256([]byte("hello")); it.SHA256 != hex.EncodeToString(sum[:]) {
		t.Errorf("sha256 %s, want %x", it.SHA256, sum)
	}
	_ = json.Marshal
}

// TestEvidenceSentToAHostedState: on a node hosting both States of a
// request, the requested State's item is copied to the requesting
// State's view, under a key of its own, checked and recorded as a
// transfer between nodes is.
func TestEvidenceSentToAHostedState(t *testing.T) {
	for _, backend := range storetest.Backends {
		t.Run(backend, func(t *testing.T) {
			tn := newTestNode(t, backend)
			data := bytes.Repeat([]byte("answer "), 50_000)
			r, id := tn.answerItem(t, "FRA", data) // VNM asked FRA
			fra, vnm := tn.token(t, "FRA", identity.CentralAuthority), tn.token(t, "VNM", identity.CentralAuthority)
			if got := tn.do(t, "POST", "/api/v1/requests/"+r+"/evidence/"+id+"/send", tn.token(t, "FRA", identity.Investigator), nil); got.Status != http.StatusForbidden {
				t.Errorf("send by an investigator: %d", got.Status)
			}
			if got := tn.do(t, "PUT", "/api/v1/requests/"+r+"/evidence/"+id+"/retention", fra, retentionInput{RetainUntil: "2031-01-01"}); got.Status != http.StatusOK {
				t.Fatalf("retention: %d %s", got.Status, got.Body)
			}
			if got := tn.do(t, "POST", "/api/v1/requests/"+r+"/evidence/"+id+"/send", fra, nil); got.Status != http.StatusAccepted {
				t.Fatalf("send: %d %s", got.Status, got.Body)
			}
			items := decodeBody[[]evidence.Item](t, tn.do(t, "GET", "/api/v1/requests/"+r+"/evidence", vnm, nil))
			sum := sha256.Sum256(data)
			if len(items) != 1 || items[0].Status != evidence.Available || items[0].SHA256 != hex.EncodeToString(sum[:]) || items[0].Origin == nil || items[0].Origin.Item != id {
				t.Fatalf("VNM's items = %+v", items)
			}
			// Art. 36: the giver's retention date travels with the item.
			if rt := items[0].RetainUntil; rt == nil || rt.Format("2006-01-02") != "2031-01-01" {
				t.Errorf("VNM's copy is retained until %v, want FRA's 2031-01-01", rt)
			}
			got := tn.do(t, "GET", "/api/v1/requests/"+r+"/evidence/"+items[0].ID+"/content", vnm, nil)
			if !bytes.Equal(got.Body, data) {
				t.Errorf("VNM reads %d bytes, not FRA's", len(got.Body))
			}
			var actions []string
			for _, e := range decodeBody[[]store.AuditEntry](t, tn.do(t, "GET", "/api/v1/requests/"+r+"/evidence/"+id+"/custody", fra, nil)) {
				p, _ := auditlog.Parse(e.Record)
				actions = append(actions, p.Action)
			}
			if !strings.Contains(strings.Join(actions, " "), evidence.ActionTransfer+" "+evidence.ActionTransferred) {
				t.Errorf("FRA's custody = %v", actions)
			}
			if got := tn.do(t, "POST", "/api/v1/requests/"+r+"/evidence/"+items[0].ID+"/send", vnm, nil); got.Status != http.StatusConflict {
				t.Errorf("the requesting State sends its copy back: %d", got.Status)
			}
			if got := tn.do(t, "GET", "/api/v1/requests/"+r+"/evidence", tn.token(t, "ZAF", identity.CentralAuthority), nil); got.Status != http.StatusNotFound {
				t.Errorf("ZAF lists the evidence: %d", got.Status)
			}
		})
	}
}

// TestUploadWithCreation: a tus client that sends the bytes with the
// creation (the creation-with-upload extension, as tus-js-client's
// uploadDataDuringCreation does) gets the item in one call.
func TestUploadWithCreation(t *testing.T) {
	tn := newTestNode(t, "sqlite")
	r := tn.draft(t, actor("FRA", identity.CentralAuthority), mlaContents("VNM"))
	got := tn.requestWithHeader(t, "POST", "/api/v1/requests/"+r.ID+"/uploads", "Bearer "+tn.token(t, "FRA", identity.TwentyFourSeven),
		"application/offset+octet-stream", "hello", creationHeader(5, tusMeta("filename", "hello.txt", "filetype", "text/plain")))
	if got.Status != http.StatusCreated || got.Header.Get("Upload-Offset") != "5" {
		t.Fatalf("POST with the bytes: %d, offset %q; %s", got.Status, got.Header.Get("Upload-Offset"), got.Body)
	}
	items, err := tn.Node.EvidenceItems(t.Context(), actor("FRA", identity.Auditor), r.ID)
	if sum := sha256.Sum256([]byte("hello")); err != nil || len(items) != 1 || items[0].SHA256 != hex.EncodeToString(sum[:]) || items[0].MediaType != "text/plain" {
		t.Fatalf("items = %+v, %v", items, err)
	}
}

// TestViewsRecordedOnceAnHour: art. 36, custody: an item's custody says
// who looked at it and when, once an hour per official, so that looking
// at it again and again does not grow its custody without bound (nor
// beyond what one evidence package holds); downloads are each recorded.
func TestViewsRecordedOnceAnHour(t *testing.T) {
	tn := newTestNode(t, "sqlite")
	r, it := tn.addItem(t, "FRA", []byte("evidence of FRA"))
	auditor := tn.token(t, "FRA", identity.Auditor)
	path := "/api/v1/requests/" + r + "/evidence/" + it
	views := func() int {
		n := 0
		for _, e := range decodeBody[[]store.AuditEntry](t, tn.do(t, "GET", path+"/custody", auditor, nil)) {
			if p, err := auditlog.Parse(e.Record); err == nil && p.Action == evidence.ActionViewed {
				n++
			}
		}
		return n
	}
	for range 5 {
		if got := tn.do(t, "GET", path, auditor, nil); got.Status != http.StatusOK {
			t.Fatalf("GET item: %d", got.Status)
		}
	}
	if n := views(); n != 1 {
		t.Errorf("after 5 views within the hour: %d viewed records, want 1", n)
	}
	tn.do(t, "GET", path, tn.token(t, "FRA", identity.CentralAuthority), nil)
	if n := views(); n != 2 {
		t.Errorf("after another official's view: %d viewed records, want 2", n)
	}
}

// TestEvidenceSentOnlyInExecution: art. 40(25): evidence is what
// executing a request gives; an item cannot be sent while the request is
// only received, and the refusal says to start its execution.
func TestEvidenceSentOnlyInExecution(t *testing.T) {
	tn := newTestNode(t, "sqlite")
	vnmCA, fraCA := actor("VNM", identity.CentralAuthority), actor("FRA", identity.CentralAuthority)
	r := tn.draft(t, vnmCA, mlaContents("FRA"))
	if _, err := tn.Node.Transition(t.Context(), vnmCA, r.ID, casework.Transition{Action: casework.Send}); err != nil {
		t.Fatal(err)
	}
	data := []byte("too early")
	it, err := tn.Node.StartEvidence(t.Context(), fraCA, r.ID, evidence.Spec{Name: "early.txt", MediaType: "text/plain"}, int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tn.Node.AppendEvidence(t.Context(), fraCA, it.ID, 0, bytes.NewReader(data)); err != nil {
		t.Fatal(err)
	}
	if _, err := tn.Node.CompleteEvidence(t.Context(), fraCA, it.ID); err != nil {
		t.Fatal(err)
	}
	got := tn.do(t, "POST", "/api/v1/requests/"+r.ID+"/evidence/"+it.ID+"/send", tn.token(t, "FRA", identity.CentralAuthority), nil)
	if got.Status != http.StatusConflict || !strings.Contains(string(got.Body), "start its execution") {
		t.Errorf("send while the request is received: %d %s; want 409 naming the start of execution", got.Status, got.Body)
	}
}
