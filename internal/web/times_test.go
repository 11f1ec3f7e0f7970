package web

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"entraide/internal/alerting"
	"entraide/internal/casework"
	"entraide/internal/identity"
	"entraide/internal/node"
	"entraide/internal/store"
	"entraide/internal/store/storetest"
)

// A roster line ending at 9999-12-31T23:00:00-05:00, the year 10000 in
// UTC, was stored; every read of the roster then failed, and escalation
// with it. It is refused, naming the field, and the roster keeps working.
func TestTimeOutsideStoredYears(t *testing.T) {
	for _, backend := range storetest.Backends {
		t.Run(backend, func(t *testing.T) {
			tn := newTestNode(t, backend)
			admin := tn.token(t, "FRA", identity.Administrator)
			onCall := officialID("FRA", identity.TwentyFourSeven)
			body := func(from, until string) string {
				s := `{"user":"` + onCall + `","channel":"email","address":"duty@fra.example"`
				if from != "" {
					s += `,"from":"` + from + `"`
				}
				if until != "" {
					s += `,"until":"` + until + `"`
				}
				return s + "}"
			}
			for _, tt := range []struct{ name, from, until, field string }{
				{"until in the year 10000 in UTC", "", "9999-12-31T23:00:00-05:00", "until"},
				{"from before 1970 in UTC", "1970-01-01T00:30:00+01:00", "", "from"},
				{"from in year 1", "0001-01-01T00:00:00+01:00", "", "from"},
			} {
				t.Run(tt.name, func(t *testing.T) {
					p := wantProblem(t, tn.do(t, "POST", "/api/v1/roster", admin, body(tt.from, tt.until)), http.StatusUnprocessableEntity, tt.field, "art. 41")
					if !strings.Contains(p.Errors[0].Message, "1970 to 9999") {
						t.Errorf("problem %+v: want it to say which years are taken", p.Errors)
					}
				})
			}

			// A time with an offset is kept in UTC.
			r := tn.do(t, "POST", "/api/v1/roster", admin, body("2026-03-02T08:00:00+02:00", "9999-12-31T18:00:00-05:00"))
			if r.Status != http.StatusCreated {
				t.Fatalf("POST /api/v1/roster: %d %s", r.Status, r.Body)
			}
			e := decodeBody[alerting.Entry](t, r)
			if !strings.Contains(string(r.Body), `"from":"2026-03-02T06:00:00Z"`) || !strings.Contains(string(r.Body), `"until":"9999-12-31T23:00:00Z"`) {
				t.Errorf("created %s: want from and until in UTC", r.Body)
			}
			stored, err := tn.Node.Roster(t.Context(), tn.Node.Admin())
			if err != nil || len(stored) != 1 || stored[0].From.Location() != time.UTC || !stored[0].From.Equal(time.Date(2026, 3, 2, 6, 0, 0, 0, time.UTC)) {
				t.Fatalf("stored roster %+v, %v; want one line from 06:00 UTC", stored, err)
			}

			// The roster, its changes and escalation all keep working.
			if entries := decodeBody[[]alerting.Entry](t, tn.do(t, "GET", "/api/v1/roster", admin, nil)); len(entries) != 1 || entries[0].ID != e.ID {
				t.Errorf("GET /api/v1/roster: %+v, want the one line", entries)
			}
			tn.raiseAlert(t, "FRA")
			if err := tn.Node.ProcessAlerts(t.Context()); err != nil {
				t.Errorf("ProcessAlerts: %v", err)
			}
			if r := tn.do(t, "DELETE", "/api/v1/roster/"+e.ID, admin, nil); r.Status != http.StatusOK {
				t.Errorf("DELETE /api/v1/roster/%s: %d %s", e.ID, r.Status, r.Body)
			}

			// art 42: a preservation's end is a time like any other.
			fra247, vnm247 := tn.token(t, "FRA", identity.TwentyFourSeven), tn.token(t, "VNM", identity.TwentyFourSeven)
			pres := tn.create(t, fra247, preservationContents("VNM"))
			tn.mustMove(t, fra247, pres.ID, casework.Transition{Action: casework.Send}, casework.Received)
			tn.mustMove(t, vnm247, pres.ID, casework.Transition{Action: casework.Acknowledge}, casework.Acknowledged)
			far := `{"action":"start","preserve_until":"9999-12-31T23:00:00-05:00"}`
			wantProblem(t, tn.do(t, "POST", "/api/v1/requests/"+pres.ID+"/transitions", vnm247, far), http.StatusUnprocessableEntity, "preserve_until", "art. 42")
			east := time.Date(2027, 1, 1, 3, 0, 0, 0, time.FixedZone("UTC+9", 9*3600))
			started := tn.mustMove(t, vnm247, pres.ID, casework.Transition{Action: casework.Start, PreserveUntil: &east}, casework.InProgress)
			if u := started.Preservation.Until; u.Location() != time.UTC || !u.Equal(east) {
				t.Errorf("preserved until %v, want %v in UTC", u, east.UTC())
			}

			// A declaration's date.
			decl := node.DeclarationInput{Article: 41, MadeOn: "1969-12-31", Text: "point of contact"}
			wantProblem(t, tn.do(t, "POST", "/api/v1/states/FRA/declarations", admin, decl), http.StatusUnprocessableEntity, "made_on", "")
		})
	}
}

