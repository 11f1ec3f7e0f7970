package web

import (
	"context"
	"strings"
	"testing"
	"time"

	"entraide/internal/identity"
)

// TestMetricsQueues: /metrics reads the outbox's depth and age and the
// Merkle log's lag from the store at each scrape, and times each alert's
// acknowledgement.
func TestMetricsQueues(t *testing.T) {
	tn := newTestNode(t, "sqlite")
	a := tn.raiseAlert(t, "FRA")
	tn.do(t, "POST", "/api/v1/alerts/"+a.ID+"/ack", tn.token(t, "FRA", identity.TwentyFourSeven), nil)

	lag, err := tn.Node.DB().LogPending(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if lag == 0 {
		t.Fatal("no record waits for the log before it is integrated")
	}
	text := metricsText(t, tn)
	wantMetric(t, text, "entraide_log_integration_lag", int(lag))
	wantMetric(t, text, "entraide_outbox_messages", 0)
	wantMetric(t, text, "entraide_outbox_oldest_age_seconds", 0)
	wantMetric(t, text, `entraide_alert_time_to_acknowledge_seconds_count{reason="`+string(a.Reason)+`"}`, 1)
	if !strings.Contains(text, `entraide_alert_time_to_acknowledge_seconds_bucket{reason="`+string(a.Reason)+`",le="+Inf"} 1`) {
		t.Errorf("metrics: no bucket of the acknowledgement's time")
	}

	if _, err := tn.Node.IntegrateLog(t.Context()); err != nil {
		t.Fatal(err)
	}
	wantMetric(t, metricsText(t, tn), "entraide_log_integration_lag", 0)
}

// TestMetricsLogLease: on PostgreSQL, /metrics says whether this replica
// holds the Merkle log's lease; on SQLite, served by one process, there
// is no lease to report.
func TestMetricsLogLease(t *testing.T) {
	if text := metricsText(t, newTestNode(t, "sqlite")); strings.Contains(text, "entraide_log_lease_held") {
		t.Error("metrics on SQLite report a log lease")
	}
	tn := newTestNode(t, "postgres")
	wantMetric(t, metricsText(t, tn), "entraide_log_lease_held", 0)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { defer close(done); tn.Node.RunLog(ctx) }()
	defer func() { cancel(); <-done }()
	for begin := time.Now(); ; time.Sleep(20 * time.Millisecond) {
		if strings.Contains(metricsText(t, tn), "entraide_log_lease_held 1\n") {
			break
		}
		if time.Since(begin) > 10*time.Second {
			t.Fatal("entraide_log_lease_held is not 1 10 s after the replica began to run the log")
		}
	}
}
