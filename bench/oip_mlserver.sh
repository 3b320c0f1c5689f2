#!/usr/bin/env bash
# bench/oip_mlserver.sh — the Open Inference Protocol against Seldon MLServer
# (issue 5): ModelInfer on a 100-tree GBDT over 30 features.
#
#   1. a venv at $BENCH_OUT/oip-venv with bench/oip/requirements.txt (PyPI:
#      mlserver, mlserver-lightgbm, lightgbm, numpy), once
#   2. bench/oip/make_data.py: a seeded 30-feature binary set,
#      $BENCH_OUT/oip/data/{train,valid}.csv (BENCH_OIP_ROWS training rows)
#   3. build //server:aia-server (opt), copied to $BENCH_OUT/bin/aia-server-oip
#   4. bench/oip/requests.py: the requests as binary protobuf files, the same
#      bytes for both servers (ModelInfer "input-0" FP64 [1, 30] and
#      [1000, 30] in contents.fp64_contents; aia.v1 Predict with 1,000 rows)
#   5. aia-server pinned to BENCH_SERVER_CPU (--threads 1 --log-level warn):
#      TrainModel (gbdt, 100 trees, no early stopping, train.csv with
#      valid.csv as its validation file), then ghz on BENCH_CLIENT_CPU
#      -c BENCH_OIP_CONCURRENCY for BENCH_OIP_DURATION per scenario:
#      ModelInfer 1 row, ModelInfer 1,000 rows, Predict 1,000 rows
#   6. LightGBM trained on the same train.csv with the same parameters
#      (bench/oip/train_lightgbm.py), served by `mlserver start` pinned the
#      same way; ModelInfer 1 row and 1,000 rows
#   Each scenario reads the server's CPU (utime+stime of its process tree,
#   /proc) before and after the measured run and its RSS at the end; the
#   records land in $BENCH_OUT/results/oip/, and bench/oip/report.py render
#   writes the section "ModelService: Open Inference Protocol (issue 5)" of
#   BENCHMARKS.md (between its markers; the rest of the file is untouched).
#
#   bench/oip_mlserver.sh                 # the full run (about 5 minutes)
#   BENCH_OIP_DURATION=5s bench/oip_mlserver.sh --no-render   # a quick try
#
# Knobs: BENCH_OIP_ROWS (100000), BENCH_OIP_DURATION (30s),
# BENCH_OIP_WARMUP (3s), BENCH_OIP_CONCURRENCY (50), BENCH_SERVER_CPU (0),
# BENCH_CLIENT_CPU (1), BENCH_OIP_MLSERVER_WORKERS (0: inference in
# MLServer's own process; MLServer's default, 1 worker process, fails to
# start with mlserver 1.7.1 on Python 3.11 here: "There is no current event
# loop in thread 'MainThread'" in every worker), BENCH_OIP_SCENARIOS (all: "aia-infer-1
# aia-infer-1000 aia-predict-1000 aia-infer-1-log mlserver-infer-1
# mlserver-infer-1000"; aia-infer-1-log runs with aia's default prediction
# log, every row written, the others with --prediction-log-percent 0),
# BENCH_OUT. Run it on a quiet machine: other builds skew every figure.
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

ROWS="${BENCH_OIP_ROWS:-100000}"
DURATION="${BENCH_OIP_DURATION:-30s}"
WARMUP="${BENCH_OIP_WARMUP:-3s}"
CONC="${BENCH_OIP_CONCURRENCY:-50}"
SRV_CPU="$BENCH_SERVER_CPU"
CLI_CPU="$BENCH_CLIENT_CPU"
WORKERS="${BENCH_OIP_MLSERVER_WORKERS:-0}"
SCENARIOS="${BENCH_OIP_SCENARIOS:-aia-infer-1 aia-infer-1000 aia-predict-1000 aia-infer-1-log mlserver-infer-1 mlserver-infer-1000}"
MODEL=gbdt30
VENV="$BENCH_OUT/oip-venv"
WORK="$BENCH_OUT/oip"
DATA="$WORK/data"
REQ="$WORK/requests"
RESULTS="$BENCH_OUT/results/oip"
RAW="$BENCH_OUT/raw/oip"
AIA_BIN="$BENCH_OUT/bin/aia-server-oip"
REPORT="$BENCH_ROOT/bench/oip/report.py"
PROTO_ARGS=(--proto "$BENCH_ROOT/proto/inference/grpc_predict_v2.proto" --import-paths "$BENCH_ROOT/proto")
GRPCURL_OIP=(grpcurl -plaintext -max-time 5 -import-path "$BENCH_ROOT/proto" -proto inference/grpc_predict_v2.proto)

for tool in python3 taskset ghz grpcurl; do
    command -v "$tool" >/dev/null || bench_die "$tool not found (ghz, grpcurl: scripts/setup.sh installs them)"
