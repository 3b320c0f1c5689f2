#!/usr/bin/env python3
"""bench/drift/peers.py — the peers of the drift benchmark
(bench/drift_evidently.sh, issue 6), one per invocation:

  --tool evidently  Evidently's Report([DataDriftPreset()]) on pandas
                    DataFrames (Dataset.from_pandas with the numeric and
                    categorical columns declared), its default test per
                    column: for more than 1,000 reference rows, normed
                    Wasserstein (numeric) and Jensen-Shannon (categorical),
                    threshold 0.1 each;
  --tool scipy      a plain loop of SciPy calls: for each numeric column
                    scipy.stats.ks_2samp and scipy.stats.wasserstein_distance
                    (normed by the reference's population std, floored at
                    0.001, as Evidently does), for each categorical column
                    scipy.stats.chisquare and scipy.spatial.distance.
                    jensenshannon of the category frequencies (natural
                    logarithm, base=None, as Evidently calls it).
                    The verdict is Evidently's default rule (normed
                    Wasserstein / Jensen-Shannon >= 0.1); the columns KS or
                    chi-square would flag at p < 0.05 are listed apart.

Both load the two CSV files with pandas.read_csv first (timed apart), the
categorical columns as strings. Memory: the process's VmHWM after loading,
and over the check alone (reset through /proc/self/clear_refs before it,
as the C driver does). Prints one JSON object on stdout.
"""
import argparse
import json
import sys
import time


def status_kb(field):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return -1


def reset_hwm():
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def load(pd, path, categorical):
    return pd.read_csv(path, dtype={c: str for c in categorical})


def run_evidently(ref, cur, numeric, categorical):
    from evidently import DataDefinition, Dataset, Report
    from evidently.presets import DataDriftPreset

    t0 = time.monotonic()
    definition = DataDefinition(numerical_columns=numeric, categorical_columns=categorical)
    ref_ds = Dataset.from_pandas(ref, data_definition=definition)
    cur_ds = Dataset.from_pandas(cur, data_definition=definition)
    t1 = time.monotonic()
    snapshot = Report([DataDriftPreset()]).run(current_data=cur_ds, reference_data=ref_ds)
    t2 = time.monotonic()
    features = []
    for m in snapshot.dict()["metrics"]:
        cfg = m.get("config", {})
        if cfg.get("type", "").endswith("ValueDrift"):
            col = cfg["column"]
            value = float(m["value"])
            threshold = float(cfg.get("threshold") or 0.1)
            method = cfg.get("method")
            features.append({
                "column": col,
                "type": "numeric" if col in numeric else "categorical",
                "method": method,
                "statistic": value,
                "threshold": threshold,
                # Distances drift at >= threshold, p-values below it.
                "drifted": value >= threshold if "p_value" not in str(method) else value < threshold,
            })
    return {"dataset_s": t1 - t0, "report_s": t2 - t1, "check_s": t2 - t0}, features


def run_scipy(ref, cur, numeric, categorical):
    import numpy as np
    from scipy import stats
    from scipy.spatial import distance

    features, ks_flag, chi_flag = [], [], []
    t0 = time.monotonic()
    for c in numeric:
        r = ref[c].to_numpy(dtype=float)
        x = cur[c].to_numpy(dtype=float)
        r, x = r[np.isfinite(r)], x[np.isfinite(x)]
        ks = stats.ks_2samp(r, x)
        wd = stats.wasserstein_distance(r, x)
        normed = wd / max(float(np.std(r)), 0.001)
        if ks.pvalue < 0.05:
            ks_flag.append(c)
        features.append({"column": c, "type": "numeric", "method": "wasserstein_normed",
                         "statistic": normed, "threshold": 0.1, "drifted": bool(normed >= 0.1),
                         "ks_statistic": float(ks.statistic), "ks_p_value": float(ks.pvalue)})
    for c in categorical:
        rc = ref[c].dropna().value_counts()
        xc = cur[c].dropna().value_counts()
        keys = sorted(set(rc.index) | set(xc.index))
        rv = np.array([rc.get(k, 0) for k in keys], dtype=float)
        xv = np.array([xc.get(k, 0) for k in keys], dtype=float)
        js = float(distance.jensenshannon(rv / rv.sum(), xv / xv.sum()))
        chi = stats.chisquare(xv, rv * xv.sum() / rv.sum())
        if chi.pvalue < 0.05:
            chi_flag.append(c)
        features.append({"column": c, "type": "categorical", "method": "jensenshannon_ln",
                         "statistic": js, "threshold": 0.1, "drifted": bool(js >= 0.1),
                         "chi2_statistic": float(chi.statistic), "chi2_p_value": float(chi.pvalue)})
    t1 = time.monotonic()
    return {"check_s": t1 - t0, "ks_p_lt_0.05": ks_flag, "chi2_p_lt_0.05": chi_flag}, features


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tool", choices=["evidently", "scipy"], required=True)
    ap.add_argument("--reference", required=True)
    ap.add_argument("--current", required=True)
    ap.add_argument("--meta", required=True, help="make_data.py's meta.json (column kinds)")
    a = ap.parse_args()
    with open(a.meta) as f:
        meta = json.load(f)
    numeric, categorical = meta["numeric"], meta["categorical"]

    import pandas as pd
    t0 = time.monotonic()
    ref = load(pd, a.reference, categorical)
    t1 = time.monotonic()
    cur = load(pd, a.current, categorical)
    t2 = time.monotonic()
    hwm_load = status_kb("VmHWM")
    rss_before = status_kb("VmRSS")
    hwm_reset = reset_hwm()
    run = run_evidently if a.tool == "evidently" else run_scipy
    timing, features = run(ref, cur, numeric, categorical)
    hwm = status_kb("VmHWM")

    import numpy, scipy
    versions = {"pandas": pd.__version__, "numpy": numpy.__version__, "scipy": scipy.__version__,
                "python": sys.version.split()[0]}
    if a.tool == "evidently":
        import evidently
        versions["evidently"] = evidently.__version__
    order = {c: i for i, c in enumerate(numeric + categorical)}
    features.sort(key=lambda f: order.get(f["column"], len(order)))
    out = {
        "tool": a.tool,
        "versions": versions,
        "rows_reference": len(ref), "rows_current": len(cur),
        "load": {"reference_s": t1 - t0, "current_s": t2 - t1, "total_s": t2 - t0,
                 "hwm_kb": hwm_load},
        "runs": [dict(threads=1, total_s=timing["check_s"], rss_before_kb=rss_before,
                      hwm_kb=hwm, hwm_reset=hwm_reset, **timing)],
        "features": features,
        "drifted": [f["column"] for f in features if f["drifted"]],
    }
    json.dump(out, sys.stdout, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
