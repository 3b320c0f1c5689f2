"""The Open Inference Protocol (inference.GRPCInferenceService, KServe v2)
end to end with stock clients from PyPI: tritonclient's gRPC client and its
generated stubs, and open-inference-grpc's stubs, against models trained
through aia.v1.ModelService on the real server.

ModelInfer's probabilities must equal ModelService.Predict's for the same
rows (1e-9), whatever the form: an FP64 or FP32 matrix, per-feature
tensors, typed contents or raw bytes. Bad requests answer the exact status
code with a message naming the tensor.

open-inference-grpc runs in a subprocess: its generated module and
tritonclient's both register the `inference` package in protobuf's default
descriptor pool, which refuses the second one in the same process.
"""

import json
import math
import subprocess
import sys
import textwrap

import grpc
import numpy as np
import pytest
import tritonclient.grpc as tc
from tritonclient.grpc import service_pb2, service_pb2_grpc
from tritonclient.utils import InferenceServerException

import aia_e2e as e2e
import models_e2e as me

MODEL = "oip-bc"
N_ROWS = 60
TOL = 1e-9


# --------------------------------------------------------------------------
# Fixtures: the data, a classifier, Predict's answers


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    """(csv path, target, feature names, X as float64 [rows, 30]). The
    bundled breast-cancer CSV when the test has it, else a generated
    30-feature set of the same shape."""
    path, target = me.data_path(), "target"
    if not path.exists():
        path, target = me.synthetic_csv(tmp_path_factory.mktemp("oip") / "bc.csv", 500, features=30), "y"
    header, rows = me.read_csv(path)
    names = [h for h in header if h != target]
    idx = [header.index(n) for n in names]
    X = np.array([[float(r[i]) for i in idx] for r in rows], dtype=np.float64)
    return path, target, names, X


@pytest.fixture(scope="module")
def model(server, channel, data):
    path, target, _, _ = data
    return me.train_and_wait(channel, me.train_request(MODEL, path, target=target), server)


@pytest.fixture(scope="module")
def client(server, model):
    c = tc.InferenceServerClient(url=server.address)
    yield c
    c.close()


@pytest.fixture(scope="module")
def stub(channel):
    return service_pb2_grpc.GRPCInferenceServiceStub(channel)


def predict(channel, model_id, names, X, server=None):
    """ModelService.Predict on rows of X (NaN = missing, sent as null)."""
    rows = [{n: (None if math.isnan(v) else float(v)) for n, v in zip(names, x)} for x in X]
    return me.ok(channel, "Predict", me.predict_request(model_id, rows), server=server).predictions


@pytest.fixture(scope="module")
def classes(server, model):
    """Class labels in ModelMetadata's order (read through the contract
    pool, which knows the `properties` field tritonclient's proto lacks)."""
    meta = oip_metadata(server)
    return json.loads(dict(meta.properties)["class_labels"])


@pytest.fixture(scope="module")
def expected(channel, server, model, data, classes):
    """Predict's probabilities for the first N_ROWS rows as [rows, classes], and labels."""
    _, _, names, X = data
    preds = predict(channel, MODEL, names, X[:N_ROWS], server)
    probs = np.array([[p.probabilities[c] for c in classes] for p in preds])
    return probs, [p.label for p in preds]


def oip_metadata(server, name=MODEL, version=""):
    c = e2e.contract()
    req = c.new("inference.ModelMetadataRequest", name=name, version=version)
    res = e2e.call(server.channel(), e2e.method_by_name("inference.GRPCInferenceService/ModelMetadata"), req)
    assert res.code == grpc.StatusCode.OK, f"ModelMetadata({name!r}, {version!r}): {res}{server.diag(20)}"
    return res.response


def assert_probs(got, want, what):
    assert got.shape == want.shape, f"{what}: shape {got.shape}, Predict's {want.shape}"
    worst = float(np.max(np.abs(got - want)))
    assert worst <= TOL, f"{what}: differs from Predict by {worst!r} (> {TOL})"


def fp64_input(name, X, dtype="FP64"):
    inp = tc.InferInput(name, list(X.shape), dtype)
    inp.set_data_from_numpy(X.astype(np.float32 if dtype == "FP32" else np.float64))
    return inp


