/* Unit tests for lib/store jobs and trials: submit (model creation, task
 * mismatch, version reservation, idempotency), the claim / renew / update /
 * publish / cancel life cycle, crash recovery, trials, listing, and several
 * threads submitting and claiming at once. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "lib/store/store.h"
#include "tests/unit/store/store_testutil.h"

#define CLS AIA_STORE__V1__TASK_TYPE__TASK_CLASSIFICATION
#define REG AIA_STORE__V1__TASK_TYPE__TASK_REGRESSION

static aia_job_record *submit(aia_store *s, aia_job_spec *spec) {
    aia_job_record *job = NULL;
    int created = 0;
    aia_error err;
    ST_OK(aia_store_job_submit(s, spec, "alice", &job, &created, &err));
    assert_int_equal(created, 1);
    return job;
}

static void submit_creates_the_model_and_reserves_versions(void **state) {
    (void)state;
    char *dir = st_tempdir();
    aia_store *s = st_open(dir);
    aia_error err;
    aia_job_spec *spec = st_spec("churn", CLS);
    AiaStore__V1__JobSpec__LabelsEntry team = AIA_STORE__V1__JOB_SPEC__LABELS_ENTRY__INIT, *labels[1] = {&team};
    team.key = (char *)"team";
    team.value = (char *)"growth";
    spec->labels = labels;
    spec->n_labels = 1;
    spec->description = (char *)"who leaves";
    AiaStore__V1__JobSpec__HyperparametersEntry lr = AIA_STORE__V1__JOB_SPEC__HYPERPARAMETERS_ENTRY__INIT;
    AiaStore__V1__JobSpec__HyperparametersEntry *hps[1] = {&lr};
    lr.key = (char *)"learning_rate";
    lr.value = (char *)"0.1";
    spec->hyperparameters = hps;
    spec->n_hyperparameters = 1;
    aia_job_record *j1 = submit(s, spec);
    assert_int_equal(strlen(j1->job_id), 20);
    assert_memory_equal(j1->job_id, "job-", 4);
    assert_int_equal(j1->state, AIA_STORE__V1__JOB_STATE__JOB_QUEUED);
    assert_int_equal(j1->model_version, 1);
    assert_int_equal(j1->attempt, 0);
    assert_string_equal(j1->created_by, "alice");
    assert_non_null(j1->create_time);
    assert_true(j1->create_time->seconds > 1600000000);
    assert_int_equal(j1->n_hyperparameters, 1);
    assert_string_equal(j1->hyperparameters[0]->value, "0.1");
    assert_non_null(j1->spec);
    assert_string_equal(j1->spec->training_data_uri, "file:///data/train.csv");

    aia_model_record *m = NULL;
    ST_OK(aia_store_model_get(s, "churn", 0, &m, &err));
    assert_int_equal(m->task_type, CLS);
    assert_string_equal(m->description, "who leaves");
    assert_int_equal(m->n_tags, 1);
    assert_string_equal(m->tags[0]->key, "team");
    assert_int_equal(m->latest_version, 0);
    aia_store_record_free(m);

    spec = st_spec("churn", CLS);
    aia_job_record *j2 = submit(s, spec);
    assert_int_equal(j2->model_version, 2);
    assert_string_not_equal(j1->job_id, j2->job_id);
    /* Cancelled jobs keep their reserved number: the next is 3. */
    ST_OK(aia_store_job_cancel(s, j2->job_id, "changed my mind", NULL, &err));
    aia_job_record *j3 = submit(s, st_spec("churn", CLS));
    assert_int_equal(j3->model_version, 3);

    aia_job_record *none = NULL;
    int created = 1;
    ST_FAILS(aia_store_job_submit(s, st_spec("churn", REG), "", &none, &created, &err), AIA_FAILED_PRECONDITION);
    assert_non_null(strstr(err.message, "TASK_CLASSIFICATION"));
    assert_non_null(strstr(err.message, "TASK_REGRESSION"));
    assert_null(none);
    assert_int_equal(created, 0);
    ST_FAILS(aia_store_job_submit(s, st_spec("churn", 0), "", &none, &created, &err), AIA_INVALID_ARGUMENT);
    ST_FAILS(aia_store_job_submit(s, st_spec("bad/id", CLS), "", &none, &created, &err), AIA_INVALID_ARGUMENT);
    assert_non_null(strstr(err.message, "model_id"));
    /* The refused submit reserved nothing. */
    aia_job_record *j4 = submit(s, st_spec("churn", CLS));
    assert_int_equal(j4->model_version, 4);

    aia_store_record_free(j1);
    aia_store_record_free(j2);
    aia_store_record_free(j3);
    aia_store_record_free(j4);
    aia_store_close(s);
    st_rmtree(dir);
}

