"""Training jobs under interruption, each on its own server with one
training worker: CancelTrainingJob stops a running job (the worker is free
for the next job within a second or two) and a queued one, publishes
nothing, and a second cancel is FAILED_PRECONDITION; kill -9 during
training and restart on the same data directory: the job is requeued
(attempt 2), and after a second crash FAILED "interrupted"; nothing is left
RUNNING, and the registry opens holding only complete versions whose
artifacts match their hashes."""

import os
import re
import time

import grpc
import pytest

import models_e2e as me

ROWS = 50_000


@pytest.fixture(scope="module")
def big_csv(tmp_path_factory):
    return me.synthetic_csv(tmp_path_factory.mktemp("data") / "big.csv", ROWS)


def long_request(model_id, path):
    """A job that trains for minutes: many rounds, no early stopping."""
    return me.train_request(model_id, path, target="y",
                            hyperparameters={"n_rounds": 50000, "learning_rate": 0.01,
                                             "early_stopping_rounds": 0})


def wait_training(ch, job_id, server, attempt=1, timeout=90):
    """Until the job is RUNNING (this attempt) with its data loaded, so a
    cancel or a crash lands in the middle of boosting."""
    deadline = time.monotonic() + timeout
    while True:
        job = me.get_job(ch, job_id, server)
        if me.state_name(job) == "JOB_STATE_RUNNING" and job.attempt == attempt and job.data_split.train_rows > 0:
            return job
        assert me.state_name(job) in ("JOB_STATE_QUEUED", "JOB_STATE_RUNNING"), f"{job}{server.diag(30)}"
        assert time.monotonic() < deadline, f"job {job_id} not training after {timeout}s: {job}{server.diag(30)}"
        time.sleep(0.05)


class Watch:
    """WatchTrainingJob read in the background."""

    def __init__(self, channel, job_id, timeout=60):
        import threading
        m = me.method("WatchTrainingJob")
        out = me.CONTRACT.cls(m.output_type)
        req = me.new("WatchTrainingJobRequest", job_id=job_id).SerializeToString()
        self.call = channel.unary_stream(m.path)(req, timeout=timeout)
        self.events, self.code, self.details = [], None, None
        self.first, self.done = threading.Event(), threading.Event()

        def run():
            try:
                for raw in self.call:
                    self.events.append(out.FromString(raw))
                    self.first.set()
                self.code, self.details = self.call.code(), self.call.details()
            except grpc.RpcError as e:
                self.code, self.details = e.code(), e.details()
            finally:
                self.first.set()
                self.done.set()

        threading.Thread(target=run, daemon=True).start()


def ts(t):
    return t.seconds + t.nanos / 1e9


def one_worker(servers, **kw):
    return servers(extra_args=["--training-workers", "1"], **kw)


def crash(server):
    """kill -9, then the usual stderr checks (no sanitizer report)."""
    server.kill()
    server.stop(expect_rc=None)


# --------------------------------------------------------------------------
# Cancel


