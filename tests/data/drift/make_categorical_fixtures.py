#!/usr/bin/env python3
"""SciPy's answers for lib/drift/special and lib/drift/categorical.

Run by hand from the repository root with the benchmark venv:

    bench/out/venv/bin/python tests/data/drift/make_categorical_fixtures.py

It writes tests/data/drift/categorical_fixtures.txt, read by
//tests/unit/drift:special_test and //tests/unit/drift:categorical_test.
Same seed and versions give the same file.

Format: '#' lines are comments; every other line is one record of
space-separated tokens, floats in repr() form (17 significant digits, 'inf',
'nan'):

    lgamma <x> <scipy.special.gammaln(x)>
    gamma_q <a> <x> <scipy.special.gammaincc(a, x)>
    chi2_sf <dof> <x> <scipy.stats.chi2.sf(x, dof)>
    norm_sf <z> <scipy.stats.norm.sf(z)>
    norm_two_sided <z> <2 * scipy.stats.norm.sf(|z|)>
    cat <name> <k> <ref counts x k> <cur counts x k> <chi2 stat> <chi2 p> <dof> <js> <linf>
    z <name> <ref_hits> <n_ref> <cur_hits> <n_cur> <statistic> <p_value>

For 'cat' records the statistics are computed as Evidently computes them:
the categories are the union of those seen on either side (a category with
count 0 on both sides, which the records sometimes contain on purpose, is
not part of it); chi-square is scipy.stats.chisquare(f_obs = current counts,
f_exp = reference counts * n_cur / n_ref) with dof = categories - 1 (SciPy
gives statistic inf and p 0 when a category is only in current, and p nan
for a single category, which lib/drift reports as p = 1); Jensen-Shannon is
scipy.spatial.distance.jensenshannon(ref / n_ref, cur / n_cur, base=2);
L-infinity is max |ref / n_ref - cur / n_cur| (Vertex AI).

For 'z' records the statistic is Evidently's proportions_diff_z_stat_ind
formula and the p-value 2 * norm.sf(|z|) (Evidently's 2 * (1 - norm.cdf(|z|))
is the same number rounded to 0 below ~1e-16); when both sides hold one and
the same category Evidently returns p = 1 and the record says statistic 0.
"""
import math
import platform
import sys
import warnings

import numpy as np
import scipy
from scipy import special, stats
from scipy.spatial import distance

SEED = 20261126
OUT = "tests/data/drift/categorical_fixtures.txt"


def fmt(v):
    return repr(float(v))


def special_records():
    rows = []
    for x in [0.5, 1.0, 1.5, 2.0, 3.7, 10.0, 24.5, 100.0, 1e5]:
        rows.append(f"lgamma {fmt(x)} {fmt(special.gammaln(x))}")
    for a in [0.5, 1.0, 2.5, 10.0, 24.5, 100.0, 1000.0]:
        for f in [0.01, 0.3, 0.9, 1.0, 1.2, 2.0, 5.0]:
            x = a * f
            rows.append(f"gamma_q {fmt(a)} {fmt(x)} {fmt(special.gammaincc(a, x))}")
    dofs = [1, 2, 3, 4, 5, 7, 10, 15, 20, 30, 49, 50, 100, 200, 1000]
    factors = [0.01, 0.1, 0.5, 0.9, 1.0, 1.1, 1.5, 2.0, 3.0, 5.0, 10.0, 20.0, 50.0]
    for dof in dofs:
        xs = [dof * f for f in factors] + [1e-3, 0.5, 700.0, 1400.0]
        for x in xs:
            p = stats.chi2.sf(x, dof)
            if p < 1e-300:  # underflow territory: nothing to compare
                continue
            rows.append(f"chi2_sf {fmt(dof)} {fmt(x)} {fmt(p)}")
    for z in [-8.0, -5.0, -1.0, 0.0, 0.5, 1.0, 1.959963984540054, 3.0, 5.0, 8.0, 10.0,
              20.0, 30.0, 37.0]:
        rows.append(f"norm_sf {fmt(z)} {fmt(stats.norm.sf(z))}")
        rows.append(f"norm_two_sided {fmt(z)} {fmt(2.0 * stats.norm.sf(abs(z)))}")
    return rows


def categorical_stats(ref, cur):
    ref = np.asarray(ref, dtype=np.int64)
    cur = np.asarray(cur, dtype=np.int64)
    keep = (ref > 0) | (cur > 0)  # Evidently's union of categories seen
    r, c = ref[keep].astype(float), cur[keep].astype(float)
    n_ref, n_cur = r.sum(), c.sum()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        chi = stats.chisquare(c, r * (n_cur / n_ref))
    js = distance.jensenshannon(r / n_ref, c / n_cur, base=2)
    linf = np.max(np.abs(r / n_ref - c / n_cur))
    return chi.statistic, chi.pvalue, len(r) - 1, js, linf


