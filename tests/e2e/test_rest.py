"""REST through aia-gateway against the real aia-server.

Every RPC of the contract is reachable at its google.api.http route (the
seed report's /mlops paths exactly), answers what the same call answers over
gRPC (UNIMPLEMENTED → 501 with the server's message until its issue lands),
streams incrementally as newline-delimited JSON or Server-Sent Events, and
the gateway's own behaviour holds: request ids end to end, errors as JSON,
404/405/400/413, /health and /healthz following the backend (503 while it is
down, recovery when it returns), /metrics passed through, /openapi.json
complete, a client disconnect cancelling the backend call.
"""

import json
import re
import socket
import time
import uuid

import grpc
import pytest
import requests

import aia_e2e as e2e
import gateway_e2e

# The seed report's REST paths and the RPC each must reach.
SEED_ROUTES = [
    ("POST", "/mlops/models/train", "aia.v1.ModelService/TrainModel"),
    ("GET", "/mlops/models/m1/status", "aia.v1.ModelService/GetModelStatus"),
    ("POST", "/mlops/models/m1/predict", "aia.v1.ModelService/Predict"),
    ("GET", "/mlops/models", "aia.v1.ModelService/ListModels"),
    ("POST", "/mlops/models/m1/drift-monitoring", "aia.v1.DriftService/SetupDriftMonitoring"),
    ("GET", "/mlops/models/m1/drift-status", "aia.v1.DriftService/GetDriftStatus"),
    ("POST", "/mlops/collaborative-tasks", "aia.v1.CoordinatorService/CreateCollaborativeTask"),
    ("GET", "/mlops/collaborative-tasks/t1", "aia.v1.CoordinatorService/GetTaskStatus"),
    ("GET", "/mlops/agents/a1/performance", "aia.v1.CoordinatorService/GetAgentPerformance"),
    ("GET", "/mlops/dashboard", "aia.v1.SystemService/GetDashboard"),
    ("GET", "/mlops/system-performance", "aia.v1.SystemService/GetSystemPerformance"),
    ("GET", "/mlops/health", "aia.v1.SystemService/GetHealth"),
]

# grpc-gateway's mapping (runtime.HTTPStatusFromCode) for the codes seen here.
HTTP_FOR_CODE = {
    grpc.StatusCode.OK: 200,
    grpc.StatusCode.INVALID_ARGUMENT: 400,
    grpc.StatusCode.NOT_FOUND: 404,
    grpc.StatusCode.FAILED_PRECONDITION: 400,
    grpc.StatusCode.UNIMPLEMENTED: 501,
    grpc.StatusCode.UNAVAILABLE: 503,
    grpc.StatusCode.ALREADY_EXISTS: 409,
    grpc.StatusCode.ABORTED: 409,
    grpc.StatusCode.RESOURCE_EXHAUSTED: 429,
    grpc.StatusCode.OUT_OF_RANGE: 400,
}

# Query parameters that keep a server stream finite when it is implemented,
# and the same as request fields for the direct gRPC call.
# StreamDriftAlerts has no end of its own (it stays open until the client
# cancels): an unspecified kind, which it refuses, ends it at once.
FINITE_STREAM_QUERY = {
    "aia.v1.SystemService/WatchSystemPerformance": ({"max_samples": "1"}, {"max_samples": 1}),
    "aia.v1.DriftService/StreamDriftAlerts": ({"kinds": "DRIFT_KIND_UNSPECIFIED"}, {"kinds": [0]}),
}


def new_id():
    return "e2e-" + uuid.uuid4().hex[:12]


def server_rpc_event(server, request_id, timeout=5.0):
    return server.wait_for_event(lambda e: e.get("event") == "rpc" and e.get("request_id") == request_id,
                                 timeout, f"rpc event with request_id {request_id}")


