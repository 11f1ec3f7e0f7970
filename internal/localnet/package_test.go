package localnet_test

import (
	"bytes"
	"testing"

	"entraide/internal/archive"
	"entraide/internal/casework"
	"entraide/internal/evidence"
	"entraide/internal/identity"
)

// TestEvidencePackageAcrossBorders: VNM answers FRA's request with an
// item, which travels to FRA; FRA exports the package for its court,
// which verifies it with FRA's log key and VNM's witness key: the
// checkpoint VNM's witness cosigned, and the proof that FRA's log only
// grew from it to the checkpoint the records are proven under.
func TestEvidencePackageAcrossBorders(t *testing.T) {
	net, officials := startNetwork(t, "FRA", "VNM")
	fra, vnm := officials["FRA"], officials["VNM"]
	request, item, data := answeredRequest(t, net, fra, vnm, 300_000)
	var sent evidence.Item
	if code := vnm.do("POST", "/api/v1/requests/"+request+"/evidence/"+item+"/send", nil, &sent); code != 202 {
		t.Fatalf("send: %d", code)
	}
	received := waitItem(t, fra, request, evidence.Available)
	fraNode := net.Nodes["FRA"]
	cosigned(t, fraNode, 1)

	var pkg bytes.Buffer
	by := casework.Actor{ID: "ca-fra", State: "FRA", Role: identity.CentralAuthority}
	if _, err := fraNode.Node.ExportEvidence(t.Context(), by, request, &pkg); err != nil {
		t.Fatalf("ExportEvidence: %v", err)
	}
	fraKey, err := fraNode.Node.LogKey(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	vnmKey, err := net.Nodes["VNM"].Node.LogKey(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	rep, err := archive.Verify(bytes.NewReader(pkg.Bytes()), []string{fraKey.VerifierKey, vnmKey.WitnessKey})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK {
		t.Fatalf("Verify: problems %+v", rep.Problems)
	}
	if len(rep.Files) != 1 || rep.Files[0].SHA256 != received.SHA256 || rep.Files[0].Size != int64(len(data)) {
		t.Errorf("Verify: files %+v, want the item received", rep.Files)
	}
	cps := rep.Log.Checkpoints
	if len(cps[0].Cosigned) != 1 || cps[0].Cosigned[0].Witness != vnmKey.Witness {
		t.Errorf("Verify: checkpoints %+v, want the first cosigned by %s", cps, vnmKey.Witness)
	}
	if len(cps) == 2 && len(cps[1].Extends) != 1 {
		t.Errorf("Verify: checkpoints %+v, want the latest to extend the cosigned one", cps)
	}
	received = evidence.Item{}
	for _, e := range rep.Custody {
		if e.Action == evidence.ActionReceived && e.InLog {
			received.Name = e.Words
		}
	}
	if received.Name == "" {
		t.Errorf("Verify: custody %+v, want the item's receipt from VNM, proven", rep.Custody)
	}
}