def cat_record(name, ref, cur):
    stat, p, dof, js, linf = categorical_stats(ref, cur)
    k = len(ref)
    counts = " ".join(str(int(v)) for v in list(ref) + list(cur))
    return f"cat {name} {k} {counts} {fmt(stat)} {fmt(p)} {dof} {fmt(js)} {fmt(linf)}"


def random_counts(rng, k, total, probs):
    return rng.multinomial(total, probs)


def cat_records(rng):
    rows = []
    # Seeded random count vectors: 2..50 categories, small and large totals,
    # current drawn from the reference distribution (no drift) or a
    # perturbed one (drift).
    for i in range(60):
        k = int(rng.integers(2, 51))
        n_ref = int(rng.choice([20, 100, 1000, 10000, 100000, 1000000]))
        n_cur = int(rng.choice([20, 100, 1000, 10000, 100000, 1000000]))
        probs = rng.dirichlet(np.ones(k))
        ref = random_counts(rng, k, n_ref, probs)
        if i % 2 == 0:
            cur_probs = probs
        else:
            cur_probs = 0.8 * probs + 0.2 * rng.dirichlet(np.ones(k))
        cur = random_counts(rng, k, n_cur, cur_probs)
        rows.append(cat_record(f"random{i}", ref, cur))
    # Near-identical large samples: small statistics, moderate p-values.
    for i in range(6):
        k = int(rng.integers(2, 51))
        probs = rng.dirichlet(np.full(k, 5.0))
        ref = random_counts(rng, k, 1000000, probs)
        cur = random_counts(rng, k, 1000000, probs)
        rows.append(cat_record(f"close{i}", ref, cur))
    rows.append(cat_record("identical", [10, 20, 30, 40], [10, 20, 30, 40]))
    rows.append(cat_record("proportional", [10, 20, 30, 40], [30, 60, 90, 120]))
    rows.append(cat_record("disjoint", [5, 7, 0, 0], [0, 0, 3, 9]))
    rows.append(cat_record("single", [42], [17]))
    rows.append(cat_record("single_padded", [0, 42, 0], [0, 17, 0]))
    rows.append(cat_record("cur_only", [50, 50, 0], [45, 40, 15]))
    rows.append(cat_record("ref_only", [50, 30, 20], [60, 40, 0]))
    rows.append(cat_record("zero_both", [10, 0, 20, 30], [12, 0, 18, 30]))
    rows.append(cat_record("binary_large", [999999, 1], [1, 999999]))
    rows.append(cat_record("tiny", [1, 1], [1, 1]))
    rows.append(cat_record("tiny_drift", [2, 1], [1, 2]))
    return rows


def z_record(name, h1, n1, h2, n2):
    if (h1 == 0 and h2 == 0) or (h1 == n1 and h2 == n2):
        return f"z {name} {h1} {n1} {h2} {n2} 0.0 1.0"
    p1, p2 = float(h1) / n1, float(h2) / n2
    pooled = float(p1 * n1 + p2 * n2) / (n1 + n2)
    z = (p1 - p2) / np.sqrt(pooled * (1 - pooled) * (1.0 / n1 + 1.0 / n2))
    p = 2.0 * stats.norm.sf(abs(z))
    return f"z {name} {h1} {n1} {h2} {n2} {fmt(z)} {fmt(p)}"


def z_records(rng):
    rows = []
    for i in range(30):
        n1 = int(rng.choice([10, 100, 1000, 10000, 1000000]))
        n2 = int(rng.choice([10, 100, 1000, 10000, 1000000]))
        share = float(rng.uniform(0.01, 0.99))
        h1 = int(rng.binomial(n1, share))
        h2 = int(rng.binomial(n2, share if i % 2 == 0 else min(0.999, share * 1.1 + 0.01)))
        rows.append(z_record(f"random{i}", h1, n1, h2, n2))
    rows.append(z_record("same", 30, 100, 30, 100))
    rows.append(z_record("all_zero", 0, 50, 0, 70))
    rows.append(z_record("all_one", 50, 50, 70, 70))
    rows.append(z_record("opposite", 0, 50, 70, 70))
    rows.append(z_record("one_side_zero", 0, 1000, 5, 1000))
    rows.append(z_record("huge_shift", 100000, 1000000, 900000, 1000000))
    rows.append(z_record("tiny_p", 400000, 1000000, 405000, 1000000))
    rows.append(z_record("minimal", 0, 1, 1, 1))
    return rows


def main():
    rng = np.random.default_rng(SEED)
    rows = special_records() + cat_records(rng) + z_records(rng)
    header = [
        "# lib/drift special and categorical fixtures: SciPy's answers.",
        "# Generated by tests/data/drift/make_categorical_fixtures.py (format",
        "# described there); do not edit by hand.",
        f"# scipy {scipy.__version__}, numpy {np.__version__}, "
        f"python {platform.python_version()}",
        f"# seed {SEED} (numpy.random.default_rng), {len(rows)} records",
    ]
    with open(OUT, "w") as f:
        f.write("\n".join(header + rows) + "\n")
    print(f"wrote {len(rows)} records to {OUT}", file=sys.stderr)


if __name__ == "__main__":
    main()
