#!/usr/bin/env bash
# bench/llm_openai.sh — the openai provider (lib/llm/wire_openai.c over
# lib/llm/http.c) against llama-cpp-python's OpenAI-compatible server on the
# default GGUF (issue 7's "runs once against llama-cpp-python's server").
#
#   bench/llm_openai.sh               measure, then rewrite the section of BENCHMARKS.md
#   bench/llm_openai.sh --no-render   measure and print the section only
#
# 1. scripts/setup.sh fetches the default model; builds aia-server and the
#    aia CLI (opt).
# 2. Installs PyPI llama-cpp-python[server]==$PEER_VERSION into a venv under
#    bench/out/llm when missing. PyPI has only its source: the install
#    compiles llama.cpp (about 10 minutes on 2 cores, once; pip caches the
#    wheel).
# 3. Starts `python -m llama_cpp.server` on the GGUF (2 threads) and
#    aia-server --openai-base-url at it, then bench/llm_openai/drive.py: the
#    same prompt, greedy, direct and through aia-server, plus aia's local
#    provider; it fails when the text through aia differs from direct.
set -euo pipefail

render=1
[ "${1:-}" = "--no-render" ] && render=0

# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

bench_setup_llm_model

PEER_VERSION=0.3.36
MODEL="${BENCH_LLM_MODEL:-$AIA_SMOLLM2_GGUF}"
ALIAS=smollm2-135m-instruct
THREADS="${BENCH_LLM_THREADS:-2}"
VENV="$BENCH_OUT/llm/venv-llamacpp"
RAW="$BENCH_OUT/raw/llm_openai"
CLI="$BENCH_OUT/bin/aia"
mkdir -p "$RAW" "$BENCH_OUT/bin"
[ -f "$MODEL" ] || bench_die "no model at $MODEL"

bench_build_aia
( cd "$BENCH_ROOT" && bazel build --compilation_mode=opt //client:aia ) || bench_die "bazel build //client:aia failed"
install -m 0755 "$(cd "$BENCH_ROOT" && bazel info --compilation_mode=opt bazel-bin 2>/dev/null)/client/aia" "$CLI"

if ! "$VENV/bin/python" -c "import llama_cpp, sys; sys.exit(llama_cpp.__version__ != '$PEER_VERSION')" 2>/dev/null; then
    bench_log "installing llama-cpp-python[server]==$PEER_VERSION (compiles llama.cpp)"
    python3 -m venv "$VENV"
    CMAKE_BUILD_PARALLEL_LEVEL="$(nproc)" "$VENV/bin/pip" install -q "llama-cpp-python[server]==$PEER_VERSION" \
        || bench_die "pip install llama-cpp-python failed"
fi

PEER_PID=""
cleanup() { bench_stop_server || true; bench_stop_pid "$PEER_PID" llama-cpp-python || true; }
trap cleanup EXIT

peer_port="$(bench_free_port)"
"$VENV/bin/python" -m llama_cpp.server --model "$MODEL" --model_alias "$ALIAS" --n_threads "$THREADS" \
    --host 127.0.0.1 --port "$peer_port" >"$RAW/llama-cpp-python.log" 2>&1 &
PEER_PID=$!
bench_wait_ready "$PEER_PID" llama-cpp-python "$RAW/llama-cpp-python.log" \
    curl -sf "http://127.0.0.1:$peer_port/v1/models"

port="$(bench_free_port)"
rm -rf "$BENCH_OUT/var-llm-openai"
"$AIA_BENCH_BIN" --listen "127.0.0.1:$port" --data-dir "$BENCH_OUT/var-llm-openai" --log-level warn \
    --openai-base-url "http://127.0.0.1:$peer_port" >"$RAW/server.log" 2>&1 &
BENCH_SERVER_PID=$!
bench_wait_ready "$BENCH_SERVER_PID" aia-server "$RAW/server.log" \
    grpcurl -plaintext -max-time 1 "127.0.0.1:$port" grpc.health.v1.Health/Check

commit="$(bench_commit)"
python3 - "$RAW/meta.json" "$commit" "$PEER_VERSION" "$THREADS" "$(basename "$MODEL")" <<'PY'
import json, sys, time
out, commit, version, threads, model = sys.argv[1:]
json.dump({"commit": commit, "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
           "llama_cpp_python": version, "threads": int(threads), "model_file": model}, open(out, "w"))
PY

section="$RAW/section.md"
python3 "$BENCH_ROOT/bench/llm_openai/drive.py" "http://127.0.0.1:$peer_port" "$CLI" "127.0.0.1:$port" "$ALIAS" \
    "$RAW/meta.json" >"$section" || { cat "$section"; bench_die "the text through aia differs from direct (or a call failed)"; }

if [ "$render" = 1 ]; then
    python3 - "$section" "$BENCH_ROOT/BENCHMARKS.md" <<'PY' || bench_die "rendering failed"
import sys
text, path = open(sys.argv[1]).read().rstrip("\n"), sys.argv[2]
begin, end = "<!-- bench/llm_openai.sh: begin -->", "<!-- bench/llm_openai.sh: end -->"
doc = open(path).read()
if begin in doc and end in doc:
    doc = doc[:doc.index(begin)] + text + doc[doc.index(end) + len(end):]
else:
    doc = doc.rstrip("\n") + "\n\n" + text + "\n"
open(path, "w").write(doc)
PY
fi
cat "$section"
