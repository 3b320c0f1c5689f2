"""DriftService end to end over gRPC, against the real aia-server with a
fast drift poller: a gbdt trained on a generated CSV (numeric f1..f5,
categorical c1, c2, a label depending on f1 and f3), a monitor whose live
window of predictions with f2 and f5 shifted by two standard deviations
drifts on exactly f2 and f5, the same verdict for a CSV batch and for inline
rows, none for an unshifted batch; the report's shape; the history, paged
and filtered; DATA alerts on StreamDriftAlerts (live and replayed with
`since`) and POSTed to a local webhook receiver as aia.v1 DriftAlert JSON.
Then concept drift: wrong ground truth for logged predictions drifts the
accuracy, submits a retraining job whose version's lineage names the
report, and a second drifted check inside the cooldown submits nothing and
says why."""

import hashlib
import time

import grpc
import pytest

import aia_e2e as e2e
import drift_e2e as de
import models_e2e as me

MODEL = "drift-data"
CONCEPT_MODEL = "drift-concept"
P_VALUE_TESTS = {"ks", "chi_square", "z_test"}
# Explicit tests and thresholds: the shifted features' statistics are ~2
# (normed Wasserstein) and p ~ 0 (KS); the unshifted ones' sampling noise on
# 200-300 rows stays well under these thresholds, so the verdicts are exact.
OVERRIDES = {
    "f1": {"test": "ks", "threshold": 0.001},
    "f2": {"threshold": 0.3},
    "f3": {"threshold": 0.3},
    "f4": {"threshold": 0.3},
    "f5": {"threshold": 0.3},
    "c1": {"test": "chi_square", "threshold": 0.001},
    "c2": {"threshold": 0.2},
}
EXPECTED_TESTS = {"f1": "ks", "f2": "wasserstein_normed", "f3": "wasserstein_normed", "f4": "wasserstein_normed",
                  "f5": "wasserstein_normed", "c1": "chi_square", "c2": "jensen_shannon"}


@pytest.fixture(scope="module")
def env():
    """A server with a 100 ms drift poller, the generated CSVs, model
    MODEL trained, and a webhook receiver."""
    s = e2e.start_server(extra_args=de.server_args())
    ch = grpc.insecure_channel(s.address)
    d = e2e.scratch_dir("aia-drift-")
    hook = de.WebhookReceiver()
    try:
        train_csv = de.write_rows(d / "train.csv", de.gen_rows(2000, 1))
        shifted_rows = de.gen_rows(300, 2, de.SHIFTED)
        env = {
            "server": s, "channel": ch, "dir": d, "hook": hook, "train_csv": train_csv,
            "shifted_rows": shifted_rows,
            "shifted_csv": de.write_rows(d / "shifted.csv", shifted_rows),
            "plain_csv": de.write_rows(d / "plain.csv", de.gen_rows(300, 3)),
            "t0": time.time(),
        }
        env["job"] = de.train(ch, MODEL, train_csv, s)
        yield env
    finally:
        hook.close()
        ch.close()
        s.stop()


@pytest.fixture(scope="module")
def monitor(env):
    req = de.setup_request(MODEL, window_size=200, webhooks=[env["hook"].url], share=0.2, overrides=OVERRIDES,
                           labels={"team": "e2e"})
    return de.ok(env["channel"], "SetupDriftMonitoring", req, server=env["server"])


def check(env, monitor, **kw):
    return de.ok(env["channel"], "RunDriftCheck", de.check_request(monitor.monitor_id, **kw), server=env["server"])


# --------------------------------------------------------------------------
# Setup and status


