package federation

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
)

func sealN(t testing.TB, from, to testNode, n int) []*Envelope {
	t.Helper()
	var out []*Envelope
	for i := range n {
		id := fmt.Sprintf("01a212ea-c3b3-778b-b123-%012x", i)
		e, err := Seal(from.sign, from.state, to.state, to.enc.Private.PublicKey(), id, "request.send", t0, []byte(fmt.Sprintf("payload %d", i)))
		if err != nil {
			t.Fatalf("Seal: %v", err)
		}
		out = append(out, e)
	}
	return out
}

func TestBatchRoundTrip(t *testing.T) {
	fra, vnm := newTestNode(t, "FRA"), newTestNode(t, "VNM")
	sent := sealN(t, fra, vnm, 3)
	got, ids, err := ParseBatch(bytes.NewReader(MarshalBatch(sent, []string{"a", "b", "c"})))
	if err != nil || !slices.Equal(ids, []string{"a", "b", "c"}) {
		t.Fatalf("ParseBatch(MarshalBatch(3 envelopes)) = %v, request ids %q", err, ids)
	}
	if len(got) != len(sent) {
		t.Fatalf("ParseBatch gave %d envelopes, want %d", len(got), len(sent))
	}
	v := verifierFor(vnm, fra)
	for i, e := range got {
		if e.Digest() != sent[i].Digest() {
			t.Errorf("envelope %d changed on the way", i)
		}
		if payload, err := v.Open(e); err != nil || string(payload) != fmt.Sprintf("payload %d", i) {
			t.Errorf("Open(envelope %d) = %q, %v", i, payload, err)
		}
	}
}

func TestParseBatchRejects(t *testing.T) {
	fra, vnm := newTestNode(t, "FRA"), newTestNode(t, "VNM")
	one := string(sealN(t, fra, vnm, 1)[0].Marshal())
	broken := strings.Replace(one, `"sender":"FRA"`, `"sender":"fr"`, 1)
	tests := []struct{ name, in, reason string }{
		{"empty", "", ReasonMalformed},
		{"not JSON", "hello", ReasonMalformed},
		{"no envelopes", `{"envelopes":[]}`, ReasonMalformed},
		{"null envelope", `{"envelopes":[null]}`, ReasonMalformed},
		{"unknown field", `{"envelopes":[` + one + `],"extra":1}`, ReasonMalformed},
		{"unknown field in an envelope", `{"envelopes":[` + one[:len(one)-1] + `,"extra":1}]}`, ReasonMalformed},
		{"trailing data", `{"envelopes":[` + one + `]}{}`, ReasonMalformed},
		{"one malformed envelope", `{"envelopes":[` + one + `,` + broken + `]}`, ReasonMalformed},
		{"same id twice", `{"envelopes":[` + one + `,` + one + `]}`, ReasonMalformed},
		{"too many", string(MarshalBatch(sealN(t, fra, vnm, MaxBatchEnvelopes+1), nil)), ReasonMalformed},
		{"request ids short", `{"envelopes":[` + one + `],"request_ids":[]}`, ReasonMalformed},
		{"request id too long", `{"envelopes":[` + one + `],"request_ids":["` + strings.Repeat("a", MaxRequestIDBytes+1) + `"]}`, ReasonMalformed},
		{"too large", `{"envelopes":[{"v":1,"payload":"` + strings.Repeat("A", MaxBatchBytes) + `"}]}`, ReasonTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := ParseBatch(strings.NewReader(tt.in))
			var fe *Error
			if !errors.As(err, &fe) || fe.Reason != tt.reason {
				t.Errorf("ParseBatch = %v, want reason %s", err, tt.reason)
			}
		})
	}
}