def openapi_operations(doc):
    """[(HTTP method, path template, "aia.v1.Service/Method", operation)] of the RPC routes."""
    out = []
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            service, _, name = op["operationId"].partition("_")
            if service == "Gateway":
                continue
            name = re.sub(r"\d+$", "", name)  # additional bindings: Predict2 → Predict
            out.append((method.upper(), path, f"aia.v1.{service}/{name}", op))
    return out


def path_values(template, op):
    """Valid-looking values for a route's path variables (integers for integer
    ones), by variable name."""
    params = {p["name"]: p for p in op.get("parameters", []) if p["in"] == "path"}
    names = re.findall(r"\{([^}]+)\}", template)
    return {n: 1 if params[n].get("type") == "integer" else f"{n.replace('_id', '')}-1" for n in names}


def sample_path(template, op):
    """The route with its path variables filled by path_values()."""
    values = path_values(template, op)
    return re.sub(r"\{([^}]+)\}", lambda m: str(values[m.group(1)]), template)


@pytest.fixture(scope="module")
def openapi(gateway):
    r = gateway.get("/openapi.json")
    assert r.status_code == 200, r.text
    return r.json()


# ---- routes ------------------------------------------------------------------


@pytest.mark.parametrize("method,path,rpc", SEED_ROUTES, ids=[f"{m} {p}" for m, p, _ in SEED_ROUTES])
def test_seed_path_reaches_its_rpc(server, gateway, method, path, rpc):
    rid = new_id()
    r = gateway.request(method, path, json={} if method == "POST" else None, headers={"x-request-id": rid})
    ev = server_rpc_event(server, rid)
    assert ev["method"] == "/" + rpc, f"{method} {path} reached {ev['method']}, not {rpc}"
    assert r.headers["x-request-id"] == rid
    if ev["status"] == "UNIMPLEMENTED":
        assert r.status_code == 501, r.text
        body = r.json()
        assert body["code"] == 12 and body["message"] == ev["message"], body
        assert f"{rpc} is not implemented yet" in body["message"]
    elif ev["status"] == "OK":
        assert r.status_code == 200, r.text
    else:
        # An implemented RPC refusing the empty request (e.g. "model_id:
        # required", or NOT_FOUND for the sample id): the same answer as gRPC.
        code = getattr(grpc.StatusCode, ev["status"])
        assert r.status_code == HTTP_FOR_CODE[code], r.text
        assert r.json()["message"] == ev["message"], r.text


def test_every_rpc_of_the_contract_has_a_route(openapi):
    routed = {rpc for _, _, rpc, _ in openapi_operations(openapi)}
    contract = {m.full for m in e2e.contract().methods("aia.v1")}
    assert contract - routed == set(), "RPCs without a REST route"
    assert routed - contract == set(), "routes to RPCs the contract does not have"


def test_every_route_answers_as_grpc_does(server, channel, gateway, openapi):
    """Each route reaches its RPC and maps the gRPC answer to HTTP: same status
    code (through grpc-gateway's table), same message."""
    mismatches = []
    for method, template, rpc, op in openapi_operations(openapi):
        rid = new_id()
        query, query_fields = FINITE_STREAM_QUERY.get(rpc, ({}, {}))
        r = gateway.request(method, sample_path(template, op), params=query,
                            json={} if method in ("POST", "PUT") else None, headers={"x-request-id": rid})
        ev = server_rpc_event(server, rid)
        # The same request over gRPC: the path variables become fields.
        fields = dict(query_fields)
        fields.update(path_values(template, op))
        direct = e2e.call(channel, e2e.method_by_name(rpc), e2e.contract().new(
            e2e.method_by_name(rpc).input_type, **fields))
        want_http = HTTP_FOR_CODE.get(direct.code)
        if ev["method"] != "/" + rpc:
            mismatches.append(f"{method} {template}: reached {ev['method']}, not {rpc}")
        elif r.status_code != want_http:
            mismatches.append(f"{method} {template}: HTTP {r.status_code}, gRPC said {direct.code.name}")
        elif direct.code != grpc.StatusCode.OK:
            body = r.json()
            body = body.get("error", body)  # a stream that fails before its first message: {"error": status}
            if body.get("message") != direct.details:
                mismatches.append(f"{method} {template}: message {body.get('message')!r} != {direct.details!r}")
    assert not mismatches, "\n".join(mismatches)


