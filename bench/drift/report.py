#!/usr/bin/env python3
"""bench/drift/report.py — records and renders the drift benchmark
(bench/drift_evidently.sh, issue 6).

  report.py record --in RAW.json --time-file T --out REC.json --tool T --rows N
                   --meta META.json --exit-status S --timeout S --wall S
                   --loadavg-start L --loadavg-end L --commit C
      completes one tool's JSON (or notes that it failed or was killed) with
      the whole process's maximum RSS from /usr/bin/time -v, the machine
      load, the expected drifted columns and whether the tool found them.
  report.py summary REC.json...
      prints one line per record.
  report.py render --results DIR --benchmarks BENCHMARKS.md --commit C
                   --rows N --small-rows N
      writes the section between "<!-- bench/drift_evidently.sh: begin -->"
      and "<!-- bench/drift_evidently.sh: end -->" of BENCHMARKS.md
      (appended the first time; the rest of the file is left as it is, and
      bench/report.py render carries the block through).
"""
import argparse
import datetime
import glob
import json
import os
import platform
import sys

BEGIN = "<!-- bench/drift_evidently.sh: begin -->"
END = "<!-- bench/drift_evidently.sh: end -->"
TITLE = "## DriftService: drift checks against Evidently and SciPy (issue 6)"
GOAL_EVIDENTLY = 20.0
GOAL_SCIPY = 10.0
LN_FROM_BASE2 = 0.8325546111576977  # sqrt(ln 2): Jensen-Shannon distance, base 2 -> natural log


def time_v(path):
    """Maximum resident set size (kB) and elapsed seconds from /usr/bin/time -v."""
    out = {}
    if not path or not os.path.exists(path):
        return out
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line.startswith("Maximum resident set size (kbytes):"):
                out["max_rss_kb"] = int(line.rsplit(":", 1)[1])
            elif line.startswith("Elapsed (wall clock) time"):
                v = line.rsplit(": ", 1)[1]
                parts = [float(p) for p in v.split(":")]
                s = 0.0
                for p in parts:
                    s = s * 60 + p
                out["elapsed_s"] = s
            elif line.startswith("User time (seconds):"):
                out["user_s"] = float(line.rsplit(":", 1)[1])
            elif line.startswith("System time (seconds):"):
                out["sys_s"] = float(line.rsplit(":", 1)[1])
    return out


def cmd_record(a):
    with open(a.meta) as f:
        meta = json.load(f)
    rec = {}
    if a.exit_status == 0:
        with open(a.__dict__["in"]) as f:
            rec = json.load(f)
    rec.update({
        "tool": a.tool, "rows": a.rows, "exit_status": a.exit_status,
        "timeout_s": a.timeout, "killed": a.exit_status in (137, 124),
        "process": time_v(a.time_file), "wall_process_s": a.wall,
        "loadavg_start": a.loadavg_start, "loadavg_end": a.loadavg_end,
        "commit": a.commit, "expected_drifted": meta["shifted"],
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
    })
    if "drifted" in rec:
        rec["matches_expected"] = sorted(rec["drifted"]) == sorted(meta["shifted"])
    with open(a.out, "w") as f:
        json.dump(rec, f, indent=1, sort_keys=True)
        f.write("\n")


def load(paths):
    recs = []
    for p in paths:
        with open(p) as f:
            recs.append(json.load(f))
    return recs


