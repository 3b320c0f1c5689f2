"""DriftService's refusals end to end: malformed batches (a missing
monitored column, a non-numeric cell, an empty CSV, inline rows with an
unknown column or a wrongly typed value, both a URI and rows), a check with
no logged traffic yet, unknown monitors and models, setups with a bad field,
ground truth of the wrong kind and alert streams with a bad filter. Each
answers the right status code with a message naming the field (file, line,
column or instances[i].feature), and nothing bad is stored: the server
keeps serving, the monitor's history stays empty."""

import grpc
import pytest

import aia_e2e as e2e
import drift_e2e as de
import models_e2e as me

MODEL = "drift-err"
INVALID = grpc.StatusCode.INVALID_ARGUMENT


@pytest.fixture(scope="module")
def env():
    s = e2e.start_server(extra_args=de.server_args())
    ch = grpc.insecure_channel(s.address)
    d = e2e.scratch_dir("aia-drift-err-")
    try:
        train_csv = de.write_rows(d / "train.csv", de.gen_rows(600, 11))
        de.train(ch, MODEL, train_csv, s)
        mon = de.ok(ch, "SetupDriftMonitoring", de.setup_request(MODEL, window_size=100), server=s)
        yield {"server": s, "channel": ch, "dir": d, "monitor": mon, "train_csv": train_csv}
    finally:
        ch.close()
        s.stop()


def check_error(env, code, *needles, **kw):
    req = de.check_request(env["monitor"].monitor_id, **kw)
    return de.expect_error(env["channel"], "RunDriftCheck", code, *needles, request=req, server=env["server"])


def setup_error(env, code, *needles, **kw):
    req = de.setup_request(kw.pop("model_id", MODEL), **kw)
    return de.expect_error(env["channel"], "SetupDriftMonitoring", code, *needles, request=req,
                           server=env["server"])


# --------------------------------------------------------------------------
# RunDriftCheck


def test_check_before_any_traffic_is_a_failed_precondition(env):
    # Nothing predicted yet: the prediction log has no rows to check.
    check_error(env, grpc.StatusCode.FAILED_PRECONDITION, "prediction log", f"{MODEL}@1")


def no_f4_csv(env):
    rows = de.gen_rows(50, 12)
    return de.write_rows(env["dir"] / "no_f4.csv", rows, [c for c in de.COLUMNS if c != "f4"])


def test_csv_missing_a_monitored_column_names_it(env):
    # Only the monitored columns are required (the label "y" may be absent).
    check_error(env, INVALID, "current_data_uri", "no_f4.csv", '"f4"', uri=no_f4_csv(env))


def test_csv_with_text_in_a_numeric_column_names_file_line_and_column(env):
    path = env["dir"] / "bad_cell.csv"
    de.write_rows(path, de.gen_rows(20, 13))
    lines = path.read_text().splitlines()
    cells = lines[5].split(",")
    cells[de.COLUMNS.index("f3")] = "oops"
    lines[5] = ",".join(cells)
    path.write_text("\n".join(lines) + "\n")
    # Line 6 of the file (the header is line 1), column 3, named "f3".
    check_error(env, INVALID, "current_data_uri", "bad_cell.csv:6:3", "'f3'", "oops", uri=path)


def test_empty_csv(env):
    header_only = env["dir"] / "header_only.csv"
    header_only.write_text(",".join(de.COLUMNS) + "\n")
    check_error(env, INVALID, "header_only.csv", uri=header_only)
    empty = env["dir"] / "empty.csv"
    empty.write_text("")
    check_error(env, INVALID, "empty.csv", uri=empty)


def test_missing_csv_file(env):
    missing = env["dir"] / "nope.csv"
    res = de.rpc(env["channel"], "RunDriftCheck", de.check_request(env["monitor"].monitor_id, uri=missing))
    assert res.code in (INVALID, grpc.StatusCode.NOT_FOUND), res
    assert "nope.csv" in res.details, res