def test_cancel_a_running_job(servers, big_csv):
    s = one_worker(servers)
    ch = s.channel()
    job = me.submit(ch, long_request("long", big_csv), s)
    assert job.model_version == 1
    wait_training(ch, job.job_id, s)

    # While it trains: the model exists, with no version yet.
    st = me.ok(ch, "GetModelStatus", model_id="long", server=s)
    assert me.enum_name("ModelState", st.state) == "MODEL_STATE_TRAINING", st
    assert [j.job_id for j in st.active_jobs] == [job.job_id] and st.latest_version == 0, st
    assert not st.HasField("last_job"), st

    # A second job waits behind it (one worker); cancelling it is immediate.
    queued = me.submit(ch, me.train_request("quick", algorithm="logistic_regression"), s)
    time.sleep(0.3)
    assert me.state_name(me.get_job(ch, queued.job_id, s)) == "JOB_STATE_QUEUED"
    c = me.ok(ch, "CancelTrainingJob", job_id=queued.job_id, server=s)
    assert me.state_name(c) == "JOB_STATE_CANCELLED", c

    w = Watch(ch, job.job_id)
    assert w.first.wait(10), f"no snapshot from WatchTrainingJob{s.diag(20)}"
    t_wall, t0 = time.time(), time.monotonic()
    me.ok(ch, "CancelTrainingJob", job_id=job.job_id, server=s)
    seen = me.wait_job(ch, job.job_id, states=("JOB_STATE_CANCELLED",), timeout=5, server=s, poll=0.01)
    took = time.monotonic() - t0
    assert took <= 1.0, f"CANCELLED observed {took:.2f}s after the call"
    assert seen.end_time.seconds > 0
    # The watch saw the cancel and ended.
    assert w.done.wait(5), f"the watch did not end after the cancel{s.diag(20)}"
    assert w.code == grpc.StatusCode.OK, (w.code, w.details)
    last = w.events[-1]
    assert last.WhichOneof("detail") == "state_change", last
    assert me.enum_name("JobState", last.state_change.state) == "JOB_STATE_CANCELLED", last

    # The worker really stopped: the next job starts at once.
    nxt = me.submit(ch, me.train_request("quick", algorithm="logistic_regression"), s)
    done = me.wait_job(ch, nxt.job_id, server=s)
    assert me.state_name(done) == "JOB_STATE_SUCCEEDED", done
    started_after = ts(done.start_time) - t_wall
    assert started_after <= 2.0, (
        f"the next job started {started_after:.2f}s after the cancel: the cancelled job held the only worker")

    # Nothing was published for the cancelled job, nor for the queued one.
    m = me.ok(ch, "GetModel", model_id="long", include_deleted=True, server=s)
    assert not m.versions and m.latest_version == 0 and m.version_count == 0, m
    st = me.ok(ch, "GetModelStatus", model_id="long", server=s)
    assert me.enum_name("ModelState", st.state) == "MODEL_STATE_FAILED", st
    assert st.last_job.job_id == job.job_id and me.state_name(st.last_job) == "JOB_STATE_CANCELLED", st
    quick = me.ok(ch, "GetModel", model_id="quick", server=s)
    assert [v.lineage.job_id for v in quick.versions] == [nxt.job_id], "the cancelled queued job published"
    assert me.state_name(me.get_job(ch, job.job_id, s)) == "JOB_STATE_CANCELLED", "state changed after the cancel"

    # Cancelling again, or a finished job, says which state blocks it.
    for jid, state in ((job.job_id, "CANCELLED"), (nxt.job_id, "SUCCEEDED")):
        msg = me.expect_error(ch, "CancelTrainingJob", grpc.StatusCode.FAILED_PRECONDITION, jid, job_id=jid)
        assert state in msg.upper(), msg
    me.expect_error(ch, "CancelTrainingJob", grpc.StatusCode.NOT_FOUND, "no-such-job", job_id="no-such-job")
    s.stop()


# --------------------------------------------------------------------------
# Crashes


def check_complete_versions(ch, server, model_id, expect_versions):
    m = me.ok(ch, "GetModel", model_id=model_id, include_deleted=True, server=server)
    assert [v.version for v in m.versions] == expect_versions, m
    for v in m.versions:
        assert me.enum_name("ModelVersionState", v.state) == "MODEL_VERSION_STATE_READY", v
        path = me.artifact_path(server.data_dir, v.artifact_sha256)
        assert path.is_file(), f"{model_id}@{v.version}: artifact {path} missing"
        assert me.sha256_file(path) == v.artifact_sha256, f"{model_id}@{v.version}: artifact {path} corrupt"
        assert path.stat().st_size == v.artifact_size_bytes
    return m


