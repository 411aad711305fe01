package proxy

import (
	"context"
	"errors"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"go.opentelemetry.io/otel/attribute"

	"github.com/mcpgate/mcpgate/proxy/authserver"
	"github.com/mcpgate/mcpgate/proxy/forward"
	"github.com/mcpgate/mcpgate/proxy/jsonrpc"
	"github.com/mcpgate/mcpgate/proxy/metrics"
	"github.com/mcpgate/mcpgate/proxy/principal"
	"github.com/mcpgate/mcpgate/proxy/requestid"
)

// mcp is the protected MCP endpoint: Origin check, token check, forward.
// It does no store lookup: a token is checked by signature and claims, and
// the result is cached until the token expires.
func (s *Server) mcp(c echo.Context, rt *Route) error {
	r := c.Request()
	w := c.Response()
	origin := r.Header.Get("Origin")
	if origin != "" {
		if !s.originAllowed(origin) {
			// DNS rebinding and cross-site pages: refuse any other origin.
			forward.WriteJSONRPCError(w, http.StatusForbidden, -32600, "origin not allowed")
			return nil
		}
		s.allowOrigin(w.Header(), origin)
		if r.Method == http.MethodOptions {
			return preflightMCP(c)
		}
	}
	now := time.Now()
	v, fail := s.authenticate(r.Context(), r, now)
	if fail == nil && !v.principal.For(rt.Resource) {
		// Tokens are audience-bound: one for another backend is no good
		// here, whatever it could do there.
		fail = errOtherResource
	}
	if fail != nil {
		s.metrics.MCPRequest(rt.Name, "", metrics.Unauthorized)
		return s.challenge(c, rt, fail)
	}
	if rt.Forwarder == nil {
		forward.WriteJSONRPCError(w, http.StatusBadGateway, -32603, "no MCP backend is configured")
		return nil
	}
	if r.Method == http.MethodGet {
		// A GET stream ends when mcpgate stops (Drain), cleanly: the
		// client sees the stream's end and reconnects.
		r = r.WithContext(forward.WithDrain(r.Context(), s.draining))
		c.SetRequest(r)
	}
	if rt.UpstreamToken {
		if r, fail = s.withUpstreamToken(r, v.principal); fail != nil {
			s.metrics.MCPRequest(rt.Name, "", metrics.Unauthorized)
			return s.challenge(c, rt, fail)
		}
		c.SetRequest(r)
	}
	body, err := readWholeBody(r, s.mcpBodyBytes, deadliner(c))
	if err != nil {
		s.metrics.MCPRequest(rt.Name, "", metrics.Refused)
		status, message := bodyError(err)
		return s.refuse(c, status, message)
	}
	var ex *exchange
	if r.Method == http.MethodPost {
		ex = s.inspect(w, r, rt, v, body)
	} else if pol := rt.Policy.Load(); s.audit != nil || (r.Method == http.MethodGet && pol.HasRules()) {
		ex = &exchange{audited: s.audit != nil}
		ex.add(s.record(rt, v, r.Method, "allow", ""))
		if view := v.viewOf(pol); r.Method == http.MethodGet && !view.Open() {
			// A GET stream may carry any answer again (a resumed stream
			// replays its events): every list on it is filtered.
			ex.rewriter = s.rewriter(w, r, view, jsonrpc.AllLists, nil)
		}
	}
	if ex == nil {
		s.forward(w, r, rt, v, now, "")
		return nil
	}
	if !ex.answered {
		if ex.body != nil {
			setBody(r, ex.body)
		}
		var out http.ResponseWriter = w
		if ex.rewriter != nil {
			out = ex.rewriter
		}
		s.forward(out, r, rt, v, now, ex.method)
		if ex.rewriter != nil {
			ex.rewriter.Finish()
		}
	} else {
		s.metrics.MCPRequest(rt.Name, ex.method, ex.outcome)
	}
	s.writeAudit(r.Context(), ex, now, w.Status)
	return nil
}

