package store_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	"entraide/internal/alerting"
	"entraide/internal/auditlog"
	"entraide/internal/identity"
	"entraide/internal/store"
	"entraide/internal/store/storetest"
)

// TestAlerting runs the alerting part of the store's contract against
// every backend.
func TestAlerting(t *testing.T) {
	cases := []struct {
		name string
		run  func(t *testing.T, db *store.DB)
	}{
		{"roster/entries with their officials, secrets kept", testRoster},
		{"alerts/insert, lock, update, list and due", testAlerts},
		{"alerts/times to acknowledge by reason", testTimesToAck},
		{"alerts/events in commit order, by State", testAlertEvents},
		{"notifications/due, claimed once, sent, retried, failed, cancelled", testNotifications},
		{"tx/after-commit hooks run only on commit", testAfterCommit},
	}
	for _, backend := range storetest.Backends {
		t.Run(backend, func(t *testing.T) {
			t.Parallel()
			for _, c := range cases {
				t.Run(c.name, func(t *testing.T) {
					t.Parallel()
					c.run(t, storetest.Open(t, backend))
				})
			}
		})
	}
}

func tx(t *testing.T, db *store.DB, fn func(*store.Tx) error) {
	t.Helper()
	if err := db.Tx(t.Context(), fn); err != nil {
		t.Fatalf("Tx: %v", err)
	}
}

func testRoster(t *testing.T, db *store.DB) {
	ctx := t.Context()
	tx(t, db, func(tx *store.Tx) error {
		for _, u := range []identity.User{
			{ID: "vnm-247", Name: "A", State: "VNM", Role: identity.TwentyFourSeven, CreatedAt: base},
			{ID: "fra-ca", Name: "B", State: "FRA", Role: identity.CentralAuthority, CreatedAt: base},
		} {
			if err := tx.InsertUser(ctx, u); err != nil {
				return err
			}
		}
		return nil
	})
	hook := alerting.Entry{ID: "r2", User: "vnm-247", Position: 1, Channel: alerting.Webhook, Address: "https://duty.example/hook",
		Secret: "0123456789abcdef", From: base, Until: base.Add(8 * time.Hour), CreatedAt: base}
	mail := alerting.Entry{ID: "r1", User: "fra-ca", Position: 3, Channel: alerting.Email, Address: "ca@fra.example", CreatedAt: base}
	tx(t, db, func(tx *store.Tx) error {
		if err := tx.InsertRosterEntry(ctx, "VNM", hook); err != nil {
			return err
		}
		return tx.InsertRosterEntry(ctx, "FRA", mail)
	})
	if err := db.Tx(ctx, func(tx *store.Tx) error { return tx.InsertRosterEntry(ctx, "FRA", mail) }); !errors.Is(err, store.ErrExists) {
		t.Errorf("InsertRosterEntry of an id taken = %v, want ErrExists", err)
	}
	for _, tt := range []struct{ state, user string }{{"FRA", "nobody"}, {"FRA", "vnm-247"}, {"VNM", "fra-ca"}} {
		if err := db.Tx(ctx, func(tx *store.Tx) error {
			e := mail
			e.ID, e.User = "r3", tt.user
			return tx.InsertRosterEntry(ctx, tt.state, e)
		}); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("InsertRosterEntry(%s) for %s, not an official of that State = %v, want ErrNotFound", tt.state, tt.user, err)
		}
	}
	hook.State, hook.Role = "VNM", identity.TwentyFourSeven
	mail.State, mail.Role = "FRA", identity.CentralAuthority
	// A line is its official's State's.
	for state, want := range map[string][]alerting.Entry{"FRA": {mail}, "VNM": {hook}, "ZAF": {}} {
		got, err := db.Roster(ctx, state)
		if err != nil {
			t.Fatal(err)
		}
		assertSameJSON(t, "Roster("+state+")", got, want)
	}
	if got, err := db.Roster(ctx, "VNM"); err != nil || len(got) != 1 || got[0].Secret != hook.Secret {
		t.Errorf("Roster(VNM) = %+v, %v; want the secret kept for signing", got, err)
	}
	e, err := db.RosterEntry(ctx, "VNM", "r2")
	if err != nil || e.Secret != hook.Secret || !e.Until.Equal(hook.Until) {
		t.Errorf("RosterEntry(VNM, r2) = %+v, %v; want %+v", e, err, hook)
	}
	if _, err := db.RosterEntry(ctx, "FRA", "r2"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("RosterEntry(FRA, r2) of VNM's line = %v, want ErrNotFound", err)
	}
	if err := db.Tx(ctx, func(tx *store.Tx) error { _, err := tx.DeleteRosterEntry(ctx, "FRA", "r2"); return err }); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("DeleteRosterEntry(FRA, r2) of VNM's line = %v, want ErrNotFound", err)
	}
	var removed alerting.Entry
	tx(t, db, func(tx *store.Tx) error {
		var err error
		removed, err = tx.DeleteRosterEntry(ctx, "VNM", "r2")
		return err
	})
	if removed.ID != "r2" || removed.Address != hook.Address {
		t.Errorf("DeleteRosterEntry(r2) = %+v, want the entry removed", removed)
	}
	if _, err := db.RosterEntry(ctx, "VNM", "r2"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("RosterEntry after delete = %v, want ErrNotFound", err)
	}
	if err := db.Tx(ctx, func(tx *store.Tx) error { _, err := tx.DeleteRosterEntry(ctx, "VNM", "r2"); return err }); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("DeleteRosterEntry twice = %v, want ErrNotFound", err)
	}
}

