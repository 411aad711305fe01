package proxy

import (
	"strings"
	"testing"

	"github.com/mcpgate/mcpgate/proxy/accountapi"
	"github.com/mcpgate/mcpgate/proxy/authserver"
)

// The account API lives under the account page's path; the client
// package knows it only from accountapi.
func TestAccountAPIUnderTheAccountPath(t *testing.T) {
	if accountapi.Prefix != authserver.AccountPath+"/api" {
		t.Fatalf("accountapi.Prefix %q is not under %q", accountapi.Prefix, authserver.AccountPath)
	}
	for _, p := range []string{accountapi.Clients, accountapi.ClientRevoke, accountapi.Tokens, accountapi.TokenRevoke} {
		if !strings.HasPrefix(p, accountapi.Prefix+"/") {
			t.Errorf("%s is not under %s", p, accountapi.Prefix)
		}
	}
}
