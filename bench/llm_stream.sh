#!/usr/bin/env bash
# bench/llm_stream.sh — StreamGenerate's streaming overhead (issue 7): N
# concurrent StreamGenerate calls through aia-server's openai provider
# against the test upstream, beside the same client reading the upstream's
# SSE directly.
#
#   bench/llm_stream.sh               measure, then rewrite the section of BENCHMARKS.md
#   bench/llm_stream.sh --no-render   measure and print the summary only
#
# 1. Builds //server:aia-server (opt) and the Go load client (bench/llm_stream,
#    grpc-go from the Go module proxy, pinned in go.sum) into bench/out/bin.
# 2. Starts tests/llm_upstream/upstream.py (Python, a thread per stream) and
#    aia-server --openai-base-url at it, --llm-max-concurrent-per-caller above N.
#    Pinned: the server under `taskset -c $BENCH_SERVER_CPU`, upstream and
#    client under `taskset -c $BENCH_CLIENT_CPU`.
# 3. The model "stamped-<chunks>x<gap ms>" makes the upstream write each
#    chunk's send time (time.time_ns()) into the chunk's TEXT, so the stamp
#    reaches the client through aia-server unchanged. The client opens all
#    streams at once and records, per chunk, arrival - stamp.
# 4. Per round: direct (client -> upstream SSE, N streams), then through
#    aia-server (client -> gRPC, one HTTP/2 connection -> server -> upstream),
#    then both again at BENCH_LLM_STREAM_LOW streams. Added latency = the
#    percentile through the server minus the same percentile direct at
#    LOW streams: direct at N puts N client sockets on the upstream's own
#    CPU (through the server the client reads one HTTP/2 connection), which
#    inflates the direct tail far beyond the upstream's one-way latency; the
#    same-concurrency difference is shown too. Server VmHWM/VmRSS and its CPU time are read from /proc
#    after each server run (a fresh server per run); the load average is
#    recorded before each run.
# 5. bench/llm_stream/report.py renders the section between
#    <!-- bench/llm_stream.sh: begin --> and <!-- bench/llm_stream.sh: end -->.
#
# The gap is 500 ms, not 50: at 1,000 streams x 20 chunks/s the Python upstream
# (about 4,500 chunks/s on its shared CPU) falls behind, a 1 s script takes
# 4.4 s and its own queueing, stamped before the write, swamps what is
# measured; 1,000 streams x 2 chunks/s it keeps up with.
#
# Knobs: BENCH_LLM_STREAMS (1000), BENCH_LLM_STREAM_LOW (10), BENCH_LLM_CHUNKS (20),
# BENCH_LLM_GAP_MS (500), BENCH_LLM_ROUNDS (3), BENCH_LLM_CONNS (1),
# BENCH_SERVER_CPU (0), BENCH_CLIENT_CPU (1), BENCH_LLM_UPSTREAM_CPU (the client's), BENCH_OUT.
set -euo pipefail

render=1
[ "${1:-}" = "--no-render" ] && render=0

# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

