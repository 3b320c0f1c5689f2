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
# 2. Starts the stamping upstream: by default the Go one of bench/llm_stream
#    (`-mode upstream`, the OpenAI SSE stream of tests/llm_upstream's model
#    "stamped-NxMS" on goroutines); BENCH_LLM_UPSTREAM=python runs
#    tests/llm_upstream/upstream.py instead (a thread per stream under one
#    GIL: at 1,000 streams its own delay between a stamp and its write is
#    tens of ms, which would be charged to the server). Then aia-server
#    --openai-base-url at it, --llm-max-concurrent-per-caller above N.
#    Nothing is pinned by default: three busy processes share 2 CPUs, and a
#    server pinned to one CPU makes its HTTP thread and its gRPC threads
#    wait for each other (BENCH_LLM_{SERVER,CLIENT,UPSTREAM}_CPUS pin them).
# 3. The model "stamped-<chunks>x<gap ms>" makes the upstream write each
#    chunk's send time (ns) into the chunk's TEXT, so the stamp reaches the
#    client through aia-server unchanged. The client opens stream i at
#    i*RAMP/N (RAMP = one gap by default), so the N streams are all open
#    together for the whole script but their chunks are spread over time,
#    as independent generations' tokens are; BENCH_LLM_RAMP_MS=0 opens them
#    all at once, and then every chunk of all N streams is due at the same
#    instant (a burst of N chunks every gap). Per chunk it records
#    arrival - stamp.
# 4. Per round: direct (client -> upstream SSE, N streams), then through
#    aia-server (client -> gRPC, one HTTP/2 connection -> server -> upstream),
#    then both again at BENCH_LLM_STREAM_LOW streams. Added latency = the
#    percentile through the server minus the same percentile direct at the
#    same concurrency (the goal's figure); against direct at LOW streams is
#    shown too. Server VmHWM/VmRSS and its CPU time are read from /proc
#    after each server run (a fresh server per run); the load average is
#    recorded before each run.
# 5. bench/llm_stream/report.py renders the section between
#    <!-- bench/llm_stream.sh: begin --> and <!-- bench/llm_stream.sh: end -->.
#
# Knobs: BENCH_LLM_STREAMS (1000), BENCH_LLM_STREAM_LOW (10), BENCH_LLM_CHUNKS (20),
# BENCH_LLM_GAP_MS (500), BENCH_LLM_RAMP_MS (the gap), BENCH_LLM_ROUNDS (3),
# BENCH_LLM_CONNS (1), BENCH_LLM_UPSTREAM (go), BENCH_LLM_SERVER_CPUS,
# BENCH_LLM_CLIENT_CPUS, BENCH_LLM_UPSTREAM_CPUS (all CPUs), BENCH_OUT.
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
RAMP_MS="${BENCH_LLM_RAMP_MS:-$GAP_MS}"
UPSTREAM="${BENCH_LLM_UPSTREAM:-go}"
ALL_CPUS="0-$(($(nproc) - 1))"
SERVER_CPUS="${BENCH_LLM_SERVER_CPUS:-$ALL_CPUS}"
CLIENT_CPUS="${BENCH_LLM_CLIENT_CPUS:-$ALL_CPUS}"
UPSTREAM_CPUS="${BENCH_LLM_UPSTREAM_CPUS:-$CLIENT_CPUS}"
MODEL="stamped-${CHUNKS}x${GAP_MS}"
RAW="$BENCH_OUT/raw/llm_stream"
RESULTS="$BENCH_OUT/results/llm_stream"
CLIENT="$BENCH_OUT/bin/llm-stream-client"
mkdir -p "$RAW" "$RESULTS" "$BENCH_OUT/bin"
rm -f "$RESULTS"/*.json

bench_build_aia
( cd "$BENCH_ROOT/bench/llm_stream" && go build -o "$CLIENT" . ) || bench_die "go build bench/llm_stream failed"

commit="$(bench_commit)"

UP_PID=""
# `|| true`: the upstream ends 143 on SIGTERM, and wait's status must not trip set -e.
cleanup() { bench_stop_server || true; bench_stop_pid "$UP_PID" upstream || true; }
trap cleanup EXIT

portfile="$RAW/upstream.port"
rm -f "$portfile"
case "$UPSTREAM" in
go) taskset -c "$UPSTREAM_CPUS" "$CLIENT" -mode upstream -port-file "$portfile" >"$RAW/upstream.log" 2>&1 & ;;
python) taskset -c "$UPSTREAM_CPUS" python3 "$BENCH_ROOT/tests/llm_upstream/upstream.py" --port-file "$portfile" \
    >"$RAW/upstream.log" 2>&1 & ;;
*) bench_die "BENCH_LLM_UPSTREAM is go or python, not '$UPSTREAM'" ;;
esac
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
        taskset -c "$SERVER_CPUS" "$AIA_BENCH_BIN" --listen "127.0.0.1:$port" \
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
    out="$(taskset -c "$CLIENT_CPUS" "$CLIENT" -mode "$mode" -addr "$addr" -model "openai/$MODEL" \
        -streams "$n" -conns "$CONNS" -ramp "${RAMP_MS}ms" -raw "$RAW/$name.lat")" || rc=$?
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
    "$ROUNDS" "$CONNS" "$SERVER_CPUS" "$CLIENT_CPUS" "$UPSTREAM_CPUS" "$UPSTREAM" "$RAMP_MS" <<'PY'
import json, os, platform, sys, time
mpath, out, commit, streams, low, chunks, gap, rounds, conns, scpu, ccpu, ucpu, upstream, ramp = sys.argv[1:]
meta = {"commit": commit, "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "streams": int(streams), "low": int(low), "chunks": int(chunks), "gap_ms": int(gap),
        "rounds": int(rounds), "conns": int(conns), "server_cpu": scpu, "client_cpu": ccpu, "upstream_cpu": ucpu,
        "upstream": upstream, "ramp_ms": int(ramp),
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
