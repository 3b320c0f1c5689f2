#!/usr/bin/env python3
"""bench/llm/report.py — records and renders bench/llm_local.sh's runs.

  report.py record --name N --in DRIVER.json --time-file T --wall S --busy-ticks B
                   --clk-tck C --ncpu K --loadavg-start L --loadavg-end L
                   --commit X --taskset CPUS --out RESULT.json
  report.py summary RESULTS_DIR
  report.py render --results RESULTS_DIR --benchmarks BENCHMARKS.md --model GGUF

record adds the run's context to a driver's JSON (aia-llm-bench or
peer.mjs): CPU seconds and peak RSS of the process (/usr/bin/time), and the
CPU the rest of the machine used meanwhile ("other load %": busy ticks of
/proc/stat minus the process's own CPU, over wall time x CPUs). render
replaces the section between the markers below in BENCHMARKS.md (appends it
when absent) and leaves the rest of the file as it is.
"""
import argparse
import datetime
import hashlib
import json
import os
import platform
import sys

BEGIN = "<!-- bench/llm_local.sh: begin -->"
END = "<!-- bench/llm_local.sh: end -->"
NAMES = [("aia-exact", "ours, exact path"), ("aia-fast", "ours, fast path (int8 activations)"),
         ("llamacpp", "llama.cpp (node-llama-cpp 3.21.1)")]
GOAL = 0.8


