#!/usr/bin/env bash
# bench/drift_evidently.sh — drift checks against Evidently and a plain SciPy
# loop (issue 6): 20 numeric and 5 categorical columns, a reference and a
# current data set of BENCH_DRIFT_ROWS rows each.
#
#   1. a venv at $BENCH_OUT/drift-venv with bench/drift/requirements.txt
#      (PyPI: evidently, pandas, numpy, scipy), once
#   2. bench/drift/make_data.py: the seeded data, $BENCH_OUT/drift/rows-N/
#      {reference,current}.csv (kept while its parameters match), with
#      num_2, num_5, num_11 and cat_3 shifted in the current data
#   3. build //bench/drift:aia-drift-bench, //server:aia-server and
#      //client:aia (opt), copied to $BENCH_OUT/bin
#   4. one process per tool, one after the other, after waiting (up to 2 min)
#      for a 1-minute load average below 1:
#        aia-service  DriftService end to end (bench/drift/service.py): a fresh
#                   aia-server (--prediction-log-percent 0, --threads 2), a
#                   linear regression trained with `aia models train` on the
#                   first 20,000 reference rows and a computed label, `aia drift
#                   setup --reference` (timed: load + prepare the reference),
#                   then BENCH_DRIFT_REPEATS x `aia drift check --data current`
#                   (RPC wall time and the report's computeDuration); the
#                   server's VmHWM
#        aia        lib/drift called directly (the library alone, no server),
#                   1 and then 2 threads in the same process, BENCH_DRIFT_REPEATS
#                   times each (the report shows the median)
#        scipy      ks_2samp + wasserstein_distance per numeric column,
#                   chisquare + jensenshannon per categorical one
#        evidently  Report([DataDriftPreset()]), killed after
#                   BENCH_DRIFT_EVIDENTLY_TIMEOUT seconds
#      Each loads both CSV files first (timed apart) and prints one JSON
#      object (timings, VmHWM, per-column statistic and verdict), which
#      lands in $BENCH_OUT/results/drift/rows-N-TOOL.json. The same three
#      runs are then made at BENCH_DRIFT_SMALL_ROWS rows (0 = skip).
#   5. unless --no-render: bench/drift/report.py render writes the section
#      "DriftService: drift checks against Evidently and SciPy (issue 6)" of
#      BENCHMARKS.md between its markers (the rest of the file untouched).
#
#   bench/drift_evidently.sh                          # 10^6 rows, then 10^5
#   BENCH_DRIFT_ROWS=100000 BENCH_DRIFT_SMALL_ROWS=0 bench/drift_evidently.sh --no-render
#
# Knobs: BENCH_DRIFT_ROWS (1000000), BENCH_DRIFT_SMALL_ROWS (100000),
# BENCH_DRIFT_TOOLS ("aia-service aia scipy evidently"), BENCH_DRIFT_THREADS
# (aia's thread counts, "1,2"), BENCH_DRIFT_REPEATS (3, aia's runs per thread
# count and aia-service's checks),
# BENCH_DRIFT_EVIDENTLY_TIMEOUT (600), BENCH_OUT.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

render=1 build=1
for arg in "$@"; do
    case "$arg" in
        --no-render) render=0 ;;
        --no-build) build=0 ;;
        *) bench_die "unknown argument $arg" ;;
    esac
done

ROWS="${BENCH_DRIFT_ROWS:-1000000}"
SMALL_ROWS="${BENCH_DRIFT_SMALL_ROWS:-100000}"
TOOLS="${BENCH_DRIFT_TOOLS:-aia-service aia scipy evidently}"
THREADS="${BENCH_DRIFT_THREADS:-1,2}"
REPEATS="${BENCH_DRIFT_REPEATS:-3}"
EV_TIMEOUT="${BENCH_DRIFT_EVIDENTLY_TIMEOUT:-600}"
VENV="$BENCH_OUT/drift-venv"
RESULTS="$BENCH_OUT/results/drift"
RAW="$BENCH_OUT/raw/drift"
DRIFT_BIN="$BENCH_OUT/bin/aia-drift-bench"
SERVER_BIN="$BENCH_OUT/bin/aia-server"
CLI_BIN="$BENCH_OUT/bin/aia"
REPORT="$BENCH_ROOT/bench/drift/report.py"

command -v python3 >/dev/null || bench_die "python3 not found"
command -v timeout >/dev/null || bench_die "timeout not found"
mkdir -p "$RESULTS" "$RAW"

# 1. The peers, from PyPI, in a venv of their own (never the system Python).
req="$BENCH_ROOT/bench/drift/requirements.txt"
if [ ! -x "$VENV/bin/python" ] || ! cmp -s "$req" "$VENV/requirements.txt"; then
    bench_log "installing the peers into $VENV ($(grep -v '^#' "$req" | tr '\n' ' '))"
    python3 -m venv "$VENV" || bench_die "python3 -m venv failed (Debian: apt-get install python3-venv)"
    "$VENV/bin/python" -m pip install -q --disable-pip-version-check -r "$req" \
        || bench_die "pip install -r bench/drift/requirements.txt failed"
    cp "$req" "$VENV/requirements.txt"
