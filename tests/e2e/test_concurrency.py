"""A concurrent smoke test: many threads and connections, unary calls mixed
with streams being opened and cancelled; every call succeeds and the
counters add up."""

import threading
import time

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

import aia_e2e as e2e

THREADS = 8
CALLS = 200


def test_parallel_get_health(server, channel):
    _, _, before, _ = e2e.get_metrics(channel)
    failures = []
    stop = threading.Event()
    watches = {"opened": 0}

    def unary_worker(i):
        # Half the threads share the fixture's connection, half dial their own.
        own = grpc.insecure_channel(server.address) if i % 2 else None
        ch = own or channel
        try:
            for n in range(CALLS):
                res = e2e.get_health(ch, timeout=10)
                if res.code != grpc.StatusCode.OK:
                    failures.append(f"thread {i} call {n}: {res}")
                    return
        finally:
            if own:
                own.close()

    def watch_churn():
        stub = health_pb2_grpc.HealthStub(channel)
        while not stop.is_set():
            s = stub.Watch(health_pb2.HealthCheckRequest(service=""), timeout=10)
            try:
                if next(s).status != health_pb2.HealthCheckResponse.SERVING:
                    failures.append("Watch did not start with SERVING")
            except grpc.RpcError as e:
                failures.append(f"Watch: {e.code()} {e.details()}")
            s.cancel()
            watches["opened"] += 1

    churn = threading.Thread(target=watch_churn, daemon=True)
    churn.start()
    t0 = time.monotonic()
    try:
        e2e.run_threads(THREADS, unary_worker)
    finally:
        stop.set()
        churn.join(15)
    elapsed = time.monotonic() - t0
    assert not failures, f"{len(failures)} failures, first: {failures[:3]}{server.diag(20)}"
    assert watches["opened"] > 0
    assert server.alive(), server.diag()

    _, _, after, _ = e2e.get_metrics(channel)
    ok = lambda s: e2e.total(s, "grpc_server_handled_total", grpc_service="aia.v1.SystemService",  # noqa: E731
                             grpc_method="GetHealth", grpc_code="OK")
    assert ok(after) - ok(before) == THREADS * CALLS, (
        f"GetHealth OK counter grew by {ok(after) - ok(before)}, expected {THREADS * CALLS}")
    print(f"{THREADS * CALLS} GetHealth calls in {elapsed:.2f}s, {watches['opened']} Watch streams")