def check_artifact_files(data_dir):
    """Every file stored under its final name holds the bytes it names."""
    root = me.artifact_path(data_dir, "00" * 32).parent.parent
    for d in root.iterdir():
        for f in d.iterdir():
            if re.fullmatch(r"[0-9a-f]{64}", f.name):
                assert me.sha256_file(f) == f.name, f"artifact {f} does not match its name"


def test_kill_9_during_training_then_restart(servers, big_csv, tmp_path):
    data_dir = str(tmp_path / "data")
    s1 = one_worker(servers, data_dir=data_dir)
    ch = s1.channel()
    keep = me.train_and_wait(ch, me.train_request("keep", algorithm="logistic_regression"), s1)
    job = me.submit(ch, long_request("long", big_csv), s1)
    wait_training(ch, job.job_id, s1)
    crash(s1)

    # First restart: the job is requeued for a second attempt, and runs.
    s2 = one_worker(servers, data_dir=data_dir)
    ch = s2.channel()
    again = wait_training(ch, job.job_id, s2, attempt=2)
    assert again.model_version == 1, again
    check_complete_versions(ch, s2, "keep", [1])
    check_complete_versions(ch, s2, "long", [])
    crash(s2)

    # Second restart: out of attempts, FAILED "interrupted"; nothing RUNNING.
    s3 = one_worker(servers, data_dir=data_dir)
    ch = s3.channel()
    failed = me.get_job(ch, job.job_id, s3)
    assert me.state_name(failed) == "JOB_STATE_FAILED", f"{failed}{s3.diag(30)}"
    assert failed.error.startswith("interrupted"), failed.error
    assert failed.attempt == 2, failed
    running = me.ok(ch, "ListTrainingJobs", states=[me.enum_number("JobState", "JOB_STATE_RUNNING")],
                    server=s3)
    assert not running.jobs, f"jobs left RUNNING: {running.jobs}"
    assert me.state_name(me.get_job(ch, keep.job_id, s3)) == "JOB_STATE_SUCCEEDED"

    # The registry opens and holds only complete versions.
    check_complete_versions(ch, s3, "keep", [1])
    long_model = check_complete_versions(ch, s3, "long", [])
    assert long_model.latest_version == 0 and long_model.version_count == 0, long_model
    check_artifact_files(data_dir)
    feats, _ = me.feature_rows(me.data_path())
    p = me.ok(ch, "Predict", me.predict_request("keep", feats[:3]), server=s3)
    assert [x.model_version for x in p.predictions] == [1, 1, 1]
    st = me.ok(ch, "GetModelStatus", model_id="long", server=s3)
    assert me.enum_name("ModelState", st.state) == "MODEL_STATE_FAILED" and not st.active_jobs, st

    # The version the failed job had reserved is never reused.
    nxt = me.train_and_wait(ch, me.train_request("long", algorithm="logistic_regression"), s3)
    assert nxt.model_version == 2, nxt
    s3.stop()


def test_sigterm_during_training_requeues_without_spending_an_attempt(servers, big_csv, tmp_path):
    """A clean shutdown is not a crash: the job goes back to the queue and
    the next server runs it as the same attempt."""
    data_dir = str(tmp_path / "data")
    s1 = one_worker(servers, data_dir=data_dir)
    ch = s1.channel()
    job = me.submit(ch, long_request("long", big_csv), s1)
    wait_training(ch, job.job_id, s1)
    t0 = time.monotonic()
    s1.stop()  # SIGTERM: must exit 0 within 15 s with the job running
    assert time.monotonic() - t0 < 10, "shutdown waited for the training job"
    s2 = one_worker(servers, data_dir=data_dir)
    ch = s2.channel()
    wait_training(ch, job.job_id, s2, attempt=1)
    me.ok(ch, "CancelTrainingJob", job_id=job.job_id, server=s2)
    me.wait_job(ch, job.job_id, states=("JOB_STATE_CANCELLED",), timeout=5, server=s2)
    s2.stop()
    assert os.path.isdir(data_dir)
