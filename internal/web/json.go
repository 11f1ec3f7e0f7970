package web

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"entraide/internal/casework"
	"entraide/internal/convention"
	"entraide/internal/node"
	"entraide/internal/store"
)

// MaxBodyBytes bounds a JSON request body. Requests carry the metadata of
// their attachments, never the files, so 1 MiB is ample.
const MaxBodyBytes = 1 << 20

// FieldError is one problem with the input, in a problem document.
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
	// Article cites the provision of the Convention the rule comes from,
	// as "art. 42(2)(c)"; empty for problems of form.
	Article string          `json:"article,omitempty"`
	Ref     *convention.Ref `json:"ref,omitempty"`
}

// Problem is an RFC 9457 problem document.
type Problem struct {
	Type   string       `json:"type"`
	Title  string       `json:"title"`
	Status int          `json:"status"`
	Detail string       `json:"detail,omitempty"`
	Errors []FieldError `json:"errors,omitempty"`
	// Reason is the code of a refused federation message, for the sending
	// node to act on.
	Reason string `json:"reason,omitempty"`
	// Limit names the limit a call reached (a 429), and RetryAfter, in
	// seconds, when to call again, as the Retry-After header says.
	// Readiness is /readyz's checks when the node is not ready (a 503).
	Readiness  *readiness `json:"readiness,omitempty"`
	Limit      string     `json:"limit,omitempty"`
	RetryAfter int        `json:"retry_after,omitempty"`
	// AllowedActions are the actions the caller's State may take on the
	// request now, when its state refused the one asked (a 409).
	AllowedActions []casework.Action `json:"allowed_actions,omitempty"`
}

// problemType URIs name the kinds of problem a client may handle. Every
// problem of status 4xx names, in its errors, the field or part of the
// request at fault.
const (
	typeInvalidBody    = "urn:entraide:problem:invalid-body"
	typeInvalidRequest = "urn:entraide:problem:invalid-request"
	typeForbidden      = "urn:entraide:problem:forbidden"
	typeUnauthorized   = "urn:entraide:problem:unauthenticated"
	typeNotFound       = "urn:entraide:problem:not-found"
	typeConflict       = "urn:entraide:problem:conflict"
	typeNoRoute        = "urn:entraide:problem:no-route"
	typeNoMethod       = "urn:entraide:problem:method-not-allowed"
	typeTooLarge       = "urn:entraide:problem:body-too-large"
	typeStale          = "urn:entraide:problem:precondition-failed"
	typeInternal       = "urn:entraide:problem:internal"
	typeNotReady       = "urn:entraide:problem:not-ready"
)

func writeProblem(w http.ResponseWriter, p Problem) {
	if p.Title == "" {
		p.Title = http.StatusText(p.Status)
	}
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(p.Status)
	json.NewEncoder(w).Encode(p)
}

func fieldErrors(ps convention.Problems) []FieldError {
	out := make([]FieldError, len(ps))
	for i, p := range ps {
		ref := p.Ref
		out[i] = FieldError{Field: p.Field, Message: p.Message, Article: ref.Cite(), Ref: &ref}
	}
	return out
}

