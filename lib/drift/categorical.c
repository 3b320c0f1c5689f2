/* lib/drift/categorical.c — chi-square, Jensen-Shannon, L-infinity and the
 * two-proportion Z-test on category counts (see categorical.h for what each
 * matches). Each test validates its counts first, then makes one pass.
 */
#include "lib/drift/categorical.h"

#include <math.h>

#include "lib/drift/special.h"

/* Totals stay exact as doubles up to 2^53. */
#define MAX_TOTAL ((int64_t)1 << 53)

/* Sums one side's counts into *total, rejecting what the tests cannot use. */
static aia_status sum_counts(const int64_t *counts, size_t n, const char *name, int64_t *total,
                             aia_error *err) {
    if (counts == NULL) return aia_error_set(err, AIA_INVALID_ARGUMENT, "%s is NULL", name);
    int64_t sum = 0;
    for (size_t i = 0; i < n; i++) {
        if (counts[i] < 0)
            return aia_error_set(err, AIA_INVALID_ARGUMENT,
                                 "%s[%zu] = %lld: a category count cannot be negative", name, i,
                                 (long long)counts[i]);
        if (counts[i] > MAX_TOTAL - sum)
            return aia_error_set(err, AIA_INVALID_ARGUMENT,
                                 "%s: total exceeds 2^53 at index %zu (counts must stay exact)",
                                 name, i);
        sum += counts[i];
    }
    if (sum == 0)
        return aia_error_set(err, AIA_INVALID_ARGUMENT,
                             "%s: all %zu category counts are 0 (an empty sample has no "
                             "distribution to compare)",
                             name, n);
    *total = sum;
    return AIA_OK;
}

/* Checks both sides and the output pointer; fills the two totals. */
static aia_status check_counts(const int64_t *ref_counts, const int64_t *cur_counts, size_t n,
                               const void *out, int64_t *n_ref, int64_t *n_cur, aia_error *err) {
    if (out == NULL) return aia_error_set(err, AIA_INVALID_ARGUMENT, "result pointer is NULL");
    if (n == 0)
        return aia_error_set(err, AIA_INVALID_ARGUMENT,
                             "no categories: n = 0 (nothing to compare)");
    aia_status st = sum_counts(ref_counts, n, "ref_counts", n_ref, err);
    if (st != AIA_OK) return st;
    return sum_counts(cur_counts, n, "cur_counts", n_cur, err);
}

aia_status aia_drift_chi_square(const int64_t *ref_counts, const int64_t *cur_counts, size_t n,
                                aia_chi_square_result *out, aia_error *err) {
    int64_t n_ref, n_cur;
    aia_status st = check_counts(ref_counts, cur_counts, n, out, &n_ref, &n_cur, err);
    if (st != AIA_OK) return st;

    /* Evidently scales the reference counts by n_cur / n_ref. */
    double scale = (double)n_cur / (double)n_ref, statistic = 0.0;
    size_t used = 0, cur_only = 0;
    for (size_t i = 0; i < n; i++) {
        if (ref_counts[i] == 0 && cur_counts[i] == 0) continue;
        used++;
        if (ref_counts[i] == 0) {
            cur_only++; /* expected 0, observed > 0: SciPy's term is +inf */
            continue;
        }
        double expected = (double)ref_counts[i] * scale;
        double diff = (double)cur_counts[i] - expected;
        statistic += diff * diff / expected;
    }
    *out = (aia_chi_square_result){.dof = used - 1, .n_categories = used,
                                   .n_cur_only = cur_only, .n_ref = n_ref, .n_cur = n_cur};
    if (used == 1) {
        /* One category on both sides: the same distribution, whatever the
         * rounding of n_ref * n_cur / n_ref left in the statistic. */
        out->statistic = 0.0;
        out->p_value = 1.0;
    } else if (cur_only > 0) {
        out->statistic = INFINITY;
        out->p_value = 0.0;
    } else {
        out->statistic = statistic;
        out->p_value = aia_special_chi2_sf(statistic, (double)(used - 1));
    }
    if (err) aia_error_clear(err);
    return AIA_OK;
}

