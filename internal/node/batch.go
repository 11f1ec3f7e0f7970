package node

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"entraide/internal/federation"
	"entraide/internal/requestid"
)

// Messages to one peer are posted in batches: the delivery workers that
// have a message sealed for a peer while a post to it is on its way
// queue behind it, and the next post carries them all. A busy node then
// pays one HTTP exchange, and the peer one commit and one sync of its
// database, for many messages rather than for each; a quiet one posts a
// message as soon as it is sealed, alone in its batch. Each message is
// still claimed, sealed, acknowledged by its own signed receipt, and
// recorded as delivered or retried on its own, as if posted alone.

const (
	// batchableBytes is the largest envelope posted in a batch: larger
	// ones (evidence chunks) go alone, so that a batch of small messages
	// stays within what the peer's inbox reads at once.
	batchableBytes = 64 << 10
	// batchBytes bounds a batch well below what the peer reads at most:
	// an inbox short of memory refuses a large body at once (503), and a
	// batch should not fail where its envelopes alone would get through.
	batchBytes = 1 << 20
	// postsPerPeer is how many batches may be on their way to one peer at
	// once: a second post goes while the first waits for its answer.
	postsPerPeer = 2
	// singleFor is how long a peer that does not know batches (an older
	// version, answering 404 or 405) is posted envelopes one by one before
	// batches are tried again.
	singleFor = time.Hour
)

// batchOverhead is the bytes of a batch beside its envelopes and
// request ids.
const batchOverhead = len(`{"envelopes":[],"request_ids":[]}`)

// errNoBatches says that the peer does not take this batch: its
// envelopes are to be posted alone.
var errNoBatches = errors.New("the peer does not take batches")

// batcher queues the envelopes sealed for each peer.
type batcher struct {
	mu    sync.Mutex
	peers map[string]*peerPosts
}

// peerPosts are the envelopes waiting for a post to one peer.
type peerPosts struct {
	queue []*batchItem
	// posting counts the workers leading a post, at most postsPerPeer.
	posting int
	// single: until then, the peer is posted envelopes one by one.
	single time.Time
}

// batchItem is one worker's envelope, waiting for its post.
type batchItem struct {
	env  *federation.Envelope
	body []byte
	// requestID is the request id the envelope is delivered under.
	requestID string
	// wake is sent true when the worker is to lead the next post, false
	// when another worker's post carried its envelope.
	wake chan bool
	rc   *federation.Receipt
	err  error
}

// postBatched posts env to peer in a batch with the envelopes other
// workers have sealed for it meanwhile, and returns its receipt
// unverified, or errNoBatches if it must be posted alone.
func (n *Node) postBatched(ctx context.Context, peer *federation.Descriptor, env *federation.Envelope, body []byte) (*federation.Receipt, error) {
	b := &n.batches
	it := &batchItem{env: env, body: body, requestID: requestid.From(ctx), wake: make(chan bool, 1)}
	b.mu.Lock()
	if b.peers == nil {
		b.peers = map[string]*peerPosts{}
	}
	p := b.peers[peer.State]
	if p == nil {
		p = &peerPosts{}
		b.peers[peer.State] = p
	}
	if time.Now().Before(p.single) {
		b.mu.Unlock()
		return nil, errNoBatches
	}
	// The queue holds only the workers that wait: a leader is never in
	// it, so that the lead is never handed to a worker that has it.
	lead := p.posting < postsPerPeer
	if lead {
		p.posting++
	} else {
		p.queue = append(p.queue, it)
	}
	b.mu.Unlock()
	if !lead && !<-it.wake {
		return it.rc, it.err
	}
	// Leading: the post carries this worker's envelope first, then the
	// oldest waiting, within a batch's bounds.
	b.mu.Lock()
	group := []*batchItem{it}
	size := batchOverhead + len(it.body) + len(it.requestID)
	rest := p.queue[:0]
	for _, q := range p.queue {
		switch {
		case len(group) < federation.MaxBatchEnvelopes && size+len(q.body)+len(q.requestID)+4 <= batchBytes:
			group = append(group, q)
			size += len(q.body) + len(q.requestID) + 4
		default:
			rest = append(rest, q)
		}
	}
	clear(p.queue[len(rest):])
	p.queue = rest
	b.mu.Unlock()

	n.postBatch(ctx, peer, group, size)

	b.mu.Lock()
	if !p.single.IsZero() && time.Now().Before(p.single) {
		// What queued behind a batch the peer did not take goes alone too.
		for _, q := range p.queue {
			q.err = errNoBatches
			q.wake <- false
		}
		p.queue = nil
	}
	if len(p.queue) > 0 {
		// The lead passes to the oldest waiting worker, out of the queue.
		next := p.queue[0]
		p.queue[0] = nil
		p.queue = p.queue[1:]
		next.wake <- true
	} else {
		p.posting--
	}
	b.mu.Unlock()
	for _, q := range group[1:] {
		q.wake <- false
	}
	return it.rc, it.err
}

