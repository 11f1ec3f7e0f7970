package archive_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"entraide/internal/archive"
	"entraide/internal/archive/archivetest"
)

func TestVerifyBuiltPackage(t *testing.T) {
	f := archivetest.Small(t)
	rep, err := archive.Verify(bytes.NewReader(f.Archive), []string{f.LogKey, f.Witness})
	if err != nil {
		t.Fatal(err)
	}
	var text strings.Builder
	if err := rep.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	if !rep.OK {
		t.Fatalf("Verify of an untouched package: not OK:\n%s", text.String())
	}
	t.Log(text.String())
	if len(rep.Files) != 2 || !rep.Files[0].Matched || !rep.Files[1].Matched {
		t.Errorf("Files = %+v, want 2 matched", rep.Files)
	}
	if got := len(rep.Custody); got != 7 {
		t.Errorf("custody events = %d, want 6 and the export", got)
	}
	if cps := rep.Log.Checkpoints; len(cps) != 2 || len(cps[0].Cosigned) != 1 || len(cps[1].Extends) != 1 {
		t.Errorf("checkpoints = %+v, want one cosigned by the witness and a newer one that extends it", cps)
	}
	if !rep.Seal.Verified || !rep.Package.ManifestLogged {
		t.Errorf("seal verified %v, manifest logged %v, want both", rep.Seal.Verified, rep.Package.ManifestLogged)
	}
	for _, want := range []string{"RESULT: VERIFIED", "mailbox.mbox", "Hanoi, server room 2", "Cosigned by witness witness.test/FRA", "legal basis: treaty: FRA-VNM treaty of 2001", "offences: art. 7; fraud by a public official, up to 10 years", "drafted by fra-ca (FRA) on 2026-11-19 08:00:00 UTC", "It extends checkpoint checkpoints/001.txt", "Mailbox of the suspect", "vnm-clerk (VNM)",
		"2026-11-21 10:00:00 UTC: execute by vnm-ca (VNM), the request then executed; note: Two files are given"} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("text report lacks %q", want)
		}
	}
	if _, err := json.Marshal(rep); err != nil {
		t.Errorf("report as JSON: %v", err)
	}
}

// TestVerifyKeyGivenTwice: a court that gives the same key twice (on the
// command line and in a file) still finds an untouched package verified.
func TestVerifyKeyGivenTwice(t *testing.T) {
	f := archivetest.Small(t)
	rep, err := archive.Verify(bytes.NewReader(f.Archive), []string{f.LogKey, f.Witness, " " + f.LogKey, f.Witness})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK {
		t.Errorf("Verify with each key given twice: not OK: %+v", rep.Problems)
	}
}

func TestVerifyWithoutKeys(t *testing.T) {
	f := archivetest.Small(t)
	rep, err := archive.Verify(bytes.NewReader(f.Archive), []string{f.Witness})
	if err != nil {
		t.Fatal(err)
	}
	if rep.OK || !hasPart(rep, "keys") {
		t.Errorf("Verify without the log key: OK %v, problems %+v; want a problem naming the keys", rep.OK, rep.Problems)
	}
	// What the checkpoints claim is still shown, as not signed by the log.
	if cps := rep.Log.Checkpoints; len(cps) == 0 || cps[0].SignedByLog || cps[0].Size == 0 || cps[0].RootHash == "" {
		t.Errorf("Verify without the log key: checkpoints %+v; want their size and root shown, not signed by the log", cps)
	}
	rep, err = archive.Verify(bytes.NewReader(f.Archive), []string{f.LogKey})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK || len(rep.Log.Checkpoints[0].Cosigned) != 0 || len(rep.Log.Checkpoints[0].UnknownSigners) != 1 {
		t.Errorf("Verify without the witness key: OK %v, checkpoints %+v; want OK with one unknown signer", rep.OK, rep.Log.Checkpoints)
	}
	if _, err := archive.Verify(bytes.NewReader(f.Archive), []string{"not a key"}); err == nil {
		t.Error("Verify with a malformed key: no error")
	}
}

func hasPart(rep *archive.Report, part string) bool {
	for _, p := range rep.Problems {
		if p.Part == part {
			return true
		}
	}
	return false
}

