"""ModelService end to end over gRPC: train a GBDT on the bundled
breast-cancer CSV, follow the job, read the registry's lineage, list and
page models and jobs, move aliases, refuse to delete an aliased version,
and predict: every way of naming the model gives the same probabilities,
which are the engine's own for the stored artifact (tools/engine_predict),
missing values included, rows and columnar batches alike."""

import math
import threading
import time

import grpc
import pytest

import aia_e2e as e2e
import models_e2e as me

N_ROWS = 569
N_FEATURES = 30
CLASSES = {"benign", "malignant"}


@pytest.fixture(scope="module")
def bc(server, channel):
    """Model "bc" version 1: gbdt on the bundled data, with the status read
    right after TrainModel answered."""
    req = me.train_request("bc", description="breast cancer, gbdt", labels={"team": "e2e"})
    t0 = time.monotonic()
    job = me.submit(channel, req, server)
    submit_seconds = time.monotonic() - t0
    early = me.rpc(channel, "GetModelStatus", model_id="bc")
    done = me.wait_job(channel, job.job_id, server=server)
    assert me.state_name(done) == "JOB_STATE_SUCCEEDED", f"{done}{server.diag(40)}"
    model = me.ok(channel, "GetModel", model_id="bc", server=server)
    return {"job": job, "submit_seconds": submit_seconds, "early": early, "done": done, "model": model}


@pytest.fixture(scope="module")
def rows():
    return me.feature_rows(me.data_path())


# --------------------------------------------------------------------------
# The job


def test_train_model_returns_at_once_with_the_ids(bc):
    job = bc["job"]
    assert me.state_name(job) in ("JOB_STATE_QUEUED", "JOB_STATE_RUNNING"), job
    assert job.job_id and job.model_id == "bc" and job.model_version == 1, job
    assert job.create_time.seconds > 0, job
    assert job.spec.training_data_uri == str(me.data_path()) and job.spec.target_column == "target", job.spec
    assert job.spec.algorithm == "gbdt", job.spec
    assert dict(job.labels) == {"team": "e2e"}, job
    assert me.enum_name("TrainingTrigger", job.trigger) == "TRAINING_TRIGGER_MANUAL", job
    assert bc["submit_seconds"] < 10, f"TrainModel took {bc['submit_seconds']:.2f}s to answer"


def test_job_succeeds_with_test_metrics(bc):
    done = bc["done"]
    assert done.job_id == bc["job"].job_id and done.model_version == 1
    assert done.error == "", done.error
    m = dict(done.metrics)
    assert m["accuracy"] >= 0.95, f"test accuracy {m['accuracy']} < 0.95: {m}"
    assert 0.9 <= m["roc_auc"] <= 1.0, m
    assert 0.9 <= m["f1"] <= 1.0, m
    assert dict(done.validation_metrics), "validation metrics missing"
    split = done.data_split
    assert split.train_rows + split.validation_rows + split.test_rows == N_ROWS, split
    # 80/10/10, stratified: a row either way per class from rounding.
    assert abs(split.train_rows - 0.8 * N_ROWS) <= 3 and abs(split.test_rows - 0.1 * N_ROWS) <= 3, split
    assert done.algorithm == "gbdt" and done.progress == pytest.approx(1.0), done
    assert done.attempt == 1, done
    assert done.start_time.seconds > 0 and done.end_time.seconds > 0, done
    assert (done.end_time.seconds, done.end_time.nanos) >= (done.start_time.seconds, done.start_time.nanos)
    assert not done.HasField("hpo"), "hpo progress on a job without HPO"


def test_model_status_right_after_train_model(bc):
    early = bc["early"]
    assert early.code == grpc.StatusCode.OK, f"GetModelStatus right after TrainModel: {early}"
    st = early.response
    assert st.model_id == "bc"
    state = me.enum_name("ModelState", st.state)
    if state == "MODEL_STATE_TRAINING":
        assert st.latest_version == 0 and st.serving_version == 0, st
        assert [j.job_id for j in st.active_jobs] == [bc["job"].job_id], st
    else:  # the job may already have finished on a fast machine
        assert state == "MODEL_STATE_READY" and st.latest_version == 1, st