done
mkdir -p "$WORK" "$RESULTS" "$RAW"
scenario_on() { case " $SCENARIOS " in *" $1 "*) return 0 ;; esac; return 1; }

# 1. The peer, from PyPI, in a venv of its own.
req="$BENCH_ROOT/bench/oip/requirements.txt"
if [ ! -x "$VENV/bin/mlserver" ] || ! cmp -s "$req" "$VENV/requirements.txt"; then
    bench_log "installing MLServer into $VENV"
    python3 -m venv "$VENV" || bench_die "python3 -m venv failed (Debian: apt-get install python3-venv)"
    "$VENV/bin/python" -m pip install -q --disable-pip-version-check -r "$req" \
        || bench_die "pip install -r bench/oip/requirements.txt failed"
    cp "$req" "$VENV/requirements.txt"
fi

# 2. The data, once.
"$VENV/bin/python" "$BENCH_ROOT/bench/oip/make_data.py" --rows "$ROWS" --out "$DATA" || bench_die "make_data.py failed"

# 3. Our server, built aside so that a concurrent build cannot swap it.
if [ "$build" = 1 ] || [ ! -x "$AIA_BIN" ]; then
    mkdir -p "$BENCH_OUT/bin"
    ( cd "$BENCH_ROOT" && bazel build --compilation_mode=opt //server:aia-server ) \
        || bench_die "bazel build //server:aia-server failed"
    bin="$(cd "$BENCH_ROOT" && bazel info --compilation_mode=opt bazel-bin 2>/dev/null)/server/aia-server"
    [ -x "$bin" ] || bench_die "no binary at $bin"
    install -m 0755 "$bin" "$AIA_BIN"
fi

# 4. The requests.
python3 "$BENCH_ROOT/bench/oip/requests.py" --rows "$DATA/rows.json" --model "$MODEL" --out "$REQ" \
    || bench_die "requests.py failed"

# measure NAME PID ADDR CALL BINFILE ROWS SERVER_COMMAND
measure() {
    local name="$1" pid="$2" addr="$3" call="$4" file="$5" rows="$6" scmd="$7"
    # requests.py keeps "{{" out of the files: ghz reads even binary call
    # data through Go's text/template.
    local args=(--insecure --call "$call" --binary-file "$file" -c "$CONC" --duration-stop=wait)
    [ "$call" = aia.v1.ModelService/Predict ] || args+=("${PROTO_ARGS[@]}")
    bench_log "$name: $call, $rows row(s) per request, $DURATION at -c $CONC (server pid $pid on core $SRV_CPU)"
    taskset -c "$CLI_CPU" ghz "${args[@]}" -z "$WARMUP" "$addr" >/dev/null 2>&1 || bench_log "$name: warm-up failed"
    local t0 t1 b0 b1 rss hwm
    b0="$(bench_machine_busy_ticks)"
    t0="$(python3 "$REPORT" tree-ticks "$pid")"
    taskset -c "$CLI_CPU" python3 "$BENCH_ROOT/bench/report.py" exec-cpu "$RAW/$name.ghz.cpu" -- \
        ghz "${args[@]}" -z "$DURATION" -O json "$addr" \
        >"$RAW/$name.ghz.json" 2>"$RAW/$name.ghz.err" || bench_log "$name: ghz failed: $(cat "$RAW/$name.ghz.err")"
    t1="$(python3 "$REPORT" tree-ticks "$pid")"
    b1="$(bench_machine_busy_ticks)"
    read -r rss hwm < <(python3 "$REPORT" tree-mem "$pid")
    local cmd="taskset -c $CLI_CPU ghz ${args[*]} -z $DURATION -O json $addr"
    python3 "$REPORT" record --out "$RESULTS/$name.json" --name "$name" --server "${name%%-*}" --call "$call" \
        --ghz "$RAW/$name.ghz.json" --duration "$DURATION" --command "${cmd//$BENCH_ROOT\//}" \
        --server-command "${scmd//$BENCH_ROOT\//}" --ticks "$((t1 - t0))" --clk-tck "$(getconf CLK_TCK)" \
        --rss-kb "$rss" --hwm-kb "$hwm" --rows "$rows" --concurrency "$CONC" --server-cpu "$SRV_CPU" \
        --client-cpu "$CLI_CPU" --client-cpu-file "$RAW/$name.ghz.cpu" --machine-busy-ticks "$((b1 - b0))" || bench_die "$name: could not record"
}

json_field() {  # json_field FILE PYTHON-EXPR-ON-d
    python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print($2)" "$1"
}

# start_aia EXTRA_ARGS...: aia-server pinned, on $WORK/var (kept across
# starts: the model trained by the first start serves the second).
start_aia() {
    port="$(bench_free_port)"
    addr="127.0.0.1:$port"
    scmd="taskset -c $SRV_CPU $AIA_BIN --listen $addr --data-dir $WORK/var --threads 1 --log-level warn $*"
    # shellcheck disable=SC2086
    $scmd >>"$RAW/aia.server.log" 2>&1 &
    BENCH_SERVER_PID=$!
    trap 'bench_stop_server' EXIT
    bench_wait_ready "$BENCH_SERVER_PID" aia-server "$RAW/aia.server.log" \
        grpcurl -plaintext -max-time 1 "$addr" grpc.health.v1.Health/Check
}

# 5. aia-server: train, then measure with the prediction log off (MLServer
# keeps none), then once more with the defaults (every row logged).
AIA_JOB="$WORK/aia-job.json"
if scenario_on aia-infer-1 || scenario_on aia-infer-1000 || scenario_on aia-predict-1000 ||
        scenario_on aia-infer-1-log; then
    rm -rf "$WORK/var"
    : >"$RAW/aia.server.log"
    start_aia --prediction-log-percent 0
    train='{"model_id": "'$MODEL'", "task_type": "TASK_TYPE_CLASSIFICATION", "algorithm": "gbdt",
            "training_data_uri": "'$DATA/train.csv'", "validation_data_uri": "'$DATA/valid.csv'",
            "target_column": "y", "hyperparameters": {"n_estimators": "100", "learning_rate": "0.1",
            "num_leaves": "31", "min_data_in_leaf": "20", "max_bins": "255", "early_stopping_rounds": "0"}}'
    grpcurl -plaintext -max-time 30 -d "$train" "$addr" aia.v1.ModelService/TrainModel >"$AIA_JOB" \
        || bench_die "TrainModel failed: $(cat "$AIA_JOB")"
    job_id="$(json_field "$AIA_JOB" "d['jobId']")"
    t_train=$(date +%s.%N)
    for _ in $(seq 1 1200); do
        grpcurl -plaintext -max-time 5 -d "{\"job_id\": \"$job_id\"}" "$addr" aia.v1.ModelService/GetTrainingJob \
            >"$AIA_JOB" || bench_die "GetTrainingJob failed"
        state="$(json_field "$AIA_JOB" "d.get('state', '')")"
        case "$state" in
            JOB_STATE_SUCCEEDED) break ;;
            JOB_STATE_FAILED | JOB_STATE_CANCELLED) bench_die "training $state: $(cat "$AIA_JOB")" ;;
        esac
        sleep 0.5
    done
    [ "$state" = JOB_STATE_SUCCEEDED ] || bench_die "training not done after 10 minutes"
    bench_log "aia: trained $MODEL ($job_id) in $(python3 -c "import time; print(round(time.time() - $t_train, 1))") s"
    "${GRPCURL_OIP[@]}" -d '{"name": "'$MODEL'"}' "$addr" inference.GRPCInferenceService/ModelReady \
        | grep -q '"ready": true' || bench_die "ModelReady($MODEL) is not true on aia-server"
    scenario_on aia-infer-1 && measure aia-infer-1 "$BENCH_SERVER_PID" "$addr" \
        inference.GRPCInferenceService/ModelInfer "$REQ/infer-1.bin" 1 "$scmd"
    scenario_on aia-infer-1000 && measure aia-infer-1000 "$BENCH_SERVER_PID" "$addr" \
        inference.GRPCInferenceService/ModelInfer "$REQ/infer-1000.bin" 1000 "$scmd"
    scenario_on aia-predict-1000 && measure aia-predict-1000 "$BENCH_SERVER_PID" "$addr" \
        aia.v1.ModelService/Predict "$REQ/predict-1000.bin" 1000 "$scmd"
    bench_stop_server
    if scenario_on aia-infer-1-log; then
        start_aia
        measure aia-infer-1-log "$BENCH_SERVER_PID" "$addr" \
            inference.GRPCInferenceService/ModelInfer "$REQ/infer-1.bin" 1 "$scmd"
        bench_stop_server
    fi
