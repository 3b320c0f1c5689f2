/* lib/hpo/sampler.h — internal: the samplers a study draws trials from, and
 * the median pruning rule. Not part of the public API; the study calls all
 * of these under its mutex.
 */
#ifndef AIA_HPO_SAMPLER_H
#define AIA_HPO_SAMPLER_H

#include <stdbool.h>
#include <stddef.h>

#include "lib/base/arena.h"
#include "lib/base/rng.h"
#include "lib/base/status.h"
#include "lib/hpo/space.h"
#include "lib/hpo/study.h"
#include "lib/hpo/trial.h"

/* One parameter drawn uniformly: ints uniform over their grid (log-uniform
 * over [low - 1/2, high + 1/2], then rounded, when log), floats uniform or
 * log-uniform, choices uniform. */
aia_hpo_value hpo_random_sample(const aia_hpo_param *p, aia_rng *rng);

/* Optuna's gamma(n) = min(ceil(0.1 n), 25): how many of n finished trials
 * go into the "good" estimator l(x). */
size_t hpo_tpe_gamma(size_t n);

/* Trials that have finished as complete or pruned: TPE's n. */
size_t hpo_tpe_finished(const hpo_trial *trials, size_t n_trials);

/* Which estimator each trial feeds: side[i] for i < n_trials (trial
 * `number`, the one being asked, is HPO_SIDE_NONE). Complete trials ranked
 * by value, then pruned ones (later last step first, then by last value),
 * fill the gamma(n) "below" places; every other complete or pruned trial is
 * "above", and so are running trials when constant_liar; failed trials (and
 * running ones otherwise) feed neither. Ties go to the lower trial number. */
enum { HPO_SIDE_NONE = 0, HPO_SIDE_BELOW = 1, HPO_SIDE_ABOVE = 2 };
aia_status hpo_tpe_split(const hpo_trial *trials, size_t n_trials, size_t number,
                         aia_hpo_direction dir, const aia_hpo_tpe_options *opt,
                         unsigned char *side, aia_arena *arena, aia_error *err);

/* Draws every parameter of trial `number` by TPE from trials[0..n_trials)
 * (excluding `number` itself) into `out`. Scratch memory from `arena`. */
aia_status hpo_tpe_sample(const aia_hpo_space *space, const aia_hpo_tpe_options *opt,
                          aia_hpo_direction dir, const hpo_trial *trials, size_t n_trials,
                          size_t number, aia_rng *rng, aia_arena *arena, aia_hpo_value *out,
                          aia_error *err);

/* The median rule for trial `number` at its latest step (see study.h), in
 * *prune. Scratch memory from `arena`. */
aia_status hpo_median_should_prune(const aia_hpo_pruner_options *opt, aia_hpo_direction dir,
                                   const hpo_trial *trials, size_t n_trials, size_t number,
                                   aia_arena *arena, bool *prune, aia_error *err);

#endif
