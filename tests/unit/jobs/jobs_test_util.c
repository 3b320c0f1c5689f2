/* tests/unit/jobs/jobs_test_util.c — see jobs_test_util.h. */
#include "tests/unit/jobs/jobs_test_util.h"

#include <errno.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

static const char *const FEATURES[8] = {"f0", "f1", "f2", "f3", "f4", "f5", "f6", "f7"};

int64_t jt_now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int jt_path_exists(const char *path) {
    struct stat sb;
    return stat(path, &sb) == 0;
}

/* A learnable rule with noise: y = 1 when f0 + f1 - f2/2 + noise > 0. */
static void write_csv(const char *path, int rows, int n_features, uint64_t seed) {
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    for (int k = 0; k < n_features; k++) fprintf(fp, "%s,", FEATURES[k]);
    fprintf(fp, "y\n");
    uint64_t x = seed;
    for (int i = 0; i < rows; i++) {
        double v[8], score = 0;
        for (int k = 0; k < n_features; k++) {
            x = x * 6364136223846793005ULL + 1442695040888963407ULL;
            v[k] = (double)(x >> 11) / 9007199254740992.0 * 2 - 1;
            fprintf(fp, "%.6f,", v[k]);
        }
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        double noise = ((double)(x >> 11) / 9007199254740992.0 - 0.5) * 0.6;
        score = v[0] + v[1] - v[2] / 2 + noise;
        fprintf(fp, "%d\n", score > 0 ? 1 : 0);
    }
    assert_int_equal(fclose(fp), 0);
}

jt_fixture *jt_fixture_new(void) {
    jt_fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    const char *tmp = getenv("TEST_TMPDIR");
    snprintf(f->dir, sizeof f->dir, "%s/jobs_XXXXXX", tmp && tmp[0] ? tmp : "/tmp");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->quick_csv, sizeof f->quick_csv, "%s/quick.csv", f->dir);
    snprintf(f->long_csv, sizeof f->long_csv, "%s/long.csv", f->dir);
    write_csv(f->quick_csv, 400, 4, 7);
    write_csv(f->long_csv, 4000, 8, 11);
    aia_error err;
    assert_int_equal(aia_store_open(f->dir, &f->store, &err), AIA_OK);
    return f;
}

static int remove_entry(const char *path, const struct stat *sb, int type, struct FTW *ftw) {
    (void)sb;
    (void)type;
    (void)ftw;
    remove(path);
    return 0;
}

