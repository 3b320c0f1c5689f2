"""`aia models`, `aia jobs` and `aia endpoints` against a real aia-server.

The tests share one server (the `server` fixture) and run in file order:
the long job is cancelled first (the server trains one job at a time), then
the bundled breast-cancer data trains versions 1 and 2 of one model that
the registry, prediction and endpoint tests use.
"""

import csv
import json
import os
import queue
import random
import re
import subprocess
import threading
import time
from pathlib import Path

import pytest

import aia_e2e as e2e

MODEL = "bc_cli"
BUNDLED = Path("examples") / "data" / "breast_cancer.csv"


def dead_address():
    return f"127.0.0.1:{e2e.free_port()}"


def cli(server, *args, **kw):
    return e2e.run_cli(*args, server=server.address, **kw)


def ok(p, server=None):
    assert p.returncode == 0, e2e.describe_proc(p) + (server.diag(20) if server else "")
    return p


def json_out(p):
    return json.loads(p.stdout)


# ---------------------------------------------------------------------------
# Data


def _bundled_csv():
    """The bundled CSV: the runfiles tree, else the source tree this file
    lives in (the sh_test does not list examples/ in its data)."""
    for root in (e2e.repo_root(), Path(os.path.realpath(__file__)).parent.parent.parent):
        p = root / BUNDLED
        if p.is_file():
            return p
    return None


def _synthetic(path, rows, features, seed, target_name="target"):
    """A two-class CSV whose class depends on the first features, with noise."""
    rng = random.Random(seed)
    names = [f"f{i}" for i in range(features)]
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(names + [target_name])
        for _ in range(rows):
            x = [round(rng.gauss(0, 1), 4) for _ in names]
            score = x[0] + 0.5 * x[1] - 0.25 * x[2] + rng.gauss(0, 0.3)
            w.writerow(x + ["malignant" if score > 0 else "benign"])
    return path


@pytest.fixture(scope="module")
def data_csv(tmp_path_factory):
    p = _bundled_csv()
    if p is not None:
        return p
    return _synthetic(tmp_path_factory.mktemp("data") / "breast_cancer_like.csv", 569, 30, 7)


@pytest.fixture(scope="module")
def big_csv(tmp_path_factory):
    """Large enough that 100,000 boosting rounds take minutes."""
    return _synthetic(tmp_path_factory.mktemp("big") / "big.csv", 20000, 12, 11)


def read_rows(path, n):
    with open(path, newline="") as f:
        r = csv.DictReader(f)
        rows = [row for _, row in zip(range(n), r)]
    return r.fieldnames, rows


# ---------------------------------------------------------------------------
# A CLI process read line by line as it writes


class Running:
    """`aia ...` in the background; each stdout line with the time it came."""

    def __init__(self, server, *args):
        self.argv = [str(e2e.cli_binary()), "--server", server.address] + [str(a) for a in args]
        self.proc = subprocess.Popen(self.argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                     stdin=subprocess.DEVNULL, env=e2e.clean_env(None))
        self.lines = queue.Queue()
        self.seen = []
        self.t0 = time.monotonic()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            self.lines.put((time.monotonic(), line.rstrip("\n")))
        self.lines.put(None)

    def wait_line(self, pred, timeout, what):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                item = self.lines.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                break
            if item is None:
                break
            self.seen.append(item)
            if pred(item[1]):
                return item
        raise AssertionError(f"no {what} within {timeout}s from {' '.join(self.argv)}; "
                             f"lines so far:\n" + "\n".join(l for _, l in self.seen[-30:]))

    def finish(self, timeout):
        try:
            rc = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            raise AssertionError(f"{' '.join(self.argv)} still running after {timeout}s")
        self.end = time.monotonic()
        while True:
            item = self.lines.get(timeout=5)
            if item is None:
                break
            self.seen.append(item)
        self.stderr = self.proc.stderr.read()
        found = e2e.sanitizer_reports(self.stderr)
        assert not found, f"sanitizer report from {' '.join(self.argv)}:\n{self.stderr}"
        return rc

    def describe(self):
        return (f"\n$ {' '.join(self.argv)}\n--- stdout:\n" + "\n".join(l for _, l in self.seen[-40:]) +
                f"\n--- stderr:\n{getattr(self, 'stderr', '')}")


