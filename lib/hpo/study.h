/* lib/hpo/study.h — a hyperparameter optimisation study: ask, evaluate, tell.
 *
 * The caller drives the loop:
 *
 *     while (aia_hpo_study_ask(study, &trial, params, &err) == AIA_OK) {
 *         ... train with params, maybe report intermediate scores and stop
 *             early when aia_hpo_study_should_prune() says so ...
 *         aia_hpo_study_tell(study, trial, score, &err);
 *     }
 *
 * ask() stops with AIA_OUT_OF_RANGE once max_trials trials were asked and
 * with AIA_DEADLINE_EXCEEDED once the time budget (CLOCK_MONOTONIC, counted
 * from the study's creation) is spent; aia_hpo_study_should_stop() answers
 * the same question without asking.
 *
 * Trial 0 is always the caller's default hyperparameters (like Optuna's
 * enqueue_trial), whatever the sampler. Later trials come from the sampler:
 *   - random: each parameter independently uniform (log-uniform when log);
 *   - TPE (Optuna's TPESampler, independent/univariate by default): random
 *     until n_startup_trials trials are complete or pruned, then for each
 *     parameter a Parzen estimator l(x) over the best gamma(n) =
 *     min(ceil(0.1 n), 25) trials and g(x) over the rest; n_ei_candidates
 *     draws from l(x), keeping the one with the largest l(x)/g(x). Pruned
 *     trials count as observations ranked after every complete trial (those
 *     that got further first, then by their last intermediate value);
 *     failed trials are ignored; running trials are ignored unless
 *     constant_liar puts them with the bad ones.
 * Median pruning (Optuna's MedianPruner): once n_startup_trials trials are
 * complete, a trial whose best intermediate value is worse than the median
 * of the complete trials' values at its latest step should be pruned.
 *
 * Determinism: each trial draws from its own random stream,
 * aia_rng_derive(seed, k), so trial k's parameters are a function of the
 * seed, k and the trials already finished (and, with constant_liar, those running) when k
 * is asked. Asked and told one at a time, a study replays exactly for a
 * seed. With parallel trials, what a trial sees depends on which others had
 * finished, so results depend on completion order. To stay deterministic
 * with parallel workers, ask in rounds: ask a batch of trials from one
 * thread, evaluate them in parallel, tell them all, then ask the next batch
 * (the order of the tells within a round does not matter: the samplers
 * order trials by number, never by arrival). aia_hpo_optimize() in
 * optimize.h runs either way on worker threads.
 *
 * Thread-safety: every function taking a study may be called from any
 * number of threads at once; one mutex inside the study serialises them
 * (ask holds it while sampling, which for TPE is O(trials x candidates) per
 * parameter, small next to training a model). aia_hpo_study_free must not
 * race with other calls.
 *
 * Ownership: aia_hpo_study_new copies the space, the defaults and the
 * config; the caller keeps and frees its own. Parameter arrays passed out
 * are caller-provided, with room for aia_hpo_space_size() values.
 *
 * Errors: AIA_INVALID_ARGUMENT for bad arguments (named), AIA_NOT_FOUND for
 * a trial number never asked, AIA_FAILED_PRECONDITION for telling or
 * reporting to a trial that already finished, AIA_RESOURCE_EXHAUSTED when
 * out of memory; the study is unchanged after any error.
 */
#ifndef AIA_HPO_STUDY_H
#define AIA_HPO_STUDY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/base/status.h"
#include "lib/hpo/space.h"

typedef enum aia_hpo_direction {
    AIA_HPO_MINIMIZE = 0,
    AIA_HPO_MAXIMIZE = 1,
} aia_hpo_direction;

typedef enum aia_hpo_sampler {
    AIA_HPO_SAMPLER_TPE = 0,
    AIA_HPO_SAMPLER_RANDOM = 1,
} aia_hpo_sampler;

typedef enum aia_hpo_trial_state {
    AIA_HPO_TRIAL_RUNNING = 0,
    AIA_HPO_TRIAL_COMPLETE = 1,
    AIA_HPO_TRIAL_PRUNED = 2,
    AIA_HPO_TRIAL_FAILED = 3,
} aia_hpo_trial_state;

/* TPE settings; aia_hpo_study_config_default() sets Optuna's defaults. */
typedef struct aia_hpo_tpe_options {
    size_t n_startup_trials;  /* 10: random trials first (complete + pruned) */
    size_t n_ei_candidates;   /* 24: draws from l(x) per parameter, >= 1 */
    double prior_weight;      /* 1.0: weight of the prior kernel, >= 0 */
    bool consider_magic_clip; /* true: sigma >= range / min(100, 1 + kernels) */
    bool consider_endpoints;  /* false: edge kernels take their inner gap */
    bool multivariate;        /* false: one estimator per parameter (Optuna
                                 4.x's default; Optuna 5 made joint the default) */
    bool constant_liar;       /* false: running trials are ignored; true: they
                                 count among the bad ones, spreading parallel asks */
} aia_hpo_tpe_options;

