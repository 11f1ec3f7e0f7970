package web

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/semaphore"

	"entraide/internal/federation"
	"entraide/internal/node"
	"entraide/internal/requestid"
	"entraide/internal/store"
)

// peerAddressMemory is how long an address a peer delivered from is
// read past its strangers' budget: a day, so that a peer that delivers
// now and then behind an address it shares with others is not shut out
// by them.
const peerAddressMemory = 24 * time.Hour

// inboxLimits bound what envelopes in flight cost: memory, in bytes, and
// processing, in slots. A body is read before it takes a slot, so that
// slow senders hold no slot, and its memory is counted as it arrives, so
// that a slow sender holds only what it sent.
type inboxLimits struct {
	memory  *semaphore.Weighted
	slots   chan struct{}
	timeout time.Duration
	metrics *metrics
	// held and peak are the memory counted now and at most, in bytes.
	held, peak atomic.Int64
	// growLimit is as much of the memory as bodies may take beyond their
	// first chunk: the rest is kept for the first chunks, where a peer's
	// ordinary message fits, so that large bodies cannot make it wait.
	growLimit int64
}

func newInboxLimits(l Limits, m *metrics) *inboxLimits {
	return &inboxLimits{memory: semaphore.NewWeighted(l.InboxMemory), slots: make(chan struct{}, l.InboxSlots), timeout: l.InboxBodyTimeout, metrics: m,
		growLimit: max(l.InboxMemory*3/4, MinInboxMemory)}
}

// firstChunk is the part of a body read under a wait for memory: most
// envelopes fit in it. Beyond it, a body grows only while memory is free
// at once, so that a large body never waits holding memory that others
// wait for, and a flood of large bodies fails fast rather than starving
// the small ones behind it.
const firstChunk = 64 << 10

// errNoMemory refuses a body the inbox has no memory for now.
var errNoMemory = errors.New("the node is reading too many envelopes at once")

// errBodyTimeout refuses a body not sent within the inbox's deadline.
var errBodyTimeout = errors.New("the body did not arrive in time")

// read reads r's body, at most federation.MaxEnvelopeBytes, by ctx's
// deadline. It returns the body and a function that gives back its memory.
func (in *inboxLimits) read(ctx context.Context, r *http.Request) ([]byte, func(), error) {
	var held int64
	release := func() {
		if held > 0 {
			// Uncounted before it is given back, so that the count never
			// holds more than the budget.
			in.held.Add(-held)
			in.metrics.inboxBytes.Sub(float64(held))
			in.memory.Release(held)
			held = 0
		}
	}
	grow := func(buf []byte, size int, wait bool) ([]byte, error) {
		w := int64(inboxWeight * (size - cap(buf)))
		if wait {
			if err := in.memory.Acquire(ctx, w); err != nil {
				return nil, errNoMemory
			}
		} else if in.held.Load()+w > in.growLimit || !in.memory.TryAcquire(w) {
			return nil, errNoMemory
		}
		held += w
		in.metrics.inboxBytes.Add(float64(w))
		for now := in.held.Add(w); ; {
			peak := in.peak.Load()
			if now <= peak || in.peak.CompareAndSwap(peak, now) {
				break
			}
		}
		return append(make([]byte, 0, size), buf...), nil
	}
	limit := federation.MaxEnvelopeBytes + 1
	buf, err := grow(nil, min(firstChunk, limit), true)
	if err != nil {
		return nil, release, err
	}
	for {
		if len(buf) == cap(buf) {
			if len(buf) >= limit {
				return nil, release, &http.MaxBytesError{Limit: federation.MaxEnvelopeBytes}
			}
			size := min(2*cap(buf), limit)
			if r.ContentLength > int64(len(buf)) {
				size = min(size, int(r.ContentLength)+1)
			}
			if buf, err = grow(buf, size, false); err != nil {
				return nil, release, err
			}
		}
		n, err := r.Body.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if errors.Is(err, io.EOF) {
			return buf, release, nil
		}
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, context.DeadlineExceeded) || isTimeout(err) {
				return nil, release, errBodyTimeout
			}
			return nil, release, err
		}
	}
}

