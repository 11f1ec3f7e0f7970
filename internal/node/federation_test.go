package node_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"entraide/internal/federation"
	"entraide/internal/node"
)

// TestUnreadableEnvelopeIsNotAudited posts, without any credential, an
// envelope whose unknown field name is a megabyte long: it proves nothing
// about its sender, so the refusal is not written to the append-only
// audit log, and the answer does not carry the name whole.
func TestUnreadableEnvelopeIsNotAudited(t *testing.T) {
	f := newFixture(t, "sqlite")
	body := `{"` + strings.Repeat("A", 1<<20) + `":1}`
	rs := f.auditSince(t, func() {
		_, err := f.n.ReceiveEnvelope(t.Context(), strings.NewReader(body))
		var fe *federation.Error
		if !errors.As(err, &fe) || fe.Reason != federation.ReasonMalformed {
			t.Fatalf("ReceiveEnvelope(long unknown field) = %v, want a %s refusal", err, federation.ReasonMalformed)
		}
		var unverified *node.UnverifiedError
		if !errors.As(err, &unverified) {
			t.Errorf("ReceiveEnvelope(long unknown field) = %T, want an *UnverifiedError", err)
		}
		if len(fe.Msg) > 1000 {
			t.Errorf("refusal message of %d bytes, want at most 1000", len(fe.Msg))
		}
	})
	if len(rs) != 0 {
		t.Fatalf("audit records %v, want none for an envelope that proves nothing", actionsAndSubjects(rs))
	}
}

// TestDescriptorAfterManyRotations rotates a node's keys more times than a
// descriptor may list keys: its descriptor still parses, with the current
// key in it.
func TestDescriptorAfterManyRotations(t *testing.T) {
	f := newFixture(t, "sqlite")
	ctx := t.Context()
	if err := f.n.SetBaseURL(ctx, f.n.Admin(), "https://entraide.example.fr"); err != nil {
		t.Fatal(err)
	}
	for range federation.MaxKeys + 3 {
		f.clock.Advance(time.Hour)
		if err := f.n.RotateKeys(ctx, f.n.Admin()); err != nil {
			t.Fatalf("RotateKeys: %v", err)
		}
	}
	d, err := f.n.Descriptor(ctx)
	if err != nil {
		t.Fatalf("Descriptor: %v", err)
	}
	b, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := federation.ParseDescriptor(bytes.NewReader(b), f.clock.Now()); err != nil {
		t.Errorf("ParseDescriptor(descriptor after %d rotations) = %v, want success", federation.MaxKeys+3, err)
	}
}
