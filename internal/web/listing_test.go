package web

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"entraide/internal/casework"
	"entraide/internal/identity"
	"entraide/internal/store"
	"entraide/internal/store/storetest"
)

// TestListingArrivalsFiltersAndTotal: the listing shows new arrivals
// first, whenever the requesting State drafted them; its filters select by
// counterpart, urgency, deadline, arrival, last change and text, and every
// page says how many the filter selects.
func TestListingArrivalsFiltersAndTotal(t *testing.T) {
	for _, backend := range storetest.Backends {
		t.Run(backend, func(t *testing.T) {
			tn := newTestNode(t, backend)
			fra, vnm, zaf := tn.token(t, "FRA", identity.CentralAuthority), tn.token(t, "VNM", identity.CentralAuthority), tn.token(t, "ZAF", identity.CentralAuthority)
			// Viet Nam drafts first and sends last: it arrives at France's
			// node after France's own draft.
			fromVNM := tn.create(t, vnm, mlaContents("FRA"))
			ownDraft := tn.create(t, fra, mlaContents("ZAF"))
			tn.mustMove(t, vnm, fromVNM.ID, casework.Transition{Action: casework.Send}, casework.Received)
			// France asks South Africa to preserve data; South Africa does.
			pres := tn.create(t, fra, preservationContents("ZAF"))
			tn.mustMove(t, fra, pres.ID, casework.Transition{Action: casework.Send}, casework.Received)
			tn.mustMove(t, zaf, pres.ID, casework.Transition{Action: casework.Acknowledge}, casework.Acknowledged)
			started := tn.mustMove(t, zaf, pres.ID, casework.Transition{Action: casework.Start}, casework.InProgress)
			if started.Preservation == nil || started.Preservation.Until.IsZero() {
				t.Fatalf("started preservation = %+v, want a deadline", started.Preservation)
			}
			until := started.Preservation.Until
			changed := tn.view(t, fra, pres.ID).Request.UpdatedAt

			list := func(t *testing.T, query string) store.Page {
				t.Helper()
				r := tn.do(t, "GET", "/api/v1/requests?"+query, fra, nil)
				if r.Status != http.StatusOK {
					t.Fatalf("GET ?%s: status %d; body %s", query, r.Status, r.Body)
				}
				return decodeBody[store.Page](t, r)
			}
			ids := func(p store.Page) []string {
				var out []string
				for _, r := range p.Requests {
					out = append(out, r.ID)
				}
				return out
			}
			day := func(t time.Time) string { return t.Format(time.DateOnly) }
			tests := []struct {
				name  string
				query string
				want  []string // in order
			}{
				{"art 40(13): new arrivals first, not the requesting State's draft time", "", []string{pres.ID, fromVNM.ID, ownDraft.ID}},
				{"counterpart", "counterpart=VNM", []string{fromVNM.ID}},
				{"counterpart in lower case", "counterpart=zaf", []string{pres.ID, ownDraft.ID}},
				{"urgency", "urgency=urgent", []string{pres.ID}},
				{"art 42(1): deadline before", "due_before=" + url.QueryEscape(until.Add(time.Hour).Format(time.RFC3339)), []string{pres.ID}},
				{"art 42(1): no deadline before its end", "due_before=" + url.QueryEscape(until.Format(time.RFC3339)), nil},
				{"art 42(1): nearest deadline first, then those without one", "sort=deadline", append([]string{pres.ID}, slices.Sorted(slices.Values([]string{ownDraft.ID, fromVNM.ID}))...)},
				{"arrived from a day", "from=" + day(testEpoch), []string{pres.ID, fromVNM.ID, ownDraft.ID}},
				{"arrived to the day before", "to=" + day(testEpoch.AddDate(0, 0, -1)), nil},
				{"arrived to a day takes the whole day", "to=" + day(testEpoch), []string{pres.ID, fromVNM.ID, ownDraft.ID}},
				{"updated since", "updated_since=" + url.QueryEscape(changed.Format(time.RFC3339Nano)), []string{pres.ID}},
				{"text, whatever its case", "q=DELETES+LOGS", []string{pres.ID}},
				{"text with a LIKE wildcard is taken as text", "q=" + url.QueryEscape("100%"), nil},
				{"filters together", "counterpart=ZAF&urgency=normal", []string{ownDraft.ID}},
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					p := list(t, tt.query)
					if got := ids(p); !slices.Equal(got, tt.want) {
						t.Errorf("GET ?%s = %v, want %v", tt.query, got, tt.want)
					}
					if p.Total != len(tt.want) {
						t.Errorf("GET ?%s: total %d, want %d", tt.query, p.Total, len(tt.want))
					}
				})
			}

			// Every page gives the total; the pages together give each once,
			// in either order.
			for _, sort := range []string{"arrival", "deadline"} {
				var all []string
				cursor := ""
				for range 4 {
					p := list(t, "sort="+sort+"&limit=1&cursor="+cursor)
					if p.Total != 3 {
						t.Errorf("sort=%s page total = %d, want 3", sort, p.Total)
					}
					all = append(all, ids(p)...)
					if cursor = p.NextCursor; cursor == "" {
						break
					}
				}
				if want := ids(list(t, "sort="+sort)); !slices.Equal(all, want) {
					t.Errorf("sort=%s one by one = %v, want %v", sort, all, want)
				}
			}
			arrivalCursor := list(t, "limit=1").NextCursor

			for _, tt := range []struct{ name, query, field string }{
				{"counterpart not a State", "counterpart=XX", "counterpart"},
				{"urgency unknown", "urgency=high", "urgency"},
				{"deadline not a date", "due_before=soon", "due_before"},
				{"arrival not a date", "from=2026-13-01", "from"},
				{"updated_since not a time", "updated_since=yesterday", "updated_since"},
				{"sort unknown", "sort=colour", "sort"},
				{"text too long", "q=" + strings.Repeat("a", MaxListText+1), "q"},
				{"a cursor of another order", "sort=deadline&cursor=" + arrivalCursor, "cursor"},
			} {
				t.Run(tt.name, func(t *testing.T) {
					p := wantProblem(t, tn.do(t, "GET", "/api/v1/requests?"+tt.query, fra, nil), http.StatusBadRequest, tt.field, "")
					if !strings.Contains(p.Detail+p.Errors[0].Message, tt.field) {
						t.Errorf("problem %+v does not name %s", p, tt.field)
					}
				})
			}
		})
	}
}

