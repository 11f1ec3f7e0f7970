package localnet_test

import (
	"testing"
	"time"

	"entraide/internal/localnet"
	"entraide/internal/node"
	"entraide/internal/store"
)

// A peer that was down gets everything queued for it as soon as it
// answers again: with a receipt, for a new message or for the oldest
// queued one, which is tried every few seconds, or with a message of its
// own. Once, 100 messages queued for a peer down 15 minutes arrived over
// 9 min 25 s after it came back, each at the end of its own backoff.
// Here every other retry waits at least 5 minutes, so only the wake-up can
// deliver the queue within the wait.
func TestPeerBackGetsItsQueueAtOnce(t *testing.T) {
	const queued = 100
	for _, tt := range []struct {
		name string
		// answer makes VNM answer FRA again, once it is back.
		answer func(f *fedNet) error
	}{
		{"a receipt", func(f *fedNet) error {
			_, err := f.officials["FRA"].createAndSend(t.Context(), "VNM")
			return err
		}},
		{"a message of its own", func(f *fedNet) error {
			_, err := f.officials["VNM"].createAndSend(t.Context(), "FRA")
			return err
		}},
		{"nothing but the oldest message's next try", func(*fedNet) error { return nil }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := startFederation(t, node.FederationConfig{RetryBase: 10 * time.Minute}, "FRA", "VNM")
			fra, vnm := f.Nodes["FRA"], f.Nodes["VNM"]
			f.Network.Client.CloseIdleConnections()
			vnm.Stop()
			ids := make([]string, queued)
			slots := make([]int, queued)
			for i := range slots {
				slots[i] = i
			}
			err := parallel(slots, 8, func(i int) error {
				var err error
				ids[i], err = f.officials["FRA"].createAndSend(t.Context(), "VNM")
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			// Every message has failed, and but for the oldest, which is
			// tried every few seconds, backs off for minutes. The
			// preservations are urgent: their messages go first.
			waitOutbox(t, fra, ids, func(m store.OutboxEntry) bool { return m.Attempts >= 1 && m.LastError != "" && m.Priority == 1 },
				"tried, failed and first in line")
			out, err := fra.DB.Outbox(t.Context(), 10*queued)
			if err != nil {
				t.Fatal(err)
			}
			soon := 0
			for _, m := range out {
				if m.DeliveredAt.IsZero() && m.NextAttempt.Before(time.Now().Add(4*time.Minute)) {
					soon++
				}
			}
			if soon > 1 {
				t.Fatalf("%d messages are to be tried again within minutes, want at most the oldest", soon)
			}

			if err := vnm.Restart(t.Context(), f.Network); err != nil {
				t.Fatal(err)
			}
			back := time.Now()
			if err := tt.answer(f); err != nil {
				t.Fatal(err)
			}
			waitOutbox(t, fra, ids, func(m store.OutboxEntry) bool { return !m.DeliveredAt.IsZero() }, "delivered")
			t.Logf("VNM back, answering with %s: %d queued messages delivered %v after it came back (their other retries were 5 to 10 minutes away)", tt.name, queued, time.Since(back).Round(time.Millisecond))
			f.officials["VNM"].with(t).waitAll(ids, "received")
		})
	}
}

// waitOutbox waits, up to a minute, until the message of nd's outbox
// about each of the requests ids is what done says, or fails the test
// saying how many are not.
func waitOutbox(t *testing.T, nd *localnet.Node, ids []string, done func(store.OutboxEntry) bool, what string) {
	t.Helper()
	want := map[string]bool{}
	for _, id := range ids {
		want[id] = true
	}
	deadline := time.Now().Add(time.Minute)
	for {
		out, err := nd.DB.Outbox(t.Context(), 10*len(ids))
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, m := range out {
			if want[m.RequestID] && done(m) {
				n++
			}
		}
		if n == len(ids) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after a minute, %d of %d messages of %s are %s", n, len(ids), nd.State, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
