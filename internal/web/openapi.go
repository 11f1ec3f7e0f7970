package web

import (
	"encoding/json"
	"net/http"
	"path"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"time"
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
			params = append(params, map[string]any{"name": q, "in": "query", "required": false, "schema": map[string]any{"type": "string"}})
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
		content := map[string]any{"application/json": map[string]any{"schema": g.schema(reflect.TypeOf(rt.Response))}}
		if mediaType, ok := rt.Response.(string); ok {
			content = map[string]any{mediaType: map[string]any{"schema": map[string]any{"type": "string"}}}
		}
		responses := map[string]any{
			strconv.Itoa(rt.Status): map[string]any{"description": http.StatusText(rt.Status), "content": content},
		}
		for _, code := range problemStatuses(rt) {
			responses[strconv.Itoa(code)] = map[string]any{"description": http.StatusText(code),
				"content": map[string]any{"application/problem+json": map[string]any{"schema": problem}}}
		}
		op["responses"] = responses
		if !rt.Public {
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
		"paths": paths,
		"components": map[string]any{
			"schemas":         g.defs,
			"securitySchemes": map[string]any{"bearer": map[string]any{"type": "http", "scheme": "bearer", "description": "An API token of your own (ent_...): redeem an enrolment code from your administrator with `entraide login --code` or POST /api/v1/enrol"}},
		},
	}
}

// problemStatuses lists the problem statuses a route can answer with.
func problemStatuses(rt route) []int {
	codes := []int{http.StatusInternalServerError}
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
	if rt.Path == "/federation/v1/messages" {
		codes = append(codes, http.StatusServiceUnavailable, http.StatusTooManyRequests, http.StatusRequestTimeout)
	}
	if rt.Path == "/healthz" {
		codes = append(codes, http.StatusServiceUnavailable)
	}
	switch rt.Path {
	case "/api/v1/enrol": // an unknown, used or expired code
		codes = append(codes, http.StatusUnauthorized)
	case "/api/v1/users/{id}/disable", "/api/v1/users/{id}/enrolments": // an administrator disabling themselves; a code for a disabled official
		codes = append(codes, http.StatusUnprocessableEntity)
	}
	return codes
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

func (s *Server) openAPI() http.Handler {
	// Built on first use: the route table that describes it holds this
	// very handler.
	doc := sync.OnceValue(func() []byte {
		b, err := json.MarshalIndent(s.openAPIDoc(), "", "  ")
		if err != nil {
			panic(err) // derived from Go types: a failure is a programming error
		}
		return b
	})
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

func (g *schemaGen) schema(t reflect.Type) map[string]any {
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
		if !strings.Contains(opts, "omitempty") && !strings.Contains(opts, "omitzero") {
			*required = append(*required, name)
		}
	}
}