func alert(id, state string, reason alerting.Reason, created time.Time) *alerting.Alert {
	return &alerting.Alert{ID: id, State: state, Reason: reason, RequestID: "req-" + id, From: "FRA", Summary: "s", CreatedAt: created,
		Steps: []alerting.Step{}, EscalatesAt: created}
}

func testAlerts(t *testing.T, db *store.DB) {
	ctx := t.Context()
	a1 := alert("a1", "VNM", alerting.ReasonPreservation, base)
	a2 := alert("a2", "VNM", alerting.ReasonUrgent, base.Add(time.Minute))
	a3 := alert("a3", "FRA", alerting.ReasonEmergencyDisclosure, base.Add(2*time.Minute))
	tx(t, db, func(tx *store.Tx) error {
		for _, a := range []*alerting.Alert{a1, a2, a3} {
			if err := tx.InsertAlert(ctx, a); err != nil {
				return err
			}
		}
		return nil
	})
	if err := db.Tx(ctx, func(tx *store.Tx) error { return tx.InsertAlert(ctx, a1) }); !errors.Is(err, store.ErrExists) {
		t.Errorf("InsertAlert twice = %v, want ErrExists", err)
	}
	if due, err := db.DueAlerts(ctx, base.Add(time.Minute), 10); err != nil || !slices.Equal(due, []store.AlertRef{{State: "VNM", ID: "a1"}, {State: "VNM", ID: "a2"}}) {
		t.Errorf("DueAlerts(base+1m) = %v, %v; want [a1 a2]", due, err)
	}
	// Take a1's first step, then acknowledge a2.
	tx(t, db, func(tx *store.Tx) error {
		a, err := tx.AlertForUpdate(ctx, "VNM", "a1")
		if err != nil {
			return err
		}
		a.Steps = append(a.Steps, alerting.Step{Level: 1, To: alerting.OnCall, Users: []string{"vnm-247"}, At: base})
		a.Level, a.EscalatesAt = 1, base.Add(time.Hour)
		if err := tx.UpdateAlert(ctx, a); err != nil {
			return err
		}
		b, err := tx.AlertForUpdate(ctx, "VNM", "a2")
		if err != nil {
			return err
		}
		if err := b.Ack("vnm-247", base.Add(5*time.Minute)); err != nil {
			return err
		}
		return tx.UpdateAlert(ctx, b)
	})
	if due, err := db.DueAlerts(ctx, base.Add(59*time.Minute), 10); err != nil || !slices.Equal(due, []store.AlertRef{{State: "FRA", ID: "a3"}}) {
		t.Errorf("DueAlerts(base+59m) = %v, %v; want [a3]: a1 escalates at base+1h, a2 is acknowledged", due, err)
	}
	if next, ok, err := db.NextAlertWork(ctx); err != nil || !ok || !next.Equal(a3.CreatedAt) {
		t.Errorf("NextAlertWork = %s, %v, %v; want %s", next, ok, err, a3.CreatedAt)
	}
	got, err := db.Alert(ctx, "VNM", "a1")
	if err != nil || got.Level != 1 || len(got.Steps) != 1 || got.Steps[0].Users[0] != "vnm-247" || !got.EscalatesAt.Equal(base.Add(time.Hour)) {
		t.Errorf("Alert(a1) = %+v, %v; want its first step stored", got, err)
	}
	if _, err := db.Alert(ctx, "VNM", "nope"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Alert(nope) = %v, want ErrNotFound", err)
	}
	// Another State's alert is not found, read or locked, nor changed.
	if _, err := db.Alert(ctx, "FRA", "a1"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Alert(FRA, a1) of VNM's alert = %v, want ErrNotFound", err)
	}
	if err := db.Tx(ctx, func(tx *store.Tx) error { _, err := tx.AlertForUpdate(ctx, "FRA", "a1"); return err }); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("AlertForUpdate(FRA, a1) of VNM's alert = %v, want ErrNotFound", err)
	}
	if err := db.Tx(ctx, func(tx *store.Tx) error { b := *got; b.State = "FRA"; return tx.UpdateAlert(ctx, &b) }); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("UpdateAlert of VNM's alert as FRA's = %v, want ErrNotFound", err)
	}
	ids := func(as []*alerting.Alert) []string {
		var out []string
		for _, a := range as {
			out = append(out, a.ID)
		}
		return out
	}
	for _, tt := range []struct {
		state string
		f     store.AlertFilter
		want  []string
	}{
		{"VNM", store.AlertFilter{}, []string{"a2", "a1"}},
		{"VNM", store.AlertFilter{Open: true}, []string{"a1"}},
		{"VNM", store.AlertFilter{Reason: alerting.ReasonUrgent}, []string{"a2"}},
		{"VNM", store.AlertFilter{Limit: 1}, []string{"a2"}},
		{"FRA", store.AlertFilter{}, []string{"a3"}},
		{"ZAF", store.AlertFilter{}, nil},
	} {
		as, err := db.Alerts(ctx, tt.state, tt.f)
		if err != nil || !slices.Equal(ids(as), tt.want) {
			t.Errorf("Alerts(%s, %+v) = %v, %v; want %v", tt.state, tt.f, ids(as), err, tt.want)
		}
	}
	if n, err := db.OpenAlerts(ctx, "VNM"); err != nil || n != 1 {
		t.Errorf("OpenAlerts(VNM) = %d, %v; want 1", n, err)
	}
}

