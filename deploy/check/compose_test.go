package check

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"

	"github.com/mcpgate/mcpgate/config"
)

const composeDir = "../compose"

// loadCompose loads compose.yaml as docker compose does (compose-go, the
// library docker compose is built on: schema validation, interpolation,
// normalisation), with no variables from this machine's environment.
func loadCompose(t *testing.T) *types.Project {
	t.Helper()
	opts, err := cli.NewProjectOptions([]string{filepath.Join(composeDir, "compose.yaml")},
		cli.WithWorkingDirectory(composeDir), cli.WithEnv(nil), cli.WithConsistency(true))
	if err != nil {
		t.Fatal(err)
	}
	p, err := opts.LoadProject(context.Background())
	if err != nil {
		t.Fatalf("compose.yaml: %v", err)
	}
	return p
}

// keycloakRealm is the part of Keycloak's realm export the example uses.
type keycloakRealm struct {
	Realm  string `json:"realm"`
	Groups []struct {
		Name string `json:"name"`
	} `json:"groups"`
	Users []struct {
		Username      string   `json:"username"`
		Email         string   `json:"email"`
		EmailVerified bool     `json:"emailVerified"`
		Groups        []string `json:"groups"`
	} `json:"users"`
	Clients []struct {
		ClientID        string            `json:"clientId"`
		PublicClient    bool              `json:"publicClient"`
		Secret          string            `json:"secret"`
		RedirectURIs    []string          `json:"redirectUris"`
		Attributes      map[string]string `json:"attributes"`
		ProtocolMappers []struct {
			ProtocolMapper string            `json:"protocolMapper"`
			Config         map[string]string `json:"config"`
		} `json:"protocolMappers"`
	} `json:"clients"`
}