// forward hands the request to the route's backend, and measures
// mcpgate's own time before it and the exchange after.
func (s *Server) forward(w http.ResponseWriter, r *http.Request, rt *Route, v *verified, arrived time.Time, method string) {
	start := time.Now()
	s.metrics.Added(start.Sub(arrived))
	if r.Method == http.MethodGet {
		s.metrics.StreamOpened()
		defer s.metrics.StreamClosed()
	}
	if s.tracer != nil {
		s.forwardTraced(w, r, rt, v, method)
	} else {
		rt.Forwarder.Forward(w, r, v.identity)
	}
	if r.Method == http.MethodPost {
		s.metrics.Backend(rt.Name, time.Since(start))
	}
	s.metrics.MCPRequest(rt.Name, method, metrics.Forwarded)
}

// forwardTraced forwards under a client span of its own, whose context
// the backend receives in place of any the MCP client sent.
func (s *Server) forwardTraced(w http.ResponseWriter, r *http.Request, rt *Route, v *verified, method string) {
	ctx, span := s.tracer.StartClient(r.Context(), "mcp.forward",
		attribute.String("mcp.backend", metrics.BackendLabel(rt.Name)), attribute.String("mcp.method.name", metrics.MethodLabel(method)))
	defer span.End()
	s.tracer.Inject(ctx, r.Header)
	rt.Forwarder.Forward(w, r.WithContext(ctx), v.identity)
}

// writeAudit writes the exchange's records, with the answer's status and
// the time from the request's arrival; a request mcpgate answered itself
// has no backend status.
func (s *Server) writeAudit(ctx context.Context, ex *exchange, start time.Time, status int) {
	if s.audit == nil || len(ex.records) == 0 {
		return
	}
	end := time.Now()
	id := requestid.From(ctx)
	if id == "" {
		id = s.requestIDs.Next()
	}
	for i := range ex.records {
		rec := &ex.records[i]
		rec.Time, rec.RequestID = end, id
		if !ex.answered {
			rec.Status, rec.Latency = status, end.Sub(start)
		}
		s.audit.Write(rec)
	}
}

