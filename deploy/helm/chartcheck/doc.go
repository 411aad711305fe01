// Package chartcheck tests the Helm chart in ../mcpgate: helm lint and
// helm template for each values file in ../mcpgate/ci, every rendered
// object decoded strictly into its Kubernetes API type (an unknown field,
// a typo in a template, fails), and the rendered configuration loaded and
// validated by mcpgate's own config package with the environment the pod
// would get.
//
// It is a module of its own so that the Kubernetes API types stay out of
// mcpgate's dependencies. test.sh runs it; helm comes from .ci/bin (which
// .ci/run fills) or PATH.
package chartcheck
