"""Process lifecycle: graceful shutdown on SIGTERM/SIGINT (also with open
streams and idle connections), and refusing a port that is already taken."""

import json
import signal
import socket
import threading
import time

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

import aia_e2e as e2e

GRACE_MS = 2000
TRANSPORT_ERRORS = ("Socket closed", "Connection reset", "recvmsg", "GOAWAY", "Broken pipe",
                    "failed to connect", "Stream removed", "RST_STREAM")


class WatchReader:
    """Reads a Health.Watch stream in the background, recording each status
    and how the stream ended."""

    def __init__(self, channel, service):
        self.stub = health_pb2_grpc.HealthStub(channel)
        self.stream = self.stub.Watch(health_pb2.HealthCheckRequest(service=service), timeout=60)
        self.statuses = []
        self.code = None
        self.details = None
        self.ended_at = None
        self.first = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        try:
            for msg in self.stream:
                self.statuses.append(health_pb2.HealthCheckResponse.ServingStatus.Name(msg.status))
                self.first.set()
            self.code = self.stream.code()
            self.details = self.stream.details()
        except grpc.RpcError as e:
            self.code = e.code()
            self.details = e.details()
        finally:
            self.ended_at = time.monotonic()
            self.first.set()


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_signal_during_watch_stream_ends_cleanly(servers, sig):
    s = servers(extra_args=["--shutdown-grace-ms", str(GRACE_MS)])
    ch = grpc.insecure_channel(s.address)
    try:
        readers = [WatchReader(ch, ""), WatchReader(ch, "aia.v1.SystemService")]
        for r in readers:
            assert r.first.wait(10), f"no first Watch message{s.diag()}"
            assert r.statuses[:1] == ["SERVING"], f"{r.statuses} {r.code} {r.details}{s.diag()}"
        # A unary call on the same connection, to have had traffic.
        assert e2e.health_check(ch, "") == (grpc.StatusCode.OK, "SERVING")

        t0 = time.monotonic()
        s.send_signal(sig)
        for r in readers:
            r.thread.join(GRACE_MS / 1000 + 10)
            assert not r.thread.is_alive(), (
                f"Watch stream still open {GRACE_MS / 1000 + 10}s after {sig.name} (statuses {r.statuses}){s.diag()}")
        rc = s.wait_exit(15)
        exit_after = time.monotonic() - t0
        assert rc is not None, f"aia-server still running 15s after {sig.name}{s.diag()}"
        for r in readers:
            assert "NOT_SERVING" in r.statuses[1:], (
                f"Watch got {r.statuses} then {r.code}: {r.details!r}; expected a NOT_SERVING update "
                f"before the stream ended{s.diag()}")
            assert r.code == grpc.StatusCode.UNAVAILABLE, (
                f"Watch ended with {r.code}: {r.details!r}, expected UNAVAILABLE{s.diag()}")
            assert not any(t in (r.details or "") for t in TRANSPORT_ERRORS), (
                f"Watch ended by a transport error, not a status from the server: {r.details!r}{s.diag()}")
            assert r.ended_at - t0 < GRACE_MS / 1000 + 3, (
                f"stream ended {r.ended_at - t0:.2f}s after {sig.name} (grace {GRACE_MS} ms)")
        assert exit_after < GRACE_MS / 1000 + 5, (
            f"exit {exit_after:.2f}s after {sig.name} with a {GRACE_MS} ms grace period{s.diag()}")
        assert rc == 0, f"exit code {rc} after {sig.name}{s.diag()}"
    finally:
        ch.close()
    s.stop()  # already exited: checks exit code and sanitizer output


def test_idle_server_exits_0_promptly_on_sigterm(servers):
    s = servers()
    t0 = time.monotonic()
    s.stop(signal.SIGTERM, timeout=15)
    assert time.monotonic() - t0 < 5, f"idle server took {time.monotonic() - t0:.2f}s to exit{s.diag()}"


def test_sigterm_with_idle_client_connection(servers):
    s = servers(extra_args=["--shutdown-grace-ms", str(GRACE_MS)])
    ch = grpc.insecure_channel(s.address)
    try:
        assert e2e.health_check(ch, "") == (grpc.StatusCode.OK, "SERVING")
        t0 = time.monotonic()
        s.stop(signal.SIGTERM, timeout=15)
        assert time.monotonic() - t0 < GRACE_MS / 1000 + 3, (
            f"exit took {time.monotonic() - t0:.2f}s with an idle connection open{s.diag()}")
        # Nothing answers any more.
        code, _ = e2e.health_check(ch, "", timeout=2)
        assert code != grpc.StatusCode.OK
    finally:
        ch.close()


def test_sigterm_during_unary_load_exits_0(servers):
    """Calls racing with shutdown get an answer or UNAVAILABLE, never a hang,
    and the process still exits 0."""
    s = servers(extra_args=["--shutdown-grace-ms", str(GRACE_MS)])
    stop = threading.Event()
    codes = []

    def load(_):
        with grpc.insecure_channel(s.address) as ch:
            while not stop.is_set():
                res = e2e.get_health(ch, timeout=5)
                codes.append(res.code)
                if res.code != grpc.StatusCode.OK:
                    return

    threads = [threading.Thread(target=load, args=(i,), daemon=True) for i in range(4)]
    for t in threads:
        t.start()
    time.sleep(0.5)
    s.send_signal(signal.SIGTERM)
    rc = s.wait_exit(15)
    stop.set()
    for t in threads:
        t.join(10)
        assert not t.is_alive(), "a client call hung across shutdown"
    assert rc == 0, f"exit code {rc}{s.diag()}"
    assert codes.count(grpc.StatusCode.OK) > 10, f"too few calls succeeded before shutdown: {len(codes)}"
    odd = {c for c in codes} - {grpc.StatusCode.OK, grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.CANCELLED}
    assert not odd, f"calls during shutdown ended with {odd}{s.diag()}"
    s.stop()


def test_second_server_on_same_port_fails(servers):
    first = servers()
    other_dir = e2e.scratch_dir("aia-second-")
    p = e2e.run_server_expect_exit(
        ["--listen", first.address, "--data-dir", other_dir / "data", "--log-format", "json"], timeout=15)
    assert p.returncode == 1, f"second server on {first.address}: {e2e.describe_proc(p)}"
    assert "already in use" in p.stderr, e2e.describe_proc(p)
    assert first.address in p.stderr, f"message should name {first.address}{e2e.describe_proc(p)}"
    # With --log-format json even gRPC's own complaint about the bind is a JSON
    # line; only the final fatal message is plain "aia-server: ...".
    for line in p.stderr.splitlines():
        if line.startswith("aia-server: "):
            continue
        assert isinstance(json.loads(line), dict), f"not a JSON log line: {line!r}{e2e.describe_proc(p)}"
    # The first one is unaffected and still the one answering.
    with grpc.insecure_channel(first.address) as ch:
        for _ in range(20):  # several connections' worth: none may land elsewhere
            assert e2e.health_check(ch, "") == (grpc.StatusCode.OK, "SERVING"), first.diag()
    assert first.alive()


def test_port_held_by_another_program_fails(servers):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(1)
        addr = f"127.0.0.1:{sock.getsockname()[1]}"
        d = e2e.scratch_dir("aia-held-")
        p = e2e.run_server_expect_exit(["--listen", addr, "--data-dir", d / "data"], timeout=15)
    assert p.returncode == 1, e2e.describe_proc(p)
    assert "already in use" in p.stderr and addr in p.stderr, e2e.describe_proc(p)