static void idempotency_key_returns_the_first_job(void **state) {
    (void)state;
    char *dir = st_tempdir();
    aia_store *s = st_open(dir);
    aia_error err;
    aia_job_spec *spec = st_spec("m", CLS);
    spec->idempotency_key = (char *)"req-42";
    aia_job_record *a = submit(s, spec);
    aia_job_record *b = NULL;
    int created = 1;
    spec = st_spec("m", CLS);
    spec->idempotency_key = (char *)"req-42";
    ST_OK(aia_store_job_submit(s, spec, "", &b, &created, &err));
    assert_int_equal(created, 0);
    assert_string_equal(a->job_id, b->job_id);
    assert_int_equal(b->model_version, 1);
    aia_store_record_free(b);
    spec = st_spec("m", CLS);
    spec->idempotency_key = (char *)"req-43";
    b = submit(s, spec);
    assert_int_equal(b->model_version, 2);
    aia_store_record_free(b);
    /* The same key on another model is another request. */
    spec = st_spec("other", CLS);
    spec->idempotency_key = (char *)"req-42";
    b = submit(s, spec);
    assert_string_not_equal(a->job_id, b->job_id);
    aia_store_record_free(a);
    aia_store_record_free(b);
    aia_store_close(s);
    st_rmtree(dir);
}

