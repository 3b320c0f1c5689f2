#!/usr/bin/env python3
"""Writes metrics_fixtures.txt: scikit-learn's answers for lib/ml/metrics.

Run by hand from the repository root after changing the cases, and commit
the output with it (the C tests read only the output, so the test suite
needs neither Python nor scikit-learn):

    python3 tests/data/metrics/make_fixtures.py

It needs scikit-learn and numpy (pip install scikit-learn). The versions
and the seed it used are written in the output's header.

Output format (read by tests/unit/ml/metrics_test.c). Tokens are separated
by any whitespace; '#' starts a comment that runs to the end of the line.
The file is a sequence of records, each starting with a keyword:

    ints NAME COUNT v1 v2 ... vCOUNT       an array of integers
    doubles NAME COUNT v1 v2 ... vCOUNT    an array of doubles (a matrix is
                                           stored row-major; its column
                                           count is given by the check)
    check METRIC key=value key=value ...   one expected result

A check's keys: `case` (a name for messages), `y_true` and `y_pred` /
`y_score` / `y_proba` (names of arrays defined earlier), `k` (number of
classes), `average` (binary, micro, macro, weighted), `zero_division`
(0 or 1), and `expect`: a double, or for confusion_matrix the name of an
ints array of k*k counts. METRIC is one of accuracy, confusion_matrix,
precision, recall, f1, roc_auc_binary, roc_auc_ovr, log_loss,
log_loss_binary, rmse, mae, r2.

Every double is written with Python's repr, the shortest decimal string
that reads back (strtod) as the same double. The large inputs are rounded
to a few decimals first so the file stays small; the C side then sees
exactly the doubles scikit-learn saw.
"""

import os
import platform
import sys

import numpy as np
import scipy
import sklearn
from sklearn import metrics

SEED = 20261126
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "metrics_fixtures.txt")
BIG = 100_000


class Writer:
    def __init__(self):
        self.lines = []
        self.names = set()
        self.checks = 0

    def _name(self, name):
        assert name not in self.names, name
        self.names.add(name)
        return name

    def _array(self, kind, name, values, fmt):
        self.lines.append(f"{kind} {self._name(name)} {len(values)}")
        for start in range(0, len(values), 20):
            self.lines.append(" ".join(fmt(v) for v in values[start:start + 20]))

    def ints(self, name, values):
        self._array("ints", name, [int(v) for v in np.ravel(values)], str)
        return name

    def doubles(self, name, values):
        vals = [float(v) for v in np.ravel(values)]
        for v in vals:
            assert np.isfinite(v), (name, v)
        self._array("doubles", name, vals, repr)
        return name

    def check(self, metric, case, expect, **keys):
        if isinstance(expect, str):
            shown = expect
        else:
            expect = float(expect)
            assert np.isfinite(expect), (metric, case, expect)
            shown = repr(expect)
        parts = [f"check {metric} case={case}"]
        parts += [f"{k}={v}" for k, v in keys.items()]
        parts.append(f"expect={shown}")
        self.lines.append(" ".join(parts))
        self.checks += 1


def rounded(x, decimals):
    """Rounds to `decimals` places so the text stays short; repr then
    prints the short decimal and strtod reads back the same double."""
    return np.round(np.asarray(x, dtype=np.float64), decimals)


# ---- Classification from labels ---------------------------------------------