/* Median pruner settings (Optuna's MedianPruner defaults in comments). */
typedef struct aia_hpo_pruner_options {
    size_t n_startup_trials; /* 5: never prune before this many trials are complete */
    int64_t n_warmup_steps;  /* 0: never prune a trial before this step */
    int64_t interval_steps;  /* 1: check every interval_steps after the warm-up, >= 1 */
} aia_hpo_pruner_options;

typedef struct aia_hpo_study_config {
    aia_hpo_direction direction; /* minimize */
    uint64_t seed;               /* 0 */
    aia_hpo_sampler sampler;     /* TPE */
    aia_hpo_tpe_options tpe;
    aia_hpo_pruner_options pruner;
    size_t max_trials;     /* 0: no limit; else ask() stops after this many trials */
    int64_t time_budget_ns; /* 0: no limit; else ask() stops this long after creation */
    /* The clock for the time budget, in nanoseconds: NULL means CLOCK_MONOTONIC
     * (aia_time_mono_ns). Tests pass their own to move time by hand. */
    int64_t (*clock_ns)(void *ctx);
    void *clock_ctx;
} aia_hpo_study_config;

typedef struct aia_hpo_study aia_hpo_study;

/* Fills *cfg with the defaults above. */
void aia_hpo_study_config_default(aia_hpo_study_config *cfg);

/* Creates a study over `space` (copied; at least one parameter) whose trial
 * 0 will be `defaults` (copied; one value per parameter, checked against the
 * space). AIA_INVALID_ARGUMENT names the bad setting or default value. */
aia_status aia_hpo_study_new(const aia_hpo_space *space, const aia_hpo_value *defaults,
                             const aia_hpo_study_config *cfg, aia_hpo_study **out,
                             aia_error *err);

/* Frees the study. NULL is a no-op. */
void aia_hpo_study_free(aia_hpo_study *study);

/* The study's own copy of the space (to read parameters by name); valid
 * until the study is freed. */
const aia_hpo_space *aia_hpo_study_space(const aia_hpo_study *study);

/* Starts a trial: its number in *trial and its parameters in `params` (room
 * for aia_hpo_space_size() values). AIA_OUT_OF_RANGE when max_trials were
 * already asked, AIA_DEADLINE_EXCEEDED when the time budget is spent. */
aia_status aia_hpo_study_ask(aia_hpo_study *study, size_t *trial, aia_hpo_value *params,
                             aia_error *err);

/* Finishes a running trial with its objective value (not NaN: a trial that
 * produced no number should be told failed). */
aia_status aia_hpo_study_tell(aia_hpo_study *study, size_t trial, double value, aia_error *err);
/* Finishes a running trial as pruned; its intermediate values are kept. */
aia_status aia_hpo_study_tell_pruned(aia_hpo_study *study, size_t trial, aia_error *err);
/* Finishes a running trial as failed; samplers ignore it from then on. */
aia_status aia_hpo_study_tell_failed(aia_hpo_study *study, size_t trial, aia_error *err);

/* Records a running trial's intermediate value at `step` (>= 0), e.g. the
 * validation score after `step` boosting rounds. NaN is accepted (a trial
 * whose values are all NaN is pruned). AIA_ALREADY_EXISTS when the step was
 * already reported (the first value stands). */
aia_status aia_hpo_study_report(aia_hpo_study *study, size_t trial, int64_t step, double value,
                                aia_error *err);

/* Whether the median rule says to prune the running `trial` now, judged at
 * its latest reported step. Does not change the trial: the caller stops it
 * and calls aia_hpo_study_tell_pruned(). */
aia_status aia_hpo_study_should_prune(aia_hpo_study *study, size_t trial, bool *prune,
                                      aia_error *err);

/* True once max_trials trials were asked or the time budget is spent. */
bool aia_hpo_study_should_stop(aia_hpo_study *study);

/* True when the study has max_trials or a time budget, so that a loop
 * asking until ask() refuses is bound to end. */
bool aia_hpo_study_is_bounded(const aia_hpo_study *study);

/* Number of trials asked so far. */
size_t aia_hpo_study_trial_count(aia_hpo_study *study);

/* A trial's state, value (NaN unless complete) and, when `params` is not
 * NULL, its parameters. AIA_NOT_FOUND for a number never asked. */
aia_status aia_hpo_study_get_trial(aia_hpo_study *study, size_t trial, aia_hpo_trial_state *state,
                                   double *value, aia_hpo_value *params, aia_error *err);

/* The best complete trial (lowest value when minimising, highest when
 * maximising; the earliest on ties). AIA_NOT_FOUND when none is complete.
 * `params` may be NULL. */
aia_status aia_hpo_study_best(aia_hpo_study *study, size_t *trial, double *value,
                              aia_hpo_value *params, aia_error *err);

#endif
