package localnet_test

// A node under a flood of posts from senders it does not know, on
// loopback: slow bodies, and large ones. Its real peers' messages still
// cross both ways. The flood is bounded in count and in time, and the
// test logs what it cost: memory at its peak and the latency of real
// deliveries meanwhile.

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"runtime/metrics"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"entraide/internal/casework"
	"entraide/internal/federation"
	"entraide/internal/localnet"
	"entraide/internal/node"
	"entraide/internal/web"
)

// slowPost opens a TLS connection to nd and starts posting an envelope to
// its inbox over HTTP/1.1, sending only the first byte of its body. The
// connection is closed at the end of the test.
func slowPost(t *testing.T, n *localnet.Network, nd *localnet.Node) net.Conn {
	t.Helper()
	cfg := n.CA.ClientConfig()
	cfg.NextProtos = []string{"http/1.1"}
	conn, err := tls.Dial("tcp", strings.TrimPrefix(nd.URL, "https://"), cfg)
	if err != nil {
		t.Fatalf("dial %s: %v", nd.URL, err)
	}
	t.Cleanup(func() { conn.Close() })
	if _, err := fmt.Fprintf(conn, "POST /federation/v1/messages HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: 4000000\r\n\r\n{", nd.State); err != nil {
		t.Fatalf("slow post: %v", err)
	}
	return conn
}

// inboxBytes reads, from a node's metrics, the memory its inbox holds for
// envelopes in flight.
func inboxBytes(t *testing.T, admin api) float64 {
	t.Helper()
	return metric(t, admin, "entraide_federation_inbox_bytes")
}

// metric reads the value of series from the metrics of admin's node.
func metric(t *testing.T, admin api, series string) float64 {
	t.Helper()
	v, ok := metricIf(t, admin, series)
	if !ok {
		t.Fatalf("no %s in the metrics of %s", series, admin.url)
	}
	return v
}

// metricIf reads a series of a node's metrics, and whether it is there
// yet: a labelled series appears with its first count.
func metricIf(t *testing.T, admin api, series string) (float64, bool) {
	t.Helper()
	req, _ := http.NewRequestWithContext(t.Context(), "GET", admin.url+"/metrics", nil)
	req.Header.Set("Authorization", "Bearer "+admin.token)
	resp, err := admin.net.Client.Do(req)
	if err != nil {
		t.Fatalf("GET /metrics: %v", err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), series+" "); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				t.Fatalf("metric %q: %v", sc.Text(), err)
			}
			return f, true
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("GET /metrics: %v", err)
	}
	return 0, false
}

