//go:build linux

package interop_test

import (
	"bytes"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"testing"
	"time"
)

// bearerShim stands between the conformance suite, which sends no
// credentials, and mcpgate: it adds a valid mcpgate access token to each
// request and keeps everything else exactly as the suite sent it, Host and
// Origin included, like a TLS-terminating balancer that preserves Host
// (mcpgate is configured to answer for the shim's host). Answers stream
// through unbuffered.
type bearerShim struct {
	srv *httptest.Server
	// log has the proxy's errors, e.g. an answer cut by mcpgate
	// ("read error during body copy: unexpected EOF").
	log syncBuffer
}

func newBearerShim(t *testing.T) *bearerShim {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	sh := &bearerShim{}
	sh.srv = &httptest.Server{Listener: ln, Config: &http.Server{}}
	t.Cleanup(func() {
		sh.srv.Close()
		if l := sh.log.String(); t.Failed() && l != "" {
			t.Logf("shim errors:\n%s", redact(l))
		}
	})
	return sh
}

func (sh *bearerShim) origin() string { return "http://" + sh.host() }

func (sh *bearerShim) host() string { return sh.srv.Listener.Addr().String() }

// forwardTo starts the shim in front of target with token.
func (sh *bearerShim) forwardTo(target *url.URL, token string) {
	proxy := &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			r.SetURL(target)
			// The suite's own Host, never mcpgate's: rewriting it would
			// hide whether mcpgate refuses a rebound one.
			r.Out.Host = r.In.Host
			r.Out.Header.Set("Authorization", "Bearer "+token)
		},
		FlushInterval: -1,
		ErrorLog:      log.New(&sh.log, "", log.LstdFlags),
	}
	sh.srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Read the request body before forwarding it. Otherwise Go's
		// HTTP/1 server closes it when the answer starts, racing the
		// transport's last read of it, and a lost race cuts the answer
		// (golang/go#40747): the shim must not add failures of its own.
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<20))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		proxy.ServeHTTP(w, r)
	})
	sh.srv.Start()
}

// suiteCheck is one check of a conformance scenario (checks.json).
type suiteCheck struct {
	ID           string `json:"id"`
	Name         string `json:"name"`
	Status       string `json:"status"`
	ErrorMessage string `json:"errorMessage"`
}

// testConformanceServer runs the MCP conformance `server` suite directly
// against the backend and again through mcpgate: whatever passes directly
// must pass through mcpgate too. It runs the default (active) suite, which
// speaks the 2025 wire with sessions, and the 2026-07-28 requirement set,
// whose stateless wire with Mcp-Method/Mcp-Name headers a proxy must carry
// unchanged too (the go-sdk v1.8.0 backend fails most of that set itself).
func testConformanceServer(t *testing.T, s *stack, shim *bearerShim) {
	tok := s.signIn(t)
	gateway, _ := url.Parse(s.issuer)
	shim.forwardTo(gateway, tok.AccessToken)
	through := shim.origin() + "/mcp"

	suites := []struct {
		name string
		args []string
	}{
		{name: "Active", args: nil},
		{name: "Requirements2026", args: []string{"--requirements", "2026-07-28"}},
	}
	for _, suite := range suites {
		t.Run(suite.name, func(t *testing.T) {
			direct := runServerSuite(t, s, s.backend, suite.args)
			via := runServerSuite(t, s, through, suite.args)
			if len(direct) == 0 {
				t.Fatal("the suite ran no scenario directly against the backend")
			}
			dPass, vPass := passing(direct), passing(via)
			t.Logf("scenarios passing: direct %d/%d, through mcpgate %d/%d; checks passing: direct %d/%d, through mcpgate %d/%d",
				len(dPass), len(direct), len(vPass), len(via),
				countStatus(direct, "SUCCESS"), countChecks(direct), countStatus(via, "SUCCESS"), countChecks(via))
			for _, name := range sortedKeys(direct) {
				if !dPass[name] {
					continue
				}
				if !vPass[name] {
					t.Errorf("scenario %s: passes directly, fails through mcpgate: %v", name, failures(via[name]))
				}
			}
			// The scenario mcpgate takes part in itself (SEP-2243: it checks
			// Mcp-Method and Mcp-Name against the body before forwarding).
			if checks, ok := via["http-header-validation"]; ok {
				t.Logf("http-header-validation: direct %d/%d checks, through mcpgate %d/%d",
					countStatus(map[string][]suiteCheck{"": direct["http-header-validation"]}, "SUCCESS"), len(direct["http-header-validation"]),
					countStatus(map[string][]suiteCheck{"": checks}, "SUCCESS"), len(checks))
				for _, c := range checks {
					if c.Status != "SUCCESS" {
						t.Logf("  through mcpgate: %s %s: %s", c.Name, c.Status, c.ErrorMessage)
					}
				}
			}
			// Check by check as well: a scenario failing directly may still
			// have checks that pass, and those must survive the proxy.
			for _, name := range sortedKeys(direct) {
				got, want := statusByCheck(via[name]), statusByCheck(direct[name])
				for _, key := range sortedKeys(want) {
					if want[key] == "SUCCESS" && got[key] != "SUCCESS" {
						t.Errorf("scenario %s, check %s: got %q through mcpgate, want SUCCESS as directly", name, key, got[key])
					}
				}
			}
		})
	}
}