def test_setup_fills_in_the_defaults(env, monitor):
    m = monitor
    assert m.monitor_id and m.model_id == MODEL and m.model_version == 0, m
    assert list(m.feature_columns) == de.FEATURES, m.feature_columns
    assert m.reference_data_uri == str(env["train_csv"]), "reference defaults to the training data"
    assert m.reference_rows == 2000, m
    assert m.reference_data_sha256 == hashlib.sha256(env["train_csv"].read_bytes()).hexdigest()
    assert m.window_size == 200 and m.drift_share_threshold == pytest.approx(0.2), m
    assert me.enum_name("DriftMonitorState", m.state) == "DRIFT_MONITOR_STATE_ACTIVE", m
    assert list(m.actions.webhook_urls) == [env["hook"].url], m.actions
    action = lambda xs: [me.enum_name("DriftAction", x) for x in xs]  # noqa: E731
    assert action(m.actions.on_concept_drift) == ["DRIFT_ACTION_RETRAIN"], m.actions
    assert action(m.actions.on_data_drift) == ["DRIFT_ACTION_NONE"], m.actions
    assert m.actions.cooldown.seconds == 3600, "server default cooldown (drift_cooldown_seconds)"
    assert m.concept_drift_metric == "accuracy" and m.concept_drift_tolerance == pytest.approx(0.05), m
    assert m.feature_overrides["f1"].test == "ks" and m.feature_overrides["f1"].threshold.value == 0.001
    assert dict(m.labels) == {"team": "e2e"}
    assert m.create_time.seconds > 0 and not m.latest_report_id, m


def test_status_before_the_first_check(env, monitor):
    st = de.status(env["channel"], MODEL, monitor.monitor_id, env["server"])
    assert st.model_id == MODEL and not st.drifted, st
    assert len(st.monitors) == 1 and st.monitors[0].monitor.monitor_id == monitor.monitor_id, st
    assert not st.monitors[0].HasField("latest_report"), st


# --------------------------------------------------------------------------
# Live traffic


def test_live_window_of_shifted_predictions_drifts_on_f2_and_f5(env, monitor):
    ch, s, hook = env["channel"], env["server"], env["hook"]
    stream = de.AlertStream(ch, model_id=MODEL)
    try:
        time.sleep(1.0)  # let the stream subscribe before the alert is raised
        rows = de.features_of(de.gen_rows(200, 4, de.SHIFTED))
        t_predict = time.time()
        de.predict(ch, MODEL, rows, s)
        r = de.wait_report(ch, MODEL, monitor.monitor_id,
                           lambda r: de.source_name(r) == "DRIFT_WINDOW_SOURCE_PREDICTION_LOG", server=s,
                           what="report of the live window")
        assert de.drifted(r) == ["f2", "f5"], de.describe(r)
        assert r.current_rows == 200 and r.reference_rows == 2000, r
        assert r.dataset_drifted and r.drifted_share == pytest.approx(2 / 7), r
        assert "DRIFT_KIND_DATA" in de.kinds(r), r.drift_kinds
        assert r.model_version == 1 and r.monitor_id == monitor.monitor_id and r.model_id == MODEL, r
        assert r.window_start_time.seconds >= int(t_predict) - 1, r.window_start_time
        assert me.ts(r.window_end_time) >= me.ts(r.window_start_time), r
        assert not r.current_data_uri, r

        alert = stream.wait_for(lambda a: a.report_id == r.report_id and de.kind_name(a.kind) == "DRIFT_KIND_DATA",
                                what="DATA alert of the live report")
        assert list(alert.drifted_features) == ["f2", "f5"], alert
        assert alert.alert_id and alert.monitor_id == monitor.monitor_id and alert.model_version == 1, alert
        assert "f2" in alert.message and "f5" in alert.message, alert.message

        body = hook.wait_for(lambda b: b.get("reportId") == r.report_id and b.get("kind") == "DRIFT_KIND_DATA",
                             what="webhook POST of the live DATA alert")
        assert body["alertId"] == alert.alert_id, body
        assert body["monitorId"] == monitor.monitor_id and body["modelId"] == MODEL, body
        assert body["driftedFeatures"] == ["f2", "f5"], body
        assert body["createTime"].endswith("Z"), "timestamps as RFC 3339 in proto3 JSON"
    finally:
        stream.cancel()


