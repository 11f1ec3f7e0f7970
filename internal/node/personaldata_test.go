package node_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"gocloud.dev/blob/fileblob"

	"entraide/internal/casework"
	"entraide/internal/convention"
	"entraide/internal/evidence"
	"entraide/internal/node"
	"entraide/internal/store"
)

func storeFilter(text string) store.Filter { return store.Filter{Text: text, Limit: 10} }

func (f *fixture) withVault(t *testing.T) {
	t.Helper()
	b, err := fileblob.OpenBucket(t.TempDir(), &fileblob.Options{NoTempDir: true, Metadata: fileblob.MetadataDontWrite})
	if err != nil {
		t.Fatal(err)
	}
	v := evidence.NewVault(b)
	t.Cleanup(func() { v.Close() })
	f.n.SetVault(v)
}

// addItem uploads data as an item of request r, marked pd.
func (f *fixture) addItem(t *testing.T, by casework.Actor, r string, data []byte, pd *convention.PersonalData) evidence.Item {
	t.Helper()
	ctx := t.Context()
	it, err := f.n.StartEvidence(ctx, by, r, evidence.Spec{Name: "a.bin", MediaType: "application/octet-stream", PersonalData: pd}, int64(len(data)))
	if err != nil {
		t.Fatalf("StartEvidence: %v", err)
	}
	if _, err := f.n.AppendEvidence(ctx, by, it.ID, 0, bytes.NewReader(data)); err != nil {
		t.Fatalf("AppendEvidence: %v", err)
	}
	if it, err = f.n.CompleteEvidence(ctx, by, it.ID); err != nil {
		t.Fatalf("CompleteEvidence: %v", err)
	}
	stored, err := f.db.Evidence(ctx, by.State, it.ID)
	if err != nil {
		t.Fatal(err)
	}
	return stored
}

var traffic = &convention.PersonalData{Carried: true, Categories: []convention.DataCategory{convention.TrafficData}, Persons: []convention.PersonCategory{convention.Suspect}}