static void life_cycle_claim_renew_update_publish(void **state) {
    (void)state;
    char *dir = st_tempdir();
    aia_store *s = st_open(dir);
    aia_error err;
    aia_job_record *first = submit(s, st_spec("m", CLS));
    aia_job_record *second = submit(s, st_spec("m", CLS));
    aia_job_record *c = NULL;
    uint64_t jobs_only = aia_store_generation(s); /* jobs do not move the generation */
    ST_OK(aia_store_job_claim(s, "w1", 60000, &c, &err));
    assert_int_equal(aia_store_generation(s), jobs_only);
    assert_non_null(c);
    assert_string_equal(c->job_id, first->job_id); /* oldest first */
    assert_int_equal(c->state, AIA_STORE__V1__JOB_STATE__JOB_RUNNING);
    assert_int_equal(c->attempt, 1);
    assert_non_null(c->start_time);

    ST_OK(aia_store_job_renew(s, c->job_id, "w1", 60000, &err));
    ST_FAILS(aia_store_job_renew(s, c->job_id, "w2", 60000, &err), AIA_FAILED_PRECONDITION);
    assert_non_null(strstr(err.message, "w1"));
    ST_FAILS(aia_store_job_renew(s, "job-missing", "w1", 60000, &err), AIA_NOT_FOUND);
    ST_FAILS(aia_store_job_renew(s, second->job_id, "w1", 60000, &err), AIA_FAILED_PRECONDITION);
    assert_non_null(strstr(err.message, "JOB_QUEUED"));

    c->progress = 0.5;
    AiaStore__V1__Job__MetricsEntry acc = AIA_STORE__V1__JOB__METRICS_ENTRY__INIT, *metrics[1] = {&acc};
    acc.key = (char *)"accuracy";
    acc.value = 0.97;
    c->metrics = metrics;
    c->n_metrics = 1;
    ST_OK(aia_store_job_update(s, c, &err));
    c->metrics = NULL;
    c->n_metrics = 0;
    aia_job_record *got = NULL;
    ST_OK(aia_store_job_get(s, c->job_id, &got, &err));
    assert_true(got->progress == 0.5);
    assert_int_equal(got->n_metrics, 1);
    assert_true(got->metrics[0]->value == 0.97);
    assert_int_equal(got->state, AIA_STORE__V1__JOB_STATE__JOB_RUNNING);
    assert_non_null(got->update_time);
    aia_store_record_free(got);

    c->state = AIA_STORE__V1__JOB_STATE__JOB_SUCCEEDED; /* only publish may */
    ST_FAILS(aia_store_job_update(s, c, &err), AIA_INVALID_ARGUMENT);
    c->state = AIA_STORE__V1__JOB_STATE__JOB_RUNNING;
    c->model_version = 77; /* identity stays as stored */
    ST_OK(aia_store_job_update(s, c, &err));
    ST_OK(aia_store_job_get(s, c->job_id, &got, &err));
    assert_int_equal(got->model_version, 1);
    aia_store_record_free(got);
    c->model_version = 1;

    uint64_t gen = aia_store_generation(s);
    aia_version_record v = AIA_STORE__V1__VERSION__INIT;
    v.model_id = (char *)"m";
    v.version = c->model_version;
    v.algorithm = (char *)"gbdt";
    v.artifact_sha256 = (char *)"ab";
    char *alias = (char *)"ignored";
    v.aliases = &alias; /* derived fields are never stored */
    v.n_aliases = 1;
    aia_version_record wrong = v;
    wrong.version = 5;
    ST_FAILS(aia_store_job_publish(s, c, &wrong, &err), AIA_INVALID_ARGUMENT);
    ST_OK(aia_store_job_publish(s, c, &v, &err));
    assert_true(aia_store_generation(s) > gen);
    ST_OK(aia_store_job_get(s, c->job_id, &got, &err));
    assert_int_equal(got->state, AIA_STORE__V1__JOB_STATE__JOB_SUCCEEDED);
    assert_non_null(got->end_time);
    aia_store_record_free(got);
    aia_version_record *pv = NULL;
    ST_OK(aia_store_version_get(s, "m", 1, &pv, &err));
    assert_int_equal(pv->state, AIA_STORE__V1__VERSION_STATE__VERSION_READY);
    assert_int_equal(pv->n_aliases, 0);
    assert_non_null(pv->create_time);
    aia_store_record_free(pv);

    /* Terminal jobs never change again. */
    ST_FAILS(aia_store_job_update(s, c, &err), AIA_FAILED_PRECONDITION);
    assert_non_null(strstr(err.message, "JOB_SUCCEEDED"));
    ST_FAILS(aia_store_job_publish(s, c, &v, &err), AIA_FAILED_PRECONDITION);
    ST_FAILS(aia_store_job_cancel(s, c->job_id, "late", NULL, &err), AIA_FAILED_PRECONDITION);
    ST_FAILS(aia_store_job_renew(s, c->job_id, "w1", 60000, &err), AIA_FAILED_PRECONDITION);
    aia_store_record_free(c);

    ST_OK(aia_store_job_claim(s, "w1", 60000, &c, &err));
    assert_string_equal(c->job_id, second->job_id);
    aia_store_record_free(c);
    ST_OK(aia_store_job_claim(s, "w1", 60000, &c, &err));
    assert_null(c); /* nothing waits */
    ST_FAILS(aia_store_job_claim(s, "", 60000, &c, &err), AIA_INVALID_ARGUMENT);
    ST_FAILS(aia_store_job_claim(s, "w", 0, &c, &err), AIA_INVALID_ARGUMENT);
    ST_FAILS(aia_store_job_claim(s, "w", INT64_MAX, &c, &err), AIA_INVALID_ARGUMENT);
    assert_non_null(strstr(err.message, "lease_ms"));
    ST_FAILS(aia_store_job_renew(s, second->job_id, "w1", INT64_MAX, &err), AIA_INVALID_ARGUMENT);
    aia_store_record_free(first);
    aia_store_record_free(second);
    aia_store_close(s);
    st_rmtree(dir);
}

