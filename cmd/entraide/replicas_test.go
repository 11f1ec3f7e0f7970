package main

// A State's node as two serve replicas on one PostgreSQL database, behind
// a load balancer that the tests play, and a peer's node beside them, all
// child processes over real HTTPS: what the node promises while its
// processes are killed under load, counted afterwards in the databases.

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"entraide/internal/casework"
	"entraide/internal/store/storetest"
)

// convergeDeadline bounds the wait for the outbox to drain after faults.
// A message a killed replica held stays leased until its lease ends
// (node.DefaultLease, 30 s), and only then does another replica take it.
const convergeDeadline = 75 * time.Second

// replica returns another serve process of the node n: the same data
// directory (its keeper file), database and officials, its own address
// and log. n must have started once, so that its officer has a token.
func (n *procNode) replica(i int) *procNode {
	n.t.Helper()
	if n.database == "" {
		n.t.Fatalf("%s's node is on SQLite, whose file one process serves: give it a database to run replicas", n.state)
	}
	addr := freeAddr(n.t)
	r := &procNode{t: n.t, bin: n.bin, state: n.state, dir: n.dir, database: n.database, serveArgs: n.serveArgs,
		logName: fmt.Sprintf("serve-%d.log", i), addr: addr, url: "https://" + addr,
		cert: n.cert, key: n.key, ca: n.ca, client: n.client, admin: n.admin, officer: n.officer}
	n.t.Cleanup(r.stop)
	return r
}

// balancer sends each call to the next replica that is up, round robin,
// as a load balancer does. A replica whose connection fails (refused,
// reset, cut off) is taken out until the test puts it back; a call refused before it reached the
// replica goes to the next one, since the replica never saw it.
type balancer struct {
	mu       sync.Mutex
	replicas []*procNode
	down     []bool
	next     int
	answered []int // calls each replica answered
}

// startReplicatedFRA starts FRA's node as two `serve` replicas on the
// PostgreSQL database dsn, behind a balancer, and VNM's node on SQLite.
func startReplicatedFRA(tb testing.TB, dsn string) (fra, fra2, vnm *procNode, lb *balancer) {
	nodes := newProcNodesOn(tb, buildEntraide(tb), map[string]string{"FRA": dsn}, "FRA", "VNM")
	fra, vnm = nodes["FRA"], nodes["VNM"]
	// One official makes the whole load: the per-token rate limit, which
	// each replica counts on its own, would otherwise refuse most of it.
	fra.serveArgs = []string{"--limit-api-rate", "100000", "--limit-api-burst", "100000"}
	fra.start()
	vnm.start()
	fra2 = fra.replica(2)
	fra2.start()
	return fra, fra2, vnm, newBalancer(fra, fra2)
}

func newBalancer(replicas ...*procNode) *balancer {
	return &balancer{replicas: replicas, down: make([]bool, len(replicas)), answered: make([]int, len(replicas))}
}

// answers returns how many calls replica i answered.
func (b *balancer) answers(i int) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.answered[i]
}

func (b *balancer) pick() (int, *procNode) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for range b.replicas {
		i := b.next
		b.next = (b.next + 1) % len(b.replicas)
		if !b.down[i] {
			return i, b.replicas[i]
		}
	}
	// None is up: the caller gets the connection's error.
	i := b.next
	b.next = (b.next + 1) % len(b.replicas)
	return i, b.replicas[i]
}

func (b *balancer) setDown(i int, down bool) {
	b.mu.Lock()
	b.down[i] = down
	b.mu.Unlock()
}

// callOutcome is what a client learnt of one call.
type callOutcome int

const (
	answered2xx callOutcome = iota
	answeredOther
	unanswered // the connection broke: the call may or may not have been committed
)

// call makes an API call as the node's central authority through the
// balancer.
func (b *balancer) call(ctx context.Context, method, path string, body, out any) (callOutcome, error) {
	for attempt := 0; ; attempt++ {
		i, r := b.pick()
		status, err := r.call(ctx, method, path, body, out)
		if status != 0 {
			b.mu.Lock()
			b.answered[i]++
			b.mu.Unlock()
			if status >= 300 {
				return answeredOther, err
			}
			return answered2xx, err
		}
		// A replica too busy to answer in time is slow, not gone.
		if ne, ok := errors.AsType[net.Error](err); ok && ne.Timeout() {
			return unanswered, err
		}
		b.setDown(i, true)
		if errors.Is(err, syscall.ECONNREFUSED) && attempt < len(b.replicas) {
			continue
		}
		return unanswered, err
	}
}

