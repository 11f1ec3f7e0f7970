package localnet_test

// Federation between nodes on one machine: each node is a real HTTPS
// server with its own database, and every envelope crosses loopback. The
// tests wait for asynchronous delivery by polling the nodes' APIs until a
// deadline, never by sleeping.

import (
	"bytes"
	"context"
	"crypto/ecdh"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"entraide/internal/casework"
	"entraide/internal/federation"
	"entraide/internal/identity"
	"entraide/internal/localnet"
	"entraide/internal/node"
	"entraide/internal/store"
)

// deliveryDeadline bounds every wait for a message to cross the network.
const deliveryDeadline = 15 * time.Second

// fedNet is a running network with, for each State, an API client for its
// central authority and one for its first administrator.
type fedNet struct {
	*localnet.Network
	officials map[string]api
	admins    map[string]api
}

// startFederation starts a network of states whose delivery is tuned by
// fed, and stops it when the test ends.
func startFederation(t *testing.T, fed node.FederationConfig, states ...string) *fedNet {
	t.Helper()
	net, err := localnet.Start(t.Context(), states, localnet.Options{Dir: t.TempDir(), Federation: fed})
	if err != nil {
		t.Fatalf("localnet.Start: %v", err)
	}
	t.Cleanup(func() {
		// Without its idle HTTP/2 connections, a node's server shuts down
		// at once instead of after HTTP/2's one-second GOAWAY grace.
		net.Client.CloseIdleConnections()
		net.Close()
	})
	f := &fedNet{Network: net, officials: map[string]api{}, admins: map[string]api{}}
	for _, s := range states {
		token, err := net.Official(context.Background(), s, "ca-"+strings.ToLower(s), "Central authority of "+s, identity.CentralAuthority)
		if err != nil {
			t.Fatal(err)
		}
		f.officials[s] = api{t: t, net: net, url: net.Nodes[s].URL, token: token}
		f.admins[s] = api{t: t, net: net, url: net.Nodes[s].URL, token: net.Nodes[s].AdminToken}
	}
	return f
}

// with returns a for use by t, a subtest.
func (a api) with(t *testing.T) api {
	a.t = t
	return a
}

// call is api.do for goroutines other than the test's: it reports
// failures instead of ending the test.
func (a api) call(ctx context.Context, method, path string, body, out any) (int, error) {
	var rd []byte
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, err
		}
		rd = b
	}
	resp, err := a.send(ctx, method, path, rd)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return resp.StatusCode, err
	}
	if resp.StatusCode >= 300 {
		return resp.StatusCode, fmt.Errorf("%s %s: %d %s", method, path, resp.StatusCode, data)
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			return resp.StatusCode, fmt.Errorf("%s %s: %v in %s", method, path, err, data)
		}
	}
	return resp.StatusCode, nil
}

// createAndSend drafts a preservation request to the State to and sends
// it, and returns its id.
func (a api) createAndSend(ctx context.Context, to string) (string, error) {
	var r casework.Request
	if _, err := a.call(ctx, "POST", "/api/v1/requests", preservation(to), &r); err != nil {
		return "", err
	}
	if _, err := a.call(ctx, "POST", "/api/v1/requests/"+r.ID+"/transitions", casework.Transition{Action: casework.Send}, nil); err != nil {
		return r.ID, err
	}
	return r.ID, nil
}

// move makes transition tr on request id and fails the test if the node
// refuses it.
func (a api) move(id string, tr casework.Transition) {
	a.t.Helper()
	if _, err := a.call(a.t.Context(), "POST", "/api/v1/requests/"+id+"/transitions", tr, nil); err != nil {
		a.t.Fatalf("%s %s: %v", tr.Action, id, err)
	}
}

// views lists the node's views of requests, by id, up to 500.
func (a api) views() (map[string]*casework.Request, error) {
	var page store.Page
	if _, err := a.call(a.t.Context(), "GET", "/api/v1/requests?limit=500", nil, &page); err != nil {
		return nil, err
	}
	out := map[string]*casework.Request{}
	for _, r := range page.Requests {
		out[r.ID] = r
	}
	return out, nil
}