def test_unknown_path_is_404_and_wrong_method_405(gateway):
    r = gateway.get("/mlops/no-such-thing")
    assert r.status_code == 404 and r.json()["code"] == 5
    assert "no REST route for GET /mlops/no-such-thing" in r.json()["message"]
    r = gateway.request("DELETE", "/mlops/health")
    assert r.status_code == 405, r.text
    assert "DELETE is not allowed on /mlops/health" in r.json()["message"]


# ---- errors ------------------------------------------------------------------


@pytest.mark.parametrize("body,needle", [
    ('{"model_id": ', "the JSON ends early, after 13 bytes"),
    ('{"model_id": "m1",}', "syntax error (line 1:19)"),
    ('{"no_such_field": 1}', 'unknown field "no_such_field"'),
    ('{"model_id": 42}', "invalid value for string field"),
    ('[]', "unexpected token ["),
    ('\xff', "syntax error (line 1:1): invalid value"),
])
def test_malformed_json_is_400_naming_the_problem(gateway, body, needle):
    r = gateway.request("POST", "/mlops/models/train", data=body.encode("latin-1"),
                        headers={"content-type": "application/json"})
    assert r.status_code == 400, r.text
    err = r.json()
    assert err["code"] == 3 and err["details"] == []
    assert err["message"].startswith("request body: ") and needle in err["message"], err


def test_invalid_argument_from_the_server_is_400(gateway):
    """From the server (interval) and from the gateway's query parsing
    (max_samples); a stream failing before its first message answers
    {"error": status} with the mapped HTTP status."""
    r = gateway.get("/mlops/system-performance:watch", params={"interval": "0.01s"})
    assert r.status_code == 400, r.text
    assert "interval" in r.json()["error"]["message"]
    r = gateway.get("/mlops/system-performance:watch", params={"max_samples": "many"})
    assert r.status_code == 400 and "max_samples" in r.text, r.text


def test_body_over_the_limit_is_413(server, gateways):
    g = gateways(server.address, "--max-body-bytes", "1024")
    big = {"model_id": "m" * 2000}
    r = g.request("POST", "/mlops/models/train", json=big)
    assert r.status_code == 413, r.text
    assert r.json()["code"] == 8 and "1024 bytes" in r.json()["message"]

    def chunks():  # no Content-Length: the limit trips while reading
        yield json.dumps(big).encode()

    r = g.request("POST", "/mlops/models/train", data=chunks(), headers={"content-type": "application/json"})
    assert r.status_code == 413, r.text
    r = g.request("POST", "/mlops/models/train", json={"model_id": "m"})
    # Under the limit it reaches TrainModel, which wants more than a model id.
    assert r.status_code == 400 and "task_type: required" in r.json()["message"], r.text


# ---- request ids ---------------------------------------------------------------


def test_request_id_is_forwarded_and_logged_on_both_sides(server, gateway):
    rid = new_id()
    r = gateway.get("/mlops/health", headers={"x-request-id": rid})
    assert r.status_code == 200 and r.headers["x-request-id"] == rid
    assert server_rpc_event(server, rid)["method"] == "/aia.v1.SystemService/GetHealth"
    ev = gateway.wait_for_event(lambda e: e.get("event") == "http" and e.get("request_id") == rid)
    assert ev["path"] == "/mlops/health" and ev["status"] == 200


