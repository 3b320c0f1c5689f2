# bench/lib.sh — shared by bench/ghz_health.sh, bench/rest_gateway.sh and bench/run.sh (sourced).
#
# One "scenario" = start a server on a free loopback port, wait until its
# grpc.health.v1 answers, warm up, then drive one method with ghz for
# BENCH_DURATION at -c BENCH_CONCURRENCY while reading the server's CPU time
# (utime+stime from /proc/PID/stat) before and after, and its memory
# (VmHWM, VmRSS from /proc/PID/status) at the end. The numbers land in
# bench/out/results/NAME.json (bench/report.py record), which bench/report.py render
# turns into BENCHMARKS.md.
#
# Knobs (environment):
#   BENCH_DURATION     measured ghz run per scenario        (default 20s)
#   BENCH_WARMUP       unmeasured ghz run before it         (default 2s)
#   BENCH_CONCURRENCY  ghz -c                               (default 50)
#   BENCH_SERVER_CPU   core the server is pinned to         (default 0)
#   BENCH_CLIENT_CPU   core ghz is pinned to                (default 1)
#   BENCH_OUT          where results and logs go            (default bench/out)
#   BENCH_RPS          cap on requests/s (ghz -r)           (default none)
#   BENCH_PERF_EVENT, BENCH_PERF_FREQ, BENCH_PERF_CALLGRAPH
#                      perf record -e / -F / --call-graph   (cpu-clock, 250, dwarf,16384)

BENCH_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BENCH_DURATION="${BENCH_DURATION:-20s}"
BENCH_WARMUP="${BENCH_WARMUP:-2s}"
BENCH_CONCURRENCY="${BENCH_CONCURRENCY:-50}"
BENCH_SERVER_CPU="${BENCH_SERVER_CPU:-0}"
BENCH_CLIENT_CPU="${BENCH_CLIENT_CPU:-1}"
BENCH_OUT="${BENCH_OUT:-$BENCH_ROOT/bench/out}"
AIA_BENCH_BIN="$BENCH_OUT/bin/aia-server"
PEER_BENCH_BIN="$BENCH_OUT/bin/peer-server"
GATEWAY_BENCH_BIN="$BENCH_OUT/bin/aia-gateway"

# shellcheck source=../scripts/env.sh
. "$BENCH_ROOT/scripts/env.sh"

bench_log() { printf 'bench: %s\n' "$*" >&2; }
bench_die() { bench_log "error: $*"; exit 1; }

# Build //server:aia-server (opt: .bazelrc's default compilation mode) and
# copy the binary aside, so that a concurrent build with another config
# (which moves bazel-bin) cannot swap it out under a running benchmark.
# The commit a run measures: HEAD's short id, "(with uncommitted changes)"
# appended when tracked files differ; BENCHMARKS.md itself (rewritten by
# every run) does not count as a change.
bench_commit() {
    local c
    c="$(cd "$BENCH_ROOT" && git rev-parse --short=12 HEAD)"
    [ -z "$(cd "$BENCH_ROOT" && git status --porcelain --untracked-files=no -- . ':!BENCHMARKS.md')" ] \
        || c="$c (with uncommitted changes)"
    printf '%s\n' "$c"
}

# Waits up to 2 minutes for a 1-minute load average below 1 before a timed
# process (other work shares the machine); then measures anyway, saying so.
bench_wait_quiet() {
    for _ in $(seq 1 12); do
        awk -v l="$(cut -d' ' -f1 /proc/loadavg)" 'BEGIN { exit !(l < 1.0) }' && return 0
        sleep 10
    done
    bench_log "load still $(cut -d' ' -f1-3 /proc/loadavg) after 2 min: measuring anyway (recorded)"
}

# Runs scripts/setup.sh, which fetches the default LLM model (idempotent),
# and loads scripts/env.sh, which names it in AIA_SMOLLM2_GGUF.
bench_setup_llm_model() {
    "$BENCH_ROOT/scripts/setup.sh" || bench_die "scripts/setup.sh failed"
    # shellcheck source=../scripts/env.sh
    . "$BENCH_ROOT/scripts/env.sh"
}

