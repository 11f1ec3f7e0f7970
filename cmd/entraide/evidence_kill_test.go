package main

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"entraide/internal/evidence"
)

// serveChild runs the node in dir in a process of its own, and returns
// its address and the process.
func serveChild(t *testing.T, dir, addr string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), benchServeEnv+"=1", "ENTRAIDE_DATA_DIR="+dir, "ENTRAIDE_ADDR="+addr)
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stdin.Close(); cmd.Process.Kill(); cmd.Wait() })
	if line, err := bufio.NewReader(stdout).ReadString('\n'); err != nil || !strings.HasPrefix(line, "Serving") {
		t.Fatalf("server: %q %v", line, err)
	}
	return cmd
}

// stallAfter gives n bytes of r, then blocks until stop is closed.
type stallAfter struct {
	r    io.Reader
	n    int64
	stop chan struct{}
}

func (s *stallAfter) Read(p []byte) (int, error) {
	if s.n <= 0 {
		<-s.stop
		return 0, io.ErrUnexpectedEOF
	}
	p = p[:min(int64(len(p)), s.n)]
	n, err := s.r.Read(p)
	s.n -= int64(n)
	return n, err
}

// TestUploadSurvivesKill kills the node (SIGKILL) in the middle of a
// PATCH, once a piece of the upload is stored: started again, the node
// answers the offset of what it stored, and the upload goes on from there
// to an item with the file's SHA-256.
func TestUploadSurvivesKill(t *testing.T) {
	if testing.Short() {
		t.Skip("uploads 70 MiB")
	}
	dir := t.TempDir()
	getenv := func(name string) string {
		if name == "ENTRAIDE_DATA_DIR" {
			return dir
		}
		return ""
	}
	if err := run(t.Context(), []string{"entraide", "init", "--state", "FRA", "--admin-name", "Admin"}, getenv, strings.NewReader(""), io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	token, request := benchOfficial(t, dir)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	child := serveChild(t, dir, addr)
	base := "http://" + addr

	size := evidence.SegmentSize + 6<<20
	data := make([]byte, size)
	rng := rand.NewChaCha8([32]byte{9})
	rng.Read(data)
	call := func(method, url string, header http.Header, body io.Reader, length int64) (*http.Response, error) {
		req, _ := http.NewRequest(method, url, body)
		req.Header = header
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Tus-Resumable", "1.0.0")
		if body != nil {
			req.ContentLength = length
			req.Header.Set("Content-Type", "application/offset+octet-stream")
		}
		res, err := http.DefaultClient.Do(req)
		if err == nil {
			io.Copy(io.Discard, res.Body)
			res.Body.Close()
		}
		return res, err
	}
	res, err := call("POST", base+"/api/v1/requests/"+request+"/uploads", http.Header{"Upload-Length": {strconv.FormatInt(size, 10)}, "Upload-Metadata": {"filename ZGlzay5pbWc="}}, nil, 0)
	if err != nil || res.StatusCode != 201 {
		t.Fatalf("POST: %v %v", res, err)
	}
	loc := res.Header.Get("Location")

	// One piece stored, and more bytes on the way, when the node dies.
	stop := make(chan struct{})
	defer close(stop)
	go call("PATCH", loc, http.Header{"Upload-Offset": {"0"}}, &stallAfter{r: bytes.NewReader(data), n: evidence.SegmentSize + 1<<20, stop: stop}, size)
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "entraide.db")+"?mode=ro&_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	deadline := time.Now().Add(60 * time.Second)
	for received := int64(0); received == 0; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("no piece stored after a minute")
		}
		db.QueryRowContext(t.Context(), "SELECT received FROM evidence_items").Scan(&received)
	}
	if err := child.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	child.Wait()

	serveChild(t, dir, addr)
	res, err = call("HEAD", loc, http.Header{}, nil, 0)
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("HEAD after the kill: %v %v", res, err)
	}
	offset, _ := strconv.ParseInt(res.Header.Get("Upload-Offset"), 10, 64)
	if offset != evidence.SegmentSize {
		t.Fatalf("offset after the kill = %d, want the piece stored, %d", offset, evidence.SegmentSize)
	}
	res, err = call("PATCH", loc, http.Header{"Upload-Offset": {strconv.FormatInt(offset, 10)}}, bytes.NewReader(data[offset:]), size-offset)
	if err != nil || res.StatusCode != 204 {
		t.Fatalf("PATCH the rest: %v %v", res, err)
	}
	id := loc[strings.LastIndex(loc, "/")+1:]
	req, _ := http.NewRequest("GET", base+"/api/v1/requests/"+request+"/evidence/"+id, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	got, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer got.Body.Close()
	var it evidence.Item
	json.NewDecoder(got.Body).Decode(&it)
	if sum := sha256.Sum256(data); it.SHA256 != hex.EncodeToString(sum[:]) || it.Status != evidence.Available {
		t.Errorf("item after the kill = %s %s, want available %x", it.Status, it.SHA256, sum)
	}
}
