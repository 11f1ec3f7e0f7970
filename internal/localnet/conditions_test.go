package localnet_test

import (
	"bytes"
	"encoding/json"
	"io"
	"math/rand/v2"
	"net/http"
	"strings"
	"testing"
	"time"

	"entraide/internal/auditlog"
	"entraide/internal/casework"
	"entraide/internal/convention"
	"entraide/internal/evidence"
	"entraide/internal/federation"
	"entraide/internal/identity"
	"entraide/internal/localnet"
	"entraide/internal/node"
	"entraide/internal/store"
)

func mla(to string) casework.Contents {
	return casework.Contents{Kind: convention.MutualAssistance, RequestedState: to, LegalBasis: &casework.LegalBasis{Type: casework.BasisReciprocity},
		Offences: []convention.Charge{{Article: 10}}, Fields: map[string]string{
			"requesting_authority": "Ministère de la Justice, Bureau de l'entraide pénale internationale",
			"subject_matter":       "Investigation of a ransomware attack on a hospital",
			"conducting_authority": "Juge d'instruction, tribunal judiciaire de Paris",
			"facts_summary":        "Ransomware encrypted the systems of a hospital in Lyon.",
			"assistance_sought":    "Production of the relay server's logs.",
			"purpose":              "Evidence for criminal proceedings.",
		}}
}

// gathered stores size random bytes as an item of request in state's
// view, as its central authority.
func gathered(t *testing.T, net *localnet.Network, state, request, name string, size int) evidence.Item {
	t.Helper()
	data := make([]byte, size)
	rng := rand.New(rand.NewPCG(uint64(size), 7))
	for i := range data {
		data[i] = byte(rng.Uint32())
	}
	n := net.Nodes[state].Node
	by := casework.Actor{ID: "ca-" + strings.ToLower(state), State: state, Role: identity.CentralAuthority}
	it, err := n.StartEvidence(t.Context(), by, request, evidence.Spec{Name: name, MediaType: "application/octet-stream"}, int64(size))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := n.AppendEvidence(t.Context(), by, it.ID, 0, bytes.NewReader(data)); err != nil {
		t.Fatal(err)
	}
	it, err = n.CompleteEvidence(t.Context(), by, it.ID)
	if err != nil {
		t.Fatal(err)
	}
	return it
}

// exportStatus asks a's node for the request's evidence package for use,
// reads it whole, and returns the status and, for a refusal, its body.
func exportStatus(t *testing.T, a api, request, query string) (int, string) {
	t.Helper()
	resp, err := a.send(t.Context(), "GET", "/api/v1/requests/"+request+"/evidence-package"+query, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		return resp.StatusCode, string(body)
	}
	return 200, ""
}

