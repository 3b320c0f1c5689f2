/* lib/hpo/optimize.c — see optimize.h.
 *
 * One runner is shared by every worker: the objective and the study, plus
 * the tallies and the first study error under the runner's own mutex (the
 * study has its own). A worker that sees `stop` starts no new trial; trials
 * already asked are always evaluated and told, so none is left running.
 */
#include "lib/hpo/optimize.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define MAX_THREADS 1024

typedef struct runner {
    aia_hpo_study *study;
    aia_hpo_objective objective;
    void *ctx;
    pthread_mutex_t mu;
    aia_hpo_optimize_result result;
    aia_status first;     /* the first study error, AIA_OK while none */
    aia_error first_error;
    bool stop;
} runner;

/* A trial's parameters and number, one per worker. */
typedef struct slot {
    runner *r;
    size_t trial;
    aia_hpo_value *params;
    pthread_t thread;
    bool started;
} slot;

static void note_study_error(runner *r, aia_status st, const aia_error *e)
{
    pthread_mutex_lock(&r->mu);
    if (r->first == AIA_OK) {
        r->first = st;
        r->first_error = *e;
    }
    r->stop = true;
    pthread_mutex_unlock(&r->mu);
}

static bool stopping(runner *r)
{
    pthread_mutex_lock(&r->mu);
    bool stop = r->stop;
    pthread_mutex_unlock(&r->mu);
    return stop;
}

/* Evaluates one asked trial and tells the study how it ended. */
static void run_trial(runner *r, size_t trial, const aia_hpo_value *params)
{
    double value = NAN;
    aia_error oerr;
    aia_error_clear(&oerr);
    aia_status st = r->objective(r->ctx, r->study, trial, params, &value, &oerr);
    if (st == AIA_OK && isnan(value))
        st = aia_error_set(&oerr, AIA_INVALID_ARGUMENT,
                           "hpo optimize: the objective returned NaN for trial %zu", trial);

    aia_error terr;
    aia_status told;
    pthread_mutex_lock(&r->mu);
    if (st == AIA_OK) {
        r->result.n_complete++;
    } else if (st == AIA_ABORTED) {
        r->result.n_pruned++;
    } else {
        r->result.n_failed++;
        if (oerr.code == AIA_OK) oerr.code = st; /* an objective that set no message */
        r->result.last_failure = oerr;
    }
    pthread_mutex_unlock(&r->mu);
    if (st == AIA_OK) told = aia_hpo_study_tell(r->study, trial, value, &terr);
    else if (st == AIA_ABORTED) told = aia_hpo_study_tell_pruned(r->study, trial, &terr);
    else told = aia_hpo_study_tell_failed(r->study, trial, &terr);
    if (told != AIA_OK) note_study_error(r, told, &terr);
}

/* Asks for a trial; false when the budget is spent or the study failed. */
static bool ask(runner *r, slot *s)
{
    aia_error e;
    aia_status st = aia_hpo_study_ask(r->study, &s->trial, s->params, &e);
    if (st == AIA_OK) return true;
    if (st != AIA_OUT_OF_RANGE && st != AIA_DEADLINE_EXCEEDED) note_study_error(r, st, &e);
    return false;
}

static void *free_worker(void *arg)
{
    slot *s = arg;
    while (!stopping(s->r) && ask(s->r, s)) run_trial(s->r, s->trial, s->params);
    return NULL;
}

static void *round_worker(void *arg)
{
    slot *s = arg;
    run_trial(s->r, s->trial, s->params);
    return NULL;
}

static void run_free(runner *r, slot *slots, size_t n)
{
    for (size_t k = 1; k < n; k++)
        slots[k].started = pthread_create(&slots[k].thread, NULL, free_worker, &slots[k]) == 0;
    free_worker(&slots[0]);
    for (size_t k = 1; k < n; k++)
        if (slots[k].started) pthread_join(slots[k].thread, NULL);
}

static void run_rounds(runner *r, slot *slots, size_t n)
{
    for (;;) {
        size_t asked = 0;
        while (asked < n && !stopping(r) && ask(r, &slots[asked])) asked++;
        for (size_t k = 1; k < asked; k++)
            slots[k].started =
                pthread_create(&slots[k].thread, NULL, round_worker, &slots[k]) == 0;
        if (asked > 0) round_worker(&slots[0]);
        for (size_t k = 1; k < asked; k++) {
            if (slots[k].started) pthread_join(slots[k].thread, NULL);
            else round_worker(&slots[k]); /* no thread: evaluate it here */
        }
        if (asked < n) return; /* the budget ran out or the study failed */
    }
}

aia_status aia_hpo_optimize(aia_hpo_study *study, aia_hpo_objective objective, void *ctx,
                            const aia_hpo_optimize_options *opt, aia_hpo_optimize_result *result,
                            aia_error *err)
{
    if (!study || !objective || !opt)
        return aia_error_set(err, AIA_INVALID_ARGUMENT,
                             "hpo optimize: study, objective and options must not be NULL");
    if (opt->n_threads < 1 || opt->n_threads > MAX_THREADS)
        return aia_error_set(err, AIA_INVALID_ARGUMENT,
                             "hpo optimize: n_threads must be in [1, %d], got %zu", MAX_THREADS,
                             opt->n_threads);
    if (!aia_hpo_study_is_bounded(study))
        return aia_error_set(err, AIA_INVALID_ARGUMENT,
                             "hpo optimize: the study has neither max_trials nor a time budget, "
                             "so the loop would never end");
    size_t n = opt->n_threads, n_params = aia_hpo_space_size(aia_hpo_study_space(study));
    slot *slots = calloc(n, sizeof(*slots));
    aia_hpo_value *params = calloc(n * n_params, sizeof(*params));
    if (!slots || !params) {
        free(slots);
        free(params);
        return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "hpo optimize: out of memory");
    }
    runner r = {.study = study, .objective = objective, .ctx = ctx, .first = AIA_OK};
    aia_error_clear(&r.result.last_failure);
    pthread_mutex_init(&r.mu, NULL);
    for (size_t k = 0; k < n; k++) {
        slots[k].r = &r;
        slots[k].params = params + k * n_params;
    }
    if (opt->deterministic) run_rounds(&r, slots, n);
    else run_free(&r, slots, n);
    pthread_mutex_destroy(&r.mu);
    free(slots);
    free(params);
    if (result) *result = r.result;
    if (r.first != AIA_OK) {
        if (err) *err = r.first_error;
        return r.first;
    }
    return AIA_OK;
}
