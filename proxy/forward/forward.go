package forward

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/mcpgate/mcpgate/proxy/clientaddr"
	"github.com/mcpgate/mcpgate/proxy/principal"
)

// Identity is who the request is for, as mcpgate verified it: the
// principal policy and audit read too, and the signed assertion made for
// it.
type Identity struct {
	*principal.Principal
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
	User  string
	Email string
	// EmailVerified carries "true" or "false" next to Email; set only when
	// unverified emails are forwarded at all.
	EmailVerified string
	Name          string
	Groups        string
	ClientID      string
	Assertion     string
	// UpstreamToken carries the user's IdP access token, given per
	// request (WithUpstreamToken): "Bearer <token>" in Authorization, the
	// bare token in any other header.
	UpstreamToken string
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
	// StripHeaders are more inbound headers never to pass to the backend,
	// besides the well-known identity and proxy families: a name, or a
	// family as "X-Tenant-*".
	StripHeaders []string
	// TrustedProxies are the balancers in front of mcpgate whose
	// X-Forwarded-For names the client.
	TrustedProxies []netip.Prefix
	// PublicScheme is the scheme clients use to reach mcpgate (TLS may end
	// in front of it), sent as X-Forwarded-Proto; "http" by default.
	PublicScheme string
	// PublicHost is the host clients use, the usual X-Forwarded-Host.
	PublicHost string
	// Transport replaces the default tuned transport (tests).
	Transport http.RoundTripper
	Logger    *slog.Logger
}

// Forwarder is a reverse proxy to one MCP backend.
type Forwarder struct {
	backend    *url.URL
	headers    HeaderNames
	filter     *headerFilter
	trusted    []netip.Prefix
	proto      []string
	publicHost []string
	proxy      *httputil.ReverseProxy
	log        *slog.Logger
}

type identityKey struct{}

// forwarding is the forwarded request's context, carrying what rewrite
// and the error handler need of it: who it is for, and its body read
// whole (nil when streamed). One allocation, as context.WithValue was.
type forwarding struct {
	context.Context
	identity *Identity
	body     *Body
}

func (f *forwarding) Value(key any) any {
	if key == (identityKey{}) {
		return f
	}
	return f.Context.Value(key)
}

type upstreamTokenKey struct{}

// WithUpstreamToken gives the forwarded request the user's IdP access
// token, sent when HeaderNames.UpstreamToken is set. It is per request,
// not part of the cached Identity: the IdP renews it.
func WithUpstreamToken(ctx context.Context, token string) context.Context {
	return context.WithValue(ctx, upstreamTokenKey{}, token)
}

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
	if opts.PublicScheme == "" {
		opts.PublicScheme = "http"
	}
	f := &Forwarder{backend: opts.Backend, headers: opts.Headers, log: log, trusted: opts.TrustedProxies,
		proto: []string{opts.PublicScheme}, publicHost: []string{opts.PublicHost}}
	f.filter = newHeaderFilter(f.ownHeaders(), opts.StripHeaders)
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
	body, _ := r.Body.(*Body)
	f.proxy.ServeHTTP(w, r.WithContext(&forwarding{Context: r.Context(), identity: id, body: body}))
}

// ownHeaders are the headers mcpgate sets itself: whatever a client sends
// under these names is dropped first.
func (f *Forwarder) ownHeaders() []string {
	h := f.headers
	return []string{h.User, h.Email, h.EmailVerified, h.Name, h.Groups, h.ClientID, h.Assertion, h.UpstreamToken}
}

func (f *Forwarder) rewrite(pr *httputil.ProxyRequest) {
	out := pr.Out
	if b, ok := pr.In.Body.(*Body); ok && out.Body != nil {
		out.Body = b.outgoing()
	}
	u := *f.backend
	u.RawQuery = pr.In.URL.RawQuery
	out.URL = &u
	out.Host = u.Host
	f.filter.strip(out.Header)
	// What mcpgate saw, never what the client claimed: the client's
	// address (through trusted proxies only), the Host it asked for
	// (checked by the HTTP layer) and the scheme of the public URL.
	if addr := f.clientAddr(pr.In); addr != "" {
		out.Header["X-Forwarded-For"] = []string{addr}
	}
	if pr.In.Host == f.publicHost[0] {
		out.Header["X-Forwarded-Host"] = f.publicHost // the usual case, allocation-free
	} else {
		out.Header["X-Forwarded-Host"] = []string{pr.In.Host}
	}
	out.Header["X-Forwarded-Proto"] = f.proto
	var id *Identity
	if fw, _ := pr.In.Context().Value(identityKey{}).(*forwarding); fw != nil {
		id = fw.identity
	}
	if id == nil {
		return
	}
	// Computed once per cached identity; the value slices are shared and
	// never modified.
	id.once.Do(func() { id.headers = f.identityHeaders(id) })
	for _, h := range id.headers {
		out.Header[h.name] = h.values
	}
	if name := f.headers.UpstreamToken; name != "" {
		if tok := headerSafe(upstreamTokenOf(pr.In.Context())); tok != "" {
			name = http.CanonicalHeaderKey(name)
			if name == "Authorization" {
				tok = "Bearer " + tok
			}
			out.Header[name] = []string{tok}
		}
	}
}

func upstreamTokenOf(ctx context.Context) string {
	tok, _ := ctx.Value(upstreamTokenKey{}).(string)
	return tok
}

// clientAddr is the client's address as X-Forwarded-For carries it: the
// peer's, as RemoteAddr spells it, unless trusted proxies stand between.
func (f *Forwarder) clientAddr(r *http.Request) string {
	if len(f.trusted) == 0 || !clientaddr.FromTrusted(r, f.trusted) {
		host, _, err := net.SplitHostPort(r.RemoteAddr)
		if err != nil {
			return ""
		}
		return host
	}
	if a := clientaddr.Of(r, f.trusted); a.IsValid() {
		return a.String()
	}
	return ""
}

func (f *Forwarder) identityHeaders(id *Identity) []headerValue {
	var out []headerValue
	set := func(name, value string) {
		if name != "" && value != "" {
			out = append(out, headerValue{http.CanonicalHeaderKey(name), []string{value}})
		}
	}
	set(f.headers.User, headerSafe(id.Subject))
	email := headerSafe(id.Email)
	set(f.headers.Email, email)
	if email != "" && f.headers.Email != "" {
		set(f.headers.EmailVerified, strconv.FormatBool(id.EmailVerified))
	}
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
	drainable(resp)
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
	var id json.RawMessage
	if fw, _ := r.Context().Value(identityKey{}).(*forwarding); fw != nil && fw.body != nil {
		id = fw.body.requestID()
	}
	writeJSONRPCError(w, status, id, -32603, message)
}

// WriteJSONRPCError writes a JSON-RPC error response with a null id: the
// request's id is unknown without reading its body.
func WriteJSONRPCError(w http.ResponseWriter, status, code int, message string) {
	writeJSONRPCError(w, status, nil, code, message)
}

// writeJSONRPCError writes the error answering the request id; nil is
// null (JSON-RPC 2.0 §5: the id could not be known).
func writeJSONRPCError(w http.ResponseWriter, status int, id json.RawMessage, code int, message string) {
	if id == nil {
		id = json.RawMessage("null")
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	fmt.Fprintf(w, `{"jsonrpc":"2.0","id":%s,"error":{"code":%d,"message":%q}}`, id, code, message)
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
