"""`aia drift setup|check|status|reports|truth|watch` against a real
aia-server: a monitor set up from flags, a check of a CSV with f2 and f5
shifted that prints exactly those two as drifted, the status and the
history of reports, ground truth from a file and from flags, and `watch`
printing the alert line of a drifted check the moment it is raised (and
replaying stored alerts with --since)."""

import json
import subprocess
import threading
import time
from datetime import datetime, timezone

import pytest

import aia_e2e as e2e
import drift_e2e as de

MODEL = "drift-cli"


@pytest.fixture(scope="module")
def env():
    s = e2e.start_server(extra_args=de.server_args())
    d = e2e.scratch_dir("aia-drift-cli-")
    try:
        train_csv = de.write_rows(d / "train.csv", de.gen_rows(2000, 31))
        de.train(s.channel(), MODEL, train_csv, s)
        yield {"server": s, "dir": d, "train_csv": train_csv, "t0": time.time(),
               "shifted_csv": de.write_rows(d / "shifted.csv", de.gen_rows(300, 32, de.SHIFTED)),
               "plain_csv": de.write_rows(d / "plain.csv", de.gen_rows(300, 33))}
    finally:
        s.stop()


def aia(env, *args, rc=0, timeout=60.0):
    p = e2e.run_cli(*args, server=env["server"].address, timeout=timeout)
    assert p.returncode == rc, f"expected exit {rc}{e2e.describe_proc(p)}{env['server'].diag(10)}"
    return p


def fields(text):
    """The `key  value` lines of a view, first occurrence of each key."""
    out = {}
    for line in text.splitlines():
        parts = line.split(None, 1)
        if len(parts) == 2 and parts[0] not in out:
            out[parts[0]] = parts[1].strip()
    return out


