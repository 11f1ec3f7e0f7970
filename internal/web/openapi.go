package web

import (
	"encoding/json"
	"entraide/internal/letter"
	"fmt"
	"net/http"
	"path"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"time"

	"entraide/internal/alerting"
	"entraide/internal/casework"
	"entraide/internal/convention"
	"entraide/internal/identity"
	"entraide/internal/store"
	"entraide/internal/transparency"
)

// openAPIDoc builds the OpenAPI 3.1 document from the route table, with
// JSON Schemas derived from the Go types the handlers decode and encode, so
// that the document cannot drift from the code.
func (s *Server) openAPIDoc() map[string]any {
	g := &schemaGen{defs: map[string]any{}}
	problem := g.schema(reflect.TypeOf(Problem{}))
	paths := map[string]map[string]any{}
	for _, rt := range s.routes() {
		op := map[string]any{
			"summary":     rt.Summary,
			"operationId": operationID(rt),
		}
		var params []any
		for _, seg := range strings.Split(rt.Path, "/") {
			if strings.HasPrefix(seg, "{") {
				params = append(params, map[string]any{"name": strings.Trim(seg, "{}"), "in": "path", "required": true, "schema": map[string]any{"type": "string"}})
			}
		}
		for _, q := range rt.Query {
			params = append(params, map[string]any{"name": q, "in": "query", "required": false, "schema": g.querySchema(rt, q)})
		}
		for _, h := range requestHeaders(rt) {
			params = append(params, h)
		}
		if params != nil {
			op["parameters"] = params
		}
		switch b := rt.Body.(type) {
		case nil:
		case string:
			op["requestBody"] = map[string]any{"required": true, "content": map[string]any{b: map[string]any{"schema": map[string]any{"type": "string"}}}}
		default:
			op["requestBody"] = map[string]any{"required": true, "content": map[string]any{"application/json": map[string]any{"schema": g.schema(reflect.TypeOf(b))}}}
		}
		var content map[string]any
		if mediaType, ok := rt.Response.(string); ok {
			content = map[string]any{mediaType: map[string]any{"schema": map[string]any{"type": "string"}}}
		} else if rt.Response != nil {
			content = map[string]any{"application/json": map[string]any{"schema": g.schema(reflect.TypeOf(rt.Response))}}
		}
		success := map[string]any{"description": http.StatusText(rt.Status), "content": content}
		if rt.Response == nil {
			// The tus protocol's answers: headers only.
			delete(success, "content")
		}
		if h := successHeaders(rt); len(h) > 0 {
			success["headers"] = h
		}
		responses := map[string]any{strconv.Itoa(rt.Status): success}
		if rt.Response == "application/octet-stream" {
			responses[strconv.Itoa(http.StatusPartialContent)] = map[string]any{"description": "The range asked for (Range header)", "content": content}
		}
		for _, code := range problemStatuses(rt) {
			resp := map[string]any{"description": http.StatusText(code),
				"content": map[string]any{"application/problem+json": map[string]any{"schema": problem}}}
			if code == http.StatusTooManyRequests || code == http.StatusServiceUnavailable {
				resp["headers"] = map[string]any{"Retry-After": retryAfter(code == http.StatusTooManyRequests)}
			}
			responses[strconv.Itoa(code)] = resp
		}
		op["responses"] = responses
		if rt.Public {
			// Explicitly none: these are reached without a token.
			op["security"] = []any{}
		} else if rt.Session {
			op["security"] = []any{map[string]any{"bearer": []any{}}, map[string]any{"session": []any{}}}
		} else {
			op["security"] = []any{map[string]any{"bearer": []any{}}}
		}
		if paths[rt.Path] == nil {
			paths[rt.Path] = map[string]any{}
		}
		paths[rt.Path][strings.ToLower(rt.Method)] = op
	}
	return map[string]any{
		"openapi": "3.1.0",
		"info": map[string]any{
			"title":       "Entraide national node API",
			"version":     "1",
			"description": "Cooperation under the United Nations Convention against Cybercrime: requests between States, treaty status, the directory of authorities. Errors are RFC 9457 problem documents whose errors name the field and the article of the Convention.",
		},
		// Relative: the node at the address the document was read from.
		"servers": []any{map[string]any{"url": "/", "description": "this node"}},
		"paths":   paths,
		"components": map[string]any{
			"schemas": g.defs,
			"securitySchemes": map[string]any{
				"bearer":  map[string]any{"type": "http", "scheme": "bearer", "description": "An API token of your own (ent_...): redeem an enrolment code from your administrator with `entraide login --code` or POST /api/v1/enrol"},
				"session": map[string]any{"type": "apiKey", "in": "cookie", "name": "__Host-entraide_session", "description": "The web UI's session, for the pages' uploads and downloads only: a call that changes something must come from the UI's own origin (Sec-Fetch-Site or Origin)"},
			},
		},
	}
}