STREAMS="${BENCH_LLM_STREAMS:-1000}"
LOW="${BENCH_LLM_STREAM_LOW:-10}"
CHUNKS="${BENCH_LLM_CHUNKS:-20}"
GAP_MS="${BENCH_LLM_GAP_MS:-500}"
ROUNDS="${BENCH_LLM_ROUNDS:-3}"
CONNS="${BENCH_LLM_CONNS:-1}"
UPSTREAM_CPU="${BENCH_LLM_UPSTREAM_CPU:-$BENCH_CLIENT_CPU}"
MODEL="stamped-${CHUNKS}x${GAP_MS}"
RAW="$BENCH_OUT/raw/llm_stream"
RESULTS="$BENCH_OUT/results/llm_stream"
CLIENT="$BENCH_OUT/bin/llm-stream-client"
mkdir -p "$RAW" "$RESULTS" "$BENCH_OUT/bin"
rm -f "$RESULTS"/*.json

bench_build_aia
( cd "$BENCH_ROOT/bench/llm_stream" && go build -o "$CLIENT" . ) || bench_die "go build bench/llm_stream failed"

commit="$(cd "$BENCH_ROOT" && git rev-parse --short=12 HEAD)"
[ -z "$(cd "$BENCH_ROOT" && git status --porcelain --untracked-files=no -- . ':!BENCHMARKS.md')" ] \
    || commit="$commit (with uncommitted changes)"

UP_PID=""
# `|| true`: the upstream ends 143 on SIGTERM, and wait's status must not trip set -e.
cleanup() { bench_stop_server || true; bench_stop_pid "$UP_PID" upstream || true; }
trap cleanup EXIT

portfile="$RAW/upstream.port"
rm -f "$portfile"
taskset -c "$UPSTREAM_CPU" python3 "$BENCH_ROOT/tests/llm_upstream/upstream.py" --port-file "$portfile" \
    >"$RAW/upstream.log" 2>&1 &
UP_PID=$!
for _ in $(seq 1 100); do [ -f "$portfile" ] && break; sleep 0.1; done
[ -f "$portfile" ] || bench_die "the upstream wrote no port file"
UP_URL="http://127.0.0.1:$(cat "$portfile")"

# run_one NAME MODE N: one client run; the JSON record goes to $RESULTS/NAME.json.
run_one() {
    local name="$1" mode="$2" n="$3" addr load t0 t1 out rc=0
    load="$(cut -d' ' -f1-3 /proc/loadavg)"
    if [ "$mode" = grpc ]; then
        local port
        port="$(bench_free_port)"
        rm -rf "$BENCH_OUT/var-llm-stream"
        taskset -c "$BENCH_SERVER_CPU" "$AIA_BENCH_BIN" --listen "127.0.0.1:$port" \
            --data-dir "$BENCH_OUT/var-llm-stream" --log-level warn --openai-base-url "$UP_URL" \
            --llm-max-concurrent-per-caller $((STREAMS + 100)) >"$RAW/$name.server.log" 2>&1 &
        BENCH_SERVER_PID=$!
        bench_wait_ready "$BENCH_SERVER_PID" aia-server "$RAW/$name.server.log" \
            grpcurl -plaintext -max-time 1 "127.0.0.1:$port" grpc.health.v1.Health/Check
        addr="127.0.0.1:$port"
        t0="$(bench_cpu_ticks "$BENCH_SERVER_PID")"
    else
        addr="$UP_URL"
    fi
    out="$(taskset -c "$BENCH_CLIENT_CPU" "$CLIENT" -mode "$mode" -addr "$addr" -model "openai/$MODEL" \
        -streams "$n" -conns "$CONNS" -raw "$RAW/$name.lat")" || rc=$?
    local extra="{}"
    if [ "$mode" = grpc ]; then
        t1="$(bench_cpu_ticks "$BENCH_SERVER_PID")"
        extra="{\"server_vmhwm_kb\": $(bench_status_kb "$BENCH_SERVER_PID" VmHWM), \
\"server_vmrss_kb\": $(bench_status_kb "$BENCH_SERVER_PID" VmRSS), \
\"server_threads\": $(bench_status_field "$BENCH_SERVER_PID" Threads), \
\"server_cpu_s\": $(awk -v a="$t0" -v b="$t1" -v h="$(getconf CLK_TCK)" 'BEGIN { print (b - a) / h }')}"
        bench_stop_server
    fi
    python3 - "$RESULTS/$name.json" "$name" "$load" "$rc" "$out" "$extra" <<'PY'
import json, sys
path, name, load, rc, out, extra = sys.argv[1:]
rec = json.loads(out) if out.strip() else {"errors": {"client produced no output": 1}, "failed_streams": -1}
rec.update(json.loads(extra))
rec.update({"name": name, "loadavg": load, "client_exit": int(rc)})
json.dump(rec, open(path, "w"), indent=1)
PY
    bench_log "$name: $(python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print("chunks %s p50 %.0f us p99 %.0f us failed %s" % (r.get("chunks"), r.get("p50_us", 0), r.get("p99_us", 0), r.get("failed_streams")))' "$RESULTS/$name.json")"
}

for r in $(seq 1 "$ROUNDS"); do
    run_one "direct-$STREAMS-r$r" sse "$STREAMS"
    run_one "aia-$STREAMS-r$r" grpc "$STREAMS"
    run_one "direct-$LOW-r$r" sse "$LOW"
    run_one "aia-$LOW-r$r" grpc "$LOW"
done

python3 - "$BENCH_OUT/machine.json" "$RESULTS/meta.json" "$commit" "$STREAMS" "$LOW" "$CHUNKS" "$GAP_MS" \
    "$ROUNDS" "$CONNS" "$BENCH_SERVER_CPU" "$BENCH_CLIENT_CPU" "$UPSTREAM_CPU" <<'PY'
import json, os, platform, sys, time
mpath, out, commit, streams, low, chunks, gap, rounds, conns, scpu, ccpu, ucpu = sys.argv[1:]
meta = {"commit": commit, "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "streams": int(streams), "low": int(low), "chunks": int(chunks), "gap_ms": int(gap),
        "rounds": int(rounds), "conns": int(conns), "server_cpu": scpu, "client_cpu": ccpu, "upstream_cpu": ucpu,
        "cpus": os.cpu_count(), "kernel": platform.release()}
try:
    meta["machine"] = json.load(open(mpath))
except (OSError, ValueError):
    pass
json.dump(meta, open(out, "w"), indent=1)
PY

if [ "$render" = 1 ]; then
    python3 "$BENCH_ROOT/bench/llm_stream/report.py" "$RESULTS" "$BENCH_ROOT/BENCHMARKS.md"
else
    python3 "$BENCH_ROOT/bench/llm_stream/report.py" "$RESULTS" -
fi
