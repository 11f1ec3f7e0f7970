package web

import (
	"entraide/internal/ui"

	"bytes"
	"encoding/base64"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata")

// routeTable returns the route table, for the tests to walk. The handlers
// are never called: their setup touches no dependency.
func routeTable() []route { return (&Server{}).routes() }

// contract checks responses against the OpenAPI document the server
// serves.
type contract struct {
	doc    map[string]any
	mux    *http.ServeMux   // matches a request to its route's pattern
	routes map[string]route // by pattern, "GET /api/v1/requests/{id}"
}

// loadContract fetches tn's OpenAPI document.
func loadContract(tb testing.TB, tn *testNode) *contract {
	tb.Helper()
	r := tn.do(tb, "GET", "/api/v1/openapi.json", "", nil)
	if r.Status != http.StatusOK {
		tb.Fatalf("GET /api/v1/openapi.json: status %d", r.Status)
	}
	c := &contract{doc: decodeJSON(tb, r.Body), mux: http.NewServeMux(), routes: map[string]route{}}
	for _, rt := range routeTable() {
		pattern := rt.Method + " " + rt.Path
		c.routes[pattern] = rt
		c.mux.Handle(pattern, http.NotFoundHandler())
	}
	return c
}

// decodeJSON decodes data as generic JSON, numbers as json.Number.
func decodeJSON(tb testing.TB, data []byte) map[string]any {
	tb.Helper()
	var v map[string]any
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		tb.Fatalf("not a JSON object: %v: %.200s", err, data)
	}
	return v
}

// check holds r to the route req matches: a documented status, and a body
// that validates against the schema documented for that status. A request
// that matches no route must get a 404 or 405 problem.
func (c *contract) check(tb testing.TB, req *http.Request, r response) {
	tb.Helper()
	where := req.Method + " " + req.URL.RequestURI()
	if req.URL.Path == ui.TransparencyPath {
		return // a page of the UI, which the API's document does not describe
	}
	_, pattern := c.mux.Handler(req)
	rt, ok := c.routes[pattern]
	if !ok {
		if r.Status != http.StatusNotFound && r.Status != http.StatusMethodNotAllowed {
			tb.Errorf("%s matches no route: status %d, want 404 or 405", where, r.Status)
		}
		return
	}
	op, _ := dig(c.doc, "paths", rt.Path, strings.ToLower(rt.Method)).(map[string]any)
	if op == nil {
		tb.Errorf("%s: route %s is not in the OpenAPI document", where, pattern)
		return
	}
	resp, _ := dig(op, "responses", strconv.Itoa(r.Status)).(map[string]any)
	if resp == nil {
		tb.Errorf("%s: status %d is not documented for %s (body %.300s)", where, r.Status, pattern, r.Body)
		return
	}
	headers, _ := resp["headers"].(map[string]any)
	for _, name := range sortedKeys(headers) {
		if h, _ := headers[name].(map[string]any); h["required"] == true && r.Header.Get(name) == "" {
			tb.Errorf("%s: status %d without the %s header the document promises", where, r.Status, name)
		}
	}
	if r.Status < 300 && r.Status != rt.Status && !(r.Status == http.StatusPartialContent && rt.Response == "application/octet-stream") {
		tb.Errorf("%s: status %d, but the route table says %d", where, r.Status, rt.Status)
	}
	if req.Method == http.MethodHead {
		return // headers only: a HEAD's answer has no body
	}
	if r.Status < 300 && rt.Response == nil {
		if len(r.Body) > 0 {
			tb.Errorf("%s: status %d with a body, where the document promises none: %.200s", where, r.Status, r.Body)
		}
		return
	}
	mediaType := "application/json"
	if r.Status >= 400 {
		mediaType = "application/problem+json"
	} else if mt, ok := rt.Response.(string); ok {
		mediaType = mt
	}
	schema, _ := dig(resp, "content", mediaType, "schema").(map[string]any)
	if schema == nil {
		tb.Errorf("%s: status %d of %s documents no %s schema", where, r.Status, pattern, mediaType)
		return
	}
	if !strings.HasSuffix(mediaType, "json") {
		// A stream of text: the media type, without its parameters, is
		// the contract.
		if ct := r.Header.Get("Content-Type"); strings.TrimSpace(strings.Split(ct, ";")[0]) != mediaType {
			tb.Errorf("%s: Content-Type %q, want %q", where, ct, mediaType)
		}
		return
	}
	var body any
	dec := json.NewDecoder(bytes.NewReader(r.Body))
	dec.UseNumber()
	if err := dec.Decode(&body); err != nil {
		tb.Errorf("%s: status %d: body is not JSON: %v", where, r.Status, err)
		return
	}
	for _, e := range (validator{doc: c.doc}).validate(schema, body, "$") {
		tb.Errorf("%s: status %d: body does not match the documented schema: %s", where, r.Status, e)
	}
}

