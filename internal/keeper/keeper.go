// Package keeper opens the keeper that wraps a node's private keys at
// rest, so that a copy of the database alone signs and decrypts nothing.
//
// By default the keeper is local: a 256-bit key in a file of the node's
// data directory (FileName), readable by its owner only, outside the
// database and created at init, which wraps each private key with
// NaCl secretbox (gocloud.dev/secrets/localsecrets). A keeper URL names
// another keeper of gocloud.dev/secrets instead, such as a cloud KMS or a
// Vault; only the schemes whose drivers are registered in the binary open
// (Schemes lists them).
package keeper

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"gocloud.dev/secrets"
	"gocloud.dev/secrets/localsecrets"
)

// FileName is the local keeper's file in the data directory.
const FileName = "keeper.key"

// Flag and Env name the setting that chooses another keeper, for the
// messages that tell an operator what to do.
const (
	Flag = "--key-keeper"
	Env  = "ENTRAIDE_KEY_KEEPER"
)

// ErrMissing is matched by the error for a local keeper file that does
// not exist.
var ErrMissing = errors.New("key keeper file missing")

// Path returns the local keeper's file in dataDir.
func Path(dataDir string) string { return filepath.Join(dataDir, FileName) }

// Create makes the local keeper's file in dataDir, with a new random key,
// readable and writable by its owner only. A file already there is kept,
// and opened: a node restored from a backup keeps its keeper. It returns
// whether the file is new.
func Create(dataDir string) (created bool, err error) {
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return false, fmt.Errorf("create data directory: %w", err)
	}
	var key [32]byte
	if _, err := rand.Read(key[:]); err != nil {
		return false, err
	}
	path := Path(dataDir)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		_, err := readKey(path)
		return false, err
	}
	if err != nil {
		return false, fmt.Errorf("create the key keeper file: %w", err)
	}
	_, err = f.WriteString(base64.StdEncoding.EncodeToString(key[:]) + "\n")
	if err := errors.Join(err, f.Sync(), f.Close()); err != nil {
		os.Remove(path)
		return false, fmt.Errorf("write the key keeper file %s: %w", path, err)
	}
	return true, nil
}

// Open opens the keeper that url names or, if url is empty, the local
// keeper whose file is in dataDir. A missing file is an error that names
// it and the flag; so is a file that others than its owner may read.
func Open(ctx context.Context, dataDir, url string) (*secrets.Keeper, error) {
	if url != "" {
		// gocloud makes a random key for a base64key:// URL without one:
		// keys wrapped with it could never be unwrapped again.
		if strings.TrimRight(url, "/") == localsecrets.Scheme+":" {
			return nil, fmt.Errorf("%s %s: give the key in the URL, base64key://KEY (32 bytes, URL-safe base64), or leave %s unset for the keeper file", Flag, url, Flag)
		}
		k, err := secrets.OpenKeeper(ctx, url)
		if err != nil {
			return nil, fmt.Errorf("%s %s: %w (schemes this binary opens: %s)", Flag, redact(url), err, strings.Join(Schemes(), ", "))
		}
		return k, nil
	}
	key, err := readKey(Path(dataDir))
	if err != nil {
		return nil, err
	}
	return localsecrets.NewKeeper(key), nil
}

func readKey(path string) ([32]byte, error) {
	var key [32]byte
	info, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return key, fmt.Errorf("%w: %s is not there, and the node's private keys cannot be unwrapped without it: restore it from your backup into the data directory, or give %s (env %s) if the node's keys are kept by a KMS or Vault", ErrMissing, path, Flag, Env)
	}
	if err != nil {
		return key, fmt.Errorf("key keeper file: %w", err)
	}
	if perm := info.Mode().Perm(); perm&0o077 != 0 {
		return key, fmt.Errorf("key keeper file %s may be read by others than its owner (mode %04o): chmod 600 it", path, perm)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return key, fmt.Errorf("key keeper file: %w", err)
	}
	key, err = localsecrets.Base64KeyStd(strings.TrimSpace(string(data)))
	if err != nil {
		return key, fmt.Errorf("key keeper file %s does not hold a base64 256-bit key: %v", path, err)
	}
	return key, nil
}

// Schemes lists the keeper URL schemes this binary opens.
func Schemes() []string { return secrets.DefaultURLMux().KeeperSchemes() }

// redact keeps a keeper URL's scheme and host: a base64key:// URL holds
// the key itself.
func redact(url string) string {
	scheme, rest, ok := strings.Cut(url, "://")
	if !ok {
		return "(not a URL)"
	}
	if scheme == localsecrets.Scheme {
		return scheme + "://..."
	}
	host, _, _ := strings.Cut(rest, "/")
	return scheme + "://" + host + "/..."
}
