package federation

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// A batch carries several envelopes in one post, so that a node sending
// many messages to a peer pays one HTTP exchange for them, and the peer
// can commit them together: each envelope is still sealed, signed,
// verified, applied and acknowledged on its own, and the answer holds a
// receipt or a refusal for each, in the batch's order.

// Limits on a batch: it is read within the bounds of one envelope, so
// that a peer's batch costs the inbox no more than one large envelope.
const (
	MaxBatchEnvelopes = 64
	MaxBatchBytes     = MaxEnvelopeBytes
)

// MaxRequestIDBytes bounds each request id a batch carries.
const MaxRequestIDBytes = 64

// batch is the body of a post of several envelopes.
type batch struct {
	Envelopes []*Envelope `json:"envelopes"`
	// RequestIDs, if any, are the request ids the envelopes are delivered
	// under, in their order: what a post of each alone would send as its
	// X-Request-Id, for the receiving node to log it under.
	RequestIDs []string `json:"request_ids,omitempty"`
}

// MarshalBatch encodes envelopes as one batch, for the wire, with the
// request id of each, or none if requestIDs is nil.
func MarshalBatch(envelopes []*Envelope, requestIDs []string) []byte {
	b, _ := json.Marshal(batch{Envelopes: envelopes, RequestIDs: requestIDs})
	return b
}

// ParseBatch reads a batch strictly: JSON with exactly the known fields,
// at most MaxBatchBytes, 1 to MaxBatchEnvelopes envelopes with distinct
// ids, each well formed as Parse requires, and no request ids or one of
// at most MaxRequestIDBytes for each envelope. One envelope that is not
// refuses the whole batch: a sender that writes batches writes them
// whole. It checks no signature: Open does, for each envelope. The
// request ids are the sender's word, for logs: the caller checks their
// form before it logs one.
func ParseBatch(r io.Reader) (envelopes []*Envelope, requestIDs []string, err error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxBatchBytes+1))
	if err != nil {
		return nil, nil, refuse(ReasonMalformed, "reading batch: %v", err)
	}
	if len(data) > MaxBatchBytes {
		return nil, nil, refuse(ReasonTooLarge, "batch larger than %d bytes", MaxBatchBytes)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var b batch
	if err := dec.Decode(&b); err != nil {
		return nil, nil, undecodable("a batch", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, nil, refuse(ReasonMalformed, "data after the batch")
	}
	if len(b.Envelopes) == 0 || len(b.Envelopes) > MaxBatchEnvelopes {
		return nil, nil, refuseField("envelopes", ReasonMalformed, "envelopes: %d, want 1 to %d", len(b.Envelopes), MaxBatchEnvelopes)
	}
	seen := make(map[string]bool, len(b.Envelopes))
	for i, e := range b.Envelopes {
		if e == nil {
			return nil, nil, refuseField(fmt.Sprintf("envelopes[%d]", i), ReasonMalformed, "envelopes[%d]: null", i)
		}
		if err := e.check(); err != nil {
			reason := ReasonMalformed
			if fe, ok := errors.AsType[*Error](err); ok {
				reason = fe.Reason
			}
			return nil, nil, refuseField(fmt.Sprintf("envelopes[%d]", i), reason, "envelopes[%d]: %v", i, err)
		}
		if seen[e.ID] {
			return nil, nil, refuseField(fmt.Sprintf("envelopes[%d].id", i), ReasonMalformed, "envelopes[%d]: id %s is in the batch twice", i, e.ID)
		}
		seen[e.ID] = true
	}
	if b.RequestIDs != nil && len(b.RequestIDs) != len(b.Envelopes) {
		return nil, nil, refuseField("request_ids", ReasonMalformed, "request_ids: %d for %d envelopes, want one each or none", len(b.RequestIDs), len(b.Envelopes))
	}
	for i, id := range b.RequestIDs {
		if len(id) > MaxRequestIDBytes {
			return nil, nil, refuseField(fmt.Sprintf("request_ids[%d]", i), ReasonMalformed, "request_ids[%d]: longer than %d bytes", i, MaxRequestIDBytes)
		}
	}
	return b.Envelopes, b.RequestIDs, nil
}

// refuseField is refuse for a field of a batch.
func refuseField(field, reason, format string, args ...any) *Error {
	fe := refuse(reason, format, args...)
	fe.Field = field
	return fe
}

// BatchResult is the answer to one envelope of a batch: its receipt, or
// its refusal with the HTTP status and reason code that a post of it
// alone would have been answered with.
type BatchResult struct {
	MessageID string   `json:"message_id"`
	Receipt   *Receipt `json:"receipt,omitempty"`
	Status    int      `json:"status,omitempty"`
	Reason    string   `json:"reason,omitempty"`
	Detail    string   `json:"detail,omitempty"`
}

// BatchAnswer is the answer to a batch: one result per envelope, in the
// batch's order.
type BatchAnswer struct {
	Results []BatchResult `json:"results"`
}

// MaxBatchAnswerBytes bounds the answer a sender reads for a batch:
// receipts and refusals whose details a node clips.
const MaxBatchAnswerBytes = MaxBatchEnvelopes * 16 << 10

// ParseBatchAnswer reads the answer to the batch of envelopes: one result
// per envelope, in their order, each naming its envelope and holding a
// receipt or a refusal's reason. It checks no receipt's signature: the
// sender does, with the peer's key.
func ParseBatchAnswer(r io.Reader, envelopes []*Envelope) ([]BatchResult, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxBatchAnswerBytes+1))
	if err != nil {
		return nil, fmt.Errorf("reading the answer to a batch: %w", err)
	}
	if len(data) > MaxBatchAnswerBytes {
		return nil, fmt.Errorf("answer to a batch larger than %d bytes", MaxBatchAnswerBytes)
	}
	var a BatchAnswer
	if err := json.Unmarshal(data, &a); err != nil {
		return nil, fmt.Errorf("answer to a batch: %w", err)
	}
	if len(a.Results) != len(envelopes) {
		return nil, fmt.Errorf("answer to a batch of %d envelopes holds %d results", len(envelopes), len(a.Results))
	}
	for i, res := range a.Results {
		switch {
		case res.MessageID != envelopes[i].ID:
			return nil, fmt.Errorf("answer to a batch: result %d is for message %q, want %s", i, res.MessageID, envelopes[i].ID)
		case (res.Receipt == nil) == (res.Reason == ""):
			return nil, fmt.Errorf("answer to a batch: result %d holds neither a receipt nor a refusal, or both", i)
		}
	}
	return a.Results, nil
}