// dig follows keys through nested JSON objects, or returns nil.
func dig(v any, keys ...string) any {
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

// validator checks JSON values against the subset of JSON Schema that
// openapi.go generates: $ref to components, type (a name or a list),
// properties, required, additionalProperties (false or a schema), items,
// anyOf, format date-time and contentEncoding base64. Any other keyword
// is an error, so that the generator cannot outgrow the check unnoticed.
type validator struct {
	doc map[string]any
}

var schemaKeywords = []string{"$ref", "type", "properties", "required", "additionalProperties", "items", "anyOf", "format", "contentEncoding", "enum"}

// validate returns what is wrong with v at path, or nothing.
func (val validator) validate(schema map[string]any, v any, path string) []string {
	var errs []string
	fail := func(format string, args ...any) { errs = append(errs, path+": "+fmt.Sprintf(format, args...)) }
	for k := range schema {
		if !slices.Contains(schemaKeywords, k) {
			fail("schema keyword %q is outside the subset checked", k)
		}
	}
	if ref, ok := schema["$ref"].(string); ok {
		name, ok := strings.CutPrefix(ref, "#/components/schemas/")
		target, _ := dig(val.doc, "components", "schemas", name).(map[string]any)
		if !ok || target == nil {
			fail("unresolved $ref %q", ref)
			return errs
		}
		return append(errs, val.validate(target, v, path)...)
	}
	if anyOf, ok := schema["anyOf"].([]any); ok {
		var all []string
		for _, s := range anyOf {
			sub, _ := s.(map[string]any)
			e := val.validate(sub, v, path)
			if len(e) == 0 {
				return errs
			}
			all = append(all, e...)
		}
		fail("matches no schema of anyOf: %s", strings.Join(all, "; "))
		return errs
	}
	if t, ok := schema["type"]; ok {
		var types []string
		switch t := t.(type) {
		case string:
			types = []string{t}
		case []any:
			for _, x := range t {
				s, _ := x.(string)
				types = append(types, s)
			}
		}
		if got := jsonType(v); !slices.Contains(types, got) && (got != "integer" || !slices.Contains(types, "number")) {
			fail("a JSON %s, want %s", got, strings.Join(types, " or "))
			return errs
		}
	}
	if enum, ok := schema["enum"].([]any); ok && !slices.Contains(enum, v) {
		fail("%v is not one of %v", v, enum)
	}
	switch v := v.(type) {
	case string:
		if schema["format"] == "date-time" {
			if _, err := time.Parse(time.RFC3339Nano, v); err != nil {
				fail("%q is not a date-time: %v", v, err)
			}
		}
		if schema["contentEncoding"] == "base64" {
			if _, err := base64.StdEncoding.DecodeString(v); err != nil {
				fail("%q is not base64: %v", v, err)
			}
		}
	case []any:
		if items, ok := schema["items"].(map[string]any); ok {
			for i, x := range v {
				errs = append(errs, val.validate(items, x, path+"["+strconv.Itoa(i)+"]")...)
			}
		}
	case map[string]any:
		props, _ := schema["properties"].(map[string]any)
		if req, ok := schema["required"].([]any); ok {
			for _, name := range req {
				if _, ok := v[name.(string)]; !ok {
					fail("required property %q is missing", name)
				}
			}
		}
		for _, name := range sortedKeys(v) {
			if s, ok := props[name].(map[string]any); ok {
				errs = append(errs, val.validate(s, v[name], path+"."+name)...)
				continue
			}
			switch extra := schema["additionalProperties"].(type) {
			case bool:
				if !extra {
					fail("property %q is not in the schema", name)
				}
			case map[string]any:
				errs = append(errs, val.validate(extra, v[name], path+"."+name)...)
			}
		}
	}
	return errs
}

func jsonType(v any) string {
	switch v := v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case string:
		return "string"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	case json.Number:
		if _, err := v.Int64(); err == nil {
			return "integer"
		}
		return "number"
	case float64:
		if v == float64(int64(v)) {
			return "integer"
		}
		return "number"
	}
	return fmt.Sprintf("%T", v)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// TestValidator checks the validator itself, so that a schema check that
// passes means something.
func TestValidator(t *testing.T) {
	doc := map[string]any{"components": map[string]any{"schemas": map[string]any{
		"T": map[string]any{"type": "object", "additionalProperties": false, "required": []any{"id", "at"},
			"properties": map[string]any{
				"id":    map[string]any{"type": "string"},
				"at":    map[string]any{"type": "string", "format": "date-time"},
				"n":     map[string]any{"type": "integer"},
				"tags":  map[string]any{"type": []any{"array", "null"}, "items": map[string]any{"type": "string"}},
				"next":  map[string]any{"anyOf": []any{map[string]any{"$ref": "#/components/schemas/T"}, map[string]any{"type": "null"}}},
				"map":   map[string]any{"type": []any{"object", "null"}, "additionalProperties": map[string]any{"type": "string"}},
				"bytes": map[string]any{"type": "string", "contentEncoding": "base64"},
			}},
	}}}
	ref := map[string]any{"$ref": "#/components/schemas/T"}
	tests := []struct {
		name   string
		schema map[string]any
		value  string
		valid  bool
	}{
		{"minimal", ref, `{"id":"a","at":"2026-01-02T03:04:05Z"}`, true},
		{"everything", ref, `{"id":"a","at":"2026-01-02T03:04:05.5+01:00","n":3,"tags":["x"],"next":{"id":"b","at":"2026-01-02T03:04:05Z"},"map":{"k":"v"},"bytes":"AAE="}`, true},
		{"nulls", ref, `{"id":"a","at":"2026-01-02T03:04:05Z","tags":null,"next":null,"map":null}`, true},
		{"missing required", ref, `{"id":"a"}`, false},
		{"additional property", ref, `{"id":"a","at":"2026-01-02T03:04:05Z","x":1}`, false},
		{"wrong type", ref, `{"id":1,"at":"2026-01-02T03:04:05Z"}`, false},
		{"not an integer", ref, `{"id":"a","at":"2026-01-02T03:04:05Z","n":1.5}`, false},
		{"not a date-time", ref, `{"id":"a","at":"yesterday"}`, false},
		{"wrong item", ref, `{"id":"a","at":"2026-01-02T03:04:05Z","tags":[1]}`, false},
		{"anyOf matches none", ref, `{"id":"a","at":"2026-01-02T03:04:05Z","next":{"id":"b"}}`, false},
		{"wrong map value", ref, `{"id":"a","at":"2026-01-02T03:04:05Z","map":{"k":1}}`, false},
		{"not base64", ref, `{"id":"a","at":"2026-01-02T03:04:05Z","bytes":"!!"}`, false},
		{"array, not object", ref, `[]`, false},
		{"unresolved ref", map[string]any{"$ref": "#/components/schemas/U"}, `{}`, false},
		{"unknown keyword", map[string]any{"type": "string", "pattern": "^a"}, `"a"`, false},
		{"number for number", map[string]any{"type": "number"}, `3`, true},
		{"in the enum", map[string]any{"type": "string", "enum": []any{"a", "b"}}, `"b"`, true},
		{"not in the enum", map[string]any{"type": "string", "enum": []any{"a", "b"}}, `"c"`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var v any
			dec := json.NewDecoder(strings.NewReader(tt.value))
			dec.UseNumber()
			if err := dec.Decode(&v); err != nil {
				t.Fatal(err)
			}
			errs := (validator{doc: doc}).validate(tt.schema, v, "$")
			if (len(errs) == 0) != tt.valid {
				t.Errorf("validate(%s) = %q, want valid %v", tt.value, errs, tt.valid)
			}
		})
	}
}

