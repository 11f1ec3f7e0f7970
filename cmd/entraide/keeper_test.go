package main

import (
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"entraide/internal/keeper"
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
