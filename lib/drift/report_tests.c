/* lib/drift/report_tests.c — the test table (names, thresholds, which
 * column types they fit), Evidently's default choice, and one feature's
 * statistic through numeric.h / categorical.h. */
#include <math.h>
#include <string.h>

#include "lib/drift/categorical.h"
#include "lib/drift/numeric.h"
#include "lib/drift/report.h"
#include "lib/drift/report_internal.h"

static const char *const names[AIA_DRIFT_TEST_COUNT] = {
    NULL, "ks", "psi", "wasserstein_normed", "chi_square", "jensen_shannon", "l_infinity", "z_test",
};

const char *aia_drift_test_name(aia_drift_test t)
{
    return t > AIA_DRIFT_TEST_DEFAULT && t < AIA_DRIFT_TEST_COUNT ? names[t] : NULL;
}

aia_drift_test aia_drift_test_lookup(const char *name)
{
    for (int t = 1; name && t < AIA_DRIFT_TEST_COUNT; t++)
        if (strcmp(name, names[t]) == 0) return (aia_drift_test)t;
    return AIA_DRIFT_TEST_DEFAULT;
}

int aia_drift_test_has_p_value(aia_drift_test t)
{
    return t == AIA_DRIFT_TEST_KS || t == AIA_DRIFT_TEST_CHI_SQUARE || t == AIA_DRIFT_TEST_Z;
}

int aia_drift_test_fits(aia_drift_test t, aia_column_type type)
{
    int numeric = t == AIA_DRIFT_TEST_KS || t == AIA_DRIFT_TEST_PSI ||
                  t == AIA_DRIFT_TEST_WASSERSTEIN_NORMED;
    return numeric == (type == AIA_COLUMN_NUMERIC);
}

double aia_drift_test_default_threshold(aia_drift_test t)
{
    return aia_drift_test_has_p_value(t) ? AIA_DRIFT_P_VALUE_THRESHOLD
                                         : AIA_DRIFT_DISTANCE_THRESHOLD;
}

aia_status aia_drift_stat_numeric(const aia_drift_ref_column *rc, double *cur, size_t n_cur,
                                  const aia_psi_options *psi, aia_drift_stat *st,
                                  aia_error *err)
{
    if (st->test == AIA_DRIFT_TEST_DEFAULT)
        st->test = rc->n_sorted <= AIA_DRIFT_SMALL_REFERENCE ? AIA_DRIFT_TEST_KS
                                                             : AIA_DRIFT_TEST_WASSERSTEIN_NORMED;
    st->p_value = NAN;
    aia_status s;
    if (st->test == AIA_DRIFT_TEST_KS) {
        aia_ks_result r;
        s = aia_drift_ks(rc->sorted, rc->n_sorted, cur, n_cur, &r, err);
        st->statistic = r.statistic;
        st->p_value = r.p_value;
    } else if (st->test == AIA_DRIFT_TEST_PSI) {
        aia_psi_result r;
        s = aia_drift_psi(rc->sorted, rc->n_sorted, cur, n_cur, psi, &r, err);
        st->statistic = r.psi;
    } else {
        aia_wasserstein_result r;
        s = aia_drift_wasserstein(rc->sorted, rc->n_sorted, cur, n_cur, &r, err);
        st->statistic = r.normed;
    }
    return s;
}

static aia_status z_test(const aia_drift_ref_column *rc, const int64_t *ref_counts,
                         const int64_t *cur_counts, size_t n, size_t first, aia_drift_stat *st,
                         aia_error *err)
{
    size_t present = 0;
    int64_t n_ref = 0, n_cur = 0;
    for (size_t i = 0; i < n; i++) {
        present += ref_counts[i] + cur_counts[i] > 0;
        n_ref += ref_counts[i];
        n_cur += cur_counts[i];
    }
    if (present > 2)
        return aia_error_set(err, AIA_INVALID_ARGUMENT,
                             "drift check: feature '%s': test 'z_test' needs a binary column, "
                             "and it has %zu categories across reference and current",
                             rc->name, present);
    aia_z_test_result r;
    aia_status s = aia_drift_z_test(n_ref - ref_counts[first], n_ref, n_cur - cur_counts[first],
                                    n_cur, &r, err);
    st->statistic = r.statistic;
    st->p_value = r.p_value;
    return s;
}

aia_status aia_drift_stat_counts(const aia_drift_ref_column *rc, const int64_t *ref_counts,
                                 const int64_t *cur_counts, size_t n, size_t first,
                                 aia_drift_stat *st, aia_error *err)
{
    if (st->test == AIA_DRIFT_TEST_DEFAULT) {
        size_t present = 0;
        for (size_t i = 0; i < n; i++) present += ref_counts[i] + cur_counts[i] > 0;
        if (rc->rows - rc->missing > AIA_DRIFT_SMALL_REFERENCE)
            st->test = AIA_DRIFT_TEST_JENSEN_SHANNON;
        else
            st->test = present <= 2 ? AIA_DRIFT_TEST_Z : AIA_DRIFT_TEST_CHI_SQUARE;
    }
    st->p_value = NAN;
    switch (st->test) {
    case AIA_DRIFT_TEST_CHI_SQUARE: {
        aia_chi_square_result r;
        aia_status s = aia_drift_chi_square(ref_counts, cur_counts, n, &r, err);
        st->statistic = r.statistic;
        st->p_value = r.p_value;
        return s;
    }
    case AIA_DRIFT_TEST_JENSEN_SHANNON:
        return aia_drift_jensen_shannon(ref_counts, cur_counts, n, &st->statistic, err);
    case AIA_DRIFT_TEST_L_INFINITY:
        return aia_drift_l_infinity(ref_counts, cur_counts, n, &st->statistic, err);
    case AIA_DRIFT_TEST_Z: return z_test(rc, ref_counts, cur_counts, n, first, st, err);
    default: break;
    }
    return aia_error_set(err, AIA_INTERNAL, "drift check: feature '%s': test %d on counts",
                         rc->name, (int)st->test);
}