// Art. 36: the administrator's retention period for personal data
// disposes of the items marked as carrying them, on the node's clock,
// with a tombstone; the report lists them before; nothing else goes.
func TestRetentionPolicyDisposesOfPersonalData(t *testing.T) {
	eachBackend(t, func(t *testing.T, backend string) {
		f := newFixture(t, backend)
		f.withVault(t)
		ctx := t.Context()
		r := f.draft(t, convention.MutualAssistance, "VNM")
		early := f.addItem(t, fraCA, r.ID, []byte("kept 30 days by the policy"), traffic)
		unmarked := f.addItem(t, fraCA, r.ID, []byte("not marked"), nil)
		none := f.addItem(t, fraCA, r.ID, []byte("marked as carrying none"), &convention.PersonalData{})
		if early.PolicyUntil != nil {
			t.Fatalf("an item has a policy date before any policy: %v", early.PolicyUntil)
		}
		admin := f.n.AdminOf("FRA")
		for _, by := range []casework.Actor{fraCA, fraInv, fraAud} {
			if _, err := f.n.SetRetentionPolicy(ctx, by, 30); err == nil {
				t.Errorf("%s (%s) sets FRA's policy", by.ID, by.Role)
			}
		}
		if _, err := f.n.SetRetentionPolicy(ctx, admin, -1); err == nil || !strings.Contains(err.Error(), "personal_data_days") {
			t.Errorf("a negative period: %v, want a problem on personal_data_days", err)
		}
		res, err := f.n.SetRetentionPolicy(ctx, admin, 30)
		if err != nil || res.ItemsDated != 1 {
			t.Fatalf("SetRetentionPolicy = %+v, %v; want 1 item dated", res, err)
		}
		if p, err := f.n.RetentionPolicy(ctx, fraCA); err != nil || p.PersonalDataDays != 30 {
			t.Errorf("policy read by the central authority = %+v, %v", p, err)
		}
		if p, _ := f.n.RetentionPolicy(ctx, vnmCA); p.PersonalDataDays != 0 {
			t.Errorf("VNM reads FRA's policy: %+v", p)
		}
		// An item added after the policy is dated as it arrives.
		f.clock.Advance(24 * time.Hour)
		late := f.addItem(t, fraCA, r.ID, []byte("a day later"), traffic)
		if want := start.Add(24*time.Hour).AddDate(0, 0, 30); late.PolicyUntil == nil || !late.PolicyUntil.Equal(want) {
			t.Errorf("a new item's policy date = %v, want %v", late.PolicyUntil, want)
		}

		if _, err := f.n.ExpiringEvidence(ctx, fraAud, 30*24*time.Hour); err == nil {
			t.Errorf("an auditor reads the report of expiring evidence")
		}
		f.clock.Set(start.AddDate(0, 0, 28))
		rep, err := f.n.ExpiringEvidence(ctx, fraCA, 3*24*time.Hour)
		if err != nil || len(rep.Items) != 1 || rep.Items[0].ID != early.ID || !rep.Items[0].ByPolicy || rep.Policy.PersonalDataDays != 30 {
			t.Fatalf("expiring within 3 days on day 28 = %+v, %v; want the first item, by policy", rep, err)
		}
		if err := f.n.DisposeDue(ctx); err != nil {
			t.Fatal(err)
		}
		if it, _ := f.db.Evidence(ctx, "FRA", early.ID); it.Status != evidence.Available {
			t.Fatalf("disposed of before its day: %s", it.Status)
		}

		f.clock.Set(start.AddDate(0, 0, 30))
		if err := f.n.DisposeDue(ctx); err != nil {
			t.Fatal(err)
		}
		got, _ := f.db.Evidence(ctx, "FRA", early.ID)
		if got.Status != evidence.Disposed || got.SHA256 != early.SHA256 || len(got.WrappedIdentity) != 0 {
			t.Errorf("on the policy's day: %+v, want a tombstone with its hash", got)
		}
		for _, it := range []evidence.Item{unmarked, none, late} {
			if got, _ := f.db.Evidence(ctx, "FRA", it.ID); got.Status != evidence.Available {
				t.Errorf("item %s is %s on day 30, want available", it.ID, got.Status)
			}
		}
		custody, err := f.n.EvidenceCustody(ctx, fraCA, r.ID, early.ID)
		if err != nil || len(custody) == 0 || !bytes.Contains(custody[len(custody)-1].Record, []byte("retention policy for personal data")) {
			t.Errorf("the disposal's custody record does not name the policy: %v", err)
		}
		audit, err := f.db.Custody(ctx, "FRA", evidence.PolicySubject)
		if err != nil || len(audit) != 1 || !bytes.Contains(audit[0].Record, []byte(evidence.ActionPolicy)) {
			t.Errorf("the policy's change is not in FRA's audit log")
		}

		// No policy: the later item keeps no date, and stays.
		if _, err := f.n.SetRetentionPolicy(ctx, admin, 0); err != nil {
			t.Fatal(err)
		}
		f.clock.Set(start.AddDate(0, 0, 40))
		if err := f.n.DisposeDue(ctx); err != nil {
			t.Fatal(err)
		}
		if got, _ := f.db.Evidence(ctx, "FRA", late.ID); got.Status != evidence.Available || got.PolicyUntil != nil {
			t.Errorf("without a policy, the later item is %s with policy date %v", got.Status, got.PolicyUntil)
		}
	})
}

