/* lib/hpo/study.c — see study.h.
 *
 * The study is the trials array plus a mutex. Trial k lives at index k, so
 * a trial number is its own lookup key and every sampler walks trials in
 * number order. Each trial draws from its own random stream,
 * aia_rng_derive(seed, k), so what trial k gets does not depend on how many
 * numbers other trials consumed, only on what they reported.
 * Sampler scratch memory comes from one arena, reset after each call.
 */
#include "lib/hpo/study.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "lib/base/arena.h"
#include "lib/base/rng.h"
#include "lib/base/timeutil.h"
#include "lib/hpo/sampler.h"
#include "lib/hpo/trial.h"

struct aia_hpo_study {
    pthread_mutex_t mu;
    aia_hpo_space *space;
    size_t n_params;
    aia_hpo_value *defaults;
    aia_hpo_study_config cfg;
    int64_t start_ns;
    hpo_trial *trials;
    size_t n_trials, cap_trials;
    aia_arena scratch;
};

void aia_hpo_study_config_default(aia_hpo_study_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->direction = AIA_HPO_MINIMIZE;
    cfg->sampler = AIA_HPO_SAMPLER_TPE;
    cfg->tpe.n_startup_trials = 10;
    cfg->tpe.n_ei_candidates = 24;
    cfg->tpe.prior_weight = 1.0;
    cfg->tpe.consider_magic_clip = true;
    cfg->tpe.consider_endpoints = false;
    cfg->tpe.multivariate = false;
    cfg->tpe.constant_liar = false;
    cfg->pruner.n_startup_trials = 5;
    cfg->pruner.n_warmup_steps = 0;
    cfg->pruner.interval_steps = 1;
}

static aia_status check_config(const aia_hpo_study_config *c, aia_error *err)
{
    if (c->direction != AIA_HPO_MINIMIZE && c->direction != AIA_HPO_MAXIMIZE)
        return aia_error_set(err, AIA_INVALID_ARGUMENT,
            "hpo study: direction %d is neither minimize nor maximize", (int)c->direction);
    if (c->sampler != AIA_HPO_SAMPLER_TPE && c->sampler != AIA_HPO_SAMPLER_RANDOM)
        return aia_error_set(err, AIA_INVALID_ARGUMENT,
            "hpo study: sampler %d is neither TPE nor random", (int)c->sampler);
    if (c->tpe.n_ei_candidates < 1 || c->tpe.n_ei_candidates > 100000)
        return aia_error_set(err, AIA_INVALID_ARGUMENT,
            "hpo study: tpe.n_ei_candidates must be in [1, 100000], got %zu",
            c->tpe.n_ei_candidates);
    if (!(c->tpe.prior_weight >= 0) || !isfinite(c->tpe.prior_weight))
        return aia_error_set(err, AIA_INVALID_ARGUMENT,
            "hpo study: tpe.prior_weight must be finite and >= 0, got %g", c->tpe.prior_weight);
    if (c->pruner.n_warmup_steps < 0)
        return aia_error_set(err, AIA_INVALID_ARGUMENT,
            "hpo study: pruner.n_warmup_steps must be >= 0, got %lld",
            (long long)c->pruner.n_warmup_steps);
    if (c->pruner.interval_steps < 1)
        return aia_error_set(err, AIA_INVALID_ARGUMENT,
            "hpo study: pruner.interval_steps must be >= 1, got %lld",
            (long long)c->pruner.interval_steps);
    if (c->time_budget_ns < 0)
        return aia_error_set(err, AIA_INVALID_ARGUMENT,
            "hpo study: time_budget_ns must be >= 0 (0: no budget), got %lld",
            (long long)c->time_budget_ns);
    return AIA_OK;
}

static int64_t now_ns(const aia_hpo_study *s)
{
    return s->cfg.clock_ns ? s->cfg.clock_ns(s->cfg.clock_ctx) : aia_time_mono_ns();
}

