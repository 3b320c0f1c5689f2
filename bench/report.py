#!/usr/bin/env python3
"""bench/report.py — record benchmark scenarios and render BENCHMARKS.md.

  report.py record --out F.json --name N --server aia|peer --call M --pin P
                   --log L --ghz ghz.json --ticks T --clk-tck HZ
                   --vmhwm-kb K --vmrss-kb K --threads N ...
      Merge one ghz JSON report (-O json) with the server-side figures that
      bench/lib.sh read from /proc into one scenario record.

  report.py summary F.json...
      A short plain-text table on stdout (bench/ghz_health.sh).

  report.py render --results DIR [--perf-dir DIR] [--notes FILE] > BENCHMARKS.md
      The side-by-side report: machine, date, commit, then per scenario
      aia-server, the grpc-go peer and their ratio, the issue's targets, every
      run's raw figures and, when a perf profile exists, where the time goes;
      then the REST gateway (issue 3) and the embedded ML engine (issue 4)
      sections when their records exist.

  report.py ml-record --in RAW.json --out F.json --name N --data DIR ...
      Complete one model's JSON (bench/ml/ml_bench.c or bench/ml/peers.py)
      with the data set's manifest, the process's CPU and the machine's other
      load into one record (bench/ml_gbdt.sh).

  report.py ml-summary F.json...
      A short plain-text table of ML records on stdout.

Only the standard library is used.
"""

import argparse
import datetime
import glob
import json
import os
import platform
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# The targets for a trivial unary call.
TARGET_CPU_US = 40.0
TARGET_P99_MS = 5.0


# --------------------------------------------------------------------------
# record

def percentile(ghz, pct):
    for d in ghz.get("latencyDistribution") or []:
        if int(d.get("percentage", -1)) == pct:
            return d["latency"] / 1e6  # ns -> ms
    return None


