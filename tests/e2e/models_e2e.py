"""Helpers for the ModelService end-to-end tests (test_models*.py): typed
calls to aia.v1.ModelService through the contract pool, training and
waiting for jobs, the bundled breast-cancer data, generated CSVs, the
registry's artifacts on disk, and the engine's own predictions for a stored
model (tools/engine_predict.c), to compare with Predict's.
"""

import csv
import hashlib
import os
import random
import subprocess
import time
from pathlib import Path

import grpc

import aia_e2e as e2e

SERVICE = "aia.v1.ModelService"
CONTRACT = e2e.contract()
TERMINAL = ("JOB_STATE_SUCCEEDED", "JOB_STATE_FAILED", "JOB_STATE_CANCELLED")
# Generous: training the bundled data takes well under a second natively,
# a few seconds under ASan on a busy 2-core machine.
JOB_TIMEOUT = 120.0


# --------------------------------------------------------------------------
# The contract


SERVICE_CALLS = e2e.Service(SERVICE, timeout=30.0)
method = SERVICE_CALLS.method
# rpc(channel, name, request=None, **fields) -> Result; ok(...) -> response
# or a failed test with the server's log; expect_error(channel, name, code,
# *needles): the message must name every needle.
rpc, ok, expect_error = SERVICE_CALLS.rpc, SERVICE_CALLS.ok, SERVICE_CALLS.expect_error


def new(type_name, **kw):
    return CONTRACT.new(type_name if "." in type_name else f"aia.v1.{type_name}", **kw)


def enum_number(enum, name):
    return CONTRACT.pool.FindEnumTypeByName(f"aia.v1.{enum}").values_by_name[name].number


def enum_name(enum, number):
    return CONTRACT.pool.FindEnumTypeByName(f"aia.v1.{enum}").values_by_number[number].name


def state_name(job):
    return enum_name("JobState", job.state)


# --------------------------------------------------------------------------
# Data


def data_path():
    """The bundled breast-cancer CSV (569 rows, 30 features, "target")."""
    return e2e.repo_root() / "examples" / "data" / "breast_cancer.csv"


def read_csv(path):
    """(header, rows as lists of text)."""
    with open(path, newline="") as f:
        r = csv.reader(f)
        header = next(r)
        return header, [row for row in r]


