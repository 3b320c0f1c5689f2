#!/usr/bin/env python3
"""bench/oip/report.py — figures of the Open Inference Protocol benchmark
(bench/oip_mlserver.sh, issue 5) and their section of BENCHMARKS.md.

  report.py tree-ticks PID
      utime+stime (clock ticks) of PID and every descendant (MLServer's
      worker processes count as its CPU).
  report.py tree-mem PID
      "RSS_KB HWM_KB": VmRSS summed over PID and its descendants, and PID's
      own VmHWM.
  report.py record --out F.json --name N --server aia|mlserver --call M
                   --ghz G.json --ticks T --rss-kb K --hwm-kb K --rows R ...
      One scenario: ghz's report plus the server-side figures.
  report.py render --results DIR --meta META.json --benchmarks BENCHMARKS.md [--notes F.md]
      Writes the section "ModelService: Open Inference Protocol (issue 5)"
      into BENCHMARKS.md between its markers (appended the first time),
      leaving the rest of the file as it is.

Only the standard library is used.
"""

import argparse
import glob
import json
import os
import sys

BEGIN = "<!-- bench/oip_mlserver.sh: begin -->"
END = "<!-- bench/oip_mlserver.sh: end -->"
TITLE = "## ModelService: Open Inference Protocol (issue 5)"


# --------------------------------------------------------------------------
# Processes


def children_map():
    kids = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as f:
                rest = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        kids.setdefault(int(rest[1]), []).append(int(d))
    return kids