def test_model_status_later_is_ready(server, channel, bc):
    st = me.ok(channel, "GetModelStatus", model_id="bc", server=server)
    assert me.enum_name("ModelState", st.state) == "MODEL_STATE_READY", st
    assert st.latest_version == 1 and st.serving_version == 1, st
    assert not st.active_jobs, st
    assert st.last_job.job_id == bc["job"].job_id, st
    v1 = me.version_of(bc["model"], 1)
    assert dict(st.metrics) == dict(v1.lineage.test_metrics), st


def test_get_model_holds_version_1_with_its_lineage(server, bc, rows):
    model = bc["model"]
    assert model.model_id == "bc" and me.enum_name("TaskType", model.task_type) == "TASK_TYPE_CLASSIFICATION"
    assert model.latest_version == 1 and model.version_count == 1, model
    assert model.description == "breast cancer, gbdt" and dict(model.tags) == {"team": "e2e"}, model
    assert [v.version for v in model.versions] == [1]
    v = model.versions[0]
    assert me.enum_name("ModelVersionState", v.state) == "MODEL_VERSION_STATE_READY", v
    assert v.model_id == "bc" and v.algorithm == "gbdt", v
    assert set(v.class_labels) == CLASSES and list(v.class_labels) == sorted(v.class_labels), v.class_labels
    lin = v.lineage
    assert lin.job_id == bc["job"].job_id
    assert lin.training_data_uri == str(me.data_path())
    assert lin.training_data_sha256 == me.sha256_file(me.data_path())
    assert lin.validation_data_uri == "" and lin.validation_data_sha256 == ""
    header, _ = me.read_csv(me.data_path())
    assert [f.name for f in lin.features] == header[:-1] and len(lin.features) == N_FEATURES
    assert {me.enum_name("FeatureType", f.type) for f in lin.features} == {"FEATURE_TYPE_NUMERIC"}
    assert lin.target_column == "target"
    hp = dict(lin.hyperparameters)
    assert {"n_rounds", "learning_rate", "max_depth"} <= set(hp), f"hyperparameters as used: {hp}"
    assert dict(lin.test_metrics) == dict(bc["done"].metrics)
    assert dict(lin.validation_metrics) == dict(bc["done"].validation_metrics)
    assert lin.data_split == bc["done"].data_split
    assert me.enum_name("TrainingTrigger", lin.trigger) == "TRAINING_TRIGGER_MANUAL"
    assert lin.engine_version, "engine_version missing from the lineage"
    # The artifact is the content-addressed model file.
    path = me.artifact_path(server.data_dir, v.artifact_sha256)
    assert path.is_file(), f"artifact {path} missing"
    assert me.sha256_file(path) == v.artifact_sha256 and path.stat().st_size == v.artifact_size_bytes


def test_get_model_of_unknown_model_is_not_found(channel):
    me.expect_error(channel, "GetModel", grpc.StatusCode.NOT_FOUND, "no-such-model", model_id="no-such-model")


# --------------------------------------------------------------------------
# Predict


def test_predict_equals_the_engine_on_every_row(server, channel, bc, rows):
    feats, targets = rows
    resp = me.ok(channel, "Predict", me.predict_request("bc", feats), server=server)
    assert len(resp.predictions) == N_ROWS
    v1 = me.version_of(bc["model"], 1)
    labels, engine = me.engine_predict(me.artifact_path(server.data_dir, v1.artifact_sha256), me.data_path())
    assert set(labels) == CLASSES
    for i, (p, want) in enumerate(zip(resp.predictions, engine)):
        got = me.probabilities(p)
        assert set(got) == set(labels), f"row {i}: {got}"
        for label, w in zip(labels, want):
            assert abs(got[label] - w) <= 1e-12, f"row {i} {label}: Predict {got[label]!r}, engine {w!r}"
    correct = sum(p.label == t for p, t in zip(resp.predictions, targets))
    assert correct / N_ROWS >= 0.95, f"{correct}/{N_ROWS} right on the data it mostly trained on"


