#!/bin/sh
# Builds mcpgate as the container image ships it: pure Go (modernc.org/sqlite
# needs no cgo), so fully static, trimmed of local paths and debug data.
# The Dockerfile's build stage and .ci/run both build with this.
#   VERSION=1.2.3 deploy/build.sh OUTPUT
set -eu
out="${1:?usage: deploy/build.sh OUTPUT}"
CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION:-dev}" -o "$out" ./cmd/mcpgate
