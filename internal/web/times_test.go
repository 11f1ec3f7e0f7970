package web

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"entraide/internal/alerting"
	"entraide/internal/casework"
	"entraide/internal/identity"
	"entraide/internal/node"
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