static void publish_after_cancel_publishes_nothing(void **state) {
    (void)state;
    char *dir = st_tempdir();
    aia_store *s = st_open(dir);
    aia_error err;
    aia_job_record *j = submit(s, st_spec("m", CLS));
    aia_job_record *c = NULL, *cancelled = NULL;
    ST_OK(aia_store_job_claim(s, "w", 60000, &c, &err));
    ST_OK(aia_store_job_cancel(s, j->job_id, "user asked", &cancelled, &err));
    assert_int_equal(cancelled->state, AIA_STORE__V1__JOB_STATE__JOB_CANCELLED);
    assert_string_equal(cancelled->error, "user asked");
    assert_non_null(cancelled->end_time);
    aia_version_record v = AIA_STORE__V1__VERSION__INIT;
    v.model_id = (char *)"m";
    v.version = c->model_version;
    uint64_t gen = aia_store_generation(s);
    ST_FAILS(aia_store_job_publish(s, c, &v, &err), AIA_FAILED_PRECONDITION);
    assert_non_null(strstr(err.message, "JOB_CANCELLED"));
    assert_int_equal(aia_store_generation(s), gen);
    aia_version_record *none = NULL;
    ST_FAILS(aia_store_version_get(s, "m", c->model_version, &none, &err), AIA_NOT_FOUND);
    aia_job_record *got = NULL;
    ST_OK(aia_store_job_get(s, j->job_id, &got, &err));
    assert_int_equal(got->state, AIA_STORE__V1__JOB_STATE__JOB_CANCELLED);
    aia_store_record_free(got);
    ST_FAILS(aia_store_job_cancel(s, j->job_id, "again", NULL, &err), AIA_FAILED_PRECONDITION);
    ST_FAILS(aia_store_job_cancel(s, "job-0000000000000000", "x", NULL, &err), AIA_NOT_FOUND);
    assert_non_null(strstr(err.message, "job-0000000000000000"));
    ST_FAILS(aia_store_job_get(s, "job-0000000000000000", &got, &err), AIA_NOT_FOUND);
    aia_store_record_free(j);
    aia_store_record_free(c);
    aia_store_record_free(cancelled);
    aia_store_close(s);
    st_rmtree(dir);
}

static int job_state(aia_store *s, const char *id, char *error, size_t size) {
    aia_job_record *j = NULL;
    aia_error err;
    ST_OK(aia_store_job_get(s, id, &j, &err));
    int st = j->state;
    if (error) snprintf(error, size, "%s", j->error);
    aia_store_record_free(j);
    return st;
}

