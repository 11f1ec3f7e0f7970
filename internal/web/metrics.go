package web

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"entraide/internal/node"
)

// metrics are a server's Prometheus metrics, in a registry of its own, so
// that two servers in one process (tests, the sandbox) count apart. They
// carry route patterns, never raw paths, whose ids would make a series per
// request and could name cases.
type metrics struct {
	registry     *prometheus.Registry
	requests     *prometheus.HistogramVec
	deliveries   *prometheus.CounterVec
	deliveryTime *prometheus.HistogramVec
	latency      *prometheus.HistogramVec
	alerts       *prometheus.CounterVec
	refusals     *prometheus.CounterVec
	limited      *prometheus.CounterVec
	inboxBytes   prometheus.Gauge
	streams      prometheus.Gauge
	timeToAck    *prometheus.HistogramVec
}

func newMetrics() *metrics {
	m := &metrics{
		registry: prometheus.NewRegistry(),
		requests: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "entraide_http_request_duration_seconds", Help: "Time to answer an HTTP request, by route pattern, method and status.",
			Buckets: []float64{.001, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"route", "method", "status"}),
		deliveries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "entraide_federation_deliveries_total", Help: "Attempts to deliver a message to a peer, by peer State and result (delivered, failed).",
		}, []string{"peer", "result"}),
		deliveryTime: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "entraide_federation_delivery_duration_seconds", Help: "Time of one attempt to deliver a message to a peer, receipt included.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 15},
		}, []string{"peer"}),
		// From milliseconds, between two nodes that answer, to the three
		// days after which a message is given up.
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "entraide_federation_delivery_latency_seconds", Help: "Time from a message's queueing in the outbox to its peer's receipt stored, once per delivered message, by peer State.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600, 4 * 3600, 12 * 3600, 86400, 3 * 86400},
		}, []string{"peer"}),
		alerts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "entraide_alerts_total", Help: "24/7 alerts raised and acknowledged, by event and reason.",
		}, []string{"event", "reason"}),
		refusals: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "entraide_refusals_total", Help: "Refused envelopes and tokens, by kind, reason, and whether the caller was verified.",
		}, []string{"kind", "reason", "verified"}),
		limited: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "entraide_rate_limited_total", Help: "Calls answered 429 or 503 because a limit was reached, by limit.",
		}, []string{"limit"}),
		inboxBytes: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "entraide_federation_inbox_bytes", Help: "Memory held by envelopes being read or processed, as counted against --inbox-memory.",
		}),
		streams: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "entraide_alert_streams", Help: "Open live feeds of alerts.",
		}),
		timeToAck: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "entraide_alert_time_to_acknowledge_seconds", Help: "Time from a 24/7 alert's raising to its acknowledgement, by reason.",
			Buckets: []float64{30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14400, 43200, 86400},
		}, []string{"reason"}),
	}
	m.registry.MustRegister(m.requests, m.deliveries, m.deliveryTime, m.latency, m.alerts, m.refusals, m.limited, m.inboxBytes, m.streams, m.timeToAck,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Delivered counts an attempt to deliver a message; it is the node's
// Observer.
func (m *metrics) Delivered(peer string, took time.Duration, err error) {
	result := "delivered"
	if err != nil {
		result = "failed"
	}
	m.deliveries.WithLabelValues(peer, result).Inc()
	m.deliveryTime.WithLabelValues(peer).Observe(took.Seconds())
}

// DeliveredAfter times a message from its queueing to its receipt
// stored; it makes metrics a node.LatencyObserver.
func (m *metrics) DeliveredAfter(peer string, sinceQueued time.Duration) {
	m.latency.WithLabelValues(peer).Observe(sinceQueued.Seconds())
}

// Alert counts an alert raised or acknowledged.
func (m *metrics) Alert(event, reason string) { m.alerts.WithLabelValues(event, reason).Inc() }

// Acknowledged times an alert's acknowledgement; it makes metrics a
// node.AckObserver.
func (m *metrics) Acknowledged(reason string, took time.Duration) {
	m.timeToAck.WithLabelValues(reason).Observe(took.Seconds())
}

// Refused counts a refused envelope or token.
func (m *metrics) Refused(kind, reason string, verified bool) {
	m.refusals.WithLabelValues(kind, reason, strconv.FormatBool(verified)).Inc()
}

// handler serves the registry in the Prometheus text format.
func (m *metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{})
}

