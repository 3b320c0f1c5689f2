#!/usr/bin/env python3
"""bench/ml/peers.py — the peers' side of the embedded-ML benchmark (issue 4).

  peers.py --model lightgbm|xgboost|sklearn-hgb|sklearn-logistic
           --train TRAIN.csv --test TEST.csv [--threads 2]
           [--latency-calls 2000] [--batch-repeats 5]

One model per process (bench/ml_gbdt.sh starts one per model), so the
memory figures never mix. Prints one JSON object with the same fields as
bench/ml/ml_bench.c (aia-ml-bench):

  train_s        wall time of fit() alone (time.monotonic; the library's own
                 binning / Dataset construction included, CSV reading excluded)
  memory         VmHWM after reading the data, VmRSS before fit(), VmHWM over
                 fit() alone (reset by writing 5 to /proc/self/clear_refs
                 first), VmHWM at the end (/proc/self/status)
  auc            sklearn.metrics.roc_auc_score of P(class 1) on the test set
  batch          best and median of --batch-repeats predictions of the whole
                 test set: LightGBM Booster.predict, XGBoost
                 Booster.inplace_predict, scikit-learn predict_proba
  single row     --latency-calls predictions of one row (a (1, 28) array),
                 cycling through the test rows, each timed with
                 time.perf_counter: the same calls as the batch, so the
                 figure includes each library's Python entry cost

Threads: OMP_NUM_THREADS (set by bench/ml_gbdt.sh before Python starts, so
it reaches OpenMP and OpenBLAS) and each library's own parameter.

Settings (issue 4; see bench/README.md):
  lightgbm          LGBMClassifier(n_estimators=100, num_leaves=31,
                    learning_rate=0.1, min_child_samples=20, max_bin=255,
                    n_jobs=threads); row-/col-wise left to LightGBM (its
                    choice is recorded from its log)
  xgboost           XGBClassifier(tree_method="hist", grow_policy="lossguide",
                    max_leaves=31, max_depth=0, learning_rate=0.1,
                    n_estimators=100, max_bin=256, n_jobs=threads)
  sklearn-hgb       HistGradientBoostingClassifier(max_iter=100,
                    max_leaf_nodes=31, learning_rate=0.1,
                    early_stopping=False)
  sklearn-logistic  LogisticRegression(C=1, max_iter=100, solver="lbfgs") on
                    features standardised with the training set's mean and
                    std (StandardScaler, fitted on the training set, not timed)
"""

import argparse
import json
import os
import platform
import sys
import time