// isInbox reports whether rt receives envelopes from peers, under the
// inbox's limits.
func isInbox(rt route) bool {
	return rt.Path == "/federation/v1/messages" || rt.Path == "/federation/v1/batches"
}

// problemStatuses lists the problem statuses a route can answer with.
// Every route may answer 405 (another method on its path) and 429 (rate
// limits).
func problemStatuses(rt route) []int {
	codes := []int{http.StatusInternalServerError, http.StatusMethodNotAllowed, http.StatusTooManyRequests}
	if isInbox(rt) {
		// An envelope from an unknown peer, or that does not verify.
		codes = append(codes, http.StatusForbidden)
	}
	if rt.Method == "POST" && idempotent(rt) {
		// A bad Idempotency-Key; one reused with another body; one whose
		// first call still runs.
		codes = append(codes, http.StatusBadRequest, http.StatusUnprocessableEntity, http.StatusConflict)
	}
	if !rt.Public {
		// 400 for a query parameter the route does not take.
		codes = append(codes, http.StatusBadRequest, http.StatusUnauthorized, http.StatusForbidden, http.StatusTooManyRequests)
	}
	if strings.Contains(rt.Path, "{") {
		codes = append(codes, http.StatusNotFound)
	}
	if rt.Body != nil {
		codes = append(codes, http.StatusBadRequest, http.StatusRequestEntityTooLarge, http.StatusUnsupportedMediaType, http.StatusUnprocessableEntity)
	}
	if len(rt.Query) > 0 {
		codes = append(codes, http.StatusBadRequest)
	}
	if rt.Method == "POST" || rt.Method == "PUT" {
		codes = append(codes, http.StatusConflict)
	}
	if rt.Path == "/api/v1/requests/{id}/transitions" {
		codes = append(codes, http.StatusPreconditionFailed)
	}
	if isInbox(rt) {
		codes = append(codes, http.StatusServiceUnavailable, http.StatusTooManyRequests, http.StatusRequestTimeout)
	}
	if rt.Path == "/healthz" || rt.Path == "/readyz" {
		codes = append(codes, http.StatusServiceUnavailable)
	}
	switch rt.Path {
	case "/api/v1/requests/{id}/uploads", "/api/v1/uploads/{upload}":
		// tus: a version not spoken (412), bytes past the size (413), an
		// offset not the upload's or an upload over (409), an upload
		// another request holds (423).
		codes = append(codes, http.StatusBadRequest, http.StatusConflict, http.StatusPreconditionFailed, http.StatusRequestEntityTooLarge,
			http.StatusUnsupportedMediaType, http.StatusLocked, http.StatusUnprocessableEntity)
	case "/api/v1/requests/{id}/evidence/{item}/content": // disposed, uploading, damaged; a range outside the item
		codes = append(codes, http.StatusConflict, http.StatusRequestedRangeNotSatisfiable)
	case "/api/v1/enrol": // an unknown, used or expired code
		codes = append(codes, http.StatusUnauthorized)
	case "/api/v1/users/{id}/disable", "/api/v1/users/{id}/enrolments": // an administrator disabling themselves; a code for a disabled official
		codes = append(codes, http.StatusUnprocessableEntity)
	case "/api/v1/transparency": // not published; a year that has not ended
		codes = append(codes, http.StatusNotFound, http.StatusUnprocessableEntity)
	}
	return codes
}