func isTimeout(err error) bool {
	var t interface{ Timeout() bool }
	return errors.As(err, &t) && t.Timeout()
}

// refusalStatuses are the statuses of refused envelopes, by reason; 400
// for the others.
var refusalStatuses = map[string]int{
	federation.ReasonTooLarge:      http.StatusRequestEntityTooLarge,
	federation.ReasonUnknownPeer:   http.StatusForbidden,
	federation.ReasonBadSignature:  http.StatusForbidden,
	federation.ReasonUnknownKey:    http.StatusForbidden,
	federation.ReasonUndecryptable: http.StatusForbidden,
	federation.ReasonReplay:        http.StatusConflict,
	node.ReasonOutOfOrder:          http.StatusConflict,
	node.ReasonRejected:            http.StatusUnprocessableEntity,
}

func refusalStatus(reason string) int {
	if status, ok := refusalStatuses[reason]; ok {
		return status
	}
	return http.StatusBadRequest
}

// writeRefusal answers a refused envelope with its reason code, for the
// sending node to act on.
func writeRefusal(w http.ResponseWriter, fe *federation.Error) {
	field := cmp.Or(fe.Field, "envelope")
	writeProblem(w, Problem{Type: "urn:entraide:problem:envelope-refused", Title: "Envelope refused", Status: refusalStatus(fe.Reason), Detail: fe.Msg, Reason: fe.Reason,
		Errors: []FieldError{{Field: field, Message: fe.Error()}}})
}

// refuseUnverified answers an envelope that proved nothing about its
// sender. While addr is within its budget of such envelopes, the refusal
// is kept as a security event, the claimed sender as a claim; past it,
// the answer is 429 and nothing is written, so that a flood costs the
// database a bounded number of rows per address.
func (s *Server) refuseUnverified(w http.ResponseWriter, r *http.Request, addr string, now time.Time, u *node.UnverifiedError) {
	if u.Err.Reason == federation.ReasonTooLarge {
		// Refused before the node saw it; the node counts the others.
		s.metrics.Refused("envelope", u.Err.Reason, false)
	}
	if ok, retry := s.noteUnverified(r.Context(), addr, now, u); !ok {
		s.writeRateLimited(w, "inbox_failures", "envelope", "too many envelopes that could not be verified from "+addr, retry)
		return
	}
	writeRefusal(w, u.Err)
}

// noteUnverified counts an envelope that proved nothing against addr's
// budget and, while it is within it, keeps the refusal as a security
// event. It reports whether addr was within its budget, and if not when
// to retry.
func (s *Server) noteUnverified(ctx context.Context, addr string, now time.Time, u *node.UnverifiedError) (bool, time.Duration) {
	if ok, retry := s.inboxFailures.allow(addr, now); !ok {
		return false, retry
	}
	e := store.SecurityEvent{Kind: "envelope", Reason: u.Err.Reason, Source: addr, ClaimedSender: u.ClaimedSender, MessageID: u.MessageID, Detail: u.Err.Msg}
	if err := s.node.RecordSecurityEvent(ctx, e); err != nil {
		s.log.ErrorContext(ctx, "security event", "err", err)
	}
	return true, 0
}

// federationInbox receives envelopes from peers. It needs no token: the
// envelope's signature, checked against the peer's descriptor, is the
// sender's credential. It reads the body under its own deadline and
// memory budget before it takes a processing slot. Refusals that prove
// nothing about the sender are kept as security events, not audited, and
// an address that sends too many of them is answered 429.
func (s *Server) federationInbox() http.Handler { return s.intake(s.receiveEnvelope) }

