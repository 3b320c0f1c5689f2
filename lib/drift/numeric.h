/* lib/drift/numeric.h — two-sample drift statistics for numeric columns:
 * Kolmogorov–Smirnov, Wasserstein-1 (plain and normed) and the Population
 * Stability Index, each matched to SciPy / Evidently (tests/unit/drift,
 * fixtures made by tests/data/drift/make_numeric_fixtures.py).
 *
 * A reference sample is cleaned and sorted once (aia_drift_sort_clean) and
 * then reused, read-only, for every current window. A current window is
 * passed as a plain double array that the function cleans and sorts in place
 * (values that are not finite are moved out of the way and counted).
 *
 * Non-finite values: NaN, +inf and -inf are all dropped and counted in
 * `n_nan` (SciPy would propagate NaN or inf; a drift monitor wants the
 * statistic of the values it has, plus the count of those it could not use).
 *
 * Allocation: aia_drift_sort_clean allocates (and frees) a scratch buffer of
 * n doubles for its radix sort, unless the finite values are already in
 * ascending order. The statistics call it on `cur`, so they allocate that
 * scratch too (never when `cur` is already clean and sorted). The KS p-value
 * also allocates, and frees before returning, a lattice column of at most
 * min(n_ref, n_cur) + 1 doubles (exact case), or matrices of at most
 * 120x120 doubles or rows of at most 2n+2 doubles (asymptotic case, Durbin's
 * and Pomeranz' methods). Everything here is thread-safe (no global state);
 * distinct threads may share one ref_sorted.
 *
 * Errors: AIA_INVALID_ARGUMENT when a sample is empty or has no finite value
 * (the message says which sample and how many values were NaN or infinite),
 * when ref_sorted is not clean and ascending (the message names the index),
 * or when an option is out of range; AIA_RESOURCE_EXHAUSTED when the scratch
 * cannot be allocated. `err` may be NULL.
 */
#ifndef AIA_DRIFT_NUMERIC_H
#define AIA_DRIFT_NUMERIC_H

#include <stddef.h>

#include "lib/base/status.h"

/* Drops non-finite values of x[0..n) (the finite ones are moved to the
 * front), sorts them ascending, and stores their number in *n_finite.
 * AIA_INVALID_ARGUMENT when n is 0 or no value is finite; `what` names the
 * sample in messages ("reference", "current", a column name...). */
aia_status aia_drift_sort_clean(double *x, size_t n, size_t *n_finite, const char *what,
                                aia_error *err);

typedef struct aia_ks_result {
    double statistic; /* sup |F_ref - F_cur| over all values (SciPy's D) */
    double p_value;   /* two-sided */
    int exact;        /* 1 when the p-value is the exact one, 0 asymptotic */
    size_t n_ref;     /* finite values used */
    size_t n_cur;     /* finite values of cur used */
    size_t n_nan;     /* values of cur dropped (NaN or infinite) */
} aia_ks_result;

/* Two-sample Kolmogorov–Smirnov test, as
 * scipy.stats.ks_2samp(ref, cur, alternative="two-sided", method="auto")
 * (SciPy 1.17) on the finite values: the p-value is exact (lattice-path
 * count) when max(n_ref, n_cur) <= 10000 and otherwise kstwo.sf(D, round(
 * n_ref*n_cur/(n_ref+n_cur))), the distribution of the one-sample two-sided
 * statistic; in the exact case D is reported as h/lcm(n_ref, n_cur) like
 * SciPy does. `ref_sorted` is finite and ascending (aia_drift_sort_clean);
 * `cur` is cleaned and sorted in place: on return its first out->n_cur
 * values are the sorted finite ones. */
aia_status aia_drift_ks(const double *ref_sorted, size_t n_ref, double *cur, size_t n_cur,
                        aia_ks_result *out, aia_error *err);

/* The survival function of the one-sample two-sided Kolmogorov–Smirnov
 * statistic D_n, P(D_n >= d), as scipy.stats.kstwo.sf(d, n), with SciPy's
 * choice of method by region. n >= 1; NaN when out of memory. */
