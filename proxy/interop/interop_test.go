//go:build linux

package interop_test

import "testing"

// TestInterop runs each third-party client against one deployment. Every
// client signs in from scratch (its own registration, consent and upstream
// login), so the subtests do not depend on each other.
func TestInterop(t *testing.T) {
	tc := requireToolchain(t)
	// The conformance suite sends an Origin header, and its shim must be
	// listening (and allowed) before mcpgate starts.
	shim := newBearerShim(t)
	s := startStack(t, tc, stackOptions{allowedOrigins: []string{shim.origin()}, allowedHosts: []string{shim.host()}})

	t.Run("TypeScriptSDK", func(t *testing.T) { testTypeScriptSDK(t, s) })
	t.Run("MCPRemote", func(t *testing.T) { testMCPRemote(t, s, "") })
	t.Run("MCPRemotePreregisteredClient", func(t *testing.T) { testMCPRemoteStatic(t, s) })
	t.Run("InspectorCLI", func(t *testing.T) { testInspectorCLI(t, s) })
	t.Run("GoSDK", func(t *testing.T) { testGoSDK(t, s) })
	t.Run("ConformanceServerSuite", func(t *testing.T) { testConformanceServer(t, s, shim) })
	t.Run("ConformanceAuthorizationSuite", func(t *testing.T) { testConformanceAuthorization(t, s, true) })
	t.Run("ConformanceAuthorizationSuiteWithoutResource", func(t *testing.T) { testConformanceAuthorization(t, s, false) })
}
