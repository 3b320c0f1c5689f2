#!/usr/bin/env python3
"""Golden data for the ML engine's comparisons with scikit-learn (issue 4).

Writes, next to this script:
  <name>.csv        scikit-learn's bundled data set: the features (named
                    f0..f(n-1), numbers written with repr(), so they read back
                    bit-exact) and a last column `target` (the class index, or
                    the value for regression)
  <name>.folds      the 5 x 2 repeated (stratified) cross-validation splits, one
                    line per split: "repeat fold" then the 0-based row indices
                    of its test half; the train half is every other row
  reference.json    scikit-learn's scores on those very splits, per model and
                    per split, with the mean and the standard error of the
                    mean, the library versions, the seed and every setting
  reference.txt     the same means and standard errors, one per line,
                    "dataset model metric mean stderr", for the C tests

The C tests train our models on the same train halves and compare the mean
score with scikit-learn's: within max(1 percentage point, 2 standard errors)
for accuracy / ROC AUC, within 0.02 for R^2 (issue 4). The random-number
streams of the two differ, so single splits are not compared.

Run by hand with a Python that has scikit-learn (the test suite does not):
  python3 tests/data/golden/make_golden.py
"""

import json
import math
import os
import platform
import sys

import numpy as np
import sklearn
from sklearn import datasets
from sklearn.ensemble import (HistGradientBoostingClassifier, HistGradientBoostingRegressor,
                              RandomForestClassifier, RandomForestRegressor)
from sklearn.linear_model import LinearRegression, LogisticRegression, Ridge
from sklearn.metrics import accuracy_score, r2_score, roc_auc_score
from sklearn.model_selection import RepeatedKFold, RepeatedStratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

SEED = 20261126
HERE = os.path.dirname(os.path.abspath(__file__))

# The settings our engine mirrors, written into reference.json too.
GBDT = dict(max_iter=100, learning_rate=0.1, max_leaf_nodes=31, min_samples_leaf=20, l2_regularization=0.0,
            max_bins=255, early_stopping=False)
FOREST = dict(n_estimators=100, bootstrap=True, n_jobs=1)
LOGISTIC = dict(C=1.0, max_iter=1000, solver="lbfgs")

DATASETS = [
    ("breast_cancer", datasets.load_breast_cancer, "binary"),
    ("iris", datasets.load_iris, "multiclass"),
    ("wine", datasets.load_wine, "multiclass"),
    ("digits", datasets.load_digits, "multiclass"),
    ("diabetes", datasets.load_diabetes, "regression"),
]


def classification_models():
    return {
        "logistic_regression": make_pipeline(StandardScaler(), LogisticRegression(**LOGISTIC)),
        "gbdt": HistGradientBoostingClassifier(**GBDT, random_state=SEED),
        "random_forest": RandomForestClassifier(**FOREST, max_features="sqrt", random_state=SEED),
    }


def regression_models():
    return {
        "linear_regression": make_pipeline(StandardScaler(), LinearRegression()),
        "ridge": make_pipeline(StandardScaler(), Ridge(alpha=1.0)),
        "gbdt": HistGradientBoostingRegressor(**GBDT, random_state=SEED),
        "random_forest": RandomForestRegressor(**FOREST, max_features=1.0, random_state=SEED),
    }


def write_csv(name, x, y, task):
    path = os.path.join(HERE, name + ".csv")
    with open(path, "w", newline="\n") as f:
        f.write(",".join([f"f{j}" for j in range(x.shape[1])] + ["target"]) + "\n")
        for row, t in zip(x, y):
            target = str(int(t)) if task != "regression" else repr(float(t))
            f.write(",".join(repr(float(v)) for v in row) + "," + target + "\n")


def splits(x, y, task):
    cv = (RepeatedKFold(n_splits=2, n_repeats=5, random_state=SEED) if task == "regression"
          else RepeatedStratifiedKFold(n_splits=2, n_repeats=5, random_state=SEED))
    return [(i // 2, i % 2, train, test) for i, (train, test) in enumerate(cv.split(x, y))]


def write_folds(name, folds):
    with open(os.path.join(HERE, name + ".folds"), "w", newline="\n") as f:
        for repeat, fold, _, test in folds:
            f.write(f"{repeat} {fold} " + " ".join(str(int(i)) for i in sorted(test)) + "\n")


def scores(model, x, y, train, test, task):
    model.fit(x[train], y[train])
    if task == "regression":
        return {"r2": r2_score(y[test], model.predict(x[test]))}
    proba = model.predict_proba(x[test])
    auc = (roc_auc_score(y[test], proba[:, 1]) if task == "binary"
           else roc_auc_score(y[test], proba, multi_class="ovr", average="macro"))
    return {"accuracy": accuracy_score(y[test], model.predict(x[test])), "roc_auc": auc}


def summary(values):
    mean = sum(values) / len(values)
    var = sum((v - mean) ** 2 for v in values) / (len(values) - 1)
    return {"per_split": values, "mean": mean, "stderr": math.sqrt(var / len(values))}


def write_reference_txt(out):
    with open(os.path.join(HERE, "reference.txt"), "w", newline="\n") as f:
        f.write(f"# scikit-learn {out['scikit_learn']}, numpy {out['numpy']}, seed {out['seed']}; "
                "dataset model metric mean stderr (see reference.json)\n")
        for dname, entry in sorted(out["datasets"].items()):
            for mname, metrics in sorted(entry["models"].items()):
                for metric, s in sorted(metrics.items()):
                    f.write(f"{dname} {mname} {metric} {s['mean']!r} {s['stderr']!r}\n")


def main():
    if sys.argv[1:] == ["--txt-only"]:  # reference.txt from an existing reference.json
        with open(os.path.join(HERE, "reference.json")) as f:
            write_reference_txt(json.load(f))
        return
    out = {
        "generated_by": "tests/data/golden/make_golden.py",
        "python": platform.python_version(),
        "scikit_learn": sklearn.__version__,
        "numpy": np.__version__,
        "seed": SEED,
        "cv": "5 x 2 repeated stratified k-fold (repeated k-fold for regression), splits in <name>.folds",
        "settings": {"gbdt": GBDT, "random_forest": FOREST, "logistic_regression": LOGISTIC,
                     "ridge": {"alpha": 1.0},
                     "preprocessing": "StandardScaler before the linear models; none before the trees"},
        "datasets": {},
    }
    for name, loader, task in DATASETS:
        x, y = loader(return_X_y=True)
        write_csv(name, x, y, task)
        folds = splits(x, y, task)
        write_folds(name, folds)
        models = regression_models() if task == "regression" else classification_models()
        entry = {"task": task, "rows": int(x.shape[0]), "features": int(x.shape[1]), "models": {}}
        if task != "regression":
            entry["classes"] = int(len(np.unique(y)))
        for mname, model in models.items():
            per = [scores(model, x, y, train, test, task) for _, _, train, test in folds]
            entry["models"][mname] = {m: summary([p[m] for p in per]) for m in per[0]}
            print(f"{name:14s} {mname:20s} " + "  ".join(
                f"{m}={entry['models'][mname][m]['mean']:.4f}±{entry['models'][mname][m]['stderr']:.4f}"
                for m in per[0]), file=sys.stderr)
        out["datasets"][name] = entry
    with open(os.path.join(HERE, "reference.json"), "w") as f:
        json.dump(out, f, indent=1, sort_keys=True)
        f.write("\n")
    write_reference_txt(out)


if __name__ == "__main__":
    main()