// querySchema is the schema of query parameter name of rt: bounded
// numbers, booleans, and the enumerations of the domain packages.
func (g *schemaGen) querySchema(rt route, name string) map[string]any {
	switch name {
	case "limit":
		maxLimit := MaxPageSize
		if rt.Path == "/api/v1/audit" {
			maxLimit = MaxAuditPage
		}
		return map[string]any{"type": "integer", "minimum": 1, "maximum": maxLimit}
	case "after":
		return map[string]any{"type": "integer", "minimum": 0}
	case "open", "follow":
		return map[string]any{"type": "boolean"}
	case "state":
		return g.schema(reflect.TypeOf(casework.State("")))
	case "kind":
		return g.schema(reflect.TypeOf(convention.Kind("")))
	case "side":
		return g.schema(reflect.TypeOf(casework.Side("")))
	case "reason":
		return g.schema(reflect.TypeOf(alerting.Reason("")))
	case "urgency":
		return g.schema(reflect.TypeOf(casework.Urgency("")))
	case "sort":
		return map[string]any{"type": "string", "enum": []string{store.SortArrival, store.SortDeadline}}
	case "counterpart":
		return map[string]any{"type": "string", "pattern": "^[A-Z]{3}$"}
	case "lang":
		return map[string]any{"type": "string", "enum": letter.Languages}
	case "q":
		return map[string]any{"type": "string", "maxLength": MaxListText}
	case "within":
		return map[string]any{"type": "string", "pattern": "^[0-9]{1,4}d?$", "description": "a number of days, e.g. 30d (1 to 3660)"}
	case "year":
		return map[string]any{"type": "integer", "minimum": 2000, "description": "a calendar year that has ended; the last one by default"}
	case "due_before", "from", "to", "updated_since":
		return map[string]any{"type": "string", "description": "a date YYYY-MM-DD or an RFC 3339 time"}
	}
	return map[string]any{"type": "string"}
}

// requestHeaders lists the header parameters rt reads.
func requestHeaders(rt route) []map[string]any {
	var out []map[string]any
	if rt.Method == "POST" && idempotent(rt) {
		out = append(out, map[string]any{"name": "Idempotency-Key", "in": "header", "required": false,
			"description": fmt.Sprintf("Makes the call safe to retry: a retry with the same key and body, by the same official on the same path, within %s, gets the first answer again (with Idempotent-Replayed: true) and has no second effect. 1 to %d letters, digits and - _ . : ~ + / =; a new UUID per operation is best. The same key with another body is a 422; a retry while the first call runs is a 409.", IdempotencyTTL, MaxIdempotencyKeyLength),
			"schema":      map[string]any{"type": "string", "minLength": 1, "maxLength": MaxIdempotencyKeyLength}})
	}
	if rt.Path == "/api/v1/requests/{id}/transitions" {
		out = append(out, map[string]any{"name": "If-Match", "in": "header", "required": false,
			"description": "The ETag of the request as you read it (GET /api/v1/requests/{id}): the move is made only if the request is still at that version, and is otherwise a 412; read it again and decide anew. * or no header: any version.",
			"schema":      map[string]any{"type": "string"}})
	}
	switch rt.Method + " " + rt.Path {
	case "POST /api/v1/requests/{id}/uploads":
		out = append(out, tusHeader("Tus-Resumable", "1.0.0", true),
			tusHeader("Upload-Length", "The file's size in bytes", true),
			tusHeader("Upload-Metadata", "Comma-separated key base64(value) pairs: filename (required), filetype, collected_by, collected_where, collected_at (RFC 3339), source, tool, retain_until (YYYY-MM-DD)", false))
	case "PATCH /api/v1/uploads/{upload}":
		out = append(out, tusHeader("Tus-Resumable", "1.0.0", true),
			tusHeader("Upload-Offset", "The offset the body's bytes start at: the upload's offset, as HEAD gives it", true))
	case "HEAD /api/v1/uploads/{upload}":
		out = append(out, tusHeader("Tus-Resumable", "1.0.0", false))
	}
	if rt.Path == "/api/v1/alerts/stream" {
		out = append(out, map[string]any{"name": "Last-Event-ID", "in": "header", "required": false,
			"description": "The id of the last event received: the stream resumes after it, missing nothing. Browsers' EventSource sends it on reconnecting.",
			"schema":      map[string]any{"type": "integer", "minimum": 0}})
	}
	return out
}