func testTimesToAck(t *testing.T, db *store.DB) {
	ctx := t.Context()
	acks := []struct {
		id     string
		reason alerting.Reason
		after  time.Duration
	}{{"a1", alerting.ReasonPreservation, 90 * time.Second}, {"a2", alerting.ReasonPreservation, 30 * time.Second}, {"a3", alerting.ReasonUrgent, time.Hour}}
	tx(t, db, func(tx *store.Tx) error {
		for _, x := range acks {
			a := alert(x.id, "VNM", x.reason, base)
			if err := a.Ack("vnm-247", base.Add(x.after)); err != nil {
				return err
			}
			if err := tx.InsertAlert(ctx, a); err != nil {
				return err
			}
		}
		return tx.InsertAlert(ctx, alert("open", "VNM", alerting.ReasonUrgent, base))
	})
	got, err := db.TimesToAck(ctx, "VNM")
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(got[alerting.ReasonPreservation])
	if !slices.Equal(got[alerting.ReasonPreservation], []int64{30000, 90000}) || !slices.Equal(got[alerting.ReasonUrgent], []int64{3600000}) || len(got) != 2 {
		t.Errorf("TimesToAck(VNM) = %v; want preservation [30000 90000], urgent [3600000]", got)
	}
}

func testAlertEvents(t *testing.T, db *store.DB) {
	ctx := t.Context()
	a := alert("a1", "VNM", alerting.ReasonPreservation, base)
	b := alert("b1", "FRA", alerting.ReasonUrgent, base)
	// Each event takes the sequence number of its audit record.
	event := func(a *alerting.Alert, typ alerting.EventType) {
		tx(t, db, func(tx *store.Tx) error {
			seq, err := tx.Audit(ctx, auditlog.Record{At: base, Node: "FRA", State: a.State, ActorState: a.State, Actor: "system", Action: "alert." + string(typ), Subject: "alert/" + a.ID})
			if err != nil {
				return err
			}
			if typ == alerting.Raised {
				if err := tx.InsertAlert(ctx, a); err != nil {
					return err
				}
			}
			return tx.AppendAlertEvent(ctx, alerting.Event{Seq: seq, Type: typ, At: base, Alert: *a})
		})
	}
	event(a, alerting.Raised)
	event(b, alerting.Raised)
	event(a, alerting.Notified)
	event(a, alerting.Acknowledged)
	types := func(es []alerting.Event) (out []string) {
		for _, e := range es {
			out = append(out, string(e.Type)+"@"+e.Alert.State)
		}
		return out
	}
	all, err := db.AlertEvents(ctx, "VNM", 0, 10)
	if err != nil || !slices.Equal(types(all), []string{"raised@VNM", "notified@VNM", "acknowledged@VNM"}) {
		t.Fatalf("AlertEvents(VNM, 0) = %v, %v; want VNM's three, in order", types(all), err)
	}
	if all[0].Seq >= all[1].Seq || all[1].Seq >= all[2].Seq {
		t.Errorf("seqs %d %d %d, want increasing", all[0].Seq, all[1].Seq, all[2].Seq)
	}
	after, err := db.AlertEvents(ctx, "VNM", all[0].Seq, 1)
	if err != nil || !slices.Equal(types(after), []string{"notified@VNM"}) {
		t.Errorf("AlertEvents(VNM, after the first, limit 1) = %v, %v; want [notified@VNM]", types(after), err)
	}
	if last, err := db.LastAlertEvent(ctx, "VNM"); err != nil || last != all[2].Seq {
		t.Errorf("LastAlertEvent(VNM) = %d, %v; want %d", last, err, all[2].Seq)
	}
	if last, err := db.LastAlertEvent(ctx, "ZAF"); err != nil || last != 0 {
		t.Errorf("LastAlertEvent(ZAF) = %d, %v; want 0", last, err)
	}
}