def test_status_after_the_live_report(env, monitor):
    st = de.status(env["channel"], MODEL, "", env["server"])
    assert st.drifted, st
    mine = [m for m in st.monitors if m.monitor.monitor_id == monitor.monitor_id]
    assert len(mine) == 1 and mine[0].HasField("latest_report"), st
    assert mine[0].monitor.latest_report_id == mine[0].latest_report.report_id, mine[0]
    assert mine[0].monitor.last_check_time.seconds > 0, mine[0].monitor


# --------------------------------------------------------------------------
# Batches


def test_csv_batch_drifts_on_exactly_f2_and_f5(env, monitor):
    r = check(env, monitor, uri=env["shifted_csv"])
    assert de.drifted(r) == ["f2", "f5"], de.describe(r)
    assert de.source_name(r) == "DRIFT_WINDOW_SOURCE_UPLOADED_BATCH", r
    assert r.current_data_uri == str(env["shifted_csv"]) and r.current_rows == 300, r
    assert r.dataset_drifted and "DRIFT_KIND_DATA" in de.kinds(r), r
    assert r.HasField("prediction_drift") and r.prediction_drift.name == "prediction", r
    assert r.prediction_drift.current_count == 300, r.prediction_drift


def test_inline_rows_give_the_same_report_as_the_csv(env, monitor):
    # The CSV holds 6 decimals: round the inline values alike.
    rows = [{k: (round(v, 6) if isinstance(v, float) else v) for k, v in r.items()}
            for r in de.features_of(env["shifted_rows"])]
    inline = check(env, monitor, instances=rows)
    from_csv = check(env, monitor, uri=env["shifted_csv"])
    assert de.drifted(inline) == ["f2", "f5"], de.describe(inline)
    assert de.source_name(inline) == "DRIFT_WINDOW_SOURCE_UPLOADED_BATCH" and not inline.current_data_uri
    assert inline.current_rows == 300, inline
    for a, b in zip(inline.features, from_csv.features):
        assert a.name == b.name and a.statistic == pytest.approx(b.statistic, abs=1e-9), (a, b)


def test_unshifted_batch_drifts_on_nothing(env, monitor):
    r = check(env, monitor, uri=env["plain_csv"])
    assert de.drifted(r) == [], de.describe(r)
    assert not r.dataset_drifted and r.drifted_share == 0, r
    assert "DRIFT_KIND_DATA" not in de.kinds(r), r.drift_kinds


def test_report_shape(env, monitor):
    r = check(env, monitor, uri=env["shifted_csv"], skip_actions=True)
    assert [f.name for f in r.features] == de.FEATURES, "features in monitor order"
    assert r.drift_share_threshold == pytest.approx(0.2) and r.reference_rows == 2000, r
    assert r.report_id and r.create_time.seconds > 0 and r.compute_duration.ToNanoseconds() >= 0, r
    for f in r.features:
        assert f.test == EXPECTED_TESTS[f.name], f
        assert f.HasField("p_value") == (f.test in P_VALUE_TESTS), f"p_value presence for {f.test}: {f}"
        assert f.threshold == pytest.approx(OVERRIDES[f.name]["threshold"]), f
        assert f.reference_count == 2000 and f.current_count == 300, f
        assert f.reference_missing == 0 and f.current_missing == 0, f
        ftype = me.enum_name("FeatureType", f.feature_type)
        assert ftype == ("FEATURE_TYPE_NUMERIC" if f.name in de.NUMERIC else "FEATURE_TYPE_CATEGORICAL"), f
        if f.HasField("p_value"):
            assert 0.0 <= f.p_value.value <= 1.0 and f.drifted == (f.p_value.value < f.threshold), f
        else:
            assert f.statistic >= 0 and f.drifted == (f.statistic >= f.threshold), f
    f2 = {f.name: f for f in r.features}["f2"]
    assert 1.5 < f2.statistic < 2.5, f"normed Wasserstein of a +2 sd shift: {f2}"