def label_cases(rng):
    """(name, k, y_true, y_pred) with class indices 0..k-1."""
    cases = []
    y = rng.integers(0, 2, 20)
    flip = rng.random(20) < 0.3
    cases.append(("bin_small", 2, y, np.where(flip, 1 - y, y)))

    y = (rng.random(1000) < 0.05).astype(int)
    pred = np.where(rng.random(1000) < 0.1, 1 - y, y)
    cases.append(("bin_imbalanced", 2, y, pred))

    y = rng.integers(0, 2, 50)
    cases.append(("bin_perfect", 2, y, y.copy()))
    cases.append(("bin_worst", 2, y, 1 - y))
    # Never predicts class 1: precision of class 1 divides by zero.
    cases.append(("bin_no_positive_pred", 2, y, np.zeros_like(y)))
    # No class 1 anywhere: binary precision, recall and F1 all divide by 0.
    cases.append(("bin_all_negative", 2, np.zeros(7, int), np.zeros(7, int)))
    cases.append(("bin_tiny_n1", 2, np.array([1]), np.array([1])))
    cases.append(("bin_tiny_n2", 2, np.array([0, 1]), np.array([1, 1])))

    y = rng.integers(0, 3, 300)
    pred = np.where(rng.random(300) < 0.35, rng.integers(0, 3, 300), y)
    cases.append(("mc3", 3, y, pred))
    cases.append(("mc3_perfect", 3, y, y.copy()))
    cases.append(("mc3_worst", 3, y, (y + 1) % 3))

    y = rng.choice(5, 500, p=[0.6, 0.2, 0.1, 0.07, 0.03])
    pred = np.where(rng.random(500) < 0.4, rng.choice(5, 500, p=[0.5, 0.3, 0.1, 0.1, 0.0]), y)
    cases.append(("mc5_imbalanced", 5, y, pred))

    # Class 4 occurs nowhere and class 3 is never predicted: macro averages
    # over classes 0-3 only (labels=None), class 3's precision is 0/0.
    y = rng.integers(0, 4, 60)
    pred = np.where(y == 3, 0, np.where(rng.random(60) < 0.3, rng.integers(0, 3, 60), y))
    cases.append(("mc5_absent_classes", 5, y, pred))

    y = rng.choice(5, BIG, p=[0.3, 0.25, 0.2, 0.15, 0.1])
    pred = np.where(rng.random(BIG) < 0.45, rng.integers(0, 5, BIG), y)
    cases.append(("mc5_big", 5, y, pred))
    return cases


def write_label_cases(w, rng):
    for name, k, y, pred in label_cases(rng):
        t = w.ints(f"{name}.y_true", y)
        p = w.ints(f"{name}.y_pred", pred)
        w.check("accuracy", name, metrics.accuracy_score(y, pred), y_true=t, y_pred=p, k=k)
        cm = metrics.confusion_matrix(y, pred, labels=list(range(k)))
        cmn = w.ints(f"{name}.confusion", cm)
        w.check("confusion_matrix", name, cmn, y_true=t, y_pred=p, k=k)
        averages = (["binary"] if k == 2 else []) + ["micro", "macro", "weighted"]
        for average in averages:
            for zd in (0, 1):
                # zero_division=0 gives scikit-learn's default ("warn") value.
                prf = metrics.precision_recall_fscore_support(
                    y, pred, average=average, zero_division=zd)
                for metric, value in zip(("precision", "recall", "f1"), prf[:3]):
                    w.check(metric, name, value, y_true=t, y_pred=p, k=k, average=average,
                            zero_division=zd)


# ---- Binary scores ------------------------------------------------------------

def binary_score_cases(rng):
    """(name, y_true, score, is_probability)."""
    cases = []
    y = rng.integers(0, 2, 20)
    cases.append(("auc_small", y, rounded(rng.normal(size=20) + y, 12), False))

    y = rng.integers(0, 2, 200)
    cases.append(("auc_ties", y, rounded(rng.random(200) * 0.6 + 0.4 * y, 1), True))

    y = np.array([0, 1, 1, 0, 1, 0])
    cases.append(("auc_all_tied", y, np.full(6, 0.5), True))
    y = np.array([0, 0, 1, 0, 1, 1, 1])
    cases.append(("auc_perfect", y, np.array([0.1, 0.2, 0.7, 0.3, 0.8, 0.9, 0.95]), True))
    cases.append(("auc_worst", y, np.array([0.9, 0.8, 0.3, 0.7, 0.2, 0.1, 0.05]), True))
    cases.append(("auc_tiny_n2", np.array([0, 1]), np.array([0.25, 0.75]), True))

    y = (rng.random(1000) < 0.02).astype(int)
    cases.append(("auc_imbalanced", y, rounded(1 / (1 + np.exp(-(rng.normal(size=1000) + 1.5 * y))), 10), True))

    # Margins: negative and large scores, not probabilities.
    y = rng.integers(0, 2, 300)
    cases.append(("auc_margins", y, rounded(rng.normal(scale=50, size=300) + 20 * y, 6), False))

    # Probabilities touching 0 and 1 (log loss clips them).
    y = rng.integers(0, 2, 40)
    p = rounded(rng.random(40), 3)
    p[:5] = [0.0, 1.0, 0.0, 1.0, 0.5]
    cases.append(("bin_extreme_proba", y, p, True))

    y = rng.integers(0, 2, 30)
    cases.append(("bin_confident_right", y, y.astype(float), True))
    cases.append(("bin_confident_wrong", y, 1.0 - y, True))

    y = (rng.random(BIG) < 0.3).astype(int)
    p = 1 / (1 + np.exp(-(rng.normal(size=BIG) + 1.2 * y - 0.5)))
    cases.append(("bin_big", y, rounded(p, 4), True))  # 4 decimals: many ties
    return cases


