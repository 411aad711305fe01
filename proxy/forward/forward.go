package forward

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"time"
)

// Identity is who the request is for, as mcpgate vouches for it.
type Identity struct {
	Subject  string
	Email    string
	Name     string
	Groups   []string
	ClientID string
	// Assertion is a signed JWT for the backend, or "" when none is
	// configured.
	Assertion string

	once    sync.Once
	headers []headerValue
}

type headerValue struct {
	name   string
	values []string
}

// HeaderNames name the request headers that carry the identity to the
// backend; an empty name leaves that value out.
type HeaderNames struct {
	User      string
	Email     string
	Name      string
	Groups    string
	ClientID  string
	Assertion string
}

// Options configure a Forwarder.
type Options struct {
	// Backend is the backend's MCP endpoint URL; requests go to exactly
	// this URL, with the client's query string.
	Backend *url.URL
	Headers HeaderNames
	// ResponseHeaderTimeout bounds the wait for the backend's response
	// headers (a tool call answered as plain JSON arrives only when the
	// tool is done). Streams, once started, have no time limit.
	ResponseHeaderTimeout time.Duration
	// Transport replaces the default tuned transport (tests).
	Transport http.RoundTripper
	Logger    *slog.Logger
}

// Forwarder is a reverse proxy to one MCP backend.
type Forwarder struct {
	backend *url.URL
	headers HeaderNames
	strip   []string
	proxy   *httputil.ReverseProxy
	log     *slog.Logger
}

type identityKey struct{}

// New returns a Forwarder.
func New(opts Options) (*Forwarder, error) {
	if opts.Backend == nil || opts.Backend.Host == "" || (opts.Backend.Scheme != "http" && opts.Backend.Scheme != "https") {
		return nil, errors.New("forward: backend must be an absolute http(s) URL")
	}
	if opts.ResponseHeaderTimeout == 0 {
		opts.ResponseHeaderTimeout = 5 * time.Minute
	}
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	f := &Forwarder{backend: opts.Backend, headers: opts.Headers, log: log}
	f.strip = f.headersToStrip()
	transport := opts.Transport
	if transport == nil {
		transport = NewTransport(opts.ResponseHeaderTimeout)
	}
	f.proxy = &httputil.ReverseProxy{
		Rewrite:   f.rewrite,
		Transport: transport,
		// Zero: ReverseProxy already flushes text/event-stream and
		// unknown-length bodies after every write; a JSON answer of known
		// length goes out in one write instead of headers then body.
		FlushInterval:  0,
		ErrorHandler:   f.backendError,
		ModifyResponse: noBuffering,
		BufferPool:     BufferPool{},
	}
	return f, nil
}

// NewTransport is the transport to the backend: direct (no environment
// proxy), keep-alive pools sized for many concurrent MCP clients.
func NewTransport(responseHeaderTimeout time.Duration) *http.Transport {
	return &http.Transport{
		Proxy: nil, // the backend is reached directly, never through an env proxy
		DialContext: (&net.Dialer{
			Timeout:   10 * time.Second,
			KeepAlive: 30 * time.Second,
		}).DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          1024,
		MaxIdleConnsPerHost:   512,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: responseHeaderTimeout,
		ExpectContinueTimeout: time.Second,
	}
}

// Forward sends r to the backend on behalf of id.
func (f *Forwarder) Forward(w http.ResponseWriter, r *http.Request, id *Identity) {
	// Without full duplex, Go's HTTP/1 server closes the request body once
	// the answer starts; the transport's last read of it then fails and
	// drops the backend connection mid-answer (golang/go#40747), which cut
	// streamed MCP answers short now and then.
	_ = http.NewResponseController(w).EnableFullDuplex()
	f.proxy.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), identityKey{}, id)))
}

// headersToStrip lists every inbound header that could pass as identity
// or credentials at the backend.
func (f *Forwarder) headersToStrip() []string {
	out := []string{"Authorization", "Cookie", "Proxy-Authorization", "Forwarded",
		"X-Forwarded-User", "X-Forwarded-Email", "X-Forwarded-Groups", "X-Forwarded-Preferred-Username",
		"X-Forwarded-Access-Token", "X-Auth-Request-User", "X-Auth-Request-Email", "X-Remote-User", "Remote-User"}
	h := f.headers
	for _, name := range []string{h.User, h.Email, h.Name, h.Groups, h.ClientID, h.Assertion} {
		if name != "" {
			out = append(out, http.CanonicalHeaderKey(name))
		}
	}
	return out
}

