#!/usr/bin/env python3
"""bench/oip/make_data.py — the Open Inference Protocol benchmark's data set
(issue 5): a seeded binary classification set of 30 numeric features,
written as train.csv (the rows both models train on) and valid.csv (aia's
validation file, so that aia trains on all of train.csv as LightGBM does),
plus one_row.json (a row to send) and manifest.json with the files' hashes.
Kept while the manifest matches the arguments.

The generator follows make_classification's idea without needing
scikit-learn: 10 informative features drawn around class centroids on a
hypercube, 10 linear combinations of them, 10 pure noise, shuffled
columns, 2 % flipped labels.

  make_data.py --rows 100000 --out DIR
"""

import argparse
import hashlib
import json
import os

import numpy as np

N_FEATURES, N_INFORMATIVE, N_REDUNDANT = 30, 10, 10
SEED = 20261126


def generate(rows, seed):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, size=rows)
    centroids = rng.choice([-1.0, 1.0], size=(2 * 2, N_INFORMATIVE)) * 1.5  # two clusters per class
    cluster = y * 2 + rng.integers(0, 2, size=rows)
    inf = centroids[cluster] + rng.normal(size=(rows, N_INFORMATIVE)) @ rng.uniform(-1, 1, (N_INFORMATIVE,) * 2)
    red = inf @ rng.uniform(-1, 1, (N_INFORMATIVE, N_REDUNDANT))
    noise = rng.normal(size=(rows, N_FEATURES - N_INFORMATIVE - N_REDUNDANT))
    X = np.hstack([inf, red, noise])[:, rng.permutation(N_FEATURES)]
    flip = rng.random(rows) < 0.02
    y = np.where(flip, 1 - y, y)
    return X, y


def write_csv(path, X, y):
    with open(path, "w") as f:
        f.write(",".join(f"f{i}" for i in range(X.shape[1])) + ",y\n")
        for row, t in zip(X, y):
            f.write(",".join(f"{v:.6f}" for v in row) + f",{int(t)}\n")


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--rows", type=int, default=100000)
    p.add_argument("--out", required=True)
    a = p.parse_args()
    os.makedirs(a.out, exist_ok=True)
    manifest_path = os.path.join(a.out, "manifest.json")
    want = {"rows": a.rows, "features": N_FEATURES, "seed": SEED, "generator": "bench/oip/make_data.py v1"}
    if os.path.exists(manifest_path):
        with open(manifest_path) as f:
            have = json.load(f)
        if {k: have.get(k) for k in want} == want and all(
                os.path.exists(os.path.join(a.out, n)) and sha256(os.path.join(a.out, n)) == h
                for n, h in have.get("sha256", {}).items()):
            return
    X, y = generate(a.rows + a.rows // 10, SEED)
    # Rows round-trip through the CSV's 6 decimals, so both models see the same numbers.
    X = np.round(X, 6)
    write_csv(os.path.join(a.out, "train.csv"), X[:a.rows], y[:a.rows])
    write_csv(os.path.join(a.out, "valid.csv"), X[a.rows:], y[a.rows:])
    with open(os.path.join(a.out, "rows.json"), "w") as f:
        json.dump(X[a.rows:a.rows + 1000].tolist(), f)
    want["sha256"] = {n: sha256(os.path.join(a.out, n)) for n in ("train.csv", "valid.csv", "rows.json")}
    with open(manifest_path, "w") as f:
        json.dump(want, f, indent=1)


if __name__ == "__main__":
    main()
