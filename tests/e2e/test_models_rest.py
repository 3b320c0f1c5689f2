"""The seed's REST paths for models, through the real aia-gateway in front
of the real aia-server: POST /mlops/models/train, GET
/mlops/models/{model_id}/status, POST /mlops/models/{model_id}/predict and
GET /mlops/models, plus the job they start at GET /mlops/jobs/{job_id};
answers match gRPC's, and errors map to HTTP codes with the server's
message."""

import math
import time

import pytest

import models_e2e as me

CLASSES = {"benign", "malignant"}


def train_body(model_id, **kw):
    body = {"model_id": model_id, "task_type": "TASK_TYPE_CLASSIFICATION", "algorithm": "gbdt",
            "training_data_uri": str(me.data_path()), "target_column": "target"}
    body.update(kw)
    return body


def wait_rest_job(gateway, job_id, timeout=me.JOB_TIMEOUT):
    deadline = time.monotonic() + timeout
    while True:
        r = gateway.get(f"/mlops/jobs/{job_id}")
        assert r.status_code == 200, r.text
        job = r.json()
        if job["state"] in me.TERMINAL:
            return job
        assert time.monotonic() < deadline, f"job {job_id} still {job['state']} after {timeout}s"
        time.sleep(0.1)


@pytest.fixture(scope="module")
def trained(gateway):
    r = gateway.request("POST", "/mlops/models/train", json=train_body("rest-bc"))
    assert r.status_code == 200, r.text
    job = r.json()
    early = gateway.get("/mlops/models/rest-bc/status")
    done = wait_rest_job(gateway, job["job_id"])
    assert done["state"] == "JOB_STATE_SUCCEEDED", done
    return {"job": job, "early": early, "done": done}


@pytest.fixture(scope="module")
def rows():
    feats, _ = me.feature_rows(me.data_path())
    return feats


def test_train_answers_with_the_job(trained):
    job = trained["job"]
    assert job["job_id"] and job["model_id"] == "rest-bc" and job["model_version"] == 1, job
    assert job["state"] in ("JOB_STATE_QUEUED", "JOB_STATE_RUNNING"), job
    assert job["spec"]["training_data_uri"] == str(me.data_path())


def test_job_succeeds_with_metrics(trained):
    done = trained["done"]
    assert done["metrics"]["accuracy"] >= 0.95, done["metrics"]
    assert {"roc_auc", "f1"} <= set(done["metrics"])
    split = done["data_split"]
    assert sum(int(split[k]) for k in ("train_rows", "validation_rows", "test_rows")) == 569, split


def test_status_right_after_train_and_later(gateway, trained):
    early = trained["early"]
    assert early.status_code == 200, early.text
    assert early.json()["state"] in ("MODEL_STATE_TRAINING", "MODEL_STATE_READY"), early.json()
    r = gateway.get("/mlops/models/rest-bc/status")
    assert r.status_code == 200, r.text
    st = r.json()
    assert st["model_id"] == "rest-bc" and st["state"] == "MODEL_STATE_READY", st
    assert st["latest_version"] == 1 and st["serving_version"] == 1, st
    assert st["metrics"]["accuracy"] == trained["done"]["metrics"]["accuracy"], st


def test_predict_over_rest_equals_grpc(gateway, channel, trained, rows):
    sample = [dict(rows[0]), dict(rows[1], mean_radius=None), {k: v for k, v in rows[2].items() if k != "worst_area"}]
    r = gateway.request("POST", "/mlops/models/rest-bc/predict", json={"instances": sample})
    assert r.status_code == 200, r.text
    preds = r.json()["predictions"]
    assert len(preds) == 3, preds
    direct = me.ok(channel, "Predict", me.predict_request("rest-bc", sample)).predictions
    ids = set()
    for p, d in zip(preds, direct):
        assert set(p["probabilities"]) == CLASSES, p
        assert math.isclose(sum(p["probabilities"].values()), 1.0, abs_tol=1e-9), p
        assert p["label"] == max(p["probabilities"], key=p["probabilities"].get), p
        assert p["model_version"] == 1 and p["model_id"] == "rest-bc" and p["prediction_id"], p
        assert p["probabilities"] == me.probabilities(d), (p, d)
        ids.add(p["prediction_id"])
    assert len(ids) == 3


def test_predict_with_a_version_in_the_path(gateway, trained, rows):
    r = gateway.request("POST", "/mlops/models/rest-bc@1/predict", json={"instances": [rows[0]]})
    assert r.status_code == 200, r.text
    assert r.json()["predictions"][0]["model_version"] == 1