def test_each_prediction_is_complete(server, channel, bc, rows):
    feats, _ = rows
    resp = me.ok(channel, "Predict", me.predict_request("bc", feats[:50]), server=server)
    ids = set()
    for p in resp.predictions:
        probs = me.probabilities(p)
        assert set(probs) == CLASSES, p
        assert math.isclose(sum(probs.values()), 1.0, abs_tol=1e-9), probs
        assert p.label == max(probs, key=probs.get), p
        assert p.model_version == 1 and p.model_id == "bc" and p.deployment_id == "", p
        assert p.prediction_id, p
        ids.add(p.prediction_id)
    assert len(ids) == 50, "prediction ids are not unique"
    again = me.ok(channel, "Predict", me.predict_request("bc", feats[:50]), server=server)
    assert not ids & {p.prediction_id for p in again.predictions}, "prediction ids reused across calls"
    assert resp.endpoint_id == ""
    assert resp.HasField("inference_duration") and resp.HasField("total_duration"), resp


def test_classification_value_is_the_probability_of_the_label(server, channel, bc, rows):
    """Prediction.value: "the probability of `label` (classification)"."""
    feats, _ = rows
    resp = me.ok(channel, "Predict", me.predict_request("bc", feats[:5]), server=server)
    got = [(p.label, p.value, me.probabilities(p)[p.label]) for p in resp.predictions]
    assert all(v == prob for _, v, prob in got), f"(label, value, probability of label): {got}"


@pytest.mark.parametrize("ref", ["bc", "bc@1", "bc@production"])
def test_every_way_of_naming_the_model_gives_the_same_answer(server, channel, bc, rows, ref):
    feats, _ = rows
    if ref.endswith("@production"):
        me.ok(channel, "SetModelAlias", model_id="bc", alias="production", version=1, server=server)
    base = me.ok(channel, "Predict", me.predict_request("bc@1", feats[:40]), server=server)
    resp = me.ok(channel, "Predict", me.predict_request(ref, feats[:40]), server=server)
    for a, b in zip(base.predictions, resp.predictions):
        assert me.probabilities(a) == me.probabilities(b) and b.model_version == 1, (ref, a, b)


def test_missing_values_as_null_or_absent_match_the_engine(server, channel, bc, rows, tmp_path):
    header, text_rows = me.read_csv(me.data_path())
    names = header[:-1]
    # Rows 0..29 with one, several or all features blank; null in even rows,
    # absent in odd ones.
    holes = []
    for i in range(30):
        cols = {names[(i * 7 + k) % N_FEATURES] for k in range(1 + i % 4)} if i < 29 else set(names)
        holes.append(cols)
    csv_rows, instances = [], []
    for i, (row, cols) in enumerate(zip(text_rows[:30], holes)):
        csv_rows.append(["" if n in cols else c for n, c in zip(header, row)])
        inst = {n: float(c) for n, c in zip(names, row) if n not in cols}
        if i % 2 == 0:
            inst.update({n: None for n in cols})
        instances.append(inst)
    path = me.write_csv(tmp_path / "holes.csv", header, csv_rows)
    resp = me.ok(channel, "Predict", me.predict_request("bc@1", instances), server=server)
    v1 = me.version_of(bc["model"], 1)
    labels, engine = me.engine_predict(me.artifact_path(server.data_dir, v1.artifact_sha256), path)
    for i, (p, want) in enumerate(zip(resp.predictions, engine)):
        got = me.probabilities(p)
        for label, w in zip(labels, want):
            assert abs(got[label] - w) <= 1e-12, f"row {i} missing {sorted(holes[i])}: {got} vs engine {want}"


