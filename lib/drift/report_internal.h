/* lib/drift/report_internal.h — the prepared reference's layout, shared by
 * report_reference.c (building it) and report_check.c (reading it). */
#ifndef AIA_DRIFT_REPORT_INTERNAL_H
#define AIA_DRIFT_REPORT_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "lib/base/status.h"
#include "lib/data/frame.h"
#include "lib/drift/numeric.h"

typedef struct aia_drift_ref_column {
    char *name;
    aia_column_type type;
    size_t rows, missing;
    /* NUMERIC: the non-missing values, finite and ascending. */
    double *sorted;
    size_t n_sorted;
    /* CATEGORICAL: categories sorted byte-wise (strcmp), with their counts
     * (each > 0); BOOLEAN: categories "false", "true" (counts may be 0). */
    char **categories;
    int64_t *counts;
    size_t n_categories;
} aia_drift_ref_column;

struct aia_drift_reference {
    aia_drift_ref_column *columns;
    size_t n_columns;
};

/* The tests by name; index 0 is "no test chosen yet". */
typedef enum aia_drift_test {
    AIA_DRIFT_TEST_DEFAULT = 0,
    AIA_DRIFT_TEST_KS,
    AIA_DRIFT_TEST_PSI,
    AIA_DRIFT_TEST_WASSERSTEIN_NORMED,
    AIA_DRIFT_TEST_CHI_SQUARE,
    AIA_DRIFT_TEST_JENSEN_SHANNON,
    AIA_DRIFT_TEST_L_INFINITY,
    AIA_DRIFT_TEST_Z,
    AIA_DRIFT_TEST_COUNT
} aia_drift_test;

/* "ks", ... (NULL for DEFAULT or out of range). */
const char *aia_drift_test_name(aia_drift_test t);
/* The test named `name`, or AIA_DRIFT_TEST_DEFAULT when there is none. */
aia_drift_test aia_drift_test_lookup(const char *name);
/* 1 for tests whose verdict is p < threshold, 0 for distances. */
int aia_drift_test_has_p_value(aia_drift_test t);
/* 1 when the test applies to columns of this type (z_test: any categorical
 * column here; whether it is binary is known only at check time). */
int aia_drift_test_fits(aia_drift_test t, aia_column_type type);
double aia_drift_test_default_threshold(aia_drift_test t);

/* One feature's statistic, given the current column's non-missing values or
 * counts. These fill statistic and p_value of `out` (test already set). */
typedef struct aia_drift_stat {
    aia_drift_test test;
    double statistic, p_value;
} aia_drift_stat;

/* Numeric: `cur` holds the current non-missing values (cleaned and sorted
 * in place). A DEFAULT test is replaced by the default for the column. */
aia_status aia_drift_stat_numeric(const aia_drift_ref_column *rc, double *cur, size_t n_cur,
                                  const aia_psi_options *psi, aia_drift_stat *st,
                                  aia_error *err);

/* Categorical / boolean over the union of categories: ref_counts and
 * cur_counts of length n; `first` is the index of the byte-wise first
 * category present on either side (the Z-test's non-hit). */
aia_status aia_drift_stat_counts(const aia_drift_ref_column *rc, const int64_t *ref_counts,
                                 const int64_t *cur_counts, size_t n, size_t first,
                                 aia_drift_stat *st, aia_error *err);

#endif
