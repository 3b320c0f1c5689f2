#!/usr/bin/env bash
# bench/llm_local.sh — the local LLM provider (lib/llm's llama forward pass)
# against llama.cpp on the same GGUF, 2 threads (issue 7).
#
#   bench/llm_local.sh               measure, then rewrite the section of BENCHMARKS.md
#   bench/llm_local.sh --no-render   measure and print the summary only
#
# 1. scripts/setup.sh fetches the default model (SmolLM2-135M-Instruct Q4_1)
#    into the models directory; BENCH_LLM_MODEL overrides the file.
# 2. Builds //bench/llm:aia-llm-bench (opt) and copies it to bench/out/bin.
# 3. Installs npm node-llama-cpp@3.21.1 (prebuilt llama.cpp CPU binaries, no
#    compilation) under bench/out/llm/node when missing.
# 4. Three processes, one after the other, each under `taskset -c 0,1`:
#    ours on the exact path, ours on the fast (int8 activations) path, and
#    llama.cpp through node-llama-cpp, all with 2 threads on the same 128
#    prompt ids (bench/llm/prompt.txt encoded by the GGUF's tokenizer, cut
#    to 128) and 128 greedy generated tokens, BENCH_LLM_REPEATS times each
#    per process, in BENCH_LLM_ROUNDS rounds (exact, fast, llama.cpp, then
#    again). Before each process, waits up to 2 minutes for a 1-minute load
#    average below 1; the load averages and the CPU other processes used
#    during the run are recorded with it. The table gives each engine's best
#    repeat (the least disturbed) and the median of all its repeats.
# 5. bench/llm/report.py renders the section of BENCHMARKS.md between
#    <!-- bench/llm_local.sh: begin --> and <!-- bench/llm_local.sh: end -->.
#
# Knobs: BENCH_LLM_REPEATS (3), BENCH_LLM_ROUNDS (2), BENCH_LLM_PROMPT_TOKENS (128),
# BENCH_LLM_GEN_TOKENS (128), BENCH_LLM_THREADS (2), BENCH_LLM_CPUS (0,1),
# BENCH_LLM_MODEL, BENCH_OUT.
set -euo pipefail

render=1
[ "${1:-}" = "--no-render" ] && render=0

# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

bench_setup_llm_model

MODEL="${BENCH_LLM_MODEL:-$AIA_SMOLLM2_GGUF}"
REPEATS="${BENCH_LLM_REPEATS:-3}"
ROUNDS="${BENCH_LLM_ROUNDS:-2}"
PROMPT_TOKENS="${BENCH_LLM_PROMPT_TOKENS:-128}"
GEN_TOKENS="${BENCH_LLM_GEN_TOKENS:-128}"
THREADS="${BENCH_LLM_THREADS:-2}"
CPUS="${BENCH_LLM_CPUS:-0,1}"
PEER_VERSION=3.21.1
NODE_DIR="$BENCH_OUT/llm/node"
RAW="$BENCH_OUT/raw/llm"
RESULTS="$BENCH_OUT/results/llm"
BIN="$BENCH_OUT/bin/aia-llm-bench"
PROMPT="$BENCH_ROOT/bench/llm/prompt.txt"
[ -f "$MODEL" ] || bench_die "no model at $MODEL"
mkdir -p "$RAW" "$RESULTS" "$BENCH_OUT/bin"

# 2. Our driver, opt, copied aside (a concurrent build with another config
# moves bazel-bin).
( cd "$BENCH_ROOT" && bazel build --compilation_mode=opt //bench/llm:aia-llm-bench ) \
    || bench_die "bazel build //bench/llm:aia-llm-bench failed"
install -m 0755 "$(cd "$BENCH_ROOT" && bazel info --compilation_mode=opt bazel-bin 2>/dev/null)/bench/llm/aia-llm-bench" "$BIN"

# 3. The peer.
command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 \
    || bench_die "node and npm are needed for the llama.cpp peer (Debian: nodejs npm)"
installed="$(node -p "require('$NODE_DIR/node_modules/node-llama-cpp/package.json').version" 2>/dev/null || true)"
if [ "$installed" != "$PEER_VERSION" ]; then
    bench_log "installing node-llama-cpp@$PEER_VERSION (prebuilt llama.cpp) under $NODE_DIR"
    mkdir -p "$NODE_DIR"
    [ -f "$NODE_DIR/package.json" ] || echo '{"name":"aia-llm-bench-peer","private":true}' >"$NODE_DIR/package.json"
    ( cd "$NODE_DIR" && npm install --no-audit --no-fund "node-llama-cpp@$PEER_VERSION" ) >"$RAW/npm.log" 2>&1 \
        || { cat "$RAW/npm.log" >&2; bench_die "npm install node-llama-cpp@$PEER_VERSION failed"; }
fi

commit="$(bench_commit)"

# measure NAME CMD...: one timed process; its JSON on stdout goes to
# $RAW/NAME.json, the context (load, CPU, other load) to $RAW/NAME.ctx.json.
measure() {
    local name="$1"; shift
    bench_wait_quiet
    local load0 load1 w0 w1 b0 b1
    load0="$(cut -d' ' -f1-3 /proc/loadavg)"
    bench_log "$name (load $load0)"
    b0="$(bench_machine_busy_ticks)"
    w0="$(date +%s.%N)"
    /usr/bin/time -f '%U %S %M' -o "$RAW/$name.time" taskset -c "$CPUS" "$@" \
        >"$RAW/$name.json" 2>"$RAW/$name.err" \
        || { tail -20 "$RAW/$name.err" >&2; bench_die "$name failed"; }
    w1="$(date +%s.%N)"
    b1="$(bench_machine_busy_ticks)"
    load1="$(cut -d' ' -f1-3 /proc/loadavg)"
    python3 "$BENCH_ROOT/bench/llm/report.py" record --name "$name" --in "$RAW/$name.json" \
        --time-file "$RAW/$name.time" --wall "$(awk -v a="$w0" -v b="$w1" 'BEGIN { print b - a }')" \
        --busy-ticks "$((b1 - b0))" --clk-tck "$(getconf CLK_TCK)" --ncpu "$(nproc)" \
        --loadavg-start "$load0" --loadavg-end "$load1" --commit "$commit" --taskset "$CPUS" \
        --out "$RESULTS/$name.json" || bench_die "$name: could not record results"
}

common=("$MODEL" "$PROMPT" --threads "$THREADS" --prompt-tokens "$PROMPT_TOKENS"
        --gen-tokens "$GEN_TOKENS" --repeats "$REPEATS")
rm -f "$RESULTS"/*.json
# Rounds interleave the engines, so that a burst of other work on the shared
# machine does not fall on one engine only.
for round in $(seq 1 "$ROUNDS"); do
    measure "aia-exact-r$round" "$BIN" "${common[@]}" --exact
    measure "aia-fast-r$round" "$BIN" "${common[@]}" --fast
    measure "llamacpp-r$round" node "$BENCH_ROOT/bench/llm/peer.mjs" "$NODE_DIR" "$MODEL" \
        "$RAW/aia-exact-r$round.json" "$THREADS" "$GEN_TOKENS" "$REPEATS"
done

python3 "$BENCH_ROOT/bench/llm/report.py" summary "$RESULTS"
if [ "$render" = 1 ]; then
    python3 "$BENCH_ROOT/bench/llm/report.py" render --results "$RESULTS" \
        --benchmarks "$BENCH_ROOT/BENCHMARKS.md" --model "$MODEL" \
        || bench_die "report.py render failed"
    bench_log "wrote the local LLM section of BENCHMARKS.md"
fi
