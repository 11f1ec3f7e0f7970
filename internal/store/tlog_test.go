package store_test

import (
	"bytes"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"slices"
	"sync"
	"testing"

	"entraide/internal/auditlog"
	"entraide/internal/store"
	"entraide/internal/tlog"
)

// logKey signs the checkpoints of the logs of these tests.
var logKey = ed25519.NewKeyFromSeed(bytes.Repeat([]byte{3}, ed25519.SeedSize))

var logOrigin = tlog.Origin("FRA", logKey.Public().(ed25519.PublicKey))

func logVkey(t testing.TB) string {
	t.Helper()
	vkey, err := tlog.VerifierKey(logOrigin, logKey.Public().(ed25519.PublicKey))
	if err != nil {
		t.Fatal(err)
	}
	return vkey
}

func signCheckpoint(cp tlog.Checkpoint) ([]byte, error) {
	s, err := tlog.NewSigner(cp.Origin, logKey)
	if err != nil {
		return nil, err
	}
	return s.SignCheckpoint(cp)
}

// integrate puts every pending record into the log, in batches of 5.
func integrate(t testing.TB, db *store.DB) store.LogHead {
	t.Helper()
	for {
		head, n, err := db.IntegrateLog(t.Context(), 5, logOrigin, signCheckpoint)
		if err != nil {
			t.Fatalf("IntegrateLog = %v", err)
		}
		if n < 5 {
			return head
		}
	}
}

func testLogIntegrate(t *testing.T, db *store.DB) {
	ctx := t.Context()
	vkey := logVkey(t)
	// An empty log gets a checkpoint of the empty tree.
	head := integrate(t, db)
	if cp, _, err := tlog.ParseCheckpoint(head.Checkpoint, vkey); err != nil || cp.Size != 0 || cp.Root != tlog.EmptyRoot || cp.Origin != logOrigin {
		t.Fatalf("checkpoint of the empty log = %+v, %v; want size 0 and the empty root", cp, err)
	}
	var seqs []int64
	for i := range 23 {
		seqs = append(seqs, appendAudit(t, db, auditRecord(i+1))...)
	}
	// The listing shows records once in the log, in their final order.
	if entries, err := db.AuditLog(ctx, "FRA", 0, 100); err != nil || len(entries) != 0 {
		t.Fatalf("AuditLog before the log integrated anything = %d entries, %v; want none", len(entries), err)
	}
	if _, err := db.RecordProof(ctx, "FRA", seqs[0]); !errors.Is(err, store.ErrNotInLog) {
		t.Errorf("RecordProof before integration = %v, want ErrNotInLog", err)
	}
	old := integrate(t, db)
	if old.Size != 23 {
		t.Fatalf("log size after 23 records = %d", old.Size)
	}
	for i := range 300 {
		appendAudit(t, db, auditRecord(i+24))
	}
	head = integrate(t, db)
	cp, _, err := tlog.ParseCheckpoint(head.Checkpoint, vkey)
	if err != nil || cp.Size != 323 || cp.Root != head.Root {
		t.Fatalf("checkpoint = %+v, %v; want size 323 and root %s", cp, err, head.Root)
	}
	// Each record proves its inclusion against the checkpoint, offline.
	for _, seq := range []int64{seqs[0], seqs[6], seqs[22]} {
		p, err := db.RecordProof(ctx, "FRA", seq)
		if err != nil {
			t.Fatalf("RecordProof(%d) = %v", seq, err)
		}
		record, idx, err := db.AuditRecord(ctx, "FRA", seq)
		if err != nil || idx != p.Index {
			t.Fatalf("AuditRecord(%d) = leaf %d, %v; want %d", seq, idx, err, p.Index)
		}
		if _, err := p.Verify(record, vkey); err != nil {
			t.Errorf("RecordProof(%d).Verify = %v", seq, err)
		}
	}
	// A State proves only its own records.
	if _, err := db.RecordProof(ctx, "VNM", seqs[0]); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("RecordProof(VNM, a record of FRA) = %v, want ErrNotFound", err)
	}
	// The earlier checkpoint is a prefix of the latest.
	hashes := db.LogHashes(ctx)
	proof, err := tlog.ConsistencyProof(old.Size, head.Size, hashes)
	if err != nil {
		t.Fatal(err)
	}
	if err := tlog.VerifyConsistency(proof, head.Size, head.Root, old.Size, old.Root); err != nil {
		t.Errorf("VerifyConsistency(23, 323) = %v", err)
	}
	// The tiles hold the tree: a client that reads only tiles and entry
	// bundles computes the same root and leaves.
	full, err := tlog.ReadTile(tlog.Tile{H: 8, L: 0, N: 0, W: 256}, head.Size, hashes)
	if err != nil || len(full) != 256*32 {
		t.Fatalf("ReadTile(level 0, 0) = %d bytes, %v", len(full), err)
	}
	partial, err := tlog.ReadTile(tlog.Tile{H: 8, L: 0, N: 1, W: 67}, head.Size, hashes)
	if err != nil || len(partial) != 67*32 {
		t.Fatalf("ReadTile(level 0, 1.p/67) = %d bytes, %v", len(partial), err)
	}
	if _, err := tlog.ReadTile(tlog.Tile{H: 8, L: 0, N: 1, W: 68}, head.Size, hashes); !errors.Is(err, tlog.ErrNoTile) {
		t.Errorf("ReadTile(beyond the tree) = %v, want ErrNoTile", err)
	}
	bundle, err := db.LogEntries(ctx, 256, 67)
	if err != nil || len(bundle) != 67 {
		t.Fatalf("LogEntries(256, 67) = %d, %v", len(bundle), err)
	}
	for i, e := range bundle {
		if got := tlog.LeafHash(e); !bytes.Equal(got[:], partial[i*32:(i+1)*32]) {
			t.Fatalf("leaf hash of entry %d is not the tile's", 256+i)
		}
	}
}