// instrument times each answer of h, labelled with the route's pattern.
func (m *metrics) instrument(route string, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		defer func() {
			status := sw.status
			if status == 0 {
				status = http.StatusOK
			}
			if v := recover(); v != nil {
				if !errors.Is(asError(v), http.ErrAbortHandler) {
					status = http.StatusInternalServerError
				}
				defer panic(v)
			}
			m.requests.WithLabelValues(route, methodLabel(r.Method), strconv.Itoa(status)).Observe(time.Since(start).Seconds())
		}()
		h.ServeHTTP(sw, r)
	})
}

// methodLabel keeps the method label to the methods of HTTP: a client
// may send any token as a method, and each would be a new series, held
// in memory for as long as the node runs.
func methodLabel(method string) string {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete,
		http.MethodOptions, http.MethodConnect, http.MethodTrace:
		return method
	}
	return "other"
}

func asError(v any) error {
	err, _ := v.(error)
	return err
}

// statusWriter notes the status of an answer. Unwrap lets
// http.ResponseController reach the connection beneath, to flush a
// stream and set deadlines.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
	w.ResponseWriter.WriteHeader(status)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// metricsHandler serves the metrics to the home State's officials who may
// read the audit log: administrators and auditors. They count the work of
// the whole node (requests, deliveries, alerts, refusals), never what a
// case holds.
func (s *Server) metricsHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { s.metrics.handler().ServeHTTP(w, r) })
}

// queueCollector reads, at each scrape, what waits in the node's store:
// the outbox's messages and the oldest one's age, and the records not yet
// in the Merkle log. A failed read leaves its metrics out of the scrape
// rather than failing it.
type queueCollector struct {
	node *node.Node
	log  *slog.Logger
}

var (
	outboxDepthDesc = prometheus.NewDesc("entraide_outbox_messages", "Messages waiting in the outbox for delivery to a peer, not yet delivered nor given up.", nil, nil)
	outboxAgeDesc   = prometheus.NewDesc("entraide_outbox_oldest_age_seconds", "Age of the oldest message waiting in the outbox; 0 when none waits.", nil, nil)
	logLagDesc      = prometheus.NewDesc("entraide_log_integration_lag", "Audit records committed and not yet in the Merkle log's tree and signed checkpoint.", nil, nil)
	logLeaseDesc    = prometheus.NewDesc("entraide_log_lease_held", "1 on the replica that holds the Merkle log's lease and integrates the log, 0 on the others (PostgreSQL only).", nil, nil)
)

func (c queueCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- outboxDepthDesc
	ch <- outboxAgeDesc
	ch <- logLagDesc
	ch <- logLeaseDesc
}

func (c queueCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if n, oldest, err := c.node.DB().OutboxQueued(ctx); err != nil {
		c.log.WarnContext(ctx, "metrics: the outbox's queue", "err", err)
	} else {
		age := 0.0
		if !oldest.IsZero() {
			age = max(0, time.Since(oldest).Seconds())
		}
		ch <- prometheus.MustNewConstMetric(outboxDepthDesc, prometheus.GaugeValue, float64(n))
		ch <- prometheus.MustNewConstMetric(outboxAgeDesc, prometheus.GaugeValue, age)
	}
	if lag, err := c.node.DB().LogPending(ctx); err != nil {
		c.log.WarnContext(ctx, "metrics: the log's lag", "err", err)
	} else {
		ch <- prometheus.MustNewConstMetric(logLagDesc, prometheus.GaugeValue, float64(lag))
	}
	// On SQLite one process serves the node and integrates the log: there
	// is no lease to tell replicas apart by.
	if !c.node.DB().Announces() {
		return
	}
	if holder, held, err := c.node.LogLeaseHolder(ctx); err != nil {
		c.log.WarnContext(ctx, "metrics: the log's lease", "err", err)
	} else {
		v := 0.0
		if held && holder == c.node.Replica() {
			v = 1
		}
		ch <- prometheus.MustNewConstMetric(logLeaseDesc, prometheus.GaugeValue, v)
	}
}
