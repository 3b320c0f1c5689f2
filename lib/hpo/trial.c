/* lib/hpo/trial.c — see trial.h. */
#include "lib/hpo/trial.h"

#include <math.h>

const double *hpo_trial_value_at(const hpo_trial *t, int64_t step)
{
    size_t lo = 0, hi = t->n_steps;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (t->steps[mid] < step) lo = mid + 1;
        else hi = mid;
    }
    return lo < t->n_steps && t->steps[lo] == step ? &t->step_values[lo] : NULL;
}

double hpo_value_to_internal(const aia_hpo_param *p, aia_hpo_value v)
{
    switch (p->type) {
    case AIA_HPO_INT: return (double)v.i;
    case AIA_HPO_FLOAT: return v.f;
    default: return (double)v.choice;
    }
}

aia_hpo_value hpo_value_from_internal(const aia_hpo_param *p, double x)
{
    aia_hpo_value v;
    switch (p->type) {
    case AIA_HPO_INT: v.i = (int64_t)llround(x); break;
    case AIA_HPO_FLOAT: v.f = x; break;
    default: v.choice = (size_t)x; break;
    }
    return v;
}
