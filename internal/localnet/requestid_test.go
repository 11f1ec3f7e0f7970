package localnet_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"entraide/internal/casework"
	"entraide/internal/identity"
	"entraide/internal/localnet"
	"entraide/internal/node"
	"entraide/internal/requestid"
)

// lockedBuffer collects both nodes' log lines, written from many
// goroutines.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// lines returns the JSON log lines written so far.
func (b *lockedBuffer) lines(t *testing.T) (raw string, lines []map[string]any) {
	t.Helper()
	b.mu.Lock()
	raw = b.buf.String()
	b.mu.Unlock()
	for _, l := range strings.Split(strings.TrimSpace(raw), "\n") {
		var rec map[string]any
		if err := json.Unmarshal([]byte(l), &rec); err != nil {
			t.Fatalf("log line not JSON: %v: %s", err, l)
		}
		lines = append(lines, rec)
	}
	return raw, lines
}

// TestRequestIDsAcrossNodes: a call's X-Request-Id comes back in the
// answer and names its line in the node's JSON log; a message the call
// caused keeps that id in the outbox and is delivered under it, so that
// one id finds the call and the delivery on the sending node and the
// message's arrival on the peer, each line naming the message's id. No
// token reaches the logs.
func TestRequestIDsAcrossNodes(t *testing.T) {
	var logs lockedBuffer
	net, err := localnet.Start(t.Context(), []string{"FRA", "VNM"}, localnet.Options{Dir: t.TempDir(),
		Federation: node.FederationConfig{RetryBase: 20 * time.Millisecond},
		Log:        slog.New(slog.NewJSONHandler(&logs, nil))})
	if err != nil {
		t.Fatalf("localnet.Start: %v", err)
	}
	t.Cleanup(net.Close)
	token, err := net.Official(context.Background(), "FRA", "ca-fra", "Central authority of FRA", identity.CentralAuthority)
	if err != nil {
		t.Fatal(err)
	}
	fra := api{t: t, net: net, url: net.Nodes["FRA"].URL, token: token}
	var r casework.Request
	if code := fra.do("POST", "/api/v1/requests", preservation("VNM"), &r); code != 201 {
		t.Fatalf("create: %d", code)
	}
	body, _ := json.Marshal(casework.Transition{Action: casework.Send})
	req, err := http.NewRequestWithContext(t.Context(), "POST", fra.url+"/api/v1/requests/"+r.ID+"/transitions", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(requestid.Header, "trace-send-1")
	resp, err := net.Client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get(requestid.Header) != "trace-send-1" {
		t.Fatalf("send: status %d, %s %q, want 200 and the caller's id", resp.StatusCode, requestid.Header, resp.Header.Get(requestid.Header))
	}
	// An id that is not a sane token is replaced, not echoed.
	req, _ = http.NewRequestWithContext(t.Context(), "GET", fra.url+"/healthz", nil)
	req.Header.Set(requestid.Header, "bad id; level=ERROR")
	resp, err = net.Client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got := resp.Header.Get(requestid.Header); !requestid.Valid(got) {
		t.Errorf("a bad X-Request-Id came back as %q, want a new id", got)
	}
	fra.waitFor(r.ID, casework.Received) // the receipt came back

	const id = "trace-send-1"
	deadline := time.Now().Add(10 * time.Second)
	for {
		raw, lines := logs.lines(t)
		if strings.Contains(raw, token) {
			t.Fatalf("the official's token is in the logs")
		}
		var message string
		sent, delivered, arrived, received := false, false, false, false
		for _, l := range lines {
			switch {
			case l["node"] == "FRA" && l["msg"] == "request" && l["request_id"] == id && l["route"] == "POST /api/v1/requests/{id}/transitions":
				sent = true
			case l["node"] == "FRA" && l["msg"] == "delivered" && l["request_id"] == id && l["type"] == node.MsgRequestSend:
				message, _ = l["message"].(string)
				delivered = message != "" && message != id
			}
		}
		for _, l := range lines {
			switch {
			case l["node"] != "VNM" || l["request_id"] != id:
			case l["msg"] == "request" && (l["route"] == "POST /federation/v1/messages" || l["route"] == "POST /federation/v1/batches"):
				arrived = true
			case l["msg"] == "received" && message != "" && l["message"] == message && l["from"] == "FRA" && l["duplicate"] == false:
				received = true
			}
		}
		if sent && delivered && arrived && received {
			if testing.Verbose() {
				for l := range strings.Lines(raw) {
					if strings.Contains(l, id) {
						t.Log(strings.TrimSpace(l))
					}
				}
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("logs under %s: the send's line %v, FRA's delivery naming the message %v, VNM's post %v and receipt of the message %v:\n%s", id, sent, delivered, arrived, received, raw)
		}
		time.Sleep(20 * time.Millisecond)
	}
	// The id goes with the outbox's row, for each attempt.
	outbox, err := net.Nodes["FRA"].DB.Outbox(t.Context(), 10)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, m := range outbox {
		if m.Type == node.MsgRequestSend && m.RequestID == r.ID {
			found = true
			if m.OriginRequestID != id {
				t.Errorf("the outbox holds %q as the origin of %s, want %q", m.OriginRequestID, m.ID, id)
			}
		}
	}
	if !found {
		t.Errorf("no request.send of %s in FRA's outbox", r.ID)
	}
}
