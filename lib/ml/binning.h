/* lib/ml/binning.h — quantising numeric features into at most 255 value
 * bins plus one missing-value bin, once per training run, so that tree
 * learners work on uint8 codes and histograms instead of sorted doubles
 * (the LightGBM / XGBoost "hist" approach).
 *
 * A mapper holds the bin boundaries of one feature: value v (not NaN) goes
 * to the first bin b with v <= upper[b], or to the last value bin when it
 * exceeds every boundary; NaN goes to bin `missing_bin` (= n_bins). The
 * boundaries are midpoints between distinct training values, so a split
 * "bin <= b" learned on codes is exactly "v <= upper[b]" on raw values and
 * prediction needs no binning.
 *
 * Ownership: mappers own their boundary array (aia_bin_mapper_free).
 * Thread-safety: a built mapper is immutable and may be shared.
 */
#ifndef AIA_ML_BINNING_H
#define AIA_ML_BINNING_H

#include <stddef.h>
#include <stdint.h>

#include "lib/base/status.h"

#define AIA_MAX_VALUE_BINS 255

typedef struct aia_bin_mapper {
    int n_bins;      /* value bins, 1..max_bins; bin n_bins holds missing values */
    double *upper;   /* n_bins - 1 ascending boundaries; NULL when categorical */
    int missing_bin; /* == n_bins */
    int categorical; /* values are category codes 0..n_bins-1, each its own bin */
} aia_bin_mapper;

/* Builds the bins of one feature from its n training values (NaN =
 * missing). With at most max_bins distinct values each gets its own bin;
 * otherwise bins hold about equal numbers of rows and a distinct value is
 * never split across two bins. At most `sample` values (evenly strided)
 * are used to find the boundaries when n is larger, as LightGBM samples
 * 200,000 rows; 0 means use all. A feature with no finite value gets one
 * (empty) value bin. Errors: max_bins outside 2..255, out of memory. */
aia_status aia_bin_mapper_build(const double *values, size_t n, int max_bins, size_t sample, aia_bin_mapper *out,
                                aia_error *err);

/* The mapper of a categorical feature whose values are the codes
 * 0..n_categories-1 (1..255). A code outside that range, unseen in
 * training, falls into the missing bin with NaN. */
aia_status aia_bin_mapper_categorical(int n_categories, aia_bin_mapper *out, aia_error *err);

void aia_bin_mapper_free(aia_bin_mapper *m);

/* The bin of one value. */
static inline uint8_t aia_bin_of(const aia_bin_mapper *m, double v)
{
    if (v != v) return (uint8_t)m->missing_bin;
    if (m->categorical) return v >= 0 && v < m->n_bins ? (uint8_t)v : (uint8_t)m->missing_bin;
    int lo = 0, hi = m->n_bins - 1; /* the answer is in [lo, hi] */
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        if (v <= m->upper[mid]) hi = mid;
        else lo = mid + 1;
    }
    return (uint8_t)lo;
}

/* Codes n values into out[0..n). */
void aia_bin_column(const aia_bin_mapper *m, const double *values, size_t n, uint8_t *out);

#endif
