// Package benchmark measures the cost of mcpgate's hot path (issue #3): the
// same MCP tools/call load is sent straight to an MCP backend, through a
// bare httputil.ReverseProxy, and through mcpgate with a valid access
// token, so that mcpgate's overhead shows as a ratio against a plain
// reverse proxy rather than as an absolute number from a noisy machine.
//
// Everything listens on 127.0.0.1 only. The Go benchmarks live in
// bench_test.go; the interleaved load test is ./loadtest; the method and
// results are in docs/benchmarks.md.
package benchmark
