#!/usr/bin/env python3
"""bench/drift/service.py — aia's end-to-end side of the drift benchmark
(bench/drift_evidently.sh, issue 6): DriftService in a running aia-server,
driven through the `aia` CLI as a user would.

  1. writes WORK/train.csv: the first TRAIN_ROWS rows of the reference plus a
     label column computed here (a fixed linear rule on num_0, num_4 and
     cat_0; its quality does not matter, a monitor only needs a model to
     predict the windows with);
  2. starts aia-server on a free loopback port with a fresh data dir,
     --prediction-log-percent 0 (no live traffic is logged) and --threads;
  3. `aia models train` (linear regression) and waits for the job;
  4. `aia drift setup MODEL --reference REF`: the server reads the
     reference, sorts each numeric column once and predicts it once (timed:
     "setup");
  5. REPEATS times `aia drift check MONITOR --data CUR`: the server reads
     the current CSV, predicts it, computes the statistics and stores the
     report. Per check: the wall time of the CLI call (process start
     included, a few ms) and the report's computeDuration (the statistics
     alone: lib/monitor leaves loading and predicting out);
  6. the server's VmHWM (/proc/PID/status) after setup and after each
     check, then SIGTERM.

Prints one JSON object in the shape the other tools print (report.py record
completes it): runs[].total_s is computeDuration, the time from loaded
data, as the peers' check_s; wall_s and load_predict_s (= wall - compute)
are beside it.
"""
import argparse
import csv
import json
import os
import signal
import socket
import subprocess
import sys
import time

MODEL = "bench-drift"


def log(msg):
    print("service.py: " + msg, file=sys.stderr, flush=True)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def status_kb(pid, field):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def cpu_s(pid):
    with open("/proc/%d/stat" % pid) as f:
        rest = f.read().rsplit(") ", 1)[1].split()
    return (int(rest[11]) + int(rest[12])) / os.sysconf("SC_CLK_TCK")


def write_train(reference, out, rows):
    """The label: a fixed linear rule on standardised num_0 (normal, loc
    -100, scale 1), num_4 (normal, loc -60, scale 2) and cat_0, a regression
    target for a linear model, which predicts the 10^6-row reference and
    batches cheaply (prediction drift), so the figures are the drift
    statistics'. The reference and current files carry no target column: a
    monitor needs only the monitored features."""
    n = 0
    with open(reference, newline="") as fin, open(out, "w", newline="") as fout:
        rd = csv.reader(fin)
        wr = csv.writer(fout, lineterminator="\n")
        head = next(rd)
        i0, i4, ic = head.index("num_0"), head.index("num_4"), head.index("cat_0")
        wr.writerow(head + ["label"])
        for row in rd:
            if n >= rows:
                break
            z = (float(row[i0]) + 100.0) + (float(row[i4]) + 60.0) / 2.0
            z += 0.5 if row[ic] in ("k0", "k1") else 0.0
            wr.writerow(row + ["%.6g" % z])
            n += 1
    return n


class Cli:
    def __init__(self, binary, addr, timeout):
        self.base = [binary, "--server", addr, "--timeout", str(timeout)]

    def run(self, *args, check=True):
        t0 = time.monotonic()
        p = subprocess.run(self.base + list(args), capture_output=True, text=True)
        wall = time.monotonic() - t0
        if check and p.returncode != 0:
            raise RuntimeError("aia %s: exit %d: %s" % (" ".join(args), p.returncode,
                                                       p.stderr.strip()))
        return p, wall


def duration_s(v):
    """proto3 JSON Duration: "1.234s"."""
    if isinstance(v, str) and v.endswith("s"):
        return float(v[:-1])
    raise ValueError("not a Duration: %r" % (v,))


def feature_type(t):
    t = (t or "").lower()
    for name in ("numeric", "categorical", "binary"):
        if name in t:
            return name
    return t


def wait_ready(cli, proc, slog):
    for _ in range(200):
        if proc.poll() is not None:
            raise RuntimeError("aia-server exited during start-up (exit %s): %s" % (
                proc.returncode, open(slog).read()[-2000:]))
        p, _ = cli.run("health", check=False)
        if p.returncode == 0:
            return
        time.sleep(0.1)
    raise RuntimeError("aia-server not SERVING after 20 s")


def train(cli, data, algorithm):
    p, wall = cli.run("models", "train", MODEL, "--data", data, "--target", "label",
                      "--task", "regression", "--algorithm", algorithm, "--wait")
    got, _ = cli.run("--json", "models", "get", MODEL)
    return wall, json.loads(got.stdout)