// A time that is not RFC 3339 is a 400 naming its field and the form it
// takes, not the parser's own words ("cannot parse "" as "T"").
func TestTimeNotRFC3339(t *testing.T) {
	tn := newTestNode(t, "sqlite")
	admin := tn.token(t, "FRA", identity.Administrator)
	for _, until := range []string{"2026-12-02", "2026-12-02 10:00", "10000-01-01T00:00:00Z"} {
		body := `{"user":"` + officialID("FRA", identity.TwentyFourSeven) + `","channel":"email","address":"duty@fra.example","until":"` + until + `"}`
		p := wantProblem(t, tn.do(t, "POST", "/api/v1/roster", admin, body), http.StatusBadRequest, "until", "")
		if msg := p.Errors[0].Message; !strings.Contains(msg, until) || !strings.Contains(msg, "RFC 3339") || !strings.Contains(msg, "2026-03-02T08:00:00Z") || strings.Contains(msg, "cannot parse") {
			t.Errorf("until %q: %q, want the value, the form expected and an example, not the parser's words", until, msg)
		}
	}
}

// A stored row that cannot be read, written here with SQL as a node
// before the bounds could have stored it, is reported for itself: the
// lists answer with the others, and escalation goes on.
func TestUnreadableRows(t *testing.T) {
	for _, backend := range storetest.Backends {
		t.Run(backend, func(t *testing.T) {
			tn := newTestNode(t, backend)
			db := tn.Node.DB()
			admin := tn.token(t, "VNM", identity.Administrator)
			hook := func(user string) node.RosterInput {
				return node.RosterInput{User: officialID("VNM", user2role(user)), Channel: alerting.Webhook,
					Address: "https://duty.vnm.example/" + user, Secret: "a-secret-of-16-chars"}
			}
			good := decodeBody[alerting.Entry](t, tn.do(t, "POST", "/api/v1/roster", admin, hook("247")))
			bad := decodeBody[alerting.Entry](t, tn.do(t, "POST", "/api/v1/roster", admin, hook("ca")))
			storetest.ExecSQL(t, db, `UPDATE roster SET position = 1, until_at = '10000-01-01T04:00:00.000000Z' WHERE id = ?`, bad.ID)

			r := tn.do(t, "GET", "/api/v1/roster", admin, nil)
			if r.Status != http.StatusOK {
				t.Fatalf("GET /api/v1/roster with an unreadable line: %d %s", r.Status, r.Body)
			}
			entries := decodeBody[[]alerting.Entry](t, r)
			if len(entries) != 2 {
				t.Fatalf("roster %+v, want both lines", entries)
			}
			for _, e := range entries {
				if (e.ID == bad.ID) != (e.Unreadable != "") || (e.ID == bad.ID && !strings.Contains(e.Unreadable, bad.ID)) {
					t.Errorf("line %s: unreadable %q; want only %s marked, naming itself", e.ID, e.Unreadable, bad.ID)
				}
			}

			// Escalation reaches the readable line, and only it.
			a := tn.raiseAlert(t, "VNM")
			if err := tn.Node.ProcessAlerts(t.Context()); err != nil {
				t.Fatalf("ProcessAlerts: %v", err)
			}
			sent, err := db.Notifications(t.Context(), a.ID)
			if err != nil || len(sent) != 1 || sent[0].Entry != good.ID {
				t.Fatalf("notifications of %s: %+v, %v; want one, to roster line %s", a.ID, sent, err, good.ID)
			}

			// An alert whose body cannot be read is named; the others are listed.
			other := tn.raiseAlert(t, "VNM")
			storetest.ExecSQL(t, db, `UPDATE alerts SET body = '{"id":' WHERE id = ?`, other.ID)
			list := decodeBody[node.AlertList](t, tn.do(t, "GET", "/api/v1/alerts", tn.token(t, "VNM", identity.Auditor), nil))
			if len(list.Alerts) != 1 || list.Alerts[0].ID != a.ID || len(list.Unreadable) != 1 || !strings.Contains(list.Unreadable[0], other.ID) {
				t.Errorf("alerts %+v, unreadable %q; want %s listed and %s named", list.Alerts, list.Unreadable, a.ID, other.ID)
			}
			// Escalation sets it aside once, and goes on with the others.
			if err := tn.Node.ProcessAlerts(t.Context()); err == nil || !strings.Contains(err.Error(), other.ID) {
				t.Errorf("ProcessAlerts with an unreadable alert: %v, want it named", err)
			}
			if err := tn.Node.ProcessAlerts(t.Context()); err != nil {
				t.Errorf("ProcessAlerts after setting the alert aside: %v", err)
			}

			// A notification that cannot be read is given up; the next is sent.
			sent, _ = db.Notifications(t.Context(), a.ID)
			storetest.ExecSQL(t, db, `UPDATE alert_notifications SET created_at = 'yesterday', next_attempt = '2000-01-01T00:00:00.000000Z' WHERE id = ?`, sent[0].ID)
			if err := tn.Node.ProcessAlerts(t.Context()); err != nil {
				t.Errorf("ProcessAlerts with an unreadable notification: %v", err)
			}
			if due, err := db.DueNotifications(t.Context(), time.Now(), 100); err != nil {
				t.Errorf("DueNotifications after: %d due, %v; want the unreadable one given up", len(due), err)
			}

			// A request whose stored view cannot be read is named; the
			// others are listed.
			fraCA := tn.token(t, "FRA", identity.CentralAuthority)
			kept := tn.create(t, fraCA, mlaContents("VNM"))
			broken := tn.create(t, fraCA, mlaContents("VNM"))
			storetest.ExecSQL(t, db, `UPDATE requests SET body = 'not json' WHERE id = ?`, broken.ID)
			r = tn.do(t, "GET", "/api/v1/requests", fraCA, nil)
			if r.Status != http.StatusOK {
				t.Fatalf("GET /api/v1/requests with an unreadable request: %d %s", r.Status, r.Body)
			}
			page := decodeBody[struct {
				Requests   []casework.Request `json:"requests"`
				Unreadable []string           `json:"unreadable"`
			}](t, r)
			listed := map[string]bool{}
			for _, r := range page.Requests {
				listed[r.ID] = true
			}
			if !listed[kept.ID] || listed[broken.ID] || len(page.Unreadable) != 1 || !strings.Contains(page.Unreadable[0], broken.ID) {
				t.Errorf("listed %v, unreadable %q; want %s listed and %s named instead", listed, page.Unreadable, kept.ID, broken.ID)
			}

			// The unreadable line can be taken off.
			if r := tn.do(t, "DELETE", "/api/v1/roster/"+bad.ID, admin, nil); r.Status != http.StatusOK {
				t.Errorf("DELETE the unreadable line: %d %s", r.Status, r.Body)
			}
		})
	}
}