fi

# 6. MLServer.
LGB_STATS="$WORK/lightgbm.json"
if scenario_on mlserver-infer-1 || scenario_on mlserver-infer-1000; then
    grpc_port="$(bench_free_port)"
    addr="127.0.0.1:$grpc_port"
    "$VENV/bin/python" "$BENCH_ROOT/bench/oip/train_lightgbm.py" --data "$DATA" --out "$WORK/mlserver" \
        --model "$MODEL" --grpc-port "$grpc_port" --http-port "$(bench_free_port)" \
        --metrics-port "$(bench_free_port)" --workers "$WORKERS" >"$LGB_STATS" || bench_die "LightGBM training failed"
    scmd="taskset -c $SRV_CPU $VENV/bin/mlserver start $WORK/mlserver"
    ( cd "$WORK/mlserver" && exec $scmd ) >"$RAW/mlserver.server.log" 2>&1 &
    BENCH_SERVER_PID=$!
    trap 'bench_stop_server' EXIT
    for i in $(seq 1 600); do
        kill -0 "$BENCH_SERVER_PID" 2>/dev/null || { cat "$RAW/mlserver.server.log" >&2; bench_die "MLServer exited"; }
        "${GRPCURL_OIP[@]}" -d '{"name": "'$MODEL'"}' "$addr" inference.GRPCInferenceService/ModelReady 2>/dev/null \
            | grep -q '"ready": true' && break
        sleep 0.2
    done
    [ "$i" -lt 600 ] || bench_die "MLServer not ready after 120 s"
    scenario_on mlserver-infer-1 && measure mlserver-infer-1 "$BENCH_SERVER_PID" "$addr" \
        inference.GRPCInferenceService/ModelInfer "$REQ/infer-1.bin" 1 "$scmd"
    scenario_on mlserver-infer-1000 && measure mlserver-infer-1000 "$BENCH_SERVER_PID" "$addr" \
        inference.GRPCInferenceService/ModelInfer "$REQ/infer-1000.bin" 1000 "$scmd"
    bench_stop_server
