//go:build linux

package interop_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// TestClientCommands: `mcpgate login` against a running mcpgate in front
// of oidc-provider, then `mcpgate token` with curl calling tools/list,
// then `mcpgate connect` driven over stdio by a go-sdk host listing and
// calling tools: an expired token is refreshed, a revoked one refreshed
// on the server's 401, a step-up to mcp:write signs in again; then
// `mcpgate logout`. The real binary throughout, with its own HOME.
func TestClientCommands(t *testing.T) {
	tc := requireToolchain(t)
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "mcpgate.yaml")
	if err := os.WriteFile(cfgPath, []byte(fmt.Sprintf(policyYAML, "", filepath.Join(dir, "audit.log"))), 0o600); err != nil {
		t.Fatal(err)
	}
	s := startStack(t, tc, stackOptions{configFile: cfgPath})
	home := t.TempDir()
	credentials := filepath.Join(home, ".config", "mcpgate", "credentials.json")
	env := childEnv(home)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	resource := s.resource()

	// signInFrom reads the sign-in URL a command printed and plays the
	// user: consent, oidc-provider's login as userEng, and the redirect
	// to the command's loopback listener.
	authLine := regexp.MustCompile(`^\s*(` + regexp.QuoteMeta(s.issuer) + `/authorize\?\S+)`)
	signIn := func(t *testing.T, line string) {
		t.Helper()
		m := authLine.FindStringSubmatch(line)
		b := newBrowser()
		idpURL, _ := url.Parse(s.idp)
		b.client.Jar.SetCookies(idpURL, []*http.Cookie{{Name: "idp_user", Value: userEng, Path: "/"}})
		final, err := b.signIn(ctx, m[1], "")
		if err != nil {
			t.Fatalf("browser: %v", err)
		}
		if final.Host != "127.0.0.1:"+final.Port() || final.Path != "/callback" {
			t.Errorf("the browser ended at %s, want the command's loopback listener", where(final))
		}
	}

	login := startProc(t, ctx, "mcpgate login", []string{tc.mcpgate, "login", "--no-browser", "--scope", "mcp", resource}, env, procOptions{})
	line, err := login.waitOutput(60*time.Second, authLine.MatchString)
	if err != nil {
		t.Fatal(err)
	}
	signIn(t, line)
	if err := login.wait(60 * time.Second); err != nil {
		t.Fatalf("mcpgate login: %s\n%s", exitError(err), redact(login.out.String()))
	}
	t.Logf("mcpgate login: %s", redact(strings.TrimSpace(login.out.String()[strings.LastIndex(login.out.String(), "Signed in"):])))
	if fi, err := os.Stat(credentials); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("credentials file: %v, mode %v, want 0600", err, fi.Mode())
	}
	stored := readCredentials(t, credentials, resource)
	addSecret(stored.AccessToken)
	addSecret(stored.RefreshToken)

	t.Run("token with curl", func(t *testing.T) {
		tok := runMCPGate(t, tc, env, "token", resource)
		if tok != stored.AccessToken {
			t.Fatal("mcpgate token printed another token than the one stored")
		}
		headers := filepath.Join(t.TempDir(), "headers")
		// The token is bound to the machine's DPoP key (mcpgate advertises
		// DPoP): each curl call takes its headers, token and a fresh proof,
		// from mcpgate token --headers.
		auth := filepath.Join(t.TempDir(), "auth")
		curl := func(body string, extra ...string) string {
			h := runMCPGateAll(t, tc, env, "token", resource, "--headers", "POST")
			if !strings.HasPrefix(h, "Authorization: DPoP "+tok+"\n") || !strings.Contains(h, "\nDPoP: ey") {
				t.Fatalf("mcpgate token --headers: want the DPoP scheme and a proof, got %d lines", strings.Count(h, "\n"))
			}
			if err := os.WriteFile(auth, []byte(h), 0o600); err != nil {
				t.Fatal(err)
			}
			args := append([]string{"curl", "-sS", "--fail-with-body", "-X", "POST", resource,
				"-H", "@" + auth, "-H", "Content-Type: application/json",
				"-H", "Accept: application/json, text/event-stream", "-d", body}, extra...)
			out, err := exec.CommandContext(ctx, args[0], args[1:]...).CombinedOutput()
			if err != nil {
				t.Fatalf("curl: %v\n%s", err, redact(string(out)))
			}
			return string(out)
		}
		curl(`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"curl","version":"1"}}}`, "-D", headers)
		raw, _ := os.ReadFile(headers)
		sid := regexp.MustCompile(`(?im)^mcp-session-id:\s*(\S+)`).FindStringSubmatch(string(raw))
		if sid == nil {
			t.Fatalf("no session from initialize:\n%s", raw)
		}
		session := []string{"-H", "Mcp-Session-Id: " + sid[1], "-H", "MCP-Protocol-Version: 2025-11-25"}
		curl(`{"jsonrpc":"2.0","method":"notifications/initialized"}`, session...)
		list := curl(`{"jsonrpc":"2.0","id":2,"method":"tools/list"}`, session...)
		if !strings.Contains(list, `"test_simple_text"`) || strings.Contains(list, `"json_schema_2020_12_tool"`) {
			t.Errorf("tools/list through curl: want test_simple_text and not the write tool (token has only mcp):\n%.400s", list)
		}
	})

	t.Run("connect over stdio", func(t *testing.T) {
		cmd := exec.CommandContext(ctx, tc.mcpgate, "connect", "--no-browser", resource)
		cmd.Env = env
		stderr, err := cmd.StderrPipe()
		if err != nil {
			t.Fatal(err)
		}
		lines := make(chan string, 64)
		go func() {
			sc := bufio.NewScanner(stderr)
			for sc.Scan() {
				lines <- sc.Text()
			}
			close(lines)
		}()
		host := mcp.NewClient(&mcp.Implementation{Name: "stdio-only-host", Version: "1"}, nil)
		cs, err := host.Connect(ctx, &mcp.CommandTransport{Command: cmd}, nil)
		if err != nil {
			t.Fatalf("initialize through mcpgate connect: %v", err)
		}
		defer cs.Close()
		if got := cs.InitializeResult().ServerInfo.Name; got != "mcp-conformance-test-server" {
			t.Errorf("server: %q", got)
		}
		call := func(name string) *mcp.CallToolResult {
			t.Helper()
			res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: name, Arguments: map[string]any{}})
			if err != nil {
				t.Fatalf("tools/call %s: %v", name, err)
			}
			return res
		}
		tools, err := cs.ListTools(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		if !hasTool(tools, "test_simple_text") || hasTool(tools, "json_schema_2020_12_tool") {
			t.Errorf("tools/list through connect: want test_simple_text and not the write tool")
		}
		if res := call("test_simple_text"); res.IsError || len(res.Content) != 1 {
			t.Errorf("test_simple_text: %+v", res)
		}

		// Expired: refreshed before the call; the refresh token rotates.
		editCredentials(t, credentials, resource, func(c map[string]any) { c["expiry"] = time.Now().Add(-time.Hour).Format(time.RFC3339) })
		if res := call("test_simple_text"); res.IsError {
			t.Errorf("after the token expired: %+v", res)
		}
		refreshed := readCredentials(t, credentials, resource)
		addSecret(refreshed.AccessToken)
		addSecret(refreshed.RefreshToken)
		if refreshed.RefreshToken == stored.RefreshToken || refreshed.AccessToken == stored.AccessToken {
			t.Error("an expired token was not refreshed (or the refresh token not rotated)")
		}
		// Refused by the server though not expired: refreshed on the 401.
		editCredentials(t, credentials, resource, func(c map[string]any) { c["access_token"] = "revoked-or-garbled" })
		if res := call("test_simple_text"); res.IsError {
			t.Errorf("after the server refused the token: %+v", res)
		}

		// Step-up: the write tool needs mcp:write; connect meets the 403,
		// prints a sign-in URL, and retries once signed in again.
		stepUp := make(chan error, 1)
		go func() {
			for l := range lines {
				if authLine.MatchString(l) {
					signIn(t, l)
					stepUp <- nil
					return
				}
			}
			stepUp <- fmt.Errorf("connect's stderr ended without a sign-in URL")
		}()
		res := call("json_schema_2020_12_tool")
		if err := <-stepUp; err != nil {
			t.Fatal(err)
		}
		// The backend ran the tool (its schema check may refuse the empty
		// arguments: a tool result); mcpgate's refusal would have been a
		// JSON-RPC error, which call reports as failed.
		if res == nil || len(res.Content) == 0 {
			t.Errorf("the write tool after the step-up: %+v", res)
		}
		if got := readCredentials(t, credentials, resource).Scopes; !strings.Contains(strings.Join(got, " "), "mcp:write") {
			t.Errorf("scopes after the step-up: %v", got)
		}
	})

	t.Run("logout", func(t *testing.T) {
		last := readCredentials(t, credentials, resource)
		runMCPGate(t, tc, env, "logout", resource)
		data, err := os.ReadFile(credentials)
		if err != nil {
			t.Fatal(err)
		}
		for _, tok := range []string{last.AccessToken, last.RefreshToken, stored.RefreshToken} {
			if tok != "" && strings.Contains(string(data), tok) {
				t.Error("the credentials file still holds a token after logout")
			}
		}
		form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {last.RefreshToken}, "client_id": {last.ClientID}, "resource": {resource}}
		resp, err := http.PostForm(s.issuer+"/token", form)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), "invalid_grant") {
			t.Errorf("the refresh token after logout: %d %s, want invalid_grant", resp.StatusCode, body)
		}
		if out, err := runProc(t, "mcpgate token", 30*time.Second, []string{tc.mcpgate, "token", resource}, env, procOptions{}); err == nil {
			t.Errorf("mcpgate token after logout succeeded: %s", redact(out))
		}
	})
}

