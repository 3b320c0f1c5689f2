#!/usr/bin/env bash
# bench/rest_gateway.sh — the issue-3 benchmark: the same trivial RPC through
# the REST gateway and directly over gRPC, in the same run, pinned the same way:
#
#   direct  client --gRPC, h2c, one connection--> aia-server
#   REST    client --HTTP/1.1 or h2c--> aia-gateway --gRPC, one channel--> aia-server
#
# Both aia-server (--log-level warn) and aia-gateway share core
# BENCH_SERVER_CPU (the sidecar is deployed beside the server); the client
# runs on BENCH_CLIENT_CPU. The client is h2load both ways: it speaks REST
# (GET /mlops/health, GET /health) to the gateway and, with gRPC's framing
# (POST, content-type application/grpc, a 5-byte empty message), the gRPC
# methods behind them to aia-server, so the difference between the two paths
# is the gateway and nothing else. ghz runs the direct path too, as the
# issue names it. Every request's latency comes from h2load's --log-file, so
# p50/p99 are exact.
#
#   1. concurrency BENCH_GW_LOW_CONCURRENCY (1): one request at a time, closed
#      loop: the gateway's added latency per request (REST p50 minus direct
#      p50) without queueing in it
#   2. concurrency BENCH_CONCURRENCY (50): throughput and CPU per request under
#      load, plus one run with the gateway's default log level (access log on)
#
# Each run records the server's and the gateway's CPU time per request
# (utime+stime delta from /proc/PID/stat ÷ requests completed) and their
# memory; results go to bench/out/results/gw-*.json and a short table to
# stdout. bench/run.sh calls this and renders BENCHMARKS.md. Pass --no-build
# to reuse bench/out/bin/.
#
#   BENCH_DURATION=2s bench/rest_gateway.sh     # smoke test
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
trap 'bench_stop_gateway; bench_stop_server' EXIT

build=1
[ "${1:-}" = --no-build ] && build=0
mkdir -p "$BENCH_OUT/results" "$BENCH_OUT/raw"
if [ "$build" = 1 ]; then
    "$BENCH_ROOT/scripts/setup.sh"
    bench_build_aia
    bench_build_gateway
fi
for tool in ghz grpcurl h2load taskset python3; do
    command -v "$tool" >/dev/null || bench_die "$tool not found (scripts/setup.sh installs it)"
done
for bin in "$AIA_BENCH_BIN" "$GATEWAY_BENCH_BIN"; do
    [ -x "$bin" ] || bench_die "no $bin (run without --no-build)"
done

LOW="${BENCH_GW_LOW_CONCURRENCY:-1}"
HIGH="$BENCH_CONCURRENCY"
dur_s="${BENCH_DURATION%s}"
warm_s="${BENCH_WARMUP%s}"
case "$dur_s$warm_s" in
    *[!0-9]*) bench_die "BENCH_DURATION and BENCH_WARMUP must be whole seconds (20s, 2s)" ;;
esac
# A gRPC request with an empty message: compressed flag 0, length 0.
GRPC_BODY="$BENCH_OUT/raw/empty-message.grpc"
printf '\0\0\0\0\0' >"$GRPC_BODY"

