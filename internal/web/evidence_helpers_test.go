package web

import (
	"bytes"
	"encoding/base64"
	"net/http"
	"strconv"
	"testing"

	"gocloud.dev/blob/fileblob"

	"entraide/internal/casework"
	"entraide/internal/convention"
	"entraide/internal/evidence"
	"entraide/internal/identity"
)

// testVault is an evidence store in a directory of the test's.
func testVault(tb testing.TB) *evidence.Vault {
	tb.Helper()
	v, _ := testVaultDir(tb)
	return v
}

func testVaultDir(tb testing.TB) (*evidence.Vault, string) {
	tb.Helper()
	dir := tb.TempDir()
	b, err := fileblob.OpenBucket(dir, &fileblob.Options{NoTempDir: true, Metadata: fileblob.MetadataDontWrite})
	if err != nil {
		tb.Fatalf("fileblob.OpenBucket: %v", err)
	}
	v := evidence.NewVault(b)
	tb.Cleanup(func() { v.Close() })
	return v, dir
}

// tusMeta is an Upload-Metadata header of key, value pairs.
func tusMeta(kv ...string) string {
	var b bytes.Buffer
	for i := 0; i+1 < len(kv); i += 2 {
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		b.WriteString(kv[i] + " " + base64.StdEncoding.EncodeToString([]byte(kv[i+1])))
	}
	return b.String()
}

func creationHeader(size int64, meta string) http.Header {
	return http.Header{"Tus-Resumable": {"1.0.0"}, "Upload-Length": {strconv.FormatInt(size, 10)}, "Upload-Metadata": {meta}}
}

func patchHeader(offset int64) http.Header {
	return http.Header{"Tus-Resumable": {"1.0.0"}, "Upload-Offset": {strconv.FormatInt(offset, 10)}}
}

// startUpload begins an upload of size bytes to a draft of state's, as
// its central authority, and returns the request and the item.
func (tn *testNode) startUpload(t testing.TB, state string, size int64) (request, item string) {
	t.Helper()
	by := actor(state, identity.CentralAuthority)
	r := tn.draft(t, by, mlaContents(otherState(state)))
	it, err := tn.Node.StartEvidence(t.Context(), by, r.ID, evidence.Spec{Name: "log.txt", MediaType: "text/plain"}, size)
	if err != nil {
		t.Fatalf("StartEvidence: %v", err)
	}
	return r.ID, it.ID
}

// addItem stores data as an item of a draft of state's, and returns the
// request and the item.
func (tn *testNode) addItem(t testing.TB, state string, data []byte) (request, item string) {
	t.Helper()
	request, item = tn.startUpload(t, state, int64(len(data)))
	by := actor(state, identity.CentralAuthority)
	if _, err := tn.Node.AppendEvidence(t.Context(), by, item, 0, bytes.NewReader(data)); err != nil {
		t.Fatalf("AppendEvidence: %v", err)
	}
	if _, err := tn.Node.CompleteEvidence(t.Context(), by, item); err != nil {
		t.Fatalf("CompleteEvidence: %v", err)
	}
	return request, item
}

