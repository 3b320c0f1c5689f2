#!/usr/bin/env python3
"""bench/oip/train_lightgbm.py — the peer's model for the OIP benchmark:
LightGBM with the parameters aia's GBDT is trained with (100 trees,
learning rate 0.1, 31 leaves, 20 rows per leaf, 255 bins, no early
stopping), on the same train.csv, saved for MLServer's LightGBM runtime:

  DIR/settings.json                  server: ports, workers
  DIR/MODEL/model-settings.json      mlserver_lightgbm.LightGBMModel
  DIR/MODEL/model.txt                the booster

Prints one JSON line: trees, validation AUC, training seconds.

  train_lightgbm.py --data DATA_DIR --out DIR --model NAME --grpc-port P
                    --http-port P --metrics-port P --workers N
"""

import argparse
import json
import os
import time

import lightgbm as lgb
import numpy as np


def load(path):
    data = np.loadtxt(path, delimiter=",", skiprows=1)
    return data[:, :-1], data[:, -1]


def auc(y, p):
    order = np.argsort(p)
    ranks = np.empty(len(p))
    ranks[order] = np.arange(1, len(p) + 1)
    pos = y == 1
    return (ranks[pos].sum() - pos.sum() * (pos.sum() + 1) / 2) / (pos.sum() * (~pos).sum())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--model", required=True)
    ap.add_argument("--grpc-port", type=int, required=True)
    ap.add_argument("--http-port", type=int, required=True)
    ap.add_argument("--metrics-port", type=int, required=True)
    ap.add_argument("--workers", type=int, default=0)
    a = ap.parse_args()
    model_dir = os.path.join(a.out, a.model)
    os.makedirs(model_dir, exist_ok=True)
    booster_path = os.path.join(model_dir, "model.txt")
    stats = {}
    if not os.path.exists(booster_path):
        X, y = load(os.path.join(a.data, "train.csv"))
        params = {"objective": "binary", "learning_rate": 0.1, "num_leaves": 31, "min_data_in_leaf": 20,
                  "max_bin": 255, "num_threads": 2, "verbose": -1, "seed": 1}
        t0 = time.monotonic()
        booster = lgb.train(params, lgb.Dataset(X, y), num_boost_round=100)
        stats["train_seconds"] = round(time.monotonic() - t0, 3)
        booster.save_model(booster_path)
    booster = lgb.Booster(model_file=booster_path)
    Xv, yv = load(os.path.join(a.data, "valid.csv"))
    stats.update({"trees": booster.num_trees(), "valid_auc": round(float(auc(yv, booster.predict(Xv))), 6),
                  "lightgbm": lgb.__version__})
    with open(os.path.join(model_dir, "model-settings.json"), "w") as f:
        json.dump({"name": a.model, "implementation": "mlserver_lightgbm.LightGBMModel",
                   "parameters": {"uri": "./model.txt", "version": "1"}}, f, indent=1)
    with open(os.path.join(a.out, "settings.json"), "w") as f:
        json.dump({"host": "127.0.0.1", "grpc_port": a.grpc_port, "http_port": a.http_port,
                   "metrics_port": a.metrics_port, "parallel_workers": a.workers, "debug": False}, f, indent=1)
    print(json.dumps(stats))


if __name__ == "__main__":
    main()
