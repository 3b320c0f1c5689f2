"""Health (grpc.health.v1 and SystemService.GetHealth) and server reflection
(v1 and v1alpha), through Python grpcio, grpc_health and a stock grpcurl."""

import datetime
import json
import time

import grpc
import pytest
from google.protobuf import descriptor_pb2
from grpc_health.v1 import health_pb2, health_pb2_grpc

import aia_e2e as e2e

# The design document's target API, plus RPCs the contract added since
# (SystemService.WatchSystemPerformance): these RPCs must exist (streaming
# ones marked True). More may be added; none of these may go missing.
DESIGN_RPCS = {
    "aia.v1.ModelService": {
        "TrainModel": False, "GetTrainingJob": False, "ListTrainingJobs": False,
        "CancelTrainingJob": False, "WatchTrainingJob": True, "GetModel": False,
        "GetModelStatus": False, "ListModels": False, "SetModelAlias": False,
        "DeleteModelVersion": False, "Predict": False, "CreateEndpoint": False,
        "DeployModel": False, "UpdateTrafficSplit": False, "UndeployModel": False,
        "RollbackEndpoint": False, "ListEndpoints": False,
    },
    "aia.v1.DriftService": {
        "SetupDriftMonitoring": False, "GetDriftStatus": False, "RunDriftCheck": False,
        "ReportGroundTruth": False, "ListDriftReports": False, "StreamDriftAlerts": True,
    },
    "aia.v1.CoordinatorService": {
        "CreateCollaborativeTask": False, "GetTaskStatus": False, "WatchTask": True,
        "CancelTask": False, "ListAgents": False, "GetAgentPerformance": False,
    },
    "aia.v1.LLMService": {
        "Generate": False, "StreamGenerate": True, "CountTokens": False, "ListLLMModels": False,
    },
    "aia.v1.SystemService": {
        "GetDashboard": False, "GetSystemPerformance": False, "WatchSystemPerformance": True,
        "GetHealth": False, "GetMetrics": False,
    },
}

STANDARD_SERVICES = [
    "grpc.health.v1.Health",
    "grpc.reflection.v1.ServerReflection",
    "grpc.reflection.v1alpha.ServerReflection",
]

REFLECTION_VERSIONS = ["v1", "v1alpha"]


# --------------------------------------------------------------------------
# grpc.health.v1.Health


def test_health_check_serving_with_grpc_health(server, channel):
    stub = health_pb2_grpc.HealthStub(channel)
    for svc in ("", "aia.v1.SystemService"):
        resp = stub.Check(health_pb2.HealthCheckRequest(service=svc), timeout=5)
        assert resp.status == health_pb2.HealthCheckResponse.SERVING, (
            f"Health/Check({svc!r}) = {resp.status}{server.diag()}")


def test_health_check_unknown_service_is_not_found(server, channel):
    stub = health_pb2_grpc.HealthStub(channel)
    with pytest.raises(grpc.RpcError) as ei:
        stub.Check(health_pb2.HealthCheckRequest(service="no.such.Service"), timeout=5)
    assert ei.value.code() == grpc.StatusCode.NOT_FOUND, f"{ei.value}{server.diag()}"


def test_health_check_agrees_with_get_health(server, channel, contract):
    """Each aia.v1 service: SERVING in GetHealth ↔ SERVING in Health/Check;
    not-yet-built services are NOT_SERVING."""
    statuses, _ = e2e.service_statuses(channel)
    stub = health_pb2_grpc.HealthStub(channel)
    for svc in contract.services("aia.v1"):
        resp = stub.Check(health_pb2.HealthCheckRequest(service=svc), timeout=5)
        want = (health_pb2.HealthCheckResponse.SERVING
                if statuses.get(svc) == "SERVING_STATUS_SERVING"
                else health_pb2.HealthCheckResponse.NOT_SERVING)
        assert resp.status == want, (
            f"Health/Check({svc}) = {health_pb2.HealthCheckResponse.ServingStatus.Name(resp.status)} but "
            f"GetHealth says {statuses.get(svc)}{server.diag()}")


