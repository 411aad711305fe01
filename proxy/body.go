package proxy

import (
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/mcpgate/mcpgate/proxy/forward"
	"github.com/mcpgate/mcpgate/proxy/oauth"
)

// maxFormBytes bounds the body of the OAuth endpoints: their requests are
// a few hundred bytes; a client that sends more is not a client.
const maxFormBytes = 64 << 10

// boundBody caps every request body in size and in time before any
// handler sees it: bodies over the route's limit are refused (413), bodies
// that arrive slower than the read timeout are cut off (408), and
// multipart bodies, which no endpoint of mcpgate takes and which net/http
// would spill into temporary files, are refused outright (415).
func (s *Server) boundBody(c echo.Context, next echo.HandlerFunc) error {
	r := c.Request()
	if r.ContentLength == 0 && len(r.TransferEncoding) == 0 {
		return next(c) // no body (a GET, or an empty POST)
	}
	mcp := s.isMCPRoute(c.Path())
	limit := int64(maxFormBytes)
	if mcp {
		limit = s.mcpBodyBytes
	}
	if isMultipart(r.Header.Get("Content-Type")) {
		return s.refuse(c, http.StatusUnsupportedMediaType, "multipart bodies are not accepted")
	}
	if r.ContentLength > limit {
		return s.refuse(c, http.StatusRequestEntityTooLarge, "the request body is too large")
	}
	// The deadline is on the connection: it stops a read blocked on a
	// trickling client, which a context cannot. It is lifted once the
	// body is read, so that a long answer (an SSE stream) is not cut by
	// it; if the handler never reads the body, it stays and also bounds
	// net/http's discarding of the rest.
	d := deadliner(c)
	if err := d.SetReadDeadline(time.Now().Add(s.bodyTimeout)); err != nil {
		s.log.WarnContext(r.Context(), "cannot set a body read deadline", "err", err)
	}
	if !mcp {
		// The MCP handler reads the body whole itself (readWholeBody),
		// with the limit and the lifting built in: the hot path is spared
		// two wrappers.
		r.Body = &boundedBody{ReadCloser: http.MaxBytesReader(c.Response(), r.Body, limit), d: d}
	}
	return next(c)
}

// isMultipart reports whether a Content-Type is multipart/*, without the
// allocations of parsing it: it runs for every MCP request.
func isMultipart(ct string) bool {
	ct = strings.TrimLeft(ct, " \t")
	return len(ct) >= len("multipart/") && strings.EqualFold(ct[:len("multipart/")], "multipart/")
}

// readDeadliner sets the read deadline of a request's connection.
type readDeadliner interface {
	SetReadDeadline(time.Time) error
}

// deadliner is the connection's deadline setter: net/http's response
// writer itself (no allocation), or a ResponseController around whatever
// wraps it.
func deadliner(c echo.Context) readDeadliner {
	if d, ok := c.Response().Writer.(readDeadliner); ok {
		return d
	}
	return http.NewResponseController(c.Response())
}

// boundedBody lifts the connection's read deadline at the end of the body.
type boundedBody struct {
	io.ReadCloser
	d    readDeadliner
	done bool
}

func (b *boundedBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err == io.EOF && !b.done {
		b.done = true
		_ = b.d.SetReadDeadline(time.Time{})
	}
	return n, err
}

// bodyError says why reading a body failed: too large, too slow, or
// malformed.
func bodyError(err error) (status int, message string) {
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		return http.StatusRequestEntityTooLarge, "the request body is too large"
	case errors.Is(err, os.ErrDeadlineExceeded):
		return http.StatusRequestTimeout, "the request body did not arrive in time"
	}
	return http.StatusBadRequest, "the request body could not be read"
}

// refuse answers a request turned away before its handler, in the form
// the route's callers understand: a page for browsers, OAuth JSON for the
// API endpoints, JSON-RPC for MCP.
func (s *Server) refuse(c echo.Context, status int, message string) error {
	if status == http.StatusRequestTimeout || status == http.StatusRequestEntityTooLarge {
		// The rest of the body is not worth reading.
		c.Response().Header().Set("Connection", "close")
	}
	switch route := c.Path(); {
	case s.isMCPRoute(route):
		writeJSONRPCError(c.Response(), status, -32600, message)
		return nil
	case s.isPageRoute(route):
		return s.renderError(c, status, "Request not accepted", "The request could not be accepted: "+message+".")
	default:
		return writeOAuthError(c, oauthBodyError(status, message))
	}
}

func (s *Server) isPageRoute(route string) bool {
	_, callback := s.callbacks[route]
	return route == "/authorize" || route == "/consent" || route == oauth.ChooserPath || callback || isAccountRoute(route)
}

// readBrowserForm reads the form of a browser POST (/authorize, /consent):
// application/x-www-form-urlencoded only, within the body limits.
func (s *Server) readBrowserForm(c echo.Context) (form url.Values, failed bool, err error) {
	r := c.Request()
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/x-www-form-urlencoded" {
		return nil, true, s.refuse(c, http.StatusUnsupportedMediaType, "the form must be sent as application/x-www-form-urlencoded")
	}
	if err := r.ParseForm(); err != nil {
		status, message := bodyError(err)
		return nil, true, s.refuse(c, status, message)
	}
	return r.Form, false, nil
}

// oauthBodyError is the OAuth error for a body refused by status.
func oauthBodyError(status int, message string) *oauth.Error {
	return &oauth.Error{Code: oauth.ErrInvalidRequest, Description: message, Status: status}
}

func writeJSONRPCError(w http.ResponseWriter, status, code int, message string) {
	forward.WriteJSONRPCError(w, status, code, message)
}