def field(text, key):
    """The value of a "key   value" line of a detail view."""
    m = re.search(rf"^{re.escape(key)}\s+(.*)$", text, re.M)
    assert m, f"no '{key}' line in:\n{text}"
    return m.group(1).strip()


# ---------------------------------------------------------------------------
# Usage errors: exit 2 naming the argument, before any network traffic


@pytest.mark.parametrize("args,names", [
    (["models"], "models needs a command"),
    (["models", "frobnicate"], "frobnicate"),
    (["models", "train", "m", "--target", "y"], "--data"),
    (["models", "train", "m", "--data", "x.csv"], "--target"),
    (["models", "train", "m", "--data", "x.csv", "--target", "y", "--task", "clustering"], "--task"),
    (["models", "train", "m", "--data", "x.csv", "--target", "y", "--algorithm", "xgboost"], "--algorithm"),
    (["models", "train", "m", "--data", "x.csv", "--target", "y", "--param", "n_rounds"], "--param"),
    (["models", "train", "m", "--data", "x.csv", "--target", "y", "--hpo-metric", "auc"], "--hpo-metric"),
    (["models", "train", "m", "--data", "x.csv", "--target", "y", "--hpo-trials", "many"], "--hpo-trials"),
    (["models", "train", "m", "--data", "a", "--data", "b", "--target", "y"], "--data"),
    (["models", "train"], "MODEL_ID"),
    (["models", "get"], "MODEL_ID"),
    (["models", "get", "a", "b"], '"b"'),
    (["models", "list", "--page-size", "0"], "--page-size"),
    (["models", "list", "--bogus"], "--bogus"),
    (["models", "alias", "m", "production"], "VERSION"),
    (["models", "alias", "m", "production", "x"], "VERSION"),
    (["models", "delete", "m"], "VERSION"),
    (["models", "delete", "m@production"], "VERSION"),
    (["models", "predict", "m"], "--instance"),
    (["models", "predict", "--instance", "{}"], "MODEL_REF"),
    (["models", "predict", "m", "--endpoint", "e", "--instance", "{}"], "--endpoint"),
    (["models", "predict", "m", "--instance", "[1, 2]"], "--instance #1"),
    (["models", "predict", "m", "--instance", "{}", "--csv", "x.csv"], "exactly one"),
    (["models", "predict", "m", "--csv", "/nonexistent/x.csv"], "/nonexistent/x.csv"),
    (["jobs", "list", "--state", "runing"], "--state"),
    (["jobs", "get"], "JOB_ID"),
    (["jobs", "watch", "a", "b"], '"b"'),
    (["endpoints", "deploy", "e"], "MODEL_REF"),
    (["endpoints", "deploy", "e", "m@1", "--traffic", "150"], "--traffic"),
    (["endpoints", "split", "e", "m@1=90", "m@2=20"], "100"),
    (["endpoints", "split", "e", "m@1"], "m@1"),
    (["endpoints", "split", "e", "m@1=50", "m@1=50"], "m@1"),
    (["endpoints", "rollback", "e", "--revision", "-1"], "--revision"),
], ids=lambda v: " ".join(v) if isinstance(v, list) else None)
def test_bad_usage_exits_2_naming_the_argument(args, names):
    p = e2e.run_cli(*args, server=dead_address())
    assert p.returncode == 2, e2e.describe_proc(p)
    assert p.stderr.startswith("aia: ") and names in p.stderr, e2e.describe_proc(p)
    assert "UNAVAILABLE" not in p.stderr, e2e.describe_proc(p)


@pytest.mark.parametrize("args", [["models", "--help"], ["models", "train", "--help"], ["jobs", "watch", "-h"],
                                  ["--help", "endpoints", "split"]])
def test_help(args):
    p = e2e.run_cli(*args)
    assert p.returncode == 0, e2e.describe_proc(p)
    assert p.stdout.startswith("usage: aia "), e2e.describe_proc(p)