// writeError turns an error from the node into a problem document. Errors
// it does not recognise are logged and reported as 500 without detail, so
// that no internal state or secret reaches the client.
func writeError(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	var ps convention.Problems
	var ce *casework.Error
	var bad *badInput
	var te *convention.TimeError
	var stale *node.StaleError
	switch {
	case errors.As(err, &stale):
		msg := fmt.Sprintf("the request changed since you read it: it is now at version %d (ETag %s); GET it again, check that your action still holds, and retry with its new ETag in If-Match", stale.Current, etag(stale.Current))
		if stale.Read > stale.Current {
			// A version the request has not reached was never read: it
			// was mistyped, or read from another request.
			msg = fmt.Sprintf("the version given in If-Match, %d, is not one this request has had: it is at version %d (ETag %s); GET it, check that your action holds, and retry with that ETag in If-Match", stale.Read, stale.Current, etag(stale.Current))
		}
		writeProblem(w, Problem{Type: typeStale, Status: http.StatusPreconditionFailed, Title: "The request changed", Detail: msg, Errors: []FieldError{{Field: "If-Match", Message: msg}}})
	case errors.As(err, &bad):
		writeProblem(w, Problem{Type: typeInvalidBody, Status: bad.status, Detail: bad.msg, Errors: bad.fields})
	case errors.As(err, &ce):
		status, typ, title := http.StatusConflict, typeConflict, "The request's state does not allow this"
		switch {
		case errors.Is(ce.Kind, casework.ErrForbidden):
			status, typ, title = http.StatusForbidden, typeForbidden, "Not allowed"
		case errors.Is(ce.Kind, casework.ErrNotFound):
			status, typ, title = http.StatusNotFound, typeNotFound, "Not found"
		case errors.Is(ce.Kind, node.ErrAlreadyImported):
			title = "The evidence item is in the case already"
		case errors.Is(ce.Kind, node.ErrMappingExists):
			title = "The name is in use"
		case errors.Is(ce.Kind, node.ErrConditionBars):
			title = "A condition on the evidence bars this use until the State that gave it consents"
		case errors.Is(ce.Kind, node.ErrNoRoute):
			status, typ, title = http.StatusConflict, typeNoRoute, "The requested State cannot be reached"
		}
		writeProblem(w, Problem{Type: typ, Title: title, Status: status, Detail: ce.Problems.Error(), Errors: fieldErrors(ce.Problems), AllowedActions: ce.Allowed})
	case errors.As(err, &te):
		writeProblem(w, Problem{Type: typeInvalidRequest, Title: "The request does not conform", Status: http.StatusUnprocessableEntity,
			Detail: te.Error(), Errors: []FieldError{{Field: te.Field, Message: te.Error()}}})
	case errors.As(err, &ps):
		writeProblem(w, Problem{Type: typeInvalidRequest, Title: "The request does not conform", Status: http.StatusUnprocessableEntity,
			Detail: fmt.Sprintf("%d problem(s); each names its field and the provision it comes from", len(ps)), Errors: fieldErrors(ps)})
	case errors.Is(err, casework.ErrNotFound), errors.Is(err, store.ErrNotFound):
		msg := "no such resource in your State's view"
		writeProblem(w, Problem{Type: typeNotFound, Status: http.StatusNotFound, Detail: msg, Errors: []FieldError{{Field: pathField(r), Message: msg}}})
	case errors.Is(err, store.ErrExists):
		msg := err.Error() + ": choose another id, or GET the existing one and act on it"
		writeProblem(w, Problem{Type: typeConflict, Status: http.StatusConflict, Detail: msg, Errors: []FieldError{{Field: "id", Message: msg}}})
	case errors.Is(err, casework.ErrConflict):
		msg := "the request changed meanwhile: GET it again to see its state and the actions it now allows, then retry"
		writeProblem(w, Problem{Type: typeConflict, Status: http.StatusConflict, Detail: msg, Errors: []FieldError{{Field: "version", Message: msg}}})
	case errors.Is(err, node.ErrUnauthenticated):
		writeAuthError(w, err, "Authorization")
	case errors.Is(err, context.Canceled) && r.Context().Err() != nil:
		// The caller went away, or cancelled the call: nothing failed
		// here, and whoever reads the answer may make the call again.
		log.InfoContext(r.Context(), "call cancelled before it was answered", "method", r.Method, "path", r.URL.Path)
		writeProblem(w, Problem{Type: typeInternal, Status: http.StatusServiceUnavailable, Detail: "the call was cancelled before it was answered: make it again"})
	default:
		log.ErrorContext(r.Context(), "internal error", "method", r.Method, "path", r.URL.Path, "err", err)
		writeProblem(w, Problem{Type: typeInternal, Status: http.StatusInternalServerError, Detail: "the node could not complete the request; it has been logged"})
	}
}

func writeUnauthorized(w http.ResponseWriter) {
	w.Header().Set("WWW-Authenticate", `Bearer realm="entraide"`)
	msg := "send an API token: Authorization: Bearer ent_..."
	writeProblem(w, Problem{Type: typeUnauthorized, Status: http.StatusUnauthorized, Detail: msg, Errors: []FieldError{{Field: "Authorization", Message: msg}}})
}

// writeAuthError answers 401 for a refused token or enrolment code: with
// what happened and what to do next when the node says (an expired, a
// revoked token...), else as writeUnauthorized. field names what was
// refused: the Authorization header, or the code of an enrolment.
func writeAuthError(w http.ResponseWriter, err error, field string) {
	var ae *node.AuthError
	if !errors.As(err, &ae) {
		writeUnauthorized(w)
		return
	}
	w.Header().Set("WWW-Authenticate", `Bearer realm="entraide", error="invalid_token"`)
	writeProblem(w, Problem{Type: typeUnauthorized, Status: http.StatusUnauthorized, Detail: ae.Msg, Reason: ae.Reason, Errors: []FieldError{{Field: field, Message: ae.Msg}}})
}

