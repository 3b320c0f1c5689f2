#!/usr/bin/env bash
# gateway/fresh_test.sh — fails when gateway/gen/ is not what generate.sh
# makes from proto/ today: someone changed a .proto and did not run
# gateway/generate.sh (or edited generated code by hand).
set -euo pipefail

GATEWAY="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
FRESH="$(mktemp -d "${TEST_TMPDIR:-${TMPDIR:-/tmp}}/aia-gen-fresh.XXXXXX")"
trap 'rm -rf "$FRESH"' EXIT

"$GATEWAY/generate.sh" "$FRESH/gen"
if ! diff -r -u "$GATEWAY/gen" "$FRESH/gen" >"$FRESH/diff.txt"; then
    echo "gateway/gen is stale: run gateway/generate.sh and commit the result." >&2
    head -n 80 "$FRESH/diff.txt" >&2
    exit 1
fi
echo "gateway/gen matches proto/ ($(find "$GATEWAY/gen" -type f | wc -l) files)"