def test_columnar_batch_equals_instances(server, channel, bc, rows):
    feats, _ = rows
    sample = [dict(r) for r in feats[:25]]
    sample[3] = {k: v for k, v in sample[3].items() if k != "mean_radius"}
    sample[4]["worst_area"] = None
    header, _ = me.read_csv(me.data_path())
    by_rows = me.ok(channel, "Predict", me.predict_request("bc@1", sample), server=server)
    by_cols = me.ok(channel, "Predict", me.batch_request("bc@1", sample, header[:-1]), server=server)
    assert len(by_cols.predictions) == 25
    for i, (a, b) in enumerate(zip(by_rows.predictions, by_cols.predictions)):
        assert me.probabilities(a) == me.probabilities(b) and a.label == b.label, f"row {i}: {a} vs {b}"


# --------------------------------------------------------------------------
# Versions, aliases and deletion (model "alias-m", logistic regression)


@pytest.fixture(scope="module")
def alias_model(server, channel):
    for _ in range(2):
        me.train_and_wait(channel, me.train_request("alias-m", algorithm="logistic_regression"), server)
    return me.ok(channel, "GetModel", model_id="alias-m", server=server)


def test_second_job_adds_version_2(alias_model):
    assert [v.version for v in alias_model.versions] == [2, 1], "versions newest first"
    assert alias_model.latest_version == 2 and alias_model.version_count == 2
    jobs = {v.lineage.job_id for v in alias_model.versions}
    assert len(jobs) == 2, "each version names its own job"


def test_alias_points_and_moves(server, channel, alias_model, rows):
    feats, _ = rows
    m = me.ok(channel, "SetModelAlias", model_id="alias-m", alias="production", version=1, server=server)
    assert dict(m.aliases) == {"production": 1}, m.aliases
    assert list(me.version_of(m, 1).aliases) == ["production"] and not me.version_of(m, 2).aliases
    # A bare model_id means the production alias, not the latest version.
    p = me.ok(channel, "Predict", me.predict_request("alias-m", feats[:1]), server=server).predictions[0]
    assert p.model_version == 1, p
    st = me.ok(channel, "GetModelStatus", model_id="alias-m", server=server)
    assert st.serving_version == 1 and st.latest_version == 2 and dict(st.aliases) == {"production": 1}, st
    m = me.ok(channel, "SetModelAlias", model_id="alias-m", alias="production", version=2, server=server)
    assert dict(m.aliases) == {"production": 2}
    assert not me.version_of(m, 1).aliases and list(me.version_of(m, 2).aliases) == ["production"]
    p = me.ok(channel, "Predict", me.predict_request("alias-m@production", feats[:1]), server=server).predictions[0]
    assert p.model_version == 2, p


def test_moving_an_alias_is_atomic(server, channel, alias_model, rows):
    """While one thread moves "staging" back and forth, readers always see
    it on exactly one version, and Predict through it never fails."""
    feats, _ = rows
    me.ok(channel, "SetModelAlias", model_id="alias-m", alias="staging", version=1, server=server)
    stop = threading.Event()
    problems = []

    def mover():
        k = 0
        while not stop.is_set():
            k += 1
            res = me.rpc(channel, "SetModelAlias", model_id="alias-m", alias="staging", version=1 + k % 2)
            if res.code != grpc.StatusCode.OK:
                problems.append(f"SetModelAlias: {res}")

    t = threading.Thread(target=mover)
    t.start()
    try:
        for _ in range(40):
            m = me.rpc(channel, "GetModel", model_id="alias-m")
            if m.code != grpc.StatusCode.OK:
                problems.append(f"GetModel: {m}")
                continue
            holders = [v.version for v in m.response.versions if "staging" in v.aliases]
            if len(holders) != 1 or m.response.aliases["staging"] != holders[0]:
                problems.append(f"staging on {holders}, map says {dict(m.response.aliases)}")
            p = me.rpc(channel, "Predict", me.predict_request("alias-m@staging", feats[:1]))
            if p.code != grpc.StatusCode.OK or p.response.predictions[0].model_version not in (1, 2):
                problems.append(f"Predict alias-m@staging: {p}")
    finally:
        stop.set()
        t.join()
    assert not problems, "\n".join(problems[:10]) + server.diag(20)


