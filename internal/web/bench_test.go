package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"entraide/internal/casework"
	"entraide/internal/convention"
	"entraide/internal/identity"
	"entraide/internal/keeper"
	"entraide/internal/node"
	"entraide/internal/store"
	"entraide/internal/store/storetest"
	"entraide/internal/web"
)

// benchClients is how many clients call the API at once.
const benchClients = 50

// benchSeed is how many requests the listing benchmark finds in the node.
const benchSeed = 1000

// benchAPI is a node served over real HTTP, with a token of France's
// central authority.
type benchAPI struct {
	url    string
	token  string
	node   *node.Node
	client *http.Client
}

// newBenchAPI initialises a node for France, hosting Viet Nam, on a fresh
// database of backend, and serves it with web.NewServer behind an
// httptest server. Everything is closed at the end of the benchmark run.
func newBenchAPI(b *testing.B, backend string) *benchAPI {
	b.Helper()
	ctx := b.Context()
	db := storetest.Open(b, backend)
	dir := b.TempDir()
	if _, err := keeper.Create(dir); err != nil {
		b.Fatal(err)
	}
	k, err := keeper.Open(ctx, dir, "")
	if err != nil {
		b.Fatal(err)
	}
	_, err = node.Init(ctx, db, node.InitOptions{Home: "FRA", Hosted: []string{"VNM"}, Keeper: k,
		Admin: identity.User{ID: "admin", Name: "Node administrator"}}, nil)
	if err != nil {
		b.Fatalf("node.Init: %v", err)
	}
	n, err := node.Open(ctx, db, k, nil)
	if err != nil {
		b.Fatalf("node.Open: %v", err)
	}
	if _, err := n.AddUser(ctx, n.Admin(), identity.User{ID: "fra-ca", Name: "Claire Dubois", State: "FRA", Role: identity.CentralAuthority}); err != nil {
		b.Fatalf("AddUser(fra-ca): %v", err)
	}
	code, err := n.IssueEnrolment(ctx, n.Admin(), "fra-ca")
	if err != nil {
		b.Fatalf("IssueEnrolment(fra-ca): %v", err)
	}
	enrolled, err := n.Enrol(ctx, code.Code, "benchmark")
	if err != nil {
		b.Fatalf("Enrol(fra-ca): %v", err)
	}
	token := enrolled.Token
	// The log integrates the records as the benchmark writes them, as in
	// a served node: its cost is part of what is measured.
	logCtx, stopLog := context.WithCancel(context.Background())
	logDone := make(chan struct{})
	go func() { defer close(logDone); n.RunLog(logCtx) }()
	b.Cleanup(func() { stopLog(); <-logDone })
	// The benchmarks measure the node, not the rate limit of one token.
	limits := web.Limits{APIRate: 1e6, APIBurst: 1e6}
	srv := httptest.NewServer(web.NewServer(n, slog.New(slog.DiscardHandler), web.Config{Limits: limits}))
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConns = 2 * benchClients
	tr.MaxIdleConnsPerHost = 2 * benchClients
	b.Cleanup(func() {
		tr.CloseIdleConnections()
		srv.Close()
	})
	return &benchAPI{url: srv.URL, token: token, node: n, client: &http.Client{Transport: tr, Timeout: time.Minute}}
}

// preservation is a valid art. 42 request from France to Viet Nam.
func preservation() casework.Contents {
	return casework.Contents{
		Kind: convention.Preservation, RequestedState: "VNM", LegalBasis: &casework.LegalBasis{Type: casework.BasisReciprocity}, Urgency: casework.Urgent,
		Offences: []convention.Charge{{Article: 10}, {Article: 7}},
		Fields: map[string]string{
			"requesting_authority":  "Office anti-cybercriminalité (OFAC), Nanterre; 24/7 point of contact",
			"facts_summary":         "The information systems of a hospital in Lyon were encrypted by ransomware; the ransom note pointed to a leak site hosted in Viet Nam.",
			"stored_data":           "Subscriber, log-in and traffic data of the hosting account serving the leak site, from 1 October 2026.",
			"custodian_or_location": "A hosting provider in Ho Chi Minh City.",
			"necessity":             "The provider keeps logs for 30 days.",
			"follow_up_intent":      "France will request disclosure of the preserved data within 60 days.",
		},
	}
}

// do sends one request and reads the whole response, so that the
// connection goes back to the pool. It fails on any status but 2xx.
func (a *benchAPI) do(ctx context.Context, method, path string, body []byte) error {
	return a.doWith(ctx, method, path, nil, body)
}

// doWith is do with headers of the caller's.
func (a *benchAPI) doWith(ctx context.Context, method, path string, header http.Header, body []byte) error {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, a.url+path, rd)
	if err != nil {
		return err
	}
	for name, values := range header {
		req.Header[name] = values
	}
	req.Header.Set("Authorization", "Bearer "+a.token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := a.client.Do(req)
	if err != nil {
		return err
	}
	data, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return fmt.Errorf("%s %s: reading the response: %w", method, path, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("%s %s: %s: %s", method, path, resp.Status, data)
	}
	return nil
}