func user2role(s string) identity.Role {
	if s == "ca" {
		return identity.CentralAuthority
	}
	return identity.TwentyFourSeven
}

// The officials, tokens, audit records and timeline events the store
// cannot read are reported for themselves: each answer holds the others
// and names the row it could not read.
func TestUnreadableRecords(t *testing.T) {
	for _, backend := range storetest.Backends {
		t.Run(backend, func(t *testing.T) {
			tn := newTestNode(t, backend)
			db := tn.Node.DB()
			admin := tn.token(t, "VNM", identity.Administrator)
			broken := officialID("VNM", identity.TwentyFourSeven)

			// An official, and their token.
			storetest.ExecSQL(t, db, `UPDATE users SET disabled_at = 'soon' WHERE id = ?`, broken)
			storetest.ExecSQL(t, db, `UPDATE tokens SET last_used_at = 'lately' WHERE user_id = ?`, broken)
			r := tn.do(t, "GET", "/api/v1/users", admin, nil)
			if r.Status != http.StatusOK {
				t.Fatalf("GET /api/v1/users with an unreadable official: %d %s", r.Status, r.Body)
			}
			users := decodeBody[[]identity.User](t, r)
			if len(users) < 2 {
				t.Errorf("users %+v, want every official of VNM", users)
			}
			for _, u := range users {
				if (u.ID == broken) != (u.Unreadable != "") || (u.ID == broken && !strings.Contains(u.Unreadable, broken)) {
					t.Errorf("official %s: unreadable %q; want only %s marked, naming itself", u.ID, u.Unreadable, broken)
				}
			}
			r = tn.do(t, "GET", "/api/v1/users/"+broken+"/tokens", admin, nil)
			if r.Status != http.StatusOK {
				t.Fatalf("GET the tokens of %s with an unreadable one: %d %s", broken, r.Status, r.Body)
			}
			if tokens := decodeBody[[]identity.Token](t, r); len(tokens) != 1 || !strings.Contains(tokens[0].Unreadable, tokens[0].ID) {
				t.Errorf("tokens %+v, want the one token marked, naming itself", tokens)
			}

			// Audit records written behind the store's back: the log
			// refuses changes, not additions.
			entries := decodeBody[[]store.AuditEntry](t, tn.do(t, "GET", "/api/v1/audit", admin, nil))
			if len(entries) == 0 {
				t.Fatalf("audit log of VNM: no records, want some")
			}
			const tampered, wrongType = 1_000_000, 1_000_001
			insert := `INSERT INTO audit (seq, at, state, action, subject, record, leaf_hash) VALUES (?, '', 'VNM', 'user.add', '', `
			leaf := make([]byte, 32)
			storetest.ExecSQL(t, db, insert+`?, ?)`, tampered, []byte(`{"seq":1000000}`), leaf)
			if backend == "sqlite" {
				// A column of the wrong type, as only SQLite can hold.
				storetest.ExecSQL(t, db, insert+`7, ?)`, wrongType, leaf)
			}
			r = tn.do(t, "GET", "/api/v1/audit", admin, nil)
			if r.Status != http.StatusOK {
				t.Fatalf("GET /api/v1/audit with an unreadable record: %d %s", r.Status, r.Body)
			}
			after := decodeBody[[]store.AuditEntry](t, r)
			if want := len(entries) + 1 + map[bool]int{true: 1}[backend == "sqlite"]; len(after) != want {
				t.Fatalf("audit log: %d records, want %d", len(after), want)
			}
			for _, e := range after {
				bad := e.Seq >= tampered
				if bad != (e.Unreadable != "") || (bad && !strings.Contains(e.Unreadable, fmt.Sprint(e.Seq))) {
					t.Errorf("audit record %d: unreadable %q; want only the records written behind the store's back marked, naming themselves", e.Seq, e.Unreadable)
				}
			}

			// A timeline event.
			fraCA := tn.token(t, "FRA", identity.CentralAuthority)
			req := tn.create(t, fraCA, mlaContents("VNM"))
			storetest.ExecSQL(t, db, `UPDATE events SET body = '{' WHERE holder = 'FRA' AND request_id = ? AND seq = 1`, req.ID)
			r = tn.do(t, "GET", "/api/v1/requests/"+req.ID, fraCA, nil)
			if r.Status != http.StatusOK {
				t.Fatalf("GET /api/v1/requests/%s with an unreadable event: %d %s", req.ID, r.Status, r.Body)
			}
			doc := decodeBody[requestDoc](t, r)
			if len(doc.Unreadable) != 1 || !strings.Contains(doc.Unreadable[0], req.ID+"/1") {
				t.Errorf("timeline %+v, unreadable %q; want its first event named", doc.Timeline, doc.Unreadable)
			}
		})
	}
}