func testLogTampered(t *testing.T, db *store.DB) {
	ctx := t.Context()
	seqs := appendAudit(t, db, auditRecord(1), auditRecord(2), auditRecord(3))
	integrate(t, db)
	record, idx, err := db.AuditRecord(ctx, "FRA", seqs[1])
	if err != nil {
		t.Fatal(err)
	}
	p, err := db.RecordProof(ctx, "FRA", seqs[1])
	if err != nil {
		t.Fatal(err)
	}
	// Someone with the database's password rewrites the record and its
	// old-style leaf hash, past the append-only trigger.
	forged := bytes.Replace(record, []byte(`"action":"request.send"`), []byte(`"action":"request.draft"`), 1)
	if bytes.Equal(forged, record) {
		t.Fatal("the test's forgery changed nothing")
	}
	leaf := auditlog.LeafHash(forged)
	switch db.Backend() {
	case "sqlite":
		mustExec(t, db, `DROP TRIGGER audit_no_update`)
	case "postgres":
		mustExec(t, db, `ALTER TABLE audit DISABLE TRIGGER audit_no_change`)
	}
	mustExec(t, db, `UPDATE audit SET record = ?, leaf_hash = ? WHERE seq = ?`, forged, leaf[:], seqs[1])
	if _, err := db.RecordProof(ctx, "FRA", seqs[1]); err == nil {
		t.Errorf("RecordProof(a changed record) = nil error, want one: it is not the record at leaf %d", idx)
	}
	// The proof given before the change does not prove the changed bytes.
	if _, err := p.Verify(forged, logVkey(t)); !errors.Is(err, tlog.ErrProof) {
		t.Errorf("Verify(a changed record) = %v, want ErrProof", err)
	}
}

func mustExec(t *testing.T, db *store.DB, q string, args ...any) {
	t.Helper()
	if _, err := db.ExecRaw(t.Context(), q, args...); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

// testLogConcurrent writes records from many writers while two
// integrators run: every record ends at one leaf, and the tree is the
// one its leaves make.
func testLogConcurrent(t *testing.T, db *store.DB) {
	ctx := t.Context()
	const writers, each = 8, 25
	var wg sync.WaitGroup
	stop := make(chan struct{})
	var integrators sync.WaitGroup
	for range 2 {
		integrators.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				if _, _, err := db.IntegrateLog(ctx, 7, logOrigin, signCheckpoint); err != nil {
					t.Errorf("IntegrateLog = %v", err)
					return
				}
			}
		})
	}
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				appendAudit(t, db, auditRecord(w*each+i+1))
			}
		})
	}
	wg.Wait()
	close(stop)
	integrators.Wait()
	head := integrate(t, db)
	if head.Size != writers*each {
		t.Fatalf("log size = %d, want %d", head.Size, writers*each)
	}
	n, err := db.Int64s(ctx, `SELECT COUNT(DISTINCT seq) FROM tlog_leaves`)
	if err != nil || n[0] != writers*each {
		t.Errorf("records at a leaf = %v, %v; want %d, each once", n, err, writers*each)
	}
	// Recompute the root from the entries alone.
	entries, err := db.LogEntries(ctx, 0, int(head.Size))
	if err != nil {
		t.Fatal(err)
	}
	mem := memHashes{}
	var leaves []tlog.Hash
	for _, e := range entries {
		leaves = append(leaves, tlog.LeafHash(e))
	}
	b, err := tlog.Integrate(0, leaves, mem)
	if err != nil || b.Root != head.Root {
		t.Errorf("root of the entries = %s, %v; want the head's %s", b.Root, err, head.Root)
	}
}

type memHashes map[int64]tlog.Hash