def test_delete_of_an_aliased_version_is_refused_naming_the_alias(server, channel, alias_model):
    me.ok(channel, "SetModelAlias", model_id="alias-m", alias="production", version=2, server=server)
    me.ok(channel, "SetModelAlias", model_id="alias-m", alias="staging", version=0, server=server)  # removes it
    msg = me.expect_error(channel, "DeleteModelVersion", grpc.StatusCode.FAILED_PRECONDITION, "production",
                          "alias-m@2", model_id="alias-m", version=2)
    assert "alias" in msg, msg
    m = me.ok(channel, "GetModel", model_id="alias-m", server=server)
    assert "staging" not in m.aliases and me.enum_name("ModelVersionState", me.version_of(m, 2).state) == \
        "MODEL_VERSION_STATE_READY"


def test_delete_of_an_unaliased_version(server, channel, alias_model, rows):
    feats, _ = rows
    v = me.ok(channel, "DeleteModelVersion", model_id="alias-m", version=1, server=server)
    assert v.version == 1 and me.enum_name("ModelVersionState", v.state) == "MODEL_VERSION_STATE_DELETED", v
    assert v.delete_time.seconds > 0, v
    m = me.ok(channel, "GetModel", model_id="alias-m", server=server)
    assert [x.version for x in m.versions] == [2] and m.version_count == 1 and m.latest_version == 2, m
    m = me.ok(channel, "GetModel", model_id="alias-m", include_deleted=True, server=server)
    assert sorted(x.version for x in m.versions) == [1, 2], m  # the order: test_second_job_adds_version_2
    res = me.rpc(channel, "Predict", me.predict_request("alias-m@1", feats[:1]))
    assert res.code in (grpc.StatusCode.NOT_FOUND, grpc.StatusCode.FAILED_PRECONDITION), res
    assert "deleted" in res.details and "alias-m" in res.details, res.details
    me.expect_error(channel, "DeleteModelVersion", grpc.StatusCode.NOT_FOUND, "alias-m@1", model_id="alias-m",
                    version=1)


# --------------------------------------------------------------------------
# Lists


@pytest.fixture(scope="module")
def failed_job(server, channel, tmp_path_factory):
    """A job that fails while running: a target cell is empty."""
    header, text_rows = me.read_csv(me.data_path())
    text_rows = [list(r) for r in text_rows[:100]]
    text_rows[17][-1] = ""
    path = me.write_csv(tmp_path_factory.mktemp("data") / "no_target.csv", header, text_rows)
    job = me.submit(channel, me.train_request("bc-fail", path), server)
    done = me.wait_job(channel, job.job_id, server=server)
    assert me.state_name(done) == "JOB_STATE_FAILED", done
    return done


def all_pages(channel, name, field, **req):
    items, tokens, totals = [], [], []
    token = ""
    for _ in range(100):
        resp = me.ok(channel, name, page_token=token, **req)
        page = list(getattr(resp, field))
        assert len(page) <= req.get("page_size", 1000), f"{name} page of {len(page)} > page_size"
        items += page
        totals.append(resp.total_size)
        token = resp.next_page_token
        if not token:
            return items, tokens, totals
        tokens.append(token)
    raise AssertionError(f"{name} paging did not end after 100 pages")


