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
      run's raw figures and, when a perf profile exists, where the time goes.

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


def cmd_record(a):
    with open(a.ghz) as f:
        ghz = json.load(f)
    codes = ghz.get("statusCodeDistribution") or {}
    count = int(ghz.get("count", 0))
    ok = int(codes.get("OK", 0))
    cpu_s = a.ticks / a.clk_tck
    wall_s = ghz.get("total", 0) / 1e9
    client_cpu_s = None
    if a.client_cpu:
        try:
            with open(a.client_cpu) as f:
                client_cpu_s = float(f.read().strip())
        except (OSError, ValueError):
            pass
    # CPU that neither the server nor ghz used: other processes on the
    # machine, a sign of a noisy measurement.
    other_pct = None
    if a.machine_busy_ticks is not None and client_cpu_s is not None and wall_s and a.ncpu:
        other = a.machine_busy_ticks / a.clk_tck - cpu_s - client_cpu_s
        other_pct = max(0.0, 100.0 * other / (wall_s * a.ncpu))
    server_p50 = server_p99 = None
    if a.server_perf:
        try:
            with open(a.server_perf) as f:
                perf = json.load(f)
            for m in perf.get("methods") or []:
                if m.get("method") == "/" + a.call:
                    server_p50, server_p99 = m.get("p50Ms"), m.get("p99Ms")
        except (OSError, ValueError):
            pass
    rec = {
        "rps_limit": a.rps_limit,
        "server_p50_ms": server_p50,
        "server_p99_ms": server_p99,
        "name": a.name,
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
        "status_codes": codes,
        "error_distribution": ghz.get("errorDistribution") or {},
        "rps": ghz.get("rps", 0.0),
        "ok_rps": ok / (ghz["total"] / 1e9) if ghz.get("total") else 0.0,
        "avg_ms": ghz.get("average", 0) / 1e6,
        "p50_ms": percentile(ghz, 50),
        "p90_ms": percentile(ghz, 90),
        "p99_ms": percentile(ghz, 99),
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
    hdr = f"{'scenario':34} {'req/s':>9} {'p50 ms':>7} {'p99 ms':>7} {'CPU µs/req':>10} {'VmHWM MiB':>9} {'errors':>6} {'other %':>7}"
    print(hdr)
    for r in recs.values():
        print(f"{r['name']:34} {fnum(r['rps']):>9} {fnum(r['p50_ms'], 2):>7} {fnum(r['p99_ms'], 2):>7} "
              f"{fnum(r['cpu_us_per_req'], 1):>10} {fnum(mib(r['vmhwm_kb']), 1):>9} {r['errors']:>6} {fnum(r.get('other_cpu_pct'), 1):>7}")


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
    }


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


def sside(r):
    if r.get("server_p50_ms") is None:
        return "–"
    return f"{fnum(r['server_p50_ms'], 2)} / {fnum(r['server_p99_ms'], 2)}"


def client_us(r):
    c, n = r.get("client_cpu_s"), r.get("requests")
    return c * 1e6 / n if c is not None and n else None


def cmd_render(a):
    recs = load(sorted(glob.glob(os.path.join(a.results, "*.json"))))
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
      "The closing \"Reading the figures\" section is hand-written, in bench/analysis.md.")
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
    errs = {r["name"]: r["error_distribution"] for r in recs.values() if r["errors"]}
    if errs:
        w("")
        w("Errors reported by ghz:")
        w("")
        for n, d in errs.items():
            for msg, c in d.items():
                w(f"- {n}: {c} × {md_escape(msg)}")
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
    sys.stdout.write("\n".join(out))


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
    r.add_argument("--ghz", required=True)
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
    d.add_argument("--machine", help="machine.json written by `report.py machine` at run time")
    sub.add_parser("machine")
    a = p.parse_args()
    {"record": cmd_record, "summary": cmd_summary, "render": cmd_render,
     "exec-cpu": cmd_exec_cpu,
     "machine": lambda a: print(json.dumps(machine(), indent=1))}[a.cmd](a)


if __name__ == "__main__":
    main()