func TestOpenAPIDocument(t *testing.T) {
	tn := newTestNode(t, "sqlite")
	r := tn.do(t, "GET", "/api/v1/openapi.json", "", nil)
	if r.Status != http.StatusOK {
		t.Fatalf("status %d, want 200", r.Status)
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q, want application/json", ct)
	}
	if !json.Valid(r.Body) {
		t.Fatalf("the document is not valid JSON")
	}
	doc := decodeJSON(t, r.Body)
	if got := doc["openapi"]; got != "3.1.0" {
		t.Errorf("openapi = %v, want 3.1.0", got)
	}

	want := map[string]bool{}
	for _, rt := range routeTable() {
		want[strings.ToLower(rt.Method)+" "+rt.Path] = true
	}
	got := map[string]bool{}
	paths, _ := doc["paths"].(map[string]any)
	operationIDs := map[string]string{}
	for p, item := range paths {
		ops, _ := item.(map[string]any)
		for method, op := range ops {
			got[method+" "+p] = true
			id, _ := dig(op, "operationId").(string)
			if prev, dup := operationIDs[id]; dup || id == "" {
				t.Errorf("%s %s: operationId %q, already used by %s", method, p, id, prev)
			}
			operationIDs[id] = method + " " + p
		}
	}
	for op := range want {
		if !got[op] {
			t.Errorf("route %s is missing from paths", op)
		}
	}
	for op := range got {
		if !want[op] {
			t.Errorf("paths has %s, which is no route", op)
		}
	}

	// Every schema uses only the subset the validator checks, and every
	// $ref resolves.
	var walk func(v any, at string)
	walk = func(v any, at string) {
		switch v := v.(type) {
		case map[string]any:
			if ref, ok := v["$ref"].(string); ok {
				name, _ := strings.CutPrefix(ref, "#/components/schemas/")
				if dig(doc, "components", "schemas", name) == nil {
					t.Errorf("%s: $ref %q does not resolve", at, ref)
				}
			}
			for k, x := range v {
				walk(x, at+"/"+k)
			}
		case []any:
			for i, x := range v {
				walk(x, at+"/"+strconv.Itoa(i))
			}
		}
	}
	walk(doc, "#")
	schemas, _ := dig(doc, "components", "schemas").(map[string]any)
	for name, s := range schemas {
		checkSubset(t, "#/components/schemas/"+name, s)
	}
}