func TestReportTextKeepsPackageStringsOnTheirLine(t *testing.T) {
	rep := &archive.Report{Problems: []archive.Problem{{Part: "files/x\nRESULT: VERIFIED", Message: "bad\rline"}}}
	var text strings.Builder
	if err := rep.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(text.String(), "\nRESULT: VERIFIED") || strings.Contains(text.String(), "\r") {
		t.Errorf("WriteText let a package's string start a line of its own:\n%s", text.String())
	}
}

// TestReportJSONNamesCollectionLikeTheRest: a program reading --json finds
// how an item was collected under the same snake_case names as every other
// field of the report, and no empty field.
func TestReportJSONNamesCollectionLikeTheRest(t *testing.T) {
	f := archivetest.Crossed(t)
	rep, err := archive.Verify(bytes.NewReader(f.Archive), []string{f.LogKey, f.Witness, f.SenderKey})
	if err != nil {
		t.Fatal(err)
	}
	raw, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Files []struct {
			Collected map[string]any `json:"collected"`
			Origin    struct {
				CollectedAs map[string]any `json:"collected_as"`
			} `json:"origin"`
		} `json:"files"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	var seen int
	for _, fr := range doc.Files {
		for _, c := range []map[string]any{fr.Collected, fr.Origin.CollectedAs} {
			for k, v := range c {
				seen++
				if k != strings.ToLower(k) || v == "" {
					t.Errorf("collection field %q: %v, want a snake_case name and a value", k, v)
				}
			}
		}
	}
	if seen == 0 {
		t.Fatalf("no collection in the report's JSON: %s", raw)
	}
}

// TestReportTextSaysWhichNodeActed: what a node recorded of itself, or on
// another State's message, is said in words, not as the actor names
// "system" and "peer" its records hold.
func TestReportTextSaysWhichNodeActed(t *testing.T) {
	for _, f := range []archivetest.Fixture{archivetest.Small(t), archivetest.Crossed(t)} {
		keys := []string{f.LogKey, f.Witness}
		if f.SenderKey != "" {
			keys = append(keys, f.SenderKey)
		}
		rep, err := archive.Verify(bytes.NewReader(f.Archive), keys)
		if err != nil {
			t.Fatal(err)
		}
		var text strings.Builder
		if err := rep.WriteText(&text); err != nil {
			t.Fatal(err)
		}
		for _, jargon := range []string{"by system", "by peer"} {
			if strings.Contains(text.String(), jargon) {
				t.Errorf("text report says %q:\n%s", jargon, text.String())
			}
		}
	}
}

// TestReportTextSumsUpPiecesStored: a 2 GiB item is stored in some
// thirty pieces, each with its record; the report gives them one line,
// and every other event a line of its own, naming whose log holds it.
func TestReportTextSumsUpPiecesStored(t *testing.T) {
	at := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	rep := &archive.Report{}
	event := func(action string, index uint64) archive.CustodyEvent {
		return archive.CustodyEvent{At: at.Add(time.Duration(index) * time.Second), Item: "capture.pcap", Action: action,
			Actor: "vnm-ca", ActorState: "VNM", LogIndex: index, Record: "custody/x.json", InLog: true, Log: "VNM", Words: action}
	}
	rep.Custody = append(rep.Custody, event("evidence.upload", 10))
	for i := range uint64(30) {
		rep.Custody = append(rep.Custody, event("evidence.segment", 11+i))
	}
	rep.Custody = append(rep.Custody, event("evidence.ingested", 41))
	var text strings.Builder
	if err := rep.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	out := text.String()
	if n := strings.Count(out, "evidence.segment"); n != 1 || !strings.Contains(out, "30 pieces of its bytes stored") || !strings.Contains(out, "log entries 11 to 40") {
		t.Errorf("the 30 pieces take %d lines, want one saying \"30 pieces ... log entries 11 to 40\":\n%s", n, out)
	}
	if !strings.Contains(out, "evidence.upload") || !strings.Contains(out, "evidence.ingested") || !strings.Contains(out, "recorded in VNM's log") {
		t.Errorf("the events around the pieces are not each on a line naming VNM's log:\n%s", out)
	}
}
