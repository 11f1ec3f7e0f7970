package evidence_test

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"errors"
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
	useAsk       = "01a22d6d-7ccd-75fd-b366-04a124ade000"
	useItemFRA   = "01a22d6d-7d9c-76bc-9c18-0eb337c65f99" // FRA's id of VNM's custodyItem
	useOtherItem = "01a22d6d-7d9c-76bc-9c18-0eb337c65f77"
)

// useReportOf builds FRA's log, in which VNM's item arrived, was viewed
// and downloaded amid other records, and the report FRA's node answers
// VNM's question with, signed by FRA's log key.
func useReportOf(t *testing.T) (evidence.UseReport, evidence.UseAsk, string) {
	t.Helper()
	_, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	origin := tlog.Origin("FRA", key.Public().(ed25519.PublicKey))
	signer, err := tlog.NewSigner(origin, key)
	if err != nil {
		t.Fatal(err)
	}
	vkey, err := tlog.VerifierKey(origin, key.Public().(ed25519.PublicKey))
	if err != nil {
		t.Fatal(err)
	}
	tree := testonly.New(rfc6962.DefaultHasher)
	at := time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC)
	var records [][]byte
	var mine []int
	for i, r := range []auditlog.Record{
		{Action: "request.send", Subject: "request/" + custodyRequest, Actor: "ca-fra"},
		{Action: evidence.ActionIncoming, Subject: evidence.Subject(useItemFRA), Actor: "peer", ActorState: "VNM",
			Detail: map[string]string{"from": "VNM", "origin_item": custodyItem, "request": custodyRequest}},
		{Action: evidence.ActionReceived, Subject: evidence.Subject(useItemFRA), Actor: "peer", ActorState: "VNM"},
		{Action: evidence.ActionViewed, Subject: evidence.Subject(useItemFRA), Actor: "j.martin"},
		{Action: "request.execute", Subject: "request/" + custodyRequest, Actor: "ca-fra"},
		{Action: evidence.ActionDownloaded, Subject: evidence.Subject(useItemFRA), Actor: "j.martin"},
	} {
		if r.ActorState == "" {
			r.ActorState = "FRA"
		}
		r.At, r.Node, r.State = at.Add(time.Duration(i)*time.Minute), "FRA", "FRA"
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
	item := evidence.UseItem{Item: useItemFRA, OriginItem: custodyItem}
	for _, i := range mine {
		proof, err := tree.InclusionProof(uint64(i), tree.Size())
		if err != nil {
			t.Fatal(err)
		}
		item.Entries = append(item.Entries, evidence.UseEntry{ProvenRecord: evidence.ProvenRecord{Record: records[i], Index: int64(i), Proof: proof}, Role: "central_authority"})
	}
	return evidence.UseReport{Ask: useAsk, Request: custodyRequest, Checkpoint: signed, Items: []evidence.UseItem{item}},
		evidence.UseAsk{ID: useAsk, Request: custodyRequest}, vkey
}

func givenByVNM(id string) bool { return id == custodyItem || id == useOtherItem }

