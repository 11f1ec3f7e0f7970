package main

import (
	"bytes"
	"crypto/ecdh"
	"crypto/ed25519"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"entraide/internal/federation"
	"entraide/internal/keeper"
	"entraide/internal/store"
)

// init makes the keeper file, apart from the database; without it the
// node does not open, and says which file is missing and which flag
// names another keeper.
func TestKeeperFile(t *testing.T) {
	c := newCLI(t)
	out := c.must("init", "--state", "FRA", "--admin-name", "Admin Istrateur")
	path := filepath.Join(c.dataDir(), keeper.FileName)
	if !strings.Contains(out, path) || !strings.Contains(out, "Back that file up") {
		t.Errorf("init stdout = %q, want it to name %s and ask for a backup", out, path)
	}
	info, err := os.Stat(path)
	if err != nil {
		t.Fatalf("keeper file after init: %v", err)
	}
	if perm := info.Mode().Perm(); perm != 0o600 {
		t.Errorf("keeper file mode %04o, want 0600", perm)
	}
	db, err := os.ReadFile(filepath.Join(c.dataDir(), "entraide.db"))
	if err != nil {
		t.Fatal(err)
	}
	key, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(db), strings.TrimSpace(string(key))) {
		t.Errorf("the database holds the keeper's key")
	}
	c.must("user", "list")

	// The same key named by URL opens the node too.
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(key)))
	if err != nil {
		t.Fatal(err)
	}
	hidden := path + ".backup"
	if err := os.Rename(path, hidden); err != nil {
		t.Fatal(err)
	}
	c.must("user", "list", "--key-keeper", "base64key://"+base64.URLEncoding.EncodeToString(raw))

	for _, tt := range []struct {
		name string
		args []string
		env  map[string]string
		want []string
	}{
		{"keeper file missing", []string{"user", "list"}, nil, []string{path, "--key-keeper", "backup"}},
		{"keeper file missing, keys rotate", []string{"keys", "rotate"}, nil, []string{path, "--key-keeper"}},
		{"another keeper", []string{"user", "list"}, map[string]string{keeper.Env: "base64key://" + base64.URLEncoding.EncodeToString(make([]byte, 32))}, []string{"cannot unwrap"}},
		{"a keeper URL without its key", []string{"user", "list", "--key-keeper", "base64key://"}, nil, []string{"give the key in the URL"}},
		{"an unknown keeper scheme", []string{"user", "list", "--key-keeper", "nokms://key"}, nil, []string{"--key-keeper nokms://key/...", "base64key"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			for k, v := range tt.env {
				c.env[k] = v
			}
			defer func() {
				for k := range tt.env {
					delete(c.env, k)
				}
			}()
			_, _, err := c.run(tt.args...)
			if err == nil {
				t.Fatalf("%v = nil, want an error", tt.args)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("%v = %q, want it to contain %q", tt.args, err, w)
				}
			}
		})
	}

	// Restored, but readable by all: refused until chmod 600.
	if err := os.Rename(hidden, path); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.run("user", "list"); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Errorf("user list with the keeper file mode 0644 = %v, want chmod 600 asked", err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		t.Fatal(err)
	}
	c.must("keys", "rotate")
}

// A node made before keys were wrapped has them in clear in its database
// and no keeper file. Its first command makes the keeper file, says to
// back it up, and the node wraps its keys, audited; it did not open at
// all, sending its operator to restore a backup that never existed.
func TestKeeperFileMadeForKeysInClear(t *testing.T) {
	c := newCLI(t)
	c.must("init", "--state", "FRA", "--admin-name", "Admin Istrateur")
	path := filepath.Join(c.dataDir(), keeper.FileName)
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	// As an earlier version left it: the node's keys, in clear.
	dsn := filepath.Join(c.dataDir(), "entraide.db")
	raw, err := sql.Open("sqlite", dsn)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := raw.ExecContext(t.Context(), `DELETE FROM node_keys`); err != nil {
		t.Fatal(err)
	}
	raw.Close()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	x, err := ecdh.X25519().GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	from := time.Now().Add(-time.Hour)
	clear := []store.Key{
		{ID: federation.KeyID(pub), Purpose: "signing", Public: pub, Private: priv.Seed(), ValidFrom: from},
		{ID: federation.KeyID(x.PublicKey().Bytes()), Purpose: "encryption", Public: x.PublicKey().Bytes(), Private: x.Bytes(), ValidFrom: from},
	}
	db, err := store.Open(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Tx(t.Context(), func(tx *store.Tx) error {
		for _, k := range clear {
			if err := tx.InsertKey(t.Context(), k); err != nil {
				return err
			}
		}
		return nil
	})
	db.Close()
	if err != nil {
		t.Fatal(err)
	}

	out, errOut, err := c.run("user", "list")
	if err != nil {
		t.Fatalf("user list on a node with keys in clear and no keeper file = %v, want the keeper file made", err)
	}
	if !strings.Contains(errOut, path) || !strings.Contains(errOut, "Back that file up") || !strings.Contains(out, "Admin Istrateur") {
		t.Errorf("user list: stdout %q, stderr %q; want the officials, and the new keeper file named with a backup asked", out, errOut)
	}
	if info, err := os.Stat(path); err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("keeper file after the first command: %v, %v; want mode 0600", info, err)
	}
	n := c.openNode()
	keys, err := n.DB().Keys(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range keys {
		if !k.Wrapped || bytes.Contains(k.Private, clear[0].Private) || bytes.Contains(k.Private, clear[1].Private) {
			t.Errorf("key %s: wrapped %v; want wrapped, without its private key in clear", k.ID, k.Wrapped)
		}
	}
	if _, errOut, err := c.run("user", "list"); err != nil || errOut != "" {
		t.Errorf("second user list = %v, stderr %q; want no new keeper", err, errOut)
	}

	// A node whose keys are wrapped never gets a new keeper file: its
	// keys open with theirs only.
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.run("user", "list"); err == nil || !strings.Contains(err.Error(), "backup") {
		t.Errorf("user list with wrapped keys and no keeper file = %v, want the missing file named", err)
	}
	if _, err := os.Stat(path); err == nil {
		t.Errorf("a keeper file was made for a node whose keys are wrapped")
	}
}
