package main

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"entraide/internal/casework"
	"entraide/internal/store/storetest"
)

// soakInflight bounds the sends the load generator has under way: past
// it, a tick's send is counted as not offered instead of piling up
// goroutines, which would measure the generator and not the nodes.
const soakInflight = 256

// BenchmarkSoak runs the topology of TestReplicasSurviveKillsUnderLoad,
// FRA's node as two serve replicas on PostgreSQL and VNM's beside it,
// under a steady offered load of requests drafted and sent through FRA's
// API (ENTRAIDE_BENCH_SOAK_RATE a second, 200 by default) for
// ENTRAIDE_BENCH_SOAK (a Go duration, 10m by default), and reports each
// process's resident memory, goroutines and open file descriptors, and
// the database connections of FRA's replicas, at the start and the end;
// then, once the outbox has drained, what was sent, received and alerted,
// and the errors. It runs once, whatever -benchtime says.
func BenchmarkSoak(b *testing.B) {
	duration, rate := 10*time.Minute, 200
	if v := os.Getenv("ENTRAIDE_BENCH_SOAK"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			b.Fatalf("ENTRAIDE_BENCH_SOAK=%q: want a positive Go duration such as 10m", v)
		}
		duration = d
	}
	if v := os.Getenv("ENTRAIDE_BENCH_SOAK_RATE"); v != "" {
		r, err := strconv.Atoi(v)
		if err != nil || r <= 0 {
			b.Fatalf("ENTRAIDE_BENCH_SOAK_RATE=%q: want a positive number of sends a second", v)
		}
		rate = r
	}
	dsn, appName := withApplicationName(b, storetest.DSN(b, "postgres"))
	fra, fra2, vnm, lb := startReplicatedFRA(b, dsn)
	observer, _ := withApplicationName(b, dsn)
	fraDB := openRaw(b, "pgx", observer)
	processes := []struct {
		name string
		node *procNode
	}{{"FRA replica 1", fra}, {"FRA replica 2", fra2}, {"VNM", vnm}}
	snapshot := func() []soakFigures {
		b.Helper()
		var out []soakFigures
		for _, p := range processes {
			f := processFigures(b, p.node)
			f.name = p.name
			out = append(out, f)
		}
		return append(out, soakFigures{name: "PostgreSQL", conns: float64(countRows(b, fraDB,
			"SELECT count(*) FROM pg_stat_activity WHERE application_name = '"+appName+"'"))})
	}

	before := snapshot()
	var (
		wg                                  sync.WaitGroup
		inflight, offered, skipped          atomic.Int64
		acked, cutOff, refused, draftFailed atomic.Int64
		errMu                               sync.Mutex
		firstErrors                         []string
	)
	// The n-th send is offered at start + n/rate, late if the generator
	// was not scheduled in time, so that a busy machine delays the load
	// but does not thin it out, as a ticker dropping its ticks would.
	ctx, cancel := context.WithTimeout(b.Context(), duration)
	interval := time.Second / time.Duration(rate)
	start := time.Now()
	// The queue's depth each minute says whether delivery keeps up with
	// the API all along, which the end figures alone do not.
	var depths []string
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		t := time.NewTicker(time.Minute)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			var n int
			if err := fraDB.QueryRowContext(ctx, "SELECT count(*) FROM outbox WHERE delivered_at = '' AND expired_at = ''").Scan(&n); err == nil {
				depths = append(depths, fmt.Sprintf("%s: %d", time.Since(start).Round(time.Second), n))
			}
		}
	}()
	for n := 0; ctx.Err() == nil; n++ {
		if wait := time.Until(start.Add(time.Duration(n) * interval)); wait > 0 {
			select {
			case <-ctx.Done():
				continue
			case <-time.After(wait):
			}
		}
		if inflight.Load() >= soakInflight {
			skipped.Add(1)
			continue
		}
		offered.Add(1)
		inflight.Add(1)
		wg.Go(func() {
			defer inflight.Add(-1)
			// A send under way when the soak ends finishes: cutting it
			// off would count as an error what is the test's own doing.
			r := draftAndSend(context.WithoutCancel(ctx), lb)
			switch {
			case !r.drafted:
				draftFailed.Add(1)
			case r.send == answered2xx && r.err == nil:
				acked.Add(1)
				return
			case r.send == unanswered:
				cutOff.Add(1)
			default:
				refused.Add(1)
			}
			errMu.Lock()
			if len(firstErrors) < 10 {
				firstErrors = append(firstErrors, r.err.Error())
			}
			errMu.Unlock()
		})
	}
	wg.Wait()
	cancel()
	<-sampled
	elapsed := time.Since(start)
	after := snapshot()
	// The figures are reported before the outbox is drained, so that a
	// soak whose drain fails still says what it used.
	var table strings.Builder
	for i, a := range before {
		z := after[i]
		if a.name == "PostgreSQL" {
			fmt.Fprintf(&table, "%s: %.0f → %.0f connections of FRA's replicas\n", a.name, a.conns, z.conns)
			continue
		}
		fmt.Fprintf(&table, "%s: resident memory %.1f → %.1f MiB, heap in use %.1f → %.1f MiB, goroutines %.0f → %.0f, open fds %.0f → %.0f\n",
			a.name, a.rss/(1<<20), z.rss/(1<<20), a.heap/(1<<20), z.heap/(1<<20), a.goroutines, z.goroutines, a.fds, z.fds)
	}
	b.Logf("at the start and the end of the load:\n%smessages waiting in FRA's outbox, each minute: %s", table.String(), strings.Join(depths, ", "))

	vnmDB := openRaw(b, "sqlite", "file:"+filepath.Join(vnm.dir, "entraide.db")+"?mode=ro&_pragma=busy_timeout(10000)")
	backlog := countRows(b, fraDB, "SELECT count(*) FROM outbox WHERE delivered_at = '' AND expired_at = ''")
	drainStart := time.Now()
	waitDrained(b, fraDB, vnmDB)
	drained := time.Since(drainStart)
	// Once the queue is empty what the load left in memory is garbage or
	// a leak: the figures are read after each process's next collection,
	// which the runtime makes at least every two minutes.
	waitCollected(b, drainStart.Add(drained), processes[0].node, processes[1].node, processes[2].node)
	var idle strings.Builder
	for _, f := range snapshot() {
		if f.name != "PostgreSQL" {
			fmt.Fprintf(&idle, "%s: heap in use %.1f MiB, goroutines %.0f; ", f.name, f.heap/(1<<20), f.goroutines)
		}
	}
	b.Logf("once the outbox was drained, after a garbage collection: %s", strings.TrimSuffix(idle.String(), "; "))
	sent := countRows(b, fraDB, "SELECT count(*) FROM requests WHERE holder = 'FRA' AND state <> '"+string(casework.Draft)+"'")
	received := countRows(b, vnmDB, "SELECT count(*) FROM requests WHERE holder = 'VNM'")
	alerted := countRows(b, vnmDB, "SELECT count(DISTINCT request_id) FROM alerts")
	alerts := countRows(b, vnmDB, "SELECT count(*) FROM alerts")

	b.Logf("soak of %s at %d sends/s offered: %d offered (%d not, %d already under way), %d answered 2xx (%.1f/s), %d unanswered (timed out or cut off), %d refused, %d drafts failed; "+
		"FRA committed %d sends, VNM received %d requests and raised %d alerts about %d of them; %d messages waited in FRA's outbox at the end of the load, delivered %s later",
		elapsed.Round(time.Second), rate, offered.Load(), skipped.Load(), int64(soakInflight), acked.Load(), float64(acked.Load())/elapsed.Seconds(),
		cutOff.Load(), refused.Load(), draftFailed.Load(), sent, received, alerts, alerted, backlog, drained.Round(time.Millisecond))
	for _, e := range firstErrors {
		b.Logf("error: %s", e)
	}
	for _, p := range processes {
		for _, l := range p.node.loggedErrors(5) {
			b.Logf("%s logged: %s", p.name, l)
		}
	}
	// Calls that failed are reported, not failed on: past what the
	// machine can take, clients time out, which is what an offered load
	// is for finding. What was committed must still arrive once.
	if received != sent || alerts != received || alerted != received {
		b.Errorf("FRA committed %d sends; VNM received %d requests and raised %d alerts about %d: want all equal", sent, received, alerts, alerted)
	}

	b.ReportMetric(0, "ns/op")
	b.ReportMetric(float64(acked.Load())/elapsed.Seconds(), "sends/s")
	b.ReportMetric(float64(received), "received")
	b.ReportMetric(float64(backlog), "backlog")
	b.ReportMetric(float64(cutOff.Load()+refused.Load()+draftFailed.Load()), "errors")
	for i, p := range []string{"fra1", "fra2", "vnm"} {
		b.ReportMetric(before[i].rss/(1<<20), p+"_MiB_start")
		b.ReportMetric(after[i].rss/(1<<20), p+"_MiB_end")
		b.ReportMetric(before[i].goroutines, p+"_goroutines_start")
		b.ReportMetric(after[i].goroutines, p+"_goroutines_end")
		b.ReportMetric(before[i].fds, p+"_fds_start")
		b.ReportMetric(after[i].fds, p+"_fds_end")
	}
	b.ReportMetric(before[3].conns, "pg_conns_start")
	b.ReportMetric(after[3].conns, "pg_conns_end")
}

