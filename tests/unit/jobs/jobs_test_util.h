/* tests/unit/jobs/jobs_test_util.h — fixtures for the lib/jobs tests: a
 * temporary data dir with generated CSVs and an open store, job specs
 * built on the stack, an event recorder, and polling helpers. Test-only. */
#ifndef AIA_TESTS_UNIT_JOBS_UTIL_H
#define AIA_TESTS_UNIT_JOBS_UTIL_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/jobs/jobs.h"

typedef struct jt_fixture {
    char dir[512];
    char quick_csv[600]; /* 400 rows, f0..f3, y: trains in well under a second */
    char long_csv[600];  /* 4,000 rows, f0..f7, y: with many rounds, minutes */
    aia_store *store;
    aia_jobs *jobs;
} jt_fixture;

/* A fresh data dir with both CSVs and an open store (jobs not started). */
jt_fixture *jt_fixture_new(void);
/* Stops the jobs (when started), closes the store, removes the dir. */
void jt_fixture_free(jt_fixture *f);
/* Starts f->jobs with `workers` workers and max_attempts. */
void jt_start(jt_fixture *f, int workers, int max_attempts);

/* cmocka setup and teardown: a jt_fixture per test in *state. */
int jt_setup(void **state);
int jt_teardown(void **state);
#define JT_TEST(fn) cmocka_unit_test_setup_teardown(fn, jt_setup, jt_teardown)

/* Job states, short. */
#define QUEUED AIA_STORE__V1__JOB_STATE__JOB_QUEUED
#define RUNNING AIA_STORE__V1__JOB_STATE__JOB_RUNNING
#define SUCCEEDED AIA_STORE__V1__JOB_STATE__JOB_SUCCEEDED
#define FAILED AIA_STORE__V1__JOB_STATE__JOB_FAILED
#define CANCELLED AIA_STORE__V1__JOB_STATE__JOB_CANCELLED

typedef struct jt_spec {
    aia_job_spec spec;
    AiaStore__V1__JobSpec__HyperparametersEntry hp[6];
    AiaStore__V1__JobSpec__HyperparametersEntry *hpp[6];
    AiaStore__V1__JobSpec__LabelsEntry lab[4];
    AiaStore__V1__JobSpec__LabelsEntry *labp[4];
    char *features[8];
    AiaStore__V1__HpoSpec hpo;
} jt_spec;

/* A gbdt classification spec over the quick CSV (20 rounds). */
void jt_spec_quick(jt_spec *s, const jt_fixture *f, const char *model_id);
/* A gbdt spec over the long CSV that runs for minutes unless stopped. */
void jt_spec_long(jt_spec *s, const jt_fixture *f, const char *model_id);
void jt_spec_param(jt_spec *s, const char *key, const char *value);
void jt_spec_label(jt_spec *s, const char *key, const char *value);

/* Polls the store until the job is in `state`; returns the job (caller
 * frees) or fails the test after timeout_ms. */
aia_job_record *jt_wait_state(aia_store *st, const char *job_id, int state, int timeout_ms);

typedef struct jt_event {
    int kind;
    int64_t sequence;
    int state, previous_state;
    int trial, iteration;
    int trial_state;
    size_t n_metrics;
} jt_event;

/* Records events from a watch. */
typedef struct jt_recorder {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    jt_event ev[8192];
    size_t n, overflow;
    int terminal;       /* a terminal STATE event arrived */
    int after_terminal; /* events that came after it (must stay 0) */
    int iterations;     /* ITERATION events seen */
} jt_recorder;

void jt_recorder_init(jt_recorder *r);
void jt_recorder_destroy(jt_recorder *r);
void jt_record(void *arg, const aia_job_event *ev);
/* Waits for the terminal STATE event; 0 on timeout. */
int jt_recorder_wait_terminal(jt_recorder *r, int timeout_ms);
/* Waits for at least n ITERATION events; 0 on timeout. */
int jt_recorder_wait_iterations(jt_recorder *r, int n, int timeout_ms);

int64_t jt_now_ms(void);
int jt_path_exists(const char *path);

/* Submits the long job on a started one-worker pool and waits until it
 * runs, so later submissions stay QUEUED until it is cancelled. */
void jt_occupy_worker(jt_fixture *f, char *job_id, size_t size);

#endif