aia_status aia_hpo_study_new(const aia_hpo_space *space, const aia_hpo_value *defaults,
                             const aia_hpo_study_config *cfg, aia_hpo_study **out,
                             aia_error *err)
{
    if (!space || !defaults || !cfg || !out)
        return aia_error_set(err, AIA_INVALID_ARGUMENT,
            "hpo study: space, defaults, config and out must not be NULL");
    size_t n = aia_hpo_space_size(space);
    if (n == 0)
        return aia_error_set(err, AIA_INVALID_ARGUMENT,
            "hpo study: the search space has no parameters");
    aia_status st = check_config(cfg, err);
    if (st != AIA_OK) return st;
    st = aia_hpo_space_check(space, defaults, err);
    if (st != AIA_OK) {
        aia_error_prefix(err, "hpo study: default hyperparameters (trial 0)");
        return st;
    }
    aia_hpo_study *s = calloc(1, sizeof(*s));
    if (!s) return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "hpo study: out of memory");
    s->defaults = malloc(n * sizeof(*s->defaults));
    if (!s->defaults) {
        free(s);
        return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "hpo study: out of memory");
    }
    st = aia_hpo_space_clone(space, &s->space, err);
    if (st != AIA_OK) {
        free(s->defaults);
        free(s);
        return st;
    }
    memcpy(s->defaults, defaults, n * sizeof(*defaults));
    s->n_params = n;
    s->cfg = *cfg;
    pthread_mutex_init(&s->mu, NULL);
    aia_arena_init(&s->scratch, 64 * 1024);
    s->start_ns = now_ns(s);
    *out = s;
    return AIA_OK;
}

void aia_hpo_study_free(aia_hpo_study *s)
{
    if (!s) return;
    for (size_t i = 0; i < s->n_trials; i++) {
        free(s->trials[i].params);
        free(s->trials[i].steps);
        free(s->trials[i].step_values);
    }
    free(s->trials);
    free(s->defaults);
    aia_hpo_space_free(s->space);
    aia_arena_destroy(&s->scratch);
    pthread_mutex_destroy(&s->mu);
    free(s);
}

const aia_hpo_space *aia_hpo_study_space(const aia_hpo_study *s)
{
    return s ? s->space : NULL;
}

/* Why ask() should refuse, or AIA_OK; called with the mutex held. */
static aia_status stop_reason(const aia_hpo_study *s, aia_error *err)
{
    if (s->cfg.max_trials && s->n_trials >= s->cfg.max_trials)
        return aia_error_set(err, AIA_OUT_OF_RANGE,
            "hpo study: all %zu trials (max_trials) were asked", s->cfg.max_trials);
    if (s->cfg.time_budget_ns) {
        int64_t spent = now_ns(s) - s->start_ns;
        if (spent >= s->cfg.time_budget_ns)
            return aia_error_set(err, AIA_DEADLINE_EXCEEDED,
                "hpo study: the time budget of %.3f s is spent (%.3f s since the study began)",
                (double)s->cfg.time_budget_ns / 1e9, (double)spent / 1e9);
    }
    return AIA_OK;
}

/* The parameters of trial `number` (== s->n_trials), with the mutex held. */
static aia_status sample(aia_hpo_study *s, size_t number, aia_hpo_value *params, aia_error *err)
{
    if (number == 0) {
        memcpy(params, s->defaults, s->n_params * sizeof(*params));
        return AIA_OK;
    }
    aia_rng rng;
    aia_rng_derive(&rng, s->cfg.seed, number);
    if (s->cfg.sampler == AIA_HPO_SAMPLER_TPE &&
        hpo_tpe_finished(s->trials, s->n_trials) >= s->cfg.tpe.n_startup_trials) {
        aia_status st = hpo_tpe_sample(s->space, &s->cfg.tpe, s->cfg.direction, s->trials,
                                       s->n_trials, number, &rng, &s->scratch, params, err);
        aia_arena_reset(&s->scratch);
        return st;
    }
    for (size_t j = 0; j < s->n_params; j++)
        params[j] = hpo_random_sample(aia_hpo_space_param(s->space, j), &rng);
    return AIA_OK;
}

static aia_status ask_locked(aia_hpo_study *s, size_t *trial, aia_hpo_value *params,
                             aia_error *err)
{
    aia_status st = stop_reason(s, err);
    if (st != AIA_OK) return st;
    if (s->n_trials == s->cap_trials) {
        size_t cap = s->cap_trials ? s->cap_trials * 2 : 64;
        hpo_trial *t = realloc(s->trials, cap * sizeof(*t));
        if (!t) return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "hpo study: out of memory");
        s->trials = t;
        s->cap_trials = cap;
    }
    hpo_trial t = {.state = AIA_HPO_TRIAL_RUNNING, .value = NAN};
    t.params = malloc(s->n_params * sizeof(*t.params));
    if (!t.params) return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "hpo study: out of memory");
    size_t number = s->n_trials;
    st = sample(s, number, t.params, err);
    if (st != AIA_OK) {
        free(t.params);
        return st;
    }
    s->trials[s->n_trials++] = t;
    memcpy(params, t.params, s->n_params * sizeof(*params));
    *trial = number;
    return AIA_OK;
}

