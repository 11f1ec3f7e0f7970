package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
)

// dropper cuts the body of the first drops PATCHes after cut bytes, and
// the connection with it: the client sees the connection drop. With
// refuse, the next PATCH after them is refused with a 403 instead.
type dropper struct {
	next   http.Handler
	drops  atomic.Int32
	cut    int64
	refuse atomic.Bool
	// itemReads counts reads of one item, which its custody records as
	// views.
	itemReads atomic.Int32
}

var itemPath = regexp.MustCompile(`^/api/v1/requests/[^/]+/evidence/[^/]+$`)

type failAfter struct {
	r io.ReadCloser
	n int64
}

func (f *failAfter) Read(p []byte) (int, error) {
	if f.n <= 0 {
		return 0, errors.New("connection cut")
	}
	p = p[:min(int64(len(p)), f.n)]
	n, err := f.r.Read(p)
	f.n -= int64(n)
	return n, err
}

func (f *failAfter) Close() error { return f.r.Close() }

type swallow struct{ h http.Header }

func (s swallow) Header() http.Header         { return s.h }
func (s swallow) Write(p []byte) (int, error) { return len(p), nil }
func (s swallow) WriteHeader(int)             {}

func (d *dropper) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == "GET" && itemPath.MatchString(r.URL.Path) {
		d.itemReads.Add(1)
	}
	if r.Method == "PATCH" && d.drops.Load() > 0 {
		d.drops.Add(-1)
		r.Body = &failAfter{r: r.Body, n: d.cut}
		d.next.ServeHTTP(swallow{h: http.Header{}}, r)
		panic(http.ErrAbortHandler)
	}
	if r.Method == "PATCH" && d.refuse.Swap(false) {
		r.Body = &failAfter{r: r.Body, n: d.cut}
		d.next.ServeHTTP(swallow{h: http.Header{}}, r)
		w.Header().Set("Content-Type", "application/problem+json")
		w.WriteHeader(http.StatusForbidden)
		w.Write([]byte(`{"status":403,"title":"Not allowed","errors":[{"field":"role","message":"stopped by the test"}]}`))
		return
	}
	d.next.ServeHTTP(w, r)
}