def test_list_models(gateway, trained):
    gateway.request("POST", "/mlops/models/train", json=train_body("rest-lr", algorithm="logistic_regression"))
    r = gateway.get("/mlops/models")
    assert r.status_code == 200, r.text
    body = r.json()
    ids = [m["model_id"] for m in body["models"]]
    assert {"rest-bc", "rest-lr"} <= set(ids) and body["total_size"] == len(ids), body
    r = gateway.get("/mlops/models", params={"page_size": 1})
    assert r.status_code == 200 and len(r.json()["models"]) == 1 and r.json()["next_page_token"], r.text
    r2 = gateway.get("/mlops/models", params={"page_size": 1, "page_token": r.json()["next_page_token"]})
    assert r2.status_code == 200 and r2.json()["models"][0]["model_id"] != r.json()["models"][0]["model_id"]


# --------------------------------------------------------------------------
# Errors


def rest_error(gateway, channel, method, path, http_status, grpc_name, grpc_request, *needles, body=None):
    """The gateway's answer: the HTTP status, {"code", "message"} with the
    gRPC code and the very message a direct gRPC call gets."""
    r = gateway.request(method, path, json=body)
    assert r.status_code == http_status, f"{method} {path}: {r.status_code} {r.text}"
    err = r.json()
    direct = me.rpc(channel, grpc_name, grpc_request)
    assert err["code"] == direct.code.value[0] and err["message"] == direct.details, (err, direct)
    for n in needles:
        assert n in err["message"], err
    return err


def test_unknown_model_is_404(gateway, channel, trained, rows):
    rest_error(gateway, channel, "GET", "/mlops/models/nope/status", 404, "GetModelStatus",
               me.new("GetModelStatusRequest", model_id="nope"), "nope")
    rest_error(gateway, channel, "POST", "/mlops/models/nope/predict", 404, "Predict",
               me.predict_request("nope", rows[:1]), "nope", body={"instances": rows[:1]})
    rest_error(gateway, channel, "POST", "/mlops/models/rest-bc@9/predict", 404, "Predict",
               me.predict_request("rest-bc@9", rows[:1]), "version 9", body={"instances": rows[:1]})


def test_bad_predict_input_is_400(gateway, channel, trained, rows):
    bad = [dict(rows[0], mean_radius="big")]
    rest_error(gateway, channel, "POST", "/mlops/models/rest-bc/predict", 400, "Predict",
               me.predict_request("rest-bc", bad), "instances[0].mean_radius", body={"instances": bad})
    rest_error(gateway, channel, "POST", "/mlops/models/rest-bc/predict", 400, "Predict",
               me.predict_request("rest-bc", []), "instances", body={"instances": []})
    unknown = [dict(rows[0], nope=1)]
    rest_error(gateway, channel, "POST", "/mlops/models/rest-bc/predict", 400, "Predict",
               me.predict_request("rest-bc", unknown), "nope", body={"instances": unknown})


def test_bad_training_requests(gateway, channel, tmp_path):
    missing = str(tmp_path / "x.csv")
    rest_error(gateway, channel, "POST", "/mlops/models/train", 404, "TrainModel",
               me.train_request("rest-err", missing), missing,
               body=train_body("rest-err", training_data_uri=missing))
    rest_error(gateway, channel, "POST", "/mlops/models/train", 400, "TrainModel",
               me.train_request("rest-err", hyperparameters={"max_depht": "3"}), "max_depht",
               body=train_body("rest-err", hyperparameters={"max_depht": "3"}))
    rest_error(gateway, channel, "POST", "/mlops/models/train", 400, "TrainModel",
               me.train_request("rest-err", target="label"), "label", body=train_body("rest-err", target_column="label"))
    rest_error(gateway, channel, "POST", "/mlops/models/train", 501, "TrainModel",
               me.train_request("rest-err", "gs://b/x.csv"), "GCS",
               body=train_body("rest-err", training_data_uri="gs://b/x.csv"))
    rest_error(gateway, channel, "POST", "/mlops/models/train", 400, "TrainModel",
               me.train_request("bad id"), "model_id", body=train_body("bad id"))


def test_unknown_job_is_404(gateway, channel):
    rest_error(gateway, channel, "GET", "/mlops/jobs/no-such-job", 404, "GetTrainingJob",
               me.new("GetTrainingJobRequest", job_id="no-such-job"), "no-such-job")