def test_train_help_documents_the_defaults():
    p = ok(e2e.run_cli("models", "train", "--help"))
    assert "classification (default)" in p.stdout, p.stdout
    for opt in ("--data", "--target", "--algorithm", "--validation-data", "--features", "--param", "--hpo-trials",
                "--hpo-metric", "--hpo-timeout", "--label", "--description", "--seed", "--wait"):
        assert opt in p.stdout, f"{opt} missing from models train --help"


# ---------------------------------------------------------------------------
# A long job: progress streams while it runs; cancel stops it


def test_cancel_a_long_job_while_watching(server, big_csv):
    train = Running(server, "models", "train", "long_cli", "--data", big_csv, "--target", "target",
                    "--algorithm", "gbdt", "--param", "n_rounds=100000", "--param", "early_stopping_rounds=0",
                    "--wait")
    # Progress lines arrive while the job runs, long before it could end.
    train.wait_line(lambda l: l.startswith("job "), 15, "job line")
    job_id = field("\n".join(l for _, l in train.seen), "job")
    train.wait_line(lambda l: "iteration" in l, 60, "iteration line")
    first_iteration = train.wait_line(lambda l: "iteration" in l, 30, "second iteration line")
    assert train.proc.poll() is None, "the job ended before it was cancelled" + train.describe()

    # A second follower sees the same job live.
    watch = Running(server, "jobs", "watch", job_id)
    watch.wait_line(lambda l: job_id in l, 15, "watch snapshot")

    p = ok(cli(server, "jobs", "cancel", job_id), server)
    assert field(p.stdout, "job") == job_id, e2e.describe_proc(p)
    t_cancel = time.monotonic()

    rc = train.finish(30)
    assert rc == 1, f"train --wait exited {rc}" + train.describe()
    assert re.search(rf"^aia: job {re.escape(job_id)} CANCELLED", train.stderr, re.M), train.describe()
    assert first_iteration[0] < t_cancel and train.end - t_cancel < 10, train.describe()
    assert any("RUNNING -> CANCELLED" in l for _, l in train.seen), train.describe()

    rc = watch.finish(30)
    assert rc == 1 and "CANCELLED" in watch.stderr, watch.describe()

    p = ok(cli(server, "--json", "jobs", "get", job_id))
    assert json_out(p)["state"] == "JOB_STATE_CANCELLED", p.stdout
    p = ok(cli(server, "jobs", "list", "--state", "cancelled"))
    assert job_id in p.stdout, e2e.describe_proc(p)
    p = ok(cli(server, "jobs", "list", "--state", "succeeded,failed"))
    assert job_id not in p.stdout, e2e.describe_proc(p)
    # A finished job cannot be cancelled again.
    p = cli(server, "jobs", "cancel", job_id)
    assert p.returncode == 1 and p.stderr.startswith("aia: FAILED_PRECONDITION: "), e2e.describe_proc(p)


# ---------------------------------------------------------------------------
# Train on the bundled data, then the registry


@pytest.fixture(scope="module")
def trained(server, data_csv):
    """Versions 1 and 2 of MODEL, trained with --wait; the first through a
    relative --data path (the server runs in another directory)."""
    rel = os.path.relpath(data_csv)
    p1 = cli(server, "models", "train", MODEL, "--data", rel, "--target", "target", "--algorithm", "gbdt",
             "--label", "team=e2e", "--description", "first", "--wait", timeout=180)
    p2 = cli(server, "models", "train", MODEL, "--data", data_csv, "--target", "target", "--algorithm",
             "logistic_regression", "--wait", timeout=180)
    return p1, p2


