/* lib/hpo/random.c — the random sampler, which TPE also uses for its
 * start-up trials. Like Optuna's RandomSampler, an int is uniform over its
 * grid and a log-scale int is drawn log-uniformly over [low - 1/2,
 * high + 1/2] and rounded, so every integer owns an interval of equal
 * log-width around it.
 */
#include <math.h>

#include "lib/hpo/sampler.h"

static int64_t sample_int(const aia_hpo_param *p, aia_rng *rng)
{
    if (!p->log) {
        uint64_t count = (uint64_t)((p->int_high - p->int_low) / p->int_step) + 1;
        return p->int_low + (int64_t)aia_rng_below(rng, count) * p->int_step;
    }
    double lo = log((double)p->int_low - 0.5), hi = log((double)p->int_high + 0.5);
    double x = floor(exp(lo + (hi - lo) * aia_rng_uniform(rng)) + 0.5);
    return (int64_t)fmin(fmax(x, (double)p->int_low), (double)p->int_high);
}

static double sample_float(const aia_hpo_param *p, aia_rng *rng)
{
    double u = aia_rng_uniform(rng), x;
    if (p->log) {
        double lo = log(p->float_low), hi = log(p->float_high);
        x = exp(lo + (hi - lo) * u);
    } else {
        x = p->float_low + (p->float_high - p->float_low) * u;
    }
    return fmin(fmax(x, p->float_low), p->float_high); /* exp/rounding may overshoot */
}

aia_hpo_value hpo_random_sample(const aia_hpo_param *p, aia_rng *rng)
{
    aia_hpo_value v;
    switch (p->type) {
    case AIA_HPO_INT: v.i = sample_int(p, rng); break;
    case AIA_HPO_FLOAT: v.f = sample_float(p, rng); break;
    default: v.choice = (size_t)aia_rng_below(rng, p->n_choices); break;
    }
    return v;
}