// postBatch posts group's envelopes to peer in one batch of size bytes,
// and sets each item's receipt or error.
func (n *Node) postBatch(ctx context.Context, peer *federation.Descriptor, group []*batchItem, size int) {
	fail := func(err error) {
		for _, it := range group {
			it.err = err
		}
	}
	// Written from the envelopes' bytes, encoded once by the caller.
	body := make([]byte, 0, size)
	body = append(body, `{"envelopes":[`...)
	for i, it := range group {
		if i > 0 {
			body = append(body, ',')
		}
		body = append(body, it.body...)
	}
	body = append(body, `],"request_ids":[`...)
	for i, it := range group {
		if i > 0 {
			body = append(body, ',')
		}
		// A request id is a sane token (requestid.Valid) or empty: it
		// needs no escaping.
		body = append(body, '"')
		if requestid.Valid(it.requestID) {
			body = append(body, it.requestID...)
		}
		body = append(body, '"')
	}
	body = append(body, "]}"...)
	req, err := http.NewRequestWithContext(ctx, "POST", strings.TrimSuffix(peer.BaseURL, "/")+"/federation/v1/batches", bytes.NewReader(body))
	if err != nil {
		fail(err)
		return
	}
	req.Header.Set("Content-Type", "application/json")
	// The post goes under its first message's request id; the peer logs
	// each envelope under its own, from request_ids.
	if id := requestid.From(ctx); id != "" {
		req.Header.Set(requestid.Header, id)
	}
	resp, err := n.fed.Client.Do(req)
	if err != nil {
		fail(err)
		return
	}
	defer resp.Body.Close()
	switch resp.StatusCode {
	case http.StatusOK:
	case http.StatusNotFound, http.StatusMethodNotAllowed:
		// A node of a version before batches.
		n.batches.mu.Lock()
		n.batches.peers[peer.State].single = time.Now().Add(singleFor)
		n.batches.mu.Unlock()
		n.fed.Log.InfoContext(ctx, "peer takes no batches; posting its messages one by one", "peer", peer.State, "for", singleFor)
		fail(errNoBatches)
		return
	case http.StatusTooManyRequests, http.StatusServiceUnavailable, http.StatusRequestTimeout:
		// Busy: each message is retried with its backoff, as it would be
		// posted alone.
		data, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		fail(refusalOf(peer.State, resp.Status, data))
		return
	default:
		// A batch refused whole says nothing of each message: each is
		// posted alone, for its own answer.
		fail(errNoBatches)
		return
	}
	envs := make([]*federation.Envelope, len(group))
	for i, it := range group {
		envs[i] = it.env
	}
	results, err := federation.ParseBatchAnswer(resp.Body, envs)
	if err != nil {
		fail(fmt.Errorf("%s: %w", peer.State, err))
		return
	}
	for i, res := range results {
		if res.Receipt != nil {
			group[i].rc = res.Receipt
			continue
		}
		group[i].err = &federation.Error{Reason: res.Reason, Msg: fmt.Sprintf("%s refused it: %s", peer.State, res.Detail)}
	}
}
