#!/usr/bin/env bash
# The whole test suite: formatting, vet, staticcheck, and every test.
set -euo pipefail
cd "$(dirname "$0")"
export PATH="$(go env GOPATH)/bin:$PATH"

unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))
if [ -n "$unformatted" ]; then
  echo "gofmt would change:"; echo "$unformatted"; exit 1
fi
go build ./...
go vet ./...
if command -v staticcheck >/dev/null; then
  staticcheck ./...
else
  go run honnef.co/go/tools/cmd/staticcheck@v0.8.2 ./...
fi
# The third-party MCP clients, IdP and conformance suite for proxy/interop
# (pinned by its package-lock.json; the npm cache makes reruns cheap).
npm ci --prefix proxy/interop/node --no-audit --no-fund --prefer-offline --loglevel=error
go test -race -count=1 -timeout 30m ./...
# What deploy/ ships (the Helm chart, the compose example), in a module of
# its own so that the Kubernetes and compose types stay out of mcpgate's.
(
  cd deploy/check
  go vet ./...
  if command -v staticcheck >/dev/null; then staticcheck ./...; else go run honnef.co/go/tools/cmd/staticcheck@v0.8.2 ./...; fi
  go test -count=1 ./...
)
# Tests that stop shared services (PostgreSQL) run alone, after the rest.
DISRUPTIVE_TESTS=1 go test -count=1 -timeout 5m -run 'TestPostgresRestart' ./proxy/e2e/
# Every fuzz target for a bounded time (FUZZTIME, 10s each by default;
# FUZZTIME=10m .ci/fuzz for a long run).
.ci/fuzz