type storedCredentials struct {
	AccessToken  string   `json:"access_token"`
	RefreshToken string   `json:"refresh_token"`
	ClientID     string   `json:"client_id"`
	Scopes       []string `json:"scopes"`
}

func readCredentials(t *testing.T, path, resource string) storedCredentials {
	t.Helper()
	var f struct {
		Servers map[string]storedCredentials `json:"servers"`
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &f); err != nil {
		t.Fatal(err)
	}
	return f.Servers[resource]
}

// editCredentials changes the stored record of resource as another
// program (or time) would.
func editCredentials(t *testing.T, path, resource string, change func(map[string]any)) {
	t.Helper()
	var f map[string]map[string]map[string]any
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &f); err != nil {
		t.Fatal(err)
	}
	change(f["servers"][resource])
	out, _ := json.Marshal(f)
	if err := os.WriteFile(path, out, 0o600); err != nil {
		t.Fatal(err)
	}
}

// runMCPGateAll runs an mcpgate client command and returns its stdout.
func runMCPGateAll(t *testing.T, tc *toolchain, env []string, args ...string) string {
	t.Helper()
	cmd := exec.Command(tc.mcpgate, args...)
	cmd.Env = env
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("mcpgate %s: %v", args[0], err)
	}
	return string(out)
}

// runMCPGate runs an mcpgate client command and returns its last line.
func runMCPGate(t *testing.T, tc *toolchain, env []string, args ...string) string {
	t.Helper()
	out, err := runProc(t, "mcpgate "+args[0], 60*time.Second, append([]string{tc.mcpgate}, args...), env, procOptions{})
	if err != nil {
		t.Fatalf("mcpgate %s: %s\n%s", args[0], exitError(err), redact(out))
	}
	out = strings.TrimSpace(out)
	return out[strings.LastIndex(out, "\n")+1:]
}

func hasTool(l *mcp.ListToolsResult, name string) bool {
	for _, tool := range l.Tools {
		if tool.Name == name {
			return true
		}
	}
	return false
}
