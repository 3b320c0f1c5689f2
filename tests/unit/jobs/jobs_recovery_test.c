/* tests/unit/jobs/jobs_recovery_test.c — lib/jobs across restarts: a job
 * left RUNNING by a dead process is requeued and finishes (attempt 2), or
 * fails as "interrupted" once its attempts are used up; a graceful stop
 * puts a running job back to QUEUED, and the next start runs it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "tests/unit/jobs/jobs_test_util.h"

/* What a crash leaves: a job claimed by a worker that no longer exists. */
static aia_job_record *crashed_job(jt_fixture *f, const char *model_id) {
    jt_spec s;
    jt_spec_quick(&s, f, model_id);
    aia_job_record *job = NULL, *claimed = NULL;
    int created = 0;
    aia_error err;
    assert_int_equal(aia_store_job_submit(f->store, &s.spec, "", &job, &created, &err), AIA_OK);
    assert_int_equal(aia_store_job_claim(f->store, "dead-host:1:0/w0", 600000, &claimed, &err), AIA_OK);
    assert_non_null(claimed);
    assert_string_equal(claimed->job_id, job->job_id);
    assert_int_equal(claimed->state, RUNNING);
    assert_int_equal(claimed->attempt, 1);
    aia_store_record_free(claimed);
    return job;
}

static void test_restart_requeues_and_finishes(void **state) {
    jt_fixture *f = *state;
    aia_job_record *job = crashed_job(f, "revived");
    jt_start(f, 1, 2);
    aia_job_record *done = jt_wait_state(f->store, job->job_id, SUCCEEDED, 60000);
    assert_int_equal(done->attempt, 2);
    aia_version_record *v = NULL;
    aia_error err;
    assert_int_equal(aia_store_version_get(f->store, "revived", job->model_version, &v, &err), AIA_OK);
    aia_store_record_free(v);
    aia_store_record_free(done);
    aia_store_record_free(job);
}

static void test_restart_fails_when_attempts_used(void **state) {
    jt_fixture *f = *state;
    aia_job_record *job = crashed_job(f, "doomed");
    jt_start(f, 1, 1);
    /* Recovery runs before aia_jobs_start returns. */
    aia_job_record *failed = jt_wait_state(f->store, job->job_id, FAILED, 0);
    assert_non_null(strstr(failed->error, "interrupted"));
    usleep(200000);
    aia_job_record *still = jt_wait_state(f->store, job->job_id, FAILED, 0);
    aia_version_record *v = NULL;
    aia_error err;
    assert_int_equal(aia_store_version_get(f->store, "doomed", job->model_version, &v, &err), AIA_NOT_FOUND);
    aia_store_record_free(still);
    aia_store_record_free(failed);
    aia_store_record_free(job);
}

/* aia_jobs_stop with a job running: it returns promptly, the job is
 * QUEUED again without having used an attempt, and a new start runs it
 * (here: picks it up, then we cancel it to keep the test short). */
static void test_stop_requeues_running_job(void **state) {
    jt_fixture *f = *state;
    jt_start(f, 1, 0);
    jt_spec s;
    jt_spec_long(&s, f, "interrupted");
    aia_job_record *queued = NULL;
    aia_error err;
    assert_int_equal(aia_jobs_submit(f->jobs, &s.spec, "", &queued, &err), AIA_OK);
    aia_store_record_free(jt_wait_state(f->store, queued->job_id, RUNNING, 10000));
    usleep(300000);

    int64_t t0 = jt_now_ms();
    aia_jobs_stop(f->jobs);
    f->jobs = NULL;
    assert_true(jt_now_ms() - t0 < 3000);
    aia_job_record *back = jt_wait_state(f->store, queued->job_id, QUEUED, 0);
    assert_int_equal(back->attempt, 0);
    assert_true(back->progress == 0);
    char scratch[1024];
    snprintf(scratch, sizeof scratch, "%s/scratch/%s", f->dir, queued->job_id);
    assert_false(jt_path_exists(scratch));

    jt_start(f, 1, 0);
    aia_job_record *again = jt_wait_state(f->store, queued->job_id, RUNNING, 10000);
    assert_int_equal(again->attempt, 1);
    assert_int_equal(aia_jobs_cancel(f->jobs, queued->job_id, NULL, &err), AIA_OK);
    aia_store_record_free(again);
    aia_store_record_free(back);
    aia_store_record_free(queued);
}