// sendOutcome is what the client learnt of one request it drafted and
// sent: the send's outcome, or that the draft failed.
type sendOutcome struct {
	id      string
	drafted bool
	send    callOutcome
	err     error
}

// draftAndSend drafts a request to VNM through the balancer and sends it,
// each call to the replica whose turn it is.
func draftAndSend(ctx context.Context, lb *balancer) sendOutcome {
	var r casework.Request
	got, err := lb.call(ctx, "POST", "/api/v1/requests", processRequest("VNM"), &r)
	if got != answered2xx || err != nil {
		return sendOutcome{err: fmt.Errorf("draft: %w", err)}
	}
	got, err = lb.call(ctx, "POST", "/api/v1/requests/"+r.ID+"/transitions", casework.Transition{Action: casework.Send}, nil)
	return sendOutcome{id: r.ID, drafted: true, send: got, err: err}
}

// TestReplicasSurviveKillsUnderLoad: FRA's node as two serve replicas on
// one PostgreSQL database, VNM's on SQLite. During a burst of 1,000
// requests drafted and sent through FRA's API, spread over both replicas,
// one replica is killed with SIGKILL, then VNM's node, which comes back
// while the burst goes on; the replica comes back after it and takes its
// share of a few more. Then the
// databases are counted: each send the API answered 2xx arrived at VNM
// once, a send cut off by the kill arrived once if FRA committed it and
// not at all if not, no request arrived twice, each arrival raised one
// alert at VNM, FRA holds one receipt for each, and the outbox is empty.
func TestReplicasSurviveKillsUnderLoad(t *testing.T) {
	const total, workers = 1000, 16
	dsn := storetest.DSN(t, "postgres")
	_, fra2, vnm, lb := startReplicatedFRA(t, dsn)

	results := make([]sendOutcome, total)
	var done atomic.Int64 // sends answered 2xx
	loadDone := make(chan struct{})
	start := time.Now()
	go func() {
		defer close(loadDone)
		parallelEach(total, workers, func(i int) error {
			results[i] = draftAndSend(t.Context(), lb)
			if results[i].send == answered2xx && results[i].err == nil {
				done.Add(1)
			}
			return nil
		})
	}()
	// reach waits until n sends were answered 2xx, or the burst is over.
	reach := func(n int64) {
		t.Helper()
		for done.Load() < n {
			select {
			case <-loadDone:
				return
			case <-time.After(5 * time.Millisecond):
			}
		}
	}
	reach(250)
	fra2.kill()
	killedReplicaAt := done.Load()
	reach(500)
	vnm.kill()
	killedPeerAt := done.Load()
	reach(700)
	vnm.start()
	peerBackAt := done.Load()
	<-loadDone
	burst := time.Since(start)
	fra2.start()
	lb.setDown(1, false)
	// The replica back takes its turn again.
	before := lb.answers(1)
	for range 2 * workers {
		results = append(results, draftAndSend(t.Context(), lb))
	}
	if n := lb.answers(1) - before; n < 2*workers {
		t.Errorf("FRA's replica started again answered %d of the %d calls made after, want its turn, half of them", n, 4*workers)
	}

	var acked, cutOff, refused []string
	drafts := 0
	for _, r := range results {
		switch {
		case !r.drafted:
			drafts++
			t.Logf("a draft failed, nothing sent: %v", r.err)
		case r.send == answered2xx && r.err == nil:
			acked = append(acked, r.id)
		case r.send == unanswered:
			cutOff = append(cutOff, r.id)
		default:
			refused = append(refused, r.id)
			t.Errorf("request %s: its send was refused by a replica that was up: %v", r.id, r.err)
		}
	}
	t.Logf("burst of %d in %s, and %d once the replica was back: %d sends answered 2xx, %d cut off by the kill, %d refused, %d drafts failed; FRA's replica killed after %d, VNM killed after %d and back after %d",
		total, burst.Round(time.Millisecond), 2*workers, len(acked), len(cutOff), len(refused), drafts, killedReplicaAt, killedPeerAt, peerBackAt)
	if len(acked) < total/2 {
		t.Fatalf("only %d of %d sends were answered 2xx: the faults are not under load", len(acked), total)
	}

	fraDB := openRaw(t, "pgx", dsn)
	vnmDB := openRaw(t, "sqlite", "file:"+filepath.Join(vnm.dir, "entraide.db")+"?mode=ro&_pragma=busy_timeout(10000)")
	waitDrained(t, fraDB, vnmDB)

	// What FRA committed as sent, answered or not.
	fraViews := requestStates(t, fraDB, "FRA")
	var committed []string
	for _, id := range slices.Concat(acked, cutOff, refused) {
		if s, ok := fraViews[id]; ok && s != casework.Draft {
			committed = append(committed, id)
		}
	}
	for _, id := range acked {
		if !slices.Contains(committed, id) {
			t.Errorf("request %s: its send was answered 2xx, but FRA's database holds it as %q", id, fraViews[id])
		}
	}
	for _, id := range refused {
		if slices.Contains(committed, id) {
			t.Errorf("request %s: its send was refused, but FRA's database holds it as %s", id, fraViews[id])
		}
	}
	cutCommitted := 0
	for _, id := range cutOff {
		if slices.Contains(committed, id) {
			cutCommitted++
		}
	}
	t.Logf("of the %d sends cut off, FRA committed %d and not %d", len(cutOff), cutCommitted, len(cutOff)-cutCommitted)

	// VNM holds exactly the committed requests, each received once.
	vnmViews := requestStates(t, vnmDB, "VNM")
	for id, s := range vnmViews {
		if !slices.Contains(committed, id) {
			t.Errorf("VNM holds request %s (%s), which FRA did not commit as sent", id, s)
		}
	}
	vnmSends, vnmDelivered := eventCounts(t, vnmDB, "VNM", casework.Send), eventCounts(t, vnmDB, "VNM", casework.Deliver)
	// FRA records VNM's receipt of the request as its delivery.
	fraSends, fraReceipts := eventCounts(t, fraDB, "FRA", casework.Send), eventCounts(t, fraDB, "FRA", casework.Deliver)
	alerts, raised := alertCounts(t, vnmDB)
	messages := outboxCounts(t, fraDB)
	for _, id := range committed {
		if s := vnmViews[id]; s != casework.Received {
			t.Errorf("request %s: FRA committed its send; VNM holds it as %q, want %s", id, s, casework.Received)
		}
		if s := fraViews[id]; s != casework.Received {
			t.Errorf("request %s: FRA holds it as %s, want %s after VNM's receipt", id, s, casework.Received)
		}
		for _, c := range []struct {
			what string
			got  int
		}{
			{"send events in VNM's timeline", vnmSends[id]},
			{"deliver events in VNM's timeline", vnmDelivered[id]},
			{"24/7 alerts at VNM", alerts[id]},
			{"alert.raised events at VNM", raised[id]},
			{"send events in FRA's timeline", fraSends[id]},
			{"receipts in FRA's timeline", fraReceipts[id]},
			{"messages in FRA's outbox", messages[id].total},
			{"delivered messages with a receipt in FRA's outbox", messages[id].receipted},
		} {
			if c.got != 1 {
				t.Errorf("request %s: %d %s, want 1", id, c.got, c.what)
			}
		}
	}
	for id, n := range alerts {
		if !slices.Contains(committed, id) {
			t.Errorf("VNM raised %d alert(s) about request %s, which FRA did not commit as sent", n, id)
		}
	}
	if n := countRows(t, vnmDB, "SELECT count(*) FROM inbox WHERE sender = 'FRA'"); n != len(committed) {
		t.Errorf("VNM's inbox holds %d messages from FRA, want %d, one for each request sent", n, len(committed))
	}
	// FRA's replicas keep one Merkle log between them, under a lease: two
	// integrating at once would show VNM's witness two histories, and
	// raise a log_fork alert. Nothing else here alerts FRA.
	if reasons := alertReasons(t, fraDB); len(reasons) != 0 {
		t.Errorf("FRA raised alerts %v, want none", reasons)
	}
	if n := countRows(t, fraDB, "SELECT count(*) FROM outbox WHERE expired_at <> ''"); n != 0 {
		t.Errorf("FRA's outbox gave up on %d messages, want none", n)
	}
	t.Logf("%d requests committed as sent, each received once at VNM with one alert and its receipt back at FRA, in %s from the start of the burst",
		len(committed), time.Since(start).Round(time.Millisecond))
}

