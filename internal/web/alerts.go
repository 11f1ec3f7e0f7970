package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"time"

	"entraide/internal/alerting"
	"entraide/internal/node"
	"entraide/internal/store"
)

// streamKeepAlive is how often an idle alert stream sends a comment, so
// that proxies keep it open and a dead client is noticed.
const streamKeepAlive = 15 * time.Second

func (s *Server) listAlerts() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		var f store.AlertFilter
		if v := q.Get("open"); v != "" {
			open, err := strconv.ParseBool(v)
			if err != nil {
				writeError(w, r, s.log, badRequest("open", "open is true or false"))
				return
			}
			f.Open = open
		}
		if v := q.Get("reason"); v != "" {
			if !slices.Contains(alerting.Reasons, alerting.Reason(v)) {
				writeError(w, r, s.log, badRequest("reason", "unknown reason %q: one of %v", v, alerting.Reasons))
				return
			}
			f.Reason = alerting.Reason(v)
		}
		if v := q.Get("limit"); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 || n > MaxPageSize {
				writeError(w, r, s.log, badRequest("limit", "limit is a number from 1 to %d", MaxPageSize))
				return
			}
			f.Limit = n
		}
		f.Cursor = q.Get("cursor")
		list, err := s.node.Alerts(r.Context(), actorFrom(r.Context()), f)
		if errors.Is(err, store.ErrBadCursor) {
			err = badRequest("cursor", "use the next_cursor of a previous page")
		}
		if err != nil {
			writeError(w, r, s.log, err)
			return
		}
		encode(w, http.StatusOK, list)
	})
}

func (s *Server) ackAlert() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, err := pathID(r, "id")
		if err != nil {
			writeError(w, r, s.log, err)
			return
		}
		a, err := s.node.AckAlert(r.Context(), actorFrom(r.Context()), id)
		if err != nil {
			writeError(w, r, s.log, err)
			return
		}
		encode(w, http.StatusOK, a)
	})
}

// alertStream serves the live feed of the caller's State's alerts as
// Server-Sent Events: one event per change, its id the event's sequence
// number, its name "alert." and the change, its data an alerting.Event in
// JSON. A client that reconnects with Last-Event-ID misses nothing; after
// gives the same for a first connection (none: from now on). With
// follow=false the stream ends once it has sent the events after the one
// named, at most 1000. An official holds at most
// Limits.StreamsPerOfficial feeds open; the next is a 429.
func (s *Server) alertStream() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		after := int64(-1)
		for _, p := range []struct{ field, value string }{{"after", q.Get("after")}, {"Last-Event-ID", r.Header.Get("Last-Event-ID")}} {
			if p.value == "" {
				continue
			}
			n, err := strconv.ParseInt(p.value, 10, 64)
			if err != nil || n < 0 {
				writeError(w, r, s.log, badRequest(p.field, "%s is the id of an event, 0 or more", p.field))
				return
			}
			after = n // Last-Event-ID, read last, wins: it is where a reconnecting client stopped
		}
		follow := true
		if v := q.Get("follow"); v != "" {
			f, err := strconv.ParseBool(v)
			if err != nil {
				writeError(w, r, s.log, badRequest("follow", "follow is true or false"))
				return
			}
			follow = f
		}
		ctx, by := r.Context(), actorFrom(r.Context())
		done, ok := s.streams.take(by.State + "/" + by.ID)
		if !ok {
			s.writeRateLimited(w, "streams", "official", fmt.Sprintf("%d live feeds of alerts are open for you already; close one", s.limits.StreamsPerOfficial), 5*time.Second)
			return
		}
		defer done()
		s.metrics.streams.Inc()
		defer s.metrics.streams.Dec()
		var backlog []alerting.Event
		var feed <-chan alerting.Event
		var err error
		if follow {
			feed, err = s.node.SubscribeAlerts(ctx, by, after)
		} else {
			backlog, err = s.node.AlertEvents(ctx, by, after, 1000)
		}
		if err != nil {
			writeError(w, r, s.log, err)
			return
		}
		rc := http.NewResponseController(w)
		// A stream outlives the server's write timeout: each write gets
		// its own deadline instead. (The read timeout ends with the
		// request's headers: the server lifts it once a request without a
		// body is read.)
		rc.SetWriteDeadline(time.Time{})
		h := w.Header()
		h.Set("Content-Type", "text/event-stream")
		h.Set("Cache-Control", "no-store")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Accel-Buffering", "no")
		w.WriteHeader(http.StatusOK)
		write := func(format string, args ...any) bool {
			rc.SetWriteDeadline(time.Now().Add(streamKeepAlive))
			if _, err := fmt.Fprintf(w, format, args...); err != nil {
				return false
			}
			return rc.Flush() == nil
		}
		event := func(e alerting.Event) bool {
			data, err := json.Marshal(e)
			if err != nil {
				return false
			}
			return write("id: %d\nevent: alert.%s\ndata: %s\n\n", e.Seq, e.Type, data)
		}
		if !write(": alerts of %s\nretry: 5000\n\n", by.State) {
			return
		}
		for _, e := range backlog {
			if !event(e) {
				return
			}
		}
		if !follow {
			return
		}
		// A feed outlives the check of its token when it opened: each
		// event, and each keep-alive, is sent only while the token still
		// works, so that a revoked token or a disabled official gets
		// nothing more (at once on this node, within the authentication
		// cache's 2 s on its other replicas). The client that reconnects
		// gets the 401 that says why.
		token, _ := bearerToken(r.Header.Get("Authorization"))
		valid := func() bool {
			_, err := s.node.Authenticate(ctx, token)
			return err == nil
		}
		keepAlive := time.NewTicker(streamKeepAlive)
		defer keepAlive.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case e, ok := <-feed:
				if !ok || !valid() || !event(e) {
					return
				}
			case <-keepAlive.C:
				if !valid() || !write(": keep-alive\n\n") {
					return
				}
			}
		}
	})
}

func (s *Server) listRoster() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		entries, err := s.node.Roster(r.Context(), actorFrom(r.Context()))
		if err != nil {
			writeError(w, r, s.log, err)
			return
		}
		encode(w, http.StatusOK, entries)
	})
}

func (s *Server) addRosterEntry() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		in, err := decode[node.RosterInput](w, r)
		if err != nil {
			writeError(w, r, s.log, err)
			return
		}
		e, err := s.node.AddRosterEntry(r.Context(), actorFrom(r.Context()), in)
		if err != nil {
			writeError(w, r, s.log, err)
			return
		}
		w.Header().Set("Location", "/api/v1/roster/"+e.ID)
		encode(w, http.StatusCreated, e)
	})
}

func (s *Server) removeRosterEntry() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, err := pathID(r, "id")
		if err != nil {
			writeError(w, r, s.log, err)
			return
		}
		e, err := s.node.RemoveRosterEntry(r.Context(), actorFrom(r.Context()), id)
		if err != nil {
			writeError(w, r, s.log, err)
			return
		}
		encode(w, http.StatusOK, e)
	})
}