def cmd_record(a):
    with open(a.inp) as f:
        r = json.load(f)
    with open(a.time_file) as f:
        user, sys_, maxrss = f.read().split()[-3:]
    cpu = float(user) + float(sys_)
    busy = a.busy_ticks / a.clk_tck
    r.update(name=a.name, wall_s=a.wall, cpu_s=cpu, maxrss_kb=int(maxrss),
             other_load_pct=max(0.0, (busy - cpu) / (a.wall * a.ncpu) * 100.0),
             loadavg_start=a.loadavg_start, loadavg_end=a.loadavg_end, commit=a.commit,
             taskset=a.taskset, date=datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"))
    with open(a.out, "w") as f:
        json.dump(r, f, indent=1)


def median(v):
    v = sorted(v)
    n = len(v)
    return v[n // 2] if n % 2 else 0.5 * (v[n // 2 - 1] + v[n // 2])


def load(results):
    """Each engine's rounds (NAME-rK.json) merged: all repeats' speeds, the
    best and the median, and every round's context."""
    recs = {}
    for name, _ in NAMES:
        rounds = []
        for fn in sorted(os.listdir(results)):
            if fn.startswith(name + "-r") and fn.endswith(".json"):
                with open(os.path.join(results, fn)) as f:
                    rounds.append(json.load(f))
        if not rounds:
            sys.exit(f"report.py: no {name}-r*.json in {results}")
        r = dict(rounds[0])
        r["rounds"] = rounds
        r["prompt_s"] = [s for x in rounds for s in x["prompt_s"]]
        r["gen_s"] = [s for x in rounds for s in x["gen_s"]]
        pt = [r["prompt_tokens"] / s for s in r["prompt_s"]]
        gt = [r["gen_tokens"] / s for s in r["gen_s"]]
        r.update(prompt_tps_best=max(pt), prompt_tps_median=median(pt), gen_tps_best=max(gt),
                 gen_tps_median=median(gt), maxrss_kb=max(x["maxrss_kb"] for x in rounds),
                 loadavg_start=", ".join(x["loadavg_start"].split()[0] for x in rounds),
                 other_load=", ".join(f"{x['other_load_pct']:.0f}" for x in rounds))
        recs[name] = r
    return recs


def common_prefix(a, b):
    n = 0
    for x, y in zip(a, b):
        if x != y:
            break
        n += 1
    return n


def cmd_summary(a):
    recs = load(a.results)
    peer = recs["llamacpp"]
    for name, label in NAMES:
        r = recs[name]
        print(f"{label:36s} prompt best {r['prompt_tps_best']:6.1f} t/s ({r['prompt_tps_best'] / peer['prompt_tps_best']:.2f}x)"
              f" median {r['prompt_tps_median']:6.1f}; generation best {r['gen_tps_best']:6.1f} t/s"
              f" ({r['gen_tps_best'] / peer['gen_tps_best']:.2f}x) median {r['gen_tps_median']:6.1f}"
              f" ({r['gen_tps_median'] / peer['gen_tps_median']:.2f}x); load {r['loadavg_start']}; other % {r['other_load']}")


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def section(recs, model):
    peer = recs["llamacpp"]
    ex, fa = recs["aia-exact"], recs["aia-fast"]
    out = [BEGIN, "", "## The local LLM provider against llama.cpp (issue 7)", ""]
    out.append(f"Run {ex['date']} on {cpu_model()} ({os.cpu_count()} CPUs), commit {ex['commit']}, "
               f"by `bench/llm_local.sh`. Model: `{os.path.basename(model)}` (SHA-256 {sha256(model)[:16]}…), "
               f"the default model scripts/setup.sh fetches. Each engine runs in its own process under "
               f"`taskset -c {ex['taskset']}` with {ex['threads']} threads, one after the other, on the same "
               f"{ex['prompt_tokens']} prompt token ids (bench/llm/prompt.txt encoded by the GGUF's tokenizer); "
               f"*prompt* is one batch evaluation of them, *generation* is {ex['gen_tokens']} greedy single-token "
               f"decodes after it. {len(ex['rounds'])} rounds (exact, fast, llama.cpp, then again), "
               f"{ex['repeats']} repeats per process, each on a fresh context: {len(ex['gen_s'])} repeats per "
               f"engine. The table's speeds are each engine's best repeat (the least disturbed by the rest of "
               f"the machine), ratios best against best; the median of all repeats is given beside them.")
    out.append("")
    out.append("| engine | prompt tokens/s | generation tokens/s | prompt vs llama.cpp | generation vs llama.cpp "
               "| generation median (vs llama.cpp) | 1-min load at start, per round | other load %, per round "
               "| peak RSS MiB |")
    out.append("|---|---:|---:|---:|---:|---:|---|---|---:|")
    for name, label in NAMES:
        r = recs[name]
        out.append(f"| {label} | {r['prompt_tps_best']:.1f} | {r['gen_tps_best']:.1f} "
                   f"| {r['prompt_tps_best'] / peer['prompt_tps_best']:.2f}× "
                   f"| {r['gen_tps_best'] / peer['gen_tps_best']:.2f}× "
                   f"| {r['gen_tps_median']:.1f} ({r['gen_tps_median'] / peer['gen_tps_median']:.2f}×) "
                   f"| {r['loadavg_start']} | {r['other_load']} | {r['maxrss_kb'] / 1024:.0f} |")
    out.append("")
    for r, label in ((ex, "exact path"), (fa, "fast path")):
        ratio = r["gen_tps_best"] / peer["gen_tps_best"]
        verdict = "**met**" if ratio >= GOAL else "**missed**"
        out.append(f"- Generation, ours ({label}) / llama.cpp, best repeats: {r['gen_tps_best']:.1f} / "
                   f"{peer['gen_tps_best']:.1f} tokens/s = **{ratio:.2f}×** (goal ≥ {GOAL}×: {verdict}); "
                   f"medians {r['gen_tps_median'] / peer['gen_tps_median']:.2f}×")
    out.append("")
    rounds = [x for n, _ in NAMES for x in recs[n]["rounds"]]
    worst_load = max(float(x["loadavg_start"].split()[0]) for x in rounds)
    worst_other = max(x["other_load_pct"] for x in rounds)
    if worst_load >= 1.0 or worst_other > 5.0:
        out.append(f"**Disturbed run:** other work shared the 2 CPUs (1-minute load up to {worst_load:.2f} at a "
                   f"process's start, up to {worst_other:.0f} % of the machine's CPU used by other processes "
                   f"during one). Repeats then vary by up to several times (see below), llama.cpp's generation "
                   f"most (its threads spin-wait for each other); the best repeats are the closest to a quiet "
                   f"machine, the medians say how each engine bears the disturbance.")
        out.append("")
    n_cmp = min(len(ex["greedy_ids"]), len(peer["greedy_ids"]))
    out.append(f"Greedy tokens equal to llama.cpp's before the first difference (of {n_cmp}): "
               f"exact path {common_prefix(ex['greedy_ids'], peer['greedy_ids'])}, "
               f"fast path {common_prefix(fa['greedy_ids'], peer['greedy_ids'])}.")
    out.append("")
    out.append("Per repeat (seconds): " + "; ".join(
        f"{label.split(' (')[0]}: prompt {', '.join(f'{s:.3f}' for s in recs[n]['prompt_s'])}, "
        f"generation {', '.join(f'{s:.3f}' for s in recs[n]['gen_s'])}" for n, label in NAMES) + ".")
    out.append("")
    out.append(f"llama.cpp: the prebuilt CPU binaries of npm `node-llama-cpp@3.21.1` "
               f"(llama.cpp release tag `{peer.get('llama_cpp_release')}` as the package names it; ggml picks "
               f"its CPU variant for this machine at load), driven by bench/llm/peer.mjs: "
               f"`evaluateWithoutGeneratingNewTokens` for the prompt, `evaluate` with temperature 0 for "
               f"generation; the node wrapper's per-token work is part of its generation time. Other load % is "
               f"the CPU the rest of the machine used during the process (other engineers' builds share it).")
    out.append("")
    out.append(END)
    return "\n".join(out) + "\n"


def cmd_render(a):
    recs = load(a.results)
    text = open(a.benchmarks).read() if os.path.exists(a.benchmarks) else ""
    sec = section(recs, a.model)
    if BEGIN in text and END in text:
        head, rest = text.split(BEGIN, 1)
        tail = rest.split(END, 1)[1]
        text = head + sec.rstrip("\n") + tail
    else:
        text = text.rstrip("\n") + "\n\n" + sec
    with open(a.benchmarks, "w") as f:
        f.write(text)


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("record")
    r.add_argument("--name", required=True)
    r.add_argument("--in", dest="inp", required=True)
    r.add_argument("--time-file", required=True)
    r.add_argument("--wall", type=float, required=True)
    r.add_argument("--busy-ticks", type=int, required=True)
    r.add_argument("--clk-tck", type=int, default=100)
    r.add_argument("--ncpu", type=int, required=True)
    r.add_argument("--loadavg-start", default="")
    r.add_argument("--loadavg-end", default="")
    r.add_argument("--commit", default="")
    r.add_argument("--taskset", default="")
    r.add_argument("--out", required=True)
    s = sub.add_parser("summary")
    s.add_argument("results")
    d = sub.add_parser("render")
    d.add_argument("--results", required=True)
    d.add_argument("--benchmarks", required=True)
    d.add_argument("--model", required=True)
    a = p.parse_args()
    {"record": cmd_record, "summary": cmd_summary, "render": cmd_render}[a.cmd](a)


if __name__ == "__main__":
    main()