def test_health_watch_sends_current_status(server, channel):
    stub = health_pb2_grpc.HealthStub(channel)
    stream = stub.Watch(health_pb2.HealthCheckRequest(service=""), timeout=10)
    try:
        first = next(stream)
        assert first.status == health_pb2.HealthCheckResponse.SERVING
    finally:
        stream.cancel()


def test_health_watch_unknown_service_sends_service_unknown(server, channel):
    stub = health_pb2_grpc.HealthStub(channel)
    stream = stub.Watch(health_pb2.HealthCheckRequest(service="no.such.Service"), timeout=10)
    try:
        first = next(stream)
        assert first.status == health_pb2.HealthCheckResponse.SERVICE_UNKNOWN, f"{first}{server.diag()}"
    finally:
        stream.cancel()


def test_health_watch_1ms_deadline_is_deadline_exceeded(server, channel, alive):
    stub = health_pb2_grpc.HealthStub(channel)
    t0 = time.monotonic()
    with pytest.raises(grpc.RpcError) as ei:
        for _ in stub.Watch(health_pb2.HealthCheckRequest(service=""), timeout=0.001):
            pass
    assert ei.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED, f"{ei.value}{server.diag()}"
    assert time.monotonic() - t0 < 2.0


def test_health_watch_deadline_ends_an_open_stream(server, channel, alive):
    """A Watch that already got its first update still ends at its deadline."""
    stub = health_pb2_grpc.HealthStub(channel)
    t0 = time.monotonic()
    stream = stub.Watch(health_pb2.HealthCheckRequest(service=""), timeout=0.5)
    got = []
    with pytest.raises(grpc.RpcError) as ei:
        for msg in stream:
            got.append(msg.status)
    elapsed = time.monotonic() - t0
    assert got[:1] == [health_pb2.HealthCheckResponse.SERVING], got
    assert ei.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED, f"{ei.value}{server.diag()}"
    assert elapsed < 3.0, f"stream ended {elapsed:.2f}s after start with a 0.5s deadline"


def test_health_via_contract_descriptors(server, channel):
    """The same check through the generic (descriptor-pool) path used elsewhere."""
    assert e2e.health_check(channel, "") == (grpc.StatusCode.OK, "SERVING")


# --------------------------------------------------------------------------
# SystemService.GetHealth


def _ts(t):
    return t.seconds + t.nanos / 1e9


def test_get_health_response(server, channel, contract):
    statuses, resp = e2e.service_statuses(channel)
    enum = contract.pool.FindEnumTypeByName("aia.v1.ServingStatus")
    assert enum.values_by_number[resp.status].name == "SERVING_STATUS_SERVING", f"{resp}"

    missing = set(contract.services("aia.v1")) - set(statuses)
    assert not missing, f"GetHealth does not list {sorted(missing)}; it lists {statuses}"
    assert statuses["aia.v1.SystemService"] == "SERVING_STATUS_SERVING", statuses
    for s in resp.services:
        name = enum.values_by_number[s.status].name
        assert name != "SERVING_STATUS_UNSPECIFIED", f"{s.service} has an UNSPECIFIED status"
        if name == "SERVING_STATUS_UNIMPLEMENTED":
            assert s.detail.strip(), f"{s.service} is UNIMPLEMENTED without a detail saying what is missing"

    b = resp.build
    for field in ("version", "git_commit", "compiler", "grpc_version", "protobuf_c_version", "allocator"):
        assert getattr(b, field).strip(), f"build.{field} is empty: {b}"
    assert b.allocator in ("jemalloc", "libc"), b.allocator
    if e2e.under_asan():
        assert "address" in b.sanitizers, f"ASan build but build.sanitizers = {b.sanitizers!r}"
        assert b.allocator == "libc", f"ASan build must use libc malloc, build.allocator = {b.allocator!r}"

    now = time.time()
    start, server_time, uptime = _ts(resp.start_time), _ts(resp.server_time), _ts(resp.uptime)
    assert abs(server_time - now) < 60, f"server_time {server_time} vs now {now}"
    assert now - 3600 < start <= server_time + 0.001, f"start_time {start}, server_time {server_time}"
    assert uptime >= 0
    assert abs((server_time - start) - uptime) < 2.0, (
        f"uptime {uptime}s disagrees with server_time - start_time = {server_time - start}s")