def feature_table(text):
    """{feature: row dict} from the FEATURE/TEST/.../DRIFTED table."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("FEATURE"))
    header = lines[start].split()
    rows = {}
    for line in lines[start + 1:]:
        if not line.strip():
            break
        cells = line.split()
        rows[cells[0]] = dict(zip(header, cells))
    return rows


@pytest.fixture(scope="module")
def monitor(env):
    args = ["drift", "setup", MODEL, "--window-size", "100", "--drift-share", "0.2", "--test", "f1=ks",
            "--threshold", "f1=0.001", "--label", "via=cli"]
    for f in ("f2", "f3", "f4", "f5"):
        args += ["--threshold", f"{f}=0.3"]
    p = aia(env, *args)
    view = fields(p.stdout)
    assert view["monitor"].startswith("dm-"), p.stdout
    return view["monitor"], p.stdout


def test_setup_prints_the_monitor(env, monitor):
    mid, out = monitor
    view = fields(out)
    assert view["model"].startswith(MODEL), out
    assert view["state"] == "ACTIVE", out
    assert str(env["train_csv"]) in view["reference"] and "2000 rows" in view["reference"], out
    assert view["features"] == ",".join(de.FEATURES), out
    assert view["window"] == "100 rows", out
    assert "concept drift: retrain" in view["actions"], out


def test_check_prints_f2_and_f5_as_drifted(env, monitor):
    mid, _ = monitor
    p = aia(env, "drift", "check", mid, "--data", str(env["shifted_csv"]))
    table = feature_table(p.stdout)
    assert list(table) == de.FEATURES, p.stdout
    assert sorted(f for f, r in table.items() if r["DRIFTED"] == "yes") == ["f2", "f5"], p.stdout
    assert table["f1"]["TEST"] == "ks" and table["f1"]["P-VALUE"] != "-", p.stdout
    assert table["f2"]["TEST"] == "wasserstein_normed" and table["f2"]["P-VALUE"] == "-", p.stdout
    view = fields(p.stdout)
    assert view["monitor"] == mid and view["model"] == f"{MODEL}@1", p.stdout
    assert "300 rows" in view["window"] and str(env["shifted_csv"]) in view["window"], p.stdout
    assert "2 of 7" in view["dataset"] and not view["dataset"].startswith("no drift"), p.stdout


def test_check_json_and_an_unshifted_batch(env, monitor):
    mid, _ = monitor
    p = aia(env, "drift", "check", mid, "--data", str(env["plain_csv"]), "--json")
    rep = json.loads(p.stdout)
    assert rep["monitorId"] == mid and rep["source"] == "DRIFT_WINDOW_SOURCE_UPLOADED_BATCH", rep
    assert [f["name"] for f in rep["features"] if f.get("drifted")] == [], rep["features"]
    assert not rep.get("driftKinds"), rep


def test_status_and_reports(env, monitor):
    mid, _ = monitor
    aia(env, "drift", "check", mid, "--data", str(env["shifted_csv"]))
    p = aia(env, "drift", "status", MODEL)
    assert mid in p.stdout and "none detected" not in p.stdout, p.stdout
    assert sorted(f for f, r in feature_table(p.stdout).items() if r["DRIFTED"] == "yes") == ["f2", "f5"], p.stdout
    p = aia(env, "drift", "reports", "--monitor", mid)
    lines = [line for line in p.stdout.splitlines() if line.startswith("dr-")]
    assert len(lines) >= 3, p.stdout
    checked = [line.split()[1] for line in lines]
    assert checked == sorted(checked, reverse=True), "newest first"
    js = json.loads(aia(env, "drift", "reports", "--monitor", mid, "--json").stdout)
    assert [r["reportId"] for r in js["reports"]] == [line.split()[0] for line in lines], js
    p = aia(env, "drift", "reports", "--model", MODEL, "--drifted-only")
    drifted = [line for line in p.stdout.splitlines() if line.startswith("dr-")]
    assert drifted and len(drifted) < len(lines), p.stdout
    assert all("data" in line.lower() for line in drifted), p.stdout


def test_truth_from_a_file_and_from_flags(env):
    s = env["server"]
    preds = de.predict(s.channel(), MODEL, de.features_of(de.gen_rows(4, 34)), s)
    path = env["dir"] / "truth.csv"
    path.write_text("prediction_id,label\n" + "".join(f"{p.prediction_id},{p.label}\n" for p in preds[:3])
                    + "no-such-prediction,yes\n")
    p = aia(env, "drift", "truth", MODEL, "--file", str(path))
    assert "accepted 3, unmatched 1" in p.stdout and "no-such-prediction" in p.stdout, p.stdout
    p = aia(env, "drift", "truth", MODEL, "--id", preds[3].prediction_id, "--label", preds[3].label)
    assert "accepted 1, unmatched 0" in p.stdout, p.stdout
    p = aia(env, "drift", "truth", MODEL, "--id", preds[3].prediction_id, "--value", "1.5", rc=1)
    assert "INVALID_ARGUMENT" in p.stderr and "ground_truth[0]" in p.stderr, p.stderr


class Watch:
    """`aia drift watch` in the background, its stdout read line by line."""

    def __init__(self, env, *args):
        self.argv = [str(e2e.cli_binary()), "--server", env["server"].address, "drift", "watch", *args]
        self.proc = subprocess.Popen(self.argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                     stdin=subprocess.DEVNULL, env=e2e.clean_env())
        self.lines = []
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self):
        for line in self.proc.stdout:
            self.lines.append(line.rstrip("\n"))

    def wait_line(self, pred, timeout=20.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in list(self.lines):
                if pred(line):
                    return line
            if self.proc.poll() is not None and not self.thread.is_alive():
                break
            time.sleep(0.05)
        raise AssertionError(f"no matching line from {' '.join(self.argv)} within {timeout}s; "
                             f"stdout: {self.lines}; exit {self.proc.poll()}")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
        self.proc.wait(10)
        self.thread.join(5)
        err = self.proc.stderr.read()
        found = e2e.sanitizer_reports(err)
        assert not found, f"sanitizer report from aia drift watch:\n{err}"
        return err


def test_watch_prints_the_alert_of_a_drifted_check(env, monitor):
    mid, _ = monitor
    w = Watch(env, "--model", MODEL, "--timeout", "60")
    try:
        time.sleep(1.0)  # let the stream subscribe
        rep = json.loads(aia(env, "drift", "check", mid, "--data", str(env["shifted_csv"]), "--json").stdout)
        line = w.wait_line(lambda line: rep["reportId"] in line)
        assert "f2" in line and "f5" in line, line
        assert f"{MODEL}@1" in line and mid in line, line
        assert "data" in line.lower(), line
    finally:
        w.stop()


def test_watch_since_replays_stored_alerts_as_json(env, monitor):
    mid, _ = monitor
    since = datetime.fromtimestamp(int(env["t0"]) - 1, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    w = Watch(env, "--monitor", mid, "--kind", "data", "--since", since, "--json", "--timeout", "60")
    try:
        w.wait_line(lambda line: line.startswith("{"))
        time.sleep(0.5)
        alerts = [json.loads(line) for line in w.lines if line.startswith("{")]
    finally:
        w.stop()
    assert all(a["kind"] == "DRIFT_KIND_DATA" and a["monitorId"] == mid for a in alerts), alerts
    # Every data-drifted report of the monitor raised one DATA alert, replayed
    # once; the shifted batches' name exactly f2 and f5. (Ground truth makes
    # the poller check the few logged rows too: those reports drift on more.)
    reports = json.loads(aia(env, "drift", "reports", "--monitor", mid, "--drifted-only", "--json").stdout)["reports"]
    data = {r["reportId"]: r for r in reports if "DRIFT_KIND_DATA" in r.get("driftKinds", [])}
    assert sorted(a["reportId"] for a in alerts) == sorted(data), (alerts, list(data))
    batch = [a for a in alerts if data[a["reportId"]]["source"] == "DRIFT_WINDOW_SOURCE_UPLOADED_BATCH"]
    assert len(batch) >= 2, alerts
    assert all(a["driftedFeatures"] == ["f2", "f5"] for a in batch), [a["driftedFeatures"] for a in batch]