def test_request_id_is_generated_when_missing_or_invalid(server, gateway):
    for sent in (None, "x" * 65, "has space"):
        r = gateway.get("/mlops/health", headers={"x-request-id": sent} if sent else {})
        rid = r.headers["x-request-id"]
        assert rid and rid != sent and re.fullmatch(r"[0-9a-f]{16}", rid), rid
        assert server_rpc_event(server, rid)["method"] == "/aia.v1.SystemService/GetHealth"


# ---- streaming -------------------------------------------------------------------


def test_stream_arrives_incrementally_as_ndjson(gateway):
    t0 = time.monotonic()
    with gateway.get("/mlops/system-performance:watch", params={"interval": "1s", "max_samples": "3"},
                     stream=True) as r:
        assert r.status_code == 200
        lines = r.iter_lines()
        first = json.loads(next(lines))
        t_first = time.monotonic() - t0
        rest = [json.loads(line) for line in lines if line]
    t_end = time.monotonic() - t0
    assert t_first < 0.9, f"first line after {t_first:.2f}s"
    assert t_end >= 1.8, f"stream of 3 samples 1 s apart ended after {t_end:.2f}s"
    assert len(rest) == 2
    for chunk in [first] + rest:
        assert set(chunk) == {"result"}, chunk
        assert chunk["result"]["rss_bytes"] and chunk["result"]["threads"] >= 1
        assert "uptime" in chunk["result"] and "cpu_time" in chunk["result"]


def test_stream_as_server_sent_events(gateway):
    with gateway.get("/mlops/system-performance:watch", params={"interval": "0.2s", "max_samples": "2"},
                     headers={"accept": "text/event-stream"}, stream=True) as r:
        assert r.status_code == 200 and r.headers["content-type"] == "text/event-stream"
        text = r.text
    events = [e for e in text.split("\n\n") if e]
    assert len(events) == 2, text
    for e in events:
        assert e.startswith("data: "), e
        assert json.loads(e[len("data: "):])["threads"] >= 1


def test_unimplemented_stream_as_sse_error(gateway):
    """A stream whose service has not landed (CoordinatorService, issue #8)
    answers over SSE with an error event carrying UNIMPLEMENTED's HTTP
    status; once it lands, the stream opens as SSE."""
    r = gateway.request("GET", "/mlops/collaborative-tasks/no-such-task:watch",
                        headers={"accept": "text/event-stream"})
    assert r.headers["content-type"] == "text/event-stream"
    if r.status_code == 501:
        assert r.text.startswith("event: error\ndata: ") and r.text.endswith("\n\n"), r.text
        assert "CoordinatorService/WatchTask is not implemented yet" in r.text
    else:
        assert r.text.startswith(("data: ", "event: error")), r.text


def handled_count(gateway, method, code):
    text = gateway.get("/metrics").text
    pat = (r'grpc_server_handled_total\{grpc_type="server_stream",grpc_service="aia.v1.SystemService",'
           rf'grpc_method="{method}",grpc_code="{code}"\}} (\d+)')
    m = re.search(pat, text)
    return int(m.group(1)) if m else 0


def test_client_disconnect_cancels_the_backend_call(gateway):
    before = handled_count(gateway, "WatchSystemPerformance", "CANCELLED")
    rid = new_id()
    r = gateway.get("/mlops/system-performance:watch", params={"interval": "0.2s"}, stream=True,
                    headers={"x-request-id": rid})
    assert json.loads(next(r.iter_lines()))["result"]
    r.close()  # the client goes away mid-stream
    deadline = time.monotonic() + 5
    while handled_count(gateway, "WatchSystemPerformance", "CANCELLED") <= before:
        assert time.monotonic() < deadline, "the server's stream was not cancelled within 5 s"
        time.sleep(0.1)
    ev = gateway.wait_for_event(lambda e: e.get("event") == "http" and e.get("request_id") == rid)
    assert ev["client_gone"] is True


# ---- health, metrics, OpenAPI ------------------------------------------------------