def test_inline_rows_with_an_unknown_column(env):
    rows = de.features_of(de.gen_rows(5, 14))
    rows[3]["f9"] = 1.0
    check_error(env, INVALID, "instances[3]", "f9", instances=rows)


def test_inline_rows_with_a_wrongly_typed_value(env):
    rows = de.features_of(de.gen_rows(5, 15))
    rows[2]["f2"] = "high"
    check_error(env, INVALID, "instances[2].f2", instances=rows)
    rows = de.features_of(de.gen_rows(5, 15))
    rows[4]["c1"] = True
    check_error(env, INVALID, "instances[4].c1", instances=rows)


def test_uri_and_instances_together(env):
    rows = de.features_of(de.gen_rows(5, 16))
    check_error(env, INVALID, "current_data_uri", "instances", uri=env["train_csv"], instances=rows)


def test_unknown_monitor_is_not_found(env):
    msg = de.expect_error(env["channel"], "RunDriftCheck", grpc.StatusCode.NOT_FOUND, "dm-nosuchmonitor",
                          request=de.check_request("dm-nosuchmonitor"), server=env["server"])
    assert msg
    de.expect_error(env["channel"], "RunDriftCheck", INVALID, "monitor_id", request=de.check_request(""))
    de.expect_error(env["channel"], "GetDriftStatus", grpc.StatusCode.NOT_FOUND, "dm-nosuchmonitor",
                    model_id=MODEL, monitor_id="dm-nosuchmonitor")
    de.expect_error(env["channel"], "ListDriftReports", grpc.StatusCode.NOT_FOUND, "dm-nosuchmonitor",
                    monitor_id="dm-nosuchmonitor")
    de.expect_error(env["channel"], "GetDriftStatus", grpc.StatusCode.NOT_FOUND, "no-such-model",
                    model_id="no-such-model")


def test_refused_checks_stored_nothing(env):
    reports = de.ok(env["channel"], "ListDriftReports", monitor_id=env["monitor"].monitor_id, page_size=100).reports
    assert list(reports) == [], f"a refused check stored a report: {reports}"


# --------------------------------------------------------------------------
# SetupDriftMonitoring


def test_setup_unknown_model_is_not_found(env):
    setup_error(env, grpc.StatusCode.NOT_FOUND, "no-such-model", model_id="no-such-model")


def test_setup_unknown_feature(env):
    setup_error(env, INVALID, "feature_columns[1]", "f9", feature_columns=["f1", "f9"])


def test_setup_ks_on_a_categorical_column(env):
    setup_error(env, INVALID, "c1", "ks", overrides={"c1": {"test": "ks"}})


def test_setup_negative_threshold(env):
    setup_error(env, INVALID, "f2", "threshold", overrides={"f2": {"threshold": -0.5}})


def test_setup_unknown_action(env):
    setup_error(env, INVALID, "actions.on_data_drift[0]", actions={"on_data_drift": [9]})
    setup_error(env, INVALID, "actions.on_concept_drift[0]",
                actions={"on_concept_drift": [me.enum_number("DriftAction", "DRIFT_ACTION_UNSPECIFIED")]})


def test_setup_bad_webhook_url(env):
    setup_error(env, INVALID, "webhook_urls[0]", "ftp://x", webhooks=["ftp://x"])


def test_setup_negative_window_size(env):
    setup_error(env, INVALID, "window_size", window_size=-1)


def test_setup_bad_share_and_tolerance(env):
    setup_error(env, INVALID, "drift_share_threshold", share=1.5)
    setup_error(env, INVALID, "concept_drift_tolerance", concept_drift_tolerance=-1.0)


def test_refused_setups_stored_no_monitor(env):
    st = de.status(env["channel"], MODEL, "", env["server"])
    assert [m.monitor.monitor_id for m in st.monitors] == [env["monitor"].monitor_id], st


# --------------------------------------------------------------------------
# ReportGroundTruth and StreamDriftAlerts


