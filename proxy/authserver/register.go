package authserver

import (
	"context"

	"github.com/mcpgate/mcpgate/proxy/clientreg"
	"github.com/mcpgate/mcpgate/proxy/oauth"
)

// Register handles an RFC 7591 registration request body.
func (s *Server) Register(ctx context.Context, body []byte) (clientreg.Response, error) {
	if !s.cfg.DynamicRegistration {
		return clientreg.Response{}, &oauth.Error{Code: oauth.ErrAccessDenied, Description: "dynamic client registration is disabled", Status: 403}
	}
	md, rerr := clientreg.ParseRegistration(body, clientreg.Options{
		AllowedScopes:        s.KnownScopes(),
		SupportedAuthMethods: []string{AuthNone, AuthSecretBasic, AuthSecretPost},
	})
	if rerr != nil {
		return clientreg.Response{}, oauth.NewError(rerr.Code, rerr.Description)
	}
	now := s.now()
	var secret, secretHash string
	if !md.IsPublic() {
		secret = oauth.NewSecret()
		secretHash = oauth.Hash(secret)
	}
	client := md.Client(oauth.NewID(), secretHash, now)
	if err := s.store.CreateClient(ctx, client); err != nil {
		return clientreg.Response{}, internal("register client", err)
	}
	s.log.InfoContext(ctx, "client registered", "client_id", client.ID, "client_name", client.Name, "auth_method", client.TokenEndpointAuthMethod)
	return clientreg.ResponseJSON(client, secret, now), nil
}
