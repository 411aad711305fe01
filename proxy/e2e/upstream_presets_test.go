package e2e_test

import (
	"html"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/mcpgate/mcpgate/config"
	"github.com/mcpgate/mcpgate/upstream"
	"github.com/mcpgate/mcpgate/upstream/oidctest"
)

// TestUpstreamPresets: through mcpgate, a preset's own refusal (a Google
// account outside the Workspace domain) shows the user the refusal page
// and the client gets access_denied with no code; an admitted user's
// token carries the groups as the preset maps them (Keycloak's full
// group paths).
func TestUpstreamPresets(t *testing.T) {
	t.Run("google, another domain", func(t *testing.T) {
		g := googleGateway(t, "elsewhere.example")
		c := g.registerPublic(t)
		b := newBrowser(t)
		upstreamURL := g.approve(t, b, g.authorizeURL(c, nil))
		if !strings.Contains(upstreamURL, "hd=example.com") {
			t.Errorf("the upstream request lacks the hd hint: %s", upstreamURL)
		}
		resp := b.get(upstreamURL)
		readBody(t, resp)
		page := b.get(resp.Header.Get("Location"))
		body := readBody(t, page)
		if page.StatusCode != http.StatusForbidden || !strings.Contains(body, "Google Workspace domains") || !strings.Contains(body, oidctest.HostileEmail) {
			t.Fatalf("callback: got %d, want the refusal page naming the user and the reason:\n%s", page.StatusCode, body)
		}
		back := returnLink(t, body)
		if back.Query().Get("error") != "access_denied" || back.Query().Has("code") {
			t.Errorf("the client is sent %s, want access_denied and no code", redact(back))
		}
	})
	t.Run("google, the domain", func(t *testing.T) {
		g := googleGateway(t, "example.com")
		c := g.registerPublic(t)
		if tokens := g.exchange(t, c, hostileCode(t, g, c)); tokens.AccessToken == "" {
			t.Fatal("no access token")
		}
	})
	t.Run("keycloak groups", func(t *testing.T) {
		g, hostile := startPresetGateway(t, "/realms/acme", func(c *config.Config) { c.Upstream.Type = upstream.TypeKeycloak })
		hostile.SetIDToken(func(req oidctest.AuthorizeRequest) string {
			claims := hostile.ValidClaims(req)
			claims["groups"] = []string{"/eng", "/eng/backend"}
			return hostile.Sign(hostile.Key(), claims)
		})
		c := g.registerPublic(t)
		tokens := g.exchange(t, c, hostileCode(t, g, c))
		if claims := verifyWithJWKS(t, g.URL+"/jwks", tokens.AccessToken); !slices.Equal(claims.Groups, []string{"eng", "eng/backend"}) {
			t.Errorf("groups in mcpgate's token: %v", claims.Groups)
		}
	})
}

// startPresetGateway runs mcpgate with a scripted upstream whose issuer
// has a path (Keycloak's realms, Entra's tenants).
func startPresetGateway(t *testing.T, path string, mutate func(*config.Config)) (*gateway, *oidctest.Hostile) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hostile := oidctest.StartHostile(t, oidctest.HostileOptions{
		ClientID: hostileClientID, RedirectURIs: []string{"http://" + ln.Addr().String() + "/oauth/callback"}, Path: path,
	})
	return startGateway(t, gatewayOptions{hostile: hostile, listener: ln, mutate: mutate}), hostile
}

var returnHref = regexp.MustCompile(`<a href="([^"]+)">Return to`)

// returnLink is where the refusal page sends the user back to the client.
func returnLink(t *testing.T, page string) *url.URL {
	t.Helper()
	m := returnHref.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("the refusal page has no way back to the client:\n%s", page)
	}
	u, err := url.Parse(html.UnescapeString(m[1]))
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// hostileCode signs in through a scripted upstream and returns the code.
func hostileCode(t *testing.T, g *gateway, c client) string {
	t.Helper()
	b := newBrowser(t)
	resp := b.get(g.approve(t, b, g.authorizeURL(c, nil)))
	readBody(t, resp)
	back := g.followCallback(t, b, resp.Header.Get("Location"))
	code := back.Query().Get("code")
	if code == "" {
		t.Fatalf("no code in %s", redact(back))
	}
	return code
}

// googleGateway runs mcpgate with the google preset for example.com in
// front of a scripted Google whose users are in domain hd.
func googleGateway(t *testing.T, hd string) *gateway {
	g, hostile := startHostileGatewayWith(t, nil, func(c *config.Config) {
		c.Upstream.Type, c.Upstream.HostedDomains = upstream.TypeGoogle, []string{"example.com"}
	})
	hostile.SetIDToken(func(req oidctest.AuthorizeRequest) string {
		claims := hostile.ValidClaims(req)
		claims["hd"] = hd
		return hostile.Sign(hostile.Key(), claims)
	})
	return g
}