// TestCompose: the compose example loads as docker compose would load it,
// its mcpgate configuration passes mcpgate's validation with the
// service's environment, and the Keycloak realm it imports has the client
// mcpgate is configured with (same id, secret and redirect URI, groups in
// the ID token) and users on both sides of the sign-in policy.
func TestCompose(t *testing.T) {
	p := loadCompose(t)
	for _, name := range []string{"postgres", "keycloak", "backend", "mcpgate"} {
		if _, err := p.GetService(name); err != nil {
			t.Fatalf("service %s: %v", name, err)
		}
	}
	gw, _ := p.GetService("mcpgate")
	kc, _ := p.GetService("keycloak")
	backend, _ := p.GetService("backend")

	// The browser and mcpgate see Keycloak at one URL only if mcpgate
	// lives in Keycloak's network namespace, where its port is published.
	if gw.NetworkMode != "service:keycloak" {
		t.Errorf("mcpgate network_mode %q, want service:keycloak", gw.NetworkMode)
	}
	published := map[string]bool{}
	for _, port := range kc.Ports {
		published[port.Published+"->"+itoa(port.Target)] = true
		if port.HostIP != "127.0.0.1" {
			t.Errorf("port %d published on %q: want 127.0.0.1 only (development passwords)", port.Target, port.HostIP)
		}
	}
	if !published["8080->8080"] || !published["8081->8081"] {
		t.Errorf("keycloak publishes %v, want mcpgate's 8080 and Keycloak's 8081", published)
	}
	if len(backend.Ports) != 0 {
		t.Errorf("the demo backend publishes %v: it believes identity headers, only mcpgate may reach it", backend.Ports)
	}
	if !slices.Equal(backend.Command, types.ShellCommand{"demo", "backend", "--listen", ":3000"}) {
		t.Errorf("backend command %v", backend.Command)
	}
	for dep, cond := range map[string]string{"postgres": types.ServiceConditionHealthy, "keycloak": types.ServiceConditionHealthy} {
		if gw.DependsOn[dep].Condition != cond {
			t.Errorf("mcpgate depends on %s with %q, want %q", dep, gw.DependsOn[dep].Condition, cond)
		}
	}

	// mcpgate's configuration, with the environment compose gives it.
	var env []string
	for k, v := range gw.Environment {
		if v != nil {
			env = append(env, k+"="+*v)
		}
	}
	var file string
	for _, v := range gw.Volumes {
		if v.Target == "/etc/mcpgate/config.yaml" {
			file = v.Source
		}
	}
	if file == "" || !slices.Equal(gw.Command, types.ShellCommand{"serve", "--config", "/etc/mcpgate/config.yaml"}) {
		t.Fatalf("mcpgate: command %v, volumes %v: want its config file mounted and served", gw.Command, gw.Volumes)
	}
	cfg, err := config.Load(file, env)
	if err == nil {
		err = cfg.Validate()
	}
	if err != nil {
		t.Fatalf("mcpgate refuses the compose configuration: %v", err)
	}
	pg, _ := p.GetService("postgres")
	wantStore := "postgres://" + *pg.Environment["POSTGRES_USER"] + ":" + *pg.Environment["POSTGRES_PASSWORD"] + "@postgres:5432/" + *pg.Environment["POSTGRES_DB"]
	if !strings.HasPrefix(cfg.Store, wantStore) {
		t.Errorf("store %q, want PostgreSQL's service %s", cfg.Store, wantStore)
	}
	if !strings.HasPrefix(cfg.Backend.URL, "http://backend:3000/") {
		t.Errorf("backend.url %q, want the backend service", cfg.Backend.URL)
	}
	if len(cfg.EncryptionKey) < 32 {
		t.Error("no encryption key for the signing keys in PostgreSQL")
	}

	// The realm Keycloak imports.
	var realmFile string
	for _, v := range kc.Volumes {
		if strings.HasPrefix(v.Target, "/opt/keycloak/data/import/") {
			realmFile = v.Source
		}
	}
	raw, err := os.ReadFile(realmFile)
	if err != nil {
		t.Fatalf("the realm Keycloak imports: %v", err)
	}
	var realm keycloakRealm
	if err := json.Unmarshal(raw, &realm); err != nil {
		t.Fatalf("%s: %v", realmFile, err)
	}
	if want := *kc.Environment["KC_HOSTNAME"] + "/realms/" + realm.Realm; cfg.Upstream.Issuer != want {
		t.Errorf("upstream.issuer %q, want the realm's issuer %q", cfg.Upstream.Issuer, want)
	}
	if len(realm.Clients) != 1 {
		t.Fatalf("%d clients in the realm, want mcpgate's", len(realm.Clients))
	}
	c := realm.Clients[0]
	if c.ClientID != cfg.Upstream.ClientID || c.PublicClient || c.Secret != cfg.Upstream.ClientSecret {
		t.Errorf("realm client %q (public %v): want mcpgate's %q, confidential, with the secret mcpgate is given", c.ClientID, c.PublicClient, cfg.Upstream.ClientID)
	}
	if want := cfg.PublicURL + config.CallbackPath; !slices.Equal(c.RedirectURIs, []string{want}) {
		t.Errorf("realm redirect URIs %v, want exactly [%s]", c.RedirectURIs, want)
	}
	if c.Attributes["pkce.code.challenge.method"] != "S256" {
		t.Error("the realm client does not require PKCE S256")
	}
	if got, want := c.Attributes["backchannel.logout.url"], cfg.PublicURL+"/oauth/backchannel-logout"; got != want {
		t.Errorf("back-channel logout URL %q, want %q", got, want)
	}
	groupsInIDToken := false
	for _, m := range c.ProtocolMappers {
		if m.ProtocolMapper == "oidc-group-membership-mapper" && m.Config["claim.name"] == cfg.Upstream.GroupsClaim && m.Config["id.token.claim"] == "true" {
			groupsInIDToken = true
		}
	}
	if !groupsInIDToken {
		t.Errorf("no group membership mapper puts %q into the ID token", cfg.Upstream.GroupsClaim)
	}
	// One user the policy lets in, one it refuses.
	required := cfg.Policy.SignIn.RequiredGroups
	var allowed, refused int
	for _, u := range realm.Users {
		member := false
		for _, g := range u.Groups {
			member = member || slices.Contains(required, strings.TrimPrefix(g, "/"))
		}
		if member && u.EmailVerified && strings.HasSuffix(u.Email, "@"+cfg.Policy.SignIn.AllowedEmailDomains[0]) {
			allowed++
		} else {
			refused++
		}
	}
	if allowed == 0 || refused == 0 {
		t.Errorf("%d users allowed and %d refused by the sign-in policy: want both kinds to try", allowed, refused)
	}
}

func itoa(n uint32) string {
	b, _ := json.Marshal(n)
	return string(b)
}