def median_runs(rec):
    """One run per thread count: the median by total time of its repeats
    (aia repeats each thread count; the peers run once), with the number of
    repeats in "n_repeats"."""
    by = {}
    for r in rec.get("runs", []):
        by.setdefault(r["threads"], []).append(r)
    out = []
    for t in sorted(by):
        runs = sorted(by[t], key=lambda r: r["total_s"])
        m = dict(runs[(len(runs) - 1) // 2])
        m["n_repeats"] = len(runs)
        m["min_total_s"] = runs[0]["total_s"]
        m["max_total_s"] = runs[-1]["total_s"]
        m["hwm_kb"] = max(r["hwm_kb"] for r in runs)
        out.append(m)
    return out


def cmd_summary(a):
    for rec in load(a.records):
        head = "%-11s %8d rows" % (rec["tool"], rec["rows"])
        if rec["exit_status"] != 0:
            print("%s: failed (exit %d%s)" % (head, rec["exit_status"],
                                              ", killed at the time limit" if rec["killed"] else ""))
            continue
        runs = ", ".join("%d thr %.3f s" % (r["threads"], r["total_s"]) for r in median_runs(rec))
        if "setup" in rec:  # aia-service: loading happens inside each RPC
            loaded = "setup %.2f s, RPC wall %s" % (rec["setup"]["wall_s"], ", ".join(
                "%.3f s" % r["wall_s"] for r in rec["runs"]))
        else:
            loaded = "load %.2f s" % rec["load"]["total_s"]
        print("%s: %s, check %s, drifted %s%s" % (
            head, loaded, runs, ",".join(rec["drifted"]),
            "" if rec["matches_expected"] else " (EXPECTED %s)" % ",".join(rec["expected_drifted"])))


def mib(kb):
    return "%.0f MiB" % (kb / 1024.0) if kb and kb > 0 else "—"


def secs(s):
    if s is None:
        return "—"
    return "%.3f s" % s if s < 10 else "%.1f s" % s


def machine():
    m = {"nproc": os.cpu_count(), "kernel": platform.release()}
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    m["cpu"] = line.split(":", 1)[1].strip()
                    break
        with open("/proc/meminfo") as f:
            kb = int(f.readline().split()[1])
            m["mem"] = "%.0f GiB" % (kb / 1024 / 1024)
    except OSError:
        pass
    return m


TOOLS = ("aia-service", "aia", "evidently", "scipy")
labels = {"aia-service": "**aia — DriftService** (aia-server, end to end)",
          "aia": "aia — lib/drift alone (the library, no server)",
          "evidently": "Evidently DataDriftPreset", "scipy": "SciPy loop"}


def ratio(x):
    return ("%.0f" if x >= 100 else "%.1f") % x


def median(xs):
    xs = sorted(xs)
    return xs[(len(xs) - 1) // 2]


def service_row(rec, found):
    """DriftService: the check column is the report's computeDuration (the
    statistics from loaded data); the RPC's wall time and its loading +
    predicting part beside it. Loading is inside the RPC, so the CSV column
    names the setup's and the check's loading instead."""
    runs = rec["runs"]
    comp = [r["total_s"] for r in runs]
    wall = [r["wall_s"] for r in runs]
    lp = [r["load_predict_s"] for r in runs]
    srv = rec["server"]
    return ("| %s | %d (server `--threads`) | inside the RPCs: reference in setup %s; current "
            "+ its prediction %s per check (RPC wall − computeDuration, median) | **%s** "
            "computeDuration, statistics only (median of %d, range %s–%s); whole `aia drift check` "
            "RPC %s (median, range %s–%s) | %s (server VmHWM after setup %s) | %s (server) | %s |" % (
                labels["aia-service"], runs[0]["threads"], secs(rec["setup"]["wall_s"]), secs(median(lp)),
                secs(median(comp)), len(comp), secs(min(comp)), secs(max(comp)),
                secs(median(wall)), secs(min(wall)), secs(max(wall)),
                mib(srv["vmhwm_kb"]), mib(rec["setup"]["hwm_kb"]), mib(srv["vmhwm_kb"]), found))


def service_ratios(by, w):
    svc = by.get("aia-service")
    if not svc or svc["exit_status"] != 0:
        return
    comp = median([r["total_s"] for r in svc["runs"]])
    wall = median([r["wall_s"] for r in svc["runs"]])
    lines = []
    for peer, goal in (("evidently", GOAL_EVIDENTLY), ("scipy", GOAL_SCIPY)):
        rec = by.get(peer)
        if not rec or rec["exit_status"] != 0:
            lines.append("%s: no result at this size, so no ratio (goal ≥ %.0f×: not measured)" % (
                labels[peer], goal))
            continue
        p = median_runs(rec)[0]["total_s"]
        x = p / comp
        lines.append("%s %s / DriftService %s = **%s×** (goal ≥ %.0f×: **%s**); end to end, "
                     "the peer's loading of the current CSV plus its check against the whole "
                     "`aia drift check` RPC (loading, predicting and storing included): %s / %s = %s×" % (
                         labels[peer], secs(p), secs(comp), ratio(x), goal,
                         "met" if x >= goal else "NOT met",
                         secs(rec["load"]["current_s"] + p), secs(wall),
                         ratio((rec["load"]["current_s"] + p) / wall)))
    w("Ratios, DriftService against the peers (drift check from loaded data: the peers' check "
      "time against the report's computeDuration, medians):")
    w("")
    for line in lines:
        w("- " + line)
    w("")
    st = svc["setup"]
    w("DriftService setup (load + prepare reference): `aia drift setup --reference` took %s "
      "(server CPU %s) for %s reference rows: reading the CSV, sorting each numeric column "
      "once and predicting the reference once; server VmHWM %s after it. The model: %s "
      "trained with `aia models train` on %s rows in %s (not part of the figures)." % (
          secs(st["wall_s"]), secs(st["server_cpu_s"]), "{:,}".format(st["reference_rows"]),
          mib(st["hwm_kb"]), svc["model"]["algorithm"], "{:,}".format(svc["model"]["train_rows"]),
          secs(svc["model"]["train_wall_s"])))
    w("")


def size_table(recs, rows, w):
    by = {r["tool"]: r for r in recs if r["rows"] == rows}
    if not by:
        return
    w("### %s reference rows and %s current rows" % ("{:,}".format(rows), "{:,}".format(rows)))
    w("")
    w("| | threads | load both CSVs | drift check (from loaded data) | peak RSS during the check "
      "(VmHWM) | process max RSS | drifted columns found |")
    w("|---|---|---|---|---|---|---|")
    lines = []
    for tool in TOOLS:
        rec = by.get(tool)
        if rec is None:
            continue
        if rec["exit_status"] != 0:
            why = ("killed after %d s (time limit)" % rec["timeout_s"]) if rec["killed"] \
                else "failed (exit %d)" % rec["exit_status"]
            lines.append("| %s | | | %s | | %s | |" % (labels[tool], why,
                                                     mib(rec["process"].get("max_rss_kb"))))
            continue
        found = ", ".join(rec["drifted"]) + ("" if rec["matches_expected"] else " **(≠ expected)**")
        if tool == "aia-service":
            lines.append(service_row(rec, found))
            continue
        for r in median_runs(rec):
            extra = ""
            if tool == "aia":
                extra = " (sort reference %s + check current %s; median of %d, range %s–%s)" % (
                    secs(r["prepare_s"]), secs(r["check_s"]), r["n_repeats"],
                    secs(r["min_total_s"]), secs(r["max_total_s"]))
            elif tool == "evidently":
                extra = " (Dataset.from_pandas %s + report %s)" % (secs(r["dataset_s"]),
                                                                  secs(r["report_s"]))
            lines.append("| %s | %d | %s | **%s**%s | %s | %s | %s |" % (
                labels[tool], r["threads"], secs(rec["load"]["total_s"]), secs(r["total_s"]),
                extra, mib(r["hwm_kb"]), mib(rec["process"].get("max_rss_kb")), found))
    for line in lines:
        w(line)
    w("")
    service_ratios(by, w)
    aia = by.get("aia")
    if aia and aia["exit_status"] == 0:
        rat = []
        for peer, goal in (("evidently", GOAL_EVIDENTLY), ("scipy", GOAL_SCIPY)):
            rec = by.get(peer)
            if not rec or rec["exit_status"] != 0:
                continue
            p = median_runs(rec)[0]["total_s"]
            for r in median_runs(aia):
                x = p / r["total_s"]
                rat.append("%s / the library alone (%d thread%s): %s× (no goal: not the service)" % (
                    labels[peer], r["threads"], "s" if r["threads"] > 1 else "", ratio(x)))
        if rat:
            w("The library alone, for comparison (loading excluded):")
            w("")
            for r in rat:
                w("- " + r)
            w("")
    ev = by.get("evidently")
    if ev and ev["exit_status"] == 0 and ev["timeout_s"]:
        w("Evidently finished within the %d s limit at this size (%.0f s for the whole "
          "process, peak RSS %s)." % (ev["timeout_s"], ev["wall_process_s"],
                                     mib(ev["process"].get("max_rss_kb"))))
        w("")
    if aia and aia["exit_status"] == 0:
        r1 = median_runs(aia)[0]
        n_num = sum(1 for f in aia["features"] if f["type"] == "numeric")
        if n_num and r1["threads"] == 1:
            w("Where the library's time goes (1 thread): sorting the %d reference columns once takes "
              "%s (%.0f ms a column, copy included: lib/drift's radix sort); the check of the "
              "window sorts each current column the same way before its linear Wasserstein "
              "pass." % (n_num, secs(r1["prepare_s"]), 1000 * r1["prepare_s"] / n_num))
            w("")
    ok = [r for r in by.values() if r["exit_status"] == 0]
    if ok:
        same = len({tuple(sorted(r["drifted"])) for r in ok}) == 1
        exp = ok[0]["expected_drifted"]
        w("Drifted columns: %s (shifted by construction: %s)." % (
            "all %d methods found the same set" % len(ok) if same
            else "the methods DISAGREE (see the table)", ", ".join(exp)))
        w("")


def stat_agreement(recs, rows, w):
    by = {r["tool"]: r for r in recs if r["rows"] == rows and r["exit_status"] == 0}
    parts = []
    for ours in ("aia-service", "aia"):
        if ours not in by:
            continue
        # DriftService reports jensen_shannon with base-2 logarithms
        # (lib/drift/categorical.h); Evidently and the loop use the natural
        # one: the same distance times sqrt(ln 2).
        a = {f["column"]: f["statistic"] * (LN_FROM_BASE2 if f["method"] == "jensen_shannon" else 1.0)
             for f in by[ours]["features"]}
        for peer in ("evidently", "scipy"):
            if peer not in by:
                continue
            p = {f["column"]: f["statistic"] for f in by[peer]["features"]}
            diff = max(abs(a[c] - p[c]) for c in a if c in p)
            parts.append("%s vs %s %.1e" % (ours, peer, diff))
    if not parts:
        return
    w("Largest difference of a column's statistic between aia and the peers (%s rows): %s." % (
        "{:,}".format(rows), ", ".join(parts)))
    w("")
    svc = by.get("aia-service")
    js = [f for f in svc["features"] if f["method"] == "jensen_shannon"] if svc else []
    if js:
        top = max(js, key=lambda f: f["statistic"])
        w("DriftService reports `jensen_shannon` with base-2 logarithms (lib/drift's definition, "
          "in [0, 1]); Evidently calls SciPy with the natural logarithm, which gives the same "
          "distance times √ln 2 ≈ 0.833, so aia-service's values are converted for the "
          "comparison above (e.g. %s: %.4f base 2, %.4f natural). Both take the verdict at ≥ 0.1 "
          "on their own value, so DriftService flags a categorical column a little earlier "
          "than Evidently (at a natural-log distance of 0.083); here the verdicts agree." % (
              top["column"], top["statistic"], top["statistic"] * LN_FROM_BASE2))
        w("")


def section(recs, commit, rows, small_rows):
    out = []
    w = out.append
    m = machine()
    any_rec = recs[0] if recs else {}
    w(BEGIN)
    w(TITLE)
    w("")
    w("**aia's figure is DriftService end to end**: a running aia-server driven by the `aia` "
      "CLI (bench/drift/service.py). The library alone (lib/drift called directly by "
      "bench/drift/drift_bench.c, no server) is a second row, for reference.")
    w("")
    w("- Machine: %s, %s cores, %s RAM, Linux %s" % (m.get("cpu", "?"), m["nproc"],
                                                  m.get("mem", "?"), m["kernel"]))
    w("- Date: %s; commit %s" % (any_rec.get("date", "?"), commit))
    w("- Command: `bench/drift_evidently.sh` (BENCH_DRIFT_ROWS=%s, BENCH_DRIFT_SMALL_ROWS=%s); "
      "each tool is its own process, one after the other, started once the 1-minute load "
      "average is below 1:" % (rows, small_rows))
    w("  - aia — DriftService: `service.py` starts `aia-server --prediction-log-percent 0 "
      "--threads 2 --log-level warn` (opt, jemalloc) with a fresh data dir, trains a linear "
      "regression with `aia models train` on the first 20,000 reference rows and a label "
      "computed from num_0, num_4 and cat_0 (a linear model: predicting 10^6 rows for the "
      "prediction drift costs little, and the comparison is about the drift statistics), "
      "runs `aia drift setup "
      "MODEL --reference reference.csv --json` (timed: setup) and then 3 × `aia drift check "
      "MONITOR --data current.csv --json` (`--timeout 600`). Per check: the CLI call's wall "
      "time and the report's computeDuration, the statistics alone (the 25 features and "
      "the prediction drift; loading and predicting the batch are left out); RPC wall − "
      "computeDuration is reading the current CSV, predicting it and storing the report. "
      "The monitor's tests are its defaults (Evidently's, below). Memory: the server's "
      "VmHWM from /proc/PID/status")
    w("  - aia — library alone: `aia-drift-bench --threads 1,2 --repeats 3 --reference reference.csv "
      "--current current.csv` (//bench/drift:aia-drift-bench, opt, jemalloc; the median of "
      "the 3 repeats per thread count is shown; its figure counts sorting the reference "
      "as well as checking the current data)")
    w("  - Evidently: `peers.py --tool evidently` — `Report([DataDriftPreset()]).run(current_data, "
      "reference_data)` on `Dataset.from_pandas` with the 20 numeric and 5 categorical columns "
      "declared")
    w("  - SciPy: `peers.py --tool scipy` — per numeric column `scipy.stats.ks_2samp` + "
      "`scipy.stats.wasserstein_distance`, per categorical column `scipy.stats.chisquare` + "
      "`scipy.spatial.distance.jensenshannon`")
    vers = next((r.get("versions") for r in recs if r.get("tool") == "evidently"
                 and r.get("versions")), None) or next(
        (r.get("versions") for r in recs if r.get("versions")), None)
    if vers:
        w("- Versions: " + ", ".join("%s %s" % kv for kv in sorted(vers.items())))
    loads = ["%s %s rows: %s → %s" % (r["tool"], "{:,}".format(r["rows"]), r["loadavg_start"],
                                     r["loadavg_end"]) for r in recs]
    w("- Load average (1/5/15 min) at start → end of each process: " + "; ".join(loads))
    busy = [r for r in recs if r["loadavg_start"] and float(r["loadavg_start"].split()[0]) >= 1.0]
    if busy:
        w("- **The machine was not quiet**: %d of the %d processes started with a 1-minute load "
          "average of 1 or more (%s), after the harness had waited 2 minutes for it to drop: "
          "other engineers' builds and tests shared the 2 cores, and were measured anyway. "
          "Compare rows with their loads in mind." % (
              len(busy), len(recs), ", ".join("%s %s rows: %s" % (r["tool"], "{:,}".format(r["rows"]),
                                                                 r["loadavg_start"].split()[0])
                                              for r in busy)))
    w("")
    w("Data (bench/drift/make_data.py, seeded): reference and current sets of the same size, "
      "20 numeric columns (normal, log-normal, uniform, exponential) and 5 categorical ones of "
      "10 categories; in the current set num_2, num_5 and num_11 are moved by half a standard "
      "deviation and cat_3's category probabilities are reversed. Test per column: Evidently's "
      "default for more than 1,000 reference rows — normed Wasserstein distance for numeric "
      "columns, Jensen–Shannon distance (natural logarithm, as Evidently calls SciPy) for "
      "categorical ones, drift at ≥ 0.1 — which aia and the SciPy loop apply too. Times are "
      "from data already in memory (loading the CSV files is reported apart). DriftService "
      "sorts each reference column once, at setup (reported apart, with the reference's "
      "loading and prediction), and keeps it for every check, as the issue intends: its "
      "computeDuration is the check of the current window against that reference (its 25 "
      "features and the prediction drift). The library row counts both phases, sorting "
      "the reference and checking the current data. The peers have no such split: each "
      "check redoes everything. Peak RSS during the check is VmHWM reset "
      "(/proc/self/clear_refs) just before it, so it includes the loaded data, and the "
      "process maximum is /usr/bin/time -v's; for DriftService both are the server's "
      "VmHWM since its start (the reference, its sorted copy and its predictions stay "
      "resident in the monitor, the current batch while it is checked).")
    w("")
    sizes = sorted({r["rows"] for r in recs}, reverse=True)
    for n in sizes:
        size_table(recs, n, w)
        stat_agreement(recs, n, w)
    for r in recs:
        if r["tool"] == "scipy" and r["exit_status"] == 0:
            run = r["runs"][0]
            w("SciPy loop, %s rows: the p < 0.05 tests would flag KS %s, chi-square %s. "
              "(KS at p < 0.05 flags about one unshifted column in 20 by chance. Chi-square "
              "against the reference's proportions takes them as exact, ignoring their own "
              "sampling error, so it flags unshifted columns far more often than 5 %% of the "
              "time; Evidently uses it only up to 1,000 reference rows.)" % ("{:,}".format(r["rows"]),
                                    ", ".join(run.get("ks_p_lt_0.05", [])) or "none",
                                    ", ".join(run.get("chi2_p_lt_0.05", [])) or "none"))
            w("")
    w(END)
    return "\n".join(out) + "\n"


def cmd_render(a):
    recs = load(sorted(glob.glob(os.path.join(a.results, "rows-*.json"))))
    recs.sort(key=lambda r: (-r["rows"], r["tool"]))
    text = section(recs, a.commit, a.rows, a.small_rows)
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
    r = sub.add_parser("record")
    r.add_argument("--in", required=True)
    r.add_argument("--time-file")
    r.add_argument("--out", required=True)
    r.add_argument("--tool", required=True)
    r.add_argument("--rows", type=int, required=True)
    r.add_argument("--meta", required=True)
    r.add_argument("--exit-status", type=int, required=True)
    r.add_argument("--timeout", type=int, default=0)
    r.add_argument("--wall", type=float, required=True)
    r.add_argument("--loadavg-start", default="")
    r.add_argument("--loadavg-end", default="")
    r.add_argument("--commit", default="")
    s = sub.add_parser("summary")
    s.add_argument("records", nargs="+")
    d = sub.add_parser("render")
    d.add_argument("--results", required=True)
    d.add_argument("--benchmarks", required=True)
    d.add_argument("--commit", default="")
    d.add_argument("--rows", type=int, default=1000000)
    d.add_argument("--small-rows", type=int, default=100000)
    a = p.parse_args()
    {"record": cmd_record, "summary": cmd_summary, "render": cmd_render}[a.cmd](a)


if __name__ == "__main__":
    main()
