package web

import (
	"bytes"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	sumdb "golang.org/x/mod/sumdb/tlog"

	"entraide/internal/auditlog"
	"entraide/internal/node"
	"entraide/internal/store"
	"entraide/internal/store/storetest"
	"entraide/internal/tlog"
)

// appendRecords writes count audit records of FRA, one per transaction.
func appendRecords(tb testing.TB, tn *testNode, count int) (seqs []int64) {
	tb.Helper()
	for i := range count {
		err := tn.Node.DB().Tx(tb.Context(), func(tx *store.Tx) error {
			seq, err := tx.Audit(tb.Context(), auditlog.Record{At: testEpoch, Node: "FRA", State: "FRA", ActorState: "FRA", Actor: "cli",
				Action: "test.record", Subject: fmt.Sprintf("test/%d", i)})
			seqs = append(seqs, seq)
			return err
		})
		if err != nil {
			tb.Fatal(err)
		}
	}
	return seqs
}

// httpTiles reads the node's tiles over HTTP, as a tlog-tiles client does:
// x/mod's TileHashReader checks each tile it reads against the tree.
type httpTiles struct {
	tb testing.TB
	tn *testNode
}

func (h httpTiles) Height() int { return tlog.TileHeight }

func (h httpTiles) ReadTiles(tiles []sumdb.Tile) ([][]byte, error) {
	out := make([][]byte, len(tiles))
	for i, t := range tiles {
		r := h.tn.do(h.tb, "GET", "/log/"+tlog.TilePath(t), "", nil)
		if r.Status != http.StatusOK {
			return nil, fmt.Errorf("GET /log/%s: %d %s", tlog.TilePath(t), r.Status, r.Body)
		}
		out[i] = r.Body
	}
	return out, nil
}

func (httpTiles) SaveTiles([]sumdb.Tile, [][]byte) {}