// pathField names the path parameter a resource that was not found is
// named by, or "path".
func pathField(r *http.Request) string {
	for _, name := range []string{"token", "id", "code"} {
		if r.PathValue(name) != "" {
			return name
		}
	}
	return "path"
}

// badInput is a body or parameter that could not be read.
type badInput struct {
	status int
	msg    string
	fields []FieldError
}

func (b *badInput) Error() string { return b.msg }

func badRequest(field, format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	return &badInput{status: http.StatusBadRequest, msg: msg, fields: []FieldError{{Field: field, Message: msg}}}
}

// decode reads a JSON body into a T. It rejects a body that is not JSON,
// has unknown fields, wrong types, trailing data or more than MaxBodyBytes,
// with an error that names the field where it can.
func decode[T any](w http.ResponseWriter, r *http.Request) (T, error) {
	var v T
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
			msg := fmt.Sprintf("Content-Type %q: send application/json", ct)
			return v, &badInput{status: http.StatusUnsupportedMediaType, msg: msg, fields: []FieldError{{Field: "Content-Type", Message: msg}}}
		}
	}
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
	if err != nil {
		return v, jsonError(err, nil)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&v); err != nil {
		return v, jsonError(err, func() string { return memberInError[T](data) })
	}
	if _, err := dec.Token(); err != io.EOF {
		return v, badRequest("body", "unexpected data after the JSON value")
	}
	return v, nil
}

// jsonError turns an error of reading or decoding a body into a bad
// input naming the field at fault: the one encoding/json names, or else
// the one member returns (if member is not nil), or else "body".
func jsonError(err error, member func() string) error {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	var tooBig *http.MaxBytesError
	switch {
	case errors.Is(err, io.EOF):
		return badRequest("body", "the body is empty: send a JSON object")
	case errors.As(err, &tooBig):
		msg := fmt.Sprintf("the body is larger than %d bytes", tooBig.Limit)
		return &badInput{status: http.StatusRequestEntityTooLarge, msg: msg, fields: []FieldError{{Field: "body", Message: msg}}}
	case errors.As(err, &syntax):
		return badRequest("body", "not valid JSON at byte %d: %v", syntax.Offset, syntax)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return badRequest("body", "the JSON ends too early")
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			field = "body"
		}
		return badRequest(field, "%s: expected %s, got JSON %s", field, typ.Type, typ.Value)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		quoted := strings.TrimPrefix(err.Error(), "json: unknown field ")
		name, uerr := strconv.Unquote(quoted)
		if uerr != nil || name == "" {
			// A field must name something: a member named "" is the
			// body's fault.
			return badRequest("body", "unknown field %s", quoted)
		}
		return badRequest(name, "unknown field %q", name)
	}
	// The errors of a type's own UnmarshalJSON (time.Time's, for one)
	// come without the field they were found in.
	if member != nil {
		if name := member(); name != "" {
			if te := (*time.ParseError)(nil); errors.As(err, &te) {
				return badRequest(name, "%s: %q is not an RFC 3339 time such as 2026-03-02T08:00:00Z: give the time of day, and its offset or Z for UTC", name, te.Value)
			}
			return badRequest(name, "%s: %v", name, err)
		}
	}
	return badRequest("body", "cannot read the body: %v", err)
}

// memberInError returns the name of the first member of the JSON object
// data, in sorted order, whose value alone a T cannot take, or "" if there
// is none.
func memberInError[T any](data []byte) string {
	var members map[string]json.RawMessage
	if json.Unmarshal(data, &members) != nil {
		return ""
	}
	names := make([]string, 0, len(members))
	for name := range members {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		one, err := json.Marshal(map[string]json.RawMessage{name: members[name]})
		if err != nil {
			continue
		}
		var v T
		if json.Unmarshal(one, &v) != nil {
			return name
		}
	}
	return ""
}

// encodedJSON writes data, a value json.Marshal encoded, as encode would
// write the value.
func encodedJSON(w http.ResponseWriter, status int, data []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	w.Write(append(data, '\n'))
}

// encode writes v as JSON with status.
func encode[T any](w http.ResponseWriter, status int, v T) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}
