package client

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mcpgate/mcpgate/upstream/oidctest"
)

// TestEnterpriseSignInAtIdP: with --idp-issuer and no ID token given,
// the user signs in at the company IdP (a real OpenID provider, the
// zitadel example OP) through the browser and the loopback listener, the
// ID token is verified (signature, audience, nonce), kept while valid,
// and the token endpoint comes from discovery.
func TestEnterpriseSignInAtIdP(t *testing.T) {
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	redirect := "http://127.0.0.1:" + strconv.Itoa(port) + "/callback"
	idp := oidctest.Start(t, oidctest.Options{ClientID: "ai-client", ClientSecret: "ai-secret", RedirectURIs: []string{redirect}})
	var opened atomic.Int32
	c := &Client{
		Port: port,
		Out:  io.Discard,
		Browser: func(ctx context.Context, authURL string) error {
			opened.Add(1)
			go func() {
				back, err := idp.Login(context.Background(), nil, authURL)
				if err != nil {
					t.Errorf("login at the IdP: %v", err)
					return
				}
				resp, err := http.Get(back.String()) // the loopback listener
				if err != nil {
					t.Errorf("the loopback listener: %v", err)
					return
				}
				resp.Body.Close()
			}()
			return nil
		},
		Enterprise: &Enterprise{Issuer: idp.Issuer(), ClientID: "ai-client", ClientSecret: "ai-secret"},
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	raw, err := c.enterpriseIDToken(ctx)
	if err != nil {
		t.Fatal(err)
	}
	payload, _ := base64.RawURLEncoding.DecodeString(strings.Split(raw, ".")[1])
	var claims struct {
		Iss string `json:"iss"`
		Aud any    `json:"aud"`
		Sub string `json:"sub"`
	}
	json.Unmarshal(payload, &claims)
	if claims.Iss != idp.Issuer() || claims.Sub == "" {
		t.Errorf("ID token claims %+v", claims)
	}
	if again, err := c.enterpriseIDToken(ctx); err != nil || again != raw || opened.Load() != 1 {
		t.Errorf("a second call signed in again (%d sign-ins) or changed the token: %v", opened.Load(), err)
	}
	if ep, err := c.enterpriseTokenEndpoint(ctx); err != nil || !strings.HasPrefix(ep, idp.Issuer()) {
		t.Errorf("token endpoint %q %v", ep, err)
	}
}
