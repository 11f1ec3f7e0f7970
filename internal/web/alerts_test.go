package web

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"entraide/internal/alerting"
	"entraide/internal/auditlog"
	"entraide/internal/casework"
	"entraide/internal/identity"
	"entraide/internal/node"
	"entraide/internal/store"
	"entraide/internal/store/storetest"
)

// raiseAlert sends a preservation to state from another hosted State,
// which alerts state's 24/7 network, and returns the alert.
func (tn *testNode) raiseAlert(tb testing.TB, state string) *alerting.Alert {
	tb.Helper()
	from := actor(otherState(state), identity.CentralAuthority)
	r := tn.draft(tb, from, preservationContents(state))
	if _, err := tn.Node.Transition(tb.Context(), from, r.ID, casework.Transition{Action: casework.Send}); err != nil {
		tb.Fatalf("send %s: %v", r.ID, err)
	}
	list, err := tn.Node.Alerts(tb.Context(), actor(state, identity.Auditor), store.AlertFilter{Limit: 500})
	if err != nil {
		tb.Fatal(err)
	}
	for _, a := range list.Alerts {
		if a.RequestID == r.ID {
			return a
		}
	}
	tb.Fatalf("no alert of %s about %s", state, r.ID)
	return nil
}

// addRoster puts an official on the roster through the node.
func (tn *testNode) addRoster(tb testing.TB, in node.RosterInput) alerting.Entry {
	tb.Helper()
	by := tn.Node.Admin()
	for _, state := range tn.Node.Hosted() {
		if _, err := tn.Node.DB().User(tb.Context(), state, in.User); err == nil {
			by = tn.Node.AdminOf(state)
		}
	}
	e, err := tn.Node.AddRosterEntry(tb.Context(), by, in)
	if err != nil {
		tb.Fatalf("AddRosterEntry: %v", err)
	}
	return e
}

func TestAlertsAPI(t *testing.T) {
	for _, backend := range storetest.Backends {
		t.Run(backend, func(t *testing.T) {
			tn := newTestNode(t, backend)
			vnm247, vnmAud, fra247 := tn.token(t, "VNM", identity.TwentyFourSeven), tn.token(t, "VNM", identity.Auditor), tn.token(t, "FRA", identity.TwentyFourSeven)
			a1 := tn.raiseAlert(t, "VNM")
			a2 := tn.raiseAlert(t, "VNM")
			tn.raiseAlert(t, "FRA")

			list := decodeBody[node.AlertList](t, tn.do(t, "GET", "/api/v1/alerts", vnmAud, nil))
			if len(list.Alerts) != 2 || list.Alerts[0].ID != a2.ID || list.Alerts[1].ID != a1.ID || list.Open != 2 || list.TimeToAck.Count != 0 {
				t.Fatalf("VNM's alerts: %+v; want a2, a1, both open", list)
			}

			// art. 41: the 24/7 officer acknowledges; the time is kept.
			acked := decodeBody[alerting.Alert](t, tn.do(t, "POST", "/api/v1/alerts/"+a1.ID+"/ack", vnm247, nil))
			if acked.AckedBy != officialID("VNM", identity.TwentyFourSeven) || acked.TimeToAckMS == nil || *acked.TimeToAckMS != acked.AckedAt.Sub(acked.CreatedAt).Milliseconds() || *acked.TimeToAckMS <= 0 {
				t.Errorf("acknowledged alert %+v: want by the 24/7 officer, with its time to acknowledge", acked)
			}
			again := decodeBody[alerting.Alert](t, tn.do(t, "POST", "/api/v1/alerts/"+a1.ID+"/ack", tn.token(t, "VNM", identity.CentralAuthority), nil))
			if again.AckedBy != acked.AckedBy || !again.AckedAt.Equal(acked.AckedAt) {
				t.Errorf("second acknowledgement %+v, want the first unchanged", again)
			}
			decodeBody[alerting.Alert](t, tn.do(t, "POST", "/api/v1/alerts/"+a2.ID+"/ack", vnm247, nil))

			list = decodeBody[node.AlertList](t, tn.do(t, "GET", "/api/v1/alerts?reason=preservation&limit=10", vnmAud, nil))
			st := list.TimeToAck
			if list.Open != 0 || st.Count != 2 || st.P50MS <= 0 || st.P99MS < st.P50MS || list.ByReason[alerting.ReasonPreservation] != st {
				t.Errorf("after both acknowledged: open %d, time to ack %+v, by reason %+v; want 0 open, 2 measured", list.Open, st, list.ByReason)
			}
			if open := decodeBody[node.AlertList](t, tn.do(t, "GET", "/api/v1/alerts?open=true", vnmAud, nil)); len(open.Alerts) != 0 {
				t.Errorf("open alerts: %d, want none", len(open.Alerts))
			}

			// Another State's alert is not found, whatever the role.
			wantProblem(t, tn.do(t, "POST", "/api/v1/alerts/"+a1.ID+"/ack", fra247, nil), http.StatusNotFound, "id", "")
			wantProblem(t, tn.do(t, "POST", "/api/v1/alerts/no-such-alert/ack", vnm247, nil), http.StatusNotFound, "id", "")
			wantProblem(t, tn.do(t, "POST", "/api/v1/alerts/"+a2.ID+"/ack", vnmAud, nil), http.StatusForbidden, "role", "")
			for _, q := range []struct{ query, field string }{{"open=maybe", "open"}, {"reason=boredom", "reason"}, {"limit=0", "limit"}, {"limit=x", "limit"}} {
				wantProblem(t, tn.do(t, "GET", "/api/v1/alerts?"+q.query, vnmAud, nil), http.StatusBadRequest, q.field, "")
			}
			if fra := decodeBody[node.AlertList](t, tn.do(t, "GET", "/api/v1/alerts", fra247, nil)); len(fra.Alerts) != 1 || fra.Alerts[0].State != "FRA" {
				t.Errorf("FRA's alerts: %+v; want its own only", fra.Alerts)
			}
		})
	}
}