# --------------------------------------------------------------------------
# Server and model state through tritonclient


def test_server_live_ready_and_metadata(client, channel):
    assert client.is_server_live()
    assert client.is_server_ready()
    meta = client.get_server_metadata()
    health = e2e.get_health(channel).response
    assert meta.name == "aia" and meta.version == health.build.version, meta
    assert list(meta.extensions) == [], meta


def test_model_ready(client, model):
    assert client.is_model_ready(MODEL)
    assert client.is_model_ready(MODEL, "1")
    assert client.is_model_ready(MODEL, "latest")
    assert not client.is_model_ready(MODEL, "2")
    assert not client.is_model_ready(MODEL, "production")  # no such alias yet
    assert not client.is_model_ready("no-such-model")


def test_model_metadata(client, server, data, classes):
    _, _, names, _ = data
    meta = client.get_model_metadata(MODEL)
    assert meta.name == MODEL and list(meta.versions) == ["1"] and meta.platform == "aia_gbdt", meta
    assert [(t.name, t.datatype, list(t.shape)) for t in meta.inputs] == [("input-0", "FP64", [-1, len(names)])]
    assert [(t.name, t.datatype, list(t.shape)) for t in meta.outputs] == [
        ("probabilities", "FP64", [-1, len(classes)]), ("label", "BYTES", [-1])]
    props = dict(oip_metadata(server).properties)
    assert props["task"] == "classification" and props["algorithm"] == "gbdt", props
    assert json.loads(props["feature_names"]) == names, props
    assert sorted(classes) == classes and len(classes) == 2, classes
    assert client.get_model_metadata(MODEL, "1").versions == ["1"]


def test_model_metadata_of_unknown_model_is_not_found(client):
    with pytest.raises(InferenceServerException) as ei:
        client.get_model_metadata("no-such-model")
    assert ei.value.status() == "StatusCode.NOT_FOUND" and "no-such-model" in ei.value.message(), ei.value


# --------------------------------------------------------------------------
# ModelInfer equals Predict


def test_infer_raw_fp64_matrix_equals_predict(client, data, expected):
    _, _, _, X = data
    want, labels = expected
    res = client.infer(MODEL, [fp64_input("input-0", X[:N_ROWS])])
    resp = res.get_response()
    assert resp.model_name == MODEL and resp.model_version == "1", resp.model_name
    # A raw request is answered raw, as Triton does.
    assert len(resp.raw_output_contents) == 2 and not resp.outputs[0].HasField("contents"), resp.outputs
    assert_probs(res.as_numpy("probabilities"), want, "raw FP64 matrix")
    assert [b.decode() for b in res.as_numpy("label")] == labels


def test_infer_typed_fp64_matrix_equals_predict(stub, data, expected):
    _, _, names, X = data
    want, labels = expected
    req = service_pb2.ModelInferRequest(model_name=MODEL, id="typed-1")
    t = req.inputs.add(name="input-0", datatype="FP64", shape=[N_ROWS, len(names)])
    t.contents.fp64_contents.extend(X[:N_ROWS].ravel().tolist())
    resp = stub.ModelInfer(req, timeout=10)
    assert resp.id == "typed-1" and not resp.raw_output_contents, resp
    out = {o.name: o for o in resp.outputs}
    assert list(out) == ["probabilities", "label"]
    p = out["probabilities"]
    assert p.datatype == "FP64" and list(p.shape) == [N_ROWS, 2], p
    assert_probs(np.array(p.contents.fp64_contents).reshape(N_ROWS, 2), want, "typed FP64 matrix")
    assert [b.decode() for b in out["label"].contents.bytes_contents] == labels


def test_infer_fp32_matrix_equals_predict_on_the_rounded_values(client, channel, server, data, classes):
    _, _, names, X = data
    X32 = X[:20].astype(np.float32)
    preds = predict(channel, MODEL, names, X32.astype(np.float64), server)
    want = np.array([[p.probabilities[c] for c in classes] for p in preds])
    res = client.infer(MODEL, [fp64_input("input__0", X32, "FP32")])
    assert_probs(res.as_numpy("probabilities"), want, "raw FP32 matrix named input__0")