// withApplicationName returns dsn with an application_name of its own,
// by which pg_stat_activity tells its connections from others', and that
// name.
func withApplicationName(tb testing.TB, dsn string) (string, string) {
	tb.Helper()
	u, err := url.Parse(dsn)
	if err != nil {
		tb.Fatal(err)
	}
	q := u.Query()
	name := "entraide-" + q.Get("search_path")
	if q.Get("application_name") == name {
		name += "-observer"
	}
	q.Set("application_name", name)
	u.RawQuery = q.Encode()
	return u.String(), name
}

// soakFigures are one process's figures at one moment.
type soakFigures struct {
	name                       string
	rss, heap, goroutines, fds float64
	lastGC                     float64 // Unix seconds
	conns                      float64 // PostgreSQL's only
}

// processFigures reads the node's resident memory, goroutines and open
// file descriptors from its /metrics, as its administrator.
func processFigures(tb testing.TB, n *procNode) soakFigures {
	tb.Helper()
	req, _ := http.NewRequestWithContext(tb.Context(), "GET", n.url+"/metrics", nil)
	req.Header.Set("Authorization", "Bearer "+n.admin)
	resp, err := n.client.Do(req)
	if err != nil {
		tb.Fatalf("GET %s/metrics: %v", n.url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		tb.Fatalf("GET %s/metrics: %s", n.url, resp.Status)
	}
	var f soakFigures
	wanted := map[string]*float64{"process_resident_memory_bytes": &f.rss, "go_memstats_heap_inuse_bytes": &f.heap, "go_goroutines": &f.goroutines, "process_open_fds": &f.fds,
		"go_memstats_last_gc_time_seconds": &f.lastGC}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		name, value, ok := strings.Cut(sc.Text(), " ")
		if p := wanted[name]; ok && p != nil {
			if *p, err = strconv.ParseFloat(value, 64); err != nil {
				tb.Fatalf("%s/metrics: %s %q: %v", n.url, name, value, err)
			}
			delete(wanted, name)
		}
	}
	if err := sc.Err(); err != nil {
		tb.Fatalf("read %s/metrics: %v", n.url, err)
	}
	for name := range wanted {
		tb.Fatalf("%s/metrics has no %s", n.url, name)
	}
	return f
}

// waitCollected waits, up to three minutes, until each of nodes has
// collected its garbage since after.
func waitCollected(tb testing.TB, after time.Time, nodes ...*procNode) {
	tb.Helper()
	deadline := time.Now().Add(3 * time.Minute)
	for _, n := range nodes {
		for processFigures(tb, n).lastGC < float64(after.UnixNano())/1e9 {
			if time.Now().After(deadline) {
				tb.Logf("%s's node did not collect its garbage within 3 minutes", n.state)
				return
			}
			time.Sleep(time.Second)
		}
	}
}