void jt_fixture_free(jt_fixture *f) {
    if (f == NULL) return;
    aia_jobs_stop(f->jobs);
    aia_store_close(f->store);
    if (getenv("AIA_TEST_KEEP") == NULL) nftw(f->dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    free(f);
}

void jt_start(jt_fixture *f, int workers, int max_attempts) {
    aia_jobs_options opt = {
        .store = f->store,
        .data_dir = f->dir,
        .workers = workers,
        .threads_per_job = 1,
        .max_attempts = max_attempts,
        .lease_ms = 3000,
        .engine_version = "test",
    };
    aia_error err;
    aia_status st = aia_jobs_start(&opt, &f->jobs, &err);
    if (st != AIA_OK) fail_msg("aia_jobs_start: %s", err.message);
}

static void spec_base(jt_spec *s, const char *model_id, const char *csv, int n_features) {
    memset(s, 0, sizeof *s);
    aia_store__v1__job_spec__init(&s->spec);
    s->spec.model_id = (char *)model_id;
    s->spec.task_type = AIA_STORE__V1__TASK_TYPE__TASK_CLASSIFICATION;
    s->spec.algorithm = "gbdt";
    s->spec.training_data_uri = (char *)csv;
    s->spec.target_column = "y";
    for (int k = 0; k < n_features; k++) s->features[k] = (char *)FEATURES[k];
    s->spec.feature_columns = s->features;
    s->spec.n_feature_columns = (size_t)n_features;
    s->spec.seed = 42;
    s->spec.hyperparameters = s->hpp;
    s->spec.labels = s->labp;
}

void jt_spec_param(jt_spec *s, const char *key, const char *value) {
    size_t i = s->spec.n_hyperparameters++;
    assert_true(i < 6);
    aia_store__v1__job_spec__hyperparameters_entry__init(&s->hp[i]);
    s->hp[i].key = (char *)key;
    s->hp[i].value = (char *)value;
    s->hpp[i] = &s->hp[i];
}

void jt_spec_label(jt_spec *s, const char *key, const char *value) {
    size_t i = s->spec.n_labels++;
    assert_true(i < 4);
    aia_store__v1__job_spec__labels_entry__init(&s->lab[i]);
    s->lab[i].key = (char *)key;
    s->lab[i].value = (char *)value;
    s->labp[i] = &s->lab[i];
}

void jt_spec_quick(jt_spec *s, const jt_fixture *f, const char *model_id) {
    spec_base(s, model_id, f->quick_csv, 4);
    jt_spec_param(s, "n_rounds", "20");
}

void jt_spec_long(jt_spec *s, const jt_fixture *f, const char *model_id) {
    spec_base(s, model_id, f->long_csv, 8);
    jt_spec_param(s, "n_rounds", "100000");
    jt_spec_param(s, "learning_rate", "0.001");
    jt_spec_param(s, "early_stopping_rounds", "0");
}

aia_job_record *jt_wait_state(aia_store *st, const char *job_id, int state, int timeout_ms) {
    int64_t until = jt_now_ms() + timeout_ms;
    int last = -1;
    for (;;) {
        aia_job_record *job = NULL;
        aia_error err;
        if (aia_store_job_get(st, job_id, &job, &err) != AIA_OK) fail_msg("job_get %s: %s", job_id, err.message);
        if ((int)job->state == state) return job;
        last = job->state;
        if (jt_now_ms() > until) {
            char msg[600];
            snprintf(msg, sizeof msg, "%s", job->error ? job->error : "");
            aia_store_record_free(job);
            fail_msg("job %s: state %d after %d ms, waiting for %d (error: %s)", job_id, last, timeout_ms, state,
                     msg);
        }
        aia_store_record_free(job);
        usleep(10000);
    }
}

void jt_recorder_init(jt_recorder *r) {
    memset(r, 0, sizeof *r);
    pthread_mutex_init(&r->mu, NULL);
    pthread_cond_init(&r->cv, NULL);
}

void jt_recorder_destroy(jt_recorder *r) {
    pthread_mutex_destroy(&r->mu);
    pthread_cond_destroy(&r->cv);
}

void jt_record(void *arg, const aia_job_event *ev) {
    jt_recorder *r = arg;
    pthread_mutex_lock(&r->mu);
    if (r->terminal) r->after_terminal++;
    if (r->n < sizeof r->ev / sizeof r->ev[0]) {
        jt_event *e = &r->ev[r->n++];
        e->kind = ev->kind;
        e->sequence = ev->sequence;
        e->state = ev->job->state;
        e->previous_state = ev->previous_state;
        e->trial = ev->trial;
        e->iteration = ev->iteration;
        e->trial_state = ev->trial_record ? (int)ev->trial_record->state : 0;
        e->n_metrics = ev->n_metrics;
    } else {
        r->overflow++;
    }
    if (ev->kind == AIA_JOB_EVENT_ITERATION) r->iterations++;
    if (ev->kind == AIA_JOB_EVENT_STATE && ev->job->state >= AIA_STORE__V1__JOB_STATE__JOB_SUCCEEDED) r->terminal = 1;
    pthread_cond_broadcast(&r->cv);
    pthread_mutex_unlock(&r->mu);
}

static int wait_until(jt_recorder *r, int timeout_ms, int (*done)(const jt_recorder *, int), int n) {
    int64_t until = jt_now_ms() + timeout_ms;
    pthread_mutex_lock(&r->mu);
    while (!done(r, n) && jt_now_ms() < until) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += 20 * 1000000;
        if (ts.tv_nsec >= 1000000000) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000;
        }
        pthread_cond_timedwait(&r->cv, &r->mu, &ts);
    }
    int ok = done(r, n);
    pthread_mutex_unlock(&r->mu);
    return ok;
}

static int is_terminal(const jt_recorder *r, int n) {
    (void)n;
    return r->terminal;
}

static int has_iterations(const jt_recorder *r, int n) { return r->iterations >= n; }

int jt_recorder_wait_terminal(jt_recorder *r, int timeout_ms) { return wait_until(r, timeout_ms, is_terminal, 0); }

int jt_recorder_wait_iterations(jt_recorder *r, int n, int timeout_ms) {
    return wait_until(r, timeout_ms, has_iterations, n);
}

void jt_occupy_worker(jt_fixture *f, char *job_id, size_t size) {
    jt_spec s;
    jt_spec_long(&s, f, "occupier");
    aia_job_record *job = NULL;
    aia_error err;
    if (aia_jobs_submit(f->jobs, &s.spec, "test", &job, &err) != AIA_OK) fail_msg("submit: %s", err.message);
    snprintf(job_id, size, "%s", job->job_id);
    aia_store_record_free(job);
    aia_store_record_free(jt_wait_state(f->store, job_id, AIA_STORE__V1__JOB_STATE__JOB_RUNNING, 10000));
}

int jt_setup(void **state) {
    *state = jt_fixture_new();
    return 0;
}

int jt_teardown(void **state) {
    jt_fixture_free(*state);
    return 0;
}
