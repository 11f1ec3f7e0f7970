package main

import (
	"crypto/tls"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"entraide/internal/localca"
	"entraide/internal/web"
)

// TestServeTLS serves a node over HTTPS and talks to it as a client that
// offers HTTP/2: the answer comes over HTTP/2, with HSTS.
func TestServeTLS(t *testing.T) {
	c := newCLI(t)
	c.init()
	ca, err := localca.New("test CA", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	certPEM, keyPEM, err := ca.IssuePEM("node")
	if err != nil {
		t.Fatal(err)
	}
	base := startServe(t, c, "--tls-cert", writeFile(t, "cert.pem", string(certPEM)), "--tls-key", writeFile(t, "key.pem", string(keyPEM)))
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: ca.ClientConfig(), ForceAttemptHTTP2: true}}
	resp, err := client.Get(base + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.ProtoMajor != 2 || resp.TLS == nil || resp.TLS.NegotiatedProtocol != "h2" {
		t.Errorf("GET /healthz over TLS: %s, ALPN %q; want HTTP/2 (h2)", resp.Proto, negotiated(resp.TLS))
	}
	if got := resp.Header.Get("Strict-Transport-Security"); !strings.HasPrefix(got, "max-age=") {
		t.Errorf("Strict-Transport-Security = %q, want max-age=...", got)
	}
}

func negotiated(cs *tls.ConnectionState) string {
	if cs == nil {
		return ""
	}
	return cs.NegotiatedProtocol
}

// TestOpenAPICommand: entraide openapi prints the document the API serves,
// for linters, without a node.
func TestOpenAPICommand(t *testing.T) {
	c := newCLI(t)
	out := c.must("openapi")
	if out != string(web.OpenAPI())+"\n" {
		t.Errorf("entraide openapi printed %d bytes, want the served document (%d bytes)", len(out), len(web.OpenAPI()))
	}
}

// A limit of zero or less, or less inbox memory than one envelope needs,
// is refused naming its flag: the node used to replace it silently with
// its default or its minimum, not what the operator wrote.
func TestServeRefusesLimitsItWouldReplace(t *testing.T) {
	c := newCLI(t)
	c.init()
	for _, args := range [][]string{
		{"--limit-auth-failures", "0"},
		{"--limit-inbox-failures", "-5"},
		{"--limit-api-rate", "0"},
		{"--limit-api-burst", "0"},
		{"--limit-alert-streams", "0"},
		{"--inbox-body-timeout", "0s"},
		{"--security-events-kept", "0"},
		{"--limit-public-reports", "0"},
		{"--inbox-memory", "1"},
	} {
		// An address it cannot listen on: were the limit not refused
		// first, serve would fail there, naming no flag, not serve on.
		_, _, err := c.run(append([]string{"serve", "--addr", "127.0.0.1:99999"}, args...)...)
		if err == nil || !strings.Contains(err.Error(), args[0]) {
			t.Errorf("serve %v = %v, want an error naming %s", args, err, args[0])
		}
	}
}
