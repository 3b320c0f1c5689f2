#!/usr/bin/env python3
"""Writes numeric_fixtures.txt: SciPy's answers for lib/drift's numeric
statistics (tests/unit/drift/numeric_test.c reads them).

Run by hand from the repository root:
    bench/out/venv/bin/python tests/data/drift/make_numeric_fixtures.py

Format (one item per line, '#' lines are comments):
    case NAME
    ref data N v1 .. vN            values as repr() of doubles, 'nan' allowed
    ref gen SEED N SHIFT SCALE STEP NAN_EVERY
                                   (the same for 'cur'): value i is
                                   (((u0+u1)+u2)+u3 - 2) * SCALE + SHIFT with
                                   u_r = (splitmix64 draw 4i+r >> 11) * 2^-53,
                                   then floor(v/STEP)*STEP when STEP > 0, and
                                   NaN when NAN_EVERY > 0 and i % NAN_EVERY ==
                                   NAN_EVERY-1; splitmix64 draw t of SEED is
                                   mix(SEED + (t+1)*0x9E3779B97F4A7C15 mod 2^64).
                                   Exact double arithmetic, so C reproduces it.
    nan N_REF_NAN N_CUR_NAN        NaNs dropped before SciPy saw the data
    ks STATISTIC PVALUE            scipy.stats.ks_2samp(method='auto')
    wd DISTANCE NORMED             scipy.stats.wasserstein_distance, and it /
                                   max(numpy.std(ref), 0.001) (Evidently)
    psi quantile|width BINS NBINS PSI
                                   PSI as defined in lib/drift/numeric.h,
                                   computed with numpy (quantile, unique,
                                   searchsorted)
    end
    kstwo N X SF                   scipy.stats.kstwo.sf(X, N) (each branch of
                                   the one-sample distribution)
"""
import sys

import numpy as np
import scipy
from scipy import stats

OUT = "tests/data/drift/numeric_fixtures.txt"
SEED = 20261126  # numpy default_rng seed for the stored-data cases
GOLDEN = np.uint64(0x9E3779B97F4A7C15)
EPS_BIN = 0.0001


def splitmix_uniform(seed, count):
    t = np.arange(1, count + 1, dtype=np.uint64)
    with np.errstate(over="ignore"):
        z = np.uint64(seed) + t * GOLDEN
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        z = z ^ (z >> np.uint64(31))
    return (z >> np.uint64(11)).astype(np.float64) * (2.0 ** -53)


def gen(seed, n, shift, scale, step, nan_every):
    u = splitmix_uniform(seed, 4 * n).reshape(n, 4)
    v = (((u[:, 0] + u[:, 1]) + u[:, 2]) + u[:, 3] - 2.0) * scale + shift
    if step > 0:
        v = np.floor(v / step) * step
    if nan_every > 0:
        v[np.arange(n) % nan_every == nan_every - 1] = np.nan
    return v


def fill_empty(p):
    """Evidently's get_binned_data(feel_zeroes=True) replacement of 0s."""
    smallest = p[p != 0].min()
    return np.where(p == 0, smallest / 10**6 if smallest <= EPS_BIN else EPS_BIN, p)


def psi(ref, cur, bins, how):
    ref = np.sort(ref)
    if how == "quantile":
        edges = np.quantile(ref, np.arange(bins + 1) / bins)
    else:
        edges = np.linspace(ref[0], ref[-1], bins + 1)
    edges = np.unique(edges)
    nb = max(len(edges) - 1, 1)
    inner = edges[1:-1] if len(edges) > 2 else np.array([])
    r = np.bincount(np.searchsorted(inner, ref, side="right"), minlength=nb) / len(ref)
    c = np.bincount(np.searchsorted(inner, cur, side="right"), minlength=nb) / len(cur)
    r = fill_empty(r)
    c = fill_empty(c)
    return nb, float(np.sum((c - r) * np.log(c / r)))


