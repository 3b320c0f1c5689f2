"""Bad input to ModelService, each answered with a precise status and a
message naming what is wrong: data that is missing or unreachable, backends
not built, unknown columns, a missing target, unknown hyperparameters,
wrong value types and unknown features in Predict, empty and oversized
requests, unknown models, versions, aliases and jobs, invalid ids, splits
not summing to 100, deploying a deleted version. Also that http:// data
works, served by a local HTTP server."""

import functools
import http.server
import socket
import threading

import grpc
import pytest

import aia_e2e as e2e
import models_e2e as me

INVALID = grpc.StatusCode.INVALID_ARGUMENT
NOT_FOUND = grpc.StatusCode.NOT_FOUND


@pytest.fixture(scope="module")
def model(server, channel):
    """Model "m", two logistic-regression versions."""
    for _ in range(2):
        me.train_and_wait(channel, me.train_request("m", algorithm="logistic_regression"), server)
    return me.ok(channel, "GetModel", model_id="m", server=server)


@pytest.fixture(scope="module")
def row():
    feats, _ = me.feature_rows(me.data_path())
    return feats[0]


@pytest.fixture(scope="module")
def http_dir(tmp_path_factory):
    """A local HTTP server over a directory holding the bundled CSV."""
    root = tmp_path_factory.mktemp("www")
    (root / "bc.csv").write_bytes(me.data_path().read_bytes())
    handler = functools.partial(QuietHandler, directory=str(root))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    t = threading.Thread(target=httpd.serve_forever, daemon=True)
    t.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def closed_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # closed once the socket is


def train_error(channel, code, *needles, **kw):
    model_id = kw.pop("model_id", "err")
    return me.expect_error(channel, "TrainModel", code, *needles, request=me.train_request(model_id, **kw))


# --------------------------------------------------------------------------
# TrainModel: the data


def test_missing_file_is_not_found_naming_the_path(channel, tmp_path):
    path = tmp_path / "nowhere" / "x.csv"
    train_error(channel, NOT_FOUND, "training_data_uri", str(path), "does not exist", uri=path)
    train_error(channel, NOT_FOUND, "training_data_uri", str(path), uri=f"file://{path}")
    msg = train_error(channel, NOT_FOUND, "validation_data_uri", str(path), validation_data_uri=str(path))
    assert "training_data_uri" not in msg, msg


def test_unreachable_url_fails_the_job_naming_the_url(server, channel):
    url = f"http://127.0.0.1:{closed_port()}/x.csv"
    job = me.submit(channel, me.train_request("err-url", url), server)
    done = me.wait_job(channel, job.job_id, server=server)
    assert me.state_name(done) == "JOB_STATE_FAILED", done
    assert "training_data_uri" in done.error and url in done.error, done.error
    st = me.ok(channel, "GetModelStatus", model_id="err-url", server=server)
    assert me.enum_name("ModelState", st.state) == "MODEL_STATE_FAILED" and st.last_job.error == done.error


def test_http_404_fails_the_job_naming_it(server, channel, http_dir):
    url = f"{http_dir}/missing.csv"
    job = me.submit(channel, me.train_request("err-url", url), server)
    done = me.wait_job(channel, job.job_id, server=server)
    assert me.state_name(done) == "JOB_STATE_FAILED", done
    assert url in done.error and "404" in done.error, done.error


def test_http_data_trains(server, channel, http_dir):
    url = f"{http_dir}/bc.csv"
    done = me.train_and_wait(channel, me.train_request("from-http", url, algorithm="logistic_regression"), server)
    v = me.version_of(me.ok(channel, "GetModel", model_id="from-http", server=server), done.model_version)
    assert v.lineage.training_data_uri == url
    assert v.lineage.training_data_sha256 == me.sha256_file(me.data_path())


@pytest.mark.parametrize("uri,backend", [("gs://bucket/bc.csv", "GCS"), ("s3://bucket/bc.csv", "S3")])
def test_cloud_storage_is_unimplemented_naming_the_backend(channel, uri, backend):
    train_error(channel, grpc.StatusCode.UNIMPLEMENTED, "training_data_uri", backend, uri=uri)