def test_ground_truth_value_for_a_classifier(env):
    ch, s = env["channel"], env["server"]
    preds = de.predict(ch, MODEL, de.features_of(de.gen_rows(3, 17)), s)
    req = me.new("ReportGroundTruthRequest", model_id=MODEL)
    req.ground_truth.add(prediction_id=preds[0].prediction_id, label="yes")
    req.ground_truth.add(prediction_id=preds[1].prediction_id, value=1.0)
    de.expect_error(ch, "ReportGroundTruth", INVALID, "ground_truth[1]", request=req, server=s)
    empty = me.new("ReportGroundTruthRequest", model_id=MODEL)
    empty.ground_truth.add(prediction_id=preds[2].prediction_id)
    de.expect_error(ch, "ReportGroundTruth", INVALID, "ground_truth[0]", request=empty, server=s)


def test_stream_alerts_with_an_invalid_kind(env):
    ch = env["channel"]
    req = me.new("StreamDriftAlertsRequest", kinds=[de.kind_number("DRIFT_KIND_DATA"), 7])
    res = e2e.call(ch, de.method("StreamDriftAlerts"), req, timeout=10)
    assert res.code == INVALID and "kinds[1]" in res.details, res
    req = me.new("StreamDriftAlertsRequest", kinds=[0])
    res = e2e.call(ch, de.method("StreamDriftAlerts"), req, timeout=10)
    assert res.code == INVALID and "kinds[0]" in res.details, res


def test_times_out_of_range_are_refused_not_overflowed(env):
    """Found by fuzzing the REST routes under UBSan: a Timestamp before
    year 1 made the nanosecond conversion overflow."""
    ch = env["channel"]
    req = me.new("StreamDriftAlertsRequest")
    req.since.seconds = -62135596801  # a second before 0001-01-01: no Timestamp
    res = e2e.call(ch, de.method("StreamDriftAlerts"), req, timeout=10)
    assert res.code == INVALID and "since" in res.details and "Timestamp" in res.details, res
    # The fuzzer's value, in year 431: valid, so the stream opens and replays
    # everything (nothing here) instead of overflowing.
    req.since.seconds = -48574124709
    res = e2e.call(ch, de.method("StreamDriftAlerts"), req, timeout=2)
    assert res.code == grpc.StatusCode.DEADLINE_EXCEEDED and not res.responses, res
    req = me.new("ListDriftReportsRequest", model_id=MODEL)
    req.start_time.seconds = 2 ** 62
    de.expect_error(ch, "ListDriftReports", INVALID, "start_time", request=req, server=env["server"])
    req = me.new("ListDriftReportsRequest", model_id=MODEL)
    req.end_time.nanos = -1
    de.expect_error(ch, "ListDriftReports", INVALID, "end_time", request=req, server=env["server"])
    # Valid but before 1970 or after 2262 (beyond int64 ns): still answered.
    req = me.new("ListDriftReportsRequest", model_id=MODEL)
    req.start_time.seconds = -62135596800
    req.end_time.seconds = 253402300799
    de.ok(ch, "ListDriftReports", req, server=env["server"])
    req = me.new("StreamDriftAlertsRequest", model_id=MODEL, kinds=[7])
    req.since.seconds = -62135596800
    res = e2e.call(ch, de.method("StreamDriftAlerts"), req, timeout=10)
    assert res.code == INVALID and "kinds[0]" in res.details, res
    setup_error(env, INVALID, "check_interval", check_interval={"seconds": 10 ** 12})
    req = de.setup_request(MODEL)
    req.actions.cooldown.seconds = -5
    de.expect_error(ch, "SetupDriftMonitoring", INVALID, "actions.cooldown", request=req, server=env["server"])


def test_server_still_serves(env):
    s = env["server"]
    assert s.alive(), s.diag()
    assert e2e.get_health(env["channel"]).code == grpc.StatusCode.OK
