/* lib/hpo/pruner.c — the median stopping rule, after Optuna's MedianPruner
 * (a PercentilePruner at 50): prune a trial whose best intermediate value
 * so far is worse than the median of the complete trials' values at the
 * trial's latest step. Nothing is pruned until n_startup_trials trials are
 * complete, before n_warmup_steps, or between checks when interval_steps
 * > 1; a step no complete trial reported cannot be judged and is let pass.
 */
#include <math.h>
#include <stdlib.h>

#include "lib/hpo/sampler.h"

static int compare_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* The median of the complete trials' non-NaN values at `step` (NaN when
 * there are none); `vals` has room for n_trials values. */
static double median_at(const hpo_trial *trials, size_t n_trials, int64_t step, double *vals)
{
    size_t n = 0;
    for (size_t i = 0; i < n_trials; i++) {
        if (trials[i].state != AIA_HPO_TRIAL_COMPLETE) continue;
        const double *v = hpo_trial_value_at(&trials[i], step);
        if (v && !isnan(*v)) vals[n++] = *v;
    }
    double m = NAN;
    if (n > 0) {
        qsort(vals, n, sizeof(double), compare_double);
        m = n % 2 ? vals[n / 2] : 0.5 * (vals[n / 2 - 1] + vals[n / 2]);
    }
    return m;
}

/* Optuna checks once per interval: at the first report at or after each
 * warm-up + k * interval step, i.e. when the previous report was before it. */
static bool is_check_step(const hpo_trial *t, const aia_hpo_pruner_options *opt)
{
    int64_t step = t->steps[t->n_steps - 1];
    int64_t since = step - opt->n_warmup_steps;
    int64_t boundary = since / opt->interval_steps * opt->interval_steps + opt->n_warmup_steps;
    int64_t previous = t->n_steps >= 2 ? t->steps[t->n_steps - 2] : -1;
    return previous < boundary;
}

static double best_so_far(const hpo_trial *t, aia_hpo_direction dir)
{
    double best = NAN;
    for (size_t i = 0; i < t->n_steps; i++) {
        double v = t->step_values[i];
        if (isnan(v)) continue;
        if (isnan(best) || (dir == AIA_HPO_MAXIMIZE ? v > best : v < best)) best = v;
    }
    return best;
}

static bool should_prune(const aia_hpo_pruner_options *opt, aia_hpo_direction dir,
                         const hpo_trial *trials, size_t n_trials, size_t number, double *vals)
{
    size_t n_complete = 0;
    for (size_t i = 0; i < n_trials; i++) n_complete += trials[i].state == AIA_HPO_TRIAL_COMPLETE;
    if (n_complete == 0 || n_complete < opt->n_startup_trials) return false;
    const hpo_trial *t = &trials[number];
    if (t->n_steps == 0) return false;
    int64_t step = t->steps[t->n_steps - 1];
    if (step < opt->n_warmup_steps || !is_check_step(t, opt)) return false;
    double best = best_so_far(t, dir);
    if (isnan(best)) return true; /* nothing but NaN so far */
    double median = median_at(trials, n_trials, step, vals);
    if (isnan(median)) return false;
    return dir == AIA_HPO_MAXIMIZE ? best < median : best > median;
}

aia_status hpo_median_should_prune(const aia_hpo_pruner_options *opt, aia_hpo_direction dir,
                                   const hpo_trial *trials, size_t n_trials, size_t number,
                                   aia_arena *arena, bool *prune, aia_error *err)
{
    double *vals = aia_arena_alloc(arena, (n_trials + 1) * sizeof(double));
    if (!vals) return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "median pruner: out of memory");
    *prune = should_prune(opt, dir, trials, n_trials, number, vals);
    return AIA_OK;
}