func (f *Forwarder) rewrite(pr *httputil.ProxyRequest) {
	out := pr.Out
	u := *f.backend
	u.RawQuery = pr.In.URL.RawQuery
	out.URL = &u
	out.Host = u.Host
	for _, name := range f.strip {
		out.Header.Del(name)
	}
	pr.SetXForwarded()
	id, _ := pr.In.Context().Value(identityKey{}).(*Identity)
	if id == nil {
		return
	}
	// Computed once per cached identity; the value slices are shared and
	// never modified.
	id.once.Do(func() { id.headers = f.identityHeaders(id) })
	for _, h := range id.headers {
		out.Header[h.name] = h.values
	}
}

func (f *Forwarder) identityHeaders(id *Identity) []headerValue {
	var out []headerValue
	set := func(name, value string) {
		if name != "" && value != "" {
			out = append(out, headerValue{http.CanonicalHeaderKey(name), []string{value}})
		}
	}
	set(f.headers.User, headerSafe(id.Subject))
	set(f.headers.Email, headerSafe(id.Email))
	set(f.headers.Name, headerSafe(id.Name))
	set(f.headers.ClientID, headerSafe(id.ClientID))
	set(f.headers.Groups, joinGroups(id.Groups))
	set(f.headers.Assertion, id.Assertion)
	return out
}

// headerSafe drops values a header cannot carry; identity values come from
// the IdP, which is trusted to say who, not to be well-formed.
func headerSafe(v string) string {
	for i := 0; i < len(v); i++ {
		if c := v[i]; c < 0x20 || c == 0x7f {
			return ""
		}
	}
	return v
}

// joinGroups joins groups with commas, leaving out any group whose name
// would make the list ambiguous or the header invalid.
func joinGroups(groups []string) string {
	var b strings.Builder
	for _, g := range groups {
		if g == "" || strings.Contains(g, ",") || headerSafe(g) == "" {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		b.WriteString(g)
	}
	return b.String()
}

// noBuffering tells proxies in front of mcpgate (nginx) not to hold back
// event streams.
func noBuffering(resp *http.Response) error {
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		resp.Header.Set("X-Accel-Buffering", "no")
	}
	return nil
}

// backendError answers a failed backend exchange: 504 when the backend was
// too slow, 502 otherwise, as a JSON-RPC error the MCP client can show.
func (f *Forwarder) backendError(w http.ResponseWriter, r *http.Request, err error) {
	if r.Context().Err() != nil {
		return // the client went away; nobody is listening
	}
	status, message := http.StatusBadGateway, "the MCP backend is unavailable"
	var ne net.Error
	if errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()) {
		status, message = http.StatusGatewayTimeout, "the MCP backend did not answer in time"
	}
	f.log.WarnContext(r.Context(), "backend request failed", "status", status, "err", err)
	WriteJSONRPCError(w, status, -32603, message)
}

// WriteJSONRPCError writes a JSON-RPC error response with a null id: the
// request's id is unknown without reading its body.
func WriteJSONRPCError(w http.ResponseWriter, status, code int, message string) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	fmt.Fprintf(w, `{"jsonrpc":"2.0","id":null,"error":{"code":%d,"message":%q}}`, code, message)
}

// BufferPool reuses ReverseProxy's 32 KiB copy buffers, which it otherwise
// allocates for every response.
type BufferPool struct{}

const bufferSize = 32 << 10

// Pooled as array pointers, so that Put allocates nothing.
var buffers = sync.Pool{New: func() any { return new([bufferSize]byte) }}

func (BufferPool) Get() []byte { return buffers.Get().(*[bufferSize]byte)[:] }

func (BufferPool) Put(b []byte) {
	if len(b) == bufferSize {
		buffers.Put((*[bufferSize]byte)(b))
	}
}