// Art. 36: an auditor sees that a request and its evidence carry
// personal data, not what they are, until they reveal them with a
// reason, which the audit log keeps; the reveal ends after its window,
// on the node's clock.
func TestAuditorRevealsWithAReason(t *testing.T) {
	eachBackend(t, func(t *testing.T, backend string) {
		f := newFixture(t, backend)
		f.withVault(t)
		ctx := t.Context()
		c := contents(t, convention.MutualAssistance, "VNM")
		c.Fields["facts_summary"] = "Jean Dupont sent the ransom note"
		c.PersonalData = traffic
		r, err := f.n.CreateRequest(ctx, fraCA, c)
		if err != nil {
			t.Fatal(err)
		}
		it := f.addItem(t, fraCA, r.ID, []byte("the note"), traffic)
		if _, err := f.n.StartEvidence(ctx, fraCA, r.ID, evidence.Spec{Name: "b.bin", Collection: evidence.Collection{By: "Lt. Martin"}, PersonalData: traffic}, 0); err != nil {
			t.Fatal(err)
		}
		hidden := func(when string, want bool) {
			t.Helper()
			got, _, err := f.n.Request(ctx, fraAud, r.ID)
			if err != nil {
				t.Fatal(err)
			}
			if (got.Fields["facts_summary"] == "") != want || got.PersonalData == nil || !got.PersonalData.Carried {
				t.Errorf("%s: the auditor reads facts %q and marking %+v; hidden want %v", when, got.Fields["facts_summary"], got.PersonalData, want)
			}
			items, err := f.n.EvidenceItems(ctx, fraAud, r.ID)
			if err != nil || len(items) != 2 {
				t.Fatalf("items: %d, %v", len(items), err)
			}
			if (items[1].Collection.By == "") != want {
				t.Errorf("%s: the auditor reads the collection %+v; hidden want %v", when, items[1].Collection, want)
			}
			rd, _, err := f.n.OpenEvidence(ctx, fraAud, r.ID, it.ID, evidence.ActionDownloaded, nil)
			if (err != nil) != want {
				t.Errorf("%s: the auditor's download: %v; refused want %v", when, err, want)
			}
			if rd != nil {
				rd.Close()
			}
		}
		if got, _, _ := f.n.Request(ctx, fraCA, r.ID); got.Fields["facts_summary"] == "" || got.Redacted != nil {
			t.Errorf("the central authority does not see the facts: %+v", got)
		}
		hidden("before a reveal", true)
		if _, err := f.n.Requests(ctx, fraAud, storeFilter("Dupont")); err == nil {
			t.Errorf("the auditor searches the contents they do not see")
		}
		if _, err := f.n.RevealPersonalData(ctx, fraAud, r.ID, "  "); err == nil || !strings.Contains(err.Error(), "reason") {
			t.Errorf("a reveal without a reason: %v", err)
		}
		if _, err := f.n.RevealPersonalData(ctx, fraCA, r.ID, "curious"); err == nil {
			t.Errorf("the central authority reveals what it sees already")
		}
		if _, err := f.n.RevealPersonalData(ctx, casework.Actor{ID: "vnm-aud", State: "VNM", Role: fraAud.Role}, r.ID, "curious"); err == nil {
			t.Errorf("VNM's auditor reveals FRA's request")
		}
		rv, err := f.n.RevealPersonalData(ctx, fraAud, r.ID, "complaint 2026-17 of the data protection authority")
		if err != nil || !rv.Until.Equal(start.Add(casework.RevealWindow)) {
			t.Fatalf("reveal = %+v, %v", rv, err)
		}
		recs, err := f.db.Custody(ctx, "FRA", casework.RevealSubject(r.ID, fraAud.ID))
		if err != nil || len(recs) != 1 || !bytes.Contains(recs[0].Record, []byte("complaint 2026-17")) {
			t.Errorf("the reveal's audit record: %d, %v", len(recs), err)
		}
		hidden("during the reveal", false)
		f.clock.Advance(casework.RevealWindow)
		hidden("after the reveal's window", true)
	})
}

