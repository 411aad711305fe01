//go:build linux

package interop_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// chromiumPath is Debian's Chromium, which .ci/run installs.
func chromiumPath(t *testing.T) string {
	for _, p := range []string{os.Getenv("CHROMIUM"), "/usr/bin/chromium"} {
		if p == "" {
			continue
		}
		if _, err := exec.LookPath(p); err == nil {
			return p
		}
	}
	msg := "Chromium not found: apt-get install chromium (.ci/run does)"
	if os.Getenv("CI") != "" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

// artifactsDir is where browser tests leave their screenshots:
// $MCPGATE_ARTIFACTS, else artifacts/ at the top of the repository
// (ignored by git).
func artifactsDir(t *testing.T, name string) string {
	base := os.Getenv("MCPGATE_ARTIFACTS")
	if base == "" {
		base = filepath.Join("..", "..", "artifacts")
	}
	dir, err := filepath.Abs(filepath.Join(base, name))
	if err != nil {
		t.Fatal(err)
	}
	os.RemoveAll(dir)
	return dir
}

type axeViolation struct {
	ID      string   `json:"id"`
	Impact  string   `json:"impact"`
	Nodes   int      `json:"nodes"`
	Targets []string `json:"targets"`
}

type listResult struct {
	OK    bool   `json:"ok"`
	Tools int    `json:"tools"`
	Error string `json:"error"`
}

type accountBrowserSummary struct {
	OK                 bool                      `json:"ok"`
	Error              string                    `json:"error"`
	Steps              []string                  `json:"steps"`
	Screenshots        []string                  `json:"screenshots"`
	Axe                map[string][]axeViolation `json:"axe"`
	ClientListed       bool                      `json:"clientListed"`
	TokenPrefix        string                    `json:"tokenPrefix"`
	TokenShownAgain    bool                      `json:"tokenShownAgain"`
	TokenListed        bool                      `json:"tokenListed"`
	WithToken          listResult                `json:"withToken"`
	AfterTokenRevoked  listResult                `json:"afterTokenRevoked"`
	RefreshAfterRevoke struct {
		Status int    `json:"status"`
		Error  string `json:"error"`
	} `json:"refreshAfterRevoke"`
	AccessAfterRevoke      int `json:"accessAfterRevoke"`
	TokenStatusAfterRevoke int `json:"tokenStatusAfterRevoke"`
}

// TestAccountPagesInChromium drives node/account-browser.mjs: a client's
// consent and sign-in, the account page listing it, a personal access
// token made there and used by the TypeScript SDK, then revoked, then
// the client revoked, in headless Chromium with oidc-provider upstream;
// every page screenshotted and checked with axe-core.
func TestAccountPagesInChromium(t *testing.T) {
	tc := requireToolchain(t)
	chromium := chromiumPath(t)
	logo := filepath.Join(t.TempDir(), "logo.svg")
	svg := `<svg xmlns="http://www.w3.org/2000/svg" width="32" height="32"><rect width="32" height="32" rx="6" fill="#2857d6"/></svg>`
	if err := os.WriteFile(logo, []byte(svg), 0o600); err != nil {
		t.Fatal(err)
	}
	s := startStack(t, tc, stackOptions{env: []string{"MCPGATE_PAGES_ORGANIZATION_NAME=Example Corp", "MCPGATE_PAGES_LOGO_FILE=" + logo}})
	dir := artifactsDir(t, "account-pages")
	out, err := runProc(t, "account-browser", 3*time.Minute, []string{tc.node, filepath.Join(tc.nodeDir, "account-browser.mjs")},
		childEnv(t.TempDir(), "GATEWAY="+s.issuer, "ARTIFACTS="+dir, "CHROMIUM="+chromium), procOptions{dir: tc.nodeDir})
	sum, perr := lastJSONLine[accountBrowserSummary](out)
	if perr != nil {
		t.Fatalf("no summary from the script (%s): %v\n%s", exitError(err), perr, tail(redact(out), 4000))
	}
	if !sum.OK || err != nil {
		t.Fatalf("browser flow failed after %v (%s): %s", sum.Steps, exitError(err), redact(sum.Error))
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"the client is listed on the account page", sum.ClientListed, true},
		{"the token's prefix", sum.TokenPrefix, "mcpgate_pat_"},
		{"the token shown again", sum.TokenShownAgain, false},
		{"the token listed", sum.TokenListed, true},
		{"tools listed with the token", sum.WithToken.OK && sum.WithToken.Tools > 0, true},
		{"the revoked token refused", sum.AfterTokenRevoked.OK, false},
		{"the revoked client's refresh", sum.RefreshAfterRevoke.Error, "invalid_grant"},
		{"the revoked client's access token", sum.AccessAfterRevoke, 401},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s: got %v, want %v", c.name, c.got, c.want)
		}
	}
	if !strings.Contains(sum.AfterTokenRevoked.Error, "Unauthorized") || sum.TokenStatusAfterRevoke != 401 {
		t.Errorf("the revoked token: the SDK said %q, a POST got %d; want Unauthorized and 401", sum.AfterTokenRevoked.Error, sum.TokenStatusAfterRevoke)
	}
	for page, vs := range sum.Axe {
		if len(vs) > 0 {
			t.Errorf("axe-core on %s: serious or critical violations %+v", page, vs)
		}
	}
	if len(sum.Axe) != len(sum.Screenshots) || len(sum.Screenshots) < 6 {
		t.Errorf("checked %d pages, screenshotted %d, want every one of at least 6", len(sum.Axe), len(sum.Screenshots))
	}
	for _, f := range sum.Screenshots {
		if st, err := os.Stat(f); err != nil || st.Size() == 0 {
			t.Errorf("screenshot %s: %v", f, err)
		}
	}
	t.Logf("tools listed with the token: %d; the revoked token: %s", sum.WithToken.Tools, sum.AfterTokenRevoked.Error)
	t.Logf("screenshots: %v", sum.Screenshots)
}
