/* tests/unit/jobs/jobs_test.c — lib/jobs end to end on the embedded store
 * and engine: a job runs to a published version, bad specs are refused at
 * submit, watchers see the job's life in order, cancellation stops a
 * running job quickly and publishes nothing, HPO trials are stored and
 * announced. */
#include <setjmp.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "lib/store/artifacts.h"
#include "tests/unit/jobs/jobs_test_util.h"

static aia_job_record *submit(jt_fixture *f, jt_spec *s) {
    aia_job_record *job = NULL;
    aia_error err;
    if (aia_jobs_submit(f->jobs, &s->spec, "tester", &job, &err) != AIA_OK) fail_msg("submit: %s", err.message);
    assert_int_equal(job->state, QUEUED);
    return job;
}

static const char *tag_value(const aia_version_record *v, const char *key) {
    for (size_t i = 0; i < v->n_tags; i++)
        if (strcmp(v->tags[i]->key, key) == 0) return v->tags[i]->value;
    return NULL;
}

/* submit → SUCCEEDED: the version is published with its artifact on disk,
 * the spec's description and labels, the job's metrics; the scratch dir is
 * gone; cancelling the finished job is refused naming its state. */
static void test_submit_publishes_version(void **state) {
    jt_fixture *f = *state;
    jt_start(f, 1, 0);
    jt_spec s;
    jt_spec_quick(&s, f, "churn");
    s.spec.description = "churn model";
    jt_spec_label(&s, "team", "growth");
    aia_job_record *queued = submit(f, &s);
    assert_string_equal(queued->model_id, "churn");
    assert_int_equal(queued->model_version, 1);

    aia_job_record *job = jt_wait_state(f->store, queued->job_id, SUCCEEDED, 60000);
    assert_int_equal(job->attempt, 1);
    assert_true(job->progress == 1.0);
    assert_true(job->n_metrics > 0);
    assert_non_null(job->end_time);
    assert_string_equal(job->error, "");

    aia_version_record *v = NULL;
    aia_error err;
    assert_int_equal(aia_store_version_get(f->store, "churn", 1, &v, &err), AIA_OK);
    assert_int_equal(v->state, AIA_STORE__V1__VERSION_STATE__VERSION_READY);
    assert_string_equal(v->description, "churn model");
    assert_non_null(tag_value(v, "team"));
    assert_string_equal(tag_value(v, "team"), "growth");
    assert_int_equal(strlen(v->artifact_sha256), AIA_SHA256_HEX_LEN);
    assert_non_null(v->create_time);
    assert_non_null(v->lineage);
    char path[1024];
    aia_artifact_path(f->dir, v->artifact_sha256, path, sizeof path);
    assert_true(jt_path_exists(path));
    void *bytes = NULL;
    size_t len = 0;
    assert_int_equal(aia_artifact_get(f->dir, v->artifact_sha256, &bytes, &len, &err), AIA_OK);
    assert_int_equal((int64_t)len, v->artifact_size_bytes);
    free(bytes);

    char scratch[1024];
    snprintf(scratch, sizeof scratch, "%s/scratch/%s", f->dir, job->job_id);
    assert_false(jt_path_exists(scratch));

    assert_int_equal(aia_jobs_cancel(f->jobs, job->job_id, NULL, &err), AIA_FAILED_PRECONDITION);
    assert_non_null(strstr(err.message, "SUCCEEDED"));
    assert_int_equal(aia_jobs_cancel(f->jobs, "no-such-job", NULL, &err), AIA_NOT_FOUND);
    assert_non_null(strstr(err.message, "no-such-job"));

    aia_store_record_free(v);
    aia_store_record_free(job);
    aia_store_record_free(queued);
}

/* A spec lib/train refuses never reaches the queue, and the message is
 * the check's (naming the field). */