// readWholeBody reads an MCP request body before anything is forwarded: a
// JSON-RPC message is only acted on whole, a client trickling its body is
// cut off (boundBody set the read deadline) rather than holding a backend
// connection, and a half-sent body never reaches the backend. A body over
// limit fails with *http.MaxBytesError; at its end the read deadline is
// lifted, so that a streamed answer is not cut by it.
func readWholeBody(r *http.Request, limit int64, d readDeadliner) ([]byte, error) {
	if r.Body == nil || r.Body == http.NoBody {
		return nil, nil
	}
	size := r.ContentLength
	if size < 0 {
		size = 4 << 10
	}
	// One byte more than announced, so that the read that reports EOF
	// needs no second buffer.
	body := make([]byte, 0, min(size, limit)+1)
	for {
		if len(body) == cap(body) {
			body = slices.Grow(body, cap(body))
		}
		n, err := r.Body.Read(body[len(body):cap(body)])
		body = body[:len(body)+n]
		if int64(len(body)) > limit {
			return nil, &http.MaxBytesError{Limit: limit}
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
	}
	_ = d.SetReadDeadline(time.Time{})
	setBody(r, body)
	r.TransferEncoding = nil
	return body, nil
}

// setBody makes body, read whole, the request's body, as a forward.Body
// so that it reaches the backend in one write with the headers.
func setBody(r *http.Request, body []byte) {
	r.Body = forward.NewBody(body)
	r.ContentLength = int64(len(body))
}

// authenticate returns the verified token of the request, from the cache
// when it was seen before, held to its DPoP key if it is bound to one.
func (s *Server) authenticate(ctx context.Context, r *http.Request, now time.Time) (*verified, *bearerFailure) {
	token, dpopScheme, fail := bearerToken(r)
	if fail != nil {
		return nil, fail
	}
	v, fail := s.verifiedToken(ctx, token, now)
	if fail == nil {
		// Per request, cached or not: a proof is good for one request.
		fail = s.checkBinding(r, token, dpopScheme, v.principal, now)
	}
	if fail != nil {
		return nil, fail
	}
	return v, nil
}

// verifiedToken verifies token, or finds it in the cache, and checks that
// its grant is not revoked.
func (s *Server) verifiedToken(ctx context.Context, token string, now time.Time) (*verified, *bearerFailure) {
	unix := now.Unix()
	if v := s.tokens.get(token, unix); v != nil && (v.assertionExpiry == 0 || unix < v.assertionExpiry-assertionMargin) {
		if s.revoked(v.principal) {
			return nil, errTokenRevoked
		}
		return v, nil
	}
	p, err := s.verifier.Verify(ctx, token, now)
	var refused *principal.Refusal
	switch {
	case errors.As(err, &refused):
		return nil, &bearerFailure{invalid: true, description: refused.Description}
	case err != nil:
		s.log.ErrorContext(ctx, "verify bearer token", "err", err)
		return nil, &bearerFailure{status: http.StatusInternalServerError}
	}
	if s.revoked(p) {
		return nil, errTokenRevoked
	}
	v := &verified{principal: p, identity: &forward.Identity{Principal: p}, expiry: p.Expiry.Unix()}
	if s.assertion != nil {
		a, exp, err := s.assertion.sign(ctx, p, now)
		if err != nil {
			s.log.ErrorContext(ctx, "sign backend assertion", "err", err)
			return nil, &bearerFailure{status: http.StatusInternalServerError}
		}
		v.identity.Assertion, v.assertionExpiry = a, exp
	}
	s.tokens.put(token, v, unix)
	return v, nil
}

// withUpstreamToken gives r the IdP access token of p's sign-in. A token
// without a sign-in (a service account's) gets none; a sign-in without a
// usable IdP token gets 401, whose refresh fails and so brings the user
// back to sign in.
func (s *Server) withUpstreamToken(r *http.Request, p *principal.Principal) (*http.Request, *bearerFailure) {
	if p.GrantID == "" {
		return r, nil
	}
	tok, err := s.as.UpstreamAccessToken(r.Context(), p.Subject, p.IdP, p.UpstreamGrantID)
	switch {
	case errors.Is(err, authserver.ErrNoUpstreamToken):
		return r, errNoUpstreamToken
	case err != nil:
		s.log.ErrorContext(r.Context(), "upstream access token for the backend", "err", err)
		return r, &bearerFailure{status: http.StatusServiceUnavailable}
	}
	return r.WithContext(forward.WithUpstreamToken(r.Context(), tok)), nil
}

var (
	errNoUpstreamToken = &bearerFailure{invalid: true, description: "the identity provider's token for this server has expired; sign in again"}
	errTokenRevoked    = &bearerFailure{invalid: true, description: "the access token has been revoked"}
	errOtherResource   = &bearerFailure{invalid: true, description: "the access token is for another resource"}
)

// revoked checks the token's grant on every request, cached or not: a
// revocation must reach tokens verified before it. A logout at the IdP
// revokes the upstream grant, which every family started from it shares.
func (s *Server) revoked(p *principal.Principal) bool {
	return s.revocations != nil && (s.revocations.Revoked(p.GrantID) || s.revocations.Revoked(p.UpstreamGrantID))
}

func (s *Server) originAllowed(origin string) bool {
	if strings.EqualFold(origin, s.issuer) {
		return true
	}
	for _, o := range s.allowedOrigins {
		if strings.EqualFold(origin, o) {
			return true
		}
	}
	return false
}

// allowOrigin lets a permitted browser client read the answer, including
// the headers MCP and OAuth discovery need.
func (s *Server) allowOrigin(h http.Header, origin string) {
	h.Set("Access-Control-Allow-Origin", origin)
	h.Add("Vary", "Origin")
	h.Set("Access-Control-Expose-Headers", "Mcp-Session-Id, MCP-Protocol-Version, WWW-Authenticate")
}

func preflightMCP(c echo.Context) error {
	h := c.Response().Header()
	h.Set("Access-Control-Allow-Methods", "GET, POST, DELETE, OPTIONS")
	h.Set("Access-Control-Allow-Headers", "Authorization, Content-Type, Accept, Mcp-Session-Id, MCP-Protocol-Version, Mcp-Method, Mcp-Name, Last-Event-ID, Mcp-Param-*")
	h.Set("Access-Control-Max-Age", "600")
	return c.NoContent(http.StatusNoContent)
}
