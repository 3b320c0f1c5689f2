#!/usr/bin/env python3
"""Writes linear_fixtures.txt: scikit-learn's answers for lib/ml/linear.

Run by hand from the repository root after changing the cases, and commit
the output with it (the C tests read only the output, so the test suite
needs neither Python nor scikit-learn):

    python3 tests/data/linear/make_fixtures.py

It needs scikit-learn, numpy and scipy. The versions and the seeds it used
are written in the output's header.

Output format: the one of tests/data/metrics/make_fixtures.py, read by the
same reader (tests/unit/ml/metrics_fixtures.h). Tokens are separated by
whitespace; '#' starts a comment to the end of the line; records are

    ints NAME COUNT v1 ... vCOUNT
    doubles NAME COUNT v1 ... vCOUNT     (matrices row-major)
    check KIND key=value ...

Every check names its arrays by `<case>.<what>`:
  X (n x p, row-major), y (class indices, or targets), w (sample weights,
  only when the check has weighted=1), coef (K x p row-major; K = 1 for
  binary and regression), intercept (K), raw (n x K decision function),
  pred (n x K probabilities, or n predicted values).
KIND is logistic (keys: case n p k C tol max_iter weighted n_iter), ridge
(keys: case n p alpha weighted) or ols (keys: case n p rank).

Inputs are rounded to 6 decimals before fitting, so the C side reads
exactly the doubles scikit-learn fitted on. Doubles are written with repr
(shortest round-trip decimal).
"""

import os
import platform
import sys

import numpy as np
import scipy
import sklearn
from sklearn.datasets import make_classification, make_regression
from sklearn.linear_model import LinearRegression, LogisticRegression, Ridge
from sklearn.preprocessing import StandardScaler

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "linear_fixtures.txt")
WEIGHT_SEED = 20261126

lines = []


def put_array(kind, name, values):
    values = np.asarray(values).ravel()
    lines.append(f"{kind} {name} {values.size}")
    fmt = (lambda v: str(int(v))) if kind == "ints" else (lambda v: repr(float(v)))
    for start in range(0, values.size, 8):
        lines.append(" ".join(fmt(v) for v in values[start:start + 8]))


def put_check(kind, **keys):
    lines.append("check " + kind + " " + " ".join(f"{k}={v}" for k, v in keys.items()))


def standardised(X):
    return np.round(StandardScaler().fit_transform(X), 6)


def logistic_case(case, X, y, C=1.0, tol=1e-4, max_iter=100, weights=None):
    """One fit with the given settings. The C test checks our model at the
    same settings against it (loosely: both stop near, not at, the optimum)
    and, with tol=1e-10, tightly."""
    model = LogisticRegression(C=C, tol=tol, max_iter=max_iter)
    model.fit(X, y, sample_weight=weights)
    put_array("doubles", f"{case}.X", X)
    put_array("ints", f"{case}.y", y)
    if weights is not None:
        put_array("doubles", f"{case}.w", weights)
    put_array("doubles", f"{case}.coef", model.coef_)
    put_array("doubles", f"{case}.intercept", model.intercept_)
    put_array("doubles", f"{case}.raw", model.decision_function(X))
    proba = model.predict_proba(X)
    put_array("doubles", f"{case}.pred", proba[:, 1] if proba.shape[1] == 2 else proba)
    put_check("logistic", case=case, n=X.shape[0], p=X.shape[1], k=len(model.classes_), C=repr(C),
              tol=repr(tol), max_iter=max_iter, weighted=int(weights is not None), n_iter=int(model.n_iter_[0]))