def test_health_and_healthz_follow_the_backend(server, gateway):
    for path in ("/health", "/healthz"):
        r = gateway.get(path)
        assert r.status_code == 200 and r.json()["status"] == "SERVING", r.text
    rid = new_id()
    r = gateway.get("/health", headers={"x-request-id": rid})
    assert server_rpc_event(server, rid)["method"] == "/grpc.health.v1.Health/Check"
    r = gateway.get("/health", params={"service": "aia.v1.SystemService"})
    assert r.status_code == 200 and r.json()["service"] == "aia.v1.SystemService"
    r = gateway.get("/health", params={"service": "no.such.Service"})
    assert r.status_code == 404 and r.json()["status"] == "SERVICE_UNKNOWN"


def test_backend_down_is_503_and_recovery_follows(servers, gateways):
    s = servers()
    g = gateways(s.address)
    assert g.get("/health").status_code == 200
    port = s.port
    s.stop()
    for path in ("/health", "/healthz", "/mlops/health", "/mlops/models"):
        r = g.get(path)
        assert r.status_code == 503, f"{path} with the backend down: {r.status_code} {r.text}"
    assert g.get("/health").json()["status"] == "UNREACHABLE"
    assert g.get("/mlops/health").json()["code"] == 14
    s2 = servers(listen=f"127.0.0.1:{port}")
    deadline = time.monotonic() + 10
    while g.get("/mlops/health").status_code != 200:
        assert time.monotonic() < deadline, f"no recovery 10 s after the backend returned{s2.diag()}{g.diag()}"
        time.sleep(0.1)
    assert g.get("/health").status_code == 200


def test_metrics_pass_through_unchanged(channel, gateway):
    r = gateway.get("/metrics")
    direct = e2e.call(channel, e2e.method_by_name("aia.v1.SystemService/GetMetrics"))
    assert r.status_code == 200
    assert r.headers["content-type"] == direct.response.content_type
    # Counters move between the two calls; the series (names and labels) do not.
    series = lambda text: [ln.rsplit(" ", 1)[0] for ln in text.splitlines()]  # noqa: E731
    assert series(r.text) == series(direct.response.data.decode())


def test_openapi_documents_every_path_with_proto_comments(openapi):
    assert openapi["swagger"] == "2.0"
    for method, path, _ in SEED_ROUTES:
        template = re.sub(r"/(m1|t1|a1)(/|$)", lambda m: "/{%s}%s" % (
            {"m1": "model_id", "t1": "task_id", "a1": "agent_id"}[m.group(1)], m.group(2)), path)
        assert method.lower() in openapi["paths"].get(template, {}), f"{method} {template} undocumented"
    for path in ("/health", "/healthz", "/openapi.json", "/metrics"):
        assert path in openapi["paths"]
    # Descriptions are the .proto comments.
    assert openapi["paths"]["/mlops/health"]["get"]["summary"] == "Per-service serving status and build information."
    assert "newline-delimited JSON" in openapi["paths"]["/mlops/system-performance:watch"]["get"]["summary"]
    props = openapi["definitions"]["v1GetHealthResponse"]["properties"]
    assert "start_time" in props, "field names are the .proto names, as the JSON is"


# ---- the process ---------------------------------------------------------------------


def test_bad_flags_exit_2_naming_the_flag():
    import subprocess
    p = subprocess.run([str(gateway_e2e.gateway_binary()), "--request-timeout", "soon"],
                       capture_output=True, text=True, timeout=10)
    assert p.returncode == 2 and "request-timeout" in p.stderr, p.stderr


def test_port_in_use_exits_1():
    import subprocess
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(1)
        addr = "127.0.0.1:%d" % s.getsockname()[1]
        p = subprocess.run([str(gateway_e2e.gateway_binary()), "--listen", addr],
                           capture_output=True, text=True, timeout=10)
    assert p.returncode == 1 and "address already in use" in p.stderr, p.stderr