def run(a):
    os.makedirs(a.work, exist_ok=True)
    train_csv = os.path.join(a.work, "train.csv")
    n_train = write_train(a.reference, train_csv, a.train_rows)
    data_dir = os.path.join(a.work, "var")
    subprocess.run(["rm", "-rf", data_dir], check=True)
    addr = "127.0.0.1:%d" % free_port()
    slog = os.path.join(a.work, "server.log")
    cmd = [a.server, "--listen", addr, "--data-dir", data_dir, "--prediction-log-percent", "0",
           "--threads", str(a.threads), "--log-level", "warn"]
    log("starting " + " ".join(cmd))
    with open(slog, "w") as lf:
        proc = subprocess.Popen(cmd, stdout=lf, stderr=subprocess.STDOUT)
    cli = Cli(a.cli, addr, a.timeout)
    try:
        return measure(a, cli, proc, slog, train_csv, n_train, cmd)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def measure(a, cli, proc, slog, train_csv, n_train, cmd):
    pid = proc.pid
    wait_ready(cli, proc, slog)
    train_wall, model = train(cli, train_csv, a.algorithm)
    log("trained %s on %d rows in %.1f s" % (MODEL, n_train, train_wall))
    hwm_before_setup = status_kb(pid, "VmHWM")
    c0 = cpu_s(pid)
    p, setup_wall = cli.run("--json", "drift", "setup", MODEL, "--reference",
                            os.path.abspath(a.reference))
    setup_cpu = cpu_s(pid) - c0
    monitor = json.loads(p.stdout)
    mid = monitor["monitorId"]
    hwm_setup = status_kb(pid, "VmHWM")
    rss_setup = status_kb(pid, "VmRSS")
    log("monitor %s: setup %.2f s, VmHWM %d kB" % (mid, setup_wall, hwm_setup))
    runs, report = [], None
    for i in range(a.repeats):
        c0 = cpu_s(pid)
        p, wall = cli.run("--json", "drift", "check", mid, "--data", os.path.abspath(a.current))
        cpu = cpu_s(pid) - c0
        report = json.loads(p.stdout)
        comp = duration_s(report["computeDuration"])
        runs.append({"repeat": i, "threads": a.threads, "total_s": comp, "wall_s": wall,
                     "load_predict_s": wall - comp, "server_cpu_s": cpu,
                     "hwm_kb": status_kb(pid, "VmHWM"), "rss_kb": status_kb(pid, "VmRSS"),
                     "report_id": report.get("reportId", "")})
        log("check %d: wall %.3f s, computeDuration %.3f s" % (i, wall, comp))
    feats = [{"column": f["name"], "method": f.get("test", ""), "statistic": f.get("statistic", 0.0),
              "threshold": f.get("threshold", 0.0), "drifted": bool(f.get("drifted", False)),
              "type": feature_type(f.get("featureType"))} for f in report.get("features", [])]
    return {
        "label": "DriftService in aia-server, through the aia CLI",
        "server_cmd": " ".join(os.path.basename(c) if c == a.server else c for c in cmd),
        "rows_reference": int(report.get("referenceRows", 0)),
        "rows_current": int(report.get("currentRows", 0)),
        "model": {"id": MODEL, "algorithm": a.algorithm, "train_rows": n_train,
                  "train_wall_s": train_wall, "record": model},
        "setup": {"wall_s": setup_wall, "server_cpu_s": setup_cpu, "monitor_id": mid,
                  "hwm_before_kb": hwm_before_setup, "hwm_kb": hwm_setup, "rss_kb": rss_setup,
                  "reference_rows": int(monitor.get("referenceRows", 0))},
        "runs": runs,
        "server": {"vmhwm_kb": status_kb(pid, "VmHWM"), "vmrss_kb": status_kb(pid, "VmRSS"),
                   "threads": status_kb(pid, "Threads")},
        "features": feats,
        "drifted": [f["column"] for f in feats if f["drifted"]],
        "prediction_drift": report.get("predictionDrift"),
        "dataset_drifted": bool(report.get("datasetDrifted", False)),
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--server", required=True, help="aia-server binary")
    ap.add_argument("--cli", required=True, help="aia binary")
    ap.add_argument("--reference", required=True)
    ap.add_argument("--current", required=True)
    ap.add_argument("--work", required=True, help="scratch directory (data dir, training CSV, log)")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--train-rows", type=int, default=20000)
    ap.add_argument("--algorithm", default="linear_regression")
    ap.add_argument("--timeout", type=int, default=600, help="aia --timeout of each call")
    a = ap.parse_args()
    try:
        out = run(a)
    except (RuntimeError, ValueError, KeyError) as e:
        log("error: %s" % e)
        sys.exit(1)
    json.dump(out, sys.stdout, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