def test_list_models_pages_one_at_a_time(channel, bc, alias_model, failed_job):
    ids = {"bc", "alias-m", "bc-fail"}
    models, tokens, totals = all_pages(channel, "ListModels", "models", page_size=1)
    got = [m.model_id for m in models]
    assert got == sorted(got) and len(set(got)) == len(got), f"order or duplicates: {got}"
    assert ids <= set(got), got
    assert len(tokens) == len(got) - 1 and set(totals) == {len(got)}, (tokens, totals)
    assert all(not m.versions for m in models), "ListModels carries versions"
    by_id = {m.model_id: m for m in models}
    assert by_id["bc"].latest_version == 1 and by_id["bc-fail"].latest_version == 0, by_id
    one = me.ok(channel, "ListModels", model_id_prefix="alias")
    assert [m.model_id for m in one.models] == ["alias-m"] and one.total_size == 1
    reg = me.ok(channel, "ListModels", task_type=me.enum_number("TaskType", "TASK_TYPE_REGRESSION"))
    assert not reg.models and reg.total_size == 0 and not reg.next_page_token, reg


def test_list_training_jobs_filters_and_pages(channel, bc, alias_model, failed_job):
    succeeded = me.enum_number("JobState", "JOB_STATE_SUCCEEDED")
    failed = me.enum_number("JobState", "JOB_STATE_FAILED")
    jobs, _, totals = all_pages(channel, "ListTrainingJobs", "jobs", page_size=1)
    assert len(jobs) >= 4 and set(totals) == {len(jobs)}, (len(jobs), totals)
    times = [(j.create_time.seconds, j.create_time.nanos) for j in jobs]
    assert times == sorted(times, reverse=True), "jobs are not newest first"
    assert len({j.job_id for j in jobs}) == len(jobs)
    mine = me.ok(channel, "ListTrainingJobs", model_id="alias-m").jobs
    assert len(mine) == 2 and {j.model_id for j in mine} == {"alias-m"}, mine
    assert [j.model_version for j in mine] == [2, 1], [j.model_version for j in mine]
    ok_jobs = me.ok(channel, "ListTrainingJobs", states=[succeeded]).jobs
    assert ok_jobs and {me.state_name(j) for j in ok_jobs} == {"JOB_STATE_SUCCEEDED"}
    assert failed_job.job_id not in {j.job_id for j in ok_jobs}
    bad = me.ok(channel, "ListTrainingJobs", states=[failed]).jobs
    assert [j.job_id for j in bad] == [failed_job.job_id], bad
    both = me.ok(channel, "ListTrainingJobs", model_id="bc-fail", states=[succeeded, failed])
    assert [j.job_id for j in both.jobs] == [failed_job.job_id] and both.total_size == 1
    none = me.ok(channel, "ListTrainingJobs", model_id="bc", states=[failed])
    assert not none.jobs and none.total_size == 0


def test_failed_job_says_why(channel, failed_job):
    assert "target" in failed_job.error and "missing" in failed_job.error, failed_job.error
    st = me.ok(channel, "GetModelStatus", model_id="bc-fail")
    assert me.enum_name("ModelState", st.state) == "MODEL_STATE_FAILED", st
    assert st.last_job.job_id == failed_job.job_id and st.latest_version == 0 and not st.active_jobs, st
    me.expect_error(channel, "Predict", grpc.StatusCode.NOT_FOUND, "bc-fail",
                    request=me.predict_request("bc-fail", [{"mean_radius": 1.0}]))


def test_model_status_counts_predictions(server, channel, bc):
    st = me.ok(channel, "GetModelStatus", model_id="bc", server=server)
    # Rows predicted by this file's earlier tests on bc: at least the 569.
    assert st.prediction_stats.predictions_total >= N_ROWS, st.prediction_stats
    assert st.prediction_stats.last_prediction_time.seconds > 0, st.prediction_stats


def test_bad_page_requests_name_the_field(channel, bc):
    for name in ("ListModels", "ListTrainingJobs", "ListEndpoints"):
        me.expect_error(channel, name, grpc.StatusCode.INVALID_ARGUMENT, "page_size", page_size=-1)
        me.expect_error(channel, name, grpc.StatusCode.INVALID_ARGUMENT, "page_token", page_token="garbage!")


