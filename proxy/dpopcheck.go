package proxy

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/mcpgate/mcpgate/proxy/dpop"
	"github.com/mcpgate/mcpgate/proxy/principal"
	"github.com/mcpgate/mcpgate/proxy/store"
)

// DPoPOptions configure sender-constrained tokens (RFC 9449).
type DPoPOptions struct {
	// Required refuses, at the MCP endpoints, access tokens not bound to
	// a key; by default bearer tokens keep working beside bound ones.
	Required bool
	// Nonces, when set, make proofs carry a server nonce (RFC 9449 §8,
	// §9): the first proof without one is answered use_dpop_nonce with
	// the nonce to use.
	Nonces *dpop.Nonces
	// Replays claims a proof's jti at /token across replicas (the store);
	// nil uses this replica's memory only.
	Replays interface {
		ClaimOnce(ctx context.Context, key string, until time.Time) error
	}
}

// tokenProof checks the DPoP proof of a token request, if any, and
// returns its key's thumbprint ("" without a proof). On failure the OAuth
// error answer has been written and done is true.
func (s *Server) tokenProof(c echo.Context) (jkt string, done bool, err error) {
	r := c.Request()
	proofs := r.Header.Values("DPoP")
	switch len(proofs) {
	case 0:
		return "", false, nil
	case 1:
	default:
		return "", true, dpopTokenError(c, "send one DPoP proof")
	}
	now := time.Now()
	p, verr := dpop.Verify(proofs[0], dpop.Expect{Method: http.MethodPost, URL: s.issuer + "/token", Nonce: s.nonceCheck(now)}, now)
	switch {
	case errors.Is(verr, dpop.ErrUseNonce):
		c.Response().Header().Set("DPoP-Nonce", s.dpop.Nonces.Current(now))
		return "", true, writeJSONError(c, http.StatusBadRequest, "use_dpop_nonce", "use the nonce in the DPoP-Nonce header")
	case verr != nil:
		return "", true, dpopTokenError(c, strings.TrimPrefix(verr.Error(), "dpop: invalid proof: "))
	}
	if err := s.claimProof(r.Context(), p, true); err != nil {
		if errors.Is(err, store.ErrAlreadyExists) {
			return "", true, dpopTokenError(c, "the proof was already used")
		}
		return "", true, s.apiError(c, err)
	}
	return p.JKT, false, nil
}

func dpopTokenError(c echo.Context, description string) error {
	return writeJSONError(c, http.StatusBadRequest, "invalid_dpop_proof", description)
}

func writeJSONError(c echo.Context, status int, code, description string) error {
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.JSON(status, map[string]string{"error": code, "error_description": description})
}

// nonceCheck is the nonce rule of proofs now, nil when nonces are off.
func (s *Server) nonceCheck(now time.Time) func(string) bool {
	if s.dpop.Nonces == nil {
		return nil
	}
	return func(n string) bool { return s.dpop.Nonces.Valid(n, now) }
}

// claimProof spends the proof's jti: in the store across replicas at
// /token (shared), in this replica's memory at the MCP endpoints, where a
// store write per request would cost more than the forwarding.
func (s *Server) claimProof(ctx context.Context, p dpop.Proof, shared bool) error {
	until := p.IssuedAt.Add(dpop.Window)
	key := "dpop:" + p.JKT + ":" + p.JTI
	if shared && s.dpop.Replays != nil {
		return s.dpop.Replays.ClaimOnce(ctx, key, until)
	}
	return s.proofs.claim(key, until, time.Now())
}

// proofCache is one replica's memory of the proof jtis it has seen,
// each kept until its proof could no longer be accepted.
type proofCache struct {
	mu    sync.Mutex
	seen  map[string]time.Time
	swept time.Time
}

func (pc *proofCache) claim(key string, until, now time.Time) error {
	pc.mu.Lock()
	defer pc.mu.Unlock()
	if pc.seen == nil {
		pc.seen = map[string]time.Time{}
	}
	if now.Sub(pc.swept) > time.Minute {
		for k, exp := range pc.seen {
			if now.After(exp) {
				delete(pc.seen, k)
			}
		}
		pc.swept = now
	}
	if exp, ok := pc.seen[key]; ok && now.Before(exp) {
		return store.ErrAlreadyExists
	}
	pc.seen[key] = until
	return nil
}

// checkBinding holds a request to its token's key (RFC 9449 §7): a bound
// token comes with the DPoP scheme and a proof by that key for this
// method, URL and token, never twice; a bearer token is refused where
// DPoP is required. It runs on every request, cached tokens included.
func (s *Server) checkBinding(r *http.Request, token string, dpopScheme bool, p *principal.Principal, now time.Time) *bearerFailure {
	if p.DPoPJKT == "" {
		switch {
		case dpopScheme:
			return &bearerFailure{invalid: true, description: "the access token is not bound to a DPoP key"}
		case s.dpop.Required:
			return &bearerFailure{dpopError: "invalid_token", description: "a DPoP-bound access token is required"}
		}
		return nil
	}
	if !dpopScheme {
		return &bearerFailure{dpopError: "invalid_token", description: "a DPoP-bound access token must be sent with the DPoP scheme"}
	}
	proofs := r.Header.Values("DPoP")
	if len(proofs) != 1 {
		return &bearerFailure{dpopError: "invalid_dpop_proof", description: "send one DPoP proof"}
	}
	proof, err := dpop.Verify(proofs[0], dpop.Expect{Method: r.Method, URL: s.publicURLOf(r), AccessToken: token, Nonce: s.nonceCheck(now)}, now)
	switch {
	case errors.Is(err, dpop.ErrUseNonce):
		return &bearerFailure{dpopError: "use_dpop_nonce", description: "use the nonce in the DPoP-Nonce header"}
	case err != nil:
		return &bearerFailure{dpopError: "invalid_dpop_proof", description: strings.TrimPrefix(err.Error(), "dpop: invalid proof: ")}
	case proof.JKT != p.DPoPJKT:
		return &bearerFailure{dpopError: "invalid_dpop_proof", description: "the proof is made with another key than the token is bound to"}
	}
	if err := s.claimProof(r.Context(), proof, false); err != nil {
		return &bearerFailure{dpopError: "invalid_dpop_proof", description: "the proof was already used"}
	}
	return nil
}

// publicURLOf is the URL the client addressed, as a proof's htu names
// it: mcpgate's public origin and the request's path.
func (s *Server) publicURLOf(r *http.Request) string {
	return strings.TrimSuffix(s.issuer, "/") + r.URL.EscapedPath()
}
