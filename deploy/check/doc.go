// Package check tests what deploy/ ships, with the tools that consume it:
//
//   - the Helm chart (../helm/mcpgate): helm lint and helm template for
//     each values file in its ci/, every rendered object decoded strictly
//     into its Kubernetes API type (an unknown field, a typo in a
//     template, fails), and the rendered configuration loaded and
//     validated by mcpgate's own config package with the environment the
//     pod would get;
//   - the compose example (../compose): loaded by compose-go, the library
//     docker compose is built on, its mcpgate configuration validated with
//     the service's environment, and the Keycloak realm it imports matched
//     against that configuration.
//
// It is a module of its own so that the Kubernetes and compose types stay
// out of mcpgate's dependencies. test.sh runs it; helm comes from .ci/bin
// (which .ci/run fills) or PATH.
package check
