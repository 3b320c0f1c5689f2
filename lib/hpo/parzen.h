/* lib/hpo/parzen.h — internal: the Parzen estimator TPE builds l(x) and g(x)
 * from. Not part of the public API.
 *
 * A mixture of product kernels over one or more parameters ("dims"): one
 * kernel per observation plus a prior kernel, as in Optuna's
 * _ParzenEstimator. Numerical parameters get truncated normal kernels in
 * the parameter's own scale (log scale when log; int ranges widened by half
 * a step on each side so the end values get a full bin); categorical
 * parameters get a per-kernel distribution over the choices that favours
 * the observed one. Values in and out are in the internal representation of
 * trial.h (integers and choice indices as doubles).
 *
 * Memory comes from the caller's arena; nothing is freed separately. An
 * estimator is used by one thread at a time (log_pdf writes its scratch).
 */
#ifndef AIA_HPO_PARZEN_H
#define AIA_HPO_PARZEN_H

#include <stddef.h>

#include "lib/base/arena.h"
#include "lib/base/rng.h"
#include "lib/base/status.h"
#include "lib/hpo/space.h"
#include "lib/hpo/study.h"

typedef struct hpo_parzen_dim {
    const aia_hpo_param *param;
    double step;      /* int step, 0 for float; unused for categorical */
    double low, high; /* numerical: the kernel-space bounds kernels are truncated to */
    double *mu;       /* numerical: per kernel, in kernel space */
    double *sigma;    /* numerical: per kernel */
    double *log_mass; /* numerical: per kernel, log of its normal mass inside [low, high] */
    double *log_p;    /* categorical: n_kernels x n_choices log probabilities */
} hpo_parzen_dim;

typedef struct hpo_parzen {
    size_t n_kernels, n_dims;
    double *weights;     /* normalised kernel weights */
    double *log_weights; /* their logs */
    hpo_parzen_dim *dims;
    double *scratch; /* n_kernels terms for hpo_parzen_log_pdf */
} hpo_parzen;

/* Optuna's default_weights(n): 1 for n < 25; otherwise a ramp from 1/n to 1
 * over the n - 25 oldest observations and 1 for the newest 25. */
void hpo_parzen_default_weights(size_t n, double *out);

/* Builds the estimator over `n_dims` parameters from `n_obs` observations
 * (row-major n_obs x n_dims, internal representation, ordered oldest
 * first). AIA_RESOURCE_EXHAUSTED when the arena runs out. */
aia_status hpo_parzen_build(hpo_parzen *pe, aia_arena *arena, const aia_hpo_param *const *params,
                            size_t n_dims, const double *obs, size_t n_obs,
                            const aia_hpo_tpe_options *opt, aia_error *err);

/* One draw (n_dims values, internal representation, on the parameters'
 * grids and inside their bounds). */
void hpo_parzen_sample(const hpo_parzen *pe, aia_rng *rng, double *out);

/* log density (log probability for discrete parameters) at x. */
double hpo_parzen_log_pdf(const hpo_parzen *pe, const double *x);

/* log(Phi(b) - Phi(a)) for a <= b, accurate far into either tail. */
double hpo_log_gauss_mass(double a, double b);

#endif
