package localnet_test

import (
	"context"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"entraide/internal/casework"
	"entraide/internal/identity"
	"entraide/internal/localnet"
	"entraide/internal/node"
)

// TestBatchesAndOlderPeers sends requests from many officials at once: to
// a peer of this version they go in batches, several envelopes a post;
// to a peer of an older version, which answers 404 on the batch route,
// they go one envelope a post. Each arrives once, and raises its alert,
// either way.
func TestBatchesAndOlderPeers(t *testing.T) {
	for _, older := range []bool{false, true} {
		name := "current peer"
		if older {
			name = "older peer"
		}
		t.Run(name, func(t *testing.T) {
			var batches, envelopes atomic.Int64
			front := func(state string, h http.Handler) http.Handler {
				if state != "VNM" {
					return h
				}
				return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					switch r.URL.Path {
					case "/federation/v1/batches":
						batches.Add(1)
						if older {
							http.NotFound(w, r)
							return
						}
					case "/federation/v1/messages":
						envelopes.Add(1)
					}
					h.ServeHTTP(w, r)
				})
			}
			net, err := localnet.Start(t.Context(), []string{"FRA", "VNM"}, localnet.Options{Dir: t.TempDir(),
				Federation: node.FederationConfig{RetryBase: 20 * time.Millisecond}, Front: front})
			if err != nil {
				t.Fatalf("localnet.Start: %v", err)
			}
			t.Cleanup(net.Close)
			token, err := net.Official(t.Context(), "FRA", "fra-ca", "Central authority", identity.CentralAuthority)
			if err != nil {
				t.Fatal(err)
			}
			fra := api{t: t, net: net, url: net.Nodes["FRA"].URL, token: token}
			const requests = 40
			var wg sync.WaitGroup
			errs := make(chan error, requests)
			for range requests {
				wg.Go(func() {
					if _, err := fra.createAndSend(t.Context(), "VNM"); err != nil {
						errs <- err
					}
				})
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Fatal(err)
			}
			vnm := net.Nodes["VNM"]
			waitReceived(t, vnm, requests)
			if alerts, err := vnm.DB.OpenAlerts(t.Context(), "VNM"); err != nil || alerts != requests {
				t.Errorf("VNM has %d open alerts (%v), want %d, one per request", alerts, err, requests)
			}
			views, err := fra.views()
			if err != nil {
				t.Fatal(err)
			}
			for id, v := range views {
				if v.State == casework.Sent {
					// The receipt is recorded just after the peer's commit.
					fra.waitFor(id, casework.Received)
				}
			}
			b, e := batches.Load(), envelopes.Load()
			t.Logf("%d requests: %d batch posts, %d single posts", requests, b, e)
			if older {
				// A batch or two were on their way when the first 404
				// came; every message then went alone.
				if b > 2 || e < requests {
					t.Errorf("to an older peer: %d batch posts and %d single posts, want at most 2 and at least %d", b, e, requests)
				}
				return
			}
			if e != 0 || b == 0 || b >= requests {
				t.Errorf("to a current peer: %d batch posts and %d single posts, want none single and fewer batches than the %d requests", b, e, requests)
			}
		})
	}
}

// waitReceived waits until nd's inbox holds n messages.
func waitReceived(t *testing.T, nd *localnet.Node, n int) {
	t.Helper()
	for deadline := time.Now().Add(deliveryDeadline); ; time.Sleep(10 * time.Millisecond) {
		got, err := nd.DB.Received(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if got == n {
			return
		}
		if got > n || time.Now().After(deadline) {
			t.Fatalf("%s received %d messages, want %d", nd.State, got, n)
		}
	}
}
