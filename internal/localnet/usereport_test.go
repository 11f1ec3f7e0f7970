package localnet_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"entraide/internal/auditlog"
	"entraide/internal/convention"
	"entraide/internal/evidence"
	"entraide/internal/federation"
	"entraide/internal/localnet"
	"entraide/internal/node"
	"entraide/internal/store"
)

// sealAs seals payload, a message of type typ, from one node to another
// with the sender's own key, and posts it to the recipient.
func sealAs(t *testing.T, net *localnet.Network, from, to, typ string, payload []byte) (*federation.Envelope, inboxAnswer) {
	t.Helper()
	env, err := federation.Seal(signingKey(t, net.Nodes[from]), from, to, encryptionKey(t, net.Nodes[to]), uuid.Must(uuid.NewV7()).String(), typ, time.Now(), payload)
	if err != nil {
		t.Fatal(err)
	}
	return env, postEnvelope(t, net, net.Nodes[to].URL, bytes.NewReader(env.Marshal()))
}

// waitUseReport polls a's use report id of request until it is answered.
func waitUseReport(t *testing.T, a api, request, id string) (node.UseReport, []byte) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	var rep node.UseReport
	for time.Now().Before(deadline) {
		resp, err := a.send(t.Context(), "GET", "/api/v1/requests/"+request+"/use-reports/"+id, nil)
		if err == nil {
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK && json.Unmarshal(body, &rep) == nil && rep.Status != store.UseAsked {
				return rep, body
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("use report %s at %s still %q", id, a.url, rep.Status)
	return rep, nil
}

// auditActions returns the actions of the records of state's view on
// nd whose subject is subject, and the States of their actors.
func auditActions(t *testing.T, nd *localnet.Node, state, subject string) (actions, actorStates []string) {
	t.Helper()
	entries, err := nd.DB.Custody(t.Context(), state, subject)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		p, err := auditlog.Parse(e.Record)
		if err != nil {
			t.Fatal(err)
		}
		actions, actorStates = append(actions, p.Action), append(actorStates, p.ActorState)
	}
	return actions, actorStates
}

// TestUseReport: VNM gave FRA an item, which FRA's central authority
// viewed and downloaded. VNM asks what was done with it; FRA's node
// answers by itself, over HTTPS, with the item's custody entries proven
// in its log; VNM's node checks them against FRA's log key and keeps the
// report as verified, naming roles, not officials. A report changed on
// the way (an entry, a proof, the checkpoint) is refused and the change
// named; a third State, and the giving State about what it did not give,
// get nothing, and FRA's audit log holds their attempt.
func TestUseReport(t *testing.T) {
	net, officials := startNetwork(t, "FRA", "VNM", "ZAF")
	fra, vnm, zaf := officials["FRA"], officials["VNM"], officials["ZAF"]
	request, item, _ := answeredRequest(t, net, fra, vnm, 2*evidence.ChunkSize+5)
	path := "/api/v1/requests/" + request + "/use-reports"
	if code := vnm.do("POST", path, map[string]string{}, nil); code != http.StatusConflict {
		t.Errorf("VNM asks before sending anything: %d, want 409", code)
	}
	if code := vnm.do("POST", "/api/v1/requests/"+request+"/evidence/"+item+"/send", nil, nil); code != http.StatusAccepted {
		t.Fatalf("send: %d", code)
	}
	got := waitItem(t, fra, request, evidence.Available)
	waitCustody(t, vnm, request, item, evidence.ActionTransferred)
	// FRA's central authority reads the item's description and its bytes.
	if code := fra.do("GET", "/api/v1/requests/"+request+"/evidence/"+got.ID, nil, nil); code != http.StatusOK {
		t.Fatalf("view: %d", code)
	}
	resp, err := fra.send(t.Context(), "GET", "/api/v1/requests/"+request+"/evidence/"+got.ID+"/content", nil)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()

	// Only the State that gave the items asks, on its own node.
	if code := fra.do("POST", path, map[string]string{}, nil); code != http.StatusConflict {
		t.Errorf("FRA, which gave nothing, asks: %d, want 409", code)
	}
	if code := zaf.do("POST", path, map[string]string{}, nil); code != http.StatusNotFound {
		t.Errorf("ZAF, not party, asks: %d, want 404", code)
	}
	if code := vnm.do("POST", path, map[string]string{"item": request}, nil); code != http.StatusConflict {
		t.Errorf("VNM asks about an item it did not send: %d, want 409", code)
	}

	var asked node.UseReport
	if code := vnm.do("POST", path, map[string]string{}, &asked); code != http.StatusAccepted || asked.Status != store.UseAsked || asked.AskedOf != "FRA" {
		t.Fatalf("VNM asks: %d %+v", code, asked)
	}
	rep, body := waitUseReport(t, vnm, request, asked.ID)
	if !rep.Verified || rep.Status != store.UseVerified || rep.Problem != "" || len(rep.Items) != 1 {
		t.Fatalf("VNM's report = %+v, want one item, verified", rep)
	}
	ri := rep.Items[0]
	if ri.Item != item || ri.TheirItem != got.ID || ri.Name != "logs.tar" {
		t.Errorf("the report's item = %+v, want VNM's %s, FRA's %s", ri, item, got.ID)
	}
	roles := map[string]string{}
	for _, e := range ri.Entries {
		roles[e.Action] = e.Role
		if e.ActorState == "" || e.At.IsZero() || e.LeafIndex < 0 {
			t.Errorf("entry %+v lacks its actor's State, time or place in the log", e)
		}
	}
	for action, role := range map[string]string{evidence.ActionIncoming: node.RoleNode, evidence.ActionReceived: node.RoleNode,
		evidence.ActionViewed: "central_authority", evidence.ActionDownloaded: "central_authority", evidence.ActionUseReportAsked: node.RoleNode} {
		if roles[action] != role {
			t.Errorf("the report's %s entry: role %q, want %q (entries %v)", action, roles[action], role, roles)
		}
	}
	if bytes.Contains(body, []byte("ca-fra")) {
		t.Errorf("the report names FRA's official: %s", body)
	}
	if a, _ := auditActions(t, net.Nodes["VNM"], "VNM", "request/"+request); !contains(a, evidence.ActionUseReportAsk) || !contains(a, evidence.ActionUseReportVerified) {
		t.Errorf("VNM's audit of the request = %v, want the question and the verified answer", a)
	}
	if a, _ := auditActions(t, net.Nodes["FRA"], "FRA", evidence.Subject(got.ID)); !contains(a, evidence.ActionUseReportAsked) {
		t.Errorf("FRA's custody of the item = %v, want the question", a)
	}

	// The report as FRA's node sent it, for the forgeries below: each is
	// the answer to a question VNM asked, sealed with FRA's own key.
	honest, err := net.Nodes["VNM"].DB.UseReportByID(t.Context(), "VNM", asked.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		change func(r *evidence.UseReport)
		want   string // "" for a report that verifies
	}{
		{"unchanged", func(*evidence.UseReport) {}, ""},
		{"a download hidden as a view", func(r *evidence.UseReport) {
			for i, e := range r.Items[0].Entries {
				if bytes.Contains(e.Record, []byte(evidence.ActionDownloaded)) {
					r.Items[0].Entries[i].Record = bytes.Replace(e.Record, []byte(evidence.ActionDownloaded), []byte(evidence.ActionViewed), 1)
				}
			}
		}, "(evidence.viewed) is not at index"},
		{"a proof changed", func(r *evidence.UseReport) {
			e := r.Items[0].Entries[len(r.Items[0].Entries)-1]
			e.Proof[0][0] ^= 1
		}, "is not at index"},
		{"the checkpoint of another log", func(r *evidence.UseReport) {
			r.Checkpoint = []byte("fra.example/audit\n3\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n\n— fra.example/audit AAAA\n")
		}, "the checkpoint is not one FRA's log signed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			id := uuid.Must(uuid.NewV7()).String()
			if err := net.Nodes["VNM"].DB.Tx(t.Context(), func(tx *store.Tx) error {
				return tx.InsertUseReport(t.Context(), store.UseReport{ID: id, State: "VNM", RequestID: request, Peer: "FRA", AskedBy: "ca-vnm", AskedAt: time.Now()})
			}); err != nil {
				t.Fatal(err)
			}
			var r evidence.UseReport
			if err := json.Unmarshal(honest.Report, &r); err != nil {
				t.Fatal(err)
			}
			r.Ask = id
			tc.change(&r)
			payload, _ := json.Marshal(r)
			env, ans := sealAs(t, net, "FRA", "VNM", node.MsgEvidenceUseReport, payload)
			ans.receipt(t, env, net.Nodes["VNM"])
			var got node.UseReport
			if code := vnm.do("GET", path+"/"+id, nil, &got); code != http.StatusOK {
				t.Fatalf("GET the report: %d", code)
			}
			switch {
			case tc.want == "" && (!got.Verified || got.Status != store.UseVerified):
				t.Errorf("the report as FRA sent it = %+v, want verified", got)
			case tc.want != "" && (got.Verified || got.Status != store.UseRefused || !strings.Contains(got.Problem, tc.want) || len(got.Items) != 0):
				t.Errorf("the report %s = %s %q with %d items, want refused, saying %q", tc.name, got.Status, got.Problem, len(got.Items), tc.want)
			}
		})
	}

	// A third State asks FRA's node directly, and VNM asks about FRA's own
	// copy, which VNM did not give: both are refused alike, and FRA's log
	// holds each attempt.
	for _, tc := range []struct {
		name, from string
		ask        evidence.UseAsk
	}{
		{"a third State", "ZAF", evidence.UseAsk{ID: uuid.Must(uuid.NewV7()).String(), Request: request}},
		{"the giving State, about what it did not give", "VNM", evidence.UseAsk{ID: uuid.Must(uuid.NewV7()).String(), Request: request, Item: got.ID}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			payload, _ := json.Marshal(tc.ask)
			env, ans := sealAs(t, net, tc.from, "FRA", node.MsgEvidenceUseAsk, payload)
			if ans.status != http.StatusUnprocessableEntity || !bytes.Contains(ans.body, []byte(node.ReasonRejected)) {
				t.Errorf("FRA answers %s's question with %d %s, want 422 rejected", tc.from, ans.status, ans.body)
			}
			if a, states := auditActions(t, net.Nodes["FRA"], "FRA", "message/"+env.ID); len(a) != 1 || a[0] != "federation.refuse" || states[0] != tc.from {
				t.Errorf("FRA's audit of the question = %v by %v, want federation.refuse by %s", a, states, tc.from)
			}
		})
	}
	// A question FRA's node refuses reaches VNM's report as unanswered,
	// with FRA's reason, and not as a timeline step of the request.
	t.Run("refused by the other node", func(t *testing.T) {
		ask := evidence.UseAsk{ID: uuid.Must(uuid.NewV7()).String(), Request: request, Item: got.ID}
		payload, _ := json.Marshal(ask)
		if err := net.Nodes["VNM"].DB.Tx(t.Context(), func(tx *store.Tx) error {
			if err := tx.InsertUseReport(t.Context(), store.UseReport{ID: ask.ID, State: "VNM", RequestID: request, ItemID: got.ID, Peer: "FRA", AskedBy: "ca-vnm", AskedAt: time.Now()}); err != nil {
				return err
			}
			return tx.Enqueue(t.Context(), store.OutboxEntry{ID: uuid.Must(uuid.NewV7()).String(), Recipient: "FRA", Type: node.MsgEvidenceUseAsk, RequestID: request, Envelope: payload, CreatedAt: time.Now()})
		}); err != nil {
			t.Fatal(err)
		}
		// A second question, asked as an official asks it, wakes VNM's
		// outbox, which sends both in order; the second is answered.
		var again node.UseReport
		if code := vnm.do("POST", path, map[string]string{}, &again); code != http.StatusAccepted {
			t.Fatalf("VNM asks again: %d", code)
		}
		if rep, _ := waitUseReport(t, vnm, request, again.ID); !rep.Verified || rep.CheckpointSize <= asked.CheckpointSize {
			t.Errorf("the second report = %s under a checkpoint of %d, want verified, under a larger one than the first's", rep.Status, rep.CheckpointSize)
		}
		rep, _ := waitUseReport(t, vnm, request, ask.ID)
		if rep.Status != store.UseUnanswered || rep.Verified || !strings.Contains(rep.Problem, "holds no evidence that VNM gave") {
			t.Errorf("the refused question = %s %q, want unanswered with FRA's reason", rep.Status, rep.Problem)
		}
		if a, _ := auditActions(t, net.Nodes["VNM"], "VNM", "request/"+request); !contains(a, evidence.ActionUseReportUnanswered) {
			t.Errorf("VNM's audit of the request = %v, want the question unanswered", a)
		}
	})
	if a, _ := auditActions(t, net.Nodes["FRA"], "FRA", evidence.Subject(got.ID)); count(a, evidence.ActionUseReportAsked) != 2 {
		t.Errorf("FRA's custody of the item = %v, want VNM's two questions answered, and none of those refused", a)
	}
}