static void test_bad_spec_rejected(void **state) {
    jt_fixture *f = *state;
    jt_start(f, 1, 0);
    jt_spec s;
    jt_spec_quick(&s, f, "bad");
    jt_spec_param(&s, "max_depht", "3");
    aia_job_record *job = NULL;
    aia_error err;
    assert_int_equal(aia_jobs_submit(f->jobs, &s.spec, "", &job, &err), AIA_INVALID_ARGUMENT);
    assert_null(job);
    assert_non_null(strstr(err.message, "max_depht"));

    jt_spec_quick(&s, f, "bad");
    s.spec.target_column = "label";
    assert_int_equal(aia_jobs_submit(f->jobs, &s.spec, "", &job, &err), AIA_INVALID_ARGUMENT);
    assert_non_null(strstr(err.message, "target_column"));

    aia_job_record **jobs = NULL;
    size_t n = 0;
    int total = -1;
    char *next = NULL;
    aia_store_page page = {0};
    assert_int_equal(aia_store_job_list(f->store, NULL, 0, &page, &jobs, &n, &next, &total, &err), AIA_OK);
    assert_int_equal(n, 0);
    assert_int_equal(total, 0);
    free(next);
    aia_store_records_free((void **)jobs, n);
}

/* A watcher subscribed while the job is QUEUED sees RUNNING then
 * SUCCEEDED, with ITERATION events between them, increasing sequence
 * numbers, and nothing after the end. */
static void test_watch_sees_life_in_order(void **state) {
    jt_fixture *f = *state;
    jt_start(f, 1, 0);
    char busy[128];
    jt_occupy_worker(f, busy, sizeof busy);

    jt_spec s;
    jt_spec_quick(&s, f, "watched");
    aia_job_record *queued = submit(f, &s);
    jt_recorder *r = malloc(sizeof *r);
    jt_recorder_init(r);
    aia_job_watch *w = NULL;
    aia_job_record *snap = NULL;
    aia_error err;
    assert_int_equal(aia_jobs_watch(f->jobs, queued->job_id, jt_record, r, &w, &snap, &err), AIA_OK);
    assert_int_equal(snap->state, QUEUED);
    assert_int_equal(aia_jobs_cancel(f->jobs, busy, NULL, &err), AIA_OK);

    assert_true(jt_recorder_wait_terminal(r, 60000));
    aia_jobs_unwatch(f->jobs, w);

    int states[8], prev[8], n_states = 0, iterations_between = 0;
    int64_t last_seq = 0;
    for (size_t i = 0; i < r->n; i++) {
        const jt_event *e = &r->ev[i];
        assert_true(e->sequence > last_seq);
        last_seq = e->sequence;
        if (e->kind == AIA_JOB_EVENT_STATE) {
            assert_true(n_states < 8);
            prev[n_states] = e->previous_state;
            states[n_states++] = e->state;
        } else if (e->kind == AIA_JOB_EVENT_ITERATION && n_states == 1) {
            iterations_between++;
            assert_true(e->n_metrics >= 1);
        }
    }
    assert_int_equal(n_states, 2);
    assert_int_equal(states[0], RUNNING);
    assert_int_equal(prev[0], QUEUED);
    assert_int_equal(states[1], SUCCEEDED);
    assert_int_equal(prev[1], RUNNING);
    assert_true(iterations_between >= 1);
    assert_int_equal(r->after_terminal, 0);

    /* A finished job: a snapshot, and no events. */
    jt_recorder *r2 = malloc(sizeof *r2);
    jt_recorder_init(r2);
    aia_job_record *snap2 = NULL;
    assert_int_equal(aia_jobs_watch(f->jobs, queued->job_id, jt_record, r2, &w, &snap2, &err), AIA_OK);
    assert_int_equal(snap2->state, SUCCEEDED);
    aia_jobs_unwatch(f->jobs, w);
    assert_int_equal(r2->n, 0);
    aia_job_record *snap3 = NULL;
    assert_int_equal(aia_jobs_watch(f->jobs, "missing-job", jt_record, r2, &w, &snap3, &err), AIA_NOT_FOUND);
    assert_null(snap3);
    assert_non_null(strstr(err.message, "missing-job"));

    jt_recorder_destroy(r);
    jt_recorder_destroy(r2);
    free(r);
    free(r2);
    aia_store_record_free(snap);
    aia_store_record_free(snap2);
    aia_store_record_free(queued);
}