# --------------------------------------------------------------------------
# Other ways to train


def test_idempotency_key_returns_the_first_job(server, channel, bc):
    req = me.train_request("idem", algorithm="logistic_regression", idempotency_key="k-1")
    first = me.submit(channel, req, server)
    second = me.submit(channel, req, server)
    assert second.job_id == first.job_id and second.model_version == first.model_version == 1, (first, second)
    me.wait_job(channel, first.job_id, server=server)
    jobs = me.ok(channel, "ListTrainingJobs", model_id="idem").jobs
    assert [j.job_id for j in jobs] == [first.job_id], jobs


def test_auto_picks_an_algorithm_on_the_validation_split(server, channel):
    done = me.train_and_wait(channel, me.train_request("auto-m", algorithm=""), server)
    assert done.spec.algorithm == "auto", done.spec
    assert done.algorithm in ("gbdt", "random_forest", "logistic_regression"), done.algorithm
    v = me.version_of(me.ok(channel, "GetModel", model_id="auto-m"), 1)
    assert v.algorithm == done.algorithm and done.metrics["accuracy"] >= 0.9, (v.algorithm, dict(done.metrics))


def test_validation_data_from_its_own_file(server, channel, tmp_path):
    header, text_rows = me.read_csv(me.data_path())
    train = me.write_csv(tmp_path / "train.csv", header, text_rows[:470])
    valid = me.write_csv(tmp_path / "valid.csv", header, text_rows[470:])
    done = me.train_and_wait(channel, me.train_request("own-valid", train, validation_data_uri=str(valid)), server)
    split = done.data_split
    assert split.validation_rows == N_ROWS - 470, split
    assert split.train_rows + split.test_rows == 470 and abs(split.test_rows - 47) <= 2, split
    lin = me.version_of(me.ok(channel, "GetModel", model_id="own-valid"), 1).lineage
    assert lin.validation_data_uri == str(valid) and lin.validation_data_sha256 == me.sha256_file(valid), lin
    assert lin.training_data_sha256 == me.sha256_file(train)


def test_regression_predicts_values_equal_to_the_engine(server, channel, tmp_path):
    rnd = __import__("random").Random(3)
    header = ["x0", "x1", "x2", "y"]
    data = []
    for _ in range(400):
        x = [rnd.uniform(-1, 1) for _ in range(3)]
        data.append([repr(v) for v in x] + [repr(3 * x[0] - 2 * x[1] + rnd.gauss(0, 0.1))])
    path = me.write_csv(tmp_path / "reg.csv", header, data)
    req = me.train_request("reg", path, target="y")
    req.task_type = me.enum_number("TaskType", "TASK_TYPE_REGRESSION")
    done = me.train_and_wait(channel, req, server)
    assert {"rmse", "r2"} <= set(done.metrics) and done.metrics["r2"] > 0.8, dict(done.metrics)
    v = me.version_of(me.ok(channel, "GetModel", model_id="reg"), 1)
    assert not v.class_labels, v.class_labels
    rows = [{h: float(c) for h, c in zip(header[:3], r)} for r in data[:50]]
    resp = me.ok(channel, "Predict", me.predict_request("reg", rows), server=server)
    names, engine = me.engine_predict(me.artifact_path(server.data_dir, v.artifact_sha256), path)
    assert names == ["value"]
    for i, (p, want) in enumerate(zip(resp.predictions, engine)):
        assert p.label == "" and not p.probabilities and p.model_version == 1, p
        assert abs(p.value - want[0]) <= 1e-12, f"row {i}: Predict {p.value!r}, engine {want[0]!r}"
    reg = me.ok(channel, "ListModels", task_type=me.enum_number("TaskType", "TASK_TYPE_REGRESSION"))
    assert [m.model_id for m in reg.models] == ["reg"], reg


def test_server_still_healthy(server, channel, alive):
    assert e2e.get_health(channel).code == grpc.StatusCode.OK
