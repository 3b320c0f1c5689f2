#!/usr/bin/env python3
"""Optuna's figures for the Branin comparison in tests/unit/hpo/branin_test.c.

Run by hand (the test suite does not need Optuna):
    python3 tests/data/hpo/branin_optuna.py > tests/data/hpo/branin_optuna.txt

Same set-up as the C test: minimise Branin over x1 in [-5, 10], x2 in
[0, 15]; trial 0 is the enqueued default (2.5, 7.5); 60 trials per study;
seeds 0..9; the figure is the mean over seeds of the best value found.
Samplers: TPESampler(multivariate=False) (independent TPE, lib/hpo's
default and Optuna 4's), TPESampler() (Optuna 5's default, multivariate),
and RandomSampler.
"""
import math
import platform
import sys

import numpy
import optuna

SEEDS = range(10)
TRIALS = 60


def branin(x1, x2):
    b = 5.1 / (4 * math.pi ** 2)
    c = 5 / math.pi
    t = 1 / (8 * math.pi)
    return (x2 - b * x1 ** 2 + c * x1 - 6) ** 2 + 10 * (1 - t) * math.cos(x1) + 10


def objective(trial):
    return branin(trial.suggest_float("x1", -5, 10), trial.suggest_float("x2", 0, 15))


def best_of(make_sampler, seed):
    study = optuna.create_study(direction="minimize", sampler=make_sampler(seed))
    study.enqueue_trial({"x1": 2.5, "x2": 7.5})
    study.optimize(objective, n_trials=TRIALS)
    return study.best_value


SAMPLERS = {
    "tpe_independent": lambda s: optuna.samplers.TPESampler(seed=s, multivariate=False),
    "tpe_default": lambda s: optuna.samplers.TPESampler(seed=s),
    "random": lambda s: optuna.samplers.RandomSampler(seed=s),
}


def main():
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    print(f"# optuna {optuna.__version__}, numpy {numpy.__version__}, "
          f"python {platform.python_version()}")
    print(f"# branin, seeds {list(SEEDS)}, {TRIALS} trials, trial 0 enqueued at (2.5, 7.5)")
    for name, make in SAMPLERS.items():
        bests = [best_of(make, s) for s in SEEDS]
        print(f"{name} mean_best {sum(bests) / len(bests):.4f} per_seed "
              + " ".join(f"{b:.4f}" for b in bests))
    return 0


if __name__ == "__main__":
    sys.exit(main())
