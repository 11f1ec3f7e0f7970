package main

// Two nodes as separate operating-system processes, set up and run with the
// entraide binary as an operator would: init, user add, descriptor, peer
// add, then serve over HTTPS with certificates from a local CA. The tests
// kill the processes with SIGKILL, the way a crash or a power cut would
// end them, and check that the outbox loses and duplicates nothing.

import (
	"bytes"
	"cmp"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"entraide/internal/casework"
	"entraide/internal/convention"
	"entraide/internal/localca"
	"entraide/internal/store"
)

// processDeadline bounds each wait on a child process or on delivery.
const processDeadline = 15 * time.Second

// apiToken matches an API token in a command's output.
var apiToken = regexp.MustCompile(`ent_[a-z2-7]{32}`)

// enrolmentCode matches an enrolment code in a command's output.
var enrolmentCode = regexp.MustCompile(`enr_[a-z2-7]{32}`)

// buildEntraide builds the command into a temporary directory and returns
// the binary's path.
func buildEntraide(t testing.TB) string {
	t.Helper()
	goCmd, err := exec.LookPath("go")
	if err != nil {
		t.Skipf("no go command on PATH to build the binary: %v", err)
	}
	bin := filepath.Join(t.TempDir(), "entraide")
	cmd := exec.CommandContext(t.Context(), goCmd, "build", "-o", bin, ".")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// freeAddr returns a loopback address with a port nothing listens on.
func freeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// childEnv is the whole environment of the child processes: nothing of the
// test's own, so that no ENTRAIDE_ variable leaks in.
func childEnv() []string { return []string{"TMPDIR=" + os.TempDir()} }

// procNode is one State's node, run by the entraide binary.
type procNode struct {
	t     testing.TB
	bin   string
	state string
	dir   string
	// database is the postgres:// URL of the node's database; empty, the
	// node keeps an SQLite file in dir.
	database string
	// serveArgs are added to serve's flags.
	serveArgs []string
	// logName is the file in dir that serve logs to.
	logName string
	addr    string
	url     string
	cert    string
	key     string
	ca      string
	client  *http.Client
	admin   string // the first administrator's token
	officer string // a central authority's token
	code    string // the central authority's enrolment code, until redeemed

	mu     sync.Mutex
	cmd    *exec.Cmd
	exited chan struct{}
}

// command runs the binary with args and the node's data directory, and
// returns its standard output.
func (n *procNode) command(args ...string) string {
	n.t.Helper()
	cmd := exec.CommandContext(n.t.Context(), n.bin, append(args, "--data-dir", n.dir)...)
	cmd.Env = n.env()
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		n.t.Fatalf("entraide %s: %v\n%s%s", strings.Join(args, " "), err, out, stderr.Bytes())
	}
	return string(out)
}

// env is the environment of the node's processes: childEnv, and the
// node's database.
func (n *procNode) env() []string {
	if n.database == "" {
		return childEnv()
	}
	return append(childEnv(), "ENTRAIDE_DATABASE="+n.database)
}

// newProcNodes initialises a node for each State in its own directory,
// with a certificate from one local CA, and peers them all with each
// other through their descriptors. None is serving yet.
func newProcNodes(t testing.TB, bin string, states ...string) map[string]*procNode {
	t.Helper()
	return newProcNodesOn(t, bin, nil, states...)
}

// newProcNodesOn is newProcNodes with the nodes of the States in
// databases on PostgreSQL, at the URL given.
func newProcNodesOn(t testing.TB, bin string, databases map[string]string, states ...string) map[string]*procNode {
	t.Helper()
	ca, err := localca.New("Entraide process tests", 24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	caFile := filepath.Join(root, "ca.pem")
	if err := os.WriteFile(caFile, ca.PEM, 0o600); err != nil {
		t.Fatal(err)
	}
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: ca.Pool, MinVersion: tls.VersionTLS12}}}
	t.Cleanup(client.CloseIdleConnections)
	nodes := map[string]*procNode{}
	descriptors := map[string]string{}
	for _, s := range states {
		dir := filepath.Join(root, strings.ToLower(s))
		if err := os.Mkdir(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		certPEM, keyPEM, err := ca.IssuePEM(s)
		if err != nil {
			t.Fatal(err)
		}
		addr := freeAddr(t)
		n := &procNode{t: t, bin: bin, state: s, dir: dir, database: databases[s], logName: "serve.log", addr: addr, url: "https://" + addr,
			cert: filepath.Join(dir, "cert.pem"), key: filepath.Join(dir, "key.pem"), ca: caFile, client: client}
		for file, data := range map[string][]byte{n.cert: certPEM, n.key: keyPEM} {
			if err := os.WriteFile(file, data, 0o600); err != nil {
				t.Fatal(err)
			}
		}
		n.admin = apiToken.FindString(n.command("init", "--state", s, "--admin-name", "Administrator of "+s, "--base-url", n.url))
		// The central authority redeems this code for a token once the
		// node serves (see start).
		n.code = enrolmentCode.FindString(n.command("user", "add", "--id", "ca-"+strings.ToLower(s), "--name", "Central authority of "+s,
			"--role", "central_authority"))
		if n.admin == "" || n.code == "" {
			t.Fatalf("%s: no token in the output of init, or no enrolment code in that of user add", s)
		}
		descriptors[s] = filepath.Join(dir, "descriptor.json")
		if err := os.WriteFile(descriptors[s], []byte(n.command("descriptor")), 0o600); err != nil {
			t.Fatal(err)
		}
		nodes[s] = n
		t.Cleanup(n.stop)
	}
	for _, a := range nodes {
		for _, b := range nodes {
			if a != b {
				a.command("peer", "add", descriptors[b.state])
			}
		}
	}
	return nodes
}