/* Another process cancels the job in the shared store: this worker finds
 * out (a refused progress write or lease renewal), stops, publishes
 * nothing, and its watchers hear CANCELLED. */
static void test_cancel_elsewhere_stops_worker(void **state) {
    jt_fixture *f = *state;
    jt_start(f, 1, 0);
    jt_spec s;
    jt_spec_long(&s, f, "shared");
    aia_job_record *queued = NULL;
    aia_error err;
    assert_int_equal(aia_jobs_submit(f->jobs, &s.spec, "", &queued, &err), AIA_OK);
    jt_recorder *r = malloc(sizeof *r);
    jt_recorder_init(r);
    aia_job_watch *w = NULL;
    aia_job_record *snap = NULL;
    assert_int_equal(aia_jobs_watch(f->jobs, queued->job_id, jt_record, r, &w, &snap, &err), AIA_OK);
    assert_true(jt_recorder_wait_iterations(r, 5, 30000));

    aia_job_record *out = NULL;
    assert_int_equal(aia_store_job_cancel(f->store, queued->job_id, "cancelled by another replica", &out, &err),
                     AIA_OK);
    int64_t t0 = jt_now_ms();
    assert_true(jt_recorder_wait_terminal(r, 5000));
    assert_true(jt_now_ms() - t0 < 3000); /* a renewal comes every lease_ms / 3 = 1 s */
    char scratch[1024];
    snprintf(scratch, sizeof scratch, "%s/scratch/%s", f->dir, queued->job_id);
    while (jt_path_exists(scratch) && jt_now_ms() - t0 < 5000) usleep(5000);
    assert_false(jt_path_exists(scratch));
    aia_jobs_unwatch(f->jobs, w);
    int saw_cancelled = 0;
    for (size_t i = 0; i < r->n; i++)
        saw_cancelled |= r->ev[i].kind == AIA_JOB_EVENT_STATE && r->ev[i].state == CANCELLED;
    assert_true(saw_cancelled);
    aia_job_record *job = jt_wait_state(f->store, queued->job_id, CANCELLED, 0);
    assert_string_equal(job->error, "cancelled by another replica");

    jt_recorder_destroy(r);
    free(r);
    aia_store_record_free(job);
    aia_store_record_free(out);
    aia_store_record_free(snap);
    aia_store_record_free(queued);
}

/* Bad options are refused naming the field. */
static void test_bad_options(void **state) {
    jt_fixture *f = *state;
    aia_jobs *j = NULL;
    aia_error err;
    aia_jobs_options opt = {.store = f->store, .data_dir = f->dir, .workers = 0, .threads_per_job = 1};
    assert_int_equal(aia_jobs_start(&opt, &j, &err), AIA_INVALID_ARGUMENT);
    assert_non_null(strstr(err.message, "workers"));
    opt.workers = 1;
    opt.threads_per_job = 0;
    assert_int_equal(aia_jobs_start(&opt, &j, &err), AIA_INVALID_ARGUMENT);
    assert_non_null(strstr(err.message, "threads_per_job"));
    opt.threads_per_job = 1;
    opt.data_dir = "";
    assert_int_equal(aia_jobs_start(&opt, &j, &err), AIA_INVALID_ARGUMENT);
    assert_non_null(strstr(err.message, "data_dir"));
    assert_null(j);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        JT_TEST(test_restart_requeues_and_finishes),
        JT_TEST(test_restart_fails_when_attempts_used),
        JT_TEST(test_stop_requeues_running_job),
        JT_TEST(test_cancel_elsewhere_stops_worker),
        JT_TEST(test_bad_options),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
