package preset

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/mcpgate/mcpgate/upstream"
	"github.com/mcpgate/mcpgate/upstream/oidc"
)

// Microsoft's defaults.
const (
	EntraAuthority = "https://login.microsoftonline.com"
	GraphURL       = "https://graph.microsoft.com"
)

// IsMultiTenant reports whether tenant is one of Entra ID's endpoints for
// users of any directory.
func IsMultiTenant(tenant string) bool { return tenant == "common" || tenant == "organizations" }

// EntraIssuer is the issuer of tenant at Microsoft's public cloud.
func EntraIssuer(tenant string) string { return EntraAuthority + "/" + tenant + "/v2.0" }

// entra serves one directory, or several through common/organizations:
// there the issuer differs per directory, so go-oidc's issuer check is
// replaced by one against the allow-listed directories, and the subject
// carries the user's own directory. Groups past Entra's limit in a token
// (the overage case) are read from Microsoft Graph.
func entra(ctx context.Context, s Settings) (upstream.Provider, error) {
	cfg := s.oidcConfig()
	if cfg.Issuer == "" {
		cfg.Issuer = EntraIssuer(s.Tenant)
	}
	graph := strings.TrimSuffix(s.GraphURL, "/")
	if graph == "" {
		graph = GraphURL
	}
	client := s.HTTPClient
	if client == nil {
		client = &http.Client{Timeout: 30 * time.Second}
	}
	multi := IsMultiTenant(s.Tenant)
	template := ""
	if multi {
		template = strings.Replace(cfg.Issuer, "/"+s.Tenant+"/", "/{tenantid}/", 1)
		cfg.DiscoveryIssuer = template
	}
	cfg.Check = func(ctx context.Context, in *oidc.SignIn) error {
		id := in.Identity
		if multi {
			tid := in.String("tid")
			if tid == "" || strings.Replace(template, "{tenantid}", tid, 1) != in.Issuer {
				return fmt.Errorf("%w: id token iss %q is not the issuer of its tenant %q", upstream.ErrVerification, in.Issuer, tid)
			}
			if !slices.ContainsFunc(s.AllowedTenants, func(t string) bool { return strings.EqualFold(t, tid) }) {
				return &upstream.Refusal{Subject: in.Issuer + "#" + in.String("sub"), Email: id.Email,
					Reason: "Your organization's Microsoft Entra directory is not one of those allowed to sign in here."}
			}
			// The subject names the user's own directory, never "common".
			id.Subject = in.Issuer + "#" + in.String("sub")
		}
		if overage(in.Claims, cfg.GroupsClaim) {
			groups, err := memberGroups(ctx, client, graph, in.Token.AccessToken)
			if err != nil {
				return &upstream.Refusal{Subject: id.Subject, Email: id.Email, Cause: err,
					Reason: "You are in more groups than Microsoft Entra ID puts in a sign-in, and they could not be read from Microsoft Graph, " +
						"so your access cannot be decided. Ask your administrator to grant this application GroupMember.Read.All, or to use app roles."}
			}
			id.Groups = groups
		}
		return nil
	}
	return oidc.New(ctx, cfg)
}

// overage reports whether Entra left the groups out of the token because
// there were too many (over 200 in a JWT): it then names a claim source
// for them instead, or sets hasgroups.
func overage(claims map[string]json.RawMessage, groupsClaim string) bool {
	if groupsClaim != "" && groupsClaim != "groups" {
		return false // app roles or another claim: no overage for those
	}
	var names map[string]string
	if json.Unmarshal(claims["_claim_names"], &names) == nil && names["groups"] != "" {
		return true
	}
	var has bool
	return json.Unmarshal(claims["hasgroups"], &has) == nil && has
}

// memberGroups reads the ids of every group the user is in, directly or
// not, as the groups claim would have held them.
func memberGroups(ctx context.Context, client *http.Client, graph, accessToken string) ([]string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, graph+"/v1.0/me/getMemberGroups",
		bytes.NewReader([]byte(`{"securityEnabledOnly":false}`)))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+accessToken)
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("entra: graph getMemberGroups: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("entra: graph getMemberGroups: HTTP %d", resp.StatusCode)
	}
	var out struct {
		Value []string `json:"value"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 4<<20)).Decode(&out); err != nil {
		return nil, fmt.Errorf("entra: graph getMemberGroups: %w", err)
	}
	return out.Value, nil
}