static void recover_requeues_or_fails_interrupted_jobs(void **state) {
    (void)state;
    char *dir = st_tempdir();
    aia_store *s = st_open(dir);
    aia_error err;
    aia_job_record *a = submit(s, st_spec("m", CLS));
    aia_job_record *b = submit(s, st_spec("m", CLS));
    aia_job_record *ca = NULL, *cb = NULL;
    ST_OK(aia_store_job_claim(s, "short", 1, &ca, &err));     /* lease of 1 ms */
    ST_OK(aia_store_job_claim(s, "long", 3600000, &cb, &err)); /* an hour */
    struct timespec ts = {0, 20 * 1000 * 1000};
    nanosleep(&ts, NULL);
    size_t requeued = 9, failed = 9;
    ST_OK(aia_store_jobs_recover(s, 0, 3, &requeued, &failed, &err));
    assert_int_equal(requeued, 1);
    assert_int_equal(failed, 0);
    assert_int_equal(job_state(s, a->job_id, NULL, 0), AIA_STORE__V1__JOB_STATE__JOB_QUEUED);
    assert_int_equal(job_state(s, b->job_id, NULL, 0), AIA_STORE__V1__JOB_STATE__JOB_RUNNING);
    /* The old holder's lease is gone. */
    ST_FAILS(aia_store_job_renew(s, a->job_id, "short", 1000, &err), AIA_FAILED_PRECONDITION);
    aia_store_record_free(ca);
    ST_OK(aia_store_job_claim(s, "w", 60000, &ca, &err)); /* attempt 2 */
    assert_string_equal(ca->job_id, a->job_id);
    assert_int_equal(ca->attempt, 2);

    /* Restart: every RUNNING job; a is at its last attempt, b is not. */
    ST_OK(aia_store_jobs_recover(s, 1, 2, &requeued, &failed, &err));
    assert_int_equal(requeued, 1);
    assert_int_equal(failed, 1);
    char why[300];
    assert_int_equal(job_state(s, a->job_id, why, sizeof why), AIA_STORE__V1__JOB_STATE__JOB_FAILED);
    assert_non_null(strstr(why, "interrupted"));
    assert_int_equal(job_state(s, b->job_id, NULL, 0), AIA_STORE__V1__JOB_STATE__JOB_QUEUED);
    ST_OK(aia_store_jobs_recover(s, 1, 2, NULL, NULL, &err)); /* nothing left RUNNING */
    ST_OK(aia_store_jobs_recover(s, 1, 2, &requeued, &failed, &err));
    assert_int_equal(requeued + failed, 0);
    aia_store_record_free(a);
    aia_store_record_free(b);
    aia_store_record_free(ca);
    aia_store_record_free(cb);
    aia_store_close(s);
    st_rmtree(dir);
}

static void trials_are_stored_per_job(void **state) {
    (void)state;
    char *dir = st_tempdir();
    aia_store *s = st_open(dir);
    aia_error err;
    aia_job_record *j = submit(s, st_spec("m", CLS));
    for (int i = 2; i >= 0; i--) {
        aia_trial_record t = AIA_STORE__V1__TRIAL__INIT;
        t.number = i;
        t.state = AIA_STORE__V1__TRIAL_STATE__TRIAL_RUNNING;
        ST_OK(aia_store_trial_put(s, j->job_id, &t, &err));
    }
    aia_trial_record t = AIA_STORE__V1__TRIAL__INIT;
    t.number = 1;
    t.state = AIA_STORE__V1__TRIAL_STATE__TRIAL_COMPLETE;
    t.value = 0.91;
    ST_OK(aia_store_trial_put(s, j->job_id, &t, &err)); /* replaces */
    aia_trial_record **ts = NULL;
    size_t n = 0;
    ST_OK(aia_store_trial_list(s, j->job_id, &ts, &n, &err));
    assert_int_equal(n, 3);
    for (size_t i = 0; i < n; i++) assert_int_equal(ts[i]->number, (int)i);
    assert_int_equal(ts[1]->state, AIA_STORE__V1__TRIAL_STATE__TRIAL_COMPLETE);
    assert_true(ts[1]->value == 0.91);
    aia_store_records_free((void **)ts, n);
    ST_FAILS(aia_store_trial_put(s, "job-nope", &t, &err), AIA_NOT_FOUND);
    assert_non_null(strstr(err.message, "job-nope"));
    ST_FAILS(aia_store_trial_list(s, "job-nope", &ts, &n, &err), AIA_NOT_FOUND);
    aia_store_record_free(j);
    aia_store_close(s);
    st_rmtree(dir);
}

