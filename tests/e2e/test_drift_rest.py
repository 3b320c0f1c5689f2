"""DriftService's REST paths through the real aia-gateway in front of the
real aia-server: POST /mlops/models/{model_id}/drift-monitoring, GET
/mlops/models/{model_id}/drift-status, POST
/mlops/drift-monitoring/{monitor_id}:check, GET
/mlops/drift-monitoring/{monitor_id}/reports (and the model's
/mlops/models/{model_id}/drift-reports), POST
/mlops/models/{model_id}/ground-truth; answers match gRPC's, and a malformed
request is a 400 carrying the server's message."""

import pytest

import aia_e2e as e2e
import drift_e2e as de
import models_e2e as me

MODEL = "drift-rest"


@pytest.fixture(scope="module")
def env(server, channel, gateway):
    d = e2e.scratch_dir("aia-drift-rest-")
    train_csv = de.write_rows(d / "train.csv", de.gen_rows(2000, 21))
    de.train(channel, MODEL, train_csv, server)
    body = {"window_size": 150, "drift_share_threshold": 0.2,
            "feature_overrides": {f: {"threshold": 0.3} for f in de.NUMERIC},
            "labels": {"via": "rest"}}
    r = gateway.request("POST", f"/mlops/models/{MODEL}/drift-monitoring", json=body)
    assert r.status_code == 200, f"{r.status_code} {r.text}{gateway.diag()}"
    return {"dir": d, "train_csv": train_csv, "monitor": r.json(),
            "shifted_csv": de.write_rows(d / "shifted.csv", de.gen_rows(300, 22, de.SHIFTED)),
            "plain_csv": de.write_rows(d / "plain.csv", de.gen_rows(300, 23))}


def post_check(gateway, monitor_id, body):
    return gateway.request("POST", f"/mlops/drift-monitoring/{monitor_id}:check", json=body, timeout=60)


def drifted(report_json):
    return sorted(f["name"] for f in report_json["features"] if f["drifted"])


def test_setup_answers_the_monitor(env, channel):
    m = env["monitor"]
    assert m["monitor_id"] and m["model_id"] == MODEL, m
    assert m["feature_columns"] == de.FEATURES and m["window_size"] == 150, m
    assert m["state"] == "DRIFT_MONITOR_STATE_ACTIVE", m
    assert m["reference_data_uri"] == str(env["train_csv"]) and int(m["reference_rows"]) == 2000, m
    assert m["feature_overrides"]["f2"]["threshold"] == 0.3, m["feature_overrides"]
    assert m["actions"]["on_concept_drift"] == ["DRIFT_ACTION_RETRAIN"], m["actions"]
    assert m["labels"] == {"via": "rest"}, m


def test_status_before_and_after_a_check(env, gateway, channel):
    mid = env["monitor"]["monitor_id"]
    r = gateway.get(f"/mlops/models/{MODEL}/drift-status")
    assert r.status_code == 200, r.text
    st = r.json()
    assert st["model_id"] == MODEL and st["drifted"] is False, st
    assert [m["monitor"]["monitor_id"] for m in st["monitors"]] == [mid], st
    assert st["monitors"][0].get("latest_report") is None, st
    rep = post_check(gateway, mid, {"currentDataUri": str(env["shifted_csv"])})
    assert rep.status_code == 200, rep.text
    r = gateway.get(f"/mlops/models/{MODEL}/drift-status", params={"monitor_id": mid})
    assert r.status_code == 200, r.text
    st = r.json()
    assert st["drifted"] is True and st["monitors"][0]["latest_report"]["report_id"] == rep.json()["report_id"], st
    direct = de.ok(channel, "GetDriftStatus", model_id=MODEL, monitor_id=mid)
    assert direct.drifted and direct.monitors[0].latest_report.report_id == rep.json()["report_id"]


def test_check_of_a_shifted_csv_drifts_on_f2_and_f5(env, gateway):
    r = post_check(gateway, env["monitor"]["monitor_id"], {"currentDataUri": str(env["shifted_csv"])})
    assert r.status_code == 200, r.text
    rep = r.json()
    assert drifted(rep) == ["f2", "f5"], rep["features"]
    assert rep["source"] == "DRIFT_WINDOW_SOURCE_UPLOADED_BATCH", rep
    assert rep["current_data_uri"] == str(env["shifted_csv"]) and int(rep["current_rows"]) == 300, rep
    assert rep["dataset_drifted"] is True and "DRIFT_KIND_DATA" in rep["drift_kinds"], rep
    for f in rep["features"]:
        assert f["test"] in ("wasserstein_normed", "jensen_shannon"), f
        assert f.get("p_value") is None, f"p_value for {f['test']}: {f}"


def test_check_of_inline_rows(env, gateway):
    rows = de.features_of(de.gen_rows(200, 24, de.SHIFTED))
    r = post_check(gateway, env["monitor"]["monitor_id"], {"instances": rows, "skip_actions": True})
    assert r.status_code == 200, r.text
    assert drifted(r.json()) == ["f2", "f5"], r.json()["features"]
    r = post_check(gateway, env["monitor"]["monitor_id"], {"current_data_uri": str(env["plain_csv"])})
    assert r.status_code == 200, r.text
    assert drifted(r.json()) == [] and r.json()["drift_kinds"] == [], r.json()


