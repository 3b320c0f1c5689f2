/* lib/ml/preprocess_stats.c — the statistics a pipeline is fitted with,
 * each matched to what scikit-learn computes for the same column. */
#include <float.h>
#include <math.h>
#include <stdlib.h>

#include "lib/ml/preprocess_internal.h"

/* Neumaier's compensated sum: a column of a million values keeps its mean
 * to the last bit or so, close to numpy's pairwise summation. */
static double sum_compensated(const double *x, size_t n)
{
    double sum = 0.0, carry = 0.0;
    for (size_t i = 0; i < n; i++) {
        double t = sum + x[i];
        if (fabs(sum) >= fabs(x[i]))
            carry += (sum - t) + x[i];
        else
            carry += (x[i] - t) + sum;
        sum = t;
    }
    return sum + carry;
}

double aia_pp_mean(const double *x, size_t n)
{
    return sum_compensated(x, n) / (double)n;
}

double aia_pp_median_sorted(const double *x, size_t n)
{
    if (n % 2 == 1) return x[n / 2];
    double a = x[n / 2 - 1], b = x[n / 2];
    double mid = (a + b) * 0.5;
    /* Two huge values of one sign overflow the sum; halve first then. */
    return isfinite(mid) ? mid : a * 0.5 + b * 0.5;
}

double aia_pp_mode_sorted(const double *x, size_t n)
{
    double best = x[0];
    size_t best_count = 0;
    for (size_t i = 0; i < n;) {
        size_t j = i + 1;
        while (j < n && x[j] == x[i]) j++;
        /* Strictly greater: the first (smallest) run wins a tie. */
        if (j - i > best_count) {
            best_count = j - i;
            best = x[i];
        }
        i = j;
    }
    return best;
}

void aia_pp_scaler_fit(const double *x, size_t n, double *mean, double *scale)
{
    double m = aia_pp_mean(x, n);
    /* Two-pass variance with the correction term, as scikit-learn's
     * _incremental_mean_and_var does for a first batch. */
    double sq = 0.0, dev = 0.0;
    for (size_t i = 0; i < n; i++) {
        double d = x[i] - m;
        sq += d * d;
        dev += d;
    }
    double var = (sq - dev * dev / (double)n) / (double)n;
    if (var < 0.0) var = 0.0;
    /* scikit-learn's _is_constant_feature: a variance within the error
     * bound of the two-pass algorithm is a constant column, scaled by 1. */
    double nd = (double)n;
    double bound = nd * DBL_EPSILON * var + (nd * m * DBL_EPSILON) * (nd * m * DBL_EPSILON);
    *mean = m;
    *scale = var <= bound ? 1.0 : sqrt(var);
}

static int compare_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

void aia_pp_sort(double *x, size_t n)
{
    if (n > 1) qsort(x, n, sizeof *x, compare_double);
}
