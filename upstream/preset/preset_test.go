package preset

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/mcpgate/mcpgate/upstream"
	"github.com/mcpgate/mcpgate/upstream/oidctest"
)

const (
	clientID = "mcpgate-client"
	redirect = "https://gate.example/callback"
)

var login = upstream.LoginParams{State: "state-1", Nonce: "nonce-1", Verifier: "verifier-0123456789-0123456789-0123456789-0123"}

// fakeIdP is an OpenID provider at path whose ID tokens carry claims on
// top of the valid ones (a nil value removes a claim).
func fakeIdP(t *testing.T, path string, discovery map[string]any) *oidctest.Hostile {
	t.Helper()
	return oidctest.StartHostile(t, oidctest.HostileOptions{ClientID: clientID, RedirectURIs: []string{redirect}, Path: path, DiscoveryExtra: discovery})
}

func withClaims(idp *oidctest.Hostile, claims map[string]any) {
	idp.SetIDToken(func(req oidctest.AuthorizeRequest) string {
		c := idp.ValidClaims(req)
		for k, v := range claims {
			if v == nil {
				delete(c, k)
			} else {
				c[k] = v
			}
		}
		return idp.Sign(idp.Key(), c)
	})
}

// signIn runs a whole sign-in: New, the browser's trip to the IdP, and
// Exchange. It returns the authorization URL's query too.
func signIn(t *testing.T, s Settings) (upstream.Identity, url.Values, error) {
	t.Helper()
	s.ClientID, s.ClientSecret, s.RedirectURL = clientID, "secret", redirect
	p, err := New(context.Background(), s)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	authURL := p.AuthCodeURL(login)
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Get(authURL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, err := resp.Location()
	if err != nil {
		t.Fatalf("authorize: %d, no redirect", resp.StatusCode)
	}
	u, _ := url.Parse(authURL)
	id, err := p.Exchange(context.Background(), upstream.Callback{Code: loc.Query().Get("code")}, login)
	return id, u.Query(), err
}

func refusal(t *testing.T, err error, want string) {
	t.Helper()
	var r *upstream.Refusal
	if !errors.As(err, &r) || !strings.Contains(r.Reason, want) {
		t.Errorf("got %v, want a refusal saying %q", err, want)
	}
}

func TestGoogle(t *testing.T) {
	tests := []struct {
		name    string
		domains []string
		claims  map[string]any
		wantHD  string
		refused string
	}{
		{name: "workspace user of the domain", domains: []string{"example.com"}, claims: map[string]any{"hd": "example.com"}, wantHD: "example.com"},
		{name: "one of several domains", domains: []string{"example.com", "Example.ORG"}, claims: map[string]any{"hd": "example.org"}, wantHD: "*"},
		{name: "another domain", domains: []string{"example.com"}, claims: map[string]any{"hd": "evil.example"}, wantHD: "example.com", refused: "not in one of the organization's Google Workspace domains"},
		{name: "a personal account (no hd)", domains: []string{"example.com"}, wantHD: "example.com", refused: "not in one of the organization's"},
		{name: "unverified email", claims: map[string]any{"email_verified": false}, refused: "has not verified the email"},
		{name: "no domain restriction", claims: map[string]any{"hd": "anything.example"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			idp := fakeIdP(t, "", nil)
			withClaims(idp, tt.claims)
			id, q, err := signIn(t, Settings{Type: upstream.TypeGoogle, Issuer: idp.Issuer(), HostedDomains: tt.domains})
			if q.Get("hd") != tt.wantHD {
				t.Errorf("hd parameter %q, want %q", q.Get("hd"), tt.wantHD)
			}
			if tt.refused != "" {
				refusal(t, err, tt.refused)
				return
			}
			if err != nil || id.Email != oidctest.HostileEmail || id.Subject != idp.Issuer()+"#"+oidctest.HostileSubject {
				t.Errorf("got %+v %v", id, err)
			}
		})
	}
}

func TestEntraSingleTenant(t *testing.T) {
	idp := fakeIdP(t, "/tenant-a/v2.0", nil)
	withClaims(idp, map[string]any{"tid": "tenant-a", "groups": []string{"g-1", "g-2"}})
	id, q, err := signIn(t, Settings{Type: upstream.TypeEntra, Tenant: "tenant-a", Issuer: idp.Issuer()})
	if err != nil || id.Subject != idp.Issuer()+"#"+oidctest.HostileSubject || !slices.Equal(id.Groups, []string{"g-1", "g-2"}) {
		t.Errorf("got %+v %v", id, err)
	}
	if q.Has("resource") || q.Get("prompt") == "consent" {
		t.Errorf("authorization request sends what Entra refuses: %v", q)
	}
}

func TestEntraMultiTenant(t *testing.T) {
	tests := []struct {
		name    string
		claims  func(base string) map[string]any
		refused string
		invalid bool
	}{
		{name: "an allowed tenant", claims: func(base string) map[string]any {
			return map[string]any{"iss": base + "/tenant-a/v2.0", "tid": "tenant-a"}
		}},
		{name: "a tenant not allowed", claims: func(base string) map[string]any {
			return map[string]any{"iss": base + "/tenant-x/v2.0", "tid": "tenant-x"}
		}, refused: "directory is not one of those allowed"},
		{name: "iss of another tenant than tid", claims: func(base string) map[string]any {
			return map[string]any{"iss": base + "/tenant-x/v2.0", "tid": "tenant-a"}
		}, invalid: true},
		{name: "iss of another IdP", claims: func(string) map[string]any {
			return map[string]any{"iss": "https://evil.example/tenant-a/v2.0", "tid": "tenant-a"}
		}, invalid: true},
		{name: "no tid", claims: func(base string) map[string]any {
			return map[string]any{"iss": base + "/tenant-a/v2.0", "tid": nil}
		}, invalid: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Entra's common endpoint advertises an issuer template (the
			// first server only tells the port the template needs).
			idp := fakeIdP(t, "/common/v2.0", nil)
			idp = fakeIdP(t, "/common/v2.0", map[string]any{"issuer": idp.Base() + "/{tenantid}/v2.0"})
			withClaims(idp, tt.claims(idp.Base()))
			id, _, err := signIn(t, Settings{Type: upstream.TypeEntra, Tenant: "common", Issuer: idp.Issuer(), AllowedTenants: []string{"Tenant-A"}}) // directory IDs compare ignoring case
			switch {
			case tt.refused != "":
				refusal(t, err, tt.refused)
			case tt.invalid:
				if !errors.Is(err, upstream.ErrVerification) {
					t.Errorf("got %+v %v, want a verification failure", id, err)
				}
			case err != nil || id.Subject != idp.Base()+"/tenant-a/v2.0#"+oidctest.HostileSubject:
				t.Errorf("got %+v %v, want the subject in the user's own tenant", id, err)
			}
		})
	}
}

