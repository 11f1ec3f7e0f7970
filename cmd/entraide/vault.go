package main

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"gocloud.dev/blob"
	_ "gocloud.dev/blob/s3blob" // s3:// buckets for --blob

	"entraide/internal/evidence"
)

// vaultDir is the evidence store's directory in the data directory, by
// default.
const vaultDir = "evidence"

// openVault opens the evidence store that url names (a gocloud.dev/blob
// URL: s3://bucket?region=..., file:///path), or, if url is empty, the
// directory evidence in dataDir.
func openVault(ctx context.Context, dataDir, url string) (*evidence.Vault, error) {
	if url == "" {
		dir, err := filepath.Abs(filepath.Join(dataDir, vaultDir))
		if err != nil {
			return nil, err
		}
		return evidence.OpenDir(dir)
	}
	scheme, rest, _ := strings.Cut(url, "://")
	url = withoutChecksumReads(scheme, url)
	b, err := blob.OpenBucket(ctx, url)
	if err != nil {
		return nil, fmt.Errorf("--blob %s://...: %w (schemes this binary opens: %s)\nnext: correct the URL; the README's \"Evidence in an S3 bucket\" lists what an s3:// URL takes", scheme, err, strings.Join(blob.DefaultURLMux().BucketSchemes(), ", "))
	}
	// Opening an object store's bucket reaches nothing: a wrong name,
	// endpoint or credential would otherwise first show as an upload
	// that fails.
	name, _, _ := strings.Cut(rest, "?")
	lctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if ok, err := b.IsAccessible(lctx); !ok {
		b.Close()
		if err == nil {
			return nil, fmt.Errorf("--blob %s://%s...: the bucket %s does not exist: create it, or correct its name", scheme, name, name)
		}
		return nil, fmt.Errorf("--blob %s://%s...: the bucket %s cannot be listed: %w\nnext: check the endpoint and region in the URL, and that the credentials (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, a profile, or the machine's role) may list, read, write and delete its objects", scheme, name, name, err)
	}
	return evidence.NewVault(b), nil
}

// withoutChecksumReads asks an s3:// store not to check a checksum on
// what it reads, unless the URL says otherwise. age authenticates every
// 64 KiB of an item's bytes, so a changed byte is found anyway; and a
// store that keeps no checksum (many S3-compatible servers) would make
// the SDK warn on every read, on the node's standard error.
func withoutChecksumReads(scheme, url string) string {
	if scheme != "s3" || strings.Contains(url, "response_checksum_validation=") {
		return url
	}
	if strings.Contains(url, "?") {
		return url + "&response_checksum_validation=when_required"
	}
	return url + "?response_checksum_validation=when_required"
}
