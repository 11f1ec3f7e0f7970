package main

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"

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
	b, err := blob.OpenBucket(ctx, url)
	if err != nil {
		scheme, _, _ := strings.Cut(url, "://")
		return nil, fmt.Errorf("--blob %s://...: %w (schemes this binary opens: %s)", scheme, err, strings.Join(blob.DefaultURLMux().BucketSchemes(), ", "))
	}
	return evidence.NewVault(b), nil
}