def regression_case(kind, case, X, y, alpha=0.0, weights=None):
    model = Ridge(alpha=alpha) if kind == "ridge" else LinearRegression()
    model.fit(X, y, sample_weight=weights)
    put_array("doubles", f"{case}.X", X)
    put_array("doubles", f"{case}.y", y)
    if weights is not None:
        put_array("doubles", f"{case}.w", weights)
    put_array("doubles", f"{case}.coef", model.coef_)
    put_array("doubles", f"{case}.intercept", [model.intercept_])
    put_array("doubles", f"{case}.pred", model.predict(X))
    if kind == "ridge":
        put_check("ridge", case=case, n=X.shape[0], p=X.shape[1], alpha=repr(alpha),
                  weighted=int(weights is not None))
    else:
        put_check("ols", case=case, n=X.shape[0], p=X.shape[1], rank=int(model.rank_))


def main():
    rng = np.random.default_rng(WEIGHT_SEED)

    # Binary, well conditioned (standardised), some label noise so the
    # optimum is interior.
    X, y = make_classification(n_samples=400, n_features=6, n_informative=4, n_redundant=0,
                               class_sep=0.8, flip_y=0.05, random_state=0)
    X = standardised(X)
    logistic_case("bin_default", X, y)
    logistic_case("bin_tight", X, y, tol=1e-10, max_iter=10000)
    w = np.round(rng.uniform(0.5, 2.0, size=X.shape[0]), 3)
    logistic_case("bin_weighted", X, y, C=0.3, tol=1e-10, max_iter=10000, weights=w)

    # Three classes, softmax.
    X, y = make_classification(n_samples=450, n_features=5, n_informative=3, n_redundant=0,
                               n_classes=3, n_clusters_per_class=1, class_sep=1.0,
                               flip_y=0.05, random_state=1)
    X = standardised(X)
    logistic_case("multi_default", X, y)
    logistic_case("multi_tight", X, y, tol=1e-10, max_iter=10000)
    logistic_case("multi_c10", X, y, C=10.0, tol=1e-10, max_iter=10000)

    # Linearly separable: without the penalty the optimum is at infinity.
    X = np.round(rng.normal(size=(60, 2)), 6)
    y = (X[:, 0] + 0.5 * X[:, 1] > 0).astype(int)
    logistic_case("separable", X, y, tol=1e-10, max_iter=10000)

    # Regression.
    X, t = make_regression(n_samples=200, n_features=8, n_informative=5, noise=5.0, bias=3.0,
                           random_state=2)
    X = np.round(X, 6)
    t = np.round(t, 6)
    regression_case("ridge", "ridge_a1", X, t, alpha=1.0)
    w = np.round(rng.uniform(0.5, 2.0, size=X.shape[0]), 3)
    regression_case("ridge", "ridge_a10_weighted", X, t, alpha=10.0, weights=w)
    regression_case("ols", "ols", X, t)

    # Collinear columns: column 4 = column 0 + 2 * column 1 and column 5 a
    # copy of column 2. LinearRegression (lstsq) returns the minimum-norm
    # solution; ridge is unaffected.
    X, t = make_regression(n_samples=120, n_features=4, noise=2.0, bias=-1.0, random_state=3)
    X = np.round(X, 6)
    X = np.column_stack([X, X[:, 0] + 2.0 * X[:, 1], X[:, 2]])
    t = np.round(t, 6)
    regression_case("ols", "ols_collinear", X, t)
    regression_case("ridge", "ridge_collinear", X, t, alpha=1.0)

    header = [
        "# lib/ml/linear fixtures: scikit-learn's fits on seeded data.",
        "# Generated by tests/data/linear/make_fixtures.py (format described there);",
        "# do not edit by hand.",
        f"# scikit-learn {sklearn.__version__}, numpy {np.__version__}, scipy {scipy.__version__},"
        f" python {platform.python_version()}",
        f"# make_classification/make_regression random_state 0..3; weights and the separable set"
        f" from numpy.random.default_rng({WEIGHT_SEED})",
    ]
    with open(OUT, "w") as f:
        f.write("\n".join(header + lines) + "\n")
    print(f"wrote {OUT}", file=sys.stderr)


if __name__ == "__main__":
    main()