// waitSlowPosts waits until nd's inbox is reading n slow bodies, each
// counted for at least its first chunk.
func waitSlowPosts(t *testing.T, admin api, n int) {
	t.Helper()
	const firstChunkWeight = 3 * 64 << 10
	deadline := time.Now().Add(deliveryDeadline)
	for inboxBytes(t, admin) < float64(n*firstChunkWeight) {
		if time.Now().After(deadline) {
			t.Fatalf("the inbox does not read the %d slow bodies: %.0f bytes held", n, inboxBytes(t, admin))
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestRealDeliveryWhileSlowPostsTrickle holds more slow posts open on a
// node than its inbox has slots: they take none, so a real peer's message
// still arrives, at once. (From an address no peer delivered from, the
// slow posts past 16 would be refused at once: TestSlowBodiesPerAddress
// in internal/web.)
func TestRealDeliveryWhileSlowPostsTrickle(t *testing.T) {
	f := startFederation(t, node.FederationConfig{RetryBase: 20 * time.Millisecond}, "FRA", "VNM")
	// VNM delivered to FRA before, as peers in use do: FRA reads all it
	// sends from its address, which the slow posts share on loopback.
	warm, err := f.officials["VNM"].createAndSend(t.Context(), "FRA")
	if err != nil {
		t.Fatal(err)
	}
	f.officials["FRA"].waitFor(warm, casework.Received)
	const slow = 70
	for range slow {
		slowPost(t, f.Network, f.Nodes["FRA"])
	}
	waitSlowPosts(t, f.admins["FRA"], slow)
	start := time.Now()
	id, err := f.officials["VNM"].createAndSend(t.Context(), "FRA")
	if err != nil {
		t.Fatal(err)
	}
	f.officials["FRA"].waitFor(id, casework.Received)
	t.Logf("a real delivery while %d posts trickle: %s", slow, time.Since(start).Round(time.Millisecond))
}

// memorySampler records the peak of the process's memory while it runs:
// every node of the network is in this process.
type memorySampler struct {
	stop      chan struct{}
	done      chan struct{}
	peakTotal atomic.Uint64 // all memory the Go runtime mapped
	peakHeap  atomic.Uint64 // heap objects, live and not yet swept
}

func sampleMemory() *memorySampler {
	m := &memorySampler{stop: make(chan struct{}), done: make(chan struct{})}
	samples := []metrics.Sample{{Name: "/memory/classes/total:bytes"}, {Name: "/memory/classes/heap/objects:bytes"}}
	read := func() {
		metrics.Read(samples)
		for i, peak := range []*atomic.Uint64{&m.peakTotal, &m.peakHeap} {
			if v := samples[i].Value.Uint64(); v > peak.Load() {
				peak.Store(v)
			}
		}
	}
	go func() {
		defer close(m.done)
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		for {
			read()
			select {
			case <-m.stop:
				return
			case <-tick.C:
			}
		}
	}()
	return m
}

func (m *memorySampler) end() (total, heap uint64) {
	close(m.stop)
	<-m.done
	return m.peakTotal.Load(), m.peakHeap.Load()
}

// TestRealPeersGetThroughAFlood floods FRA's inbox from loopback, for two
// seconds, with slow posts and with envelopes of the largest size from a
// sender it does not know, while FRA and VNM exchange requests: every one
// arrives. It logs the peak of memory, before and during the flood, and
// the latencies of the real deliveries.
func TestRealPeersGetThroughAFlood(t *testing.T) {
	if testing.Short() {
		t.Skip("a flood of a few seconds")
	}
	f := startFederation(t, node.FederationConfig{RetryBase: 20 * time.Millisecond}, "FRA", "VNM")
	fra := f.Nodes["FRA"]
	// The peers know each other before the flood, as peers in use do.
	warm, err := f.officials["VNM"].createAndSend(t.Context(), "FRA")
	if err != nil {
		t.Fatal(err)
	}
	f.officials["FRA"].waitFor(warm, casework.Received)

	before := sampleMemory()
	time.Sleep(100 * time.Millisecond) // a baseline, not a wait on anything
	baseTotal, baseHeap := before.end()

	// An envelope of nearly the largest size, well formed, from DEU,
	// which FRA does not know.
	payload := make([]byte, federation.MaxPayloadBytes-16<<10)
	rand.Read(payload)
	large := seal(t, freshSigningKey(t), "DEU", "FRA", encryptionKey(t, fra), uuid.Must(uuid.NewV7()).String(), time.Now(), payload).Marshal()
	if len(large) > federation.MaxEnvelopeBytes {
		t.Fatalf("envelope of %d bytes, over the %d an inbox reads", len(large), federation.MaxEnvelopeBytes)
	}

	const (
		floodFor    = 2 * time.Second
		slowPosts   = 70
		largeRounds = 16 // concurrent posters of large envelopes
	)
	mem := sampleMemory()
	for range slowPosts {
		slowPost(t, f.Network, fra)
	}
	cfg := f.CA.ClientConfig()
	cfg.NextProtos = []string{"http/1.1"}
	flooder := &http.Client{Transport: &http.Transport{TLSClientConfig: cfg, MaxIdleConnsPerHost: largeRounds}, Timeout: 30 * time.Second}
	t.Cleanup(flooder.CloseIdleConnections)
	end := time.Now().Add(floodFor)
	var mu sync.Mutex
	answers := map[int]int{}
	var wg sync.WaitGroup
	for range largeRounds {
		wg.Go(func() {
			for time.Now().Before(end) {
				req, _ := http.NewRequestWithContext(t.Context(), "POST", fra.URL+"/federation/v1/messages", bytes.NewReader(large))
				req.Header.Set("Content-Type", "application/json")
				status := 0
				if resp, err := flooder.Do(req); err == nil {
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					status = resp.StatusCode
				}
				mu.Lock()
				answers[status]++
				mu.Unlock()
			}
		})
	}

	// Real deliveries both ways, one after the other, during the flood.
	var latencies []time.Duration
	for i := 0; time.Now().Before(end) || i < 2; i++ {
		from, to := "VNM", "FRA"
		if i%2 == 1 {
			from, to = "FRA", "VNM"
		}
		start := time.Now()
		id, err := f.officials[from].createAndSend(t.Context(), to)
		if err != nil {
			t.Fatalf("%s sends to %s during the flood: %v", from, to, err)
		}
		f.officials[to].waitFor(id, casework.Received)
		latencies = append(latencies, time.Since(start))
	}
	wg.Wait()
	peakTotal, peakHeap := mem.end()

	slices.Sort(latencies)
	posts := 0
	for _, n := range answers {
		posts += n
	}
	t.Logf("flood of %s: %d slow posts held open, %d posts of %d-byte envelopes from an unknown sender (answers by status: %v)",
		floodFor, slowPosts, posts, len(large), answers)
	t.Logf("memory of the process (both nodes and the flood's clients): before %d MiB total, %d MiB heap; peak during the flood %d MiB total, %d MiB heap",
		baseTotal>>20, baseHeap>>20, peakTotal>>20, peakHeap>>20)
	t.Logf("%d real deliveries during the flood, each from send to the peer's view: median %s, max %s",
		len(latencies), latencies[len(latencies)/2].Round(time.Millisecond), latencies[len(latencies)-1].Round(time.Millisecond))
	for _, a := range []struct {
		admin api
		peer  string
	}{{f.admins["FRA"], "VNM"}, {f.admins["VNM"], "FRA"}} {
		if n := metric(t, a.admin, `entraide_federation_deliveries_total{peer="`+a.peer+`",result="delivered"}`); n < 1 {
			t.Errorf("metrics count %v deliveries to %s, want at least one", n, a.peer)
		}
	}
	if answers[http.StatusOK] > 0 {
		t.Errorf("%d envelopes from an unknown sender were accepted", answers[http.StatusOK])
	}
}

// TestSlowBodyOverHTTP2IsCut: peers post over HTTP/2, where a slow body
// is a stream, not a connection; the inbox's deadline cuts it too, and
// frees what it held.
func TestSlowBodyOverHTTP2IsCut(t *testing.T) {
	n, err := localnet.Start(t.Context(), []string{"FRA"}, localnet.Options{Dir: t.TempDir(), Limits: web.Limits{InboxBodyTimeout: 100 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Client.CloseIdleConnections(); n.Close() })
	body, send := io.Pipe()
	t.Cleanup(func() { send.Close() })
	go send.Write([]byte("{"))
	req, _ := http.NewRequestWithContext(t.Context(), "POST", n.Nodes["FRA"].URL+"/federation/v1/messages", body)
	req.Header.Set("Content-Type", "application/json")
	resp, err := n.Client.Do(req)
	if err != nil {
		t.Fatalf("slow post: %v", err)
	}
	resp.Body.Close()
	if resp.ProtoMajor != 2 || resp.StatusCode != http.StatusRequestTimeout {
		t.Errorf("slow post over %s: %d, want HTTP/2 and 408", resp.Proto, resp.StatusCode)
	}
	admin := api{t: t, net: n, url: n.Nodes["FRA"].URL, token: n.Nodes["FRA"].AdminToken}
	deadline := time.Now().Add(deliveryDeadline)
	for inboxBytes(t, admin) != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("the inbox still holds %.0f bytes after cutting the slow body, want 0", inboxBytes(t, admin))
		}
		time.Sleep(5 * time.Millisecond)
	}
}
