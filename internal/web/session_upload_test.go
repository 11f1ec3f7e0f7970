package web

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"entraide/internal/evidence"
	"entraide/internal/identity"
	"entraide/internal/signin"
	"entraide/internal/store"
)

// uiSession opens a UI session for state's official of role, as the
// sign-in page does, and returns the cookie that carries it.
func (tn *testNode) uiSession(t *testing.T, state string, role identity.Role) *http.Cookie {
	t.Helper()
	secret, digest := signin.NewSessionSecret()
	now := tn.Node.Now()
	s := signin.Session{ID: identity.ShortID(digest), User: officialID(state, role), State: state, CreatedAt: now, ExpiresAt: now.Add(signin.SessionTTL)}
	if err := tn.Node.DB().Tx(t.Context(), func(tx *store.Tx) error { return tx.InsertSession(t.Context(), state, digest, s) }); err != nil {
		t.Fatal(err)
	}
	return &http.Cookie{Name: "entraide_session", Value: secret}
}

// TestUploadWithTheUISession: the request page uploads with
// tus-js-client and downloads through the API's own routes, authorised by
// the UI's session cookie. A call that changes something from another
// origin is refused, though the browser sent the cookie; the cookie
// authorises no other route of the API; an ended session says to sign in
// again.
func TestUploadWithTheUISession(t *testing.T) {
	tn := newTestNode(t, "sqlite")
	cookie := tn.uiSession(t, "FRA", identity.CentralAuthority)
	r, _ := tn.startUpload(t, "FRA", 1)
	data := bytes.Repeat([]byte("seized disk image "), 10_000)
	call := func(method, path, site string, h http.Header, body []byte) response {
		t.Helper()
		if h == nil {
			h = http.Header{}
		}
		h = h.Clone()
		h.Set("Cookie", cookie.String())
		if site != "" {
			h.Set("Sec-Fetch-Site", site)
		}
		ct := ""
		if body != nil {
			ct = "application/offset+octet-stream"
		}
		var b any
		if body != nil {
			b = body
		}
		return tn.requestWithHeader(t, method, path, "", ct, b, h)
	}
	create := creationHeader(int64(len(data)), tusMeta("filename", "disk.img", "filetype", "application/octet-stream", "collected_by", "Lt. Martin"))

	wantProblem(t, call("POST", "/api/v1/requests/"+r+"/uploads", "cross-site", create, nil), 403, "Origin", "")
	origin := create.Clone()
	origin.Set("Origin", "https://elsewhere.example")
	wantProblem(t, call("POST", "/api/v1/requests/"+r+"/uploads", "", origin, nil), 403, "Origin", "")

	got := call("POST", "/api/v1/requests/"+r+"/uploads", "same-origin", create, nil)
	if got.Status != http.StatusCreated {
		t.Fatalf("create with the UI session: %d %s", got.Status, got.Body)
	}
	loc := got.Header.Get("Location")
	path := loc[len(loc)-len(uploadsPath)-36:]
	if got := call("PATCH", path, "same-origin", patchHeader(0), data[:1000]); got.Status != http.StatusNoContent {
		t.Fatalf("PATCH with the UI session: %d %s", got.Status, got.Body)
	}
	wantProblem(t, call("PATCH", path, "cross-site", patchHeader(1000), data[1000:]), 403, "Origin", "")
	if got := call("HEAD", path, "", http.Header{"Tus-Resumable": {"1.0.0"}}, nil); got.Header.Get("Upload-Offset") != "1000" {
		t.Fatalf("HEAD with the UI session: %d offset %q", got.Status, got.Header.Get("Upload-Offset"))
	}
	if got := call("PATCH", path, "same-origin", patchHeader(1000), data[1000:]); got.Status != http.StatusNoContent {
		t.Fatalf("PATCH the rest: %d %s", got.Status, got.Body)
	}
	id := path[len(uploadsPath):]
	it, err := tn.Node.DB().Evidence(t.Context(), "FRA", id)
	sum := sha256.Sum256(data)
	if err != nil || it.Status != evidence.Available || it.SHA256 != hex.EncodeToString(sum[:]) || it.CreatedBy != officialID("FRA", identity.CentralAuthority) {
		t.Fatalf("the item uploaded with the UI session: %+v, %v", it, err)
	}
	if got := call("GET", "/api/v1/requests/"+r+"/evidence/"+id+"/content", "same-origin", nil, nil); got.Status != 200 || !bytes.Equal(got.Body, data) {
		t.Errorf("download with the UI session: %d, %d bytes", got.Status, len(got.Body))
	}
	// Another site's link is a navigation without the cookie
	// (SameSite=Strict); a GET changes nothing but the custody.
	if got := call("GET", "/api/v1/requests/"+r+"/evidence", "same-origin", nil, nil); got.Status != http.StatusUnauthorized {
		t.Errorf("the UI session on a route of tokens only: %d, want 401", got.Status)
	}

	ended := tn.uiSession(t, "FRA", identity.CentralAuthority)
	ended.Value = "not-a-session"
	cookie = ended
	if p := wantProblem(t, call("POST", "/api/v1/requests/"+r+"/uploads", "same-origin", create, nil), 401, "session", ""); !strings.Contains(p.Detail, "sign in again") {
		t.Errorf("an ended session: %q, want it to say to sign in again", p.Detail)
	}
}

// TestUploadBehindTLSProxy: behind a proxy that ends TLS, the upload's
// address is given over HTTPS, which the page, served over HTTPS, may
// call.
func TestUploadBehindTLSProxy(t *testing.T) {
	tn := newTestNode(t, "sqlite")
	s := newServer(tn.Node, tn.server.log, Config{Limits: testLimits, BehindTLSProxy: true})
	r, _ := tn.startUpload(t, "FRA", 1)
	req := httptest.NewRequestWithContext(t.Context(), "POST", "http://node.example/api/v1/requests/"+r+"/uploads", nil)
	req.Header = creationHeader(5, tusMeta("filename", "a.txt"))
	req.Header.Set("Authorization", "Bearer "+tn.token(t, "FRA", identity.CentralAuthority))
	w := httptest.NewRecorder()
	s.handler.ServeHTTP(w, req)
	if loc := w.Header().Get("Location"); w.Code != http.StatusCreated || !strings.HasPrefix(loc, "https://node.example/api/v1/uploads/") {
		t.Errorf("create behind a TLS proxy: %d, Location %q, want https://node.example/api/v1/uploads/...", w.Code, loc)
	}
}