// runConcurrently spreads b.N calls of op over benchClients goroutines,
// records each call's latency, and reports throughput (req/s) and the
// 50th and 99th percentile latencies in milliseconds. The first failure
// stops every client and fails the benchmark.
func runConcurrently(b *testing.B, op func(ctx context.Context) error) {
	b.Helper()
	ctx, cancel := context.WithCancel(b.Context())
	defer cancel()
	var (
		next     atomic.Int64
		wg       sync.WaitGroup
		failOnce sync.Once
		failure  error
	)
	latencies := make([][]time.Duration, benchClients)
	b.ResetTimer()
	start := time.Now()
	for c := range benchClients {
		wg.Go(func() {
			own := make([]time.Duration, 0, b.N/benchClients+1)
			for next.Add(1) <= int64(b.N) && ctx.Err() == nil {
				t0 := time.Now()
				err := op(ctx)
				own = append(own, time.Since(t0))
				if err != nil {
					failOnce.Do(func() { failure = err; cancel() })
					break
				}
			}
			latencies[c] = own
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	if failure != nil {
		b.Fatal(failure)
	}
	all := slices.Concat(latencies...)
	slices.Sort(all)
	b.ReportMetric(float64(len(all))/elapsed.Seconds(), "req/s")
	b.ReportMetric(percentile(all, 50), "p50-ms")
	b.ReportMetric(percentile(all, 99), "p99-ms")
	b.ReportMetric(0, "ns/op")
}

// percentile returns the p-th percentile of sorted, in milliseconds, by
// the nearest-rank method.
func percentile(sorted []time.Duration, p int) float64 {
	if len(sorted) == 0 {
		return 0
	}
	rank := (p*len(sorted) + 99) / 100 // ceil(p/100 * n)
	return float64(sorted[max(rank, 1)-1]) / float64(time.Millisecond)
}

// BenchmarkCreateRequest drafts preservation requests through
// POST /api/v1/requests, benchClients at a time.
func BenchmarkCreateRequest(b *testing.B) {
	body, err := json.Marshal(preservation())
	if err != nil {
		b.Fatal(err)
	}
	for _, backend := range storetest.Backends {
		b.Run(backend, func(b *testing.B) {
			api := newBenchAPI(b, backend)
			runConcurrently(b, func(ctx context.Context) error {
				return api.do(ctx, "POST", "/api/v1/requests", body)
			})
		})
	}
}

// BenchmarkCreateRequestIdempotent is BenchmarkCreateRequest with a new
// Idempotency-Key on every call: the cost of keeping each answer for
// retries.
func BenchmarkCreateRequestIdempotent(b *testing.B) {
	body, err := json.Marshal(preservation())
	if err != nil {
		b.Fatal(err)
	}
	for _, backend := range storetest.Backends {
		b.Run(backend, func(b *testing.B) {
			api := newBenchAPI(b, backend)
			var n atomic.Int64
			runConcurrently(b, func(ctx context.Context) error {
				h := http.Header{"Idempotency-Key": {"bench-" + strconv.FormatInt(n.Add(1), 10)}}
				return api.doWith(ctx, "POST", "/api/v1/requests", h, body)
			})
		})
	}
}

// BenchmarkListRequests reads the first page of 50 of benchSeed requests
// through GET /api/v1/requests, benchClients at a time.
func BenchmarkListRequests(b *testing.B) {
	for _, backend := range storetest.Backends {
		b.Run(backend, func(b *testing.B) {
			api := newBenchAPI(b, backend)
			seed(b, api.node, benchSeed)
			checkPage(b, api)
			runConcurrently(b, func(ctx context.Context) error {
				return api.do(ctx, "GET", "/api/v1/requests?limit=50", nil)
			})
		})
	}
}

// seed drafts count preservation requests of France's central authority
// directly through the node, a few writers at a time.
func seed(b *testing.B, n *node.Node, count int) {
	b.Helper()
	by := casework.Actor{ID: "fra-ca", State: "FRA", Role: identity.CentralAuthority}
	var (
		next atomic.Int64
		wg   sync.WaitGroup
		errs = make(chan error, 8)
	)
	for range 8 {
		wg.Go(func() {
			for next.Add(1) <= int64(count) {
				if _, err := n.CreateRequest(b.Context(), by, preservation()); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		b.Fatalf("seeding requests: %v", err)
	}
}

// checkPage makes sure, before timing, that the listing returns a full
// page: a benchmark of empty pages would measure nothing.
func checkPage(b *testing.B, api *benchAPI) {
	b.Helper()
	req, err := http.NewRequestWithContext(b.Context(), "GET", api.url+"/api/v1/requests?limit=50", nil)
	if err != nil {
		b.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+api.token)
	resp, err := api.client.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	var page store.Page
	if err := json.NewDecoder(resp.Body).Decode(&page); err != nil {
		b.Fatalf("GET /api/v1/requests: %s: %v", resp.Status, err)
	}
	if len(page.Requests) != 50 || page.NextCursor == "" {
		b.Fatalf("GET /api/v1/requests?limit=50 = %d requests, next_cursor %q; want 50 and a cursor", len(page.Requests), page.NextCursor)
	}
}