def test_unknown_scheme_is_invalid(channel):
    train_error(channel, INVALID, "training_data_uri", "ftp://", uri="ftp://host/bc.csv")


# --------------------------------------------------------------------------
# TrainModel: columns, target, task, algorithm, hyperparameters, ids


def test_unknown_feature_column(channel):
    msg = train_error(channel, INVALID, 'feature_columns[1]: "nope" is not a column', "mean_radius",
                      feature_columns=["mean_radius", "nope"])
    assert "breast_cancer.csv" in msg, msg


def test_target_as_a_feature_is_refused(channel):
    train_error(channel, INVALID, "feature_columns[0]", "target", feature_columns=["target"])


def test_unknown_target_column(channel):
    train_error(channel, INVALID, 'target_column: "label" is not a column', "target", target="label")


def test_target_absent(channel):
    train_error(channel, INVALID, "target_column: required", target="")


def test_task_type_required(channel):
    req = me.train_request("err")
    req.task_type = 0
    me.expect_error(channel, "TrainModel", INVALID, "task_type", request=req)


def test_task_type_must_match_the_model(channel, model):
    req = me.train_request("m", algorithm="gbdt")
    req.task_type = me.enum_number("TaskType", "TASK_TYPE_REGRESSION")
    me.expect_error(channel, "TrainModel", grpc.StatusCode.FAILED_PRECONDITION, "m", "CLASSIFICATION",
                    request=req)


def test_unknown_algorithm(channel):
    train_error(channel, INVALID, "algorithm", "xgboost", algorithm="xgboost")


def test_unknown_hyperparameter_names_it_and_lists_the_known(channel):
    msg = train_error(channel, INVALID, 'hyperparameters["max_depht"]', "unknown hyperparameter of gbdt",
                      "max_depth", hyperparameters={"max_depht": "3"})
    assert "n_rounds" in msg, msg


def test_hyperparameter_of_the_wrong_type(channel):
    train_error(channel, INVALID, 'hyperparameters["max_depth"]', '"deep" is not an integer',
                hyperparameters={"max_depth": "deep"})


def test_unknown_hpo_metric(channel):
    train_error(channel, INVALID, "hpo.metric", "rmse", hpo=me.new("HpoSpec", trials=3, metric="rmse"))


@pytest.mark.parametrize("model_id,needle", [
    ("bad id", "0x20 at position 3"),
    ("-x", "must start with a letter or digit"),
    ("m@2", "0x40 at position 1"),
    ("m/1", "0x2f at position 1"),
    ("x" * 200, "characters long"),
])
def test_invalid_model_id(channel, model_id, needle):
    train_error(channel, INVALID, "model_id", needle, model_id=model_id)


def test_invalid_model_id_elsewhere(channel, row):
    me.expect_error(channel, "GetModel", INVALID, "model_id", "0x20", model_id="bad id")
    me.expect_error(channel, "Predict", INVALID, "model_id", "0x20", request=me.predict_request("bad id", [row]))
    me.expect_error(channel, "SetModelAlias", INVALID, "alias", model_id="m", alias="9lives", version=1)


# --------------------------------------------------------------------------
# Predict


def test_string_for_a_numeric_feature(channel, model, row):
    bad = dict(row, mean_radius="big")
    me.expect_error(channel, "Predict", INVALID, "instances[0].mean_radius", "expected a number or null",
                    "got a string", request=me.predict_request("m", [bad]))
    me.expect_error(channel, "Predict", INVALID, "instances[1].worst_area", "got a boolean",
                    request=me.predict_request("m", [row, dict(row, worst_area=True)]))
    me.expect_error(channel, "Predict", INVALID, "instances[0].mean_area", "got a list",
                    request=me.predict_request("m", [dict(row, mean_area=[1.0])]))


def test_unknown_feature_in_predict(channel, model, row):
    me.expect_error(channel, "Predict", INVALID, "instances[0].nope", 'unknown feature "nope"', "m@",
                    request=me.predict_request("m", [dict(row, nope=1.0)]))


def test_empty_instances(channel, model):
    me.expect_error(channel, "Predict", INVALID, "instances: empty", request=me.predict_request("m", []))


