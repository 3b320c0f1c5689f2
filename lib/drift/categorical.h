/* lib/drift/categorical.h — drift statistics for categorical and binary
 * columns, matched to SciPy as Evidently and Vertex AI use them.
 *
 * Inputs are category counts, not rows: the caller counts each side over the
 * union of the categories it saw and passes two arrays of the same length,
 * ref_counts[i] and cur_counts[i] being the counts of category i (NaN/missing
 * values are the caller's to drop and report, as Evidently drops them; note
 * that Evidently's chi-square scales by row counts that still include NaNs,
 * which SciPy (1.17 here) rejects as unequal sums, so totals here are the sums of
 * the counts, the only consistent reading).
 *   - A category with count 0 on both sides is ignored: it is not in the
 *     union Evidently builds, and SciPy would turn its 0/0 into NaN.
 *   - A category present on one side only keeps its 0 on the other side; what
 *     that means is written at each test below.
 * Errors (AIA_INVALID_ARGUMENT, message naming the argument and index): no
 * categories (n == 0), a NULL array or result, a negative count, a side whose
 * total is 0, or a total above 2^53 (counts must stay exact as doubles).
 *
 * Nothing here allocates, and every function is thread-safe (no state).
 */
#ifndef AIA_DRIFT_CATEGORICAL_H
#define AIA_DRIFT_CATEGORICAL_H

#include <stddef.h>
#include <stdint.h>

#include "lib/base/status.h"

typedef struct aia_chi_square_result {
    double statistic;    /* sum over categories of (cur - exp)^2 / exp */
    double p_value;      /* chi2.sf(statistic, dof) */
    size_t dof;          /* n_categories - 1 */
    size_t n_categories; /* categories with a nonzero count on some side */
    size_t n_cur_only;   /* categories with reference count 0, current > 0 */
    int64_t n_ref, n_cur; /* totals */
} aia_chi_square_result;

/* Chi-square goodness of fit of the current counts against the reference
 * proportions, as Evidently's "chisquare" test: scipy.stats.chisquare(
 * f_obs = cur_counts, f_exp = ref_counts * n_cur / n_ref) over the union of
 * categories, dof = n_categories - 1.
 *   - A category only in current has expected count 0, so, exactly as SciPy
 *     and hence Evidently, the statistic is +inf and the p-value 0 (a new
 *     category is drift); n_cur_only says how many there were.
 *   - A category only in reference contributes its expected count.
 *   - A single category (dof 0) gives statistic 0 and p-value 1: the two
 *     sides are then the same distribution (SciPy returns NaN there, which
 *     Evidently reads as "no drift").
 * Errors as in the file comment. */
aia_status aia_drift_chi_square(const int64_t *ref_counts, const int64_t *cur_counts, size_t n,
                                aia_chi_square_result *out, aia_error *err);

/* Jensen-Shannon distance with base-2 logarithms (in [0, 1]) between the
 * two frequency vectors, as scipy.spatial.distance.jensenshannon(p, q,
 * base=2), on the bins Evidently's "jensenshannon" test builds: the union
 * of categories, frequencies count / total, no smoothing (a category
 * absent from one side has frequency 0 there: 0 log 0 = 0). 0 for
 * identical frequencies, 1 for disjoint supports. Note that Evidently
 * itself calls jensenshannon with the natural logarithm: its value is this
 * one times sqrt(ln 2) (about 0.833), which matters when comparing with
 * its 0.1 threshold (bench/drift/drift_bench.c converts). Errors as in the
 * file comment. */
aia_status aia_drift_jensen_shannon(const int64_t *ref_counts, const int64_t *cur_counts, size_t n,
                                    double *distance, aia_error *err);

/* L-infinity distance of the frequency vectors, max_i |ref_i / n_ref -
 * cur_i / n_cur| (Vertex AI Model Monitoring's categorical drift metric);
 * a category absent from one side counts with frequency 0 there. In [0, 1].
 * Errors as in the file comment. */
aia_status aia_drift_l_infinity(const int64_t *ref_counts, const int64_t *cur_counts, size_t n,
                                double *distance, aia_error *err);

typedef struct aia_z_test_result {
    double statistic; /* (p_ref - p_cur) / sqrt(P (1 - P) (1/n_ref + 1/n_cur)) */
    double p_value;   /* two-sided: 2 * norm.sf(|statistic|) */
    double p_ref, p_cur, p_pooled;
} aia_z_test_result;

/* Two-proportion pooled Z-test, two-sided, for a binary column, as
 * Evidently's "z" test: `ref_hits` of `n_ref` reference rows and `cur_hits`
 * of `n_cur` current rows fall in one chosen category (Evidently counts the
 * rows that are not its first sorted category; the choice only flips the
 * sign of the statistic). When the pooled proportion is 0 or 1 (both sides
 * hold one and the same category) there is no variance: statistic 0 and
 * p-value 1, as Evidently special-cases it. The p-value is erfc(|z|/sqrt 2),
 * equal to Evidently's 2 * (1 - norm.cdf(|z|)) except that it does not round
 * to 0 below 1e-16.
 * Errors (AIA_INVALID_ARGUMENT): a total <= 0 or above 2^53, a negative
 * count, hits above the total, a NULL result. */
aia_status aia_drift_z_test(int64_t ref_hits, int64_t n_ref, int64_t cur_hits, int64_t n_cur,
                            aia_z_test_result *out, aia_error *err);

#endif