// TestLogTiles reads the log as a client of C2SP tlog-tiles that knows
// only the verifier key: the checkpoint, the hash tiles through x/mod's
// tile reader, which checks every tile against the signed root, and the
// entry bundles, whose entries hash to the tiles' leaves.
func TestLogTiles(t *testing.T) {
	for _, backend := range storetest.Backends {
		t.Run(backend, func(t *testing.T) {
			tn := newTestNode(t, backend)
			appendRecords(t, tn, 600)
			integrateLog(t, tn)
			key := decodeBody[node.LogKey](t, tn.do(t, "GET", "/api/v1/log/key", "", nil))
			r := tn.do(t, "GET", "/log/checkpoint", "", nil)
			if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
				t.Errorf("checkpoint Content-Type %q, want text/plain", ct)
			}
			cp, _, err := tlog.ParseCheckpoint(r.Body, key.VerifierKey)
			if err != nil {
				t.Fatalf("ParseCheckpoint(%s) = %v", r.Body, err)
			}
			if cp.Size < 600 || cp.Origin != key.Origin {
				t.Fatalf("checkpoint = %+v, want 600 records or more, of origin %s", cp, key.Origin)
			}
			thr := sumdb.TileHashReader(sumdb.Tree{N: cp.Size, Hash: cp.Root}, httpTiles{t, tn})
			if root, err := sumdb.TreeHash(cp.Size, thr); err != nil || root != cp.Root {
				t.Fatalf("root from the tiles = %s, %v; want the checkpoint's %s", root, err, cp.Root)
			}
			// Every entry, from the bundles, is the leaf the tiles prove.
			var entries [][]byte
			for n := int64(0); n*tlog.TileWidth < cp.Size; n++ {
				w := min(cp.Size-n*tlog.TileWidth, tlog.TileWidth)
				path := "/log/" + tlog.TilePath(tlog.Tile{H: tlog.TileHeight, L: -1, N: n, W: int(w)})
				r := tn.do(t, "GET", path, "", nil)
				if r.Status != http.StatusOK {
					t.Fatalf("GET %s: %d %s", path, r.Status, r.Body)
				}
				bundle, err := tlog.ParseEntryBundle(r.Body)
				if err != nil || len(bundle) != int(w) {
					t.Fatalf("GET %s: %d entries, %v; want %d", path, len(bundle), err, w)
				}
				entries = append(entries, bundle...)
			}
			for _, i := range []int64{0, 255, 256, 511, cp.Size - 1} {
				if _, err := tlog.ParseEntry(entries[i]); err != nil {
					t.Errorf("entry %d: %v", i, err)
				}
				p, err := sumdb.ProveRecord(cp.Size, i, thr)
				if err != nil {
					t.Fatalf("ProveRecord(%d) from the tiles = %v", i, err)
				}
				if err := sumdb.CheckRecord(p, cp.Size, cp.Root, i, tlog.LeafHash(entries[i])); err != nil {
					t.Errorf("entry %d is not the leaf the tiles prove: %v", i, err)
				}
				// The API's proof is the tiles'.
				api := decodeBody[node.Proof](t, tn.do(t, "GET", fmt.Sprintf("/api/v1/log/inclusion?index=%d&size=%d", i, cp.Size), "", nil))
				if fmt.Sprint(api.Proof) != fmt.Sprint(p) || api.Root != cp.Root {
					t.Errorf("inclusion proof of %d from the API differs from the tiles'", i)
				}
			}
			// A later checkpoint is consistent with this one.
			appendRecords(t, tn, 3)
			integrateLog(t, tn)
			latest, _, err := tlog.ParseCheckpoint(tn.do(t, "GET", "/log/checkpoint", "", nil).Body, key.VerifierKey)
			if err != nil {
				t.Fatal(err)
			}
			cons := decodeBody[node.Proof](t, tn.do(t, "GET", fmt.Sprintf("/api/v1/log/consistency?old=%d", cp.Size), "", nil))
			if cons.Size != latest.Size || cons.Root != latest.Root {
				t.Errorf("consistency proof against size %d root %s, want the latest checkpoint's %d %s", cons.Size, cons.Root, latest.Size, latest.Root)
			}
			if err := tlog.VerifyConsistency(cons.Proof, latest.Size, latest.Root, cp.Size, cp.Root); err != nil {
				t.Errorf("VerifyConsistency(%d, %d) = %v", cp.Size, latest.Size, err)
			}

			// Full tiles never change; what the tree does not hold is a 404
			// that says what to ask for, and so is a path not in the form.
			if r := tn.do(t, "GET", "/log/tile/0/000", "", nil); r.Header.Get("Cache-Control") != "public, max-age=31536000, immutable" {
				t.Errorf("full tile Cache-Control %q, want immutable", r.Header.Get("Cache-Control"))
			}
			for _, path := range []string{"/log/tile/0/999", "/log/tile/entries/005.p/3", "/log/tile/1/000", "/log/tile/0/000.p/256", "/log/tile/8/0/000", "/log/tile/x"} {
				r := tn.do(t, "GET", path, "", nil)
				if p := r.problem(t); r.Status != http.StatusNotFound || len(p.Errors) == 0 || p.Errors[0].Field != "path" {
					t.Errorf("GET %s = %d %s, want 404 naming the path", path, r.Status, r.Body)
				}
			}
			for _, tt := range []struct{ path, field string }{
				{"/api/v1/log/inclusion", "index"},
				{"/api/v1/log/inclusion?index=-1", "index"},
				{fmt.Sprintf("/api/v1/log/inclusion?index=%d", latest.Size), "index"},
				{fmt.Sprintf("/api/v1/log/inclusion?index=0&size=%d", latest.Size+1), "size"},
				{"/api/v1/log/inclusion?index=0&size=0", "size"},
				{"/api/v1/log/consistency", "old"},
				{"/api/v1/log/consistency?old=0", "old"},
				{fmt.Sprintf("/api/v1/log/consistency?old=%d&size=%d", cp.Size, cp.Size-1), "old"},
			} {
				r := tn.do(t, "GET", tt.path, "", nil)
				if p := r.problem(t); r.Status != http.StatusBadRequest || len(p.Errors) == 0 || p.Errors[0].Field != tt.field {
					t.Errorf("GET %s = %d %s, want 400 naming %s", tt.path, r.Status, r.Body, tt.field)
				}
			}
		})
	}
}

// TestLogBehindAtMostASecond runs the node's log loop while records are
// written, and checks that each record is in a signed checkpoint soon
// after its commit, without waiting on a clock in the test: the loop's
// interval is what bounds it.
func TestLogBehindAtMostASecond(t *testing.T) {
	tn := newTestNode(t, "sqlite")
	ctx := t.Context()
	done := make(chan struct{})
	go func() { defer close(done); tn.Node.RunLog(ctx) }()
	t.Cleanup(func() { <-done }) // before the database closes
	seqs := appendRecords(t, tn, 5)
	last := seqs[len(seqs)-1]
	for {
		if _, _, err := tn.Node.DB().AuditRecord(ctx, "FRA", last); err == nil {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatal("the log loop never integrated the records")
		case <-time.After(node.LogInterval / 5):
		}
	}
	if node.LogInterval > 500*time.Millisecond {
		t.Errorf("LogInterval = %s: a checkpoint may be more than a second behind", node.LogInterval)
	}
	head, err := tn.Node.DB().LogHead(ctx)
	if err != nil || !bytes.Contains(head.Checkpoint, []byte(head.Origin)) {
		t.Errorf("LogHead = %+v, %v; want a signed checkpoint", head, err)
	}
}
