# scripts/env.sh — sourced by scripts/*, bench/* and .ci/run; prints nothing.
#
# Puts the Go toolchain and the Go tools that scripts/setup.sh installs
# (grpcurl, ghz) on PATH. It only prepends directories that are missing, so
# PATH stays byte-for-byte stable across runs: .bazelrc passes PATH into
# tests (--test_env=PATH), and a changing PATH would defeat Bazel's caches.

_aia_path_prepend() {
    case ":$PATH:" in
        *":$1:"*) ;;
        *) [ -d "$1" ] && PATH="$1:$PATH" ;;
    esac
    return 0
}

if ! command -v go >/dev/null 2>&1; then
    _aia_path_prepend /usr/local/go/bin
fi
if command -v go >/dev/null 2>&1; then
    AIA_GOBIN="$(go env GOBIN 2>/dev/null)"
    [ -n "$AIA_GOBIN" ] || AIA_GOBIN="$(go env GOPATH 2>/dev/null | cut -d: -f1)/bin"
else
    AIA_GOBIN="${GOPATH:-$HOME/go}"
    AIA_GOBIN="${AIA_GOBIN%%:*}/bin"
fi
mkdir -p "$AIA_GOBIN" 2>/dev/null || true
_aia_path_prepend "$AIA_GOBIN"
export PATH AIA_GOBIN
unset -f _aia_path_prepend