// receivedItem waits for the item of origin at a, available, and returns it.
func receivedItem(t *testing.T, a api, request, origin string) evidence.Item {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		var items []evidence.Item
		if a.do("GET", "/api/v1/requests/"+request+"/evidence", nil, &items) == 200 {
			for _, it := range items {
				if it.Origin != nil && it.Origin.Item == origin && it.Status == evidence.Available {
					return it
				}
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("item %s never arrived at %s", origin, a.url)
	return evidence.Item{}
}

func itemAt(t *testing.T, a api, request, id string) evidence.Item {
	t.Helper()
	var it evidence.Item
	if code := a.do("GET", "/api/v1/requests/"+request+"/evidence/"+id, nil, &it); code != 200 {
		t.Fatalf("GET item %s: %d", id, code)
	}
	return it
}

func hasKind(cs convention.Conditions, k convention.ConditionKind) bool {
	for _, c := range cs {
		if c.Kind == k {
			return true
		}
	}
	return false
}

// waitConsent polls a's consents of request until consent id has status.
func waitConsent(t *testing.T, a api, request, id string, status evidence.ConsentStatus) evidence.Consent {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	var cs []evidence.Consent
	for time.Now().Before(deadline) {
		if a.do("GET", "/api/v1/requests/"+request+"/consents", nil, &cs) == 200 {
			for _, c := range cs {
				if c.ID == id && c.Status == status {
					return c
				}
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("consent %s at %s never %s: %+v", id, a.url, status, cs)
	return evidence.Consent{}
}

// custodyDetail returns the details of the custody records of item at a
// whose action is action.
func custodyDetail(t *testing.T, a api, request, item, action string) []map[string]any {
	t.Helper()
	var entries []store.AuditEntry
	if code := a.do("GET", "/api/v1/requests/"+request+"/evidence/"+item+"/custody", nil, &entries); code != 200 {
		t.Fatalf("custody: %d", code)
	}
	var out []map[string]any
	for _, e := range entries {
		p, err := auditlog.Parse(e.Record)
		if err != nil {
			t.Fatal(err)
		}
		if p.Action == action {
			var d map[string]any
			if err := json.Unmarshal(p.Detail, &d); err != nil {
				t.Fatal(err)
			}
			out = append(out, d)
		}
	}
	return out
}

// TestConditionsEnforcedAcrossNodes: VNM answers FRA's request over
// HTTPS, one item sent under confidentiality before it executes, then
// the answer under a bar on onward transfer, a use limitation and a
// retention limit, then a second item. Both items are bound by the
// answer's conditions at FRA, the first although it came before them.
// FRA's node refuses to export them for ZAF or for other proceedings,
// and to send ZAF a request carrying one, and records each refusal;
// its own export is allowed and records the conditions that applied.
// FRA asks consent: VNM refuses the use in other proceedings, which
// stays refused, and grants the transfer to ZAF, which is then allowed,
// and nothing more. ZAF can neither see nor answer the consent, nor
// forge VNM's answer. Every step is in both States' custody of the items.
func TestConditionsEnforcedAcrossNodes(t *testing.T) {
	net, officials := startNetwork(t, "FRA", "VNM", "ZAF")
	fra, vnm, zaf := officials["FRA"], officials["VNM"], officials["ZAF"]
	var r casework.Request
	if code := fra.do("POST", "/api/v1/requests", mla("VNM"), &r); code != 201 {
		t.Fatalf("create: %d", code)
	}
	if code := fra.do("POST", "/api/v1/requests/"+r.ID+"/transitions", casework.Transition{Action: casework.Send}, nil); code != 200 {
		t.Fatalf("send: %d", code)
	}
	vnm.waitFor(r.ID, casework.Received)
	for _, a := range []casework.Action{casework.Acknowledge, casework.Start} {
		if code := vnm.do("POST", "/api/v1/requests/"+r.ID+"/transitions", casework.Transition{Action: a}, nil); code != 200 {
			t.Fatalf("%s: %d", a, code)
		}
	}
	first := gathered(t, net, "VNM", r.ID, "mailbox.mbox", 40_000)
	second := gathered(t, net, "VNM", r.ID, "server.log", 3_000)

	// An unknown kind of condition is refused, naming the field.
	if code := vnm.do("POST", "/api/v1/requests/"+r.ID+"/evidence/"+first.ID+"/send", map[string]any{"conditions": []map[string]string{{"kind": "secret"}}}, nil); code != 422 {
		t.Errorf("send under an unknown condition: %d, want 422", code)
	}
	if code := vnm.do("POST", "/api/v1/requests/"+r.ID+"/evidence/"+first.ID+"/send", map[string]any{"conditions": convention.Conditions{{Kind: convention.Confidential}}}, nil); code != 202 {
		t.Fatalf("send the first item: %d", code)
	}
	a := receivedItem(t, fra, r.ID, first.ID)
	if !hasKind(a.Conditions, convention.Confidential) || hasKind(a.Conditions, convention.NoOnwardTransfer) {
		t.Fatalf("the first item's conditions at FRA = %v, want confidentiality alone", a.Conditions)
	}
	answer := convention.Conditions{{Kind: convention.NoOnwardTransfer}, {Kind: convention.UseLimited}, {Kind: convention.RetainUntil, Until: "2031-01-01"}}
	if code := vnm.do("POST", "/api/v1/requests/"+r.ID+"/transitions", casework.Transition{Action: casework.Execute, AnswerConditions: answer}, nil); code != 200 {
		t.Fatalf("execute: %d", code)
	}
	fra.waitFor(r.ID, casework.Executed)
	a = itemAt(t, fra, r.ID, a.ID)
	if !hasKind(a.Conditions, convention.NoOnwardTransfer) || !hasKind(a.Conditions, convention.UseLimited) || !hasKind(a.Conditions, convention.Confidential) {
		t.Fatalf("the first item's conditions after the answer = %v, want the answer's with its own", a.Conditions)
	}
	if a.RetainUntil == nil || !a.RetainUntil.Equal(time.Date(2031, 1, 2, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("the first item is kept until %v, want the end of 2031-01-01 (art. 36)", a.RetainUntil)
	}
	// No official of FRA keeps it longer than VNM allowed; earlier is
	// allowed.
	retention := "/api/v1/requests/" + r.ID + "/evidence/" + a.ID + "/retention"
	if code := fra.do("PUT", retention, map[string]string{"retain_until": "2032-01-01"}, nil); code != 422 {
		t.Errorf("FRA keeps the item past VNM's retention limit: %d, want 422", code)
	}
	if code := fra.do("PUT", retention, map[string]string{"retain_until": "2030-06-30"}, nil); code != 200 {
		t.Errorf("FRA shortens the item's retention: %d, want 200", code)
	}
	if code := vnm.do("POST", "/api/v1/requests/"+r.ID+"/evidence/"+second.ID+"/send", nil, nil); code != 202 {
		t.Fatalf("send the second item: %d", code)
	}
	b := receivedItem(t, fra, r.ID, second.ID)
	if !hasKind(b.Conditions, convention.NoOnwardTransfer) || hasKind(b.Conditions, convention.Confidential) {
		t.Fatalf("the second item's conditions at FRA = %v, want the answer's, carried by its offer", b.Conditions)
	}

	// FRA's own proceedings: allowed, and the export says which
	// conditions applied.
	if code, body := exportStatus(t, fra, r.ID, ""); code != 200 {
		t.Fatalf("FRA's own export: %d %s", code, body)
	}
	if ds := custodyDetail(t, fra, r.ID, a.ID, evidence.ActionExported); len(ds) == 0 || ds[len(ds)-1]["conditions_applied"] == nil {
		t.Errorf("the export's custody records %v, want the conditions applied", ds)
	}
	// To ZAF, and into other proceedings: refused, naming the condition,
	// its article and the next step, and recorded.
	code, body := exportStatus(t, fra, r.ID, "?for_state=ZAF")
	if code != 409 || !strings.Contains(body, "entraide consent ask") || !strings.Contains(body, "art. 36(3)") || !strings.Contains(body, "A condition on the evidence bars this use") {
		t.Errorf("export for ZAF: %d %s, want 409 titled as a condition's bar, naming art. 36(3) and the consent command", code, body)
	}
	code, body = exportStatus(t, fra, r.ID, "?proceedings=case+2026%2F17")
	if code != 409 || !strings.Contains(body, "art. 40(19)") {
		t.Errorf("export for other proceedings: %d %s, want 409 naming art. 40(19)", code, body)
	}
	if ds := custodyDetail(t, fra, r.ID, a.ID, evidence.ActionUseRefused); len(ds) != 2 {
		t.Errorf("refused uses recorded: %v, want 2", ds)
	}
	// A new request to ZAF carrying the second item's hash.
	onward := mla("ZAF")
	onward.Attachments = []casework.Attachment{{Name: "server.log", MediaType: "application/octet-stream", Size: b.Size, SHA256: b.SHA256}}
	var o casework.Request
	if code := fra.do("POST", "/api/v1/requests", onward, &o); code != 201 {
		t.Fatalf("draft to ZAF: %d", code)
	}
	if code := fra.do("POST", "/api/v1/requests/"+o.ID+"/transitions", casework.Transition{Action: casework.Send}, nil); code != 409 {
		t.Errorf("a request to ZAF carrying a conditioned item: %d, want 409", code)
	}

	// Consent to other proceedings: asked, refused, and it stays so.
	var askP evidence.Consent
	if code := fra.do("POST", "/api/v1/requests/"+r.ID+"/consents", node.ConsentAsk{Items: []string{a.ID}, Use: convention.Use{Proceedings: "case 2026/17"},
		Reasons: "the same group attacked a clinic"}, &askP); code != 201 {
		t.Fatalf("ask consent to other proceedings: %d", code)
	}
	waitConsent(t, vnm, r.ID, askP.ID, evidence.ConsentAsked)
	if code := fra.do("POST", "/api/v1/consents/"+askP.ID+"/answer", node.ConsentAnswer{Grant: true}, nil); code != 403 {
		t.Errorf("FRA answers its own consent request: %d, want 403", code)
	}
	if code := vnm.do("POST", "/api/v1/consents/"+askP.ID+"/answer", node.ConsentAnswer{Grant: false}, nil); code != 422 {
		t.Errorf("a refusal without reasons: %d, want 422", code)
	}
	if code := vnm.do("POST", "/api/v1/consents/"+askP.ID+"/answer", node.ConsentAnswer{Grant: false, Reasons: "the clinic's case is ours to judge"}, nil); code != 200 {
		t.Fatalf("refuse: %d", code)
	}
	waitConsent(t, fra, r.ID, askP.ID, evidence.ConsentRefused)
	if code := vnm.do("POST", "/api/v1/consents/"+askP.ID+"/answer", node.ConsentAnswer{Grant: true}, nil); code != 409 {
		t.Errorf("a refused consent granted after all: %d, want 409", code)
	}
	if code, _ := exportStatus(t, fra, r.ID, "?proceedings=case+2026%2F17"); code != 409 {
		t.Errorf("export for other proceedings after a refusal: %d, want 409", code)
	}

	// Consent to give both items to ZAF.
	var ask evidence.Consent
	if code := fra.do("POST", "/api/v1/requests/"+r.ID+"/consents", node.ConsentAsk{Items: []string{a.ID, b.ID}, Use: convention.Use{ToState: "ZAF"},
		Reasons: "a joint investigation team with ZAF"}, &ask); code != 201 {
		t.Fatalf("ask consent: %d", code)
	}
	waitConsent(t, vnm, r.ID, ask.ID, evidence.ConsentAsked)
	// ZAF sees nothing of it and cannot answer it, through its API or by
	// forging VNM's answer through the federation endpoint.
	var zafs []evidence.Consent
	if zaf.do("GET", "/api/v1/consents", nil, &zafs); len(zafs) != 0 {
		t.Errorf("ZAF lists %d consents", len(zafs))
	}
	if code := zaf.do("POST", "/api/v1/consents/"+ask.ID+"/answer", node.ConsentAnswer{Grant: true}, nil); code != 404 {
		t.Errorf("ZAF answers VNM's consent: %d, want 404", code)
	}
	payload, _ := json.Marshal(evidence.ConsentAnswer{ID: ask.ID, Request: r.ID, Granted: true})
	forged, err := federation.Seal(signingKey(t, net.Nodes["ZAF"]), "ZAF", "FRA", encryptionKey(t, net.Nodes["FRA"]), "01a22e12-0000-7000-8000-00000000f0f0",
		node.MsgConsentAnswer, time.Now(), payload)
	if err != nil {
		t.Fatal(err)
	}
	if ans := postEnvelope(t, net, net.Nodes["FRA"].URL, bytes.NewReader(forged.Marshal())); ans.status == http.StatusOK {
		t.Errorf("FRA accepts ZAF's answer for VNM's items: %d %s", ans.status, ans.body)
	}
	if code, _ := exportStatus(t, fra, r.ID, "?for_state=ZAF"); code != 409 {
		t.Errorf("export for ZAF before VNM's answer: %d, want 409", code)
	}
	further := convention.Conditions{{Kind: convention.PersonalDataCondition, Text: "no onward transfer by ZAF"}}
	if code := vnm.do("POST", "/api/v1/consents/"+ask.ID+"/answer", node.ConsentAnswer{Grant: true, Reasons: "for the joint team", Conditions: further}, nil); code != 200 {
		t.Fatalf("grant: %d", code)
	}
	granted := waitConsent(t, fra, r.ID, ask.ID, evidence.ConsentGranted)
	if len(granted.Conditions) != 1 || granted.Conditions[0] != further[0] {
		t.Errorf("the consent's conditions at FRA = %v, want %v", granted.Conditions, further)
	}
	if code, body := exportStatus(t, fra, r.ID, "?for_state=ZAF"); code != 200 {
		t.Errorf("export for ZAF after consent: %d %s", code, body)
	}
	// Exactly what was consented to: not another State, not other
	// proceedings.
	if code, _ := exportStatus(t, fra, r.ID, "?for_state=DEU"); code != 409 {
		t.Errorf("export for DEU on a consent for ZAF: %d, want 409", code)
	}
	if code := fra.do("POST", "/api/v1/requests/"+o.ID+"/transitions", casework.Transition{Action: casework.Send}, nil); code != 200 {
		t.Errorf("the request to ZAF after consent: %d, want 200", code)
	}
	if b = itemAt(t, fra, r.ID, b.ID); !hasKind(b.Conditions, convention.PersonalDataCondition) {
		t.Errorf("the consent's further conditions do not bind the item: %v", b.Conditions)
	}
	// Both custodies hold the consent's steps.
	for _, c := range []struct {
		a          api
		item, want string
	}{
		{fra, a.ID, evidence.ActionConsentAsked}, {fra, a.ID, evidence.ActionConsentRefused}, {fra, b.ID, evidence.ActionConsentGranted},
		{vnm, first.ID, evidence.ActionConsentAsked}, {vnm, first.ID, evidence.ActionConsentRefused}, {vnm, second.ID, evidence.ActionConsentGranted},
		{vnm, first.ID, evidence.ActionConditions},
	} {
		if ds := custodyDetail(t, c.a, r.ID, c.item, c.want); len(ds) == 0 {
			t.Errorf("custody of %s at %s holds no %s", c.item, c.a.url, c.want)
		}
	}
}