var scenarioDir = regexp.MustCompile(`^server-(.+)-\d{4}-\d{2}-\d{2}T[0-9-]+Z$`)

// runServerSuite runs `conformance server` against url and returns the
// checks per scenario, read from its output directory.
func runServerSuite(t *testing.T, s *stack, target string, extra []string) map[string][]suiteCheck {
	t.Helper()
	outDir := t.TempDir()
	args := append([]string{s.tc.node, s.tc.jsPath("@modelcontextprotocol/conformance/dist/index.js"),
		"server", "--url", target, "--output-dir", outDir, "--timeout", "20000"}, extra...)
	// The suite exits 1 when any check fails; the outcome is in outDir.
	out, err := runProc(t, "conformance server", 3*time.Minute, args, childEnv(t.TempDir()), procOptions{})
	if err != nil && exitCode(err) != 1 {
		t.Fatalf("conformance server --url %s: %s\n%s", target, exitError(err), tail(redact(out), 3000))
	}
	return readSuiteDir(t, outDir, scenarioDir)
}

// passing is the set of scenarios that ran checks and failed none.
func passing(r map[string][]suiteCheck) map[string]bool {
	p := map[string]bool{}
	for name, checks := range r {
		if len(checks) > 0 && !slices.ContainsFunc(checks, func(c suiteCheck) bool { return c.Status == "FAILURE" }) {
			p[name] = true
		}
	}
	return p
}

// statusByCheck keys checks by id and name, numbering repeats.
func statusByCheck(checks []suiteCheck) map[string]string {
	m := map[string]string{}
	for _, c := range checks {
		key := c.ID + "/" + c.Name
		for i := 2; ; i++ {
			if _, dup := m[key]; !dup {
				break
			}
			key = fmt.Sprintf("%s/%s#%d", c.ID, c.Name, i)
		}
		m[key] = c.Status
	}
	return m
}

func failures(checks []suiteCheck) []string {
	var out []string
	for _, c := range checks {
		if c.Status == "FAILURE" {
			out = append(out, c.ID+": "+c.ErrorMessage)
		}
	}
	if checks == nil {
		out = append(out, "scenario did not run")
	}
	return out
}

func countChecks(r map[string][]suiteCheck) int {
	n := 0
	for _, c := range r {
		n += len(c)
	}
	return n
}

func countStatus(r map[string][]suiteCheck, status string) int {
	n := 0
	for _, checks := range r {
		for _, c := range checks {
			if c.Status == status {
				n++
			}
		}
	}
	return n
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