func (m memHashes) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	for i, x := range indexes {
		h, ok := m[x]
		if !ok {
			return nil, errors.New("no such hash")
		}
		out[i] = h
	}
	return out, nil
}

func testWitnessState(t *testing.T, db *store.DB) {
	ctx := t.Context()
	cp := tlog.Checkpoint{Origin: "entraide/audit/VNM/00", Size: 7, Root: tlog.LeafHash([]byte("x"))}
	err := db.DurableTx(ctx, func(tx *store.Tx) error {
		if w, err := tx.WitnessedLog(ctx, cp.Origin); err != nil || w != nil {
			t.Errorf("WitnessedLog of a log never seen = %+v, %v; want none", w, err)
		}
		return tx.PutWitnessedLog(ctx, store.Witnessed{Origin: cp.Origin, State: "VNM", Checkpoint: cp, Signed: []byte("signed"), UpdatedAt: base})
	})
	if err != nil {
		t.Fatal(err)
	}
	cp.Size, cp.Root = 9, tlog.LeafHash([]byte("y"))
	err = db.Tx(ctx, func(tx *store.Tx) error {
		return tx.PutWitnessedLog(ctx, store.Witnessed{Origin: cp.Origin, State: "VNM", Checkpoint: cp, Signed: []byte("signed 9"), UpdatedAt: base})
	})
	if err != nil {
		t.Fatal(err)
	}
	err = db.Tx(ctx, func(tx *store.Tx) error {
		w, err := tx.WitnessedLog(ctx, cp.Origin)
		if err != nil || w == nil || w.Checkpoint != cp || string(w.Signed) != "signed 9" || w.State != "VNM" {
			t.Errorf("WitnessedLog = %+v, %v; want size 9", w, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []store.Cosignature{
		{Witness: "VNM", Size: 3, Checkpoint: []byte("cp3\n"), Lines: []byte("— v 3\n"), At: base},
		{Witness: "ZAF", Size: 5, Checkpoint: []byte("cp5\n"), Lines: []byte("— z 5\n"), At: base},
		{Witness: "VNM", Size: 5, Checkpoint: []byte("cp5\n"), Lines: []byte("— v 5\n"), At: base},
	} {
		if err := db.PutCosignature(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	got, err := db.Cosignatures(ctx)
	if err != nil || len(got) != 2 || got[0].Witness != "VNM" || got[0].Size != 5 || string(got[0].Lines) != "— v 5\n" || got[1].Witness != "ZAF" {
		t.Errorf("Cosignatures = %+v, %v; want the latest of VNM and ZAF, at 5", got, err)
	}
}

// testAuditPagingLateCommit pages the audit log by the last seq read
// while a transaction that took a lower seq commits after one that took
// a higher: where writers run side by side (PostgreSQL) the listing must
// still give every record once. SQLite has one writer at a time, so the
// late commit cannot happen there and only the paging is checked.
func testAuditPagingLateCommit(t *testing.T, db *store.DB) {
	ctx := t.Context()
	first := appendAudit(t, db, auditRecord(1), auditRecord(2))
	integrate(t, db)

	late, taken, commit := make(chan error, 1), make(chan struct{}), make(chan struct{})
	if db.Backend() == "postgres" {
		go func() {
			late <- db.Tx(ctx, func(tx *store.Tx) error {
				if _, err := tx.Audit(ctx, auditRecord(3)); err != nil {
					return err
				}
				close(taken)
				<-commit
				return nil
			})
		}()
		<-taken
	} else {
		close(taken)
		late <- nil
	}
	appendAudit(t, db, auditRecord(5))
	integrate(t, db)
	page, err := db.AuditLog(ctx, "FRA", first[1], 10)
	if err != nil {
		t.Fatal(err)
	}
	read := len(page)
	after := first[1]
	if read > 0 {
		after = page[read-1].Seq
	}
	close(commit)
	if err := <-late; err != nil {
		t.Fatal(err)
	}
	if db.Backend() != "postgres" {
		appendAudit(t, db, auditRecord(3))
	}
	integrate(t, db)
	rest, err := db.AuditLog(ctx, "FRA", after, 10)
	if err != nil {
		t.Fatal(err)
	}
	var subjects []string
	for _, e := range append(page, rest...) {
		var rec struct{ Subject string }
		json.Unmarshal(e.Record, &rec)
		subjects = append(subjects, rec.Subject)
	}
	slices.Sort(subjects)
	if want := []string{"request/r3@FRA", "request/r5@FRA"}; !slices.Equal(subjects, want) {
		t.Errorf("pages after seq %d read %v, want %v: a record was skipped or read twice", first[1], subjects, want)
	}
	if _, err := db.AuditLog(ctx, "FRA", 1<<40, 10); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("AuditLog after a seq that is no record = %v, want ErrNotFound", err)
	}
}