// sseEvent is one event of a text/event-stream.
type sseEvent struct {
	id, event, data string
}

// openStream opens the alert stream with token over a real connection
// and returns its events as they come; the stream's comments are
// skipped. It fails the test unless the stream opens.
func (tn *testNode) openStream(t *testing.T, token, query string, header http.Header) <-chan sseEvent {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	t.Cleanup(cancel)
	req, err := http.NewRequestWithContext(ctx, "GET", tn.URL+"/api/v1/alerts/stream"+query, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := tn.Client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/event-stream" {
		resp.Body.Close()
		t.Fatalf("GET /api/v1/alerts/stream: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	events := make(chan sseEvent, 100)
	go func() {
		defer resp.Body.Close()
		defer close(events)
		sc := bufio.NewScanner(resp.Body)
		var e sseEvent
		for sc.Scan() {
			line := sc.Text()
			switch {
			case line == "":
				if e != (sseEvent{}) {
					events <- e
				}
				e = sseEvent{}
			case strings.HasPrefix(line, "id: "):
				e.id = strings.TrimPrefix(line, "id: ")
			case strings.HasPrefix(line, "event: "):
				e.event = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: "):
				e.data = strings.TrimPrefix(line, "data: ")
			}
		}
	}()
	return events
}

func nextEvent(t *testing.T, events <-chan sseEvent) (sseEvent, alerting.Event) {
	t.Helper()
	select {
	case e, ok := <-events:
		if !ok {
			t.Fatalf("the stream ended; want an event")
		}
		var ev alerting.Event
		if err := json.Unmarshal([]byte(e.data), &ev); err != nil {
			t.Fatalf("event data %q: %v", e.data, err)
		}
		if e.id != strconv.FormatInt(ev.Seq, 10) || e.event != "alert."+string(ev.Type) {
			t.Errorf("event id %q, name %q; want the seq %d and alert.%s", e.id, e.event, ev.Seq, ev.Type)
		}
		return e, ev
	case <-time.After(15 * time.Second):
		t.Fatalf("no event on the stream within 15s")
	}
	return sseEvent{}, alerting.Event{}
}

func TestAlertStream(t *testing.T) {
	tn := newTestNode(t, "sqlite")
	vnm247, vnmInv := tn.token(t, "VNM", identity.TwentyFourSeven), tn.token(t, "VNM", identity.Investigator)
	fraAud := tn.token(t, "FRA", identity.Auditor)
	// Opened before anything happens, over a real connection.
	vnm := tn.openStream(t, vnmInv, "", nil)
	fra := tn.openStream(t, fraAud, "", nil)

	a := tn.raiseAlert(t, "VNM")
	_, raised := nextEvent(t, vnm)
	if raised.Type != alerting.Raised || raised.Alert.ID != a.ID || raised.Alert.State != "VNM" {
		t.Errorf("first event %+v, want alert %s raised", raised, a.ID)
	}
	tn.do(t, "POST", "/api/v1/alerts/"+a.ID+"/ack", vnm247, nil)
	_, ack := nextEvent(t, vnm)
	if ack.Type != alerting.Acknowledged || ack.Alert.TimeToAckMS == nil || ack.Seq <= raised.Seq {
		t.Errorf("second event %+v, want the acknowledgement, measured", ack)
	}
	// FRA's officials see only FRA's alerts: their first is their own.
	b := tn.raiseAlert(t, "FRA")
	if _, e := nextEvent(t, fra); e.Alert.ID != b.ID {
		t.Errorf("FRA's first event is about %s (%s), want its own alert %s", e.Alert.ID, e.Alert.State, b.ID)
	}

	// A client that reconnects with Last-Event-ID misses nothing, and
	// gets nothing twice.
	again := tn.openStream(t, vnmInv, "?after=0", http.Header{"Last-Event-Id": {strconv.FormatInt(raised.Seq, 10)}})
	if _, e := nextEvent(t, again); e.Seq != ack.Seq {
		t.Errorf("after Last-Event-ID %d: event %d, want %d", raised.Seq, e.Seq, ack.Seq)
	}
	// follow=false ends once caught up, through the contract check.
	r := tn.do(t, "GET", "/api/v1/alerts/stream?after=0&follow=false", vnmInv, nil)
	if n := strings.Count(string(r.Body), "\nevent: alert."); n != 2 || !strings.Contains(string(r.Body), "id: "+strconv.FormatInt(ack.Seq, 10)+"\n") {
		t.Errorf("caught-up stream of VNM has %d events, want 2:\n%s", n, r.Body)
	}
	if r := tn.do(t, "GET", "/api/v1/alerts/stream?follow=false&after=0", tn.token(t, "ZAF", identity.Auditor), nil); strings.Contains(string(r.Body), "event:") {
		t.Errorf("ZAF's stream holds events: %s", r.Body)
	}
	wantProblem(t, tn.do(t, "GET", "/api/v1/alerts/stream?after=-1", vnmInv, nil), http.StatusBadRequest, "after", "")
	wantProblem(t, tn.do(t, "GET", "/api/v1/alerts/stream?follow=sometimes", vnmInv, nil), http.StatusBadRequest, "follow", "")
	req, _ := http.NewRequestWithContext(t.Context(), "GET", tn.URL+"/api/v1/alerts/stream", nil)
	req.Header.Set("Authorization", "Bearer "+vnmInv)
	req.Header.Set("Last-Event-ID", "x")
	wantProblem(t, tn.send(t, req), http.StatusBadRequest, "Last-Event-ID", "")
	wantProblem(t, tn.do(t, "GET", "/api/v1/alerts/stream", tn.token(t, "VNM", identity.Administrator), nil), http.StatusForbidden, "role", "")
}

// An open feed sends nothing more once its token is revoked or its
// official disabled: it ends at the next alert instead of streaming it,
// as a stolen laptop's open feed did before.
func TestAlertStreamEndsWithItsCredential(t *testing.T) {
	tn := newTestNode(t, "sqlite")
	inv, on := actor("VNM", identity.Investigator), actor("VNM", identity.TwentyFourSeven)
	revoked := tn.openStream(t, tn.token(t, "VNM", identity.Investigator), "", nil)
	disabled := tn.openStream(t, tn.token(t, "VNM", identity.TwentyFourSeven), "", nil)
	tn.raiseAlert(t, "VNM")
	nextEvent(t, revoked)
	nextEvent(t, disabled)

	mine, err := tn.Node.Tokens(t.Context(), inv, "")
	if err != nil || len(mine) != 1 {
		t.Fatalf("Tokens(%s) = %v, %v; want one", inv.ID, mine, err)
	}
	if _, err := tn.Node.RevokeToken(t.Context(), inv, "", mine[0].ID); err != nil {
		t.Fatal(err)
	}
	if _, err := tn.Node.SetDisabled(t.Context(), tn.Node.AdminOf("VNM"), on.ID, true); err != nil {
		t.Fatal(err)
	}
	a := tn.raiseAlert(t, "VNM")
	for name, events := range map[string]<-chan sseEvent{"revoked token": revoked, "disabled official": disabled} {
		select {
		case e, ok := <-events:
			if ok {
				t.Errorf("feed of a %s sent %s %s after it stopped working; want the feed ended before alert %s", name, e.event, e.data, a.ID)
			}
		case <-time.After(15 * time.Second):
			t.Errorf("feed of a %s still open 15 s after an alert; want it ended", name)
		}
	}
}

func TestRosterAPI(t *testing.T) {
	for _, backend := range storetest.Backends {
		t.Run(backend, func(t *testing.T) {
			tn := newTestNode(t, backend)
			admin := tn.token(t, "VNM", identity.Administrator)
			const secret = "hook-secret-0123456789"
			r := tn.do(t, "POST", "/api/v1/roster", admin, node.RosterInput{User: officialID("VNM", identity.TwentyFourSeven), Channel: alerting.Webhook,
				Address: "https://duty.vnm.example/hooks/entraide", Secret: secret, From: testEpoch, Until: testEpoch.Add(8 * time.Hour)})
			if r.Status != http.StatusCreated {
				t.Fatalf("POST /api/v1/roster: %d %s", r.Status, r.Body)
			}
			hook := decodeBody[alerting.Entry](t, r)
			if r.Header.Get("Location") != "/api/v1/roster/"+hook.ID || hook.State != "VNM" || hook.Role != identity.TwentyFourSeven || hook.Position != 1 || !hook.Until.Equal(testEpoch.Add(8*time.Hour)) {
				t.Errorf("created entry %+v (Location %s)", hook, r.Header.Get("Location"))
			}
			mail := decodeBody[alerting.Entry](t, tn.do(t, "POST", "/api/v1/roster", admin, node.RosterInput{User: officialID("VNM", identity.CentralAuthority), Channel: alerting.Email, Address: "mla@vnm.example"}))
			list := tn.do(t, "GET", "/api/v1/roster", admin, nil)
			entries := decodeBody[[]alerting.Entry](t, list)
			if len(entries) != 2 || entries[0].ID != hook.ID || entries[1].ID != mail.ID || mail.Position != 2 {
				t.Errorf("roster %+v; want the webhook then the e-mail", entries)
			}
			// The secret is never shown again, nor logged in the audit log.
			audit := decodeBody[[]store.AuditEntry](t, tn.do(t, "GET", "/api/v1/audit?limit=1000", admin, nil))
			for _, body := range [][]byte{r.Body, list.Body} {
				if strings.Contains(string(body), secret) {
					t.Errorf("a response shows the webhook's secret: %s", body)
				}
			}
			for _, e := range audit {
				var rec auditlog.Record
				json.Unmarshal(e.Record, &rec)
				if strings.Contains(string(e.Record), secret) || strings.Contains(base64.StdEncoding.EncodeToString(e.Record), base64.StdEncoding.EncodeToString([]byte(secret))) {
					t.Errorf("audit record %d (%s) holds the secret", e.Seq, rec.Action)
				}
			}

			bad := []struct {
				name   string
				in     any
				fields []string
			}{
				{"art 41: an investigator is not on call", node.RosterInput{User: officialID("VNM", identity.Investigator), Channel: alerting.Email, Address: "x@example.org"}, []string{"user"}},
				{"art 41: another State's official is none of the administrator's", node.RosterInput{User: officialID("FRA", identity.TwentyFourSeven), Channel: alerting.Email, Address: "x@example.org"}, []string{"user"}},
				{"everything wrong at once", node.RosterInput{User: "nobody", Channel: "pager", Address: "x"}, []string{"channel", "user"}},
				{"a webhook in clear, without its secret", node.RosterInput{User: officialID("VNM", identity.TwentyFourSeven), Channel: alerting.Webhook, Address: "http://duty.example.org/"}, []string{"address", "secret"}},
				{"a webhook in clear to this machine", node.RosterInput{User: officialID("VNM", identity.TwentyFourSeven), Channel: alerting.Webhook, Address: "http://127.0.0.1:22/", Secret: "0123456789abcdef"}, []string{"address"}},
				{"a webhook to the cloud metadata service", node.RosterInput{User: officialID("VNM", identity.TwentyFourSeven), Channel: alerting.Webhook, Address: "https://169.254.169.254/", Secret: "0123456789abcdef"}, []string{"address"}},
				{"a shift that ends before it starts", node.RosterInput{User: officialID("VNM", identity.TwentyFourSeven), Channel: alerting.Email, Address: "x@example.org", From: testEpoch, Until: testEpoch}, []string{"until"}},
			}
			for _, tt := range bad {
				t.Run(tt.name, func(t *testing.T) {
					p := wantProblem(t, tn.do(t, "POST", "/api/v1/roster", admin, tt.in), http.StatusUnprocessableEntity, tt.fields[0], "art. 41")
					if len(p.Errors) != len(tt.fields) {
						t.Errorf("problems %+v, want on %v", p.Errors, tt.fields)
					}
				})
			}
			wantProblem(t, tn.do(t, "POST", "/api/v1/roster", admin, `{"user":"x","channel":"email","address":"x@example.org","from":"tomorrow"}`), http.StatusBadRequest, "from", "")

			removed := decodeBody[alerting.Entry](t, tn.do(t, "DELETE", "/api/v1/roster/"+hook.ID, admin, nil))
			if removed.ID != hook.ID {
				t.Errorf("DELETE returned %+v, want the entry removed", removed)
			}
			wantProblem(t, tn.do(t, "DELETE", "/api/v1/roster/"+hook.ID, admin, nil), http.StatusNotFound, "id", "")
			if entries := decodeBody[[]alerting.Entry](t, tn.do(t, "GET", "/api/v1/roster", admin, nil)); len(entries) != 1 || entries[0].ID != mail.ID {
				t.Errorf("roster after DELETE: %+v; want the e-mail only", entries)
			}
		})
	}
}

// raiseNodeAlert stores, as the outbox does when it gives up on a
// message, an alert about the node itself for state's officials: the kind
// its administrators read and acknowledge too.
func (tn *testNode) raiseNodeAlert(tb testing.TB, state string) *alerting.Alert {
	tb.Helper()
	a := &alerting.Alert{ID: uuid.NewString(), State: state, Reason: alerting.ReasonDeliveryExpired, From: otherState(state),
		Summary: "a message to " + otherState(state) + " was not delivered", CreatedAt: time.Now().UTC(), EscalatesAt: time.Now().UTC(), Steps: []alerting.Step{}}
	if err := tn.Node.DB().Tx(tb.Context(), func(tx *store.Tx) error { return tx.InsertAlert(tb.Context(), a) }); err != nil {
		tb.Fatal(err)
	}
	return a
}