def test_infer_per_feature_tensors_equals_predict(client, data, expected):
    _, _, names, X = data
    want, _ = expected
    inputs = []
    for j, n in enumerate(names):
        col = X[:N_ROWS, j]
        shape = [N_ROWS] if j % 2 else [N_ROWS, 1]
        inp = tc.InferInput(n, shape, "FP64")
        inp.set_data_from_numpy(col.reshape(shape))
        inputs.append(inp)
    res = client.infer(MODEL, inputs[::-1])  # any order
    assert_probs(res.as_numpy("probabilities"), want, "per-feature tensors")


def test_missing_values_as_nan_equal_predict_with_null(client, channel, server, data, classes):
    _, _, names, X = data
    Xm = X[:10].copy()
    for i in range(10):
        Xm[i, (i * 7) % len(names)] = np.nan
        Xm[i, (i * 3 + 1) % len(names)] = np.nan
    preds = predict(channel, MODEL, names, Xm, server)
    want = np.array([[p.probabilities[c] for c in classes] for p in preds])
    res = client.infer(MODEL, [fp64_input("input-0", Xm)])
    assert_probs(res.as_numpy("probabilities"), want, "matrix with NaN")


def test_requested_outputs_and_request_id(client, data, expected):
    _, _, _, X = data
    _, labels = expected
    res = client.infer(MODEL, [fp64_input("input-0", X[:5])], outputs=[tc.InferRequestedOutput("label")],
                       request_id="req-42")
    resp = res.get_response()
    assert [o.name for o in resp.outputs] == ["label"] and resp.id == "req-42", resp
    assert [b.decode() for b in res.as_numpy("label")] == labels[:5]
    res = client.infer(MODEL, [fp64_input("input-0", X[:3])],
                       outputs=[tc.InferRequestedOutput("prediction_id"), tc.InferRequestedOutput("probabilities")])
    ids = [b.decode() for b in res.as_numpy("prediction_id")]
    assert [o.name for o in res.get_response().outputs] == ["prediction_id", "probabilities"]
    assert len(set(ids)) == 3 and all(len(i) == 32 for i in ids), ids


def test_int64_matrix(client, channel, server, data, classes):
    _, _, names, X = data
    Xi = np.rint(X[:8]).astype(np.int64)
    preds = predict(channel, MODEL, names, Xi.astype(np.float64), server)
    want = np.array([[p.probabilities[c] for c in classes] for p in preds])
    inp = tc.InferInput("input-0", list(Xi.shape), "INT64")
    inp.set_data_from_numpy(Xi)
    assert_probs(client.infer(MODEL, [inp]).as_numpy("probabilities"), want, "INT64 matrix")


# --------------------------------------------------------------------------
# open-inference-grpc (in a subprocess, see the module docstring)

OPEN_INFERENCE_SCRIPT = textwrap.dedent("""
    import json, sys
    import grpc
    from open_inference.grpc import protocol as pb
    from open_inference.grpc.service import GRPCInferenceServiceStub

    address, model, rows, n = sys.argv[1], sys.argv[2], json.loads(sys.argv[3]), int(sys.argv[4])
    stub = GRPCInferenceServiceStub(grpc.insecure_channel(address))
    out = {
        "live": stub.ServerLive(pb.ServerLiveRequest(), timeout=10).live,
        "ready": stub.ServerReady(pb.ServerReadyRequest(), timeout=10).ready,
        "model_ready": stub.ModelReady(pb.ModelReadyRequest(name=model), timeout=10).ready,
        "unknown_ready": stub.ModelReady(pb.ModelReadyRequest(name="no-such-model"), timeout=10).ready,
    }
    meta = stub.ModelMetadata(pb.ModelMetadataRequest(name=model), timeout=10)
    out["inputs"] = [[t.name, t.datatype, list(t.shape)] for t in meta.inputs]
    out["properties"] = dict(meta.properties)
    req = pb.ModelInferRequest(model_name=model, model_version="1")
    t = req.inputs.add(name="input-0", datatype="FP64", shape=[len(rows), n])
    t.contents.fp64_contents.extend(v for r in rows for v in r)
    resp = stub.ModelInfer(req, timeout=10)
    p = next(o for o in resp.outputs if o.name == "probabilities")
    out["shape"] = list(p.shape)
    out["probabilities"] = list(p.contents.fp64_contents)
    try:
        stub.ModelInfer(pb.ModelInferRequest(model_name="no-such-model"), timeout=10)
        out["unknown_code"] = "OK"
    except grpc.RpcError as e:
        out["unknown_code"] = e.code().name
    print(json.dumps(out))
""")


