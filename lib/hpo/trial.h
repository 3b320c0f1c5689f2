/* lib/hpo/trial.h — internal: one trial's record, shared by the study, the
 * TPE sampler and the median pruner. Not part of the public API.
 *
 * A study keeps its trials in an array indexed by trial number; everything
 * here is read and written only under the study's mutex.
 */
#ifndef AIA_HPO_TRIAL_H
#define AIA_HPO_TRIAL_H

#include <stddef.h>
#include <stdint.h>

#include "lib/hpo/space.h"
#include "lib/hpo/study.h"

typedef struct hpo_trial {
    aia_hpo_trial_state state;
    double value;          /* the objective, when COMPLETE */
    aia_hpo_value *params; /* one per space parameter, owned by the trial */
    /* Intermediate values reported for the pruner, kept sorted by step so a
     * step's value is found by binary search. */
    int64_t *steps;
    double *step_values;
    size_t n_steps, cap_steps;
} hpo_trial;

/* The value reported at `step`, or NULL when the trial has none there. */
const double *hpo_trial_value_at(const hpo_trial *t, int64_t step);

/* The internal (real-valued) representation samplers work with: the integer
 * as a double, the float itself, or the choice index. */
double hpo_value_to_internal(const aia_hpo_param *p, aia_hpo_value v);
aia_hpo_value hpo_value_from_internal(const aia_hpo_param *p, double x);

#endif