// federationBatches receives batches of envelopes from peers, under the
// limits of federationInbox: a batch is read within the bounds of one
// envelope and takes one processing slot. Its envelopes are received at
// once, each as if posted alone, so that their transactions commit
// together; the answer holds a receipt or a refusal for each.
func (s *Server) federationBatches() http.Handler { return s.intake(s.receiveBatch) }

// intake reads a body from a peer under the inbox's limits (the address's
// failures and reads, the deadline and memory of the body, the
// processing slots) and hands it to receive.
func (s *Server) intake(receive func(w http.ResponseWriter, r *http.Request, addr string, now time.Time, body []byte)) http.Handler {
	busy := func(w http.ResponseWriter, limit, msg string) {
		s.metrics.limited.WithLabelValues(limit).Inc()
		w.Header().Set("Retry-After", "1")
		writeProblem(w, Problem{Type: "urn:entraide:problem:busy", Status: http.StatusServiceUnavailable, Detail: msg + "; retry shortly", Reason: "busy",
			Limit: limit, RetryAfter: 1, Errors: []FieldError{{Field: "envelope", Message: msg}}})
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		addr, now := clientAddress(r), time.Now()
		peer := s.peerAddresses.has(addr, now)
		if blocked, retry := s.inboxFailures.blocked(addr, now); blocked && !peer {
			s.writeRateLimited(w, "inbox_failures", "envelope", "too many envelopes that could not be verified from "+addr, retry)
			return
		}
		if !peer {
			done, ok := s.reads.take(addr)
			if !ok {
				s.writeRateLimited(w, "inbox_reads", "envelope", fmt.Sprintf("%d envelopes are on their way from %s already", s.limits.InboxReadsPerAddress, addr), time.Second)
				return
			}
			defer done()
		}
		tooLarge := &node.UnverifiedError{Err: &federation.Error{Reason: federation.ReasonTooLarge, Msg: fmt.Sprintf("envelope larger than %d bytes", federation.MaxEnvelopeBytes)}}
		if r.ContentLength > federation.MaxEnvelopeBytes {
			w.Header().Set("Connection", "close")
			s.refuseUnverified(w, r, addr, now, tooLarge)
			return
		}
		// The deadline runs from the end of the headers; the server's own
		// read timeout, longer, is for the API's bodies.
		deadline := now.Add(s.inbox.timeout)
		http.NewResponseController(w).SetReadDeadline(deadline)
		ctx, cancel := context.WithDeadline(r.Context(), deadline)
		body, release, err := s.inbox.read(ctx, r)
		cancel()
		defer release()
		switch {
		case errors.Is(err, errNoMemory):
			busy(w, "inbox_memory", errNoMemory.Error())
			return
		case errors.Is(err, errBodyTimeout):
			s.metrics.limited.WithLabelValues("inbox_body_timeout").Inc()
			msg := fmt.Sprintf("the envelope did not arrive within %s", s.inbox.timeout)
			w.Header().Set("Connection", "close")
			writeProblem(w, Problem{Type: typeInvalidBody, Status: http.StatusRequestTimeout, Detail: msg, Errors: []FieldError{{Field: "body", Message: msg}}})
			return
		case errors.As(err, new(*http.MaxBytesError)):
			w.Header().Set("Connection", "close")
			s.refuseUnverified(w, r, addr, now, tooLarge)
			return
		case err != nil:
			writeError(w, r, s.log, jsonError(err, nil))
			return
		}
		select {
		case s.inbox.slots <- struct{}{}:
			defer func() { <-s.inbox.slots }()
		default:
			busy(w, "inbox_slots", "too many envelopes at once")
			return
		}
		receive(w, r, addr, now, body)
	})
}