// start runs entraide serve for the node and waits until it answers its
// health check over HTTPS.
func (n *procNode) start() {
	n.t.Helper()
	logFile, err := os.OpenFile(filepath.Join(n.dir, n.logName), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		n.t.Fatal(err)
	}
	cmd := exec.Command(n.bin, append([]string{"serve", "--addr", n.addr, "--tls-cert", n.cert, "--tls-key", n.key, "--peer-ca", n.ca,
		"--retry-base", "50ms", "--data-dir", n.dir}, n.serveArgs...)...)
	cmd.Env = n.env()
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		logFile.Close()
		n.t.Fatalf("start %s's node: %v", n.state, err)
	}
	exited := make(chan struct{})
	go func() {
		cmd.Wait()
		logFile.Close()
		close(exited)
	}()
	n.mu.Lock()
	n.cmd, n.exited = cmd, exited
	n.mu.Unlock()

	deadline := time.Now().Add(processDeadline)
	for {
		req, _ := http.NewRequestWithContext(n.t.Context(), "GET", n.url+"/healthz", nil)
		if resp, err := n.client.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				n.login()
				return
			}
		}
		select {
		case <-exited:
			n.t.Fatalf("%s's node exited while starting:\n%s", n.state, n.logTail())
		default:
		}
		if time.Now().After(deadline) {
			n.t.Fatalf("%s's node did not answer /healthz within %s:\n%s", n.state, processDeadline, n.logTail())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// login redeems the central authority's enrolment code with entraide
// login, the first time the node serves.
func (n *procNode) login() {
	n.t.Helper()
	if n.officer != "" {
		return
	}
	cmd := exec.CommandContext(n.t.Context(), n.bin, "login", "--url", n.url, "--ca", n.ca, "--code", n.code)
	cmd.Env = n.env()
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if n.officer = apiToken.FindString(string(out)); err != nil || n.officer == "" {
		n.t.Fatalf("entraide login: %v, no token in %q\n%s", err, out, stderr.Bytes())
	}
}

// kill ends the node's process with SIGKILL, giving it no chance to finish
// anything, and waits until it is gone.
func (n *procNode) kill() {
	n.mu.Lock()
	cmd, exited := n.cmd, n.exited
	n.cmd = nil
	n.mu.Unlock()
	if cmd == nil {
		return
	}
	cmd.Process.Kill()
	<-exited
}

// stop kills the node if it runs and, if the test failed, shows its log.
func (n *procNode) stop() {
	n.kill()
	if n.t.Failed() {
		n.t.Logf("%s's node log:\n%s", n.state, n.logTail())
	}
}

func (n *procNode) logTail() string {
	data, _ := os.ReadFile(filepath.Join(n.dir, n.logName))
	if len(data) > 4000 {
		data = data[len(data)-4000:]
	}
	return string(data)
}

// loggedErrors returns the distinct lines the node logged at level
// ERROR, without their times and request ids, each with how often, the
// most frequent first, at most limit of them: what a soak's 500s were.
func (n *procNode) loggedErrors(limit int) []string {
	data, _ := os.ReadFile(filepath.Join(n.dir, n.logName))
	counts := map[string]int{}
	for line := range strings.Lines(string(data)) {
		if !strings.Contains(line, `"level":"ERROR"`) && !strings.Contains(line, "level=ERROR") {
			continue
		}
		line = volatileLogFields.ReplaceAllString(strings.TrimSpace(line), "")
		counts[store.ClipText(line, 400)]++
	}
	lines := slices.Collect(maps.Keys(counts))
	slices.SortFunc(lines, func(a, b string) int { return cmp.Or(counts[b]-counts[a], strings.Compare(a, b)) })
	var out []string
	for _, l := range lines[:min(limit, len(lines))] {
		out = append(out, fmt.Sprintf("%d× %s", counts[l], l))
	}
	return out
}

// volatileLogFields are the parts of a log line that differ between two
// lines about the same thing.
var volatileLogFields = regexp.MustCompile(`"?(time|request_id|message|request|id)"?[=:]"?[^",\s]*"?,? ?`)

// call makes an API call as the node's central authority.
func (n *procNode) call(ctx context.Context, method, path string, body, out any) (int, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, n.url+path, rd)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+n.officer)
	req.Header.Set("Content-Type", "application/json")
	resp, err := n.client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return resp.StatusCode, err
	}
	if resp.StatusCode >= 300 {
		return resp.StatusCode, fmt.Errorf("%s %s at %s: %d %s", method, path, n.state, resp.StatusCode, data)
	}
	if out != nil {
		return resp.StatusCode, json.Unmarshal(data, out)
	}
	return resp.StatusCode, nil
}

