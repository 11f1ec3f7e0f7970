package web

import (
	"strings"
	"testing"

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
