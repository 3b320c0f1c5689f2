"""Observability: JSON log events per request (request id, caller), the
Prometheus text from SystemService.GetMetrics, GetSystemPerformance, and
cancellation showing up in the metrics."""

import json
import time
import uuid

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

import aia_e2e as e2e

GET_HEALTH = "/aia.v1.SystemService/GetHealth"
SYS = "aia.v1.SystemService"


def rid():
    return f"e2e-{uuid.uuid4().hex[:16]}"


def event_for(server, request_id, what):
    return server.wait_for_event(lambda e: e.get("event") == "rpc" and e.get("request_id") == request_id,
                                 timeout=5, what=f"rpc event with request_id {request_id} ({what})")


# --------------------------------------------------------------------------
# JSON logs


def test_every_stderr_line_is_a_json_object(server, channel):
    for _ in range(3):
        e2e.get_health(channel)
    e2e.call_raw(channel, "/x.Y/Z", b"")
    time.sleep(0.2)
    bad = []
    for i, line in enumerate(server.log_lines(), 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
            if not isinstance(obj, dict):
                bad.append((i, line))
        except ValueError:
            bad.append((i, line))
    assert not bad, f"non-JSON lines in --log-format json output: {bad[:5]}{server.diag(20)}"


def test_listening_event(server):
    ev = server.wait_for_event(lambda e: e.get("event") == "listening", what='"listening" event')
    assert ev.get("address") == server.address, ev


def test_rpc_event_carries_request_id_and_caller(server, channel):
    r = rid()
    res = e2e.get_health(channel, metadata=(("x-request-id", r), ("x-aia-caller", "e2e-suite")))
    assert res.code == grpc.StatusCode.OK
    ev = event_for(server, r, "GetHealth")
    assert ev.get("method") == GET_HEALTH, ev
    assert ev.get("status") == "OK", ev
    assert ev.get("code") == 0, ev
    assert isinstance(ev.get("duration_ms"), (int, float)) and not isinstance(ev.get("duration_ms"), bool), ev
    assert 0 <= ev["duration_ms"] < 5000, ev
    assert ev.get("caller") == "e2e-suite", ev


def test_rpc_event_without_request_id_gets_a_generated_one(server, channel):
    marker_before = len(server.json_events())
    for _ in range(2):
        assert e2e.get_health(channel).code == grpc.StatusCode.OK
    deadline = time.time() + 5
    while True:
        new = [e for e in server.json_events()[marker_before:]
               if e.get("event") == "rpc" and e.get("method") == GET_HEALTH]
        if len(new) >= 2 or time.time() > deadline:
            break
        time.sleep(0.05)
    assert len(new) >= 2, f"expected 2 new GetHealth rpc events, got {new}{server.diag(10)}"
    ids = [e.get("request_id") for e in new[-2:]]
    assert all(isinstance(i, str) and i for i in ids), f"empty generated request ids: {new[-2:]}"
    assert ids[0] != ids[1], f"generated request ids repeat: {ids}"


@pytest.mark.parametrize("path,payload,status,code", [
    ("/x.Y/Z", b"", "UNIMPLEMENTED", 12),
    (GET_HEALTH, b"\xff\xff\xff\xff", "INVALID_ARGUMENT", 3),
], ids=["unknown-method", "garbage"])
def test_rpc_event_for_errors(server, channel, path, payload, status, code):
    r = rid()
    res = e2e.call_raw(channel, path, payload, metadata=(("x-request-id", r),))
    assert res.code.name == status
    ev = event_for(server, r, path)
    assert ev.get("method") == path, ev
    assert ev.get("status") == status and ev.get("code") == code, ev


def test_rpc_event_for_cancelled_stream(server, channel):
    r = rid()
    stream = health_pb2_grpc.HealthStub(channel).Watch(
        health_pb2.HealthCheckRequest(service=""), timeout=20, metadata=(("x-request-id", r),))
    assert next(stream).status == health_pb2.HealthCheckResponse.SERVING
    stream.cancel()
    ev = event_for(server, r, "cancelled Watch")
    assert ev.get("method") == "/grpc.health.v1.Health/Watch", ev
    assert ev.get("status") == "CANCELLED" and ev.get("code") == 1, ev


# --------------------------------------------------------------------------
# Prometheus metrics


def handled(samples, service, method, code):
    return e2e.total(samples, "grpc_server_handled_total", grpc_service=service, grpc_method=method,
                     grpc_code=code)


def test_metrics_after_calls(server, channel, contract):
    _, _, before, _ = e2e.get_metrics(channel)
    for _ in range(5):
        assert e2e.get_health(channel).code == grpc.StatusCode.OK
    e2e.call_raw(channel, GET_HEALTH, b"\xff\xff\xff\xff")
    # An RPC whose issue has not landed (CoordinatorService).
    pending = e2e.method_by_name("aia.v1.CoordinatorService/CreateCollaborativeTask")
    pending_res = e2e.call(channel, pending)
    ctype, text, after, types = e2e.get_metrics(channel)
    diag = f"\n--- metrics:\n{e2e.tail(text, 80)}"

    assert ctype.startswith("text/plain"), f"content_type {ctype!r}"
    assert types.get("grpc_server_started_total") == "counter", diag
    assert types.get("grpc_server_handled_total") == "counter", diag
    assert types.get("grpc_server_handling_seconds") == "histogram", diag

    started = lambda s: e2e.total(s, "grpc_server_started_total", grpc_type="unary",  # noqa: E731
                                  grpc_service=SYS, grpc_method="GetHealth")
    assert started(after) - started(before) >= 5, diag
    ok = lambda s: e2e.total(s, "grpc_server_handled_total", grpc_type="unary",  # noqa: E731
                             grpc_service=SYS, grpc_method="GetHealth", grpc_code="OK")
    assert ok(after) - ok(before) == 5, f"handled OK delta {ok(after) - ok(before)}, expected 5{diag}"
    inv = handled(after, SYS, "GetHealth", "INVALID_ARGUMENT") - handled(before, SYS, "GetHealth", "INVALID_ARGUMENT")
    assert inv == 1, f"handled INVALID_ARGUMENT delta {inv}, expected 1{diag}"
    if pending_res.code == grpc.StatusCode.UNIMPLEMENTED:
        coord = "aia.v1.CoordinatorService"
        d = (handled(after, coord, "CreateCollaborativeTask", "UNIMPLEMENTED")
             - handled(before, coord, "CreateCollaborativeTask", "UNIMPLEMENTED"))
        assert d == 1, f"CreateCollaborativeTask UNIMPLEMENTED delta {d}{diag}"

    # The latency histogram of GetHealth.
    buckets = e2e.select(after, "grpc_server_handling_seconds_bucket", grpc_service=SYS, grpc_method="GetHealth")
    assert buckets, f"no grpc_server_handling_seconds_bucket for GetHealth{diag}"
    for _, labels, _ in buckets:
        assert labels.get("grpc_type") == "unary", labels
    bs = sorted(((float(l["le"]), v) for _, l, v in buckets), key=lambda x: x[0])
    assert bs[-1][0] == float("inf"), f"no le=\"+Inf\" bucket{diag}"
    assert len(bs) >= 5, f"only {len(bs)} buckets{diag}"
    counts = [v for _, v in bs]
    assert counts == sorted(counts), f"bucket counts not cumulative: {bs}"
    count = e2e.total(after, "grpc_server_handling_seconds_count", grpc_service=SYS, grpc_method="GetHealth")
    ssum = e2e.select(after, "grpc_server_handling_seconds_sum", grpc_service=SYS, grpc_method="GetHealth")
    assert counts[-1] == count >= 5, f"+Inf bucket {counts[-1]} vs _count {count}{diag}"
    assert ssum and 0 <= ssum[0][2] < count * 1.0, f"_sum {ssum} for {count} trivial calls{diag}"

    # Process and build.
    rss = e2e.total(after, "process_resident_memory_bytes")
    assert 1e6 < rss < 8e9, f"process_resident_memory_bytes {rss}{diag}"
    assert e2e.total(after, "process_cpu_seconds_total") > 0, diag
    _, health = e2e.service_statuses(channel)
    start = e2e.total(after, "process_start_time_seconds")
    assert abs(start - (health.start_time.seconds + health.start_time.nanos / 1e9)) < 5, (
        f"process_start_time_seconds {start} vs GetHealth start_time {health.start_time}{diag}")
    info = e2e.select(after, "aia_build_info")
    assert len(info) == 1 and info[0][2] == 1, f"aia_build_info: {info}{diag}"
    assert info[0][1].get("version") == health.build.version, f"{info[0][1]} vs {health.build}"


def test_metrics_series_are_unique(channel):
    _, text, samples, _ = e2e.get_metrics(channel)
    seen = {}
    for name, labels, _ in samples:
        key = (name, tuple(sorted(labels.items())))
        seen[key] = seen.get(key, 0) + 1
    dup = [k for k, n in seen.items() if n > 1]
    assert not dup, f"duplicate series: {dup[:5]}"


def test_cancelled_watch_is_counted_within_a_second(server, channel):
    def cancelled(samples):
        return e2e.total(samples, "grpc_server_handled_total", grpc_service="grpc.health.v1.Health",
                         grpc_method="Watch", grpc_code="CANCELLED")

    _, _, before, _ = e2e.get_metrics(channel)
    stream = health_pb2_grpc.HealthStub(channel).Watch(health_pb2.HealthCheckRequest(service=""), timeout=20)
    assert next(stream).status == health_pb2.HealthCheckResponse.SERVING
    stream.cancel()
    t0 = time.monotonic()
    while True:
        _, text, after, _ = e2e.get_metrics(channel)
        if cancelled(after) > cancelled(before):
            break
        if time.monotonic() - t0 > 1.0:
            watch = [ln for ln in text.splitlines() if 'grpc_method="Watch"' in ln]
            pytest.fail(f"Watch CANCELLED count did not increase within 1 s of the cancel; Watch series:\n"
                        + "\n".join(watch) + server.diag(10))
        time.sleep(0.02)


def test_get_system_performance(server, channel):
    perf_m = e2e.method_by_name("aia.v1.SystemService/GetSystemPerformance")

    def perf():
        res = e2e.call(channel, perf_m)
        assert res.code == grpc.StatusCode.OK, f"GetSystemPerformance: {res}{server.diag(10)}"
        return res.response

    def row(p):
        rows = [m for m in p.methods if m.method == GET_HEALTH]
        return rows[0] if rows else None

    before = perf()
    for _ in range(3):
        e2e.get_health(channel)
    for _ in range(2):
        e2e.call_raw(channel, GET_HEALTH, b"\xff\xff\xff\xff")
    after = perf()
    a, b = row(after), row(before)
    assert a is not None, f"no {GET_HEALTH} row in {after}"
    calls_before = b.calls if b else 0
    errors_before = b.errors if b else 0
    assert a.calls - calls_before == 5, f"calls {calls_before} -> {a.calls}, expected +5"
    assert a.errors - errors_before == 2, f"errors {errors_before} -> {a.errors}, expected +2"
    assert 0 <= a.p50_ms <= a.p99_ms < 1000, a
    assert after.rss_bytes > 1e6, after
    assert after.threads >= 2, after
    assert after.cpu_time.seconds + after.cpu_time.nanos / 1e9 > 0, after
    assert after.uptime.seconds + after.uptime.nanos / 1e9 > 0, after
    for m in after.methods:
        assert m.method.startswith("/") and m.method.count("/") == 2, f"method name {m.method!r}"
