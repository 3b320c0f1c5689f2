/* lib/hpo/optimize.h — runs a study's ask, evaluate, tell loop on worker
 * threads until the study's trial count or time budget says stop.
 *
 * The objective trains and scores one trial. It may report intermediate
 * values and ask aia_hpo_study_should_prune() through the study it is
 * given, and it ends in one of three ways:
 *   - returns AIA_OK with *value set: the trial is told complete (a NaN
 *     value is told failed instead, as there is nothing to rank);
 *   - returns AIA_ABORTED: it stopped itself because the pruner said so;
 *     the trial is told pruned;
 *   - returns any other status: the trial is told failed, the error is kept
 *     in the result (the last one wins) and the study goes on.
 *
 * Two ways to run in parallel:
 *   - free (deterministic = false): each of n_threads workers asks for the
 *     next trial as soon as it finished the last one. No thread idles, but
 *     what a trial is given depends on which others had finished, so two
 *     runs with the same seed may differ (see study.h).
 *   - rounds (deterministic = true): the calling thread asks n_threads
 *     trials, the workers evaluate them, and every result is told before
 *     the next round is asked. For a seed and a thread count the trials are
 *     the same on every run, whatever the timing; a round lasts as long as
 *     its slowest trial.
 * With n_threads = 1 both are the sequential loop.
 *
 * Thread-safety: the objective runs on several threads at once (one trial
 * each) and must be safe for that; `ctx` is shared by all of them. The
 * study's own functions are thread-safe (study.h).
 *
 * The calling thread is one of the n_threads workers; if the system
 * refuses to start another thread, the run goes on with those it has (the
 * rounds mode then evaluates the round's left-over trials itself, so its
 * results do not change).
 *
 * Errors: AIA_INVALID_ARGUMENT when the study has neither max_trials nor a
 * time budget (the loop would never end) or n_threads is 0 or above 1024;
 * AIA_RESOURCE_EXHAUSTED when out of memory; otherwise the first error the
 * study itself returned (e.g. AIA_FAILED_PRECONDITION when the objective
 * told its own trial), after which no new trial is started. A budget
 * running out is the normal end and gives AIA_OK.
 */
#ifndef AIA_HPO_OPTIMIZE_H
#define AIA_HPO_OPTIMIZE_H

#include <stdbool.h>
#include <stddef.h>

#include "lib/base/status.h"
#include "lib/hpo/space.h"
#include "lib/hpo/study.h"

typedef aia_status (*aia_hpo_objective)(void *ctx, aia_hpo_study *study, size_t trial,
                                        const aia_hpo_value *params, double *value,
                                        aia_error *err);

typedef struct aia_hpo_optimize_options {
    size_t n_threads;   /* >= 1 */
    bool deterministic; /* rounds instead of free-running workers */
} aia_hpo_optimize_options;

typedef struct aia_hpo_optimize_result {
    size_t n_complete, n_pruned, n_failed; /* trials run by this call */
    aia_error last_failure; /* the last objective error; AIA_OK when none */
} aia_hpo_optimize_result;

/* Runs trials of `study` with `objective` until the study stops it.
 * `result` may be NULL. */
aia_status aia_hpo_optimize(aia_hpo_study *study, aia_hpo_objective objective, void *ctx,
                            const aia_hpo_optimize_options *opt, aia_hpo_optimize_result *result,
                            aia_error *err);

#endif
