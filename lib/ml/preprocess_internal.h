/* lib/ml/preprocess_internal.h — the fitted pipeline's layout and the
 * helpers shared by fitting, restoring and applying (internal to lib/ml;
 * users go through preprocess.h).
 */
#ifndef AIA_ML_PREPROCESS_INTERNAL_H
#define AIA_ML_PREPROCESS_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "lib/base/status.h"
#include "lib/ml/preprocess.h"

/* The fitted state is the array of public descriptions itself, so
 * describing is a copy and restoring is a validated deep copy. Each
 * input's `name` and `categories` are owned (allocated by
 * strdup() and aia_pp_strings_copy() (one block)), although the public struct
 * spells them const. */
struct aia_preprocess {
    size_t n_inputs;
    aia_preprocess_column *inputs;
    size_t *first_output;          /* per input: its first output column */
    size_t n_outputs;
    char **output_names;           /* one block (aia_pp_strings_copy layout) */
    uint8_t *output_categorical;
};

/* Copies n strings into one allocation: the pointer array followed by the
 * bytes, so one free() releases it. NULL when out of memory (or n == 0). */
char **aia_pp_strings_copy(const char *const *src, size_t n);

/* Output columns an input produces (1, or its categories plus the
 * missing indicator for one-hot). */
size_t aia_pp_input_width(const aia_preprocess_column *c);

/* Index of `text` in the sorted categories of c, or -1 when unseen. */
long aia_pp_category_index(const aia_preprocess_column *c, const char *text);

/* Frame type an input of this kind reads. */
aia_column_type aia_pp_kind_type(aia_preprocess_kind kind);
const char *aia_pp_kind_name(aia_preprocess_kind kind);

/* Takes ownership of inputs[0..n) (names and categories already owned,
 * as above), lays out the output columns and checks their names are
 * distinct. On error everything is freed and *out is NULL. */
aia_status aia_pp_assemble(aia_preprocess_column *inputs, size_t n, aia_preprocess **out,
                           aia_error *err);

/* Frees the owned strings of one input column. */
void aia_pp_column_release(aia_preprocess_column *c);

/* ---- statistics over observed values (preprocess_stats.c) ---------------- */

/* Mean of x[0..n), n >= 1, with a compensated sum. */
double aia_pp_mean(const double *x, size_t n);
/* Median of the ascending x[0..n), n >= 1: the middle value, or the
 * average of the two middle ones (numpy.median). */
double aia_pp_median_sorted(const double *x, size_t n);
/* Most frequent value of the ascending x[0..n), n >= 1; the smallest
 * among ties (scipy.stats.mode, as SimpleImputer uses it). */
double aia_pp_mode_sorted(const double *x, size_t n);
/* StandardScaler's statistics over x[0..n), n >= 1: the mean and the
 * population standard deviation, or 1 when the column cannot be told from
 * a constant. */
void aia_pp_scaler_fit(const double *x, size_t n, double *mean, double *scale);
/* Sorts x[0..n) ascending (no NaN). */
void aia_pp_sort(double *x, size_t n);

#endif