// checkSubset fails if the schema s uses a keyword the validator does not
// check.
func checkSubset(t *testing.T, at string, s any) {
	t.Helper()
	m, ok := s.(map[string]any)
	if !ok {
		t.Errorf("%s: a schema must be an object, got %T", at, s)
		return
	}
	for k, v := range m {
		if !slices.Contains(schemaKeywords, k) {
			t.Errorf("%s: keyword %q is outside the checked subset", at, k)
		}
		switch k {
		case "items", "additionalProperties":
			if _, isBool := v.(bool); !isBool {
				checkSubset(t, at+"/"+k, v)
			}
		case "properties":
			props, _ := v.(map[string]any)
			for name, p := range props {
				checkSubset(t, at+"/properties/"+name, p)
			}
		case "anyOf":
			list, _ := v.([]any)
			for i, x := range list {
				checkSubset(t, at+"/anyOf/"+strconv.Itoa(i), x)
			}
		}
	}
}

// TestOpenAPIGolden keeps the served document under review: any change to
// the API surface shows as a diff of testdata/openapi.golden.json. Run
// go test ./internal/web -update to accept one.
func TestOpenAPIGolden(t *testing.T) {
	tn := newTestNode(t, "sqlite")
	r := tn.do(t, "GET", "/api/v1/openapi.json", "", nil)
	if r.Status != http.StatusOK {
		t.Fatalf("status %d, want 200", r.Status)
	}
	got := append(bytes.TrimRight(r.Body, "\n"), '\n')
	golden := filepath.Join("testdata", "openapi.golden.json")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test ./internal/web -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		gl, wl := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
		line := 0
		for line < len(gl) && line < len(wl) && gl[line] == wl[line] {
			line++
		}
		at := func(ls []string) string {
			if line < len(ls) {
				return ls[line]
			}
			return "(end of file)"
		}
		t.Errorf("the OpenAPI document differs from %s at line %d:\n got: %s\nwant: %s\n(run go test ./internal/web -update if the change is intended)",
			golden, line+1, at(gl), at(wl))
	}
}

// TestContractRejectsUndocumented checks that the response check is not a
// no-op: it must object to an undocumented status and to a body that does
// not match the route's schema.
func TestContractRejectsUndocumented(t *testing.T) {
	tn := newTestNode(t, "sqlite")
	req, _ := http.NewRequest("GET", tn.URL+"/api/v1/me", nil)
	tests := []struct {
		name string
		r    response
	}{
		{"undocumented status", response{Status: http.StatusTeapot, Header: http.Header{}, Body: []byte(`{}`)}},
		{"2xx other than the route's", response{Status: http.StatusCreated, Header: http.Header{}, Body: []byte(`{}`)}},
		{"body not matching the schema", response{Status: http.StatusOK, Header: http.Header{}, Body: []byte(`{"id":"x"}`)}},
		{"problem not matching the schema", response{Status: http.StatusUnauthorized, Header: http.Header{}, Body: []byte(`{"status":"401"}`)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &recordingTB{TB: t}
			tn.contract.check(rec, req, tt.r)
			if !rec.failed {
				t.Errorf("contract.check accepted %d %s", tt.r.Status, tt.r.Body)
			}
		})
	}
}

// recordingTB records failures instead of failing the test.
type recordingTB struct {
	testing.TB
	failed bool
}

func (r *recordingTB) Errorf(string, ...any) { r.failed = true }
func (r *recordingTB) Fatalf(string, ...any) { r.failed = true }
func (r *recordingTB) Helper()               {}