def test_get_health_uptime_advances(server, channel):
    _, a = e2e.service_statuses(channel)
    time.sleep(0.3)
    _, b = e2e.service_statuses(channel)
    assert _ts(b.uptime) > _ts(a.uptime), (a.uptime, b.uptime)
    assert _ts(b.server_time) > _ts(a.server_time)
    assert _ts(a.start_time) == _ts(b.start_time)


# --------------------------------------------------------------------------
# grpcurl


def test_grpcurl_health_check_serving(server):
    p = e2e.run_grpcurl(server.address, "grpc.health.v1.Health/Check")
    assert p.returncode == 0, e2e.describe_proc(p) + server.diag()
    assert json.loads(p.stdout) == {"status": "SERVING"}, e2e.describe_proc(p)


def test_grpcurl_get_health(server):
    p = e2e.run_grpcurl("-d", "{}", server.address, "aia.v1.SystemService/GetHealth")
    assert p.returncode == 0, e2e.describe_proc(p) + server.diag()
    body = json.loads(p.stdout)
    assert body["status"] == "SERVING_STATUS_SERVING", body
    assert body["build"]["version"], body


def test_grpcurl_list(server, contract):
    p = e2e.run_grpcurl(server.address, "list")
    assert p.returncode == 0, e2e.describe_proc(p) + server.diag()
    listed = set(p.stdout.split())
    want = set(contract.services("aia.v1")) | set(DESIGN_RPCS) | set(STANDARD_SERVICES)
    missing = want - listed
    assert not missing, f"grpcurl list lacks {sorted(missing)}{e2e.describe_proc(p)}"


def test_grpcurl_describe_model_service(server, contract):
    p = e2e.run_grpcurl(server.address, "describe", "aia.v1.ModelService")
    assert p.returncode == 0, e2e.describe_proc(p) + server.diag()
    assert "aia.v1.ModelService is a service" in p.stdout, e2e.describe_proc(p)
    for rpc in DESIGN_RPCS["aia.v1.ModelService"]:
        assert f"rpc {rpc} (" in p.stdout, f"describe lacks rpc {rpc}{e2e.describe_proc(p)}"
    # Comments from the descriptor set's source info come along.
    assert "//" in p.stdout, f"no comments in describe output{e2e.describe_proc(p)}"


@pytest.mark.parametrize("service", sorted(DESIGN_RPCS))
def test_grpcurl_describe_every_service(server, service):
    p = e2e.run_grpcurl(server.address, "describe", service)
    assert p.returncode == 0, e2e.describe_proc(p) + server.diag()
    for rpc, streaming in DESIGN_RPCS[service].items():
        assert f"rpc {rpc} (" in p.stdout, f"describe {service} lacks rpc {rpc}{e2e.describe_proc(p)}"
        if streaming:
            line = next(ln for ln in p.stdout.splitlines() if f"rpc {rpc} (" in ln)
            assert "returns ( stream " in line, f"{rpc} should be server-streaming: {line}"


def test_grpcurl_describe_message(server):
    p = e2e.run_grpcurl(server.address, "describe", "aia.v1.GetHealthResponse")
    assert p.returncode == 0, e2e.describe_proc(p) + server.diag()
    assert "aia.v1.GetHealthResponse is a message" in p.stdout, e2e.describe_proc(p)
    for field in ("status", "services", "build", "start_time", "uptime", "server_time"):
        assert f" {field} = " in p.stdout, f"field {field} missing{e2e.describe_proc(p)}"
    # Its dependencies resolve too (well-known types over reflection).
    p = e2e.run_grpcurl(server.address, "describe", "google.protobuf.Timestamp")
    assert p.returncode == 0, e2e.describe_proc(p)


