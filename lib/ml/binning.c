/* lib/ml/binning.c — see binning.h. */
#include "lib/ml/binning.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The finite values to learn boundaries from, sorted: all of them, or an
 * even stride through them when there are more than `sample`. */
static double *sorted_sample(const double *values, size_t n, size_t sample, size_t *count)
{
    size_t stride = sample && n > sample ? (n + sample - 1) / sample : 1;
    double *v = malloc((n / stride + 1) * sizeof *v);
    if (!v) return NULL;
    size_t k = 0;
    for (size_t i = 0; i < n; i += stride)
        if (!isnan(values[i])) v[k++] = values[i];
    qsort(v, k, sizeof *v, cmp_double);
    *count = k;
    return v;
}

/* Collapses sorted v[0..n) into distinct values and their counts, in place
 * for the values; returns the number of distinct values. */
static size_t distinct_counts(double *v, size_t n, size_t *counts)
{
    size_t d = 0;
    for (size_t i = 0; i < n; i++) {
        if (d > 0 && v[i] == v[d - 1]) {
            counts[d - 1]++;
            continue;
        }
        v[d] = v[i];
        counts[d++] = 1;
    }
    return d;
}

/* A boundary strictly between distinct values a < b: a on its left, b on
 * its right. Halving first cannot overflow; for adjacent doubles the
 * midpoint may round onto b, and then a itself is the boundary. */
static double boundary(double a, double b)
{
    double m = a / 2 + b / 2;
    return m < a || m >= b ? a : m;
}

/* Boundaries for d distinct values: equal-frequency cuts that never split a
 * value. A value with at least a bin's worth of rows gets a bin of its own,
 * so heavy values (zeros in sparse data) do not swallow their neighbours. */
static int cut_boundaries(const double *dv, const size_t *counts, size_t d, size_t total, int max_bins,
                          double *upper)
{
    if (d <= (size_t)max_bins) {
        for (size_t i = 0; i + 1 < d; i++) upper[i] = boundary(dv[i], dv[i + 1]);
        return d ? (int)d : 1;
    }
    double per_bin = (double)total / max_bins;
    int bins = 0;
    size_t in_bin = 0, rest = total;
    for (size_t i = 0; i + 1 < d && bins < max_bins - 1; i++) {
        in_bin += counts[i];
        rest -= counts[i];
        int cut = (double)in_bin >= per_bin || (double)counts[i + 1] >= per_bin;
        if (!cut) continue;
        upper[bins++] = boundary(dv[i], dv[i + 1]);
        in_bin = 0;
        per_bin = (double)rest / (max_bins - bins); /* spread what is left over the bins left */
    }
    return bins + 1;
}

aia_status aia_bin_mapper_build(const double *values, size_t n, int max_bins, size_t sample, aia_bin_mapper *out,
                                aia_error *err)
{
    memset(out, 0, sizeof *out);
    if (max_bins < 2 || max_bins > AIA_MAX_VALUE_BINS)
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "max_bins: must be from 2 to %d, got %d",
                             AIA_MAX_VALUE_BINS, max_bins);
    size_t k = 0;
    double *v = sorted_sample(values, n, sample, &k);
    size_t *counts = malloc((k + 1) * sizeof *counts);
    double *upper = malloc((size_t)max_bins * sizeof *upper);
    if (!v || !counts || !upper) {
        free(v);
        free(counts);
        free(upper);
        return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "out of memory binning %zu values", n);
    }
    size_t d = distinct_counts(v, k, counts);
    out->n_bins = cut_boundaries(v, counts, d, k, max_bins, upper);
    out->upper = upper;
    out->missing_bin = out->n_bins;
    free(v);
    free(counts);
    return AIA_OK;
}

aia_status aia_bin_mapper_categorical(int n_categories, aia_bin_mapper *out, aia_error *err)
{
    memset(out, 0, sizeof *out);
    if (n_categories < 1 || n_categories > AIA_MAX_VALUE_BINS)
        return aia_error_set(err, AIA_INVALID_ARGUMENT,
                             "a categorical feature may have 1 to %d categories, this one has %d; encode it "
                             "one-hot or ordinal instead",
                             AIA_MAX_VALUE_BINS, n_categories);
    *out = (aia_bin_mapper){.n_bins = n_categories, .missing_bin = n_categories, .categorical = 1};
    return AIA_OK;
}

void aia_bin_mapper_free(aia_bin_mapper *m)
{
    if (!m) return;
    free(m->upper);
    memset(m, 0, sizeof *m);
}

void aia_bin_column(const aia_bin_mapper *m, const double *values, size_t n, uint8_t *out)
{
    for (size_t i = 0; i < n; i++) out[i] = aia_bin_of(m, values[i]);
}