func init() {
	uploadCase := func(t *testing.T, tn *testNode, s string) routeCall {
		r := tn.draft(t, actor(s, identity.CentralAuthority), mlaContents(otherState(s)))
		return routeCall{path: "/api/v1/requests/" + r.ID + "/uploads", header: creationHeader(5, tusMeta("filename", "a.txt"))}
	}
	itemCase := func(suffix string, body any) func(t *testing.T, tn *testNode, s string) routeCall {
		return func(t *testing.T, tn *testNode, s string) routeCall {
			r, it := tn.addItem(t, s, []byte("evidence of "+s))
			return routeCall{path: "/api/v1/requests/" + r + "/evidence/" + it + suffix, body: body}
		}
	}
	routeCases["POST /api/v1/requests/{id}/uploads"] = uploadCase
	routeCases["HEAD /api/v1/uploads/{upload}"] = func(t *testing.T, tn *testNode, s string) routeCall {
		_, it := tn.startUpload(t, s, 5)
		return routeCall{path: "/api/v1/uploads/" + it}
	}
	routeCases["PATCH /api/v1/uploads/{upload}"] = func(t *testing.T, tn *testNode, s string) routeCall {
		_, it := tn.startUpload(t, s, 5)
		return routeCall{path: "/api/v1/uploads/" + it, body: "hello", contentType: "application/offset+octet-stream", header: patchHeader(0)}
	}
	routeCases["GET /api/v1/requests/{id}/evidence"] = func(t *testing.T, tn *testNode, s string) routeCall {
		r, _ := tn.addItem(t, s, []byte("evidence"))
		return routeCall{path: "/api/v1/requests/" + r + "/evidence"}
	}
	routeCases["GET /api/v1/requests/{id}/evidence/{item}"] = itemCase("", nil)
	routeCases["GET /api/v1/requests/{id}/evidence/{item}/content"] = func(t *testing.T, tn *testNode, s string) routeCall {
		r, it := tn.addItem(t, s, []byte("evidence of "+s))
		return revealing(tn, r, routeCall{path: "/api/v1/requests/" + r + "/evidence/" + it + "/content"})
	}
	routeCases["GET /api/v1/requests/{id}/evidence/{item}/custody"] = itemCase("/custody", nil)
	routeCases["PUT /api/v1/requests/{id}/evidence/{item}/retention"] = itemCase("/retention", retentionInput{RetainUntil: "2099-01-01"})
	routeCases["POST /api/v1/requests/{id}/evidence/{item}/dispose"] = itemCase("/dispose", disposeInput{Reason: "no longer needed"})
	routeCases["POST /api/v1/requests/{id}/evidence/{item}/send"] = func(t *testing.T, tn *testNode, s string) routeCall {
		r, it := tn.answerItem(t, s, []byte("gathered by "+s))
		return routeCall{path: "/api/v1/requests/" + r + "/evidence/" + it + "/send"}
	}
	routeCases["GET /api/v1/requests/{id}/evidence-package"] = func(t *testing.T, tn *testNode, s string) routeCall {
		r, _ := tn.addItem(t, s, []byte("evidence of "+s))
		return revealing(tn, r, routeCall{path: "/api/v1/requests/" + r + "/evidence-package"})
	}

	victimItem := func(suffix string, body any) crossCall {
		return crossCall{reach: byPath,
			victims: func(v victimData) routeCall {
				return routeCall{path: "/api/v1/requests/" + v.sent + "/evidence/" + v.item + suffix, body: body}
			},
			absent: func(v victimData) routeCall {
				return routeCall{path: "/api/v1/requests/" + missingID + "/evidence/" + missingID + suffix, body: body}
			}}
	}
	crossCalls["POST /api/v1/requests/{id}/uploads"] = pathCall(func(id string) string { return "/api/v1/requests/" + id + "/uploads" }, nil,
		func(v victimData) string { return v.sent })
	for _, c := range []string{"POST /api/v1/requests/{id}/uploads"} {
		cc := crossCalls[c]
		withHeader := func(f func(victimData) routeCall) func(victimData) routeCall {
			return func(v victimData) routeCall {
				rc := f(v)
				rc.header = creationHeader(5, tusMeta("filename", "a.txt"))
				return rc
			}
		}
		cc.victims, cc.absent = withHeader(cc.victims), withHeader(cc.absent)
		crossCalls[c] = cc
	}
	crossCalls["HEAD /api/v1/uploads/{upload}"] = pathCall(func(id string) string { return "/api/v1/uploads/" + id }, nil, func(v victimData) string { return v.upload })
	crossCalls["PATCH /api/v1/uploads/{upload}"] = crossCall{reach: byPath,
		victims: func(v victimData) routeCall {
			return routeCall{path: "/api/v1/uploads/" + v.upload, body: "hello", contentType: "application/offset+octet-stream", header: patchHeader(0)}
		},
		absent: func(v victimData) routeCall {
			return routeCall{path: "/api/v1/uploads/" + missingID, body: "hello", contentType: "application/offset+octet-stream", header: patchHeader(0)}
		}}
	crossCalls["GET /api/v1/requests/{id}/evidence"] = pathCall(func(id string) string { return "/api/v1/requests/" + id + "/evidence" }, nil,
		func(v victimData) string { return v.sent })
	crossCalls["GET /api/v1/requests/{id}/evidence/{item}"] = victimItem("", nil)
	crossCalls["GET /api/v1/requests/{id}/evidence/{item}/content"] = victimItem("/content", nil)
	crossCalls["GET /api/v1/requests/{id}/evidence/{item}/custody"] = victimItem("/custody", nil)
	crossCalls["PUT /api/v1/requests/{id}/evidence/{item}/retention"] = victimItem("/retention", retentionInput{RetainUntil: "2099-01-01"})
	crossCalls["POST /api/v1/requests/{id}/evidence/{item}/dispose"] = victimItem("/dispose", disposeInput{Reason: "intrusion"})
	crossCalls["POST /api/v1/requests/{id}/evidence/{item}/send"] = victimItem("/send", nil)
	crossCalls["GET /api/v1/requests/{id}/evidence-package"] = pathCall(func(id string) string { return "/api/v1/requests/" + id + "/evidence-package" }, nil,
		func(v victimData) string { return v.sent })
}