func count(list []string, s string) int {
	n := 0
	for _, v := range list {
		if v == s {
			n++
		}
	}
	return n
}

// TestUseReportShowsConsent: VNM gives FRA an item under a condition;
// FRA asks VNM's consent to pass it to ZAF, and VNM grants it. VNM's use
// report then holds, proven in FRA's log, the conditions recorded on the
// item there, the consent asked, and the consent granted.
func TestUseReportShowsConsent(t *testing.T) {
	net, officials := startNetwork(t, "FRA", "VNM", "ZAF")
	fra, vnm := officials["FRA"], officials["VNM"]
	request, item, _ := answeredRequest(t, net, fra, vnm, 1000)
	if code := vnm.do("POST", "/api/v1/requests/"+request+"/evidence/"+item+"/send",
		map[string]any{"conditions": convention.Conditions{{Kind: convention.NoOnwardTransfer}}}, nil); code != http.StatusAccepted {
		t.Fatalf("send under a condition: %d", code)
	}
	got := waitItem(t, fra, request, evidence.Available)
	var ask evidence.Consent
	if code := fra.do("POST", "/api/v1/requests/"+request+"/consents", node.ConsentAsk{Items: []string{got.ID}, Use: convention.Use{ToState: "ZAF"},
		Reasons: "a joint investigation team with ZAF"}, &ask); code != http.StatusCreated {
		t.Fatalf("ask consent: %d", code)
	}
	waitConsent(t, vnm, request, ask.ID, evidence.ConsentAsked)
	if code := vnm.do("POST", "/api/v1/consents/"+ask.ID+"/answer", node.ConsentAnswer{Grant: true}, nil); code != http.StatusOK {
		t.Fatalf("grant: %d", code)
	}
	waitConsent(t, fra, request, ask.ID, evidence.ConsentGranted)

	var asked node.UseReport
	if code := vnm.do("POST", "/api/v1/requests/"+request+"/use-reports", map[string]string{}, &asked); code != http.StatusAccepted {
		t.Fatalf("VNM asks: %d", code)
	}
	rep, _ := waitUseReport(t, vnm, request, asked.ID)
	if !rep.Verified || len(rep.Items) != 1 {
		t.Fatalf("the report = %+v, want one item, verified", rep)
	}
	var actions []string
	for _, e := range rep.Items[0].Entries {
		actions = append(actions, e.Action)
	}
	for _, want := range []string{evidence.ActionConditions, evidence.ActionConsentAsked, evidence.ActionConsentGranted} {
		if !contains(actions, want) {
			t.Errorf("the report's entries = %v, want %s", actions, want)
		}
	}
}
