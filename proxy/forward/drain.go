package forward

import (
	"context"
	"io"
	"net/http"
)

type drainKey struct{}

// WithDrain makes the answer to the request end, cleanly, once drain is
// done: the stream's end reaches the client as the end of the body (the
// final chunk), not as a cut connection, so it reconnects as after any
// stream's end. For streams that never end by themselves (MCP GET) during
// a graceful stop.
func WithDrain(ctx, drain context.Context) context.Context {
	return context.WithValue(ctx, drainKey{}, drain)
}

// drainingBody is a backend's answer that reads as ended once drain is.
type drainingBody struct {
	io.ReadCloser
	drain context.Context
	stop  func() bool
}

func (b *drainingBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err != nil && b.drain.Err() != nil {
		return n, io.EOF
	}
	return n, err
}

func (b *drainingBody) Close() error {
	b.stop()
	return b.ReadCloser.Close()
}

// drainable wraps resp's body when its request asked for it.
func drainable(resp *http.Response) {
	drain, _ := resp.Request.Context().Value(drainKey{}).(context.Context)
	if drain == nil {
		return
	}
	body := resp.Body
	// Closing the body unblocks a read waiting on the backend.
	stop := context.AfterFunc(drain, func() { body.Close() })
	resp.Body = &drainingBody{ReadCloser: body, drain: drain, stop: stop}
}