/* x log(x / m) with SciPy's rel_entr convention 0 log 0 = 0 (m >= x / 2 > 0
 * whenever x > 0 here). */
static double rel_entr(double x, double m) {
    return x > 0.0 ? x * log(x / m) : 0.0;
}

aia_status aia_drift_jensen_shannon(const int64_t *ref_counts, const int64_t *cur_counts, size_t n,
                                    double *distance, aia_error *err) {
    int64_t n_ref, n_cur;
    aia_status st = check_counts(ref_counts, cur_counts, n, distance, &n_ref, &n_cur, err);
    if (st != AIA_OK) return st;

    /* SciPy sums the two relative entropies separately; so do we. */
    double left = 0.0, right = 0.0;
    for (size_t i = 0; i < n; i++) {
        double p = (double)ref_counts[i] / (double)n_ref;
        double q = (double)cur_counts[i] / (double)n_cur;
        double m = (p + q) / 2.0;
        left += rel_entr(p, m);
        right += rel_entr(q, m);
    }
    double js = (left + right) / log(2.0);
    /* Equal frequencies can round the divergence a hair below 0, where
     * SciPy's sqrt would give NaN; the distance is then 0. */
    *distance = js > 0.0 ? sqrt(js / 2.0) : 0.0;
    if (err) aia_error_clear(err);
    return AIA_OK;
}

aia_status aia_drift_l_infinity(const int64_t *ref_counts, const int64_t *cur_counts, size_t n,
                                double *distance, aia_error *err) {
    int64_t n_ref, n_cur;
    aia_status st = check_counts(ref_counts, cur_counts, n, distance, &n_ref, &n_cur, err);
    if (st != AIA_OK) return st;

    double max = 0.0;
    for (size_t i = 0; i < n; i++) {
        double d = fabs((double)ref_counts[i] / (double)n_ref -
                        (double)cur_counts[i] / (double)n_cur);
        if (d > max) max = d;
    }
    *distance = max;
    if (err) aia_error_clear(err);
    return AIA_OK;
}

/* Checks one side of the Z-test. */
static aia_status check_proportion(int64_t hits, int64_t total, const char *side, aia_error *err) {
    if (total <= 0 || total > MAX_TOTAL)
        return aia_error_set(err, AIA_INVALID_ARGUMENT,
                             "n_%s = %lld: a sample size must be in 1..2^53", side,
                             (long long)total);
    if (hits < 0 || hits > total)
        return aia_error_set(err, AIA_INVALID_ARGUMENT,
                             "%s_hits = %lld: must be in 0..n_%s = %lld", side, (long long)hits,
                             side, (long long)total);
    return AIA_OK;
}

aia_status aia_drift_z_test(int64_t ref_hits, int64_t n_ref, int64_t cur_hits, int64_t n_cur,
                            aia_z_test_result *out, aia_error *err) {
    if (out == NULL) return aia_error_set(err, AIA_INVALID_ARGUMENT, "result pointer is NULL");
    aia_status st = check_proportion(ref_hits, n_ref, "ref", err);
    if (st != AIA_OK) return st;
    st = check_proportion(cur_hits, n_cur, "cur", err);
    if (st != AIA_OK) return st;

    double n1 = (double)n_ref, n2 = (double)n_cur;
    double p1 = (double)ref_hits / n1, p2 = (double)cur_hits / n2;
    /* Exact integer sums: the pooled share is then exactly 0 or 1 when
     * both sides hold a single, common category. */
    int64_t hits = ref_hits + cur_hits, total = n_ref + n_cur;
    double pooled = (double)hits / (double)total;
    *out = (aia_z_test_result){.p_ref = p1, .p_cur = p2, .p_pooled = pooled};
    if (hits == 0 || hits == total) {
        out->statistic = 0.0;
        out->p_value = 1.0;
    } else {
        out->statistic = (p1 - p2) / sqrt(pooled * (1.0 - pooled) * (1.0 / n1 + 1.0 / n2));
        out->p_value = aia_special_normal_two_sided(out->statistic);
    }
    if (err) aia_error_clear(err);
    return AIA_OK;
}