func TestParseBatchAnswer(t *testing.T) {
	fra, vnm := newTestNode(t, "FRA"), newTestNode(t, "VNM")
	envs := sealN(t, fra, vnm, 2)
	rc := NewReceipt(vnm.sign, envs[0], t0, false)
	good := BatchAnswer{Results: []BatchResult{{MessageID: envs[0].ID, Receipt: rc}, {MessageID: envs[1].ID, Status: 409, Reason: "out_of_order", Detail: "later"}}}
	tests := []struct {
		name   string
		answer BatchAnswer
		ok     bool
	}{
		{"a receipt and a refusal", good, true},
		{"one result short", BatchAnswer{Results: good.Results[:1]}, false},
		{"out of order", BatchAnswer{Results: []BatchResult{good.Results[1], good.Results[0]}}, false},
		{"neither receipt nor refusal", BatchAnswer{Results: []BatchResult{good.Results[0], {MessageID: envs[1].ID}}}, false},
		{"both receipt and refusal", BatchAnswer{Results: []BatchResult{{MessageID: envs[0].ID, Receipt: rc, Reason: "stale"}, good.Results[1]}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data, _ := json.Marshal(tt.answer)
			_, err := ParseBatchAnswer(bytes.NewReader(data), envs)
			if (err == nil) != tt.ok {
				t.Errorf("ParseBatchAnswer = %v, want ok %v", err, tt.ok)
			}
		})
	}
}

func FuzzParseBatch(f *testing.F) {
	fra, vnm := newTestNode(f, "FRA"), newTestNode(f, "VNM")
	f.Add(MarshalBatch(sealN(f, fra, vnm, 2), nil))
	f.Add(MarshalBatch(sealN(f, fra, vnm, 2), []string{"trace-1", ""}))
	f.Add([]byte(`{"envelopes":[{"v":1}]}`))
	f.Add([]byte(`{"envelopes":null}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		envs, ids, err := ParseBatch(bytes.NewReader(data))
		if err != nil {
			var fe *Error
			if !errors.As(err, &fe) || fe.Reason == "" {
				t.Fatalf("ParseBatch error %v has no reason code", err)
			}
			return
		}
		if len(envs) == 0 || len(envs) > MaxBatchEnvelopes || ids != nil && len(ids) != len(envs) {
			t.Fatalf("ParseBatch accepted %d envelopes with %d request ids", len(envs), len(ids))
		}
		// Each envelope of a parsed batch is one Parse accepts alone, and
		// the batch survives a round trip.
		for i, e := range envs {
			if _, err := Parse(bytes.NewReader(e.Marshal())); err != nil {
				t.Fatalf("Parse(envelope %d of a parsed batch) = %v", i, err)
			}
		}
		again, againIDs, err := ParseBatch(bytes.NewReader(MarshalBatch(envs, ids)))
		if err != nil {
			t.Fatalf("ParseBatch(MarshalBatch(ParseBatch(x))) = %v", err)
		}
		if len(ids) > 0 && !slices.Equal(againIDs, ids) {
			t.Fatalf("round trip changed the request ids %q to %q", ids, againIDs)
		}
		for i := range envs {
			if again[i].Digest() != envs[i].Digest() {
				t.Fatalf("round trip changed envelope %d", i)
			}
		}
	})
}

// TestBatchOfTheWrongShapeNamesItsField: a sender whose batch holds the
// wrong kind of value is told which field, in JSON's terms.
func TestBatchOfTheWrongShapeNamesItsField(t *testing.T) {
	_, _, err := ParseBatch(strings.NewReader(`{"envelopes":"x"}`))
	if err == nil || !strings.Contains(err.Error(), "envelopes: expected an array, got JSON string") || strings.Contains(err.Error(), "federation.") {
		t.Errorf("ParseBatch = %v, want it to say that envelopes is to be an array", err)
	}
	if fe, ok := errors.AsType[*Error](err); !ok || fe.Field != "envelopes" {
		t.Errorf("ParseBatch = %#v, want the field envelopes named", err)
	}
	_, _, err = ParseBatch(strings.NewReader(`{"envelopes":[null]}`))
	if fe, ok := errors.AsType[*Error](err); !ok || fe.Field != "envelopes[0]" {
		t.Errorf("ParseBatch of a null envelope = %#v, want the field envelopes[0] named", err)
	}
	_, err = Parse(strings.NewReader(`{"id":5}`))
	if err == nil || !strings.Contains(err.Error(), "id: expected a string, got JSON number") {
		t.Errorf("Parse = %v, want it to say that id is to be a string", err)
	}
}