def test_skip_actions_stores_the_report_without_an_alert(env, monitor):
    ch, s = env["channel"], env["server"]
    before = len(env["hook"].received())
    since = me.new("StreamDriftAlertsRequest", monitor_id=monitor.monitor_id)
    since.since.FromSeconds(int(env["t0"]) - 1)
    r = check(env, monitor, uri=env["shifted_csv"], skip_actions=True)
    assert de.drifted(r) == ["f2", "f5"], de.describe(r)
    got = de.ok(ch, "ListDriftReports", server=s, monitor_id=monitor.monitor_id, page_size=1)
    assert got.reports[0].report_id == r.report_id, "the report is stored"
    stream = de.AlertStream(ch, since)
    try:
        time.sleep(1.0)
        assert all(a.report_id != r.report_id for a in stream.received()), "an alert for a skip_actions check"
    finally:
        stream.cancel()
    time.sleep(0.3)
    assert all(b.get("reportId") != r.report_id for b in env["hook"].received()[before:])


# --------------------------------------------------------------------------
# History and alerts


def test_list_reports_newest_first_paged_and_filtered(env, monitor):
    ch, s = env["channel"], env["server"]
    full = de.ok(ch, "ListDriftReports", server=s, monitor_id=monitor.monitor_id, page_size=100)
    reports = list(full.reports)
    assert len(reports) >= 6 and not full.next_page_token, [r.report_id for r in reports]
    times = [me.ts(r.create_time) for r in reports]
    assert times == sorted(times, reverse=True), "newest first"
    assert len({r.report_id for r in reports}) == len(reports)
    # Paging by 2 gives the same sequence.
    paged, token = [], ""
    for _ in range(50):
        page = de.ok(ch, "ListDriftReports", server=s, monitor_id=monitor.monitor_id, page_size=2, page_token=token)
        assert len(page.reports) <= 2
        paged += [r.report_id for r in page.reports]
        token = page.next_page_token
        if not token:
            break
    assert paged == [r.report_id for r in reports]
    # drifted_only: exactly the reports that found drift.
    only = de.ok(ch, "ListDriftReports", server=s, monitor_id=monitor.monitor_id, page_size=100, drifted_only=True)
    assert [r.report_id for r in only.reports] == [r.report_id for r in reports if r.drift_kinds], \
        [(r.report_id, de.kinds(r)) for r in reports]
    assert any(not r.drift_kinds for r in reports), "the unshifted batch's report is in the full list"
    # By model: the same reports (the model has one monitor).
    by_model = de.ok(ch, "ListDriftReports", server=s, model_id=MODEL, page_size=100)
    assert [r.report_id for r in by_model.reports] == [r.report_id for r in reports]


def test_stream_since_replays_stored_alerts(env, monitor):
    ch = env["channel"]
    reports = de.ok(ch, "ListDriftReports", server=env["server"], monitor_id=monitor.monitor_id, page_size=100,
                    drifted_only=True).reports
    alerted = {r.report_id for r in reports if "DRIFT_KIND_DATA" in de.kinds(r)}
    req = me.new("StreamDriftAlertsRequest", model_id=MODEL, kinds=[de.kind_number("DRIFT_KIND_DATA")])
    req.since.FromSeconds(int(env["t0"]) - 1)
    stream = de.AlertStream(ch, req)
    try:
        stream.wait_for(lambda a: a.report_id in alerted, what="a replayed DATA alert")
        time.sleep(0.5)
        got = stream.received()
        assert all(de.kind_name(a.kind) == "DRIFT_KIND_DATA" and a.model_id == MODEL for a in got), got
        # Every drifted report that raised actions has its alert replayed
        # (skip_actions reports raised none).
        replayed = {a.report_id for a in got}
        assert replayed <= alerted and len(replayed) >= 3, (replayed, alerted)
        assert len({a.alert_id for a in got}) == len(got), "an alert replayed twice"
    finally:
        stream.cancel()
    # The webhook got each of them too.
    hooked = {b.get("reportId") for b in env["hook"].received() if isinstance(b, dict)}
    assert replayed <= hooked, (replayed, hooked)


# --------------------------------------------------------------------------
# Concept drift and retraining


