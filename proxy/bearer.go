package proxy

import (
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/mcpgate/mcpgate/proxy/dpop"
	"github.com/mcpgate/mcpgate/proxy/forward"
)

// bearerFailure is why a request to the MCP endpoint is refused.
type bearerFailure struct {
	// invalid is set when a token was sent but failed (RFC 6750 §3.1
	// error="invalid_token"); unset for a request with no token.
	invalid     bool
	description string
	// malformed is set for a request RFC 6750 §3.1 calls invalid_request
	// (400): more than one Authorization header.
	malformed bool
	// status overrides 401 for failures that are mcpgate's, not the token's.
	status int
	// dpopError is set for a failed DPoP check (RFC 9449 §7.1):
	// invalid_dpop_proof or use_dpop_nonce, answered with a DPoP challenge.
	dpopError string
}

// authorizationHeader is the request's one Authorization header. Two are
// refused, never one picked: a proxy in front that reads the other one
// would act for someone else than mcpgate verified.
func authorizationHeader(r *http.Request) (value string, single bool) {
	values := r.Header.Values("Authorization")
	switch len(values) {
	case 0:
		return "", true
	case 1:
		return values[0], true
	}
	return "", false
}

// bearerToken takes the token from the Authorization header, the only
// place mcpgate accepts it (never the query string), with its scheme:
// Bearer, or DPoP for a sender-constrained token.
func bearerToken(r *http.Request) (token string, dpopScheme bool, fail *bearerFailure) {
	h, single := authorizationHeader(r)
	if !single {
		return "", false, &bearerFailure{malformed: true, description: "send one Authorization header"}
	}
	if h == "" {
		return "", false, &bearerFailure{}
	}
	scheme, token, ok := strings.Cut(h, " ")
	token = strings.TrimSpace(token)
	dpopScheme = strings.EqualFold(scheme, "DPoP")
	if !ok || (!strings.EqualFold(scheme, "Bearer") && !dpopScheme) || token == "" {
		return "", false, &bearerFailure{invalid: true, description: "the Authorization header must be Bearer <token> or DPoP <token>"}
	}
	return token, dpopScheme, nil
}

// challenge answers 401 with the RFC 9728 pointer to the resource
// metadata, which is how MCP clients discover where to sign in.
func (s *Server) challenge(c echo.Context, rt *Route, f *bearerFailure) error {
	w := c.Response()
	if f.status != 0 {
		forward.WriteJSONRPCError(w, f.status, -32603, "internal error")
		return nil
	}
	v := `Bearer resource_metadata="` + rt.metadataURL(s.issuer) + `", scope="` + strings.Join(rt.Scopes, " ") + `"`
	if f.dpopError != "" {
		d := `DPoP error="` + f.dpopError + `", error_description="` + f.description + `", algs="` + strings.Join(dpop.AlgorithmNames(), " ") + `"`
		if f.dpopError == "use_dpop_nonce" && s.dpop.Nonces != nil {
			w.Header().Set("DPoP-Nonce", s.dpop.Nonces.Current(time.Now()))
		}
		w.Header().Set("WWW-Authenticate", d)
		w.Header().Add("WWW-Authenticate", v)
		forward.WriteJSONRPCError(w, http.StatusUnauthorized, -32001, "Unauthorized: "+f.description)
		return nil
	}
	if f.malformed {
		w.Header().Set("WWW-Authenticate", v+`, error="invalid_request", error_description="`+f.description+`"`)
		forward.WriteJSONRPCError(w, http.StatusBadRequest, -32600, "Bad request: "+f.description)
		return nil
	}
	if f.invalid {
		v += `, error="invalid_token", error_description="` + f.description + `"`
	}
	w.Header().Set("WWW-Authenticate", v)
	forward.WriteJSONRPCError(w, http.StatusUnauthorized, -32001, "Unauthorized: sign in to use this MCP server")
	return nil
}