def test_train_wait_prints_progress_and_metrics(trained, server):
    p, p2 = trained
    ok(p, server)
    ok(p2, server)
    out = p.stdout
    assert field(out, "model") == f"{MODEL}@1", e2e.describe_proc(p)
    # The watch may start after the job did: then its snapshot says RUNNING.
    assert re.search(r"state QUEUED -> RUNNING|@1 RUNNING", out), e2e.describe_proc(p)
    assert "state RUNNING -> SUCCEEDED" in out, e2e.describe_proc(p)
    assert re.search(r"\d+ train, \d+ validation, \d+ test rows", out), e2e.describe_proc(p)
    assert re.search(r"iteration \d+: ", out), e2e.describe_proc(p)
    assert f"SUCCEEDED: {MODEL}@1" in out, e2e.describe_proc(p)
    m = re.search(r"^test metrics: (.*)$", out, re.M)
    assert m, e2e.describe_proc(p)
    metrics = dict(kv.split("=") for kv in m.group(1).split())
    assert float(metrics["accuracy"]) >= 0.9, metrics
    assert f"SUCCEEDED: {MODEL}@2" in p2.stdout, e2e.describe_proc(p2)


def test_train_json_wait_prints_the_job_then_events(server, data_csv, trained):
    p = ok(cli(server, "--json", "models", "train", "json_cli", "--data", data_csv, "--target", "target",
               "--algorithm", "logistic_regression", "--wait", timeout=180), server)
    docs = [json.loads(l) for l in p.stdout.splitlines() if l.strip()]
    assert docs[0]["modelId"] == "json_cli" and docs[0]["modelVersion"] == 1, docs[0]
    events = docs[1:]
    assert events and all("job" in e for e in events), docs
    # (A fast job may be over before the watch starts: then the snapshot
    # alone, already SUCCEEDED.)
    assert events[-1]["job"]["state"] == "JOB_STATE_SUCCEEDED", events[-1]


def test_train_errors_from_the_server(server, data_csv):
    p = cli(server, "models", "train", "bad_cli", "--data", data_csv, "--target", "no_such_column")
    assert p.returncode == 1 and p.stderr.startswith("aia: INVALID_ARGUMENT: "), e2e.describe_proc(p)
    assert "no_such_column" in p.stderr, e2e.describe_proc(p)
    p = cli(server, "models", "train", "bad_cli", "--data", "/nonexistent/data.csv", "--target", "y")
    assert p.returncode == 1 and p.stderr.startswith("aia: "), e2e.describe_proc(p)
    assert "/nonexistent/data.csv" in p.stderr, e2e.describe_proc(p)


def test_models_list_and_get(server, trained):
    p = ok(cli(server, "models", "list"))
    assert re.search(rf"^{MODEL}\s+CLASSIFICATION\s+2\s+2\s", p.stdout, re.M), e2e.describe_proc(p)
    body = json_out(ok(cli(server, "--json", "models", "list", "--prefix", "bc_")))
    assert [m["modelId"] for m in body["models"]] == [MODEL], body
    body = json_out(ok(cli(server, "--json", "models", "list", "--page-size", "1")))
    assert len(body["models"]) == 1 and body.get("nextPageToken"), body
    nxt = json_out(ok(cli(server, "--json", "models", "list", "--page-size", "1", "--page-token",
                          body["nextPageToken"])))
    assert nxt["models"][0]["modelId"] != body["models"][0]["modelId"], (body, nxt)

    p = ok(cli(server, "models", "get", MODEL))
    assert field(p.stdout, "model") == MODEL
    assert re.search(r"^2\s+READY\s+logistic_regression\s", p.stdout, re.M), e2e.describe_proc(p)
    assert re.search(r"^1\s+READY\s+gbdt\s.*accuracy=", p.stdout, re.M), e2e.describe_proc(p)
    body = json_out(ok(cli(server, "--json", "models", "get", MODEL)))
    versions = {v["version"]: v for v in body["versions"]}
    assert sorted(versions) == [1, 2], body
    assert versions[1]["tags"] == {"team": "e2e"}, versions[1]

    p = ok(cli(server, "models", "status", MODEL))
    assert field(p.stdout, "state") == "READY", e2e.describe_proc(p)

    p = cli(server, "models", "get", "no_such_model")
    assert p.returncode == 1 and p.stderr.startswith("aia: NOT_FOUND: "), e2e.describe_proc(p)
    assert "no_such_model" in p.stderr, e2e.describe_proc(p)