def nearest_rank(sorted_vals, pct):
    """The pct-th percentile of an ascending list: the smallest value with at
    least pct % of the values at or below it (no interpolation)."""
    if not sorted_vals:
        return None
    k = max(0, -(-len(sorted_vals) * pct // 100) - 1)
    return sorted_vals[min(int(k), len(sorted_vals) - 1)]


def load_ghz(path):
    """ghz's JSON report (-O json) as the fields a record needs."""
    with open(path) as f:
        ghz = json.load(f)
    codes = ghz.get("statusCodeDistribution") or {}
    count = int(ghz.get("count", 0))
    total = ghz.get("total", 0) / 1e9
    return {
        "requests": count,
        "ok": int(codes.get("OK", 0)),
        "status_codes": codes,
        "error_distribution": ghz.get("errorDistribution") or {},
        "rps": ghz.get("rps", 0.0),
        "wall_s": total,
        "avg_ms": ghz.get("average", 0) / 1e6,
        "p50_ms": percentile(ghz, 50),
        "p90_ms": percentile(ghz, 90),
        "p99_ms": percentile(ghz, 99),
    }


H2LOAD_FINISHED = re.compile(r"^finished in ([\d.]+)(ms|s), ([\d.]+) req/s")
H2LOAD_REQUESTS = re.compile(r"^requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded, "
                             r"(\d+) failed, (\d+) errored, (\d+) timeout")
H2LOAD_CODES = re.compile(r"^status codes: (\d+) 2xx, (\d+) 3xx, (\d+) 4xx, (\d+) 5xx")
H2LOAD_TRAFFIC = re.compile(r"^traffic: .*\((\d+)\) data")


def load_h2load(out_path, log_path):
    """h2load's summary (stdout) and its per-request log (--log-file: start
    µs, HTTP status, µs to the end of the response), with exact percentiles
    over every request of the measured run."""
    wall = rps = None
    req = codes = None
    data = None
    with open(out_path) as f:
        for line in f:
            line = line.strip()
            if m := H2LOAD_FINISHED.match(line):
                wall = float(m.group(1)) / (1000.0 if m.group(2) == "ms" else 1.0)
                rps = float(m.group(3))
            elif m := H2LOAD_REQUESTS.match(line):
                req = [int(x) for x in m.groups()]
            elif m := H2LOAD_CODES.match(line):
                codes = [int(x) for x in m.groups()]
            elif m := H2LOAD_TRAFFIC.match(line):
                data = int(m.group(1))
    if wall is None or req is None:
        raise SystemExit(f"report.py: no h2load summary in {out_path}")
    lat = []
    with open(log_path) as f:
        for line in f:
            parts = line.split("\t")
            if len(parts) >= 3:
                lat.append(int(parts[2]))
    lat.sort()
    done, ok = req[2], req[3]
    failed, errored, timeout = req[4], req[5], req[6]
    status = {}
    if codes:
        for label, n in zip(("2xx", "3xx", "4xx", "5xx"), codes):
            if n:
                status[label] = n
    errs = {}
    for label, n in (("failed (non-2xx or reset)", failed), ("errored", errored), ("timeout", timeout)):
        if n:
            errs[label] = n
    ms = lambda us: None if us is None else us / 1000.0
    return {
        "requests": done,
        "ok": ok,
        "status_codes": status,
        "error_distribution": errs,
        "rps": rps,
        "wall_s": wall,
        "avg_ms": (sum(lat) / len(lat) / 1000.0) if lat else None,
        "p50_ms": ms(nearest_rank(lat, 50)),
        "p90_ms": ms(nearest_rank(lat, 90)),
        "p99_ms": ms(nearest_rank(lat, 99)),
        "p999_ms": ms(nearest_rank(lat, 99.9)),
        "logged_requests": len(lat),
        "data_bytes_per_req": (data / done) if data is not None and done else None,
    }


def cmd_record(a):
    if a.ghz:
        res = load_ghz(a.ghz)
        client = "ghz"
    elif a.h2load_out and a.h2load_log:
        res = load_h2load(a.h2load_out, a.h2load_log)
        client = "h2load"
    else:
        raise SystemExit("report.py record: --ghz, or --h2load-out with --h2load-log")
    count, ok = res["requests"], res["ok"]
    cpu_s = a.ticks / a.clk_tck
    gw_cpu_s = a.gw_ticks / a.clk_tck if a.gw_ticks is not None else None
    wall_s = res["wall_s"]
    client_cpu_s = None
    if a.client_cpu:
        try:
            with open(a.client_cpu) as f:
                client_cpu_s = float(f.read().strip())
        except (OSError, ValueError):
            pass
    # CPU that neither the server (nor the gateway) nor the client used:
    # other processes on the machine, a sign of a noisy measurement.
    other_pct = None
    if a.machine_busy_ticks is not None and client_cpu_s is not None and wall_s and a.ncpu:
        other = a.machine_busy_ticks / a.clk_tck - cpu_s - (gw_cpu_s or 0.0) - client_cpu_s
        other_pct = max(0.0, 100.0 * other / (wall_s * a.ncpu))
    server_p50 = server_p99 = server_calls = server_errors = None
    if a.server_perf:
        try:
            with open(a.server_perf) as f:
                perf = json.load(f)
            for m in perf.get("methods") or []:
                if m.get("method") == "/" + a.call:
                    server_p50, server_p99 = m.get("p50Ms"), m.get("p99Ms")
                    server_calls = int(m.get("calls", 0))
                    server_errors = int(m.get("errors", 0))
        except (OSError, ValueError):
            pass
    rec = {
        "rps_limit": a.rps_limit,
        "server_p50_ms": server_p50,
        "server_p99_ms": server_p99,
        "server_calls": server_calls,
        "server_errors": server_errors,
        "name": a.name,
        "suite": a.suite,
        "client": client,
        "via": a.via,
        "transport": a.transport,
        "http_path": a.http_path,
        "server": a.server,
        "call": a.call,
        "pin": a.pin,
        "log": a.log,
        "server_args": a.server_args,
        "duration": a.duration,
        "concurrency": a.concurrency,
        "requests": count,
        "ok": ok,
        "errors": count - ok,
        "status_codes": res["status_codes"],
        "error_distribution": res["error_distribution"],
        "rps": res["rps"],
        "ok_rps": ok / wall_s if wall_s else 0.0,
        "avg_ms": res["avg_ms"],
        "p50_ms": res["p50_ms"],
        "p90_ms": res["p90_ms"],
        "p99_ms": res["p99_ms"],
        "p999_ms": res.get("p999_ms"),
        "data_bytes_per_req": res.get("data_bytes_per_req"),
        "cpu_ticks": a.ticks,
        "clk_tck": a.clk_tck,
        "cpu_s": cpu_s,
        "wall_s": wall_s,
        "client_cpu_s": client_cpu_s,
        "other_cpu_pct": other_pct,
        # Over every request the server answered (errors cost CPU too).
        "cpu_us_per_req": (cpu_s * 1e6 / count) if count else None,
        "vmhwm_kb": a.vmhwm_kb,
        "vmrss_kb": a.vmrss_kb,
        "threads": a.threads,
        "log_bytes": a.log_bytes,
    }
    if a.gw_ticks is not None:
        rec.update({
            "gateway_args": a.gw_args,
            "gateway_log": a.gw_log,
            "gateway_cpu_ticks": a.gw_ticks,
            "gateway_cpu_s": gw_cpu_s,
            "gateway_cpu_us_per_req": (gw_cpu_s * 1e6 / count) if count else None,
            "gateway_vmhwm_kb": a.gw_vmhwm_kb,
            "gateway_vmrss_kb": a.gw_vmrss_kb,
            "gateway_threads": a.gw_threads,
            "gateway_log_bytes": a.gw_log_bytes,
        })
    with open(a.out, "w") as f:
        json.dump(rec, f, indent=1, sort_keys=True)
        f.write("\n")


# --------------------------------------------------------------------------
# exec-cpu: run a command, then write the CPU time (user+sys, seconds) it and
# its children used to a file; exits with the command's status.

def cmd_exec_cpu(a):
    import resource
    cmd = a.argv[1:] if a.argv and a.argv[0] == "--" else a.argv
    rc = subprocess.call(cmd)
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    with open(a.out, "w") as f:
        f.write(f"{ru.ru_utime + ru.ru_stime:.3f}\n")
    sys.exit(rc)


# --------------------------------------------------------------------------
# formatting helpers

def load(paths):
    recs = {}
    for p in paths:
        with open(p) as f:
            r = json.load(f)
        recs[r["name"]] = r
    return recs


def fnum(v, nd=0):
    if v is None:
        return "–"
    if nd == 0:
        return f"{v:,.0f}"
    return f"{v:,.{nd}f}"


def mib(kb):
    return None if kb is None else kb / 1024.0


def ratio(a, b):
    if a is None or b in (None, 0):
        return "–"
    return f"{a / b:.2f}×"


def cmd_summary(a):
    recs = load(a.files)
    gw = any("gateway_cpu_us_per_req" in r for r in recs.values())
    hdr = f"{'scenario':34} {'req/s':>9} {'p50 ms':>7} {'p99 ms':>7} {'CPU µs/req':>10} {'VmHWM MiB':>9} {'errors':>6} {'other %':>7}"
    if gw:
        hdr += f" {'gw CPU µs/req':>13} {'gw VmHWM MiB':>12}"
    print(hdr)
    for r in recs.values():
        line = (f"{r['name']:34} {fnum(r['rps']):>9} {fnum(r['p50_ms'], 3 if gw else 2):>7} {fnum(r['p99_ms'], 2):>7} "
                f"{fnum(r['cpu_us_per_req'], 1):>10} {fnum(mib(r['vmhwm_kb']), 1):>9} {r['errors']:>6} {fnum(r.get('other_cpu_pct'), 1):>7}")
        if gw:
            line += (f" {fnum(r.get('gateway_cpu_us_per_req'), 1):>13}"
                     f" {fnum(mib(r.get('gateway_vmhwm_kb')), 1):>12}")
        print(line)


# --------------------------------------------------------------------------
# render

def sh(*cmd, cwd=None):
    try:
        return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True,
                              timeout=30).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def machine():
    model = ""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem = ""
    try:
        with open("/proc/meminfo") as f:
            kb = int(f.readline().split()[1])
            mem = f"{kb / 1024 / 1024:.0f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    # The commit the benchmarked binary says it was built from
    # (`aia-server --version`: "aia-server 0.1.0 (abc123-dirty)"), else HEAD.
    vm = re.search(r"\(([0-9a-f]{7,40})(-dirty)?\)", os.environ.get("BENCH_SERVER_VERSION", ""))
    if vm:
        commit, dirty = vm.group(1), vm.group(2)
    else:
        commit = sh("git", "rev-parse", "--short=12", "HEAD", cwd=ROOT)
        dirty = sh("git", "status", "--porcelain", "--untracked-files=no", cwd=ROOT)
    subject = sh("git", "log", "-1", "--format=%s", commit, cwd=ROOT)
    grpc_go = ""
    try:
        with open(os.path.join(ROOT, "bench/peer/go.mod")) as f:
            m = re.search(r"google\.golang\.org/grpc (v\S+)", f.read())
            grpc_go = m.group(1) if m else ""
    except OSError:
        pass
    ghz_path = sh("sh", "-c", "command -v ghz")
    ghz_ver = ""
    if ghz_path:
        for line in sh("go", "version", "-m", ghz_path).splitlines():
            parts = line.split()
            if len(parts) >= 3 and parts[0] == "mod":
                ghz_ver = parts[2]
    return {
        "nproc": sh("nproc") or str(os.cpu_count()),
        "cpu": model or platform.processor(),
        "mem": mem,
        "kernel": platform.release(),
        "date": os.environ.get("BENCH_DATE")
        or datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "commit": commit + (" (with uncommitted changes)" if dirty else ""),
        "subject": subject,
        "load": os.environ.get("BENCH_LOADAVG_START", ""),
        "load_end": os.environ.get("BENCH_LOADAVG_END", ""),
        "libgrpc": sh("dpkg-query", "-W", "-f=${Version}", "libgrpc-dev"),
        "grpc_go": grpc_go,
        "go": sh("go", "env", "GOVERSION"),
        "ghz": ghz_ver,
        "h2load": sh("sh", "-c", "h2load --version 2>/dev/null | head -n 1"),
        "grpc_gateway": gateway_mod("github.com/grpc-ecosystem/grpc-gateway/v2"),
        "gateway_grpc_go": gateway_mod("google.golang.org/grpc"),
    }


def gateway_mod(path):
    try:
        with open(os.path.join(ROOT, "gateway/go.mod")) as f:
            mm = re.search(r"^\s*" + re.escape(path) + r" (v\S+)", f.read(), re.M)
            return mm.group(1) if mm else ""
    except OSError:
        return ""


def cell(a, b, key, nd=0, scale=None):
    va, vb = a.get(key) if a else None, b.get(key) if b else None
    if scale:
        va, vb = scale(va), scale(vb)
    return f"{fnum(va, nd)} / {fnum(vb, nd)} ({ratio(va, vb)})"


PERF_LINE = re.compile(r"^\s+([\d.]+)%\s+(?:([\d.]+)%\s+)?(.*\S)\s*$")


def perf_rows(path, limit):
    rows = []
    try:
        with open(path) as f:
            for line in f:
                if line.startswith("#"):
                    continue
                m = PERF_LINE.match(line)
                if not m:
                    continue
                rest = re.sub(r"\s+", " ", m.group(3))
                if re.fullmatch(r"(\[[.k]\] )?(0x)?[0-9a-f]+", rest):
                    continue  # an unresolved address (no frame pointers there)
                rows.append((float(m.group(1)), m.group(2) and float(m.group(2)), rest))
    except OSError:
        return []
    return rows[:limit]


def md_escape(s):
    return s.replace("|", "\\|").replace("`", "'")


def write_errors(w, recs, who):
    """Lists the runs' errors by message (nothing when every request succeeded)."""
    errs = {r["name"]: r["error_distribution"] for r in recs.values() if r["errors"]}
    if not errs:
        return
    w("")
    w(f"Errors reported by {who}:")
    w("")
    for n, d in errs.items():
        for msg, c in d.items():
            w(f"- {n}: {c} × {md_escape(msg)}")


def sside(r):
    if r.get("server_p50_ms") is None:
        return "–"
    return f"{fnum(r['server_p50_ms'], 2)} / {fnum(r['server_p99_ms'], 2)}"


def client_us(r):
    c, n = r.get("client_cpu_s"), r.get("requests")
    return c * 1e6 / n if c is not None and n else None


def cmd_render(a):
    all_recs = load(sorted(glob.glob(os.path.join(a.results, "*.json"))))
    recs = {n: r for n, r in all_recs.items() if r.get("suite", "grpc") not in ("gateway", "ml")}
    gw_recs = {n: r for n, r in all_recs.items() if r.get("suite") == "gateway"}
    ml_recs = {n: r for n, r in all_recs.items() if r.get("suite") == "ml"}
    if a.machine:
        with open(a.machine) as f:
            m = json.load(f)
    else:
        m = machine()
    out = []
    w = out.append
    w("# Benchmarks")
    w("")
    w("Written by `bench/run.sh` (see bench/README.md): re-run it rather than editing this file. "
      "The \"Reading the figures\" sections are hand-written, in bench/analysis.md (aia-server "
      "against grpc-go, issue 2) and bench/analysis-gateway.md (the REST gateway, issue 3).")
    w("")
    w("| | |")
    w("|---|---|")
    w(f"| machine | {m['nproc']} CPUs ({md_escape(m['cpu'])}), {m['mem']}, Linux {m['kernel']} |")
    w(f"| date | {m['date']} |")
    if m["load"]:
        w(f"| load average (1, 5, 15 min) | {m['load']} at the start, {m['load_end']} at the end |")
    w(f"| git commit | `{m['commit']}` {md_escape(m['subject'])} |")
    w(f"| aia-server | gRPC C core {m['libgrpc']} (Debian libgrpc-dev), protobuf-c, jemalloc; Bazel `-c opt` |")
    w(f"| peer | grpc-go {m['grpc_go']} ({m['go']}), stock `health.NewServer()` + reflection, bench/peer/ |")
    w(f"| load | ghz {m['ghz']}, `--insecure`, reflection (no --proto), `-c {next(iter(recs.values()))['concurrency'] if recs else '?'}`, "
      f"{next(iter(recs.values()))['duration'] if recs else '?'} per run after a warm-up, one connection, `--duration-stop=wait` |")
    w("")
    w("Pinned: the server runs under `taskset -c 0` and ghz under `taskset -c 1`. Unpinned: both "
      "float over the machine's cores, so ghz competes with the server for CPU; on a 2-core machine "
      "the client is a large share of the load, which is why the figure that travels is the "
      "server's **CPU time per request**: (utime + stime of the server process over the measured "
      "run, from /proc/PID/stat) ÷ requests completed. VmHWM (peak RSS) and VmRSS are read from "
      "/proc/PID/status at the end of the run.")
    w("")

    def get(n):
        return recs.get(n)

    w("## Side by side")
    w("")
    w("Each cell is **aia-server / grpc-go peer (ratio = aia ÷ peer)**. For req/s a ratio above 1 "
      "favours aia-server; for latency, CPU and memory a ratio below 1 does. The peer has no "
      "SystemService, so the GetHealth rows compare with the peer's grpc.health.v1.Health/Check in "
      "the same pinning mode: the like-for-like pair is the Health/Check rows.")
    w("")
    w("| scenario | req/s | p50 ms | p99 ms | server CPU µs/req | VmHWM MiB | VmRSS MiB |")
    w("|---|---|---|---|---|---|---|")
    scen = [
        ("Health/Check, pinned", "aia-check-pinned-warn", "peer-check-pinned"),
        ("Health/Check, unpinned", "aia-check-unpinned-warn", "peer-check-unpinned"),
        ("GetHealth, pinned, `--log-level warn`", "aia-gethealth-pinned-warn", "peer-check-pinned"),
        ("GetHealth, unpinned, `--log-level warn`", "aia-gethealth-unpinned-warn", "peer-check-unpinned"),
        ("GetHealth, pinned, `--log-level warn --threads 2`", "aia-gethealth-pinned-warn-t2", "peer-check-pinned"),
        ("GetHealth, pinned, defaults (access log on)", "aia-gethealth-pinned-default", "peer-check-pinned"),
        ("GetHealth, unpinned, defaults (access log on)", "aia-gethealth-unpinned-default", "peer-check-unpinned"),
    ]
    rate_rec = get("aia-check-pinned-warn-rate")
    if rate_rec:
        scen.insert(2, (f"Health/Check, pinned, capped at {fnum(rate_rec.get('rps_limit'))} req/s "
                        "(the GetHealth pinned rate)", "aia-check-pinned-warn-rate", "peer-check-pinned-rate"))
    for label, an, pn in scen:
        ra, rp = get(an), get(pn)
        if not ra:
            continue
        w(f"| {label} | {cell(ra, rp, 'rps')} | {cell(ra, rp, 'p50_ms', 2)} | {cell(ra, rp, 'p99_ms', 2)} "
          f"| {cell(ra, rp, 'cpu_us_per_req', 1)} | {cell(ra, rp, 'vmhwm_kb', 1, mib)} "
          f"| {cell(ra, rp, 'vmrss_kb', 1, mib)} |")
    w("")

    w("## The issue's targets (SystemService.GetHealth)")
    w("")
    w(f"Target: at most {TARGET_CPU_US:.0f} µs of server CPU per trivial call "
      f"({1e6 / TARGET_CPU_US:,.0f} calls per core-second) with p99 under {TARGET_P99_MS:.0f} ms.")
    w("")
    w("| scenario | server CPU µs/req | calls per core-second | CPU target | p99 ms (ghz) | p99 target | server-side p99 ms |")
    w("|---|---|---|---|---|---|---|")
    for label, an, _ in [x for x in scen if x[1].startswith("aia-gethealth")]:
        r = get(an)
        if not r:
            continue
        cpu = r["cpu_us_per_req"]
        cps = 1e6 / cpu if cpu else None
        cpu_ok = "met" if cpu is not None and cpu <= TARGET_CPU_US else "**missed**"
        p99_ok = "met" if r["p99_ms"] is not None and r["p99_ms"] < TARGET_P99_MS else "**missed**"
        w(f"| {label} | {fnum(cpu, 1)} | {fnum(cps)} | {cpu_ok} | {fnum(r['p99_ms'], 2)} | {p99_ok} "
          f"| {fnum(r.get('server_p99_ms'), 2)} |")
    w("")

    w("## Every run")
    w("")
    w("| run | server args | threads | requests | errors | req/s | avg ms | p50 ms | p90 ms | p99 ms "
      "| server-side p50 / p99 ms | server CPU s | CPU µs/req | ghz CPU s | ghz CPU µs/req | other load % "
      "| VmHWM MiB | VmRSS MiB | server log bytes |")
    w("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in recs.values():
        args = f"`{r['server_args']}`" if r["server_args"] else "(defaults)"
        if r.get("rps_limit"):
            args += f", ghz `-r {r['rps_limit']}`"
        w(f"| {r['name']} | {args} | {r['threads']} | {fnum(r['requests'])} | {fnum(r['errors'])} "
          f"| {fnum(r['rps'])} | {fnum(r['avg_ms'], 2)} | {fnum(r['p50_ms'], 2)} | {fnum(r['p90_ms'], 2)} "
          f"| {fnum(r['p99_ms'], 2)} "
          f"| {sside(r)} "
          f"| {fnum(r['cpu_s'], 2)} | {fnum(r['cpu_us_per_req'], 1)} "
          f"| {fnum(r.get('client_cpu_s'), 2)} | {fnum(client_us(r), 1)} | {fnum(r.get('other_cpu_pct'), 1)} "
          f"| {fnum(mib(r['vmhwm_kb']), 1)} | {fnum(mib(r['vmrss_kb']), 1)} | {fnum(r['log_bytes'])} |")
    w("")
    w("*server-side p50 / p99*: aia-server's own latency histogram for the method (call arrival to "
      "status sent, warm-up included), read with GetSystemPerformance after the run; ghz's figures "
      "add the client's queueing. *ghz CPU s*: user+sys of the ghz process. *other load %*: the machine's busy CPU time "
      "(/proc/stat) not used by the server or ghz during the run, as a share of all cores; more "
      "than a few percent means something else was running and the run is noisy.")
    write_errors(w, recs, "ghz")
    w("")

    if a.perf_dir and os.path.exists(os.path.join(a.perf_dir, "perf-sym.txt")):
        w("## Where the time goes")
        w("")
        event = "cpu-clock"
        try:
            with open(os.path.join(a.perf_dir, "perf-dso.txt")) as f:
                m_ev = re.search(r"of event '([^']+)'", f.read())
                event = m_ev.group(1) if m_ev else event
        except OSError:
            pass
        run = {}
        try:
            with open(os.path.join(a.perf_dir, "run.json")) as f:
                run = json.load(f)
        except (OSError, ValueError):
            pass
        w(f"`perf record -e {event} --call-graph dwarf` of the server during a separate pinned GetHealth run with "
          f"`--log-level warn` under the same load as above"
          + (f" ({fnum(run.get('rps'))} req/s, {fnum(run.get('cpu_us_per_req'), 1)} µs of server CPU per "
             f"request while profiled)" if run else "")
          + ". Percentages are shares of the server's samples; self time unless said otherwise."
          + (" This VM exposes no hardware counters, so samples are timer-based." if event == "cpu-clock" else ""))
        w("")
        dso = perf_rows(os.path.join(a.perf_dir, "perf-dso.txt"), 12)
        if dso:
            w("By shared object:")
            w("")
            w("| self % | object |")
            w("|---|---|")
            for pct, _, name in dso:
                w(f"| {pct:.1f} | {md_escape(name)} |")
            w("")
        sym = perf_rows(os.path.join(a.perf_dir, "perf-sym.txt"), 30)
        if sym:
            w("Top symbols:")
            w("")
            w("| self % | object | symbol |")
            w("|---|---|---|")
            for pct, _, rest in sym:
                parts = rest.split(" ", 1)
                obj = parts[0]
                symname = parts[1] if len(parts) > 1 else ""
                symname = re.sub(r"^\[[.k]\] ", "", symname)
                w(f"| {pct:.1f} | {md_escape(obj)} | `{md_escape(symname)[:110]}` |")
            w("")
        ch = perf_rows(os.path.join(a.perf_dir, "perf-children.txt"), 40)
        if ch:
            w("Inclusive time (children included) of the heaviest call paths:")
            w("")
            w("| incl. % | self % | symbol |")
            w("|---|---|---|")
            for pct, self_pct, rest in ch:
                symname = re.sub(r"^\[[.k]\] ", "", rest)
                w(f"| {pct:.1f} | {fnum(self_pct, 1)} | `{md_escape(symname)[:110]}` |")
            w("")
    if a.notes and os.path.exists(a.notes):
        with open(a.notes) as f:
            notes = f.read().strip()
        if notes:
            w(notes)
            w("")
    if gw_recs:
        render_gateway(gw_recs, m, w)
        if a.gateway_notes and os.path.exists(a.gateway_notes):
            with open(a.gateway_notes) as f:
                notes = f.read().strip()
            if notes:
                w(notes)
                w("")
    if ml_recs:
        render_ml(ml_recs, w)
        if a.ml_notes and os.path.exists(a.ml_notes):
            with open(a.ml_notes) as f:
                notes = f.read().strip()
            if notes:
                w(notes)
                w("")
    out.extend(kept_sections(a.keep_sections))
    sys.stdout.write("\n".join(out))


def kept_sections(path):
    """Blocks between "<!-- NAME: begin -->" and "<!-- NAME: end -->" in the
    current BENCHMARKS.md, which other benchmark scripts (bench/oip_mlserver.sh)
    write and own: render carries them through unchanged."""
    if not path or not os.path.exists(path):
        return []
    with open(path) as f:
        text = f.read()
    blocks = re.findall(r"(<!-- ([^:>]+): begin -->.*?<!-- \2: end -->)", text, flags=re.S)
    lines = []
    for block, _ in blocks:
        lines.extend(block.split("\n"))
        lines.append("")
    return lines


# --------------------------------------------------------------------------
# the REST gateway section (issue 3)

TARGET_GW_P50_US = 200.0


def us(ms):
    return None if ms is None else ms * 1000.0


def diff(a, b):
    return None if a is None or b is None else a - b


def gw_total_cpu(r):
    """CPU per request on the serving side: aia-server, plus the gateway."""
    s = r.get("cpu_us_per_req")
    g = r.get("gateway_cpu_us_per_req")
    if s is None:
        return None
    return s + (g or 0.0)


def gw_label(r):
    if r.get("via") == "gateway":
        t = {"http1.1": "HTTP/1.1", "h2c": "HTTP/2 (h2c)"}.get(r.get("transport"), r.get("transport"))
        return f"REST `GET {r.get('http_path')}`, {t}"
    return f"gRPC `{r['call'].split('/')[-1]}`, {r.get('client')}"


def render_gateway(recs, m, w):
    def get(n):
        return recs.get(n)

    low = min((r["concurrency"] for r in recs.values()), default=1)
    high = max((r["concurrency"] for r in recs.values()), default=50)
    dur = next(iter(recs.values()))["duration"]
    w("## REST gateway against direct gRPC (issue 3)")
    w("")
    sizes = ""
    pb = (get(f"gw-gethealth-grpc-c{low}") or {}).get("data_bytes_per_req")
    js = (get(f"gw-gethealth-http1-c{low}") or {}).get("data_bytes_per_req")
    if pb and js:
        sizes = f" (its response: {pb - 5:,.0f} bytes of protobuf, {js:,.0f} bytes of JSON through the gateway)"
    w(f"`bench/rest_gateway.sh`, in the same run as the sections above. The same trivial RPC two ways: "
      f"**REST**, a client → aia-gateway (grpc-gateway {m.get('grpc_gateway', '?')}, grpc-go "
      f"{m.get('gateway_grpc_go', '?')}, {m.get('go', '')}, `--log-level warn`) → aia-server over the "
      f"gateway's one gRPC channel; and **direct**, the client → aia-server over gRPC. "
      f"`GET /mlops/health` is `aia.v1.SystemService/GetHealth`{sizes}; `GET /health` is the gateway's own handler around one "
      f"`grpc.health.v1.Health/Check`. aia-server runs with `--log-level warn`.")
    w("")
    w(f"The client is {m.get('h2load', 'h2load')} on both paths: over HTTP/1.1 (`--h1`, one "
      f"connection per concurrent request) or HTTP/2 cleartext to the gateway, and to aia-server "
      f"with gRPC's framing (POST, `content-type: application/grpc`, `te: trailers`, an empty "
      f"5-byte message), so the difference between the paths is the gateway, not the client. "
      f"ghz (grpc-go, dynamic messages) runs the direct path too, as issue 3 names it; its own "
      f"per-call work shows in its latency. Latencies are exact: h2load writes every request's "
      f"time to its `--log-file` and the percentiles are taken over all of them (nearest rank); "
      f"ghz's are from its JSON report. Pinned: aia-server and the gateway share core 0 (the "
      f"sidecar beside its server; Go sets GOMAXPROCS=1 from the affinity mask), the client has "
      f"core 1. Each run is {dur} after a separate, unmeasured warm-up run; closed loop "
      f"(a new request as soon as one completes) at concurrency {low} (one request at a time: "
      f"latency without queueing) and {high}.")
    w("")
    w("CPU per request is each process's utime + stime over the measured run (/proc/PID/stat) ÷ "
      "requests completed. *Serving CPU* is aia-server's plus, through REST, the gateway's.")
    w("")

    pairs = [
        (f"GetHealth, c={low}: HTTP/1.1 vs gRPC, both h2load",
         f"gw-gethealth-http1-c{low}", f"gw-gethealth-grpc-c{low}", True),
        (f"GetHealth, c={low}: HTTP/2 vs gRPC, both h2load",
         f"gw-gethealth-h2c-c{low}", f"gw-gethealth-grpc-c{low}", True),
        (f"Health/Check, c={low}: `GET /health` HTTP/1.1 vs gRPC, both h2load",
         f"gw-check-http1-c{low}", f"gw-check-grpc-c{low}", True),
        (f"GetHealth, c={low}: HTTP/1.1 (h2load) vs gRPC (ghz)",
         f"gw-gethealth-http1-c{low}", f"gw-gethealth-grpc-ghz-c{low}", False),
        (f"GetHealth, c={high}: HTTP/1.1 vs gRPC, both h2load",
         f"gw-gethealth-http1-c{high}", f"gw-gethealth-grpc-c{high}", True),
        (f"GetHealth, c={high}: HTTP/2 vs gRPC, both h2load",
         f"gw-gethealth-h2c-c{high}", f"gw-gethealth-grpc-c{high}", True),
        (f"GetHealth, c={high}: HTTP/1.1 (h2load) vs gRPC (ghz)",
         f"gw-gethealth-http1-c{high}", f"gw-gethealth-grpc-ghz-c{high}", False),
        (f"GetHealth, c={high}: HTTP/1.1, gateway access log on, vs gRPC, both h2load",
         f"gw-gethealth-http1-c{high}-accesslog", f"gw-gethealth-grpc-c{high}", True),
    ]

    w("### Side by side")
    w("")
    w("Each cell is **REST through aia-gateway / direct gRPC (ratio = REST ÷ direct)**. Latencies in µs.")
    w("")
    w("| pair | req/s | p50 µs | p99 µs | mean µs | serving CPU µs/req | aia-server CPU µs/req | gateway CPU µs/req | gateway VmHWM MiB |")
    w("|---|---|---|---|---|---|---|---|---|")
    for label, rn, dn, _ in pairs:
        r, d = get(rn), get(dn)
        if not r or not d:
            continue
        rr, dd = dict(r), dict(d)
        for x in (rr, dd):
            for k in ("p50_ms", "p99_ms", "avg_ms"):
                x[k.replace("_ms", "_us")] = us(x.get(k))
            x["serving_cpu"] = gw_total_cpu(x)
        w(f"| {label} | {cell(rr, dd, 'rps')} | {cell(rr, dd, 'p50_us')} | {cell(rr, dd, 'p99_us')} "
          f"| {cell(rr, dd, 'avg_us')} | {cell(rr, dd, 'serving_cpu', 1)} | {cell(rr, dd, 'cpu_us_per_req', 1)} "
          f"| {fnum(r.get('gateway_cpu_us_per_req'), 1)} | {fnum(mib(r.get('gateway_vmhwm_kb')), 1)} |")
    w("")

    w(f"### The gateway's added latency (target: p50 under {TARGET_GW_P50_US:.0f} µs)")
    w("")
    w(f"At concurrency {low}, one request at a time, nothing queues: the REST latency minus the direct "
      f"latency of the same RPC, with the same client, is what the gateway adds to a request (its "
      f"HTTP parsing and JSON encoding, its gRPC client call, and the extra hop's wake-ups and "
      f"loopback round trip). The difference of the means is exactly the mean added time; the "
      f"difference of the p50s is the issue's figure.")
    w("")
    w("| pair | REST p50 µs | direct p50 µs | **added p50 µs** | added mean µs | added p99 µs | target | gateway CPU µs/req | aia-server CPU µs/req, REST / direct |")
    w("|---|---|---|---|---|---|---|---|---|")
    for label, rn, dn, same in pairs:
        r, d = get(rn), get(dn)
        if not r or not d or r["concurrency"] != low:
            continue
        add50 = diff(us(r["p50_ms"]), us(d["p50_ms"]))
        if same:
            verdict = "–" if add50 is None else ("met" if add50 < TARGET_GW_P50_US else "**missed**")
        else:
            verdict = "not judged (two clients)"
        w(f"| {label} | {fnum(us(r['p50_ms']))} | {fnum(us(d['p50_ms']))} | **{fnum(add50)}** "
          f"| {fnum(diff(us(r['avg_ms']), us(d['avg_ms'])))} | {fnum(diff(us(r['p99_ms']), us(d['p99_ms'])))} "
          f"| {verdict} | {fnum(r.get('gateway_cpu_us_per_req'), 1)} "
          f"| {fnum(r.get('cpu_us_per_req'), 1)} / {fnum(d.get('cpu_us_per_req'), 1)} |")
    w("")

    w("### Every gateway run")
    w("")
    w("| run | path | client | concurrency | requests | errors | req/s | mean µs | p50 µs | p90 µs | p99 µs | p99.9 µs "
      "| aia-server's own p50 / p99 µs | aia-server CPU µs/req | gateway CPU µs/req | client CPU µs/req "
      "| other load % | aia-server VmHWM MiB | gateway VmHWM / VmRSS MiB | gateway threads | response bytes/req |")
    w("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in recs.values():
        path = gw_label(r)
        if r.get("gateway_log") and r.get("gateway_log") != "warn":
            path += f" (gateway `--log-level {r['gateway_log']}`: access log on)"
        sp = "–" if r.get("server_p50_ms") is None else \
            f"{fnum(us(r['server_p50_ms']))} / {fnum(us(r['server_p99_ms']))}"
        gmem = "–" if r.get("gateway_vmhwm_kb") is None else \
            f"{fnum(mib(r['gateway_vmhwm_kb']), 1)} / {fnum(mib(r['gateway_vmrss_kb']), 1)}"
        w(f"| {r['name']} | {path} | {r.get('client')} | {r['concurrency']} | {fnum(r['requests'])} "
          f"| {fnum(r['errors'])} | {fnum(r['rps'])} | {fnum(us(r['avg_ms']))} | {fnum(us(r['p50_ms']))} "
          f"| {fnum(us(r['p90_ms']))} | {fnum(us(r['p99_ms']))} | {fnum(us(r.get('p999_ms')))} | {sp} "
          f"| {fnum(r['cpu_us_per_req'], 1)} | {fnum(r.get('gateway_cpu_us_per_req'), 1)} "
          f"| {fnum(client_us(r), 1)} | {fnum(r.get('other_cpu_pct'), 1)} | {fnum(mib(r['vmhwm_kb']), 1)} "
          f"| {gmem} | {fnum(r.get('gateway_threads'))} | {fnum(r.get('data_bytes_per_req'))} |")
    w("")
    w("*aia-server's own p50 / p99*: its latency histogram for the method (call arrival to status sent, "
      "warm-up included), read with GetSystemPerformance after the run. *response bytes/req*: h2load's "
      "body bytes ÷ requests (for gRPC, the 5-byte frame header plus the message): a check that every "
      "request got the full answer. *other load %*: busy CPU (/proc/stat) used by neither aia-server, "
      "the gateway nor the client, as a share of all cores: above a few percent the run was disturbed.")
    write_errors(w, recs, "the clients")
    w("")

# --------------------------------------------------------------------------
# the embedded ML engine (issue 4)

# The goals for the GBDT, against LightGBM.
ML_TRAIN_RATIO_MAX = 1.5
ML_AUC_DELTA_MAX = 0.002
ML_SINGLE_US_MAX = 5.0

ML_LABELS = {
    "aia-gbdt": "aia GBDT (lib/ml/gbdt.h)",
    "lightgbm": "LightGBM",
    "xgboost": "XGBoost (hist)",
    "sklearn-hgb": "scikit-learn HistGradientBoosting",
    "aia-logistic": "aia logistic regression (lib/ml/linear.h)",
    "sklearn-logistic": "scikit-learn LogisticRegression (lbfgs)",
}


def cmd_ml_record(a):
    with open(a.inp) as f:
        rec = json.load(f)
    man = {}
    try:
        with open(os.path.join(a.data, "manifest.json")) as f:
            man = json.load(f)
    except (OSError, ValueError):
        pass
    cpu_s = None
    if a.cpu_file:
        try:
            with open(a.cpu_file) as f:
                cpu_s = float(f.read().strip())
        except (OSError, ValueError):
            pass
    other = None
    if a.machine_busy_ticks is not None and cpu_s is not None and a.wall and a.ncpu:
        other = max(0.0, 100.0 * (a.machine_busy_ticks / a.clk_tck - cpu_s) / (a.wall * a.ncpu))
    key = a.name[len("ml-"):] if a.name.startswith("ml-") else a.name
    rec.update({
        "name": a.name,
        "suite": "ml",
        "key": key,
        "dataset": {k: man.get(k) for k in ("make_classification", "split", "rows", "positives",
                                             "sha256", "versions", "bytes")},
        "process_cpu_s": cpu_s,
        "process_wall_s": a.wall,
        "other_cpu_pct": other,
        "taskset": a.taskset,
        "loadavg_start": a.loadavg_start,
        "loadavg_end": a.loadavg_end,
        "commit": a.commit,
        "attempt": a.attempt,
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
    })
    with open(a.out, "w") as f:
        json.dump(rec, f, indent=1, sort_keys=True)
        f.write("\n")


def cmd_ml_summary(a):
    recs = load(a.files)
    print(f"{'model':22} {'train s':>8} {'AUC':>8} {'peak MiB':>9} {'batch rows/s':>13} "
          f"{'1-row p50 µs':>12} {'1-row p99 µs':>12} {'other %':>7}")
    for r in recs.values():
        print(f"{r['key']:22} {fnum(r['train_s'], 2):>8} {fnum(r['auc'], 5):>8} "
              f"{fnum(mib(r.get('vmhwm_train_kb')), 1):>9} {fnum(r['batch_rows_per_s']):>13} "
              f"{fnum(r['single_p50_us'], 2):>12} {fnum(r['single_p99_us'], 2):>12} "
              f"{fnum(r.get('other_cpu_pct'), 1):>7}")


def ml_added_mib(r):
    h, b = r.get("vmhwm_train_kb"), r.get("vmrss_before_train_kb")
    return None if h is None or b is None else (h - b) / 1024.0


def ml_version(r):
    v = r.get("versions") or {}
    lib = {"lightgbm": "lightgbm", "xgboost": "xgboost", "sklearn-hgb": "scikit-learn",
           "sklearn-logistic": "scikit-learn"}.get(r["key"])
    return v.get(lib, "") if lib else (r.get("commit") or "")


def ml_single_verdict(r):
    """The goal is judged on the median; say so when the mean is over it."""
    p50 = r["single_p50_us"]
    means = [v for v in (r.get("single_mean_us"), r.get("single_loop_mean_us")) if v is not None]
    if p50 >= ML_SINGLE_US_MAX:
        return "**missed**"
    if means and max(means) >= ML_SINGLE_US_MAX:
        return f"met at the median; the mean ({max(means):.2f} µs) is not under {ML_SINGLE_US_MAX:.0f} µs"
    return "met"


def render_ml(recs, w):
    by = {r["key"]: r for r in recs.values()}
    any_r = next(iter(recs.values()))
    ds = any_r.get("dataset") or {}
    mc = ds.get("make_classification") or {}
    rows = ds.get("rows") or {}
    sha = ds.get("sha256") or {}
    dver = ds.get("versions") or {}
    peer_ver = {}
    for r in recs.values():
        peer_ver.update(r.get("versions") or {})
    ours = by.get("aia-gbdt")
    dates = sorted(r.get("date", "") for r in recs.values())
    loads = [r.get("loadavg_start", "") for r in sorted(recs.values(), key=lambda r: r.get("date", ""))]
    w("## Embedded ML engine (issue 4)")
    w("")
    w("`bench/ml_gbdt.sh` (see bench/README.md), run separately from the sections above, on the same "
      "machine. Our engine (lib/ml, through the C driver bench/ml/ml_bench.c, Bazel `-c opt`, jemalloc) "
      "against LightGBM, XGBoost and scikit-learn from PyPI, on the same CSV files, each model in a "
      "process of its own.")
    w("")
    w("| | |")
    w("|---|---|")
    w(f"| date | {dates[0]}" + (f" to {dates[-1]}" if dates[-1] != dates[0] else "") + " |")
    w(f"| load average (1, 5, 15 min) at the start of each model's run | {', '.join(l for l in loads if l)} |")
    commits = sorted({r.get("commit", "") for r in recs.values()})
    w(f"| git commit | {', '.join('`' + c + '`' for c in commits)} |")
    w(f"| data | `make_classification(n_samples={mc.get('n_samples', 0):,}, n_features={mc.get('n_features')}, "
      f"n_informative={mc.get('n_informative')}, n_redundant={mc.get('n_redundant')}, "
      f"n_clusters_per_class={mc.get('n_clusters_per_class')}, class_sep={mc.get('class_sep')}, "
      f"flip_y={mc.get('flip_y')}, random_state={mc.get('random_state')})` (scikit-learn "
      f"{dver.get('scikit-learn', '?')}, numpy {dver.get('numpy', '?')}), stratified 80/20 split: "
      f"{fnum(rows.get('train.csv'))} training rows, {fnum(rows.get('test.csv'))} test rows, written once "
      f"as CSV with `repr()` floats (train.csv SHA-256 `{(sha.get('train.csv') or '')[:16]}…`) |")
    w(f"| peers | LightGBM {peer_ver.get('lightgbm', '?')}, XGBoost {peer_ver.get('xgboost', '?')} "
      f"(xgboost-cpu wheel), scikit-learn {peer_ver.get('scikit-learn', '?')}, numpy "
      f"{peer_ver.get('numpy', '?')}, SciPy {peer_ver.get('scipy', '?')}, Python {peer_ver.get('python', '?')} |")
    w(f"| threads | {any_r.get('threads')} per model (`OMP_NUM_THREADS={any_r.get('threads')}` and each "
      f"library's own setting); every process under `taskset -c {any_r.get('taskset')}`: with 2 threads "
      f"on a 2-core machine, both cores, so nothing else of ours runs beside it |")
    w("")
    w("Settings: ours `n_rounds=100, max_leaves=31, learning_rate=0.1, min_samples_leaf=20, "
      "min_hessian_leaf=1e-3, lambda_l2=0, max_bins=255, threads=2`, no early stopping; LightGBM "
      "`LGBMClassifier(n_estimators=100, num_leaves=31, learning_rate=0.1, min_child_samples=20, "
      "max_bin=255, n_jobs=2)`, row- or column-wise histograms left to LightGBM"
      + (f" (it chose: \"{md_escape(by['lightgbm'].get('lightgbm_multithreading', '').splitlines()[0])}\")"
         if by.get("lightgbm") and by["lightgbm"].get("lightgbm_multithreading") else "")
      + "; XGBoost `XGBClassifier(tree_method=\"hist\", grow_policy=\"lossguide\", max_leaves=31, "
      "max_depth=0, learning_rate=0.1, n_estimators=100, max_bin=256, n_jobs=2)` (its defaults otherwise: "
      "`min_child_weight=1` on the hessian, `reg_lambda=1`); scikit-learn "
      "`HistGradientBoostingClassifier(max_iter=100, max_leaf_nodes=31, learning_rate=0.1, "
      "early_stopping=False)` (`min_samples_leaf=20`, `max_bins=255` by default). Logistic regression: "
      "the features standardised with the training set's mean and standard deviation (not timed), then "
      "ours (`C=1, max_iter=100, tol=1e-4`, L-BFGS, 2 threads) and scikit-learn's "
      "`LogisticRegression(C=1, max_iter=100, solver=\"lbfgs\")` on the same numbers.")
    w("")
    w("Measured: *train s*, wall time (monotonic clock) of the training call alone (the library's "
      "binning included, CSV parsing not); *peak MiB*, VmHWM of the process over training alone "
      "(the peak is reset by writing 5 to /proc/self/clear_refs just before, so it is the resident "
      "data plus whatever training adds; *added* is that peak minus VmRSS just before training); "
      f"*AUC*, test ROC AUC of P(class 1); *batch rows/s*, test rows ÷ the best of {any_r.get('batch_repeats')} "
      "predictions of the whole test set in one call (ours: `aia_gbdt_predict_batch` / "
      "`aia_linear_predict_batch`: the GBDT spreads a batch this large over the CPUs the process may use, here the 2 of its `taskset`, the linear model runs on the calling thread; the peers predict with their 2 threads); *1-row*, one prediction of one row, each call "
      "timed on its own: ours is `aia_gbdt_predict` (`aia_linear_predict`) on row-major copies of test "
      f"rows, {fnum((ours or any_r).get('single_calls'))} calls (the clock pair itself costs "
      f"{fnum(1000 * ((ours or any_r).get('timer_overhead_p50_us') or 0))} ns); the peers' is their Python "
      f"call on a (1, {any_r.get('features')}) array (LightGBM `Booster.predict`, XGBoost "
      "`Booster.inplace_predict`, scikit-learn `predict_proba`), "
      f"{fnum((by.get('lightgbm') or any_r).get('single_calls'))} calls, so it includes each library's "
      "Python entry cost and is not the engine's alone. The peers' *peak MiB* includes the Python "
      "interpreter and the libraries (about 100 MiB before any data): compare *added MiB*.")
    w("")

    if ours:
        w("### Gradient-boosted trees side by side")
        w("")
        w("Each cell is **ours / the peer (ratio = ours ÷ peer)**; for AUC, the difference ours − peer. "
          "For rows/s a ratio above 1 favours ours, for time, memory and latency a ratio below 1 does.")
        w("")
        w("| peer | train s | peak MiB | added MiB | AUC | batch rows/s | 1-row p50 µs | 1-row p99 µs |")
        w("|---|---|---|---|---|---|---|---|")
        for key in ("lightgbm", "xgboost", "sklearn-hgb"):
            p = by.get(key)
            if not p:
                continue
            o2, p2 = dict(ours), dict(p)
            for x in (o2, p2):
                x["hwm_mib"] = mib(x.get("vmhwm_train_kb"))
                x["added_mib"] = ml_added_mib(x)
            auc_d = ours["auc"] - p["auc"]
            w(f"| {ML_LABELS[key]} {ml_version(p)} | {cell(o2, p2, 'train_s', 2)} | {cell(o2, p2, 'hwm_mib', 1)} "
              f"| {cell(o2, p2, 'added_mib', 1)} | {ours['auc']:.5f} / {p['auc']:.5f} ({auc_d:+.5f}) "
              f"| {cell(o2, p2, 'batch_rows_per_s')} | {cell(o2, p2, 'single_p50_us', 2)} "
              f"| {cell(o2, p2, 'single_p99_us', 2)} |")
        w("")
        lg = by.get("lightgbm")
        w("### The issue's goals (GBDT against LightGBM)")
        w("")
        w("| goal | ours | LightGBM | figure | verdict |")
        w("|---|---|---|---|---|")
        if lg:
            rt = ours["train_s"] / lg["train_s"]
            w(f"| training time ≤ {ML_TRAIN_RATIO_MAX}× LightGBM's | {ours['train_s']:.2f} s | {lg['train_s']:.2f} s "
              f"| {rt:.2f}× | {'met' if rt <= ML_TRAIN_RATIO_MAX else '**missed**'} |")
            d = ours["auc"] - lg["auc"]
            w(f"| test AUC within {ML_AUC_DELTA_MAX} of LightGBM's | {ours['auc']:.5f} | {lg['auc']:.5f} "
              f"| {d:+.5f} | {'met' if abs(d) <= ML_AUC_DELTA_MAX else '**missed**'} |")
            rb = ours["batch_rows_per_s"] / lg["batch_rows_per_s"]
            w(f"| batch prediction ≥ LightGBM's throughput | {fnum(ours['batch_rows_per_s'])} rows/s "
              f"| {fnum(lg['batch_rows_per_s'])} rows/s | {rb:.2f}× | {'met' if rb >= 1 else '**missed**'} |")
        p50 = ours["single_p50_us"]
        w(f"| single-row prediction < {ML_SINGLE_US_MAX:.0f} µs | p50 {p50:.2f} µs (p99 "
          f"{ours['single_p99_us']:.2f}, mean of an untimed loop {fnum(ours.get('single_loop_mean_us'), 2)}) "
          f"| {fnum(lg['single_p50_us'], 1) + ' µs (Python call)' if lg else '–'} | p50 "
          f"| {ml_single_verdict(ours)} |")
        w("")

    lo, ls = by.get("aia-logistic"), by.get("sklearn-logistic")
    if lo and ls:
        w("### Logistic regression against scikit-learn")
        w("")
        w("| | ours | scikit-learn | ratio / difference |")
        w("|---|---|---|---|")
        w(f"| train s | {lo['train_s']:.3f} | {ls['train_s']:.3f} | {ratio(lo['train_s'], ls['train_s'])} |")
        w(f"| L-BFGS iterations | {fnum(lo.get('n_iter'))} | {fnum(ls.get('n_iter'))} | |")
        w(f"| test AUC | {lo['auc']:.5f} | {ls['auc']:.5f} | {lo['auc'] - ls['auc']:+.5f} |")
        w(f"| peak MiB (added by training) | {fnum(mib(lo.get('vmhwm_train_kb')), 1)} ({fnum(ml_added_mib(lo), 1)}) "
          f"| {fnum(mib(ls.get('vmhwm_train_kb')), 1)} ({fnum(ml_added_mib(ls), 1)}) "
          f"| {ratio(mib(lo.get('vmhwm_train_kb')), mib(ls.get('vmhwm_train_kb')))} |")
        w(f"| batch rows/s | {fnum(lo['batch_rows_per_s'])} | {fnum(ls['batch_rows_per_s'])} "
          f"| {ratio(lo['batch_rows_per_s'], ls['batch_rows_per_s'])} |")
        w(f"| 1-row p50 µs | {fnum(lo['single_p50_us'], 2)} | {fnum(ls['single_p50_us'], 1)} (Python call) | |")
        w("")

    w("### Every model")
    w("")
    w("| model | version | train s | trees / iterations | AUC | peak MiB: after reading data / over training / end "
      "| added by training MiB | batch rows/s best / median | 1-row p50 / p99 / mean µs | 1-row calls "
      "| process CPU s / wall s | other load % | load avg at start | run kept / runs |")
    w("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    order = ["aia-gbdt", "lightgbm", "xgboost", "sklearn-hgb", "aia-logistic", "sklearn-logistic"]
    for key in order + sorted(k for k in by if k not in order):
        r = by.get(key)
        if not r:
            continue
        its = r.get("rounds") if r.get("rounds") is not None else r.get("n_iter")
        w(f"| {ML_LABELS.get(key, key)} | {md_escape(str(ml_version(r)))} | {r['train_s']:.3f} | {fnum(its)} "
          f"| {r['auc']:.5f} | {fnum(mib(r.get('vmhwm_load_kb')), 1)} / {fnum(mib(r.get('vmhwm_train_kb')), 1)} "
          f"/ {fnum(mib(r.get('vmhwm_end_kb')), 1)} | {fnum(ml_added_mib(r), 1)} "
          f"| {fnum(r['batch_rows_per_s'])} / {fnum(r.get('batch_rows_per_s_median'))} "
          f"| {fnum(r['single_p50_us'], 2)} / {fnum(r['single_p99_us'], 2)} / {fnum(r.get('single_mean_us'), 2)} "
          f"| {fnum(r.get('single_calls'))} | {fnum(r.get('process_cpu_s'), 1)} / {fnum(r.get('process_wall_s'), 1)} "
          f"| {fnum(r.get('other_cpu_pct'), 1)} | {r.get('loadavg_start', '')} "
          f"| {r.get('attempt', 1)} / {r.get('attempts', 1)} |")
    w("")
    w("*after reading data*: VmHWM once both CSV files are parsed (our reader maps the file and drops the "
      "pages it has parsed; numpy's `loadtxt` holds its arrays). *process CPU s / wall s*: user + sys and "
      "wall time of the whole process (reading the data, training, every prediction). *other load %*: "
      "busy CPU of the machine (/proc/stat) not used by the process, as a share of both cores: above a "
      "few percent something else was running and the times are noisy. *run kept / runs*: a model whose "
      "run had more than 5 % of other load was run again (3 runs at most, after waiting for the load "
      "average to fall below 1) and the least disturbed run is the one shown.")
    w("")


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("record")
    r.add_argument("--out", required=True)
    r.add_argument("--name", required=True)
    r.add_argument("--server", required=True)
    r.add_argument("--call", required=True)
    r.add_argument("--pin", required=True)
    r.add_argument("--log", required=True)
    r.add_argument("--server-args", default="")
    r.add_argument("--ghz", help="ghz's JSON report (-O json)")
    r.add_argument("--h2load-out", help="h2load's stdout (instead of --ghz)")
    r.add_argument("--h2load-log", help="h2load's --log-file (instead of --ghz)")
    r.add_argument("--suite", default="grpc", help="grpc (issue 2) or gateway (issue 3)")
    r.add_argument("--via", default="direct", help="direct, or gateway (through aia-gateway)")
    r.add_argument("--transport", default="grpc", help="grpc, http1.1 or h2c")
    r.add_argument("--http-path", default="")
    r.add_argument("--gw-ticks", type=int, help="the gateway's utime+stime delta, clock ticks")
    r.add_argument("--gw-args", default="")
    r.add_argument("--gw-log", default="")
    r.add_argument("--gw-vmhwm-kb", type=int)
    r.add_argument("--gw-vmrss-kb", type=int)
    r.add_argument("--gw-threads", type=int)
    r.add_argument("--gw-log-bytes", type=int)
    r.add_argument("--ticks", type=int, required=True)
    r.add_argument("--clk-tck", type=int, required=True)
    r.add_argument("--vmhwm-kb", type=int)
    r.add_argument("--vmrss-kb", type=int)
    r.add_argument("--threads", type=int)
    r.add_argument("--log-bytes", type=int)
    r.add_argument("--duration", default="")
    r.add_argument("--concurrency", type=int)
    r.add_argument("--client-cpu")
    r.add_argument("--machine-busy-ticks", type=int)
    r.add_argument("--ncpu", type=int)
    r.add_argument("--server-perf")
    r.add_argument("--rps-limit", type=int, default=0)
    e = sub.add_parser("exec-cpu")
    e.add_argument("out")
    e.add_argument("argv", nargs=argparse.REMAINDER)
    s = sub.add_parser("summary")
    s.add_argument("files", nargs="+")
    d = sub.add_parser("render")
    d.add_argument("--results", required=True)
    d.add_argument("--perf-dir")
    d.add_argument("--notes")
    d.add_argument("--gateway-notes", help="hand-written reading of the REST gateway figures")
    d.add_argument("--machine", help="machine.json written by `report.py machine` at run time")
    d.add_argument("--ml-notes", help="hand-written reading of the embedded ML figures")
    d.add_argument("--keep-sections", help="the current BENCHMARKS.md: its <!-- NAME: begin/end --> blocks are "
                   "carried through (sections other scripts own)")
    mr = sub.add_parser("ml-record")
    mr.add_argument("--in", dest="inp", required=True)
    mr.add_argument("--out", required=True)
    mr.add_argument("--name", required=True)
    mr.add_argument("--data", required=True, help="the data set's directory (manifest.json)")
    mr.add_argument("--cpu-file", help="exec-cpu's output: the process's user+sys seconds")
    mr.add_argument("--wall", type=float, help="the process's wall time, s")
    mr.add_argument("--machine-busy-ticks", type=int)
    mr.add_argument("--clk-tck", type=int, default=100)
    mr.add_argument("--ncpu", type=int)
    mr.add_argument("--taskset", default="")
    mr.add_argument("--loadavg-start", default="")
    mr.add_argument("--loadavg-end", default="")
    mr.add_argument("--commit", default="")
    mr.add_argument("--attempt", type=int, default=1)
    ms = sub.add_parser("ml-summary")
    ms.add_argument("files", nargs="+")
    sub.add_parser("machine")
    a = p.parse_args()
    {"record": cmd_record, "summary": cmd_summary, "render": cmd_render,
     "exec-cpu": cmd_exec_cpu, "ml-record": cmd_ml_record, "ml-summary": cmd_ml_summary,
     "machine": lambda a: print(json.dumps(machine(), indent=1))}[a.cmd](a)


if __name__ == "__main__":
    main()
