// Package requestid carries the id of the request a piece of work is
// for, from the HTTP request that started it to every log line it writes
// and to the peer node a message it caused is delivered to, so that one
// id finds a request in both nodes' logs.
package requestid

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
)

// Header is the HTTP header that carries the id, both ways.
const Header = "X-Request-Id"

// Attr is the key of the id in log records.
const Attr = "request_id"

type ctxKey struct{}

// With returns ctx carrying id.
func With(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, ctxKey{}, id)
}

// From returns the id ctx carries, "" if none.
func From(ctx context.Context) string {
	id, _ := ctx.Value(ctxKey{}).(string)
	return id
}

// New returns a new random id.
func New() string {
	b := make([]byte, 12)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// Valid reports whether id, taken from a caller, may be used as is: a
// token of 1 to 64 letters, digits, '.', '_' or '-', which cannot forge
// a log line or carry much.
func Valid(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// Of returns id if it is Valid, else a New one.
func Of(id string) string {
	if Valid(id) {
		return id
	}
	return New()
}

// Handler adds the id of a record's context to the record, as
// request_id, before h handles it: a line logged with a request's
// context names its request without each caller passing the id.
func Handler(h slog.Handler) slog.Handler {
	if _, ok := h.(handler); ok {
		return h
	}
	return handler{h}
}

type handler struct{ slog.Handler }

func (h handler) Handle(ctx context.Context, r slog.Record) error {
	if id := From(ctx); id != "" {
		r = r.Clone()
		r.AddAttrs(slog.String(Attr, id))
	}
	return h.Handler.Handle(ctx, r)
}

func (h handler) WithAttrs(as []slog.Attr) slog.Handler { return handler{h.Handler.WithAttrs(as)} }
func (h handler) WithGroup(name string) slog.Handler    { return handler{h.Handler.WithGroup(name)} }