def test_jobs_list_get_watch(server, trained):
    body = json_out(ok(cli(server, "--json", "jobs", "list", "--model", MODEL)))
    jobs = body["jobs"]
    assert [j["modelVersion"] for j in jobs] == [2, 1], jobs  # newest first
    job_id = jobs[1]["jobId"]
    p = ok(cli(server, "jobs", "list", "--model", MODEL, "--state", "succeeded"))
    assert job_id in p.stdout and "SUCCEEDED" in p.stdout, e2e.describe_proc(p)

    p = ok(cli(server, "jobs", "get", job_id))
    assert field(p.stdout, "state") == "SUCCEEDED" and field(p.stdout, "algorithm") == "gbdt", p.stdout
    assert "accuracy=" in field(p.stdout, "metrics"), p.stdout
    # Watching a finished job: its snapshot, then the outcome, at once.
    p = ok(cli(server, "jobs", "watch", job_id, timeout=30))
    assert f"SUCCEEDED: {MODEL}@1 (job {job_id})" in p.stdout, e2e.describe_proc(p)
    assert p.elapsed < 10, p.elapsed
    p = cli(server, "jobs", "get", "no-such-job")
    assert p.returncode == 1 and p.stderr.startswith("aia: NOT_FOUND: "), e2e.describe_proc(p)


# ---------------------------------------------------------------------------
# Prediction


def instances(data_csv, n):
    names, rows = read_rows(data_csv, n)
    return [{k: float(v) for k, v in row.items() if k != "target"} for row in rows], names, rows


def test_predict_instance_and_csv_agree(server, trained, data_csv, tmp_path):
    inst, names, rows = instances(data_csv, 5)
    args = []
    for i in inst:
        args += ["--instance", json.dumps(i)]
    a = json_out(ok(cli(server, "--json", "models", "predict", f"{MODEL}@1", *args)))
    small = tmp_path / "five.csv"
    with open(small, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=names)
        w.writeheader()
        w.writerows(rows)
    b = json_out(ok(cli(server, "--json", "models", "predict", f"{MODEL}@1", "--csv", small, "--drop", "target")))
    # One row per request: merged, the output is the same.
    c = json_out(ok(cli(server, "--json", "models", "predict", f"{MODEL}@1", "--csv", small, "--drop", "target",
                        "--batch-size", "2")))
    for other in (b, c):
        assert len(other["predictions"]) == len(a["predictions"]) == 5
        for x, y in zip(a["predictions"], other["predictions"]):
            assert x["label"] == y["label"], (x, y)
            assert x["probabilities"].keys() == y["probabilities"].keys()
            for k in x["probabilities"]:
                assert abs(x["probabilities"][k] - y["probabilities"][k]) < 1e-9, (x, y)
            assert y["modelVersion"] == 1 and y["modelId"] == MODEL and y["predictionId"], y
    ids = [p["predictionId"] for p in a["predictions"] + b["predictions"] + c["predictions"]]
    assert len(set(ids)) == len(ids), ids
    # Accurate on rows it mostly trained on.
    right = sum(p["label"] == r["target"] for p, r in zip(a["predictions"], rows))
    assert right >= 4, (a, rows)


def test_predict_table_and_files(server, trained, data_csv, tmp_path):
    inst, _, _ = instances(data_csv, 3)
    jsonl = tmp_path / "rows.jsonl"
    jsonl.write_text("\n".join(json.dumps(i) for i in inst) + "\n\n")
    p = ok(cli(server, "models", "predict", MODEL, "--instances-file", jsonl))
    lines = p.stdout.splitlines()
    assert re.match(r"ROW\s+LABEL\s+PROBABILITY\s+PROBABILITIES\s+MODEL\s+PREDICTION ID", lines[0]), p.stdout
    assert len(lines) == 4, p.stdout
    for i, line in enumerate(lines[1:], 1):
        assert re.match(rf"{i}\s+(malignant|benign)\s+[0-9.e-]+\s+\S+=", line), line
        assert f"{MODEL}@" in line, line
    # The whole CSV from stdin, in several requests.
    p = ok(cli(server, "--json", "models", "predict", MODEL, "--csv", "-", "--drop", "target", "--batch-size",
               "200", input=Path(data_csv).read_text()))
    n_rows = sum(1 for _ in open(data_csv)) - 1
    assert len(json_out(p)["predictions"]) == n_rows, n_rows
    # A feature the model does not know is the server's INVALID_ARGUMENT.
    p = cli(server, "models", "predict", MODEL, "--instance", '{"no_such_feature": 1}')
    assert p.returncode == 1 and p.stderr.startswith("aia: INVALID_ARGUMENT: "), e2e.describe_proc(p)
    assert "no_such_feature" in p.stderr, e2e.describe_proc(p)
    p = cli(server, "models", "predict", f"{MODEL}@99", "--instance", "{}")
    assert p.returncode == 1 and p.stderr.startswith("aia: NOT_FOUND: "), e2e.describe_proc(p)