// victimEvidence gives state's view of request an item, and an upload
// begun.
func (tn *testNode) victimEvidence(t testing.TB, state, request string) (item, upload string) {
	t.Helper()
	by := actor(state, identity.CentralAuthority)
	data := []byte("evidence that only " + state + " holds")
	// Kept ten days, and marked as carrying personal data: the report of
	// what expires lists it, to its State only.
	retain := tn.Node.Now().AddDate(0, 0, 10)
	it, err := tn.Node.StartEvidence(t.Context(), by, request, evidence.Spec{Name: "secret.txt", MediaType: "text/plain", RetainUntil: &retain,
		PersonalData: &convention.PersonalData{Carried: true, Categories: []convention.DataCategory{convention.ContentData}, Persons: []convention.PersonCategory{convention.Victim}}}, int64(len(data)))
	if err != nil {
		t.Fatalf("StartEvidence: %v", err)
	}
	if _, err := tn.Node.AppendEvidence(t.Context(), by, it.ID, 0, bytes.NewReader(data)); err != nil {
		t.Fatalf("AppendEvidence: %v", err)
	}
	if _, err := tn.Node.CompleteEvidence(t.Context(), by, it.ID); err != nil {
		t.Fatalf("CompleteEvidence: %v", err)
	}
	up, err := tn.Node.StartEvidence(t.Context(), by, request, evidence.Spec{Name: "partial.bin"}, 10)
	if err != nil {
		t.Fatalf("StartEvidence: %v", err)
	}
	return it.ID, up.ID
}

// answerItem gives state an item of a request another hosted State sent
// it, received: one state may send back with its answer.
func (tn *testNode) answerItem(t testing.TB, state string, data []byte) (request, item string) {
	t.Helper()
	from := otherState(state)
	by := actor(from, identity.CentralAuthority)
	r := tn.draft(t, by, mlaContents(state))
	if _, err := tn.Node.Transition(t.Context(), by, r.ID, casework.Transition{Action: casework.Send}); err != nil {
		t.Fatalf("send: %v", err)
	}
	ca := actor(state, identity.CentralAuthority)
	// Evidence is what executing the request gives: start it.
	for _, a := range []casework.Action{casework.Acknowledge, casework.Start} {
		if _, err := tn.Node.Transition(t.Context(), ca, r.ID, casework.Transition{Action: a}); err != nil {
			t.Fatalf("%s: %v", a, err)
		}
	}
	it, err := tn.Node.StartEvidence(t.Context(), ca, r.ID, evidence.Spec{Name: "answer.txt", MediaType: "text/plain"}, int64(len(data)))
	if err != nil {
		t.Fatalf("StartEvidence: %v", err)
	}
	if _, err := tn.Node.AppendEvidence(t.Context(), ca, it.ID, 0, bytes.NewReader(data)); err != nil {
		t.Fatal(err)
	}
	if _, err := tn.Node.CompleteEvidence(t.Context(), ca, it.ID); err != nil {
		t.Fatal(err)
	}
	return r.ID, it.ID
}
