#!/usr/bin/env bash
# gateway/go_test.sh — `go vet` and `go test` of the gateway's unit tests, as
# //gateway:go_test runs them. Sources are copied out of Bazel's runfiles
# (symlinks, which go:embed refuses) into a scratch module first.
set -euo pipefail

SRC="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
WORK="$(mktemp -d "${TEST_TMPDIR:-${TMPDIR:-/tmp}}/aia-gateway-test.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT

cp -RL "$SRC/." "$WORK/"
cd "$WORK"
export GOFLAGS=-mod=readonly CGO_ENABLED=0
unformatted="$(gofmt -l $(ls *.go))"
if [ -n "$unformatted" ]; then
    echo "go_test.sh: not gofmt-formatted: $unformatted" >&2
    exit 1
fi
go vet .
go test -count=1 -race=false "$@" .
