package proxy

import (
	"encoding/base64"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/mcpgate/mcpgate/proxy/audit"
	"github.com/mcpgate/mcpgate/proxy/jsonrpc"
	"github.com/mcpgate/mcpgate/proxy/metrics"
	"github.com/mcpgate/mcpgate/proxy/policy"
)

// Error codes mcpgate answers JSON-RPC messages with itself.
const (
	// codePermissionDenied answers a call the policy refuses.
	codePermissionDenied = -32001
	// codeHeaderMismatch answers a message whose Mcp-Method or Mcp-Name
	// header disagrees with its body (SEP-2243, 2026-07-28 revision).
	codeHeaderMismatch = -32020
)

// headersRequiredFrom is the first protocol revision whose requests must
// carry Mcp-Method (and Mcp-Name where the body names something).
const headersRequiredFrom = "2026-07-28"

// exchange is what mcpgate made of one MCP POST before forwarding it.
type exchange struct {
	audited bool
	// method is the first message's JSON-RPC method; outcome, when
	// answered, says why (metrics.Denied or metrics.Refused).
	method  string
	outcome string
	records []audit.Record
	// answered is set when mcpgate has answered the request itself.
	answered bool
	// body replaces the request body (a batch without refused members).
	body []byte
	// rewriter filters the answer; nil passes it on as it is.
	rewriter *jsonrpc.Rewriter
}

func (ex *exchange) add(r audit.Record) {
	if ex.audited {
		ex.records = append(ex.records, r)
	}
}

// callOf says what a message calls that the policy decides.
func callOf(m *jsonrpc.Message) (policy.Kind, string, bool) {
	switch m.Method {
	case "tools/call":
		return policy.Tool, m.Name, true
	case "prompts/get":
		return policy.Prompt, m.Name, true
	case "resources/read", "resources/subscribe":
		return policy.Resource, m.URI, true
	case "completion/complete":
		// Completions of a prompt's or a resource template's arguments
		// are as much the prompt's or resource's as using it.
		switch m.RefType {
		case "ref/prompt":
			return policy.Prompt, m.RefName, true
		case "ref/resource":
			return policy.Resource, expandEmpty(m.RefURI), true
		}
		return policy.Prompt, "", true // an unknown ref names nothing allowed
	}
	return 0, "", false
}

