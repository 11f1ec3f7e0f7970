package archive_test

import (
	"archive/tar"
	"bytes"
	"io"
	"testing"
)

// member is where a member's header and content lie in an archive.
type member struct {
	name           string
	header, offset int64 // where its header block and its content start
	size           int64
}

type counter struct {
	r io.Reader
	n int64
}

func (c *counter) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

func members(t testing.TB, b []byte) []member {
	t.Helper()
	c := &counter{r: bytes.NewReader(b)}
	tr := tar.NewReader(c)
	var out []member
	end := int64(0)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		// The header block is the last one read before the content.
		out = append(out, member{name: h.Name, header: c.n - 512, offset: c.n, size: h.Size})
		n, _ := io.Copy(io.Discard, tr)
		end = c.n
		_ = n
		_ = end
	}
}
