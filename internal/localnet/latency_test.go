package localnet_test

import (
	"context"
	"testing"
	"time"

	"entraide/internal/casework"
	"entraide/internal/identity"
	"entraide/internal/localnet"
	"entraide/internal/node"
)

// TestDeliveryLatencyMetric: a message queued while its peer is down is
// timed once, from its queueing to its receipt stored, on the sending
// node: the outage counts, the failed attempts do not each count.
func TestDeliveryLatencyMetric(t *testing.T) {
	net, err := localnet.Start(t.Context(), []string{"FRA", "VNM"}, localnet.Options{Dir: t.TempDir(),
		Federation: node.FederationConfig{RetryBase: 20 * time.Millisecond}})
	if err != nil {
		t.Fatalf("localnet.Start: %v", err)
	}
	t.Cleanup(net.Close)
	token, err := net.Official(context.Background(), "FRA", "ca-fra", "Central authority of FRA", identity.CentralAuthority)
	if err != nil {
		t.Fatal(err)
	}
	fra := api{t: t, net: net, url: net.Nodes["FRA"].URL, token: token}
	admin := api{t: t, net: net, url: net.Nodes["FRA"].URL, token: net.Nodes["FRA"].AdminToken}

	const outage = 400 * time.Millisecond
	net.Nodes["VNM"].Stop()
	start := time.Now()
	id, err := fra.createAndSend(t.Context(), "VNM")
	if err != nil {
		t.Fatal(err)
	}
	sent := time.Now()
	waitMetric(t, admin, `entraide_federation_deliveries_total{peer="VNM",result="failed"}`, 2)
	time.Sleep(outage - time.Since(sent))
	if err := net.Nodes["VNM"].Restart(t.Context(), net); err != nil {
		t.Fatal(err)
	}
	fra.waitFor(id, casework.Received)
	took := time.Since(start)

	// The receipt is committed before it is counted.
	count := `entraide_federation_delivery_latency_seconds_count{peer="VNM"}`
	waitMetric(t, admin, count, 1)
	if n := metric(t, admin, count); n != 1 {
		t.Fatalf("%s = %v after one message delivered, want 1", count, n)
	}
	sum := metric(t, admin, `entraide_federation_delivery_latency_seconds_sum{peer="VNM"}`)
	if sum < outage.Seconds() || sum > took.Seconds() {
		t.Errorf("delivery latency %.3fs, want the outage's %s at least and at most the %s from send to receipt", sum, outage, took)
	}
	if n := metric(t, admin, `entraide_federation_delivery_latency_seconds_bucket{peer="VNM",le="+Inf"}`); n != 1 {
		t.Errorf("+Inf bucket %v, want 1", n)
	}
	if attempts := metric(t, admin, `entraide_federation_delivery_duration_seconds_count{peer="VNM"}`); attempts < 3 {
		t.Errorf("%v attempts timed, want the failed ones and the one that worked", attempts)
	}
}

// waitMetric waits until series of admin's node counts at least n.
func waitMetric(t *testing.T, admin api, series string, n float64) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if v, _ := metricIf(t, admin, series); v >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not reach %v within 10s", series, n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