// Art. 36: what an auditor's role does not show of a request and its
// evidence stays hidden in the records that name it: an item's custody,
// the audit log, the screenings of a request, until the auditor reveals
// the request with a reason.
func TestAuditorSeesNoPersonalDataThroughRecords(t *testing.T) {
	eachBackend(t, func(t *testing.T, backend string) {
		f := newFixture(t, backend)
		f.withVault(t)
		ctx := t.Context()
		c := contents(t, convention.Interception, "VNM")
		c.PersonalData = traffic
		r, err := f.n.CreateRequest(ctx, fraCA, c)
		if err != nil {
			t.Fatal(err)
		}
		it, err := f.n.StartEvidence(ctx, fraCA, r.ID, evidence.Spec{Name: "b.bin", Collection: evidence.Collection{By: "Lt. Martin"}, PersonalData: traffic}, 1)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.n.AppendEvidence(ctx, fraCA, it.ID, 0, bytes.NewReader([]byte("x"))); err != nil {
			t.Fatal(err)
		}
		if _, err := f.n.CompleteEvidence(ctx, fraCA, it.ID); err != nil {
			t.Fatal(err)
		}
		f.move(t, fraCA, r.ID, casework.Transition{Action: casework.Send, Note: "Jean Dupont's phone"})
		f.move(t, vnmCA, r.ID, casework.Transition{Action: casework.Acknowledge})
		if _, err := f.n.Screen(ctx, vnmCA, r.ID, convention.Screening{Considered: everyGround(convention.Interception),
			Findings: "Jean Dupont is a journalist", Outcome: convention.Cleared}); err != nil {
			t.Fatal(err)
		}
		vnmAud := casework.Actor{ID: "vnm-aud", State: "VNM", Role: fraAud.Role}
		custody := func(by casework.Actor) string {
			t.Helper()
			entries, err := f.n.EvidenceCustody(ctx, by, r.ID, it.ID)
			if err != nil {
				t.Fatal(err)
			}
			var all []byte
			for _, e := range entries {
				all = append(all, e.Record...)
			}
			return string(all)
		}
		auditLog := func(by casework.Actor) string {
			t.Helper()
			entries, err := f.n.AuditLog(ctx, by, 0, 0)
			if err != nil {
				t.Fatal(err)
			}
			var all []byte
			for _, e := range entries {
				all = append(all, e.Record...)
			}
			return string(all)
		}
		screenings := func(by casework.Actor) string {
			t.Helper()
			ss, err := f.n.Screenings(ctx, by, r.ID)
			if err != nil || len(ss) != 1 {
				t.Fatalf("screenings: %d, %v", len(ss), err)
			}
			return ss[0].Findings
		}
		if !strings.Contains(custody(fraCA), "Lt. Martin") || !strings.Contains(screenings(vnmCA), "Dupont") {
			t.Fatalf("the central authorities do not see what their work needs")
		}
		if got := custody(fraAud); strings.Contains(got, "Lt. Martin") {
			t.Errorf("the auditor reads who collected the item in its custody: %s", got)
		}
		if got := auditLog(fraAud); strings.Contains(got, "Lt. Martin") || strings.Contains(got, "Dupont") {
			t.Errorf("the auditor reads personal data in the audit log: %s", got)
		}
		if got := auditLog(vnmAud); strings.Contains(got, "Dupont") {
			t.Errorf("VNM's auditor reads the screening's findings or the note in the audit log: %s", got)
		}
		if got := screenings(vnmAud); strings.Contains(got, "Dupont") {
			t.Errorf("VNM's auditor reads the screening's findings: %s", got)
		}
		if _, err := f.n.RevealPersonalData(ctx, fraAud, r.ID, "complaint 2026-17"); err != nil {
			t.Fatal(err)
		}
		if _, err := f.n.RevealPersonalData(ctx, vnmAud, r.ID, "complaint 2026-18"); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(custody(fraAud), "Lt. Martin") || !strings.Contains(screenings(vnmAud), "Dupont") {
			t.Errorf("after a reveal, the auditor does not see the custody's collection or the findings")
		}
	})
}

