package localnet_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"entraide/internal/archive"
	"entraide/internal/casework"
	"entraide/internal/convention"
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
	received2 := received
	fraNode := net.Nodes["FRA"]
	cosigned(t, fraNode, 1)

	var pkg bytes.Buffer
	by := casework.Actor{ID: "ca-fra", State: "FRA", Role: identity.CentralAuthority}
	if _, err := fraNode.Node.ExportEvidence(t.Context(), by, request, convention.Use{}, &pkg); err != nil {
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
	// VNM's custody of the item came with it, proven in VNM's log: with
	// only FRA's keys, the key of VNM's log is the package's, and said so.
	o := rep.Files[0].Origin
	if o == nil || o.State != "VNM" || o.Item != item || !o.Proven || !o.KeyFromPackage || o.Collected == nil || !o.Collected.InLog || o.Collected.Actor != "ca-vnm" {
		t.Fatalf("Verify: origin %+v, want VNM's custody proven with the key from the package, its collection by ca-vnm among it", o)
	}
	var text bytes.Buffer
	rep.WriteText(&text)
	for _, want := range []string{"Received from VNM, which collected it: VNM's log proves its custody there", "key from the package, not independently confirmed",
		"Collection in VNM recorded by ca-vnm (VNM)", "by VNM cyber police", "VNM's log proves it (entry"} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("report without %q:\n%s", want, text.String())
		}
	}
	// With VNM's log key given, VNM's custody is checked against it.
	rep, err = archive.Verify(bytes.NewReader(pkg.Bytes()), []string{fraKey.VerifierKey, vnmKey.WitnessKey, vnmKey.VerifierKey})
	if err != nil {
		t.Fatal(err)
	}
	if o := rep.Files[0].Origin; !rep.OK || o == nil || !o.Proven || o.KeyFromPackage || o.Checkpoint.Path == "" || !o.Checkpoint.SignedByLog {
		t.Fatalf("Verify with VNM's log key: ok %v, origin %+v, problems %+v", rep.OK, o, rep.Problems)
	}
	sender := map[string]bool{}
	for _, e := range rep.Custody {
		if e.Log == "VNM" && e.InLog {
			sender[e.Action] = true
		}
	}
	for _, a := range []string{evidence.ActionCollected, evidence.ActionIngested, evidence.ActionTransfer} {
		if !sender[a] {
			t.Errorf("Verify: custody %+v, want VNM's %s proven in VNM's log", rep.Custody, a)
		}
	}

	// Disposed of by FRA (art. 36): the next package holds its tombstone,
	// its custody at both States proven, and none of its bytes.
	gone, err := fraNode.Node.DisposeEvidence(t.Context(), by, request, received2.ID, "retention ended")
	if err != nil {
		t.Fatal(err)
	}
	pkg.Reset()
	if _, err := fraNode.Node.ExportEvidence(t.Context(), by, request, convention.Use{}, &pkg); err != nil {
		t.Fatalf("ExportEvidence after the disposal: %v", err)
	}
	if bytes.Contains(pkg.Bytes(), data[:4096]) {
		t.Errorf("the package of a disposed item holds its bytes")
	}
	rep, err = archive.Verify(bytes.NewReader(pkg.Bytes()), []string{fraKey.VerifierKey, vnmKey.WitnessKey, vnmKey.VerifierKey})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK || len(rep.Files) != 1 {
		t.Fatalf("Verify of the tombstone: ok %v, files %+v, problems %+v", rep.OK, rep.Files, rep.Problems)
	}
	f := rep.Files[0]
	if d := f.Disposed; d == nil || !d.Proven || d.By != "ca-fra" || !d.At.Equal(gone.DisposedAt.Truncate(0)) && d.At.Sub(*gone.DisposedAt).Abs() > time.Second || f.SHA256 != gone.SHA256 || f.Origin == nil || !f.Origin.Proven {
		t.Errorf("Verify of the tombstone: file %+v, want disposed by ca-fra, proven, with its hash and VNM's custody", f)
	}
	text.Reset()
	rep.WriteText(&text)
	if want := "by ca-fra (FRA), for this reason: retention ended; bytes gone, custody proven"; !strings.Contains(text.String(), want) {
		t.Errorf("report without %q:\n%s", want, text.String())
	}
}
