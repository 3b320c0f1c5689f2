#!/usr/bin/env python3
"""bench/drift/make_data.py — the seeded data of the drift benchmark
(bench/drift_evidently.sh, issue 6).

Writes OUT/reference.csv and OUT/current.csv, ROWS rows each, with 20 numeric
columns num_0..num_19 and 5 categorical columns cat_0..cat_4 (10 categories
"k0".."k9" each, written as text so that every reader types them as
categories). The current data is drawn from the same distributions as the
reference except for a known subset (SHIFTED_NUMERIC, SHIFTED_CATEGORICAL),
so every method should report exactly those columns as drifted:

  - numeric column j is drawn from one of four families (normal, log-normal,
    uniform, exponential), chosen by j % 4, with its own location and scale;
    a shifted column's current values are moved by 0.5 of the reference's
    standard deviation (normed Wasserstein distance ~ 0.5, five times
    Evidently's 0.1 threshold); an unshifted column's normed distance is
    sampling noise, ~ 0.002 at 1,000,000 rows;
  - categorical column j has category probabilities proportional to
    1/(i+1+j) (a Zipf-like skew); a shifted column's current probabilities
    are those reversed (Jensen-Shannon distance ~ 0.3 against 0.1).

Written once: OUT/meta.json records the parameters, and the files are kept
while it matches. Values are written with 7 significant digits.
"""
import argparse
import json
import os
import sys

import numpy as np
import pandas as pd

N_NUMERIC = 20
N_CATEGORICAL = 5
N_CATEGORIES = 10
SHIFTED_NUMERIC = [2, 5, 11]
SHIFTED_CATEGORICAL = [3]
SHIFT_STD = 0.5
VERSION = 1


def numeric_column(rng, j, n, shifted):
    family = j % 4
    loc = 10.0 * (j - N_NUMERIC / 2)
    scale = 1.0 + j / 4.0
    if family == 0:
        x = rng.normal(loc, scale, n)
        std = scale
    elif family == 1:
        x = loc + scale * rng.lognormal(0.0, 0.5, n)
        std = scale * np.sqrt((np.exp(0.25) - 1) * np.exp(0.25))
    elif family == 2:
        x = rng.uniform(loc - scale, loc + scale, n)
        std = 2 * scale / np.sqrt(12)
    else:
        x = loc + rng.exponential(scale, n)
        std = scale
    if shifted:
        x = x + SHIFT_STD * std
    return x


def categorical_column(rng, j, n, shifted):
    p = 1.0 / (np.arange(N_CATEGORIES) + 1.0 + j)
    p /= p.sum()
    if shifted:
        p = p[::-1]
    names = np.array(["k%d" % i for i in range(N_CATEGORIES)])
    return names[rng.choice(N_CATEGORIES, size=n, p=p)]


def frame(seed, n, current):
    rng = np.random.default_rng(seed)
    cols = {}
    for j in range(N_NUMERIC):
        cols["num_%d" % j] = numeric_column(rng, j, n, current and j in SHIFTED_NUMERIC)
    for j in range(N_CATEGORICAL):
        cols["cat_%d" % j] = categorical_column(rng, j, n, current and j in SHIFTED_CATEGORICAL)
    return pd.DataFrame(cols)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=6)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    meta = {
        "version": VERSION, "rows": a.rows, "seed": a.seed,
        "numeric": ["num_%d" % j for j in range(N_NUMERIC)],
        "categorical": ["cat_%d" % j for j in range(N_CATEGORICAL)],
        "categories": N_CATEGORIES,
        "shifted": ["num_%d" % j for j in SHIFTED_NUMERIC]
        + ["cat_%d" % j for j in SHIFTED_CATEGORICAL],
        "shift_std": SHIFT_STD,
    }
    os.makedirs(a.out, exist_ok=True)
    meta_path = os.path.join(a.out, "meta.json")
    files = [os.path.join(a.out, f) for f in ("reference.csv", "current.csv")]
    if os.path.exists(meta_path) and all(os.path.exists(f) for f in files):
        with open(meta_path) as f:
            if json.load(f) == meta:
                print("make_data: %s kept (same parameters)" % a.out, file=sys.stderr)
                return
    for path, seed, current in zip(files, (a.seed, a.seed + 1), (False, True)):
        df = frame(seed, a.rows, current)
        df.to_csv(path + ".tmp", index=False, float_format="%.7g")
        os.replace(path + ".tmp", path)
        print("make_data: wrote %s (%d rows)" % (path, a.rows), file=sys.stderr)
    with open(meta_path, "w") as f:
        json.dump(meta, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
