/* lib/drift/numeric_internal.h — helpers shared by the numeric statistics.
 * Not part of the public API. */
#ifndef AIA_DRIFT_NUMERIC_INTERNAL_H
#define AIA_DRIFT_NUMERIC_INTERNAL_H

#include <stddef.h>

#include "lib/base/status.h"
#include "lib/drift/numeric.h"

/* The checks every statistic starts with: ref_sorted is non-empty, finite
 * and ascending; cur is non-empty and has a finite value, which it cleans and
 * sorts in place. Stores the number of finite values of cur in *n_finite. */
aia_status aia_drift_prepare(const double *ref_sorted, size_t n_ref, double *cur, size_t n_cur,
                             size_t *n_finite, aia_error *err);

/* Exact two-sided p-value P(D >= h/lcm(m, n)) of the two-sample statistic
 * for sample sizes m, n with gcd g. Returns a negative value when the
 * computation leaves [0, 1] (the caller then falls back to the asymptotic
 * distribution, as SciPy does). */
double aia_drift_ks_exact_p(long m, long n, long g, long h);

/* The statistics on a clean, sorted `cur` of n2 values (n_nan left 0). */
aia_status aia_drift_ks_sorted(const double *ref_sorted, size_t n_ref, const double *cur,
                               size_t n2, aia_ks_result *out, aia_error *err);
void aia_drift_wasserstein_sorted(const double *ref_sorted, size_t n_ref, const double *cur,
                                  size_t n2, aia_wasserstein_result *out);
aia_status aia_drift_psi_options_check(const aia_psi_options *opt, int *bins,
                                       aia_psi_binning *how, aia_error *err);
void aia_drift_psi_sorted(const double *ref_sorted, size_t n_ref, const double *cur, size_t n2,
                          int bins, aia_psi_binning how, aia_psi_result *out);

#endif