// Art. 36: the words of a condition another State set on an item speak
// of persons as a request's contents do: an auditor reads its kind, not
// its text, until a reveal.
func TestAuditorSeesConditionKindsNotTexts(t *testing.T) {
	eachBackend(t, func(t *testing.T, backend string) {
		f := newFixture(t, backend)
		f.withVault(t)
		ctx := t.Context()
		r := f.draft(t, convention.MutualAssistance, "VNM")
		f.move(t, fraCA, r.ID, casework.Transition{Action: casework.Send})
		f.move(t, vnmCA, r.ID, casework.Transition{Action: casework.Acknowledge})
		f.move(t, vnmCA, r.ID, casework.Transition{Action: casework.Start})
		it := f.addItem(t, vnmCA, r.ID, []byte("the logs"), traffic)
		conds := convention.Conditions{{Kind: convention.PersonalDataCondition, Text: "Jean Dupont is a minor: not to be published"}}
		if _, err := f.n.SendEvidence(ctx, vnmCA, r.ID, it.ID, conds); err != nil {
			t.Fatal(err)
		}
		texts := func(by casework.Actor) string {
			t.Helper()
			items, err := f.n.EvidenceItems(ctx, by, r.ID)
			if err != nil || len(items) != 1 {
				t.Fatalf("FRA's items: %d, %v", len(items), err)
			}
			one, err := f.n.EvidenceItem(ctx, by, r.ID, items[0].ID)
			if err != nil {
				t.Fatal(err)
			}
			if len(items[0].Conditions) != 1 || items[0].Conditions[0].Kind != convention.PersonalDataCondition || len(one.Conditions) != 1 {
				t.Fatalf("the conditions %v, %v; want the kind shown", items[0].Conditions, one.Conditions)
			}
			return items[0].Conditions[0].Text + "|" + one.Conditions[0].Text
		}
		if got := texts(fraCA); strings.Count(got, "Dupont") != 2 {
			t.Errorf("the central authority reads %q", got)
		}
		if got := texts(fraAud); strings.Contains(got, "Dupont") {
			t.Errorf("the auditor reads the condition's text: %q", got)
		}
		if _, err := f.n.RevealPersonalData(ctx, fraAud, r.ID, "complaint 2026-19"); err != nil {
			t.Fatal(err)
		}
		if got := texts(fraAud); strings.Count(got, "Dupont") != 2 {
			t.Errorf("after a reveal, the auditor reads %q", got)
		}
	})
}

// Art. 36: the reasons of a consent request, its answer and the words of
// the conditions it sets speak of persons: an auditor reads who asked
// what of whom, and when, not them.
func TestAuditorSeesConsentsWithoutTheirWords(t *testing.T) {
	eachBackend(t, func(t *testing.T, backend string) {
		f := newFixture(t, backend)
		f.withVault(t)
		ctx := t.Context()
		r := f.draft(t, convention.MutualAssistance, "VNM")
		f.move(t, fraCA, r.ID, casework.Transition{Action: casework.Send})
		f.move(t, vnmCA, r.ID, casework.Transition{Action: casework.Acknowledge})
		f.move(t, vnmCA, r.ID, casework.Transition{Action: casework.Start})
		it := f.addItem(t, vnmCA, r.ID, []byte("the logs"), traffic)
		if _, err := f.n.SendEvidence(ctx, vnmCA, r.ID, it.ID, convention.Conditions{{Kind: convention.NoOnwardTransfer}}); err != nil {
			t.Fatal(err)
		}
		items, err := f.n.EvidenceItems(ctx, fraCA, r.ID)
		if err != nil || len(items) != 1 {
			t.Fatalf("FRA's items: %d, %v", len(items), err)
		}
		c, err := f.n.AskConsent(ctx, fraCA, r.ID, node.ConsentAsk{Items: []string{items[0].ID}, Use: convention.Use{ToState: "ZAF"}, Reasons: "Jean Dupont fled to ZAF"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.n.AnswerConsent(ctx, vnmCA, c.ID, node.ConsentAnswer{Grant: true, Reasons: "for Jean Dupont's trial only",
			Conditions: convention.Conditions{{Kind: convention.PersonalDataCondition, Text: "Jean Dupont's address is not passed on"}}}); err != nil {
			t.Fatal(err)
		}
		words := func(by casework.Actor, id string) string {
			t.Helper()
			for _, list := range []func() ([]evidence.Consent, error){
				func() ([]evidence.Consent, error) { return f.n.Consents(ctx, by, "") },
				func() ([]evidence.Consent, error) { return f.n.Consents(ctx, by, r.ID) },
			} {
				cs, err := list()
				if err != nil || len(cs) != 1 {
					t.Fatalf("consents: %d, %v", len(cs), err)
				}
				js, _ := json.Marshal(cs)
				id += string(js)
			}
			return id
		}
		if got := words(fraCA, ""); !strings.Contains(got, "fled to ZAF") || !strings.Contains(got, "address is not passed on") {
			t.Errorf("FRA's central authority reads %s", got)
		}
		vnmAud := casework.Actor{ID: "vnm-aud", State: "VNM", Role: fraAud.Role}
		for _, aud := range []casework.Actor{fraAud, vnmAud} {
			if got := words(aud, ""); strings.Contains(got, "Dupont") {
				t.Errorf("%s's auditor reads the consent's words: %s", aud.State, got)
			}
		}
	})
}