aia_status aia_hpo_study_ask(aia_hpo_study *s, size_t *trial, aia_hpo_value *params,
                             aia_error *err)
{
    if (!s || !trial || !params)
        return aia_error_set(err, AIA_INVALID_ARGUMENT,
            "hpo study: ask needs a study, a trial and a params array");
    pthread_mutex_lock(&s->mu);
    aia_status st = ask_locked(s, trial, params, err);
    pthread_mutex_unlock(&s->mu);
    return st;
}

static const char *state_name(aia_hpo_trial_state st)
{
    switch (st) {
    case AIA_HPO_TRIAL_RUNNING: return "running";
    case AIA_HPO_TRIAL_COMPLETE: return "complete";
    case AIA_HPO_TRIAL_PRUNED: return "pruned";
    case AIA_HPO_TRIAL_FAILED: return "failed";
    }
    return "unknown";
}

/* The running trial `number`, or an error saying why not; mutex held. */
static aia_status running_trial(aia_hpo_study *s, size_t number, const char *what,
                                hpo_trial **out, aia_error *err)
{
    if (number >= s->n_trials)
        return aia_error_set(err, AIA_NOT_FOUND,
            "hpo study: %s: trial %zu was never asked (%zu trials so far)",
            what, number, s->n_trials);
    hpo_trial *t = &s->trials[number];
    if (t->state != AIA_HPO_TRIAL_RUNNING)
        return aia_error_set(err, AIA_FAILED_PRECONDITION,
            "hpo study: %s: trial %zu already finished as %s", what, number, state_name(t->state));
    *out = t;
    return AIA_OK;
}

static aia_status finish(aia_hpo_study *s, size_t number, aia_hpo_trial_state state,
                         double value, const char *what, aia_error *err)
{
    if (!s) return aia_error_set(err, AIA_INVALID_ARGUMENT,
        "hpo study: %s: study must not be NULL", what);
    pthread_mutex_lock(&s->mu);
    hpo_trial *t;
    aia_status st = running_trial(s, number, what, &t, err);
    if (st == AIA_OK) {
        t->state = state;
        t->value = value;
    }
    pthread_mutex_unlock(&s->mu);
    return st;
}

aia_status aia_hpo_study_tell(aia_hpo_study *s, size_t trial, double value, aia_error *err)
{
    if (isnan(value))
        return aia_error_set(err, AIA_INVALID_ARGUMENT,
            "hpo study: tell: trial %zu's value is NaN; tell it failed instead", trial);
    return finish(s, trial, AIA_HPO_TRIAL_COMPLETE, value, "tell", err);
}

aia_status aia_hpo_study_tell_pruned(aia_hpo_study *s, size_t trial, aia_error *err)
{
    return finish(s, trial, AIA_HPO_TRIAL_PRUNED, NAN, "tell_pruned", err);
}

aia_status aia_hpo_study_tell_failed(aia_hpo_study *s, size_t trial, aia_error *err)
{
    return finish(s, trial, AIA_HPO_TRIAL_FAILED, NAN, "tell_failed", err);
}

/* Inserts (step, value) keeping steps sorted; mutex held. */
static aia_status insert_step(hpo_trial *t, size_t number, int64_t step, double value,
                              aia_error *err)
{
    if (hpo_trial_value_at(t, step))
        return aia_error_set(err, AIA_ALREADY_EXISTS,
            "hpo study: report: trial %zu already reported step %lld", number, (long long)step);
    if (t->n_steps == t->cap_steps) {
        size_t cap = t->cap_steps ? t->cap_steps * 2 : 16;
        int64_t *steps = realloc(t->steps, cap * sizeof(*steps));
        if (!steps) return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "hpo study: out of memory");
        t->steps = steps;
        double *vals = realloc(t->step_values, cap * sizeof(*vals));
        if (!vals) return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "hpo study: out of memory");
        t->step_values = vals;
        t->cap_steps = cap;
    }
    size_t i = t->n_steps;
    while (i > 0 && t->steps[i - 1] > step) {
        t->steps[i] = t->steps[i - 1];
        t->step_values[i] = t->step_values[i - 1];
        i--;
    }
    t->steps[i] = step;
    t->step_values[i] = value;
    t->n_steps++;
    return AIA_OK;
}

