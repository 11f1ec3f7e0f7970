package web

import (
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"

	"entraide/internal/alerting"
	"entraide/internal/casework"
	"entraide/internal/convention"
	"entraide/internal/identity"
)

// TestOpenAPIConventions holds the document to what clients and linters
// expect of a serious API: security stated on every operation, the
// statuses every operation may give, enumerations and bounds, and the
// headers the API reads and writes.
func TestOpenAPIConventions(t *testing.T) {
	var doc map[string]any
	if err := json.Unmarshal(OpenAPI(), &doc); err != nil {
		t.Fatal(err)
	}
	if servers, _ := doc["servers"].([]any); len(servers) == 0 {
		t.Errorf("servers: none, want this node's")
	}
	for _, rt := range routeTable() {
		where := rt.Method + " " + rt.Path
		op, _ := dig(doc, "paths", rt.Path, strings.ToLower(rt.Method)).(map[string]any)
		if op == nil {
			t.Errorf("%s: not in the document", where)
			continue
		}
		security, ok := op["security"].([]any)
		want := 1
		switch {
		case rt.Public:
			want = 0
		case rt.Session:
			want = 2
		}
		if !ok || len(security) != want {
			t.Errorf("%s: security %v, want [] for a public operation, bearer or the UI's session for the pages' uploads and downloads, and bearer otherwise", where, op["security"])
		}
		codes := []int{http.StatusMethodNotAllowed, http.StatusTooManyRequests}
		if !rt.Public || isInbox(rt) {
			codes = append(codes, http.StatusForbidden)
		}
		for _, code := range codes {
			if dig(op, "responses", strconv.Itoa(code)) == nil {
				t.Errorf("%s: status %d is not documented", where, code)
			}
		}
		if h, _ := dig(op, "responses", "429", "headers", "Retry-After").(map[string]any); h == nil || h["required"] != true {
			t.Errorf("%s: 429 without a required Retry-After header", where)
		}
		params := map[string]map[string]any{}
		list, _ := op["parameters"].([]any)
		for _, p := range list {
			m := p.(map[string]any)
			params[m["in"].(string)+" "+m["name"].(string)] = m
		}
		if rt.Method == "POST" && idempotent(rt) && params["header Idempotency-Key"] == nil {
			t.Errorf("%s: no Idempotency-Key header parameter", where)
		}
		if p := params["query limit"]; p != nil {
			s := p["schema"].(map[string]any)
			if s["type"] != "integer" || s["minimum"] != 1.0 || s["maximum"] == nil {
				t.Errorf("%s: limit schema %v, want an integer from 1 to a maximum", where, s)
			}
		}
	}
	for _, want := range []struct{ op, in, name string }{
		{"post /api/v1/requests/{id}/transitions", "header", "If-Match"},
		{"get /api/v1/alerts/stream", "header", "Last-Event-ID"},
	} {
		method, path, _ := strings.Cut(want.op, " ")
		list, _ := dig(doc, "paths", path, method, "parameters").([]any)
		if !slices.ContainsFunc(list, func(p any) bool {
			m := p.(map[string]any)
			return m["in"] == want.in && m["name"] == want.name
		}) {
			t.Errorf("%s: no %s parameter %s", want.op, want.in, want.name)
		}
	}
	for _, want := range []struct{ op, status, header string }{
		{"post /api/v1/requests", "201", "Location"},
		{"post /api/v1/requests", "201", "ETag"},
		{"get /api/v1/requests/{id}", "200", "ETag"},
		{"post /api/v1/requests/{id}/transitions", "200", "ETag"},
		{"post /api/v1/roster", "201", "Location"},
	} {
		method, path, _ := strings.Cut(want.op, " ")
		if dig(doc, "paths", path, method, "responses", want.status, "headers", want.header) == nil {
			t.Errorf("%s: answer %s does not describe %s", want.op, want.status, want.header)
		}
	}
	var kinds []string
	for _, spec := range convention.Kinds() {
		kinds = append(kinds, string(spec.Kind))
	}
	for name, values := range map[string][]string{
		"convention.Kind":   kinds,
		"casework.State":    stringsOf(casework.States()),
		"casework.Action":   stringsOf(casework.AllActions()),
		"identity.Role":     stringsOf(identity.Roles),
		"alerting.Channel":  stringsOf(alerting.Channels),
		"convention.Ground": stringsOf(convention.Grounds()),
	} {
		enum, _ := dig(doc, "components", "schemas", name, "enum").([]any)
		var got []string
		for _, v := range enum {
			got = append(got, v.(string))
		}
		if !slices.Equal(got, values) || len(got) == 0 {
			t.Errorf("components.schemas[%s].enum = %v, want %v", name, got, values)
		}
	}
}