bench_build_aia() {
    mkdir -p "$BENCH_OUT/bin"
    ( cd "$BENCH_ROOT" && bazel build --compilation_mode=opt //server:aia-server ) \
        || bench_die "bazel build //server:aia-server failed"
    local bin
    bin="$(cd "$BENCH_ROOT" && bazel info --compilation_mode=opt bazel-bin 2>/dev/null)/server/aia-server"
    [ -x "$bin" ] || bench_die "no binary at $bin"
    install -m 0755 "$bin" "$AIA_BENCH_BIN"
}

# Build the grpc-go reference server (bench/peer) with modules from the Go
# module proxy (pinned by bench/peer/go.sum).
bench_build_peer() {
    mkdir -p "$BENCH_OUT/bin"
    ( cd "$BENCH_ROOT/bench/peer" && go build -o "$PEER_BENCH_BIN" . ) \
        || bench_die "go build bench/peer failed"
}

# Build //gateway:aia-gateway (the REST sidecar; its genrule runs
# gateway/build.sh: `go build -trimpath`, CGO off, modules pinned by
# gateway/go.sum) and copy it aside like the server. The binary is read from
# the opt configuration's bazel-bin (bazel-out/k8-opt/bin), never from the
# bazel-bin symlink, which a concurrent build with --config=asan moves.
bench_build_gateway() {
    mkdir -p "$BENCH_OUT/bin"
    ( cd "$BENCH_ROOT" && bazel build --compilation_mode=opt //gateway:aia-gateway ) \
        || bench_die "bazel build //gateway:aia-gateway failed"
    local bin
    bin="$(cd "$BENCH_ROOT" && bazel info --compilation_mode=opt bazel-bin 2>/dev/null)/gateway/aia-gateway"
    [ -x "$bin" ] || bench_die "no binary at $bin"
    install -m 0755 "$bin" "$GATEWAY_BENCH_BIN"
}

bench_free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# utime+stime of PID in clock ticks.
bench_cpu_ticks() {
    local line rest
    read -r line <"/proc/$1/stat" || return 1
    rest="${line##*) }"          # fields from 3 (state) on; comm may hold spaces
    # shellcheck disable=SC2086
    set -- $rest
    echo $(( ${12} + ${13} ))    # fields 14 (utime) and 15 (stime)
}

# Busy time of the whole machine in clock ticks: user nice system irq softirq
# steal, from the first line of /proc/stat.
bench_machine_busy_ticks() {
    awk '$1 == "cpu" { print $2 + $3 + $4 + $7 + $8 + $9; exit }' /proc/stat
}

bench_status_kb() {  # bench_status_kb PID FIELD  -> value in kB
    awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/status"
}

bench_status_field() {  # bench_status_field PID FIELD -> raw value
    awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/status"
}

# bench_wait_ready PID WHAT LOG CMD...: poll CMD every 0.1 s (10 s at most)
# until it succeeds; fail with LOG shown if PID exits first.
bench_wait_ready() {
    local pid="$1" what="$2" log="$3" i
    shift 3
    for i in $(seq 1 100); do
        if ! kill -0 "$pid" 2>/dev/null; then
            cat "$log" >&2
            bench_die "$what exited during start-up"
        fi
        "$@" >/dev/null 2>&1 && return 0
        sleep 0.1
    done
    bench_die "$what not ready after 10 s"
}

# SIGTERM one process we started, wait up to 15 s, then SIGKILL it.
bench_stop_pid() {
    local pid="$1" what="$2" i
    [ -n "$pid" ] || return 0
    kill -TERM "$pid" 2>/dev/null || return 0
    for i in $(seq 1 150); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
        bench_log "$what $pid did not exit 15 s after SIGTERM; killing it"
        kill -KILL "$pid" 2>/dev/null
    fi
    wait "$pid" 2>/dev/null
    return 0
}

BENCH_SERVER_PID=""
bench_stop_server() {
    local pid="$BENCH_SERVER_PID"
    BENCH_SERVER_PID=""
    bench_stop_pid "$pid" server
}

BENCH_GATEWAY_PID=""
bench_stop_gateway() {
    local pid="$BENCH_GATEWAY_PID"
    BENCH_GATEWAY_PID=""
    bench_stop_pid "$pid" gateway
}

# bench_scenario NAME KIND CALL PIN LOG [server args...]
#   KIND  aia | peer
#   CALL  full method, e.g. aia.v1.SystemService/GetHealth
#   PIN   pinned | unpinned
#   LOG   a label for the server's logging setting (warn | default | n/a)
# With BENCH_PERF_DATA set, also records `perf record -g` of the server
# during the measured run into that file.
bench_scenario() {
    local name="$1" kind="$2" call="$3" pin="$4" logl="$5"
    shift 5
    local port addr srv_pre=() cli_pre=() bin slog
    port="$(bench_free_port)"
    addr="127.0.0.1:$port"
    if [ "$pin" = pinned ]; then
        srv_pre=(taskset -c "$BENCH_SERVER_CPU")
        cli_pre=(taskset -c "$BENCH_CLIENT_CPU")
    fi
    mkdir -p "$BENCH_OUT/results" "$BENCH_OUT/raw"
    slog="$BENCH_OUT/raw/$name.server.log"
    case "$kind" in
        aia)
            rm -rf "$BENCH_OUT/var-$name"
            "${srv_pre[@]}" "$AIA_BENCH_BIN" --listen "$addr" \
                --data-dir "$BENCH_OUT/var-$name" "$@" >"$slog" 2>&1 &
            ;;
        peer)
            "${srv_pre[@]}" "$PEER_BENCH_BIN" --listen "$addr" "$@" >"$slog" 2>&1 &
            ;;
        *) bench_die "unknown server kind $kind" ;;
    esac
    BENCH_SERVER_PID=$!
    local pid=$BENCH_SERVER_PID i ready=0
    for i in $(seq 1 100); do
        if ! kill -0 "$pid" 2>/dev/null; then
            cat "$slog" >&2
            bench_die "$name: server exited during start-up"
        fi
        if grpcurl -plaintext -max-time 1 "$addr" grpc.health.v1.Health/Check >/dev/null 2>&1; then
            ready=1
            break
        fi
        sleep 0.1
    done
    [ "$ready" = 1 ] || { bench_stop_server; bench_die "$name: server not ready after 10 s"; }

    local ghz_args=(--insecure --call "$call" -d '{}' -c "$BENCH_CONCURRENCY"
                    --duration-stop=wait)
    # BENCH_RPS caps the offered load (ghz -r), to compare at equal rates.
    [ -n "${BENCH_RPS:-}" ] && ghz_args+=(-r "$BENCH_RPS")
    bench_log "$name: $kind $call, $pin, log=$logl, ${BENCH_DURATION} at -c $BENCH_CONCURRENCY${BENCH_RPS:+ -r $BENCH_RPS} (pid $pid, $addr)"
    "${cli_pre[@]}" ghz "${ghz_args[@]}" -z "$BENCH_WARMUP" "$addr" >/dev/null 2>&1 \
        || bench_log "$name: warm-up run failed"

    local t0 t1 perf_pid=""
    if [ -n "${BENCH_PERF_DATA:-}" ]; then
        # DWARF unwinding: Debian's libgrpc has no frame pointers, so -g's
        # default (fp) would lose every caller above it.
        perf record -e "${BENCH_PERF_EVENT:-cpu-clock}" -F "${BENCH_PERF_FREQ:-250}" \
            --call-graph "${BENCH_PERF_CALLGRAPH:-dwarf,16384}" -p "$pid" -o "$BENCH_PERF_DATA" \
            -- sleep "${BENCH_DURATION%s}" \
            >"$BENCH_OUT/raw/$name.perf.log" 2>&1 &
        perf_pid=$!
    fi
    local b0 b1
    b0="$(bench_machine_busy_ticks)"
    t0="$(bench_cpu_ticks "$pid")"
    if ! "${cli_pre[@]}" python3 "$BENCH_ROOT/bench/report.py" exec-cpu "$BENCH_OUT/raw/$name.ghz.cpu" -- \
            ghz "${ghz_args[@]}" -z "$BENCH_DURATION" -O json "$addr" \
            >"$BENCH_OUT/raw/$name.ghz.json" 2>"$BENCH_OUT/raw/$name.ghz.err"; then
        bench_log "$name: ghz failed: $(cat "$BENCH_OUT/raw/$name.ghz.err")"
    fi
    t1="$(bench_cpu_ticks "$pid")"
    b1="$(bench_machine_busy_ticks)"
    local hwm rss threads
    hwm="$(bench_status_kb "$pid" VmHWM)"
    rss="$(bench_status_kb "$pid" VmRSS)"
    threads="$(bench_status_field "$pid" Threads)"
    [ -n "$perf_pid" ] && wait "$perf_pid"
    # aia-server's own view of the method's latency (arrival to status), from
    # its histograms; includes the warm-up's calls.
    local sysperf="$BENCH_OUT/raw/$name.sysperf.json"
    if [ "$kind" = aia ]; then
        grpcurl -plaintext -max-time 5 "$addr" aia.v1.SystemService/GetSystemPerformance \
            >"$sysperf" 2>/dev/null || : >"$sysperf"
    else
        : >"$sysperf"
    fi
    bench_stop_server
    local logbytes
    logbytes="$(stat -c %s "$slog")"
    python3 "$BENCH_ROOT/bench/report.py" record \
        --out "$BENCH_OUT/results/$name.json" --name "$name" --server "$kind" --call "$call" \
        --pin "$pin" --log "$logl" --server-args "$*" --ghz "$BENCH_OUT/raw/$name.ghz.json" \
        --ticks "$((t1 - t0))" --clk-tck "$(getconf CLK_TCK)" --vmhwm-kb "$hwm" \
        --vmrss-kb "$rss" --threads "$threads" --log-bytes "$logbytes" \
        --duration "$BENCH_DURATION" --concurrency "$BENCH_CONCURRENCY" \
        --client-cpu "$BENCH_OUT/raw/$name.ghz.cpu" --machine-busy-ticks "$((b1 - b0))" \
        --ncpu "$(nproc --all)" --server-perf "$sysperf" --rps-limit "${BENCH_RPS:-0}" \
        || bench_die "$name: could not record results"
    # The access log of a 20 s run can be large; keep only its tail.
    if [ "$logbytes" -gt 1048576 ]; then
        tail -n 20 "$slog" >"$slog.tail" && mv "$slog.tail" "$slog"
    fi
    rm -rf "$BENCH_OUT/var-$name"
}