fi

# 3. Our driver, the server and the CLI, copied aside (read from the opt
# configuration's bin directory, never the bazel-bin symlink, which a
# concurrent build with another config moves).
if [ "$build" = 1 ] || [ ! -x "$DRIFT_BIN" ] || [ ! -x "$SERVER_BIN" ] || [ ! -x "$CLI_BIN" ]; then
    mkdir -p "$BENCH_OUT/bin"
    ( cd "$BENCH_ROOT" && bazel build --compilation_mode=opt //bench/drift:aia-drift-bench \
          //server:aia-server //client:aia ) \
        || bench_die "bazel build of aia-drift-bench, aia-server and aia failed"
    optbin="$(cd "$BENCH_ROOT" && bazel info --compilation_mode=opt bazel-bin 2>/dev/null)"
    for pair in "bench/drift/aia-drift-bench:$DRIFT_BIN" "server/aia-server:$SERVER_BIN" \
                "client/aia:$CLI_BIN"; do
        bin="$optbin/${pair%%:*}"
        [ -x "$bin" ] || bench_die "no binary at $bin"
        install -m 0755 "$bin" "${pair#*:}"
    done
fi

commit="$(bench_commit)"

# 2 and 4, for one data size.
run_size() {
    local rows="$1" data="$BENCH_OUT/drift/rows-$1"
    "$VENV/bin/python" "$BENCH_ROOT/bench/drift/make_data.py" --rows "$rows" --out "$data" \
        || bench_die "make_data.py failed"
    local tool name cmd limit rc
    for tool in $TOOLS; do
        case "$tool" in
            aia) cmd=("$DRIFT_BIN" --threads "$THREADS" --repeats "$REPEATS") limit=0 ;;
            aia-service)
                # Absolute paths: the server reads the files, not the CLI.
                cmd=(python3 "$BENCH_ROOT/bench/drift/service.py" --server "$SERVER_BIN"
                     --cli "$CLI_BIN" --work "$BENCH_OUT/drift-service/rows-$rows"
                     --repeats "$REPEATS" --threads 2)
                limit=0 ;;
            scipy|evidently)
                cmd=("$VENV/bin/python" "$BENCH_ROOT/bench/drift/peers.py" --tool "$tool"
                     --meta "$data/meta.json")
                limit=0
                [ "$tool" = evidently ] && limit="$EV_TIMEOUT" ;;
            *) bench_die "unknown tool $tool" ;;
        esac
        cmd+=(--reference "$data/reference.csv" --current "$data/current.csv")
        name="rows-$rows-$tool"
        bench_wait_quiet
        local load0 load1 w0 w1
        load0="$(cut -d' ' -f1-3 /proc/loadavg)"
        bench_log "$name (load $load0)"
        w0="$(date +%s.%N)"
        rc=0
        # /usr/bin/time -v: the whole process's maximum RSS, next to the
        # driver's own VmHWM readings.
        timeout --signal=KILL "$limit" /usr/bin/time -v -o "$RAW/$name.time" "${cmd[@]}" \
            >"$RAW/$name.json" 2>"$RAW/$name.err" || rc=$?
        w1="$(date +%s.%N)"
        load1="$(cut -d' ' -f1-3 /proc/loadavg)"
        if [ "$rc" != 0 ]; then
            tail -5 "$RAW/$name.err" >&2
            bench_log "$name: exit status $rc (137: killed after ${limit}s)"
        fi
        python3 "$REPORT" record --in "$RAW/$name.json" --time-file "$RAW/$name.time" \
            --out "$RESULTS/$name.json" --tool "$tool" --rows "$rows" --meta "$data/meta.json" \
            --exit-status "$rc" --timeout "$limit" \
            --wall "$(awk -v a="$w0" -v b="$w1" 'BEGIN { print b - a }')" \
            --loadavg-start "$load0" --loadavg-end "$load1" --commit "$commit" \
            || bench_die "$name: could not record results"
    done
}

run_size "$ROWS"
[ "$SMALL_ROWS" != 0 ] && [ "$SMALL_ROWS" != "$ROWS" ] && run_size "$SMALL_ROWS"
python3 "$REPORT" summary "$RESULTS"/rows-*.json

# 5. The section of BENCHMARKS.md.
if [ "$render" = 1 ]; then
    python3 "$REPORT" render --results "$RESULTS" --benchmarks "$BENCH_ROOT/BENCHMARKS.md" \
        --commit "$commit" --rows "$ROWS" --small-rows "$SMALL_ROWS" >/dev/null \
        || bench_die "report.py render failed"
    bench_log "wrote the drift section of BENCHMARKS.md"
fi