# gw_scenario NAME CALL HTTP_PATH VIA CLIENT CONCURRENCY [GATEWAY_LOG_LEVEL]
#   CALL     the gRPC method, e.g. aia.v1.SystemService/GetHealth
#   HTTP_PATH  its REST route on the gateway, e.g. /mlops/health
#   VIA      grpc (direct to aia-server) | http1.1 | h2c (through aia-gateway)
#   CLIENT   ghz | h2load (ghz only for VIA=grpc)
#   GATEWAY_LOG_LEVEL  warn (default: no access log) | info (the gateway's
#            default: one access-log line per request, to a file)
gw_scenario() {
    local name="$1" call="$2" path="$3" via="$4" client="$5" conc="$6" gwlog="${7:-warn}"
    local srv_pre=(taskset -c "$BENCH_SERVER_CPU") cli_pre=(taskset -c "$BENCH_CLIENT_CPU")
    local saddr gaddr="" slog glog="" raw="$BENCH_OUT/raw"
    saddr="127.0.0.1:$(bench_free_port)"
    slog="$raw/$name.server.log"
    rm -rf "$BENCH_OUT/var-$name"
    local sargs=(--log-level warn)
    "${srv_pre[@]}" "$AIA_BENCH_BIN" --listen "$saddr" --data-dir "$BENCH_OUT/var-$name" "${sargs[@]}" \
        >"$slog" 2>&1 &
    BENCH_SERVER_PID=$!
    local spid=$BENCH_SERVER_PID gpid=""
    bench_wait_ready "$spid" "$name: aia-server" "$slog" \
        grpcurl -plaintext -max-time 1 "$saddr" grpc.health.v1.Health/Check

    local gargs=()
    if [ "$via" != grpc ]; then
        gaddr="127.0.0.1:$(bench_free_port)"
        glog="$raw/$name.gateway.log"
        gargs=(--backend "$saddr" --log-level "$gwlog")
        "${srv_pre[@]}" "$GATEWAY_BENCH_BIN" --listen "$gaddr" "${gargs[@]}" >"$glog" 2>&1 &
        BENCH_GATEWAY_PID=$!
        gpid=$BENCH_GATEWAY_PID
        # /health answers 200 only once the gateway's channel reaches the server.
        bench_wait_ready "$gpid" "$name: aia-gateway" "$glog" python3 -c \
            'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=1)' "http://$gaddr/health"
    fi

    local cmd=() target run_out run_log=""
    case "$via/$client" in
        grpc/ghz)
            cmd=(ghz --insecure --call "$call" -d '{}' -c "$conc" --duration-stop=wait)
            target="$saddr" ;;
        grpc/h2load)
            cmd=(h2load -c 1 -m "$conc" -d "$GRPC_BODY"
                 -H 'content-type: application/grpc' -H 'te: trailers')
            target="http://$saddr/$call" ;;
        h2c/h2load)
            cmd=(h2load -c 1 -m "$conc")
            target="http://$gaddr$path" ;;
        http1.1/h2load)
            cmd=(h2load --h1 -c "$conc" -m 1)
            target="http://$gaddr$path" ;;
        *) bench_die "$name: no client for $via/$client" ;;
    esac
    local what="$call direct"
    [ -n "$gaddr" ] && what="GET $path via aia-gateway (log level $gwlog)"
    bench_log "$name: $client, $via, $what, ${BENCH_DURATION} at concurrency $conc" \
        "(server pid $spid${gpid:+, gateway pid $gpid})"

    # Warm-up: a separate, unmeasured run (new connections), as bench_scenario does.
    if [ "$client" = ghz ]; then
        "${cli_pre[@]}" "${cmd[@]}" -z "$BENCH_WARMUP" "$target" >/dev/null 2>&1 \
            || bench_log "$name: warm-up run failed"
    else
        "${cli_pre[@]}" "${cmd[@]}" -D "$warm_s" "$target" >/dev/null 2>&1 \
            || bench_log "$name: warm-up run failed"
    fi

    local t0 t1 g0=0 g1=0 b0 b1
    b0="$(bench_machine_busy_ticks)"
    t0="$(bench_cpu_ticks "$spid")"
    [ -n "$gpid" ] && g0="$(bench_cpu_ticks "$gpid")"
    if [ "$client" = ghz ]; then
        run_out="$raw/$name.ghz.json"
        "${cli_pre[@]}" python3 "$BENCH_ROOT/bench/report.py" exec-cpu "$raw/$name.client.cpu" -- \
            "${cmd[@]}" -z "$BENCH_DURATION" -O json "$target" >"$run_out" 2>"$raw/$name.client.err" \
            || bench_log "$name: ghz failed: $(cat "$raw/$name.client.err")"
    else
        run_out="$raw/$name.h2load.txt"
        run_log="$raw/$name.h2load.tsv"
        "${cli_pre[@]}" python3 "$BENCH_ROOT/bench/report.py" exec-cpu "$raw/$name.client.cpu" -- \
            "${cmd[@]}" -D "$dur_s" --log-file "$run_log" "$target" >"$run_out" 2>"$raw/$name.client.err" \
            || bench_log "$name: h2load failed: $(cat "$raw/$name.client.err")"
    fi
    t1="$(bench_cpu_ticks "$spid")"
    [ -n "$gpid" ] && g1="$(bench_cpu_ticks "$gpid")"
    b1="$(bench_machine_busy_ticks)"

    local hwm rss threads ghwm="" grss="" gthreads=""
    hwm="$(bench_status_kb "$spid" VmHWM)"
    rss="$(bench_status_kb "$spid" VmRSS)"
    threads="$(bench_status_field "$spid" Threads)"
    if [ -n "$gpid" ]; then
        ghwm="$(bench_status_kb "$gpid" VmHWM)"
        grss="$(bench_status_kb "$gpid" VmRSS)"
        gthreads="$(bench_status_field "$gpid" Threads)"
    fi
    local sysperf="$raw/$name.sysperf.json"
    grpcurl -plaintext -max-time 5 "$saddr" aia.v1.SystemService/GetSystemPerformance \
        >"$sysperf" 2>/dev/null || : >"$sysperf"
    bench_stop_gateway
    bench_stop_server

    local rec=(--out "$BENCH_OUT/results/$name.json" --name "$name" --suite gateway
               --server aia --call "$call" --pin pinned --log warn --server-args "${sargs[*]}"
               --ticks "$((t1 - t0))" --clk-tck "$(getconf CLK_TCK)" --vmhwm-kb "$hwm"
               --vmrss-kb "$rss" --threads "$threads" --log-bytes "$(stat -c %s "$slog")"
               --duration "$BENCH_DURATION" --concurrency "$conc"
               --client-cpu "$raw/$name.client.cpu" --machine-busy-ticks "$((b1 - b0))"
               --ncpu "$(nproc --all)" --server-perf "$sysperf" --transport "$via")
    if [ "$client" = ghz ]; then
        rec+=(--ghz "$run_out")
    else
        rec+=(--h2load-out "$run_out" --h2load-log "$run_log")
    fi
    if [ -n "$gpid" ]; then
        rec+=(--via gateway --http-path "$path" --gw-ticks "$((g1 - g0))" --gw-args "${gargs[*]}"
              --gw-log "$gwlog" --gw-vmhwm-kb "$ghwm" --gw-vmrss-kb "$grss" --gw-threads "$gthreads"
              --gw-log-bytes "$(stat -c %s "$glog")")
    fi
    python3 "$BENCH_ROOT/bench/report.py" record "${rec[@]}" || bench_die "$name: could not record results"
    # The per-request log of a 20 s run is a few MB: keep it compressed.
    [ -n "$run_log" ] && gzip -f "$run_log"
    if [ -n "$glog" ] && [ "$(stat -c %s "$glog")" -gt 1048576 ]; then
        tail -n 20 "$glog" >"$glog.tail" && mv "$glog.tail" "$glog"
    fi
    rm -rf "$BENCH_OUT/var-$name"
}

