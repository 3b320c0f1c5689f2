"""SystemService.WatchSystemPerformance: the first sample at once, then one
per interval; ends with OK after max_samples, CANCELLED when the client
cancels, UNAVAILABLE when the server shuts down; bad intervals and sample
counts are INVALID_ARGUMENT naming the field; at most 64 watches at once."""

import json
import signal
import threading
import time

import grpc
import pytest

import aia_e2e as e2e

CONTRACT = e2e.contract()
SYS = "aia.v1.SystemService"
WATCH = e2e.method_by_name(f"{SYS}/WatchSystemPerformance")
MAX_WATCHERS = 64


def watch_request(interval_ms=None, max_samples=0):
    """`interval_ms` None leaves interval unset; negative values get negative
    seconds and nanos, as a valid Duration has."""
    req = CONTRACT.new(WATCH.input_type, max_samples=max_samples)
    if interval_ms is not None:
        req.interval.SetInParent()  # present even when zero
        sign = -1 if interval_ms < 0 else 1
        ms = abs(interval_ms)
        req.interval.seconds = sign * int(ms // 1000)
        req.interval.nanos = sign * int(round((ms % 1000) * 1_000_000))
    return req


def seconds(duration):
    return duration.seconds + duration.nanos / 1e9


class Watch:
    """One WatchSystemPerformance stream read in the background: each sample
    with its arrival time (seconds since the call started), and how it ended."""

    def __init__(self, channel, interval_ms=None, max_samples=0, timeout=60):
        payload = watch_request(interval_ms, max_samples).SerializeToString()
        self.out_cls = CONTRACT.cls(WATCH.output_type)
        self.t0 = time.monotonic()
        self.call = channel.unary_stream(WATCH.path)(payload, timeout=timeout)
        self.samples = []
        self.code = self.details = self.ended_at = None
        self.first = threading.Event()
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        try:
            for raw in self.call:
                self.samples.append((time.monotonic() - self.t0, self.out_cls.FromString(raw)))
                self.first.set()
            self.code, self.details = self.call.code(), self.call.details()
        except grpc.RpcError as e:
            self.code, self.details = e.code(), e.details()
        finally:
            self.ended_at = time.monotonic() - self.t0
            self.first.set()
            self.done.set()

    def wait_first(self, server, timeout=10):
        assert self.first.wait(timeout) and self.samples, (
            f"no first sample within {timeout}s (ended with {self.code}: {self.details!r}){server.diag(20)}")

    def wait_done(self, server, timeout=10):
        assert self.done.wait(timeout), f"stream still open after {timeout}s{server.diag(20)}"

    def __repr__(self):
        return (f"Watch(samples at {[round(t, 3) for t, _ in self.samples]}, code={self.code}, "
                f"details={self.details!r}, ended_at={self.ended_at})")


def handled(channel, code):
    _, _, samples, _ = e2e.get_metrics(channel)
    return e2e.total(samples, "grpc_server_handled_total", grpc_service=SYS,
                     grpc_method="WatchSystemPerformance", grpc_code=code)


# --------------------------------------------------------------------------
# Bounded streams


def test_three_samples_at_200ms_then_ok(server, channel, alive):
    w = Watch(channel, interval_ms=200, max_samples=3)
    w.wait_done(server)
    assert w.code == grpc.StatusCode.OK, f"{w}{server.diag(20)}"
    assert len(w.samples) == 3, f"{w}"
    first_at = w.samples[0][0]
    # The first sample comes at once, not after an interval; the two ticks
    # after it take 400 ms, so it arrives well before the stream ends.
    assert first_at < 1.0, f"first sample after {first_at:.3f}s: {w}"
    assert w.ended_at - first_at >= 0.25, f"first sample did not come well before the end: {w}"
    # Server-side spacing, read from the samples' own uptime.
    uptimes = [seconds(s.uptime) for _, s in w.samples]
    assert uptimes == sorted(uptimes), uptimes
    assert 0.38 <= uptimes[2] - uptimes[0] < 2.0, f"uptimes {uptimes} for a 200 ms interval"
    for _, s in w.samples:
        assert s.rss_bytes > 1e6 and s.threads >= 2, s
        assert seconds(s.cpu_time) > 0 and seconds(s.uptime) > 0, s
        for m in s.methods:
            assert m.method.startswith("/") and m.method.count("/") == 2 and m.calls > 0, m


def test_one_sample_ends_without_waiting_an_interval(server, channel, alive):
    w = Watch(channel, interval_ms=3_600_000, max_samples=1)
    w.wait_done(server)
    assert w.code == grpc.StatusCode.OK and len(w.samples) == 1, f"{w}{server.diag(20)}"
    assert w.ended_at < 2.0, f"a one-sample watch took {w.ended_at:.3f}s: {w}"


def test_samples_count_the_calls_made_meanwhile(server, channel, alive):
    w = Watch(channel, interval_ms=300, max_samples=2)
    w.wait_first(server)
    for _ in range(3):
        assert e2e.get_health(channel).code == grpc.StatusCode.OK
    w.wait_done(server)
    assert w.code == grpc.StatusCode.OK and len(w.samples) == 2, f"{w}"

    def health_calls(sample):
        return sum(m.calls for m in sample.methods if m.method == f"/{SYS}/GetHealth")

    first, second = w.samples[0][1], w.samples[1][1]
    assert health_calls(second) - health_calls(first) >= 3, (first, second)


def test_cli_prints_one_json_line_per_sample(server):
    p = e2e.run_cli("call", f"{SYS}/WatchSystemPerformance", '{"interval": "0.1s", "maxSamples": 2}',
                    server=server.address, timeout=20)
    assert p.returncode == 0, e2e.describe_proc(p)
    lines = [json.loads(ln) for ln in p.stdout.splitlines() if ln.strip()]
    assert len(lines) == 2, e2e.describe_proc(p)
    for obj in lines:
        assert "rssBytes" in obj and "uptime" in obj, obj


# --------------------------------------------------------------------------
# Cancellation


def test_client_cancel_ends_the_stream_on_the_server(server, channel, alive):
    before = handled(channel, "CANCELLED")
    w = Watch(channel, interval_ms=100)
    w.wait_first(server)
    w.call.cancel()
    w.wait_done(server)
    deadline = time.monotonic() + 3.0
    while handled(channel, "CANCELLED") <= before:
        assert time.monotonic() < deadline, (
            f"WatchSystemPerformance CANCELLED count did not increase within 3 s of the cancel{server.diag(20)}")
        time.sleep(0.05)


def test_deadline_ends_an_unbounded_stream(server, channel, alive):
    w = Watch(channel, interval_ms=100, timeout=1.0)
    w.wait_done(server)
    assert w.code == grpc.StatusCode.DEADLINE_EXCEEDED, f"{w}"
    assert len(w.samples) >= 3, f"expected ~10 samples in 1 s at 100 ms: {w}"


def test_cancels_racing_the_last_sample(server, channel, alive):
    """Cancels landing just before, during and after a stream's own finish:
    the server answers every one and stays up (under --config=asan this is
    where a use-after-free between the stop callback and the sampler thread
    would show)."""
    def one(i):
        w = Watch(channel, interval_ms=100, max_samples=2, timeout=10)
        time.sleep((i % 12) * 0.02)
        w.call.cancel()
        w.wait_done(server)
        assert w.code in (grpc.StatusCode.OK, grpc.StatusCode.CANCELLED), f"{w}"

    for _ in range(2):
        e2e.run_threads(12, one)


# --------------------------------------------------------------------------
# Validation


@pytest.mark.parametrize("interval_ms,max_samples,message", [
    (10, 0, "interval: must be at least 100ms, got 10ms"),
    (99.5, 0, "interval: must be at least 100ms, got 99.5ms"),
    (0, 0, "interval: must be at least 100ms, got 0ms"),
    (-1500, 0, "interval: must be at least 100ms, got -1.5s"),
    (3_601_000, 0, "interval: must be at most 1h, got 3601s"),
    (3_600_000.001, 0, "interval: must be at most 1h, got 3600.000001s"),
    (None, -1, "max_samples: must not be negative (0 streams until cancelled), got -1"),
    (None, 1_000_001, "max_samples: must be at most 1000000, got 1000001"),
], ids=["10ms", "99.5ms", "zero", "negative", "3601s", "just-over-1h", "max_samples-negative",
        "max_samples-too-many"])
def test_invalid_request_names_the_field_and_value(server, channel, alive, interval_ms, max_samples, message):
    res = e2e.call(channel, WATCH, watch_request(interval_ms, max_samples), timeout=5)
    assert res.code == grpc.StatusCode.INVALID_ARGUMENT, f"{res}{server.diag(20)}"
    assert res.details == message, res.details
    assert not res.responses, f"samples sent before the error: {res}"
    assert res.elapsed < 1.0, res


def test_malformed_duration_is_invalid_argument(server, channel, alive):
    req = watch_request(1000)
    req.interval.nanos = -5  # a positive duration with negative nanos is not a Duration
    res = e2e.call(channel, WATCH, req, timeout=5)
    assert res.code == grpc.StatusCode.INVALID_ARGUMENT, f"{res}{server.diag(20)}"
    assert res.details.startswith("interval: "), res.details


@pytest.mark.parametrize("interval_ms", [100, 3_600_000], ids=["100ms", "1h"])
def test_interval_limits_are_inclusive(server, channel, alive, interval_ms):
    res = e2e.call(channel, WATCH, watch_request(interval_ms, 1), timeout=5)
    assert res.code == grpc.StatusCode.OK and len(res.responses) == 1, f"{res}{server.diag(20)}"


# --------------------------------------------------------------------------
# Shutdown and the cap on watchers (their own servers)


def test_sigterm_ends_open_watches_with_unavailable(servers):
    grace_ms = 5000
    s = servers(extra_args=["--shutdown-grace-ms", str(grace_ms)])
    ch = grpc.insecure_channel(s.address)
    try:
        watches = [Watch(ch, interval_ms=3_600_000), Watch(ch, interval_ms=100, max_samples=1_000_000)]
        for w in watches:
            w.wait_first(s)
        t0 = time.monotonic()
        s.send_signal(signal.SIGTERM)
        for w in watches:
            w.wait_done(s, timeout=grace_ms / 1000 + 10)
            assert w.code == grpc.StatusCode.UNAVAILABLE, f"{w}{s.diag(20)}"
            assert w.details == "server is shutting down", f"{w}"
        # Woken by the stop callback, not by the grace period running out.
        took = time.monotonic() - t0
        assert took < grace_ms / 1000 / 2, f"watches ended {took:.2f}s after SIGTERM (grace {grace_ms} ms)"
        rc = s.wait_exit(15)
        assert rc == 0, f"aia-server exit code {rc} after SIGTERM{s.diag(20)}"
    finally:
        ch.close()
    s.stop()


def test_watchers_are_capped_at_64(servers):
    s = servers()
    ch = grpc.insecure_channel(s.address)
    watches = []
    try:
        watches = [Watch(ch, interval_ms=3_600_000) for _ in range(MAX_WATCHERS)]
        for w in watches:
            w.wait_first(s, timeout=20)
        res = e2e.call(ch, WATCH, watch_request(3_600_000, 1), timeout=5)
        assert res.code == grpc.StatusCode.RESOURCE_EXHAUSTED, f"{res}{s.diag(20)}"
        assert f"at most {MAX_WATCHERS}" in res.details, res.details
        assert not res.responses, res
        # Closing one frees its slot once the server has seen the cancel.
        watches[0].call.cancel()
        watches[0].wait_done(s)
        deadline = time.monotonic() + 5.0
        while True:
            res = e2e.call(ch, WATCH, watch_request(3_600_000, 1), timeout=5)
            if res.code == grpc.StatusCode.OK or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        assert res.code == grpc.StatusCode.OK and len(res.responses) == 1, f"after a cancel: {res}{s.diag(20)}"
        for w in watches[1:]:
            assert not w.done.is_set(), f"a watch ended on its own: {w}"
    finally:
        for w in watches:
            w.call.cancel()
        for w in watches:
            w.done.wait(10)
        ch.close()
    s.stop()