def test_alert_stream_answers_at_once_then_streams_alerts(env, gateway):
    """The stream's headers come before any alert (HTTP 200 at once, not
    when the first alert happens to arrive), then a drifted check's alert
    arrives as a JSON line."""
    import json
    import time
    t0 = time.monotonic()
    with gateway.request("GET", f"/mlops/drift-monitoring/alerts:stream?model_id={MODEL}&kinds=DRIFT_KIND_DATA",
                         stream=True, timeout=30) as r:
        assert r.status_code == 200, r.text
        assert time.monotonic() - t0 < 5, "headers waited for an alert"
        post = post_check(gateway, env["monitor"]["monitor_id"], {"current_data_uri": str(env["shifted_csv"])})
        assert post.status_code == 200, post.text
        line = next(l for l in r.iter_lines() if l)
    alert = json.loads(line)["result"]
    assert alert["kind"] == "DRIFT_KIND_DATA", alert
    assert alert["report_id"] == post.json()["report_id"], alert
    assert sorted(alert["drifted_features"]) == ["f2", "f5"], alert


def test_reports_newest_first_by_monitor_and_by_model(env, gateway, channel):
    mid = env["monitor"]["monitor_id"]
    r = gateway.get(f"/mlops/drift-monitoring/{mid}/reports", params={"page_size": 100})
    assert r.status_code == 200, r.text
    reports = r.json()["reports"]
    assert len(reports) >= 4, reports
    times = [x["create_time"] for x in reports]
    assert times == sorted(times, reverse=True), "newest first (RFC 3339 strings sort by time)"
    direct = de.ok(channel, "ListDriftReports", monitor_id=mid, page_size=100)
    assert [x["report_id"] for x in reports] == [x.report_id for x in direct.reports]
    r = gateway.get(f"/mlops/drift-monitoring/{mid}/reports", params={"page_size": 1, "drifted_only": "true"})
    assert r.status_code == 200, r.text
    page = r.json()
    assert len(page["reports"]) == 1 and page["reports"][0]["drift_kinds"] and page["next_page_token"], page
    r = gateway.get(f"/mlops/models/{MODEL}/drift-reports", params={"page_size": 100})
    assert r.status_code == 200, r.text
    assert [x["report_id"] for x in r.json()["reports"]] == [x["report_id"] for x in reports]


def test_ground_truth(env, gateway, channel, server):
    preds = de.predict(channel, MODEL, de.features_of(de.gen_rows(5, 25)), server)
    body = {"ground_truth": [{"prediction_id": p.prediction_id, "label": p.label} for p in preds]
            + [{"prediction_id": "no-such-prediction", "label": "yes"}]}
    r = gateway.request("POST", f"/mlops/models/{MODEL}/ground-truth", json=body)
    assert r.status_code == 200, r.text
    got = r.json()
    assert got["accepted"] == 5 and got["unmatched"] == 1, got
    assert got["unmatched_prediction_ids"] == ["no-such-prediction"], got


def rest_error(gateway, channel, method, path, http_status, grpc_name, grpc_request, *needles, body=None,
               params=None):
    """The HTTP status, and {"code", "message"} with the gRPC code and the very
    message a direct gRPC call gets."""
    r = gateway.request(method, path, json=body, params=params)
    assert r.status_code == http_status, f"{method} {path}: {r.status_code} {r.text}"
    err = r.json()
    direct = de.rpc(channel, grpc_name, grpc_request)
    assert err["code"] == direct.code.value[0] and err["message"] == direct.details, (err, direct)
    for n in needles:
        assert n in err["message"], err
    return err


def test_malformed_requests_are_400_with_the_message(env, gateway, channel):
    mid = env["monitor"]["monitor_id"]
    rows = de.features_of(de.gen_rows(3, 26))
    rows[1]["f2"] = "high"
    rest_error(gateway, channel, "POST", f"/mlops/drift-monitoring/{mid}:check", 400, "RunDriftCheck",
               de.check_request(mid, instances=rows), "instances[1].f2", body={"instances": rows})
    rest_error(gateway, channel, "POST", f"/mlops/models/{MODEL}/drift-monitoring", 400, "SetupDriftMonitoring",
               de.setup_request(MODEL, window_size=0, webhooks=["ftp://x"]), "webhook_urls[0]",
               body={"actions": {"webhook_urls": ["ftp://x"]}})
    rest_error(gateway, channel, "POST", f"/mlops/models/{MODEL}/drift-monitoring", 400, "SetupDriftMonitoring",
               de.setup_request(MODEL, window_size=0, feature_columns=["nope"]), "nope",
               body={"feature_columns": ["nope"]})
    rest_error(gateway, channel, "POST", "/mlops/drift-monitoring/dm-nope:check", 404, "RunDriftCheck",
               de.check_request("dm-nope"), "dm-nope", body={})
    # A body the gateway cannot decode never reaches the server.
    r = gateway.request("POST", f"/mlops/drift-monitoring/{mid}:check", data="{not json",
                        headers={"Content-Type": "application/json"})
    assert r.status_code == 400 and r.json()["message"], r.text
