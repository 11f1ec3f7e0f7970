package node_test

import (
	"crypto/ecdh"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/tls"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"entraide/internal/alerting"
	"entraide/internal/alerting/alertingtest"
	"entraide/internal/convention"
	"entraide/internal/federation"
	"entraide/internal/identity"
	"entraide/internal/node"
	"entraide/internal/store"
	"entraide/internal/store/storetest"
)

// A webhook is an address an administrator types: the node must not let
// it point at the node's own machine, its cloud's metadata service or the
// private network behind it.
func TestWebhookTargets(t *testing.T) {
	eachBackend(t, func(t *testing.T, backend string) {
		f := newFixture(t, backend)
		ctx := t.Context()
		hook := func(addr string) node.RosterInput {
			return node.RosterInput{User: vnm247.ID, Channel: alerting.Webhook, Address: addr, Secret: hookSecret}
		}
		for _, addr := range []string{
			"http://127.0.0.1:22/",
			"https://169.254.169.254/",
			"https://169.254.169.254/latest/meta-data/",
			"https://localhost:8443/hook",
			"https://hooks.localhost/",
			"https://10.1.2.3/hook",
			"https://192.168.0.1/",
			"https://[::1]:8443/",
			"https://[fd00::1]/",
			"https://[::ffff:169.254.169.254]/",
			"https://0.0.0.0/",
			"https://224.0.0.1/",
		} {
			t.Run(addr, func(t *testing.T) {
				_, err := f.n.AddRosterEntry(ctx, f.n.AdminOf("VNM"), hook(addr))
				assertProblemFields(t, "AddRosterEntry("+addr+")", err, "address")
			})
		}
		f.roster(t, hook("https://duty.vnm.example/hook"))

		// For trials on one machine, loopback receivers are allowed; a
		// webhook in clear never is.
		if err := f.n.ConfigureAlerts(node.AlertConfig{AllowPrivateWebhooks: true}); err != nil {
			t.Fatal(err)
		}
		f.roster(t, hook("https://127.0.0.1:9/hook"))
		_, err := f.n.AddRosterEntry(ctx, f.n.AdminOf("VNM"), hook("http://127.0.0.1:9/hook"))
		assertProblemFields(t, "AddRosterEntry(http://127.0.0.1:9/hook) with private webhooks allowed", err, "address")
	})
}

// The check is made again when the webhook is sent: an entry made while
// private addresses were allowed, or before the rule, reaches nothing.
func TestWebhookRefusedAtSendTime(t *testing.T) {
	eachBackend(t, func(t *testing.T, backend string) {
		r := newAlertRig(t, newFixture(t, backend), nil)
		ctx := t.Context()
		e := r.roster(t, node.RosterInput{User: vnm247.ID, Channel: alerting.Webhook, Address: r.hook.URL, Secret: hookSecret})
		if err := r.n.ConfigureAlerts(node.AlertConfig{Client: r.hook.Client}); err != nil {
			t.Fatal(err)
		}
		req := r.send(t, contents(t, convention.Preservation, "VNM"))
		a := r.alertOf(t, vnm247, req.ID)
		r.process(t)
		ns, err := r.db.Notifications(ctx, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		var got *store.Notification
		for i := range ns {
			if ns[i].Entry == e.ID {
				got = &ns[i]
			}
		}
		if got == nil || got.FailedAt.IsZero() || !got.SentAt.IsZero() || !strings.Contains(got.LastError, "127.0.0.1 is a loopback address") {
			t.Errorf("webhook to %s without --allow-private-webhooks: %v; want failed, naming the loopback address", r.hook.URL, got)
		}
		if n := r.hook.Requests(); n != 0 {
			t.Errorf("the loopback receiver got %d requests, want none", n)
		}
	})
}

// A receiver's redirect is not followed, wherever it points.
func TestWebhookRedirectNotFollowed(t *testing.T) {
	eachBackend(t, func(t *testing.T, backend string) {
		r := newAlertRig(t, newFixture(t, backend), nil)
		ctx := t.Context()
		var inside atomic.Int32
		target := httptest.NewTLSServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { inside.Add(1) }))
		defer target.Close()
		redirector := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
			http.Redirect(w, req, target.URL+"/admin", http.StatusTemporaryRedirect)
		}))
		defer redirector.Close()
		if err := r.n.ConfigureAlerts(node.AlertConfig{Client: redirector.Client(), AllowPrivateWebhooks: true}); err != nil {
			t.Fatal(err)
		}
		e := r.roster(t, node.RosterInput{User: vnm247.ID, Channel: alerting.Webhook, Address: redirector.URL + "/hook", Secret: hookSecret})
		req := r.send(t, contents(t, convention.Preservation, "VNM"))
		a := r.alertOf(t, vnm247, req.ID)
		r.process(t)
		ns, err := r.db.Notifications(ctx, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range ns {
			if n.Entry == e.ID && (n.FailedAt.IsZero() || !strings.Contains(n.LastError, "307")) {
				t.Errorf("webhook answered by a redirect: %s; want failed on the 307", show(n))
			}
		}
		if inside.Load() != 0 {
			t.Errorf("the redirect's target got %d requests, want none", inside.Load())
		}
	})
}