def test_model_and_endpoint_together_or_neither(channel, model, row):
    me.expect_error(channel, "Predict", INVALID, "model_id", "endpoint_id",
                    request=me.predict_request("m", [row], endpoint_id="ep"))
    me.expect_error(channel, "Predict", INVALID, "model_id", "endpoint_id", request=me.predict_request(None, [row]))


def test_columnar_batch_with_ragged_columns(channel, model, row):
    req = me.batch_request("m", [row, row], list(row))
    del req.batch.columns[1].numbers[1]
    me.expect_error(channel, "Predict", INVALID, "batch.columns[1]", "1 rows", request=req)


def test_request_over_the_size_limit(server, channel, model, row):
    rows = [row] * 6000  # ~6 MB of Structs, over the 4 MiB default
    req = me.predict_request("m", rows)
    assert req.ByteSize() > 4 * 1024 * 1024
    res = me.rpc(channel, "Predict", req)
    assert res.code == grpc.StatusCode.RESOURCE_EXHAUSTED, res
    assert str(4 * 1024 * 1024) in res.details, res.details
    assert e2e.get_health(channel).code == grpc.StatusCode.OK, server.diag(20)


def test_unknown_model_version_and_alias_are_not_found_naming_them(channel, model, row):
    me.expect_error(channel, "Predict", NOT_FOUND, "nope", request=me.predict_request("nope", [row]))
    me.expect_error(channel, "Predict", NOT_FOUND, "'m'", "version 9", request=me.predict_request("m@9", [row]))
    me.expect_error(channel, "Predict", NOT_FOUND, "'m'", "alias 'canary'",
                    request=me.predict_request("m@canary", [row]))
    me.expect_error(channel, "GetModel", NOT_FOUND, "nope", model_id="nope")
    me.expect_error(channel, "GetModelStatus", NOT_FOUND, "nope", model_id="nope")
    me.expect_error(channel, "SetModelAlias", NOT_FOUND, "m@9", model_id="m", alias="production", version=9)
    me.expect_error(channel, "DeleteModelVersion", NOT_FOUND, "m@9", model_id="m", version=9)
    me.expect_error(channel, "GetTrainingJob", NOT_FOUND, "no-such-job", job_id="no-such-job")


# --------------------------------------------------------------------------
# Endpoints


def test_split_not_summing_to_100(server, channel, model):
    me.ok(channel, "CreateEndpoint", endpoint_id="e1", server=server)
    me.ok(channel, "DeployModel", endpoint_id="e1", model_id="m@1", server=server)
    me.ok(channel, "DeployModel", endpoint_id="e1", model_id="m@2", traffic_percent=50, server=server)
    for split, needles in (({"m@1": 60, "m@2": 60}, ("sum to 120", "not 100")),
                           ({"m@1": 100}, ("m@2",)),
                           ({"m@1": 90, "m@2": 10, "m@7": 0}, ("m@7",)),
                           ({"m@1": 110, "m@2": -10}, ("is outside 0..100",))):  # either entry
        req = me.new("UpdateTrafficSplitRequest", endpoint_id="e1")
        for k, v in split.items():
            req.traffic_split[k] = v
        me.expect_error(channel, "UpdateTrafficSplit", INVALID, "e1", *needles, request=req)
    req = me.new("UpdateTrafficSplitRequest", endpoint_id="e1", expected_revision=1)
    req.traffic_split["m@1"] = 50
    req.traffic_split["m@2"] = 50
    me.expect_error(channel, "UpdateTrafficSplit", grpc.StatusCode.ABORTED, "revision", request=req)


def test_deploying_a_deleted_version(server, channel, model):
    me.ok(channel, "CreateEndpoint", endpoint_id="e2", server=server)
    job = me.train_and_wait(channel, me.train_request("m", algorithm="logistic_regression"), server)
    me.ok(channel, "DeleteModelVersion", model_id="m", version=job.model_version, server=server)
    res = me.rpc(channel, "DeployModel", endpoint_id="e2", model_id=f"m@{job.model_version}")
    assert res.code in (NOT_FOUND, grpc.StatusCode.FAILED_PRECONDITION), res
    assert "deleted" in res.details and f"{job.model_version}" in res.details, res.details


def test_server_survived(server, channel, alive):
    assert server.alive()
