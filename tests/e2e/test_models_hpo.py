"""An HPO job of 20 TPE trials on the bundled data, followed live with
WatchTrainingJob: a snapshot first, state changes, per-iteration metrics and
every trial; the search improves the validation log loss over trial 0 (the
default hyperparameters), and the job's HPO progress and the published
version agree with the trials."""

import threading
import time

import grpc
import pytest

import models_e2e as me

TRIALS = 20
METRIC = "log_loss"  # minimised


def trial_state(t):
    return me.enum_name("TrialState", t.state)


class Watch:
    """WatchTrainingJob read in the background: every event with its arrival
    time, and how the stream ended."""

    def __init__(self, channel, job_id, timeout=300):
        m = me.method("WatchTrainingJob")
        self.out_cls = me.CONTRACT.cls(m.output_type)
        req = me.new("WatchTrainingJobRequest", job_id=job_id).SerializeToString()
        self.call = channel.unary_stream(m.path)(req, timeout=timeout)
        self.events = []
        self.code = self.details = None
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        try:
            for raw in self.call:
                self.events.append((time.monotonic(), self.out_cls.FromString(raw)))
            self.code, self.details = self.call.code(), self.call.details()
        except grpc.RpcError as e:
            self.code, self.details = e.code(), e.details()
        finally:
            self.ended_at = time.monotonic()
            self.done.set()

    def of(self, kind):
        return [ev for _, ev in self.events if ev.WhichOneof("detail") == kind]


def watched_run(server, channel, request):
    """Submits `request` behind a long job on the server's one training
    worker, opens a watch while it waits in the queue, then cancels the long
    job, so the stream sees the whole run. Returns (job, watch, final job)."""
    blocker = me.submit(channel, me.train_request("blocker", hyperparameters={
        "n_rounds": 100000, "early_stopping_rounds": 0, "learning_rate": 0.001}), server)
    me.wait_job(channel, blocker.job_id, states=("JOB_STATE_RUNNING",), server=server)
    job = me.submit(channel, request, server)
    w = Watch(channel, job.job_id)
    deadline = time.monotonic() + 30
    while not w.events and not w.done.is_set():
        assert time.monotonic() < deadline, f"no snapshot within 30 s{server.diag(20)}"
        time.sleep(0.01)
    me.ok(channel, "CancelTrainingJob", job_id=blocker.job_id, server=server)
    assert w.done.wait(300), f"watch still open after 300 s: {len(w.events)} events{server.diag(40)}"
    return job, w, me.get_job(channel, job.job_id, server)


@pytest.fixture(scope="module")
def hpo_run(server, channel):
    hpo = me.new("HpoSpec", trials=TRIALS, metric=METRIC,
                 sampler=me.enum_number("HpoSampler", "HPO_SAMPLER_TPE"))
    job, w, done = watched_run(server, channel, me.train_request("bc-hpo", hpo=hpo))
    model = me.ok(channel, "GetModel", model_id="bc-hpo", server=server)
    return {"job": job, "watch": w, "done": done, "model": model}


def terminal_trials(w):
    """Trial number → its last terminal event's trial."""
    out = {}
    for t in (ev.trial for ev in w.of("trial")):
        if trial_state(t) != "TRIAL_STATE_RUNNING":
            out[t.number] = t
    return out


def test_job_succeeds(server, hpo_run):
    done = hpo_run["done"]
    assert me.state_name(done) == "JOB_STATE_SUCCEEDED", f"{done.error}{server.diag(40)}"
    assert done.model_version == 1 and done.algorithm == "gbdt"
    assert done.metrics["accuracy"] >= 0.9, dict(done.metrics)


def test_stream_starts_with_a_snapshot_and_ends_ok(server, hpo_run):
    w = hpo_run["watch"]
    assert w.code == grpc.StatusCode.OK, f"stream ended with {w.code}: {w.details!r}{server.diag(20)}"
    first = w.events[0][1]
    assert first.WhichOneof("detail") is None, f"first event is not a snapshot: {first}"
    assert me.state_name(first.job) == "JOB_STATE_QUEUED", (
        f"the job was not waiting behind the blocker (one training worker by default): {first.job}")
    assert first.job.job_id == hpo_run["job"].job_id and first.job.model_id == "bc-hpo"
    seqs = [ev.sequence for _, ev in w.events[1:]]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs) and seqs[0] >= 1, "sequence not increasing"
    last = w.events[-1][1]
    assert last.WhichOneof("detail") == "state_change", f"last event: {last}"
    assert me.enum_name("JobState", last.state_change.state) == "JOB_STATE_SUCCEEDED", last
    assert me.state_name(last.job) == "JOB_STATE_SUCCEEDED"


