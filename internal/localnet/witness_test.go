package localnet_test

import (
	"bytes"
	"database/sql"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	fnote "github.com/transparency-dev/formats/note"
	"golang.org/x/mod/sumdb/note"

	"entraide/internal/alerting"
	"entraide/internal/identity"
	"entraide/internal/localnet"
	"entraide/internal/node"
	"entraide/internal/tlog"
)

// cosigned waits until state's log has a checkpoint of at least size
// cosigned by its peers' witnesses, and returns it.
func cosigned(t *testing.T, nd *localnet.Node, size int64) []byte {
	t.Helper()
	for {
		if c, err := nd.Node.CosignedCheckpoint(t.Context()); err == nil {
			text, _, _ := strings.Cut(string(c), "\n\n")
			var n int64
			fmt.Sscanf(strings.Split(text, "\n")[1], "%d", &n)
			if n >= size {
				return c
			}
		}
		select {
		case <-t.Context().Done():
			t.Fatalf("%s's log was never cosigned at size %d or more", nd.State, size)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// TestWitnessesCosignOverHTTPS runs two nodes peered over HTTPS: each
// submits its checkpoints to the other's witness (C2SP tlog-witness), and
// keeps the cosignatures, which an off-the-shelf cosignature/v1 verifier
// checks with the key from the witness's descriptor.
func TestWitnessesCosignOverHTTPS(t *testing.T) {
	net, officials := startNetwork(t, "FRA", "VNM")
	ctx := t.Context()
	fra, vnm := net.Nodes["FRA"], net.Nodes["VNM"]
	fraKey, err := fra.Node.LogKey(ctx)
	if err != nil {
		t.Fatal(err)
	}
	vnmKey, err := vnm.Node.LogKey(ctx)
	if err != nil {
		t.Fatal(err)
	}
	check := func(c []byte, logKey, witnessKey string) tlog.Checkpoint {
		t.Helper()
		w, err := fnote.NewVerifierForCosignatureV1(witnessKey)
		if err != nil {
			t.Fatal(err)
		}
		cp, n, err := tlog.ParseCheckpoint(c, logKey, w)
		if err != nil {
			t.Fatalf("cosigned checkpoint %s: %v", c, err)
		}
		if !slicesHas(n.Sigs, w.Name()) {
			t.Fatalf("cosigned checkpoint %s has no valid signature of the witness %s", c, w.Name())
		}
		return cp
	}
	first := check(cosigned(t, fra, 1), fraKey.VerifierKey, vnmKey.WitnessKey)
	check(cosigned(t, vnm, 1), vnmKey.VerifierKey, fraKey.WitnessKey)

	// FRA's log grows; VNM cosigns the larger checkpoint, which the
	// consistency proof from the one before proved an extension of.
	var r struct{ ID string }
	if code := officials["FRA"].do("POST", "/api/v1/requests", preservation("VNM"), &r); code != http.StatusCreated {
		t.Fatalf("create: %d", code)
	}
	later := check(cosigned(t, fra, first.Size+1), fraKey.VerifierKey, vnmKey.WitnessKey)
	if later.Size <= first.Size {
		t.Fatalf("later cosigned checkpoint of size %d, not after %d", later.Size, first.Size)
	}

	// FRA's node forgets what VNM's witness cosigned: its next submission
	// starts from 0, the witness answers 409 with its size, and the node
	// proves the extension from there.
	raw, err := sql.Open("sqlite", "file:"+filepath.Join(fra.DataDir, "entraide.db")+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	if _, err := raw.ExecContext(ctx, `DELETE FROM tlog_cosignatures`); err != nil {
		t.Fatal(err)
	}
	if code := officials["FRA"].do("POST", "/api/v1/requests", preservation("VNM"), &r); code != http.StatusCreated {
		t.Fatalf("create: %d", code)
	}
	later = check(cosigned(t, fra, later.Size+1), fraKey.VerifierKey, vnmKey.WitnessKey)

	// The witness endpoint refuses what it cannot vouch for, as the
	// protocol says: an unknown log, a forged signature, a stale size.
	post := func(body []byte) (int, string) {
		resp, err := net.Client.Post(vnm.URL+"/witness/add-checkpoint", "text/plain", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var b bytes.Buffer
		b.ReadFrom(resp.Body)
		return resp.StatusCode, b.String()
	}
	head, err := fra.DB.LogHead(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if code, body := post(tlog.AddCheckpoint{Old: 0, Checkpoint: []byte("entraide/audit/ZAF/00\n1\nAAAA\n\n— x AAAA\n")}.Marshal()); code != http.StatusNotFound {
		t.Errorf("add-checkpoint of an unknown log = %d %s, want 404", code, body)
	}
	forged := bytes.Replace(head.Checkpoint, []byte(fmt.Sprintf("\n%d\n", head.Size)), []byte(fmt.Sprintf("\n%d\n", head.Size+1)), 1)
	if code, body := post(tlog.AddCheckpoint{Old: later.Size, Checkpoint: forged}.Marshal()); code != http.StatusForbidden {
		t.Errorf("add-checkpoint with a forged signature = %d %s, want 403", code, body)
	}
	if code, body := post(tlog.AddCheckpoint{Old: 1, Checkpoint: head.Checkpoint}.Marshal()); code != http.StatusConflict || !strings.HasSuffix(body, "\n") {
		t.Errorf("add-checkpoint from a stale size = %d %q, want 409 with the witness's size", code, body)
	}
	// A checkpoint whose last line lost its newline is not a signed
	// note: 400, not a refused signature.
	if code, body := post(tlog.AddCheckpoint{Old: later.Size, Checkpoint: bytes.TrimSuffix(head.Checkpoint, []byte("\n"))}.Marshal()); code != http.StatusBadRequest || !strings.Contains(body, "not a signed note") {
		t.Errorf("add-checkpoint of a malformed note = %d %s, want 400 saying it is not a signed note", code, body)
	}
	if code, body := post([]byte("not a request")); code != http.StatusBadRequest {
		t.Errorf("add-checkpoint of a malformed body = %d %s, want 400", code, body)
	}
}

func slicesHas(sigs []note.Signature, name string) bool {
	for _, s := range sigs {
		if s.Name == name {
			return true
		}
	}
	return false
}

// TestForkedLogIsRefusedAndAlerted rewrites the history of FRA's log,
// as someone with the database's password could: a record changed after
// VNM cosigned it, and the tree rebuilt over it. VNM's witness refuses
// the next checkpoint as a fork, and both nodes alert their
// administrators.
func TestForkedLogIsRefusedAndAlerted(t *testing.T) {
	dir := t.TempDir()
	net, err := localnet.Start(t.Context(), []string{"FRA", "VNM"}, localnet.Options{Dir: dir,
		Federation: node.FederationConfig{RetryBase: 20 * time.Millisecond}})
	if err != nil {
		t.Fatalf("localnet.Start: %v", err)
	}
	t.Cleanup(net.Close)
	ctx := t.Context()
	fra, vnm := net.Nodes["FRA"], net.Nodes["VNM"]
	before := cosigned(t, fra, 1)

	// The rewrite, past the append-only triggers.
	raw, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "fra", "entraide.db")+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	tx, err := raw.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`DROP TRIGGER audit_no_update`, `DROP TRIGGER tlog_leaves_no_delete`, `DROP TRIGGER tlog_hashes_no_delete`,
		`UPDATE audit SET record = CAST(REPLACE(CAST(record AS TEXT), '"node.init"', '"node.forged"') AS BLOB) WHERE seq = 1`,
		`DELETE FROM tlog_leaves`, `DELETE FROM tlog_hashes`, `UPDATE tlog_head SET size = 0, root = X'', checkpoint = ''`,
		`INSERT INTO tlog_pending (seq) SELECT seq FROM audit WHERE seq NOT IN (SELECT seq FROM tlog_pending)`,
	} {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	// FRA's node signs the rewritten tree, and submits it.
	if _, err := fra.Node.IntegrateLog(ctx); err != nil {
		t.Fatal(err)
	}
	err = fra.Node.SubmitCheckpoint(ctx)
	if err == nil || !strings.Contains(err.Error(), "refused") {
		t.Errorf("SubmitCheckpoint of the forked log = %v, want the witness's refusal", err)
	}
	// Each later checkpoint of the forked log is refused too, without a
	// new alert while the first is open.
	if err := fra.Node.SubmitCheckpoint(ctx); err == nil {
		t.Errorf("SubmitCheckpoint of the forked log again = nil, want the refusal")
	}
	// What the witness cosigned before stays the latest cosigned.
	if after, err := fra.Node.CosignedCheckpoint(ctx); err != nil || len(after) < len(before) {
		t.Errorf("cosigned checkpoint after the fork = %s, %v", after, err)
	}
	// Both States' administrators are alerted.
	for _, nd := range []*localnet.Node{fra, vnm} {
		admin, err := net.Official(ctx, nd.State, "admin-"+strings.ToLower(nd.State), "Administrator of "+nd.State, identity.Administrator)
		if err != nil {
			t.Fatal(err)
		}
		a := api{t: t, net: net, url: nd.URL, token: admin}
		var list node.AlertList
		if code := a.do("GET", "/api/v1/alerts?reason="+string(alerting.ReasonLogFork), nil, &list); code != http.StatusOK {
			t.Fatalf("alerts of %s: %d", nd.State, code)
		}
		if len(list.Alerts) != 1 {
			t.Errorf("%s's node raised %d log_fork alerts, want 1", nd.State, len(list.Alerts))
			continue
		}
		if got := list.Alerts[0]; got.From == "" || !strings.Contains(got.Detail, "size") {
			t.Errorf("%s's log_fork alert = %+v, want the peer and what was refused", nd.State, got)
		}
	}
}