def tree(pid):
    kids, out, todo = children_map(), [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo += kids.get(p, [])
    return out


def ticks(pid):
    with open(f"/proc/{pid}/stat") as f:
        rest = f.read().rsplit(")", 1)[1].split()
    return int(rest[11]) + int(rest[12])  # fields 14, 15: utime, stime


def status_kb(pid, field):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def cmd_tree_ticks(a):
    total = 0
    for p in tree(a.pid):
        try:
            total += ticks(p)
        except OSError:
            pass
    print(total)


def cmd_tree_mem(a):
    rss = 0
    for p in tree(a.pid):
        try:
            rss += status_kb(p, "VmRSS")
        except OSError:
            pass
    print(rss, status_kb(a.pid, "VmHWM"))


# --------------------------------------------------------------------------
# Records


def ghz_figures(path):
    with open(path) as f:
        g = json.load(f)
    lat = {d["percentage"]: d["latency"] / 1e6 for d in g.get("latencyDistribution") or []}
    codes = g.get("statusCodeDistribution") or {}
    return {
        "count": g.get("count", 0),
        "rps": g.get("rps", 0.0),
        "total_s": g.get("total", 0) / 1e9,
        "p50_ms": lat.get(50),
        "p90_ms": lat.get(90),
        "p99_ms": lat.get(99),
        "average_ms": g.get("average", 0) / 1e6,
        "ok": codes.get("OK", 0),
        "errors": {k: v for k, v in codes.items() if k != "OK"},
        "error_samples": list((g.get("errorDistribution") or {}).items())[:3],
    }


def cmd_record(a):
    rec = {
        "name": a.name, "server": a.server, "call": a.call, "rows_per_request": a.rows,
        "concurrency": a.concurrency, "duration": a.duration, "server_cpu": a.server_cpu,
        "client_cpu": a.client_cpu, "command": a.command, "server_command": a.server_command,
    }
    rec.update(ghz_figures(a.ghz))
    secs = a.ticks / a.clk_tck
    rec["server_cpu_s"] = secs
    # Every call ghz made in the measured window, OK or not, cost the server.
    calls = rec["count"] or 1
    rec["cpu_us_per_request"] = secs / calls * 1e6
    rec["cpu_share"] = secs / rec["total_s"] if rec["total_s"] else None
    rec["rows_per_s"] = rec["rps"] * a.rows if not rec["errors"] else None
    rec["rss_mb"] = a.rss_kb / 1024
    rec["hwm_mb"] = a.hwm_kb / 1024
    if a.client_cpu_file:
        with open(a.client_cpu_file) as f:
            rec["client_cpu_s"] = float(f.read().strip() or 0)
        rec["client_cpu_share"] = rec["client_cpu_s"] / rec["total_s"] if rec["total_s"] else None
    if a.machine_busy_ticks is not None and rec["total_s"]:
        # CPU the machine spent beyond this server and ghz: other load.
        rec["machine_busy_s"] = a.machine_busy_ticks / a.clk_tck
    with open(a.out, "w") as f:
        json.dump(rec, f, indent=1)


# --------------------------------------------------------------------------
# The section


def fmt(v, spec="{:,.0f}"):
    return "—" if v is None else spec.format(v)


def ratio(a, b, spec="{:.1f}×"):
    return "—" if not a or not b else spec.format(a / b)


def load(results):
    recs = {}
    for p in sorted(glob.glob(os.path.join(results, "*.json"))):
        with open(p) as f:
            r = json.load(f)
        recs[r["name"]] = r
    return recs


def capacity(r):
    """Requests per second one core of the server could serve at its
    measured CPU cost per request."""
    return 1e6 / r["cpu_us_per_request"] if r.get("cpu_us_per_request") else None


def pct(v):
    return "—" if v is None else f"{100 * v:.0f} %"


def row(r):
    errs = "" if not r["errors"] else " (errors: " + ", ".join(f"{k} {v}" for k, v in r["errors"].items()) + ")"
    return (f"| {fmt(r['rps'])}{errs} | {fmt(r['p50_ms'], '{:.2f}')} | {fmt(r['p99_ms'], '{:.2f}')} | "
            f"{fmt(r['rss_mb'], '{:.0f}')} | {fmt(r['cpu_us_per_request'], '{:.1f}')} | "
            f"{pct(r.get('cpu_share'))} | {pct(r.get('client_cpu_share'))} | {fmt(capacity(r))} |")


def section(recs, meta):
    a1, m1 = recs.get("aia-infer-1"), recs.get("mlserver-infer-1")
    a1k, m1k, p1k = recs.get("aia-infer-1000"), recs.get("mlserver-infer-1000"), recs.get("aia-predict-1000")
    w = [BEGIN, TITLE, ""]
    w.append(
        f"ModelInfer (inference.GRPCInferenceService, KServe v2 / Open Inference Protocol) on a 100-tree GBDT "
        f"over {meta['features']} features, against Seldon MLServer {meta.get('mlserver', '?')} with "
        f"mlserver-lightgbm serving LightGBM {meta.get('lightgbm', '?')} trained on the same "
        f"{meta['rows']:,} rows with the same parameters (100 trees, 31 leaves, learning rate 0.1, "
        f"20 rows per leaf, 255 bins). Both servers get the byte-identical request "
        f"(`ghz --binary-file`), pinned to core {meta['server_cpu']} while ghz runs on core "
        f"{meta['client_cpu']}, -c {meta['concurrency']} for {meta['duration']} after a "
        f"{meta['warmup']} warm-up.")
    w.append("")
    w.append(f"Machine: {meta['machine'].get('cpu', '?')}, {meta['machine'].get('nproc', '?')} cores, "
             f"{meta['machine'].get('mem', '?')}, Linux {meta['machine'].get('kernel', '?')}; "
             f"run {meta['date']} at commit {meta['commit']}; ghz {meta['machine'].get('ghz', '?')}; "
             f"Python {meta.get('python', '?')} for MLServer.")
    w.append("")
    w.append("### Single-row ModelInfer side by side")
    w.append("")
    w.append("| server | req/s | p50 ms | p99 ms | server RSS MB | server CPU µs/request | server core busy "
             "| ghz core busy | req/s per server core at that cost |")
    w.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for name, label in (("aia-infer-1", "aia-server"), ("mlserver-infer-1", "MLServer"),
                        ("aia-infer-1-log", "aia-server, defaults: every row in the prediction log")):
        if name in recs:
            w.append(f"| {label} " + row(recs[name]))
    if a1 and m1:
        w.append(f"| **aia ÷ MLServer** | **{ratio(a1['rps'], m1['rps'])}** | "
                 f"{ratio(a1['p50_ms'], m1['p50_ms'], '{:.3f}×')} | {ratio(a1['p99_ms'], m1['p99_ms'], '{:.3f}×')} | "
                 f"{ratio(a1['rss_mb'], m1['rss_mb'], '{:.2f}×')} | "
                 f"{ratio(a1['cpu_us_per_request'], m1['cpu_us_per_request'], '{:.3f}×')} | | | "
                 f"{ratio(capacity(a1), capacity(m1))} |")
    w.append("")
    w.append("The first two rows run with aia's prediction log off (`--prediction-log-percent 0`), since "
             "MLServer keeps none; the last shows aia's defaults, which write every row's inputs and outputs "
             "to the prediction log for the drift service. \"ghz core busy\" near 100 % means the client, "
             "not the server, set the req/s; the last column is the server's own ceiling on one core "
             "(10⁶ / its CPU µs per request).")
    w.append("")
    if a1 and m1:
        goals = [
            ("throughput ≥ 20× MLServer's", a1["rps"] / m1["rps"] >= 20, ratio(a1["rps"], m1["rps"])),
            ("p99 ≤ 1/10 of MLServer's", m1["p99_ms"] and a1["p99_ms"] <= m1["p99_ms"] / 10,
             f"{a1['p99_ms']:.2f} ms vs {m1['p99_ms']:.2f} ms"),
            ("≤ 50 µs server CPU per single-row ModelInfer", a1["cpu_us_per_request"] <= 50,
             f"{a1['cpu_us_per_request']:.1f} µs"),
        ]
        w.append("### The issue's goals")
        w.append("")
        w.append("| goal | met | measured |")
        w.append("|---|---|---|")
        for g, ok, m in goals:
            w.append(f"| {g} | {'yes' if ok else '**no**'} | {m} |")
        w.append("")
    w.append("### 1,000-row batches")
    w.append("")
    w.append("| server, call | req/s | rows/s | p50 ms | p99 ms | server RSS MB | server CPU µs/request |")
    w.append("|---|---:|---:|---:|---:|---:|---:|")
    for r, label in ((p1k, "aia-server, aia.v1.ModelService/Predict (1,000 instances)"),
                     (a1k, "aia-server, ModelInfer [1000, 30]"), (m1k, "MLServer, ModelInfer [1000, 30]")):
        if r:
            w.append(f"| {label} | {fmt(r['rps'])} | {fmt(r['rows_per_s'])} | {fmt(r['p50_ms'], '{:.2f}')} | "
                     f"{fmt(r['p99_ms'], '{:.2f}')} | {fmt(r['rss_mb'], '{:.0f}')} | "
                     f"{fmt(r['cpu_us_per_request'], '{:.0f}')} |")
    if a1k and m1k:
        w.append("")
        w.append(f"ModelInfer with 1,000 rows: aia-server serves {ratio(a1k['rows_per_s'], m1k['rows_per_s'])} "
                 f"MLServer's rows/s.")
    w.append("")
    w.append("### The models")
    w.append("")
    w.append(f"- aia: job {meta.get('aia_job', {}).get('job_id', '?')}, trained on "
             f"{meta.get('aia_job', {}).get('train_rows', '?')} rows of train.csv (aia keeps the other 10 % as "
             f"its test split), valid.csv as its validation file; "
             f"test ROC AUC {fmt(meta.get('aia_job', {}).get('roc_auc'), '{:.4f}')}, trained in "
             f"{fmt(meta.get('aia_job', {}).get('seconds'), '{:.1f}')} s on the pinned core.")
    w.append(f"- LightGBM: {meta.get('lgb', {}).get('trees', '?')} trees, validation ROC AUC "
             f"{fmt(meta.get('lgb', {}).get('valid_auc'), '{:.4f}')}; MLServer with parallel_workers = "
             f"{meta['workers']} ({'inference in the server process' if meta['workers'] == 0 else 'worker processes'}"
             f"; its CPU and RSS include every process of its tree). With MLServer's default of one worker "
             f"process, 1.7.1's worker pool does not start here (each worker dies with \"There is no current "
             f"event loop in thread 'MainThread'\" and the model is unloaded), so the pool is off.")
    w.append("- aia-server ran with `--log-level warn` (no access-log line per request; MLServer's gRPC server "
             "logs none either) and `--threads 1` (one core).")
    w.append("- Outputs differ as the runtimes define them: aia answers `probabilities` [1, 2] FP64 and "
             "`label` BYTES; MLServer's LightGBM runtime answers `predict` [1, 1] FP64.")
    w.append("")
    if meta.get("notes"):
        w.append(meta["notes"].rstrip("\n"))
        w.append("")
    w.append("### How to rerun")
    w.append("")
    w.append("```")
    w.append(meta.get("invocation", "bench/oip_mlserver.sh"))
    w.append("```")
    w.append("")
    w.append("Per scenario (ports vary per run):")
    w.append("")
    w.append("```")
    for name in ("aia-infer-1", "mlserver-infer-1", "aia-infer-1-log", "aia-infer-1000", "mlserver-infer-1000",
                 "aia-predict-1000"):
        r = recs.get(name)
        if r:
            w.append(f"# {name}: server: {r['server_command']}")
            w.append(r["command"])
    w.append("```")
    w.append(END)
    return "\n".join(w) + "\n"


def cmd_render(a):
    with open(a.meta) as f:
        meta = json.load(f)
    if a.notes and os.path.exists(a.notes):
        with open(a.notes) as f:
            meta["notes"] = f.read()
    text = section(load(a.results), meta)
    try:
        with open(a.benchmarks) as f:
            old = f.read()
    except FileNotFoundError:
        old = "# Benchmarks\n"
    if BEGIN in old and END in old:
        head, rest = old.split(BEGIN, 1)
        new = head + text.rstrip("\n") + rest.split(END, 1)[1]
    else:
        new = old.rstrip("\n") + "\n\n" + text
    with open(a.benchmarks, "w") as f:
        f.write(new)
    sys.stdout.write(text)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    t = sub.add_parser("tree-ticks")
    t.add_argument("pid", type=int)
    m = sub.add_parser("tree-mem")
    m.add_argument("pid", type=int)
    r = sub.add_parser("record")
    for k in ("--out", "--name", "--server", "--call", "--ghz", "--duration", "--command", "--server-command"):
        r.add_argument(k, required=True)
    r.add_argument("--ticks", type=int, required=True)
    r.add_argument("--clk-tck", type=int, default=100)
    r.add_argument("--rss-kb", type=int, required=True)
    r.add_argument("--hwm-kb", type=int, required=True)
    r.add_argument("--rows", type=int, required=True)
    r.add_argument("--concurrency", type=int, required=True)
    r.add_argument("--server-cpu", default="")
    r.add_argument("--client-cpu", default="")
    r.add_argument("--client-cpu-file", help="exec-cpu's output: ghz's user+sys seconds")
    r.add_argument("--machine-busy-ticks", type=int)
    d = sub.add_parser("render")
    d.add_argument("--results", required=True)
    d.add_argument("--meta", required=True)
    d.add_argument("--benchmarks", required=True)
    d.add_argument("--notes", help="hand-written reading of the figures (bench/oip/notes.md)")
    a = p.parse_args()
    {"tree-ticks": cmd_tree_ticks, "tree-mem": cmd_tree_mem, "record": cmd_record, "render": cmd_render}[a.cmd](a)


if __name__ == "__main__":
    main()