def test_open_inference_grpc_client(server, data, expected):
    _, _, names, X = data
    want, _ = expected
    rows = X[:N_ROWS].tolist()
    p = subprocess.run([sys.executable, "-c", OPEN_INFERENCE_SCRIPT, server.address, MODEL, json.dumps(rows),
                        str(len(names))], capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, f"open-inference-grpc client failed:\n{p.stderr}"
    out = json.loads(p.stdout)
    assert out["live"] and out["ready"] and out["model_ready"] and not out["unknown_ready"], out
    assert out["inputs"] == [["input-0", "FP64", [-1, len(names)]]], out["inputs"]
    assert out["properties"]["task"] == "classification", out["properties"]
    assert out["shape"] == [N_ROWS, 2], out["shape"]
    assert_probs(np.array(out["probabilities"]).reshape(N_ROWS, 2), want, "open-inference-grpc typed FP64")
    assert out["unknown_code"] == "NOT_FOUND", out


# --------------------------------------------------------------------------
# Bad requests: exact codes, messages naming the tensor


def infer_error(stub, req):
    with pytest.raises(grpc.RpcError) as ei:
        stub.ModelInfer(req, timeout=10)
    return ei.value.code(), ei.value.details()


def matrix_request(X, name="input-0", datatype="FP64", shape=None, model=MODEL, version=""):
    req = service_pb2.ModelInferRequest(model_name=model, model_version=version)
    t = req.inputs.add(name=name, datatype=datatype, shape=list(shape or X.shape))
    t.contents.fp64_contents.extend(X.ravel().tolist())
    return req


@pytest.mark.parametrize("case", [
    "wrong_shape", "one_dimension", "unknown_input", "wrong_datatype", "unsupported_datatype", "short_contents",
    "wrong_contents_field", "raw_length", "raw_and_typed", "unknown_output", "missing_feature", "batch_mismatch",
    "no_inputs", "no_rows", "infinite_value"])
def test_bad_inputs_are_invalid_argument_naming_the_tensor(stub, model, data, case):
    _, _, names, X = data
    x = X[:2]
    if case == "wrong_shape":
        req, needles = matrix_request(x[:, :-1]), ["input 'input-0'", "[2,29]", "[batch, 30]"]
    elif case == "one_dimension":
        req, needles = matrix_request(x[0], shape=[30]), ["input 'input-0'", "[30]"]
    elif case == "unknown_input":
        req, needles = matrix_request(x, name="bogus"), ["unknown input 'bogus'", "input-0"]
    elif case == "wrong_datatype":
        req = matrix_request(x, datatype="INT64")
        needles = ["input 'input-0' is INT64", "fp64_contents"]
    elif case == "unsupported_datatype":
        req, needles = matrix_request(x, datatype="FP16"), ["input 'input-0'", "'FP16'", "not supported"]
    elif case == "short_contents":
        req = matrix_request(x)
        del req.inputs[0].contents.fp64_contents[-1]
        needles = ["input 'input-0' has 59 values", "needs 60"]
    elif case == "wrong_contents_field":
        req = service_pb2.ModelInferRequest(model_name=MODEL)
        t = req.inputs.add(name="input-0", datatype="FP64", shape=[1, 30])
        t.contents.fp32_contents.extend([1.0] * 30)
        needles = ["input 'input-0' is FP64", "contents.fp32_contents"]
    elif case == "raw_length":
        req = service_pb2.ModelInferRequest(model_name=MODEL)
        req.inputs.add(name="input-0", datatype="FP64", shape=[2, 30])
        req.raw_input_contents.append(x.astype("<f8").tobytes()[:-8])
        needles = ["raw_input_contents[0]", "input 'input-0'", "472 bytes", "needs 480"]
    elif case == "raw_and_typed":
        req = matrix_request(x)
        req.raw_input_contents.append(x.astype("<f8").tobytes())
        needles = ["input 'input-0' has contents", "raw_input_contents"]
    elif case == "unknown_output":
        req = matrix_request(x)
        req.outputs.add(name="predict")
        needles = ["unknown output 'predict'", "probabilities"]
    elif case == "missing_feature":
        req = service_pb2.ModelInferRequest(model_name=MODEL)
        for j, n in enumerate(names[:-1]):
            req.inputs.add(name=n, datatype="FP64", shape=[2]).contents.fp64_contents.extend(x[:, j].tolist())
        needles = [f"missing input '{names[-1]}'"]
    elif case == "batch_mismatch":
        req = service_pb2.ModelInferRequest(model_name=MODEL)
        for j, n in enumerate(names):
            rows = 1 if j == 5 else 2
            req.inputs.add(name=n, datatype="FP64", shape=[rows]).contents.fp64_contents.extend(x[:rows, j].tolist())
        needles = [f"input '{names[5]}' has batch size 1", f"input '{names[0]}' has 2"]
    elif case == "no_inputs":
        req, needles = service_pb2.ModelInferRequest(model_name=MODEL), ["no inputs"]
    elif case == "no_rows":
        req, needles = matrix_request(X[:0], shape=[0, 30]), ["input 'input-0' has no rows"]
    elif case == "infinite_value":
        xi = x.copy()
        xi[1, 3] = np.inf
        req, needles = matrix_request(xi), ["row 1", names[3]]
    code, details = infer_error(stub, req)
    assert code == grpc.StatusCode.INVALID_ARGUMENT, f"{case}: {code} {details!r}"
    for n in needles:
        assert n in details, f"{case}: message {details!r} does not say {n!r}"


def test_unknown_model_version_and_alias_are_not_found(stub, client, model, data):
    _, _, _, X = data
    for model_name, version, needle in [("no-such-model", "", "no-such-model"), (MODEL, "7", "7"),
                                        (MODEL, "staging", "staging")]:
        code, details = infer_error(stub, matrix_request(X[:1], model=model_name, version=version))
        assert code == grpc.StatusCode.NOT_FOUND, f"{model_name}@{version}: {code} {details!r}"
        assert needle in details, details
    # The same through tritonclient, which reports the gRPC status.
    with pytest.raises(InferenceServerException) as ei:
        client.infer("no-such-model", [fp64_input("input-0", X[:1])])
    assert ei.value.status() == "StatusCode.NOT_FOUND", ei.value


def test_malformed_names_are_invalid_argument(stub, model, data):
    _, _, _, X = data
    for model_name, version, needle in [("", "", "model_name is required"), (f"{MODEL}@1", "", "bare model_id"),
                                        (MODEL, "0", "'0'"), (MODEL, "99999999999", "99999999999")]:
        code, details = infer_error(stub, matrix_request(X[:1], model=model_name, version=version))
        assert code == grpc.StatusCode.INVALID_ARGUMENT, f"{model_name!r}@{version!r}: {code} {details!r}"
        assert needle in details, details


def test_tritonclient_reports_invalid_argument(client, model, data):
    _, _, _, X = data
    with pytest.raises(InferenceServerException) as ei:
        client.infer(MODEL, [fp64_input("input-0", X[:2, :10])])
    assert ei.value.status() == "StatusCode.INVALID_ARGUMENT" and "input 'input-0'" in ei.value.message()


# --------------------------------------------------------------------------
# Regression, and a model with a categorical feature (per-feature metadata)


def test_regression_value_equals_predict(server, channel, client, tmp_path):
    rnd = np.random.default_rng(5)
    X = rnd.uniform(-1, 1, size=(300, 3))
    y = 3 * X[:, 0] - 2 * X[:, 1] + rnd.normal(0, 0.1, 300)
    path = me.write_csv(tmp_path / "reg.csv", ["x0", "x1", "x2", "y"],
                        [[repr(float(v)) for v in row] + [repr(float(t))] for row, t in zip(X, y)])
    req = me.train_request("oip-reg", path, target="y")
    req.task_type = me.enum_number("TaskType", "TASK_TYPE_REGRESSION")
    me.train_and_wait(channel, req, server)
    meta = client.get_model_metadata("oip-reg")
    assert [(t.name, t.datatype, list(t.shape)) for t in meta.outputs] == [("value", "FP64", [-1])]
    preds = predict(channel, "oip-reg", ["x0", "x1", "x2"], X[:40], server)
    res = client.infer("oip-reg", [fp64_input("input-0", X[:40])])
    got = res.as_numpy("value")
    assert got.shape == (40,)
    assert_probs(got, np.array([p.value for p in preds]), "regression value")
    with pytest.raises(InferenceServerException) as ei:
        client.infer("oip-reg", [fp64_input("input-0", X[:1])], outputs=[tc.InferRequestedOutput("label")])
    assert ei.value.status() == "StatusCode.INVALID_ARGUMENT" and "unknown output 'label'" in ei.value.message()


def test_categorical_feature_per_feature_bytes(server, channel, client, tmp_path):
    rnd = np.random.default_rng(9)
    colors = ["blue", "green", "red"]
    rows, data = [], []
    for _ in range(400):
        x, c = float(rnd.uniform(0, 1)), colors[int(rnd.integers(0, 3))]
        label = "yes" if (x > 0.5) ^ (c == "red") else "no"
        rows.append([repr(x), c, label])
        data.append((x, c))
    path = me.write_csv(tmp_path / "cat.csv", ["x", "color", "label"], rows)
    me.train_and_wait(channel, me.train_request("oip-cat", path, target="label"), server)
    meta = client.get_model_metadata("oip-cat")
    assert [(t.name, t.datatype, list(t.shape)) for t in meta.inputs] == [("x", "FP64", [-1]),
                                                                           ("color", "BYTES", [-1])]
    sample = data[:12] + [(0.7, "purple")]  # an unseen category is handled as in Predict
    preds = me.ok(channel, "Predict", me.predict_request("oip-cat", [{"x": x, "color": c} for x, c in sample]),
                  server=server).predictions
    classes = json.loads(dict(oip_metadata(server, "oip-cat").properties)["class_labels"])
    want = np.array([[p.probabilities[k] for k in classes] for p in preds])
    xs = tc.InferInput("x", [len(sample)], "FP64")
    xs.set_data_from_numpy(np.array([x for x, _ in sample]))
    cs = tc.InferInput("color", [len(sample), 1], "BYTES")
    cs.set_data_from_numpy(np.array([[c.encode()] for _, c in sample], dtype=np.object_))
    res = client.infer("oip-cat", [xs, cs])
    assert_probs(res.as_numpy("probabilities"), want, "categorical per-feature (raw BYTES)")
    assert [b.decode() for b in res.as_numpy("label")] == [p.label for p in preds]
    # A number for the categorical feature is refused, naming it.
    bad = tc.InferInput("color", [len(sample)], "FP64")
    bad.set_data_from_numpy(np.zeros(len(sample)))
    with pytest.raises(InferenceServerException) as ei:
        client.infer("oip-cat", [xs, bad])
    assert ei.value.status() == "StatusCode.INVALID_ARGUMENT", ei.value
    assert "feature 'color' is categorical" in ei.value.message(), ei.value.message()


def test_model_status_counts_oip_requests(channel, client, data, model):
    _, _, _, X = data
    before = me.ok(channel, "GetModelStatus", model_id=MODEL).prediction_stats
    client.infer(MODEL, [fp64_input("input-0", X[:7])])
    after = me.ok(channel, "GetModelStatus", model_id=MODEL).prediction_stats
    assert after.predictions_total == before.predictions_total + 7, f"{before} -> {after}"


def test_server_still_healthy(server, channel, alive):
    assert e2e.get_health(channel).code == grpc.StatusCode.OK