// serve --smtp-require-tls sends alert e-mails over STARTTLS only.
func TestSMTPRequireTLS(t *testing.T) {
	tests := []struct {
		name       string
		tls        bool // the server offers STARTTLS
		requireTLS bool
		sent       bool
	}{
		{"server without STARTTLS, TLS not required: sent in clear", false, false, true},
		{"server without STARTTLS, TLS required: not sent", false, true, false},
		{"server with STARTTLS, TLS required: sent over TLS", true, true, true},
		{"server with STARTTLS, TLS not required: sent over TLS", true, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, "sqlite")
			ctx := t.Context()
			srv := alertingtest.NewSMTPServer(t)
			if tt.tls {
				srv = alertingtest.NewSMTPServerTLS(t)
			}
			cfg := node.AlertConfig{SMTPAddr: srv.Addr, SMTPFrom: "entraide@fra.example", SMTPRequireTLS: tt.requireTLS}
			if srv.RootCAs != nil {
				cfg.SMTPTLS = &tls.Config{RootCAs: srv.RootCAs}
			}
			if err := f.n.ConfigureAlerts(cfg); err != nil {
				t.Fatal(err)
			}
			f.roster(t, node.RosterInput{User: vnm247.ID, Channel: alerting.Email, Address: "desk@vnm.example"})
			req := f.send(t, contents(t, convention.Preservation, "VNM"))
			a := f.alertOf(t, vnm247, req.ID)
			f.process(t)
			mails := srv.Pending()
			if got := len(mails) == 1; got != tt.sent {
				t.Fatalf("mails received: %d; want sent %v", len(mails), tt.sent)
			}
			if tt.sent && mails[0].TLS != tt.tls {
				t.Errorf("mail over TLS: %v, want %v", mails[0].TLS, tt.tls)
			}
			ns, err := f.db.Notifications(ctx, a.ID)
			if err != nil || len(ns) != 1 {
				t.Fatalf("notifications: %d, %v; want 1", len(ns), err)
			}
			if n := ns[0]; !tt.sent && (!n.SentAt.IsZero() || !strings.Contains(n.LastError, "STARTTLS") || !strings.Contains(n.LastError, "--smtp-require-tls")) {
				t.Errorf("notification %s; want not sent, saying the server offers no STARTTLS", show(n))
			}
		})
	}
}

// peerDescriptor is a descriptor of DEU's node at base, signed by its own
// key as a real node's is.
func peerDescriptor(t *testing.T, base string) []byte {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	x, err := ecdh.X25519().GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	d := &federation.Descriptor{V: federation.Version, State: "DEU", BaseURL: base,
		SigningKeys:   []federation.PublicKey{{ID: federation.KeyID(pub), Key: pub, ValidFrom: start}},
		EncryptionKey: federation.EncryptionPublic{ID: federation.KeyID(x.PublicKey().Bytes()), Key: x.PublicKey().Bytes()},
		ValidFrom:     start, ValidUntil: start.Add(365 * 24 * time.Hour)}
	d.Sign(federation.SigningKey{ID: federation.KeyID(pub), Private: priv})
	data, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// Peers are reached over https:// only: a descriptor, init --base-url and
// serve --base-url with http:// are refused, and a peer stored with one
// before the rule gets nothing in clear.
func TestPeersOverHTTPSOnly(t *testing.T) {
	eachBackend(t, func(t *testing.T, backend string) {
		ctx := t.Context()
		_, err := node.Init(ctx, storetest.Open(t, backend), node.InitOptions{Home: "FRA", BaseURL: "http://entraide.example.fr",
			Admin: identity.User{ID: "admin", Name: "Node Administrator"}}, newClock(start).Now)
		assertProblemFields(t, "Init(--base-url http://)", err, "base_url")

		f := newFixture(t, backend)
		err = f.n.SetBaseURL(ctx, f.n.Admin(), "http://entraide.example.fr")
		assertProblemFields(t, "SetBaseURL(http://)", err, "base_url")

		var hits atomic.Int32
		clear := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { hits.Add(1) }))
		defer clear.Close()
		_, err = f.n.AddPeer(ctx, f.n.Admin(), peerDescriptor(t, clear.URL))
		if !errors.Is(err, node.ErrPeer) || !strings.Contains(err.Error(), "https://") {
			t.Errorf("AddPeer(descriptor at %s) = %v, want refused for want of https://", clear.URL, err)
		}

		// A peer stored with http:// before the rule.
		if err := f.db.Tx(ctx, func(tx *store.Tx) error { return tx.PutPeer(ctx, "DEU", peerDescriptor(t, clear.URL), start) }); err != nil {
			t.Fatal(err)
		}
		r := f.send(t, contents(t, convention.Preservation, "DEU"))
		if err := f.n.DeliverDue(ctx); err != nil {
			t.Fatal(err)
		}
		if hits.Load() != 0 {
			t.Errorf("the peer at %s got %d requests in clear, want none", clear.URL, hits.Load())
		}
		out, err := f.db.Outbox(ctx, 10)
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, m := range out {
			if m.RequestID != r.ID {
				continue
			}
			found = true
			if !m.DeliveredAt.IsZero() || m.Attempts != 1 || !strings.Contains(m.LastError, "https://") {
				t.Errorf("message to the http:// peer: delivered %v after %d attempts, last error %q; want one attempt, waiting, saying why", m.DeliveredAt, m.Attempts, m.LastError)
			}
		}
		if !found {
			t.Errorf("no message to DEU in the outbox")
		}
		// A descriptor like it but over https:// is accepted.
		if err := f.n.RemovePeer(ctx, f.n.Admin(), "DEU"); err != nil {
			t.Fatal(err)
		}
		if _, err := f.n.AddPeer(ctx, f.n.Admin(), peerDescriptor(t, "https://entraide.example.de")); err != nil {
			t.Errorf("AddPeer(https:// descriptor) = %v, want it added", err)
		}
	})
}