@pytest.fixture(scope="module")
def concept(env):
    ch, s = env["channel"], env["server"]
    job = de.train(ch, CONCEPT_MODEL, env["train_csv"], s)
    # A fixed version: the window stays version 1's predictions after the
    # retraining publishes version 2.
    mon = de.ok(ch, "SetupDriftMonitoring", de.setup_request(CONCEPT_MODEL, window_size=200, model_version=1,
                                                              webhooks=[env["hook"].url]), server=s)
    return {"job": job, "monitor": mon}


def test_ground_truth_drifts_the_accuracy_and_retrains(env, concept):
    ch, s = env["channel"], env["server"]
    mon = concept["monitor"]
    stream = de.AlertStream(ch, model_id=CONCEPT_MODEL, kinds=[de.kind_number("DRIFT_KIND_CONCEPT")])
    try:
        time.sleep(1.0)
        preds = de.predict(ch, CONCEPT_MODEL, de.features_of(de.gen_rows(60, 5)), s)
        assert all(p.prediction_id for p in preds), preds[0]
        req = me.new("ReportGroundTruthRequest", model_id=CONCEPT_MODEL)
        for p in preds:  # every outcome the opposite of the prediction
            req.ground_truth.add(prediction_id=p.prediction_id, label="no" if p.label == "yes" else "yes")
        unknown = ["0" * 32, "no-such-prediction"]
        for pid in unknown:
            req.ground_truth.add(prediction_id=pid, label="yes")
        resp = de.ok(ch, "ReportGroundTruth", req, server=s)
        assert resp.accepted == 60 and resp.unmatched == 2, resp
        assert sorted(resp.unmatched_prediction_ids) == sorted(unknown), resp

        r = de.wait_report(ch, CONCEPT_MODEL, mon.monitor_id,
                           # The poller stores the report, then records the
                           # retraining job it submitted in it.
                           lambda r: r.HasField("concept_drift") and r.concept_drift.drifted
                           and r.retraining_job_id, server=s,
                           what="concept-drifted report with its retraining job after the ground truth")
        c = r.concept_drift
        assert c.metric == "accuracy" and c.labelled_rows == 60, c
        assert c.current_value == pytest.approx(0.0), "every label was flipped"
        assert c.baseline_value == pytest.approx(dict(concept["job"].validation_metrics)["accuracy"]), c
        assert c.tolerance == pytest.approx(0.05), c
        assert "DRIFT_KIND_CONCEPT" in de.kinds(r), r.drift_kinds

        job = me.wait_job(ch, r.retraining_job_id, server=s)
        assert me.state_name(job) == "JOB_STATE_SUCCEEDED", f"{job}{s.diag(40)}"
        assert me.enum_name("TrainingTrigger", job.trigger) == "TRAINING_TRIGGER_DRIFT", job
        assert job.trigger_id == r.report_id and job.model_id == CONCEPT_MODEL, job
        model = me.ok(ch, "GetModel", model_id=CONCEPT_MODEL, server=s)
        v = me.version_of(model, job.model_version)
        assert job.model_version == 2, job
        assert me.enum_name("TrainingTrigger", v.lineage.trigger) == "TRAINING_TRIGGER_DRIFT", v.lineage
        assert v.lineage.trigger_id == r.report_id, v.lineage

        alert = stream.wait_for(lambda a: a.report_id == r.report_id, what="CONCEPT alert")
        assert de.kind_name(alert.kind) == "DRIFT_KIND_CONCEPT", alert
        assert alert.retraining_job_id == r.retraining_job_id, alert
        assert "DRIFT_ACTION_RETRAIN" in [me.enum_name("DriftAction", x) for x in alert.actions_taken], alert
        assert not alert.action_note, alert
        concept["report"] = r

        # A second concept-drifted check inside the cooldown: no job, and the
        # alert says why.
        r2 = de.ok(ch, "RunDriftCheck", de.check_request(mon.monitor_id), server=s)
        assert de.source_name(r2) == "DRIFT_WINDOW_SOURCE_PREDICTION_LOG" and r2.model_version == 1, r2
        assert r2.concept_drift.drifted and "DRIFT_KIND_CONCEPT" in de.kinds(r2), r2
        assert not r2.retraining_job_id, f"a second retraining inside the cooldown: {r2}"
        a2 = stream.wait_for(lambda a: a.report_id == r2.report_id, what="second CONCEPT alert")
        assert "cooldown" in a2.action_note.lower(), a2
        assert not a2.retraining_job_id and "DRIFT_ACTION_RETRAIN" not in [
            me.enum_name("DriftAction", x) for x in a2.actions_taken], a2
        body = env["hook"].wait_for(
            lambda b: b.get("reportId") == r2.report_id and b.get("kind") == "DRIFT_KIND_CONCEPT",
            what="webhook of the second CONCEPT alert")
        assert "cooldown" in body["actionNote"].lower() and "retrainingJobId" not in body, body
    finally:
        stream.cancel()
    jobs = me.ok(ch, "ListTrainingJobs", model_id=CONCEPT_MODEL, page_size=100, server=s).jobs
    assert len(jobs) == 2, f"expected the first training and one retraining: {[j.job_id for j in jobs]}"