static void job_list_filters_and_pages_newest_first(void **state) {
    (void)state;
    char *dir = st_tempdir();
    aia_store *s = st_open(dir);
    aia_error err;
    char ids[5][32];
    for (int i = 0; i < 5; i++) {
        aia_job_record *j = submit(s, st_spec(i < 4 ? "a" : "b", CLS));
        snprintf(ids[i], sizeof ids[i], "%s", j->job_id);
        aia_store_record_free(j);
        struct timespec ts = {0, 2 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    ST_OK(aia_store_job_cancel(s, ids[1], "x", NULL, &err));
    aia_job_record **js = NULL;
    size_t n = 0;
    char *next = NULL;
    int total = 0;
    aia_store_page page = {2, NULL};
    ST_OK(aia_store_job_list(s, "a", 0, &page, &js, &n, &next, &total, &err));
    assert_int_equal(total, 4);
    assert_int_equal(n, 2);
    assert_string_equal(js[0]->job_id, ids[3]);
    assert_string_equal(js[1]->job_id, ids[2]);
    assert_non_null(next);
    aia_store_records_free((void **)js, n);
    page.page_token = next;
    ST_OK(aia_store_job_list(s, "a", 0, &page, &js, &n, &next, &total, &err));
    assert_int_equal(n, 2);
    assert_string_equal(js[1]->job_id, ids[0]);
    assert_null(next);
    aia_store_records_free((void **)js, n);
    free((void *)page.page_token);

    ST_OK(aia_store_job_list(s, NULL, 1u << AIA_STORE__V1__JOB_STATE__JOB_CANCELLED, NULL, &js, &n, &next, &total,
                             &err));
    assert_int_equal(n, 1);
    assert_int_equal(total, 1);
    assert_string_equal(js[0]->job_id, ids[1]);
    aia_store_records_free((void **)js, n);
    ST_OK(aia_store_job_list(s, "", 1u << AIA_STORE__V1__JOB_STATE__JOB_QUEUED, NULL, &js, &n, &next, &total, &err));
    assert_int_equal(total, 4);
    aia_store_records_free((void **)js, n);
    aia_store_page bad = {0, "o1.5"};
    ST_FAILS(aia_store_job_list(s, NULL, 0, &bad, &js, &n, &next, &total, &err), AIA_INVALID_ARGUMENT);
    aia_store_close(s);
    st_rmtree(dir);
}

/* ---- concurrency smoke ----------------------------------------------------------- */

#define THREADS 4
#define PER_THREAD 15

typedef struct worker_arg {
    aia_store *s;
    int index;
    int claimed;
    int failures;
} worker_arg;

static void *worker(void *p) {
    worker_arg *w = p;
    char name[16];
    snprintf(name, sizeof name, "w%d", w->index);
    for (int i = 0; i < PER_THREAD; i++) {
        aia_error err;
        aia_job_record *j = NULL, *c = NULL;
        int created = 0;
        aia_job_spec spec = AIA_STORE__V1__JOB_SPEC__INIT; /* own copy: st_spec's is static */
        spec.model_id = (char *)"shared";
        spec.task_type = CLS;
        if (aia_store_job_submit(w->s, &spec, name, &j, &created, &err) != AIA_OK) w->failures++;
        aia_store_record_free(j);
        if (aia_store_job_claim(w->s, name, 60000, &c, &err) != AIA_OK) w->failures++;
        if (c != NULL) {
            w->claimed++;
            aia_version_record v = AIA_STORE__V1__VERSION__INIT;
            v.model_id = c->model_id;
            v.version = c->model_version;
            if (aia_store_job_publish(w->s, c, &v, &err) != AIA_OK) w->failures++;
        }
        aia_store_record_free(c);
    }
    return NULL;
}

static void threads_submit_and_claim_without_losing_jobs(void **state) {
    (void)state;
    char *dir = st_tempdir();
    aia_store *s = st_open(dir);
    aia_error err;
    /* One job before the threads start: claims then race for it too. */
    aia_job_record *first = submit(s, st_spec("shared", CLS));
    aia_store_record_free(first);
    pthread_t t[THREADS];
    worker_arg args[THREADS];
    for (int i = 0; i < THREADS; i++) {
        args[i] = (worker_arg){s, i, 0, 0};
        assert_int_equal(pthread_create(&t[i], NULL, worker, &args[i]), 0);
    }
    int claimed = 0;
    for (int i = 0; i < THREADS; i++) {
        pthread_join(t[i], NULL);
        assert_int_equal(args[i].failures, 0);
        claimed += args[i].claimed;
    }
    /* Every job was claimed exactly once (the first one included), and
     * each publish produced its own version. */
    assert_int_equal(claimed, THREADS * PER_THREAD);
    aia_job_record *c = NULL;
    ST_OK(aia_store_job_claim(s, "late", 1000, &c, &err));
    if (c != NULL) claimed++;
    aia_store_record_free(c);
    assert_int_equal(claimed, THREADS * PER_THREAD + 1);
    aia_model_record *m = NULL;
    ST_OK(aia_store_model_get(s, "shared", 0, &m, &err));
    assert_int_equal(m->version_count, THREADS * PER_THREAD);
    aia_store_record_free(m);
    aia_store_close(s);
    st_rmtree(dir);
}

/* Two handles on one database, as two server processes would have: every
 * job is claimed by exactly one of them (BEGIN IMMEDIATE + busy timeout). */
#define SHARED_JOBS 40

typedef struct claimer_arg {
    aia_store *s;
    char ids[SHARED_JOBS][32];
    int n;
    int failures;
} claimer_arg;

static void *claimer(void *p) {
    claimer_arg *a = p;
    for (;;) {
        aia_error err;
        aia_job_record *c = NULL;
        if (aia_store_job_claim(a->s, "proc", 60000, &c, &err) != AIA_OK) {
            a->failures++;
            continue;
        }
        if (c == NULL) break;
        if (a->n < SHARED_JOBS) snprintf(a->ids[a->n], sizeof a->ids[0], "%s", c->job_id);
        a->n++;
        aia_store_record_free(c);
    }
    return NULL;
}

static void two_handles_never_claim_the_same_job(void **state) {
    (void)state;
    char *dir = st_tempdir();
    aia_store *s1 = st_open(dir), *s2 = st_open(dir);
    for (int i = 0; i < SHARED_JOBS; i++) aia_store_record_free(submit(i % 2 ? s1 : s2, st_spec("m", CLS)));
    static claimer_arg a[2];
    memset(a, 0, sizeof a);
    a[0].s = s1;
    a[1].s = s2;
    pthread_t t[2];
    for (int i = 0; i < 2; i++) assert_int_equal(pthread_create(&t[i], NULL, claimer, &a[i]), 0);
    for (int i = 0; i < 2; i++) pthread_join(t[i], NULL);
    assert_int_equal(a[0].failures + a[1].failures, 0);
    assert_int_equal(a[0].n + a[1].n, SHARED_JOBS);
    for (int i = 0; i < a[0].n; i++)
        for (int j = 0; j < a[1].n; j++) assert_string_not_equal(a[0].ids[i], a[1].ids[j]);
    aia_store_close(s1);
    aia_store_close(s2);
    st_rmtree(dir);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(submit_creates_the_model_and_reserves_versions),
        cmocka_unit_test(idempotency_key_returns_the_first_job),
        cmocka_unit_test(life_cycle_claim_renew_update_publish),
        cmocka_unit_test(publish_after_cancel_publishes_nothing),
        cmocka_unit_test(recover_requeues_or_fails_interrupted_jobs),
        cmocka_unit_test(trials_are_stored_per_job),
        cmocka_unit_test(job_list_filters_and_pages_newest_first),
        cmocka_unit_test(threads_submit_and_claim_without_losing_jobs),
        cmocka_unit_test(two_handles_never_claim_the_same_job),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