GH=aia.v1.SystemService/GetHealth
CK=grpc.health.v1.Health/Check
rm -f "$BENCH_OUT"/results/gw-*.json

# 1. One request at a time: the gateway's added latency.
gw_scenario "gw-gethealth-grpc-c$LOW"      "$GH" /mlops/health grpc    h2load "$LOW"
gw_scenario "gw-gethealth-http1-c$LOW"     "$GH" /mlops/health http1.1 h2load "$LOW"
gw_scenario "gw-gethealth-h2c-c$LOW"       "$GH" /mlops/health h2c     h2load "$LOW"
gw_scenario "gw-gethealth-grpc-ghz-c$LOW"  "$GH" /mlops/health grpc    ghz    "$LOW"
gw_scenario "gw-check-grpc-c$LOW"          "$CK" /health       grpc    h2load "$LOW"
gw_scenario "gw-check-http1-c$LOW"         "$CK" /health       http1.1 h2load "$LOW"

# 2. Under load: throughput and CPU per request.
gw_scenario "gw-gethealth-grpc-c$HIGH"     "$GH" /mlops/health grpc    h2load "$HIGH"
gw_scenario "gw-gethealth-http1-c$HIGH"    "$GH" /mlops/health http1.1 h2load "$HIGH"
gw_scenario "gw-gethealth-h2c-c$HIGH"      "$GH" /mlops/health h2c     h2load "$HIGH"
gw_scenario "gw-gethealth-grpc-ghz-c$HIGH" "$GH" /mlops/health grpc    ghz    "$HIGH"
gw_scenario "gw-gethealth-http1-c$HIGH-accesslog" "$GH" /mlops/health http1.1 h2load "$HIGH" info

python3 "$BENCH_ROOT/bench/report.py" summary "$BENCH_OUT"/results/gw-*.json