# --------------------------------------------------------------------------
# Reflection through Python, both versions


def reflect(contract, channel, version, **fields):
    req = contract.new(f"grpc.reflection.{version}.ServerReflectionRequest", **fields)
    path = f"/grpc.reflection.{version}.ServerReflection/ServerReflectionInfo"
    call = channel.stream_stream(path)
    resps = list(call(iter([req.SerializeToString()]), timeout=10))
    assert len(resps) == 1, f"{len(resps)} responses to one reflection request"
    return contract.cls(f"grpc.reflection.{version}.ServerReflectionResponse").FromString(resps[0])


def reflected_files(contract, channel, version, symbol):
    """All FileDescriptorProtos needed for `symbol`, following imports."""
    r = reflect(contract, channel, version, file_containing_symbol=symbol)
    assert r.WhichOneof("message_response") == "file_descriptor_response", f"{symbol}: {r}"
    files = {}
    todo = [descriptor_pb2.FileDescriptorProto.FromString(b)
            for b in r.file_descriptor_response.file_descriptor_proto]
    while todo:
        f = todo.pop()
        if f.name in files:
            continue
        files[f.name] = f
        for dep in f.dependency:
            if dep not in files:
                d = reflect(contract, channel, version, file_by_filename=dep)
                assert d.WhichOneof("message_response") == "file_descriptor_response", f"{dep}: {d}"
                todo += [descriptor_pb2.FileDescriptorProto.FromString(b)
                         for b in d.file_descriptor_response.file_descriptor_proto]
    return files


@pytest.mark.parametrize("version", REFLECTION_VERSIONS)
def test_reflection_list_services(server, channel, contract, version):
    r = reflect(contract, channel, version, list_services="*")
    names = {s.name for s in r.list_services_response.service}
    want = set(contract.services("aia.v1")) | set(DESIGN_RPCS) | set(STANDARD_SERVICES)
    assert not want - names, f"{version} ListServices lacks {sorted(want - names)}; lists {sorted(names)}"


@pytest.mark.parametrize("version", REFLECTION_VERSIONS)
def test_reflection_serves_the_contract(server, channel, contract, version):
    """Every aia.v1 service and RPC in proto/ is served, with the same types
    and streaming flags, and every import resolves."""
    for svc, methods in contract.services("aia.v1").items():
        files = reflected_files(contract, channel, version, svc)
        pkg, short = svc.rsplit(".", 1)
        found = [s for f in files.values() if f.package == pkg for s in f.service if s.name == short]
        assert found, f"{svc} not in reflected files {sorted(files)}"
        served = {m.name: m for m in found[0].method}
        for m in methods:
            assert m.name in served, f"{m.full} not served over reflection {version}"
            sm = served[m.name]
            assert sm.input_type.lstrip(".") == m.input_type, (m.full, sm.input_type)
            assert sm.output_type.lstrip(".") == m.output_type, (m.full, sm.output_type)
            assert sm.server_streaming == m.server_streaming, m.full
        extra = set(served) - {m.name for m in methods}
        assert not extra, f"reflection serves {svc} RPCs not in proto/: {sorted(extra)}"


@pytest.mark.parametrize("version", REFLECTION_VERSIONS)
def test_reflection_design_rpcs(server, channel, contract, version):
    for svc, rpcs in DESIGN_RPCS.items():
        r = reflect(contract, channel, version, file_containing_symbol=svc)
        assert r.WhichOneof("message_response") == "file_descriptor_response", (
            f"reflection {version} does not know {svc}: {r}")
        files = [descriptor_pb2.FileDescriptorProto.FromString(b)
                 for b in r.file_descriptor_response.file_descriptor_proto]
        pkg, short = svc.rsplit(".", 1)
        found = [s for f in files if f.package == pkg for s in f.service if s.name == short]
        assert found, f"{svc} not in the file reflection {version} returned"
        served = {m.name: m for m in found[0].method}
        for rpc, streaming in rpcs.items():
            assert rpc in served, f"{svc}/{rpc} (design document) is not in the served contract"
            assert served[rpc].server_streaming == streaming, f"{svc}/{rpc}: server_streaming should be {streaming}"