fi
trap - EXIT

# 7. The run's description, and the section of BENCHMARKS.md.
META="$WORK/meta.json"
BENCH_SERVER_VERSION="$("$AIA_BIN" --version 2>/dev/null || true)" python3 "$BENCH_ROOT/bench/report.py" machine \
    >"$WORK/machine.json"
python3 - "$WORK/machine.json" "$AIA_JOB" "$LGB_STATS" "$VENV" >"$META" <<EOF
import json, subprocess, sys
machine = json.load(open(sys.argv[1]))
def load(p):
    try:
        return json.load(open(p))
    except (OSError, ValueError):
        return {}
job, lgb = load(sys.argv[2]), load(sys.argv[3])
def ver(pkg):
    out = subprocess.run([sys.argv[4] + "/bin/python", "-c", f"import importlib.metadata as m; print(m.version('{pkg}'))"],
                         capture_output=True, text=True).stdout.strip()
    return out or "?"
py = subprocess.run([sys.argv[4] + "/bin/python", "-c", "import platform; print(platform.python_version())"],
                    capture_output=True, text=True).stdout.strip()
def seconds(t):
    import datetime
    return datetime.datetime.fromisoformat(t.replace("Z", "+00:00")).timestamp() if t else None
start, end = seconds(job.get("startTime")), seconds(job.get("endTime"))
print(json.dumps({
    "date": machine.get("date"), "commit": machine.get("commit"), "machine": machine,
    "rows": $ROWS, "features": 30, "duration": "$DURATION", "warmup": "$WARMUP", "concurrency": $CONC,
    "server_cpu": "$SRV_CPU", "client_cpu": "$CLI_CPU", "workers": $WORKERS,
    "mlserver": ver("mlserver"), "lightgbm": ver("lightgbm"), "python": py, "lgb": lgb,
    "aia_job": {"job_id": job.get("jobId"), "roc_auc": (job.get("metrics") or {}).get("roc_auc"),
                "train_rows": (job.get("dataSplit") or {}).get("trainRows"),
                "seconds": (end - start) if start and end else None},
    "invocation": "bench/oip_mlserver.sh   # BENCH_OIP_ROWS=$ROWS BENCH_OIP_DURATION=$DURATION "
                  "BENCH_OIP_CONCURRENCY=$CONC BENCH_SERVER_CPU=$SRV_CPU BENCH_CLIENT_CPU=$CLI_CPU "
                  "BENCH_OIP_MLSERVER_WORKERS=$WORKERS",
}, indent=1))
EOF
if [ "$render" = 1 ]; then
    python3 "$REPORT" render --results "$RESULTS" --meta "$META" --benchmarks "$BENCH_ROOT/BENCHMARKS.md" \
        --notes "$BENCH_ROOT/bench/oip/notes.md" >/dev/null \
        || bench_die "report.py render failed"
    bench_log "BENCHMARKS.md: section \"ModelService: Open Inference Protocol (issue 5)\" written"
fi
python3 - "$RESULTS" <<'EOF'
import glob, json, os, sys
for p in sorted(glob.glob(os.path.join(sys.argv[1], "*.json"))):
    r = json.load(open(p))
    print(f"{r['name']:22} {r['rps']:10.0f} req/s  p50 {r['p50_ms'] or 0:8.2f} ms  p99 {r['p99_ms'] or 0:8.2f} ms  "
          f"rss {r['rss_mb']:6.0f} MB  cpu {r['cpu_us_per_request']:9.1f} us/req  errors {r['errors']}")
EOF
