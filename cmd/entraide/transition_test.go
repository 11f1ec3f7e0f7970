package main

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"

	"entraide/internal/web"
)

// TestRequestTransitionIfMatch: request transition moves a request only
// at the version its official saw: the one read just before, or the one
// --if-match names; a stale one is refused with the node's 412.
func TestRequestTransitionIfMatch(t *testing.T) {
	c := requestEnv(t)
	// Serve the node through a recorder of the If-Match headers sent.
	var mu sync.Mutex
	var sent []string
	h := web.NewServer(c.openNode(), slog.New(slog.DiscardHandler), web.Config{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == "POST" && strings.HasSuffix(r.URL.Path, "/transitions") {
			mu.Lock()
			sent = append(sent, r.Header.Get("If-Match"))
			mu.Unlock()
		}
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	c.env["ENTRAIDE_URL"] = srv.URL

	out := c.must("request", "create", writeFile(t, "pres.json", preservationJSON))
	id := regexp.MustCompile(`^Created (\S+):`).FindStringSubmatch(out)[1]
	if out := c.must("request", "show", id); !strings.Contains(out, "Version: 1") {
		t.Errorf("request show: no Version: 1 in\n%s", out)
	}
	_, _, err := c.run("request", "transition", id, "--action", "send", "--if-match", "7")
	if err == nil || !strings.Contains(err.Error(), "412") || !strings.Contains(err.Error(), "If-Match") {
		t.Errorf("transition --if-match 7 of a request at version 1 = %v, want a 412 naming If-Match", err)
	}
	c.must("request", "transition", id, "--action", "withdraw", "--if-match", "1")
	c.must("request", "transition", id, "--action", "close")
	mu.Lock()
	defer mu.Unlock()
	if want := []string{`"7"`, `"1"`, `"2"`}; strings.Join(sent, " ") != strings.Join(want, " ") {
		t.Errorf("If-Match sent: %q, want %q (the version read before the last)", sent, want)
	}
}

// TestRequestCreateIdempotencyKey: running request create again with the
// same key makes no second draft.
func TestRequestCreateIdempotencyKey(t *testing.T) {
	c := requestEnv(t)
	file := writeFile(t, "pres.json", preservationJSON)
	first := c.must("request", "create", file, "--idempotency-key", "case-42-preservation")
	again := c.must("request", "create", file, "--idempotency-key", "case-42-preservation")
	if first != again {
		t.Errorf("request create run twice with one key:\n%s\n%s\nwant the same draft", first, again)
	}
	if lines := tableRows(c.must("request", "list")); len(lines) != 2 {
		t.Errorf("request list = %d lines, want a header and 1 request", len(lines))
	}
}

// TestRequestTransitionNamesNext: an action the request's state does not
// allow fails with the command to run next and every action allowed.
func TestRequestTransitionNamesNext(t *testing.T) {
	c := requestEnv(t)
	out := c.must("request", "create", writeFile(t, "pres.json", preservationJSON))
	id := regexp.MustCompile(`^Created (\S+):`).FindStringSubmatch(out)[1]
	c.must("request", "transition", id, "--action", "send")
	tests := []struct {
		name   string
		action string
		want   []string
	}{
		{"art 40(25): closing a request not decided names withdraw", "close",
			[]string{"409", "cannot close a request that is received", "next: entraide request transition " + id + " --action withdraw (allowed now: withdraw)"}},
		{"art 40(27): accepting conditions nobody proposed names withdraw", "accept_conditions",
			[]string{"409", "next: entraide request transition " + id + " --action withdraw"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := c.run("request", "transition", id, "--action", tt.action)
			for _, w := range tt.want {
				if err == nil || !strings.Contains(err.Error(), w) {
					t.Errorf("request transition --action %s = %v, want it to say %q", tt.action, err, w)
				}
			}
		})
	}
}

// TestRequestTransitionErrorsNameNext: every way request transition can
// fail says what to run or give next.
func TestRequestTransitionErrorsNameNext(t *testing.T) {
	c := requestEnv(t)
	out := c.must("request", "create", writeFile(t, "pres.json", preservationJSON))
	id := regexp.MustCompile(`^Created (\S+):`).FindStringSubmatch(out)[1]
	tests := []struct {
		name string
		args []string
		want []string
	}{
		{"no --action", []string{id},
			[]string{"name one request id and an --action", "next: entraide request transition ID --action ACTION", "entraide request list", "acknowledge"}},
		{"an action that is none", []string{id, "--action", "approve"},
			[]string{`--action "approve" is not an action`, "next: run it again with one of", "withdraw", "entraide request show " + id}},
		{"art 42(7): --until not a date", []string{id, "--action", "ask_extension", "--until", "31/12/2026"},
			[]string{"--until", "next: give --until as a date in UTC, YYYY-MM-DD"}},
		{"a request the State does not hold", []string{"no-such-request", "--action", "send"},
			[]string{"404", "next: entraide request list"}},
		{"a version no longer current", []string{id, "--action", "send", "--if-match", "7"},
			[]string{"412", "next: entraide request show " + id, "without --if-match"}},
		{"art 40(25): a step of the other State", []string{id, "--action", "acknowledge"},
			[]string{"403", "next: entraide request show " + id, "the other State"}},
		{"art 40(25): a note that does not conform", []string{id, "--action", "withdraw", "--note", "a\x00b"},
			[]string{"422", "note", "next: correct the flag named above and run the command again"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := c.run(append([]string{"request", "transition"}, tt.args...)...)
			for _, w := range tt.want {
				if err == nil || !strings.Contains(err.Error(), w) {
					t.Errorf("request transition %v = %v, want it to say %q", tt.args, err, w)
				}
			}
		})
	}
}