// TestEntraGroupsOverage: past 200 groups Entra names a claim source
// instead of the groups; mcpgate reads them from Microsoft Graph, and
// refuses the sign-in when it cannot (access could not be decided).
func TestEntraGroupsOverage(t *testing.T) {
	for _, graphWorks := range []bool{true, false} {
		t.Run(map[bool]string{true: "graph answers", false: "graph refuses"}[graphWorks], func(t *testing.T) {
			var sawToken string
			graph := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				sawToken = r.Header.Get("Authorization")
				if !graphWorks || r.Method != http.MethodPost || r.URL.Path != "/v1.0/me/getMemberGroups" {
					http.Error(w, `{"error":{"code":"Authorization_RequestDenied"}}`, http.StatusForbidden)
					return
				}
				oidctest.WriteJSON(w, http.StatusOK, map[string]any{"value": []string{"g-1", "g-250"}})
			}))
			defer graph.Close()
			idp := fakeIdP(t, "/tenant-a/v2.0", nil)
			withClaims(idp, map[string]any{"tid": "tenant-a", "groups": nil,
				"_claim_names": map[string]string{"groups": "src1"}, "_claim_sources": map[string]any{"src1": map[string]string{"endpoint": "https://graph.windows.net/x"}}})
			id, _, err := signIn(t, Settings{Type: upstream.TypeEntra, Tenant: "tenant-a", Issuer: idp.Issuer(), GraphURL: graph.URL})
			if sawToken != "Bearer "+oidctest.HostileAccessToken {
				t.Errorf("graph got %q, want the user's access token", sawToken)
			}
			if !graphWorks {
				refusal(t, err, "could not be read from Microsoft Graph")
				return
			}
			if err != nil || !slices.Equal(id.Groups, []string{"g-1", "g-250"}) {
				t.Errorf("got %+v %v", id, err)
			}
		})
	}
}

