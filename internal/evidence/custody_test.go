package evidence_test

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/transparency-dev/merkle/rfc6962"
	"github.com/transparency-dev/merkle/testonly"

	"entraide/internal/auditlog"
	"entraide/internal/evidence"
	"entraide/internal/tlog"
)

const (
	custodyRequest = "01a22d6d-7ccd-75fd-b366-04a124adefde"
	custodyItem    = "01a22d6d-7d9c-76bc-9c18-0eb337c65f01"
	custodySum     = "9debc556ec49af175f4a5b5991a09eec2f38d72c4a4dcbd2a7159528b9df4053"
)

// custodyOf builds VNM's log with the item's custody amid other records,
// and the custody message VNM ships, signed by its log key.
func custodyOf(t *testing.T) (evidence.Custody, string) {
	t.Helper()
	_, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	origin := tlog.Origin("VNM", key.Public().(ed25519.PublicKey))
	signer, err := tlog.NewSigner(origin, key)
	if err != nil {
		t.Fatal(err)
	}
	vkey, err := tlog.VerifierKey(origin, key.Public().(ed25519.PublicKey))
	if err != nil {
		t.Fatal(err)
	}
	tree := testonly.New(rfc6962.DefaultHasher)
	at := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	var mine []int
	var records [][]byte
	for i, r := range []auditlog.Record{
		{Action: "request.receive", Subject: "request/" + custodyRequest},
		{Action: evidence.ActionCollected, Subject: evidence.Subject(custodyItem), Detail: map[string]any{"collection": map[string]string{"by": "VNM cyber police"}}},
		{Action: evidence.ActionIngested, Subject: evidence.Subject(custodyItem), Detail: map[string]string{"sha256": custodySum}},
		{Action: "request.execute", Subject: "request/" + custodyRequest},
		{Action: evidence.ActionTransfer, Subject: evidence.Subject(custodyItem), Detail: map[string]string{"to": "FRA"}},
	} {
		r.At, r.Node, r.State, r.ActorState, r.Actor = at.Add(time.Duration(i)*time.Minute), "VNM", "VNM", "VNM", "ca-vnm"
		c, err := r.Canonical()
		if err != nil {
			t.Fatal(err)
		}
		tree.AppendData(tlog.Entry(c))
		records = append(records, c)
		if strings.HasPrefix(r.Subject, "evidence/") {
			mine = append(mine, i)
		}
	}
	var root tlog.Hash
	copy(root[:], tree.Hash())
	signed, err := signer.SignCheckpoint(tlog.Checkpoint{Origin: origin, Size: int64(tree.Size()), Root: root})
	if err != nil {
		t.Fatal(err)
	}
	c := evidence.Custody{Request: custodyRequest, Item: custodyItem, Checkpoint: signed}
	for _, i := range mine {
		proof, err := tree.InclusionProof(uint64(i), tree.Size())
		if err != nil {
			t.Fatal(err)
		}
		c.Records = append(c.Records, evidence.ProvenRecord{Record: records[i], Index: int64(i), Proof: proof})
	}
	return c, vkey
}

// TestCustodyVerify: the receiver keeps the sender's custody only if its
// checkpoint is the sender's log's, every record is about the item in the
// sender's view and proven under it, and the ingestion names the SHA-256
// announced; each failure names the record or the checkpoint.
func TestCustodyVerify(t *testing.T) {
	good, vkey := custodyOf(t)
	if cp, err := good.Verify(vkey, "VNM", custodySum); err != nil || cp.Size != 5 {
		t.Fatalf("Verify of the custody as shipped = %+v, %v", cp, err)
	}
	clone := func() evidence.Custody {
		c := good
		c.Records = nil
		for _, r := range good.Records {
			r.Record = bytes.Clone(r.Record)
			r.Proof = append([][]byte{}, r.Proof...)
			c.Records = append(c.Records, r)
		}
		c.Checkpoint = bytes.Clone(good.Checkpoint)
		return c
	}
	_, otherKey := custodyOf(t)
	for _, tc := range []struct {
		name   string
		change func(*evidence.Custody) (vkey, state, sum string)
		want   string
	}{
		{"a record changed", func(c *evidence.Custody) (string, string, string) {
			c.Records[0].Record = bytes.Replace(c.Records[0].Record, []byte("VNM cyber police"), []byte("VNM cyber pol1ce"), 1)
			return vkey, "VNM", custodySum
		}, "record 1 (evidence.collected) is not at index 1"},
		{"a proof changed", func(c *evidence.Custody) (string, string, string) {
			h := bytes.Clone(c.Records[1].Proof[0])
			h[0] ^= 1
			c.Records[1].Proof[0] = h
			return vkey, "VNM", custodySum
		}, "record 2 (evidence.ingested) is not at index 2"},
		{"a proof moved", func(c *evidence.Custody) (string, string, string) {
			c.Records[2].Index = 3
			return vkey, "VNM", custodySum
		}, "record 3 (evidence.transfer) is not at index 3"},
		{"the checkpoint changed", func(c *evidence.Custody) (string, string, string) {
			c.Checkpoint = bytes.Replace(c.Checkpoint, []byte("\n5\n"), []byte("\n6\n"), 1)
			return vkey, "VNM", custodySum
		}, "the checkpoint is not one VNM's log signed"},
		{"another log's key", func(c *evidence.Custody) (string, string, string) { return otherKey, "VNM", custodySum }, "the checkpoint is not one VNM's log signed"},
		{"another State's records", func(c *evidence.Custody) (string, string, string) { return vkey, "ZAF", custodySum }, "record 1 is about evidence/" + custodyItem + " in the view of VNM"},
		{"another item", func(c *evidence.Custody) (string, string, string) {
			c.Item = custodyRequest
			return vkey, "VNM", custodySum
		}, "not item " + custodyRequest},
		{"another SHA-256 announced", func(c *evidence.Custody) (string, string, string) {
			return vkey, "VNM", strings.Repeat("0", 64)
		}, "no record is the item's ingestion with the SHA-256 announced"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := clone()
			k, state, sum := tc.change(&c)
			_, err := c.Verify(k, state, sum)
			if !errors.Is(err, evidence.ErrCustody) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Verify = %v, want ErrCustody saying %q", err, tc.want)
			}
		})
	}
	raw := fmt.Sprintf(`{"request":%q,"item":%q,"checkpoint":"YQ==","records":[]}`, custodyRequest, custodyItem)
	if _, err := evidence.ParseCustody([]byte(raw)); err == nil {
		t.Errorf("ParseCustody of no records: nil error")
	}
}
