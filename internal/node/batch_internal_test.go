package node

import (
	"crypto/ecdh"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"entraide/internal/federation"
)

// TestPostBatched has 200 workers post at once to a peer that takes a
// while to answer: each gets the result for its own envelope, no more
// than postsPerPeer posts are on their way at once, and the envelopes
// share posts. A peer that does not know batches gets none after its
// first 404.
func TestPostBatched(t *testing.T) {
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	x, _ := ecdh.X25519().GenerateKey(rand.Reader)
	key := federation.SigningKey{ID: federation.KeyID(priv.Public().(ed25519.PublicKey)), Private: priv}
	for _, older := range []bool{false, true} {
		t.Run(fmt.Sprintf("older=%v", older), func(t *testing.T) {
			var posts, inFlight, maxInFlight atomic.Int64
			srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				posts.Add(1)
				if older {
					http.NotFound(w, r)
					return
				}
				now := inFlight.Add(1)
				defer inFlight.Add(-1)
				for m := maxInFlight.Load(); now > m && !maxInFlight.CompareAndSwap(m, now); m = maxInFlight.Load() {
				}
				envs, _, err := federation.ParseBatch(r.Body)
				if err != nil {
					http.Error(w, err.Error(), http.StatusBadRequest)
					return
				}
				time.Sleep(5 * time.Millisecond)
				var a federation.BatchAnswer
				for i, e := range envs {
					res := federation.BatchResult{MessageID: e.ID}
					if i%7 == 3 {
						res.Status, res.Reason, res.Detail = http.StatusConflict, ReasonOutOfOrder, "later"
					} else {
						res.Receipt = &federation.Receipt{MessageID: e.ID}
					}
					a.Results = append(a.Results, res)
				}
				json.NewEncoder(w).Encode(a)
			}))
			defer srv.Close()
			n := &Node{fed: FederationConfig{Client: srv.Client(), Log: slog.New(slog.DiscardHandler)}}
			peer := &federation.Descriptor{State: "VNM", BaseURL: srv.URL}
			const workers = 200
			var wg sync.WaitGroup
			for i := range workers {
				wg.Go(func() {
					e, err := federation.Seal(key, "FRA", "VNM", x.PublicKey(), fmt.Sprintf("01a212ea-c3b3-778b-b123-%012x", i), "request.send", time.Now(), []byte("{}"))
					if err != nil {
						t.Error(err)
						return
					}
					rc, err := n.postBatched(t.Context(), peer, e, e.Marshal())
					switch {
					case older:
						if !errors.Is(err, errNoBatches) {
							t.Errorf("worker %d, peer without batches: %v, %v; want errNoBatches", i, rc, err)
						}
					case err == nil && rc != nil && rc.MessageID == e.ID:
					case err != nil && errors.As(err, new(*federation.Error)):
						if fe := err.(*federation.Error); fe.Reason != ReasonOutOfOrder {
							t.Errorf("worker %d: refusal %v, want %s", i, err, ReasonOutOfOrder)
						}
					default:
						t.Errorf("worker %d: %v, %v; want the receipt for %s", i, rc, err, e.ID)
					}
				})
			}
			wg.Wait()
			if older {
				if p := posts.Load(); p > postsPerPeer {
					t.Errorf("%d posts to a peer without batches, want at most %d: the first 404s", p, postsPerPeer)
				}
				return
			}
			if p := posts.Load(); p >= workers {
				t.Errorf("%d posts for %d envelopes, want them to share posts", p, workers)
			}
			if m := maxInFlight.Load(); m > postsPerPeer {
				t.Errorf("%d posts at once to one peer, want at most %d", m, postsPerPeer)
			}
			n.batches.mu.Lock()
			p := n.batches.peers["VNM"]
			if p.posting != 0 || len(p.queue) != 0 {
				t.Errorf("after every post: %d leading and %d waiting, want none", p.posting, len(p.queue))
			}
			n.batches.mu.Unlock()
		})
	}
}
