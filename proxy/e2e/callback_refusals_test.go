package e2e_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestUpstreamStateRefusals: the state sent upstream is single-use and
// bound to the browser that started the flow.
func TestUpstreamStateRefusals(t *testing.T) {
	g := startGateway(t, gatewayOptions{})
	c := g.registerPublic(t)

	t.Run("replayed state", func(t *testing.T) {
		b := newBrowser(t)
		upstreamURL := g.approve(t, b, g.authorizeURL(c, nil))
		cb, err := g.IdP.Login(context.Background(), b.client, upstreamURL)
		if err != nil {
			t.Fatal(err)
		}
		if back := g.followCallback(t, b, cb.String()); back.Query().Get("code") == "" {
			t.Fatalf("first callback: no code in %s", back)
		}
		resp := b.get(cb.String())
		body := readBody(t, resp)
		if resp.StatusCode != http.StatusBadRequest || resp.Header.Get("Location") != "" || !strings.Contains(body, "expired or was already used") {
			t.Fatalf("replayed callback: got %d %q, want 400 error page", resp.StatusCode, resp.Header.Get("Location"))
		}
	})

	t.Run("state from another browser", func(t *testing.T) {
		victim, attacker := newBrowser(t), newBrowser(t)
		upstreamURL := g.approve(t, victim, g.authorizeURL(c, nil))
		// The attacker signs in upstream with the victim's state and sends
		// the callback through a browser mcpgate never saw.
		cb, err := g.IdP.Login(context.Background(), attacker.client, upstreamURL)
		if err != nil {
			t.Fatal(err)
		}
		resp := attacker.get(cb.String())
		readBody(t, resp)
		if resp.StatusCode != http.StatusForbidden || resp.Header.Get("Location") != "" {
			t.Fatalf("callback in another browser: got %d %q, want 403 error page", resp.StatusCode, resp.Header.Get("Location"))
		}
		// The victim's own flow is untouched by the attempt.
		if back := g.followCallback(t, victim, cb.String()); back.Query().Get("code") == "" {
			t.Fatalf("victim's callback: no code in %s", back)
		}
	})

	t.Run("forged state", func(t *testing.T) {
		b := newBrowser(t)
		upstreamURL := g.approve(t, b, g.authorizeURL(c, nil))
		cb, err := g.IdP.Login(context.Background(), b.client, upstreamURL)
		if err != nil {
			t.Fatal(err)
		}
		q := cb.Query()
		id, _, _ := strings.Cut(q.Get("state"), ".")
		q.Set("state", id+".forged-secret")
		cb.RawQuery = q.Encode()
		resp := b.get(cb.String())
		readBody(t, resp)
		if resp.StatusCode != http.StatusBadRequest {
			t.Fatalf("forged state: got %d, want 400", resp.StatusCode)
		}
	})

	t.Run("no state", func(t *testing.T) {
		resp := newBrowser(t).get(g.URL + "/oauth/callback?code=abc")
		readBody(t, resp)
		if resp.StatusCode != http.StatusBadRequest {
			t.Fatalf("got %d, want 400", resp.StatusCode)
		}
	})

	t.Run("remembered consent and the session skip the page and the IdP", func(t *testing.T) {
		b := newBrowser(t)
		g.signIn(t, b, g.authorizeURL(c, nil))
		resp := b.get(g.authorizeURL(c, nil))
		readBody(t, resp)
		loc, _ := url.Parse(resp.Header.Get("Location"))
		if resp.StatusCode != http.StatusFound || !strings.HasPrefix(loc.String(), c.RedirectURI) || loc.Query().Get("code") == "" {
			t.Fatalf("second authorize: got %d to %s, want a code for the client at once", resp.StatusCode, redact(loc))
		}
	})
}