// successHeaders describes the headers of rt's success answer. A test
// holds every answer to the headers documented as required.
func successHeaders(rt route) map[string]any {
	h := map[string]any{}
	switch rt.Method + " " + rt.Path {
	case "POST /api/v1/requests":
		h["Location"] = map[string]any{"required": true, "description": "The new request's address", "schema": map[string]any{"type": "string"}}
		h["ETag"] = etagHeader
	case "POST /api/v1/roster":
		h["Location"] = map[string]any{"required": true, "description": "The new roster line's address", "schema": map[string]any{"type": "string"}}
	case "GET /api/v1/requests/{id}", "POST /api/v1/requests/{id}/transitions":
		h["ETag"] = etagHeader
	case "POST /api/v1/requests/{id}/uploads":
		h["Location"] = map[string]any{"required": true, "description": "The upload's address: HEAD it for its offset, PATCH it with the bytes", "schema": map[string]any{"type": "string"}}
		h["Tus-Resumable"] = tusResumable
	case "HEAD /api/v1/uploads/{upload}", "PATCH /api/v1/uploads/{upload}":
		h["Upload-Offset"] = map[string]any{"required": true, "description": "The number of bytes stored", "schema": map[string]any{"type": "integer", "minimum": 0}}
		h["Tus-Resumable"] = tusResumable
	case "GET /api/v1/requests/{id}/evidence/{item}/content":
		h["Repr-Digest"] = map[string]any{"required": true, "description": "The item's SHA-256, as sha-256=:base64: (RFC 9530)", "schema": map[string]any{"type": "string"}}
	}
	if rt.Method == "POST" && idempotent(rt) {
		h["Idempotent-Replayed"] = map[string]any{"description": "true when this is the first answer to a call with the same Idempotency-Key, given again",
			"schema": map[string]any{"type": "string", "enum": []any{"true"}}}
	}
	return h
}

var tusResumable = map[string]any{"required": true, "description": "The tus protocol version: 1.0.0", "schema": map[string]any{"type": "string", "enum": []any{"1.0.0"}}}

var etagHeader = map[string]any{"required": true, "description": "The version of the request's view, as a strong entity tag: send it back in If-Match to move the request only at that version",
	"schema": map[string]any{"type": "string"}}

func retryAfter(required bool) map[string]any {
	return map[string]any{"required": required, "description": "Seconds to wait before trying again", "schema": map[string]any{"type": "integer", "minimum": 0}}
}

func operationID(rt route) string {
	var b strings.Builder
	b.WriteString(strings.ToLower(rt.Method))
	for _, seg := range strings.Split(strings.TrimPrefix(rt.Path, "/api/v1"), "/") {
		seg = strings.Trim(seg, "{}")
		seg = strings.TrimSuffix(seg, path.Ext(seg))
		if seg == "" {
			continue
		}
		b.WriteString(strings.ToUpper(seg[:1]) + seg[1:])
	}
	return b.String()
}

// OpenAPI returns the API's OpenAPI 3.1 document, as GET
// /api/v1/openapi.json serves it: the same for every node, as it is built
// from the route table and the Go types alone.
func OpenAPI() []byte {
	b, err := json.MarshalIndent((&Server{}).openAPIDoc(), "", "  ")
	if err != nil {
		panic(err) // derived from Go types: a failure is a programming error
	}
	return b
}

func (s *Server) openAPI() http.Handler {
	// Built on first use: the route table that describes it holds this
	// very handler.
	doc := sync.OnceValue(OpenAPI)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write(doc())
	})
}

// schemaGen derives JSON Schemas (draft 2020-12, as OpenAPI 3.1 uses)
// from Go types, the way encoding/json encodes them.
type schemaGen struct {
	defs map[string]any
}

var timeType = reflect.TypeOf(time.Time{})

// enums lists the values of the domain's enumerated types, from the
// packages that own them.
var enums = map[reflect.Type]func() []string{
	reflect.TypeFor[convention.Kind](): func() []string {
		var out []string
		for _, spec := range convention.Kinds() {
			out = append(out, string(spec.Kind))
		}
		return out
	},
	reflect.TypeFor[casework.State]():            func() []string { return stringsOf(casework.States()) },
	reflect.TypeFor[casework.Side]():             func() []string { return stringsOf(casework.Sides()) },
	reflect.TypeFor[casework.BasisType]():        func() []string { return stringsOf(casework.BasisTypes()) },
	reflect.TypeFor[casework.Action]():           func() []string { return stringsOf(casework.AllActions()) },
	reflect.TypeFor[identity.Role]():             func() []string { return stringsOf(identity.Roles) },
	reflect.TypeFor[alerting.Channel]():          func() []string { return stringsOf(alerting.Channels) },
	reflect.TypeFor[alerting.Reason]():           func() []string { return stringsOf(alerting.Reasons) },
	reflect.TypeFor[convention.Ground]():         func() []string { return stringsOf(convention.Grounds()) },
	reflect.TypeFor[convention.DataCategory]():   func() []string { return stringsOf(convention.DataCategories()) },
	reflect.TypeFor[convention.PersonCategory](): func() []string { return stringsOf(convention.PersonCategories()) },
}