def status_kb(field):
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def reset_hwm():
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def nearest_rank(sorted_vals, pct):
    k = max(0, -(-len(sorted_vals) * pct // 100) - 1)
    return sorted_vals[min(int(k), len(sorted_vals) - 1)]


def load(path, np):
    x = np.loadtxt(path, delimiter=",", skiprows=1, dtype=np.float64)
    return np.ascontiguousarray(x[:, :-1]), x[:, -1].astype(np.int32)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--model", required=True,
                   choices=["lightgbm", "xgboost", "sklearn-hgb", "sklearn-logistic"])
    p.add_argument("--train", required=True)
    p.add_argument("--test", required=True)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--rounds", type=int, default=100)
    p.add_argument("--latency-calls", type=int, default=2000)
    p.add_argument("--batch-repeats", type=int, default=5)
    a = p.parse_args()

    import numpy as np
    import sklearn
    from sklearn.metrics import roc_auc_score

    t0 = time.monotonic()
    xtr, ytr = load(a.train, np)
    xte, yte = load(a.test, np)
    load_s = time.monotonic() - t0
    hwm_load = status_kb("VmHWM")

    versions = {"python": platform.python_version(), "numpy": np.__version__,
                "scikit-learn": sklearn.__version__}
    params = {}
    extra = {}
    lgb_log = []

    if a.model == "sklearn-logistic":
        from sklearn.preprocessing import StandardScaler
        sc = StandardScaler().fit(xtr)
        xtr = sc.transform(xtr)
        xte = sc.transform(xte)
        import scipy
        versions["scipy"] = scipy.__version__

    if a.model == "lightgbm":
        import lightgbm as lgb

        class Log:
            def info(self, msg):
                lgb_log.append(str(msg).strip())

            def warning(self, msg):
                lgb_log.append(str(msg).strip())

        lgb.register_logger(Log())
        versions["lightgbm"] = lgb.__version__
        params = dict(n_estimators=a.rounds, num_leaves=31, learning_rate=0.1, min_child_samples=20,
                      max_bin=255, n_jobs=a.threads, verbose=1)
        model = lgb.LGBMClassifier(**params)
    elif a.model == "xgboost":
        import xgboost as xgb
        versions["xgboost"] = xgb.__version__
        params = dict(tree_method="hist", grow_policy="lossguide", max_leaves=31, max_depth=0,
                      learning_rate=0.1, n_estimators=a.rounds, max_bin=256, n_jobs=a.threads)
        model = xgb.XGBClassifier(**params)
    elif a.model == "sklearn-hgb":
        from sklearn.ensemble import HistGradientBoostingClassifier
        params = dict(max_iter=a.rounds, max_leaf_nodes=31, learning_rate=0.1, early_stopping=False)
        model = HistGradientBoostingClassifier(**params)
    else:
        from sklearn.linear_model import LogisticRegression
        params = dict(C=1.0, max_iter=100, solver="lbfgs")
        model = LogisticRegression(**params)

    rss_before = status_kb("VmRSS")
    hwm_reset = reset_hwm()
    t0 = time.monotonic()
    model.fit(xtr, ytr)
    train_s = time.monotonic() - t0
    hwm_train = status_kb("VmHWM")
    rss_after = status_kb("VmRSS")

    if a.model == "lightgbm":
        booster = model.booster_
        predict = lambda x: booster.predict(x)
        extra["lightgbm_multithreading"] = next(
            (m for m in lgb_log if "multi-threading" in m), "not reported")
        extra["rounds"] = booster.num_trees()
    elif a.model == "xgboost":
        booster = model.get_booster()
        predict = lambda x: booster.inplace_predict(x)
        extra["rounds"] = booster.num_boosted_rounds()
    else:
        predict = lambda x: model.predict_proba(x)[:, 1]
        if a.model == "sklearn-hgb":
            extra["rounds"] = int(model.n_iter_)
        else:
            extra["n_iter"] = int(np.max(model.n_iter_))
            extra["converged"] = int(model.n_iter_.max() < params["max_iter"])

    bt = []
    proba = None
    for _ in range(a.batch_repeats):
        t0 = time.perf_counter()
        proba = predict(xte)
        bt.append(time.perf_counter() - t0)
    bt.sort()
    auc = float(roc_auc_score(yte, proba))

    nrows = min(len(xte), 10000)
    rows = [np.ascontiguousarray(xte[i:i + 1]) for i in range(nrows)]
    for r in rows[:min(nrows, 200)]:
        predict(r)  # warm-up
    lat = []
    pc = time.perf_counter
    for c in range(a.latency_calls):
        r = rows[c % nrows]
        t0 = pc()
        predict(r)
        lat.append((pc() - t0) * 1e6)
    mean = sum(lat) / len(lat)
    lat.sort()

    out = {
        "engine": a.model.split("-")[0] if a.model != "sklearn-hgb" else "sklearn",
        "model": "logistic" if a.model == "sklearn-logistic" else "gbdt",
        "peer": a.model,
        "threads": a.threads,
        "omp_num_threads": os.environ.get("OMP_NUM_THREADS"),
        "train_rows": int(len(ytr)),
        "test_rows": int(len(yte)),
        "features": int(xtr.shape[1]),
        "load_s": load_s,
        "train_s": train_s,
        "params": params,
        "versions": versions,
        "auc": auc,
        "vmhwm_load_kb": hwm_load,
        "vmrss_before_train_kb": rss_before,
        "vmhwm_train_kb": hwm_train,
        "vmrss_after_train_kb": rss_after,
        "vmhwm_end_kb": status_kb("VmHWM"),
        "hwm_reset": hwm_reset,
        "batch_rows": int(len(yte)),
        "batch_repeats": a.batch_repeats,
        "batch_best_s": bt[0],
        "batch_median_s": bt[len(bt) // 2],
        "batch_rows_per_s": len(yte) / bt[0],
        "batch_rows_per_s_median": len(yte) / bt[len(bt) // 2],
        "single_calls": a.latency_calls,
        "single_p50_us": nearest_rank(lat, 50),
        "single_p99_us": nearest_rank(lat, 99),
        "single_mean_us": mean,
        **extra,
    }
    params.pop("verbose", None)
    json.dump(out, sys.stdout, indent=1, sort_keys=True)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
