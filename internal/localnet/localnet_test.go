package localnet_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"entraide/internal/casework"
	"entraide/internal/convention"
	"entraide/internal/identity"
	"entraide/internal/localnet"
	"entraide/internal/node"
)

// api calls a node's API as an official.
type api struct {
	t     *testing.T
	net   *localnet.Network
	url   string
	token string
}

func (a api) do(method, path string, body, out any) int {
	a.t.Helper()
	var rd []byte
	if body != nil {
		rd, _ = json.Marshal(body)
	}
	resp, err := a.send(a.t.Context(), method, path, rd)
	if err != nil && method == "GET" {
		// A connection to a node that was stopped and restarted can fail
		// once; the caller polls again.
		a.t.Logf("%s %s: %v", method, path, err)
		return 0
	}
	if err != nil {
		a.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if out != nil && resp.StatusCode < 300 {
		if err := json.Unmarshal(data, out); err != nil {
			a.t.Fatalf("%s %s: %v in %s", method, path, err, data)
		}
	}
	if resp.StatusCode >= 300 {
		a.t.Logf("%s %s: %d %s", method, path, resp.StatusCode, data)
	}
	return resp.StatusCode
}

// send makes one API call as a well-behaved client does: a 429 is tried
// again after its Retry-After, since a test's officials call faster than
// the per-token limit allows when the machine is idle.
func (a api) send(ctx context.Context, method, path string, body []byte) (*http.Response, error) {
	for attempt := 0; ; attempt++ {
		var rd io.Reader
		if body != nil {
			rd = bytes.NewReader(body)
		}
		req, err := http.NewRequestWithContext(ctx, method, a.url+path, rd)
		if err != nil {
			return nil, err
		}
		req.Header.Set("Authorization", "Bearer "+a.token)
		req.Header.Set("Content-Type", "application/json")
		resp, err := a.net.Client.Do(req)
		if err != nil || resp.StatusCode != http.StatusTooManyRequests || attempt == 30 {
			return resp, err
		}
		wait, _ := strconv.Atoi(resp.Header.Get("Retry-After"))
		resp.Body.Close()
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(time.Duration(max(wait, 1)) * time.Second):
		}
	}
}

type requestDoc struct {
	Request  casework.Request `json:"request"`
	Timeline []casework.Event `json:"timeline"`
}

// waitFor polls a's view of request id until it is in state, or fails
// the test after a deadline. Delivery is asynchronous: there is nothing to
// wait on but the other node's view.
func (a api) waitFor(id string, state casework.State) requestDoc {
	a.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	var doc requestDoc
	for time.Now().Before(deadline) {
		if a.do("GET", "/api/v1/requests/"+id, nil, &doc) == 200 && doc.Request.State == state {
			return doc
		}
		time.Sleep(5 * time.Millisecond)
	}
	a.t.Fatalf("request %s at %s: state %q, want %q", id, a.url, doc.Request.State, state)
	return doc
}