aia_status aia_hpo_study_report(aia_hpo_study *s, size_t trial, int64_t step, double value,
                                aia_error *err)
{
    if (!s) return aia_error_set(err, AIA_INVALID_ARGUMENT,
        "hpo study: report: study must not be NULL");
    if (step < 0)
        return aia_error_set(err, AIA_INVALID_ARGUMENT,
            "hpo study: report: step must be >= 0, got %lld", (long long)step);
    pthread_mutex_lock(&s->mu);
    hpo_trial *t;
    aia_status st = running_trial(s, trial, "report", &t, err);
    if (st == AIA_OK) st = insert_step(t, trial, step, value, err);
    pthread_mutex_unlock(&s->mu);
    return st;
}

aia_status aia_hpo_study_should_prune(aia_hpo_study *s, size_t trial, bool *prune,
                                      aia_error *err)
{
    if (!s || !prune)
        return aia_error_set(err, AIA_INVALID_ARGUMENT,
            "hpo study: should_prune needs a study and an out");
    pthread_mutex_lock(&s->mu);
    hpo_trial *t;
    aia_status st = running_trial(s, trial, "should_prune", &t, err);
    if (st == AIA_OK) {
        st = hpo_median_should_prune(&s->cfg.pruner, s->cfg.direction, s->trials, s->n_trials,
                                     trial, &s->scratch, prune, err);
        aia_arena_reset(&s->scratch);
    }
    pthread_mutex_unlock(&s->mu);
    return st;
}

bool aia_hpo_study_should_stop(aia_hpo_study *s)
{
    if (!s) return true;
    pthread_mutex_lock(&s->mu);
    bool stop = stop_reason(s, NULL) != AIA_OK;
    pthread_mutex_unlock(&s->mu);
    return stop;
}

bool aia_hpo_study_is_bounded(const aia_hpo_study *s)
{
    /* The config never changes after creation, so no lock is needed. */
    return s && (s->cfg.max_trials > 0 || s->cfg.time_budget_ns > 0);
}

size_t aia_hpo_study_trial_count(aia_hpo_study *s)
{
    if (!s) return 0;
    pthread_mutex_lock(&s->mu);
    size_t n = s->n_trials;
    pthread_mutex_unlock(&s->mu);
    return n;
}

aia_status aia_hpo_study_get_trial(aia_hpo_study *s, size_t trial, aia_hpo_trial_state *state,
                                   double *value, aia_hpo_value *params, aia_error *err)
{
    if (!s) return aia_error_set(err, AIA_INVALID_ARGUMENT,
        "hpo study: get_trial: study must not be NULL");
    pthread_mutex_lock(&s->mu);
    aia_status st = AIA_OK;
    if (trial >= s->n_trials) {
        st = aia_error_set(err, AIA_NOT_FOUND,
            "hpo study: get_trial: trial %zu was never asked (%zu trials so far)",
            trial, s->n_trials);
    } else {
        const hpo_trial *t = &s->trials[trial];
        if (state) *state = t->state;
        if (value) *value = t->state == AIA_HPO_TRIAL_COMPLETE ? t->value : NAN;
        if (params) memcpy(params, t->params, s->n_params * sizeof(*params));
    }
    pthread_mutex_unlock(&s->mu);
    return st;
}

aia_status aia_hpo_study_best(aia_hpo_study *s, size_t *trial, double *value,
                              aia_hpo_value *params, aia_error *err)
{
    if (!s) return aia_error_set(err, AIA_INVALID_ARGUMENT,
        "hpo study: best: study must not be NULL");
    pthread_mutex_lock(&s->mu);
    const hpo_trial *best = NULL;
    size_t best_i = 0;
    for (size_t i = 0; i < s->n_trials; i++) {
        const hpo_trial *t = &s->trials[i];
        if (t->state != AIA_HPO_TRIAL_COMPLETE) continue;
        bool better = !best || (s->cfg.direction == AIA_HPO_MAXIMIZE ? t->value > best->value
                                                                     : t->value < best->value);
        if (better) {
            best = t;
            best_i = i;
        }
    }
    aia_status st = AIA_OK;
    if (!best) {
        st = aia_error_set(err, AIA_NOT_FOUND, "hpo study: best: no trial has completed yet");
    } else {
        if (trial) *trial = best_i;
        if (value) *value = best->value;
        if (params) memcpy(params, best->params, s->n_params * sizeof(*params));
    }
    pthread_mutex_unlock(&s->mu);
    return st;
}
