"""Helpers for the DriftService end-to-end tests (test_drift*.py,
test_cli_drift.py): a generated, seeded classification CSV (numeric f1..f5,
categorical c1, c2, a label "y" that depends on f1 and f3) with optional
shifts of the inputs, typed calls to aia.v1.DriftService through the
contract pool, a server started with a fast drift poller, a local HTTP
receiver for webhooks, and a reader of StreamDriftAlerts in a thread.
"""

import csv
import http.server
import json
import os
import random
import threading
import time
from pathlib import Path

import grpc

import aia_e2e as e2e
import models_e2e as me

SERVICE = "aia.v1.DriftService"
CONTRACT = e2e.contract()
FEATURES = ["f1", "f2", "f3", "f4", "f5", "c1", "c2"]
NUMERIC = FEATURES[:5]
COLUMNS = FEATURES + ["y"]
C1 = ["red", "green", "blue"]
C2 = ["a", "b", "c", "d"]
SHIFTED = {"f2": 2.0, "f5": 2.0}   # +2 standard deviations (features are N(0, 1))
POLL_MS = 100
WEBHOOK_BACKOFF_MS = 50
# How long the live poller may take to produce a report; generous for ASan
# on a busy 2-core machine (natively it is a few poll periods).
LIVE_TIMEOUT = 30.0 if e2e.under_asan() else 15.0


def server_args(extra=()):
    """aia-server flags for drift tests: a fast poller and webhook retries."""
    return ["--drift-poll-ms", str(POLL_MS), "--drift-webhook-backoff-ms", str(WEBHOOK_BACKOFF_MS), *extra]


# --------------------------------------------------------------------------
# Data


def gen_rows(n, seed, shift=None):
    """n rows as dicts (features and the label "y"); the label is drawn
    before the shift, so a shift moves the inputs, not the truth."""
    rnd = random.Random(seed)
    rows = []
    for _ in range(n):
        r = {f: rnd.gauss(0.0, 1.0) for f in NUMERIC}
        r["c1"] = rnd.choice(C1)
        r["c2"] = rnd.choice(C2)
        score = r["f1"] - r["f3"] + 0.3 * rnd.gauss(0.0, 1.0)
        r["y"] = "yes" if score > 0 else "no"
        for f, d in (shift or {}).items():
            r[f] += d
        rows.append(r)
    return rows