/* Cancelling a running job: the store says CANCELLED at once, the worker
 * lets go within a second (its scratch dir is removed when lib/train has
 * returned), and no version is published. */
static void test_cancel_running_job(void **state) {
    jt_fixture *f = *state;
    jt_start(f, 1, 0);
    jt_spec s;
    jt_spec_long(&s, f, "slow");
    aia_job_record *queued = submit(f, &s);
    jt_recorder *r = malloc(sizeof *r);
    jt_recorder_init(r);
    aia_job_watch *w = NULL;
    aia_job_record *snap = NULL;
    aia_error err;
    assert_int_equal(aia_jobs_watch(f->jobs, queued->job_id, jt_record, r, &w, &snap, &err), AIA_OK);
    assert_true(jt_recorder_wait_iterations(r, 5, 30000)); /* in the boosting rounds */
    /* Still running a while later: the cancel, not the end of training,
     * is what stops it. */
    usleep(700000);
    aia_store_record_free(jt_wait_state(f->store, queued->job_id, RUNNING, 0));

    char scratch[1024];
    snprintf(scratch, sizeof scratch, "%s/scratch/%s", f->dir, queued->job_id);
    assert_true(jt_path_exists(scratch));
    int64_t t0 = jt_now_ms();
    aia_job_record *cancelled = NULL;
    assert_int_equal(aia_jobs_cancel(f->jobs, queued->job_id, &cancelled, &err), AIA_OK);
    assert_int_equal(cancelled->state, CANCELLED);
    assert_true(r->terminal); /* the STATE event went out before cancel returned */
    while (jt_path_exists(scratch) && jt_now_ms() - t0 < 5000) usleep(5000);
    int64_t waited = jt_now_ms() - t0;
    assert_false(jt_path_exists(scratch));
    assert_true(waited < 1000);

    aia_job_record *job = jt_wait_state(f->store, queued->job_id, CANCELLED, 1000);
    aia_version_record *v = NULL;
    assert_int_equal(aia_store_version_get(f->store, "slow", queued->model_version, &v, &err), AIA_NOT_FOUND);
    int latest = 0;
    assert_int_equal(aia_store_version_latest(f->store, "slow", &latest, &err), AIA_NOT_FOUND);
    aia_jobs_unwatch(f->jobs, w);
    assert_int_equal(r->after_terminal, 0);
    int progress_events = 0;
    for (size_t i = 0; i < r->n; i++) progress_events += r->ev[i].kind == AIA_JOB_EVENT_PROGRESS;
    assert_true(progress_events >= 1); /* at least the data split */

    assert_int_equal(aia_jobs_cancel(f->jobs, queued->job_id, NULL, &err), AIA_FAILED_PRECONDITION);
    assert_non_null(strstr(err.message, "CANCELLED"));

    jt_recorder_destroy(r);
    free(r);
    aia_store_record_free(job);
    aia_store_record_free(cancelled);
    aia_store_record_free(snap);
    aia_store_record_free(queued);
}

/* Cancelling a queued job ends it at once; the worker never runs it. */
static void test_cancel_queued_job(void **state) {
    jt_fixture *f = *state;
    jt_start(f, 1, 0);
    char busy[128];
    jt_occupy_worker(f, busy, sizeof busy);
    jt_spec s;
    jt_spec_quick(&s, f, "never");
    aia_job_record *queued = submit(f, &s);
    aia_job_record *out = NULL;
    aia_error err;
    assert_int_equal(aia_jobs_cancel(f->jobs, queued->job_id, &out, &err), AIA_OK);
    assert_int_equal(out->state, CANCELLED);
    assert_int_equal(aia_jobs_cancel(f->jobs, busy, NULL, &err), AIA_OK);
    usleep(300000); /* the worker is free again: it must not pick the cancelled job */
    aia_job_record *job = jt_wait_state(f->store, queued->job_id, CANCELLED, 1000);
    assert_int_equal(job->attempt, 0);
    aia_store_record_free(job);
    aia_store_record_free(out);
    aia_store_record_free(queued);
}