// marshaled gives the schemas of the types that encode themselves.
var marshaled = map[reflect.Type]map[string]any{
	// A count of the transparency report: {"value": 7}; when suppressed,
	// value is null, suppressed true, and reason fewer_than_5 (a count
	// from 1 to 4) or complementary (hidden so that a small count cannot
	// be worked out from the totals).
	reflect.TypeFor[transparency.Cell](): {"type": "object", "additionalProperties": false, "required": []any{"value"},
		"properties": map[string]any{"value": map[string]any{"type": []any{"integer", "null"}},
			"suppressed": map[string]any{"type": "boolean"}, "reason": map[string]any{"type": "string", "enum": []any{transparency.Small, transparency.Complementary}}}},
	// A median of the transparency report, in seconds, over a number of
	// requests; both null, with suppressed true, over fewer than 5.
	reflect.TypeFor[transparency.Duration](): {"type": "object", "additionalProperties": false, "required": []any{"seconds", "requests"},
		"properties": map[string]any{"seconds": map[string]any{"type": []any{"integer", "null"}},
			"requests":   map[string]any{"type": []any{"integer", "null"}},
			"suppressed": map[string]any{"type": "boolean"}, "reason": map[string]any{"type": "string", "enum": []any{transparency.Small}}}},
}

// mayBeEmpty names the fields of an enumerated type that are "" on
// purpose, though always present: an event that leaves the state alone
// (a receipt, a crossed move, an extension) goes to "".
var mayBeEmpty = map[string]bool{"casework.Event.To": true}

func stringsOf[S ~string](values []S) []string {
	out := make([]string, len(values))
	for i, v := range values {
		out[i] = string(v)
	}
	return out
}

func (g *schemaGen) schema(t reflect.Type) map[string]any {
	if values, ok := enums[t]; ok {
		name := t.String()
		if _, done := g.defs[name]; !done {
			enum := []any{}
			for _, v := range values() {
				enum = append(enum, v)
			}
			g.defs[name] = map[string]any{"type": "string", "enum": enum}
		}
		return map[string]any{"$ref": "#/components/schemas/" + name}
	}
	if schema, ok := marshaled[t]; ok {
		name := t.String()
		g.defs[name] = schema
		return map[string]any{"$ref": "#/components/schemas/" + name}
	}
	switch {
	case t == timeType:
		return map[string]any{"type": "string", "format": "date-time"}
	case t.Kind() == reflect.Pointer:
		inner := g.schema(t.Elem())
		return map[string]any{"anyOf": []any{inner, map[string]any{"type": "null"}}}
	case t.Kind() == reflect.Struct:
		name := t.String()
		if _, done := g.defs[name]; !done {
			g.defs[name] = map[string]any{} // placeholder against recursion
			g.defs[name] = g.object(t)
		}
		return map[string]any{"$ref": "#/components/schemas/" + name}
	}
	switch t.Kind() {
	case reflect.String:
		return map[string]any{"type": "string"}
	case reflect.Bool:
		return map[string]any{"type": "boolean"}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64, reflect.Uint, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return map[string]any{"type": "integer"}
	case reflect.Float32, reflect.Float64:
		return map[string]any{"type": "number"}
	case reflect.Slice, reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 {
			return map[string]any{"type": "string", "contentEncoding": "base64"}
		}
		return map[string]any{"type": []any{"array", "null"}, "items": g.schema(t.Elem())}
	case reflect.Map:
		return map[string]any{"type": []any{"object", "null"}, "additionalProperties": g.schema(t.Elem())}
	}
	return map[string]any{} // interface: any JSON value
}

func (g *schemaGen) object(t reflect.Type) map[string]any {
	props := map[string]any{}
	var required []string
	g.fields(t, props, &required)
	obj := map[string]any{"type": "object", "properties": props, "additionalProperties": false}
	if len(required) > 0 {
		obj["required"] = required
	}
	return obj
}

func (g *schemaGen) fields(t reflect.Type, props map[string]any, required *[]string) {
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" || (!f.IsExported() && !f.Anonymous) {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" {
			ft := f.Type
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			g.fields(ft, props, required)
			continue
		}
		if name == "" {
			name = f.Name
		}
		props[name] = g.schema(f.Type)
		if mayBeEmpty[t.String()+"."+f.Name] {
			props[name] = map[string]any{"anyOf": []any{props[name], map[string]any{"type": "string", "enum": []any{""}}}}
		}
		if !strings.Contains(opts, "omitempty") && !strings.Contains(opts, "omitzero") {
			*required = append(*required, name)
		}
	}
}

func tusHeader(name, description string, required bool) map[string]any {
	return map[string]any{"name": name, "in": "header", "required": required, "description": description, "schema": map[string]any{"type": "string"}}
}
