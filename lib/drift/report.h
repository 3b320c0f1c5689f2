/* lib/drift/report.h — the dataset-level drift report: a reference frame
 * prepared once, then checked against any number of current frames, one
 * test per feature, chosen like Evidently's defaults and overridable per
 * feature, plus the dataset verdict (share of drifted features).
 *
 * Prepared reference (aia_drift_reference_create): for each feature column,
 * a numeric column's non-missing values cleaned and sorted once
 * (aia_drift_sort_clean) and reused read-only by every check, as DESIGN.md's
 * notes on speed ask; a categorical column's category counts (categories
 * kept as strings, sorted byte-wise); a boolean column's false/true counts.
 *
 * Default test per feature (Evidently's get_default_stattest, "n" being the
 * reference's NON-MISSING values of the column, as Evidently drops NaNs
 * first):
 *                        n <= 1000        n > 1000
 *   numeric              "ks"             "wasserstein_normed"
 *   categorical          "chi_square"     "jensen_shannon"
 *   binary               "z_test"         "jensen_shannon"
 * Binary = a boolean column, or a categorical column with at most two
 * categories in the union of both sides (Evidently: nunique of reference
 * and current together <= 2, so a single category counts too; the Z-test
 * then gives p = 1). Above 1,000 rows Evidently gives binary columns
 * Jensen–Shannon like any categorical one, and so do we.
 * Not copied from Evidently: its numeric columns with <= 5 distinct values
 * get the categorical tests; here a numeric column always gets a numeric
 * test (override it per feature when that matters).
 *
 * Default thresholds: p-value tests ("ks", "chi_square", "z_test") drift when
 * p < 0.05; distances drift when statistic >= threshold: "psi" 0.1,
 * "wasserstein_normed" 0.1, "jensen_shannon" 0.1, and "l_infinity" 0.1 (our
 * choice, the same as the other distances; Vertex AI leaves it to the user
 * per feature). The dataset drifts when drifted_share > 0.5.
 *
 * Which test fits which column: numeric — "ks", "psi" (10 reference-quantile
 * bins unless options.psi says otherwise), "wasserstein_normed";
 * categorical and boolean — "chi_square", "jensen_shannon", "l_infinity",
 * and "z_test" only when binary. Anything else is INVALID_ARGUMENT.
 *
 * Categories: the counts of both sides are taken over the UNION of the
 * categories seen on either side (matched by their strings, not by codes,
 * which differ between frames), so a category new in the current frame shows
 * up (chi-square gives +inf / p 0 for it, as SciPy and Evidently do) and one
 * gone from it counts 0. For the Z-test the "hit" is any category other than
 * the byte-wise first of the union (Evidently's choice; booleans: true).
 *
 * Missing values (the frame's missing cells) are excluded from every
 * statistic and counted per side in the result.
 *
 * Errors (AIA_INVALID_ARGUMENT unless said, message naming the feature):
 * a feature column absent from a frame (with the frame's column list), a
 * feature named twice, a feature whose type differs between reference and
 * current (both types named), an empty reference or current frame, a column
 * with no non-missing value on one side (column and side named), an option
 * for a feature that is not one of the reference's, an unknown test name,
 * a test that does not fit the column type, a threshold that is negative or
 * not finite, a drift share outside [0, 1), threads < 0, PSI bins outside
 * 0..AIA_PSI_MAX_BINS, an empty feature name;
 * AIA_RESOURCE_EXHAUSTED when out of memory. `err` may be NULL.
 *
 * Cost: the check copies each numeric feature's current values once and
 * sorts them (the radix sort of numeric.h dominates: about 0.09 s per
 * 10^6-value column on this machine's cores, so 20 numeric + 5 categorical
 * features of 10^6 rows take about 2 s on one thread); categorical features
 * cost one pass over the codes.
 *
 * Ownership: the caller frees a reference with aia_drift_reference_free and
 * a report with aia_drift_report_free; neither keeps a pointer to any frame
 * or option passed in. Thread-safety: a reference is immutable once
 * created, so any number of threads may check against it at once.
 */