func processRequest(to string) casework.Contents {
	return casework.Contents{Kind: convention.Preservation, RequestedState: to, LegalBasis: &casework.LegalBasis{Type: casework.BasisReciprocity}, Urgency: casework.Urgent,
		Offences: []convention.Charge{{Article: 7}},
		Fields: map[string]string{
			"requesting_authority": "24/7 point of contact", "facts_summary": "Intrusion into a ministry's mail server.",
			"stored_data": "Logs of the VPS used as relay.", "necessity": "Logs are kept 14 days.",
			"follow_up_intent": "A request for disclosure will follow.",
		}}
}

// draft creates a request to the State to and returns its id.
func (n *procNode) draft(ctx context.Context, to string) (string, error) {
	var r casework.Request
	_, err := n.call(ctx, "POST", "/api/v1/requests", processRequest(to), &r)
	return r.ID, err
}

func (n *procNode) move(ctx context.Context, id string, action casework.Action) error {
	_, err := n.call(ctx, "POST", "/api/v1/requests/"+id+"/transitions", casework.Transition{Action: action}, nil)
	return err
}

// views lists the node's views of requests, by id.
func (n *procNode) views() map[string]*casework.Request {
	n.t.Helper()
	var page store.Page
	if _, err := n.call(n.t.Context(), "GET", "/api/v1/requests?limit=500", nil, &page); err != nil {
		n.t.Fatal(err)
	}
	out := map[string]*casework.Request{}
	for _, r := range page.Requests {
		out[r.ID] = r
	}
	return out
}