REFIT_MODEL = "drift-refit"


def test_data_drift_refits_the_preprocessing_as_a_new_version(env):
    """DRIFT_ACTION_REFIT_PREPROCESSING on data drift: a standardised
    logistic regression's scaling is refitted on the shifted batch and
    published at once as version 2, the same learner with new statistics,
    its lineage naming the report; the refitted version predicts the
    shifted rows as version 1 predicts them shifted back."""
    ch, s = env["channel"], env["server"]
    req = me.train_request(REFIT_MODEL, uri=env["train_csv"], algorithm="logistic_regression", target="y", seed=7)
    job = me.train_and_wait(ch, req, server=s)
    assert me.state_name(job) == "JOB_STATE_SUCCEEDED", job
    refit = me.enum_number("DriftAction", "DRIFT_ACTION_REFIT_PREPROCESSING")
    mon = de.ok(ch, "SetupDriftMonitoring",
                de.setup_request(REFIT_MODEL, share=0.2, actions={"on_data_drift": [refit]},
                                 overrides={f: {"threshold": 0.3} for f in de.NUMERIC}), server=s)
    r = de.ok(ch, "RunDriftCheck", de.check_request(mon.monitor_id, uri=env["shifted_csv"]), server=s)
    assert de.drifted(r) == ["f2", "f5"] and "DRIFT_KIND_DATA" in de.kinds(r), de.describe(r)
    assert r.refit_model_version == 2, r
    assert not r.retraining_job_id, r

    model = me.ok(ch, "GetModel", model_id=REFIT_MODEL, server=s)
    v1, v2 = me.version_of(model, 1), me.version_of(model, 2)
    assert v2.lineage.preprocessing_only, v2.lineage
    assert me.enum_name("TrainingTrigger", v2.lineage.trigger) == "TRAINING_TRIGGER_DRIFT", v2.lineage
    assert v2.lineage.trigger_id == r.report_id and v2.lineage.parent_version == 1, v2.lineage
    assert v2.artifact_sha256 != v1.artifact_sha256, "the refit must be a new model file"
    assert [f.name for f in v2.lineage.features] == [f.name for f in v1.lineage.features]
    jobs = me.ok(ch, "ListTrainingJobs", model_id=REFIT_MODEL, page_size=10, server=s).jobs
    assert len(jobs) == 1, "a refit trains nothing"

    # Served as a model of its own: the same learner with the batch's
    # statistics predicts the shifted rows differently from version 1 (the
    # exact arithmetic is lib/ml's model_refit_test).
    shifted = de.features_of(env["shifted_rows"][:50])

    def probs(version, rows):
        req = me.new("PredictRequest", model_id=f"{REFIT_MODEL}@{version}")
        for row in rows:
            req.instances.add().update(row)
        return [dict(p.probabilities) for p in me.ok(ch, "Predict", req, server=s).predictions]

    p2, p1 = probs(2, shifted), probs(1, shifted)
    label = sorted(p2[0])[0]
    diffs = [abs(a[label] - b[label]) for a, b in zip(p2, p1)]
    assert max(diffs) > 1e-6, "the refitted statistics changed nothing"
