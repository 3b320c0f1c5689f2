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

# The local LLM provider's default model, which scripts/setup.sh fetches into
# the models directory: the server's own setting when given by environment
# (AIA_LLM_MODELS_DIR, server/config.c's llm_models_dir), else
# $AIA_MODELS_DIR, else the server's default (lib/llm/llm.h:
# $XDG_CACHE_HOME/aia/models, else ~/.cache/aia/models).
# scripts/test hands AIA_SMOLLM2_GGUF to the tests that need the real model.
AIA_MODELS_DIR_RESOLVED="${AIA_LLM_MODELS_DIR:-${AIA_MODELS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/aia/models}}"
AIA_SMOLLM2_GGUF="${AIA_SMOLLM2_GGUF:-$AIA_MODELS_DIR_RESOLVED/SmolLM2-135M-Instruct.Q4_1.gguf}"
export AIA_MODELS_DIR_RESOLVED AIA_SMOLLM2_GGUF