// waitEvents waits until request id's timeline at a holds n events of
// action, and returns the request: for a step that leaves the state alone.
func (a api) waitEvents(id string, action casework.Action, n int) requestDoc {
	a.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	var doc requestDoc
	got := 0
	for time.Now().Before(deadline) {
		if a.do("GET", "/api/v1/requests/"+id, nil, &doc) == 200 {
			got = 0
			for _, e := range doc.Timeline {
				if e.Action == action {
					got++
				}
			}
			if got >= n {
				return doc
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
	a.t.Fatalf("request %s at %s: %d %s events, want %d", id, a.url, got, action, n)
	return doc
}

func preservation(to string) casework.Contents {
	return casework.Contents{Kind: convention.Preservation, RequestedState: to, LegalBasis: &casework.LegalBasis{Type: casework.BasisReciprocity}, Urgency: casework.Urgent,
		Offences: []convention.Charge{{Article: 7}},
		Fields: map[string]string{
			"requesting_authority": "24/7 point of contact", "facts_summary": "Intrusion into a ministry's mail server.",
			"stored_data": "Logs of the VPS used as relay.", "necessity": "Logs are kept 14 days.",
			"follow_up_intent": "A request for disclosure will follow.",
		}}
}

func startNetwork(t *testing.T, states ...string) (*localnet.Network, map[string]api) {
	t.Helper()
	net, err := localnet.Start(t.Context(), states, localnet.Options{Dir: t.TempDir(),
		Federation: node.FederationConfig{RetryBase: 20 * time.Millisecond}})
	if err != nil {
		t.Fatalf("localnet.Start: %v", err)
	}
	t.Cleanup(net.Close)
	officials := map[string]api{}
	for _, s := range states {
		token, err := net.Official(context.Background(), s, "ca-"+strings.ToLower(s), "Central authority of "+s, identity.CentralAuthority)
		if err != nil {
			t.Fatal(err)
		}
		officials[s] = api{t: t, net: net, url: net.Nodes[s].URL, token: token}
	}
	return net, officials
}

func shared(events []casework.Event) []string {
	var out []string
	for _, e := range events {
		if e.Action != casework.Create && e.Action != casework.Receipt && e.Action != casework.Deliver {
			out = append(out, fmt.Sprintf("%s %s→%s by %s/%s at %s", e.Action, e.From, e.To, e.ActorState, e.Actor, e.At.Format(time.RFC3339Nano)))
		}
	}
	return out
}

func TestLifecycleAcrossTwoNodes(t *testing.T) {
	_, officials := startNetwork(t, "FRA", "VNM")
	fra, vnm := officials["FRA"], officials["VNM"]
	var r casework.Request
	if code := fra.do("POST", "/api/v1/requests", preservation("VNM"), &r); code != 201 {
		t.Fatalf("create: %d", code)
	}
	if code := fra.do("POST", "/api/v1/requests/"+r.ID+"/transitions", casework.Transition{Action: casework.Send}, nil); code != 200 {
		t.Fatalf("send: %d", code)
	}
	vnm.waitFor(r.ID, casework.Received)
	fra.waitFor(r.ID, casework.Received) // the receipt came back
	steps := []struct {
		by   api
		t    casework.Transition
		want casework.State
	}{
		{vnm, casework.Transition{Action: casework.Acknowledge}, casework.Acknowledged},
		{vnm, casework.Transition{Action: casework.Start}, casework.InProgress},
		{vnm, casework.Transition{Action: casework.RequestInfo, Note: "Which VPS exactly?"}, casework.MoreInfoRequested},
		{fra, casework.Transition{Action: casework.ProvideInfo, Note: "The one at 203.0.113.7."}, casework.InProgress},
		// Art. 42(7): the requesting State asks for more time, the
		// requested State grants it; it is withdrawn once no longer needed.
		{fra, casework.Transition{Action: casework.AskExtension, Note: "The judge needs a month more.", PreserveUntil: new(time.Now().AddDate(0, 0, 90))}, casework.InProgress},
		{vnm, casework.Transition{Action: casework.Extend, PreserveUntil: new(time.Now().AddDate(0, 0, 90))}, casework.InProgress},
		{fra, casework.Transition{Action: casework.Withdraw, Note: "The suspect confessed."}, casework.Withdrawn},
		{vnm, casework.Transition{Action: casework.Close}, casework.Closed},
	}
	for _, s := range steps {
		if code := s.by.do("POST", "/api/v1/requests/"+r.ID+"/transitions", s.t, nil); code != 200 {
			t.Fatalf("%s: %d", s.t.Action, code)
		}
		fra.waitFor(r.ID, s.want)
		vnm.waitFor(r.ID, s.want)
		fra.waitEvents(r.ID, s.t.Action, 1)
		vnm.waitEvents(r.ID, s.t.Action, 1)
	}
	a, b := fra.waitFor(r.ID, casework.Closed), vnm.waitFor(r.ID, casework.Closed)
	if !slices.Equal(shared(a.Timeline), shared(b.Timeline)) {
		t.Errorf("timelines disagree:\nFRA %q\nVNM %q", shared(a.Timeline), shared(b.Timeline))
	}
	if a.Request.Preservation == nil || b.Request.Preservation == nil || !a.Request.Preservation.Until.Equal(b.Request.Preservation.Until) {
		t.Errorf("preservation periods disagree: FRA %+v, VNM %+v", a.Request.Preservation, b.Request.Preservation)
	}
	receipts := 0
	for _, e := range a.Timeline {
		if e.Action == casework.Receipt || e.Action == casework.Deliver {
			receipts++
		}
	}
	if receipts != 4 { // send, provide_info, close from FRA; deliver counts the send
		t.Logf("FRA timeline: %+v", a.Timeline)
	}
}

func TestSendToUnknownStateIsRefused(t *testing.T) {
	_, officials := startNetwork(t, "FRA", "VNM")
	fra := officials["FRA"]
	var r casework.Request
	fra.do("POST", "/api/v1/requests", preservation("ZAF"), &r)
	if code := fra.do("POST", "/api/v1/requests/"+r.ID+"/transitions", casework.Transition{Action: casework.Send}, nil); code != 409 {
		t.Errorf("send to ZAF, whose node is unknown: %d, want 409", code)
	}
	fra.waitFor(r.ID, casework.Draft)
}

func TestPeerDownThenBack(t *testing.T) {
	net, officials := startNetwork(t, "FRA", "VNM")
	fra, vnm := officials["FRA"], officials["VNM"]
	net.Nodes["VNM"].Stop()
	var ids []string
	for range 5 {
		var r casework.Request
		fra.do("POST", "/api/v1/requests", preservation("VNM"), &r)
		if code := fra.do("POST", "/api/v1/requests/"+r.ID+"/transitions", casework.Transition{Action: casework.Send}, nil); code != 200 {
			t.Fatalf("send while VNM is down: %d, want 200 (queued)", code)
		}
		ids = append(ids, r.ID)
	}
	// Sent, not received, while the peer is down.
	for _, id := range ids {
		fra.waitFor(id, casework.Sent)
	}
	if err := net.Nodes["VNM"].Restart(t.Context(), net); err != nil {
		t.Fatal(err)
	}
	for _, id := range ids {
		vnm.waitFor(id, casework.Received)
		fra.waitFor(id, casework.Received)
	}
	var page struct {
		Requests []casework.Request `json:"requests"`
	}
	vnm.do("GET", "/api/v1/requests?limit=100", nil, &page)
	if len(page.Requests) != len(ids) {
		t.Errorf("VNM holds %d requests, want %d: none lost, none duplicated", len(page.Requests), len(ids))
	}
}