/* An HPO job stores its trials and announces each with a TRIAL event. */
static void test_hpo_trials_announced(void **state) {
    jt_fixture *f = *state;
    jt_start(f, 1, 0);
    char busy[128];
    jt_occupy_worker(f, busy, sizeof busy);

    jt_spec s;
    jt_spec_quick(&s, f, "tuned");
    aia_store__v1__hpo_spec__init(&s.hpo);
    s.hpo.trials = 3;
    s.hpo.metric = "accuracy";
    s.hpo.direction = AIA_STORE__V1__DIRECTION__DIRECTION_MAXIMIZE;
    s.spec.hpo = &s.hpo;
    aia_job_record *queued = submit(f, &s);
    jt_recorder *r = malloc(sizeof *r);
    jt_recorder_init(r);
    aia_job_watch *w = NULL;
    aia_job_record *snap = NULL;
    aia_error err;
    assert_int_equal(aia_jobs_watch(f->jobs, queued->job_id, jt_record, r, &w, &snap, &err), AIA_OK);
    assert_int_equal(aia_jobs_cancel(f->jobs, busy, NULL, &err), AIA_OK);
    assert_true(jt_recorder_wait_terminal(r, 120000));
    aia_jobs_unwatch(f->jobs, w);

    int ended[3] = {0, 0, 0}, trial_events = 0;
    for (size_t i = 0; i < r->n; i++) {
        const jt_event *e = &r->ev[i];
        if (e->kind != AIA_JOB_EVENT_TRIAL) continue;
        trial_events++;
        if (e->trial >= 0 && e->trial < 3 && e->trial_state != AIA_STORE__V1__TRIAL_STATE__TRIAL_RUNNING)
            ended[e->trial]++;
    }
    assert_true(trial_events >= 3);
    for (int t = 0; t < 3; t++) assert_int_equal(ended[t], 1);

    aia_job_record *job = jt_wait_state(f->store, queued->job_id, SUCCEEDED, 1000);
    assert_non_null(job->hpo);
    assert_int_equal(job->hpo->trials_total, 3);
    aia_trial_record **trials = NULL;
    size_t n = 0;
    assert_int_equal(aia_store_trial_list(f->store, queued->job_id, &trials, &n, &err), AIA_OK);
    assert_int_equal(n, 3);
    for (size_t i = 0; i < n; i++) assert_int_not_equal(trials[i]->state, AIA_STORE__V1__TRIAL_STATE__TRIAL_RUNNING);
    aia_store_records_free((void **)trials, n);

    jt_recorder_destroy(r);
    free(r);
    aia_store_record_free(job);
    aia_store_record_free(snap);
    aia_store_record_free(queued);
}

/* A slow watcher, unwatched while events flow: once unwatch returns, its
 * callback is not running and is never called again. */
typedef struct slow_watcher {
    atomic_int inside, calls;
} slow_watcher;

static void slow_record(void *arg, const aia_job_event *ev) {
    (void)ev;
    slow_watcher *sw = arg;
    atomic_fetch_add(&sw->inside, 1);
    usleep(2000);
    atomic_fetch_add(&sw->calls, 1);
    atomic_fetch_sub(&sw->inside, 1);
}

