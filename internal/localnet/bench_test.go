package localnet_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"entraide/internal/casework"
	"entraide/internal/identity"
	"entraide/internal/localnet"
	"entraide/internal/node"
	"entraide/internal/web"
)

// BenchmarkSendBetweenNodes measures requests sent from one node to
// another on loopback, over HTTPS, by 50 officials at once: each creates
// and sends a preservation request through the API. It reports how many
// are sent per second, counting until the last has arrived and raised
// its alert, and the latency from the send to the recipient's record of
// it (the transaction that stores its view and raises its alert), at p50
// and p99, from the two nodes' own timestamps. "max" sends as fast as the
// officials can; "rate=N" offers N requests a second, to see the latency
// below saturation.
//
// The machine's speed, and what else runs on it, move every figure: each
// run first has the officials only draft as many requests on the sending
// node, flat out, and reports that rate (create/s) and the sending rate's
// ratio to it, which compare across machines and runs. cpu-ms/req is the
// processor time both nodes and the officials spent per request while
// sending: less noisy than the rates, it shows what a change saves.
func BenchmarkSendBetweenNodes(b *testing.B) {
	for _, rate := range []int{0, 100, 300, 500} {
		name := "max"
		if rate > 0 {
			name = fmt.Sprintf("rate=%d", rate)
		}
		b.Run(name, func(b *testing.B) { benchmarkSend(b, rate) })
	}
}

func benchmarkSend(b *testing.B, rate int) {
	ctx := context.Background()
	// The benchmark measures sending, not the rate limit of one token,
	// which 50 officials sharing it would hit at once.
	net, err := localnet.Start(ctx, []string{"FRA", "VNM"}, localnet.Options{Dir: b.TempDir(),
		Federation: node.FederationConfig{RetryBase: 20 * time.Millisecond},
		Limits:     web.Limits{APIRate: 1e6, APIBurst: 1e6}})
	if err != nil {
		b.Fatal(err)
	}
	defer net.Close()
	token, err := net.Official(ctx, "FRA", "fra-247", "24/7 officer", identity.TwentyFourSeven)
	if err != nil {
		b.Fatal(err)
	}
	fra, vnm := net.Nodes["FRA"], net.Nodes["VNM"]
	body, _ := json.Marshal(preservation("VNM"))
	send, _ := json.Marshal(casework.Transition{Action: casework.Send})
	post := func(path string, data []byte, out any) error {
		req, _ := http.NewRequest("POST", fra.URL+path, bytes.NewReader(data))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		resp, err := net.Client.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		data, _ = io.ReadAll(resp.Body)
		if resp.StatusCode >= 300 {
			return fmt.Errorf("POST %s: %d %s", path, resp.StatusCode, data)
		}
		if out != nil {
			return json.Unmarshal(data, out)
		}
		return nil
	}
	// officials runs job b.N times on 50 goroutines, at rate a second if
	// rate > 0, and returns how long that took.
	officials := func(rate int, job func() error) time.Duration {
		const clients = 50
		start := time.Now()
		jobs := make(chan struct{})
		var wg sync.WaitGroup
		var failed error
		var mu sync.Mutex
		for range clients {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range jobs {
					if err := job(); err != nil {
						mu.Lock()
						failed = err
						mu.Unlock()
					}
				}
			}()
		}
		var tick <-chan time.Time
		if rate > 0 {
			t := time.NewTicker(time.Second / time.Duration(rate))
			defer t.Stop()
			tick = t.C
		}
		for range b.N {
			if tick != nil {
				<-tick
			}
			jobs <- struct{}{}
		}
		close(jobs)
		wg.Wait()
		if failed != nil {
			b.Fatal(failed)
		}
		return time.Since(start)
	}

	b.ResetTimer()
	drafting := officials(0, func() error { return post("/api/v1/requests", body, nil) })
	created := float64(b.N) / drafting.Seconds()

	cpuBefore := cpuTime()
	start := time.Now()
	officials(rate, func() error {
		var r casework.Request
		err := post("/api/v1/requests", body, &r)
		if err == nil {
			err = post("/api/v1/requests/"+r.ID+"/transitions", send, nil)
		}
		return err
	})
	for deadline := time.Now().Add(2 * time.Minute); ; time.Sleep(5 * time.Millisecond) {
		n, err := vnm.DB.Received(ctx)
		if err != nil {
			b.Fatal(err)
		}
		if n >= b.N {
			break
		}
		if time.Now().After(deadline) {
			b.Fatalf("%d of %d requests arrived", n, b.N)
		}
	}
	elapsed := time.Since(start)
	cpu := cpuTime() - cpuBefore
	b.StopTimer()
	// Each urgent request alerts VNM's 24/7 point of contact in the
	// transaction that records it: as many alerts as requests.
	if alerts, err := vnm.DB.OpenAlerts(ctx, "VNM"); err != nil || alerts != b.N {
		b.Fatalf("VNM has %d open alerts (%v), want %d", alerts, err, b.N)
	}
	received, err := vnm.DB.MessageTimes(ctx, true)
	if err != nil {
		b.Fatal(err)
	}
	sent, err := fra.DB.MessageTimes(ctx, false)
	if err != nil {
		b.Fatal(err)
	}
	var latencies []time.Duration
	for id, at := range received {
		latencies = append(latencies, at.Sub(sent[id]))
	}
	slices.Sort(latencies)
	pct := func(p float64) float64 {
		return float64(latencies[int(p*float64(len(latencies)-1))].Microseconds()) / 1000
	}
	sending := float64(b.N) / elapsed.Seconds()
	b.ReportMetric(created, "create/s")
	b.ReportMetric(sending, "requests/s")
	b.ReportMetric(sending/created, "ratio")
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
	b.ReportMetric(float64(cpu.Microseconds())/1000/float64(b.N), "cpu-ms/req")
	b.ReportMetric(0, "ns/op")
}