func TestEvidenceCommands(t *testing.T) {
	c := newCLI(t)
	c.init()
	var d *dropper
	c.startAPIWith(func(h http.Handler) http.Handler { d = &dropper{next: h, cut: 300_000}; return d })
	c.env["ENTRAIDE_TOKEN"] = c.official("--id", "fra-ca", "--name", "Claire Dubois", "--role", "central_authority")
	out := c.must("request", "create", writeFile(t, "pres.json", preservationJSON))
	request := regexp.MustCompile(`^Created (\S+):`).FindStringSubmatch(out)[1]

	data := bytes.Repeat([]byte("0123456789abcdef"), 100_000) // 1.6 MB
	file := filepath.Join(t.TempDir(), "disk image.bin")
	if err := os.WriteFile(file, data, 0o600); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)

	// Dropped twice, resumed by itself.
	d.drops.Store(2)
	out, errOut, err := c.run("evidence", "add", request, file, "--collected-by", "Lt. Martin", "--tool", "dd 9.4", "--retain-until", "2036-01-01")
	if err != nil {
		t.Fatalf("evidence add: %v\n%s", err, errOut)
	}
	if strings.Count(errOut, "connection lost") != 2 {
		t.Errorf("stderr = %q, want two resumptions", errOut)
	}
	m := regexp.MustCompile(`^Added .* as item (\S+): 1600000 bytes, SHA-256 ([0-9a-f]{64})\n$`).FindStringSubmatch(out)
	if m == nil || m[2] != hex.EncodeToString(sum[:]) {
		t.Fatalf("evidence add = %q, want Added ... SHA-256 %x", out, sum)
	}
	item := m[1]
	if n := d.itemReads.Load(); n != 0 {
		t.Errorf("evidence add read the item %d time(s), which its custody records as views nobody made", n)
	}

	// Refused mid-way: the command stops; run again, it resumes the same
	// upload rather than starting another.
	second := filepath.Join(t.TempDir(), "second.bin")
	os.WriteFile(second, data[:700_000], 0o600)
	d.refuse.Store(true)
	if _, _, err := c.run("evidence", "add", request, second); err == nil || !strings.Contains(err.Error(), "stopped by the test") {
		t.Fatalf("evidence add, refused: %v", err)
	}
	out = c.must("evidence", "add", request, second)
	if !strings.Contains(out, "700000 bytes") {
		t.Fatalf("evidence add, again: %q", out)
	}
	// The same file added again is a second item, and the command says so.
	dupOut, dupErr, err := c.run("evidence", "add", request, second)
	if err != nil || !strings.Contains(dupErr, "holds the same bytes") {
		t.Errorf("evidence add of the same file again: %v %q %q, want a note that another item holds the same bytes", err, dupOut, dupErr)
	}
	dup := regexp.MustCompile(`as item (\S+):`).FindStringSubmatch(dupOut)
	if dup != nil {
		c.must("evidence", "dispose", request, dup[1], "--reason", "added twice")
	}
	list := c.must("evidence", "list", request)
	if strings.Count(list, "available") != 2 || !strings.Contains(list, "disk image.bin") || !strings.Contains(list, "2036-01-01") || strings.Contains(list, "uploading") {
		t.Errorf("evidence list =\n%s\nwant the two items, available, and no other", list)
	}
	target := filepath.Join(t.TempDir(), "copy.bin")
	if _, errOut, err := c.run("evidence", "get", request, item, "-o", target); err != nil || !strings.Contains(errOut, "(checked)") {
		t.Fatalf("evidence get: %v %s", err, errOut)
	}
	if got, _ := os.ReadFile(target); !bytes.Equal(got, data) {
		t.Errorf("evidence get wrote %d bytes, not the file", len(got))
	}
	if _, _, err := c.run("evidence", "get", request, item, "-o", target); err == nil || !strings.Contains(err.Error(), "--force") {
		t.Errorf("evidence get over an existing file: %v, want a refusal naming --force", err)
	}
	if _, errOut, err := c.run("evidence", "get", request, item, "-o", target, "--force"); err != nil {
		t.Errorf("evidence get --force: %v %s", err, errOut)
	}
	pkg := filepath.Join(t.TempDir(), "evidence.tar")
	out = c.must("evidence", "export", request, "-o", pkg)
	key := regexp.MustCompile(`--key (\S+)\n$`).FindStringSubmatch(out)
	if key == nil || !strings.Contains(out, "2 item(s) of evidence and the tombstones of 1 disposed of (their custody, without their bytes); it verifies with this node's log key") {
		t.Fatalf("evidence export = %q, want the file, its items and the key", out)
	}
	verified := c.must("verify", pkg, "--key", key[1])
	for _, want := range []string{"RESULT: VERIFIED", "disk image.bin", "Collected by Lt. Martin", "with dd 9.4", "exported", "DISPOSED OF (art. 36)", "bytes gone, custody proven",
		"Expedited preservation of stored electronic data (art. 42", "Brief summary of the facts of the offence (art. 42(2)(b)): A hospital in Lyon"} {
		if !strings.Contains(verified, want) {
			t.Errorf("entraide verify of the exported package lacks %q:\n%s", want, verified)
		}
	}
	if _, _, err := c.run("evidence", "export", "0190a1b2-0000-7000-8000-00000000dead", "-o", pkg+"2"); err == nil || !strings.Contains(err.Error(), "404") {
		t.Errorf("evidence export of no request: %v", err)
	}
	if _, _, err := c.run("evidence", "add", request); err == nil || !strings.Contains(err.Error(), "at least one file") {
		t.Errorf("evidence add without a file: %v", err)
	}

	// An id the node does not know names where the ids are listed.
	for _, args := range [][]string{{"evidence", "get", request, "no-such-item"}, {"evidence", "list", "no-such-request"}, {"evidence", "export", "no-such-request"}} {
		if _, _, err := c.run(args...); err == nil || !strings.Contains(err.Error(), "404") || !strings.Contains(err.Error(), "next: entraide") {
			t.Errorf("entraide %s = %v, want a 404 with the next step", strings.Join(args, " "), err)
		}
	}

	// Art. 36: a retention date set and cleared, then disposal.
	if out := c.must("evidence", "retain", request, item, "--until", "2031-01-01"); !strings.Contains(out, "disposed of from 2031-01-01") {
		t.Errorf("evidence retain = %q", out)
	}
	if out := c.must("evidence", "retain", request, item, "--until", ""); !strings.Contains(out, "no retention date now") {
		t.Errorf("evidence retain --until \"\" = %q", out)
	}
	if _, _, err := c.run("evidence", "dispose", request, item); err == nil || !strings.Contains(err.Error(), "--reason") {
		t.Errorf("evidence dispose without a reason: %v", err)
	}
	if out := c.must("evidence", "dispose", request, item, "--reason", "copy made for the court; original no longer needed"); !strings.Contains(out, "is disposed of") || !strings.Contains(out, hex.EncodeToString(sum[:])) {
		t.Errorf("evidence dispose = %q", out)
	}
	if list := c.must("evidence", "list", request); !strings.Contains(list, "disposed") {
		t.Errorf("evidence list after disposal =\n%s\nwant the item disposed", list)
	}
	if _, _, err := c.run("evidence", "get", request, "0190a1b2-0000-7000-8000-00000000dead"); err == nil || !strings.Contains(err.Error(), "404") {
		t.Errorf("evidence get of no item: %v", err)
	}
}
