package ui

import (
	"bytes"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"entraide/internal/identity"
)

// keepAlive is how often an idle feed sends a comment, so that proxies
// keep it open and a closed session is noticed.
const keepAlive = 15 * time.Second

// consoleStream is the console's live feed: each event of the viewer's
// State's alerts as Server-Sent Events, whose data is the alert's item of
// the console rendered on the server. It starts after the event the
// console page was rendered at (after=), or after Last-Event-ID when the
// browser reconnects, so that nothing falls between the page and the
// feed. It ends when the session does.
func (u *UI) consoleStream() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		after := int64(-1)
		for _, v := range []string{r.Header.Get("Last-Event-ID"), r.URL.Query().Get("after")} {
			if n, err := strconv.ParseInt(v, 10, 64); err == nil && n >= 0 {
				after = n
				break
			}
		}
		ctx, by := r.Context(), actorFrom(r.Context())
		feed, err := u.node.SubscribeAlerts(ctx, by, after)
		if err != nil {
			u.failErr(w, r, err)
			return
		}
		rc := http.NewResponseController(w)
		rc.SetWriteDeadline(time.Time{})
		w.Header().Set("Content-Type", "text/event-stream")
		w.Header().Set("X-Accel-Buffering", "no")
		w.WriteHeader(http.StatusOK)
		write := func(s string) bool {
			rc.SetWriteDeadline(time.Now().Add(keepAlive))
			if _, err := w.Write([]byte(s)); err != nil {
				return false
			}
			return rc.Flush() == nil
		}
		valid := func() bool { _, err := u.session(r); return err == nil }
		if !write("retry: 5000\n\n") {
			return
		}
		tmpl := u.pages[localeOf(r.Context()).Code]["console"]
		canAck := by.Role.Can(identity.ActOnRequests)
		tick := time.NewTicker(keepAlive)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case e, ok := <-feed:
				if !ok || !valid() {
					return
				}
				var buf bytes.Buffer
				if err := tmpl.ExecuteTemplate(&buf, "alert", map[string]any{"A": &e.Alert, "CanAck": canAck}); err != nil {
					u.log.ErrorContext(ctx, "render alert", "err", err)
					return
				}
				var msg strings.Builder
				fmt.Fprintf(&msg, "id: %d\nevent: alert\n", e.Seq)
				for line := range strings.Lines(buf.String()) {
					msg.WriteString("data: " + strings.TrimRight(line, "\r\n") + "\n")
				}
				msg.WriteString("\n")
				if !write(msg.String()) {
					return
				}
			case <-tick.C:
				if !valid() || !write(": keep-alive\n\n") {
					return
				}
			}
		}
	})
}