// waitAll polls the node until it holds exactly the requests ids, each in
// state want, or fails the test after processDeadline.
func (n *procNode) waitAll(ids []string, want casework.State) {
	n.t.Helper()
	deadline := time.Now().Add(processDeadline)
	for {
		views := n.views()
		var wrong []string
		for _, id := range ids {
			if v := views[id]; v == nil {
				wrong = append(wrong, id+" absent")
			} else if v.State != want {
				wrong = append(wrong, id+" "+string(v.State))
			}
		}
		for id := range views {
			if !slices.Contains(ids, id) {
				wrong = append(wrong, id+" unexpected")
			}
		}
		if len(wrong) == 0 {
			return
		}
		if time.Now().After(deadline) {
			n.t.Fatalf("%s holds %d requests; want exactly %d, all %s; after %s, %d are not: %v", n.state, len(views), len(ids), want, processDeadline, len(wrong), wrong)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// timeline returns the node's timeline of request id.
func (n *procNode) timeline(id string) []casework.Event {
	n.t.Helper()
	var doc requestDoc
	if _, err := n.call(n.t.Context(), "GET", "/api/v1/requests/"+id, nil, &doc); err != nil {
		n.t.Fatal(err)
	}
	return doc.Timeline
}

// TestProcesses runs two nodes as child processes of the test, over real
// HTTPS on loopback.
func TestProcesses(t *testing.T) {
	bin := buildEntraide(t)

	t.Run("request crosses and is acknowledged", func(t *testing.T) {
		nodes := newProcNodes(t, bin, "FRA", "VNM")
		fra, vnm := nodes["FRA"], nodes["VNM"]
		fra.start()
		vnm.start()
		id, err := fra.draft(t.Context(), "VNM")
		if err != nil {
			t.Fatal(err)
		}
		if err := fra.move(t.Context(), id, casework.Send); err != nil {
			t.Fatal(err)
		}
		vnm.waitAll([]string{id}, casework.Received)
		fra.waitAll([]string{id}, casework.Received) // the receipt came back
		if err := vnm.move(t.Context(), id, casework.Acknowledge); err != nil {
			t.Fatal(err)
		}
		fra.waitAll([]string{id}, casework.Acknowledged)
		vnm.waitAll([]string{id}, casework.Acknowledged)
		sharedEvents := func(events []casework.Event) []string {
			var out []string
			for _, e := range events {
				if e.Action == casework.Send || e.Action == casework.Acknowledge {
					out = append(out, fmt.Sprintf("%s %s→%s by %s/%s at %s", e.Action, e.From, e.To, e.ActorState, e.Actor, e.At.Format(time.RFC3339Nano)))
				}
			}
			return out
		}
		if a, b := sharedEvents(fra.timeline(id)), sharedEvents(vnm.timeline(id)); len(a) != 2 || !slices.Equal(a, b) {
			t.Errorf("timelines disagree:\nFRA %q\nVNM %q", a, b)
		}
	})

	t.Run("sender killed while its peer is down", func(t *testing.T) {
		const n = 50
		nodes := newProcNodes(t, bin, "FRA", "VNM")
		fra, vnm := nodes["FRA"], nodes["VNM"]
		fra.start()
		vnm.start()
		vnm.kill()
		var ids []string
		for range n {
			id, err := fra.draft(t.Context(), "VNM")
			if err == nil {
				err = fra.move(t.Context(), id, casework.Send)
			}
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, id)
		}
		fra.waitAll(ids, casework.Sent)
		fra.kill()
		fra.start()
		vnm.start()
		vnm.waitAll(ids, casework.Received)
		fra.waitAll(ids, casework.Received)
	})

	t.Run("sender killed with deliveries in flight", func(t *testing.T) {
		const n, killAfter = 200, 100
		nodes := newProcNodes(t, bin, "FRA", "VNM")
		fra, vnm := nodes["FRA"], nodes["VNM"]
		fra.start()
		vnm.start()
		drafts := make([]string, n)
		if err := parallelEach(n, 4, func(i int) error {
			id, err := fra.draft(t.Context(), "VNM")
			drafts[i] = id
			return err
		}); err != nil {
			t.Fatal(err)
		}

		// Send them all, eight at a time, and kill FRA's node as soon as
		// killAfter sends have been answered: the rest are cut off
		// mid-request, and many messages are on their way to VNM.
		ctx, cancel := context.WithCancel(t.Context())
		var (
			mu       sync.Mutex
			answered []string
			killed   = make(chan struct{})
			once     sync.Once
		)
		go func() {
			<-killed
			fra.kill()
			cancel()
		}()
		parallelEach(n, 8, func(i int) error {
			if ctx.Err() != nil {
				return nil
			}
			if err := fra.move(ctx, drafts[i], casework.Send); err != nil {
				return err
			}
			mu.Lock()
			answered = append(answered, drafts[i])
			if len(answered) == killAfter {
				once.Do(func() { close(killed) })
			}
			mu.Unlock()
			return nil
		})
		once.Do(func() { close(killed) })
		<-ctx.Done()
		arrived := len(vnm.views())

		fra.start()
		// Sent is what FRA's database committed as sent, answered or not.
		var sent []string
		inFlight := 0
		for id, v := range fra.views() {
			if v.State != casework.Draft {
				sent = append(sent, id)
			}
			if v.State == casework.Sent {
				inFlight++
			}
		}
		for _, id := range answered {
			if !slices.Contains(sent, id) {
				t.Errorf("request %s: its send was answered 200, but FRA's node lost it", id)
			}
		}
		t.Logf("%d sends answered before the kill, %d committed; %d had reached VNM at the kill, %d were without a receipt when FRA's node came back",
			len(answered), len(sent), arrived, inFlight)
		vnm.waitAll(sent, casework.Received)
		deadline := time.Now().Add(processDeadline)
		for {
			views, done := fra.views(), 0
			for _, id := range sent {
				if views[id].State == casework.Received {
					done++
				}
			}
			if done == len(sent) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("FRA sees %d of %d sent requests received", done, len(sent))
			}
			time.Sleep(20 * time.Millisecond)
		}
	})
}

// parallelEach calls fn(i) for i from 0 to n-1 on workers goroutines and
// returns the errors joined.
func parallelEach(n, workers int, fn func(i int) error) error {
	var (
		mu   sync.Mutex
		errs []error
		wg   sync.WaitGroup
	)
	next := make(chan int)
	for range workers {
		wg.Go(func() {
			for i := range next {
				if err := fn(i); err != nil {
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
				}
			}
		})
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
	return errors.Join(errs...)
}
