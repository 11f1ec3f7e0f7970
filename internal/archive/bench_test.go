package archive_test

import (
	"context"
	"crypto/sha256"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"entraide/internal/archive"
	"entraide/internal/archive/archivetest"
)

// seeded is size bytes of deterministic noise, made as it is read.
type seeded struct {
	rng  *rand.ChaCha8
	left int64
}

func newSeeded(size int64) *seeded {
	return &seeded{rng: rand.NewChaCha8([32]byte{'e', 'v', 'i', 'd', 'e', 'n', 'c', 'e'}), left: size}
}

func (s *seeded) Read(p []byte) (int, error) {
	if s.left == 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > s.left {
		p = p[:s.left]
	}
	n, _ := s.rng.Read(p)
	s.left -= int64(n)
	return n, nil
}

type seededContents map[string]int64

func (c seededContents) Open(_ context.Context, id string) (io.ReadCloser, error) {
	return io.NopCloser(newSeeded(c[id])), nil
}

// BenchmarkVerify1GiB verifies a package holding 1 GiB of evidence (one
// file of 768 MiB and one of 256 MiB), read from a file, against the plain
// SHA-256 of the same file in the same run. The figure to read is
// verify/sha256, the ratio of the two times (target: at most 1.5).
func BenchmarkVerify1GiB(b *testing.B) {
	sizes := map[string]int64{"disk.img": 768 << 20, "mail.mbox": 256 << 20}
	sums := map[string][32]byte{}
	for id, size := range sizes {
		h := sha256.New()
		if _, err := io.Copy(h, newSeeded(size)); err != nil {
			b.Fatal(err)
		}
		sums[id] = [32]byte(h.Sum(nil))
	}
	path := filepath.Join(b.TempDir(), "package.tar")
	out, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	vkey, wvkey := archivetest.Build(b, out, sizes, sums, seededContents(sizes))
	if err := out.Close(); err != nil {
		b.Fatal(err)
	}
	info, _ := os.Stat(path)
	b.SetBytes(info.Size())
	var plain, verify time.Duration
	buf := make([]byte, 1<<20)
	b.ResetTimer()
	for b.Loop() {
		f, err := os.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		h := sha256.New()
		for {
			n, err := f.Read(buf)
			h.Write(buf[:n])
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
		}
		h.Sum(nil)
		plain += time.Since(start)
		f.Close()

		f, err = os.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		start = time.Now()
		rep, err := archive.Verify(f, []string{vkey, wvkey})
		verify += time.Since(start)
		f.Close()
		if err != nil || !rep.OK {
			b.Fatalf("Verify: %v, %+v", err, rep.Problems)
		}
	}
	b.ReportMetric(float64(verify)/float64(plain), "verify/sha256")
	b.ReportMetric(float64(info.Size())*float64(b.N)/plain.Seconds()/(1<<20), "sha256-MiB/s")
	b.ReportMetric(float64(info.Size())*float64(b.N)/verify.Seconds()/(1<<20), "verify-MiB/s")
}