#ifndef AIA_DRIFT_REPORT_H
#define AIA_DRIFT_REPORT_H

#include <stddef.h>

#include "lib/base/status.h"
#include "lib/data/frame.h"
#include "lib/drift/numeric.h"

#define AIA_DRIFT_SMALL_REFERENCE 1000 /* <= this: KS / chi-square / Z-test */
#define AIA_DRIFT_P_VALUE_THRESHOLD 0.05
#define AIA_DRIFT_DISTANCE_THRESHOLD 0.1 /* psi, wasserstein_normed, jensen_shannon, l_infinity */
#define AIA_DRIFT_SHARE_THRESHOLD 0.5

typedef struct aia_drift_reference aia_drift_reference;

/* Prepares the reference from `features[0..n_features)` of `frame` (one
 * sort per numeric column, one count per categorical one), columns spread
 * over `threads` threads (0, 1: the caller only; the result and the error
 * reported do not depend on it). The frame is not kept: it may be freed
 * right after. */
aia_status aia_drift_reference_create(const aia_frame *frame, const char *const *features,
                                      size_t n_features, int threads, aia_drift_reference **out,
                                      aia_error *err);

void aia_drift_reference_free(aia_drift_reference *ref);

size_t aia_drift_reference_n_features(const aia_drift_reference *ref);
/* Feature i's name, type, rows and missing cells in the reference frame;
 * NULL / 0 when i is out of range. */
const char *aia_drift_reference_feature(const aia_drift_reference *ref, size_t i);
aia_column_type aia_drift_reference_type(const aia_drift_reference *ref, size_t i);
size_t aia_drift_reference_rows(const aia_drift_reference *ref, size_t i);
size_t aia_drift_reference_missing(const aia_drift_reference *ref, size_t i);

/* A per-feature override. */
typedef struct aia_drift_feature_option {
    const char *feature;   /* one of the reference's features */
    const char *test;      /* NULL or "" = the default test */
    double threshold;      /* 0 = the test's default; else finite and > 0 */
} aia_drift_feature_option;

typedef struct aia_drift_options {
    const aia_drift_feature_option *features; /* may be NULL when n_features is 0 */
    size_t n_features;
    double drift_share;   /* 0 = AIA_DRIFT_SHARE_THRESHOLD; dataset drifts when share > it
                             (for "any feature drifted" pass a tiny value, e.g. 1e-9) */
    int threads;          /* features checked in parallel on this many threads (0, 1: caller only) */
    aia_psi_options psi;  /* bins for "psi" (zeros: 10 reference-quantile bins) */
} aia_drift_options;

/* Zeros: every default. */
void aia_drift_options_init(aia_drift_options *opt);

typedef struct aia_drift_feature_result {
    char *name;             /* owned by the report */
    const char *test;       /* one of the test names above (static string) */
    aia_column_type type;
    double statistic;       /* KS D, PSI, normed WD, chi-square, JS or L-inf distance, Z */
    double p_value;         /* NaN for the distances */
    double threshold;
    int drifted;
    size_t ref_rows, ref_missing; /* the reference frame's rows, missing among them */
    size_t cur_rows, cur_missing; /* the current frame's rows, missing among them */
} aia_drift_feature_result;

typedef struct aia_drift_report {
    aia_drift_feature_result *features; /* in the reference's feature order */
    size_t n_features;
    size_t n_drifted;
    double drifted_share;   /* n_drifted / n_features */
    double share_threshold; /* the one applied */
    int dataset_drifted;    /* drifted_share > share_threshold */
} aia_drift_report;

/* Checks `current` (which must hold every reference feature, same types)
 * against `ref`. `opt` may be NULL (all defaults). Results do not depend on
 * the number of threads. */
aia_status aia_drift_check(const aia_drift_reference *ref, const aia_frame *current,
                           const aia_drift_options *opt, aia_drift_report **out,
                           aia_error *err);

void aia_drift_report_free(aia_drift_report *report);

#endif