// openRaw opens a database by its driver, to count what the nodes wrote;
// the tests only read from it.
func openRaw(t testing.TB, driver, name string) *sql.DB {
	t.Helper()
	db, err := sql.Open(driver, name)
	if err != nil {
		t.Fatalf("open %s database: %v", driver, err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func countRows(t testing.TB, db *sql.DB, query string) int {
	t.Helper()
	var n int
	if err := db.QueryRowContext(t.Context(), query).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

// waitDrained waits until FRA's outbox holds no message waiting for
// delivery and VNM's none either, or fails after convergeDeadline.
func waitDrained(t testing.TB, fra, vnm *sql.DB) {
	t.Helper()
	const waiting = "SELECT count(*) FROM outbox WHERE delivered_at = '' AND expired_at = ''"
	deadline := time.Now().Add(convergeDeadline)
	for {
		a, b := countRows(t, fra, waiting), countRows(t, vnm, waiting)
		if a == 0 && b == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %s, %d messages still wait in FRA's outbox and %d in VNM's; FRA's, by attempts and last error:\n%s",
				convergeDeadline, a, b, waitingMessages(t, fra))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// requestStates returns the state of each request in holder's views.
func requestStates(t testing.TB, db *sql.DB, holder string) map[string]casework.State {
	t.Helper()
	rows, err := db.QueryContext(t.Context(), "SELECT id, state FROM requests WHERE holder = '"+holder+"'")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]casework.State{}
	for rows.Next() {
		var id string
		var s casework.State
		if err := rows.Scan(&id, &s); err != nil {
			t.Fatal(err)
		}
		out[id] = s
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// eventCounts counts, by request, the events of action in holder's
// timelines.
func eventCounts(t testing.TB, db *sql.DB, holder string, action casework.Action) map[string]int {
	t.Helper()
	rows, err := db.QueryContext(t.Context(), "SELECT request_id, body FROM events WHERE holder = '"+holder+"'")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var id, body string
		if err := rows.Scan(&id, &body); err != nil {
			t.Fatal(err)
		}
		var e casework.Event
		if err := json.Unmarshal([]byte(body), &e); err != nil {
			t.Fatalf("event of request %s: %v", id, err)
		}
		if e.Action == action {
			out[id]++
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// alertCounts counts, by request, the alerts and their alert.raised
// events.
func alertCounts(t testing.TB, db *sql.DB) (alerts, raised map[string]int) {
	t.Helper()
	alerts, raised = map[string]int{}, map[string]int{}
	for query, counts := range map[string]map[string]int{
		"SELECT request_id FROM alerts": alerts,
		"SELECT a.request_id FROM alert_events e JOIN alerts a ON a.id = e.alert_id WHERE e.type = 'raised'": raised,
	} {
		rows, err := db.QueryContext(t.Context(), query)
		if err != nil {
			t.Fatalf("%s: %v", query, err)
		}
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				t.Fatal(err)
			}
			counts[id]++
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		rows.Close()
	}
	return alerts, raised
}

type outboxCount struct{ total, receipted int }

// outboxCounts counts, by request, the messages in the outbox and those
// delivered with their receipt.
func outboxCounts(t testing.TB, db *sql.DB) map[string]outboxCount {
	t.Helper()
	rows, err := db.QueryContext(t.Context(), "SELECT request_id, delivered_at, receipt FROM outbox")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]outboxCount{}
	for rows.Next() {
		var id, deliveredAt, receipt string
		if err := rows.Scan(&id, &deliveredAt, &receipt); err != nil {
			t.Fatal(err)
		}
		c := out[id]
		c.total++
		if deliveredAt != "" && receipt != "" {
			c.receipted++
		}
		out[id] = c
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// waitingMessages describes the messages waiting in an outbox, by their
// attempts and last error, for a test that waited too long for them.
func waitingMessages(t testing.TB, db *sql.DB) string {
	t.Helper()
	rows, err := db.QueryContext(t.Context(), `SELECT attempts, last_error, count(*), min(next_attempt) FROM outbox
		WHERE delivered_at = '' AND expired_at = '' GROUP BY attempts, last_error ORDER BY 3 DESC LIMIT 10`)
	if err != nil {
		return err.Error()
	}
	defer rows.Close()
	var b strings.Builder
	for rows.Next() {
		var attempts, n int
		var lastError, next string
		if err := rows.Scan(&attempts, &lastError, &n, &next); err != nil {
			return err.Error()
		}
		fmt.Fprintf(&b, "%d after %d attempts, due from %s, last error %q\n", n, attempts, next, lastError)
	}
	return b.String()
}

// alertReasons counts a node's alerts by reason.
func alertReasons(t testing.TB, db *sql.DB) map[string]int {
	t.Helper()
	rows, err := db.QueryContext(t.Context(), "SELECT reason FROM alerts")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var reason string
		if err := rows.Scan(&reason); err != nil {
			t.Fatal(err)
		}
		out[reason]++
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}