# ---------------------------------------------------------------------------
# Aliases and deletion


def test_alias_set_move_and_delete_refused(server, trained, data_csv):
    p = ok(cli(server, "models", "alias", MODEL, "production", "1"))
    assert "production=1" in p.stdout, e2e.describe_proc(p)
    p = ok(cli(server, "models", "alias", MODEL, "production", "2"))
    assert "production=2" in p.stdout, e2e.describe_proc(p)
    assert json_out(ok(cli(server, "--json", "models", "get", MODEL)))["aliases"] == {"production": 2}
    # A bare model id now serves the production alias.
    inst, _, _ = instances(data_csv, 1)
    body = json_out(ok(cli(server, "--json", "models", "predict", MODEL, "--instance", json.dumps(inst[0]))))
    assert body["predictions"][0]["modelVersion"] == 2, body

    ok(cli(server, "models", "alias", MODEL, "staging", "1"))
    p = cli(server, "models", "delete", f"{MODEL}@1")
    assert p.returncode == 1 and p.stderr.startswith("aia: FAILED_PRECONDITION: "), e2e.describe_proc(p)
    assert "staging" in p.stderr, e2e.describe_proc(p)
    p = ok(cli(server, "models", "alias", MODEL, "staging", "--delete"))
    assert "staging" not in p.stdout, e2e.describe_proc(p)


def test_delete_version(server, data_csv, trained):
    ok(cli(server, "models", "train", "del_cli", "--data", data_csv, "--target", "target", "--algorithm",
           "logistic_regression", "--wait", timeout=180), server)
    ok(cli(server, "models", "train", "del_cli", "--data", data_csv, "--target", "target", "--algorithm",
           "logistic_regression", "--wait", timeout=180), server)
    p = ok(cli(server, "models", "delete", "del_cli", "1"))
    assert p.stdout.strip() == "deleted del_cli@1", e2e.describe_proc(p)
    body = json_out(ok(cli(server, "--json", "models", "get", "del_cli", "--deleted")))
    states = {v["version"]: v["state"] for v in body["versions"]}
    assert states == {1: "MODEL_VERSION_STATE_DELETED", 2: "MODEL_VERSION_STATE_READY"}, body
    p = cli(server, "models", "predict", "del_cli@1", "--instance", "{}")
    assert p.returncode == 1, e2e.describe_proc(p)


# ---------------------------------------------------------------------------
# Endpoints


def split_of(server, endpoint):
    for e in json_out(ok(cli(server, "--json", "endpoints", "list")))["endpoints"]:
        if e["endpointId"] == endpoint:
            return e.get("trafficSplit", {}), e["revision"]
    raise AssertionError(f"endpoint {endpoint} not listed")