// receiveEnvelope receives one envelope and answers its receipt or its
// refusal.
func (s *Server) receiveEnvelope(w http.ResponseWriter, r *http.Request, addr string, now time.Time, body []byte) {
	rc, err := s.node.ReceiveEnvelope(r.Context(), bytes.NewReader(body))
	var unverified *node.UnverifiedError
	if errors.As(err, &unverified) {
		s.refuseUnverified(w, r, addr, now, unverified)
		return
	}
	var fe *federation.Error
	if err == nil || errors.As(err, &fe) {
		// A verified sender, even one refused: its address is a
		// peer's.
		s.peerAddresses.add(addr, now)
	}
	if fe != nil {
		writeRefusal(w, fe)
		return
	}
	if err != nil {
		writeError(w, r, s.log, err)
		return
	}
	encode(w, http.StatusOK, rc)
}

// receiveBatch receives a batch's envelopes at once, each as
// receiveEnvelope would alone, and answers a result for each, in order.
// A batch that cannot be read proves nothing, and is refused whole.
func (s *Server) receiveBatch(w http.ResponseWriter, r *http.Request, addr string, now time.Time, body []byte) {
	envs, ids, err := federation.ParseBatch(bytes.NewReader(body))
	if err != nil {
		fe, ok := errors.AsType[*federation.Error](err)
		if !ok {
			fe = &federation.Error{Reason: federation.ReasonMalformed, Msg: err.Error()}
		}
		if fe.Reason != federation.ReasonTooLarge {
			s.metrics.Refused("envelope", fe.Reason, false)
		}
		fe.Msg = store.ClipText(fe.Msg, store.MaxErrorText)
		if fe.Field == "" {
			fe.Field = "envelopes" // the batch's one field, read as a whole
		}
		s.refuseUnverified(w, r, addr, now, &node.UnverifiedError{Err: fe})
		return
	}
	results := make([]federation.BatchResult, len(envs))
	var verified atomic.Bool
	var wg sync.WaitGroup
	for i, env := range envs {
		wg.Go(func() {
			// Each envelope is received, and logged, under the request id
			// the sender gave it, as a post of it alone would be; under
			// the batch's if it gave none fit for a log.
			ctx := r.Context()
			if i < len(ids) && requestid.Valid(ids[i]) {
				ctx = requestid.With(ctx, ids[i])
			}
			results[i] = s.batchResult(ctx, addr, now, env, &verified)
		})
	}
	wg.Wait()
	if verified.Load() {
		s.peerAddresses.add(addr, now)
	}
	encode(w, http.StatusOK, federation.BatchAnswer{Results: results})
}

// batchResult receives one envelope of a batch: its receipt, or its
// refusal with the status a post of it alone would have had.
func (s *Server) batchResult(ctx context.Context, addr string, now time.Time, env *federation.Envelope, verified *atomic.Bool) federation.BatchResult {
	res := federation.BatchResult{MessageID: env.ID}
	rc, err := s.node.Receive(ctx, env)
	if err == nil {
		verified.Store(true)
		res.Receipt = rc
		return res
	}
	fe, isRefusal := errors.AsType[*federation.Error](err)
	if unverified, ok := errors.AsType[*node.UnverifiedError](err); ok {
		if ok, _ := s.noteUnverified(ctx, addr, now, unverified); !ok {
			res.Status, res.Reason, res.Detail = http.StatusTooManyRequests, "inbox_failures", "too many envelopes that could not be verified from "+addr
			return res
		}
	} else if isRefusal {
		verified.Store(true)
	}
	if !isRefusal {
		s.log.ErrorContext(ctx, "federation batch", "message", env.ID, "err", err)
		res.Status, res.Reason, res.Detail = http.StatusInternalServerError, "server_error", "the node could not receive this message now; retry"
		return res
	}
	res.Status, res.Reason, res.Detail = refusalStatus(fe.Reason), fe.Reason, fe.Msg
	return res
}

// federationBatch documents the body of POST /federation/v1/batches,
// which federation.ParseBatch reads.
type federationBatch struct {
	Envelopes []federation.Envelope `json:"envelopes"`
	// RequestIDs are the request ids the envelopes are delivered under,
	// one each, in their order.
	RequestIDs []string `json:"request_ids,omitempty"`
}
