#!/usr/bin/env bash
# bench/run.sh — run every benchmark and write BENCHMARKS.md.
#
#   1. scripts/setup.sh; build //server:aia-server (opt) and the grpc-go peer
#      (bench/peer, modules from the Go module proxy)
#   2. bench/ghz_health.sh: aia.v1.SystemService/GetHealth, pinned/unpinned,
#      --log-level warn / defaults (access log on)
#   3. grpc.health.v1.Health/Check on aia-server (--log-level warn) and on the
#      peer, pinned and unpinned: the like-for-like pair
#   3b. Health/Check on both, pinned, capped at the GetHealth run's rate
#   3c. bench/rest_gateway.sh: the REST gateway (aia-gateway) against direct
#      gRPC, same RPC, same client (h2load) and ghz, at concurrency 1 and 50
#   3d. bench/ml_gbdt.sh --no-render: the embedded ML engine against
#      LightGBM, XGBoost and scikit-learn (issue 4; 1,000,000 rows)
#   4. if perf works here, `perf record -g` of the server during one more
#      pinned GetHealth run (kept out of the figures above)
#   5. bench/report.py render > BENCHMARKS.md (+ bench/analysis.md,
#      bench/analysis-gateway.md and bench/analysis-ml.md verbatim)
#
#   BENCH_DURATION=2s bench/run.sh     # smoke test (20s by default)
#   BENCH_PERF=0 bench/run.sh          # skip the profile
# Other knobs: see bench/lib.sh.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
trap bench_stop_server EXIT

"$BENCH_ROOT/scripts/setup.sh"
for tool in ghz grpcurl h2load taskset python3 go; do
    command -v "$tool" >/dev/null || bench_die "$tool not found"
done
rm -rf "$BENCH_OUT/results" "$BENCH_OUT/raw" "$BENCH_OUT/perf"
mkdir -p "$BENCH_OUT/results" "$BENCH_OUT/raw"
bench_build_aia
bench_build_peer
bench_build_gateway
export BENCH_SERVER_VERSION
BENCH_SERVER_VERSION="$("$AIA_BENCH_BIN" --version 2>&1 || true)"

export BENCH_LOADAVG_START BENCH_LOADAVG_END BENCH_DATE
BENCH_LOADAVG_START="$(cut -d' ' -f1-3 /proc/loadavg)"
BENCH_DATE="$(date -u '+%Y-%m-%d %H:%M UTC')"

"$BENCH_ROOT/bench/ghz_health.sh" --no-build
# Pinned to one core, the default thread count (the CPUs in the affinity
# mask) is 1; also measure two completion-queue threads sharing that core.
bench_scenario aia-gethealth-pinned-warn-t2 aia aia.v1.SystemService/GetHealth pinned warn \
    --log-level warn --threads 2

for pin in pinned unpinned; do
    bench_scenario "aia-check-$pin-warn" aia grpc.health.v1.Health/Check "$pin" warn --log-level warn
    bench_scenario "peer-check-$pin" peer grpc.health.v1.Health/Check "$pin" n/a
done

# CPU per request falls as the load rises (per-wake-up costs are shared by
# more calls), and ghz drives GetHealth (a larger response) at a lower rate
# than Health/Check. So also run Health/Check on both servers capped at the
# rate the pinned GetHealth run reached: equal load, like for like.
rate="$(python3 -c 'import json,sys; print(int(json.load(open(sys.argv[1]))["rps"]))' \
        "$BENCH_OUT/results/aia-gethealth-pinned-warn.json")"
BENCH_RPS="$rate" bench_scenario aia-check-pinned-warn-rate aia grpc.health.v1.Health/Check pinned warn --log-level warn
BENCH_RPS="$rate" bench_scenario peer-check-pinned-rate peer grpc.health.v1.Health/Check pinned n/a

# Issue 3: the same RPC through the REST gateway and directly over gRPC.
"$BENCH_ROOT/bench/rest_gateway.sh" --no-build

# Issue 4: the embedded ML engine against LightGBM, XGBoost, scikit-learn.
"$BENCH_ROOT/bench/ml_gbdt.sh" --no-render

perf_dir=""
if [ "${BENCH_PERF:-1}" != 0 ] && command -v perf >/dev/null \
        && perf record -e cpu-clock -o /dev/null -- true >/dev/null 2>&1; then
    perf_dir="$BENCH_OUT/perf"
    mkdir -p "$perf_dir"
    BENCH_PERF_DATA="$perf_dir/perf.data" \
        bench_scenario perf-gethealth-pinned-warn aia aia.v1.SystemService/GetHealth pinned warn --log-level warn
    mv "$BENCH_OUT/results/perf-gethealth-pinned-warn.json" "$perf_dir/run.json"
    bench_log "summarising the profile (perf report)"
    rep=(perf report -i "$perf_dir/perf.data" --stdio -g none --percent-limit 0.5)
    "${rep[@]}" --no-children --sort dso >"$perf_dir/perf-dso.txt" 2>/dev/null || true
    "${rep[@]}" --no-children --sort dso,sym >"$perf_dir/perf-sym.txt" 2>/dev/null || true
    perf report -i "$perf_dir/perf.data" --stdio -g none --percent-limit 4 \
        --children --sort sym >"$perf_dir/perf-children.txt" 2>/dev/null || true
else
    bench_log "perf not usable here (or BENCH_PERF=0): no profile"
fi

BENCH_LOADAVG_END="$(cut -d' ' -f1-3 /proc/loadavg)"
python3 "$BENCH_ROOT/bench/report.py" machine >"$BENCH_OUT/machine.json"
python3 "$BENCH_ROOT/bench/report.py" render --results "$BENCH_OUT/results" \
    --machine "$BENCH_OUT/machine.json" \
    ${perf_dir:+--perf-dir "$perf_dir"} --notes "$BENCH_ROOT/bench/analysis.md" \
    --gateway-notes "$BENCH_ROOT/bench/analysis-gateway.md" \
    --ml-notes "$BENCH_ROOT/bench/analysis-ml.md" --keep-sections "$BENCH_ROOT/BENCHMARKS.md" \
    >"$BENCH_OUT/BENCHMARKS.md.new"
mv "$BENCH_OUT/BENCHMARKS.md.new" "$BENCH_ROOT/BENCHMARKS.md"
bench_log "wrote BENCHMARKS.md"