// waitAll polls the node until each of ids is in state want, or fails the
// test after deliveryDeadline, naming the requests that are not.
func (a api) waitAll(ids []string, want casework.State) map[string]*casework.Request {
	a.t.Helper()
	deadline := time.Now().Add(deliveryDeadline)
	var lagging []string
	for {
		views, err := a.views()
		if err != nil {
			a.t.Fatal(err)
		}
		lagging = lagging[:0]
		for _, id := range ids {
			if v := views[id]; v == nil || v.State != want {
				got := casework.State("absent")
				if v != nil {
					got = v.State
				}
				lagging = append(lagging, id+" "+string(got))
			}
		}
		if len(lagging) == 0 {
			return views
		}
		if time.Now().After(deadline) {
			a.t.Fatalf("at %s, %d of %d requests are not %s after %s: %v", a.url, len(lagging), len(ids), want, deliveryDeadline, lagging)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// get returns the node's view of request id and its timeline.
func (a api) get(id string) requestDoc {
	a.t.Helper()
	var doc requestDoc
	if _, err := a.call(a.t.Context(), "GET", "/api/v1/requests/"+id, nil, &doc); err != nil {
		a.t.Fatal(err)
	}
	return doc
}

// parallel runs fn for each of items on a few goroutines and returns the
// first error.
func parallel[T any](items []T, workers int, fn func(T) error) error {
	var (
		mu    sync.Mutex
		first error
		wg    sync.WaitGroup
	)
	ch := make(chan T)
	for range workers {
		wg.Go(func() {
			for it := range ch {
				if err := fn(it); err != nil {
					mu.Lock()
					if first == nil {
						first = err
					}
					mu.Unlock()
				}
			}
		})
	}
	for _, it := range items {
		ch <- it
	}
	close(ch)
	wg.Wait()
	return first
}

// auditRecord is an audit record as the API returns it, decoded.
type auditRecord struct {
	Seq     int64           `json:"seq"`
	Actor   string          `json:"actor"`
	Action  string          `json:"action"`
	Subject string          `json:"subject"`
	Detail  json.RawMessage `json:"detail"`
}

// audit returns the node's audit records after seq after, read through
// GET /api/v1/audit.
func (a api) audit(after int64) []auditRecord {
	a.t.Helper()
	var out []auditRecord
	for {
		var page []store.AuditEntry
		if _, err := a.call(a.t.Context(), "GET", fmt.Sprintf("/api/v1/audit?after=%d&limit=1000", after), nil, &page); err != nil {
			a.t.Fatal(err)
		}
		if len(page) == 0 {
			return out
		}
		for _, e := range page {
			var r auditRecord
			if err := json.Unmarshal(e.Record, &r); err != nil {
				a.t.Fatalf("audit record %d: %v", e.Seq, err)
			}
			r.Seq = e.Seq // the record's bytes hold none since version 3
			out = append(out, r)
			after = e.Seq
		}
	}
}

// lastAudit returns the sequence number of the node's last audit record.
func (a api) lastAudit() int64 {
	a.t.Helper()
	recs := a.audit(0)
	if len(recs) == 0 {
		return 0
	}
	return recs[len(recs)-1].Seq
}

func countActions(recs []auditRecord, action string) int {
	n := 0
	for _, r := range recs {
		if r.Action == action {
			n++
		}
	}
	return n
}

// countEvents counts the actions of a timeline.
func countEvents(events []casework.Event) map[casework.Action]int {
	out := map[casework.Action]int{}
	for _, e := range events {
		out[e.Action]++
	}
	return out
}

// TestRequestsBetweenThreeNodes sends requests between every pair of three
// nodes, in both directions at once, and takes each through its life: every
// request arrives once, and both States' views and timelines agree.
func TestRequestsBetweenThreeNodes(t *testing.T) {
	states := []string{"FRA", "VNM", "ZAF"}
	const perPair = 20
	f := startFederation(t, node.FederationConfig{RetryBase: 20 * time.Millisecond}, states...)

	type pair struct{ from, to string }
	var pairs []pair
	for _, from := range states {
		for _, to := range states {
			if from != to {
				pairs = append(pairs, pair{from, to})
			}
		}
	}
	var mu sync.Mutex
	sent := map[pair][]string{}
	var wg sync.WaitGroup
	for _, p := range pairs {
		wg.Go(func() {
			for range perPair {
				id, err := f.officials[p.from].createAndSend(t.Context(), p.to)
				if err != nil {
					t.Errorf("%s sends to %s: %v", p.from, p.to, err)
					return
				}
				mu.Lock()
				sent[p] = append(sent[p], id)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}

	// Each node holds, as requested State, exactly what the others sent it,
	// and, as requesting State, sees each of its own received.
	for _, s := range states {
		var incoming, outgoing []string
		for p, ids := range sent {
			if p.to == s {
				incoming = append(incoming, ids...)
			}
			if p.from == s {
				outgoing = append(outgoing, ids...)
			}
		}
		a := f.officials[s]
		views := a.waitAll(incoming, casework.Received)
		a.waitAll(outgoing, casework.Received)
		if want := len(incoming) + len(outgoing); len(views) != want {
			t.Errorf("%s holds %d views, want %d: %d received and %d sent", s, len(views), want, len(incoming), len(outgoing))
		}
		for _, id := range incoming {
			if v := views[id]; v.Holder != s || v.RequestedState != s {
				t.Errorf("%s's view of %s: holder %s, requested %s", s, id, v.Holder, v.RequestedState)
			}
		}
	}

	// A few transitions by both sides, each side acting once it has seen
	// the other's last move.
	type flow struct{ id, requesting, requested string }
	var flows []flow
	for p, ids := range sent {
		for _, id := range ids {
			flows = append(flows, flow{id, p.from, p.to})
		}
	}
	byState := func(side func(flow) string) map[string][]string {
		out := map[string][]string{}
		for _, fl := range flows {
			out[side(fl)] = append(out[side(fl)], fl.id)
		}
		return out
	}
	requesting := byState(func(fl flow) string { return fl.requesting })
	requested := byState(func(fl flow) string { return fl.requested })
	phases := []struct {
		requestedActs bool
		steps         []casework.Transition
		want          casework.State
	}{
		{true, []casework.Transition{{Action: casework.Acknowledge}, {Action: casework.Start}, {Action: casework.RequestInfo, Note: "Which VPS?"}}, casework.MoreInfoRequested},
		{false, []casework.Transition{{Action: casework.ProvideInfo, Note: "The one at 203.0.113.7."}}, casework.InProgress},
		// A preservation is not executed before its 60 days (art. 42(7)):
		// the requesting State withdraws it, the requested State closes it.
		{false, []casework.Transition{{Action: casework.Withdraw, Note: "No longer needed."}}, casework.Withdrawn},
		{true, []casework.Transition{{Action: casework.Close}}, casework.Closed},
	}
	for _, ph := range phases {
		err := parallel(flows, 6, func(fl flow) error {
			by := f.officials[fl.requesting]
			if ph.requestedActs {
				by = f.officials[fl.requested]
			}
			for _, tr := range ph.steps {
				if _, err := by.call(t.Context(), "POST", "/api/v1/requests/"+fl.id+"/transitions", tr, nil); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		other := requesting
		if !ph.requestedActs {
			other = requested
		}
		for s, ids := range other {
			f.officials[s].waitAll(ids, ph.want)
		}
	}

	// One event per transition on each side, and one receipt per message
	// each side sent.
	wantRequesting := map[casework.Action]int{casework.Create: 1, casework.Send: 1, casework.Deliver: 1, casework.Acknowledge: 1, casework.Start: 1,
		casework.RequestInfo: 1, casework.ProvideInfo: 1, casework.Withdraw: 1, casework.Close: 1, casework.Receipt: 2}
	wantRequested := map[casework.Action]int{casework.Send: 1, casework.Deliver: 1, casework.Acknowledge: 1, casework.Start: 1,
		casework.RequestInfo: 1, casework.ProvideInfo: 1, casework.Withdraw: 1, casework.Close: 1, casework.Receipt: 4}
	for _, fl := range flows {
		a, b := f.officials[fl.requesting].get(fl.id), f.officials[fl.requested].get(fl.id)
		if !slices.Equal(shared(a.Timeline), shared(b.Timeline)) {
			t.Errorf("%s: timelines disagree:\n%s %q\n%s %q", fl.id, fl.requesting, shared(a.Timeline), fl.requested, shared(b.Timeline))
		}
		if got := countEvents(a.Timeline); !mapsEqual(got, wantRequesting) {
			t.Errorf("%s: %s's timeline counts %v, want %v", fl.id, fl.requesting, got, wantRequesting)
		}
		if got := countEvents(b.Timeline); !mapsEqual(got, wantRequested) {
			t.Errorf("%s: %s's timeline counts %v, want %v", fl.id, fl.requested, got, wantRequested)
		}
		if a.Request.State != b.Request.State || a.Request.Preservation == nil || b.Request.Preservation == nil ||
			!a.Request.Preservation.Until.Equal(b.Request.Preservation.Until) {
			t.Errorf("%s: views disagree: %s %s %+v, %s %s %+v", fl.id, fl.requesting, a.Request.State, a.Request.Preservation,
				fl.requested, b.Request.State, b.Request.Preservation)
		}
	}
}

// wireMessage is the payload of an envelope about a request, as nodes
// write it.
type wireMessage struct {
	Seq     int               `json:"seq"`
	Event   casework.Event    `json:"event"`
	Request *casework.Request `json:"request,omitempty"`
}

// sendPayload is the payload of a request.send envelope for a new,
// conforming preservation request from one State to another.
func sendPayload(t *testing.T, from, to string) (requestID string, payload []byte) {
	t.Helper()
	now := time.Now().UTC()
	r := casework.New(preservation(to), uuid.Must(uuid.NewV7()).String(), from, "ca-"+strings.ToLower(from), now)
	e := casework.Event{RequestID: r.ID, At: now, Actor: r.CreatedBy, ActorState: from, Action: casework.Send, From: casework.Draft, To: casework.Sent}
	casework.ApplyEvent(&r, e)
	r.Version++
	payload, err := json.Marshal(wireMessage{Seq: 1, Event: e, Request: &r})
	if err != nil {
		t.Fatal(err)
	}
	return r.ID, payload
}

// signingKey returns the node's current signing key, read from its
// database and unwrapped by its keeper as the node itself does.
func signingKey(t *testing.T, nd *localnet.Node) federation.SigningKey {
	t.Helper()
	keys, err := nd.DB.Keys(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range keys {
		if k.Purpose == "signing" && k.ValidUntil.IsZero() {
			seed, err := nd.Keeper.Decrypt(t.Context(), k.Private)
			if err != nil {
				t.Fatalf("unwrap %s's signing key: %v", nd.State, err)
			}
			return federation.SigningKey{ID: k.ID, Private: ed25519.NewKeyFromSeed(seed)}
		}
	}
	t.Fatalf("%s has no current signing key", nd.State)
	return federation.SigningKey{}
}

// descriptor returns the node's signed descriptor, as JSON and parsed.
func descriptor(t *testing.T, nd *localnet.Node) ([]byte, *federation.Descriptor) {
	t.Helper()
	d, err := nd.Node.Descriptor(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	data, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	return data, d
}

// encryptionKey returns the key envelopes to the node are encrypted to.
func encryptionKey(t *testing.T, nd *localnet.Node) *ecdh.PublicKey {
	t.Helper()
	_, d := descriptor(t, nd)
	k, err := d.EncryptionPublicKey()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func freshSigningKey(t *testing.T) federation.SigningKey {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return federation.SigningKey{ID: federation.KeyID(pub), Private: priv}
}

func seal(t *testing.T, key federation.SigningKey, from, to string, encKey *ecdh.PublicKey, id string, created time.Time, payload []byte) *federation.Envelope {
	t.Helper()
	env, err := federation.Seal(key, from, to, encKey, id, node.MsgRequestSend, created, payload)
	if err != nil {
		t.Fatalf("Seal: %v", err)
	}
	return env
}

// inboxAnswer is a node's answer to a posted envelope.
type inboxAnswer struct {
	status      int
	contentType string
	body        []byte
}

// postEnvelope posts body to a node's federation endpoint, as a peer
// would.
func postEnvelope(t *testing.T, net *localnet.Network, url string, body io.Reader) inboxAnswer {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), "POST", url+"/federation/v1/messages", body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := net.Client.Do(req)
	if err != nil {
		t.Fatalf("POST %s/federation/v1/messages: %v", url, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return inboxAnswer{resp.StatusCode, resp.Header.Get("Content-Type"), data}
}

// receipt decodes an accepted envelope's receipt and checks its signature
// with the recipient's key.
func (ans inboxAnswer) receipt(t *testing.T, env *federation.Envelope, recipient *localnet.Node) federation.Receipt {
	t.Helper()
	if ans.status != http.StatusOK {
		t.Fatalf("envelope %s: %d %s, want 200 and a receipt", env.ID, ans.status, ans.body)
	}
	var rc federation.Receipt
	if err := json.Unmarshal(ans.body, &rc); err != nil {
		t.Fatalf("receipt: %v in %s", err, ans.body)
	}
	_, d := descriptor(t, recipient)
	k, ok := d.Key(rc.KeyID)
	if !ok {
		t.Fatalf("receipt signed by %s, not a key of %s", rc.KeyID, recipient.State)
	}
	if err := federation.VerifyReceipt(&rc, env, ed25519.PublicKey(k.Key)); err != nil {
		t.Errorf("receipt for %s: %v", env.ID, err)
	}
	return rc
}

// TestInboxRefusals posts envelopes built by hand to a node's federation
// endpoint over HTTPS: each bad one is refused with the status and reason
// code a peer can act on, and changes nothing. A refusal after the
// sender's signature verified is audited as that sender's; one before is
// kept as a security event, its sender a mere claim, with the address it
// came from.
func TestInboxRefusals(t *testing.T) {
	f := startFederation(t, node.FederationConfig{RetryBase: 20 * time.Millisecond}, "FRA", "VNM", "ZAF", "DEU")
	fra, vnm, zaf, deu := f.Nodes["FRA"], f.Nodes["VNM"], f.Nodes["ZAF"], f.Nodes["DEU"]
	// DEU plays an attacker: a real node with real keys, whose descriptor
	// VNM does not have.
	if err := vnm.Node.RemovePeer(t.Context(), vnm.Node.Admin(), "DEU"); err != nil {
		t.Fatal(err)
	}
	fraKey, zafKey, deuKey := signingKey(t, fra), signingKey(t, zaf), signingKey(t, deu)
	toVNM, toZAF := encryptionKey(t, vnm), encryptionKey(t, zaf)
	official, admin := f.officials["VNM"], f.admins["VNM"]

	// valid returns a conforming envelope from FRA to VNM, created at
	// created, and the id of the request it carries.
	valid := func(created time.Time) (*federation.Envelope, string) {
		id, payload := sendPayload(t, "FRA", "VNM")
		return seal(t, fraKey, "FRA", "VNM", toVNM, uuid.Must(uuid.NewV7()).String(), created, payload), id
	}
	marshal := func(env *federation.Envelope) []byte { return env.Marshal() }
	mutate := func(fn func(e *federation.Envelope)) func() ([]byte, string) {
		return func() ([]byte, string) {
			env, id := valid(time.Now())
			fn(env)
			return marshal(env), id
		}
	}

	tests := []struct {
		name       string
		body       func() (body []byte, requestID string)
		wantStatus int
		wantReason string
	}{
		{"tampered payload", mutate(func(e *federation.Envelope) { e.Payload[len(e.Payload)/2] ^= 1 }),
			http.StatusForbidden, federation.ReasonBadSignature},
		{"tampered header: message type", mutate(func(e *federation.Envelope) { e.Type = node.MsgRequestEvent }),
			http.StatusForbidden, federation.ReasonBadSignature},
		{"tampered header: creation time", mutate(func(e *federation.Envelope) { e.Created = e.Created.Add(-time.Second) }),
			http.StatusForbidden, federation.ReasonBadSignature},
		{"no signature", mutate(func(e *federation.Envelope) { e.Signature = nil }),
			http.StatusForbidden, federation.ReasonBadSignature},
		{"zero signature", mutate(func(e *federation.Envelope) { e.Signature = make([]byte, ed25519.SignatureSize) }),
			http.StatusForbidden, federation.ReasonBadSignature},
		{"signature forged with a fresh key under FRA's key id", func() ([]byte, string) {
			id, payload := sendPayload(t, "FRA", "VNM")
			forged := freshSigningKey(t)
			forged.ID = fraKey.ID
			return marshal(seal(t, forged, "FRA", "VNM", toVNM, uuid.Must(uuid.NewV7()).String(), time.Now(), payload)), id
		}, http.StatusForbidden, federation.ReasonBadSignature},
		{"FRA's envelope signed by a key FRA's descriptor does not list", func() ([]byte, string) {
			id, payload := sendPayload(t, "FRA", "VNM")
			return marshal(seal(t, freshSigningKey(t), "FRA", "VNM", toVNM, uuid.Must(uuid.NewV7()).String(), time.Now(), payload)), id
		}, http.StatusForbidden, federation.ReasonUnknownPeer},
		{"unknown sender: a node VNM is not peered with", func() ([]byte, string) {
			id, payload := sendPayload(t, "DEU", "VNM")
			return marshal(seal(t, deuKey, "DEU", "VNM", toVNM, uuid.Must(uuid.NewV7()).String(), time.Now(), payload)), id
		}, http.StatusForbidden, federation.ReasonUnknownPeer},
		{"addressed to ZAF", func() ([]byte, string) {
			id, payload := sendPayload(t, "FRA", "ZAF")
			return marshal(seal(t, fraKey, "FRA", "ZAF", toZAF, uuid.Must(uuid.NewV7()).String(), time.Now(), payload)), id
		}, http.StatusBadRequest, federation.ReasonNotForUs},
		{"addressed to VNM but encrypted to ZAF's key", func() ([]byte, string) {
			id, payload := sendPayload(t, "FRA", "VNM")
			return marshal(seal(t, fraKey, "FRA", "VNM", toZAF, uuid.Must(uuid.NewV7()).String(), time.Now(), payload)), id
		}, http.StatusForbidden, federation.ReasonUnknownKey},
		{"created beyond the clock skew window", func() ([]byte, string) {
			env, id := valid(time.Now().Add(-node.DefaultClockSkew - time.Minute))
			return marshal(env), id
		}, http.StatusBadRequest, federation.ReasonStale},
		{"created beyond the clock skew window, in the future", func() ([]byte, string) {
			env, id := valid(time.Now().Add(node.DefaultClockSkew + time.Minute))
			return marshal(env), id
		}, http.StatusBadRequest, federation.ReasonFuture},
		{"envelope version 2", mutate(func(e *federation.Envelope) { e.V = 2 }),
			http.StatusBadRequest, federation.ReasonVersion},
		{"body larger than an envelope may be", func() ([]byte, string) {
			var b bytes.Buffer
			b.WriteString(`{"v":1,"payload":"`)
			b.Write(bytes.Repeat([]byte("A"), federation.MaxEnvelopeBytes+1024))
			b.WriteString(`"}`)
			return b.Bytes(), ""
		}, http.StatusRequestEntityTooLarge, federation.ReasonTooLarge},
		{"garbage", func() ([]byte, string) { return []byte("\x00\xffnot json at all{"), "" },
			http.StatusBadRequest, federation.ReasonMalformed},
		{"JSON that is not an envelope", func() ([]byte, string) { return []byte(`{"v":1,"greeting":"hello"}`), "" },
			http.StatusBadRequest, federation.ReasonMalformed},
		{"two envelopes in one body", func() ([]byte, string) {
			env, id := valid(time.Now())
			return append(marshal(env), marshal(env)...), id
		}, http.StatusBadRequest, federation.ReasonMalformed},
		{"payload that is not a message", func() ([]byte, string) {
			return marshal(seal(t, fraKey, "FRA", "VNM", toVNM, uuid.Must(uuid.NewV7()).String(), time.Now(), []byte(`{"seq":1,"colour":"blue"}`))), ""
		}, http.StatusBadRequest, federation.ReasonMalformed},
	}
	// claims are the senders unverified envelopes claimed: a claim, never
	// the act of the State named.
	claims := map[string]string{
		"signature forged with a fresh key under FRA's key id":          "FRA",
		"FRA's envelope signed by a key FRA's descriptor does not list": "FRA",
		"unknown sender: a node VNM is not peered with":                 "DEU",
		"garbage": "",
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			official, admin := official.with(t), admin.with(t)
			before := admin.lastAudit()
			eventsBefore := securityEvents(t, vnm)
			body, requestID := tt.body()
			ans := postEnvelope(t, f.Network, vnm.URL, bytes.NewReader(body))
			var p struct {
				Status int    `json:"status"`
				Reason string `json:"reason"`
			}
			if err := json.Unmarshal(ans.body, &p); err != nil {
				t.Fatalf("answer %d %q is not a problem document: %v", ans.status, ans.body, err)
			}
			if ans.status != tt.wantStatus || p.Reason != tt.wantReason || p.Status != tt.wantStatus || ans.contentType != "application/problem+json" {
				t.Errorf("answer: %d %s, reason %q; want %d application/problem+json, reason %q\n%s", ans.status, ans.contentType, p.Reason, tt.wantStatus, tt.wantReason, ans.body)
			}
			recs := admin.audit(before)
			var refusals []string
			for _, r := range recs {
				switch r.Action {
				case "federation.refuse":
					var d struct {
						Reason string `json:"reason"`
					}
					json.Unmarshal(r.Detail, &d)
					refusals = append(refusals, d.Reason)
				case "request.receive":
					t.Errorf("audit: %s %s: a refused envelope was applied", r.Action, r.Subject)
				}
			}
			events := securityEvents(t, vnm)[len(eventsBefore):]
			verified := tt.wantReason == federation.ReasonUnknownKey || tt.wantReason == federation.ReasonStale || tt.wantReason == federation.ReasonFuture ||
				tt.name == "payload that is not a message"
			if verified {
				if !slices.Equal(refusals, []string{tt.wantReason}) || len(events) != 0 {
					t.Errorf("audit records federation.refuse with reasons %q and %d security events, want one audit record with %q, as the sender verified", refusals, len(events), tt.wantReason)
				}
			} else {
				if len(refusals) != 0 {
					t.Errorf("audit records federation.refuse with reasons %q, want none: nothing verified the sender", refusals)
				}
				if len(events) != 1 || events[0].Reason != tt.wantReason || events[0].Source != "127.0.0.1" || events[0].Kind != "envelope" {
					t.Errorf("security events %+v, want one of an envelope from 127.0.0.1 with reason %q", events, tt.wantReason)
				} else if want, ok := claims[tt.name]; ok && events[0].ClaimedSender != want {
					t.Errorf("security event claims sender %q, want %q, as the envelope said", events[0].ClaimedSender, want)
				}
			}
			if requestID != "" {
				if code, _ := official.call(t.Context(), "GET", "/api/v1/requests/"+requestID, nil, nil); code != http.StatusNotFound {
					t.Errorf("VNM's view of the refused request %s: GET answered %d, want 404", requestID, code)
				}
			}
		})
	}
	if views, err := official.views(); err != nil || len(views) != 0 {
		t.Fatalf("after the refusals VNM holds %d requests (%v), want none", len(views), err)
	}

	t.Run("clock skew within the window", func(t *testing.T) {
		official := official.with(t)
		for _, skew := range []time.Duration{-node.DefaultClockSkew + time.Minute, node.DefaultClockSkew - time.Minute} {
			env, id := valid(time.Now().Add(skew))
			ans := postEnvelope(t, f.Network, vnm.URL, bytes.NewReader(env.Marshal()))
			if rc := ans.receipt(t, env, vnm); rc.Duplicate {
				t.Errorf("created %s from now: receipt says duplicate", skew)
			}
			if doc := official.get(id); doc.Request.State != casework.Received {
				t.Errorf("created %s from now: VNM's view is %s, want received", skew, doc.Request.State)
			}
		}
	})

	t.Run("replay", func(t *testing.T) {
		official, admin := official.with(t), admin.with(t)
		id, payload := sendPayload(t, "FRA", "VNM")
		msgID := uuid.Must(uuid.NewV7()).String()
		first := seal(t, fraKey, "FRA", "VNM", toVNM, msgID, time.Now(), payload)
		if rc := postEnvelope(t, f.Network, vnm.URL, bytes.NewReader(first.Marshal())).receipt(t, first, vnm); rc.Duplicate {
			t.Fatalf("first delivery of %s: receipt says duplicate", msgID)
		}
		applied := official.get(id)
		before := admin.lastAudit()

		resealed := seal(t, fraKey, "FRA", "VNM", toVNM, msgID, time.Now(), payload)
		late := seal(t, fraKey, "FRA", "VNM", toVNM, msgID, time.Now().Add(-node.DefaultClockSkew-time.Hour/2), payload)
		for _, again := range []struct {
			name string
			env  *federation.Envelope
		}{{"the same bytes", first}, {"sealed afresh", resealed}, {"sealed afresh, beyond the skew window", late}} {
			rc := postEnvelope(t, f.Network, vnm.URL, bytes.NewReader(again.env.Marshal())).receipt(t, again.env, vnm)
			if !rc.Duplicate {
				t.Errorf("%s again: receipt does not say duplicate", again.name)
			}
		}
		for _, r := range admin.audit(before) {
			if strings.HasPrefix(r.Action, "request.") || strings.HasPrefix(r.Action, "federation.") {
				t.Errorf("replay audited %s %s: nothing should change", r.Action, r.Subject)
			}
		}
		if again := official.get(id); !slices.EqualFunc(again.Timeline, applied.Timeline, func(a, b casework.Event) bool { return a.Action == b.Action && a.At.Equal(b.At) }) ||
			again.Request.Version != applied.Request.Version {
			t.Errorf("VNM's view changed on replay: version %d → %d, timeline %v → %v", applied.Request.Version, again.Request.Version, applied.Timeline, again.Timeline)
		}

		// The same id from another known sender is refused, and what it
		// carries is not applied.
		zafReq, zafPayload := sendPayload(t, "ZAF", "VNM")
		stolen := seal(t, zafKey, "ZAF", "VNM", toVNM, msgID, time.Now(), zafPayload)
		ans := postEnvelope(t, f.Network, vnm.URL, bytes.NewReader(stolen.Marshal()))
		if !bytes.Contains(ans.body, []byte(`"reason":"`+federation.ReasonReplay+`"`)) || ans.status != http.StatusConflict {
			t.Errorf("id %s from ZAF: %d %s, want 409 and reason %s", msgID, ans.status, ans.body, federation.ReasonReplay)
		}
		if code, _ := official.call(t.Context(), "GET", "/api/v1/requests/"+zafReq, nil, nil); code != http.StatusNotFound {
			t.Errorf("ZAF's request under a reused id: GET answered %d, want 404", code)
		}
		recs := admin.audit(before)
		if countActions(recs, "federation.refuse") != 1 || countActions(recs, "request.receive") != 0 {
			t.Errorf("audit after the reused id: %+v, want one federation.refuse", recs)
		}
	})
}

// securityEvents returns nd's security events, oldest first.
func securityEvents(t *testing.T, nd *localnet.Node) []store.SecurityEvent {
	t.Helper()
	es, err := nd.DB.SecurityEvents(t.Context(), 1000)
	if err != nil {
		t.Fatalf("SecurityEvents: %v", err)
	}
	slices.Reverse(es)
	return es
}

// TestKeyRotation rotates a node's keys while messages are on their way:
// the peer follows the rotation because the new descriptor is signed by the
// old key, messages signed and encrypted before it are still read, and no
// one else can move the peer to other keys.
func TestKeyRotation(t *testing.T) {
	f := startFederation(t, node.FederationConfig{RetryBase: 20 * time.Millisecond}, "FRA", "VNM")
	fra, vnm := f.Nodes["FRA"], f.Nodes["VNM"]
	oldData, _ := descriptor(t, fra)
	oldKey := signingKey(t, fra)
	toVNM := encryptionKey(t, vnm)
	// Sealed before the rotation, delivered after it.
	earlyReq, earlyPayload := sendPayload(t, "FRA", "VNM")
	early := seal(t, oldKey, "FRA", "VNM", toVNM, uuid.Must(uuid.NewV7()).String(), time.Now(), earlyPayload)

	if err := fra.Node.RotateKeys(t.Context(), fra.Node.Admin()); err != nil {
		t.Fatal(err)
	}
	newKey := signingKey(t, fra)
	if newKey.ID == oldKey.ID {
		t.Fatal("RotateKeys kept the signing key")
	}

	// Until VNM has the new descriptor, VNM encrypts to FRA's old key: FRA
	// still reads it, and signs its receipt with the new key, which VNM
	// cannot check yet, so VNM keeps trying.
	fromVNM, err := f.officials["VNM"].createAndSend(t.Context(), "FRA")
	if err != nil {
		t.Fatal(err)
	}
	f.officials["FRA"].waitAll([]string{fromVNM}, casework.Received)
	if got := f.officials["VNM"].get(fromVNM).Request.State; got != casework.Sent {
		t.Fatalf("VNM's view is %s before it has FRA's new key, want sent: FRA's receipt is signed with a key VNM does not know", got)
	}

	newData, newDesc := descriptor(t, fra)
	if _, ok := newDesc.Key(oldKey.ID); !ok {
		t.Fatalf("the new descriptor no longer lists the old key %s", oldKey.ID)
	}
	if _, err := vnm.Node.AddPeer(t.Context(), vnm.Node.Admin(), newData); err != nil {
		t.Fatalf("VNM adds FRA's descriptor signed by the old and the new key: %v", err)
	}
	f.officials["VNM"].waitAll([]string{fromVNM}, casework.Received)

	t.Run("message signed with the new key", func(t *testing.T) {
		id, payload := sendPayload(t, "FRA", "VNM")
		env := seal(t, newKey, "FRA", "VNM", toVNM, uuid.Must(uuid.NewV7()).String(), time.Now(), payload)
		postEnvelope(t, f.Network, vnm.URL, bytes.NewReader(env.Marshal())).receipt(t, env, vnm)
		f.officials["VNM"].with(t).waitAll([]string{id}, casework.Received)
	})
	t.Run("message signed with the old key before the rotation", func(t *testing.T) {
		postEnvelope(t, f.Network, vnm.URL, bytes.NewReader(early.Marshal())).receipt(t, early, vnm)
		f.officials["VNM"].with(t).waitAll([]string{earlyReq}, casework.Received)
	})
	t.Run("message signed with the old key after the rotation", func(t *testing.T) {
		id, payload := sendPayload(t, "FRA", "VNM")
		env := seal(t, oldKey, "FRA", "VNM", toVNM, uuid.Must(uuid.NewV7()).String(), time.Now(), payload)
		ans := postEnvelope(t, f.Network, vnm.URL, bytes.NewReader(env.Marshal()))
		if ans.status != http.StatusForbidden || !bytes.Contains(ans.body, []byte(federation.ReasonUnknownPeer)) {
			t.Errorf("answer %d %s, want 403 %s: the old key signs nothing after the rotation", ans.status, ans.body, federation.ReasonUnknownPeer)
		}
		if code, _ := f.officials["VNM"].call(t.Context(), "GET", "/api/v1/requests/"+id, nil, nil); code != http.StatusNotFound {
			t.Errorf("GET the refused request: %d, want 404", code)
		}
	})
	t.Run("requests both ways after the rotation", func(t *testing.T) {
		a, err := f.officials["FRA"].createAndSend(t.Context(), "VNM")
		if err != nil {
			t.Fatal(err)
		}
		b, err := f.officials["VNM"].createAndSend(t.Context(), "FRA")
		if err != nil {
			t.Fatal(err)
		}
		f.officials["VNM"].with(t).waitAll([]string{a, b}, casework.Received)
		f.officials["FRA"].with(t).waitAll([]string{a, b}, casework.Received)
	})

	// Descriptors for FRA that VNM must not accept in place of the one it
	// has.
	attacker := freshSigningKey(t)
	x, err := ecdh.X25519().GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC().Truncate(time.Second)
	forge := func(signers ...federation.SigningKey) []byte {
		d := federation.Descriptor{V: federation.Version, State: "FRA", BaseURL: "https://attacker.example",
			SigningKeys:   []federation.PublicKey{{ID: attacker.ID, Key: attacker.Private.Public().(ed25519.PublicKey), ValidFrom: now}},
			EncryptionKey: federation.EncryptionPublic{ID: federation.KeyID(x.PublicKey().Bytes()), Key: x.PublicKey().Bytes()},
			ValidFrom:     now, ValidUntil: now.Add(24 * time.Hour)}
		d.Sign(signers...)
		data, err := json.Marshal(d)
		if err != nil {
			t.Fatal(err)
		}
		return data
	}
	impostor := attacker
	impostor.ID = newKey.ID
	refused := []struct {
		name string
		data []byte
	}{
		{"signed only by an unknown key", forge(attacker)},
		{"signed by an unknown key that claims FRA's key id", forge(attacker, impostor)},
		{"signed by FRA's retired key", forge(attacker, oldKey)},
		{"FRA's own descriptor from before the rotation", oldData},
	}
	for _, tt := range refused {
		t.Run("descriptor "+tt.name, func(t *testing.T) {
			_, err := vnm.Node.AddPeer(t.Context(), vnm.Node.Admin(), tt.data)
			if !errors.Is(err, node.ErrPeer) {
				t.Errorf("AddPeer = %v, want %v", err, node.ErrPeer)
			}
			peers, err := vnm.Node.Peers(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			for _, d := range peers {
				if d.State == "FRA" {
					if k, ok := d.Key(newKey.ID); !ok || !k.ValidUntil.IsZero() || d.BaseURL != fra.URL {
						t.Errorf("VNM's descriptor of FRA changed: %s, keys %+v", d.BaseURL, d.SigningKeys)
					}
				}
			}
		})
	}
}

// relay stands between nodes and one peer, as the network between them
// would: it forwards envelopes, and on demand refuses them, loses the
// peer's answers, or holds each envelope until a second copy of it arrives
// and then forwards both at once.
type relay struct {
	t      *testing.T
	srv    *httptest.Server
	target string
	client *http.Client

	mu        sync.Mutex
	mode      relayMode
	refused   map[string]int // posts refused, by message id
	forwarded map[string]int // posts forwarded, by message id
	paired    int            // posts forwarded together with a copy
	waiting   map[string]chan struct{}
}

type relayMode int

const (
	relayForward relayMode = iota
	relayRefuse
	relayLoseAnswer
	relayPairUp
)

// newRelay puts a relay in front of the peer: the peer's descriptor, as
// given to each of the nodes, names the relay's address.
func newRelay(t *testing.T, f *fedNet, peer string, nodes ...string) *relay {
	t.Helper()
	target := f.Nodes[peer]
	r := &relay{t: t, target: target.URL, client: f.Client, refused: map[string]int{}, forwarded: map[string]int{}, waiting: map[string]chan struct{}{}}
	// Over TLS, with a certificate from the network's authority: a node
	// posts to https:// peers only.
	r.srv = httptest.NewUnstartedServer(http.HandlerFunc(r.serve))
	cert, err := f.CA.Issue("relay")
	if err != nil {
		t.Fatal(err)
	}
	r.srv.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	r.srv.StartTLS()
	t.Cleanup(r.srv.Close)
	if err := target.Node.SetBaseURL(t.Context(), target.Node.Admin(), r.srv.URL); err != nil {
		t.Fatal(err)
	}
	data, _ := descriptor(t, target)
	for _, s := range nodes {
		nd := f.Nodes[s]
		if _, err := nd.Node.AddPeer(t.Context(), nd.Node.Admin(), data); err != nil {
			t.Fatalf("%s adds %s's descriptor naming the relay: %v", s, peer, err)
		}
	}
	return r
}

func (r *relay) set(m relayMode) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.mode = m
}

func (r *relay) serve(w http.ResponseWriter, req *http.Request) {
	if req.URL.Path == "/federation/v1/batches" {
		// The relay knows no batches, as a peer of an older version: the
		// nodes post it one envelope at a time, so that what it refuses,
		// loses or pairs up is one message.
		http.NotFound(w, req)
		return
	}
	body, err := io.ReadAll(io.LimitReader(req.Body, federation.MaxEnvelopeBytes+1))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	var env struct {
		ID string `json:"id"`
	}
	json.Unmarshal(body, &env)
	r.mu.Lock()
	mode := r.mode
	switch mode {
	case relayRefuse:
		r.refused[env.ID]++
		r.mu.Unlock()
		http.Error(w, "relay down", http.StatusServiceUnavailable)
		return
	case relayPairUp:
		if ch, ok := r.waiting[env.ID]; ok {
			delete(r.waiting, env.ID)
			close(ch)
			r.paired += 2
		} else {
			ch := make(chan struct{})
			r.waiting[env.ID] = ch
			r.mu.Unlock()
			select {
			case <-ch:
			case <-time.After(2 * time.Second):
				r.mu.Lock()
				delete(r.waiting, env.ID)
				r.mu.Unlock()
			case <-req.Context().Done():
				return
			}
			r.mu.Lock()
		}
	}
	r.forwarded[env.ID]++
	r.mu.Unlock()

	out, err := http.NewRequestWithContext(req.Context(), "POST", r.target+req.URL.Path, bytes.NewReader(body))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	out.Header.Set("Content-Type", req.Header.Get("Content-Type"))
	resp, err := r.client.Do(out)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(resp.Body)
	if err != nil || mode == relayLoseAnswer {
		http.Error(w, "answer lost", http.StatusBadGateway)
		return
	}
	w.Header().Set("Content-Type", resp.Header.Get("Content-Type"))
	w.WriteHeader(resp.StatusCode)
	w.Write(answer)
}

// waitRefused waits until the relay has refused n distinct messages at
// least times times each.
func (r *relay) waitRefused(n, times int) {
	r.t.Helper()
	deadline := time.Now().Add(deliveryDeadline)
	for {
		r.mu.Lock()
		got := 0
		for _, c := range r.refused {
			if c >= times {
				got++
			}
		}
		r.mu.Unlock()
		if got >= n {
			return
		}
		if time.Now().After(deadline) {
			r.t.Fatalf("the relay refused %d messages %d times or more, want %d", got, times, n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestDuplicateDeliveriesApplyOnce runs several delivery loops on one node,
// so that each message is posted more than once at the same time: the
// recipient applies each once, and the sender records each receipt once.
// A loop leases the message it tries; the lease here ends at once, as it
// does for a loop whose attempt outlasts it, so that the others try the
// message too.
func TestDuplicateDeliveriesApplyOnce(t *testing.T) {
	const n = 8
	f := startFederation(t, node.FederationConfig{RetryBase: 20 * time.Millisecond, Lease: time.Millisecond}, "FRA", "VNM")
	fra, vnm := f.officials["FRA"], f.officials["VNM"]
	r := newRelay(t, f, "VNM", "FRA")
	r.set(relayRefuse)

	ctx, cancel := context.WithCancel(context.Background())
	var loops sync.WaitGroup
	t.Cleanup(func() { cancel(); loops.Wait() }) // before the network closes
	for range 3 {
		loops.Go(func() { f.Nodes["FRA"].Node.RunDelivery(ctx) })
	}

	// deliverTwice lets the messages through once every loop has tried
	// them, so that the loops retry them together.
	deliverTwice := func() {
		t.Helper()
		r.waitRefused(n, 3)
		r.set(relayPairUp)
	}

	var ids []string
	for range n {
		id, err := fra.createAndSend(t.Context(), "VNM")
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	deliverTwice()
	vnm.waitAll(ids, casework.Received)
	fra.waitAll(ids, casework.Received)

	for _, step := range []struct {
		tr   casework.Transition
		want casework.State
	}{{casework.Transition{Action: casework.Withdraw, Reasons: "The suspect was arrested."}, casework.Withdrawn}, {casework.Transition{Action: casework.Close}, casework.Closed}} {
		r.mu.Lock()
		r.refused = map[string]int{}
		r.mode = relayRefuse
		r.mu.Unlock()
		for _, id := range ids {
			fra.move(id, step.tr)
		}
		deliverTwice()
		vnm.waitAll(ids, step.want)
	}
	// The last receipts reach FRA.
	deadline := time.Now().Add(deliveryDeadline)
	for {
		done := 0
		for _, id := range ids {
			if countEvents(fra.get(id).Timeline)[casework.Receipt] >= 2 {
				done++
			}
		}
		if done == n {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d receipts for the close reached FRA", done, n)
		}
		time.Sleep(10 * time.Millisecond)
	}

	r.mu.Lock()
	paired, posts := r.paired, 0
	for _, c := range r.forwarded {
		posts += c
	}
	r.mu.Unlock()
	t.Logf("%d posts forwarded for %d messages; %d of them together with a copy", posts, 3*n, paired)
	if paired == 0 {
		t.Fatalf("no message was posted twice at once: the test proved nothing")
	}

	want := map[casework.Action]int{casework.Send: 1, casework.Deliver: 1, casework.Withdraw: 1, casework.Close: 1}
	for _, id := range ids {
		if got := countEvents(vnm.get(id).Timeline); !mapsEqual(got, want) {
			t.Errorf("VNM's timeline of %s: %v, want %v", id, got, want)
		}
		wantFRA := map[casework.Action]int{casework.Create: 1, casework.Send: 1, casework.Deliver: 1, casework.Withdraw: 1, casework.Receipt: 2, casework.Close: 1}
		if got := countEvents(fra.get(id).Timeline); !mapsEqual(got, wantFRA) {
			t.Errorf("FRA's timeline of %s: %v, want %v: one receipt per message", id, got, wantFRA)
		}
	}
	views, err := vnm.views()
	if err != nil {
		t.Fatal(err)
	}
	if len(views) != n {
		t.Errorf("VNM holds %d views, want %d", len(views), n)
	}
	recs := f.admins["VNM"].audit(0)
	for action, want := range map[string]int{"request.receive": n, "request.withdraw": n, "request.close": n} {
		if got := countActions(recs, action); got != want {
			t.Errorf("VNM's audit log has %d %s, want %d", got, action, want)
		}
	}
	if got := countActions(f.admins["FRA"].audit(0), "federation.delivered"); got != 3*n {
		t.Errorf("FRA's audit log has %d federation.delivered, want %d", got, 3*n)
	}
}

func mapsEqual[K comparable, V comparable](a, b map[K]V) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// TestUndeliverableMessageExpires takes a peer down for good: once the
// delivery expiry has passed, the message is given up and the
// administrators are told, in the audit log.
func TestUndeliverableMessageExpires(t *testing.T) {
	const expiry = 200 * time.Millisecond
	f := startFederation(t, node.FederationConfig{RetryBase: 20 * time.Millisecond, Expiry: expiry}, "FRA", "VNM")
	fra := f.Nodes["FRA"]
	f.Client.CloseIdleConnections()
	f.Nodes["VNM"].Stop()
	sentAt := time.Now()
	id, err := f.officials["FRA"].createAndSend(t.Context(), "VNM")
	if err != nil {
		t.Fatal(err)
	}

	// settled waits for the message sending request id to be delivered or
	// to expire.
	settled := func(id string) store.OutboxEntry {
		t.Helper()
		for deadline := time.Now().Add(deliveryDeadline); ; time.Sleep(10 * time.Millisecond) {
			out, err := fra.DB.Outbox(t.Context(), 100)
			if err != nil {
				t.Fatal(err)
			}
			i := slices.IndexFunc(out, func(m store.OutboxEntry) bool { return m.RequestID == id && m.Type == node.MsgRequestSend })
			if i < 0 {
				t.Fatalf("FRA's outbox holds no message sending %s", id)
			}
			if m := out[i]; !m.ExpiredAt.IsZero() || !m.DeliveredAt.IsZero() {
				return m
			}
			if time.Now().After(deadline) {
				t.Fatalf("message %s neither delivered nor expired after %s (expiry %s): %d attempts, last error %q", out[i].ID, deliveryDeadline, expiry, out[i].Attempts, out[i].LastError)
			}
		}
	}
	msg := settled(id)
	if waited := msg.ExpiredAt.Sub(sentAt); waited < expiry {
		t.Errorf("message expired %s after it was sent, before the expiry of %s", waited, expiry)
	}
	if !msg.DeliveredAt.IsZero() || msg.Attempts == 0 || msg.LastError == "" {
		t.Errorf("expired message: delivered %v, %d attempts, last error %q; want undelivered, tried, with the error", msg.DeliveredAt, msg.Attempts, msg.LastError)
	}
	var expired []auditRecord
	for _, r := range f.admins["FRA"].audit(0) {
		if r.Action == "federation.expired" {
			expired = append(expired, r)
		}
	}
	if len(expired) != 1 || expired[0].Subject != "message/"+msg.ID || !bytes.Contains(expired[0].Detail, []byte(id)) {
		t.Errorf("audit federation.expired: %+v, want one for message/%s about request %s", expired, msg.ID, id)
	}
	if doc := f.officials["FRA"].get(id); doc.Request.State != casework.Sent {
		t.Errorf("FRA's view: %s, want still sent", doc.Request.State)
	}

	// Back up, the peer gets the messages sent since, never the expired one.
	if err := f.Nodes["VNM"].Restart(t.Context(), f.Network); err != nil {
		t.Fatal(err)
	}
	// The later message has the same short expiry: on a loaded machine
	// it may expire too, before the peer's first answer. Then another is
	// sent; an expired one never arrives either.
	var later string
	for tries := 1; ; tries++ {
		if later, err = f.officials["FRA"].createAndSend(t.Context(), "VNM"); err != nil {
			t.Fatal(err)
		}
		m := settled(later)
		if !m.DeliveredAt.IsZero() {
			break
		}
		if tries == 5 {
			t.Fatalf("%d messages sent after the peer came back all expired, the last after %d attempts: %q", tries, m.Attempts, m.LastError)
		}
	}
	views := f.officials["VNM"].waitAll([]string{later}, casework.Received)
	if _, ok := views[id]; ok || len(views) != 1 {
		t.Errorf("VNM holds %d requests, the expired message's among them: %v", len(views), ok)
	}
}

// TestEventBeforeReceipt loses the requested State's receipts for a while:
// the requested State has the request and acts on it before the requesting
// State's node knows the request arrived. Both views must still agree.
func TestEventBeforeReceipt(t *testing.T) {
	tests := []struct {
		name string
		// act moves the request while FRA's node still has it as sent.
		act  func(f *fedNet, id string)
		want casework.State
		// queued: the move's message waits in the outbox behind the
		// sending, whose receipt is lost: a request's messages to a peer
		// go one after the other.
		queued bool
	}{
		{"requested State acknowledges", func(f *fedNet, id string) {
			f.officials["VNM"].move(id, casework.Transition{Action: casework.Acknowledge})
		}, casework.Acknowledged, false},
		{"requesting State withdraws", func(f *fedNet, id string) {
			f.officials["FRA"].move(id, casework.Transition{Action: casework.Withdraw, Reasons: "Sent by mistake."})
		}, casework.Withdrawn, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := startFederation(t, node.FederationConfig{RetryBase: 20 * time.Millisecond}, "FRA", "VNM")
			fra, vnm := f.officials["FRA"], f.officials["VNM"]
			r := newRelay(t, f, "VNM", "FRA")
			r.set(relayLoseAnswer)
			id, err := fra.createAndSend(t.Context(), "VNM")
			if err != nil {
				t.Fatal(err)
			}
			vnm.waitAll([]string{id}, casework.Received)
			if got := fra.get(id).Request.State; got != casework.Sent {
				t.Fatalf("FRA's view is %s with every receipt lost, want sent", got)
			}
			before := map[string]int64{"FRA": f.admins["FRA"].lastAudit(), "VNM": f.admins["VNM"].lastAudit()}
			tt.act(f, id)
			// Wait until the message about the move was refused or applied
			// once, then let the receipts through.
			deadline := time.Now().Add(deliveryDeadline)
			for !tt.queued {
				fraRecs, vnmRecs := f.admins["FRA"].audit(before["FRA"]), f.admins["VNM"].audit(before["VNM"])
				if countActions(fraRecs, "federation.refuse")+countActions(vnmRecs, "federation.refuse")+
					countActions(vnmRecs, "request.withdraw")+countActions(fraRecs, "request.acknowledge") > 0 {
					break
				}
				if time.Now().After(deadline) {
					t.Fatal("the message about the move reached neither node")
				}
				time.Sleep(5 * time.Millisecond)
			}
			r.set(relayForward)

			deadline = time.Now().Add(deliveryDeadline)
			for {
				a, b := fra.get(id), vnm.get(id)
				if a.Request.State == tt.want && b.Request.State == tt.want {
					if !slices.Equal(shared(a.Timeline), shared(b.Timeline)) {
						t.Errorf("timelines disagree:\nFRA %q\nVNM %q", shared(a.Timeline), shared(b.Timeline))
					}
					break
				}
				if time.Now().After(deadline) {
					var expired []string
					for _, s := range []string{"FRA", "VNM"} {
						out, _ := f.Nodes[s].DB.Outbox(t.Context(), 10)
						for _, m := range out {
							if !m.ExpiredAt.IsZero() {
								expired = append(expired, s+" gave up "+m.Type+": "+m.LastError)
							}
						}
					}
					t.Fatalf("views: FRA %s, VNM %s; want both %s. %s", a.Request.State, b.Request.State, tt.want, strings.Join(expired, "; "))
				}
				time.Sleep(10 * time.Millisecond)
			}
		})
	}
}