// inspect reads an MCP POST body when the policy, the audit log or the
// 2026-07-28 headers need it, and decides each message. It returns nil
// when there is nothing to do: the request is forwarded untouched.
func (s *Server) inspect(w http.ResponseWriter, r *http.Request, rt *Route, v *verified, body []byte) *exchange {
	pol := rt.Policy.Load()
	_, hasMethodHeader := r.Header["Mcp-Method"]
	strictHeaders := revisionAtLeast(r.Header.Get("Mcp-Protocol-Version"), headersRequiredFrom)
	rules := pol.HasRules()
	if !rules && s.audit == nil && !hasMethodHeader && !strictHeaders {
		return nil
	}
	ex := &exchange{audited: s.audit != nil, outcome: metrics.Refused}
	msgs, batch, err := jsonrpc.Parse(body)
	if err != nil {
		ex.add(s.record(rt, v, "", "invalid", "the body is not a JSON-RPC message mcpgate can read"))
		if !rules && !hasMethodHeader && !strictHeaders {
			return ex // the backend answers what it cannot read
		}
		code := jsonrpc.CodeInvalidRequest
		if err == jsonrpc.ErrParse {
			code = jsonrpc.CodeParseError
		}
		writeJSON(w, http.StatusBadRequest, jsonrpc.ErrorResponse(nil, code, "the request is not a valid JSON-RPC message", nil))
		ex.answered = true
		return ex
	}
	ex.method = msgs[0].Method
	if !batch && (hasMethodHeader || strictHeaders) {
		if why := headerMismatch(r.Header, &msgs[0], strictHeaders); why != "" {
			ex.add(s.record(rt, v, msgs[0].Method, "invalid", why))
			writeJSON(w, http.StatusBadRequest, jsonrpc.ErrorResponse(msgs[0].ID, codeHeaderMismatch, why, nil))
			ex.answered = true
			return ex
		}
	}
	var view *policy.View
	if rules {
		view = v.viewOf(pol)
	}
	if ex.audited {
		ex.records = make([]audit.Record, 0, len(msgs))
	}
	var (
		refused  [][]byte // answers to refused requests
		kept     [][]byte // raw members to forward
		lists    jsonrpc.Lists
		ids      map[string]bool
		stepUp   []string
		forwards bool
	)
	if batch {
		// JSON-RPC ids are unique among a batch's requests; answers to
		// repeated ones could not be told apart.
		ids = map[string]bool{}
		for i := range msgs {
			if id := string(msgs[i].ID); msgs[i].IsRequest() {
				if ids[id] {
					ex.add(s.record(rt, v, msgs[i].Method, "invalid", "a batch repeats a request id"))
					writeJSON(w, http.StatusBadRequest, jsonrpc.ErrorResponse(nil, jsonrpc.CodeInvalidRequest, "the batch repeats a request id", nil))
					ex.answered = true
					return ex
				}
				ids[id] = true
			}
		}
	}
	for i := range msgs {
		m := &msgs[i]
		rec := s.record(rt, v, m.Method, "allow", "")
		kind, target, isCall := callOf(m)
		if isCall {
			rec.Kind, rec.Target = kind.String(), target
		}
		if view != nil && isCall {
			d := view.Decide(kind, target)
			if kind == policy.Resource && !normalURI(target) {
				// The backend may resolve file:///a/../b or %2e%2e to a
				// resource the patterns were not written for.
				d = policy.Decision{}
				rec.Reason = "the resource URI is not in normal form"
			}
			rec.Rule = d.Rule
			switch {
			case !d.Allowed && len(d.NeedScopes) > 0:
				rec.Decision = "step_up"
				stepUp = appendMissing(stepUp, d.NeedScopes...)
			case !d.Allowed:
				rec.Decision = "deny"
				s.metrics.PolicyDenial(rt.Name, kind.String())
				if m.ID != nil {
					refused = append(refused, permissionDenied(m.ID, kind, target))
				}
			}
		}
		if l := jsonrpc.ListOf(m.Method); l != 0 && view != nil && !view.Open() && m.ID != nil {
			lists.Add(l)
		}
		if rec.Decision == "allow" {
			forwards = true
		} else if kept == nil && batch {
			// The first refused member of a batch: the members before it
			// were all kept.
			kept = make([][]byte, 0, len(msgs))
			for j := range i {
				kept = append(kept, msgs[j].Raw)
			}
		}
		if kept != nil && rec.Decision == "allow" {
			kept = append(kept, m.Raw)
		}
		ex.add(rec)
	}
	ex.outcome = metrics.Denied
	switch {
	case len(stepUp) > 0:
		s.insufficientScope(w, rt, v, stepUp)
		ex.answered = true
		for i := range ex.records {
			if ex.records[i].Decision == "allow" {
				// Allowed, but the request as a whole was sent back.
				ex.records[i].Decision = "not_forwarded"
			}
		}
	case !forwards:
		ex.answered = true
		switch {
		case len(refused) == 0:
			w.WriteHeader(http.StatusAccepted) // refused notifications: nothing to answer
		case batch:
			writeJSON(w, http.StatusOK, jsonrpc.JoinArray(refused))
		default:
			writeJSON(w, http.StatusOK, refused[0])
		}
	default:
		if kept != nil {
			ex.body = jsonrpc.JoinArray(kept)
		}
		if lists != 0 || len(refused) > 0 {
			ex.rewriter = s.rewriter(w, r, view, lists, refused)
		}
	}
	return ex
}

// listed reports whether a listed item is one the principal may use. A
// resource template is listed when the URI it gives with every variable
// empty is allowed ("file:///workspace/{path}" under "file:///workspace/*").
func listed(view *policy.View, l jsonrpc.List, name string) bool {
	switch l {
	case jsonrpc.Tools:
		return view.Decide(policy.Tool, name).Allowed
	case jsonrpc.Prompts:
		return view.Decide(policy.Prompt, name).Allowed
	case jsonrpc.ResourceTemplates:
		return view.Decide(policy.Resource, expandEmpty(name)).Allowed
	}
	return view.Decide(policy.Resource, name).Allowed
}

// expandEmpty expands an RFC 6570 URI template with every variable empty.
func expandEmpty(template string) string {
	var b strings.Builder
	for {
		i := strings.IndexByte(template, '{')
		if i < 0 {
			b.WriteString(template)
			return b.String()
		}
		b.WriteString(template[:i])
		j := strings.IndexByte(template[i:], '}')
		if j < 0 {
			return b.String()
		}
		template = template[i+j+1:]
	}
}

func permissionDenied(id []byte, kind policy.Kind, target string) []byte {
	return jsonrpc.ErrorResponse(id, codePermissionDenied, "permission denied: "+kind.String()+" "+target,
		map[string]string{"required_permission": kind.String() + ":" + target})
}