// TestAlertsCursor: every alert can be reached, page by page, past the
// largest page.
func TestAlertsCursor(t *testing.T) {
	for _, backend := range storetest.Backends {
		t.Run(backend, func(t *testing.T) {
			tn := newTestNode(t, backend)
			fra, vnm := tn.token(t, "FRA", identity.CentralAuthority), tn.token(t, "VNM", identity.TwentyFourSeven)
			for range 5 {
				p := tn.create(t, fra, preservationContents("VNM"))
				tn.mustMove(t, fra, p.ID, casework.Transition{Action: casework.Send}, casework.Received)
			}
			type alertPage struct {
				Alerts []struct {
					ID string `json:"id"`
				} `json:"alerts"`
				NextCursor string `json:"next_cursor"`
			}
			seen := map[string]bool{}
			var order []string
			cursor, pages := "", 0
			for {
				r := tn.do(t, "GET", "/api/v1/alerts?limit=2&cursor="+cursor, vnm, nil)
				if r.Status != http.StatusOK {
					t.Fatalf("GET /api/v1/alerts?cursor=%s: status %d; body %s", cursor, r.Status, r.Body)
				}
				p := decodeBody[alertPage](t, r)
				pages++
				for _, a := range p.Alerts {
					if seen[a.ID] {
						t.Errorf("alert %s on two pages", a.ID)
					}
					seen[a.ID] = true
					order = append(order, a.ID)
				}
				if cursor = p.NextCursor; cursor == "" || pages > 5 {
					break
				}
			}
			if len(seen) != 5 || pages != 3 {
				t.Errorf("art 41: paging 5 alerts by 2 gave %d alerts in %d pages, want 5 in 3", len(seen), pages)
			}
			all := decodeBody[alertPage](t, tn.do(t, "GET", "/api/v1/alerts", vnm, nil))
			var want []string
			for _, a := range all.Alerts {
				want = append(want, a.ID)
			}
			if !slices.Equal(order, want) {
				t.Errorf("pages = %v, want the one listing's order %v", order, want)
			}
			wantProblem(t, tn.do(t, "GET", "/api/v1/alerts?cursor=%21%21", vnm, nil), http.StatusBadRequest, "cursor", "")
		})
	}
}
