package localnet_test

import (
	"net/http"
	"testing"

	"entraide/internal/web"
)

// TestServersLikeServe: the sandbox's servers have the timeouts of
// `serve`, so that a client trickling its request is cut off, and speak
// HTTP/2.
func TestServersLikeServe(t *testing.T) {
	net, _ := startNetwork(t, "FRA")
	nd := net.Nodes["FRA"]
	srv := nd.Server()
	if srv.ReadHeaderTimeout != web.ReadHeaderTimeout || srv.ReadTimeout != web.ReadTimeout ||
		srv.WriteTimeout != web.WriteTimeout || srv.IdleTimeout != web.IdleTimeout {
		t.Errorf("server timeouts: header %v, read %v, write %v, idle %v; want %v, %v, %v, %v as serve has",
			srv.ReadHeaderTimeout, srv.ReadTimeout, srv.WriteTimeout, srv.IdleTimeout,
			web.ReadHeaderTimeout, web.ReadTimeout, web.WriteTimeout, web.IdleTimeout)
	}
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: net.CA.ClientConfig(), ForceAttemptHTTP2: true}}
	resp, err := client.Get(nd.URL + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.ProtoMajor != 2 {
		t.Errorf("GET /healthz: %s, want HTTP/2", resp.Proto)
	}
}
