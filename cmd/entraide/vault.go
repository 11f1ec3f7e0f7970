package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"gocloud.dev/blob"
	"gocloud.dev/blob/fileblob"
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
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, fmt.Errorf("create the evidence store %s: %w", dir, err)
		}
		// Temporary files beside the objects: a rename across mounts
		// would fail, and the objects are renamed into place whole.
		b, err := fileblob.OpenBucket(dir, &fileblob.Options{NoTempDir: true, DirFileMode: 0o700, Metadata: fileblob.MetadataDontWrite})
		if err != nil {
			return nil, fmt.Errorf("open the evidence store %s: %w", dir, err)
		}
		return evidence.NewVault(b), nil
	}
	b, err := blob.OpenBucket(ctx, url)
	if err != nil {
		scheme, _, _ := strings.Cut(url, "://")
		return nil, fmt.Errorf("--blob %s://...: %w (schemes this binary opens: %s)", scheme, err, strings.Join(blob.DefaultURLMux().BucketSchemes(), ", "))
	}
	return evidence.NewVault(b), nil
}
