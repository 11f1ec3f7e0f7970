package main

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestOIDCFlags(t *testing.T) {
	secret := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(secret, []byte("s3cret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		args    []string
		environ map[string]string
		want    string // in the error; "" for none
		secret  string
	}{
		{name: "none", args: nil},
		{name: "a client without an issuer", args: []string{"--oidc-client-id", "entraide"}, want: "--oidc-issuer"},
		{name: "a plain issuer", args: []string{"--oidc-issuer", "http://idp.example", "--oidc-client-id", "x", "--oidc-client-secret-file", secret}, want: "--oidc-issuer"},
		{name: "no client id", args: []string{"--oidc-issuer", "https://idp.example", "--oidc-client-secret-file", secret}, want: "--oidc-client-id"},
		{name: "no secret", args: []string{"--oidc-issuer", "https://idp.example", "--oidc-client-id", "x"}, want: "--oidc-client-secret-file"},
		{name: "a missing secret file", args: []string{"--oidc-issuer", "https://idp.example", "--oidc-client-id", "x", "--oidc-client-secret-file", secret + ".gone"}, want: "--oidc-client-secret-file"},
		{name: "secret from its file", args: []string{"--oidc-issuer", "https://idp.example", "--oidc-client-id", "x", "--oidc-client-secret-file", secret}, secret: "s3cret"},
		{name: "secret from the environment", args: []string{"--oidc-issuer", "https://idp.example", "--oidc-client-id", "x"},
			environ: map[string]string{"ENTRAIDE_OIDC_CLIENT_SECRET": "from env"}, secret: "from env"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := env{getenv: func(k string) string { return tt.environ[k] }, stdin: strings.NewReader(""), stdout: io.Discard, stderr: io.Discard}
			fs := newFlags(e, "serve", "")
			f := addOIDCFlags(fs, e)
			if err := fs.Parse(tt.args); err != nil {
				t.Fatal(err)
			}
			c, err := f.config(e)
			switch {
			case tt.want != "":
				if err == nil || !strings.Contains(err.Error(), tt.want) {
					t.Errorf("config() = %v, want an error naming %s", err, tt.want)
				}
			case err != nil:
				t.Errorf("config() = %v", err)
			case tt.secret == "" && c != nil:
				t.Errorf("config() = %+v without --oidc-issuer, want none", c)
			case tt.secret != "" && (c == nil || c.ClientSecret != tt.secret || c.Claim != "preferred_username"):
				t.Errorf("config() = %+v, want secret %q and the default claim", c, tt.secret)
			}
		})
	}
}