def feature_rows(path, target="target"):
    """Rows as {feature: float} (a missing cell is left out) plus the targets."""
    header, rows = read_csv(path)
    out, targets = [], []
    for row in rows:
        d = {}
        for name, cell in zip(header, row):
            if name == target:
                targets.append(cell)
            elif cell not in ("", "NA", "NaN", "null", "None"):
                d[name] = float(cell)
        out.append(d)
    return out, targets


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def write_csv(path, header, rows):
    with open(path, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        w.writerows(rows)
    return Path(path)


def synthetic_csv(path, rows, features=10, seed=7):
    """A classification CSV of `rows` random rows: features f0..f{n-1} and a
    target "y" ("a"/"b") that depends on the first two features plus noise,
    so boosting keeps finding something to fit round after round."""
    rnd = random.Random(seed)
    header = [f"f{i}" for i in range(features)] + ["y"]
    with open(path, "w") as f:
        f.write(",".join(header) + "\n")
        for _ in range(rows):
            xs = [rnd.random() for _ in range(features)]
            y = "a" if xs[0] + 0.5 * xs[1] + rnd.gauss(0, 0.3) > 0.75 else "b"
            f.write(",".join(f"{x:.6f}" for x in xs) + "," + y + "\n")
    return Path(path)


# --------------------------------------------------------------------------
# Training


def train_request(model_id, uri=None, algorithm="gbdt", target="target", hyperparameters=None, hpo=None,
                  **kw):
    req = new("TrainModelRequest", model_id=model_id,
              task_type=enum_number("TaskType", "TASK_TYPE_CLASSIFICATION"),
              algorithm=algorithm, training_data_uri=str(uri or data_path()), target_column=target, **kw)
    for k, v in (hyperparameters or {}).items():
        req.hyperparameters[k] = str(v)
    if hpo is not None:
        req.hpo.CopyFrom(hpo)
    return req


def submit(channel, request, server=None):
    """TrainModel; returns the TrainingJob it answered (asserting OK)."""
    return ok(channel, "TrainModel", request, server=server)


def get_job(channel, job_id, server=None):
    return ok(channel, "GetTrainingJob", job_id=job_id, server=server)


def wait_job(channel, job_id, states=TERMINAL, timeout=JOB_TIMEOUT, server=None, poll=0.05):
    """Polls GetTrainingJob until the job is in one of `states`."""
    deadline = time.monotonic() + timeout
    while True:
        job = get_job(channel, job_id, server)
        if state_name(job) in states:
            return job
        if time.monotonic() > deadline:
            diag = server.diag(40) if server else ""
            raise AssertionError(f"job {job_id} still {state_name(job)} after {timeout}s, waiting for "
                                 f"{states}: {job}{diag}")
        time.sleep(poll)


def train_and_wait(channel, request, server=None, timeout=JOB_TIMEOUT):
    """Submits and waits; asserts the job SUCCEEDED and returns it."""
    job = submit(channel, request, server)
    done = wait_job(channel, job.job_id, timeout=timeout, server=server)
    diag = server.diag(40) if server else ""
    assert state_name(done) == "JOB_STATE_SUCCEEDED", f"job {done.job_id}: {state_name(done)} {done.error!r}{diag}"
    return done


# --------------------------------------------------------------------------
# Prediction


def predict_request(model_id=None, rows=(), endpoint_id=None, routing_key=None):
    req = new("PredictRequest")
    if model_id:
        req.model_id = model_id
    if endpoint_id:
        req.endpoint_id = endpoint_id
    if routing_key:
        req.routing_key = routing_key
    for r in rows:
        req.instances.add().update(r)
    return req


def batch_request(model_id, rows, names):
    """The same rows as a columnar batch: one numbers column per feature,
    NaN and the missing mask marking what a row lacks."""
    req = new("PredictRequest", model_id=model_id)
    for name in names:
        col = req.batch.columns.add(name=name)
        for r in rows:
            v = r.get(name)
            col.numbers.append(float("nan") if v is None else v)
            col.missing.append(v is None)
    return req


def ts(t):
    """A google.protobuf.Timestamp in seconds."""
    return t.seconds + t.nanos / 1e9


def probabilities(pred):
    return dict(pred.probabilities)


# --------------------------------------------------------------------------
# Artifacts and the engine's own predictions


def artifact_path(data_dir, sha):
    """<data_dir>/artifacts/<first two hex>/<sha> (lib/store/artifacts.h)."""
    return Path(data_dir) / "artifacts" / sha[:2] / sha


def engine_predict_binary():
    return Path(os.environ.get("AIA_E2E_ENGINE_PREDICT_BIN") or e2e._artifact("tests/e2e/engine_predict"))


def engine_predict(model_file, csv_path):
    """The engine's probabilities for every row of csv_path:
    (labels, [[p per label] per row]) parsed from "%.17g" text (exact)."""
    p = subprocess.run([str(engine_predict_binary()), str(model_file), str(csv_path)], capture_output=True,
                       text=True, timeout=120)
    found = e2e.sanitizer_reports(p.stderr)
    assert not found, f"sanitizer report from engine_predict:\n{p.stderr}"
    assert p.returncode == 0, f"engine_predict {model_file} {csv_path} failed ({p.returncode}):\n{p.stderr}"
    lines = p.stdout.splitlines()
    labels = lines[0].split("\t")
    return labels, [[float(x) for x in line.split("\t")] for line in lines[1:]]


def version_of(model, number):
    for v in model.versions:
        if v.version == number:
            return v
    raise AssertionError(f"model {model.model_id} has no version {number}: {[v.version for v in model.versions]}")