double aia_drift_kstwo_sf(double d, long n);

typedef struct aia_wasserstein_result {
    double distance; /* scipy.stats.wasserstein_distance(ref, cur) */
    double normed;   /* distance / max(std(ref, ddof=0), 0.001), as Evidently */
    double ref_std;  /* population standard deviation of the reference */
    size_t n_ref, n_cur, n_nan; /* as in aia_ks_result */
} aia_wasserstein_result;

/* Wasserstein-1 distance between the empirical distributions (the area
 * between the two ECDFs), and the version normed by the reference's
 * population standard deviation floored at 0.001 (Evidently's
 * wasserstein_distance_norm). Arguments as aia_drift_ks. */
aia_status aia_drift_wasserstein(const double *ref_sorted, size_t n_ref, double *cur,
                                 size_t n_cur, aia_wasserstein_result *out, aia_error *err);

typedef enum aia_psi_binning {
    AIA_PSI_QUANTILE = 0,    /* edges at reference quantiles (default) */
    AIA_PSI_EQUAL_WIDTH = 1, /* equal-width edges over [min(ref), max(ref)] */
} aia_psi_binning;

#define AIA_PSI_DEFAULT_BINS 10
#define AIA_PSI_MAX_BINS 1000
/* Proportion used in place of an empty bin's 0 (Evidently's value; see
 * aia_drift_psi for the exception). */
#define AIA_PSI_EMPTY_BIN 0.0001

typedef struct aia_psi_options {
    int bins;                /* 0 = AIA_PSI_DEFAULT_BINS; else 1..AIA_PSI_MAX_BINS */
    aia_psi_binning binning;
} aia_psi_options;

typedef struct aia_psi_result {
    double psi;
    int n_bins; /* after collapsing duplicate edges */
    size_t n_ref, n_cur, n_nan; /* as in aia_ks_result */
} aia_psi_result;

/* Population Stability Index.
 *
 * Edges: with B bins, e_k = the reference's k/B quantile, k = 0..B (linear
 * interpolation, numpy.quantile's default method) for AIA_PSI_QUANTILE, or
 * e_k = min + k*(max-min)/B for AIA_PSI_EQUAL_WIDTH; equal edges are
 * collapsed, leaving K >= 1 bins. A value x falls in bin i when
 * e_i <= x < e_{i+1} for the inner edges, and the outer bins are open:
 * values below e_1 go to the first bin, values >= e_{K-1} to the last
 * (numpy.searchsorted(e[1:-1], x, side="right")), so current values outside
 * the reference's range are counted. (A constant reference gives one bin and
 * PSI 0: use KS or Wasserstein to see a constant column move.)
 *
 * With r_i and c_i the reference and current proportions of bin i,
 *     PSI = sum_i (c_i - r_i) * ln(c_i / r_i),
 * where an empty bin's 0 is replaced as Evidently's get_binned_data does,
 * separately for each sample: by AIA_PSI_EMPTY_BIN (0.0001), or by a
 * millionth of that sample's smallest non-zero proportion when that
 * proportion is itself <= 0.0001. (Evidently's own bins differ: 30
 * equal-width bins over reference and current together.)
 * `opt` may be NULL (10 quantile bins). Arguments as aia_drift_ks. */
aia_status aia_drift_psi(const double *ref_sorted, size_t n_ref, double *cur, size_t n_cur,
                         const aia_psi_options *opt, aia_psi_result *out, aia_error *err);

typedef struct aia_numeric_result {
    aia_ks_result ks;
    aia_wasserstein_result wasserstein;
    aia_psi_result psi;
} aia_numeric_result;

/* All three statistics of one column at once: checks ref_sorted and cleans
 * and sorts `cur` a single time (the cheapest way to run several tests on a
 * window). Same results, conventions and errors as the three functions. */
aia_status aia_drift_numeric(const double *ref_sorted, size_t n_ref, double *cur, size_t n_cur,
                             const aia_psi_options *psi_opt, aia_numeric_result *out,
                             aia_error *err);

#endif
