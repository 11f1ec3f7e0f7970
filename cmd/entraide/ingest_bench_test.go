package main

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/pprof"
	"strconv"
	"strings"
	"testing"
	"time"

	"entraide/internal/casework"
	"entraide/internal/identity"
	"entraide/internal/keeper"
	"entraide/internal/node"
	"entraide/internal/store"
)

// benchServeEnv makes the test binary a node's server: the ingest
// benchmark runs the node in a process of its own, to read its peak
// memory alone.
const benchServeEnv = "ENTRAIDE_BENCH_SERVE"

// benchProfileEnv names a file for the server's CPU profile, to see
// where an ingest's time goes.
const benchProfileEnv = "ENTRAIDE_BENCH_CPUPROFILE"

func TestMain(m *testing.M) {
	if os.Getenv(benchServeEnv) != "" {
		ctx, cancel := context.WithCancel(context.Background())
		go func() { io.Copy(io.Discard, os.Stdin); cancel() }() // the parent closes stdin to stop it
		if path := os.Getenv(benchProfileEnv); path != "" {
			f, err := os.Create(path)
			if err != nil {
				fmt.Fprintln(os.Stderr, err)
				os.Exit(1)
			}
			pprof.StartCPUProfile(f)
			defer pprof.StopCPUProfile()
		}
		err := run(ctx, []string{"entraide", "serve"}, os.Getenv, os.Stdin, os.Stdout, io.Discard)
		pprof.StopCPUProfile()
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// BenchmarkIngest uploads a file (2 GiB; ENTRAIDE_BENCH_INGEST_MIB
// changes it) through the API of a node served by another process, in
// one tus PATCH, and reports its throughput as a ratio to plain SHA-256
// of the same file in the same run (x_sha256), as a ratio to writing as
// many bytes to the same store and syncing them (x_write: what the
// device allows), and the server's peak resident memory (VmHWM, MiB). Run it once: -benchtime=1x. The evidence
// store is the data directory's disk (store=disk), and, where the machine
// has one, a memory file system (store=memory): the first includes what
// the disk costs, the second what the node's own work costs.
func BenchmarkIngest(b *testing.B) {
	b.Run("store=disk", func(b *testing.B) { benchIngest(b, "") })
	if info, err := os.Stat("/dev/shm"); err == nil && info.IsDir() {
		b.Run("store=memory", func(b *testing.B) {
			dir, err := os.MkdirTemp("/dev/shm", "entraide-bench-")
			if err != nil {
				b.Skip(err)
			}
			defer os.RemoveAll(dir)
			benchIngest(b, dir)
		})
	}
}

// benchIngest runs the benchmark with the evidence store in blobDir, or
// in the data directory when blobDir is empty.
func benchIngest(b *testing.B, blobDir string) {
	size := int64(2 << 30)
	if v := os.Getenv("ENTRAIDE_BENCH_INGEST_MIB"); v != "" {
		mib, err := strconv.Atoi(v)
		if err != nil {
			b.Fatal(err)
		}
		size = int64(mib) << 20
	}
	ctx := b.Context()
	dir := b.TempDir()
	getenv := func(name string) string {
		if name == "ENTRAIDE_DATA_DIR" {
			return dir
		}
		return ""
	}
	var out strings.Builder
	if err := run(ctx, []string{"entraide", "init", "--state", "FRA", "--admin-name", "Admin"}, getenv, strings.NewReader(""), &out, io.Discard); err != nil {
		b.Fatal(err)
	}
	token, request := benchOfficial(b, dir)

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	blobURL, writeDir := "", dir
	if blobDir != "" {
		blobURL, writeDir = "file://"+blobDir+"?no_tmp_dir=1&metadata=skip", blobDir
	}
	cmd.Env = append(os.Environ(), benchServeEnv+"=1", "ENTRAIDE_DATA_DIR="+dir, "ENTRAIDE_ADDR="+addr, "ENTRAIDE_BLOB="+blobURL)
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	defer func() { stdin.Close(); cmd.Wait() }()
	if line, err := bufio.NewReader(stdout).ReadString('\n'); err != nil || !strings.HasPrefix(line, "Serving") {
		b.Fatalf("server: %q %v", line, err)
	}
	base := "http://" + addr

	file := filepath.Join(b.TempDir(), "ingest.bin")
	writeRandomFile(b, file, size)
	defer os.Remove(file)

	b.ResetTimer()
	for b.Loop() {
		write := timeWrite(b, writeDir, size)
		start := time.Now()
		f, err := os.Open(file)
		if err != nil {
			b.Fatal(err)
		}
		h := sha256.New()
		if _, err := io.Copy(h, f); err != nil {
			b.Fatal(err)
		}
		f.Close()
		plain := time.Since(start)

		start = time.Now()
		benchUpload(b, base, token, request, file, size)
		ingest := time.Since(start)

		b.ReportMetric(plain.Seconds()/ingest.Seconds(), "x_sha256")
		b.ReportMetric(write.Seconds()/ingest.Seconds(), "x_write")
		b.ReportMetric(float64(size)/ingest.Seconds()/(1<<20), "MiB/s_ingest")
		b.ReportMetric(float64(size)/plain.Seconds()/(1<<20), "MiB/s_sha256")
		b.ReportMetric(vmHWM(b, cmd.Process.Pid), "MiB_VmHWM")
	}
}

func benchOfficial(b testing.TB, dir string) (token, request string) {
	ctx := b.Context()
	db, err := store.Open(ctx, filepath.Join(dir, "entraide.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	k, err := keeper.Open(ctx, dir, "")
	if err != nil {
		b.Fatal(err)
	}
	n, err := node.Open(ctx, db, k, nil)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := n.AddUser(ctx, n.Admin(), identity.User{ID: "fra-ca", Name: "Central authority", Role: identity.CentralAuthority}); err != nil {
		b.Fatal(err)
	}
	e, err := n.IssueEnrolment(ctx, n.Admin(), "fra-ca")
	if err != nil {
		b.Fatal(err)
	}
	res, err := n.Enrol(ctx, e.Code, "bench")
	if err != nil {
		b.Fatal(err)
	}
	by := casework.Actor{ID: "fra-ca", State: "FRA", Role: identity.CentralAuthority}
	var c casework.Contents
	if err := json.Unmarshal([]byte(preservationJSON), &c); err != nil {
		b.Fatal(err)
	}
	r, err := n.CreateRequest(ctx, by, c)
	if err != nil {
		b.Fatal(err)
	}
	return res.Token, r.ID
}

// writeRandomFile writes size bytes that do not compress, fast.
func writeRandomFile(b *testing.B, path string, size int64) {
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	rng := rand.NewChaCha8([32]byte{1})
	buf := make([]byte, 1<<20)
	for left := size; left > 0; left -= int64(len(buf)) {
		rng.Read(buf)
		if _, err := f.Write(buf[:min(left, int64(len(buf)))]); err != nil {
			b.Fatal(err)
		}
	}
	// On disk before the run, as a file to ingest is: its pages are clean
	// and do not count against the writeback the ingest itself causes.
	if err := errors.Join(f.Sync(), f.Close()); err != nil {
		b.Fatal(err)
	}
}

func benchUpload(b *testing.B, base, token, request, path string, size int64) {
	do := func(req *http.Request) *http.Response {
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Tus-Resumable", "1.0.0")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		return res
	}
	req, _ := http.NewRequest("POST", base+"/api/v1/requests/"+request+"/uploads", nil)
	req.Header.Set("Upload-Length", strconv.FormatInt(size, 10))
	req.Header.Set("Upload-Metadata", "filename aW5nZXN0LmJpbg==")
	res := do(req)
	if res.StatusCode != http.StatusCreated {
		b.Fatalf("POST uploads: %s", res.Status)
	}
	loc := res.Header.Get("Location")
	f, err := os.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	req, _ = http.NewRequest("PATCH", loc, f)
	req.ContentLength = size
	req.Header.Set("Content-Type", "application/offset+octet-stream")
	req.Header.Set("Upload-Offset", "0")
	if res := do(req); res.StatusCode != http.StatusNoContent || res.Header.Get("Upload-Offset") != strconv.FormatInt(size, 10) {
		b.Fatalf("PATCH: %s, offset %s", res.Status, res.Header.Get("Upload-Offset"))
	}
}

// timeWrite times writing size bytes that do not compress to a new file
// in dir and syncing it, as the store must: what the device allows.
func timeWrite(b *testing.B, dir string, size int64) time.Duration {
	path := filepath.Join(dir, "write.bin")
	defer os.Remove(path)
	buf := make([]byte, 1<<20)
	rand.NewChaCha8([32]byte{2}).Read(buf)
	start := time.Now()
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	for left := size; left > 0; left -= int64(len(buf)) {
		if _, err := f.Write(buf[:min(left, int64(len(buf)))]); err != nil {
			b.Fatal(err)
		}
	}
	if err := errors.Join(f.Sync(), f.Close()); err != nil {
		b.Fatal(err)
	}
	return time.Since(start)
}

// vmHWM reads the peak resident memory of process pid, in MiB.
func vmHWM(b *testing.B, pid int) float64 {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		b.Fatal(err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 64)
			if err != nil {
				b.Fatal(err)
			}
			return kb / 1024
		}
	}
	b.Fatal("no VmHWM")
	return 0
}