def write_binary_score_cases(w, rng):
    for name, y, score, is_proba in binary_score_cases(rng):
        t = w.ints(f"{name}.y_true", y)
        s = w.doubles(f"{name}.y_score", score)
        if len(np.unique(y)) == 2:
            w.check("roc_auc_binary", name, metrics.roc_auc_score(y, score), y_true=t, y_score=s)
        if is_proba:
            w.check("log_loss_binary", name, metrics.log_loss(y, score, labels=[0, 1]),
                    y_true=t, y_score=s)


# ---- Probability matrices ----------------------------------------------------

def proba_rows(rng, n, k, scale, decimals_total):
    """n rows of k probabilities that are multiples of 1/decimals_total and
    sum to exactly that many units, so each prints as a short decimal."""
    raw = rng.dirichlet(np.full(k, scale), size=n)
    units = np.floor(raw * decimals_total).astype(np.int64)
    units[:, -1] = decimals_total - units[:, :-1].sum(axis=1)
    return units / decimals_total


def leaning_proba_rows(rng, y, k, unit):
    """Rows drawn from a Dirichlet that favours each row's true class, as
    multiples of 1/unit, none of them 0, each row summing to unit units."""
    alpha = 1.0 + 2.0 * np.eye(k)[y]
    raw = rng.gamma(alpha)
    raw /= raw.sum(axis=1, keepdims=True)
    units = 1 + np.floor(raw * (unit - k)).astype(np.int64)
    units[:, -1] = unit - units[:, :-1].sum(axis=1)
    return units / unit


def proba_cases(rng):
    """(name, k, y_true, proba)."""
    cases = []
    for name, k, n, unit in (("mc3", 3, 300, 10**12), ("mc5", 5, 500, 10**12)):
        y = rng.integers(0, k, n)
        p = proba_rows(rng, n, k, 1.0, unit)
        # Lean 60% of the rows towards the true class: better than chance.
        lean = rng.random((n, 1)) < 0.6
        p = np.where(lean, 0.5 * p + 0.5 * np.eye(k)[y], p)
        cases.append((name, k, y, p))

    y = rng.choice(5, 400, p=[0.7, 0.15, 0.08, 0.05, 0.02])
    cases.append(("mc5_imbalanced", 5, y, proba_rows(rng, 400, 5, 0.5, 10**9)))

    y = rng.integers(0, 3, 150)
    cases.append(("mc3_ties", 3, y, proba_rows(rng, 150, 3, 1.0, 10)))

    y = rng.integers(0, 3, 60)
    p = proba_rows(rng, 60, 3, 0.3, 1000)
    p[:6] = np.eye(3)[[0, 1, 2, 1, 2, 0]]  # hard 0 / 1 entries, some wrong
    y[:6] = [0, 1, 2, 0, 1, 2]
    cases.append(("mc3_extreme", 3, y, p))

    y = np.array([0, 1, 2, 0, 1, 2])
    cases.append(("mc3_perfect", 3, y, np.eye(3)[y]))
    # Worst: the true class always gets the least probability.
    y = rng.integers(0, 3, 90)
    p = np.full((90, 3), 0.45)
    p[np.arange(90), y] = 0.1
    cases.append(("mc3_worst", 3, y, p))
    cases.append(("mc3_tiny", 3, np.array([0, 1, 2]),
                  np.array([[0.5, 0.25, 0.25], [0.125, 0.75, 0.125], [0.375, 0.375, 0.25]])))

    y = rng.integers(0, 2, 100)
    p1 = rounded(rng.random(100) * 0.7 + 0.3 * y, 4)
    cases.append(("k2_matrix", 2, y, np.column_stack([1 - p1, p1])))

    # Two decimals keep the 300,000 entries small and give many ties.
    y = rng.choice(3, BIG, p=[0.5, 0.3, 0.2])
    cases.append(("mc3_big", 3, y, leaning_proba_rows(rng, y, 3, 100)))
    return cases