// TestUseReportVerify: the giving State believes a use report only if
// its checkpoint is the receiver's log's, it answers the question asked,
// every item is one the giver sent, every entry is about its item in the
// receiver's view and proven under the checkpoint, and each item's
// arrival binds it to the giver's; each failure names the item and entry.
func TestUseReportVerify(t *testing.T) {
	good, ask, vkey := useReportOf(t)
	if cp, err := good.Verify(ask, vkey, "FRA", "VNM", givenByVNM); err != nil || cp.Size != 6 {
		t.Fatalf("Verify of the report as answered = %+v, %v", cp, err)
	}
	// It travels as JSON and reads back the same.
	raw, err := json.Marshal(good)
	if err != nil {
		t.Fatal(err)
	}
	back, err := evidence.ParseUseReport(raw)
	if err != nil {
		t.Fatalf("ParseUseReport of a report as marshalled: %v", err)
	}
	if _, err := back.Verify(ask, vkey, "FRA", "VNM", givenByVNM); err != nil {
		t.Fatalf("Verify after the round trip: %v", err)
	}
	clone := func() evidence.UseReport {
		var r evidence.UseReport
		if err := json.Unmarshal(raw, &r); err != nil {
			t.Fatal(err)
		}
		return r
	}
	_, _, otherKey := useReportOf(t)
	for _, tc := range []struct {
		name   string
		change func(*evidence.UseReport, *evidence.UseAsk) (vkey, giver string)
		want   string
	}{
		{"an entry changed: a download made a view", func(r *evidence.UseReport, _ *evidence.UseAsk) (string, string) {
			e := &r.Items[0].Entries[3]
			e.Record = bytes.Replace(e.Record, []byte(evidence.ActionDownloaded), []byte(evidence.ActionViewed), 1)
			return vkey, "VNM"
		}, "item 1 entry 4 (evidence.viewed) is not at index 5"},
		{"a proof changed", func(r *evidence.UseReport, _ *evidence.UseAsk) (string, string) {
			r.Items[0].Entries[2].Proof[0][0] ^= 1
			return vkey, "VNM"
		}, "item 1 entry 3 (evidence.viewed) is not at index 3"},
		{"an entry moved", func(r *evidence.UseReport, _ *evidence.UseAsk) (string, string) {
			r.Items[0].Entries[1].Index = 4
			return vkey, "VNM"
		}, "item 1 entry 2 (evidence.received) is not at index 4"},
		{"the checkpoint changed", func(r *evidence.UseReport, _ *evidence.UseAsk) (string, string) {
			r.Checkpoint = bytes.Replace(r.Checkpoint, []byte("\n6\n"), []byte("\n5\n"), 1)
			return vkey, "VNM"
		}, "the checkpoint is not one FRA's log signed"},
		{"another log's key", func(*evidence.UseReport, *evidence.UseAsk) (string, string) { return otherKey, "VNM" }, "the checkpoint is not one FRA's log signed"},
		{"another question", func(_ *evidence.UseReport, a *evidence.UseAsk) (string, string) {
			a.ID = useOtherItem
			return vkey, "VNM"
		}, "it answers question " + useAsk},
		{"an item the giver did not send", func(r *evidence.UseReport, _ *evidence.UseAsk) (string, string) {
			r.Items[0].OriginItem = custodyRequest
			return vkey, "VNM"
		}, "item 1 names VNM's item " + custodyRequest + ", which VNM did not send"},
		{"another item than the one asked about", func(_ *evidence.UseReport, a *evidence.UseAsk) (string, string) {
			a.Item = useOtherItem
			return vkey, "VNM"
		}, "not the one asked about"},
		{"the arrival of another item", func(r *evidence.UseReport, _ *evidence.UseAsk) (string, string) {
			r.Items[0].OriginItem = useOtherItem
			return vkey, "VNM"
		}, "item 1: no entry is its arrival from VNM as item " + useOtherItem},
		{"an item listed twice", func(r *evidence.UseReport, _ *evidence.UseAsk) (string, string) {
			r.Items = append(r.Items, r.Items[0])
			return vkey, "VNM"
		}, "item 2 (" + custodyItem + ") is listed twice"},
		{"an entry of another item", func(r *evidence.UseReport, _ *evidence.UseAsk) (string, string) {
			r.Items[0].Item = useOtherItem
			return vkey, "VNM"
		}, "item 1 entry 1 (evidence.incoming) is about evidence/" + useItemFRA},
		{"asked by a third State", func(*evidence.UseReport, *evidence.UseAsk) (string, string) {
			return vkey, "ZAF"
		}, "which ZAF did not send"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, a := clone(), ask
			k, giver := tc.change(&r, &a)
			given := givenByVNM
			if giver != "VNM" {
				given = func(string) bool { return false }
			}
			_, err := r.Verify(a, k, "FRA", giver, given)
			if !errors.Is(err, evidence.ErrUseReport) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Verify = %v, want ErrUseReport saying %q", err, tc.want)
			}
		})
	}
}

// TestParseUseAsk: a question names its id and request, and an item or
// none; anything else is refused.
func TestParseUseAsk(t *testing.T) {
	for _, tc := range []struct {
		name, data string
		ok         bool
	}{
		{"every item", `{"id":"` + useAsk + `","request":"` + custodyRequest + `"}`, true},
		{"one item", `{"id":"` + useAsk + `","request":"` + custodyRequest + `","item":"` + custodyItem + `"}`, true},
		{"no id", `{"request":"` + custodyRequest + `"}`, false},
		{"an item not an id", `{"id":"` + useAsk + `","request":"` + custodyRequest + `","item":"../x"}`, false},
		{"an unknown field", `{"id":"` + useAsk + `","request":"` + custodyRequest + `","state":"ZAF"}`, false},
		{"two values", `{"id":"` + useAsk + `","request":"` + custodyRequest + `"} {}`, false},
	} {
		if _, err := evidence.ParseUseAsk([]byte(tc.data)); (err == nil) != tc.ok {
			t.Errorf("%s: ParseUseAsk(%s) = %v, want ok %v", tc.name, tc.data, err, tc.ok)
		}
	}
}
