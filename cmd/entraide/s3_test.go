package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"gocloud.dev/blob"

	"entraide/internal/s3test"
	"entraide/internal/store/storetest"
)

// startServe runs entraide serve with args in c's data directory until
// the test ends, and returns the address it serves on.
func startServe(t *testing.T, c *cli, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	var stdout, stderr syncBuffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, append([]string{"entraide", "serve", "--addr", "127.0.0.1:0"}, args...), c.getenv, strings.NewReader(""), &stdout, &stderr)
	}()
	t.Cleanup(func() { cancel(); <-done })
	serving := regexp.MustCompile(`on (https?://127\.0\.0\.1:\d+) `)
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		select {
		case err := <-done:
			t.Fatalf("serve returned %v before serving\nstderr:\n%s", err, stderr.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve printed no address within 30s: %q", stdout.String())
		}
		if m := serving.FindStringSubmatch(stdout.String()); m != nil {
			return m[1]
		}
	}
}

// TestServeEvidenceOnS3 runs the node with its evidence in an S3 bucket,
// `serve --blob s3://...` as the README configures it, against a server
// of the S3 protocol: an item uploaded by the command in one piece sent
// to S3 in parts, another by tus in two pieces, read back whole and by a
// range across its pieces, exported into a package that verifies, and
// disposed of, its objects deleted from the bucket. The data directory
// holds no evidence.
func TestServeEvidenceOnS3(t *testing.T) {
	c := newCLI(t)
	c.init()
	s3 := s3test.Start(t, "fra-evidence")
	c.env["ENTRAIDE_URL"] = startServe(t, c, "--blob", s3.URL)
	c.env["ENTRAIDE_UPLOAD_STATE"] = filepath.Join(c.dataDir(), "upload-state")
	token := c.official("--id", "fra-ca", "--name", "Claire Dubois", "--role", "central_authority")
	c.env["ENTRAIDE_TOKEN"] = token
	out := c.must("request", "create", writeFile(t, "pres.json", preservationJSON))
	request := regexp.MustCompile(`^Created (\S+):`).FindStringSubmatch(out)[1]

	// Above 16 MiB, the S3 client sends an object in parts.
	big := make([]byte, 17<<20+5)
	rand.NewChaCha8([32]byte{1}).Read(big)
	file := filepath.Join(t.TempDir(), "phone.img")
	if err := os.WriteFile(file, big, 0o600); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(big)
	out = c.must("evidence", "add", request, file, "--collected-by", "Lt. Martin")
	m := regexp.MustCompile(`as item (\S+): \d+ bytes, SHA-256 ([0-9a-f]{64})\n$`).FindStringSubmatch(out)
	if m == nil || m[2] != hex.EncodeToString(sum[:]) {
		t.Fatalf("evidence add = %q, want the SHA-256 %x", out, sum)
	}
	bigItem := m[1]
	if s3.Requests("POST") == 0 {
		t.Errorf("no multipart upload reached the bucket")
	}

	small := bytes.Repeat([]byte("mailbox export "), 80_000)
	smallItem := tusUpload(t, []string{c.env["ENTRAIDE_URL"]}, token, request, "mail.mbox", small, 500_003)
	content := func(item, rng string) (int, []byte) {
		t.Helper()
		req, _ := http.NewRequest("GET", c.env["ENTRAIDE_URL"]+"/api/v1/requests/"+request+"/evidence/"+item+"/content", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		if rng != "" {
			req.Header.Set("Range", rng)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, err := io.ReadAll(res.Body)
		if err != nil {
			t.Fatalf("GET %s content: %v", item, err)
		}
		return res.StatusCode, b
	}
	if status, b := content(smallItem, "bytes=499990-500020"); status != http.StatusPartialContent || !bytes.Equal(b, small[499990:500021]) {
		t.Errorf("range across the two pieces: %d, %q; want 206 and %q", status, b, small[499990:500021])
	}
	if status, b := content(smallItem, ""); status != http.StatusOK || !bytes.Equal(b, small) {
		t.Errorf("whole item: %d, %d bytes", status, len(b))
	}
	if status, b := content(bigItem, fmt.Sprintf("bytes=%d-", len(big)-1000)); status != http.StatusPartialContent || !bytes.Equal(b, big[len(big)-1000:]) {
		t.Errorf("the last 1000 bytes of the item sent in parts: %d, %d bytes", status, len(b))
	}
	target := filepath.Join(t.TempDir(), "copy.img")
	if _, errOut, err := c.run("evidence", "get", request, bigItem, "-o", target); err != nil || !strings.Contains(errOut, "(checked)") {
		t.Fatalf("evidence get: %v %s", err, errOut)
	}

	pkg := filepath.Join(t.TempDir(), "evidence.tar")
	out = c.must("evidence", "export", request, "-o", pkg)
	key := regexp.MustCompile(`--key (\S+)\n$`).FindStringSubmatch(out)
	if key == nil || !strings.Contains(out, "2 item(s) of evidence") {
		t.Fatalf("evidence export = %q, want the two items and the key", out)
	}
	verified := c.must("verify", pkg, "--key", key[1])
	for _, want := range []string{"RESULT: VERIFIED", "phone.img", "mail.mbox", "Collected by Lt. Martin"} {
		if !strings.Contains(verified, want) {
			t.Errorf("entraide verify of the package lacks %q:\n%s", want, verified)
		}
	}

	bucket, err := blob.OpenBucket(t.Context(), s3.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer bucket.Close()
	stored := func(item string) int {
		it := bucket.List(&blob.ListOptions{Prefix: "evidence/" + item + "/"})
		n := 0
		for {
			_, err := it.Next(t.Context())
			if errors.Is(err, io.EOF) {
				return n
			}
			if err != nil {
				t.Fatal(err)
			}
			n++
		}
	}
	if n := stored(smallItem); n != 2 {
		t.Errorf("the item uploaded in two pieces has %d objects in the bucket, want 2", n)
	}
	c.must("evidence", "dispose", request, smallItem, "--reason", "a copy was made for the court")
	if n := stored(smallItem); n != 0 {
		t.Errorf("after disposal, %d objects of the item are left in the bucket", n)
	}
	if n := stored(bigItem); n != 1 {
		t.Errorf("the other item has %d objects in the bucket, want 1", n)
	}
	if _, err := os.Stat(filepath.Join(c.dataDir(), vaultDir)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the data directory holds an evidence directory (%v): the bytes went there, not to the bucket", err)
	}
}

// tusUpload uploads data as a tus client does, in two PATCHes, the first
// of first bytes, and returns the item's id. With two nodes in bases, the
// upload begins on the first and goes on on the second from the offset
// it answers.
func tusUpload(t *testing.T, bases []string, token, request, name string, data []byte, first int) string {
	t.Helper()
	call := func(method, url string, header http.Header, body []byte) *http.Response {
		t.Helper()
		req, _ := http.NewRequest(method, url, bytes.NewReader(body))
		for k, v := range header {
			req.Header[k] = v
		}
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Tus-Resumable", "1.0.0")
		if body != nil {
			req.Header.Set("Content-Type", "application/offset+octet-stream")
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		return res
	}
	res := call("POST", bases[0]+"/api/v1/requests/"+request+"/uploads", http.Header{
		"Upload-Length":   {strconv.Itoa(len(data))},
		"Upload-Metadata": {"filename " + base64.StdEncoding.EncodeToString([]byte(name))},
	}, nil)
	if res.StatusCode != http.StatusCreated {
		t.Fatalf("POST uploads: %s", res.Status)
	}
	path := strings.TrimPrefix(res.Header.Get("Location"), bases[0])
	for i, piece := range [][2]int{{0, first}, {first, len(data)}} {
		loc := bases[min(i, len(bases)-1)] + path
		if i > 0 {
			res := call("HEAD", loc, nil, nil)
			if res.StatusCode != http.StatusOK || res.Header.Get("Upload-Offset") != strconv.Itoa(piece[0]) {
				t.Fatalf("HEAD %s: %s, offset %s, want %d", loc, res.Status, res.Header.Get("Upload-Offset"), piece[0])
			}
		}
		res := call("PATCH", loc, http.Header{"Upload-Offset": {strconv.Itoa(piece[0])}}, data[piece[0]:piece[1]])
		if res.StatusCode != http.StatusNoContent || res.Header.Get("Upload-Offset") != strconv.Itoa(piece[1]) {
			t.Fatalf("PATCH %d-%d: %s, offset %s", piece[0], piece[1], res.Status, res.Header.Get("Upload-Offset"))
		}
	}
	return path[strings.LastIndex(path, "/")+1:]
}

// TestServeRefusesABucketItCannotUse: serve stops at once, naming what to
// check, when the bucket of --blob does not exist or its credentials are
// refused, rather than failing the first upload.
func TestServeRefusesABucketItCannotUse(t *testing.T) {
	c := newCLI(t)
	c.init()
	s3 := s3test.Start(t, "fra-evidence")
	for _, tc := range []struct {
		name, url, keyID, want string
	}{
		{"no such bucket", strings.Replace(s3.URL, "s3://fra-evidence?", "s3://fra-evidnce?", 1), s3test.AccessKeyID, "the bucket fra-evidnce does not exist: create it"},
		{"credentials refused", s3.URL, "SOMEONEELSE", "InvalidAccessKeyId"},
		{"unknown parameter", s3.URL + "&pathstyle=true", s3test.AccessKeyID, `unknown query parameter "pathstyle"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("AWS_ACCESS_KEY_ID", tc.keyID)
			ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
			defer cancel()
			var stdout, stderr bytes.Buffer
			err := run(ctx, []string{"entraide", "serve", "--addr", "127.0.0.1:0", "--blob", tc.url}, c.getenv, strings.NewReader(""), &stdout, &stderr)
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "--blob s3://") || stdout.Len() != 0 {
				t.Errorf("serve --blob %s = %v (stdout %q), want an error saying %q", tc.url, err, stdout.String(), tc.want)
			}
		})
	}
}

// TestUploadResumesOnAnotherReplica: two `serve` replicas on one
// PostgreSQL database and one S3 bucket; an upload begun on one goes on
// on the other from the offset the first stored, and either serves the
// item whole.
func TestUploadResumesOnAnotherReplica(t *testing.T) {
	c := newCLI(t)
	c.env["ENTRAIDE_DATABASE"] = storetest.DSN(t, "postgres")
	c.init()
	s3 := s3test.Start(t, "fra-evidence")
	replicas := []string{startServe(t, c, "--blob", s3.URL), startServe(t, c, "--blob", s3.URL)}
	c.env["ENTRAIDE_URL"] = replicas[0]
	token := c.official("--id", "fra-ca", "--name", "Claire Dubois", "--role", "central_authority")
	c.env["ENTRAIDE_TOKEN"] = token
	out := c.must("request", "create", writeFile(t, "pres.json", preservationJSON))
	request := regexp.MustCompile(`^Created (\S+):`).FindStringSubmatch(out)[1]

	data := bytes.Repeat([]byte("server log line\n"), 100_000)
	item := tusUpload(t, replicas, token, request, "server.log", data, 700_001)
	for _, base := range replicas {
		req, _ := http.NewRequest("GET", base+"/api/v1/requests/"+request+"/evidence/"+item+"/content", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(res.Body)
		res.Body.Close()
		if err != nil || res.StatusCode != http.StatusOK || !bytes.Equal(got, data) {
			t.Errorf("GET the item from %s: %s, %d bytes, %v", base, res.Status, len(got), err)
		}
	}
}
