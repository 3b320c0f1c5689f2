#!/usr/bin/env bash
# gateway/build.sh OUT — build aia-gateway into OUT. Bazel's //gateway:aia-gateway
# runs it (Bazel 4.2.3 has no offline Go rules); it also works by hand.
#
# Bazel hands the sources over as symlinks, which go:embed refuses, so they
# are copied (dereferenced) into a scratch module first. Modules come from
# the module cache that scripts/setup.sh fills (`go mod download`); go.sum
# pins them, and -mod=readonly refuses to change go.mod behind our back.
set -euo pipefail

OUT="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
SRC="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/aia-gateway-build.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT

cp -RL "$SRC/." "$WORK/"
cd "$WORK"
GOFLAGS=-mod=readonly CGO_ENABLED=0 go build -trimpath -o "$OUT" .