def write_proba_cases(w, rng):
    for name, k, y, p in proba_cases(rng):
        t = w.ints(f"p_{name}.y_true", y)
        pr = w.doubles(f"p_{name}.y_proba", p)
        w.check("log_loss", name, metrics.log_loss(y, p, labels=list(range(k))),
                y_true=t, y_proba=pr, k=k)
        if k == 2:
            expect = metrics.roc_auc_score(y, p[:, 1])
            for average in ("micro", "macro", "weighted"):
                w.check("roc_auc_ovr", name, expect, y_true=t, y_proba=pr, k=k, average=average)
            continue
        present = len(np.unique(y)) == k
        for average in ("micro", "macro", "weighted"):
            if average != "micro" and not present:
                continue
            auc = metrics.roc_auc_score(y, p, multi_class="ovr", average=average,
                                        labels=list(range(k)))
            w.check("roc_auc_ovr", name, auc, y_true=t, y_proba=pr, k=k, average=average)


# ---- Regression -------------------------------------------------------------

def regression_cases(rng):
    """(name, y_true, y_pred)."""
    cases = []
    y = rounded(rng.normal(size=10) * 3, 10)
    cases.append(("reg_small", y, rounded(y + rng.normal(size=10), 10)))
    cases.append(("reg_tiny_n1", np.array([2.5]), np.array([4.0])))
    cases.append(("reg_tiny_n2", np.array([1.0, 2.0]), np.array([1.5, 1.5])))
    y = rounded(rng.normal(size=50), 8)
    cases.append(("reg_perfect", y, y.copy()))
    cases.append(("reg_worse_than_mean", y, rounded(-2 * y + 1, 8)))
    cases.append(("reg_constant_true", np.full(20, 3.0), rounded(3 + rng.normal(size=20), 6)))
    cases.append(("reg_constant_perfect", np.full(20, 3.0), np.full(20, 3.0)))
    # A large common offset: R² needs the mean without cancellation.
    y = rounded(1e6 + rng.normal(size=1000), 6)
    cases.append(("reg_offset", y, rounded(y + 0.1 * rng.normal(size=1000), 6)))
    y = rounded(rng.gamma(2.0, 10.0, BIG), 2)
    cases.append(("reg_big", y, rounded(y + rng.normal(scale=4.0, size=BIG), 2)))
    return cases


def write_regression_cases(w, rng):
    for name, y, pred in regression_cases(rng):
        t = w.doubles(f"{name}.y_true", y)
        p = w.doubles(f"{name}.y_pred", pred)
        w.check("rmse", name, metrics.root_mean_squared_error(y, pred), y_true=t, y_pred=p)
        w.check("mae", name, metrics.mean_absolute_error(y, pred), y_true=t, y_pred=p)
        if len(y) >= 2:  # scikit-learn's R² is NaN below 2 samples
            w.check("r2", name, metrics.r2_score(y, pred), y_true=t, y_pred=p)


def main():
    rng = np.random.default_rng(SEED)
    w = Writer()
    write_label_cases(w, rng)
    write_binary_score_cases(w, rng)
    write_proba_cases(w, rng)
    write_regression_cases(w, rng)
    header = [
        "# lib/ml/metrics fixtures: scikit-learn's results on seeded inputs.",
        "# Generated by tests/data/metrics/make_fixtures.py (format described there);",
        "# do not edit by hand.",
        f"# scikit-learn {sklearn.__version__}, numpy {np.__version__}, "
        f"scipy {scipy.__version__}, python {platform.python_version()}",
        f"# seed {SEED} (numpy.random.default_rng), {w.checks} checks",
    ]
    with open(OUT, "w") as f:
        f.write("\n".join(header + w.lines) + "\n")
    print(f"wrote {OUT}: {w.checks} checks, {os.path.getsize(OUT)} bytes", file=sys.stderr)


if __name__ == "__main__":
    main()