def test_state_changes_chain_up_to_succeeded(hpo_run):
    w = hpo_run["watch"]
    snapshot = w.events[0][1].job
    changes = [(me.enum_name("JobState", c.state_change.previous_state),
                me.enum_name("JobState", c.state_change.state)) for c in w.of("state_change")]
    assert changes, "no state change events"
    states = [me.state_name(snapshot)] + [s for _, s in changes]
    for (prev, _), before in zip(changes, states):
        assert prev == before, f"state changes do not chain: {changes} from {states[0]}"
    assert changes[0] == ("JOB_STATE_QUEUED", "JOB_STATE_RUNNING"), changes
    assert states[-1] == "JOB_STATE_SUCCEEDED" and states.count("JOB_STATE_SUCCEEDED") == 1, changes


def test_iterations_are_streamed(hpo_run):
    its = [ev.iteration for ev in hpo_run["watch"].of("iteration")]
    assert its, "no iteration events"
    assert {i.trial for i in its} - set(range(TRIALS)) == set(), {i.trial for i in its}
    assert all(dict(i.metrics) for i in its), "iteration events without metrics"
    below = [(i.trial, i.iteration) for i in its if i.iteration < 1]
    assert not below, f"iteration events numbered below 1 (TrainingIteration counts from 1), (trial, iteration): {below}"
    # Each trial's first round is always streamed (later ones are thinned).
    first = {}
    for i in its:
        first.setdefault(i.trial, i.iteration)
    assert set(first.values()) == {1}, f"first iteration streamed per trial: {first}"


def test_iterations_of_a_linear_model_count_from_1(server, channel, hpo_run):
    req = me.train_request("bc-lr", algorithm="logistic_regression")
    job, w, done = watched_run(server, channel, req)
    assert me.state_name(done) == "JOB_STATE_SUCCEEDED", done
    its = [ev.iteration.iteration for ev in w.of("iteration")]
    assert its and its[0] == 1 and its == sorted(its), f"iteration numbers streamed: {its}"


def test_events_without_a_detail_are_the_snapshot_or_progress(hpo_run):
    """TrainingJobEvent.detail: none in the snapshot (sequence 0) and none in
    a progress update, where only the job's progress or data split moved; a
    change of state always comes as a state_change."""
    events = hpo_run["watch"].events
    assert events[0][1].sequence == 0 and events[0][1].WhichOneof("detail") is None, events[0][1]
    prev = events[0][1].job
    stray = []
    for _, ev in events[1:]:
        if ev.WhichOneof("detail") is None and ev.job.state != prev.state:
            stray.append((ev.sequence, ev.job.state))
        prev = ev.job
    assert not stray, f"state changes without a state_change detail, (sequence, state): {stray}"
    assert any(ev.WhichOneof("detail") is None for _, ev in events[1:]), "no progress update streamed"


def test_every_trial_appears_in_the_stream(hpo_run):
    w = hpo_run["watch"]
    ended = terminal_trials(w)
    assert sorted(ended) == list(range(TRIALS)), f"trials seen ending: {sorted(ended)}"
    states = {n: trial_state(t) for n, t in ended.items()}
    assert set(states.values()) <= {"TRIAL_STATE_COMPLETE", "TRIAL_STATE_PRUNED"}, states
    started = {ev.trial.number for ev in w.of("trial") if trial_state(ev.trial) == "TRIAL_STATE_RUNNING"}
    assert started == set(range(TRIALS)), f"trials seen starting: {sorted(started)}"
    for n, t in ended.items():
        if states[n] == "TRIAL_STATE_COMPLETE":
            assert t.metrics[METRIC] == t.value, t
            assert t.pruned_at_iteration == 0, t
        else:
            assert t.pruned_at_iteration > 0, t
        assert dict(t.hyperparameters), t
        assert t.duration.seconds > 0 or t.duration.nanos > 0, t


def test_search_improves_on_the_default_hyperparameters(hpo_run):
    ended = terminal_trials(hpo_run["watch"])
    t0 = ended[0]
    assert trial_state(t0) == "TRIAL_STATE_COMPLETE", f"trial 0 (the defaults) did not complete: {t0}"
    hpo = hpo_run["done"].hpo
    assert hpo.best_value < t0.value, (
        f"best validation {METRIC} {hpo.best_value} is not better than trial 0's {t0.value}")
    assert hpo.best_trial != 0


