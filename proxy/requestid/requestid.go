// Package requestid carries one id per HTTP request through the context,
// into every log line of the request, the audit log and the request to
// the backend, so that one request can be followed across all of them.
package requestid

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"strconv"
	"sync/atomic"
)

// Header is where the id travels: from a trusted proxy in front, to the
// backend, and back to the client.
const Header = "X-Request-Id"

type key struct{}

// With returns ctx carrying id.
func With(ctx context.Context, id string) context.Context { return context.WithValue(ctx, key{}, id) }

// From is the id ctx carries, or "".
func From(ctx context.Context) string {
	id, _ := ctx.Value(key{}).(string)
	return id
}

// Generator makes ids: a random prefix per process, so that replicas'
// ids do not collide, and a counter.
type Generator struct {
	prefix string
	n      atomic.Uint64
}

// NewGenerator returns a Generator with a fresh prefix.
func NewGenerator() *Generator {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return &Generator{prefix: hex.EncodeToString(b) + "-"}
}

// Next returns a new id, in one allocation (it is made per request).
func (g *Generator) Next() string {
	var buf [40]byte
	b := append(buf[:0], g.prefix...)
	return string(strconv.AppendUint(b, g.n.Add(1), 10))
}

// Valid reports whether an id that came from outside may be used: short,
// and of characters that are safe in a header and a log line.
func Valid(id string) bool {
	if id == "" || len(id) > 128 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.' || c == ':') {
			return false
		}
	}
	return true
}

// Handler adds the request id of a record's context to the record.
func Handler(h slog.Handler) slog.Handler { return handler{h} }

type handler struct{ slog.Handler }

func (h handler) Handle(ctx context.Context, r slog.Record) error {
	if id := From(ctx); id != "" {
		r.AddAttrs(slog.String("request_id", id))
	}
	return h.Handler.Handle(ctx, r)
}

func (h handler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return handler{h.Handler.WithAttrs(attrs)}
}

func (h handler) WithGroup(name string) slog.Handler { return handler{h.Handler.WithGroup(name)} }