def sample_line(kind, spec, values):
    if spec is None:
        return f"{kind} data {len(values)} " + " ".join(repr(float(v)) for v in values)
    return f"{kind} gen " + " ".join(repr(x) for x in spec)


def case(out, name, ref, cur, ref_spec=None, cur_spec=None):
    r = ref[~np.isnan(ref)]
    c = cur[~np.isnan(cur)]
    ks = stats.ks_2samp(r, c, alternative="two-sided", method="auto")
    wd = stats.wasserstein_distance(r, c)
    norm = wd / max(float(np.std(r)), 0.001)
    out.append(f"case {name}")
    out.append(sample_line("ref", ref_spec, ref))
    out.append(sample_line("cur", cur_spec, cur))
    out.append(f"nan {len(ref) - len(r)} {len(cur) - len(c)}")
    out.append(f"ks {float(ks.statistic)!r} {float(ks.pvalue)!r}")
    out.append(f"wd {float(wd)!r} {float(norm)!r}")
    for how, bins in (("quantile", 10), ("width", 10), ("quantile", 4), ("width", 30)):
        nb, value = psi(r, c, bins, how)
        out.append(f"psi {how} {bins} {nb} {value!r}")
    out.append("end")
    print(name, len(r), len(c), float(ks.statistic), float(ks.pvalue), file=sys.stderr)


def gcase(out, name, ref_spec, cur_spec):
    case(out, name, gen(*ref_spec), gen(*cur_spec), ref_spec, cur_spec)