func TestKeycloak(t *testing.T) {
	idp := fakeIdP(t, "/realms/acme", nil)
	withClaims(idp, map[string]any{"groups": []string{"/eng", "/eng/backend", "ops", "/"}})
	id, _, err := signIn(t, Settings{Type: upstream.TypeKeycloak, Issuer: idp.Issuer()})
	if err != nil || !slices.Equal(id.Groups, []string{"eng", "eng/backend", "ops"}) {
		t.Errorf("got %+v %v", id, err)
	}
	for issuer, want := range map[string]bool{
		"https://sso.example.com/realms/acme":      true,
		"https://sso.example.com/auth/realms/acme": true,
		"https://sso.example.com/realms/":          false,
		"https://sso.example.com/acme":             false,
		"https://sso.example.com/realms/acme/x":    false,
	} {
		if got := IsKeycloakIssuer(issuer); got != want {
			t.Errorf("IsKeycloakIssuer(%q) = %v", issuer, got)
		}
	}
}

// TestOkta: an org authorization server (the Okta domain) and a custom one
// (…/oauth2/default), with the groups claim Okta adds once configured.
func TestOkta(t *testing.T) {
	for _, path := range []string{"", "/oauth2/default"} {
		t.Run("issuer path "+path, func(t *testing.T) {
			idp := fakeIdP(t, path, nil)
			withClaims(idp, map[string]any{"groups": []string{"Everyone", "eng"}})
			id, _, err := signIn(t, Settings{Type: upstream.TypeOkta, Issuer: idp.Issuer()})
			if err != nil || id.Subject != idp.Issuer()+"#"+oidctest.HostileSubject || !slices.Equal(id.Groups, []string{"Everyone", "eng"}) {
				t.Errorf("got %+v %v", id, err)
			}
		})
	}
}

func TestGitHubPreset(t *testing.T) {
	p, err := New(context.Background(), Settings{Type: upstream.TypeGitHub, ClientID: clientID, RedirectURL: redirect,
		Scopes: []string{"openid", "email", "read:org"}})
	if err != nil {
		t.Fatal(err)
	}
	withRepo, err := New(context.Background(), Settings{Type: upstream.TypeGitHub, ClientID: clientID, RedirectURL: redirect, Scopes: []string{"repo"}})
	if err != nil {
		t.Fatal(err)
	}
	if u, _ := url.Parse(withRepo.AuthCodeURL(login)); u.Query().Get("scope") != "read:user user:email read:org repo" {
		t.Errorf("a configured scope replaced the ones mcpgate needs: %s", u.Query().Get("scope"))
	}
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(p.AuthCodeURL(login))
	if u.Host != "github.com" || u.Query().Get("scope") != "read:user user:email read:org" {
		t.Errorf("authorize URL %s: want github.com, the scopes mcpgate needs, and no OpenID scopes", u)
	}
	if _, err := New(context.Background(), Settings{Type: "ldap"}); err == nil {
		t.Error("an unknown type was accepted")
	}
}