// headerMismatch checks the Mcp-Method and Mcp-Name headers against the
// message they describe, and says how they disagree, or "". With strict
// (2026-07-28 and later) they must be there; before, only when present.
func headerMismatch(h http.Header, m *jsonrpc.Message, strict bool) string {
	if m.Method == "" {
		return ""
	}
	method, ok := headerValue(h, "Mcp-Method")
	if (ok || strict) && method != m.Method {
		return "the Mcp-Method header does not match the method in the body"
	}
	var want string
	switch m.Method {
	case "tools/call", "prompts/get":
		want = m.Name
	case "resources/read":
		want = m.URI
	default:
		return ""
	}
	name, present := headerValue(h, "Mcp-Name")
	if present {
		var valid bool
		if name, valid = decodeHeaderValue(name); !valid {
			return "the Mcp-Name header is not valid base64"
		}
	}
	if (present || strict) && name != want {
		return "the Mcp-Name header does not match the name in the body"
	}
	return ""
}

func headerValue(h http.Header, name string) (string, bool) {
	vs, ok := h[name]
	if !ok || len(vs) != 1 {
		return "", ok && len(vs) > 0 // several values never match one body
	}
	return strings.Trim(vs[0], " \t"), true
}

// decodeHeaderValue undoes the =?base64?...?= wrapping of SEP-2243, used
// for values that are not plain ASCII.
func decodeHeaderValue(v string) (string, bool) {
	inner, ok := strings.CutPrefix(v, "=?base64?")
	if !ok {
		return v, true
	}
	inner, ok = strings.CutSuffix(inner, "?=")
	if !ok {
		return "", false
	}
	b, err := base64.StdEncoding.Strict().DecodeString(inner)
	return string(b), err == nil
}

func appendMissing(to []string, ss ...string) []string {
	for _, s := range ss {
		if !slices.Contains(to, s) {
			to = append(to, s)
		}
	}
	return to
}

func writeJSON(w http.ResponseWriter, status int, body []byte) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

func (s *Server) record(rt *Route, v *verified, method, decision, reason string) audit.Record {
	p := v.principal
	return audit.Record{Event: "mcp_request", Backend: rt.Name, Subject: p.Subject, IdP: p.IdP, Email: p.Email, ClientID: p.ClientID,
		Method: method, Decision: decision, Reason: reason}
}

// insufficientScope asks the client to step up (RFC 6750 §3.1, MCP
// scope challenge): the scopes named are those the call needs plus those
// the token holds, so that the new token keeps what the old one could do.
func (s *Server) insufficientScope(w http.ResponseWriter, rt *Route, v *verified, need []string) {
	scopes := appendMissing(append([]string(nil), v.principal.Scopes...), need...)
	w.Header().Set("WWW-Authenticate", `Bearer error="insufficient_scope", scope="`+strings.Join(scopes, " ")+
		`", resource_metadata="`+rt.metadataURL(s.issuer)+
		`", error_description="this call needs the scope `+strings.Join(need, " ")+`"`)
	writeJSON(w, http.StatusForbidden, jsonrpc.ErrorResponse(nil, codePermissionDenied, "insufficient scope: this call needs "+strings.Join(need, " "), nil))
}

// revisionAtLeast reports whether version, a revision date such as
// 2026-07-28, is rev or later; anything else is not.
func revisionAtLeast(version, rev string) bool {
	return len(version) == len(rev) && version[4] == '-' && version[7] == '-' && version >= rev
}

// rewriter filters the answer to r. The client's Accept-Encoding is
// dropped so that the answer comes readable (Go's transport asks for gzip
// itself and decompresses).
func (s *Server) rewriter(w http.ResponseWriter, r *http.Request, view *policy.View, lists jsonrpc.Lists, extra [][]byte) *jsonrpc.Rewriter {
	r.Header.Del("Accept-Encoding")
	return jsonrpc.NewRewriter(w, lists, func(l jsonrpc.List, name string) bool { return listed(view, l, name) }, extra)
}

// normalURI reports whether a resource URI is in the normal form that
// rules are matched against (RFC 3986 §6.2.2): lower-case scheme and host,
// no dot segments, and no percent-encoding of characters that need none.
func normalURI(raw string) bool {
	u, err := url.Parse(raw)
	// url.Parse lowers the scheme: compare with what was sent.
	if err != nil || u.Scheme == "" || !strings.HasPrefix(raw, u.Scheme+":") || u.Host != strings.ToLower(u.Host) {
		return false
	}
	p := u.EscapedPath()
	if u.Opaque != "" {
		p = u.Opaque
	}
	for _, seg := range strings.Split(p, "/") {
		dec, err := url.PathUnescape(seg)
		if err != nil || dec == "." || dec == ".." {
			return false
		}
	}
	for i := 0; i+2 < len(raw); i++ {
		if raw[i] != '%' {
			continue
		}
		b, err := strconv.ParseUint(raw[i+1:i+3], 16, 8)
		if err == nil && isUnreserved(byte(b)) {
			return false
		}
	}
	return true
}

func isUnreserved(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~'
}