def test_hpo_progress_agrees_with_the_trials(hpo_run):
    done = hpo_run["done"]
    hpo = done.hpo
    ended = terminal_trials(hpo_run["watch"])
    complete = {n: t for n, t in ended.items() if trial_state(t) == "TRIAL_STATE_COMPLETE"}
    pruned = [n for n, t in ended.items() if trial_state(t) == "TRIAL_STATE_PRUNED"]
    assert hpo.trials_total == TRIALS, hpo
    assert hpo.trials_completed == len(complete) and hpo.trials_pruned == len(pruned), hpo
    assert hpo.trials_failed == 0 and hpo.trials_completed + hpo.trials_pruned == TRIALS, hpo
    assert hpo.metric == METRIC
    assert me.enum_name("MetricDirection", hpo.direction) == "METRIC_DIRECTION_MINIMIZE", hpo
    best = min(complete, key=lambda n: complete[n].value)
    assert hpo.best_trial == best and hpo.best_value == complete[best].value, (hpo, best, complete[best])
    assert dict(hpo.best_hyperparameters) == dict(complete[best].hyperparameters), hpo
    # The published model is the best trial's, retrained on the train split.
    for k, v in hpo.best_hyperparameters.items():
        assert float(done.hyperparameters[k]) == pytest.approx(float(v), rel=1e-9), (k, dict(done.hyperparameters))
    assert done.validation_metrics[METRIC] == pytest.approx(hpo.best_value, rel=1e-6, abs=1e-9), (
        dict(done.validation_metrics), hpo.best_value)
    # The last event's job carries the same progress as GetTrainingJob.
    assert hpo_run["watch"].events[-1][1].job.hpo == hpo


def test_published_version_records_the_search(hpo_run):
    model = hpo_run["model"]
    v = me.version_of(model, 1)
    done = hpo_run["done"]
    assert dict(v.lineage.hyperparameters) == dict(done.hyperparameters)
    assert dict(v.lineage.validation_metrics) == dict(done.validation_metrics)
    assert v.lineage.job_id == done.job_id


def test_published_version_is_marked_as_from_hpo(hpo_run):
    """TrainingTrigger's contract: TRAINING_TRIGGER_HPO is "the best trial of
    a hyperparameter search"."""
    v = me.version_of(hpo_run["model"], 1)
    assert me.enum_name("TrainingTrigger", v.lineage.trigger) == "TRAINING_TRIGGER_HPO", v.lineage


def test_watching_a_finished_job_gives_the_snapshot_and_ends(server, channel, hpo_run):
    w = Watch(channel, hpo_run["job"].job_id, timeout=20)
    assert w.done.wait(20), "watch of a finished job did not end"
    assert w.code == grpc.StatusCode.OK and len(w.events) == 1, (w.code, w.details, len(w.events))
    assert me.state_name(w.events[0][1].job) == "JOB_STATE_SUCCEEDED"


def test_watching_an_unknown_job_is_not_found(channel):
    w = Watch(channel, "no-such-job", timeout=20)
    assert w.done.wait(20)
    assert w.code == grpc.StatusCode.NOT_FOUND and "no-such-job" in w.details, (w.code, w.details)


def test_time_budget_publishes_the_best_trial_so_far(server, channel, hpo_run):
    """HpoSpec.timeout_seconds: when the budget runs out, the best trial so
    far is published (the search does not run its 10,000 trials)."""
    hpo = me.new("HpoSpec", trials=10000, timeout_seconds=2)
    job = me.submit(channel, me.train_request("bc-budget", hpo=hpo), server)
    done = me.wait_job(channel, job.job_id, timeout=120, server=server)
    assert me.state_name(done) == "JOB_STATE_SUCCEEDED", f"{done.error}{server.diag(30)}"
    h = done.hpo
    assert h.metric == "accuracy", h  # the classification default
    assert me.enum_name("MetricDirection", h.direction) == "METRIC_DIRECTION_MAXIMIZE", h
    ran = h.trials_completed + h.trials_pruned + h.trials_failed
    assert 1 <= h.trials_completed and ran < 10000, h
    took = me.ts(done.end_time) - me.ts(done.start_time)
    assert took < 2 + 60, f"a 2 s search took {took:.1f}s"
    assert done.validation_metrics["accuracy"] == pytest.approx(h.best_value, abs=1e-9), (
        dict(done.validation_metrics), h.best_value)