def write_rows(path, rows, columns=COLUMNS):
    with open(path, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(columns)
        for r in rows:
            w.writerow([f"{r[c]:.6f}" if isinstance(r[c], float) else r[c] for c in columns])
    return Path(path)


def features_of(rows):
    """The rows without the label (what Predict and inline checks get)."""
    return [{f: r[f] for f in FEATURES} for r in rows]


# --------------------------------------------------------------------------
# The contract


SERVICE_CALLS = e2e.Service(SERVICE, timeout=60.0)
method = SERVICE_CALLS.method
rpc, ok, expect_error = SERVICE_CALLS.rpc, SERVICE_CALLS.ok, SERVICE_CALLS.expect_error


def kind_number(name):
    return me.enum_number("DriftKind", name)


def kind_name(number):
    return me.enum_name("DriftKind", number)


def setup_request(model_id, window_size=200, webhooks=(), share=0.0, overrides=None, actions=None, **kw):
    req = me.new("SetupDriftMonitoringRequest", model_id=model_id, window_size=window_size,
                 drift_share_threshold=share, **kw)
    if webhooks or actions:
        for k, v in (actions or {}).items():
            getattr(req.actions, k).extend(v)
        req.actions.webhook_urls.extend(webhooks)
    for name, o in (overrides or {}).items():
        e = req.feature_overrides[name]
        if "test" in o:
            e.test = o["test"]
        if "threshold" in o:
            e.threshold.value = o["threshold"]
    return req


def check_request(monitor_id, uri=None, instances=None, skip_actions=False):
    req = me.new("RunDriftCheckRequest", monitor_id=monitor_id, skip_actions=skip_actions)
    if uri:
        req.current_data_uri = str(uri)
    for r in instances or ():
        req.instances.add().update(r)
    return req


def drifted(report):
    """Names of the drifted features of a report, sorted."""
    return sorted(f.name for f in report.features if f.drifted)


def kinds(report):
    return sorted(kind_name(k) for k in report.drift_kinds)


def source_name(report):
    return me.enum_name("DriftWindowSource", report.source)


def describe(report):
    return "; ".join(f"{f.name} {f.test} {f.statistic:.4f}/{f.threshold} {'DRIFT' if f.drifted else 'ok'}"
                     for f in report.features)


def status(channel, model_id, monitor_id="", server=None):
    return ok(channel, "GetDriftStatus", server=server, model_id=model_id, monitor_id=monitor_id)


def latest_report(channel, model_id, monitor_id, server=None):
    st = status(channel, model_id, monitor_id, server)
    assert len(st.monitors) == 1, st
    s = st.monitors[0]
    return s.latest_report if s.HasField("latest_report") else None


def wait_report(channel, model_id, monitor_id, pred=lambda r: True, timeout=LIVE_TIMEOUT, server=None,
                what="report"):
    """Polls GetDriftStatus until the monitor's latest report satisfies pred."""
    deadline = time.monotonic() + timeout
    last = None
    while True:
        last = latest_report(channel, model_id, monitor_id, server)
        if last is not None and pred(last):
            return last
        if time.monotonic() > deadline:
            diag = server.diag(40) if server else ""
            raise AssertionError(f"no {what} from monitor {monitor_id} within {timeout}s; latest: {last}{diag}")
        time.sleep(0.1)


def predict(channel, model_id, rows, server=None, chunk=100):
    """Predicts rows (features only) in requests of `chunk`; returns the
    Prediction messages in order."""
    out = []
    for i in range(0, len(rows), chunk):
        resp = me.ok(channel, "Predict", me.predict_request(model_id, rows[i:i + chunk]), server=server)
        out.extend(resp.predictions)
    assert len(out) == len(rows)
    return out


def train(channel, model_id, csv_path, server=None):
    """A gbdt on the generated CSV (target "y"); returns the finished job."""
    req = me.train_request(model_id, uri=csv_path, target="y", hyperparameters={"n_rounds": 30}, seed=42)
    return me.train_and_wait(channel, req, server=server)


# --------------------------------------------------------------------------
# Webhook receiver


class WebhookReceiver:
    """An HTTP server on 127.0.0.1 that records every POST body (parsed as
    JSON when it is) and answers `status` (200 by default)."""

    def __init__(self, status=200):
        self.bodies = []
        self.headers = []
        self.status = status
        self.lock = threading.Lock()
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's name
                n = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(n)
                try:
                    body = json.loads(raw)
                except ValueError:
                    body = raw
                with receiver.lock:
                    receiver.bodies.append(body)
                    receiver.headers.append(dict(self.headers))
                self.send_response(receiver.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self):
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/hook"

    def received(self):
        with self.lock:
            return list(self.bodies)

    def wait_for(self, pred, timeout=15.0, what="webhook POST"):
        deadline = time.monotonic() + timeout
        while True:
            for b in self.received():
                if isinstance(b, dict) and pred(b):
                    return b
            if time.monotonic() > deadline:
                raise AssertionError(f"no {what} within {timeout}s; received: {self.received()}")
            time.sleep(0.05)

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(5)


# --------------------------------------------------------------------------
# StreamDriftAlerts in a thread


class AlertStream:
    """Reads StreamDriftAlerts in a background thread until cancelled;
    `alerts` holds the DriftAlert messages received so far."""

    def __init__(self, channel, request=None, timeout=120.0, **fields):
        m = method("StreamDriftAlerts")
        req = request if request is not None else CONTRACT.new(m.input_type, **fields)
        self._cls = CONTRACT.cls(m.output_type)
        self.alerts = []
        self.code = None
        self.details = None
        self.lock = threading.Lock()
        self.call = channel.unary_stream(m.path)(req.SerializeToString(), timeout=timeout)
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self):
        try:
            for raw in self.call:
                with self.lock:
                    self.alerts.append(self._cls.FromString(raw))
        except grpc.RpcError as e:
            self.code, self.details = e.code(), e.details()
            return
        self.code, self.details = self.call.code(), self.call.details()

    def received(self):
        with self.lock:
            return list(self.alerts)

    def wait_for(self, pred, timeout=15.0, what="alert"):
        deadline = time.monotonic() + timeout
        while True:
            for a in self.received():
                if pred(a):
                    return a
            if self.code is not None and self.code != grpc.StatusCode.OK:
                raise AssertionError(f"StreamDriftAlerts ended with {self.code}: {self.details}")
            if time.monotonic() > deadline:
                raise AssertionError(f"no {what} on StreamDriftAlerts within {timeout}s; got {self.received()}")
            time.sleep(0.05)

    def cancel(self):
        self.call.cancel()
        self.thread.join(10)
        return self.code
