package authserver

import (
	"context"
	"crypto/subtle"
	"net/http"
	"time"

	"github.com/mcpgate/mcpgate/proxy/clientreg"
	"github.com/mcpgate/mcpgate/proxy/oauth"
	"github.com/mcpgate/mcpgate/proxy/store"
)

// RegistrationPolicy governs every client the operator did not configure:
// dynamic registrations and metadata documents alike.
type RegistrationPolicy struct {
	// InitialAccessToken, when set, must come as the registration
	// request's bearer token (RFC 7591 §3).
	InitialAccessToken string
	// RedirectURIAllowed, when set, must accept every redirect URI of a
	// client that registered itself or is described by a metadata
	// document (the configured patterns).
	RedirectURIAllowed func(uri string) bool
	// UnusedClientTTL deletes a registration never used to obtain a token
	// after this long; 0 keeps them.
	UnusedClientTTL time.Duration
}

// Register handles an RFC 7591 registration request body; bearer is the
// request's bearer token, if any.
func (s *Server) Register(ctx context.Context, body []byte, bearer string) (clientreg.Response, error) {
	if !s.cfg.DynamicRegistration {
		return clientreg.Response{}, &oauth.Error{Code: oauth.ErrAccessDenied, Description: "dynamic client registration is disabled", Status: http.StatusForbidden}
	}
	policy := s.cfg.Registration
	if want := policy.InitialAccessToken; want != "" && subtle.ConstantTimeCompare([]byte(bearer), []byte(want)) != 1 {
		return clientreg.Response{}, &oauth.Error{Code: oauth.ErrInvalidToken, Description: "registration requires a valid initial access token", Status: http.StatusUnauthorized}
	}
	md, rerr := clientreg.ParseRegistration(body, clientreg.Options{
		AllowedScopes:        s.KnownScopes(),
		StrictScopes:         s.cfg.StrictScopes,
		SupportedAuthMethods: []string{oauth.AuthNone, oauth.AuthSecretBasic, oauth.AuthSecretPost},
	})
	if rerr != nil {
		return clientreg.Response{}, oauth.NewError(rerr.Code, rerr.Description)
	}
	if uri := policy.refusedRedirect(md.RedirectURIs); uri != "" {
		return clientreg.Response{}, oauth.NewError(oauth.ErrInvalidRedirectURI, "redirect URI "+uri+" is not allowed by this server's registration policy")
	}
	now := s.now()
	var secret, secretHash string
	if !md.IsPublic() {
		secret = oauth.NewSecret()
		secretHash = oauth.Hash(secret)
	}
	client := md.Client(oauth.NewID(), secretHash, now)
	if policy.UnusedClientTTL > 0 {
		// Cleared at the client's first token: registrations made by
		// clients that never finish signing in do not pile up.
		client.ExpiresAt = now.Add(policy.UnusedClientTTL)
	}
	if err := s.store.CreateClient(ctx, client); err != nil {
		return clientreg.Response{}, internal("register client", err)
	}
	s.log.InfoContext(ctx, "client registered", "client_id", client.ID, "client_name", client.Name, "auth_method", client.TokenEndpointAuthMethod)
	return clientreg.ResponseJSON(client, secret, now), nil
}

// markClientUsed keeps a dynamically registered client that has now
// obtained a token.
func (s *Server) markClientUsed(ctx context.Context, client store.Client) {
	if client.Source != oauth.SourceDCR || client.ExpiresAt.IsZero() {
		return
	}
	err := s.store.UpdateClient(ctx, client.ID, func(c *store.Client) error {
		c.ExpiresAt = time.Time{}
		return nil
	})
	if err != nil {
		s.log.WarnContext(ctx, "keep used client", "client_id", client.ID, "err", err)
		return
	}
	client.ExpiresAt = time.Time{}
	s.clients.put(client, s.now())
}

// refusedRedirect returns the first redirect URI the policy does not
// allow, or "".
func (p RegistrationPolicy) refusedRedirect(uris []string) string {
	if p.RedirectURIAllowed == nil {
		return ""
	}
	for _, uri := range uris {
		if !p.RedirectURIAllowed(uri) {
			return uri
		}
	}
	return ""
}