func testNotifications(t *testing.T, db *store.DB) {
	ctx := t.Context()
	a := alert("a1", "VNM", alerting.ReasonPreservation, base)
	ns := []store.Notification{
		{ID: "n1", AlertID: "a1", Level: 1, User: "vnm-247", Entry: "r1", Channel: alerting.Email, Address: "a@vnm.example", Subject: "s", Body: []byte("text"), CreatedAt: base},
		{ID: "n2", AlertID: "a1", Level: 1, User: "vnm-247", Entry: "r2", Channel: alerting.Webhook, Address: "https://x/hook", Body: []byte(`{}`), CreatedAt: base},
		{ID: "n3", AlertID: "a1", Level: 1, Channel: alerting.Email, Address: "desk@vnm.example", Body: []byte("text"), CreatedAt: base},
	}
	tx(t, db, func(tx *store.Tx) error {
		if err := tx.InsertAlert(ctx, a); err != nil {
			return err
		}
		for _, n := range ns {
			if err := tx.EnqueueNotification(ctx, n); err != nil {
				return err
			}
		}
		return nil
	})
	due, err := db.DueNotifications(ctx, base, 10)
	if err != nil || len(due) != 3 || due[0].ID != "n1" || string(due[1].Body) != `{}` || due[0].Subject != "s" || !due[0].NextAttempt.Equal(base) || due[0].State != "VNM" {
		t.Fatalf("DueNotifications = %+v, %v; want the three, due at once", due, err)
	}
	// Two workers race for n1: one wins.
	won1, err1 := db.ClaimNotification(ctx, due[0], base.Add(time.Minute))
	won2, err2 := db.ClaimNotification(ctx, due[0], base.Add(time.Minute))
	if err1 != nil || err2 != nil || !won1 || won2 {
		t.Errorf("ClaimNotification twice = %v %v, %v %v; want the first only", won1, err1, won2, err2)
	}
	if err := db.NotificationSent(ctx, "n1", base.Add(time.Second), 1); err != nil {
		t.Fatal(err)
	}
	if err := db.NotificationRetry(ctx, "n2", 1, base.Add(5*time.Second), "webhook to x: 503"); err != nil {
		t.Fatal(err)
	}
	if due, err := db.DueNotifications(ctx, base.Add(time.Second), 10); err != nil || len(due) != 1 || due[0].ID != "n3" {
		t.Errorf("DueNotifications(base+1s) = %+v, %v; want only n3", due, err)
	}
	if next, ok, err := db.NextAlertWork(ctx); err != nil || !ok || !next.Equal(base) {
		t.Errorf("NextAlertWork = %s, %v, %v; want %s (a1's step and n3)", next, ok, err, base)
	}
	// Acknowledged: what is not sent is dropped; what was sent stays so.
	tx(t, db, func(tx *store.Tx) error {
		return tx.CancelNotifications(ctx, "a1", base.Add(2*time.Second), "acknowledged")
	})
	all, err := db.Notifications(ctx, "a1")
	if err != nil || len(all) != 3 {
		t.Fatalf("Notifications(a1) = %d, %v; want 3", len(all), err)
	}
	byID := map[string]store.Notification{}
	for _, n := range all {
		byID[n.ID] = n
	}
	if n := byID["n1"]; n.SentAt.IsZero() || !n.FailedAt.IsZero() || n.Attempts != 1 {
		t.Errorf("n1 = %+v, want sent after 1 attempt", n)
	}
	if n := byID["n2"]; n.FailedAt.IsZero() || n.LastError != "acknowledged" || n.Attempts != 1 {
		t.Errorf("n2 = %+v, want cancelled", n)
	}
	if err := db.NotificationFailed(ctx, "n3", base.Add(3*time.Second), 10, "gave up"); err != nil {
		t.Fatal(err)
	}
	if due, err := db.DueNotifications(ctx, base.Add(time.Hour), 10); err != nil || len(due) != 0 {
		t.Errorf("DueNotifications after all settled = %+v, %v; want none", due, err)
	}
}

func testAfterCommit(t *testing.T, db *store.DB) {
	ctx := t.Context()
	var ran []string
	tx(t, db, func(tx *store.Tx) error {
		tx.AfterCommit(func() { ran = append(ran, "committed") })
		if len(ran) != 0 {
			t.Errorf("an after-commit hook ran before the commit")
		}
		return nil
	})
	boom := errors.New("boom")
	err := db.Tx(ctx, func(tx *store.Tx) error {
		tx.AfterCommit(func() { ran = append(ran, "rolled back") })
		return boom
	})
	if !errors.Is(err, boom) || !slices.Equal(ran, []string{"committed"}) {
		t.Errorf("hooks ran %v (err %v), want only the committed transaction's", ran, err)
	}
}