@pytest.mark.parametrize("version", REFLECTION_VERSIONS)
def test_reflection_message_symbol_and_filename(server, channel, contract, version):
    r = reflect(contract, channel, version, file_containing_symbol="aia.v1.GetHealthResponse")
    assert r.WhichOneof("message_response") == "file_descriptor_response", r
    names = [descriptor_pb2.FileDescriptorProto.FromString(b).name
             for b in r.file_descriptor_response.file_descriptor_proto]
    assert "aia/v1/system.proto" in names, names
    r = reflect(contract, channel, version, file_by_filename="aia/v1/common.proto")
    assert r.WhichOneof("message_response") == "file_descriptor_response", r


@pytest.mark.parametrize("version", REFLECTION_VERSIONS)
def test_reflection_unknown_symbol_is_not_found(server, channel, contract, version, alive):
    r = reflect(contract, channel, version, file_containing_symbol="aia.v1.NoSuchThing")
    assert r.WhichOneof("message_response") == "error_response", r
    assert r.error_response.error_code == grpc.StatusCode.NOT_FOUND.value[0], r
    r = reflect(contract, channel, version, file_by_filename="no/such/file.proto")
    assert r.WhichOneof("message_response") == "error_response", r
    assert r.error_response.error_code == grpc.StatusCode.NOT_FOUND.value[0], r


@pytest.mark.parametrize("version", REFLECTION_VERSIONS)
def test_reflection_several_requests_on_one_stream(server, channel, contract, version):
    reqs = [contract.new(f"grpc.reflection.{version}.ServerReflectionRequest", list_services="*"),
            contract.new(f"grpc.reflection.{version}.ServerReflectionRequest",
                         file_containing_symbol="aia.v1.SystemService"),
            contract.new(f"grpc.reflection.{version}.ServerReflectionRequest",
                         file_by_filename="aia/v1/system.proto")]
    path = f"/grpc.reflection.{version}.ServerReflection/ServerReflectionInfo"
    resps = list(channel.stream_stream(path)(iter([q.SerializeToString() for q in reqs]), timeout=10))
    assert len(resps) == 3, f"{len(resps)} responses to 3 requests on one stream"


# --------------------------------------------------------------------------
# The contract itself (proto/aia/v1), as the gateway and other teams need it


HTTP_RULE_FIELD = 72295728  # google.api.http on MethodOptions


def _varint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def test_contract_every_rpc_has_http_annotation(contract):
    key = _varint((HTTP_RULE_FIELD << 3) | 2)
    missing = [m.full for m in contract.methods("aia.v1") if key not in m.options.SerializeToString()]
    assert not missing, f"RPCs without a google.api.http annotation: {missing}"


def test_contract_enums_have_unspecified_zero(contract):
    bad = []
    for name, e in contract.enums("aia.v1"):
        zero = [v for v in e.value if v.number == 0]
        if not zero or not zero[0].name.endswith("UNSPECIFIED"):
            bad.append(name)
    assert not bad, f"enums without an *_UNSPECIFIED zero value: {bad}"


def test_start_time_is_recent(server, channel):
    _, resp = e2e.service_statuses(channel)
    started = datetime.datetime.fromtimestamp(_ts(resp.start_time), datetime.timezone.utc)
    age = datetime.datetime.now(datetime.timezone.utc) - started
    assert datetime.timedelta(0) <= age < datetime.timedelta(minutes=10), f"start_time {started}"