def test_endpoints_deploy_split_rollback(server, trained, data_csv):
    p = ok(cli(server, "endpoints", "create", "bc-ep", "--display-name", "breast cancer"))
    assert field(p.stdout, "endpoint") == "bc-ep" and "nothing deployed" in p.stdout, e2e.describe_proc(p)
    p = ok(cli(server, "endpoints", "deploy", "bc-ep", f"{MODEL}@1"))
    assert re.search(rf"^{MODEL}@1\s+100%", p.stdout, re.M), e2e.describe_proc(p)
    p = ok(cli(server, "endpoints", "deploy", "bc-ep", f"{MODEL}@2", "--traffic", "10"))
    assert re.search(rf"^{MODEL}@1\s+90%", p.stdout, re.M), e2e.describe_proc(p)
    assert re.search(rf"^{MODEL}@2\s+10%", p.stdout, re.M), e2e.describe_proc(p)
    split, rev = split_of(server, "bc-ep")
    assert split == {f"{MODEL}@1": 90, f"{MODEL}@2": 10}, split

    p = ok(cli(server, "endpoints", "split", "bc-ep", f"{MODEL}@1=30", f"{MODEL}@2=70"))
    assert field(p.stdout, "revision") == str(rev + 1), e2e.describe_proc(p)
    assert split_of(server, "bc-ep")[0] == {f"{MODEL}@1": 30, f"{MODEL}@2": 70}
    p = cli(server, "endpoints", "split", "bc-ep", f"{MODEL}@1=50", f"{MODEL}@2=50", "--expected-revision",
            str(rev))
    assert p.returncode == 1 and p.stderr.startswith("aia: ABORTED: "), e2e.describe_proc(p)

    p = ok(cli(server, "endpoints", "rollback", "bc-ep"))
    assert split_of(server, "bc-ep")[0] == {f"{MODEL}@1": 90, f"{MODEL}@2": 10}, e2e.describe_proc(p)

    p = ok(cli(server, "endpoints", "list", "--model", MODEL))
    assert re.search(r"^bc-ep\s+breast cancer\s+\d+\s+" + re.escape(f"{MODEL}@1=90 {MODEL}@2=10"), p.stdout,
                     re.M), e2e.describe_proc(p)

    inst, _, _ = instances(data_csv, 1)
    body = json_out(ok(cli(server, "--json", "models", "predict", "--endpoint", "bc-ep", "--routing-key", "user-1",
                           "--instance", json.dumps(inst[0]))))
    pred = body["predictions"][0]
    assert body["endpointId"] == "bc-ep" and pred["deploymentId"] in (f"{MODEL}@1", f"{MODEL}@2"), body
    again = json_out(ok(cli(server, "--json", "models", "predict", "--endpoint", "bc-ep", "--routing-key",
                            "user-1", "--instance", json.dumps(inst[0]))))
    assert again["predictions"][0]["deploymentId"] == pred["deploymentId"], (body, again)

    # Deployed versions cannot be deleted.
    p = cli(server, "models", "delete", f"{MODEL}@1")
    assert p.returncode == 1 and p.stderr.startswith("aia: FAILED_PRECONDITION: "), e2e.describe_proc(p)
    assert "bc-ep" in p.stderr, e2e.describe_proc(p)

    p = ok(cli(server, "endpoints", "undeploy", "bc-ep", f"{MODEL}@2"))
    assert re.search(rf"^{MODEL}@1\s+100%", p.stdout, re.M), e2e.describe_proc(p)
    assert f"{MODEL}@2" not in p.stdout.split("DEPLOYMENT", 1)[1], e2e.describe_proc(p)

    p = cli(server, "endpoints", "split", "bc-ep", "nope@1=100")
    assert p.returncode == 1 and p.stderr.startswith("aia: INVALID_ARGUMENT: "), e2e.describe_proc(p)
    p = cli(server, "endpoints", "deploy", "no-such-ep", f"{MODEL}@1")
    assert p.returncode == 1 and p.stderr.startswith("aia: NOT_FOUND: "), e2e.describe_proc(p)


def test_endpoint_generated_id(server):
    body = json_out(ok(cli(server, "--json", "endpoints", "create")))
    assert body["endpointId"], body
    p = ok(cli(server, "endpoints", "list"))
    assert body["endpointId"] in p.stdout, e2e.describe_proc(p)


def test_server_down_is_unavailable():
    p = e2e.run_cli("--timeout", "3", "models", "list", server=dead_address(), timeout=20)
    assert p.returncode == 1 and p.stderr.startswith("aia: UNAVAILABLE: "), e2e.describe_proc(p)
