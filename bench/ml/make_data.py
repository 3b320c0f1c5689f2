#!/usr/bin/env python3
"""bench/ml/make_data.py — the synthetic data set of the embedded-ML benchmark (issue 4).

  make_data.py [--rows N] [--out DIR]

scikit-learn's make_classification, seeded, binary, 28 numeric features:

  n_samples      N (default 1,000,000; BENCH_ML_ROWS overrides)
  n_features     28
  n_informative  14   Gaussian clusters on the vertices of a 14-dimensional
                      hypercube: enough structure that 100 trees of 31 leaves
                      do not saturate (test AUC well below 1, so a 0.002
                      difference in AUC means something)
  n_redundant    8    random linear combinations of the informative ones
                      (correlated features, as real tables have)
  n_repeated     0
  (the remaining 6 features are pure noise)
  n_clusters_per_class 4
  class_sep      1.0, flip_y 0.02 (2 % of labels randomised: a noise floor),
  weights        None (balanced), shuffle True, random_state 20261126

then train_test_split(test_size=0.2, stratify=y, random_state=4), and writes
DIR/train.csv and DIR/test.csv: a header f0..f27,target, the features with
repr() (the shortest text that reads back to the same double, so every
reader gets bit-identical inputs) and the label as 0 or 1.

DIR defaults to bench/out/ml/rows-N. DIR/manifest.json records the
settings, the library versions and the SHA-256 of both files; a later call
with the same settings whose files still hash to the manifest's values does
nothing, so the data is written once and every run reads the same bytes.
"""

import argparse
import hashlib
import json
import os
import platform
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

SETTINGS = {
    "n_features": 28,
    "n_informative": 14,
    "n_redundant": 8,
    "n_repeated": 0,
    "n_classes": 2,
    "n_clusters_per_class": 4,
    "class_sep": 1.0,
    "flip_y": 0.02,
    "shuffle": True,
    "random_state": 20261126,
}
SPLIT = {"test_size": 0.2, "stratify": "y", "random_state": 4}


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 22):
            h.update(chunk)
    return h.hexdigest()


def write_csv(path, x, y):
    nf = x.shape[1]
    tmp = path + ".tmp"
    with open(tmp, "w", newline="") as f:
        f.write(",".join([f"f{j}" for j in range(nf)] + ["target"]) + "\n")
        rows = x.tolist()
        labels = y.tolist()
        buf = []
        for i, row in enumerate(rows):
            buf.append(",".join(map(repr, row)) + ("," + str(int(labels[i]))) + "\n")
            if len(buf) == 10000:
                f.write("".join(buf))
                buf.clear()
        f.write("".join(buf))
    os.replace(tmp, path)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--rows", type=int, default=int(os.environ.get("BENCH_ML_ROWS", "1000000")))
    p.add_argument("--out")
    a = p.parse_args()
    out = a.out or os.path.join(ROOT, "bench", "out", "ml", f"rows-{a.rows}")
    os.makedirs(out, exist_ok=True)
    man_path = os.path.join(out, "manifest.json")
    train_p, test_p = os.path.join(out, "train.csv"), os.path.join(out, "test.csv")

    want = {"n_samples": a.rows, **SETTINGS}
    if os.path.exists(man_path) and os.path.exists(train_p) and os.path.exists(test_p):
        with open(man_path) as f:
            man = json.load(f)
        if man.get("make_classification") == want and man.get("split") == SPLIT:
            if sha256(train_p) == man["sha256"]["train.csv"] and sha256(test_p) == man["sha256"]["test.csv"]:
                print(f"make_data: {out} is up to date (hashes match the manifest)", file=sys.stderr)
                return
            print(f"make_data: {out}: a file does not match its manifest hash; rewriting", file=sys.stderr)

    import numpy as np
    import sklearn
    from sklearn.datasets import make_classification
    from sklearn.model_selection import train_test_split

    t0 = time.monotonic()
    x, y = make_classification(n_samples=a.rows, **SETTINGS)
    xtr, xte, ytr, yte = train_test_split(x, y, test_size=SPLIT["test_size"], stratify=y,
                                          random_state=SPLIT["random_state"])
    write_csv(train_p, xtr, ytr)
    write_csv(test_p, xte, yte)
    man = {
        "make_classification": want,
        "split": SPLIT,
        "rows": {"train.csv": int(len(ytr)), "test.csv": int(len(yte))},
        "positives": {"train.csv": int(ytr.sum()), "test.csv": int(yte.sum())},
        "bytes": {"train.csv": os.path.getsize(train_p), "test.csv": os.path.getsize(test_p)},
        "sha256": {"train.csv": sha256(train_p), "test.csv": sha256(test_p)},
        "versions": {"python": platform.python_version(), "numpy": np.__version__,
                     "scikit-learn": sklearn.__version__},
        "float_format": "repr",
    }
    with open(man_path, "w") as f:
        json.dump(man, f, indent=1, sort_keys=True)
        f.write("\n")
    print(f"make_data: wrote {out} ({a.rows:,} rows) in {time.monotonic() - t0:.1f} s", file=sys.stderr)


if __name__ == "__main__":
    main()
