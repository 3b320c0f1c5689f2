#!/usr/bin/env bash
# gateway/generate.sh — regenerate gateway/gen/ from proto/: the Go messages
# and gRPC stubs, the grpc-gateway handlers, and the merged OpenAPI v2
# document. Run it after any change to proto/aia/v1; the generated code is
# committed so that `cd gateway && go build .` works on a clean clone, and
# //gateway:generated_fresh_test fails when it is stale.
#
#   gateway/generate.sh            write into gateway/gen/
#   gateway/generate.sh OUT_DIR    write into OUT_DIR instead (the freshness
#                                  test generates into a temporary directory)
#
# The protoc plugins are built from the versions go.mod pins (tools.go), so
# every machine generates byte-identical files; scripts/setup.sh installs them.
set -euo pipefail

GATEWAY="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(dirname "$GATEWAY")"
OUT="${1:-$GATEWAY/gen}"
MODULE=github.com/aia-mlops/aia/gateway
# The Go packages land under gen/ by their go_package path relative to MODULE.
GO_OUT="$(mktemp -d "${TMPDIR:-/tmp}/aia-gen.XXXXXX")"
trap 'rm -rf "$GO_OUT"' EXIT

# Where Debian keeps the imports: the well-known types (libprotobuf-dev) and
# google/api/{annotations,http}.proto (golang-github-grpc-ecosystem-grpc-gateway-dev).
GOOGLEAPIS=/usr/share/gocode/src/github.com/grpc-ecosystem/grpc-gateway/third_party/googleapis

. "$ROOT/scripts/env.sh"
for plugin in protoc-gen-go protoc-gen-go-grpc protoc-gen-grpc-gateway protoc-gen-openapiv2; do
    command -v "$plugin" >/dev/null || { echo "generate.sh: $plugin not found; run scripts/setup.sh" >&2; exit 1; }
done

cd "$ROOT/proto"
PROTOS=(aia/v1/*.proto)
mkdir -p "$GO_OUT/openapi"
protoc \
    -I. -Ithird_party -I/usr/include -I"$GOOGLEAPIS" \
    --go_out="$GO_OUT" --go_opt=module=$MODULE \
    --go-grpc_out="$GO_OUT" --go-grpc_opt=module=$MODULE \
    --grpc-gateway_out="$GO_OUT" --grpc-gateway_opt=module=$MODULE,generate_unbound_methods=false \
    --openapiv2_out="$GO_OUT/openapi" \
    --openapiv2_opt=allow_merge=true,merge_file_name=aia,json_names_for_fields=false \
    --openapiv2_opt=openapi_configuration="$GATEWAY/openapi.yaml" \
    "${PROTOS[@]}"

# Replace OUT's contents wholesale, so a removed proto leaves no stale file.
rm -rf "$OUT"
mkdir -p "$OUT"
cp -R "$GO_OUT/gen/." "$OUT/"
cp -R "$GO_OUT/openapi" "$OUT/openapi"