def main():
    rng = np.random.default_rng(SEED)
    out = [
        "# SciPy's answers for lib/drift numeric statistics; written by",
        "# tests/data/drift/make_numeric_fixtures.py (format in its docstring).",
        f"# scipy {scipy.__version__}, numpy {np.__version__}, "
        f"numpy default_rng seed {SEED}; gen cases name their splitmix64 seeds.",
    ]
    n = rng.normal
    case(out, "normal_shift", n(0, 1, 500), n(0.3, 1, 400))
    case(out, "normal_same_size", n(0, 1, 300), n(0.1, 1, 300))
    case(out, "normal_same_dist", n(5, 2, 800), n(5, 2, 650))
    case(out, "ties_rounded", np.round(n(0, 1, 200), 1), np.round(n(0.2, 1, 150), 1))
    case(out, "ties_integers", np.round(n(3, 2, 120)), np.round(n(3, 2, 130)))
    ref = n(0, 1, 250)
    ref[rng.random(250) < 0.1] = np.nan
    cur = n(0.4, 1.2, 180)
    cur[rng.random(180) < 0.05] = np.nan
    case(out, "nans_mixed", ref, cur)
    case(out, "tiny_1_1", n(0, 1, 1), n(0, 1, 1))
    case(out, "tiny_1_3", n(0, 1, 1), n(0, 1, 3))
    case(out, "tiny_2_5", n(0, 1, 2), n(0, 1, 5))
    case(out, "tiny_5_4", n(0, 1, 5), n(1, 1, 4))
    case(out, "tiny_3_3", n(0, 1, 3), n(0, 1, 3))
    case(out, "unequal_1000_37", n(0, 1, 1000), n(0.5, 1, 37))
    case(out, "unequal_7_900", n(0, 1, 7), n(0, 1, 900))
    # One current value alone in its bin (1/12000 <= 0.0001): Evidently then
    # fills empty bins with a millionth of that proportion, not 0.0001.
    case(out, "psi_tiny_proportion", np.round(n(0, 1, 400), 2),
         np.concatenate([np.full(11999, 5.0), [0.0]]))
    same = n(0, 1, 123)
    case(out, "identical", same, same.copy())
    case(out, "disjoint", rng.uniform(0, 1, 50), rng.uniform(2, 3, 60))
    case(out, "disjoint_large", rng.uniform(0, 1, 2000), rng.uniform(5, 6, 3000))
    case(out, "constant_ref", np.full(40, 3.0), n(3, 1, 50))
    case(out, "constant_both_same", np.full(30, -1.5), np.full(20, -1.5))
    case(out, "constant_both_differ", np.full(30, 2.0), np.full(25, 2.5))
    # Exact p-values at the largest 'auto' sizes (square and band methods).
    gcase(out, "exact_10000_10000", (11, 10000, 0.0, 1.0, 0.0, 0),
          (12, 10000, 0.02, 1.0, 0.0, 0))
    gcase(out, "exact_10000_7000", (13, 10000, 0.0, 1.0, 0.0, 0),
          (14, 7000, 0.03, 1.0, 0.0, 0))
    gcase(out, "exact_9973_4481_ties", (15, 9973, 0.0, 1.0, 0.125, 0),
          (16, 4481, 0.01, 1.0, 0.125, 0))
    # Asymptotic p-values: kstwo.sf at n = round(m*n/(m+n)) in each regime.
    gcase(out, "asymp_20000_15000_same", (21, 20000, 0.0, 1.0, 0.0, 0),
          (22, 15000, 0.0, 1.0, 0.0, 0))
    gcase(out, "asymp_20000_15000_shift", (21, 20000, 0.0, 1.0, 0.0, 0),
          (23, 15000, 0.04, 1.0, 0.0, 0))
    gcase(out, "asymp_20000_15000_far", (21, 20000, 0.0, 1.0, 0.0, 0),
          (24, 15000, 0.5, 1.0, 0.0, 0))
    gcase(out, "asymp_prefix_20000_15000", (25, 20000, 0.0, 1.0, 0.0, 0),
          (25, 15000, 0.0, 1.0, 0.0, 0))
    gcase(out, "asymp_20000_60", (26, 20000, 0.0, 1.0, 0.0, 0),
          (27, 60, 0.1, 1.0, 0.0, 0))
    gcase(out, "asymp_20000_3", (28, 20000, 0.0, 1.0, 0.0, 0),
          (29, 3, 0.3, 1.0, 0.0, 0))
    gcase(out, "asymp_30000_130_far", (30, 30000, 0.0, 1.0, 0.0, 0),
          (31, 130, 0.4, 1.0, 0.0, 0))
    gcase(out, "asymp_nans_ties_12000_11000", (32, 12000, 0.0, 2.0, 0.25, 17),
          (33, 11000, 0.05, 2.0, 0.25, 9))
    # 10^6 values each (ties, NaNs in cur).
    gcase(out, "million_shift", (41, 1000000, 0.0, 1.0, 2.0 ** -10, 0),
          (42, 1000000, 0.005, 1.0, 2.0 ** -10, 1000))
    gcase(out, "million_same", (43, 1000000, 0.0, 1.0, 0.0, 0),
          (44, 1000000, 0.0, 1.0, 0.0, 0))
    # kstwo.sf directly, one point or more per method SciPy switches between.
    for kn, kx in ((1, 0.3), (1, 0.7), (5, 0.15), (5, 0.9), (50, 0.015), (50, 0.1),
                   (50, 0.2), (50, 0.4), (50, 0.6), (140, 0.05), (140, 0.12),
                   (141, 0.005), (1000, 0.004), (1000, 0.01), (1000, 0.03),
                   (1000, 0.06), (1000, 0.9995), (8571, 0.0005), (8571, 0.002),
                   (8571, 0.012), (8571, 0.02), (8571, 0.2), (100001, 0.001),
                   (100001, 0.005), (499500, 0.0008), (499500, 0.003),
                   (2000000, 0.002), (2000000, 0.0003), (3, 0.45), (10, 0.25),
                   (10, 0.4), (100, 0.12), (133, 0.1), (137, 0.17)):
        out.append(f"kstwo {kn} {kx!r} {float(stats.kstwo.sf(kx, kn))!r}")
    with open(OUT, "w") as f:
        f.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
