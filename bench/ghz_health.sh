#!/usr/bin/env bash
# bench/ghz_health.sh — the issue-2 benchmark: a trivial unary RPC,
# aia.v1.SystemService/GetHealth, under ghz at -c 50 for BENCH_DURATION
# (20 s), four ways:
#
#   server and ghz pinned to one core each (taskset -c 0 / -c 1), and unpinned;
#   --log-level warn (no per-request access log), and the embedded defaults
#   (log level info: one access-log line per request).
#
# It measures requests/s, p50, p99, the server's VmHWM and VmRSS at the end,
# and the server's CPU time per request (utime+stime delta from /proc ÷ the
# requests ghz completed). Results go to bench/out/results/aia-gethealth-*.json and a
# short table to stdout; bench/run.sh adds the grpc-go peer and writes
# BENCHMARKS.md. Pass --no-build to reuse bench/out/bin/aia-server.
#
#   BENCH_DURATION=2s bench/ghz_health.sh      # smoke test
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
trap bench_stop_server EXIT

build=1
[ "${1:-}" = --no-build ] && build=0
mkdir -p "$BENCH_OUT"
if [ "$build" = 1 ]; then
    "$BENCH_ROOT/scripts/setup.sh"
    bench_build_aia
fi
[ -x "$AIA_BENCH_BIN" ] || bench_die "no $AIA_BENCH_BIN (run without --no-build)"

for pin in pinned unpinned; do
    bench_scenario "aia-gethealth-$pin-warn" aia aia.v1.SystemService/GetHealth "$pin" warn --log-level warn
    bench_scenario "aia-gethealth-$pin-default" aia aia.v1.SystemService/GetHealth "$pin" default
done

python3 "$BENCH_ROOT/bench/report.py" summary "$BENCH_OUT"/results/aia-gethealth-*.json