static void test_unwatch_is_final(void **state) {
    jt_fixture *f = *state;
    jt_start(f, 1, 0);
    char busy[128];
    jt_occupy_worker(f, busy, sizeof busy);
    slow_watcher sw;
    atomic_init(&sw.inside, 0);
    atomic_init(&sw.calls, 0);
    aia_job_watch *w = NULL;
    aia_job_record *snap = NULL;
    aia_error err;
    assert_int_equal(aia_jobs_watch(f->jobs, busy, slow_record, &sw, &w, &snap, &err), AIA_OK);
    int64_t until = jt_now_ms() + 10000;
    while (atomic_load(&sw.calls) < 20 && jt_now_ms() < until) usleep(1000);
    assert_true(atomic_load(&sw.calls) >= 20);
    aia_jobs_unwatch(f->jobs, w);
    assert_int_equal(atomic_load(&sw.inside), 0);
    int calls = atomic_load(&sw.calls);
    usleep(200000);
    assert_int_equal(atomic_load(&sw.calls), calls);
    assert_int_equal(aia_jobs_cancel(f->jobs, busy, NULL, &err), AIA_OK);
    aia_store_record_free(snap);
}

/* The pool is bounded: with two workers, two jobs run and a third waits;
 * when one is cancelled, the third starts. */
static void test_pool_is_bounded(void **state) {
    jt_fixture *f = *state;
    jt_start(f, 2, 0);
    char ids[3][128];
    const char *models[3] = {"a", "b", "c"};
    for (int i = 0; i < 3; i++) {
        jt_spec s;
        jt_spec_long(&s, f, models[i]);
        aia_job_record *job = submit(f, &s);
        snprintf(ids[i], sizeof ids[i], "%s", job->job_id);
        aia_store_record_free(job);
    }
    aia_store_record_free(jt_wait_state(f->store, ids[0], RUNNING, 10000));
    aia_store_record_free(jt_wait_state(f->store, ids[1], RUNNING, 10000));
    usleep(300000);
    aia_store_record_free(jt_wait_state(f->store, ids[2], QUEUED, 0));
    aia_error err;
    assert_int_equal(aia_jobs_cancel(f->jobs, ids[0], NULL, &err), AIA_OK);
    aia_store_record_free(jt_wait_state(f->store, ids[2], RUNNING, 5000));
    assert_int_equal(aia_jobs_cancel(f->jobs, ids[1], NULL, &err), AIA_OK);
    assert_int_equal(aia_jobs_cancel(f->jobs, ids[2], NULL, &err), AIA_OK);
}

/* A job that fails while running (its data vanished after submit) ends
 * FAILED with lib/train's reason, naming the file, and publishes nothing. */
static void test_failure_reason_recorded(void **state) {
    jt_fixture *f = *state;
    jt_start(f, 1, 0);
    char busy[128];
    jt_occupy_worker(f, busy, sizeof busy);
    char path[700];
    snprintf(path, sizeof path, "%s/vanishing.csv", f->dir);
    FILE *in = fopen(f->quick_csv, "r"), *out = fopen(path, "w");
    assert_non_null(in);
    assert_non_null(out);
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, in)) > 0) assert_int_equal(fwrite(buf, 1, n, out), n);
    fclose(in);
    assert_int_equal(fclose(out), 0);
    jt_spec s;
    jt_spec_quick(&s, f, "vanished");
    s.spec.training_data_uri = path;
    aia_job_record *queued = submit(f, &s);
    assert_int_equal(unlink(path), 0);
    aia_error err;
    assert_int_equal(aia_jobs_cancel(f->jobs, busy, NULL, &err), AIA_OK);
    aia_job_record *job = jt_wait_state(f->store, queued->job_id, FAILED, 30000);
    assert_non_null(strstr(job->error, "vanishing.csv"));
    assert_non_null(job->end_time);
    int latest = 0;
    assert_int_equal(aia_store_version_latest(f->store, "vanished", &latest, &err), AIA_NOT_FOUND);
    aia_store_record_free(job);
    aia_store_record_free(queued);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        JT_TEST(test_submit_publishes_version),
        JT_TEST(test_bad_spec_rejected),
        JT_TEST(test_watch_sees_life_in_order),
        JT_TEST(test_cancel_running_job),
        JT_TEST(test_cancel_queued_job),
        JT_TEST(test_hpo_trials_announced),
        JT_TEST(test_failure_reason_recorded),
        JT_TEST(test_unwatch_is_final),
        JT_TEST(test_pool_is_bounded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
